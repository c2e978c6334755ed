"""The bad-input corpus through the Telegram channel: messages and button presses with bad content
are answered clearly in the chat, updates without the secret are refused with a 403 that says why
and never answered, updates of shapes Telegram does not send get a 400, and a chat the bad input
was mixed into keeps its context."""
from __future__ import annotations

from tests.hardening.corpus import (FOLLOW_UP, PSO_BAND, follow_up_problem, messages, problem,
                                    raw_bytes, requests_for, status_problem, tracker_problems, tried)
from tests.hardening.people import (TelegramChat, as_bytes, say_in_turn, wait_for_replies,
                                    wait_for_reply_containing)

MARKUP = ("<script", "<img", "<iframe", "<svg", "<b>", "<a ")


def test_every_bad_message_is_answered_clearly_in_telegram(hardened_bot):
    """Each input in a chat of its own, so that every reply can be told apart; all are sent before
    any reply is awaited, which the bot handles side by side."""
    sent, failures = [], []
    for item in messages("telegram"):
        chat = TelegramChat(hardened_bot)
        response = chat.send(item.value, item.via_button)
        tried("telegram", item.category)
        if item.expect.isdigit():
            failure = status_problem(item.expect, response)
            if failure:
                failures.append(f"{item!r}: {failure}")
        elif response.status_code != 200:
            failures.append(f"{item!r}: the webhook answered {response.status_code} {response.text[:200]!r}")
        else:
            sent.append((item, chat))
    wait_for_replies([chat for _, chat in sent])
    for item, chat in sent:
        replies = chat.replies()
        failure = problem(item, replies) or markup_problem(item, replies)
        if failure:
            failures.append(f"{item!r}: {failure}")
    assert hardened_bot.alive(), "a server stopped"
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)


def markup_problem(item, replies: list[str]) -> str | None:
    # Replies are sent as Telegram HTML: markup from the person must come back escaped, if at all.
    if item.category == "html_injection" and any(tag in r for r in replies for tag in MARKUP):
        return f"markup came back unescaped: {replies!r}"
    return None


def test_a_telegram_chat_keeps_its_context_through_the_bad_input(hardened_bot):
    chat = TelegramChat(hardened_bot)
    chat.send(PSO_BAND)
    assert wait_for_reply_containing(chat, "Band 3"), "the first question was not answered"
    mixed_in = [item for item in messages("telegram") if not item.changes_context]
    for item in mixed_in:
        say_in_turn(chat, item.value, item.via_button, answered=not item.expect.isdigit())
    chat.send(FOLLOW_UP)
    answer = wait_for_reply_containing(chat, "£")
    failures = list(filter(None, [follow_up_problem(answer or "no answer")]))
    accepted = sum(item.expect == "answer" for item in mixed_in)
    failures += tracker_problems(hardened_bot.tracker(str(chat.chat_id)), expected_messages=accepted + 2)
    assert not failures, "\n".join(failures)


def test_forged_and_malformed_updates_are_refused_with_a_reason(hardened_bot):
    forged_at, failures = TelegramChat(hardened_bot), []
    for category, expect, kind, value in requests_for("telegram"):
        tried("telegram", category)
        chat = TelegramChat(hardened_bot)
        if kind == "secrets":
            response = forged_at.post(as_bytes(forged_at.message(PSO_BAND)), secret=value)
        elif kind == "bodies":
            response = chat.post(value.encode())
        elif kind == "message_bytes":
            body = as_bytes(chat.message("@@TEXT@@")).replace(b"@@TEXT@@", raw_bytes(value))
            response = chat.post(body)
            if response.status_code == 200:
                wait_for_replies([chat], timeout=60)
                failure = problem(expect, chat.replies())
                failures += [f"{category} {value!r}: {failure}"] if failure else []
                continue
        else:
            raise AssertionError(f"unknown kind of request input: {kind}")
        failure = status_problem(expect, response)
        if failure:
            failures.append(f"{category} {kind} {str(value)[:80]!r}: {failure}")
    # The chat every forgery claimed to come from is answered only when it really writes.
    forged_at.send("/start")
    greeted = wait_for_reply_containing(forged_at, "Hello", timeout=60)
    if not greeted or len(forged_at.replies()) != 1:
        failures.append(f"a forged update was answered: {forged_at.replies()!r}")
    assert hardened_bot.alive(), "a server stopped"
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
