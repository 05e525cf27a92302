# SPDX-License-Identifier: LGPL-2.1-or-later
"""rtcsrc against rtcsink in another process (WHEP), and as a WHIP endpoint.

The publisher is `gst-launch-1.0 -m videotestsrc ! rtcsink audiotestsrc ! s.`
in a subprocess; rtcsrc runs in this process (GI) with a fakesink behind
each of its pads, and a probe on each pad counts what comes out of it.

- rtcsrc plays by WHEP, decoded (video/x-raw) and encoded (video/x-vp8,
  H.264 byte-stream); it stops cleanly at any moment;
- the rtcsink process is killed and restarted: rtcsrc notices, retries with
  backoff, and the same pads carry the new stream (no EOS, no pad removed);
- a WHEP server that is not there yet: warnings, retries, then it plays;
- as a WHIP endpoint: bad requests get 415, 400, 404, 413, and aiortc
  publishes into it (a second publisher gets 409);
- rtcsink and rtcsrc share one port (`/` and `/whep` beside `/whip`);
- a GstRtcSignaller written in Python joins rtcsrc to webrtcbin, twice.
"""
import asyncio
import http.client
import os
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

from pipelines import Gst

DEADLINE = 20.0
SINK_LAUNCH = ("videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 "
               "! rtcsink name=s port={port} address=127.0.0.1 "
               "audiotestsrc is-live=true wave=ticks ! s.")


def setup_module():
    if Gst.ElementFactory.find("rtcsrc") is None:
        raise AssertionError("rtcsrc is not in the registry (GST_PLUGIN_PATH_1_0="
                             f"{os.environ.get('GST_PLUGIN_PATH_1_0')})")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SinkProcess:
    """gst-launch-1.0 -m with rtcsink, and what it printed."""

    def __init__(self, port, launch=SINK_LAUNCH):
        self.port = port
        self.lines = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(
            ["gst-launch-1.0", "-m"] + launch.format(port=port).split(),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_line("rtcsink-listening", what="rtcsink to listen")

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, pattern, timeout=DEADLINE, what=None):
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                if any(regex.search(line) for line in self.lines):
                    return
                if self.proc.poll() is not None:
                    raise AssertionError(f"gst-launch exited waiting for {what or pattern}:\n"
                                         + "\n".join(self.lines[-40:]))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what or pattern}:\n"
                                         + "\n".join(self.lines[-40:]))
                self.cond.wait(min(left, 0.2))

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        text = "\n".join(self.lines)
        assert "CRITICAL" not in text, text[-4000:]


