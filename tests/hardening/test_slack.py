"""The bad-input corpus through the Slack channel: signed messages and button presses with bad
content are answered clearly in Slack, forged requests are refused with a 401 that says why and
are never answered, signed requests of shapes Slack does not send get a 400, and a conversation
the bad input was mixed into keeps its context."""
from __future__ import annotations

import time
from urllib.parse import urlencode

import requests

from bot.channels.owned_ids import owned
from tests.hardening.corpus import (PSO_BAND, problem, raw_bytes, requests_for, status_problem,
                                    tried)
from tests.hardening.people import (SlackPerson, as_bytes, sign, wait_for_replies,
                                    wait_for_reply_containing)
from tests.hardening.webhook_corpus import lost_context, unclear_answers

MARKUP = ("<script", "<img", "<iframe", "<svg")


def test_every_bad_message_is_answered_clearly_in_slack(hardened_bot):
    failures = unclear_answers(hardened_bot, "slack", lambda: SlackPerson(hardened_bot), markup_problem)
    assert hardened_bot.alive(), "a server stopped"
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)


def markup_problem(item, replies: list[str]) -> str | None:
    # Slack reads <...> as links and mentions: nothing from the person may come back unescaped.
    if item.category == "html_injection" and any(tag in r for r in replies for tag in MARKUP):
        return f"markup came back unescaped: {replies!r}"
    return None


def test_a_slack_conversation_keeps_its_context_through_the_bad_input(hardened_bot):
    person = SlackPerson(hardened_bot)
    failures = lost_context(hardened_bot, "slack", person, owned("slack", person.user))
    assert not failures, "\n".join(failures)


def forge(person: SlackPerson, how: str) -> requests.Response:
    """Sends one request forged `how`."""
    body, now = as_bytes(person.event(PSO_BAND)), int(time.time())
    real = sign(body)
    headers = {
        "unsigned": {},
        "wrong_secret": sign(body, secret="not-the-signing-secret"),
        "stale": sign(body, timestamp=now - 6 * 60),
        "future": sign(body, timestamp=now + 10 * 60),
        "timestamp_not_a_number": sign(body, timestamp="now"),
        "no_timestamp": {"X-Slack-Signature": real["X-Slack-Signature"]},
        "empty_signature": {**real, "X-Slack-Signature": ""},
        "v1_prefix": {**real, "X-Slack-Signature": real["X-Slack-Signature"].replace("v0=", "v1=")},
        "truncated": {**real, "X-Slack-Signature": real["X-Slack-Signature"][:-4]},
        "uppercase_digest": {**real, "X-Slack-Signature": "v0=" + real["X-Slack-Signature"][3:].upper()},
        "other_body": sign(as_bytes(person.event("hello"))),
    }
    if how == "replay":
        first = person.post(body, real)
        assert first.status_code == 200, first.text
        return person.post(body, real)
    return person.post(body, headers[how])


def test_forged_and_malformed_requests_are_refused_with_a_reason(hardened_bot):
    forged_at, failures = SlackPerson(hardened_bot), []
    for category, expect, kind, value in requests_for("slack"):
        tried("slack", category)
        person = SlackPerson(hardened_bot)
        if kind == "signing":
            response = forge(forged_at if value != "replay" else person, value)
        elif kind == "bodies":
            response = person.post_signed(value.encode())
        elif kind == "interaction_payloads":
            response = person.post_signed(urlencode({"payload": value}).encode(),
                                          "application/x-www-form-urlencoded")
        elif kind == "message_bytes":
            response = person.post_signed(person.event_bytes(raw_bytes(value)))
            if response.status_code == 200:
                wait_for_replies([person], timeout=60)
                failure = problem(expect, person.replies())
                failures += [f"{category} {value!r}: {failure}"] if failure else []
                continue
        else:
            raise AssertionError(f"unknown kind of request input: {kind}")
        failure = status_problem(expect, response)
        if failure:
            failures.append(f"{category} {kind} {str(value)[:80]!r}: {failure}")
    # The person every forgery claimed to be is answered only when they really write.
    forged_at.send("hello")
    greeted = wait_for_reply_containing(forged_at, "Hello", timeout=60)
    if not greeted or len(forged_at.replies()) != 1:
        failures.append(f"a forged request was answered: {forged_at.replies()!r}")
    assert hardened_bot.alive(), "a server stopped"
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
