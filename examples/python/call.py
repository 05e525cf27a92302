#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A video + audio call between two processes, with our own signalling.

Each process runs one rtcbin: it sends a test picture (VP8) and a tone
(Opus) and decodes whatever the other side sends. The signalling channel
is this program's own: JSON lines over a TCP connection, one side listening
and answering, the other connecting and offering. It uses asyncio and the
GstRtc overrides (``await pc.create_offer_async()``...).

    source scripts/env.sh build
    /usr/bin/python3 examples/python/call.py --listen 127.0.0.1:8765 &
    /usr/bin/python3 examples/python/call.py --connect 127.0.0.1:8765

Both print what they decoded and exit 0 once each side decoded --frames
video frames (1 on failure or after --timeout seconds).

Messages (one JSON object a line):
    {"type": "offer" | "answer", "sdp": "v=0..."}
    {"type": "candidate", "sdpMLineIndex": 0, "candidate": "candidate:..."}
    {"type": "done"}      this side decoded enough; "bye" follows when both did
"""
import argparse
import asyncio
import json
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtc", "1.0")
from gi.repository import Gst, GstRtc  # noqa: E402


def log(*args):
    print(*args, flush=True)


class Call:
    def __init__(self, name, pattern):
        self.name = name
        self.frames = {"video": 0, "audio": 0}
        self.lock = threading.Lock()
        self.pipeline = Gst.parse_launch(f"""
            rtcbin name=pc
            videotestsrc is-live=true pattern={pattern} ! video/x-raw,width=320,height=240,framerate=30/1 !
              videoconvert ! queue ! vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay pt=96 ! pc.
            audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! queue ! opusenc !
              rtpopuspay pt=111 ! pc.
        """)
        self.pc = self.pipeline.get_by_name("pc")
        self.pc.connect("pad-added", self.on_pad_added)
        self.remote_set = False
        self.early_candidates = []
        self.writer = None

    # -- signalling --------------------------------------------------------

    def send(self, message):
        if self.writer.is_closing():
            return
        self.writer.write((json.dumps(message) + "\n").encode())

    def on_ice_candidate(self, pc, mline, candidate):
        # Runs in the asyncio loop (see GstRtc.call_soon_threadsafe).
        self.send({"type": "candidate", "sdpMLineIndex": mline, "candidate": candidate})

    async def offer(self):
        sdp = await self.pc.create_offer_async()
        await self.pc.set_local_description_async("offer", sdp)
        self.send({"type": "offer", "sdp": sdp})

    async def remote_description(self, kind, sdp):
        await self.pc.set_remote_description_async(kind, sdp)
        self.remote_set = True
        for mline, candidate in self.early_candidates:
            self.pc.add_ice_candidate(mline, None, candidate)
        self.early_candidates = []

    async def handle(self, message):
        kind = message.get("type")
        if kind == "offer":
            await self.remote_description("offer", message["sdp"])
            sdp = await self.pc.create_answer_async()
            await self.pc.set_local_description_async("answer", sdp)
            self.send({"type": "answer", "sdp": sdp})
        elif kind == "answer":
            await self.remote_description("answer", message["sdp"])
        elif kind == "candidate":
            mline, candidate = message["sdpMLineIndex"], message.get("candidate") or None
            if self.remote_set:
                self.pc.add_ice_candidate(mline, None, candidate)
            else:  # it came before the description it belongs to
                self.early_candidates.append((mline, candidate))

    # -- media ---------------------------------------------------------------

    def on_pad_added(self, pc, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        decodebin = Gst.ElementFactory.make("decodebin")
        decodebin.connect("pad-added", self.on_decoded_pad)
        self.pipeline.add(decodebin)
        decodebin.sync_state_with_parent()
        pad.link(decodebin.get_static_pad("sink"))

    def on_decoded_pad(self, decodebin, pad):
        kind = "video" if pad.query_caps(None).to_string().startswith("video/") else "audio"
        pad.add_probe(Gst.PadProbeType.BUFFER, self.count, kind)
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        self.pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))

    def count(self, pad, info, kind):
        with self.lock:
            self.frames[kind] += 1
        return Gst.PadProbeReturn.OK


async def run_call(call, reader, writer, offerer, frames, timeout):
    call.writer = writer
    call.pc.connect("on-ice-candidate", GstRtc.call_soon_threadsafe(call.on_ice_candidate))
    call.pipeline.set_state(Gst.State.PLAYING)
    started = time.monotonic()
    if offerer:
        await call.offer()

    done = {"us": False, "them": False}

    async def watch():
        while not done["us"]:
            await asyncio.sleep(0.1)
            if call.frames["video"] >= frames and call.frames["audio"] > 0:
                done["us"] = True
                call.send({"type": "done"})

    watcher = asyncio.ensure_future(watch())
    ok = False
    try:
        while True:
            remaining = timeout - (time.monotonic() - started)
            line = await asyncio.wait_for(reader.readline(), max(remaining, 0.01))
            if not line:
                log(f"{call.name}: the other side hung up")
                break
            message = json.loads(line)
            if message.get("type") == "done":
                done["them"] = True
            elif message.get("type") == "bye":
                ok = done["us"]
                break
            else:
                await call.handle(message)
            if done["us"] and done["them"]:
                call.send({"type": "bye"})
                ok = True
                break
    except asyncio.TimeoutError:
        log(f"{call.name}: timed out after {timeout} s")
    except GstRtc.RtcError as error:
        log(f"{call.name}: {error}")
    finally:
        watcher.cancel()
        await writer.drain()
        writer.close()
    state = call.pc.get_property("connection-state").value_nick
    log(f"{call.name}: decoded {call.frames['video']} video frames, "
        f"{call.frames['audio']} audio buffers; connection {state}")
    call.pipeline.set_state(Gst.State.NULL)
    log(f"{call.name}: {'success' if ok else 'FAILED'} after {time.monotonic() - started:.1f} s")
    return ok


async def main_async(args):
    host, port = args.address.rsplit(":", 1)
    if args.connect:
        reader, writer = await asyncio.open_connection(host, int(port))
        return await run_call(Call("caller", "ball"), reader, writer, True, args.frames,
                              args.timeout)

    finished = asyncio.get_running_loop().create_future()

    async def on_client(reader, writer):
        if finished.done():
            writer.close()
            return
        ok = await run_call(Call("callee", "smpte"), reader, writer, False, args.frames,
                            args.timeout)
        if not finished.done():
            finished.set_result(ok)

    server = await asyncio.start_server(on_client, host, int(port))
    log(f"callee: waiting for a call on {host}:{port}")
    try:
        return await asyncio.wait_for(finished, args.timeout + 30)
    except asyncio.TimeoutError:
        log("callee: nobody called")
        return False
    finally:
        server.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    side = parser.add_mutually_exclusive_group(required=True)
    side.add_argument("--listen", dest="address", metavar="HOST:PORT",
                      help="wait for the other side here, and answer its offer")
    side.add_argument("--connect", metavar="HOST:PORT", help="call the other side, and offer")
    parser.add_argument("--frames", type=int, default=60, help="video frames each side must decode")
    parser.add_argument("--timeout", type=float, default=30, help="seconds to wait for them")
    args = parser.parse_args()
    if args.connect:
        args.address = args.connect

    Gst.init(None)
    if Gst.ElementFactory.find("rtcbin") is None:
        print("no element rtcbin: source scripts/env.sh build", file=sys.stderr)
        return 2
    return 0 if asyncio.run(main_async(args)) else 1


if __name__ == "__main__":
    sys.exit(main())
