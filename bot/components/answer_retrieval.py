"""Rasa NLU component: finds which answer in the knowledge base's question bank a message asks
for, the way Rasa's ResponseSelector picks a response, but over the bank's questions.

Every answerable unit (a fact in `knowledge/facts/`, or a composed answer in
`knowledge/questions/`) lists the questions it answers. At training time
each question is indexed twice: by meaning (the WordLlama encoder in `encoder.py`) and by spelling
(character n-grams, which survive typos such as "probaton"). The names of roles and places are
masked ("what band is a PSO" and "what band is a PO" are both "what band is a role"), so a
question written once with `{role}` serves every role, and the role and place the message names
re-rank the units instead: a question about California never gets a fact that only holds in
England. The result (the best unit, its score, the runners-up, and the parts of a message that
asks two things) is message data for the answer action, which renders the unit from the
knowledge base, so an edited fact is answered with its new text at once. A fact's text also
helps order the closest units (the second stage below); its fingerprint is the bank with those
texts, so adding a question or editing a text retrains this component alone."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import HashingVectorizer

from bot.components.encoder import Encoder, shared_encoder
from bot.components.minilm import MiniLM, shared_minilm
from bot.components.weight_cache import remembered_vectors
from bot.rasa_patches.parse_context import CONVERSATION
from knowledge.bank import Misfit

RETRIEVAL = "retrieval"
# "what band is a PSO?......": a run of the same symbol says nothing and swamps both scores
_REPEATS = re.compile(r"([^\w\s])\1+|\s{2,}")  # the message data key the answer action reads
INDEX_FILE, META_FILE, LEXICAL_FILE = "index.npz", "units.json", "lexical.npz"
ANSWERS_LEXICAL_FILE = "answers_lexical.npz"
# Messages the intent classifier is this sure are one of these are not looked up in the bank.
DIALOGUE_ACTS = frozenset(
    {"greet", "goodbye", "thank", "affirm", "deny", "stop", "help", "bot_challenge", "inform"}
)
DIALOGUE_ACT_CONFIDENCE = 0.8
QUESTION_INTENT = "ask_question"
OFF_TOPIC = "out_of_scope"
# Acts that never ask anything: one that does, unsure, is a question the classifier misread
PLEASANTRIES = frozenset({"greet", "goodbye", "thank"})
# What an `inform` message tells: the person's details, or where they want to work.
DETAILS = frozenset(
    {"age", "months", "qualification", "subject", "role", "jurisdiction", "unknown_place"}
)
MASKS = {"role": "role", "jurisdiction": "place"}
DEFAULT_PLACE = "england-wales"
_DEFAULT_PLACE_NAMES = re.compile(
    r"(?:england|england (?:and|&) wales|(?:the )?u\.?k\.?|"
    r"(?:the )?united kingdom|(?:great )?britain)$",
    re.I,
)
_PLACEHOLDER = re.compile(r"{(role|place)}")
_MASK_WORDS = re.compile(r"\b(?:role|place)s?\b", re.I)
# Where a message asks two things: after a question mark, at "also" or "plus", or at an "and"
# that starts a second question ("what band is a PSO and what's the starting salary?").
_SPLIT = re.compile(
    r"(?<=\?)\s+(?=\S)|\s*[;,]?\s+(?:and also|also|plus)\s+(?=\w+\s+\w+)|"
    r"\s*,?\s+and\s+(?=(?:what|what's|whats|how|do|does|did|is|are|can|could|would|"
    r"will|which|who|where|when|should|if so)\b)",
    re.I,
)
# A message that leans on the one before: it opens as a continuation ("and", "what about", "so")
# or points back at something it does not name ("do they carry guns?", "how long is it?").
_LEANS_BACK = re.compile(
    r"^\W*(?:and|so|but|then|ok(?:ay)?|what about|how about|what if)\b|"
    r"\b(?:it|its|they|them|their|those|these|he|she|him|her|his)\b",
    re.I,
)
RECENT = 512  # messages whose vectors are kept for the follow-ups that come after them
_SHORT = 4  # words: "how long's the degree?" is about something said before
# The sentences of a message: up to a full stop, question or exclamation mark and a space
# a year as people write it in a question about pay awards or figures ("2025-26" names 2025)
_YEAR = re.compile(r"\b((?:19[5-9]|20[0-4])\d)\b")
_SENTENCE = re.compile(r"\S.*?(?:[.?!](?=\s)|$)", re.S)


def _canonical(entity: Dict[str, Any]) -> str:
    """A qualification's one name, from its id; "" for anything else."""
    value = entity.get("value")
    if entity.get("entity") != "qualification" or not isinstance(value, str):
        return ""
    return value.replace("-", " ")


