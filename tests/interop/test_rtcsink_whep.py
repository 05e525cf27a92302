# SPDX-License-Identifier: LGPL-2.1-or-later
"""rtcsink's WHEP endpoint against plain HTTP clients and aiortc.

Each test runs `gst-launch-1.0 -m ... ! rtcsink port=P address=127.0.0.1`
in a subprocess (the plugin comes from GST_PLUGIN_PATH_1_0, the build
tree) and talks to it with http.client or a raw socket, never with code of
this project. Valid offers come from aiortc's RTCPeerConnection.createOffer
(Debian python3-aiortc), so they carry real ICE credentials and DTLS
fingerprints; one test lets aiortc play what it was answered.

gst-launch prints rtcsink's element messages (-m), which tell when a viewer
was added or removed.
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

aiortc = pytest.importorskip("aiortc")
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.mediastreams import MediaStreamError  # noqa: E402

DEADLINE = 10.0
VIDEO = "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1"
AUDIO = "audiotestsrc is-live=true"


def setup_module():
    if not os.environ.get("GST_PLUGIN_PATH_1_0"):
        build_root = os.environ.get("GST_RTC_BUILD_ROOT") or os.path.join(
            os.path.dirname(__file__), "..", "..", "build")
        os.environ["GST_PLUGIN_PATH_1_0"] = os.path.join(build_root, "plugins", "rtc")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """A gst-launch-1.0 pipeline ending in rtcsink, and what it printed."""

    def __init__(self, launch, env=None, **properties):
        self.port = free_port()
        props = " ".join(f"{k.replace('_', '-')}={v}" for k, v in properties.items())
        line = launch.format(sink=f"rtcsink name=s port={self.port} address=127.0.0.1 {props}")
        self.lines = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(
            ["gst-launch-1.0", "-m"] + line.split(),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=dict(os.environ, **(env or {})))
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_line(r"rtcsink-listening", what="the sink to listen")

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, pattern, timeout=DEADLINE, what=None, start=0):
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines[start:]:
                    match = regex.search(line)
                    if match:
                        return match
                if self.proc.poll() is not None and not any(
                        regex.search(line) for line in self.lines[start:]):
                    raise AssertionError(f"gst-launch exited ({self.proc.returncode}) waiting for "
                                         f"{what or pattern}:\n" + "\n".join(self.lines[-40:]))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what or pattern}:\n"
                                         + "\n".join(self.lines[-40:]))
                self.cond.wait(min(left, 0.2))

    def count(self, pattern):
        with self.cond:
            return sum(1 for line in self.lines if re.search(pattern, line))

    def mark(self):
        with self.cond:
            return len(self.lines)

    def request(self, method, path, body=None, headers=None, timeout=DEADLINE):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            conn.close()

    def post_offer(self, sdp, headers=None):
        all_headers = {"Content-Type": "application/sdp"}
        all_headers.update(headers or {})
        return self.request("POST", "/whep", sdp.encode() if isinstance(sdp, str) else sdp,
                            all_headers)

    def assert_alive(self):
        status, headers, body = self.request("GET", "/")
        assert status == 200, status
        assert b"viewer.js" in body
        assert self.proc.poll() is None

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
        assert "AddressSanitizer" not in text, text[-8000:]


@pytest.fixture
def event_loop_runner():
    loop = asyncio.new_event_loop()
    yield loop.run_until_complete
    loop.close()


@pytest.fixture
def make_sink():
    sinks = []

    def make(launch=VIDEO + " ! {sink} " + AUDIO + " ! s.", env=None, **properties):
        sink = Sink(launch, env, **properties)
        sinks.append(sink)
        return sink

    yield make
    for sink in sinks:
        sink.stop()


async def new_offer(video=True, audio=True):
    """An aiortc peer connection with a recvonly offer set locally."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    if video:
        pc.addTransceiver("video", direction="recvonly")
    if audio:
        pc.addTransceiver("audio", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


def test_page_is_served(make_sink):
    sink = make_sink()
    status, headers, body = sink.request("GET", "/")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert b"<video" in body and b"viewer.js" in body
    status, headers, body = sink.request("GET", "/viewer.js")
    assert status == 200
    assert "javascript" in headers["content-type"]
    assert b"RTCPeerConnection" in body and b"rtcStats" in body
    assert sink.request("GET", "/nothing-here")[0] == 404
    # CORS, so that a page elsewhere can use the endpoint.
    status, headers, _ = sink.request("OPTIONS", "/whep", headers={
        "Origin": "http://example.com", "Access-Control-Request-Method": "POST"})
    assert status in (200, 204)
    assert headers.get("access-control-allow-origin") == "*"
    assert "POST" in headers.get("access-control-allow-methods", "")


def test_malformed_offer_gets_400_with_a_reason(make_sink):
    sink = make_sink()
    for body in ["this is not SDP", "v=0\r\n", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
                 "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n",
                 "\x00\x01\x02binary", ""]:
        status, headers, text = sink.post_offer(body)
        assert status == 400, (body, status, text)
        assert headers["content-type"].startswith("text/plain")
        assert len(text.strip()) > 10, text
    status, _, text = sink.post_offer("garbage")
    assert b"malformed SDP offer" in text
    sink.assert_alive()


def test_offer_without_anything_we_send_gets_400(make_sink, event_loop_runner):
    # A sink with video only, an offer with audio only: nothing to answer.
    sink = make_sink(VIDEO + " ! {sink}")
    pc, sdp = event_loop_runner(new_offer(video=False, audio=True))
    status, _, text = sink.post_offer(sdp)
    event_loop_runner(pc.close())
    assert status == 400
    assert b"no m-line of the offer receives" in text, text


def test_wrong_content_type_gets_415(make_sink, event_loop_runner):
    sink = make_sink()
    pc, sdp = event_loop_runner(new_offer())
    try:
        for content_type in ["text/plain", "application/json", "application/sdpx", None]:
            headers = {"Content-Type": content_type} if content_type else {}
            status, _, text = sink.request("POST", "/whep", sdp.encode(), headers)
            assert status == 415, (content_type, status, text)
        # Parameters and case do not matter.
        status, headers, _ = sink.post_offer(sdp, {"Content-Type": "Application/SDP; charset=utf-8"})
        assert status == 201
        assert sink.request("DELETE", headers["location"])[0] == 200
    finally:
        event_loop_runner(pc.close())


def test_unknown_resource_gets_404(make_sink):
    sink = make_sink()
    frag = "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n"
    for method, body, headers in [
            ("PATCH", frag, {"Content-Type": "application/trickle-ice-sdpfrag"}),
            ("DELETE", None, {}),
    ]:
        for path in ["/whep/0123456789abcdef0123456789abcdef", "/whep/nope", "/whep/a/b"]:
            status, _, _ = sink.request(method, path, body, headers)
            assert status == 404, (method, path, status)
        # libsoup refuses a NUL in the path before we see it.
        assert sink.request(method, "/whep/%00", body, headers)[0] in (400, 404)
    # Sessions are created by POST to /whep only.
    assert sink.request("POST", "/whep/abc", "v=0", {"Content-Type": "application/sdp"})[0] in (404, 405)
    assert sink.request("GET", "/whep")[0] == 405
    sink.assert_alive()


def raw_exchange(port, data, timeout=DEADLINE):
    """Sends bytes as they are and returns whatever comes back."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        sender = threading.Thread(target=lambda: _send_quietly(s, data), daemon=True)
        sender.start()
        chunks = []
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (ConnectionResetError, socket.timeout):
            pass
        sender.join(timeout)
        return b"".join(chunks)


def _send_quietly(s, data):
    try:
        s.sendall(data)
    except OSError:
        pass


def test_oversize_offer_is_refused_and_the_server_still_answers(make_sink, event_loop_runner):
    sink = make_sink()
    big = b"v=0\r\n" + b"a=x-padding:" + b"x" * (1024 * 1024) + b"\r\n"
    head = (f"POST /whep HTTP/1.1\r\nHost: 127.0.0.1:{sink.port}\r\n"
            f"Content-Type: application/sdp\r\nContent-Length: {len(big)}\r\n\r\n").encode()
    reply = raw_exchange(sink.port, head + big)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    # Chunked, so that no Content-Length gives it away.
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(big[i:i + 65536]), big[i:i + 65536])
                       for i in range(0, len(big), 65536)) + b"0\r\n\r\n"
    head = (f"POST /whep HTTP/1.1\r\nHost: 127.0.0.1:{sink.port}\r\n"
            "Content-Type: application/sdp\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
    reply = raw_exchange(sink.port, head + chunked)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    sink.assert_alive()
    pc, sdp = event_loop_runner(new_offer())
    status, headers, _ = sink.post_offer(sdp)
    event_loop_runner(pc.close())
    assert status == 201
    sink.request("DELETE", headers["location"])


def test_garbage_http_changes_nothing(make_sink, event_loop_runner):
    sink = make_sink()
    pc, sdp = event_loop_runner(new_offer())
    status, headers, _ = sink.post_offer(sdp)
    assert status == 201
    location = headers["location"]
    for garbage in [b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64),
                    b"GET / HTTP/9.9\r\n\r\n",
                    b"POST /whep HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                    b"POST /whep HTTP/1.1\r\nHost: x\r\n" + b"X-Long: " + b"a" * 200000 + b"\r\n\r\n",
                    os.urandom(4096),
                    b"\r\n" * 1000]:
        raw_exchange(sink.port, garbage, timeout=3)
    sink.assert_alive()
    # The viewer negotiated before is still there.
    assert sink.request("DELETE", location)[0] == 200
    event_loop_runner(pc.close())


def test_max_viewers_delete_and_trickle(make_sink, event_loop_runner):
    sink = make_sink(max_viewers=1)
    pc1, sdp1 = event_loop_runner(new_offer())
    pc2, sdp2 = event_loop_runner(new_offer())
    pc3, sdp3 = event_loop_runner(new_offer())
    try:
        status, headers, answer = sink.post_offer(sdp1)
        assert status == 201, answer
        assert headers["content-type"] == "application/sdp"
        location = headers["location"]
        assert re.fullmatch(r"/whep/[0-9a-f]{32}", location), location
        etag = headers["etag"]
        assert etag.startswith('"') and etag.endswith('"')
        answer = answer.decode()
        for attribute in ["a=setup:active", "a=fingerprint:sha-256 ", "a=ice-ufrag:", "a=ice-pwd:",
                          "a=candidate:", "a=end-of-candidates", "a=sendonly", "a=group:BUNDLE",
                          "VP8/90000", "opus/48000/2"]:
            assert attribute in answer, (attribute, answer)
        viewer_id = location.rsplit("/", 1)[1]
        sink.wait_line(rf"rtcsink-viewer-added, id=\(string\){viewer_id}", what="viewer-added")

        # Past max-viewers.
        status, _, text = sink.post_offer(sdp2)
        assert status == 503, text
        assert b"at most 1 viewer" in text

        # Trickle: well-formed, wrong type, stale ETag, too many.
        frag_type = {"Content-Type": "application/trickle-ice-sdpfrag"}
        frag = "a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\na=end-of-candidates\r\n"
        assert sink.request("PATCH", location, frag, frag_type)[0] == 204
        assert sink.request("PATCH", location, frag, {"Content-Type": "text/plain"})[0] == 415
        assert sink.request("PATCH", location, frag, dict(frag_type, **{"If-Match": '"stale"'}))[0] == 412
        assert sink.request("PATCH", location, frag, dict(frag_type, **{"If-Match": etag}))[0] == 204
        many = "".join(f"a=candidate:{i} 1 udp 1 10.9.{i // 250}.{i % 250 + 1} {1000 + i} typ host\r\n"
                       for i in range(25))
        status, _, text = sink.request("PATCH", location, many, frag_type)
        assert status == 400, text
        # ICE restart (new credentials): 200 with our new ones, a new ETag;
        # the old ETag is stale from then on.
        restart = "a=ice-ufrag:other\r\na=ice-pwd:" + "p" * 24 + "\r\n"
        status, restart_headers, text = sink.request("PATCH", location, restart,
                                                     dict(frag_type, **{"If-Match": etag}))
        assert status == 200, text
        assert restart_headers["content-type"] == "application/trickle-ice-sdpfrag"
        assert restart_headers["etag"] != etag
        assert re.search(rb"^a=ice-ufrag:\S+\r$", text, re.M), text
        assert re.search(rb"^a=candidate:", text, re.M), text
        assert sink.request("PATCH", location, frag, dict(frag_type, **{"If-Match": etag}))[0] == 412
        assert sink.request("PATCH", location, frag,
                            dict(frag_type, **{"If-Match": restart_headers["etag"]}))[0] == 204

        # Hang up: 200, viewer-removed, and the resource is gone.
        mark = sink.mark()
        status, _, _ = sink.request("DELETE", location)
        assert status == 200
        sink.wait_line(rf"rtcsink-viewer-removed, id=\(string\){viewer_id}", what="viewer-removed", start=mark)
        assert sink.request("DELETE", location)[0] == 404
        assert sink.request("PATCH", location, frag, frag_type)[0] == 404

        # A place is free again.
        status, headers, _ = sink.post_offer(sdp3)
        assert status == 201
        sink.request("DELETE", headers["location"])
    finally:
        for pc in (pc1, pc2, pc3):
            event_loop_runner(pc.close())


def test_bearer_token(make_sink, event_loop_runner):
    sink = make_sink(bearer_token="s3cret")
    pc, sdp = event_loop_runner(new_offer())
    try:
        status, headers, _ = sink.post_offer(sdp)
        assert status == 401
        assert headers.get("www-authenticate", "").startswith("Bearer")
        assert sink.post_offer(sdp, {"Authorization": "Bearer wrong"})[0] == 401
        status, headers, _ = sink.post_offer(sdp, {"Authorization": "Bearer s3cret"})
        assert status == 201
        assert sink.request("DELETE", headers["location"])[0] == 401
        assert sink.request("DELETE", headers["location"], headers={"Authorization": "Bearer s3cret"})[0] == 200
        # The page itself is public: it takes the token from its URL.
        assert sink.request("GET", "/")[0] == 200
    finally:
        event_loop_runner(pc.close())


def test_offer_before_caps_waits_then_503(make_sink, event_loop_runner):
    # appsrc never pushes anything: the pad never gets caps.
    sink = make_sink("appsrc is-live=true ! {sink}")
    pc, sdp = event_loop_runner(new_offer())
    started = time.monotonic()
    status, headers, text = sink.post_offer(sdp)
    elapsed = time.monotonic() - started
    event_loop_runner(pc.close())
    assert status == 503, text
    assert headers.get("retry-after") == "5"
    assert 4.5 <= elapsed <= 8, elapsed
    sink.assert_alive()


def test_hostile_offer_candidates_are_capped(make_sink, event_loop_runner):
    sink = make_sink()
    pc, sdp = event_loop_runner(new_offer())
    # 200 candidates pointing anywhere, in front of the real ones.
    junk = "".join(f"a=candidate:{i} 1 udp {2000000000 - i} 198.51.{i // 250}.{i % 250 + 1} {2000 + i} typ host\r\n"
                   for i in range(200))
    lines = sdp.split("\r\n")
    first_m = next(i for i, line in enumerate(lines) if line.startswith("m="))
    hostile = "\r\n".join(lines[:first_m + 2]) + "\r\n" + junk + "\r\n".join(lines[first_m + 2:])
    status, headers, text = sink.post_offer(hostile)
    assert status == 201, text
    event_loop_runner(pc.close())
    sink.request("DELETE", headers["location"])
    # An honest viewer is still served.
    pc, sdp = event_loop_runner(new_offer())
    status, headers, _ = sink.post_offer(sdp)
    event_loop_runner(pc.close())
    assert status == 201
    sink.request("DELETE", headers["location"])


async def play(sink, seconds=4.0, audio=True):
    """aiortc as a WHEP player: counts the frames it decodes."""
    pc, sdp = await new_offer(audio=audio)
    frames = {"video": 0, "audio": 0}
    sizes = set()

    async def consume(track):
        try:
            while True:
                frame = await track.recv()
                frames[track.kind] += 1
                if track.kind == "video":
                    sizes.add((frame.width, frame.height))
        except MediaStreamError:
            pass

    pc.on("track", lambda track: asyncio.ensure_future(consume(track)))
    loop = asyncio.get_running_loop()
    status, headers, answer = await loop.run_in_executor(None, sink.post_offer, sdp)
    assert status == 201, answer
    await pc.setRemoteDescription(RTCSessionDescription(answer.decode(), "answer"))
    deadline = time.monotonic() + seconds + DEADLINE
    while time.monotonic() < deadline and frames["video"] < 30 * seconds * 0.6:
        await asyncio.sleep(0.2)
    state = pc.connectionState
    await pc.close()
    return frames, sizes, state, headers["location"]


def test_aiortc_plays_through_whep(make_sink, event_loop_runner):
    sink = make_sink()
    frames, sizes, state, location = event_loop_runner(play(sink))
    assert state == "connected"
    assert frames["video"] >= 60, frames
    assert frames["audio"] >= 50, frames
    assert sizes == {(320, 240)}, sizes
    viewer_id = location.rsplit("/", 1)[1]
    # aiortc's close sends DTLS close_notify: the viewer goes by itself.
    sink.wait_line(rf"rtcsink-viewer-removed, id=\(string\){viewer_id}", what="viewer-removed")


def test_encoded_h264_is_passed_through(make_sink, event_loop_runner):
    if subprocess.run(["gst-inspect-1.0", "--exists", "x264enc"]).returncode != 0:
        pytest.skip("x264enc (gst-plugins-ugly) is not installed")
    # aiortc offers H.264 constrained baseline (42e01f) after VP8.
    sink = make_sink(VIDEO + " ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 "
                     "! video/x-h264,profile=constrained-baseline ! {sink}")
    # Video only: aiortc 1.4 never calls itself connected with a rejected
    # m-line in the answer, though media flows.
    frames, sizes, state, location = event_loop_runner(play(sink, audio=False))
    assert state == "connected"
    assert frames["video"] >= 60, frames
    assert sizes == {(320, 240)}, sizes
    # Payloaded as it came: no encoder inside rtcsink.
    assert sink.count(r'element "rtph264pay\d+"') > 0
    assert sink.count(r'element "vp8enc\d+"') == 0


def test_viewers_share_one_encoder(make_sink, event_loop_runner):
    sink = make_sink()

    async def several():
        return await asyncio.gather(*(play(sink) for _ in range(4)))

    results = event_loop_runner(several())
    for frames, sizes, state, _ in results:
        assert state == "connected"
        assert frames["video"] >= 60, frames
        assert sizes == {(320, 240)}
    assert len({location for *_, location in results}) == 4
    # Encoded once: one encoder whatever the number of viewers.
    assert sink.count(r'element "vp8enc0"') > 0
    assert sink.count(r'element "vp8enc1"') == 0


def test_port_in_use_is_a_clear_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            ["gst-launch-1.0", "videotestsrc", "is-live=true", "!", "rtcsink", f"port={port}",
             "address=127.0.0.1"], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"Could not listen for HTTP on 127.0.0.1:{port}" in output, output
    assert "Address already in use" in output, output


def test_viewer_that_never_connects_is_dropped(make_sink, event_loop_runner):
    # An offer whose maker never uses the answer: the place it took is
    # given back once ICE gives up (its checks fail, or 20 s at most), so
    # max-viewers cannot be exhausted by offers alone for long.
    sink = make_sink(max_viewers=1)
    pc, sdp = event_loop_runner(new_offer())
    status, headers, _ = sink.post_offer(sdp)
    event_loop_runner(pc.close())
    assert status == 201
    viewer_id = headers["location"].rsplit("/", 1)[1]
    match = sink.wait_line(rf"rtcsink-viewer-removed, id=\(string\){viewer_id}.*reason=\(string\)(.*);",
                           timeout=40, what="the silent viewer to be dropped")
    assert "transport" in match.group(1), match.group(0)
    print("dropped:", match.group(1))
    pc, sdp = event_loop_runner(new_offer())
    status, headers, _ = sink.post_offer(sdp)
    event_loop_runner(pc.close())
    assert status == 201
    sink.request("DELETE", headers["location"])


@pytest.fixture
def without_plugins_bad(tmp_path):
    """An environment whose registry has no gst-plugins-bad (so no
    h264parse, no webrtcbin, no nice or dtls elements)."""
    listing = subprocess.run(["dpkg", "-L", "gstreamer1.0-plugins-bad"],
                             capture_output=True, text=True)
    if listing.returncode != 0:
        pytest.skip("cannot tell which plugins gst-plugins-bad installed")
    bad = {os.path.basename(path) for path in listing.stdout.split() if path.endswith(".so")}
    system_dir = subprocess.run(["pkg-config", "--variable=pluginsdir", "gstreamer-1.0"],
                                capture_output=True, text=True).stdout.strip()
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    for name in os.listdir(system_dir):
        if name.endswith(".so") and name not in bad:
            os.symlink(os.path.join(system_dir, name), plugins / name)
    env = {"GST_PLUGIN_SYSTEM_PATH_1_0": str(plugins),
           "GST_REGISTRY_1_0": str(tmp_path / "registry.bin")}
    check = subprocess.run(["gst-inspect-1.0", "h264parse"], capture_output=True,
                           env=dict(os.environ, **env))
    assert check.returncode != 0, "h264parse is still there"
    return env


def test_vp8_opus_without_plugins_bad(make_sink, event_loop_runner, without_plugins_bad):
    sink = make_sink(env=without_plugins_bad)
    frames, sizes, state, _ = event_loop_runner(play(sink))
    assert state == "connected"
    assert frames["video"] >= 60 and frames["audio"] >= 50, frames


def test_h264_without_h264parse(make_sink, event_loop_runner, without_plugins_bad):
    if subprocess.run(["gst-inspect-1.0", "--exists", "x264enc"]).returncode != 0:
        pytest.skip("x264enc (gst-plugins-ugly) is not installed")
    # byte-stream H.264 straight into rtph264pay: rtcsink reads the
    # profile-level-id from the SPS in the stream.
    sink = make_sink(VIDEO + " ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 "
                     "! video/x-h264,profile=constrained-baseline ! {sink}", env=without_plugins_bad)
    frames, sizes, state, _ = event_loop_runner(play(sink, audio=False))
    assert state == "connected"
    assert frames["video"] >= 60, frames
    assert sink.count(r'element "h264parse\d+"') == 0
