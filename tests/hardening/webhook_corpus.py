"""The corpus through a webhook channel (Slack, Telegram), where replies come back through the
channel's API stand-in: the two checks both channels make, each given who speaks there."""
from __future__ import annotations

from typing import Callable

from tests.hardening.corpus import (FOLLOW_UP, PSO_BAND, follow_up_problem, messages, problem,
                                    status_problem, tracker_problems, tried)
from tests.hardening.people import say_in_turn, wait_for_replies, wait_for_reply_containing

MarkupProblem = Callable[[object, list[str]], "str | None"]


def unclear_answers(bot, channel: str, newcomer: Callable[[], object],
                    markup_problem: MarkupProblem) -> list[str]:
    """Each bad message from a newcomer of its own, so that every reply can be told apart; all
    are sent before any reply is awaited, which the bot handles side by side."""
    sent, failures = [], []
    for item in messages(channel):
        person = newcomer()
        response = person.send(item.value, item.via_button)
        tried(channel, item.category)
        if item.expect.isdigit():
            failure = status_problem(item.expect, response)
            if failure:
                failures.append(f"{item!r}: {failure}")
        elif response.status_code != 200:
            failures.append(f"{item!r}: the webhook answered {response.status_code} {response.text[:200]!r}")
        else:
            sent.append((item, person))
    wait_for_replies([person for _, person in sent])
    for item, person in sent:
        replies = person.replies()
        failure = problem(item, replies) or markup_problem(item, replies)
        if failure:
            failures.append(f"{item!r}: {failure}")
    return failures


def lost_context(bot, channel: str, person, conversation_id: str) -> list[str]:
    """A question, every bad message that leaves the context alone, then a follow-up: the
    follow-up is still about the first question, and the tracker holds only what was let in."""
    person.send(PSO_BAND)
    if not wait_for_reply_containing(person, "Band 3"):
        return ["the first question was not answered"]
    mixed_in = [item for item in messages(channel) if not item.changes_context]
    for item in mixed_in:
        say_in_turn(person, item.value, item.via_button, answered=not item.expect.isdigit())
    person.send(FOLLOW_UP)
    answer = wait_for_reply_containing(person, "£")
    failures = list(filter(None, [follow_up_problem(answer or "no answer")]))
    accepted = sum(item.expect == "answer" for item in mixed_in)
    return failures + tracker_problems(bot.tracker(conversation_id), expected_messages=accepted + 2)
