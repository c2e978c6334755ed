"""Ratings of answers ("helpful" / "not helpful") from every channel reach one store with the turn
they rate: over REST, the widget's socket.io, Slack's rating buttons and Telegram's inline
keyboard, against the running bot and the stand-in Slack and Telegram APIs."""
from __future__ import annotations

import json
import queue
import re
import time
import uuid
from urllib.parse import urlencode

import pytest
import requests
import socketio
import sqlalchemy as sa

from bot import feedback
from bot.channels.owned_ids import owned
from bot.review import command
from tests.channels.test_slack import SlackUser, blocks_of, sign
from tests.channels.test_telegram import TelegramChat

UNANSWERABLE = "what band is a justice social worker?"


def ratings_of(channel: str, given: str, count: int = 1, timeout: float = 20) -> list[dict]:
    """The stored ratings of one conversation (the channel's `given` id, which the server owns
    as `channel:given`), once there are `count` of them."""
    sender = owned(channel, given)
    deadline = time.monotonic() + timeout
    while True:
        with feedback.engine_for(feedback.store_url()).connect() as connection:
            rows = [dict(r._mapping) for r in connection.execute(
                sa.select(feedback.ratings_table).where(feedback.ratings_table.c.sender_id == sender)
                .order_by(feedback.ratings_table.c.id))]
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


class RestPerson:
    def __init__(self, url: str):
        self.url, self.sender = url, f"rest-{uuid.uuid4().hex[:10]}"

    def say(self, text: str) -> list[dict]:
        reply = requests.post(f"{self.url}/webhooks/rest/webhook",
                              json={"sender": self.sender, "message": text}, timeout=30)
        reply.raise_for_status()
        return reply.json()

    def rate(self, body: dict | bytes) -> requests.Response:
        raw = body if isinstance(body, bytes) else json.dumps({"sender": self.sender, **body}).encode()
        return requests.post(f"{self.url}/webhooks/feedback/webhook", data=raw,
                             headers={"Content-Type": "application/json"}, timeout=30)


def test_a_rest_rating_is_stored_with_the_question_and_the_answer_it_rates(channel_bot):
    person = RestPerson(channel_bot.url)
    person.say("what band is a PSO?")
    person.say(UNANSWERABLE)
    reply = person.rate({"rating": "not_helpful", "comment": "I wanted the actual number"})
    assert reply.status_code == 200, reply.text
    assert "will see it" in reply.json()["message"]
    [row] = ratings_of("rest", person.sender)
    assert row["rating"] == "not_helpful" and row["comment"] == "I wanted the actual number"
    assert row["question"] == UNANSWERABLE          # the latest answered turn
    assert "don't have" in row["answer"], row
    assert row["channel"] == "rest"


@pytest.mark.parametrize("body,status,says", [
    (b"{not json", 400, "not valid JSON"),
    ({"rating": "meh"}, 400, '"rating" must be "helpful" or "not_helpful"'),
    ({"rating": "helpful", "turn": 42}, 400, '"turn"'),
    ({"rating": "helpful", "comment": "x" * 1001}, 400, "1001 characters"),
    ({"rating": "helpful", "turn": "no-such-turn"}, 404, 'no turn "no-such-turn"'),
], ids=["not-json", "bad-rating", "turn-not-text", "long-comment", "unknown-turn"])
def test_a_rating_that_cannot_be_kept_is_refused_saying_why_and_stores_nothing(channel_bot, body, status, says):
    person = RestPerson(channel_bot.url)
    person.say("what band is a PSO?")
    reply = person.rate(body)
    assert reply.status_code == status and says in reply.json()["error"], reply.text
    assert ratings_of("rest", person.sender, timeout=0) == []
    # and the conversation goes on, its good rating kept
    assert person.rate({"rating": "helpful"}).status_code == 200
    assert [r["rating"] for r in ratings_of("rest", person.sender)] == ["helpful"]


def test_a_rating_for_a_conversation_that_does_not_exist_is_refused(channel_bot):
    reply = RestPerson(channel_bot.url).rate({"rating": "helpful"})
    assert reply.status_code == 404 and "has no answer to rate" in reply.json()["error"]


def test_a_huge_rating_body_is_refused(channel_bot):
    reply = requests.post(f"{channel_bot.url}/webhooks/feedback/webhook",
                          data=b'{"comment": "' + b"x" * 200_000 + b'"}',
                          headers={"Content-Type": "application/json"}, timeout=30)
    assert reply.status_code == 413


class WidgetClient:
    """What the widget does over socket.io, as a plain socket.io client."""

    def __init__(self, url: str):
        self.events: queue.Queue = queue.Queue()
        self.client = socketio.Client()
        for name in ("session_confirm", "bot_uttered", "feedback_result"):
            self.client.on(name, lambda data, name=name: self.events.put((name, data)))
        self.session = f"widget-{uuid.uuid4().hex[:10]}"
        self.client.connect(url, socketio_path="/socket.io", transports=["websocket"])

    def next_event(self, name: str) -> dict:
        while True:
            got, data = self.events.get(timeout=60)
            if got == name:
                return data

    def join(self) -> None:
        # the server issues the session id (bot/channels/widget_sessions.py); the widget keeps it
        self.client.emit("session_request", {"session_id": self.session})
        self.session = self.next_event("session_confirm")

    def ask(self, question: str) -> dict:
        self.client.emit("user_uttered", {"message": question, "session_id": self.session})
        return self.next_event("bot_uttered")

    def rate(self, **rating) -> dict:
        self.client.emit("feedback", {"session_id": self.session, **rating})
        return self.next_event("feedback_result")


