"""The message guard on its own, with a clock the test moves: the token bucket's burst, refill,
one "slow down" per flood and its memory bound; what cleaning keeps and drops; which button
payloads it refuses; its settings; and the launcher's handling of RASA_TOKEN."""
from __future__ import annotations

import pytest

from bot import cli
from bot.channels.guard import (BAD_PAYLOAD, EMPTY, RATE_LIMITED, TOO_LONG, MessageGuard,
                                RateLimiter, clean, payload_unreadable, printable_id, read_json)
from bot.server import _api_token


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_sender_gets_a_burst_of_a_third_of_the_minute_then_one_message_every_two_seconds():
    clock = Clock()
    limiter = RateLimiter(30, clock=clock)
    assert [limiter.take("a")[0] for _ in range(10)] == [True] * 10
    allowed, told, wait = limiter.take("a")
    assert not allowed and not told and wait == 2
    clock.now += 1.9
    assert not limiter.take("a")[0]
    clock.now += 0.2
    assert limiter.take("a")[0]
    assert limiter.take("b")[0], "another sender has a bucket of their own"


def test_the_address_is_the_peer_unless_the_peer_is_a_trusted_proxy():
    guard = MessageGuard(proxies="10.0.0.0/8, 127.0.0.1")
    assert guard.address("203.0.113.7", "198.51.100.1") == "203.0.113.7"      # not a proxy
    assert guard.address("127.0.0.1", None) == "127.0.0.1"
    assert guard.address("127.0.0.1", "203.0.113.7") == "203.0.113.7"
    # the right-most entry that is not a trusted proxy; what the client wrote further left is not
    assert guard.address("127.0.0.1", "198.51.100.1, 203.0.113.7, 10.1.2.3") == "203.0.113.7"
    assert MessageGuard().address("127.0.0.1", "203.0.113.7") == "127.0.0.1"   # none trusted
    with pytest.raises(SystemExit, match="TRUSTED_PROXIES: 'nginx'"):
        MessageGuard.from_env({"TRUSTED_PROXIES": "nginx"})


def test_rotating_sender_ids_meet_the_limit_of_their_address():
    guard = MessageGuard(per_minute=30, per_address_per_minute=6, clock=Clock())
    verdicts = [guard.check("rest", f"sender-{n}", "hello", "203.0.113.7") for n in range(3)]
    assert [v.reason for v in verdicts] == [None, None, RATE_LIMITED]
    assert "from your network address" in verdicts[2].reply and "6 a minute" in verdicts[2].reply
    assert guard.check("rest", "sender-9", "hello", "203.0.113.8").accepted
    assert guard.check("slack", "U1", "hello").accepted, "Slack and Telegram pass no address"


def test_a_flood_is_told_to_slow_down_once_until_it_is_let_through_again():
    clock = Clock()
    guard = MessageGuard(per_minute=6, clock=clock)
    verdicts = [guard.check("rest", "a", "hello") for _ in range(5)]
    assert [v.reason for v in verdicts] == [None, None, RATE_LIMITED, RATE_LIMITED, RATE_LIMITED]
    assert [v.quiet for v in verdicts[2:]] == [False, True, True]
    assert "6 a minute" in verdicts[2].reply and verdicts[2].retry_after == 10
    clock.now += 10
    assert guard.check("rest", "a", "hello").accepted
    assert not guard.check("rest", "a", "hello").quiet, "a new flood is told again"


def test_idle_senders_are_forgotten_and_the_number_kept_is_bounded():
    clock = Clock()
    limiter = RateLimiter(30, clock=clock, max_senders=3)
    for sender in "abcd":
        limiter.take(sender)
    assert len(limiter._buckets) == 3
    clock.now += 20                     # a bucket of 10 refills at 0.5 a second
    limiter.take("e")
    assert list(limiter._buckets) == ["e"]


@pytest.mark.parametrize("given, kept", [
    ("what band is a PSO?\x00", "what band is a PSO?"),
    ("what\x00band\x1b[0mis", "what band [0mis"),
    ("what band is a P\u200bS\u00adO?", "what band is a PSO?"),
    ("ｗｈａｔ ＰＳＯ？", "what PSO?"),
    ("\U0001D430\U0001D421\U0001D41A\U0001D42D", "what"),
    ("\u202eevil\u202c", "evil"),
    ("a\ud800b", "a\ufffdb"),
    ("\U0001F468\u200D\U0001F469\u200D\U0001F467", "\U0001F468\u200D\U0001F469\u200D\U0001F467"),
    ("\u0645\u0631\u062d\u0628\u0627 \u200f", "\u0645\u0631\u062d\u0628\u0627 \u200f"),
    ("line one\nline two\ttab", "line one\nline two\ttab"),
])
def test_cleaning_drops_what_cannot_be_read_and_keeps_what_carries_meaning(given, kept):
    assert clean(given) == kept


