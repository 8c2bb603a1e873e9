"""One escaping rule for everything the CLI prints (issue 17 item 3), and one TXT rendering."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanwise.cli.output import escape, escape_bytes, json_line, quote_txt, txt_text


def unescape(text: str) -> bytes:
    """The documented reading-back rule: ``\\DDD`` is that octet, ``\\\\`` a backslash."""
    out = bytearray()
    i = 0
    while i < len(text):
        if text[i] == "\\":
            if re.match(r"\d{3}", text[i + 1 : i + 4]):
                out.append(int(text[i + 1 : i + 4]))
                i += 4
                continue
            out += text[i + 1].encode()
            i += 2
            continue
        out += text[i].encode()
        i += 1
    return bytes(out)


def test_terminal_controls_are_escaped() -> None:
    hostile = "k=\x1b]0;PWNED\x07\x1b[2J\x00\x7f\u009b1m"
    shown = escape(hostile)
    assert shown == "k=\\027]0;PWNED\\007\\027[2J\\000\\127\\194\\1551m"
    assert all(0x20 <= ord(c) < 0x7F for c in shown)


def test_invalid_utf8_differs_from_a_literal_backslash() -> None:
    """``\\xff`` (backslashreplace) read the same as the four characters ``\\xff``."""
    invalid = escape_bytes(b"a\xffb")
    literal = escape("a\\xffb")
    assert invalid == "a\\255b" and literal == "a\\\\xffb"
    assert unescape(invalid) == b"a\xffb" and unescape(literal) == b"a\\xffb"


def test_plain_text_is_unchanged() -> None:
    assert escape("Küche Drucker (2). 🖨") == "Küche Drucker (2). 🖨"


@given(st.binary(max_size=64))
def test_escaping_is_reversible_and_printable(raw: bytes) -> None:
    shown = escape_bytes(raw)
    assert unescape(shown) == raw
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown)


def test_one_txt_rendering() -> None:
    assert quote_txt(b"note=hello world") == '"note=hello world"'
    assert quote_txt(b'say="hi"\\') == '"say=\\"hi\\"\\\\"'
    assert txt_text([b"a=1", b"", b"k=\x1b[2J"]) == '"a=1" "k=\\027[2J"'


@pytest.mark.parametrize("char", ["\x1b", "\x7f", "\u009b", "\u0085"])
def test_json_lines_hold_no_raw_terminal_controls(char: str) -> None:
    line = json_line({"name": f"x{char}y"})
    assert char not in line and "\\u00" in line
