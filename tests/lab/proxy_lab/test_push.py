"""Done-when (2) and the DSO part of (4): DNS Push (RFC 8765 over DSO, RFC 8490, on TLS).

A lanwise browser on LAN B finds ``_dns-push-tls._tcp.lan-a.example.test`` through BIND,
subscribes, and sees a service appear and leave on LAN A within a second; a browser that
cannot use Push (it does not trust the certificate) polls and sees the same within its
documented bound. Then 1000 DSO sessions from one client: the proxy survives with bounded
memory, and another client's subscription and questions keep being answered.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from tests.lab.proxy_lab import hostile
from tests.lab.proxy_lab.answers import addresses, assert_no_link_local, records, status
from tests.lab.proxy_lab.watch import Watch
from tests.lab.proxy_lab.world import (
    AVAHI_NAME,
    LANWISE_NAME,
    LINK_DOMAIN,
    PUSH_PORT,
    SERVICE_TYPE,
    ZEROCONF_NAME,
    Proxy,
    World,
)

pytestmark = [pytest.mark.lab, pytest.mark.interop, pytest.mark.xdist_group(name="proxy-push")]

NAMES = {AVAHI_NAME, ZEROCONF_NAME, LANWISE_NAME}
PUSH_BOUND = 1.0
# docs/widearea.md: a polling browse asks again when the shortest TTL it holds runs out,
# never sooner than the poll floor; the proxy's TTLs are at most 10 s (RFC 8766 §5.5.1).
POLL_FLOOR = 1.0
POLL_BOUND = max(POLL_FLOOR, 10.0) + 2.0
CA_OPTION = "--push-ca"


@pytest.fixture(scope="module")
def proxy(world: World) -> Iterator[Proxy]:
    started = world.start_proxy("--stats", "1", push=True)
    yield started
    assert started.running, started.log


def _watch(world: World, *args: str) -> Watch:
    watch = Watch.start(world.client, "-d", LINK_DOMAIN, *args, SERVICE_TYPE)
    deadline = time.monotonic() + 20
    while watch.names() < NAMES and time.monotonic() < deadline:
        time.sleep(0.1)
    if not watch.names() >= NAMES:
        watch.stop()
        # What the proxy itself answers now, to tell a browser problem from a proxy one.
        direct = world.dig("+norec", "PTR", f"{SERVICE_TYPE}.{LINK_DOMAIN}",
                           server=str(world.proxy_address))  # fmt: skip
        raise AssertionError(f"browse saw {watch.names()}:\n{watch.output()}\n{direct}")
    return watch


def _appear_and_leave(world: World, watch: Watch, name: str, bound: float) -> None:
    """avahi on LAN A publishes ``name`` then withdraws it; both reach ``watch`` in ``bound``.

    Timed from when avahi has announced it (avahi-publish reports it established) and
    from when avahi-publish is told to stop (avahi then sends its goodbye).
    """
    publication = world.avahi.publish_service(name, SERVICE_TYPE, 9090, ["push=1"])
    publication.wait_established()
    appeared = time.monotonic()
    seen = watch.wait_for("added", name, since=appeared - 1.0, timeout=bound + 5)
    assert seen is not None, watch.output()
    assert seen - appeared <= bound, f"added after {seen - appeared:.2f} s"
    left = time.monotonic()
    publication.stop()
    gone = watch.wait_for("removed", name, since=left, timeout=bound + 5)
    assert gone is not None, watch.output()
    assert gone - left <= bound, f"removed after {gone - left:.2f} s"


def test_push_srv_is_served_through_bind(world: World, proxy: Proxy) -> None:
    """RFC 8765 §6.1: ``_dns-push-tls._tcp.<domain>`` SRV names the proxy's TLS port."""
    out = world.dig("SRV", f"_dns-push-tls._tcp.{LINK_DOMAIN}")
    assert status(out) == "NOERROR", out
    srv = [data.split() for _, kind, data in records(out) if kind == "SRV"]
    assert [int(s[2]) for s in srv] == [PUSH_PORT], out
    target = srv[0][3]
    assert str(world.proxy_address) in world.dig("+short", "A", target).split(), target


@pytest.mark.serial  # a change within one second
def test_push_subscriber_sees_changes_within_a_second(world: World, proxy: Proxy) -> None:
    assert proxy.ca_file is not None
    watch = _watch(world, CA_OPTION, str(proxy.ca_file))
    try:
        _appear_and_leave(world, watch, "Pushed Web", PUSH_BOUND)
    finally:
        watch.stop()


def test_polling_fallback_sees_changes_within_its_bound(world: World, proxy: Proxy) -> None:
    """``--no-push``: the browser polls (the proxy asked directly, so no resolver cache
    adds its own delay)."""
    watch = _watch(
        world, "--no-push", "--server", str(proxy.address), "--poll-floor", str(POLL_FLOOR)
    )
    try:
        _appear_and_leave(world, watch, "Polled Web", POLL_BOUND)
    finally:
        watch.stop()


@pytest.mark.serial  # 1000 TLS handshakes, then a change within one second
def test_thousand_dso_sessions_from_one_client(world: World, proxy: Proxy) -> None:
    """1000 TLS sessions from ``client``, each with a DSO Keepalive: the proxy bounds them
    per client (the rest are closed or refused), its VmRSS stays bounded, and the
    bystander's questions (every second meanwhile) and Push subscription keep working."""
    assert proxy.ca_file is not None
    before = proxy.rss_kib()
    watch = Watch.start(
        world.bystander, "-d", LINK_DOMAIN, CA_OPTION, str(proxy.ca_file), SERVICE_TYPE
    )
    try:
        done: dict[str, dict[str, int]] = {}

        def sessions() -> None:
            done["counts"] = world.client.call(
                hostile.dso_sessions, str(proxy.address), PUSH_PORT, 1000, 5.0, timeout=300
            )

        runner = threading.Thread(target=sessions)
        runner.start()
        unanswered = 0
        while runner.is_alive():
            # A stub resolver's patience: 3 tries, 1 s apart.
            out = world.dig("+norec", "+tries=3", "+time=1", "PTR", f"{SERVICE_TYPE}.{LINK_DOMAIN}",
                            host=world.bystander, server=str(proxy.address))  # fmt: skip
            unanswered += status(out) != "NOERROR"
            runner.join(1.0)
        counts = done["counts"]
        assert sum(counts.values()) == 1000, counts
        # Sessions under the per-client bound work; the bound (16 by default) is far
        # below 1000, and the rest are refused (REFUSED + Retry Delay) or not let in.
        assert 0 < counts["noerror"] <= 64, counts
        assert counts["refused"] + counts["failed"] + counts["closed"] >= 900, counts
        assert unanswered == 0
        assert proxy.running, proxy.log
        deadline = time.monotonic() + 20
        while watch.names() < NAMES and time.monotonic() < deadline:
            time.sleep(0.1)
        assert watch.names() >= NAMES, watch.output()
        _appear_and_leave(world, watch, "After Flood Web", PUSH_BOUND)
    finally:
        watch.stop()
    after = proxy.rss_kib()
    assert after - before < 64 * 1024, (before, after, counts)


def test_no_link_local_address_in_anything_dug(world: World, proxy: Proxy) -> None:
    """Runs last: every A/AAAA any test of this module got from dig (§5.5.2)."""
    out = world.dig("ANY", f"avpub.{LINK_DOMAIN}")  # avahi's host: it has link-local ones too
    assert status(out) == "NOERROR" and addresses(out), out
    assert assert_no_link_local(world.dug) > 0
