"""/agency [period] for the parent body's agency officers: every facility side by side, as text and a CSV file."""

from desk import audit
from desk.charter.model import CharterError
from desk.organisations.models import FIRST_ORGANISATION
from desk.reports.agency import build_agency_report, facilities_of
from desk.reports.period import PeriodError, month_of, parse_period
from desk.staff.access import AGENCY
from desk.staff.errors import NeedsRole
from conversation.reports.agency_csv import render_agency_csv
from conversation.reports.agency_text import render_agency_text
from conversation.staff.turn import FileOut, Reply, StaffTurn

# Past this many facilities the chat gets the agency-wide figures, who falls behind and the trend; the CSV has all.
MAX_FACILITY_LINES = 20


async def agency(turn: StaffTurn) -> Reply:
    """/agency [2026-11 | 2026-Q4 | 2026 | FROM..TO]: this month so far unless a period is given."""
    # The parent body is the deployment's own organisation (CHARTER_FILE): an "agency" member anywhere else
    # is refused and audited as any other member would be.
    if turn.desk.organisation_id != FIRST_ORGANISATION:
        raise NeedsRole(AGENCY)
    charter, given = turn.desk.charter, turn.request.text
    try:
        period = parse_period(given) if given.strip() else month_of(turn.now.astimezone(charter.timezone).date())
    except PeriodError as error:
        return Reply(text=turn.text("utter_report_bad_period", given=error.given))
    try:
        facilities = await facilities_of(session=turn.session, deployment_charter=charter)
    except CharterError:
        return Reply(text=turn.text("utter_report_agency_unavailable"))
    report = await build_agency_report(session=turn.session, facilities=facilities, period=period, now=turn.now)
    await audit.record(
        turn.session, organisation_id=turn.desk.organisation_id, action="agency",
        actor_id=turn.staff.telegram_id, actor_role=turn.staff.role, now=turn.now,
        chat_id=turn.request.chat_id, detail=given[:40] or None,
    )
    text = render_agency_text(
        report, turn.desk.texts, turn.language, agency=charter.organisation.name, timezone=charter.timezone,
        clauses=False, facilities=len(facilities) <= MAX_FACILITY_LINES,
    )
    return Reply(text=text, files=[FileOut("document", f"agency-{period.text}.csv", render_agency_csv(report))])
