"""The route-planner form: it asks only for what is missing and re-asks politely."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.route_plan import ActionPlanRoute, ValidateRouteForm
from tests.actions.conftest import run


def required(tracker):
    return asyncio.run(ValidateRouteForm().required_slots([], CollectingDispatcher(), tracker, {}))


def test_it_asks_for_the_qualification_first_when_it_knows_nothing(say):
    assert required(say("how do I become a probation officer?", "plan_route")) == ["qualification"]


def test_it_asks_for_the_subject_of_a_degree(say):
    assert required(say("I have a degree", "inform", {"qualification": "bachelors-degree"})) == ["subject"]


def test_it_asks_nothing_when_the_message_holds_enough(say):
    tracker = say("can I become a PO with a criminology degree?", "plan_route",
                  {"qualification": "bachelors-degree", "subject": "criminology"})
    assert required(tracker) == []


def test_a_serving_pso_is_asked_for_their_service(say):
    assert required(say("I'm a PSO, how do I become a PO?", "plan_route")) == ["months_service"]


@pytest.mark.parametrize("text", ["banana", "300", "-4", "", "🙂", "a" * 10000])
def test_a_silly_age_gets_a_polite_re_ask(say, text):
    form = ValidateRouteForm()
    tracker = say(text, "inform", {"requested_slot": "age"}, active_loop="route_form")
    extracted = asyncio.run(form.extract_age(CollectingDispatcher(), tracker, {}))
    dispatcher = CollectingDispatcher()
    result = form.validate_age(extracted.get("age", text), dispatcher, tracker, {})
    assert result == {"age": None}
    assert dispatcher.messages[0]["response"] == "utter_invalid_age"


def test_a_real_age_is_accepted(say):
    form = ValidateRouteForm()
    tracker = say("I'm 24", "inform", {"requested_slot": "age"}, active_loop="route_form")
    extracted = asyncio.run(form.extract_age(CollectingDispatcher(), tracker, {}))
    value = extracted.get("age", 24)                 # the extractor's age entity fills it otherwise
    assert form.validate_age(value, CollectingDispatcher(), tracker, {}) == {"age": 24}


def test_a_question_in_the_middle_is_not_taken_as_an_answer(say):
    tracker = say("what band is a PSO?", "ask_question", {"requested_slot": "qualification"},
                  active_loop="route_form")
    assert asyncio.run(ValidateRouteForm().extract_qualification(CollectingDispatcher(), tracker, {})) == {}


@pytest.mark.parametrize("text,expected", [("Level 3", "level-3"), ("none", "level-1"),
                                           ("A levels", "a-levels")])
def test_qualifications_in_words(say, text, expected):
    form = ValidateRouteForm()
    tracker = say(text, "inform", {"requested_slot": "qualification"}, active_loop="route_form")
    extracted = asyncio.run(form.extract_qualification(CollectingDispatcher(), tracker, {}))
    value = extracted.get("qualification") or tracker.latest_message["entities"][0]["value"]
    assert form.validate_qualification(value, CollectingDispatcher(), tracker, {}) == {"qualification": expected}


def test_an_unknown_qualification_is_re_asked(say):
    form = ValidateRouteForm()
    dispatcher = CollectingDispatcher()
    assert form.validate_qualification("a certificate in juggling", dispatcher, None, {}) == {"qualification": None}
    assert dispatcher.messages[0]["response"] == "utter_invalid_qualification"


def test_the_plan_for_a_pso_with_eight_months(say):
    tracker = say("I'm a PSO and I've been in post for 8 months", "inform",
                  {"months_service": 8, "qualification": "a-levels"})
    messages, slots = run(ActionPlanRoute(), tracker)
    assert slots["current_role"] == "pso"
    assert "internal" in messages[0]["text"].lower() and "15" in messages[0]["text"]


def test_the_plan_for_a_scottish_graduate(say):
    tracker = say("I live in Scotland", "inform", {"jurisdiction": "scotland",
                                                   "qualification": "social-work-degree"})
    messages, _ = run(ActionPlanRoute(), tracker)
    assert "SSSC" in messages[0]["text"]


def test_a_payload_naming_an_unknown_place_is_answered_as_unknown(say):
    # Rasa fills the slot from the payload's entity before the action runs
    tracker = say('/inform{"jurisdiction": "mars"}', "inform", {"jurisdiction": "mars"},
                  entities=[{"entity": "jurisdiction", "value": "mars"}])
    messages, slots = run(ActionPlanRoute(), tracker)
    assert messages[0]["text"].startswith('I don\'t know about the place "mars". I cover England')
    assert "Scotland" in messages[0]["text"]
    assert '/inform{"jurisdiction": "scotland"}' in [b["payload"] for b in messages[0]["buttons"]]
    assert slots["jurisdiction"] is None


def test_a_payload_naming_a_place_by_its_name_plans_for_that_place(say):
    tracker = say('/inform{"jurisdiction": "Scotland"}', "inform", {"jurisdiction": "Scotland"},
                  entities=[{"entity": "jurisdiction", "value": "Scotland"}])
    messages, slots = run(ActionPlanRoute(), tracker)
    assert "social work" in messages[0]["text"].lower()
    assert slots["topic"] == "plan"
