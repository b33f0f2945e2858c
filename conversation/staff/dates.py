"""Reading a date a staff member typed, in their language and the charter's timezone."""

import re
from datetime import datetime

from dateparser.date import DateDataParser

from desk.charter.calendar import BusinessCalendar

# A trailing date is at most this many words ("10 December 2026 6pm" is four).
MAX_DATE_WORDS = 6
# Words like "may" or "a" parse as dates; a date typed for a deadline always has a digit in it.
_DIGIT = re.compile(r"\d")
_ONLY_DIGITS = re.compile(r"^\d+$")
# Shapes of a date or a time: 2026-13-45, 12/45, 99:99, 45.13.2026, 12월, 45일, 25시, 6pm, 25h.
_DATE_SHAPED = re.compile(
    r"\d{1,4}[-/]\d{1,2}(?:[-/]\d{1,4})?|\d{1,2}[:.]\d{2}(?::\d{2})?|\d{1,4}\.\d{1,2}\.(?:\d{2,4}\.?)?"
    r"|\d{1,4}(?:월|일|시|분|년)\S*|\d{1,2}(?:am|pm|h|óra\S*)",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d{1,4}")
# Words that make the number before them a time of day: "25 o'clock", "9 pm", "25 órakor".
_TIME_WORD = re.compile(r"o'?clock|o’clock|am|pm|a\.m|p\.m|h|hours?|óra\S*|órakor|시|uhr")


def parse_moment(text: str, *, language: str, calendar: BusinessCalendar, now: datetime) -> tuple[datetime, bool] | None:
    """(moment, whether a time of day was given) for text such as '2026-12-10 18:00' or '12월 10일'.

    A date without a time means the close of that day (the end of office hours on a business day).
    None if the text is not a date with a digit in it.
    """
    text = text.strip()
    if not _DIGIT.search(text) or _ONLY_DIGITS.match(text):
        return None
    zone = calendar.timezone
    parser = DateDataParser(
        languages=[language],
        settings={
            "TIMEZONE": zone.key,
            "RETURN_AS_TIMEZONE_AWARE": True,
            "PREFER_DATES_FROM": "future",
            # dateparser reads a naive base as wall time in TIMEZONE.
            "RELATIVE_BASE": now.astimezone(zone).replace(tzinfo=None),
            "RETURN_TIME_AS_PERIOD": True,
        },
    )
    data = parser.get_date_data(text)
    if data.date_obj is None or data.period not in ("day", "time"):
        return None
    moment = data.date_obj.astimezone(zone)
    if data.period == "day":
        return calendar.close_of_day(moment.date()), False
    return moment, True


def split_trailing_moment(
    text: str, *, language: str, calendar: BusinessCalendar, now: datetime
) -> tuple[str, datetime | None]:
    """('reason', moment) when text ends with a date, else (text, None); the reason is never empty."""
    words = text.split()
    for size in range(min(MAX_DATE_WORDS, len(words) - 1), 0, -1):
        parsed = parse_moment(" ".join(words[-size:]), language=language, calendar=calendar, now=now)
        if parsed is not None:
            return _strip_words(text, size), parsed[0]
    return text.strip(), None


def unreadable_trailing_date(text: str) -> str | None:
    """The end of text when it is written like a date or time but is none ('2026-13-45 99:99',
    'at 25 o'clock'), else None: a promise must never be moved, or a reason sent, on a misread date."""
    words = text.split()[-MAX_DATE_WORDS:]
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if _DATE_SHAPED.fullmatch(word.rstrip(",;")) or (
            _NUMBER.fullmatch(word) and _TIME_WORD.fullmatch(following.rstrip(".,;").casefold())
        ):
            return " ".join(words[index:])
    return None


def _strip_words(text: str, count: int) -> str:
    """Text without its last `count` words, keeping the line breaks of what remains."""
    rest = text.rstrip()
    for _ in range(count):
        rest = re.sub(r"\S+$", "", rest).rstrip()
    return rest
