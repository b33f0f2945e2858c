"""Taking a citizen's message: open a ticket, add it to one, or ask (with buttons) when unsure."""

import re
from datetime import datetime

from conversation.citizen import appointments, status
from conversation.citizen.door import Door, door_for
from desk.tickets import corrections, entries, lifecycle, questions, service
from desk.tickets.enums import Category, TicketStatus
from conversation.promises import escalation
from conversation.staff.cards import enqueue_staff_card
from desk.channels import channel_of
from desk.tickets.models import Citizen, Ticket, parse_number
from desk.tickets.questions import Question
from conversation.buttons import AddToTicket, Button, MissingAnswer, NewMatter, NotARequest, SendAnyway
from conversation.turns import Answer, Attachment, Held, Inbound, Turn, Understanding

# Intents that open a ticket, and the charter clock each one runs on.
TICKET_CATEGORIES = {
    "inquiry": Category.INQUIRY,
    "complaint": Category.COMPLAINT,
    "appointment_request": Category.APPOINTMENT_REQUEST,
}
# What a citizen may choose on the buttons when we ask.
CHOOSABLE = (Category.INQUIRY, Category.COMPLAINT, Category.APPOINTMENT_REQUEST)
# We offer to add to at most this many open tickets (the soonest due).
OFFERED_TICKETS = 3
# The buttons under a held question (category, follow-up, out of scope).
QuestionPress = NewMatter | AddToTicket | MissingAnswer | NotARequest | SendAnyway
_NUMBER = re.compile(r"(?<![0-9A-Za-z])[ICNAicna]\s?-\s?\d{4,7}(?!\d)")


def is_empty(text: str) -> bool:
    """No letter or digit at all: nothing written, or only emoji and punctuation."""
    return not any(ch.isalnum() for ch in text)


def held_from(inbound: Inbound, understanding: Understanding) -> Held:
    """The message as a flow carries it on."""
    return Held(
        chat_id=inbound.chat_id,
        message_id=inbound.message_id,
        text=inbound.text,
        received_at=inbound.received_at,
        attachment=inbound.attachment,
        preferred_at=understanding.preferred_at,
        preferred_has_time=understanding.preferred_has_time,
        needs_purpose=appointments.lacks_purpose(inbound.text, understanding.time_phrase),
    )


async def route(turn: Turn, citizen: Citizen, inbound: Inbound, understanding: Understanding) -> Answer:
    """Decide what a message is (answer, follow-up, new matter, unclear) and act on it; nobody is turned away."""
    held = held_from(inbound, understanding)
    intent, certain, has_file = understanding.intent, understanding.certain, inbound.attachment is not None
    if not has_file and is_empty(inbound.text):
        await turn.say(turn.text("utter_empty_message"))
        return turn.answer()
    if await _answers_appointment_question(turn, held, intent, certain):
        return turn.answer()
    if not has_file and intent in ("greet", "thanks"):
        # Whether a greeting or thank-you is only that does not depend on the tickets: skip reading them.
        door = door_for(intent, certain=certain, text=inbound.text, has_open_tickets=False)
        if door in (Door.GREETING, Door.THANKS):
            await turn.say(turn.text(f"utter_{intent}"))
            return turn.answer()
    tickets = await service.open_tickets(session=turn.session, citizen_id=citizen.id)
    referenced = await _referenced(turn, inbound, tickets)
    if not has_file and intent == "check_status" and referenced is not None:
        # Naming a ticket makes any message look like a status question to the classifier; whether
        # it asks for news or adds a detail, it goes on the ticket and the citizen sees where it stands.
        await add_to(turn, referenced, held, detail=True)
        return turn.answer()
    # A status question may end here only with something to tell: an open or recently answered ticket.
    listing = await status.listing(turn, citizen) if not has_file and intent == "check_status" and certain else None
    door = door_for(intent, certain=certain, text=inbound.text, has_open_tickets=bool(tickets) or listing is not None,
                    readable=understanding.readable)
    if door is Door.STATUS and listing is not None:
        await turn.say(listing)
        return turn.answer()
    if intent == "complaint" and door is Door.TICKET:
        overdue = _overdue(tickets, referenced, held)
        if overdue is not None and overdue is referenced:
            return await non_response(turn, citizen, overdue, held)
        if overdue is not None:
            # A complaint while an answer is late may be about that, or about something else: ask.
            await ask_non_response(turn, held, overdue)
            return turn.answer()
    if referenced is not None:
        await add_to(turn, referenced, held)
        return turn.answer()
    # A request in a language we were never taught is taken as an inquiry; staff correct it with /category.
    category = TICKET_CATEGORIES.get(intent, Category.INQUIRY)
    if door is Door.TICKET and not is_empty(held.text):
        same = [t for t in tickets if t.category == category]
        if not same:
            return await open_and_answer(turn, citizen, category, held)
        await ask_followup(turn, held, same, (category,), intent=category)
    elif has_file and len(tickets) == 1:
        # A file (with at most a word or two) while one matter is open belongs to that matter.
        await add_to(turn, tickets[0], held)
    elif tickets:
        await ask_followup(turn, held, tickets, CHOOSABLE)
    elif door is Door.OUT_OF_SCOPE and not has_file:
        await offer_to_staff(turn, held)
    else:
        await ask_category(turn, held)
    return turn.answer()


