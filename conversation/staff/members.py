"""/staff list|add|remove: admins change the registry at run time; everyone on it may list it."""

from conversation import arguments
from desk import audit
from desk.staff import service
from desk.staff.access import may
from desk.staff.errors import ActionError, NeedsRole
from conversation.staff.turn import Reply, StaffTurn, first_word


async def staff(turn: StaffTurn) -> Reply:
    """Dispatch /staff list, /staff add ..., /staff remove ..."""
    verb, rest = first_word(turn.request.text)
    verb = verb.casefold()
    if verb in ("", "list"):
        return await _list(turn)
    if verb not in ("add", "remove"):
        raise ActionError("utter_staff_usage_staff")
    if not may(turn.staff.role, "admin"):
        raise NeedsRole("admin")
    return await (_add(turn, rest) if verb == "add" else _remove(turn, rest))


async def _list(turn: StaffTurn) -> Reply:
    members = await service.active_members(session=turn.session, organisation_id=turn.desk.organisation_id)
    await _audit(turn, "staff_list", None)
    lines = [turn.text("utter_staff_list_header", count=len(members))]
    lines += [
        turn.text(
            "utter_staff_list_line", member=m.name, role=turn.text(f"utter_staff_role_{m.role}"), id=m.telegram_id,
            username=f"@{m.username}" if m.username else "",
        ).rstrip()
        for m in members
    ]
    return Reply(text="\n".join(lines))


async def _add(turn: StaffTurn, rest: str) -> Reply:
    replied = turn.request.replied_user
    if replied is not None and not first_word(rest)[0].isdigit():
        # "/staff add ROLE [NAME]" as a reply to the person's message: Telegram tells us who they are.
        role, name = first_word(rest)
        telegram_id, name, username = replied.user_id, name or replied.name, replied.username
        if replied.hidden:
            raise ActionError("utter_staff_cannot_be_staff", id=telegram_id)
    else:
        digits, rest = first_word(rest)
        role, name = first_word(rest)
        if not digits.isdigit() or not name:
            raise ActionError("utter_staff_usage_staff")
        telegram_id, username = arguments.telegram_id(digits), None
        if telegram_id is None:
            raise ActionError("utter_staff_bad_member", who=digits[:40])
    member = await service.add(
        session=turn.session, organisation_id=turn.desk.organisation_id, telegram_id=telegram_id, name=name,
        role=role.casefold(), username=username, by=turn.staff.telegram_id, now=turn.now,
    )
    await _audit(turn, "staff_add", f"{member.telegram_id} {member.role}")
    role_name = turn.text(f"utter_staff_role_{member.role}")
    return Reply(text=turn.text("utter_staff_added", member=member.name, role=role_name), roster_changed=True)


async def _remove(turn: StaffTurn, rest: str) -> Reply:
    who = first_word(rest)[0]
    replied = turn.request.replied_user
    if not who and replied is not None:
        who = str(replied.user_id)
    if not who:
        raise ActionError("utter_staff_usage_staff")
    named = arguments.member(who)
    if named is None:
        raise ActionError("utter_staff_bad_member", who=who[:40])
    member = await service.find(session=turn.session, organisation_id=turn.desk.organisation_id, who=named)
    if member is None:
        raise ActionError("utter_staff_not_a_member", who=who[:40])
    await service.remove(
        session=turn.session, organisation_id=turn.desk.organisation_id, telegram_id=member.telegram_id,
        by=turn.staff.telegram_id, now=turn.now,
    )
    await _audit(turn, "staff_remove", str(member.telegram_id))
    return Reply(text=turn.text("utter_staff_removed", member=member.name), roster_changed=True)


async def _audit(turn: StaffTurn, action: str, detail: str | None) -> None:
    await audit.record(
        turn.session, organisation_id=turn.desk.organisation_id, action=action,
        actor_id=turn.staff.telegram_id, actor_role=turn.staff.role, now=turn.now,
        chat_id=turn.request.chat_id, detail=detail,
    )
