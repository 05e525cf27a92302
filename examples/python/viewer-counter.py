#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Serves a test picture and tone with rtcsink and counts its viewers.

It watches rtcsink's `viewer-added` and `viewer-removed` signals and prints
the number of viewers each time it changes, and every --interval seconds
the fan-out's counters (the `stats` property) and each viewer's own
(the `get-viewer-stats` action):

    source scripts/env.sh build
    /usr/bin/python3 examples/python/viewer-counter.py --port 8080

then open http://127.0.0.1:8080/ in a browser (or any WHEP player on
http://127.0.0.1:8080/whep). It runs until Ctrl-C, or for --duration
seconds. Lines it prints:

    page: http://127.0.0.1:8080/
    viewer added: 3f2a... (viewers: 1)
    stats: viewers=1 packets-out=1234 bytes-out=1234567 ...
    viewer 3f2a...: remote-address=127.0.0.1 transport-state=connected packets-sent=...
    viewer removed: 3f2a... (viewers: 0)
"""
import argparse
import signal
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GLib", "2.0")
from gi.repository import GLib, Gst  # noqa: E402


class ViewerCounter:
    def __init__(self, sink):
        self.sink = sink
        self.viewers = set()
        self.lock = threading.Lock()
        # Both signals come from rtcsink's HTTP/control thread: keep the
        # handlers short, and the set under a lock.
        sink.connect("viewer-added", self.on_viewer_added)
        sink.connect("viewer-removed", self.on_viewer_removed)

    def on_viewer_added(self, sink, viewer_id):
        with self.lock:
            self.viewers.add(viewer_id)
            count = len(self.viewers)
        print(f"viewer added: {viewer_id} (viewers: {count})", flush=True)

    def on_viewer_removed(self, sink, viewer_id):
        with self.lock:
            self.viewers.discard(viewer_id)
            count = len(self.viewers)
        print(f"viewer removed: {viewer_id} (viewers: {count})", flush=True)

    def print_stats(self):
        stats = self.sink.get_property("stats")
        if stats is not None:
            fields = []
            for index in range(stats.n_fields()):
                name = stats.nth_field_name(index)
                value = stats.get_value(name)
                if isinstance(value, (int, float, str)):
                    fields.append(f"{name}={value}")
            print("stats: " + " ".join(fields), flush=True)
        with self.lock:
            viewers = sorted(self.viewers)
        for viewer_id in viewers:
            viewer = self.sink.emit("get-viewer-stats", viewer_id)
            if viewer is None:  # gone meanwhile
                continue
            wanted = ("remote-address", "transport-state", "packets-sent", "bytes-sent",
                      "nacks-received", "plis-received", "fraction-lost", "round-trip-time")
            fields = [f"{name}={viewer.get_value(name)}" for name in wanted
                      if viewer.has_field(name)]
            print(f"viewer {viewer_id}: " + " ".join(fields), flush=True)
        return GLib.SOURCE_CONTINUE


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080, help="HTTP port (default 8080)")
    parser.add_argument("--address", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between stats")
    parser.add_argument("--duration", type=float, default=0, help="stop after this many seconds")
    args = parser.parse_args()

    Gst.init(None)
    if Gst.ElementFactory.find("rtcsink") is None:
        print("no element rtcsink: source scripts/env.sh build", file=sys.stderr)
        return 2
    pipeline = Gst.parse_launch(
        "videotestsrc is-live=true ! video/x-raw,width=640,height=360,framerate=30/1 ! "
        f"rtcsink name=sink address={args.address} port={args.port} "
        "audiotestsrc is-live=true wave=ticks ! sink.")
    counter = ViewerCounter(pipeline.get_by_name("sink"))

    loop = GLib.MainLoop()
    status = {"code": 0}

    def on_message(bus, message):
        if message.type == Gst.MessageType.ERROR:
            error, debug = message.parse_error()
            print(f"error: {error.message} ({debug})", file=sys.stderr, flush=True)
            status["code"] = 1
            loop.quit()
        return True

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, lambda: loop.quit() or False)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, lambda: loop.quit() or False)
    GLib.timeout_add(int(args.interval * 1000), counter.print_stats)
    if args.duration > 0:
        GLib.timeout_add(int(args.duration * 1000), lambda: loop.quit() or False)

    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        print("cannot start the pipeline (is the port in use?)", file=sys.stderr)
        return 1
    host = "127.0.0.1" if args.address in ("0.0.0.0", "::") else args.address
    print(f"page: http://{host}:{args.port}/", flush=True)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    bus.remove_signal_watch()
    with counter.lock:
        print(f"stopped with {len(counter.viewers)} viewers", flush=True)
    return status["code"]


if __name__ == "__main__":
    sys.exit(main())
