"""`POST /webhooks/feedback/webhook`: a rating of an answer over HTTP, for pages and
integrations that do not use socket.io. The body is a JSON object (bot/feedback.py's SHAPE); a
rating that cannot be read or names a turn the conversation does not have gets a 4xx with a JSON
{"error"} saying what to send. credentials.yml names this class, as it does the chat channels."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import feedback
from bot.channels.guard import read_json
from bot.channels.owned_ids import owned

REST_CHANNEL = "rest"  # the REST channel's name (bot/channels/rest.py), which owns these ids


class FeedbackInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "feedback"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        ratings = Blueprint("careers_feedback", __name__)

        @ratings.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @ratings.route("/webhook", methods=["POST"])
        async def rate(request: Request) -> HTTPResponse:
            body, problem = read_json(request.body or b"")
            try:
                if problem:
                    raise feedback.FeedbackRefused(f"{problem}; send {feedback.SHAPE}")
                # a REST caller rates its own conversation, which the server keeps as rest:<sender>
                raw = body.get("sender") if isinstance(body, dict) else None
                rating = feedback.read_rating(
                    body, sender=owned(REST_CHANNEL, raw) if isinstance(raw, str) and raw else None
                )
                channel = (
                    body.get("input_channel")
                    if isinstance(body.get("input_channel"), str)
                    else None
                )
                stored = await feedback.record_soon(
                    rating, channel=channel[:64] if channel else None
                )
            except feedback.FeedbackRefused as refused:
                return response.json({"error": str(refused)}, status=refused.status)
            return response.json(
                {"stored": True, "turn": stored["turn"], "message": feedback.thanks(rating.rating)}
            )

        return ratings
