"""Actions that answer a question: read the intent, role and place, ask the advisor, send."""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.knowledge_access import advisor
from actions.render import send
from knowledge import bank
from knowledge.advice import ROLE_TOPICS, Advisor
from knowledge.answer import Answer, Suggestion
from knowledge.loader import UnitSpec
from knowledge.queries import KnowledgeUnavailable

logger = logging.getLogger(__name__)

# Questions that, asked with personal details, are really "what is my route?".
PERSONAL_TOPICS = ("entry", "route", "skip_pso", "time_to_qualify")

# Retrieval scores (see `make eval` for how they were set): at or above ANSWER the best unit is
# the answer; below it the bot says it does not have that and offers the nearest units.
ANSWER = 0.52
# Mid-conversation, an "off-topic" message this close to a unit is a follow-up the classifier
# misread: it gets the answer or the nearest questions.
NEAR = 0.42
# The unit that means "plan my route"; a plan-like message whose best unit is another one, this
# much above the threshold, is answered instead of starting the planner.
PLAN_UNIT = "plan-my-route"
PLAN_MARGIN = 0.1
# The classifier's "own probation order" and "off-topic" win over a retrieved answer scoring
# less than this much above the threshold: it takes "I'm a nurse, would my experience count?" for
# someone's own order, and a follow-up such as "how long would that take me?" for off-topic.
DIALOGUE_ACT_MARGIN = {"own_probation": 0.15, "out_of_scope": 0.05}
# The entity that answers each question the route planner asks.
FORM_ENTITY = {
    "qualification": "qualification",
    "subject": "subject",
    "age": "age",
    "months_service": "months",
    "jurisdiction": "jurisdiction",
}
# An honest edge: a fact that opens by saying no source gives what is asked
_HAS_NOTHING = re.compile(r"we (?:have|found|hold|know of) no\b", re.I)
# A person saying they are under supervision themselves, not on a job's probationary period
_SAYS_ON_PROBATION = re.compile(
    r"\b(?:i'?m|im|i am)\s+(?:\w+\s+)?on\s+(?:probation|licence|license|parole)\b"
    r"(?!\s+(?:at work|in (?:my|the|a) (?:job|post|role)|period))",
    re.I,
)
# Words that carry no question of their own in a follow-up ("and in London?").
_FOLLOW_UP_WORDS = frozenset(
    "and what about how for in a an the one ones there then that those them of at with as is are "
    "it if so ok okay too also same but or please instead kind thing things like does do they "
    "have work works way here over true apply applies rules".split()
)


AGE_TOPICS = frozenset({"minimum_age", "maximum_age", "age"})
# A message that asks whether an age is allowed ("at 19", "too old", "old enough")
_AGE_QUESTION = re.compile(
    r"\b(?:at|aged?)\s+\d{2}\b|\btoo\s+(?:old|young)\b|\b(?:old|young)\s+enough\b|"
    r"\bage\s+(?:limit|requirement|restriction)|\b(?:minimum|maximum|upper|lower)\s+age\b|"
    r"\bhow\s+old\b",
    re.I,
)


# A question whose answer is a number or a time ("how many", "what time", "how much exactly"),
# when one of its sentences opens with it (within its first words), not "it doesn't say how many
# credits" in passing
_WANTS_A_NUMBER = re.compile(
    r"(?:^|[.?!]\s+)\W*(?:\w+\s+){0,2}?(?:how many|how much|what percentage|what %|what time|"
    r"what day|which day|what date|how far|how long)\b",
    re.I,
)
# A count, a contact or a vacancy for one town, county or office ("how many beds does the
# approved premises in Bedford have?", "the phone number of the Plymouth office"): a fact for the
# whole country does not answer it
_LOCAL_DETAIL = re.compile(
    r"\b(?:how many|phone|telephone|number for|e-?mail|address|contact|vacanc\w*|hiring|"
    r"recruiting|taking on|nice place|good place|managers?)\b",
    re.I,
)
# Names of a whole country or state, not one place in it
_NATIONAL = frozenset(
    "uk|u.k.|united kingdom|britain|great britain|british|welsh|cymru|us|u.s.|usa|u.s.a.|america|"
    "american|united states|the states|the us|the usa|hmpps|hm prison and probation service".split(
        "|"
    )
)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
    r"thirty|forty|fifty|half|dozen|hundred|thousand|million|once|twice|weekly|monthly|daily|"
    r"annual|annually)\b",
    re.I,
)


