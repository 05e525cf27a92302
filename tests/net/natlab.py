# SPDX-License-Identifier: LGPL-2.1-or-later
"""A NAT lab made of Linux network namespaces, for the NAT traversal tests.

    lan-a host  --  router A (NAT kind) --+
                                          +-- "internet" (coturn on 203.0.113.1 and .2)
    lan-b host  --  router B (NAT kind) --+

Namespaces (all named PREFIX-..., PREFIX unique per lab):

    PREFIX-inet   the "internet": routes 198.51.100.0/24 to the routers,
                  runs coturn on 203.0.113.1 and 203.0.113.2 (two addresses,
                  so that it answers RFC 5780 CHANGE-REQUESTs), and sends
                  everything else into PREFIX-void, where it is dropped (a
                  default route that discards, so that coturn never gets
                  ENETUNREACH; see FIELD-NOTES).
    PREFIX-ra/rb  the routers; WAN 198.51.100.2/30 (A) and .6/30 (B)
    PREFIX-a/b    one host in each LAN

The NAT kinds a router can be:

    none        no NAT: the LAN is public (198.51.100.64/28 for A,
                198.51.100.80/28 for B) and the router only routes.
    full-cone   endpoint-independent mapping and filtering ("full cone"):
                port-preserving SNAT to the WAN address, and every new UDP
                flow arriving on the WAN is DNATed to the LAN's one host,
                same port (a LAN of one host makes that exact).
    cone        port-restricted cone: endpoint-independent mapping (SNAT to
                the WAN address, ports 20000-29999, no --random: conntrack
                keeps one mapping per inside address:port whatever the
                destination) with conntrack's own address-and-port-dependent
                filtering; unsolicited packets are dropped in INPUT so that
                they never take a conntrack tuple (see _set_nat).
    symmetric   address-and-port-dependent mapping: MASQUERADE --random-fully
                (a new random port for every destination).
    udp-blocked the "cone" NAT plus a firewall that forwards only TCP to the
                TURN server's address (and its replies): no UDP at all.

Only private and documentation addresses are used.  Everything is made by
`ip` and `iptables` and removed by close(), which is also registered with
atexit; Lab.check() says why a lab cannot be made (not root, no namespaces).
"""
import atexit
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import time

KINDS = ("none", "full-cone", "cone", "symmetric", "udp-blocked")

STUN_ADDR = "203.0.113.1"
STUN_ADDR2 = "203.0.113.2"
STUN_PORT = 3478
TURNS_PORT = 5349
TURN_USER = "lab"
TURN_PASS = "labpass"
TURN_REALM = "natlab"

_SIDES = {
    # side: (wan of router, wan of inet, public lan, private lan)
    "a": ("198.51.100.2", "198.51.100.1", "198.51.100.64/28", "10.0.1.0/24"),
    "b": ("198.51.100.6", "198.51.100.5", "198.51.100.80/28", "10.0.2.0/24"),
}
_counter = itertools.count()
_open_labs = []


class LabUnavailable(Exception):
    """The machine cannot make the lab (not root, no netns, no iptables)."""


def _run(*argv, check=True, ns=None, timeout=20):
    if ns is not None:
        argv = ("ip", "netns", "exec", ns) + argv
    res = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         timeout=timeout)
    if check and res.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({res.returncode}): {res.stderr.strip()}")
    return res


