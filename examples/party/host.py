"""The party host: the big screen. Pairs players, runs the rules, collects their input.

Every network step is a lanwise call (docs/party.md maps each to the usual
wrong way): it listens on every address (:func:`lanwise.net.listen`), takes
input datagrams on a socket per interface
(:func:`lanwise.net.open_datagram_endpoint`), advertises itself over DNS-SD
with its free seats in TXT (:meth:`lanwise.Registration.update_txt`), and
shows how to reach it per interface (:func:`lanwise.net.watch_connection_info`).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import random
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lanwise
from examples.party import protocol as p
from examples.party.rules import (
    Correct,
    Event,
    Game,
    GameOver,
    Guess,
    Join,
    Joined,
    Leave,
    Left,
    Outcome,
    Phase,
    Refused,
    RoundEnded,
    RoundStarted,
    Start,
    Tick,
    Wrong,
)
from lanwise.framing import (
    AttemptLimiter,
    DatagramSealer,
    FramedStream,
    FramedWebSocket,
    FramingError,
    HostPairing,
    HttpReply,
    Message,
    PairingError,
    SessionKeys,
    accept_websocket,
)
from lanwise.net import ConnectionInfo, listen, open_datagram_endpoint, watch_connection_info

WORDS = ("cat", "house", "tree", "boat", "guitar", "rocket", "pizza", "bicycle", "moon", "fish")
PAGE = Path(__file__).with_name("page.html")
SCRIPT = Path(__file__).with_name("lancrypto.js")
PAIRING_TIMEOUT = 10.0

Framed = FramedStream[Message] | FramedWebSocket[Message]


@dataclass(eq=False)
class Session:
    """One paired player connection."""

    framed: Framed
    source: str
    player_id: int
    sealer: DatagramSealer
    name: str | None = None
    inputs: int = 0
    latest: p.InputEvent | None = None


class PartyHost:
    """Runs one game; :meth:`run` until cancelled (or the game is over and ``exit_when_over``)."""

    def __init__(
        self,
        game_name: str,
        passcode: str,
        *,
        seats: int = 8,
        words: tuple[str, ...] = WORDS,
        round_seconds: float = 60.0,
        start_when: int = 0,
        port: int = 0,
        out: Callable[[str], None] | None = None,
        show_qr: bool = True,
        limiter: AttemptLimiter | None = None,
    ) -> None:
        self.game_name = game_name
        self.passcode = passcode
        self.game = Game(words=words, seats=seats, round_seconds=round_seconds)
        self.start_when = start_when
        self.requested_port = port
        self.port = 0
        self.datagram_port = 0
        self.show_qr = show_qr
        self.limiter = limiter or AttemptLimiter()
        self.sessions: dict[int, Session] = {}
        self.latencies: list[float] = []  # seconds from each input event's sending to its use
        self.over = asyncio.Event()
        self.ready = asyncio.Event()
        self._out = out or (lambda line: print(line, flush=True))
        self._ids = iter(range(1, 65536))
        self._registration: lanwise.Registration | None = None
        self._published_seats = -1
        self._txt_lock = asyncio.Lock()

    def say(self, line: str) -> None:
        """Show a line on the big screen."""
        self._out(line)

    # -- running ----------------------------------------------------------------------
    async def run(self) -> None:
        """Listen, advertise, show the connection info, and play until cancelled."""
        loop = asyncio.get_running_loop()
        async with (
            await open_datagram_endpoint(0) as datagrams,
            await listen(self.requested_port, self._client) as listener,
            lanwise.open_responder() as responder,
        ):
            self.port, self.datagram_port = listener.port, datagrams.port
            self._registration = await responder.register(
                lanwise.Service(self.game_name, p.SERVICE_TYPE, self.port, txt=self._txt())
            )
            self._published_seats = self.game.free_seats
            self.say(f"game: {self._registration.name}")
            self.say(f"passcode: {self.passcode}")
            self.say(f"listening: tcp {self.port}, input udp {self.datagram_port}")
            tasks = [
                loop.create_task(self._show_connection_info()),
                loop.create_task(self._receive_inputs(datagrams)),
                loop.create_task(self._ticks()),
            ]
            self.ready.set()
            try:
                await asyncio.Future()  # until cancelled
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                for session in list(self.sessions.values()):
                    await session.framed.close()

    def _txt(self) -> dict[str, str]:
        return {
            "game": self.game_name,
            "seats": str(self.game.free_seats),
            "of": str(self.game.seats),
            "phase": str(self.game.phase),
        }

    async def _publish_seats(self) -> None:
        async with self._txt_lock:
            if self._registration is None or self._published_seats == self.game.free_seats:
                return
            self._published_seats = self.game.free_seats
            await self._registration.update_txt(self._txt())
            self.say(f"seats free: {self.game.free_seats} of {self.game.seats}")

    async def _show_connection_info(self) -> None:
        async for info in watch_connection_info(
            self.port, service_name=self.game_name, service_type=p.SERVICE_TYPE
        ):
            self.say(self._format_info(info))

    def _format_info(self, info: ConnectionInfo) -> str:
        lines = ["join in a browser:"]
        for iface in info.interfaces:
            for addr in iface.addresses:
                lines.append(f"  {iface.name:<8} {addr.url}")
        if info.host_url:
            lines.append(f"  {'name':<8} {info.host_url}")
        if self.show_qr and info.best_url:
            import segno  # noqa: PLC0415 - only drawn when shown

            buf = io.StringIO()
            segno.make(info.best_url, error="m").terminal(out=buf, compact=True, border=2)
            lines.append(buf.getvalue().rstrip())
        return "\n".join(lines)

    async def _ticks(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(0.25)
            await self._apply(Tick(), loop.time())

    # -- the rules --------------------------------------------------------------------
    async def _apply(self, event: Event, now: float | None = None) -> list[Outcome]:
        when = asyncio.get_running_loop().time() if now is None else now
        outcomes = self.game.apply(event, when)
        for outcome in outcomes:
            self._show(outcome)
        if any(not isinstance(o, Wrong | Refused) for o in outcomes):
            await self._broadcast_state()  # a wrong guess changes nothing on the board
        await self._publish_seats()
        if (
            self.start_when
            and self.game.phase is Phase.LOBBY
            and len(self.game.players) >= self.start_when
        ):
            await self._apply(Start("host"))
        return outcomes

    def _show(self, outcome: Outcome) -> None:
        match outcome:
            case Joined(name, seat):
                self.say(f"joined: {name} (seat {seat})")
            case Left(name):
                self.say(f"left: {name}")
            case Refused(name, reason):
                self.say(f"refused: {name}: {reason}")
            case RoundStarted(number, drawer):
                self.say(f"round {number}: {drawer} draws")
            case Wrong(name, text):
                self.say(f"wrong: {name} guessed {text!r}")
            case Correct(name, word):
                self.say(f"correct: {name} guessed {word!r}")
            case RoundEnded(number, word, reason):
                self.say(f"round {number} over ({reason}): the word was {word!r}")
            case GameOver(scores):
                self.say("game over: " + ", ".join(f"{n} {s}" for n, s in scores))
                self.over.set()

    def _state_for(self, session: Session) -> dict[str, Any]:
        game = self.game
        return {
            "you": session.name,
            "phase": str(game.phase),
            "round": game.round,
            "rounds": game.rounds,
            "drawer": game.drawer,
            "word": game.word if session.name == game.drawer else None,
            "players": list(game.players),
            "board": [[n, s] for n, s in game.board()],
            "free_seats": game.free_seats,
            "inputs": {s.name: s.inputs for s in self.sessions.values() if s.name},
        }

    async def _broadcast_state(self) -> None:
        for session in list(self.sessions.values()):
            if session.name is not None:
                with contextlib.suppress(Exception):
                    await session.framed.send(p.json_message(p.STATE, self._state_for(session)))

    # -- connections ------------------------------------------------------------------
    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        source = str(peer[0]) if peer else "?"
        try:
            first = await asyncio.wait_for(reader.read(65536), PAIRING_TIMEOUT)
        except (TimeoutError, OSError):
            writer.close()
            return
        framed: Framed
        if first.startswith((b"GET ", b"HEAD ")):
            ws = await accept_websocket(reader, writer, self._http, first=first)
            if ws is None:
                return
            framed = FramedWebSocket(ws, p.plain_stack())
        else:
            framed = FramedStream(reader, writer, p.plain_stack(), first=first)
        try:
            await self._serve(framed, source)
        finally:
            await framed.close()

    def _http(self, path: str) -> HttpReply:
        path = path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            return 200, "text/html; charset=utf-8", PAGE.read_bytes()
        if path == "/lancrypto.js":
            return 200, "text/javascript; charset=utf-8", SCRIPT.read_bytes()
        return 404, "text/plain", b"not found\n"

    async def _pair(self, framed: Framed, source: str) -> SessionKeys | None:
        loop = asyncio.get_running_loop()
        start = await asyncio.wait_for(framed.receive(), PAIRING_TIMEOUT)
        if start.type != p.PAIR_START:
            raise FramingError("type", "pairing must come first", start.type)
        wait = self.limiter.retry_after(source, loop.time())
        if wait > 0:
            self.say(f"refused pairing from {source}: rate limited ({wait:.0f} s)")
            await framed.send(
                p.json_message(p.PAIR_REFUSED, {"reason": "rate limited", "retry_after": wait})
            )
            return None
        pairing = HostPairing(self.passcode)
        await framed.send(Message(p.PAIR_REPLY, pairing.reply(start.body)))
        confirm = await asyncio.wait_for(framed.receive(), PAIRING_TIMEOUT)
        if confirm.type != p.PAIR_CONFIRM:
            raise FramingError("type", "expected the pairing confirmation", confirm.type)
        try:
            host_confirm, keys = pairing.verify(confirm.body)
        except PairingError:
            self.limiter.failed(source, loop.time())
            self.say(f"refused pairing from {source}: wrong passcode")
            await framed.send(p.json_message(p.PAIR_REFUSED, {"reason": "wrong passcode"}))
            return None
        self.limiter.succeeded(source)
        await framed.send(Message(p.PAIR_OK, host_confirm))
        framed.restack(p.sealed_stack(keys, "host"))
        return keys

    async def _serve(self, framed: Framed, source: str) -> None:
        try:
            keys = await self._pair(framed, source)
            if keys is None:
                return
        except (FramingError, EOFError, TimeoutError, OSError) as exc:
            self.say(f"dropped {source} while pairing: {exc}")
            return
        player_id = next(self._ids)
        session = Session(framed, source, player_id, keys.datagram_sealer("host"))
        self.sessions[player_id] = session
        try:
            await self._play(session)
        except (FramingError, OSError) as exc:
            self.say(f"dropped {session.name or source}: {exc}")
        except EOFError:
            pass
        finally:
            del self.sessions[player_id]
            if session.name is not None:
                self.say(f"inputs from {session.name}: {session.inputs}")
                await self._apply(Leave(session.name))

    async def _play(self, session: Session) -> None:
        hello = await session.framed.receive()
        if hello.type != p.JOIN:
            raise FramingError("type", "join must come first", hello.type)
        name = str(p.json_body(hello).get("name", ""))
        outcomes = self.game.apply(Join(name), asyncio.get_running_loop().time())
        joined = [o for o in outcomes if isinstance(o, Joined)]
        if not joined:
            reason = outcomes[0].reason if isinstance(outcomes[0], Refused) else "refused"
            self._show(outcomes[0])
            await session.framed.send(p.json_message(p.REFUSED, {"reason": reason}))
            return
        session.name = joined[0].name
        self._show(joined[0])
        await session.framed.send(
            p.json_message(
                p.WELCOME,
                {
                    "name": session.name,
                    "seat": joined[0].seat,
                    "player_id": session.player_id,
                    "datagram_port": self.datagram_port,
                },
            )
        )
        await self._broadcast_state()
        await self._publish_seats()
        if self.start_when and len(self.game.players) >= self.start_when:
            await self._apply(Start("host"))
        while True:
            message = await session.framed.receive()
            if message.type == p.GUESS:
                text = str(p.json_body(message).get("text", ""))
                out = await self._apply(Guess(session.name, text))
                correct = any(isinstance(o, Correct) for o in out)
                await session.framed.send(p.json_message(p.RESULT, {"correct": correct}))
            elif message.type == p.START:
                await self._apply(Start(session.name))
            elif message.type == p.STROKE:
                event = p.InputEvent.unpack(message.body)
                if event is not None:
                    self._input(session, event)

    # -- input events -----------------------------------------------------------------
    def _input(self, session: Session, event: p.InputEvent) -> None:
        session.inputs += 1
        session.latest = event  # latest wins: the canvas needs where the pen is now
        self.latencies.append(time.time() - event.sent)

    async def _receive_inputs(self, datagrams: Any) -> None:
        while True:
            received = await datagrams.receive()
            split = p.split_datagram(received.data)
            if split is None:
                continue
            session = self.sessions.get(split[0])
            if session is None:
                continue
            opened = session.sealer.open(split[1], p.player_id_bytes(split[0]))
            if opened is None:
                continue  # stale or forged: counted by the sealer, dropped
            event = p.InputEvent.unpack(opened[1])
            if event is not None:
                self._input(session, event)


async def main(args: Any) -> int:
    """``python -m examples.party host``."""
    from lanwise.framing import new_passcode  # noqa: PLC0415

    words = tuple(w.strip() for w in args.words.split(",")) if args.words else WORDS
    if not args.words:
        words = tuple(random.sample(WORDS, len(WORDS)))
    host = PartyHost(
        args.name,
        args.passcode or new_passcode(),
        seats=args.seats,
        words=words,
        round_seconds=args.round_seconds,
        start_when=args.start_when,
        port=args.port,
        show_qr=not args.no_qr,
    )
    runner = asyncio.create_task(host.run())
    # SIGTERM ends the game cleanly: the DNS-SD goodbyes go out (RFC 6762 §10.1).
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, runner.cancel)
    over = asyncio.create_task(host.over.wait())
    done, _ = await asyncio.wait({runner, over}, return_when=asyncio.FIRST_COMPLETED)
    if over in done and args.exit_when_over:
        await asyncio.sleep(1.0)  # let the last state reach every player
        runner.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await runner
    over.cancel()
    return 0


if __name__ == "__main__":
    sys.exit("run: python -m examples.party host")
