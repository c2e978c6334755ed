"""Scripted conversations with the running bot over its REST channel: the content of each reply
(the fact, the source, the suggestions), across multi-turn conversations."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import Conversation

SCRIPT = yaml.safe_load((Path(__file__).parent / "conversations.yml").read_text(encoding="utf-8"))
CONVERSATIONS = SCRIPT["conversations"]


def test_there_are_at_least_forty_conversations():
    assert len(CONVERSATIONS) >= 40


@pytest.mark.parametrize("script", CONVERSATIONS, ids=[c["name"] for c in CONVERSATIONS])
def test_conversation(bot_server, script):
    conversation = Conversation(bot_server)
    for number, turn in enumerate(script["turns"], 1):
        replies = conversation.say(turn["say"])
        where = f"turn {number} ({turn['say']!r}) got {replies!r}"
        assert len(replies) >= turn.get("min_replies", 1), where
        text = "\n".join(r.get("text") or "" for r in replies)
        lowered = text.lower()
        for wanted in turn.get("expect", []):
            assert wanted.lower() in lowered, f"missing {wanted!r}: {where}"
        if "any" in turn:
            assert any(w.lower() in lowered for w in turn["any"]), f"none of {turn['any']}: {where}"
        for unwanted in turn.get("not", []):
            assert unwanted.lower() not in lowered, f"should not say {unwanted!r}: {where}"
        if turn.get("source"):
            assert "\nSource" in text, f"no source line: {where}"
        if "buttons" in turn:
            buttons = [b for r in replies for b in r.get("buttons") or []]
            assert len(buttons) >= turn["buttons"], f"too few suggestions: {where}"


def test_suggestion_payloads_are_valid_and_pressing_one_answers_it(bot_server):
    conversation = Conversation(bot_server)
    buttons = [b for r in conversation.say("hello") for b in r.get("buttons") or []]
    band = next(b for b in buttons if '"role-band"' in b["payload"])
    assert band["payload"] == '/ask_question{"unit": "role-band", "role": "pso"}'
    replies = conversation.say(band["payload"])
    assert "Band 3" in replies[0]["text"]
