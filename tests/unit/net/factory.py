"""Interface values for the net unit tests (plain model objects, no host state)."""

from __future__ import annotations

from ipaddress import IPv6Address, ip_interface

from lanwise.interfaces.model import (
    Address,
    AddressScope,
    Interface,
    InterfaceFlags,
    InterfaceType,
    OperState,
)

UP = (
    InterfaceFlags.UP | InterfaceFlags.RUNNING | InterfaceFlags.BROADCAST | InterfaceFlags.MULTICAST
)


def make_interface(
    index: int,
    name: str,
    kind: InterfaceType = InterfaceType.WIRED,
    addresses: tuple[str, ...] = (),
    *,
    flags: InterfaceFlags = UP,
    tentative: tuple[str, ...] = (),
    temporary: tuple[str, ...] = (),
    deprecated: tuple[str, ...] = (),
) -> Interface:
    """An interface with ``addresses`` given as text with prefix ("10.0.0.2/24", "fe80::1/64")."""
    addrs = []
    for text in addresses:
        iface = ip_interface(text)
        ip = iface.ip
        scope = AddressScope.GLOBAL
        if ip.is_link_local:
            scope = AddressScope.LINK
            if ip.version == 6:
                ip = IPv6Address(f"{ip}%{name}")
        elif ip.is_loopback:
            scope = AddressScope.HOST
        addrs.append(
            Address(
                address=ip,
                prefixlen=iface.network.prefixlen,
                interface_index=index,
                scope=scope,
                tentative=text in tentative,
                temporary=text in temporary,
                deprecated=text in deprecated,
            )
        )
    if kind == InterfaceType.LOOPBACK:
        flags = InterfaceFlags.UP | InterfaceFlags.RUNNING | InterfaceFlags.LOOPBACK
    return Interface(
        index=index,
        name=name,
        type=kind,
        kind="loopback" if kind == InterfaceType.LOOPBACK else "ether",
        flags=flags,
        mtu=1500,
        hardware_address=None,
        oper_state=OperState.UP if InterfaceFlags.RUNNING in flags else OperState.DOWN,
        addresses=tuple(addrs),
    )
