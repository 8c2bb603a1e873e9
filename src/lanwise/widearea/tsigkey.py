"""TSIG keys (RFC 8945) read from BIND's key-file format, as ``tsig-keygen`` writes it::

    key "lab-key" {
            algorithm hmac-sha256;
            secret "base64…";
    };

The secret never appears in a repr, a log line or an error message.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from pathlib import Path

import dns.name
import dns.tsig

from lanwise.errors import UsageError

__all__ = ["TsigKey", "parse_key_text", "read_key_file"]

_KEY = re.compile(
    r'key\s+"?(?P<name>[^"\s{]+)"?\s*\{(?P<body>[^}]*)\}\s*;', re.IGNORECASE | re.DOTALL
)
_ALGORITHM = re.compile(r"algorithm\s+\"?(?P<value>[A-Za-z0-9.-]+)\"?\s*;", re.IGNORECASE)
_SECRET = re.compile(r'secret\s+"(?P<value>[^"]*)"\s*;', re.IGNORECASE)
_ALGORITHMS = {
    "hmac-md5": dns.tsig.HMAC_MD5,
    "hmac-sha1": dns.tsig.HMAC_SHA1,
    "hmac-sha224": dns.tsig.HMAC_SHA224,
    "hmac-sha256": dns.tsig.HMAC_SHA256,
    "hmac-sha384": dns.tsig.HMAC_SHA384,
    "hmac-sha512": dns.tsig.HMAC_SHA512,
}


@dataclass(frozen=True, slots=True)
class TsigKey:
    """A TSIG key: its name, algorithm (``"hmac-sha256"``) and secret (never shown)."""

    name: str
    algorithm: str
    secret: bytes = field(repr=False)

    def to_dnspython(self) -> dns.tsig.Key:
        """The key as dnspython signs and verifies with it."""
        return dns.tsig.Key(dns.name.from_text(self.name), self.secret, _ALGORITHMS[self.algorithm])


def parse_key_text(text: str, *, source: str = "key file") -> TsigKey:
    """The first ``key`` clause of BIND key-file text; UsageError names what is missing."""
    match = _KEY.search(text)
    if match is None:
        raise UsageError(
            source, 'must hold a BIND key clause: key "name" { algorithm …; secret "…"; };'
        )
    body = match["body"]
    algorithm = _ALGORITHM.search(body)
    secret = _SECRET.search(body)
    if algorithm is None or secret is None:
        raise UsageError(source, "the key clause needs both 'algorithm' and 'secret'")
    name = algorithm_name = algorithm["value"].lower()
    if algorithm_name not in _ALGORITHMS:
        raise UsageError(
            source, f"unsupported TSIG algorithm (one of {', '.join(_ALGORITHMS)})", name
        )
    try:
        raw = base64.b64decode(secret["value"], validate=True)
    except (binascii.Error, ValueError):
        raise UsageError(source, "the secret is not valid base64") from None
    if not raw:
        raise UsageError(source, "the secret is empty")
    return TsigKey(match["name"].rstrip(".") + ".", algorithm_name, raw)


def read_key_file(path: Path | str) -> TsigKey:
    """:func:`parse_key_text` of a file; UsageError if it cannot be read."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError("TSIG key file", f"cannot be read: {exc.strerror}", str(path)) from None
    return parse_key_text(text, source=f"TSIG key file {path}")
