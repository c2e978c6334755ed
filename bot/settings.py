"""Every setting, and the one module that reads the environment (tests/bot/test_settings.py
checks that no other module does). Each variable, its default and what it accepts are in the
table in docs/operations.md ("Configuration"); a new setting gets a line there and an accessor
here.

Each accessor takes an optional mapping in place of the process's environment (tests pass one)
and reads it when called, not at import. A value that cannot be used stops the start with a
message naming the variable and what it accepts; `check()` tries them all, before the servers
start. The defaults are those `make run` uses on one machine.

Writing to the environment (`export`, `export_defaults`) and copying it for a child process
(`environment`, `child_environment`) go through here too."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

ROOT = Path(__file__).resolve().parent.parent

Env = Mapping[str, str]


def _environ(env: Env | None) -> Env:
    return os.environ if env is None else env


def _text(name: str, default: str = "", env: Env | None = None) -> str:
    """The variable's value; `default` when it is unset or empty."""
    return _environ(env).get(name) or default


# -- checked values -------------------------------------------------------------------------------


def _port(name: str, default: int, env: Env | None = None) -> int:
    raw = _environ(env).get(name, str(default))
    try:
        port = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a port number, not {raw!r}") from None
    if not 0 < port < 65536:
        raise SystemExit(f"{name} must be between 1 and 65535, not {port}")
    return port


def _count(name: str, default: int, least: int, env: Env | None = None) -> int:
    raw = _text(name, str(default), env)
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None
    if value < least:
        raise SystemExit(f"{name} must be at least {least}, not {value}")
    return value


def _seconds(name: str, default: float, env: Env | None = None) -> float:
    raw = _text(name, str(default), env)
    try:
        value = float(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a number of seconds, not {raw!r}") from None
    if not value >= 0:  # also refuses nan
        raise SystemExit(f"{name} must be 0 or more seconds, not {raw!r}")
    return value


# -- the launcher and the servers ------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    bot_port: int
    action_port: int
    models_dir: Path
    host: str
    keep_models: int = 3
    retention_days: int = 90
    # The action server answers on loopback unless a deployment names another address, and then
    # only to callers that send this token (bot/action_server.py).
    action_host: str = "127.0.0.1"
    action_token: str = ""
    # Signs the widget's session ids (bot/channels/widget_sessions.py); empty: one kept in var/.
    widget_session_secret: str = ""

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}/webhook"


def load(env: Env | None = None) -> Settings:
    values = _environ(env)
    return Settings(
        bot_port=_port("BOT_PORT", 5005, env),
        action_port=_port("ACTION_PORT", 5055, env),
        models_dir=Path(values.get("MODELS_DIR", ROOT / "models")),
        host=values.get("BOT_HOST", "0.0.0.0"),
        keep_models=_count("KEEP_MODELS", 3, least=1, env=env),
        retention_days=_count("CONVERSATION_RETENTION_DAYS", 90, least=1, env=env),
        action_host=_text("ACTION_HOST", "127.0.0.1", env),
        action_token=values.get("ACTION_SERVER_TOKEN", ""),
        widget_session_secret=values.get("WIDGET_SESSION_SECRET", ""),
    )


def web_port(env: Env | None = None) -> int:
    """The chat widget's page (bot/web.py)."""
    return _port("WEB_PORT", 8080, env)


LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def log_level(env: Env | None = None) -> str | None:
    """LOG_LEVEL in lower case, or None when unset; `debug` shows the servers' logs on the console."""
    given = _environ(env).get("LOG_LEVEL") or ""
    raw = given.strip().lower()
    if raw and raw not in LOG_LEVELS:
        raise SystemExit(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {given!r}")
    return raw or None


def rasa_token(env: Env | None = None) -> str:
    """RASA_TOKEN: with it, Rasa's HTTP API is on for requests that carry it; empty: off."""
    return _text("RASA_TOKEN", "", env)


def web_origins(env: Env | None = None) -> str:
    """WEB_ORIGINS as given: the origins, separated by commas or spaces, or `*` for any
    (bot/channels/webchat.py reads the list)."""
    return _environ(env).get("WEB_ORIGINS", "*")


def worker_processes(env: Env | None = None) -> int:
    """How many processes the Rasa server runs (Sanic's workers, SANIC_WORKERS); like Rasa,
    one when the value is not a number."""
    try:
        return max(1, int(_text("SANIC_WORKERS", "1", env)))
    except ValueError:
        return 1


def worker_state_path(env: Env | None = None) -> Path:
    """The SQLite file a server's worker processes share (bot/worker_state.py)."""
    values = _environ(env)
    return Path(
        values.get("WORKER_STATE_PATH")
        or ROOT / "var" / f"workers-{values.get('BOT_PORT') or 5005}.sqlite"
    )


# -- where things are kept -------------------------------------------------------------------------


def database_url(env: Env | None = None) -> str | None:
    """DATABASE_URL, the knowledge base's SQLAlchemy URL; None leaves knowledge/db.py's default,
    the SQLite file var/knowledge.sqlite."""
    return _environ(env).get("DATABASE_URL") or None


def store_defaults() -> dict[str, str]:
    """What endpoints.yml and the server read when the environment leaves them unset: this
    machine, conversations in a SQLite file, and a worker process per core (two at most, for
    memory), sharing their conversation locks through a SQLite file (`bot.worker_state`)."""
    return {
        "TRACKER_STORE_URL": f"sqlite:///{ROOT / 'var' / 'trackers.sqlite'}",
        "LOCK_STORE": "bot.worker_state.ConversationLocks",
        "SANIC_WORKERS": str(min(2, os.cpu_count() or 1)),
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6379",
        "REDIS_DB": "1",
        "REDIS_PASSWORD": "",
        "ACTION_SERVER_TOKEN": "",
    }


def tracker_store_url(env: Env | None = None) -> str:
    """TRACKER_STORE_URL, where conversations and ratings are kept."""
    return _text("TRACKER_STORE_URL", store_defaults()["TRACKER_STORE_URL"], env)


def tracker_store_retry_seconds(env: Env | None = None) -> float:
    """How long a turn waits for the conversation database to come back (bot/stores.py)."""
    return _seconds("TRACKER_STORE_RETRY_SECONDS", 30, env)


# -- the channels ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageLimits:
    """What the guard every channel shares allows (bot/channels/guard.py)."""

    max_chars: int = 2000
    per_minute: int = 30
    per_address_per_minute: int = 600
    trusted_proxies: str | None = None


def message_limits(env: Env | None = None) -> MessageLimits:
    default = MessageLimits()
    return MessageLimits(
        max_chars=_count("MAX_MESSAGE_CHARS", default.max_chars, least=1, env=env),
        per_minute=_count("RATE_LIMIT_PER_MINUTE", default.per_minute, least=1, env=env),
        per_address_per_minute=_count(
            "RATE_LIMIT_PER_ADDRESS_PER_MINUTE", default.per_address_per_minute, least=1, env=env
        ),
        trusted_proxies=_environ(env).get("TRUSTED_PROXIES"),
    )


def _missing(channel: object, needed: dict[str, str]) -> list[str]:
    """The variables a channel needs to be on (variable -> field), in order, that are unset."""
    return [name for name, field in needed.items() if not getattr(channel, field)]


@dataclass(frozen=True)
class Slack:
    bot_token: str
    signing_secret: str
    api_url: str
    # the variables that must be set for the channel to be on, and the fields holding them
    NEEDED = {"SLACK_BOT_TOKEN": "bot_token", "SLACK_SIGNING_SECRET": "signing_secret"}

    def missing(self) -> list[str]:
        return _missing(self, self.NEEDED)


def slack(env: Env | None = None) -> Slack:
    return Slack(
        bot_token=_text("SLACK_BOT_TOKEN", "", env),
        signing_secret=_text("SLACK_SIGNING_SECRET", "", env),
        api_url=_text("SLACK_API_URL", "https://slack.com/api/", env),
    )


@dataclass(frozen=True)
class Telegram:
    token: str
    bot_username: str
    webhook_url: str
    secret_token: str  # empty: bot/channels/telegram.py makes one up for the run
    api_url: str
    NEEDED = {
        "TELEGRAM_TOKEN": "token",
        "TELEGRAM_BOT_USERNAME": "bot_username",
        "TELEGRAM_WEBHOOK_URL": "webhook_url",
    }

    def missing(self) -> list[str]:
        return _missing(self, self.NEEDED)


def telegram(env: Env | None = None) -> Telegram:
    return Telegram(
        token=_text("TELEGRAM_TOKEN", "", env),
        bot_username=_text("TELEGRAM_BOT_USERNAME", "", env),
        webhook_url=_text("TELEGRAM_WEBHOOK_URL", "", env),
        secret_token=_text("TELEGRAM_SECRET_TOKEN", "", env),
        api_url=_text("TELEGRAM_API_URL", "https://api.telegram.org", env),
    )


# -- all at once, at start -------------------------------------------------------------------------


def check(env: Env | None = None) -> None:
    """Every checked value, so that a bad one stops the start here, with its message, rather than
    in a server's log later."""
    load(env)
    web_port(env)
    log_level(env)
    message_limits(env)
    tracker_store_retry_seconds(env)


# -- the environment of this process and of its children -------------------------------------------


def environment() -> dict[str, str]:
    """A copy of this process's environment, for a process that replaces or starts another."""
    return dict(os.environ)


def child_environment() -> dict[str, str]:
    """The environment `python -m bot` starts its servers and Rasa's commands with: this one,
    with the defaults endpoints.yml needs filled in, this checkout on PYTHONPATH, and LOG_LEVEL
    in the upper case Rasa takes."""
    env = environment()
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for name, value in store_defaults().items():
        env.setdefault(name, value)
    level = log_level(env)
    if level:
        env["LOG_LEVEL"] = level.upper()
    return env


def export(values: Mapping[str, str]) -> None:
    """Set variables in this process's environment, for what it reads and starts later."""
    os.environ.update(values)


def export_defaults(values: Mapping[str, str]) -> None:
    """Set the variables that are not set already: an operator's own setting wins."""
    for name, value in values.items():
        os.environ.setdefault(name, value)
