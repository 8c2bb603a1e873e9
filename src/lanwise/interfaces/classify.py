"""Linux rules for an interface's functional type: one ordered table, first match wins.

Netlink facts (the ARPHRD hardware type, IFF_LOOPBACK, IFLA_INFO_KIND) decide
wherever they can. sysfs is read only for hardware devices (no link kind), the
only ones that can be radios, and only if the entry really belongs to the
interface: ``uevent``'s IFINDEX must equal the index, and a positive finding is
confirmed against the hardware address. That matters because a thread that
switched network namespace still sees the machine's own /sys.

``docs/interfaces.md`` shows :data:`RULES` as rendered by :func:`rules_markdown`
(a unit test keeps the two equal).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from lanwise.interfaces.model import InterfaceType
from lanwise.interfaces.rtnl import LinkMessage

__all__ = ["RULES", "Facts", "Rule", "classify", "link_kind", "rules_markdown"]

# ARPHRD_* (include/uapi/linux/if_arp.h)
ARPHRD_ETHER = 1
ARPHRD_INFINIBAND = 32
ARPHRD_PPP = 512
ARPHRD_RAWIP = 519
ARPHRD_TUNNEL = 768
ARPHRD_TUNNEL6 = 769
ARPHRD_LOOPBACK = 772
ARPHRD_SIT = 776
ARPHRD_IPGRE = 778
ARPHRD_IEEE80211 = 801
ARPHRD_IEEE80211_PRISM = 802
ARPHRD_IEEE80211_RADIOTAP = 803
ARPHRD_IP6GRE = 823
ARPHRD_NONE = 0xFFFE
ARPHRD_VOID = 0xFFFF

IFF_LOOPBACK = 0x8

_ARPHRD_NAMES = {
    ARPHRD_ETHER: "ether",
    ARPHRD_INFINIBAND: "infiniband",
    ARPHRD_PPP: "ppp",
    ARPHRD_RAWIP: "rawip",
    ARPHRD_TUNNEL: "ipip",
    ARPHRD_TUNNEL6: "ip6tnl",
    ARPHRD_LOOPBACK: "loopback",
    ARPHRD_SIT: "sit",
    ARPHRD_IPGRE: "gre",
    ARPHRD_IEEE80211: "ieee80211",
    ARPHRD_IEEE80211_PRISM: "ieee80211",
    ARPHRD_IEEE80211_RADIOTAP: "ieee80211",
    ARPHRD_IP6GRE: "ip6gre",
    ARPHRD_NONE: "none",
    ARPHRD_VOID: "void",
}

RADIO_HARDWARE_TYPES = frozenset(
    {ARPHRD_IEEE80211, ARPHRD_IEEE80211_PRISM, ARPHRD_IEEE80211_RADIOTAP}
)
# Point-to-point and tunnel link layers: never a LAN of their own.
TUNNEL_HARDWARE_TYPES = frozenset(
    {
        ARPHRD_PPP,
        ARPHRD_TUNNEL,
        ARPHRD_TUNNEL6,
        ARPHRD_SIT,
        ARPHRD_IPGRE,
        ARPHRD_IP6GRE,
        ARPHRD_NONE,
        ARPHRD_VOID,
    }
)
# Link kinds of VPNs, tunnels and virtual devices with no link of their own, even
# when they look like Ethernet (tap, vxlan, dummy).
VIRTUAL_KINDS = frozenset(
    {
        "tun", "wireguard", "ppp", "ipip", "gre", "gretap", "sit", "ip6tnl", "ip6gre", "ip6gretap",
        "vti", "vti6", "xfrm", "erspan", "ip6erspan", "vxlan", "geneve", "bareudp", "gtp",
        "dummy", "ifb", "vrf", "nlmon", "netdevsim", "amt", "macsec", "ipoib", "hsr",
    }
)  # fmt: skip
CELLULAR_KINDS = frozenset({"wwan", "rmnet", "qmimux"})
# USB and PCIe modem drivers whose network device carries no DEVTYPE=wwan.
CELLULAR_DRIVERS = frozenset(
    {"qmi_wwan", "cdc_mbim", "huawei_cdc_ncm", "sierra_net", "mhi_net", "ipheth"}
)


# What sysfs says about a hardware device never changes during its life, so it is
# read once per (sysfs root, index, name, hardware address).
_SYSFS_CACHE: dict[tuple[str, int, str, str | None], tuple[str | None, bool, str | None]] = {}
_SYSFS_CACHE_SIZE = 1024


class Facts:
    """What the rules look at: netlink facts, and sysfs facts read on first use."""

    __slots__ = ("_devtype", "_driver", "_loaded", "_wireless", "link", "sysfs_root")

    def __init__(self, link: LinkMessage, sysfs_root: str = "/sys") -> None:
        self.link = link
        self.sysfs_root = sysfs_root
        self._loaded = False
        self._devtype: str | None = None
        self._wireless = False
        self._driver: str | None = None

    @property
    def is_hardware(self) -> bool:
        """A device with no link kind: a driver for real (or emulated) hardware."""
        return self.link.kind is None

    @property
    def devtype(self) -> str | None:
        self._load()
        return self._devtype

    @property
    def wireless(self) -> bool:
        self._load()
        return self._wireless

    @property
    def driver(self) -> str | None:
        self._load()
        return self._driver

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if not self.is_hardware or not self.link.name or "/" in self.link.name:
            return
        link = self.link
        key = (self.sysfs_root, link.ifindex, link.name, link.hardware_address)
        cached = _SYSFS_CACHE.get(key)
        if cached is None:
            cached = self._read_sysfs()
            if len(_SYSFS_CACHE) >= _SYSFS_CACHE_SIZE:
                _SYSFS_CACHE.clear()
            _SYSFS_CACHE[key] = cached
        self._devtype, self._wireless, self._driver = cached

    def _read_sysfs(self) -> tuple[str | None, bool, str | None]:
        nothing: tuple[str | None, bool, str | None] = (None, False, None)
        base = os.path.join(self.sysfs_root, "class", "net", self.link.name)
        uevent = _read(os.path.join(base, "uevent"))
        if uevent is None:
            return nothing
        values = dict(line.partition("=")[::2] for line in uevent.splitlines())
        if values.get("IFINDEX") != str(self.link.ifindex):
            return nothing  # another namespace's interface of the same name
        devtype = values.get("DEVTYPE") or None
        wireless = os.path.exists(os.path.join(base, "wireless")) or os.path.exists(
            os.path.join(base, "phy80211")
        )
        try:
            driver: str | None = os.path.basename(
                os.readlink(os.path.join(base, "device", "driver"))
            )
        except OSError:
            driver = None
        telling = devtype in ("wlan", "wwan") or wireless or driver in CELLULAR_DRIVERS
        if telling and not self._same_hardware(base):
            return nothing
        return devtype, wireless, driver

    def _same_hardware(self, base: str) -> bool:
        if self.link.hardware_address is None:
            return True
        found = _read(os.path.join(base, "address"))
        return found is not None and found.strip() == self.link.hardware_address


def _read(path: str) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return os.read(fd, 4096).decode("ascii", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the table: if ``evidence`` holds, the interface is ``type``."""

    type: InterfaceType
    evidence: str
    matches: Callable[[Facts], bool]


