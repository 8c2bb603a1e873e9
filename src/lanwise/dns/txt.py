"""DNS-SD TXT key/value strings (RFC 6763 §6).

Each string is ``key=value`` (the value is any octets, possibly empty) or a
bare ``key`` (a boolean attribute that is present). Keys compare without
regard to ASCII case (§6.4), the first occurrence of a key wins and later
ones are ignored (§6.4), and strings that start with ``=`` have no key and
are ignored (§6.4).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final

from lanwise.errors import UsageError

__all__ = ["MAX_STRING_LENGTH", "TXTMapping", "strings_from_mapping"]

MAX_STRING_LENGTH: Final = 255  # RFC 1035 §3.3 <character-string>, RFC 6763 §6.1


class TXTMapping(Mapping[str, bytes | None]):
    """A read-only, case-insensitive view of TXT key/value strings.

    Values are bytes (``key=value``, possibly empty) or None (boolean key
    present without ``=``). Iteration yields keys as first seen, case kept.
    """

    __slots__ = ("_items", "_keys")

    def __init__(self, strings: tuple[bytes, ...]) -> None:
        items: dict[bytes, bytes | None] = {}
        keys: dict[bytes, str] = {}
        for raw in strings:
            if not raw or raw[0] == 0x3D:  # empty string, or no key before '='
                continue
            eq = raw.find(b"=")
            key = raw if eq < 0 else raw[:eq]
            folded = key.lower()  # bytes.lower folds ASCII only
            if folded in items:
                continue
            items[folded] = None if eq < 0 else raw[eq + 1 :]
            keys[folded] = key.decode("utf-8", "surrogateescape")
        self._items = items
        self._keys = keys

    @staticmethod
    def _fold(key: str) -> bytes:
        return key.encode("utf-8", "surrogateescape").lower()

    def __getitem__(self, key: str) -> bytes | None:
        return self._items[self._fold(key)]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._fold(key) in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"TXTMapping({dict(self)!r})"


def _check_key(key: object) -> bytes:
    if not isinstance(key, str):
        raise UsageError("TXT key", "keys are str", key)
    if not key:
        raise UsageError("TXT key", "keys must not be empty (RFC 6763 §6.4)", key)
    if not all(0x20 <= ord(ch) <= 0x7E for ch in key) or "=" in key:
        raise UsageError("TXT key", "keys are printable US-ASCII without '=' (RFC 6763 §6.4)", key)
    return key.encode("ascii")


def strings_from_mapping(mapping: Mapping[str, bytes | str | bool | None]) -> tuple[bytes, ...]:
    """Encode a mapping as TXT strings, validating every key and length.

    Values: bytes or str (UTF-8) give ``key=value``; None or True give a bare
    boolean key; False leaves the key out. An empty result is the single empty
    string that stands for an empty TXT record (RFC 6763 §6.1).
    """
    out: list[bytes] = []
    seen: set[bytes] = set()
    for key, value in mapping.items():
        raw_key = _check_key(key)
        folded = raw_key.lower()
        if folded in seen:
            raise UsageError("TXT key", "keys are case-insensitive and must be unique", key)
        seen.add(folded)
        if value is False:
            continue
        if value is None or value is True:
            raw = raw_key
        elif isinstance(value, str):
            raw = raw_key + b"=" + value.encode("utf-8")
        elif isinstance(value, bytes | bytearray | memoryview):
            raw = raw_key + b"=" + bytes(value)
        else:
            raise UsageError(f"TXT value for {key!r}", "values are bytes, str, bool or None", value)
        if len(raw) > MAX_STRING_LENGTH:
            raise UsageError(
                f"TXT value for {key!r}",
                f"key=value is at most {MAX_STRING_LENGTH} octets (RFC 6763 §6.1)",
                len(raw),
            )
        out.append(raw)
    return tuple(out) if out else (b"",)
