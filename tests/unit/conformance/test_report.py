"""The report: outcomes by rule level, worst result wins, text and JSON shapes."""

from __future__ import annotations

import json

import pytest

from lanwise.conformance import (
    CATALOGUE,
    LINKLOCAL_CATALOGUE,
    MATTER_CATALOGUE,
    Outcome,
    Report,
    render_html,
)
from lanwise.conformance.rules import RULE_TEXT
from lanwise.conformance.session import host_of, split_service
from lanwise.dns import Name
from lanwise.errors import UsageError


def test_catalogue_ids_are_unique_and_cover_the_design_catalogue() -> None:
    ids = [c.id for c in CATALOGUE]
    assert len(ids) == len(set(ids))
    for wanted in ("P1", "P3", "P9", "A1", "C1", "R8", "R22", "S5", "H1", "CH1", "G1"):
        assert wanted in ids


def test_a_broken_should_warns_and_a_broken_must_fails() -> None:
    report = Report("t")
    report.record("R2", Outcome.FAIL, "late")  # §6 SHOULD
    report.record("R8", Outcome.FAIL, "TTL 120")  # §6.7 MUST
    assert report.tests["R2"].result is Outcome.WARN
    assert report.tests["R8"].result is Outcome.FAIL
    assert report.failed


def test_warnings_alone_do_not_fail_the_run() -> None:
    report = Report("t")
    report.record("R2", Outcome.FAIL)
    report.record("P1", Outcome.PASS)
    assert not report.failed


def test_the_worst_outcome_of_a_check_wins_and_details_accumulate() -> None:
    report = Report("t")
    report.record("P2", Outcome.PASS)
    report.record("P2", Outcome.WARN, "first probe QM")
    report.record("P2", Outcome.PASS)
    report.record("P2", Outcome.WARN, "second name QM")
    first = report.tests["P2"]
    assert first.result is Outcome.WARN
    assert first.detail == "first probe QM\nsecond name QM"
    report.record("P2", Outcome.FAIL, "not ANY")
    assert report.tests["P2"].result is Outcome.FAIL
    assert report.tests["P2"].detail == "not ANY"


def test_skip_missing_completes_the_report_in_catalogue_order() -> None:
    report = Report("t")
    report.record("R1", Outcome.PASS)
    report.skip_missing("no trigger")
    assert [r.id for r in report.ordered()] == [c.id for c in CATALOGUE]
    assert report.tests["P1"].result is Outcome.SKIP
    assert report.tests["R1"].result is Outcome.PASS


def test_json_report_shape() -> None:
    report = Report("device.local")
    report.record("R8", Outcome.FAIL, "TTL 120")
    data = json.loads(report.dumps())
    assert data["target"] == "device.local"
    [test] = data["tests"]
    assert {k: test[k] for k in ("id", "result", "detail")} == {
        "id": "R8",
        "result": "FAIL",
        "detail": "TTL 120",
    }
    assert test["name"]


def test_text_has_one_line_per_check_and_details_for_failures() -> None:
    report = Report("d")
    report.record("P1", Outcome.PASS, "first probe 120 ms after the trigger")
    report.record("P3", Outcome.FAIL, "cache-flush bit set\n  +0.2s probe")
    lines = report.text().splitlines()
    assert lines[1].startswith("P1   PASS")
    assert lines[2].startswith("P3   FAIL")
    assert lines[3].strip() == "cache-flush bit set"
    assert lines[-1] == "summary: PASS=1 FAIL=1 WARN=0 SKIP=0"


def test_service_names_split_into_instance_and_type() -> None:
    instance, stype = split_service("My Service._http._tcp.local")
    assert instance.labels == ("My Service", "_http", "_tcp", "local")
    assert stype == Name("_http._tcp.local")


@pytest.mark.parametrize("bad", ["_http._tcp.local", "My Service.http.tcp.local", "x.local"])
def test_bad_service_names_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError):
        split_service(bad)


def test_targets_are_host_names_or_addresses() -> None:
    assert host_of("device") == (Name("device.local"), None)
    assert host_of("device.local") == (Name("device.local"), None)
    name, address = host_of("fe80::1%eth0")
    assert name is None and str(address) == "fe80::1"


def test_a_check_left_unjudged_by_a_failed_root_stays_so() -> None:
    """One defect counts once: the dependent check is SKIP "not judged"."""
    report = Report("t")
    report.record("R4", Outcome.FAIL, "known answer ignored")
    report.not_judged("R23", "R4", "known answers are ignored")
    report.record("R23", Outcome.FAIL, "TC follow-up ignored")
    result = report.tests["R23"]
    assert result.result is Outcome.SKIP and result.depends_on == "R4"
    assert result.detail == "not judged: depends on R4 (known answers are ignored)"
    assert report.counts()["FAIL"] == 1
    assert json.loads(report.dumps())["tests"][1]["depends_on"] == "R4"


def test_results_are_published_once_each_except_those_held() -> None:
    seen: list[str] = []
    report = Report("t", on_result=lambda r: seen.append(r.id))
    report.record("R1", Outcome.PASS)
    report.record("R11", Outcome.PASS)
    report.publish(hold=("R11",))
    report.record("R1", Outcome.FAIL, "later")  # already published: not again
    report.publish(hold=("R11",))
    assert seen == ["R1"]
    report.publish()
    assert seen == ["R1", "R11"]


def test_r15_is_a_should() -> None:
    """RFC 6762 §20 says a dual-stack host "should" answer on both families."""
    report = Report("t")
    report.record("R15", Outcome.FAIL, "not over IPv6")
    assert report.tests["R15"].result is Outcome.WARN


def test_every_check_has_its_rule_in_a_sentence() -> None:
    assert set(RULE_TEXT) == {c.id for c in (*CATALOGUE, *MATTER_CATALOGUE, *LINKLOCAL_CATALOGUE)}


def test_html_page_shows_verdicts_rules_and_the_packets_behind_a_failure() -> None:
    report = Report("box <1>.local")
    packet = {
        "time": 1.25,
        "source": "10.0.0.5:5353",
        "destination": "224.0.0.251",
        "multicast": True,
        "ip_ttl": 255,
        "kind": "query",
        "header": "query id=0 opcode=0 rcode=0",
        "lines": ["question Box._http._tcp.local ANY QU", "authority <script>"],
    }
    report.record("P3", Outcome.FAIL, "cache-flush bit set\n  +1.250s packet", [packet])
    report.record("P1", Outcome.PASS)
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "&lt;script&gt;" in page
    assert 'id="check-P3" data-result="FAIL"' in page
    assert 'id="finding-P3"' in page and "+1.250 s" in page
    assert "RFC 6762 §8.1, §10.2" in page and "Authority section" in page
    assert "box &lt;1&gt;.local" in page
