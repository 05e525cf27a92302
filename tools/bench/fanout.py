# SPDX-License-Identifier: LGPL-2.1-or-later
"""gst-rtc-bench fanout: what one sender pays per viewer.

Three senders of the same live VP8 stream (videotestsrc, vp8enc with
rtcsink's real-time settings, rtpvp8pay with MTU 1200):

  rtcsink    rtcsink: encode once, GstRtcFanout rewrites and protects per viewer;
  webrtcbin  one webrtcbin per viewer behind a tee (as webrtcsink and the
             GStreamer examples do), answering WHEP offers from a small HTTP
             server in the sender's process;
  rtsp       gst-rtsp-server, one shared media, RTP over UDP to each client.

The viewers run in another process and do not decode: rtcsrc decode=false
(a WHEP client) for rtcsink and webrtcbin, rtspsrc ! fakesink for RTSP.
Each count N gets a fresh sender, measured first alone (the baseline: the
encoder and the pipeline) and then with N viewers that all receive; the
difference, divided by N, is the cost of a viewer.

This file is also the child program: `python3 fanout.py ROLE JSON` runs one
role (sender or viewers) and reports JSON lines on stdout until its stdin
closes.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"
VIDEO_SSRC = 0x5eed0001
REPORT_INTERVAL = 0.5

# ---------------------------------------------------------------------------
# Helpers shared with mesh.py.  common.py (tools/bench/common.py, written by
# the transports helper) has the same ones; these private copies keep the
# module usable on its own and in its child processes.


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (/proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status_field(pid, name):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_bytes(pid):
    return _status_field(pid, "VmRSS") * 1024


def threads(pid):
    return _status_field(pid, "Threads")


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def build_root():
    """The meson build directory the bench runs from."""
    root = os.environ.get("GST_RTC_BUILD_ROOT")
    if root and os.path.isdir(root):
        return root
    for candidate in (os.path.join(HERE, "..", "..", "build"),):
        if os.path.isdir(os.path.join(candidate, "tools")):
            return os.path.abspath(candidate)
    return None


def tool_path(name):
    root = build_root()
    if root and os.path.exists(os.path.join(root, "tools", name)):
        return os.path.join(root, "tools", name)
    for d in os.environ.get("PATH", "").split(":"):
        if d and os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    return None


def child_env():
    """The environment for child processes: the build's plugins, typelib and
    Python overrides, whether or not scripts/env.sh was sourced."""
    env = dict(os.environ)
    root = build_root()
    source = os.path.abspath(os.path.join(HERE, "..", ".."))

    def prepend(var, value):
        parts = [p for p in env.get(var, "").split(":") if p]
        if value not in parts:
            env[var] = ":".join([value] + parts)

    if root:
        prepend("GST_PLUGIN_PATH_1_0", os.path.join(root, "plugins", "rtc"))
        prepend("GI_TYPELIB_PATH", os.path.join(root, "gst", "rtc"))
        prepend("LD_LIBRARY_PATH", os.path.join(root, "gst", "rtc"))
    prepend("PYTHONPATH", os.path.join(source, "python"))
    env.setdefault("GST_DEBUG", "1")
    return env


class Child:
    """A child process that reports one JSON object a line on stdout; the
    last report and every line are kept.  Closing its stdin stops it."""

    def __init__(self, argv, log_path=None, env=None, terminate=False):
        self.terminate = terminate  # SIGTERM at stop (a program that ignores stdin)
        self.log = open(log_path, "ab") if log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, env=env or child_env(),
                                     start_new_session=True)
        self.pid = self.proc.pid
        self.reports = []
        self.last = {}
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        for raw in self.proc.stdout:
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            with self._cond:
                self.reports.append(msg)
                self.last.update(msg)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, predicate, timeout):
        """Waits until predicate(last report) is true; False at the deadline
        or when the child has exited."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.last):
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return predicate(self.last)
                self._cond.wait(min(left, 0.5))
            return True

    def alive(self):
        return self.proc.poll() is None

    def report_at(self, t):
        """The last report written at or before monotonic time t."""
        with self._cond:
            best = None
            for r in self.reports:
                if "t" in r and r["t"] <= t:
                    best = r
            return best

    def stop(self, timeout=15):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            if self.terminate:
                self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if self.log is not subprocess.DEVNULL:
            self.log.close()


