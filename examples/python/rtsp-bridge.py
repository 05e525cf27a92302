#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shows an RTSP camera in browsers: rtspsrc ! rtph264depay ! rtcsink.

The camera's H.264 is passed through as it is (no decoding, no encoding):
rtcsink parses it, keeps the last key frame for viewers who join late and
fans it out to every browser that opens the page it prints.

    source scripts/env.sh build
    /usr/bin/python3 examples/python/rtsp-bridge.py rtsp://192.0.2.10:554/stream1 --port 8080

Browsers play H.264 in the profiles they offer (constrained baseline
everywhere): a camera sending High profile plays in Chromium and Safari
only. It runs until Ctrl-C, the camera's end of stream, or --duration
seconds, and exits 1 if the pipeline failed (camera unreachable, no H.264
track...).
"""
import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def build_pipeline(url, address, port, latency, tcp):
    pipeline = Gst.Pipeline.new("rtsp-bridge")
    source = Gst.ElementFactory.make("rtspsrc", "camera")
    depay = Gst.ElementFactory.make("rtph264depay", "depay")
    sink = Gst.ElementFactory.make("rtcsink", "sink")
    for element in (source, depay, sink):
        pipeline.add(element)
    source.set_property("location", url)
    source.set_property("latency", latency)
    if tcp:
        Gst.util_set_object_arg(source, "protocols", "tcp")
    sink.set_property("address", address)
    sink.set_property("port", port)
    depay.link(sink)

    def on_pad_added(element, pad):
        # One pad per RTSP stream: take the first H.264 one.
        caps = pad.get_current_caps() or pad.query_caps(None)
        structure = caps.get_structure(0)
        if structure.get_string("media") != "video" or \
                structure.get_string("encoding-name") != "H264":
            print(f"ignoring {structure.get_string('media')} "
                  f"{structure.get_string('encoding-name')} stream", flush=True)
            return
        target = depay.get_static_pad("sink")
        if not target.is_linked():
            pad.link(target)

    source.connect("pad-added", on_pad_added)
    return pipeline, sink


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the camera, rtsp://[user:pass@]host[:port]/path")
    parser.add_argument("--port", type=int, default=8080, help="HTTP port of the page (8080)")
    parser.add_argument("--address", default="0.0.0.0",
                        help="address to serve the page and WebRTC on (default all)")
    parser.add_argument("--latency", type=int, default=200, help="rtspsrc jitterbuffer, ms")
    parser.add_argument("--tcp", action="store_true", help="RTP over the RTSP TCP connection")
    parser.add_argument("--duration", type=float, default=0, help="stop after this many seconds")
    args = parser.parse_args()

    Gst.init(None)
    for name in ("rtspsrc", "rtph264depay", "rtcsink"):
        if Gst.ElementFactory.find(name) is None:
            print(f"no element {name} (rtcsink: source scripts/env.sh build; "
                  "the others: gstreamer1.0-plugins-good)", file=sys.stderr)
            return 2
    pipeline, sink = build_pipeline(args.url, args.address, args.port, args.latency, args.tcp)

    loop = GLib.MainLoop()
    status = {"code": 0}

    def on_message(bus, message):
        if message.type == Gst.MessageType.ERROR:
            error, debug = message.parse_error()
            print(f"error from {message.src.get_name()}: {error.message}", file=sys.stderr,
                  flush=True)
            status["code"] = 1
            loop.quit()
        elif message.type == Gst.MessageType.EOS:
            print("the camera ended its stream", flush=True)
            loop.quit()
        elif message.type == Gst.MessageType.ELEMENT and message.src == sink:
            structure = message.get_structure()
            if structure.get_name() in ("rtcsink-viewer-added", "rtcsink-viewer-removed"):
                print(f"{structure.get_name()[8:].replace('-', ' ')}: "
                      f"{structure.get_string('remote-address')} "
                      f"(viewers: {structure.get_value('viewers')})", flush=True)
        return True

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, lambda: loop.quit() or False)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, lambda: loop.quit() or False)
    if args.duration > 0:
        GLib.timeout_add(int(args.duration * 1000), lambda: loop.quit() or False)

    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        print("cannot start the pipeline (is the port in use?)", file=sys.stderr)
        return 1
    host = "127.0.0.1" if args.address in ("0.0.0.0", "::") else args.address
    print(f"bridging {args.url}", flush=True)
    print(f"page: http://{host}:{args.port}/", flush=True)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    bus.remove_signal_watch()
    return status["code"]


if __name__ == "__main__":
    sys.exit(main())
