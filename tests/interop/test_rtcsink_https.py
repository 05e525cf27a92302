# SPDX-License-Identifier: LGPL-2.1-or-later
"""rtcsink and rtcsrc: HTTPS (tls-certificate, tls-key), the UDP port range
and the announced address of a 1:1 NAT, ICE restart through WHEP PATCH.

The certificate is made at test time with `openssl req`; clients do not
verify it. aiortc plays over the HTTPS endpoint.
"""

import http.client
import os
import re
import ssl
import subprocess

import pytest

from test_rtcsink_whep import (  # noqa: F401  (fixtures)
    AUDIO, DEADLINE, VIDEO, Sink, event_loop_runner, free_port, make_sink, new_offer)

from aiortc import RTCSessionDescription  # noqa: E402


def setup_module():
    if not os.environ.get("GST_PLUGIN_PATH_1_0"):
        build_root = os.environ.get("GST_RTC_BUILD_ROOT") or os.path.join(
            os.path.dirname(__file__), "..", "..", "build")
        os.environ["GST_PLUGIN_PATH_1_0"] = os.path.join(build_root, "plugins", "rtc")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (cert.pem, key.pem, both.pem)."""
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    both = directory / "both.pem"
    both.write_text(cert.read_text() + key.read_text())
    return str(cert), str(key), str(both)


class HttpsSink(Sink):
    def request(self, method, path, body=None, headers=None, timeout=DEADLINE):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                           context=context)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            conn.close()


@pytest.fixture
def make_https_sink():
    sinks = []

    def make(launch=VIDEO + " ! {sink} " + AUDIO + " ! s.", env=None, **properties):
        sink = HttpsSink(launch, env, **properties)
        sinks.append(sink)
        return sink

    yield make
    for sink in sinks:
        sink.stop()


def launch_fails(*args, timeout=30):
    """Runs gst-launch-1.0 that must fail to start; returns its output."""
    result = subprocess.run(["gst-launch-1.0"] + list(args), capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode != 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def candidates(sdp):
    """(address, port, type, raddr) of each a=candidate line."""
    found = []
    for line in sdp.splitlines():
        match = re.match(r"a=candidate:\S+ \d+ udp \d+ (\S+) (\d+) typ (\w+)(?: raddr (\S+))?",
                         line.strip(), re.I)
        if match:
            found.append((match[1], int(match[2]), match[3], match[4]))
    return found


async def play(pc, answer):
    """Applies the answer and waits for the first video frame."""
    import asyncio

    frames = asyncio.get_event_loop().create_future()

    @pc.on("track")
    def on_track(track):
        async def read():
            frame = await track.recv()
            if not frames.done():
                frames.set_result(frame)
        if track.kind == "video":
            asyncio.ensure_future(read())

    await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
    return await asyncio.wait_for(frames, DEADLINE)


def test_https_page_and_whep_with_key_in_the_same_file(make_https_sink, event_loop_runner,
                                                       certificate):
    cert, key, both = certificate
    sink = make_https_sink(tls_certificate=both)
    sink.wait_line(rf"rtcsink-listening, url=\(string\)https://127.0.0.1:{sink.port}/",
                   what="an https URL")
    sink.assert_alive()
    # Plain HTTP to an HTTPS port gets nothing usable.
    with pytest.raises((http.client.HTTPException, ConnectionError, OSError)):
        Sink.request(sink, "GET", "/", timeout=3)
    pc, offer = event_loop_runner(new_offer())
    try:
        status, headers, answer = sink.post_offer(offer)
        assert status == 201, answer
        assert headers["location"].startswith("/whep/")
        frame = event_loop_runner(play(pc, answer.decode()))
        assert frame.width == 320
        assert sink.request("DELETE", headers["location"])[0] == 200
    finally:
        event_loop_runner(pc.close())


def test_https_with_a_separate_key(make_https_sink, certificate):
    cert, key, both = certificate
    sink = make_https_sink(tls_certificate=cert, tls_key=key)
    sink.assert_alive()


def test_bad_certificate_is_a_clear_error(certificate, tmp_path):
    cert, key, both = certificate
    missing = str(tmp_path / "missing.pem")
    output = launch_fails("videotestsrc", "is-live=true", "!", "rtcsink", f"port={free_port()}",
                          "address=127.0.0.1", f"tls-certificate={missing}")
    assert f"Could not load the TLS certificate {missing}" in output, output
    # A certificate without its key.
    output = launch_fails("videotestsrc", "is-live=true", "!", "rtcsink", f"port={free_port()}",
                          "address=127.0.0.1", f"tls-certificate={cert}")
    assert f"Could not load the TLS certificate {cert}" in output, output
    output = launch_fails("videotestsrc", "is-live=true", "!", "rtcsink", f"port={free_port()}",
                          "address=127.0.0.1", f"tls-key={key}")
    assert "tls-key is set but tls-certificate is not" in output, output


def test_elements_sharing_a_port_must_agree_on_tls(certificate):
    cert, key, both = certificate
    port = free_port()
    # rtcsink serves HTTPS; an rtcsrc WHIP endpoint on the same port
    # without a certificate (and one with the same certificate) in one
    # pipeline.
    output = launch_fails("videotestsrc", "is-live=true", "!", "rtcsink", f"port={port}",
                          "address=127.0.0.1", f"tls-certificate={both}",
                          "rtcsrc", f"port={port}", "address=127.0.0.1", "!", "fakesink")
    assert f"127.0.0.1:{port} already runs HTTPS" in output, output
    assert "must set the same TLS certificate" in output, output


def test_rtcsink_and_rtcsrc_share_an_https_port(certificate):
    cert, key, both = certificate
    port = free_port()
    proc = subprocess.Popen(
        ["gst-launch-1.0", "-m", "videotestsrc", "is-live=true", "!", "rtcsink", f"port={port}",
         "address=127.0.0.1", f"tls-certificate={cert}", f"tls-key={key}",
         "rtcsrc", f"port={port}", "address=127.0.0.1", f"tls-certificate={both}",
         "!", "fakesink"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        import time
        deadline = time.monotonic() + DEADLINE
        statuses = None
        while time.monotonic() < deadline:
            try:
                statuses = []
                for method, path in [("GET", "/"), ("OPTIONS", "/whip")]:
                    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=3,
                                                       context=context)
                    conn.request(method, path)
                    statuses.append(conn.getresponse().status)
                    conn.close()
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                time.sleep(0.2)
        assert statuses is not None and statuses[0] == 200 and statuses[1] in (200, 204), statuses
    finally:
        proc.terminate()
        proc.wait(10)


def test_port_range_and_announced_address(make_sink, event_loop_runner):
    sink = make_sink(port_min=41000, port_max=41099, announced_address="203.0.113.7")
    pcs = []
    try:
        for _ in range(2):
            pc, offer = event_loop_runner(new_offer())
            pcs.append(pc)
            status, headers, answer = sink.post_offer(offer)
            assert status == 201, answer
            found = candidates(answer.decode())
            hosts = [c for c in found if c[2] == "host"]
            announced = [c for c in found if c[2] == "srflx" and c[0] == "203.0.113.7"]
            assert hosts, answer
            for address, port, kind, raddr in found:
                assert 41000 <= port <= 41099, (address, port, kind)
            # A srflx twin of each IPv4 host candidate, same port.
            ipv4_hosts = {(a, p) for a, p, _, _ in hosts if ":" not in a}
            assert ipv4_hosts
            assert {(raddr, port) for _, port, _, raddr in announced} == ipv4_hosts, found
        # The first viewer still plays through a host candidate.
        frame = event_loop_runner(play(pcs[1], answer.decode()))
        assert frame is not None
    finally:
        for pc in pcs:
            event_loop_runner(pc.close())


@pytest.mark.parametrize("element", ["rtcsink", "rtcsrc"])
@pytest.mark.parametrize("settings, message", [
    (["port-min=50010", "port-max=50000"], "port-min 50010 is above port-max 50000"),
    (["announced-address=public.example.org"], "Invalid announced-address \"public.example.org\""),
])
def test_bad_range_or_address_is_a_clear_error(element, settings, message):
    if element == "rtcsink":
        args = ["videotestsrc", "is-live=true", "!", "rtcsink", f"port={free_port()}",
                "address=127.0.0.1"] + settings
    else:
        args = ["rtcsrc", f"port={free_port()}", "address=127.0.0.1"] + settings + ["!", "fakesink"]
    output = launch_fails(*args)
    assert message in output, output


def test_rtcsrc_whip_over_https_with_port_range(certificate, event_loop_runner):
    """aiortc publishes to rtcsrc's HTTPS WHIP endpoint; rtcsrc's answer
    keeps to its port range and announces its public address."""
    import asyncio
    import time

    from aiortc import RTCConfiguration, RTCPeerConnection
    from aiortc_peer import BarVideoTrack

    cert, key, both = certificate
    port = free_port()
    proc = subprocess.Popen(
        ["gst-launch-1.0", "-m", "rtcsrc", "name=r", f"port={port}", "address=127.0.0.1",
         f"tls-certificate={both}", "port-min=42000", "port-max=42049",
         "announced-address=198.51.100.9", "r.video_0", "!", "fakesink", "sync=false",
         "signal-handoffs=false"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    async def publish():
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTrack(BarVideoTrack(320, 240))
        await pc.setLocalDescription(await pc.createOffer())
        deadline = time.monotonic() + DEADLINE
        while True:
            try:
                conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=DEADLINE,
                                                   context=context)
                conn.request("POST", "/whip", pc.localDescription.sdp.encode(),
                             {"Content-Type": "application/sdp"})
                response = conn.getresponse()
                body = response.read().decode()
                headers = {k.lower(): v for k, v in response.getheaders()}
                conn.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
        if response.status == 201:
            await pc.setRemoteDescription(RTCSessionDescription(body, "answer"))
            deadline = time.monotonic() + DEADLINE
            while pc.connectionState != "connected" and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        return pc, response.status, headers, body

    pc = None
    try:
        pc, status, headers, answer = event_loop_runner(publish())
        assert status == 201, answer
        found = candidates(answer)
        assert found, answer
        for address, cport, kind, raddr in found:
            assert 42000 <= cport <= 42049, (address, cport, kind)
        assert any(c[0] == "198.51.100.9" and c[2] == "srflx" for c in found), found
        assert pc.connectionState == "connected"

        # ICE restart by PATCH, from a plain client (aiortc cannot restart).
        def patch(path, body, **extra):
            conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=DEADLINE, context=context)
            try:
                conn.request("PATCH", path, body.encode(),
                             dict({"Content-Type": "application/trickle-ice-sdpfrag"}, **extra))
                response = conn.getresponse()
                return (response.status, {k.lower(): v for k, v in response.getheaders()},
                        response.read().decode())
            finally:
                conn.close()

        location, etag = headers["location"], headers["etag"]
        restart = ("a=ice-ufrag:zzzz\r\na=ice-pwd:" + "q" * 24 + "\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                   "a=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n")
        assert patch("/whip/0123456789abcdef", restart)[0] == 404
        assert patch(location, restart, **{"If-Match": '"stale"'})[0] == 412
        status, _, text = patch(location, "a=ice-ufrag:zzzz\r\n")
        assert status == 400, text
        status, restart_headers, text = patch(location, restart, **{"If-Match": etag})
        assert status == 200, text
        assert restart_headers["content-type"] == "application/trickle-ice-sdpfrag"
        assert restart_headers["etag"] != etag
        old_ufrag = re.search(r"a=ice-ufrag:(\S+)", answer)[1]
        new_ufrag = re.search(r"^a=ice-ufrag:(\S+)\r$", text, re.M)[1]
        assert new_ufrag != old_ufrag, text
        for address, cport, kind, raddr in candidates(text):
            assert 42000 <= cport <= 42049, text
        assert patch(location, "a=end-of-candidates\r\n", **{"If-Match": etag})[0] == 412
    finally:
        if pc is not None:
            event_loop_runner(pc.close())
        proc.terminate()
        output = proc.communicate(timeout=10)[0]
        assert "CRITICAL" not in output, output[-4000:]
