"""A query flooder for the lab: ``python -m tests.labtests.robustness.flooder IFNAME
SECONDS MAX_RATE NAME:TYPE...`` multicasts QM queries round-robin over the given
questions (plus one never-answered name per round) from port 5353 until SECONDS
pass or SECONDS*MAX_RATE packets are sent, then prints how many it sent."""

from __future__ import annotations

import socket
import struct
import sys
import time

from lanwise.dns import Message, Name, Question, build_message


def main(ifname: str, seconds: str, max_rate: str, *questions: str) -> None:
    index = socket.if_nametoindex(ifname)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    mreqn = socket.inet_aton("224.0.0.251") + bytes(4) + struct.pack("=i", index)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
    sock.bind(("0.0.0.0", 5353))
    packets = []
    for text in questions:
        name, qtype = text.rsplit(":", 1)
        packets.append(build_message(Message(questions=(Question(Name(name), int(qtype)),))))
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
