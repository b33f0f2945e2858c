"""`charterdesk org add|list|check|disable` as an operator runs them, against both backends: bad input refused
with exit code 2 and nothing written."""

import asyncio
import os
import shutil
import subprocess
import sys

from sqlalchemy import select

from desk.organisations.models import Organisation
from infra.keyring import Keyring
from tests.conftest import ROOT

HUNGARIAN = ROOT / "charters" / "csagyi.yml"
KOREAN = ROOT / "charters" / "ansim.yml"


def org(*args: str, database_url: str, key_file, charter_file=ROOT / "charter.yml",
        extra_env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `charterdesk org ...` in a clean environment (plus `extra_env`)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "CHARTER", "RASA_"))}
    env = {**clean, "DATABASE_URL": database_url, "CHARTERDESK_KEY_FILE": str(key_file),
           "CHARTER_FILE": str(charter_file), **(extra_env or {})}
    return subprocess.run([sys.executable, "-m", "charterdesk", "org", *args], check=False, env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


async def run_org(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(org, *args, **kwargs)


async def organisations(store) -> list[tuple[int, str, str, bool]]:
    async with store.unit_of_work() as session:
        rows = (await session.scalars(select(Organisation).order_by(Organisation.id))).all()
        return [(row.id, row.slug, row.charter_file, row.active) for row in rows]


async def test_add_list_check_and_disable(store, database_url, data_keys):
    where = {"database_url": database_url, "key_file": data_keys.path}

    added = await run_org("add", "csagyi", str(HUNGARIAN), **where)
    assert added.returncode == 0, added.stderr
    assert 'added organisation 2 "csagyi": Család, Gyermek, Ifjúság Közhasznú Egyesület' in added.stdout
    assert await organisations(store) == [(1, "main", "", True), (2, "csagyi", str(HUNGARIAN), True)]
    # Its own data key, beside organisation 1's, which stays as it was.
    assert "added data key 2 of organisation 2" in added.stdout
    ring = Keyring.from_file(data_keys.path, create=False)
    assert (ring.current_for(1), ring.current_for(2)) == (1, 2)
    assert ring.keys["1"] == data_keys.keys["1"] and "o2.2" in ring.keys

    listed = await run_org("list", **where)
    assert listed.returncode == 0, listed.stderr
    assert "csagyi" in listed.stdout and "Organisations: 2" in listed.stdout and "active" in listed.stdout

    checked = await run_org("check", **where)
    assert checked.returncode == 0, checked.stderr
    # Organisation 1, before its first start-up, is checked against CHARTER_FILE.
    assert "✓ main: " in checked.stdout and "안심종합사회복지관" in checked.stdout
    assert "✓ csagyi: " in checked.stdout and "Europe/Budapest" in checked.stdout
    one = await run_org("check", "csagyi", **where)
    assert one.returncode == 0 and "✓ main: " not in one.stdout  # (the charter path may hold "main")

    disabled = await run_org("disable", "csagyi", **where)
    assert disabled.returncode == 0, disabled.stderr
    assert await organisations(store) == [(1, "main", "", True), (2, "csagyi", str(HUNGARIAN), False)]
    assert "disabled 20" in (await run_org("list", **where)).stdout


async def test_bad_input_exits_2_and_writes_nothing(store, database_url, data_keys, tmp_path):
    where = {"database_url": database_url, "key_file": data_keys.path}
    assert (await run_org("add", "csagyi", str(HUNGARIAN), **where)).returncode == 0
    assert (await run_org("disable", "csagyi", **where)).returncode == 0
    before = await organisations(store)
    broken = tmp_path / "broken.yml"
    broken.write_text("organisation: [\n", encoding="utf-8")

    refusals = [
        (("add", "csagyi", str(KOREAN)), 'an organisation "csagyi" exists already'),
        (("add", "main", str(KOREAN)), 'an organisation "main" exists already'),
        (("add", "Seoul East", str(KOREAN)), '"Seoul East" is not a slug'),
        (("add", "_east", str(KOREAN)), '"_east" is not a slug'),
        (("add", "x" * 65, str(KOREAN)), "is not a slug"),
        (("add", "broken", str(broken)), "broken.yml:2: not valid YAML"),
        (("add", "missing", str(tmp_path / "absent.yml")), "cannot read the charter"),
        (("check", "nowhere"), 'no organisation "nowhere"'),
        (("disable", "nowhere"), 'no organisation "nowhere"'),
        (("disable", "csagyi"), '"csagyi" was disabled already'),
    ]
    for args, message in refusals:
        result = await run_org(*args, **where)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert result.stderr.startswith("charterdesk org: ")
    assert await organisations(store) == before


async def test_check_fails_when_a_charter_file_went_bad(store, database_url, data_keys, tmp_path):
    where = {"database_url": database_url, "key_file": data_keys.path}
    copy = tmp_path / "csagyi.yml"
    shutil.copy(HUNGARIAN, copy)
    assert (await run_org("add", "csagyi", str(copy), **where)).returncode == 0
    copy.write_text(HUNGARIAN.read_text(encoding="utf-8").replace("Europe/Budapest", "Europe/Nowhere"), encoding="utf-8")

    checked = await run_org("check", **where)
    assert checked.returncode == 2
    assert "✓ main: " in checked.stdout and "✗ csagyi: " in checked.stdout and "Europe/Nowhere" in checked.stdout
    assert "1 of 2 charter file(s) invalid" in checked.stderr
    assert (await run_org("check", "csagyi", **where)).returncode == 2
    assert (await run_org("check", "main", **where)).returncode == 0


async def test_check_reports_a_missing_or_unreadable_bot_token(store, database_url, data_keys, tmp_path):
    where = {"database_url": database_url, "key_file": data_keys.path}
    assert (await run_org("add", "cs-agyi", str(HUNGARIAN), **where)).returncode == 0

    bare = await run_org("check", **where)
    # A missing token is reported (the bot would not start), the charters are still valid.
    assert bare.returncode == 0, bare.stderr
    assert "! main: no bot token: set TELEGRAM_BOT_TOKEN" in bare.stdout
    assert "! cs-agyi: no bot token: set TELEGRAM_BOT_TOKEN_CS_AGYI or TELEGRAM_BOT_TOKEN_CS_AGYI_FILE" in bare.stdout

    missing_file = tmp_path / "no-such-token"
    unreadable = await run_org("check", **where, extra_env={"TELEGRAM_BOT_TOKEN_CS_AGYI_FILE": str(missing_file)})
    assert f"! cs-agyi: TELEGRAM_BOT_TOKEN_CS_AGYI_FILE: cannot read {missing_file}" in unreadable.stdout

    token_file = tmp_path / "token"
    token_file.write_text("222:SECOND\n")
    configured = await run_org("check", **where, extra_env={
        "TELEGRAM_BOT_TOKEN": "111:FIRST", "TELEGRAM_BOT_TOKEN_CS_AGYI_FILE": str(token_file),
    })
    assert configured.returncode == 0 and "no bot token" not in configured.stdout and "!" not in configured.stdout
