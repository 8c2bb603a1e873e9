"""Passcode pairing, sans-IO: a player proves it knows the host's passcode and both get keys.

Two schemes share one message flow (docs/party.md has the threat model):

- ``spake2``: the SPAKE2 PAKE from the ``spake2`` package (Ed25519 group). An
  eavesdropper learns nothing; an active attacker gets one passcode guess per
  run, which the host's :class:`~lanwise.framing.AttemptLimiter` rate limits.
- ``x25519``: ephemeral X25519 (RFC 7748) with the passcode mixed into the key
  and checked by the player first. It needs only X25519, SHA-256, HMAC and
  HKDF, which a page served over plain HTTP can carry in a few hundred lines
  of script (WebCrypto is missing there: not a secure context). An
  eavesdropper learns nothing and the host never reveals a value to test
  guesses against; a fake *host* could test guesses offline, but a fake host
  can serve the browser any script anyway (the page itself comes over HTTP).

Flow (each message a TLV frame, see :mod:`examples.party.protocol`)::

    player -> host   start    scheme byte, player's share
    host -> player   reply    host's share
    player -> host   confirm  HMAC(confirm key, "player")
    host -> player   ok       HMAC(confirm key, "host")     (or a refusal)

Keys: ``salt = SHA-256("lanwise-passcode:" + passcode)``; ``secret =
HKDF-SHA256(ikm=shared, salt=salt, info="lanwise pairing " + transcript)``
where ``transcript = start + reply``; ``confirm key = HKDF(secret,
salt=transcript, info="lanwise confirm")``; session keys from
:meth:`SessionKeys.derive`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from spake2 import SPAKE2_A, SPAKE2_B

from lanwise.errors import UsageError
from lanwise.framing.errors import PairingError
from lanwise.framing.sealed import SessionKeys

__all__ = ["HostPairing", "PairingScheme", "PlayerPairing", "new_passcode"]

PairingScheme = Literal["spake2", "x25519"]
_SCHEME_BYTES: dict[str, int] = {"spake2": 1, "x25519": 2}
_SCHEMES = {v: k for k, v in _SCHEME_BYTES.items()}
_ID_PLAYER = b"lanwise-pairing player"
_ID_HOST = b"lanwise-pairing host"
_X25519_SHARE = 32
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


def _x25519_share(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _x25519_shared(key: X25519PrivateKey, share: bytes) -> bytes:
    if len(share) != _X25519_SHARE:
        raise PairingError("share", "an X25519 share is 32 bytes", len(share))
    try:  # an all-zero result (a low-order point) is refused (RFC 7748 §6.1)
        return key.exchange(X25519PublicKey.from_public_bytes(share))
    except ValueError:
        raise PairingError("share", "a low-order X25519 point") from None


class PlayerPairing:
    """The player's side: :meth:`start`, then :meth:`confirm`, then :meth:`finish`."""

    def __init__(self, passcode: str, scheme: PairingScheme = "spake2") -> None:
        if scheme not in _SCHEME_BYTES:
            raise UsageError("scheme", "must be 'spake2' or 'x25519'", scheme)
        self._passcode = _check_passcode(passcode)
        self.scheme: PairingScheme = scheme
        self._start = b""
        self._keys: _Keys | None = None
        self._spake = SPAKE2_A(self._passcode, idA=_ID_PLAYER, idB=_ID_HOST)
        self._ec = X25519PrivateKey.generate()

    def start(self) -> bytes:
        """The first message, to the host."""
        share = self._spake.start() if self.scheme == "spake2" else _x25519_share(self._ec)
        self._start = bytes([_SCHEME_BYTES[self.scheme]]) + share
        return self._start

    def confirm(self, reply: bytes) -> bytes:
        """Take the host's reply; return the player's confirmation, to the host."""
        if not self._start:
            raise UsageError("reply", "start() first")
        if self.scheme == "spake2":
            if len(reply) != _SPAKE2_SHARE:
                raise PairingError("share", "a SPAKE2 share is 33 bytes", len(reply))
            try:
                shared = self._spake.finish(reply)
            except Exception:  # any broken share from the network
                raise PairingError("share", "not a valid SPAKE2 message") from None
        else:
            shared = _x25519_shared(self._ec, reply)
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
        if scheme == "spake2":
            if len(share) != _SPAKE2_SHARE:
                raise PairingError("share", "a SPAKE2 share is 33 bytes", len(share))
            spake = SPAKE2_B(self._passcode, idA=_ID_PLAYER, idB=_ID_HOST)
            mine: bytes = spake.start()
            try:
                shared = spake.finish(share)
            except Exception:  # any broken share from the network
                raise PairingError("share", "not a valid SPAKE2 message") from None
        else:
            key = X25519PrivateKey.generate()
            mine = _x25519_share(key)
            shared = _x25519_shared(key, share)
        self._keys = _Keys(shared, self._passcode, start + mine)
        return mine

    def verify(self, player_confirm: bytes) -> tuple[bytes, SessionKeys]:
        """``(host confirmation, session keys)``; a wrong passcode raises :class:`PairingError`."""
        if self._keys is None:
            raise UsageError("player_confirm", "reply() first")
        if not hmac.compare_digest(player_confirm, self._keys.player_confirm):
            raise PairingError("passcode", "wrong passcode")
        return self._keys.host_confirm, self._keys.session
