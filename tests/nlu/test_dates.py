"""The day and time asked for in an appointment message, in Korean, English and Hungarian."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from nlu.dates import find_preferred_time

SEOUL = ZoneInfo("Asia/Seoul")
BUDAPEST = ZoneInfo("Europe/Budapest")
MONDAY = datetime(2026, 11, 23, 10, 15, tzinfo=SEOUL)  # a Monday morning


def found(text: str, language: str | None, now: datetime = MONDAY, zone: ZoneInfo = SEOUL):
    return find_preferred_time(text, now=now, timezone=zone, language=language)


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        # The three examples of the brief: dateparser alone gets each of these wrong.
        ("ko", "다음 주 화요일 오후 2시", "2026-12-01 14:00"),
        ("hu", "jövő hétfő 10-kor", "2026-11-30 10:00"),
        ("en", "next Tuesday afternoon", "2026-12-01 14:00"),
        # Relative days.
        ("ko", "내일 오전 10시", "2026-11-24 10:00"),
        ("ko", "모레 3시", "2026-11-25 15:00"),
        ("ko", "이번 주 금요일 오전 11시", "2026-11-27 11:00"),
        ("ko", "다음주 수요일 10시 반에 상담 받고 싶어요", "2026-12-02 10:30"),
        ("en", "tomorrow at 10am", "2026-11-24 10:00"),
        ("en", "the day after tomorrow at 9:30", "2026-11-25 09:30"),
        ("en", "this Friday 3 pm", "2026-11-27 15:00"),
        ("en", "Could I come on Saturday at 11?", "2026-11-28 11:00"),
        ("hu", "holnap délután 2-kor", "2026-11-24 14:00"),
        ("hu", "holnapután reggel", "2026-11-25 09:00"),
        ("hu", "jövő hét szerdán 9 órakor", "2026-12-02 09:00"),
        ("hu", "pénteken fél 3-kor", "2026-11-27 14:30"),
        ("hu", "Ma 16:00 jó lenne?", "2026-11-23 16:00"),
        # Absolute dates are dateparser's; the clock time is read first.
        ("ko", "12월 3일 오후 2시 30분", "2026-12-03 14:30"),
        ("en", "I'd like to come in on December 3 at 14:30", "2026-12-03 14:30"),
        ("hu", "december 3-án 9 órakor", "2026-12-03 09:00"),
        # A time alone: today if still ahead, else tomorrow.
        ("en", "at 14:00", "2026-11-23 14:00"),
        ("ko", "오전 9시", "2026-11-24 09:00"),
    ],
)
def test_days_and_times_are_read_relative_to_the_message(language, text, expected):
    result = found(text, language)
    assert result is not None and result.has_time
    assert result.at.strftime("%Y-%m-%d %H:%M") == expected and result.at.tzinfo == SEOUL


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("ko", "12월 3일에 상담 예약하고 싶어요", "2026-12-03"),
        ("en", "Can I book an appointment for Thursday?", "2026-11-26"),
        ("en", "sometime next week", "2026-11-30"),
        ("hu", "Szeretnék időpontot kérni jövő csütörtökre tanácsadásra", "2026-12-03"),
        ("hu", "Szeretnék egy időpontot a jövő héten", "2026-11-30"),
    ],
)
def test_a_day_without_a_time_says_so(language, text, expected):
    result = found(text, language)
    assert result is not None and not result.has_time
    assert result.at.strftime("%Y-%m-%d %H:%M") == expected + " 00:00"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ko", "상담 예약하고 싶어요"),
        ("en", "I want to see someone about my 2 children"),
        ("en", "Hello, can I come in a day or two"),
        ("en", "I need help with form 27B"),
        ("hu", "Jó napot, 2 gyerekem van és időpontot kérnék"),
        ("hu", "Szeretnék egy időpontot foglalni"),
    ],
)
def test_no_day_or_time_is_none(language, text):
    assert found(text, language) is None


def test_a_bare_weekday_is_its_next_occurrence_and_next_means_next_week():
    assert found("화요일 2시", "ko").at.day == 24  # tomorrow is Tuesday
    assert found("다음 주 화요일 2시", "ko").at.day == 1  # December 1
    assert found("Monday at 10am", "en").at.day == 30  # today is Monday: the next one


def test_the_year_turns_over_into_the_future():
    late_december = datetime(2026, 12, 28, 9, 0, tzinfo=SEOUL)
    assert found("1월 5일 오전 10시", "ko", now=late_december).at == datetime(2027, 1, 5, 10, 0, tzinfo=SEOUL)


def test_times_are_in_the_charters_timezone_across_a_dst_change():
    # Budapest leaves summer time on 25 October 2026: "next Monday" is on winter time.
    friday = datetime(2026, 10, 23, 12, 0, tzinfo=BUDAPEST)
    result = found("jövő hétfőn 10 órakor", "hu", now=friday, zone=BUDAPEST)
    assert result.at == datetime(2026, 10, 26, 10, 0, tzinfo=BUDAPEST)
    assert result.at.utcoffset().total_seconds() == 3600


def test_the_words_that_named_the_time_are_given():
    result = found("다음주 화요일 오후 2시에 상담 받고 싶어요", "ko")
    assert result.phrase == "다음주 화요일 오후 2시"


def test_without_a_language_every_language_is_tried():
    assert found("holnap délelőtt 10-kor", None).at.strftime("%d %H") == "24 10"
    assert found("내일 오후 3시", None).at.strftime("%d %H") == "24 15"


def test_dateparser_is_not_asked_about_text_without_a_digit(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("dateparser was asked")

    monkeypatch.setattr("nlu.dates.search_dates", refuse)
    assert found("기초생활수급 신청 서류가 궁금해요", "ko") is None
    asked = found("next Tuesday afternoon please", "en")
    assert asked is not None and asked.has_time


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I-1042 still open?"),
        ("en", "A-2002 still confirmed?"),
        ("en", "is a2002 confirmed"),
        ("hu", "Mi a helyzet az I - 1042 ügyemmel?"),
        ("en", "what's 2+2"),
        ("en", "3 * 4 = 12"),
        ("ko", "C-1003 진행 상황 알려주세요"),
    ],
)
def test_ticket_numbers_and_sums_are_not_dates_and_dateparser_is_not_asked(monkeypatch, language, text):
    def refuse(*args, **kwargs):
        raise AssertionError("dateparser was asked")

    monkeypatch.setattr("nlu.dates.search_dates", refuse)
    assert found(text, language) is None


def test_a_date_next_to_a_ticket_number_is_still_read():
    result = found("A-2002: could we move it to December 3?", "en")
    assert result is not None and result.at.date().isoformat() == "2026-12-03"
    assert found("I-1042 12월 3일 오전 10시", "ko").at.strftime("%m-%d %H") == "12-03 10"


def test_warming_up_reads_the_same_dates_afterwards():
    from nlu.dates import warm_up

    warm_up()
    assert found("could I come on December 3?", "en").at.date().isoformat() == "2026-12-03"
    assert found("12월 3일 오전 10시", "ko").at.strftime("%m-%d %H") == "12-03 10"
