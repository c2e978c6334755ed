"""What the Rasa server's worker processes on one machine must share, kept in one SQLite file
(`WORKER_STATE_PATH`; by default var/workers-<port>.sqlite): the conversation locks, each
sender's message allowance when the guard limits how fast one may write, the Slack requests
already received, and Telegram's long button payloads.

Rasa answers the messages of one conversation one at a time, in the order they came, with a
ticket lock per conversation. Its in-memory store only works inside one process, so with it
Rasa refuses to start more than one worker, and a 2-core machine answers with one core. Redis
shares the locks between processes, but `make run` must work without one.

Here every change to a conversation's tickets (issuing one, dropping expired ones, finishing
one, removing the lock when nobody waits) is a single write transaction, so two workers can
never hand out the same ticket or delete a ticket the other has just issued. Rasa's Redis store
reads, changes and writes back in separate steps, which leaves those races open; nginx's
conversation affinity keeps them rare when scaled out with Redis.

The rest is shared for the same reason: the operating system hands each new connection to
whichever worker accepts it first, so one sender's messages reach both workers. A bucket per
process would let a sender write twice as fast as `RATE_LIMIT_PER_MINUTE` allows, a replayed
Slack request reaching the other worker would be answered again, and a Telegram button press
reaching the other worker would find no payload.

None of it needs to survive a power cut, so the file is written without waiting for the disk;
the launcher empties the locks before starting the server, so a lock held by a killed server does
not outlive it. Each ticket also names the process that took it: a worker killed mid-turn would
otherwise hold its conversation until the ticket expired (TICKET_LOCK_LIFETIME, 60 s), and the
next message would wait that long; here the message waiting behind it finds the process gone
and takes its turn at once. The file is named after the server's port so that two servers on one machine (the
tests start several) never share or empty each other's."""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore

from bot.settings import worker_state_path

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS locks (conversation_id TEXT PRIMARY KEY, tickets TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS allowances (sender TEXT PRIMARY KEY, tokens REAL NOT NULL, "
    "at REAL NOT NULL, told INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS payloads (key TEXT PRIMARY KEY, payload TEXT NOT NULL, "
    "at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS holders (conversation_id TEXT NOT NULL, ticket INTEGER NOT NULL, "
    "process TEXT NOT NULL, PRIMARY KEY (conversation_id, ticket))",
)


def state_file(env: Mapping[str, str] | None = None) -> Path:
    """WORKER_STATE_PATH, else var/workers-<BOT_PORT>.sqlite (bot/settings.py)."""
    return worker_state_path(env)


def clear(path: Path) -> None:
    """Forget the locks and allowances: for the launcher, before the server that uses them
    starts. Seen Slack requests and long Telegram payloads are kept: a replay after a restart is
    still a replay, and a button shown before it still works."""
    if path.exists():
        with closing(_open(path)) as db:
            db.execute("DELETE FROM locks")
            db.execute("DELETE FROM holders")
            db.execute("DELETE FROM allowances")


def _open(path: Path, patience: float = 10.0) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=patience, isolation_level=None, check_same_thread=False)
    # Every worker opens the file as it starts, all at once. Switching to WAL answers "database is
    # locked" at once, without waiting, while another connection is doing the same, and a
    # worker that gave up there died before serving; so it tries again until `patience` is spent.
    deadline = time.monotonic() + patience
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")
            for statement in SCHEMA:
                db.execute(statement)
            return db
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                db.close()
                raise
            time.sleep(0.02)


class _PerProcess:
    """One connection per process: Sanic forks its workers after the objects are made."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: Optional[sqlite3.Connection] = None
        self._pid = 0

    def connection(self) -> sqlite3.Connection:
        if self._db is None or self._pid != os.getpid():
            self._db, self._pid = _open(self.path), os.getpid()
        return self._db

    @contextmanager
    def changing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: other processes wait for it to end."""
        db = self.connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


def _this_process() -> str:
    return _process_key(os.getpid()) or str(os.getpid())


def _process_key(pid: int) -> Optional[str]:
    """The pid with its start time, so that a pid the system has since given to another process
    does not pass for the one that took the ticket; None when there is no such process."""
    try:
        started = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None
    return f"{pid}:{started}"


def _gone(process: str) -> bool:
    pid = int(process.split(":", 1)[0])
    return _process_key(pid) != process


