"""``lanwise share`` in the lab: advertised over DNS-SD, both LANs' URLs, live updates."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest

from lanwise.dnssd import resolve
from tests.harness import Lab

pytestmark = pytest.mark.lab


def _read_until(
    proc: subprocess.Popen[str], want: list[str], timeout: float = 20
) -> dict[str, Any]:
    """Read JSON snapshots until one holds every URL in ``want``."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        snapshot: dict[str, Any] = json.loads(line)
        urls = [a["url"] for i in snapshot["interfaces"] for a in i["addresses"]]
        if all(w in urls for w in want):
            return snapshot
    raise AssertionError(f"no snapshot with {want}")


def test_share_advertises_and_follows_addresses(lab: Lab) -> None:
    lan1, lan2 = lab.lan(), lab.lan()
    box = lab.host("box", [lan1, lan2])
    peer = lab.host("peer", [lan1])
    proc = box.popen(
        sys.executable,
        "-m",
        "lanwise",
        "share",
        "8080",
        "--name",
        "Lab box",
        "--json",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = _read_until(
            proc, [f"http://{box.ipv4(lan1)}:8080/", f"http://{box.ipv4(lan2)}:8080/"]
        )
        assert first["service_name"] == "Lab box"
        assert first["service_type"] == "_http._tcp"
        assert first["advertise_error"] is None
        assert first["host_url"] == f"http://{first['host_name']}:8080/"
        assert first["host_name"].endswith(".local")
        assert first["best_url"] == f"http://{box.ipv4(lan1)}:8080/"
        # Another host on lan1 finds the service over DNS-SD.
        info = peer.wait(resolve("Lab box", "_http._tcp", timeout=5), timeout=15)
        assert info.port == 8080
        assert f"{info.host}" == first["host_name"]
        assert box.ipv4(lan1) in info.all_addresses
        extra = lan2.ipv4_network.network_address + 88
        box.run("ip", "addr", "add", f"{extra}/24", "dev", "eth1")
        updated = _read_until(proc, [f"http://{extra}:8080/"])
        assert updated["service_name"] == "Lab box"
    finally:
        proc.terminate()
        proc.wait(10)


def test_share_rejects_a_bad_port_with_status_2(lab: Lab) -> None:
    box = lab.host("box")
    done = box.lanwise("share", "70000", "--once", check=False)
    assert done.returncode == 2
    assert "PORT" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    done = box.lanwise("share", "8080", "--interface", "eth9", "--once", check=False)
    assert done.returncode == 2
    assert "eth9" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_share_on_one_interface_without_advertising(lab: Lab) -> None:
    lan1, lan2 = lab.lan(), lab.lan()
    box = lab.host("box", [lan1, lan2])
    # --once prints the state as it is; wait until the link is up (carrier) first.
    for _ in range(250):
        if " UP " in box.run("ip", "-br", "link", "show", "dev", "eth1").stdout:
            break
        time.sleep(0.02)
    done = box.lanwise("share", "8080", "--interface", "eth1", "--no-advertise", "--once")
    assert "service  not advertised: --no-advertise" in done.stdout
    assert f"http://{box.ipv4(lan2)}:8080/" in done.stdout
    assert str(box.ipv4(lan1)) not in done.stdout
    assert "█" in done.stdout  # the QR code's full blocks
