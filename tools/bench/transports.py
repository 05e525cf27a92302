# SPDX-License-Identifier: LGPL-2.1-or-later
"""The transport comparison: one source, six ways over loopback.

Every case runs a sender and a receiver as two child processes (so that
their CPU can be read apart from /proc/PID/stat), inside a private network
namespace when root (its own `lo`, an iptables byte counter, optional
random loss), and measures:

  - set-up: receiver's request (its pipeline going to PLAYING, which sends
    the WHEP POST, the webrtcbin offer, the RTSP DESCRIBE or opens the
    sockets) to the first decoded video frame leaving the decoder;
  - transport latency: per video frame, the time of its last RTP packet at
    the payloader's src pad (sender) to the time of its last packet at the
    depayloader's sink pad (receiver), matched by RTP timestamp (with the
    constant offset a forwarder may add, rtcsink's fan-out does), both on
    CLOCK_MONOTONIC;
  - CPU of each process over the measuring window;
  - bytes on the wire: every IP packet sent in the namespace (both
    directions: media, RTCP, ICE, TCP ACKs), IP/UDP/TCP headers included,
    against the RTP payload bytes (video + audio) leaving the payloaders.
"""
import argparse
import http.server
import json
import os
import random
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.request

from . import common

TRANSPORTS = [
    # name, description
    ("gst-rtc", "rtcsink -> rtcsrc (WHEP, ICE/DTLS-SRTP)"),
    ("webrtcbin", "webrtcbin -> webrtcbin (HTTP offer/answer)"),
    ("rtsp-udp", "gst-rtsp-server -> rtspsrc, RTP/UDP"),
    ("rtsp-tcp", "gst-rtsp-server -> rtspsrc, TCP-interleaved"),
    ("rtp-udp", "rtpbin -> rtpbin, RTP+RTCP over UDP"),
    ("rtp-tcp", "rtpstreampay ! tcpserversink -> tcpclientsrc ! rtpstreamdepay"),
]
TRANSPORT_NAMES = [t[0] for t in TRANSPORTS]
# Which element holds the receiver's jitterbuffer latency (None: none).
JB_ELEMENT = {"gst-rtc": "rtcsrc", "webrtcbin": "webrtcbin", "rtsp-udp": "rtspsrc",
              "rtsp-tcp": "rtspsrc", "rtp-udp": "rtpbin", "rtp-tcp": None}
FALLBACK_JB = {"rtcsrc": 100, "webrtcbin": 200, "rtspsrc": 2000, "rtpbin": 200}

VIDEO_SSRC = 0x1b2c3d4e
AUDIO_SSRC = 0x2c3d4e5f


def add_arguments(parser):
    parser.add_argument("--codec", choices=["vp8", "h264"], default="vp8",
                        help="video codec (default vp8)")
    parser.add_argument("--bitrate", type=int, default=2000000,
                        help="video bit rate in bit/s (default 2000000)")
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds measured per case (default 6, smoke 3)")
    parser.add_argument("--transport", action="append", choices=TRANSPORT_NAMES,
                        help="only these transports (repeatable; default all)")
    parser.add_argument("--loss", default=None,
                        help="packet loss rates in %%, comma-separated (default 0,2,5; "
                             "smoke 0 and 5 for gst-rtc and rtp-tcp); root only")
    parser.add_argument("--jitterbuffer", default=None,
                        help="jitterbuffer settings, comma-separated: ms or 'default' "
                             "(default 0,default; smoke default)")


# ---------------------------------------------------------------------------
# Child side: one role of one transport.
# ---------------------------------------------------------------------------

def _caps(codec, media):
    if media == "video":
        enc = "VP8" if codec == "vp8" else "H264"
        return (f"application/x-rtp,media=video,clock-rate=90000,encoding-name={enc},"
                f"payload=96")
    return "application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=111"


def _video_source(codec, bitrate):
    src = ("videotestsrc is-live=true pattern=smpte horizontal-speed=4 "
           "! video/x-raw,width=1280,height=720,framerate=30/1 ! queue max-size-buffers=2 ")
    if codec == "vp8":
        enc = (f"! vp8enc deadline=1 cpu-used=8 end-usage=cbr target-bitrate={bitrate} "
               "keyframe-max-dist=60 error-resilient=default lag-in-frames=0 threads=2 "
               "! video/x-vp8 ")
    else:
        enc = (f"! x264enc tune=zerolatency speed-preset=ultrafast bitrate={bitrate // 1000} "
               "key-int-max=60 ! video/x-h264,profile=constrained-baseline ! h264parse ")
    return src + enc


AUDIO_SOURCE = ("audiotestsrc is-live=true wave=sine volume=0.3 ! audioconvert ! audioresample "
                "! audio/x-raw,rate=48000,channels=2 ! opusenc bitrate=64000 frame-size=20 ")


def _video_pay(codec):
    if codec == "vp8":
        return f"rtpvp8pay name=vpay pt=96 mtu=1200 picture-id-mode=15-bit ssrc={VIDEO_SSRC} "
    return (f"rtph264pay name=vpay pt=96 mtu=1200 config-interval=-1 "
            f"aggregate-mode=zero-latency ssrc={VIDEO_SSRC} ")


AUDIO_PAY = f"rtpopuspay name=apay pt=111 mtu=1200 ssrc={AUDIO_SSRC} "


