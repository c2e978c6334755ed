"""The bot as an operator starts it without RASA_TOKEN and with the default rate limit (and a small
MAX_MESSAGE_CHARS, to see the setting honoured): Rasa's HTTP API is not there at all, a quick run
of messages is answered, a flood is told to slow down in words (REST, the terminal client and the
widget's socket.io), and the size limit is the one configured. One server start for the module."""
from __future__ import annotations

import time
import uuid

import pytest
import requests

from bot.channels import terminal
from bot.channels.guard import MessageGuard
from tests.channels.conftest import running_bot
from tests.hardening.corpus import reply_words
from tests.hardening.people import SocketPerson
from tests.hardening.test_api import BODIES, ROUTES

LIMIT = 120
BURST = MessageGuard.from_env({}).limiter.capacity          # the default: 10 messages


@pytest.fixture(scope="module")
def plain_bot(tmp_path_factory):
    env = {"RASA_TOKEN": "", "RATE_LIMIT_PER_MINUTE": "", "MAX_MESSAGE_CHARS": str(LIMIT)}
    with running_bot(tmp_path_factory.mktemp("plain"), env) as running:
        yield running


def post(bot, sender: str, text: str) -> requests.Response:
    return requests.post(f"{bot.url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                         timeout=30)


@pytest.mark.parametrize("method, route", ROUTES)
def test_without_rasa_token_the_api_is_not_there(plain_bot, method, route):
    sender = f"plain-{uuid.uuid4().hex[:8]}"
    assert post(plain_bot, sender, "what band is a PSO?").status_code == 200
    for params in ({}, {"token": "anything"}):
        reply = requests.request(method, plain_bot.url + route.format(id=sender), params=params,
                                 json=BODIES.get(route), timeout=30)
        assert reply.status_code == 404 and list(reply.json()) == ["error"], reply.text[:200]
        assert "Band 3" not in reply.text


def test_a_quick_run_of_messages_is_answered_and_a_flood_is_told_to_slow_down(plain_bot):
    sender, statuses = f"plain-{uuid.uuid4().hex[:8]}", []
    while len(statuses) < 3 * BURST and 429 not in statuses:
        reply = post(plain_bot, sender, "what band is a PSO?")
        statuses.append(reply.status_code)
    assert statuses[:int(BURST)] == [200] * int(BURST), "the burst a fast person might send"
    assert statuses[-1] == 429, f"never limited: {statuses}"
    refused = reply.json()["error"]
    assert all(w in refused for w in reply_words("slow_down")) and "30 a minute" in refused
    wait = int(reply.headers["Retry-After"])
    assert 1 <= wait <= 2
    time.sleep(wait)
    assert "Band 3" in post(plain_bot, sender, "what band is a PSO?").json()[0]["text"]


def test_the_terminal_says_slow_down_as_the_bots_reply(plain_bot):
    lines, asked = [], iter(["what band is a PSO?"] * (int(BURST) + 3))

    def read(_prompt: str) -> str:
        try:
            return next(asked)
        except StopIteration:
            raise EOFError from None       # Ctrl-D

    terminal.chat(f"{plain_bot.url}/webhooks/rest/webhook", read=read, write=lines.append)
    said = [line for line in lines if line.startswith("Bot: ")]
    assert any("Band 3" in line for line in said[:int(BURST)])
    assert any("too quickly" in line for line in said[int(BURST):]), said[-3:]
    assert not any("did not answer" in line for line in lines)


def test_the_widget_is_told_to_slow_down_once_per_flood(plain_bot):
    person = SocketPerson(plain_bot.url)
    try:
        replies = [person.say(" ") for _ in range(int(BURST) + 4)]
    finally:
        person.close()
    assert all(r and "type a question" in r[0] for r in replies[:int(BURST)])
    limited = replies[int(BURST):]
    assert len(limited[0]) == 1 and "too quickly" in limited[0][0]
    assert limited[1:] == [[]] * 3, "the rest of the flood is not answered again and again"


def test_the_configured_size_limit_is_the_one_applied_and_said(plain_bot):
    sender = f"plain-{uuid.uuid4().hex[:8]}"
    question = "what band is a PSO?"
    at_limit = " ".join([question] * (LIMIT // (len(question) + 1)))
    at_limit += "?" * (LIMIT - len(at_limit))
    assert len(at_limit) == LIMIT
    assert "Band 3" in post(plain_bot, sender, at_limit).json()[0]["text"]
    refused = post(plain_bot, sender, at_limit + "?").json()[0]["text"]
    assert all(w in refused for w in reply_words("too_long", LIMIT)) and f"{LIMIT + 1}" in refused