async def open_and_answer(turn: Turn, citizen: Citizen, category: str, held: Held) -> Answer:
    """Open a ticket and answer with its number and due moment."""
    ticket = await open_ticket(turn, citizen, category, held)
    return turn.answer(ticket_number=ticket.number, due_at=ticket.due_at)


async def open_ticket(turn: Turn, citizen: Citizen | None, category: str, held: Held, parent: Ticket | None = None) -> Ticket:
    """Open a ticket from a message, due when the charter says counting from the message's receipt."""
    ticket = await lifecycle.open_ticket(
        session=turn.session, organisation_id=turn.desk.organisation_id, charter=turn.desk.charter,
        citizen=citizen, category=category, language=turn.language, text=held.text,
        received_at=held.received_at, parent_id=parent.id if parent is not None else None,
    )
    await entries.link_message(session=turn.session, chat_id=held.chat_id, message_id=held.message_id,
                               ticket_id=ticket.id)
    await enqueue_staff_card(turn.session, turn.desk, ticket, turn.now, channel=channel_of(turn.chat_id))
    if held.attachment is not None:
        await entries.add(session=turn.session, ticket=ticket, kind="attachment", file_id=held.attachment.file_id,
                          file_kind=held.attachment.kind, message_id=held.message_id, now=turn.now)
    await turn.say(
        turn.text(f"utter_ticket_opened_{category}", number=ticket.number, due=ticket.due_at),
        ticket_id=ticket.id,
    )
    if category == Category.APPOINTMENT_REQUEST:
        await appointments.after_opening(turn, ticket, held)
    return ticket


async def add_to(turn: Turn, ticket: Ticket, held: Held, *, detail: bool = False) -> None:
    """Add a message (text and/or file) to an open ticket's history and say so (with its status, if asked)."""
    attachment = held.attachment
    await entries.add(
        session=turn.session, ticket=ticket, kind="attachment" if attachment else "citizen_message",
        text=held.text or None, file_id=attachment.file_id if attachment else None,
        file_kind=attachment.kind if attachment else None, message_id=held.message_id, now=turn.now,
    )
    await entries.link_message(session=turn.session, chat_id=held.chat_id, message_id=held.message_id,
                               ticket_id=ticket.id)
    text = turn.text("utter_followup_added", number=ticket.number, due=ticket.due_at)
    if detail:
        text += "\n\n" + await status.detail(turn, ticket)
    await turn.say(text, ticket_id=ticket.id)


async def non_response(turn: Turn, citizen: Citizen, original: Ticket, held: Held) -> Answer:
    """A complaint that an overdue ticket got no answer: a linked ticket on its own clock; escalate the original."""
    existing = await entries.open_non_response_about(session=turn.session, parent_id=original.id)
    if existing is not None:
        await add_to(turn, existing, held)
        return turn.answer()
    ticket = await open_ticket(turn, citizen, Category.NON_RESPONSE_COMPLAINT, held, parent=original)
    turn.outgoing += await escalation.escalate_non_response(
        session=turn.session, desk=turn.desk, original=original, complaint=ticket, now=turn.now
    )
    return turn.answer(ticket_number=ticket.number, due_at=ticket.due_at)


