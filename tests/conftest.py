"""Shared fixtures: the network lab."""

from __future__ import annotations

import signal
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from tests.harness import Lab, lab_unusable_reason
from tests.harness.serial import turn

_unusable: list[str | None] = []


def pytest_configure(config: pytest.Config) -> None:
    """Make SIGINT interruptible here, and so in every process a test starts.

    A command started in the background by a non-interactive shell (``./scripts/test &``,
    some CI runners) inherits SIGINT ignored, and an ignored signal stays ignored across
    exec: the CLI processes the lab tests stop with Ctrl-C would never see it. With
    a handler here instead, exec resets it to the default in each child.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _lab_reason() -> str | None:
    if not _unusable:
        _unusable.append(lab_unusable_reason())
    return _unusable[0]


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """A fresh lab, always torn down; skips with one reason where it cannot run."""
    reason = _lab_reason()
    if reason is not None:
        pytest.skip(reason)
    with Lab(tmp_path) as the_lab:
        yield the_lab


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, None, None]:
    """Under xdist a ``serial`` test runs alone: setup, call and teardown (tests.harness.serial)."""
    with turn(item.get_closest_marker("serial") is not None):
        yield
