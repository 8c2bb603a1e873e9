"""The real ``lanwise`` command on lab hosts: what a new user hit (issue 19's CLI list)
and what a hostile device could make it print (issue 17 item 3).

Each test runs ``python -m lanwise`` on a lab host and checks its output and exit
status; docs/cli.md states the rules they hold the command to.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest

import lanwise
from lanwise.conformance.wire import RESPONSE_FLAGS, build_packet
from lanwise.dns import A, Name, Record
from lanwise.dns.rdata import PTR, SRV, TXT
from lanwise.dnssd import Service
from tests.harness import Host, Lab
from tests.harness.avahi import unescape
from tests.lab.dnssd.peers import Published
from tests.lab.mdns.util import wait_ipv6_ready

pytestmark = pytest.mark.lab

SCHEMA = Path(__file__).resolve().parents[3] / "docs" / "cli-service.schema.json"
KITCHEN = Service("Kitchen Display (3)", "_http._tcp", 8080, {"note": "hello world", "v": "2"})
SHELF = Service("Shelf", "_http._tcp", 8081, {"a": "1"})
PRINTER = Service("Printer", "_ipp._tcp", 631)
LANWISE = [sys.executable, "-m", "lanwise"]


def _shell(host: Host, pipeline: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run a shell pipeline on ``host``; it prints lanwise's status last."""
    return host.run("bash", "-c", pipeline, check=False, timeout=timeout)


def _lanwise_text(*args: str) -> str:
    return shlex.join([*LANWISE, *args])


# -- 1. pipes ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["browse", "-t", "_http._tcp"],
        ["browse", "-t", "-p", "_http._tcp"],
        ["browse", "-t", "--json", "_http._tcp"],
        ["browse", "-r", "-t", "_http._tcp"],
        ["resolve", "Shelf", "_http._tcp"],
        ["interfaces"],
        ["lookup", "alpha.local"],
        ["dns"],
        ["--help"],
    ],
    ids=" ".join,
)
def test_a_reader_that_goes_away_ends_the_command_quietly(lab: Lab, args: list[str]) -> None:
    """Issue 19: ``browse -t _http._tcp | head -1`` printed a BrokenPipeError traceback
    and exited 1. ``head -n 0`` leaves before reading, so the first write fails."""
    a, b = lab.host("alpha"), lab.host("beta")
    published = Published(a, KITCHEN, SHELF, host_name="alpha")
    try:
        # Unbuffered (as the lab runs) and buffered (as users run) stdout fail differently.
        done = _shell(
            b,
            f"{_lanwise_text(*args)} | head -n 0; echo status=${{PIPESTATUS[0]}}; "
            f"env -u PYTHONUNBUFFERED {_lanwise_text(*args)} | head -n 0; "
            "echo status=${PIPESTATUS[0]}",
        )
    finally:
        published.stop()
    assert (done.stdout, done.stderr) == ("status=0\nstatus=0\n", "")


# -- 2. one line per resolved (instance, interface, protocol) ------------------------------
def test_resolved_browse_prints_each_instance_once(lab: Lab) -> None:
    """Issue 19: ``browse -r -t`` printed one service twice ("added" then "updated"),
    and ``-r -t -p`` repeated an IPv6 line (a ULA and a link-local address)."""
    a, b = lab.host("alpha"), lab.host("beta")
    wait_ipv6_ready(a, b)
    published = Published(a, KITCHEN, SHELF, host_name="alpha")
    try:
        parsable = b.lanwise("browse", "-r", "-t", "-p", "_http._tcp").stdout.splitlines()
        readable = b.lanwise("browse", "-r", "-t", "_http._tcp").stdout.splitlines()
        as_json = b.lanwise("browse", "-r", "-t", "--json", "_http._tcp").stdout.splitlines()
    finally:
        published.stop()
    resolved = [line.split(";") for line in parsable if line.startswith("=")]
    seen = Counter((unescape(f[3]), f[1], f[2]) for f in resolved)
    names = ("Kitchen Display (3)", "Shelf")
    assert set(seen) == {(n, "eth0", proto) for n in names for proto in ("IPv4", "IPv6")}
    assert set(seen.values()) == {1}, seen
    heads = Counter(line for line in readable if line.startswith("="))
    assert len(heads) == 2 and set(heads.values()) == {1}, readable
    in_json = Counter(json.loads(line)["name"] for line in as_json)
    assert in_json == {"Kitchen Display (3)": 1, "Shelf": 1}, as_json


