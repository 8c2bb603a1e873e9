"""The party game's rules: a pure state machine (no I/O, no clock of its own).

A drawing and guessing game. Players take seats in the lobby; once started,
each player in turn draws a secret word while the others guess. The first
right guess scores 2 for the guesser and 1 for the drawer and ends the
round; so does the round's deadline (no score). After everyone has drawn
once, the game is over. Every transition is in :data:`TRANSITIONS`; the host
feeds events with :meth:`Game.apply` and shows the outcomes.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "TRANSITIONS",
    "Correct",
    "Event",
    "Game",
    "GameOver",
    "Guess",
    "Join",
    "Joined",
    "Leave",
    "Left",
    "Outcome",
    "Phase",
    "Refused",
    "RoundEnded",
    "RoundStarted",
    "Start",
    "Tick",
    "Wrong",
]

MAX_NAME = 20


class Phase(enum.StrEnum):
    LOBBY = "lobby"
    DRAWING = "drawing"
    OVER = "over"


# -- events (in) --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Join:
    name: str


@dataclass(frozen=True, slots=True)
class Leave:
    name: str


@dataclass(frozen=True, slots=True)
class Start:
    by: str


@dataclass(frozen=True, slots=True)
class Guess:
    name: str
    text: str


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed; ``now`` is the host's clock."""


Event = Join | Leave | Start | Guess | Tick


# -- outcomes (out) -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Joined:
    name: str
    seat: int


@dataclass(frozen=True, slots=True)
class Left:
    name: str


@dataclass(frozen=True, slots=True)
class Refused:
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class RoundStarted:
    round: int
    drawer: str


@dataclass(frozen=True, slots=True)
class Wrong:
    name: str
    text: str


@dataclass(frozen=True, slots=True)
class Correct:
    name: str
    word: str


@dataclass(frozen=True, slots=True)
class RoundEnded:
    round: int
    word: str
    reason: str  # "guessed", "time", "drawer left"


@dataclass(frozen=True, slots=True)
class GameOver:
    scores: tuple[tuple[str, int], ...]


Outcome = Joined | Left | Refused | RoundStarted | Wrong | Correct | RoundEnded | GameOver


@dataclass
class Game:
    """The whole game state. ``words`` are drawn in order, one per round."""

    words: tuple[str, ...]
    seats: int = 8
    round_seconds: float = 60.0
    min_players: int = 2
    phase: Phase = Phase.LOBBY
    players: list[str] = field(default_factory=list)
    scores: dict[str, int] = field(default_factory=dict)
    round: int = 0
    rounds: int = 0
    drawer: str | None = None
    word: str | None = None
    deadline: float = 0.0
    order: list[str] = field(default_factory=list)

    @property
    def free_seats(self) -> int:
        """Seats still open (what the host publishes in TXT)."""
        return self.seats - len(self.players)

    def board(self) -> tuple[tuple[str, int], ...]:
        """Scores, best first (ties by name)."""
        return tuple(sorted(self.scores.items(), key=lambda kv: (-kv[1], kv[0])))

    def apply(self, event: Event, now: float) -> list[Outcome]:
        """Feed one event at time ``now``; returns what happened."""
        handler = TRANSITIONS.get((self.phase, type(event)))
        if handler is None:
            name = getattr(event, "name", getattr(event, "by", ""))
            if isinstance(event, Tick):
                return []
            return [Refused(name, f"not allowed while {self.phase}")]
        return handler(self, event, now)

    # -- transitions ----------------------------------------------------------------------
    def _join(self, event: Event, now: float) -> list[Outcome]:
        assert isinstance(event, Join)
        name = event.name.strip()
        if not name or len(name) > MAX_NAME or not name.isprintable():
            return [Refused(event.name, f"a name is 1-{MAX_NAME} printable characters")]
        if name in self.players:
            return [Refused(name, "that name is taken")]
        if self.free_seats <= 0:
            return [Refused(name, "no free seat")]
        self.players.append(name)
        self.scores[name] = 0
        return [Joined(name, len(self.players))]

    def _leave_lobby(self, event: Event, now: float) -> list[Outcome]:
        assert isinstance(event, Leave)
        if event.name not in self.players:
            return []
        self.players.remove(event.name)
        del self.scores[event.name]
        return [Left(event.name)]

    def _start(self, event: Event, now: float) -> list[Outcome]:
        assert isinstance(event, Start)
        if len(self.players) < self.min_players:
            return [Refused(event.by, f"needs at least {self.min_players} players")]
        self.order = list(self.players)
        self.rounds = min(len(self.order), len(self.words))
        return self._next_round(now)

    def _next_round(self, now: float) -> list[Outcome]:
        if self.round >= self.rounds or len(self.players) < self.min_players:
            self.phase = Phase.OVER
            self.drawer = self.word = None
            return [GameOver(self.board())]
        # The next drawer in seat order who is still here.
        while self.round < self.rounds:
            drawer = self.order[self.round]
            self.round += 1
            if drawer in self.players:
                self.phase = Phase.DRAWING
                self.drawer = drawer
                self.word = self.words[self.round - 1]
                self.deadline = now + self.round_seconds
                return [RoundStarted(self.round, drawer)]
        return self._next_round(now)

    def _end_round(self, reason: str, now: float) -> list[Outcome]:
        assert self.word is not None
        ended = RoundEnded(self.round, self.word, reason)
        return [ended, *self._next_round(now)]

    def _guess(self, event: Event, now: float) -> list[Outcome]:
        assert isinstance(event, Guess)
        if event.name not in self.players:
            return [Refused(event.name, "not a player")]
        if event.name == self.drawer:
            return [Refused(event.name, "the drawer does not guess")]
        assert self.word is not None and self.drawer is not None
        if event.text.strip().casefold() != self.word.casefold():
            return [Wrong(event.name, event.text)]
        self.scores[event.name] += 2
        self.scores[self.drawer] += 1
        return [Correct(event.name, self.word), *self._end_round("guessed", now)]

    def _tick(self, event: Event, now: float) -> list[Outcome]:
        return self._end_round("time", now) if now >= self.deadline else []

    def _leave_drawing(self, event: Event, now: float) -> list[Outcome]:
        assert isinstance(event, Leave)
        if event.name not in self.players:
            return []
        self.players.remove(event.name)
        out: list[Outcome] = [Left(event.name)]
        if event.name == self.drawer or len(self.players) < self.min_players:
            out += self._end_round("drawer left" if event.name == self.drawer else "too few", now)
        return out

    def _leave_over(self, event: Event, now: float) -> list[Outcome]:
        assert isinstance(event, Leave)
        if event.name not in self.players:
            return []
        self.players.remove(event.name)  # the board keeps the score
        return [Left(event.name)]


_Handler = Callable[[Game, Event, float], list[Outcome]]

#: Every transition in one place: (phase, event type) -> handler.
TRANSITIONS: dict[tuple[Phase, type], _Handler] = {
    (Phase.LOBBY, Join): Game._join,
    (Phase.LOBBY, Leave): Game._leave_lobby,
    (Phase.LOBBY, Start): Game._start,
    (Phase.DRAWING, Guess): Game._guess,
    (Phase.DRAWING, Tick): Game._tick,
    (Phase.DRAWING, Leave): Game._leave_drawing,
    (Phase.OVER, Leave): Game._leave_over,
}
