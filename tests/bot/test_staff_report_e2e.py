"""End to end: an officer asks for /report and gets the figures as text, a PNG chart and a CSV table."""

from tests.bot.test_staff_e2e import STAFF_CHAT, audit_actions, open_ticket, staff_chat, staff_says  # noqa: F401

INQUIRY = "What documents do I need for the housing benefit?"
OFFICER, AGENT = 1001, 1002


async def test_an_officer_gets_text_chart_and_table_of_the_period(sandbox, staff_chat, live):  # noqa: F811
    await open_ticket(sandbox, 821, INQUIRY)
    await staff_says(sandbox, AGENT, "/reply I-1001 Bring your ID card to room 3.")
    sent = await sandbox.send_text(OFFICER, "/report")
    text, chart, table = await sandbox.wait_for_bot_messages(OFFICER, count=3, after_message_id=sent["message_id"])
    assert "service charter compliance" in text["text"] and "Inquiries" in text["text"]
    assert chart["photo"][0]["width"] > 100 and chart["photo"][0]["height"] > 100
    assert table["document"]["file_name"].startswith("charter-compliance-") and table["document"]["file_name"].endswith(".csv")
    assert ("report", "done") in await audit_actions(live.store, actor_id=OFFICER)


async def test_an_agent_is_refused_and_a_bad_period_gets_a_polite_answer(sandbox, staff_chat, live):  # noqa: F811
    refused = await staff_says(sandbox, AGENT, "/report", chat_id=AGENT)
    assert "officer" in refused["text"].lower()
    sent = await sandbox.send_text(OFFICER, "/report 2026-13")
    [answer] = await sandbox.wait_for_bot_messages(OFFICER, after_message_id=sent["message_id"])
    assert "2026-13" in answer["text"] and "photo" not in answer
    assert await audit_actions(live.store, actor_id=AGENT) == [("report", "refused")]
