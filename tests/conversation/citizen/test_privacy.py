"""/forget and /mydata at the desk level, and the sealed anonymous channel closing with its ticket."""

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from desk.organisations.models import FIRST_ORGANISATION
from desk.anonymous import receipts
from conversation.citizen import anonymous
from desk import audit
from infra.encrypted import chat_hash_of
from desk.outbox import OutboxMessage
from conversation.citizen import forget, mydata
from desk.reports.period import Period
from desk.reports.report import build_report
from charterdesk.schema import metadata
from desk.staff.models import Staff
from desk.surveys import Rating
from desk.tickets import citizens, lifecycle, service
from conversation.citizen import flows
from conversation.staff import handling
from desk.tickets.models import Citizen, Ticket, TicketEntry
from tests.conftest import at

RECEIVED = at("2026-11-23T10:15:00+09:00")  # a Monday morning in Seoul
LATER = RECEIVED + timedelta(days=2)
NOW = RECEIVED + timedelta(days=3)
CHAT, OTHER_CHAT = 7_654_321, 1_234_999
MARKER, OTHER_MARKER, ANON_MARKER = "ZEBRA-7731", "OTTER-4410", "HERON-5520"
USERNAME, NAME, FILE_ID = "zebra_user", "Zebra Person", "FILEREF-ZEBRA-99"
AGENT = Staff(organisation_id=FIRST_ORGANISATION, telegram_id=1002, name="이상담", role="agent", added_at=RECEIVED)
PERIOD = Period(date(2026, 11, 1), date(2026, 12, 31), "days")


def inbound(chat_id: int, message_id: int, text: str, **extra) -> flows.Inbound:
    return flows.Inbound(chat_id=chat_id, message_id=message_id, text=text,
                         received_at=RECEIVED + timedelta(minutes=message_id), **extra)


async def take(store, desk, message: flows.Inbound, intent="inquiry", certain=True) -> flows.Answer:
    async with store.unit_of_work() as session:
        return await flows.take_message(
            session=session, desk=desk, inbound=message, now=message.received_at,
            understanding=flows.Understanding(intent=intent, language="en", certain=certain),
        )


async def staff_does(store, desk, use_case, ticket_id: int, **arguments) -> handling.Handled:
    async with store.unit_of_work() as session:
        if await session.get(Staff, AGENT.telegram_id) is None:
            session.add(Staff(organisation_id=FIRST_ORGANISATION, telegram_id=AGENT.telegram_id, name=AGENT.name, role=AGENT.role, added_at=RECEIVED))
            await session.flush()
        staff = await session.get(Staff, AGENT.telegram_id)
        ticket = await session.get(Ticket, ticket_id)
        return await use_case(session=session, desk=desk, staff=staff, ticket=ticket, now=LATER, **arguments)


async def seed(store, desk) -> None:
    """Citizen CHAT: an answered, rated inquiry with a file; an open complaint with an interim and a note;
    a held message; a language choice. Citizen OTHER_CHAT: one inquiry. One anonymous complaint."""
    await take(store, desk, inbound(CHAT, 1, f"{MARKER} where do I apply for housing benefit?"))
    await take(store, desk, inbound(CHAT, 2, f"{MARKER} the lease", attachment=flows.Attachment(FILE_ID, "document"),
                                    reply_to_message_id=None))
    await take(store, desk, inbound(CHAT, 3, f"{MARKER} nobody greeted me at the counter"), intent="complaint")
    await take(store, desk, inbound(CHAT, 4, f"{MARKER} something else entirely"), certain=False)
    await take(store, desk, inbound(OTHER_CHAT, 5, f"{OTHER_MARKER} opening hours?"))
    async with store.unit_of_work() as session:
        await citizens.choose(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT, language="en", now=RECEIVED)
        citizen = await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT)
        citizen.username, citizen.display_name = USERNAME, NAME
        anon = await lifecycle.create(organisation_id=FIRST_ORGANISATION, session=session, citizen=None, category="complaint", language="en",
                                      text=f"{ANON_MARKER} the guard", received_at=RECEIVED,
                                      due_at=desk.charter.due_at("complaint", RECEIVED))
        anon.anonymous = True
    ours = await tickets_of(store, CHAT)
    inquiry, complaint = ours[0].id, ours[-1].id
    await staff_does(store, desk, handling.staff_reply, inquiry, text=f"Dear {NAME}, bring the lease")
    await staff_does(store, desk, handling.interim, complaint, reason=f"Asking the counter about {MARKER}",
                     new_due=None)
    await staff_does(store, desk, handling.note, complaint, text=f"{NAME} phoned too")
    async with store.unit_of_work() as session:
        session.add(Rating(ticket_id=inquiry, score=4, comment=f"{MARKER} thanks", created_at=LATER))


