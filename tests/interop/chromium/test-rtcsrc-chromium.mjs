// SPDX-License-Identifier: LGPL-2.1-or-later
// rtcsrc as a WHIP endpoint, with Debian Chromium publishing into it.
//
// The GStreamer side is a small Python GI program (below, run with
// /usr/bin/python3): `rtcsrc port=PORT`, a fakesink behind each pad it
// adds, and a probe counting the buffers of each pad. It prints one JSON
// line per event (listening, pad-added, rtcsrc-connected/-disconnected,
// warnings) and its counts every 250 ms.
//
// Chromium (headless, playwright-core, fake camera and microphone) loads a
// page at http://127.0.0.1:PORT/publish.html, which playwright serves
// itself (page.route), so that the page's origin is the WHIP endpoint's:
// a secure context (loopback), no CORS. The page POSTs its offer (after
// ICE gathering) to /whip, sets the answer, and DELETEs the resource at
// the end.
//   - rtcsrc decodes more than 60 video frames of the fake camera;
//   - the page hangs up and publishes again: the same pads carry the new
//     session (no pad added or removed), frames flow again.
//   - a page that closes without DELETE is dropped (media-timeout) and the
//     next page's session comes out of the same pads;
//   - the page restarts ICE (restartIce(), PATCH, our 200 applied): the
//     path moves, frames keep coming, the old ETag gets 412;
//   - over HTTPS (rtcsrc tls-certificate=, a self-signed certificate made
//     with openssl, --ignore-certificate-errors): a page publishes.
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

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
];

const SRC_SCRIPT = String.raw`
import json, sys, threading
import gi
gi.require_version('Gst', '1.0')
from gi.repository import GLib, Gst

Gst.init(None)
port = int(sys.argv[1])
pipeline = Gst.Pipeline.new()
src = Gst.ElementFactory.make('rtcsrc', 'src')
src.set_property('port', port)
src.set_property('address', '127.0.0.1')
if len(sys.argv) > 2:
    src.set_property('tls-certificate', sys.argv[2])
pipeline.add(src)
loop = GLib.MainLoop()
lock = threading.Lock()
counts = {}
caps = {}

def say(**message):
    print(json.dumps(message), flush=True)

def probe(pad, info):
    name = pad.get_name()
    if info.type & Gst.PadProbeType.BUFFER:
        with lock:
            counts[name] = counts.get(name, 0) + 1
    else:
        event = info.get_event()
        if event.type == Gst.EventType.CAPS:
            with lock:
                caps[name] = event.parse_caps().to_string()
        elif event.type == Gst.EventType.EOS:
            say(event='eos', pad=name)
    return Gst.PadProbeReturn.OK

def on_pad_added(element, pad):
    say(event='pad-added', pad=pad.get_name())
    pad.add_probe(Gst.PadProbeType.BUFFER | Gst.PadProbeType.EVENT_DOWNSTREAM, probe)
    queue = Gst.ElementFactory.make('queue')
    sink = Gst.ElementFactory.make('fakesink')
    sink.set_property('sync', False)
    sink.set_property('async', False)
    pipeline.add(queue)
    pipeline.add(sink)
    queue.link(sink)
    sink.sync_state_with_parent()
    queue.sync_state_with_parent()
    pad.link(queue.get_static_pad('sink'))

src.connect('pad-added', on_pad_added)
src.connect('pad-removed', lambda e, p: say(event='pad-removed', pad=p.get_name()))

def on_message(bus, message):
    if message.type == Gst.MessageType.ERROR:
        error, debug = message.parse_error()
        say(event='error', message=error.message, debug=debug)
        loop.quit()
    elif message.type == Gst.MessageType.WARNING:
        error, debug = message.parse_warning()
        say(event='warning', message=error.message)
    elif message.type == Gst.MessageType.ELEMENT and message.src == src:
        s = message.get_structure()
        fields = {s.nth_field_name(i): str(s.get_value(s.nth_field_name(i))) for i in range(s.n_fields())}
        say(event=s.get_name(), **fields)
    return True

def report():
    with lock:
        say(event='counts', counts=dict(counts), caps=dict(caps))
    return True

bus = pipeline.get_bus()
bus.add_signal_watch()
bus.connect('message', on_message)
GLib.timeout_add(250, report)
GLib.io_add_watch(GLib.IOChannel.unix_new(0), GLib.PRIORITY_DEFAULT,
                  GLib.IOCondition.IN | GLib.IOCondition.HUP, lambda *a: loop.quit())
if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
    say(event='error', message='could not start the pipeline')
    sys.exit(1)
loop.run()
pipeline.set_state(Gst.State.NULL)
say(event='stopped')
`;

