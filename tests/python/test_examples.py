# SPDX-License-Identifier: LGPL-2.1-or-later
"""examples/python/ run as docs/python.md shows them: the two-process call,
the viewer counter against an aiortc WHEP viewer, and the RTSP-to-browser
bridge against a gst-rtsp-server camera and an aiortc viewer."""
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

SOURCE_ROOT = os.environ.get("GST_RTC_SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = os.path.join(SOURCE_ROOT, "examples", "python")
PYTHON = "/usr/bin/python3"
TIMEOUT = 30


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment():
    env = dict(os.environ)
    python_dir = os.path.join(SOURCE_ROOT, "python")
    if python_dir not in env.get("PYTHONPATH", "").split(os.pathsep):
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [python_dir, env.get("PYTHONPATH")]))
    return env


def element_exists(name):
    return subprocess.run(["gst-inspect-1.0", "--exists", name]).returncode == 0


class Program:
    """An example running in the background, and the lines it printed."""

    def __init__(self, *args):
        self.lines = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen([PYTHON, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=environment())
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, pattern, timeout=TIMEOUT, start=0):
        """The first match of ``pattern`` in a line from ``start`` on."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines[start:]:
                    match = re.search(pattern, line)
                    if match:
                        return match
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.proc.poll() is not None and
                                      not self.proc.stdout.readable()):
                    raise AssertionError(f"no line matching {pattern!r}:\n" + self.text())
                self.cond.wait(min(remaining, 0.5))

    def text(self):
        with self.cond:
            return "\n".join(self.lines)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


# -- the two-peer call ----------------------------------------------------------

def test_call_example_between_two_processes():
    port = free_port()
    callee = Program(os.path.join(EXAMPLES, "call.py"), "--listen", f"127.0.0.1:{port}",
                     "--frames", "30", "--timeout", str(TIMEOUT))
    try:
        callee.wait_line(r"waiting for a call")
        caller = subprocess.run([PYTHON, os.path.join(EXAMPLES, "call.py"), "--connect",
                                 f"127.0.0.1:{port}", "--frames", "30",
                                 "--timeout", str(TIMEOUT)],
                                capture_output=True, text=True, env=environment(),
                                timeout=TIMEOUT + 30)
        assert caller.returncode == 0, caller.stdout + caller.stderr
        assert callee.proc.wait(TIMEOUT) == 0, callee.text()
    finally:
        callee.stop()
    for name, text in (("caller", caller.stdout), ("callee", callee.text())):
        match = re.search(rf"^{name}: decoded (\d+) video frames, (\d+) audio buffers; "
                          r"connection (\S+)", text, re.M)
        assert match, text
        assert int(match.group(1)) >= 30 and int(match.group(2)) > 0, text
        assert match.group(3) == "connected", text
        assert f"{name}: success" in text


def test_call_example_fails_cleanly_without_the_other_side():
    proc = subprocess.run([PYTHON, os.path.join(EXAMPLES, "call.py"), "--connect",
                           f"127.0.0.1:{free_port()}"],
                          capture_output=True, text=True, env=environment(), timeout=TIMEOUT)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr or "refused" in proc.stderr.lower()


def test_rtcbin_call_example_rtcbin_on_both_sides():
    proc = subprocess.run([PYTHON, os.path.join(EXAMPLES, "rtcbin-call.py"), "--peer", "rtcbin",
                           "--frames", "30", "--timeout", str(TIMEOUT)],
                          capture_output=True, text=True, env=environment(),
                          timeout=TIMEOUT + 30)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "success" in proc.stdout


# -- a WHEP viewer: aiortc ---------------------------------------------------------

def whep_request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


async def whep_view(port, frames_wanted=30, audio=True, on_playing=None):
    """aiortc plays http://127.0.0.1:port/whep until it decoded
    ``frames_wanted`` video frames, calls ``on_playing()``, then hangs up
    with DELETE. Returns the frame counts and sizes."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import MediaStreamError

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    if audio:
        pc.addTransceiver("audio", direction="recvonly")
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
    await pc.setLocalDescription(await pc.createOffer())
    loop = asyncio.get_running_loop()
    status, headers, answer = await loop.run_in_executor(
        None, whep_request, port, "POST", "/whep", pc.localDescription.sdp.encode(),
        {"Content-Type": "application/sdp"})
    assert status == 201, answer
    location = {k.lower(): v for k, v in headers.items()}["location"]
    await pc.setRemoteDescription(RTCSessionDescription(answer.decode(), "answer"))
    deadline = time.monotonic() + TIMEOUT
    while frames["video"] < frames_wanted and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    if on_playing is not None:
        await loop.run_in_executor(None, on_playing)
    status, _, _ = await loop.run_in_executor(None, whep_request, port, "DELETE", location)
    await pc.close()
    return frames, sizes, status, location


