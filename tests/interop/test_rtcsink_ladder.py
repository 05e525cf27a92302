# SPDX-License-Identifier: LGPL-2.1-or-later
"""rtcsink's `ladder`: lower renditions of raw video, encoded once each.

The sink runs in this process (gi, the build tree's plugin) so that its
`stats` and elements can be read; the viewer is aiortc (Debian
python3-aiortc) posting a WHEP offer with http.client. The `ladder`
parser is driven through the element: every value either starts the sink
or fails NULL->READY with an error that quotes it, checked against a
reference parser written here, for malformed, truncated and random values.
A viewer that reports a low REMB (aiortc's RTCP packets, sent through its
receiver) is moved by the fan-out to the rung.
"""
import asyncio
import http.client
import os
import random
import re
import subprocess
import time

import pytest

aiortc = pytest.importorskip("aiortc")
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.mediastreams import MediaStreamError  # noqa: E402

gi = pytest.importorskip("gi")
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

DEADLINE = 15.0
VGA = "videotestsrc is-live=true ! video/x-raw,width=640,height=480,framerate=30/1"


def setup_module():
    if not os.environ.get("GST_PLUGIN_PATH_1_0"):
        build_root = os.environ.get("GST_RTC_BUILD_ROOT") or os.path.join(
            os.path.dirname(__file__), "..", "..", "build")
        os.environ["GST_PLUGIN_PATH_1_0"] = os.path.join(build_root, "plugins", "rtc")
    Gst.init(None)


@pytest.fixture
def run():
    loop = asyncio.new_event_loop()
    yield loop.run_until_complete
    loop.close()


def reference_ladder(text):
    """What rtcsink must accept: a list of (w, h, bitrate), or None."""
    if text.strip(" \t\n\r\f\v") == "":
        return []
    rungs = []
    for part in text.split(","):
        match = re.fullmatch(r"[ \t\n\r\f\v]*([0-9]{1,10})x([0-9]{1,10})@([0-9]{1,10})[ \t\n\r\f\v]*",
                             part, flags=re.ASCII)
        if not match:
            return None
        w, h, b = (int(g) for g in match.groups())
        if not (1 <= w <= 16383 and 1 <= h <= 16383 and 10000 <= b <= 2**31 - 1):
            return None
        rungs.append((w, h, b))
    return rungs if len(rungs) <= 3 else None


def start_ready(ladder):
    """rtcsink with @ladder to READY and back: (ok, error text, stats)."""
    pipeline = Gst.Pipeline.new()
    sink = Gst.ElementFactory.make("rtcsink")
    sink.set_property("port", 0)
    sink.set_property("address", "127.0.0.1")
    sink.set_property("ladder", ladder)
    assert sink.get_property("ladder") == ladder
    pipeline.add(sink)
    ok = pipeline.set_state(Gst.State.READY) == Gst.StateChangeReturn.SUCCESS
    message = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
    error = None
    if message is not None:
        error = message.parse_error()[0].message
    stats = sink.get_property("stats") if ok else None
    pipeline.set_state(Gst.State.NULL)
    return ok, error, stats


MALFORMED = [
    "320x240@abc", "320x240", "320x240@", "x240@300000", "320x@300000", "320240@300000",
    "320x240@300000,", ",320x240@300000", "320x240@300000,,160x120@120000",
    "0x240@300000", "320x0@300000", "320x240@0", "320x240@9999", "16384x240@300000",
    "320x240@2147483648", "99999999999x240@300000", "320x240@300000junk", "320x240@300000 160x120@1",
    "320x240@-300000", "-320x240@300000", "+320x240@300000", "320X240@300000", "320x240@300k",
    "320x240@3e5", "320 x 240@300000", "１６０x120@120000", "320×240@300000",
    "320x240@300000,160x120@120000,80x60@60000,40x30@30000", "@", "x", ",", "a,b,c,d",
]


@pytest.mark.parametrize("value", MALFORMED)
def test_malformed_ladder_fails_to_start_naming_it(value):
    assert reference_ladder(value) is None, value
    ok, error, _ = start_ready(value)
    assert not ok, value
    assert error is not None and "Invalid ladder" in error, (value, error)
    assert f'"{value}"' in error, (value, error)


