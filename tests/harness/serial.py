"""Tests marked ``serial`` run with no other test beside them under pytest-xdist.

``scripts/test`` runs the suite on several xdist workers: lab tests mostly wait
on RFC timers, so they overlap well. A few cannot share the machine: they bound
a wall-clock time (a goodbye within two seconds) or burn CPU (a query flood, a
browser). Every test of a run takes a shared lock on a file the run's workers
share; a ``serial`` test takes it exclusively, so it starts once the tests
already running end, and none starts beside it. A turnstile lock in front keeps
a waiting ``serial`` test from being starved by a stream of shared holders.
Without xdist (``-n 0``, or plain ``pytest``) nothing is locked.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import gettempdir


def _lock_dir() -> Path | None:
    """The directory of this run's lock files, or None when not an xdist worker."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run or not os.environ.get("PYTEST_XDIST_WORKER"):
        return None
    directory = Path(gettempdir()) / f"lanwise-serial-{run}"
    directory.mkdir(exist_ok=True)
    return directory


@contextmanager
def turn(serial: bool) -> Iterator[None]:
    """Hold the run's lock for one test: exclusively if ``serial``, else shared."""
    directory = _lock_dir()
    if directory is None:
        yield
        return
    turnstile = os.open(directory / "turnstile", os.O_RDWR | os.O_CREAT, 0o600)
    room = os.open(directory / "room", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(room, fcntl.LOCK_EX if serial else fcntl.LOCK_SH)
        finally:
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        yield
    finally:
        os.close(room)  # closing releases the lock
        os.close(turnstile)