class Window:
    """CPU (of the given processes) and counters over one measurement window."""

    def __init__(self, pids):
        self.pids = pids
        self.t0 = time.monotonic()
        self.cpu0 = {p: cpu_seconds(p) for p in pids}

    def finish(self):
        self.t1 = time.monotonic()
        self.seconds = self.t1 - self.t0
        self.cpu = {p: (cpu_seconds(p) - self.cpu0[p]) / self.seconds for p in self.pids}
        return self


def rate(child, key, window):
    """Per-second rate of the cumulative counter `key` in a child's reports
    over the window (reports carry their own monotonic time `t`)."""
    a, b = child.report_at(window.t0 + REPORT_INTERVAL), child.report_at(window.t1)
    if a is None or b is None or b["t"] <= a["t"]:
        return 0.0
    return (b.get(key, 0) - a.get(key, 0)) / (b["t"] - a["t"])


def run_role_main(roles):
    """Entry point of a child: ROLE JSON."""
    import faulthandler
    faulthandler.enable()  # a crash leaves the thread's stack in the log
    role, args = sys.argv[1], json.loads(sys.argv[2])
    roles[role](args)


def reference_bound():
    """(protect_us, send_us) of one SRTP protect (AEAD-AES-128-GCM) plus one
    UDP send() of 1200 bytes, measured now by gst-rtc-fanout-bench, or None."""
    tool = tool_path("gst-rtc-fanout-bench")
    if tool is None:
        return None
    try:
        out = subprocess.run([tool, "--viewers", "1", "--quick"], capture_output=True,
                             text=True, timeout=120, env=child_env()).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"SRTP protect \(GCM\) ([\d.]+) us \+ UDP send\(\) ([\d.]+) us", out)
    if not m:
        return None
    return float(m.group(1)), float(m.group(2))


def add_option(parser, *names, **kwargs):
    """add_argument unless the main program already defines that option."""
    existing = getattr(parser, "_option_string_actions", {})
    if any(n in existing for n in names):
        return
    parser.add_argument(*names, **kwargs)


def out_dir(opts):
    out = getattr(opts, "out", None) or "bench-out"
    os.makedirs(os.path.join(out, "logs"), exist_ok=True)
    return out


# ---------------------------------------------------------------------------
# Child roles (run in their own processes; they import GStreamer).


def _gst():
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst, GLib
    Gst.init(None)
    return Gst, GLib


def vp8_payloader(name, ssrc=VIDEO_SSRC):
    return (f"rtpvp8pay name={name} pt=96 mtu=1200 picture-id-mode=15-bit ssrc={ssrc} ! "
            "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000,"
            f"ssrc=(uint){ssrc}")


class Reporter:
    """Writes {"t": monotonic, ...} on stdout every REPORT_INTERVAL and exits
    the process when stdin closes."""

    def __init__(self, collect, on_exit=None):
        self.collect = collect
        self.on_exit = on_exit
        self.extra = {}
        self.lock = threading.Lock()

    def say(self, **kw):
        with self.lock:
            sys.stdout.write(json.dumps(kw) + "\n")
            sys.stdout.flush()

    def run(self):
        def stdin_watch():
            sys.stdin.read()
            if self.on_exit:
                done = threading.Event()

                def stop():
                    try:
                        self.on_exit()
                    finally:
                        done.set()
                threading.Thread(target=stop, daemon=True).start()
                done.wait(8)
            os._exit(0)
        threading.Thread(target=stdin_watch, daemon=True).start()
        while True:
            data = {"t": time.monotonic()}
            data.update(self.collect())
            self.say(**data)
            time.sleep(REPORT_INTERVAL)


def count_buffers(Gst, pad, counter, key):
    """A pad probe (BUFFER | BUFFER_LIST) that counts buffers into
    counter[key]: payloaders push lists."""
    def probe(pad, info):
        if info.type & Gst.PadProbeType.BUFFER_LIST:
            counter[key] += info.get_buffer_list().length()
        else:
            counter[key] += 1
        return Gst.PadProbeReturn.OK
    pad.add_probe(Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST, probe)


def _find_factory(Gst, bin_, factory):
    it = bin_.iterate_recurse()
    while True:
        ok, elem = it.next()
        if ok != Gst.IteratorResult.OK:
            return None
        f = elem.get_factory()
        if f is not None and f.get_name() == factory:
            return elem


