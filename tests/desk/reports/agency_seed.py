"""Three facilities with figures worked out by hand, for the agency view's tests.

- main (charter.yml, Seoul): five inquiries. Three in November answered on time (one on the promised moment
  itself), rated 5, 5, 5; one received in October, answered after its first promise (an interim before it,
  one after it, an escalation), rated 4; one received in December and not yet due. Ratings 5, 5, 5, 4
  → points 100, 100, 100, 75: index 93.75, sd 12.5, n 4, t(0.975, 3) = 3.1824 → interval 73.86–100.
- ansim (Seoul): six complaints, one on time and five late, rated 1, 1, 2, 1, 2, 1 → points 0, 0, 25, 0, 25, 0:
  index 8.33, sd 12.91, n 6, t(0.975, 5) = 2.5706 → interval 0–21.89. Falls behind on satisfaction.
- csagyi (Budapest): one inquiry, received 23:30 on 31 October local time (1 November in Seoul), answered on
  time and rated 5: index 100 with n 1, too few ratings for an interval.
Agency-wide: 12 received, 5 on time, 6 late, 1 pending; 11 ratings, points 525 → index 47.73.
"""

from datetime import timedelta
from itertools import count

from desk.organisations import service as organisations
from desk.organisations.models import FIRST_ORGANISATION
from desk.reports.agency import Facility
from desk.charter.model import load_charter
from desk.surveys import Rating
from desk.tickets.models import Ticket, TicketEntry
from tests.conftest import ROOT, at

AS_OF = at("2026-12-20T10:00:00+09:00")
# Ticket numbers: unique across the three facilities, so within each (the agency view never shows them).
_SERIALS = count(1001)


def _ticket(organisation_id, category, received, promised, answered=None, breached=None):
    received, promised = at(received), at(promised)
    return Ticket(
        organisation_id=organisation_id, serial=next(_SERIALS), category=category, status="answered" if answered else "open",
        language="en", text="?", received_at=received, due_at=promised, promised_at=promised,
        answered_at=at(answered) if answered else None, breached_at=at(breached) if breached else None,
    )


async def seed_agency(store) -> list[Facility]:
    """The three facilities and their tickets; returns them in the order the agency lists them."""
    async with store.unit_of_work() as session:
        ansim = await organisations.add(session=session, slug="ansim", name="안심", charter_file=str(ROOT / "charters/ansim.yml"),
                                        now=AS_OF)
        csagyi = await organisations.add(session=session, slug="csagyi", name="CSAGYI",
                                         charter_file=str(ROOT / "charters/csagyi.yml"), now=AS_OF)
        main = [
            _ticket(FIRST_ORGANISATION, "inquiry", "2026-11-02T10:00:00+09:00", "2026-11-10T18:00:00+09:00",
                    "2026-11-03T10:00:00+09:00"),
            _ticket(FIRST_ORGANISATION, "inquiry", "2026-11-03T10:00:00+09:00", "2026-11-11T18:00:00+09:00",
                    "2026-11-11T18:00:00+09:00"),  # on the promised moment itself: on time
            _ticket(FIRST_ORGANISATION, "inquiry", "2026-11-04T10:00:00+09:00", "2026-11-12T18:00:00+09:00",
                    "2026-11-05T10:00:00+09:00"),
            _ticket(FIRST_ORGANISATION, "inquiry", "2026-10-05T10:00:00+09:00", "2026-10-14T18:00:00+09:00",
                    "2026-10-20T10:00:00+09:00", breached="2026-10-14T18:01:00+09:00"),
            _ticket(FIRST_ORGANISATION, "inquiry", "2026-12-18T10:00:00+09:00", "2026-12-29T18:00:00+09:00"),
        ]
        complaints = [
            _ticket(ansim.id, "complaint", f"2026-11-{day:02d}T10:00:00+09:00", f"2026-11-{day + 14:02d}T23:59:59+09:00",
                    f"2026-11-{day + (1 if day == 2 else 15):02d}T10:00:00+09:00")
            for day in (2, 3, 4, 5, 6, 9)
        ]
        budapest = [
            _ticket(csagyi.id, "inquiry", "2026-10-31T23:30:00+01:00", "2026-11-10T16:00:00+01:00",
                    "2026-11-02T09:00:00+01:00"),
        ]
        session.add_all(main + complaints + budapest)
        await session.flush()
        late = main[3]
        session.add_all([
            TicketEntry(ticket_id=late.id, kind="interim", text="waiting", created_at=at("2026-10-13T10:00:00+09:00")),
            TicketEntry(ticket_id=late.id, kind="interim", text="still", created_at=at("2026-10-16T10:00:00+09:00")),
            TicketEntry(ticket_id=late.id, kind="escalation", text="officer", created_at=at("2026-10-14T18:01:00+09:00")),
        ])
        scores = [(main[0], 5), (main[1], 5), (main[2], 5), (main[3], 4),
                  *zip(complaints, (1, 1, 2, 1, 2, 1)), (budapest[0], 5)]
        session.add_all([Rating(ticket_id=t.id, score=s, created_at=AS_OF - timedelta(days=1)) for t, s in scores])
        ids = (ansim.id, csagyi.id)
    return [
        Facility(FIRST_ORGANISATION, "main", "main", load_charter(ROOT / "charter.yml")),
        Facility(ids[0], "ansim", "안심", load_charter(ROOT / "charters/ansim.yml")),
        Facility(ids[1], "csagyi", "CSAGYI", load_charter(ROOT / "charters/csagyi.yml")),
    ]
