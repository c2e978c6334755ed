"""What the review shows, worked out from the turns and ratings: the questions the bot declined
or answered with little confidence (similar ones grouped, most frequent first, each with the
nearest unit it considered), the answers rated not helpful, the most asked questions and how
each was answered, and answer and decline counts by day and by topic."""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from actions.answers import ANSWER
from bot.review.reading import Turn

# An answered question whose retrieval score is under the answer threshold plus this is shown as
# answered with low confidence: the nearest decline.
LOW_CONFIDENCE_MARGIN = 0.08
# Two questions sharing this much of their words (Jaccard) are one group.
SAME_QUESTION = 0.5
_STOP = set(
    "a an the is are do does i im i'm my me to of in on for and or what how can could "
    "would you your it be as at with about if there this that".split()
)


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"[a-z0-9£]+", text.lower()) if w not in _STOP)


@dataclass
class Group:
    example: str
    count: int = 0
    phrasings: Counter = field(default_factory=Counter)
    nearest: Counter = field(default_factory=Counter)
    words: frozenset = frozenset()


def group_similar(turns: list[Turn]) -> list[Group]:
    groups: list[Group] = []
    for turn in turns:
        words = _words(turn.question)
        home = next(
            (
                g
                for g in groups
                if words and len(words & g.words) / len(words | g.words) >= SAME_QUESTION
            ),
            None,
        )
        if home is None:
            home = Group(turn.question, words=words)
            groups.append(home)
        home.count += 1
        home.phrasings[turn.question] += 1
        if turn.nearest:
            home.nearest[turn.nearest] += 1
    for group in groups:
        group.example = group.phrasings.most_common(1)[0][0]
    return sorted(groups, key=lambda g: -g.count)


def _day(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(timestamp))


@dataclass
class Review:
    turns: list[Turn]
    ratings: list[dict]
    conversations: int = 0
    declined: list[Group] = field(default_factory=list)
    unsure: list[Group] = field(default_factory=list)
    not_helpful: list[dict] = field(default_factory=list)
    most_asked: list[tuple[str, int, Turn]] = field(default_factory=list)
    by_day: dict[str, Counter] = field(default_factory=dict)
    by_topic: dict[str, Counter] = field(default_factory=dict)

    @classmethod
    def of(cls, turns: list[Turn], ratings: list[dict]) -> "Review":
        questions = [t for t in turns if t.is_question]
        review = cls(turns, ratings, conversations=len({t.sender for t in questions}))
        review.declined = group_similar([t for t in questions if t.declined])
        review.unsure = group_similar(
            [
                t
                for t in questions
                if not t.declined
                and t.score is not None
                and t.score < ANSWER + LOW_CONFIDENCE_MARGIN
            ]
        )
        review.not_helpful = [r for r in ratings if r["rating"] == "not_helpful"]
        answered: dict[str, list[Turn]] = defaultdict(list)
        for turn in questions:
            if not turn.declined:
                answered[turn.unit or turn.topic or "other"].append(turn)
        review.most_asked = sorted(
            ((unit, len(ts), ts[-1]) for unit, ts in answered.items()), key=lambda row: -row[1]
        )[:15]
        days: dict[str, Counter] = defaultdict(Counter)
        topics: dict[str, Counter] = defaultdict(Counter)
        for turn in questions:
            outcome = "declined" if turn.declined else "answered"
            days[_day(turn.timestamp)][outcome] += 1
            topics[turn.topic or ("off-topic" if turn.intent == "out_of_scope" else "other")][
                outcome
            ] += 1
        review.by_day = dict(sorted(days.items()))
        review.by_topic = dict(sorted(topics.items(), key=lambda kv: -sum(kv[1].values())))
        return review

    @property
    def asked(self) -> int:
        return sum(sum(c.values()) for c in self.by_day.values())

    @property
    def declined_count(self) -> int:
        return sum(c["declined"] for c in self.by_day.values())

    def console(self, written: str) -> str:
        asked, declined = self.asked, self.declined_count
        rate = f" ({declined / asked:.0%})" if asked else ""
        lines = [
            f"{asked} questions in {self.conversations} conversations: {asked - declined} answered, "
            f"{declined} declined{rate}, {sum(g.count for g in self.unsure)} answered with low "
            f"confidence; {len(self.not_helpful)} answers rated not helpful."
        ]
        for group in self.declined[:5]:
            lines.append(f"  declined {group.count}x: {group.example}")
        for rating in self.not_helpful[-3:]:
            comment = f' ("{rating["comment"]}")' if rating["comment"] else ""
            lines.append(f"  not helpful: {rating['question']}{comment}")
        lines.append(f"The review page is {written}")
        return "\n".join(lines)
