"""`/health` and a conversation database lost while the server runs: the server says which part
is not ready, logs the loss, and answers people with an apology instead of pretending."""
from __future__ import annotations

import requests

from bot.rasa_patches.store_health import APOLOGY
from tests.channels.conftest import running_bot

ASK = "what band is a PSO?"


def say(url: str, sender: str, text: str) -> str:
    reply = requests.post(f"{url}/webhooks/rest/webhook", timeout=60,
                          json={"sender": sender, "message": text})
    assert reply.status_code == 200, reply.text
    return "\n".join(message.get("text") or "" for message in reply.json())


def health(url: str) -> requests.Response:
    return requests.get(f"{url}/health", timeout=30)


def test_a_deleted_conversation_database_is_reported_and_apologised_for(tmp_path, capfd):
    store = tmp_path / "trackers.sqlite"
    with running_bot(tmp_path, {"TRACKER_STORE_URL": f"sqlite:///{store}"}) as bot:
        ready = health(bot.url)
        assert ready.status_code == 200
        assert ready.json() == {"status": "ok", "checks": {
            "model": "ok", "knowledge_base": "ok", "action_server": "ok", "conversation_store": "ok"}}
        assert "Band 3" in say(bot.url, "before", ASK)

        for path in tmp_path.glob("trackers.sqlite*"):           # the file, its WAL and index
            path.unlink()
        for sender in ("before", "someone-new"):
            answer = say(bot.url, sender, ASK)
            assert APOLOGY in answer and "Band 3" not in answer
        lost = health(bot.url)
        assert lost.status_code == 503 and lost.json()["status"] == "unavailable"
        problem = lost.json()["checks"]["conversation_store"]
        assert "deleted or replaced" in problem and str(store) in problem
        assert lost.json()["checks"]["model"] == "ok"
        assert "conversations are no longer kept" in "".join(capfd.readouterr())


def test_health_names_an_action_server_that_is_down(tmp_path):
    with running_bot(tmp_path, {}) as bot:
        actions = bot.processes[0]
        actions.terminate()
        actions.wait(timeout=30)
        down = health(bot.url)
        assert down.status_code == 503
        assert "does not answer" in down.json()["checks"]["action_server"]
        assert down.json()["checks"]["conversation_store"] == "ok"
