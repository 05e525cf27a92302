#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""rtcpeer.py's JSON-lines peer (one rtcbin sending VP8 and Opus, decoding
what it receives), with what the NAT lab needs on top:

    --stun URI, --turn URI (repeatable), --policy all|relay
    {"cmd": "restart"} make an offer that restarts ICE (W3C restartIce) and
                      send it
    {"cmd": "rtp"}    reply {"type": "rtp", "streams": [outbound-rtp and
                      inbound-rtp objects of get-stats]}
    {"cmd": "sent"}   reply {"type": "sent", "video_frames": N} (encoded)
    {"cmd": "pair"}   reply {"type": "pair", "local": "srflx", "remote": "host",
                      "local-address": ..., "remote-address": ..., "protocol": ...}
                      from get-stats (candidate-pair / local-candidate /
                      remote-candidate), or {"type": "pair"} with no types
    {"type": "diagnosis", ...}   sent for every rtc-ice-diagnosis message
                      that rtcbin posts (the connectivity doctor)
    {"type": "turn-refused", "uri": ..., "message": ...}   when rtcbin refuses
                      a TURN URI (add-turn-server returned FALSE)

It is run inside a lab namespace with `ip netns exec`.
"""
import argparse
import json
import os
import queue
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop"))

import rtcpeer  # noqa: E402
from rtcpeer import Gst, Peer, PeerError, log  # noqa: E402


class NetPeer(Peer):
    """rtcpeer's Peer plus {"cmd": "restart"}: an offer with ice-restart."""

    def _handle(self, msg):
        if msg.get("cmd") != "restart":
            return super()._handle(msg)
        options = Gst.Structure.new_from_string("options, ice-restart=(boolean)true")
        promise = Gst.Promise.new()
        self.pc.emit("create-offer", options, promise)
        reply = rtcpeer._wait_promise(promise, rtcpeer.PROMISE_TIMEOUT, "create-offer(ice-restart)")
        sdp = self._reply_sdp(reply, "offer")
        self.set_local("offer", sdp)
        self._send_description("offer", sdp)


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


def selected_pair(stats):
    """{"local": type, "remote": type, ...} of the selected pair, from
    get-stats as a dict (or {} when there is none)."""
    objects = [v for v in stats.values() if isinstance(v, dict)]
    by_id = {o.get("id"): o for o in objects}
    for t in objects:
        if t.get("type") == "transport" and t.get("selectedCandidatePairId"):
            pair = by_id.get(t["selectedCandidatePairId"], {})
            local = by_id.get(pair.get("localCandidateId"), {})
            remote = by_id.get(pair.get("remoteCandidateId"), {})
            return {"local": local.get("candidateType"), "remote": remote.get("candidateType"),
                    "local-address": f"{local.get('address')}:{local.get('port')}",
                    "remote-address": f"{remote.get('address')}:{remote.get('port')}",
                    "protocol": local.get("protocol"),
                    "bytes-received": pair.get("bytesReceived")}
    return {}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--name", default="peer")
    ap.add_argument("--size", default="320x240")
    ap.add_argument("--stun")
    ap.add_argument("--turn", action="append", default=[])
    ap.add_argument("--policy", default="all", choices=["all", "relay"])
    ap.add_argument("--no-audio", action="store_true")
    ap.add_argument("--framerate", type=int, default=30)
    args = ap.parse_args(argv)
    width, height = (int(x) for x in args.size.split("x"))
    out_lock = threading.Lock()
    started = time.monotonic()

    def send(msg):
        line = json.dumps(msg)
        with out_lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    try:
        peer = NetPeer(name=args.name, element="rtcbin", video="vp8", audio=not args.no_audio,
                    width=width, height=height, framerate=args.framerate, send=send)
        pc = peer.pc
        if args.stun:
            pc.set_property("stun-server", args.stun)
        for uri in args.turn:
            ok = pc.emit("add-turn-server", uri)
            if not ok:
                send({"type": "turn-refused", "uri": uri,
                      "message": "rtcbin refused the TURN URI (see its warning)"})
        if args.policy == "relay":
            pc.set_property("ice-transport-policy", "relay")

        bus = peer.pipeline.get_bus()
        bus.enable_sync_message_emission()

        def on_element(bus, msg):
            s = msg.get_structure()
            if s is not None and s.get_name() == "rtc-ice-diagnosis":
                d = structure_to_dict(s)
                d["type"] = "diagnosis"
                d["at"] = round(time.monotonic() - started, 3)
                send(d)

        bus.connect("sync-message::element", on_element)

        def on_ice_state(element, pspec):
            send({"type": "ice-state-at", "value": rtcpeer._nick(element.get_property(
                "ice-connection-state")), "at": round(time.monotonic() - started, 3)})

        pc.connect("notify::ice-connection-state", on_ice_state)
        sent = {"frames": 0}

        def count_sent(pad, info):
            sent["frames"] += 1
            return Gst.PadProbeReturn.OK

        peer.pipeline.get_by_name("venc").get_static_pad("src").add_probe(
            Gst.PadProbeType.BUFFER, count_sent)
        peer.start()
    except Exception as e:  # noqa: BLE001
        log("cannot start:", traceback.format_exc())
        send({"type": "error", "message": f"cannot start: {e}"})
        return 2

    if not peer.wait_sending_caps(10):
        send({"type": "error", "message": f"no caps from the payloaders in 10 s: {peer.errors}"})
    send({"type": "ready", "element": "rtcbin"})

    lines = queue.Queue()

    def reader():
        for line in sys.stdin:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=reader, daemon=True, name="stdin").start()
    reported = 0
    while True:
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            peer.poll_bus()
            while reported < len(peer.errors):
                send({"type": "error", "message": peer.errors[reported]})
                reported += 1
            continue
        if line is None:
            break
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("cmd") == "quit":
            break
        if msg.get("cmd") == "sent":
            send({"type": "sent", "video_frames": sent["frames"]})
            continue
        if msg.get("cmd") == "rtp":
            # the RTP counters of get-stats (NACK/RTX among them)
            try:
                promise = Gst.Promise.new()
                pc.emit("get-stats", promise)
                reply = rtcpeer._wait_promise(promise, 10, "get-stats")
                objects = structure_to_dict(reply).values() if reply else []
                rtp = [o for o in objects if isinstance(o, dict)
                       and o.get("type") in ("outbound-rtp", "inbound-rtp")]
                send({"type": "rtp", "streams": rtp})
            except PeerError as e:
                send({"type": "rtp", "error": str(e)})
            continue
        if msg.get("cmd") == "pair":
            try:
                promise = Gst.Promise.new()
                pc.emit("get-stats", promise)
                reply = rtcpeer._wait_promise(promise, 10, "get-stats")
                pair = selected_pair(structure_to_dict(reply)) if reply else {}
            except PeerError as e:
                pair = {"error": str(e)}
            pair["type"] = "pair"
            send(pair)
            continue
        peer.handle(msg)
    try:
        peer.stop()
    except PeerError as e:
        send({"type": "error", "message": str(e)})
        sys.stdout.flush()
        os._exit(3)
    send({"type": "bye", "stats": peer.stats()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
