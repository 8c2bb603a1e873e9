"""The Matter DNS-SD profile (``--profile matter``): M1-M10.

What the Matter Core specification §4.3 (Discovery) asks of the DNS-SD records
of a Matter node, as its certification tests TC-SC-4.1 (commissionable node
discovery, ``_matterc._udp``) and TC-SC-4.3 (operational discovery,
``_matter._tcp``) check them: instance names, host names, subtypes and TXT
keys, from what the node answers on the wire. Numbers in names and TXT values
are decimal ASCII without leading zeros; hex strings are uppercase.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from lanwise.conformance.answering import LISTEN
from lanwise.conformance.report import Outcome
from lanwise.conformance.session import Session
from lanwise.conformance.wire import Captured
from lanwise.dns import PTR, SRV, TXT, Name, Question, Record, RRType

__all__ = ["MatterNode", "discover_matter", "run_matter"]

COMMISSIONABLE = Name("_matterc._udp.local")
OPERATIONAL = Name("_matter._tcp.local")

_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_HEX16 = re.compile(r"[0-9A-F]{16}")
_OPERATIONAL_NAME = re.compile(r"([0-9A-F]{16})-([0-9A-F]{16})")
_HOST = re.compile(r"[0-9A-F]{12}|[0-9A-F]{16}")
# Matter Core §4.3.4 (common TXT keys): session intervals in ms, at most one
# hour; the active threshold at most 65535 ms; T a bitmap whose bit 0 is
# reserved and bits above 2 do not exist.
MAX_INTERVAL_MS = 3_600_000
MAX_SAT_MS = 65_535
# §4.3.1: the discriminator has 12 bits, the short form its upper 4.
MAX_DISCRIMINATOR = 4095


def _number(value: str | None, maximum: int) -> int | None:
    """``value`` as a decimal number without leading zeros up to ``maximum``, else None."""
    if value is None or not _DECIMAL.fullmatch(value):
        return None
    number = int(value)
    return number if number <= maximum else None


@dataclass(slots=True)
class MatterNode:
    """One Matter service instance of the target and what it answered."""

    instance: Name
    srv: Record | None = None
    txt: dict[str, str] = field(default_factory=dict)
    txt_raw: tuple[bytes, ...] = ()

    @property
    def label(self) -> str:
        return self.instance.labels[0]

    @property
    def host(self) -> Name | None:
        return self.srv.rdata.target if self.srv and isinstance(self.srv.rdata, SRV) else None


def _txt_dict(record: Record) -> tuple[dict[str, str], tuple[bytes, ...]]:
    assert isinstance(record.rdata, TXT)
    found: dict[str, str] = {}
    for item in record.rdata.strings:
        key, _, value = item.partition(b"=")
        text_key = key.decode("ascii", "replace").upper()
        if text_key and text_key not in found:  # RFC 6763 §6.4: the first one counts
            found[text_key] = value.decode("utf-8", "surrogateescape")
    return found, record.rdata.strings


def _ask(s: Session, questions: list[Question]) -> list[Captured]:
    """One multi-question query; the target's responses within a second."""
    sent = s.query(questions)
    time.sleep(LISTEN + 0.2)
    found = [p for p in s.target_packets(sent) if p.message and p.message.is_response]
    s.learn(found)
    return found


def _ptr_targets(packets: list[Captured], name: Name) -> list[Name]:
    targets = []
    for p in packets:
        assert p.message is not None
        for r in p.message.records:
            if r.name == name and isinstance(r.rdata, PTR) and r.ttl > 0:
                targets.append(r.rdata.target)
    return targets


def discover_matter(s: Session) -> tuple[list[MatterNode], list[MatterNode]]:
    """The target's commissionable and operational instances, with SRV and TXT."""
    packets = _ask(s, [Question(COMMISSIONABLE, RRType.PTR), Question(OPERATIONAL, RRType.PTR)])
    kinds: list[list[MatterNode]] = [[], []]
    for kind, stype in enumerate((COMMISSIONABLE, OPERATIONAL)):
        for target in dict.fromkeys(_ptr_targets(packets, stype)):
            kinds[kind].append(MatterNode(target))
    nodes = kinds[0] + kinds[1]
    if nodes:
        questions = [Question(n.instance, t) for n in nodes for t in (RRType.SRV, RRType.TXT)]
        _ask(s, questions)
    for node in nodes:
        srv = s.known(node.instance, RRType.SRV)
        txt = s.known(node.instance, RRType.TXT)
        node.srv = srv[0] if srv else None
        if txt:
            node.txt, node.txt_raw = _txt_dict(txt[0])
    hosts = {n.host for n in nodes if n.host is not None}
    if hosts:
        _ask(s, [Question(h, RRType.AAAA) for h in hosts])
    return kinds[0], kinds[1]


