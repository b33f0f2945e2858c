"""Report periods, the charter's weekly report moment, the weekly push and the officer's /report answer."""

from pathlib import Path

import pytest
from sqlalchemy import select

from desk.charter.model import CharterError, load_charter
from desk.outbox import OutboxMessage
from conversation.reports.officer import report_for_officer
from desk.reports.period import PeriodError, parse_period
from desk.reports.schedule import WeeklyTime
from conversation.promises.weekly import weekly_report_due
from conversation.citizen.flows import Desk
from tests.conftest import ROOT, at
from tests.desk.reports.test_reports_seed import AS_OF, seed_history

# --- periods -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, first, last, canonical",
    [
        ("2026-11", "2026-11-01", "2026-11-30", "2026-11"),
        ("2026-2", "2026-02-01", "2026-02-28", "2026-02"),
        ("2026-Q4", "2026-10-01", "2026-12-31", "2026-Q4"),
        ("2026-q1", "2026-01-01", "2026-03-31", "2026-Q1"),
        ("2026", "2026-01-01", "2026-12-31", "2026"),
        (" 2026-11-01..2026-11-30 ", "2026-11-01", "2026-11-30", "2026-11-01..2026-11-30"),
        ("2026-11-05..2026-11-05", "2026-11-05", "2026-11-05", "2026-11-05..2026-11-05"),
    ],
)
def test_periods_people_type(text, first, last, canonical):
    period = parse_period(text)
    assert (period.first.isoformat(), period.last.isoformat(), period.text) == (first, last, canonical)


@pytest.mark.parametrize(
    "text, why",
    [
        ("", ""),
        ("november", ""),
        ("2026-13", "there is no such month"),
        ("2026-Q5", ""),
        ("2026-11-31..2026-12-01", "there is no such day"),
        ("2026-12-01..2026-11-01", "it ends before it starts"),
        ("2026/11/01..2026/11/30", "a day is written YYYY-MM-DD"),
        ("2000-01-01..2026-01-01", "a report covers at most 10 years"),
        ("9999", "reports cover the years 1900 to 9998"),
    ],
)
def test_bad_periods_say_what_is_wrong_and_what_is_expected(text, why):
    with pytest.raises(PeriodError) as caught:
        parse_period(text)
    message = str(caught.value)
    assert message.startswith(f'"{text.strip()}" is not a period') and why in message
    assert "expected e.g. 2026-11, 2026-Q4, 2026, 2026-11-01..2026-11-30" in message


def test_period_labels_and_months(charter):
    quarter = parse_period("2026-Q4")
    assert [quarter.label(lang) for lang in ("ko", "en", "hu")] == [
        "2026년 4분기",
        "Q4 2026",
        "2026. IV. n.év",
    ]
    assert [m.month for m in quarter.months()] == [10, 11, 12]
    assert parse_period("2026-11-25..2027-01-05").months()[-1].isoformat() == "2027-01-01"
    assert quarter.start(charter.timezone).isoformat() == "2026-10-01T00:00:00+09:00"
    assert quarter.end(charter.timezone).isoformat() == "2027-01-01T00:00:00+09:00"


# --- the charter's weekly moment -------------------------------------------------------------


def test_weekly_times():
    assert WeeklyTime.parse("mon 09:00") == WeeklyTime(0, 540)
    assert WeeklyTime.parse("Fri 17:30") == WeeklyTime(4, 1050)
    assert str(WeeklyTime.parse("sun 00:05")) == "sun 00:05"
    for bad in ("monday 09:00", "mon", "mon 25:00", "mon 24:00", "09:00 mon", 5, None):
        with pytest.raises(ValueError):
            WeeklyTime.parse(bad)


def test_the_latest_weekly_moment(charter):
    monday_nine = WeeklyTime(0, 540)
    zone = charter.timezone
    assert monday_nine.last_at_or_before(at("2026-11-23T09:00:00+09:00"), zone) == at(
        "2026-11-23T09:00:00+09:00"
    )
    assert monday_nine.last_at_or_before(at("2026-11-23T08:59:00+09:00"), zone) == at(
        "2026-11-16T09:00:00+09:00"
    )
    assert monday_nine.last_at_or_before(at("2026-11-26T15:00:00+09:00"), zone) == at(
        "2026-11-23T09:00:00+09:00"
    )


