"""Where conversations are kept: Rasa's SQL tracker store, configured by one SQLAlchemy URL
(`TRACKER_STORE_URL`: a SQLite file for `make run`, PostgreSQL when several Rasa servers share
the conversations), and made to survive the database restarting.

Rasa's own SQLTrackerStore keeps pooled connections that go stale when PostgreSQL restarts, and
a turn that meets one fails with nothing said to the person and its events never saved. Here
the pool checks a connection before lending it, and a read or write that still fails on a lost
connection is retried for a while, so a turn waits out a restart instead of being lost.

The queries of every turn (read the conversation; count what is stored and append the new
events) are compiled once and run as plain SQL on a pooled connection, where Rasa builds ORM
queries afresh each time and reopens SQLite for every session. The SQL is the same as Rasa's:
the same rows, in the same order, counted the same way."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional, TypeVar

import sqlalchemy as sa
import ujson
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.exc import DBAPIError, OperationalError

from bot import settings
from bot.rasa_patches.store_health import StoreLost

logger = logging.getLogger(__name__)

T = TypeVar("T")
# Set on a tracker this store read or saved: how many of its events are stored. A turn reads
# the conversation, adds to that same tracker and saves it, under the conversation's lock, so
# the save need not count the stored rows again (Rasa does, with a query per turn). A tracker
# without it (new, copied, or read with every session) is counted as Rasa counts it.
STORED = "_careers_events_stored"
SESSION_STARTS_INDEX = "ix_events_sender_type_time"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the health checks and the tests read while the server writes, and NORMAL
    # synchronous skips an fsync per turn (a power cut can lose the last turns, not corrupt).
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")
    dbapi_connection.execute("PRAGMA busy_timeout=5000")


# Each turn decodes every event of the conversation and encodes the new ones: ujson does either
# in about a third of the standard library's time, and reads and writes the same JSON values.
# What it refuses (integers beyond 64 bits, for one) goes to the standard module.
def _decoded(data: str) -> Any:
    try:
        return ujson.loads(data)
    except (ValueError, OverflowError):
        return json.loads(data)


def _encoded(value: Any) -> str:
    try:
        return ujson.dumps(value, escape_forward_slashes=False, reject_bytes=True)
    except (OverflowError, TypeError, ValueError):
        return json.dumps(value)


# SQLite's words for a database file that no retry will mend.
_BROKEN_FILE = (
    "no such table",
    "not a database",
    "malformed",
    "unable to open",
    "disk i/o error",
    "readonly database",
)


def _lost_connection(error: Exception) -> bool:
    return isinstance(error, OperationalError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    )


class _Compiled:
    """A statement compiled for one dialect, run as the driver's own SQL and parameters."""

    def __init__(self, statement, dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.order = tuple(compiled.positiontup) if dialect.positional else None

    def _parameters(self, values: dict):
        return values if self.order is None else tuple(values[name] for name in self.order)

    def run(self, connection, **values):
        return connection.exec_driver_sql(self.sql, self._parameters(values))

    def run_many(self, connection, rows: list[dict]) -> None:
        connection.exec_driver_sql(self.sql, [self._parameters(row) for row in rows])


class ConversationStore(SQLTrackerStore):
    """Rasa's SQL tracker store on the database `url` names (endpoints.yml passes it as
    `host`, as Rasa does for every store type)."""

    engine: Any  # Rasa's SQLTrackerStore makes it; replaced below

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[str] = None,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        # How long a turn waits for the database to come back before it gives up.
        self.retry_seconds = settings.tracker_store_retry_seconds()
        url = sa.engine.make_url(host or "sqlite:///var/trackers.sqlite")
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            os.makedirs(os.path.dirname(os.path.abspath(url.database)), exist_ok=True)
        # The parent builds its engine from this URL and creates the tables (retrying while
        # the database starts); the engine is then replaced by one that survives restarts.
        super().__init__(
            domain=domain,
            host=str(url.render_as_string(hide_password=False)),
            event_broker=event_broker,
            **kwargs,
        )
        self.engine.dispose()
        if url.get_backend_name() == "sqlite":
            # SQLAlchemy 1.4 opens a file database afresh for every session unless told to pool.
            self.engine = sa.create_engine(
                url, connect_args={"check_same_thread": False}, poolclass=sa.pool.QueuePool
            )
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._index_session_starts()
        self._compile_statements()
        self.lost: Optional[str] = None
        self._file = (
            Path(url.database).resolve()
            if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
            else None
        )
        self._identity = self._file_identity()

    def _index_session_starts(self) -> None:
        """Every turn looks up when the conversation's latest session started; with only Rasa's
        index on sender_id that reads every event the conversation ever had, so a turn cost more
        the longer the conversation, however short its session (bot/rasa_patches/bounded_sessions.py)."""
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    sa.text(
                        f"CREATE INDEX IF NOT EXISTS {SESSION_STARTS_INDEX} "
                        "ON events (sender_id, type_name, timestamp)"
                    )
                )
        except DBAPIError as error:  # another process creating it at this moment
            logger.info("the session-start index was not created here: %s", error.orig)

    # -- a lost store (bot/rasa_patches/store_health.py) ----------------------------------------------------
    def _file_identity(self) -> Optional[tuple[int, int]]:
        try:
            found = self._file.stat() if self._file is not None else None
        except FileNotFoundError:
            return None
        return (found.st_dev, found.st_ino) if found else None

    def _lose(self, problem: str) -> StoreLost:
        if self.lost is None:
            self.lost = problem
            logger.error(
                "conversations are no longer kept: %s. Every message is answered with "
                "an apology until the server restarts on a working database.",
                problem,
            )
        return StoreLost(self.lost)

    def _ensure_kept(self) -> None:
        if self.lost is None and self._file is not None and self._file_identity() != self._identity:
            self._lose(
                f"the conversation database {self._file} was deleted or replaced while the "
                "server ran"
            )
        if self.lost is not None:
            raise StoreLost(self.lost)

    def _passing(self, error: DBAPIError) -> bool:
        """Whether waiting may mend it: a lost connection (PostgreSQL restarting), not a SQLite
        file that is gone, unreadable or without its tables."""
        if self._file is not None and any(sign in str(error.orig).lower() for sign in _BROKEN_FILE):
            return False
        return _lost_connection(error)

    def problem(self) -> Optional[str]:
        """What keeps conversations from being kept, found by reading the store; None if nothing.
        Blocking: /health runs it in a thread."""
        try:
            self._ensure_kept()
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1 FROM events LIMIT 1")).all()
        except StoreLost as lost:
            return str(lost)
        except (OperationalError, DBAPIError) as error:
            return f"the conversation database cannot be read: {error.orig}"
        return None

    async def _retrying(self, what: str, attempt: Callable[[], Awaitable[T]]) -> T:
        deadline = time.monotonic() + self.retry_seconds
        pause = 0.2
        while True:
            self._ensure_kept()
            try:
                return await attempt()
            except (OperationalError, DBAPIError) as error:
                if not self._passing(error):
                    # a corrupt file, a missing table: nothing a retry mends
                    raise self._lose(f"the conversation database failed: {error.orig}") from error
                if time.monotonic() > deadline:
                    raise
                logger.warning(
                    "conversation store unavailable during %s (%s); retrying", what, error.orig
                )
                self.engine.dispose()
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)

    def _compile_statements(self) -> None:
        """Rasa's three queries, compiled once for this database: building and compiling them
        again for every turn cost more than running them."""
        events = self.SQLEvent.__table__
        sender = sa.bindparam("sender_id")
        latest_session = (
            sa.select(sa.func.max(events.c.timestamp))
            .where(
                events.c.sender_id == sender, events.c.type_name == sa.bindparam("session_started")
            )
            .scalar_subquery()
        )
        in_latest_session = sa.or_(events.c.timestamp >= latest_session, latest_session.is_(None))
        of_sender = events.c.sender_id == sender
        columns = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")
        dialect = self.engine.dialect
        self._read_all = _Compiled(
            sa.select(events.c.data).where(of_sender).order_by(events.c.id), dialect
        )
        self._read_latest = _Compiled(
            sa.select(events.c.data).where(of_sender, in_latest_session).order_by(events.c.id),
            dialect,
        )
        self._count_latest = _Compiled(
            sa.select(sa.func.count()).select_from(
                sa.select(events.c.id).where(of_sender, in_latest_session).subquery()
            ),
            dialect,
        )
        self._append = _Compiled(
            events.insert().inline().values({c: sa.bindparam(c) for c in columns}), dialect
        )

    async def _read(self, sender_id: str, fetch_events_from_all_sessions: bool):
        query = self._read_all if fetch_events_from_all_sessions else self._read_latest
        with self.engine.begin() as connection:
            rows = query.run(
                connection, sender_id=sender_id, session_started=SessionStarted.type_name
            ).all()
        if self.domain and rows:
            tracker = DialogueStateTracker.from_dict(
                sender_id, [_decoded(data) for (data,) in rows], self.domain.slots
            )
            if not fetch_events_from_all_sessions:
                setattr(tracker, STORED, len(rows))
            return tracker
        return None

    async def _write(self, tracker) -> None:
        with self.engine.begin() as connection:
            stored = getattr(tracker, STORED, None)
            if stored is None:
                stored = self._count_latest.run(
                    connection,
                    sender_id=tracker.sender_id,
                    session_started=SessionStarted.type_name,
                ).scalar()
            rows = []
            for event in itertools.islice(tracker.events, stored, len(tracker.events)):
                data = event.as_dict()
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": data.get("parse_data", {})
                        .get("intent", {})
                        .get(INTENT_NAME_KEY),
                        "action_name": data.get("name"),
                        "data": _encoded(data),
                    }
                )
            if rows:
                self._append.run_many(connection, rows)
        setattr(tracker, STORED, len(tracker.events))

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool):
        return await self._retrying(
            "a read", lambda: self._read(sender_id, fetch_events_from_all_sessions)
        )

    async def save(self, tracker) -> None:
        await self.stream_events(tracker)
        attempts = 0

        async def write() -> None:
            nonlocal attempts
            attempts += 1
            if attempts > 1 and hasattr(tracker, STORED):
                # the lost attempt may have committed: count what is really there
                delattr(tracker, STORED)
            await self._write(tracker)

        await self._retrying("a write", write)
