"""The query API that actions call. Reads go through a snapshot of the whole knowledge base
(a few hundred rows), rebuilt whenever the loader's fingerprint changes, so an editor's change
is answered within seconds without restarting anything, and a turn costs no database round trip
beyond a cheap fingerprint check."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, overload

from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from knowledge import db, schema
from knowledge.models import (
    Alias,
    Fact,
    FactRole,
    FactRoute,
    Jurisdiction,
    Meta,
    PayRate,
    Qualification,
    Role,
    RoleLink,
    Route,
    Source,
    Subject,
)
from knowledge.names import normalise

ROUTE_SUMMARY_PREFIX = "route-"


class KnowledgeUnavailable(RuntimeError):
    """The database holds no knowledge base yet, or cannot be reached."""


@dataclass(frozen=True)
class SourceRef:
    id: str
    publisher: str
    title: str
    url: str
    year: int
    approximate: bool
    reliability: str

    @property
    def year_text(self) -> str:
        return f"c.{self.year}" if self.approximate else str(self.year)

    def cite(self) -> str:
        return f"{self.publisher}, {self.year_text}"


@dataclass(frozen=True)
class FactView:
    id: str
    topic: str
    text: str
    value: float | None
    source: SourceRef
    as_of: str
    status: str
    superseded_by: str | None
    period: str | None
    jurisdiction: str | None
    roles: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()

    @property
    def current(self) -> bool:
        return self.status == "current"


@dataclass(frozen=True)
class RoleView:
    id: str
    name: str
    abbreviation: str | None
    jurisdiction: str
    kind: str

    @property
    def label(self) -> str:
        """ "probation services officer (PSO)": the name with its abbreviation, for answers."""
        return f"{self.name} ({self.abbreviation})" if self.abbreviation else self.name


@dataclass(frozen=True)
class PayView:
    id: str
    role: str
    label: str
    min: float
    max: float | None
    currency: str
    period: str
    london_allowance: float | None
    applies_to: str
    note: str | None
    source: SourceRef
    as_of: str
    status: str
    superseded_by: str | None

    def amount_text(self) -> str:
        symbol = schema.CURRENCIES[self.currency]

        def money(v: float) -> str:
            return f"{symbol}{v:,.0f}" if v >= 100 else f"{symbol}{v:,.2f}"

        text = money(self.min)
        if self.max is not None and self.max != self.min:
            text += f" to {money(self.max)}"
        return text + (" a year" if self.period == "year" else " an hour")


@dataclass(frozen=True)
class RouteView:
    id: str
    name: str
    jurisdiction: str
    leads_to: str
    employed_as: str | None
    length_months: int | None
    length_max_months: int | None
    status: str
    superseded_by: str | None
    period: str | None
    summary: FactView

    def length_text(self) -> str | None:
        if self.length_months is None:
            return None
        if self.length_max_months and self.length_max_months != self.length_months:
            return f"{self.length_months} to {self.length_max_months} months"
        return f"{self.length_months} months"


@dataclass(frozen=True)
class NamedThing:
    """A qualification or subject as the planner needs it."""

    id: str
    name: str
    level: int | None = None
    modules_covered: int | None = None
    social_work: bool = False
    source: SourceRef | None = None
    as_of: str | None = None


@dataclass(frozen=True)
class Comparison:
    first: RoleView
    second: RoleView
    rows: tuple[tuple[str, FactView | None, FactView | None], ...]
    pay: tuple[PayView | None, PayView | None]


@dataclass
class Snapshot:
    fingerprint: str
    sources: dict[str, SourceRef] = field(default_factory=dict)
    jurisdictions: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    roles: dict[str, RoleView] = field(default_factory=dict)
    links: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    pay: dict[str, list[PayView]] = field(default_factory=lambda: defaultdict(list))
    facts: dict[str, FactView] = field(default_factory=dict)
    routes: dict[str, RouteView] = field(default_factory=dict)
    qualifications: dict[str, NamedThing] = field(default_factory=dict)
    subjects: dict[str, NamedThing] = field(default_factory=dict)
    aliases: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))


def _read_snapshot(conn, fingerprint: str) -> Snapshot:
    snap = Snapshot(fingerprint=fingerprint)
    for row in conn.execute(select(Source)).mappings():
        snap.sources[row["id"]] = SourceRef(
            row["id"],
            row["publisher"],
            row["title"],
            row["url"],
            row["year"],
            row["approximate"],
            row["reliability"],
        )
    for row in conn.execute(select(Jurisdiction)).mappings():
        snap.jurisdictions[row["id"]] = (row["name"], row["part_of_id"])
    for row in conn.execute(select(Role)).mappings():
        snap.roles[row["id"]] = RoleView(
            row["id"], row["name"], row["abbreviation"], row["jurisdiction_id"], row["kind"]
        )
    for row in conn.execute(select(RoleLink).order_by(RoleLink.position)).mappings():
        snap.links[(row["role_id"], row["kind"])].append(row["target_id"])
    fact_roles, fact_routes = defaultdict(list), defaultdict(list)
    for row in conn.execute(select(FactRole)).mappings():
        fact_roles[row["fact_id"]].append(row["role_id"])
    for row in conn.execute(select(FactRoute)).mappings():
        fact_routes[row["fact_id"]].append(row["route_id"])
    for row in conn.execute(select(Fact).order_by(Fact.position)).mappings():
        snap.facts[row["id"]] = FactView(
            row["id"],
            row["topic"],
            row["text"],
            row["value"],
            snap.sources[row["source_id"]],
            row["as_of"],
            row["status"],
            row["superseded_by_id"],
            row["period"],
            row["jurisdiction_id"],
            tuple(fact_roles[row["id"]]),
            tuple(fact_routes[row["id"]]),
        )
    for row in conn.execute(select(PayRate).order_by(PayRate.position)).mappings():
        snap.pay[row["role_id"]].append(
            PayView(
                row["id"],
                row["role_id"],
                row["label"],
                row["min"],
                row["max"],
                row["currency"],
                row["period"],
                row["london_allowance"],
                row["applies_to"],
                row["note"],
                snap.sources[row["source_id"]],
                row["as_of"],
                row["status"],
                row["superseded_by_id"],
            )
        )
    for row in conn.execute(select(Route)).mappings():
        snap.routes[row["id"]] = RouteView(
            row["id"],
            row["name"],
            row["jurisdiction_id"],
            row["leads_to_id"],
            row["employed_as_id"],
            row["length_months"],
            row["length_max_months"],
            row["status"],
            row["superseded_by_id"],
            row["period"],
            snap.facts[ROUTE_SUMMARY_PREFIX + row["id"]],
        )
    for row in conn.execute(select(Qualification)).mappings():
        snap.qualifications[row["id"]] = NamedThing(
            row["id"],
            row["name"],
            level=row["level"],
            social_work=row["social_work"],
            source=snap.sources[row["source_id"]],
            as_of=row["as_of"],
        )
    for row in conn.execute(select(Subject)).mappings():
        snap.subjects[row["id"]] = NamedThing(
            row["id"],
            row["name"],
            modules_covered=row["modules_covered"],
            social_work=row["social_work"],
            source=snap.sources[row["source_id"]],
            as_of=row["as_of"],
        )
    for row in conn.execute(select(Alias)).mappings():
        snap.aliases[row["kind"]][row["alias"]] = row["target_id"]
    return snap


class KnowledgeBase:
    """Answers questions about roles, routes and requirements from the loaded fact files."""

    def __init__(self, url: str | None = None, refresh_seconds: float = 2.0):
        self.url = url
        self.refresh_seconds = refresh_seconds
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    # -- the snapshot ------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        now = time.monotonic()
        if self._snapshot is not None and now - self._checked_at < self.refresh_seconds:
            return self._snapshot
        with self._lock:
            engine = db.engine_for(self.url)
            try:
                with engine.connect() as conn:
                    fingerprint = conn.execute(
                        select(Meta.value).where(Meta.key == "fingerprint")
                    ).scalar()
                    if fingerprint is None:
                        raise KnowledgeUnavailable(
                            f"the knowledge base at {db.describe(self.url)} is empty: run `make kb`"
                        )
                    if self._snapshot is None or self._snapshot.fingerprint != fingerprint:
                        self._snapshot = _read_snapshot(conn, fingerprint)
            except (OperationalError, ProgrammingError) as exc:
                if self._snapshot is not None:
                    return self._snapshot  # keep answering from the last good copy
                raise KnowledgeUnavailable(
                    f"cannot read the knowledge base at {db.describe(self.url)}: {exc.orig}"
                ) from exc
            self._checked_at = now
            return self._snapshot

    # -- names ---------------------------------------------------------------------------------
    def _lookup(self, kind: str, text: str | None) -> str | None:
        if not text:
            return None
        return self.snapshot().aliases[kind].get(normalise(str(text)))

    def find_role(self, text: str | None) -> RoleView | None:
        """A role by any of its names: "PSO", "probation service officer", "trainee"..."""
        snap = self.snapshot()
        if text in snap.roles:  # an id is exact; "us-probation-officer" is not the
            return snap.roles[text]  # alias "US probation officer" (the federal title)
        found = self._lookup("role", text)
        return snap.roles.get(found) if found else None

    def find_jurisdiction(self, text: str | None) -> str | None:
        if text in self.snapshot().jurisdictions:
            return text
        return self._lookup("jurisdiction", text)

    def find_qualification(self, text: str | None) -> NamedThing | None:
        snap = self.snapshot()
        found = text if text in snap.qualifications else self._lookup("qualification", text)
        return snap.qualifications.get(found) if found else None

    def find_subject(self, text: str | None) -> NamedThing | None:
        snap = self.snapshot()
        found = text if text in snap.subjects else self._lookup("subject", text)
        return snap.subjects.get(found) if found else None

    def names(self, kind: str) -> dict[str, str]:
        """Every normalised name of a kind (role, jurisdiction, qualification, subject) -> its id."""
        return dict(self.snapshot().aliases[kind])

    def jurisdiction_name(self, jurisdiction: str) -> str:
        return self.snapshot().jurisdictions[jurisdiction][0]

    def jurisdiction_chain(self, jurisdiction: str | None) -> list[str]:
        """The jurisdiction and every one it is part of: wales -> [wales, england-wales]."""
        chain, seen = [], set()
        while jurisdiction and jurisdiction not in seen:
            seen.add(jurisdiction)
            chain.append(jurisdiction)
            jurisdiction = self.snapshot().jurisdictions.get(jurisdiction, (None, None))[1]
        return chain

    # -- facts ---------------------------------------------------------------------------------
    def role(self, role_id: str) -> RoleView:
        return self.snapshot().roles[role_id]

    def roles(self, jurisdiction: str | None = None, kind: str | None = None) -> list[RoleView]:
        return [
            r
            for r in self.snapshot().roles.values()
            if (jurisdiction is None or r.jurisdiction in self.jurisdiction_chain(jurisdiction))
            and (kind is None or r.kind == kind)
        ]

    def fact(self, fact_id: str) -> FactView:
        return self.snapshot().facts[fact_id]

    def facts(
        self,
        topic: str | Iterable[str] | None = None,
        role: str | None = None,
        jurisdiction: str | None = None,
        route: str | None = None,
        include_superseded: bool = False,
        role_only: bool = False,
    ) -> list[FactView]:
        """Facts matching every filter given. A jurisdiction includes the ones it is part of;
        a role includes general facts of its jurisdiction unless `role_only`."""
        topics = {topic} if isinstance(topic, str) else (set(topic) if topic else None)
        chain = self.jurisdiction_chain(jurisdiction) if jurisdiction else None
        out = []
        for fact in self.snapshot().facts.values():
            if topics and fact.topic not in topics:
                continue
            if not include_superseded and not fact.current:
                continue
            if route and route not in fact.routes:
                continue
            if role and role not in fact.roles and (role_only or fact.roles or fact.routes):
                continue
            if route is None and fact.id.startswith(ROUTE_SUMMARY_PREFIX):
                continue  # a route's summary belongs to the route
            if chain is not None and fact.jurisdiction and fact.jurisdiction not in chain:
                continue
            out.append(fact)
        return out

    def band(self, role_id: str) -> FactView | None:
        found = self.facts("band", role=role_id, role_only=True)
        return found[0] if found else None

    def role_fact(self, role_id: str, topic: str) -> FactView | None:
        found = self.facts(topic, role=role_id, role_only=True)
        return found[0] if found else None

    def pay(self, role_id: str, include_superseded: bool = False) -> list[PayView]:
        return [
            p
            for p in self.snapshot().pay.get(role_id, [])
            if include_superseded or p.status == "current"
        ]

    def routes_into(self, role_id: str, include_superseded: bool = False) -> list[RouteView]:
        """Routes that end in the role, or that employ you in it while you train."""
        return [
            r
            for r in self.snapshot().routes.values()
            if role_id in (r.leads_to, r.employed_as)
            and (include_superseded or r.status == "current")
        ]

    def route(self, route_id: str) -> RouteView:
        return self.snapshot().routes[route_id]

    def routes(
        self, jurisdiction: str | None = None, include_superseded: bool = False
    ) -> list[RouteView]:
        chain = self.jurisdiction_chain(jurisdiction) if jurisdiction else None
        return [
            r
            for r in self.snapshot().routes.values()
            if (chain is None or r.jurisdiction in chain)
            and (include_superseded or r.status == "current")
        ]

    def progression(self, role_id: str) -> list[RoleView]:
        snap = self.snapshot()
        return [snap.roles[t] for t in snap.links.get((role_id, "progression"), [])]

    def related(self, role_id: str) -> list[RoleView]:
        snap = self.snapshot()
        return [snap.roles[t] for t in snap.links.get((role_id, "related"), [])]

    # what a person needs for a role: its entry facts, then the checks; no source makes Welsh
    # essential for every post in Wales, so it is answered on its own, not listed as a requirement
    REQUIREMENT_TOPICS = (
        "entry",
        "experience",
        *(t for t in schema.CHECK_TOPICS if t != "welsh_language"),
        "overseas_qualifications",
    )

    def requirements(self, role_id: str, jurisdiction: str | None = None) -> list[FactView]:
        """What a person needs for the role: its own entry facts, then the checks of its
        jurisdiction (or of `jurisdiction`, where the reader is elsewhere)."""
        role = self.role(role_id)
        own = self.facts(self.REQUIREMENT_TOPICS, role=role_id, role_only=True)
        general = [
            f
            for f in self.facts(
                self.REQUIREMENT_TOPICS, jurisdiction=jurisdiction or role.jurisdiction
            )
            if not f.roles and not f.routes and f not in own
        ]
        return own + general

    def compare(
        self,
        first_id: str,
        second_id: str,
        topics: tuple[str, ...] = ("band", "overview", "risk", "entry"),
    ) -> Comparison:
        rows = tuple((t, self.role_fact(first_id, t), self.role_fact(second_id, t)) for t in topics)

        def pick(rid: str) -> PayView | None:
            return next(iter(self.pay(rid)), None)

        return Comparison(
            self.role(first_id), self.role(second_id), rows, (pick(first_id), pick(second_id))
        )

    def jurisdiction_differences(
        self, topic: str | Iterable[str] = ("organisation", "entry")
    ) -> dict[str, list[FactView]]:
        """For each top-level jurisdiction, its current facts on the topic(s)."""
        out: dict[str, list[FactView]] = {}
        for jid, (_name, parent) in self.snapshot().jurisdictions.items():
            if parent is None:
                found = [f for f in self.facts(topic) if f.jurisdiction == jid and not f.routes]
                if found:
                    out[jid] = found
        return out

    def superseded(
        self,
        topic: str | Iterable[str] | None = None,
        role: str | None = None,
        jurisdiction: str | None = None,
    ) -> list[tuple[FactView, FactView]]:
        """Older guidance on a topic, each paired with the current fact that replaced it."""
        snap = self.snapshot()
        pairs = []
        for old in self.facts(topic, role=role, jurisdiction=jurisdiction, include_superseded=True):
            if old.current:
                continue
            new = snap.facts.get(old.superseded_by) if old.superseded_by else None
            while new is not None and not new.current and new.superseded_by in snap.facts:
                new = snap.facts[new.superseded_by]
            if new is not None:
                pairs.append((old, new))
        return pairs

    def replacement(self, route_id: str) -> RouteView | None:
        """The current route that replaced a historic one."""
        snap = self.snapshot()
        route = snap.routes.get(route_id)
        while route is not None and route.status != "current":
            route = snap.routes.get(route.superseded_by) if route.superseded_by else None
        return route

    @overload
    def value(self, fact_id: str, default: float) -> float: ...
    @overload
    def value(self, fact_id: str, default: None = None) -> float | None: ...

    def value(self, fact_id: str, default: float | None = None) -> float | None:
        fact = self.snapshot().facts.get(fact_id)
        return default if fact is None or fact.value is None else fact.value
