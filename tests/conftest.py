from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from bot import rasa_patches
from tests.services import ensure_postgres, postgres_admin_url

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


@pytest.fixture
def patched_rasa():
    """Changes to Rasa a test applies (bot/rasa_patches/) are undone when it ends, so that no
    other test sees a patched Rasa it did not ask for."""
    before = rasa_patches.applied()
    yield
    rasa_patches.undo(before)


@pytest.fixture(scope="module")
def patched_rasa_for_module():
    """The same for every test in a module."""
    before = rasa_patches.applied()
    yield
    rasa_patches.undo(before)


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh, empty PostgreSQL database for this test session, dropped afterwards."""
    ensure_postgres()
    name = f"probation_test_{uuid.uuid4().hex[:10]}"
    # pre_ping: the scaled suite restarts PostgreSQL before this session's teardown runs.
    admin = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT", future=True,
                          pool_pre_ping=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres_admin_url().rsplit("/", 1)[0] + f"/{name}"
    yield url
    from knowledge import db
    db._engine.cache_clear()
    with admin.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    """Each knowledge test runs on both databases the product supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('kb') / 'knowledge.sqlite'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def kb(database_url):
    """The real knowledge base, built from knowledge/facts into each database."""
    from knowledge.loader import load
    from knowledge.queries import KnowledgeBase
    load(database_url)
    return KnowledgeBase(database_url, refresh_seconds=0)
