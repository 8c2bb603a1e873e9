"""Wide-area DNS-SD benchmark against BIND 9 in the lab, nsupdate measured in the same run.

Needs root (it builds a lab of network namespaces, see tests/harness) and Debian's bind9.

1. Register N = 1000 services in ``example.test`` by DNS UPDATE signed with TSIG:
   - nsupdate: one process, one UPDATE per service (``send`` after each), each with
     the same content lanwise sends: "name not in use" prerequisite, PTR, SRV, TXT,
     A and AAAA;
   - lanwise: one registrar, ``register_many`` of all the services: each a separate
     UPDATE, as nsupdate's, with up to UPDATE_WINDOW (64) in flight.
   Seconds from the start until the server acknowledged the last one. ROUNDS rounds,
   alternating which goes first, each on a fresh service type; the medians.
2. From a host on another LAN, with nothing cached on the client: browse the type
   (PTR over UDP, truncated, then TCP) and resolve every instance (SRV, TXT, then
   A/AAAA of the targets) over one pipelined TCP connection (RFC 7766): seconds
   until all 1000 are resolved, straight from the authoritative server and through
   a fresh recursive resolver (cold cache).

No python-zeroconf in it: python-zeroconf speaks only multicast DNS, no DNS
UPDATE or unicast DNS-SD; the peer is BIND's nsupdate. lanwise's unicast side
encodes with dnspython, not with its compiled modules (docs/compiled.md: the
mDNS codec and engine), so its two paths run the same code here.

Run: sudo .venv/bin/python -m bench.wide_area
The last line is ``RESULT register_1000_s=… nsupdate_1000_s=…
register_1000_vs_nsupdate_ratio=… resolve_1000_cold_s=… resolve_1000_via_resolver_s=…``
(the ratio is lanwise time / nsupdate time; below 1 means lanwise is faster).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "src") not in sys.path:
    sys.path[:0] = [str(REPO / "src"), str(REPO)]

from tests.harness import lab_unusable_reason  # noqa: E402
from tests.lab.widearea.world import DOMAIN, World, build_world  # noqa: E402

from lanwise.dnssd import Service  # noqa: E402
from lanwise.widearea.browse import (  # noqa: E402
    domain_name,
    list_instances,
    resolve_many,
    unicast_type,
)
from lanwise.widearea.client import DnsClient, ServerAddress  # noqa: E402
from lanwise.widearea.registration import open_registrar  # noqa: E402

N = 1000
ROUNDS = 5


def _nsupdate_script(world: World, count: int, label: str) -> str:
    lines = [f"server {world.server.address}", f"zone {DOMAIN}"]
    v4, v6 = world.pub.ipv4(), world.pub.ipv6()
    for i in range(count):
        owner = f"NS\\032Bench\\032{i:04d}.{label}._tcp.{DOMAIN}."
        lines += [
            f"prereq nxdomain {owner}",
            f"update add {label}._tcp.{DOMAIN}. 120 PTR {owner}",
            f"update add {owner} 120 SRV 0 0 {1000 + i} nsb.{DOMAIN}.",
            f'update add {owner} 120 TXT "n={i}"',
            f"update add nsb.{DOMAIN}. 120 A {v4}",
            f"update add nsb.{DOMAIN}. 120 AAAA {v6}",
            "send",
        ]
    return "\n".join(lines) + "\n"


def nsupdate_seconds(world: World, count: int, label: str) -> float:
    script = _nsupdate_script(world, count, label)
    start = time.perf_counter()
    world.pub.run("nsupdate", "-k", str(world.key_file), input=script, timeout=600)
    return time.perf_counter() - start


async def _register(world: World, count: int, label: str) -> float:
    services = [
        Service(f"LW Bench {i:04d}", f"{label}._tcp", 1000 + i, {"n": str(i)}) for i in range(count)
    ]
    start = time.perf_counter()
    async with open_registrar(
        DOMAIN, server=str(world.server.address), tsig=world.key_file, host="lwb"
    ) as registrar:
        await registrar.register_many(services)
        elapsed = time.perf_counter() - start
        registrar.abandon()  # leave them: the resolve step reads them
    return elapsed


async def _resolve(server: ServerAddress, count: int, label: str) -> float:
    start = time.perf_counter()
    client = DnsClient()
    stype = unicast_type(f"{label}._tcp", domain_name(DOMAIN))
    names, _ = await list_instances(client, stype, [server])
    infos, _ = await resolve_many(client, names, stype, server)
    elapsed = time.perf_counter() - start
    resolved = [i for i in infos.values() if i is not None and i.addresses]
    assert len(resolved) == count, (len(names), len(resolved))
    return elapsed


def main() -> int:
    reason = lab_unusable_reason()
    if reason:
        print(f"skipped: {reason}")
        return 1
    with tempfile.TemporaryDirectory(prefix="lw-bench-wa-") as tmp:
        world = build_world(Path(tmp), "bind")
        try:
            ns_runs: list[float] = []
            lw_runs: list[float] = []
            for run in range(ROUNDS):
                # Alternate who goes first; each run gets a fresh type (PTR RRsets of equal size).
                for who in ("ns", "lw") if run % 2 == 0 else ("lw", "ns"):
                    if who == "ns":
                        ns_runs.append(nsupdate_seconds(world, N, f"_ns{run}"))
                    else:
                        lw_runs.append(world.on_pub(_register(world, N, f"_lw{run}"), 600))
            ratios = [lw / ns for lw, ns in zip(lw_runs, ns_runs, strict=True)]
            auth = ServerAddress(str(world.server.address))
            cold = world.on_far(_resolve(auth, N, "_lw0"))
            # The lab's resolver has never been asked for this type: its cache is cold.
            via = world.on_far(_resolve(ServerAddress(str(world.resolver.address)), N, "_lw1"))
        finally:
            world.close()
    ns, lw, ratio = (statistics.median(x) for x in (ns_runs, lw_runs, ratios))
    print(f"nsupdate: {N} updates in {' '.join(f'{x:.2f}' for x in ns_runs)} s")
    print(f"lanwise:  {N} registrations in {' '.join(f'{x:.2f}' for x in lw_runs)} s")
    print(f"ratios:   {' '.join(f'{x:.3f}' for x in ratios)} (median {ratio:.3f})")
    print(f"resolve {N} from the authoritative server (pipelined TCP): {cold:.2f} s")
    print(f"resolve {N} through a cold recursive resolver: {via:.2f} s")
    print(
        f"RESULT register_1000_s={lw:.3f} nsupdate_1000_s={ns:.3f} "
        f"register_1000_vs_nsupdate_ratio={ratio:.3f} resolve_1000_cold_s={cold:.3f} "
        f"resolve_1000_via_resolver_s={via:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
