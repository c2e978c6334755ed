"""What a person means, as the NLU understood it: the role and place they are asking about and
what they have told us about themselves (entities, with the role "held" for what they hold),
carried across turns in the slots. Nothing here reads the message's text."""

from __future__ import annotations

from dataclasses import dataclass

from rasa_sdk import Tracker

from knowledge.planner import Profile

# How the NLU (bot/components/knowledge_entities.py) marks what a message says about the person.
HELD = "held"
UNKNOWN_ROLE = "unknown_role"
UNKNOWN_PLACE = "unknown_place"

QUESTION_INTENTS = ("ask_question",)


@dataclass(frozen=True)
class Subject:
    role: str | None
    other_role: str | None
    jurisdiction: str | None
    unknown_role: str | None = None
    unknown_place: str | None = None  # "in Ontario": a place the knowledge base does not cover


def entities(tracker: Tracker, kind: str) -> list[dict]:
    return [e for e in tracker.latest_message.get("entities", []) if e.get("entity") == kind]


def entity_values(tracker: Tracker, kind: str) -> list:
    seen, out = set(), []
    for entity in entities(tracker, kind):
        value = entity.get("value")
        if value is not None and value not in seen:
            seen.add(value)
            out.append(value)
    return out


def held_role(tracker: Tracker) -> str | None:
    """The role the person says they hold in this message ("I'm a PSO"), as the NLU marked it."""
    held = [e.get("value") for e in entities(tracker, "role") if e.get("role") == HELD]
    return held[0] if held else None


def personal_details(tracker: Tracker) -> dict:
    """What this message says about the person (slot name -> value), whatever its intent."""
    details = {}
    for kind, slot in (("age", "age"), ("months", "months_service")):
        values = entity_values(tracker, kind)
        if values:
            details[slot] = values[0]
    for kind in ("qualification", "subject"):
        held = [e.get("value") for e in entities(tracker, kind) if e.get("role") == HELD]
        if held:
            details[kind] = held[0]
    role = held_role(tracker)
    if role:
        details["current_role"] = role
    return details


def subject(tracker: Tracker, part: list[dict] | None = None) -> Subject:
    """The role(s) and place the question is about. A role named in this message takes its own
    jurisdiction unless a place is named too; otherwise both carry over from earlier turns.
    `part` holds the entities of one part of a message that asks two things."""
    if part is not None:
        asked = list(dict.fromkeys(e.get("value") for e in part if e.get("entity") == "role"))
        places = list(
            dict.fromkeys(e.get("value") for e in part if e.get("entity") == "jurisdiction")
        )
    else:
        asked = [r for r in entity_values(tracker, "role") if r != held_role(tracker)]
        places = entity_values(tracker, "jurisdiction")
    if part is None and not places:
        elsewhere = entity_values(tracker, UNKNOWN_PLACE)
        if elsewhere:
            return Subject(asked[0] if asked else None, None, None, unknown_place=elsewhere[0])
    if asked:
        return Subject(
            asked[0], asked[1] if len(asked) > 1 else None, places[0] if places else None
        )
    unknown = [
        e.get("value")
        for e in (part if part is not None else entities(tracker, UNKNOWN_ROLE))
        if e.get("entity") == UNKNOWN_ROLE
    ]
    if unknown:
        return Subject(None, None, places[0] if places else None, unknown_role=unknown[0])
    return Subject(
        tracker.get_slot("role"), None, places[0] if places else tracker.get_slot("jurisdiction")
    )


def _int(value) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def profile(tracker: Tracker) -> Profile:
    """What the person has told us about themselves, from the slots."""
    qualification = tracker.get_slot("qualification")
    level = None
    if isinstance(qualification, str) and qualification.startswith("level-"):
        level, qualification = _int(qualification.split("-", 1)[1]), None
    experience = tracker.get_slot("experience")
    return Profile(
        jurisdiction=tracker.get_slot("jurisdiction"),
        age=_int(tracker.get_slot("age")),
        qualification=qualification,
        level=level,
        subject=tracker.get_slot("subject"),
        modules=_int(tracker.get_slot("modules")),
        current_role=tracker.get_slot("current_role"),
        months_service=_int(tracker.get_slot("months_service")),
        experience=experience if isinstance(experience, bool) else None,
        target=tracker.get_slot("target_role"),
    )
