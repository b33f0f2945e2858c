"""Appointment requests: ask what is missing, check the time asked for, offer open slots, note the choice."""

from datetime import datetime, timedelta

from babel.dates import format_skeleton

from desk.tickets import entries, preferences, questions, slots
from desk.tickets.models import Ticket
from desk.tickets.questions import Question
from conversation.buttons import Button, OtherTime, PickSlot
from conversation.turns import Held, Turn

# A message this short (Hangul counting three, as it packs a word in a syllable) names no purpose:
# "I'd like an appointment", "상담 예약하고 싶어요". Asking costs the citizen one line.
PURPOSE_MIN_WEIGHT = 30
# We take this many free-text answers to an appointment question before leaving it to staff.
MAX_ANSWERS = 3
# An unanswered appointment question stops catching messages after this long.
QUESTION_LIFETIME = timedelta(days=2)


def lacks_purpose(text: str, time_phrase: str | None) -> bool:
    """Whether the request says too little about what the appointment is for."""
    rest = text.replace(time_phrase, " ") if time_phrase else text
    weight = sum(3 if "\uac00" <= ch <= "\ud7a3" else 1 for ch in rest if ch.isalpha())
    return weight < PURPOSE_MIN_WEIGHT


async def after_opening(turn: Turn, ticket: Ticket, held: Held) -> None:
    """Right after the acknowledgement: ask what is missing and offer times."""
    await questions.ask(
        session=turn.session,
        question=Question(
            organisation_id=turn.desk.organisation_id, kind="appointment", chat_id=turn.chat_id,
            ticket_id=ticket.id, language=turn.language, needs_purpose=held.needs_purpose,
            created_at=turn.now,
        ),
    )
    if held.needs_purpose:
        await turn.say(turn.text("utter_appointment_ask_purpose"), ticket_id=ticket.id)
    await offer_times(turn, ticket, held.preferred_at, held.preferred_has_time)


def takes_as_answer(question: Question, held: Held, intent: str, certain: bool, now: datetime) -> bool:
    """Whether a message is the answer to an open appointment question rather than something new."""
    if question.created_at < now - QUESTION_LIFETIME or held.attachment is not None:
        return False
    if intent in ("greet", "thanks") or (certain and intent == "complaint"):
        return False
    # Right after "what is it about?", "about my application" reads to the classifier like a status question.
    if held.preferred_at is not None or question.needs_purpose:
        return True
    return intent in ("appointment_request", "out_of_scope") or not certain


async def answer(turn: Turn, question: Question, ticket: Ticket, held: Held) -> None:
    """A citizen answered our appointment question in words: keep it, and carry on with the time."""
    await entries.add(
        session=turn.session, ticket=ticket, kind="citizen_message", text=held.text, message_id=held.message_id,
        now=turn.now,
    )
    await entries.link_message(session=turn.session, chat_id=turn.chat_id, message_id=held.message_id,
                               ticket_id=ticket.id)
    question.answers += 1
    gave_purpose, question.needs_purpose = question.needs_purpose, False
    if held.preferred_at is not None:
        await offer_times(turn, ticket, held.preferred_at, held.preferred_has_time)
    elif ticket.preferred_at is not None:
        question.answered_at = turn.now
        await turn.say(_added(turn, ticket), ticket_id=ticket.id)
    elif question.answers >= MAX_ANSWERS:
        question.answered_at = turn.now
        await turn.say(turn.text("utter_appointment_staff_will_arrange", number=ticket.number,
                                 due=ticket.due_at), ticket_id=ticket.id)
    else:
        await offer_times(turn, ticket, None, False, unread=not gave_purpose)


