#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A video + audio call between rtcbin and webrtcbin, in one Python process.

Each peer is a pipeline: test video (VP8) and a test tone (Opus) go into the
peer element, and whatever it receives is decoded and counted.  This program
is the signalling channel: it hands the offer, the answer and the ICE
candidates from one peer to the other.  It prints how many frames each side
decoded and exits 0 once both decoded enough, 1 otherwise.

    GST_PLUGIN_PATH_1_0=build/plugins/rtc python3 examples/python/rtcbin-call.py
    ... --offerer peer          # let webrtcbin make the offer
    ... --peer rtcbin           # rtcbin on both sides (no gst-plugins-bad)

The two elements have the same actions and signals, with one difference:
webrtcbin takes and gives GstWebRTCSessionDescription objects, rtcbin plain
strings ("offer"/"answer" and the SDP text).
"""
import argparse
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstSdp  # noqa: E402


def gst_webrtc():
    """webrtcbin's session descriptions are types of the GstWebRTC typelib
    (gst-plugins-bad); rtcbin needs none of it."""
    gi.require_version("GstWebRTC", "1.0")
    from gi.repository import GstWebRTC
    return GstWebRTC


class Peer:
    def __init__(self, element, name, pattern, ssrc):
        self.name = name
        self.element = element
        self.frames = {"video": 0, "audio": 0}
        self.size = None
        self.other = None
        self.remote_set = False
        self.early_candidates = []
        self.lock = threading.Lock()
        if element == "webrtcbin":
            gst_webrtc()  # before its replies are read

        # The SSRCs are fixed in the payloaders and the caps: webrtcbin may
        # otherwise announce a different one in its SDP than it sends.
        self.pipeline = Gst.parse_launch(f"""
            {element} name=pc bundle-policy=max-bundle
            videotestsrc is-live=true pattern={pattern} ! video/x-raw,width=320,height=240,framerate=30/1 !
              videoconvert ! queue ! vp8enc deadline=1 keyframe-max-dist=30 !
              rtpvp8pay pt=96 ssrc={ssrc} !
              application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000,ssrc=(uint){ssrc} ! pc.
            audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! queue ! opusenc !
              rtpopuspay pt=111 ssrc={ssrc + 1} !
              application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000,encoding-params=(string)2,ssrc=(uint){ssrc + 1} ! pc.
        """)
        self.pc = self.pipeline.get_by_name("pc")
        self.pc.connect("on-ice-candidate", self.on_ice_candidate)
        self.pc.connect("pad-added", self.on_pad_added)

    # -- session descriptions -------------------------------------------------

    def call(self, action, *args):
        """Emits a promise-taking action and waits for its reply."""
        promise = Gst.Promise.new()
        self.pc.emit(action, *args, promise)
        if promise.wait() != Gst.PromiseResult.REPLIED:
            raise RuntimeError(f"{self.name}: {action} got no reply")
        reply = promise.get_reply()
        if reply is not None and reply.has_field("error"):
            raise RuntimeError(f"{self.name}: {action}: {reply.get_value('error').message}")
        return reply

    def create(self, kind):
        """create-offer or create-answer; returns the SDP text."""
        reply = self.call(f"create-{kind}", None)
        if self.element == "webrtcbin":
            return reply.get_value(kind).sdp.as_text()
        return reply.get_string("sdp")

    def description(self, kind, sdp):
        """The arguments set-*-description takes for this element."""
        if self.element == "rtcbin":
            return (kind, sdp)
        GstWebRTC = gst_webrtc()
        _, message = GstSdp.SDPMessage.new_from_text(sdp)
        sdp_type = GstWebRTC.WebRTCSDPType.OFFER if kind == "offer" else GstWebRTC.WebRTCSDPType.ANSWER
        return (GstWebRTC.WebRTCSessionDescription.new(sdp_type, message),)

    def set_local(self, kind, sdp):
        self.call("set-local-description", *self.description(kind, sdp))

    def set_remote(self, kind, sdp):
        self.call("set-remote-description", *self.description(kind, sdp))
        with self.lock:
            self.remote_set = True
            early, self.early_candidates = self.early_candidates, []
        for mline, candidate in early:
            self.pc.emit("add-ice-candidate", mline, candidate)

    # -- ICE candidates: trickled to the other peer as they come -------------

    def on_ice_candidate(self, pc, mline, candidate):
        # Called on one of the element's threads: hand over in the main loop.
        GLib.idle_add(self.other.add_candidate, mline, candidate)

    def add_candidate(self, mline, candidate):
        with self.lock:
            if not self.remote_set:  # it came before the description it belongs to
                self.early_candidates.append((mline, candidate))
                return GLib.SOURCE_REMOVE
        self.pc.emit("add-ice-candidate", mline, candidate)
        return GLib.SOURCE_REMOVE

    # -- what we receive --------------------------------------------------------

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
        self.frames[kind] += 1
        if kind == "video" and self.size is None:
            s = pad.get_current_caps().get_structure(0)
            self.size = (s.get_int("width")[1], s.get_int("height")[1])
        return Gst.PadProbeReturn.OK


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", default="webrtcbin", choices=["webrtcbin", "rtcbin"],
                        help="the element on the other side (default webrtcbin)")
    parser.add_argument("--ours", default="rtcbin", choices=["rtcbin", "webrtcbin"],
                        help="the element on our side (default rtcbin; webrtcbin to compare)")
    parser.add_argument("--offerer", default="ours", choices=["ours", "peer"],
                        help="who makes the offer (default ours)")
    parser.add_argument("--frames", type=int, default=30, help="video frames each side must decode")
    parser.add_argument("--timeout", type=float, default=20, help="seconds to wait for them")
    args = parser.parse_args()

    Gst.init(None)
    for name in (args.ours, args.peer):
        if Gst.ElementFactory.find(name) is None:
            print(f"no element {name}: set GST_PLUGIN_PATH_1_0 (rtcbin is in build/plugins/rtc)",
                  file=sys.stderr)
            return 2

    ours = Peer(args.ours, "ours", "ball", ssrc=0x1000)
    theirs = Peer(args.peer, "peer", "smpte", ssrc=0x2000)
    ours.other, theirs.other = theirs, ours
    for peer in (ours, theirs):
        peer.pipeline.set_state(Gst.State.PLAYING)

    offerer, answerer = (ours, theirs) if args.offerer == "ours" else (theirs, ours)
    started = time.monotonic()
    offer = offerer.create("offer")
    offerer.set_local("offer", offer)
    answerer.set_remote("offer", offer)
    answer = answerer.create("answer")
    answerer.set_local("answer", answer)
    offerer.set_remote("answer", answer)
    print(f"{offerer.name} ({offerer.element}) offered, {answerer.name} ({answerer.element}) answered")

    loop = GLib.MainLoop()
    result = {"ok": False}

    def check():
        for peer in (ours, theirs):
            msg = peer.pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
            if msg is not None:
                print(f"{peer.name}: error: {msg.parse_error()[0].message}", file=sys.stderr)
                loop.quit()
                return GLib.SOURCE_REMOVE
        if all(p.frames["video"] >= args.frames and p.frames["audio"] > 0 for p in (ours, theirs)):
            result["ok"] = True
            loop.quit()
        elif time.monotonic() - started > args.timeout:
            loop.quit()
        return GLib.SOURCE_CONTINUE

    GLib.timeout_add(100, check)
    loop.run()

    for peer in (ours, theirs):
        state = peer.pc.get_property("connection-state")
        print(f"{peer.name} ({peer.element}): decoded {peer.frames['video']} video frames "
              f"{peer.size}, {peer.frames['audio']} audio buffers; connection {state.value_nick}")
        peer.pipeline.set_state(Gst.State.NULL)
    print(f"{'success' if result['ok'] else 'FAILED'} after {time.monotonic() - started:.1f} s")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
