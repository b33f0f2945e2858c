"""`charterdesk demo` comes up with no token and no server, and a citizen gets an answer."""

import os
import signal
import subprocess
import sys
import time

from urllib.parse import parse_qs, urlsplit

import httpx

from conversation.texts import Texts
from desk.charter.model import load_charter
from tests.conftest import ROOT


def test_the_demo_answers_a_citizen_through_its_chat_api(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "CHARTER", "RASA_"))}
    demo = subprocess.Popen(
        [sys.executable, "-m", "charterdesk", "demo", "--port", "0"],
        cwd=tmp_path,
        env={**env, "CHARTER_FILE": str(ROOT / "charter.yml")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        texts_ = Texts.load()
        page = next(line.split()[-1] for line in demo.stdout if "Citizen chat:" in line)
        staff_link = next(line.split()[-1] for line in demo.stdout if "Staff chat:" in line)
        with httpx.Client(base_url=page, timeout=30) as http:
            assert "<html" in http.get("/").text.lower()
            sent = http.post("sandbox/api/send", json={"user_id": 777, "text": "How do I apply for housing support?"})
            sent.raise_for_status()
            reply = http.get("sandbox/api/chats/777/messages", params={"after": sent.json()["message_id"], "wait": 20})
            texts = [m["text"] for m in reply.json()["messages"] if m["from"]["is_bot"]]
            # The printed staff link opens the page as a staff member of the charter, in its staff chat.
            query = parse_qs(urlsplit(staff_link).query)
            staff = {member.telegram_id for member in load_charter(ROOT / "charter.yml").staff}
            assert query["as"] == ["staff"] and int(query["user"][0]) in staff
            chat = int(query["chat"][0])
            asked = http.post("sandbox/api/send", json={"user_id": int(query["user"][0]), "chat_id": chat,
                                                        "text": "/queue"})
            asked.raise_for_status()
            headers = [texts_.render("utter_staff_queue_header", language, count=1) for language in texts_.languages]
            answers, seen, deadline = [], asked.json()["message_id"], time.monotonic() + 30
            while not answers and time.monotonic() < deadline:  # the ticket's card may come first
                queue = http.get(f"sandbox/api/chats/{chat}/messages", params={"after": seen, "wait": 5}).json()
                seen = max([seen, *(m["message_id"] for m in queue["messages"])])
                answers = [m["text"] for m in queue["messages"]
                           if m["from"]["is_bot"] and any(header in m["text"] for header in headers)]
        assert texts and "I-1001" in texts[0]
        assert answers, "the staff link's user was refused or got no queue"
    finally:
        demo.send_signal(signal.SIGINT)
        output, _ = demo.communicate(timeout=30)
    assert demo.returncode == 0, output
    assert (tmp_path / "charterdesk.db").exists()
