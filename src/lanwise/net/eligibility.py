"""Which interfaces a connection may use, and why the others may not (pure rules)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lanwise.errors import UsageError
from lanwise.interfaces.model import Interface, InterfaceType
from lanwise.net.errors import NoEligibleInterfaceError, Rejection
from lanwise.net.metered import PathCost

__all__ = ["Eligibility", "Requirements", "evaluate", "type_rank"]

# Preference between eligible interfaces: cheap, fast, local paths first.
_TYPE_ORDER = (
    InterfaceType.WIRED,
    InterfaceType.WIFI,
    InterfaceType.OTHER,
    InterfaceType.CELLULAR,
    InterfaceType.LOOPBACK,
)


def type_rank(kind: InterfaceType) -> int:
    """Sort key of an interface type: wired, wifi, other, cellular, loopback."""
    try:
        return _TYPE_ORDER.index(kind)
    except ValueError:
        return len(_TYPE_ORDER)


def _interface_type(field_name: str, value: object) -> InterfaceType:
    if isinstance(value, InterfaceType):
        return value
    try:
        return InterfaceType(str(value))
    except ValueError:
        choices = ", ".join(t.value for t in InterfaceType)
        raise UsageError(field_name, f"must be an interface type ({choices})", value) from None


@dataclass(frozen=True, slots=True)
class Requirements:
    """What a connection demands of its interface (the arguments of ``connect``).

    Interfaces are named by index (int) or name (str); names are resolved
    against the interface list at evaluation time.
    """

    required_interface: int | str | None = None
    required_interface_type: InterfaceType | None = None
    prohibited_interfaces: frozenset[int | str] = field(default_factory=frozenset)
    prohibited_interface_types: frozenset[InterfaceType] = field(default_factory=frozenset)
    prohibit_expensive: bool = False
    prohibit_constrained: bool = False

    @classmethod
    def build(
        cls,
        *,
        required_interface: int | str | None = None,
        required_interface_type: InterfaceType | str | None = None,
        prohibited_interfaces: Iterable[int | str] = (),
        prohibited_interface_types: Iterable[InterfaceType | str] = (),
        prohibit_expensive: bool = False,
        prohibit_constrained: bool = False,
    ) -> Requirements:
        """Validate caller input (strings for types are accepted) into Requirements."""
        if isinstance(prohibited_interfaces, str | int):
            prohibited_interfaces = (prohibited_interfaces,)
        if isinstance(prohibited_interface_types, str):
            prohibited_interface_types = (prohibited_interface_types,)
        return cls(
            required_interface=required_interface,
            required_interface_type=(
                None
                if required_interface_type is None
                else _interface_type("required_interface_type", required_interface_type)
            ),
            prohibited_interfaces=frozenset(prohibited_interfaces),
            prohibited_interface_types=frozenset(
                _interface_type("prohibited_interface_types", t) for t in prohibited_interface_types
            ),
            prohibit_expensive=prohibit_expensive,
            prohibit_constrained=prohibit_constrained,
        )

    @property
    def needs_costs(self) -> bool:
        return self.prohibit_expensive or self.prohibit_constrained


@dataclass(frozen=True, slots=True)
class Eligibility:
    """The outcome: eligible interfaces (best first) and every rejection."""

    eligible: tuple[Interface, ...]
    rejections: Mapping[int, Rejection]

    def raise_if_empty(self) -> None:
        if not self.eligible:
            raise NoEligibleInterfaceError(self.rejections)


def _matches(iface: Interface, ref: int | str) -> bool:
    if isinstance(ref, int):
        return iface.index == ref
    # A string of digits that is not a name is an index ("3"), as on the command line.
    return iface.name == ref or (ref.isdigit() and iface.index == int(ref))


def _usable_address(iface: Interface) -> bool:
    return any(not a.tentative for a in iface.addresses)


def evaluate(
    interfaces: Iterable[Interface],
    requirements: Requirements,
    costs: Mapping[int, PathCost] | None = None,
) -> Eligibility:
    """Apply ``requirements`` to ``interfaces``; every reason is collected, not just the first."""
    ifaces = list(interfaces)
    req = requirements
    required = req.required_interface
    if required is not None and not any(_matches(i, required) for i in ifaces):
        raise UsageError("required_interface", "no such interface on this host", required)
    costs = costs or {}
    eligible: list[Interface] = []
    rejections: dict[int, Rejection] = {}
    for iface in ifaces:
        reasons: list[str] = []
        if req.required_interface is not None and not _matches(iface, req.required_interface):
            reasons.append(f"not the required interface ({req.required_interface})")
        if req.required_interface_type is not None and iface.type != req.required_interface_type:
            reasons.append(
                f"type {iface.type.value}, but {req.required_interface_type.value} is required"
            )
        if any(_matches(iface, p) for p in req.prohibited_interfaces):
            reasons.append("listed in prohibited_interfaces")
        if iface.type in req.prohibited_interface_types:
            reasons.append(f"type {iface.type.value} is prohibited")
        cost = costs.get(iface.index, PathCost())
        if req.prohibit_expensive and cost.expensive:
            reasons.append(
                f"expensive ({cost.expensive_source}) and expensive paths are prohibited"
            )
        if req.prohibit_constrained and cost.constrained:
            reasons.append(
                f"constrained ({cost.constrained_source}) and constrained paths are prohibited"
            )
        if not iface.is_up:
            reasons.append("administratively down")
        elif not iface.is_running:
            reasons.append("no carrier (link down)")
        if not _usable_address(iface):
            reasons.append("no usable IPv4 or IPv6 address")
        if reasons:
            rejections[iface.index] = Rejection(iface.index, iface.name, reasons)
        else:
            eligible.append(iface)
    # Loopback last (it only reaches this host), then cheap before expensive.
    eligible.sort(
        key=lambda i: (
            i.is_loopback,
            costs.get(i.index, PathCost()).expensive,
            type_rank(i.type),
            i.index,
        )
    )
    return Eligibility(tuple(eligible), rejections)
