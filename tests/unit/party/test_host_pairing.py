"""The host's pairing over loopback TCP: right passcode joins, wrong ones are refused and
then rate limited per source (the limiter's clock is the loop's; refill is long)."""

from __future__ import annotations

import asyncio

import pytest
from examples.party import protocol as p
from examples.party.host import PartyHost
from examples.party.player import pair

from lanwise.framing import AttemptLimiter, FramedStream, Message, PairingError

PASSCODE = "112233"


async def _attempt(port: int, passcode: str) -> FramedStream[Message]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    framed = FramedStream(reader, writer, p.plain_stack())
    await pair(framed, passcode)
    return framed


async def test_wrong_passcodes_are_refused_then_rate_limited() -> None:
    lines: list[str] = []
    host = PartyHost(
        "Unit", PASSCODE, out=lines.append, limiter=AttemptLimiter(burst=2, refill=3600)
    )
    server = await asyncio.start_server(host._client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        for _ in range(2):
            with pytest.raises(PairingError, match="wrong passcode"):
                await _attempt(port, "000000")
        with pytest.raises(PairingError, match="rate limited"):
            await _attempt(port, PASSCODE)  # even the right one, from this source, for now
        assert sum("wrong passcode" in line for line in lines) == 2
        assert any("rate limited" in line for line in lines)
    finally:
        server.close()


async def test_right_passcode_joins_and_leaving_frees_the_seat() -> None:
    lines: list[str] = []
    host = PartyHost("Unit", PASSCODE, seats=2, out=lines.append)
    server = await asyncio.start_server(host._client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        framed = await _attempt(port, PASSCODE)
        await framed.send(p.json_message(p.JOIN, {"name": "ana"}))
        welcome = await framed.receive()
        assert welcome.type == p.WELCOME
        assert p.json_body(welcome)["seat"] == 1
        assert host.game.free_seats == 1
        await framed.close()
        for _ in range(50):
            if host.game.free_seats == 2:
                break
            await asyncio.sleep(0.02)
        assert host.game.free_seats == 2
        assert "left: ana" in lines
    finally:
        server.close()
