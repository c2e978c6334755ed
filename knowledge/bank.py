"""The question bank as the answer action sees it: each unit's kind, what renders it and how it is
offered as a suggestion. Read from the fact files once per process; the retrieval index in the
trained model is built from the same files."""
from __future__ import annotations

import threading
from pathlib import Path

from knowledge.loader import FACTS_DIR, UnitSpec, validate

_lock = threading.Lock()
_units: dict[str, UnitSpec] | None = None


def units(facts_dir: Path | None = None) -> dict[str, UnitSpec]:
    global _units
    if _units is None or facts_dir is not None:
        with _lock:
            found = {u.id: u for u in validate(facts_dir or FACTS_DIR).units}
            if facts_dir is not None:
                return found
            _units = found
    return _units


def title(unit: UnitSpec, role_name: str | None = None, place_name: str | None = None) -> str:
    """How a unit is offered as a button: its title, or its first question, with the role and
    place filled in."""
    text = unit.title or unit.questions[0]
    text = text.replace("{role}", role_name or "probation officer")
    text = text.replace("{place}", place_name or "England and Wales")
    text = text[0].upper() + text[1:]
    return text if text.rstrip().endswith("?") or unit.title else text.rstrip(".") + "?"