def charter_with(tmp_path: Path, extra: str):
    path = tmp_path / "charter.yml"
    path.write_text((ROOT / "charter.yml").read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def test_the_charter_sets_the_weekly_report_or_keeps_monday_nine(tmp_path, charter):
    assert charter.reports.weekly == WeeklyTime(0, 540)
    friday = load_charter(charter_with(tmp_path, 'reports:\n  weekly: "fri 16:00"\n'))
    assert friday.reports.weekly == WeeklyTime(4, 960)
    assert friday.model_dump(mode="json")["reports"] == {"weekly": "fri 16:00"}
    assert load_charter(charter_with(tmp_path, "reports:\n  weekly: null\n")).reports.weekly is None


def test_a_bad_weekly_moment_names_file_line_and_field(tmp_path):
    path = charter_with(tmp_path, 'reports:\n  weekly: "someday 9"\n')
    with pytest.raises(CharterError) as caught:
        load_charter(path)
    line = len(path.read_text(encoding="utf-8").splitlines())
    assert f'{path}:{line}: reports.weekly: "someday 9" is not a weekly time' in str(caught.value)


# --- the weekly push -------------------------------------------------------------------------


async def weekly(store, desk, now):
    async with store.unit_of_work() as session:
        return await weekly_report_due(session=session, desk=desk, now=now)


async def test_officers_get_last_weeks_report_once_a_week(store, desk):
    await seed_history(store)
    assert await weekly(store, desk, at("2026-11-23T08:59:00+09:00")) != []  # the week before, never sent
    monday = at("2026-11-23T09:30:00+09:00")
    [pushed] = await weekly(store, desk, monday)
    assert pushed.chat_id == 1001  # charter.yml's one officer, in a private chat
    lines = pushed.text.splitlines()
    assert lines[0] == "주간 보고"
    assert lines[1] == "안심종합사회복지관 서비스헌장 이행 현황: 2026년 11월 16일~22일"
    assert lines[3].startswith("전체: 접수 2건")  # I-1003 (Mon 16th) and A-1008 (Fri 20th)
    assert await weekly(store, desk, monday) == []
    assert await weekly(store, desk, at("2026-11-30T08:00:00+09:00")) == []
    [next_week] = await weekly(store, desk, at("2026-11-30T09:00:00+09:00"))
    assert "2026년 11월 23일~29일" in next_week.text
    async with store.unit_of_work() as session:
        keys = (await session.scalars(select(OutboxMessage.key).order_by(OutboxMessage.id))).all()
    assert keys == [
        "report:weekly:2026-11-16:1001",
        "report:weekly:2026-11-23:1001",
        "report:weekly:2026-11-30:1001",
    ]


async def test_no_weekly_push_when_the_charter_turns_it_off(store, desk):
    reports = desk.charter.reports.model_copy(update={"weekly": None})
    quiet = Desk(charter=desk.charter.model_copy(update={"reports": reports}), texts=desk.texts)
    assert await weekly(store, quiet, at("2026-11-23T09:30:00+09:00")) == []


# --- /report for officers --------------------------------------------------------------------


async def officer_report(store, desk, period, language="en", now=AS_OF):
    async with store.unit_of_work() as session:
        return await report_for_officer(session=session, desk=desk, period=period, language=language, now=now)


async def test_the_officer_gets_text_chart_and_csv(store, desk):
    await seed_history(store)
    answer = await officer_report(store, desk, "2026-11")
    assert answer.text.startswith("안심종합사회복지관: service charter compliance, November 2026")
    assert "4 of 7 answered on time (57.1%)" in answer.text
    assert answer.png.startswith(b"\x89PNG") and answer.filename == "charter-compliance-2026-11"
    assert answer.csv.decode("utf-8-sig").splitlines()[1].startswith("2026-11,,all,8,4,3,1,0.5714,50.5,384.0")


async def test_without_a_period_the_officer_gets_this_month_so_far(store, desk):
    await seed_history(store)
    answer = await officer_report(store, desk, None, now=at("2026-11-28T10:00:00+09:00"))
    assert answer.filename == "charter-compliance-2026-11"


async def test_a_bad_period_gets_a_polite_answer_and_no_files(store, desk):
    answer = await officer_report(store, desk, "last week", language="ko")
    assert answer.text == desk.texts.render("utter_report_bad_period", "ko", given="last week")
    assert answer.png is None and answer.csv is None


async def test_a_desk_installed_after_the_weekly_moment_waits_for_next_weeks_report(store, desk):
    assert await weekly(store, desk, at("2026-11-23T09:30:00+09:00")) == []
