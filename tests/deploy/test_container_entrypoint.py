"""bot/container.py, the images' entrypoint: what it hands to the server it starts."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from bot import container
from tests.deploy import contract
from tests.deploy.manifests import ROOT


def test_a_bare_container_has_a_value_for_every_setting_endpoints_yml_reads():
    assert contract.endpoint_variables() <= set(container.defaults({}))


def test_the_defaults_are_the_launchers():
    from bot import settings
    defaults = container.defaults({"ACTION_PORT": "6055"})
    assert defaults["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:6055/webhook"
    assert {k: defaults[k] for k in settings.store_defaults()} == settings.store_defaults()


def test_given_settings_win_over_the_defaults():
    env = {"LOCK_STORE": "redis"}
    container.fill_defaults(env)
    assert env["LOCK_STORE"] == "redis" and env["REDIS_HOST"] == "127.0.0.1"


def test_arguments_are_expanded_from_the_environment():
    env = {"WEB_ORIGINS": "https://example.org", "RASA_TOKEN": "s3cret"}
    assert container.expand("$WEB_ORIGINS", env) == "https://example.org"
    assert container.expand("x${RASA_TOKEN}y", env) == "xs3crety"
    with pytest.raises(container.ContainerError, match=r"\$MISSING"):
        container.expand("$MISSING", env)


def test_the_api_is_not_opened_without_a_token():
    args = ["python", "-m", "bot.server", "run", "--enable-api"]
    for env in ({}, {"RASA_TOKEN": ""}):
        with pytest.raises(container.ContainerError, match="set RASA_TOKEN"):
            container.prepare(args, env)
    # bot.server reads the token itself, so it is not put on the command line
    assert container.prepare(args, {"RASA_TOKEN": "t"}) == args
    given = ["python", "-m", "bot.server", "run", "--enable-api", "--auth-token", "$RASA_TOKEN"]
    with pytest.raises(container.ContainerError, match="non-empty --auth-token"):
        container.prepare(given, {"RASA_TOKEN": ""})
    assert container.prepare(given, {"RASA_TOKEN": "t"})[-1] == "t"
    with pytest.raises(container.ContainerError, match="needs --auth-token"):
        container.prepare(["rasa", "run", "--enable-api"], {"RASA_TOKEN": "t"})


def test_the_credentials_file_the_command_names_is_written_from_the_environment(tmp_path):
    path = tmp_path / "credentials.yml"
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    args = container.prepare(["python", "-m", "bot.server", "run", "--credentials", str(path)], env)
    assert args[-1] == str(path)
    written = yaml.safe_load(path.read_text())
    assert "bot.channels.rest.GuardedRestInput" in written and "bot.channels.slack.SlackChannel" in written
    assert "xoxb-1" not in path.read_text()
    assert "bot.channels.telegram.TelegramChannel" not in written


def test_the_entrypoint_replaces_itself_with_the_command(tmp_path):
    """Run as the image runs it: the command sees the filled-in settings and expanded args."""
    probe = "import os, sys; print(sys.argv[1], os.environ['LOCK_STORE'], os.environ['TRACKER_STORE_URL'])"
    env = {k: v for k, v in os.environ.items() if k not in container.defaults({})}
    env.update(PYTHONPATH=str(ROOT), GREETING="hello")
    result = subprocess.run([sys.executable, "-m", "bot.container", sys.executable, "-c", probe, "$GREETING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["hello", "bot.worker_state.ConversationLocks",
                                     f"sqlite:///{ROOT / 'var' / 'trackers.sqlite'}"]
