"""TSIG keys in BIND's key-file format (RFC 8945 keys as tsig-keygen writes them)."""

from __future__ import annotations

import base64

import dns.tsig
import pytest

from lanwise.errors import UsageError
from lanwise.widearea.tsigkey import parse_key_text

SECRET = base64.b64encode(b"k" * 32).decode()
KEY_TEXT = f'key "lab-key" {{\n\talgorithm hmac-sha256;\n\tsecret "{SECRET}";\n}};\n'


def test_reads_tsig_keygen_output() -> None:
    key = parse_key_text(KEY_TEXT)
    assert key.name == "lab-key."
    assert key.algorithm == "hmac-sha256"
    assert key.secret == b"k" * 32
    assert key.to_dnspython().algorithm == dns.tsig.HMAC_SHA256


def test_secret_never_shown() -> None:
    key = parse_key_text(KEY_TEXT)
    assert SECRET not in repr(key)
    assert "kkkk" not in repr(key)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("nothing here", "key clause"),
        ('key "k" { secret "AAAA"; };', "algorithm"),
        ('key "k" { algorithm hmac-foo; secret "AAAA"; };', "unsupported"),
        ('key "k" { algorithm hmac-sha256; secret "!!"; };', "base64"),
    ],
)
def test_bad_key_files_name_the_rule(text: str, rule: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_key_text(text)
    assert rule in str(info.value)
    assert "AAAA" not in str(info.value)
