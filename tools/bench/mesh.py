# SPDX-License-Identifier: LGPL-2.1-or-later
"""gst-rtc-bench mesh: N participants, each sending to every other one
(a mesh, through gst-rtc-signalling rooms), against the same participants
each publishing once to a hub and playing the others from it.

Every participant is a process of its own with one small live VP8 stream
(videotestsrc, rtcsink's real-time vp8enc) and N-1 receivers that do not
decode (rtcsrc decode=false ! fakesink).

  mesh  participant i: rtcsink signaller=ws://…/room-i (the producer of its
        own room); for each j != i: rtcsrc signaller=ws://…/room-j (a
        consumer in j's room).  rtcsink only sends and rtcsrc only receives,
        so each ordered pair is one transport: N(N-1) of them, 2(N-1) per
        participant, and each participant encodes once and uploads N-1
        copies.
  hub   one hub process on one port P: for each participant i,
        rtcsrc port=P path=/p<i> (a WHIP endpoint) ! rtcsink port=P
        path=/p<i> (its WHEP endpoint on the same server), VP8 passed
        through, not re-encoded; participant i: rtcsink
        whip-url=http://…:P/p<i>/whip, and rtcsrc
        whep-url=http://…:P/p<j>/whep for each j != i.  N uploads to the hub,
        N(N-1) downloads from it; each participant has N transports and
        uploads one copy.

This file is also the child program (`python3 mesh.py ROLE JSON`).
"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if __name__ == "__main__" or __package__ in (None, ""):
    sys.path.insert(0, HERE)
    import fanout as fo  # noqa: E402
else:
    from . import fanout as fo  # noqa: E402

PYTHON = fo.PYTHON


# ---------------------------------------------------------------------------
# Child roles.


def _rtcsink_counters(Gst, sink):
    stats = sink.get_property("stats")
    out = {}
    if stats is not None:
        for field in ("bytes-out", "packets-out"):
            ok, n = stats.get_uint64(field)
            if ok:
                out[field.replace("-", "_")] = n
    return out


def _receivers(Gst, pipeline, names):
    """Per-name buffer counters on fakesinks; returns (counts, collect)."""
    counts = {name: 0 for name in names}
    last_new = {name: 0.0 for name in names}
    seen = dict(counts)
    for name in names:
        fo.count_buffers(Gst, pipeline.get_by_name(name).get_static_pad("sink"), counts, name)

    def collect():
        now = time.monotonic()
        for name in names:
            if counts[name] != seen[name]:
                seen[name] = counts[name]
                last_new[name] = now
        return {"receiving": sum(1 for t in last_new.values() if now - t < 1.5),
                "frames": sum(counts.values())}
    return collect


def _bus_errors(Gst, pipeline, tag, state):
    bus = pipeline.get_bus()
    while True:
        msg = bus.pop_filtered(Gst.MessageType.ERROR | Gst.MessageType.WARNING)
        if msg is None:
            return
        err, dbg = msg.parse_error() if msg.type == Gst.MessageType.ERROR \
            else msg.parse_warning()
        print(f"[{tag}] {msg.src.get_name()}: {err.message}", file=sys.stderr, flush=True)
        if msg.type == Gst.MessageType.ERROR:
            state["errors"] = state.get("errors", 0) + 1


def role_participant(args):
    Gst, GLib = fo._gst()
    i, n, mode = args["index"], args["n"], args["mode"]
    w, h, fps, bitrate = args["video"]
    # smpte scrolling: detail and motion everywhere, so that CBR reaches its
    # target (a ball on black stays far below it).
    src = (f"videotestsrc is-live=true pattern=smpte horizontal-speed=4 ! "
           f"video/x-raw,width={w},height={h},framerate={fps}/1 ! ")
    if mode == "mesh":
        base = args["signalling"]
        parts = [src + f"rtcsink name=s address=127.0.0.1 port=0 max-viewers=64 "
                 f"video-bitrate={bitrate} signaller={base}/room-{i}"]
        for j in range(n):
            if j != i:
                parts.append(f"rtcsrc name=r{j} signaller={base}/room-{j} decode=false "
                             f"receive-audio=false latency=100 r{j}.video_0 ! "
                             f"fakesink name=f{j} sync=false async=false")
    else:
        hub = f"http://127.0.0.1:{args['hub_port']}"
        parts = [src + f"rtcsink name=s address=127.0.0.1 port=0 max-viewers=64 "
                 f"video-bitrate={bitrate} whip-url={hub}/p{i}/whip"]
        for j in range(n):
            if j != i:
                parts.append(f"rtcsrc name=r{j} whep-url={hub}/p{j}/whep "
                             f"decode=false receive-audio=false latency=100 r{j}.video_0 ! "
                             f"fakesink name=f{j} sync=false async=false")
    pipeline = Gst.parse_launch(" ".join(parts))
    sink = pipeline.get_by_name("s")
    # The topologies are compared at one bitrate: the encoder does not follow
    # the viewers' bandwidth estimates (where rtcsink can).
    if sink.find_property("congestion-control") is not None:
        sink.set_property("congestion-control", False)
    receivers = _receivers(Gst, pipeline, [f"f{j}" for j in range(n) if j != i])
    state = {}
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        raise SystemExit(f"participant {i}: the pipeline cannot play")
    loop = GLib.MainLoop()
    import threading
    threading.Thread(target=loop.run, daemon=True).start()

    def collect():
        _bus_errors(Gst, pipeline, f"participant {i}", state)
        out = receivers()
        out.update(_rtcsink_counters(Gst, sink))
        out["viewers"] = sink.get_property("n-viewers")
        out["errors"] = state.get("errors", 0)
        return out

    fo.Reporter(collect, on_exit=lambda: pipeline.set_state(Gst.State.NULL)).run()


def role_hub(args):
    Gst, GLib = fo._gst()
    port, n = args["hub_port"], args["n"]
    parts = []
    for i in range(n):
        parts.append(f"rtcsrc name=w{i} port={port} path=/p{i} address=127.0.0.1 decode=false "
                     f"latency=100 w{i}.video_0 ! tee name=t{i} ! queue ! rtcsink name=h{i} "
                     f"port={port} path=/p{i} address=127.0.0.1 max-viewers=64 "
                     f"t{i}. ! queue ! fakesink name=f{i} sync=false async=false")
    pipeline = Gst.parse_launch(" ".join(parts))
    sinks = [pipeline.get_by_name(f"h{i}") for i in range(n)]
    receivers = _receivers(Gst, pipeline, [f"f{i}" for i in range(n)])
    state = {}
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        raise SystemExit("the hub pipeline cannot play")
    loop = GLib.MainLoop()
    import threading
    threading.Thread(target=loop.run, daemon=True).start()

    def collect():
        _bus_errors(Gst, pipeline, "hub", state)
        out = receivers()
        out["bytes_out"] = sum(_rtcsink_counters(Gst, s).get("bytes_out", 0) for s in sinks)
        out["viewers"] = sum(s.get_property("n-viewers") for s in sinks)
        out["errors"] = state.get("errors", 0)
        return out

    fo.Reporter(collect, on_exit=lambda: pipeline.set_state(Gst.State.NULL)).run()


# ---------------------------------------------------------------------------
# The benchmark (parent side).


def add_arguments(parser):
    fo.add_option(parser, "--participants", default=None,
                  help="participant counts, comma-separated (default 2,4,8; smoke 2,3)")
    fo.add_option(parser, "--mesh-seconds", type=float, default=None,
                  help="length of each measurement window (default 6; smoke 1.5)")
    fo.add_option(parser, "--mesh-video", default=None,
                  help="WIDTHxHEIGHT@FPS:BITRATE of each participant (default 320x240@30:300000)")
    fo.add_option(parser, "--smoke", action="store_true", help="a run of seconds")
    fo.add_option(parser, "--out", default="bench-out", help="output directory")


def measure(mode, n, video, seconds, out, log):
    logs = os.path.join(out, "logs")
    children = []
    extra = {}
    try:
        if mode == "mesh":
            tool = fo.tool_path("gst-rtc-signalling")
            if tool is None:
                raise RuntimeError("gst-rtc-signalling not found in the build's tools/")
            port = fo.free_port()
            server = fo.Child([tool, "--port", str(port), "--address", "127.0.0.1"],
                              os.path.join(logs, f"mesh-{n}-signalling.log"), terminate=True)
            children.append(server)
            extra["server"] = server
            time.sleep(0.5)
            pargs = {"mode": "mesh", "signalling": f"ws://127.0.0.1:{port}"}
        else:
            port = fo.free_port()
            hub = fo.Child([PYTHON, __file__, "hub", json.dumps({"hub_port": port, "n": n})],
                           os.path.join(logs, f"hub-{n}-hub.log"))
            children.append(hub)
            extra["hub"] = hub
            if not hub.wait_for(lambda r: "t" in r, 30):
                raise RuntimeError(f"the hub did not start: {hub.last}")
            pargs = {"mode": "hub", "hub_port": port}
        started = time.monotonic()
        participants = []
        for i in range(n):
            a = dict(pargs, index=i, n=n, video=list(video))
            c = fo.Child([PYTHON, __file__, "participant", json.dumps(a)],
                         os.path.join(logs, f"{mode}-{n}-participant{i}.log"))
            participants.append(c)
            children.append(c)
        deadline = 45 + 5 * n
        ok = all(c.wait_for(lambda r: r.get("receiving", 0) >= n - 1,
                            max(1, deadline - (time.monotonic() - started)))
                 for c in participants)
        setup = time.monotonic() - started
        # Then steady: every stream with frames for 3 s in a row (a viewer
        # that joins a hub gets the last key frame, then nothing until the
        # publisher's next one).
        steady_since = None
        while ok and time.monotonic() - started < deadline:
            if all(c.last.get("receiving", 0) >= n - 1 for c in participants):
                steady_since = steady_since or time.monotonic()
                if time.monotonic() - steady_since >= 3:
                    break
            else:
                steady_since = None
            time.sleep(0.25)
        else:
            ok = False
        time.sleep(1.0 if seconds < 3 else 2.0)
        pids = [c.pid for c in children]
        win = fo.Window(pids)
        time.sleep(seconds)
        win.finish()
        r = {
            "all_in": ok, "setup_s": setup,
            "receiving": sum(c.last.get("receiving", 0) for c in participants),
            "cpu": [win.cpu[c.pid] for c in participants],
            "upload": [8 * fo.rate(c, "bytes_out", win) for c in participants],
            # Frames the participants received in the window, against what
            # N(N-1) streams at the source's frame rate carry.
            "delivered": sum(fo.rate(c, "frames", win) for c in participants)
            / (n * (n - 1) * video[2]),
            "threads": [fo.threads(c.pid) for c in participants],
            "rss": [fo.rss_bytes(c.pid) for c in participants],
        }
        if "hub" in extra:
            h = extra["hub"]
            r["hub_cpu"] = win.cpu[h.pid]
            r["hub_upload"] = 8 * fo.rate(h, "bytes_out", win)
            r["hub_threads"] = fo.threads(h.pid)
        if "server" in extra:
            r["server_cpu"] = win.cpu[extra["server"].pid]
        log(f"  {mode:4} n={n}: {r['receiving']}/{n * (n - 1)} streams, participants' CPU "
            f"{', '.join(f'{100 * x:.0f}%' for x in r['cpu'])}")
        return r
    finally:
        for c in reversed(children):
            c.stop()


def run(opts):
    smoke = bool(getattr(opts, "smoke", False))
    out = fo.out_dir(opts)
    counts = [int(x) for x in (getattr(opts, "participants", None) or
                               ("2,3" if smoke else "2,4,8")).split(",") if x.strip()]
    seconds = getattr(opts, "mesh_seconds", None) or (1.5 if smoke else 6.0)
    video = fo.parse_video(getattr(opts, "mesh_video", None) or "320x240@30:300000")

    def log(text):
        print(text, file=sys.stderr, flush=True)

    columns = ["topology", "participants", "transports", "per participant", "streams received",
               "delivered %",
               "upload kbit/s each", "upload max", "hub upload kbit/s", "CPU % each",
               "CPU % max", "hub/server CPU %", "total CPU %", "threads each", "set-up s"]
    rows = []
    notes = [f"Each participant: videotestsrc (smpte, scrolling) {video[0]}x{video[1]} at "
             f"{video[2]} fps, VP8 "
             f"(rtcsink's real-time vp8enc, CBR {video[3]} bit/s), video only; it receives "
             "without decoding (rtcsrc decode=false ! fakesink). Every participant and the "
             f"hub are processes of their own. Windows of {seconds:g} s.",
             *(["Smoke run: windows of seconds; the CPU figures are noise."] if smoke else []),
             "streams received: streams with a frame in the last 1.5 s at the end of the "
             "window; delivered: frames received in the window over N(N-1) streams at the "
             "source's frame rate.",
             "Upload: RTP bytes that each participant's rtcsink sent (its fan-out's bytes-out, "
             "before SRTP, UDP and IP headers), in kbit/s.",
             "Mesh transports are one-way (rtcsink sends, rtcsrc receives): N(N-1) in all, "
             "twice the n(n-1)/2 two-way connections of a browser mesh. Hub: N publish + "
             "N(N-1) play."]
    results = {"mesh": {}, "hub": {}}
    for n in counts:
        if n < 2:
            continue
        for mode in ("mesh", "hub"):
            try:
                r = measure(mode, n, video, seconds, out, log)
            except RuntimeError as e:
                notes.append(f"{mode} with {n} participants: {e}")
                continue
            results[mode][n] = r
            total = sum(r["cpu"]) + r.get("hub_cpu", 0) + r.get("server_cpu", 0)
            r["total_cpu"] = total
            transports = n * (n - 1) if mode == "mesh" else n * n
            each = 2 * (n - 1) if mode == "mesh" else n
            rows.append([mode, n, transports, each, f"{r['receiving']}/{n * (n - 1)}",
                         round(100 * r["delivered"]),
                         round(sum(r["upload"]) / n / 1000), round(max(r["upload"]) / 1000),
                         round(r["hub_upload"] / 1000) if "hub_upload" in r else "",
                         round(100 * sum(r["cpu"]) / n, 1), round(100 * max(r["cpu"]), 1),
                         round(100 * r.get("hub_cpu", r.get("server_cpu", 0)), 1),
                         round(100 * total, 1), round(sum(r["threads"]) / n),
                         round(r["setup_s"], 1)])
            if not r["all_in"]:
                notes.append(f"{mode} with {n} participants: not every stream was steady (3 s "
                             f"of frames) within the set-up deadline; {r['receiving']} of "
                             f"{n * (n - 1)} received at the end of the window.")
    for n in sorted(set(results["mesh"]) & set(results["hub"])):
        m, h = results["mesh"][n], results["hub"][n]
        mu, hu = sum(m["upload"]) / n, sum(h["upload"]) / n
        notes.append(f"{n} participants: a mesh participant uploads {mu / 1000:.0f} kbit/s "
                     f"({mu / hu if hu else float('nan'):.1f}x the hub's participant, "
                     f"{hu / 1000:.0f} kbit/s); total CPU mesh {100 * m['total_cpu']:.0f}% "
                     f"against hub {100 * h['total_cpu']:.0f}% (hub process "
                     f"{100 * h['hub_cpu']:.0f}%).")
    plots = []
    for key, file, title, ylabel, fn in (
            ("upload", "mesh-upload.png", "Upload per participant", "kbit/s",
             lambda r: sum(r["upload"]) / len(r["upload"]) / 1000),
            ("cpu", "mesh-cpu.png", "CPU per participant", "CPU (% of one core)",
             lambda r: 100 * sum(r["cpu"]) / len(r["cpu"])),
            ("total", "mesh-total-cpu.png", "Total CPU (participants, hub or room server)",
             "CPU (% of one core)", lambda r: 100 * r["total_cpu"])):
        series = []
        for mode, by_n in results.items():
            ns = sorted(by_n)
            if ns:
                series.append({"label": mode, "x": ns, "y": [round(fn(by_n[k]), 1) for k in ns]})
        plots.append({"file": file, "title": title, "xlabel": "participants", "ylabel": ylabel,
                      "series": series})
    errors = [f"{mode}: no figures (see the notes and {out}/logs)" for mode in results
              if not results[mode]]
    # A smoke run (windows of 1.5 s) fails when a stream never became steady
    # or nothing arrived in the window; a full run (where 8 participants can
    # saturate two cores) when less than a tenth arrived.
    least = 0.01 if smoke else 0.10
    if smoke:
        errors += [f"{mode} with {n} participants: {r['receiving']} of {n * (n - 1)} streams "
                   "received" for mode in results for n, r in results[mode].items()
                   if not r["all_in"]]
    errors += [f"{mode} with {n} participants: only {100 * r['delivered']:.0f} % of the frames "
               "delivered" for mode in results for n, r in results[mode].items()
               if r["delivered"] < least]
    return [{"name": "mesh", "title": "Mesh against fan-out (hub)", "columns": columns,
             "rows": rows, "notes": notes, "plots": plots, "errors": errors}]


if __name__ == "__main__":
    fo.run_role_main({"participant": role_participant, "hub": role_hub})
