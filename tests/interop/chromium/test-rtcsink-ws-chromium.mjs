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
  (async () => {
    for (;;) {
      const m = await next(3600000).catch(() => null);
      if (!m) return;
      if (m.type === 'candidate' && m.candidate) await pc.addIceCandidate(m);
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
    const mark = sink.lines.length;
    await page.evaluate(() => window.ws.close());
    await sink.waitLine(/rtcsink-viewer-removed/, 10000, 'viewer-removed', mark);
    await page.close();
  });
});