class ClipPlayer:
    """Plays a pre-encoded VP8 clip in a loop, in real time, into appsrc
    elements: the senders pay for no encoder, so the figures are the cost
    of sending (an encoder's CPU varies with the load on the machine, and
    live sources drop frames when it is short of CPU)."""

    def __init__(self, Gst, path, fps):
        self.Gst = Gst
        self.fps = fps
        self.targets = []
        self.frames_pushed = 0
        loader = Gst.parse_launch(f"filesrc location={path} ! matroskademux ! "
                                  "appsink name=a sync=false")
        sink = loader.get_by_name("a")
        loader.set_state(Gst.State.PLAYING)
        self.frames, self.caps = [], None
        while True:
            sample = sink.emit("pull-sample")
            if sample is None:
                break
            self.caps = sample.get_caps()
            self.frames.append(sample.get_buffer())
        loader.set_state(Gst.State.NULL)
        if not self.frames:
            raise SystemExit(f"no frames in {path}")

    def caps_string(self):
        s = self.caps.get_structure(0)
        ok_w, w = s.get_int("width")
        ok_h, h = s.get_int("height")
        return f"video/x-vp8,width={w},height={h},framerate={self.fps}/1"

    def appsrc(self, name):
        return (f"appsrc name={name} is-live=true format=time do-timestamp=true "
                f"caps={self.caps_string()}")

    def start(self):
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        Gst = self.Gst
        start = time.monotonic()
        k = 0
        while True:
            delay = start + k / self.fps - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            buf = self.frames[k % len(self.frames)].copy()
            buf.pts = Gst.CLOCK_TIME_NONE
            buf.dts = Gst.CLOCK_TIME_NONE
            buf.duration = Gst.SECOND // self.fps
            for target in list(self.targets):
                target.emit("push-buffer", buf)
            self.frames_pushed += 1
            k += 1


def make_clip(out, video, seconds, log=None):
    """Encodes the test clip once (cached in OUT/clips): videotestsrc smpte
    scrolling (some detail and motion everywhere, so that CBR reaches its
    target) with rtcsink's real-time vp8enc settings, in WebM."""
    w, h, fps, bitrate = video
    frames = int(round(seconds * fps / 60.0)) * 60 or 60  # whole key frame intervals
    clips = os.path.join(out, "clips")
    os.makedirs(clips, exist_ok=True)
    path = os.path.join(clips, f"vp8-{w}x{h}-{fps}-{bitrate}-{frames}.webm")
    if os.path.exists(path) and os.path.getsize(path) > 0:
        return path
    if log:
        log(f"  encoding the test clip ({frames} frames of {w}x{h}) ...")
    argv = ["gst-launch-1.0", "-q", "videotestsrc", f"num-buffers={frames}", "pattern=smpte",
            "horizontal-speed=8", "!", f"video/x-raw,width={w},height={h},framerate={fps}/1",
            "!", "videoconvert", "!", "vp8enc", "deadline=1", "cpu-used=8",
            f"target-bitrate={bitrate}", "keyframe-max-dist=60", "lag-in-frames=0", "threads=2",
            "end-usage=cbr", "error-resilient=default", "!", "webmmux", "!", "filesink",
            f"location={path}.part"]
    subprocess.run(argv, check=True, env=child_env(), timeout=600)
    os.rename(path + ".part", path)
    return path


