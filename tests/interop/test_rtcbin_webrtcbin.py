# SPDX-License-Identifier: LGPL-2.1-or-later
"""rtcbin against gst-plugins-bad's webrtcbin, in one process.

Both peers are real: ours (rtcbin) and webrtcbin (a test-only peer, which
this project replaces).  They negotiate by offer/answer with trickled
candidates over loopback, and each receiver counts the frames its decoder
puts out.  Each side takes a turn as the offerer.

webrtcbin as a test peer: bundle-policy=max-bundle, SSRCs fixed on the
payloaders and in the caps, promises waited on with promise.wait(), and its
ice-agent property never read from Python (see shared/FIELD-NOTES.md).
"""
import pytest

from rtcpeer import (Link, Peer, element_available, element_under_test,
                     missing_element_under_test, sdp_media, wait_until)

FRAMES = 30
DEADLINE = 30


@pytest.fixture
def peers():
    made = []

    def make(**kwargs):
        peer = Peer(**kwargs)
        made.append(peer)
        return peer

    yield make
    failures = []
    for peer in made:
        try:
            peer.stop()
        except Exception as e:  # noqa: BLE001 - every peer is stopped first
            failures.append(str(e))
    assert failures == [], failures


def require_peers(*elements):
    missing = missing_element_under_test()
    if missing:
        pytest.fail(missing)
    if not element_available("webrtcbin"):
        pytest.skip("webrtcbin is not installed (gstreamer1.0-plugins-bad)")
    absent = [e for e in elements if not element_available(e)]
    if absent:
        pytest.skip("not installed: " + ", ".join(absent))


def start(*peers):
    """Plays the pipelines and waits for their payloaders' caps, so that
    what is negotiated does not depend on how fast the encoders start
    (test_h264_answer_before_encoder_caps covers a slow one)."""
    for p in peers:
        p.start()
    for p in peers:
        assert p.wait_sending_caps(10), f"{p.name}: no caps from the payloaders: {p.errors}"


def report(*peers):
    return "; ".join(f"{p.name}: {p.stats()}" for p in peers)


def stream(peer, kind):
    found = [s for s in peer.streams if s.kind == kind]
    assert len(found) == 1, f"{peer.name} has {len(found)} {kind} streams: {peer.stats()}"
    return found[0]


@pytest.mark.parametrize("offerer", ["ours", "webrtcbin"])
def test_vp8_opus_both_ways(peers, offerer):
    require_peers("vp8enc", "vp8dec", "opusenc", "opusdec")
    ours = peers(name="ours", element=element_under_test(), video="vp8", audio=True,
                 ssrc_base=0x11110000, pattern="ball")
    theirs = peers(name="webrtcbin", element="webrtcbin", video="vp8", audio=True,
                   ssrc_base=0x22220000, pattern="smpte")
    link = Link(ours, theirs)
    start(ours, theirs)
    (ours if offerer == "ours" else theirs).handle({"cmd": "offer"})

    def done():
        return all(p.frames("video") >= FRAMES and p.frames("audio") > 0 for p in (ours, theirs))

    ok = wait_until(done, DEADLINE, peers=(ours, theirs))
    assert ok, f"not enough decoded within {DEADLINE} s, or an error came first: {report(ours, theirs)}"

    for p in (ours, theirs):
        video = stream(p, "video")
        assert video.encoding == "VP8"
        assert (video.width, video.height) == (320, 240), report(p)
        assert stream(p, "audio").encoding == "OPUS"
        assert p.state("connection-state") == "connected", report(p)
        assert p.errors == [] and p.candidate_errors == [], report(p)
    # Candidates were trickled both ways (nothing was in the SDP at first).
    kinds = [m.get("type") for _, m in link.log]
    assert kinds.count("offer") == 1 and kinds.count("answer") == 1
    assert ours.local_candidates > 0 and ours.remote_candidates > 0, report(ours)
    # Both m-lines were answered sendrecv.
    answer = theirs.local_sdp if offerer == "ours" else ours.local_sdp
    media = sdp_media(answer)
    assert [(m[0], m[1]) for m in media] == [("video", "sendrecv"), ("audio", "sendrecv")], media

    if ours.element_name == "rtcbin":
        # get-stats answers (what it holds is checked by the unit tests).
        ours.handle({"cmd": "get-stats"})
        got = wait_until(lambda: any(m.get("type") == "get-stats" for _, m in link.log), 10)
        assert got, "rtcbin did not answer get-stats"
        assert ours.errors == [], ours.errors


@pytest.mark.parametrize("offerer", ["ours", "webrtcbin"])
def test_h264_ours_to_webrtcbin(peers, offerer):
    require_peers("x264enc", "avdec_h264")
    ours = peers(name="ours", element=element_under_test(), video="h264", audio=False,
                 ssrc_base=0x33330000)
    theirs = peers(name="webrtcbin", element="webrtcbin", video=None, audio=False,
                   recv_video="h264" if offerer == "webrtcbin" else False, ssrc_base=0x44440000)
    Link(ours, theirs)
    start(ours, theirs)
    (ours if offerer == "ours" else theirs).handle({"cmd": "offer"})

    ok = wait_until(lambda: theirs.frames("video") >= FRAMES, DEADLINE, peers=(ours, theirs))
    assert ok, f"webrtcbin decoded too little H.264 within {DEADLINE} s, or an error came first: {report(ours, theirs)}"
    video = stream(theirs, "video")
    assert video.encoding == "H264"
    assert (video.width, video.height) == (320, 240)
    assert ours.streams == [], "ours received something it was not sent"
    assert ours.errors == [] and ours.candidate_errors == [], report(ours)
    answer = theirs.local_sdp if offerer == "ours" else ours.local_sdp
    media = sdp_media(answer)
    assert len(media) == 1 and media[0][0] == "video", media
    assert media[0][2][0] == "H264", media
    expected = "recvonly" if offerer == "ours" else "sendonly"
    assert media[0][1] == expected, media


def test_h264_answer_before_encoder_caps(peers):
    """webrtcbin offers to receive H.264 before our encoder has put out
    anything, so our H.264 sink pad holds only the caps of the capsfilter
    (no profile-level-id yet): rtcbin must still answer with H.264 (waiting
    for the caps, or taking the offered profile), not reject the m-line.
    The encoder's output is held 1.5 s, as a slow encoder's would be."""
    require_peers("x264enc", "avdec_h264")
    ours = peers(name="ours", element=element_under_test(), video="h264", audio=False,
                 ssrc_base=0x55550000, hold_video=1.5)
    theirs = peers(name="webrtcbin", element="webrtcbin", video=None, audio=False,
                   recv_video="h264", ssrc_base=0x66660000)
    Link(ours, theirs)
    ours.start()
    theirs.start()
    theirs.handle({"cmd": "offer"})

    ok = wait_until(lambda: theirs.frames("video") >= FRAMES, DEADLINE, peers=(ours, theirs))
    media = sdp_media(ours.local_sdp or "")
    assert ok, (f"webrtcbin decoded too little H.264 within {DEADLINE} s, or an error came first; "
                f"our answer: {media}; {report(ours, theirs)}")
    assert media and media[0][3] and media[0][2][0] == "H264" and media[0][1] == "sendonly", media
