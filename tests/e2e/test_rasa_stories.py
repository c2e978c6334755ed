"""Rasa's own checks: the training data validates cleanly, and the test stories (every intent's
happy path, the planner's paths, context carry-over) are predicted without a single error."""
from __future__ import annotations

import json
import subprocess
import sys

from bot import cli, settings


def rasa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rasa", *args], cwd=cli.ROOT, env=cli._env(),
                          capture_output=True, text=True, timeout=1200)


def test_training_data_validates_without_warnings():
    result = rasa("data", "validate", "--fail-on-warnings", "--max-history", "3")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_test_stories_pass(bot_server, tmp_path):
    model = cli.latest_model(settings.load().models_dir)
    result = rasa("test", "core", "--model", str(model), "--stories", "tests/stories",
                  "--out", str(tmp_path), "--fail-on-prediction-errors", "--no-plot")
    failed = (tmp_path / "failed_test_stories.yml")
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, details[-4000:] + result.stdout[-2000:] + result.stderr[-2000:]
    report = json.loads((tmp_path / "story_report.json").read_text())
    assert report["accuracy"] == 1.0
