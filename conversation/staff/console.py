"""The staff console: one entry point for every staff command and button, from Telegram or anywhere.

`handle` makes a repeated update a no-op, refuses (and audits) anyone who is not staff or whose
role is too low, runs the command in a savepoint so a refused argument changes nothing, and
promises the answer in the outbox. Everything it promises comes back leased in `Outcome.outgoing`.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from desk import audit, outbox
from infra.encrypted import chat_hash_of
from conversation.staff import agency, commands, digests, members, presses, recategorise, reports, views
from desk.staff import service
from desk.staff.access import AGENCY, Actor, may, member_language
from desk.staff.errors import ActionError, NeedsRole
from desk.staff.models import Staff
from conversation.staff.turn import FileOut, Reply, Request, StaffTurn, first_word
from conversation import arguments, replies
from desk.tickets import service as tickets
from conversation.citizen.flows import Desk

Run = Callable[[StaffTurn], Awaitable[Reply]]

# In a group, someone refused is told once in this long; later attempts are only audited, so nobody
# can make the bot flood the staff chat (Telegram allows a bot 20 messages a minute in a group).
REFUSAL_QUIET = timedelta(minutes=10)
# What a staff member is told of a ticket that is not found, whether mistyped or another organisation's.
UNKNOWN_TICKET = "utter_staff_unknown_ticket"


@dataclass(frozen=True)
class Spec:
    """Who may run a command and what it does."""

    role: str
    run: Run


COMMANDS: dict[str, Spec] = {
    "help": Spec("agent", views.help_text),
    "queue": Spec("agent", views.queue),
    "show": Spec("agent", views.show),
    "reply": Spec("agent", commands.reply),
    "interim": Spec("agent", commands.interim),
    "close": Spec("agent", commands.close),
    "assign": Spec("agent", commands.assign),
    "note": Spec("agent", commands.note),
    "confirm": Spec("agent", commands.confirm),
    "decline": Spec("agent", commands.decline),
    "reopen": Spec("agent", commands.reopen),
    "category": Spec("agent", recategorise.command),
    "audit": Spec("officer", views.audit_view),
    "report": Spec("officer", reports.report),
    "agency": Spec(AGENCY, agency.agency),  # the parent body's agency officers only (docs/organisations.md)
    "staff": Spec("agent", members.staff),  # add/remove check for admin themselves
    # Not typed: a reply to a card in the staff chat.
    "draft": Spec("agent", presses.draft),
}
BUTTONS: dict[str, Spec] = {
    "take": Spec("agent", presses.take),
    "reply": Spec("agent", presses.reply_hint),
    "interim": Spec("agent", presses.interim_hint),
    "close": Spec("agent", presses.close),
    "send": Spec("agent", presses.send),
    "drop": Spec("agent", presses.drop),
    "category": Spec("agent", recategorise.press),
    "show": Spec("agent", digests.show_pressed),  # a ticket's button under a digest (issue 18)
}
# Commands staff type; the transport registers a handler for each.
TYPED_COMMANDS = tuple(name for name in COMMANDS if name != "draft")


@dataclass(frozen=True)
class Outcome:
    """What handling one request promised, and what the transport should do besides delivering it."""

    duplicate: bool = False
    accepted: bool = False  # the member was allowed to act (the action itself may still have said no)
    outgoing: list[outbox.Outgoing] = field(default_factory=list)
    toast: str | None = None
    roster_changed: bool = False
    settled: bool = False
    files: list[FileOut] = field(default_factory=list)  # for the chat the request came from, after the text


async def handle(*, session: AsyncSession, desk: Desk, actor: Actor, request: Request, now: datetime) -> Outcome:
    """Authorise, run and answer one staff request, all in the caller's transaction."""
    if (
        request.message_id is not None
        and await tickets.record_inbound(
            session=session, organisation_id=desk.organisation_id, chat_id=request.chat_id,
            message_id=request.message_id, received_at=now,
        )
        is None
    ):
        return Outcome(duplicate=True)
    # PostgreSQL text cannot hold NUL (a forged client can send one): dropped before anything is stored.
    request = replace(request, text=arguments.storable(request.text),
                      replied_text=arguments.storable(request.replied_text) if request.replied_text is not None else None)
    language = member_language(actor.language_code, speakable=desk.texts.languages, default=desk.charter.languages[0])
    spec = (BUTTONS if request.button else COMMANDS).get(request.command)
    staff = await service.authorise(session=session, organisation_id=desk.organisation_id, actor=actor)
    if spec is None or staff is None or not may(staff.role, spec.role):
        return await _refuse(session, desk, actor, staff, request, language, now, spec.role if spec else "admin")
    service.remember(staff, actor)
    turn = StaffTurn(session, desk, staff, actor, language, now, request)
    try:
        async with session.begin_nested():
            reply = await spec.run(turn)
    except ActionError as error:
        if error.response == UNKNOWN_TICKET:
            await _audit_if_elsewhere(session, desk, actor, staff, request, now)
        # Moments in an error are shown the way this staff member reads them.
        params = {k: turn.moment(v) if isinstance(v, datetime) else v for k, v in error.params.items()}
        reply = _said(turn, turn.text(error.response, **params))
    except NeedsRole as needed:
        return await _refuse(session, desk, actor, staff, request, language, now, needed.role)
    return await _answer(session, desk, request, reply, now, staff=staff)


