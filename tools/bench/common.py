# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers shared by the gst-rtc-bench modules.

Processes: `cpu_seconds`, `rss_bytes`, `threads` read /proc/PID/stat(m);
`monotonic_ns` is CLOCK_MONOTONIC, the one clock every process on the
machine shares (network namespaces included), so a sender and a receiver in
separate processes can log times that the parent compares.

Children: `run_child(argv)` starts a process that runs one pipeline role.
The protocol, which `child_main` implements for the child's side:
  - the child writes one JSON object per line on its stdout, each with an
    "event" key ("ready", "first-frame", "snap", "result", "error", ...);
    anything else on stdout is ignored;
  - the parent writes commands, one per line, on the child's stdin:
    "snap" (the child answers with a "snap" event holding its counters) and
    "stop" (the child answers with a "result" event and exits); a closed
    stdin is a "stop".
`gst-rtc-bench _child MODULE ARGS...` runs `bench.MODULE.child_main(ARGS)`,
so `child_argv(module, args)` is the argv for a child of any module.

Sections (results): plain dicts, see `Section`; `format_table`, `write_csv`
and `draw_plots` render them.

Network namespaces: `NetNs` (root only) is a private network stack with its
own `lo`, byte counters on it and optional random packet loss.
"""
import csv
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
BENCH_PROGRAM = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "gst-rtc-bench")


def monotonic_ns():
    """CLOCK_MONOTONIC in nanoseconds (system-wide)."""
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def _stat_fields(pid):
    with open(f"/proc/{pid}/stat", "rb") as f:
        data = f.read().decode("ascii", "replace")
    # The command name may hold spaces and parentheses: split after the last ')'.
    return data[data.rindex(")") + 2:].split()


def cpu_seconds(pid):
    """User plus system CPU time of a process (all its threads), in seconds."""
    fields = _stat_fields(pid)
    # fields[0] is field 3 (state): utime is field 14, stime field 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def threads(pid):
    """Number of threads of a process."""
    return int(_stat_fields(pid)[17])


def rss_bytes(pid):
    """Resident set size of a process, in bytes."""
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE_SIZE


def machine_description():
    """CPU model, cores, memory, kernel and GStreamer version, in one line."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        mem = 0
    gst = ""
    try:
        import gi
        gi.require_version("Gst", "1.0")
        from gi.repository import Gst
        Gst.init(None)
        gst = ", GStreamer " + Gst.version_string().split()[-1]
    except Exception:
        pass
    return (f"{model}, {os.cpu_count()} CPUs, {mem:.0f} GiB, Linux {os.uname().release}"
            f"{gst}, load {os.getloadavg()[0]:.1f}")


def is_root():
    return os.geteuid() == 0


def Section(name, title, columns, rows=None, notes=None, plots=None):
    """A section of results: a plain dict (JSON-serialisable)."""
    return {"name": name, "title": title, "columns": list(columns),
            "rows": list(rows or []), "notes": list(notes or []),
            "plots": list(plots or [])}


# -- children --------------------------------------------------------------

def child_argv(module, args):
    """argv that runs `bench.<module>.child_main(args)` in a new process."""
    program = os.environ.get("GST_RTC_BENCH_PROGRAM") or BENCH_PROGRAM
    return [sys.executable or "/usr/bin/python3", program, "_child", module] + list(args)


class ChildError(RuntimeError):
    pass


