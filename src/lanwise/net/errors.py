"""Errors of the scoped-socket layer: every one a :class:`~lanwise.errors.PlatformError`."""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lanwise.errors import PlatformError

__all__ = [
    "AttemptFailure",
    "BroadcastError",
    "ConnectError",
    "ConnectTimeoutError",
    "ListenError",
    "ListenFailure",
    "NoEligibleInterfaceError",
    "Rejection",
    "explain_send_error",
]


def describe_errno(code: int | None, fallback: str = "") -> str:
    """``"No route to host (EHOSTUNREACH)"``: the OS's text and the symbol, for messages.

    asyncio's ``sock_connect`` replaces the text with "Connect call failed", so
    messages are built from the number, never from ``strerror``.
    """
    if not code:
        return fallback or "unknown error"
    return f"{os.strerror(code)} ({errno.errorcode.get(code, code)})"


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


@dataclass(frozen=True, slots=True)
class AttemptFailure:
    """How one step of a connect failed: an attempt (address over an interface) or a lookup.

    ``address`` is the destination tried (None for a failed name lookup),
    ``interface_index``/``interface_name`` the interface the attempt was bound
    to (0/"" for a lookup), ``errno`` the OS error number (0 when there is
    none, e.g. a timed-out attempt), ``reason`` the text shown.
    """

    address: str | None
    interface_index: int
    interface_name: str
    errno: int
    reason: str

    def __str__(self) -> str:
        if self.address is None:
            return self.reason
        return f"{self.address} via {self.interface_name or '?'}: {self.reason}"


def _failure_lines(failures: Sequence[AttemptFailure]) -> str:
    return "\n".join(f"  {f}" for f in failures)


class ConnectError(PlatformError):
    """Every connection attempt failed.

    ``failures`` lists each attempt (address, interface, errno) and each failed
    lookup; ``errno`` is that of the last failure with one.
    """

    def __init__(self, host: str, port: int, failures: Sequence[AttemptFailure]) -> None:
        self.host = host
        self.port = port
        self.failures = tuple(failures)
        if failures:
            message = f"could not connect to {host} port {port}:\n{_failure_lines(failures)}"
        else:
            message = f"could not connect to {host} port {port}: the name has no address"
        codes = [f.errno for f in failures if f.errno]
        super().__init__(codes[-1] if codes else errno.EHOSTUNREACH, message)

    def __str__(self) -> str:
        return str(self.strerror)


class ConnectTimeoutError(ConnectError, TimeoutError):
    """No connection within the caller's ``timeout``.

    ``failures`` lists the attempts that failed before, and the ones still
    under way when the time ran out (``errno`` ETIMEDOUT).
    """

    def __init__(
        self, host: str, port: int, timeout: float, failures: Sequence[AttemptFailure]
    ) -> None:
        self.host = host
        self.port = port
        self.failures = tuple(failures)
        self.timeout = timeout
        if failures:
            message = (
                f"could not connect to {host} port {port} within {timeout:g} s:\n"
                f"{_failure_lines(failures)}"
            )
        else:
            message = (
                f"could not connect to {host} port {port} within {timeout:g} s: "
                "no address was found for the name in that time"
            )
        PlatformError.__init__(self, errno.ETIMEDOUT, message)


@dataclass(frozen=True, slots=True)
class ListenFailure:
    """A socket a listener could not open: on which interface (0: all addresses), why."""

    interface_index: int
    interface_name: str
    port: int
    errno: int
    reason: str

    def __str__(self) -> str:
        where = self.interface_name or "all addresses"
        return f"{where} (index {self.interface_index}) port {self.port}: {self.reason}"


class ListenError(PlatformError):
    """A listener could bind nothing; ``failures`` says, per interface, why."""

    def __init__(self, port: int, failures: Sequence[ListenFailure]) -> None:
        self.port = port
        self.failures = tuple(failures)
        lines = "\n".join(f"  {f}" for f in failures)
        message = f"cannot listen on port {port}:\n{lines}"
        codes = [f.errno for f in failures if f.errno]
        super().__init__(codes[0] if codes else errno.EADDRINUSE, message)

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
