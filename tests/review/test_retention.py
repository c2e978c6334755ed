"""`make purge` deletes the conversations last active before CONVERSATION_RETENTION_DAYS, and
their ratings, on SQLite and on PostgreSQL; newer conversations stay whole and readable."""
from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid

import pytest
import sqlalchemy as sa

from bot import feedback
from bot.settings import ROOT
from bot.stores import ConversationStore
from rasa.shared.core.domain import Domain
from tests.review.week import DAY, write_week
from tests.services import ensure_postgres, postgres_admin_url


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """A conversation store of this test's own: the session's PostgreSQL database holds other
    suites' conversations, which a purge would count too."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'trackers.sqlite'}"
        return
    ensure_postgres()
    name = f"purge_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(postgres_admin_url()).set(database=name).render_as_string(False)
    yield url
    feedback.engine_for(url).dispose()
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def senders(url: str) -> set[str]:
    with feedback.engine_for(url).connect() as connection:
        return {s for (s,) in connection.execute(sa.text("SELECT DISTINCT sender_id FROM events"))}


def rated(url: str) -> set[str]:
    with feedback.engine_for(url).connect() as connection:
        return {s for (s,) in connection.execute(sa.select(feedback.ratings_table.c.sender_id))}


def test_purge_deletes_old_conversations_and_their_ratings_and_keeps_the_rest(store):
    now = time.time()
    old = write_week(store, start=now - 120 * DAY)        # 114 to 120 days ago
    recent = write_week(store, start=now - 7 * DAY)
    with feedback.engine_for(store).begin() as connection:  # ratings given when it was new
        connection.execute(feedback.ratings_table.update()
                           .where(feedback.ratings_table.c.sender_id.in_(old))
                           .values(timestamp=now - 114 * DAY))
    assert set(old) | set(recent) <= senders(store) and {old[4], recent[4]} <= rated(store)

    done = subprocess.run([sys.executable, "-m", "bot", "purge"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120,
                          env={**__import__("os").environ, "TRACKER_STORE_URL": store,
                               "CONVERSATION_RETENTION_DAYS": "90"})
    assert done.returncode == 0, done.stderr
    assert f"Keeping conversations for 90 days: deleted {len(old)} conversations " \
           f"({2 * len(old)} events) and 2 ratings" in done.stdout

    assert not set(old) & senders(store)
    assert set(recent) <= senders(store)
    assert rated(store) == {recent[4], recent[7]}
    # what is left is still a conversation Rasa can read
    tracker = asyncio.run(ConversationStore(domain=Domain.empty(), host=store).retrieve(recent[0]))
    assert tracker.latest_message.text == "what band is a PSO?"
    # and a second purge finds nothing more to delete
    from bot import retention
    assert retention.purge(store, 90).conversations == 0


def test_purge_on_a_store_with_no_conversations_yet_says_so(tmp_path):
    from bot import retention
    assert retention.purge(f"sqlite:///{tmp_path / 'empty.sqlite'}", 90).conversations == 0


def test_a_retention_that_is_not_a_number_of_days_is_refused(monkeypatch):
    from bot import settings
    monkeypatch.setenv("CONVERSATION_RETENTION_DAYS", "forever")
    with pytest.raises(SystemExit, match="CONVERSATION_RETENTION_DAYS must be a whole number"):
        settings.load()

