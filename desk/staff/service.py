"""Queries and changes of the staff registry; services never commit."""

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.charter.model import Charter, ROLES
from desk.staff.access import NEVER_STAFF, ROLE_RANK, Actor
from desk.staff.errors import ActionError
from desk.staff.models import Staff
from infra.database import insert_ignoring_conflicts

log = logging.getLogger(__name__)


async def get_active(*, session: AsyncSession, organisation_id: int, telegram_id: int) -> Staff | None:
    """The organisation's active staff member with this Telegram id; never one of Telegram's stand-in ids."""
    if telegram_id in NEVER_STAFF:
        return None
    staff = await session.get(Staff, telegram_id)
    # Another organisation's member is no member here, exactly as a stranger is not.
    return staff if staff is not None and staff.active and staff.organisation_id == organisation_id else None


async def authorise(*, session: AsyncSession, organisation_id: int, actor: Actor) -> Staff | None:
    """The organisation's staff member acting, or None: unknown ids and hidden authors are never staff."""
    if actor.hidden:
        return None
    return await get_active(session=session, organisation_id=organisation_id, telegram_id=actor.user_id)


async def active_members(*, session: AsyncSession, organisation_id: int) -> list[Staff]:
    """Everyone who may use the organisation's staff console, admins first, then by name."""
    query = select(Staff).where(Staff.organisation_id == organisation_id, Staff.removed_at.is_(None))
    rows = (await session.scalars(query)).all()
    return sorted(rows, key=lambda s: (-ROLE_RANK.get(s.role, 0), s.name))


async def active_ids(*, session: AsyncSession, organisation_id: int) -> set[int]:
    """Telegram ids of every active staff member of the organisation."""
    query = select(Staff.telegram_id).where(
        Staff.organisation_id == organisation_id, Staff.removed_at.is_(None)
    )
    return set((await session.scalars(query)).all()) - NEVER_STAFF


async def find(*, session: AsyncSession, organisation_id: int, who: int | str) -> Staff | None:
    """An active member by Telegram id (int), or by @username or exact name (str, case-insensitive)."""
    if isinstance(who, int):
        return await get_active(session=session, organisation_id=organisation_id, telegram_id=who)
    wanted = who.strip().removeprefix("@").casefold()
    for staff in await active_members(session=session, organisation_id=organisation_id):
        if wanted in ((staff.username or "").casefold(), staff.name.casefold()):
            return staff
    return None


def remember(staff: Staff, actor: Actor) -> None:
    """Keep the member's current @username, so colleagues can name them in /assign."""
    username = (actor.username or "").casefold() or None
    if username and staff.username != username:
        staff.username = username


async def add(
    *, session: AsyncSession, organisation_id: int, telegram_id: int, name: str, role: str, by: int,
    now: datetime, username: str | None = None,
) -> Staff:
    """Add a member, or change (and reactivate) an existing one."""
    if telegram_id <= 0 or telegram_id in NEVER_STAFF:
        raise ActionError("utter_staff_cannot_be_staff", id=telegram_id)
    if role not in ROLES:
        raise ActionError("utter_staff_unknown_role", role=role, roles=", ".join(ROLES))
    if not name.strip():
        raise ActionError("utter_staff_usage_staff")
    staff = await session.get(Staff, telegram_id)
    if staff is not None and staff.organisation_id != organisation_id:
        # A member of one organisation only; the refusal does not say which other one has them.
        raise ActionError("utter_staff_cannot_be_staff", id=telegram_id)
    if staff is None:
        staff = Staff(telegram_id=telegram_id, organisation_id=organisation_id, added_at=now)
        session.add(staff)
    elif staff.active and staff.role == "admin" and role != "admin":
        await _keep_an_admin(session, staff)
    staff.name, staff.role, staff.changed_by, staff.removed_at = name.strip(), role, by, None
    if username:
        staff.username = username.removeprefix("@").casefold()
    await session.flush()
    return staff


async def remove(
    *, session: AsyncSession, organisation_id: int, telegram_id: int, by: int, now: datetime
) -> Staff:
    """Take a member's access away; the row stays so the audit log keeps a name."""
    staff = await get_active(session=session, organisation_id=organisation_id, telegram_id=telegram_id)
    if staff is None:
        raise ActionError("utter_staff_not_a_member", who=telegram_id)
    if staff.role == "admin":
        await _keep_an_admin(session, staff)
    staff.removed_at, staff.changed_by = now, by
    await session.flush()
    return staff


async def seed_from_charter(
    *, session: AsyncSession, organisation_id: int, charter: Charter, now: datetime
) -> None:
    """Make the registry hold the organisation's charter's `staff:`, without undoing changes made by /staff."""
    listed = {}
    for member in charter.staff:
        if member.telegram_id in NEVER_STAFF:
            log.warning("charter lists Telegram's stand-in id %s as staff; ignored", member.telegram_id)
            continue
        listed[member.telegram_id] = member
        statement = insert_ignoring_conflicts(session, Staff, ["telegram_id"]).values(
            telegram_id=member.telegram_id, organisation_id=organisation_id, name=member.name,
            role=member.role, added_at=now,
        )
        await session.execute(statement)
    seeded = select(Staff).where(Staff.organisation_id == organisation_id, Staff.changed_by.is_(None))
    for staff in (await session.scalars(seeded)).all():
        member = listed.get(staff.telegram_id)
        if member is None:
            # Dropped from the charter file: the charter seeded this access, so it takes it back.
            staff.removed_at = staff.removed_at or now
        else:
            staff.name, staff.role, staff.removed_at = member.name, member.role, None
    await session.flush()


async def _keep_an_admin(session: AsyncSession, leaving: Staff) -> None:
    admins = [s for s in await active_members(session=session, organisation_id=leaving.organisation_id)
              if s.role == "admin"]
    if admins == [leaving]:
        raise ActionError("utter_staff_last_admin")