def role_sender(args):
    Gst, GLib = _gst()
    kind = args["kind"]
    fps, port = args["fps"], args["port"]
    counts = {"packets": 0, "viewers": 0}
    state = {"pipeline": None, "payloader_found": False}
    extra = {}

    clip = ClipPlayer(Gst, args["clip"], fps)
    if kind == "rtcsink":
        desc = (clip.appsrc("clip") + " ! "
                f"rtcsink name=s address=127.0.0.1 port={port} max-viewers=1000")
        pipeline = Gst.parse_launch(desc)
        clip.targets.append(pipeline.get_by_name("clip"))
        sink = pipeline.get_by_name("s")

        def viewers():
            return sink.get_property("n-viewers")
    elif kind == "webrtcbin":
        gi_webrtc()
        desc = clip.appsrc("clip") + " ! " + vp8_payloader("pay") + \
            " ! tee name=t allow-not-linked=true"
        pipeline = Gst.parse_launch(desc)
        clip.targets.append(pipeline.get_by_name("clip"))
        server = WebrtcbinWhep(Gst, pipeline, pipeline.get_by_name("t"), port)
        server.start()

        def viewers():
            return server.connected()
    elif kind == "rtsp":
        pipeline, viewers = rtsp_sender(Gst, GLib, args, counts, clip)
    else:
        raise SystemExit("unknown sender kind " + kind)

    state["pipeline"] = pipeline
    bus = pipeline.get_bus()
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        raise SystemExit("the sender pipeline cannot play")
    clip.start()

    if kind != "rtsp":
        pay = pipeline.get_by_name("pay")
        if pay is not None:
            count_buffers(Gst, pay.get_static_pad("src"), counts, "packets")
            state["payloader_found"] = True

    loop = GLib.MainLoop()
    threading.Thread(target=loop.run, daemon=True).start()

    def collect():
        if not state["payloader_found"] and kind == "rtcsink":
            pay = _find_factory(Gst, pipeline, "rtpvp8pay")
            if pay is not None:
                count_buffers(Gst, pay.get_static_pad("src"), counts, "packets")
                state["payloader_found"] = True
        while True:
            msg = bus.pop_filtered(Gst.MessageType.ERROR | Gst.MessageType.WARNING)
            if msg is None:
                break
            err, dbg = msg.parse_error() if msg.type == Gst.MessageType.ERROR \
                else msg.parse_warning()
            print(f"[sender {kind}] {msg.src.get_name()}: {err.message} ({dbg})",
                  file=sys.stderr, flush=True)
            if msg.type == Gst.MessageType.ERROR:
                extra["error"] = err.message
        out = {"packets": counts["packets"], "frames": clip.frames_pushed,
               "viewers": viewers()}
        if kind == "rtcsink":
            stats = sink.get_property("stats")
            if stats is not None:
                ok, n = stats.get_uint64("packets-out")
                if ok:
                    out["packets_out"] = n
                ok, n = stats.get_uint64("bytes-out")
                if ok:
                    out["bytes_out"] = n
        out.update(extra)
        return out

    Reporter(collect, on_exit=lambda: pipeline.set_state(Gst.State.NULL)).run()


_GstWebRTC = None
_GstSdp = None


def gi_webrtc():
    global _GstWebRTC, _GstSdp
    import gi
    gi.require_version("GstWebRTC", "1.0")
    gi.require_version("GstSdp", "1.0")
    from gi.repository import GstWebRTC, GstSdp
    _GstWebRTC, _GstSdp = GstWebRTC, GstSdp


class WebrtcbinWhep:
    """A WHEP endpoint in front of a tee: each POST adds queue ! webrtcbin
    on a new tee branch and answers the offer with it."""

    def __init__(self, Gst, pipeline, tee, port):
        import http.server
        self.Gst = Gst
        self.pipeline = pipeline
        self.tee = tee
        self.port = port
        self.lock = threading.Lock()
        self.bins = []
        self.next_id = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length <= 0 or length > 65536:
                    return self._reply(400, "text/plain", b"bad body length")
                offer = self.rfile.read(length).decode("utf-8", "replace")
                try:
                    rid, answer = outer.add_viewer(offer)
                except Exception as e:  # noqa: BLE001 - reported to the client
                    print(f"[webrtcbin whep] {type(e).__name__}: {e}", file=sys.stderr,
                          flush=True)
                    return self._reply(503, "text/plain", str(e).encode())
                self._reply(201, "application/sdp", answer.encode(),
                            {"Location": f"/whep/{rid}"})

            def do_DELETE(self):
                self._reply(200, "text/plain", b"")

            def do_PATCH(self):
                self._reply(204, "text/plain", b"")

            def _reply(self, code, ctype, body, headers=None):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def server_bind(self):  # no getfqdn (FIELD-NOTES)
                import socketserver
                socketserver.TCPServer.server_bind(self)
                self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

        self.httpd = Server(("127.0.0.1", port), Handler)

    def start(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def connected(self):
        with self.lock:
            return sum(1 for b in self.bins
                       if b.get_property("connection-state").value_nick == "connected")

    def _wait(self, promise, what, timeout=10):
        Gst = self.Gst
        timer = threading.Timer(timeout, promise.interrupt)
        timer.start()
        try:
            result = promise.wait()
        finally:
            timer.cancel()
        if result != Gst.PromiseResult.REPLIED:
            raise RuntimeError(f"{what}: {result.value_nick}")
        return promise.get_reply()

    def add_viewer(self, offer_text):
        Gst, GstWebRTC, GstSdp = self.Gst, _GstWebRTC, _GstSdp
        ok, sdp = GstSdp.SDPMessage.new_from_text(offer_text)
        if ok != GstSdp.SDPResult.OK:
            raise RuntimeError("malformed offer")
        with self.lock:  # requests come in concurrently: unique names
            n = self.next_id
            self.next_id += 1
        queue = Gst.ElementFactory.make("queue", f"q{n}")
        queue.set_property("leaky", 2)  # a stuck viewer does not stall the tee
        wb = Gst.ElementFactory.make("webrtcbin", f"wb{n}")
        Gst.util_set_object_arg(wb, "bundle-policy", "max-bundle")
        self.pipeline.add(queue)
        self.pipeline.add(wb)
        if not queue.link(wb):
            raise RuntimeError("cannot link queue to webrtcbin")
        queue.sync_state_with_parent()
        wb.sync_state_with_parent()
        teepad = self.tee.request_pad_simple("src_%u")
        teepad.link(queue.get_static_pad("sink"))
        # webrtcbin answers with the caps its sink pad has seen.
        sinkpad = queue.get_static_pad("src").get_peer()
        deadline = time.monotonic() + 5
        while sinkpad.get_current_caps() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        offer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, sdp)
        p = Gst.Promise.new()
        wb.emit("set-remote-description", offer, p)
        self._wait(p, "set-remote-description")
        p = Gst.Promise.new()
        wb.emit("create-answer", None, p)
        reply = self._wait(p, "create-answer")
        answer = reply.get_value("answer")
        if answer is None:
            raise RuntimeError("webrtcbin made no answer")
        p = Gst.Promise.new()
        wb.emit("set-local-description", answer, p)
        self._wait(p, "set-local-description")
        deadline = time.monotonic() + 5
        while (wb.get_property("ice-gathering-state").value_nick != "complete"
               and time.monotonic() < deadline):
            time.sleep(0.02)
        with self.lock:
            self.bins.append(wb)
        return n, wb.get_property("local-description").sdp.as_text()


