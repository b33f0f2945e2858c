"""End to end: /start's privacy notice, the language choice, the command menus, and bad commands."""

import pytest
from sqlalchemy import select

from desk.organisations.models import FIRST_ORGANISATION
from infra.encrypted import chat_hash_of
from desk.tickets.citizens import LanguageChoice
from desk.tickets.models import Citizen
from tests.bot.citizen_steps import buttons, press, say

# Telegram app language -> the language the citizen picks on the buttons.
PICKS = {"ko": "hu", "en": "ko", "hu": "en"}
INQUIRY = {
    "ko": "기초생활수급 신청하려면 어떤 서류가 필요한가요?",
    "en": "How do I apply for the housing benefit?",
    "hu": "Milyen iratok kellenek a lakhatási támogatás igényléséhez?",
}
OPENING = {"ko": "문의가 접수되었습니다", "en": "We have received your inquiry", "hu": "Megkaptuk kérdését"}


def menu(desk, language: str) -> list[dict[str, str]]:
    names = ["start", "help", "status", "anonymous", "language", "cancel", "mydata", "forget"]
    return [{"command": n, "description": desk.texts.render(f"utter_menu_{n}", language)} for n in names]


@pytest.mark.parametrize("app_language", ["ko", "en", "hu"])
async def test_start_gives_the_privacy_notice_and_the_chosen_language_sticks(sandbox, live, app_language):
    user = 880_000 + list(PICKS).index(app_language)
    chosen = PICKS[app_language]
    sandbox.user(user, "Citizen", language_code=app_language)
    texts, charter = live.desk.texts, live.charter

    [notice] = await say(sandbox, user, "/start")
    assert notice["text"] == texts.render(
        "utter_start", app_language, organisation=charter.organisation.name,
        retention_days=charter.retention_days, contact=charter.organisation.contact.web,
    )
    # Purpose, items, retention from the charter, and what refusing means are all in it.
    assert str(charter.retention_days) in notice["text"] and "/anonymous" in notice["text"]
    assert buttons(notice) == [("한국어", "c:lang:ko"), ("English", "c:lang:en"), ("Magyar", "c:lang:hu")]
    # The menus are set per language for private chats: what a user of each app language sees.
    for language in ("ko", "en", "hu"):
        sandbox.user(user + 10, "Other", language_code=language)
        assert sandbox.command_menu(user + 10, user + 10) == menu(live.desk, language)

    [chosen_answer] = await press(sandbox, user, notice, f"c:lang:{chosen}")
    assert chosen_answer["text"].startswith(texts.render("utter_language_chosen", chosen))
    assert texts.render("utter_help", chosen) in chosen_answer["text"]
    [notice_now] = [m for m in sandbox.messages(user) if m["message_id"] == notice["message_id"]]
    assert buttons(notice_now) == []  # the pressed buttons went away
    assert sandbox.command_menu(user, user) == menu(live.desk, chosen)
    async with live.store.unit_of_work() as session:
        citizen = await session.scalar(select(Citizen).where(Citizen.chat_hash == chat_hash_of(user)))
        choice = await session.get(LanguageChoice, (FIRST_ORGANISATION, chat_hash_of(user)))
    assert citizen.language == chosen and choice.language == chosen

    # A request in the app's language is still answered in the language chosen.
    [ack] = await say(sandbox, user, INQUIRY[app_language])
    assert ack["text"].startswith(OPENING[chosen])


@pytest.mark.parametrize("language", ["ko", "en", "hu"])
async def test_bad_commands_and_arguments_get_a_clear_answer(sandbox, live, language):
    user = 880_100 + ["ko", "en", "hu"].index(language)
    sandbox.user(user, "Citizen", language_code=language)
    texts = live.desk.texts
    [unknown] = await say(sandbox, user, "/frobnicate now")
    assert unknown["text"] == texts.render("utter_unknown_command", language, command="/frobnicate")
    [bad] = await say(sandbox, user, "/status banana")
    assert bad["text"] == texts.render("utter_status_bad_argument", language, argument="banana")
    [short] = await say(sandbox, user, "/status 1234 5678")
    assert short["text"] == texts.render("utter_code_format", language)
    # Digits as short as a ticket number are one (issue 18), never a receipt code.
    [bare] = await say(sandbox, user, "/status 12345")
    assert bare["text"] == texts.render("utter_status_not_yours", language, number="12345")
    [not_yours] = await say(sandbox, user, "/status I-9999")
    assert not_yours["text"] == texts.render("utter_status_not_yours", language, number="I-9999")
    [nothing] = await say(sandbox, user, "/cancel")
    assert nothing["text"] == texts.render("utter_nothing_to_cancel", language)
    [prompt] = await say(sandbox, user, "/language")
    assert prompt["text"] == texts.render("utter_language_prompt", language) and len(buttons(prompt)) == 3
    [gone] = await press(sandbox, user, prompt, "c:lang:ko", expect=1)
    assert gone["text"].startswith(texts.render("utter_language_chosen", "ko"))
