"""Capture real mDNS packets from python-zeroconf and avahi-daemon in the lab.

A tool, not a test. Run as root from the repository root:

    PYTHONPATH=src:. .venv/bin/python tests/unit/dns/vectors/capture.py

It builds a lab LAN with three hosts:

- ``rec`` binds UDP 5353 on IPv4 and IPv6, joins 224.0.0.251 and ff02::fb
  and records every datagram it sees;
- ``zc`` runs python-zeroconf: registers "Lab Printer._ipp._tcp.local."
  (TXT with a UTF-8 value and a boolean key), browses _ipp._tcp and _http._tcp,
  then unregisters (goodbye packets) and closes;
- ``av`` runs its own dbus-daemon and avahi-daemon (private mount namespace so
  its pid file cannot meet another avahi), publishes "Avahi Web" _http._tcp
  with avahi-publish, browses with avahi-browse, then stops.

Every distinct datagram is written to this folder as ``<peer>-<NN>-<kind>.hex``
(comment lines start with ``#``), replacing earlier captures of that peer.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from tests.harness import Host, Lab

from lanwise.dns import WireFormatError, parse_message

HERE = Path(__file__).resolve().parent
PER_PEER = 14  # distinct packets kept per peer

RECORDER = textwrap.dedent(
    """
    import json, select, socket, struct, sys, time
    out, seconds, v4, ifname = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
    s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s4.bind(("", 5353))
    s4.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                  socket.inet_aton("224.0.0.251") + socket.inet_aton(v4))
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s6.bind(("", 5353))
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                  socket.inet_pton(socket.AF_INET6, "ff02::fb")
                  + struct.pack("@I", socket.if_nametoindex(ifname)))
    end = time.monotonic() + seconds
    with open(out, "w") as f:
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([s4, s6], [], [], left)
            for s in ready:
                data, source = s.recvfrom(9000)
                f.write(json.dumps({"t": time.monotonic(), "src": source[0],
                                    "hex": data.hex()}) + "\\n")
                f.flush()
    """
)

ZEROCONF = textwrap.dedent(
    """
    import socket, sys, time
    from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, Zeroconf
    v4 = sys.argv[1]
    zc = Zeroconf(interfaces=[v4], ip_version=IPVersion.V4Only)
    info = ServiceInfo(
        "_ipp._tcp.local.", "Lab Printer._ipp._tcp.local.",
        addresses=[socket.inet_aton(v4)], port=631, server="zc-host.local.",
        properties={"txtvers": "1", "rp": "printers/lab", "note": "Räum 3", "duplex": None},
    )
    zc.register_service(info)
    browser = ServiceBrowser(zc, ["_ipp._tcp.local.", "_http._tcp.local."],
                             handlers=[lambda **kw: None])
    time.sleep(6)
    zc.get_service_info("_http._tcp.local.", "Avahi Web._http._tcp.local.", timeout=2000)
    zc.unregister_service(info)
    browser.cancel()
    zc.close()
    """
)

DBUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path={sock}</listen><auth>EXTERNAL</auth>
<allow_anonymous/><policy context="default"><allow user="*"/><allow own="*"/>
<allow send_type="method_call"/><allow send_destination="*"/><allow receive_sender="*"/>
<allow eavesdrop="true"/></policy></busconfig>
"""

AVAHI_CONFIG = """[server]
host-name=avahi-lab
domain-name=local
use-ipv4=yes
use-ipv6=yes
allow-interfaces=eth0
enable-dbus=yes
disallow-other-stacks=no
ratelimit-interval-usec=1000000
ratelimit-burst=1000

[wide-area]
enable-wide-area=no

[publish]
publish-hinfo=yes
publish-workstation=yes
publish-addresses=yes
publish-aaaa-on-ipv4=yes

[reflector]
enable-reflector=no

[rlimits]
"""