class Src:
    """rtcsrc in a pipeline of this process, a fakesink behind each pad."""

    def __init__(self, **props):
        self.pipeline = Gst.Pipeline.new()
        self.src = Gst.ElementFactory.make("rtcsrc", "src")
        for key, value in props.items():
            self.src.set_property(key.replace("_", "-"), value)
        self.pipeline.add(self.src)
        self.lock = threading.Lock()
        self.counts = {}
        self.caps = {}
        self.pads_added = []
        self.pads_removed = []
        self.eos = []
        self.messages = []
        self.warnings = []
        self.errors = []
        self.src.connect("pad-added", self._on_pad_added)
        self.src.connect("pad-removed", lambda e, p: self.pads_removed.append(p.get_name()))
        self.bus = self.pipeline.get_bus()

    def _on_pad_added(self, element, pad):
        name = pad.get_name()
        with self.lock:
            self.pads_added.append(name)
            self.counts[name] = 0
            self.caps[name] = []
        pad.add_probe(Gst.PadProbeType.BUFFER | Gst.PadProbeType.EVENT_DOWNSTREAM, self._probe)
        queue = Gst.ElementFactory.make("queue")
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("async", False)
        self.pipeline.add(queue)
        self.pipeline.add(sink)
        queue.link(sink)
        sink.sync_state_with_parent()
        queue.sync_state_with_parent()
        assert pad.link(queue.get_static_pad("sink")) == Gst.PadLinkReturn.OK

    def _probe(self, pad, info):
        name = pad.get_name()
        if info.type & Gst.PadProbeType.BUFFER:
            with self.lock:
                self.counts[name] += 1
        else:
            event = info.get_event()
            if event.type == Gst.EventType.CAPS:
                with self.lock:
                    self.caps[name].append(event.parse_caps().to_string())
            elif event.type == Gst.EventType.EOS:
                with self.lock:
                    self.eos.append(name)
        return Gst.PadProbeReturn.OK

    def count(self, name):
        with self.lock:
            return self.counts.get(name, 0)

    def play(self):
        ret = self.pipeline.set_state(Gst.State.PLAYING)
        self.poll()
        assert ret != Gst.StateChangeReturn.FAILURE, self.errors

    def poll(self):
        while True:
            msg = self.bus.pop()
            if msg is None:
                return
            if msg.type == Gst.MessageType.ERROR:
                err, debug = msg.parse_error()
                self.errors.append(f"{msg.src.get_name()}: {err.message} ({debug})")
            elif msg.type == Gst.MessageType.WARNING:
                err, debug = msg.parse_warning()
                self.warnings.append(f"{msg.src.get_name()}: {err.message} ({debug})")
            elif msg.type == Gst.MessageType.ELEMENT and msg.src == self.src:
                self.messages.append(msg.get_structure().copy())
            elif msg.type == Gst.MessageType.EOS:
                self.eos.append("pipeline")

    def wait_for(self, predicate, timeout=DEADLINE, what="a condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll()
            assert not self.errors, self.errors
            if predicate():
                return
            time.sleep(0.05)
        self.poll()
        assert predicate(), (f"timed out waiting for {what}: counts {self.counts}, pads "
                             f"{self.pads_added}, warnings {self.warnings[-5:]}, "
                             f"messages {[m.to_string() for m in self.messages]}")

    def named(self, name):
        return [m for m in self.messages if m.get_name() == name]

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)
        self.poll()


@pytest.fixture
def cleanup():
    things = []
    yield things.append
    for thing in reversed(things):
        thing.stop()


def test_plays_decoded_from_rtcsink(cleanup):
    sink = SinkProcess(free_port())
    cleanup(sink)
    src = Src(whep_url=f"http://127.0.0.1:{sink.port}/whep")
    cleanup(src)
    src.play()
    src.wait_for(lambda: src.count("video_0") > 60 and src.count("audio_0") > 30,
                 what="60 video frames and 30 audio buffers")
    assert src.caps["video_0"][0].startswith("video/x-raw"), src.caps
    assert "width=(int)320" in src.caps["video_0"][0], src.caps
    assert src.caps["audio_0"][0].startswith("audio/x-raw"), src.caps
    assert src.named("rtcsrc-connected"), src.messages
    assert sorted(src.pads_added) == ["audio_0", "video_0"]
    sink.wait_line("rtcsink-viewer-added", what="viewer-added")
    # Stopping hangs up: rtcsink hears the DELETE (or close_notify).
    src.stop()
    sink.wait_line(r"rtcsink-viewer-removed.*DELETE", timeout=10, what="viewer-removed by DELETE")
    assert not src.errors, src.errors


def test_plays_encoded_with_decode_false(cleanup):
    sink = SinkProcess(free_port())
    cleanup(sink)
    src = Src(whep_url=f"http://127.0.0.1:{sink.port}/whep", decode=False)
    cleanup(src)
    src.play()
    src.wait_for(lambda: src.count("video_0") > 60 and src.count("audio_0") > 30,
                 what="60 VP8 frames and 30 Opus packets")
    assert src.caps["video_0"][0].startswith("video/x-vp8"), src.caps
    assert src.caps["audio_0"][0].startswith("audio/x-opus"), src.caps
    # The application's EOS (gst-launch-1.0 -e) ends every pad's stream.
    src.pipeline.send_event(Gst.Event.new_eos())
    src.wait_for(lambda: sorted(e for e in src.eos if e != "pipeline") == ["audio_0", "video_0"],
                 timeout=5, what="EOS on both pads")


