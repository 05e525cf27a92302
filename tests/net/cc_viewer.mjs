// SPDX-License-Identifier: LGPL-2.1-or-later
// Headless Chromium as a WHEP viewer that records its receive statistics
// over time, for the congestion tests and the bench's step test. Run it
// inside a lab namespace (ip netns exec ... node cc_viewer.mjs).
//
//   node cc_viewer.mjs WHEP_URL SECONDS [AUDIO]
//
// Offers recvonly video (and audio when AUDIO is "audio"), POSTs the offer
// (after gathering) to WHEP_URL, then samples getStats every 250 ms for
// SECONDS. Prints one JSON line: {state, connectedWall, samples: [{wall
// (Date.now() ms), bytes, frames (decoded), framesReceived, lost, packets,
// jitter (s), rtt (s, the selected pair's currentRoundTripTime), nack,
// rtx (retransmittedPacketsReceived), freeze (freezeCount), width and height
// (of the frames decoded)}]}.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'interop', 'chromium', 'package.json'));
const { chromium } = require('playwright-core');

const [url, secondsArg, audioArg] = process.argv.slice(2);
const seconds = Number(secondsArg || 10);
const home = mkdtempSync(path.join(tmpdir(), 'cc-chromium-'));
process.env.HOME = home;

const args = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

let browser;
let result;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true, args,
  });
  const page = await browser.newPage();
  // Same origin as the WHEP endpoint, but not rtcsink's viewer page at
  // '/': that page would start a WHEP session of its own, a second viewer
  // on the same (capped) link.
  await page.goto(url).catch(() => {});
  result = await page.evaluate(async ({ url, seconds, audio }) => {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    if (audio) pc.addTransceiver('audio', { direction: 'recvonly' });
    let connectedWall = null;
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'connected' && connectedWall === null) connectedWall = Date.now();
    });
    // decode for real: a playing <video> element
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    document.body.appendChild(video);
    pc.addEventListener('track', (e) => {
      if (e.track.kind === 'video') { video.srcObject = new MediaStream([e.track]); video.play().catch(() => {}); }
    });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') resolve();
      });
      setTimeout(resolve, 6000);
    });
    const response = await fetch(url, {
      method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp,
    });
    if (response.status !== 201) return { error: `WHEP answered ${response.status}` };
    await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
    const samples = [];
    const until = performance.now() + seconds * 1000;
    while (performance.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      const report = await pc.getStats();
      const byId = new Map();
      report.forEach((e) => byId.set(e.id, e));
      const s = { wall: Date.now(), bytes: 0, frames: 0, framesReceived: 0, lost: 0, packets: 0,
        jitter: null, rtt: null, nack: 0, rtx: 0, freeze: 0, pli: 0, keyframes: 0, dropped: 0,
        width: 0, height: 0 };
      report.forEach((e) => {
        if (e.type === 'inbound-rtp' && e.kind === 'video') {
          s.bytes = e.bytesReceived || 0;
          s.frames = e.framesDecoded || 0;
          s.framesReceived = e.framesReceived || 0;
          s.lost = e.packetsLost || 0;
          s.packets = e.packetsReceived || 0;
          s.jitter = e.jitter ?? null;
          s.nack = e.nackCount || 0;
          s.rtx = e.retransmittedPacketsReceived || 0;
          s.fec = e.fecPacketsReceived || 0;
          s.freeze = e.freezeCount || 0;
          s.pli = e.pliCount || 0;
          s.keyframes = e.keyFramesDecoded || 0;
          s.dropped = e.framesDropped || 0;
          s.width = e.frameWidth || 0;
          s.height = e.frameHeight || 0;
        }
        if (e.type === 'transport' && e.selectedCandidatePairId) {
          const pair = byId.get(e.selectedCandidatePairId);
          if (pair && pair.currentRoundTripTime !== undefined) s.rtt = pair.currentRoundTripTime;
        }
      });
      samples.push(s);
    }
    const out = { state: pc.connectionState, connectedWall, samples };
    pc.close();
    return out;
  }, { url, seconds, audio: audioArg === 'audio' });
} catch (e) {
  result = { error: String(e && e.message || e) };
} finally {
  if (browser) await browser.close().catch(() => {});
  rmSync(home, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
