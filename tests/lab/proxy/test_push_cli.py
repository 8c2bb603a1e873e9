"""DNS Push from ``lanwise proxy --push-port`` to ``lanwise browse -d`` on a real link (RFC 8765).

One LAN: publishers, the proxy with a self-signed certificate for its domain's
apex (the default SRV target), and a client browsing with ``--push-ca`` and a
30 s poll floor, so only Push can bring a change in time.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from typing import Any

from tests.harness import Lab
from tests.unit.proxy.fakesource import make_certificate

DOMAIN = "lan-a.example.test"


def _reader(stream: Any, lines: queue.Queue[dict[str, Any]]) -> None:
    for line in stream:
        if line.startswith("{"):
            lines.put(json.loads(line))


def _next(lines: queue.Queue[dict[str, Any]], timeout: float) -> dict[str, Any]:
    return lines.get(timeout=timeout)


def test_browse_follows_a_link_over_push(lab: Lab) -> None:
    lan = lab.lan()
    pub, proxy, client = lab.host("pub", [lan]), lab.host("proxy", [lan]), lab.host("cl", [lan])
    cert, key = make_certificate(lab.workdir, DOMAIN)
    pub.popen(
        sys.executable, "-m", "lanwise", "publish", "First", "_http._tcp", "8080",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    server = str(proxy.ipv4())
    with (lab.workdir / "proxy.err").open("w") as errors:
        running = proxy.popen(
            sys.executable, "-m", "lanwise", "proxy", "--link", f"eth0={DOMAIN}", "--wait", "2",
            "--push-port", "853", "--tls-cert", str(cert), "--tls-key", str(key),
            stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
    time.sleep(1.0)
    with (lab.workdir / "browse.err").open("w") as errors:
        browser = client.popen(
            sys.executable, "-m", "lanwise", "browse", "-d", DOMAIN, "--server", server,
            "--push-ca", str(cert), "--poll-floor", "30", "--json", "_http._tcp",
            stdout=subprocess.PIPE, stderr=errors, text=True,
        )  # fmt: skip
    lines: queue.Queue[dict[str, Any]] = queue.Queue()
    threading.Thread(target=_reader, args=(browser.stdout, lines), daemon=True).start()
    first = _next(lines, 20)
    assert (first["event"], first["name"]) == ("added", "First"), first
    # The first answer came by Push or by a poll; from here the 30 s floor leaves only Push.
    time.sleep(2.0)
    second = pub.popen(
        sys.executable, "-m", "lanwise", "publish", "Second", "_http._tcp", "8081",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    started = time.monotonic()
    added = _next(lines, 10)
    assert (added["event"], added["name"]) == ("added", "Second"), added
    took_add = time.monotonic() - started  # includes the publisher's probing (~0.75 s)
    second.terminate()  # its goodbye (TTL 0) is removed from caches 1 s later (RFC 6762 §10.1)
    started = time.monotonic()
    removed = _next(lines, 10)
    assert (removed["event"], removed["name"]) == ("removed", "Second"), removed
    took_remove = time.monotonic() - started
    print(f"push: added after {took_add:.2f} s, removed after {took_remove:.2f} s")
    assert took_add < 3 and took_remove < 3, (took_add, took_remove)
    errors_text = (lab.workdir / "browse.err").read_text()
    assert running.poll() is None, (lab.workdir / "proxy.err").read_text()
    assert browser.poll() is None, errors_text
