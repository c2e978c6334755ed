"""What a person sees from action_answer."""
from __future__ import annotations

import re

from actions.answers import ANSWER, ActionAnswer, ActionPlanOrAnswer
from tests.actions.conftest import run


def test_what_band_is_a_pso(say):
    messages, slots = run(ActionAnswer(), say("what band is a PSO?", "ask_question"))
    text = messages[0]["text"]
    assert text.startswith("A probation services officer (PSO) is Band 3.")
    assert "\nSource: " in text and "2023" in text
    assert 2 <= len(messages[0]["buttons"]) <= 4
    assert all(b["payload"].startswith("/") for b in messages[0]["buttons"])
    assert slots["role"] == "pso" and slots["topic"] == "band"
    assert messages[0]["answer"]["sources"][0]["url"].startswith("http")


def test_the_role_carries_over_to_a_follow_up(say):
    messages, slots = run(ActionAnswer(), say("and how much do they earn?", "ask_question",
                                              {"role": "pso", "topic": "band"}))
    assert "PSO" in messages[0]["text"] and "£" in messages[0]["text"]
    assert slots["role"] == "pso" and slots["topic"] == "pay"


def test_what_about_scotland_asks_the_same_question_there(say):
    first, slots = run(ActionAnswer(), say("what do I need to become a probation officer?",
                                           "ask_question"))
    assert slots["unit"] == "role-entry"
    messages, slots = run(ActionAnswer(), say("what about in Scotland?", "what_about", slots))
    text = messages[0]["text"].lower()
    assert "social work" in text and "sssc" in text
    assert slots["jurisdiction"] == "scotland"


def test_a_named_role_is_not_dragged_into_an_earlier_place(say):
    messages, _ = run(ActionAnswer(), say("what band is a PO?", "ask_question",
                                          {"jurisdiction": "scotland", "topic": "entry"}))
    assert "Band 4" in messages[0]["text"]


def test_skip_the_pso_stage_with_a_criminology_degree(say):
    tracker = say("can I skip the PSO stage with a criminology degree?", "ask_question",
                  {"qualification": "bachelors-degree", "subject": "criminology"})
    messages, _ = run(ActionAnswer(), tracker)
    text = messages[0]["text"]
    # the card's question: no "No." in front of "you don't have to work as a PSO first"
    assert text.startswith("You don't have to work as a PSO first")
    assert ("15 months" in text or "15-month" in text) and "criminology" in text.lower()
    assert "Source" in text


def test_skip_the_pso_stage_without_background_gives_the_general_rule(say):
    messages, _ = run(ActionAnswer(), say("do I have to be a PSO first?", "ask_question"))
    assert messages[0]["text"].startswith("You don't have to work as a PSO first")


def test_an_unknown_role_is_not_answered_with_a_guess(say):
    messages, slots = run(ActionAnswer(), say("what band is an astronaut?", "ask_question", {"role": "pso"}))
    assert "I don't know about the role \"astronaut\"" in messages[0]["text"]
    assert "Band" not in messages[0]["text"]


def test_an_unknown_role_in_a_button_payload_is_not_answered_as_another_role(say):
    # Rasa fills the role slot from the payload's entity before the action runs
    messages, slots = run(ActionAnswer(), say('/ask_band{"role": "astronaut"}', "ask_question",
                                              {"role": "astronaut"},
                                              entities=[{"entity": "role", "value": "astronaut"}]))
    assert "I don't know about the role \"astronaut\"" in messages[0]["text"]
    assert "Band" not in messages[0]["text"]
    assert slots["role"] is None


def test_an_unknown_second_role_is_not_compared(say):
    messages, _ = run(ActionAnswer(), say('/ask_compare{"role": "pso"}', "ask_question",
                                          entities=[{"entity": "role", "value": "pso"},
                                                    {"entity": "role", "value": "astronaut"}]))
    assert "I don't know about the role \"astronaut\"" in messages[0]["text"]


def test_a_missing_fact_gets_i_dont_have_that_and_where_to_look(say):
    messages, _ = run(ActionAnswer(), say("what band is a justice social worker?", "ask_question"))
    text = messages[0]["text"]
    assert "I don't have" in text and "won't guess" in text


def test_superseded_guidance_is_flagged_on_age(say):
    messages, _ = run(ActionAnswer(), say("what's the minimum age?", "ask_question"))
    text = messages[0]["text"]
    assert "18" in text and "20" in text and "out of date" in text.lower()


def test_compare_two_roles(say):
    messages, _ = run(ActionAnswer(), say("what's the difference between a PSO and a PO?", "ask_question"))
    assert "Band 3" in messages[0]["text"] and "Band 4" in messages[0]["text"]


