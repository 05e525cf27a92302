# SPDX-License-Identifier: LGPL-2.1-or-later
"""A GstRtcSignaller implemented in Python (gstrtc.testing.LoopbackSignaller):
the interface's C entry points reach the Python methods, the signals it
emits reach C handlers, and the two ends carry a real call between two
rtcbins; then between rtcsink and a peer, when rtcsink has a `signaller`
property in this build."""
import asyncio
import queue
import threading
import time

import gi
import pytest

gi.require_version("Gst", "1.0")
gi.require_version("GstRtc", "1.0")
from gi.repository import GLib, GObject, Gst, GstRtc  # noqa: E402

from gstrtc.testing import LoopbackSignaller, Peer, wait_until  # noqa: E402

TIMEOUT = 30


class Recorder:
    """Every signal of one signaller end, as tuples, in a queue."""

    SIGNALS = ("session-requested", "session-description", "handle-ice", "session-ended",
               "error")

    def __init__(self, signaller):
        self.events = queue.Queue()
        for name in self.SIGNALS:
            signaller.connect(name, self.on_signal, name)

    def on_signal(self, signaller, *args):
        *values, name = args
        self.events.put((name, *values))

    def next(self, timeout=5):
        return self.events.get(timeout=timeout)

    def assert_quiet(self, seconds=0.3):
        with pytest.raises(queue.Empty):
            print("unexpected:", self.events.get(timeout=seconds))


@pytest.fixture
def ends():
    producer, consumer = LoopbackSignaller.pair("s1")
    yield producer, consumer
    producer.shutdown()


def test_python_class_implements_the_interface(ends):
    producer, _ = ends
    assert isinstance(producer, GstRtc.Signaller)
    assert GObject.type_is_a(producer.__gtype__, GstRtc.Signaller.__gtype__)
    assert GObject.type_name(producer.__gtype__) == "GstRtcPyLoopbackSignaller"


def test_signals_flow_between_the_ends(ends):
    producer, consumer = ends
    p, c = Recorder(producer), Recorder(consumer)

    # Called through the C functions (gst_rtc_signaller_*), as an element
    # calls them: they dispatch to the do_* methods.
    GstRtc.Signaller.start(producer)
    p.assert_quiet()
    GstRtc.Signaller.start(consumer)
    assert c.next() == ("session-requested", "s1", "producer")
    p.assert_quiet()

    GstRtc.Signaller.send_sdp(consumer, "s1", "offer", "v=0\r\noffer")
    assert p.next() == ("session-requested", "s1", "consumer")
    assert p.next() == ("session-description", "s1", "offer", "v=0\r\noffer")
    GstRtc.Signaller.send_sdp(producer, "s1", "answer", "v=0\r\nanswer")
    assert c.next() == ("session-description", "s1", "answer", "v=0\r\nanswer")

    candidate = "candidate:1 1 udp 2015363327 127.0.0.1 40000 typ host"
    GstRtc.Signaller.send_candidate(producer, "s1", 0, "0", candidate)
    assert c.next() == ("handle-ice", "s1", 0, "0", candidate)
    GstRtc.Signaller.send_candidate(consumer, "s1", 0, None, None)  # end of candidates
    assert p.next() == ("handle-ice", "s1", 0, None, None)

    GstRtc.Signaller.end_session(consumer, "s1")
    assert p.next() == ("session-ended", "s1")

    assert [call[0] for call in consumer.calls] == [
        "start", "send_sdp", "send_candidate", "end_session"]

    # After stop, nothing more comes out of an end.
    GstRtc.Signaller.stop(consumer)
    GstRtc.Signaller.send_sdp(producer, "s1", "answer", "v=0\r\nlate")
    c.assert_quiet()


def test_stop_ends_the_friends_sessions(ends):
    producer, consumer = ends
    p = Recorder(producer)
    producer.start()
    consumer.start()
    consumer.send_sdp("s1", "offer", "v=0\r\n")
    assert p.next()[0] == "session-requested"
    assert p.next()[0] == "session-description"
    consumer.stop()
    assert p.next() == ("session-ended", "s1")


def test_error_signal_carries_a_gerror(ends):
    producer, _ = ends
    p = Recorder(producer)
    error = GLib.Error.new_literal(GstRtc.error_quark(), "the friend is gone",
                                   int(GstRtc.Error.OPERATION_ERROR))
    producer.error(error)
    name, received = p.next()
    assert name == "error"
    assert received.message == "the friend is gone"
    assert received.code == int(GstRtc.Error.OPERATION_ERROR)


