#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""An rtcbin sending VP8 (and Opus) to one WHEP viewer, for the congestion
tests and the bench's step test. Run inside a lab namespace:

    cc_sender.py --port 8080 [--width 480 --height 360 --pattern smpte]

POST /whep with an SDP offer (recvonly video, optionally audio) answers 201
with rtcbin's answer (all candidates in it). Writes JSON lines on stdout:
{"type": "ready"}, {"type": "state", ...}, and every --interval seconds a
{"type": "sample", "wall": time.time(), "mono": time.monotonic(),
 "target": availableOutgoingBitrate, "encoder": vp8enc target-bitrate,
 "bytes_sent": video outbound-rtp bytesSent, "frames": encoded video frames,
 "rtx_sent": retransmitted packets, "nack": NACKs received,
 "fec_pct": rtpulpfecenc's percentage, "fec_sent"/"fec_bytes": ULPFEC sent,
 "pacer": {pacing rate, queue delays, ...}} once connected. Every
rtcbin-bandwidth message is also written ({"type": "bandwidth", ...}).
{"cmd": "quit"} on stdin (or EOF) stops it.
"""
import argparse
import http.server
import json
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop"))

from rtcpeer import Gst, Peer  # noqa: E402
from gi.repository import GLib  # noqa: E402

_out_lock = threading.Lock()


def emit(msg):
    with _out_lock:
        sys.stdout.write(json.dumps(msg) + "\n")
        sys.stdout.flush()


def structure_to_dict(s):
    out = {}
    for i in range(s.n_fields()):
        name = s.nth_field_name(i)
        value = s.get_value(name)
        if isinstance(value, Gst.Structure):
            value = structure_to_dict(value)
        elif not isinstance(value, (str, int, float, bool)) and value is not None:
            value = str(value)
        out[name] = value
    return out


class Sender:
    def __init__(self, args):
        self.answer = None
        self.answered = threading.Event()
        self.frames = 0
        self.connected = False
        self.peer = Peer(name="sender", video="vp8", audio=args.audio, width=args.width,
                         height=args.height, framerate=args.fps, trickle=False,
                         pattern=args.pattern, send=self.on_peer_message)
        if args.start_bitrate:
            self.peer.pc.set_property("start-bitrate", args.start_bitrate)
        if args.no_congestion_control:
            self.peer.pc.set_property("congestion-control", False)
        if args.max_bitrate:
            self.peer.pc.set_property("max-bitrate", args.max_bitrate)
        if args.no_fec:
            self.peer.pc.set_property("fec", False)
        venc = self.peer.pipeline.get_by_name("venc")
        # keyframes on request (PLI) and every 3 s, as a browser does
        venc.set_property("keyframe-max-dist", args.fps * 3)
        venc.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self._count)
        self.venc = venc
        bus = self.peer.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message::element", self._on_element)

    def _count(self, pad, info):
        self.frames += 1
        return Gst.PadProbeReturn.OK

    def _on_element(self, bus, message):
        s = message.get_structure()
        if s is not None and s.get_name() == "rtcbin-bandwidth":
            d = structure_to_dict(s)
            d.update(type="bandwidth", wall=time.time(), mono=time.monotonic())
            emit(d)

    def on_peer_message(self, msg):
        if msg.get("type") == "answer":
            self.answer = msg["sdp"]
            self.answered.set()
        elif msg.get("type") == "state":
            if msg.get("name") == "connection-state" and msg.get("value") == "connected":
                self.connected = True
            emit(msg)
        elif msg.get("type") == "error":
            emit(msg)
            self.answered.set()

    def sample(self):
        promise = Gst.Promise.new()
        self.peer.pc.emit("get-stats", promise)
        promise.wait()
        reply = promise.get_reply()
        if reply is None:
            return None
        stats = structure_to_dict(reply)
        out = {"type": "sample", "wall": time.time(), "mono": time.monotonic(),
               "frames": self.frames, "encoder": self.venc.get_property("target-bitrate"),
               "bytes_sent": 0, "rtx_sent": 0, "nack": 0, "target": None, "pacer": {},
               "fec_pct": 0, "fec_sent": 0, "fec_bytes": 0}
        for o in stats.values():
            if not isinstance(o, dict):
                continue
            if o.get("type") == "candidate-pair" and "availableOutgoingBitrate" in o:
                out["target"] = o["availableOutgoingBitrate"]
            elif o.get("type") == "outbound-rtp" and o.get("kind") == "video":
                out["bytes_sent"] = o.get("bytesSent", 0)
                out["rtx_sent"] = o.get("retransmittedPacketsSent", 0)
                out["nack"] = o.get("nackCount", 0)
                out["fec_pct"] = o.get("fecPercentage", 0)
                out["fec_sent"] = o.get("fecPacketsSent", 0)
                out["fec_bytes"] = o.get("fecBytesSent", 0)
            elif o.get("type") == "transport":
                out["pacer"] = {k: v for k, v in o.items() if k.startswith("pac")}
        return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--width", type=int, default=480)
    ap.add_argument("--height", type=int, default=360)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--pattern", default="smpte")
    ap.add_argument("--audio", action="store_true")
    ap.add_argument("--interval", type=float, default=0.25)
    ap.add_argument("--start-bitrate", type=int, default=0)
    ap.add_argument("--max-bitrate", type=int, default=0)
    ap.add_argument("--no-congestion-control", action="store_true")
    ap.add_argument("--no-fec", action="store_true", help="rtcbin fec=false")
    args = ap.parse_args()

    sender = Sender(args)
    sender.peer.start()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body>cc_sender</body></html>")

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            if self.path != "/whep" or sender.answer is not None:
                self.send_response(409)
                self.end_headers()
                return
            sender.peer.handle({"type": "offer", "sdp": body})
            if not sender.answered.wait(20) or sender.answer is None:
                self.send_response(500)
                self.end_headers()
                return
            data = sender.answer.encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/sdp")
            self.send_header("Location", "/whep/1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    class Server(http.server.ThreadingHTTPServer):
        def server_bind(self):  # no getfqdn(): no DNS in a namespace
            self.socket.bind(self.server_address)
            self.server_name, self.server_port = "lab", self.server_address[1]

    server = Server(("0.0.0.0", args.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    loop = GLib.MainLoop()

    def tick():
        if sender.connected:
            s = sender.sample()
            if s is not None:
                emit(s)
        return True

    GLib.timeout_add(int(args.interval * 1000), tick)

    def reader():
        for line in sys.stdin:
            try:
                if json.loads(line).get("cmd") == "quit":
                    break
            except ValueError:
                pass
        GLib.idle_add(loop.quit)

    threading.Thread(target=reader, daemon=True).start()
    emit({"type": "ready"})
    loop.run()
    server.shutdown()
    sender.peer.stop()
    emit({"type": "bye"})


if __name__ == "__main__":
    main()
