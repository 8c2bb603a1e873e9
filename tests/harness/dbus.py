"""A private D-Bus system bus on a lab host, for avahi-daemon and its clients.

avahi-daemon offers its client API (avahi-browse, avahi-publish, avahi-resolve)
over the D-Bus *system* bus. The machine's own system bus must not be used: it
lives in the root namespace, and several lab hosts each need their own daemon
registered as ``org.freedesktop.Avahi``. So each host gets a dbus-daemon of its
own, listening on a socket in the test's directory, with a policy that allows
everything (the lab is a closed world run as root).

Every process that should talk to that bus gets
``DBUS_SYSTEM_BUS_ADDRESS=unix:path=DIR/bus.sock`` in its environment;
:meth:`SystemBus.env` builds such an environment.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.harness.netns import Host

# A system-type bus (so clients find it through DBUS_SYSTEM_BUS_ADDRESS), no
# <user> switch, no <fork/>, no pid file, no syslog: it runs in the foreground
# under Host.popen and dies with the lab. EXTERNAL auth works for root over a
# unix socket. The policy allows every send, receive and name ownership.
_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
"""


@dataclass(eq=False)
class SystemBus:
    """A running private system bus: its socket, config and process."""

    host: Host
    directory: Path
    process: subprocess.Popen[Any]

    @property
    def socket_path(self) -> Path:
        return self.directory / "bus.sock"

    @property
    def address(self) -> str:
        """The D-Bus address, e.g. ``unix:path=/tmp/.../bus.sock``."""
        return f"unix:path={self.socket_path}"

    def env(self) -> dict[str, str]:
        """The lab environment plus ``DBUS_SYSTEM_BUS_ADDRESS`` pointing at this bus."""
        env = self.host.lab.env()
        env["DBUS_SYSTEM_BUS_ADDRESS"] = self.address
        return env

    def stop(self) -> None:
        """Terminate the bus (also done by the lab when it closes)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_system_bus(host: Host, directory: Path, *, timeout: float = 10.0) -> SystemBus:
    """Start a dbus-daemon on ``host`` listening on ``directory/bus.sock``.

    ``directory`` is created if needed and receives ``bus.conf`` and
    ``dbus.log`` (the daemon's stdout and stderr). Returns once the socket
    accepts connections; raises RuntimeError with the log if the daemon dies or
    the socket does not appear within ``timeout`` seconds.
    """
    directory.mkdir(parents=True, exist_ok=True)
    socket_path = directory / "bus.sock"
    socket_path.unlink(missing_ok=True)
    config = directory / "bus.conf"
    config.write_text(_CONFIG.format(socket=socket_path))
    log_path = directory / "dbus.log"
    with log_path.open("wb") as log:
        process = host.popen(
            "dbus-daemon",
            "--nofork",
            "--nopidfile",
            "--nosyslog",
            f"--config-file={config}",
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    bus = SystemBus(host=host, directory=directory, process=process)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"{host.name}: dbus-daemon exited {process.returncode}:\n{log_path.read_text()}"
            )
        if socket_path.exists():
            check = host.run(
                "dbus-send",
                "--system",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.GetId",
                check=False,
                env=bus.env(),
                timeout=timeout,
            )
            if check.returncode == 0:
                return bus
        if time.monotonic() > deadline:
            bus.stop()
            raise RuntimeError(f"{host.name}: dbus-daemon not ready:\n{log_path.read_text()}")
        time.sleep(0.02)
