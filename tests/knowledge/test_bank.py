"""The question bank: every unit answers something, and the evaluation set stays apart from it
(an evaluation question that is nearly a bank question would only measure memory)."""
from __future__ import annotations

import re

import numpy as np
import pytest

from bot import evaluation
from bot.components.encoder import shared_encoder
from knowledge import bank
from knowledge.loader import KnowledgeError, validate
from knowledge.names import normalise

NEAR = 0.9          # cosine under the bot's own encoder
SHARED_WORDS = 6    # a run of this many words in common


def _runs(text: str, n: int = SHARED_WORDS) -> set[tuple[str, ...]]:
    words = normalise(re.sub(r"{\w+}", " ", text)).split()
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


@pytest.fixture(scope="module")
def units():
    return bank.units()


def test_the_bank_is_large_and_every_unit_has_questions(units):
    assert len(units) >= 300
    assert all(len(u.questions) >= 3 for u in units.values())


def test_evaluation_questions_are_not_near_duplicates_of_bank_questions(units):
    asked = evaluation.questions(evaluation.load_cases())
    written = [q for u in units.values() for q in u.questions]
    assert len(asked) >= 300
    runs = {}
    for question in written:
        for run in _runs(question):
            runs.setdefault(run, question)
    shared = [(q, runs[r]) for q in asked for r in _runs(q) if r in runs]
    assert not shared, f"evaluation questions sharing {SHARED_WORDS} words with the bank: {shared[:5]}"
    encoder = shared_encoder()
    similarity = encoder.encode(asked) @ encoder.encode(written).T
    close = np.argwhere(similarity > NEAR)
    pairs = [(asked[i], written[j]) for i, j in close[:5]]
    assert not len(close), f"evaluation questions nearly the same as bank questions: {pairs}"


def test_a_question_claimed_by_two_units_is_refused(tmp_path):
    (tmp_path / "a.yml").write_text("""
sources:
  - {id: s, publisher: P, title: T, url: "https://example.org", year: 2024, reliability: official}
facts:
  - {id: one, topic: hours, text: "A.", source: s, as_of: 2024, questions: ["do POs work weekends"]}
  - {id: two, topic: hours, text: "B.", source: s, as_of: 2024, questions: ["Do POs work weekends?"]}
""")
    with pytest.raises(KnowledgeError, match="already answered by 'one'"):
        validate(tmp_path, required={})


SOURCED = """
sources:
  - {id: s, publisher: P, title: T, url: "https://example.org", year: 2024, reliability: official}
facts:
  - {id: hours, topic: hours, text: "37 hours.", source: s, as_of: 2024}
"""


def test_a_composed_unit_needs_a_known_answer_and_its_placeholders(tmp_path):
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "a.yml").write_text(SOURCED)
    (tmp_path / "questions").mkdir()
    (tmp_path / "questions" / "answers.yml").write_text("""
units:
  - {id: pay, answer: wages, params: [role], questions: ["{role} pay"]}
  - {id: band, answer: band, params: [role], questions: ["what band in {place}"]}
""")
    with pytest.raises(KnowledgeError) as error:
        validate(tmp_path / "facts", required={})
    assert "'answer' is 'wages'" in str(error.value)
    assert "uses {place}, which is not in 'params'" in str(error.value)


def test_a_superseded_fact_takes_no_questions(tmp_path):
    (tmp_path / "a.yml").write_text("""
sources:
  - {id: s, publisher: P, title: T, url: "https://example.org", year: 2024, reliability: official}
facts:
  - {id: new, topic: minimum_age, text: "18.", source: s, as_of: 2024}
  - {id: old, topic: minimum_age, text: "20.", source: s, as_of: 2005, status: superseded,
     superseded_by: new, period: "1998-2010", questions: ["how old do I have to be"]}
""")
    with pytest.raises(KnowledgeError, match="superseded fact cannot answer questions"):
        validate(tmp_path, required={})


