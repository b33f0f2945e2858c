"""Loading and validating charter files; every bad input names its file, line and field."""

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from desk.charter.calendar import BusinessCalendar, CalendarError
from desk.charter.model import CATEGORIES, Charter, CharterError, load_charter

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = Path(__file__).resolve().parent / "charters"
SEOUL = ZoneInfo("Asia/Seoul")
SHIPPED = [ROOT / "charter.yml", *sorted((ROOT / "charters").glob("*.yml"))]


@pytest.fixture(scope="module")
def valid() -> Charter:
    return load_charter(FIXTURES / "valid.yml")


def kst(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SEOUL)


# --- a valid charter ----------------------------------------------------------------------


def test_valid_charter_exposes_what_the_product_needs(valid):
    assert valid.organisation.name == "테스트복지관"
    assert valid.timezone == SEOUL
    assert valid.languages == ["ko", "en"]
    assert isinstance(valid.calendar, BusinessCalendar)
    assert valid.calendar.is_holiday(date(2026, 12, 31))
    assert [member.telegram_id for member in valid.staff] == [1001, 1002]
    assert [member.name for member in valid.officers] == ["김담당"]
    assert valid.staff_member(1002).role == "agent"
    assert valid.staff_member(9999) is None
    assert valid.staff_chat_id == -1001234567890
    assert str(valid.quiet_hours) == "21:00-08:00"
    assert valid.retention_days == 365
    assert valid.office_hours_text() == {"mon-fri": "09:00-12:00,13:00-18:00"}


def test_clocks(valid):
    inquiry = valid.clock("inquiry")
    assert str(inquiry.reply_within) == "7 days"
    assert inquiry.counting == "kr-civil-petitions"
    assert inquiry.interim == "on_breach"
    assert str(inquiry.remind_staff_before) == "1 business day"
    assert valid.clock("complaint").interim == "none"
    assert valid.clock("complaint").remind_staff_before is None


def test_due_at_for_every_category(valid):
    received = kst(2026, 11, 30, 10)  # Monday
    assert valid.due_at("inquiry", received) == kst(2026, 12, 8, 18)  # 7 days, receipt day counted
    assert valid.due_at("complaint", received) == kst(2026, 12, 15, 23, 59, 59)
    assert valid.due_at("non_response_complaint", received) == kst(2026, 12, 3, 23, 59, 59)
    assert valid.due_at("appointment_request", received).isoformat() == "2026-12-01T18:00:00+09:00"


def test_due_at_answers_in_the_charters_timezone(valid):
    received = datetime.fromisoformat("2026-11-30T01:00:00+00:00")
    assert valid.due_at("appointment_request", received).utcoffset() == SEOUL.utcoffset(received)


def test_remind_at(valid):
    due = valid.due_at("inquiry", kst(2026, 11, 30, 10))
    assert valid.remind_at("inquiry", due) == kst(2026, 12, 7, 18)
    assert valid.remind_at("complaint", due) is None


def test_quiet_hours(valid):
    assert valid.in_quiet_hours(kst(2026, 11, 30, 22))
    assert valid.quiet_hours_end(kst(2026, 11, 30, 22)) == kst(2026, 12, 1, 8)
    assert not valid.in_quiet_hours(kst(2026, 11, 30, 12))


def test_unknown_category_and_naive_time_are_refused(valid):
    with pytest.raises(ValueError, match="unknown category"):
        valid.due_at("praise", kst(2026, 11, 30, 10))
    with pytest.raises(CalendarError, match="timezone"):
        valid.due_at("inquiry", datetime(2026, 11, 30, 10))


def test_charter_is_immutable(valid):
    with pytest.raises(ValidationError):
        valid.staff_chat_id = 1
    with pytest.raises(ValidationError):
        valid.organisation.name = "other"


