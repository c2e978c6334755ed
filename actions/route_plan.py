"""The route-planner form: it asks only for what the plan still depends on, checks each answer,
and hands the finished profile to the planner."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import context
from actions.answers import unavailable
from actions.knowledge_access import advisor
from actions.render import send
from actions.route_timeline import timeline
from knowledge.advice import Advisor
from knowledge.answer import Answer, Suggestion
from knowledge.planner import Profile
from knowledge.queries import KnowledgeUnavailable

# Planner field -> the slot the form asks for it with.
SLOT_FOR = {
    "jurisdiction": "jurisdiction",
    "age": "age",
    "qualification": "qualification",
    "subject": "subject",
    "modules": "modules",
    "months_service": "months_service",
}

# Messages that are not an answer to the form's question: let the rules handle them.
NOT_AN_ANSWER = set(context.QUESTION_INTENTS) | {
    "stop",
    "bot_challenge",
    "help",
    "greet",
    "goodbye",
    "out_of_scope",
    "own_probation",
}
_NUMBER = re.compile(r"\b(\d{1,4})\b")
_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
_LEVEL = re.compile(r"\blevel\s*([1-8])\b", re.I)
_NONE = re.compile(r"\b(none|nothing|no qualifications?|no quals|haven'?t got any|not any)\b", re.I)
_YES = re.compile(r"^\s*(y|yes|yeah|yep|yup|sure|i did|it did|they did|correct|definitely)\b", re.I)
_NO = re.compile(r"^\s*(n|no|nope|nah|not really|it didn'?t|they didn'?t|i didn'?t)\b", re.I)


def _first_number(text: str) -> Optional[int]:
    match = _NUMBER.search(text or "")
    if match:
        return int(match.group(1))
    for word in (text or "").lower().split():
        if word in _WORDS:
            return _WORDS[word]
    return None


def profile_with_message(tracker: Tracker) -> tuple[Profile, List[Dict[Text, Any]]]:
    """The profile from the slots, updated with what this message says about the person."""
    profile = context.profile(tracker)
    events: List[Dict[Text, Any]] = []
    held = context.held_role(tracker)
    if held and held != profile.current_role:
        profile = dataclasses.replace(profile, current_role=held)
        events.append(SlotSet("current_role", held))
    intent = tracker.latest_message.get("intent", {}).get("name")
    asked = [r for r in context.entity_values(tracker, "role") if r != held]
    if intent == "plan_route" and asked and asked[0] != profile.target:
        profile = dataclasses.replace(profile, target=asked[0])
        events.append(SlotSet("target_role", asked[0]))
    return profile, events


class ValidateRouteForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_route_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        # "I'm a PSO" must outlive this turn, or the next question would forget it
        _, profile_events = profile_with_message(tracker)
        tracker.add_slots(profile_events)
        return profile_events + await super().run(dispatcher, tracker, domain)

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        profile, _ = profile_with_message(tracker)
        try:
            plan = advisor().planner.plan(profile)
        except KnowledgeUnavailable:
            return []
        return [SLOT_FOR[d] for d in plan.depends_on if d in SLOT_FOR][:1]

    # -- extraction: only the slot being asked for, and only from an answer ---------------------
    def _answering(self, tracker: Tracker, slot: str) -> Optional[str]:
        if tracker.get_slot("requested_slot") != slot:
            return None
        intent = tracker.latest_message.get("intent", {})
        if intent.get("name") in NOT_AN_ANSWER and intent.get("confidence", 0) >= 0.5:
            return None
        return tracker.latest_message.get("text") or ""

    async def extract_age(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = self._answering(tracker, "age")
        if text is None or context.entity_values(tracker, "age"):
            return {}
        number = _first_number(text)
        return {"age": number if number is not None else text}

    async def extract_qualification(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = self._answering(tracker, "qualification")
        if text is None or context.entity_values(tracker, "qualification"):
            return {}
        level = _LEVEL.search(text)
        if level:
            return {"qualification": f"level-{level.group(1)}"}
        if _NONE.search(text):
            return {"qualification": "level-1"}
        return {"qualification": text}

    async def extract_subject(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = self._answering(tracker, "subject")
        if text is None or context.entity_values(tracker, "subject"):
            return {}
        found = advisor().kb.find_subject(text)
        return {"subject": found.id if found else "other"}

    async def extract_jurisdiction(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = self._answering(tracker, "jurisdiction")
        if text is None or context.entity_values(tracker, "jurisdiction"):
            return {}
        return {"jurisdiction": text}

    async def extract_months_service(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = self._answering(tracker, "months_service")
        if text is None or context.entity_values(tracker, "months"):
            return {}
        number = _first_number(text)
        if number is not None and re.search(r"\byears?\b", text, re.I):
            number *= 12
        elif re.search(r"\ba year\b", text, re.I):
            number = 12
        return {"months_service": number if number is not None else text}

    async def extract_modules(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = self._answering(tracker, "modules")
        if text is None:
            return {}
        intent = tracker.latest_message.get("intent", {}).get("name")
        number = _first_number(text)
        if number is not None:
            return {"modules": number}
        if intent == "affirm" or _YES.search(text):
            return {"modules": 3}
        if intent == "deny" or _NO.search(text):
            return {"modules": 0}
        return {"modules": text}

    # -- validation: a polite re-ask, never a crash ---------------------------------------------
    def validate_age(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        age = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        if age is None or not 14 <= age <= 90:
            dispatcher.utter_message(response="utter_invalid_age")
            return {"age": None}
        return {"age": int(age)}

    def validate_qualification(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if isinstance(value, str) and value.startswith("level-"):
            return {"qualification": value}
        found = advisor().kb.find_qualification(str(value))
        if found is None:
            dispatcher.utter_message(response="utter_invalid_qualification")
            return {"qualification": None}
        return {"qualification": found.id}

    def validate_subject(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        found = advisor().kb.find_subject(str(value))
        return {"subject": found.id if found else "other"}

    def validate_jurisdiction(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        found = advisor().kb.find_jurisdiction(str(value))
        if found is None:
            dispatcher.utter_message(response="utter_invalid_jurisdiction")
        return {"jurisdiction": found}

    def validate_months_service(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 600:
            return {"months_service": int(value)}
        dispatcher.utter_message(response="utter_invalid_months")
        return {"months_service": None}

    def validate_modules(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 4:
            return {"modules": int(value)}
        dispatcher.utter_message(response="utter_invalid_modules")
        return {"modules": None}


class ActionPlanRoute(Action):
    """Gives the plan for what the person has told us (after the form, or whenever they add
    or change a detail)."""

    def name(self) -> Text:
        return "action_plan_route"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        try:
            adv = advisor()
            profile, events = profile_with_message(tracker)
            place = profile.jurisdiction
            if place is not None and adv.kb.find_jurisdiction(place) is None:
                # a typed or stale button payload can name any place; Rasa has already put it
                # in the slot, so it is taken out again or every later plan would fail on it
                send(dispatcher, unknown_place(adv, place))
                return events + [SlotSet("jurisdiction", None)]
            if place is not None:
                profile = dataclasses.replace(profile, jurisdiction=adv.kb.find_jurisdiction(place))
            plan = adv.planner.plan(profile)
            send(
                dispatcher,
                adv.describe_plan(plan, profile),
                timeline=timeline(adv.kb, plan, profile),
            )
        except KnowledgeUnavailable as error:
            return unavailable(dispatcher, error)
        return events + [SlotSet("topic", "plan")]


def unknown_place(adv: Advisor, name: str) -> Answer:
    """Like an unknown role: say which places the knowledge base covers, and offer each."""
    covered = adv.covered_places()
    names = [place for _, place in covered]
    listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
    answer = Answer(
        f"I don't know about the place \"{name}\". I cover {listed}.", kind="unknown", topic="plan"
    )
    return answer.suggest(
        *(
            Suggestion.ask(f"Plan my route in {place}", "inform", jurisdiction=jid)
            for jid, place in covered
        )
    )
