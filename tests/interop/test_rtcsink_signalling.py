# SPDX-License-Identifier: LGPL-2.1-or-later
"""rtcsink's signalling besides WHEP, against aiortc and a WebSocket client
written from RFC 6455 (test_signalling_server.WsClient, standard library
only):

- `signaller=ws://…/room`: rtcsink is a producer in a gst-rtc-signalling
  room; aiortc, a consumer in the same room, offers and plays;
- `GET /ws` on rtcsink's own server, browser-shaped JSON;
- bad JSON, bad SDP and floods get an error (or, past the rate, a close)
  and leave the other viewers alone.

rtcsink runs in `gst-launch-1.0 -m` (test_rtcsink_whep.Sink), the room
server as its own process.
"""
import asyncio
import json
import os
import re
import select
import signal
import subprocess
import threading
import time

import pytest

aiortc = pytest.importorskip("aiortc")
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.mediastreams import MediaStreamError  # noqa: E402
from aiortc.sdp import candidate_from_sdp  # noqa: E402

from test_rtcsink_whep import AUDIO, DEADLINE, VIDEO, Sink  # noqa: E402
from test_signalling_server import Closed, WsClient, server_binary  # noqa: E402


def setup_module():
    if not os.environ.get("GST_PLUGIN_PATH_1_0"):
        build_root = os.environ.get("GST_RTC_BUILD_ROOT") or os.path.join(
            os.path.dirname(__file__), "..", "..", "build")
        os.environ["GST_PLUGIN_PATH_1_0"] = os.path.join(build_root, "plugins", "rtc")


@pytest.fixture
def room_server():
    process = subprocess.Popen(
        [server_binary(), "--port", "0", "--address", "127.0.0.1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    port = None
    deadline = time.monotonic() + DEADLINE
    while port is None and time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], deadline - time.monotonic())
        if not ready:
            break
        line = process.stdout.readline()
        if not line:
            break
        if b"ws://127.0.0.1:" in line:
            port = int(line.split(b"ws://127.0.0.1:")[1].split(b"/")[0])
    if port is None:
        process.kill()
        pytest.fail("the room server printed no URL")
    yield process, port
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def sinks():
    made = []

    def make(launch=VIDEO + " ! {sink} " + AUDIO + " ! s.", **properties):
        sink = Sink(launch, None, **properties)
        made.append(sink)
        return sink

    yield make
    for sink in made:
        sink.stop()


@pytest.fixture
def run():
    loop = asyncio.new_event_loop()
    yield loop.run_until_complete
    loop.close()


async def recv_until(client, wanted, timeout=DEADLINE):
    """The next message of a type in `wanted`, skipping the others; the
    candidates skipped on the way are returned too."""
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + timeout
    skipped = []
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no {wanted} before the deadline; got {skipped}"
        message = await loop.run_in_executor(None, client.recv_json, left)
        if message["type"] in wanted:
            return message, skipped
        skipped.append(message)