def test_a_widget_rating_over_socketio_rates_the_turn_the_answer_came_with(channel_bot):
    widget = WidgetClient(channel_bot.url)
    try:
        # before joining a session: refused, and said so
        assert "has not started its session" in widget.rate(rating="helpful")["error"]
        widget.join()
        answer = widget.ask("what band is a PSO?")
        assert "Band 3" in answer["text"] and answer["answer"]["unit"] == "role-band"
        first_turn = answer["turn"]
        widget.ask(UNANSWERABLE)
        result = widget.rate(turn=first_turn, rating="not_helpful", comment="too short")
        assert result["stored"] and result["turn"] == first_turn
        assert '"rating" must be' in widget.rate(rating="sideways")["error"]
    finally:
        widget.client.disconnect()
    [row] = ratings_of("socketio", widget.session)
    assert (row["question"], row["unit"], row["rating"], row["comment"], row["channel"]) == (
        "what band is a PSO?", "role-band", "not_helpful", "too short", "socketio")


def rated_in_slack(bot, question: str) -> SlackUser:
    """A Slack user asks and presses the answer's "Not helpful" button."""
    person = SlackUser(bot)
    person.say(question)
    [reply] = person.wait_for_reply("Band 3")
    [not_helpful] = [b for block in blocks_of(reply, "actions") for b in block["elements"]
                     if b.get("action_id") == "rate:not_helpful"]
    payload = {"type": "block_actions", "user": {"id": person.user}, "channel": {"id": person.channel},
               "message": {"type": "message", "ts": f"{time.time():.6f}", "text": reply["text"]},
               "container": {"type": "message", "channel_id": person.channel},
               "actions": [{"type": "button", **{k: not_helpful[k] for k in ("action_id", "value", "text")}}]}
    raw = urlencode({"payload": json.dumps(payload)}).encode()
    press = requests.post(person.url, data=raw, timeout=10, headers={
        "Content-Type": "application/x-www-form-urlencoded", **sign(raw)})
    assert press.status_code == 200, press.text
    return person


def rated_in_telegram(bot, question: str) -> TelegramChat:
    """A Telegram chat asks and presses the answer's "Not helpful" button."""
    chat = TelegramChat(bot)
    chat.say(question)
    [reply] = chat.wait_for_reply("Band 3")
    not_helpful = next(b for b in reply["reply_markup"]["inline_keyboard"][-1]
                       if b["text"] == "👎 Not helpful")
    assert len(not_helpful["callback_data"].encode()) <= 64
    chat.press(not_helpful["callback_data"], query_id=f"cq-rate-{chat.chat_id}")
    return chat


def test_a_slack_rating_button_stores_the_rating_and_thanks_the_person(channel_bot):
    person = rated_in_slack(channel_bot, "what band is a PSO?")
    person.wait_for_reply("will see it")
    [row] = ratings_of("slack", person.user)
    assert (row["question"], row["unit"], row["rating"], row["channel"]) == (
        "what band is a PSO?", "role-band", "not_helpful", "slack")


def test_a_telegram_rating_button_stores_the_rating_and_says_so_on_the_button(channel_bot):
    chat = rated_in_telegram(channel_bot, "what band is a PSO?")
    [ack] = channel_bot.telegram.wait_for(
        "answerCallbackQuery", lambda c: c.params["callback_query_id"] == f"cq-rate-{chat.chat_id}")
    assert "will see it" in ack.params["text"]
    [row] = ratings_of("telegram", str(chat.chat_id))
    assert (row["question"], row["unit"], row["rating"], row["channel"]) == (
        "what band is a PSO?", "role-band", "not_helpful", "telegram")
    # a forged rating for a turn this chat never had is refused on the button, and not stored
    chat.press("rate:helpful:0123456789abcdef", query_id=f"cq-forged-{chat.chat_id}")
    [ack] = channel_bot.telegram.wait_for(
        "answerCallbackQuery", lambda c: c.params["callback_query_id"] == f"cq-forged-{chat.chat_id}")
    assert "couldn't keep that rating" in ack.params["text"]
    assert len(ratings_of("telegram", str(chat.chat_id), timeout=0)) == 1


def test_not_helpful_from_the_widget_slack_telegram_and_rest_each_appear_in_the_review(channel_bot, tmp_path, capsys):
    # letters only: a hex marker such as "b640be" reads as a postcode, which the review masks
    marker = "".join("ghjkmnpqrstvwxyz"[int(c, 16)] for c in uuid.uuid4().hex[:6])
    asked = {name: f"what band is a PSO? ({name} {marker})"
             for name in ("slack", "telegram", "socketio", "rest")}
    widget = WidgetClient(channel_bot.url)
    try:
        widget.join()
        turn = widget.ask(asked["socketio"])["turn"]
        assert widget.rate(turn=turn, rating="not_helpful")["stored"]
    finally:
        widget.client.disconnect()
    slack = rated_in_slack(channel_bot, asked["slack"])
    telegram = rated_in_telegram(channel_bot, asked["telegram"])
    person = RestPerson(channel_bot.url)
    person.say(asked["rest"])
    assert person.rate({"rating": "not_helpful"}).status_code == 200
    for channel, sender in (("slack", slack.user), ("telegram", str(telegram.chat_id))):
        assert ratings_of(channel, sender)
    assert command.main(["--since", "1d", "--out", str(tmp_path / "review.html")]) == 0
    page = (tmp_path / "review.html").read_text()
    not_helpful = page.split('id="not-helpful"', 1)[1].split("<h2", 1)[0]
    for channel, question in asked.items():
        assert re.search(rf"<td>{channel}</td><td>{re.escape(question)}<div", not_helpful), channel
    assert "answers rated not helpful" in capsys.readouterr().out
