# SPDX-License-Identifier: LGPL-2.1-or-later
"""The hub of gst-rtc-bench mesh: `rtcsrc (WHIP) ! rtcsink (WHEP)`.

- a key frame request travels upstream: a GstForceKeyUnit event sent
  upstream on rtcsrc's pad (decode=false and decoded) leaves rtcsrc's rtcbin
  as RTCP PLI/FIR and the publisher's vp8enc (which would otherwise make a
  key frame every 300 frames, 10 s) encodes one;
- a viewer that joins the hub's rtcsink late gets a fresh key frame from
  the publisher at once and a steady stream, not the cached frame and then
  nothing until the publisher's next natural key frame;
- viewers that join together (their requests merged by GstRtcFanout)
  all get a steady stream within seconds;
- one port for the whole hub: the `path` property of rtcsrc and rtcsink
  (two rooms, each a publisher and a viewer, on one HTTP port), a path
  mounted twice on one port fails the state change, a bad path too.
"""
import http.client
import os
import threading
import time

import pytest

from pipelines import Gst
from test_rtcsrc import DEADLINE, Src, free_port

# rare key frames: 300 frames at 30 fps, 10 s
PUBLISHER = ("videotestsrc is-live=true pattern=ball ! "
             "video/x-raw,width={width},height=240,framerate=30/1 ! "
             "vp8enc name=enc keyframe-max-dist=300 deadline=1 ! "
             "rtcsink name=s port=0 address=127.0.0.1 whip-url={url}")


def setup_module():
    for name in ("rtcsrc", "rtcsink", "vp8enc", "vp8dec"):
        if Gst.ElementFactory.find(name) is None:
            raise AssertionError(f"{name} is not in the registry")


class Publisher:
    """vp8enc ! rtcsink whip-url=…, and the times of its key frames."""

    def __init__(self, url, width=320):
        self.pipeline = Gst.parse_launch(PUBLISHER.format(url=url, width=width))
        self.lock = threading.Lock()
        self.keys = []
        self.frames = 0
        enc = self.pipeline.get_by_name("enc")
        enc.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self._probe)
        self.bus = self.pipeline.get_bus()

    def _probe(self, pad, info):
        with self.lock:
            self.frames += 1
            if not info.get_buffer().has_flags(Gst.BufferFlags.DELTA_UNIT):
                self.keys.append(time.monotonic())
        return Gst.PadProbeReturn.OK

    def keys_since(self, t):
        with self.lock:
            return [k - t for k in self.keys if k >= t]

    def play(self):
        assert self.pipeline.set_state(Gst.State.PLAYING) != Gst.StateChangeReturn.FAILURE

    def errors(self):
        out = []
        while True:
            msg = self.bus.pop_filtered(Gst.MessageType.ERROR)
            if msg is None:
                return out
            out.append(msg.parse_error()[0].message)

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


class Stopper:
    def __init__(self, pipeline):
        self.pipeline = pipeline

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


@pytest.fixture
def cleanup():
    things = []
    yield things.append
    for thing in reversed(things):
        thing.stop()


