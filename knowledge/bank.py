"""The question bank as the answer action sees it: each unit's kind, what renders it and how it is
offered as a suggestion. Read from the fact files once per process; the retrieval index in the
trained model is built from the same files."""

from __future__ import annotations

import threading
from dataclasses import dataclass
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


# Who a question naming no role is about: people asking "what qualifications do I need?" mean
# the probation officer or the trainee on the way to it, not a community payback supervisor.
DEFAULT_ROLES = frozenset({"po", "pqip-trainee"})


@dataclass(frozen=True)
class Misfit:
    """How much a unit's score drops when it does not fit the role and place asked about. The
    retrieval component applies it with the message's own role and place; the answer action
    applies it again with the conversation's, for a follow-up that names neither."""

    place: float = 0.3  # a unit for another country than the one asked about
    local: float = 0.15  # a unit for one part of it (California, London) not asked about
    default_place: float = 0.08  # a unit outside England and Wales when no place is known
    role: float = 0.2  # a unit only about other roles than the one asked about
    # a fact that holds exactly where the message asks about (Texas, for "who employs probation
    # officers in Texas?") answers it better than an answer written for any place; not for
    # England and Wales, whose facts are the default anyway ("the Luton office" names it), nor
    # London's few ("paramedics' pay in London" is not the London allowance's question)
    exact_place: float = 0.07
    # an answer written for any place ("how does probation work in {place}?") when the message
    # names a role and no place: "what does a victim liaison officer in probation do?" is about
    # the role
    place_not_role: float = 0.06
    exact_role: float = 0.04
    # a unit only about other roles than a probation officer's, when the message names none:
    # "is there a scheme to get ex-forces people into probation jobs?" is answered by the scheme
    # for PSOs, unless a fact about probation officers answers it as well
    default_role: float = 0.1

    def __call__(
        self,
        where: str | None,
        where_top: str | None,
        unit_roles,
        params,
        places: set,
        places_top: set,
        roles: set,
        carried: bool = False,
    ) -> float:
        """`where` is the unit's jurisdiction and `where_top` the country it is part of;
        `places` the jurisdictions asked about, `places_top` their countries (or those of the
        roles named); `roles` the roles named, in this message or (`carried`) earlier."""
        drop = 0.0
        if "place" not in params and where and where in places and where_top != "england-wales":
            drop -= self.exact_place
        if roles - DEFAULT_ROLES and ("role" in params or roles & set(unit_roles or ())):
            # "is Unlocked Graduates a probation scheme?": the answers about the very role named
            # (its own facts, and those written for any role), not the probation roles most
            # facts are about, answer it better than the rest
            drop -= self.exact_role
        if "place" not in params:
            if places_top and where_top and where_top not in places_top:
                drop += self.place
            elif places_top and where and where != where_top and where not in places:
                drop += self.local
            elif not places_top and where_top and where_top != "england-wales" and not roles:
                drop += self.default_place
        if "place" in params and "role" not in params and roles and not places and not carried:
            drop += self.place_not_role
        # a probation officer and the trainee becoming one are talked about in one breath: "would
        # I get paid while I train?" after a question about POs is about the trainee
        allowed = (
            (roles | DEFAULT_ROLES)
            if carried and roles & DEFAULT_ROLES
            else (roles or DEFAULT_ROLES)
        )
        # the roles a question naming none is about are England and Wales's; asked about
        # another country ("NY probation jobs: is there a written test?"), that country's own
        # roles are the ones meant
        elsewhere = not roles and where_top in places_top - {"england-wales"}
        if unit_roles and "role" not in params and not allowed & set(unit_roles) and not elsewhere:
            drop += self.role if roles else self.default_role
        return -drop
