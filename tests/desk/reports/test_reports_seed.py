"""A seeded history with known answers, shared by the report tests (CLI, page, figures).

Ten tickets under charter.yml (Asia/Seoul), pinned times; the figures each report must show are
worked out by hand in tests/desk/reports/test_reports.py. Personal data is seeded on purpose (names,
chat ids, ticket texts, a comment, interim reasons) so the public outputs can be checked for it.
"""

from sqlalchemy import select

from desk.organisations.models import FIRST_ORGANISATION
from desk.reports.facts import ESCALATION_KIND, INTERIM_KIND
from desk.surveys import Rating
from desk.tickets.models import Citizen, Ticket, TicketEntry
from tests.conftest import at

AS_OF = at("2026-12-03T12:00:00+09:00")
SECRETS = ("Kim Secret", "777001", "SECRET-TEXT", "SECRET-COMMENT", "district office", "late interim reason")

# number: (category, received, original due (charter.yml), answered, breached, appointment)
TICKETS = {
    "I-1001": ("inquiry", "2026-11-02T10:00", "2026-11-10T18:00", "2026-11-03T10:00", None, None),
    "I-1002": ("inquiry", "2026-11-02T11:00", "2026-11-10T18:00", "2026-11-12T11:00", None, None),
    "I-1003": ("inquiry", "2026-11-16T09:00", "2026-11-24T18:00", None, "2026-11-24T18:05", None),
    "I-1004": ("inquiry", "2026-11-30T10:00", "2026-12-08T18:00", None, None, None),
    "C-1005": ("complaint", "2026-11-05T14:00", "2026-11-20T23:59:59", "2026-11-07T02:00", None, None),
    "C-1006": (
        "complaint",
        "2026-11-10T09:00",
        "2026-11-25T23:59:59",
        "2026-11-26T09:00",
        "2026-11-26T00:00:30",
        None,
    ),
    "N-1007": (
        "non_response_complaint",
        "2026-11-11T09:00",
        "2026-11-14T23:59:59",
        "2026-11-12T09:00",
        None,
        None,
    ),
    "A-1008": (
        "appointment_request",
        "2026-11-20T17:00",
        "2026-11-23T18:00",
        "2026-11-23T10:00",
        None,
        "2026-11-27T10:00",
    ),
    "I-1009": ("inquiry", "2026-12-01T10:00", "2026-12-09T18:00", "2026-12-02T10:00", None, None),
    "I-1010": ("inquiry", "2026-10-30T10:00", "2026-11-09T18:00", "2026-11-04T10:00", None, None),
}
ANONYMOUS = {"C-1006"}
RATINGS = {"I-1001": 5, "I-1002": 2, "C-1005": 4, "N-1007": 3, "A-1008": 5}
# (ticket, kind, text, created at)
ENTRIES = [
    ("I-1002", INTERIM_KIND, "waiting for the district office", "2026-11-09T15:00"),
    ("I-1003", ESCALATION_KIND, "escalated to 김담당", "2026-11-25T09:00"),
    ("I-1003", INTERIM_KIND, "late interim reason", "2026-11-25T10:00"),
    ("C-1006", ESCALATION_KIND, "escalated to 김담당", "2026-11-26T00:01"),
    ("I-1001", "staff_reply", "SECRET-TEXT reply", "2026-11-03T10:00"),
]
# An interim moved I-1002's current promise; reports must still judge it by the original one.
MOVED_DUE = {"I-1002": "2026-11-13T18:00"}


def kst(text: str | None):
    return None if text is None else at(f"{text}+09:00")


async def seed_history(store) -> dict[str, int]:
    """Write the history; returns ticket ids by number."""
    ids: dict[str, int] = {}
    async with store.unit_of_work() as session:
        citizen = Citizen(
            organisation_id=FIRST_ORGANISATION, chat_id=777001,
            language="ko",
            display_name="Kim Secret",
            username="kimsecret",
            created_at=kst("2026-10-01T09:00"),
        )
        session.add(citizen)
        for number, (category, received, due, answered, breached, appointment) in TICKETS.items():
            ticket = Ticket(
                organisation_id=FIRST_ORGANISATION, serial=int(number[2:]), category=category,
                status="answered" if answered else "open",
                citizen=None if number in ANONYMOUS else citizen,
                anonymous=number in ANONYMOUS,
                language="ko",
                received_at=kst(received),
                due_at=kst(MOVED_DUE.get(number, due)),
                text=f"SECRET-TEXT of {number}",
                answered_at=kst(answered),
                breached_at=kst(breached),
                appointment_at=kst(appointment),
            )
            session.add(ticket)
            await session.flush()
            assert ticket.number == number
            ids[number] = ticket.id
        for number, kind, text, created in ENTRIES:
            session.add(TicketEntry(ticket_id=ids[number], kind=kind, text=text, created_at=kst(created)))
        for number, score in RATINGS.items():
            comment = "SECRET-COMMENT" if number == "C-1005" else None
            session.add(Rating(ticket_id=ids[number], score=score, comment=comment, created_at=AS_OF))
    return ids


async def test_the_seeded_promises_are_the_charters(store, charter):
    """The due moments written above are what charter.yml promises (checked, not assumed)."""
    await seed_history(store)
    async with store.unit_of_work() as session:
        tickets = (await session.scalars(select(Ticket))).all()
    for ticket in tickets:
        category, received, due, *_ = TICKETS[ticket.number]
        assert charter.due_at(category, kst(received)) == kst(due), ticket.number
