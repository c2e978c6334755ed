"""The question-bank retrieval component: trained and loaded the way Rasa does, and judged on
what a person would notice (the right unit, the right place, both halves of a double question)."""
from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.answer_retrieval import RETRIEVAL, AnswerRetriever, mask
from bot.components.encoder import shared_encoder
from bot.components.knowledge_entities import KnowledgeEntityExtractor, knowledge_names
from bot.components.minilm import shared_minilm
from bot.rasa_patches.parse_context import CONVERSATION

SMALL_BANK = """
sources:
  - {id: s, publisher: P, title: T, url: "https://example.org", year: 2024, reliability: official}
jurisdictions:
  - {id: england-wales, name: England and Wales, aliases: [england]}
  - {id: us, name: the United States, aliases: [america, usa]}
  - {id: us-texas, name: Texas, aliases: [texas], part_of: us}
roles:
  - {id: pso, name: probation services officer, abbreviation: PSO, jurisdiction: england-wales}
  - {id: po, name: probation officer, abbreviation: PO, jurisdiction: england-wales}
facts:
  - id: home-visits
    topic: duties
    jurisdiction: england-wales
    text: "Yes, home visits are part of the job."
    source: s
    as_of: 2024
    questions: [do probation officers do home visits, will i have to go to peoples houses,
                do you visit offenders at home]
  - id: pension
    topic: benefits
    jurisdiction: england-wales
    text: "The Local Government Pension Scheme."
    source: s
    as_of: 2024
    questions: [what pension do probation staff get, is there a pension, which pension scheme is it]
  - id: us-pay
    topic: pay_context
    jurisdiction: us
    text: "About $64,000 at the median."
    source: s
    as_of: 2024
    questions: [how much do probation officers make in america, us probation officer salary,
                what do american probation officers earn]
  - id: texas-pay
    topic: pay_context
    jurisdiction: us-texas
    text: "Set by each local department."
    source: s
    as_of: 2024
    questions: [how much do probation officers make in texas, texas probation officer salary,
                what do probation officers earn in houston texas]
  - id: ew-pay
    topic: pay_context
    jurisdiction: england-wales
    text: "About £35,000 once qualified."
    source: s
    as_of: 2024
    questions: [how much do probation officers earn, probation officer salary uk,
                what do probation officers get paid in england]
"""
SMALL_UNITS = """
units:
  - id: role-band
    answer: band
    params: [role]
    questions: ["what band is a {role}", "{role} band", "which grade is a {role} on"]
"""


@pytest.fixture(scope="module")
def facts(tmp_path_factory):
    root = tmp_path_factory.mktemp("knowledge")
    (root / "facts").mkdir()
    (root / "facts" / "bank.yml").write_text(SMALL_BANK)
    (root / "questions").mkdir()
    (root / "questions" / "answers.yml").write_text(SMALL_UNITS)
    return root / "facts"


@pytest.fixture(scope="module")
def retriever(tmp_path_factory, facts):
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    resource = Resource("answer_retrieval")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**AnswerRetriever.get_default_config(), "facts_dir": str(facts)}
    AnswerRetriever.create(config, storage, resource, context).train(TrainingData())
    # what the server does: load the index back from the model's storage
    return AnswerRetriever.load(config, storage, resource, context)


@pytest.fixture(scope="module")
def entities(facts):
    extractor = KnowledgeEntityExtractor({}, None, None, knowledge_names(facts))  # type: ignore[arg-type]
    return extractor.extract


def ask(retriever, entities, text):
    message = Message(data={"text": text, "entities": entities(text)})
    retriever.process([message])
    return message.get(RETRIEVAL)


@pytest.mark.parametrize("text,unit", [
    ("wat band r psos", "role-band"),
    ("what grade is a probation officer", "role-band"),
    ("do u go round to peoples homes", "home-visits"),
    ("what retirement scheme would I be in", "pension"),
])
def test_a_question_finds_its_unit_in_the_words_people_type(retriever, entities, text, unit):
    assert ask(retriever, entities, text)["unit"] == unit


def test_a_us_place_never_gets_the_england_figure(retriever, entities):
    found = ask(retriever, entities, "what do probation officers earn in America?")
    assert found["unit"] == "us-pay"
    assert ask(retriever, entities, "probation officer pay in texas?")["unit"] == "texas-pay"


