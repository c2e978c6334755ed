"""What to say for each kind of question. Each method answers the question asked first, in a
sentence or two built from sourced facts, cites them, mentions replaced guidance where people
are likely to have read it, and offers follow-ups. When the knowledge base lacks the fact it
says so and points to where to look, rather than guessing."""

from __future__ import annotations

import re
from typing import Callable

from knowledge.answer import Answer, Suggestion
from knowledge.planner import Plan, Planner, Profile
from knowledge.queries import FactView, KnowledgeBase, RoleView

# Topics about a particular role, and the role assumed when none has been mentioned.
ROLE_TOPICS = {
    "overview": "po",
    "band": "pso",
    "pay": "po",
    "entry": "po",
    "route": "po",
    "progression": "pso",
    "related": "po",
    "skills": "po",
    "day_to_day": "po",
    "caseload": "po",
    "compare": "pso",
}

TOP_LEVEL = ("england-wales", "scotland", "northern-ireland", "us")
_RELIABILITY_ORDER = {"official": 0, "secondary": 1, "low": 2}


# How a fact written as the answer to a question of its own begins
_REPLY_OPENING = re.compile(
    r"(?:yes|no|possibly|partly|it is possible|it can|not directly|less so)\b",
    re.I,
)


def _by_reliability(facts: list[FactView]) -> list[FactView]:
    """Official sources first, low-reliability ones last; otherwise the files' order."""
    return sorted(facts, key=lambda f: _RELIABILITY_ORDER.get(f.source.reliability, 3))


