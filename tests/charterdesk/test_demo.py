"""`charterdesk demo` comes up with no token and no server, and a citizen gets an answer."""

import os
import signal
import subprocess
import sys

import httpx

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
        page = next(line.split()[-1] for line in demo.stdout if "Citizen chat:" in line)
        with httpx.Client(base_url=page, timeout=30) as http:
            assert "<html" in http.get("/").text.lower()
            sent = http.post("sandbox/api/send", json={"user_id": 777, "text": "How do I apply for housing support?"})
            sent.raise_for_status()
            reply = http.get("sandbox/api/chats/777/messages", params={"after": sent.json()["message_id"], "wait": 20})
            texts = [m["text"] for m in reply.json()["messages"] if m["from"]["is_bot"]]
        assert texts and "I-1001" in texts[0]
    finally:
        demo.send_signal(signal.SIGINT)
        output, _ = demo.communicate(timeout=30)
    assert demo.returncode == 0, output
    assert (tmp_path / "charterdesk.db").exists()
