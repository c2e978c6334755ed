"""The spaCy entity component: names from the knowledge base, stored with the model."""
from __future__ import annotations

import shutil

import pytest
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.knowledge_entities import KnowledgeEntityExtractor
from knowledge.loader import FACTS_DIR


def trained(tmp_path, facts_dir=None):
    (tmp_path / "storage").mkdir(parents=True)
    storage = LocalModelStorage(tmp_path / "storage")
    resource = Resource("knowledge_entities")
    config = {**KnowledgeEntityExtractor.get_default_config(),
              "facts_dir": str(facts_dir) if facts_dir else None}
    context = ExecutionContext(GraphSchema({}), "test")
    component = KnowledgeEntityExtractor.create(config, storage, resource, context)
    component.train(TrainingData())
    return config, storage, resource, context


def extract(component, text):
    message = Message(data={"text": text})
    component.process([message])
    return [(e["entity"], e["value"], text[e["start"]:e["end"]]) for e in message.get("entities", [])]


@pytest.fixture(scope="module")
def component(tmp_path_factory):
    config, storage, resource, context = trained(tmp_path_factory.mktemp("ner"))
    # what the server does: load the patterns back from the model's storage
    return KnowledgeEntityExtractor.load(config, storage, resource, context)


@pytest.mark.parametrize("text,value", [
    ("what band is a PSO?", "pso"), ("what band is a pso", "pso"), ("What band is a P.S.O.?", "pso"),
    ("are probation service officers paid well", "pso"),
    ("tell me about the Probation Services Officer role", "pso"),
    ("what does a pqip learner do", "pqip-trainee"), ("how much does an SPO earn", "spo"),
    ("what about parole officers?", "us-parole-officer"),
    ("where do new fed probation officers train", "us-federal-po"),
    ("and POs?", "po"),
])
def test_roles_in_the_forms_people_type(component, text, value):
    assert ("role", value) in [(e, v) for e, v, _ in extract(component, text)]


def test_the_span_points_at_the_original_text(component):
    assert extract(component, "What band is a P.S.O.?")[0][2] == "P.S.O"


def test_part_of_a_word_split_by_the_tokenizer_names_nothing(component):
    # "can't" and "cant" are tokenized "ca" + "nt", and "CA" is California
    for text in ("what if I can't show my certificate?", "i cant make the interview day"):
        assert not [e for e, _, _ in extract(component, text) if e == "jurisdiction"], text
    assert ("jurisdiction", "us-california") in [
        (e, v) for e, v, _ in extract(component, "moving to CA next year, can I be a PO there?")
    ]


def test_the_longest_name_wins(component):
    found = extract(component, "what does a senior probation officer do")
    assert [(e, v) for e, v, _ in found] == [("role", "spo")]


def test_us_the_country_but_not_us_the_pronoun(component):
    assert ("jurisdiction", "us") in [(e, v) for e, v, _ in extract(component, "what about the US?")]
    assert not [e for e in extract(component, "can you tell us about pay") if e[0] == "jurisdiction"]
    # typed in lower case after "the", it is the country too
    for text in ("do probation officers in the us work weekends", "how much do they make in the states"):
        assert ("jurisdiction", "us") in [(e, v) for e, v, _ in extract(component, text)], text
    assert not [e for e in extract(component, "let us know the pay") if e[0] == "jurisdiction"]


@pytest.mark.parametrize("text,entity,value", [
    ("I'm 19 and have A levels", "age", 19), ("I am 40", "age", 40), ("aged 23", "age", 23),
    ("I'm a 25 year old graduate", "age", 25), ("I've been a PSO for 8 months", "months", 8),
    ("I've been a PSO for two years", "months", 24), ("six months in post", "months", 6),
])
def test_ages_and_months(component, text, entity, value):
    assert (entity, value) in [(e, v) for e, v, _ in extract(component, text)]


def test_qualifications_subjects_and_places(component):
    found = {(e, v) for e, v, _ in extract(component, "I have a criminology degree and live in Northern Ireland")}
    assert {("subject", "criminology"), ("qualification", "bachelors-degree"),
            ("jurisdiction", "northern-ireland")} <= found


def test_odd_and_enormous_input_does_not_break_it(component):
    assert extract(component, "") == []
    assert extract(component, "\x00\u202e🙂" * 1000) == []
    assert extract(component, "pso " * 50000)          # still finds names in a huge message


def test_a_new_alias_in_the_knowledge_base_is_recognised_without_touching_the_nlu_data(tmp_path):
    facts = tmp_path / "facts"
    shutil.copytree(FACTS_DIR, facts)
    path = facts / "roles-england-wales.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    pso = next(r for r in data["roles"] if r["id"] == "pso")
    pso["aliases"] = [*pso.get("aliases", []), "offender supervisor grade three"]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")

    before = KnowledgeEntityExtractor.fingerprint_addon({"facts_dir": str(FACTS_DIR)})
    after = KnowledgeEntityExtractor.fingerprint_addon({"facts_dir": str(facts)})
    assert before != after                      # so `rasa train` retrains this component

    config, storage, resource, context = trained(tmp_path / "model", facts)
    component = KnowledgeEntityExtractor.load(config, storage, resource, context)
    assert ("role", "pso") in [(e, v) for e, v, _ in extract(component, "what band is an offender supervisor grade three?")]


