"""Rasa's conversation lock, fixed so a message waiting in line can never wait forever.

Each message of a conversation takes a numbered ticket and waits until its number is served.
Tickets expire (TICKET_LOCK_LIFETIME) so that a server killed mid-turn cannot hold a
conversation for ever. But a waiting ticket expires too: when a dead server's ticket and the
ticket of the message retried after it expire between two of the waiter's checks, the waiter's
number is gone from the line and is never served, and Rasa 3.6 keeps it waiting until the
client gives up (seen in the scaled test: turns retried after a Rasa server was killed hung
for a minute). Here a waiter whose ticket has expired takes a new one at the back of the line.

The waiter also checks every 0.1 s rather than every second, so two messages of one
conversation sent together are answered a few hundred milliseconds apart, not seconds."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from bot.rasa_patches import mark, replace

logger = logging.getLogger(__name__)

WAIT_SECONDS = 0.1


def never_lose_a_waiting_ticket() -> None:
    from rasa.core import lock_store

    if getattr(lock_store.LockStore.lock, "renews_expired_tickets", False):
        return

    @asynccontextmanager
    async def lock(
        self,
        conversation_id,
        lock_lifetime=lock_store.LOCK_LIFETIME,
        wait_time_in_seconds=WAIT_SECONDS,
    ):
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            while True:
                current = self.get_lock(conversation_id)
                if current is not None and current.now_serving == ticket:
                    break
                if current is None or current._ticket_for_ticket_number(ticket) is None:
                    logger.warning(
                        "conversation %s: a waiting message's ticket expired; "
                        "it takes a new place in line",
                        conversation_id,
                    )
                    ticket = self.issue_ticket(conversation_id, lock_lifetime)
                    continue
                await asyncio.sleep(min(wait_time_in_seconds, WAIT_SECONDS))
                self.update_lock(conversation_id)
            yield current
        finally:
            self.cleanup(conversation_id, ticket)

    mark(lock, "renews_expired_tickets")
    replace(lock_store.LockStore, "lock", lock)