def _asks_about_age(found: dict, units: dict) -> bool:
    """Whether the nearest units, though none is sure enough to answer alone, are about age."""
    near = [units.get(r.get("unit")) for r in (found.get("ranking") or [])[:2]]
    return any(u is not None and (u.topic in AGE_TOPICS or u.answer == "age") for u in near)


def unavailable(dispatcher: CollectingDispatcher, error: Exception) -> List[Dict[Text, Any]]:
    logger.error("knowledge base unavailable: %s", error)
    dispatcher.utter_message(
        text="Sorry, I can't reach my knowledge base just now, so I can't "
        "answer that reliably. Please try again in a minute."
    )
    return []


def _localities(adv: Advisor, tracker: Tracker) -> list[str]:
    """The towns, counties and regions the message names ("Bedford", "Cook County"), as opposed
    to a country or state, whose facts the knowledge base holds."""
    found = []
    for entity in context.entities(tracker, "jurisdiction"):
        text = str(entity.get("text") or "").strip()
        value = entity.get("value")
        if not text or not isinstance(value, str) or adv.kb.find_jurisdiction(value) is None:
            continue
        name = adv.kb.jurisdiction_name(value).lower()
        said = text.lower()
        if said in _NATIONAL or len(said) <= 3 or name.startswith(said[:4]):
            continue  # "England", "TX", "Scottish", "Texan": the place itself
        found.append(text)
    return found


def _same_topic_there(
    adv: Advisor, units: dict, found: dict, previous: UnitSpec, place: Any
) -> UnitSpec | None:
    """The fact on the previous fact's topic that holds in `place` (or, failing that, in the
    country it is part of): "and here in the UK?" after the US minimum age is the UK's. With
    several, the one retrieval ranked highest; none ranked, none chosen."""
    if previous.kind != "fact" or not previous.topic or not isinstance(place, str):
        return None
    ranked = {r.get("unit"): i for i, r in enumerate(found.get("ranking") or [])}
    for where in adv.kb.jurisdiction_chain(place):
        if where == previous.jurisdiction:
            return None  # the same place as before: nothing new to look up
        there = [
            u
            for u in units.values()
            if u.kind == "fact" and u.topic == previous.topic and u.jurisdiction == where
        ]
        if len(there) == 1:
            return there[0]
        if there:
            best = min(there, key=lambda u: ranked.get(u.id, len(ranked)))
            return best if best.id in ranked else None
    return None


