# SPDX-License-Identifier: LGPL-2.1-or-later
"""The RTSP camera bridge: an RTSP camera (gst-rtsp-server, rtsp_camera.py)
played by `rtspsrc ! rtph264depay ! h264parse ! rtcsink` in gst-launch-1.0,
watched by aiortc through WHEP.

  - constrained baseline is passed through, with the camera's own
    profile-level-id in the answer, and nothing is decoded or encoded;
  - a viewer that offers only VP8 gets VP8, transcoded by one shared
    branch (an `rtcsink-transcode` message says so);
  - High profile with B-frames is transcoded even for a viewer that offers
    High profile;
  - AAC and PCMU audio arrive as Opus;
  - without gst-libav (hidden from the registry) rtcsink warns on the bus,
    naming the package, and refuses a VP8-only viewer with a reason.

gst-launch -m prints rtcsink's element messages and, through state
changes, the name of every element in the pipeline, rtcsink's bin included.
"""
import asyncio
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

aiortc = pytest.importorskip("aiortc")
from aiortc import (RTCConfiguration, RTCPeerConnection, RTCRtpReceiver,  # noqa: E402
                    RTCSessionDescription)
from aiortc.mediastreams import MediaStreamError  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEADLINE = 15.0
ENCODER_OR_DECODER = r'element "(vp8enc|x264enc|openh264enc|avdec_h264-|openh264dec)\d+"'


def setup_module():
    if not os.environ.get("GST_PLUGIN_PATH_1_0"):
        build_root = os.environ.get("GST_RTC_BUILD_ROOT") or os.path.join(HERE, "..", "..", "build")
        os.environ["GST_PLUGIN_PATH_1_0"] = os.path.join(build_root, "plugins", "rtc")
    for element in ("x264enc", "rtspsrc", "h264parse"):
        if subprocess.run(["gst-inspect-1.0", "--exists", element]).returncode != 0:
            pytest.skip(f"{element} is not installed")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Camera:
    """rtsp_camera.py in a subprocess: every mount it has."""

    def __init__(self, mounts=("cb", "high", "cb+aac", "cb+pcmu")):
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(HERE, "rtsp_camera.py"), "--stdin", *mounts],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.urls = {}
        for mount in mounts:
            line = self.proc.stdout.readline().strip()
            assert line.startswith("rtsp://"), f"the camera printed {line!r}"
            self.urls[mount] = line

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def camera():
    cam = Camera()
    yield cam
    cam.stop()


class Bridge:
    """gst-launch-1.0 -m with an rtcsink, and what it printed."""

    def __init__(self, launch, env=None):
        self.port = free_port()
        line = launch.format(sink=f"rtcsink name=s port={self.port} address=127.0.0.1")
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

    def wait_line(self, pattern, timeout=DEADLINE, what=None):
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    match = regex.search(line)
                    if match:
                        return match
                if self.proc.poll() is not None:
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

    def text(self):
        with self.cond:
            return "\n".join(self.lines)

    def post_offer(self, sdp):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=DEADLINE)
        try:
            conn.request("POST", "/whep", body=sdp.encode(),
                         headers={"Content-Type": "application/sdp"})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            conn.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        text = self.text()
        assert "CRITICAL" not in text, text[-4000:]


@pytest.fixture
def make_bridge():
    bridges = []

    def make(launch, env=None):
        bridge = Bridge(launch, env)
        bridges.append(bridge)
        return bridge

    yield make
    for bridge in bridges:
        bridge.stop()


@pytest.fixture
def run():
    loop = asyncio.new_event_loop()
    yield loop.run_until_complete
    loop.close()


def video_line(url):
    return f"rtspsrc location={url} latency=200 ! rtph264depay ! h264parse ! {{sink}}"


def av_line(url, depay):
    return (f"rtspsrc location={url} latency=200 name=r r. ! rtph264depay ! h264parse ! {{sink}} "
            f"r. ! {depay} ! s.")


