"""rtnetlink parsing from bytes and building requests (no sockets)."""

from __future__ import annotations

import struct
from ipaddress import IPv4Address, IPv6Address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lanwise.errors import ProtocolError
from lanwise.interfaces import rtnl
from lanwise.interfaces.linux import address_from_message, interface_from_link
from lanwise.interfaces.model import AddressScope, InterfaceFlags, InterfaceType, OperState
from tests.unit.interfaces import vectors
from tests.unit.interfaces.wire import address_message, link_message, nla, nlmsg

V4 = IPv4Address("10.0.0.2").packed
V4_BRD = IPv4Address("10.0.0.255").packed
LL6 = IPv6Address("fe80::1").packed


def _only(buf: bytes) -> tuple[int, int, int]:
    [(mtype, _flags, _seq, start, end)] = list(rtnl.parse_messages(buf))
    return mtype, start, end


def test_link_message_fields_from_bytes() -> None:
    buf = link_message(7, "br0", kind="bridge", mtu=9000, operstate=6)
    mtype, start, end = _only(buf)
    assert mtype == rtnl.RTM_NEWLINK
    link = rtnl.parse_link(buf, start, end)
    assert (link.ifindex, link.name, link.mtu, link.operstate, link.kind) == (
        7,
        "br0",
        9000,
        6,
        "bridge",
    )
    assert link.hardware_address == "02:00:00:00:00:01"
    assert link.flags == 0x1043 and link.hardware_type == 1


def test_link_without_mac_or_kind() -> None:
    buf = link_message(3, "tun0", hwtype=0xFFFE, mac=None, flags=0x1091)
    _, start, end = _only(buf)
    link = rtnl.parse_link(buf, start, end)
    assert link.hardware_address is None and link.kind is None
    interface = interface_from_link(link)
    assert interface.type is InterfaceType.OTHER and interface.kind == "none"
    assert InterfaceFlags.POINTOPOINT in interface.flags


def test_interface_from_link_maps_operstate_and_flags() -> None:
    buf = link_message(2, "eth0", kind="veth", operstate=2, flags=0x1002)
    _, start, end = _only(buf)
    interface = interface_from_link(rtnl.parse_link(buf, start, end))
    assert interface.oper_state is OperState.DOWN
    assert not interface.is_up and interface.supports_broadcast and interface.supports_multicast
    assert interface.type is InterfaceType.WIRED and interface.kind == "veth"


def test_a_bridge_port_is_not_a_local_network_interface() -> None:
    """Issue 19: publish served "eth0, nbr1, nvb, nva", the last being bridge ports.
    IFLA_MASTER marks a port; with no address of its own (IPv6 link-local aside)
    its traffic is the bridge's."""
    buf = link_message(5, "nva", kind="veth", master=4)
    _, start, end = _only(buf)
    link = rtnl.parse_link(buf, start, end)
    assert link.master == 4
    port = interface_from_link(link)
    assert port.master == 4 and port.is_port and not port.is_local_network
    ll = address_from_message(
        rtnl.parse_address(*_addr(address_message(5, LL6, 64, family=10, scope=253))), "nva"
    )
    with_ll = interface_from_link(link, addresses=(ll,))
    assert with_ll.is_port and not with_ll.is_local_network
    # A member of a VRF has a master too, and addresses of its own: it is a LAN.
    v4 = address_from_message(
        rtnl.parse_address(*_addr(address_message(5, V4, 24, family=2))), "nva"
    )
    vrf_member = interface_from_link(link, addresses=(v4,))
    assert not vrf_member.is_port and vrf_member.is_local_network
    plain = interface_from_link(rtnl.parse_link(*_addr(link_message(6, "eth0", kind="veth"))))
    assert plain.master is None and plain.is_local_network


def _addr(buf: bytes) -> tuple[bytes, int, int]:
    _, start, end = _only(buf)
    return buf, start, end


def test_ipv4_address_with_broadcast_and_secondary_flag() -> None:
    buf = address_message(2, V4, 24, family=2, broadcast=V4_BRD, flags=0x81)
    _, start, end = _only(buf)
    msg = rtnl.parse_address(buf, start, end)
    assert (msg.local, msg.peer, msg.broadcast, msg.prefixlen) == (
        IPv4Address("10.0.0.2"),
        None,
        IPv4Address("10.0.0.255"),
        24,
    )
    address = address_from_message(msg, "eth0")
    assert address.secondary and address.permanent and not address.temporary
    assert str(address.interface) == "10.0.0.2/24"
    assert str(address.network) == "10.0.0.0/24"


