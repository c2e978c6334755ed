"""Rasa's HTTP API (models, trackers, /conversations/...) on the bot started with RASA_TOKEN: it
answers only requests that carry the token, and the token is not on the server's command line."""
from __future__ import annotations

import uuid

import pytest
import requests

from bot.channels.owned_ids import owned
from tests.hardening.conftest import RASA_TOKEN

ROUTES = [("GET", "/status"), ("GET", "/domain"), ("GET", "/conversations/{id}/tracker"),
          ("GET", "/conversations/{id}/story"), ("POST", "/model/parse"),
          ("POST", "/conversations/{id}/messages"), ("POST", "/conversations/{id}/trigger_intent")]
BODIES = {"/model/parse": {"text": "what band is a PSO?"},
          "/conversations/{id}/messages": {"text": "hello", "sender": "user"},
          "/conversations/{id}/trigger_intent": {"name": "greet"}}


def call(bot, method: str, route: str, conversation: str, **params) -> requests.Response:
    return requests.request(method, bot.url + route.format(id=conversation), params=params,
                            json=BODIES.get(route), timeout=30)


@pytest.fixture
def conversation(hardened_bot) -> str:
    sender = f"hardening-api-{uuid.uuid4().hex[:10]}"
    reply = requests.post(f"{hardened_bot.url}/webhooks/rest/webhook",
                          json={"sender": sender, "message": "what band is a PSO?"}, timeout=30)
    assert "Band 3" in reply.json()[0]["text"]
    return owned("rest", sender)         # the conversation's id, as Rasa's API knows it


@pytest.mark.parametrize("method, route", ROUTES)
def test_without_the_token_the_api_refuses_and_shows_nothing(hardened_bot, conversation, method, route):
    for params in ({}, {"token": "not-the-token"}, {"token": ""}, {"token": RASA_TOKEN.upper()}):
        reply = call(hardened_bot, method, route, conversation, **params)
        assert reply.status_code in (401, 403), (params, reply.status_code, reply.text[:200])
        assert "Band 3" not in reply.text and conversation not in reply.text


def test_with_the_token_the_api_answers(hardened_bot, conversation):
    tracker = call(hardened_bot, "GET", "/conversations/{id}/tracker", conversation, token=RASA_TOKEN)
    assert tracker.status_code == 200 and tracker.json()["slots"]["role"] == "pso"
    parsed = call(hardened_bot, "POST", "/model/parse", conversation, token=RASA_TOKEN)
    assert parsed.status_code == 200 and parsed.json()["intent"]["name"] == "ask_question"


def test_the_token_is_not_on_the_command_line(hardened_bot):
    rasa = hardened_bot.processes[-1]
    with open(f"/proc/{rasa.pid}/cmdline", "rb") as cmdline:
        arguments = cmdline.read().split(b"\0")
    assert b"--enable-api" in arguments and RASA_TOKEN.encode() not in b" ".join(arguments)
