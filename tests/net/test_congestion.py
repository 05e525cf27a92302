# SPDX-License-Identifier: LGPL-2.1-or-later
"""Congestion control on a real bottleneck, in the namespace lab.

rtcbin (cc_sender.py: VP8 from videotestsrc's SMPTE pattern, whose bitrate
follows the encoder's target) sends to headless Chromium (cc_viewer.mjs)
through natlab's routers; a tbf qdisc (token bucket with a queue: FIELD-NOTES,
there is no netem) on router b's LAN side is the bottleneck. Chromium sends
transport-cc feedback, rtcbin's estimator (congestion.c) sets vp8enc's
target-bitrate and its pacer (pacer.c) spreads what leaves.

    test_cap_1mbit      1 Mb/s cap, start at 2.5 Mb/s: the estimate is below
                        the cap within 5 s; at steady state loss < 2 %,
                        queueing delay (Chromium's RTT: the lab adds no other
                        delay) < 100 ms, Chromium keeps decoding
    test_step           1 -> 2.5 -> 0.6 -> 1 Mb/s (tc qdisc change): prints
                        the time to adapt and the utilisation per step;
                        asserts only the direction the estimate moves
    test_random_loss    5 % random loss both ways (iptables statistic): NACK
                        and RTX recover, frames decoded within 5 % of frames
                        encoded
    test_fanout_two_viewers  rtcsink with one viewer behind 500 kb/s and one
                        uncapped: the uncapped one keeps 80 % of what it gets
                        alone, the capped one keeps decoding (the base
                        temporal layer: a quarter of the frame rate)
    test_fanout_ladder  the same with ladder=320x240@300000: the capped
                        viewer gets the rung (320x240, >= 20 fps), the
                        uncapped one the 640x480 encode

Measured rows are printed as `RESULT {...}` and appended as JSON lines to
$CC_RESULTS when set (docs/congestion.md's figures come from such a run).
Needs root, ip, tc, iptables, Chromium and node: skipped otherwise.
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

import cclab  # noqa: E402
import natlab  # noqa: E402

WHY_NOT = natlab.check()
if WHY_NOT is None and not os.path.exists("/usr/sbin/tc") and not os.path.exists("/sbin/tc"):
    WHY_NOT = "tc (iproute2) is not installed"
pytestmark = pytest.mark.skipif(WHY_NOT is not None, reason=f"lab unavailable: {WHY_NOT}")

RESULTS = os.environ.get("CC_RESULTS")
FPS = 30


def record(case, **fields):
    line = {"case": case, **fields}
    print("RESULT", json.dumps(line), flush=True)
    if RESULTS:
        with open(RESULTS, "a") as f:
            f.write(json.dumps(line) + "\n")


@pytest.fixture
def lab():
    why = cclab.chromium_missing()
    if why:
        pytest.skip(why)
    from rtcpeer import missing_element_under_test
    missing = missing_element_under_test()
    if missing:
        pytest.fail(missing)
    lab = natlab.Lab("none", "none", turn=False)
    yield lab
    lab.close()
    assert natlab.leftover_namespaces(lab.prefix + "-") == [], "namespaces left behind"


def at(samples, key, t):
    """A counter of samples (each with "t") at time t, linearly
    interpolated (a counter a sample lacks counts 0)."""
    prev = None
    for s in samples:
        if s["t"] >= t:
            if prev is None:
                return s.get(key, 0)
            span = s["t"] - prev["t"]
            frac = (t - prev["t"]) / span if span > 0 else 1.0
            return prev.get(key, 0) + (s.get(key, 0) - prev.get(key, 0)) * frac
        prev = s
    return prev.get(key, 0) if prev else 0


def kbps(v):
    return None if v is None else round(v / 1000)


def test_cap_1mbit(lab):
    seconds = 20
    # A picture that can fill the link (640x480: the encoder makes more than
    # 1 Mb/s when asked), so that the estimator is judged against a sender
    # that wants more than the path carries. When the encoder makes less than
    # the cap, an estimate above the cap is neither refuted nor wrong: there
    # is no probing, and the estimator holds an application-limited rate.
    res = cclab.run_session(lab, seconds, [(0, 1000)],
                            sender_args=["--start-bitrate", "2500000",
                                         "--width", "640", "--height", "480"])
    cap = 1_000_000
    below = next((t for t, v in res["target"] if v <= cap), None)
    steady = (8, seconds)
    target = cclab.median(cclab.window(res["target"], *steady))
    recv = cclab.mean(cclab.window(res["recv"], *steady))
    rtt = cclab.median(cclab.window(res["rtt"], *steady))
    jitter = cclab.median(cclab.window(res["jitter"], *steady))
    vs = res["viewer"]
    lost = at(vs, "lost", steady[1]) - at(vs, "lost", steady[0])
    packets = at(vs, "packets", steady[1]) - at(vs, "packets", steady[0])
    loss = lost / (lost + packets) if lost + packets > 0 else None
    frames_end = at(vs, "frames", seconds) - at(vs, "frames", seconds - 5)
    pacer = res["sender"][-1]["pacer"] if res["sender"] else {}
    record("cap 1 Mb/s", below_cap_after_s=below, steady_target_kbps=kbps(target),
           steady_recv_kbps=kbps(recv), steady_loss=loss, steady_rtt_ms=rtt,
           steady_jitter_ms=jitter, frames_last_5s=frames_end,
           pacer_mean_queue_ms=pacer.get("pacerMeanQueueDelayMs"),
           pacer_max_queue_ms=pacer.get("pacerMaxQueueDelayMs"))
    assert below is not None and below <= 5, f"estimate not below the cap within 5 s: {res['target'][:30]}"
    assert target is not None and target <= cap, f"steady estimate {target} above the 1 Mb/s cap"
    # not collapsed either: a third of the link at least
    assert target >= 0.3 * cap, f"steady estimate {target} collapsed"
    assert loss is not None and loss < 0.02, f"steady-state loss {loss}"
    assert rtt is not None and rtt < 100, f"steady-state queueing delay (RTT) {rtt} ms"
    assert frames_end >= 5 * FPS * 0.5, f"Chromium decoded {frames_end} frames in the last 5 s"


STEP_SCHEDULE = [(0, 1000), (15, 2500), (30, 600), (45, 1000)]
STEP_SECONDS = 60


def test_step(lab):
    """The RMCAT-style step (draft-ietf-rmcat-eval-test's variable capacity,
    shortened): reports adaptation, asserts direction only."""
    res = cclab.run_session(lab, STEP_SECONDS, STEP_SCHEDULE,
                            sender_args=["--max-bitrate", "4000000"])
    rows = cclab.step_report(res, STEP_SCHEDULE, STEP_SECONDS)
    for row in rows:
        record("step", **row)
    up, down, back = rows[1], rows[2], rows[3]
    # 1 -> 2.5 Mb/s: the estimate rises (GCC's ramp-up is ~8 %/s: it need
    # not reach 2.5 Mb/s in 15 s)
    assert up["target_kbps"] > rows[0]["target_kbps"], rows
    # 2.5 -> 0.6 Mb/s: below the new cap within the step
    assert down["adapt_s"] is not None, f"the estimate never went under 600 kb/s: {rows}"
    assert down["target_kbps"] < up["target_kbps"], rows
    # 0.6 -> 1 Mb/s: up again
    assert back["target_kbps"] > down["target_kbps"] * 0.95, rows
    # and Chromium kept decoding to the end
    vs = res["viewer"]
    assert at(vs, "frames", STEP_SECONDS) - at(vs, "frames", STEP_SECONDS - 5) > 30


def test_random_loss(lab):
    seconds = 20
    res = cclab.run_session(lab, seconds, [], loss=0.05)
    t1, t2 = 5.0, seconds - 1.0
    sent = at(res["sender"], "frames", t2) - at(res["sender"], "frames", t1)
    vs = res["viewer"]
    decoded = at(vs, "frames", t2) - at(vs, "frames", t1)
    rtx_sent = res["sender"][-1]["rtx_sent"] if res["sender"] else 0
    nack = vs[-1]["nack"] if vs else 0
    rtx_recv = vs[-1]["rtx"] if vs else 0
    record("5 % random loss", frames_encoded=round(sent), frames_decoded=round(decoded),
           ratio=round(decoded / sent, 3) if sent else None, rtx_sent=rtx_sent,
           nack_sent_by_chromium=nack, rtx_received_by_chromium=rtx_recv,
           lost_total=vs[-1]["lost"] if vs else None,
           target_kbps=kbps(cclab.median(cclab.window(res["target"], t1, t2))))
    assert sent > 0.5 * FPS * (t2 - t1), f"only {sent} frames encoded"
    assert nack > 0 and rtx_sent > 0, f"no NACK/RTX under 5 % loss: nack={nack} rtx={rtx_sent}"
    assert abs(decoded - sent) <= 0.05 * sent, f"{decoded} frames decoded of {sent} encoded"


def two_viewers(lab, sink_args=()):
    """rtcsink (VP8 640x480 from videotestsrc, one encode) with an uncapped
    viewer (in LAN a, beside the sink) and a viewer behind 500 kb/s (LAN
    b), which joins after the uncapped one was measured alone. Returns
    the uncapped viewer's rate alone and with the other, and both
    viewers' samples."""
    sink = lab.popen("a", ["gst-launch-1.0", "-q", "videotestsrc", "is-live=true", "pattern=smpte",
                           "!", "video/x-raw,width=640,height=480,framerate=30/1", "!",
                           "rtcsink", "port=8080", "video-bitrate=1500000", *sink_args],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://{lab.host_addr['a']}:8080/whep"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if f"{lab.host_addr['a']}:8080" in lab.run("a", ["ss", "-ltn"]).stdout \
                or "0.0.0.0:8080" in lab.run("a", ["ss", "-ltn"]).stdout:
            break
        time.sleep(0.2)
    lab.shape("b", 500)
    alone_s, both_s = 14, 18
    t0 = time.time()
    uncapped = lab.popen("a", ["node", os.path.join(HERE, "cc_viewer.mjs"), url,
                               str(alone_s + both_s)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(alone_s)
    capped = lab.popen("b", ["node", os.path.join(HERE, "cc_viewer.mjs"), url, str(both_s - 2)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outs = []
    for p in (uncapped, capped):
        out, err = p.communicate(timeout=alone_s + both_s + 90)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        assert lines, f"cc_viewer.mjs printed nothing: {err[-2000:]}"
        view = json.loads(lines[-1])
        assert "error" not in view, view
        for s in view["samples"]:
            s["t"] = s["wall"] / 1000.0 - t0
        outs.append(view["samples"])
    if sink.poll() is not None:
        _, err = sink.communicate()
        pytest.fail(f"rtcsink stopped: {err[-2000:]}")
    sink.kill()
    u, c = outs
    alone = (at(u, "bytes", alone_s) - at(u, "bytes", alone_s - 8)) * 8 / 8
    both = (at(u, "bytes", alone_s + both_s - 1) - at(u, "bytes", alone_s + 7)) * 8 / (both_s - 8)
    return alone, both, u, c


def capped_summary(c):
    c_end = c[-1]["t"]
    frames = at(c, "frames", c_end) - at(c, "frames", c_end - 5)
    recv = (at(c, "bytes", c_end) - at(c, "bytes", c_end - 8)) * 8 / 8
    return frames, recv


def test_fanout_two_viewers(lab):
    """One encode, no ladder: the capped viewer is thinned to the base
    temporal layer."""
    alone, both, u, c = two_viewers(lab)
    c_frames, c_recv = capped_summary(c)
    record("rtcsink two viewers (500 kb/s + uncapped)", uncapped_alone_kbps=kbps(alone),
           uncapped_with_capped_kbps=kbps(both), ratio=round(both / alone, 2) if alone else None,
           capped_recv_kbps=kbps(c_recv), capped_frames_last_5s=c_frames,
           capped_fps_last_5s=round(c_frames / 5, 1),
           capped_lost=c[-1]["lost"], capped_freezes=c[-1]["freeze"])
    assert alone > 0, "the uncapped viewer received nothing alone"
    assert both >= 0.8 * alone, f"uncapped viewer: {both} bit/s with the capped one, {alone} alone"
    # Thinned to the base layer of three (a quarter of the frames: 7.5 of
    # 30 fps) it still decodes: at least 3 frames a second at the end
    # (measured 5.4-7.6; a loaded machine decodes fewer).
    assert c_frames >= 5 * 3, \
        f"the capped viewer decoded {c_frames} frames in its last 5 s"


def test_fanout_ladder(lab):
    """The same with a ladder rung of 320x240 at 300 kb/s: the capped
    viewer is switched to the rung (full frame rate, smaller picture), the
    uncapped one keeps the 640x480 encode."""
    alone, both, u, c = two_viewers(lab, ["ladder=320x240@300000"])
    c_frames, c_recv = capped_summary(c)
    record("rtcsink ladder (500 kb/s + uncapped, rung 320x240@300k)",
           uncapped_alone_kbps=kbps(alone), uncapped_with_capped_kbps=kbps(both),
           ratio=round(both / alone, 2) if alone else None,
           capped_recv_kbps=kbps(c_recv), capped_fps_last_5s=round(c_frames / 5, 1),
           capped_size=f"{c[-1]['width']}x{c[-1]['height']}",
           uncapped_size=f"{u[-1]['width']}x{u[-1]['height']}",
           capped_lost=c[-1]["lost"], capped_freezes=c[-1]["freeze"])
    assert alone > 0, "the uncapped viewer received nothing alone"
    assert both >= 0.8 * alone, f"uncapped viewer: {both} bit/s with the capped one, {alone} alone"
    assert u[-1]["width"] == 640, f"the uncapped viewer decodes {u[-1]['width']}x{u[-1]['height']}"
    assert c[-1]["width"] == 320, f"the capped viewer decodes {c[-1]['width']}x{c[-1]['height']}"
    # the rung at its full rate: at least two thirds of 30 fps at the end
    assert c_frames >= 5 * FPS * 2 / 3, f"the capped viewer decoded {c_frames} frames in its last 5 s"
