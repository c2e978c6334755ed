"""The two changes to Rasa's sessions (bot/rasa_patches/bounded_sessions.py), each against Rasa's own: a new
session carries over the same slot values in one event per slot, and a session ends for every
reason Rasa's does, and also after TURNS_PER_SESSION messages when no form is running."""
from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from rasa.core.actions.action import ActionSessionStart
from rasa.core.processor import MessageProcessor
from rasa.shared.core.domain import Domain, SessionConfig
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, SessionStarted, SlotSet,
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_patches
from bot.rasa_patches import bounded_sessions
from bot.rasa_patches.bounded_sessions import TURNS_PER_SESSION, current_slots
from bot.settings import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))
RASA_CARRIES = ActionSessionStart._slot_set_events_from_tracker
RASA_EXPIRES = MessageProcessor._has_session_expired
assert RASA_CARRIES is not current_slots and not getattr(RASA_EXPIRES, "ends_long_sessions", False)


def tracker(events: list) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("c", events, DOMAIN.slots)


def turns(count: int, at: float) -> list:
    return [event for n in range(count) for event in (
        UserUttered("thanks", {"name": "thank", "confidence": 1.0}, timestamp=at + n),
        ActionExecuted("utter_welcome", timestamp=at + n), ActionExecuted("action_listen", timestamp=at + n))]


def test_the_carried_slots_are_rasas_values_one_event_each():
    history = tracker([ActionExecuted("action_listen"), SlotSet("role", "pso"), SlotSet("topic", "band"),
                       SlotSet("role", "po", metadata={"from": "button"}), SlotSet("jurisdiction", "scotland"),
                       SlotSet("topic", None), SlotSet("role", "spo"), SlotSet("age", 40)])
    ours, rasas = current_slots(history), RASA_CARRIES(history)
    assert len(ours) == 4 < len(rasas)
    assert [e.key for e in ours] == ["jurisdiction", "topic", "role", "age"]
    assert tracker(ours).current_slot_values() == tracker(rasas).current_slot_values()
    assert next(e for e in ours if e.key == "role").value == "spo"


def expires(events: list, config: SessionConfig | None = None) -> tuple[bool, bool]:
    """(ours, Rasa's) verdict on whether the session in `events` has expired."""
    domain = DOMAIN if config is None else Domain.from_dict({**DOMAIN.as_dict(), "session_config": {
        "session_expiration_time": config.session_expiration_time,
        "carry_over_slots_to_new_session": config.carry_over_slots}})
    processor = SimpleNamespace(domain=domain)
    before = rasa_patches.applied()
    try:
        bounded_sessions.end_long_sessions()
        ours = MessageProcessor._has_session_expired(processor, tracker(events))
    finally:
        rasa_patches.undo(before)
    return ours, RASA_EXPIRES(processor, tracker(events))


@pytest.mark.parametrize("count", [0, 1, TURNS_PER_SESSION - 1])
def test_a_short_session_ends_exactly_when_rasas_does(count):
    now = time.time()
    assert expires([SessionStarted(timestamp=now)] + turns(count, now)) == (False, False)
    old = now - 2 * 3600                          # silent for longer than the hour in domain.yml
    verdict = expires([SessionStarted(timestamp=old)] + turns(count, old))
    assert verdict == (count > 0, count > 0)


def test_a_long_session_ends_unless_a_form_is_running():
    now = time.time()
    long = [SessionStarted(timestamp=now)] + turns(TURNS_PER_SESSION, now)
    assert expires(long) == (True, False)
    assert expires(long + [ActiveLoop("route_form")]) == (False, False)
    # without carried-over slots, a new session would forget them: Rasa's verdict stands
    assert expires(long, SessionConfig(60, carry_over_slots=False)) == (False, False)
    # only the latest session counts
    earlier = [SessionStarted(timestamp=now - 10)] + turns(TURNS_PER_SESSION, now - 10)
    assert expires(earlier + [SessionStarted(timestamp=now)] + turns(3, now)) == (False, False)
