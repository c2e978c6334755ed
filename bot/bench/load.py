"""An asyncio load client for the REST channel: realistic multi-turn conversations that call
actions and query the knowledge base, timing every turn."""

from __future__ import annotations

import asyncio
import time
import uuid

import aiohttp

# A visitor's conversation: a question, follow-ups that carry context, the planner, thanks.
SCRIPT = (
    "hi",
    "what band is a PSO?",
    "and how much do they earn?",
    "what qualifications do I need to be a probation officer?",
    "what about in Scotland?",
    "can I skip the PSO stage with a criminology degree?",
    "how do I become a probation officer?",
    "I have A levels",
    "thanks",
)


async def _conversation(
    session: aiohttp.ClientSession,
    url: str,
    latencies: list[float],
    by_turn: list[list[float]],
    failures: list[str],
) -> None:
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    for index, text in enumerate(SCRIPT):
        started = time.perf_counter()
        try:
            async with session.post(url, json={"sender": sender, "message": text}) as response:
                body = await response.json()
                if response.status != 200 or not body:
                    failures.append(f"{response.status} {text!r}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            failures.append(f"{type(error).__name__} {text!r}")
        latencies.append((time.perf_counter() - started) * 1000)
        by_turn[index].append(latencies[-1])


def drive(base_url: str, conversations: int, concurrency: int) -> dict:
    """`run` on uvloop's event loop: the client shares the servers' two cores, and on asyncio's
    own loop it spent more of them (1.4-1.8 ms of CPU a turn against 1.2-1.5, six interleaved
    runs of 20 conversations at once)."""
    import uvloop

    return uvloop.run(run(base_url, conversations, concurrency))


async def run(base_url: str, conversations: int, concurrency: int) -> dict:
    """`conversations` scripted conversations, `concurrency` at a time; latency per turn in ms."""
    url = f"{base_url}/webhooks/rest/webhook"
    latencies: list[float] = []
    by_turn: list[list[float]] = [[] for _ in SCRIPT]
    failures: list[str] = []
    gate = asyncio.Semaphore(concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(
        timeout=timeout, connector=aiohttp.TCPConnector(limit=concurrency)
    ) as session:

        async def one():
            async with gate:
                await _conversation(session, url, latencies, by_turn, failures)

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(conversations)))
        wall = time.perf_counter() - started
    return {
        "turns": len(latencies),
        "failures": len(failures),
        "wall_s": round(wall, 2),
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
        "p99_ms": percentile(latencies, 0.99),
        "throughput": round(len(latencies) / wall, 1),
        # which of the script's turns cost the most: the tail is made of them
        "p50_ms_by_turn": {
            text: percentile(times, 0.50) for text, times in zip(SCRIPT, by_turn, strict=True)
        },
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1) if ordered else 0.0


# One long conversation: questions a person might keep asking, round and round, so that a turn's
# cost can be compared at turn 10, 300 and 1,000 of the same conversation.
LONG_SCRIPT = (
    "what band is a PSO?",
    "and how much do they earn?",
    "what about in Scotland?",
    "what qualifications do I need to be a probation officer?",
    "thanks",
)


def long_conversation(
    base_url: str, turns: int = 1000, at: tuple[int, ...] = (10, 300, 1000), window: int = 10
) -> dict:
    """Median latency (ms) of the `window` turns ending at each turn number in `at`, in one
    conversation of `turns` turns sent back to back; a neighbour's burst moves a median of ten
    turns less than one turn."""
    import requests

    url, sender = f"{base_url}/webhooks/rest/webhook", f"bench-long-{uuid.uuid4().hex[:12]}"
    latencies, failures = [], 0
    with requests.Session() as session:
        for index in range(turns):
            started = time.perf_counter()
            reply = session.post(
                url,
                json={"sender": sender, "message": LONG_SCRIPT[index % len(LONG_SCRIPT)]},
                timeout=60,
            )
            latencies.append((time.perf_counter() - started) * 1000)
            failures += reply.status_code != 200 or not reply.json()
    figures = {f"turn_{n}_ms": percentile(latencies[max(0, n - window) : n], 0.5) for n in at}
    return {**figures, "long_turns": turns, "long_failures": failures}
