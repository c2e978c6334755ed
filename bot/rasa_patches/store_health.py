"""A lost conversation store is said, not hidden.

Rasa wraps every tracker store in a FailSafeTrackerStore: when a read fails it starts the
conversation afresh, when a write fails it keeps the turn in memory, and either way the bot
answers as if nothing had happened. A SQLite file deleted while the server runs is not even an
error: open connections go on writing to the deleted file and new ones to a new, empty one.
Conversations were lost without a word to anyone.

Here the store (bot/stores.py) raises StoreLost when its file has been deleted or replaced, or
the database fails other than by a lost connection (a corrupt file, a missing table); the
fail-safe wrapper lets StoreLost through instead of falling back; and the message that meets it,
like every one after, is answered with APOLOGY on its own channel. The loss is logged once,
with what to do, and `/health` reports it (bot/health.py). It lasts until the server restarts
on a working database."""

from __future__ import annotations

import logging

from bot.rasa_patches import mark, replace

logger = logging.getLogger(__name__)

APOLOGY = (
    "Sorry, something has gone wrong with where I keep our conversation, so I can't follow "
    "it just now and won't pretend to. Please try again later."
)


class StoreLost(Exception):
    """The conversation store can no longer keep conversations; the message says why."""


def apologise_when_the_store_is_lost() -> None:
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.tracker_store import FailSafeTrackerStore

    original = Agent.handle_message
    if getattr(original, "apologises", False):
        return

    # Both are called from inside FailSafeTrackerStore's `except` blocks, before it falls back:
    # raising there ends its read or write with StoreLost instead.
    def passing_loss_through(rasas):
        def passes_loss_through(self, error):
            if isinstance(error, StoreLost):
                raise error
            return rasas(self, error)

        return passes_loss_through

    for name in ("on_tracker_store_error", "on_tracker_store_retrieve_error"):
        replace(
            FailSafeTrackerStore, name, passing_loss_through(getattr(FailSafeTrackerStore, name))
        )

    async def handle_message(self, message):
        try:
            return await original(self, message)
        except StoreLost:
            await message.output_channel.send_text_message(message.sender_id, APOLOGY)
            if isinstance(message.output_channel, CollectingOutputChannel):
                return message.output_channel.messages
            return None

    mark(handle_message, "apologises")
    replace(Agent, "handle_message", handle_message)
