// SPDX-License-Identifier: LGPL-2.1-or-later
// rtcsink over HTTPS, with a UDP port range and an announced address,
// against Debian Chromium; and ICE restart through WHEP PATCH.
//
// A self-signed certificate is made at test time with `openssl req`;
// Chromium runs with --ignore-certificate-errors. The sink is
// `videotestsrc ! rtcsink tls-certificate=… port-min=… port-max=…
// announced-address=203.0.113.7` in a small Python GI program that prints
// one JSON line per rtcsink signal.
//   - the page at https://127.0.0.1:PORT/ decodes more than 60 frames
//     within 10 s, over a path whose sink port is inside the range;
//   - the page restarts ICE (restartIce() and a PATCH with its new
//     credentials): rtcsink answers 200 with its own, the same session
//     (no viewer removed or added) moves to a new ICE stream, a new port
//     in the range, and frames keep coming;
//   - (root, iptables) the sink's UDP ports go dark: the page notices,
//     restarts ICE on its own before trying a new session, and plays on
//     in the same session once the path is back.
// It runs under `node --test` and skips only when Chromium is missing.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import readline from 'node:readline';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PYTHON = '/usr/bin/python3';
const haveChromium = existsSync(CHROMIUM);
const canBlock = process.getuid && process.getuid() === 0 &&
  spawnSync('iptables', ['-S', 'INPUT']).status === 0 &&
  spawnSync('ip6tables', ['-S', 'INPUT']).status === 0;
// Drops loopback UDP to and from the sink's port range (IPv4 and IPv6).
const BLOCK_RULES = [
  ['-i', 'lo', '-p', 'udp', '--dport', `${21000}:${21099}`, '-j', 'DROP'],
  ['-i', 'lo', '-p', 'udp', '--sport', `${21000}:${21099}`, '-j', 'DROP'],
];
function block(on) {
  for (const tool of ['iptables', 'ip6tables']) {
    for (const rule of BLOCK_RULES) {
      const r = spawnSync(tool, [on ? '-I' : '-D', 'INPUT', ...rule], { encoding: 'utf8' });
      if (on) assert.equal(r.status, 0, `${tool}: ${r.stderr}`);
    }
  }
}

// Below the ephemeral range (32768-60999), so that no other program's
// sockets are hit when the last test blocks the range for a moment.
const PORT_MIN = 21000;
const PORT_MAX = 21099;
const ANNOUNCED = '203.0.113.7';

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
  '--ignore-certificate-errors',
];

