"""The day and time a citizen asks for in an appointment message (ko, en, hu), relative to when they wrote.

dateparser reads absolute dates ("12월 3일", "December 3", "december 3-án"), but its relative
readings go wrong in these languages: it takes "다음 주 화요일" for tomorrow, "jövő hétfő 10-kor" for
the year 2110, "holnap délután 2-kor" for a day in February, and a bare "14:00" for tomorrow even
in the morning. So relative days and clock times are read here first, by small per-language
patterns; dateparser's search_dates (relative to the message time, in the charter's timezone,
preferring the future) reads what is left.

Conventions: "next Tuesday", "다음 주 화요일", "jövő kedden" mean the Tuesday of next week; a bare
weekday means its next occurrence after today; an hour from 1 to 7 without am/pm (or 오전/délelőtt)
means the afternoon, as offices are closed at 3 at night; "afternoon" alone means 14:00.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateparser.search import search_dates

LANGUAGES = ("ko", "en", "hu")
# Parts of the day named without an hour, and the hour we take them for.
_PART_HOURS = {
    "오전": 10, "아침": 9, "점심": 12, "낮": 13, "오후": 14, "저녁": 18, "밤": 20,
    "morning": 10, "noon": 12, "midday": 12, "afternoon": 14, "evening": 18,
    "reggel": 9, "délelőtt": 10, "délben": 12, "délután": 14, "este": 18,
}
_LATER_PARTS = {"오후", "저녁", "밤", "낮", "pm", "p.m.", "afternoon", "evening", "délután", "este"}
_EARLY_PARTS = {"오전", "아침", "am", "a.m.", "morning", "reggel", "délelőtt"}

_WEEKDAYS = {
    "ko": ["월", "화", "수", "목", "금", "토", "일"],
    "en": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
    # Stems as patterns: "szerda" lengthens its last vowel before a suffix ("szerdán", "szerdára").
    "hu": ["hétfő", "kedd", "szerd[aá]", "csütörtök", "péntek", "szombat", "vasárnap"],
}
_NEXT_WEEK = r"(?P<next>다음\s*주|담주|next|coming|jövő(?:\s+hét(?:en)?|\s+heti)?)"
_THIS_WEEK = r"(?P<this>이번\s*주|금주|this|ezen\s+a\s+héten|e\s+heti)"
_DAY_WORDS = {
    "ko": {"오늘": 0, "내일": 1, "모레": 2, "글피": 3},
    "en": {"today": 0, "tomorrow": 1, "the day after tomorrow": 2, "day after tomorrow": 2},
    "hu": {"ma": 0, "holnap": 1, "holnapután": 2},
}
_WEEK_ALONE = {"ko": r"다음\s*주|담주", "en": r"next\s+week", "hu": r"jövő\s+héten|jövő\s+hét"}

_CLOCK = r"(?P<hour>[01]?\d|2[0-3])(?::(?P<minute>[0-5]\d))?"
_TIMES = {
    "ko": [
        r"(?P<part>오전|오후|아침|저녁|밤|낮)?\s*(?P<hour>[01]?\d|2[0-3])\s*시(?:\s*(?P<minute>[0-5]?\d)\s*분|\s*(?P<half>반))?",
    ],
    "en": [
        rf"{_CLOCK}\s*(?P<part>am|pm|a\.m\.|p\.m\.)",
        rf"(?<![\w:])at\s+{_CLOCK}(?!\s*(?:am|pm|a\.m\.|p\.m\.|days?|weeks?|hours?|minutes?))(?![\w:])",
        r"(?P<hour>[01]?\d)\s*o'?clock",
    ],
    "hu": [
        r"(?P<part>reggel|délelőtt|délután|este)?\s*fél\s*(?P<halfhour>[01]?\d|2[0-3])(?:\s*-?\s*kor|\s*órakor)?",
        (r"(?P<part>reggel|délelőtt|délután|este)?\s*(?P<hour>[01]?\d|2[0-3])(?:[:.](?P<minute>[0-5]\d))?"
        r"\s*(?:-?\s*kor|órakor|óra)"),
    ],
}
# What carries digits but never a date: a ticket number ("I-1042", "A2002"; conversation/citizen/messages.py
# reads the same shapes) and a sum ("2+2", "3 * 4 = 12"). dateparser reads both as dates (year 1042, 2 February).
_NOT_DATES = re.compile(
    r"(?<![0-9A-Za-z])[ICNAicna](?:\s?-\s?|-?)\d{4,7}(?!\d)"
    r"|\d+(?:\s*[+*×÷=]\s*\d+)+"
)
_PLAIN_CLOCK = r"(?<![\d:.])(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)(?![\d:])"
_PARTS = {
    "ko": r"오전|오후|아침|점심|저녁|밤",
    "en": r"morning|noon|midday|afternoon|evening",
    "hu": r"reggel|délelőtt|délben|délután|este",
}


@dataclass(frozen=True)
class FoundTime:
    """A day (and maybe a time) named in a message."""

    at: datetime  # aware, in the given timezone; midnight when only a day was named
    has_time: bool
    phrase: str  # the words that named it, as written


@dataclass(frozen=True)
class _Span:
    start: int
    end: int


# A date in each language dateparser reads for us: reading them loads its language data at start-up.
_WARM_UP = {"ko": "12월 3일", "en": "on the 3rd of December", "hu": "december 3-án"}


def warm_up() -> None:
    """Load dateparser's data for our languages now (~0.3 s) rather than on the first message with a date."""
    for language, text in _WARM_UP.items():
        search_dates(text, languages=[language])
    search_dates(_WARM_UP["en"], languages=list(LANGUAGES))


