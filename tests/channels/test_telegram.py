"""Telegram, end to end: updates posted to the running bot's Telegram webhook, its calls read from
the stand-in Bot API; and the bot starting while Telegram cannot be reached."""
from __future__ import annotations

import itertools
import os
import random
import time

import pytest
import requests

from bot import settings
from bot.settings import worker_processes
from bot.channels.telegram import CallbackKeys
from tests.channels.conftest import (TELEGRAM_SECRET, TELEGRAM_TOKEN, TELEGRAM_WEBHOOK_URL,
                                     running_bot)
from tests.channels.stand_ins import AnsweredInOrder, TelegramApi
from tests.e2e.conftest import free_port

PSO_BAND = '/ask_question{"unit": "role-band", "role": "pso"}'
_update_ids = itertools.count(random.randrange(10**6, 10**7))


class TelegramChat(AnsweredInOrder):
    """One private chat with the bot; its id tells its replies apart."""
    GREETING = "/start"

    def __init__(self, bot):
        self.bot = bot
        self.chat_id = random.randrange(10**8, 10**9)
        self.url = f"{bot.url}/webhooks/telegram/webhook"

    def post(self, update: dict, secret: str | None = TELEGRAM_SECRET) -> requests.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return requests.post(self.url, json={"update_id": next(_update_ids), **update},
                             headers=headers, timeout=10)

    def message(self, text: str) -> dict:
        person = {"id": self.chat_id, "is_bot": False, "first_name": "Test"}
        return {"message": {"message_id": next(_update_ids), "date": int(time.time()), "from": person,
                            "chat": {**person, "type": "private"}, "text": text}}

    def say(self, text: str) -> None:
        reply = self.post(self.message(text))
        assert reply.status_code == 200, reply.text

    def press(self, data: str, query_id: str) -> None:
        person = {"id": self.chat_id, "is_bot": False, "first_name": "Test"}
        reply = self.post({"callback_query": {
            "id": query_id, "from": person, "chat_instance": "42", "data": data,
            "message": {"message_id": 7, "date": int(time.time()), "text": "an earlier answer",
                        "chat": {**person, "type": "private"}}}})
        assert reply.status_code == 200, reply.text

    def _mine(self, containing: str):
        return lambda c: str(c.params.get("chat_id")) == str(self.chat_id) and containing in c.params["text"]

    def replies(self, containing: str = "") -> list[dict]:
        return [c.params for c in self.bot.telegram.calls_to("sendMessage", self._mine(containing))]

    def wait_for_reply(self, containing: str = "") -> list[dict]:
        return [c.params for c in self.bot.telegram.wait_for("sendMessage", self._mine(containing))]


@pytest.fixture
def chat(channel_bot):
    return TelegramChat(channel_bot)


def server_workers() -> int:
    return worker_processes({"SANIC_WORKERS": os.environ.get("SANIC_WORKERS")
                             or settings.store_defaults()["SANIC_WORKERS"]})


def test_the_webhook_is_set_with_its_url_and_secret(channel_bot):
    # Each worker process sets it as it starts, with the same URL and secret (Telegram answers
    # a repeat with "Webhook is already set"), so an update may reach either worker.
    workers = server_workers()
    calls = channel_bot.telegram.wait_for("setWebhook", count=workers)
    assert len(calls) == workers
    for call in calls:
        assert channel_bot.telegram.token(call) == TELEGRAM_TOKEN
        assert call.params["url"] == TELEGRAM_WEBHOOK_URL
        assert call.params["secret_token"] == TELEGRAM_SECRET


def test_a_message_is_answered_with_its_source_and_an_inline_keyboard(chat):
    chat.say("what band is a PSO?")
    [reply] = chat.wait_for_reply("Band 3")
    assert reply["parse_mode"] == "HTML"
    assert "\n\n<i>Source" in reply["text"]
    *keyboard, rating = reply["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in rating] == ["👍 Helpful", "👎 Not helpful"]
    buttons = [button for row in keyboard for button in row]
    assert buttons and all(b["text"] and b["callback_data"].startswith("/") for b in buttons)
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)


@pytest.mark.parametrize("secret", [None, "", "the-wrong-secret"], ids=["missing", "empty", "wrong"])
def test_an_update_without_the_secret_is_refused_and_not_answered(chat, secret):
    assert chat.post(chat.message("what band is a PSO?"), secret=secret).status_code == 403
    assert chat.replies_so_far("Band 3") == []


