"""The bad-input corpus through the Telegram channel: messages and button presses with bad content
are answered clearly in the chat, updates without the secret are refused with a 403 that says why
and never answered, updates of shapes Telegram does not send get a 400, and a chat the bad input
was mixed into keeps its context."""
from __future__ import annotations

from bot.channels.owned_ids import owned
from tests.hardening.corpus import (PSO_BAND, problem, raw_bytes, requests_for, status_problem,
                                    tried)
from tests.hardening.people import (TelegramChat, as_bytes, wait_for_replies,
                                    wait_for_reply_containing)
from tests.hardening.webhook_corpus import lost_context, unclear_answers

MARKUP = ("<script", "<img", "<iframe", "<svg", "<b>", "<a ")


def test_every_bad_message_is_answered_clearly_in_telegram(hardened_bot):
    failures = unclear_answers(hardened_bot, "telegram", lambda: TelegramChat(hardened_bot), markup_problem)
    assert hardened_bot.alive(), "a server stopped"
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)


def markup_problem(item, replies: list[str]) -> str | None:
    # Replies are sent as Telegram HTML: markup from the person must come back escaped, if at all.
    if item.category == "html_injection" and any(tag in r for r in replies for tag in MARKUP):
        return f"markup came back unescaped: {replies!r}"
    return None


def test_a_telegram_chat_keeps_its_context_through_the_bad_input(hardened_bot):
    chat = TelegramChat(hardened_bot)
    failures = lost_context(hardened_bot, "telegram", chat, owned("telegram", chat.chat_id))
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
