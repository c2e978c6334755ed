"""The held-out evaluation set's format (tests/conversations/*.yml): every case is well formed, so
`make eval` scores what the author meant. It checks the file only; the bot is not started."""
from __future__ import annotations

import re
from collections import Counter

import pytest

from bot import evaluation

CASE_KEYS = {"id", "topic", "kind", "source", "turns", "note"}
TURN_KEYS = {"say", "expect", "reject", "abstain", "out_of_scope"}
KINDS = {"published", "typical", "casual", "followup", "two_in_one", "out_of_scope", "own_order",
         "unanswerable"}


@pytest.fixture(scope="module")
def cases():
    return evaluation.load_cases()


def test_ids_are_unique(cases):
    twice = [i for i, n in Counter(c.get("id") for c in cases).items() if n > 1]
    assert not twice, twice


def test_cases_have_only_known_fields_and_kinds(cases):
    bad = [c.get("id") for c in cases
           if not {"id", "topic", "kind", "turns"} <= set(c) or set(c) - CASE_KEYS
           or c["kind"] not in KINDS or not c["turns"]]
    assert not bad, bad


def test_every_turn_says_something_and_expects_one_outcome(cases):
    bad = []
    for case in cases:
        for turn in case["turns"]:
            outcomes = [k for k in ("expect", "abstain", "out_of_scope") if turn.get(k)]
            if set(turn) - TURN_KEYS or not str(turn.get("say", "")).strip() or len(outcomes) > 1:
                bad.append((case["id"], turn.get("say")))
    assert not bad, bad


def test_patterns_compile_and_are_lists(cases):
    bad = []
    for case in cases:
        for turn in case["turns"]:
            for key in ("expect", "reject"):
                patterns = turn.get(key, [])
                if not isinstance(patterns, list):
                    bad.append((case["id"], key, "not a list"))
                    continue
                for pattern in patterns:
                    try:
                        re.compile(pattern)
                    except re.error as error:
                        bad.append((case["id"], pattern, str(error)))
    assert not bad, bad


def test_sources_are_web_addresses(cases):
    bad = [(c["id"], c["source"]) for c in cases
           if "source" in c and not re.match(r"https?://\S+$", str(c["source"]))]
    assert not bad, bad


def test_an_honest_edge_counts_as_declining_and_a_qualified_answer_does_not():
    from bot.evaluation import judge
    abstain = {"say": "what is the drop-out rate?", "abstain": True}
    assert judge(abstain, "We found no official drop-out rate. Ask at interview.")[0]
    assert judge(abstain, "I don't know about the role \"barrister\". I only cover probation.")[0]
    answer = {"say": "can I reapply?", "expect": ["yes"]}
    right, _, declined, _ = judge(answer, "Yes. Nothing bars you. We hold no rule on how long to wait.")
    assert right and not declined
