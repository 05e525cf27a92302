# SPDX-License-Identifier: LGPL-2.1-or-later
"""Test helpers for applications built on gst-rtc, usable as a pytest plugin.

Two rtcbin peers in one process, joined over loopback (optionally through a
coturn TURN server), sending each other VP8 video (and Opus audio if asked)
and counting the frames they decode::

    from gstrtc.testing import PeerPair

    with PeerPair() as pair:
        pair.connect()                  # offer, answer, trickle ICE, DTLS
        pair.wait_frames(30)            # each side decoded 30 video frames

As a pytest plugin (``pytest -p gstrtc.testing``, or
``pytest_plugins = ["gstrtc.testing"]`` in a conftest.py) it provides the
fixtures:

``rtc_peers``
    a connected :class:`PeerPair` (torn down after the test);
``rtc_peer_pair``
    a factory: ``rtc_peer_pair(audio=True, connect=False, ...)`` returns a
    :class:`PeerPair`, torn down after the test;
``turn_server``
    a :class:`TurnServer` (coturn on 127.0.0.1, user ``user``/``pass``),
    one per session; the test is skipped when ``turnserver`` is missing;
``rtc_peers_turn``
    a :class:`PeerPair` connected through ``turn_server`` only
    (``ice-transport-policy=relay``).

It needs ``GstRtc`` and the ``rtc`` plugin to be found (``source
scripts/env.sh build`` in a build tree). It also has
:class:`LoopbackSignaller`, a :class:`GstRtc.Signaller` written in Python
whose two ends are wired back to back in one process.
"""
import itertools
import os
import queue
import random
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtc", "1.0")
from gi.repository import GLib, GObject, Gst, GstRtc  # noqa: E402

try:
    gi.require_version("Nice", "0.1")
    from gi.repository import Nice  # noqa: E402
except (ValueError, ImportError):  # gir1.2-nice-0.1 is optional
    Nice = None

Gst.init(None)

__all__ = ["Peer", "PeerPair", "TurnServer", "LoopbackSignaller", "wait_until"]

DEFAULT_TIMEOUT = float(os.environ.get("GST_RTC_TEST_TIMEOUT", "30"))
_numbers = itertools.count(1)


