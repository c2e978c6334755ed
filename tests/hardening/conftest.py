"""The bot the bad-input corpus is thrown at: every channel on (Slack and Telegram talking to the
local stand-ins), Rasa's HTTP API on behind RASA_TOKEN so that each conversation's tracker can be
read back, and a rate limit the corpus never reaches (the rate limit has its own test). Started
once for the hardening tests."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import pytest
import requests

from bot.settings import ROOT
from tests.channels.conftest import (SLACK_SIGNING_SECRET, SLACK_TOKEN, TELEGRAM_SECRET,
                                     TELEGRAM_TOKEN, TELEGRAM_WEBHOOK_URL, Servers, running_bot)
from tests.channels.stand_ins import SlackApi, TelegramApi
from tests.hardening.corpus import tally_lines

RASA_TOKEN = "hardening-api-token-4f1c09"
CHANNEL_ENV = {"SLACK_BOT_TOKEN": SLACK_TOKEN, "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
               "TELEGRAM_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_BOT_USERNAME": "CareersTestBot",
               "TELEGRAM_WEBHOOK_URL": TELEGRAM_WEBHOOK_URL, "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET}


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
           "RASA_TOKEN": RASA_TOKEN, "RATE_LIMIT_PER_MINUTE": "1000000",
           "RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "1000000"}
    try:
        with running_bot(tmp_path_factory.mktemp("hardened"), env) as running:
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
