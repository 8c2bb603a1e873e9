"""A query flooder for the lab: ``python -m tests.lab.robustness.flooder [--tc]
IFNAME SECONDS MAX_RATE NAME:TYPE...`` multicasts QM queries round-robin over the given
questions (plus one never-answered name per round) from port 5353 until SECONDS
pass or SECONDS*MAX_RATE packets are sent, then prints how many it sent.

``--tc``: every query has the TC bit (RFC 6762 §7.2: more known answers follow)
and lists 30 known answers, distinct in every packet, under the first question's
name."""

from __future__ import annotations

import socket
import struct
import sys
import time

from lanwise.dns import PTR, Flag, Message, Name, Question, Record, build_message

KNOWN_PER_PACKET = 30
TC_POOL = 1500  # distinct TC packets, sent round-robin


def _packet(question: Question, truncated: bool, serial: int) -> bytes:
    if not truncated:
        return build_message(Message(questions=(question,)))
    known = tuple(
        Record.of(question.name, PTR(Name(f"k{serial}-{i}.{question.name}")), 4500)
        for i in range(KNOWN_PER_PACKET)
    )
    return build_message(Message(flags=int(Flag.TC), questions=(question,), answers=known))


def main(*args: str) -> None:
    truncated = args[0] == "--tc"
    ifname, seconds, max_rate, *questions = args[1:] if truncated else args
    index = socket.if_nametoindex(ifname)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    mreqn = socket.inet_aton("224.0.0.251") + bytes(4) + struct.pack("=i", index)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
    sock.bind(("0.0.0.0", 5353))
    parsed = []
    for text in questions:
        name, qtype = text.rsplit(":", 1)
        parsed.append(Question(Name(name), int(qtype)))
    packets = [_packet(question, False, 0) for question in parsed]
    # TC queries: a pool of packets with distinct known answers, built before the clock
    # starts (building 30 records per packet would cap the rate).
    pool = [_packet(parsed[i % len(parsed)], True, i) for i in range(TC_POOL)] if truncated else []
    duration, rate = float(seconds), float(max_rate)
    limit = int(duration * rate)
    sent = 0
    start = time.monotonic()
    end = start + duration
    while sent < limit:
        now = time.monotonic()
        if now >= end:
            break
        # Pace to max_rate, in bursts of one round of questions.
        ahead = sent / rate - (now - start)
        if ahead > 0:
            time.sleep(ahead)
        if truncated:
            packets = [pool[(sent + i) % TC_POOL] for i in range(len(parsed))]
        for data in packets:
            try:
                sock.sendto(data, ("224.0.0.251", 5353))
            except OSError:
                continue  # ENOBUFS under load: count only what left
            sent += 1
        junk = build_message(Message(questions=(Question(Name(f"nobody-{sent}.local"), 1),)))
        try:
            sock.sendto(junk, ("224.0.0.251", 5353))
            sent += 1
        except OSError:
            pass
    print(sent, time.monotonic() - start, flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