def find_preferred_time(text: str, *, now: datetime, timezone: ZoneInfo, language: str | None) -> FoundTime | None:
    """The first day/time a message names, relative to `now` (the message time), or None."""
    languages = [language] if language in LANGUAGES else list(LANGUAGES)
    local_now = now.astimezone(timezone)
    work = text
    clock, clock_span = _find_time(work, languages)
    if clock_span:
        work = _blank(work, clock_span)
    day, day_span = _find_relative_day(work, languages, local_now.date())
    if day_span:
        work = _blank(work, day_span)
    elif (found := _search(work, languages, local_now, timezone)) is not None:
        day, day_span, parsed_clock = found
        clock = clock or parsed_clock
    if day is None and clock is None:
        return None
    spans = [s for s in (clock_span, day_span) if s]
    phrase = text[min(s.start for s in spans):max(s.end for s in spans)].strip() if spans else ""
    if day is None:
        day = local_now.date()
        if datetime.combine(day, clock, timezone) <= local_now:
            day += timedelta(days=1)
    at = datetime.combine(day, clock or time(0), timezone)
    return FoundTime(at=at, has_time=clock is not None, phrase=phrase)


def _find_time(text: str, languages: list[str]) -> tuple[time | None, _Span | None]:
    """A clock time ("오후 2시", "2pm", "10-kor", "14:30") or a part of the day ("afternoon")."""
    patterns = [p for lang in languages for p in _TIMES[lang]] + [_PLAIN_CLOCK]
    for pattern in patterns:
        match = re.search(pattern, text, re.IGNORECASE)
        if match:
            return _clock_of(match), _Span(*match.span())
    parts = "|".join(_PARTS[lang] for lang in languages)
    match = re.search(rf"(?<!\w)({parts})(?!\w)", text, re.IGNORECASE)
    if match:
        return time(_PART_HOURS[match.group(1).lower()]), _Span(*match.span())
    return None, None


