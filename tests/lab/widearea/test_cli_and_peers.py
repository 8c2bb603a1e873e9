"""The wide-area CLI and avahi as a peer, on a host that shares no link with the
registering one: ``lanwise publish -d``, ``lanwise browse -d``, ``lanwise browse`` with
the lb domains, ``lanwise domains``, and avahi-browse with wide-area browsing on."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.avahi import start_avahi
from tests.harness.dnsserver import resolv_conf, zone_records
from tests.lab.widearea.world import DOMAIN, World

pytestmark = [pytest.mark.lab, pytest.mark.interop]


@pytest.fixture
def far_resolv_conf(world: World) -> Iterator[None]:
    """LAN 2's host searches example.test through the router's resolver."""
    with resolv_conf(world.far, f"search {DOMAIN}\nnameserver {world.resolver.address}\n"):
        yield


def _publish(world: World, *args: str) -> subprocess.Popen[str]:
    proc = world.pub.popen(
        sys.executable, "-m", "lanwise", "publish", "-d", DOMAIN,
        "--server", str(world.server.address), "--tsig-key", str(world.key_file),
        "--host", "pub", *args,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("Registered"), proc.stderr.read() if proc.stderr else line
    assert "\x1b" not in line  # names are escaped like every name (docs/cli.md)
    return proc


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(10)


def test_domains_from_search_domain_and_reverse_zone(world: World, far_resolv_conf: None) -> None:
    """RFC 6763 §11: b/db/r/dr/lb under the search domain and the subnet's reverse name."""
    out = world.far.lanwise("domains", "--json").stdout
    entries = [json.loads(line) for line in out.splitlines()]
    from_search = {e["kind"] for e in entries if e["base"] == DOMAIN}
    assert from_search == {"b", "db", "r", "dr", "lb"}
    assert all(e["domain"] == DOMAIN for e in entries)
    reverse = [e for e in entries if e["base"] == "0.2.99.10.in-addr.arpa"]
    assert [e["kind"] for e in reverse] == ["lb"]
    assert "reverse zone of 10.99.2.0/24" in reverse[0]["source"]


def test_cli_publish_browse_and_withdraw(world: World, far_resolv_conf: None) -> None:
    before = zone_records(world.server, DOMAIN)
    proc = _publish(world, "Cli Box", "_http._tcp", "8080", "path=/x", "--subtype", "_admin")
    try:
        out = world.far.lanwise("browse", "-d", DOMAIN, "-r", "-t", "--json", "_http._tcp").stdout
        events = [json.loads(line) for line in out.splitlines()]
        mine = [e for e in events if e["name"].casefold() == "cli box"]
        assert mine and mine[0]["port"] == 8080 and mine[0]["domain"] == DOMAIN
        assert str(world.pub.ipv4()) in [a["address"] for a in mine[0]["addresses"]]
        # No -d: .local plus the lb domains, each result labelled with its domain.
        plain = world.far.lanwise("browse", "-t", "_http._tcp").stdout
        assert any(line.startswith(f"+ {DOMAIN}") and "Cli Box".casefold() in line.casefold()
                   for line in plain.splitlines()), plain  # fmt: skip
    finally:
        _stop(proc)
    assert zone_records(world.server, DOMAIN) == before


def test_avahi_browses_and_resolves_wide_area(world: World, far_resolv_conf: None) -> None:
    """avahi-daemon with wide-area on (its resolv.conf names the lab resolver)."""
    proc = _publish(world, "Avahi Sees", "_ipp._tcp", "631", "rp=x")
    try:
        avahi = start_avahi(world.far, wide_area_domains=[DOMAIN])
        try:
            deadline = time.monotonic() + 20
            lines: list[str] = []
            while time.monotonic() < deadline:
                out = avahi.run(
                    "avahi-browse", "-d", DOMAIN, "-r", "-t", "-p", "_ipp._tcp", check=False
                )
                lines = [line for line in out.splitlines() if line.startswith("=")]
                if lines:
                    break
                time.sleep(1)
        finally:
            avahi.stop()
    finally:
        _stop(proc)
    assert lines, "avahi-browse found nothing"
    fields = lines[0].split(";")
    assert fields[3].casefold().startswith("avahi") and fields[8] == "631"
    assert fields[7] == str(world.pub.ipv4())


SCHEMA = Path(__file__).resolve().parents[3] / "docs" / "cli-service.schema.json"


def _nsupdate(world: World, *lines: str) -> None:
    script = [f"server {world.server.address}", f"zone {DOMAIN}", *lines, "send", ""]
    world.pub.run("nsupdate", "-k", str(world.key_file), input="\n".join(script))


def test_cli_output_escapes_wide_area_names_and_keeps_the_json_shape(
    world: World, far_resolv_conf: None
) -> None:
    """docs/cli.md: names and TXT a unicast zone holds (put there by nsupdate, ESC and
    BEL included) are escaped as on .local, and ``browse -d --json`` is the one
    documented shape (interface "" and index 0). A type of its own: the lab resolver
    may hold other tests' _http._tcp answers in its cache."""
    owner = f"Esc\\027[31mBox._esc._tcp.{DOMAIN}."
    records = [
        f"update add _esc._tcp.{DOMAIN}. 60 PTR {owner}",
        f"update add {owner} 60 SRV 0 0 8080 esc.{DOMAIN}.",
        f'update add {owner} 60 TXT "k=\\027]0;T\\007"',
        f"update add esc.{DOMAIN}. 60 A {world.pub.ipv4()}",
    ]
    _nsupdate(world, *records)
    try:
        text = world.far.lanwise("browse", "-d", DOMAIN, "-r", "-t", "_esc._tcp").stdout
        assert "\x1b" not in text and "\x07" not in text
        mine = [line for line in text.splitlines() if "\\027[31mbox" in line.casefold()]
        assert len(mine) == 1 and mine[0].startswith(f"= {DOMAIN} "), text  # printed once
        assert len(text.splitlines()) == 4  # the = line, host, address, txt
        assert '"k=\\027]0;T\\007"' in text
        out = world.far.lanwise("browse", "-d", DOMAIN, "-r", "-t", "--json", "_esc._tcp").stdout
        assert "\x1b" not in out
        events = [json.loads(line) for line in out.splitlines()]
        (event,) = events
        assert (event["interface"], event["interface_index"], event["domain"]) == ("", 0, DOMAIN)
        assert event["txt_raw"] == ["k=\x1b]0;T\x07"]
        assert [a["address"] for a in event["addresses"]] == [str(world.pub.ipv4())]
        jsonschema = pytest.importorskip("jsonschema")
        schema = json.loads(SCHEMA.read_text())
        jsonschema.validate(event, {**schema, "$ref": "#/$defs/browse_event"})
    finally:
        _nsupdate(world, *(line.replace("update add", "update delete") for line in records))
