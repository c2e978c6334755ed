"""Reading what a person means from the tracker: the role and place they are asking about, and
what they have told us about themselves, carried across turns."""
from __future__ import annotations

import re
from dataclasses import dataclass

from rasa_sdk import Tracker

from knowledge.planner import Profile

QUESTION_INTENTS = (
    "ask_question", "ask_role", "ask_band", "ask_pay", "ask_entry", "ask_skip_pso", "ask_pqip", "ask_modules",
    "ask_time_to_qualify", "ask_age", "ask_criminal_record", "ask_checks", "ask_driving",
    "ask_region", "ask_outlook", "ask_parole_vs_probation", "ask_progression", "ask_related",
    "ask_skills", "ask_day_to_day", "ask_caseload", "ask_compare", "ask_application",
    "ask_history", "ask_apprenticeship", "ask_registration", "ask_welsh",
)

# "I'm a PSO", "I work as a trainee": the role a person holds, as opposed to one they ask about.
_HOLDS_ROLE = re.compile(r"\b(?:i'?m|i am|im|i work as|working as|i'?ve been|been working as|"
                         r"currently|i have been)\s+(?:an?\s+|the\s+)?(?:\w+\s+){0,2}$", re.I)

# A job title people ask about that we do not know: "what band is a nurse?", "how much does an
# astronaut earn?". Only words that name jobs, so "a typical day" or "a degree" never trigger it.
_JOB_WORD = (r"(?:officer|worker|manager|nurse|teacher|engineer|developer|doctor|lawyer|solicitor|"
             r"barrister|judge|paramedic|firefighter|pilot|astronaut|accountant|chef|plumber|"
             r"electrician|detective|constable|guard|warden|counsell?or|therapist|psychologist|"
             r"clerk|administrator|assistant|analyst|designer|scientist|carer|driver|director)")
_ASKED_JOB = re.compile(r"\b(?:an?|the|as an?|become an?)\s+((?:[a-z\-]+\s+){0,2}" + _JOB_WORD + r")s?\b", re.I)


@dataclass(frozen=True)
class Subject:
    role: str | None
    other_role: str | None
    jurisdiction: str | None
    unknown_role: str | None = None


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
    """The role the person says they hold in this message, if any."""
    text = tracker.latest_message.get("text") or ""
    for entity in entities(tracker, "role"):
        start = entity.get("start")
        if start is not None and _HOLDS_ROLE.search(text[:start]):
            return entity.get("value")
    return None


# "I have a degree", "with a criminology degree": a qualification the person holds, as opposed
# to "do I need a degree?".
_HOLDS_QUALIFICATION = re.compile(r"\b(?:i have|i've got|i've|ive got|i got|i hold|i did|i studied|"
                                  r"i'm doing|i completed|i finished|finished|with|got)\s+(?:an?\s+|my\s+|a few\s+)?"
                                  r"(?:\w+\s+){0,2}$", re.I)


def personal_details(tracker: Tracker) -> dict:
    """What this message says about the person (slot name -> value), whatever its intent."""
    text = tracker.latest_message.get("text") or ""
    details = {}
    for kind, slot in (("age", "age"), ("months", "months_service")):
        values = entity_values(tracker, kind)
        if values:
            details[slot] = values[0]
    for kind in ("qualification", "subject"):
        for entity in entities(tracker, kind):
            start = entity.get("start")
            if start is not None and _HOLDS_QUALIFICATION.search(text[:start]):
                details[kind] = entity.get("value")
                break
    held = held_role(tracker)
    if held:
        details["current_role"] = held
    return details


def unknown_job(text: str, known_names: dict[str, str]) -> str | None:
    from knowledge.names import normalise
    for match in _ASKED_JOB.finditer(text or ""):
        phrase = match.group(1)
        words = normalise(phrase).split()
        # "a probation officer" is known even when its first words were swallowed by the regex
        if any(" ".join(words[i:]) in known_names for i in range(len(words))):
            continue
        return phrase.lower()
    return None


def subject(tracker: Tracker, known_roles: dict[str, str], part: list[dict] | None = None) -> Subject:
    """The role(s) and place the question is about. A role named in this message takes its own
    jurisdiction unless a place is named too; otherwise both carry over from earlier turns.
    `part` holds the entities of one part of a message that asks two things."""
    if part is not None:
        asked = list(dict.fromkeys(e.get("value") for e in part if e.get("entity") == "role"))
        places = list(dict.fromkeys(e.get("value") for e in part if e.get("entity") == "jurisdiction"))
    else:
        asked = [r for r in entity_values(tracker, "role") if r != held_role(tracker)]
        places = entity_values(tracker, "jurisdiction")
    if asked:
        return Subject(asked[0], asked[1] if len(asked) > 1 else None, places[0] if places else None)
    text = tracker.latest_message.get("text") or ""
    unknown = unknown_job(text, known_roles)
    if unknown:
        return Subject(None, None, places[0] if places else None, unknown_role=unknown)
    return Subject(tracker.get_slot("role"), None,
                   places[0] if places else tracker.get_slot("jurisdiction"))


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
