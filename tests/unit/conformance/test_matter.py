"""The Matter profile's value rules (Matter Core §4.3; TC-SC-4.1, TC-SC-4.3)."""

from __future__ import annotations

import pytest

from lanwise.conformance.matter import _HEX16, _HOST, _OPERATIONAL_NAME, _number


@pytest.mark.parametrize(
    ("text", "maximum", "expected"),
    [("0", 4095, 0), ("3840", 4095, 3840), ("4096", 4095, None), ("0840", 4095, None),
     ("", 4095, None), ("12a", 4095, None), ("3600000", 3_600_000, 3_600_000)],
)  # fmt: skip
def test_decimals_have_no_leading_zeros_and_a_range(
    text: str, maximum: int, expected: int | None
) -> None:
    assert _number(text, maximum) == expected


def test_names_are_uppercase_hex_of_the_right_length() -> None:
    assert _HEX16.fullmatch("DD200C20D25AE5F7")
    assert not _HEX16.fullmatch("dd200c20d25ae5f7")
    assert _OPERATIONAL_NAME.fullmatch("B7322C948581262F-0000000012344321")
    assert not _OPERATIONAL_NAME.fullmatch("B7322C948581262F-12344321")
    assert _HOST.fullmatch("B75AFB458ECD") and _HOST.fullmatch("B75AFB458ECD0011")
    assert not _HOST.fullmatch("B75AFB458EC") and not _HOST.fullmatch("b75afb458ecd")
