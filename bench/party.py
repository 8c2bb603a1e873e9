"""Party input events in the lab: lanwise's sealed datagrams against plain websockets.

Needs root (it builds a lab of network namespaces, see tests/harness).

8 players (tasks in one process on one lab host) each send 60 input events a
second for 30 s to the party host on another lab host, in alternating turns
(3 of 10 s each, by default) of the two ways:

1. lanwise: each player pairs (SPAKE2) over a TCP connection
   (:func:`lanwise.net.connect`), joins, and sends its events as sealed
   datagrams (ChaCha20-Poly1305, counter, latest wins) through
   :func:`lanwise.net.open_datagram_endpoint`; the host is the example's
   :class:`PartyHost`, which receives them on its per-interface UDP sockets.
2. websockets: the same 13-byte events as binary messages over one plain
   ``websockets`` connection per player, no lanwise framing, to a plain
   ``websockets`` server.

Latency is the host's wall clock when it handles an event minus the sender's
wall clock in it (the lab hosts share the machine's clock). Loss is the share
of events sent that the host never handled (for datagrams: lost, or arrived
after a newer one and dropped as stale).

No python-zeroconf in it: python-zeroconf has no pairing, sealed datagrams or
WebSocket framing; the peer is plain ``websockets``. The compiled modules
(docs/compiled.md: the DNS codec and the mDNS engine) are not on the measured
path (framing, AEAD, sockets), so lanwise's two paths run the same code here;
it runs whichever the process imports.

Run: sudo .venv/bin/python -m bench.party [--seconds 30] [--players 8] [--rounds 3]
The last line is ``RESULT event_latency_p50_ms=… event_latency_p99_ms=…
event_loss=… websockets_latency_p50_ms=… websockets_latency_p99_ms=…
websockets_loss=… event_latency_p99_vs_websockets_ratio=…`` (the ratio is
lanwise p99 / websockets p99: below 1 means lanwise is faster).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "src") not in sys.path:
    sys.path[:0] = [str(REPO / "src"), str(REPO)]

from examples.party import protocol as p  # noqa: E402
from examples.party.host import PartyHost  # noqa: E402
from examples.party.player import pair  # noqa: E402
from tests.harness import Lab, lab_unusable_reason  # noqa: E402

from lanwise.framing import FramedStream  # noqa: E402
from lanwise.net import connect, open_datagram_endpoint  # noqa: E402

PASSCODE = "424242"
PORT = 7400
HZ = 60


async def _until_stdin_closes() -> None:
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)


def _report(latencies: list[float]) -> None:
    print(json.dumps({"latencies": latencies}), flush=True)


# -- the four roles, each a process on a lab host ---------------------------------------
async def lanwise_host() -> None:
    host = PartyHost("Bench", PASSCODE, seats=64, port=PORT, out=lambda _line: None, show_qr=False)
    runner = asyncio.create_task(host.run())
    await host.ready.wait()
    print("ready", flush=True)
    await _until_stdin_closes()
    runner.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await runner
    _report(host.latencies)


async def websockets_host() -> None:
    from websockets.asyncio.server import ServerConnection, serve  # noqa: PLC0415

    latencies: list[float] = []

    async def handler(ws: ServerConnection) -> None:
        async for message in ws:
            event = p.InputEvent.unpack(message if isinstance(message, bytes) else b"")
            if event is not None:
                latencies.append(time.time() - event.sent)

    async with serve(handler, "0.0.0.0", PORT):
        print("ready", flush=True)
        await _until_stdin_closes()
    _report(latencies)


async def _paced(send: Any, seconds: float, offset: float) -> int:
    """Call ``send(event)`` HZ times a second for ``seconds``; returns how many were sent."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(offset)
    start, sent = loop.time(), 0
    while loop.time() - start < seconds:
        event = p.InputEvent(p.MOVE, sent % 65536, 100, time.time())
        await send(event)
        sent += 1
        await asyncio.sleep(max(0.0, start + sent / HZ - loop.time()))
    return sent


async def lanwise_players(address: str, players: int, seconds: float) -> None:
    endpoint = await open_datagram_endpoint(0)

    async def one(i: int) -> int:
        conn = await connect(address, PORT, timeout=10)
        framed = FramedStream(conn.reader, conn.writer, p.plain_stack())
        keys = await pair(framed, PASSCODE)
        await framed.send(p.json_message(p.JOIN, {"name": f"p{i}"}))
        welcome = p.json_body(await framed.receive())
        player_id, port = int(welcome["player_id"]), int(welcome["datagram_port"])
        sealer = keys.datagram_sealer("player")
        aad = p.player_id_bytes(player_id)

        async def send(event: p.InputEvent) -> None:
            data = p.datagram(player_id, sealer.seal(event.pack(), aad))
            endpoint.send(data, conn.remote.address, port, interface=conn.interface.index)

        await asyncio.sleep(1.0)  # every player paired before anyone streams
        sent = await _paced(send, seconds, i / (HZ * players))
        await asyncio.sleep(0.5)
        await framed.close()
        return sent

    counts = await asyncio.gather(*(one(i) for i in range(players)))
    await endpoint.close()
    print(json.dumps({"sent": sum(counts)}), flush=True)