def _video_chain(codec):
    """depayloader ! decoder ! fakesink, named vdepay / vsink."""
    # A receiver that joins a running stream asks for a key frame (the
    # decoder's automatic sync point requests become RTCP PLI where there
    # is RTCP), as after a loss (the depayloader's request-keyframe).
    if codec == "vp8":
        return ("rtpvp8depay name=vdepay request-keyframe=true "
                "! vp8dec automatic-request-sync-points=true "
                "! fakesink name=vsink sync=false async=false")
    return ("rtph264depay name=vdepay request-keyframe=true "
            "! avdec_h264 automatic-request-sync-points=true "
            "! fakesink name=vsink sync=false async=false")


AUDIO_CHAIN = "rtpopusdepay ! opusdec ! fakesink sync=false async=false"


def _rtp_header(buf):
    """(timestamp, payload length) of an RTP packet in a GstBuffer."""
    size = buf.get_size()
    head = buf.extract_dup(0, min(size, 64))
    if len(head) < 12:
        return None, 0
    cc = head[0] & 0x0f
    hlen = 12 + 4 * cc
    if head[0] & 0x10 and len(head) >= hlen + 4:
        hlen += 4 + 4 * struct.unpack_from("!H", head, hlen + 2)[0]
    ts = struct.unpack_from("!I", head, 4)[0]
    return ts, max(size - hlen, 0)


class Role:
    def __init__(self, opts):
        import gi
        gi.require_version("Gst", "1.0")
        from gi.repository import GLib, Gst
        Gst.init(None)
        self.Gst = Gst
        self.GLib = GLib
        self.opts = opts
        self.loop = GLib.MainLoop()
        self.pipeline = None
        self.video = {}          # RTP timestamp -> monotonic ns of its last packet
        self.decoded = []        # monotonic ns of each decoded frame
        self.counters = {"video_payload": 0, "video_packets": 0,
                         "audio_payload": 0, "audio_packets": 0}
        self.t_request = None
        self.first_sent = False
        self.ready_sent = False
        self.lock = threading.Lock()

    # -- probes --
    def _rtp_probe(self, media):
        Gst = self.Gst

        def probe(pad, info):
            now = common.monotonic_ns()
            bufs = []
            if info.type & Gst.PadProbeType.BUFFER_LIST:
                lst = info.get_buffer_list()
                bufs = [lst.get(i) for i in range(lst.length())]
            else:
                buf = info.get_buffer()
                if buf is not None:
                    bufs = [buf]
            for buf in bufs:
                ts, plen = _rtp_header(buf)
                if ts is None:
                    continue
                self.counters[media + "_payload"] += plen
                self.counters[media + "_packets"] += 1
                if media == "video":
                    self.video[ts] = now
            if media == "video" and self.opts.role == "sender" and not self.ready_sent:
                self.ready_sent = True
                common.emit("ready")
            return Gst.PadProbeReturn.OK
        return probe

    def probe_rtp(self, pad, media):
        pad.add_probe(self.Gst.PadProbeType.BUFFER | self.Gst.PadProbeType.BUFFER_LIST,
                      self._rtp_probe(media))

    def probe_decoded(self, pad):
        Gst = self.Gst

        def probe(pad, info):
            now = common.monotonic_ns()
            self.decoded.append(now)
            if not self.first_sent:
                self.first_sent = True
                common.emit("first-frame", t_request=self.t_request, t_first=now,
                            setup_ms=(now - self.t_request) / 1e6)
            return Gst.PadProbeReturn.OK
        pad.add_probe(Gst.PadProbeType.BUFFER, probe)

    def watch_payloaders(self, bin_):
        """Probes the payloaders a bin creates inside itself (rtcsink)."""
        def added(_bin, _sub, element):
            name = element.get_factory().get_name() if element.get_factory() else ""
            if name in ("rtpvp8pay", "rtph264pay"):
                self.probe_rtp(element.get_static_pad("src"), "video")
            elif name == "rtpopuspay":
                self.probe_rtp(element.get_static_pad("src"), "audio")
        bin_.connect("deep-element-added", added)

    def watch_depayloaders(self, bin_):
        def added(_bin, _sub, element):
            name = element.get_factory().get_name() if element.get_factory() else ""
            if name in ("rtpvp8depay", "rtph264depay"):
                self.probe_rtp(element.get_static_pad("sink"), "video")
            elif name == "rtpopusdepay":
                self.probe_rtp(element.get_static_pad("sink"), "audio")
        bin_.connect("deep-element-added", added)

    def add_chain(self, description, srcpad):
        """A bin from `description` (first element's sink ghosted), added,
        linked to srcpad; probes vdepay / vsink when present."""
        Gst = self.Gst
        b = Gst.parse_bin_from_description(description, True)
        self.pipeline.add(b)
        depay = b.get_by_name("vdepay")
        if depay is not None:
            self.probe_rtp(depay.get_static_pad("sink"), "video")
        sink = b.get_by_name("vsink")
        if sink is not None:
            self.probe_decoded(sink.get_static_pad("sink"))
        b.sync_state_with_parent()
        ret = srcpad.link(b.get_static_pad("sink"))
        if ret != Gst.PadLinkReturn.OK:
            common.emit("error", message=f"cannot link {srcpad.get_name()}: {ret}")

    def probe_named(self):
        """Probes elements named vpay/apay/vdepay/vsink in the pipeline."""
        p = self.pipeline
        for name, pad, kind in (("vpay", "src", "video"), ("apay", "src", "audio"),
                                ("vdepay", "sink", "video")):
            e = p.get_by_name(name)
            if e is not None:
                self.probe_rtp(e.get_static_pad(pad), kind)
        e = p.get_by_name("vsink")
        if e is not None:
            self.probe_decoded(e.get_static_pad("sink"))

    # -- running --
    def on_message(self, bus, msg):
        Gst = self.Gst
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            common.emit("error", message=f"{msg.src.get_name()}: {err.message}")
            sys.stderr.write(f"{dbg}\n")
            os._exit(1)
        elif msg.type == Gst.MessageType.WARNING:
            err, _ = msg.parse_warning()
            sys.stderr.write(f"warning from {msg.src.get_name()}: {err.message}\n")
        return True

    def snap(self):
        with self.lock:
            common.emit("snap", t=common.monotonic_ns(), decoded=len(self.decoded),
                        **self.counters)

    def stop(self):
        with self.lock:
            common.emit("result", video=list(self.video.items()), decoded=self.decoded,
                        **self.counters)
        # Tearing down is not measured: give it a moment, never hang.
        threading.Timer(3.0, lambda: os._exit(0)).start()
        try:
            self.pipeline.set_state(self.Gst.State.NULL)
        finally:
            os._exit(0)

    def start(self, pipeline):
        Gst = self.Gst
        self.pipeline = pipeline
        bus = pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)
        common.serve_commands(self.snap, self.stop)
        self.t_request = common.monotonic_ns()
        if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            common.emit("error", message="the pipeline does not start")
            os._exit(1)

    def run(self):
        self.loop.run()


