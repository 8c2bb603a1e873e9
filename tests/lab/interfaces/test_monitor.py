"""The interface monitor on lab hosts: latency of `lanwise monitor`, event storms, DAD."""

from __future__ import annotations

import asyncio
import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

import pytest

from lanwise.interfaces import (
    AddressAdded,
    AddressChanged,
    Interface,
    InterfaceEvent,
    list_interfaces,
    open_monitor,
)
from lanwise.interfaces.events import apply_event
from tests.harness import Host, Lab

pytestmark = pytest.mark.lab

LATENCY_LIMIT = 0.100  # seconds from the command to the printed event (the bar)


def _lines(stream: IO[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _wait_for(lines: queue.Queue[str], predicate: Any, timeout: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("the expected event was not printed")
        event: dict[str, Any] = json.loads(lines.get(timeout=remaining))
        if predicate(event):
            return event


def _run_timed(host: Host, command: str) -> float:
    """Run ``command`` on ``host``; return the wall-clock time just before it started.

    bash reads the clock ($EPOCHREALTIME, no fork) and then execs the command, so
    the time excludes starting ``ip netns exec`` and the shell, which on a loaded
    machine alone can take longer than the latency being measured.
    """
    done = host.run("bash", "-c", f"echo $EPOCHREALTIME; exec {command}")
    return float(done.stdout.split()[0])


def test_monitor_prints_address_added_and_link_down_within_100_ms(lab: Lab) -> None:
    a = lab.host("a")
    index = a.ifindex()
    proc = a.popen(
        sys.executable, "-m", "lanwise", "monitor", "--json",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    ready = proc.stderr.readline()
    assert "monitoring" in ready, ready
    lines = _lines(proc.stdout)

    started = _run_timed(a, "ip addr add 10.99.1.200/24 dev eth0")
    event = _wait_for(
        lines,
        lambda e: e["event"] == "address_added" and e["address"]["address"] == "10.99.1.200",
    )
    added_after = event["time"] - started
    assert event["index"] == index and event["name"] == "eth0"
    assert event["address"]["prefixlen"] == 24

    started = _run_timed(a, "ip link set eth0 down")
    event = _wait_for(lines, lambda e: e["event"] == "interface_down" and e["index"] == index)
    down_after = event["time"] - started
    assert "UP" not in event["interface"]["flags"] and "UP" in event["old"]["flags"]

    # An interface created while monitoring: its events carry its name, not its index.
    a.run("ip", "link", "add", "br7", "type", "bridge")
    a.run("ip", "addr", "add", "10.77.7.1/24", "dev", "br7")
    event = _wait_for(lines, lambda e: e["event"] == "address_added" and e["name"] == "br7")
    assert event["address"]["address"] == "10.77.7.1"

    print(
        f"latency: address added {added_after * 1000:.1f} ms, link down {down_after * 1000:.1f} ms"
    )
    assert added_after < LATENCY_LIMIT
    assert down_after < LATENCY_LIMIT


def _storm_batch(path: Path) -> int:
    """1,200 additions then 800 removals: 2,000 address changes on eth0."""
    commands = []
    for i in range(600):
        commands.append(f"addr add 10.55.{i // 200}.{i % 200 + 1}/32 dev eth0")
        commands.append(f"addr add fd55::{i + 1:x}/128 dev eth0 nodad")
    for i in range(400):
        commands.append(f"addr del 10.55.{i // 200}.{i % 200 + 1}/32 dev eth0")
        commands.append(f"addr del fd55::{i + 1:x}/128 dev eth0")
    path.write_text("\n".join(commands) + "\n")
    return len(commands)


def _fold(state: dict[int, Interface], events: list[InterfaceEvent]) -> dict[int, Interface]:
    out = dict(state)
    for event in events:
        apply_event(out, event)
    return out


def test_event_storm_overruns_the_buffer_and_resyncs_to_the_truth(lab: Lab, tmp_path: Path) -> None:
    a = lab.host("a")
    batch = tmp_path / "storm.batch"
    assert _storm_batch(batch) == 2000
    opened = threading.Event()
    storm_done = threading.Event()

    async def scenario() -> tuple[Any, ...]:
        # The smallest receive buffer the kernel allows: a few notifications fit.
        async with open_monitor(receive_buffer=1) as monitor:
            first = monitor.snapshot()
            opened.set()
            while not storm_done.is_set():
                await asyncio.sleep(0.01)
            # Let the monitor catch up: its state must reach a fresh dump's.
            deadline = time.monotonic() + 15
            truth = list_interfaces()
            while monitor.snapshot() != {i.index: i for i in truth} and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
                truth = list_interfaces()
            events = []
            while (event := monitor.next_event_nowait()) is not None:
                events.append(event)
            return first, monitor.snapshot(), truth, events, monitor.statistics()

    future = a.submit(scenario())
    assert opened.wait(10)
    a.run("ip", "-batch", str(batch))
    storm_done.set()
    first, final, truth, events, stats = future.result(60)

    print(f"storm: {stats}")
    assert stats.resyncs >= 1, f"the storm did not overrun the buffer: {stats}"
    assert final == {i.index: i for i in truth}
    assert _fold(first, events) == final
    eth0 = final[a.ifindex()]
    assert len(eth0.ipv4_addresses) == 1 + 200 and len(eth0.ipv6_addresses) >= 1 + 200


def test_dad_finishing_is_reported_as_an_address_change(lab: Lab) -> None:
    """RFC 4862 §5.4: an address stays tentative until duplicate address detection ends."""
    a = lab.host("a", dad=True)
    a.run(
        "sysctl",
        "-q",
        "-w",
        "net.ipv6.conf.eth0.dad_transmits=1",
        "net.ipv6.neigh.eth0.retrans_time_ms=200",
    )

    async def scenario(host: Host) -> list[InterfaceEvent]:
        seen: list[InterfaceEvent] = []
        async with open_monitor() as monitor:
            await asyncio.to_thread(
                host.run, "ip", "addr", "add", "fd99:0:0:1::77/64", "dev", "eth0"
            )
            async with asyncio.timeout(10):
                async for event in monitor:
                    if isinstance(event, AddressAdded | AddressChanged) and "fd99:0:0:1::77" in str(
                        event
                    ):
                        seen.append(event)
                        if isinstance(event, AddressChanged):
                            return seen
        return seen

    added, changed = a.wait(scenario(a))
    assert isinstance(added, AddressAdded) and added.address.tentative
    assert isinstance(changed, AddressChanged)
    assert changed.old.tentative and not changed.new.tentative
