"""The party game's rules as a pure state machine, driven with a hand-stepped clock."""

from __future__ import annotations

from examples.party.rules import (
    Correct,
    Game,
    GameOver,
    Guess,
    Join,
    Joined,
    Leave,
    Left,
    Phase,
    Refused,
    RoundEnded,
    RoundStarted,
    Start,
    Tick,
    Wrong,
)


def _game(**kw: object) -> Game:
    game = Game(words=("cat", "house", "tree"), seats=3, round_seconds=30.0, **kw)  # type: ignore[arg-type]
    assert game.apply(Join("alice"), 0) == [Joined("alice", 1)]
    assert game.apply(Join("bob"), 0) == [Joined("bob", 2)]
    return game


def test_scripted_game_to_the_end() -> None:
    game = _game()
    assert game.free_seats == 1
    assert game.apply(Start("alice"), 1) == [RoundStarted(1, "alice")]
    assert game.word == "cat"
    assert game.apply(Guess("bob", "dog"), 2) == [Wrong("bob", "dog")]
    assert game.apply(Guess("bob", " CAT "), 3) == [
        Correct("bob", "cat"),
        RoundEnded(1, "cat", "guessed"),
        RoundStarted(2, "bob"),
    ]
    assert game.apply(Guess("alice", "house"), 4)[-1] == GameOver((("alice", 3), ("bob", 3)))
    assert game.phase is Phase.OVER
    assert game.apply(Guess("alice", "x"), 5) == [Refused("alice", "not allowed while over")]


def test_seats_names_and_start_rules() -> None:
    game = _game()
    assert game.apply(Join("bob"), 0) == [Refused("bob", "that name is taken")]
    assert game.apply(Join(""), 0)[0].__class__ is Refused
    assert game.apply(Join("carol"), 0) == [Joined("carol", 3)]
    assert game.apply(Join("dave"), 0) == [Refused("dave", "no free seat")]
    assert game.apply(Leave("carol"), 0) == [Left("carol")]
    assert game.free_seats == 1
    solo = Game(words=("cat",))
    solo.apply(Join("alice"), 0)
    assert solo.apply(Start("alice"), 0) == [Refused("alice", "needs at least 2 players")]
    assert solo.phase is Phase.LOBBY


def test_drawer_cannot_guess_and_late_joiners_are_refused() -> None:
    game = _game()
    game.apply(Start("bob"), 0)
    assert game.apply(Guess("alice", "cat"), 1) == [Refused("alice", "the drawer does not guess")]
    assert game.apply(Join("carol"), 1) == [Refused("carol", "not allowed while drawing")]


def test_round_deadline_ends_the_round_without_score() -> None:
    game = _game()
    game.apply(Start("alice"), 100.0)
    assert game.apply(Tick(), 129.9) == []
    assert game.apply(Tick(), 130.0) == [RoundEnded(1, "cat", "time"), RoundStarted(2, "bob")]
    assert game.scores == {"alice": 0, "bob": 0}
    assert game.deadline == 160.0


def test_drawer_leaving_ends_the_game_when_too_few_remain() -> None:
    game = _game()
    game.apply(Join("carol"), 0)
    game.apply(Start("alice"), 0)
    assert game.apply(Leave("alice"), 1) == [
        Left("alice"),
        RoundEnded(1, "cat", "drawer left"),
        RoundStarted(2, "bob"),
    ]
    out = game.apply(Leave("carol"), 2)
    assert out[0] == Left("carol")
    assert isinstance(out[-1], GameOver)
    assert game.free_seats == 2
