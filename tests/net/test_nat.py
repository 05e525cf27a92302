# SPDX-License-Identifier: LGPL-2.1-or-later
"""NAT traversal on real (Linux conntrack) NATs, in a namespace lab.

Each test builds its own lab (natlab.Lab: two LANs behind NAT routers of
the given kinds, an "internet" namespace with coturn) and runs one rtcbin
peer (netpeer.py: VP8 + Opus, decoding what it receives) in each LAN; this
process is their signalling channel.  The tests check the selected
candidate pair's types from rtcbin's get-stats, that video is decoded,
and the connectivity doctor's rtc-ice-diagnosis messages; the gst-rtc-doctor
tool's NAT verdicts are checked in each kind of NAT.

Measured results (pair types, connect times, frames) are appended as JSON
lines to $NATLAB_RESULTS when it is set (docs/nat.md's table comes from
such a run).

Needs root (ip netns, iptables) and coturn: skipped otherwise, saying so.
"""
import json
import os
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "interop"))

import natlab  # noqa: E402

WHY_NOT = natlab.check()
pytestmark = pytest.mark.skipif(WHY_NOT is not None, reason=f"NAT lab unavailable: {WHY_NOT}")

if WHY_NOT is None:
    from rtcpeer import Child, missing_element_under_test  # noqa: E402

BUILD = os.environ.get("GST_RTC_BUILD_ROOT", os.path.join(HERE, "..", "..", "build"))
DOCTOR = os.path.join(BUILD, "tools", "gst-rtc-doctor")
CONNECT_TIMEOUT = 20
FRAMES = 30
RESULTS = os.environ.get("NATLAB_RESULTS")


def record(case, **fields):
    line = {"case": case, **fields}
    print("RESULT", json.dumps(line), flush=True)
    if RESULTS:
        with open(RESULTS, "a") as f:
            f.write(json.dumps(line) + "\n")


@pytest.fixture
def lab_factory():
    labs = []

    def make(kind_a, kind_b, **kw):
        lab = natlab.Lab(kind_a, kind_b, **kw)
        labs.append(lab)
        return lab

    yield make
    for lab in labs:
        lab.close()
        assert natlab.leftover_namespaces(lab.prefix + "-") == [], "namespaces left behind"


class Call:
    """Two netpeer.py processes, one in each LAN of a lab, a offering."""

    def __init__(self, lab, a_args=(), b_args=()):
        missing = missing_element_under_test()
        if missing:
            pytest.fail(missing)
        self.lab = lab
        self.a = self._child("a", a_args)
        self.b = self._child("b", b_args)
        self.a.on_signal = self.b.send
        self.b.on_signal = self.a.send
        for c in (self.a, self.b):
            ready = c.wait_message(lambda m: m.get("type") in ("ready", "error"), 30)
            assert ready and ready["type"] == "ready", f"{c.name} did not start: {ready}"
        self.offered_at = None

    def _child(self, side, args):
        argv = ["ip", "netns", "exec", self.lab.ns(side), "/usr/bin/python3",
                os.path.join(HERE, "netpeer.py"), "--name", side, *args]
        child = Child(argv, name=side)
        self.lab.procs.append(child.proc)
        return child

    def offer(self):
        self.offered_at = time.monotonic()
        self.a.send({"cmd": "offer"})

    def wait_ice(self, child, states, timeout, start=0):
        m = child.wait_message(lambda m: m.get("type") == "state"
                               and m.get("name") == "ice-connection-state"
                               and m.get("value") in states, timeout, start)
        return (m["value"], time.monotonic() - self.offered_at) if m else (None, None)

    def wait_connected(self, timeout=CONNECT_TIMEOUT):
        """Seconds from the offer until both are connected (None if not)."""
        deadline = time.monotonic() + timeout
        times = []
        for c in (self.a, self.b):
            state, at = self.wait_ice(c, ("connected", "completed", "failed"),
                                      max(0.1, deadline - time.monotonic()))
            if state not in ("connected", "completed"):
                return None
            times.append(at)
        return max(times)

    def pair(self, child):
        n = len(child.messages)
        child.send({"cmd": "pair"})
        return child.wait_message(lambda m: m.get("type") == "pair", 10, n) or {}

    def diagnoses(self, child):
        return [m for m in child.messages if m.get("type") == "diagnosis"]

    def wait_diagnosis(self, child, outcome, timeout):
        return child.wait_message(lambda m: m.get("type") == "diagnosis"
                                  and m.get("outcome") == outcome, timeout)

    def wait_frames(self, frames=FRAMES, timeout=20):
        deadline = time.monotonic() + timeout
        last = {}
        while time.monotonic() < deadline:
            for c in (self.a, self.b):
                s = c.stats()
                if s is not None:
                    last[c.name] = s["video_frames"]
            if len(last) == 2 and all(v >= frames for v in last.values()):
                break
            time.sleep(0.25)
        return last

    def sent(self, child):
        n = len(child.messages)
        child.send({"cmd": "sent"})
        m = child.wait_message(lambda m: m.get("type") == "sent", 10, n)
        return m["video_frames"] if m else None

    def rtp(self, child, direction, kind="video"):
        """Sum of the video RTP counters of get-stats, per field."""
        n = len(child.messages)
        child.send({"cmd": "rtp"})
        m = child.wait_message(lambda m: m.get("type") == "rtp", 10, n) or {}
        out = {}
        for st in m.get("streams", []):
            if st.get("type") == direction and st.get("kind") == kind:
                for k, v in st.items():
                    if isinstance(v, (int, float)) and not isinstance(v, bool):
                        out[k] = out.get(k, 0) + v
        return out

    def close(self):
        codes = {}
        for c in (self.a, self.b):
            codes[c.name] = c.stop(timeout=20)
        return codes


