"""The widget's output sends exactly what Rasa's socket.io output sends, with the turn id and the
answer's structure added to the last message of an answer, and nothing added to the rest."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.channels.socketio import SocketIOOutput

from bot.channels.rated_output import RatedSocketIOOutput

ANSWER = {"text": "A PSO is Band 3.", "kind": "answer", "topic": "band", "unit": "role-band",
          "source_line": "Source: HMPPS, 2023.", "sources": [{"url": "https://example.org"}],
          "timeline": {"stages": [{"name": "PO"}], "total": "15 months"}}

# what the widget and REST get of it: not the text and source line they already have
WIDGET_PART = {k: ANSWER[k] for k in ("kind", "topic", "unit", "timeline", "sources")}


class Recorder:
    def __init__(self):
        self.sent: list[tuple] = []

    async def emit(self, event, data, room=None, **_):
        self.sent.append((event, data, room))


def sent_by(output_class, method: str, *args, **kwargs) -> list[tuple]:
    sio = Recorder()
    output = output_class(sio, "bot_uttered", *([] if output_class is SocketIOOutput else ["turn-1"]))
    asyncio.run(getattr(output, method)("session-1", *args, **kwargs))
    return sio.sent


@pytest.mark.parametrize("method,args", [
    ("send_text_with_buttons", ("First part.\n\nSecond part.\nSource: x.", [{"title": "T", "payload": "/p"}])),
    ("send_text_message", ("One.\n\nTwo.",)),
], ids=["with-buttons", "text-only"])
def test_an_answer_is_rasas_messages_with_the_extras_on_the_last(method, args):
    rasa = sent_by(SocketIOOutput, method, *args, answer=ANSWER)
    ours = sent_by(RatedSocketIOOutput, method, *args, answer=ANSWER)
    assert len(ours) == len(rasa) == 2
    assert ours[0] == rasa[0]
    event, data, room = ours[-1]
    extras = {"turn": "turn-1", "answer": WIDGET_PART}
    assert (event, room) == rasa[-1][::2] and data == {**rasa[-1][1], **extras}


def test_a_plain_response_is_sent_as_rasa_sends_it():
    args = ("Hello! I can help.\n\nAsk me anything.", [{"title": "T", "payload": "/p"}])
    assert sent_by(RatedSocketIOOutput, "send_text_with_buttons", *args) == \
        sent_by(SocketIOOutput, "send_text_with_buttons", *args)


def test_rest_collects_rasas_messages_with_the_answer_structure_on_the_last():
    from rasa.core.channels.channel import CollectingOutputChannel

    from bot.channels.rated_output import AnswerCollectingOutputChannel

    def collected(channel, method: str, *args, **kwargs) -> list[dict]:
        asyncio.run(getattr(channel, method)("me", *args, **kwargs))
        return channel.messages

    rasa = collected(CollectingOutputChannel(), "send_text_message", "One.\n\nTwo.", answer=ANSWER)
    ours = collected(AnswerCollectingOutputChannel(), "send_text_message", "One.\n\nTwo.", answer=ANSWER)
    assert ours[0] == rasa[0] and ours[1] == {**rasa[1], "answer": WIDGET_PART}
    assert collected(AnswerCollectingOutputChannel(), "send_text_with_buttons", "Hi.", [{"title": "T", "payload": "/p"}]) \
        == collected(CollectingOutputChannel(), "send_text_with_buttons", "Hi.", [{"title": "T", "payload": "/p"}])
