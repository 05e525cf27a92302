# SPDX-License-Identifier: LGPL-2.1-or-later
"""rtcbin against rtcbin, in two processes.

Each process is rtcpeer.py (one pipeline with one rtcbin), sending VP8 and
Opus; this test is only the signalling channel between their stdin/stdout
pipes, carrying JSON messages shaped like the browser API.  Each side must
decode the other's video and audio; when one hangs up, the other's
connection state must stay sensible.  Run with trickled candidates, and with
none trickled (every candidate in the SDP, as a non-trickle peer sends).
"""
import os

import pytest

from rtcpeer import Child, element_available, element_under_test, missing_element_under_test, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
FRAMES = 30
DEADLINE = 30


@pytest.fixture
def children():
    made = []

    def make(*argv, name):
        child = Child(["/usr/bin/python3", os.path.join(HERE, "rtcpeer.py"),
                       "--element", element_under_test(), "--name", name, *argv], name=name)
        made.append(child)
        return child

    yield make
    for child in made:
        child.stop()


@pytest.mark.parametrize("trickle", [True, False], ids=["trickle", "no-trickle"])
def test_vp8_opus_two_processes(children, trickle):
    missing = missing_element_under_test()
    if missing:
        pytest.fail(missing)
    for e in ("vp8enc", "vp8dec", "opusenc", "opusdec"):
        if not element_available(e):
            pytest.skip(f"{e} is not installed")
    extra = [] if trickle else ["--no-trickle"]
    a = children("--size", "320x240", *extra, name="a")
    b = children("--size", "160x120", *extra, name="b")
    a.on_signal = b.send
    b.on_signal = a.send
    for child in (a, b):
        ready = child.wait_message(lambda m: m.get("type") in ("ready", "error"), 20)
        assert ready and ready["type"] == "ready", f"{child.name} did not start: {ready}"
    a.send({"cmd": "offer"})

    last = {}

    def done():
        for child in (a, b):
            if child.errors or not child.alive():
                return True
            s = child.stats()
            if s is None:
                return False
            last[child.name] = s
        return all(s["video_frames"] >= FRAMES and s["audio_frames"] > 0 for s in last.values())

    wait_until(done, DEADLINE, interval=0.25)
    assert a.errors == [] and b.errors == [], f"a: {a.errors}; b: {b.errors}"
    assert a.alive() and b.alive(), "an rtcpeer.py process died"
    assert len(last) == 2 and all(s["video_frames"] >= FRAMES and s["audio_frames"] > 0
                                  for s in last.values()), f"not enough decoded: {last}"

    # Each decoded the other's picture size: the streams did not cross.
    sizes = {name: [(st["width"], st["height"]) for st in s["streams"] if st["kind"] == "video"]
             for name, s in last.items()}
    assert sizes == {"a": [(160, 120)], "b": [(320, 240)]}, sizes
    for name, s in last.items():
        assert s["states"]["connection-state"] == "connected", (name, s)
        assert s["candidate_errors"] == [], (name, s)

    # a hangs up. What b then says of its connection, per W3C: still
    # "connected" (a's DTLS transport closed), later "disconnected" or
    # "failed"; never back to "new" (its ICE is not new) or "connecting".
    seen = len(b.messages)
    assert a.stop() == 0, f"a exited badly: {a.errors}"
    b.wait_message(lambda m: m.get("type") == "state" and m.get("name") == "connection-state",
                   2, start=seen)
    after = b.stats()
    assert after is not None, "b stopped answering after a hung up"
    assert after["states"]["connection-state"] in ("connected", "disconnected", "failed"), \
        f"b's connection-state after a hung up: {after['states']}"
    assert b.stop() == 0, f"b exited badly: {b.errors}"

    signals = {c.name: [m["type"] for m in c.messages if m.get("type") in ("offer", "answer", "candidate")]
               for c in (a, b)}
    assert signals["a"][0] == "offer" and signals["b"][0] == "answer", signals
    trickled = [m for c in (a, b) for m in c.messages
                if m.get("type") == "candidate" and m.get("candidate")]
    if trickle:
        assert trickled, "no candidate was trickled"
    else:
        assert trickled == [], "candidates were trickled in no-trickle mode"
        for c in (a, b):
            desc = next(m for m in c.messages if m.get("type") in ("offer", "answer"))
            assert "a=candidate:" in desc["sdp"], f"{c.name}'s description has no candidates"
