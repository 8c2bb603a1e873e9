"""Domain names: case-preserving, compared and hashed with ASCII case folding.

A :class:`Name` keeps its uncompressed wire form (length-prefixed labels and
the root octet) as its only real state. Equality and hashing use that form
lowercased with :meth:`bytes.lower`, which folds ASCII letters only, exactly
as DNS requires (RFC 1035 §2.3.3, RFC 6762 §16); length octets are at most
63 and so are never touched by the folding. Labels are decoded on demand.

Labels are arbitrary octets on the wire. mDNS instance labels are UTF-8 text
that may hold dots and spaces (RFC 6763 §4.3). Octets that are not valid
UTF-8 are decoded with the ``surrogateescape`` error handler, and encoded
back the same way, so such a name survives parse → labels → build unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

from lanwise.errors import UsageError

__all__ = ["MAX_LABEL_LENGTH", "MAX_NAME_LENGTH", "ROOT", "Name"]

MAX_LABEL_LENGTH: Final = 63  # RFC 1035 §2.3.4
MAX_NAME_LENGTH: Final = 255  # RFC 1035 §2.3.4, counted in wire octets

_DIGITS = frozenset("0123456789")


def _encode_label(label: str | bytes) -> bytes:
    if isinstance(label, bytes):
        return label
    return label.encode("utf-8", "surrogateescape")


def _check_label(raw: bytes) -> None:
    if not raw:
        raise UsageError("name", "labels must not be empty", raw)
    if len(raw) > MAX_LABEL_LENGTH:
        raise UsageError("name", f"a label is at most {MAX_LABEL_LENGTH} octets", raw)


def _wire_from_raw_labels(raw_labels: Iterable[bytes]) -> bytes:
    parts: list[bytes] = []
    for raw in raw_labels:
        _check_label(raw)
        parts.append(bytes((len(raw),)))
        parts.append(raw)
    parts.append(b"\x00")
    wire = b"".join(parts)
    if len(wire) > MAX_NAME_LENGTH:
        raise UsageError("name", f"a name is at most {MAX_NAME_LENGTH} octets on the wire", wire)
    return wire


def _split_text(text: str) -> list[bytes]:
    """Split the escaped text form into raw labels (``\\.``, ``\\\\``, ``\\DDD``)."""
    if text in ("", "."):
        return []
    labels: list[bytes] = []
    current = bytearray()
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            if i + 1 >= n:
                raise UsageError("name", "a backslash must be followed by a character", text)
            nxt = text[i + 1]
            if nxt in _DIGITS:
                digits = text[i + 1 : i + 4]
                if len(digits) != 3 or not set(digits) <= _DIGITS or int(digits) > 255:
                    raise UsageError("name", "\\DDD escapes take three decimal digits ≤ 255", text)
                current.append(int(digits))
                i += 4
            else:
                current += nxt.encode("utf-8", "surrogateescape")
                i += 2
        elif ch == ".":
            if not current:
                raise UsageError(
                    "name", "labels must not be empty (a leading dot, or two dots in a row)", text
                )
            labels.append(bytes(current))
            current.clear()
            i += 1
        else:
            current += ch.encode("utf-8", "surrogateescape")
            i += 1
    if current:
        labels.append(bytes(current))
    return labels


def _escape_label(raw: bytes) -> str:
    text = raw.decode("utf-8", "surrogateescape")
    if text.isprintable() and "." not in text and "\\" not in text:
        return text
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if ch in ".\\":
            out.append("\\" + ch)
        elif 0xDC80 <= code <= 0xDCFF:  # an undecodable octet kept by surrogateescape
            out.append(f"\\{code - 0xDC00:03d}")
        elif not ch.isprintable() and ch != " ":
            out.extend(f"\\{b:03d}" for b in ch.encode("utf-8"))
        else:
            out.append(ch)
    return "".join(out)


class Name:
    """An immutable domain name.

    Build one with :meth:`from_text` (escaped text form, trailing dot
    optional), :meth:`from_labels` (labels as text or bytes, taken literally),
    or ``Name(text)``. Comparison and hashing ignore ASCII case; ``str()``
    gives the escaped text form without the trailing dot.
    """

    __slots__ = ("_key", "_labels", "_suffixes", "_text", "_wire")

    # ``_labels``, ``_suffixes`` and ``_text`` are caches filled on first use; an unset
    # slot raises AttributeError, which the readers below treat as "not yet".
    _wire: bytes
    _key: bytes
    _labels: tuple[str, ...]
    _suffixes: tuple[tuple[bytes, int], ...]
    _text: str

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise UsageError("name", "text form is a str", text)
        wire = _wire_from_raw_labels(_split_text(text))
        _set_wire(self, wire)
        _set_key(self, _folded(wire))

    # -- constructors ------------------------------------------------------------
    @classmethod
    def from_text(cls, text: str) -> Name:
        """Parse the escaped text form: ``My\\.Printer._http._tcp.local``."""
        return cls(text)

    @classmethod
    def from_labels(cls, labels: Iterable[str | bytes]) -> Name:
        """Build a name from literal labels (no escapes; dots and spaces allowed)."""
        return _from_wire(_wire_from_raw_labels(_encode_label(label) for label in labels))

    @classmethod
    def from_wire(cls, wire: bytes) -> Name:
        """Build a name from its uncompressed wire form, checking every rule."""
        raw_labels: list[bytes] = []
        pos = 0
        try:
            while wire[pos]:
                length = wire[pos]
                if length > MAX_LABEL_LENGTH or pos + 1 + length >= len(wire):
                    raise UsageError("name", "not a valid uncompressed wire name", wire)
                raw_labels.append(wire[pos + 1 : pos + 1 + length])
                pos += 1 + length
        except IndexError:
            raise UsageError("name", "not a valid uncompressed wire name", wire) from None
        if pos + 1 != len(wire):
            raise UsageError("name", "trailing octets after the root label", wire)
        return _from_wire(_wire_from_raw_labels(raw_labels))

    # -- views -------------------------------------------------------------------
    @property
    def labels(self) -> tuple[str, ...]:
        """The labels as text (undecodable octets kept as surrogate escapes)."""
        try:
            return self._labels
        except AttributeError:
            labels = tuple(raw.decode("utf-8", "surrogateescape") for raw in self.raw_labels)
            _set_labels(self, labels)
            return labels

    @property
    def raw_labels(self) -> tuple[bytes, ...]:
        """The labels as the octets on the wire."""
        wire = self._wire
        out: list[bytes] = []
        pos = 0
        length = wire[0]
        while length:
            out.append(wire[pos + 1 : pos + 1 + length])
            pos += 1 + length
            length = wire[pos]
        return tuple(out)

    @property
    def is_root(self) -> bool:
        return len(self._wire) == 1

    @property
    def first_label(self) -> str:
        """The leftmost label (for DNS-SD: the instance name); UsageError for the root."""
        if self.is_root:
            raise UsageError("name", "the root name has no labels")
        try:
            return self._labels[0]
        except AttributeError:
            wire = self._wire  # only the first label: a browse asks this of every instance
            return wire[1 : 1 + wire[0]].decode("utf-8", "surrogateescape")

    def to_wire(self) -> bytes:
        """The uncompressed wire form, case preserved."""
        return self._wire

    def canonical_wire(self) -> bytes:
        """The uncompressed wire form with ASCII letters lowercased."""
        return self._key

    def __len__(self) -> int:
        """The number of labels (the root name has none)."""
        return len(self.raw_labels)

    def __bool__(self) -> bool:
        return True  # even the root name, which has no labels, is a name

    # -- relations ---------------------------------------------------------------
    def parent(self) -> Name:
        """The name without its first label; UsageError for the root."""
        if self.is_root:
            raise UsageError("name", "the root name has no parent")
        return _from_wire(self._wire[1 + self._wire[0] :])

    def child(self, *labels: str | bytes) -> Name:
        """This name with ``labels`` (literal, leftmost first) prepended."""
        prefix = [_encode_label(label) for label in labels]
        return _from_wire(_wire_from_raw_labels([*prefix, *self.raw_labels]))

    def is_child_of(self, other: Name) -> bool:
        """True when this name is ``other`` with one more label (case-insensitive)."""
        key = self._key
        return len(key) > 1 and key[1 + key[0] :] == other._key

    def is_subdomain_of(self, other: Name) -> bool:
        """True when this name equals ``other`` or lies below it (case-insensitive)."""
        key = self._key
        okey = other._key
        if len(okey) > len(key):
            return False
        if len(okey) == len(key):
            return key == okey
        pos = 0
        cut = len(key) - len(okey)
        while pos < cut:
            pos += 1 + key[pos]
        return pos == cut and key[pos:] == okey

    # -- value semantics -----------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Name):
            return self._key == other._key
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, Name):
            return self._key != other._key
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key)

    def __str__(self) -> str:
        try:
            return self._text  # made once: a browse names the same host a thousand times
        except AttributeError:
            text = "." if self.is_root else ".".join(_escape_label(raw) for raw in self.raw_labels)
            _set_text(self, text)
            return text

    def __repr__(self) -> str:
        return f"Name({str(self)!r})"

    def __reduce__(self) -> tuple[object, tuple[bytes]]:
        return (_from_wire, (self._wire,))

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError("Name is immutable")

    def __delattr__(self, key: str) -> None:
        raise AttributeError("Name is immutable")

    # -- compression support (used by the message builder) -------------------------
    def _suffix_table(self) -> tuple[tuple[bytes, int], ...]:
        """(suffix, start) for every suffix of the wire form that starts at a label,
        longest first; ``start`` is the suffix's index in the wire form."""
        try:
            return self._suffixes
        except AttributeError:
            wire = self._wire
            out: list[tuple[bytes, int]] = []
            pos = 0
            while wire[pos]:
                out.append((wire[pos:], pos))
                pos += 1 + wire[pos]
            suffixes = tuple(out)
            _set_suffixes(self, suffixes)
            return suffixes


