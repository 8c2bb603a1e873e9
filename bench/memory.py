"""Memory: RSS for 10k cached records and for 1000 registered services, against python-zeroconf.

Each figure is measured in a fresh Python process that imports what it needs,
prepares its input, reads its VmRSS (/proc/self/status), does the work, keeps
the result alive and reads VmRSS again (after ``gc.collect()`` both times); the
figure is the difference, in KiB, the least of RUNS processes.

- ``cache_10k``: the receive path fills an empty cache with 10,000 records:
  1,000 response packets of 10 cache-flush A records (10,000 hosts, TTL 120),
  the workload of bench/cache.py, as wire bytes read from a file before the
  first reading. lanwise: ``parse_message`` + ``Querier.handle_response`` (cache,
  expiry heap, refresh plan); python-zeroconf: ``DNSIncoming(...).answers()``
  then ``DNSCache.async_mark_unique_records_older_than_1s_to_expire`` and
  ``async_add_records``, the cache work of its record manager.
- ``cache_10k_dnssd``: the same with DNS-SD records, 2,500 instances of one
  type announced as PTR + SRV + TXT + A, ten records a packet.
- ``services_1000``: 1,000 services of one type registered (SRV, TXT, PTR, the
  host's A). lanwise: ``Engine.register`` of each on an engine with one
  interface, its timers run until probing and both announcements are over (what
  the responder holds for them afterwards); python-zeroconf:
  ``ServiceInfo`` + ``registry.async_add`` of each on a ``Zeroconf`` bound to
  127.0.0.1, and its PTR, SRV, TXT and A records made (what
  ``async_register_service`` keeps once its probes and announcements are sent,
  which build and keep those records; its sockets need no peer). The engine and the
  ``Zeroconf`` instance exist before the first reading.

Four sides (bench/paths.py): both lanwise paths (compiled, pure with
``LANWISE_NO_EXTENSIONS=1``) and python-zeroconf's wheel (compiled with Cython)
and a pure-Python copy of the same version; the output names each build.
Run inside a network namespace (the ``Zeroconf`` opens sockets on loopback):
``unshare --net -- bash -c 'ip link set lo up && .venv/bin/python -m bench.memory'``

The last line is ``RESULT lanwise_cache_10k_kib=… pure_lanwise_cache_10k_kib=…
zeroconf_cache_10k_kib=… pure_zeroconf_cache_10k_kib=…`` (the same for
``cache_10k_dnssd`` and ``services_1000``) then the ratios
``cache_10k_rss_vs_zeroconf_ratio=… cache_10k_rss_vs_pure_zeroconf_ratio=…
pure_cache_10k_rss_vs_zeroconf_ratio=… pure_cache_10k_rss_vs_pure_zeroconf_ratio=…``
and the same for ``cache_10k_dnssd_rss`` and ``services_1000_rss``: lanwise RSS /
python-zeroconf RSS, below 1 means lanwise takes less. ``…_vs_zeroconf`` is the
compiled zeroconf, ``…_vs_pure_zeroconf`` the pure one; a ``pure_`` prefix marks
the pure lanwise path, no prefix the compiled one.
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for _path in (str(REPO / "src"), str(REPO)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from bench import paths  # noqa: E402

RUNS = 3
HOSTS = 10_000
PER_PACKET = 10
INSTANCES = 2_500
SERVICES = 1_000
WORKLOADS = ("cache_10k", "cache_10k_dnssd", "services_1000")


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


# -- the input packets, built once by the parent -----------------------------------------
def build_packets(workload: str) -> list[bytes]:
    """The response packets of a cache workload (built with lanwise; wire bytes)."""
    from ipaddress import IPv4Address  # noqa: PLC0415

    from lanwise.dns import PTR, SRV, TXT, A, Flag, MessageBuilder, Name, Record  # noqa: PLC0415

    records: list[Record] = []
    if workload == "cache_10k":
        for i in range(HOSTS):
            address = A(IPv4Address(0x0A000000 + i))
            records.append(Record.of(Name(f"host-{i}.local"), address, 120, cache_flush=True))
    else:
        stype = Name("_mem._tcp.local")
        for i in range(INSTANCES):
            instance = Name.from_labels((f"Device {i}", "_mem", "_tcp", "local"))
            host = Name(f"device-{i}.local")
            records += [
                Record.of(stype, PTR(instance), 4500),
                Record.of(instance, SRV(0, 0, 1000 + i % 50000, host), 120, cache_flush=True),
                Record.of(instance, TXT((b"id=%d" % i, b"v=1")), 4500, cache_flush=True),
                Record.of(host, A(IPv4Address(0x0A000000 + i)), 120, cache_flush=True),
            ]
    packets = []
    for start in range(0, len(records), PER_PACKET):
        builder = MessageBuilder(flags=Flag.QR | Flag.AA)
        for record in records[start : start + PER_PACKET]:
            assert builder.add_answer(record)
        packets.append(builder.to_wire())
    return packets


# -- what the fresh processes run: (prepare, work) pairs ----------------------------------
def _lanwise_cache(packets: list[bytes], expected: int) -> tuple[Callable[[], Any], Any]:
    import random  # noqa: PLC0415

    from lanwise.dns import parse_message  # noqa: PLC0415
    from lanwise.mdns.querier import Querier  # noqa: PLC0415

    def work() -> Any:
        querier = Querier(random.Random(1))  # no query: as bench/cache.py, nothing refreshed
        handle = querier.handle_response
        for data in packets:
            handle(parse_message(data), 1, 0.0)
        assert len(querier.cache) == expected, len(querier.cache)
        return querier

    return work, None


def _zeroconf_cache(packets: list[bytes], expected: int) -> tuple[Callable[[], Any], Any]:
    from zeroconf._cache import DNSCache  # noqa: PLC0415
    from zeroconf._protocol.incoming import DNSIncoming  # noqa: PLC0415

    def work() -> Any:
        cache = DNSCache()
        now = 1_000_000.0
        for data in packets:
            answers = DNSIncoming(data, now=now).answers()
            unique = {(r.name, r.type, r.class_) for r in answers if r.unique}
            cache.async_mark_unique_records_older_than_1s_to_expire(unique, answers, now)
            cache.async_add_records(answers)
        held = sum(len(records) for records in cache.cache.values())
        assert held == expected, held
        return cache

    return work, None


def _lanwise_services() -> tuple[Callable[[], Any], Any]:
    import random  # noqa: PLC0415
    from ipaddress import IPv4Interface  # noqa: PLC0415

    from lanwise.mdns.engine import Engine  # noqa: PLC0415
    from lanwise.mdns.registration import ServiceRecords  # noqa: PLC0415

    engine = Engine(host_name="memory", rng=random.Random(1))
    engine.add_interface(2, [IPv4Interface("192.168.7.10/24")], 0.0)

    def work() -> Any:
        for i in range(SERVICES):
            service = ServiceRecords(f"Service {i}", "_mem._tcp", 1000 + i, (b"id=%d" % i,))
            engine.register(service, 0.0)
        while (timer := engine.get_timer()) is not None and timer < 30.0:
            engine.handle_timer(timer)
            engine.datagrams_to_send(timer)
        while engine.next_event() is not None:
            pass
        return engine

    return work, engine


def _zeroconf_services() -> tuple[Callable[[], Any], Any]:
    import socket  # noqa: PLC0415

    from zeroconf import ServiceInfo, Zeroconf  # noqa: PLC0415

    zc = Zeroconf(interfaces=["127.0.0.1"])

    def work() -> Any:
        infos = []
        for i in range(SERVICES):
            info = ServiceInfo(
                "_mem._tcp.local.",
                f"Service {i}._mem._tcp.local.",
                addresses=[socket.inet_aton("192.168.7.10")],
                port=1000 + i,
                properties={b"id": str(i).encode()},
                server="memory.local.",
            )
            zc.registry.async_add(info)
            # The records its probes and announcements build, which it keeps after.
            info.dns_pointer(), info.dns_service(), info.dns_text(), info.dns_addresses()
            infos.append(info)
        return infos

    return work, zc


def measure(library: str, workload: str, packets_file: str) -> dict[str, Any]:
    """In a fresh process: RSS growth (KiB) of one library doing one workload."""
    if workload == "services_1000":
        work, keep = _lanwise_services() if library == "lanwise" else _zeroconf_services()
    else:
        packets: list[bytes] = pickle.loads(Path(packets_file).read_bytes())
        expected = HOSTS if workload == "cache_10k" else 4 * INSTANCES
        fill = _lanwise_cache if library == "lanwise" else _zeroconf_cache
        work, keep = fill(packets, expected)
    gc.collect()
    before = _rss_kib()
    held = work()
    gc.collect()
    after = _rss_kib()
    if library == "zeroconf" and keep is not None:
        keep.close()
    del held
    return {"kib": after - before, "build": paths.describe()}


def _child(library: str, workload: str, packets_file: str) -> None:
    # Import both libraries' top packages first so their import cost is never counted.
    if library == "lanwise":
        import lanwise.dns  # noqa: F401, PLC0415
    else:
        import zeroconf  # noqa: F401, PLC0415
    print(json.dumps(measure(library, workload, packets_file)))


def run_side(
    library: str, build: paths.Build, workload: str, packets_file: str
) -> tuple[int, dict[str, str]]:
    """The least RSS growth over RUNS fresh processes, and the build they ran."""
    env = (
        paths.environment(build, "compiled")
        if library == "lanwise"
        else paths.environment("compiled", build)
    )
    best: int | None = None
    described: dict[str, str] = {}
    for _ in range(RUNS):
        done = subprocess.run(
            [sys.executable, "-m", "bench.memory", "--child", library, workload, packets_file],
            check=True,
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env,
        )
        row = json.loads(done.stdout.strip().splitlines()[-1])
        best = row["kib"] if best is None else min(best, row["kib"])
        described = row["build"]
    assert best is not None
    return best, described


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return 0
    lanwise: dict[paths.Build, dict[str, float]] = {}
    zc: dict[paths.Build, dict[str, float]] = {}
    builds: dict[str, str] = {}
    order: list[paths.Build] = ["compiled", "pure"]
    with tempfile.TemporaryDirectory() as tmp:
        for workload in WORKLOADS:
            packets_file = str(Path(tmp, f"{workload}.pickle"))
            if workload != "services_1000":
                Path(packets_file).write_bytes(pickle.dumps(build_packets(workload)))
            for build in order:
                kib, described = run_side("lanwise", build, workload, packets_file)
                ran: paths.Build = "compiled" if described["lanwise"] == "compiled" else "pure"
                lanwise.setdefault(ran, {})[workload] = kib
                builds[f"lanwise {described['lanwise']}"] = described["lanwise_detail"]
                kib, described = run_side("zeroconf", build, workload, packets_file)
                if described["zeroconf"] != build:
                    raise SystemExit(f"zeroconf {build} asked, {described} ran")
                zc.setdefault(build, {})[workload] = kib
                builds[f"zeroconf {build}"] = described["zeroconf_detail"]
    for side, detail in builds.items():
        print(f"{side:18} {detail}")
    if len(lanwise) < 2:
        print("no compiled lanwise build here: the compiled lanwise keys are left out")
    columns = [*(f"lanwise {p}" for p in lanwise), "zc compiled", "zc pure"]
    print(f"{'RSS KiB':18s}" + "".join(f"{c:>17s}" for c in columns))
    rows = [*lanwise.values(), zc["compiled"], zc["pure"]]
    for workload in WORKLOADS:
        print(f"{workload:18s}" + "".join(f"{row[workload]:17.0f}" for row in rows))
    prefix = {"compiled": "", "pure": "pure_"}
    figures = {
        f"{prefix[p]}lanwise_{w}_kib": v for p, row in lanwise.items() for w, v in row.items()
    }
    figures |= {f"{prefix[p]}zeroconf_{w}_kib": v for p, row in zc.items() for w, v in row.items()}
    ratio_in = {p: {f"{w}_rss": v for w, v in row.items()} for p, row in lanwise.items()}
    ratio_of = {p: {f"{w}_rss": v for w, v in row.items()} for p, row in zc.items()}
    result = paths.ratios(
        ratio_in,
        ratio_of,
        [f"{w}_rss" for w in WORKLOADS],
        names=("zeroconf", "pure_zeroconf"),
        both=len(lanwise) == 2,
    )
    print(
        "RESULT "
        + " ".join(f"{k}={v:.0f}" for k, v in figures.items())
        + " "
        + " ".join(f"{k}={v:.2f}" for k, v in result.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
