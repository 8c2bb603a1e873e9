"""Checks the target's own API drives: A4 (rdata change, RFC 6762 §8.4) and N1
(rename: goodbyes, probe, announce; RFC 6762 §8.4, §10.1, BCT II.16).

``update`` must change the service's TXT record; ``rename`` must rename the
service instance (to any new name).
"""

from __future__ import annotations

import time

from lanwise.conformance.report import Outcome
from lanwise.conformance.session import Session, Trigger, is_probe, probed_names
from lanwise.conformance.wire import Captured
from lanwise.dns import PTR, RRType

__all__ = ["check_rename", "check_update"]

# §8.4: the changed record is announced again at once (allow the target's own
# latency, which the trigger's run time includes).
REANNOUNCE_WITHIN = 2.0


def check_update(s: Session, update: Trigger) -> None:
    """A4: a changed TXT is announced (cache-flush) without probing the name again."""
    name, old = s.service, s.txt()
    if name is None or old is None:
        s.record("A4", Outcome.SKIP, "the service's TXT was not seen")
        return
    start = time.monotonic()
    update()

    def new_txt(p: Captured) -> bool:
        return (
            p.multicast
            and p.message is not None
            and s.from_target(p)
            and p.message.is_response
            and any(
                r.name == name and r.rtype == RRType.TXT and r.ttl > 0 and r.rdata != old.rdata
                for r in p.message.answers
            )
        )

    found = s.wire.wait_for(new_txt, start, REANNOUNCE_WITHIN + 1.0)
    probes = [p for p in s.target_packets(start) if name in probed_names(p)]
    if found is None:
        s.record("A4", Outcome.FAIL, "the changed TXT was not announced")
        return
    assert found.message is not None
    record = next(r for r in found.message.answers if r.name == name and r.rtype == RRType.TXT)
    if probes and probes[0].time < found.time:
        s.record(
            "A4",
            Outcome.FAIL,
            "probed again for an rdata change:\n" + s.show([probes[0], found], start),
        )
    elif not record.cache_flush:
        s.record("A4", Outcome.FAIL, "changed TXT announced without the cache-flush bit")
    else:
        s.record("A4", Outcome.PASS, f"announced {found.time - start:.2f}s after the trigger")
    s.learn([found])


def check_rename(s: Session, rename: Trigger) -> None:
    """N1: goodbye (TTL 0) for the old PTR, then probes and announcements of a new name."""
    name, stype = s.service, s.service_type
    if name is None or stype is None:
        s.record("N1", Outcome.SKIP, "no --service given")
        return
    start = time.monotonic()
    rename()

    def new_probe(p: Captured) -> bool:
        return (
            is_probe(p)
            and s.from_target(p)
            and any(s.is_service_instance(n) and n != name for n in probed_names(p))
        )

    probe = s.wire.wait_for(new_probe, start, 4.0)
    if probe is None:
        s.record(
            "N1",
            Outcome.FAIL,
            "no probe of a new instance name after the rename:\n"
            + s.show(s.target_packets(start), start),
        )
        return
    new = next(n for n in probed_names(probe) if s.is_service_instance(n) and n != name)
    goodbye = [
        p
        for p in s.target_packets(start, probe.time)
        if p.message is not None
        and p.message.is_response
        and any(
            r.name == stype and isinstance(r.rdata, PTR) and r.rdata.target == name and r.ttl == 0
            for r in p.message.answers
        )
    ]
    announced = s.wait_answer(new, RRType.SRV, probe.time, 3.0)
    if not goodbye:
        s.record("N1", Outcome.FAIL, f"no goodbye for the PTR to {name} before probing {new}")
    elif announced is None:
        s.record("N1", Outcome.FAIL, f"{new} probed but not announced")
    else:
        s.record("N1", Outcome.PASS, f"renamed to {new}")
        s.service = new