async def tickets_of(store, chat_id: int) -> list[Ticket]:
    async with store.unit_of_work() as session:
        citizen = await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=chat_id)
        query = select(Ticket).where(Ticket.citizen_id == citizen.id).order_by(Ticket.id)
        return list((await session.scalars(query)).all())


async def scan(store, *needles: str, skip_keys: tuple[str, ...] = ()) -> dict[str, int]:
    """Hits of each needle in every column of every row of every table, read back as the code sees it
    (decrypted), so a value hidden only by encryption at rest still counts."""
    hits = dict.fromkeys(needles, 0)
    async with store.unit_of_work() as session:
        for table in metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                if table.name == "outbox" and str(row["key"]).startswith(skip_keys or ("\0",)):
                    continue
                blob = " ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row.values())
                for needle in needles:
                    hits[needle] += blob.count(needle)
    return hits


def totals(report) -> list[tuple]:
    """Every figure of the report except interim reasons' wording (their number stays)."""
    def of(f):
        return (f.received, f.on_time, f.late, f.pending, f.median_hours, f.p90_hours, len(f.interims_before_due),
                f.breaches, f.escalations, tuple(sorted(f.distribution.items())), f.comments)
    slices = [report.whole] + [s for _, s in report.months]
    return [of(s.total) for s in slices] + [of(f) for s in slices for f in s.by_clock.values()]


async def report_totals(store, charter) -> list[tuple]:
    async with store.unit_of_work() as session:
        return totals(await build_report(session=session, organisation_id=FIRST_ORGANISATION, charter=charter, period=PERIOD, now=NOW))


async def ask(store, desk, message_id=50) -> flows.Answer:
    async with store.unit_of_work() as session:
        return await forget.ask(session=session, desk=desk, inbound=inbound(CHAT, message_id, "/forget"), now=NOW)


async def press(store, desk, data: str, chat_id: int = CHAT) -> flows.Answer:
    async with store.unit_of_work() as session:
        return await forget.press(session=session, desk=desk, now=NOW, press=flows.Press(
            chat_id=chat_id, query_id="q", data=data, message_id=None))


def buttons(answer: flows.Answer) -> list[str]:
    return [b["data"] for row in answer.outgoing[-1].reply_markup for b in row]


async def test_forget_leaves_no_trace_of_the_citizen_and_the_report_unchanged(store, desk, charter):
    await seed(store, desk)
    needles = (MARKER, str(CHAT), USERNAME, NAME, FILE_ID, store.keyring.chat_hash(CHAT))
    before = await scan(store, *needles, OTHER_MARKER, ANON_MARKER)
    assert all(before[n] > 0 for n in needles)  # the seed put each of them somewhere
    figures = await report_totals(store, charter)
    assert figures[0][0] == 4  # received: the citizen's 2 + the other's 1 + the anonymous one

    asked = await ask(store, desk)
    assert buttons(asked) == ["c:forget:yes", "c:forget:no"]
    assert "your 2 request(s)" in asked.outgoing[0].text and "2 request(s) still in progress" in asked.outgoing[0].text
    done = await press(store, desk, "c:forget:yes")

    assert done.settled and done.ephemeral and done.outgoing[0].text.startswith("Done.")
    assert all(m.chat_id == CHAT for m in done.outgoing)
    # The confirmation on its way is the only row naming the chat; it is deleted once delivered.
    in_flight = await scan(store, *needles, skip_keys=(anonymous.OUTBOX_PREFIX,))
    assert in_flight == dict.fromkeys(needles, 0)
    after = await scan(store, OTHER_MARKER, ANON_MARKER)
    assert after == {OTHER_MARKER: before[OTHER_MARKER], ANON_MARKER: before[ANON_MARKER]}
    assert await report_totals(store, charter) == figures


