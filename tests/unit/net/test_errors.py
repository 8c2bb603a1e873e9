"""OS refusals become lanwise errors that say the cause (and, for sends, the fix)."""

from __future__ import annotations

import errno

from lanwise.errors import LanwiseError, PlatformError
from lanwise.net.endpoint import endpoint_of
from lanwise.net.errors import (
    AttemptFailure,
    BroadcastError,
    ConnectError,
    ConnectTimeoutError,
    ListenError,
    ListenFailure,
    describe_errno,
    explain_send_error,
)


def test_eacces_on_broadcast_names_so_broadcast() -> None:
    error = explain_send_error(OSError(errno.EACCES, "Permission denied"), "255.255.255.255", None)
    assert isinstance(error, BroadcastError) and isinstance(error, PlatformError)
    assert error.errno == errno.EACCES
    assert "SO_BROADCAST" in str(error)


def test_unreachable_limited_broadcast_explains_the_route() -> None:
    error = explain_send_error(
        OSError(errno.ENETUNREACH, "Network is unreachable"), "255.255.255.255", None
    )
    assert "no route" in str(error) and "broadcast()" in str(error)
    assert error.errno == errno.ENETUNREACH


def test_other_errors_keep_their_errno() -> None:
    error = explain_send_error(OSError(errno.EMSGSIZE, "Message too long"), "10.0.0.255", "eth0")
    assert error.errno == errno.EMSGSIZE and "eth0" in str(error)


def test_endpoint_of_unmaps_ipv4_and_keeps_zones() -> None:
    assert str(endpoint_of(("::ffff:10.0.0.2", 80, 0, 0)).address) == "10.0.0.2"
    scoped = endpoint_of(("fe80::1", 80, 0, 1), {1: "lo"})
    assert str(scoped.address) == "fe80::1%lo"
    assert str(scoped) == "[fe80::1%lo]:80"


def test_connect_errors_show_the_cause_not_asyncios_wording() -> None:
    """asyncio's sock_connect says only "Connect call failed"; the errno says why."""
    failure = AttemptFailure("10.0.0.9", 2, "eth0", errno.EHOSTUNREACH, describe_errno(113))
    error = ConnectError("box", 80, [failure])
    assert isinstance(error, LanwiseError) and error.errno == errno.EHOSTUNREACH
    assert str(error) == (
        "could not connect to box port 80:\n  10.0.0.9 via eth0: No route to host (EHOSTUNREACH)"
    )


def test_a_connect_timeout_is_a_timeout_and_a_lanwise_error() -> None:
    late = AttemptFailure("10.0.0.9", 2, "eth0", errno.ETIMEDOUT, "no answer before the timeout")
    error = ConnectTimeoutError("box", 80, 2.0, [late])
    assert isinstance(error, TimeoutError) and isinstance(error, ConnectError)
    assert error.errno == errno.ETIMEDOUT and error.failures == (late,)
    assert str(error).startswith("could not connect to box port 80 within 2 s:")
    assert "within 2 s: no address" in str(ConnectTimeoutError("box.local", 80, 2.0, []))


def test_listen_errors_name_each_interface_and_errno() -> None:
    failures = [
        ListenFailure(2, "eth0", 9100, errno.EADDRINUSE, describe_errno(errno.EADDRINUSE)),
        ListenFailure(3, "eth1", 9100, errno.EACCES, describe_errno(errno.EACCES)),
    ]
    error = ListenError(9100, failures)
    assert error.errno == errno.EADDRINUSE
    assert "eth0 (index 2) port 9100: Address already in use (EADDRINUSE)" in str(error)
    assert "eth1 (index 3) port 9100: Permission denied (EACCES)" in str(error)
