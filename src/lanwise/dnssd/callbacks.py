"""Callback lists of the registrations: add with a remover, call each without letting
one that fails stop the others or the caller."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
C = TypeVar("C")


def add_callback(callbacks: list[C], callback: C) -> Callable[[], None]:
    """Append ``callback``; return a function that removes it (once, harmlessly twice)."""
    callbacks.append(callback)

    def remove() -> None:
        with contextlib.suppress(ValueError):
            callbacks.remove(callback)

    return remove


def call_each(
    callbacks: Iterable[Callable[P, object]],
    log: logging.Logger,
    what: str,
    *args: P.args,
    **kwargs: P.kwargs,
) -> None:
    """Call every callback (over a copy: one may remove itself); log those that raise."""
    for callback in tuple(callbacks):
        try:
            callback(*args, **kwargs)
        except Exception:
            log.exception("%s callback %r failed", what, callback)
