"""lanwise.conformance exports exactly its public names, each importable."""

from __future__ import annotations

from lanwise import conformance


def test_all_is_complete_and_importable() -> None:
    public = {n for n in vars(conformance) if not n.startswith("_")} - {"annotations"}
    modules = {
        "answering",
        "claimed",
        "conflicts",
        "dnssd",
        "html",
        "ipv6",
        "linklocal",
        "matter",
        "offlink",
        "probing",
        "report",
        "rules",
        "session",
        "suite",
        "updates",
        "wire",
    }
    assert set(conformance.__all__) == public - modules
    for name in conformance.__all__:
        assert getattr(conformance, name) is not None
