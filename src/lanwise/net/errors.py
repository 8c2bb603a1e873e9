"""Errors of the scoped-socket layer: every one a :class:`~lanwise.errors.PlatformError`."""

from __future__ import annotations

import errno
from collections.abc import Mapping, Sequence

from lanwise.errors import PlatformError

__all__ = [
    "BroadcastError",
    "ConnectError",
    "NoEligibleInterfaceError",
    "Rejection",
    "explain_send_error",
]


class Rejection:
    """Why one interface was ruled out for a connection: its name and the reasons."""

    __slots__ = ("index", "name", "reasons")

    def __init__(self, index: int, name: str, reasons: Sequence[str]) -> None:
        self.index = index
        self.name = name
        self.reasons = tuple(reasons)

    def __repr__(self) -> str:
        return f"Rejection({self.index}, {self.name!r}, {self.reasons!r})"

    def __str__(self) -> str:
        return f"{self.name} (index {self.index}): {'; '.join(self.reasons)}"


class NoEligibleInterfaceError(PlatformError):
    """No interface satisfies the connection's requirements.

    ``rejections`` maps each interface index to the :class:`Rejection` that
    says why it was ruled out; the message lists them all.
    """

    def __init__(self, rejections: Mapping[int, Rejection]) -> None:
        self.rejections = dict(rejections)
        if rejections:
            lines = "\n".join(f"  {r}" for r in rejections.values())
            message = f"no eligible interface:\n{lines}"
        else:
            message = "no eligible interface: this host has no network interface"
        super().__init__(errno.ENETUNREACH, message)

    def __str__(self) -> str:
        return str(self.strerror)


class ConnectError(PlatformError):
    """Every connection attempt failed; ``attempts`` lists (description, OSError) pairs."""

    def __init__(self, host: str, port: int, attempts: Sequence[tuple[str, OSError]]) -> None:
        self.host = host
        self.port = port
        self.attempts = tuple(attempts)
        if attempts:
            lines = "\n".join(f"  {where}: {exc.strerror or exc}" for where, exc in attempts)
            message = f"could not connect to {host} port {port}:\n{lines}"
        else:
            message = f"could not connect to {host} port {port}: the name has no address"
        code = attempts[-1][1].errno if attempts and attempts[-1][1].errno else errno.EHOSTUNREACH
        super().__init__(code, message)

    def __str__(self) -> str:
        return str(self.strerror)


class BroadcastError(PlatformError):
    """The OS refused a broadcast or multicast send; the message says why and what to do."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message)

    def __str__(self) -> str:
        return str(self.strerror)


def explain_send_error(exc: OSError, destination: str, interface: str | None) -> PlatformError:
    """Turn an OS error from a datagram send into a lanwise error with cause and fix."""
    where = f" on {interface}" if interface else ""
    code = exc.errno or 0
    limited = destination == "255.255.255.255"
    if code == errno.EACCES:
        # For IPv4 the kernel answers EACCES to a broadcast send without SO_BROADCAST;
        # otherwise it is a firewall rule.
        return BroadcastError(
            code,
            f"sending to {destination}{where} was refused (EACCES): a broadcast address "
            "needs SO_BROADCAST on the socket (lanwise's datagram endpoint sets it; "
            "DatagramEndpoint.broadcast() sends the directed broadcasts), otherwise a "
            "firewall rule rejects this destination.",
        )
    if code in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        if limited:
            return BroadcastError(
                code,
                f"sending to {destination}{where} failed ({errno.errorcode[code]}): the "
                "limited broadcast address is routed like any other, and this host has no "
                "route for it (often: no default route). Use DatagramEndpoint.broadcast(), "
                "which sends one directed broadcast per interface, or bind the socket to an "
                "interface (SO_BINDTODEVICE).",
            )
        return BroadcastError(
            code,
            f"sending to {destination}{where} failed ({errno.errorcode[code]}): no route "
            "to that address from this interface",
        )
    if code == errno.ENODEV:
        return BroadcastError(code, f"sending to {destination}{where}: the interface is gone")
    if code == errno.EADDRNOTAVAIL:
        return BroadcastError(
            code,
            f"sending to {destination}{where}: the interface has no usable source address "
            "of that family yet",
        )
    return BroadcastError(code, f"sending to {destination}{where}: {exc.strerror or exc}")