def test_h264_comes_out_as_byte_stream_access_units(cleanup):
    if Gst.ElementFactory.find("x264enc") is None:
        pytest.skip("x264enc (gst-plugins-ugly) is not installed")
    sink = SinkProcess(free_port(), (
        "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 "
        "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 "
        "! video/x-h264,profile=constrained-baseline "
        "! rtcsink name=s port={port} address=127.0.0.1"))
    cleanup(sink)
    src = Src(whep_url=f"http://127.0.0.1:{sink.port}/whep", decode=False, receive_audio=False)
    cleanup(src)
    src.play()
    src.wait_for(lambda: src.count("video_0") > 60, what="60 H.264 access units")
    caps = src.caps["video_0"][-1]
    assert caps.startswith("video/x-h264"), src.caps
    assert "stream-format=(string)byte-stream" in caps and "alignment=(string)au" in caps, caps
    assert "audio_0" not in src.pads_added


def test_keeps_its_pads_when_the_publisher_comes_back(cleanup):
    port = free_port()
    sink = SinkProcess(port)
    src = Src(whep_url=f"http://127.0.0.1:{port}/whep", media_timeout=2)
    cleanup(src)
    src.play()
    src.wait_for(lambda: src.count("video_0") > 30, what="30 frames")
    pads = sorted(src.pads_added)

    # The server vanishes without a word: no DELETE, no close_notify.
    sink.kill()
    src.wait_for(lambda: src.named("rtcsrc-disconnected"), timeout=15,
                 what="rtcsrc-disconnected")
    reason = src.named("rtcsrc-disconnected")[0].get_string("reason")
    before = src.count("video_0")
    time.sleep(2)
    # While it is away, rtcsrc retries and says so on the bus.
    src.poll()
    assert any("WHEP" in w for w in src.warnings), src.warnings

    sink = SinkProcess(port)
    cleanup(sink)
    src.wait_for(lambda: src.count("video_0") > before + 60, timeout=40,
                 what="60 more frames from the new rtcsink")
    assert len(src.named("rtcsrc-connected")) >= 2
    assert sorted(src.pads_added) == pads, src.pads_added
    assert src.pads_removed == []
    assert src.eos == [], src.eos
    print(f"disconnected: {reason}; {len(src.warnings)} warnings while away")


def test_retries_until_the_whep_server_appears(cleanup):
    port = free_port()
    src = Src(whep_url=f"http://127.0.0.1:{port}/whep")
    cleanup(src)
    started = time.monotonic()
    src.play()
    # 1 s, 2 s, 4 s...: at least two refused attempts within 5 s.
    src.wait_for(lambda: sum("Could not reach the WHEP server" in w for w in src.warnings) >= 2,
                 timeout=8, what="two warnings")
    assert time.monotonic() - started >= 1.0
    assert not src.errors
    sink = SinkProcess(port)
    cleanup(sink)
    src.wait_for(lambda: src.count("video_0") > 30, timeout=40, what="frames once the server is up")


def test_refused_offer_is_a_warning_with_the_reason(cleanup):
    # rtcsink with a bearer token refuses offers without it: 401 and a reason.
    port = free_port()
    sink = SinkProcess(port, SINK_LAUNCH.replace("address=127.0.0.1",
                                                 "address=127.0.0.1 bearer-token=secret"))
    cleanup(sink)
    src = Src(whep_url=f"http://127.0.0.1:{port}/whep")
    cleanup(src)
    src.play()
    src.wait_for(lambda: any("401" in w for w in src.warnings), timeout=10, what="a 401 warning")
    print(next(w for w in src.warnings if "401" in w))
    assert not src.errors
    src.stop()
    # With the token, it plays.
    src = Src(whep_url=f"http://127.0.0.1:{port}/whep", bearer_token="secret")
    cleanup(src)
    src.play()
    src.wait_for(lambda: src.count("video_0") > 30, what="frames with the token")


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def whip_src(cleanup, **props):
    port = free_port()
    src = Src(port=port, address="127.0.0.1", **props)
    cleanup(src)
    src.play()
    src.wait_for(lambda: src.named("rtcsrc-listening"), what="rtcsrc-listening")
    # READY to PAUSED starts accepting publishers on the control thread.
    time.sleep(0.2)
    return src, port


