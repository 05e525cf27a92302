# SPDX-License-Identifier: LGPL-2.1-or-later
"""step: rtcbin's congestion control following a bottleneck that steps 1 -> 2.5 -> 0.6 -> 1 Mb/s.

An RMCAT-style variable-capacity test (draft-ietf-rmcat-eval-test 5.1,
shortened) in the namespace lab of tests/net (natlab.py, root only):
rtcbin (tests/net/cc_sender.py, VP8) sends to headless Chromium
(tests/net/cc_viewer.mjs) through a tbf qdisc whose rate is changed live
(`tc qdisc change`). Records the estimate (get-stats
availableOutgoingBitrate), the encoder's target, the bitrate sent and the
bitrate Chromium received, and Chromium's RTT (the queue: the lab adds no
other delay) over time; reports per step the time to adapt and the
utilisation, and plots both. Also writes step-series.json (every sample).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NET_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "net"))

COLUMNS = ["from_s", "cap_kbps", "adapt_s", "target_kbps", "recv_kbps", "utilisation", "rtt_ms"]


def add_arguments(parser):
    parser.add_argument("--rates", default="1000,2500,600,1000",
                        help="bottleneck rates in kbit/s, one per step (default 1000,2500,600,1000)")
    parser.add_argument("--step-seconds", type=float, default=20.0,
                        help="seconds per step (default 20; --smoke: 4)")
    parser.add_argument("--queue-ms", type=int, default=200,
                        help="tbf latency, the bottleneck's queue in ms (default 200)")


def _skipped(why):
    return [{"name": "step", "title": "Congestion control: bottleneck steps (rtcbin -> Chromium)",
             "columns": COLUMNS, "rows": [], "notes": [f"skipped: {why}"], "plots": []}]


def _lab_modules():
    if not os.path.isfile(os.path.join(NET_DIR, "cclab.py")):
        return None, None, f"tests/net (the namespace lab) is not beside this program ({NET_DIR})"
    if NET_DIR not in sys.path:
        sys.path.insert(0, NET_DIR)
    import cclab
    import natlab
    return cclab, natlab, None


def run(opts):
    if os.geteuid() != 0:
        return _skipped("needs root (network namespaces, tc)")
    cclab, natlab, why = _lab_modules()
    if why:
        return _skipped(why)
    why = natlab.check() or cclab.chromium_missing()
    if why:
        return _skipped(why)
    rates = [int(r) for r in str(opts.rates).split(",") if r.strip()]
    step = 4.0 if opts.smoke else float(opts.step_seconds)
    schedule = [(i * step, kbit) for i, kbit in enumerate(rates)]
    seconds = step * len(rates)
    lab = natlab.Lab("none", "none", turn=False)
    try:
        res = cclab.run_session(lab, seconds, schedule, latency_ms=opts.queue_ms,
                                sender_args=["--max-bitrate", "4000000"])
    finally:
        lab.close()
    report = cclab.step_report(res, schedule, seconds)
    rows = [[r[c] for c in COLUMNS] for r in report]
    os.makedirs(opts.out, exist_ok=True)
    series = {k: res[k] for k in ("schedule", "changes", "target", "encoder", "sent", "recv",
                                  "rtt", "jitter")}
    series["viewer_last"] = res["viewer"][-1] if res["viewer"] else None
    series["pacer_last"] = res["sender"][-1]["pacer"] if res["sender"] else None
    series["qdisc"] = res["qdisc"]
    with open(os.path.join(opts.out, "step-series.json"), "w") as f:
        json.dump(series, f)

    def xy(pairs, scale=1.0):
        return {"x": [round(t, 2) for t, _ in pairs], "y": [v * scale for _, v in pairs]}

    cap_x, cap_y = [], []
    for i, (t, kbit) in enumerate(schedule):
        end = schedule[i + 1][0] if i + 1 < len(schedule) else seconds
        cap_x += [t, end]
        cap_y += [kbit, kbit]
    plots = [
        {"file": "step-bitrate.png", "title": "Bottleneck steps: estimate and bitrates",
         "xlabel": "seconds since connected", "ylabel": "kbit/s",
         "series": [{"label": "bottleneck (tbf rate)", "x": cap_x, "y": cap_y},
                    {"label": "estimate (target)", **xy(res["target"], 1e-3)},
                    {"label": "sent (video)", **xy(res["sent"], 1e-3)},
                    {"label": "received (Chromium)", **xy(res["recv"], 1e-3)}]},
        {"file": "step-delay.png", "title": "Bottleneck steps: queueing delay",
         "xlabel": "seconds since connected", "ylabel": "ms",
         "series": [{"label": "RTT (Chromium, selected pair)", **xy(res["rtt"])},
                    {"label": "jitter (Chromium, video)", **xy(res["jitter"])}]},
    ]
    viewer = res["viewer"][-1] if res["viewer"] else {}
    pacer = res["sender"][-1]["pacer"] if res["sender"] else {}
    notes = [
        f"{len(rates)} steps of {step:g} s, tbf queue {opts.queue_ms} ms; adapt_s: seconds until the "
        "estimate is under a lowered cap, or within 70 % of a raised one (empty: not within the step); "
        "target/recv/utilisation/rtt over each step's second half",
        f"Chromium: {viewer.get('frames', 0)} frames decoded, {viewer.get('lost', 0)} packets lost, "
        f"{viewer.get('freeze', 0)} freezes",
        f"pacer: mean queue {pacer.get('pacerMeanQueueDelayMs', 0):.1f} ms, "
        f"max {pacer.get('pacerMaxQueueDelayMs', 0):.0f} ms, "
        f"{pacer.get('pacerPacketsDropped', 0)} packets dropped",
    ]
    if opts.smoke and not res["target"]:
        notes.append("smoke: no estimate was recorded")
    return [{"name": "step", "title": "Congestion control: bottleneck steps (rtcbin -> Chromium)",
             "columns": COLUMNS, "rows": rows, "notes": notes, "plots": plots}]