def _launch(Gst, description):
    """parse_launch, always as a pipeline (a single element comes back bare)."""
    element = Gst.parse_launch(description)
    if isinstance(element, Gst.Pipeline):
        return element
    pipeline = Gst.Pipeline.new(None)
    pipeline.add(element)
    return pipeline


def _latency_prop(opts):
    return "" if opts.latency < 0 else f" latency={opts.latency}"


def _sender(role, o):
    Gst = role.Gst
    V = _video_source(o.codec, o.bitrate)
    h, p = o.host, o.port
    t = o.transport
    if t == "gst-rtc":
        pipe = _launch(Gst, 
            f"{V} ! queue ! rtcsink name=s port={p} address={h} "
            f"{AUDIO_SOURCE} ! queue ! s.")
        role.watch_payloaders(pipe)
        role.start(pipe)
    elif t == "webrtcbin":
        pipe = _launch(Gst, 
            f"webrtcbin name=w bundle-policy=max-bundle{_latency_prop(o)} "
            f"{V} ! {_video_pay(o.codec)} ! queue ! {_caps(o.codec, 'video')} ! w. "
            f"{AUDIO_SOURCE} ! {AUDIO_PAY} ! queue ! {_caps(o.codec, 'audio')} ! w.")
        role.pipeline = pipe
        role.probe_named()
        _webrtcbin_answerer(role, pipe.get_by_name("w"), h, p)
        role.start(pipe)
    elif t in ("rtsp-udp", "rtsp-tcp"):
        _rtsp_server(role, o)
        common.emit("ready")
        return
    elif t == "rtp-udp":
        pipe = _launch(Gst, 
            f"rtpbin name=b rtp-profile=avpf "
            f"{V} ! {_video_pay(o.codec)} ! b.send_rtp_sink_0 "
            f"b.send_rtp_src_0 ! udpsink host={h} port={p} sync=false async=false "
            f"b.send_rtcp_src_0 ! udpsink host={h} port={p + 1} sync=false async=false "
            f"udpsrc address={h} port={p + 4} ! b.recv_rtcp_sink_0 "
            f"{AUDIO_SOURCE} ! {AUDIO_PAY} ! b.send_rtp_sink_1 "
            f"b.send_rtp_src_1 ! udpsink host={h} port={p + 2} sync=false async=false "
            f"b.send_rtcp_src_1 ! udpsink host={h} port={p + 3} sync=false async=false "
            f"udpsrc address={h} port={p + 5} ! b.recv_rtcp_sink_1")
        role.pipeline = pipe
        role.probe_named()
        role.start(pipe)
    elif t == "rtp-tcp":
        pipe = _launch(Gst, 
            f"{V} ! {_video_pay(o.codec)} ! rtpstreampay "
            f"! tcpserversink name=vtcp host={h} port={p} sync=false "
            f"{AUDIO_SOURCE} ! {AUDIO_PAY} ! rtpstreampay "
            f"! tcpserversink name=atcp host={h} port={p + 2} sync=false")
        role.pipeline = pipe
        role.probe_named()

        from gi.repository import Gio  # noqa: F401 (wraps the GSocket the signal gives)

        def nodelay(_sink, sock):
            # What WebSocket stacks do: no Nagle (else ~40 ms waits for ACKs).
            sock.set_option(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for name in ("vtcp", "atcp"):
            pipe.get_by_name(name).connect("client-added", nodelay)
        role.start(pipe)


def _quiet_server(server_class):
    class Quiet(server_class):
        def server_bind(self):
            # No getfqdn(): it hangs in a namespace without DNS.
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind(self.server_address)
            self.server_name, self.server_port = self.server_address[:2]
    return Quiet


def _reply_description(promise, kind, GstSdp, GstWebRTC):
    """The description in a create-offer/answer reply, rebuilt from its
    text while the reply is alive (the boxed one PyGObject hands out loses
    its SDP once the reply goes)."""
    reply = promise.get_reply()
    if reply is None:
        raise RuntimeError(f"create-{kind} replied with nothing")
    text = reply.get_value(kind).sdp.as_text()
    res, msg = GstSdp.SDPMessage.new_from_text(text)
    if res != GstSdp.SDPResult.OK:
        raise RuntimeError(f"create-{kind}: unparsable SDP")
    t = GstWebRTC.WebRTCSDPType.OFFER if kind == "offer" else GstWebRTC.WebRTCSDPType.ANSWER
    return GstWebRTC.WebRTCSessionDescription.new(t, msg)


def _wait_gathered(webrtc, GstWebRTC, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if webrtc.get_property("ice-gathering-state") == \
                GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            return True
        time.sleep(0.005)
    return False


def _webrtcbin_answerer(role, webrtc, host, port):
    """A minimal HTTP offer/answer endpoint for the webrtcbin sender: POST
    an offer (all candidates in it), get the answer (all candidates)."""
    import gi
    gi.require_version("GstWebRTC", "1.0")
    gi.require_version("GstSdp", "1.0")
    from gi.repository import GstSdp, GstWebRTC
    Gst = role.Gst

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                res, msg = GstSdp.SDPMessage.new_from_text(body.decode())
                if res != GstSdp.SDPResult.OK:
                    raise ValueError("bad SDP")
                offer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, msg)
                promise = Gst.Promise.new()
                webrtc.emit("set-remote-description", offer, promise)
                promise.wait()
                promise = Gst.Promise.new()
                webrtc.emit("create-answer", None, promise)
                promise.wait()
                answer = _reply_description(promise, "answer", GstSdp, GstWebRTC)
                promise = Gst.Promise.new()
                webrtc.emit("set-local-description", answer, promise)
                promise.wait()
                _wait_gathered(webrtc, GstWebRTC)
                text = webrtc.get_property("local-description").sdp.as_text().encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/sdp")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)
            except Exception as e:  # a bad offer: tell the sender
                text = str(e).encode()
                self.send_response(400)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

    server = _quiet_server(http.server.HTTPServer)((host, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def _rtsp_server(role, o):
    import gi
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GstRtspServer
    server = GstRtspServer.RTSPServer()
    server.set_address(o.host)
    server.set_service(str(o.port))
    factory = GstRtspServer.RTSPMediaFactory()
    vpay = _video_pay(o.codec).replace("name=vpay", "name=pay0")
    apay = AUDIO_PAY.replace("name=apay", "name=pay1")
    factory.set_launch(f"( {_video_source(o.codec, o.bitrate)} ! {vpay} "
                       f"{AUDIO_SOURCE} ! {apay} )")
    factory.set_shared(True)

    def configured(_factory, media):
        element = media.get_element()
        role.probe_rtp(element.get_by_name("pay0").get_static_pad("src"), "video")
        role.probe_rtp(element.get_by_name("pay1").get_static_pad("src"), "audio")
        # Bus errors of the media come through the server; the media
        # pipeline is the one to tear down at stop.
        role.pipeline = media.get_element()
    factory.connect("media-configure", configured)
    server.get_mount_points().add_factory("/s", factory)
    server.attach(None)
    role.rtsp_server = server
    # stop() sets role.pipeline to NULL: before the first client, a bin.
    role.pipeline = role.Gst.Bin.new("idle")
    common.serve_commands(role.snap, role.stop)


def _receiver(role, o):
    Gst = role.Gst
    h, p = o.host, o.port
    t = o.transport
    vchain = _video_chain(o.codec)
    if t == "gst-rtc":
        pipe = _launch(Gst, 
            f"rtcsrc name=r whep-url=http://{h}:{p}/whep{_latency_prop(o)} "
            "fakesink name=vsink sync=false async=false "
            "fakesink name=asink sync=false async=false")
        role.pipeline = pipe
        role.watch_depayloaders(pipe)
        role.probe_decoded(pipe.get_by_name("vsink").get_static_pad("sink"))

        def pad_added(_src, pad):
            sink = "vsink" if pad.get_name().startswith("video") else "asink"
            pad.link(pipe.get_by_name(sink).get_static_pad("sink"))
        pipe.get_by_name("r").connect("pad-added", pad_added)
        role.start(pipe)
    elif t == "webrtcbin":
        _webrtcbin_offerer(role, o, vchain)
    elif t in ("rtsp-udp", "rtsp-tcp"):
        proto = "udp" if t == "rtsp-udp" else "tcp"
        pipe = _launch(Gst, 
            f"rtspsrc name=r location=rtsp://{h}:{p}/s protocols={proto}{_latency_prop(o)}")
        role.pipeline = pipe

        def pad_added(_src, pad):
            caps = pad.get_current_caps() or pad.query_caps(None)
            media = caps.get_structure(0).get_string("media")
            role.add_chain(vchain if media == "video" else AUDIO_CHAIN, pad)
        pipe.get_by_name("r").connect("pad-added", pad_added)
        role.start(pipe)
    elif t == "rtp-udp":
        vcaps = _caps(o.codec, "video") + ",rtcp-fb-nack-pli=(boolean)true"
        pipe = _launch(Gst, 
            f"rtpbin name=b rtp-profile=avpf{_latency_prop(o)} "
            f"udpsrc address={h} port={p} caps=\"{vcaps}\" ! b.recv_rtp_sink_0 "
            f"udpsrc address={h} port={p + 1} ! b.recv_rtcp_sink_0 "
            f"b.send_rtcp_src_0 ! udpsink host={h} port={p + 4} sync=false async=false "
            f"udpsrc address={h} port={p + 2} caps=\"{_caps(o.codec, 'audio')}\" "
            f"! b.recv_rtp_sink_1 "
            f"udpsrc address={h} port={p + 3} ! b.recv_rtcp_sink_1 "
            f"b.send_rtcp_src_1 ! udpsink host={h} port={p + 5} sync=false async=false")
        role.pipeline = pipe

        def pad_added(_bin, pad):
            name = pad.get_name()
            if name.startswith("recv_rtp_src_0_"):
                role.add_chain(vchain, pad)
            elif name.startswith("recv_rtp_src_1_"):
                role.add_chain(AUDIO_CHAIN, pad)
        pipe.get_by_name("b").connect("pad-added", pad_added)
        role.start(pipe)
    elif t == "rtp-tcp":
        vcaps = _caps(o.codec, "video").replace("application/x-rtp,", "application/x-rtp-stream,")
        acaps = _caps(o.codec, "audio").replace("application/x-rtp,", "application/x-rtp-stream,")
        pipe = _launch(Gst, 
            f"tcpclientsrc host={h} port={p} ! {vcaps} ! rtpstreamdepay ! {vchain} "
            f"tcpclientsrc host={h} port={p + 2} ! {acaps} ! rtpstreamdepay ! {AUDIO_CHAIN}")
        role.pipeline = pipe
        role.probe_named()
        role.start(pipe)


def _webrtcbin_offerer(role, o, vchain):
    import gi
    gi.require_version("GstWebRTC", "1.0")
    gi.require_version("GstSdp", "1.0")
    from gi.repository import GstSdp, GstWebRTC
    Gst = role.Gst
    pipe = _launch(Gst, f"webrtcbin name=w bundle-policy=max-bundle{_latency_prop(o)}")
    role.pipeline = pipe
    webrtc = pipe.get_by_name("w")
    recvonly = GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY
    for media in ("video", "audio"):
        caps = _caps(o.codec, media) + ",rtcp-fb-nack-pli=(boolean)true"
        webrtc.emit("add-transceiver", recvonly, Gst.Caps.from_string(caps))

    def pad_added(_w, pad):
        if pad.direction != Gst.PadDirection.SRC:
            return
        caps = pad.get_current_caps() or pad.query_caps(None)
        media = caps.get_structure(0).get_string("media")
        role.add_chain(vchain if media == "video" else AUDIO_CHAIN, pad)
    webrtc.connect("pad-added", pad_added)

    def negotiate():
        try:
            promise = Gst.Promise.new()
            webrtc.emit("create-offer", None, promise)
            promise.wait()
            offer = _reply_description(promise, "offer", GstSdp, GstWebRTC)
            promise = Gst.Promise.new()
            webrtc.emit("set-local-description", offer, promise)
            promise.wait()
            common.emit("stage", name="offer", t=common.monotonic_ns())
            if not _wait_gathered(webrtc, GstWebRTC):
                raise RuntimeError("webrtcbin: ICE gathering does not complete")
            common.emit("stage", name="gathered", t=common.monotonic_ns())
            sdp = webrtc.get_property("local-description").sdp.as_text()
            req = urllib.request.Request(f"http://{o.host}:{o.port}/", data=sdp.encode(),
                                         headers={"Content-Type": "application/sdp"})
            with urllib.request.urlopen(req, timeout=15) as r:
                text = r.read().decode()
            res, msg = GstSdp.SDPMessage.new_from_text(text)
            answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
            common.emit("stage", name="answer", t=common.monotonic_ns())
            promise = Gst.Promise.new()
            webrtc.emit("set-remote-description", answer, promise)
            promise.wait()
        except Exception as e:
            common.emit("error", message=f"webrtcbin negotiation: {e}")
            os._exit(1)
    role.start(pipe)
    threading.Thread(target=negotiate, daemon=True).start()


def child_main(argv):
    parser = argparse.ArgumentParser(prog="gst-rtc-bench _child transports")
    parser.add_argument("--role", choices=["sender", "receiver"], required=True)
    parser.add_argument("--transport", choices=TRANSPORT_NAMES, required=True)
    parser.add_argument("--codec", default="vp8")
    parser.add_argument("--bitrate", type=int, default=2000000)
    parser.add_argument("--latency", type=int, default=-1, help="ms; -1: element default")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    o = parser.parse_args(argv)
    role = Role(o)
    try:
        (_sender if o.role == "sender" else _receiver)(role, o)
    except Exception as e:
        traceback.print_exc()
        common.emit("error", message=f"{o.role}: {e}")
        return 1
    role.run()
    return 0


# ---------------------------------------------------------------------------
# Parent side.
# ---------------------------------------------------------------------------

def _default_latencies():
    out = dict(FALLBACK_JB)
    try:
        import gi
        gi.require_version("Gst", "1.0")
        from gi.repository import Gst
        Gst.init(None)
        for name in out:
            e = Gst.ElementFactory.make(name)
            if e is not None:
                out[name] = e.props.latency
    except Exception:
        pass
    return out


def _free_base_port(span=12):
    for _ in range(200):
        base = random.randrange(20000, 60000, 16)
        try:
            socks = []
            for port in range(base, base + span):
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    s = socket.socket(socket.AF_INET, kind)
                    socks.append(s)
                    s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")


def _match_offset(tx, rx):
    """The constant RTP timestamp offset from sender to receiver (0 unless
    a forwarder rewrites timestamps, as rtcsink's fan-out does). Every
    offset that pairs most received frames with a frame sent up to 5 s
    before is a candidate (an offset of k frames too early pairs them as
    well); the true one is the candidate with the smallest median delay."""
    votes = {}
    tx_items = sorted(tx.items(), key=lambda kv: kv[1])
    rx_items = sorted(rx.items(), key=lambda kv: kv[1])
    step = max(1, len(rx_items) // 40)
    sample = rx_items[::step]
    for ts_r, t_r in sample:
        for ts_s, t_s in tx_items:
            if 0 <= t_r - t_s <= 5e9:
                d = (ts_r - ts_s) & 0xffffffff
                votes[d] = votes.get(d, 0) + 1
    if not votes:
        return None
    most = max(votes.values())
    best, best_median = None, None
    for d, n in votes.items():
        if n < 0.8 * most:
            continue
        delays = sorted(t_r - tx[(ts_r - d) & 0xffffffff] for ts_r, t_r in sample
                        if (ts_r - d) & 0xffffffff in tx)
        delays = [x for x in delays if x >= 0]
        if not delays:
            continue
        median = delays[len(delays) // 2]
        if best_median is None or median < best_median:
            best, best_median = d, median
    return best


def run_case(opts, transport, latency, loss, duration, env):
    """One sender and one receiver; returns a dict of figures (and "error")."""
    out = {"transport": transport, "latency": latency, "loss": loss}
    use_ns = common.NetNs.available()
    if loss > 0 and not use_ns:
        out["error"] = "loss needs root (a network namespace)"
        return out
    ns = common.NetNs(loss=loss / 100.0, tag="b1") if use_ns else None
    port = 20000 if ns else _free_base_port()
    args = ["--transport", transport, "--codec", opts.codec, "--bitrate", str(opts.bitrate),
            "--latency", str(-1 if latency is None else latency), "--host", "127.0.0.1",
            "--port", str(port)]
    sender = receiver = None
    try:
        if ns:
            ns.__enter__()
        wrap = ns.wrap if ns else (lambda a: a)
        sender = common.run_child(wrap(common.child_argv("transports",
                                                         ["--role", "sender"] + args)),
                                  env=env, name=f"{transport} sender")
        sender.expect("ready", 30)
        receiver = common.run_child(wrap(common.child_argv("transports",
                                                           ["--role", "receiver"] + args)),
                                    env=env, name=f"{transport} receiver")
        first = receiver.expect("first-frame", 30 + (30 if loss else 0))
        out["setup_ms"] = first["setup_ms"]
        time.sleep(1.0)
        w0 = ns.wire_bytes() if ns else None
        c0 = (common.cpu_seconds(sender.pid), common.cpu_seconds(receiver.pid))
        s0 = sender.snap()
        t0 = common.monotonic_ns()
        time.sleep(duration)
        t1 = common.monotonic_ns()
        s1 = sender.snap()
        c1 = (common.cpu_seconds(sender.pid), common.cpu_seconds(receiver.pid))
        w1 = ns.wire_bytes() if ns else None
        rres = receiver.stop()
        sres = sender.stop()
        if rres is None or sres is None:
            raise common.ChildError("a child gave no result")
    except Exception as e:
        out["error"] = str(e).splitlines()[0] if str(e) else repr(e)
        sys.stderr.write(f"[{transport} jb={latency} loss={loss}] {e}\n")
        return out
    finally:
        for child in (receiver, sender):
            if child is not None:
                child.kill()
        if ns:
            ns.__exit__(None, None, None)

    wall = (t1 - t0) / 1e9
    out["load"] = os.getloadavg()[0]
    out["sender_cpu"] = 100.0 * (c1[0] - c0[0]) / wall
    out["receiver_cpu"] = 100.0 * (c1[1] - c0[1]) / wall
    payload = ((s1["video_payload"] + s1["audio_payload"])
               - (s0["video_payload"] + s0["audio_payload"]))
    out["payload_kbps"] = payload * 8 / wall / 1000
    if w0 is not None:
        out["wire_kbps"] = (w1[1] - w0[1]) * 8 / wall / 1000
        out["wire_pps"] = (w1[0] - w0[0]) / wall
        out["overhead"] = 100.0 * ((w1[1] - w0[1]) / payload - 1) if payload else None
    tx = {int(ts): t for ts, t in sres["video"]}
    rx = {int(ts): t for ts, t in rres["video"]}
    offset = _match_offset(tx, rx)
    lat = []
    if offset is not None:
        for ts, t in rx.items():
            if t0 <= t <= t1:
                sent = tx.get((ts - offset) & 0xffffffff)
                if sent is not None and 0 <= t - sent < 10e9:
                    lat.append((t - sent) / 1e6)
    sent_frames = sum(1 for t in tx.values() if t0 <= t <= t1 - 0.5e9)
    out["frames"] = len(lat)
    out["delivered"] = 100.0 * min(len(lat), sent_frames) / sent_frames if sent_frames else None
    out["fps"] = sum(1 for t in rres["decoded"] if t0 <= t <= t1) / wall
    for p in (50, 95, 99):
        out[f"p{p}"] = common.percentile(lat, p)
    raw = os.path.join(opts.out, "raw")
    os.makedirs(raw, exist_ok=True)
    with open(os.path.join(raw, f"{transport}-jb{latency}-loss{loss:g}.json"), "w") as f:
        json.dump({"t0": t0, "t1": t1, "offset": offset, "tx": sres["video"],
                   "rx": rres["video"], "decoded": rres["decoded"], "latency_ms": lat}, f)
    return out


def _child_env():
    env = dict(os.environ)
    env.setdefault("GST_DEBUG", "*:1")
    # The children must not fork a registry scanner each: share the parent's.
    env["GST_REGISTRY_FORK"] = env.get("GST_REGISTRY_FORK", "no")
    return env


def _parse_list(text, default):
    if text is None:
        return default
    return [x.strip() for x in text.split(",") if x.strip()]


COLUMNS = ["transport", "jb ms", "loss %", "setup ms", "p50 ms", "p95 ms", "p99 ms",
           "frames", "delivered %", "fps", "send CPU %", "recv CPU %",
           "wire kbit/s", "wire pkt/s", "payload kbit/s", "overhead %", "load", "error"]


def run(opts):
    smoke = getattr(opts, "smoke", False)
    duration = opts.duration or (3.0 if smoke else 6.0)
    transports = opts.transport or TRANSPORT_NAMES
    defaults = _default_latencies()
    env = _child_env()
    root = common.NetNs.available()
    notes = []
    jbs = _parse_list(opts.jitterbuffer, ["default"] if smoke else ["0", "default"])
    losses = [float(x) for x in _parse_list(opts.loss, ["0", "5"] if smoke else ["0", "2", "5"])]
    if not root and any(l > 0 for l in losses):
        notes.append("loss cases skipped: they need root (a private network namespace "
                     "with iptables); wire bytes are not counted either")
        losses = [0.0]

    cases = []
    for t in transports:
        elem = JB_ELEMENT[t]
        for loss in losses:
            if smoke and loss > 0 and t not in ("gst-rtc", "rtp-tcp"):
                continue
            seen = set()
            for jb in jbs:
                if elem is None:
                    value = None
                else:
                    value = defaults[elem] if jb == "default" else int(jb)
                if value in seen:
                    continue
                seen.add(value)
                cases.append((t, value, loss))

    results = []
    errors = []
    for i, (t, jb, loss) in enumerate(cases):
        sys.stderr.write(f"transports [{i + 1}/{len(cases)}] {t} jb={jb} loss={loss:g}%\n")
        r = run_case(opts, t, jb, loss, duration, env)
        results.append(r)
        if "error" in r:
            errors.append(f"{t} (jb {jb}, loss {loss:g} %): {r['error']}")
        elif not r.get("fps") or not r.get("frames"):
            errors.append(f"{t} (jb {jb}, loss {loss:g} %): no frames "
                          f"(decoded {r.get('fps')}/s, matched {r.get('frames')})")
        elif root and not r.get("wire_kbps"):
            errors.append(f"{t} (jb {jb}, loss {loss:g} %): no bytes counted on the wire")

    rows = []
    for r in results:
        rows.append([r["transport"], "none" if r["latency"] is None else r["latency"],
                     r["loss"], r.get("setup_ms"), r.get("p50"), r.get("p95"), r.get("p99"),
                     r.get("frames"), r.get("delivered"), r.get("fps"), r.get("sender_cpu"),
                     r.get("receiver_cpu"), r.get("wire_kbps"), r.get("wire_pps"),
                     r.get("payload_kbps"), r.get("overhead"), r.get("load"),
                     r.get("error", "")])
    notes += [
        f"machine: {common.machine_description()}",
        f"{opts.codec.upper()} 1280x720 30 fps at {opts.bitrate // 1000} kbit/s + Opus 64 kbit/s; "
        f"{duration:g} s measured per case after the first frame and 1 s more",
        "setup: receiver's pipeline to PLAYING (the request) -> first decoded video frame",
        "latency: last RTP packet of a video frame at the payloader's src pad -> at the "
        "depayloader's sink pad, matched by RTP timestamp, CLOCK_MONOTONIC, two processes",
        "jb: receiver jitterbuffer latency (rtcsrc/webrtcbin/rtspsrc/rtpbin 'latency'); "
        f"defaults here: rtcsrc {defaults['rtcsrc']}, webrtcbin {defaults['webrtcbin']}, "
        f"rtspsrc {defaults['rtspsrc']}, rtpbin {defaults['rtpbin']}; rtp-tcp has none",
        "CPU: utime+stime of each process (/proc/PID/stat) over the window, % of one core; "
        "the sender's includes capture and encoding",
        "load: the machine's 1-minute load average at the end of the window (figures "
        "taken at a load above the core count measure the machine, not the transport)",
    ]
    if root:
        notes += [
            "wire: every IP packet sent in the case's private network namespace "
            "(iptables/ip6tables OUTPUT counters), both directions, headers included; "
            "overhead = wire / RTP payload (video+audio) - 1",
            "loss: iptables -m statistic random DROP of incoming packets in that namespace "
            "(all packets: media, RTCP, ICE, HTTP, TCP)"]
    else:
        notes.append("not root (or GST_RTC_BENCH_NO_NETNS): cases run on the host's loopback; "
                     "no wire counts, no loss")
    section = common.Section("transports", "Transports (same source, loopback)", COLUMNS,
                             rows, notes)
    if errors:
        section["errors"] = errors
    section["plots"] = _plots(results)
    sections = [section, _targets(results, defaults)]
    return sections


def _pick(results, transport, latency=..., loss=0.0):
    for r in results:
        if r["transport"] == transport and r["loss"] == loss and \
                (latency is ... or r["latency"] == latency) and "error" not in r:
            return r
    return None


def _plots(results):
    losses = sorted({r["loss"] for r in results})
    plots = []
    series = []
    for t in TRANSPORT_NAMES:
        xs, ys = [], []
        for loss in losses:
            best = [r for r in results if r["transport"] == t and r["loss"] == loss
                    and r.get("p95") is not None]
            # The transport's default jitterbuffer: the largest value run.
            if best:
                r = max(best, key=lambda r: -1 if r["latency"] is None else r["latency"])
                xs.append(loss)
                ys.append(r["p95"])
        if xs:
            series.append({"label": t, "x": xs, "y": ys})
    if series:
        plots.append({"file": "transports-latency-p95.png",
                      "title": "Transport latency p95 (default jitterbuffer) vs loss",
                      "xlabel": "packet loss %", "ylabel": "ms", "series": series,
                      "logy": True})
    zero = [r for r in results if r["loss"] == 0 and r.get("p95") is not None]
    if zero:
        labels = [f"{r['transport']}\njb {'-' if r['latency'] is None else r['latency']}"
                  for r in zero]
        plots.append({"file": "transports-latency-noloss.png", "kind": "bar",
                      "title": "Transport latency p95, no loss", "xlabel": "",
                      "ylabel": "ms",
                      "series": [{"label": "p95", "x": labels, "y": [r["p95"] for r in zero]}]})
        plots.append({"file": "transports-setup.png", "kind": "bar",
                      "title": "Set-up: request to first decoded frame, no loss",
                      "xlabel": "", "ylabel": "ms",
                      "series": [{"label": "setup", "x": labels,
                                  "y": [r.get("setup_ms") for r in zero]}]})
        plots.append({"file": "transports-cpu.png", "kind": "bar",
                      "title": "CPU (% of one core), no loss", "xlabel": "", "ylabel": "%",
                      "series": [{"label": "sender + receiver", "x": labels,
                                  "y": [(r.get("sender_cpu") or 0) + (r.get("receiver_cpu") or 0)
                                        for r in zero]}]})
    return plots


def _targets(results, defaults):
    rows = []

    def row(target, ours, theirs, goal, met):
        rows.append([target, ours, theirs, goal, met])

    for jb in sorted({r["latency"] for r in results if r["transport"] == "gst-rtc"
                      and r["latency"] is not None}):
        a = _pick(results, "gst-rtc", jb)
        b = _pick(results, "rtp-udp", jb)
        if a and b and a.get("p95") is not None and b.get("p95") is not None:
            d = a["p95"] - b["p95"]
            row(f"p95 latency over plain RTP, jb {jb} ms", a["p95"], b["p95"], "<= +1 ms",
                f"{'yes' if d <= 1.0 else 'no'} ({d:+.2f} ms)")
    a = _pick(results, "gst-rtc", defaults["rtcsrc"])
    b = _pick(results, "webrtcbin", defaults["webrtcbin"])
    if a and b and a.get("setup_ms") and b.get("setup_ms"):
        ratio = a["setup_ms"] / b["setup_ms"]
        row("set-up vs webrtcbin, defaults", a["setup_ms"], b["setup_ms"], "<= 0.5x",
            f"{'yes' if ratio <= 0.5 else 'no'} ({ratio:.2f}x)")
    for loss in sorted({r["loss"] for r in results if r["loss"] > 0}):
        cands = [r for r in results if r["transport"] == "gst-rtc" and r["loss"] == loss
                 and r.get("p95") is not None]
        tcp = _pick(results, "rtp-tcp", None, loss)
        if cands and tcp and tcp.get("p95") is not None:
            a = max(cands, key=lambda r: r["latency"])
            d = tcp["p95"] - a["p95"]
            row(f"p95 under {loss:g} % loss vs TCP (jb {a['latency']})", a["p95"], tcp["p95"],
                "below TCP", f"{'yes' if d > 0 else 'no'} ({d:+.1f} ms)")
    return common.Section("transports-targets", "Transport targets (issue 6)",
                          ["target", "gst-rtc", "reference", "goal", "met"], rows,
                          ["reference: rtp-udp for latency, webrtcbin for set-up, rtp-tcp "
                           "for loss; same run"])
