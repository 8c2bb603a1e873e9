"""``python -m examples.party host|list|join|demo``: the LAN party game (docs/party.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from examples.party import host, player


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m examples.party", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    h = sub.add_parser("host", help="run a game on this machine (the big screen)")
    h.add_argument("--name", default="Party", help="the game's name on the network")
    h.add_argument("--passcode", help="the passcode to show (default: 6 random digits)")
    h.add_argument("--seats", type=int, default=8)
    h.add_argument("--words", help="comma-separated words, one per round (default: shuffled)")
    h.add_argument("--round-seconds", type=float, default=60.0)
    h.add_argument("--start-when", type=int, default=0, help="start once N players joined")
    h.add_argument("--port", type=int, default=0, help="TCP port (default: any free one)")
    h.add_argument("--no-qr", action="store_true", help="do not draw the QR code")
    h.add_argument("--exit-when-over", action="store_true")
    sub.add_parser("demo", help="play a whole game in a lab of network namespaces (root)")
    ls = sub.add_parser("list", help="list the games on the local network")
    ls.add_argument("--timeout", type=float, default=3.0)
    j = sub.add_parser("join", help="join a game by name")
    j.add_argument("game", help="the game's name, as `list` shows it")
    j.add_argument("--passcode", required=True)
    j.add_argument("--player", default="player", help="your name in the game")
    j.add_argument("--guesses", help="play a script: comma-separated guesses, tried each round")
    j.add_argument("--guess-delay", type=float, default=1.0, help="seconds before each guess")
    j.add_argument("--timeout", type=float, default=10.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    with contextlib.suppress(KeyboardInterrupt):
        if args.command == "host":
            return asyncio.run(host.main(args))
        if args.command == "demo":
            from examples.party import demo  # noqa: PLC0415 - needs the lab harness

            return demo.main()
        if args.command == "list":
            return asyncio.run(player.list_games(args.timeout))
        guesses = args.guesses.split(",") if args.guesses is not None else None
        return asyncio.run(
            player.join_game(
                args.game,
                args.passcode,
                args.player,
                guesses,
                timeout=args.timeout,
                guess_delay=args.guess_delay,
            )
        )
    return 130


if __name__ == "__main__":
    sys.exit(main())
