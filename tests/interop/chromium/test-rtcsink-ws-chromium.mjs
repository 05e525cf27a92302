// SPDX-License-Identifier: LGPL-2.1-or-later
// rtcsink's /ws endpoint against Debian Chromium: a page opens
// ws://127.0.0.1:PORT/ws, sends bad JSON (an error comes back, the socket
// stays open), then its RTCPeerConnection's offer and trickled candidates
// exactly as the browser API gives them, applies the answer, and decodes
// more than 60 frames within 10 s. Closing the socket removes the viewer.
// The pipeline is gst-launch-1.0 -m (its element messages tell when a
// viewer was added or removed). Skips only when Chromium is missing.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import readline from 'node:readline';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

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

class Launch {
  constructor(args) {
    this.lines = [];
    this.exited = null;
    this.proc = spawn('gst-launch-1.0', ['-m', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.on('exit', (code, signal) => { this.exited = { code, signal }; });
    for (const stream of [this.proc.stdout, this.proc.stderr])
      readline.createInterface({ input: stream }).on('line', (line) => this.lines.push(line));
  }

  async waitLine(regex, ms, what, from = 0) {
    const deadline = Date.now() + ms;
    for (;;) {
      if (this.lines.slice(from).some((l) => regex.test(l))) return;
      if (this.exited) throw new Error(`gst-launch exited waiting for ${what}:\n${this.lines.slice(-30).join('\n')}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${this.lines.slice(-30).join('\n')}`);
      await sleep(100);
    }
  }

  async stop() {
    if (!this.exited) {
      this.proc.kill('SIGINT');
      const deadline = Date.now() + 10000;
      while (!this.exited && Date.now() < deadline) await sleep(50);
      if (!this.exited) this.proc.kill('SIGKILL');
    }
    const log = this.lines.join('\n');
    assert.ok(!/CRITICAL|AddressSanitizer/.test(log), log);
  }
}

// Runs in the page, after playThroughWs: new offers in the same session.
async function renegotiate() {
  const pc = window.pc;
  const ws = window.ws;
  const result = {};
  const waitFor = async (pred, ms) => {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error('timed out: ' + JSON.stringify({ errors: window.wsErrors }));
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const frames = async () => {
    let n = 0;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded || 0;
    });
    return n;
  };
  const remotePort = async () => {
    let port = null;
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) {
        const pair = stats.get(r.selectedCandidatePairId);
        const remote = pair && stats.get(pair.remoteCandidateId);
        if (remote) port = remote.port;
      }
    });
    return port;
  };
  const ufrag = (sdp) => /a=ice-ufrag:(\S+)/.exec(sdp)[1];

  // The same offer again: the same answer, nothing moves.
  const firstUfrag = ufrag(pc.remoteDescription.sdp);
  await pc.setLocalDescription(await pc.createOffer());
  ws.send(JSON.stringify(pc.localDescription));
  await waitFor(() => window.answers.length === 1, 5000);
  result.sameAnswerUfrag = ufrag(window.answers[0]) === firstUfrag;

  // An ICE restart: a new answer with new credentials; the path moves.
  const portBefore = await remotePort();
  pc.restartIce();
  await pc.setLocalDescription(await pc.createOffer());
  ws.send(JSON.stringify(pc.localDescription));
  await waitFor(() => window.answers.length === 2, 5000);
  result.restartedUfragDiffers = ufrag(window.answers[1]) !== firstUfrag;
  const deadline = Date.now() + 10000;
  let portAfter = portBefore;
  while (portAfter === portBefore && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    portAfter = await remotePort();
  }
  result.portMoved = portAfter !== portBefore;
  // Frames keep coming (a generous deadline: the machine may be busy).
  const grow = async (n, ms) => {
    const start = await frames();
    const until = Date.now() + ms;
    let now = start;
    while (now - start < n && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      now = await frames();
    }
    return now - start;
  };
  result.framesAfterRestart = await grow(30, 10000);

  // An offer that adds an m-line is refused; the session goes on.
  pc.addTransceiver('video', { direction: 'recvonly' });
  await pc.setLocalDescription(await pc.createOffer());
  ws.send(JSON.stringify(pc.localDescription));
  await waitFor(() => window.wsErrors.length === 1, 5000);
  result.addError = window.wsErrors[0];
  await pc.setLocalDescription({ type: 'rollback' });
  result.framesAfterRefusal = await grow(10, 10000);
  result.connectionState = pc.connectionState;
  return result;
}

