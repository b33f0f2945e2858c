"""What an officer's /report command answers: the text, a PNG chart and a CSV file of a period."""

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from conversation.reports.chart import render_png
from conversation.reports.csv_file import render_csv
from desk.reports.period import PeriodError, month_of, parse_period
from desk.reports.report import build_report
from conversation.reports.text import render_text
from conversation.citizen.flows import Desk


@dataclass(frozen=True)
class OfficerReport:
    """Send `text`; then, if present, the chart as a photo and the CSV as a document named `filename`.csv."""

    text: str
    png: bytes | None = None
    csv: bytes | None = None
    filename: str = ""


async def report_for_officer(
    *, session: AsyncSession, desk: Desk, period: str | None, language: str, now: datetime
) -> OfficerReport:
    """The report of `period` as typed (default: this month so far); a bad period: a polite answer only."""
    try:
        chosen = (
            parse_period(period)
            if period and period.strip()
            else month_of(now.astimezone(desk.charter.timezone).date())
        )
    except PeriodError as error:
        return OfficerReport(text=desk.texts.render("utter_report_bad_period", language, given=error.given))
    report = await build_report(
        session=session, organisation_id=desk.organisation_id, charter=desk.charter, period=chosen, now=now
    )
    # matplotlib takes a few hundred milliseconds: keep the event loop free meanwhile.
    png = await asyncio.to_thread(render_png, report, desk.texts, language)
    return OfficerReport(
        text=render_text(report, desk.texts, language), png=png, csv=render_csv(report),
        filename=f"charter-compliance-{chosen.text}",
    )