def test_ipv4_point_to_point_peer() -> None:
    peer = IPv4Address("10.9.0.1").packed
    buf = address_message(5, V4, 32, family=2, address=peer)
    _, start, end = _only(buf)
    msg = rtnl.parse_address(buf, start, end)
    assert msg.local == IPv4Address("10.0.0.2") and msg.peer == IPv4Address("10.9.0.1")


def test_ipv6_link_local_carries_its_scope_and_wide_flags() -> None:
    # IFA_FLAGS (32-bit) wins over the 8-bit header field: tentative + stable privacy.
    buf = address_message(
        2, LL6, 64, family=10, scope=253, flags=0, wide_flags=0x840, ipv6_style=True
    )
    _, start, end = _only(buf)
    address = address_from_message(rtnl.parse_address(buf, start, end), "eth0")
    assert str(address.address) == "fe80::1%eth0"
    assert isinstance(address.address, IPv6Address) and address.address.scope_id == "eth0"
    assert address.scope is AddressScope.LINK
    assert address.tentative and not address.permanent and not address.secondary
    assert str(address.interface) == "fe80::1%eth0/64"


def test_ipv6_temporary_and_deprecated_flags() -> None:
    ip = IPv6Address("2001:db8::5").packed
    buf = address_message(2, ip, 64, family=10, flags=0x21, ipv6_style=True)
    _, start, end = _only(buf)
    address = address_from_message(rtnl.parse_address(buf, start, end), "eth0")
    assert address.temporary and address.deprecated and not address.secondary


def test_several_messages_in_one_datagram_with_padding() -> None:
    buf = (
        link_message(1, "lo", hwtype=772)
        + link_message(2, "eth0")
        + nlmsg(rtnl.NLMSG_DONE, b"\0\0\0\0")
    )
    types = [m[0] for m in rtnl.parse_messages(buf)]
    assert types == [rtnl.RTM_NEWLINK, rtnl.RTM_NEWLINK, rtnl.NLMSG_DONE]


@pytest.mark.parametrize(
    "buf",
    [
        struct.pack("=IHHII", 8, 16, 0, 0, 0),  # length shorter than the header
        struct.pack("=IHHII", 400, 16, 0, 0, 0) + b"\0" * 16,  # length past the datagram
    ],
)
def test_bad_message_lengths_raise_protocol_errors(buf: bytes) -> None:
    with pytest.raises(rtnl.NetlinkFormatError):
        list(rtnl.parse_messages(buf))


def test_attribute_overrunning_its_message_raises() -> None:
    good = link_message(2, "eth0")
    # Grow the IFLA_IFNAME length field so it runs past the end of the message.
    bad = bytearray(good)
    struct.pack_into("=H", bad, 32, 4000)
    _, start, end = _only(good)
    with pytest.raises(ProtocolError):
        rtnl.parse_link(bytes(bad), start, end)


def test_zero_length_attribute_raises_instead_of_looping() -> None:
    body = struct.pack("=BxHiII", 0, 1, 2, 0, 0) + struct.pack("=HH", 0, 3) + b"\0" * 8
    buf = nlmsg(16, body)
    _, start, end = _only(buf)
    with pytest.raises(rtnl.NetlinkFormatError):
        rtnl.parse_link(buf, start, end)


def test_truncated_headers_raise() -> None:
    buf = nlmsg(16, b"\0" * 8)
    _, start, end = _only(buf)
    with pytest.raises(rtnl.NetlinkFormatError):
        rtnl.parse_link(buf, start, end)
    buf = nlmsg(20, b"\0" * 4)
    _, start, end = _only(buf)
    with pytest.raises(rtnl.NetlinkFormatError):
        rtnl.parse_address(buf, start, end)


def test_address_message_without_address_raises() -> None:
    buf = nlmsg(20, struct.pack("=BBBBI", 2, 24, 0, 0, 2))
    _, start, end = _only(buf)
    with pytest.raises(rtnl.NetlinkFormatError):
        rtnl.parse_address(buf, start, end)


def test_prefix_longer_than_the_address_raises() -> None:
    buf = address_message(2, V4, 33, family=2)
    _, start, end = _only(buf)
    with pytest.raises(rtnl.NetlinkFormatError):
        rtnl.parse_address(buf, start, end)


def test_bad_address_size_raises() -> None:
    buf = nlmsg(20, struct.pack("=BBBBI", 2, 24, 0, 0, 2) + nla(2, b"\1\2\3"))
    _, start, end = _only(buf)
    with pytest.raises(rtnl.NetlinkFormatError):
        rtnl.parse_address(buf, start, end)


