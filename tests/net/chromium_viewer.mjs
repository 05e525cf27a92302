// SPDX-License-Identifier: LGPL-2.1-or-later
// Headless Chromium as a WHEP viewer of rtcsink, for the NAT lab: run it
// inside a LAN namespace (ip netns exec ... node chromium_viewer.mjs).
//
//   node chromium_viewer.mjs BASE_URL ICE_SERVERS_JSON MDNS SECONDS
//
// BASE_URL is rtcsink's origin (http://ADDR:PORT); ICE_SERVERS_JSON the
// RTCPeerConnection iceServers; MDNS "on" leaves Chromium's default
// mDNS hiding of host candidates on ("off" disables it). It opens a page of
// that origin, makes its own recvonly offer with those ICE servers, POSTs
// it to /whep (non-trickle: after gathering), and watches getStats for
// SECONDS. Prints one JSON line: connection state, ms until connected,
// frames decoded, the selected pair's candidate types, and the host
// candidates it offered (mDNS names or addresses).
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'interop', 'chromium', 'package.json'));
const { chromium } = require('playwright-core');

const [base, iceJson, mdns, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg || 10);
const home = mkdtempSync(path.join(tmpdir(), 'natlab-chromium-'));
process.env.HOME = home;

const args = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];
if (mdns === 'off') args.push('--disable-features=WebRtcHideLocalIpsWithMdns');

let browser;
let result;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true, args,
  });
  const page = await browser.newPage();
  // any page of rtcsink's origin, so that /whep is same-origin
  await page.goto(base + '/whep').catch(() => {});
  result = await page.evaluate(async ({ iceServers, seconds }) => {
    const started = performance.now();
    const pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    let connectedMs = null;
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'connected' && connectedMs === null)
        connectedMs = Math.round(performance.now() - started);
    });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') resolve();
      });
      setTimeout(resolve, 6000);
    });
    const offer = pc.localDescription.sdp;
    const hosts = offer.split(/\r?\n/).filter((l) => l.includes(' typ host'))
      .map((l) => l.split(' ')[4]);
    const response = await fetch('/whep', {
      method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: offer,
    });
    if (response.status !== 201) return { error: `WHEP answered ${response.status}`, hosts };
    await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
    const out = { hosts, framesDecoded: 0, local: null, remote: null };
    const until = performance.now() + seconds * 1000;
    while (performance.now() < until) {
      await new Promise((r) => setTimeout(r, 500));
      const report = await pc.getStats();
      const byId = new Map();
      report.forEach((e) => byId.set(e.id, e));
      report.forEach((e) => {
        if (e.type === 'inbound-rtp' && e.kind === 'video') out.framesDecoded = e.framesDecoded || 0;
        if (e.type === 'transport' && e.selectedCandidatePairId) {
          const pair = byId.get(e.selectedCandidatePairId);
          const l = pair && byId.get(pair.localCandidateId);
          const r = pair && byId.get(pair.remoteCandidateId);
          if (l) { out.local = l.candidateType; out.localAddress = `${l.address}:${l.port}`; }
          if (r) { out.remote = r.candidateType; out.remoteAddress = `${r.address}:${r.port}`; }
        }
      });
      if (out.framesDecoded >= 60) break;
    }
    out.state = pc.connectionState;
    out.connectedMs = connectedMs;
    pc.close();
    return out;
  }, { iceServers: JSON.parse(iceJson || '[]'), seconds });
} catch (e) {
  result = { error: String(e && e.message || e) };
} finally {
  if (browser) await browser.close().catch(() => {});
  rmSync(home, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
