"""/report [period] for officers: the charter-compliance figures as text, a PNG chart and a CSV table."""

from desk import audit
from conversation.reports.officer import report_for_officer
from conversation.staff.turn import FileOut, Reply, StaffTurn


async def report(turn: StaffTurn) -> Reply:
    """/report [2026-11 | 2026-Q4 | 2026 | FROM..TO]: this month so far unless a period is given."""
    made = await report_for_officer(
        session=turn.session, desk=turn.desk, period=turn.request.text, language=turn.language, now=turn.now
    )
    await audit.record(
        turn.session, organisation_id=turn.desk.organisation_id, action="report",
        actor_id=turn.staff.telegram_id, actor_role=turn.staff.role, now=turn.now,
        chat_id=turn.request.chat_id, detail=turn.request.text[:40] or None,
    )
    files = []
    if made.png is not None:
        files.append(FileOut("photo", f"{made.filename}.png", made.png))
    if made.csv is not None:
        files.append(FileOut("document", f"{made.filename}.csv", made.csv))
    return Reply(text=made.text, files=files)