async def test_forget_withdraws_open_tickets_tells_staff_and_audits_without_the_chat(store, desk):
    await seed(store, desk)
    inquiry, complaint = [t.id for t in await tickets_of(store, CHAT)]
    await ask(store, desk)
    await press(store, desk, "c:forget:yes")
    async with store.unit_of_work() as session:
        tickets = {t.id: t for t in (await session.scalars(select(Ticket))).all()}
        staff = (await session.scalars(select(OutboxMessage).where(OutboxMessage.key.startswith("withdrawn:")))).all()
        rows = (await session.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.id))).all()
        entries = (await session.scalars(select(TicketEntry).where(TicketEntry.ticket_id == complaint))).all()
        [rating] = (await session.scalars(select(Rating))).all()
        assert await session.scalar(select(Citizen).where(Citizen.chat_hash == chat_hash_of(CHAT))) is None
    # The answered inquiry and the open complaint are both closed now; the complaint was still open.
    assert {tickets[i].status for i in (inquiry, complaint)} == {"closed"}
    assert all(tickets[i].erased_at == NOW and tickets[i].text == "" and tickets[i].citizen_id is None
               for i in (inquiry, complaint))
    assert [e.kind for e in entries] == ["interim", "note"] and {e.text for e in entries} == {None}
    assert (rating.score, rating.comment) == (4, "")
    [notice] = staff
    assert notice.chat_id == desk.charter.staff_chat_id and notice.ticket_id is None
    assert "I-1001" in notice.text and "C-1002" in notice.text and "Withdrawn" not in notice.text  # staff read ko
    withdrawn = [(r.action, r.ticket_id, r.actor_id, r.chat_id) for r in rows if r.action in ("withdraw", "forget")]
    assert withdrawn == [("withdraw", inquiry, None, None), ("withdraw", complaint, None, None),
                         ("forget", None, None, None)]
    assert all(str(CHAT) not in (r.detail or "") for r in rows)


async def test_forget_asks_first_and_no_keeps_everything(store, desk):
    await seed(store, desk)
    before = await scan(store, MARKER, USERNAME)
    asked = await ask(store, desk)
    kept = await press(store, desk, "c:forget:no")
    assert kept.outgoing[0].text == desk.texts.render("utter_forget_kept", "en") and kept.settled
    assert await scan(store, MARKER, USERNAME) == before
    assert (await ask(store, desk, message_id=50)).duplicate  # a redelivered /forget asks nothing again
    assert asked.outgoing[0].chat_id == CHAT


async def test_forget_with_nothing_held_and_odd_presses(store, desk):
    # A stranger is answered in the charter's first language.
    nothing = await ask(store, desk)
    assert nothing.outgoing[0].text == desk.texts.render("utter_forget_nothing", "ko")
    assert (await press(store, desk, "c:forget:yes")).toast == desk.texts.render("utter_forget_nothing", "ko")
    assert (await press(store, desk, "c:forget:maybe")).toast == desk.texts.render("utter_question_gone", "ko")
    await seed(store, desk)
    await press(store, desk, "c:forget:yes")
    # Pressed twice (two devices): the second finds nothing left.
    assert (await press(store, desk, "c:forget:yes")).toast == desk.texts.render("utter_forget_nothing", "ko")


async def test_after_forget_a_new_message_is_a_new_citizen_with_a_new_ticket(store, desk):
    await seed(store, desk)
    await press(store, desk, "c:forget:yes")
    answer = await take(store, desk, inbound(CHAT, 60, "Hello again, a new question about benefits"))
    assert answer.ticket_number == "I-1005"
    async with store.unit_of_work() as session:
        citizen = await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=CHAT)
        assert [t.id for t in await service.open_tickets(session=session, citizen_id=citizen.id)] == [5]


async def test_mydata_holds_what_we_keep_and_not_notes_anonymous_or_others(store, desk):
    await seed(store, desk)
    async with store.unit_of_work() as session:
        export = await mydata.export(session=session, desk=desk, inbound=inbound(CHAT, 70, "/mydata"), now=NOW)
    assert export.answer.outgoing == [] and export.caption == desk.texts.render("utter_mydata_caption", "en")
    assert export.filename.endswith(".json")
    data = json.loads(export.document)
    assert data["citizen"]["chat_id"] == CHAT and data["citizen"]["username"] == USERNAME
    assert data["language_choice"]["language"] == "en"
    assert [t["number"] for t in data["tickets"]] == ["I-1001", "C-1002"]
    inquiry, complaint = data["tickets"]
    assert inquiry["text"].startswith(MARKER) and inquiry["rating"] == {"score": 4, "comment": f"{MARKER} thanks",
                                                                       "at": LATER.isoformat()}
    assert [(h["kind"], h["text"]) for h in inquiry["history"]] == [("staff_reply", f"Dear {NAME}, bring the lease")]
    # Staff-internal notes are counted, not shown.
    assert [h["kind"] for h in complaint["history"]] == ["interim"]
    assert complaint["internal_notes"] == 1 and f"{NAME} phoned" not in export.document.decode()
    # Both later messages wait on "add to your request, or a new one?"; one holds the file.
    held = data["questions_pending"]
    assert [(q["kind"], q["held_message"]) for q in held] == [
        ("followup", f"{MARKER} the lease"), ("followup", f"{MARKER} something else entirely")]
    assert held[0]["held_file"] == {"kind": "document", "telegram_file_id": FILE_ID} and held[1]["held_file"] is None
    text = export.document.decode()
    assert OTHER_MARKER not in text and ANON_MARKER not in text
    async with store.unit_of_work() as session:
        again = await mydata.export(session=session, desk=desk, inbound=inbound(CHAT, 70, "/mydata"), now=NOW)
        stranger = await mydata.export(session=session, desk=desk, inbound=inbound(999, 71, "/mydata"), now=NOW)
    assert again.answer.duplicate and again.document is None
    assert stranger.document is None
    assert stranger.answer.outgoing[0].text == desk.texts.render("utter_mydata_nothing", "ko")


