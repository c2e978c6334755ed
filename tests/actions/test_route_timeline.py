"""The route plan's timeline: the stages a channel draws beside the plan's (unchanged) text."""
from __future__ import annotations

from actions.route_plan import ActionPlanRoute
from bot.channels.route_text import timeline_text
from tests.actions.conftest import run


def test_a_serving_pso_gets_a_timeline_from_pso_through_the_internal_route_to_po(say):
    tracker = say("I'm a PSO and I've been in post for 8 months", "inform",
                  {"months_service": 8, "qualification": "a-levels"})
    messages, _ = run(ActionPlanRoute(), tracker)
    drawn = messages[0]["answer"]["timeline"]
    names = [stage["name"] for stage in drawn["stages"]]
    assert names[0] == "Now: PSO" and names[-1] == "PO", names
    assert "internal" in names[1].lower()
    route = drawn["stages"][1]
    assert route["months"] and route["length"] == drawn["total"]
    assert drawn["stages"][0]["band"] == "Band 3"
    assert all(stage["why"] for stage in drawn["stages"])
    # the answer's own text is what it was without the timeline
    assert "Route:" not in messages[0]["text"]


def test_a_criminology_graduate_gets_the_15_month_route_to_po(say):
    tracker = say("can I become a PO with a criminology degree?", "plan_route",
                  {"qualification": "bachelors-degree", "subject": "criminology"})
    messages, _ = run(ActionPlanRoute(), tracker)
    drawn = messages[0]["answer"]["timeline"]
    assert [s["name"] for s in drawn["stages"]] == ["PQiP 15-month route", "PO"]
    assert drawn["total"] == "15 months"
    assert timeline_text(messages[0]["answer"]) == ("Route: PQiP 15-month route (15 months, Band 3) → PO (Band 4)"
                                    "; 15 months in all")


def test_a_plan_that_depends_on_something_unsaid_has_no_timeline(say):
    tracker = say("how do I become a probation officer?", "plan_route")
    messages, _ = run(ActionPlanRoute(), tracker)
    assert "timeline" not in messages[0]["answer"]
