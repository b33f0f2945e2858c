"""The staff registry: seeded from the charter, changed by admins, never holding Telegram's stand-in ids."""

import pytest

from desk.organisations.models import FIRST_ORGANISATION
from desk.charter.model import StaffMember
from desk.staff import service
from desk.staff.access import (
    ANONYMOUS_ADMIN_ID,
    CHANNEL_BOT_ID,
    TELEGRAM_SERVICE_ID,
    Actor,
    may,
    member_language,
)
from desk.staff.errors import ActionError
from desk.staff.models import Staff
from desk.staff.startup import seed_registry
from tests.conftest import at

NOW = at("2026-11-23T10:00:00+09:00")
LATER = at("2026-11-24T10:00:00+09:00")


def with_staff(charter, *members):
    return charter.model_copy(update={"staff": tuple(StaffMember(**m) for m in members)})


async def members(store) -> dict[int, tuple[str, str]]:
    async with store.unit_of_work() as session:
        return {s.telegram_id: (s.name, s.role) for s in await service.active_members(organisation_id=FIRST_ORGANISATION, session=session)}


async def test_the_charters_staff_are_seeded_and_seeding_again_is_harmless(store, charter):
    await seed_registry(store, charter, organisation_id=FIRST_ORGANISATION, now=NOW)
    await seed_registry(store, charter, organisation_id=FIRST_ORGANISATION, now=LATER)
    assert await members(store) == {1001: ("김담당", "officer"), 1002: ("이상담", "agent")}


async def test_a_charter_edit_applies_at_restart_but_a_command_change_is_kept(store, charter):
    await seed_registry(store, charter, organisation_id=FIRST_ORGANISATION, now=NOW)
    async with store.unit_of_work() as session:
        await service.add(organisation_id=FIRST_ORGANISATION, session=session, telegram_id=1002, name="이상담", role="officer", by=1001, now=NOW)
    edited = with_staff(
        charter,
        {"telegram_id": 1001, "name": "김담당", "role": "admin"},
        {"telegram_id": 1002, "name": "이상담", "role": "agent"},
    )
    await seed_registry(store, edited, organisation_id=FIRST_ORGANISATION, now=LATER)
    assert await members(store) == {1001: ("김담당", "admin"), 1002: ("이상담", "officer")}


async def test_someone_dropped_from_the_charter_loses_access_at_restart(store, charter):
    await seed_registry(store, charter, organisation_id=FIRST_ORGANISATION, now=NOW)
    await seed_registry(store, with_staff(charter, {"telegram_id": 1001, "name": "김담당", "role": "officer"}), organisation_id=FIRST_ORGANISATION, now=LATER)
    assert set(await members(store)) == {1001}


async def test_telegrams_stand_in_ids_are_never_staff_even_if_listed(store, charter):
    listed = with_staff(
        charter,
        {"telegram_id": 1001, "name": "김담당", "role": "officer"},
        {"telegram_id": ANONYMOUS_ADMIN_ID, "name": "Group", "role": "admin"},
    )
    await seed_registry(store, listed, organisation_id=FIRST_ORGANISATION, now=NOW)
    assert set(await members(store)) == {1001}
    async with store.unit_of_work() as session:
        for stand_in in (ANONYMOUS_ADMIN_ID, CHANNEL_BOT_ID, TELEGRAM_SERVICE_ID):
            with pytest.raises(ActionError, match="utter_staff_cannot_be_staff"):
                await service.add(organisation_id=FIRST_ORGANISATION, session=session, telegram_id=stand_in, name="x", role="admin", by=1001, now=NOW)
            assert await service.get_active(organisation_id=FIRST_ORGANISATION, session=session, telegram_id=stand_in) is None