async def play_through(client, to=None, seconds=3.0):
    """aiortc offers through `client` (to peer `to` in a room, or to /ws),
    applies the answer and the trickled candidates, and counts frames."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    frames = {"video": 0, "audio": 0}

    async def consume(track):
        try:
            while True:
                await track.recv()
                frames[track.kind] += 1
        except MediaStreamError:
            pass

    pc.on("track", lambda track: asyncio.ensure_future(consume(track)))
    await pc.setLocalDescription(await pc.createOffer())
    offer = {"type": "offer", "sdp": pc.localDescription.sdp}
    if to:
        offer["to"] = to
    client.send_json(offer)
    answer, skipped = await recv_until(client, ("answer", "error"))
    assert answer["type"] == "answer", answer
    if to:
        assert answer["from"] == to
    await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
    for message in skipped:
        if message["type"] == "candidate" and message.get("candidate"):
            candidate = candidate_from_sdp(message["candidate"].split(":", 1)[1])
            candidate.sdpMid = message.get("sdpMid")
            candidate.sdpMLineIndex = message.get("sdpMLineIndex")
            await pc.addIceCandidate(candidate)
    deadline = time.monotonic() + seconds + DEADLINE
    while time.monotonic() < deadline and frames["video"] < 30 * seconds * 0.6:
        await asyncio.sleep(0.2)
    state = pc.connectionState
    return pc, frames, state


def join_room(port, room, role):
    client = WsClient(port, "/")
    client.send_json({"type": "join", "room": room, "role": role})
    return client, client.expect("peers")


def test_room_server_announces_roles(room_server):
    _, port = room_server
    # A role in the URL, or in the join message; none at all still works.
    producer = WsClient(port, "/roles?role=producer")
    producer_id = producer.expect("peers")["peer"]
    old = WsClient(port, "/roles")
    hello = old.expect("peers")
    old_id = hello["peer"]
    assert hello["peers"] == [producer_id] and hello["roles"] == ["producer"], hello
    # Without a role, peer-joined is what it always was.
    assert producer.expect("peer-joined") == {"type": "peer-joined", "peer": old_id}
    consumer, hello = join_room(port, "roles", "consumer")
    assert dict(zip(hello["peers"], hello["roles"])) == {producer_id: "producer", old_id: ""}, hello
    assert producer.expect("peer-joined")["role"] == "consumer"
    # A bad role is refused, and the connection stays open.
    odd = WsClient(port, "/")
    odd.send_json({"type": "join", "room": "roles", "role": "x" * 40})
    assert odd.expect("error")["reason"].startswith("bad message")
    odd.send_json({"type": "join", "room": "roles", "role": "bad\nrole"})
    assert odd.expect("error")["reason"] == "invalid role"
    odd.send_json({"type": "join", "room": "roles", "role": "producer"})
    assert odd.expect("peers")["room"] == "roles"
    for client in (producer, old, consumer, odd):
        client.close()


def test_aiortc_consumer_plays_from_rtcsink_in_a_room(room_server, sinks, run):
    _, port = room_server
    sink = sinks(signaller=f"ws://127.0.0.1:{port}/stage")
    # rtcsink joins as a producer: a consumer sees it in "peers", with its role.
    deadline = time.monotonic() + DEADLINE
    while True:
        consumer, hello = join_room(port, "stage", "consumer")
        if "producer" in hello.get("roles", []):
            break
        consumer.close()
        assert time.monotonic() < deadline, f"rtcsink never joined the room: {hello}"
        time.sleep(0.1)
    producer = hello["peers"][hello["roles"].index("producer")]

    # Bad JSON to the room: an error, and the connection stays open.
    consumer.send_text("{not json")
    assert consumer.expect("error")["reason"].startswith("bad message")

    # A hostile peer's bad SDP is refused by rtcsink and harms nobody.
    hostile, _ = join_room(port, "stage", "consumer")
    hostile.send_json({"type": "offer", "sdp": "v=0\r\nthis is not SDP", "to": producer})
    sink.wait_line(r"refused", what="rtcsink to refuse the bad offer")

    mark = sink.mark()
    pc, frames, state = run(play_through(consumer, to=producer))
    try:
        assert state == "connected", state
        assert frames["video"] >= 45, frames
        assert frames["audio"] >= 30, frames
        sink.wait_line(r"rtcsink-viewer-added", start=mark, what="viewer-added")
        # Leaving the room (the peer connection still up) ends the session:
        # its viewer is removed.
        mark = sink.mark()
        consumer.close()
        sink.wait_line(r"rtcsink-viewer-removed.*signalling\\ session\\ ended", start=mark,
                       what="viewer-removed")
    finally:
        run(pc.close())
    hostile.close()
    sink.assert_alive()


def test_rtcsink_waits_for_the_server_and_reconnects(sinks, run):
    # No server yet at that port: rtcsink keeps trying (backoff) ...
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = sinks(signaller=f"ws://127.0.0.1:{port}/late")
    time.sleep(0.3)
    process = subprocess.Popen([server_binary(), "--port", str(port), "--address", "127.0.0.1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # The signaller retries after 0.25 s doubling to 10 s: a busy
        # machine's late server can wait a whole 8 s step, so be generous.
        deadline = time.monotonic() + 3 * DEADLINE
        while True:
            try:
                consumer, hello = join_room(port, "late", "consumer")
            except (ConnectionError, OSError):
                consumer, hello = None, {}
            if "producer" in hello.get("roles", []):
                break
            if consumer:
                consumer.close()
            assert time.monotonic() < deadline, "rtcsink never joined the room"
            time.sleep(0.2)
        consumer.close()
        # ... and again after the server went away and came back.
        process.terminate()
        process.wait(5)
        process = subprocess.Popen([server_binary(), "--port", str(port), "--address", "127.0.0.1"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 3 * DEADLINE
        while True:
            try:
                consumer, hello = join_room(port, "late", "consumer")
            except (ConnectionError, OSError):
                consumer, hello = None, {}
            if "producer" in hello.get("roles", []):
                break
            if consumer:
                consumer.close()
            assert time.monotonic() < deadline, "rtcsink did not come back to the room"
            time.sleep(0.2)
        producer = hello["peers"][hello["roles"].index("producer")]
        pc, frames, state = run(play_through(consumer, to=producer, seconds=2.0))
        run(pc.close())
        assert state == "connected" and frames["video"] >= 30, (state, frames)
        consumer.close()
    finally:
        process.terminate()
        process.wait(5)
    sink.assert_alive()


def test_unreachable_server_is_an_error():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = subprocess.run(
        ["gst-launch-1.0", "videotestsrc", "is-live=true", "!", "rtcsink", "port=0",
         "address=127.0.0.1", f"signaller=ws://127.0.0.1:{port}/nobody"],
        capture_output=True, text=True, timeout=3 * DEADLINE)
    assert result.returncode != 0
    assert "Signalling failed" in result.stdout + result.stderr, result.stdout + result.stderr
    assert "could not connect" in result.stdout + result.stderr


def test_bad_signaller_uri_is_refused():
    result = subprocess.run(
        ["gst-launch-1.0", "videotestsrc", "!", "rtcsink", "port=0", "signaller=http://x/y"],
        capture_output=True, text=True, timeout=DEADLINE)
    assert result.returncode != 0
    assert "signaller" in result.stdout + result.stderr, result.stdout + result.stderr


def test_aiortc_plays_through_ws_and_bad_json_gets_an_error(sinks, run):
    sink = sinks()
    client = WsClient(sink.port, "/ws")
    for bad in ("not json", "[1,2]", '{"type":"teleport"}', '{"type":"offer"}',
                '{"type":"answer","sdp":"v=0"}'):
        client.send_text(bad)
        assert client.expect("error")["reason"], bad
    client.send_json({"type": "offer", "sdp": "v=0\r\nnonsense"})
    assert "SDP" in client.expect("error")["reason"]
    # Still open: a real offer is answered and plays.
    mark = sink.mark()
    pc, frames, state = run(play_through(client))
    try:
        assert state == "connected", state
        assert frames["video"] >= 45, frames
        sink.wait_line(r"rtcsink-viewer-added", start=mark, what="viewer-added")
        # A second offer on the same socket: the same m-lines are answered
        # (no change: the same credentials); one that changes them is
        # refused; the viewer plays on.
        first_answer = pc.remoteDescription.sdp
        client.send_json({"type": "offer", "sdp": pc.localDescription.sdp})
        again = run(recv_until(client, ("answer", "error")))[0]
        assert again["type"] == "answer", again
        ufrag = re.compile(r"a=ice-ufrag:(\S+)")
        assert ufrag.search(again["sdp"])[1] == ufrag.search(first_answer)[1]
        changed = re.sub(r"(a=group:BUNDLE) 0\b", r"\1 zz",
                         pc.localDescription.sdp.replace("a=mid:0\r", "a=mid:zz\r"))
        client.send_json({"type": "offer", "sdp": changed})
        refused = run(recv_until(client, ("answer", "error")))[0]
        assert refused["type"] == "error" and "not supported" in refused["reason"], refused
        before = frames["video"]
        run(asyncio.sleep(1.0))
        assert frames["video"] > before + 10, frames
        assert sink.count(r"rtcsink-viewer-removed") == 0
        # Closing the socket, the peer connection still up, removes the viewer.
        mark = sink.mark()
        client.close()
        match = sink.wait_line(r"rtcsink-viewer-removed.*reason=\(string\)\"([^\"]*)", start=mark,
                               what="viewer-removed")
        assert "WebSocket\\ closed" in match.group(1), match.group(0)
    finally:
        run(pc.close())
    sink.assert_alive()


def test_ws_flood_is_cut_and_others_are_served(sinks, run):
    sink = sinks()
    viewer = WsClient(sink.port, "/ws")
    pc, frames, state = run(play_through(viewer, seconds=1.0))
    assert state == "connected", state
    flooder = WsClient(sink.port, "/ws")
    code = None
    try:
        for _ in range(2000):
            flooder.send_text('{"type":"candidate","candidate":"","sdpMid":"0"}')
    except OSError:
        pass
    code = flooder.wait_closed()
    assert code in (1008, None), code
    # The first viewer keeps playing, and a newcomer is answered.
    before = frames["video"]
    run(asyncio.sleep(1.0))
    assert frames["video"] > before, frames
    run(pc.close())
    late = WsClient(sink.port, "/ws")
    pc2, frames2, state2 = run(play_through(late, seconds=1.0))
    run(pc2.close())
    assert state2 == "connected", state2
    viewer.close()
    late.close()
    sink.assert_alive()


def test_ws_needs_the_bearer_token(sinks):
    sink = sinks(bearer_token="s3cret")
    with pytest.raises(AssertionError):
        WsClient(sink.port, "/ws")
    client = WsClient(sink.port, "/ws?access_token=s3cret")
    client.send_text("nope")
    assert client.expect("error")
    client.close()


# ---- WHIP: rtcsink publishes to an aiortc WHIP endpoint ----

class WhipEndpoint:
    """A WHIP endpoint (RFC 9725) on http.server in a thread, answering
    with aiortc on the test's event loop, which the test keeps running.
    The first `refuse` POSTs get 503, to see rtcsink try again."""

    def __init__(self, loop, refuse=0):
        import http.server
        endpoint = self
        self.loop = loop
        self.refuse = refuse
        self.posts = []
        self.deletes = []
        self.pcs = []
        self.frames = {"video": 0, "audio": 0}

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                endpoint.posts.append((self.path, self.headers.get("Content-Type"),
                                       self.headers.get("Authorization"), body))
                if len(endpoint.posts) <= endpoint.refuse:
                    self.send_response(503)
                    self.send_header("Retry-After", "1")
                    self.end_headers()
                    return
                future = asyncio.run_coroutine_threadsafe(endpoint.answer(body), endpoint.loop)
                answer = future.result(DEADLINE).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/sdp")
                self.send_header("Location", f"/whip/session{len(endpoint.posts)}")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def do_DELETE(self):
                endpoint.deletes.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    async def answer(self, offer):
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pcs.append(pc)

        async def consume(track):
            try:
                while True:
                    await track.recv()
                    self.frames[track.kind] += 1
            except MediaStreamError:
                pass

        pc.on("track", lambda track: asyncio.ensure_future(consume(track)))
        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        return pc.localDescription.sdp

    async def wait_frames(self, video, audio, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (self.frames["video"] < video
                                               or self.frames["audio"] < audio):
            await asyncio.sleep(0.2)
        return dict(self.frames)

    def close(self):
        self.server.shutdown()
        self.server.server_close()



def test_rtcsink_publishes_to_an_aiortc_whip_endpoint(sinks, run):
    loop = asyncio.new_event_loop()
    endpoint = WhipEndpoint(loop, refuse=1)
    try:
        sink = sinks(whip_url=f"http://127.0.0.1:{endpoint.port}/whip", bearer_token="tok")
        frames = loop.run_until_complete(endpoint.wait_frames(60, 40, 3 * DEADLINE))
        assert frames["video"] >= 60 and frames["audio"] >= 40, (frames, endpoint.posts[:1])
        # The first POST was refused (503): rtcsink tried again.
        assert len(endpoint.posts) >= 2
        path, content_type, authorization, offer = endpoint.posts[-1]
        assert path == "/whip" and content_type == "application/sdp"
        assert authorization == "Bearer tok"
        # One sendonly m-line per input, our codecs, one BUNDLE group.
        assert offer.count("m=video") == 1 and offer.count("m=audio") == 1, offer
        assert offer.count("a=sendonly") == 2 and "a=group:BUNDLE 0 1" in offer, offer
        assert "VP8/90000" in offer and "opus/48000/2" in offer, offer
        assert "a=setup:actpass" in offer and "a=candidate:" in offer, offer
        sink.wait_line(r"rtcsink-viewer-added", what="the WHIP session as a viewer")
        assert endpoint.pcs[-1].connectionState == "connected"
        # Stopping DELETEs the session.
        sink.stop()
        assert endpoint.deletes == [f"/whip/session{len(endpoint.posts)}"], endpoint.deletes
    finally:
        for pc in endpoint.pcs:
            loop.run_until_complete(pc.close())
        endpoint.close()
        loop.close()


def test_bad_whip_url_is_refused():
    result = subprocess.run(
        ["gst-launch-1.0", "videotestsrc", "!", "rtcsink", "port=0", "address=127.0.0.1",
         "whip-url=ftp://nowhere/whip"],
        capture_output=True, text=True, timeout=DEADLINE)
    assert result.returncode != 0
    assert "not an http:// or https:// URL" in result.stdout + result.stderr, \
        result.stdout + result.stderr


# ---- GstRtcWsSignaller's contract, and a signaller written in Python ----

def gi_modules():
    gi = pytest.importorskip("gi")
    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtc", "1.0")
    from gi.repository import GObject, Gst, GstRtc
    Gst.init(None)
    return GObject, Gst, GstRtc


class Recorder:
    """What a signaller emitted, from whatever thread it emits on."""

    NAMES = ("session-requested", "session-description", "handle-ice", "session-ended", "error")

    def __init__(self, signaller):
        import queue
        self.queue = queue.Queue()
        for name in self.NAMES:
            signaller.connect(name, lambda _s, *args, name=name: self.queue.put((name,) + args))

    def expect(self, name, timeout=DEADLINE):
        import queue
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            try:
                event = self.queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {name}; saw {seen}")
            if event[0] == name:
                return event[1:]
            seen.append(event)

    def assert_quiet(self, seconds=0.5):
        import queue
        try:
            event = self.queue.get(timeout=seconds)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected {event}")


def test_ws_signaller_roles_sessions_and_reconnection(room_server):
    _, Gst, GstRtc = gi_modules()
    process, port = room_server
    uri = f"ws://127.0.0.1:{port}/contract"
    early = GstRtc.WsSignaller(uri=uri, role="consumer")
    producer = GstRtc.WsSignaller(uri=uri, role="producer", peer_id="the-producer")
    late = GstRtc.WsSignaller(uri=uri, role="consumer")
    bystander = GstRtc.WsSignaller(uri=uri, role="consumer")
    early_events, producer_events = Recorder(early), Recorder(producer)
    late_events, bystander_events = Recorder(late), Recorder(bystander)
    try:
        early.start()
        time.sleep(0.3)
        producer.start()
        # A consumer there first hears of the producer joining.
        assert early_events.expect("session-requested") == ("the-producer", "the-producer")
        late.start()
        bystander.start()
        # One that joins later finds it in the room.
        assert late_events.expect("session-requested") == ("the-producer", "the-producer")
        assert bystander_events.expect("session-requested")[0] == "the-producer"
        # Consumers never open sessions with each other, producers never
        # ask: the consumer offers.
        producer_events.assert_quiet()

        early.send_sdp("the-producer", "offer", "v=0 offer from early")
        early_id, peer = producer_events.expect("session-requested")
        assert peer == early_id
        assert producer_events.expect("session-description") == (early_id, "offer",
                                                                  "v=0 offer from early")
        producer.send_sdp(early_id, "answer", "v=0 answer")
        assert early_events.expect("session-description") == ("the-producer", "answer", "v=0 answer")
        cand = "candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host"
        early.send_candidate("the-producer", 0, "0", cand)
        assert producer_events.expect("handle-ice") == (early_id, 0, "0", cand)
        producer.send_candidate(early_id, 1, "1", None)
        assert early_events.expect("handle-ice") == ("the-producer", 1, "1", None)
        # Only the peer addressed hears it.
        bystander_events.assert_quiet(0.2)

        # A consumer that leaves ends its session at the producer.
        early.stop()
        assert producer_events.expect("session-ended") == (early_id,)

        # The server goes away: sessions end; it comes back: they rejoin.
        late.send_sdp("the-producer", "offer", "v=0 offer from late")
        late_id, _ = producer_events.expect("session-requested")
        producer_events.expect("session-description")
        process.terminate()
        process.wait(5)
        assert producer_events.expect("session-ended") == (late_id,)
        assert late_events.expect("session-ended") == ("the-producer",)
        restarted = subprocess.Popen([server_binary(), "--port", str(port), "--address", "127.0.0.1"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert late_events.expect("session-requested", 3 * DEADLINE)[0] == "the-producer"
        finally:
            restarted.terminate()
            restarted.wait(5)
    finally:
        for signaller in (early, producer, late, bystander):
            signaller.stop()


def test_rtcsink_through_a_signaller_written_in_python(run):
    GObject, Gst, GstRtc = gi_modules()
    answers, candidates = [], []

    class PythonSignaller(GObject.Object, GstRtc.Signaller):
        """Hands rtcsink one offer, as an application's own signalling would."""

        offer = None

        def do_start(self):
            self.session_requested("py-1", "a Python signaller")
            self.session_description("py-1", "offer", self.offer)

        def do_stop(self):
            pass

        def do_send_sdp(self, session_id, sdp_type, sdp):
            answers.append((session_id, sdp_type, sdp))

        def do_send_candidate(self, session_id, mline, mid, candidate):
            candidates.append((session_id, mline, mid, candidate))

        def do_end_session(self, session_id):
            pass

    pipeline = Gst.parse_launch(
        "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! "
        "rtcsink name=s port=0 address=127.0.0.1")
    sink = pipeline.get_by_name("s")
    signaller = PythonSignaller()
    added, removed = [], []
    sink.connect("viewer-added", lambda _s, viewer: added.append(viewer))
    sink.connect("viewer-removed", lambda _s, viewer: removed.append(viewer))

    async def scenario():
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTransceiver("video", direction="recvonly")
        frames = []

        async def consume(track):
            try:
                while True:
                    await track.recv()
                    frames.append(1)
            except MediaStreamError:
                pass

        pc.on("track", lambda track: asyncio.ensure_future(consume(track)))
        await pc.setLocalDescription(await pc.createOffer())
        signaller.offer = pc.localDescription.sdp
        sink.set_property("signaller", signaller)
        pipeline.set_state(Gst.State.PLAYING)
        deadline = time.monotonic() + DEADLINE
        while not answers and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert answers, "rtcsink sent no answer through the Python signaller"
        session_id, sdp_type, sdp = answers[0]
        assert (session_id, sdp_type) == ("py-1", "answer")
        await pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))
        deadline = time.monotonic() + DEADLINE
        while len(frames) < 45 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        state = pc.connectionState
        # The application hangs up: the viewer goes.
        signaller.session_ended("py-1")
        deadline = time.monotonic() + DEADLINE
        while not removed and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await pc.close()
        return state, len(frames)

    try:
        state, n_frames = run(scenario())
        assert state == "connected" and n_frames >= 45, (state, n_frames)
        assert len(added) == 1 and removed == added, (added, removed)
    finally:
        pipeline.set_state(Gst.State.NULL)