def connect_case(lab, case, a_args=(), b_args=(), expect=None):
    """A call that must connect and carry video; returns (call, pair_a, pair_b, seconds)."""
    call = Call(lab, a_args, b_args)
    call.offer()
    took = call.wait_connected()
    errors = call.a.errors + call.b.errors
    assert took is not None, (f"{case}: ICE did not connect within {CONNECT_TIMEOUT} s; "
                              f"diagnosis a: {call.diagnoses(call.a)} b: {call.diagnoses(call.b)}; "
                              f"errors {errors}")
    frames = call.wait_frames()
    pa, pb = call.pair(call.a), call.pair(call.b)
    record(case, nat_a=lab.kinds["a"], nat_b=lab.kinds["b"], connected=True,
           connect_s=round(took, 2), pair_a=f"{pa.get('local')}/{pa.get('remote')}",
           pair_b=f"{pb.get('local')}/{pb.get('remote')}", frames=frames,
           a_local=pa.get("local-address"), a_remote=pa.get("remote-address"))
    assert all(v >= FRAMES for v in frames.values()) and len(frames) == 2, \
        f"{case}: video not decoded on both sides: {frames}"
    return call, pa, pb, took


class WhepCall:
    """rtcsink serving a test picture in LAN a, rtcsrc in LAN b playing it
    over WHEP (the HTTP request crosses a's NAT through a port forward:
    signalling is not what is tested here)."""

    PORT = 8080

    def __init__(self, lab, sink_args=(), src_args=()):
        self.lab = lab
        lab.forward_tcp("a", self.PORT)
        self.sink = self._child("a", ["sink", "--port", str(self.PORT), *sink_args], "sink")
        listening = self.sink.wait_message(lambda m: m.get("name") == "rtcsink-listening"
                                           or m.get("type") == "error", 20)
        assert listening and listening.get("type") == "message", f"rtcsink did not start: {listening}"
        self.started_at = time.monotonic()
        url = f"http://{lab.public_address('a')}:{self.PORT}/whep"
        self.src = self._child("b", ["src", "--url", url, *src_args], "src")

    def _child(self, side, args, name):
        argv = ["ip", "netns", "exec", self.lab.ns(side), "/usr/bin/python3",
                os.path.join(HERE, "whep_peer.py"), *args]
        child = Child(argv, name=name)
        self.lab.procs.append(child.proc)
        return child

    def wait_diagnosis(self, outcome, timeout):
        return self.src.wait_message(lambda m: m.get("type") == "diagnosis"
                                     and m.get("outcome") == outcome, timeout)

    def frames(self):
        s = self.src.stats()
        return s["video_frames"] if s else 0

    def close(self):
        return {c.name: c.stop(timeout=20) for c in (self.src, self.sink)}