async def _refuse(
    session, desk: Desk, actor: Actor, staff: Staff | None, request: Request, language: str, now: datetime,
    needed: str,
) -> Outcome:
    if actor.hidden:
        response, reason = "utter_staff_refused_hidden", "hidden sender"
    elif staff is None:
        response, reason = "utter_staff_refused", "not staff"
    else:
        # The agency role is not a rank above the others: say who may, not "or higher".
        response = "utter_report_agency_refused" if needed == AGENCY else "utter_staff_needs_role"
        reason = f"needs {needed}"
    who = _who(actor, staff, request)
    quiet = request.in_group and not request.button and await audit.refused_since(
        session, **who, since=now - REFUSAL_QUIET
    )
    await audit.record(
        session, organisation_id=desk.organisation_id, action=request.command, outcome=audit.REFUSED,
        actor_role=staff.role if staff else None, ticket_id=await _ticket_hint(session, desk, request),
        detail=reason + (", not answered again" if quiet else ""), now=now, **who,
    )
    role = desk.texts.render(f"utter_staff_role_{needed}", language)
    text = desk.texts.render(response, language, role=role)
    # A refused button press is answered on the button only, so nobody can flood the staff chat.
    reply = Reply(toast=text) if request.button else Reply(text=None if quiet else text)
    outcome = await _answer(session, desk, request, reply, now, staff=None)
    return Outcome(outgoing=outcome.outgoing, toast=outcome.toast)


async def _answer(
    session, desk: Desk, request: Request, reply: Reply, now: datetime, *, staff: Staff | None
) -> Outcome:
    outgoing = list(reply.outgoing)
    if reply.text:
        outgoing += await replies.enqueue_text(
            session, key=request.key, chat_id=request.chat_id, text=reply.text, buttons=reply.buttons, now=now,
            organisation_id=desk.organisation_id,
        )
    return Outcome(
        accepted=staff is not None, outgoing=outgoing, toast=reply.toast, roster_changed=reply.roster_changed,
        settled=reply.settled, files=reply.files,
    )


async def _audit_if_elsewhere(
    session, desk: Desk, actor: Actor, staff: Staff, request: Request, now: datetime
) -> None:
    """A button naming another organisation's ticket (a forged or pasted card): answered as a typo is (so its
    existence is not revealed), but written to this organisation's audit log as a refused attempt. A typed
    number cannot reach another organisation's ticket: it is looked for among this organisation's numbers."""
    ticket_id = _pressed_id(request) if request.button else None
    if ticket_id is None or not await tickets.held_elsewhere(
        session=session, organisation_id=desk.organisation_id, ticket_id=ticket_id
    ):
        return
    # No ticket_id: /audit N here must not list another organisation's ticket N.
    await audit.record(
        session, organisation_id=desk.organisation_id, action=request.command, outcome=audit.REFUSED,
        actor_role=staff.role, detail="another organisation's ticket", now=now, **_who(actor, staff, request),
    )


def _said(turn: StaffTurn, text: str) -> Reply:
    """Why the action could not be done: on the button when one was pressed, else in the chat."""
    return Reply(toast=text) if turn.request.button else Reply(text=text)


def _who(actor: Actor, staff: Staff | None, request: Request) -> dict:
    """How the audit log names who tried, and where: a staff member by id; anyone else (a citizen,
    a stranger) by a keyed hash only, and their private chat with the bot, whose id is theirs, not at all."""
    if staff is not None:
        return {"actor_id": actor.user_id, "actor_hash": None, "chat_id": request.chat_id}
    private = request.chat_id == actor.user_id
    return {"actor_id": None, "actor_hash": chat_hash_of(actor.user_id), "chat_id": None if private else request.chat_id}


def _pressed_id(request: Request) -> int | None:
    """The ticket id a card's button carries (buttons name tickets by id, typed commands by number)."""
    if request.command not in ("take", "reply", "interim", "close", "category", "show"):
        return None
    return arguments.record_id(first_word(request.text)[0])


async def _ticket_hint(session: AsyncSession, desk: Desk, request: Request) -> int | None:
    """The ticket an attempt was about, as far as the request says, so /audit N shows attempts on N. A typed
    number names a ticket of this organisation only (each counts its own from 1001)."""
    if request.button:
        return _pressed_id(request)
    if request.command == "draft":
        found = presses.NUMBER.search(request.replied_text or "")
        token = found.group(0) if found else ""
    else:
        token = first_word(request.text)[0]
    number = arguments.ticket_number(token)
    if number is None:
        return None
    ticket = await tickets.get_ticket_by_number(
        session=session, organisation_id=desk.organisation_id, serial=number.serial
    )
    return ticket.id if ticket is not None else None
