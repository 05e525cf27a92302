# SPDX-License-Identifier: LGPL-2.1-or-later
"""On the wire: tshark captures the UDP traffic between two DTLS-SRTP ends.

The video is a solid colour whose RGB bytes (c0 ff ee) repeat through every
RTP payload. Through our elements the capture must show DTLS records and
SRTP, and the pattern must never appear; a control run without our
elements shows that the same capture does find it in the clear."""
import os
import shutil
import struct
import subprocess
import tempfile
import time

import pytest

from pipelines import Counter, Gst, Runner, free_udp_port, require_elements

PATTERN = bytes.fromhex("c0ffeec0ffeec0ffee")
RAW = ("videotestsrc is-live=true pattern=solid-color foreground-color=0xffc0ffee ! "
       "video/x-raw,format=RGB,width=64,height=32,framerate=30/1 ! rtpvrawpay mtu=1200")
RAW_CAPS = ("application/x-rtp,media=video,encoding-name=RAW,clock-rate=90000,payload=96,"
            "sampling=RGB,depth=(string)8,width=(string)64,height=(string)32,colorimetry=SMPTE240M")


def udp_payloads(pcap_path, ports):
    """Yields the UDP payloads to or from @ports in a classic pcap file."""
    with open(pcap_path, "rb") as f:
        data = f.read()
    magic, = struct.unpack("<I", data[:4])
    assert magic == 0xa1b2c3d4, "not a little-endian pcap file"
    linktype, = struct.unpack("<I", data[20:24])
    offset = 24
    while offset + 16 <= len(data):
        _, _, caplen, _ = struct.unpack("<IIII", data[offset:offset + 16])
        frame = data[offset + 16:offset + 16 + caplen]
        offset += 16 + caplen
        l2 = 14 if linktype == 1 else 16 if linktype == 113 else 0
        ip = frame[l2:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        udp = ip[(ip[0] & 0x0f) * 4:]
        sport, dport = struct.unpack("!HH", udp[:4])
        if sport in ports or dport in ports:
            yield udp[8:]


class Capture:
    def __init__(self, ports):
        if shutil.which("tshark") is None:
            pytest.skip("tshark is not installed")
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, "capture.pcap")
        port_filter = " or ".join(f"udp port {p}" for p in ports)
        self.proc = subprocess.Popen(
            ["tshark", "-i", "lo", "-F", "pcap", "-w", self.path, "-f", port_filter],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        line = ""
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if "Capturing on" in line:
                return
            if line == "" and self.proc.poll() is not None:
                break
        pytest.skip(f"tshark cannot capture here: {line.strip()}")

    def stop(self):
        time.sleep(0.5)
        self.proc.terminate()
        self.proc.wait(timeout=20)
        return self.path

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def run_and_capture(description, ports, counter_name, frames):
    capture = Capture(ports)
    runner = Runner(description)
    counter = Counter(runner.get(counter_name))
    runner.set_state(Gst.State.PLAYING)
    try:
        ok = runner.wait_for(lambda: counter.value >= frames, 20)
        assert ok, f"only {counter.value} frames arrived; errors {runner.errors}"
    finally:
        runner.stop()
    path = capture.stop()
    payloads = list(udp_payloads(path, ports))
    capture.cleanup()
    return payloads


def test_control_plain_rtp_shows_the_pattern():
    """Without encryption the detector finds the pattern: the test can fail."""
    require_elements("rtpvrawpay", "rtpvrawdepay")
    port = free_udp_port()
    payloads = run_and_capture(
        f"{RAW} ! udpsink host=127.0.0.1 port={port} sync=false async=false "
        f"udpsrc address=127.0.0.1 port={port} caps=\"{RAW_CAPS}\" ! rtpvrawdepay name=depay ! fakesink async=false",
        {port}, "depay", 10)
    assert any(PATTERN in p for p in payloads)


def test_dtls_srtp_hides_the_payload():
    require_elements("rtpvrawpay", "rtpvrawdepay")
    a_to_b, b_to_a = free_udp_port(), free_udp_port()
    description = f"""
      {RAW} ! a_enc.rtp_sink
      rtcdtlssrtpenc name=a_enc connection-id=a is-client=true !
        udpsink host=127.0.0.1 port={a_to_b} sync=false async=false
      udpsrc address=127.0.0.1 port={b_to_a} ! rtcdtlssrtpdec name=a_dec connection-id=a
      a_dec.rtp_src ! fakesink async=false  a_dec.rtcp_src ! fakesink async=false
      udpsrc address=127.0.0.1 port={a_to_b} ! rtcdtlssrtpdec name=b_dec connection-id=b
      b_dec.rtp_src ! {RAW_CAPS} ! rtpvrawdepay name=depay ! fakesink async=false
      b_dec.rtcp_src ! fakesink async=false
      rtcdtlssrtpenc name=b_enc connection-id=b ! udpsink host=127.0.0.1 port={b_to_a} sync=false async=false
    """
    capture = Capture({a_to_b, b_to_a})
    runner = Runner(description)
    runner.set_state(Gst.State.READY)
    # Each end expects the other's certificate.
    runner.get("a_dec").set_property("peer-fingerprint", runner.get("b_enc").get_property("fingerprint"))
    runner.get("b_dec").set_property("peer-fingerprint", runner.get("a_enc").get_property("fingerprint"))
    counter = Counter(runner.get("depay"))
    runner.set_state(Gst.State.PLAYING)
    try:
        ok = runner.wait_for(lambda: counter.value >= 10, 20)
        assert ok, f"only {counter.value} frames decrypted; errors {runner.errors}"
    finally:
        runner.stop()
    payloads = list(udp_payloads(capture.stop(), {a_to_b, b_to_a}))
    capture.cleanup()

    dtls = [p for p in payloads if len(p) > 13 and 20 <= p[0] <= 63 and p[1] == 0xfe]
    handshakes = [p for p in dtls if p[0] == 22]
    srtp = [p for p in payloads if len(p) > 12 and 128 <= p[0] <= 191]
    assert handshakes, "no DTLS handshake record on the wire"
    assert len(srtp) >= 10, f"only {len(srtp)} SRTP packets on the wire"
    assert not any(PATTERN in p for p in payloads), "RTP payload seen in the clear"
