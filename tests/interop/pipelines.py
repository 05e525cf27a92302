# SPDX-License-Identifier: LGPL-2.1-or-later
"""Small helpers for interop tests that run GStreamer pipelines from Python."""
import os
import re
import socket
import subprocess
import threading
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

Gst.init(None)

# Our library's typelib, from the build tree (GI_TYPELIB_PATH), gives the
# GstRtc objects behind our elements their methods in Python.
gi.require_version("GstRtc", "1.0")
from gi.repository import GstRtc  # noqa: E402,F401


def free_udp_port():
    """A UDP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pem_fingerprint(pem):
    """The SHA-256 fingerprint of a PEM certificate, in SDP form, computed
    by the openssl command (not by our library)."""
    out = subprocess.run(
        ["openssl", "x509", "-noout", "-fingerprint", "-sha256"],
        input=pem.encode(), capture_output=True, check=True).stdout.decode()
    digest = out.strip().split("=", 1)[1]
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", digest), out
    return "sha-256 " + digest


class Counter:
    """Counts buffers that pass a pad."""

    def __init__(self, element, pad_name="src"):
        self.count = 0
        self._lock = threading.Lock()
        pad = element.get_static_pad(pad_name)
        pad.add_probe(Gst.PadProbeType.BUFFER, self._probe)

    def _probe(self, pad, info):
        with self._lock:
            self.count += 1
        return Gst.PadProbeReturn.OK

    @property
    def value(self):
        with self._lock:
            return self.count


class Runner:
    """Runs a pipeline and collects its bus errors and warnings."""

    def __init__(self, description):
        self.pipeline = Gst.parse_launch(description)
        self.errors = []
        self.warnings = []
        self.bus = self.pipeline.get_bus()

    def get(self, name):
        element = self.pipeline.get_by_name(name)
        assert element is not None, name
        return element

    def set_state(self, state):
        ret = self.pipeline.set_state(state)
        assert ret != Gst.StateChangeReturn.FAILURE, f"cannot go to {state}: {self.errors}"

    def poll_bus(self):
        while True:
            msg = self.bus.pop_filtered(Gst.MessageType.ERROR | Gst.MessageType.WARNING)
            if msg is None:
                return
            if msg.type == Gst.MessageType.ERROR:
                err, debug = msg.parse_error()
                self.errors.append(f"{msg.src.get_name()}: {err.message}")
            else:
                err, debug = msg.parse_warning()
                self.warnings.append(f"{msg.src.get_name()}: {err.message}")

    def wait_for(self, predicate, timeout, stop_on_error=True):
        """Iterates until predicate() holds; False on timeout or error."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll_bus()
            if stop_on_error and self.errors:
                return False
            if predicate():
                return True
            time.sleep(0.05)
        self.poll_bus()
        return predicate()

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)
        self.poll_bus()


def require_elements(*names):
    missing = [n for n in names if Gst.ElementFactory.find(n) is None]
    if missing:
        import pytest
        pytest.skip("missing elements: " + ", ".join(missing))


def build_root():
    return os.environ.get("GST_RTC_BUILD_ROOT", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