def test_another_states_facts_move_down(retriever, entities):
    ranking = ask(retriever, entities, "probation officer salary in america")["ranking"]
    scores = {r["unit"]: r["score"] for r in ranking}
    assert scores["us-pay"] > scores["texas-pay"]


def test_two_questions_in_one_message_get_both_units_in_order(retriever, entities):
    found = ask(retriever, entities, "what band is a PSO and do they do home visits?")
    assert [p["unit"] for p in found["parts"]] == ["role-band", "home-visits"]
    # the second half keeps the role the first half named
    assert [e["value"] for e in found["parts"][1]["entities"]] == ["pso"]


def test_an_unrelated_message_scores_below_a_real_question(retriever, entities):
    weak = ask(retriever, entities, "what is the capital of australia")["score"]
    assert weak < ask(retriever, entities, "do probation officers do home visits")["score"] - 0.2


def test_names_are_masked_so_one_question_serves_every_role(entities):
    text = "what band is a PSO in Texas"
    assert mask(text, entities(text)) == "what band is a role in place texas"
    # England and Wales is where a question naming no place is about: naming it adds nothing,
    # so "in England" matches the bank's questions written for any place
    text = "what band is a PSO in England"
    assert mask(text, entities(text)) == "what band is a role in place"


def ask_after(retriever, entities, previous, text, intent=None):
    """`text` sent after `previous`, with the conversation the server's parse hands the NLU."""
    data = {"text": text, "entities": entities(text),
            "metadata": {CONVERSATION: {"text": previous, "entities": entities(previous), "unit": None}}}
    if intent:
        data["intent"] = {"name": intent[0], "confidence": intent[1]}
    message = Message(data=data)
    retriever.process([message])
    return message


def test_a_follow_up_that_points_back_is_read_with_the_previous_question(retriever, entities):
    alone = ask(retriever, entities, "how much do they put into it?")
    after = ask_after(retriever, entities, "which pension scheme is it", "how much do they put into it?")
    found = after.get(RETRIEVAL)
    assert found["unit"] == "pension" and found.get("follow_up")
    assert alone["unit"] != "pension" or alone["score"] < found["score"]


def test_a_new_question_is_not_bent_towards_the_previous_one(retriever, entities):
    found = ask_after(retriever, entities, "which pension scheme is it",
                      "do probation officers do home visits?").get(RETRIEVAL)
    assert found["unit"] == "home-visits" and not found.get("follow_up")


def classified(retriever, text: str, intent: str, confidence: float, entities=()) -> Message:
    """A message the intent classifier labelled, after the retrieval component has seen it."""
    label = {"name": intent, "confidence": confidence}
    message = Message(data={"text": text, "entities": list(entities), "intent": label,
                            "intent_ranking": [label]})
    retriever.process([message])
    return message


def intents(message: Message) -> list[str]:
    return [r["name"] for r in message.get("intent_ranking")]


def test_a_close_answer_takes_the_message_from_an_unsure_dialogue_act(retriever):
    asked = classified(retriever, "which pension scheme do probation staff get", "help", 0.4)
    assert intents(asked) == ["ask_question", "help"]
    assert classified(retriever, "hello there", "greet", 0.6).get("intent")["name"] == "greet"


def test_an_unsure_goodbye_that_asks_something_far_from_the_bank_is_off_topic(retriever):
    assert intents(classified(retriever, "capital of australia?", "goodbye", 0.35)) == [
        "out_of_scope", "goodbye"]
    farewell = classified(retriever, "right, cheers then", "goodbye", 0.6)
    assert farewell.get("intent")["name"] == "goodbye"


def test_an_inform_that_tells_nothing_about_the_person_is_a_question(retriever):
    told = classified(retriever, "I'm a PSO", "inform", 0.95,
                      [{"entity": "role", "value": "pso", "role": "held"}])
    assert told.get("intent")["name"] == "inform" and told.get(RETRIEVAL) is None
    empty = classified(retriever, "solve 3x + 7 = 22 for me", "inform", 0.9)
    assert empty.get("intent")["name"] == "ask_question" and empty.get(RETRIEVAL) is not None


def test_a_qualification_is_matched_by_one_name_whatever_name_the_message_uses():
    names = KnowledgeEntityExtractor({}, None, None, knowledge_names())  # type: ignore[arg-type]
    spelled_out, short = "does a Diploma of Higher Education count?", "does a DipHE count?"
    # the encoders and the character n-grams ignore case
    assert mask(spelled_out, names.extract(spelled_out)) == mask(short, names.extract(short)).lower() == \
        "does a diphe count?"