def test_valid_ladders_start_and_show_in_stats():
    for value, shown in [
            (None, ""), ("", ""), ("  ", ""), ("320x240@300000", "320x240@300000"),
            (" 320x240@300000 , 160x120@120000 ", "320x240@300000,160x120@120000"),
            ("1x1@10000,16383x16383@2147483647,0320x0240@0300000",
             "1x1@10000,16383x16383@2147483647,320x240@300000")]:
        ok, error, stats = start_ready(value)
        assert ok, (value, error)
        assert stats.get_value("ladder") == shown, (value, stats.to_string())
        # No pad, no caps: nothing encodes yet.
        assert stats.get_value("rungs") == 0


def test_every_truncation_and_random_values_match_the_reference():
    full = "320x240@300000,160x120@120000"
    values = [full[:n] for n in range(len(full) + 1)]
    rng = random.Random(8)
    alphabet = "0123456789x@, "
    for _ in range(150):
        values.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24))))
    for _ in range(50):
        # Mostly well-formed, so that acceptance is exercised too.
        rungs = ",".join(f"{rng.randint(0, 20000)}x{rng.randint(0, 20000)}@{rng.randint(0, 400000)}"
                         for _ in range(rng.randint(1, 4)))
        values.append(rungs)
    accepted = 0
    for value in values:
        expected = reference_ladder(value)
        ok, error, stats = start_ready(value)
        assert ok == (expected is not None), (value, error)
        if ok:
            accepted += 1
            assert stats.get_value("ladder") == ",".join(f"{w}x{h}@{b}" for w, h, b in expected)
        else:
            assert error is not None and "Invalid ladder" in error, (value, error)
    assert accepted >= 10, accepted


def test_gst_launch_exits_cleanly_on_a_bad_ladder():
    result = subprocess.run(
        ["gst-launch-1.0", "videotestsrc", "num-buffers=30", "!", "rtcsink", "port=0",
         "address=127.0.0.1", "ladder=320x240@300000,160x120"],
        capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    # A failed state change (255), not a signal (negative).
    assert result.returncode > 0, (result.returncode, output)
    assert 'Invalid ladder "320x240@300000,160x120": rung "160x120" is not' in output, output
    assert "CRITICAL" not in output and "Segmentation" not in output, output


class LiveSink:
    """A pipeline ending in rtcsink, in this process."""

    def __init__(self, launch):
        self.pipeline = Gst.parse_launch(launch)
        self.sink = self.pipeline.get_by_name("s")
        self.bus = self.pipeline.get_bus()
        assert self.pipeline.set_state(Gst.State.PLAYING) != Gst.StateChangeReturn.FAILURE
        self.port = None
        deadline = time.monotonic() + DEADLINE
        while self.port is None and time.monotonic() < deadline:
            message = self.bus.timed_pop_filtered(
                100 * Gst.MSECOND, Gst.MessageType.ELEMENT | Gst.MessageType.ERROR)
            if message is None:
                continue
            if message.type == Gst.MessageType.ERROR:
                raise AssertionError(message.parse_error())
            s = message.get_structure()
            if s.get_name() == "rtcsink-listening":
                self.port = s.get_value("port")
        assert self.port, "rtcsink did not listen"

    def post_offer(self, sdp):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=DEADLINE)
        try:
            conn.request("POST", "/whep", body=sdp.encode(),
                         headers={"Content-Type": "application/sdp"})
            response = conn.getresponse()
            return response.status, response.getheader("Location"), response.read()
        finally:
            conn.close()

    def errors(self):
        found = []
        while True:
            message = self.bus.pop_filtered(Gst.MessageType.ERROR)
            if message is None:
                return found
            found.append(message.parse_error())

    def payloaders(self):
        found = []
        iterator = self.sink.iterate_elements()
        while True:
            result, element = iterator.next()
            if result != Gst.IteratorResult.OK:
                return found
            if element.get_factory().get_name() == "rtpvp8pay":
                found.append(element)

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