def rtsp_sender(Gst, GLib, args, counts, clip):
    """gst-rtsp-server with one shared media, whose appsrc the clip player
    feeds (the clip plays whether or not a client is there)."""
    import gi
    gi.require_version("GstRtspServer", "1.0")
    gi.require_version("GstRtsp", "1.0")
    from gi.repository import GstRtsp, GstRtspServer
    clients = {"playing": 0}
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args["port"]))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f"( {clip.appsrc('src')} ! "
        f"rtpvp8pay name=pay0 pt=96 mtu=1200 picture-id-mode=15-bit ssrc={VIDEO_SSRC} )")
    factory.set_shared(True)
    factory.set_protocols(GstRtsp.RTSPLowerTrans.UDP)

    def on_configure(factory, media):
        element = media.get_element()
        clip.targets[:] = [element.get_by_name("src")]
        count_buffers(Gst, element.get_by_name("pay0").get_static_pad("src"), counts, "packets")

    factory.connect("media-configure", on_configure)
    server.get_mount_points().add_factory("/bench", factory)
    server.attach(None)

    def on_client(server, client):
        def on_play(client, ctx):
            clients["playing"] += 1

        def on_closed(client):
            if client in playing_clients:
                clients["playing"] -= 1
        playing_clients = set()

        def mark(client, ctx):
            playing_clients.add(client)
            on_play(client, ctx)
        client.connect("play-request", mark)
        client.connect("closed", on_closed)

    server.connect("client-connected", on_client)
    return Gst.Pipeline.new("rtsp-idle"), lambda: clients["playing"]


