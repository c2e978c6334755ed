"""The fenced changes to Rasa's own behaviour in bot/rasa_patches/: each does what it says, and
otherwise leaves Rasa's results exactly as they were."""
from __future__ import annotations

import time
from types import SimpleNamespace

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import (ActionExecuted, Restarted, SessionStarted, SlotSet,
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_patches import parse_context

RETRIEVED = {"intent": {"name": "ask_question", "confidence": 0.9}, "entities": [],
             "retrieval": {"unit": "tools-mappa", "score": 0.8}}


def tracker_with(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("someone", list(events))


class RecordingGraph:
    """Stands in for the model's graph runner: records the message the NLU graph was given."""

    def __init__(self):
        self.seen = []

    def run(self, inputs, targets):
        message = inputs["__message__"][0]
        self.seen.append(message)
        return {targets[0]: [Message(data={"text": message.text}, output_properties={"text"})]}


def processor() -> SimpleNamespace:
    return SimpleNamespace(graph_runner=RecordingGraph(),
                           model_metadata=SimpleNamespace(nlu_target="nlu"))


def test_the_previous_question_reaches_the_nlu_graph_and_nothing_else(patched_rasa):
    parse_context.apply()
    tracker = tracker_with(UserUttered("what is MAPPA?", parse_data=RETRIEVED),
                           SlotSet("unit", "tools-mappa"))
    message = UserMessage("how many people does it cover?", sender_id="someone",
                          metadata={"client": "kept"})
    fake = processor()
    parsed = MessageProcessor._parse_message_with_graph(fake, message, tracker)
    given = fake.graph_runner.seen[0]
    assert given.metadata == {"client": "kept", parse_context.CONVERSATION: {
        "text": "what is MAPPA?", "entities": [], "unit": "tools-mappa"}}
    assert message.metadata == {"client": "kept"}          # the stored event keeps the client's own
    assert parse_context.CONVERSATION not in str(parsed)   # and the parse data is Rasa's


def test_without_a_previous_question_rasa_parses_exactly_as_before(patched_rasa):
    parse_context.apply()
    original = parse_context.ORIGINALS["_parse_message_with_graph"]
    two_hours_ago = time.time() - 7200
    for tracker in (tracker_with(),                                       # a new conversation
                    tracker_with(UserUttered("hi", parse_data={"intent": {"name": "greet"}})),
                    # a session that expired after an hour's silence
                    tracker_with(UserUttered("what is MAPPA?", parse_data=RETRIEVED,
                                             timestamp=two_hours_ago),
                                 ActionExecuted("action_session_start"), SessionStarted()),
                    tracker_with(UserUttered("what is MAPPA?", parse_data=RETRIEVED), Restarted())):
        message = UserMessage("and how many?", sender_id="someone")
        patched, plain = processor(), processor()
        assert MessageProcessor._parse_message_with_graph(patched, message, tracker) == \
            original(plain, message, tracker)
        assert patched.graph_runner.seen[0] is message


def test_a_session_started_by_length_keeps_the_follow_up_going():
    # a long conversation starts new sessions without a silence (bot/rasa_patches/bounded_sessions.py)
    tracker = tracker_with(UserUttered("what is MAPPA?", parse_data=RETRIEVED),
                           ActionExecuted("action_session_start"), SessionStarted())
    previous = parse_context.previous_question(tracker, expiry_seconds=3600)
    assert previous is not None and previous["text"] == "what is MAPPA?"
