"""Where the knowledge base lives: the SQLite file under var/ unless the caller names another
SQLAlchemy database (PostgreSQL in a scaled deployment). knowledge/ reads no settings itself:
the bot passes the URL DATABASE_URL gives (bot/settings.py)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

from knowledge.models import Base

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = ROOT / "var" / "knowledge.sqlite"


def database_url(url: str | None = None) -> str:
    """`url`, or the SQLite file under var/ when it is None."""
    return url or f"sqlite:///{DEFAULT_PATH}"


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_foreign_keys)
        return engine
    # pre_ping makes a pool recover by itself after the database restarts.
    return create_engine(url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _sqlite_foreign_keys(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA foreign_keys=ON")


def engine_for(url: str | None = None) -> Engine:
    return _engine(database_url(url))


def create_schema(connection) -> None:
    Base.metadata.create_all(connection)


def describe(url: str | None = None) -> str:
    """The database's address with any password hidden, for logs and messages."""
    return make_url(database_url(url)).render_as_string(hide_password=True)
