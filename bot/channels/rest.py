"""Rasa's REST channel (`/webhooks/rest/webhook`) behind the message guard (bot/channels/guard.py).

A request it cannot read gets a 4xx with a JSON {"error": ...} saying what to send instead. Rasa's
own channel answers a JSON list or null with a 500, a non-string message or metadata with an
empty 200, and files a request without a sender under one conversation, "default", that every
such caller then shares. A request resent with the same X-Request-Id is answered once
(bot/rasa_patches/retried_turns.py). credentials.yml names this class instead of `rest:`.
"""

from __future__ import annotations

import asyncio
import copy
import json
from http import HTTPStatus
from typing import Any, Awaitable, Callable

import structlog
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import QueueOutputChannel, RestInput
from rasa.utils.endpoints import bool_arg
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import RATE_LIMITED, MessageGuard, default_guard, printable_id, read_json
from bot.channels.owned_ids import owned
from bot.channels.rated_output import AnswerCollectingOutputChannel
from bot.rasa_patches.retried_turns import METADATA_KEY, REQUEST_ID_HEADER, request_id

structlogger = structlog.get_logger()

SHAPE = 'a JSON object such as {"sender": "a-conversation-id", "message": "What band is a PSO?"}'


class BadRequest(Exception):
    def __init__(self, status: HTTPStatus, error: str):
        super().__init__(error)
        self.status, self.error = status, error


def error(status: HTTPStatus, text: str, headers: dict | None = None) -> HTTPResponse:
    return response.json({"error": text}, status=status, headers=headers)


def _json_type(request: Request) -> bool:
    # No Content-Type at all is read as JSON too: the body says what it is.
    given = request.headers.get("content-type")
    if given is None:
        return True
    media = given.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def read_message(request: Request) -> dict[str, Any]:
    """The fields of a webhook request; raises BadRequest for anything else."""
    if not _json_type(request):
        raise BadRequest(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            f"send the message as {SHAPE}, with Content-Type: application/json",
        )
    body, problem = read_json(request.body or b"")
    if problem:
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"{problem}; send {SHAPE}")
    if not isinstance(body, dict):
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"the body is {_kind(body)}, not {SHAPE}")
    for field in ("sender", "message"):
        if field not in body:
            raise BadRequest(HTTPStatus.BAD_REQUEST, f'"{field}" is missing; send {SHAPE}')
    if not printable_id(body["sender"]):
        raise BadRequest(
            HTTPStatus.BAD_REQUEST,
            '"sender" must be a string of 1 to 255 characters '
            "without control characters, the same for every message of a conversation",
        )
    if not isinstance(body["message"], str):
        raise BadRequest(
            HTTPStatus.BAD_REQUEST, '"message" must be a string (the text the person typed)'
        )
    if body.get("metadata") is not None and not isinstance(body["metadata"], dict):
        raise BadRequest(HTTPStatus.BAD_REQUEST, '"metadata", when given, must be a JSON object')
    channel = body.get("input_channel")
    if channel is not None and not (isinstance(channel, str) and 0 < len(channel) <= 64):
        raise BadRequest(
            HTTPStatus.BAD_REQUEST, '"input_channel", when given, must be a short string'
        )
    return body


_KINDS: dict[type, str] = {list: "a JSON array", str: "a JSON string"}


def _kind(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return f"JSON {json.dumps(value)}"
    return _KINDS.get(type(value), "a JSON number")


class GuardedRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        guard = default_guard()
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Any:
            try:
                body = read_message(request)
            except BadRequest as refused:
                return error(refused.status, refused.error)
            return await self._answer(request, body, guard, on_new_message)

        return webhook

    async def _answer(
        self,
        request: Request,
        body: dict,
        guard: MessageGuard,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> Any:
        sender, metadata = body["sender"], body.get("metadata")
        input_channel = body.get("input_channel") or self.name()
        stream = bool_arg(request, "stream", default=False)
        verdict = guard.check(
            self.name(),
            sender,
            body["message"],
            guard.address(request.ip, request.headers.get("x-forwarded-for")),
        )
        if verdict.reason == RATE_LIMITED:
            return error(
                HTTPStatus.TOO_MANY_REQUESTS,
                verdict.reply,
                headers={"Retry-After": str(verdict.retry_after)},
            )
        if not verdict.accepted:
            return self._reply(stream, [{"recipient_id": sender, "text": verdict.reply}])
        given_id = request_id(request.headers.get(REQUEST_ID_HEADER))
        if given_id:
            metadata = {**(metadata or {}), METADATA_KEY: given_id}
        if stream:
            return response.stream(
                self.stream_response(on_new_message, verdict.text, sender, input_channel, metadata),
                content_type="text/event-stream",
            )
        collector = _RepliesTo(sender)  # Rasa's collector, with the answer's structure
        try:
            await on_new_message(
                UserMessage(
                    verdict.text,
                    collector,
                    owned(self.name(), sender),
                    input_channel=input_channel,
                    metadata=metadata,
                )
            )
        except asyncio.CancelledError:
            structlogger.error("rest.message.received.timeout", text=copy.deepcopy(verdict.text))
        except Exception:
            # As Rasa's channel does: the person gets whatever was answered before the failure.
            structlogger.exception(
                "rest.message.received.failure", text=copy.deepcopy(verdict.text)
            )
        return response.json(collector.messages)

    @staticmethod
    async def on_message_wrapper(
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        queue: asyncio.Queue,
        sender_id: str,
        input_channel: str,
        metadata: dict | None,
    ) -> None:
        """Rasa's, for a streamed reply: the conversation is the channel's own."""
        await on_new_message(
            UserMessage(
                text,
                _StreamedTo(queue, sender_id),
                owned(GuardedRestInput.name(), sender_id),
                input_channel=input_channel,
                metadata=metadata,
            )
        )
        await queue.put("DONE")

    @staticmethod
    def _reply(stream: bool, messages: list[dict]) -> HTTPResponse:
        if stream:  # the stream's own format: one JSON message a line
            return response.text(
                "".join(json.dumps(m) + "\n" for m in messages), content_type="text/event-stream"
            )
        return response.json(messages)


class _AddressedToTheSender:
    """Rasa addresses each reply to the conversation id (`rest:...`, bot/channels/owned_ids.py);
    the caller gets it addressed to the sender it sent, as Rasa's own channel answers."""

    sender: str

    async def _persist_message(self, message: dict) -> None:
        await super()._persist_message({**message, "recipient_id": self.sender})  # type: ignore[misc]


class _RepliesTo(_AddressedToTheSender, AnswerCollectingOutputChannel):
    def __init__(self, sender: str) -> None:
        super().__init__()
        self.sender = sender


class _StreamedTo(_AddressedToTheSender, QueueOutputChannel):
    def __init__(self, queue: asyncio.Queue, sender: str) -> None:
        super().__init__(queue)
        self.sender = sender
