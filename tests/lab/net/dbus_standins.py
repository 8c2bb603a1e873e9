"""Stand-ins for NetworkManager and systemd-resolved on a private D-Bus.

Neither daemon can run in the lab (they want to own the host's networking),
so these small services publish the same bus names, object paths, interface
names and property signatures that lanwise reads, on a dbus-daemon the test
starts itself inside a lab host. They are not mocks of lanwise: lanwise talks
to them over a real bus exactly as it talks to the real daemons.
"""

# No `from __future__ import annotations`: dbus-fast reads the signatures from
# the annotations at class creation.
import socket
import subprocess
import time
from pathlib import Path
from typing import Annotated

from dbus_fast import BusType, PropertyAccess
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusSignature
from dbus_fast.service import ServiceInterface, dbus_property

from tests.harness import Host

ObjectPaths = Annotated[list[str], DBusSignature("ao")]
UInt32 = Annotated[int, DBusSignature("u")]
Int32 = Annotated[int, DBusSignature("i")]
Str = Annotated[str, DBusSignature("s")]
DnsEx = Annotated[list[list[object]], DBusSignature("a(iiayqs)")]
Dns = Annotated[list[list[object]], DBusSignature("a(iiay)")]

_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={path}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def start_private_bus(host: Host, workdir: Path) -> str:
    """Start dbus-daemon inside ``host`` on a socket in ``workdir``; returns its address."""
    path = workdir / "bus.sock"
    config = workdir / "bus.conf"
    config.write_text(_CONFIG.format(path=path))
    host.popen("dbus-daemon", "--nofork", f"--config-file={config}", stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if path.exists():
            with socket.socket(socket.AF_UNIX) as probe:
                try:
                    probe.connect(str(path))
                except OSError:
                    pass
                else:
                    return f"unix:path={path}"
        time.sleep(0.02)
    raise RuntimeError("dbus-daemon did not start")


class NMManager(ServiceInterface):
    def __init__(self, devices: list[str]) -> None:
        super().__init__("org.freedesktop.NetworkManager")
        self._devices = devices

    @dbus_property(access=PropertyAccess.READ)
    def Devices(self) -> ObjectPaths:  # noqa: N802 - D-Bus property name
        return self._devices


class NMDevice(ServiceInterface):
    def __init__(self, name: str, index: int, metered: int) -> None:
        super().__init__("org.freedesktop.NetworkManager.Device")
        self._name, self._index, self._metered = name, index, metered

    @dbus_property(access=PropertyAccess.READ)
    def Interface(self) -> Str:  # noqa: N802
        return self._name

    @dbus_property(access=PropertyAccess.READ)
    def Ifindex(self) -> UInt32:  # noqa: N802
        return self._index

    @dbus_property(access=PropertyAccess.READ)
    def Metered(self) -> UInt32:  # noqa: N802
        return self._metered


class ResolvedManager(ServiceInterface):
    def __init__(self, dns_ex: list[list[object]]) -> None:
        super().__init__("org.freedesktop.resolve1.Manager")
        self._dns_ex = dns_ex

    @dbus_property(access=PropertyAccess.READ)
    def DNSEx(self) -> DnsEx:  # noqa: N802
        return self._dns_ex

    @dbus_property(access=PropertyAccess.READ)
    def DNS(self) -> Dns:  # noqa: N802
        return [entry[:3] for entry in self._dns_ex]


async def serve_networkmanager(address: str, devices: list[tuple[str, int, int]]) -> MessageBus:
    """Publish NetworkManager with ``devices`` (name, ifindex, Metered); returns the bus."""
    bus = await MessageBus(bus_address=address, bus_type=BusType.SESSION).connect()
    paths = [f"/org/freedesktop/NetworkManager/Devices/{n}" for n in range(1, len(devices) + 1)]
    bus.export("/org/freedesktop/NetworkManager", NMManager(paths))
    for path, (name, index, metered) in zip(paths, devices, strict=True):
        bus.export(path, NMDevice(name, index, metered))
    await bus.request_name("org.freedesktop.NetworkManager")
    return bus


async def serve_resolved(address: str, dns_ex: list[list[object]]) -> MessageBus:
    """Publish systemd-resolved's Manager with a DNSEx list; returns the bus."""
    bus = await MessageBus(bus_address=address, bus_type=BusType.SESSION).connect()
    bus.export("/org/freedesktop/resolve1", ResolvedManager(dns_ex))
    await bus.request_name("org.freedesktop.resolve1")
    return bus