def test_start_greets_and_help_explains(chat):
    chat.say("/start")
    [greeting] = chat.wait_for_reply("Hello")
    assert greeting["reply_markup"]["inline_keyboard"]
    chat.say("/help@CareersTestBot")
    chat.wait_for_reply("I can tell you what probation roles involve")


def test_a_button_press_is_acknowledged_and_answered(chat, channel_bot):
    chat.press(PSO_BAND, query_id=f"cq-{chat.chat_id}")
    chat.wait_for_reply("Band 3")
    [ack] = channel_bot.telegram.wait_for(
        "answerCallbackQuery", lambda c: c.params["callback_query_id"] == f"cq-{chat.chat_id}")
    assert "text" not in ack.params


def test_a_press_on_an_expired_long_payload_button_says_so(chat, channel_bot):
    chat.press("#" + "0" * 24, query_id=f"cq-expired-{chat.chat_id}")
    [ack] = channel_bot.telegram.wait_for(
        "answerCallbackQuery", lambda c: c.params["callback_query_id"] == f"cq-expired-{chat.chat_id}")
    assert "expired" in ack.params["text"]
    assert len(chat.replies_so_far()) == 1


def sticker_from(chat: TelegramChat) -> dict:
    update = chat.message("")
    del update["message"]["text"]
    update["message"]["sticker"] = {"file_id": "CAACAgIAAx", "width": 512, "height": 512}
    return update


def test_a_sticker_in_a_private_chat_is_told_to_type_and_one_in_a_group_is_left(chat):
    sticker = sticker_from(chat)
    assert chat.post(sticker).status_code == 200
    [note] = chat.wait_for_reply("I can only read typed messages")
    sticker["message"]["chat"] = {"id": chat.chat_id, "type": "group", "title": "Careers club"}
    assert chat.post(sticker).status_code == 200
    assert len(chat.replies_so_far("I can only read typed messages")) == 1


def test_a_flood_of_stickers_is_not_answered_note_for_note(chat):
    for _ in range(25):
        assert chat.post(sticker_from(chat)).status_code == 200
    chat.wait_for_reply("You're sending messages too quickly")
    notes = chat.replies("I can only read typed messages")
    assert 1 <= len(notes) < 25 // 2
    assert len(chat.replies("You're sending messages too quickly")) == 1


def test_an_update_delivered_again_is_answered_once(chat):
    # Telegram sends an update again, with the same id, when it did not see our answer to it
    update = {"update_id": next(_update_ids), **chat.message("what band is a PSO?")}
    for _ in range(3):
        assert chat.post(update).status_code == 200
    chat.wait_for_reply("Band 3")
    assert len(chat.replies_so_far("Band 3")) == 1


def test_long_payloads_travel_as_short_keys_and_come_back():
    keys = CallbackKeys()
    long = '/ask_question{"unit": "role-pay", "role": "pqip-trainee", "jurisdiction": "northern-ireland", "x": "y"}'
    key = keys.encode(long)
    assert len(key.encode()) <= 64 and keys.decode(key) == long
    assert keys.encode(PSO_BAND) == PSO_BAND and keys.decode(PSO_BAND) == PSO_BAND
    assert keys.decode("#unknown") is None


def test_the_bot_serves_rest_while_telegram_is_down_and_sets_the_webhook_when_it_is_up(tmp_path):
    port = free_port()                        # closed: nothing listens there yet
    env = {"TELEGRAM_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_BOT_USERNAME": "CareersTestBot",
           "TELEGRAM_WEBHOOK_URL": TELEGRAM_WEBHOOK_URL, "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
           "TELEGRAM_API_URL": f"http://127.0.0.1:{port}"}
    with running_bot(tmp_path, env) as running:
        url = running.url
        replies = requests.post(f"{url}/webhooks/rest/webhook",
                                json={"sender": "telegram-down", "message": "what band is a PSO?"},
                                timeout=30).json()
        assert "Band 3" in replies[0]["text"]
        assert requests.get(f"{url}/webhooks/telegram/", timeout=10).json() == {"status": "ok"}
        # The first attempt met a closed port when the server started; a call now is a retry,
        # one from each worker, and each worker stops retrying once its call has succeeded.
        telegram = TelegramApi(port).start()
        try:
            calls = telegram.wait_for("setWebhook", count=server_workers(), timeout=90)
            assert [c.params["secret_token"] for c in calls] == [TELEGRAM_SECRET] * server_workers()
            time.sleep(3)
            assert len(telegram.calls_to("setWebhook")) == server_workers()
        finally:
            telegram.stop()