def wait_until(condition, timeout=DEFAULT_TIMEOUT, interval=0.05, what="condition"):
    """Polls ``condition()`` until it is true; raises ``TimeoutError``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not true after {timeout} s")
        time.sleep(interval)


class Peer:
    """One rtcbin in a pipeline of its own: sends VP8 test video (and Opus
    if ``audio``), decodes what it receives and counts the frames.

    ``properties`` are set on the rtcbin (``{"turn-server": ...,
    "ice-transport-policy": "relay"}``). With ``loopback`` (the default),
    ICE gathers on 127.0.0.1 only, so nothing leaves the machine.
    """

    def __init__(self, name=None, audio=False, video=True, pattern="ball",
                 properties=None, loopback=True):
        self.name = name or f"peer{next(_numbers)}"
        self.frames = {"video": 0, "audio": 0}
        self.video_size = None
        self.errors = []
        self._lock = threading.Lock()
        ssrc = 0x10000 * (next(_numbers) + 1)
        branches = []
        if video:
            branches.append(
                f"videotestsrc is-live=true pattern={pattern} ! "
                "video/x-raw,width=320,height=240,framerate=30/1 ! "
                "videoconvert ! queue ! vp8enc deadline=1 keyframe-max-dist=30 ! "
                f"rtpvp8pay pt=96 ssrc={ssrc} ! pc.")
        if audio:
            branches.append(
                "audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! queue ! "
                f"opusenc ! rtpopuspay pt=111 ssrc={ssrc + 1} ! pc.")
        self.pipeline = Gst.parse_launch(
            "rtcbin name=pc latency=50 " + " ".join(branches))
        self.pipeline.set_name(self.name)
        self.pc = self.pipeline.get_by_name("pc")
        for key, value in (properties or {}).items():
            if isinstance(value, str):  # enums by nick too: "relay"
                Gst.util_set_object_arg(self.pc, key, value)
            else:
                self.pc.set_property(key, value)
        if loopback:
            self._restrict_to_loopback()
        self.pc.connect("pad-added", self._on_pad_added)
        bus = self.pipeline.get_bus()
        bus.enable_sync_message_emission()
        bus.connect("sync-message::error", self._on_error)

    def _restrict_to_loopback(self):
        if Nice is None:
            return
        agent = self.pc.get_property("ice-agent")
        nice_agent = agent.get_property("nice-agent") if agent is not None else None
        if nice_agent is None:
            return
        address = Nice.Address()
        address.set_from_string("127.0.0.1")
        nice_agent.add_local_address(address)

    def _on_error(self, bus, message):
        error, debug = message.parse_error()
        self.errors.append(f"{message.src.get_name()}: {error.message} ({debug})")

    def _on_pad_added(self, element, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        decodebin = Gst.ElementFactory.make("decodebin")
        decodebin.connect("pad-added", self._on_decoded_pad)
        self.pipeline.add(decodebin)
        decodebin.sync_state_with_parent()
        pad.link(decodebin.get_static_pad("sink"))

    def _on_decoded_pad(self, decodebin, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        kind = "video" if caps.to_string().startswith("video/") else "audio"
        pad.add_probe(Gst.PadProbeType.BUFFER, self._count, kind)
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("async", False)
        self.pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))

    def _count(self, pad, info, kind):
        with self._lock:
            self.frames[kind] += 1
            if kind == "video" and self.video_size is None:
                structure = pad.get_current_caps().get_structure(0)
                self.video_size = (structure.get_int("width")[1], structure.get_int("height")[1])
        return Gst.PadProbeReturn.OK

    @property
    def connection_state(self):
        return self.pc.get_property("connection-state")

    def start(self):
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            raise RuntimeError(f"{self.name}: cannot start its pipeline: {self.errors}")

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


class PeerPair:
    """Two :class:`Peer` objects and the signalling between them (this
    object: it carries the offer, the answer and every trickled candidate).

    Keyword arguments go to both peers; ``offerer`` and ``answerer`` may be
    given ready-made instead.
    """

    def __init__(self, offerer=None, answerer=None, **peer_options):
        self.offerer = offerer or Peer(name="offerer", pattern="ball", **peer_options)
        self.answerer = answerer or Peer(name="answerer", pattern="smpte", **peer_options)
        self.candidates = {self.offerer: [], self.answerer: []}  # what each gathered
        self._pending = {self.offerer: [], self.answerer: []}    # before remote description
        self._remote_set = {self.offerer: False, self.answerer: False}
        self._lock = threading.Lock()
        self.offer = self.answer = None
        for peer, other in ((self.offerer, self.answerer), (self.answerer, self.offerer)):
            peer.pc.connect("on-ice-candidate", self._on_candidate, peer, other)
        for peer in self.peers:
            peer.start()

    @property
    def peers(self):
        return (self.offerer, self.answerer)

    def _on_candidate(self, pc, mline, candidate, peer, other):
        # On one of rtcbin's threads: hand the candidate straight to the other
        # peer, or keep it until that peer has the description it belongs to.
        with self._lock:
            self.candidates[peer].append(candidate)
            if not self._remote_set[other]:
                self._pending[other].append((mline, candidate))
                return
        try:
            other.pc.add_ice_candidate(mline, None, candidate)
        except GLib.Error as error:
            other.errors.append(f"add-ice-candidate: {error}")

    def _remote_description_set(self, peer):
        with self._lock:
            self._remote_set[peer] = True
            pending, self._pending[peer] = self._pending[peer], []
        for mline, candidate in pending:
            peer.pc.add_ice_candidate(mline, None, candidate)

    def negotiate(self, timeout=DEFAULT_TIMEOUT):
        """One offer/answer exchange, with the blocking overrides."""
        self.offer = self.offerer.pc.create_offer(timeout=timeout)
        self.offerer.pc.set_local_description("offer", self.offer, timeout=timeout)
        self.answerer.pc.set_remote_description("offer", self.offer, timeout=timeout)
        self._remote_description_set(self.answerer)
        self.answer = self.answerer.pc.create_answer(timeout=timeout)
        self.answerer.pc.set_local_description("answer", self.answer, timeout=timeout)
        self.offerer.pc.set_remote_description("answer", self.answer, timeout=timeout)
        self._remote_description_set(self.offerer)

    def connect(self, timeout=DEFAULT_TIMEOUT):
        """Negotiates and waits until both peers are ``connected``."""
        self.negotiate(timeout)
        self.wait_connected(timeout)
        return self

    def wait_connected(self, timeout=DEFAULT_TIMEOUT):
        connected = GstRtc.PeerConnectionState.CONNECTED
        failed = (GstRtc.PeerConnectionState.FAILED, GstRtc.PeerConnectionState.CLOSED)

        def done():
            states = [peer.connection_state for peer in self.peers]
            for peer, state in zip(self.peers, states):
                if state in failed:
                    raise AssertionError(f"{peer.name}: connection {state.value_nick}; "
                                         f"errors: {peer.errors}")
            return all(state == connected for state in states)

        wait_until(done, timeout, what="both peers connected")

    def wait_frames(self, video=1, audio=0, timeout=DEFAULT_TIMEOUT):
        """Waits until each peer decoded at least ``video`` video frames and
        ``audio`` audio buffers."""
        def done():
            for peer in self.peers:
                if peer.errors:
                    raise AssertionError(f"{peer.name}: {peer.errors}")
            return all(peer.frames["video"] >= video and peer.frames["audio"] >= audio
                       for peer in self.peers)

        wait_until(done, timeout,
                   what=f"{video} video frames each side "
                        f"({[peer.frames for peer in self.peers]})")

    def close(self):
        for peer in self.peers:
            peer.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


# -- coturn -------------------------------------------------------------------

def _free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stun_binding_ok(host, port, timeout=0.5):
    """True when a STUN Binding request to host:port gets a success response."""
    transaction = random.randbytes(12)
    request = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + transaction
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(request, (host, port))
            response, _ = sock.recvfrom(2048)
        except OSError:
            return False
    return len(response) >= 20 and response[0:2] == b"\x01\x01" and response[8:20] == transaction


class TurnServer:
    """coturn's ``turnserver`` on 127.0.0.1, long-term credentials
    ``user``/``pass``, UDP and TCP, no TLS; relays to loopback peers."""

    USER, PASSWORD, REALM = "user", "pass", "test"

    def __init__(self, port=None, timeout=10):
        self.binary = shutil.which("turnserver")
        if self.binary is None:
            raise FileNotFoundError("turnserver (Debian package coturn) is not installed")
        self.port = port or _free_udp_port()
        self.directory = tempfile.mkdtemp(prefix="gstrtc-turn-")
        relay_base = 52000 + (self.port % 50) * 100  # one relay range per server
        self.log_path = os.path.join(self.directory, "turnserver.log")
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [self.binary, "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
             f"--listening-port={self.port}", f"--min-port={relay_base}",
             f"--max-port={relay_base + 99}", "--lt-cred-mech",
             f"--user={self.USER}:{self.PASSWORD}", f"--realm={self.REALM}", "--no-cli",
             "--no-tls", "--no-dtls", "--allow-loopback-peers", "--no-stdout-log",
             f"--pidfile={self.directory}/turnserver.pid",
             f"--userdb={self.directory}/turndb"],
            stdout=self._log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: self.process.poll() is not None or
                       stun_binding_ok("127.0.0.1", self.port),
                       timeout, interval=0.1, what="turnserver answering STUN")
            if self.process.poll() is not None:
                raise RuntimeError(f"turnserver exited with {self.process.returncode}")
        except BaseException:
            self.stop()
            raise

    def uri(self, transport="udp"):
        """The rtcbin ``turn-server`` value."""
        query = "" if transport == "udp" else f"?transport={transport}"
        return f"turn://{self.USER}:{self.PASSWORD}@127.0.0.1:{self.port}{query}"

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


# -- a GstRtcSignaller written in Python ---------------------------------------

class LoopbackSignaller(GObject.Object, GstRtc.Signaller):
    """A :class:`GstRtc.Signaller` implemented in Python, whose friend is
    another LoopbackSignaller in the same process: what one end sends, the
    other end emits. Make the two ends with :meth:`pair`.

    It follows the convention of the WebSocket signaller: **the consumer
    offers**. Once both ends are started, the consumer end emits
    ``session-requested``; its element sends an offer, and the producer end
    emits ``session-requested`` then ``session-description`` with it; the
    producer's answer comes out of the consumer end as
    ``session-description``. Candidates come out as ``handle-ice``;
    ``end_session`` and ``stop`` as ``session-ended`` on the other end.

    Signals are emitted from one delivery thread per pair, never from
    inside the method that caused them. Every call is recorded in
    ``calls`` (a list of tuples), for tests.
    """

    __gtype_name__ = "GstRtcPyLoopbackSignaller"

    def __init__(self, role, session_id="loopback"):
        super().__init__()
        if role not in ("producer", "consumer"):
            raise ValueError("role is producer or consumer")
        self.role = role
        self.session_id = session_id
        self.other = None
        self.started = False
        self.sessions = set()
        self.calls = []
        self._deliveries = None

    @classmethod
    def pair(cls, session_id="loopback"):
        """Returns ``(producer_end, consumer_end)``."""
        producer, consumer = cls("producer", session_id), cls("consumer", session_id)
        producer.other, consumer.other = consumer, producer
        deliveries = queue.Queue()
        producer._deliveries = consumer._deliveries = deliveries
        threading.Thread(target=cls._deliver, args=(deliveries,), daemon=True,
                         name="loopback-signaller").start()
        return producer, consumer

    @staticmethod
    def _deliver(deliveries):
        while True:
            function, args = deliveries.get()
            if function is None:
                return
            function(*args)

    def _post(self, function, *args):
        self._deliveries.put((function, args))

    # the interface's virtual methods, called by elements through C ----------

    def do_start(self):
        self.calls.append(("start",))
        self.started = True
        if self.other.started:
            consumer = self if self.role == "consumer" else self.other
            self._post(consumer._open, self.session_id)

    def do_stop(self):
        self.calls.append(("stop",))
        self.started = False
        ended, self.sessions = self.sessions, set()
        for session_id in sorted(ended):
            self._post(self.other._ended, session_id)

    def do_send_sdp(self, session_id, sdp_type, sdp):
        self.calls.append(("send_sdp", session_id, sdp_type, sdp))
        self._post(self.other._receive_sdp, session_id, sdp_type, sdp)

    def do_send_candidate(self, session_id, mline, mid, candidate):
        self.calls.append(("send_candidate", session_id, mline, mid, candidate))
        self._post(self.other._receive_ice, session_id, mline, mid, candidate)

    def do_end_session(self, session_id):
        self.calls.append(("end_session", session_id))
        self.sessions.discard(session_id)
        self._post(self.other._ended, session_id)

    # what the friend's actions look like on this end ------------------------

    def _open(self, session_id):
        if self.started and session_id not in self.sessions:
            self.sessions.add(session_id)
            self.session_requested(session_id, self.other.role)

    def _receive_sdp(self, session_id, sdp_type, sdp):
        if not self.started:
            return
        if session_id not in self.sessions:
            self.sessions.add(session_id)
            self.session_requested(session_id, self.other.role)
        self.session_description(session_id, sdp_type, sdp)

    def _receive_ice(self, session_id, mline, mid, candidate):
        if self.started and session_id in self.sessions:
            self.handle_ice(session_id, mline, mid, candidate)

    def _ended(self, session_id):
        if self.started and session_id in self.sessions:
            self.sessions.discard(session_id)
            self.session_ended(session_id)

    def shutdown(self):
        """Ends the delivery thread of the pair."""
        self._deliveries.put((None, ()))


# -- pytest fixtures ------------------------------------------------------------

try:
    import pytest
except ImportError:  # the helpers above work without pytest
    pytest = None

if pytest is not None:
    @pytest.fixture(scope="session")
    def turn_server():
        """coturn on 127.0.0.1 for the whole session (skipped without it)."""
        if shutil.which("turnserver") is None:
            pytest.skip("turnserver (Debian package coturn) is not installed")
        server = TurnServer()
        yield server
        server.stop()

    @pytest.fixture
    def rtc_peer_pair():
        """A factory of :class:`PeerPair`: ``rtc_peer_pair(audio=True,
        connect=True, properties={...})``; every pair is closed after the
        test."""
        pairs = []

        def make(connect=False, timeout=DEFAULT_TIMEOUT, **options):
            pair = PeerPair(**options)
            pairs.append(pair)
            if connect:
                pair.connect(timeout)
            return pair

        yield make
        for pair in pairs:
            pair.close()

    @pytest.fixture
    def rtc_peers(rtc_peer_pair):
        """Two rtcbin peers, connected over loopback and sending VP8."""
        return rtc_peer_pair(connect=True)

    @pytest.fixture
    def rtc_peers_turn(rtc_peer_pair, turn_server):
        """Two rtcbin peers connected through coturn only (relay policy)."""
        return rtc_peer_pair(connect=True, properties={
            "turn-server": turn_server.uri(), "ice-transport-policy": "relay"})