// The publishing page: getUserMedia, one RTCPeerConnection, WHIP.
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>WHIP publisher</title>
<script>
'use strict';
window.pc = null;
window.resource = null;
window.publish = async function () {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: true });
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  window.pc = pc;
  for (const track of stream.getTracks())
    pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    });
    setTimeout(resolve, 2000);
  });
  const response = await fetch('/whip', {
    method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp,
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error('WHIP POST: ' + response.status + ' ' + text);
  window.resource = response.headers.get('Location');
  window.etag = response.headers.get('ETag');
  await pc.setRemoteDescription({ type: 'answer', sdp: text });
  return window.resource;
};
// ICE restart (RFC 9725): restartIce(), PATCH our new credentials and
// candidates, apply the endpoint's new ones to the answer we have.
window.restartIce = async function () {
  const pc = window.pc;
  pc.restartIce();
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    });
    setTimeout(resolve, 2000);
  });
  const lines = pc.localDescription.sdp.split('\\r\\n');
  const first = lines.findIndex((l) => l.startsWith('m='));
  const second = lines.findIndex((l, i) => i > first && l.startsWith('m='));
  const section = lines.slice(first, second < 0 ? lines.length : second);
  const frag = [lines.find((l) => l.startsWith('a=ice-ufrag:')), lines.find((l) => l.startsWith('a=ice-pwd:')),
    section[0], section.find((l) => l.startsWith('a=mid:')),
    ...section.filter((l) => l.startsWith('a=candidate:')), 'a=end-of-candidates'].join('\\r\\n') + '\\r\\n';
  const response = await fetch(window.resource, {
    method: 'PATCH', body: frag,
    headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': '*' },
  });
  const text = await response.text();
  if (response.status !== 200) return { status: response.status, text };
  const newEtag = response.headers.get('ETag');
  const value = (prefix) => text.split('\\r\\n').find((l) => l.startsWith(prefix));
  const candidates = text.split('\\r\\n').filter((l) => l.startsWith('a=candidate:'));
  const answer = [];
  let index = -1;
  for (const line of pc.remoteDescription.sdp.split('\\r\\n')) {
    if (!line) continue;
    if (line.startsWith('m=')) {
      if (index === 0) answer.push(...candidates, 'a=end-of-candidates');
      index++;
    }
    if (line.startsWith('a=candidate:') || line === 'a=end-of-candidates') continue;
    if (line.startsWith('a=ice-ufrag:')) answer.push(value('a=ice-ufrag:'));
    else if (line.startsWith('a=ice-pwd:')) answer.push(value('a=ice-pwd:'));
    else answer.push(line);
  }
  if (index === 0) answer.push(...candidates, 'a=end-of-candidates');
  await pc.setRemoteDescription({ type: 'answer', sdp: answer.join('\\r\\n') + '\\r\\n' });
  const old = window.etag;
  window.etag = newEtag;
  return { status: 200, oldEtag: old, etag: newEtag, text };
};
window.remotePort = async function () {
  let port = null;
  const stats = await window.pc.getStats();
  stats.forEach((r) => {
    if (r.type === 'transport' && r.selectedCandidatePairId) {
      const pair = stats.get(r.selectedCandidatePairId);
      const remote = pair && stats.get(pair.remoteCandidateId);
      if (remote) port = remote.port;
    }
  });
  return port;
};
window.outbound = async function () {
  const out = {};
  if (!window.pc) return out;
  (await window.pc.getStats()).forEach((r) => {
    if (r.type === 'outbound-rtp') out[r.kind] = { packetsSent: r.packetsSent, framesEncoded: r.framesEncoded };
  });
  out.connectionState = window.pc.connectionState;
  return out;
};
window.hangUp = async function () {
  const response = await fetch(window.resource, { method: 'DELETE' });
  window.pc.close();
  window.pc = null;
  for (const s of window.streams || []) s.getTracks().forEach((t) => t.stop());
  return response.status;
};
</script>`;

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

class SrcProcess {
  constructor(port, tlsCertificate = null) {
    this.events = [];
    this.stderr = [];
    this.exited = null;
    const args = ['-c', SRC_SCRIPT, String(port)];
    if (tlsCertificate) args.push(tlsCertificate);
    this.proc = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
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

  get counts() {
    for (let i = this.events.length - 1; i >= 0; i--)
      if (this.events[i].event === 'counts') return this.events[i];
    return { counts: {}, caps: {} };
  }

  frames(pad) { return this.counts.counts[pad] || 0; }

  async waitFor(pred, ms, what) {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events.find(pred);
      if (found) return found;
      const error = this.events.find((e) => e.event === 'error');
      if (error) throw new Error(`pipeline error: ${error.message} (${error.debug})`);
      if (this.exited) throw new Error(`rtcsrc exited (${JSON.stringify(this.exited)}) waiting for ${what}\n${this.stderr.slice(-30).join('\n')}`);
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; last counts ${JSON.stringify(this.counts)}; ` +
          `events ${JSON.stringify(this.events.filter((e) => e.event !== 'counts'))}\n${this.stderr.slice(-30).join('\n')}`);
      }
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
    assert.equal(this.exited.code, 0, `rtcsrc exited with ${JSON.stringify(this.exited)}\n${log}`);
    assert.ok(!/CRITICAL|AddressSanitizer/.test(log), log);
  }
}

