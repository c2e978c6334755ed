"""The route planner, persona by persona: what each person must be told."""
from __future__ import annotations

import pytest

from knowledge.planner import Planner, Profile

# id, profile, expected status, recommended route (or None), fact ids the reasons/notes must cite,
# and what the plan must depend on.
PERSONAS = [
    ("school leaver with A levels", Profile(age=18, qualification="a-levels"),
     "recommend", "pqip-27", {"pqip-27-rule", "pqip-no-pso-first", "pqip-min-level-5"}, []),
    ("19-year-old criminology graduate", Profile(age=19, qualification="bachelors-degree", subject="criminology"),
     "recommend", "pqip-15", {"pqip-15-rule", "pqip-no-pso-first", "pqip-paid-as-pso", "min-age-dipps"}, []),
    ("serving PSO, 4 months' service", Profile(current_role="pso", months_service=4, qualification="a-levels"),
     "recommend", "pqip-internal", {"pqip-internal-route"}, []),
    ("serving PSO, 8 months' service", Profile(current_role="pso", months_service=8, qualification="a-levels"),
     "recommend", "pqip-internal", {"pqip-internal-route"}, []),
    ("serving PSO, service not given", Profile(current_role="pso"),
     "depends", None, {"pqip-internal-route"}, ["months_service"]),
    ("Scottish social work graduate", Profile(jurisdiction="scotland", qualification="social-work-degree"),
     "ready", None, {"scotland-social-work", "scotland-sssc-registration"}, []),
    ("Scottish law graduate", Profile(jurisdiction="scotland", qualification="bachelors-degree", subject="law"),
     "recommend", "scotland-msc-social-work", {"scotland-routes"}, []),
    ("Scottish school leaver", Profile(jurisdiction="scotland", age=17, qualification="a-levels"),
     "recommend", "scotland-ba-social-work", {"scotland-routes"}, []),
    ("English PO moving to Scotland", Profile(jurisdiction="scotland", current_role="po", qualification="pqip"),
     "recommend", "scotland-msc-social-work", {"scotland-pqip-not-valid"}, []),
    ("40-year-old wanting a US federal post", Profile(jurisdiction="us-federal", age=40, qualification="bachelors-degree"),
     "recommend", "us-state-po", {"us-federal-max-age", "us-education"}, []),
    ("30-year-old with a master's wanting a federal post", Profile(jurisdiction="us-federal", age=30, qualification="masters-degree"),
     "recommend", "us-federal-po-route", {"us-federal-max-age", "us-federal-grades"}, []),
    ("federal hopeful who gave no age", Profile(jurisdiction="us-federal", qualification="bachelors-degree"),
     "depends", None, {"us-federal-max-age"}, ["age"]),
    ("US reader with a bachelor's", Profile(jurisdiction="us", age=24, qualification="bachelors-degree"),
     "recommend", "us-state-po", {"us-education"}, []),
    ("US reader without a degree", Profile(jurisdiction="us", age=22, level=3),
     "not_yet", "us-state-po", {"us-education"}, []),
    ("someone without a Level 3", Profile(age=25, qualification="gcse"),
     "not_yet", "pso-entry", {"pqip-min-level", "pso-entry-quals"}, []),
    ("17-year-old", Profile(age=17, qualification="a-levels"),
     "not_yet", None, {"min-age"}, []),
    ("overseas psychology graduate", Profile(qualification="bachelors-degree", subject="psychology", overseas_qualification=True),
     "depends", None, {"pqip-overseas", "pqip-15-rule", "pqip-21-rule"}, ["modules"]),
    ("psychology graduate who covered three modules", Profile(qualification="bachelors-degree", subject="psychology", modules=3),
     "recommend", "pqip-15", {"pqip-15-rule"}, []),
    ("graduate who covered none of the modules", Profile(qualification="bachelors-degree", modules=0),
     "recommend", "pqip-21", {"pqip-21-rule"}, []),
    ("graduate who did not say the subject", Profile(qualification="bachelors-degree"),
     "depends", None, {"pqip-15-rule", "pqip-21-rule"}, ["subject"]),
    ("someone who has said nothing yet", Profile(),
     "depends", None, {"pqip-min-level"}, ["qualification"]),
    ("foundation degree in sports science (a subject with no entry)",
     Profile(qualification="foundation-degree", subject="other"),
     "recommend", "pqip-21", {"pqip-21-rule", "pqip-15-rule"}, []),
    ("DipHE in criminology", Profile(qualification="diphe", subject="criminology"),
     "recommend", "pqip-15", {"pqip-15-rule"}, []),
    ("Access to HE diploma", Profile(age=23, qualification="access-to-he"),
     "recommend", "pqip-27", {"pqip-27-rule", "pqip-min-level-5"}, []),
    ("would-be PSO without a degree", Profile(target="pso", qualification="gcse"),
     "recommend", "pso-entry", {"pso-entry-quals", "pso-in-post-qualification"}, []),
    ("newcomer with a year in the UK", Profile(qualification="masters-degree", uk_residence_years=1),
     "not_yet", None, {"uk-residence"}, []),
    ("Welsh criminology graduate", Profile(jurisdiction="wales", qualification="bachelors-degree", subject="criminology"),
     "recommend", "pqip-15", {"pqip-15-rule"}, []),
    ("criminology graduate with no experience", Profile(qualification="bachelors-degree", subject="criminology", experience=False),
     "recommend", "pqip-15", {"pqip-experience"}, []),
    ("Northern Irish social work graduate", Profile(jurisdiction="northern-ireland", qualification="social-work-degree"),
     "ready", None, {"ni-social-work"}, []),
    ("Northern Irish graduate in another subject", Profile(jurisdiction="northern-ireland", qualification="bachelors-degree"),
     "recommend", "ni-social-work-route", {"ni-social-work", "ni-pso"}, []),
    ("career changer with an HND, subject not given", Profile(age=45, qualification="hnd"),
     "depends", None, {"pqip-15-rule"}, ["subject"]),
]