class SessionDriver:
    """What an element does with a signaller, in a few lines: the consumer
    offers on session-requested, the producer answers the offer that comes
    in session-description, candidates go both ways."""

    def __init__(self, signaller, peer):
        self.signaller, self.peer = signaller, peer
        self.session = None
        self.lock = threading.Lock()
        self.remote_set = False
        self.early_candidates = []
        self.failures = []
        signaller.connect("session-requested", self.on_session_requested)
        signaller.connect("session-description", self.on_description)
        signaller.connect("handle-ice", self.on_ice)
        peer.pc.connect("on-ice-candidate", self.on_local_candidate)

    def on_session_requested(self, signaller, session_id, friend):
        self.session = session_id
        if signaller.role == "consumer":
            offer = self.peer.pc.create_offer()
            self.peer.pc.set_local_description("offer", offer)
            signaller.send_sdp(session_id, "offer", offer)

    def on_description(self, signaller, session_id, sdp_type, sdp):
        try:
            self.peer.pc.set_remote_description(sdp_type, sdp)
            with self.lock:
                self.remote_set = True
                early, self.early_candidates = self.early_candidates, []
            for mline, mid, candidate in early:
                self.peer.pc.add_ice_candidate(mline, mid, candidate)
            if sdp_type == "offer":
                answer = self.peer.pc.create_answer()
                self.peer.pc.set_local_description("answer", answer)
                signaller.send_sdp(session_id, "answer", answer)
        except GLib.Error as error:
            self.failures.append(str(error))

    def on_ice(self, signaller, session_id, mline, mid, candidate):
        # Candidates may come before the description they belong to.
        with self.lock:
            if not self.remote_set:
                self.early_candidates.append((mline, mid, candidate))
                return
        self.peer.pc.add_ice_candidate(mline, mid, candidate)

    def on_local_candidate(self, pc, mline, candidate):
        wait_until(lambda: self.session is not None, TIMEOUT, what="a session")
        self.signaller.send_candidate(self.session, mline, None, candidate)


def test_python_signaller_carries_a_call_between_two_rtcbins(ends):
    producer_end, consumer_end = ends
    producer, consumer = Peer(name="producer"), Peer(name="consumer")
    try:
        drivers = [SessionDriver(producer_end, producer), SessionDriver(consumer_end, consumer)]
        for peer in (producer, consumer):
            peer.start()
        producer_end.start()
        consumer_end.start()
        wait_until(lambda: all(p.frames["video"] >= 10 for p in (producer, consumer)),
                   TIMEOUT, what="frames both ways")
        for driver in drivers:
            assert not driver.failures
        for peer in (producer, consumer):
            assert peer.connection_state == GstRtc.PeerConnectionState.CONNECTED
        sent = [call[0] for call in producer_end.calls]
        assert "send_sdp" in sent and "send_candidate" in sent
    finally:
        producer_end.stop()
        consumer_end.stop()
        for peer in (producer, consumer):
            peer.stop()


def element_has_property(factory_name, prop):
    factory = Gst.ElementFactory.find(factory_name)
    if factory is None:
        return False
    element = factory.create(None)
    return element.find_property(prop) is not None


SINK_LAUNCH = ("videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! "
               "rtcsink name=sink port=0 address=127.0.0.1")


def start_sink(producer_end):
    pipeline = Gst.parse_launch(SINK_LAUNCH)
    sink = pipeline.get_by_name("sink")
    sink.set_property("signaller", producer_end)
    added, removed = queue.Queue(), queue.Queue()
    sink.connect("viewer-added", lambda sink, viewer_id: added.put(viewer_id))
    sink.connect("viewer-removed", lambda sink, viewer_id: removed.put(viewer_id))
    assert pipeline.set_state(Gst.State.PLAYING) != Gst.StateChangeReturn.FAILURE
    return pipeline, sink, added, removed


@pytest.mark.skipif(not (element_has_property("rtcsink", "signaller") and
                         element_has_property("rtcsrc", "signaller")),
                    reason="rtcsink or rtcsrc has no signaller property in this build")
