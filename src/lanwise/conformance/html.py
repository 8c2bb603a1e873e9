"""The report as one self-contained HTML page (``lanwise conformance --html FILE``).

A page a vendor can attach to a bug report: the target and the run's facts,
one row per check (verdict, what the rule asks, its RFC section), and for every
FAIL and WARN the reason and the packets behind it on a timeline. No scripts,
no external files: the style sheet is inline and every text is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

from lanwise.conformance.report import CheckResult, Outcome, Report
from lanwise.conformance.rules import RULE_TEXT

__all__ = ["render_html"]

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .3em .6em; border-bottom: 1px solid #ddd; }
.verdict { font-weight: bold; font-family: monospace; }
.PASS .verdict { color: #1a7f37; } .FAIL .verdict { color: #cf222e; }
.WARN .verdict { color: #9a6700; } .SKIP .verdict { color: #6e7781; }
.counts span { margin-right: 1.5em; font-weight: bold; }
.finding { border-left: 4px solid #cf222e; padding: .2em 1em; margin: 1.5em 0; }
.finding.WARN { border-color: #d4a72c; }
.rule { color: #444; font-style: italic; }
pre { background: #f6f8fa; padding: .6em; overflow-x: auto; font-size: 13px; }
ol.timeline { list-style: none; padding-left: 0; border-left: 2px solid #8c959f;
  margin-left: .5em; }
ol.timeline li { position: relative; padding: .2em 0 .6em 1.2em; }
ol.timeline li::before { content: ""; position: absolute; left: -7px; top: .55em; width: 12px;
  height: 12px; border-radius: 50%; background: #0969da; }
ol.timeline li.query::before { background: #8250df; }
.when { font-family: monospace; font-weight: bold; }
.lines { font-family: monospace; font-size: 13px; white-space: pre; color: #333; }
"""


def _cell(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def _packet(packet: dict[str, Any]) -> str:
    lines = "\n".join(escape(line) for line in packet.get("lines", []))
    kind = escape(str(packet.get("kind", "")))
    return (
        f'<li class="packet {kind}" data-time="{packet.get("time", 0):.4f}">'
        f'<span class="when">+{packet.get("time", 0):.3f} s</span> '
        f"{escape(str(packet.get('source')))} &rarr; {escape(str(packet.get('destination')))} "
        f"(IP TTL {escape(str(packet.get('ip_ttl')))}) {kind} "
        f"<code>{escape(str(packet.get('header', '')))}</code>"
        f'<div class="lines">{lines}</div></li>'
    )


def _finding(result: CheckResult) -> str:
    detail = "\n".join(
        line for line in result.detail.splitlines() if not line.startswith("  ")
    ).strip()
    timeline = ""
    if result.packets:
        items = "".join(_packet(p) for p in result.packets)
        timeline = (
            "<p>The packets behind it (times from the start of the run):</p>"
            f'<ol class="timeline">{items}</ol>'
        )
    return (
        f'<section class="finding {result.result.value}" id="finding-{escape(result.id)}">'
        f"<h3>{escape(result.id)} {result.result.value}: {escape(result.name)}</h3>"
        f'<p class="rule">{escape(RULE_TEXT.get(result.id, ""))} '
        f"({escape(result.rule)}, {result.level.value})</p>"
        f"<pre>{escape(detail)}</pre>{timeline}</section>"
    )


def render_html(report: Report) -> str:
    """The whole page, as a string."""
    counts = report.counts()
    facts = "".join(
        f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>"
        for k, v in report.facts.items()
        if v not in (None, "")
    )
    rows = []
    for r in report.ordered():
        link = escape(r.id)
        if r.result in (Outcome.FAIL, Outcome.WARN):
            link = f'<a href="#finding-{escape(r.id)}">{escape(r.id)}</a>'
        note = _cell(r.detail.splitlines()[0]) if r.detail and r.result is not Outcome.PASS else ""
        rows.append(
            f'<tr class="check {r.result.value}" id="check-{escape(r.id)}" '
            f'data-result="{r.result.value}"><td>{link}</td>'
            f'<td class="verdict">{r.result.value}</td><td>{escape(r.name)}<br>'
            f'<span class="rule">{escape(RULE_TEXT.get(r.id, ""))}</span></td>'
            f"<td>{escape(r.rule)}<br>{r.level.value}</td><td>{note}</td></tr>"
        )
    findings = [_finding(r) for r in report.ordered() if r.result in (Outcome.FAIL, Outcome.WARN)]
    summary = "".join(f'<span class="{k}">{k} {v}</span>' for k, v in counts.items())
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>mDNS conformance of {escape(report.target)}</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>mDNS / DNS-SD conformance of {escape(report.target)}</h1>"
        f'<p class="counts" id="counts">{summary}</p>'
        "<p>MUST rules that are broken FAIL, SHOULD rules WARN; SKIP says why a check "
        "did not run, or which failed check it depends on. Checks follow RFC 6762 "
        "(Multicast DNS) and RFC 6763 (DNS-SD), made by lanwise conformance.</p>"
        f'<table class="facts">{facts}</table>'
        '<h2>Checks</h2><table class="checks"><thead><tr><th>id</th><th>verdict</th>'
        "<th>check and rule</th><th>section</th><th>note</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        f"<h2>Failures and warnings</h2>{''.join(findings) or '<p>None.</p>'}"
        "</body></html>\n"
    )
