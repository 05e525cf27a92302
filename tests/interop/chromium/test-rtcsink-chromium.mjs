// SPDX-License-Identifier: LGPL-2.1-or-later
// rtcsink against Debian Chromium: the viewer page, served by rtcsink
// itself, plays through WHEP.
//
// The GStreamer side is a small Python GI program (below, run with
// /usr/bin/python3) around `videotestsrc ! rtcsink audiotestsrc ! s.`: it
// prints one JSON line per rtcsink signal (viewer-added, viewer-removed),
// with the sink's n-viewers. Chromium (headless, playwright-core) opens
// http://127.0.0.1:PORT/ and the page exposes window.rtcStats.
//   - one page decodes more than 60 frames within 10 s;
//   - two pages play at once; one closes: its viewer is removed (signal,
//     n-viewers back to 1) and the other keeps decoding.
// It runs under `node --test` and skips only when Chromium is missing.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import readline from 'node:readline';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PYTHON = '/usr/bin/python3';
const haveChromium = existsSync(CHROMIUM);
const haveX264 = spawnSync('gst-inspect-1.0', ['--exists', 'x264enc']).status === 0;

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
];

// The pipeline, with a line of JSON per event on stdout. It stops when
// its stdin closes.
const SINK_SCRIPT = String.raw`
import json, sys
import gi
gi.require_version('Gst', '1.0')
from gi.repository import GLib, Gst

Gst.init(None)
port = int(sys.argv[1])
pipeline = Gst.parse_launch(sys.argv[2].replace(
    'SINK', f'rtcsink name=s port={port} address=127.0.0.1'))
sink = pipeline.get_by_name('s')
loop = GLib.MainLoop()

def say(**message):
    print(json.dumps(message), flush=True)

sink.connect('viewer-added', lambda s, id: say(event='viewer-added', id=id, n=s.props.n_viewers))
sink.connect('viewer-removed', lambda s, id: say(event='viewer-removed', id=id, n=s.props.n_viewers))

def on_message(bus, message):
    if message.type == Gst.MessageType.ERROR:
        error, debug = message.parse_error()
        say(event='error', message=error.message, debug=debug)
        loop.quit()
    elif message.type == Gst.MessageType.ELEMENT:
        s = message.get_structure()
        if s.get_name() == 'rtcsink-listening':
            say(event='listening', url=s.get_string('url'))
        elif s.get_name() == 'rtcsink-viewer-removed':
            say(event='removed-reason', id=s.get_string('id'), reason=s.get_string('reason'))
    return True

bus = pipeline.get_bus()
bus.add_signal_watch()
bus.connect('message', on_message)
GLib.io_add_watch(GLib.IOChannel.unix_new(0), GLib.PRIORITY_DEFAULT,
                  GLib.IOCondition.IN | GLib.IOCondition.HUP, lambda *a: loop.quit())
if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
    say(event='error', message='could not start the pipeline')
    sys.exit(1)
loop.run()
pipeline.set_state(Gst.State.NULL)
say(event='stopped')
`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const RAW_PIPELINE = 'videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ' +
  '! SINK audiotestsrc is-live=true wave=ticks ! s.';
// H.264 encoded upstream: rtcsink only parses and payloads it.
const H264_PIPELINE = 'videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ' +
  '! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 ' +
  '! video/x-h264,profile=constrained-baseline ! SINK';

class SinkProcess {
  constructor(port, pipeline = RAW_PIPELINE) {
    this.events = [];
    this.stderr = [];
    this.waiters = [];
    this.exited = null;
    this.proc = spawn(PYTHON, ['-c', SINK_SCRIPT, String(port), pipeline], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.on('exit', (code, signal) => { this.exited = { code, signal }; this._wake(); });
    this.proc.stdin.on('error', () => {});
    readline.createInterface({ input: this.proc.stderr }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 400) this.stderr.shift();
    });
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => {
      try { this.events.push(JSON.parse(line)); } catch { this.stderr.push('stdout: ' + line); }
      this._wake();
    });
  }

  _wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  // Resolves with the first event matching pred, waiting up to ms.
  async waitFor(pred, ms, what) {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events.find(pred);
      if (found) return found;
      const error = this.events.find((e) => e.event === 'error');
      if (error) throw new Error(`pipeline error: ${error.message} (${error.debug})`);
      if (this.exited) throw new Error(`pipeline exited (${JSON.stringify(this.exited)}) waiting for ${what}\n${this.stderr.slice(-30).join('\n')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events)}\n${this.stderr.slice(-30).join('\n')}`);
      await new Promise((resolve) => { this.waiters.push(resolve); setTimeout(resolve, Math.min(left, 200)); });
    }
  }

  // Stops the pipeline and checks it went cleanly: exit 0, no critical
  // warning, no sanitizer report.
  async stop() {
    if (!this.exited) {
      this.proc.stdin.end();
      const deadline = Date.now() + 10000;
      while (!this.exited && Date.now() < deadline) await sleep(50);
      if (!this.exited) this.proc.kill('SIGKILL');
      while (!this.exited) await sleep(50);
    }
    const log = this.stderr.join('\n');
    assert.equal(this.exited.code, 0, `the pipeline exited with ${JSON.stringify(this.exited)}\n${log}`);
    assert.ok(!/CRITICAL|AddressSanitizer/.test(log), log);
    return this.exited;
  }
}