def test_editing_a_salary_does_not_retrain_it(tmp_path):
    facts = tmp_path / "facts"
    shutil.copytree(FACTS_DIR, facts)
    path = facts / "roles-england-wales.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("26475", "27000"), encoding="utf-8")
    assert KnowledgeEntityExtractor.fingerprint_addon({"facts_dir": str(facts)}) == \
        KnowledgeEntityExtractor.fingerprint_addon({"facts_dir": str(FACTS_DIR)})


def _marked(component, text):
    message = Message(data={"text": text})
    component.process([message])
    return [(e["entity"], e["value"], e.get("role")) for e in message.get("entities", [])]


def test_a_role_the_person_holds_is_marked_and_one_asked_about_is_not(component):
    found = _marked(component, "I'm a PSO, how do I become a probation officer?")
    assert ("role", "pso", "held") in found and ("role", "po", None) in found
    assert ("role", "pso", None) in _marked(component, "what band is a PSO?")


def test_a_qualification_the_person_has_is_marked_and_one_asked_about_is_not(component):
    assert [r for e, _, r in _marked(component, "I've got a degree in criminology")
            if e in ("qualification", "subject")] == ["held", "held"]
    assert [r for e, _, r in _marked(component, "do I need a degree?") if e == "qualification"] == [None]


def test_a_subject_without_a_name_in_the_knowledge_base_is_still_a_subject(component):
    # so the route planner does not ask "what subject did you study?" after being told
    found = extract(component, "I've got a foundation degree in sports science. Which route is mine?")
    assert ("subject", "other", "sports science") in found
    found = extract(component, "I have an HND in mechanical engineering - can I apply?")
    assert ("subject", "other", "mechanical engineering") in found
    assert [(e, v) for e, v, _ in extract(component, "I have a degree in criminology")
            if e == "subject"] == [("subject", "criminology")]
    assert not [e for e in extract(component, "I have a degree, is that enough?") if e[0] == "subject"]


def test_a_place_outside_the_knowledge_base_is_named_as_unknown_where_asked_about(component):
    assert ("unknown_place", "ontario", "Ontario") in extract(
        component, "What's the salary of a probation officer in Ontario?")
    # where the person comes from is not where they ask to work
    assert not [e for e in extract(component, "My degree is from a university in Nigeria, does it count?")
                if e[0] == "unknown_place"]
    # a covered place, or a role named with it, is not unknown
    for text in ("how do I become a probation officer in Northern Ireland?", "jobs in northern ireland"):
        assert not [e for e in extract(component, text) if e[0] == "unknown_place"], text


def test_a_job_outside_the_knowledge_base_is_named_as_unknown(component):
    assert ("unknown_role", "astronaut", None) in _marked(component, "what band is an astronaut?")
    found = _marked(component, "what band is a probation officer?")
    assert not [e for e in found if e[0] == "unknown_role"]


def after(component, text, previous_role):
    conversation = {"entities": [{"entity": "role", "value": previous_role}]}
    message = Message(data={"text": text, "metadata": {"conversation": conversation}})
    component.process([message])
    return [(e["entity"], e["value"]) for e in message.get("entities", [])]


def test_a_senior_one_after_a_role_is_its_senior_grade(component):
    assert after(component, "and a senior one?", "po") == [("role", "spo")]
    assert after(component, "what about at senior level", "po") == [("role", "spo")]


def test_senior_means_nothing_without_a_role_with_a_senior_grade_before_it(component):
    assert extract(component, "and a senior one?") == []
    assert after(component, "and a senior one?", "pso") == []     # no "senior PSO" grade
    # a role the message names itself wins over the one before
    assert after(component, "and a senior case administrator?", "po") == \
        [("role", "case-administrator")]


def test_la_is_los_angeles_only_when_written_as_a_name(component):
    assert ("jurisdiction", "us-california", "LA") in extract(component, "I live in LA, can I apply?")
    assert not [e for e in extract(component, "la la la what band is a PSO") if e[0] == "jurisdiction"]


@pytest.mark.parametrize("text", ["I'm applying for PQiP, what would I be paid?",
                                  "I'm hoping to become a PO one day"])
def test_a_role_someone_wants_is_not_one_they_hold(component, text):
    message = Message(data={"text": text})
    component.process([message])
    roles = [e for e in message.get("entities") if e["entity"] == "role"]
    assert roles and all(e.get("role") is None for e in roles)


def test_a_generic_word_alone_is_not_an_unknown_job(component):
    assert not [e for e in extract(component, "How many people does an officer in the US supervise?")
                if e[0] == "unknown_role"]
    assert ("unknown_role", "nurse", "nurse") in extract(component, "what band is a nurse?")


def test_a_two_letter_place_has_no_plural_that_is_another_word(component):
    # "NH" is New Hampshire; "NHS" is where a nurse works
    assert not [e for e, _, _ in extract(component, "I work for the NHS, would that count?")
                if e == "jurisdiction"]
    assert ("role", "po") in [(e, v) for e, v, _ in extract(component, "what do POs earn")]