def role_viewers(args):
    """N cheap receivers, each a pipeline of its own, that count buffers."""
    Gst, GLib = _gst()
    kind, url, n = args["kind"], args["url"], args["n"]
    stagger = args.get("stagger", 0.03)
    counts = [0] * n
    seen = [0] * n
    last_new = [0.0] * n
    pipelines = []
    for i in range(n):
        if kind == "whep":
            desc = (f"rtcsrc name=r whep-url={url} decode=false receive-audio=false latency=100 "
                    "r.video_0 ! fakesink name=f sync=false async=false")
        else:
            desc = (f"rtspsrc location={url} protocols=udp latency=100 ! "
                    "fakesink name=f sync=false async=false")
        p = Gst.parse_launch(desc)
        pad = p.get_by_name("f").get_static_pad("sink")

        def probe(pad, info, i=i):
            counts[i] += 1
            return Gst.PadProbeReturn.OK
        pad.add_probe(Gst.PadProbeType.BUFFER, probe)
        pipelines.append(p)
    loop = GLib.MainLoop()
    threading.Thread(target=loop.run, daemon=True).start()

    def starter():
        for p in pipelines:
            p.set_state(Gst.State.PLAYING)
            time.sleep(stagger)
    threading.Thread(target=starter, daemon=True).start()
    errors = {"n": 0}

    def collect():
        now = time.monotonic()
        for i in range(n):
            if counts[i] != seen[i]:
                seen[i] = counts[i]
                last_new[i] = now
        for p in pipelines:
            bus = p.get_bus()
            while True:
                msg = bus.pop_filtered(Gst.MessageType.ERROR)
                if msg is None:
                    break
                errors["n"] += 1
                err, dbg = msg.parse_error()
                print(f"[viewer] {err.message} ({dbg})", file=sys.stderr, flush=True)
        return {"receiving": sum(1 for t in last_new if now - t < 1.5),
                "buffers": sum(counts), "errors": errors["n"]}

    def stop_all():
        for p in pipelines:
            p.set_state(Gst.State.NULL)

    Reporter(collect, on_exit=stop_all).run()


# ---------------------------------------------------------------------------
# The benchmark (parent side).

SERIES = ("rtcsink", "webrtcbin", "rtsp")


def add_arguments(parser):
    add_option(parser, "--viewers", default=None,
               help="viewer counts, comma-separated (default 1,10,50,100; smoke 1,3)")
    add_option(parser, "--series", default=",".join(SERIES),
               help="senders to measure: rtcsink,webrtcbin,rtsp")
    add_option(parser, "--fanout-seconds", type=float, default=None,
               help="length of each measurement window (default 6; smoke 1.5)")
    add_option(parser, "--fanout-video", default=None,
               help="WIDTHxHEIGHT@FPS:BITRATE (default 1280x720@30:2000000; "
                    "smoke 320x240@15:300000)")
    add_option(parser, "--smoke", action="store_true", help="a run of seconds")
    add_option(parser, "--out", default="bench-out", help="output directory")


def parse_video(text):
    m = re.fullmatch(r"(\d+)x(\d+)@(\d+):(\d+)", text)
    if not m:
        raise SystemExit(f"bad video format {text!r} (WIDTHxHEIGHT@FPS:BITRATE)")
    return tuple(int(x) for x in m.groups())


def measure(series, n, video, seconds, out, log, clip):
    """One sender, alone then with n viewers.  Returns a dict of figures, or
    one with "connected" < n when not every viewer came."""
    w, h, fps, bitrate = video
    port = free_port()
    sender_args = {"kind": series, "width": w, "height": h, "fps": fps, "bitrate": bitrate,
                   "port": port, "clip": clip}
    logs = os.path.join(out, "logs")
    sender = Child([PYTHON, __file__, "sender", json.dumps(sender_args)],
                   os.path.join(logs, f"fanout-{series}-{n}-sender.log"))
    viewers = None
    try:
        # The RTSP media (and its payloader) exists only once a client plays:
        # its sender is ready once the encoder produces.
        if not sender.wait_for(lambda r: r.get("packets", 0) > 0 or r.get("frames", 0) > 0, 30):
            raise RuntimeError(f"{series} sender did not start: {sender.last}")
        time.sleep(1.0 if seconds < 3 else 2.0)
        base = Window([sender.pid])
        time.sleep(seconds)
        base.finish()
        result = {"cpu0": base.cpu[sender.pid], "rss0": rss_bytes(sender.pid),
                  "threads0": threads(sender.pid), "pps0": rate(sender, "packets", base)}
        if series == "rtsp":
            url = f"rtsp://127.0.0.1:{port}/bench"
            vkind = "rtsp"
        else:
            url = f"http://127.0.0.1:{port}/whep"
            vkind = "whep"
        started = time.monotonic()
        viewers = Child([PYTHON, __file__, "viewers",
                         json.dumps({"kind": vkind, "url": url, "n": n})],
                        os.path.join(logs, f"fanout-{series}-{n}-viewers.log"))
        timeout = 30 + 0.6 * n
        all_in = viewers.wait_for(lambda r: r.get("receiving", 0) >= n, timeout)
        result["setup_s"] = time.monotonic() - started
        time.sleep(1.0 if seconds < 3 else 2.0)
        win = Window([sender.pid, viewers.pid])
        time.sleep(seconds)
        win.finish()
        result.update({
            "connected": min(viewers.last.get("receiving", 0), sender.last.get("viewers", 0)),
            "all_in": all_in,
            "cpu": win.cpu[sender.pid], "viewer_cpu": win.cpu[viewers.pid],
            "rss": rss_bytes(sender.pid), "threads": threads(sender.pid),
            "pps": rate(sender, "packets", win),
            "viewer_bps": rate(viewers, "buffers", win),
            "viewer_threads": threads(viewers.pid),
        })
        log(f"  {series:9} n={n:3}: {result['connected']} receiving, sender "
            f"{100 * result['cpu']:.1f}% (alone {100 * result['cpu0']:.1f}%), "
            f"{result['threads']} threads, RSS {result['rss'] / 2**20:.1f} MiB")
        return result
    finally:
        if viewers is not None:
            viewers.stop()
        sender.stop()


