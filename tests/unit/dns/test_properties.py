"""Round-trip properties (hypothesis): names, records and whole messages."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lanwise.dns import (
    AAAA,
    CNAME,
    HINFO,
    NSEC,
    OPT,
    PTR,
    SRV,
    TXT,
    A,
    Message,
    MessageBuilder,
    Name,
    Question,
    Rdata,
    Record,
    Unknown,
    build_message,
    parse_message,
)
from lanwise.errors import UsageError

FEW = settings(max_examples=60, deadline=None)

# Labels drawn from a small alphabet so that names share suffixes (exercising
# compression) and differ in case (exercising case preservation).
_text_labels = st.text(alphabet="aAbB.-_ \\é", min_size=1, max_size=12).filter(
    lambda s: len(s.encode()) <= 63
)
_raw_labels = st.binary(min_size=1, max_size=63)
labels = st.one_of(_text_labels, _raw_labels, st.sampled_from(["local", "_tcp", "_http"]))


@st.composite
def names(draw: st.DrawFn) -> Name:
    parts = draw(st.lists(labels, min_size=0, max_size=6))
    try:
        return Name.from_labels(parts)
    except UsageError:
        assume(False)
        raise


u16 = st.integers(0, 0xFFFF)
charstr = st.binary(max_size=255)


def rdatas(rtype_names: st.SearchStrategy[Name]) -> st.SearchStrategy[Rdata]:
    return st.one_of(
        st.builds(A, st.builds(IPv4Address, st.integers(0, 2**32 - 1))),
        st.builds(AAAA, st.builds(IPv6Address, st.integers(0, 2**128 - 1))),
        st.builds(PTR, rtype_names),
        st.builds(CNAME, rtype_names),
        st.builds(SRV, u16, u16, u16, rtype_names),
        st.builds(TXT, st.lists(charstr, max_size=4).map(tuple)),
        st.builds(HINFO, charstr, charstr),
        st.builds(NSEC, rtype_names, st.frozensets(st.integers(0, 700), max_size=8)),
        st.builds(Unknown, st.sampled_from([99, 250, 65280]), st.binary(max_size=40)),
    )


@st.composite
def records(draw: st.DrawFn) -> Record:
    rdata = draw(rdatas(names()))
    return Record.of(
        draw(names()),
        rdata,
        draw(st.integers(0, 2**32 - 1)),
        rclass=draw(st.sampled_from([1, 255, 3])),
        cache_flush=draw(st.booleans()),
    )


questions = st.builds(Question, names(), u16, st.sampled_from([1, 255]), st.booleans())


@FEW
@given(names())
def test_name_text_form_round_trips_exactly(name: Name) -> None:
    back = Name.from_text(str(name))
    assert back.to_wire() == name.to_wire()
    assert Name.from_labels(name.labels).to_wire() == name.to_wire()
    assert Name.from_wire(name.to_wire()) == name


@FEW
@given(names())
def test_name_equality_is_ascii_case_folding(name: Name) -> None:
    swapped = Name.from_labels(raw.swapcase() for raw in name.raw_labels)
    assert swapped == name and hash(swapped) == hash(name)


@FEW
@given(records())
def test_record_round_trips(record: Record) -> None:
    wire = build_message(Message(answers=(record,)))
    (back,) = parse_message(wire).answers
    assert back == record
    assert back.rdata.to_wire() == record.rdata.to_wire()
    assert back.name.to_wire() == record.name.to_wire()  # case preserved


messages = st.builds(
    Message,
    u16,
    u16,
    st.lists(questions, max_size=4).map(tuple),
    st.lists(records(), max_size=6).map(tuple),
    st.lists(records(), max_size=3).map(tuple),
    st.lists(records(), max_size=3).map(tuple),
)


@settings(max_examples=40, deadline=None)
@given(messages)
def test_message_round_trips(message: Message) -> None:
    try:
        wire = build_message(message)
    except UsageError:
        assume(False)
        raise
    back = parse_message(wire)
    assert back == message
    assert [r.name.to_wire() for r in back.records] == [r.name.to_wire() for r in message.records]
    assert build_message(back) == wire


@settings(max_examples=40, deadline=None)
@given(st.lists(records(), min_size=1, max_size=30), st.integers(200, 1500))
def test_builder_never_exceeds_its_limit(rs: list[Record], limit: int) -> None:
    builder = MessageBuilder(flags=0x8400, max_size=limit)
    kept = [r for r in rs if builder.add_answer(r)]
    wire = builder.to_wire()
    assert len(wire) <= limit
    assert list(parse_message(wire).answers) == kept


@FEW
@given(st.lists(st.tuples(u16, st.binary(max_size=30)), max_size=4))
def test_opt_round_trips(options: list[tuple[int, bytes]]) -> None:
    record = Record(Name("."), 41, 1440, 0, OPT(tuple(options)))
    (back,) = parse_message(build_message(Message(additionals=(record,)))).additionals
    assert back == record


@FEW
@given(st.text(alphabet="ab.\\0123 é\x00", max_size=40))
def test_any_text_gives_a_name_or_a_usage_error(text: str) -> None:
    try:
        name = Name.from_text(text)
    except UsageError:
        return
    assert Name.from_text(str(name)).to_wire() == name.to_wire()