def _found(unit: str, score: float, *others: str) -> dict:
    return {"unit": unit, "score": score,
            "ranking": [{"unit": unit, "score": score}] + [{"unit": o, "score": score - 0.1} for o in others]}


def test_a_specific_question_gets_its_specific_fact(say):
    tracker = say("do probation officers do home visits", "ask_question",
                  retrieval=_found("home-visits", ANSWER + 0.2, "pqip-paid-as-pso"))
    messages, slots = run(ActionAnswer(), tracker)
    text = messages[0]["text"]
    assert "home" in text.lower() and "\nSource: " in text
    assert slots["unit"] == "home-visits"


def test_below_the_threshold_the_bot_says_so_and_offers_the_nearest(say):
    tracker = say("what is the pass mark for the written exercise", "ask_question",
                  retrieval=_found("pqip-paid-as-pso", ANSWER - 0.1, "min-age", "home-visits"))
    messages, slots = run(ActionAnswer(), tracker)
    assert "I don't have an answer to that" in messages[0]["text"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[0] == '/ask_question{"unit": "pqip-paid-as-pso"}' and len(payloads) == 3
    assert slots.get("unit") is None


def test_a_suggestion_button_renders_its_unit(say):
    tracker = say('/ask_question{"unit": "min-age"}', "ask_question",
                  entities=[{"entity": "unit", "value": "min-age"}])
    messages, slots = run(ActionAnswer(), tracker)
    assert "18" in messages[0]["text"] and slots["unit"] == "min-age"


def test_a_follow_up_asks_the_previous_unit_for_the_new_place(say):
    tracker = say("and in Scotland?", "what_about", {"unit": "role-pay", "role": "po"},
                  retrieval=_found("scotland-organisation", ANSWER - 0.05))
    messages, slots = run(ActionAnswer(), tracker)
    assert "£" not in messages[0]["text"].split("\n")[0] or "Scotland" in messages[0]["text"]
    assert slots["unit"] == "role-pay" and slots["jurisdiction"] == "scotland"


def test_the_same_question_for_another_place_gets_that_places_fact(say):
    # "and here in the UK?" after the US minimum age: the UK's minimum age, though retrieval,
    # reading the two questions together, put the US fact first
    tracker = say("and here in the UK?", "what_about", {"unit": "us-min-age", "jurisdiction": "us"},
                  retrieval=_found("us-min-age", ANSWER + 0.1, "min-age", "ap-rw-min-age"))
    messages, slots = run(ActionAnswer(), tracker)
    assert "18" in messages[0]["text"] and slots["unit"] == "min-age"
    # a message that asks something more is a new question, not the same one again
    tracker = say("and who pays for training in the UK?", "what_about",
                  {"unit": "us-min-age", "jurisdiction": "us"},
                  retrieval=_found("pqip-trainee-paid", ANSWER + 0.1))
    assert run(ActionAnswer(), tracker)[1]["unit"] != "min-age"


def test_own_probation_wins_only_over_a_weak_match(say):
    weak = say("my probation officer never calls me back", "own_probation",
               retrieval=_found("home-visits", ANSWER + 0.05))
    messages, _ = run(ActionAnswer(), weak)
    assert messages[0]["response"] == "utter_own_probation"
    strong = say("I'm a nurse, would my experience count in probation?", "own_probation",
                 retrieval=_found("min-age", 0.95))
    messages, _ = run(ActionAnswer(), strong)
    assert "18" in messages[0]["text"]


def test_someone_who_says_they_are_on_probation_gets_the_own_order_reply_however_close_a_fact(say):
    tracker = say("I'm on probation in Ohio. Can I drive to Michigan for the weekend?",
                  "own_probation", retrieval=_found("min-age", 0.95))
    messages, _ = run(ActionAnswer(), tracker)
    assert messages[0]["response"] == "utter_own_probation"
    # a job's probationary period is not a probation order
    tracker = say("I'm on probation at work as a new PSO, can I apply for PQiP?", "own_probation",
                  retrieval=_found("min-age", 0.95))
    assert "18" in run(ActionAnswer(), tracker)[0][0]["text"]


def test_two_questions_in_one_get_both_answers_in_order(say):
    found = _found("min-age", 0.7)
    found["parts"] = [{"unit": "min-age", "score": 0.8, "text": "how old", "entities": []},
                      {"unit": "home-visits", "score": 0.7, "text": "home visits", "entities": []}]
    messages, _ = run(ActionAnswer(), say("how old do I need to be? and do POs do home visits?",
                                         "ask_question", retrieval=found))
    first, second = messages[0]["text"].split("\n\n")[:2]
    assert "18" in first and "home" in second.lower()


def test_a_broken_knowledge_base_gets_a_polite_message(say, monkeypatch, tmp_path):
    from actions import knowledge_access
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    from knowledge.loader import KnowledgeError, Problem

    def refuse(*args, **kwargs):
        raise KnowledgeError([Problem("knowledge/facts/roles.yml", "role 'pso'", "'source' is missing")])
    monkeypatch.setattr("knowledge.loader.load", refuse)
    knowledge_access.reset()
    messages, _ = run(ActionAnswer(), say("what band is a PSO?", "ask_question"))
    assert "can't reach my knowledge base" in messages[0]["text"]


def test_a_question_with_personal_details_is_answered_for_that_person(say):
    tracker = say("I'm 40 with a bachelor's degree, what do I need to be a federal probation officer?",
                  "ask_question")
    messages, slots = run(ActionAnswer(), tracker)
    assert "37" in messages[0]["text"]
    assert slots["age"] == 40 and slots["qualification"] == "bachelors-degree"


def test_a_general_question_does_not_claim_a_qualification(say):
    messages, slots = run(ActionAnswer(), say("do I need a degree to be a probation officer?", "ask_question"))
    assert "qualification" not in slots
    assert "Level 3" in messages[0]["text"]


def test_what_about_another_place_after_a_plan_re_plans_there(say):
    tracker = say("what about in Scotland?", "what_about",
                  {"topic": "plan", "qualification": "bachelors-degree", "subject": "criminology"})
    messages, slots = run(ActionAnswer(), tracker)
    assert messages, "a follow-up after a plan must get a reply"
    assert "social work" in messages[0]["text"].lower()
    assert slots["jurisdiction"] == "scotland"


def test_an_age_question_with_an_age_is_answered_for_that_age(say):
    young, _ = run(ActionAnswer(), say("im 16, is there a minimum age for probation jobs",
                                       "ask_question", retrieval={"unit": "age-rules", "score": 0.9}))
    assert young[0]["text"].startswith("At 16 you are under the minimum age")
    assert "18" in young[0]["text"]
    older, _ = run(ActionAnswer(), say("I'm 60 and have a degree, is there an upper age limit?",
                                       "ask_question", retrieval={"unit": "age-rules", "score": 0.9}))
    # about their age, not a route plan because they mentioned a degree
    assert older[0]["text"].startswith("At 60 you are old enough to apply")
    assert "depends on" not in older[0]["text"]
    federal, _ = run(ActionAnswer(), say("I'm 38, am I too old to be a federal probation officer?",
                                         "ask_question", retrieval={"unit": "age-rules", "score": 0.9}))
    assert federal[0]["text"].startswith("At 38 you are over the age limit") and "37" in federal[0]["text"]


def test_a_place_the_knowledge_base_does_not_cover_gets_no_other_countrys_figure(say):
    messages, slots = run(ActionAnswer(), say("What's the salary of a probation officer in Ontario?",
                                              "ask_question"))
    text = messages[0]["text"]
    assert text.startswith("I don't have probation careers information for Ontario")
    assert "£" not in text and "$" not in text and "Scotland" in text
    assert messages[0]["buttons"]


def test_what_about_with_nothing_before_it_is_not_answered_with_an_overview(say):
    messages, _ = run(ActionAnswer(), say("what about a poem about autumn leaves", "what_about"))
    assert messages[0]["text"].startswith("Sorry, I don't have an answer to that")


def test_how_probation_works_in_england_is_about_the_service_not_one_of_its_jobs(say):
    messages, _ = run(ActionAnswer(), say("how does probation work in England?", "ask_question"))
    text = messages[0]["text"]
    assert "Probation Service" in text and "Youth offending" not in text


def test_training_questions_after_talk_of_probation_officers_are_about_the_trainee(say):
    messages, _ = run(ActionAnswer(), say("would I get paid while I train?", "ask_question",
                                          {"role": "po", "topic": "entry"}))
    assert "paid" in messages[0]["text"] and "trainee" in messages[0]["text"].lower()


def test_a_button_payload_naming_an_unknown_place_is_answered_as_unknown(say):
    for unit in ("role-entry", "plan-my-route"):
        tracker = say(f'/ask_question{{"unit": "{unit}", "jurisdiction": "mars"}}', "ask_question",
                      {"jurisdiction": "mars"},
                      entities=[{"entity": "unit", "value": unit}, {"entity": "jurisdiction", "value": "mars"}])
        messages, slots = run(ActionAnswer(), tracker)
        assert messages[0]["text"].startswith("I don't have probation careers information for mars"), unit
        assert slots["jurisdiction"] is None        # not carried into later answers and plans


def test_how_long_to_qualify_where_no_route_has_a_length_says_so(say):
    # the US routes have no length in the knowledge base: the answer must not be "In the US, ."
    tracker = say('/ask_question{"unit": "time-to-qualify", "jurisdiction": "us-california"}',
                  "ask_question", entities=[{"entity": "unit", "value": "time-to-qualify"},
                                            {"entity": "jurisdiction", "value": "us-california"}])
    text = run(ActionAnswer(), tracker)[0][0]["text"]
    assert "I don't have" in text and ", ." not in text


def test_how_long_to_qualify_in_scotland_names_each_route_and_its_length(say):
    tracker = say('/ask_question{"unit": "time-to-qualify", "jurisdiction": "scotland"}',
                  "ask_question", entities=[{"entity": "unit", "value": "time-to-qualify"},
                                            {"entity": "jurisdiction", "value": "scotland"}])
    text = run(ActionAnswer(), tracker)[0][0]["text"]
    assert text.startswith("In Scotland, ") and "48 months" in text and "24 months" in text


def test_an_age_question_the_bank_is_unsure_of_is_answered_for_that_age_and_place(say):
    tracker = say(
        "I'm 20 and live in LA. Is that too young for a deputy probation officer job with the county?",
        "ask_question",
    )
    text = run(ActionAnswer(), tracker)[0][0]["text"]
    assert text.startswith("At 20 you are under the minimum age") and "21" in text
    assert "PQiP" not in text


def test_a_follow_up_taken_for_off_topic_gets_the_nearest_questions_not_a_refusal(say):
    near = {"unit": "skip-pso", "score": 0.48,
            "ranking": [{"unit": "skip-pso", "score": 0.48, "fit": 0.0},
                        {"unit": "role-progression", "score": 0.45, "fit": 0.0}]}
    tracker = say("how do you get from the first to the second?", "out_of_scope",
                  {"unit": "role-band", "topic": "band", "role": "po"}, retrieval=near)
    messages, _ = run(ActionAnswer(), tracker)
    assert "I don't have an answer to that" in messages[0]["text"]
    assert "only help with careers in probation" not in messages[0]["text"]
    assert messages[0]["buttons"]
    # with nothing near, off-topic is still off-topic
    far = {"unit": "skip-pso", "score": 0.2, "ranking": [{"unit": "skip-pso", "score": 0.2, "fit": 0.0}]}
    tracker = say("solve 3x + 7 = 22 for me", "out_of_scope", {"unit": "role-band", "topic": "band"},
                  retrieval=far)
    assert run(ActionAnswer(), tracker)[0][0].get("response") == "utter_out_of_scope"


def test_a_composed_answer_with_nothing_for_the_role_gives_way_to_that_roles_own_fact(say):
    messages, _ = run(ActionAnswer(), say("What grade are federal probation officers hired at",
                                          "ask_question"))
    assert "CL-27" in messages[0]["text"] and "I don't have" not in messages[0]["text"]
    # a role with no band and no fact of its own still gets the honest answer
    messages, _ = run(ActionAnswer(), say("What band is a Head of Probation Delivery Unit?",
                                          "ask_question"))
    assert messages[0]["text"].startswith("I don't have a verified band")


def test_a_question_about_an_age_is_answered_for_it_whatever_unit_is_nearest(say):
    text = run(ActionAnswer(), say("can you be a probation officer at 19 in america",
                                   "ask_question"))[0][0]["text"]
    assert text.startswith("At 19 you are under the minimum age") and "21" in text
    # an age given in passing does not turn another question into one about age
    text = run(ActionAnswer(), say("I'm 19, what band is a PSO?", "ask_question"))[0][0]["text"]
    assert "Band 3" in text and not text.startswith("At 19")


def test_each_half_of_a_double_question_falls_back_to_the_roles_own_fact(say):
    federal = [{"entity": "role", "value": "us-federal-po", "start": None, "end": None}]
    parts = [{"unit": "role-band", "score": 0.8, "entities": federal,
              "ranking": [{"unit": "role-band", "score": 0.8},
                          {"unit": "us-federal-grades", "score": 0.7}]},
             {"unit": "us-federal-relocation", "score": 0.7, "entities": federal,
              "ranking": [{"unit": "us-federal-relocation", "score": 0.7}]}]
    retrieval = {"unit": "role-band", "score": 0.8, "parts": parts,
                 "ranking": [{"unit": "role-band", "score": 0.8, "fit": 0.0}]}
    tracker = say("which grade would I get as a federal probation officer, and do they pay relocation?",
                  "ask_question", retrieval=retrieval)
    text = run(ActionAnswer(), tracker)[0][0]["text"]
    assert "CL-27" in text and "relocation" in text.lower() and "I don't have a band" not in text


def test_a_question_for_a_number_is_not_answered_by_a_fact_with_none(say):
    near = {"unit": "vetting", "score": 0.6,
            "ranking": [{"unit": "vetting", "score": 0.6, "fit": 0.0},
                        {"unit": "dbs", "score": 0.5, "fit": 0.0}]}
    tracker = say("Exactly how many weeks does security vetting take?", "ask_question", retrieval=near)
    messages, _ = run(ActionAnswer(), tracker)
    assert "I don't have an answer to that" in messages[0]["text"]
    # the same fact answers a question that asks for no number
    tracker = say("do they vet you before you start?", "ask_question", retrieval=near)
    messages, _ = run(ActionAnswer(), tracker)
    assert "I don't have" not in messages[0]["text"] and "vetting" in messages[0]["text"]


def test_a_count_or_contact_for_one_town_is_not_answered_with_the_countrys(say):
    near = {"unit": "approved-premises-numbers", "score": 0.7,
            "ranking": [{"unit": "approved-premises-numbers", "score": 0.7, "fit": 0.0}]}
    tracker = say("How many approved premises are there in Luton?", "ask_question", retrieval=near)
    assert "I don't have an answer to that" in run(ActionAnswer(), tracker)[0][0]["text"]
    # the country's own count answers the country's question
    for text in ("How many approved premises are there in England?",
                 "How many approved premises are there?"):
        tracker = say(text, "ask_question", retrieval=near)
        assert "101 approved premises" in run(ActionAnswer(), tracker)[0][0]["text"]


def test_a_local_offices_contact_is_not_a_request_for_a_plan(say):
    text = "Can you give me the phone number of the probation office in Luton? I want to volunteer."
    tracker = say(text, "plan_route", retrieval=_found("recruitment-contact", ANSWER + 0.05))
    messages, slots = run(ActionPlanOrAnswer(), tracker)
    assert slots.get("wants_plan") is False
    assert "I don't have an answer to that" in messages[0]["text"]
    # a plan-like message with no place in it still starts the planner
    tracker = say("I want to become a probation officer, where do I start?", "plan_route",
                  retrieval=_found("recruitment-contact", ANSWER + 0.05))
    assert run(ActionPlanOrAnswer(), tracker)[1].get("wants_plan") is True


def test_how_many_cases_gets_the_roles_caseload_figure_not_how_workload_is_weighed(say):
    tracker = say("how many cases does a probation officer normally have?", "ask_question",
                  retrieval=_found("role-caseload", ANSWER + 0.2))
    text = run(ActionAnswer(), tracker)[0][0]["text"]
    # the official average from the workload tool's figures given to Parliament
    assert "36.0" in text and "MAPPA" not in text
    assert not text.startswith("Workload is weighted")


def test_the_job_outlook_is_the_whole_services_not_one_kind_of_posts(say):
    tracker = say("are they short of probation staff?", "ask_question",
                  retrieval=_found("job-outlook", ANSWER + 0.2))
    text = run(ActionAnswer(), tracker)[0][0]["text"]
    assert "youth" not in text.lower() and "staff" in text.lower()


def test_one_towns_hiring_is_not_answered_with_the_whole_countrys_outlook(say):
    tracker = say("is the swindon probation office hiring at the moment?", "ask_question",
                  retrieval=_found("job-outlook", ANSWER + 0.2))
    messages, slots = run(ActionAnswer(), tracker)
    assert "I don't have" in messages[0]["text"] and slots.get("unit") != "job-outlook"


def test_where_a_role_leads_is_the_ladder_not_a_yes_to_some_other_question(say):
    tracker = say("where can a probation officer go from there?", "ask_question",
                  retrieval=_found("role-progression", ANSWER + 0.2))
    text = run(ActionAnswer(), tracker)[0][0]["text"]
    assert "senior probation officer" in text.lower()
    assert "Yes." not in text and "Returners" not in text


def test_a_composed_answer_does_not_splice_in_a_yes_or_no_meant_for_another_question(say):
    tracker = say("what do I need to become a PSO?", "ask_question",
                  retrieval=_found("role-entry", ANSWER + 0.2))
    text = run(ActionAnswer(), tracker)[0][0]["text"]
    assert "GCSE" in text
    assert not re.search(r"[.!?] (Yes|No|Possibly|Partly)[.,]", text)