async def sealed_anonymous(store, desk, sealer_chat: int = 4242) -> int:
    async with store.unit_of_work() as session:
        ticket = await lifecycle.create(organisation_id=FIRST_ORGANISATION, session=session, citizen=None, category="complaint", language="en",
                                        text="anonymous words", received_at=RECEIVED,
                                        due_at=desk.charter.due_at("complaint", RECEIVED))
        ticket.anonymous = True
        receipt, _ = await receipts.issue(session=session, ticket_id=ticket.id)
        receipt.sealed_chat = b"sealed-chat-bytes"
        return ticket.id


async def receipt_of(store, ticket_id: int) -> receipts.Receipt:
    async with store.unit_of_work() as session:
        return await receipts.for_ticket(session=session, ticket_id=ticket_id)


async def test_closing_an_anonymous_ticket_deletes_its_sealed_channel(store, desk):
    ticket_id = await sealed_anonymous(store, desk)
    assert (await receipt_of(store, ticket_id)).sealed_chat is not None
    await staff_does(store, desk, handling.close, ticket_id, note=None)
    assert (await receipt_of(store, ticket_id)).sealed_chat is None


async def test_an_answer_not_yet_pushed_goes_out_before_the_channel_is_deleted(store, desk, data_keys):
    from infra.sealing import Sealer

    sealer = Sealer(b"k" * 32)
    ticket_id = await sealed_anonymous(store, desk)
    async with store.unit_of_work() as session:
        receipt = await receipts.for_ticket(session=session, ticket_id=ticket_id)
        receipt.sealed_chat = sealer.seal_chat(4242, purpose=receipts.purpose_of(receipt))
    await staff_does(store, desk, handling.staff_reply, ticket_id, text="We looked into it.")
    await staff_does(store, desk, handling.close, ticket_id, note=None)
    assert (await receipt_of(store, ticket_id)).sealed_chat is not None  # the answer still waits to be pushed
    async with store.unit_of_work() as session:
        pushed = await anonymous.push_sealed_answers(session=session, desk=desk, sealer=sealer, now=NOW)
    assert [m.chat_id for m in pushed] == [4242] and "We looked into it." in pushed[0].text  # no rating question
    assert (await receipt_of(store, ticket_id)).sealed_chat is None
    async with store.unit_of_work() as session:
        assert await anonymous.push_sealed_answers(session=session, desk=desk, sealer=sealer, now=NOW) == []


async def test_a_named_ticket_closes_as_before(store, desk):
    await take(store, desk, inbound(CHAT, 1, "Where do I apply?"))
    handled = await staff_does(store, desk, handling.close, 1, note=None)
    assert handled.ticket.status == "closed" and handled.was_open


@pytest.mark.parametrize("data", ["c:forget:", "c:forget:yes:1", "c:forget:YES"])
async def test_malformed_forget_presses_erase_nothing(store, desk, data):
    await seed(store, desk)
    before = await scan(store, MARKER)
    answer = await press(store, desk, data)
    assert answer.toast == desk.texts.render("utter_question_gone", "en")
    assert await scan(store, MARKER) == before


async def test_an_erased_ticket_cannot_be_reopened(store, desk):
    from desk.staff.errors import ActionError

    await seed(store, desk)
    await press(store, desk, "c:forget:yes")
    with pytest.raises(ActionError) as refused:
        await staff_does(store, desk, handling.reopen, 1)
    assert refused.value.response == "utter_staff_ticket_erased" and refused.value.params == {"number": "I-1001"}
    assert (await tickets_status(store, 1)) == "closed"


async def tickets_status(store, ticket_id: int) -> str:
    async with store.unit_of_work() as session:
        return (await session.get(Ticket, ticket_id)).status
