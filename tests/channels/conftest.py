"""The real bot with its Slack and Telegram channels on, talking to local stand-ins for the Slack
and Telegram APIs: the trained model, action server and Rasa server, started once per test run."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
import requests

from bot import cli, settings
from bot.channels.credentials import write_credentials
from tests.channels.stand_ins import SlackApi, TelegramApi
from tests.e2e.conftest import free_port
from tests.services import environment

SLACK_TOKEN = "xoxb-test-token"
SLACK_SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TELEGRAM_TOKEN = "123456:TEST-token"
TELEGRAM_SECRET = "channel-tests_secret-0123456789"
TELEGRAM_WEBHOOK_URL = "https://careers.example.org/webhooks/telegram/webhook"


@dataclass
class Servers:
    url: str
    action_url: str
    processes: list

    def alive(self) -> bool:
        """Both processes running, and both answering."""
        if any(p.poll() is not None for p in self.processes):
            return False
        try:
            return (requests.get(f"{self.url}/", timeout=10).status_code == 200
                    and requests.get(f"{self.action_url}/health", timeout=10).status_code == 200)
        except requests.RequestException:
            return False


@contextlib.contextmanager
def running_bot(directory, channel_env: dict[str, str]) -> Iterator[Servers]:
    """The servers get the variables when they start; the test process keeps its own environment,
    so later suites (the e2e bot among them) do not inherit these channels."""
    env = {"DATABASE_URL": f"sqlite:///{directory / 'knowledge.sqlite'}",
           "BOT_PORT": str(free_port()), "ACTION_PORT": str(free_port()),
           "WORKER_STATE_PATH": str(directory / "workers.sqlite"), **channel_env}
    with environment(env):
        cli.prepare()
        cfg = settings.load()
        processes = cli.start_servers(cfg, credentials=write_credentials(directory / "credentials.yml"))
    try:
        yield Servers(f"http://127.0.0.1:{cfg.bot_port}", f"http://127.0.0.1:{cfg.action_port}",
                      processes)
    finally:
        cli.stop(processes)


@dataclass
class ChannelBot:
    url: str
    slack: SlackApi
    telegram: TelegramApi
    credentials: Path


@pytest.fixture(scope="session")
def channel_bot(tmp_path_factory) -> Iterator[ChannelBot]:
    slack, telegram = SlackApi().start(), TelegramApi().start()
    env = {"SLACK_BOT_TOKEN": SLACK_TOKEN, "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
           "SLACK_API_URL": slack.api_url,
           "TELEGRAM_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_BOT_USERNAME": "CareersTestBot",
           "TELEGRAM_WEBHOOK_URL": TELEGRAM_WEBHOOK_URL, "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
           "TELEGRAM_API_URL": telegram.url}
    try:
        directory = tmp_path_factory.mktemp("channels")
        with running_bot(directory, env) as running:
            yield ChannelBot(running.url, slack, telegram, directory / "credentials.yml")
    finally:
        slack.stop()
        telegram.stop()
