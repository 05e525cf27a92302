// SPDX-License-Identifier: LGPL-2.1-or-later
// rtcbin against Debian Chromium.
//
// Chromium (headless, driven by playwright-core) runs an RTCPeerConnection in
// page.html; the GStreamer side is ../rtcpeer.py in a child process, and this
// file is the signalling channel between the two (JSON lines to the child,
// page.evaluate / an exposed function to the page). Every case is run with
// each side as the offerer:
//   - Chromium decodes our VP8 + Opus: framesDecoded >= 60 at 320x240;
//   - Chromium decodes our H.264: the same, with the codec video/H264;
//   - we decode Chromium's fake camera: >= 30 frames.
// It runs under `node --test` (see run.sh). It skips only when Chromium (or,
// for the H.264 case, x264enc) is not installed.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const RTCPEER = path.join(here, '..', 'rtcpeer.py');
const PAGE = pathToFileURL(path.join(here, 'page.html')).href;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PYTHON = '/usr/bin/python3';
// The element under test; webrtcbin only to check this harness itself.
const ELEMENT = process.env.RTCPEER_ELEMENT || 'rtcbin';
const DEADLINE_MS = 30000;

const haveChromium = existsSync(CHROMIUM);
const noChromium = haveChromium ? false : `Chromium is not installed (${CHROMIUM}; Debian chromium)`;
const haveX264 = spawnSync('gst-inspect-1.0', ['--exists', 'x264enc']).status === 0;

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// rtcpeer.py in a child process, one JSON message a line.
class GstPeer {
  constructor(args) {
    this.messages = [];
    this.waiters = [];
    this.stderr = [];
    this.onSignal = () => {};
    this.exited = null;
    this.proc = spawn(PYTHON, [RTCPEER, '--element', ELEMENT, ...args],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.on('exit', (code, signal) => {
      this.exited = { code, signal };
      this._wake();
    });
    this.proc.stdin.on('error', () => {});
    readline.createInterface({ input: this.proc.stderr }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 400) this.stderr.shift();
    });
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => {
      let msg;
      try { msg = JSON.parse(line); } catch { this.stderr.push('stdout: ' + line); return; }
      this.messages.push(msg);
      if (['offer', 'answer', 'candidate'].includes(msg.type)) this.onSignal(msg);
      this._wake();
    });
  }

  _wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  send(msg) {
    if (this.exited || !this.proc.stdin.writable) return;
    this.proc.stdin.write(JSON.stringify(msg) + '\n');
  }

  // The first message from index `from` on that matches, or null at the deadline.
  async waitMessage(pred, timeoutMs, from = 0) {
    const deadline = Date.now() + timeoutMs;
    let i = from;
    for (;;) {
      for (; i < this.messages.length; i++) if (pred(this.messages[i])) return this.messages[i];
      const left = deadline - Date.now();
      if (left <= 0 || this.exited) return null;
      await new Promise((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  async stats() {
    const from = this.messages.length;
    this.send({ cmd: 'stats' });
    return this.waitMessage((m) => m.type === 'stats', 10000, from);
  }

  errors() {
    return this.messages.filter((m) => m.type === 'error').map((m) => m.message);
  }

  async stop() {
    if (this.exited) return this.exited;
    this.send({ cmd: 'quit' });
    this.proc.stdin.end();
    const deadline = Date.now() + 25000;
    while (!this.exited && Date.now() < deadline) await sleep(50);
    if (!this.exited) {
      this.proc.kill('SIGKILL');
      while (!this.exited) await sleep(50);
    }
    return this.exited;
  }

  tail(n = 200) {
    return this.stderr.slice(-n).join('\n');
  }
}

let chromium = null;
let browser = null;

before(async () => {
  if (!haveChromium) return;
  ({ chromium } = await import('playwright-core'));
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  if (browser) await browser.close();
});

// One call: a page and an rtcpeer.py joined by this process.
async function call({ gstArgs, pageOpts, gstOffers }) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageLog = [];
  page.on('console', (m) => pageLog.push(m.text()));
  page.on('pageerror', (e) => pageLog.push('pageerror: ' + e));
  const gst = new GstPeer([...gstArgs, ...(gstOffers ? ['--offer'] : [])]);

  // Messages to the page are handled one after the other, in order, and
  // only once the page has its RTCPeerConnection (when we offer, our offer
  // may come before window.start has run).
  let pageStarted;
  let chain = new Promise((resolve) => { pageStarted = resolve; });
  const pageErrors = [];
  const toPage = (msg) => {
    chain = chain.then(() => page.evaluate((m) => window.handle(m), msg))
      .catch((e) => { pageErrors.push(`${msg.type}: ${e.message}`); });
  };
  gst.onSignal = toPage;
  await page.exposeFunction('toGst', (msg) => {
    if (['offer', 'answer', 'candidate'].includes(msg.type)) gst.send(msg);
  });
  await page.goto(PAGE);

  const ready = await gst.waitMessage((m) => m.type === 'ready' || m.type === 'error', 20000);
  assert.ok(ready && ready.type === 'ready',
    `rtcpeer.py did not start: ${JSON.stringify(ready)}\n${gst.tail()}`);
  await page.evaluate((o) => window.start(o), { ...pageOpts, offer: !gstOffers });
  pageStarted();

  const pageStats = () => page.evaluate(() => window.stats());
  const describeFailure = async (what) => {
    let ps = null;
    let gs = null;
    try { ps = await pageStats(); } catch (e) { ps = String(e); }
    try { gs = await gst.stats(); } catch (e) { gs = String(e); }
    return `${what}\nchromium: ${JSON.stringify(ps)}\npage errors: ${JSON.stringify(pageErrors)}` +
      `\npage log: ${pageLog.slice(-20).join(' | ')}\n${ELEMENT}: ${JSON.stringify(gs)}` +
      `\n${ELEMENT} errors: ${JSON.stringify(gst.errors())}\n--- rtcpeer.py stderr ---\n${gst.tail()}`;
  };
  let closed = null;
  // Hangs up and stops both; the rtcpeer.py exit status (0 unless its
  // pipeline failed or did not reach NULL in time).
  const close = async () => {
    if (!closed) {
      closed = (async () => {
        try { await page.evaluate(() => window.hangup()); } catch { /* page gone */ }
        const exit = await gst.stop();
        await context.close();
        return exit;
      })();
    }
    return closed;
  };
  return { page, gst, pageStats, describeFailure, close, pageErrors };
}

async function pollUntil(fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last.done) return last;
    if (Date.now() > deadline) return last;
    await sleep(250);
  }
}