async def play(sink, seconds=4.0):
    """aiortc as a WHEP player: the frames it decodes, and their sizes."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    frames = []

    async def consume(track):
        try:
            while True:
                frame = await track.recv()
                frames.append((frame.width, frame.height))
        except MediaStreamError:
            pass

    pc.on("track", lambda track: asyncio.ensure_future(consume(track)))
    loop = asyncio.get_running_loop()
    status, location, answer = await loop.run_in_executor(
        None, sink.post_offer, pc.localDescription.sdp)
    assert status == 201, answer
    await pc.setRemoteDescription(RTCSessionDescription(answer.decode(), "answer"))
    deadline = time.monotonic() + seconds + DEADLINE
    while time.monotonic() < deadline and len(frames) < 30 * seconds * 0.6:
        await asyncio.sleep(0.2)
    state = pc.connectionState
    await pc.close()
    return frames, state


def test_aiortc_plays_the_primary_while_the_rung_encodes(run):
    sink = LiveSink(VGA + " ! rtcsink name=s port=0 address=127.0.0.1 ladder=320x240@300000")
    try:
        frames, state = run(play(sink))
        assert state == "connected"
        assert len(frames) >= 60, len(frames)
        # No bandwidth limit on loopback: the viewer stays on the primary.
        assert set(frames) == {(640, 480)}, sorted(set(frames))

        stats = sink.sink.get_property("stats")
        # One pad, one rung: two fan-out streams, and the rung pushed.
        assert stats.get_value("streams") == 2, stats.to_string()
        assert stats.get_value("ladder") == "320x240@300000"
        assert stats.get_value("rungs") == 1, stats.to_string()
        rung = stats.get_value("rung-0")
        assert (rung.get_value("width"), rung.get_value("height")) == (320, 240)
        assert rung.get_value("bitrate") == 300000
        assert rung.get_value("pad") == "video_0"
        assert rung.get_value("fanout-stream") != rung.get_value("primary-stream")
        assert rung.get_value("packets") > 60, rung.to_string()
        assert rung.get_value("bytes") > 10000, rung.to_string()
        assert stats.get_value("packets-in") > rung.get_value("packets")

        # Two payloaders on one RTP timeline: the same timestamp offset,
        # and timestamps that follow each other.
        payloaders = sink.payloaders()
        assert len(payloaders) == 2, payloaders
        offsets = {p.get_property("timestamp-offset") for p in payloaders}
        assert len(offsets) == 1 and offsets != {0xFFFFFFFF}, offsets
        stamps = [p.get_property("timestamp") for p in payloaders]
        gap = (stamps[0] - stamps[1]) % 2**32
        assert min(gap, 2**32 - gap) < 90000, stamps
        assert sink.errors() == []
    finally:
        sink.stop()


def test_two_rungs_encode_and_go_with_their_pad():
    # Two rungs, the pad released while playing: the rungs go with it.
    pipeline = Gst.parse_launch(
        "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! "
        "rtcsink name=s port=0 address=127.0.0.1 ladder=160x120@100000,80x60@50000")
    sink = pipeline.get_by_name("s")
    try:
        pipeline.set_state(Gst.State.PLAYING)
        deadline = time.monotonic() + DEADLINE
        stats = None
        while time.monotonic() < deadline:
            stats = sink.get_property("stats")
            if stats.get_value("rungs") == 2 and all(
                    stats.get_value(f"rung-{i}").get_value("packets") > 20 for i in range(2)):
                break
            time.sleep(0.2)
        assert stats.get_value("rungs") == 2, stats.to_string()
        for i in range(2):
            assert stats.get_value(f"rung-{i}").get_value("packets") > 20, stats.to_string()
        assert stats.get_value("streams") == 3
        pad = sink.get_static_pad("video_0")
        peer = pad.get_peer()
        peer.unlink(pad)
        sink.release_request_pad(pad)
        stats = sink.get_property("stats")
        assert stats.get_value("rungs") == 0, stats.to_string()
        left = []
        iterator = sink.iterate_elements()
        while True:
            result, element = iterator.next()
            if result != Gst.IteratorResult.OK:
                break
            left.append(element.get_name())
        assert left == [], left
    finally:
        pipeline.set_state(Gst.State.NULL)


def test_encoded_input_has_no_ladder():
    sink = LiveSink("videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 "
                    "! vp8enc deadline=1 ! rtcsink name=s port=0 address=127.0.0.1 "
                    "ladder=160x120@100000")
    try:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline and sink.sink.get_property("stats").get_value(
                "packets-in") < 30:
            time.sleep(0.2)
        stats = sink.sink.get_property("stats")
        assert stats.get_value("packets-in") >= 30, stats.to_string()
        assert stats.get_value("rungs") == 0, stats.to_string()
        assert stats.get_value("streams") == 1, stats.to_string()
        assert len(sink.payloaders()) == 1
        assert sink.errors() == []
    finally:
        sink.stop()


async def play_capped(sink, remb_bitrate, seconds, log):
    """An aiortc viewer that also sends REMB of @remb_bitrate (as aiortc
    itself does when it estimates from abs-send-time, which rtcsink does
    not negotiate), through aiortc's own receiver and RTCP packers."""
    from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, pack_remb_fci

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    transceiver = pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    frames = []

    async def consume(track):
        try:
            while True:
                frame = await track.recv()
                frames.append((time.monotonic(), frame.width, frame.height))
        except MediaStreamError:
            pass

    pc.on("track", lambda track: asyncio.ensure_future(consume(track)))
    loop = asyncio.get_running_loop()
    status, location, answer = await loop.run_in_executor(
        None, sink.post_offer, pc.localDescription.sdp)
    assert status == 201, answer
    await pc.setRemoteDescription(RTCSessionDescription(answer.decode(), "answer"))
    receiver = transceiver.receiver
    deadline = time.monotonic() + seconds + DEADLINE
    while time.monotonic() < deadline and len(frames) < 10:
        await asyncio.sleep(0.1)
    start = time.monotonic()
    while remb_bitrate and time.monotonic() < start + seconds:
        ssrcs = [s.source for s in receiver.getSynchronizationSources()]
        rtcp_ssrc = receiver._RTCRtpReceiver__rtcp_ssrc
        if rtcp_ssrc is not None and ssrcs:
            await receiver._send_rtcp(RtcpPsfbPacket(
                fmt=RTCP_PSFB_APP, ssrc=rtcp_ssrc, media_ssrc=0,
                fci=pack_remb_fci(remb_bitrate, ssrcs)))
        await asyncio.sleep(0.2)
    while not remb_bitrate and time.monotonic() < start + seconds:
        await asyncio.sleep(0.2)
    state = pc.connectionState
    viewer_id = location.rsplit("/", 1)[1]
    log[viewer_id] = sink.sink.emit("get-viewer-stats", viewer_id)
    await pc.close()
    return frames, state, viewer_id