@pytest.mark.parametrize(
    "actor, allowed",
    [
        (Actor(1001), True),
        (Actor(1001, sender_chat=True), False),  # an admin posting as the group
        (Actor(1001, is_bot=True), False),
        (Actor(ANONYMOUS_ADMIN_ID), False),
        (Actor(CHANNEL_BOT_ID), False),
        (Actor(TELEGRAM_SERVICE_ID), False),
        (Actor(4242), False),
    ],
)
async def test_authorisation_is_by_user_id_of_a_person_speaking_for_themselves(store, charter, actor, allowed):
    await seed_registry(store, charter, organisation_id=FIRST_ORGANISATION, now=NOW)
    async with store.unit_of_work() as session:
        assert (await service.authorise(organisation_id=FIRST_ORGANISATION, session=session, actor=actor) is not None) == allowed


async def test_admins_add_change_and_remove_members(store, charter):
    await seed_registry(store, charter, organisation_id=FIRST_ORGANISATION, now=NOW)
    async with store.unit_of_work() as session:
        await service.add(organisation_id=FIRST_ORGANISATION, session=session, telegram_id=2001, name="박관리", role="admin", by=1001, now=NOW, username="@Park")
        await service.remove(organisation_id=FIRST_ORGANISATION, session=session, telegram_id=1002, by=2001, now=NOW)
        with pytest.raises(ActionError, match="utter_staff_not_a_member"):
            await service.remove(organisation_id=FIRST_ORGANISATION, session=session, telegram_id=1002, by=2001, now=NOW)
        with pytest.raises(ActionError, match="utter_staff_unknown_role"):
            await service.add(organisation_id=FIRST_ORGANISATION, session=session, telegram_id=2002, name="x", role="boss", by=2001, now=NOW)
        assert (await service.find(organisation_id=FIRST_ORGANISATION, session=session, who="@park")).telegram_id == 2001
        assert (await service.find(organisation_id=FIRST_ORGANISATION, session=session, who="김담당")).telegram_id == 1001
        assert (await service.find(organisation_id=FIRST_ORGANISATION, session=session, who=1001)).telegram_id == 1001
        assert await service.find(organisation_id=FIRST_ORGANISATION, session=session, who="@nobody") is None
        assert await service.active_ids(organisation_id=FIRST_ORGANISATION, session=session) == {1001, 2001}
    # Removed by command: a restart does not bring them back.
    await seed_registry(store, charter, organisation_id=FIRST_ORGANISATION, now=LATER)
    assert set(await members(store)) == {1001, 2001}


async def test_the_last_admin_cannot_be_removed_or_demoted(store, charter):
    await seed_registry(store, charter, organisation_id=FIRST_ORGANISATION, now=NOW)
    async with store.unit_of_work() as session:
        await service.add(organisation_id=FIRST_ORGANISATION, session=session, telegram_id=2001, name="박관리", role="admin", by=1001, now=NOW)
        with pytest.raises(ActionError, match="utter_staff_last_admin"):
            await service.remove(organisation_id=FIRST_ORGANISATION, session=session, telegram_id=2001, by=2001, now=NOW)
        with pytest.raises(ActionError, match="utter_staff_last_admin"):
            await service.add(organisation_id=FIRST_ORGANISATION, session=session, telegram_id=2001, name="박관리", role="agent", by=2001, now=NOW)
        await service.add(organisation_id=FIRST_ORGANISATION, session=session, telegram_id=2002, name="최관리", role="admin", by=2001, now=NOW)
        await service.remove(organisation_id=FIRST_ORGANISATION, session=session, telegram_id=2001, by=2002, now=NOW)
        assert (await session.get(Staff, 2001)).removed_at == NOW


def test_roles_rank_agent_officer_admin():
    assert may("admin", "officer") and may("officer", "officer") and not may("agent", "officer")
    assert not may("nobody", "agent")


@pytest.mark.parametrize("code, expected", [("hu", "hu"), ("en-GB", "en"), ("de", "ko"), (None, "ko")])
def test_staff_language_is_telegrams_if_spoken_else_the_charters_first(code, expected):
    assert member_language(code, speakable=("ko", "en", "hu"), default="ko") == expected
