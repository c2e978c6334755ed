"""A REST request sent again is answered from the conversation store, not taken as a new turn.

A load balancer resends a request when the server handling it dies before answering (nginx's
`proxy_next_upstream ... non_idempotent`), and a client resends one after a timeout. The first
attempt may already have stored its turn, so the second would store the person's message twice
and answer it twice. The REST channel puts the request's id (`X-Request-Id`, which nginx sets
when the client did not) into the message's metadata; Rasa keeps that metadata on the stored
user event. Under the conversation's lock, a message whose id is already on the conversation's
latest user event gets that turn's stored replies again, and nothing is stored.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Optional

from bot.rasa_patches import mark, replace

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"
# the metadata key; namespaced so a client's own metadata keys cannot collide with it
METADATA_KEY = "careers_request_id"
_ID = re.compile(r"[A-Za-z0-9._:+/=-]{8,128}")


def request_id(value: Optional[str]) -> Optional[str]:
    """The header's value when it can be an id (nginx's are 32 hex digits; clients send UUIDs);
    anything else is ignored, as if no id were given."""
    return value if value and _ID.fullmatch(value) else None


def replies_already_given(events: list, given_id: str) -> Optional[list]:
    """The bot's utterances after the latest user event, if that event carries `given_id`."""
    from rasa.shared.core.events import BotUttered, UserUttered

    replies: list = []
    for event in reversed(events):
        if isinstance(event, UserUttered):
            metadata = event.metadata or {}
            return list(reversed(replies)) if metadata.get(METADATA_KEY) == given_id else None
        if isinstance(event, BotUttered):
            replies.append(event)
    return None


def answer_repeats_from_the_store() -> None:
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor.handle_message
    if getattr(original, "answers_repeats", False):
        return

    async def handle_message(self: Any, message: Any) -> Any:
        given_id = (message.metadata or {}).get(METADATA_KEY)
        if given_id:
            # Agent.handle_message holds the conversation's lock here, so the first attempt has
            # either stored its whole turn or stored nothing.
            tracker = await self.tracker_store.retrieve(message.sender_id)
            replies = replies_already_given(list(tracker.events), given_id) if tracker else None
            if replies is not None:
                logger.info("request %s was sent again; answered from the stored turn", given_id)
                for reply in replies:
                    await message.output_channel.send_response(message.sender_id, reply.message())
                if isinstance(message.output_channel, CollectingOutputChannel):
                    return message.output_channel.messages
                return None
        return await original(self, message)

    mark(handle_message, "answers_repeats")
    replace(MessageProcessor, "handle_message", handle_message)