def test_python_signaller_connects_rtcsink_to_rtcsrc(ends):
    producer_end, consumer_end = ends
    frames = []
    viewer = Gst.parse_launch("rtcsrc name=src receive-audio=false ! "
                              "fakesink name=out sync=false signal-handoffs=true")
    viewer.get_by_name("src").set_property("signaller", consumer_end)
    viewer.get_by_name("out").connect(
        "handoff", lambda sink, buffer, pad: frames.append(pad.get_current_caps()))
    sink_pipeline, sink, added, removed = start_sink(producer_end)
    try:
        viewer.set_state(Gst.State.PLAYING)
        viewer_id = added.get(timeout=TIMEOUT)
        wait_until(lambda: len(frames) >= 30, TIMEOUT, what="30 frames through rtcsrc")
        structure = frames[-1].get_structure(0)
        assert structure.get_name() == "video/x-raw"
        assert (structure.get_int("width")[1], structure.get_int("height")[1]) == (320, 240)
        assert sink.get_property("n-viewers") == 1
        # The sessions went through the Python signaller, both ways.
        assert any(call[0] == "send_sdp" and call[2] == "offer" for call in consumer_end.calls)
        assert any(call[0] == "send_sdp" and call[2] == "answer" for call in producer_end.calls)
        viewer.set_state(Gst.State.NULL)
        assert removed.get(timeout=TIMEOUT) == viewer_id
    finally:
        viewer.set_state(Gst.State.NULL)
        sink_pipeline.set_state(Gst.State.NULL)


@pytest.mark.skipif(not element_has_property("rtcsink", "signaller"),
                    reason="rtcsink has no signaller property in this build")
def test_python_signaller_connects_rtcsink_to_aiortc(ends):
    """aiortc is the viewer; the consumer end of the Python signaller is its
    signalling channel."""
    aiortc = pytest.importorskip("aiortc")
    from aiortc.mediastreams import MediaStreamError
    from aiortc.sdp import candidate_from_sdp

    producer_end, consumer_end = ends
    sink_pipeline, sink, added, removed = start_sink(producer_end)

    async def view():
        loop = asyncio.get_running_loop()
        pc = aiortc.RTCPeerConnection(aiortc.RTCConfiguration(iceServers=[]))
        pc.addTransceiver("video", direction="recvonly")
        frames, sizes = [], set()
        answered = asyncio.Event()

        async def consume(track):
            try:
                while True:
                    frame = await track.recv()
                    frames.append(frame)
                    sizes.add((frame.width, frame.height))
            except MediaStreamError:
                pass

        async def offer(session_id):
            await pc.setLocalDescription(await pc.createOffer())
            consumer_end.send_sdp(session_id, "offer", pc.localDescription.sdp)

        async def answer(sdp):
            await pc.setRemoteDescription(aiortc.RTCSessionDescription(sdp, "answer"))
            answered.set()

        async def candidate(mline, mid, text):
            await answered.wait()
            if text:
                ice = candidate_from_sdp(text.split(":", 1)[1] if text.startswith("candidate:")
                                         else text)
                ice.sdpMLineIndex, ice.sdpMid = mline, mid
                await pc.addIceCandidate(ice)

        # The signaller's signals come from its delivery thread.
        consumer_end.connect("session-requested", lambda s, sid, peer:
                             loop.call_soon_threadsafe(asyncio.ensure_future, offer(sid)))
        consumer_end.connect("session-description", lambda s, sid, kind, sdp:
                             loop.call_soon_threadsafe(asyncio.ensure_future, answer(sdp)))
        consumer_end.connect("handle-ice", lambda s, sid, mline, mid, text:
                             loop.call_soon_threadsafe(asyncio.ensure_future,
                                                       candidate(mline, mid, text)))
        pc.on("track", lambda track: asyncio.ensure_future(consume(track)))
        consumer_end.start()
        deadline = time.monotonic() + TIMEOUT
        while len(frames) < 30 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        state = pc.connectionState
        await pc.close()
        return len(frames), sizes, state

    try:
        count, sizes, state = asyncio.run(view())
        assert state == "connected"
        assert count >= 30
        assert sizes == {(320, 240)}
        viewer_id = added.get(timeout=TIMEOUT)
        # aiortc's close (DTLS close_notify) or the signaller's stop ends it.
        consumer_end.stop()
        assert removed.get(timeout=TIMEOUT) == viewer_id
    finally:
        sink_pipeline.set_state(Gst.State.NULL)