def whep_connect_case(lab, case, sink_args=(), src_args=()):
    """rtcsink -> rtcsrc must connect and play; returns (call, pair of
    rtcsrc's side as {"local", "remote"}, seconds from the WHEP request to
    ICE connected)."""
    call = WhepCall(lab, sink_args, src_args)
    d = call.wait_diagnosis("connected", CONNECT_TIMEOUT + 5)
    failed = [m for m in call.src.messages if m.get("type") == "diagnosis"]
    assert d is not None, f"{case}: rtcsrc did not connect: {failed} {call.src.messages[-5:]}"
    took = d["at"]
    deadline = time.monotonic() + 20
    frames = call.frames()
    while frames < FRAMES and time.monotonic() < deadline:
        time.sleep(0.25)
        frames = call.frames()
    pair = {"local": d.get("selected-local-type"), "remote": d.get("selected-remote-type")}
    record(case + " (rtcsink->rtcsrc)", nat_a=lab.kinds["a"], nat_b=lab.kinds["b"],
           connected=True, connect_s=took, pair_src=f"{pair['local']}/{pair['remote']}",
           frames_src=frames)
    assert frames >= FRAMES, f"{case}: rtcsrc decoded only {frames} frames"
    return call, pair, took


def relayed(p):
    return "relay" in (p.get("local"), p.get("remote"))


# -- the doctor tool --------------------------------------------------------

@pytest.mark.parametrize("kind,verdict,filtering", [
    ("none", "none", "endpoint-independent"),
    ("full-cone", "cone", "endpoint-independent"),
    ("cone", "cone", "address-and-port-dependent"),
    ("symmetric", "symmetric", "address-and-port-dependent")])
def test_doctor_classifies_nat(lab_factory, kind, verdict, filtering):
    assert os.path.exists(DOCTOR), f"{DOCTOR} is not built"
    lab = lab_factory(kind, "none", tls=False)
    res = lab.run("a", [DOCTOR, "--json", "--stun", lab.stun_uri, "--turn", lab.turn_uri("udp"),
                        "--turn", lab.turn_uri("udp", password="wrong")])
    out = json.loads(res.stdout)
    record(f"doctor-{kind}", verdict=out.get("verdict"), mapping=out.get("mapping"),
           filtering=out.get("filtering"))
    assert out["rfc5780"] == "yes", out
    assert out["verdict"] == verdict, out
    assert out["filtering"] == filtering, out
    assert out["turn-0"] == "allocated", out
    assert out["turn-1"] == "401-unauthorized", out


def test_doctor_udp_blocked(lab_factory):
    lab = lab_factory("udp-blocked", "none", tls=False)
    res = lab.run("a", [DOCTOR, "--json", "--timeout", "800", "--stun", lab.stun_uri,
                        "--turn", lab.turn_uri("udp"), "--turn", lab.turn_uri("tcp"),
                        "--turn", lab.turn_uri("tls")])
    out = json.loads(res.stdout)
    record("doctor-udp-blocked", verdict=out.get("verdict"), turn_udp=out.get("turn-0"),
           turn_tcp=out.get("turn-1"), turn_tls=out.get("turn-2"))
    assert out["verdict"] == "unknown" and "did not answer" in out["stun"], out
    assert out["turn-0"] == "timeout", out
    assert out["turn-1"] == "allocated", out
    assert out["turn-2"] == "unsupported" and "turns:" in out["turn-2-detail"], out


# -- calls ------------------------------------------------------------------

def test_none_none_host(lab_factory):
    lab = lab_factory("none", "none", turn=False)
    call, pa, pb, _ = connect_case(lab, "none/none")
    assert (pa.get("local"), pa.get("remote")) == ("host", "host"), pa
    d = call.wait_diagnosis(call.a, "connected", 5)
    assert d is not None, "no rtc-ice-diagnosis on connecting"
    assert d.get("selected-local-type") == "host", d
    call.close()


def test_cone_cone_srflx(lab_factory):
    lab = lab_factory("cone", "cone", tls=False)
    call, pa, pb, _ = connect_case(lab, "cone/cone", ["--stun", lab.stun_uri],
                                   ["--stun", lab.stun_uri])
    # what went on the wire is each side's NAT mapping: the remote end of
    # each pair is the peer's server-reflexive address (learnt through STUN,
    # or as peer-reflexive when a check came before the candidate)
    for p in (pa, pb):
        assert p.get("remote") in ("srflx", "prflx"), p
        assert not relayed(p), p
    assert pa["remote-address"].startswith("198.51.100.6:"), pa
    call.close()