def run(opts):
    smoke = bool(getattr(opts, "smoke", False))
    out = out_dir(opts)
    counts = [int(x) for x in (getattr(opts, "viewers", None) or
                               ("1,3" if smoke else "1,10,50,100")).split(",") if x.strip()]
    series_list = [s.strip() for s in (getattr(opts, "series", None) or ",".join(SERIES)).split(",")
                   if s.strip()]
    seconds = getattr(opts, "fanout_seconds", None) or (1.5 if smoke else 6.0)
    video = parse_video(getattr(opts, "fanout_video", None) or
                        ("320x240@15:300000" if smoke else "1280x720@30:2000000"))

    def log(text):
        print(text, file=sys.stderr, flush=True)

    notes = []
    if smoke:
        notes.append("Smoke run: windows of seconds at 10 ms CPU-tick resolution; the CPU "
                     "figures are noise, the run checks that every case delivers.")
    bound = reference_bound()
    bound_us = sum(bound) if bound else None
    if bound:
        notes.append(f"Machine's bound, same run (gst-rtc-fanout-bench): one SRTP protect "
                     f"(AEAD-AES-128-GCM, 1200 bytes) {bound[0]:.2f} us + one UDP send() "
                     f"{bound[1]:.2f} us = {bound_us:.2f} us per packet per viewer.")
    else:
        notes.append("The machine's bound could not be measured (gst-rtc-fanout-bench "
                     "not found in the build's tools/).")
    notes.append(f"Source: a VP8 clip encoded before the run (videotestsrc smpte scrolling, "
                 f"{video[0]}x{video[1]} at {video[2]} fps, rtcsink's real-time vp8enc, CBR "
                 f"{video[3]} bit/s), played in a loop in real time through appsrc, so that no "
                 "sender runs an encoder; RTP MTU 1200, video only. "
                 f"Windows of {seconds:g} s; viewers in a separate process "
                 "(rtcsrc decode=false for rtcsink and webrtcbin, rtspsrc ! fakesink over "
                 "UDP for RTSP).")
    clip = make_clip(out, video, 2 if smoke else 6, log)
    columns = ["series", "viewers", "receiving", "delivered %", "sender CPU %", "alone CPU %",
               "CPU %/viewer", "us/pkt/viewer", "bound us/pkt", "pkt/s", "RSS MiB",
               "MiB/viewer", "threads", "+threads", "viewers' CPU %", "set-up s"]
    rows = []
    results = {}
    for series in series_list:
        if series not in SERIES:
            raise SystemExit(f"unknown series {series!r} (one of {', '.join(SERIES)})")
        results[series] = {}
        for n in counts:
            try:
                r = measure(series, n, video, seconds, out, log, clip)
            except RuntimeError as e:
                notes.append(f"{series} with {n} viewers: {e}")
                break
            results[series][n] = r
            # Per viewer that receives; "delivered": what the viewers got
            # (rtcsrc decode=false counts frames, rtspsrc RTP packets) against
            # what the source made, in real time.
            got = max(r["connected"], 1)
            per_cpu = (r["cpu"] - r["cpu0"]) / got
            pkts = r["pps"] or r["pps0"]
            unit = video[2] if series != "rtsp" else pkts
            r["delivered"] = r["viewer_bps"] / (got * unit) if unit else 0.0
            us = per_cpu * 1e6 / pkts if pkts else float("nan")
            r["per_cpu"], r["us"] = per_cpu, us
            r["mib_per"] = (r["rss"] - r["rss0"]) / n / 2**20
            rows.append([series, n, r["connected"], round(100 * r["delivered"]),
                         round(100 * r["cpu"], 1),
                         round(100 * r["cpu0"], 1), round(100 * per_cpu, 2), round(us, 1),
                         round(bound_us, 2) if bound_us else "", round(pkts),
                         round(r["rss"] / 2**20, 1), round(r["mib_per"], 3), r["threads"],
                         r["threads"] - r["threads0"], round(100 * r["viewer_cpu"], 1),
                         round(r["setup_s"], 1)])
            if not r["all_in"]:
                notes.append(f"{series}: only {r['connected']} of {n} viewers received within "
                             f"the set-up deadline; the series stops at {n}.")
                break
    notes.extend(compare(results))
    plots = make_plots(results)
    # What makes gst-rtc-bench fail: a series without a single figure, or,
    # in a smoke run, a viewer that received nothing.
    errors = [f"{s}: no figures (see the notes and {out}/logs)" for s in series_list
              if not results.get(s)]
    if smoke:
        errors += [f"{s} with {n} viewers: only {r['connected']} received" for s in results
                   for n, r in results[s].items() if not r["all_in"]]
    return [{"name": "fanout", "title": "Fan-out: the sender's cost per viewer",
             "columns": columns, "rows": rows, "notes": notes, "plots": plots,
             "errors": errors}]