def test_a_capped_viewer_moves_to_the_rung(run):
    # Two viewers; one says (REMB) it carries 300 kbit/s: the fan-out moves
    # it to the 200 kbit/s rung at one of the rung's key frames, which it
    # asks the rung's encoder for; the other keeps the primary.
    sink = LiveSink(VGA + " ! rtcsink name=s port=0 address=127.0.0.1 ladder=320x240@200000")
    try:
        log = {}

        async def both():
            return await asyncio.gather(play_capped(sink, 0, 8.0, log),
                                        play_capped(sink, 300000, 8.0, log))

        (free, free_state, free_id), (capped, capped_state, capped_id) = run(both())
        stats = sink.sink.get_property("stats")
        rung = stats.get_value("rung-0")
        trace = [(round(t - capped[0][0], 2), w, h) for t, w, h in capped][::10]
        assert free_state == capped_state == "connected"

        assert len(free) >= 40, len(free)
        assert {(w, h) for _, w, h in free} == {(640, 480)}

        # 640x480 first, then 320x240 to the end, in one switch.
        sizes = [(w, h) for _, w, h in capped]
        assert sizes[0] == (640, 480), trace
        switch = sizes.index((320, 240)) if (320, 240) in sizes else None
        assert switch is not None, trace
        assert set(sizes[switch:]) == {(320, 240)}, trace
        # Decodable from the switch on: the picture goes on at the frame
        # rate, no gap of 1.5 s (a busy machine slows aiortc down).
        after = [t for t, _, _ in capped[switch:]]
        assert len(after) >= 30, trace
        assert max(b - a for a, b in zip(after, after[1:])) < 1.5, trace

        viewer = log[capped_id].get_value("stream-1")
        assert viewer.get_value("source-stream") == rung.get_value("fanout-stream"), \
            log[capped_id].to_string()
        assert viewer.get_value("rendition-switches") >= 1
        assert log[free_id].get_value("stream-1").get_value("source-stream") == \
            rung.get_value("primary-stream")
        # The fan-out's key frame request for the rung reached the rung.
        assert rung.get_value("keyframe-requests") >= 1, stats.to_string()
        assert sink.errors() == []
    finally:
        sink.stop()
