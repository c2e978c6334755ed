"""The NLU pipeline sees the conversation's previous question, so a follow-up can be understood.

Why: "how long's the degree?" or "do they carry guns?" means nothing on its own; it means
something after "what is a justice social worker?" or "tell me about federal probation officers".
Rasa 3.6 runs the NLU graph with the tracker as an input, but no NLU component can declare a
need for it (the default recipe wires NLU components to the message alone), so
`AnswerRetriever` cannot read the conversation. Upstream has no issue for this: Rasa's answer is
CALM's contextual rephrasing in Rasa Pro, which Open Source 3.6 does not have.

What: `MessageProcessor._parse_message_with_graph` gets the message with one more metadata key,
`conversation`: the previous user message's text and entities (when it was looked up in the
question bank) and the `unit` slot. The copy is for the NLU graph only: the stored user event
keeps the client's own metadata, and the parse data (which never carries metadata) is unchanged.
Everything else, including `/model/parse` (which has no conversation), is Rasa's own code path.
"""

from __future__ import annotations

import time
from typing import Any, Dict, Optional

from bot.rasa_patches import mark, replace

CONVERSATION = "conversation"  # the metadata key AnswerRetriever reads
ORIGINALS: Dict[str, Any] = {}


def previous_question(tracker: Any, expiry_seconds: float = 3600) -> Optional[Dict[str, Any]]:
    """The person's latest message, when it was looked up in the question bank. Across the
    start of a new session only if the message is more recent than a session's expiry: a long
    conversation also starts new sessions (bot/rasa_patches/bounded_sessions.py), and its follow-ups go on."""
    if tracker is None:
        return None
    from rasa.shared.core.events import Restarted, SessionStarted, UserUttered

    crossed = False
    for event in reversed(tracker.events):
        if isinstance(event, Restarted):
            return None
        if isinstance(event, SessionStarted):
            crossed = True
        elif isinstance(event, UserUttered):
            if not (event.parse_data or {}).get("retrieval") or not event.text:
                return None
            if crossed and time.time() - (event.timestamp or 0) > expiry_seconds:
                return None
            return {
                "text": event.text,
                "entities": list(event.entities or []),
                "unit": tracker.get_slot("unit"),
            }
    return None


def with_conversation(message: Any, tracker: Any, expiry_seconds: float = 3600) -> Any:
    """A copy of the message whose metadata also holds the previous question, or the message."""
    previous = previous_question(tracker, expiry_seconds)
    if previous is None:
        return message
    from rasa.core.channels.channel import UserMessage

    return UserMessage(
        text=message.text,
        output_channel=message.output_channel,
        sender_id=message.sender_id,
        parse_data=message.parse_data,
        input_channel=message.input_channel,
        message_id=message.message_id,
        metadata={**(message.metadata or {}), CONVERSATION: previous},
    )


def apply() -> None:
    from rasa.core.processor import MessageProcessor

    if getattr(MessageProcessor._parse_message_with_graph, "reads_context", False):
        return
    original = ORIGINALS["_parse_message_with_graph"] = MessageProcessor._parse_message_with_graph

    def _parse_message_with_graph(self, message, tracker, only_output_properties=True):
        minutes = (
            getattr(
                getattr(getattr(self, "domain", None), "session_config", None),
                "session_expiration_time",
                None,
            )
            or 60
        )
        return original(
            self, with_conversation(message, tracker, minutes * 60), tracker, only_output_properties
        )

    mark(_parse_message_with_graph, "reads_context")
    replace(MessageProcessor, "_parse_message_with_graph", _parse_message_with_graph)
