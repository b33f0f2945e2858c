"""Settings: each organisation's bot token from TELEGRAM_BOT_TOKEN_<SLUG> or a file, never from elsewhere."""

import pytest

from charterdesk.settings import Settings, TokenError, env_suffix


@pytest.fixture
def environ(monkeypatch, tmp_path):
    """A clean environment (no per-organisation variables of the machine) and no .env file."""
    import os

    for name in list(os.environ):
        if name.startswith("TELEGRAM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_slugs_become_variable_suffixes():
    assert env_suffix("szeged-north_2") == "SZEGED_NORTH_2"


def test_organisation_1_keeps_telegram_bot_token_and_others_read_their_own(environ, tmp_path):
    token_file = tmp_path / "secret"
    token_file.write_text("  333:FROM-FILE\n")
    environ.setenv("TELEGRAM_BOT_TOKEN", "111:FIRST")
    environ.setenv("TELEGRAM_BOT_TOKEN_CSAGYI", "222:SECOND")
    environ.setenv("TELEGRAM_BOT_TOKEN_ANSIM_NORTH_FILE", str(token_file))
    environ.setenv("TELEGRAM_API_URL_CSAGYI", "http://127.0.0.1:9/bot")
    settings = Settings()

    assert settings.bot_token("main", first=True) == "111:FIRST"
    assert settings.bot_token("csagyi") == "222:SECOND"
    assert settings.bot_token("ansim-north") == "333:FROM-FILE"
    assert settings.bot_token("nobody") == ""
    assert settings.bot_api_url("csagyi") == "http://127.0.0.1:9/bot"
    assert settings.bot_api_url("ansim-north") == settings.telegram_api_url


def test_a_dotenv_file_is_read_and_the_environment_wins(environ, tmp_path):
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN_CSAGYI=from-dotenv\nTELEGRAM_BOT_TOKEN_OTHER=other\n")
    environ.setenv("TELEGRAM_BOT_TOKEN_CSAGYI", "from-environment")
    settings = Settings()
    assert settings.bot_token("csagyi") == "from-environment"
    assert settings.bot_token("other") == "other"


def test_an_unreadable_token_file_is_a_clear_error(environ, tmp_path):
    environ.setenv("TELEGRAM_BOT_TOKEN_CSAGYI_FILE", str(tmp_path / "missing"))
    with pytest.raises(TokenError, match="TELEGRAM_BOT_TOKEN_CSAGYI_FILE: cannot read"):
        Settings().bot_token("csagyi")


def test_malformed_names_are_ignored(environ):
    environ.setenv("TELEGRAM_BOT_TOKEN_", "nothing")
    environ.setenv("TELEGRAM_BOT_TOKEN_bad-name", "lowercase")
    assert Settings().organisation_tokens == {}
