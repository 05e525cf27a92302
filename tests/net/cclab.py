# SPDX-License-Identifier: LGPL-2.1-or-later
"""Congestion-control sessions in the namespace lab, shared by
test_congestion.py and the bench's step test (tools/bench/step.py).

run_session() starts cc_sender.py (rtcbin, VP8) in LAN a and headless
Chromium (cc_viewer.mjs) in LAN b, with a tbf bottleneck on the way into
LAN b (natlab.Lab.shape) whose rate follows a schedule, and returns the
time series of both sides on one time axis (seconds since the sender's
connection):

    target   the sender's estimate (get-stats availableOutgoingBitrate), bit/s
    encoder  vp8enc target-bitrate, bit/s
    sent     the sender's video bitrate (outbound-rtp bytesSent), bit/s
    recv     Chromium's received video bitrate (inbound-rtp bytesReceived)
    rtt      Chromium's selected pair currentRoundTripTime, ms (the queue:
             the lab's links add no delay of their own)
    cap      the bottleneck's rate, bit/s
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "interop"))

PORT = 8080
CHROMIUM_DIR = os.path.join(HERE, "..", "interop", "chromium")


def chromium_missing():
    """None, or why Chromium cannot run here (installing playwright-core
    from the lock file when it is not yet)."""
    import shutil
    if not os.path.exists(os.environ.get("CHROMIUM", "/usr/bin/chromium")) or not shutil.which("node"):
        return "Chromium or node is not installed"
    if not os.path.isdir(os.path.join(CHROMIUM_DIR, "node_modules", "playwright-core")):
        res = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=CHROMIUM_DIR,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if res.returncode != 0:
            return f"npm ci (playwright-core) failed: {res.stdout[-2000:]}"
    return None


def _bitrate(samples, key, tkey):
    out = []
    for prev, cur in zip(samples, samples[1:]):
        dt = cur[tkey] - prev[tkey]
        if dt > 0:
            out.append((cur[tkey], (cur[key] - prev[key]) * 8 / dt))
    return out


def run_session(lab, seconds, schedule, loss=None, sender_args=(), audio=False,
                latency_ms=200):
    """schedule: [(t_s, kbit), ...] (t_s from the sender's connection; the
    first entry's rate is set before the call starts; kbit None: no cap).
    Returns a dict of series (see the module doc) and raw samples."""
    from rtcpeer import Child
    if schedule and schedule[0][1]:
        lab.shape("b", schedule[0][1], latency_ms=latency_ms)
    if loss:
        lab.add_loss("b", loss)
    argv = ["ip", "netns", "exec", lab.ns("a"), "/usr/bin/python3",
            os.path.join(HERE, "cc_sender.py"), "--port", str(PORT), *sender_args]
    if audio:
        argv.append("--audio")
    # One more attempt when the call does not connect at all: seen once in a
    # full run under 5 % loss (never alone); the first attempt's evidence is
    # printed, and two failures in a row fail the test.
    for attempt in (1, 2):
        sender = Child(argv, name="sender")
        lab.procs.append(sender.proc)
        viewer = None
        ready = sender.wait_message(lambda m: m.get("type") in ("ready", "error"), 30)
        if not ready or ready.get("type") != "ready":
            sender.stop(timeout=20)
            raise RuntimeError(f"cc_sender did not start: {ready}")
        url = f"http://{lab.host_addr['a']}:{PORT}/whep"
        viewer = lab.popen("b", ["node", os.path.join(HERE, "cc_viewer.mjs"), url,
                                 str(seconds + 2), "audio" if audio else "video"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        conn = sender.wait_message(lambda m: m.get("type") == "state"
                                   and m.get("name") == "connection-state"
                                   and m.get("value") in ("connected", "failed"), 40)
        if conn and conn.get("value") == "connected":
            break
        viewer.kill()
        out, err = viewer.communicate(timeout=20)
        states = [m for m in sender.messages if m.get("type") == "state"]
        sender.send({"cmd": "quit"})
        sender.stop(timeout=20)
        evidence = (f"the call did not connect (attempt {attempt}): {conn}; sender states "
                    f"{states[-10:]}; viewer stdout {out[-800:]!r} stderr {err[-1500:]!r}")
        print(evidence, file=sys.stderr, flush=True)
        if attempt == 2:
            raise RuntimeError(evidence)
    try:
        t0 = time.time()
        changes = []
        current = schedule[0][1] if schedule else None
        for t, kbit in (schedule or [])[1:]:
            delay = t0 + t - time.time()
            if delay > 0:
                time.sleep(delay)
            if kbit is None:
                lab.unshape("b")
            else:
                lab.shape("b", kbit, latency_ms=latency_ms, change=current is not None)
            current = kbit
            changes.append((time.time() - t0, kbit))
        out, err = viewer.communicate(timeout=seconds + 90)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if not lines:
            raise RuntimeError(f"cc_viewer.mjs printed nothing: {err[-2000:]}")
        view = json.loads(lines[-1])
        if "error" in view:
            raise RuntimeError(f"Chromium: {view['error']}")
        qdisc = lab.qdisc_stats("b")
    finally:
        if viewer is not None and viewer.poll() is None:
            viewer.kill()
        sender.send({"cmd": "quit"})
        sender.stop(timeout=20)

    samples = [m for m in sender.messages if m.get("type") == "sample"]
    bandwidth = [m for m in sender.messages if m.get("type") == "bandwidth"]
    vs = view["samples"]
    for s in vs:
        s["t"] = s["wall"] / 1000.0 - t0
    for s in samples:
        s["t"] = s["wall"] - t0
    res = {
        "t0": t0,
        "schedule": schedule,
        "changes": changes,
        "target": [(s["t"], s["target"]) for s in samples if s.get("target")],
        "encoder": [(s["t"], s["encoder"]) for s in samples],
        "sent": _bitrate(samples, "bytes_sent", "t"),
        "recv": _bitrate(vs, "bytes", "t"),
        "rtt": [(s["t"], s["rtt"] * 1000.0) for s in vs if s.get("rtt") is not None],
        "jitter": [(s["t"], s["jitter"] * 1000.0) for s in vs if s.get("jitter") is not None],
        "viewer": vs,
        "sender": samples,
        "bandwidth": bandwidth,
        "qdisc": qdisc,
    }
    return res


def cap_at(schedule, t):
    rate = None
    for at, kbit in schedule:
        if t >= at:
            rate = kbit
    return rate * 1000 if rate else None


def window(series, t1, t2):
    return [v for t, v in series if t1 <= t < t2]


def mean(values):
    return sum(values) / len(values) if values else None


def median(values):
    v = sorted(values)
    return v[len(v) // 2] if v else None


def counter_delta(samples, key, t1, t2):
    inside = [s for s in samples if t1 <= s["t"] < t2]
    if len(inside) < 2:
        return 0
    return inside[-1][key] - inside[0][key]


def step_report(res, schedule, end):
    """Per step of the schedule: cap, time for the estimate to adapt (under
    the cap when it fell, within 70 % of it when it rose; None: not within
    the step), mean estimate and received bitrate over the step's second
    half, utilisation (received / cap) and median RTT there."""
    rows = []
    bounds = [t for t, _ in schedule] + [end]
    for i, (t, kbit) in enumerate(schedule):
        t_end = bounds[i + 1]
        cap = kbit * 1000
        before = median(window(res["target"], t - 1.0, t)) if i > 0 else None
        adapt = None
        for ts, v in res["target"]:
            if ts < t or ts >= t_end:
                continue
            if i == 0 or cap < schedule[i - 1][1] * 1000:
                ok = v <= cap          # the cap fell: under it
            else:
                ok = v >= 0.7 * cap    # it rose: near it
            if ok:
                adapt = ts - t
                break
        half = t + (t_end - t) / 2
        recv = mean(window(res["recv"], half, t_end))
        rows.append({
            "from_s": round(t, 1), "cap_kbps": kbit,
            "adapt_s": None if adapt is None else round(adapt, 2),
            "target_kbps": round((mean(window(res["target"], half, t_end)) or 0) / 1000),
            "recv_kbps": round((recv or 0) / 1000),
            "utilisation": round(recv / cap, 2) if recv else None,
            "rtt_ms": round(median(window(res["rtt"], half, t_end)) or 0, 1),
            "before_kbps": round(before / 1000) if before else None,
        })
    return rows
