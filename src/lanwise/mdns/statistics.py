"""Counters the engine keeps, read through ``Engine.statistics()``."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["EngineStatistics", "InterfaceStatistics"]


@dataclass(slots=True)
class InterfaceStatistics:
    """Traffic on one interface (by index)."""

    packets_received: int = 0
    packets_sent: int = 0
    bytes_received: int = 0
    bytes_sent: int = 0
    queries_received: int = 0
    responses_received: int = 0
    malformed_dropped: int = 0
    off_link_dropped: int = 0
    ignored: int = 0  # well-formed but to be ignored (§18: non-zero opcode or rcode)


@dataclass(slots=True)
class EngineStatistics:
    """A snapshot of the engine's counters; ``interfaces`` is keyed by index."""

    interfaces: dict[int, InterfaceStatistics] = field(default_factory=dict)
    malformed_dropped: int = 0
    conflicts: int = 0
    renames: int = 0
    registrations: int = 0
    cache_size: int = 0
    internal_errors: int = 0  # exceptions caught while handling a packet: bugs, logged
    # §7.2: what a TC query asked us to hold that we did not (see mdns.answering).
    truncated_dropped: int = 0

    @property
    def packets_received(self) -> int:
        return sum(s.packets_received for s in self.interfaces.values())

    @property
    def packets_sent(self) -> int:
        return sum(s.packets_sent for s in self.interfaces.values())
