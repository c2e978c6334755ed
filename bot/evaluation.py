"""Answer-level evaluation: realistic conversations sent to the running bot over REST, each turn
judged on the reply's content (the fact, not the wording), kept apart from the question bank.

    python -m bot eval       # starts its own servers, writes results/eval.json and results/eval.md

A turn is right when:
- an answer is expected (`expect`): every pattern matches the reply, no `reject` pattern does, the
  bot did not decline, and the answer is short (a reply listing every fact on a topic is wrong
  even when the fact is in it);
- an honest "I don't have that" is expected (`abstain`): the bot declined instead of answering;
- the message is off-topic or about the person's own order (`out_of_scope`): the bot declined.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "tests" / "conversations"
# How the bot declines: "I don't have ...", the off-topic reply, the own-order reply, and the
# knowledge base's own honest edges, units that say no source gives the fact and where to look
# ("HMPPS does not publish a pass mark ...").
DECLINED = re.compile(
    r"I don't have|I won't guess|I can only help with careers in probation|"
    r"can't give advice about your own probation|does not publish|I don't know about|"
    r"nobody can say|we (?:have no|don't hold)|(?:our|no) source (?:does not|"
    r"doesn't) say|no (?:current|reliable|public) (?:figure|source|number|salary)",
    re.I,
)
# An honest edge that opens with what no source gives ("We found no official drop-out rate")
# declines; the same words later in an answer ("Yes. ... We hold no rule on how long to wait")
# qualify an answer instead.
DECLINED_FIRST = re.compile(r"\bwe (?:found|hold|know of) no\b", re.I)
SOURCE_LINE = re.compile(r"^Sources?: .*$", re.M)
# One to three sentences; a fourth is allowed for a number or a note such as "older guides say".
MAX_SENTENCES = 4


@dataclass
class TurnResult:
    case: str
    topic: str
    kind: str
    say: str
    reply: str
    right: bool
    expected_decline: bool
    declined: bool
    why: str = ""


@dataclass
class Report:
    turns: list[TurnResult] = field(default_factory=list)
    seconds: float = 0.0

    def accuracy(self, turns: list[TurnResult] | None = None) -> float:
        turns = self.turns if turns is None else turns
        return sum(t.right for t in turns) / len(turns) if turns else 0.0

    def by(self, key: str) -> dict[str, list[TurnResult]]:
        groups: dict[str, list[TurnResult]] = defaultdict(list)
        for turn in self.turns:
            groups[getattr(turn, key)].append(turn)
        return dict(sorted(groups.items()))

    def abstention(self) -> dict[str, float]:
        declined = [t for t in self.turns if t.declined]
        should = [t for t in self.turns if t.expected_decline]
        precision = sum(t.expected_decline for t in declined) / len(declined) if declined else 0.0
        recall = sum(t.declined for t in should) / len(should) if should else 0.0
        return {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "declined": len(declined),
            "should_decline": len(should),
        }

    def as_dict(self) -> dict:
        return {
            "accuracy": round(self.accuracy(), 4),
            "turns": len(self.turns),
            "cases": len({t.case for t in self.turns}),
            "by_topic": {
                k: {"accuracy": round(self.accuracy(v), 4), "turns": len(v)}
                for k, v in self.by("topic").items()
            },
            "by_kind": {
                k: {"accuracy": round(self.accuracy(v), 4), "turns": len(v)}
                for k, v in self.by("kind").items()
            },
            "abstention": self.abstention(),
            "seconds": round(self.seconds, 1),
            "wrong": [
                {"case": t.case, "say": t.say, "reply": t.reply[:300], "why": t.why}
                for t in self.turns
                if not t.right
            ],
        }


def load_cases(directory: Path = CASES_DIR, pattern: str = "*.yml") -> list[dict]:
    cases: list[dict] = []
    for path in sorted(directory.glob(pattern)):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        cases.extend(data.get("cases") or [])
    return cases


def questions(cases: list[dict]) -> list[str]:
    """Every message the evaluation sends, for the check that keeps it apart from the bank."""
    return [turn["say"] for case in cases for turn in case.get("turns", []) if turn.get("say")]


def sentences(text: str) -> int:
    body = SOURCE_LINE.sub("", text).strip()
    return len([s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'(£$])", body) if s.strip()])


def judge(turn: dict, reply: str, two_in_one: bool = False) -> tuple[bool, bool, bool, str]:
    """(right, expected a decline, declined, why not)."""
    first = re.split(r"(?<=[.!?])\s+", reply.strip(), maxsplit=1)[0]
    declined = bool(DECLINED.search(reply) or DECLINED_FIRST.search(first))
    if turn.get("abstain") or turn.get("out_of_scope"):
        return declined, True, declined, "" if declined else "answered instead of declining"
    expect = turn.get("expect") or []
    if not expect:
        return True, False, declined, ""  # a turn that only sets the context
    missing = [p for p in expect if not re.search(p, reply, re.I)]
    rejected = [p for p in turn.get("reject") or [] if re.search(p, reply, re.I)]
    too_long = sentences(reply) > MAX_SENTENCES * (2 if two_in_one else 1)
    why = "; ".join(
        filter(
            None,
            [
                f"missing {missing}" if missing else "",
                f"has {rejected}" if rejected else "",
                "declined" if declined else "",
                f"too long ({sentences(reply)} sentences)" if too_long else "",
            ],
        )
    )
    return not why, False, declined, why


def run_case(base_url: str, case: dict) -> list[TurnResult]:
    sender = f"eval-{uuid.uuid4().hex[:12]}"
    out = []
    for turn in case.get("turns", []):
        response = requests.post(
            f"{base_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": turn["say"]},
            timeout=30,
        )
        reply = (
            "\n".join(m.get("text") or "" for m in response.json())
            if response.status_code == 200
            else f"HTTP {response.status_code}"
        )
        right, should, declined, why = judge(turn, reply, case.get("kind") == "two_in_one")
        out.append(
            TurnResult(
                case.get("id", "?"),
                case.get("topic", "?"),
                case.get("kind", "?"),
                turn["say"],
                reply,
                right,
                should,
                declined,
                why,
            )
        )
    return out


def evaluate(base_url: str, cases: list[dict], workers: int = 4) -> Report:
    started = time.perf_counter()
    report = Report()
    with ThreadPoolExecutor(workers) as pool:
        for turns in pool.map(lambda c: run_case(base_url, c), cases):
            report.turns.extend(turns)
    report.seconds = time.perf_counter() - started
    return report


def encoder_cost(repeats: int = 200) -> dict:
    """What the two encoders add to a turn: milliseconds to encode one message, the memory
    their weights take, and the seconds to load them."""
    from bot.components.encoder import shared_encoder
    from bot.components.minilm import shared_minilm

    text = "can I become a probation officer if I got a caution when I was 17?"
    out = {}
    for name, make, size in (
        ("wordllama", shared_encoder, lambda e: e.table.nbytes),
        ("minilm", shared_minilm, lambda m: sum(w.nbytes for w in m.w.values())),
    ):
        started = time.perf_counter()
        encoder = make()
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(repeats):
            encoder.encode([text])
        out[name] = {
            "encode_ms": round((time.perf_counter() - started) / repeats * 1000, 3),
            "load_s": round(loaded, 3),
            "weights_mb": round(size(encoder) / 2**20, 1),
        }
    return out


def markdown(report: Report, cost: dict) -> str:
    data = report.as_dict()
    lines = [
        "# Answer-level evaluation",
        "",
        f"{data['cases']} conversations, {data['turns']} turns over REST: "
        f"**{data['accuracy']:.1%}** right.",
        "",
        "| topic | turns | right |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| {k} | {v['turns']} | {v['accuracy']:.1%} |" for k, v in data["by_topic"].items()]
    lines += ["", "| kind | turns | right |", "| --- | ---: | ---: |"]
    lines += [f"| {k} | {v['turns']} | {v['accuracy']:.1%} |" for k, v in data["by_kind"].items()]
    a = data["abstention"]
    lines += [
        "",
        f"Declining (abstention, off-topic, own order): precision {a['precision']:.1%}, "
        f"recall {a['recall']:.1%} ({a['declined']} declined, {a['should_decline']} should have).",
        "",
    ]
    lines += [
        f"Encoder {name}: {c['encode_ms']} ms a message, {c['weights_mb']} MB of weights, "
        f"loaded in {c['load_s']} s."
        for name, c in cost.items()
    ]
    lines += ["", "## Wrong turns", ""]
    lines += [
        f"- `{w['case']}` {w['say']!r}: {w['why']}. Reply: {w['reply'][:200]!r}"
        for w in data["wrong"]
    ]
    return "\n".join(lines) + "\n"


def write(report: Report, cost: dict, out_dir: Path = ROOT / "results") -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "eval.json").write_text(json.dumps({**report.as_dict(), "encoder": cost}, indent=2))
    (out_dir / "eval.md").write_text(markdown(report, cost))
