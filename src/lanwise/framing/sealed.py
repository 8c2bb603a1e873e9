"""The authenticated-encryption layer, keyed by a pairing.

Each direction has its own key and its own 64-bit counter, so a nonce never
repeats under a key and a frame replayed, dropped, reordered or reflected back
to its sender fails to open. On a stream the counter is implicit (both sides
count frames, as TLS 1.3 does, RFC 8446 §5.3). Datagrams may be lost or
reordered, so :class:`DatagramSealer` sends its counter in front of each one
and accepts only counters above the last one opened: latest wins, and a
replay is dropped.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lanwise.errors import UsageError
from lanwise.framing.errors import FramingError

__all__ = ["Cipher", "DatagramSealer", "Sealed", "SessionKeys"]

Cipher = Literal["aes-256-gcm", "chacha20-poly1305"]
TAG_SIZE = 16
_COUNTER = struct.Struct("!Q")
_MAX_COUNTER = (1 << 64) - 1


def _aead(cipher: Cipher, key: bytes) -> AESGCM | ChaCha20Poly1305:
    if len(key) != 32:
        raise UsageError("key", "must be 32 bytes", len(key))
    if cipher == "aes-256-gcm":
        return AESGCM(key)
    if cipher == "chacha20-poly1305":
        return ChaCha20Poly1305(key)
    raise UsageError("cipher", "must be 'aes-256-gcm' or 'chacha20-poly1305'", cipher)


def _nonce(counter: int) -> bytes:
    return b"\0\0\0\0" + _COUNTER.pack(counter)  # 96 bits: 32 zero bits, 64-bit counter


@dataclass(frozen=True, slots=True)
class SessionKeys:
    """The four keys of a paired session, one per direction and channel.

    ``derive(secret, transcript)`` expands the pairing's shared secret with
    HKDF-SHA256 (RFC 5869), bound to the pairing transcript. ``for_player``
    and ``for_host`` pick the send/receive halves for each side.
    """

    player_to_host: bytes
    host_to_player: bytes
    datagram_player_to_host: bytes
    datagram_host_to_player: bytes

    @classmethod
    def derive(cls, secret: bytes, transcript: bytes) -> SessionKeys:
        """The session keys for a pairing's shared ``secret`` and its ``transcript``."""

        def expand(label: bytes) -> bytes:
            kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=transcript, info=label)
            return kdf.derive(secret)

        return cls(
            expand(b"lanwise stream player to host"),
            expand(b"lanwise stream host to player"),
            expand(b"lanwise datagram player to host"),
            expand(b"lanwise datagram host to player"),
        )

    def sealed(
        self, side: Literal["player", "host"], cipher: Cipher = "chacha20-poly1305"
    ) -> Sealed:
        """The stream layer for ``side``."""
        if side == "player":
            return Sealed(self.player_to_host, self.host_to_player, cipher)
        return Sealed(self.host_to_player, self.player_to_host, cipher)

    def datagram_sealer(
        self, side: Literal["player", "host"], cipher: Cipher = "chacha20-poly1305"
    ) -> DatagramSealer:
        """The datagram sealer for ``side``."""
        if side == "player":
            send, receive = self.datagram_player_to_host, self.datagram_host_to_player
        else:
            send, receive = self.datagram_host_to_player, self.datagram_player_to_host
        return DatagramSealer(send, receive, cipher)


class Sealed:
    """A stream layer: each frame sealed with an AEAD under an implicit per-direction counter.

    Put it above a framer that delimits frames (:class:`LengthPrefixed`); a
    frame that does not open raises :class:`FramingError` naming ``tag``.
    """

    def __init__(
        self, send_key: bytes, receive_key: bytes, cipher: Cipher = "chacha20-poly1305"
    ) -> None:
        self._send = _aead(cipher, send_key)
        self._receive = _aead(cipher, receive_key)
        self._sent = 0
        self._received = 0

    def encode(self, message: bytes) -> bytes:
        """``message`` sealed under the next send counter."""
        if self._sent == _MAX_COUNTER:
            raise UsageError("message", "this key's counter is used up; pair again")
        sealed = self._send.encrypt(_nonce(self._sent), message, None)
        self._sent += 1
        return sealed

    def feed(self, data: bytes) -> list[bytes]:
        """The opened frame; a frame that fails authentication raises."""
        if len(data) < TAG_SIZE:
            raise FramingError("tag", "frame shorter than the authentication tag", len(data))
        try:
            opened = self._receive.decrypt(_nonce(self._received), data, None)
        except InvalidTag:
            raise FramingError(
                "tag", "authentication failed (wrong key, or a frame altered, lost or replayed)"
            ) from None
        self._received += 1
        return [opened]

    def end(self) -> None:
        """Nothing is buffered between frames."""


class DatagramSealer:
    """Seals datagrams with an explicit counter; opens only ones newer than the last.

    ``seal(payload)`` returns counter (8 bytes) + ciphertext. ``open(datagram)``
    returns ``(counter, payload)``, or None for a datagram that is stale (at or
    below the newest counter opened: latest wins) or fails authentication;
    :meth:`statistics` counts both. Network garbage never raises.
    """

    def __init__(
        self, send_key: bytes, receive_key: bytes, cipher: Cipher = "chacha20-poly1305"
    ) -> None:
        self._send = _aead(cipher, send_key)
        self._receive = _aead(cipher, receive_key)
        self._next = 1
        self._newest = 0
        self._stale = 0
        self._forged = 0

    def seal(self, payload: bytes, associated: bytes = b"") -> bytes:
        """One datagram: the next counter, then ``payload`` sealed under it."""
        counter = self._next
        self._next += 1
        return _COUNTER.pack(counter) + self._send.encrypt(_nonce(counter), payload, associated)

    def open(self, datagram: bytes, associated: bytes = b"") -> tuple[int, bytes] | None:
        """``(counter, payload)`` for a fresh authentic datagram, else None (counted)."""
        if len(datagram) < _COUNTER.size + TAG_SIZE:
            self._forged += 1
            return None
        (counter,) = _COUNTER.unpack_from(datagram)
        if counter <= self._newest:
            self._stale += 1
            return None
        try:
            payload = self._receive.decrypt(_nonce(counter), datagram[_COUNTER.size :], associated)
        except InvalidTag:
            self._forged += 1
            return None
        self._newest = counter
        return counter, payload

    def statistics(self) -> dict[str, int]:
        """Datagrams dropped: ``stale`` (older than the newest) and ``forged`` (failed to open)."""
        return {"newest": self._newest, "stale": self._stale, "forged": self._forged}
