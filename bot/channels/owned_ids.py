"""Conversation ids that belong to their channel.

Rasa keeps every channel's conversations in one namespace of ids, and the REST channel lets the
caller choose its id: `"sender": "555000111"` continued the conversation of the Telegram user
whose chat id is 555000111, and read their answers. So the server, never the client, puts the
channel's name in front of every id it hands to Rasa (`telegram:555000111`, `slack:U123`,
`rest:555000111`, `socketio:...`), and output channels take it off again before they address the
person. A REST sender that already carries `rest:` stays as it is: REST callers choose their ids
in any case, and that way no id of one channel can be spelled from another."""

from __future__ import annotations


def owned(channel: str, given: object) -> str:
    """The conversation id Rasa sees for an id the channel was given."""
    text = str(given)
    prefix = f"{channel}:"
    return text if text.startswith(prefix) else prefix + text


def given(channel: str, conversation_id: str) -> str:
    """The channel's own id (a chat, a Slack channel or user) for a conversation id."""
    return conversation_id.removeprefix(f"{channel}:")
