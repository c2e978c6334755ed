"""The loader refuses data it cannot trust, says exactly where the problem is, and never leaves
a half-built knowledge base behind."""
from __future__ import annotations

import copy

import pytest
import yaml
from sqlalchemy import func, select

from knowledge import db
from knowledge.loader import FACTS_DIR, KnowledgeError, build, load, validate
from knowledge.models import Fact, Meta, PayRate, Role
from knowledge.queries import KnowledgeBase

NO_REQUIRED: dict = {}

MINIMAL = {
    "base.yml": {
        "sources": [{"id": "hmpps-jd", "publisher": "HMPPS", "title": "PSO job description",
                     "url": "https://jobs.justice.gov.uk/jd", "year": 2023, "reliability": "official"}],
        "jurisdictions": [{"id": "england-wales", "name": "England and Wales", "aliases": ["england"]}],
        "roles": [
            {"id": "pso", "name": "probation services officer", "abbreviation": "PSO",
             "aliases": ["probation service officer"], "jurisdiction": "england-wales",
             "band": {"value": 3, "source": "hmpps-jd", "as_of": "2023-02-08"},
             "pay": [{"id": "pso-pay", "label": "starting", "min": 26475, "currency": "GBP",
                      "applies_to": 2025, "source": "hmpps-jd", "as_of": 2025}],
             "progression": ["po"]},
            {"id": "po", "name": "probation officer", "abbreviation": "PO", "jurisdiction": "england-wales",
             "band": {"value": 4, "source": "hmpps-jd", "as_of": 2023}},
        ],
    },
    "facts.yml": {
        "routes": [{"id": "pqip-15", "name": "PQiP, 15 months", "jurisdiction": "england-wales",
                    "leads_to": "po", "length_months": 15,
                    "summary": {"text": "The graduate route.", "source": "hmpps-jd", "as_of": 2024}}],
        "facts": [
            {"id": "min-age", "topic": "minimum_age", "jurisdiction": "england-wales",
             "text": "You must be 18 or over.", "value": 18, "source": "hmpps-jd", "as_of": 2025},
            {"id": "min-age-old", "topic": "minimum_age", "jurisdiction": "england-wales",
             "text": "Older guides say 20.", "value": 20, "source": "hmpps-jd", "as_of": 2005,
             "status": "superseded", "superseded_by": "min-age", "period": "1998-2010"},
        ],
    },
}


def write(directory, files):
    for name, content in files.items():
        (directory / name).write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return directory


def refusal(tmp_path, mutate) -> str:
    files = copy.deepcopy(MINIMAL)
    mutate(files)
    with pytest.raises(KnowledgeError) as caught:
        validate(write(tmp_path, files), required=NO_REQUIRED)
    return str(caught.value)


def test_the_minimal_files_load(tmp_path):
    dataset = validate(write(tmp_path, MINIMAL), required=NO_REQUIRED)
    assert dataset.count(Role) == 2 and dataset.count(PayRate) == 1
    assert dataset.count(Fact) == 5          # two bands, a route summary, two facts


def test_a_fact_without_a_source_is_refused(tmp_path):
    message = refusal(tmp_path, lambda f: f["facts.yml"]["facts"][0].pop("source"))
    assert "facts.yml: fact 'min-age': 'source' is missing" in message


def test_a_fact_naming_an_unknown_source_is_refused(tmp_path):
    def mutate(f):
        f["facts.yml"]["facts"][0]["source"] = "a-blog"
    assert "fact 'min-age': 'source' names an unknown source: 'a-blog'" in refusal(tmp_path, mutate)


def test_a_fact_without_a_date_is_refused(tmp_path):
    message = refusal(tmp_path, lambda f: f["facts.yml"]["facts"][0].pop("as_of"))
    assert "fact 'min-age': 'as_of' is missing" in message


@pytest.mark.parametrize("date", ["2023-13-01", "23/02/2023", "last year", "2023-02-30"])
def test_a_date_that_does_not_parse_is_refused(tmp_path, date):
    def mutate(f):
        f["facts.yml"]["facts"][0]["as_of"] = date
    assert f"'as_of' is '{date}', which is not a date" in refusal(tmp_path, mutate)


def test_an_unknown_role_is_refused(tmp_path):
    def mutate(f):
        f["base.yml"]["roles"][0]["progression"] = ["chief-constable"]
    message = refusal(tmp_path, mutate)
    assert "base.yml: role 'pso': 'progression' names an unknown role: 'chief-constable'" in message


def test_an_unknown_route_is_refused(tmp_path):
    def mutate(f):
        f["facts.yml"]["facts"][0]["routes"] = ["pqip-99"]
    assert "fact 'min-age': 'routes' names an unknown route: 'pqip-99'" in refusal(tmp_path, mutate)


