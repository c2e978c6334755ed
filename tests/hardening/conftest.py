"""The bot the bad-input corpus is thrown at: every channel on (Slack and Telegram talking to the
local stand-ins), Rasa's HTTP API on behind RASA_TOKEN so that each conversation's tracker can be
read back, and a rate limit the corpus never reaches (the rate limit has its own test). Started
once for the hardening tests."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
import requests

from bot import cli, settings
from bot.channels.credentials import write_credentials
from bot.settings import ROOT
from tests.channels.conftest import (SLACK_SIGNING_SECRET, SLACK_TOKEN, TELEGRAM_SECRET,
                                     TELEGRAM_TOKEN, TELEGRAM_WEBHOOK_URL)
from tests.channels.stand_ins import SlackApi, TelegramApi
from tests.e2e.conftest import free_port
from tests.hardening.corpus import tally_lines
from tests.services import environment

RASA_TOKEN = "hardening-api-token-4f1c09"
CHANNEL_ENV = {"SLACK_BOT_TOKEN": SLACK_TOKEN, "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
               "TELEGRAM_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_BOT_USERNAME": "CareersTestBot",
               "TELEGRAM_WEBHOOK_URL": TELEGRAM_WEBHOOK_URL, "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET}


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
def servers(directory: Path, env: dict[str, str]) -> Iterator[Servers]:
    """The servers get `env` when they start; the test process keeps its own environment."""
    env = {"DATABASE_URL": f"sqlite:///{directory / 'knowledge.sqlite'}",
           "BOT_PORT": str(free_port()), "ACTION_PORT": str(free_port()), **env}
    with environment(env):
        cli.prepare()
        cfg = settings.load()
        processes = cli.start_servers(cfg, credentials=write_credentials(directory / "credentials.yml"))
    try:
        yield Servers(f"http://127.0.0.1:{cfg.bot_port}", f"http://127.0.0.1:{cfg.action_port}", processes)
    finally:
        cli.stop(processes)


@dataclass
class HardenedBot(Servers):
    slack: SlackApi
    telegram: TelegramApi

    def tracker(self, conversation_id: str) -> dict:
        reply = requests.get(f"{self.url}/conversations/{conversation_id}/tracker",
                             params={"token": RASA_TOKEN}, timeout=30)
        reply.raise_for_status()
        return reply.json()


@pytest.fixture(scope="session")
def hardened_bot(tmp_path_factory) -> Iterator[HardenedBot]:
    slack, telegram = SlackApi().start(), TelegramApi().start()
    env = {**CHANNEL_ENV, "SLACK_API_URL": slack.api_url, "TELEGRAM_API_URL": telegram.url,
           "RASA_TOKEN": RASA_TOKEN, "RATE_LIMIT_PER_MINUTE": "1000000"}
    try:
        with servers(tmp_path_factory.mktemp("hardened"), env) as running:
            yield HardenedBot(running.url, running.action_url, running.processes, slack, telegram)
    finally:
        slack.stop()
        telegram.stop()


def pytest_terminal_summary(terminalreporter) -> None:
    lines = tally_lines()
    if len(lines) > 1:
        terminalreporter.section("bad inputs per channel")
        for line in lines:
            terminalreporter.write_line(line)
        out = ROOT / "results" / "hardening"
        out.mkdir(parents=True, exist_ok=True)
        (out / "tally.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