def _informs(message: Message) -> bool:
    """Whether the message tells us something about the person or where they want to work."""
    return any(e.get("entity") in DETAILS for e in message.get(ENTITIES) or [])


def _lexical() -> HashingVectorizer:
    # stateless, so nothing but the idf weights needs storing
    return HashingVectorizer(
        analyzer="char_wb",
        ngram_range=(3, 5),
        n_features=2**18,
        alternate_sign=False,
        norm=None,
        lowercase=True,
    )


def mask(text: str, entities: List[Dict[str, Any]]) -> str:
    """The text with each role and place named in it replaced by a stand-in word, and each
    qualification by one name for it ("Professional Qualification in Probation" is "pqip")."""
    spans = sorted(
        (
            e
            for e in entities
            if (e.get("entity") in MASKS or _canonical(e))
            and isinstance(e.get("start"), int)
            and isinstance(e.get("end"), int)
        ),
        key=lambda e: e["start"],
    )
    out, at = [], 0
    for entity in spans:
        if entity["start"] < at:
            continue
        out.append(text[at : entity["start"]])
        if entity["entity"] not in MASKS:
            named = text[entity["start"] : entity["end"]]
            # a long name gives way to the short one; a one-word name ("degree") is left as
            # typed, since the short form of a plain "degree" would add words it did not say
            out.append(_canonical(entity) if len(named.split()) > 1 else named)
            at = entity["end"]
            continue
        out.append(MASKS[entity["entity"]])
        named = text[entity["start"] : entity["end"]]
        if entity["entity"] == "jurisdiction" and not (
            entity.get("value") == DEFAULT_PLACE and _DEFAULT_PLACE_NAMES.match(named)
        ):
            # "place texas": a state's own facts stay nearer to Texas than to America. England
            # is where a question naming no place is about, so naming it adds nothing (a town in
            # it, "place hull", still says something)
            out.append(" " + named.lower())
        at = entity["end"]
    out.append(text[at:])
    return _PLACEHOLDER.sub(lambda m: m.group(1), "".join(out))


# "explain OASys and MAPPA?": one plain "and" between two short things
_PLAIN_AND = re.compile(r"\s+and\s+", re.I)
_PLAIN_AND_WORDS = 12
# A part that asks something: a question mark, or a question's first word
# within its first three words ("since when has...") or after a colon ("federal probation
# officer: whats the age limit")
_ASKS = re.compile(
    r"\?|(?:^|:)\W*(?:\w+\W+){0,2}?(?:what|what's|whats|how|do|does|did|is|are|can|"
    r"could|would|will|which|who|where|when|why|should|has|have|any|tell me|explain)\b",
    re.I,
)
_FIRST_PERSON = re.compile(r"(?:i|i'?m|im|i'?ve|my)\b", re.I)
# Words in the second half of a message that stand for the role named in the first
_STANDS_FOR_ROLE = re.compile(r"\b(?:that|it|they|them|their|this|those|one)\b", re.I)


def _plain_and(text: str, entities: List[Dict[str, Any]]) -> List[tuple]:
    """The cut at the one plain "and" of a short sentence, unless it is inside a name ("England
    and Wales")."""
    placed = [
        e for e in entities if isinstance(e.get("start"), int) and isinstance(e.get("end"), int)
    ]
    cuts = []
    for match in _PLAIN_AND.finditer(text):
        if any(e["start"] < match.start() < e["end"] for e in placed):
            continue
        if any(e["end"] == match.start() for e in placed) and any(
            e["start"] == match.end() for e in placed
        ):
            continue  # "what do POs and PSOs earn?": one question about both
        if _FIRST_PERSON.match(text, match.end()):
            continue  # "I have a degree and I'm 25, can I apply?": one question about them

        # the sentence it is in, not the whole message, must be short
        start = max(text.rfind(mark, 0, match.start()) for mark in ".?!") + 1
        ends = [i for i in (text.find(mark, match.end()) for mark in ".?!") if i >= 0]
        if len(text[start : min(ends, default=len(text))].split()) <= _PLAIN_AND_WORDS:
            cuts.append(match.span())
    return cuts if len(cuts) == 1 else []


