"""Changes to Rasa Open Source 3.6's own behaviour, in one place: each module says what it
changes and why (with the upstream issue where there is one), and has an equivalence or
behaviour test under tests/bot/. `bot.server` applies them before Rasa starts; each is
idempotent. `lean_imports` runs first, before anything imports Rasa's core."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

# The Rasa Open Source release these patches were written against and tested with. Each replaces
# or wraps a private function of that release; on another one the function may have moved or
# changed, and a patch applied to it would fail quietly or wrongly.
RASA_VERSION = "3.6.21"


def check_rasa_version(installed: str | None = None) -> None:
    """Refuse to patch a Rasa other than the pinned one, saying what to do."""
    installed = installed or version("rasa")
    if installed != RASA_VERSION:
        raise SystemExit(
            f"bot/rasa_patches/ was written for Rasa {RASA_VERSION}, but Rasa {installed} is "
            f"installed. Reinstall the pinned version (make venv), or check every patch in "
            f"bot/rasa_patches/ against Rasa {installed} and its tests before changing "
            f"RASA_VERSION."
        )


def mark(replacement: Any, marker: str) -> None:
    """Mark a replacement for one of Rasa's functions, so that applying its patch again sees
    `getattr(current, marker)` and leaves it alone."""
    setattr(replacement, marker, True)
