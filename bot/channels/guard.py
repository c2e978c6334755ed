"""What every channel checks before Rasa sees a message, so that odd input gets a clear answer
instead of a crash, silence, or a wrong answer.

- Length: over MAX_MESSAGE_CHARS characters (default 2000) is answered with the limit and never
  reaches NLU, whose cost grows with the text.
- Cleaning: control characters become spaces, lone surrogates become U+FFFD (invalid UTF-8 already
  did, in `read_json`), invisible zero-width and bidi-control characters go, and NFKC folds
  look-alike forms (fullwidth "ＰＳＯ", mathematical letters) into the letters the NLU was
  trained on. A NUL also has to go before a PostgreSQL tracker store sees it: it refuses them.
- Empty: nothing readable left is answered with "please type a question". Rasa would answer an
  empty message with "OK. What else would you like to know?", which reads as if it understood.
- Button payloads ("/intent{json}") whose arguments do not read as flat values are answered
  rather than passed on: Rasa drops unreadable arguments with a warning and answers the intent
  for some other role, and a nested value crashes the action server.
- Rate: RATE_LIMIT_PER_MINUTE messages per sender (default 30) from a token bucket that holds a
  third of that as a burst, so a quick run of button presses is never refused. A REST or widget
  client chooses its sender ids, so those channels are also limited per client address:
  RATE_LIMIT_PER_ADDRESS_PER_MINUTE (default 600, for a whole office behind one address), the
  address read as bot/channels/client_address.py says (X-Forwarded-For only from
  TRUSTED_PROXIES). Slack and Telegram are not: every person's messages come from their servers,
  and the platforms vouch for the sender.
"""

from __future__ import annotations

import json
import math
import re
import time
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping, TypeGuard

from bot.channels.client_address import client_address, trusted_proxies
from bot.channels.owned_ids import owned
from bot.settings import MessageLimits, message_limits, worker_processes, worker_state_path

if TYPE_CHECKING:
    from bot.worker_state import SharedAllowances

DEFAULT_MAX_CHARS = MessageLimits.max_chars
DEFAULT_PER_MINUTE = MessageLimits.per_minute
DEFAULT_PER_ADDRESS_PER_MINUTE = MessageLimits.per_address_per_minute
# Requests and socket.io frames above this are refused before anyone reads them (bot/server.py);
# the longest message is 2000 characters of up to 4 bytes, so 64 KiB leaves room for any envelope.
MAX_REQUEST_BYTES = 64 * 1024
# The SQL tracker store keeps sender ids in a 255-character column.
MAX_SENDER_CHARS = 255
# Values in our own payloads are ids such as "pqip-trainee"; nothing longer is ours.
MAX_PAYLOAD_VALUE_CHARS = 100
EXAMPLE = "What band is a PSO?"

EMPTY, TOO_LONG, BAD_PAYLOAD, RATE_LIMITED = "empty", "too_long", "bad_payload", "rate_limited"

_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but tab and newline
_NOT_IN_IDS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Soft hyphen, zero-width space, word joiner, BOM, Hangul fillers, Braille blank, and the bidi
# embeddings, overrides and isolates. Zero-width (non-)joiners and LRM/RLM stay: emoji sequences
# and Persian or Hebrew text need them.
_INVISIBLE = re.compile(
    "[\u00ad\u115f\u1160\u200b\u2060\u202a-\u202e\u2066-\u2069\u2800\u3164\ufeff\uffa0]"
)
_PAYLOAD = re.compile(r"/[A-Za-z_][\w-]*(?P<arguments>[@{\[].*)?\Z", re.S)
_CONFIDENCE = re.compile(r"@(?:0(?:\.\d+)?|1(?:\.0+)?|\.\d+)")


def clean(text: str) -> str:
    text = _SURROGATES.sub("\ufffd", text)
    text = _CONTROLS.sub(" ", text)
    text = _INVISIBLE.sub("", text)
    return unicodedata.normalize("NFKC", text).strip()


def readable(text: str) -> bool:
    return any(not ch.isspace() and ch != "\ufffd" for ch in text)


