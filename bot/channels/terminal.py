"""Chat with the bot in a terminal over its REST channel.

    python -m bot.channels.terminal [--url URL]

The bot's suggestions are listed as numbered options; typing the number sends that suggestion's
payload, anything else is sent as typed. /quit or Ctrl-D ends the chat.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from typing import Callable

import requests

from bot import settings
from bot.channels.route_text import timeline_text

try:
    import readline  # noqa: F401  -- loading it gives input() line editing and history
except ImportError:
    pass

QUIT = {"/quit", "/exit"}
TIMEOUT_SECONDS = 60


def default_url() -> str:
    return f"http://127.0.0.1:{settings.load().bot_port}/webhooks/rest/webhook"


class RestChat:
    """One person's conversation: a random sender id, so each run starts afresh."""

    def __init__(self, url: str):
        self.url = url
        self.sender = f"terminal-{uuid.uuid4().hex[:12]}"

    def say(self, message: str) -> list[dict]:
        response = requests.post(
            self.url, json={"sender": self.sender, "message": message}, timeout=TIMEOUT_SECONDS
        )
        refusal = _refusal(response)
        if refusal:
            return [{"text": refusal}]
        response.raise_for_status()
        return response.json()


def _refusal(response: requests.Response) -> str | None:
    """The server's explanation of a 4xx ("slow down", "too large"), said to the person as the
    bot's reply rather than as an HTTP error."""
    if not 400 <= response.status_code < 500:
        return None
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    return error if isinstance(error, str) else None


def show(replies: list[dict], write: Callable[[str], None]) -> list[dict]:
    """Prints the replies and returns the suggestions of the last one that had any."""
    options: list[dict] = []
    for reply in replies:
        if reply.get("text"):
            write(f"Bot: {reply['text']}")
        route = timeline_text(reply.get("answer"))
        if route:
            write(f"     {route}")
        if reply.get("buttons"):
            options = [b for b in reply["buttons"] if b.get("title") and b.get("payload")]
    for number, option in enumerate(options, 1):
        write(f"  {number}) {option['title']}")
    return options


def chat(url: str, read: Callable[[str], str] = input, write: Callable[[str], None] = print) -> int:
    conversation = RestChat(url)
    write("Ask about working in probation. Type a number to pick a suggestion; /quit to leave.")
    options: list[dict] = []
    while True:
        try:
            line = read("You: ").strip()
        except (EOFError, KeyboardInterrupt):
            write("")
            return 0
        if not line:
            continue
        if line.lower() in QUIT:
            return 0
        message = line
        if line.isdigit() and 1 <= int(line) <= len(options):
            chosen = options[int(line) - 1]
            write(f"  ({chosen['title']})")
            message = chosen["payload"]
        try:
            options = show(conversation.say(message), write)
        except requests.ConnectionError:
            write(
                f"Can't reach the bot at {url}. Is it running? Start it with `make run`, "
                f"then ask again (or /quit)."
            )
        except requests.RequestException as error:
            write(f"The bot did not answer ({error}). Try again, or /quit.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.channels.terminal",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--url",
        default=None,
        help="the REST webhook (default: http://127.0.0.1:$BOT_PORT/webhooks/rest/webhook)",
    )
    args = parser.parse_args(argv)
    return chat(args.url or default_url())


if __name__ == "__main__":
    sys.exit(main())
