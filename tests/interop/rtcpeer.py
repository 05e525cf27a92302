#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One peer connection (rtcbin, or webrtcbin as a reference peer) in a
GStreamer pipeline, for interop tests.

A Peer owns a pipeline with the peer element, optional sending branches
(VP8, H.264 and Opus from test sources) and a decoder for every stream it
receives, whose decoded frames it counts.  It speaks in messages shaped like
the browser API, as plain dicts:

    {"type": "offer" | "answer", "sdp": "v=0..."}
    {"type": "candidate", "candidate": "candidate:...", "sdpMLineIndex": 0,
     "sdpMid": "0"}                      (candidate "" or null: end of them)

plus commands for whoever drives it:

    {"cmd": "offer"}      create an offer, set it locally and send it
    {"cmd": "restart"}    an ICE restart: an offer with ice-restart=true, as "offer"
    {"cmd": "stats"}      reply {"type": "stats", ...} (decoded frames, states)
    {"cmd": "get-stats"}  reply {"type": "get-stats", ...} (the element's own)
    {"cmd": "quit"}       tear down and exit

Received offers are answered by themselves.  Outgoing messages go to a
callback; in the JSON-lines mode (`python3 rtcpeer.py ...`) they are written
to stdout, one JSON object a line, and messages are read from stdin, so that
another process (node, aiortc, another rtcpeer.py) can be the signalling
channel.  It also says {"type": "ready"} once its encoders produce,
{"type": "state", ...} on every state change, {"type": "error", ...} and, at
the end, {"type": "bye", ...}; its exit status is 0 unless something failed.
Logs (and both SDPs) go to stderr only.

Two peers in one process are joined with `Link(a, b)`; a JSON-lines process
is driven with `Child([...])`.  RTCPEER_ELEMENT=webrtcbin puts webrtcbin
where rtcbin would be, to check the tests themselves.
"""
import argparse
import itertools
import json
import os
import queue
import sys
import threading
import time
import traceback

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import Gst, GstSdp  # noqa: E402

Gst.init(None)

PROMISE_TIMEOUT = 20.0
_peer_numbers = itertools.count()

VP8_PT, H264_PT, OPUS_PT = 96, 102, 111


def element_under_test():
    """rtcbin; RTCPEER_ELEMENT=webrtcbin runs the same tests with webrtcbin in
    its place, to check the tests themselves."""
    return os.environ.get("RTCPEER_ELEMENT", "rtcbin")


def missing_element_under_test():
    """None, or why the element under test cannot be made (a failure, not a
    reason to skip: it is what the tests are about)."""
    name = element_under_test()
    if Gst.ElementFactory.find(name) is None:
        return (f"the element under test, {name}, is not in the registry "
                f"(GST_PLUGIN_PATH_1_0={os.environ.get('GST_PLUGIN_PATH_1_0')})")
    return None


def log(*args):
    print("[rtcpeer]", *args, file=sys.stderr, flush=True)


def element_available(name):
    return Gst.ElementFactory.find(name) is not None


class PeerError(Exception):
    pass


def _wait_promise(promise, timeout, what):
    """promise.wait() with a deadline: a timer interrupts the promise."""
    timer = threading.Timer(timeout, promise.interrupt)
    timer.daemon = True
    timer.start()
    try:
        result = promise.wait()
    finally:
        timer.cancel()
    if result == Gst.PromiseResult.INTERRUPTED:
        raise PeerError(f"{what}: no reply within {timeout} s")
    if result != Gst.PromiseResult.REPLIED:
        raise PeerError(f"{what}: promise ended as {result.value_nick}")
    reply = promise.get_reply()
    if reply is not None and reply.has_field("error"):
        err = reply.get_value("error")
        msg = err.message if hasattr(err, "message") else str(err)
        raise PeerError(f"{what} failed: {msg}")
    return reply


def _nick(value):
    if hasattr(value, "value_nick"):
        return value.value_nick
    return str(value)


def sdp_mids(sdp):
    """The a=mid of each m-line, in order (None where there is none)."""
    mids = []
    for line in sdp.splitlines():
        if line.startswith("m="):
            mids.append(None)
        elif line.startswith("a=mid:") and mids:
            mids[-1] = line[6:].strip()
    return mids


def sdp_media(sdp):
    """[(kind, direction, [codec names])] for each m-line of an SDP."""
    out = []
    for line in sdp.splitlines():
        line = line.strip()
        if line.startswith("m="):
            out.append([line[2:].split()[0], "sendrecv", [], line.split()[1] != "0"])
        elif not out:
            continue
        elif line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
            out[-1][1] = line[2:]
        elif line.startswith("a=rtpmap:"):
            out[-1][2].append(line.split()[1].split("/")[0].upper())
    return [tuple(m) for m in out]


class StreamCounter:
    """Counts the decoded buffers of one received stream."""

    def __init__(self, kind, encoding):
        self.kind = kind
        self.encoding = encoding
        self.frames = 0
        self.width = None
        self.height = None
        self.first_at = None
        self._lock = threading.Lock()

    def probe(self, pad, info):
        with self._lock:
            if self.frames == 0:
                self.first_at = time.monotonic()
            self.frames += 1
            if self.kind == "video" and self.width is None:
                caps = pad.get_current_caps()
                if caps is not None and caps.get_size() > 0:
                    s = caps.get_structure(0)
                    ok_w, w = s.get_int("width")
                    ok_h, h = s.get_int("height")
                    if ok_w and ok_h:
                        self.width, self.height = w, h
        return Gst.PadProbeReturn.OK

    def as_dict(self):
        with self._lock:
            return {"kind": self.kind, "encoding": self.encoding, "frames": self.frames,
                    "width": self.width, "height": self.height}


class Peer:
    """One rtcbin (or webrtcbin) in a pipeline, with test sources and decoders.

    element: "rtcbin" or "webrtcbin"
    video: "vp8", "h264" or None (what we send)
    audio: send Opus
    recv_video / recv_audio: add a recvonly transceiver of that kind (only
        needed when we offer and do not send that kind ourselves);
        recv_video may name the codec: "vp8" (also for True) or "h264"
    trickle: send candidates as they come; if False, wait for gathering to
        complete and send the local description with all candidates in it
    hold_video: hold the encoded video (caps included) until that many
        seconds after start(), as a slow encoder would
    """

    def __init__(self, name="peer", element="rtcbin", video="vp8", audio=True,
                 recv_video=False, recv_audio=False, width=320, height=240,
                 framerate=30, trickle=True, ssrc_base=None, send=None,
                 latency=None, pattern="ball", hold_video=0):
        self.name = name
        self.element_name = element
        self.is_webrtcbin = element == "webrtcbin"
        self.video = video
        self.audio = audio
        self.trickle = trickle
        self.width, self.height = width, height
        self.send = send or (lambda msg: None)
        self.errors = []
        self.warnings = []
        self.candidate_errors = []
        self.states = {}
        self.streams = []
        self.local_candidates = 0
        self.remote_candidates = 0
        self.local_sdp = None
        self.remote_sdp = None
        self._lock = threading.Lock()
        self._described = False          # our description has been sent
        self._held_candidates = []        # our candidates waiting for it
        self._remote_set = False
        self._pending_remote = []         # remote candidates waiting for the SRD
        self._end_sent = False
        self._gathering_done = threading.Event()
        self._inbox = queue.Queue()
        self._closed = False

        if self.is_webrtcbin:
            # webrtcbin's descriptions are GstWebRTC types (gst-plugins-bad).
            # rtcbin needs no typelib: its actions take strings.
            gi.require_version("GstWebRTC", "1.0")
            from gi.repository import GstWebRTC
            self._webrtc = GstWebRTC

        if ssrc_base is None:  # distinct per process and per peer in it
            ssrc_base = 0x10000000 + (os.getpid() & 0xffff) * 256 + next(_peer_numbers) * 2
        self.video_ssrc = ssrc_base & 0xffffffff
        self.audio_ssrc = (ssrc_base + 1) & 0xffffffff

        extra = " bundle-policy=max-bundle"
        if latency is not None:
            extra += f" latency={latency}"
        desc = [f"{element} name=pc{extra}"]
        if video:
            desc.append(self._video_branch(video, width, height, framerate, pattern))
        if audio:
            desc.append(
                "audiotestsrc is-live=true wave=sine freq=440 ! audio/x-raw,rate=48000,channels=1 ! "
                "audioconvert ! audioresample ! queue ! opusenc ! "
                f"rtpopuspay name=apay pt={OPUS_PT} ssrc={self.audio_ssrc} ! "
                f"application/x-rtp,media=audio,encoding-name=OPUS,payload={OPUS_PT},"
                f"clock-rate=48000,encoding-params=(string)2,ssrc=(uint){self.audio_ssrc} ! pc.")
        log(name, "pipeline:", " ".join(desc))
        parsed = Gst.parse_launch(" ".join(desc))
        if isinstance(parsed, Gst.Pipeline):
            self.pipeline = parsed
        else:  # a lone element
            self.pipeline = Gst.Pipeline.new(name)
            self.pipeline.add(parsed)
        self.pc = self.pipeline.get_by_name("pc")
        self.bus = self.pipeline.get_bus()
        self._started_at = None
        self.hold_video = hold_video
        if hold_video and video:
            self.pipeline.get_by_name("venc").get_static_pad("src").add_probe(
                Gst.PadProbeType.BUFFER | Gst.PadProbeType.EVENT_DOWNSTREAM, self._hold)

        if recv_video:
            if recv_video == "h264":
                caps = (f"application/x-rtp,media=video,encoding-name=H264,payload={H264_PT},"
                        "clock-rate=90000,packetization-mode=(string)1,"
                        "profile-level-id=(string)42e01f")
            else:
                caps = (f"application/x-rtp,media=video,encoding-name=VP8,payload={VP8_PT},"
                        "clock-rate=90000")
            self._add_recvonly("video", caps)
        if recv_audio:
            self._add_recvonly("audio", f"application/x-rtp,media=audio,encoding-name=OPUS,"
                                        f"payload={OPUS_PT},clock-rate=48000,encoding-params=(string)2")

        self.pc.connect("on-ice-candidate", self._on_ice_candidate)
        self.pc.connect("pad-added", self._on_pad_added)
        for prop in ("connection-state", "ice-connection-state", "ice-gathering-state",
                     "signaling-state"):
            self.pc.connect("notify::" + prop, self._on_state)
            self.states[prop] = _nick(self.pc.get_property(prop))

        self._worker = threading.Thread(target=self._run_inbox, name=f"{name}-inbox", daemon=True)
        self._worker.start()

    # -- pipeline -----------------------------------------------------------

    def _video_branch(self, video, width, height, framerate, pattern):
        src = (f"videotestsrc is-live=true pattern={pattern} ! "
               f"video/x-raw,width={width},height={height},framerate={framerate}/1 ! "
               "videoconvert ! queue ! ")
        if video == "vp8":
            return (src + "vp8enc name=venc deadline=1 keyframe-max-dist=30 ! "
                    f"rtpvp8pay name=vpay pt={VP8_PT} ssrc={self.video_ssrc} picture-id-mode=15-bit ! "
                    f"application/x-rtp,media=video,encoding-name=VP8,payload={VP8_PT},"
                    f"clock-rate=90000,ssrc=(uint){self.video_ssrc} ! pc.")
        if video == "h264":
            return (src + "video/x-raw,format=I420 ! "
                    "x264enc name=venc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! "
                    "video/x-h264,profile=constrained-baseline ! "
                    f"rtph264pay name=vpay config-interval=-1 aggregate-mode=zero-latency pt={H264_PT} "
                    f"ssrc={self.video_ssrc} ! "
                    f"application/x-rtp,media=video,encoding-name=H264,payload={H264_PT},"
                    f"clock-rate=90000,packetization-mode=(string)1,ssrc=(uint){self.video_ssrc} ! pc.")
        raise ValueError("unknown video codec " + video)

    def _add_recvonly(self, kind, caps):
        caps = Gst.Caps.from_string(caps)
        # PyGObject takes an enum by its nick: GstRtcDirection and
        # GstWebRTCRTPTransceiverDirection both call it "recvonly".
        trans = self.pc.emit("add-transceiver", "recvonly", caps)
        if trans is None:
            raise PeerError(f"add-transceiver ({kind}, recvonly) returned nothing")

    def _on_pad_added(self, element, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        caps = pad.get_current_caps() or pad.query_caps(None)
        s = caps.get_structure(0) if caps and caps.get_size() > 0 else None
        media = s.get_string("media") if s is not None else None
        enc = (s.get_string("encoding-name") or "").upper() if s is not None else ""
        log(self.name, f"pad-added {pad.get_name()} caps={caps.to_string() if caps else None}")
        chains = {
            "VP8": ("video", "rtpvp8depay ! vp8dec"),
            "VP9": ("video", "rtpvp9depay ! vp9dec"),
            "H264": ("video", "rtph264depay ! avdec_h264"),
            "OPUS": ("audio", "rtpopusdepay ! opusdec"),
        }
        if enc in chains:
            kind, chain = chains[enc]
            bin_ = Gst.parse_bin_from_description(
                f"queue name=q ! {chain} name=dec ! fakesink name=sink sync=false async=false", False)
            counter = StreamCounter(kind, enc)
            bin_.get_by_name("dec").get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER,
                                                                  counter.probe)
            sinkpad = bin_.get_by_name("q").get_static_pad("sink")
            bin_.add_pad(Gst.GhostPad.new("sink", sinkpad))
            with self._lock:
                self.streams.append(counter)
            self.pipeline.add(bin_)
            bin_.sync_state_with_parent()
            ret = pad.link(bin_.get_static_pad("sink"))
            if ret != Gst.PadLinkReturn.OK:
                self.errors.append(f"cannot link {pad.get_name()} ({enc}): {ret.value_nick}")
            return
        # Unknown to us: let decodebin find a decoder.
        dbin = Gst.ElementFactory.make("decodebin")
        self.pipeline.add(dbin)
        dbin.connect("pad-added", self._on_decoded_pad, enc or media or "?")
        dbin.sync_state_with_parent()
        pad.link(dbin.get_static_pad("sink"))

    def _on_decoded_pad(self, dbin, pad, enc):
        caps = pad.get_current_caps() or pad.query_caps(None)
        name = caps.get_structure(0).get_name()
        kind = "video" if name.startswith("video/") else "audio"
        counter = StreamCounter(kind, enc)
        pad.add_probe(Gst.PadProbeType.BUFFER, counter.probe)
        with self._lock:
            self.streams.append(counter)
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("async", False)
        self.pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))

    def start(self):
        self._started_at = time.monotonic()
        ret = self.pipeline.set_state(Gst.State.PLAYING)
        if ret == Gst.StateChangeReturn.FAILURE:
            self.poll_bus()
            raise PeerError(f"{self.name}: pipeline cannot play: {self.errors}")

    def wait_sending_caps(self, timeout=10):
        """Waits until each payloader has produced its caps (an H.264 one
        learns profile-level-id and sprop-parameter-sets from the first
        encoded frame).  True once they all have; False at the deadline."""
        pads = [self.pipeline.get_by_name(n).get_static_pad("src")
                for n in ("vpay", "apay") if self.pipeline.get_by_name(n) is not None]
        return wait_until(lambda: all(p.get_current_caps() is not None for p in pads),
                          timeout, peers=(self,))

    def _hold(self, pad, info):
        # Everything the video encoder puts out, its caps first, waits here
        # until `hold_video` seconds after start().
        left = self._started_at + self.hold_video - time.monotonic()
        if left > 0:
            time.sleep(left)
        return Gst.PadProbeReturn.OK

    def poll_bus(self):
        while True:
            msg = self.bus.pop_filtered(Gst.MessageType.ERROR | Gst.MessageType.WARNING)
            if msg is None:
                return
            if msg.type == Gst.MessageType.ERROR:
                err, dbg = msg.parse_error()
                text = f"{msg.src.get_name()}: {err.message} ({dbg})"
                log(self.name, "ERROR", text)
                self.errors.append(text)
            else:
                err, dbg = msg.parse_warning()
                text = f"{msg.src.get_name()}: {err.message}"
                log(self.name, "warning", text)
                self.warnings.append(text)

    def stop(self, timeout=15):
        """Sets the pipeline to NULL; PeerError if that does not finish in time."""
        if self._closed:
            return
        self._closed = True
        self._inbox.put(None)
        self._worker.join(5)
        done = threading.Event()

        def to_null():
            self.pipeline.set_state(Gst.State.NULL)
            done.set()

        threading.Thread(target=to_null, name=f"{self.name}-null", daemon=True).start()
        if not done.wait(timeout):
            raise PeerError(f"{self.name}: the pipeline did not reach NULL within {timeout} s")
        self.poll_bus()

    # -- state --------------------------------------------------------------

    def _on_state(self, element, pspec):
        value = _nick(element.get_property(pspec.name))
        with self._lock:
            self.states[pspec.name] = value
        log(self.name, f"{pspec.name} -> {value}")
        self.send({"type": "state", "name": pspec.name, "value": value})
        if pspec.name == "ice-gathering-state" and value == "complete":
            self._gathering_done.set()
            self._send_end_of_candidates()

    def state(self, name):
        with self._lock:
            return self.states.get(name)

    def video_stream(self):
        with self._lock:
            for s in self.streams:
                if s.kind == "video":
                    return s
        return None

    def frames(self, kind):
        with self._lock:
            return sum(s.frames for s in self.streams if s.kind == kind)

    def stats(self):
        with self._lock:
            return {"type": "stats", "streams": [s.as_dict() for s in self.streams],
                    "video_frames": sum(s.frames for s in self.streams if s.kind == "video"),
                    "audio_frames": sum(s.frames for s in self.streams if s.kind == "audio"),
                    "states": dict(self.states), "errors": list(self.errors),
                    "candidate_errors": list(self.candidate_errors),
                    "local_candidates": self.local_candidates,
                    "remote_candidates": self.remote_candidates}

    # -- JSEP, through the element's action signals ---------------------------

    def _emit(self, signal, *args, what=None):
        promise = Gst.Promise.new()
        self.pc.emit(signal, *args, promise)
        return _wait_promise(promise, PROMISE_TIMEOUT, f"{self.name}: {what or signal}")

    def _reply_sdp(self, reply, kind):
        if reply is None:
            raise PeerError(f"{self.name}: create-{kind} replied with nothing")
        if self.is_webrtcbin:
            desc = reply.get_value(kind)
            if desc is None:
                raise PeerError(f"{self.name}: create-{kind} reply has no '{kind}'")
            return desc.sdp.as_text()
        t = reply.get_string("type")
        sdp = reply.get_string("sdp")
        if t != kind or not sdp:
            raise PeerError(f"{self.name}: create-{kind} reply is {reply.to_string()!r}")
        return sdp

    def _desc_arg(self, kind, sdp):
        if not self.is_webrtcbin:
            return (kind,  sdp)
        res, msg = GstSdp.SDPMessage.new_from_text(sdp)
        if res != GstSdp.SDPResult.OK:
            raise PeerError(f"{self.name}: cannot parse SDP")
        t = {"offer": self._webrtc.WebRTCSDPType.OFFER,
             "answer": self._webrtc.WebRTCSDPType.ANSWER}[kind]
        return (self._webrtc.WebRTCSessionDescription.new(t, msg),)

    def create_offer(self):
        return self._reply_sdp(self._emit("create-offer", None), "offer")

    def create_answer(self):
        return self._reply_sdp(self._emit("create-answer", None), "answer")

    def set_local(self, kind, sdp):
        self._emit("set-local-description", *self._desc_arg(kind, sdp),
                   what=f"set-local-description({kind})")
        self.local_sdp = sdp
        log(self.name, f"local {kind}:\n" + sdp.strip())

    def set_remote(self, kind, sdp):
        self._emit("set-remote-description", *self._desc_arg(kind, sdp),
                   what=f"set-remote-description({kind})")
        self.remote_sdp = sdp
        log(self.name, f"remote {kind}:\n" + sdp.strip())
        with self._lock:
            self._remote_set = True
            pending, self._pending_remote = self._pending_remote, []
        for msg in pending:
            self._add_remote_candidate(msg)

    def local_description_sdp(self):
        value = self.pc.get_property("local-description")
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if hasattr(value, "sdp"):
            return value.sdp.as_text()
        if isinstance(value, Gst.Structure):
            return value.get_string("sdp")
        raise PeerError(f"{self.name}: local-description is a {type(value)}")

    # -- candidates ----------------------------------------------------------

    def _mid_of(self, mline):
        mids = sdp_mids(self.local_sdp or "")
        return mids[mline] if mline < len(mids) else None

    def _on_ice_candidate(self, element, mline, candidate):
        if not candidate:
            self._send_end_of_candidates()
            return
        with self._lock:
            self.local_candidates += 1
        msg = {"type": "candidate", "candidate": candidate, "sdpMLineIndex": mline}
        if not self.trickle:
            return
        with self._lock:
            if not self._described:
                self._held_candidates.append(msg)
                return
        msg["sdpMid"] = self._mid_of(mline)
        self.send(msg)

    def _send_end_of_candidates(self):
        if not self.trickle:
            return
        with self._lock:
            if self._end_sent:
                return
            self._end_sent = True
            msg = {"type": "candidate", "candidate": "", "sdpMLineIndex": 0}
            if not self._described:
                self._held_candidates.append(msg)
                return
        self.send(msg)

    def _send_description(self, kind, sdp):
        if not self.trickle:
            # Everything in the SDP: wait for gathering, then send what the
            # element now holds as its local description.
            if not self._gathering_done.wait(15):
                raise PeerError(f"{self.name}: ICE gathering did not complete")
            sdp = self.local_description_sdp() or sdp
        self.send({"type": kind, "sdp": sdp})
        with self._lock:
            self._described = True
            held, self._held_candidates = self._held_candidates, []
        for msg in held:
            if msg["candidate"]:
                msg["sdpMid"] = self._mid_of(msg["sdpMLineIndex"])
            self.send(msg)

    def _add_remote_candidate(self, msg):
        cand = msg.get("candidate") or ""
        mline = msg.get("sdpMLineIndex")
        mid = msg.get("sdpMid")
        if mline is None:
            mids = sdp_mids(self.remote_sdp or "")
            mline = mids.index(mid) if mid in mids else 0
        if cand and not cand.startswith("candidate:"):
            cand = cand[2:] if cand.startswith("a=") else cand
        if cand:
            self.remote_candidates += 1
        if self.is_webrtcbin:
            if not cand:
                return  # webrtcbin 1.22 has no use for end-of-candidates
            self.pc.emit("add-ice-candidate", mline, cand)
            return
        try:
            promise = Gst.Promise.new()
            self.pc.emit("add-ice-candidate-full", mline, mid, cand, promise)
            _wait_promise(promise, PROMISE_TIMEOUT, f"add-ice-candidate-full({cand!r})")
        except PeerError as e:
            log(self.name, str(e))
            self.candidate_errors.append(str(e))

    # -- messages -----------------------------------------------------------

    def handle(self, msg):
        """Queue one incoming message; they are handled in order on our thread."""
        self._inbox.put(msg)

    def _run_inbox(self):
        while True:
            msg = self._inbox.get()
            if msg is None:
                return
            try:
                self._handle(msg)
            except Exception as e:  # noqa: BLE001 - reported to the driver
                log(self.name, "error handling", msg.get("type") or msg.get("cmd"), ":",
                    traceback.format_exc())
                self.errors.append(f"{type(e).__name__}: {e}")
                self.send({"type": "error", "message": str(e)})

    def _handle(self, msg):
        t = msg.get("type")
        cmd = msg.get("cmd")
        if cmd == "offer":
            sdp = self.create_offer()
            self.set_local("offer", sdp)
            self._send_description("offer", sdp)
        elif cmd == "restart":
            # ICE restart: an offer with new credentials (JSEP 5.2.1)
            options = Gst.Structure.new_from_string("options, ice-restart=(boolean)true")
            sdp = self._reply_sdp(self._emit("create-offer", options), "offer")
            self.set_local("offer", sdp)
            self._send_description("offer", sdp)
        elif cmd == "stats":
            self.poll_bus()
            self.send(self.stats())
        elif cmd == "get-stats":
            reply = self._emit("get-stats", *((None,) if self.is_webrtcbin else ()))
            self.send({"type": "get-stats", "stats": reply.to_string() if reply else None})
        elif t == "offer":
            self.set_remote("offer", msg["sdp"])
            sdp = self.create_answer()
            self.set_local("answer", sdp)
            self._send_description("answer", sdp)
        elif t == "answer":
            self.set_remote("answer", msg["sdp"])
        elif t == "candidate":
            with self._lock:
                if not self._remote_set:
                    self._pending_remote.append(msg)
                    return
            self._add_remote_candidate(msg)
        elif t in ("state", "stats", "ready", "error", "bye", "log"):
            pass  # the other side's reports, not for us
        else:
            raise PeerError(f"unknown message {msg!r}")


class Link:
    """Joins two in-process peers: what one sends, the other handles.

    Messages can be observed (and recorded) in `log`."""

    def __init__(self, a, b):
        self.a, self.b = a, b
        self.log = []
        self._lock = threading.Lock()
        a.send = self._sender(a, b)
        b.send = self._sender(b, a)

    def _sender(self, src, dst):
        def send(msg):
            with self._lock:
                self.log.append((src.name, msg))
            if msg.get("type") in ("offer", "answer", "candidate"):
                dst.handle(msg)
        return send


class Child:
    """A peer in another process that speaks JSON lines on stdin/stdout
    (`rtcpeer.py`, `aiortc_peer.py`, ...).

    Its offer/answer/candidate messages go to `on_signal` (set it, e.g. to
    another peer's handle); everything it says is kept in `messages`."""

    def __init__(self, argv, name="child", env=None):
        import subprocess
        self.name = name
        self.messages = []
        self.errors = []
        self.on_signal = lambda msg: None
        self._cond = threading.Condition()
        self._closed = False
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=None, env=env, text=True, bufsize=1)
        self._reader = threading.Thread(target=self._read, name=f"{name}-out", daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                msg = json.loads(line)
            except ValueError:
                log(self.name, "not JSON:", line[:200])
                continue
            if msg.get("type") == "error":
                self.errors.append(msg.get("message"))
            with self._cond:
                self.messages.append(msg)
                self._cond.notify_all()
            if msg.get("type") in ("offer", "answer", "candidate"):
                self.on_signal(msg)
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def send(self, msg):
        if self.proc.poll() is not None:
            return
        try:
            self.proc.stdin.write(json.dumps(msg) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass

    def wait_message(self, predicate, timeout, start=0):
        """The first message from index `start` on for which predicate holds,
        or None at the deadline or when the process has gone."""
        deadline = time.monotonic() + timeout
        with self._cond:
            i = start
            while True:
                while i < len(self.messages):
                    if predicate(self.messages[i]):
                        return self.messages[i]
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    return None
                self._cond.wait(min(left, 0.2))

    def stats(self, timeout=10):
        with self._cond:
            start = len(self.messages)
        self.send({"cmd": "stats"})
        return self.wait_message(lambda m: m.get("type") == "stats", timeout, start)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=25):
        """Asks the process to quit (it tears its pipeline down, and gives up
        after 15 s) and waits; kills it after `timeout`. The exit status."""
        if self.proc.poll() is None:
            self.send({"cmd": "quit"})
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout)
            except Exception:  # noqa: BLE001
                self.proc.kill()
                self.proc.wait(5)
        self._reader.join(5)
        return self.proc.returncode


def wait_until(predicate, timeout, peers=(), interval=0.05):
    """True once predicate() holds; False at the deadline or on a bus error."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in peers:
            p.poll_bus()
            if p.errors:
                return False
        if predicate():
            return True
        time.sleep(interval)
    for p in peers:
        p.poll_bus()
    return predicate()


# -- JSON-lines mode ----------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--element", default="rtcbin", choices=["rtcbin", "webrtcbin"])
    ap.add_argument("--name", default="gst")
    ap.add_argument("--video", default="vp8", choices=["vp8", "h264", "none"])
    ap.add_argument("--no-audio", action="store_true")
    ap.add_argument("--recv-video", nargs="?", const="vp8", choices=["vp8", "h264"],
                    help="add a recvonly video transceiver (when offering without sending video)")
    ap.add_argument("--recv-audio", action="store_true")
    ap.add_argument("--size", default="320x240")
    ap.add_argument("--no-trickle", action="store_true",
                    help="send descriptions with every candidate in them, no trickle")
    ap.add_argument("--offer", action="store_true", help="send an offer at start")
    ap.add_argument("--stun-server")
    args = ap.parse_args(argv)

    width, height = (int(x) for x in args.size.split("x"))
    out_lock = threading.Lock()

    def send(msg):
        line = json.dumps(msg)
        with out_lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    try:
        peer = Peer(name=args.name, element=args.element,
                    video=None if args.video == "none" else args.video,
                    audio=not args.no_audio, recv_video=args.recv_video,
                    recv_audio=args.recv_audio, width=width, height=height,
                    trickle=not args.no_trickle, send=send)
        if args.stun_server:
            peer.pc.set_property("stun-server", args.stun_server)
        peer.start()
    except Exception as e:  # noqa: BLE001
        log("cannot start:", traceback.format_exc())
        send({"type": "error", "message": f"cannot start: {e}"})
        return 2

    # "ready" once the encoders produce: an element that answers before its
    # sink pads have their final caps (H.264's profile-level-id) answers from
    # less (test_rtcbin_webrtcbin.py tests that case on its own).
    if not peer.wait_sending_caps(10):
        send({"type": "error", "message": f"no caps from the payloaders in 10 s: {peer.errors}"})
    send({"type": "ready", "element": args.element})
    if args.offer:
        peer.handle({"cmd": "offer"})

    lines = queue.Queue()

    def reader():
        for line in sys.stdin:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=reader, daemon=True, name="stdin").start()
    status = 0
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
        line = line.strip()
        if not line:
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            send({"type": "error", "message": f"not JSON: {line[:80]}"})
            continue
        if msg.get("cmd") == "quit":
            break
        peer.handle(msg)
    try:
        peer.stop()
    except PeerError as e:
        log(str(e))
        send({"type": "error", "message": str(e)})
        sys.stdout.flush()
        os._exit(3)
    send({"type": "bye", "stats": peer.stats()})
    return 1 if peer.errors else status


if __name__ == "__main__":
    sys.exit(main())