def test_composed_units_stay_out_of_the_fact_files_and_facts_out_of_theirs(tmp_path):
    """Every fact file carries sources; composed units carry none, so they have a folder of
    their own, and neither may hold the other."""
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "a.yml").write_text(SOURCED + """
units:
  - {id: band, answer: band, params: [role], questions: ["what band is a {role}"]}
""")
    (tmp_path / "questions").mkdir()
    (tmp_path / "questions" / "answers.yml").write_text(SOURCED)
    with pytest.raises(KnowledgeError) as error:
        validate(tmp_path / "facts", required={})
    assert "put them in the questions/ folder" in str(error.value)
    assert "unknown section(s) ['facts', 'sources']" in str(error.value)


def test_every_fact_file_names_the_sources_of_its_facts():
    from knowledge.loader import FACTS_DIR
    import yaml
    for path in sorted(FACTS_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        assert "units" not in data, path.name
        assert any(data.get(k) for k in ("facts", "roles", "routes", "qualifications", "subjects",
                                           "sources", "jurisdictions")), path.name


def test_a_fact_for_the_place_asked_about_ranks_above_an_answer_for_any_place():
    from knowledge.bank import Misfit
    fit = Misfit()
    texas = fit("us-texas", "us", (), (), {"us-texas"}, {"us"}, set())
    any_place = fit(None, None, (), ("place",), {"us-texas"}, {"us"}, set())
    federal = fit("us-federal", "us", (), (), {"us-texas"}, {"us"}, set())
    assert texas > any_place > federal
    # England and Wales is the default: naming Luton does not lift every English fact
    assert fit("england-wales", "england-wales", (), (), {"england-wales"}, {"england-wales"},
               set()) == 0


def test_a_fact_about_the_very_role_named_ranks_above_the_rest_unless_that_role_is_the_default():
    from knowledge.bank import Misfit
    fit = Misfit()
    where = ("england-wales", "england-wales")
    unlocked = fit(*where, ("unlocked-graduate",), (), set(), set(), {"unlocked-graduate"})
    general = fit(*where, (), (), set(), set(), {"unlocked-graduate"})
    assert unlocked > general
    # an answer written for any role is about it too ("what band is a youth justice worker?")
    assert fit(*where, (), ("role",), set(), set(), {"unlocked-graduate"}) == unlocked
    # a probation officer is who most facts are about: naming one lifts nothing
    assert fit(*where, ("po",), (), set(), set(), {"po"}) == fit(*where, (), (), set(), set(), {"po"})


def test_a_question_naming_another_country_and_no_role_is_about_that_countrys_own_roles():
    from knowledge.bank import Misfit
    fit = Misfit()
    # "NY probation jobs: is there a written test?" is about New York's probation officers
    new_york = fit("us-new-york", "us", ("us-probation-officer",), (), {"us-new-york"}, {"us"},
                   set())
    england = fit("england-wales", "england-wales", ("po",), (), {"us-new-york"}, {"us"}, set())
    assert new_york > 0 > england
    # with no place named, a US role's fact is still not what "what's the written test?" means
    assert fit("us-new-york", "us", ("us-probation-officer",), (), set(), set(), set()) < 0


def test_a_fact_about_pso_posts_only_drops_less_for_a_question_naming_no_role_than_naming_a_po():
    from knowledge.bank import Misfit
    fit = Misfit()
    where = ("england-wales", "england-wales")
    # "is there a scheme to get ex-forces people into probation jobs?" (the scheme is for PSOs)
    unnamed = fit(*where, ("pso",), (), set(), set(), set())
    named_po = fit(*where, ("pso",), (), set(), set(), {"po"})
    assert named_po < unnamed < fit(*where, ("po",), (), set(), set(), set())


def test_an_answer_for_any_place_moves_down_when_the_message_names_a_role_and_no_place():
    from knowledge.bank import Misfit
    fit = Misfit()
    place_unit = fit(None, None, (), ("place",), set(), set(), {"victim-liaison-officer"})
    role_unit = fit(None, None, (), ("role",), set(), set(), {"victim-liaison-officer"})
    assert place_unit < 0 < role_unit
    # a follow-up carrying the role from before is not penalised
    assert fit(None, None, (), ("place",), set(), set(), {"po"}, carried=True) == 0
