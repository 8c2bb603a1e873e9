"""`lanwise interfaces` on lab hosts against `ip -j addr show`, and the request helpers."""

from __future__ import annotations

import json
import subprocess
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Interface
from typing import Any

import pytest

from lanwise.errors import PlatformError
from lanwise.interfaces.netlink import add_address, add_route, delete_address, delete_route
from tests.harness import Host, Lab

pytestmark = pytest.mark.lab


def _ip_view(host: Host) -> dict[int, tuple[str, set[tuple[Any, ...]]]]:
    out: dict[int, tuple[str, set[tuple[Any, ...]]]] = {}
    for link in json.loads(host.run("ip", "-j", "addr", "show").stdout):
        addresses = {
            (a["local"], a["prefixlen"], a.get("broadcast"), a.get("address"))
            for a in link.get("addr_info", [])
        }
        out[link["ifindex"]] = (link["ifname"], addresses)
    return out


def _our_view(listing: list[dict[str, Any]]) -> dict[int, tuple[str, set[tuple[Any, ...]]]]:
    out: dict[int, tuple[str, set[tuple[Any, ...]]]] = {}
    for link in listing:
        addresses = set()
        for a in link["addresses"]:
            local, _, scope = a["address"].partition("%")
            if scope:
                assert scope == link["name"], "a link-local address carries its interface's name"
            addresses.add((local, a["prefixlen"], a["broadcast"], a["peer"]))
        out[link["index"]] = (link["name"], addresses)
    return out


def test_json_lists_what_ip_lists_and_classifies_lab_interfaces(lab: Lab) -> None:
    a = lab.host("a")
    a.run("ip", "link", "add", "br9", "type", "bridge")
    a.run("ip", "addr", "add", "10.77.0.1/24", "broadcast", "+", "dev", "br9")
    a.run("ip", "addr", "add", "fd77::1/64", "dev", "br9")
    a.run("ip", "link", "set", "br9", "up")
    a.run("ip", "tuntap", "add", "dev", "tun9", "mode", "tun")
    a.run("ip", "addr", "add", "10.88.0.1", "peer", "10.88.0.2", "dev", "tun9")
    a.run("ip", "addr", "add", "10.99.1.77/24", "dev", "eth0")  # a secondary, no broadcast

    listing = json.loads(a.lanwise("interfaces", "--json").stdout)
    ours, theirs = _our_view(listing), _ip_view(a)
    assert ours == theirs
    # ip's peer field is its "address" when it differs from "local"; ours says None.
    by_name = {link["name"]: link for link in listing}
    assert {n: (by_name[n]["type"], by_name[n]["kind"]) for n in ("lo", "eth0", "br9", "tun9")} == {
        "lo": ("loopback", "loopback"),
        "eth0": ("wired", "veth"),
        "br9": ("wired", "bridge"),
        "tun9": ("other", "tun"),
    }
    tun = {a["address"]: a for a in by_name["tun9"]["addresses"]}
    assert tun["10.88.0.1"]["peer"] == "10.88.0.2"
    eth = {a["address"]: a for a in by_name["eth0"]["addresses"]}
    assert eth[str(a.ipv4())]["broadcast"] == "10.99.1.255" and eth["10.99.1.77"]["secondary"]
    assert by_name["eth0"]["local_network"] and not by_name["tun9"]["local_network"]
    assert by_name["eth0"]["index"] == a.ifindex()


def test_table_filters_and_errors(lab: Lab) -> None:
    a = lab.host("a")
    a.run("ip", "tuntap", "add", "dev", "tun9", "mode", "tun")
    table = a.lanwise("interfaces").stdout
    assert table.splitlines()[0].split()[:2] == ["INDEX", "NAME"]
    assert "tun9" in table and f"{a.ipv4()}/24 brd" in table
    local = json.loads(a.lanwise("interfaces", "--json", "--local-network").stdout)
    assert [i["name"] for i in local] == ["eth0"]
    other = json.loads(a.lanwise("interfaces", "--json", "--type", "other").stdout)
    assert [i["name"] for i in other] == ["tun9"]
    one = json.loads(a.lanwise("interfaces", "--json", str(a.ifindex())).stdout)
    assert [i["name"] for i in one] == ["eth0"]
    for bad in (["nope0"], ["4242"], ["--type", "radio"]):
        done = a.lanwise("interfaces", *bad, check=False)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    overview = a.lanwise().stdout
    assert overview.index("Local network") < overview.index("eth0") < overview.index("Other")


def _helpers_round_trip(index: int) -> list[str]:
    """Runs on the host: add and remove an address and a route, report what ip saw."""

    def ip(*argv: str) -> str:
        return subprocess.run(["ip", *argv], capture_output=True, text=True, check=True).stdout

    seen: list[str] = []
    add_address(index, IPv4Interface("169.254.9.9/16"), broadcast=True)
    add_address(index, IPv6Interface("fd42::9/64"), nodad=True)
    add_route(index, IPv4Network("169.254.0.0/16"), metric=4242)
    add_route(index, IPv4Network("10.123.0.0/16"), gateway=IPv4Address("169.254.1.1"))
    seen.append(ip("-4", "-o", "addr", "show", "dev", "eth0"))
    seen.append(ip("-6", "-o", "addr", "show", "dev", "eth0"))
    seen.append(ip("route"))
    try:
        add_address(index, IPv4Interface("169.254.9.9/16"))
    except PlatformError as exc:
        seen.append(f"errno {exc.errno}")
    delete_route(index, IPv4Network("10.123.0.0/16"))
    delete_route(index, IPv4Network("169.254.0.0/16"), metric=4242)
    delete_address(index, IPv4Interface("169.254.9.9/16"))
    delete_address(index, IPv6Interface("fd42::9/64"))
    try:
        delete_address(index, IPv6Interface("fd42::9/64"))
    except PlatformError as exc:
        seen.append(f"errno {exc.errno}")
    seen.append(ip("-o", "addr", "show", "dev", "eth0") + ip("route"))
    return seen


def test_address_and_route_requests(lab: Lab) -> None:
    a = lab.host("a")
    v4, v6, routes, exists, missing, after = a.call(_helpers_round_trip, a.ifindex())
    assert "inet 169.254.9.9/16 brd 169.254.255.255 scope link" in v4
    assert "inet6 fd42::9/64 scope global" in v6
    assert "169.254.0.0/16 dev eth0 scope link metric 4242" in routes
    assert "10.123.0.0/16 via 169.254.1.1 dev eth0" in routes
    assert (exists, missing) == ("errno 17", "errno 99")  # EEXIST, EADDRNOTAVAIL
    assert "169.254" not in after and "fd42" not in after and "10.123" not in after