def test_viewer_counter_counts_a_whep_viewer():
    pytest.importorskip("aiortc")
    port = free_port()
    counter = Program(os.path.join(EXAMPLES, "viewer-counter.py"), "--port", str(port),
                      "--interval", "0.5")
    try:
        counter.wait_line(rf"^page: http://127\.0\.0\.1:{port}/$")

        def playing():
            # While the viewer plays: counted, and in the stats.
            added = counter.wait_line(r"^viewer added: (\S+) \(viewers: 1\)$")
            start = len(counter.lines)
            counter.wait_line(r"^stats: .*\bviewers=1\b", start=start)
            counter.wait_line(rf"^viewer {re.escape(added.group(1))}: remote-address=127\.0\.0\.1\S* "
                              r".*packets-sent=[1-9]", start=start)

        frames, sizes, status, location = asyncio.run(whep_view(port, on_playing=playing))
        assert frames["video"] >= 30 and frames["audio"] > 0, frames
        assert sizes == {(640, 360)}
        assert status == 200
        viewer_id = location.rsplit("/", 1)[1]
        counter.wait_line(rf"^viewer added: {viewer_id} \(viewers: 1\)$")
        counter.wait_line(rf"^viewer removed: {viewer_id} \(viewers: 0\)$")
    finally:
        code = counter.stop()
    assert code == 0, counter.text()
    assert "stopped with 0 viewers" in counter.text()


# -- the RTSP bridge -------------------------------------------------------------

@pytest.fixture
def rtsp_camera():
    """h3's test camera (tests/interop/rtsp_camera.py, gst-rtsp-server)
    serving H.264 constrained baseline."""
    camera_script = os.path.join(SOURCE_ROOT, "tests", "interop", "rtsp_camera.py")
    if not os.path.exists(camera_script):
        pytest.skip("tests/interop/rtsp_camera.py is not in this tree")
    for name in ("x264enc", "h264parse"):
        if not element_exists(name):
            pytest.skip(f"{name} is needed by the test camera")
    camera = subprocess.Popen([PYTHON, camera_script, "--stdin", "cb"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        url = camera.stdout.readline().strip()
        assert url.startswith("rtsp://127.0.0.1:"), url
        yield url
    finally:
        camera.stdin.close()
        try:
            camera.wait(10)
        except subprocess.TimeoutExpired:
            camera.kill()
            camera.wait()


def test_rtsp_bridge_serves_the_camera_to_a_whep_viewer(rtsp_camera):
    pytest.importorskip("aiortc")
    port = free_port()
    bridge = Program(os.path.join(EXAMPLES, "rtsp-bridge.py"), rtsp_camera, "--address",
                     "127.0.0.1", "--port", str(port), "--latency", "50")
    try:
        bridge.wait_line(rf"^page: http://127\.0\.0\.1:{port}/$")
        frames, sizes, status, _ = asyncio.run(whep_view(port, audio=False))
        assert frames["video"] >= 30, (frames, bridge.text())
        assert sizes == {(640, 360)}
        bridge.wait_line(r"^viewer added: 127\.0\.0\.1\S* \(viewers: 1\)$")
        bridge.wait_line(r"^viewer removed: 127\.0\.0\.1\S* \(viewers: 0\)$")
        assert bridge.proc.poll() is None, bridge.text()
    finally:
        code = bridge.stop()
    assert code == 0, bridge.text()


def test_rtsp_bridge_reports_an_unreachable_camera():
    port = free_port()
    proc = subprocess.run([PYTHON, os.path.join(EXAMPLES, "rtsp-bridge.py"),
                           f"rtsp://127.0.0.1:{free_port()}/nothing", "--address", "127.0.0.1",
                           "--port", str(port)],
                          capture_output=True, text=True, env=environment(), timeout=TIMEOUT + 30)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "error from camera" in proc.stderr, proc.stderr
