"""lanwise publishing several services until its stdin closes (a lab peer process).

Run on a lab host: ``python -m tests.lab.proxy_lab.lanwise_many TYPE PORT NAME...``; the
services are on host ``lw-peer.local``. Prints ``ready`` once every service is established
(all probed at once, RFC 6762 §8.1), and withdraws them (goodbyes) when stdin ends.
"""

from __future__ import annotations

import asyncio
import sys

from lanwise.dnssd import Service, open_responder


async def serve(service_type: str, port: int, names: list[str]) -> None:
    async with open_responder(host_name="lw-peer") as responder:
        registrations = [
            await responder.register(Service(name, service_type, port, {"n": str(i)}), wait=False)
            for i, name in enumerate(names)
        ]
        await asyncio.gather(*(r.wait_established(timeout=30) for r in registrations))
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], int(sys.argv[2]), sys.argv[3:]))
