"""A hostile DNS client for the proxy lab: raw UDP and TCP exchanges with hand-made bytes.

Module-level functions, so :meth:`Host.call` runs them on a lab host in a fresh process.
"""

from __future__ import annotations

import contextlib
import resource
import socket
import ssl
import struct
import time

import dns.message
import dns.rdatatype


def header(
    *, qr: bool = False, opcode: int = 0, qd: int = 1, ar: int = 0, ident: int = 0x4242
) -> bytes:
    """A 12-byte DNS header (RFC 1035 §4.1.1), RD clear."""
    flags = (0x8000 if qr else 0) | (opcode << 11)
    return struct.pack("!HHHHHH", ident, flags, qd, 0, 0, ar)


def question(name: str, rdtype: int = 12) -> bytes:
    """An uncompressed question (class IN)."""
    wire = b"".join(bytes([len(label)]) + label.encode() for label in name.strip(".").split("."))
    return wire + b"\x00" + struct.pack("!HH", rdtype, 1)


def opt(payload: int = 1232, *, version: int = 0, options: bytes = b"") -> bytes:
    """An OPT record (RFC 6891 §6.1.2) for the additional section."""
    return b"\x00" + struct.pack("!HHIH", 41, payload, version << 16, len(options)) + options


def query(name: str, rdtype: str = "PTR", *, payload: int | None = 1232, ident: int = 7) -> bytes:
    """A well-formed query, made with dnspython."""
    rdtype_value = dns.rdatatype.from_text(rdtype)
    edns = payload is not None
    msg = dns.message.make_query(name, rdtype_value, use_edns=edns, payload=payload or 512)
    msg.id = ident
    msg.flags = 0  # no RD: the proxy is authoritative, a stub would not ask it to recurse
    return msg.to_wire()


def udp_exchange(server: str, port: int, payloads: list[bytes], wait: float) -> list[bytes | None]:
    """Send each payload from one socket and collect its reply (None: no reply in ``wait``)."""
    replies: list[bytes | None] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(wait)
        for payload in payloads:
            sock.sendto(payload, (server, port))
            try:
                replies.append(sock.recv(65535))
            except TimeoutError:
                replies.append(None)
    return replies


def tcp_exchange(server: str, port: int, data: bytes, wait: float) -> tuple[bytes, bool]:
    """Send ``data`` raw on a fresh TCP connection; read for up to ``wait`` s.

    Returns what came back and whether the server closed (EOF or reset) in that time.
    """
    received = bytearray()
    with socket.create_connection((server, port), timeout=5) as sock:
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            sock.sendall(data)
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                return bytes(received), False
            except ConnectionResetError:
                return bytes(received), True
            if not chunk:
                return bytes(received), True
            received += chunk
    return bytes(received), False


def framed(message: bytes) -> bytes:
    """A message with its two-byte TCP length (RFC 1035 §4.2.2)."""
    return struct.pack("!H", len(message)) + message


def session_survives_a_bad_neighbour(
    server: str, port: int, good: bytes, bad: bytes
) -> dict[str, object]:
    """Open a good TCP session, send ``bad`` on a second one, then ask on the first again.

    Returns whether the bad one was closed, and the RCODEs the good one got before and
    after (RFC 7766 §6.2: one bad session does not end another).
    """
    result: dict[str, object] = {}
    with socket.create_connection((server, port), timeout=5) as keep:
        result["before"] = _ask_tcp(keep, good)
        _, result["bad_closed"] = tcp_exchange(server, port, bad, 5.0)
        result["after"] = _ask_tcp(keep, good)
    return result


def _ask_tcp(sock: socket.socket, message: bytes) -> int:
    sock.sendall(framed(message))
    length = struct.unpack("!H", _read(sock, 2))[0]
    reply = dns.message.from_wire(_read(sock, length))
    return reply.rcode()


def _read(sock: socket.socket, count: int) -> bytes:
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return bytes(data)


def hold_tcp(server: str, port: int, count: int, seconds: float) -> dict[str, int]:
    """Open up to ``count`` idle TCP connections (giving up after 10 refused or timed out),
    hold them ``seconds``; how many the server let open, refused, and closed by the end."""
    socks: list[socket.socket] = []
    refused = 0
    while len(socks) + refused < count and refused < 10:
        try:
            socks.append(socket.create_connection((server, port), timeout=1))
        except OSError:
            refused += 1
    time.sleep(seconds)
    closed = 0
    for sock in socks:
        sock.setblocking(False)
        try:
            closed += sock.recv(1) == b""
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
        sock.close()
    return {"opened": len(socks), "refused": refused, "closed": closed}


def dso_keepalive(ident: int) -> bytes:
    """A DSO Keepalive request (RFC 8490 §5.4, §7.1): opcode 6, one TLV, 15 s / 15 s."""
    head = struct.pack("!HHHHHH", ident, 6 << 11, 0, 0, 0, 0)
    return head + struct.pack("!HHII", 1, 8, 15000, 15000)


def dso_sessions(server: str, port: int, count: int, hold: float) -> dict[str, int]:
    """Open ``count`` TLS sessions one after another, each sending a DSO Keepalive, and hold
    them ``hold`` seconds. Counts: ``failed`` (no TLS session), ``noerror`` and ``refused``
    (the Keepalive's RCODE), ``closed`` (by the server, by the end), ``silent`` (neither).
    The certificate is not checked: this is the hostile side."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, count + 100)), hard))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    sessions: list[ssl.SSLSocket] = []
    counts = dict.fromkeys(("failed", "noerror", "refused", "other", "closed", "silent"), 0)
    for i in range(count):
        try:
            raw = socket.create_connection((server, port), timeout=3)
            tls = context.wrap_socket(raw, server_hostname=None)
            tls.sendall(framed(dso_keepalive(i + 1)))
        except OSError:
            counts["failed"] += 1
            continue
        sessions.append(tls)
    deadline = time.monotonic() + hold
    for tls in sessions:
        tls.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            length = struct.unpack("!H", _read(tls, 2))[0]
            reply = _read(tls, length)
        except TimeoutError:
            counts["silent"] += 1
            continue
        except (OSError, ConnectionError):
            counts["closed"] += 1
            continue
        rcode = reply[3] & 0x0F
        counts["noerror" if rcode == 0 else "refused" if rcode == 5 else "other"] += 1
    for tls in sessions:
        with contextlib.suppress(OSError):
            tls.close()
    return counts


def ask_tcp(server: str, port: int, message: bytes) -> bytes:
    """One framed message over a fresh TCP connection; the reply's wire (b"" if closed)."""
    with socket.create_connection((server, port), timeout=5) as sock:
        sock.sendall(framed(message))
        try:
            length = struct.unpack("!H", _read(sock, 2))[0]
            return _read(sock, length)
        except ConnectionError:
            return b""
