"""The one structured answer every channel renders: the text, where each fact comes from and how
current it is, and follow-up suggestions. Channels decide how it looks; nothing here knows them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from knowledge.queries import FactView, PayView, SourceRef

_MONTHS = (
    "January February March April May June July August September October November December"
).split()


def as_of_text(as_of: str) -> str:
    """ "2023-02-08" -> "February 2023"; "2025-09" -> "September 2025"; "2025" -> "2025"."""
    parts = as_of.split("-")
    return f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}" if len(parts) >= 2 else parts[0]


@dataclass(frozen=True)
class Citation:
    source: SourceRef
    as_of: str

    def text(self) -> str:
        cite = f"{self.source.publisher}, {self.source.year_text}"
        if self.source.reliability == "low":
            cite += ", a low-reliability source"
        if as_of_text(self.as_of) != str(self.source.year):
            cite += f" (as of {as_of_text(self.as_of)})"
        return cite


@dataclass(frozen=True)
class Suggestion:
    title: str
    payload: str

    @classmethod
    def ask(cls, title: str, intent: str, **entities) -> "Suggestion":
        """A suggestion that, pressed, sends a dialogue act with its entities (Rasa's
        "/intent{...}"), such as "/plan_route"."""
        found = {k: v for k, v in entities.items() if v is not None}
        return cls(title, f"/{intent}" + (json.dumps(found) if found else ""))

    @classmethod
    def unit(cls, title: str, unit: str, **entities) -> "Suggestion":
        """A suggestion that, pressed, asks for one unit of the question bank, for the role and
        place given."""
        return cls.ask(title, "ask_question", unit=unit, **entities)


@dataclass
class Answer:
    text: str
    citations: list[Citation] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    kind: str = "answer"  # answer | plan | unknown | clarify | smalltalk
    topic: str | None = None
    role: str | None = None
    jurisdiction: str | None = None
    unit: str | None = None  # the question-bank unit this answers, when one does

    def cite(self, *items: FactView | PayView | Citation | None) -> "Answer":
        for item in items:
            if item is None:
                continue
            citation = item if isinstance(item, Citation) else Citation(item.source, item.as_of)
            if all(c.source.id != citation.source.id for c in self.citations):
                self.citations.append(citation)
        return self

    def suggest(self, *suggestions: Suggestion | None, limit: int = 4) -> "Answer":
        for suggestion in suggestions:
            if suggestion is None or len(self.suggestions) >= limit:
                continue
            if all(s.payload != suggestion.payload for s in self.suggestions):
                self.suggestions.append(suggestion)
        return self

    def source_line(self) -> str | None:
        if not self.citations:
            return None
        label = "Source" if len(self.citations) == 1 else "Sources"
        return f"{label}: " + "; ".join(c.text() for c in self.citations[:3]) + "."

    def full_text(self) -> str:
        """The answer as plain text, source last: what a channel without rich output shows."""
        line = self.source_line()
        return f"{self.text}\n{line}" if line else self.text

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "kind": self.kind,
            "topic": self.topic,
            "role": self.role,
            "jurisdiction": self.jurisdiction,
            "unit": self.unit,
            "source_line": self.source_line(),
            "sources": [
                {
                    "publisher": c.source.publisher,
                    "title": c.source.title,
                    "url": c.source.url,
                    "year": c.source.year_text,
                    "as_of": c.as_of,
                    "reliability": c.source.reliability,
                }
                for c in self.citations
            ],
            "suggestions": [{"title": s.title, "payload": s.payload} for s in self.suggestions],
        }
