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
from bot.stores import STORED, ConversationStore

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


def types_stored(store, sender: str) -> list[str]:
    with store.engine.connect() as conn:
        return conn.execute(sa.text("SELECT type_name FROM events WHERE sender_id = :s ORDER BY id"),
                            {"s": sender}).scalars().all()


def test_a_tracker_saved_twice_across_a_new_session_stores_each_event_once(url):
    # Rasa's store recounts the rows of the latest stored session, which after a new session
    # starts is fewer than the tracker already holds, and stores the older events again.
    ours = ConversationStore(DOMAIN, host=url)
    sender = "store-test-3"
    turn(ours, sender, session(4000.0, "hi"))
    tracker = asyncio.run(ours.retrieve(sender))
    for event in session(5000.0, "and a PO?"):
        tracker.update(event)
    asyncio.run(ours.save(tracker))
    tracker.update(BotUttered("A PO is Band 5.", timestamp=5001.0))
    asyncio.run(ours.save(tracker))
    assert types_stored(ours, sender).count("user") == 2
    assert len(types_stored(ours, sender)) == 2 * len(session(0, "")) + 1


def test_a_tracker_the_store_did_not_read_is_counted_against_the_database(url):
    ours = ConversationStore(DOMAIN, host=url)
    sender = "store-test-4"
    turn(ours, sender, session(6000.0, "hi"))
    rebuilt = DialogueStateTracker.from_dict(sender, stored(ours, sender), DOMAIN.slots)
    rebuilt.update(UserUttered("thanks", {"name": "thank"}, timestamp=6001.0))
    asyncio.run(ours.save(rebuilt))
    assert types_stored(ours, sender).count("user") == 2
    assert len(types_stored(ours, sender)) == len(session(0, "")) + 1


def test_a_write_retried_after_a_lost_connection_is_not_stored_twice(url, monkeypatch):
    from sqlalchemy.exc import OperationalError
    ours = ConversationStore(DOMAIN, host=url)
    sender = "store-test-5"
    turn(ours, sender, session(7000.0, "hi"))
    tracker = asyncio.run(ours.retrieve(sender))
    tracker.update(UserUttered("thanks", {"name": "thank"}, timestamp=7001.0))
    write, calls = ours._write, []

    async def committed_then_lost(t):
        calls.append(t)
        before = getattr(t, STORED, None)
        await write(t)
        if len(calls) == 1:       # the rows were committed, but the reply never came back
            setattr(t, STORED, before)
            raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(ours, "_write", committed_then_lost)
    asyncio.run(ours.save(tracker))
    assert len(calls) == 2
    assert types_stored(ours, sender).count("user") == 2
    assert len(types_stored(ours, sender)) == len(session(0, "")) + 1


def test_odd_values_read_back_exactly_and_rasas_store_reads_them_too(url):
    ours = ConversationStore(DOMAIN, host=url)
    sender = "store-test-6"
    odd = UserUttered("café / 😀 \u2028 </script> \\u0000", {"name": "ask_band", "confidence": 0.1 + 0.2},
                      timestamp=8000.3, metadata={"big": 2 ** 70, "tiny": 5e-324, "neg": -0.0,
                                                  "nested": {"list": [1, "two", None, True]}})
    turn(ours, sender, session(8000.0, "hi")[:3] + [odd])
    for store in (ours, SQLTrackerStore(DOMAIN, host=url), ConversationStore(DOMAIN, host=url)):
        [read] = [e for e in asyncio.run(store.retrieve(sender)).events if isinstance(e, UserUttered)]
        assert read.text == odd.text and read.metadata == odd.metadata
        assert read.intent["confidence"] == 0.1 + 0.2


def test_a_corrupted_database_file_is_a_lost_store_not_a_fresh_conversation(tmp_path):
    from bot.rasa_patches.store_health import StoreLost
    path = tmp_path / "trackers.sqlite"
    ours = ConversationStore(DOMAIN, host=f"sqlite:///{path}")
    turn(ours, "store-test-7", session(9000.0, "hi"))
    ours.engine.dispose()
    with open(path, "r+b") as damaged:                 # the same file, its header overwritten
        damaged.write(b"not a database, not any more" * 4)
    with pytest.raises(StoreLost, match="the conversation database failed"):
        asyncio.run(ours.retrieve("store-test-7"))
    assert "failed" in ours.problem()
    with pytest.raises(StoreLost):                     # and it stays lost
        asyncio.run(ours.retrieve("store-test-8"))


def test_the_latest_session_is_found_without_reading_the_whole_conversation(tmp_path):
    from bot.stores import SESSION_STARTS_INDEX
    ours = ConversationStore(DOMAIN, host=f"sqlite:///{tmp_path / 'trackers.sqlite'}")
    with ours.engine.connect() as connection:
        plan = connection.execute(sa.text(
            "EXPLAIN QUERY PLAN SELECT max(timestamp) FROM events "
            "WHERE sender_id = 'a' AND type_name = 'session_started'")).all()
    assert any(SESSION_STARTS_INDEX in str(row) for row in plan), plan
