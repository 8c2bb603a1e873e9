"""A fake link joining several sans-IO engines (h11 ConnectionPair / aioquic client_and_server).

Every datagram an engine emits is delivered at the same instant: multicast to
every other node speaking that IP version, unicast to the node owning the
address. Time moves only when the test says so (:meth:`FakeLink.run`), jumping
from one engine timer to the next. Every datagram is logged with its time,
sender and parsed message, so tests can assert on the wire.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from ipaddress import IPv4Interface, IPv6Interface

from lanwise.dns import Message, build_message, parse_message
from lanwise.mdns.endpoints import MDNS_PORT, Datagram, EngineEndpoint
from lanwise.mdns.engine import Engine
from lanwise.mdns.events import Event

INDEX = 2  # every node's interface index on this link


@dataclass
class Sent:
    time: float
    sender: Node
    datagram: Datagram
    message: Message


@dataclass(eq=False)
class Node:
    name: str
    engine: Engine
    addresses: tuple[IPv4Interface | IPv6Interface, ...]
    events: list[Event] = field(default_factory=list)

    def source(self, version: int) -> EngineEndpoint:
        address = next(a.ip for a in self.addresses if a.version == version)
        return EngineEndpoint(address, MDNS_PORT)

    def owns(self, endpoint: EngineEndpoint) -> bool:
        return any(a.ip == endpoint.address for a in self.addresses)

    def drain_events(self) -> list[Event]:
        while (event := self.engine.next_event()) is not None:
            self.events.append(event)
        return self.events


class FakeLink:
    """Engines on one simulated Ethernet segment."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.nodes: list[Node] = []
        self.log: list[Sent] = []

    def add(
        self,
        host_name: str,
        *addresses: str,
        seed: int = 0,
        start: bool = True,
    ) -> Node:
        parsed = tuple(IPv6Interface(a) if ":" in a else IPv4Interface(a) for a in addresses)
        engine = Engine(host_name=host_name, rng=random.Random(seed))
        node = Node(host_name, engine, parsed)
        self.nodes.append(node)
        if start:
            engine.add_interface(INDEX, parsed, self.now)
        return node

    def deliver(self) -> None:
        """Send everything every engine wants to send now, until nobody has more."""
        moved = True
        while moved:
            moved = False
            for node in self.nodes:
                for datagram in node.engine.datagrams_to_send(self.now):
                    moved = True
                    self._carry(node, datagram)
            for node in self.nodes:
                node.drain_events()

    def _carry(self, sender: Node, datagram: Datagram) -> None:
        message = parse_message(datagram.data)
        self.log.append(Sent(self.now, sender, datagram, message))
        version = datagram.destination.address.version
        if datagram.destination.is_multicast_group:
            for node in self.nodes:
                if node is not sender and any(a.version == version for a in node.addresses):
                    node.engine.receive(datagram.data, sender.source(version), INDEX, self.now)
        else:
            for node in self.nodes:
                if node.owns(datagram.destination):
                    node.engine.receive(
                        datagram.data, sender.source(version), INDEX, self.now, unicast=True
                    )

    def inject(
        self, node: Node, message: Message | bytes, source: EngineEndpoint, **kw: bool
    ) -> None:
        """A packet from a scripted peer (not an engine) arrives at ``node``."""
        data = message if isinstance(message, bytes) else build_message(message)
        node.engine.receive(data, source, INDEX, self.now, **kw)

    def run(self, until: float) -> None:
        """Advance time to ``until``, firing every timer on the way, delivering as we go."""
        self.deliver()
        stuck = 0
        while True:
            timers = [t for n in self.nodes if (t := n.engine.get_timer()) is not None]
            if not timers or min(timers) > until:
                break
            stuck = stuck + 1 if min(timers) <= self.now else 0
            assert stuck < 100, f"a timer at {min(timers)} does not move on (now {self.now})"
            self.now = max(self.now, min(timers))
            for node in self.nodes:
                node.engine.handle_timer(self.now)
            self.deliver()
        self.now = until
        self.deliver()

    def sent_by(self, node: Node, *, version: int | None = 4) -> list[Sent]:
        return [
            s
            for s in self.log
            if s.sender is node
            and (version is None or s.datagram.destination.address.version == version)
        ]
