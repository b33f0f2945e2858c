"""The one wiring place: a process reads its key file once, and every part gets those keys passed in."""

from bot.app import build_application
from bot.config import BotConfig
from charterdesk import assembly
from charterdesk.assembly import assemble, bot_config, bot_deps, build_dispatcher, build_jobs
from charterdesk.settings import Settings
from infra import keyring, sealing
from infra.keyring import ANON
from tests.conftest import ROOT


async def test_a_process_loads_its_key_file_once_and_passes_the_keys_to_every_part(tmp_path, monkeypatch):
    loads = []
    for module in (keyring, sealing):
        original = module.load_keys
        monkeypatch.setattr(module, "load_keys", lambda path, *, create=True, _o=original: loads.append(path) or _o(
            path, create=create))
    settings = Settings(
        TELEGRAM_BOT_TOKEN="1:x", DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        CHARTER_FILE=ROOT / "charter.yml", CHARTERDESK_KEY_FILE=tmp_path / "new.key",
    )
    components = await assemble(settings)
    try:
        deps = bot_deps(components)
        application = build_application(bot_config(settings), deps)
        jobs = build_jobs(components, build_dispatcher(components, deps.transport))
        assert loads == [tmp_path / "new.key"]  # created on first run, read once
        ring = components.store.keyring
        assert ring.path == tmp_path / "new.key" and components.keyring is ring
        assert deps.store is components.store and deps.sealer is components.sealer
        sealed = components.sealer.seal(b"chat", purpose="p")
        assert sealing.Sealer(ring.keys[ANON]).unseal(sealed, purpose="p") == b"chat"  # the file's anon key
        assert application.bot.token == "1:x" and "push_anonymous_answers" in {j.id for j in jobs.scheduler.get_jobs()}
    finally:
        await components.close()


def test_the_bot_is_configured_from_the_settings_it_is_handed():
    settings = Settings(TELEGRAM_BOT_TOKEN="9:t", TELEGRAM_API_URL="http://127.0.0.1:1/bot", TELEGRAM_OVERALL_RATE=5)
    assert assembly.bot_config(settings) == BotConfig(token="9:t", api_url="http://127.0.0.1:1/bot", overall_rate=5.0)


async def test_the_receipt_code_budget_of_all_chats_comes_from_the_settings(tmp_path):
    settings = Settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", CHARTER_FILE=ROOT / "charter.yml",
        CHARTERDESK_KEY_FILE=tmp_path / "new.key", CHARTERDESK_CODE_GUESSES_PER_MINUTE=7,
    )
    components = await assemble(settings)
    try:
        assert components.desk.code_guesses.limit == 7
    finally:
        await components.close()
