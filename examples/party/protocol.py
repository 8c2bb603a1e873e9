"""The party wire protocol: TLV message types, their JSON bodies, input datagrams.

Stream (TCP or WebSocket, same bytes):

- pairing, plain TLV frames: ``PAIR_START`` → ``PAIR_REPLY`` → ``PAIR_CONFIRM`` →
  ``PAIR_OK`` (or ``PAIR_REFUSED`` with a reason);
- then every frame is ``Stack(TypeLengthValue, Sealed, LengthPrefixed)``:
  game actions and state as JSON bodies.

Datagrams (UDP, players to host): ``player id (2 bytes)`` + a
:class:`~lanwise.framing.DatagramSealer` datagram (counter + sealed input
event), the id authenticated as associated data. Browsers have no UDP, so
they send the same input event in a ``STROKE`` stream message.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

from lanwise.framing import (
    LengthPrefixed,
    Message,
    Sealed,
    SessionKeys,
    Stack,
    TypeLengthValue,
)

SERVICE_TYPE = "_lanwise-party._tcp"
MAX_FRAME = 64 * 1024

PAIR_START, PAIR_REPLY, PAIR_CONFIRM, PAIR_OK, PAIR_REFUSED = 1, 2, 3, 4, 5
JOIN, WELCOME, REFUSED, STATE, START, GUESS, STROKE, NOTICE, RESULT = range(16, 25)
PAIRING_TYPES = frozenset({PAIR_START, PAIR_REPLY, PAIR_CONFIRM, PAIR_OK, PAIR_REFUSED})
GAME_TYPES = frozenset(range(16, 25))


def plain_stack() -> Stack[Message]:
    """The pairing phase: TLV frames straight on the stream."""
    return Stack(TypeLengthValue(MAX_FRAME, PAIRING_TYPES))


def sealed_stack(keys: SessionKeys, side: str) -> Stack[Message]:
    """After pairing: TLV inside ChaCha20-Poly1305 inside length-prefixed frames."""
    layer: Sealed = keys.sealed("player" if side == "player" else "host")
    return Stack(TypeLengthValue(MAX_FRAME, GAME_TYPES), layer, LengthPrefixed(MAX_FRAME + 16))


def json_message(kind: int, body: dict[str, Any]) -> Message:
    """A message whose body is a JSON object."""
    return Message(kind, json.dumps(body, separators=(",", ":")).encode())


def json_body(message: Message) -> dict[str, Any]:
    """The JSON object in a message body (an empty object for anything else)."""
    try:
        value = json.loads(message.body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# -- input events ---------------------------------------------------------------------------
_INPUT = struct.Struct("!BHHd")  # kind, x, y, sender's wall clock (for latency figures)
_PLAYER_ID = struct.Struct("!H")
MOVE, DOWN, UP, TAP = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class InputEvent:
    """A pointer event on the shared canvas (0..65535 in each axis)."""

    kind: int
    x: int
    y: int
    sent: float

    def pack(self) -> bytes:
        """The event's bytes."""
        return _INPUT.pack(self.kind, self.x, self.y, self.sent)

    @classmethod
    def unpack(cls, data: bytes) -> InputEvent | None:
        """The event in ``data``, or None if it is not one."""
        if len(data) != _INPUT.size:
            return None
        kind, x, y, sent = _INPUT.unpack(data)
        return cls(kind, x, y, sent) if kind <= TAP else None


def datagram(player_id: int, sealed: bytes) -> bytes:
    """A player's input datagram: its id, then the sealed event."""
    return _PLAYER_ID.pack(player_id) + sealed


def split_datagram(data: bytes) -> tuple[int, bytes] | None:
    """``(player id, sealed part)``, or None for a runt."""
    if len(data) < _PLAYER_ID.size:
        return None
    return _PLAYER_ID.unpack_from(data)[0], data[_PLAYER_ID.size :]


def player_id_bytes(player_id: int) -> bytes:
    """The id as the associated data its datagrams are sealed with."""
    return _PLAYER_ID.pack(player_id)
