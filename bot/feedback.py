"""Ratings of the bot's answers ("helpful" / "not helpful", with an optional comment), from every
channel. Each is kept with the turn it rates (the question, the answer, its unit and topic),
copied from the conversation when the rating arrives, in a table beside Rasa's events in the
conversation database (TRACKER_STORE_URL): the review reads both, and the purge deletes both.

A turn is named by the message id Rasa gave the person's message; the channels hand it out with
each answer. A rating without one rates the latest answered turn of the conversation."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.channels.guard import printable_id

RATINGS = {
    "helpful": "helpful",
    "up": "helpful",
    "not_helpful": "not_helpful",
    "not helpful": "not_helpful",
    "down": "not_helpful",
}
# The rating buttons in Slack and Telegram: their ids start with RATE, then the rating.
RATE = "rate:"
RATING_BUTTONS = (("helpful", "👍 Helpful"), ("not_helpful", "👎 Not helpful"))
MAX_COMMENT_CHARS = 1000
MAX_TURN_CHARS = 64
# The answer reaches the person a moment before Rasa stores the turn; a quick rating waits for it.
TURN_WAIT_SECONDS = 5.0
SHAPE = (
    'a JSON object such as {"sender": "a-conversation-id", "rating": "not_helpful", '
    '"turn": "<the turn id sent with the answer>", "comment": "optional, up to '
    f'{MAX_COMMENT_CHARS} characters"}}'
)

metadata = sa.MetaData()
ratings_table = sa.Table(
    "answer_feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("turn", sa.String(MAX_TURN_CHARS)),
    sa.Column("rating", sa.String(16), nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("question", sa.Text),
    sa.Column("answer", sa.Text),
    sa.Column("unit", sa.String(255)),
    sa.Column("topic", sa.String(255)),
    sa.Column("kind", sa.String(32)),
    sa.Column("channel", sa.String(64)),
    sa.Column("timestamp", sa.Float, nullable=False, index=True),
)


class FeedbackRefused(ValueError):
    """A rating that cannot be kept, with what to send instead; `status` is the HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Rating:
    sender: str
    rating: str
    turn: str | None = None
    comment: str | None = None


def read_rating(body: Any, sender: str | None = None) -> Rating:
    """A rating from a request body (REST or socket.io); raises FeedbackRefused saying what is
    wrong. `sender` is the conversation when the channel knows it already."""
    if not isinstance(body, dict):
        raise FeedbackRefused(f"a rating must be {SHAPE}")
    sender = sender if sender is not None else body.get("sender")
    if not printable_id(sender):
        raise FeedbackRefused('"sender" must be the conversation id (1 to 255 characters)')
    given = body.get("rating")
    rating = RATINGS.get(given) if isinstance(given, str) else None
    if rating is None:
        raise FeedbackRefused('"rating" must be "helpful" or "not_helpful"')
    turn = body.get("turn")
    if turn is not None and not (
        isinstance(turn, str) and printable_id(turn) and len(turn) <= MAX_TURN_CHARS
    ):
        raise FeedbackRefused(
            f'"turn", when given, must be the turn id sent with the answer '
            f'(up to {MAX_TURN_CHARS} characters)'
        )
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise FeedbackRefused('"comment", when given, must be text')
    comment = (comment or "").strip() or None
    if comment and len(comment) > MAX_COMMENT_CHARS:
        raise FeedbackRefused(
            f"the comment is {len(comment)} characters; please shorten it to "
            f"{MAX_COMMENT_CHARS} or fewer and send the rating again"
        )
    return Rating(sender, rating, turn, comment)


def store_url() -> str:
    from bot.settings import tracker_store_url

    return tracker_store_url()


@functools.lru_cache(maxsize=4)
def engine_for(url: str) -> sa.engine.Engine:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
    engine = sa.create_engine(url, pool_pre_ping=True)
    try:
        metadata.create_all(engine, checkfirst=True)
    except sa.exc.DBAPIError:
        # another worker process created it at the same moment
        if not sa.inspect(engine).has_table(ratings_table.name):
            raise
    return engine


def has_conversations(engine: sa.engine.Engine) -> bool:
    """Rasa creates its events table when the server first starts."""
    return sa.inspect(engine).has_table("events")


def conversation_events(connection, sender: str) -> list[dict]:
    """The conversation's events as Rasa stored them, oldest first."""
    rows = connection.execute(
        sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
    )
    return [json.loads(data) for (data,) in rows]


def turns(events: list[dict]) -> list[dict]:
    """Each message the person sent with what the bot answered: question, the answer's text and
    its structure (actions/render.py puts it in the bot event's metadata), channel, time."""
    found: list[dict] = []
    for event in events:
        if event.get("event") == "user":
            found.append(
                {
                    "turn": event.get("message_id"),
                    "question": event.get("text") or "",
                    "channel": event.get("input_channel"),
                    "timestamp": event.get("timestamp"),
                    "parse": event.get("parse_data") or {},
                    "replies": [],
                    "answer": None,
                }
            )
        elif event.get("event") == "bot" and found:
            found[-1]["replies"].append(event.get("text") or "")
            answer = (event.get("metadata") or {}).get("answer")
            if isinstance(answer, dict) and found[-1]["answer"] is None:
                found[-1]["answer"] = answer
    return found


def _rated_turn(connection, rating: Rating) -> dict | None:
    answered = [t for t in turns(conversation_events(connection, rating.sender)) if t["replies"]]
    if rating.turn is None:
        return answered[-1] if answered else None
    return next((t for t in answered if t["turn"] == rating.turn), None)


def record(rating: Rating, channel: str | None = None, url: str | None = None) -> dict:
    """Stores the rating with the turn it rates; raises FeedbackRefused (404) when the
    conversation has no such turn."""
    with engine_for(url or store_url()).begin() as connection:
        turn = _rated_turn(connection, rating)
        if turn is None:
            what = f'turn "{rating.turn}"' if rating.turn else "answer"
            raise FeedbackRefused(
                f'conversation "{rating.sender}" has no {what} to rate', status=404
            )
        answer = turn["answer"] or {}
        row = {
            "sender_id": rating.sender,
            "turn": turn["turn"],
            "rating": rating.rating,
            "comment": rating.comment,
            "question": turn["question"],
            "answer": "\n".join(turn["replies"]),
            "unit": answer.get("unit"),
            "topic": answer.get("topic"),
            "kind": answer.get("kind"),
            "channel": channel or turn["channel"],
            "timestamp": time.time(),
        }
        connection.execute(ratings_table.insert().values(**row))
    return row


async def record_soon(
    rating: Rating, channel: str | None = None, wait_seconds: float = TURN_WAIT_SECONDS
) -> dict:
    """record() off the event loop, waiting a moment for a turn that is answered but not yet
    stored."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return await asyncio.to_thread(record, rating, channel)
        except FeedbackRefused as refused:
            if refused.status != 404 or rating.turn is None or time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.25)


def thanks(rating: str) -> str:
    return (
        "Thanks, glad it helped."
        if rating == "helpful"
        else "Thanks for telling me. The people who keep my answers up to date will see it."
    )
