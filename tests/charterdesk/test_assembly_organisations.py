"""A process runs every active organisation: its charter, staff, Desk, bot and sweeps; shared store and keys."""

import shutil
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.transport import BotRouter
from charterdesk.assembly import assemble, bot_config, build_dispatcher, build_jobs, missing_tokens
from charterdesk.errors import StartupError
from charterdesk.settings import Settings
from desk.organisations import service as organisations
from desk.outbox import Delivery, Outgoing
from desk.staff.models import Staff
from tests.conftest import ROOT

HUNGARIAN = ROOT / "charters" / "csagyi.yml"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def settings_for(database_url: str, key_file, **extra) -> Settings:
    return Settings(DATABASE_URL=database_url, CHARTER_FILE=ROOT / "charter.yml", CHARTERDESK_KEY_FILE=key_file,
                    TELEGRAM_BOT_TOKEN="1:first", organisation_tokens=extra.pop("tokens", {}), **extra)


async def add(store, slug: str, charter_file, *, disabled: bool = False) -> int:
    async with store.unit_of_work() as session:
        organisation = await organisations.add(session=session, slug=slug, name=slug, charter_file=str(charter_file),
                                               now=NOW)
        if disabled:
            await organisations.disable(session=session, slug=slug, now=NOW)
        return organisation.id


async def staff_of(store) -> set[tuple[int, int]]:
    async with store.unit_of_work() as session:
        return set((await session.execute(select(Staff.organisation_id, Staff.telegram_id))).all())


async def test_every_active_organisation_gets_its_desk_staff_bot_and_sweeps(store, database_url, data_keys):
    hungarian = await add(store, "cs-agyi", HUNGARIAN)
    await add(store, "closed", HUNGARIAN, disabled=True)
    settings = settings_for(database_url, data_keys.path, tokens={"CS_AGYI": "2:second"})
    components = await assemble(settings)
    try:
        first, second = components.tenants
        assert (first.organisation_id, second.organisation_id, second.slug) == (1, hungarian, "cs-agyi")
        assert first.desk is components.desk
        assert second.desk.charter.organisation.timezone.key == "Europe/Budapest"
        assert second.desk.texts is first.desk.texts  # shared; each desk speaks its own charter's languages
        assert {(hungarian, 5001), (hungarian, 5002), (1, 1001)} <= await staff_of(store)
        assert bot_config(settings, second).token == "2:second" and bot_config(settings, first).token == "1:first"
        assert missing_tokens(components) == []

        jobs = build_jobs(components, build_dispatcher(components, BotRouter({})))
        ids = {job.id for job in jobs.scheduler.get_jobs()}
        # One dispatcher for all; each organisation's own sweeps, organisation 1's under their old names.
        assert {"dispatch_outbox", "sweep_deadlines", f"sweep_deadlines:{hungarian}", "purge_expired",
                f"purge_expired:{hungarian}"} <= ids
        assert not any(job_id.endswith(":3") for job_id in ids)  # the disabled one runs nothing
    finally:
        await components.close()


async def test_a_missing_token_names_the_variable_to_set(store, database_url, data_keys):
    await add(store, "cs-agyi", HUNGARIAN)
    components = await assemble(settings_for(database_url, data_keys.path))
    try:
        assert missing_tokens(components) == [
            'TELEGRAM_BOT_TOKEN_CS_AGYI (or TELEGRAM_BOT_TOKEN_CS_AGYI_FILE) for organisation "cs-agyi"'
        ]
    finally:
        await components.close()


async def test_a_broken_charter_of_any_organisation_starts_nothing_and_names_it(store, database_url, data_keys,
                                                                                 tmp_path):
    broken = tmp_path / "broken.yml"
    shutil.copy(HUNGARIAN, broken)
    broken.write_text(broken.read_text(encoding="utf-8").replace("Europe/Budapest", "Europe/Nowhere"), encoding="utf-8")
    await add(store, "cs-agyi", broken)
    with pytest.raises(StartupError, match=rf'organisation "cs-agyi" \(id 2\): charter file {broken}: .*Europe/Nowhere'):
        await assemble(settings_for(database_url, data_keys.path))
    assert await staff_of(store) == set()  # no organisation's staff were seeded

    missing = tmp_path / "gone.yml"
    async with store.unit_of_work() as session:
        (await organisations.get(session=session, slug="cs-agyi")).charter_file = str(missing)
    with pytest.raises(StartupError, match=rf'organisation "cs-agyi" \(id 2\): charter file {missing}'):
        await assemble(settings_for(database_url, data_keys.path))


class Recording:
    def __init__(self) -> None:
        self.sent: list[int] = []

    async def send(self, message: Outgoing) -> Delivery:
        self.sent.append(message.id)
        return Delivery("sent", message_id=message.id)


async def test_the_router_sends_each_row_through_its_organisations_bot_and_no_other():
    first, second = Recording(), Recording()
    router = BotRouter({1: first, 2: second})
    assert (await router.send(Outgoing(10, 700, "ko", None, 1))).outcome == "sent"
    assert (await router.send(Outgoing(11, 700, "hu", None, 2))).outcome == "sent"
    stranded = await router.send(Outgoing(12, 700, "?", None, 3))
    assert stranded.outcome == "retry" and "organisation 3" in stranded.reason
    assert (first.sent, second.sent) == ([10], [11])
