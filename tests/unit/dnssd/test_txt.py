"""TXT data from callers and from the wire (RFC 6763 §6)."""

from __future__ import annotations

import pytest

from lanwise.dnssd.txt import decode_txt, encode_txt
from lanwise.errors import UsageError


def test_empty_txt_is_one_empty_string() -> None:
    """RFC 6763 §6.1: a TXT record is never empty."""
    assert encode_txt(None) == (b"",)
    assert encode_txt({}) == (b"",)
    assert encode_txt([]) == (b"",)


def test_mapping_encodes_values_booleans_and_ints() -> None:
    """RFC 6763 §6.4: key=value, key= (empty value), bare key (boolean)."""
    assert encode_txt({"path": "/", "empty": "", "flag": True, "n": 3, "off": False}) == (
        b"path=/",
        b"empty=",
        b"flag",
        b"n=3",
    )
    assert encode_txt({"raw": b"\x00\xff"}) == (b"raw=\x00\xff",)


@pytest.mark.parametrize(
    ("txt", "rule"),
    [
        ({"": "x"}, "not be empty"),
        ({"a=b": "x"}, "without '='"),
        ({"clé": "x"}, "US-ASCII"),
        ({"Key": "1", "key": "2"}, "unique"),
        ({"k": "v" * 254}, "255"),
        (["=nokey"], "start with '='"),
        ([b"x" * 256], "255"),
        ("path=/", "not one string"),
    ],
)
def test_bad_txt_is_refused_naming_the_rule(txt: object, rule: str) -> None:
    with pytest.raises(UsageError) as caught:
        encode_txt(txt)  # type: ignore[arg-type]
    assert rule in caught.value.rule


def test_txt_must_fit_one_message() -> None:
    """RFC 6762 §17: the whole TXT must fit in a 9000-octet message."""
    with pytest.raises(UsageError, match="one mDNS message"):
        encode_txt([b"x" * 250] * 40)


def test_raw_strings_pass_through_and_drop_empty_fillers() -> None:
    assert encode_txt(["a=1", b"b", ""]) == (b"a=1", b"b")
    assert encode_txt([""]) == (b"",)


def test_decoding_follows_section_6_4() -> None:
    """First occurrence wins, keys case-insensitive, '=' strings ignored, bare keys are None."""
    mapping = decode_txt([b"Path=/a", b"path=/b", b"=junk", b"flag", b"empty=", b""])
    assert mapping["PATH"] == b"/a"
    assert mapping["flag"] is None
    assert mapping["empty"] == b""
    assert list(mapping) == ["Path", "flag", "empty"]
