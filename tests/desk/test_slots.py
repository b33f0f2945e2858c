"""Appointment slots under the default charter: Mon–Fri 09–12 and 13–18 in Seoul, KR holidays, 31 Dec closed."""

from datetime import date

from desk.tickets import slots
from tests.conftest import at

NOW = at("2026-11-23T10:15:00+09:00")  # Monday morning


def seoul(text: str):
    return at(text + "+09:00")


def test_verdicts(charter):
    calendar = charter.calendar
    assert slots.verdict(calendar, seoul("2026-11-24T14:00"), now=NOW) == "open"
    assert slots.verdict(calendar, seoul("2026-11-23T09:00"), now=NOW) == "past"
    assert slots.verdict(calendar, seoul("2026-11-28T11:00"), now=NOW) == "closed_day"  # Saturday
    assert slots.verdict(calendar, seoul("2026-12-25T11:00"), now=NOW) == "holiday"  # Christmas
    assert slots.verdict(calendar, seoul("2026-12-31T11:00"), now=NOW) == "holiday"  # the charter's closure
    assert slots.verdict(calendar, seoul("2026-11-24T19:00"), now=NOW) == "closed_hours"
    # An hour that runs into the lunch break, or past closing, does not fit.
    assert slots.verdict(calendar, seoul("2026-11-24T11:30"), now=NOW) == "closed_hours"
    assert slots.verdict(calendar, seoul("2026-11-24T17:30"), now=NOW) == "closed_hours"


def test_a_saturday_gets_friday_and_monday_at_the_same_time(charter):
    offered = slots.nearest(charter.calendar, seoul("2026-11-28T11:00"), now=NOW)
    assert offered == [seoul("2026-11-27T11:00"), seoul("2026-11-30T10:00"), seoul("2026-11-30T11:00")]


def test_nearness_counts_business_days(charter):
    # Christmas Friday: Thursday and Monday are each one business day away.
    offered = slots.nearest(charter.calendar, seoul("2026-12-25T11:00"), now=NOW)
    assert offered == [seoul("2026-12-24T11:00"), seoul("2026-12-28T10:00"), seoul("2026-12-28T11:00")]


def test_an_evening_gets_the_latest_hours_that_day_and_the_next(charter):
    offered = slots.nearest(charter.calendar, seoul("2026-11-24T20:00"), now=NOW)
    assert offered == [seoul("2026-11-24T16:00"), seoul("2026-11-24T17:00"), seoul("2026-11-25T17:00")]


def test_nothing_in_the_past_is_offered(charter):
    offered = slots.nearest(charter.calendar, seoul("2026-11-23T08:00"), now=NOW)
    assert all(start > NOW for start in offered)
    assert offered[0] == seoul("2026-11-23T11:00")


def test_a_day_gets_three_slots_spread_over_it_or_the_next_business_day(charter):
    calendar = charter.calendar
    spread = [seoul("2026-11-24T09:00"), seoul("2026-11-24T13:00"), seoul("2026-11-24T17:00")]
    assert slots.on_day(calendar, date(2026, 11, 24), now=NOW) == spread
    # Christmas (Friday): the next business day is Monday the 28th.
    assert slots.on_day(calendar, date(2026, 12, 25), now=NOW)[0] == seoul("2026-12-28T09:00")
    assert slots.day_verdict(calendar, date(2026, 12, 25), now=NOW) == "holiday"
    assert slots.day_verdict(calendar, date(2026, 11, 29), now=NOW) == "closed_day"
    assert slots.day_verdict(calendar, date(2026, 11, 20), now=NOW) == "past"


def test_with_no_time_asked_we_suggest_the_next_business_morning(charter):
    offered = slots.suggestions(charter.calendar, now=NOW)
    assert offered == [seoul("2026-11-24T09:00"), seoul("2026-11-24T10:00"), seoul("2026-11-25T10:00")]
