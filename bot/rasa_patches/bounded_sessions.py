"""A turn costs about the same at turn 1,000 of a conversation as at turn 10.

Rasa reads, replays, sends to the action server and stores the whole current session of a
conversation on every turn, so each turn costs more than the one before (docs/performance.md
has the figures). A session ends only after `session_expiration_time` of silence (an hour,
domain.yml), so a long conversation grew without bound.

Here a session also ends once it holds TURNS_PER_SESSION messages and no form is running; the
next message starts a new one exactly as after a silence (Rasa's own `action_session_start`),
with every slot carried over (`carry_over_slots_to_new_session`), so the role, the place, the
last answer and what the person has told the planner are all still known. Only the dialogue
history starts afresh, and the policies look back three turns (config.yml). Rasa reads only the
latest session of a conversation, so what a turn reads, replays and sends stays bounded. Without
carried-over slots a new session would forget them, so nothing changes then.

A new session must also start small. Rasa carries the slots over by copying every SlotSet of
the session ending, not each slot's value, so each session began with all the slot events of
the one before it, and a long conversation still grew. Here each slot is carried over once, with its current value and the metadata of
its last setting; replaying them gives the same slots.

Two methods of Rasa's change (MessageProcessor._has_session_expired, which only gains reasons to
end a session, and ActionSessionStart._slot_set_events_from_tracker);
tests/bot/test_bounded_sessions.py checks each against Rasa's own."""

from __future__ import annotations

from rasa.shared.core.events import SessionStarted, SlotSet, UserUttered

from bot.rasa_patches import mark, replace

TURNS_PER_SESSION = 20


def messages_in_latest_session(tracker) -> int:
    count = 0
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted):
            break
        count += isinstance(event, UserUttered)
    return count


def current_slots(tracker) -> list:
    """One SlotSet per slot set in the session, its latest value, in the order of setting."""
    latest: dict = {}
    for event in tracker.applied_events():
        if isinstance(event, SlotSet):
            latest.pop(event.key, None)  # to the end: its last setting's place
            latest[event.key] = SlotSet(key=event.key, value=event.value, metadata=event.metadata)
    return list(latest.values())


def end_long_sessions() -> None:
    from rasa.core.actions.action import ActionSessionStart
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor._has_session_expired
    if getattr(original, "ends_long_sessions", False):
        return
    replace(ActionSessionStart, "_slot_set_events_from_tracker", staticmethod(current_slots))

    def _has_session_expired(self, tracker) -> bool:
        if original(self, tracker):
            return True
        config = self.domain.session_config
        return (
            config.are_sessions_enabled()
            and config.carry_over_slots
            and tracker.active_loop_name is None
            and messages_in_latest_session(tracker) >= TURNS_PER_SESSION
        )

    mark(_has_session_expired, "ends_long_sessions")
    replace(MessageProcessor, "_has_session_expired", _has_session_expired)
