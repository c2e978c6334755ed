"""A route plan's timeline (actions/route_timeline.py) as one line of text, for the channels
that show text only: "PQiP 15-month route (15 months, Band 3) → PO (Band 4); 15 months in all"."""

from __future__ import annotations

from typing import Any


def timeline_text(answer: Any) -> str | None:
    drawn = answer.get("timeline") if isinstance(answer, dict) else None
    if not isinstance(drawn, dict) or not drawn.get("stages"):
        return None
    parts = []
    for stage in drawn["stages"]:
        details = ", ".join(filter(None, [stage.get("length"), stage.get("band")]))
        parts.append(f"{stage['name']} ({details})" if details else stage["name"])
    total = f"; {drawn['total']} in all" if drawn.get("total") else ""
    return "Route: " + " → ".join(parts) + total
