"""/agency: the parent body's agency officer sees every facility side by side; anyone else is refused in their
language and the attempt audited."""

import csv
import io

from sqlalchemy import select

from conversation.citizen.flows import Desk
from conversation.staff import console
from conversation.staff.turn import Request
from desk import audit
from desk.organisations.models import FIRST_ORGANISATION
from desk.staff import service
from desk.staff.access import Actor
from desk.staff.startup import seed_registry
from tests.desk.reports.agency_seed import AS_OF, seed_agency

AGENCY_OFFICER = Actor(1009, "기관담당", "agency", "en")
OFFICER = Actor(1001, "김담당", "kim", "hu")  # organisation 1's officer (charter.yml), reading Hungarian
FACILITY_AGENCY = Actor(5009, "Nem a fenntartó", None, "en")


async def run(store, desk, actor: Actor, text: str, n: int) -> console.Outcome:
    request = Request(command="agency", chat_id=desk.charter.staff_chat_id, text=text, key=f"a:{n}",
                      message_id=20_000 + n, in_group=True)
    async with store.unit_of_work() as session:
        return await console.handle(session=session, desk=desk, actor=actor, request=request, now=AS_OF)


async def members(store, desk):
    facilities = await seed_agency(store)
    await seed_registry(store, desk.charter, organisation_id=FIRST_ORGANISATION, now=AS_OF)
    async with store.unit_of_work() as session:
        await service.add(session=session, organisation_id=FIRST_ORGANISATION, telegram_id=1009, name="기관담당",
                          role="agency", by=1001, now=AS_OF)
        # Someone given the agency role in a facility's own registry is not the parent body's officer.
        await service.add(session=session, organisation_id=facilities[2].organisation_id, telegram_id=5009,
                          name="Nem a fenntartó", role="agency", by=5002, now=AS_OF)
    return facilities


async def test_the_agency_officer_gets_every_facility_and_a_csv(store, desk):
    await members(store, desk)
    outcome = await run(store, desk, AGENCY_OFFICER, "2026-Q4", 1)
    assert outcome.accepted
    text = "\n".join(m.text for m in outcome.outgoing)
    assert "Agency-wide: 12 received" in text and "• 안심: satisfaction index 8.33" in text
    [file] = outcome.files
    rows = list(csv.DictReader(io.StringIO(file.data.decode("utf-8-sig"))))
    assert {r["facility"] for r in rows} == {"", "main", "ansim", "csagyi"}
    async with store.unit_of_work() as session:
        [entry] = (await session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.action == "agency"))).all()
    assert (entry.outcome, entry.actor_id, entry.detail) == ("done", 1009, "2026-Q4")


async def test_an_officer_and_a_facilitys_agency_member_are_refused_and_audited(store, desk, texts):
    facilities = await members(store, desk)
    refused = await run(store, desk, OFFICER, "2026-Q4", 2)
    assert not refused.accepted
    said = "\n".join(m.text for m in refused.outgoing)
    assert said == texts.render("utter_report_agency_refused", "hu")
    hungarian = Desk(charter=facilities[2].charter, texts=texts, organisation_id=facilities[2].organisation_id)
    elsewhere = await run(store, hungarian, FACILITY_AGENCY, "2026-Q4", 3)
    assert not elsewhere.accepted and "12" not in "\n".join(m.text for m in elsewhere.outgoing)
    async with store.unit_of_work() as session:
        rows = (await session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.action == "agency"))).all()
    assert sorted((r.organisation_id, r.outcome, r.detail) for r in rows) == [
        (FIRST_ORGANISATION, "refused", "needs agency"), (facilities[2].organisation_id, "refused", "needs agency"),
    ]


async def test_a_bad_period_is_answered_politely(store, desk, texts):
    await members(store, desk)
    outcome = await run(store, desk, AGENCY_OFFICER, "2026-13", 4)
    assert "\n".join(m.text for m in outcome.outgoing) == texts.render("utter_report_bad_period", "en",
                                                                       given="2026-13")
