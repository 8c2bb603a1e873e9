"""Reading compressed names (RFC 1035 §4.1.4) with strict pointer rules.

A pointer must point strictly below the start of the label run it
interrupts: the first run starts where the name starts, every later run
starts at the previous pointer's target. Targets therefore fall with every
jump, so loops, self-pointers and forward pointers are all impossible; and
the 255-octet limit is checked label by label, so a hostile name costs at
most 255 octets of reading however its pointers are arranged. Every legitimate compressor
points at names written earlier, which always satisfies the rule.

``cache`` maps packet offsets to the names already decoded there, so a name
that is only a pointer to a known name costs one dict lookup and shares the
:class:`Name` object. Across packets, names are interned (``name._intern``):
a name seen before is the same object, with its hash key already made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from lanwise.dns.errors import WireFormatError
from lanwise.dns.name import MAX_NAME_LENGTH, Name, _intern, _interned

__all__ = ["read_name"]

_interned_get = _interned.get
# True when this module runs compiled (docs/compiled.md): well-formed names are then
# read by the C function of compression.pxd, declared here for the type checker only.
_COMPILED: Final = not __file__.endswith(".py")
_c_read_name: Callable[
    [bytes, int, dict[int, Name], dict[bytes, Name], Callable[[bytes], Name]],
    tuple[Name, int] | None,
]


def read_name(data: bytes, offset: int, cache: dict[int, Name]) -> tuple[Name, int]:
    """Decode the (possibly compressed) name at ``offset``.

    Returns the name and the offset just after it in the packet (after the
    first pointer, if any). Raises :class:`WireFormatError` for any fault.
    """
    if _COMPILED:
        # The C reader takes every well-formed name; for anything else it returns None
        # without caching a thing, and the walk below reads it again and says what is wrong.
        found = _c_read_name(data, offset, cache, _interned, _intern)  # noqa: F821 (C: see above)
        if found is not None:
            return found
    n = len(data)
    pos = run = limit = offset
    end = 0
    # The octets before the first pointer, then those of each later run: most names are
    # one run (no pointer) or one run and a pointer, which need no list.
    first: bytes | None = None
    parts: list[bytes] | None = None
    pending: list[tuple[int, int]] | None = None  # (pointer target, octets before it)
    size = 0
    tail: Name | None = None
    while True:
        if pos >= n:
            raise WireFormatError(pos, "name runs past the end of the packet")
        length = data[pos]
        if length == 0:
            if first is None:
                first = data[run : pos + 1]
            else:
                if parts is None:
                    parts = [first]
                parts.append(data[run : pos + 1])
            if not end:
                end = pos + 1
            break
        if length < 0x40:
            pos += length + 1
            if pos - run + size >= MAX_NAME_LENGTH:  # checked per label: bounds the work too
                raise WireFormatError(offset, f"name longer than {MAX_NAME_LENGTH} octets")
            continue
        if length < 0xC0:
            raise WireFormatError(
                pos,
                f"reserved label type 0x{length & 0xC0:02x} "
                f"(a label of {length} octets would exceed the 63-octet limit)",
            )
        if pos + 1 >= n:
            raise WireFormatError(pos, "compression pointer cut short by the end of the packet")
        target = ((length & 0x3F) << 8) | data[pos + 1]
        if target >= limit:
            raise WireFormatError(pos, f"compression pointer to {target} does not point backwards")
        if run < pos:
            if first is None:
                first = data[run:pos]
            else:
                if parts is None:
                    parts = [first]
                parts.append(data[run:pos])
            size += pos - run
        if not end:
            end = pos + 2
        cached = cache.get(target)
        if cached is not None:
            tail = cached
            break
        if pending is None:
            pending = []
        pending.append((target, size))
        limit = pos = run = target
    wire: bytes
    if tail is not None:
        if first is None:
            return tail, end  # the whole name is one pointer to a known name
        if parts is None:
            wire = first + tail._wire
        else:
            parts.append(tail._wire)
            wire = b"".join(parts)
    elif parts is None:
        assert first is not None  # the loop ends at a root label or at a known name
        wire = first
    else:
        wire = b"".join(parts)
    if len(wire) > MAX_NAME_LENGTH:
        raise WireFormatError(offset, f"name longer than {MAX_NAME_LENGTH} octets")
    name = _interned_get(wire)  # _intern, inlined: this is the parser's hottest helper
    if name is None:
        name = _intern(wire)
    if offset not in cache:
        cache[offset] = name
    if pending is not None:
        for target, before in pending:
            cache[target] = _intern(wire[before:])
    return name, end