async def play(bridge, video_codecs=None, audio=False, munge=None, seconds=4.0):
    """aiortc as a WHEP player. video_codecs: the mime types it offers
    (all of aiortc's by default). Returns the answer and what it decoded."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    transceiver = pc.addTransceiver("video", direction="recvonly")
    if video_codecs:
        caps = RTCRtpReceiver.getCapabilities("video").codecs
        transceiver.setCodecPreferences([c for c in caps if c.mimeType in video_codecs])
    if audio:
        pc.addTransceiver("audio", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    offer = pc.localDescription.sdp
    if munge:
        offer = munge(offer)

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
    status, headers, answer = await loop.run_in_executor(None, bridge.post_offer, offer)
    if status != 201:
        await pc.close()
        return status, answer, frames, sizes
    await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
    deadline = time.monotonic() + seconds + DEADLINE
    while time.monotonic() < deadline and (frames["video"] < 30 * seconds * 0.6
                                           or (audio and frames["audio"] < 50 * seconds * 0.6)):
        await asyncio.sleep(0.2)
    await pc.close()
    return status, answer, frames, sizes


def answer_codec(answer, kind):
    """The (encoding name, fmtp) of the answer's first accepted m-line of kind."""
    media = answer.split("\r\nm=")[1:]
    for section in media:
        if section.startswith(kind) and not re.match(r"\w+ 0 ", section):
            pt = section.split()[3]
            rtpmap = re.search(rf"a=rtpmap:{pt} ([\w-]+)/", section).group(1)
            fmtp = re.search(rf"a=fmtp:{pt} (\S+)", section)
            return rtpmap, fmtp.group(1) if fmtp else ""
    return None, None


def test_constrained_baseline_is_passed_through(camera, make_bridge, run):
    bridge = make_bridge(video_line(camera.urls["cb"]))
    status, answer, frames, sizes = run(play(bridge, ["video/H264"]))
    assert status == 201, answer
    name, fmtp = answer_codec(answer, "video")
    assert name == "H264", answer
    # The camera's SPS says 42c01e (constrained baseline, level 3): the
    # answer carries its level, not a default 3.1 (1f).
    assert re.search(r"profile-level-id=42[0-9a-f]{2}1e", fmtp), fmtp
    assert frames["video"] >= 60, frames
    assert sizes == {(640, 360)}, sizes
    # Passed through: rtcsink's bin has a payloader and no codec.
    assert bridge.count(r'element "rtph264pay\d+"') > 0
    assert bridge.count(ENCODER_OR_DECODER) == 0, bridge.text()[-3000:]
    assert bridge.count("rtcsink-transcode") == 0


def test_vp8_only_viewer_gets_transcoded_vp8(camera, make_bridge, run):
    # rtcsink's transcode log at INFO tells when a branch idles and wakes.
    bridge = make_bridge(video_line(camera.urls["cb"]),
                         env={"GST_DEBUG": "rtc*:3,rtcsinktranscode:4"})
    status, answer, frames, sizes = run(play(bridge, ["video/VP8"]))
    assert status == 201, answer
    assert answer_codec(answer, "video")[0] == "VP8", answer
    assert frames["video"] >= 60, frames
    assert sizes == {(640, 360)}, sizes
    match = bridge.wait_line(r"rtcsink-transcode.*target=\(string\)VP8.*")
    # gst-launch prints the structure with its spaces escaped.
    message = match.group(0).replace("\\", "")
    assert "offer has no H.264 format for the stream's profile-level-id 42c01e" in message, message
    assert bridge.count(r'element "vp8enc\d+"') > 0
    assert bridge.count(r'element "avdec_h264-\d+"') > 0
    # Its viewer gone (aiortc's close sends DTLS close_notify), the branch
    # idles: nothing is decoded or encoded for nobody.
    bridge.wait_line(r"rtcsink-viewer-removed", what="the viewer to go")
    bridge.wait_line(r"VP8 branch has no viewer left, idling")
    # A second VP8-only viewer wakes the same branch: still one encoder.
    status, answer, frames, _ = run(play(bridge, ["video/VP8"], seconds=2.0))
    assert status == 201 and frames["video"] >= 30, frames
    assert bridge.count(r"VP8 branch wakes up") == 1
    assert bridge.count(r'element "vp8enc1"') == 0
    assert bridge.count(r"rtcsink-transcode.*created=\(boolean\)false") >= 1
    # An H.264 viewer is still served the camera's stream as it is.
    status, answer, frames, _ = run(play(bridge, ["video/H264"], seconds=2.0))
    assert status == 201 and frames["video"] >= 30, frames
    assert bridge.count(r'element "x264enc\d+"') == 0


