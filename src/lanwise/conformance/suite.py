"""The whole run: discovery, the answering checks, one observed restart, the
conflict checks, then the checks read over everything captured."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address

from lanwise.conformance.answering import (
    check_delay_spread,
    check_headers,
    check_ttls,
    discover,
    run_answering,
)
from lanwise.conformance.conflicts import check_after_announcing, run_conflicts
from lanwise.conformance.dnssd import run_dnssd
from lanwise.conformance.ipv6 import run_ipv6
from lanwise.conformance.matter import run_matter
from lanwise.conformance.offlink import check_off_link
from lanwise.conformance.probing import check_hotplug, run_startup
from lanwise.conformance.report import (
    CATALOGUE,
    MATTER_CATALOGUE,
    CheckResult,
    Outcome,
    Report,
)
from lanwise.conformance.session import Session, Trigger, host_of, split_service
from lanwise.conformance.updates import check_rename, check_update
from lanwise.conformance.wire import Wire
from lanwise.errors import UsageError
from lanwise.interfaces import get_interface

__all__ = ["Config", "run_conformance"]

_log = logging.getLogger("lanwise.conformance")

NEEDS_TRIGGER = "needs a way to restart the target's probing (--restart-command)"
# Checks a later phase may still judge (or judge again), published only at the end.
HELD_TO_THE_END = ("R11", "R12", "R20", "R21", "R22")
# P11's second half is in the conflict checks (P8).
HELD_TO_CONFLICTS = ("P11",)
NOT_RUN = {
    "R16": "needs minutes of samples at one query a second (--long)",
}


@dataclass(slots=True)
class Config:
    """What to test and how.

    ``profile`` ``"matter"`` adds the Matter DNS-SD checks (M1-M10) and, without
    ``service``, checks the node's first Matter instance as the service.
    ``long`` adds R16, ``long_samples`` shared answers timed a second apart.
    ``family`` 4 or 6 runs every check over that IP version only (None: IPv4,
    and R15 over IPv6 too). ``on_result`` is called with each check's result as soon as it is final
    (the CLI prints it then); ``on_phase`` with the name of each phase as it
    starts (a progress display).

    ``target`` is a host name (``device`` or ``device.local``) or an address;
    ``service`` an instance it publishes (``My Service._http._tcp.local``);
    ``interface`` the tester's interface on the target's link (name or index).
    ``restart`` makes the target start over (stop, then register again);
    ``link_cycle`` takes the target's link down and up. ``conflicts`` runs the
    checks that make the target rename its service; ``rate_limit`` the slow
    one of them (P9, about 15 s). ``off_link_source`` is an address outside
    the link that the tester has on its interface (R13). ``update`` makes the
    target change its service's TXT (A4); ``rename`` makes it rename the
    service instance (N1).
    """

    target: str
    interface: int | str
    service: str | None = None
    subtypes: tuple[str, ...] = ()
    restart: Trigger | None = None
    link_cycle: Trigger | None = None
    conflicts: bool = True
    rate_limit: bool = True
    off_link_source: IPv4Address | None = None
    update: Trigger | None = None
    rename: Trigger | None = None
    family: int | None = None
    profile: str | None = None
    long: bool = False
    long_samples: int = 200
    on_result: Callable[[CheckResult], None] | None = None
    on_phase: Callable[[str], None] | None = None


def run_conformance(config: Config) -> Report:
    """Run every check against the target; the report lists each catalogue check once.

    Raises :class:`UsageError` for a bad target, service or interface and
    :class:`~lanwise.errors.PlatformError` when the tester's sockets cannot be opened.
    """
    host_name, address = host_of(config.target)
    service = service_type = None
    if config.service is not None:
        service, service_type = split_service(config.service)
    if config.profile not in (None, "matter"):
        raise UsageError("profile", "matter", config.profile)
    if config.family not in (None, 4, 6):
        raise UsageError("family", "4 or 6", config.family)
    interface = get_interface(config.interface)
    ipv4 = interface.ipv4_addresses[0].address if interface.ipv4_addresses else None
    if config.family == 6:
        ipv4 = None
        if address is not None and address.version == 4:
            raise UsageError("target", "a host name or an IPv6 address for an IPv6 run", address)
        if not interface.ipv6_addresses:
            raise UsageError("interface", "an interface with IPv6 for an IPv6 run", interface.name)
    if ipv4 is None and address is not None and address.version == 4:
        raise UsageError(
            "interface", "an interface with an IPv4 address for an IPv4 target", interface.name
        )
    if config.family == 4 and ipv4 is None:
        raise UsageError("interface", "an interface with an IPv4 address", interface.name)
    catalogue = CATALOGUE + (MATTER_CATALOGUE if config.profile == "matter" else ())
    report = Report(target=config.target, on_result=config.on_result, catalogue=catalogue)
    held = [*HELD_TO_THE_END, *HELD_TO_CONFLICTS]

    def phase(name: str) -> None:
        report.publish(held)
        if config.on_phase is not None:
            config.on_phase(name)

    started = time.monotonic()
    ipv6 = config.family != 4 and bool(interface.ipv6_addresses)
    with Wire(interface.index, ipv4, ipv6=ipv6) as wire:  # type: ignore[arg-type]
        s = Session(
            wire=wire,
            report=report,
            host_name=host_name,
            service=service,
            service_type=service_type,
            configured_service=service,
            subtypes=config.subtypes,
        )
        for a in interface.addresses:
            s.tester_addresses.add(a.address)
            s.tester_networks.append(a.network)
        if address is not None:
            s.addresses.add(address)
        phase("discovery")
        if not discover(s, address):
            report.record("R18", Outcome.FAIL, "the target answered none of the tester's questions")
            report.skip_missing("the target did not answer")
            report.publish()
            return report
        if config.profile == "matter":
            phase("Matter")
            run_matter(s)
        phase("answering")
        run_answering(s)
        phase("DNS-SD")
        run_dnssd(s)
        phase("IPv6")
        run_ipv6(s)
        if config.off_link_source is not None and wire.v4 is None:
            report.record("R13", Outcome.SKIP, "the off-link source is IPv4; this run is IPv6")
        elif config.off_link_source is not None:
            check_off_link(s, config.off_link_source)
        else:
            report.record("R13", Outcome.SKIP, "needs --off-link-source")
        trigger = config.restart or config.link_cycle
        service_probed = False
        if trigger is not None:
            phase("probing and announcing")
            service_probed = run_startup(s, trigger)
        if config.update is not None:
            phase("rdata update")
            check_update(s, config.update)
        else:
            report.record("A4", Outcome.SKIP, "needs --update-command (a TXT change)")
        if config.link_cycle is not None:
            phase("link down/up")
            check_hotplug(s, config.link_cycle)
        else:
            report.record("H1", Outcome.SKIP, "needs --link-command to cycle the target's link")
        conflict_ids = ("P5", "P6", "P7", "P8", "P9", "P12", "P13", "C1", "C2", "S5")
        if config.restart is not None and service is not None and config.conflicts:
            phase("conflicts")
            if service_probed:
                run_conflicts(s, config.restart, rate_limit=config.rate_limit)
            else:
                # Without probes of its name there is nothing to tie-break or answer;
                # the conflict after announcing (C1, C2) is still worth checking.
                check_after_announcing(s)
                report.skip_missing_ids(
                    ("P5", "P6", "P7", "P8", "P9", "P12", "P13", "S5"),
                    "the target does not probe its service name (P1)",
                )
            if not config.rate_limit:
                report.record("P9", Outcome.SKIP, "the rate-limit check was not asked for")
        elif service is None:
            report.skip_missing_ids(conflict_ids, "no --service given")
        elif not config.conflicts:
            report.skip_missing_ids(conflict_ids, "conflict checks not asked for")
        held = list(HELD_TO_THE_END)
        if config.rename is not None:
            phase("rename")
            check_rename(s, config.rename)
        else:
            report.record("N1", Outcome.SKIP, "needs --rename-command")
        phase("every packet seen")
        check_headers(s)
        check_ttls(s)
        if config.long:
            phase("shared delays (long)")
            check_delay_spread(s, config.long_samples)
        for id, reason in NOT_RUN.items():
            report.skip_missing_ids((id,), reason)
        if trigger is None:
            report.skip_missing(NEEDS_TRIGGER)
        report.skip_missing("not applicable to this target")
        report.facts.update(
            {
                "host_name": str(s.host_name) if s.host_name else None,
                "addresses": sorted(str(a) for a in s.addresses),
                "service": str(s.service) if s.service else None,
                "interface": interface.name,
                "family": wire.family if config.family else None,
                "seconds": round(time.monotonic() - started, 1),
                "packets_seen": len(wire.packets),
            }
        )
    report.publish()
    return report
