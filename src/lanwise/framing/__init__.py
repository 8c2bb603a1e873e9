"""Sans-IO message framers that stack, passcode pairing, and adapters to run them.

- Layers: :class:`LengthPrefixed`, :class:`TypeLengthValue` (:class:`Message`),
  :class:`Sealed` (AEAD keyed by a pairing); :class:`Stack` puts them together.
- :class:`DatagramSealer`: sealed datagrams with a counter, latest wins.
- Pairing: :class:`PlayerPairing`, :class:`HostPairing` (SPAKE2, for CLI and
  browser players alike), :class:`SessionKeys`, :func:`new_passcode`, and
  :class:`AttemptLimiter` for wrong passcodes per source.
- Adapters: :class:`FramedStream` (asyncio streams), :class:`FramedWebSocket`
  (a websockets connection, or :class:`StreamWebSocket` from :func:`accept_websocket`).
- Errors: :class:`FramingError` names the field; it closes only that connection.
"""

from __future__ import annotations

from lanwise.framing.errors import FramingError, PairingError, PairingRateLimitedError
from lanwise.framing.layers import Layer, LengthPrefixed, Message, TypeLengthValue
from lanwise.framing.limiter import AttemptLimiter
from lanwise.framing.pairing import HostPairing, PairingScheme, PlayerPairing, new_passcode
from lanwise.framing.sealed import Cipher, DatagramSealer, Sealed, SessionKeys
from lanwise.framing.stack import Stack
from lanwise.framing.streams import FramedStream, FramedWebSocket, WebSocketLike
from lanwise.framing.websocket import HttpReply, StreamWebSocket, accept_websocket

__all__ = [
    "AttemptLimiter",
    "Cipher",
    "DatagramSealer",
    "FramedStream",
    "FramedWebSocket",
    "FramingError",
    "HostPairing",
    "HttpReply",
    "Layer",
    "LengthPrefixed",
    "Message",
    "PairingError",
    "PairingRateLimitedError",
    "PairingScheme",
    "PlayerPairing",
    "Sealed",
    "SessionKeys",
    "Stack",
    "StreamWebSocket",
    "TypeLengthValue",
    "WebSocketLike",
    "accept_websocket",
    "new_passcode",
]