def _carry_into(piece: str, inside: List[Dict[str, Any]], carried: List[Dict[str, Any]]) -> tuple:
    """The second half of "which band is a PO and what does that pay?" reads "what does PO
    pay?": the word standing for the role becomes the role's name, so the role is masked like
    one the half names itself. Without such a word the role rides along unplaced."""
    entity = carried[0]
    match = _STANDS_FOR_ROLE.search(piece) if entity.get("entity") == "role" else None
    if match is None or not entity.get("text"):
        return piece, inside + carried
    name = str(entity["text"])
    shift = len(name) - (match.end() - match.start())
    moved = [
        {**e, "start": e["start"] + shift, "end": e["end"] + shift}
        if isinstance(e.get("start"), int) and e["start"] >= match.end()
        else e
        for e in inside
    ]
    placed = {**entity, "start": match.start(), "end": match.start() + len(name)}
    return piece[: match.start()] + name + piece[match.end() :], moved + [placed]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class AnswerRetriever(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "facts_dir": None,
            "meaning_weight": 0.55,  # the rest is the character n-gram score
            "ranking_length": 10,
            "part_threshold": 0.5,  # each part of a two-question message must score this
            # and not this far below the whole message read as one question
            "part_margin": 0.1,
            "rerank_top": 10,  # the first stage's best units that MiniLM re-ranks (0: none)
            "rerank_weight": 0.45,  # MiniLM's share of the final score
            "sure": 0.75,  # a first-stage best this high, this far ahead of the
            "sure_margin": 0.1,  # next unit, skips the second stage
            "previous_weight": 0.5,  # the previous question's share of a follow-up's query
            "alone_enough": 0.6,  # a message scoring this alone needs no previous question
            "context_bias": 0.06,  # a follow-up's reading must beat the message alone by this
            "follow_up_lift": 0.08,  # a query mixing two questions scores lower on the same
            # scale: its scores are lifted to the single message's
            "repeat_penalty": 0.03,  # the previous answer again, as a follow-up's answer
            # a unit this close takes the message from an unsure dialogue act ("what is MAPPA"
            # is not a call for help)
            "claims_act": 0.55,
            # how much a fact unit's own text, compared with the message, moves it in the second
            # stage against the other units there (composed units have no fixed text)
            "answer_weight": 1.0,
            # and the text's spelling (character n-grams), beside its meaning
            "answer_spelling_weight": 0.5,
            # a long message's question alone must beat the whole message by this to be taken
            "focus_margin": 0.1,
            # how much a fact naming the year a message names moves up
            "year_weight": 0.1,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        bank = _bank(config)
        return hashlib.sha256(json.dumps(bank, sort_keys=True).encode()).hexdigest()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "AnswerRetriever":
        return cls(config, model_storage, resource)

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        index: Optional[Dict[str, Any]] = None,
        encoder: Optional[Encoder] = None,
        reranker: Optional[MiniLM] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._encoder = encoder
        self._reranker = reranker
        self._vectorizer = _lexical()
        self._misfit = Misfit()
        self._recent: Dict[int, "OrderedDict[str, np.ndarray]"] = {}
        self._recent_lock = threading.Lock()
        self._fits: Dict[tuple, np.ndarray] = {}
        self.index = index

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = shared_encoder()
        return self._encoder

    @property
    def reranker(self) -> MiniLM:
        if self._reranker is None:
            self._reranker = shared_minilm()
        return self._reranker

    # -- training --------------------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        self.index = build_index(_bank(self._config), self.encoder, self._vectorizer, self.reranker)
        self._fits.clear()
        with self._model_storage.write_to(self._resource) as directory:
            save_index(self.index, Path(directory))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "AnswerRetriever":
        with model_storage.read_from(resource) as directory:
            index = load_index(Path(directory))
        # loaded with the model, before the server forks its workers, so they share the pages
        return cls(config, model_storage, resource, index, shared_encoder(), shared_minilm())

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    # -- prediction ------------------------------------------------------------------------------
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not text or self.index is None or self._plainly_a_dialogue_act(message):
                continue
            conversation = (message.get("metadata") or {}).get(CONVERSATION)
            found = self.retrieve(text, message.get(ENTITIES) or [], conversation)
            message.set(RETRIEVAL, found, add_to_output=True)
            self._claim_from_unsure_act(message, found)
        return messages

    @staticmethod
    def _plainly_a_dialogue_act(message: Message) -> bool:
        """ "hi", "thanks", "I have A levels": nothing to look up, so no encoder time spent."""
        intent = message.get(INTENT) or {}
        if intent.get(INTENT_NAME_KEY) == "inform" and not _informs(message):
            return False
        return (
            intent.get(INTENT_NAME_KEY) in DIALOGUE_ACTS
            and (intent.get(PREDICTED_CONFIDENCE_KEY) or 0) >= DIALOGUE_ACT_CONFIDENCE
        )

    def _claim_from_unsure_act(self, message: Message, found: Dict[str, Any]) -> None:
        """ "What is MAPPA" or "how long then?" taken, unsure, for a call for help or a greeting
        is a question when the bank has a close answer: the intent becomes `ask_question`, and the
        classifier's guess stays in the ranking."""
        intent = message.get(INTENT) or {}
        name = intent.get(INTENT_NAME_KEY)
        # "solve 3x + 7 = 22 for me" taken for telling us something: it tells nothing about the
        # person, so it is a question, which the bank answers or the bot says it cannot
        empty_inform = name == "inform" and not _informs(message)
        if (
            name in PLEASANTRIES
            and found["score"] < self._config["claims_act"]
            and _ASKS.search(message.get(TEXT) or "")
        ):
            # "capital of australia?" taken, unsure, for a goodbye: a question the bank has no
            # answer for is off-topic (the further from the bank, the surer), not the end of
            # the conversation
            self._relabel(message, OFF_TOPIC, 1 - found["score"])
            return
        if not empty_inform and (
            name not in DIALOGUE_ACTS - {"inform"} or found["score"] < self._config["claims_act"]
        ):
            return
        self._relabel(message, QUESTION_INTENT, found["score"])

    @staticmethod
    def _relabel(message: Message, name: str, confidence: float) -> None:
        """The message's intent becomes `name`; the classifier's guess stays in the ranking."""
        relabelled = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
        ranking = [
            r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != name
        ]
        message.set(INTENT, relabelled, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [relabelled] + ranking, add_to_output=True)

    def retrieve(
        self,
        text: str,
        entities: List[Dict[str, Any]],
        conversation: Optional[Dict[str, Any]] = None,
    ) -> Dict[str, Any]:
        if not any(e.get("entity") in MASKS for e in entities) and not _MASK_WORDS.sub(
            "", _PLACEHOLDER.sub("", text)
        ).strip(" \t\n{}$!?.,;:'\"()[]<>/\\|-_*"):
            # "{role}" typed as it is, or "role" alone: the stand-in words of the bank's
            # questions, which would match them all, with nothing asked
            return {"unit": None, "score": 0.0, "ranking": []}
        whole = self.rank(text, entities)
        whole = self._focused(text, entities, whole) or whole
        followed = self._as_follow_up(text, entities, whole, conversation)
        if followed is not None:
            whole = followed
        # `fit` is how much the role and place named moved each unit; the answer action swaps it
        # for the conversation's when a follow-up names neither
        result = {
            "unit": whole[0][0],
            "score": round(whole[0][1], 4),
            "ranking": [
                {"unit": u, "score": round(s, 4), "fit": round(f, 4)}
                for u, s, f in whole[: self._config["ranking_length"]]
            ],
        }
        if followed is not None:
            result["follow_up"] = True
        else:
            parts = self._parts(text, entities, whole[0])
            if parts:
                result["parts"] = parts
        return result

    def _focused(
        self, text: str, entities: List[Dict[str, Any]], whole: List[tuple]
    ) -> Optional[List[tuple]]:
        """A long message's question read on its own, when that is nearer a unit than the whole
        message is: in "been invited to the OAC next month and I'm bricking it. What actually
        happens on the day?" the first sentence only dilutes the second. The roles and places the
        rest names still hold for it; None to keep the whole message's ranking."""
        if whole and whole[0][1] >= self._config["alone_enough"]:
            return None
        sentences = [m.span() for m in _SENTENCE.finditer(text)]
        if len(sentences) < 2:
            return None
        best = None
        for start, end in sentences:
            piece = text[start:end]
            if not _ASKS.search(piece) or len(piece.split()) <= _SHORT:
                continue
            inside = [
                {**e, "start": e["start"] - start, "end": e["end"] - start}
                for e in entities
                if isinstance(e.get("start"), int) and start <= e["start"] and e["end"] <= end
            ]
            named = {e.get("entity") for e in inside}
            carried = [
                {**e, "start": None, "end": None}
                for e in entities
                if e.get("entity") in MASKS and e.get("entity") not in named
            ]
            ranked = self.rank(piece, inside + carried)
            if best is None or ranked[0][1] > best[0][1]:
                best = ranked
        margin = self._config["focus_margin"]
        return best if best is not None and best[0][1] > whole[0][1] + margin else None

    def _as_follow_up(
        self,
        text: str,
        entities: List[Dict[str, Any]],
        alone: List[tuple],
        conversation: Optional[Dict[str, Any]],
    ) -> Optional[List[tuple]]:
        """The ranking for the message read together with the previous question, when the message
        leans on it and that reading fits better; None to keep the message's own ranking."""
        conversation = conversation or {}
        previous = conversation.get("text")
        if not isinstance(previous, str) or not previous.strip():
            return None
        leans = bool(_LEANS_BACK.search(text)) or len(text.split()) <= _SHORT
        if not leans and alone[0][1] >= self._config["alone_enough"]:
            return None
        before = [e for e in conversation.get("entities") or [] if isinstance(e, dict)]
        named = {e.get("entity") for e in entities}
        carried = entities + [
            {**e, "start": None, "end": None}
            for e in before
            if e.get("entity") in MASKS and e.get("entity") not in named
        ]
        ranking = self.rank(text, carried, previous=mask(previous, before))
        if not named & set(MASKS):
            # the previous answer again is seldom a follow-up's answer ("and in London?", which
            # names a place, is the answer action's to re-ask)
            penalty = self._config["repeat_penalty"]
            ranking = sorted(
                (
                    (u, s - penalty if u == conversation.get("unit") else s, f)
                    for u, s, f in ranking
                ),
                key=lambda r: -r[1],
            )
        bias = -self._config["context_bias"] if leans else self._config["context_bias"]
        if not ranking or ranking[0][1] < alone[0][1] + bias:
            return None
        lift = self._config["follow_up_lift"]
        return [(u, s + lift, f) for u, s, f in ranking]

    def _parts(self, text: str, entities: List[Dict[str, Any]], best) -> List[Dict[str, Any]]:
        """Two questions in one message: each part's best unit, when each part is confident on
        its own and they differ. A plain "and" between two things ("can you explain OASys and
        MAPPA?") splits only when the cuts at question words found nothing."""
        found = self._parts_at([m.span() for m in _SPLIT.finditer(text)], text, entities)
        if not found:
            found = self._parts_at(_plain_and(text, entities), text, entities)
        others = [f for f in found if f["unit"] != best[0]]
        if found and all(best[1] - f["score"] > self._config["part_margin"] for f in others):
            # "How safe is it when you're out on your own? Has the union said anything about
            # lone working?": the whole message finds its answer far more surely than the parts
            # find theirs, so it is one question asked twice
            return []
        return found

    def _parts_at(
        self, cuts: List[tuple], text: str, entities: List[Dict[str, Any]]
    ) -> List[Dict[str, Any]]:
        if not cuts:
            return []
        pieces, at = [], 0
        for start, end in cuts + [(len(text), len(text))]:
            if text[at:start].strip():
                pieces.append((at, start))
            at = end
        if len(pieces) < 2:
            return []
        found: List[Dict[str, Any]] = []
        # "what's the pay and pension like for a PSO?": a role or place named later in the
        # message holds for the parts before it too
        carried: Dict[str, List[Dict[str, Any]]] = {
            kind: [{**e, "start": None, "end": None} for e in entities if e.get("entity") == kind][
                :1
            ]
            for kind in MASKS
        }
        before: Optional[str] = None
        for start, end in pieces[:3]:
            piece = text[start:end]
            if not _ASKS.search(piece):
                continue  # "... compare? Thinking of doing that instead.": context, not a question
            inside = [
                {**e, "start": e["start"] - start, "end": e["end"] - start}
                for e in entities
                if isinstance(e.get("start"), int)
                and start <= e["start"]
                and e.get("end", 0) <= end
            ]
            for kind in MASKS:  # "what band is a PSO and what does it pay?": still the PSO
                own = [e for e in inside if e.get("entity") == kind]
                if own:
                    carried[kind] = [{**e, "start": None, "end": None} for e in own]
                elif carried.get(kind):
                    piece, inside = _carry_into(piece, inside, carried[kind])
            ranked = self.rank(piece, inside)
            if before is not None and (_LEANS_BACK.search(piece) or len(piece.split()) <= _SHORT):
                # "Which victims get a VLO? Is it everyone?", "What should I wear? Suit?": a part
                # that leans on the one before is also read with it, as a follow-up is; that
                # reading is often the same question again, answered once
                lift = self._config["follow_up_lift"] - self._config["context_bias"]
                joint = [(u, s + lift, f) for u, s, f in self.rank(piece, inside, before)]
                if joint[0][1] > ranked[0][1]:
                    ranked = joint
            before = mask(piece, inside)
            unit, score, _ = ranked[0]
            if score >= self._config["part_threshold"] and all(unit != f["unit"] for f in found):
                found.append(
                    {
                        "unit": unit,
                        "score": round(score, 4),
                        "text": piece.strip(),
                        "entities": inside,
                        # the next unit too: the answer action may fall back to it
                        "ranking": [{"unit": u, "score": round(s, 4)} for u, s, _ in ranked[:2]],
                    }
                )
        return found if len(found) >= 2 else []

    def rank(
        self, text: str, entities: List[Dict[str, Any]], previous: Optional[str] = None
    ) -> List[tuple]:
        """Every unit with its score, best first; with `previous` (a question already masked),
        the message is read as a follow-up to it."""
        index = self.index
        assert index is not None, "the component is trained or loaded before it ranks"
        masked = [
            _REPEATS.sub(lambda m: m.group(1) or " ", t)
            for t in [mask(text, entities)] + ([previous] if previous else [])
        ]
        meaning = index["vectors"] @ self._query(self._encoded(self.encoder, masked))
        lexical = _lexical_rows(self._vectorizer, masked, index["idf"])
        # the message's few n-grams times the bank's columns for them: the bank is kept by
        # column (CSC), so its transpose is rows without conversion, and only the bank rows
        # sharing an n-gram with the message are touched
        spelling = (lexical @ index["lexical"].T).toarray()
        spelling = self._query(np.asarray(spelling), normalised=False) / self._query_norm(lexical)
        weight = self._config["meaning_weight"]
        per_row = weight * meaning + (1 - weight) * spelling
        per_unit = np.maximum.reduceat(per_row, index["starts"])
        adjustments = self._adjustments(entities) + self._dated(text)
        per_unit = per_unit + adjustments
        order = np.argsort(-per_unit)
        units = index["units"]
        best, runner_up = per_unit[order[0]], per_unit[order[1]] if len(order) > 1 else 0.0
        if self._config["rerank_top"] <= 0 or (
            best >= self._config["sure"] and best - runner_up >= self._config["sure_margin"]
        ):
            # the first stage is sure ("what band is a PSO?" against "what band is a {role}"):
            # the second stage's milliseconds would not change the answer
            return [(units[i]["id"], float(per_unit[i]), float(adjustments[i])) for i in order[:50]]
        # Second stage: MiniLM, a stronger encoder too slow to compare with every question,
        # re-ranks the first stage's best few by their own questions.
        top = order[: self._config["rerank_top"]]
        message = self._query(self._encoded(self.reranker, masked))
        ends = np.append(index["starts"][1:], len(index["reranker"]))
        closeness = np.array(
            [
                (index["reranker"][index["starts"][i] : ends[i]].astype(np.float32) @ message).max()
                + adjustments[i]
                for i in top
            ]
        )
        weight = self._config["rerank_weight"]
        final = (1 - weight) * per_unit[top] + weight * closeness
        answers = index.get("answers")
        has = index["has_answer"][top] if answers is not None else np.zeros(len(top), dtype=bool)
        if (
            answers is not None
            and has.any()
            and (self._config["answer_weight"] or self._config["answer_spelling_weight"])
        ):
            # "is there extra money for London on PQiP?" is nearer the text that names the London
            # allowance than the one about relocation, though the bank's questions are not. The
            # text orders the units; it does not make the best one surer than its questions do,
            # or a neighbouring fact would be answered where the bot should say it has nothing.
            near = self._config["answer_weight"] * (answers[top] @ message)
            spelled = index.get("answers_lexical")
            if spelled is not None and self._config["answer_spelling_weight"]:
                # the text's words too ("how much holiday?" against the text that says holiday)
                near = near + self._config["answer_spelling_weight"] * (
                    spelled[top] @ lexical[0].toarray().ravel()
                )
            ordered = final + weight * np.where(
                has, near - near[has].mean(), near[has].max() - near[has].mean()
            )
            best = int(np.argmax(ordered))
            final = ordered - (ordered[best] - final[best])
        reranked = [
            (units[i]["id"], float(f), float(adjustments[i]))
            for f, i in sorted(zip(final, top, strict=True), key=lambda p: -p[0])
        ]
        rest = [
            (units[i]["id"], float((1 - weight) * per_unit[i]), float(adjustments[i]))
            for i in order[len(top) : 50]
        ]
        return reranked + rest

    def _encoded(self, model, texts: List[str]) -> np.ndarray:
        """The texts' vectors; a follow-up's previous question was encoded a turn ago, so recent
        vectors are kept rather than computed again."""
        with self._recent_lock:
            cache = self._recent.setdefault(id(model), OrderedDict())
            known = {t: cache[t] for t in texts if t in cache}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            known.update(zip(missing, model.encode(missing), strict=True))
        with self._recent_lock:
            for text in texts:
                cache[text] = known[text]
                cache.move_to_end(text)
            while len(cache) > RECENT:
                cache.popitem(last=False)
        return np.stack([known[t] for t in texts])

    def _query(self, rows: np.ndarray, normalised: bool = True) -> np.ndarray:
        """One query from the message's row and, for a follow-up, the previous question's."""
        if len(rows) == 1:
            return rows[0]
        query = rows[0] + self._config["previous_weight"] * rows[1]
        return query / (np.linalg.norm(query) or 1.0) if normalised else query

    def _query_norm(self, lexical) -> float:
        """The length of the combined lexical query, whose rows are scored before combining."""
        if lexical.shape[0] == 1:
            return 1.0
        weight = self._config["previous_weight"]
        combined = lexical[0] + weight * lexical[1]
        return float(np.sqrt(combined.multiply(combined).sum())) or 1.0

    def _dated(self, text: str) -> np.ndarray:
        """A message naming a year ("what pay rise was offered for 2025-26?") is about the facts
        that name it, not the same kind of fact for another year, which reads much the same."""
        index = self.index
        assert index is not None, "the component is trained or loaded before it ranks"
        lift = np.zeros(len(index["units"]), dtype=np.float32)
        years = set(_YEAR.findall(text))
        if years and self._config["year_weight"]:
            for i, unit in enumerate(index["units"]):
                named = set(unit.get("years") or ())
                if named:  # the year asked about, or only others
                    lift[i] = self._config["year_weight"] * (1 if years & named else -1)
        return lift

    def _adjustments(self, entities: List[Dict[str, Any]]) -> np.ndarray:
        """Re-rank by the role and place the message names: a unit that holds in another
        jurisdiction, or only for other roles, moves down (knowledge.bank.Misfit)."""
        index = self.index
        assert index is not None, "the component is trained or loaded before it ranks"
        tops, role_top = index["tops"], index["role_jurisdiction"]
        places = {e.get("value") for e in entities if e.get("entity") == "jurisdiction"} - {None}
        places_top = {tops.get(p) for p in places} - {None}
        roles = {e.get("value") for e in entities if e.get("entity") == "role"}
        if not places_top:  # "federal probation officer" says where; so does "probation officer"
            places = {role_top.get(r) for r in roles} - {None}
            places_top = {tops.get(p) for p in places} - {None}
        # a few hundred units, each weighed in Python: the same roles and places come back often
        key = (frozenset(places), frozenset(roles))
        known = self._fits.get(key)
        if known is not None:
            return known
        fits = np.array(
            [
                self._misfit(
                    u.get("jurisdiction"),
                    tops.get(u.get("jurisdiction")),
                    u["roles"],
                    u["params"],
                    places,
                    places_top,
                    roles,
                )
                for u in index["units"]
            ],
            dtype=np.float32,
        )
        fits.setflags(write=False)
        if len(self._fits) >= RECENT:
            self._fits.clear()
        self._fits[key] = fits
        return fits


# -- the index, apart from Rasa so that tools and tests can build it directly ---------------------


_BANKS: Dict[tuple, Dict[str, Any]] = {}


def _bank(config: Dict[str, Any]) -> Dict[str, Any]:
    """The bank as plain data: units, their questions masked, and the maps re-ranking needs.
    Training asks for it twice (the fingerprint, then the index), and masking every question
    takes seconds: the same files give the same bank."""
    from knowledge.loader import FACTS_DIR

    facts_dir = Path(config["facts_dir"]) if config.get("facts_dir") else FACTS_DIR
    files = sorted(facts_dir.parent.glob("**/*.yml"))
    key = (str(facts_dir.resolve()),) + tuple(
        (str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files
    )
    if key not in _BANKS:
        _BANKS.clear()
        _BANKS[key] = _read_bank(facts_dir)
    return _BANKS[key]


def _read_bank(facts_dir: Path) -> Dict[str, Any]:
    from bot.components.knowledge_entities import KnowledgeEntityExtractor
    from knowledge.loader import knowledge_names, validate
    from knowledge.models import Fact, Jurisdiction, Role

    dataset = validate(facts_dir, required={})  # the index needs the bank, not the planner's facts
    names = KnowledgeEntityExtractor({}, None, None, knowledge_names(facts_dir))
    parent = {row["id"]: row["part_of_id"] for row in dataset.rows[Jurisdiction]}

    def top(jid):
        seen = set()
        while jid and parent.get(jid) and jid not in seen:
            seen.add(jid)
            jid = parent[jid]
        return jid

    texts = {row["id"]: row["text"] for row in dataset.rows[Fact]}
    units = []
    for unit in dataset.units:
        questions = [mask(q, names.extract(q)) for q in unit.questions]
        text = texts.get(unit.fact or unit.id) if unit.kind == "fact" else None
        units.append(
            {
                "id": unit.id,
                "kind": unit.kind,
                "params": list(unit.params),
                "jurisdiction": unit.jurisdiction,
                "roles": list(unit.roles),
                "questions": questions,
                "answer": mask(text, names.extract(text)) if text else "",
                "years": sorted(set(_YEAR.findall(text or ""))),
            }
        )
    return {
        "units": units,
        "tops": {jid: top(jid) for jid in parent},
        "role_jurisdiction": {row["id"]: row["jurisdiction_id"] for row in dataset.rows[Role]},
    }


def _lexical_rows(vectorizer: HashingVectorizer, texts: List[str], idf: np.ndarray):
    # log counts weighted by idf, each row scaled to unit length; done on the arrays, since the
    # same through diagonal matrices cost milliseconds a message in format conversions
    counts = vectorizer.transform(texts).tocsr().astype(np.float32)
    counts.data = np.log1p(counts.data) * idf[counts.indices]
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    norms = np.sqrt(np.bincount(rows, weights=counts.data**2, minlength=counts.shape[0]))
    counts.data = (counts.data / np.where(norms == 0, 1, norms)[rows]).astype(np.float32)
    return counts


def _reranked_texts(bank: Dict[str, Any]) -> tuple:
    """What MiniLM encodes for the index: every question of the units that have any, and each
    such unit's text ("-" for a composed unit, which has none)."""
    units = [u for u in bank["units"] if u["questions"]]
    return (
        units,
        [q for u in units for q in u["questions"]],
        [u.get("answer") or "" for u in units],
    )


def warm_encoder_cache(facts_dir: Optional[Path] = None) -> int:
    """Encodes the bank's texts that MiniLM has not seen, into the vectors kept between
    trainings; `make train` runs this beside Rasa's training of the other components, so that a
    first training on a fresh machine does not encode the whole bank after them."""
    _, rows, answers = _reranked_texts(_bank({"facts_dir": facts_dir}))
    reranker = shared_minilm()
    remembered_vectors(f"{reranker.label}-questions", rows, reranker.encode)
    remembered_vectors(f"{reranker.label}-answers", [a or "-" for a in answers], reranker.encode)
    return len(rows) + len(answers)


def build_index(
    bank: Dict[str, Any], encoder: Encoder, vectorizer: HashingVectorizer, reranker: MiniLM
) -> Dict[str, Any]:
    units, rows, answers = _reranked_texts(bank)
    starts = np.cumsum([0] + [len(u["questions"]) for u in units[:-1]]).astype(np.int64)
    counts = vectorizer.transform(rows)
    document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = (np.log((1 + len(rows)) / (1 + document_frequency)) + 1).astype(np.float32)
    return {
        "units": [{k: v for k, v in u.items() if k not in ("questions", "answer")} for u in units],
        "questions": rows,
        "starts": starts,
        "vectors": encoder.encode(rows),
        "reranker": remembered_vectors(f"{reranker.label}-questions", rows, reranker.encode),
        "answers": remembered_vectors(
            f"{reranker.label}-answers", [a or "-" for a in answers], reranker.encode
        ),
        "has_answer": np.array([bool(a) for a in answers]),
        "answers_lexical": _lexical_rows(vectorizer, [a or "-" for a in answers], idf).tocsr(),
        "lexical": _lexical_rows(vectorizer, rows, idf).tocsc(),
        "idf": idf,
        "tops": bank["tops"],
        "role_jurisdiction": bank["role_jurisdiction"],
    }


def save_index(index: Dict[str, Any], directory: Path) -> None:
    np.savez(
        directory / INDEX_FILE,
        vectors=index["vectors"].astype(np.float16),
        reranker=index["reranker"].astype(np.float16),
        starts=index["starts"],
        idf=index["idf"],
        answers=index["answers"].astype(np.float16),
        has_answer=index["has_answer"],
    )
    sp.save_npz(directory / LEXICAL_FILE, index["lexical"])
    sp.save_npz(directory / ANSWERS_LEXICAL_FILE, index["answers_lexical"])
    # the questions' text is in the vectors; a server holding it in every worker would spend
    # megabytes on it
    meta = {k: index[k] for k in ("units", "tops", "role_jurisdiction")}
    (directory / META_FILE).write_text(json.dumps(meta), encoding="utf-8")


def load_index(directory: Path) -> Dict[str, Any]:
    from bot.components.weight_cache import shared

    stored = np.load(directory / INDEX_FILE)
    lexical = sp.load_npz(directory / LEXICAL_FILE).tocsc()  # earlier models kept it by row
    arrays = shared(
        "answer-index",
        {
            "vectors": stored["vectors"],
            "reranker": stored["reranker"],
            "starts": stored["starts"],
            "idf": stored["idf"],
            "answers": stored["answers"],
            "has_answer": stored["has_answer"],
            "data": lexical.data,
            "indices": lexical.indices,
            "indptr": lexical.indptr,
        },
        # stored at half size; the whole-bank products want single precision (MiniLM's
        # vectors are read a few units' rows at a time, so they stay half size)
        cast={"vectors": np.float32, "answers": np.float32},
    )
    meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
    meta.pop("questions", None)  # kept by models trained before 2026-12
    lexical = sp.csc_matrix(
        (arrays["data"], arrays["indices"], arrays["indptr"]), shape=lexical.shape, copy=False
    )
    return {
        **meta,
        "vectors": arrays["vectors"],
        "reranker": arrays["reranker"],
        "starts": arrays["starts"],
        "idf": arrays["idf"],
        "lexical": lexical,
        "answers": arrays["answers"],
        "has_answer": arrays["has_answer"],
        "answers_lexical": (
            sp.load_npz(directory / ANSWERS_LEXICAL_FILE).tocsr()
            if (directory / ANSWERS_LEXICAL_FILE).exists()
            else None  # a model trained before the texts' spelling was indexed
        ),
    }