class Child:
    """A child process speaking the JSON-lines protocol (see the module doc)."""

    def __init__(self, argv, env=None, name=None):
        self.name = name or os.path.basename(argv[0])
        self.stderr_lines = []
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.pid = self.proc.pid
        self._events = queue.Queue()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self):
        for line in self.proc.stdout:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                self._events.put(json.loads(line))
            except ValueError:
                continue
        self._events.put(None)

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line.rstrip())
            del self.stderr_lines[:-200]

    def stderr_tail(self, n=8):
        return "\n".join(self.stderr_lines[-n:])

    def expect(self, event, timeout):
        """The next message whose "event" is `event` (others before it are
        dropped, "error" raises). ChildError on timeout or exit."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChildError(f"{self.name}: no '{event}' within {timeout:.0f} s"
                                 f"\n{self.stderr_tail()}")
            try:
                msg = self._events.get(timeout=left)
            except queue.Empty:
                continue
            if msg is None:
                self._events.put(None)
                raise ChildError(f"{self.name}: exited ({self.proc.poll()}) before '{event}'"
                                 f"\n{self.stderr_tail()}")
            if msg.get("event") == event:
                return msg
            if msg.get("event") == "error":
                raise ChildError(f"{self.name}: {msg.get('message')}")

    def send(self, command):
        try:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass

    def snap(self, timeout=5):
        self.send("snap")
        return self.expect("snap", timeout)

    def stop(self, timeout=10):
        """Asks the child to stop; returns its "result" message (None if it
        gave none) and makes sure the process is gone."""
        self.send("stop")
        result = None
        try:
            result = self.expect("result", timeout)
        except ChildError:
            pass
        self.kill()
        return result

    def kill(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(3)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()


def run_child(argv, env=None, name=None):
    """Starts a child process (see the module doc); returns a `Child`."""
    return Child(argv, env=env, name=name)


def emit(event, **fields):
    """Child side: one JSON message on stdout."""
    fields["event"] = event
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def serve_commands(on_snap, on_stop):
    """Child side: reads commands from stdin in a thread and calls
    `on_snap()` / `on_stop()` (from that thread)."""
    def loop():
        for line in sys.stdin:
            cmd = line.strip()
            if cmd == "snap":
                on_snap()
            elif cmd == "stop":
                break
        on_stop()
    threading.Thread(target=loop, daemon=True).start()


# -- network namespaces -----------------------------------------------------

class NetNs:
    """A private network namespace (root only): its own `lo` (and, for the
    ICE agents, a local address 10.77.0.1 on a veth pair, whose traffic the
    kernel routes over `lo` like any local address), iptables/ip6tables
    rules that count every IP packet sent in the namespace (so every packet
    exchanged inside it, both directions, headers included) and optional
    random loss of incoming packets (`-m statistic --mode random`)."""

    ADDRESS = "10.77.0.1"
    _count = 0

    def __init__(self, loss=0.0, tag="bench"):
        NetNs._count += 1
        self.name = f"gstrtc-{tag}-{os.getpid()}-{NetNs._count}"
        self.loss = loss
        self.created = False

    @staticmethod
    def available():
        """Root, ip and iptables, and GST_RTC_BENCH_NO_NETNS unset (set it
        to run on the host's loopback even as root: no loss, no counts)."""
        if os.environ.get("GST_RTC_BENCH_NO_NETNS"):
            return False
        return is_root() and shutil.which("ip") is not None and shutil.which("iptables") is not None

    def _run(self, *argv):
        subprocess.run(list(argv), check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=30)

    def _ipt(self, tool, *args):
        self._run("ip", "netns", "exec", self.name, tool, "-w", *args)

    def __enter__(self):
        self._run("ip", "netns", "add", self.name)
        self.created = True
        try:
            self._run("ip", "-n", self.name, "link", "set", "lo", "up")
            self._run("ip", "-n", self.name, "link", "add", "bench0", "type", "veth",
                      "peer", "name", "bench1")
            self._run("ip", "-n", self.name, "addr", "add", self.ADDRESS + "/24", "dev", "bench0")
            self._run("ip", "-n", self.name, "link", "set", "bench0", "up")
            self._run("ip", "-n", self.name, "link", "set", "bench1", "up")
            for tool in ("iptables", "ip6tables"):
                # Every packet sent in the namespace leaves through OUTPUT
                # once (over lo, or the veth for IPv6 link-local pairs).
                self._ipt(tool, "-A", "OUTPUT")
                if self.loss > 0:
                    self._ipt(tool, "-A", "INPUT", "-m", "statistic", "--mode", "random",
                              "--probability", f"{self.loss:.4f}", "-j", "DROP")
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        if self.created:
            subprocess.run(["ip", "netns", "del", self.name], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)
            self.created = False

    def wrap(self, argv):
        return ["ip", "netns", "exec", self.name] + list(argv)

    def wire_bytes(self):
        """(packets, bytes) sent so far in the namespace, IPv4 and IPv6 (IP
        headers included)."""
        packets = octets = 0
        for tool in ("iptables", "ip6tables"):
            out = subprocess.run(["ip", "netns", "exec", self.name, tool, "-w", "-nvxL",
                                  "OUTPUT"], check=True, capture_output=True, text=True,
                                 timeout=30).stdout
            for line in out.splitlines()[2:]:
                fields = line.split()
                if len(fields) >= 2 and fields[0].isdigit():
                    packets += int(fields[0])
                    octets += int(fields[1])
                    break
        return packets, octets


# -- output -------------------------------------------------------------------

def _cell(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 100:
            return f"{value:.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def format_table(section):
    """The section as an aligned text table (title, table, notes)."""
    header = [str(c) for c in section["columns"]]
    rows = [[_cell(v) for v in row] for row in section["rows"]]
    widths = [len(h) for h in header]
    for row in rows:
        for i, v in enumerate(row):
            if i < len(widths):
                widths[i] = max(widths[i], len(v))
            else:
                widths.append(len(v))

    def line(cells):
        return "  ".join(c.rjust(w) if i else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out = [f"== {section['title']} ==", line(header), line(["-" * w for w in widths])]
    out += [line(row) for row in rows]
    out += [f"  * {n}" for n in section.get("notes", [])]
    return "\n".join(out)


def write_csv(section, outdir):
    path = os.path.join(outdir, f"{section['name']}.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(section["columns"])
        for row in section["rows"]:
            w.writerow(["" if v is None else v for v in row])
    return path


def draw_plots(section, outdir):
    """Draws the section's plots as PNGs (matplotlib, Agg). Returns the
    paths written, or a list with one note when matplotlib is missing."""
    if not section.get("plots"):
        return []
    try:
        import warnings
        # numpy warns about subnormals on some CPUs at import: not ours.
        warnings.filterwarnings("ignore", message=".*smallest subnormal.*")
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return ["(matplotlib missing: apt-get install python3-matplotlib; no plots)"]
    paths = []
    for plot in section["plots"]:
        fig, ax = plt.subplots(figsize=(9, 5), dpi=100)
        for series in plot.get("series", []):
            pairs = [(x, y) for x, y in zip(series["x"], series["y"]) if y is not None]
            if not pairs:
                continue
            xs, ys = zip(*pairs)
            if plot.get("kind") == "bar":
                ax.bar([str(x) for x in xs], ys, label=series.get("label"))
            else:
                ax.plot(xs, ys, marker="o", label=series.get("label"))
        if plot.get("kind") == "bar":
            plt.setp(ax.get_xticklabels(), rotation=30, ha="right", fontsize="small")
        ax.set_title(plot.get("title", ""))
        ax.set_xlabel(plot.get("xlabel", ""))
        ax.set_ylabel(plot.get("ylabel", ""))
        if plot.get("logy"):
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        if any(s.get("label") for s in plot.get("series", [])):
            ax.legend(fontsize="small")
        fig.tight_layout()
        path = os.path.join(outdir, plot["file"])
        fig.savefig(path)
        plt.close(fig)
        paths.append(path)
    return paths


def percentile(values, p):
    """The p-th percentile (0..100) of a list, nearest-rank with linear
    interpolation; None for an empty list."""
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)
