"""Telegram: answers with their source in italics and suggestions as an inline keyboard, /start and
/help, and updates accepted only with the secret token Telegram was given in setWebhook. Every
message passes the guard (bot/channels/guard.py); an update of a shape Telegram does not send gets
a 400 with a JSON {"error"} rather than a 500.

The Bot API is called directly (POST {base}/bot{token}/{method}, JSON) so that TELEGRAM_API_URL
can point it elsewhere. setWebhook runs in the background and keeps retrying: Telegram being
unreachable must not stop the server, whose other channels work without it. Settings come from the
environment (TELEGRAM_TOKEN, TELEGRAM_BOT_USERNAME, TELEGRAM_WEBHOOK_URL, TELEGRAM_SECRET_TOKEN,
TELEGRAM_API_URL), so no secret is written to the credentials file."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import logging
import secrets
import uuid
from collections import OrderedDict
from http import HTTPStatus
from typing import Any, Awaitable, Callable

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.exceptions import InvalidConfigException
from sanic import Blueprint, response
from sanic.request import Request

from bot import feedback, settings
from bot.channels.guard import RATE_LIMITED, RecentKeys, default_guard, read_json
from bot.channels.owned_ids import given, owned
from bot.channels.route_text import timeline_text

logger = logging.getLogger(__name__)

COMMANDS = {"/start": "/greet", "/help": "/help"}
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# What a person can send instead of text; in a private chat they are told the bot reads text only.
NOT_TEXT = (
    "photo",
    "sticker",
    "voice",
    "audio",
    "video",
    "video_note",
    "animation",
    "document",
    "location",
    "contact",
    "poll",
)
# A rating button's callback_data: RATE, the rating, ":" and the turn it rates (within 64 bytes).
RATE, RATING_BUTTONS = feedback.RATE, feedback.RATING_BUTTONS
TEXT_ONLY = (
    "I can only read typed messages, so I can't see that. Please type your question, "
    "for example: What band is a PSO?"
)


class TelegramError(Exception):
    pass


def refuse(status: HTTPStatus, error: str) -> response.HTTPResponse:
    return response.json({"error": error}, status=status)


def _update_problem(update: dict) -> str | None:
    """What makes an update one Telegram would not send, if anything. Kinds of update the bot
    does not handle are no problem: Telegram may send them, and they are ignored."""
    message, query = update.get("message"), update.get("callback_query")
    if message is not None:
        if not isinstance(message, dict):
            return '"message" must be an object'
        if not isinstance(message.get("text"), (str, type(None))):
            return '"message.text" must be a string'
        if not _is_id(_field(message, "chat", "id")):
            return '"message.chat.id" must be a number'
    if query is not None:
        if not isinstance(query, dict):
            return '"callback_query" must be an object'
        for name in ("id", "data"):
            if not isinstance(query.get(name), (str, type(None))):
                return f'"callback_query.{name}" must be a string'
        for path in (("message", "chat", "id"), ("from", "id")):
            value = _field(query, *path)
            if value is not None and not _is_id(value):
                return f'"callback_query.{".".join(path)}" must be a number'
    return None


def _not_text_in_private(message: dict) -> bool:
    """A photo, sticker or voice note sent to the bot itself; in a group, where it is usually
    meant for the other members, it is left unanswered."""
    return (
        (message.get("chat") or {}).get("type") == "private"
        and message.get("text") is None
        and any(kind in message for kind in NOT_TEXT)
    )


_WRONG = object()


def _field(value: Any, *path: str) -> Any:
    """value[path[0]][path[1]]...; None when a part is missing, _WRONG when one is not an object."""
    for name in path:
        if value is None:
            return None
        if not isinstance(value, dict):
            return _WRONG
        value = value.get(name)
    return value


def _chat_of(query: dict) -> Any:
    return ((query.get("message") or {}).get("chat") or {}).get("id") or (
        query.get("from") or {}
    ).get("id")


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class BotApi:
    def __init__(self, base_url: str, token: str):
        self._url = f"{base_url.rstrip('/')}/bot{token}/"
        self._token = token

    async def call(self, method: str, **params: Any) -> Any:
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
                async with session.post(self._url + method, json=params) as reply:
                    body = await reply.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            # The token is part of the URL, and some errors quote the URL.
            raise TelegramError(
                f"{method}: {type(error).__name__}: {str(error).replace(self._token, '<token>')}"
            ) from None
        if not isinstance(body, dict) or not body.get("ok"):
            raise TelegramError(
                f"{method}: {body.get('description') if isinstance(body, dict) else body}"
            )
        return body.get("result")


class CallbackKeys:
    """Telegram allows 64 bytes of callback_data; a longer payload travels as a short key. With
    one server process the keys live in its memory, so a press on a long-payload button from
    before a restart is answered as expired; with several worker processes they are kept in the
    file the workers share (bot/worker_state.py), since the press may reach any of them."""

    LIMIT = 64

    def __init__(self, size: int = 5000, shared: bool | None = None):
        self._payloads: OrderedDict[str, str] = OrderedDict()
        self._size = size
        if shared is None:
            shared = settings.worker_processes() > 1
        self._shared = None
        if shared:
            from bot.worker_state import SharedPayloads

            self._shared = SharedPayloads(size=size)

    def encode(self, payload: str) -> str:
        if len(payload.encode()) <= self.LIMIT:
            return payload
        key = "#" + hashlib.sha256(payload.encode()).hexdigest()[:24]  # payloads start with "/"
        if self._shared is not None:
            self._shared.put(key, payload)
            return key
        self._payloads[key] = payload
        self._payloads.move_to_end(key)
        if len(self._payloads) > self._size:
            self._payloads.popitem(last=False)
        return key

    def decode(self, data: str) -> str | None:
        if not data.startswith("#"):
            return data
        return self._shared.get(data) if self._shared is not None else self._payloads.get(data)


def answer_html(text: str, answer: dict | None = None) -> str:
    """The answer's structure travels with the message (actions/render.py); plain responses from
    the domain have none and show as they are."""
    body = html.escape((answer or {}).get("text") or text, quote=False)
    route = timeline_text(answer)
    if route:
        body += f"\n\n{html.escape(route, quote=False)}"
    source = (answer or {}).get("source_line")
    return f"{body}\n\n<i>{html.escape(source, quote=False)}</i>" if source else body


class TelegramOutput(OutputChannel):
    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(self, api: BotApi, keys: CallbackKeys, turn: str | None = None):
        self.api, self.keys = api, keys
        self.turn = turn  # the message this output answers, for rating buttons

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        # Rasa sends an answer whose suggestion list is empty here, with `buttons=[]` among kwargs.
        await self.send_text_with_buttons(
            recipient_id, text, kwargs.pop("buttons", None) or [], **kwargs
        )

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict], **kwargs: Any
    ) -> None:
        params: dict[str, Any] = {
            "chat_id": given(self.name(), recipient_id),
            "parse_mode": "HTML",
            "text": answer_html(text, kwargs.get("answer")),
        }
        rows = [
            [{"text": b["title"], "callback_data": self.keys.encode(b["payload"])}] for b in buttons
        ]
        if kwargs.get("answer") and self.turn:
            rows.append(
                [
                    {"text": label, "callback_data": f"{RATE}{rating}:{self.turn}"}
                    for rating, label in RATING_BUTTONS
                ]
            )
        if rows:
            params["reply_markup"] = {"inline_keyboard": rows}
        try:
            await self.api.call("sendMessage", **params)
        except TelegramError as error:
            # Raising would lose the turn from the conversation; the person can ask again.
            logger.error("could not send a Telegram message: %s", error)


class TelegramChannel(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict | None) -> "TelegramChannel":
        config = settings.telegram()
        if config.missing():
            raise InvalidConfigException(f"the Telegram channel needs {', '.join(config.NEEDED)}")
        secret = config.secret_token
        if not secret:
            # setWebhook hands Telegram the secret at every start, so one made up now works too.
            logger.warning("TELEGRAM_SECRET_TOKEN is not set; using a secret made for this run")
            secret = secrets.token_urlsafe(32)
        return cls(
            BotApi(config.api_url, config.token),
            config.bot_username.lstrip("@"),
            config.webhook_url,
            secret,
        )

    def __init__(self, api: BotApi, username: str, webhook_url: str, secret: str):
        self.api, self.username, self.webhook_url, self.secret = api, username, webhook_url, secret
        self.keys = CallbackKeys()
        self._tasks: set[asyncio.Task] = set()
        # Telegram delivers an update again when it did not see our answer to it in time
        self._updates = RecentKeys()

    def get_output_channel(self) -> OutputChannel:
        return TelegramOutput(self.api, self.keys)

    async def set_webhook(self, first_delay: float = 1.0, longest_delay: float = 300.0) -> None:
        delay = first_delay
        while True:
            try:
                await self.api.call(
                    "setWebhook",
                    url=self.webhook_url,
                    secret_token=self.secret,
                    allowed_updates=["message", "callback_query"],
                )
                logger.info("Telegram webhook set to %s", self.webhook_url)
                return
            except TelegramError as error:
                logger.warning(
                    "could not set the Telegram webhook (%s); retrying in %.0f s", error, delay
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, longest_delay)

    def _in_background(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _user_text(self, text: str | None) -> str | None:
        """/start and /help become the greet and help intents; other commands are read as words,
        so that a typed "/pay" is not taken for an intent. None: a command for another bot, or no
        text at all (a photo, a sticker). A blank text goes on, to be asked for a question."""
        if text is None:
            return None
        text = text.replace(f"@{self.username} ", "").strip()
        if not text.startswith("/"):
            return text
        command, _, rest = text.partition(" ")
        command, _, addressee = command.partition("@")
        if addressee and addressee.lower() != self.username.lower():
            return None
        return COMMANDS.get(command.lower()) or f"{command[1:]} {rest}".strip() or None

    async def _press(
        self, query: dict, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        payload = self.keys.decode(query.get("data") or "")
        if payload and payload.startswith(RATE):
            return await self._rate(query, payload)
        # Answered even when expired: until it is, Telegram shows the button as still loading.
        notice = {} if payload else {"text": "That button has expired; please ask again."}
        try:
            await self.api.call("answerCallbackQuery", callback_query_id=query.get("id"), **notice)
        except TelegramError as error:
            logger.warning("could not answer a Telegram button press: %s", error)
        chat = _chat_of(query)
        if payload and chat is not None:
            await self._hand_on(payload, chat, on_new_message)

    async def _rate(self, query: dict, data: str) -> None:
        """A press on a rating button: stored with the turn it rates (bot/feedback.py); Telegram's
        notice on the button says it was kept, or why not."""
        rating, _, turn = data[len(RATE) :].partition(":")
        chat = _chat_of(query)
        try:
            if chat is None:
                raise feedback.FeedbackRefused(
                    "the button press does not say which chat it came from"
                )
            rated = feedback.read_rating(
                {"rating": rating, "turn": turn or None}, sender=owned(self.name(), chat)
            )
            await feedback.record_soon(rated, channel=self.name())
            notice = feedback.thanks(rated.rating)
        except feedback.FeedbackRefused as refused:
            notice = f"I couldn't keep that rating: {refused}."
        try:
            await self.api.call(
                "answerCallbackQuery", callback_query_id=query.get("id"), text=notice[:200]
            )
        except TelegramError as error:
            logger.warning("could not answer a Telegram rating: %s", error)

    async def _say(self, chat: Any, text: str) -> None:
        try:
            await self.api.call("sendMessage", chat_id=chat, text=text)
        except TelegramError as error:
            logger.warning("could not send a Telegram message: %s", error)

    async def _hand_on(
        self, text: str, chat: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        turn = uuid.uuid4().hex
        await on_new_message(
            UserMessage(
                text,
                TelegramOutput(self.api, self.keys, turn),
                owned(self.name(), chat),
                input_channel=self.name(),
                message_id=turn,
                metadata={"chat_id": chat},
            )
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram = Blueprint("careers_telegram", __name__)
        on_new_message = default_guard().wrap(self.name(), on_new_message)

        @telegram.listener("after_server_start")
        async def register_webhook(_app: Any, _loop: Any) -> None:
            self._in_background(self.set_webhook())

        @telegram.listener("before_server_stop")
        async def stop_background(_app: Any, _loop: Any) -> None:
            for task in list(self._tasks):
                task.cancel()

        @telegram.route("/", methods=["GET"])
        async def health(_: Request) -> response.HTTPResponse:
            return response.json({"status": "ok"})

        @telegram.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> response.HTTPResponse:
            given = request.headers.get(SECRET_HEADER, "").encode()
            if not hmac.compare_digest(given, self.secret.encode()):
                logger.warning("refused a Telegram update without the right secret token")
                return refuse(
                    HTTPStatus.FORBIDDEN,
                    f"the {SECRET_HEADER} header does not carry the "
                    "secret token this bot gave Telegram",
                )
            update, problem = read_json(request.body or b"")
            if problem or not isinstance(update, dict):
                return refuse(HTTPStatus.BAD_REQUEST, problem or "an update must be a JSON object")
            problem = _update_problem(update)
            if problem:
                return refuse(HTTPStatus.BAD_REQUEST, problem)
            update_id = update.get("update_id")
            if _is_id(update_id) and not self._updates.first_sight(f"telegram-update:{update_id}"):
                logger.info(
                    "Telegram delivered update %s again; it was already answered", update_id
                )
                return response.text("")
            # A slow reply holds up Telegram's deliveries and invites it to send the update again,
            # so the bot answers the person after this request returns.
            if update.get("callback_query"):
                self._in_background(self._press(update["callback_query"], on_new_message))
            else:
                message = update.get("message") or {}
                text, chat = (
                    self._user_text(message.get("text")),
                    (message.get("chat") or {}).get("id"),
                )
                if text is not None and chat is not None:
                    self._in_background(self._hand_on(text, chat, on_new_message))
                elif chat is not None and _not_text_in_private(message):
                    # counted against the sender's rate like a message, so a flood of stickers
                    # is not answered note for note
                    verdict = default_guard().check(self.name(), str(chat), "")
                    if verdict.reason != RATE_LIMITED:
                        self._in_background(self._say(chat, TEXT_ONLY))
                    elif not verdict.quiet:
                        self._in_background(self._say(chat, verdict.reply))
            return response.text("")

        return telegram
