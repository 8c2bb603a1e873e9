"""connect() failures in the lab (issue 19, API 2): every one a lanwise error that
carries each attempt's address, interface and errno; no route fails at once; a
timeout says what it waited for; a link-local address needs its zone."""

from __future__ import annotations

import errno
import time

import pytest

from lanwise.errors import LanwiseError, UsageError
from lanwise.net import ConnectError, ConnectTimeoutError, connect
from tests.harness import Host, Lab, Lan
from tests.lab.net.test_connect import NO_BUS, start_server

pytestmark = pytest.mark.lab


def test_no_route_fails_at_once_with_the_cause(lab: Lab) -> None:
    """The lab hosts have no default route. A socket bound to its interface took the
    address to be on-link and gave up after ARP's 3 s as "Connect call failed"."""
    client = lab.host("client")

    async def attempt() -> tuple[ConnectError, float]:
        started = time.monotonic()
        with pytest.raises(ConnectError) as info:
            await connect("10.200.0.1", 80, bus_address=NO_BUS)
        return info.value, time.monotonic() - started

    error, elapsed = client.wait(attempt())
    assert elapsed < 1.0
    assert isinstance(error, LanwiseError) and error.errno == errno.ENETUNREACH
    assert [(f.address, f.interface_name, f.errno) for f in error.failures] == [
        ("10.200.0.1", "eth0", errno.ENETUNREACH)
    ]
    assert "Network is unreachable (ENETUNREACH)" in str(error)
    assert "eth0" in str(error)


def test_a_timeout_names_the_attempts_under_way(lab: Lab) -> None:
    """An on-link address nobody holds: ARP goes unanswered. It was a bare
    TimeoutError() with an empty message."""
    lan = lab.lan()
    client = lab.host("client", [lan])
    silent = str(lan.ipv4_network.network_address + 250)

    async def attempt() -> ConnectTimeoutError:
        with pytest.raises(ConnectTimeoutError) as info:
            await connect(silent, 80, timeout=0.5, bus_address=NO_BUS)
        return info.value

    error = client.wait(attempt())
    assert isinstance(error, TimeoutError) and isinstance(error, LanwiseError)
    assert f"{silent} port 80 within 0.5 s" in str(error)
    assert [(f.address, f.interface_name, f.errno) for f in error.failures] == [
        (silent, "eth0", errno.ETIMEDOUT)
    ]


def test_link_local_without_zone_needs_one_interface(lab: Lab) -> None:
    """fe80::… with no zone timed out; now it is a UsageError when two interfaces
    could carry it, and goes over the only one otherwise."""
    lan1, lan2 = lab.lan(), lab.lan()
    client = lab.host("client", [lan1, lan2])
    lone = lab.host("lone", [lan1])
    server = lab.host("server", [lan1])
    start_server(server, "::", 7002)
    target = str(server.ipv6_link_local(lan1)).split("%", 1)[0]
    _wait_link_local(client, lan2)

    async def two() -> str:
        with pytest.raises(UsageError) as info:
            await connect(target, 7002, timeout=5, bus_address=NO_BUS)
        return str(info.value)

    message = client.wait(two())
    assert "zone" in message and "eth0" in message and "eth1" in message

    async def one() -> tuple[str, str]:
        conn = await connect(target, 7002, timeout=5, bus_address=NO_BUS)
        async with conn:
            return (await conn.reader.readline()).decode().strip(), conn.interface.name

    line, used = lone.wait(one())
    assert used == "eth0" and line.startswith("fe80::")


def _wait_link_local(host: Host, lan: Lan, timeout: float = 5.0) -> None:
    """Until the interface has carrier and its link-local address (it may lag)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            host.ipv6_link_local(lan)
            return
        except LookupError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
