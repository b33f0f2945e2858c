"""Staff commands on one ticket: read the arguments, call one use case, say what happened."""

from conversation import arguments
from desk.staff import service
from conversation.staff.dates import parse_moment, split_trailing_moment, unreadable_trailing_date
from desk.staff.errors import ActionError
from conversation.staff.turn import Reply, StaffTurn, find_ticket, first_word
from conversation.staff import handling


async def reply(turn: StaffTurn) -> Reply:
    """/reply N text: the final answer to the citizen."""
    number, text = first_word(turn.request.text)
    ticket = await find_ticket(turn, number, "utter_staff_usage_reply")
    handled = await handling.staff_reply(
        session=turn.session, desk=turn.desk, staff=turn.staff, ticket=ticket, text=text, now=turn.now
    )
    return Reply(text=reached(turn, "utter_staff_replied", handled), outgoing=handled.outgoing)


async def interim(turn: StaffTurn) -> Reply:
    """/interim N reason [new due date]: tell the citizen why it takes longer, maybe with a new promise."""
    number, rest = first_word(turn.request.text)
    ticket = await find_ticket(turn, number, "utter_staff_usage_interim")
    calendar = turn.desk.charter.calendar
    reason, new_due = split_trailing_moment(rest, language=turn.language, calendar=calendar, now=turn.now)
    misread = unreadable_trailing_date(reason) if new_due is None else None
    if misread:
        raise ActionError("utter_staff_interim_bad_date", phrase=misread[:60])
    if parse_moment(reason, language=turn.language, calendar=calendar, now=turn.now):
        raise ActionError("utter_staff_usage_interim")  # only a date: the reason is missing
    handled = await handling.interim(
        session=turn.session, desk=turn.desk, staff=turn.staff, ticket=ticket, reason=reason,
        new_due=new_due, now=turn.now,
    )
    text = reached(turn, "utter_staff_interim_sent", handled, due=turn.moment(ticket.due_at))
    return Reply(text=text, outgoing=handled.outgoing)


async def close(turn: StaffTurn) -> Reply:
    """/close N [note]."""
    number, note = first_word(turn.request.text)
    ticket = await find_ticket(turn, number, "utter_staff_usage_close")
    handled = await handling.close(
        session=turn.session, desk=turn.desk, staff=turn.staff, ticket=ticket, note=note, now=turn.now
    )
    name = "utter_staff_closed_unanswered" if handled.was_open else "utter_staff_closed"
    return Reply(text=turn.text(name, number=ticket.number, who=turn.staff.name))


async def assign(turn: StaffTurn) -> Reply:
    """/assign N me|@user|id."""
    number, who = first_word(turn.request.text)
    ticket = await find_ticket(turn, number, "utter_staff_usage_assign")
    if not who:
        raise ActionError("utter_staff_usage_assign")
    assignee = turn.staff if who.casefold() == "me" else await _member(turn, who)
    if assignee is None:
        raise ActionError("utter_staff_unknown_member", who=who[:40])
    await handling.assign(
        session=turn.session, desk=turn.desk, staff=turn.staff, ticket=ticket, assignee=assignee, now=turn.now
    )
    return Reply(text=turn.text("utter_staff_assigned", number=ticket.number, who=assignee.name))


async def note(turn: StaffTurn) -> Reply:
    """/note N text: internal, never sent."""
    number, text = first_word(turn.request.text)
    ticket = await find_ticket(turn, number, "utter_staff_usage_note")
    await handling.note(session=turn.session, desk=turn.desk, staff=turn.staff, ticket=ticket, text=text, now=turn.now)
    return Reply(text=turn.text("utter_staff_noted", number=ticket.number))


async def confirm(turn: StaffTurn) -> Reply:
    """/confirm N datetime: confirm an appointment."""
    number, when = first_word(turn.request.text)
    ticket = await find_ticket(turn, number, "utter_staff_usage_confirm")
    parsed = parse_moment(when, language=turn.language, calendar=turn.desk.charter.calendar, now=turn.now)
    if parsed is None or not parsed[1]:
        raise ActionError("utter_staff_usage_confirm")
    handled = await handling.confirm_appointment(
        session=turn.session, desk=turn.desk, staff=turn.staff, ticket=ticket, at=parsed[0], now=turn.now
    )
    text = reached(turn, "utter_staff_appointment_set", handled, when=turn.moment(parsed[0]))
    return Reply(text=text, outgoing=handled.outgoing)


async def decline(turn: StaffTurn) -> Reply:
    """/decline N reason: decline an appointment."""
    number, reason = first_word(turn.request.text)
    ticket = await find_ticket(turn, number, "utter_staff_usage_decline")
    handled = await handling.decline_appointment(
        session=turn.session, desk=turn.desk, staff=turn.staff, ticket=ticket, reason=reason, now=turn.now
    )
    return Reply(text=reached(turn, "utter_staff_appointment_refused", handled), outgoing=handled.outgoing)


async def reopen(turn: StaffTurn) -> Reply:
    """/reopen N: open again, on a fresh clock."""
    number, _ = first_word(turn.request.text)
    ticket = await find_ticket(turn, number, "utter_staff_usage_reopen")
    await handling.reopen(session=turn.session, desk=turn.desk, staff=turn.staff, ticket=ticket, now=turn.now)
    return Reply(text=turn.text("utter_staff_reopened", number=ticket.number, due=turn.moment(ticket.due_at)))


async def _member(turn: StaffTurn, who: str):
    named = arguments.member(who)
    if named is None:
        raise ActionError("utter_staff_bad_member", who=who[:40])
    return await service.find(session=turn.session, organisation_id=turn.desk.organisation_id, who=named)


def reached(turn: StaffTurn, response: str, handled: handling.Handled, **params: object) -> str:
    """The confirmation, plus where the citizen's message went when it did not go to their chat."""
    why = {handling.STORED_ANONYMOUS: "utter_staff_kept_for_anonymous", handling.UNREACHABLE: "utter_staff_citizen_unreachable"}
    if handled.reach in why:
        return turn.text("utter_staff_recorded", number=handled.ticket.number) + "\n" + turn.text(why[handled.reach])
    return turn.text(response, number=handled.ticket.number, **params)