def test_shorthands(tmp_path):
    text = (
        (FIXTURES / "valid.yml")
        .read_text()
        .replace("languages: [ko, en]", "languages: [ko, en]\n  contact: 02-123-4567")
    )
    path = tmp_path / "charter.yml"
    path.write_text(text + "satisfaction_survey: true\nanonymous_complaints: true\n")
    charter = load_charter(path)
    assert charter.organisation.contact.note == "02-123-4567"
    assert charter.satisfaction_survey.ask_after_reply is True
    assert charter.anonymous_complaints is True


def test_dumps_back_to_charter_text(valid):
    data = valid.model_dump(mode="json")
    assert data["office_hours"] == {"mon-fri": "09:00-12:00,13:00-18:00"}
    assert data["clocks"]["inquiry"]["remind_staff_before"] == "1 business day"
    assert data["organisation"]["timezone"] == "Asia/Seoul"
    assert Charter.model_validate(data) == valid


# --- the shipped charters -----------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_every_shipped_charter_loads_and_answers(path):
    charter = load_charter(path)
    received = datetime(2026, 11, 30, 10, tzinfo=charter.timezone)
    for category in CATEGORIES:
        assert charter.due_at(category, received) > received
    assert charter.officers or any(member.role == "admin" for member in charter.staff)


def test_there_is_a_charter_per_organisation():
    names = {path.name for path in SHIPPED}
    assert {"charter.yml", "kncsw.yml", "ansim.yml", "koreha.yml", "csagyi.yml", "sejong-sso.yml"} <= names


def test_default_charter_speaks_three_languages_and_keeps_ansims_clocks():
    charter = load_charter(ROOT / "charter.yml")
    assert charter.languages == ["ko", "en", "hu"]
    assert charter.timezone.key == "Asia/Seoul"
    assert {member.telegram_id: member.role for member in charter.staff} == {1001: "officer", 1002: "agent"}
    assert charter.staff_chat_id == -1001234567890
    assert [str(charter.clock(c).reply_within) for c in CATEGORIES] == [
        "7 days",
        "15 days",
        "3 days",
        "1 business day",
    ]
    assert (
        charter.due_at("appointment_request", kst(2026, 11, 30, 10)).isoformat()
        == "2026-12-01T18:00:00+09:00"
    )


def test_hungarian_charter_keeps_budapest_hours():
    charter = load_charter(ROOT / "charters" / "csagyi.yml")
    assert charter.languages == ["hu", "en"]
    assert charter.office_hours_text() == {"mon-fri": "09:00-16:00"}
    assert charter.anonymous_complaints is True
    # Fri 27 Mar 2026 (CET) -> Monday 30 Mar 16:00, after the clocks went forward.
    received = datetime.fromisoformat("2026-03-27T10:00:00+01:00")
    assert charter.due_at("appointment_request", received).isoformat() == "2026-03-30T16:00:00+02:00"


def test_published_results_of_the_rehabilitation_agency():
    charter = load_charter(ROOT / "charters" / "koreha.yml")
    scores = [(score.year, score.score, score.grade) for score in charter.published_results.scores]
    assert scores == [(2016, 91.4, "A"), (2017, 90.2, "A"), (2018, 92.2, "A")]


# --- invalid charters: file, line, field --------------------------------------------------