# -- 3. negative numbers, 5. options among positionals, 6. resolve input ----------------------
def test_numbers_name_their_rule(lab: Lab) -> None:
    """Issue 19: -4/-6 made argparse read -1 as an option ("required: PORT, key=value",
    "expected one argument")."""
    a = lab.host("alpha")
    port = a.lanwise("publish", "X", "_http._tcp", "-1", check=False)
    timeout = a.lanwise("resolve", "X", "_http._tcp", "--timeout", "-1", check=False)
    assert port.returncode == 2 and "PORT: a port must be an integer 1-65535" in port.stderr
    assert timeout.returncode == 2 and "--timeout: seconds must be a number > 0" in timeout.stderr
    assert len(port.stderr.splitlines()) == len(timeout.stderr.splitlines()) == 1


def test_publish_takes_options_among_txt_strings(lab: Lab) -> None:
    """Issue 19: ``publish X _http._tcp 80 --subtype _a k=v`` said "unrecognized
    arguments: k=v"."""
    a, b = lab.host("alpha"), lab.host("beta")
    publisher = a.popen(
        *LANWISE, "publish", "Mixed", "_http._tcp", "8083", "--subtype", "_a", "k=v", "-4", "flag",
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert publisher.stdout is not None
        line = publisher.stdout.readline()
        assert line.startswith("Established under name 'Mixed'"), line
        shown = b.lanwise("resolve", "Mixed", "_http._tcp").stdout
        subtype = b.lanwise("browse", "-t", "_a._sub._http._tcp").stdout
    finally:
        publisher.send_signal(signal.SIGINT)
        assert publisher.wait(10) == 0
    assert '  txt      "k=v" "flag"' in shown.splitlines()
    assert "Mixed" in subtype


def test_resolve_takes_a_full_instance_name(lab: Lab) -> None:
    """Issue 19: ``resolve "Kitchen Display (3)._http._tcp.local" _http._tcp`` looked
    up ``…local._http._tcp.local``; a subtype without '_' was accepted."""
    a, b = lab.host("alpha"), lab.host("beta")
    published = Published(a, KITCHEN, host_name="alpha")
    try:
        full = b.lanwise("resolve", "Kitchen Display (3)._http._tcp.local", "_http._tcp")
        alone = b.lanwise("resolve", "Kitchen Display (3)._http._tcp.local")
        wrong = b.lanwise("resolve", "Kitchen._ipp._tcp.local", "_http._tcp", check=False)
    finally:
        published.stop()
    assert full.stdout.startswith("Kitchen Display (3)._http._tcp.local") and full.returncode == 0
    assert alone.stdout == full.stdout
    assert wrong.returncode == 2 and "NAME: is a full name of type _ipp._tcp" in wrong.stderr
    bare = a.lanwise("publish", "X", "_http._tcp", "80", "--subtype", "printer", check=False)
    assert bare.returncode == 2 and "RFC 6763 §7.1" in bare.stderr
    assert len(bare.stderr.splitlines()) == 1


# -- 7. one TXT rendering, one JSON shape, enumeration names, no interface -----------------
def test_resolve_and_browse_show_a_service_the_same_way(lab: Lab) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    a, b = lab.host("alpha"), lab.host("beta")
    published = Published(a, KITCHEN, PRINTER, host_name="alpha")
    try:
        text = b.lanwise("resolve", "Kitchen Display (3)", "_http._tcp").stdout
        browsed = b.lanwise("browse", "-r", "-t", "_http._tcp").stdout
        resolved = json.loads(
            b.lanwise("resolve", "--json", "Kitchen Display (3)", "_http._tcp").stdout
        )
        events = b.lanwise("browse", "-r", "-t", "--json", "_http._tcp").stdout.splitlines()
        types = b.lanwise("browse", "-t", "-p", "_services._dns-sd._udp").stdout
    finally:
        published.stop()
    # One TXT rendering: quoted, in resolve as in browse (resolve printed note=hello world).
    txt = '"note=hello world" "v=2"'
    assert f"  txt      {txt}" in text.splitlines()
    assert f"    txt      {txt}" in browsed.splitlines()
    # One JSON shape: resolve's object, and browse's event with the same keys and values.
    jsonschema.validate(resolved, {**schema, "$ref": "#/$defs/service"})
    (event,) = [json.loads(line) for line in events]
    jsonschema.validate(event, {**schema, "$ref": "#/$defs/browse_event"})
    assert {k: event[k] for k in resolved if k != "addresses"} == {
        k: v for k, v in resolved.items() if k != "addresses"
    }
    assert event["addresses"] and all(x in resolved["addresses"] for x in event["addresses"])
    assert {x["family"] for x in resolved["addresses"]} == {4, 6}
    # §9 enumeration in -p: a type's dots are label separators, not escaped.
    names = {line.split(";")[3] for line in types.splitlines()}
    assert {"_http._tcp", "_ipp._tcp"} <= names, types


def test_browse_t_with_no_interface_up_says_so(lab: Lab) -> None:
    """Issue 19: it printed nothing and exited 0."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare for an empty network namespace")
    done = subprocess.run(
        ["unshare", "-n", *LANWISE, "browse", "-t", "_http._tcp"],
        capture_output=True, text=True, timeout=30, env=lab.env(), check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == "lanwise: no local-network interface is up: nothing to browse\n"


# -- 8. Ctrl-C, 9. --version ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["browse", "_http._tcp"], 0),  # runs until stopped: Ctrl-C is how it ends
        (["monitor"], 0),
        (["publish", "Stopped", "_http._tcp", "8084"], 0),
        (["resolve", "Nobody", "_http._tcp", "--timeout", "30"], 130),  # interrupted
        (["lookup", "nobody.local", "--timeout", "30"], 130),
    ],
    ids=lambda x: " ".join(x) if isinstance(x, list) else str(x),
)
def test_ctrl_c_follows_one_convention(lab: Lab, args: list[str], status: int) -> None:
    """Issue 19: 0 for browse/publish/autoip, 130 for the overview; docs/cli.md's rule:
    0 where Ctrl-C is how a command ends, 130 where it interrupts one."""
    a = lab.host("alpha")
    proc = a.popen(*LANWISE, *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)  # well into its work: sockets open, querying or announcing
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=15)
    assert proc.returncode == status, err
    assert "Traceback" not in err


def test_version(lab: Lab) -> None:
    a = lab.host("alpha")
    # Which path the venv runs depends on whether the install could compile the codec.
    path = r"compiled: [^)]+" if lanwise.compiled else r"pure Python: no compiled fast path"
    for flag in ("--version", "-V"):
        done = a.lanwise(flag)
        assert re.fullmatch(
            r"lanwise \d+\.\d+\.\d+\S* \(Python 3\.\d+\.\d+ \w+; " + path + r"\)\n",
            done.stdout,
        ), done.stdout


# -- 11. bridge ports ----------------------------------------------------------------------
def test_bridge_ports_are_not_served_or_shown(lab: Lab) -> None:
    """Issue 19: publish said "on eth0, nbr1, nvb, nva" and share showed a URL on a
    bridge port. A port (IFLA_MASTER set, no address of its own) is the bridge's."""
    a = lab.host("alpha")
    for command in (
        "ip link add nbr1 type bridge",
        "ip link add nbr2 type bridge",
        "ip link add nva type veth peer name nvb",
        "ip link set nva master nbr1",
        "ip link set nvb master nbr2",
        "ip link set nva up",
        "ip link set nvb up",
        "ip link set nbr1 up",
        "ip link set nbr2 up",
    ):
        a.run(*command.split())
    wait_ipv6_ready(a)
    listed = json.loads(a.lanwise("interfaces", "--json").stdout)
    ports = {i["name"]: i for i in listed if i["name"] in ("nva", "nvb")}
    assert all(p["master"] and not p["local_network"] for p in ports.values()), ports
    publisher = a.popen(
        *LANWISE, "publish", "Bridged", "_http._tcp", "8085",
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert publisher.stdout is not None
        line = publisher.stdout.readline()
    finally:
        publisher.send_signal(signal.SIGINT)
        publisher.wait(10)
    assert line.startswith("Established under name 'Bridged' on eth0"), line
    assert "nva" not in line and "nvb" not in line
    shared = a.lanwise("share", "8085", "--once", "--no-advertise", "--no-qr").stdout
    assert "eth0" in shared and "nva" not in shared and "nvb" not in shared, shared


# -- issue 17 item 3: terminal escapes from the network ----------------------------------
HOSTILE_TXT = b"k=\x1b]0;PWNED\x07\x1b[2J"
HOSTILE_NAME = "evil\x00\x1b[31m"


def _hostile_response() -> bytes:
    service = Name("_adv._tcp.local")
    records = []
    for label in ("esc", HOSTILE_NAME):
        instance = Name.from_labels([label, "_adv", "_tcp", "local"])
        records += [
            Record.of(service, PTR(instance), 4500),
            Record.of(instance, SRV(0, 0, 9, Name("evil.local")), 120, cache_flush=True),
            Record.of(instance, TXT((HOSTILE_TXT,)), 4500, cache_flush=True),
        ]
    records.append(Record.of(Name("evil.local"), A(IPv4Address("10.99.1.66")), 120))
    return build_packet((), records, flags=RESPONSE_FLAGS)


@contextmanager
def _announcing(host: Host) -> Iterator[None]:
    """``host`` multicasts the hostile response every 200 ms (a device on the LAN)."""
    with host.entered():
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(str(host.ipv4())))
    sock.bind((str(host.ipv4()), 5353))
    stop = threading.Event()
    packet = _hostile_response()

    def announce() -> None:
        while not stop.is_set():
            sock.sendto(packet, ("224.0.0.251", 5353))
            stop.wait(0.2)

    thread = threading.Thread(target=announce, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)
        sock.close()


def _no_controls(text: str) -> bool:
    return not any((ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F for c in text)


def test_names_and_txt_from_the_network_cannot_drive_the_terminal(lab: Lab) -> None:
    """Issue 17: ``resolve esc _adv._tcp`` printed the TXT raw (terminal title, screen
    cleared); plain ``browse`` printed instance names raw (NUL, ESC[31m)."""
    device, b = lab.host("device"), lab.host("beta")
    outputs: dict[str, Any] = {}
    with _announcing(device):
        time.sleep(0.5)
        outputs["resolve"] = b.lanwise("resolve", "esc", "_adv._tcp").stdout
        outputs["browse"] = b.lanwise("browse", "-t", "_adv._tcp").stdout
        outputs["browse -r"] = b.lanwise("browse", "-r", "-t", "_adv._tcp").stdout
        outputs["browse -p"] = b.lanwise("browse", "-r", "-t", "-p", "_adv._tcp").stdout
        outputs["browse --json"] = b.lanwise("browse", "-r", "-t", "--json", "_adv._tcp").stdout
        outputs["resolve --json"] = b.lanwise("resolve", "--json", "esc", "_adv._tcp").stdout
    for what, text in outputs.items():
        assert _no_controls(text), (what, text)
    # The one documented rule: each octet of a control character as \DDD.
    assert '  txt      "k=\\027]0;PWNED\\007\\027[2J"' in outputs["resolve"].splitlines()
    assert "evil\\000\\027[31m" in outputs["browse"], outputs["browse"]
    assert "evil\\000\\027[31m" in outputs["browse -r"]
    assert json.loads(outputs["resolve --json"])["txt"] == {"k": "\x1b]0;PWNED\x07\x1b[2J"}
    # Error messages too: argparse echoes what it did not understand.
    bad = b.lanwise("browse", "--bogus\x1b[2J", check=False)
    assert bad.returncode == 2 and "--bogus\\027[2J" in bad.stderr and "\x1b" not in bad.stderr
