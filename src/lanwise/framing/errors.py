"""Framing and pairing errors: bad bytes from a peer, named by the field that broke."""

from __future__ import annotations

from lanwise.errors import ProtocolError

__all__ = ["FramingError", "PairingError", "PairingRateLimitedError"]


class FramingError(ProtocolError):
    """A peer's bytes broke a framing rule; only that connection is closed.

    ``field`` names what was wrong (``"length"``, ``"tag"``, ``"frame"``) and
    ``rule`` the rule it broke, like :class:`~lanwise.errors.UsageError`.
    """

    def __init__(self, field: str, rule: str, value: object = None) -> None:
        self.field = field
        self.rule = rule
        self.value = value
        shown = f" (got {value!r})" if value is not None else ""
        super().__init__(f"{field}: {rule}{shown}")


class PairingError(FramingError):
    """Pairing failed: a wrong passcode (``field="passcode"``) or a broken pairing message."""


class PairingRateLimitedError(PairingError):
    """Too many failed pairings from one source: ``retry_after`` seconds until the next try."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("source", "too many wrong passcodes; wait before trying again")
        self.retry_after = retry_after
