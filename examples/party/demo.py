"""``python -m examples.party demo``: a whole game in a lab of network namespaces (root).

A host on two LANs, one scripted CLI player on each: the second player reaches
the host only through its second interface. The host's screen is shown as it
plays. Nothing leaves the lab: every namespace has only its lab links.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from typing import IO

from tests.harness import Lab, lab_unusable_reason

PASSCODE = "314159"


def _relay(prefix: str, stream: IO[str]) -> None:
    for line in stream:
        print(f"{prefix}{line}", end="", flush=True)


def main() -> int:
    """Build the lab, play one game, tear it down; 0 when both players saw the end."""
    reason = lab_unusable_reason()
    if reason:
        print(f"demo: {reason}", file=sys.stderr)
        return 2
    party = [sys.executable, "-u", "-m", "examples.party"]
    with Lab() as lab:
        lan1, lan2 = lab.lan(), lab.lan()
        tv = lab.host("tv", [lan1, lan2])
        players = {"alice": lab.host("alice", [lan1]), "bob": lab.host("bob", [lan2])}
        host = tv.popen(
            *party, "host", "--name", "Demo party", "--passcode", PASSCODE, "--seats", "4",
            "--words", "cat,house", "--start-when", "2",
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        assert host.stdout is not None
        threading.Thread(target=_relay, args=("[tv]    ", host.stdout), daemon=True).start()
        time.sleep(2.0)  # the host probes its name (RFC 6762 §8.1) before players look
        procs = []
        for name, player in players.items():
            proc = player.popen(
                *party, "join", "Demo party", "--passcode", PASSCODE, "--player", name,
                "--guesses", "dog,cat,house",
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
            assert proc.stdout is not None
            threading.Thread(
                target=_relay, args=(f"[{name}] ".ljust(8), proc.stdout), daemon=True
            ).start()
            procs.append(proc)
            time.sleep(0.5)
        codes = [proc.wait(60) for proc in procs]
        time.sleep(1.0)
        host.terminate()
        host.wait(10)
    return 0 if codes == [0, 0] else 1
