"""listen() in the lab: all addresses, or per interface bound with SO_BINDTODEVICE."""

from __future__ import annotations

import asyncio
import errno
import socket
import time
from collections.abc import Callable

import pytest

from lanwise.errors import UsageError
from lanwise.interfaces.model import Interface
from lanwise.net import Listener, ListenError, ListenFailure, listen
from lanwise.net.sockopts import bind_to_interface
from tests.harness import Host, Lab

pytestmark = pytest.mark.lab


async def _echo_local(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(f"{writer.get_extra_info('sockname')[0]}\n".encode())
    await writer.drain()
    writer.close()


async def _ask(address: str, port: int) -> str:
    """The server's answer (its local address), or the name of the error."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(address, port), 3)
    except OSError as exc:
        return type(exc).__name__
    except TimeoutError:
        return "TimeoutError"
    try:
        return (await reader.readline()).decode().strip()
    finally:
        writer.close()


def ask(host: Host, address: object, port: int) -> str:
    return host.wait(_ask(str(address), port))


def test_all_addresses_ipv4_ipv6_and_loopback(lab: Lab) -> None:
    server, client = lab.host("server"), lab.host("client")

    async def start() -> Listener:
        return await listen(0, _echo_local)

    listener = server.wait(start())
    port = listener.port
    assert port > 0 and listener.interface_indexes == frozenset()
    assert ask(client, server.ipv4(), port) == str(server.ipv4())
    assert ask(client, server.ipv6(), port) == str(server.ipv6())
    assert ask(server, "127.0.0.1", port) == "127.0.0.1"
    assert ask(server, "::1", port) == "::1"
    server.wait(listener.close())
    assert ask(client, server.ipv4(), port) == "ConnectionRefusedError"


def test_per_interface_listener_and_a_new_address(lab: Lab) -> None:
    """Reachable through its interface, not through the other; an address added later
    works at once, with no restart (the socket is bound to the interface, not an address)."""
    lan1, lan2 = lab.lan(), lab.lan()
    server = lab.host("server", [lan1, lan2])
    c1, c2 = lab.host("c1", [lan1]), lab.host("c2", [lan2])

    async def start() -> Listener:
        return await listen(0, _echo_local, interfaces=["eth0"])

    listener = server.wait(start())
    port = listener.port
    assert listener.interface_indexes == {server.ifindex(lan1)}
    assert ask(c1, server.ipv4(lan1), port) == str(server.ipv4(lan1))
    assert ask(c1, server.ipv6(lan1), port) == str(server.ipv6(lan1))
    assert ask(c2, server.ipv4(lan2), port) == "ConnectionRefusedError"
    assert ask(c2, server.ipv6(lan2), port) == "ConnectionRefusedError"

    extra = lan1.ipv4_network.network_address + 200
    server.run("ip", "addr", "add", f"{extra}/24", "dev", "eth0")
    assert ask(c1, extra, port) == str(extra)
    server.wait(listener.close())


def test_interfaces_coming_and_going_open_and_close_sockets(lab: Lab) -> None:
    """A predicate selects interfaces; the monitor opens a socket when a matching
    interface appears and closes it when the interface goes away."""
    server, client = lab.host("server"), lab.host("client")

    def selected(iface: Interface) -> bool:
        return iface.name == "lw5"

    async def start() -> Listener:
        return await listen(0, _echo_local, interfaces=selected)

    listener = server.wait(start())
    port = listener.port
    assert listener.interface_indexes == frozenset()
    server.run(
        "ip", "link", "add", "lw5", "type", "veth", "peer", "name", "lw6", "netns", client.netns
    )
    server.run("ip", "addr", "add", "10.77.0.1/24", "dev", "lw5")
    server.run("ip", "link", "set", "lw5", "up")
    client.run("ip", "addr", "add", "10.77.0.2/24", "dev", "lw6")
    client.run("ip", "link", "set", "lw6", "up")
    wait_for(lambda: len(listener.interface_indexes) == 1)
    if port == 0:
        port = listener.port
    assert ask(client, "10.77.0.1", port) == "10.77.0.1"
    # The old LAN interface is not selected.
    assert ask(client, server.ipv4(), port) == "ConnectionRefusedError"
    server.run("ip", "link", "del", "lw5")
    wait_for(lambda: listener.interface_indexes == frozenset())
    server.wait(listener.close())


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def _taken(port: int = 0) -> socket.socket:
    """A listening socket on every address, without SO_REUSEADDR: the port is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("0.0.0.0", port))
    sock.listen()
    return sock


def test_a_port_taken_everywhere_raises_naming_each_interface(lab: Lab) -> None:
    """Issue 19 (API 1): it returned a Listener with no socket and only logged."""
    server = lab.host("server")

    async def start() -> str:
        blocker = _taken()
        try:
            port = blocker.getsockname()[1]
            with pytest.raises(ListenError) as info:
                await listen(port, _echo_local, interfaces=["eth0"])
            failure = info.value.failures[0]
            assert failure.interface_name == "eth0"
            assert failure.errno == errno.EADDRINUSE
            return str(info.value)
        finally:
            blocker.close()

    message = server.wait(start())
    assert "eth0" in message and "EADDRINUSE" in message


def test_an_interface_that_does_not_exist_is_a_usage_error(lab: Lab) -> None:
    server = lab.host("server")

    async def start() -> str:
        with pytest.raises(UsageError) as info:
            await listen(0, _echo_local, interfaces=["nosuch0"])
        return str(info.value)

    assert "nosuch0" in server.wait(start())


def test_a_later_failure_reaches_on_error(lab: Lab) -> None:
    """An interface that becomes selected while the port is taken on it: on_error hears
    it, and Listener.failures lists it (issue 19, API 1: it was only logged)."""
    server = lab.host("server")
    seen: list[ListenFailure] = []
    selected = {"eth0"}
    server.run("ip", "link", "add", "lw7", "type", "veth", "peer", "name", "lw8")
    blockers: list[socket.socket] = []

    async def start() -> Listener:
        # Created here, on the host's loop, so that it lives in the host's namespace.
        blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        blockers.append(blocker)
        listener = await listen(
            0, _echo_local, interfaces=lambda i: i.name in selected, on_error=seen.append
        )
        bind_to_interface(blocker, socket.if_nametoindex("lw7"), "lw7")
        blocker.bind(("0.0.0.0", listener.port))
        blocker.listen()
        return listener

    listener = server.wait(start())
    try:
        selected.add("lw7")
        server.run("ip", "link", "set", "lw7", "up")  # a change: the listener re-plans
        wait_for(lambda: bool(seen))
        assert seen[0].interface_name == "lw7" and seen[0].errno == errno.EADDRINUSE
        assert [f.interface_name for f in listener.failures] == ["lw7"]
        assert listener.interface_indexes == {server.ifindex()}
    finally:
        blockers[0].close()
        server.wait(listener.close())
