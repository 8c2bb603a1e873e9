"""OS refusals on datagram sends become lanwise errors that say the cause and the fix."""

from __future__ import annotations

import errno

from lanwise.errors import PlatformError
from lanwise.net.endpoint import endpoint_of
from lanwise.net.errors import BroadcastError, explain_send_error


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
