"""Building frozen codec objects without their validating constructors.

Questions, records, messages and rdata are frozen slotted dataclasses whose
``__init__`` validates every field (bad input from a caller raises a
UsageError). Data coming off the wire was already bounds-checked by the
parser, and going through the frozen ``__setattr__`` guard six times per
record would cost more than the rest of decoding it. So the decoders fill a
*twin*: a plain class with the same slot layout (the same slots on the same
base), with ordinary slot stores, and then :func:`finish_as` gives it its
real class. The result is an ordinary instance in every respect; the twins
never escape this package.
"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["finish_as"]

T = TypeVar("T")


def finish_as(twin: object, cls: type[T]) -> T:
    """Make ``twin`` an instance of ``cls`` (same slot layout) and return it.

    Python checks the layouts match on the assignment and raises TypeError if
    they do not, so a twin that drifts from its class fails loudly in tests.
    """
    twin.__class__ = cls
    return twin  # type: ignore[return-value]  # it is a cls now
