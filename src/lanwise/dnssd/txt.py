"""DNS-SD TXT data (RFC 6763 §6): from what callers write, and back to a mapping.

Callers give either a mapping (``{"path": "/", "secure": True}``) or the raw
strings (``["path=/", b"secure"]``). Both become a tuple of byte strings, each at
most 255 octets, never empty as a whole (§6.1: one zero-length string instead).
Mappings are encoded by the codec (:func:`lanwise.dns.txt.strings_from_mapping`),
and received strings are read through its case-insensitive ``TXTMapping``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeAlias

from lanwise.dns.txt import MAX_STRING_LENGTH, TXTMapping, strings_from_mapping
from lanwise.errors import UsageError

__all__ = [
    "MAX_TXT_SIZE",
    "TXTMapping",
    "TxtInput",
    "TxtValue",
    "decode_txt",
    "encode_txt",
    "format_txt_string",
]

TxtValue: TypeAlias = str | bytes | bool | int | None
TxtInput: TypeAlias = Mapping[str, TxtValue] | Iterable[str | bytes] | None

# RFC 6762 §17: an mDNS message is at most 9000 octets; the TXT record must leave
# room for the header, its name and the other records of an announcement.
MAX_TXT_SIZE = 8900


def _check_total(strings: tuple[bytes, ...], field: str) -> tuple[bytes, ...]:
    size = sum(len(s) + 1 for s in strings)
    if size > MAX_TXT_SIZE:
        raise UsageError(
            field,
            f"the TXT record is {size} octets; it must fit one mDNS message (RFC 6762 §17)",
        )
    return strings or (b"",)  # §6.1: never empty


def encode_txt(txt: TxtInput, *, field: str = "txt") -> tuple[bytes, ...]:
    """The TXT strings for ``txt``: a mapping, raw strings, or None for none.

    Mapping values: str/bytes give ``key=value`` (``""`` gives ``key=``),
    ``None``/``True`` a boolean attribute ``key``, ``False`` leaves the key out,
    an int its decimal text. Keys are unique regardless of case (§6.4).
    """
    if txt is None:
        return (b"",)
    if isinstance(txt, Mapping):
        values: dict[str, bytes | str | bool | None] = {}
        for key, value in txt.items():
            if isinstance(value, int) and not isinstance(value, bool):
                values[key] = str(value)
            elif value is not None and not isinstance(value, str | bytes | bool):
                # Checked here, not in the codec: ints are this layer's addition.
                raise UsageError(
                    f"TXT value for {key!r}", "values are str, bytes, int, bool or None", value
                )
            else:
                values[key] = value
        return _check_total(strings_from_mapping(values), field)
    if isinstance(txt, str | bytes):
        raise UsageError(field, "give a mapping or a list of strings, not one string", txt)
    strings: list[bytes] = []
    for entry in txt:
        if isinstance(entry, str):
            item = entry.encode("utf-8")
        elif isinstance(entry, bytes | bytearray):
            item = bytes(entry)
        else:
            raise UsageError(field, "each TXT string is str or bytes", entry)
        if len(item) > MAX_STRING_LENGTH:
            raise UsageError(field, "each TXT string is at most 255 octets (RFC 6763 §6.1)", entry)
        if item.startswith(b"="):
            raise UsageError(field, "a TXT string must not start with '=' (RFC 6763 §6.4)", entry)
        strings.append(item)
    if len(strings) > 1:
        strings = [s for s in strings if s]  # beside other strings an empty one carries nothing
    return _check_total(tuple(strings), field)


def decode_txt(strings: Iterable[bytes]) -> TXTMapping:
    """The attributes of received TXT strings as RFC 6763 §6.4 reads them.

    A read-only mapping, case-insensitive on keys; the first occurrence of a key
    wins; strings with no key are ignored; a bare ``key`` maps to None.
    """
    return TXTMapping(tuple(strings))


def format_txt_string(raw: bytes) -> str:
    """One TXT string for people: UTF-8 where it decodes, ``\\xNN`` escapes elsewhere."""
    return raw.decode("utf-8", errors="backslashreplace")
