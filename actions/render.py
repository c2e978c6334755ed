"""Hands a structured answer to Rasa. The text carries the source line so that plain channels
(REST, the terminal) show it; the structure rides along for channels that render it richly."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from knowledge.answer import Answer


def send(dispatcher: CollectingDispatcher, answer: Answer, timeline: dict | None = None) -> None:
    structure = answer.as_dict()
    if timeline:
        # a route plan's stages, drawn by the channels that can (actions/route_timeline.py)
        structure["timeline"] = timeline
    dispatcher.utter_message(
        text=answer.full_text(),
        buttons=[{"title": s.title, "payload": s.payload} for s in answer.suggestions],
        answer=structure,
    )
