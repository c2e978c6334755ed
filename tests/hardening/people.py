"""People talking to the hardened bot over socket.io, Slack and Telegram, for the corpus tests.
Slack and Telegram answer after their webhook returns, so replies are read from the stand-in APIs;
socket.io's acknowledgement of an event comes after every reply to it, on the same socket."""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import threading
import time
import uuid
from urllib.parse import urlencode

import requests
import socketio

from tests.channels.conftest import SLACK_SIGNING_SECRET, TELEGRAM_SECRET

BOT_USER = "UBOT0001"
_numbers = itertools.count(random.randrange(10**6, 10**7))


def sign(body: bytes, secret: str = SLACK_SIGNING_SECRET, timestamp: int | str | None = None) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


class SlackPerson:
    """One person in a direct-message channel of their own."""

    def __init__(self, bot):
        self.bot, self.url = bot, f"{bot.url}/webhooks/slack/webhook"
        self.user = f"U{uuid.uuid4().hex[:10].upper()}"
        self.channel = f"D{uuid.uuid4().hex[:10].upper()}"

    def event(self, text: str) -> dict:
        return {"type": "event_callback", "team_id": "T0001", "event_id": f"Ev{uuid.uuid4().hex[:12]}",
                "event_time": int(time.time()), "authorizations": [{"user_id": BOT_USER}],
                "event": {"type": "message", "channel": self.channel, "channel_type": "im",
                          "user": self.user, "text": text, "ts": f"{time.time():.6f}"}}

    def event_bytes(self, raw_text: bytes) -> bytes:
        """An event whose text is `raw_text` byte for byte, invalid UTF-8 included."""
        return as_bytes(self.event("@@TEXT@@")).replace(b"@@TEXT@@", raw_text)

    def press_form(self, value: str) -> bytes:
        payload = {"type": "block_actions", "user": {"id": self.user}, "channel": {"id": self.channel},
                   "message": {"type": "message", "ts": f"{time.time():.6f}", "text": "an answer"},
                   "container": {"type": "message", "channel_id": self.channel},
                   "actions": [{"type": "button", "action_id": "a1", "value": value,
                                "text": {"type": "plain_text", "text": "a suggestion"}}]}
        return urlencode({"payload": json.dumps(payload)}).encode()

    def post(self, body: bytes, headers: dict | None = None,
             content_type: str = "application/json") -> requests.Response:
        return requests.post(self.url, data=body, timeout=30,
                             headers={"Content-Type": content_type, **(headers or {})})

    def post_signed(self, body: bytes, content_type: str = "application/json") -> requests.Response:
        return self.post(body, sign(body), content_type)

    def send(self, text: str, via_button: bool = False) -> requests.Response:
        if via_button:
            return self.post_signed(self.press_form(text), "application/x-www-form-urlencoded")
        return self.post_signed(as_bytes(self.event(text)))

    def replies(self) -> list[str]:
        return [c.params.get("text") or "" for c in self.bot.slack.calls_to(
            "chat.postMessage", lambda c: c.params.get("channel") == self.channel)]


class TelegramChat:
    """One private chat with the bot."""

    def __init__(self, bot):
        self.bot, self.url = bot, f"{bot.url}/webhooks/telegram/webhook"
        self.chat_id = random.randrange(10**8, 10**9)

    def message(self, text: str) -> dict:
        person = {"id": self.chat_id, "is_bot": False, "first_name": "Test"}
        return {"update_id": next(_numbers), "message": {
            "message_id": next(_numbers), "date": int(time.time()), "from": person,
            "chat": {**person, "type": "private"}, "text": text}}

    def press(self, data: str) -> dict:
        person = {"id": self.chat_id, "is_bot": False, "first_name": "Test"}
        return {"update_id": next(_numbers), "callback_query": {
            "id": f"cq-{next(_numbers)}", "from": person, "chat_instance": "42", "data": data,
            "message": {"message_id": 7, "date": int(time.time()), "text": "an answer",
                        "chat": {**person, "type": "private"}}}}

    def post(self, body: bytes, secret: str | None = TELEGRAM_SECRET) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        return requests.post(self.url, data=body, headers=headers, timeout=30)

    def send(self, text: str, via_button: bool = False) -> requests.Response:
        return self.post(as_bytes(self.press(text) if via_button else self.message(text)))

    def replies(self) -> list[str]:
        return [c.params.get("text") or "" for c in self.bot.telegram.calls_to(
            "sendMessage", lambda c: str(c.params.get("chat_id")) == str(self.chat_id))]


def as_bytes(value) -> bytes:
    return json.dumps(value).encode()


def wait_for_replies(people: list, timeout: float = 180) -> None:
    """Until each of `people` has had a reply, or the time is up (the checks then say who has not)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(p.replies() for p in people):
        time.sleep(0.2)


def say_in_turn(person, text: str, via_button: bool = False, answered: bool = True,
                timeout: float = 60) -> None:
    """Sends, then waits for a reply before the caller sends more. Rasa queues one conversation's
    messages behind a lock that each waiting message checks once a second, and drops those still
    waiting after 60 s, so a hundred sent at once would not all be answered (the rate limit keeps
    a real person far below that)."""
    before = len(person.replies())
    person.send(text, via_button)
    deadline = time.monotonic() + timeout
    while answered and len(person.replies()) <= before and time.monotonic() < deadline:
        time.sleep(0.05)


def wait_for_reply_containing(person, *words: str, timeout: float = 180) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for reply in person.replies():
            if all(w.lower() in reply.lower() for w in words):
                return reply
        time.sleep(0.2)
    return None


class SocketPerson:
    """The widget's side of socket.io: a socket, and a session it requested."""

    def __init__(self, base_url: str, headers: dict | None = None):
        self.client = socketio.Client(reconnection=False)
        self.replies: list[dict] = []
        self.confirmed: list = []
        self.closed = threading.Event()
        self.client.on("bot_uttered", self.replies.append)
        self.client.on("session_confirm", self.confirmed.append)
        self.client.on("disconnect", lambda *_: self.closed.set())
        self.client.connect(base_url, headers=headers or {}, transports=["websocket"],
                            socketio_path="/socket.io", wait_timeout=30)
        self.session = self.request_session({"session_id": f"hardening-{uuid.uuid4().hex[:12]}"})

    def request_session(self, data) -> object:
        """The session Rasa confirmed (None when it did not)."""
        before = len(self.confirmed)
        self.client.call("session_request", _arguments(data), timeout=30)
        return self.confirmed[before] if len(self.confirmed) > before else None

    def emit(self, data) -> list[str]:
        """The texts of every reply to one user_uttered event."""
        before = len(self.replies)
        self.client.call("user_uttered", _arguments(data), timeout=120)
        return [r.get("text") or "" for r in self.replies[before:]]

    def say(self, text: str, session: str | None = None) -> list[str]:
        return self.emit({"message": text, "session_id": session or self.session})

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


def _arguments(data):
    """python-socketio sends a tuple as that many arguments, and None as no argument at all."""
    return tuple(data["arguments"]) if isinstance(data, dict) and "arguments" in data else data
