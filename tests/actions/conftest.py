"""Actions run against a real knowledge base (SQLite, built from the fact files) with real
rasa_sdk Trackers and CollectingDispatchers; entities come from the real extractor."""
from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import knowledge_access
from bot.components.knowledge_entities import KnowledgeEntityExtractor, knowledge_names

SLOTS = ("role", "topic", "jurisdiction", "age", "qualification", "subject", "modules",
         "months_service", "current_role", "target_role", "requested_slot", "unit")


@pytest.fixture(scope="session")
def action_kb(tmp_path_factory):
    from knowledge.loader import load
    url = f"sqlite:///{tmp_path_factory.mktemp('actions') / 'knowledge.sqlite'}"
    load(url)
    return url


@pytest.fixture(autouse=True)
def _knowledge(action_kb, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", action_kb)
    knowledge_access.reset()
    yield
    knowledge_access.reset()


@pytest.fixture(scope="session")
def extractor():
    return KnowledgeEntityExtractor({}, None, None, knowledge_names())


@pytest.fixture
def say(extractor):
    """Build the tracker Rasa would hand an action after the person says `text`."""
    def build(text: str, intent: str, slots: dict | None = None, confidence: float = 0.95,
              ranking: list | None = None, active_loop: str | None = None,
              entities: list | None = None, retrieval: dict | None = None) -> Tracker:
        # a button payload carries its entities; typed text has them extracted
        entities = extractor.extract(text) if entities is None else entities
        values = {s: None for s in SLOTS}
        values.update(slots or {})
        message = {"text": text, "intent": {"name": intent, "confidence": confidence},
                   "entities": entities,
                   "intent_ranking": ranking or [{"name": intent, "confidence": confidence}]}
        if retrieval is not None:     # what the NLU's answer retrieval found
            message["retrieval"] = retrieval
        return Tracker("tester", values, message, [], False, None,
                       {"name": active_loop} if active_loop else {}, "action_listen")
    return build


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, {})
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
