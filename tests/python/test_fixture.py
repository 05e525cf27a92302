# SPDX-License-Identifier: LGPL-2.1-or-later
"""gstrtc.testing's fixtures: two connected local peers, directly and
through coturn, and the plugin loaded the way users load it
(`pytest -p gstrtc.testing`)."""
import os
import subprocess
import sys
import textwrap

import gi
import pytest

gi.require_version("GstRtc", "1.0")
from gi.repository import GstRtc  # noqa: E402

from gstrtc.testing import PeerPair, TurnServer, stun_binding_ok  # noqa: E402


def candidate_types(candidates):
    return {c.split(" typ ")[1].split()[0] for c in candidates}


def test_rtc_peers_are_connected_and_exchange_media(rtc_peers):
    for peer in rtc_peers.peers:
        assert peer.connection_state == GstRtc.PeerConnectionState.CONNECTED
    rtc_peers.wait_frames(video=30)
    for peer in rtc_peers.peers:
        assert peer.video_size == (320, 240)
        # Loopback only: nothing but 127.0.0.1 host candidates.
        gathered = rtc_peers.candidates[peer]
        assert gathered and all(" 127.0.0.1 " in c for c in gathered), gathered
        assert candidate_types(gathered) == {"host"}
    assert "m=video" in rtc_peers.offer and "m=video" in rtc_peers.answer


def test_factory_with_audio(rtc_peer_pair):
    pair = rtc_peer_pair(audio=True, connect=True)
    pair.wait_frames(video=10, audio=20)


def test_turn_server_answers_stun(turn_server):
    assert stun_binding_ok("127.0.0.1", turn_server.port)
    assert turn_server.uri().startswith("turn://user:pass@127.0.0.1:")


def test_rtc_peers_through_turn(rtc_peers_turn):
    rtc_peers_turn.wait_frames(video=30)
    for peer in rtc_peers_turn.peers:
        # ice-transport-policy=relay: every candidate is a relayed one.
        assert candidate_types(rtc_peers_turn.candidates[peer]) == {"relay"}


def test_turn_over_tcp(rtc_peer_pair, turn_server):
    pair = rtc_peer_pair(connect=True, properties={
        "turn-server": turn_server.uri("tcp"), "ice-transport-policy": "relay"})
    pair.wait_frames(video=10)
    for peer in pair.peers:
        assert candidate_types(pair.candidates[peer]) == {"relay"}


def test_a_peer_that_never_answers_times_out():
    # Nobody answers here: waiting must fail with TimeoutError, not hang.
    with PeerPair() as lonely:
        lonely.offer = lonely.offerer.pc.create_offer()
        lonely.offerer.pc.set_local_description("offer", lonely.offer)
        with pytest.raises(TimeoutError):
            lonely.wait_connected(timeout=1)


def test_plugin_as_users_load_it(tmp_path):
    """A user's own test file, run with `pytest -p gstrtc.testing`."""
    test_file = tmp_path / "test_user.py"
    test_file.write_text(textwrap.dedent("""
        def test_my_app(rtc_peers):
            rtc_peers.wait_frames(video=5)
            stats = rtc_peers.offerer.pc.get_stats()
            assert stats.get_name() == "application/x-rtc-stats"
    """))
    env = dict(os.environ)
    python_dir = os.path.join(os.path.dirname(__file__), "..", "..", "python")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.abspath(python_dir),
                                                      env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "gstrtc.testing",
                           "-p", "no:cacheprovider", "-q", str(test_file)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout


def test_turn_server_helper_stops_cleanly(turn_server):
    # (turn_server: skipped, like it, without coturn)
    with TurnServer() as server:
        process = server.process
        assert process.poll() is None
    assert process.poll() is not None