# ---- rtcsink to rtcsrc (when rtcsrc is built) ----

def require_rtcsrc():
    if subprocess.run(["gst-inspect-1.0", "rtcsrc"], capture_output=True).returncode != 0:
        pytest.skip("rtcsrc is not built")


def count_buffers(launch, seconds):
    """Runs an rtcsrc pipeline ending in a verbose fakesink for `seconds`;
    returns how many buffers reached it, and what it printed."""
    proc = subprocess.Popen(["gst-launch-1.0", "-m"] + launch.split(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(seconds)
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out.count("chain   ******* (fakesink0:sink)"), out


def test_rtcsink_and_rtcsrc_meet_in_a_room(room_server, sinks):
    require_rtcsrc()
    _, port = room_server
    sink = sinks(VIDEO + " ! {sink}", signaller=f"ws://127.0.0.1:{port}/pipes")
    n, out = count_buffers(f"rtcsrc signaller=ws://127.0.0.1:{port}/pipes ! "
                           "videoconvert ! fakesink silent=false -v", 6.0)
    assert n >= 60, out[-3000:]
    assert "video/x-raw" in out
    sink.wait_line(r"rtcsink-viewer-added", what="rtcsrc as a viewer")
    sink.wait_line(r"rtcsink-viewer-removed", what="rtcsrc leaving")
    sink.assert_alive()


def test_rtcsink_publishes_to_rtcsrc_by_whip(sinks):
    require_rtcsrc()
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(["gst-launch-1.0", "-m", "rtcsrc", f"port={port}", "address=127.0.0.1",
                             "!", "videoconvert", "!", "fakesink", "silent=false", "-v"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()

    def frames():
        return sum(1 for line in list(lines) if "chain   ******* (fakesink0:sink)" in line)

    try:
        time.sleep(1.0)
        sink = sinks(VIDEO + " ! {sink}", whip_url=f"http://127.0.0.1:{port}/whip")
        sink.wait_line(r"rtcsink-viewer-added", what="the WHIP session", timeout=2 * DEADLINE)
        # 60 frames (2 s of video); a generous deadline for a busy machine.
        deadline = time.monotonic() + 4 * DEADLINE
        while frames() < 60 and time.monotonic() < deadline:
            time.sleep(0.2)
        sink.stop()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(DEADLINE)
    out = "".join(lines)
    assert frames() >= 60, out[-3000:]
