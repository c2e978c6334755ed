"""The conversation lock serves messages one at a time, in order, and a message whose ticket
expired while it waited behind a dead server's ticket is still served."""
from __future__ import annotations

import asyncio
import time

import pytest
from rasa.core.lock_store import InMemoryLockStore, LockStore

from bot.rasa_patches.conversation_lock import never_lose_a_waiting_ticket


@pytest.fixture
def store(patched_rasa):
    never_lose_a_waiting_ticket()
    return InMemoryLockStore()


def test_a_waiter_whose_ticket_expired_behind_a_dead_holder_is_served(store):
    # A server that died mid-turn left its ticket; the retried message's ticket expires at
    # almost the same moment, before the waiter looks again.
    store.issue_ticket("c1", 0.3)

    async def retried_turn():
        async with store.lock("c1", lock_lifetime=0.3):
            return "served"

    started = time.monotonic()
    assert asyncio.run(asyncio.wait_for(retried_turn(), timeout=5)) == "served"
    assert time.monotonic() - started < 2


def test_messages_of_one_conversation_are_served_one_at_a_time_in_order(store):
    order: list[str] = []
    inside = 0

    async def turn(name: str):
        nonlocal inside
        async with store.lock("c2", lock_lifetime=10):
            inside += 1
            assert inside == 1
            order.append(name)
            await asyncio.sleep(0.05)
            inside -= 1

    async def burst():
        tasks = []
        for name in "abcd":
            tasks.append(asyncio.create_task(turn(name)))
            await asyncio.sleep(0.01)
        await asyncio.gather(*tasks)

    started = time.monotonic()
    asyncio.run(burst())
    assert order == list("abcd")
    assert time.monotonic() - started < 1.5      # checked every 0.1 s, not every second
