"""The agency report as text: for `charterdesk report --agency` and the agency officer's /agency."""

from zoneinfo import ZoneInfo

from desk.charter.model import CATEGORIES
from desk.reports.agency import AgencyReport, Side
from conversation.reports import agency_words
from conversation.reports.words import Words
from conversation.texts import Texts


def render_agency_text(report: AgencyReport, texts: Texts, language: str, *, agency: str, timezone: ZoneInfo,
                       clauses: bool = True, facilities: bool = True) -> str:
    """Title, scope, the agency-wide line, each facility (with its clauses; neither when `facilities` is False:
    a chat message cannot hold a thousand), who falls behind, the monthly trend."""
    words = Words(texts, language, timezone)
    period = report.period.label(language)
    lines = [
        words("agency_title", agency=agency, period=period),
        words("agency_scope", period=period, as_of=words.moment(report.as_of)),
    ]
    if report.empty:
        return "\n".join([*lines, words("no_tickets")])
    lines.append(agency_words.facility_line(words, words("agency_whole"), report.agency.whole))
    if not facilities:
        lines.append(words("agency_in_csv", count=words.count(len(report.facilities))))
    for side in report.facilities if facilities else ():
        lines.append(agency_words.facility_line(words, side.name, side.whole))
        if clauses:
            lines += [_clause(words, category, side.by_clock[category]) for category in CATEGORIES
                      if side.by_clock[category].received]
    lines += behind_lines(words, report)
    lines.append(words("agency_trend_header"))
    lines += [_trend(words, month, counts) for month, counts in report.agency.months]
    return "\n".join(lines)


def behind_lines(words: Words, report: AgencyReport) -> list[str]:
    """Who falls behind on what, or that nobody does."""
    if not report.behind:
        return [words("agency_behind_none")]
    lines = [words("agency_behind_header")]
    for side in report.behind:
        lines += _behind(words, side, report.agency)
    return lines


def _behind(words: Words, side: Side, agency: Side) -> list[str]:
    lines = []
    if side.behind_on_satisfaction(agency):
        own, reference = side.whole.satisfaction, agency.whole.satisfaction
        lines.append(words("agency_behind_satisfaction", facility=side.name, index=words.score(own.value),
                           high=words.score(own.high), reference=words.score(reference.value)))
    if side.behind_on_time(agency):
        own, reference = side.whole.on_time_share, agency.whole.on_time_share
        lines.append(words("agency_behind_on_time", facility=side.name, share=words.share(own.value),
                           high=words.share(own.high), reference=words.share(reference.value)))
    return lines


def _clause(words: Words, category: str, counts) -> str:
    return words("agency_clock", clock=words.clock(category), received=words.count(counts.received),
                 on_time=words.count(counts.on_time), decided=words.count(counts.decided),
                 share=agency_words.share(words, counts.on_time_share))


def _trend(words: Words, month, counts) -> str:
    return words("agency_trend_line", month=words.month(month), received=words.count(counts.received),
                 share=agency_words.share(words, counts.on_time_share),
                 index=agency_words.index(words, counts.satisfaction))
