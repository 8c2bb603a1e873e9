"""Debian's chromium, headless, inside a lab host, driven over the DevTools protocol.

The DevTools endpoint listens on the host's own loopback, so the driver runs on
the host's event loop (:meth:`Host.wait`), talking CDP with the websockets library.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.harness.netns import Host

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--window-size=800,900",
)


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    return None if shutil.which(CHROMIUM) else f"{CHROMIUM} is not installed"


def start_chromium(host: Host, profile: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start chromium on ``host`` with a fresh profile; returns it and its DevTools URL."""
    profile.mkdir(parents=True, exist_ok=True)
    proc = host.popen(
        CHROMIUM,
        *FLAGS,
        f"--user-data-dir={profile}",
        "about:blank",
        stdout=subprocess.DEVNULL,
        stderr=(profile / "stderr.log").open("wb"),
    )
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while not port_file.exists() or len(port_file.read_text().split()) < 2:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("chromium did not start: " + (profile / "stderr.log").read_text())
        time.sleep(0.1)
    port, path = port_file.read_text().split()[:2]
    return proc, f"ws://127.0.0.1:{port}{path}"


class Page:
    """One page target: ``call`` a CDP method, ``evaluate`` JavaScript."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._ids = itertools.count(1)

    @classmethod
    async def open(cls, devtools: str) -> Page:
        """The first page target of the browser whose DevTools URL is ``devtools``."""
        async with connect(devtools, max_size=None) as browser:
            await browser.send(json.dumps({"id": 1, "method": "Target.getTargets"}))
            while True:
                reply = json.loads(await browser.recv())
                if reply.get("id") == 1:
                    break
        target = next(t for t in reply["result"]["targetInfos"] if t["type"] == "page")
        base = devtools.split("/devtools/", 1)[0]
        ws = await connect(f"{base}/devtools/page/{target['targetId']}", max_size=None)
        return cls(ws)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer (events in between are skipped)."""
        ident = next(self._ids)
        await self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            reply = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
            if reply.get("id") == ident:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply["result"]
                return result

    async def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression (promises awaited)."""
        result = await self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def close(self) -> None:
        """Close the DevTools connection."""
        await self.ws.close()