def payload_unreadable(text: str) -> bool:
    """True for "/intent" followed by arguments that are not what Rasa can use: an optional
    confidence in [0, 1], then a JSON object of short strings or numbers."""
    match = _PAYLOAD.match(text)
    if not match or not match.group("arguments"):
        return False  # plain "/intent", or words after a slash: Rasa and NLU read those
    arguments = match.group("arguments")
    confidence = _CONFIDENCE.match(arguments)
    if confidence:
        arguments = arguments[confidence.end() :]
    if not arguments:
        return False
    try:
        values = json.loads(arguments)
    except (ValueError, RecursionError):
        return True
    return not isinstance(values, dict) or not all(_flat(v) for v in values.values())


def _flat(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= MAX_PAYLOAD_VALUE_CHARS
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Verdict:
    text: str | None = None  # the cleaned message to hand on; None when refused
    reason: str | None = None
    reply: str = ""  # what to tell the person instead; empty when accepted
    quiet: bool = False  # they were told already (a flood gets one "slow down")
    retry_after: int = 0  # seconds, for a rate-limited request

    @property
    def accepted(self) -> bool:
        return self.text is not None


class RateLimiter:
    """A token bucket per sender, in memory in this process. That is enough for one process per
    server, because the load balancer sends every message of a conversation to the same replica
    (affinity by sender), so a sender's messages all meet one bucket; a restart forgets the
    buckets, which only forgives. A server with several worker processes shares its buckets
    between them instead (`bot.worker_state.SharedAllowances`)."""

    def __init__(
        self,
        per_minute: int,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_senders: int = 100_000,
    ):
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.capacity = float(burst or max(1, per_minute // 3))
        self.clock, self.max_senders = clock, max_senders
        self._buckets: OrderedDict[str, list] = OrderedDict()  # key -> [tokens, at, told]

    def take(self, key: str) -> tuple[bool, bool, int]:
        """(allowed, already told, seconds until the next message would be allowed)."""
        now = self.clock()
        tokens, at, told = self._buckets.pop(key, (self.capacity, now, False))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        if tokens >= 1:
            self._buckets[key] = [tokens - 1, now, False]
            allowed, wait = True, 0
        else:
            self._buckets[key] = [tokens, now, True]
            allowed, wait = False, math.ceil((1 - tokens) / self.rate)
        self._forget_idle(now)
        return allowed, told, wait

    def _forget_idle(self, now: float) -> None:
        # Oldest first; a bucket idle long enough to be full again is the same as no bucket.
        refill = self.capacity / self.rate
        while self._buckets:
            key, (_, at, _) = next(iter(self._buckets.items()))
            if len(self._buckets) <= self.max_senders and now - at < refill:
                break
            del self._buckets[key]


class MessageGuard:
    def __init__(
        self,
        max_chars: int = DEFAULT_MAX_CHARS,
        per_minute: int = DEFAULT_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
        per_address_per_minute: int = DEFAULT_PER_ADDRESS_PER_MINUTE,
        proxies: str | None = None,
    ):
        self.max_chars = max_chars
        # With several worker processes, allowances the workers share (`from_env`).
        self.limiter: RateLimiter | SharedAllowances = RateLimiter(per_minute, clock=clock)
        self.address_limiter: RateLimiter | SharedAllowances = RateLimiter(
            per_address_per_minute, clock=clock
        )
        self.proxies = trusted_proxies(proxies)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "MessageGuard":
        """The guard the settings describe (bot/settings.py: `message_limits`)."""
        limits = message_limits(env)
        guard = cls(
            limits.max_chars,
            limits.per_minute,
            per_address_per_minute=limits.per_address_per_minute,
            proxies=limits.trusted_proxies,
        )
        if worker_processes(env) > 1:
            from bot.worker_state import SharedAllowances

            path = worker_state_path(env)
            guard.limiter = SharedAllowances(guard.limiter.per_minute, path=path)
            guard.address_limiter = SharedAllowances(guard.address_limiter.per_minute, path=path)
        return guard

    def address(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client's address for a connection from `peer` (see client_address.py)."""
        return client_address(peer or "", forwarded_for, self.proxies)

    def check(
        self, channel: str, sender: str | None, text: str | None, address: str | None = None
    ) -> Verdict:
        """`address`: the client's, for the channels whose clients choose their sender ids."""
        if address is not None:
            allowed, told, wait = self.address_limiter.take(f"address:{address}")
            if not allowed:
                return Verdict(
                    reason=RATE_LIMITED,
                    reply=self.slow_down_address(),
                    quiet=told,
                    retry_after=wait,
                )
        allowed, told, wait = self.limiter.take(owned(channel, sender))
        if not allowed:
            return Verdict(
                reason=RATE_LIMITED, reply=self.slow_down(), quiet=told, retry_after=wait
            )
        # Stripped first, as Rasa strips every message: padding costs nothing to read.
        raw = text.strip() if isinstance(text, str) else ""
        if len(raw) > self.max_chars:  # before cleaning: no work spent on a huge text
            return Verdict(reason=TOO_LONG, reply=self.too_long(len(raw)))
        cleaned = clean(raw)
        if not readable(cleaned):
            return Verdict(reason=EMPTY, reply=self.empty())
        if len(cleaned) > self.max_chars:  # NFKC can lengthen a few characters
            return Verdict(reason=TOO_LONG, reply=self.too_long(len(cleaned)))
        if payload_unreadable(cleaned):
            return Verdict(reason=BAD_PAYLOAD, reply=self.bad_payload())
        return Verdict(text=cleaned)

    def wrap(
        self, channel: str, on_new_message: Callable[[Any], Awaitable[Any]]
    ) -> Callable[..., Awaitable[Any]]:
        """For channels that answer through their output channel (socket.io, Slack, Telegram):
        a refused message is answered there, in the conversation, and Rasa never sees it."""

        async def guarded(message: Any, address: str | None = None) -> Any:
            verdict = self.check(channel, message.sender_id, message.text, address)
            if verdict.accepted:
                message.text = verdict.text
                return await on_new_message(message)
            if not verdict.quiet and message.output_channel is not None:
                await message.output_channel.send_text_message(message.sender_id, verdict.reply)
            return None

        return guarded

    def too_long(self, length: int) -> str:
        return (
            f"That message is too long for me: I can read up to {self.max_chars:,} characters "
            f"at a time, and it has {length:,}. Please shorten it, or ask one question at a time."
        )

    @staticmethod
    def empty() -> str:
        return f"I didn't find any words in that message. Please type a question, for example: {EXAMPLE}"

    @staticmethod
    def bad_payload() -> str:
        return (
            "I couldn't read that button, so I haven't acted on it. Please type your question "
            f"instead, for example: {EXAMPLE}"
        )

    def slow_down(self) -> str:
        return (
            f"You're sending messages too quickly: I can take up to {self.limiter.per_minute} a "
            "minute from one person. Please wait a few seconds, then ask again."
        )

    def slow_down_address(self) -> str:
        return (
            f"Too many messages are coming from your network address: I can take up to "
            f"{self.address_limiter.per_minute} a minute from one address. Please wait a few "
            "seconds, then ask again."
        )


class RecentKeys:
    """Keys of requests already taken (Slack's signatures and event ids, Telegram's update ids),
    so a platform's retry or a replay is handled once. A retry may reach another worker, so with
    several workers the keys are claimed in the shared worker-state file."""

    def __init__(self, size: int = 5000) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._shared = None
        if worker_processes() > 1:
            from bot.worker_state import SeenKeys

            self._shared = SeenKeys()

    def first_sight(self, key: str | None) -> bool:
        """Whether `key` is new; a request without one cannot be recognised again, so is new."""
        if not key:
            return True
        if self._shared is not None:
            return self._shared.first_sight(key)
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True


@lru_cache(maxsize=1)
def default_guard() -> MessageGuard:
    """One guard per server process, shared by its channels (their senders are kept apart)."""
    return MessageGuard.from_env()


def read_json(body: bytes) -> tuple[Any, str | None]:
    """A request body as JSON, or why it is not. Invalid UTF-8 becomes U+FFFD instead of a
    refusal: the person meant the rest of their message."""
    text = body.decode("utf-8", errors="replace").lstrip("\ufeff")
    if not text.strip():
        return None, "the request body is empty"
    try:
        return json.loads(text), None
    except RecursionError:
        return None, "the request body is nested too deeply to read"
    except json.JSONDecodeError as error:
        return None, f"the request body is not valid JSON ({error.msg} at character {error.pos})"
    except ValueError:
        return None, "the request body is not valid JSON (a number in it is too long)"


def printable_id(value: Any) -> TypeGuard[str]:
    """Sender and session ids: short strings with nothing a log, URL or SQL store chokes on."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_SENDER_CHARS
        and not _NOT_IN_IDS.search(value)
    )