@pytest.mark.parametrize("name,profile,status,route,cites,depends",
                         PERSONAS, ids=[p[0] for p in PERSONAS])
def test_persona(kb, name, profile, status, route, cites, depends):
    plan = Planner(kb).plan(profile)
    assert plan.status == status
    assert (plan.recommended.id if plan.recommended else None) == route
    cited = {fact.id for fact in plan.facts}
    assert cites <= cited, f"missing citations: {cites - cited}"
    assert plan.depends_on == depends
    for fact in plan.facts:                      # every reason is sourced and dated
        assert fact.source.publisher and fact.source.url and fact.as_of


def test_there_are_at_least_twenty_personas():
    assert len(PERSONAS) >= 20


def test_criminology_graduate_does_not_have_to_be_a_pso_first(kb):
    """The design card's question: "can I skip the PSO stage with a criminology degree?"."""
    plan = Planner(kb).plan(Profile(qualification="bachelors-degree", subject="criminology"))
    assert plan.recommended.id == "pqip-15" and plan.length_text == "15 months"
    texts = " ".join(r.text for r in plan.reasons).lower()
    assert "pso" in texts                                         # "no need to be a PSO first"
    assert {"pqip-no-pso-first", "pqip-paid-as-pso", "pqip-15-rule"} <= {f.id for f in plan.facts}
    assert any("criminology" in r.text.lower() and "module" in r.text.lower() for r in plan.reasons)
    assert plan.assumed_jurisdiction


def test_a_pso_short_of_six_months_is_told_how_long_to_wait(kb):
    plan = Planner(kb).plan(Profile(current_role="pso", months_service=4, qualification="a-levels"))
    assert any("in 2 more months" in r.text for r in plan.reasons)
    assert [r.id for r in plan.alternatives] == ["pqip-27"]


def test_thresholds_come_from_the_facts(kb, monkeypatch):
    """Change the minimum age in the knowledge base and the planner follows it."""
    planner = Planner(kb)
    assert planner.plan(Profile(age=18, qualification="a-levels")).status == "recommend"
    real = kb.value
    monkeypatch.setattr(kb, "value", lambda fid, d=None: 21 if fid == "min-age" else real(fid, d))
    assert planner.plan(Profile(age=18, qualification="a-levels")).status == "not_yet"