OFFER_RECVONLY = """v=0\r
o=- 1 1 IN IP4 127.0.0.1\r
s=-\r
t=0 0\r
a=group:BUNDLE 0\r
m=video 9 UDP/TLS/RTP/SAVPF 96\r
c=IN IP4 0.0.0.0\r
a=mid:0\r
a=recvonly\r
a=rtcp-mux\r
a=ice-ufrag:abcd\r
a=ice-pwd:abcdefghijklmnopqrstuvwx\r
a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r
a=setup:actpass\r
a=rtpmap:96 VP8/90000\r
"""


def test_whip_endpoint_bad_input(cleanup):
    src, port = whip_src(cleanup)
    status, _, body = request(port, "POST", "/whip", b"v=0", {"Content-Type": "text/plain"})
    assert status == 415, (status, body)
    status, _, body = request(port, "POST", "/whip", b"this is no SDP\r\n",
                              {"Content-Type": "application/sdp"})
    assert status == 400 and b"malformed" in body, (status, body)
    status, _, body = request(port, "POST", "/whip", b"", {"Content-Type": "application/sdp"})
    assert status == 400, (status, body)
    status, _, body = request(port, "POST", "/whip", OFFER_RECVONLY.encode(),
                              {"Content-Type": "application/sdp"})
    assert status == 400 and b"sends no" in body, (status, body)
    status, _, body = request(port, "DELETE", "/whip/0123456789abcdef")
    assert status == 404, (status, body)
    status, _, body = request(port, "PATCH", "/whip/0123456789abcdef", b"a=end-of-candidates\r\n",
                              {"Content-Type": "application/trickle-ice-sdpfrag"})
    assert status == 404, (status, body)
    status, _, body = request(port, "GET", "/whip")
    assert status == 405, (status, body)
    # 1 MB: refused from its Content-Length, before it is read.
    try:
        status, _, body = request(port, "POST", "/whip", b"v=0\r\n" + b"a" * (1 << 20),
                                  {"Content-Type": "application/sdp"})
        assert status == 413, (status, body)
    except (ConnectionResetError, BrokenPipeError):
        pass
    # ...and the endpoint still answers.
    status, _, body = request(port, "POST", "/whip", b"x", {"Content-Type": "application/json"})
    assert status == 415, (status, body)
    src.poll()
    assert not src.errors, src.errors


def test_whip_endpoint_bearer_token(cleanup):
    src, port = whip_src(cleanup, bearer_token="secret")
    offer = OFFER_RECVONLY.replace("a=recvonly", "a=sendonly").encode()
    status, headers, body = request(port, "POST", "/whip", offer, {"Content-Type": "application/sdp"})
    assert status == 401, (status, body)
    status, headers, body = request(port, "POST", "/whip", offer, {
        "Content-Type": "application/sdp", "Authorization": "Bearer wrong"})
    assert status == 401, (status, body)
    # With the token, the request gets through to the offer (a fake one,
    # whose fingerprint never matches: it is answered, then times out).
    status, headers, body = request(port, "POST", "/whip", offer, {
        "Content-Type": "application/sdp", "Authorization": "Bearer secret"})
    assert status == 201, (status, body)
    status, _, body = request(port, "DELETE", headers["location"], None,
                              {"Authorization": "Bearer secret"})
    assert status == 200, (status, body)


def test_rtcsink_and_rtcsrc_share_a_port(cleanup):
    port = free_port()
    pipeline = Gst.parse_launch(
        "videotestsrc is-live=true ! rtcsink port=%d address=127.0.0.1 "
        "rtcsrc port=%d address=127.0.0.1 name=src" % (port, port))

    class Stopper:
        def stop(self):
            pipeline.set_state(Gst.State.NULL)
    cleanup(Stopper())
    assert pipeline.set_state(Gst.State.PLAYING) != Gst.StateChangeReturn.FAILURE
    time.sleep(0.5)
    status, _, body = request(port, "GET", "/")
    assert status == 200 and b"viewer.js" in body
    status, _, body = request(port, "POST", "/whip", b"v=0", {"Content-Type": "text/plain"})
    assert status == 415, (status, body)
    status, _, body = request(port, "POST", "/whep", b"v=0", {"Content-Type": "text/plain"})
    assert status == 415, (status, body)


