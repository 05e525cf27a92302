// SPDX-License-Identifier: LGPL-2.1-or-later
// The RTSP camera bridge against Debian Chromium: a test camera
// (../rtsp_camera.py, gst-rtsp-server) → `rtspsrc ! rtph264depay !
// h264parse ! rtcsink` → Chromium opening rtcsink's own viewer page.
//   - constrained baseline: the page decodes more than 60 frames, and
//     rtcsink's bin, listed element by element from the pipeline's own
//     process, has a payloader and no encoder or decoder;
//   - High profile with B-frames: an `rtcsink-transcode` message (reason:
//     B-frames) and encoder and decoder elements appear, and the page still
//     decodes more than 60 frames;
//   - AAC audio reaches Chromium as Opus (its inbound-rtp audio codec is
//     audio/opus; packets and samples are received).
// The pipeline is a small Python GI program that prints a JSON line per
// event and, when asked on stdin, the elements inside rtcsink.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import readline from 'node:readline';

const HERE = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PYTHON = '/usr/bin/python3';
const CAMERA = join(HERE, '..', 'rtsp_camera.py');
const haveChromium = existsSync(CHROMIUM);
const missing = ['x264enc', 'rtspsrc', 'h264parse', 'avdec_h264']
  .filter((name) => spawnSync('gst-inspect-1.0', ['--exists', name]).status !== 0);
const haveRtspServer = spawnSync(PYTHON, ['-c',
  "import gi; gi.require_version('GstRtspServer', '1.0')"]).status === 0;
const skip = !haveChromium ? `${CHROMIUM} is not installed`
  : missing.length ? `missing elements: ${missing.join(', ')}`
    : !haveRtspServer ? 'gir1.2-gst-rtsp-server-1.0 is not installed' : false;

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
];