def request(port, method, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def wait(predicate, timeout, what, poll=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if poll is not None:
            poll()
        if predicate():
            return
        time.sleep(0.05)
    assert predicate(), f"timed out waiting for {what}"


@pytest.mark.parametrize("decode", [False, True], ids=["encoded", "decoded"])
def test_force_key_unit_on_rtcsrc_reaches_the_publisher(cleanup, decode):
    port = free_port()
    hub = Src(port=port, address="127.0.0.1", decode=decode, receive_audio=False)
    cleanup(hub)
    hub.play()
    hub.wait_for(lambda: hub.named("rtcsrc-listening"), what="rtcsrc-listening")
    publisher = Publisher(f"http://127.0.0.1:{port}/whip")
    cleanup(publisher)
    publisher.play()
    hub.wait_for(lambda: hub.count("video_0") > 30, what="frames from the publisher")
    assert not publisher.errors()
    # 10 s to the next natural key frame: ask for three, 1.5 s apart
    pad = hub.src.get_static_pad("video_0")
    start = time.monotonic()
    for _ in range(3):
        event = Gst.Event.new_custom(Gst.EventType.CUSTOM_UPSTREAM, Gst.Structure.new_from_string(
            "GstForceKeyUnit, all-headers=(boolean)true, count=(uint)0"))
        assert pad.send_event(event)
        time.sleep(1.5)
    keys = publisher.keys_since(start)
    # each request makes one; rtpsession may merge two close ones, and at
    # most one natural key frame can fall in these 4.5 s
    assert len(keys) >= 2, f"key frames after 3 requests: {keys}"
    assert keys[0] < 1.5, f"the first request was not answered at once: {keys}"


def test_one_port_hub_and_late_viewer(cleanup):
    port = free_port()
    hub = Gst.parse_launch(
        f"rtcsrc name=wa port={port} address=127.0.0.1 path=/room/alice decode=false "
        f"receive-audio=false wa.video_0 ! queue ! rtcsink name=ha port={port} "
        f"address=127.0.0.1 path=/room/alice "
        f"rtcsrc name=wb port={port} address=127.0.0.1 path=/room/bob decode=false "
        f"receive-audio=false wb.video_0 ! queue ! rtcsink name=hb port={port} "
        f"address=127.0.0.1 path=/room/bob/")
    cleanup(Stopper(hub))
    assert hub.set_state(Gst.State.PLAYING) != Gst.StateChangeReturn.FAILURE
    assert hub.get_by_name("wa").get_property("path") == "/room/alice"

    # the mounts: page, WHEP and WHIP under each path; nothing at the root
    time.sleep(0.3)
    status, headers, _ = request(port, "GET", "/room/alice")
    assert status == 308 and headers["location"] == "/room/alice/", (status, headers)
    status, _, body = request(port, "GET", "/room/bob/")
    assert status == 200 and b"viewer.js" in body
    status, _, _ = request(port, "GET", "/room/bob/viewer.js")
    assert status == 200
    for path in ("/room/alice/whip", "/room/bob/whip", "/room/alice/whep", "/room/bob/whep"):
        status, _, _ = request(port, "GET", path)
        assert status == 405, (path, status)
    for path in ("/", "/whip", "/whep", "/room/carol/whep"):
        status, _, _ = request(port, "GET", path)
        assert status == 404, (path, status)

    alice = Publisher(f"http://127.0.0.1:{port}/room/alice/whip", width=320)
    bob = Publisher(f"http://127.0.0.1:{port}/room/bob/whip", width=176)
    cleanup(alice)
    cleanup(bob)
    alice.play()
    bob.play()
    # both publishers connected and past their first key frames
    wait(lambda: alice.frames > 60 and bob.frames > 60, DEADLINE, "the publishers")
    time.sleep(1.0)
    assert not alice.errors() and not bob.errors()

    viewers = {}
    for name, width in (("alice", 320), ("bob", 176)):
        joined = time.monotonic()
        viewer = Src(whep_url=f"http://127.0.0.1:{port}/room/{name}/whep", decode=True,
                     receive_audio=False)
        cleanup(viewer)
        viewer.play()
        viewer.wait_for(lambda: viewer.count("video_0") > 0, what=f"{name}'s first frame")
        first = time.monotonic()
        viewers[name] = (viewer, width, joined, first)

    for name, (viewer, width, joined, first) in viewers.items():
        publisher = alice if name == "alice" else bob
        # a steady flow soon after joining, not one frame then a 10 s wait
        viewer.wait_for(lambda: viewer.count("video_0") >= 30, timeout=4.0,
                        what=f"30 decoded frames of {name} within 4 s of the first")
        keys = publisher.keys_since(joined)
        assert keys and keys[0] < 3.0, \
            f"{name}'s publisher made no key frame for the new viewer: {keys}"
        caps = viewer.caps["video_0"][-1]
        assert f"width=(int){width}" in caps, (name, caps)


def test_viewers_joining_together_all_get_a_fresh_key_frame(cleanup):
    """Viewers that join within a second of each other: the fan-out merges
    their key frame requests, and each must still get a steady stream within
    a few seconds (not wait 10 s for the publisher's natural key frame)."""
    port = free_port()
    hub = Gst.parse_launch(
        f"rtcsrc name=w port={port} address=127.0.0.1 path=/r decode=false latency=100 "
        f"receive-audio=false w.video_0 ! tee name=t ! queue ! rtcsink port={port} "
        f"address=127.0.0.1 path=/r t. ! queue ! fakesink sync=false async=false")
    cleanup(Stopper(hub))
    assert hub.set_state(Gst.State.PLAYING) != Gst.StateChangeReturn.FAILURE
    publisher = Publisher(f"http://127.0.0.1:{port}/r/whip")
    cleanup(publisher)
    publisher.play()
    wait(lambda: publisher.frames > 60, DEADLINE, "the publisher")
    time.sleep(1.0)
    joined = time.monotonic()
    viewers = []
    for _ in range(3):
        viewer = Src(whep_url=f"http://127.0.0.1:{port}/r/whep", decode=False,
                     receive_audio=False, latency=100)
        cleanup(viewer)
        viewer.play()
        viewers.append(viewer)
        time.sleep(0.3)
    for i, viewer in enumerate(viewers):
        # 30 fps: 45 frames is 1.5 s of stream, within 6 s of joining
        viewer.wait_for(lambda: viewer.count("video_0") >= 45,
                        timeout=max(0.5, joined + 6.0 - time.monotonic()),
                        what=f"viewer {i}: a steady stream soon after joining "
                        f"(publisher key frames since: {publisher.keys_since(joined)})")
    assert len(publisher.keys_since(joined)) <= 6, publisher.keys_since(joined)


def test_same_path_twice_on_one_port_is_an_error():
    port = free_port()
    first = f"port={port} address=127.0.0.1 path=/a"
    for second, wanted in ((f"videotestsrc is-live=true ! rtcsink {first}/", "/a/whep"),
                           (f"rtcsrc {first}", "/a/whip")):
        pipeline = Gst.parse_launch(
            f"videotestsrc is-live=true ! rtcsink {first} rtcsrc {first} {second}")
        try:
            assert pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE
            msg = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
            assert msg is not None
            err, _ = msg.parse_error()
            assert "already serves " + wanted in err.message, err.message
        finally:
            pipeline.set_state(Gst.State.NULL)
    # the port is free again, and other paths work beside the first
    pipeline = Gst.parse_launch(
        f"rtcsrc {first} rtcsrc port={port} address=127.0.0.1 path=/b "
        f"rtcsrc port={port} address=127.0.0.1")
    try:
        assert pipeline.set_state(Gst.State.PLAYING) != Gst.StateChangeReturn.FAILURE
    finally:
        pipeline.set_state(Gst.State.NULL)


@pytest.mark.parametrize("path", ["room", "/a/../b", "/a?x=1", "/a b"])
def test_bad_path_is_an_error(path):
    for element in ("rtcsrc", "rtcsink"):
        pipeline = Gst.Pipeline.new()
        el = Gst.ElementFactory.make(element)
        el.set_property("port", free_port())
        el.set_property("address", "127.0.0.1")
        el.set_property("path", path)
        pipeline.add(el)
        if element == "rtcsink":
            src = Gst.ElementFactory.make("videotestsrc")
            pipeline.add(src)
            src.link(el)
        try:
            assert pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE
            msg = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
            assert msg is not None and "path" in msg.parse_error()[0].message
        finally:
            pipeline.set_state(Gst.State.NULL)
