"""No channel can read or continue another channel's conversation: a REST caller who sends a
Telegram chat id or a Slack user id as its sender, with or without the other channel's name in
front, gets a conversation of its own, and the person on Telegram or Slack keeps theirs."""
from __future__ import annotations

import pytest
import requests

from tests.channels.test_slack import SlackUser
from tests.channels.test_telegram import TelegramChat

FOLLOW_UP = "and how much do they earn?"


def rest_says(bot, sender: str, text: str) -> str:
    reply = requests.post(f"{bot.url}/webhooks/rest/webhook", timeout=60,
                          json={"sender": sender, "message": text})
    assert reply.status_code == 200, reply.text
    assert all(message["recipient_id"] == sender for message in reply.json())
    return " ".join(message.get("text") or "" for message in reply.json())


@pytest.mark.parametrize("spelled", ["{id}", "telegram:{id}"])
def test_rest_cannot_continue_a_telegram_chat(channel_bot, spelled):
    chat = TelegramChat(channel_bot)
    chat.say("what band is a PSO?")
    chat.wait_for_reply("Band 3")
    # a fresh conversation takes "they" for probation officers; the chat's is about the PSO
    intruder = rest_says(channel_bot, spelled.format(id=chat.chat_id), FOLLOW_UP)
    assert "PSO" not in intruder and "Band 3" not in intruder
    assert "probation officer" in intruder.lower()
    chat.say(FOLLOW_UP)
    [pay] = chat.wait_for_reply("£")
    assert "PSO" in pay["text"]                      # the chat kept its own context
    assert not chat.replies("probation officer (PO) earns")


@pytest.mark.parametrize("spelled", ["{id}", "slack:{id}"])
def test_rest_cannot_continue_a_slack_conversation(channel_bot, spelled):
    person = SlackUser(channel_bot)
    person.say("what band is a PSO?")
    person.wait_for_reply("Band 3")
    intruder = rest_says(channel_bot, spelled.format(id=person.user), FOLLOW_UP)
    assert "PSO" not in intruder and "Band 3" not in intruder
    person.say(FOLLOW_UP)
    [pay] = person.wait_for_reply("£")
    assert "PSO" in pay["text"]
