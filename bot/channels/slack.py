"""Slack: answers as blocks (the text, its source as a context line, suggestions as buttons), in
the person's thread when they wrote in one. Nothing runs for a request Slack did not sign, no
event is answered twice however often Slack delivers it, and every message passes the guard
(bot/channels/guard.py). A signed request of a shape Slack does not send gets a 400 with a JSON
{"error"} rather than a 500.

Settings come from the environment, so no secret is ever written to the credentials file:
SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and optionally SLACK_API_URL (the Web API base URL)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from http import HTTPStatus
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from rasa.shared.exceptions import InvalidConfigException
from sanic import Blueprint, response
from sanic.request import Request
from slack_sdk.web.async_client import AsyncWebClient

from bot import feedback, settings
from bot.channels.guard import RecentKeys, default_guard, read_json
from bot.channels.owned_ids import given, owned
from bot.channels.route_text import timeline_text

logger = logging.getLogger(__name__)

NO_RETRY = {"X-Slack-No-Retry": "1"}
# A rating button's action_id is RATE and the rating; its value is the turn it rates.
RATE, RATING_BUTTONS = feedback.RATE, feedback.RATING_BUTTONS


def answer_blocks(
    text: str, buttons: list[dict], answer: dict | None = None, turn: str | None = None
) -> list[dict]:
    """The answer's structure travels with the message (actions/render.py); plain responses from
    the domain have none and show as they are."""
    body = (answer or {}).get("text") or text
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": _escape(body)}}]
    source = (answer or {}).get("source_line")
    if source:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _escape(source)}]}
        )
    route = timeline_text(answer)
    if route:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _escape(route)}]})
    if buttons:
        # Slack refuses button labels over 75 characters and more than 25 buttons in a block.
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": b["title"][:75]},
                        "value": b["payload"],
                    }
                    for b in buttons[:25]
                ],
            }
        )
    if answer and turn:
        blocks.append(
            {
                "type": "actions",
                "block_id": "rate",
                "elements": [
                    {
                        "type": "button",
                        "action_id": RATE + rating,
                        "text": {"type": "plain_text", "text": label},
                        "value": turn,
                    }
                    for rating, label in RATING_BUTTONS
                ],
            }
        )
    return blocks


def _escape(text: str) -> str:
    # Slack reads <...> as links and mentions; these are the only three it asks to escape.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def refuse(status: HTTPStatus, error: str) -> response.HTTPResponse:
    # Slack retries what failed; what failed here will fail the same way again.
    return response.json({"error": error}, status=status, headers=NO_RETRY)


def _event_problem(body: dict) -> str | None:
    event = body.get("event")
    if event is None:
        return None
    if not isinstance(event, dict):
        return '"event" must be an object'
    for field in ("text", "user", "channel", "ts", "thread_ts", "channel_type", "type"):
        if event.get(field) is not None and not isinstance(event[field], str):
            return f'"event.{field}" must be a string'
    return None


def _bot_users(body: dict) -> list[str]:
    given = body.get("authed_users")
    if not isinstance(given, list):
        given = [a.get("user_id") for a in body.get("authorizations") or [] if isinstance(a, dict)]
    return [user for user in given if isinstance(user, str)]


def _interaction_problem(payload: dict) -> str | None:
    """What makes an interaction payload one Slack would not send, if anything."""
    actions = payload.get("actions")
    if actions is not None and not (
        isinstance(actions, list) and all(isinstance(a, dict) for a in actions)
    ):
        return '"actions" must be a list of objects'
    parts = {name: payload.get(name) for name in ("user", "channel", "message", "container")}
    for name, part in parts.items():
        if part is not None and not isinstance(part, dict):
            return f'"{name}" must be an object'
    fields = {
        "user.id": (parts["user"] or {}).get("id"),
        "channel.id": (parts["channel"] or {}).get("id"),
        "message.thread_ts": (parts["message"] or {}).get("thread_ts"),
        "container.thread_ts": (parts["container"] or {}).get("thread_ts"),
        "actions[0].value": (actions or [{}])[0].get("value"),
        "actions[0].action_id": (actions or [{}])[0].get("action_id"),
    }
    for name, value in fields.items():
        if value is not None and not isinstance(value, str):
            return f'"{name}" must be a string'
    return None


class SlackOutput(SlackBot):
    def __init__(self, token: str, channel: str | None, thread_ts: str | None, api_url: str):
        super().__init__(token, channel, thread_ts)
        self.client = AsyncWebClient(token, base_url=api_url)
        self.turn: str | None = None  # the message this output answers, for rating buttons

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        # Rasa sends an answer whose suggestion list is empty here, with `buttons=[]` among kwargs.
        await self.send_text_with_buttons(
            recipient_id, text, kwargs.pop("buttons", None) or [], **kwargs
        )

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict], **kwargs: Any
    ) -> None:
        # `text` is what notifications and screen readers get, so it keeps the source line.
        await self._post_message(
            self.slack_channel or given(self.name(), recipient_id),
            text=text,
            blocks=answer_blocks(text, buttons, kwargs.get("answer"), self.turn),
        )


class SlackChannel(SlackInput):
    @classmethod
    def from_credentials(cls, credentials: dict | None) -> "SlackChannel":
        credentials = credentials or {}
        config = settings.slack()
        if config.missing():
            raise InvalidConfigException(
                "the Slack channel needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET"
            )
        return cls(
            config.bot_token,
            slack_channel=credentials.get("slack_channel"),
            slack_signing_secret=config.signing_secret,
            conversation_granularity=credentials.get("conversation_granularity", "sender"),
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = settings.slack().api_url
        self.api_url = url if url.endswith("/") else url + "/"
        # Slack retries for minutes and a replay must come within the 5-minute signature window,
        # so a few thousand recent keys (ten minutes' worth when the workers share them) do.
        self._recent = RecentKeys()

    def get_output_channel(
        self, channel: str | None = None, thread_id: str | None = None
    ) -> OutputChannel:
        return SlackOutput(self.slack_token, channel or self.slack_channel, thread_id, self.api_url)

    def _dispatch(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        user: str,
        channel: str | None,
        thread_ts: str | None,
    ) -> None:
        # Slack wants its answer within 3 seconds, so the bot replies after the request returns.
        output = self.get_output_channel(channel, thread_ts)
        output.turn = uuid.uuid4().hex
        message = UserMessage(
            text,
            output,
            owned(self.name(), self._get_conversation_id(user, channel, thread_ts)),
            input_channel=self.name(),
            message_id=output.turn,
            metadata={"out_channel": channel, "thread_id": thread_ts},
        )
        self._in_background(on_new_message(message))

    def _in_background(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        slack = Blueprint("careers_slack", __name__)
        on_new_message = default_guard().wrap(self.name(), on_new_message)

        @slack.route("/", methods=["GET"])
        async def health(_: Request) -> response.HTTPResponse:
            return response.json({"status": "ok"})

        @slack.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> response.HTTPResponse:
            # The signature check also refuses stale timestamps.
            if not self.is_request_from_slack_authentic(request):
                logger.warning("refused a Slack request that was unsigned, forged or stale")
                return refuse(
                    HTTPStatus.UNAUTHORIZED,
                    "the request is not signed with this app's "
                    "signing secret, or was signed more than 5 minutes ago",
                )
            if not self._recent.first_sight(request.headers.get("X-Slack-Signature")):
                # Slack's immediate retry can match the first delivery to the second, retry header
                # aside (headers are not signed); any other exact copy is a replay.
                if request.headers.get("X-Slack-Retry-Num"):
                    return response.text("already answered", headers=NO_RETRY)
                logger.warning("refused a replayed Slack request")
                return refuse(HTTPStatus.UNAUTHORIZED, "this exact request was received before")
            if request.headers.get("content-type", "").startswith(
                "application/x-www-form-urlencoded"
            ):
                return self._interaction(request, on_new_message)
            body, problem = read_json(request.body or b"{}")
            if problem or not isinstance(body, dict):
                return refuse(HTTPStatus.BAD_REQUEST, problem or "the body must be a JSON object")
            if body.get("type") == "url_verification":
                return response.json({"challenge": body.get("challenge")})
            problem = _event_problem(body)
            if problem:
                return refuse(HTTPStatus.BAD_REQUEST, problem)
            return self._event(request, body, on_new_message)

        return slack

    def _event(
        self, request: Request, body: dict, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> response.HTTPResponse:
        # A retry whose first delivery never reached us is still answered, once; every retry is
        # told not to come again.
        headers = NO_RETRY if request.headers.get("X-Slack-Retry-Num") else {}
        event_id = body.get("event_id")
        if not self._recent.first_sight(f"event:{event_id}" if isinstance(event_id, str) else None):
            return response.text("already answered", headers=NO_RETRY)
        event = body.get("event") or {}
        # One message can arrive as two events (`message` and `app_mention`, different event_ids).
        if (
            self._is_user_message(body)
            and self._is_supported_channel(body, {"out_channel": event.get("channel")})
            and self._recent.first_sight(
                event.get("ts") and f"message:{event.get('channel')}:{event['ts']}"
            )
        ):
            self._dispatch(
                on_new_message,
                self._sanitize_user_message(event["text"], _bot_users(body)),
                event.get("user", ""),
                event.get("channel"),
                event.get("thread_ts"),
            )
        return response.text("", headers=headers)

    def _interaction(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> response.HTTPResponse:
        payload, problem = read_json((request.form.get("payload") or "{}").encode())
        if problem or not isinstance(payload, dict):
            return refuse(
                HTTPStatus.BAD_REQUEST,
                '"payload" must be a JSON object' + (f": {problem}" if problem else ""),
            )
        problem = _interaction_problem(payload)
        if problem:
            return refuse(HTTPStatus.BAD_REQUEST, problem)
        action = (payload.get("actions") or [{}])[0]
        if action.get("type") == "button" and action.get("value") is not None:
            # A button on a reply in a thread keeps the conversation in that thread.
            thread_ts = (payload.get("message") or {}).get("thread_ts") or (
                payload.get("container") or {}
            ).get("thread_ts")
            if (action.get("action_id") or "").startswith(RATE):
                self._in_background(
                    self._rate(
                        action,
                        (payload.get("user") or {}).get("id", ""),
                        (payload.get("channel") or {}).get("id"),
                        thread_ts,
                    )
                )
                return response.text("")
            self._dispatch(
                on_new_message,
                action["value"],
                (payload.get("user") or {}).get("id", ""),
                (payload.get("channel") or {}).get("id"),
                thread_ts,
            )
        return response.text("")

    async def _rate(
        self, action: dict, user: str, channel: str | None, thread_ts: str | None
    ) -> None:
        """A press on a rating button: stored with the turn it rates (bot/feedback.py), and the
        person told so, or told why not."""
        sender = owned(self.name(), self._get_conversation_id(user, channel, thread_ts))
        try:
            rating = feedback.read_rating(
                {"rating": action["action_id"][len(RATE) :], "turn": action.get("value")},
                sender=sender,
            )
            await feedback.record_soon(rating, channel=self.name())
            reply = feedback.thanks(rating.rating)
        except feedback.FeedbackRefused as refused:
            reply = f"I couldn't keep that rating: {refused}."
        try:
            await self.get_output_channel(channel, thread_ts).send_text_message(
                channel or user, reply
            )
        except Exception as error:  # Slack unreachable: the rating is kept all the same
            logger.warning("could not thank a Slack user for a rating: %s", error)