def compare(results):
    """The issue's targets, against the figures of this run."""
    notes = []
    rtc, wb = results.get("rtcsink", {}), results.get("webrtcbin", {})
    # Compared where every viewer of both received, per packet per viewer
    # (a sender that falls behind real time sends fewer packets).
    common = sorted(n for n in set(rtc) & set(wb) if rtc[n]["all_in"] and wb[n]["all_in"])
    for n in common:
        a, b = rtc[n], wb[n]
        if b["us"] > 0:
            ratio = a["us"] / b["us"]
            notes.append(f"Target CPU per viewer <= 1/3 of webrtcbin's, at {n} viewers: rtcsink "
                         f"{a['us']:.1f} us/packet/viewer ({100 * a['per_cpu']:.2f}% of a core) "
                         f"vs webrtcbin {b['us']:.1f} ({100 * b['per_cpu']:.2f}%) = {ratio:.2f}x "
                         f"({'met' if ratio <= 1 / 3 else 'NOT met'}).")
    if common:
        n = common[-1]
        a, b = rtc[n], wb[n]
        if b["mib_per"] > 0:
            ratio = a["mib_per"] / b["mib_per"]
            notes.append(f"Target memory per viewer <= 1/4 of webrtcbin's: at {n} viewers "
                         f"{a['mib_per']:.3f} vs {b['mib_per']:.3f} MiB = {ratio:.2f}x "
                         f"({'met' if ratio <= 0.25 else 'NOT met'}).")
    if rtc:
        ns = sorted(rtc)
        grow = [rtc[n]["threads"] - rtc[n]["threads0"] for n in ns]
        notes.append("Target threads flat: rtcsink's threads added by viewers at "
                     + ", ".join(f"{n}: {g:+d}" for n, g in zip(ns, grow))
                     + (" (flat)." if max(grow) - min(grow) <= 2 else " (NOT flat)."))
    if wb:
        ns = sorted(wb)
        notes.append("webrtcbin's threads added by viewers: "
                     + ", ".join(f"{n}: {wb[n]['threads'] - wb[n]['threads0']:+d}" for n in ns)
                     + ".")
    return notes


def make_plots(results):
    plots = []
    for key, file, title, ylabel, scale in (
            ("cpu", "fanout-cpu.png", "Sender CPU against viewers", "CPU (% of one core)", 100),
            ("us", "fanout-us-per-packet.png", "Sender CPU per packet per viewer",
             "us per packet per viewer", 1),
            ("rss", "fanout-rss.png", "Sender memory against viewers", "RSS (MiB)", 2**-20),
            ("threads", "fanout-threads.png", "Sender threads against viewers", "threads", 1)):
        series = []
        for name, by_n in results.items():
            ns = sorted(by_n)
            if ns:
                series.append({"label": name, "x": ns,
                               "y": [round(by_n[n][key] * scale, 3) for n in ns]})
        plots.append({"file": file, "title": title, "xlabel": "viewers", "ylabel": ylabel,
                      "series": series})
    return plots


if __name__ == "__main__":
    run_role_main({"sender": role_sender, "viewers": role_viewers})