def test_error_message_with_extended_ack_text() -> None:
    request = nlmsg(20, b"\0" * 8, seq=9)
    body = struct.pack("=i", -17) + request[:16] + nla(1, b"Address already assigned\0")
    buf = nlmsg(rtnl.NLMSG_ERROR, body, flags=rtnl.NLM_F_CAPPED | rtnl.NLM_F_ACK_TLVS, seq=9)
    [(mtype, flags, seq, start, end)] = list(rtnl.parse_messages(buf))
    assert (mtype, seq) == (rtnl.NLMSG_ERROR, 9)
    assert rtnl.parse_error(buf, start, end, flags) == (17, "Address already assigned")


def test_ack_is_error_zero() -> None:
    buf = nlmsg(rtnl.NLMSG_ERROR, struct.pack("=i", 0) + nlmsg(20, b"\0" * 8), flags=0)
    [(_, flags, _, start, end)] = list(rtnl.parse_messages(buf))
    assert rtnl.parse_error(buf, start, end, flags) == (0, None)


def test_error_body_is_bounded_by_its_own_message() -> None:
    # A 2-byte error body followed by another message: the errno must not be read
    # from the next message's bytes.
    padded = nlmsg(rtnl.NLMSG_ERROR, b"\0\0") + b"\0\0"
    buf = padded + nlmsg(rtnl.NLMSG_DONE, struct.pack("=i", -1))
    [(_, flags, _, start, end), _done] = list(rtnl.parse_messages(buf))
    with pytest.raises(rtnl.NetlinkFormatError):
        rtnl.parse_error(buf, start, end, flags)


def test_build_message_matches_hand_packed_bytes() -> None:
    header = rtnl.IFADDRMSG.pack(family=2, prefixlen=16, scope=253, index=4)
    built = rtnl.build_message(rtnl.RTM_NEWADDR, 0x605, 3, header, [(2, V4), (3, b"ab\0")])
    expected = nlmsg(
        20,
        struct.pack("=BBBBI", 2, 16, 0, 253, 4) + nla(2, V4) + nla(3, b"ab\0"),
        flags=0x605,
        seq=3,
    )
    assert built == expected
    assert len(built) % 4 == 0


def test_layout_pack_rejects_unknown_fields() -> None:
    with pytest.raises(TypeError):
        rtnl.IFADDRMSG.pack(bogus=1)


# -- real kernel bytes ------------------------------------------------------------------------
def test_captured_loopback_link() -> None:
    _, start, end = _only(vectors.LO_LINK)
    link = rtnl.parse_link(vectors.LO_LINK, start, end)
    assert (link.ifindex, link.name, link.mtu, link.hardware_type) == (1, "lo", 65536, 772)
    assert link.hardware_address == "00:00:00:00:00:00" and link.kind is None
    interface = interface_from_link(link)
    assert interface.type is InterfaceType.LOOPBACK and interface.kind == "loopback"
    assert interface.oper_state is OperState.UNKNOWN
    assert (
        interface.flags
        == InterfaceFlags.UP
        | InterfaceFlags.LOOPBACK
        | InterfaceFlags.RUNNING
        | InterfaceFlags.LOWER_UP
    )


def test_captured_loopback_addresses() -> None:
    _, start, end = _only(vectors.LO_V4)
    v4 = address_from_message(rtnl.parse_address(vectors.LO_V4, start, end), "lo")
    assert (str(v4), v4.scope, v4.permanent, v4.peer) == (
        "127.0.0.1/8",
        AddressScope.HOST,
        True,
        None,
    )
    _, start, end = _only(vectors.LO_V6)
    v6 = address_from_message(rtnl.parse_address(vectors.LO_V6, start, end), "lo")
    assert (str(v6), v6.scope, v6.permanent) == ("::1/128", AddressScope.HOST, True)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([vectors.LO_LINK, vectors.LO_V4, vectors.LO_V6]),
    st.lists(st.tuples(st.integers(0, 1500), st.integers(0, 255)), max_size=6),
    st.integers(0, 1500),
)
def test_mangled_real_messages_raise_only_protocol_errors(
    message: bytes, flips: list[tuple[int, int]], cut: int
) -> None:
    """Corrupt and truncate real kernel messages: parsing either works or raises
    ProtocolError (NetlinkFormatError), never anything else and never hangs."""
    data = bytearray(message[: max(cut, 16)])
    for where, value in flips:
        if where < len(data):
            data[where] = value
    buf = bytes(data)
    try:
        for mtype, _flags, _seq, start, end in rtnl.parse_messages(buf):
            if mtype in (rtnl.RTM_NEWLINK, rtnl.RTM_DELLINK):
                interface_from_link(rtnl.parse_link(buf, start, end))
            elif mtype in (rtnl.RTM_NEWADDR, rtnl.RTM_DELADDR):
                address_from_message(rtnl.parse_address(buf, start, end), "lo")
    except ProtocolError:
        pass
