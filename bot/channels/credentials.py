"""The credentials file `rasa run` reads, written at each start: the channels the root
credentials.yml names (REST and socket.io), plus Slack and Telegram when the environment sets
them up. Rasa loads a custom channel by its module path and builds it with `from_credentials`;
ours read their secrets from the environment themselves, so their sections stay empty and no
secret reaches the disk."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Mapping

import yaml

from bot.settings import ROOT

logger = logging.getLogger(__name__)

DEFAULTS = ROOT / "credentials.yml"
CHANNELS = {
    "bot.channels.slack.SlackChannel": ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"),
    "bot.channels.telegram.TelegramChannel": ("TELEGRAM_TOKEN", "TELEGRAM_BOT_USERNAME",
                                              "TELEGRAM_WEBHOOK_URL"),
}


def credentials(env: Mapping[str, str] = os.environ) -> dict:
    # The root file stays the one place the always-on channels are configured.
    found = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8")) or {}
    for channel, names in CHANNELS.items():
        given = [name for name in names if env.get(name)]
        if len(given) == len(names):
            found[channel] = None
        elif given:
            # Half a configuration is a mistake worth hearing about, not a reason to stop.
            missing = ", ".join(n for n in names if n not in given)
            logger.warning("%s is off: %s not set", channel.rsplit(".", 1)[-1], missing)
    return found


def write_credentials(path: Path, env: Mapping[str, str] = os.environ) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# Written at each start from {DEFAULTS.name} and the environment "
                    "(bot/channels/credentials.py); edits here are lost.\n"
                    + yaml.safe_dump(credentials(env), sort_keys=False), encoding="utf-8")
    return path