def offer_high_profile(offer):
    # aiortc offers constrained baseline only; a viewer that takes High.
    return offer.replace("profile-level-id=42e01f", "profile-level-id=64001f")


def test_high_profile_with_b_frames_is_transcoded(camera, make_bridge, run):
    bridge = make_bridge(video_line(camera.urls["high"]))
    status, answer, frames, sizes = run(play(bridge, ["video/H264"], munge=offer_high_profile))
    assert status == 201, answer
    name, fmtp = answer_codec(answer, "video")
    assert name == "H264", answer
    # The viewer takes High, but the stream has B-frames: constrained
    # baseline from our encoder.
    assert "profile-level-id=42" in fmtp, fmtp
    assert frames["video"] >= 60, frames
    match = bridge.wait_line(r"rtcsink-transcode.*")
    assert "B-frames" in match.group(0), match.group(0)
    assert "constrained-baseline" in match.group(0), match.group(0)
    assert bridge.count(r'element "x264enc\d+"') > 0


def test_aac_becomes_opus(camera, make_bridge, run):
    bridge = make_bridge(av_line(camera.urls["cb+aac"], "rtpmp4gdepay ! aacparse"))
    status, answer, frames, _ = run(play(bridge, ["video/H264"], audio=True))
    assert status == 201, answer
    assert answer_codec(answer, "audio")[0].lower() == "opus", answer
    assert frames["audio"] >= 50, frames
    assert frames["video"] >= 60, frames
    assert bridge.count(r'element "opusenc\d+"') > 0
    assert bridge.count(ENCODER_OR_DECODER) == 0


def test_pcmu_becomes_opus(camera, make_bridge, run):
    bridge = make_bridge(av_line(camera.urls["cb+pcmu"], "rtppcmudepay"))
    status, answer, frames, _ = run(play(bridge, ["video/H264"], audio=True))
    assert status == 201, answer
    assert answer_codec(answer, "audio")[0].lower() == "opus", answer
    assert frames["audio"] >= 50, frames
    assert bridge.count(r'element "mulawdec\d+"') > 0


@pytest.fixture
def without_libav(tmp_path):
    """An environment whose registry has no H.264 decoder: neither gst-libav
    (avdec_h264) nor gst-plugins-bad's openh264 plugin (openh264dec)."""
    listing = subprocess.run(["dpkg", "-L", "gstreamer1.0-libav"], capture_output=True, text=True)
    if listing.returncode != 0:
        pytest.skip("cannot tell which plugins gst-libav installed")
    libav = {os.path.basename(path) for path in listing.stdout.split() if path.endswith(".so")}
    libav.add("libgstopenh264.so")
    system_dir = subprocess.run(["pkg-config", "--variable=pluginsdir", "gstreamer-1.0"],
                                capture_output=True, text=True).stdout.strip()
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    for name in os.listdir(system_dir):
        if name.endswith(".so") and name not in libav:
            os.symlink(os.path.join(system_dir, name), plugins / name)
    env = {"GST_PLUGIN_SYSTEM_PATH_1_0": str(plugins),
           "GST_REGISTRY_1_0": str(tmp_path / "registry.bin")}
    check = subprocess.run(["gst-inspect-1.0", "avdec_h264"], capture_output=True,
                           env=dict(os.environ, **env))
    assert check.returncode != 0, "avdec_h264 is still there"
    check = subprocess.run(["gst-inspect-1.0", "openh264dec"], capture_output=True,
                           env=dict(os.environ, **env))
    assert check.returncode != 0, "openh264dec is still there"
    return env


def test_without_libav_a_clear_warning(camera, make_bridge, run, without_libav):
    bridge = make_bridge(video_line(camera.urls["cb"]), env=without_libav)
    match = bridge.wait_line(r"WARNING.*No H.264 decoder is installed.*", what="the warning")
    assert "gstreamer1.0-libav" in match.group(0), match.group(0)
    # An H.264 viewer still plays; a VP8-only one is told why not.
    status, answer, frames, _ = run(play(bridge, ["video/H264"], seconds=2.0))
    assert status == 201 and frames["video"] >= 30, frames
    status, reason, _, _ = run(play(bridge, ["video/VP8"]))
    assert status == 400, reason
    assert "H264" in reason, reason


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))
