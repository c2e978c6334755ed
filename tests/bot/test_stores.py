"""The conversation store keeps exactly what Rasa's own SQL tracker store keeps: the same events
in the same order, the latest session by default and every session on request, and each turn's
new events appended once. Checked on SQLite and on PostgreSQL."""
from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, BotUttered, SessionStarted, SlotSet,
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import ROOT
from bot.stores import ConversationStore

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def session(start: float, text: str) -> list:
    return [ActionExecuted("action_session_start", timestamp=start),
            SessionStarted(timestamp=start + 0.1),
            ActionExecuted("action_listen", timestamp=start + 0.2),
            UserUttered(text, {"name": "ask_band", "confidence": 0.9}, timestamp=start + 0.3),
            SlotSet("role", "pso", timestamp=start + 0.4),
            BotUttered("A PSO is Band 3.", timestamp=start + 0.5),
            ActionExecuted("action_listen", timestamp=start + 0.6)]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'trackers.sqlite'}"
    return request.getfixturevalue("postgres_url")


def stored(store, sender: str, everything: bool = False) -> list[dict]:
    fetch = store.retrieve_full_tracker if everything else store.retrieve
    tracker = asyncio.run(fetch(sender))
    return [event.as_dict() for event in tracker.events] if tracker else []


def turn(store, sender: str, events: list) -> DialogueStateTracker:
    """One turn as Rasa's server runs it: read the conversation, add the turn, save it."""
    tracker = asyncio.run(store.retrieve(sender)) or DialogueStateTracker(sender, DOMAIN.slots)
    for event in events:
        tracker.update(event)
    asyncio.run(store.save(tracker))
    return tracker


def test_what_it_keeps_is_what_rasas_store_reads_back(url):
    ours = ConversationStore(DOMAIN, host=url)
    sender = "store-test-1"
    turn(ours, sender, session(1000.0, "what band is a PSO?"))
    turn(ours, sender, [UserUttered("and how much?", {"name": "ask_pay"}, timestamp=1001.0),
                        BotUttered("About 24,000 pounds.", timestamp=1001.1)])
    turn(ours, sender, session(2000.0, "and a PO?"))             # a new session

    rasas = SQLTrackerStore(DOMAIN, host=url)
    assert stored(ours, sender) == stored(rasas, sender)
    everything = stored(ours, sender, everything=True)
    assert everything == stored(rasas, sender, everything=True)
    assert [e.get("text") for e in everything if e["event"] == "user"] == [
        "what band is a PSO?", "and how much?", "and a PO?"]
    latest = stored(ours, sender)
    assert [e.get("text") for e in latest if e["event"] == "user"] == ["and a PO?"]


def test_each_event_is_stored_once(url):
    ours = ConversationStore(DOMAIN, host=url)
    sender = "store-test-2"
    turn(ours, sender, session(3000.0, "hi"))
    turn(ours, sender, [])                                       # a save with nothing new
    turn(ours, sender, [UserUttered("thanks", {"name": "thank"}, timestamp=3001.0)])
    with ours.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT type_name FROM events WHERE sender_id = :s ORDER BY id"),
                            {"s": sender}).scalars().all()
    assert rows.count("user") == 2 and rows.count("session_started") == 1
    assert len(rows) == len(session(0, "")) + 1


def test_an_unknown_conversation_is_none(url):
    assert asyncio.run(ConversationStore(DOMAIN, host=url).retrieve("nobody-said-this")) is None