class Advisor:
    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.planner = Planner(kb)

    # -- entry points --------------------------------------------------------------------------
    def answer(
        self,
        topic: str,
        role: str | None = None,
        jurisdiction: str | None = None,
        other_role: str | None = None,
    ) -> Answer:
        handler: Callable | None = getattr(self, f"_{topic}", None)
        if handler is None:
            raise ValueError(f"no answer for topic {topic!r}")
        role_view = self.kb.find_role(role) if role else None
        if role_view is None and topic in ROLE_TOPICS:
            role_view = self.kb.role(ROLE_TOPICS[topic])
        jurisdiction = self.kb.find_jurisdiction(jurisdiction) if jurisdiction else None
        if role_view is not None and jurisdiction and topic in ROLE_TOPICS and topic != "compare":
            role_view = self.counterpart(role_view, jurisdiction)
        if role_view is not None and role and jurisdiction is None and topic not in ROLE_TOPICS:
            jurisdiction = role_view.jurisdiction  # "age limit for federal probation officers"
        other = self.kb.find_role(other_role) if other_role else None
        answer = handler(role=role_view, jurisdiction=jurisdiction, other=other)
        answer = self._local_first(answer, topic, jurisdiction)
        answer.topic = answer.topic or topic
        answer.role = answer.role or (role_view.id if role_view else None)
        answer.jurisdiction = answer.jurisdiction or jurisdiction
        return answer

    # What a place of its own (a US state) may know better than the country it is part of.
    LOCAL_TOPICS = {
        "pay": ("pay_context",),
        "entry": ("entry",),
        "route": ("entry",),
        "overview": ("organisation",),
    }

    def _local_first(self, answer: Answer, topic: str, jurisdiction: str | None) -> Answer:
        """ "What does a probation officer earn in California?": California's own figure first,
        then the country's in one sentence, rather than only the national median."""
        if (
            not jurisdiction
            or topic not in self.LOCAL_TOPICS
            or answer.kind != "answer"
            or self._top(jurisdiction) == jurisdiction
        ):
            return answer
        local = [
            f
            for f in _by_reliability(
                self.kb.facts(self.LOCAL_TOPICS[topic], jurisdiction=jurisdiction)
            )
            if f.jurisdiction == jurisdiction
        ]
        if not local:
            return answer
        if topic != "pay":  # the local rules are the answer; the country's would be a list
            return Answer(
                local[0].text,
                topic=answer.topic,
                role=answer.role,
                jurisdiction=jurisdiction,
                suggestions=answer.suggestions,
            ).cite(local[0])
        national = answer.text.split(". ")[0].rstrip(".")
        if national[:2].istitle():  # "A probation officer" -> "a probation officer"; not "US"
            national = national[0].lower() + national[1:]
        where = self.kb.jurisdiction_name(self._top(jurisdiction))
        return Answer(
            f"{local[0].text} Across {where}: {national}.",
            topic=answer.topic,
            role=answer.role,
            jurisdiction=jurisdiction,
            suggestions=answer.suggestions,
        ).cite(local[0], *answer.citations)

    def fact_unit(self, fact_id: str) -> Answer | None:
        """A fact that answers its questions by itself, with the older guidance it replaced
        where people may have read it."""
        fact = self.kb.snapshot().facts.get(fact_id)
        if fact is None:
            return None
        answer = Answer(
            fact.text,
            topic=fact.topic,
            jurisdiction=fact.jurisdiction,
            role=fact.roles[0] if len(fact.roles) == 1 else None,
        ).cite(fact)
        older = [
            old
            for old in self.kb.snapshot().facts.values()
            if old.superseded_by == fact.id and not old.current
        ]
        if older:
            period = f" ({older[0].period})" if older[0].period else ""
            answer.text += f" Older guidance{period} said otherwise: {older[0].text}"
            answer.cite(older[0])
        return answer

    def counterpart(self, role: RoleView, jurisdiction: str) -> RoleView:
        """The nearest role in another jurisdiction: a PO asked about "in the US" becomes the US
        probation officer; in Scotland, the justice social worker."""
        chain = self.kb.jurisdiction_chain(jurisdiction)
        if (
            role.jurisdiction in chain
            or self.kb.jurisdiction_chain(role.jurisdiction)[-1] == chain[-1]
        ):
            return role
        words = set(role.name.lower().split())
        candidates = [r for r in self.kb.roles(jurisdiction) if r.kind == role.kind]
        if not candidates:
            return role
        return max(
            candidates,
            key=lambda r: (len(words & set(r.name.lower().split())), -candidates.index(r)),
        )

    def plan(self, profile: Profile, brief: bool = False) -> Answer:
        return self.describe_plan(self.planner.plan(profile), profile, brief=brief)

    def skip_pso_for(self, profile: Profile) -> Answer:
        """ "Can I skip the PSO stage?" from someone who has told us their background."""
        plan = self.planner.plan(profile)
        skip = self.kb.fact("pqip-no-pso-first")
        answer = self.describe_plan(plan, profile, hide=(skip.id,), brief=True)
        if (
            self._top(plan.jurisdiction) == "england-wales"
            and plan.status in ("recommend", "depends")
            and profile.current_role != "pso"
        ):
            # no "Yes"/"No" lead: "can I skip it?" and "must I do it?" want opposite ones
            answer.text = f"{skip.text} {answer.text}"
        answer.topic = "skip_pso"
        return answer

    def age_for(self, age: int, role: str | None, jurisdiction: str | None) -> Answer:
        """ "I'm 19, do I have to wait?": whether this age is old enough (or too old) where the
        person wants to work, then the rule it comes from. No "Yes"/"No" lead: "am I too old?"
        and "can I apply?" want opposite ones."""
        answer = self.answer("age", role, jurisdiction)
        lowest, highest = self._age_limits(role, jurisdiction)
        if highest is not None and age >= highest:
            verdict = f"At {age} you are over the age limit for a first federal appointment."
        elif lowest is not None and age < lowest:
            verdict = (
                f"At {age} you are under the minimum age, so you would need to wait until "
                f"you are {lowest:g}."
            )
        elif lowest is not None:
            verdict = f"At {age} you are old enough to apply, and no upper age limit stops you."
            if highest is not None:
                verdict = f"At {age} you are within the age limits."
        else:
            return answer
        answer.text = f"{verdict} {answer.text}"
        return answer

    def age_rules_out(self, age: int, role: str | None, jurisdiction: str | None) -> bool:
        """Whether this age is below the minimum or over the maximum where the person wants to
        work: then their age, not the question's neighbour, decides the answer."""
        lowest, highest = self._age_limits(role, jurisdiction)
        return (highest is not None and age >= highest) or (lowest is not None and age < lowest)

    def _age_limits(self, role: str | None, jurisdiction: str | None) -> tuple:
        role_view = self.kb.find_role(role) if role else None
        where = jurisdiction or (role_view.jurisdiction if role_view else None)
        top = self._top(where)
        minimum = {"us": "us-min-age", "england-wales": "min-age"}.get(top)
        lowest = self.kb.value(minimum) if minimum else None
        # a state's own minimum (California's 21) before the country's
        own = [
            f.value
            for f in self.kb.facts("minimum_age", jurisdiction=where)
            if where and where != top and f.jurisdiction == where and f.value is not None
        ]
        lowest = own[0] if own else lowest
        highest = self.kb.value("us-federal-max-age") if where == "us-federal" else None
        return lowest, highest

    def unknown_role(self, name: str) -> Answer:
        examples = [
            self.kb.role(r).name
            for r in ("pso", "po", "prison-officer", "youth-justice-worker")
            if r in self.kb.snapshot().roles
        ]
        text = (
            f"I don't know about the role \"{name}\". I only cover probation careers and the jobs "
            f"close to them, such as " + ", ".join(examples[:-1]) + f" and {examples[-1]}."
        )
        return Answer(text, kind="unknown", topic="overview").suggest(*self._menu())

    def unknown_place(self, name: str) -> Answer:
        """ "How much does a PO earn in Ontario?": say which places the knowledge base covers,
        rather than answer with another country's rules or figures."""
        covered = self.covered_places()
        names = [place for _, place in covered]
        listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
        text = (
            f"I don't have probation careers information for {name}, so I won't guess. "
            f"I cover {listed}."
        )
        return Answer(text, kind="unknown", topic="overview").suggest(
            *(
                Suggestion.unit(
                    f"How does probation work in {place}?", "place-overview", jurisdiction=jid
                )
                for jid, place in covered[:3]
            )
        )

    def covered_places(self) -> list[tuple[str, str]]:
        """(id, name) of each country the knowledge base covers."""
        return [
            (jid, place)
            for jid, (place, part_of) in self.kb.snapshot().jurisdictions.items()
            if part_of is None
        ]

    # -- helpers ---------------------------------------------------------------------------------
    def _top(self, jurisdiction: str | None) -> str:
        return self.kb.jurisdiction_chain(jurisdiction)[-1] if jurisdiction else "england-wales"

    def _facts(
        self, topics, role: RoleView | None = None, jurisdiction: str | None = None, limit: int = 2
    ) -> list[FactView]:
        """Role-specific facts first, then the general ones for the jurisdiction."""
        out: list[FactView] = []
        where = jurisdiction or (role.jurisdiction if role else "england-wales")
        if role is not None:
            out += _by_reliability(
                self.kb.facts(topics, role=role.id, role_only=True, jurisdiction=where)
            )
        nearby = [
            f for f in self.kb.facts(topics, jurisdiction=where) if f.jurisdiction is not None
        ]
        out += _by_reliability([f for f in nearby if not f.roles and f not in out])
        if not out:
            # e.g. the US federal officer has no entry fact of its own; the US one applies
            out = _by_reliability(nearby)
        if jurisdiction is None and role is None:
            out = [f for f in out if f.jurisdiction in (None, "england-wales")] or out
        return out[:limit]

    def _from_facts(
        self,
        facts: list[FactView],
        topic: str,
        what: str,
        jurisdiction: str | None,
        role: RoleView | None = None,
        lead: str | None = None,
    ) -> Answer:
        if not facts:
            return self.unknown(what, jurisdiction or (role.jurisdiction if role else None), topic)
        # a fact written as the answer to a question of its own ("No. The Level 3 qualification
        # is not needed to apply") reads as a non sequitur after the first
        facts = facts[:1] + [f for f in facts[1:] if not _REPLY_OPENING.match(f.text)]
        text = " ".join(([lead] if lead else []) + [f.text for f in facts])
        return Answer(text, topic=topic).cite(*facts)

    def _older(
        self, answer: Answer, topics, role: RoleView | None = None, jurisdiction: str | None = None
    ) -> Answer:
        """Add "older guides say..." when guidance on the topic has been replaced."""
        for old, _new in self.kb.superseded(topics, jurisdiction=jurisdiction or "england-wales")[
            :1
        ]:
            if role is not None and old.roles and role.id not in old.roles:
                continue
            period = f" ({old.period})" if old.period else ""
            answer.text += f" Out of date{period}: {old.text}"
            answer.cite(old)
        return answer

    def unknown(self, what: str, jurisdiction: str | None, topic: str | None = None) -> Answer:
        pointer = self._where_to_look(jurisdiction)
        text = f"I don't have {what} in my knowledge base, so I won't guess."
        answer = Answer(text, kind="unknown", topic=topic)
        if pointer is not None:
            answer.text += f" {pointer.text}"
            answer.cite(pointer)
        return answer.suggest(*self._menu())

    def _where_to_look(self, jurisdiction: str | None) -> FactView | None:
        found = self.kb.facts("where_to_look", jurisdiction=self._top(jurisdiction))
        found = [f for f in found if f.jurisdiction == self._top(jurisdiction)] or found
        return found[0] if found else None

    def _menu(self) -> list[Suggestion]:
        return [
            Suggestion.ask("How do I become a probation officer?", "plan_route"),
            Suggestion.unit("What band is a PSO?", "role-band", role="pso"),
            Suggestion.unit("How much do probation officers earn?", "role-pay", role="po"),
        ]

    @staticmethod
    def short(role: RoleView) -> str:
        """ "PSO" for a probation services officer; the name where the abbreviation isn't one
        people say ("PQiP" names the programme, not the trainee)."""
        return role.abbreviation if role.abbreviation and role.abbreviation.isupper() else role.name

    def _role_suggestions(self, role: RoleView, skip: str) -> list[Suggestion]:
        short = self.short(role)
        options = [
            ("band", Suggestion.unit(f"What band is a {short}?", "role-band", role=role.id)),
            ("pay", Suggestion.unit(f"How much does a {short} earn?", "role-pay", role=role.id)),
            (
                "overview",
                Suggestion.unit(f"What does a {short} do?", "role-overview", role=role.id),
            ),
            (
                "entry",
                Suggestion.unit(f"What do I need to become a {short}?", "role-entry", role=role.id),
            ),
            (
                "progression",
                Suggestion.unit(f"What comes after {short}?", "role-progression", role=role.id),
            ),
        ]
        return [s for topic, s in options if topic != skip]

    # -- about a role ------------------------------------------------------------------------------
    def _overview(self, role: RoleView, jurisdiction, other) -> Answer:
        facts = self._facts("overview", role, limit=1) or self._facts("duties", role, limit=1)
        answer = self._from_facts(
            facts, "overview", f"a description of the {role.name} role", jurisdiction, role
        )
        return answer.suggest(*self._role_suggestions(role, "overview"))

    def _band(self, role: RoleView, jurisdiction, other) -> Answer:
        band = self.kb.band(role.id)
        if band is None:
            where = self.kb.jurisdiction_name(role.jurisdiction)
            if role.jurisdiction != "england-wales":
                answer = self.unknown(
                    f"a band for the {role.name} role ({where} does not use the "
                    f"England and Wales bands)",
                    role.jurisdiction,
                    "band",
                )
            else:
                answer = self.unknown(
                    f"a verified band for the {role.name} role", role.jurisdiction, "band"
                )
            return answer.suggest(*self._role_suggestions(role, "band"))
        text = f"A {role.label} is Band {band.value:g}."
        if band.text and not band.text.strip().lower().startswith("band"):
            text += f" {band.text}"
        return Answer(text).cite(band).suggest(*self._role_suggestions(role, "band"))

    def _pay(self, role: RoleView, jurisdiction, other) -> Answer:
        rates = self.kb.pay(role.id)
        if not rates:
            facts = self._facts("pay_context", role, jurisdiction)
            if facts and role.jurisdiction != "england-wales":
                return self._from_facts(
                    facts,
                    "pay",
                    "",
                    jurisdiction,
                    role,
                    lead=f"I don't have a current salary figure for a {role.name}.",
                )
            return self.unknown(
                f"a current pay figure for the {role.name} role",
                jurisdiction or role.jurisdiction,
                "pay",
            ).suggest(*self._role_suggestions(role, "pay"))
        best = rates[:2] if len({r.source.id for r in rates[:2]}) == 1 else rates[:1]
        parts = []
        for rate in best:
            kind = {
                "trainee": "while training",
                "starting": "to start",
                "qualified": "once qualified",
                "median": "at the median",
                "typical": "typically",
                "top": "at the top of the band",
            }.get(rate.label, "")
            parts.append(
                " ".join(filter(None, [rate.amount_text(), kind, f"({rate.applies_to} figures)"]))
            )
        text = f"A {role.label} earns " + ", and ".join(parts) + "."
        london = next((r.london_allowance for r in best if r.london_allowance), None)
        if london:
            text += f" Inside London there is an extra allowance of £{london:,.0f} a year."
        for rate in best:
            if rate.note:
                text += f" {rate.note}"
        answer = Answer(text).cite(*best)
        older = [
            r for r in self.kb.pay(role.id, include_superseded=True) if r.status == "superseded"
        ]
        if older:
            answer.text += (
                f" You may see older figures, such as {older[0].amount_text()} "
                f"({older[0].applies_to}); they are out of date."
            )
        return answer.suggest(*self._role_suggestions(role, "pay"))

    def _skills(self, role: RoleView, jurisdiction, other) -> Answer:
        facts = self._facts("skills", role, limit=2)
        if len(facts) < 2 or facts[0].source.reliability == "low":
            # a neighbouring role's skills (each fact names its own role) beat a thin answer
            facts += [
                f
                for f in _by_reliability(self.kb.facts("skills", jurisdiction=role.jurisdiction))
                if f not in facts
            ][: 2 - len(facts) if len(facts) < 2 else 1]
        return self._from_facts(
            _by_reliability(facts),
            "skills",
            f"a list of skills for the {role.name} role",
            jurisdiction,
            role,
        ).suggest(*self._role_suggestions(role, "skills"))

    def _day_to_day(self, role: RoleView, jurisdiction, other) -> Answer:
        facts = self._facts("duties", role, limit=1) + self._facts(
            ("hours", "working_conditions"), None, role.jurisdiction, limit=1
        )
        return self._from_facts(
            facts, "day_to_day", f"a description of a {role.name}'s day", jurisdiction, role
        ).suggest(*self._role_suggestions(role, "overview"))

    def _caseload(self, role: RoleView, jurisdiction, other) -> Answer:
        # "how many cases does a PO have?" wants a number: the role's caseload fact that gives
        # one, before those on how workload is weighed; the risk the cases carry answers only
        # where no caseload fact does
        facts = self._facts("caseload", role, limit=8)
        counted = [f for f in facts if re.search(r"\b\d{1,3}\b(?!\s*%)", f.text)]
        facts = (counted or facts)[:1] or self._facts("risk", role, limit=1)
        return self._from_facts(
            facts, "caseload", f"caseload figures for the {role.name} role", jurisdiction, role
        ).suggest(*self._role_suggestions(role, "caseload"))

    def _route(self, role: RoleView, jurisdiction, other) -> Answer:
        """ "How do I become a PO in Glasgow?": the way in where the person is, at once."""
        answer = self._entry(role, jurisdiction, other)
        answer.topic = "route"
        return answer

    def _entry(self, role: RoleView, jurisdiction, other) -> Answer:
        facts = self._facts("entry", role, jurisdiction, limit=2)
        answer = self._from_facts(
            facts, "entry", f"entry requirements for the {role.name} role", jurisdiction, role
        )
        if answer.kind == "answer" and role.jurisdiction == "england-wales":
            self._older(answer, "entry", role)
        return answer.suggest(
            Suggestion.unit("Do I have to be a PSO first?", "skip-pso"),
            Suggestion.ask("Plan my route", "plan_route", role=role.id),
            Suggestion.unit("What checks are there?", "checks-vetting"),
            Suggestion.ask("What about in Scotland?", "what_about", jurisdiction="scotland")
            if self._top(role.jurisdiction) != "scotland"
            else Suggestion.ask(
                "What about in England and Wales?", "what_about", jurisdiction="england-wales"
            ),
        )

    def _progression(self, role: RoleView, jurisdiction, other) -> Answer:
        nexts = self.kb.progression(role.id)
        # after "people usually move on to ...", the fact describing the whole ladder (it names
        # the most roles), not one answering a question of its own ("Yes, in principle. Probation
        # staff can go on secondment")
        facts = self._facts("progression", role, role.jurisdiction, limit=20)
        facts = sorted(facts, key=lambda f: (bool(_REPLY_OPENING.match(f.text)), -len(f.roles)))
        facts = facts[:1]
        if not nexts and not facts:
            return self.unknown(
                f"progression routes from the {role.name} role", role.jurisdiction, "progression"
            )
        text = ""
        if nexts:
            names = [r.label for r in nexts]
            text = (
                f"From {role.label}, people usually move on to "
                + (", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0])
                + "."
            )
        answer = Answer(" ".join(filter(None, [text] + [f.text for f in facts]))).cite(*facts)
        if not facts:
            answer.cite(self.kb.role_fact(role.id, "overview"))
        return answer.suggest(
            *[
                Suggestion.unit(
                    f"What does a {r.abbreviation or r.name} do?", "role-overview", role=r.id
                )
                for r in nexts[:2]
            ],
            Suggestion.unit("Related careers", "related-careers", role=role.id),
        )

    def _related(self, role: RoleView, jurisdiction, other) -> Answer:
        related = self.kb.related(role.id)
        facts = self._facts("related_careers", None, role.jurisdiction, limit=1)
        if not related and not facts:
            return self.unknown("related careers", role.jurisdiction, "related")
        text = ""
        if related:
            names = [r.name for r in related]
            text = f"Careers close to {role.label} include " + ", ".join(names) + "."
        answer = Answer(" ".join(filter(None, [text] + [f.text for f in facts]))).cite(*facts)
        if not facts:
            answer.cite(self.kb.role_fact(role.id, "overview"))
        return answer.suggest(
            *[
                Suggestion.unit(f"What does a {r.name} do?", "role-overview", role=r.id)
                for r in related[:3]
            ]
        )

    def _compare(self, role: RoleView, jurisdiction, other) -> Answer:
        if other is None or other.id == role.id:
            other = self.kb.role("po" if role.id != "po" else "pso")
        comparison = self.kb.compare(role.id, other.id)
        sentences, cited = [], []
        for topic, first, second in comparison.rows:
            if topic == "band" and first and second:
                sentences.append(
                    f"A {role.label} is Band {first.value:g} and a {other.label} is "
                    f"Band {second.value:g}."
                )
                cited += [first, second]
            elif topic == "risk" and first and second:
                sentences.append(f"{first.text} {second.text}")
                cited += [first, second]
        if len(sentences) < 2:
            for fact in (comparison.rows[1][1], comparison.rows[1][2]):
                if fact is not None:
                    sentences.append(fact.text)
                    cited.append(fact)
        if not sentences:
            return self.unknown(
                f"a comparison of {role.name} and {other.name}", role.jurisdiction, "compare"
            )
        answer = Answer(" ".join(sentences)).cite(*cited)
        return answer.suggest(
            Suggestion.unit(
                f"How much does a {role.abbreviation or role.name} earn?", "role-pay", role=role.id
            ),
            Suggestion.unit(
                f"How much does a {other.abbreviation or other.name} earn?",
                "role-pay",
                role=other.id,
            ),
            Suggestion.unit("Do I have to be a PSO first?", "skip-pso"),
        )

    # -- routes and training -----------------------------------------------------------------------
    def _skip_pso(self, role, jurisdiction, other) -> Answer:
        if self._top(jurisdiction) != "england-wales":
            return self._entry(
                self.counterpart(self.kb.role("po"), jurisdiction), jurisdiction, other
            )
        facts = [self.kb.fact("pqip-no-pso-first"), self.kb.fact("pqip-paid-as-pso")]
        answer = Answer(" ".join(f.text for f in facts)).cite(*facts)
        self._older(answer, "skip_pso")
        return answer.suggest(
            Suggestion.ask("Plan my route", "plan_route"),
            Suggestion.unit("How long is PQiP?", "pqip-overview"),
            Suggestion.unit("What do I need to apply?", "role-entry", role="po"),
        )

    def _pqip(self, role, jurisdiction, other) -> Answer:
        routes = [self.kb.route(r) for r in ("pqip-15", "pqip-21", "pqip-27")]
        lengths = (
            ", ".join(str(r.length_months) for r in routes[:-1]) + f" or {routes[-1].length_months}"
        )
        structure = self._facts("training", None, "england-wales", limit=1)
        structure = [f for f in self.kb.facts("training") if f.id == "pqip-structure"] or structure
        text = (
            f"PQiP, the trainee probation officer programme, takes {lengths} months "
            f"depending on what you have already studied."
        )
        answer = Answer(text).cite(*[r.summary for r in routes])
        if structure:
            answer.text += f" {structure[0].text}"
            answer.cite(structure[0])
        return answer.suggest(
            Suggestion.ask("Which route suits me?", "plan_route"),
            Suggestion.unit("What are the knowledge modules?", "knowledge-modules"),
            Suggestion.unit("How much do trainees earn?", "role-pay", role="pqip-trainee"),
        )

    def _modules(self, role, jurisdiction, other) -> Answer:
        facts = self._facts("modules", None, "england-wales", limit=1)
        facts = [f for f in self.kb.facts("modules") if f.id == "pqip-modules"] or facts
        return self._from_facts(
            facts, "modules", "the list of knowledge modules", jurisdiction
        ).suggest(
            Suggestion.ask("Does my degree cover them?", "plan_route"),
            Suggestion.unit("How long is PQiP?", "pqip-overview"),
        )

    def _time_to_qualify(self, role, jurisdiction, other) -> Answer:
        top = self._top(jurisdiction)
        if top != "england-wales":
            # routes whose length no source gives (the US ones) say nothing here
            routes = [r for r in self.kb.routes(top) if r.length_text()]
            if not routes:
                return self.unknown("training lengths there", top, "time_to_qualify")
            parts = [f"{r.name}: {r.length_text()}" for r in routes]
            answer = Answer("In " + self.kb.jurisdiction_name(top) + ", " + "; ".join(parts) + ".")
            return answer.cite(*[r.summary for r in routes])
        routes = [self.kb.route(r) for r in ("pqip-15", "pqip-21", "pqip-27", "pqip-internal")]
        answer = Answer(
            f"Through PQiP it takes {routes[0].length_months} months if you have a Level 5 "
            f"qualification covering the knowledge modules, {routes[1].length_months} months with "
            f"Level 5 in another subject, and up to {routes[2].length_months} months from Level 3. "
            f"Serving PSOs can take a {routes[3].length_months}-month internal route."
        )
        answer.cite(*[r.summary for r in routes])
        part_time = [f for f in self.kb.facts("part_time")]
        if part_time:
            answer.text += f" {part_time[0].text}"
            answer.cite(part_time[0])
        self._older(answer, "length")
        return answer.suggest(
            Suggestion.ask("Which route suits me?", "plan_route"),
            Suggestion.unit("Do I have to be a PSO first?", "skip-pso"),
        )

    def _apprenticeship(self, role, jurisdiction, other) -> Answer:
        return self._from_facts(
            self._facts("apprenticeship", None, "england-wales", limit=2),
            "apprenticeship",
            "details of the apprenticeship",
            jurisdiction,
        ).suggest(
            Suggestion.unit("What does a PSO do?", "role-overview", role="pso"),
            Suggestion.ask("Plan my route", "plan_route"),
        )

    def _application(self, role, jurisdiction, other) -> Answer:
        facts = self._facts(
            ("application_process", "assessment"), None, jurisdiction or "england-wales"
        )
        return self._from_facts(
            facts, "application", "details of the application process", jurisdiction
        ).suggest(
            Suggestion.unit("What checks are there?", "checks-vetting"),
            Suggestion.ask("Am I eligible?", "plan_route"),
        )

    def _history(self, role, jurisdiction, other) -> Answer:
        old_routes = [
            r
            for r in self.kb.routes("england-wales", include_superseded=True)
            if r.status == "superseded"
        ]
        if not old_routes:
            return self.unknown("the history of probation qualifications", jurisdiction, "history")
        names = [f"{r.name} ({r.period})" if r.period else r.name for r in old_routes[:4]]
        current = self.kb.replacement(old_routes[0].id)
        assert current is not None, "the loader checks that a replaced route names its successor"
        text = (
            "Older routes into probation have been replaced: " + "; ".join(names) + ". "
            f"Today the route to probation officer is PQiP ({current.name})."
        )
        answer = Answer(text).cite(*[r.summary for r in old_routes[:3]], current.summary)
        return answer.suggest(
            Suggestion.unit("How long is PQiP?", "pqip-overview"),
            Suggestion.unit("What is the minimum age?", "age-rules"),
        )

    # -- checks --------------------------------------------------------------------------------------
    def _age(self, role, jurisdiction, other) -> Answer:
        top = self._top(jurisdiction)
        facts = self._facts(("minimum_age", "maximum_age"), None, jurisdiction or top, limit=2)
        if top == "england-wales":
            facts = [self.kb.fact("min-age")]
        answer = self._from_facts(facts, "age", "age rules there", jurisdiction)
        if top == "england-wales":
            self._older(answer, "minimum_age")
        return answer.suggest(
            Suggestion.unit(
                "What about the US federal age limit?", "age-rules", jurisdiction="us-federal"
            )
            if top != "us"
            else None,
            Suggestion.unit("What other checks are there?", "checks-vetting"),
            Suggestion.ask("Plan my route", "plan_route"),
        )

    def _criminal_record(self, role, jurisdiction, other) -> Answer:
        facts = self._facts("criminal_record", None, jurisdiction or "england-wales", limit=1)
        return self._from_facts(
            facts, "criminal_record", "rules on criminal records there", jurisdiction
        ).suggest(Suggestion.unit("What other checks are there?", "checks-vetting"))

    def _checks(self, role, jurisdiction, other) -> Answer:
        top = self._top(jurisdiction)
        if top == "england-wales":
            wanted = ["uk-residence", "vetting", "dbs"]
            facts = [f for f in (self.kb.facts(("residence", "vetting", "dbs"))) if f.id in wanted]
        else:
            facts = self._facts(
                ("vetting", "dbs", "drug_test", "fitness", "residence", "registration"),
                None,
                jurisdiction,
                limit=2,
            )
        answer = self._from_facts(facts[:3], "checks", "details of the checks there", jurisdiction)
        if top == "england-wales" and answer.kind == "answer":
            self._older(answer, "dbs")
        return answer.suggest(
            Suggestion.unit("Can I apply with a criminal record?", "criminal-record"),
            Suggestion.unit("What is the minimum age?", "age-rules"),
            Suggestion.unit("Do I need a driving licence?", "driving-licence"),
        )

    def _driving_licence(self, role, jurisdiction, other) -> Answer:
        facts = self._facts("driving_licence", None, jurisdiction or "england-wales", limit=1)
        return self._from_facts(
            facts, "driving_licence", "a rule on driving licences there", jurisdiction
        ).suggest(
            Suggestion.unit("What other checks are there?", "checks-vetting"),
            Suggestion.unit("What does a PO do day to day?", "role-day-to-day", role="po"),
        )

    def _registration(self, role, jurisdiction, other) -> Answer:
        facts = self._facts("registration", None, jurisdiction or "england-wales", limit=1)
        return self._from_facts(facts, "registration", "registration rules there", jurisdiction)

    def _welsh(self, role, jurisdiction, other) -> Answer:
        facts = self._facts("welsh_language", None, "wales", limit=1)
        return self._from_facts(facts, "welsh", "a rule on Welsh language", "wales")

    # -- places ----------------------------------------------------------------------------------------
    def _region(self, role, jurisdiction, other) -> Answer:
        if jurisdiction is None:
            differences = self.kb.jurisdiction_differences("organisation")
            facts = [differences[j][0] for j in TOP_LEVEL if j in differences]
            text = "The rules differ across the UK and in the US. " + " ".join(
                f.text for f in facts[1:4]
            )
            return (
                Answer(text)
                .cite(*facts[1:4])
                .suggest(
                    *[
                        Suggestion.unit(
                            f"Tell me about {self.kb.jurisdiction_name(j)}",
                            "place-overview",
                            jurisdiction=j,
                        )
                        for j in TOP_LEVEL
                        if j in differences
                    ]
                )
            )
        # about the place, not one of its jobs ("youth offending team officers are employed by
        # councils" is an organisation fact about England and Wales too)
        facts = [
            f
            for f in self.kb.facts("organisation", jurisdiction=jurisdiction)
            if f.jurisdiction == jurisdiction and not f.roles
        ][:1]
        facts += [
            f
            for f in self.kb.facts("entry", jurisdiction=jurisdiction)
            if f.jurisdiction == jurisdiction and not f.roles
        ][:1]
        if not facts:
            facts = self._facts(("organisation", "entry"), None, jurisdiction)
        answer = self._from_facts(
            facts, "region", f"details for {self.kb.jurisdiction_name(jurisdiction)}", jurisdiction
        )
        return answer.suggest(
            Suggestion.ask("How do I qualify there?", "plan_route", jurisdiction=jurisdiction),
            Suggestion.unit("What is the pay there?", "role-pay", jurisdiction=jurisdiction),
            Suggestion.unit(
                "What about England and Wales?", "place-overview", jurisdiction="england-wales"
            )
            if self._top(jurisdiction) != "england-wales"
            else None,
        )

    def _outlook(self, role, jurisdiction, other) -> Answer:
        top = self._top(jurisdiction)
        topics = ("outlook", "employment") if top == "us" else ("staffing", "outlook")
        # the outlook for the whole service: a fact about one kind of post (YOT secondments)
        # answers only when nothing general does
        facts = sorted(
            (f for f in self.kb.facts(topics, jurisdiction=top) if f.jurisdiction == top),
            # and one with a figure (the growth rate) before one without
            key=lambda f: (
                bool(f.roles),
                bool(_REPLY_OPENING.match(f.text)),
                not re.search(r"\d", f.text),
                _RELIABILITY_ORDER.get(f.source.reliability, 3),
            ),
        )[:1]
        return self._from_facts(facts, "outlook", "job-outlook figures there", top).suggest(
            Suggestion.unit("What about in the US?", "job-outlook", jurisdiction="us")
            if top != "us"
            else Suggestion.unit(
                "What about in England and Wales?", "job-outlook", jurisdiction="england-wales"
            )
        )

    def _parole_vs_probation(self, role, jurisdiction, other) -> Answer:
        facts = [f for f in self.kb.facts("parole_vs_probation")]
        top = self._top(jurisdiction)
        facts.sort(key=lambda f: f.jurisdiction != (top if jurisdiction else "us"))
        return self._from_facts(
            facts[:2], "parole_vs_probation", "that distinction", jurisdiction
        ).suggest(
            Suggestion.unit(
                "What do US probation officers earn?", "role-pay", role="us-probation-officer"
            )
        )

    # -- the route plan --------------------------------------------------------------------------------
    QUESTIONS = {
        "jurisdiction": "where you want to work",
        "age": "your age",
        "qualification": "your highest qualification",
        "subject": "the subject you studied",
        "modules": "whether your course covered at least three of the four knowledge modules",
        "current_role": "your current job",
        "months_service": "how many months you have served as a PSO",
        "experience": "whether you have experience with people in crisis",
    }

    def describe_plan(
        self, plan: Plan, profile: Profile, hide: tuple[str, ...] = (), brief: bool = False
    ) -> Answer:
        """The plan in two or three sentences; every reason is cited, the first two are shown.
        `brief` (a plan given as the answer to another question, such as "how long would that
        take me?") shows one reason and no alternatives."""
        shown_reasons = 1 if brief else 2
        kb = self.kb
        where = kb.jurisdiction_name(kb.jurisdiction_chain(plan.jurisdiction)[-1])
        route = plan.recommended
        if plan.status == "depends":
            options = (
                " or ".join(
                    f"{r.name} ({r.length_text()})" if r.length_text() else r.name
                    for r in plan.alternatives
                )
                if plan.alternatives
                else None
            )
            needs = " and ".join(self.QUESTIONS.get(d, d) for d in plan.depends_on)
            text = f"It depends on {needs}."
            if options:
                text += f" The options are {options}."
            text += " " + " ".join(r.text for r in plan.reasons[:shown_reasons])
        elif plan.status == "ready":
            text = "You already hold the qualification that matters. " + " ".join(
                r.text for r in plan.reasons[:shown_reasons]
            )
        elif plan.status == "not_yet" and route is None:
            text = "Not yet. " + " ".join(r.text for r in plan.reasons[:shown_reasons])
        else:
            assert route is not None  # "recommend", or "not_yet" with a route
            length = route.length_text()
            said = length and str(route.length_months) in route.name
            length = f", which takes {length}" if length and not said else ""
            opener = "Not yet for that role: " if plan.status == "not_yet" else ""
            shown = [r for r in plan.reasons if r.fact.id not in hide][:shown_reasons]
            text = f"{opener}I'd recommend the {route.name}{length}. " + " ".join(
                r.text for r in shown
            )
            if plan.alternatives and not brief:
                text += " Also open to you: " + ", ".join(r.name for r in plan.alternatives) + "."
        for note in plan.notes[: 0 if brief else 1]:
            text += f" {note.text}"
        if plan.assumed_jurisdiction:
            text += (
                f" (This is for {where}; tell me if you mean Scotland, Northern Ireland or the US.)"
            )
        answer = Answer(
            " ".join(text.split()), kind="plan", topic="plan", jurisdiction=plan.jurisdiction
        )
        answer.cite(*plan.facts)
        if route is not None:
            answer.cite(route.summary)
        return answer.suggest(
            Suggestion.unit("How much do trainees earn?", "role-pay", role="pqip-trainee")
            if self._top(plan.jurisdiction) == "england-wales"
            else None,
            Suggestion.unit(
                "What checks are there?", "checks-vetting", jurisdiction=plan.jurisdiction
            ),
            Suggestion.unit("How do I apply?", "apply-how"),
        )