def start_avahi(host: Host, workdir: Path) -> dict[str, str]:
    """dbus-daemon + avahi-daemon on ``host``; returns the env for avahi clients."""
    workdir.mkdir(parents=True, exist_ok=True)
    sock = workdir / "bus.sock"
    (workdir / "dbus.conf").write_text(DBUS_CONFIG.format(sock=sock))
    (workdir / "avahi-daemon.conf").write_text(AVAHI_CONFIG)
    env = dict(host.lab.env(), DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={sock}")
    host.popen("dbus-daemon", f"--config-file={workdir / 'dbus.conf'}", "--nofork", env=env)
    for _ in range(50):
        if sock.exists():
            break
        time.sleep(0.1)
    Path("/run/avahi-daemon").mkdir(exist_ok=True)
    # A private mount namespace with its own /run/avahi-daemon keeps the pid
    # file away from any other avahi-daemon on this machine.
    script = (
        "mount -t tmpfs tmpfs /run/avahi-daemon && exec avahi-daemon --no-drop-root "
        f"--no-chroot --no-rlimits --no-proc-title -f {workdir / 'avahi-daemon.conf'}"
    )
    log = (workdir / "avahi.log").open("w")
    host.popen("unshare", "-m", "sh", "-c", script, env=env, stdout=log, stderr=log)
    return env


def main() -> int:
    duration = 14.0
    with tempfile.TemporaryDirectory(prefix="lw-capture-") as tmp, Lab(Path(tmp)) as lab:
        rec, zc, av = lab.host("rec"), lab.host("zc"), lab.host("av")
        packets_file = Path(tmp) / "packets.jsonl"
        recorder = rec.popen(
            sys.executable,
            "-c",
            RECORDER,
            str(packets_file),
            str(duration),
            str(rec.ipv4()),
            rec.ifname(),
        )
        time.sleep(0.5)
        avahi_ok = shutil.which("avahi-daemon") is not None
        publishers = []
        if avahi_ok:
            env = start_avahi(av, Path(tmp) / "avahi")
            time.sleep(2.0)
            publishers.append(
                av.popen(
                    "avahi-publish",
                    "-s",
                    "Avahi Web",
                    "_http._tcp",
                    "80",
                    "path=/",
                    "u=lab",
                    env=env,
                )
            )
            publishers.append(
                av.popen("avahi-browse", "-a", "-r", "-p", env=env, stdout=subprocess.DEVNULL)
            )
        zc_run = zc.popen(sys.executable, "-c", ZEROCONF, str(zc.ipv4()))
        zc_run.wait(timeout=60)
        recorder.wait(timeout=duration + 30)
        for proc in publishers:
            proc.terminate()
        if avahi_ok:
            print((Path(tmp) / "avahi" / "avahi.log").read_text()[-2000:])
        peers = {
            str(zc.ipv4()): "zeroconf",
            str(zc.ipv6_link_local()): "zeroconf",
            str(av.ipv4()): "avahi",
            str(av.ipv6_link_local()): "avahi",
        }
        lines = packets_file.read_text().splitlines()
    save(lines, peers)
    return 0


def kind_of(data: bytes) -> str:
    try:
        message = parse_message(data)
    except WireFormatError as exc:
        return f"malformed-{exc.offset}"
    if not message.is_response:
        return "probe" if message.authorities else "query"
    if message.answers and all(r.ttl == 0 for r in message.answers):
        return "goodbye"
    return "response"


def save(lines: list[str], peers: dict[str, str]) -> None:
    seen: set[str] = set()
    chosen: dict[str, list[tuple[str, str]]] = {}
    for line in lines:
        item = json.loads(line)
        peer = peers.get(item["src"].split("%")[0])
        if peer is None or item["hex"] in seen:
            continue
        seen.add(item["hex"])
        chosen.setdefault(peer, []).append((item["src"], item["hex"]))
    for peer, packets in chosen.items():
        for old in HERE.glob(f"{peer}-*.hex"):
            old.unlink()
        for i, (source, hexdata) in enumerate(packets[:PER_PEER], 1):
            data = bytes.fromhex(hexdata)
            kind = kind_of(data)
            family = "ipv6" if ":" in source else "ipv4"
            path = HERE / f"{peer}-{i:02d}-{kind}.hex"
            body = "\n".join(textwrap.wrap(hexdata, 64))
            path.write_text(
                f"# {peer}, {kind}, {len(data)} octets, sent over {family}; captured in the lab by "
                f"capture.py\n{body}\n"
            )
            print(path.name)
    print({peer: len(p) for peer, p in chosen.items()})


if __name__ == "__main__":
    sys.exit(main())