def test_full_cone_symmetric_connects(lab_factory):
    lab = lab_factory("full-cone", "symmetric", tls=False)
    call, pa, pb, _ = connect_case(lab, "full-cone/symmetric", ["--stun", lab.stun_uri],
                                   ["--stun", lab.stun_uri])
    assert not relayed(pa), pa  # no TURN was given
    call.close()


def test_port_restricted_cone_symmetric_fails(lab_factory):
    """The primer's table: a port-restricted cone cannot let in a
    symmetric NAT's fresh ports; without TURN this fails, and says why."""
    lab = lab_factory("cone", "symmetric", tls=False)
    call = Call(lab, ["--stun", lab.stun_uri], ["--stun", lab.stun_uri])
    call.offer()
    state, at = call.wait_ice(call.a, ("connected", "completed", "failed"), 30)
    d = call.wait_diagnosis(call.a, "failed", 10)
    record("cone/symmetric no TURN", nat_a="cone", nat_b="symmetric", connected=False,
           state=state, failed_after_s=round(at, 2) if at else None,
           likely_cause=d and d.get("likely-cause"))
    assert state == "failed", f"ICE state {state} (a port-restricted cone against symmetric)"
    assert d is not None and "this side's NAT is cone" in d["likely-cause"], d
    call.close()


def test_symmetric_symmetric_without_turn_fails(lab_factory):
    lab = lab_factory("symmetric", "symmetric", tls=False)
    call = Call(lab, ["--stun", lab.stun_uri], ["--stun", lab.stun_uri])
    call.offer()
    state, at = call.wait_ice(call.a, ("connected", "completed", "failed"), 30)
    d = call.wait_diagnosis(call.a, "failed", 10)
    record("symmetric/symmetric no TURN", nat_a="symmetric", nat_b="symmetric", connected=False,
           state=state, failed_after_s=round(at, 2) if at else None,
           likely_cause=d and d.get("likely-cause"), local_nat=d and d.get("local-nat"))
    assert state == "failed", f"ICE state {state} after 30 s (expected failed)"
    assert at <= 30, at
    assert d is not None, "no rtc-ice-diagnosis message on failure"
    cause = d["likely-cause"]
    assert "symmetric" in cause and "no relay configured" in cause, d
    assert d["local-nat"] == "symmetric", d
    assert "srflx" in d["local-candidate-types"] and "srflx" in d["remote-candidate-types"], d
    call.close()


def test_symmetric_symmetric_turn_relay(lab_factory):
    lab = lab_factory("symmetric", "symmetric", tls=False)
    args = ["--stun", lab.stun_uri, "--turn", lab.turn_uri("udp")]
    call, pa, pb, _ = connect_case(lab, "symmetric/symmetric TURN/UDP", args, args)
    assert relayed(pa) and relayed(pb), (pa, pb)
    call.close()


def test_udp_blocked_turn_tcp(lab_factory):
    lab = lab_factory("udp-blocked", "symmetric")
    a_args = ["--turn", lab.turn_uri("tcp"), "--turn", lab.turn_uri("tls")]
    b_args = ["--stun", lab.stun_uri, "--turn", lab.turn_uri("udp")]
    call, pa, pb, _ = connect_case(lab, "udp-blocked/symmetric TURN/TCP", a_args, b_args)
    assert pa.get("local") == "relay", pa
    refused = [m for m in call.a.messages if m.get("type") == "turn-refused"]
    # turns: is refused by name (libnice 0.1.21 would speak plain TCP to it)
    assert [m["uri"] for m in refused] == [lab.turn_uri("tls")], refused
    record("turns: (TURN over TLS)", supported=False,
           note="rtcbin refuses turns: URIs (NOT_SUPPORTED); the doctor reports 'unsupported'")
    call.close()


def test_relay_policy(lab_factory):
    lab = lab_factory("none", "none", tls=False)
    args = ["--turn", lab.turn_uri("udp"), "--policy", "relay"]
    call, pa, pb, _ = connect_case(lab, "none/none policy=relay", args, ["--turn", lab.turn_uri("udp")])
    assert pa.get("local") == "relay", pa
    d = call.diagnoses(call.a)
    assert d and d[0].get("local-candidate-types") == "relay", d
    call.close()


