"""Business-time arithmetic, checked against hand-computed deadlines.

Korean public holidays in 2026 (holidays package): 01-01, 02-16..18 (Seollal), 03-01 + 03-02
(substitute), 05-01 (Labor Day), 05-05, 05-24 + 05-25 (substitute), 06-03 (local elections),
06-06, 07-17, 08-15 + 08-17, 09-24..26 (Chuseok), 10-03 + 10-05, 10-09, 12-25. The Seoul calendar
below also closes on 2026-12-31 (`extra`). 2027-01-01 is a Friday holiday.
Budapest changes clocks on Sun 2026-03-29 (02:00 CET -> 03:00 CEST) and Sun 2026-10-25
(03:00 CEST -> 02:00 CET).
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk.charter.calendar import BusinessCalendar, CalendarError, due_at, public_holidays, remind_at
from desk.charter.durations import Duration, DurationError, parse_duration
from desk.charter.hours import HoursError, QuietHours

SEOUL = ZoneInfo("Asia/Seoul")
BUDAPEST = ZoneInfo("Europe/Budapest")
KR = "kr-civil-petitions"

seoul = BusinessCalendar.build(
    "Asia/Seoul", {"mon-fri": "09:00-12:00,13:00-18:00"}, "KR", [date(2026, 12, 31)]
)
budapest = BusinessCalendar.build("Europe/Budapest", {"mon-fri": "09:00-16:00"}, "HU")
# Office hours across the night of the clock changes, to see business time shrink and stretch.
budapest_nights = BusinessCalendar.build("Europe/Budapest", {"sun": "01:00-04:00"}, "HU")


def kst(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SEOUL)


def hu(*parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=BUDAPEST, fold=fold)


def due(calendar: BusinessCalendar, received: datetime, text: str, counting: str | None = None) -> datetime:
    return due_at(calendar, received, parse_duration(text), counting)


def same_moment(actual: datetime, expected: datetime) -> bool:
    """Equal as instants and written with the same UTC offset."""
    return actual == expected and actual.utcoffset() == expected.utcoffset()


def test_the_2026_korean_holidays_the_cases_rely_on():
    days = public_holidays("KR", 2026)
    for day in ("2026-09-24", "2026-09-25", "2026-09-26", "2026-10-05", "2026-12-25"):
        assert date.fromisoformat(day) in days
    assert date(2027, 1, 1) in public_holidays("KR", 2027)
    assert seoul.is_holiday(date(2026, 12, 31)) and not seoul.is_business_day(date(2026, 12, 31))


# --- durations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("7 days", Duration(7, "days")),
        ("1 day", Duration(1, "days")),
        ("3 business days", Duration(3, "business_days")),
        ("1 business hour", Duration(1, "business_hours")),
        ("48 hours", Duration(48, "hours")),
        ("30 minutes", Duration(30, "minutes")),
        ("  2  Business   Days ", Duration(2, "business_days")),
    ],
)
def test_durations_parse(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["7 dayz", "-3 days", "0 days", "seven days", "7", "7 business minutes", 7, None]
)
def test_bad_durations_are_refused(text):
    with pytest.raises(DurationError, match=r"duration"):
        parse_duration(text)


def test_duration_prints_back():
    assert str(parse_duration("1 business days")) == "1 business day"
    assert str(parse_duration("15 days")) == "15 days"


# --- minutes / hours: exact ---------------------------------------------------------------


def test_hours_are_exact_whatever_the_office_hours():
    assert due(seoul, kst(2026, 11, 30, 10), "48 hours") == kst(2026, 12, 2, 10)
    assert due(seoul, kst(2026, 12, 4, 17, 55), "90 minutes") == kst(2026, 12, 4, 19, 25)


def test_hours_come_back_in_the_charters_timezone():
    result = due(seoul, datetime.fromisoformat("2026-11-30T01:00:00+00:00"), "2 hours")
    assert result.isoformat() == "2026-11-30T12:00:00+09:00"


def test_hours_across_spring_forward_are_elapsed_time():
    # Fri 12:00 CET is 11:00 UTC; 48 h later is Sun 11:00 UTC, which is 13:00 CEST, not 12:00.
    assert same_moment(due(budapest, hu(2026, 3, 27, 12), "48 hours"), hu(2026, 3, 29, 13))


def test_hours_across_fall_back_are_elapsed_time():
    # Fri 12:00 CEST is 10:00 UTC; 48 h later is Sun 10:00 UTC = 11:00 CET.
    assert same_moment(due(budapest, hu(2026, 10, 23, 12), "48 hours"), hu(2026, 10, 25, 11))


# --- days: 23:59:59 on the Nth calendar day ------------------------------------------------


def test_days_end_at_the_last_second_of_the_nth_day():
    assert due(seoul, kst(2026, 11, 30, 10), "7 days") == kst(2026, 12, 7, 23, 59, 59)
    assert due(seoul, kst(2026, 12, 5, 11), "3 days") == kst(2026, 12, 8, 23, 59, 59)  # from a Saturday


def test_days_count_from_the_local_day_of_receipt():
    # 20:00 UTC on 29 Nov is already Monday 30 Nov, 05:00, in Seoul.
    received = datetime.fromisoformat("2026-11-29T20:00:00+00:00")
    assert due(seoul, received, "1 day") == kst(2026, 12, 1, 23, 59, 59)


def test_days_across_the_year_boundary():
    assert due(seoul, kst(2026, 12, 31, 23, 30), "1 day") == kst(2027, 1, 1, 23, 59, 59)


def test_days_across_dst_keep_the_wall_clock():
    assert same_moment(due(budapest, hu(2026, 3, 27, 10), "2 days"), hu(2026, 3, 29, 23, 59, 59))
    assert due(budapest, hu(2026, 3, 27, 10), "2 days").utcoffset() == timedelta(hours=2)
    assert same_moment(due(budapest, hu(2026, 10, 24, 10), "1 day"), hu(2026, 10, 25, 23, 59, 59))
    assert due(budapest, hu(2026, 10, 24, 10), "1 day").utcoffset() == timedelta(hours=1)


# --- business days: close of the Nth business day after the day of receipt -----------------


@pytest.mark.parametrize(
    "received, text, expected",
    [
        (kst(2026, 11, 30, 10), "1 business day", kst(2026, 12, 1, 18)),  # Monday morning
        (kst(2026, 11, 30, 8), "1 business day", kst(2026, 12, 1, 18)),  # before opening: still not counted
        (kst(2026, 11, 30, 12, 30), "1 business day", kst(2026, 12, 1, 18)),  # lunch
        (kst(2026, 12, 4, 17, 55), "1 business day", kst(2026, 12, 7, 18)),  # Friday 17:55 -> Monday
        (kst(2026, 12, 4, 19), "1 business day", kst(2026, 12, 7, 18)),  # Friday after close
        (kst(2026, 12, 5, 11), "1 business day", kst(2026, 12, 7, 18)),  # Saturday
        (kst(2026, 12, 25, 11), "1 business day", kst(2026, 12, 28, 18)),  # on Christmas
        # Eve of Chuseok: Thu 24, Fri 25 holidays, Sat 26, Sun 27 -> Monday 28.
        (kst(2026, 9, 23, 15), "1 business day", kst(2026, 9, 28, 18)),
        # Thu 24 (1), Fri 25 Christmas, Mon 28 (2), Tue 29 (3).
        (kst(2026, 12, 23, 10), "3 business days", kst(2026, 12, 29, 18)),
        # Wed 30 (1), Thu 31 closure, Fri 1 Jan holiday, Mon 4 Jan (2).
        (kst(2026, 12, 29, 10), "2 business days", kst(2027, 1, 4, 18)),
    ],
)
def test_business_days(received, text, expected):
    assert due(seoul, received, text) == expected


def test_business_days_across_spring_forward():
    result = due(budapest, hu(2026, 3, 27, 10), "1 business day")
    assert result.isoformat() == "2026-03-30T16:00:00+02:00"


def test_business_days_skip_hungarian_holidays():
    # Thu 2 Apr 15:00: Fri 3 Good Friday, Mon 6 Easter Monday -> Tue 7 (1), Wed 8 (2).
    assert same_moment(due(budapest, hu(2026, 4, 2, 15), "2 business days"), hu(2026, 4, 8, 16))


# --- business hours -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "received, text, expected",
    [
        (kst(2026, 11, 30, 10), "3 business hours", kst(2026, 11, 30, 14)),  # 10-12, then 13-14
        (kst(2026, 11, 30, 12, 30), "2 business hours", kst(2026, 11, 30, 15)),  # lunch: from 13:00
        (kst(2026, 11, 30, 7), "1 business hour", kst(2026, 11, 30, 10)),  # before opening
        (kst(2026, 11, 30, 19), "1 business hour", kst(2026, 12, 1, 10)),  # after close
        (kst(2026, 11, 30, 16), "2 business hours", kst(2026, 11, 30, 18)),  # fits exactly: the close
        (kst(2026, 11, 30, 9), "3 business hours", kst(2026, 11, 30, 12)),  # fits exactly: lunch
        (kst(2026, 12, 4, 17, 55), "1 business hour", kst(2026, 12, 7, 9, 55)),  # 5 min Fri + 55 Mon
        (kst(2026, 12, 5, 10), "1 business hour", kst(2026, 12, 7, 10)),  # Saturday
        # Wed 17-18 (1 h), Thu 31 closure, 1 Jan holiday, weekend, Mon 4 Jan 09-11.
        (kst(2026, 12, 30, 17), "3 business hours", kst(2027, 1, 4, 11)),
        # Eve of Chuseok, 17:00: 1 h Wed, then Mon 28 09-12 and 13-14.
        (kst(2026, 9, 23, 17), "5 business hours", kst(2026, 9, 28, 14)),
    ],
)
def test_business_hours(received, text, expected):
    assert due(seoul, received, text) == expected


def test_business_hours_across_a_weekend_and_spring_forward():
    # Fri 15:00 CET: 1 h on Friday, the second from 09:00 CEST on Monday.
    assert due(budapest, hu(2026, 3, 27, 15), "2 business hours").isoformat() == "2026-03-30T10:00:00+02:00"


def test_business_hours_inside_the_spring_forward_gap():
    # Office 01:00-04:00 on Sun 29 Mar lasts 2 real hours (00:00-02:00 UTC): 02:00-03:00 never happens.
    received = hu(2026, 3, 29, 1)
    assert due(budapest_nights, received, "1 business hour").isoformat() == "2026-03-29T03:00:00+02:00"
    assert due(budapest_nights, received, "2 business hours").isoformat() == "2026-03-29T04:00:00+02:00"
    # The third hour spills into the next open Sunday: 5 Apr is Easter Sunday, so 12 Apr.
    assert due(budapest_nights, received, "3 business hours").isoformat() == "2026-04-12T02:00:00+02:00"


def test_business_hours_inside_the_fall_back_repeat():
    # Office 01:00-04:00 on Sun 25 Oct lasts 4 real hours (23:00-03:00 UTC); 02:00 happens twice.
    received = hu(2026, 10, 25, 1)
    assert due(budapest_nights, received, "1 business hour").isoformat() == "2026-10-25T02:00:00+02:00"
    assert due(budapest_nights, received, "2 business hours").isoformat() == "2026-10-25T02:00:00+01:00"
    assert due(budapest_nights, received, "4 business hours").isoformat() == "2026-10-25T04:00:00+01:00"


# --- kr-civil-petitions -------------------------------------------------------------------


@pytest.mark.parametrize(
    "received, text, expected",
    [
        # <= 5 days: 8 business hours a day from receipt.
        # 3 days = 24 h: Mon 10-12, 13-18 (7), Tue (15), Wed (23), Thu 09-10.
        (kst(2026, 11, 30, 10), "3 days", kst(2026, 12, 3, 10)),
        # 1 day = 8 h from Fri 17:00: 1 h Friday, Mon 09-12 (4), 13-17 (8).
        (kst(2026, 12, 4, 17), "1 day", kst(2026, 12, 7, 17)),
        # 5 days = 40 h from Monday's opening: exactly the week, ending at Friday's close.
        (kst(2026, 11, 30, 9), "5 days", kst(2026, 12, 4, 18)),
        # 5 days from Mon 10:00: 39 h by Friday's close, the 40th is Mon 09-10.
        (kst(2026, 11, 30, 10), "5 days", kst(2026, 12, 7, 10)),
        # Received on Saturday: nothing counts until Monday 09:00; 24 h -> Wednesday's close.
        (kst(2026, 12, 5, 10), "3 days", kst(2026, 12, 9, 18)),
        # >= 6 days: days, the day of receipt included, to the close of the last one.
        # Mon 30 (1), Tue 1, Wed 2, Thu 3, Fri 4 (5), Mon 7 (6).
        (kst(2026, 11, 30, 10), "6 days", kst(2026, 12, 7, 18)),
        # ... Tue 8 (7).
        (kst(2026, 11, 30, 10), "7 days", kst(2026, 12, 8, 18)),
        # The receipt day counts even when the message comes after the close.
        (kst(2026, 11, 30, 20), "7 days", kst(2026, 12, 8, 18)),
        # A Saturday receipt day is not counted: Mon 7 (1) ... Fri 11 (5), Mon 14 (6), Tue 15 (7).
        (kst(2026, 12, 5, 11), "7 days", kst(2026, 12, 15, 18)),
        # Eve of Chuseok: Wed 23 (1), Thu 24-Sun 27 not counted, Mon 28 (2), Tue 29, Wed 30,
        # Thu 1 Oct, Fri 2 Oct (6), Sat 3, Sun 4, Mon 5 Oct (substitute holiday), Tue 6 Oct (7).
        (kst(2026, 9, 23, 15), "7 days", kst(2026, 10, 6, 18)),
        # Year boundary: Mon 28 (1), Tue 29, Wed 30 (3), Thu 31 closure, Fri 1 Jan holiday,
        # Mon 4 (4), Tue 5, Wed 6 (6), Thu 7 Jan (7).
        (kst(2026, 12, 28, 10), "7 days", kst(2027, 1, 7, 18)),
        # 15 days from Mon 30 Nov: three full weeks -> Fri 18 Dec.
        (kst(2026, 11, 30, 10), "15 days", kst(2026, 12, 18, 18)),
    ],
)
def test_kr_civil_petitions(received, text, expected):
    assert due(seoul, received, text, KR) == expected


def test_kr_civil_petitions_never_count_saturday_even_when_open():
    open_saturday = BusinessCalendar.build(
        "Asia/Seoul", {"mon-fri": "09:00-18:00", "sat": "09:00-13:00"}, "KR"
    )
    received = kst(2026, 12, 4, 12)  # Friday noon
    # Plain business hours use Saturday's office: Fri 12-18 (6 h) + Sat 09-11.
    assert due(open_saturday, received, "8 business hours") == kst(2026, 12, 5, 11)
    # The Act does not: Fri 12-18 (6 h) + Mon 09-11.
    assert due(open_saturday, received, "1 day", KR) == kst(2026, 12, 7, 11)
    # A Saturday receipt is not counted in the days branch either: Mon 7 (1) ... Mon 14 (6).
    assert due(open_saturday, kst(2026, 12, 5, 10), "6 days", KR) == kst(2026, 12, 14, 18)


def test_kr_civil_petitions_count_only_days():
    with pytest.raises(CalendarError, match="in days"):
        due(seoul, kst(2026, 11, 30, 10), "3 business days", KR)


# --- open, next opening, quiet hours ------------------------------------------------------


@pytest.mark.parametrize(
    "moment, is_open",
    [
        (kst(2026, 11, 30, 9), True),
        (kst(2026, 11, 30, 11, 59), True),
        (kst(2026, 11, 30, 12), False),  # lunch starts
        (kst(2026, 11, 30, 13), True),
        (kst(2026, 11, 30, 17, 59, 59), True),
        (kst(2026, 11, 30, 18), False),
        (kst(2026, 12, 5, 10), False),  # Saturday
        (kst(2026, 12, 25, 10), False),  # Christmas
        (kst(2026, 12, 31, 10), False),  # extra closure
    ],
)
def test_is_business_time(moment, is_open):
    assert seoul.is_business_time(moment) is is_open
    assert seoul.is_open(moment) is is_open


@pytest.mark.parametrize(
    "moment, expected",
    [
        (kst(2026, 11, 30, 10), kst(2026, 11, 30, 10)),  # open: now
        (kst(2026, 11, 30, 12, 30), kst(2026, 11, 30, 13)),
        (kst(2026, 12, 4, 18, 30), kst(2026, 12, 7, 9)),
        (kst(2026, 12, 30, 18, 30), kst(2027, 1, 4, 9)),
    ],
)
def test_next_opening(moment, expected):
    assert seoul.next_opening(moment) == expected


def test_next_opening_across_spring_forward():
    assert seoul.next_opening(kst(2026, 12, 5)).tzinfo is SEOUL
    assert budapest.next_opening(hu(2026, 3, 28, 12)).isoformat() == "2026-03-30T09:00:00+02:00"


QUIET = QuietHours.parse("21:00-08:00")


@pytest.mark.parametrize(
    "moment, quiet",
    [
        (kst(2026, 11, 30, 20, 59), False),
        (kst(2026, 11, 30, 21), True),
        (kst(2026, 11, 30, 23, 30), True),
        (kst(2026, 12, 1, 3), True),
        (kst(2026, 12, 1, 7, 59), True),
        (kst(2026, 12, 1, 8), False),
        (kst(2026, 12, 1, 12), False),
    ],
)
def test_quiet_hours_cross_midnight(moment, quiet):
    assert seoul.in_quiet_hours(moment, QUIET) is quiet


def test_quiet_hours_end():
    assert seoul.quiet_hours_end(kst(2026, 11, 30, 22), QUIET) == kst(2026, 12, 1, 8)
    assert seoul.quiet_hours_end(kst(2026, 12, 1, 3), QUIET) == kst(2026, 12, 1, 8)
    assert seoul.quiet_hours_end(kst(2026, 12, 1, 12), QUIET) == kst(2026, 12, 1, 12)
    assert seoul.quiet_hours_end(kst(2026, 12, 31, 23), QUIET) == kst(2027, 1, 1, 8)


def test_quiet_hours_within_a_day_and_none():
    siesta = QuietHours.parse("12:00-14:00")
    assert seoul.in_quiet_hours(kst(2026, 11, 30, 13), siesta)
    assert not seoul.in_quiet_hours(kst(2026, 11, 30, 14), siesta)
    assert seoul.quiet_hours_end(kst(2026, 11, 30, 13), siesta) == kst(2026, 11, 30, 14)
    assert not seoul.in_quiet_hours(kst(2026, 11, 30, 23), None)


def test_quiet_hours_across_spring_forward():
    # 22:00 CET to 08:00 CEST is 9 real hours.
    end = budapest.quiet_hours_end(hu(2026, 3, 28, 22), QUIET)
    assert end.isoformat() == "2026-03-29T08:00:00+02:00"
    # An end that does not exist that night (02:30) is the moment the clock jumps past it.
    short = QuietHours.parse("22:00-02:30")
    assert budapest.quiet_hours_end(hu(2026, 3, 28, 23), short).isoformat() == "2026-03-29T03:30:00+02:00"


@pytest.mark.parametrize("text", ["21:00-21:00", "25:00-08:00", "21:00", "9-17", 2100])
def test_bad_quiet_hours(text):
    with pytest.raises(HoursError):
        QuietHours.parse(text)


# --- reminders: subtracting business time -------------------------------------------------


@pytest.mark.parametrize(
    "due_moment, text, expected",
    [
        (kst(2026, 12, 8, 18), "1 business day", kst(2026, 12, 7, 18)),
        (kst(2026, 12, 7, 18), "1 business day", kst(2026, 12, 4, 18)),  # Monday -> Friday
        (kst(2026, 12, 8, 10), "1 business day", kst(2026, 12, 7, 10)),  # same wall time
        # Due at Sunday's last second: Friday, but no later than its close.
        (kst(2026, 12, 6, 23, 59, 59), "1 business day", kst(2026, 12, 4, 18)),
        # Mon 4 Jan: Fri 1 Jan holiday, Thu 31 closure -> Wed 30 Dec.
        (kst(2027, 1, 4, 18), "1 business day", kst(2026, 12, 30, 18)),
        (kst(2026, 12, 8, 10), "2 business hours", kst(2026, 12, 7, 17)),  # Tue 09-10, Mon 17-18
        (kst(2026, 12, 7, 13, 30), "1 business hour", kst(2026, 12, 7, 11, 30)),  # across lunch
        (kst(2026, 12, 7, 10), "30 minutes", kst(2026, 12, 7, 9, 30)),
        (kst(2026, 12, 7, 10), "2 days", kst(2026, 12, 5, 10)),
    ],
)
def test_remind_at(due_moment, text, expected):
    assert remind_at(seoul, due_moment, parse_duration(text)) == expected


def test_remind_hours_before_across_spring_forward():
    # 03:30 CEST is 01:30 UTC; an hour earlier is 00:30 UTC = 01:30 CET.
    result = remind_at(budapest, hu(2026, 3, 29, 3, 30), parse_duration("1 hour"))
    assert result.isoformat() == "2026-03-29T01:30:00+01:00"


# --- refusals -----------------------------------------------------------------------------


def test_naive_datetimes_are_refused():
    with pytest.raises(CalendarError, match="timezone"):
        due(seoul, datetime(2026, 11, 30, 10), "1 business day")
    with pytest.raises(CalendarError):
        seoul.is_business_time(datetime(2026, 11, 30, 10))


def test_a_calendar_without_office_hours_has_no_business_time():
    closed = BusinessCalendar.build("Asia/Seoul")
    with pytest.raises(CalendarError, match="no office hours"):
        closed.next_opening(kst(2026, 11, 30, 10))


@pytest.mark.parametrize(
    "hours",
    [
        {"mon-fri": "09:00-12:00,11:00-18:00"},
        {"mon-fri": "18:00-09:00"},
        {"mon-fri": "09:00-18:00", "fri": "10:00-12:00"},
        {"mon-frx": "09:00-18:00"},
        {"fri-mon": "09:00-18:00"},
    ],
)
def test_bad_office_hours(hours):
    with pytest.raises(HoursError):
        BusinessCalendar.build("Asia/Seoul", hours)


# --- properties ---------------------------------------------------------------------------

FORMS = [
    "90 minutes",
    "48 hours",
    "1 day",
    "7 days",
    "1 business day",
    "3 business days",
    "1 business hour",
    "13 business hours",
]
KR_FORMS = ["1 day", "3 days", "5 days", "6 days", "7 days", "15 days"]
CALENDARS = {"seoul": seoul, "budapest": budapest}


def receipts(zone: ZoneInfo):
    naive = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31))
    return naive.map(lambda moment: moment.replace(tzinfo=zone).astimezone(zone))


@settings(max_examples=150, deadline=None, database=None)
@given(data=st.data(), name=st.sampled_from(sorted(CALENDARS)), form=st.sampled_from(FORMS))
def test_due_is_never_before_receipt_and_is_monotonic(data, name, form):
    calendar = CALENDARS[name]
    first = data.draw(receipts(calendar.timezone))
    later = first + data.draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)))
    assert due(calendar, first, form) >= first
    assert due(calendar, first, form) <= due(calendar, later, form)


@settings(max_examples=150, deadline=None, database=None)
@given(data=st.data(), form=st.sampled_from(KR_FORMS))
def test_kr_due_is_never_before_receipt_and_is_monotonic(data, form):
    first = data.draw(receipts(SEOUL))
    later = first + data.draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)))
    assert due(seoul, first, form, KR) >= first
    assert due(seoul, first, form, KR) <= due(seoul, later, form, KR)


def _inside_or_at_an_end(calendar: BusinessCalendar, moment: datetime) -> bool:
    local = calendar.local(moment)
    if not calendar.is_business_day(local.date()):
        return False
    minute = local.hour * 60 + local.minute + local.second / 60
    return any(r.start <= minute <= r.end for r in calendar.week[local.weekday()])


@settings(max_examples=150, deadline=None, database=None)
@given(data=st.data(), name=st.sampled_from(sorted(CALENDARS)), hours=st.integers(1, 60))
def test_business_hours_due_falls_in_office_hours(data, name, hours):
    calendar = CALENDARS[name]
    received = data.draw(receipts(calendar.timezone))
    result = due(calendar, received, f"{hours} business hours")
    assert _inside_or_at_an_end(calendar, result)
    assert result > received


@settings(max_examples=150, deadline=None, database=None)
@given(data=st.data(), name=st.sampled_from(sorted(CALENDARS)), minutes=st.integers(1, 3000))
def test_subtracting_business_time_undoes_adding_it(data, name, minutes):
    calendar = CALENDARS[name]
    received = data.draw(receipts(calendar.timezone)).replace(second=0, microsecond=0)
    amount = timedelta(minutes=minutes)
    later = calendar.add_business_time(received, amount)
    assert calendar.subtract_business_time(later, amount) == calendar.next_opening(received)


@settings(max_examples=150, deadline=None, database=None)
@given(
    data=st.data(),
    name=st.sampled_from(sorted(CALENDARS)),
    a=st.integers(1, 2000),
    b=st.integers(1, 2000),
)
def test_adding_business_time_a_then_b_equals_adding_a_plus_b(data, name, a, b):
    calendar = CALENDARS[name]
    received = data.draw(receipts(calendar.timezone))
    step = calendar.add_business_time(calendar.add_business_time(received, timedelta(minutes=a)), timedelta(minutes=b))
    assert step == calendar.add_business_time(received, timedelta(minutes=a + b))


@settings(max_examples=150, deadline=None, database=None)
@given(
    data=st.data(),
    name=st.sampled_from(sorted(CALENDARS)),
    form=st.sampled_from(["1 business day", "3 business days", "10 business days", "1 business hour", "13 business hours"]),
)
def test_a_business_clock_is_always_due_in_office_hours_on_a_business_day(data, name, form):
    calendar = CALENDARS[name]
    assert _inside_or_at_an_end(calendar, due(calendar, data.draw(receipts(calendar.timezone)), form))
