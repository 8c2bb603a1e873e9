"""Names in connect (issue 12, item 3), in the lab, with no nss-mdns installed:
``.local`` host names through lanwise's own querier, over IPv4 and over an IPv6
link-local-only link, and DNS-SD service instances published by avahi-daemon and
python-zeroconf."""

from __future__ import annotations

import threading
import time

import pytest

from lanwise.dnssd import ResolveTimeoutError, ServiceConnection, connect, connect_service
from lanwise.errors import LanwiseError
from lanwise.net import ConnectError
from tests.harness import Host, Lab
from tests.harness.avahi import start_avahi
from tests.lab.dnssd.peers import zeroconf_publish
from tests.lab.net.test_connect import start_server

pytestmark = pytest.mark.lab

NO_BUS = "unix:path=/nonexistent/lanwise-test-bus"


def _no_nss_mdns(host: Host) -> None:
    """The system resolver cannot answer .local here: what lanwise does is all there is."""
    done = host.run("getent", "ahosts", f"{host.name}.local", check=False)
    assert done.returncode != 0


async def _fetch(host: str, port: int) -> tuple[str, str, str]:
    conn = await connect(host, port, timeout=10, bus_address=NO_BUS)
    async with conn:
        line = (await conn.reader.readline()).decode().strip()
        return line, str(conn.remote.address), conn.interface.name


def test_a_local_host_name_reaches_a_server_on_another_host(lab: Lab) -> None:
    client, server = lab.host("client"), lab.host("srv1")
    _no_nss_mdns(client)
    start_avahi(server)
    start_server(server, "0.0.0.0", 7101)
    seen, remote, used = client.wait(_fetch("srv1.local", 7101))
    assert seen == str(client.ipv4()) and remote == str(server.ipv4()) and used == "eth0"


def _link_local_only(host: Host) -> None:
    host.run("ip", "-4", "addr", "flush", "dev", "eth0")
    host.run("ip", "-6", "addr", "flush", "dev", "eth0", "scope", "global")


def test_a_local_host_name_over_an_ipv6_link_local_only_link(lab: Lab) -> None:
    """The only addresses are fe80::/10: the answer keeps the interface it came on,
    and the attempt is bound to it."""
    lan1, lan2 = lab.lan(), lab.lan()
    client, server = lab.host("client", [lan1, lan2]), lab.host("srv6", [lan1])
    for host in (client, server):
        _link_local_only(host)
    start_avahi(server, use_ipv4=False)
    start_server(server, "::", 7102)
    seen, remote, used = client.wait(_fetch("srv6.local", 7102))
    assert remote.startswith("fe80::") and remote.endswith("%eth0") and used == "eth0"
    assert seen.startswith("fe80::")


def test_a_service_instance_published_by_avahi(lab: Lab) -> None:
    client, server = lab.host("client"), lab.host("avsrv")
    avahi = start_avahi(server)
    start_server(server, "0.0.0.0", 7103)

    async def reach() -> tuple[str, str, int, str]:
        conn = await connect_service("Avahi Web", "_http._tcp", timeout=10, bus_address=NO_BUS)
        assert isinstance(conn, ServiceConnection)
        async with conn:
            line = (await conn.reader.readline()).decode().strip()
        return line, conn.service.name, conn.service.port, conn.service.host

    with avahi.publish_service("Avahi Web", "_http._tcp", 7103, ["path=/"]) as publication:
        publication.wait_established()
        seen, name, port, target = client.wait(reach())
    assert seen == str(client.ipv4())
    assert (name, port, target) == ("Avahi Web", 7103, "avsrv.local")


def test_a_service_instance_published_by_python_zeroconf(lab: Lab) -> None:
    client, server = lab.host("client"), lab.host("zc")
    start_server(server, "0.0.0.0", 7104)
    peer = threading.Thread(
        target=lambda: server.call(zeroconf_publish, "ZC Web", "_http._tcp", 7104, {}, 8.0)
    )
    peer.start()

    async def reach() -> tuple[str, str]:
        # python-zeroconf probes for about a second before it answers.
        for _ in range(5):
            try:
                conn = await connect_service("ZC Web", "_http._tcp", timeout=3, bus_address=NO_BUS)
            except ResolveTimeoutError:
                continue
            async with conn:
                line = (await conn.reader.readline()).decode().strip()
            return line, conn.service.host
        raise AssertionError("python-zeroconf's service never resolved")

    try:
        seen, target = client.wait(reach())
    finally:
        peer.join(30)
    assert seen == str(client.ipv4()) and target == "zc-peer.local"


@pytest.mark.serial  # a bound on the time to fail
def test_a_name_nobody_answers_fails_within_its_timeout_naming_it(lab: Lab) -> None:
    client = lab.host("client")

    async def attempt(timeout: float) -> tuple[LanwiseError, float]:
        started = time.monotonic()
        with pytest.raises(ConnectError) as info:
            await connect("nobody-here.local", 80, timeout=timeout, bus_address=NO_BUS)
        return info.value, time.monotonic() - started

    error, elapsed = client.wait(attempt(1.5))
    assert isinstance(error, TimeoutError) and "nobody-here.local" in str(error)
    assert elapsed < 2.5

    async def service() -> str:
        with pytest.raises(ResolveTimeoutError) as info:
            await connect_service("Nobody", "_http._tcp", timeout=1.5, bus_address=NO_BUS)
        return str(info.value)

    assert "Nobody._http._tcp.local" in client.wait(service())
