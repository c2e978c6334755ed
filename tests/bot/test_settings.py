"""bot/settings.py is the one module that reads the environment: every setting is checked there,
with a message naming the variable and what it accepts, and documented in one table."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot import settings
from bot.settings import ROOT

PACKAGES = ("bot", "actions", "knowledge")
# What reads (or writes) the process's environment in the os module.
ENVIRONMENT = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def environment_reads(source: str) -> list[int]:
    """The lines of `source` that touch the process's environment: `os.environ`, `os.getenv`
    and the like, under any name the os module is imported as, or imported from it by name."""
    tree = ast.parse(source)
    os_names = {"os"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names |= {alias.asname or alias.name for alias in node.names if alias.name == "os"}
        elif isinstance(node, ast.ImportFrom) and node.module in ("os", "posix"):
            found += [node.lineno for alias in node.names if alias.name in ENVIRONMENT]
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in ENVIRONMENT
                and isinstance(node.value, ast.Name) and node.value.id in os_names):
            found.append(node.lineno)
    return sorted(found)


def modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
                  if ".venv" not in path.parts and "node_modules" not in path.parts)


@pytest.mark.parametrize("source", [
    "import os\nos.environ.get('X')",
    "import os\nx = os.environ['X']",
    "import os\nos.getenv('X', '1')",
    "import os as system\nsystem.environ.setdefault('X', '1')",
    "from os import environ\nenviron['X']",
    "from os import getenv",
    "import os\ndef f(env=os.environ): ...",
])
def test_the_check_finds_a_module_reading_the_environment(source):
    assert environment_reads(source)


def test_the_check_leaves_other_environs_alone():
    # engine.io hands the socket.io channel a WSGI-style `environ` of its own
    assert not environment_reads("def connect(sid, environ):\n    return environ.get('HTTP_ORIGIN')")
    assert not environment_reads("import os\nos.getpid(); os.path.join('a', 'b')")


def test_no_module_but_bot_settings_reads_the_environment():
    readers = {str(path.relative_to(ROOT)): lines for path in modules()
               if path != ROOT / "bot" / "settings.py"
               and (lines := environment_reads(path.read_text(encoding="utf-8")))}
    assert readers == {}, f"read settings through bot/settings.py instead: {readers}"


def test_knowledge_imports_nothing_from_bot():
    """knowledge/ is the lowest layer: it is handed its database URL, it does not look it up."""
    for path in (ROOT / "knowledge").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not [n for n in names if n == "bot" or n.startswith("bot.")], path


# -- the values ------------------------------------------------------------------------------------

def test_the_defaults_are_those_of_make_run():
    cfg = settings.load({})
    assert (cfg.bot_port, cfg.action_port, cfg.host, cfg.keep_models, cfg.retention_days) == \
        (5005, 5055, "0.0.0.0", 3, 90)
    assert (cfg.models_dir, cfg.action_host, cfg.action_token, cfg.widget_session_secret) == \
        (ROOT / "models", "127.0.0.1", "", "")
    assert settings.web_port({}) == 8080 and settings.log_level({}) is None
    assert settings.message_limits({}) == settings.MessageLimits(2000, 30, 600, None)
    assert settings.tracker_store_retry_seconds({}) == 30
    assert settings.web_origins({}) == "*" and settings.rasa_token({}) == ""
    assert settings.database_url({}) is None
    assert settings.tracker_store_url({}) == f"sqlite:///{ROOT / 'var' / 'trackers.sqlite'}"
    assert settings.worker_state_path({}) == ROOT / "var" / "workers-5005.sqlite"
    assert settings.worker_state_path({"BOT_PORT": "6005"}) == ROOT / "var" / "workers-6005.sqlite"
    assert settings.slack({}).missing() == ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]
    assert settings.telegram({}).api_url == "https://api.telegram.org"
    settings.check({})


def test_given_values_are_read_when_asked_not_at_import(monkeypatch):
    monkeypatch.setenv("TRACKER_STORE_RETRY_SECONDS", "2.5")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://kb@db/probation")
    assert settings.tracker_store_retry_seconds() == 2.5
    assert settings.database_url() == "postgresql+psycopg2://kb@db/probation"
    assert settings.telegram({"TELEGRAM_TOKEN": "t", "TELEGRAM_BOT_USERNAME": "b"}).missing() == \
        ["TELEGRAM_WEBHOOK_URL"]


@pytest.mark.parametrize("name, value, message", [
    ("BOT_PORT", "http", "BOT_PORT must be a port number, not 'http'"),
    ("ACTION_PORT", "70000", "ACTION_PORT must be between 1 and 65535, not 70000"),
    ("WEB_PORT", "0", "WEB_PORT must be between 1 and 65535, not 0"),
    ("KEEP_MODELS", "0", "KEEP_MODELS must be at least 1, not 0"),
    ("CONVERSATION_RETENTION_DAYS", "forever",
     "CONVERSATION_RETENTION_DAYS must be a whole number, not 'forever'"),
    ("MAX_MESSAGE_CHARS", "2k", "MAX_MESSAGE_CHARS must be a whole number, not '2k'"),
    ("RATE_LIMIT_PER_MINUTE", "0", "RATE_LIMIT_PER_MINUTE must be at least 1, not 0"),
    ("RATE_LIMIT_PER_ADDRESS_PER_MINUTE", "-5",
     "RATE_LIMIT_PER_ADDRESS_PER_MINUTE must be at least 1, not -5"),
    ("TRACKER_STORE_RETRY_SECONDS", "half a minute",
     "TRACKER_STORE_RETRY_SECONDS must be a number of seconds, not 'half a minute'"),
    ("TRACKER_STORE_RETRY_SECONDS", "-1", "TRACKER_STORE_RETRY_SECONDS must be 0 or more seconds"),
    ("LOG_LEVEL", "loud", "LOG_LEVEL must be one of debug, info, warning, error, critical, not 'loud'"),
])
def test_a_bad_value_stops_the_start_naming_the_variable_and_what_it_accepts(name, value, message):
    with pytest.raises(SystemExit, match=re.escape(message)):
        settings.check({name: value})


def test_every_variable_settings_reads_is_in_the_one_table():
    source = (ROOT / "bot" / "settings.py").read_text(encoding="utf-8")
    named = set(re.findall(r'"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"', source)) - {"PYTHONPATH"}
    table = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    documented = {name for row in table.splitlines() if row.startswith("| `")
                  for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split(" | ")[0])}
    assert named - documented == set()
    assert "## Configuration" in table and "| variable |" not in (ROOT / "README.md").read_text()
