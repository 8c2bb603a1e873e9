"""Finding the system's mDNS responder and choosing who holds the host name.

/proc is faked with a directory tree (a socket table and per-process fd links),
so the port-5353 scan is checked without any real socket.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lanwise.dnssd.system import (
    SystemResponder,
    bound_inodes,
    plan_host,
    port_shared,
    udp_port_holders,
)
from lanwise.errors import UsageError

HEADER = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
    "   uid  timeout inode ref pointer drops\n"
)


def row(local: str, inode: int) -> str:
    return (
        f"  1: {local} 00000000:0000 07 00000000:00000000 00:00000000 00000000"
        f"   105        0 {inode} 2 0000000000000000 0\n"
    )


UDP = HEADER + row("00000000:14E9", 1001) + row("0100007F:0035", 1002) + row("FB0000E0:14E9", 1003)
UDP6 = HEADER + row("00000000000000000000000000000000:14E9", 1004) + "garbage line\n"


def fake_proc(tmp_path: Path, processes: dict[int, tuple[str, list[int]]]) -> Path:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "udp").write_text(UDP)
    (tmp_path / "net" / "udp6").write_text(UDP6)
    (tmp_path / "self" / "fd").mkdir(parents=True)
    for pid, (comm, inodes) in processes.items():
        fd = tmp_path / str(pid) / "fd"
        fd.mkdir(parents=True)
        (tmp_path / str(pid) / "comm").write_text(comm + "\n")
        for number, inode in enumerate(inodes):
            os.symlink(f"socket:[{inode}]", fd / str(number))
    return tmp_path


def test_bound_inodes_reads_the_local_port_of_each_row() -> None:
    assert bound_inodes(UDP) == {1001, 1003}
    assert bound_inodes(UDP6) == {1004}
    assert bound_inodes(UDP, 53) == {1002}
    assert bound_inodes("") == set()


def test_port_holders_name_the_processes_and_count_hidden_sockets(tmp_path: Path) -> None:
    proc = fake_proc(
        tmp_path,
        {
            10: ("avahi-daemon", [1001, 1004]),
            20: ("systemd-resolve", [1002]),  # bound to 53 only: not a 5353 holder
            30: ("python3", []),
        },
    )
    holders = udp_port_holders(proc=proc)
    assert holders == [
        SystemResponder("avahi", None, 10, "avahi-daemon"),
        SystemResponder("other", None),  # inode 1003: an owner we may not look into
    ]
    assert port_shared(proc=proc)
    assert port_shared(proc=proc, exclude={1001, 1004})  # 1003 is still someone else's
    assert not port_shared(proc=proc, exclude={1001, 1003, 1004})  # all ours


def test_nothing_bound_nothing_found(tmp_path: Path) -> None:
    assert udp_port_holders(proc=tmp_path) == []  # no /proc/net at all
    assert not port_shared(proc=tmp_path)


AVAHI = SystemResponder("avahi", "avhost.local", 10, "avahi-daemon", "dbus")
RESOLVE_ONLY = SystemResponder("systemd-resolved", None, via="dbus")
OTHER = SystemResponder("other", None, 30, "python3")


def test_auto_hands_the_host_name_to_a_responder_that_holds_one() -> None:
    plan = plan_host("auto", [AVAHI])
    assert (plan.mode, plan.label, plan.holder, plan.shares_port) == (
        "system",
        "avhost",
        AVAHI,
        True,
    )


@pytest.mark.parametrize("found", [[], [OTHER], [RESOLVE_ONLY, OTHER]])
def test_auto_keeps_the_host_name_when_nobody_holds_one(found: list[SystemResponder]) -> None:
    plan = plan_host("auto", found, host_name="mybox")
    assert (plan.mode, plan.label, plan.holder) == ("own", "mybox", None)
    assert plan.shares_port is bool(found)  # any other stack on 5353: no QU, no reverse PTRs


def test_auto_with_a_host_name_of_its_own_is_own_mode() -> None:
    plan = plan_host("auto", [AVAHI], host_name="mybox.local")
    assert (plan.mode, plan.label, plan.shares_port) == ("own", "mybox", True)


def test_explicit_modes() -> None:
    assert plan_host("own", [AVAHI], host_name="b").mode == "own"
    system = plan_host("system", [OTHER, AVAHI])
    assert (system.label, system.holder) == ("avhost", AVAHI)
    assert plan_host("system", [AVAHI], host_name="alias").label == "alias"
    alone = plan_host("system", [])  # asked for: the system host name, nobody seen
    assert alone.mode == "system" and alone.holder is None and not alone.shares_port


def test_a_bad_mode_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="host"):
        plan_host("mine", [])


def test_describe() -> None:
    assert AVAHI.describe() == "avahi-daemon (pid 10) as avhost.local"
    assert OTHER.describe() == "python3 (pid 30)"
    assert RESOLVE_ONLY.describe() == "systemd-resolved"