def test_turn_wrong_password_diagnosed(lab_factory):
    """libnice says nothing when TURN refuses us: the doctor finds the 401."""
    lab = lab_factory("none", "none", tls=False)
    bad = ["--turn", lab.turn_uri("udp", password="wrong"), "--policy", "relay"]
    call = Call(lab, bad, ["--turn", lab.turn_uri("udp")])
    call.offer()
    state, at = call.wait_ice(call.a, ("connected", "completed", "failed"), 30)
    d = call.wait_diagnosis(call.a, "failed", 10)
    record("relay policy, wrong TURN password", state=state,
           failed_after_s=round(at, 2) if at else None,
           turn_probe=d and d.get("turn-probe"), likely_cause=d and d.get("likely-cause"))
    assert state == "failed", state
    assert d is not None and d["turn-probe"] == "401-unauthorized", d
    assert "401 Unauthorized" in d["likely-cause"], d
    call.close()


def test_loss_nack_rtx(lab_factory):
    lab = lab_factory("cone", "cone", tls=False)
    call = Call(lab, ["--stun", lab.stun_uri], ["--stun", lab.stun_uri])
    call.offer()
    assert call.wait_connected() is not None, "no connection before loss"
    lab.add_loss("a", 0.05)
    start_sent = call.sent(call.a)
    start_recv = call.b.stats()["video_frames"]
    time.sleep(10)
    sent = call.sent(call.a) - start_sent
    decoded = call.b.stats()["video_frames"] - start_recv
    out, into = call.rtp(call.a, "outbound-rtp"), call.rtp(call.b, "inbound-rtp")
    record("cone/cone 5% loss on router A", frames_sent=sent, frames_decoded=decoded,
           nacks_received_by_sender=out.get("nackCount"),
           rtx_sent=out.get("retransmittedPacketsSent"),
           rtx_received=into.get("retransmittedPacketsReceived"),
           packets_lost=into.get("packetsLost"))
    assert sent > 100, sent
    assert decoded >= 0.8 * sent, f"only {decoded} of {sent} frames decoded under 5% loss"
    # the repair was NACK/RTX: the receiver asked, the sender retransmitted
    assert out.get("retransmittedPacketsSent", 0) > 0, out
    assert into.get("retransmittedPacketsReceived", 0) > 0, into
    call.close()


def test_peer_vanishes(lab_factory):
    lab = lab_factory("none", "none", turn=False)
    call, pa, pb, _ = connect_case(lab, "none/none (vanish)")
    seen = len(call.a.messages)
    cut_at = time.monotonic()
    lab.cut("b")
    state, _ = call.wait_ice(call.a, ("failed",), 35, seen)
    took = time.monotonic() - cut_at
    d = call.wait_diagnosis(call.a, "failed", 5)
    record("peer vanishes", failed_after_s=round(took, 2) if state else None,
           likely_cause=d and d.get("likely-cause"))
    assert state == "failed", "a did not report failed within 35 s of b vanishing"
    assert d is not None and "lost after it worked" in d["likely-cause"], d
    # resources freed: the pipeline goes to NULL and the process exits cleanly
    assert call.a.stop(timeout=20) == 0, call.a.errors


