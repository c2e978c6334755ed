"""Changes to Rasa Open Source 3.6's own behaviour, in one place: each module says what it
changes and why (with the upstream issue where there is one), and has an equivalence or
behaviour test under tests/bot/. `bot.server` applies them before Rasa starts; each is
idempotent. `lean_imports` runs first, before anything imports Rasa's core."""

from __future__ import annotations

from typing import Any


def mark(replacement: Any, marker: str) -> None:
    """Mark a replacement for one of Rasa's functions, so that applying its patch again sees
    `getattr(current, marker)` and leaves it alone."""
    setattr(replacement, marker, True)
