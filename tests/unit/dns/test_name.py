"""Names: text form, escapes, case rules (RFC 1035 §2.3, RFC 6762 §16), limits, UTF-8 policy."""

from __future__ import annotations

import pickle

import pytest

from lanwise.dns import MAX_LABEL_LENGTH, ROOT, Name
from lanwise.errors import UsageError


def test_text_form_with_escaped_dot_keeps_the_dot_inside_the_label() -> None:
    name = Name.from_text("My\\.Printer._http._tcp.local")
    assert name.labels == ("My.Printer", "_http", "_tcp", "local")
    assert str(name) == "My\\.Printer._http._tcp.local"
    assert name.to_wire() == b"\x0aMy.Printer\x05_http\x04_tcp\x05local\x00"


def test_decimal_escape_and_trailing_dot_are_accepted_on_input() -> None:
    assert Name.from_text("My\\032Printer.local.") == Name.from_labels(["My Printer", "local"])
    assert Name("a\\\\b.local").labels == ("a\\b", "local")


def test_from_labels_takes_dots_spaces_and_utf8_literally() -> None:
    name = Name.from_labels(["Wohnzimmer Drucker (2.OG) ü", "_ipp", "_tcp", "local"])
    assert name.labels[0] == "Wohnzimmer Drucker (2.OG) ü"
    assert str(name) == "Wohnzimmer Drucker (2\\.OG) ü._ipp._tcp.local"
    assert Name.from_text(str(name)) == name
    assert name.to_wire()[0] == len("Wohnzimmer Drucker (2.OG) ü".encode())


def test_comparison_and_hash_fold_ascii_case_only() -> None:
    """RFC 6762 §16: names compare case-insensitively, with ASCII folding only."""
    assert Name("Printer.LOCAL") == Name("printer.local")
    assert hash(Name("Printer.LOCAL")) == hash(Name("printer.local"))
    assert Name("ÜBER.local") != Name("über.local")  # non-ASCII letters are not folded
    assert str(Name("Printer.LOCAL")) == "Printer.LOCAL"  # case preserved
    assert Name("Printer.LOCAL").canonical_wire() == b"\x07printer\x05local\x00"


def test_hash_is_the_folded_keys_hash_for_names_subclasses_and_dict_keys() -> None:
    """Compiled, Name's hash slot is C (name.pxd): the same value as the Python method."""
    name = Name("Printer._ipp._tcp.LOCAL")
    assert hash(name) == hash(b"\x07printer\x04_ipp\x04_tcp\x05local\x00") == name.__hash__()

    class Sub(Name):
        __slots__ = ()

    sub = Sub.from_text("printer._ipp._tcp.local")
    assert type(sub) is Sub and hash(sub) == hash(name) and sub == name
    table = {name: 1, (name, 12): 2}
    assert table[Name("printer._IPP._tcp.local")] == 1 and table[(sub, 12)] == 2


def test_root_name() -> None:
    assert Name("") == Name(".") == ROOT
    assert ROOT.is_root and ROOT.labels == () and ROOT.to_wire() == b"\x00"
    assert str(ROOT) == "."
    assert ROOT and len(ROOT) == 0
    with pytest.raises(UsageError):
        ROOT.parent()


def test_relations() -> None:
    instance = Name("Lab Printer._ipp._tcp.local")
    service = Name("_IPP._tcp.local")
    assert instance.parent() == service
    assert instance.is_subdomain_of(service)
    assert instance.is_subdomain_of(instance)
    assert not service.is_subdomain_of(instance)
    assert not Name("x_ipp._tcp.local").is_subdomain_of(Name("_tcp.local").child("_ipp"))
    assert service.child("Lab Printer") == instance
    assert instance.first_label == "Lab Printer"
    assert len(instance) == 4


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("a..b", "empty"),
        ("a" * 64 + ".local", "63"),
        (".".join(["a" * 63] * 4), "255"),
        ("bad\\", "backslash"),
        ("bad\\25", "DDD"),
        ("bad\\256x", "DDD"),
    ],
)
def test_constructor_rejects_bad_names_with_a_usage_error(text: str, rule: str) -> None:
    with pytest.raises(UsageError) as info:
        Name.from_text(text)
    assert info.value.field == "name"
    assert rule in info.value.rule


def test_label_limits_are_in_octets_not_characters() -> None:
    Name.from_labels(["a" * MAX_LABEL_LENGTH])
    with pytest.raises(UsageError):
        Name.from_labels(["ü" * 32])  # 64 octets in UTF-8
    longest = Name.from_labels(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    assert len(longest.to_wire()) == 255


def test_invalid_utf8_round_trips_through_surrogate_escapes() -> None:
    """The documented policy: undecodable octets survive labels → name → wire."""
    raw = b"caf\xe9"  # Latin-1, not UTF-8
    name = Name.from_labels([raw, b"local"])
    assert name.labels[0] == "caf\udce9"
    assert Name.from_labels(name.labels) == name
    assert Name.from_labels(name.labels).to_wire() == name.to_wire()
    assert str(name) == "caf\\233.local"
    assert Name.from_text(str(name)).to_wire() == name.to_wire()


def test_control_characters_are_escaped_in_text() -> None:
    name = Name.from_labels([b"a\x00b\x7f", b"local"])
    assert str(name) == "a\\000b\\127.local"
    assert Name(str(name)) == name


def test_text_constructor_wants_text() -> None:
    with pytest.raises(UsageError):
        Name(b"a.local")  # type: ignore[arg-type]


def test_from_wire_validates() -> None:
    assert Name.from_wire(b"\x01a\x05local\x00") == Name("a.local")
    for bad in (b"", b"\x01a", b"\x05ab\x00", b"\x01a\x00\x00", b"\x40" + b"a" * 64 + b"\x00"):
        with pytest.raises(UsageError):
            Name.from_wire(bad)


def test_names_are_immutable_and_picklable() -> None:
    name = Name("a.local")
    with pytest.raises(AttributeError):
        name._wire = b"\x00"
    assert pickle.loads(pickle.dumps(name)) == name
    assert repr(name) == "Name('a.local')"


def test_is_child_of_is_one_label_more_ignoring_case() -> None:
    parent = Name("_http._tcp.local")
    assert Name("My Box._HTTP._tcp.local").is_child_of(parent)
    assert not Name("a.My Box._http._tcp.local").is_child_of(parent)  # a grandchild
    assert not parent.is_child_of(parent)
    assert not Name("My Box._ipp._tcp.local").is_child_of(parent)
    assert not Name(".").is_child_of(parent)
    assert Name("local").is_child_of(Name("."))


def test_first_label_decodes_only_the_first_label() -> None:
    name = Name.from_labels([b"caf\xc3\xa9 \xff", "_http", "_tcp", "local"])
    assert name.first_label == "café \udcff"  # an undecodable octet kept as an escape
    assert name.first_label == name.labels[0]
