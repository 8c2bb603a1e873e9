"""A command-line player: find games over DNS-SD, join one by name, pair, play.

``list`` browses ``_lanwise-party._tcp`` and shows each game with its free
seats and the interface it was seen on. ``join`` connects to the instance by
name (:func:`lanwise.connect_service`: no address typed, none guessed),
pairs with the passcode (SPAKE2), and then either plays a script
(``--guesses``; drawing when its turn comes) or sends each line typed as a
guess. Input events go as sealed datagrams to the host's input port over
the interface the game connection runs on.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sys
import time
from typing import Any

import lanwise
from examples.party import protocol as p
from lanwise.framing import (
    DatagramSealer,
    FramedStream,
    FramingError,
    Message,
    PairingError,
    PlayerPairing,
    SessionKeys,
)
from lanwise.net import DatagramEndpoint, open_datagram_endpoint

INPUT_HZ = 60


def _say(line: str) -> None:
    print(line, flush=True)


async def list_games(timeout: float) -> int:
    """Print the games seen within ``timeout`` seconds, one line per (game, interface)."""
    seen: dict[tuple[str, int], str] = {}
    async with lanwise.browse(p.SERVICE_TYPE, resolve=True) as events:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                async for event in events:
                    if isinstance(event, lanwise.ServiceRemoved):
                        seen.pop((event.name, event.interface), None)
                        continue
                    if isinstance(event, lanwise.BrowseOverflow):
                        _say("(the mDNS cache overflowed: this list may be incomplete)")
                        continue
                    txt = event.info.txt
                    seats = (txt.get("seats") or b"?").decode(errors="replace")
                    line = (
                        f"{event.name}\tseats {seats}\tinterface {_ifname(event.interface)}"
                        f" (#{event.interface})\t{event.info.host}:{event.info.port}"
                    )
                    if seen.get((event.name, event.interface)) != line:
                        seen[(event.name, event.interface)] = line
                        _say(line)
    if not seen:
        _say("no games found")
        return 1
    return 0


def _ifname(index: int) -> str:
    import socket  # noqa: PLC0415

    try:
        return socket.if_indextoname(index)
    except OSError:
        return str(index)


async def pair(framed: FramedStream[Message], passcode: str) -> SessionKeys:
    """Run the player's side of pairing; the session keys, or PairingError."""
    pairing = PlayerPairing(passcode, "spake2")
    await framed.send(Message(p.PAIR_START, pairing.start()))
    reply = await framed.receive()
    if reply.type == p.PAIR_REFUSED:
        raise PairingError("passcode", str(p.json_body(reply).get("reason", "refused")))
    await framed.send(Message(p.PAIR_CONFIRM, pairing.confirm(reply.body)))
    ok = await framed.receive()
    if ok.type == p.PAIR_REFUSED:
        raise PairingError("passcode", str(p.json_body(ok).get("reason", "refused")))
    if ok.type != p.PAIR_OK:
        raise FramingError("type", "expected the end of pairing", ok.type)
    keys = pairing.finish(ok.body)
    framed.restack(p.sealed_stack(keys, "player"))
    return keys


