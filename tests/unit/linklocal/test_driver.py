"""The AF_PACKET driver's order of acts, with the socket and the interface faked.

RFC 3927 §2.4: a claimed address is used from its first announcement on, so it
goes on the interface only after that announcement has left. A program that
watches the interface (an mDNS responder) would otherwise send from an address
that is still being claimed (conformance check L7).
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address

import pytest

from lanwise.linklocal import driver
from lanwise.linklocal.arp import ArpPacket
from lanwise.linklocal.constants import RFC_TIMING

_MAC = bytes.fromhex("020000000001")
_FAST = RFC_TIMING.scaled(0.1)


class _FakeSocket:
    log: list[tuple[str, object]]

    def __init__(self, interface: int) -> None:
        self.name = f"eth{interface}"
        self.hardware_address = _MAC

    def send(self, frame: bytes) -> None:
        self.log.append(("send", ArpPacket.from_frame(frame)))

    def fileno(self) -> int:
        return -1

    def close(self) -> None:
        pass


def test_a_claimed_address_is_configured_after_its_first_announcement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """§2.4: the first announcement leaves before the address is added."""
    log: list[tuple[str, object]] = []
    _FakeSocket.log = log
    monkeypatch.setattr(driver, "ArpSocket", _FakeSocket)
    client = driver.LinkLocalClient(7, timing=_FAST, rng=random.Random(1))
    configured: list[IPv4Address] = []

    def configure(address: IPv4Address) -> None:
        configured.append(address)
        log.append(("configure", address))

    monkeypatch.setattr(client, "_configure", configure)
    machine = client._machine
    now = 0.0
    machine.start(now)
    while not configured:
        deadline = machine.get_timer()
        assert deadline is not None and deadline < 10.0
        now = deadline
        machine.handle_timer(now)
        client._service()
    where = log.index(("configure", configured[0]))
    before = [entry for entry in log[:where] if entry[0] == "send"]
    assert before, "nothing was sent before the address was configured"
    last = before[-1][1]
    assert isinstance(last, ArpPacket)
    # The announcement: sender and target both the claimed address (§2.4).
    assert last.sender_ip == configured[0] and last.target_ip == configured[0]
