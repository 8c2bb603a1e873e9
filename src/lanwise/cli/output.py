"""What every ``lanwise`` command prints through: terminal-safe text, TXT, JSON.

Names, TXT strings and host names come from the network, and interface names
from the kernel; any of them may hold bytes that a terminal obeys (ESC starts a
control sequence that can set the title or clear the screen). Every
human-readable line therefore shows them through :func:`escape`, one reversible
rule (the DNS presentation format of RFC 1035 §5.1):

- a backslash is written ``\\\\``;
- each octet of a control character (C0 U+0000-U+001F, DEL U+007F, C1
  U+0080-U+009F) and each octet that is not valid UTF-8 is written ``\\DDD``,
  three decimal digits (ESC is ``\\027``; C1 CSI, UTF-8 ``C2 9B``, is ``\\194\\155``);
- everything else is the text itself.

Reading back: replace each ``\\DDD`` by that octet and each ``\\\\`` by a
backslash; the octets are the original ones. TXT strings are shown the same way
inside double quotes, with ``\\"`` for a quote.

JSON (``--json``) carries text as JSON strings: exact where the octets are
UTF-8, U+FFFD for each octet that is not; DEL and C1 are written as ``\\u``
escapes so that even JSON is safe to show on a terminal.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterable, Mapping
from ipaddress import IPv4Address, IPv6Address
from typing import Any

__all__ = [
    "escape",
    "escape_bytes",
    "interface_name",
    "json_interface_name",
    "json_line",
    "json_text",
    "quote_txt",
    "reader_gone",
    "service_to_json",
    "txt_text",
    "version_text",
]


def _unsafe(code: int) -> bool:
    return code < 0x20 or 0x7F <= code <= 0x9F


def escape_bytes(raw: bytes, *, also: str = "") -> str:
    """``raw`` made printable by the module's rule; ``also`` adds characters to
    backslash-escape (``'"'`` inside quotes)."""
    return escape(raw.decode("utf-8", "surrogateescape"), also=also)


def escape(text: str, *, also: str = "") -> str:
    """``text`` made printable by the module's reversible rule.

    Undecodable octets arrive as lone surrogates (the ``surrogateescape`` error
    handler) and are written as the octet they stand for.
    """
    if text.isprintable() and "\\" not in text and not any(c in text for c in also):
        return text  # the common case: nothing to do
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if ch == "\\" or ch in also:
            out.append("\\" + ch)
        elif 0xDC80 <= code <= 0xDCFF:  # an octet that is not UTF-8
            out.append(f"\\{code - 0xDC00:03d}")
        elif _unsafe(code):
            out.extend(f"\\{octet:03d}" for octet in ch.encode("utf-8"))
        elif 0xD800 <= code <= 0xDFFF:  # any other lone surrogate: not text at all
            out.extend(f"\\{octet:03d}" for octet in ch.encode("utf-8", "surrogatepass"))
        else:
            out.append(ch)
    return "".join(out)


def quote_txt(raw: bytes) -> str:
    """One TXT string for people: ``"key=value"``, escaped by the module's rule."""
    return '"' + escape_bytes(raw, also='"') + '"'


def txt_text(strings: Iterable[bytes]) -> str:
    """Every non-empty TXT string quoted, space-separated (RFC 6763 §6: the
    lone empty string means "no attributes")."""
    return " ".join(quote_txt(s) for s in strings if s)


def interface_name(index: int) -> str:
    """An interface's name for display, escaped (its index if it has none any more)."""
    return escape(_interface_name(index))


def _interface_name(index: int) -> str:
    if index == 0:
        return ""  # a unicast (wide-area) answer: not tied to a link
    try:
        return socket.if_indextoname(index)
    except OSError:
        return str(index)


def json_interface_name(index: int) -> str:
    """An interface's name for JSON (its index if it has none any more)."""
    return json_text(_interface_name(index))


# -- JSON ------------------------------------------------------------------------------
_JSON_UNSAFE = {code: f"\\u{code:04x}" for code in range(0x7F, 0xA0)}


def json_text(text: str) -> str:
    """Text for a JSON string: octets that are not UTF-8 become U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def json_line(data: Any) -> str:
    """One line of JSON, UTF-8 kept readable, DEL and C1 written as ``\\u`` escapes."""
    return json.dumps(data, ensure_ascii=False).translate(_JSON_UNSAFE)


def _address_to_json(address: IPv4Address | IPv6Address, index: int) -> dict[str, Any]:
    return {
        "address": str(address),
        "family": address.version,
        "interface": json_interface_name(index),
        "interface_index": index,
    }


def service_to_json(info: Any, interfaces: Iterable[int] | None = None) -> dict[str, Any]:
    """A resolved service (a :class:`lanwise.dnssd.ServiceInfo`) in the one documented
    JSON shape (docs/cli.md, docs/cli-service.schema.json); ``interfaces`` limits
    the addresses to those interfaces."""
    addresses: Mapping[int, tuple[IPv4Address | IPv6Address, ...]] = info.addresses
    chosen = sorted(addresses) if interfaces is None else [i for i in interfaces if i in addresses]
    return {
        "name": json_text(info.name),
        "type": str(info.type),
        "domain": info.type.domain,
        "host": json_text(info.host),
        "port": info.port,
        "txt": {
            json_text(key): None if value is None else value.decode("utf-8", "replace")
            for key, value in info.txt.items()
        },
        "txt_raw": [s.decode("utf-8", "replace") for s in info.txt_strings],
        "addresses": [
            _address_to_json(address, index) for index in chosen for address in addresses[index]
        ],
    }


# -- the process ---------------------------------------------------------------------------
def reader_gone() -> None:
    """The reader of our output went away (``| head``): not an error. Point stdout
    at /dev/null so the interpreter's final flush stays quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout already closed or replaced
        pass
    finally:
        os.close(devnull)


# What the compiled packages are called in ``lanwise --version``.
_PART_NAMES = {"dns": "DNS codec", "mdns": "mDNS engine"}


def version_text() -> str:
    """``lanwise --version``: lanwise's version, Python's, and which code path runs."""
    import platform  # noqa: PLC0415 - only --version needs it

    from lanwise import __version__  # noqa: PLC0415
    from lanwise._extensions import COMPILABLE, compiled_modules  # noqa: PLC0415

    # Which modules actually loaded compiled, not which the build meant to compile.
    compiled = compiled_modules()
    if not compiled:
        path = "pure Python: no compiled fast path"
    elif len(compiled) == len(COMPILABLE):
        parts = dict.fromkeys(_PART_NAMES.get(m.split(".")[1], m) for m in compiled)
        path = f"compiled: {', '.join(parts)}"  # all of them (one line: no count)
    else:
        short = ", ".join(name.removeprefix("lanwise.") for name in compiled)
        path = f"compiled: {short} ({len(compiled)} of {len(COMPILABLE)} modules)"
    return (
        f"lanwise {__version__} (Python {platform.python_version()} "
        f"{platform.python_implementation()}; {path})"
    )