class Player:
    """One joined player: follows the host's state and plays its script."""

    def __init__(
        self,
        framed: FramedStream[Message],
        keys: SessionKeys,
        name: str,
        guesses: list[str] | None,
        conn: lanwise.ServiceConnection,
        *,
        guess_delay: float = 1.0,
    ) -> None:
        self.framed = framed
        self.sealer: DatagramSealer = keys.datagram_sealer("player")
        self.name = name
        self.guesses = guesses
        self.guess_delay = guess_delay
        self.conn = conn
        self.state: dict[str, Any] = {}
        self.changed = asyncio.Event()
        self.results: asyncio.Queue[bool] = asyncio.Queue()
        self.player_id = 0
        self.datagram_port = 0
        self.sent_inputs = 0

    async def join(self) -> None:
        await self.framed.send(p.json_message(p.JOIN, {"name": self.name}))
        answer = await self.framed.receive()
        body = p.json_body(answer)
        if answer.type != p.WELCOME:
            raise PairingError("name", str(body.get("reason", "refused")))
        self.name = str(body["name"])
        self.player_id = int(body["player_id"])
        self.datagram_port = int(body["datagram_port"])
        _say(f"joined {self.conn.service.name} as {self.name} (seat {body['seat']})")

    async def _read(self) -> None:
        while True:
            message = await self.framed.receive()
            if message.type == p.STATE:
                self.state = p.json_body(message)
                self.changed.set()
            elif message.type == p.RESULT:
                self.results.put_nowait(bool(p.json_body(message).get("correct")))

    async def play(self) -> int:
        reader = asyncio.create_task(self._read())
        endpoint = await open_datagram_endpoint(0)
        handled = 0
        turn: asyncio.Task[None] | None = None
        typed = None if self.guesses is not None else asyncio.create_task(self._typed())
        try:
            while True:
                waiter = asyncio.create_task(self.changed.wait())
                await asyncio.wait({reader, waiter}, return_when=asyncio.FIRST_COMPLETED)
                if reader.done():
                    waiter.cancel()
                    reader.result()  # raises EOFError / FramingError
                self.changed.clear()
                state = self.state
                if state.get("phase") == "over":
                    board = ", ".join(f"{n} {s}" for n, s in state.get("board", []))
                    _say(f"final: {board}")
                    return 0
                if state.get("phase") != "drawing" or state.get("round", 0) == handled:
                    continue
                handled = state["round"]
                if turn is not None:
                    turn.cancel()
                if state.get("drawer") == self.name:
                    _say(f"round {handled}: you draw {state.get('word')!r}")
                    turn = asyncio.create_task(self._draw(endpoint, handled))
                else:
                    _say(f"round {handled}: {state.get('drawer')} draws; guess!")
                    if self.guesses is not None:
                        turn = asyncio.create_task(self._guess(handled))
        finally:
            for task in (reader, turn, typed):
                if task is not None:
                    task.cancel()
            await endpoint.close()

    async def _guess(self, round_number: int) -> None:
        for text in self.guesses or []:
            await asyncio.sleep(self.guess_delay)  # think a little, as people do
            if self.state.get("round") != round_number or self.state.get("phase") != "drawing":
                return
            await self.framed.send(p.json_message(p.GUESS, {"text": text}))
            correct = await self.results.get()
            _say(f"guessed {text!r}: {'right' if correct else 'wrong'}")
            if correct:
                return

    async def _typed(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return  # no terminal: just watch
            text = line.strip()
            if text == "/start":
                await self.framed.send(Message(p.START, b""))
            elif text:
                await self.framed.send(p.json_message(p.GUESS, {"text": text}))

    async def _draw(self, endpoint: DatagramEndpoint, round_number: int) -> None:
        """Stream pen positions at 60 Hz while this round lasts (a circle, for the script)."""
        host = self.conn.remote.address
        step = 0
        while self.state.get("round") == round_number and self.state.get("phase") == "drawing":
            angle = step / 30 * math.pi
            x = int(32768 + 16000 * math.cos(angle))
            y = int(32768 + 16000 * math.sin(angle))
            kind = p.DOWN if step == 0 else p.MOVE
            event = p.InputEvent(kind, x, y, time.time())
            sealed = self.sealer.seal(event.pack(), p.player_id_bytes(self.player_id))
            with contextlib.suppress(OSError, lanwise.UsageError):
                endpoint.send(
                    p.datagram(self.player_id, sealed),
                    host,
                    self.datagram_port,
                    interface=self.conn.interface.index,
                )
                self.sent_inputs += 1
            step += 1
            await asyncio.sleep(1 / INPUT_HZ)


async def join_game(
    game: str,
    passcode: str,
    name: str,
    guesses: list[str] | None,
    *,
    timeout: float,
    guess_delay: float = 1.0,
) -> int:
    """``python -m examples.party join GAME``: 0 at the end of the game, 2 when refused."""
    try:
        conn = await lanwise.connect_service(game, p.SERVICE_TYPE, timeout=timeout)
    except (lanwise.LanwiseError, OSError) as exc:
        _say(f"cannot reach {game!r}: {exc}")
        return 2
    _say(f"connected to {game!r} at {conn.remote} over {conn.interface.name}")
    framed = FramedStream(conn.reader, conn.writer, p.plain_stack())
    try:
        keys = await asyncio.wait_for(pair(framed, passcode), timeout)
        _say("paired")
        player = Player(framed, keys, name, guesses, conn, guess_delay=guess_delay)
        await player.join()
        return await player.play()
    except PairingError as exc:
        _say(f"refused: {exc.rule}")
        return 2
    except (FramingError, EOFError, TimeoutError, OSError) as exc:
        _say(f"connection lost: {exc}")
        return 1
    finally:
        await framed.close()
