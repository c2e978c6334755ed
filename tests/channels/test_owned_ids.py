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


# how to start a conversation on each channel, and the id the channel itself knows it by
PEOPLE = {"telegram": (TelegramChat, lambda chat: chat.chat_id),
          "slack": (SlackUser, lambda person: person.user)}


@pytest.mark.parametrize("channel, spelled", [("telegram", "{id}"), ("telegram", "telegram:{id}"),
                                              ("slack", "{id}"), ("slack", "slack:{id}")])
def test_rest_cannot_continue_another_channels_conversation(channel_bot, channel, spelled):
    start, own_id = PEOPLE[channel]
    person = start(channel_bot)
    person.say("what band is a PSO?")
    person.wait_for_reply("Band 3")
    # a fresh conversation takes "they" for probation officers; the person's is about the PSO
    intruder = rest_says(channel_bot, spelled.format(id=own_id(person)), FOLLOW_UP)
    assert "PSO" not in intruder and "Band 3" not in intruder
    assert "probation officer" in intruder.lower()
    person.say(FOLLOW_UP)
    [pay] = person.wait_for_reply("£")
    assert "PSO" in pay["text"]                      # the person kept their own context