async def websockets_players(address: str, players: int, seconds: float) -> None:
    from websockets.asyncio.client import connect as ws_connect  # noqa: PLC0415

    async def one(i: int) -> int:
        async with ws_connect(f"ws://{address}:{PORT}/", compression=None) as ws:

            async def send(event: p.InputEvent) -> None:
                await ws.send(event.pack())

            await asyncio.sleep(1.0)
            sent = await _paced(send, seconds, i / (HZ * players))
            await asyncio.sleep(0.5)
            return sent

    counts = await asyncio.gather(*(one(i) for i in range(players)))
    print(json.dumps({"sent": sum(counts)}), flush=True)


# -- the run --------------------------------------------------------------------------------
def _role(host: Any, *args: str, stdin: Any = None) -> subprocess.Popen[str]:
    return host.popen(  # type: ignore[no-any-return]
        sys.executable, "-m", "bench.party", "--role", *args,
        stdin=stdin, stdout=subprocess.PIPE, text=True, cwd=str(REPO),
    )  # fmt: skip


def _phase(lab: Lab, kind: str, players: int, seconds: float) -> tuple[list[float], int]:
    """One run of ``kind``: the host's latencies (ms) and how many events were sent."""
    tv, room = lab.hosts
    server = _role(tv, f"{kind}-host", stdin=subprocess.PIPE)
    assert server.stdout is not None and server.stdin is not None
    if server.stdout.readline().strip() != "ready":
        raise RuntimeError(f"{kind} host did not start")
    client = _role(room, f"{kind}-players", str(tv.ipv4()), str(players), str(seconds))
    out, _ = client.communicate(timeout=seconds + 60)
    sent = json.loads(out.strip().splitlines()[-1])["sent"]
    time.sleep(0.5)
    server.stdin.close()
    latencies = json.loads(server.stdout.read().strip().splitlines()[-1])["latencies"]
    server.wait(15)
    return [x * 1000 for x in latencies], sent


def _summary(kind: str, latencies: list[float], sent: int) -> dict[str, float]:
    ms = sorted(latencies)
    quantiles = statistics.quantiles(ms, n=100, method="inclusive")
    result = {
        "p50_ms": statistics.median(ms),
        "p99_ms": quantiles[98],
        "max_ms": ms[-1],
        "loss": 1 - len(ms) / sent if sent else 1.0,
        "sent": sent,
    }
    print(f"{kind}: " + " ".join(f"{k}={v:.4g}" for k, v in result.items()), flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--players", type=int, default=8)
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternate the two in this many turns each"
    )
    parser.add_argument("--role", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        role, *rest = args.role
        if role == "lanwise-host":
            asyncio.run(lanwise_host())
        elif role == "websockets-host":
            asyncio.run(websockets_host())
        elif role == "lanwise-players":
            asyncio.run(lanwise_players(rest[0], int(rest[1]), float(rest[2])))
        elif role == "websockets-players":
            asyncio.run(websockets_players(rest[0], int(rest[1]), float(rest[2])))
        return 0
    reason = lab_unusable_reason()
    if reason:
        print(f"bench.party: {reason}", file=sys.stderr)
        return 2
    with Lab() as lab:
        lan = lab.lan()
        lab.host("tv", [lan])
        lab.host("room", [lan])
        # Turns alternate (lanwise, websockets, lanwise, …) so that a change in the
        # machine's load falls on both alike; the seconds are split between the turns.
        pooled: dict[str, tuple[list[float], int]] = {"lanwise": ([], 0), "websockets": ([], 0)}
        for _ in range(args.rounds):
            for kind in pooled:
                got, sent = _phase(lab, kind, args.players, args.seconds / args.rounds)
                pooled[kind] = (pooled[kind][0] + got, pooled[kind][1] + sent)
        ours = _summary("lanwise", *pooled["lanwise"])
        theirs = _summary("websockets", *pooled["websockets"])
    result = {
        "players": args.players,
        "events_per_s": HZ,
        "seconds": args.seconds,
        "event_latency_p50_ms": ours["p50_ms"],
        "event_latency_p99_ms": ours["p99_ms"],
        "event_loss": ours["loss"],
        "websockets_latency_p50_ms": theirs["p50_ms"],
        "websockets_latency_p99_ms": theirs["p99_ms"],
        "websockets_loss": theirs["loss"],
        "event_latency_p99_vs_websockets_ratio": ours["p99_ms"] / theirs["p99_ms"],
    }
    print("RESULT " + " ".join(f"{k}={v:.4g}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
