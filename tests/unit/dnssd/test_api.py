"""The module-level DNS-SD API as users write it (issue 19, API 3 and 4): resolved
browse events typed so that the docs' examples pass ``mypy --strict``, TXT value
errors that list every accepted type, and ``lanwise.browse`` as an async context
manager that closes its sockets when the block ends."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from mypy import api as mypy_api

import lanwise
from lanwise.dnssd import Service
from lanwise.dnssd.browser import BrowseTarget, ServiceBrowser
from lanwise.dnssd.model import ResolvedServiceAdded, ServiceAdded
from lanwise.errors import UsageError
from tests.unit.dnssd.test_browser import HTTP, INSTANCE, FakeCache, a, feed, ptr, srv, txt

ROOT = Path(__file__).resolve().parents[3]


def _examples() -> list[str]:
    """The README's example, and the docs' examples of browse, sync and connect."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    docs = re.findall(r"```python\n(.*?)```", (ROOT / "docs/dnssd.md").read_text(), re.S)
    wanted = ("sync.browse", "lanwise.browse(", "lanwise.connect(")
    return blocks[:1] + [b for b in docs if any(w in b for w in wanted)]


def test_the_docs_examples_pass_mypy_strict(tmp_path: Path) -> None:
    """``found.info.host`` after ``sync.browse(..., resolve=True)`` failed with
    'Item "None" of "ServiceInfo | None" has no attribute "host"'."""
    examples = _examples()
    assert len(examples) >= 4
    paths = []
    for n, code in enumerate(examples):
        path = tmp_path / f"example_{n}.py"
        path.write_text(code)
        paths.append(str(path))
    out, err, status = mypy_api.run(["--strict", "--no-error-summary", *paths])
    assert status == 0, out + err


def test_a_resolving_browse_reports_resolved_additions() -> None:
    cache = FakeCache()
    resolving = ServiceBrowser(BrowseTarget(HTTP), cache.lookup, resolve=True)
    feed(resolving, cache, 2, ptr(INSTANCE), srv(), txt(b"v=1"), a("10.0.0.5"))
    (added,) = resolving.flush()
    assert type(added) is ResolvedServiceAdded and added.info.port == 80
    assert isinstance(added, ServiceAdded)  # code that checks for ServiceAdded still works
    plain = ServiceBrowser(BrowseTarget(HTTP), cache.lookup)
    feed(plain, cache, 2, ptr(INSTANCE))
    assert [type(e) for e in plain.flush()] == [ServiceAdded]


def test_a_bad_txt_value_names_every_accepted_type() -> None:
    """int values are accepted, and the message said only "bytes, str, bool or None"."""
    with pytest.raises(UsageError) as info:
        Service("Kitchen", "_http._tcp", 80, {"size": 1.5})
    assert "str, bytes, int, bool or None" in str(info.value)
    assert info.value.field == "TXT value for 'size'"
    assert Service("Kitchen", "_http._tcp", 80, {"size": 15}).txt == (b"size=15",)


async def test_browse_used_as_an_async_generator_says_how_to_write_it() -> None:
    """The old way must fail at once, with the new way in the message (and open nothing)."""
    session: Any = lanwise.browse("_http._tcp")
    with pytest.raises(UsageError) as info:
        async for _event in session:
            pass
    assert "async with lanwise.browse(...) as events" in str(info.value)


async def test_browse_closes_its_responder_when_the_block_ends() -> None:
    """It was an async generator: a break left the responder open until garbage collection."""
    async with lanwise.browse("_http._tcp", interfaces=[]) as events:
        assert not events.closed
        questions = events._questions
    assert events.closed and questions.closed