BAD = [
    (
        "bad_duration.yml",
        13,
        "clocks.inquiry.reply_within",
        '"7 dayz" is not a duration (expected e.g. "7 days"',
    ),
    ("negative_duration.yml", 17, "clocks.complaint.reply_within", '"-3 days" is not a positive duration'),
    (
        "zero_duration.yml",
        18,
        "clocks.non_response_complaint.reply_within",
        '"0 days" is not a positive duration',
    ),
    ("overlapping_hours.yml", 7, "office_hours.mon-fri", '"09:00-12:00" and "11:30-18:00" overlap'),
    ("inverted_hours.yml", 7, "office_hours.mon-fri", '"18:00-09:00" ends before it starts'),
    ("weekday_twice.yml", 8, "office_hours.wed", 'wed is already given by "mon-fri"'),
    ("unknown_country.yml", 9, "holidays.country", '"XX" is not a country'),
    ("unknown_timezone.yml", 4, "organisation.timezone", '"Asia/Seol" is not a timezone'),
    ("unknown_role.yml", 24, "staff[1].role", '"boss" is not allowed (expected agent, officer, admin or agency)'),
    ("bad_extra_date.yml", 10, "holidays.extra[1]", '"2026-02-30" is not a date'),
    ("extra_not_a_date.yml", 10, "holidays.extra[0]", '"next friday" is not a date'),
    ("unknown_category.yml", 18, "clocks.non_response", 'unknown category "non_response"'),
    ("unknown_clock_key.yml", 15, "clocks.inquiry.interm", 'unknown key "interm"'),
    ("bad_interim.yml", 15, "clocks.inquiry.interim", '"sometimes" is not allowed'),
    ("no_office_hours.yml", 17, "clocks.appointment_request.reply_within", "no office_hours"),
    ("kr_hours_without_office_hours.yml", 10, "clocks.inquiry.reply_within", "no office_hours"),
    ("kr_counting_without_kr.yml", 14, "clocks.inquiry.counting", "set holidays.country to KR"),
    ("kr_counting_business_days.yml", 14, "clocks.inquiry.counting", "counts periods in days"),
    ("duplicate_telegram_id.yml", 24, "staff[1].telegram_id", "telegram_id 1001 is listed twice"),
    ("bad_language.yml", 5, "organisation.languages[1]", '"klingon" is not a language code'),
    ("missing_clock.yml", 11, "clocks.appointment_request", "is required"),
]


@pytest.mark.parametrize("name, line, field, what", BAD, ids=[case[0] for case in BAD])
def test_invalid_charter_names_file_line_and_field(name, line, field, what):
    with pytest.raises(CharterError) as caught:
        load_charter(FIXTURES / name)
    expected = f"{FIXTURES / name}:{line}: {field}: "
    assert any(text.startswith(expected) and what in text for text in str(caught.value).splitlines()), str(
        caught.value
    )


def test_the_message_reads_as_in_the_design(monkeypatch):
    monkeypatch.chdir(FIXTURES)
    with pytest.raises(CharterError) as caught:
        load_charter("bad_duration.yml")
    assert str(caught.value) == (
        'bad_duration.yml:13: clocks.inquiry.reply_within: "7 dayz" is not a duration '
        '(expected e.g. "7 days", "3 business days", "48 hours")'
    )
    assert caught.value.problems[0].line == 13


@pytest.mark.parametrize(
    "name, line, what",
    [
        ("bad_yaml.yml", 18, "not valid YAML"),  # the mapping opened on line 17 is found unclosed on 18
        ("duplicate_key.yml", 21, 'duplicate key "quiet_hours"'),
        ("empty.yml", None, "a charter is a mapping"),
    ],
)
def test_unusable_yaml(name, line, what):
    with pytest.raises(CharterError) as caught:
        load_charter(FIXTURES / name)
    prefix = f"{FIXTURES / name}:{line}: " if line else f"{FIXTURES / name}"
    assert str(caught.value).startswith(prefix) and what in str(caught.value)


def test_unreadable_file(tmp_path):
    with pytest.raises(CharterError, match=r"missing\.yml: cannot read the charter"):
        load_charter(tmp_path / "missing.yml")
    with pytest.raises(CharterError, match="cannot read the charter"):
        load_charter(tmp_path)  # a directory


def test_empty_values_are_named(tmp_path):
    text = (FIXTURES / "valid.yml").read_text()
    text = text.replace("name: 테스트복지관", 'name: ""').replace(
        "staff_chat_id: -1001234567890", "staff_chat_id:"
    )
    path = tmp_path / "charter.yml"
    path.write_text(text)
    with pytest.raises(CharterError) as caught:
        load_charter(path)
    assert f"{path}:3: organisation.name: must not be empty" in str(caught.value)
    assert f"{path}:25: staff_chat_id: has no value" in str(caught.value)