def test_port_in_use_is_an_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        src = Src(port=port, address="127.0.0.1")
        ret = src.pipeline.set_state(Gst.State.PLAYING)
        src.poll()
        src.stop()
        assert ret == Gst.StateChangeReturn.FAILURE
        assert any("Could not listen" in e for e in src.errors), src.errors


async def aiortc_publish(port, seconds, second_publisher_check=None):
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc_peer import BarVideoTrack, SineAudioTrack

    pc = RTCPeerConnection()
    pc.addTrack(BarVideoTrack(320, 240))
    pc.addTrack(SineAudioTrack())
    await pc.setLocalDescription(await pc.createOffer())
    loop = asyncio.get_running_loop()
    status, headers, body = await loop.run_in_executor(None, lambda: request(
        port, "POST", "/whip", pc.localDescription.sdp.encode(),
        {"Content-Type": "application/sdp"}))
    assert status == 201, (status, body)
    assert headers["location"].startswith("/whip/"), headers
    assert headers["content-type"].startswith("application/sdp")
    await pc.setRemoteDescription(RTCSessionDescription(body.decode(), "answer"))
    # Trickle (RFC 8840): nothing new from aiortc, but the resource takes it.
    status, _, patch_body = await loop.run_in_executor(None, lambda: request(
        port, "PATCH", headers["location"], b"a=end-of-candidates\r\n",
        {"Content-Type": "application/trickle-ice-sdpfrag"}))
    assert status == 204, (status, patch_body)
    if second_publisher_check is not None:
        await loop.run_in_executor(None, second_publisher_check)
    await asyncio.sleep(seconds)
    state = pc.connectionState
    status, _, _ = await loop.run_in_executor(None, lambda: request(
        port, "DELETE", headers["location"]))
    await pc.close()
    return state, status


def test_aiortc_publishes_by_whip(cleanup):
    pytest.importorskip("aiortc")
    src, port = whip_src(cleanup)

    def second_publisher():
        status, headers, body = request(port, "POST", "/whip", OFFER_RECVONLY.replace(
            "a=recvonly", "a=sendonly").encode(), {"Content-Type": "application/sdp"})
        assert status == 409, (status, body)
        assert "retry-after" in headers

    results = {}

    def run():
        loop = asyncio.new_event_loop()
        try:
            results["r"] = loop.run_until_complete(aiortc_publish(port, 8, second_publisher))
        except BaseException as e:  # noqa: B902 - reported below
            results["e"] = e
        finally:
            loop.close()

    thread = threading.Thread(target=run)
    thread.start()
    src.wait_for(lambda: src.count("video_0") > 60 or not thread.is_alive(), timeout=30,
                 what="60 frames from aiortc")
    thread.join(30)
    assert "e" not in results, results.get("e")
    state, delete_status = results["r"]
    assert src.count("video_0") > 60, src.counts
    assert src.count("audio_0") > 30, src.counts
    assert src.caps["video_0"][0].startswith("video/x-raw"), src.caps
    assert delete_status == 200
    src.wait_for(lambda: src.named("rtcsrc-disconnected"), timeout=10, what="rtcsrc-disconnected")
    assert "DELETE" in src.named("rtcsrc-disconnected")[0].get_string("reason")
    print(f"aiortc: {state}, {src.counts}")


