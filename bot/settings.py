"""Settings, all from environment variables, with the defaults `make run` uses."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

ROOT = Path(__file__).resolve().parent.parent


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


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    try:
        port = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a port number, not {raw!r}") from None
    if not 0 < port < 65536:
        raise SystemExit(f"{name} must be between 1 and 65535, not {port}")
    return port


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


def _count(name: str, default: int, least: int) -> int:
    raw = os.environ.get(name) or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None
    if value < least:
        raise SystemExit(f"{name} must be at least {least}, not {value}")
    return value


LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def log_level(env: Mapping[str, str] = os.environ) -> str | None:
    """LOG_LEVEL in lower case, or None when unset; `debug` shows the servers' logs on the console."""
    raw = (env.get("LOG_LEVEL") or "").strip().lower()
    if raw and raw not in LOG_LEVELS:
        raise SystemExit(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {env['LOG_LEVEL']!r}")
    return raw or None


def load() -> Settings:
    return Settings(
        bot_port=_port("BOT_PORT", 5005),
        action_port=_port("ACTION_PORT", 5055),
        models_dir=Path(os.environ.get("MODELS_DIR", ROOT / "models")),
        host=os.environ.get("BOT_HOST", "0.0.0.0"),
        keep_models=_count("KEEP_MODELS", 3, least=1),
        retention_days=_count("CONVERSATION_RETENTION_DAYS", 90, least=1),
        action_host=os.environ.get("ACTION_HOST") or "127.0.0.1",
        action_token=os.environ.get("ACTION_SERVER_TOKEN", ""),
        widget_session_secret=os.environ.get("WIDGET_SESSION_SECRET", ""),
    )
