"""What `make run` and `make shell` print, and where the servers' own logs go: Rasa's, Sanic's
and TensorFlow's lines go to files in var/log/ (one per server and port), and the console gets
a few lines saying what is on and where; LOG_LEVEL=debug puts everything back on the console."""

from __future__ import annotations

import socket
import time
import urllib.request
from pathlib import Path
from typing import IO, Mapping

from bot.settings import ROOT, log_level

LOG_DIR = ROOT / "var" / "log"
# The credentials file's channels, as a person would name them.
CHANNEL_NAMES = {
    "GuardedRestInput": "REST",
    "WebChatInput": "web widget (socket.io)",
    "FeedbackInput": "ratings",
    "SlackChannel": "Slack",
    "TelegramChannel": "Telegram",
}


def verbose(env: Mapping[str, str] | None = None) -> bool:
    return log_level(env) == "debug"


def log_file(name: str) -> tuple[Path, IO]:
    """A server's log file, appended to, with a line marking this start."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    path = LOG_DIR / f"{name}.log"
    stream = path.open("a", encoding="utf-8", buffering=1)
    stream.write(f"\n----- started {time.strftime('%Y-%m-%d %H:%M:%S')} -----\n")
    return path, stream


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def channels_on(credentials: dict) -> str:
    names = [CHANNEL_NAMES.get(key.rsplit(".", 1)[-1], key) for key in credentials]
    return ", ".join(names)


def port_taken(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def bot_answers_on(port: int) -> bool:
    """The bot's REST channel, rather than some other program, is listening on `port`."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/webhooks/rest/", timeout=3) as reply:
            return b'"ok"' in reply.read(200)
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
