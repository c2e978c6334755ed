"""Slack, end to end: signed events and button presses posted to the running bot's Slack webhook,
its replies read from the stand-in Slack Web API."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from urllib.parse import urlencode

import pytest
import requests

from tests.channels.conftest import SLACK_SIGNING_SECRET, SLACK_TOKEN, TELEGRAM_SECRET, TELEGRAM_TOKEN
from tests.channels.stand_ins import AnsweredInOrder

BOT_USER = "UBOT0001"
PSO_BAND = '/ask_question{"unit": "role-band", "role": "pso"}'


def sign(body: bytes, secret: str = SLACK_SIGNING_SECRET, timestamp: int | None = None) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


class SlackUser(AnsweredInOrder):
    """One person in their own channel, so that replies to them can be told apart."""
    GREETING = "hello"

    def __init__(self, bot, channel_type: str = "im"):
        self.bot, self.channel_type = bot, channel_type
        self.user = f"U{uuid.uuid4().hex[:10].upper()}"
        self.channel = ("D" if channel_type == "im" else "C") + uuid.uuid4().hex[:10].upper()
        self.url = f"{bot.url}/webhooks/slack/webhook"

    def event(self, text: str, thread_ts: str | None = None, kind: str = "message") -> dict:
        event = {"type": kind, "channel": self.channel, "channel_type": self.channel_type,
                 "user": self.user, "text": text, "ts": f"{time.time():.6f}"}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return {"type": "event_callback", "team_id": "T0001", "event_id": f"Ev{uuid.uuid4().hex[:12]}",
                "event_time": int(time.time()), "authorizations": [{"user_id": BOT_USER}], "event": event}

    def post(self, body: dict | bytes, headers: dict | None = None, signed: bool = True,
             **sign_args) -> requests.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json", **(sign(raw, **sign_args) if signed else {}),
                       **(headers or {})}
        return requests.post(self.url, data=raw, headers=all_headers, timeout=10)

    def say(self, text: str, **event_args) -> requests.Response:
        reply = self.post(self.event(text, **event_args))
        assert reply.status_code == 200, reply.text
        return reply

    def press(self, value: str, thread_ts: str | None = None, signed: bool = True) -> requests.Response:
        message = {"type": "message", "ts": f"{time.time():.6f}", "text": "an earlier answer"}
        if thread_ts:
            message["thread_ts"] = thread_ts
        payload = {"type": "block_actions", "user": {"id": self.user}, "channel": {"id": self.channel},
                   "message": message, "container": {"type": "message", "channel_id": self.channel},
                   "actions": [{"type": "button", "action_id": "a1", "value": value,
                                "text": {"type": "plain_text", "text": "What band is a PSO?"}}]}
        raw = urlencode({"payload": json.dumps(payload)}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **(sign(raw) if signed else {})}
        return requests.post(self.url, data=raw, headers=headers, timeout=10)

    def replies(self, containing: str = "") -> list[dict]:
        return [c.params for c in self.bot.slack.calls_to("chat.postMessage", self._mine(containing))]

    def wait_for_reply(self, containing: str = "", count: int = 1) -> list[dict]:
        calls = self.bot.slack.wait_for("chat.postMessage", self._mine(containing), count=count)
        return [c.params for c in calls]

    def _mine(self, containing: str):
        return lambda c: c.params.get("channel") == self.channel and containing in c.params.get("text", "")


@pytest.fixture
def person(channel_bot):
    return SlackUser(channel_bot)


def blocks_of(reply: dict, kind: str) -> list[dict]:
    return [b for b in reply.get("blocks") or [] if b["type"] == kind]


def test_a_signed_message_is_answered_with_text_source_and_buttons(person):
    person.say("what band is a PSO?")
    [reply] = person.wait_for_reply("Band 3")
    [section] = blocks_of(reply, "section")
    assert "Band 3" in section["text"]["text"] and "Source" not in section["text"]["text"]
    [context] = blocks_of(reply, "context")
    assert context["elements"][0]["text"].startswith("Source")
    actions, rating = blocks_of(reply, "actions")
    buttons = actions["elements"]
    assert buttons and all(b["type"] == "button" and b["value"].startswith("/") for b in buttons)
    assert [b["text"]["text"] for b in rating["elements"]] == ["👍 Helpful", "👎 Not helpful"]
    assert "thread_ts" not in reply
    [call] = person.bot.slack.calls_to("chat.postMessage", lambda c: c.params.get("channel") == person.channel)
    assert call.headers.get("Authorization") == f"Bearer {SLACK_TOKEN}"


def test_a_message_in_a_thread_is_answered_in_that_thread(person):
    person.say("what band is a PSO?", thread_ts="1700000000.000100")
    [reply] = person.wait_for_reply("Band 3")
    assert reply["thread_ts"] == "1700000000.000100"


def test_a_mention_in_a_channel_thread_is_answered_there_without_the_mention(channel_bot):
    person = SlackUser(channel_bot, channel_type="channel")
    person.say(f"<@{BOT_USER}> what band is a PSO?", thread_ts="1700000000.000200", kind="app_mention")
    [reply] = person.wait_for_reply("Band 3")
    assert reply["thread_ts"] == "1700000000.000200"


def test_the_url_verification_challenge_is_answered(person):
    reply = person.post({"type": "url_verification", "token": "t", "challenge": "3eZbrw1aBm2rZgRNFdxV"})
    assert reply.status_code == 200 and reply.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV"}
    assert person.post({"type": "url_verification", "challenge": "x"}, signed=False).status_code == 401


@pytest.mark.parametrize("how", ["unsigned", "forged", "stale", "tampered"])
def test_requests_not_signed_by_slack_now_are_refused_and_not_answered(person, how):
    body = json.dumps(person.event("what band is a PSO?")).encode()
    if how == "unsigned":
        refused = person.post(body, signed=False)
    elif how == "forged":
        refused = person.post(body, secret="not-the-signing-secret")
    elif how == "stale":
        refused = person.post(body, timestamp=int(time.time()) - 6 * 60)
    else:
        headers = sign(json.dumps(person.event("hello")).encode())
        refused = person.post(body, headers=headers, signed=False)
    assert refused.status_code == 401
    assert person.replies_so_far("Band 3") == []


def test_a_replayed_request_is_refused(person):
    body = json.dumps(person.event("what band is a PSO?")).encode()
    headers = {"Content-Type": "application/json", **sign(body)}
    url = person.url
    assert requests.post(url, data=body, headers=headers, timeout=10).status_code == 200
    assert requests.post(url, data=body, headers=headers, timeout=10).status_code == 401
    person.wait_for_reply("Band 3")
    assert len(person.replies_so_far("Band 3")) == 1


def test_a_retried_event_is_answered_once(person):
    event, now = person.event("what band is a PSO?"), int(time.time())
    person.post(event, timestamp=now).raise_for_status()
    # Slack signs each retry anew; an immediate one can carry the very same signature.
    for retry, timestamp in (("1", now), ("2", now + 1), ("3", now + 2)):
        again = person.post(event, headers={"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"},
                            timestamp=timestamp)
        assert again.status_code == 200 and again.headers.get("X-Slack-No-Retry") == "1"
    duplicate = person.post(event, timestamp=now + 3)     # the same event_id, no retry headers
    assert duplicate.status_code == 200 and duplicate.headers.get("X-Slack-No-Retry") == "1"
    person.wait_for_reply("Band 3")
    assert len(person.replies_so_far("Band 3")) == 1


def test_a_retry_whose_first_delivery_was_lost_is_answered_once(person):
    event = person.event("what band is a PSO?")
    now = int(time.time())
    for retry, timestamp in (("1", now), ("2", now + 1)):
        again = person.post(event, headers={"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "connection_failed"},
                            timestamp=timestamp)
        assert again.status_code == 200 and again.headers.get("X-Slack-No-Retry") == "1"
    person.wait_for_reply("Band 3")
    assert len(person.replies_so_far("Band 3")) == 1


def test_a_message_delivered_as_both_message_and_mention_is_answered_once(person):
    message = person.event(f"<@{BOT_USER}> what band is a PSO?")
    mention = person.event("", kind="app_mention")
    mention["event"] = {**message["event"], "type": "app_mention"}
    for event in (message, mention):
        assert person.post(event).status_code == 200
    person.wait_for_reply("Band 3")
    assert len(person.replies_so_far("Band 3")) == 1


def test_a_button_press_is_answered_with_its_payload(person):
    assert person.press(PSO_BAND).status_code == 200
    [reply] = person.wait_for_reply("Band 3")
    assert blocks_of(reply, "context") and "thread_ts" not in reply


def test_a_button_press_in_a_thread_is_answered_in_the_thread(person):
    assert person.press(PSO_BAND, thread_ts="1700000000.000300").status_code == 200
    [reply] = person.wait_for_reply("Band 3")
    assert reply["thread_ts"] == "1700000000.000300"


def test_an_unsigned_button_press_is_refused(person):
    assert person.press(PSO_BAND, signed=False).status_code == 401
    assert person.replies_so_far("Band 3") == []


def test_the_greeting_offers_its_suggestions_as_buttons(person):
    person.say("hello")
    [reply] = person.wait_for_reply("Hello")
    [actions] = blocks_of(reply, "actions")
    assert PSO_BAND in [b["value"] for b in actions["elements"]]
    assert blocks_of(reply, "context") == []


def test_the_credentials_file_turns_the_channels_on_without_holding_a_secret(channel_bot):
    written = channel_bot.credentials.read_text()
    assert "rest" in written and "bot.channels.slack.SlackChannel" in written
    assert "bot.channels.telegram.TelegramChannel" in written
    for secret in (SLACK_TOKEN, SLACK_SIGNING_SECRET, TELEGRAM_TOKEN, TELEGRAM_SECRET):
        assert secret not in written
