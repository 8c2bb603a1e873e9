"""A long-running ``lanwise browse --json`` on a lab host, its events timestamped as they come."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.harness.netns import Host
from tests.lab.proxy_lab.world import stop_process


@dataclass(eq=False)
class Watch:
    """``lanwise browse ARGS --json`` running on ``host``; each event with its arrival time."""

    process: subprocess.Popen[str]
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @classmethod
    def start(cls, host: Host, *args: str) -> Watch:
        process = host.popen(
            sys.executable, "-m", "lanwise", "browse",
            "--json", *args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        watch = cls(process)
        threading.Thread(target=watch._read, daemon=True).start()
        return watch

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            now = time.monotonic()
            with self._changed:
                self.lines.append(line)
                if line.startswith("{"):
                    self.events.append((now, json.loads(line)))
                self._changed.notify_all()

    def wait_for(self, event: str, name: str, *, since: float, timeout: float) -> float | None:
        """When (monotonic) ``event`` ("added"/"removed") for ``name`` came after ``since``;
        None if it did not come within ``timeout`` of now."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for when, seen in self.events:
                    if when >= since and seen["event"] == event and seen["name"] == name:
                        return when
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    return None
                self._changed.wait(left)

    def names(self) -> set[str]:
        """The instances added and not removed since."""
        present: set[str] = set()
        with self._changed:
            for _, seen in self.events:
                if seen["event"] == "removed":
                    present.discard(seen["name"])
                else:
                    present.add(seen["name"])
        return present

    def output(self) -> str:
        with self._changed:
            return "".join(self.lines)

    def stop(self) -> None:
        stop_process(self.process)
