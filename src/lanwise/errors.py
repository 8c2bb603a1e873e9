"""The lanwise exception hierarchy: one root, split by who is at fault.

- :class:`UsageError` — the caller passed something that breaks a rule (a bad
  service type, a port out of range). It names the field and the rule.
- :class:`ProtocolError` — a peer on the network sent something malformed.
  The engine counts and drops these; they only escape from the codec's
  public parse functions.
- :class:`PlatformError` — the operating system or the network refused
  (no eligible interface, permission denied, an interface vanished).
"""

from __future__ import annotations

__all__ = ["LanwiseError", "PlatformError", "ProtocolError", "UsageError"]


class LanwiseError(Exception):
    """Root of every error lanwise raises on purpose."""


class UsageError(LanwiseError, ValueError):
    """Bad input from the caller.

    ``field`` names what was wrong (``"port"``, ``"service type"``) and
    ``rule`` says which rule it broke, so the message can be shown as is.
    """

    def __init__(self, field: str, rule: str, value: object = None) -> None:
        self.field = field
        self.rule = rule
        self.value = value
        shown = f" (got {value!r})" if value is not None else ""
        super().__init__(f"{field}: {rule}{shown}")


class ProtocolError(LanwiseError):
    """Bad input from the network (a malformed or illegal packet)."""


class PlatformError(LanwiseError, OSError):
    """The operating system or the network environment refused an operation."""
