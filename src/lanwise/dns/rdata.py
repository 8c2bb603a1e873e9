"""Record data: one frozen, hashable value class per record type.

Every class keeps its canonical uncompressed wire form (``to_wire()``, used
for the RFC 6762 §8.2 tie-break) computed once. Beside each class sits its
decoder, ``_decode_<type>(data, start, end, names)``, which reads the rdata
occupying ``data[start:end]`` of a packet; ``names`` is the packet's name
cache (see :mod:`lanwise.dns.compression`). Decoders skip the validating
``__init__`` (the packet was already bounds-checked): each fills a private
"twin" class with the same slot layout, which :func:`~lanwise.dns.twins.finish_as`
turns into an ordinary instance (that module says why).
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeVar

from lanwise.dns.compression import read_name
from lanwise.dns.constants import RRType
from lanwise.dns.errors import WireFormatError
from lanwise.dns.name import Name, _interned
from lanwise.dns.twins import finish_as
from lanwise.dns.txt import MAX_STRING_LENGTH, TXTMapping, strings_from_mapping
from lanwise.errors import UsageError

__all__ = [
    "AAAA",
    "CNAME",
    "HINFO",
    "NSEC",
    "OPT",
    "PTR",
    "SRV",
    "TXT",
    "A",
    "Rdata",
    "Unknown",
    "decode_rdata",
]

_SRV = struct.Struct("!HHH")
_OPT_HEAD = struct.Struct("!HH")
_new = object.__new__
_set = object.__setattr__


class Rdata:
    """Base of all record data classes."""

    __slots__ = ()
    rtype: ClassVar[int]
    #: True when the rdata holds names the builder may compress (RFC 6762 §18.14).
    has_names: ClassVar[bool] = False

    def to_wire(self) -> bytes:
        """The canonical, uncompressed rdata octets."""
        raise NotImplementedError

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        # Rebuild through the public constructor: cache slots may be unset.
        return (type(self), tuple(getattr(self, f.name) for f in fields(self) if f.init))  # type: ignore[arg-type]


def _u16(field_name: str, value: int) -> int:
    if not isinstance(value, int) or not 0 <= value <= 0xFFFF:
        raise UsageError(field_name, "an integer from 0 to 65535", value)
    return value


def _charstr(field_name: str, value: bytes | str) -> bytes:
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if len(raw) > MAX_STRING_LENGTH:
        raise UsageError(field_name, f"at most {MAX_STRING_LENGTH} octets (RFC 1035 §3.3)", raw)
    return raw


def _check_name(field_name: str, value: object) -> None:
    if not isinstance(value, Name):
        raise UsageError(field_name, "a lanwise.dns.Name", value)


# --------------------------------------------------------------------------- A, AAAA
@dataclass(frozen=True, slots=True)
class A(Rdata):
    """An IPv4 address record (RFC 1035 §3.4.1)."""

    rtype: ClassVar[int] = RRType.A
    address: IPv4Address
    _wire: bytes = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        address = self.address
        if not isinstance(address, IPv4Address):
            try:
                address = IPv4Address(address)
            except (ValueError, TypeError):
                raise UsageError("address", "an IPv4 address", address) from None
            _set(self, "address", address)
        _set(self, "_wire", address.packed)

    def to_wire(self) -> bytes:
        return self._wire

    # Explicit hashes (dataclass keeps them): the mDNS engine hashes record keys on
    # every packet, and the generated hash would build a tuple and, for addresses,
    # call IPv4Address.__hash__ (which formats the address as hex). Equal values
    # have equal wire forms here, whose bytes hash is computed once and cached.
    def __hash__(self) -> int:
        return hash(self._wire)

    # Equal addresses, equal octets (dataclass keeps an explicit __eq__ too): compared
    # without making the decoder's deferred address objects.
    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._wire == other._wire

    if not TYPE_CHECKING:  # (for the type checker ``address`` is a plain field)

        def __getattr__(self, name: str) -> object:
            # The decoder stores the octets only; the IPv4Address (about 80 octets
            # with its int, bench/memory.py) is made on first use.
            if name == "address":
                address = IPv4Address(self._wire)
                _set(self, "address", address)
                return address
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self
            )


@dataclass(frozen=True, slots=True)
class AAAA(Rdata):
    """An IPv6 address record (RFC 3596)."""

    rtype: ClassVar[int] = RRType.AAAA
    address: IPv6Address
    _wire: bytes = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        address = self.address
        if not isinstance(address, IPv6Address):
            try:
                address = IPv6Address(address)
            except (ValueError, TypeError):
                raise UsageError("address", "an IPv6 address", address) from None
        if address.scope_id is not None:
            # A scope is meaningless on the wire; records carry the bare address.
            address = IPv6Address(address.packed)
        if address is not self.address:
            _set(self, "address", address)
        _set(self, "_wire", address.packed)

    def to_wire(self) -> bytes:
        return self._wire

    def __hash__(self) -> int:  # see A.__hash__
        return hash(self._wire)

    def __eq__(self, other: object) -> bool:  # see A.__eq__
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._wire == other._wire

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> object:  # see A.__getattr__
            if name == "address":
                address = IPv6Address(self._wire)
                _set(self, "address", address)
                return address
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self
            )


# Rdata seen on the wire, shared across packets. A link repeats the same records
# in every announcement and response, and rdata objects are immutable, so a
# decoder hands out the object it made last time for the same octets instead of
# allocating one per record (for A, IPv4Address() alone costs more than the rest
# of the record). Keys are exact octets (names in their uncompressed,
# case-preserved wire form). Each cache is bounded by clearing when full, and
# only small rdata is kept, as a hostile peer can send endless distinct records.
_CACHE_LIMIT = 1024
_CACHED_RDATA_MAX = 256
_R = TypeVar("_R", bound="Rdata")


def _remember(cache: dict[bytes, _R], key: bytes, rdata: _R) -> _R:
    limit = _CACHE_LIMIT  # a C integer when compiled (the module attribute stays for tests)
    if len(cache) >= limit:
        cache.clear()
    cache[key] = rdata
    if _COMPILED:
        _c_untrack(rdata)  # noqa: F821 (C, rdata.pxd: no cycle passes through rdata)
    return rdata


class _ATwin(Rdata):
    __slots__ = A.__slots__
    address: IPv4Address
    _wire: bytes


class _AAAATwin(Rdata):
    __slots__ = AAAA.__slots__
    address: IPv6Address
    _wire: bytes


_a_cache: dict[bytes, A] = {}
_aaaa_cache: dict[bytes, AAAA] = {}


def _decode_a(data: bytes, start: int, end: int, names: dict[int, Name]) -> Rdata:
    if end - start != 4:
        raise WireFormatError(start, f"A rdata is 4 octets, not {end - start}")
    raw = data[start:end]
    cache = _a_cache  # a typed local when compiled: a C dict lookup
    cached = cache.get(raw)
    if cached is not None:
        return cached
    rdata = _new(_ATwin)
    rdata._wire = raw  # ``address`` is made when first read (A.__getattr__)
    return _remember(cache, raw, finish_as(rdata, A))


def _decode_aaaa(data: bytes, start: int, end: int, names: dict[int, Name]) -> Rdata:
    if end - start != 16:
        raise WireFormatError(start, f"AAAA rdata is 16 octets, not {end - start}")
    raw = data[start:end]
    cache = _aaaa_cache  # a typed local when compiled: a C dict lookup
    cached = cache.get(raw)
    if cached is not None:
        return cached
    rdata = _new(_AAAATwin)
    rdata._wire = raw  # ``address`` is made when first read (AAAA.__getattr__)
    return _remember(cache, raw, finish_as(rdata, AAAA))


# --------------------------------------------------------------------------- PTR, CNAME
class _NameTarget(Rdata):
    """Rdata that is one name: PTR and CNAME share this implementation."""

    __slots__ = ()
    has_names: ClassVar[bool] = True
    target: Name

    def __post_init__(self) -> None:
        _check_name("target", self.target)

    def to_wire(self) -> bytes:
        return self.target._wire

    def __hash__(self) -> int:  # equal targets have equal folded keys (see A.__hash__)
        return hash(self.target._key)


@dataclass(frozen=True, slots=True)
class PTR(_NameTarget):
    """A pointer record (RFC 1035 §3.3.12); DNS-SD browsing (RFC 6763 §4)."""

    rtype: ClassVar[int] = RRType.PTR
    target: Name
    __hash__ = _NameTarget.__hash__  # kept: dataclass would generate a slower one


@dataclass(frozen=True, slots=True)
class CNAME(_NameTarget):
    """An alias record (RFC 1035 §3.3.1)."""

    rtype: ClassVar[int] = RRType.CNAME
    target: Name
    __hash__ = _NameTarget.__hash__  # kept: dataclass would generate a slower one


class _NameTargetTwin(_NameTarget):
    """The twin of both PTR and CNAME: the same slot on the same base."""

    __slots__ = ("target",)
    target: Name


_ptr_cache: dict[bytes, _NameTarget] = {}
_cname_cache: dict[bytes, _NameTarget] = {}


def _decode_name_target(
    cls: type[_NameTarget], data: bytes, start: int, end: int, names: dict[int, Name]
) -> Rdata:
    target, after = read_name(data, start, names)
    if after != end:
        raise WireFormatError(start, f"{cls.__name__} name does not fill the rdata")
    cache = _ptr_cache if cls is PTR else _cname_cache
    key = target._wire
    cached = cache.get(key)
    if cached is not None:
        return cached
    rdata = _new(_NameTargetTwin)
    rdata.target = target
    return _remember(cache, key, finish_as(rdata, cls))


def _decode_ptr(data: bytes, start: int, end: int, names: dict[int, Name]) -> Rdata:
    return _decode_name_target(PTR, data, start, end, names)


def _decode_cname(data: bytes, start: int, end: int, names: dict[int, Name]) -> Rdata:
    return _decode_name_target(CNAME, data, start, end, names)


# --------------------------------------------------------------------------- SRV
@dataclass(frozen=True, slots=True)
class SRV(Rdata):
    """A service location record (RFC 2782); DNS-SD instances (RFC 6763 §5)."""

    rtype: ClassVar[int] = RRType.SRV
    has_names: ClassVar[bool] = True
    priority: int
    weight: int
    port: int
    target: Name

    def __post_init__(self) -> None:
        _u16("priority", self.priority)
        _u16("weight", self.weight)
        _u16("port", self.port)
        _check_name("target", self.target)

    def to_wire(self) -> bytes:
        return _SRV.pack(self.priority, self.weight, self.port) + self.target._wire

    def __hash__(self) -> int:  # see A.__hash__
        return hash((self.priority, self.weight, self.port, self.target._key))


class _SRVTwin(Rdata):
    __slots__ = SRV.__slots__
    priority: int
    weight: int
    port: int
    target: Name


_unpack_srv = _SRV.unpack_from


_srv_cache: dict[bytes, SRV] = {}


def _decode_srv(data: bytes, start: int, end: int, names: dict[int, Name]) -> Rdata:
    if end - start < 7:
        raise WireFormatError(start, "SRV rdata too short")
    target, after = read_name(data, start + 6, names)
    if after != end:
        raise WireFormatError(start, "SRV target does not fill the rdata")
    key = data[start : start + 6] + target._wire
    cache = _srv_cache  # a typed local when compiled: a C dict lookup
    cached = cache.get(key)
    if cached is not None:
        return cached
    priority, weight, port = _unpack_srv(data, start)
    rdata = _new(_SRVTwin)
    rdata.priority = priority
    rdata.weight = weight
    rdata.port = port
    rdata.target = target
    return _remember(cache, key, finish_as(rdata, SRV))


# --------------------------------------------------------------------------- TXT
@dataclass(frozen=True, slots=True)
class TXT(Rdata):
    """A text record: character-strings (RFC 1035 §3.3.14, RFC 6763 §6).

    An empty TXT record is one zero-length string (RFC 6763 §6.1); an empty
    ``strings`` tuple is normalised to that, and so is empty rdata received
    from a peer.
    """

    rtype: ClassVar[int] = RRType.TXT
    strings: tuple[bytes, ...]
    _wire: bytes = field(init=False, repr=False, compare=False, hash=False)
    # A cache filled by mapping(); an unset slot (AttributeError) means "not yet".
    _mapping: TXTMapping = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        strings = self.strings
        if isinstance(strings, bytes | str):
            raise UsageError("strings", "a sequence of byte strings, not one string", strings)
        checked = tuple(_charstr("TXT string", s) for s in strings) or (b"",)
        _set(self, "strings", checked)
        _set(self, "_wire", b"".join(bytes((len(s),)) + s for s in checked))

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, bytes | str | bool | None]) -> TXT:
        """Build from key/value pairs, validating keys and lengths (RFC 6763 §6)."""
        return cls(strings_from_mapping(mapping))

    def mapping(self) -> TXTMapping:
        """A case-insensitive key → value view (None for boolean keys)."""
        try:
            return self._mapping
        except AttributeError:
            mapping = TXTMapping(self.strings)
            _set(self, "_mapping", mapping)
            return mapping

    def to_wire(self) -> bytes:
        return self._wire

    def __hash__(self) -> int:  # see A.__hash__
        return hash(self._wire)


class _TXTTwin(Rdata):
    __slots__ = TXT.__slots__
    strings: tuple[bytes, ...]
    _wire: bytes


_EMPTY_TXT = (b"",)


_txt_cache: dict[bytes, TXT] = {}


def _decode_txt(data: bytes, start: int, end: int, names: dict[int, Name]) -> Rdata:
    small = end - start <= _CACHED_RDATA_MAX
    cache = _txt_cache  # a typed local when compiled: a C dict lookup
    if small:
        key = data[start:end]
        cached = cache.get(key)
        if cached is not None:
            return cached
    strings: list[bytes] = []
    pos = start
    while pos < end:
        length = data[pos]
        nxt = pos + 1 + length
        if nxt > end:
            raise WireFormatError(pos, "TXT string runs past the rdata")
        strings.append(data[pos + 1 : nxt])
        pos = nxt
    rdata = _new(_TXTTwin)
    if strings:
        rdata.strings = tuple(strings)
        rdata._wire = data[start:end]
    else:
        rdata.strings = _EMPTY_TXT
        rdata._wire = b"\x00"
    txt = finish_as(rdata, TXT)
    return _remember(cache, key, txt) if small else txt


# --------------------------------------------------------------------------- HINFO
@dataclass(frozen=True, slots=True)
class HINFO(Rdata):
    """Host information: CPU and OS character-strings (RFC 1035 §3.3.2)."""

    rtype: ClassVar[int] = RRType.HINFO
    cpu: bytes
    os: bytes

    def __post_init__(self) -> None:
        _set(self, "cpu", _charstr("cpu", self.cpu))
        _set(self, "os", _charstr("os", self.os))

    def to_wire(self) -> bytes:
        return bytes((len(self.cpu),)) + self.cpu + bytes((len(self.os),)) + self.os


class _HINFOTwin(Rdata):
    __slots__ = HINFO.__slots__
    cpu: bytes
    os: bytes


def _decode_hinfo(data: bytes, start: int, end: int, names: dict[int, Name]) -> Rdata:
    out: list[bytes] = []
    pos = start
    for _ in range(2):
        if pos >= end:
            raise WireFormatError(pos, "HINFO needs two character-strings")
        nxt = pos + 1 + data[pos]
        if nxt > end:
            raise WireFormatError(pos, "HINFO string runs past the rdata")
        out.append(data[pos + 1 : nxt])
        pos = nxt
    if pos != end:
        raise WireFormatError(pos, "trailing octets after HINFO strings")
    rdata = _new(_HINFOTwin)
    rdata.cpu, rdata.os = out
    return finish_as(rdata, HINFO)


# --------------------------------------------------------------------------- NSEC
def _encode_bitmap(types: Iterable[int]) -> bytes:
    """RFC 4034 §4.1.2 window blocks; for types < 256 this is exactly the
    single-window restricted form mDNS uses (RFC 6762 §6.1)."""
    windows: dict[int, bytearray] = {}
    for rtype in sorted(types):
        window, low = divmod(rtype, 256)
        bits = windows.setdefault(window, bytearray())
        index = low >> 3
        if len(bits) <= index:
            bits.extend(bytes(index + 1 - len(bits)))
        bits[index] |= 0x80 >> (low & 7)
    return b"".join(bytes((w, len(b))) + bytes(b) for w, b in sorted(windows.items()))


def _decode_bitmap(data: bytes, start: int, end: int) -> frozenset[int]:
    types: list[int] = []
    pos = start
    last_window = -1
    while pos < end:
        if pos + 2 > end:
            raise WireFormatError(pos, "NSEC bitmap window header cut short")
        window, length = data[pos], data[pos + 1]
        if window <= last_window:
            raise WireFormatError(pos, "NSEC bitmap windows out of order or repeated")
        if not 1 <= length <= 32:
            raise WireFormatError(pos, f"NSEC bitmap length {length} not in 1..32")
        if pos + 2 + length > end:
            raise WireFormatError(pos, "NSEC bitmap runs past the rdata")
        base = window << 8
        for i in range(length):
            octet = data[pos + 2 + i]
            if octet:
                for bit in range(8):
                    if octet & (0x80 >> bit):
                        types.append(base | (i << 3) | bit)
        last_window = window
        pos += 2 + length
    return frozenset(types)


@dataclass(frozen=True, slots=True)
class NSEC(Rdata):
    """Which types exist at a name (RFC 4034 §4; restricted mDNS use, RFC 6762 §6.1).

    mDNS responders assert with it that the types not listed do not exist.
    The builder writes RFC 4034 §4.1.2 window blocks, which for the types
    below 256 that mDNS uses is the restricted single-window form.
    """

    rtype: ClassVar[int] = RRType.NSEC
    has_names: ClassVar[bool] = True
    next_name: Name
    types: frozenset[int]
    _bitmap: bytes = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        _check_name("next_name", self.next_name)
        types = frozenset(_u16("types", t) for t in self.types)
        _set(self, "types", types)
        _set(self, "_bitmap", _encode_bitmap(types))

    def to_wire(self) -> bytes:
        return self.next_name._wire + self._bitmap


class _NSECTwin(Rdata):
    __slots__ = NSEC.__slots__
    next_name: Name
    types: frozenset[int]
    _bitmap: bytes


def _decode_nsec(data: bytes, start: int, end: int, names: dict[int, Name]) -> Rdata:
    next_name, pos = read_name(data, start, names)
    if pos > end:
        raise WireFormatError(start, "NSEC next name runs past the rdata")
    types = _decode_bitmap(data, pos, end)
    rdata = _new(_NSECTwin)
    rdata.next_name = next_name
    rdata.types = types
    rdata._bitmap = _encode_bitmap(types)
    return finish_as(rdata, NSEC)


# --------------------------------------------------------------------------- OPT
@dataclass(frozen=True, slots=True)
class OPT(Rdata):
    """EDNS(0) options (RFC 6891 §6.1.2): (code, data) pairs, unknown ones kept.

    The record's class carries the requestor's UDP payload size and its TTL
    the extended RCODE, version and flags (RFC 6891 §6.1.3); the codec leaves
    those in :class:`Record` as plain numbers and never reads a cache-flush
    bit from an OPT record.
    """

    rtype: ClassVar[int] = RRType.OPT
    options: tuple[tuple[int, bytes], ...] = ()

    def __post_init__(self) -> None:
        checked = []
        for code, value in self.options:
            raw = bytes(value)
            if len(raw) > 0xFFFF:
                raise UsageError("option data", "at most 65535 octets", len(raw))
            checked.append((_u16("option code", code), raw))
        _set(self, "options", tuple(checked))

    def to_wire(self) -> bytes:
        return b"".join(_OPT_HEAD.pack(code, len(raw)) + raw for code, raw in self.options)


class _OPTTwin(Rdata):
    __slots__ = OPT.__slots__
    options: tuple[tuple[int, bytes], ...]


def _decode_opt(data: bytes, start: int, end: int, names: dict[int, Name]) -> Rdata:
    options: list[tuple[int, bytes]] = []
    pos = start
    while pos < end:
        if pos + 4 > end:
            raise WireFormatError(pos, "EDNS option header cut short")
        code, length = _OPT_HEAD.unpack_from(data, pos)
        if pos + 4 + length > end:
            raise WireFormatError(pos, "EDNS option runs past the rdata")
        options.append((code, data[pos + 4 : pos + 4 + length]))
        pos += 4 + length
    rdata = _new(_OPTTwin)
    rdata.options = tuple(options)
    return finish_as(rdata, OPT)


# --------------------------------------------------------------------------- other types
@dataclass(frozen=True, slots=True)
class Unknown(Rdata):
    """Rdata of a type the codec does not interpret, kept and written back as is.

    Compression pointers inside such rdata would be meaningless in another
    packet, which is why RFC 3597 §4 forbids compression in new types. The
    older types that may carry compressed names (NS, SOA, MX, ...) are read
    with those names expanded, so ``data`` is always safe to copy.
    """

    rtype: int  # type: ignore[misc]  # an instance field here, a ClassVar elsewhere
    data: bytes

    def __post_init__(self) -> None:
        _u16("rtype", self.rtype)
        raw = bytes(self.data)
        if len(raw) > 0xFFFF:
            raise UsageError("data", "rdata is at most 65535 octets", len(raw))
        _set(self, "data", raw)

    def to_wire(self) -> bytes:
        return self.data


class _UnknownTwin(Rdata):
    __slots__ = Unknown.__slots__
    rtype: int  # type: ignore[misc]
    data: bytes


def _decode_unknown(rtype: int, data: bytes, start: int, end: int) -> Rdata:
    rdata = _new(_UnknownTwin)
    rdata.rtype = rtype
    rdata.data = data[start:end]
    return finish_as(rdata, Unknown)


# Older types whose rdata holds names that a sender may have compressed
# (RFC 3597 §4: the RFC 1035 types, and RP, AFSDB, RT, PX to be decompressed on
# receipt). lanwise keeps them as Unknown, but with the names expanded, so the
# opaque data stays valid when written into another packet. Layout: "N" is a
# name, an int is that many fixed octets.
_NAMED_LAYOUTS: dict[int, tuple[str | int, ...]] = {
    2: ("N",),  # NS
    3: ("N",),  # MD
    4: ("N",),  # MF
    6: ("N", "N", 20),  # SOA
    7: ("N",),  # MB
    8: ("N",),  # MG
    9: ("N",),  # MR
    14: ("N", "N"),  # MINFO
    15: (2, "N"),  # MX
    17: ("N", "N"),  # RP
    18: (2, "N"),  # AFSDB
    21: (2, "N"),  # RT
    26: (2, "N", "N"),  # PX
}


def _decode_expanding(
    rtype: int, data: bytes, start: int, end: int, names: dict[int, Name]
) -> Rdata:
    parts: list[bytes] = []
    pos = start
    for item in _NAMED_LAYOUTS[rtype]:
        if item == "N":
            name, pos = read_name(data, pos, names)
            parts.append(name._wire)
        else:
            assert isinstance(item, int)
            if pos + item > end:
                raise WireFormatError(pos, f"type {rtype} rdata too short")
            parts.append(data[pos : pos + item])
            pos += item
        if pos > end:
            raise WireFormatError(start, f"type {rtype} rdata runs past its length")
    if pos != end:
        raise WireFormatError(pos, f"type {rtype} rdata does not match its length")
    rdata = _new(_UnknownTwin)
    rdata.rtype = rtype
    rdata.data = b"".join(parts)
    return finish_as(rdata, Unknown)


def _clear_caches() -> None:
    """Forget every shared rdata object and interned name (benchmarks of cold packets)."""
    for cache in (_a_cache, _aaaa_cache, _ptr_cache, _cname_cache, _srv_cache, _txt_cache):
        cache.clear()
    _interned.clear()


_Decoder = Callable[[bytes, int, int, dict[int, Name]], Rdata]

#: rtype → decoder; the parser dispatches through this table.
DECODERS: dict[int, _Decoder] = {
    1: _decode_a,
    28: _decode_aaaa,
    12: _decode_ptr,
    5: _decode_cname,
    33: _decode_srv,
    16: _decode_txt,
    13: _decode_hinfo,
    47: _decode_nsec,
    41: _decode_opt,
}
for _rtype in _NAMED_LAYOUTS:
    DECODERS[_rtype] = functools.partial(_decode_expanding, _rtype)


def decode_rdata(rtype: int, data: bytes, start: int, end: int, names: dict[int, Name]) -> Rdata:
    """Decode the rdata of type ``rtype`` found at ``data[start:end]``."""
    decoder = DECODERS.get(rtype)
    if decoder is None:
        return _decode_unknown(rtype, data, start, end)
    return decoder(data, start, end, names)


# True when this module runs compiled: then the hash slots of the classes below are set
# to C functions that read their slots (rdata.pxd), the same values as their __hash__.
_COMPILED: Final = not __file__.endswith(".py")
_c_install_hashes: Callable[..., None]  # rdata.pxd's; named for the type checker
_c_untrack: Callable[[object], None]  # rdata.pxd's, as above
if _COMPILED:
    _c_install_hashes(A, AAAA, TXT, PTR, CNAME, SRV, Name)  # noqa: F821 (C: see above)
