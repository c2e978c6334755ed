"""Actions that answer a question: read the intent, role and place, ask the advisor, send."""
from __future__ import annotations

import dataclasses
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.knowledge_access import advisor
from actions.render import send
from knowledge.advice import INTENT_TOPICS, ROLE_TOPICS
from knowledge.answer import Answer, Suggestion
from knowledge.queries import KnowledgeUnavailable

logger = logging.getLogger(__name__)

# Questions that, asked with personal details, are really "what is my route?".
PERSONAL_TOPICS = ("entry", "skip_pso", "age", "time_to_qualify")

# How each intent is offered back when we are unsure what someone meant.
CLARIFY_TITLES = {
    "ask_role": "What the job involves", "ask_band": "Bands and grades", "ask_pay": "Pay",
    "ask_entry": "Entry requirements", "ask_skip_pso": "Skipping the PSO stage",
    "ask_pqip": "PQiP training", "ask_modules": "The knowledge modules",
    "ask_time_to_qualify": "How long it takes", "ask_age": "Age limits",
    "ask_criminal_record": "Criminal records", "ask_checks": "Vetting and checks",
    "ask_driving": "Driving licences", "ask_region": "Scotland, Northern Ireland and the US",
    "ask_outlook": "Job prospects", "ask_parole_vs_probation": "Parole or probation",
    "ask_progression": "Career progression", "ask_related": "Related careers",
    "ask_skills": "Skills needed", "ask_day_to_day": "Day-to-day work", "ask_caseload": "Caseloads",
    "ask_compare": "Comparing roles", "ask_application": "How to apply",
    "ask_history": "Older qualifications", "ask_apprenticeship": "The apprenticeship",
    "ask_registration": "Registration", "ask_welsh": "Welsh language",
    "plan_route": "Plan my route into probation",
}


def unavailable(dispatcher: CollectingDispatcher, error: Exception) -> List[Dict[Text, Any]]:
    logger.error("knowledge base unavailable: %s", error)
    dispatcher.utter_message(text="Sorry, I can't reach my knowledge base just now, so I can't "
                                  "answer that reliably. Please try again in a minute.")
    return []


class ActionAnswer(Action):
    def name(self) -> Text:
        return "action_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        try:
            return self._run(dispatcher, tracker)
        except KnowledgeUnavailable as error:
            return unavailable(dispatcher, error)

    def _run(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        adv = advisor()
        intent = tracker.latest_message.get("intent", {}).get("name")
        about = context.subject(tracker, adv.kb.names("role"))
        for named in (about.role, about.other_role):
            if named and adv.kb.find_role(named) is None:
                # a button payload can carry any role id (a stale or hand-made one): say we don't
                # know it rather than answer for the topic's default role
                about = dataclasses.replace(about, role=None, other_role=None, unknown_role=named)
                break
        if intent == "what_about":
            topic = tracker.get_slot("topic") or ("region" if about.jurisdiction else "overview")
        else:
            topic = INTENT_TOPICS.get(intent, "overview")

        details = context.personal_details(tracker)
        events = [SlotSet(slot, value) for slot, value in details.items()]
        if topic == "plan":
            # "what about in Scotland?" after a plan: the same person's plan for that place
            place = about.jurisdiction or tracker.get_slot("jurisdiction")
            answer = adv.plan(dataclasses.replace(context.profile(tracker), **details,
                                                  jurisdiction=place))
        elif about.unknown_role and topic in ROLE_TOPICS:
            answer = adv.unknown_role(about.unknown_role)
        elif topic in PERSONAL_TOPICS and (details or (topic == "skip_pso" and self._has_background(tracker))):
            # "I'm 40 with a degree, what do I need...": answer for this person, not in general
            profile = dataclasses.replace(context.profile(tracker), **details)  # slot = field name
            if about.role and topic != "skip_pso":
                profile = dataclasses.replace(profile, target=about.role)
            answer = adv.skip_pso_for(profile) if topic == "skip_pso" else adv.plan(profile)
        else:
            answer = adv.answer(topic, about.role, about.jurisdiction, about.other_role)
        send(dispatcher, answer)
        events.append(SlotSet("topic", answer.topic))
        if answer.role:
            events.append(SlotSet("role", answer.role))
        elif tracker.get_slot("role") and adv.kb.find_role(tracker.get_slot("role")) is None:
            events.append(SlotSet("role", None))     # so the unknown role is not carried over
        if about.jurisdiction != tracker.get_slot("jurisdiction") or answer.jurisdiction:
            events.append(SlotSet("jurisdiction", answer.jurisdiction))
        return events

    @staticmethod
    def _has_background(tracker: Tracker) -> bool:
        return any(tracker.get_slot(s) is not None for s in ("qualification", "subject", "current_role"))


class ActionClarify(Action):
    """A message we did not understand well enough: offer the likeliest topics."""

    def name(self) -> Text:
        return "action_clarify"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        likely = [r["name"] for r in ranking if r.get("name") in CLARIFY_TITLES][:3]
        for fallback in ("plan_route", "ask_pay", "ask_entry"):
            if len(likely) < 3 and fallback not in likely:
                likely.append(fallback)
        answer = Answer("Sorry, I'm not sure what you mean. Did you want to know about one of these?",
                        kind="clarify")
        role = tracker.get_slot("role")
        answer.suggest(*[Suggestion.ask(CLARIFY_TITLES[i], i, role=role if i in ("ask_pay", "ask_band", "ask_role") else None)
                         for i in likely])
        send(dispatcher, answer)
        return []
