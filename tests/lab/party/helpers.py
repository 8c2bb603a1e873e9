"""Running the party example's processes on lab hosts and reading what they print."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from tests.harness import Host


def start(host: Host, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """``python -m examples.party ARGS`` on ``host``, its output going to ``log``."""
    out = log.open("wb")
    return host.popen(
        sys.executable,
        "-u",
        "-m",
        "examples.party",
        *args,
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )


def browse(host: Host, log: Path) -> subprocess.Popen[bytes]:
    """``lanwise browse -r -p _lanwise-party._tcp`` on ``host``, into ``log``."""
    out = log.open("wb")
    return host.popen(
        sys.executable,
        "-u",
        "-m",
        "lanwise",
        "browse",
        "-r",
        "-p",
        "_lanwise-party._tcp",
        stdout=out,
        stderr=subprocess.STDOUT,
    )


def wait_for(log: Path, text: str, timeout: float = 20.0) -> str:
    """Wait until ``log`` holds ``text``; returns the whole log."""
    deadline = time.monotonic() + timeout
    while True:
        content = log.read_text(errors="replace") if log.exists() else ""
        if text in content:
            return content
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not in {log.name}:\n{content[-3000:]}")
        time.sleep(0.1)


def seats_seen(log: Path) -> list[str]:
    """Every ``seats`` TXT value in a ``lanwise browse -r -p`` log, in order (repeats dropped)."""
    seen: list[str] = []
    for line in log.read_text(errors="replace").splitlines():
        found = re.search(r'"seats=(\d+)"', line) if line.startswith("=") else None
        if found and (not seen or seen[-1] != found[1]):
            seen.append(found[1])
    return seen


def wait_for_seats(log: Path, value: str, timeout: float = 20.0) -> list[str]:
    """Wait until the browse log's latest seat count is ``value``."""
    deadline = time.monotonic() + timeout
    while True:
        seen = seats_seen(log)
        if seen and seen[-1] == value:
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"seats never {value}: saw {seen}")
        time.sleep(0.1)
