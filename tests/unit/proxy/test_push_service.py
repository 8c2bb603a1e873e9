"""``push_service`` beside a proxy, and the ``lanwise proxy`` Push options."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import dns.name
import dns.rdatatype
import dns.rrset
import pytest

from lanwise.cli import main
from lanwise.errors import UsageError
from lanwise.proxy.push import PushServer, push_service, server_ssl_context
from tests.unit.proxy.fakesource import DOMAIN, FakeSource, make_certificate


@dataclass
class _Zone:
    domain: dns.name.Name
    ns_name: dns.name.Name


@dataclass
class _Proxy:
    """What push_service uses of a running DiscoveryProxy."""

    source: FakeSource = field(default_factory=FakeSource)
    zones: list[_Zone] = field(default_factory=lambda: [_Zone(DOMAIN, DOMAIN)])
    addresses: list[tuple[str, int]] = field(default_factory=lambda: [("127.0.0.1", 53)] * 2)
    added: list[dns.rrset.RRset] = field(default_factory=list)

    def add_record(self, rrset: dns.rrset.RRset) -> None:
        self.added.append(rrset)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.mark.parametrize(
    ("host", "ns", "expected"),
    [
        (None, "lan-a.example.test.", "lan-a.example.test."),  # the apex, the default NS name
        (None, "dp.example.test.", "dp.example.test."),  # the proxy's NS name (--ns)
        ("push.example.test", "dp.example.test.", "push.example.test."),  # --push-host wins
    ],
)
async def test_push_service_listens_beside_the_dns_servers_and_advertises_srv(
    certificate: tuple[Path, Path], host: str | None, ns: str, expected: str
) -> None:
    # RFC 8765 §6.1: _dns-push-tls._tcp.<domain> SRV names the Push server's host and port.
    proxy = _Proxy(zones=[_Zone(DOMAIN, dns.name.from_text(ns))])
    service = push_service(server_ssl_context(*certificate), 0, srv_target=host)
    async with service(cast(Any, proxy)) as server:
        assert isinstance(server, PushServer) and server.port != 0
        (srv,) = proxy.added
        assert srv.name == dns.name.from_text("_dns-push-tls._tcp.lan-a.example.test.")
        assert srv.rdtype == dns.rdatatype.SRV
        (rdata,) = srv
        assert rdata.port == server.port
        assert rdata.target == dns.name.from_text(expected)


def test_server_context_names_the_bad_file(tmp_path: Path, certificate: tuple[Path, Path]) -> None:
    with pytest.raises(UsageError) as caught:
        server_ssl_context(tmp_path / "none.pem", certificate[1])
    assert caught.value.field == "tls_cert"
    wrong = tmp_path / "wrong.pem"
    wrong.write_text("not a certificate")
    with pytest.raises(UsageError) as caught:
        server_ssl_context(wrong, certificate[1])
    assert caught.value.field == "tls_cert"


@pytest.mark.parametrize(
    ("extra", "option"),
    [
        (["--push-port", "853"], "--push-port"),
        (["--tls-cert", "x.pem"], "--tls-cert"),
        (
            [
                "--push-port",
                "853",
                "--tls-cert",
                "/nonexistent.pem",
                "--tls-key",
                "/nonexistent.key",
            ],
            "--tls-cert",
        ),
    ],
)
def test_cli_push_options_are_checked_first(
    capsys: pytest.CaptureFixture[str], extra: list[str], option: str
) -> None:
    assert main(["proxy", "--link", "no-such-interface0=lan-a.example.test", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and option in err, err