RULES: tuple[Rule, ...] = (
    Rule(
        InterfaceType.LOOPBACK,
        "IFF_LOOPBACK flag, or hardware type ARPHRD_LOOPBACK",
        lambda f: bool(f.link.flags & IFF_LOOPBACK) or f.link.hardware_type == ARPHRD_LOOPBACK,
    ),
    Rule(
        InterfaceType.WIFI,
        "hardware type ARPHRD_IEEE80211*; or a hardware device (no link kind) whose sysfs "
        "`uevent` says DEVTYPE=wlan or that has a `wireless` or `phy80211` entry",
        lambda f: (
            f.link.hardware_type in RADIO_HARDWARE_TYPES
            or (f.is_hardware and (f.devtype == "wlan" or f.wireless))
        ),
    ),
    Rule(
        InterfaceType.CELLULAR,
        "hardware type ARPHRD_RAWIP; link kind wwan, rmnet or qmimux; or a hardware device "
        "whose sysfs `uevent` says DEVTYPE=wwan or whose driver is a USB/PCIe modem driver "
        "(qmi_wwan, cdc_mbim, huawei_cdc_ncm, sierra_net, mhi_net, ipheth)",
        lambda f: (
            f.link.hardware_type == ARPHRD_RAWIP
            or f.link.kind in CELLULAR_KINDS
            or (f.is_hardware and (f.devtype == "wwan" or f.driver in CELLULAR_DRIVERS))
        ),
    ),
    Rule(
        InterfaceType.OTHER,
        "link kind of a VPN, tunnel or link-less virtual device (tun/tap, wireguard, ppp, "
        "ipip, gre, sit, ip6tnl, vti, xfrm, vxlan, geneve, dummy, ifb, vrf, …); or a "
        "point-to-point/tunnel hardware type (ARPHRD_PPP, TUNNEL, TUNNEL6, SIT, IPGRE, "
        "IP6GRE, NONE, VOID)",
        lambda f: f.link.kind in VIRTUAL_KINDS or f.link.hardware_type in TUNNEL_HARDWARE_TYPES,
    ),
    Rule(
        InterfaceType.WIRED,
        "hardware type ARPHRD_ETHER: a physical NIC, veth, bridge, bond, team, vlan, "
        "macvlan, ipvlan",
        lambda f: f.link.hardware_type == ARPHRD_ETHER,
    ),
    Rule(InterfaceType.OTHER, "anything else", lambda f: True),
)


def classify(link: LinkMessage, sysfs_root: str = "/sys") -> InterfaceType:
    """The functional type of a link: the first rule of :data:`RULES` that matches."""
    facts = Facts(link, sysfs_root)
    for rule in RULES:
        if rule.matches(facts):
            return rule.type
    return InterfaceType.OTHER  # pragma: no cover - the last rule always matches


def link_kind(link: LinkMessage) -> str:
    """The link kind for display: IFLA_INFO_KIND, else named from the hardware type."""
    if link.kind:
        return link.kind
    return _ARPHRD_NAMES.get(link.hardware_type, f"arphrd{link.hardware_type}")


def rules_markdown() -> str:
    """The rule table as Markdown, for the docs."""
    rows = ["| # | type | evidence (first matching row wins) |", "|---|---|---|"]
    rows += [f"| {n} | {rule.type} | {rule.evidence} |" for n, rule in enumerate(RULES, 1)]
    return "\n".join(rows) + "\n"
