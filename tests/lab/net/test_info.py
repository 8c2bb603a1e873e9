"""Connection info in the lab: both LANs' URLs, and a new snapshot when an address appears."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib

import pytest

from lanwise.net import ConnectionInfo, InfoState, watch_connection_info
from tests.harness import Lab

pytestmark = pytest.mark.lab


def test_lists_both_lans_and_follows_a_new_address(lab: Lab) -> None:
    lan1, lan2 = lab.lan(), lab.lan()
    server = lab.host("server", [lan1, lan2])
    snapshots: asyncio.Queue[ConnectionInfo] = asyncio.Queue()

    async def follow() -> None:
        it = watch_connection_info(8080, host_name="server.local", service_name="Lab server")
        async for info in it:
            await snapshots.put(info)

    async def next_snapshot(*wants: str) -> ConnectionInfo:
        while True:
            info = await asyncio.wait_for(snapshots.get(), 5)
            if all(want in info.urls for want in wants):
                return info

    task = server.submit(follow())
    # Links come up one after the other: wait for the snapshot that has both LANs.
    first = server.wait(
        next_snapshot(
            f"http://{server.ipv4(lan2)}:8080/",
            f"http://[{server.ipv6_link_local(lan2)}%25eth1]:8080/",
        )
    )
    assert first.state == InfoState.READY
    assert first.urls[0] == "http://server.local:8080/"
    assert [i.name for i in first.interfaces] == ["eth0", "eth1"]
    for lan, ifname in ((lan1, "eth0"), (lan2, "eth1")):
        entry = next(i for i in first.interfaces if i.name == ifname)
        urls = [a.url for a in entry.addresses]
        assert urls[0] == f"http://{server.ipv4(lan)}:8080/"
        assert f"http://[{server.ipv6(lan)}]:8080/" in urls
        assert f"http://[{server.ipv6_link_local(lan)}%25{ifname}]:8080/" in urls

    extra = lan2.ipv4_network.network_address + 77
    server.run("ip", "addr", "add", f"{extra}/24", "dev", "eth1")
    updated = server.wait(next_snapshot(f"http://{extra}:8080/"))
    eth1 = next(i for i in updated.interfaces if i.name == "eth1")
    assert str(extra) in {str(a.address) for a in eth1.addresses}

    # Cancelling the thread-safe future cancels the task on the host's loop, which
    # closes the monitor through the iterator's async-with.
    task.cancel()
    with contextlib.suppress(concurrent.futures.CancelledError):
        task.result(5)
