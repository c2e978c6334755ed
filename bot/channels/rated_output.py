"""What the widget (and REST) need beside an answer's text to show more than text: the turn id
the widget rates the answer with, and the answer's kind, topic, unit and route timeline
(actions/render.py).

Rasa's socket.io and REST outputs send the text only (socket.io split into paragraphs); these
send the same messages and add the extras to the last of an answer's, so a client that ignores
them sees no change."""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.channels.socketio import SocketIOOutput

# The parts of the answer's structure the widget uses.
WIDGET_FIELDS = ("kind", "topic", "unit", "timeline", "sources")


def widget_extras(turn: str | None, answer: Any) -> dict:
    if not isinstance(answer, dict):
        return {}
    extras: dict[str, Any] = {"answer": {k: answer.get(k) for k in WIDGET_FIELDS if answer.get(k)}}
    if turn:
        extras["turn"] = turn
    return extras


class RatedSocketIOOutput(SocketIOOutput):
    def __init__(self, sio: Any, bot_message_evt: str, turn: str | None) -> None:
        super().__init__(sio, bot_message_evt)
        self.turn = turn
        self._held: list[dict] | None = None

    async def _send_message(self, socket_id: str, response: Any) -> None:
        if self._held is not None:
            self._held.append(response)
        else:
            await super()._send_message(socket_id, response)

    async def _with_extras(self, recipient_id: str, answer: Any, send) -> None:
        extras = widget_extras(self.turn, answer)
        if not extras:
            return await send()
        self._held = []
        try:
            await send()
        finally:
            held, self._held = self._held, None
        if held:
            held[-1] = {**held[-1], **extras}
        for message in held:
            await super()._send_message(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._with_extras(
            recipient_id,
            kwargs.get("answer"),
            lambda: super(RatedSocketIOOutput, self).send_text_message(
                recipient_id, text, **kwargs
            ),
        )

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list, **kwargs: Any
    ) -> None:
        await self._with_extras(
            recipient_id,
            kwargs.get("answer"),
            lambda: super(RatedSocketIOOutput, self).send_text_with_buttons(
                recipient_id, text, buttons, **kwargs
            ),
        )


class AnswerCollectingOutputChannel(CollectingOutputChannel):
    """The REST channel's collector: Rasa's, with the answer's structure (no turn id: REST names
    the conversation, and a rating there rates its latest answer) on the last message of an
    answer, so that REST clients and the terminal can show a route's timeline."""

    def _add_extras(self, answer: Any, before: int) -> None:
        extras = widget_extras(None, answer)
        if extras and len(self.messages) > before:
            self.messages[-1] = {**self.messages[-1], **extras}

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        before = len(self.messages)
        await super().send_text_message(recipient_id, text, **kwargs)
        self._add_extras(kwargs.get("answer"), before)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list, **kwargs: Any
    ) -> None:
        before = len(self.messages)
        await super().send_text_with_buttons(recipient_id, text, buttons, **kwargs)
        self._add_extras(kwargs.get("answer"), before)
