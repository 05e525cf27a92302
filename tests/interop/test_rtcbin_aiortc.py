# SPDX-License-Identifier: LGPL-2.1-or-later
"""rtcbin against aiortc (Debian python3-aiortc), a WebRTC stack in Python.

aiortc runs in a child process (aiortc_peer.py, asyncio) and signals by JSON
lines over its stdin/stdout; this process holds rtcbin and carries the
messages.  aiortc sends generated video (VP8, 320x240) and audio (Opus) and
counts the frames it decodes from ours (track.recv()); we decode its VP8.
Each side takes a turn as the offerer.

aiortc 1.4 gathers all its candidates in setLocalDescription (never trickle)
and puts a separate ufrag/pwd and its candidates on every m-line even inside
BUNDLE (valid JSEP that webrtcbin 1.22 rejects): rtcbin must take that.  Its
offers carry VP8 and H264; rtcbin, sending VP8, must pick VP8.
"""
import os

import pytest

from rtcpeer import (Child, Peer, element_available, element_under_test,
                     missing_element_under_test, sdp_media, wait_until)

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"
FRAMES = 30
DEADLINE = 30


def have_aiortc():
    import subprocess
    return subprocess.run([PYTHON, "-c", "import aiortc, av, numpy"],
                          capture_output=True).returncode == 0


@pytest.fixture
def call():
    made = []

    def make(offerer):
        missing = missing_element_under_test()
        if missing:
            pytest.fail(missing)
        if not have_aiortc():
            pytest.skip("aiortc is not installed (Debian python3-aiortc)")
        for e in ("vp8enc", "vp8dec", "opusenc", "opusdec"):
            if not element_available(e):
                pytest.skip(f"{e} is not installed")
        ours = Peer(name="ours", element=element_under_test(), video="vp8", audio=True)
        made.append(ours)
        argv = [PYTHON, os.path.join(HERE, "aiortc_peer.py")]
        if offerer == "aiortc":
            argv.append("--offer")
        aio = Child(argv, name="aiortc")
        made.append(aio)
        aio.on_signal = ours.handle
        ours.send = lambda msg: aio.send(msg) if msg.get("type") in ("offer", "answer",
                                                                      "candidate") else None
        ours.start()
        assert ours.wait_sending_caps(10), f"no caps from our payloaders: {ours.errors}"
        ready = aio.wait_message(lambda m: m.get("type") in ("ready", "error"), 20)
        assert ready and ready["type"] == "ready", f"aiortc_peer.py did not start: {ready}"
        if offerer == "ours":
            ours.handle({"cmd": "offer"})
        return ours, aio

    yield make
    failures = []
    for thing in reversed(made):
        try:
            thing.stop()
        except Exception as e:  # noqa: BLE001 - everything is stopped first
            failures.append(str(e))
    assert failures == [], failures


@pytest.mark.parametrize("offerer", ["ours", "aiortc"])
def test_vp8_opus_both_ways(call, offerer):
    ours, aio = call(offerer)
    last = {}

    def done():
        s = aio.stats()
        if s is None:
            return False
        last["aiortc"] = s
        return (s["video_frames"] >= FRAMES and s["audio_frames"] > 0
                and ours.frames("video") >= FRAMES and ours.frames("audio") > 0)

    ok = wait_until(done, DEADLINE, peers=(ours,), interval=0.25)
    assert ok, (f"not enough decoded within {DEADLINE} s, or an error came first: aiortc {last.get('aiortc')}; "
                f"ours {ours.stats()}; aiortc errors {aio.errors}")

    s = last["aiortc"]
    assert (s["width"], s["height"]) == (320, 240), s
    assert s["connection-state"] == "connected", s
    codecs = {c["kind"]: c["codec"].lower() for c in s["codecs"]}
    assert codecs == {"video": "video/vp8", "audio": "audio/opus"}, s["codecs"]

    video = [st for st in ours.streams if st.kind == "video"]
    audio = [st for st in ours.streams if st.kind == "audio"]
    assert len(video) == 1 and len(audio) == 1, ours.stats()
    assert video[0].encoding == "VP8"
    assert (video[0].width, video[0].height) == (320, 240), ours.stats()
    assert audio[0].encoding == "OPUS"
    assert ours.state("connection-state") == "connected", ours.stats()
    assert ours.errors == [] and ours.candidate_errors == [], ours.stats()
    assert aio.errors == [], aio.errors

    # What aiortc's side of the negotiation looked like.
    theirs = ours.remote_sdp
    if offerer == "aiortc":
        # Every m-line has its own candidates and credentials, none trickled.
        assert ours.remote_candidates == 0
        for block in theirs.split("\nm=")[1:]:
            assert "a=candidate:" in block and "a=ice-ufrag:" in block
        media = sdp_media(ours.local_sdp)
    else:
        media = sdp_media(theirs)
    assert [(m[0], m[1]) for m in media] == [("video", "sendrecv"), ("audio", "sendrecv")], media
    assert media[0][2][0] == "VP8", media
