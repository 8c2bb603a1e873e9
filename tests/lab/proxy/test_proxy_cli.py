"""``lanwise proxy`` on a real link: a lanwise publisher found with dig (RFC 8766).

One LAN: a publisher, the proxy, and a unicast client that asks the proxy with
``dig`` (the two-LAN lab with BIND delegation is tests/lab/proxy_lab).
"""

from __future__ import annotations

import subprocess
import sys
import time

from tests.harness import Lab
from tests.harness.netns import Host

DOMAIN = "lan-a.example.test"


def _dig(client: Host, server: str, *args: str) -> str:
    done = client.run(
        "dig", f"@{server}", "+norec", "+tries=1", "+timeout=2", *args, check=False, timeout=30
    )
    return done.stdout


def _until(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_dig_finds_a_lanwise_publisher_through_the_proxy(lab: Lab) -> None:
    lan = lab.lan()
    pub, proxy, client = lab.host("pub", [lan]), lab.host("proxy", [lan]), lab.host("cl", [lan])
    pub.popen(
        sys.executable, "-m", "lanwise", "publish", "Lab Web", "_http._tcp", "8080", "path=/",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    server = str(proxy.ipv4())
    with (lab.workdir / "proxy.err").open("w") as errors:
        running = proxy.popen(
            sys.executable, "-m", "lanwise", "proxy", "--link", f"eth0={DOMAIN}", "--wait", "2",
            stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
    # The proxy is up once its apex SOA is answered.
    _until(lambda: "status: NOERROR" in _dig(client, server, "SOA", DOMAIN), 20)

    def browsed() -> bool:
        return "Lab\\032Web._http._tcp.lan-a.example.test." in _dig(
            client, server, "PTR", f"_http._tcp.{DOMAIN}"
        )

    _until(browsed, 20)
    srv = _dig(client, server, "+tcp", "SRV", f"Lab\\032Web._http._tcp.{DOMAIN}")
    assert "status: NOERROR" in srv and "flags: qr aa" in srv, srv
    assert "(TCP)" in srv, srv
    lines = [x.split() for x in srv.splitlines() if x and not x.startswith(";")]
    records = [x for x in lines if x[3] == "SRV"]
    assert len(records) == 1, srv
    line = records[0]
    target = line[-1]
    assert target.endswith(f".{DOMAIN}."), line  # host.local came back as host.<domain>
    ttl = int(line[1])
    assert 1 <= ttl <= 10, line  # RFC 8766 §5.5.1
    addresses = _dig(client, server, "A", target)
    assert str(pub.ipv4()) in addresses, addresses
    v6 = _dig(client, server, "AAAA", target)
    assert "fe80" not in v6.lower(), v6  # §5.5.2: link-local addresses left out
    # §5.4: the subnet's reverse zone, asked on the link, host name rewritten.
    reverse = _dig(client, server, "-x", str(pub.ipv4()))
    assert f"\tPTR\t{target}" in reverse, reverse
    outside = _dig(client, server, "A", "www.example.org")
    assert "status: REFUSED" in outside, outside
    assert running.poll() is None
