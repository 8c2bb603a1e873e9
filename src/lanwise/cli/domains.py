"""``lanwise domains``: the browse and registration domains the network suggests.

Asks ``b``, ``db``, ``r``, ``dr`` and ``lb`` ``._dns-sd._udp`` under every search
domain and under the reverse-mapping name of every subnet this host is on
(RFC 6763 §11), and prints what was found and where it came from.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from lanwise.cli.output import escape, json_line, json_text
from lanwise.net.resolvers import RESOLV_CONF
from lanwise.widearea.domains import DOMAIN_KINDS, enumerate_domains

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "domains",
        help="list wide-area DNS-SD browse and registration domains (RFC 6763 §11)",
        description="Find the DNS-SD domains the network suggests: b, db, r, dr, lb "
        "under each search domain and each subnet's reverse-mapping name.",
    )
    parser.add_argument(
        "--server", metavar="ADDR", help="the DNS server to ask (default: resolv.conf's)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--resolv-conf", type=Path, default=RESOLV_CONF, help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    found = asyncio.run(enumerate_domains(servers=args.server, resolv_conf=args.resolv_conf))
    for entry in found:
        # Domains and base names come from the network: escaped like every name.
        if args.json:
            print(json_line({key: json_text(value) for key, value in entry.to_json().items()}))
        else:
            domain, source, base = (escape(x) for x in (entry.domain, entry.source, entry.base))
            print(f"{DOMAIN_KINDS[entry.kind]:<17} {domain:<30} {source} ({base})")
    if not found and not args.json:
        print("no DNS-SD domains found")
    return 0