class ConversationLocks(LockStore):
    """Rasa's ticket locks in a SQLite file that every worker process opens. endpoints.yml
    passes the Redis settings to every lock store type; they are not used here."""

    def __init__(self, path: Optional[Text] = None, **_redis_settings: Any) -> None:
        self._file = _PerProcess(Path(path) if path else state_file())
        self._connection, self._changing = self._file.connection, self._file.changing
        self._connection()

    @staticmethod
    def _read(db: sqlite3.Connection, conversation_id: Text) -> Optional[TicketLock]:
        row = db.execute(
            "SELECT tickets FROM locks WHERE conversation_id = ?", (conversation_id,)
        ).fetchone()
        return TicketLock.from_dict(json.loads(row[0])) if row else None

    @staticmethod
    def _write(db: sqlite3.Connection, lock: TicketLock) -> None:
        db.execute(
            "INSERT INTO locks (conversation_id, tickets) VALUES (?, ?) "
            "ON CONFLICT (conversation_id) DO UPDATE SET tickets = excluded.tickets",
            (lock.conversation_id, lock.dumps()),
        )

    @staticmethod
    def _delete(db: sqlite3.Connection, conversation_id: Text) -> None:
        db.execute("DELETE FROM locks WHERE conversation_id = ?", (conversation_id,))
        db.execute("DELETE FROM holders WHERE conversation_id = ?", (conversation_id,))

    # the storage Rasa's LockStore is written against

    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        return self._read(self._connection(), conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        with self._changing() as db:
            self._write(db, lock)

    def delete_lock(self, conversation_id: Text) -> None:
        with self._changing() as db:
            self._delete(db, conversation_id)

    # Rasa's read-change-write steps, each made one transaction

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            with self._changing() as db:
                lock = self._read(db, conversation_id) or self.create_lock(conversation_id)
                ticket = lock.issue_ticket(lock_lifetime)
                self._write(db, lock)
                db.execute(
                    "INSERT OR REPLACE INTO holders (conversation_id, ticket, process) "
                    "VALUES (?, ?, ?)",
                    (conversation_id, ticket, _this_process()),
                )
            return ticket
        except sqlite3.Error as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: Text) -> None:
        """What a waiting message does between checks: drop the expired tickets, and the tickets
        of processes that are gone (killed mid-turn)."""
        with self._changing() as db:
            lock = self._read(db, conversation_id)
            if lock:
                lock.remove_expired_tickets()
                for ticket, process in db.execute(
                    "SELECT ticket, process FROM holders WHERE conversation_id = ?",
                    (conversation_id,),
                ).fetchall():
                    if _gone(process):
                        lock.remove_ticket_for(ticket)
                        self._forget_holder(db, conversation_id, ticket)
                self._write(db, lock)

    @staticmethod
    def _forget_holder(db: sqlite3.Connection, conversation_id: Text, ticket: int) -> None:
        db.execute(
            "DELETE FROM holders WHERE conversation_id = ? AND ticket = ?",
            (conversation_id, ticket),
        )

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        with self._changing() as db:
            lock = self._read(db, conversation_id)
            self._forget_holder(db, conversation_id, ticket_number)
            if lock:
                lock.remove_ticket_for(ticket_number)
                self._write(db, lock)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        with self._changing() as db:
            lock = self._read(db, conversation_id)
            self._forget_holder(db, conversation_id, ticket_number)
            if lock is None:
                return
            lock.remove_ticket_for(ticket_number)
            if lock.is_someone_waiting():
                self._write(db, lock)
            else:
                self._delete(db, conversation_id)


class SharedAllowances:
    """`guard.RateLimiter`'s token buckets, one row per sender in the shared file, each taken in
    one transaction. The clock is the machine's monotonic clock, the same in every process."""

    def __init__(
        self,
        per_minute: int,
        burst: int | None = None,
        path: Optional[Path] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.capacity = float(burst or max(1, per_minute // 3))
        self.clock = clock
        self._file = _PerProcess(path or state_file())
        self._taken = 0

    def take(self, key: str) -> tuple[bool, bool, int]:
        """(allowed, already told, seconds until the next message would be allowed)."""
        now = self.clock()
        with self._file.changing() as db:
            row = db.execute(
                "SELECT tokens, at, told FROM allowances WHERE sender = ?", (key,)
            ).fetchone()
            tokens, at, told = row if row else (self.capacity, now, 0)
            tokens = min(self.capacity, tokens + max(0.0, now - at) * self.rate)
            if tokens >= 1:
                tokens, allowed, wait, told_now = tokens - 1, True, 0, 0
            else:
                allowed, wait, told_now = False, math.ceil((1 - tokens) / self.rate), 1
            db.execute(
                "INSERT INTO allowances (sender, tokens, at, told) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (sender) DO UPDATE SET tokens = excluded.tokens, "
                "at = excluded.at, told = excluded.told",
                (key, tokens, now, told_now),
            )
            self._taken += 1
            if self._taken % 1000 == 0:
                # a bucket idle long enough to be full again is the same as no bucket
                db.execute(
                    "DELETE FROM allowances WHERE at < ?", (now - self.capacity / self.rate,)
                )
        return allowed, bool(told), wait


class SeenKeys:
    """Keys any worker has seen in the last `keep_seconds` (Slack's request signatures and
    event ids, to refuse replays and answer a retried event once); claiming one is a single
    insert, so of two workers receiving the same key at once exactly one sees it first."""

    def __init__(self, path: Optional[Path] = None, keep_seconds: float = 600.0) -> None:
        self._file = _PerProcess(path or state_file())
        self.keep_seconds = keep_seconds
        self._claimed = 0

    def first_sight(self, key: str) -> bool:
        now = time.time()
        with self._file.changing() as db:
            first = (
                db.execute(
                    "INSERT OR IGNORE INTO seen (key, at) VALUES (?, ?)", (key, now)
                ).rowcount
                == 1
            )
            self._claimed += 1
            if self._claimed % 500 == 0:
                db.execute("DELETE FROM seen WHERE at < ?", (now - self.keep_seconds,))
        return first


class SharedPayloads:
    """Button payloads too long for Telegram's 64-byte callback data, by the short key that
    travels instead, for whichever worker receives the press. The newest `size` are kept."""

    def __init__(self, path: Optional[Path] = None, size: int = 5000) -> None:
        self._file = _PerProcess(path or state_file())
        self.size = size

    def put(self, key: str, payload: str) -> None:
        with self._file.changing() as db:
            db.execute(
                "INSERT INTO payloads (key, payload, at) VALUES (?, ?, ?) ON CONFLICT (key) "
                "DO UPDATE SET at = excluded.at",
                (key, payload, time.time()),
            )
            db.execute(
                "DELETE FROM payloads WHERE key NOT IN "
                "(SELECT key FROM payloads ORDER BY at DESC LIMIT ?)",
                (self.size,),
            )

    def get(self, key: str) -> Optional[str]:
        row = (
            self._file.connection()
            .execute("SELECT payload FROM payloads WHERE key = ?", (key,))
            .fetchone()
        )
        return row[0] if row else None