def test_turn_server_killed(lab_factory):
    lab = lab_factory("symmetric", "symmetric", tls=False)
    args = ["--turn", lab.turn_uri("udp")]
    call, pa, pb, _ = connect_case(lab, "symmetric/symmetric TURN (killed)", args, args)
    assert relayed(pa), pa
    seen = len(call.a.messages)
    killed_at = time.monotonic()
    lab.stop_turnserver()
    state, _ = call.wait_ice(call.a, ("failed", "disconnected"), 40, seen)
    took = time.monotonic() - killed_at
    d = call.wait_diagnosis(call.a, "failed", 10)
    assert state in ("failed", "disconnected"), "no failure reported after the TURN server died"
    assert d is not None and "TURN server no longer answers" in d["likely-cause"], d

    # a TURN server is back: an ICE restart (offer with ice-restart) from a
    # re-establishes the call through a new allocation
    lab.start_turnserver(tls=False)
    seen_a, seen_b = len(call.a.messages), len(call.b.messages)
    frames_before = call.b.stats()["video_frames"]
    restart_at = time.monotonic()
    call.a.send({"cmd": "restart"})
    back = [call.wait_ice(c, ("connected", "completed"), CONNECT_TIMEOUT, seen)[0]
            for c, seen in ((call.a, seen_a), (call.b, seen_b))]
    restarted_s = time.monotonic() - restart_at
    time.sleep(2)
    frames_after = call.b.stats()["video_frames"]
    pa = call.pair(call.a)
    record("TURN killed mid-call", state=state, after_s=round(took, 2) if state else None,
           likely_cause=d.get("likely-cause"),
           ice_restart_connected=back, ice_restart_s=round(restarted_s, 2),
           pair_a_after=f"{pa.get('local')}/{pa.get('remote')}",
           frames_after_restart=frames_after - frames_before)
    assert all(b in ("connected", "completed") for b in back), \
        f"the ICE restart did not reconnect: {back}"
    assert relayed(pa), pa
    assert frames_after - frames_before >= 30, (frames_before, frames_after)
    call.close()


# -- rtcsink in LAN a, rtcsrc in LAN b ----------------------------------------

def test_whep_none_none_host(lab_factory):
    lab = lab_factory("none", "none", turn=False)
    call, pair, _ = whep_connect_case(lab, "none/none")
    assert pair == {"local": "host", "remote": "host"}, pair
    call.close()


def test_whep_cone_cone_srflx(lab_factory):
    lab = lab_factory("cone", "cone", tls=False)
    args = ["--stun", lab.stun_uri]
    call, pair, _ = whep_connect_case(lab, "cone/cone", args, args)
    assert not relayed(pair) and "srflx" in (pair["local"], pair["remote"]), pair
    call.close()


def test_whep_full_cone_symmetric(lab_factory):
    lab = lab_factory("full-cone", "symmetric", tls=False)
    args = ["--stun", lab.stun_uri]
    call, pair, _ = whep_connect_case(lab, "full-cone/symmetric", args, args)
    assert not relayed(pair), pair
    call.close()


def test_whep_symmetric_symmetric_turn(lab_factory):
    lab = lab_factory("symmetric", "symmetric", tls=False)
    args = ["--stun", lab.stun_uri, "--turn", lab.turn_uri("udp")]
    call, pair, _ = whep_connect_case(lab, "symmetric/symmetric TURN/UDP", args, args)
    assert relayed(pair), pair
    call.close()


def test_whep_udp_blocked_turn_tcp(lab_factory):
    lab = lab_factory("udp-blocked", "cone", tls=False)
    call, pair, _ = whep_connect_case(lab, "udp-blocked/cone TURN/TCP",
                                      ["--turn", lab.turn_uri("tcp")],
                                      ["--stun", lab.stun_uri, "--turn", lab.turn_uri("udp")])
    assert pair["remote"] == "relay", pair  # the sink's side can only relay
    call.close()


def test_whep_relay_policy(lab_factory):
    lab = lab_factory("none", "none", tls=False)
    args = ["--turn", lab.turn_uri("udp"), "--policy", "relay"]
    call, pair, _ = whep_connect_case(lab, "none/none policy=relay", args, args)
    assert pair["local"] == "relay" and pair["remote"] == "relay", pair
    call.close()


def test_whep_symmetric_symmetric_without_turn_fails(lab_factory):
    lab = lab_factory("symmetric", "symmetric", tls=False)
    args = ["--stun", lab.stun_uri]
    call = WhepCall(lab, args, args)
    d = call.wait_diagnosis("failed", 30)
    record("symmetric/symmetric no TURN (rtcsink->rtcsrc)", nat_a="symmetric", nat_b="symmetric",
           connected=False, failed_after_s=d and d["at"], likely_cause=d and d.get("likely-cause"))
    assert d is not None, "rtcsrc reported no ICE failure within 30 s"
    assert "symmetric" in d["likely-cause"] and "no relay configured" in d["likely-cause"], d
    assert call.wait_diagnosis("connected", 0.1) is None
    call.close()