def _clock_of(match: re.Match) -> time:
    groups = match.groupdict()
    part = (groups.get("part") or "").lower()
    if groups.get("halfhour"):
        hour, minute = (int(groups["halfhour"]) - 1) % 24, 30  # "fél 3" is half past two
    else:
        hour = int(groups["hour"])
        minute = 30 if groups.get("half") else int(groups.get("minute") or 0)
    if part in _LATER_PARTS and hour < 12:
        hour += 12
    elif part in ("am", "a.m.") and hour == 12:
        hour = 0
    elif not part and 1 <= hour <= 7:
        hour += 12
    return time(hour % 24, minute)


def _find_relative_day(text: str, languages: list[str], today: date) -> tuple[date | None, _Span | None]:
    """'내일', 'tomorrow', 'holnap'; '다음 주 화요일', 'next Tuesday', 'jövő kedden'; 'next week'."""
    for lang in languages:
        names = "|".join(_WEEKDAYS[lang])
        suffix = "요일" if lang == "ko" else r"\w*" if lang == "hu" else r"(?!\w)"
        pattern = rf"(?<!\w)(?:{_NEXT_WEEK}\s*|{_THIS_WEEK}\s*)?(?P<day>{names}){suffix}"
        match = re.search(pattern, text, re.IGNORECASE)
        if match:
            day = match.group("day")
            weekday = next(i for i, stem in enumerate(_WEEKDAYS[lang]) if re.fullmatch(stem, day, re.IGNORECASE))
            return _weekday(today, weekday, match.group("next"), match.group("this")), _Span(*match.span())
    for lang in languages:
        words = sorted(_DAY_WORDS[lang], key=len, reverse=True)
        match = re.search(rf"(?<!\w)({'|'.join(words)})(?!\w)", text, re.IGNORECASE)
        if match:
            return today + timedelta(days=_DAY_WORDS[lang][match.group(1).lower()]), _Span(*match.span())
    for lang in languages:
        match = re.search(rf"(?<!\w)(?:{_WEEK_ALONE[lang]})(?!\w)", text, re.IGNORECASE)
        if match:
            return today + timedelta(days=7 - today.weekday()), _Span(*match.span())
    return None, None


def _weekday(today: date, weekday: int, next_week: str | None, this_week: str | None) -> date:
    monday = today - timedelta(days=today.weekday())
    if next_week:
        return monday + timedelta(days=7 + weekday)
    if this_week:
        return monday + timedelta(days=weekday)
    ahead = (weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead)


def _search(text: str, languages: list[str], local_now: datetime, timezone: ZoneInfo):
    """An absolute date dateparser finds ('12월 3일', 'December 3'): (day, span, clock or None)."""
    text = _blank_not_dates(text)
    if not any(ch.isdigit() for ch in text):
        # Only readings with a digit are used (below), so without one dateparser, the costliest step
        # of reading a message, has nothing to find: most messages name no date (or only a ticket number).
        return None
    settings = {
        "RELATIVE_BASE": local_now.replace(tzinfo=None),
        "PREFER_DATES_FROM": "future",
        "TIMEZONE": str(timezone),
        "RETURN_AS_TIMEZONE_AWARE": True,
    }
    try:
        hits = search_dates(text, languages=languages, settings=settings) or []
    except (ValueError, OverflowError):
        return None
    for phrase, found in hits:
        # Without a digit a "date" is a stray word ("egy", "in a day") or a month with no day.
        if not any(ch.isdigit() for ch in phrase):
            continue
        start = text.find(phrase)
        local = found.astimezone(timezone)
        clock = local.time().replace(second=0, microsecond=0) if local.time() != time(0) else None
        return local.date(), _Span(start, start + len(phrase)), clock
    return None


def _blank_not_dates(text: str) -> str:
    """The text with ticket numbers and sums blanked (positions kept), so dateparser never reads them."""
    return _NOT_DATES.sub(lambda match: " " * len(match.group()), text)


def _blank(text: str, span: _Span) -> str:
    """The text with a span replaced by spaces, so positions keep their meaning."""
    return text[: span.start] + " " * (span.end - span.start) + text[span.end :]