def _subtype(label: str, stype: Name) -> Name:
    return Name.from_labels((label, "_sub", *stype.labels))


def check_commissionable(s: Session, node: MatterNode) -> None:
    """M1-M5 for one ``_matterc._udp`` instance."""
    name = node.label
    s.record(
        "M1",
        Outcome.PASS if _HEX16.fullmatch(name) else Outcome.FAIL,
        "" if _HEX16.fullmatch(name) else f"instance name {name!r} is not 16 uppercase hex digits",
    )
    txt = node.txt
    problems: list[str] = []
    d = _number(txt.get("D"), MAX_DISCRIMINATOR)
    if d is None:
        problems.append(f"D={txt.get('D')!r}: 0-4095 without leading zeros, required")
    vp = txt.get("VP")
    vendor = None
    if vp is not None:
        parts = vp.split("+")
        numbers = [_number(part, 65535) for part in parts]
        if len(parts) > 2 or None in numbers:
            problems.append(f"VP={vp!r}: vendor[+product], each 0-65535 without leading zeros")
        else:
            vendor = numbers[0]
    cm = txt.get("CM")
    if cm is not None and cm not in ("0", "1", "2", "3"):
        problems.append(f"CM={cm!r}: 0, 1, 2 or 3")
    dt = txt.get("DT")
    if dt is not None and _number(dt, 0xFFFFFFFF) is None:
        problems.append(f"DT={dt!r}: a 32-bit decimal without leading zeros")
    dn = txt.get("DN")
    if dn is not None and len(dn.encode("utf-8", "surrogateescape")) > 32:
        problems.append(f"DN is {len(dn.encode('utf-8', 'surrogateescape'))} bytes (32 at most)")
    ri = txt.get("RI")
    if ri is not None and not re.fullmatch(r"[0-9A-F]{1,100}", ri):
        problems.append(f"RI={ri!r}: 1-100 uppercase hex digits")
    ph = txt.get("PH")
    if ph is not None:
        value = _number(ph, (1 << 20) - 1)
        if value is None or value == 0:
            problems.append(f"PH={ph!r}: 1 to 2^20-1 without leading zeros")
    pi = txt.get("PI")
    if pi is not None and len(pi.encode("utf-8", "surrogateescape")) > 128:
        problems.append("PI longer than 128 bytes")
    s.record("M4", Outcome.FAIL if problems else Outcome.PASS, "\n".join(problems))
    check_common_txt(s, node)
    # Subtypes: the ones the TXT values call for, each with a PTR to this instance.
    wanted: dict[str, str] = {}
    if d is not None:
        wanted[f"_L{d}"] = "long discriminator"
        wanted[f"_S{d >> 8}"] = "short discriminator"
    if vendor is not None:
        wanted[f"_V{vendor}"] = "vendor"
    if dt is not None and _number(dt, 0xFFFFFFFF) is not None:
        wanted[f"_T{int(dt)}"] = "device type"
    wanted["_CM"] = "commissioning mode"
    packets = _ask(s, [Question(_subtype(label, COMMISSIONABLE), RRType.PTR) for label in wanted])
    pointing = {label: _ptr_targets(packets, _subtype(label, COMMISSIONABLE)) for label in wanted}
    missing = [
        f"{label} ({what})"
        for label, what in wanted.items()
        if label != "_CM" and node.instance not in pointing[label]
    ]
    s.record(
        "M2",
        Outcome.FAIL if missing else Outcome.PASS,
        ("no PTR to the instance under " + ", ".join(missing)) if missing else "",
    )
    if d is None:
        return  # M3 and M5 wait for another instance, or are not judged (run_matter)
    long_ptrs = pointing[f"_L{d}"]
    if len(long_ptrs) == 1 and long_ptrs[0] == node.instance:
        s.record("M3", Outcome.PASS)
    elif not long_ptrs:
        s.report.not_judged("M3", "M2", f"no _L{d} PTR")
    else:
        s.record(
            "M3",
            Outcome.FAIL,
            f"_L{d} has {len(long_ptrs)} PTRs: " + ", ".join(str(t) for t in long_ptrs),
        )
    # M5: CM 1-3 (a commissioning window is open) goes with the _CM subtype; CM 0 or
    # no CM (extended discovery) without it.
    open_window = cm in ("1", "2", "3")
    has_cm = node.instance in pointing["_CM"]
    if open_window == has_cm:
        s.record("M5", Outcome.PASS, f"CM={cm}")
    else:
        s.record(
            "M5",
            Outcome.FAIL,
            f"CM={cm!r} but the _CM subtype is {'present' if has_cm else 'missing'}",
        )


