"""The public API of lanwise.linklocal is deliberate: the package exports its modules' API."""

from __future__ import annotations

from lanwise import linklocal
from lanwise.linklocal import constants, driver, events, machine, states

# Names deliberately left to their modules (reachable as lanwise.linklocal.<module>.<name>).
MODULE_ONLY = {
    "BROADCAST_ADDRESS",
    "FIRST_ADDRESS",
    "LAST_ADDRESS",
    "LINK_DOWN",
    "ROUTABLE_ADDRESS",
    "TRANSITIONS",
    "allowed",
    "render_table",
}


def test_package_exports_every_public_name_of_its_modules() -> None:
    public = set(linklocal.__all__)
    assert all(hasattr(linklocal, name) for name in public)
    for module in (constants, driver, events, machine, states):
        missing = set(module.__all__) - public - MODULE_ONLY
        assert not missing, f"{module.__name__} does not re-export {sorted(missing)}"