def check():
    """None, or why the lab cannot be built here."""
    if os.geteuid() != 0:
        return "the NAT lab needs root (ip netns, iptables); run as root, as CI does"
    for tool in ("ip", "iptables", "turnserver", "openssl"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (scripts/setup.sh installs it)"
    name = f"natlab-probe-{os.getpid()}"
    res = subprocess.run(["ip", "netns", "add", name], stderr=subprocess.PIPE, text=True)
    if res.returncode != 0:
        return f"cannot make a network namespace (ip netns add: {res.stderr.strip()})"
    try:
        res = _run("iptables", "-t", "nat", "-L", "-n", ns=name, check=False)
        if res.returncode != 0:
            return f"iptables does not work in a namespace: {res.stderr.strip()}"
    finally:
        subprocess.run(["ip", "netns", "del", name])
    return None


def _cidr_host(cidr, n):
    net, bits = cidr.split("/")
    parts = [int(x) for x in net.split(".")]
    parts[3] += n
    return ".".join(str(x) for x in parts), bits


class Lab:
    """Two LANs behind NATs of the given kinds, and an internet with coturn.

    lab.ns("a") is side a's host namespace (run peers there with
    lab.popen("a", argv)); lab.stun_uri, lab.turn_uri(transport) give the
    servers' URIs."""

    def __init__(self, kind_a="none", kind_b="none", turn=True, tls=True, name=None):
        for k in (kind_a, kind_b):
            if k not in KINDS:
                raise ValueError(f"unknown NAT kind {k!r}; one of {KINDS}")
        self.kinds = {"a": kind_a, "b": kind_b}
        self.prefix = name or f"nl{os.getpid() % 100000}x{next(_counter)}"
        self.namespaces = []
        self.procs = []
        self.turnserver = None
        self.tmp = tempfile.mkdtemp(prefix=f"natlab-{self.prefix}-")
        self.closed = False
        self.host_addr = {}
        _open_labs.append(self)
        try:
            self._build()
            if turn:
                self.start_turnserver(tls=tls)
        except BaseException:
            self.close()
            raise

    # -- building -----------------------------------------------------------

    def ns(self, what):
        return f"{self.prefix}-{what}"

    def _add_ns(self, what):
        name = self.ns(what)
        res = subprocess.run(["ip", "netns", "add", name], stderr=subprocess.PIPE, text=True)
        if res.returncode != 0:
            raise LabUnavailable(f"ip netns add {name}: {res.stderr.strip()}")
        self.namespaces.append(name)
        _run("ip", "link", "set", "lo", "up", ns=name)
        return name

    def _veth(self, ns1, if1, ns2, if2):
        # made in ns1 so that names never clash with the host's interfaces
        _run("ip", "link", "add", if1, "type", "veth", "peer", "name", if2, ns=ns1)
        _run("ip", "link", "set", if2, "netns", ns2, ns=ns1)
        _run("ip", "link", "set", if1, "up", ns=ns1)
        _run("ip", "link", "set", if2, "up", ns=ns2)

    def _build(self):
        inet = self._add_ns("inet")
        void = self._add_ns("void")
        _run("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=inet)
        for addr in (STUN_ADDR, STUN_ADDR2):
            _run("ip", "addr", "add", f"{addr}/32", "dev", "lo", ns=inet)
        # a default route that discards: into a namespace that does not forward
        self._veth(inet, "void", void, "sink")
        _run("ip", "addr", "add", "192.0.2.1/30", "dev", "void", ns=inet)
        _run("ip", "addr", "add", "192.0.2.2/30", "dev", "sink", ns=void)
        _run("ip", "route", "add", "default", "via", "192.0.2.2", ns=inet)

        for side, (wan, inet_wan, public_lan, private_lan) in _SIDES.items():
            kind = self.kinds[side]
            router = self._add_ns("r" + side)
            host = self._add_ns(side)
            _run("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=router)
            self._veth(inet, "to-" + side, router, "wan")
            _run("ip", "addr", "add", f"{inet_wan}/30", "dev", "to-" + side, ns=inet)
            _run("ip", "addr", "add", f"{wan}/30", "dev", "wan", ns=router)
            _run("ip", "route", "add", "default", "via", inet_wan, ns=router)

            lan = public_lan if kind == "none" else private_lan
            gw, bits = _cidr_host(lan, 1)
            addr, _ = _cidr_host(lan, 2)
            self.host_addr[side] = addr
            self._veth(router, "lan", host, "eth0")
            _run("ip", "addr", "add", f"{gw}/{bits}", "dev", "lan", ns=router)
            _run("ip", "addr", "add", f"{addr}/{bits}", "dev", "eth0", ns=host)
            _run("ip", "route", "add", "default", "via", gw, ns=host)
            if kind == "none":
                _run("ip", "route", "add", lan, "via", wan, ns=inet)
            self._set_nat(router, kind, wan, addr)

    def _set_nat(self, router, kind, wan, host_addr):
        ipt = lambda *a: _run("iptables", *a, ns=router)  # noqa: E731
        if kind == "none":
            return
        if kind == "symmetric":
            ipt("-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-j", "MASQUERADE", "--random-fully")
        elif kind == "full-cone":
            ipt("-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-j", "SNAT", "--to-source", wan)
            ipt("-t", "nat", "-A", "PREROUTING", "-i", "wan", "-p", "udp", "-j", "DNAT",
                "--to-destination", host_addr)
            return
        else:
            for proto in ("udp", "tcp"):
                ipt("-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-p", proto, "-j", "SNAT",
                    "--to-source", f"{wan}:20000-29999")
            ipt("-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-j", "SNAT", "--to-source", wan)
        # Unsolicited packets to the router's own address are dropped before
        # conntrack confirms an entry for them: otherwise that entry takes
        # the tuple (peer, our mapping) and the reply the LAN host sends
        # next gets SNATed to another port (an endpoint-independent mapping
        # would turn dependent exactly when two NATs punch holes at once).
        ipt("-A", "INPUT", "-i", "wan", "-m", "conntrack", "--ctstate", "NEW,INVALID", "-j", "DROP")
        if kind == "udp-blocked":
            ipt("-P", "FORWARD", "DROP")
            ipt("-A", "FORWARD", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT")
            for addr in (STUN_ADDR, STUN_ADDR2):
                ipt("-A", "FORWARD", "-i", "lan", "-o", "wan", "-p", "tcp", "-d", addr, "-j", "ACCEPT")

    def router_ns(self, side):
        return self.ns("r" + side)

    def public_address(self, side):
        """Where the internet reaches side's host: its own address without
        NAT, else its router's WAN address (see forward_tcp)."""
        if self.kinds[side] == "none":
            return self.host_addr[side]
        return _SIDES[side][0]

    def forward_tcp(self, side, port):
        """A port forward for TCP `port` on side's router to its host (for
        the signalling: an HTTP/WHEP server behind a NAT)."""
        router = self.router_ns(side)
        if self.kinds[side] == "none":
            return
        _run("iptables", "-t", "nat", "-I", "PREROUTING", "1", "-i", "wan", "-p", "tcp",
             "--dport", str(port), "-j", "DNAT", "--to-destination", self.host_addr[side],
             ns=router)
        _run("iptables", "-I", "FORWARD", "1", "-i", "wan", "-p", "tcp", "-d",
             self.host_addr[side], "--dport", str(port), "-j", "ACCEPT", ns=router)

    def add_loss(self, side, probability):
        """Drops that share of the packets the router forwards, both ways."""
        _run("iptables", "-I", "FORWARD", "1", "-m", "statistic", "--mode", "random",
             "--probability", str(probability), "-j", "DROP", ns=self.router_ns(side))

    def shape(self, side, rate_kbit, burst_bytes=None, latency_ms=300, change=False):
        """A bottleneck with a queue on the way into side's LAN: a tbf qdisc
        (token bucket) on the egress of side's router towards its host, so
        that what reaches side's host is capped at rate_kbit kbit/s with a
        queue of latency_ms (FIELD-NOTES: no netem here, tbf works).
        change=True changes a running one (tc qdisc change): the congestion
        tests' rate steps. burst_bytes defaults to ~10 ms at the rate, at
        least 4 kB."""
        if burst_bytes is None:
            burst_bytes = max(4000, rate_kbit * 1000 // 8 // 100)
        _run("tc", "qdisc", "change" if change else "add", "dev", "lan", "root", "tbf",
             "rate", f"{int(rate_kbit)}kbit", "burst", str(int(burst_bytes)),
             "latency", f"{int(latency_ms)}ms", ns=self.router_ns(side))

    def unshape(self, side):
        _run("tc", "qdisc", "del", "dev", "lan", "root", ns=self.router_ns(side), check=False)

    def qdisc_stats(self, side):
        """`tc -s qdisc show dev lan` on side's router, as text."""
        return _run("tc", "-s", "qdisc", "show", "dev", "lan", ns=self.router_ns(side),
                    check=False).stdout

    def cut(self, side):
        """The peer vanishes: whatever runs in side's host namespace is
        killed (SIGKILL: no goodbye) and the namespace with its link is
        removed."""
        name = self.ns(side)
        res = subprocess.run(["ip", "netns", "pids", name], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        for pid in res.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        _run("ip", "netns", "del", name, check=False)
        if name in self.namespaces:
            self.namespaces.remove(name)

    # -- coturn -------------------------------------------------------------

    def start_turnserver(self, tls=True, timeout=10):
        argv = ["turnserver", "-n", f"--listening-ip={STUN_ADDR}", f"--listening-ip={STUN_ADDR2}",
                f"--relay-ip={STUN_ADDR}", f"--listening-port={STUN_PORT}",
                f"--tls-listening-port={TURNS_PORT}", "--min-port=40000", "--max-port=40999",
                "--lt-cred-mech", "-f", f"--user={TURN_USER}:{TURN_PASS}", f"--realm={TURN_REALM}",
                "--no-cli", "--no-dtls", "--no-multicast-peers", "--no-software-attribute",
                f"--pidfile={self.tmp}/turnserver.pid", f"--log-file={self.tmp}/turnserver.log",
                "--simple-log", "--allowed-peer-ip=0.0.0.0-255.255.255.255"]
        if tls:
            cert, key = f"{self.tmp}/cert.pem", f"{self.tmp}/key.pem"
            if not os.path.exists(cert):
                _run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                     f"/CN={STUN_ADDR}", "-keyout", key, "-out", cert)
            argv += [f"--cert={cert}", f"--pkey={key}"]
        else:
            argv.append("--no-tls")
        self.turnserver = self.popen("inet", argv, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.turnserver.poll() is not None:
                raise RuntimeError(f"turnserver exited with {self.turnserver.returncode}; "
                                   f"log in {self.tmp}/turnserver.log")
            res = _run("ss", "-lntu", ns=self.ns("inet"), check=False)
            if f"{STUN_ADDR}:{STUN_PORT}" in res.stdout and f"{STUN_ADDR2}:{STUN_PORT}" in res.stdout \
                    and (not tls or f":{TURNS_PORT}" in res.stdout):
                return
            time.sleep(0.1)
        raise RuntimeError("turnserver did not listen within 10 s")

    def stop_turnserver(self):
        p, self.turnserver = self.turnserver, None
        if p is not None and p.poll() is None:
            p.kill()
            p.wait(5)

    @property
    def stun_uri(self):
        return f"stun://{STUN_ADDR}:{STUN_PORT}"

    def turn_uri(self, transport="udp", user=TURN_USER, password=TURN_PASS):
        if transport == "tls":
            return f"turns://{user}:{password}@{STUN_ADDR}:{TURNS_PORT}?transport=tcp"
        return f"turn://{user}:{password}@{STUN_ADDR}:{STUN_PORT}?transport={transport}"

    # -- processes ----------------------------------------------------------

    def popen(self, where, argv, **kw):
        """Starts argv in namespace PREFIX-where; it is killed by close()."""
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(where), *argv],
                             start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def run(self, where, argv, timeout=30):
        return _run(*argv, ns=self.ns(where), check=False, timeout=timeout)

    # -- teardown -----------------------------------------------------------

    def close(self):
        if self.closed:
            return
        self.closed = True
        for p in self.procs:
            if p.poll() is None:
                try:
                    if os.getpgid(p.pid) == p.pid:
                        os.killpg(p.pid, signal.SIGKILL)
                    else:
                        p.kill()
                except ProcessLookupError:
                    pass
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass
        for name in reversed(self.namespaces):
            # whatever is still inside (a peer that was not started by us)
            res = subprocess.run(["ip", "netns", "pids", name], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True)
            for pid in res.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", name], stderr=subprocess.DEVNULL)
        self.namespaces = []
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self in _open_labs:
            _open_labs.remove(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@atexit.register
def _close_all():
    for lab in list(_open_labs):
        lab.close()


def leftover_namespaces(prefix):
    res = subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE, text=True)
    return [line.split()[0] for line in res.stdout.splitlines() if line.startswith(prefix)]


if __name__ == "__main__":
    import sys
    why = check()
    if why:
        sys.exit(why)
    with Lab(sys.argv[1] if len(sys.argv) > 1 else "cone",
             sys.argv[2] if len(sys.argv) > 2 else "symmetric") as lab:
        print("lab", lab.prefix, lab.host_addr, file=sys.stderr)
        if sys.stdin.isatty():
            input("enter to tear down ")