describe('Chromium publishes into rtcsrc by WHIP', { skip: haveChromium ? false : `${CHROMIUM} is not installed` }, () => {
  let browser;
  let src;
  let port;

  before(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    port = await freePort();
    src = new SrcProcess(port);
    await src.waitFor((e) => e.event === 'rtcsrc-listening', 15000, 'rtcsrc to listen');
  });

  after(async () => {
    if (browser) await browser.close();
    if (src) await src.stop();
  });

  test('rtcsrc decodes the fake camera; a second session comes out of the same pads', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const origin = `http://127.0.0.1:${port}`;
    await page.route(`${origin}/publish.html`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: PAGE }));
    try {
      await page.goto(`${origin}/publish.html`);
      const started = Date.now();
      const resource = await page.evaluate(() => window.publish());
      assert.match(resource, /^\/whip\/[0-9a-f]+$/);
      await src.waitFor((e) => e.event === 'rtcsrc-connected', 15000, 'rtcsrc-connected');
      const deadline = Date.now() + 20000;
      while (src.frames('video_0') <= 60 && Date.now() < deadline) await sleep(200);
      const first = src.counts;
      assert.ok(src.frames('video_0') > 60,
        `rtcsrc decoded ${src.frames('video_0')} frames: ${JSON.stringify(first)} ${JSON.stringify(await page.evaluate(() => window.outbound()))}`);
      assert.match(first.caps.video_0, /^video\/x-raw/);
      assert.ok((first.counts.audio_0 || 0) > 0, `audio: ${JSON.stringify(first)}`);
      console.log(`# ${src.frames('video_0')} frames in ${Date.now() - started} ms: ${first.caps.video_0}`);

      // Hang up (DELETE), then publish again: the same pads carry it.
      assert.equal(await page.evaluate(() => window.hangUp()), 200);
      const gone = await src.waitFor((e) => e.event === 'rtcsrc-disconnected', 10000, 'rtcsrc-disconnected');
      assert.match(gone.reason, /DELETE/);
      const before = src.frames('video_0');
      await page.evaluate(() => window.publish());
      const deadline2 = Date.now() + 20000;
      while (src.frames('video_0') <= before + 60 && Date.now() < deadline2) await sleep(200);
      assert.ok(src.frames('video_0') > before + 60, `second session: ${before} -> ${src.frames('video_0')}`);
      const pads = src.events.filter((e) => e.event === 'pad-added').map((e) => e.pad).sort();
      assert.deepEqual(pads, ['audio_0', 'video_0']);
      assert.ok(!src.events.some((e) => e.event === 'pad-removed' || e.event === 'eos'),
        JSON.stringify(src.events.filter((e) => e.event !== 'counts')));
      assert.equal(await page.evaluate(() => window.hangUp()), 200);
    } finally {
      await context.close();
    }
  });

  test('the publisher restarts ICE through PATCH; frames keep coming', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const origin = `http://127.0.0.1:${port}`;
    await page.route(`${origin}/publish.html`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: PAGE }));
    try {
      await page.goto(`${origin}/publish.html`);
      const disconnects = () => src.events.filter((e) => e.event === 'rtcsrc-disconnected').length;
      const gone = disconnects();
      await page.evaluate(() => window.publish());
      let before = src.frames('video_0');
      let deadline = Date.now() + 20000;
      while (src.frames('video_0') <= before + 30 && Date.now() < deadline) await sleep(200);
      assert.ok(src.frames('video_0') > before + 30, 'the page publishes');
      const portBefore = await page.evaluate(() => window.remotePort());

      const result = await page.evaluate(() => window.restartIce());
      assert.equal(result.status, 200, JSON.stringify(result));
      assert.match(result.text, /^a=ice-ufrag:/m);
      assert.match(result.text, /^a=candidate:/m);
      assert.notEqual(result.etag, result.oldEtag);
      // The old ETag is stale now.
      const stale = await page.evaluate(async (etag) => (await fetch(window.resource, {
        method: 'PATCH', body: 'a=end-of-candidates\r\n',
        headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': etag },
      })).status, result.oldEtag);
      assert.equal(stale, 412);

      // The path moves to the restarted ICE stream and frames keep coming
      // in the same session.
      deadline = Date.now() + 15000;
      let portAfter = portBefore;
      while (portAfter === portBefore && Date.now() < deadline) {
        await sleep(200);
        portAfter = await page.evaluate(() => window.remotePort());
      }
      assert.notEqual(portAfter, portBefore, 'the selected pair moved to the new ICE stream');
      before = src.frames('video_0');
      deadline = Date.now() + 10000;
      while (src.frames('video_0') < before + 20 && Date.now() < deadline) await sleep(200);
      assert.ok(src.frames('video_0') >= before + 20, `frames after the restart: ${before} -> ${src.frames('video_0')}`);
      assert.equal(disconnects(), gone, JSON.stringify(src.events.filter((e) => e.event !== 'counts')));
      console.log(`# rtcsrc WHIP ICE restart: port ${portBefore} -> ${portAfter}`);
      assert.equal(await page.evaluate(() => window.hangUp()), 200);
    } finally {
      await context.close();
    }
  });

  test('a publisher that vanishes without DELETE makes way for the next one', async () => {
    const origin = `http://127.0.0.1:${port}`;
    const openPage = async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.route(`${origin}/publish.html`, (route) =>
        route.fulfill({ status: 200, contentType: 'text/html', body: PAGE }));
      await page.goto(`${origin}/publish.html`);
      return { context, page };
    };
    const disconnects = () => src.events.filter((e) => e.event === 'rtcsrc-disconnected').length;
    const first = await openPage();
    await first.page.evaluate(() => window.publish());
    let before = src.frames('video_0');
    let deadline = Date.now() + 20000;
    while (src.frames('video_0') <= before + 30 && Date.now() < deadline) await sleep(200);
    assert.ok(src.frames('video_0') > before + 30, 'the first page publishes');
    const gone = disconnects();
    // No more HTTP from the page: only the media path can tell rtcsrc.
    await first.page.evaluate(() => { window.fetch = () => new Promise(() => {}); });
    const closedAt = Date.now();
    await first.context.close();
    deadline = Date.now() + 20000;
    while (disconnects() === gone && Date.now() < deadline) await sleep(100);
    assert.ok(disconnects() > gone, 'rtcsrc notices the page is gone');
    const reason = src.events.filter((e) => e.event === 'rtcsrc-disconnected').pop().reason;
    console.log(`# publisher gone ${Date.now() - closedAt} ms after its page closed: ${reason}`);

    const second = await openPage();
    try {
      await second.page.evaluate(() => window.publish());
      before = src.frames('video_0');
      deadline = Date.now() + 20000;
      while (src.frames('video_0') <= before + 60 && Date.now() < deadline) await sleep(200);
      assert.ok(src.frames('video_0') > before + 60, `the next publisher: ${before} -> ${src.frames('video_0')}`);
      const pads = src.events.filter((e) => e.event === 'pad-added').map((e) => e.pad).sort();
      assert.deepEqual(pads, ['audio_0', 'video_0']);
      assert.equal(await second.page.evaluate(() => window.hangUp()), 200);
    } finally {
      await second.context.close();
    }
  });

  test('over HTTPS: a page publishes to rtcsrc with tls-certificate', async () => {
    // A self-signed certificate made now; Chromium ignores the errors.
    const dir = mkdtempSync(join(tmpdir(), 'rtcsrc-tls-'));
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    writeFileSync(join(dir, 'both.pem'),
      readFileSync(join(dir, 'cert.pem'), 'utf8') + readFileSync(join(dir, 'key.pem'), 'utf8'));
    const { chromium } = await import('playwright-core');
    const tlsBrowser = await chromium.launch({
      executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, '--ignore-certificate-errors'],
    });
    const tlsPort = await freePort();
    const tlsSrc = new SrcProcess(tlsPort, join(dir, 'both.pem'));
    try {
      const listening = await tlsSrc.waitFor((e) => e.event === 'rtcsrc-listening', 15000, 'rtcsrc to listen');
      assert.match(listening.url, /^https:/);
      const context = await tlsBrowser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      const origin = `https://127.0.0.1:${tlsPort}`;
      await page.route(`${origin}/publish.html`, (route) =>
        route.fulfill({ status: 200, contentType: 'text/html', body: PAGE }));
      await page.goto(`${origin}/publish.html`);
      assert.equal(await page.evaluate(() => window.isSecureContext), true);
      await page.evaluate(() => window.publish());
      await tlsSrc.waitFor((e) => e.event === 'rtcsrc-connected', 15000, 'rtcsrc-connected');
      const deadline = Date.now() + 20000;
      while (tlsSrc.frames('video_0') <= 30 && Date.now() < deadline) await sleep(200);
      assert.ok(tlsSrc.frames('video_0') > 30, `rtcsrc decoded ${tlsSrc.frames('video_0')} frames over HTTPS`);
      assert.equal(await page.evaluate(() => window.hangUp()), 200);
      await context.close();
    } finally {
      await tlsBrowser.close();
      await tlsSrc.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