for (const gstOffers of [false, true]) {
  const who = gstOffers ? `${ELEMENT} offers` : 'Chromium offers';

  describe(who, () => {
    for (const codec of ['vp8', 'h264']) {
      const name = codec === 'vp8' ? 'Chromium decodes our VP8 + Opus' : 'Chromium decodes our H.264';
      const skip = noChromium
        || (codec === 'h264' && !haveX264 ? 'x264enc is not installed (gstreamer1.0-plugins-ugly)' : false);
      test(name, { skip, timeout: 90000 }, async () => {
        const c = await call({
          gstArgs: ['--video', codec, ...(codec === 'vp8' ? [] : ['--no-audio']), '--size', '320x240'],
          pageOpts: { camera: false, recvVideo: true, recvAudio: codec === 'vp8' },
          gstOffers,
        });
        try {
          const r = await pollUntil(async () => {
            const s = await c.pageStats();
            const v = s.inVideo;
            const a = s.inAudio;
            const audioOk = codec !== 'vp8' || (a && a.packetsReceived > 0);
            return { s, done: v && v.framesDecoded >= 60 && audioOk };
          }, DEADLINE_MS);
          const v = r.s.inVideo;
          if (!r.done) assert.fail(await c.describeFailure(`Chromium decoded too little by ${DEADLINE_MS} ms`));
          assert.ok(v.framesDecoded >= 60, `framesDecoded ${v.framesDecoded}`);
          if (v.frameWidth !== 320 || v.frameHeight !== 240) {
            assert.fail(await c.describeFailure(`Chromium decoded ${v.frameWidth}x${v.frameHeight}, not 320x240`));
          }
          assert.equal(v.codec.toUpperCase(), codec === 'vp8' ? 'VIDEO/VP8' : 'VIDEO/H264');
          if (codec === 'vp8') {
            const a = r.s.inAudio;
            assert.equal(a.codec.toLowerCase(), 'audio/opus');
            assert.ok(a.packetsReceived > 0, `audio packetsReceived ${a.packetsReceived}`);
          }
          assert.deepEqual(c.pageErrors, []);
          const gs = await c.gst.stats();
          assert.deepEqual(gs.errors, []);
          assert.deepEqual(gs.candidate_errors, [], 'Chromium\'s candidates were refused');
          assert.equal(gs.states['connection-state'], 'connected');
          assert.deepEqual(await c.close(), { code: 0, signal: null },
            `rtcpeer.py did not exit cleanly (errors: ${JSON.stringify(c.gst.errors())})\n${c.gst.tail(30)}`);
        } finally {
          await c.close();
        }
      });
    }

    test('an ICE restart keeps the call', { skip: noChromium, timeout: 90000 }, async () => {
      const c = await call({
        gstArgs: ['--video', 'vp8', '--no-audio', '--size', '320x240'],
        pageOpts: { camera: false, recvVideo: true, recvAudio: false },
        gstOffers,
      });
      try {
        const first = await pollUntil(async () => {
          const s = await c.pageStats();
          return { s, done: s.inVideo && s.inVideo.framesDecoded >= 60 };
        }, DEADLINE_MS);
        if (!first.done) assert.fail(await c.describeFailure('no video before the restart'));
        const before = await c.page.evaluate(() => window.ufrags());
        // the offerer restarts: rtcbin's create-offer with ice-restart=true,
        // or Chromium's restartIce()
        if (gstOffers) c.gst.send({ cmd: 'restart' });
        else await c.page.evaluate(() => window.restartIce());
        const after = await pollUntil(async () => {
          const u = await c.page.evaluate(() => window.ufrags());
          return { u, done: u.signalingState === 'stable' && u.local !== before.local
                   && u.remote !== before.remote };
        }, DEADLINE_MS);
        if (!after.done) {
          assert.fail(await c.describeFailure(`the credentials did not change: ${JSON.stringify(before)} -> ${JSON.stringify(after.u)}`));
        }
        const framesAt = (await c.pageStats()).inVideo.framesDecoded;
        const more = await pollUntil(async () => {
          const s = await c.pageStats();
          return { s, done: s.inVideo.framesDecoded >= framesAt + 60 && s.connectionState === 'connected' };
        }, DEADLINE_MS);
        if (!more.done) assert.fail(await c.describeFailure(`video stopped after the restart (${framesAt} frames then)`));
        assert.deepEqual(c.pageErrors, []);
        const gs = await c.gst.stats();
        assert.deepEqual(gs.errors, []);
        assert.equal(gs.states['connection-state'], 'connected');
        assert.deepEqual(await c.close(), { code: 0, signal: null },
          `rtcpeer.py did not exit cleanly (errors: ${JSON.stringify(c.gst.errors())})\n${c.gst.tail(30)}`);
      } finally {
        await c.close();
      }
    });

    test('we decode Chromium\'s fake camera', { skip: noChromium, timeout: 90000 }, async () => {
      const c = await call({
        gstArgs: ['--video', 'none', '--no-audio', '--recv-video'],
        pageOpts: { camera: true, recvVideo: false, recvAudio: false },
        gstOffers,
      });
      try {
        const r = await pollUntil(async () => {
          const s = await c.gst.stats();
          return { s, done: s && s.video_frames >= 30 };
        }, DEADLINE_MS);
        if (!r.done) assert.fail(await c.describeFailure(`${ELEMENT} decoded too few frames by ${DEADLINE_MS} ms`));
        const video = r.s.streams.find((st) => st.kind === 'video');
        // Chromium says what it sent; we cannot have decoded more.
        const ps = await c.pageStats();
        assert.ok(ps.outVideo, await c.describeFailure('Chromium reports no outbound video'));
        assert.ok(ps.outVideo.framesSent >= r.s.video_frames,
          `Chromium sent ${ps.outVideo.framesSent} frames but ${r.s.video_frames} were decoded`);
        assert.equal(video.encoding, ps.outVideo.codec.split('/')[1].toUpperCase());
        // The fake camera is 640x480; Chromium may scale it down while its
        // bandwidth estimate ramps up, but never up, and keeps 4:3.
        assert.ok(video.width > 0 && video.width <= 640, `width ${video.width}`);
        assert.equal(video.width * 3, video.height * 4, `${video.width}x${video.height} is not 4:3`);
        assert.deepEqual(r.s.errors, []);
        assert.deepEqual(r.s.candidate_errors, [], 'Chromium\'s candidates were refused');
        assert.equal(r.s.states['connection-state'], 'connected');
        assert.deepEqual(c.pageErrors, []);
        assert.deepEqual(await c.close(), { code: 0, signal: null },
          `rtcpeer.py did not exit cleanly (errors: ${JSON.stringify(c.gst.errors())})\n${c.gst.tail(30)}`);
      } finally {
        await c.close();
      }
    });
  });
}
