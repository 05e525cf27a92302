// SPDX-License-Identifier: LGPL-2.1-or-later
// The rtcsink viewer: a WHEP client in plain JavaScript, no build step.
//
// It offers to receive one video and one audio track, POSTs the offer to
// /whep once ICE gathering is done (so no trickle is needed), plays the
// answer's tracks, shows live statistics, and reconnects with backoff when
// the connection fails, the server goes away or the stream stalls.
//
// When ICE fails (or stays disconnected), it first restarts ICE in place
// (restartIce(), then a WHEP PATCH with the new credentials, RFC 9725 /
// WHEP: the server answers 200 with its own new ones); only if that fails
// does it start a new session.
//
// For tests and scripts: window.rtcStats holds the latest figures (see
// emptyStats below), window.rtcViewer has connect(), disconnect() and
// restartIce().
'use strict';

(() => {
  const params = new URLSearchParams(location.search);
  const endpoint = params.get('whep') || new URL('whep', location.href).href;
  const token = params.get('token');

  const GATHER_TIMEOUT_MS = 2000;
  const STATS_INTERVAL_MS = 1000;
  const BACKOFF_FIRST_MS = 1000;
  const BACKOFF_MAX_MS = 15000;
  // A connected session that receives nothing for this long is dead, even
  // if ICE has not noticed yet (the sink stopped, or dropped us).
  // (A sink that stops sends DTLS close_notify, which Chromium ignores.)
  const STALL_MS = 4000;
  const DISCONNECTED_GRACE_MS = 5000;

  const video = document.getElementById('video');
  const stateLabel = document.getElementById('state');
  const cells = {
    video: document.getElementById('stat-video'),
    bitrate: document.getElementById('stat-bitrate'),
    frames: document.getElementById('stat-frames'),
    rtt: document.getElementById('stat-rtt'),
    path: document.getElementById('stat-path'),
    message: document.getElementById('stat-message'),
  };

  const emptyStats = () => ({
    state: 'new',            // new, connecting, connected, retrying, failed, ...
    connectionState: 'new',  // RTCPeerConnection.connectionState
    resource: null,          // the WHEP session URL
    connects: 0,             // sessions answered (201)
    attempts: 0,
    iceRestarts: 0,          // ICE restarts answered (200 to PATCH)
    iceRestartError: null,   // why the last one failed, if it did
    framesDecoded: 0,
    framesPerSecond: 0,
    frameWidth: 0,
    frameHeight: 0,
    videoCodec: null,
    audioCodec: null,
    videoBitrate: 0,         // bit/s
    audioBitrate: 0,
    bytesReceived: 0,
    packetsLost: 0,
    roundTripTime: null,     // seconds
    firstFrameMs: null,      // from the answer to the first frame shown
    localCandidateType: null,
    remoteCandidateType: null,
    remoteAddress: null,     // of the selected pair: the sink's side
    remotePort: null,
    error: null,
  });
  window.rtcStats = emptyStats();

  let pc = null;
  let resource = null;
  let etag = null;
  let restarting = false;
  let restartTried = false;  // once per connected episode
  let generation = 0;
  let backoff = BACKOFF_FIRST_MS;
  let retryTimer = null;
  let disconnectedTimer = null;
  let statsTimer = null;
  let last = null;          // previous stats sample, for rates
  let lastProgress = 0;     // when bytes last grew

  function authHeaders(extra) {
    const headers = Object.assign({}, extra);
    if (token) headers.Authorization = 'Bearer ' + token;
    return headers;
  }

  function setState(state, message) {
    window.rtcStats.state = state;
    stateLabel.textContent = state;
    stateLabel.dataset.state = state;
    if (message !== undefined) {
      window.rtcStats.error = message;
      cells.message.textContent = message || '–';
    }
  }

  function waitForGathering(peer) {
    if (peer.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, GATHER_TIMEOUT_MS);
      peer.addEventListener('icegatheringstatechange', () => {
        if (peer.iceGatheringState === 'complete') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  // Ends the session: DELETE the resource (best effort) and close.
  function teardown() {
    generation++;
    clearTimeout(disconnectedTimer);
    clearInterval(statsTimer);
    statsTimer = null;
    if (resource) {
      fetch(resource, { method: 'DELETE', headers: authHeaders(), keepalive: true })
        .catch(() => {});
      resource = null;
      etag = null;
      window.rtcStats.resource = null;
    }
    if (pc) {
      pc.close();
      pc = null;
    }
    last = null;
  }

  function scheduleReconnect(why) {
    teardown();
    clearTimeout(retryTimer);
    setState('retrying', `${why}; retrying in ${Math.round(backoff / 1000)} s`);
    retryTimer = setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
  }

  // The lines of an SDP, split into the session part and m-sections.
  function sdpSections(sdp) {
    const sections = [[]];
    for (const line of sdp.split(/\r?\n/)) {
      if (!line) continue;
      if (line.startsWith('m=')) sections.push([]);
      sections[sections.length - 1].push(line);
    }
    return sections;
  }

  function sdpValue(sections, prefix) {
    for (const section of sections) {
      const line = section.find((l) => l.startsWith(prefix));
      if (line) return line.slice(prefix.length);
    }
    return null;
  }

  // The trickle-ice-sdpfrag (RFC 8840) of an ICE restart: our new
  // credentials and the first (BUNDLE) m-section's candidates.
  function restartFragment(sdp) {
    const sections = sdpSections(sdp);
    const first = sections[1] || [];
    const lines = [
      'a=ice-ufrag:' + sdpValue(sections, 'a=ice-ufrag:'),
      'a=ice-pwd:' + sdpValue(sections, 'a=ice-pwd:'),
    ];
    if (first.length) lines.push(first[0]);
    const mid = first.find((l) => l.startsWith('a=mid:'));
    if (mid) lines.push(mid);
    for (const line of first) {
      if (line.startsWith('a=candidate:')) lines.push(line);
    }
    lines.push('a=end-of-candidates');
    return lines.join('\r\n') + '\r\n';
  }

  // The answer we had, with the server's new credentials and candidates.
  function restartedAnswer(answer, fragment) {
    const frag = sdpSections(fragment);
    const ufrag = sdpValue(frag, 'a=ice-ufrag:');
    const pwd = sdpValue(frag, 'a=ice-pwd:');
    const candidates = frag.flat().filter((l) => l.startsWith('a=candidate:'));
    if (!ufrag || !pwd) throw new Error('the ICE restart answer has no credentials');
    const sections = sdpSections(answer);
    const out = [];
    sections.forEach((section, index) => {
      for (const line of section) {
        if (line.startsWith('a=candidate:') || line === 'a=end-of-candidates') continue;
        if (line.startsWith('a=ice-ufrag:')) out.push('a=ice-ufrag:' + ufrag);
        else if (line.startsWith('a=ice-pwd:')) out.push('a=ice-pwd:' + pwd);
        else out.push(line);
      }
      if (index > 0) {
        out.push(...candidates);
        if (sdpValue(frag, 'a=end-of-candidates') !== null) out.push('a=end-of-candidates');
      }
    });
    return out.join('\r\n') + '\r\n';
  }

  // Restarts ICE on the current session. Resolves true when the server
  // answered and the new credentials are applied.
  async function restartIce(why) {
    const peer = pc;
    const mine = generation;
    if (!peer || !resource || restarting) return false;
    restarting = true;
    window.rtcStats.iceRestartError = null;
    setState('restarting', why ? `${why}; restarting ICE` : 'restarting ICE');
    try {
      peer.restartIce();
      await peer.setLocalDescription(await peer.createOffer());
      await waitForGathering(peer);
      if (mine !== generation) return false;
      const response = await fetch(resource, {
        method: 'PATCH',
        // '*': whatever our ETag is, this restarts the session's ICE.
        headers: authHeaders({ 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': '*' }),
        body: restartFragment(peer.localDescription.sdp),
      });
      if (mine !== generation) return false;
      const text = await response.text();
      if (response.status !== 200) {
        throw new Error(`ICE restart: ${response.status}${text.trim() ? ': ' + text.trim() : ''}`);
      }
      etag = response.headers.get('ETag') || etag;
      await peer.setRemoteDescription({
        type: 'answer', sdp: restartedAnswer(peer.remoteDescription.sdp, text),
      });
      window.rtcStats.iceRestarts++;
      if (peer.connectionState === 'connected') setState('connected', '');
      return true;
    } catch (error) {
      window.rtcStats.iceRestartError = String(error.message || error);
      return false;
    } finally {
      restarting = false;
    }
  }

  // ICE failed or stayed disconnected: restart it in place once, else a
  // new session.
  async function recover(why) {
    const mine = generation;
    if (!restartTried && resource) {
      restartTried = true;
      if (await restartIce(why)) return;
    }
    if (mine === generation) scheduleReconnect(why);
  }

  async function connect() {
    clearTimeout(retryTimer);
    teardown();
    const mine = generation;
    // Per-session figures start again; the counters go on.
    const { attempts, connects } = window.rtcStats;
    window.rtcStats = Object.assign(emptyStats(), { attempts: attempts + 1, connects });
    setState('connecting', '');

    const peer = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    pc = peer;
    peer.addTransceiver('video', { direction: 'recvonly' });
    peer.addTransceiver('audio', { direction: 'recvonly' });
    const stream = new MediaStream();
    peer.ontrack = (event) => {
      stream.addTrack(event.track);
      if (video.srcObject !== stream) video.srcObject = stream;
      video.play().catch(() => {});
    };
    peer.onconnectionstatechange = () => {
      if (mine !== generation) return;
      const state = peer.connectionState;
      window.rtcStats.connectionState = state;
      clearTimeout(disconnectedTimer);
      if (state === 'connected') {
        backoff = BACKOFF_FIRST_MS;
        lastProgress = performance.now();
        restartTried = false;
        setState('connected', '');
      } else if (state === 'failed') {
        if (!restarting) recover('the connection failed');
      } else if (state === 'closed') {
        // The sink stopped (DTLS close_notify).
        scheduleReconnect('the connection was closed');
      } else if (state === 'disconnected') {
        setState('disconnected');
        disconnectedTimer = setTimeout(() => {
          if (mine === generation && !restarting) recover('the connection was lost');
        }, DISCONNECTED_GRACE_MS);
      }
    };

    try {
      await peer.setLocalDescription(await peer.createOffer());
      await waitForGathering(peer);
      if (mine !== generation) return;
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: authHeaders({ 'Content-Type': 'application/sdp' }),
        body: peer.localDescription.sdp,
      });
      if (mine !== generation) return;
      if (response.status !== 201) {
        const text = (await response.text()).trim();
        throw new Error(`WHEP ${response.status}${text ? ': ' + text : ''}`);
      }
      const location = response.headers.get('Location');
      etag = response.headers.get('ETag');
      restartTried = false;
      if (location) {
        resource = new URL(location, endpoint).href;
        window.rtcStats.resource = resource;
      }
      const answer = await response.text();
      const answered = performance.now();
      await peer.setRemoteDescription({ type: 'answer', sdp: answer });
      window.rtcStats.connects++;
      window.rtcStats.firstFrameMs = null;
      if (video.requestVideoFrameCallback) {
        video.requestVideoFrameCallback(() => {
          if (mine === generation) window.rtcStats.firstFrameMs = Math.round(performance.now() - answered);
        });
      }
      lastProgress = performance.now();
      statsTimer = setInterval(() => updateStats(peer, mine), STATS_INTERVAL_MS);
    } catch (error) {
      if (mine !== generation) return;
      scheduleReconnect(String(error.message || error));
    }
  }

  function formatBitrate(bps) {
    if (bps >= 1e6) return (bps / 1e6).toFixed(2) + ' Mbit/s';
    return Math.round(bps / 1e3) + ' kbit/s';
  }

  async function updateStats(peer, mine) {
    let report;
    try {
      report = await peer.getStats();
    } catch {
      return;
    }
    if (mine !== generation) return;
    const now = performance.now();
    const s = window.rtcStats;
    const sample = { time: now, video: 0, audio: 0 };
    let bytes = 0;
    let lost = 0;
    let pair = null;
    const byId = new Map();
    report.forEach((entry) => byId.set(entry.id, entry));

    report.forEach((entry) => {
      if (entry.type === 'inbound-rtp') {
        bytes += entry.bytesReceived || 0;
        lost += entry.packetsLost || 0;
        const codec = entry.codecId && byId.get(entry.codecId);
        if (entry.kind === 'video') {
          sample.video = entry.bytesReceived || 0;
          s.framesDecoded = entry.framesDecoded || 0;
          s.framesPerSecond = entry.framesPerSecond || 0;
          s.frameWidth = entry.frameWidth || 0;
          s.frameHeight = entry.frameHeight || 0;
          if (codec) s.videoCodec = codec.mimeType;
        } else if (entry.kind === 'audio') {
          sample.audio = entry.bytesReceived || 0;
          if (codec) s.audioCodec = codec.mimeType;
        }
      } else if (entry.type === 'transport' && entry.selectedCandidatePairId) {
        pair = byId.get(entry.selectedCandidatePairId);
      }
    });
    if (!pair) {
      report.forEach((entry) => {
        if (entry.type === 'candidate-pair' && entry.nominated && entry.state === 'succeeded') pair = entry;
      });
    }
    if (pair) {
      const local = byId.get(pair.localCandidateId);
      const remote = byId.get(pair.remoteCandidateId);
      s.roundTripTime = pair.currentRoundTripTime ?? null;
      s.localCandidateType = local ? local.candidateType : null;
      s.remoteCandidateType = remote ? remote.candidateType : null;
      s.remoteAddress = remote ? (remote.address ?? null) : null;
      s.remotePort = remote ? (remote.port ?? null) : null;
      cells.path.textContent = `${s.localCandidateType || '?'} → ${s.remoteCandidateType || '?'}` +
        (remote && remote.address ? ` (${remote.address}:${remote.port})` : '');
    }
    if (last) {
      const seconds = (now - last.time) / 1000;
      s.videoBitrate = Math.max(0, Math.round(8 * (sample.video - last.video) / seconds));
      s.audioBitrate = Math.max(0, Math.round(8 * (sample.audio - last.audio) / seconds));
    }
    if (bytes > s.bytesReceived) lastProgress = now;
    s.bytesReceived = bytes;
    s.packetsLost = lost;
    last = sample;

    cells.video.textContent = s.frameWidth ?
      `${s.frameWidth}×${s.frameHeight} @ ${s.framesPerSecond || 0} fps ${s.videoCodec || ''}` :
      (s.audioCodec ? `audio only (${s.audioCodec})` : '–');
    cells.bitrate.textContent = `video ${formatBitrate(s.videoBitrate)}, audio ${formatBitrate(s.audioBitrate)}`;
    cells.frames.textContent = `${s.framesDecoded} decoded, ${s.packetsLost} packets lost`;
    cells.rtt.textContent = s.roundTripTime !== null ? `${Math.round(s.roundTripTime * 1000)} ms` : '–';

    if (now - lastProgress > STALL_MS && !restarting) {
      // An ICE restart first: a new path to the same session (a 404
      // or no answer means the session is gone, then a new one).
      lastProgress = now;
      recover('the stream stalled');
    }
  }

  document.getElementById('unmute').addEventListener('click', () => {
    video.muted = !video.muted;
    document.getElementById('unmute').textContent = video.muted ? 'Unmute' : 'Mute';
    video.play().catch(() => {});
  });
  window.addEventListener('pagehide', teardown);

  window.rtcViewer = {
    connect: () => { backoff = BACKOFF_FIRST_MS; return connect(); },
    disconnect: () => { clearTimeout(retryTimer); teardown(); setState('closed'); },
    restartIce: () => restartIce('asked to'),
    etag: () => etag,
  };

  if (!('RTCPeerConnection' in window)) {
    setState('error', 'this browser has no WebRTC');
  } else {
    connect();
  }
})();
