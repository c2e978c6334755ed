"""The two images, linted without Docker (tests/deploy/dockerfile_lint.py)."""
from __future__ import annotations

import pytest

from tests.deploy.contract import default_ports
from tests.deploy.dockerfile_lint import Image, ignored, problems
from tests.deploy.manifests import ACTIONS_DOCKERFILE as ACTIONS, BOT_DOCKERFILE as BOT, ROOT


def images() -> list[Image]:
    ports = default_ports()
    return [Image(BOT, ports["BOT_PORT"]), Image(ACTIONS, ports["ACTION_PORT"])]


@pytest.mark.parametrize("image", images(), ids=lambda i: i.path.name)
def test_the_image_passes_the_lint(image):
    assert problems(image) == []


def test_the_build_context_keeps_what_the_images_need_and_drops_local_state():
    assert not any(ignored(p) for p in ("bot/cli.py", "knowledge/facts", "requirements.lock"))
    assert all(ignored(p) for p in (".venv", "models", "var/knowledge.sqlite",
                                    "bot/__pycache__/cli.cpython-310.pyc",
                                    "bot/web/widget/node_modules/esbuild"))


BREAKAGES = [
    ("FROM python:3.10-slim-bookworm", "FROM python:latest", "is not pinned"),
    ("FROM python:3.10-slim-bookworm", "FROM python:3.11-slim-bookworm", "not the project's Python"),
    ("FROM python:3.10-slim-bookworm", "FROM python:3.10-slim", "does not name its Debian release"),
    ("USER bot", "USER root", "runs as root"),
    ("COPY bot ./bot", "COPY bots ./bot", "COPY bots: not in the repository"),
    ("COPY bot ./bot", "COPY tests ./tests", "COPY tests: left out of the build context"),
    ('"bot.server"', '"bot.serve"', "python -m bot.serve: no such module"),
    ("python -m bot kb", "python -m bot.nonexistent kb", "python -m bot.nonexistent: no such module"),
    ("EXPOSE 5005", "EXPOSE 5000", "EXPOSE [5000], but the server listens on 5005"),
    ("http://127.0.0.1:5005/", "http://127.0.0.1:5000/", "HEALTHCHECK requests port 5000"),
    ("RASA_TELEMETRY_ENABLED=false", "RASA_TELEMETRY_ENABLED=true", "RASA_TELEMETRY_ENABLED is not false"),
    ("pip install -r requirements.lock", "pip install rasa", "the pinned set is not installed"),
    ('ENTRYPOINT ["python", "-m", "bot.container"]', "ENTRYPOINT python -m bot.container",
     "ENTRYPOINT is not in exec form"),
]


@pytest.mark.parametrize("old, new, expected", BREAKAGES, ids=[b[2][:40] for b in BREAKAGES])
def test_the_lint_reports_a_broken_dockerfile(tmp_path, old, new, expected):
    text = BOT.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "bot.Dockerfile"
    broken.write_text(text.replace(old, new), encoding="utf-8")
    found = problems(Image(broken, default_ports()["BOT_PORT"], context=ROOT))
    assert any(expected in p for p in found), found


def test_the_lint_reports_an_actions_package_that_does_not_exist(tmp_path):
    text = ACTIONS.read_text(encoding="utf-8")
    broken = tmp_path / "actions.Dockerfile"
    broken.write_text(text.replace('"--actions", "actions"', '"--actions", "no_such_actions"'))
    found = problems(Image(broken, default_ports()["ACTION_PORT"]))
    assert any("cannot be imported" in p and "no_such_actions" in p for p in found), found
