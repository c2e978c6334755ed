"""Rasa NLU component: finds roles, jurisdictions, qualifications and subjects by the names the
knowledge base gives them, plus ages and months of service, with a blank English spaCy pipeline
and an EntityRuler (no model download).

The patterns come from the fact files at training time and are stored inside the trained model,
so the server needs nothing else to extract. The component's fingerprint is the set of names, so
adding an alias retrains this component alone, while editing a salary retrains nothing."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, cast

import spacy
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.pipeline import EntityRuler

from bot.rasa_patches.parse_context import CONVERSATION
from knowledge.loader import knowledge_names
from knowledge.names import normalise_with_offsets
from knowledge.schema import OTHER_SUBJECT

PATTERNS_FILE = "patterns.jsonl"

# Names that are also everyday words count only when written as a name ("US", "U.S.", not "us").
CASE_SENSITIVE = {
    "us": re.compile(r"U\.?S\.?A?\.?"),
    "la": re.compile(r"L\.?A\.?"),  # Los Angeles, not "la" in "la la land" or a French name
}

# ... except after "the": "in the us" is the country, as "tell us" is not
_THE_BEFORE = re.compile(r"\bthe\s+$", re.I)

_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_NUM = r"(\d{1,3}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_AGE = [
    re.compile(
        r"\b(?:i'?m|i am|im|aged?|age is|age of)\s+(?:now\s+|just\s+|nearly\s+|almost\s+)?"
        + _NUM
        + r"\b(?!\s*(?:months?|mths?|weeks?|%|k\b|yrs? (?:as|in|of|service)))",
        re.I,
    ),
    re.compile(r"\b" + _NUM + r"\s*(?:-\s*)?(?:years?|yrs?|y)\s*(?:-\s*)?(?:old|o)\b", re.I),
    re.compile(r"\b" + _NUM + r"\s*y/?o\b", re.I),
    # "can you be a probation officer at 19?", "start PQiP at 45"
    re.compile(
        r"\b(?:be|become|start|apply|join|work|train|qualify)\b[^.?!\d]{0,40}?\bat\s+(?:the\s+age\s+of\s+)?"
        + _NUM
        + r"\b(?!\s*(?:months?|mths?|weeks?|hours?|%|am\b|pm\b|k\b|o'?clock|:|\.\d))",
        re.I,
    ),
]
_MONTHS = re.compile(r"\b" + _NUM + r"\s*(?:months?|mths?|mos)\b", re.I)
_YEARS_SERVICE = re.compile(
    r"\b(?:for|been|after|with)\s+(?:about\s+|over\s+|nearly\s+)?"
    + _NUM
    + r"\s*(?:years?|yrs?)\b(?!\s*old)",
    re.I,
)


# What the message says about the person, as Rasa entity roles: "I'm a PSO" holds the role
# ("held"), "what band is a PSO?" asks about it; "I have a degree" holds the qualification,
# "do I need a degree?" asks about it. Read here, once, so that actions never re-read the text.
_HOLDS_ROLE = re.compile(
    r"\b(?:i'?m|i am|im|i work as|working as|i'?ve been|been working as|"
    r"currently|i have been)\s+"
    # "I'm applying for PQiP", "I'm hoping to be a PO": a role they want, not one they hold
    r"(?!(?:\w+\s+)?(?:applying|hoping|looking|trying|planning|thinking|going|wanting|keen|"
    r"interested|considering|aiming|about|not|training|studying)\b)"
    r"(?:an?\s+|the\s+)?(?:\w+\s+){0,2}$",
    re.I,
)
_HOLDS_QUALIFICATION = re.compile(
    r"\b(?:i have|i've got|i've|ive got|i got|i hold|i did|i studied|"
    r"i'm doing|i completed|i finished|finished|with|got)\s+"
    r"(?:an?\s+|my\s+|a few\s+)?(?:\w+\s+){0,2}$",
    re.I,
)
# A job title asked about that the knowledge base does not know ("what band is a nurse?"): only
# words that name jobs, so "a typical day" or "a degree" never count.
_JOB_WORD = (
    r"(?:officer|worker|manager|nurse|teacher|engineer|developer|doctor|lawyer|solicitor|"
    r"barrister|judge|paramedic|firefighter|pilot|astronaut|accountant|chef|plumber|"
    r"electrician|detective|constable|guard|warden|counsell?or|therapist|psychologist|"
    r"clerk|administrator|assistant|analyst|designer|scientist|carer|driver|director)"
)
# Said alone, these name no particular job ("does an officer in the US supervise many?")
_GENERIC_JOB_WORDS = frozenset(
    "officer worker manager assistant administrator director clerk analyst driver guard carer".split()
)
_ASKED_JOB = re.compile(
    r"\b(?:an?|the|as an?|become an?)\s+((?:[a-z\-]+\s+){0,2}" + _JOB_WORD + r")s?\b", re.I
)
# What follows a qualification to name its subject: "in sports science", up to where the
# sentence moves on.
_STUDIED_IN = re.compile(
    r"\s+in\s+([a-z][a-z&' -]{2,40}?)(?=\s*[.,;:!?)]|\s+[-\u2013]\s|\s*$|"
    r"\s+(?:and|but|from|at|with|so|can|could|would|will|is|are|do|does|"
    r"which|what|how|for|because)\b)",
    re.I,
)
# "a senior one", "the senior level": a senior version of the role asked about just before
_SENIOR_ONE = re.compile(
    r"\bsenior(?:\s+(?:one|ones|level|grade|version|role|post|position|job))?\b", re.I
)
HELD = "held"
UNKNOWN_ROLE = "unknown_role"
# Places people ask about that the knowledge base does not cover, so "what does a probation
# officer earn in Ontario?" is told that, not given England's figure. A place the person comes
# from ("my degree is from Nigeria") is not where they ask to work, and does not count.
UNKNOWN_PLACE = "unknown_place"
_OTHER_PLACES = re.compile(
    r"\b(australia|new south wales|queensland|western australia|south australia|tasmania|"
    r"new zealand|canada|ontario|quebec|british columbia|alberta|manitoba|nova scotia|"
    r"(?:republic of )?ireland|eire|india|pakistan|nigeria|ghana|kenya|south africa|jamaica|"
    r"trinidad|barbados|germany|france|spain|italy|portugal|netherlands|belgium|sweden|norway|"
    r"denmark|finland|poland|romania|greece|switzerland|austria|singapore|hong kong|dubai|"
    r"united arab emirates|uae|saudi arabia|qatar|malaysia|philippines|japan|china|brazil|mexico|"
    r"toronto|vancouver|montreal|sydney|melbourne|brisbane|auckland|dublin|cork)\b",
    re.I,
)
_FROM_THERE = re.compile(
    r"\b(?:from|degree|qualifications?|university|uni|studied|moved|moving "
    r"back|citizen|passport|born|grew up)\b[^.?!]{0,40}$",
    re.I,
)


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBER_WORDS[text.lower()]


def build_pipeline(patterns: List[Dict[str, str]]) -> "spacy.language.Language":
    nlp = spacy.blank("en")
    ruler = cast(EntityRuler, nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "ORTH"}))
    ruler.add_patterns(
        [{"label": p["label"], "pattern": p["pattern"], "id": p["id"]} for p in patterns]
    )
    return nlp


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class KnowledgeEntityExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"facts_dir": None}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        names = knowledge_names(Path(config["facts_dir"]) if config.get("facts_dir") else None)
        return hashlib.sha256(json.dumps(names).encode()).hexdigest()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "KnowledgeEntityExtractor":
        return cls(config, model_storage, resource)

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        patterns: Optional[List[Dict[str, str]]] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.patterns = patterns or []
        self._nlp = build_pipeline(self.patterns) if self.patterns else None

    def train(self, training_data: TrainingData) -> Resource:
        facts_dir = self._config.get("facts_dir")
        self.patterns = knowledge_names(Path(facts_dir) if facts_dir else None)
        self._nlp = build_pipeline(self.patterns)
        with self._model_storage.write_to(self._resource) as directory:
            with open(directory / PATTERNS_FILE, "w", encoding="utf-8") as out:
                for pattern in self.patterns:
                    out.write(json.dumps(pattern, ensure_ascii=False) + "\n")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "KnowledgeEntityExtractor":
        with model_storage.read_from(resource) as directory:
            lines = (directory / PATTERNS_FILE).read_text(encoding="utf-8").splitlines()
        return cls(config, model_storage, resource, [json.loads(line) for line in lines if line])

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = self.extract(message.get(TEXT) or "")
            conversation = (message.get("metadata") or {}).get(CONVERSATION) or {}
            found += self._senior_of_previous(
                message.get(TEXT) or "", found, conversation.get("entities") or []
            )
            message.set(
                ENTITIES,
                message.get(ENTITIES, []) + self.add_extractor_name(found),
                add_to_output=True,
            )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data  # training examples keep their own annotations

    def extract(self, text: str) -> List[Dict[str, Any]]:
        names = self._names(text)
        for entity in names:
            before = text[: entity["start"]]
            if (entity["entity"] == "role" and _HOLDS_ROLE.search(before)) or (
                entity["entity"] in ("qualification", "subject")
                and _HOLDS_QUALIFICATION.search(before)
            ):
                entity["role"] = HELD
        entities = (
            names
            + self._numbers(text)
            + self._unknown_job(text, names)
            + self._other_subject(text, names)
            + self._unknown_place(text, names)
        )
        return sorted(entities, key=lambda e: e["start"])

    @staticmethod
    def _unknown_place(text: str, names: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """A country or region outside the knowledge base, asked about as a place to work."""
        # any known name counts: "a probation officer in Northern Ireland" names a role
        taken = [range(e["start"], e["end"]) for e in names]
        for match in _OTHER_PLACES.finditer(text[:5000]):
            if any(
                t.start < match.end() and match.start() < t.stop for t in taken
            ) or _FROM_THERE.search(text[: match.start()]):
                continue
            return [
                {
                    "entity": UNKNOWN_PLACE,
                    "start": match.start(),
                    "end": match.end(),
                    "value": match.group(1).lower(),
                    "text": match.group(1),
                    "confidence_entity": 1.0,
                }
            ]
        return []

    @staticmethod
    def _other_subject(text: str, names: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """ "A foundation degree in sports science": a subject the knowledge base has no name for
        is still a subject, and an unrelated one, so the planner need not ask for it again."""
        subjects = [e for e in names if e["entity"] == "subject"]
        out = []
        for entity in names:
            if entity["entity"] != "qualification":
                continue
            match = _STUDIED_IN.match(text, entity["end"])
            if match is None or any(match.start(1) <= e["start"] < match.end(1) for e in subjects):
                continue
            out.append(
                {
                    "entity": "subject",
                    "start": match.start(1),
                    "end": match.end(1),
                    "value": OTHER_SUBJECT,
                    "text": match.group(1),
                    "confidence_entity": 1.0,
                    **({"role": entity["role"]} if entity.get("role") else {}),
                }
            )
        return out

    def _unknown_job(self, text: str, names: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """A job title outside the knowledge base, so the answer can say it does not know it
        rather than answer for another role."""
        known = {(p["pattern"]) for p in self.patterns if p["label"] == "role"}
        taken = [range(e["start"], e["end"]) for e in names if e["entity"] == "role"]
        for match in _ASKED_JOB.finditer(text):
            if any(t.start < match.end(1) and match.start(1) < t.stop for t in taken):
                continue
            words = normalise_with_offsets(match.group(1))[0].split()
            if len(words) == 1 and words[0] in _GENERIC_JOB_WORDS:
                continue  # "an officer in the US", "a manager": no particular job named
            # "a probation officer" is known even when the pattern swallowed words before it
            if any(" ".join(words[i:]) in known for i in range(len(words))):
                continue
            return [
                {
                    "entity": UNKNOWN_ROLE,
                    "start": match.start(1),
                    "end": match.end(1),
                    "value": match.group(1).lower(),
                    "text": match.group(1),
                    "confidence_entity": 1.0,
                }
            ]
        return []

    def _senior_of_previous(
        self, text: str, found: List[Dict[str, Any]], before: List[Any]
    ) -> List[Dict[str, Any]]:
        """ "and a senior one?" after a question about probation officers asks about senior
        probation officers: the role named "senior" plus a name of the role asked about before."""
        match = _SENIOR_ONE.search(text)
        if match is None or any(e.get("entity") == "role" for e in found):
            return []
        previous = [
            e.get("value")
            for e in before
            if isinstance(e, dict) and e.get("entity") == "role" and e.get("role") != HELD
        ]
        roles = {p["pattern"]: p["id"] for p in self.patterns if p["label"] == "role"}
        for name in (
            p["pattern"]
            for p in self.patterns
            if p["label"] == "role" and previous and p["id"] == previous[-1]
        ):
            senior = roles.get(f"senior {name}")
            if senior is not None and senior != previous[-1]:
                return [
                    {
                        "entity": "role",
                        "start": match.start(),
                        "end": match.end(),
                        "value": senior,
                        "text": match.group(0),
                        "confidence_entity": 1.0,
                    }
                ]
        return []

    def _names(self, text: str) -> List[Dict[str, Any]]:
        if self._nlp is None or not text:
            return []
        normalised, offsets = normalise_with_offsets(text[:5000])
        out = []
        for span in self._nlp(normalised).ents:
            if (
                normalised[span.start_char - 1 : span.start_char].strip()
                or normalised[span.end_char : span.end_char + 1].strip()
            ):
                # part of a word the tokenizer split: "cant" and "can't" are "ca" + "nt", and
                # "ca" is California
                continue
            start, end = offsets[span.start_char], offsets[span.end_char - 1] + 1
            surface = text[start:end]
            rule = CASE_SENSITIVE.get(span.text)
            if (
                rule is not None
                and not rule.fullmatch(surface)
                and not _THE_BEFORE.search(text, 0, start)
            ):
                continue
            out.append(
                {
                    "entity": span.label_,
                    "start": start,
                    "end": end,
                    "value": span.ent_id_,
                    "text": surface,
                    "confidence_entity": 1.0,
                }
            )
        return out

    def _numbers(self, text: str) -> List[Dict[str, Any]]:
        out: List[Dict[str, Any]] = []
        taken: list[range] = []

        def add(kind: str, match: "re.Match", value: int, group: int = 0) -> None:
            span = range(match.start(), match.end())
            if any(span.start < t.stop and t.start < span.stop for t in taken):
                return
            taken.append(span)
            start, end = match.span(group)  # an age is the number, not "I'm 19"
            out.append(
                {
                    "entity": kind,
                    "start": start,
                    "end": end,
                    "value": value,
                    "text": text[start:end],
                    "confidence_entity": 1.0,
                }
            )

        for match in _MONTHS.finditer(text):
            add("months", match, _number(match.group(1)))
        for match in _YEARS_SERVICE.finditer(text):
            add("months", match, 12 * _number(match.group(1)))
        for pattern in _AGE:
            for match in pattern.finditer(text):
                add("age", match, _number(match.group(1)), group=1)
        return out
