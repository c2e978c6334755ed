"""The real bot: trained model, action server and Rasa server started once per test run on free
ports, with a knowledge base of its own, and talked to only over HTTP."""
from __future__ import annotations

import os
import socket
import uuid

import pytest
import requests
import sqlalchemy as sa

from bot import cli, settings
from bot.channels.owned_ids import owned
from tests.services import environment


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def bot_processes(tmp_path_factory):
    """The base URL of the Rasa server, and the action server and Rasa server processes."""
    directory = tmp_path_factory.mktemp("e2e")
    with environment({"DATABASE_URL": f"sqlite:///{directory / 'knowledge.sqlite'}",
                      "BOT_PORT": str(free_port()), "ACTION_PORT": str(free_port()),
                      "WORKER_STATE_PATH": str(directory / "workers.sqlite"),
                      # every scripted conversation comes from this one address
                      "RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "1000000"}):
        cli.prepare()
        cfg = settings.load()
        processes = cli.start_servers(cfg)
        yield f"http://127.0.0.1:{cfg.bot_port}", processes
        cli.stop(processes)


@pytest.fixture(scope="session")
def bot_server(bot_processes):
    return bot_processes[0]


class Conversation:
    """One person talking to the bot over the REST channel."""

    def __init__(self, base_url: str):
        self.url = f"{base_url}/webhooks/rest/webhook"
        self.sender = f"test-{uuid.uuid4().hex[:12]}"

    def say(self, text: str) -> list[dict]:
        response = requests.post(self.url, json={"sender": self.sender, "message": text}, timeout=30)
        response.raise_for_status()
        return response.json()


def stored_events(sender: str) -> list[tuple[str, str | None, str]]:
    """(type_name, action_name, data) of each event the server stored for the REST `sender`, in
    order."""
    url = os.environ.get("TRACKER_STORE_URL") or settings.store_defaults()["TRACKER_STORE_URL"]
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(
                sa.text("SELECT type_name, action_name, data FROM events WHERE sender_id = :s "
                        "ORDER BY id"), {"s": owned("rest", sender)})]
    finally:
        engine.dispose()


@pytest.fixture
def conversation(bot_server):
    return Conversation(bot_server)
