# SPDX-License-Identifier: LGPL-2.1-or-later
"""Our rtcdtlssrtpenc/dec against gst-plugins-bad's dtlssrtpenc/dec.

Each side is a real DTLS-SRTP implementation: ours (OpenSSL + libsrtp2 in
libgstrtc) and gst-plugins-bad's (test-only peer). They meet over UDP on
loopback; VP8 flows both ways and each receiver decodes frames."""
import pytest

from pipelines import Counter, Gst, Runner, free_udp_port, pem_fingerprint, require_elements

FRAMES = 30
VP8_CAPS = "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96"


def make_pipeline(ours_is_client, to_theirs, to_ours):
    bad_client = "false" if ours_is_client else "true"
    return f"""
      videotestsrc is-live=true pattern=ball ! video/x-raw,width=160,height=120,framerate=30/1 !
        vp8enc deadline=1 keyframe-max-dist=10 ! rtpvp8pay pt=96 ssrc=1 !
        ours_enc.rtp_sink
      rtcdtlssrtpenc name=ours_enc connection-id=ours is-client={str(ours_is_client).lower()} !
        udpsink host=127.0.0.1 port={to_theirs} sync=false async=false
      udpsrc address=127.0.0.1 port={to_ours} ! rtcdtlssrtpdec name=ours_dec connection-id=ours
      ours_dec.rtp_src ! {VP8_CAPS} ! rtpvp8depay ! vp8dec name=ours_decoder ! fakesink sync=false async=false
      ours_dec.rtcp_src ! fakesink sync=false async=false

      videotestsrc is-live=true pattern=smpte ! video/x-raw,width=160,height=120,framerate=30/1 !
        vp8enc deadline=1 keyframe-max-dist=10 ! rtpvp8pay pt=96 ssrc=2 !
        theirs_enc.rtp_sink_0
      dtlssrtpenc name=theirs_enc connection-id=theirs is-client={bad_client} !
        udpsink host=127.0.0.1 port={to_ours} sync=false async=false
      udpsrc address=127.0.0.1 port={to_theirs} ! dtlssrtpdec name=theirs_dec connection-id=theirs
      theirs_dec.rtp_src ! {VP8_CAPS} ! rtpvp8depay ! vp8dec name=theirs_decoder ! fakesink sync=false async=false
      theirs_dec.rtcp_src ! fakesink sync=false async=false
    """


def start(ours_is_client, wrong_fingerprint=False):
    require_elements("dtlssrtpenc", "dtlssrtpdec", "vp8enc", "vp8dec")
    runner = Runner(make_pipeline(ours_is_client, free_udp_port(), free_udp_port()))
    # Our elements check the peer's certificate against its fingerprint,
    # computed here by the openssl command from gst-plugins-bad's PEM.
    their_pem = runner.get("theirs_dec").get_property("pem")
    fingerprint = pem_fingerprint(their_pem)
    if wrong_fingerprint:
        last = fingerprint[-2:]
        fingerprint = fingerprint[:-2] + ("00" if last != "00" else "01")
    runner.get("ours_dec").set_property("peer-fingerprint", fingerprint)
    return runner


@pytest.mark.parametrize("ours_is_client", [True, False], ids=["ours-client", "ours-server"])
def test_vp8_both_ways(ours_is_client):
    runner = start(ours_is_client)
    ours_frames = Counter(runner.get("ours_decoder"))
    theirs_frames = Counter(runner.get("theirs_decoder"))
    runner.set_state(Gst.State.PLAYING)
    try:
        ok = runner.wait_for(lambda: ours_frames.value >= FRAMES and theirs_frames.value >= FRAMES, 20)
        assert ok, (f"decoded by ours: {ours_frames.value}, by theirs: {theirs_frames.value}, "
                    f"errors: {runner.errors}")
        # gst-plugins-bad 1.22 offers only AES-CM profiles, so this run
        # proves our AES-CM path; our own pairs negotiate AEAD-GCM.
        stats = runner.get("ours_enc").get_property("transport").get_stats()
        srtp = stats.get_value("srtp")
        assert srtp.get_value("profile") == "SRTP_AES128_CM_SHA1_80"
        assert stats.get_value("rtp-received") >= FRAMES
    finally:
        runner.stop()


def test_wrong_fingerprint_refused():
    runner = start(True, wrong_fingerprint=True)
    ours_frames = Counter(runner.get("ours_decoder"))
    theirs_frames = Counter(runner.get("theirs_decoder"))
    runner.set_state(Gst.State.PLAYING)
    try:
        failed = runner.wait_for(lambda: any("fingerprint" in e.lower() for e in runner.errors), 15,
                                 stop_on_error=False)
        assert failed, f"no fingerprint error; errors: {runner.errors}"
        # No key was exported: nothing of theirs was decoded by us, and
        # nothing of ours reached them.
        assert ours_frames.value == 0
        assert theirs_frames.value == 0
    finally:
        runner.stop()
