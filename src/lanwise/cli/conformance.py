"""``lanwise conformance``: check an mDNS / DNS-SD responder on this link, on the wire.

One line per check as soon as its result is final (PASS / FAIL / WARN / SKIP,
and the packets that show why), with a status line on a terminal;
``--json FILE`` writes the report for machines (``-`` for stdout), ``--html
FILE`` a page for people. Exit status 0 when no MUST check failed, 1 when one
did, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from lanwise.conformance import (
    CATALOGUE,
    LINKLOCAL_CATALOGUE,
    MATTER_CATALOGUE,
    CheckResult,
    Config,
    LinkLocalConfig,
    Report,
    render_html,
    run_conformance,
    run_link_local,
)
from lanwise.conformance.session import Trigger
from lanwise.errors import UsageError

__all__ = ["add_parser", "run"]

COMMAND_TIMEOUT = 30.0


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "conformance",
        help="test an mDNS/DNS-SD responder on this link",
        description="Drive a responder on the same link with crafted mDNS packets and "
        "judge what it sends (RFC 6762, RFC 6763; see docs/conformance.md). MUST "
        "violations fail (exit 1), SHOULD violations warn.",
    )
    parser.add_argument(
        "--target", required=True, help="the responder: host name (device.local) or address"
    )
    parser.add_argument(
        "--service", help="an instance it publishes, e.g. 'My Service._http._tcp.local'"
    )
    parser.add_argument(
        "--subtype",
        action="append",
        default=[],
        metavar="SUB",
        help="a subtype the service is registered with (e.g. _printer); repeatable",
    )
    parser.add_argument(
        "-i",
        "--interface",
        required=True,
        metavar="IFACE",
        help="the tester's interface on the target's link (name or index)",
    )
    parser.add_argument(
        "--restart-command",
        metavar="CMD",
        help="a command that makes the target start over (stop, then register again); "
        "needed by the probing, announcing and conflict checks",
    )
    parser.add_argument(
        "--link-command",
        metavar="CMD",
        help="a command that takes the target's link down and up again (H1)",
    )
    parser.add_argument(
        "--update-command",
        metavar="CMD",
        help="a command that makes the target change its service's TXT record (A4)",
    )
    parser.add_argument(
        "--rename-command",
        metavar="CMD",
        help="a command that makes the target rename its service instance (N1)",
    )
    parser.add_argument(
        "--off-link-source",
        metavar="ADDR",
        type=_ipv4,
        help="an IPv4 address outside the link, configured on IFACE, to send an off-link "
        "query from (R13; the target needs a route back to it)",
    )
    parser.add_argument(
        "--no-conflicts",
        action="store_true",
        help="skip the checks that make the target rename its service",
    )
    parser.add_argument(
        "--quick", action="store_true", help="skip the slow conflict rate-limit check (P9)"
    )
    parser.add_argument(
        "--family",
        type=int,
        choices=(4, 6),
        help="run every check over this IP version only (default: IPv4, and R15 over IPv6)",
    )
    parser.add_argument(
        "--link-local",
        action="store_true",
        help="run the IPv4 link-local phase instead (RFC 3927, L1-L8): --target is the "
        "target's current 169.254 address or its MAC address; --restart-command makes it "
        "claim anew, --link-command cycles its link; --quick leaves out L5",
    )
    parser.add_argument(
        "--long",
        action="store_true",
        help="add the checks that need minutes: R16 (200 shared answers timed, about 4 "
        "minutes); with --link-local, L5 watches the whole RATE_LIMIT_INTERVAL",
    )
    parser.add_argument(
        "--profile",
        choices=("matter",),
        help="add an ecosystem's DNS-SD checks: 'matter' (commissionable _matterc._udp and "
        "operational _matter._tcp nodes, M1-M10)",
    )
    parser.add_argument("--json", metavar="FILE", help="write the JSON report here ('-': stdout)")
    parser.add_argument(
        "--html",
        metavar="FILE",
        help="write the report as one self-contained HTML page (verdicts, rules, and the "
        "packets behind each FAIL and WARN)",
    )
    parser.set_defaults(func=run)


def _ipv4(text: str) -> IPv4Address:
    try:
        return IPv4Address(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an IPv4 address: {text!r}") from None


def _command(text: str | None, option: str) -> Trigger | None:
    if text is None:
        return None
    try:
        argv = shlex.split(text)
    except ValueError as exc:  # an unclosed quote
        raise UsageError(option, f"a shell-quoted command ({exc})", text) from None
    if not argv:
        raise UsageError(option, "a command", text)
    if shutil.which(argv[0]) is None:
        raise UsageError(option, "a command that exists (an executable on PATH)", text)

    def trigger() -> None:
        # The checks judge what the target does next; a command that fails or
        # hangs shows up there, so it must not end the run with a traceback.
        try:
            subprocess.run(
                argv,
                timeout=COMMAND_TIMEOUT,
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            print(f"lanwise conformance: {option} command failed: {exc}", file=sys.stderr)

    return trigger


class _Progress:
    """Prints each check's line as its result is final and, on a terminal, a
    status line on stderr (checks done, the phase running) kept below them."""

    def __init__(
        self, target: str, *, lines: bool, status: bool, matter: bool = False, link: bool = False
    ) -> None:
        self.matter = matter
        self.link = link
        self.lines = lines
        self.status = status
        self.target = target
        self.done = 0
        self.phase = ""

    def _clear(self) -> None:
        if self.status:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()

    def _show(self) -> None:
        if self.status:
            total = len(CATALOGUE) + (len(MATTER_CATALOGUE) if self.matter else 0)
            if self.link:
                total = len(LINKLOCAL_CATALOGUE)
            sys.stderr.write(f"[{self.done}/{total}] {self.phase}\N{HORIZONTAL ELLIPSIS}")
            sys.stderr.flush()

    def result(self, result: CheckResult) -> None:
        self._clear()
        if self.lines:
            if not self.done:  # the heading waits until the arguments proved usable
                print(f"conformance of {self.target}", flush=True)
            print(result.line(), flush=True)
        self.done += 1
        self._show()

    def on_phase(self, name: str) -> None:
        self.phase = name
        self._clear()
        self._show()

    def close(self) -> None:
        self._clear()


def run(args: argparse.Namespace) -> int:
    if not args.target.strip():
        raise UsageError("--target", "a host name (device.local) or an address", args.target)
    interface: int | str = int(args.interface) if args.interface.isdigit() else args.interface
    progress = _Progress(
        args.target,
        lines=args.json != "-",
        status=sys.stderr.isatty(),
        matter=args.profile == "matter",
        link=args.link_local,
    )
    if args.link_local:
        ll_report = run_link_local(
            LinkLocalConfig(
                target=args.target,
                interface=interface,
                restart=_command(args.restart_command, "--restart-command"),
                link_cycle=_command(args.link_command, "--link-command"),
                rate_limit=not args.quick,
                long=args.long,
                on_result=progress.result,
                on_phase=progress.on_phase,
            )
        )
        progress.close()
        return _finish(args, ll_report)
    config = Config(
        target=args.target,
        interface=interface,
        service=args.service,
        subtypes=tuple(args.subtype),
        restart=_command(args.restart_command, "--restart-command"),
        link_cycle=_command(args.link_command, "--link-command"),
        conflicts=not args.no_conflicts,
        rate_limit=not args.quick,
        off_link_source=args.off_link_source,
        update=_command(args.update_command, "--update-command"),
        rename=_command(args.rename_command, "--rename-command"),
        family=args.family,
        profile=args.profile,
        long=args.long,
        on_result=progress.result,
        on_phase=progress.on_phase,
    )
    try:
        report = run_conformance(config)
    finally:
        progress.close()
    return _finish(args, report)


def _finish(args: argparse.Namespace, report: Report) -> int:
    if args.json == "-":
        print(report.dumps())
    else:
        print(report.summary())
        if args.json:
            Path(args.json).write_text(report.dumps() + "\n")
    if args.html:
        Path(args.html).write_text(render_html(report), encoding="utf-8")
    sys.stdout.flush()
    return 1 if report.failed else 0
