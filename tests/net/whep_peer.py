#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One side of an rtcsink -> rtcsrc call, for the NAT lab, in JSON lines.

    whep_peer.py sink --port 8080 [--stun URI] [--turn URI] [--policy relay]
        videotestsrc (VP8 by rtcsink) served over WHEP on every address
    whep_peer.py src --url http://ADDR:8080/whep [--stun ...] [--turn ...]
        rtcsrc playing it, counting decoded video frames

Writes to stdout, one JSON object a line: {"type": "ready"}, every
rtc-ice-diagnosis message of the rtcbin inside ({"type": "diagnosis", ...},
with its selected pair's types once connected), rtcsrc-* / rtcsink-*
element messages ({"type": "message", "name": ...}), errors, and on
{"cmd": "stats"} from stdin {"type": "stats", "video_frames": N}.
{"cmd": "quit"} (or EOF) stops the pipeline and exits.
"""
import argparse
import json
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

Gst.init(None)


def value_to_json(v):
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return str(v)


def structure_dict(s):
    return {s.nth_field_name(i): value_to_json(s.get_value(s.nth_field_name(i)))
            for i in range(s.n_fields())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["sink", "src"])
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--url")
    ap.add_argument("--stun")
    ap.add_argument("--turn")
    ap.add_argument("--policy", default="all")
    args = ap.parse_args()
    started = time.monotonic()
    lock = threading.Lock()
    frames = {"video": 0}

    def send(msg):
        with lock:
            sys.stdout.write(json.dumps(msg) + "\n")
            sys.stdout.flush()

    ice = ""
    if args.stun:
        ice += f" stun-server={args.stun}"
    if args.turn:
        ice += f' turn-server="{args.turn}"'
    if args.policy != "all":
        ice += f" ice-transport-policy={args.policy}"
    if args.mode == "sink":
        desc = ("videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,"
                f"framerate=30/1 ! rtcsink name=peer port={args.port} address=0.0.0.0{ice}")
    else:
        desc = (f"rtcsrc name=peer whep-url={args.url} receive-audio=false{ice}")
    parsed = Gst.parse_launch(desc)
    if isinstance(parsed, Gst.Pipeline):
        pipeline = parsed
    else:  # a lone element
        pipeline = Gst.Pipeline.new("pipeline")
        pipeline.add(parsed)
    peer = pipeline.get_by_name("peer")

    def count(pad, info):
        frames["video"] += 1
        return Gst.PadProbeReturn.OK

    def on_pad(element, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("async", False)
        pipeline.add(sink)
        sink.sync_state_with_parent()
        if pad.get_name().startswith("video"):
            pad.add_probe(Gst.PadProbeType.BUFFER, count)
        pad.link(sink.get_static_pad("sink"))

    if args.mode == "src":
        peer.connect("pad-added", on_pad)

    loop = GLib.MainLoop()

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s is None:
                return
            d = structure_dict(s)
            d["at"] = round(time.monotonic() - started, 3)
            if s.get_name() == "rtc-ice-diagnosis":
                d["type"] = "diagnosis"
                send(d)
            elif s.get_name().startswith(("rtcsrc-", "rtcsink-")):
                d["name"] = s.get_name()
                d["type"] = "message"
                send(d)
        elif msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            send({"type": "error", "message": f"{msg.src.get_name()}: {err.message}"})
        elif msg.type == Gst.MessageType.WARNING:
            err, dbg = msg.parse_warning()
            send({"type": "warning", "message": f"{msg.src.get_name()}: {err.message}"})

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)

    def stdin_reader():
        for line in sys.stdin:
            try:
                cmd = json.loads(line).get("cmd")
            except ValueError:
                continue
            if cmd == "stats":
                send({"type": "stats", "video_frames": frames["video"]})
            elif cmd == "quit":
                break
        GLib.idle_add(loop.quit)

    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        send({"type": "error", "message": "the pipeline cannot play"})
        return 2
    send({"type": "ready"})
    threading.Thread(target=stdin_reader, daemon=True).start()
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    send({"type": "bye", "video_frames": frames["video"]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
