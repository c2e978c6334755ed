"""The recommended route as a timeline: where the person starts, each stage with its length and
band, where it leads, the total, and why each step. It travels beside the answer's text (the
text is unchanged), for channels that draw it: the widget as an SVG, the others as a compact
text line (bot/channels/route_text.py)."""

from __future__ import annotations

from typing import Any

from knowledge.planner import Plan, Profile
from knowledge.queries import KnowledgeBase


def _band(kb: KnowledgeBase, role_id: str | None) -> str | None:
    if not role_id:
        return None
    facts = [f for f in kb.facts("band", role=role_id, role_only=True) if f.value is not None]
    return f"Band {facts[0].value:g}" if facts else None


def _role_name(kb: KnowledgeBase, role_id: str | None) -> str | None:
    role = kb.find_role(role_id) if role_id else None
    return (role.abbreviation or role.name) if role else None


def timeline(kb: KnowledgeBase, plan: Plan, profile: Profile) -> dict | None:
    """None when there is no single route to draw (it depends, or not yet without a route)."""
    route = plan.recommended
    if route is None or plan.status == "depends":
        return None
    stages: list[dict[str, Any]] = []
    start = _role_name(kb, profile.current_role)
    if start:
        stages.append(
            {
                "name": f"Now: {start}",
                "months": None,
                "band": _band(kb, profile.current_role),
                "why": "Where you are now.",
            }
        )
    stages.append(
        {
            "name": route.name,
            "months": route.length_months,
            "months_max": route.length_max_months,
            "length": route.length_text(),
            "band": _band(kb, route.employed_as),
            "why": plan.reasons[0].text if plan.reasons else route.summary.text,
        }
    )
    end = _role_name(kb, route.leads_to)
    if end:
        stages.append(
            {
                "name": end,
                "months": None,
                "band": _band(kb, route.leads_to),
                "why": "Where the route leads.",
            }
        )
    return {"stages": stages, "total": route.length_text(), "status": plan.status}
