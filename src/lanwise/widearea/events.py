"""What happens to a wide-area registration after it is made: frozen events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

__all__ = ["LeaseLost", "LeaseRefreshFailed", "LeaseRefreshed", "RegistrationEvent"]


@dataclass(frozen=True, slots=True)
class LeaseRefreshed:
    """A refresh UPDATE succeeded; ``lease`` is the granted lease in seconds."""

    name: str
    lease: float


@dataclass(frozen=True, slots=True)
class LeaseRefreshFailed:
    """A refresh UPDATE failed; lanwise retries until the lease runs out."""

    name: str
    error: str


@dataclass(frozen=True, slots=True)
class LeaseLost:
    """The lease ran out with no successful refresh: the server may drop the records."""

    name: str
    error: str


RegistrationEvent: TypeAlias = LeaseRefreshed | LeaseRefreshFailed | LeaseLost
