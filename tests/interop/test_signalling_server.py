# SPDX-License-Identifier: LGPL-2.1-or-later
"""gst-rtc-signalling against an independent WebSocket client.

The client below is written from RFC 6455 with the standard library only
(socket, base64, hashlib), so the server's handshake and framing are
checked by code that shares nothing with libsoup. Every wait has a
deadline; the one check that nothing arrived is made by sending a bad
message and seeing its error reply come first.
"""
import base64
import hashlib
import http.client
import json
import os
import select
import signal
import socket
import struct
import subprocess
import tempfile
import time

import pytest

DEADLINE = 10.0
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA


def server_binary():
    build_root = os.environ.get("GST_RTC_BUILD_ROOT")
    if not build_root:
        build_root = os.path.join(os.path.dirname(__file__), "..", "..", "build")
    path = os.path.join(build_root, "tools", "gst-rtc-signalling")
    if not os.access(path, os.X_OK):
        pytest.skip(f"{path} is not built")
    return path


class Closed(Exception):
    def __init__(self, code, reason):
        super().__init__(f"closed with {code} {reason!r}")
        self.code = code
        self.reason = reason


class WsClient:
    """A minimal RFC 6455 client: text frames out (masked), any frame in."""

    def __init__(self, port, path):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        key = base64.b64encode(os.urandom(16))
        request = (
            f"GET {path} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key.decode()}\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "Origin: http://127.0.0.1\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self._read_more()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        assert lines[0].startswith("HTTP/1.1 101"), lines[0]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        expected = base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode()
        assert headers.get("sec-websocket-accept") == expected
        assert headers.get("upgrade", "").lower() == "websocket"

    def _read_more(self, deadline=None):
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no data before the deadline")
            self.sock.settimeout(remaining)
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed without a close frame")
        self.buffer += data

    def _take(self, n, deadline):
        while len(self.buffer) < n:
            self._read_more(deadline)
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def send_frame(self, opcode, payload):
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        # XOR the whole payload at once: fast enough for a megabyte.
        repeated = (mask * (n // 4 + 1))[:n]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big") if n else b""
        self.sock.sendall(header + mask + masked)

    def send_text(self, text):
        self.send_frame(OP_TEXT, text.encode())

    def send_json(self, obj):
        self.send_text(json.dumps(obj))

    def recv_frame(self, deadline):
        first, second = self._take(2, deadline)
        opcode = first & 0x0F
        assert not second & 0x80, "server frames must not be masked"
        n = second & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self._take(2, deadline))
        elif n == 127:
            (n,) = struct.unpack("!Q", self._take(8, deadline))
        return opcode, self._take(n, deadline)

    def recv_json(self, timeout=DEADLINE):
        deadline = time.monotonic() + timeout
        while True:
            opcode, payload = self.recv_frame(deadline)
            if opcode == OP_TEXT:
                return json.loads(payload.decode())
            if opcode == OP_PING:
                self.send_frame(OP_PONG, payload)
            elif opcode == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise Closed(code, payload[2:].decode(errors="replace"))

    def expect(self, msg_type, timeout=DEADLINE):
        message = self.recv_json(timeout)
        assert message["type"] == msg_type, message
        return message

    def wait_closed(self, timeout=DEADLINE):
        """Returns the close code, or None if the TCP connection just ended."""
        try:
            while True:
                self.recv_json(timeout)
        except Closed as closed:
            self.close()  # completes the closing handshake
            return closed.code
        except (ConnectionError, OSError):
            self.sock.close()
            return None

    def close(self):
        try:
            self.send_frame(OP_CLOSE, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


@pytest.fixture
def server():
    serve_dir = tempfile.mkdtemp(prefix="gst-rtc-signalling-")
    with open(os.path.join(serve_dir, "index.html"), "w") as f:
        f.write("<!doctype html><title>viewer</title>\n")
    with open(os.path.join(serve_dir, "viewer.js"), "w") as f:
        f.write("console.log ('viewer');\n")
    process = subprocess.Popen(
        [server_binary(), "--port", "0", "--address", "127.0.0.1", "--serve-dir", serve_dir],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    port = None
    deadline = time.monotonic() + DEADLINE
    line = b""
    while port is None and time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], deadline - time.monotonic())
        if not ready:
            break
        line = process.stdout.readline()
        if not line:
            break
        if b"ws://127.0.0.1:" in line:
            port = int(line.split(b"ws://127.0.0.1:")[1].split(b"/")[0])
    if port is None:
        process.kill()
        pytest.fail(f"no URL printed: {line!r} {process.stderr.read()!r}")
    yield process, port, serve_dir
    if process.poll() is None:
        process.kill()
        process.wait()
    for name in os.listdir(serve_dir):
        os.unlink(os.path.join(serve_dir, name))
    os.rmdir(serve_dir)


def assert_nothing_pending(client):
    """A bad message's error reply is the next thing this peer receives,
    so nothing else was sent to it before."""
    client.send_text("not json")
    message = client.recv_json()
    assert message["type"] == "error", message


def test_rooms_relay_and_isolation(server):
    _, port, _ = server
    a = WsClient(port, "/room1")
    hello_a = a.expect("peers")
    assert hello_a["room"] == "room1"
    assert hello_a["peers"] == []
    id_a = hello_a["peer"]

    b = WsClient(port, "/room1")
    hello_b = b.expect("peers")
    id_b = hello_b["peer"]
    assert hello_b["peers"] == [id_a]
    assert id_b != id_a
    assert a.expect("peer-joined")["peer"] == id_b

    c = WsClient(port, "/room2")
    hello_c = c.expect("peers")
    assert hello_c["peers"] == []

    sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    a.send_json({"type": "offer", "sdp": sdp, "to": id_b})
    offer = b.expect("offer")
    assert offer["sdp"] == sdp
    assert offer["from"] == id_a

    b.send_json({"type": "answer", "sdp": sdp.replace("1 1", "2 2"), "to": id_a})
    answer = a.expect("answer")
    assert answer["from"] == id_b
    assert "2 2" in answer["sdp"]

    candidate = "candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host"
    a.send_json({"type": "candidate", "candidate": candidate, "sdpMid": "0",
                 "sdpMLineIndex": 0, "to": id_b, "unknown": [1, 2]})
    relayed = b.expect("candidate")
    assert relayed["candidate"] == candidate
    assert relayed["sdpMid"] == "0"
    assert relayed["sdpMLineIndex"] == 0
    assert relayed["from"] == id_a
    assert "unknown" not in relayed

    # A "from" forged by the sender is overwritten.
    a.send_json({"type": "candidate", "candidate": None, "sdpMid": "0",
                 "to": id_b, "from": "someone-else"})
    end = b.expect("candidate")
    assert end["candidate"] == ""
    assert end["from"] == id_a

    # Without "to", a message goes to every other peer in the room.
    b.send_json({"type": "offer", "sdp": sdp})
    assert a.expect("offer")["from"] == id_b

    # A peer in another room heard nothing of all this.
    assert_nothing_pending(c)

    # Unknown target: an error, to the sender only.
    a.send_json({"type": "offer", "sdp": sdp, "to": "nobody"})
    assert "nobody" in a.expect("error")["reason"]

    b.close()
    assert a.expect("peer-left")["peer"] == id_b
    assert_nothing_pending(c)
    a.close()
    c.close()


def test_bad_json_keeps_connection(server):
    _, port, _ = server
    a = WsClient(port, "/r")
    id_a = a.expect("peers")["peer"]
    b = WsClient(port, "/r")
    id_b = b.expect("peers")["peer"]
    a.expect("peer-joined")

    for bad in ["{not json", "", "[]", '{"type":"offer"}', '{"type":"offer","sdp":5}',
                '{"type":"candidate","candidate":"c","sdpMLineIndex":"0"}',
                '{"type":"teleport"}', '{"type":"peers","peer":"x","peers":[]}',
                "{" * 1000, '{"type":"offer","sdp":"x"}trailing']:
        a.send_text(bad)
        reply = a.expect("error")
        assert reply["reason"], reply

    # Binary frames are refused the same way.
    a.send_frame(OP_BINARY, b"\x00\x01")
    assert "binary" in a.expect("error")["reason"]

    # The connection still works both ways.
    a.send_json({"type": "candidate", "candidate": "", "sdpMid": "0", "to": id_b})
    assert b.expect("candidate")["from"] == id_a
    b.send_json({"type": "answer", "sdp": "v=0\r\n", "to": id_a})
    assert a.expect("answer")["from"] == id_b
    a.close()
    b.close()


def test_oversize_message_closes_only_that_peer(server):
    _, port, _ = server
    a = WsClient(port, "/big")
    id_a = a.expect("peers")["peer"]
    b = WsClient(port, "/big")
    id_b = b.expect("peers")["peer"]
    a.expect("peer-joined")

    big = json.dumps({"type": "offer", "sdp": "x" * (1024 * 1024), "to": id_a})
    try:
        b.send_text(big)
    except OSError:
        pass  # the server may close before taking it all
    code = b.wait_closed()
    assert code in (1009, None), code

    assert a.expect("peer-left")["peer"] == id_b
    d = WsClient(port, "/big")
    id_d = d.expect("peers")["peer"]
    assert a.expect("peer-joined")["peer"] == id_d
    a.send_json({"type": "offer", "sdp": "v=0\r\n", "to": id_d})
    assert d.expect("offer")["from"] == id_a
    a.close()
    d.close()


def test_flood_closes_only_the_flooder(server):
    _, port, _ = server
    calm = WsClient(port, "/flood")
    calm.expect("peers")
    flooder = WsClient(port, "/flood")
    flooder.expect("peers")
    calm.expect("peer-joined")
    bystander = WsClient(port, "/elsewhere")
    bystander.expect("peers")

    frame = json.dumps({"type": "error", "reason": "flood"})
    try:
        for _ in range(2000):
            flooder.send_text(frame)
    except OSError:
        pass
    assert flooder.wait_closed() in (1008, None)
    assert calm.expect("peer-left")
    assert_nothing_pending(bystander)
    assert_nothing_pending(calm)
    calm.close()
    bystander.close()


def test_join_message_and_chosen_id(server):
    _, port, _ = server
    a = WsClient(port, "/")
    a.send_json({"type": "offer", "sdp": "v=0\r\n"})
    assert "join" in a.expect("error")["reason"]
    a.send_json({"type": "join", "room": "lobby", "peer": "alice"})
    hello = a.expect("peers")
    assert hello["peer"] == "alice"
    assert hello["room"] == "lobby"
    b = WsClient(port, "/")
    b.send_json({"type": "join", "room": "lobby", "peer": "alice"})
    hello_b = b.expect("peers")
    assert hello_b["peer"] != "alice"  # taken: another id is given
    assert hello_b["peers"] == ["alice"]
    b.send_json({"type": "join", "room": "other"})
    assert "already" in b.expect("error")["reason"]
    a.close()
    b.close()


def test_static_files(server):
    _, port, _ = server
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
    for path, status, content_type in [("/", 200, "text/html"),
                                       ("/index.html", 200, "text/html"),
                                       ("/viewer.js", 200, "text/javascript"),
                                       ("/missing.html", 404, None),
                                       ("/../../etc/passwd", 404, None),
                                       ("/%2e%2e/%2e%2e/etc/passwd", None, None)]:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        if status is not None:
            assert response.status == status, (path, response.status)
        else:
            assert response.status in (400, 404), (path, response.status)
        if content_type:
            assert response.getheader("Content-Type").startswith(content_type)
            assert body
        assert b"root:" not in body
        assert response.getheader("Access-Control-Allow-Origin") == "*"
    connection.request("POST", "/", body=b"x")
    response = connection.getresponse()
    response.read()
    assert response.status == 405
    connection.close()


def test_sigterm_exits_cleanly(server):
    process, port, _ = server
    a = WsClient(port, "/bye")
    a.expect("peers")
    process.send_signal(signal.SIGTERM)
    assert a.wait_closed() in (1001, None)
    assert process.wait(timeout=DEADLINE) == 0
