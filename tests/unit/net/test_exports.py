"""The public API of lanwise.net is deliberate: every exported name exists."""

from __future__ import annotations

import lanwise.net


def test_every_export_exists_and_is_listed_once() -> None:
    names = lanwise.net.__all__
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(lanwise.net, name), name
    public = {n for n in vars(lanwise.net) if not n.startswith("_")}
    submodules = {
        "connect",
        "datagram",
        "dbus",
        "eligibility",
        "endpoint",
        "errors",
        "follow",
        "happy_eyeballs",
        "info",
        "listen",
        "metered",
        "resolvers",
        "sockopts",
        "urls",
        "annotations",
    }
    assert public - set(names) <= submodules