@pytest.mark.parametrize("text", ["", "   ", "\u200b\u2060", "\x00\x01", "\ud800", "\ufffd \ufffd"])
def test_a_message_with_nothing_readable_is_asked_for_a_question(text):
    verdict = MessageGuard(per_minute=1000).check("rest", "a", text)
    assert verdict.reason == EMPTY and "type a question" in verdict.reply


def test_the_size_limit_counts_characters_after_stripping():
    guard = MessageGuard(max_chars=10, per_minute=1000)
    assert guard.check("rest", "a", "x" * 10).accepted
    assert guard.check("rest", "a", "  " + "x" * 10 + "\n\n").accepted
    refused = guard.check("rest", "a", "é" * 11)
    assert refused.reason == TOO_LONG and "up to 10 characters" in refused.reply and "has 11" in refused.reply


@pytest.mark.parametrize("payload", [
    '/ask_band{"role": ', '/ask_band{"role": {"a": 1}}', '/ask_band{"role": ["pso"]}',
    '/ask_band{"role": null}', '/ask_band{"role": true}', '/ask_band{"role": NaN}', '/ask_band[1]',
    '/ask_band@abc', '/ask_band@1.5', '/ask_band{"role": "pso"}x', '/ask_band{"role": "' + "x" * 101 + '"}',
])
def test_payloads_rasa_would_misread_are_refused(payload):
    assert payload_unreadable(payload)
    assert MessageGuard(per_minute=1000).check("rest", "a", payload).reason == BAD_PAYLOAD


@pytest.mark.parametrize("text", [
    '/ask_band{"role": "pso"}', '/ask_band', '/inform{"age": 19}', '/ask_band@0.9{"role": "po"}',
    "/etc/passwd", "/pay me more", "//", "what band is a PSO?",
])
def test_our_payloads_and_ordinary_text_pass(text):
    assert not payload_unreadable(text)


def test_request_bodies_are_read_leniently_but_never_crash():
    assert read_json(b'{"message": "hi \xff"}') == ({"message": "hi \ufffd"}, None)
    assert read_json(b'\xef\xbb\xbf{"a": 1}') == ({"a": 1}, None)
    for body in (b"", b"  ", b"{", b"[" * 100_000, b'{"a": ' + b"1" * 5000 + b"}"):
        value, problem = read_json(body)
        assert value is None and problem.startswith("the request body")


def test_ids_are_short_printable_strings():
    assert printable_id("hardening-1") and printable_id("x" * 255)
    for bad in ("", "x" * 256, "a\nb", "a\x00b", "\ud800", 5, None, ["a"]):
        assert not printable_id(bad)


def test_settings_come_from_the_environment_and_bad_values_stop_the_start():
    assert MessageGuard.from_env({}).max_chars == 2000
    assert MessageGuard.from_env({}).limiter.per_minute == 30
    guard = MessageGuard.from_env({"MAX_MESSAGE_CHARS": "500", "RATE_LIMIT_PER_MINUTE": "90"})
    assert guard.max_chars == 500 and guard.limiter.capacity == 30
    for bad in ({"MAX_MESSAGE_CHARS": "lots"}, {"RATE_LIMIT_PER_MINUTE": "0"}):
        with pytest.raises(SystemExit, match="MAX_MESSAGE_CHARS|RATE_LIMIT_PER_MINUTE"):
            MessageGuard.from_env(bad)


def test_the_api_is_asked_for_only_with_a_token_and_the_token_stays_off_the_command_line():
    assert cli.rasa_api_args({}) == () and cli.rasa_api_args({"RASA_TOKEN": ""}) == ()
    assert cli.rasa_api_args({"RASA_TOKEN": "t0k"}) == ("--enable-api",)
    argv = ["bot.server", "run", "--enable-api"]
    _api_token(argv, {"RASA_TOKEN": "t0k"})
    assert argv[-2:] == ["--auth-token", "t0k"]
    with pytest.raises(SystemExit, match="RASA_TOKEN"):
        _api_token(["bot.server", "run", "--enable-api"], {})
    untouched = ["bot.server", "run"]
    _api_token(untouched, {"RASA_TOKEN": "t0k"})
    assert untouched == ["bot.server", "run"]