const BRIDGE_SCRIPT = String.raw`
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

def elements():
    # Every element inside rtcsink, however deep, with its factory and
    # klass (Codec/Encoder/Video, Codec/Decoder/Audio, ...).
    found = []
    it = sink.iterate_recurse()
    while True:
        result, element = it.next()
        if result == Gst.IteratorResult.RESYNC:
            it.resync()
            found = []
            continue
        if result != Gst.IteratorResult.OK:
            break
        factory = element.get_factory()
        found.append({'name': element.get_name(),
                      'factory': factory.get_name() if factory else None,
                      'klass': factory.get_metadata('klass') if factory else ''})
    return found

def on_stdin(channel, condition):
    line = sys.stdin.readline()
    if not line:
        loop.quit()
        return False
    if line.strip() == 'elements':
        say(event='elements', elements=elements())
    return True

def on_message(bus, message):
    if message.type == Gst.MessageType.ERROR:
        error, debug = message.parse_error()
        say(event='error', message=error.message, debug=debug)
        loop.quit()
    elif message.type == Gst.MessageType.WARNING:
        error, debug = message.parse_warning()
        say(event='warning', message=error.message)
    elif message.type == Gst.MessageType.ELEMENT:
        s = message.get_structure()
        if s.get_name() == 'rtcsink-listening':
            say(event='listening', url=s.get_string('url'))
        elif s.get_name() == 'rtcsink-transcode':
            say(event='transcode', target=s.get_string('target'), reason=s.get_string('reason'),
                created=s.get_value('created'), id=s.get_string('id'))
        elif s.get_name() == 'rtcsink-viewer-added':
            # What the viewer's stats say it gets.
            stats = sink.emit('get-viewer-stats', s.get_string('id'))
            say(event='viewer-added', id=s.get_string('id'),
                transcode=stats.get_string('transcode') if stats else None)
    return True

bus = pipeline.get_bus()
bus.add_signal_watch()
bus.connect('message', on_message)
GLib.io_add_watch(GLib.IOChannel.unix_new(0), GLib.PRIORITY_DEFAULT,
                  GLib.IOCondition.IN | GLib.IOCondition.HUP, on_stdin)
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

// A child process that prints JSON lines (the pipeline) or plain lines
// (the camera's URLs).
class Child {
  constructor(args) {
    this.events = [];
    this.lines = [];
    this.stderr = [];
    this.waiters = [];
    this.exited = null;
    this.proc = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.on('exit', (code, signal) => { this.exited = { code, signal }; this._wake(); });
    this.proc.stdin.on('error', () => {});
    readline.createInterface({ input: this.proc.stderr }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 400) this.stderr.shift();
    });
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => {
      this.lines.push(line);
      try { this.events.push(JSON.parse(line)); } catch { /* a plain line */ }
      this._wake();
    });
  }

  _wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  async waitFor(pred, ms, what, list = 'events') {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this[list].find(pred);
      if (found) return found;
      const error = this.events.find((e) => e.event === 'error');
      if (error) throw new Error(`pipeline error: ${error.message} (${error.debug})`);
      if (this.exited) throw new Error(`exited (${JSON.stringify(this.exited)}) waiting for ${what}\n${this.stderr.slice(-30).join('\n')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events)}\n${this.stderr.slice(-30).join('\n')}`);
      await new Promise((resolve) => { this.waiters.push(resolve); setTimeout(resolve, Math.min(left, 200)); });
    }
  }

  async elements() {
    const before = this.events.length;
    this.proc.stdin.write('elements\n');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const found = this.events.slice(before).find((e) => e.event === 'elements');
      if (found) return found.elements;
      await sleep(50);
    }
    throw new Error('the pipeline did not list its elements');
  }

  async stop() {
    if (!this.exited) {
      this.proc.stdin.end();
      const deadline = Date.now() + 10000;
      while (!this.exited && Date.now() < deadline) await sleep(50);
      if (!this.exited) this.proc.kill('SIGKILL');
      while (!this.exited) await sleep(50);
    }
    const log = this.stderr.join('\n');
    assert.ok(!/CRITICAL|AddressSanitizer/.test(log), log);
    return this.exited;
  }
}

async function startBridge(pipeline) {
  const port = await freePort();
  const bridge = new Child(['-c', BRIDGE_SCRIPT, String(port), pipeline]);
  const { url } = await bridge.waitFor((e) => e.event === 'listening', 15000, 'the sink to listen');
  return { bridge, url };
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

// The page's own RTCPeerConnection, remembered as it is made, so that the
// test can read inbound-rtp figures the page does not show.
function rememberPeers() {
  const Native = window.RTCPeerConnection;
  window.testPeers = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      window.testPeers.push(this);
    }
  };
}

async function inboundAudio(page) {
  return page.evaluate(async () => {
    const pc = window.testPeers[window.testPeers.length - 1];
    if (!pc) return null;
    const report = await pc.getStats();
    let found = null;
    report.forEach((entry) => {
      if (entry.type === 'inbound-rtp' && entry.kind === 'audio') {
        const codec = entry.codecId && report.get(entry.codecId);
        found = {
          codec: codec ? codec.mimeType : null,
          packetsReceived: entry.packetsReceived || 0,
          totalSamplesReceived: entry.totalSamplesReceived || 0,
        };
      }
    });
    return found;
  });
}

const isCodec = (kind) => (e) => new RegExp(`Codec/${kind}`).test(e.klass);

describe('RTSP camera bridge and Chromium', { skip }, () => {
  let chromium;
  let browser;
  let camera;
  const urls = {};

  before(async () => {
    ({ chromium } = await import('playwright-core'));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    camera = new Child([CAMERA, '--stdin', 'cb', 'high', 'cb+aac']);
    for (const mount of ['cb', 'high', 'cb-aac']) {
      urls[mount] = await camera.waitFor((l) => l.endsWith(`/${mount}`), 15000, `the camera's ${mount}`, 'lines');
    }
  });

  after(async () => {
    if (browser) await browser.close();
    if (camera) await camera.stop();
  });

  async function openPage(url) {
    const context = await browser.newContext();
    await context.addInitScript(rememberPeers);
    const page = await context.newPage();
    await page.goto(url);
    return { context, page };
  }

  test('constrained baseline plays with no encoder in rtcsink', async () => {
    const { bridge, url } = await startBridge(
      `rtspsrc location=${urls.cb} latency=200 ! rtph264depay ! h264parse ! SINK`);
    const { context, page } = await openPage(url);
    try {
      const s = await waitForFrames(page, 60, 20000);
      assert.equal(s.videoCodec, 'video/H264');
      const elements = await bridge.elements();
      const factories = elements.map((e) => e.factory);
      // The list is real: rtcsink's payloader is in it.
      assert.ok(factories.includes('rtph264pay'), JSON.stringify(factories));
      assert.deepEqual(elements.filter(isCodec('Encoder')), [], JSON.stringify(factories));
      assert.deepEqual(elements.filter(isCodec('Decoder')), [], JSON.stringify(factories));
      assert.equal(bridge.events.filter((e) => e.event === 'transcode').length, 0);
      const added = await bridge.waitFor((e) => e.event === 'viewer-added', 5000, 'viewer-added');
      assert.equal(added.transcode, 'none');
    } finally {
      await context.close();
      await bridge.stop();
    }
  });

  test('High profile with B-frames is transcoded and plays', async () => {
    const { bridge, url } = await startBridge(
      `rtspsrc location=${urls.high} latency=200 ! rtph264depay ! h264parse ! SINK`);
    const { context, page } = await openPage(url);
    try {
      const transcode = await bridge.waitFor((e) => e.event === 'transcode', 20000, 'a transcode branch');
      assert.match(transcode.reason, /B-frames/);
      const s = await waitForFrames(page, 60, 20000);
      assert.equal(s.frameWidth, 640);
      const elements = await bridge.elements();
      const factories = elements.map((e) => e.factory);
      assert.ok(elements.some(isCodec('Encoder')), JSON.stringify(factories));
      assert.ok(elements.some(isCodec('Decoder')), JSON.stringify(factories));
      const added = await bridge.waitFor((e) => e.event === 'viewer-added', 5000, 'viewer-added');
      assert.equal(added.id, transcode.id);
      assert.equal(added.transcode, transcode.target);
      console.log(`transcoded to ${transcode.target} (${s.videoCodec}): ${transcode.reason}`);
    } finally {
      await context.close();
      await bridge.stop();
    }
  });

  test('AAC audio reaches Chromium as Opus', async () => {
    const { bridge, url } = await startBridge(
      `rtspsrc location=${urls['cb-aac']} latency=200 name=r ` +
      'r. ! rtph264depay ! h264parse ! SINK r. ! rtpmp4gdepay ! aacparse ! s.');
    const { context, page } = await openPage(url);
    try {
      await waitForFrames(page, 60, 20000);
      const deadline = Date.now() + 10000;
      let audio;
      while (Date.now() < deadline) {
        audio = await inboundAudio(page);
        if (audio && audio.packetsReceived > 50 && audio.totalSamplesReceived > 0) break;
        await sleep(200);
      }
      assert.ok(audio, 'no inbound audio');
      assert.equal(audio.codec, 'audio/opus');
      assert.ok(audio.packetsReceived > 50, JSON.stringify(audio));
      assert.ok(audio.totalSamplesReceived > 0, JSON.stringify(audio));
    } finally {
      await context.close();
      await bridge.stop();
    }
  });
});
