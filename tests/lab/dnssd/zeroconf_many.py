"""python-zeroconf publishing several services until its stdin closes (a lab peer process).

Run on a lab host: ``python -m tests.lab.dnssd.zeroconf_many TYPE PORT NAME...``;
prints ``ready`` once every service is registered (all probed at once), and
unregisters them (goodbyes) when stdin reaches its end.
"""

from __future__ import annotations

import asyncio
import sys

from zeroconf import IPVersion, ServiceInfo
from zeroconf.asyncio import AsyncZeroconf

from tests.lab.dnssd.peers import _own_addresses


async def serve(service_type: str, port: int, names: list[str]) -> None:
    zc = AsyncZeroconf(ip_version=IPVersion.All)
    infos = [
        ServiceInfo(
            f"{service_type}.local.",
            f"{name}.{service_type}.local.",
            port=port,
            properties={"peer": "zeroconf"},
            server="zc-peer.local.",
            parsed_addresses=_own_addresses(),
        )
        for name in names
    ]
    try:
        registering = [await zc.async_register_service(info) for info in infos]
        await asyncio.gather(*registering)
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await zc.async_unregister_all_services()
    finally:
        await zc.async_close()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], int(sys.argv[2]), sys.argv[3:]))
