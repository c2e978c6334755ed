"""Conversations are kept for CONVERSATION_RETENTION_DAYS (90 by default) after their last
message, then deleted with their ratings: by `make purge`, and every few hours while `make run`
is up. A rating older than that goes too, even if its conversation carried on."""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from bot import feedback

DAY_SECONDS = 86400
# How often `make run` purges; a day's retention is never overrun by more than this.
PURGE_EVERY_SECONDS = 6 * 3600
# Conversations whose latest event is older than the cutoff.
_STALE = "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"


@dataclass(frozen=True)
class Purged:
    conversations: int
    events: int
    ratings: int
    cutoff: float

    def __str__(self) -> str:
        before = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.cutoff))
        return (
            f"deleted {self.conversations} conversations ({self.events} events) and "
            f"{self.ratings} ratings from before {before}"
        )


def purge(url: str, days: int, now: float | None = None) -> Purged:
    cutoff = (now if now is not None else time.time()) - days * DAY_SECONDS
    ratings = feedback.ratings_table
    engine = feedback.engine_for(url)
    if not feedback.has_conversations(engine):
        return Purged(0, 0, 0, cutoff)
    with engine.begin() as connection:
        stale = [sender for (sender,) in connection.execute(sa.text(_STALE), {"cutoff": cutoff})]
        # ratings first: the conversations they belong to are found through the events
        deleted_ratings = connection.execute(
            ratings.delete().where(
                sa.or_(
                    ratings.c.timestamp < cutoff,
                    ratings.c.sender_id.in_(sa.text(_STALE).bindparams(cutoff=cutoff)),
                )
            )
        ).rowcount
        deleted_events = connection.execute(
            sa.text(f"DELETE FROM events WHERE sender_id IN ({_STALE})"), {"cutoff": cutoff}
        ).rowcount
    return Purged(len(stale), deleted_events, deleted_ratings, cutoff)


def main() -> int:
    from bot.settings import load

    url, days = feedback.store_url(), load().retention_days
    shown = sa.engine.make_url(url).render_as_string(hide_password=True)
    print(f"Keeping conversations for {days} days: {purge(url, days)} in {shown}.")
    return 0
