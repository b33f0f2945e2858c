"""The one codec of button data: today's wire formats, Telegram's 64 bytes, nothing that crashes a reader."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversation.buttons import (
    DATA_LIMIT,
    KINDS,
    AddComment,
    AddToTicket,
    Button,
    ButtonError,
    CardAction,
    ChangeCategory,
    ChooseLanguage,
    ConfirmForget,
    DeclineSeal,
    DraftAction,
    MissingAnswer,
    NewMatter,
    NotARequest,
    OtherTime,
    PickSlot,
    Rate,
    SealChannel,
    SendAnyway,
    decode,
    encode,
    pattern,
    stored,
)
from tests.conftest import ROOT

# One of every kind, with the data buttons carried before the codec: sent buttons must keep working.
EXAMPLES = [
    (ChooseLanguage("ko"), "c:lang:ko"),
    (NewMatter(1, "inquiry"), "c:q:1:n:I"),
    (NewMatter(12, "complaint"), "c:q:12:n:C"),
    (NewMatter(3, "appointment_request"), "c:q:3:n:A"),
    (AddToTicket(2, 1), "c:q:2:a:1"),
    (MissingAnswer(1, 1), "c:q:1:r:1"),
    (NotARequest(9), "c:q:9:x"),
    (SendAnyway(2_147_483_647), "c:q:2147483647:s"),
    (PickSlot(1, 29_454_300), "c:ap:1:29454300"),
    (OtherTime(1), "c:ap:1:other"),
    (Rate(42, 4), "c:rate:42:4"),
    (AddComment(42), "c:ratenote:42"),
    (ConfirmForget(True), "c:forget:yes"),
    (ConfirmForget(False), "c:forget:no"),
    (SealChannel("1234567890123456"), "c:seal:1234567890123456"),
    (DeclineSeal(), "c:noseal"),
    (CardAction("take", 1), "s:take:1"),
    (CardAction("reply", 1), "s:reply:1"),
    (CardAction("interim", 1), "s:interim:1"),
    (CardAction("close", 1), "s:close:1"),
    (DraftAction("send", 7), "s:send:7"),
    (DraftAction("drop", 7), "s:drop:7"),
    (ChangeCategory(5, "complaint"), "s:cat:5:C"),
    (ChangeCategory(2**31 - 1, "appointment_request"), "s:cat:2147483647:A"),
]

ANYTHING = st.one_of(st.integers(), st.text(max_size=80), st.booleans(), st.none(), st.floats())
IDS = st.one_of(st.integers(), st.integers(min_value=1, max_value=2**31 - 1))
PRESSES = st.one_of(
    st.builds(ChooseLanguage, st.one_of(st.text(max_size=70), st.sampled_from(["ko", "en", "zh-Hant"]))),
    st.builds(NewMatter, IDS, st.one_of(ANYTHING, st.sampled_from(["inquiry", "complaint", "appointment"]))),
    st.builds(AddToTicket, IDS, IDS),
    st.builds(MissingAnswer, IDS, IDS),
    st.builds(NotARequest, IDS),
    st.builds(SendAnyway, IDS),
    st.builds(PickSlot, IDS, st.integers()),
    st.builds(OtherTime, IDS),
    st.builds(Rate, IDS, st.one_of(st.integers(), st.integers(min_value=1, max_value=5))),
    st.builds(AddComment, IDS),
    st.builds(ConfirmForget, st.one_of(st.booleans(), ANYTHING)),
    st.builds(SealChannel, st.one_of(st.text(max_size=70), st.text("0123456789", min_size=1, max_size=70))),
    st.builds(DeclineSeal),
    st.builds(CardAction, st.one_of(st.sampled_from(["take", "reply", "close", "send"]), ANYTHING), IDS),
    st.builds(DraftAction, st.one_of(st.sampled_from(["send", "drop", "take"]), ANYTHING), IDS),
    st.builds(ChangeCategory, IDS, st.one_of(ANYTHING, st.sampled_from(["inquiry", "complaint", "appointment"]))),
)


@pytest.mark.parametrize(("press", "data"), EXAMPLES, ids=[data for _, data in EXAMPLES])
def test_every_kind_keeps_its_wire_format(press, data):
    assert encode(press) == data and decode(data) == press


def test_every_kind_has_an_example():
    assert {type(press) for press, _ in EXAMPLES} == set(KINDS)


@given(PRESSES)
def test_a_press_round_trips_or_is_refused_when_encoded(press):
    try:
        data = encode(press)
    except ButtonError:
        return
    assert len(data.encode()) <= DATA_LIMIT and decode(data) == press


@given(st.one_of(st.text(max_size=100), st.binary(max_size=70), st.integers(), st.none()))
def test_decoding_anything_never_raises_and_what_decodes_encodes_again(data):
    press = decode(data)
    if press is not None:
        assert decode(encode(press)) == press


@given(st.sampled_from(EXAMPLES), st.text(max_size=20))
def test_data_we_wrote_appended_to_or_cut_is_nothing_or_a_press_we_could_write(example, tail):
    _, data = example
    for mangled in (data + tail, data[: len(data) // 2], data.upper(), tail + data):
        press = decode(mangled)
        assert press is None or decode(encode(press)) == press


@pytest.mark.parametrize("data", [
    "", "c:", "c:q:", "c:q:abc:n:I", "c:q:1:n:Z", "c:q:1:x:1", "c:q:0:a:1", "c:q:1:a:-1",
    "c:q:99999999999:a:1", "c:q:2147483648:a:1", "c:rate:5", "c:rate:5:-1", "c:rate:5:100", "c:rate:١:1",
    "c:rate:99999999999999999999:1", "c:ap:1:", "c:ap:1:99999999999", "c:ap:1:soon", "c:forget:",
    "c:forget:YES", "c:forget:yes:1", "c:seal:", "c:seal:12a", "c:noseal:1", "c:lang:", "c:lang:k o",
    "s:take:", "s:take:x", "s:foo:1", "s:send:1:2", "s:take:1\n", "c:rate:1:1 ", "x" * 65,
    "c:lang:" + "a" * 60,
])
def test_malformed_data_is_none(data):
    assert decode(data) is None


def test_the_limit_is_64_bytes():
    fits = SealChannel("1" * (DATA_LIMIT - len("c:seal:")))
    assert len(encode(fits)) == DATA_LIMIT
    with pytest.raises(ButtonError, match="65 bytes"):
        encode(SealChannel("1" * (DATA_LIMIT - len("c:seal:") + 1)))


@pytest.mark.parametrize("press", [
    Rate(0, 1), Rate(2**31, 1), Rate(1, 100), Rate(True, 1), NewMatter(1, "greet"), CardAction("send", 1),
    DraftAction("take", 1), PickSlot(1, -1), PickSlot(1, 10**10), ChooseLanguage("k:o"), SealChannel(""),
    ConfirmForget("yes"),
])
def test_values_that_would_not_read_back_are_refused(press):
    with pytest.raises(ButtonError):
        encode(press)


def test_a_slot_carries_its_start_to_the_minute():
    start = datetime(2026, 12, 1, 5, 30, tzinfo=UTC)
    assert PickSlot.at(9, start) == PickSlot(9, int(start.timestamp()) // 60)
    assert decode(encode(PickSlot.at(9, start))).start == start


def test_patterns_route_by_prefix():
    assert pattern(CardAction, DraftAction) == "^(?:s:)"
    assert pattern(Rate) == "^(?:c:rate:)" and pattern(AddComment) == "^(?:c:ratenote:)"
    assert pattern(NewMatter, AddToTicket, MissingAnswer) == "^(?:c:q:)"


def test_stored_keyboards_are_rows_of_text_and_data():
    rows = [[Button("Yes", ConfirmForget(True))],
            [Button("No", ConfirmForget(False)), Button("1", Rate(3, 1))]]
    assert stored(rows) == [
        [{"text": "Yes", "data": "c:forget:yes"}],
        [{"text": "No", "data": "c:forget:no"}, {"text": "1", "data": "c:rate:3:1"}],
    ]
    assert stored(None) is None
    with pytest.raises(ButtonError):
        stored([[Button("?", Rate(0, 1))]])


def test_no_module_of_the_domain_or_the_conversation_speaks_telegram_keyboards():
    speaking = [
        str(path.relative_to(ROOT))
        for room in ("desk", "conversation")
        for path in Path(ROOT, room).rglob("*.py")
        if any(word in path.read_text(encoding="utf-8") for word in ("inline_keyboard", "callback_data"))
    ]
    assert speaking == []