def test_whep_viewer_vanishes(lab_factory):
    """rtcsrc's namespace is deleted mid-call: rtcsink removes the viewer
    (its transport, encoder branch and sockets) within 35 s."""
    lab = lab_factory("none", "cone", turn=False)
    call, pair, _ = whep_connect_case(lab, "none/cone (viewer vanishes)", (), ())
    seen = len(call.sink.messages)
    cut_at = time.monotonic()
    lab.cut("b")
    removed = call.sink.wait_message(lambda m: m.get("name") == "rtcsink-viewer-removed", 35, seen)
    took = time.monotonic() - cut_at
    record("viewer vanishes (rtcsink)", removed_after_s=round(took, 2) if removed else None,
           reason=removed and removed.get("reason"), viewers_left=removed and removed.get("viewers"))
    assert removed is not None, "rtcsink did not remove the vanished viewer within 35 s"
    assert removed.get("viewers") == 0, removed
    assert call.sink.stop(timeout=20) == 0


# -- headless Chromium in a LAN, viewing rtcsink over WHEP ----------------------

CHROMIUM_DIR = os.path.join(HERE, "..", "interop", "chromium")


def chromium_or_skip():
    import shutil
    if not os.path.exists(os.environ.get("CHROMIUM", "/usr/bin/chromium")) or not shutil.which("node"):
        pytest.skip("Chromium or node is not installed")
    if not os.path.isdir(os.path.join(CHROMIUM_DIR, "node_modules", "playwright-core")):
        res = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=CHROMIUM_DIR,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert res.returncode == 0, f"npm ci (playwright-core) failed: {res.stdout[-2000:]}"


def chromium_case(lab, case, ice_servers, mdns="on", sink_args=()):
    chromium_or_skip()
    lab.forward_tcp("a", WhepCall.PORT)
    sink = Child(["ip", "netns", "exec", lab.ns("a"), "/usr/bin/python3",
                  os.path.join(HERE, "whep_peer.py"), "sink", "--port", str(WhepCall.PORT),
                  *sink_args], name="sink")
    lab.procs.append(sink.proc)
    try:
        listening = sink.wait_message(lambda m: m.get("name") == "rtcsink-listening", 20)
        assert listening, "rtcsink did not start"
        res = lab.run("b", ["node", os.path.join(HERE, "chromium_viewer.mjs"),
                            f"http://{lab.public_address('a')}:{WhepCall.PORT}",
                            json.dumps(ice_servers), mdns, "10"], timeout=90)
        lines = [line for line in res.stdout.splitlines() if line.startswith("{")]
        assert lines, f"chromium_viewer.mjs printed nothing: {res.stderr[-2000:]}"
        out = json.loads(lines[-1])
        record(case + " (rtcsink->Chromium)", nat_a=lab.kinds["a"], nat_b=lab.kinds["b"],
               connected=out.get("state") == "connected",
               connect_s=round(out["connectedMs"] / 1000, 3) if out.get("connectedMs") else None,
               pair_chromium=f"{out.get('local')}/{out.get('remote')}",
               frames_chromium=out.get("framesDecoded"), mdns=mdns,
               chromium_hosts=out.get("hosts"))
        assert "error" not in out, out
        assert out.get("framesDecoded", 0) >= 30, out
        return out
    finally:
        sink.stop(timeout=20)


def test_chromium_cone_mdns(lab_factory):
    """Chromium keeps its mDNS host-candidate hiding (rtcbin cannot resolve
    .local names): it still connects, through STUN."""
    lab = lab_factory("cone", "cone", tls=False)
    out = chromium_case(lab, "cone/cone mDNS on", [{"urls": f"stun:{natlab.STUN_ADDR}:{natlab.STUN_PORT}"}],
                        "on", ["--stun", lab.stun_uri])
    assert all(h.endswith(".local") for h in out["hosts"]), out  # mDNS really was on
    assert not relayed(out) and "srflx" in (out["local"], out["remote"]), out


def test_chromium_symmetric_turn(lab_factory):
    lab = lab_factory("symmetric", "symmetric", tls=False)
    servers = [{"urls": f"turn:{natlab.STUN_ADDR}:{natlab.STUN_PORT}?transport=udp",
                "username": natlab.TURN_USER, "credential": natlab.TURN_PASS}]
    out = chromium_case(lab, "symmetric/symmetric TURN", servers, "off",
                        ["--turn", lab.turn_uri("udp")])
    assert relayed(out), out