async def offer_times(turn: Turn, ticket: Ticket, at: datetime | None, has_time: bool, *, unread: bool = False) -> None:
    """Check the time asked for against the office's hours and holidays; offer it or the nearest open slots."""
    calendar = turn.desk.charter.calendar
    now = turn.now
    if at is None:
        response, offered, shown = ("utter_appointment_no_date" if unread else "utter_appointment_ask_time",
                                    slots.suggestions(calendar, now=now), "")
    elif has_time:
        verdict = slots.verdict(calendar, at, now=now)
        if verdict == "open":
            buttons = [[Button(f"✅ {short_moment(turn, at)}", PickSlot.at(ticket.id, at))],
                       [Button(turn.label("utter_button_other_time"), OtherTime(ticket.id))]]
            await turn.say(turn.text("utter_appointment_confirm", moment=at), buttons=buttons,
                           ticket_id=ticket.id)
            return
        response, shown = f"utter_appointment_{verdict}", turn.moment(at)
        offered = slots.nearest(calendar, now if verdict == "past" else at, now=now)
    else:
        day = calendar.local_date(at)
        verdict = slots.day_verdict(calendar, day, now=now)
        response = "utter_appointment_pick_on_day" if verdict == "open" else f"utter_appointment_{verdict}"
        shown = day_text(turn, at)
        offered = slots.on_day(calendar, calendar.local_date(now) if verdict == "past" else day, now=now)
    text = turn.text(response, moment=shown)
    if not offered:
        text += "\n" + turn.text("utter_appointment_staff_will_arrange", number=ticket.number,
                                 due=ticket.due_at)
    rows = [[Button(short_moment(turn, start), PickSlot.at(ticket.id, start))] for start in offered]
    if offered and at is not None:
        rows.append([Button(turn.label("utter_button_other_time"), OtherTime(ticket.id))])
    await turn.say(text, buttons=rows or None, ticket_id=ticket.id)


async def choose_slot(turn: Turn, ticket: Ticket, start: datetime) -> str | None:
    """The citizen pressed a time: note it if the office is (still) open then; else offer again.

    Returns a note for the button instead of a message when this time was noted already."""
    if slots.verdict(turn.desk.charter.calendar, start, now=turn.now) != "open":
        await offer_times(turn, ticket, start, True)
        return None
    changed = await preferences.prefer(session=turn.session, ticket=ticket, start=start)
    if changed:
        await entries.add(session=turn.session, ticket=ticket, kind="system", now=turn.now,
                          text=f"preferred time: {start.isoformat()}")
    closed = await questions.close_appointment_questions(session=turn.session, ticket_id=ticket.id, now=turn.now)
    if not changed and not closed:
        # The same slot pressed again (or twice at once): noted already, said already.
        return turn.text("utter_question_done")
    await turn.say(turn.text("utter_appointment_noted", moment=start, number=ticket.number,
                             due=ticket.due_at), ticket_id=ticket.id)
    return None


async def ask_other_time(turn: Turn, ticket: Ticket) -> None:
    """The citizen wants another time: ask them to write it (and listen for it)."""
    question = await questions.open_for_chat(
        session=turn.session, organisation_id=turn.desk.organisation_id, chat_id=turn.chat_id,
        kind="appointment",
    )
    if question is None or question.ticket_id != ticket.id:
        await questions.ask(
            session=turn.session,
            question=Question(
                organisation_id=turn.desk.organisation_id, kind="appointment", chat_id=turn.chat_id,
                ticket_id=ticket.id, language=turn.language, created_at=turn.now,
            ),
        )
    else:
        question.created_at = turn.now
    await turn.say(turn.text("utter_appointment_write_time"), ticket_id=ticket.id)


def short_moment(turn: Turn, at: datetime) -> str:
    """A slot as a button shows it: weekday, day and time, e.g. 'Tue, Dec 1, 14:00'."""
    local = at.astimezone(turn.desk.charter.timezone)
    return f"{format_skeleton('MMMEd', local, locale=turn.locale)} {local:%H:%M}"


def day_text(turn: Turn, at: datetime) -> str:
    """A day as this citizen reads it, e.g. '2026년 12월 1일 (화)'."""
    local = at.astimezone(turn.desk.charter.timezone)
    return format_skeleton("yMMMEd", local, locale=turn.locale)


def _added(turn: Turn, ticket: Ticket) -> str:
    return turn.text("utter_followup_added", number=ticket.number, due=ticket.due_at)
