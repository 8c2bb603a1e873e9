"""``connect`` paths that need no network: resolver failures must end the attempt."""

from __future__ import annotations

import pytest

from lanwise.interfaces.model import InterfaceType
from lanwise.net import ConnectError, connect
from tests.unit.net.factory import make_interface


async def test_a_name_the_resolver_refuses_fails_instead_of_hanging() -> None:
    """A label over 63 characters makes getaddrinfo raise UnicodeError (the IDNA codec),
    not gaierror, before any query is sent: connect must end with ConnectError rather
    than wait for its timeout."""
    lo = make_interface(1, "lo", InterfaceType.LOOPBACK, ("127.0.0.1/8",))
    with pytest.raises(ConnectError) as info:
        await connect("x" * 64 + ".invalid", 80, interfaces=[lo], timeout=2)
    assert "not a valid host name" in str(info.value)