def test_a_duplicate_id_is_refused_naming_both_files(tmp_path):
    def mutate(f):
        f["more.yml"] = {"facts": [dict(f["facts.yml"]["facts"][0], text="Again.")]}
    message = refusal(tmp_path, mutate)
    assert "more.yml: fact 'min-age': duplicate id: already defined in" in message
    assert "facts.yml" in message.split("duplicate id")[1]


def test_a_band_that_is_not_a_number_is_refused(tmp_path):
    def mutate(f):
        f["base.yml"]["roles"][0]["band"]["value"] = "three"
    assert "role 'pso' band: 'value' must be a number, not 'three'" in refusal(tmp_path, mutate)


def test_a_salary_that_is_not_a_number_is_refused(tmp_path):
    def mutate(f):
        f["base.yml"]["roles"][0]["pay"][0]["min"] = "£26k"
    assert "role 'pso' pay 'pso-pay': 'min' must be a number, not '£26k'" in refusal(tmp_path, mutate)


def test_superseded_guidance_must_name_its_replacement(tmp_path):
    message = refusal(tmp_path, lambda f: f["facts.yml"]["facts"][1].pop("superseded_by"))
    assert "fact 'min-age-old': a superseded entry must say what replaced it" in message


def test_an_unknown_topic_is_refused(tmp_path):
    def mutate(f):
        f["facts.yml"]["facts"][0]["topic"] = "minimum_aeg"
    assert "'topic' is 'minimum_aeg'; expected one of" in refusal(tmp_path, mutate)


def test_broken_yaml_is_refused_with_its_line(tmp_path):
    write(tmp_path, MINIMAL)
    (tmp_path / "broken.yml").write_text("facts:\n  - id: x\n    text: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        validate(tmp_path, required=NO_REQUIRED)
    assert "broken.yml: line" in str(caught.value) and "not valid YAML" in str(caught.value)


def test_two_roles_claiming_the_same_name_are_refused(tmp_path):
    def mutate(f):
        f["base.yml"]["roles"][1]["aliases"] = ["probation service officer"]
    assert "the name 'probation service officer' is already used by role 'pso'" in refusal(tmp_path, mutate)


def test_every_problem_is_reported_at_once(tmp_path):
    files = copy.deepcopy(MINIMAL)
    files["facts.yml"]["facts"][0].pop("source")
    files["base.yml"]["roles"][0]["band"]["value"] = "three"
    with pytest.raises(KnowledgeError) as caught:
        validate(write(tmp_path, files), required=NO_REQUIRED)
    assert len(caught.value.problems) == 2


def test_the_planner_facts_are_required(tmp_path):
    with pytest.raises(KnowledgeError) as caught:
        validate(write(tmp_path, MINIMAL))
    assert "fact 'pqip-15-rule': is cited by the route planner but no file defines it" in str(caught.value)


def _counts(url):
    with db.engine_for(url).connect() as conn:
        fingerprint = conn.execute(select(Meta.value).where(Meta.key == "fingerprint")).scalar()
        return fingerprint, conn.execute(select(func.count()).select_from(Fact)).scalar()


def test_a_refused_file_leaves_the_previous_knowledge_base_untouched(tmp_path, database_url):
    before = load(database_url)
    bad = tmp_path / "bad"
    bad.mkdir()
    files = copy.deepcopy(MINIMAL)
    files["facts.yml"]["facts"][0].pop("source")
    with pytest.raises(KnowledgeError):
        load(database_url, write(bad, files), required=NO_REQUIRED)
    assert _counts(database_url) == (before.fingerprint, before.counts["fact"])


def test_a_failure_half_way_through_the_build_rolls_everything_back(tmp_path, database_url, monkeypatch):
    before = load(database_url)
    dataset = validate(write(tmp_path, MINIMAL), required=NO_REQUIRED)
    dataset.rows[Fact].append(dict(dataset.rows[Fact][0]))     # a duplicate key fails mid-insert
    with pytest.raises(Exception):
        build(db.engine_for(database_url), dataset)
    assert _counts(database_url) == (before.fingerprint, before.counts["fact"])


def test_the_real_knowledge_base_loads_in_well_under_a_second(database_url):
    report = load(database_url)
    assert report.counts["fact"] > 100 and report.counts["role"] >= 20
    # The figure itself is reported by `make bench`; here only the order of magnitude matters.
    assert report.seconds < 5


def test_changing_a_fact_changes_the_answer_without_retraining(tmp_path, database_url):
    facts = tmp_path / "facts"
    facts.mkdir()
    for path in FACTS_DIR.glob("*.yml"):
        (facts / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    kb = KnowledgeBase(database_url, refresh_seconds=0)
    load(database_url, facts)
    assert kb.value("min-age") == 18
    for path in facts.glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for fact in data.get("facts") or []:
            if fact["id"] == "min-age":
                fact["value"] = 19
                fact["text"] = "You must be at least 19 to apply."
                path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    load(database_url, facts)
    assert kb.value("min-age") == 19
    assert kb.fact("min-age").text == "You must be at least 19 to apply."
    load(database_url)                                            # put the real facts back
