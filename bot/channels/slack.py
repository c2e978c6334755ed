"""Slack: answers as blocks (the text, its source as a context line, suggestions as buttons), in
the person's thread when they wrote in one. Nothing runs for a request Slack did not sign, and no
event is answered twice however often Slack delivers it.

Settings come from the environment, so no secret is ever written to the credentials file:
SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and optionally SLACK_API_URL (the Web API base URL)."""
from __future__ import annotations

import asyncio
import json
import logging
import os
from collections import OrderedDict
from http import HTTPStatus
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from rasa.shared.exceptions import InvalidConfigException
from sanic import Blueprint, response
from sanic.request import Request
from slack_sdk.web.async_client import AsyncWebClient

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
NO_RETRY = {"X-Slack-No-Retry": "1"}


def answer_blocks(text: str, buttons: list[dict], answer: dict | None = None) -> list[dict]:
    """The answer's structure travels with the message (actions/render.py); plain responses from
    the domain have none and show as they are."""
    body = (answer or {}).get("text") or text
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": _escape(body)}}]
    source = (answer or {}).get("source_line")
    if source:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _escape(source)}]})
    if buttons:
        # Slack refuses button labels over 75 characters and more than 25 buttons in a block.
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": b["title"][:75]},
             "value": b["payload"]} for b in buttons[:25]]})
    return blocks


def _escape(text: str) -> str:
    # Slack reads <...> as links and mentions; these are the only three it asks to escape.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackOutput(SlackBot):
    def __init__(self, token: str, channel: str | None, thread_ts: str | None, api_url: str):
        super().__init__(token, channel, thread_ts)
        self.client = AsyncWebClient(token, base_url=api_url)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, [], **kwargs)

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict],
                                     **kwargs: Any) -> None:
        # `text` is what notifications and screen readers get, so it keeps the source line.
        await self._post_message(self.slack_channel or recipient_id, text=text,
                                 blocks=answer_blocks(text, buttons, kwargs.get("answer")))


class SlackChannel(SlackInput):
    @classmethod
    def from_credentials(cls, credentials: dict | None) -> "SlackChannel":
        credentials = credentials or {}
        token, secret = (os.environ.get(name) for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"))
        if not token or not secret:
            raise InvalidConfigException("the Slack channel needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET")
        return cls(token, slack_channel=credentials.get("slack_channel"), slack_signing_secret=secret,
                   conversation_granularity=credentials.get("conversation_granularity", "sender"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = os.environ.get("SLACK_API_URL") or DEFAULT_API_URL
        self.api_url = url if url.endswith("/") else url + "/"
        self._seen: OrderedDict[str, None] = OrderedDict()

    def _first_sight(self, key: str | None) -> bool:
        """Slack retries for minutes and a replay must come within the 5-minute signature window,
        so a few thousand recent keys are plenty."""
        if not key:
            return True
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > 5000:
            self._seen.popitem(last=False)
        return True

    def get_output_channel(self, channel: str | None = None,
                           thread_id: str | None = None) -> OutputChannel:
        return SlackOutput(self.slack_token, channel or self.slack_channel, thread_id, self.api_url)

    def _dispatch(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], text: str,
                  user: str, channel: str | None, thread_ts: str | None) -> None:
        # Slack wants its answer within 3 seconds, so the bot replies after the request returns.
        message = UserMessage(text, self.get_output_channel(channel, thread_ts),
                              self._get_conversation_id(user, channel, thread_ts),
                              input_channel=self.name(),
                              metadata={"out_channel": channel, "thread_id": thread_ts})
        task = asyncio.create_task(on_new_message(message))
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        slack = Blueprint("careers_slack", __name__)

        @slack.route("/", methods=["GET"])
        async def health(_: Request) -> response.HTTPResponse:
            return response.json({"status": "ok"})

        @slack.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> response.HTTPResponse:
            # The signature check also refuses stale timestamps.
            if not self.is_request_from_slack_authentic(request):
                logger.warning("refused a Slack request that was unsigned, forged or stale")
                return response.text("invalid signature", status=HTTPStatus.UNAUTHORIZED)
            if not self._first_sight(request.headers.get("X-Slack-Signature")):
                # Slack's immediate retry can match the first delivery to the second, retry header
                # aside (headers are not signed); any other exact copy is a replay.
                if request.headers.get("X-Slack-Retry-Num"):
                    return response.text("already answered", headers=NO_RETRY)
                logger.warning("refused a replayed Slack request")
                return response.text("replayed request", status=HTTPStatus.UNAUTHORIZED)
            if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                return self._interaction(request, on_new_message)
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return response.text("not a JSON object", status=HTTPStatus.BAD_REQUEST)
            if body.get("type") == "url_verification":
                return response.json({"challenge": body.get("challenge")})
            return self._event(request, body, on_new_message)

        return slack

    def _event(self, request: Request, body: dict,
               on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> response.HTTPResponse:
        # A retry whose first delivery never reached us is still answered, once; every retry is
        # told not to come again.
        headers = NO_RETRY if request.headers.get("X-Slack-Retry-Num") else {}
        if not self._first_sight(body.get("event_id") and f"event:{body['event_id']}"):
            return response.text("already answered", headers=NO_RETRY)
        event = body.get("event") or {}
        # One message can arrive as two events (`message` and `app_mention`, different event_ids).
        if (self._is_user_message(body)
                and self._is_supported_channel(body, {"out_channel": event.get("channel")})
                and self._first_sight(event.get("ts") and f"message:{event.get('channel')}:{event['ts']}")):
            bot_users = body.get("authed_users") or [a.get("user_id") for a in body.get("authorizations") or []]
            self._dispatch(on_new_message, self._sanitize_user_message(event["text"], bot_users),
                           event.get("user", ""), event.get("channel"), event.get("thread_ts"))
        return response.text("", headers=headers)

    def _interaction(self, request: Request,
                     on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> response.HTTPResponse:
        try:
            payload = json.loads(request.form.get("payload") or "{}")
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return response.text("not a JSON object", status=HTTPStatus.BAD_REQUEST)
        action = (payload.get("actions") or [{}])[0]
        if action.get("type") == "button" and action.get("value"):
            # A button on a reply in a thread keeps the conversation in that thread.
            thread_ts = ((payload.get("message") or {}).get("thread_ts")
                         or (payload.get("container") or {}).get("thread_ts"))
            self._dispatch(on_new_message, action["value"], (payload.get("user") or {}).get("id", ""),
                           (payload.get("channel") or {}).get("id"), thread_ts)
        return response.text("")
