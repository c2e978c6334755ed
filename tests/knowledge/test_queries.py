"""The query API the actions use, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

ALIASES = {
    "PSO": "pso", "pso": "pso", "P.S.O.": "pso", "probation services officer": "pso",
    "probation service officer": "pso", "Probation Service Officers": "pso",
    "PO": "po", "probation officer": "po", "Probation Officers": "po",
    "trainee": "pqip-trainee", "trainee probation officer": "pqip-trainee",
    "PQiP learner": "pqip-trainee", "pqip": "pqip-trainee",
    "SPO": "spo", "senior probation officer": "spo",
    "parole officer": "us-parole-officer", "prison officer": "prison-officer",
    "justice social worker": "justice-social-worker",
    "criminal justice social worker": "justice-social-worker",
    "youth justice worker": "youth-justice-worker",
    "victim liaison officer": "victim-liaison-officer",
}


@pytest.mark.parametrize("text,role_id", ALIASES.items())
def test_a_role_is_found_by_every_name_people_use(kb, text, role_id):
    role = kb.find_role(text)
    assert role is not None and role.id == role_id


def test_an_unknown_role_is_not_guessed(kb):
    assert kb.find_role("astronaut") is None
    assert kb.find_role("") is None and kb.find_role(None) is None


def test_what_band_is_a_pso(kb):
    band = kb.band(kb.find_role("PSO").id)
    assert band.value == 3
    assert band.source.reliability == "official" and band.as_of.startswith("2023")


@pytest.mark.parametrize("role,band", [("po", 4), ("spo", 5), ("pqip-trainee", 3)])
def test_the_other_bands(kb, role, band):
    assert kb.band(role).value == band


def test_trainee_pay_is_current_with_its_year_and_london_allowance(kb):
    pay = kb.pay("pqip-trainee")
    assert pay, "trainee pay must be known"
    current = [p for p in pay if p.min == 26475]
    assert current and current[0].london_allowance == 4249 and "2025" in current[0].applies_to
    assert current[0].amount_text() == "£26,475 a year"


def test_older_pay_figures_are_kept_but_marked_superseded(kb):
    older = [p for p in kb.pay("po", include_superseded=True) if p.status == "superseded"]
    assert older and all(p.superseded_by for p in older)


def test_routes_into_probation_officer(kb):
    current = {r.id for r in kb.routes_into("po")}
    assert {"pqip-15", "pqip-21", "pqip-27", "pqip-internal"} <= current
    assert not {"dipps", "pqf-ba-community-justice"} & current
    historic = {r.id for r in kb.routes_into("po", include_superseded=True)} - current
    assert {"dipps", "pqf-ba-community-justice", "pqf-graduate-diploma"} <= historic
    assert kb.replacement("dipps").status == "current"
    assert kb.route("pqip-15").length_months == 15 and kb.route("pqip-27").length_months == 27


def test_requirements_include_the_checks(kb):
    topics = {f.topic for f in kb.requirements("po")}
    assert {"minimum_age", "right_to_work", "residence", "criminal_record", "vetting"} <= topics
    assert all(f.current for f in kb.requirements("po"))


def test_progression_from_pso(kb):
    assert "pqip-trainee" in [r.id for r in kb.progression("pso")] or \
           "po" in [r.id for r in kb.progression("pso")]
    assert "spo" in [r.id for r in kb.progression("po")]


def test_comparing_two_roles(kb):
    comparison = kb.compare("pso", "po")
    rows = {topic: (a, b) for topic, a, b in comparison.rows}
    assert rows["band"][0].value == 3 and rows["band"][1].value == 4
    assert comparison.first.abbreviation == "PSO" and comparison.second.abbreviation == "PO"


def test_jurisdictions_differ(kb):
    differences = kb.jurisdiction_differences(("organisation", "entry"))
    assert {"england-wales", "scotland", "northern-ireland", "us"} <= set(differences)
    scotland = " ".join(f.text for f in differences["scotland"]).lower()
    assert "social work" in scotland


def test_wales_inherits_england_and_wales_facts(kb):
    assert kb.find_jurisdiction("Wales") == "wales"
    assert kb.jurisdiction_chain("wales") == ["wales", "england-wales"]
    assert any(f.id == "min-age" for f in kb.facts("minimum_age", jurisdiction="wales"))


def test_superseded_guidance_on_the_minimum_age(kb):
    pairs = kb.superseded("minimum_age")
    assert any(old.value == 20 and new.value == 18 and old.period for old, new in pairs)


def test_superseded_guidance_on_the_minimum_level(kb):
    pairs = {old.id: new.id for old, new in kb.superseded("entry")}
    assert pairs.get("pqip-min-level-5") == "pqip-min-level"


def test_names_for_the_entity_extractor_cover_every_kind(kb):
    for kind in ("role", "jurisdiction", "qualification", "subject"):
        assert kb.names(kind)
    assert kb.names("jurisdiction")["scotland"] == "scotland"
    assert kb.find_subject("Criminology").modules_covered == 4
    assert kb.find_qualification("A levels").level == 3


def test_an_id_always_finds_its_own_role(kb):
    # "US probation officer" is the federal job title, but the id names the state-level role
    assert kb.find_role("us-probation-officer").id == "us-probation-officer"
    assert kb.find_role("US probation officer").id == "us-federal-po"