// Runs in the page.
async function playThroughWs(wsUrl) {
  const result = { errors: [], framesDecoded: 0 };
  const ws = new WebSocket(wsUrl);
  const messages = [];
  let wake = null;
  ws.onmessage = (e) => { messages.push(JSON.parse(e.data)); if (wake) wake(); };
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  const next = async (ms) => {
    const deadline = Date.now() + ms;
    while (!messages.length) {
      if (Date.now() > deadline) throw new Error('no message from /ws');
      await new Promise((r) => { wake = r; setTimeout(r, 100); });
    }
    return messages.shift();
  };

  ws.send('{this is not json');
  result.errors.push(await next(5000));

  const pc = new RTCPeerConnection();
  window.pc = pc;
  window.ws = ws;
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.onicecandidate = (e) => ws.send(JSON.stringify(e.candidate ?
    { type: 'candidate', ...e.candidate.toJSON() } : { type: 'candidate', candidate: '' }));
  await pc.setLocalDescription();
  ws.send(JSON.stringify(pc.localDescription));
  const started = Date.now();
  for (;;) {
    const m = await next(10000);
    if (m.type === 'answer') { await pc.setRemoteDescription(m); break; }
    if (m.type === 'error') { result.errors.push(m); throw new Error(m.reason); }
  }
  window.answers = [];
  window.wsErrors = [];
  (async () => {
    for (;;) {
      const m = await next(3600000).catch(() => null);
      if (!m) return;
      if (m.type === 'candidate' && m.candidate) await pc.addIceCandidate(m).catch(() => {});
      else if (m.type === 'answer') {
        await pc.setRemoteDescription(m);
        window.answers.push(m.sdp);
      } else if (m.type === 'error') window.wsErrors.push(m.reason);
    }
  })();
  while (Date.now() - started < 10000) {
    const stats = await pc.getStats();
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') result.framesDecoded = s.framesDecoded || 0;
    });
    if (result.framesDecoded > 60) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  result.connectionState = pc.connectionState;
  result.elapsed = Date.now() - started;
  return result;
}

describe('rtcsink /ws and Chromium', { skip: haveChromium ? false : `${CHROMIUM} is not installed` }, () => {
  let browser;
  let sink;
  let port;

  before(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    port = await freePort();
    sink = new Launch(['videotestsrc', 'is-live=true', '!', 'video/x-raw,width=320,height=240,framerate=30/1',
      '!', 'rtcsink', 'name=s', `port=${port}`, 'address=127.0.0.1',
      'audiotestsrc', 'is-live=true', 'wave=ticks', '!', 's.']);
    await sink.waitLine(/rtcsink-listening/, 15000, 'the sink to listen');
  });

  after(async () => {
    if (browser) await browser.close();
    if (sink) await sink.stop();
  });

  test('a page plays through /ws; bad JSON gets an error; closing removes the viewer', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.setContent('<!doctype html><title>ws</title>');
    const result = await page.evaluate(playThroughWs, `ws://127.0.0.1:${port}/ws`);
    assert.equal(result.errors[0].type, 'error', JSON.stringify(result));
    assert.match(result.errors[0].reason, /bad message/);
    assert.equal(result.connectionState, 'connected', JSON.stringify(result));
    assert.ok(result.framesDecoded > 60, JSON.stringify(result));
    await sink.waitLine(/rtcsink-viewer-added/, 5000, 'viewer-added');

    // Renegotiation in the same session: answered, not refused.
    const again = await page.evaluate(renegotiate);
    console.log(`# renegotiation over /ws: ${JSON.stringify(again)}`);
    assert.equal(again.sameAnswerUfrag, true, JSON.stringify(again));
    assert.equal(again.restartedUfragDiffers, true, JSON.stringify(again));
    assert.equal(again.portMoved, true, JSON.stringify(again));
    assert.ok(again.framesAfterRestart >= 30, JSON.stringify(again));
    assert.match(again.addError, /adds or removes m-lines/);
    assert.ok(again.framesAfterRefusal >= 10, JSON.stringify(again));
    assert.equal(again.connectionState, 'connected');
    assert.ok(!sink.lines.some((l) => /rtcsink-viewer-removed/.test(l)), 'the viewer stays');

    const mark = sink.lines.length;
    await page.evaluate(() => window.ws.close());
    await sink.waitLine(/rtcsink-viewer-removed/, 10000, 'viewer-removed', mark);
    await page.close();
  });
});
