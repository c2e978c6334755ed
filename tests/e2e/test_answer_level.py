"""What a user feels most: whether the bot answers the question asked. The realistic
conversations in tests/conversations/ (kept apart from the question bank) are sent over REST and
judged on each reply's content; `make eval` prints the same report per topic."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot import evaluation

# The figures `make eval` measured (results/eval.md), each minus two points: a change that makes
# the bot answer fewer questions right, or decline worse, fails here. Set on the set of 550
# conversations (82.9% right, declining 85.8% precise with 89.0% recall).
FLOOR = 0.809
DECLINE_PRECISION_FLOOR = 0.838
DECLINE_RECALL_FLOOR = 0.870


@pytest.fixture(scope="module")
def report(bot_server):
    return evaluation.evaluate(bot_server, evaluation.load_cases())


def test_answer_level_accuracy_holds(report):
    data = report.as_dict()
    wrong = "\n".join(f"  {w['say']!r}: {w['why']}" for w in data["wrong"][:40])
    assert data["accuracy"] >= FLOOR, f"{data['accuracy']:.1%} right, below {FLOOR:.0%}:\n{wrong}"


def test_declining_is_precise_and_complete(report):
    """A confident answer to a neighbouring question is the worst outcome; declining a question
    the bot could answer is the next worst."""
    abstention = report.abstention()
    assert abstention["precision"] >= DECLINE_PRECISION_FLOOR, abstention
    assert abstention["recall"] >= DECLINE_RECALL_FLOOR, abstention


def test_the_examples_the_issue_names_are_answered(bot_server):
    """The design card's questions and the understanding issue's examples (a nurse's experience,
    a neck tattoo, reapplying, the pension, danger, nights, Glasgow, California, skipping the PSO
    stage and how long that takes): the product's own specification, kept apart from the
    held-out set."""
    cases = evaluation.load_cases(Path(__file__).parent, "issue_examples.yml")
    wrong = [(t.say, t.why, t.reply[:200]) for c in cases
             for t in evaluation.run_case(bot_server, c) if not t.right]
    assert not wrong, wrong
