"""Changes to Rasa Open Source 3.6's own behaviour, in one place: each module says what it
changes and why (with the upstream issue where there is one), and has an equivalence or
behaviour test under tests/bot/. `bot.server` applies them before Rasa starts, after checking
that the installed Rasa is the one they were written for; each is idempotent. `lean_imports` runs
first, before anything imports Rasa's core. Every change goes through `replace`, which remembers
what it replaced, so tests undo what they applied (the `patched_rasa` fixtures in
tests/conftest.py) and nothing else in the project assigns to Rasa
(tests/bot/test_rasa_patches_fenced.py)."""

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


_MISSING = object()
# What `replace` changed, oldest first: (owner, attribute, what was there before).
_REPLACED: list[tuple[Any, str, Any]] = []


def replace(owner: Any, name: str, new: Any) -> None:
    """Put `new` where `owner.name` was (a class's method, a module's function), remembering the
    old value so that `undo` can put it back. Every patch changes Rasa through this, and only
    this: tests apply a patch and undo it, so that no test sees another's patched Rasa."""
    previous = vars(owner).get(name, _MISSING) if hasattr(owner, "__dict__") else _MISSING
    _REPLACED.append((owner, name, previous))
    setattr(owner, name, new)


def applied() -> int:
    """How many replacements are in place: a mark to `undo` back to."""
    return len(_REPLACED)


def undo(to: int = 0) -> None:
    """Put back what `replace` changed since `applied()` returned `to`, newest first."""
    while len(_REPLACED) > to:
        owner, name, previous = _REPLACED.pop()
        if previous is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, previous)