async def ask_category(turn: Turn, held: Held) -> None:
    """We are not sure what kind of matter this is: hold the message and ask (three kinds, or "not a request")."""
    question = await _hold(turn, "category", held)
    rows = [[Button(turn.label(f"utter_button_{c}"), NewMatter(question.id, c))] for c in CHOOSABLE]
    rows.append([Button(turn.label("utter_button_not_a_request"), NotARequest(question.id))])
    await turn.say(turn.text("utter_ask_category"), buttons=rows)


async def offer_to_staff(turn: Turn, held: Held) -> None:
    """Confidently not for this desk: say so, but hold the message and offer to send it to the staff anyway."""
    question = await _hold(turn, "category", held, intent="out_of_scope")
    rows = [[Button(turn.label("utter_button_send_anyway"), SendAnyway(question.id))]]
    await turn.say(turn.text("utter_out_of_scope_offer"), buttons=rows)


async def ask_followup(
    turn: Turn, held: Held, tickets: list[Ticket], categories: tuple[str, ...], intent: str | None = None
) -> None:
    """Is this about an open ticket, or a new matter? Hold the message and ask with buttons."""
    offered = tickets[:OFFERED_TICKETS]
    question = await _hold(turn, "followup", held, intent=intent)
    rows = [[Button(turn.label("utter_button_add", number=t.number), AddToTicket(question.id, t.id))]
            for t in offered]
    rows += [[Button(turn.label(f"utter_button_new_{c}"), NewMatter(question.id, c))] for c in categories]
    if intent is None:
        # Not confidently a request at all: the citizen may say so, and the message is let go.
        rows.append([Button(turn.label("utter_button_not_a_request"), NotARequest(question.id))])
    numbers = ", ".join(t.number for t in offered)
    await turn.say(turn.text("utter_ask_followup", numbers=numbers), buttons=rows)


async def ask_non_response(turn: Turn, held: Held, overdue: Ticket) -> None:
    """Is this complaint about the answer to `overdue` that did not come? Hold it and ask with buttons."""
    question = await _hold(turn, "followup", held, intent="complaint")
    missing = turn.label("utter_button_missing_answer", number=overdue.number)
    rows = [
        [Button(missing, MissingAnswer(question.id, overdue.id))],
        [Button(turn.label("utter_button_new_complaint"), NewMatter(question.id, "complaint"))],
    ]
    text = turn.text("utter_ask_non_response", number=overdue.number, due=overdue.due_at)
    await turn.say(text, buttons=rows, ticket_id=overdue.id)


async def settle(turn: Turn, citizen: Citizen, question: Question, button: QuestionPress) -> Answer:
    """The citizen answered a held question with a button: do what they chose."""
    if isinstance(button, NotARequest):
        release(question, turn.now)
        await turn.say(turn.text("utter_not_a_request"))
        return turn.answer(settled=True)
    held = held_of(question)
    if isinstance(button, SendAnyway):
        question.answered_at = turn.now
        ticket = await open_ticket(turn, citizen, Category.INQUIRY, held)
        return turn.answer(ticket_number=ticket.number, due_at=ticket.due_at, settled=True)
    if isinstance(button, MissingAnswer):
        original = await service.get_ticket(
            session=turn.session, organisation_id=turn.desk.organisation_id, ticket_id=button.ticket_id
        )
        if original is None or original.citizen_id != citizen.id:
            return turn.answer(toast=turn.text("utter_question_gone"), settled=True)
        if original.status != TicketStatus.OPEN:
            return await offer_new_ticket(turn, question, original, (Category.COMPLAINT,))
        question.answered_at = turn.now
        answer = await non_response(turn, citizen, original, held)
        return turn.answer(ticket_number=answer.ticket_number, due_at=answer.due_at, settled=True)
    if isinstance(button, AddToTicket):
        ticket = await service.get_ticket(
            session=turn.session, organisation_id=turn.desk.organisation_id, ticket_id=button.ticket_id
        )
        if ticket is None or ticket.citizen_id != citizen.id:
            return turn.answer(toast=turn.text("utter_question_gone"), settled=True)
        if ticket.status != TicketStatus.OPEN:
            chosen = TICKET_CATEGORIES.get(question.intent or "")
            return await offer_new_ticket(turn, question, ticket, (chosen,) if chosen else CHOOSABLE)
        question.answered_at = turn.now
        await add_to(turn, ticket, held)
        return turn.answer(settled=True)
    category = button.category
    if category not in CHOOSABLE:
        return turn.answer(toast=turn.text("utter_question_gone"))
    question.answered_at = turn.now
    ticket = await open_ticket(turn, citizen, category, held)
    return turn.answer(ticket_number=ticket.number, due_at=ticket.due_at, settled=True)


