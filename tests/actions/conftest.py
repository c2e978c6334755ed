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


@pytest.fixture(scope="session")
def retriever():
    """The NLU's answer retrieval, indexed from the fact files as training does."""
    from bot.components.answer_retrieval import AnswerRetriever, _bank, _lexical, build_index
    from bot.components.encoder import shared_encoder
    from bot.components.minilm import shared_minilm
    index = build_index(_bank({}), shared_encoder(), _lexical(), shared_minilm())
    return AnswerRetriever({}, None, None, index)  # type: ignore[arg-type]


@pytest.fixture
def say(extractor, retriever):
    """Build the tracker Rasa would hand an action after the person says `text`."""
    def build(text: str, intent: str, slots: dict | None = None, confidence: float = 0.95,
              ranking: list | None = None, active_loop: str | None = None,
              entities: list | None = None, retrieval: dict | None = None) -> Tracker:
        # a button payload carries its entities and skips the NLU; typed text is understood
        typed = entities is None
        entities = extractor.extract(text) if typed else entities
        if typed and retrieval is None and not text.startswith("/"):
            retrieval = retriever.retrieve(text, entities)
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
