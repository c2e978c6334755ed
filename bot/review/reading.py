"""The turns and ratings the review reads from the conversation store (TRACKER_STORE_URL: SQLite
or PostgreSQL), filtered by time and channel, masked as they are read."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from bot import feedback
from bot.review.masking import mask


@dataclass(frozen=True)
class Turn:
    sender: str
    channel: str | None
    timestamp: float
    question: str  # masked
    answer: str  # masked
    kind: str | None  # answer | plan | unknown | clarify | smalltalk; None for plain responses
    intent: str | None
    topic: str | None
    unit: str | None
    nearest: str | None  # the best unit retrieval found, answered or not
    score: float | None

    @property
    def is_question(self) -> bool:
        """A question rather than a greeting, a thank-you or an answer to the planner's question."""
        return self.kind is not None or self.intent == "out_of_scope"

    @property
    def declined(self) -> bool:
        return self.kind == "unknown" or self.intent == "out_of_scope"


def read_turns(url: str, since: float | None = None, channel: str | None = None) -> list[Turn]:
    events = sa.text(
        "SELECT sender_id, data FROM events WHERE type_name IN ('user', 'bot')"
        + (" AND timestamp >= :since" if since is not None else "")
        + " ORDER BY id"
    )
    by_sender: dict[str, list[dict]] = defaultdict(list)
    engine = feedback.engine_for(url)
    if not feedback.has_conversations(engine):
        return []
    with engine.connect() as connection:
        for sender, data in connection.execute(events, {"since": since}):
            by_sender[sender].append(json.loads(data))
    found = []
    for sender, sender_events in by_sender.items():
        for turn in feedback.turns(sender_events):
            if channel and turn["channel"] != channel:
                continue
            answer = turn["answer"] or {}
            retrieval = turn["parse"].get("retrieval") or {}
            found.append(
                Turn(
                    sender,
                    turn["channel"],
                    turn["timestamp"] or 0.0,
                    mask(turn["question"]),
                    mask("\n".join(turn["replies"])),
                    answer.get("kind"),
                    (turn["parse"].get("intent") or {}).get("name"),
                    answer.get("topic"),
                    answer.get("unit"),
                    retrieval.get("unit"),
                    retrieval.get("score"),
                )
            )
    return sorted(found, key=lambda t: t.timestamp)


def read_ratings(url: str, since: float | None = None, channel: str | None = None) -> list[dict]:
    table = feedback.ratings_table
    query = sa.select(table).order_by(table.c.timestamp)
    if since is not None:
        query = query.where(table.c.timestamp >= since)
    if channel:
        query = query.where(table.c.channel == channel)
    with feedback.engine_for(url).connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(query)]
    for row in rows:
        for field in ("question", "answer", "comment"):
            row[field] = mask(row[field])
    return rows