class ActionAnswer(Action):
    """Every informational question takes this one path: the unit the NLU found (or the one a
    button names, or the previous one for a follow-up), rendered for the role and place asked
    about; below the retrieval threshold, an honest "I don't have that" with the nearest units."""

    decides_plan = False

    def name(self) -> Text:
        return "action_answer"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        try:
            return self._run(dispatcher, tracker)
        except KnowledgeUnavailable as error:
            return unavailable(dispatcher, error)

    def _run(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        requested = tracker.get_slot("requested_slot")
        if (tracker.active_loop or {}).get("name") == "route_form" and context.entities(
            tracker, FORM_ENTITY.get(requested, "")
        ):
            return []  # "I have A levels" while the planner asks for it: the planner's answer
        adv = advisor()
        message = tracker.latest_message
        answer: Answer | None
        intent = message.get("intent", {}).get("name")
        confidence = message.get("intent", {}).get("confidence") or 0.0
        found = message.get("retrieval")
        about = self._subject(adv, tracker)
        details = context.personal_details(tracker)
        events = [SlotSet(slot, value) for slot, value in details.items()]
        units = bank.units()

        if about.unknown_place:
            # "what does a PO earn in Ontario?": England's figure would be a confident wrong answer
            typed = context.entities(tracker, context.UNKNOWN_PLACE)
            place = typed[0].get("text") if typed else None
            answer = adv.unknown_place(place or about.unknown_place)
            return self._send(dispatcher, tracker, answer, None, about, events)
        named = context.entity_values(tracker, "unit")
        if named:  # a suggestion's button
            unit = units.get(named[0])
            answer = self._render(adv, tracker, unit, about, details) if unit else None
            answer = answer or adv.unknown("that answer", about.jurisdiction)
            return self._send(dispatcher, tracker, answer, unit, about, events)
        if (
            intent == "what_about"
            and units.get(tracker.get_slot("unit") or "") is None
            and tracker.get_slot("topic")
        ):
            # "what about in Scotland?" after an answer that came from a topic, not a unit
            topic = tracker.get_slot("topic") or ("region" if about.jurisdiction else "overview")
            if topic == "plan" or topic in ROLE_TOPICS or hasattr(adv, f"_{topic}"):
                answer = self._topic(adv, tracker, topic, about, details)
                return self._send(dispatcher, tracker, answer, None, about, events)
        if found is None and self.decides_plan:  # the "Plan my route" button
            return events + [SlotSet("wants_plan", True)]
        if found is None:  # a typed "/ask_question" naming no unit
            return self._send(
                dispatcher, tracker, self._abstain(adv, tracker, [], about), None, about, events
            )

        found = self._in_context(adv, tracker, found, units)
        score = found.get("score") or 0.0
        if self.decides_plan:
            best = _unit(units, found)
            # details about the person ("I've been a PSO for 4 months, can I apply?") make the
            # answer theirs: the planner works from them and asks only what is still missing
            text = tracker.latest_message.get("text") or ""
            local = bool(_LOCAL_DETAIL.search(text) and _localities(adv, tracker))
            # "the phone number of the Plymouth office? I want to ask about volunteering" wants
            # a contact, which the bot does not hold, not a route plan
            if not local and (
                best is None or best.id == PLAN_UNIT or score < ANSWER + PLAN_MARGIN or details
            ):
                return events + [SlotSet("wants_plan", True)]  # the planner asks next
            events.append(SlotSet("wants_plan", False))
        follow = self._follow_up(adv, tracker, units, found, about, intent)
        if follow is not None:
            answer = self._render(adv, tracker, follow, about, details)
            if answer is not None:
                return self._send(dispatcher, tracker, answer, follow, about, events)
        margin = DIALOGUE_ACT_MARGIN.get(intent, 0.0)
        if intent == "own_probation" and _SAYS_ON_PROBATION.search(
            tracker.latest_message.get("text") or ""
        ):
            # "I'm on probation in Ohio, can I drive to Michigan?" names two states whose facts
            # score well; the person has said the question is about their own order
            margin = 1.0
        mid_conversation = bool(tracker.get_slot("unit") or tracker.get_slot("topic"))
        if intent == "out_of_scope" and mid_conversation:
            margin = 0.0  # mid-conversation, "how long would that take me?" is a follow-up
        # "who would actually employ me then?" after a question about Texas is no request to
        # leave the subject: it gets the answer, or the honest "I don't have that" with the
        # nearest questions, never "I can only help with careers in probation"
        misread_follow_up = intent == "out_of_scope" and mid_conversation and score >= NEAR
        if (
            not misread_follow_up
            and intent in DIALOGUE_ACT_MARGIN
            and confidence >= 0.5
            and score < ANSWER + margin
        ):
            dispatcher.utter_message(response=f"utter_{intent}")
            return events
        parts = [p for p in found.get("parts") or [] if p.get("unit") in units]
        if len(parts) >= 2:
            answers = [
                a
                for a in (self._render_part(adv, tracker, units, part, details) for part in parts)
                if a is not None
            ]
            if answers:
                return self._send(
                    dispatcher, tracker, _joined(answers), units[parts[-1]["unit"]], about, events
                )
        text = tracker.latest_message.get("text") or ""
        if details.get("age") and _AGE_QUESTION.search(text):
            # "can you be a probation officer at 19 in America?": their age against the rule where
            # they want to work, whatever unit the words were nearest
            answer = adv.age_for(int(details["age"]), about.role, about.jurisdiction)
            return self._send(dispatcher, tracker, answer, None, about, events)
        unit = _unit(units, found)
        age = details.get("age")
        if unit is not None and score >= ANSWER and age and about.role:
            if adv.age_rules_out(int(age), about.role, about.jurisdiction):
                # "I'm 40 with a degree and want to be a federal probation officer": the
                # entry-level fact is near, but their age is what decides
                answer = adv.age_for(int(age), about.role, about.jurisdiction)
                return self._send(dispatcher, tracker, answer, None, about, events)
        if unit is not None and score >= ANSWER:
            answer = self._render(adv, tracker, unit, about, details)
            runner_up = self._runner_up(units, found, unit, about.role)
            if answer is not None and answer.kind == "unknown" and runner_up is not None:
                # "what grade are federal probation officers hired at?": the bands' answer has
                # nothing for them, and the federal grades fact just behind it does; one that
                # says it has nothing either ("no current salary figure") would only change
                # the subject
                instead = self._render(adv, tracker, runner_up, about, details)
                if instead is not None and not _HAS_NOTHING.match(instead.text):
                    unit, answer = runner_up, instead
            if (
                answer is not None
                and unit.kind == "fact"
                and _WANTS_A_NUMBER.search(text)
                and not _NUMBER.search(answer.text)
            ):
                # "what time does the Cardiff office open?" answered with a fact that holds no
                # number at all is a neighbour's answer: say so, and offer it among the nearest
                answer = None
            if (
                answer is not None
                and (unit.kind == "fact" or "place" in unit.params)
                and _LOCAL_DETAIL.search(text)
                and any(
                    place.lower() not in answer.text.lower() for place in _localities(adv, tracker)
                )
            ):
                answer = None  # a national fact for one town's figure or contact
            if answer is not None:
                self._suggest_neighbours(answer, units, found, unit, about, adv)
                return self._send(dispatcher, tracker, answer, unit, about, events)
        if details.get("age") and _asks_about_age(found, units):
            # "I'm 20, is that too young for a deputy probation officer in LA?": their age against
            # the rule where they want to work, not a whole route plan
            answer = adv.age_for(int(details["age"]), about.role, about.jurisdiction)
            return self._send(dispatcher, tracker, answer, None, about, events)
        if details and about.role and not about.unknown_role:
            # "I'm 40 with a degree and want to be a federal probation officer": no question in
            # the bank, but a plan for this person is the answer they want
            answer = self._topic(adv, tracker, "route", about, details)
            return self._send(dispatcher, tracker, answer, None, about, events)
        nearest = [units[r["unit"]] for r in found.get("ranking", []) if r.get("unit") in units]
        return self._send(
            dispatcher, tracker, self._abstain(adv, tracker, nearest, about), None, about, events
        )

    def _render_part(
        self, adv: Advisor, tracker: Tracker, units: dict, part: dict, details: dict
    ) -> Answer | None:
        """One half of a two-question message, with the same fallback as a whole message: an
        answer with nothing for the role gives way to that role's own fact just behind it."""
        about = self._subject(adv, tracker, part.get("entities"))
        unit = units[part["unit"]]
        answer = self._render(adv, tracker, unit, about, details)
        runner_up = self._runner_up(units, part, unit, about.role)
        if answer is not None and answer.kind == "unknown" and runner_up is not None:
            answer = self._render(adv, tracker, runner_up, about, details)
        return answer

    @staticmethod
    def _runner_up(units: dict, found: dict, best: UnitSpec, role: str | None) -> UnitSpec | None:
        """The next unit, when it is a fact about the very role asked about and sure enough to
        answer by itself; a fact about other roles would be a neighbour's answer."""
        for entry in (found.get("ranking") or [])[1:2]:
            unit = units.get(entry.get("unit"))
            if (
                unit is not None
                and unit.id != best.id
                and unit.kind == "fact"
                and role is not None
                and role in unit.roles
                and (entry.get("score") or 0) >= ANSWER
            ):
                return unit
        return None

    # -- what the question is about --------------------------------------------------------------
    @staticmethod
    def _subject(adv: Advisor, tracker: Tracker, entities: list | None = None) -> context.Subject:
        about = context.subject(tracker, entities)
        for named in (about.role, about.other_role):
            if named and adv.kb.find_role(named) is None:
                # a button payload can carry any role id (a stale or hand-made one): say we don't
                # know it rather than answer for the topic's default role
                return dataclasses.replace(about, role=None, other_role=None, unknown_role=named)
        if about.jurisdiction and adv.kb.find_jurisdiction(about.jurisdiction) is None:
            # the same for a place: `/ask_question{"jurisdiction": "mars"}`
            return dataclasses.replace(about, jurisdiction=None, unknown_place=about.jurisdiction)
        return about

    @staticmethod
    def _in_context(adv: Advisor, tracker: Tracker, found: dict, units: dict) -> dict:
        """ "Do they carry guns?" after a question about federal officers: a message that names
        no role or place is re-ranked for the role and place the conversation is about, so the
        federal firearms fact beats the England and Wales default."""
        if context.entities(tracker, "role") or context.entities(tracker, "jurisdiction"):
            return found
        role, place = tracker.get_slot("role"), tracker.get_slot("jurisdiction")
        if not role and not place:
            return found
        role_view = adv.kb.find_role(role) if role else None
        exact = adv.kb.find_jurisdiction(place) if place else None
        top = adv.kb.jurisdiction_chain(exact)[-1] if exact else None
        if top is None and role_view is not None:
            top = adv.kb.jurisdiction_chain(role_view.jurisdiction)[-1]
        places, places_top = ({exact} if exact else set()), ({top} if top else set())
        roles = {role_view.id} if role_view else set()
        misfit = bank.Misfit()
        ranking = []
        for entry in found.get("ranking", []):
            unit = units.get(entry.get("unit"))
            if unit is None or "fit" not in entry:
                continue
            where = unit.jurisdiction
            where_top = adv.kb.jurisdiction_chain(where)[-1] if where else None
            score = (
                entry["score"]
                - entry["fit"]
                + misfit(
                    where,
                    where_top,
                    unit.roles,
                    unit.params,
                    places,
                    places_top,
                    roles,
                    carried=True,
                )
            )
            ranking.append({**entry, "score": round(score, 4)})
        if not ranking:
            return found
        ranking.sort(key=lambda e: -e["score"])
        return {
            **found,
            "unit": ranking[0]["unit"],
            "score": ranking[0]["score"],
            "ranking": ranking,
        }

    @staticmethod
    def _follow_up(
        adv: Advisor,
        tracker: Tracker,
        units: dict,
        found: dict,
        about: context.Subject,
        intent: str | None,
    ) -> UnitSpec | None:
        """ "And in London?", "what about a senior one?": the previous unit again, for the role
        or place this message names, when the message asks nothing else; "is it the same in
        Scotland?" after a fact about England: the fact on the same topic for that place."""
        previous = units.get(tracker.get_slot("unit") or "")
        if previous is None:
            return None
        named = context.entities(tracker, "role") + context.entities(tracker, "jurisdiction")
        if not named and intent != "what_about":
            return None
        text = tracker.latest_message.get("text") or ""
        for entity in sorted(named, key=lambda e: -(e.get("start") or 0)):
            if isinstance(entity.get("start"), int) and isinstance(entity.get("end"), int):
                text = text[: entity["start"]] + " " + text[entity["end"] :]
        rest = [w for w in re.findall(r"[a-z']+", text.lower()) if w not in _FOLLOW_UP_WORDS]
        if len(rest) > 1:
            return None
        kinds = {"role" if e.get("entity") == "role" else "place" for e in named}
        if not kinds <= set(previous.params):
            # "and Northern Ireland?" after a fact that only holds in Scotland: the fact on the
            # same topic there, or else another unit's answer, which retrieval found with the
            # previous question in mind
            places = [e.get("value") for e in named if e.get("entity") == "jurisdiction"]
            if kinds == {"place"} and not rest:
                return _same_topic_there(adv, units, found, previous, places[0])
            return None
        if rest and found.get("score", 0) >= ANSWER and found.get("unit") != previous.id:
            return None
        return previous

    # -- rendering -------------------------------------------------------------------------------
    def _render(
        self, adv: Advisor, tracker: Tracker, unit: UnitSpec, about: context.Subject, details: dict
    ) -> Answer | None:
        if unit.kind == "fact":
            answer = adv.fact_unit(unit.fact or unit.id)
            if answer is not None:
                answer.unit = unit.id
            return answer
        answer = self._topic(adv, tracker, unit.answer or "overview", about, details)
        answer.unit = unit.id
        return answer

    def _topic(
        self, adv: Advisor, tracker: Tracker, topic: str, about: context.Subject, details: dict
    ) -> Answer:
        if topic == "plan":
            place = about.jurisdiction or tracker.get_slot("jurisdiction")
            return adv.plan(
                dataclasses.replace(context.profile(tracker), **details, jurisdiction=place)
            )
        if about.unknown_role and topic in ROLE_TOPICS:
            return adv.unknown_role(about.unknown_role)
        if topic == "age":
            # "I'm 19, do I have to wait?" is about their age, whatever else they have said
            age = details.get("age") or tracker.get_slot("age")
            return (
                adv.age_for(int(age), about.role, about.jurisdiction)
                if age
                else adv.answer(topic, about.role, about.jurisdiction, about.other_role)
            )
        if topic in PERSONAL_TOPICS and (details or self._has_background(tracker)):
            # "I'm 40 with a degree, what do I need...": answer for this person, not in general
            profile = dataclasses.replace(context.profile(tracker), **details)  # slot = field name
            if about.jurisdiction:
                profile = dataclasses.replace(profile, jurisdiction=about.jurisdiction)
            named = [
                e.get("value") for e in context.entities(tracker, "role") if e.get("role") is None
            ]
            if named and topic != "skip_pso":  # a role named now, not one carried from before
                profile = dataclasses.replace(profile, target=named[0])
            answer = (
                adv.skip_pso_for(profile) if topic == "skip_pso" else adv.plan(profile, brief=True)
            )
            answer.topic = topic if topic == "skip_pso" else answer.topic
            return answer
        return adv.answer(topic, about.role, about.jurisdiction, about.other_role)

    @staticmethod
    def _has_background(tracker: Tracker) -> bool:
        return any(
            tracker.get_slot(s) is not None for s in ("qualification", "subject", "current_role")
        )

    def _suggest_neighbours(
        self,
        answer: Answer,
        units: dict,
        found: dict,
        unit: UnitSpec,
        about: context.Subject,
        adv: Advisor,
    ) -> None:
        """After a specific fact, offer the next nearest questions the bank can answer."""
        if answer.suggestions:
            return
        role_name = self._role_name(adv, about.role)
        for ranked in found.get("ranking", [])[1:]:
            other = units.get(ranked.get("unit"))
            if other is not None and other.id != unit.id:
                answer.suggest(_unit_suggestion(other, about.role, role_name), limit=2)

    def _abstain(
        self, adv: Advisor, tracker: Tracker, nearest: list, about: context.Subject
    ) -> Answer:
        if about.unknown_role:  # "what band is an astronaut?"
            return adv.unknown_role(about.unknown_role)
        answer = Answer(
            "Sorry, I don't have an answer to that in what I know about probation "
            "careers, so I won't guess.",
            kind="unknown",
            topic="abstain",
        )
        role_name = self._role_name(adv, about.role)
        offered = [_unit_suggestion(u, about.role, role_name) for u in nearest[:3]]
        if offered:
            answer.text += " These are the nearest questions I can answer:"
            answer.suggest(*offered, limit=3)
        else:
            answer.suggest(*adv._menu())
        return answer

    @staticmethod
    def _role_name(adv: Advisor, role: str | None) -> str | None:
        view = adv.kb.find_role(role) if role else None
        return Advisor.short(view) if view else None

    @staticmethod
    def _send(
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        answer: Answer,
        unit: UnitSpec | None,
        about: context.Subject,
        events: list,
    ) -> List[Dict[Text, Any]]:
        send(dispatcher, answer)
        events.append(SlotSet("topic", answer.topic))
        if answer.kind != "unknown" or unit is not None:
            events.append(SlotSet("unit", unit.id if unit else None))
        if answer.role:
            events.append(SlotSet("role", answer.role))
        elif tracker.get_slot("role") and (
            about.unknown_role or answer.kind == "unknown" and about.role is None
        ):
            events.append(SlotSet("role", None))  # so the unknown role is not carried over
        if about.jurisdiction != tracker.get_slot("jurisdiction") or answer.jurisdiction:
            events.append(SlotSet("jurisdiction", answer.jurisdiction or about.jurisdiction))
        return events


class ActionPlanOrAnswer(ActionAnswer):
    """ "Plan my route"-like messages: sets `wants_plan`, which the rules follow into the route
    planner, unless the message asked something the bank answers by itself ("how do I become a
    PO in Glasgow?"), which is answered at once. A separate action because Rasa's rules require
    an action to set the same slots wherever it runs."""

    decides_plan = True

    def name(self) -> Text:
        return "action_plan_or_answer"


def _unit_suggestion(unit: UnitSpec, role: str | None, role_name: str | None) -> Suggestion:
    return Suggestion.unit(
        bank.title(unit, role_name), unit.id, role=role if "role" in unit.params else None
    )


def _unit(units: dict[str, UnitSpec], found: dict) -> UnitSpec | None:
    """The unit the retrieval found, if the bank has it."""
    name = found.get("unit")
    return units.get(name) if isinstance(name, str) else None


def _joined(answers: list[Answer]) -> Answer:
    """Two questions in one message: both answers, in order, under one source line."""
    first = answers[0]
    for other in answers[1:]:
        first.text += "\n\n" + other.text
        first.cite(*other.citations)
    first.suggestions = []
    return first
