"""A Service handed to the engine (lanwise.dnssd.registration): one set of rules.

Issue 13 item 4: the Service refused port 0 (unless a placeholder) while the
engine's ServiceRecords it was turned into accepted it."""

from __future__ import annotations

import pytest

from lanwise.dnssd import Service
from lanwise.dnssd.registration import service_records
from lanwise.errors import UsageError
from lanwise.mdns.registration import ServiceRecords


def test_port_zero_is_refused_by_the_engine_too_unless_a_placeholder() -> None:
    for make in (
        lambda: Service("x", "_http._tcp", 0),
        lambda: ServiceRecords("x", "_http._tcp", 0),
    ):
        with pytest.raises(UsageError) as caught:
            make()
        assert caught.value.field == "port"
        assert "placeholder" in str(caught.value)
    held = service_records(Service("x", "_http._tcp", 0, placeholder=True))
    assert held.port == 0 and held.placeholder
    assert ServiceRecords("x", "_http._tcp", 0, placeholder=True).port == 0


def test_a_service_reaches_the_engine_as_given() -> None:
    service = Service(
        "Kitchen", "_http._tcp", 8080, {"v": "1"}, subtypes=["_printer"], host="box.local"
    )
    records = service_records(service)
    assert (records.instance, records.service_type, records.port) == (
        "Kitchen",
        "_http._tcp",
        8080,
    )
    assert (records.txt, records.subtypes, records.host) == ((b"v=1",), ("_printer",), "box")
    assert str(records.instance_name) == "Kitchen._http._tcp.local"
