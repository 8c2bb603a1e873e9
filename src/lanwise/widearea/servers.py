"""Which DNS servers to ask: the ones given, or every configured one (``dns_servers``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lanwise.net.resolvers import RESOLV_CONF, dns_servers
from lanwise.widearea.client import ServerAddress, parse_server

__all__ = ["ServersInput", "configured_servers", "pick_servers"]

ServersInput = str | ServerAddress | Sequence[str | ServerAddress] | None


async def configured_servers(resolv_conf: Path | str = RESOLV_CONF) -> list[ServerAddress]:
    """The host's DNS servers (systemd-resolved's, then resolv.conf's), without repeats."""
    found: list[ServerAddress] = []
    for server in await dns_servers(resolv_conf=resolv_conf):
        address = ServerAddress(str(server.address), server.port)
        if address not in found:
            found.append(address)
    return found


async def pick_servers(
    servers: ServersInput, resolv_conf: Path | str = RESOLV_CONF
) -> list[ServerAddress]:
    """``servers`` parsed (one or several), or the configured ones when None."""
    if servers is None:
        return await configured_servers(resolv_conf)
    if isinstance(servers, str | ServerAddress):
        return [parse_server(servers)]
    return [parse_server(server) for server in servers]