async def offer_new_ticket(turn: Turn, question: Question, gone: Ticket, categories: tuple[str, ...]) -> Answer:
    """The ticket the citizen chose to add to was closed meanwhile: the message stays held, and the
    remaining choice (a new ticket) is offered with fresh buttons instead of the stale ones."""
    rows = [[Button(turn.label(f"utter_button_new_{c}"), NewMatter(question.id, c))] for c in categories]
    rows.append([Button(turn.label("utter_button_not_a_request"), NotARequest(question.id))])
    await turn.say(turn.text("utter_question_target_gone", number=gone.number), buttons=rows)
    return turn.answer(settled=True)


def release(question: Question, now: datetime) -> None:
    """The citizen said the held message was not a request: settle the question and keep none of the message."""
    question.answered_at = now
    question.text = None
    question.file_id = question.file_kind = None


def held_of(question: Question) -> Held:
    """The message a question holds."""
    attachment = Attachment(question.file_id, question.file_kind) if question.file_id else None
    return Held(
        chat_id=question.chat_id, message_id=question.message_id, text=question.text or "",
        received_at=question.received_at, attachment=attachment, preferred_at=question.preferred_at,
        preferred_has_time=question.preferred_has_time, needs_purpose=question.needs_purpose,
    )


async def _hold(turn: Turn, kind: str, held: Held, intent: str | None = None) -> Question:
    attachment = held.attachment
    return await questions.ask(
        session=turn.session,
        question=Question(
            organisation_id=turn.desk.organisation_id, kind=kind, chat_id=held.chat_id,
            language=turn.language, message_id=held.message_id, text=held.text, received_at=held.received_at,
            intent=intent, file_id=attachment.file_id if attachment else None,
            file_kind=attachment.kind if attachment else None, preferred_at=held.preferred_at,
            preferred_has_time=held.preferred_has_time, needs_purpose=held.needs_purpose, created_at=turn.now,
        ),
    )


async def _answers_appointment_question(turn: Turn, held: Held, intent: str, certain: bool) -> bool:
    question = await questions.open_for_chat(
        session=turn.session, organisation_id=turn.desk.organisation_id, chat_id=turn.chat_id,
        kind="appointment",
    )
    if question is None:
        return False
    ticket = await service.get_ticket(
        session=turn.session, organisation_id=turn.desk.organisation_id, ticket_id=question.ticket_id
    )
    if ticket is None or ticket.status != TicketStatus.OPEN:
        question.answered_at = turn.now
        return False
    if not appointments.takes_as_answer(question, held, intent, certain, turn.now):
        return False
    await appointments.answer(turn, question, ticket, held)
    return True


async def _referenced(turn: Turn, inbound: Inbound, tickets: list[Ticket]) -> Ticket | None:
    """The open ticket a message points at: by replying to a message of it, or by naming its number."""
    by_id = {ticket.id: ticket for ticket in tickets}
    if inbound.reply_to_message_id is not None:
        ticket_id = await entries.ticket_of_message(
            session=turn.session, chat_id=inbound.chat_id, message_id=inbound.reply_to_message_id
        )
        if ticket_id in by_id:
            return by_id[ticket_id]
    by_serial = {ticket.serial: ticket for ticket in tickets}
    for match in _NUMBER.finditer(inbound.text):
        parsed = parse_number(re.sub(r"\s", "", match.group()))
        # A number the ticket had before staff corrected its category still names it.
        if parsed and parsed[1] in by_serial and await corrections.names_ticket(
            session=turn.session, ticket=by_serial[parsed[1]], category=parsed[0]
        ):
            return by_serial[parsed[1]]
    return None


def _overdue(tickets: list[Ticket], referenced: Ticket | None, held: Held) -> Ticket | None:
    """The overdue ticket a complaint is about: the one it points at, else the longest overdue."""
    late = [t for t in tickets if t.due_at < held.received_at and t.category != Category.NON_RESPONSE_COMPLAINT]
    if referenced is not None and referenced in late:
        return referenced
    return min(late, key=lambda t: t.due_at, default=None)