const SINK_SCRIPT = String.raw`
import json, sys
import gi
gi.require_version('Gst', '1.0')
from gi.repository import GLib, Gst

Gst.init(None)
pipeline = Gst.parse_launch(sys.argv[1])
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

class SinkProcess {
  constructor(pipeline) {
    this.events = [];
    this.stderr = [];
    this.exited = null;
    this.proc = spawn(PYTHON, ['-c', SINK_SCRIPT, pipeline], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.on('exit', (code, signal) => { this.exited = { code, signal }; });
    this.proc.stdin.on('error', () => {});
    readline.createInterface({ input: this.proc.stderr }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 400) this.stderr.shift();
    });
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => {
      try { this.events.push(JSON.parse(line)); } catch { this.stderr.push('stdout: ' + line); }
    });
  }

  async waitFor(pred, ms, what) {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events.find(pred);
      if (found) return found;
      const error = this.events.find((e) => e.event === 'error');
      if (error) throw new Error(`pipeline error: ${error.message} (${error.debug})`);
      if (this.exited) throw new Error(`pipeline exited (${JSON.stringify(this.exited)}) waiting for ${what}\n${this.stderr.slice(-30).join('\n')}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events)}`);
      await sleep(100);
    }
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
    assert.equal(this.exited.code, 0, `the pipeline exited with ${JSON.stringify(this.exited)}\n${log}`);
    assert.ok(!/CRITICAL|AddressSanitizer/.test(log), log);
  }
}

const stats = (page) => page.evaluate(() => window.rtcStats);

// Resolves with how many frames the page decoded, once n more than now
// or after ms (a generous deadline: the machine may be busy).
async function framesGrow(page, n, ms) {
  const start = (await stats(page)).framesDecoded;
  const deadline = Date.now() + ms;
  let now = start;
  while (now - start < n && Date.now() < deadline) {
    await sleep(100);
    now = (await stats(page)).framesDecoded;
  }
  return now - start;
}

async function waitForFrames(page, frames, ms) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await stats(page);
    if (last.framesDecoded > frames && last.remotePort) return last;
    await sleep(100);
  }
  throw new Error(`framesDecoded ${last && last.framesDecoded} <= ${frames} after ${ms} ms: ${JSON.stringify(last)}`);
}

describe('rtcsink over HTTPS and Chromium', { skip: haveChromium ? false : `${CHROMIUM} is not installed` }, () => {
  let browser;
  let sink;
  let url;
  let dir;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtcsink-tls-'));
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    writeFileSync(join(dir, 'both.pem'),
      readFileSync(join(dir, 'cert.pem'), 'utf8') + readFileSync(join(dir, 'key.pem'), 'utf8'));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const port = await freePort();
    sink = new SinkProcess(
      'videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ' +
      `! rtcsink name=s port=${port} address=127.0.0.1 tls-certificate=${join(dir, 'both.pem')} ` +
      `port-min=${PORT_MIN} port-max=${PORT_MAX} announced-address=${ANNOUNCED} ` +
      'audiotestsrc is-live=true wave=ticks ! s.');
    url = (await sink.waitFor((e) => e.event === 'listening', 15000, 'the sink to listen')).url;
    assert.match(url, /^https:\/\//);
  });

  after(async () => {
    if (browser) await browser.close();
    if (sink) await sink.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the page plays over HTTPS; ICE restart through PATCH keeps the frames coming', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    try {
      await page.goto(url);
      assert.equal(await page.evaluate(() => window.isSecureContext), true);
      const s = await waitForFrames(page, 60, 10000);
      assert.equal(s.connectionState, 'connected');
      assert.ok(s.remotePort >= PORT_MIN && s.remotePort <= PORT_MAX, `sink port ${s.remotePort}`);
      const id = s.resource.split('/').pop();
      await sink.waitFor((e) => e.event === 'viewer-added' && e.id === id, 2000, 'viewer-added');
      const etag = await page.evaluate(() => window.rtcViewer.etag());
      console.log(`# ${s.framesDecoded} frames over https, ${s.localCandidateType} -> ` +
        `${s.remoteCandidateType} ${s.remoteAddress}:${s.remotePort}`);

      // ICE restart from the page: restartIce(), PATCH, 200, new answer.
      const restarted = await page.evaluate(() => window.rtcViewer.restartIce());
      const after = await stats(page);
      assert.equal(restarted, true, `restart failed: ${after.iceRestartError}`);
      assert.equal(after.iceRestarts, 1);
      assert.notEqual(await page.evaluate(() => window.rtcViewer.etag()), etag, 'a new ETag');
      assert.equal(after.resource, s.resource, 'the same session');

      // The new ICE stream takes over (a new local port on our side) and
      // frames keep coming.
      const deadline = Date.now() + 10000;
      let now = await stats(page);
      while (Date.now() < deadline && (now.remotePort === s.remotePort || now.connectionState !== 'connected')) {
        await sleep(200);
        now = await stats(page);
      }
      assert.equal(now.connectionState, 'connected');
      assert.notEqual(now.remotePort, s.remotePort, 'the path moved to the restarted stream');
      assert.ok(now.remotePort >= PORT_MIN && now.remotePort <= PORT_MAX, `sink port ${now.remotePort}`);
      const grown = await framesGrow(page, 30, 10000);
      assert.ok(grown >= 30, `frames after the restart: ${grown}`);
      const b = await stats(page);
      assert.equal(b.connects, 1, 'no new session');
      assert.ok(!sink.events.some((e) => e.event === 'viewer-removed'), JSON.stringify(sink.events));
      assert.equal(sink.events.filter((e) => e.event === 'viewer-added').length, 1);
      console.log(`# after the ICE restart: ${now.remoteAddress}:${now.remotePort}, ` +
        `${grown} more frames`);

      // A stale ETag is refused; '*' and the new one are taken.
      const statuses = await page.evaluate(async ([resource, stale]) => {
        const frag = 'a=end-of-candidates\r\n';
        const out = [];
        for (const ifMatch of [stale, '*', window.rtcViewer.etag()]) {
          const r = await fetch(resource, {
            method: 'PATCH', body: frag,
            headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': ifMatch },
          });
          out.push(r.status);
        }
        return out;
      }, [s.resource, etag]);
      assert.deepEqual(statuses, [412, 204, 204]);
    } finally {
      await context.close();
    }
    await sink.waitFor((e) => e.event === 'viewer-removed' && e.n === 0, 40000, 'the viewer to go');
  });

  test('when the path dies, the page restarts ICE before a new session',
    { skip: canBlock ? false : 'needs root and iptables' }, async () => {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      const before = sink.events.length;
      let blocked = false;
      try {
        await page.goto(url);
        const s = await waitForFrames(page, 30, 10000);
        const id = s.resource.split('/').pop();
        block(true);
        blocked = true;
        const blockedAt = Date.now();
        // The page notices (stalled stream or ICE disconnected) and
        // restarts ICE; then the path comes back.
        let now = await stats(page);
        while (Date.now() - blockedAt < 30000 && now.state !== 'restarting' && now.iceRestarts === 0) {
          await sleep(100);
          now = await stats(page);
        }
        block(false);
        blocked = false;
        assert.ok(now.state === 'restarting' || now.iceRestarts > 0,
          `no ICE restart within 30 s: ${JSON.stringify(now)}`);
        console.log(`# ICE restart began ${Date.now() - blockedAt} ms after the path went dark: ${now.error}`);

        const deadline = Date.now() + 20000;
        while (Date.now() < deadline && (now.iceRestarts === 0 || now.connectionState !== 'connected')) {
          await sleep(200);
          now = await stats(page);
        }
        assert.equal(now.iceRestarts, 1, JSON.stringify(now));
        assert.equal(now.connectionState, 'connected');
        assert.equal(now.resource, s.resource, 'the same session');
        const grown = await framesGrow(page, 30, 10000);
        assert.ok(grown >= 30, `frames after the restart: ${grown}`);
        assert.ok(!sink.events.slice(before).some((e) => e.event === 'viewer-removed' && e.id === id),
          JSON.stringify(sink.events.slice(before)));
      } finally {
        if (blocked) block(false);
        await context.close();
      }
    });
});
