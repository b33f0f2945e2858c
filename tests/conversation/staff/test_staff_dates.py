"""Dates staff type: in their language, in the charter's timezone, a trailing date split off a reason."""

import pytest

from conversation.staff.dates import parse_moment, split_trailing_moment
from tests.conftest import at

NOW = at("2026-11-23T10:15:00+09:00")


@pytest.mark.parametrize(
    "language, text, expected, has_time",
    [
        ("en", "2026-12-10 18:00", "2026-12-10T18:00:00+09:00", True),
        ("ko", "12월 10일 15시", "2026-12-10T15:00:00+09:00", True),
        ("hu", "december 10. 14:30", "2026-12-10T14:30:00+09:00", True),
        ("en", "10 December 2026 6pm", "2026-12-10T18:00:00+09:00", True),
        # A date without a time is the close of that day's office hours.
        ("en", "2026-12-10", "2026-12-10T18:00:00+09:00", False),
        ("ko", "12월 12일", "2026-12-12T23:59:59+09:00", False),  # a Saturday: no office hours
    ],
)
def test_dates_in_each_language(charter, language, text, expected, has_time):
    moment, timed = parse_moment(text, language=language, calendar=charter.calendar, now=NOW)
    assert moment == at(expected) and timed == has_time


@pytest.mark.parametrize("text", ["", "soon", "may", "a", "27", "next week maybe", "2 weeks"])
def test_words_and_bare_numbers_are_not_dates(charter, text):
    assert parse_moment(text, language="en", calendar=charter.calendar, now=NOW) is None


@pytest.mark.parametrize(
    "language, text, reason, due",
    [
        ("en", "Waiting for the district office 2026-12-10 18:00", "Waiting for the district office", "2026-12-10T18:00:00+09:00"),
        ("en", "Waiting on form 27", "Waiting on form 27", None),
        ("en", "Waiting on form 27 2026-12-10 18:00", "Waiting on form 27", "2026-12-10T18:00:00+09:00"),
        ("ko", "구청 자료를 기다리고 있습니다 12월 10일 18시", "구청 자료를 기다리고 있습니다", "2026-12-10T18:00:00+09:00"),
        ("hu", "Iratokra várunk\na hivataltól december 10. 18:00", "Iratokra várunk\na hivataltól", "2026-12-10T18:00:00+09:00"),
        ("en", "We may need a day", "We may need a day", None),
    ],
)
def test_a_trailing_date_is_split_from_the_reason(charter, language, text, reason, due):
    got_reason, got_due = split_trailing_moment(text, language=language, calendar=charter.calendar, now=NOW)
    assert got_reason == reason
    assert got_due == (at(due) if due else None)