const stats = (page) => page.evaluate(() => window.rtcStats);

async function waitForFrames(page, frames, ms) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await stats(page);
    if (last.framesDecoded > frames) return last;
    await sleep(100);
  }
  throw new Error(`framesDecoded ${last && last.framesDecoded} <= ${frames} after ${ms} ms: ${JSON.stringify(last)}`);
}

const viewerId = (resource) => resource && resource.split('/').pop();

describe('rtcsink and Chromium', { skip: haveChromium ? false : `${CHROMIUM} is not installed` }, () => {
  let chromium;
  let browser;
  let sink;
  let url;

  before(async () => {
    ({ chromium } = await import('playwright-core'));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const port = await freePort();
    sink = new SinkProcess(port);
    url = (await sink.waitFor((e) => e.event === 'listening', 15000, 'the sink to listen')).url;
  });

  after(async () => {
    if (browser) await browser.close();
    if (sink) await sink.stop();
  });

  test('the viewer page decodes more than 60 frames within 10 s', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      const started = Date.now();
      await page.goto(url);
      const s = await waitForFrames(page, 60, 10000);
      const elapsed = Date.now() - started;
      assert.equal(s.connectionState, 'connected');
      assert.match(s.videoCodec, /VP8/i);
      assert.match(s.audioCodec || '', /opus/i);
      assert.equal(s.frameWidth, 320);
      assert.equal(s.frameHeight, 240);
      assert.ok(s.localCandidateType, 'the page reports its candidate type');
      const id = viewerId(s.resource);
      const added = await sink.waitFor((e) => e.event === 'viewer-added' && e.id === id, 2000, 'viewer-added');
      assert.equal(added.n, 1);
      console.log(`# ${s.framesDecoded} frames in ${elapsed} ms, first frame ${s.firstFrameMs} ms after the answer, ` +
        `${s.frameWidth}x${s.frameHeight} ${s.videoCodec}, ${s.localCandidateType} -> ${s.remoteCandidateType}, ` +
        `rtt ${s.roundTripTime}`);
      // A joining viewer gets a picture within a second (a forced key frame).
      assert.ok(s.firstFrameMs !== null && s.firstFrameMs < 1000, `first frame after ${s.firstFrameMs} ms`);
    } finally {
      await context.close();
    }
    // The page hangs up as it goes (DELETE on pagehide), or its transport closes.
    await sink.waitFor((e) => e.event === 'viewer-removed' && e.n === 0, 40000, 'the first viewer to go');
  });

  test('two pages play; one closes, its viewer goes and the other keeps playing', async () => {
    const before = sink.events.length;
    const contexts = [await browser.newContext(), await browser.newContext()];
    const pages = await Promise.all(contexts.map((c) => c.newPage()));
    try {
      await Promise.all(pages.map((p) => p.goto(url)));
      const first = await Promise.all(pages.map((p) => waitForFrames(p, 60, 10000)));
      const ids = first.map((s) => viewerId(s.resource));
      assert.notEqual(ids[0], ids[1]);
      await sink.waitFor((e) => e.event === 'viewer-added' && e.n === 2, 5000, 'two viewers');

      const closedAt = Date.now();
      await pages[0].close();
      const removed = await sink.waitFor(
        (e, i) => i >= before && e.event === 'viewer-removed' && e.id === ids[0], 40000, 'the closed page\'s viewer-removed');
      assert.equal(removed.n, 1);
      const why = await sink.waitFor((e) => e.event === 'removed-reason' && e.id === ids[0], 2000, 'the reason');
      console.log(`# viewer removed ${Date.now() - closedAt} ms after its page closed: ${why.reason}`);
      assert.ok(!sink.events.some((e) => e.event === 'viewer-removed' && e.id === ids[1]),
        'the other viewer stays');

      const a = await stats(pages[1]);
      await sleep(2000);
      const b = await stats(pages[1]);
      assert.equal(b.connectionState, 'connected');
      assert.ok(b.framesDecoded - a.framesDecoded >= 30,
        `the other page keeps decoding: ${a.framesDecoded} -> ${b.framesDecoded}`);
    } finally {
      await Promise.all(contexts.map((c) => c.close()));
    }
    await sink.waitFor((e) => e.event === 'viewer-removed' && e.n === 0, 40000, 'every viewer to go');
  });

  test('a page that vanishes without DELETE is noticed', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url);
    const s = await waitForFrames(page, 30, 10000);
    const id = viewerId(s.resource);
    // No more HTTP from the page: only the media path can tell us.
    await page.evaluate(() => { window.fetch = () => new Promise(() => {}); });
    const closedAt = Date.now();
    await context.close();
    await sink.waitFor((e) => e.event === 'viewer-removed' && e.id === id, 40000, 'viewer-removed');
    const why = await sink.waitFor((e) => e.event === 'removed-reason' && e.id === id, 2000, 'the reason');
    console.log(`# viewer removed ${Date.now() - closedAt} ms after its page vanished: ${why.reason}`);
  });

  test('the page reconnects when the stream comes back', async () => {
    const port = await freePort();
    let first = new SinkProcess(port);
    let second = null;
    const context = await browser.newContext();
    try {
      const pageUrl = (await first.waitFor((e) => e.event === 'listening', 15000, 'the sink to listen')).url;
      const page = await context.newPage();
      await page.goto(pageUrl);
      await waitForFrames(page, 30, 10000);
      const t0 = Date.now();
      await first.stop();
      first = null;
      console.log(`# stop took ${Date.now() - t0} ms`);
      // The page notices and retries with backoff.
      const deadline = Date.now() + 15000;
      let s = await stats(page);
      while (s.state !== 'retrying' && Date.now() < deadline) {
        await sleep(100);
        s = await stats(page);
      }
      assert.equal(s.state, 'retrying', JSON.stringify(s));
      console.log(`# page retrying ${Date.now() - t0} ms after stop began: ${s.error}`);
      const attempts = s.attempts;
      second = new SinkProcess(port);
      await second.waitFor((e) => e.event === 'listening', 15000, 'the second sink to listen');
      await second.waitFor((e) => e.event === 'viewer-added', 30000, 'the page to come back');
      const again = await waitForFrames(page, 30, 15000);
      assert.equal(again.connectionState, 'connected');
      assert.ok(again.connects >= 2 && again.attempts > attempts, JSON.stringify(again));
      console.log(`# reconnected after ${again.attempts} attempts (${again.connects} sessions)`);
    } finally {
      await context.close();
      if (first) await first.stop();
      if (second) await second.stop();
    }
  });

  test('H.264 encoded upstream plays without re-encoding, for late joiners too',
    { skip: haveX264 ? false : 'x264enc is not installed' }, async () => {
      const h264 = new SinkProcess(await freePort(), H264_PIPELINE);
      const context = await browser.newContext();
      try {
        const h264Url = (await h264.waitFor((e) => e.event === 'listening', 15000, 'the sink to listen')).url;
        // Join late: the sink has been sending for a while.
        await sleep(3000);
        const page = await context.newPage();
        const started = Date.now();
        await page.goto(h264Url);
        const s = await waitForFrames(page, 60, 10000);
        assert.match(s.videoCodec, /H264/i);
        assert.equal(s.frameWidth, 320);
        console.log(`# H.264: ${s.framesDecoded} frames in ${Date.now() - started} ms, ` +
          `first frame ${s.firstFrameMs} ms after the answer`);
        // The cached IDR (with SPS/PPS) starts a late joiner at once.
        assert.ok(s.firstFrameMs !== null && s.firstFrameMs < 1500, `first frame after ${s.firstFrameMs} ms`);
      } finally {
        await context.close();
        await h264.stop();
      }
    });
});