def check_common_txt(s: Session, node: MatterNode) -> None:
    """M9: the TXT keys common to both services (§4.3.4)."""
    txt = node.txt
    problems = []
    for key in ("SII", "SAI"):
        if key in txt and _number(txt[key], MAX_INTERVAL_MS) is None:
            problems.append(f"{key}={txt[key]!r}: 0-3600000 ms without leading zeros")
    if "SAT" in txt and _number(txt["SAT"], MAX_SAT_MS) is None:
        problems.append(f"SAT={txt['SAT']!r}: 0-65535 ms without leading zeros")
    if "T" in txt:
        t = _number(txt["T"], 7)
        if t is None or t & 1:
            problems.append(f"T={txt['T']!r}: a bitmap of bits 1-2, bit 0 reserved (clear)")
    if "ICD" in txt and txt["ICD"] not in ("0", "1"):
        problems.append(f"ICD={txt['ICD']!r}: 0 or 1")
    s.record(
        "M9",
        Outcome.FAIL if problems else Outcome.PASS,
        f"{node.label}: " + "; ".join(problems) if problems else "",
    )


def check_operational(s: Session, node: MatterNode) -> None:
    """M6 and M10 for one ``_matter._tcp`` instance."""
    match = _OPERATIONAL_NAME.fullmatch(node.label)
    if match is None:
        s.record(
            "M6",
            Outcome.FAIL,
            f"instance name {node.label!r} is not <16 uppercase hex>-<16 uppercase hex>",
        )
        # M10 waits for another instance, or is not judged (run_matter)
    else:
        s.record("M6", Outcome.PASS)
        label = f"_I{match.group(1)}"
        packets = _ask(s, [Question(_subtype(label, OPERATIONAL), RRType.PTR)])
        if node.instance in _ptr_targets(packets, _subtype(label, OPERATIONAL)):
            s.record("M10", Outcome.PASS)
        else:
            s.record("M10", Outcome.FAIL, f"no PTR to the instance under {label}._sub")
    check_common_txt(s, node)


def check_host(s: Session, node: MatterNode) -> None:
    """M7 (host name of 12 or 16 uppercase hex digits) and M8 (AAAA) for one instance."""
    host = node.host
    if host is None:
        s.record("M7", Outcome.FAIL, f"{node.instance}: no SRV record")
        return  # M8 waits for another instance, or is not judged (run_matter)
    first = host.labels[0] if host.labels else ""
    if _HOST.fullmatch(first) and len(host.labels) >= 2:
        s.record("M7", Outcome.PASS, str(host))
    else:
        s.record(
            "M7",
            Outcome.FAIL,
            f"host name {str(host)!r}: 12 (Ethernet, Wi-Fi) or 16 (Thread) uppercase hex digits",
        )
    if s.known(host, RRType.AAAA):
        s.record("M8", Outcome.PASS)
    else:
        s.record("M8", Outcome.FAIL, f"no AAAA record for {host}")


def run_matter(s: Session) -> None:
    """Every Matter check, over every Matter instance the target answers for."""
    commissionable, operational = discover_matter(s)
    if not commissionable and not operational:
        s.record("M1", Outcome.FAIL, "no _matterc._udp or _matter._tcp instance answered")
        for id in ("M2", "M3", "M4", "M5", "M6", "M7", "M8", "M9", "M10"):
            s.report.not_judged(id, "M1", "no Matter instance")
        return
    # The rest of the suite checks the first instance as --service would.
    if s.service is None:
        first = (commissionable or operational)[0].instance
        s.service = s.configured_service = first
        s.service_type = Name.from_labels(first.labels[1:])
    for node in commissionable:
        check_commissionable(s, node)
        check_host(s, node)
    for node in operational:
        check_operational(s, node)
        check_host(s, node)
    # Checks no instance could be judged on, because of a failure counted already.
    for id, root, why in (
        ("M3", "M4", "no valid D key"),
        ("M5", "M4", "no valid D key"),
        ("M10", "M6", "no compressed fabric id in the instance name"),
        ("M8", "M7", "no SRV, no host"),
    ):
        if id not in s.report.tests and s.report.tests.get(root) is not None:
            s.report.not_judged(id, root, why)
    if not commissionable:
        s.report.skip_missing_ids(("M1", "M2", "M3", "M4", "M5"), "no commissionable instance")
    if not operational:
        s.report.skip_missing_ids(("M6", "M10"), "no operational instance")
