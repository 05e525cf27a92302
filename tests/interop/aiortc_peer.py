#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""An aiortc peer for interop tests, signalling by JSON lines on stdin/stdout.

It sends a generated video track (a VideoStreamTrack subclass drawing a
moving bar, 320x240 at 30 fps) and a generated audio track (a 440 Hz sine),
and counts the frames it decodes from what it receives (track.recv()).

Messages, one JSON object a line, shaped like the browser API:
  in:  {"type": "offer"|"answer", "sdp": ...}
       {"type": "candidate", "candidate": "candidate:...", "sdpMid": ..., "sdpMLineIndex": ...}
       {"cmd": "offer"}  {"cmd": "stats"}  {"cmd": "quit"}
  out: {"type": "ready"}, {"type": "offer"|"answer", "sdp": ...} (aiortc gathers
       in setLocalDescription: every candidate is in the SDP, none trickle),
       {"type": "stats", ...}, {"type": "state", ...}, {"type": "error", ...}
"""
import argparse
import asyncio
import fractions
import json
import logging
import math
import sys
import time
import traceback

import numpy
from av import AudioFrame, VideoFrame

from aiortc import (RTCConfiguration, RTCPeerConnection, RTCSessionDescription,
                    VideoStreamTrack)
from aiortc.mediastreams import AUDIO_PTIME, MediaStreamError, MediaStreamTrack
from aiortc.sdp import candidate_from_sdp


def log(*args):
    print("[aiortc]", *args, file=sys.stderr, flush=True)


class BarVideoTrack(VideoStreamTrack):
    """A moving white bar on grey, width x height, at aiortc's 30 fps."""

    def __init__(self, width, height):
        super().__init__()
        self.width, self.height = width, height
        self.count = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        img = numpy.full((self.height, self.width, 3), 96, dtype=numpy.uint8)
        x = (self.count * 4) % self.width
        img[:, x:x + 16, :] = 255
        self.count += 1
        frame = VideoFrame.from_ndarray(img, format="bgr24")
        frame.pts = pts
        frame.time_base = time_base
        return frame


class SineAudioTrack(MediaStreamTrack):
    """A 440 Hz sine, 48 kHz mono, in 20 ms frames, paced in real time."""

    kind = "audio"

    def __init__(self):
        super().__init__()
        self.rate = 48000
        self.samples = int(AUDIO_PTIME * self.rate)
        self._start = None
        self._timestamp = 0

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.time()
        else:
            self._timestamp += self.samples
            wait = self._start + self._timestamp / self.rate - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        t = (numpy.arange(self.samples) + self._timestamp) / self.rate
        pcm = (numpy.sin(2 * math.pi * 440 * t) * 8000).astype(numpy.int16)
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.pts = self._timestamp
        frame.sample_rate = self.rate
        frame.time_base = fractions.Fraction(1, self.rate)
        return frame


class Counts:
    def __init__(self):
        self.video_frames = 0
        self.audio_frames = 0
        self.width = None
        self.height = None
        self.codecs = []


async def consume(track, counts):
    try:
        while True:
            frame = await track.recv()
            if track.kind == "video":
                counts.video_frames += 1
                counts.width, counts.height = frame.width, frame.height
            else:
                counts.audio_frames += 1
    except MediaStreamError:
        pass


async def run(args):
    loop = asyncio.get_running_loop()
    out = sys.stdout

    def send(msg):
        out.write(json.dumps(msg) + "\n")
        out.flush()

    # No ICE servers: aiortc would otherwise use a public STUN server.
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    counts = Counts()
    tasks = []

    @pc.on("track")
    def on_track(track):
        log("track", track.kind)
        tasks.append(asyncio.ensure_future(consume(track, counts)))

    @pc.on("connectionstatechange")
    def on_state():
        log("connectionState", pc.connectionState)
        send({"type": "state", "name": "connection-state", "value": pc.connectionState})

    if not args.no_video:
        pc.addTrack(BarVideoTrack(args.width, args.height))
    if not args.no_audio:
        pc.addTrack(SineAudioTrack())

    async def send_local(kind):
        desc = await getattr(pc, "create" + kind.capitalize())()
        await pc.setLocalDescription(desc)
        send({"type": pc.localDescription.type, "sdp": pc.localDescription.sdp})

    def negotiated_codecs():
        result = []
        for t in pc.getTransceivers():
            sender = t.sender
            codecs = getattr(t, "_codecs", None) or []
            if codecs:
                result.append({"kind": t.kind, "mid": t.mid, "codec": codecs[0].mimeType,
                               "direction": t.currentDirection})
            del sender
        return result

    async def handle(msg):
        t, cmd = msg.get("type"), msg.get("cmd")
        if cmd == "offer":
            await send_local("offer")
        elif cmd == "stats":
            send({"type": "stats", "video_frames": counts.video_frames,
                  "audio_frames": counts.audio_frames, "width": counts.width,
                  "height": counts.height, "connection-state": pc.connectionState,
                  "ice-connection-state": pc.iceConnectionState,
                  "signaling-state": pc.signalingState, "codecs": negotiated_codecs()})
        elif t == "offer":
            await pc.setRemoteDescription(RTCSessionDescription(sdp=msg["sdp"], type="offer"))
            await send_local("answer")
        elif t == "answer":
            await pc.setRemoteDescription(RTCSessionDescription(sdp=msg["sdp"], type="answer"))
        elif t == "candidate":
            text = msg.get("candidate") or ""
            if not text:
                # End of candidates, for each ICE transport in use.
                seen = set()
                for tr in pc.getTransceivers():
                    ice = tr.receiver.transport.transport if tr.receiver.transport else None
                    if ice is not None and id(ice) not in seen:
                        seen.add(id(ice))
                        await ice.addRemoteCandidate(None)
                return
            if text.startswith("a="):
                text = text[2:]
            cand = candidate_from_sdp(text.split(":", 1)[1])
            cand.sdpMid = msg.get("sdpMid")
            cand.sdpMLineIndex = msg.get("sdpMLineIndex")
            if cand.sdpMid is None:
                tr = pc.getTransceivers()
                idx = cand.sdpMLineIndex or 0
                cand.sdpMid = tr[idx].mid if idx < len(tr) else None
            await pc.addIceCandidate(cand)
        elif t in ("state", "stats", "ready", "error", "bye"):
            pass
        else:
            raise ValueError(f"unknown message {msg!r}")

    send({"type": "ready"})
    if args.offer:
        await send_local("offer")

    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        try:
            msg = json.loads(line)
            if msg.get("cmd") == "quit":
                break
            await handle(msg)
        except Exception as e:  # noqa: BLE001 - reported to the driver
            log(traceback.format_exc())
            send({"type": "error", "message": f"{type(e).__name__}: {e}"})

    await pc.close()
    for task in tasks:
        task.cancel()
    send({"type": "bye", "video_frames": counts.video_frames, "audio_frames": counts.audio_frames})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--offer", action="store_true")
    ap.add_argument("--no-video", action="store_true")
    ap.add_argument("--no-audio", action="store_true")
    ap.add_argument("--width", type=int, default=320)
    ap.add_argument("--height", type=int, default=240)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
