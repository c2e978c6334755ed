"""The credentials file `rasa run` reads, written at each start: the channels the root
credentials.yml names (REST and socket.io), plus Slack and Telegram when the environment sets
them up. Rasa loads a custom channel by its module path and builds it with `from_credentials`;
ours read their secrets from the settings themselves (bot/settings.py), so their sections stay
empty and no secret reaches the disk."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping

import yaml

from bot import settings
from bot.settings import ROOT

logger = logging.getLogger(__name__)

DEFAULTS = ROOT / "credentials.yml"
SLACK, TELEGRAM = "bot.channels.slack.SlackChannel", "bot.channels.telegram.TelegramChannel"


def credentials(env: Mapping[str, str] | None = None) -> dict:
    # The root file stays the one place the always-on channels are configured.
    found = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8")) or {}
    for channel, given in ((SLACK, settings.slack(env)), (TELEGRAM, settings.telegram(env))):
        missing = given.missing()
        if not missing:
            found[channel] = None
        elif len(missing) < len(given.NEEDED):
            # Half a configuration is a mistake worth hearing about, not a reason to stop.
            logger.warning("%s is off: %s not set", channel.rsplit(".", 1)[-1], ", ".join(missing))
    return found


def write_credentials(path: Path, env: Mapping[str, str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"# Written at each start from {DEFAULTS.name} and the environment "
        "(bot/channels/credentials.py); edits here are lost.\n"
        + yaml.safe_dump(credentials(env), sort_keys=False),
        encoding="utf-8",
    )
    return path