def test_the_fingerprint_changes_with_the_questions(facts, tmp_path):
    before = AnswerRetriever.fingerprint_addon({"facts_dir": str(facts)})
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "bank.yml").write_text(SMALL_BANK.replace("is there a pension",
                                                                    "do i get a pension"))
    assert AnswerRetriever.fingerprint_addon({"facts_dir": str(tmp_path / "facts")}) != before


def test_minilm_batches_give_the_same_vectors_as_one_at_a_time():
    model = shared_minilm()
    texts = ["what band is a PSO", "can I get into probation with a tattoo on my neck please", "hi"]
    together = model.encode(texts)
    alone = np.stack([model.encode([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-5)
    assert np.allclose(np.linalg.norm(together, axis=1), 1, atol=1e-5)


@pytest.mark.parametrize("encode", [lambda t: shared_encoder().encode(t), lambda t: shared_minilm().encode(t)])
def test_each_encoder_puts_a_paraphrase_nearer_than_another_topic(encode):
    question, paraphrase, other = encode(["how much do probation officers earn",
                                          "what is the salary of a probation officer",
                                          "do probation officers do home visits"])
    assert question @ paraphrase > question @ other


def test_a_follow_ups_previous_question_is_not_encoded_again(retriever, entities):
    ask(retriever, entities, "which pension scheme is it")
    calls = []
    real = retriever.reranker.encode

    def counting(texts):
        calls.append(list(texts))
        return real(texts)

    retriever._reranker.encode = counting
    try:
        ask_after(retriever, entities, "which pension scheme is it", "how much do they put into it?")
    finally:
        del retriever._reranker.encode
    assert all("which pension scheme is it" not in batch for batch in calls)


# Two facts whose bank questions put the wrong one nearer "is there extra money for working in
# London?"; their texts tell them apart.
TEXT_BANK = SMALL_BANK.split("facts:")[0] + """facts:
  - id: london-allowance
    topic: benefits
    jurisdiction: england-wales
    text: "Staff whose office is in London get a London weighting allowance on top of their salary."
    source: s
    as_of: 2024
    questions: [is there extra money in some areas, do some places pay more, is pay higher anywhere]
  - id: relocation
    topic: benefits
    jurisdiction: england-wales
    text: "A relocation scheme can help with the costs of moving house to take up a post."
    source: s
    as_of: 2024
    questions: [is there extra money for working in a new city, do they pay more if i move, is there help anywhere]
"""


def retriever_for(tmp_path, bank, **config):
    (tmp_path / "facts").mkdir(parents=True)
    (tmp_path / "storage").mkdir()
    (tmp_path / "facts" / "bank.yml").write_text(bank)
    storage = LocalModelStorage(tmp_path / "storage")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**AnswerRetriever.get_default_config(), "facts_dir": str(tmp_path / "facts"),
              "sure": 2.0, **config}
    component = AnswerRetriever.create(config, storage, Resource("r"), context)
    component.train(TrainingData())
    return component


def test_a_facts_text_decides_between_units_whose_questions_are_alike(tmp_path):
    question = "is there extra money for working in London?"
    with_text = retriever_for(tmp_path / "a", TEXT_BANK)
    found = with_text.retrieve(question, [])
    assert found["unit"] == "london-allowance"
    # the text orders; it does not make the best answer surer than its questions make it
    without = retriever_for(tmp_path / "b", TEXT_BANK, answer_weight=0).retrieve(question, [])
    assert without["unit"] == "relocation"
    assert found["score"] <= without["score"] + 1e-6


def test_the_fingerprint_changes_with_a_facts_text(facts, tmp_path):
    before = AnswerRetriever.fingerprint_addon({"facts_dir": str(facts)})
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "bank.yml").write_text(SMALL_BANK.replace("The Local Government Pension",
                                                                    "The Civil Service Pension"))
    assert AnswerRetriever.fingerprint_addon({"facts_dir": str(tmp_path / "facts")}) != before


def test_a_plain_and_between_two_things_asks_both(retriever, entities):
    found = ask(retriever, entities, "can you explain the pension and home visits?")
    assert [p["unit"] for p in found["parts"]] == ["pension", "home-visits"]


def test_a_role_named_after_the_and_holds_for_the_part_before_it(retriever, entities):
    found = ask(retriever, entities, "what is the pension and the band for a PSO?")
    assert [p["unit"] for p in found["parts"]] == ["pension", "role-band"]
    assert all([e["value"] for e in p["entities"]] == ["pso"] for p in found["parts"])


def test_a_word_standing_for_the_role_is_read_as_the_role(retriever, entities):
    found = ask(retriever, entities, "what band is a PSO and do they do home visits?")
    # masked like a role the part names itself: "do role do home visits?"
    placed = found["parts"][1]["entities"][0]
    assert placed["value"] == "pso" and found["parts"][1]["text"][placed["start"]:placed["end"]] == "PSO"


@pytest.mark.parametrize("text", [
    "what band are PSOs and POs?",                      # one question about two roles
    "I have a degree and I'm 25, is there a pension?",  # details about the person, then a question
    "what band is a PSO? Thinking of home visits too.",  # the second sentence asks nothing
])
def test_an_and_or_a_second_sentence_that_is_not_a_second_question_is_not_split(
        retriever, entities, text):
    assert "parts" not in ask(retriever, entities, text)




# "Suit?" alone is nearest the uniform; after a question about the assessment centre it asks the
# same thing again
DRESS_BANK = SMALL_BANK.split("facts:")[0] + """facts:
  - id: ac-dress
    topic: assessment
    jurisdiction: england-wales
    text: "Smart casual clothes you are comfortable in."
    source: s
    as_of: 2024
    questions: [what should i wear to the assessment centre, dress code for the assessment day,
                what clothes for the online assessment]
  - id: uniform
    topic: duties
    jurisdiction: england-wales
    text: "No, probation staff wear their own clothes."
    source: s
    as_of: 2024
    questions: [do probation officers wear a uniform, suit or uniform at work, is there a uniform]
"""


def test_a_second_part_that_leans_on_the_first_is_read_with_it(tmp_path):
    retriever = retriever_for(tmp_path, DRESS_BANK)
    assert retriever.retrieve("Suit?", [])["unit"] == "uniform"
    found = retriever.retrieve("What should I wear for the assessment centre? Suit?", [])
    assert found["unit"] == "ac-dress" and "parts" not in found


# The message's words are nearer one fact's questions ("how much time off would I get") and the
# other's text ("holiday")
LEAVE_BANK = SMALL_BANK.split("facts:")[0] + """facts:
  - id: annual-leave
    topic: benefits
    jurisdiction: england-wales
    text: "Twenty-five days of holiday a year to start with."
    source: s
    as_of: 2024
    questions: [what is the annual leave allowance, leave entitlement, days of leave a year]
  - id: public-holidays
    topic: benefits
    jurisdiction: england-wales
    text: "Eight public days off on top of leave."
    source: s
    as_of: 2024
    questions: [how much time off would I get, what time off is there, days off at christmas]
"""


def test_the_words_of_a_facts_text_help_order_the_closest_units(tmp_path):
    question = "how much holiday would I get?"
    spelled = retriever_for(tmp_path / "a", LEAVE_BANK, answer_weight=0, answer_spelling_weight=5.0)
    unspelled = retriever_for(tmp_path / "b", LEAVE_BANK, answer_weight=0, answer_spelling_weight=0)
    assert spelled.retrieve(question, [])["unit"] == "annual-leave"
    assert unspelled.retrieve(question, [])["unit"] == "public-holidays"


def test_a_long_messages_question_is_read_on_its_own_when_that_is_nearer(retriever, entities):
    text = ("Sorry for the essay, my careers adviser at college was useless and my parents keep "
            "going on at me about security. What retirement scheme would I be in?")
    # read whole, the first sentence pulls the message below where the bot would answer
    assert retriever.rank(text, entities(text))[0][1] < 0.45
    found = ask(retriever, entities, text)
    assert found["unit"] == "pension" and found["score"] > 0.52


# Two pay awards whose questions read alike apart from the year
AWARDS_BANK = SMALL_BANK.split("facts:")[0] + """facts:
  - id: award-2021
    topic: pay_context
    jurisdiction: england-wales
    text: "For 2021-22 the employer offered most staff no rise."
    source: s
    as_of: 2022
    questions: [what pay rise did probation staff get in 2021, was pay frozen in 2021, what happened with pay in 2021, did staff get a pay rise]
  - id: offer-2025
    topic: pay_context
    jurisdiction: england-wales
    text: "In January 2026 HMPPS put 4% on the table for 2025-26."
    source: s
    as_of: 2026
    questions: [what pay offer has been made to probation staff, latest pay rise offered]
"""


def test_a_question_naming_a_year_gets_the_fact_for_that_year(tmp_path):
    question = "What pay rise did the employer offer probation staff for 2025-26?"
    dated = retriever_for(tmp_path / "a", AWARDS_BANK)
    undated = retriever_for(tmp_path / "b", AWARDS_BANK, year_weight=0)
    assert dated.retrieve(question, [])["unit"] == "offer-2025"
    assert undated.retrieve(question, [])["unit"] == "award-2021"
    assert dated.retrieve("did staff get a pay rise in 2021?", [])["unit"] == "award-2021"


# One worry asked twice, each sentence nearer a neighbouring answer than the whole message is
SAFETY_BANK = SMALL_BANK.split("facts:")[0] + """facts:
  - id: lone-working
    topic: working_conditions
    jurisdiction: england-wales
    text: "Staff follow lone-working rules and carry alarms."
    source: s
    as_of: 2024
    questions: [is it safe working alone in probation, do probation staff work on their own,
                what do unions say about lone working safety, is lone working dangerous,
                how safe is it out on your own on home visits]
  - id: overview
    topic: overview
    jurisdiction: england-wales
    text: "Probation supervises people on community sentences and licence."
    source: s
    as_of: 2024
    questions: [how is probation work organised, what does the probation service do, what do probation staff do all day]
  - id: unions
    topic: working_conditions
    jurisdiction: england-wales
    text: "Napo, UNISON and GMB represent probation staff."
    source: s
    as_of: 2024
    questions: [which unions represent probation staff, is there a union for probation, what has the union said about pay]
"""


def test_one_question_asked_twice_is_not_split_into_two_neighbours(tmp_path):
    question = ("How safe is probation work when you're out on your own a lot? "
                "Has the union said anything about lone working?")
    found = retriever_for(tmp_path / "a", SAFETY_BANK).retrieve(question, [])
    assert found["unit"] == "lone-working" and "parts" not in found
    # a real two-in-one message still gets both answers
    found = retriever_for(tmp_path / "b", SAFETY_BANK).retrieve(
        "which unions represent probation staff? and do probation staff work on their own?", [])
    assert [p["unit"] for p in found.get("parts", [])] == ["unions", "lone-working"]


# A role that says where it works ("federal probation officer") and a state-level neighbour:
# the small bank's places and roles, with the federal courts and two US roles added
ACADEMY_BANK = (
    SMALL_BANK.split("facts:")[0]
    .replace("part_of: us}\n", "part_of: us}\n  - {id: us-federal, name: the US federal courts, "
             "aliases: [federal courts], part_of: us}\n")
    + """  - {id: us-po, name: US probation officer, jurisdiction: us}
  - {id: us-federal-po, name: federal probation officer, jurisdiction: us-federal}
facts:
  - id: state-academy
    topic: training
    jurisdiction: us
    roles: [us-po, us-federal-po]
    text: "It varies by state; some academies run for six weeks."
    source: s
    as_of: 2024
    questions: [how long is a state probation academy, how many weeks is po academy,
                do new officers go to an academy]
  - id: federal-academy
    topic: training
    jurisdiction: us-federal
    roles: [us-federal-po]
    text: "New federal officers train at the national academy in Charleston."
    source: s
    as_of: 2024
    questions: [where is the national training academy, charleston training centre,
                is there one national academy for new officers]
"""
)


def test_a_role_that_says_where_it_works_lifts_that_places_facts(tmp_path):
    retriever = retriever_for(tmp_path, ACADEMY_BANK)
    names = KnowledgeEntityExtractor(
        {}, None, None, knowledge_names(tmp_path / "facts")  # type: ignore[arg-type]
    )
    question = "where do new federal probation officers go for academy?"
    assert retriever.retrieve(question, names.extract(question))["unit"] == "federal-academy"


def test_the_banks_stand_in_words_typed_alone_ask_nothing(retriever, entities):
    # "{role}" typed as it is (a template injection) would match every "{role}" question
    for text in ("{role}", "role", "${place}"):
        assert retriever.retrieve(text, entities(text))["unit"] is None, text
    assert ask(retriever, entities, "PSO band?")["unit"] == "role-band"