def test_joins_through_a_signaller(cleanup):
    """A signaller written in Python (the GstRtcSignaller interface) joins
    rtcsrc to webrtcbin (gst-plugins-bad), which sends VP8 and Opus."""
    from gi.repository import GObject, GstRtc
    from rtcpeer import Peer

    if Gst.ElementFactory.find("webrtcbin") is None:
        pytest.skip("webrtcbin is not installed")

    class BridgeSignaller(GObject.Object, GstRtc.Signaller):
        role = GObject.Property(type=str, default="")

        def __init__(self):
            super().__init__()
            self.peer = None
            self.session_id = None
            self.calls = []
            self.role_at_start = None

        def do_start(self):
            self.role_at_start = self.role
            self.calls.append("start")

        def do_stop(self):
            self.calls.append("stop")

        def do_send_sdp(self, session_id, sdp_type, sdp):
            self.calls.append(f"sdp {session_id} {sdp_type}")
            if session_id == self.session_id:
                self.peer.handle({"type": sdp_type, "sdp": sdp})

        def do_send_candidate(self, session_id, mline, mid, candidate):
            if session_id == self.session_id:
                self.peer.handle({"type": "candidate", "candidate": candidate or "",
                                  "sdpMLineIndex": mline, "sdpMid": mid})

        def do_end_session(self, session_id):
            self.calls.append(f"end {session_id}")

        def connect_peer(self, session_id, peer):
            self.session_id = session_id
            self.peer = peer
            self.session_requested(session_id, "webrtcbin")

        def from_peer(self, session_id, msg):
            if msg.get("type") in ("offer", "answer"):
                self.session_description(session_id, msg["type"], msg["sdp"])
            elif msg.get("type") == "candidate":
                self.handle_ice(session_id, msg.get("sdpMLineIndex") or 0, msg.get("sdpMid"),
                                msg.get("candidate") or None)

    signaller = BridgeSignaller()

    def make_peer(session_id):
        peer = Peer(name=session_id, element="webrtcbin", video="vp8", audio=True,
                    send=lambda msg: signaller.from_peer(session_id, msg))
        peer.start()
        cleanup(peer)
        return peer

    src = Src(signaller=signaller)
    cleanup(src)
    src.play()
    # A signaller speaks once started (rtcsrc starts it on its own thread).
    src.wait_for(lambda: "start" in signaller.calls, timeout=5, what="the signaller to start")
    signaller.connect_peer("s1", make_peer("s1"))
    src.wait_for(lambda: src.count("video_0") > 60 and src.count("audio_0") > 30,
                 what="60 frames from webrtcbin through the signaller")
    assert signaller.role_at_start == "consumer"
    assert "sdp s1 offer" in signaller.calls
    assert src.caps["video_0"][0].startswith("video/x-raw"), src.caps

    # The friend hangs up; the next one comes out of the same pads.
    signaller.session_ended("s1")
    src.wait_for(lambda: src.named("rtcsrc-disconnected"), timeout=10, what="rtcsrc-disconnected")
    before = src.count("video_0")
    signaller.connect_peer("s2", make_peer("s2"))
    src.wait_for(lambda: src.count("video_0") > before + 60, what="60 frames of the second session")
    assert sorted(src.pads_added) == ["audio_0", "video_0"]
    assert src.pads_removed == [] and src.eos == []
    src.stop()
    assert "end s2" in signaller.calls and signaller.calls[-1] == "stop", signaller.calls


def test_stops_cleanly_at_any_moment(cleanup):
    """NULL while connecting, negotiating or playing: no deadlock, no error."""
    import random
    sink = SinkProcess(free_port())
    cleanup(sink)
    rng = random.Random(int(os.environ.get("RTCSRC_TEST_SEED", "4")))
    for i in range(8):
        src = Src(whep_url=f"http://127.0.0.1:{sink.port}/whep")
        src.play()
        time.sleep(rng.uniform(0.0, 1.5))
        started = time.monotonic()
        assert src.pipeline.set_state(Gst.State.NULL) == Gst.StateChangeReturn.SUCCESS
        assert time.monotonic() - started < 10, "stopping took too long"
        src.poll()
        assert not src.errors, src.errors
    # rtcsink is unharmed and every session it saw was hung up.
    time.sleep(1)
    status, _, _ = request(sink.port, "GET", "/")
    assert status == 200