# Slot setters that bypass the immutability guard: construction only.
_set_wire = Name.__dict__["_wire"].__set__
_set_key = Name.__dict__["_key"].__set__
_set_labels = Name.__dict__["_labels"].__set__
_set_suffixes = Name.__dict__["_suffixes"].__set__
_set_text = Name.__dict__["_text"].__set__
_new = object.__new__


def _from_wire(wire: bytes) -> Name:
    """Wrap an already-validated uncompressed wire form (the parser's fast path)."""
    name: Name = _new(Name)
    _set_wire(name, wire)
    _set_key(name, _folded(wire))
    return name


def _folded(wire: bytes) -> bytes:
    """The case-folded key: the wire form itself when already lower case (most names),
    so that a cached name holds one bytes object, not two equal ones (bench/memory.py)."""
    key = wire.lower()
    return wire if key == wire else key


# Names seen on the wire, shared across packets: a link repeats the same few hundred
# names in every packet, so the parser hands out one Name object per name (its
# folded key made once, its text and suffix table cached once) instead of
# allocating a new one per record. Bounded by clearing when full, as a hostile
# peer can send endless distinct names.
_INTERN_LIMIT: Final = 4096
_interned: dict[bytes, Name] = {}


def _intern(wire: bytes) -> Name:
    """The shared Name for an already-validated wire form (see ``_interned``)."""
    name = _interned.get(wire)
    if name is None:
        if len(_interned) >= _INTERN_LIMIT:
            _interned.clear()
        name = _interned[wire] = _from_wire(wire)
    return name


ROOT: Final = _from_wire(b"\x00")

# True when this module runs compiled: then name.pxd's C function exists, and Name's
# hash slot reads the folded key in C (the same value as __hash__ above, without a
# Python-level call: names are hashed for every dict key on the receive path).
_COMPILED: Final = not __file__.endswith(".py")
_c_install_hash: Callable[[type[Name]], None]  # name.pxd's; named for the type checker
if _COMPILED:
    _c_install_hash(Name)  # noqa: F821 (C: see above)
