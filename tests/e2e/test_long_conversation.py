"""One long conversation over REST: past TURNS_PER_SESSION messages it goes on in a new session
that still knows what it was about, and that session starts with one event per slot."""
from __future__ import annotations

import json

import pytest
import requests

from bot.rasa_patches.bounded_sessions import TURNS_PER_SESSION
from tests.channels.conftest import running_bot
from tests.e2e.conftest import stored_events


@pytest.fixture(scope="module")
def chatty_bot(tmp_path_factory):
    store = tmp_path_factory.mktemp("long") / "trackers.sqlite"
    env = {"TRACKER_STORE_URL": f"sqlite:///{store}", "RATE_LIMIT_PER_MINUTE": "1000000",
           "RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "1000000"}
    with running_bot(store.parent, env) as bot:
        yield bot, env["TRACKER_STORE_URL"]


def test_a_long_conversation_keeps_its_context_across_sessions(chatty_bot, monkeypatch):
    (bot, store_url), sender = chatty_bot, "long-conversation"
    monkeypatch.setenv("TRACKER_STORE_URL", store_url)         # where stored_events reads

    def say(text: str) -> str:
        reply = requests.post(f"{bot.url}/webhooks/rest/webhook", timeout=60,
                              json={"sender": sender, "message": text})
        assert reply.status_code == 200
        return "\n".join(m.get("text") or "" for m in reply.json())

    assert "Band 3" in say("what band is a PSO?")
    for _ in range(2 * TURNS_PER_SESSION - 1):
        say("thanks")
    pay = say("and how much do they earn?")                   # in the third session
    assert "PSO" in pay and "£" in pay

    events = stored_events(sender)
    starts = [i for i, (kind, _, _) in enumerate(events) if kind == "session_started"]
    assert len(starts) == 3
    latest = events[starts[-1]:]
    opening = latest[:next(i for i, (kind, _, _) in enumerate(latest) if kind == "user")]
    carried = [json.loads(data)["name"] for kind, _, data in opening if kind == "slot"]
    assert "role" in carried and len(carried) == len(set(carried))     # one event per slot
