"""Passcode pairing, sans-IO: a player proves it knows the host's passcode and both get keys.

The scheme is SPAKE2 from the ``spake2`` package (Ed25519 group), the same for
CLI and browser players: the party page's script (examples/party/lancrypto.js)
computes what the package's ``SPAKE2_A`` does, byte for byte. An eavesdropper
learns nothing; an active attacker, posing as either side, gets one passcode
guess per run, which the host's :class:`~lanwise.framing.AttemptLimiter` rate
limits (docs/framing.md has the threat model).

Flow (each message a TLV frame, see :mod:`examples.party.protocol`)::

    player -> host   start    scheme byte (1, SPAKE2), player's SPAKE2_A message
    host -> player   reply    host's SPAKE2_B message
    player -> host   confirm  HMAC(confirm key, "player")
    host -> player   ok       HMAC(confirm key, "host")     (or a refusal)

Keys: ``shared`` is the SPAKE2 key; ``salt = SHA-256("lanwise-passcode:" +
passcode)``; ``secret = HKDF-SHA256(ikm=shared, salt=salt, info="lanwise
pairing " + transcript)`` where ``transcript = start + reply``; ``confirm key =
HKDF(secret, salt=transcript, info="lanwise confirm")``; session keys from
:meth:`SessionKeys.derive`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from spake2 import SPAKE2_A, SPAKE2_B

from lanwise.errors import UsageError
from lanwise.framing.errors import PairingError
from lanwise.framing.sealed import SessionKeys

__all__ = ["HostPairing", "PairingScheme", "PlayerPairing", "new_passcode"]

# One scheme today; the byte on the wire leaves room for another without a new flow.
PairingScheme = Literal["spake2"]
_SCHEME_BYTES: dict[str, int] = {"spake2": 1}
_SCHEMES = {v: k for k, v in _SCHEME_BYTES.items()}
_ID_PLAYER = b"lanwise-pairing player"
_ID_HOST = b"lanwise-pairing host"
_SPAKE2_SHARE = 33


def new_passcode(digits: int = 6) -> str:
    """A fresh random passcode of ``digits`` decimal digits, for the host to show."""
    if not isinstance(digits, int) or not 4 <= digits <= 12:
        raise UsageError("digits", "must be an integer 4-12", digits)
    return "".join(secrets.choice("0123456789") for _ in range(digits))


def _check_passcode(passcode: str) -> bytes:
    if not isinstance(passcode, str) or not passcode:
        raise UsageError("passcode", "must be a non-empty string", passcode)
    return passcode.encode()


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


class _Keys:
    def __init__(self, shared: bytes, passcode: bytes, transcript: bytes) -> None:
        salt = hashlib.sha256(b"lanwise-passcode:" + passcode).digest()
        secret = _hkdf(shared, salt, b"lanwise pairing " + transcript)
        confirm = _hkdf(secret, transcript, b"lanwise confirm")
        self.player_confirm = hmac.new(confirm, b"player", hashlib.sha256).digest()
        self.host_confirm = hmac.new(confirm, b"host", hashlib.sha256).digest()
        self.session = SessionKeys.derive(secret, transcript)


class PlayerPairing:
    """The player's side: :meth:`start`, then :meth:`confirm`, then :meth:`finish`."""

    def __init__(self, passcode: str, scheme: PairingScheme = "spake2") -> None:
        if scheme not in _SCHEME_BYTES:
            raise UsageError("scheme", "must be 'spake2'", scheme)
        self._passcode = _check_passcode(passcode)
        self.scheme: PairingScheme = scheme
        self._start = b""
        self._keys: _Keys | None = None
        self._spake = SPAKE2_A(self._passcode, idA=_ID_PLAYER, idB=_ID_HOST)

    def start(self) -> bytes:
        """The first message, to the host."""
        self._start = bytes([_SCHEME_BYTES[self.scheme]]) + self._spake.start()
        return self._start

    def confirm(self, reply: bytes) -> bytes:
        """Take the host's reply; return the player's confirmation, to the host."""
        if not self._start:
            raise UsageError("reply", "start() first")
        if len(reply) != _SPAKE2_SHARE:
            raise PairingError("share", "a SPAKE2 share is 33 bytes", len(reply))
        try:
            shared = self._spake.finish(reply)
        except Exception:  # any broken share from the network
            raise PairingError("share", "not a valid SPAKE2 message") from None
        self._keys = _Keys(shared, self._passcode, self._start + reply)
        return self._keys.player_confirm

    def finish(self, host_confirm: bytes) -> SessionKeys:
        """Check the host's confirmation; the session keys, or :class:`PairingError`."""
        if self._keys is None:
            raise UsageError("host_confirm", "confirm() first")
        if not hmac.compare_digest(host_confirm, self._keys.host_confirm):
            raise PairingError("passcode", "the host does not know this passcode")
        return self._keys.session


class HostPairing:
    """The host's side: :meth:`reply` to the start, then :meth:`verify` the confirmation."""

    def __init__(self, passcode: str) -> None:
        self._passcode = _check_passcode(passcode)
        self._keys: _Keys | None = None
        self.scheme: PairingScheme | None = None

    def reply(self, start: bytes) -> bytes:
        """The reply to a player's first message (a broken one raises :class:`PairingError`)."""
        if not start or start[0] not in _SCHEMES:
            raise PairingError("scheme", "unknown pairing scheme", start[:1].hex() or None)
        scheme = _SCHEMES[start[0]]
        self.scheme = scheme  # type: ignore[assignment]
        share = start[1:]
        if len(share) != _SPAKE2_SHARE:
            raise PairingError("share", "a SPAKE2 share is 33 bytes", len(share))
        spake = SPAKE2_B(self._passcode, idA=_ID_PLAYER, idB=_ID_HOST)
        mine: bytes = spake.start()
        try:
            shared = spake.finish(share)
        except Exception:  # any broken share from the network
            raise PairingError("share", "not a valid SPAKE2 message") from None
        self._keys = _Keys(shared, self._passcode, start + mine)
        return mine

    def verify(self, player_confirm: bytes) -> tuple[bytes, SessionKeys]:
        """``(host confirmation, session keys)``; a wrong passcode raises :class:`PairingError`."""
        if self._keys is None:
            raise UsageError("player_confirm", "reply() first")
        if not hmac.compare_digest(player_confirm, self._keys.player_confirm):
            raise PairingError("passcode", "wrong passcode")
        return self._keys.host_confirm, self._keys.session
