"""The route planner: given what a person tells us about themselves, which routes are open,
which one we recommend, how long it takes, and why. Every reason cites a sourced fact, and every
threshold (ages, levels, months) is read from the facts, so an editor's change moves the plan.
Where an answer hinges on something we don't know yet, the plan says "it depends" and on what."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from knowledge.queries import FactView, KnowledgeBase, RouteView
from knowledge.schema import OTHER_SUBJECT

# Profile fields the planner may say a plan depends on, in the order a form should ask them.
ASKABLE = (
    "jurisdiction",
    "age",
    "qualification",
    "subject",
    "current_role",
    "months_service",
    "experience",
)


@dataclass(frozen=True)
class Profile:
    """What a person has told us. None means "not said", never "no"."""

    jurisdiction: str | None = None  # where they want to work (a jurisdiction id)
    age: int | None = None
    qualification: str | None = None  # their highest qualification (a qualification id)
    level: int | None = None  # its level, when they gave a level rather than a name
    subject: str | None = None  # the subject of their degree or course (a subject id)
    modules: int | None = None  # how many of PQiP's four knowledge modules it covered
    current_role: str | None = None  # a role id
    months_service: int | None = None  # months in the current role
    experience: bool | None = None  # work with people in crisis or challenging behaviour
    overseas_qualification: bool | None = None
    uk_residence_years: float | None = None
    target: str | None = None  # the role they want (a role id); a PO by default


@dataclass(frozen=True)
class Reason:
    text: str
    fact: FactView


@dataclass
class Plan:
    status: str  # recommend | ready | depends | not_yet
    jurisdiction: str
    recommended: RouteView | None = None
    reasons: list[Reason] = field(default_factory=list)
    alternatives: list[RouteView] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    notes: list[Reason] = field(default_factory=list)  # caveats and superseded guidance
    assumed_jurisdiction: bool = False

    @property
    def length_text(self) -> str | None:
        return self.recommended.length_text() if self.recommended else None

    @property
    def facts(self) -> list[FactView]:
        """Every fact the plan rests on, each once, for citing sources."""
        seen, out = set(), []
        for reason in [*self.reasons, *self.notes]:
            if reason.fact.id not in seen:
                seen.add(reason.fact.id)
                out.append(reason.fact)
        return out


class Planner:
    def __init__(self, kb: KnowledgeBase):
        self.kb = kb

    def _why(self, fact_id: str, text: str | None = None) -> Reason:
        fact = self.kb.fact(fact_id)
        return Reason(text or fact.text, fact)

    def _level(self, profile: Profile) -> int | None:
        if profile.level is not None:
            return profile.level
        qualification = self.kb.find_qualification(profile.qualification)
        return qualification.level if qualification else None

    def _social_work_qualified(self, profile: Profile) -> bool:
        qualification = self.kb.find_qualification(profile.qualification)
        subject = self.kb.find_subject(profile.subject)
        level = self._level(profile) or 0
        return bool(
            (qualification and qualification.social_work)
            or (subject and subject.social_work and level >= 6)
        )

    def plan(self, profile: Profile) -> Plan:
        jurisdiction, assumed = self._jurisdiction(profile)
        top = self.kb.jurisdiction_chain(jurisdiction)[-1]
        handler = {
            "scotland": self._scotland,
            "northern-ireland": self._northern_ireland,
            "us": self._united_states,
        }.get(top, self._england_wales)
        plan = handler(profile, jurisdiction)
        plan.assumed_jurisdiction = assumed
        return plan

    def _jurisdiction(self, profile: Profile) -> tuple[str, bool]:
        if profile.jurisdiction:
            return profile.jurisdiction, False
        for role_id in (profile.target, profile.current_role):
            role = self.kb.find_role(role_id)
            if role is not None:
                return role.jurisdiction, False
        # PSO, PQiP and the bands are England-and-Wales terms; say that we assumed it.
        return "england-wales", True

    # -- England and Wales ---------------------------------------------------------------------
    def _england_wales(self, profile: Profile, jurisdiction: str) -> Plan:
        kb, why = self.kb, self._why
        plan = Plan("recommend", jurisdiction)
        min_age = kb.value("min-age", 18)
        if profile.age is not None and profile.age < min_age:
            plan.status = "not_yet"
            plan.reasons.append(why("min-age"))
            return plan
        if profile.age is not None and profile.age < kb.value("min-age-dipps", 20):
            plan.notes.append(
                why(
                    "min-age-dipps",
                    f"Older guides give {kb.value('min-age-dipps', 20):g} "
                    f"as the minimum age; the current minimum is {min_age:g}.",
                )
            )
        residence = kb.value("uk-residence", 3)
        if profile.uk_residence_years is not None and profile.uk_residence_years < residence:
            plan.status = "not_yet"
            plan.reasons.append(why("uk-residence"))
            return plan
        if profile.overseas_qualification:
            plan.notes.append(why("pqip-overseas"))

        target = kb.find_role(profile.target)
        if target is not None and target.id == "pso":
            return self._pso_entry(plan)

        level = self._level(profile)
        if profile.current_role == "pso":
            return self._internal(plan, profile, level)
        return self._pqip_external(plan, profile, level)

    def _pso_entry(self, plan: Plan) -> Plan:
        plan.recommended = self.kb.route("pso-entry")
        plan.reasons += [self._why("pso-entry-quals"), self._why("pso-in-post-qualification")]
        plan.alternatives = [self.kb.route("l3-apprenticeship")]
        return plan

    def _internal(self, plan: Plan, profile: Profile, level: int | None) -> Plan:
        kb, why = self.kb, self._why
        needed = int(kb.value("pqip-internal-route", 6))
        if profile.months_service is None:
            plan.status = "depends"
            plan.depends_on.append("months_service")
            plan.reasons.append(why("pqip-internal-route"))
            return plan
        plan.recommended = kb.route("pqip-internal")
        plan.reasons.append(why("pqip-internal-route"))
        if profile.months_service < needed:
            wait = needed - profile.months_service
            plan.reasons.append(
                Reason(
                    f"You have {profile.months_service} months' service, so you can apply for the "
                    f"internal route in {wait} more month{'s' if wait != 1 else ''}; you could also apply "
                    f"to the external PQiP campaign now.",
                    kb.fact("pqip-internal-route"),
                )
            )
            external = self._pqip_external(Plan("recommend", plan.jurisdiction), profile, level)
            if external.recommended is not None:
                plan.alternatives.append(external.recommended)
        if level is not None and level < kb.value("pqip-min-level", 3):
            plan.notes.append(why("pso-in-post-qualification"))
        return plan

    def _pqip_external(self, plan: Plan, profile: Profile, level: int | None) -> Plan:
        """Reasons go most telling first: the answer shows the first two and cites them all."""
        kb, why = self.kb, self._why
        min_level = kb.value("pqip-min-level", 3)
        if level is not None and level < min_level:
            plan.status = "not_yet"
            plan.recommended = kb.route("pso-entry")
            plan.reasons += [
                why("pqip-min-level"),
                why("pso-entry-quals"),
                why("pso-in-post-qualification"),
            ]
            plan.alternatives = [kb.route("l3-apprenticeship")]
            return plan
        if level is None:
            plan.status = "depends"
            plan.depends_on.append("qualification")
            plan.alternatives = [kb.route(r) for r in ("pqip-15", "pqip-21", "pqip-27")]
            plan.reasons.append(why("pqip-min-level"))
        elif level < 5:
            plan.recommended = kb.route("pqip-27")
            plan.reasons.append(why("pqip-27-rule"))
            plan.notes.append(
                why(
                    "pqip-min-level-5",
                    f"Older guides ask for a Level 5 qualification; "
                    f"since then the minimum has been Level {min_level:g}.",
                )
            )
        else:
            modules = profile.modules
            subject = kb.find_subject(profile.subject)
            if modules is None and subject is not None:
                modules = subject.modules_covered
            if modules is None and subject is not None and subject.id == OTHER_SUBJECT:
                # "a foundation degree in sports science": the 21-month route, said at once, with
                # the one case that would change it rather than a question about the modules
                plan.recommended = kb.route("pqip-21")
                plan.reasons.append(why("pqip-21-rule"))
                plan.notes.append(
                    why(
                        "pqip-15-rule",
                        "If your course did cover at least three of the four knowledge modules, "
                        "the 15-month route applies instead.",
                    )
                )
            elif modules is None:
                plan.status = "depends"
                plan.depends_on.append("subject" if subject is None else "modules")
                plan.reasons += [why("pqip-15-rule"), why("pqip-21-rule")]
                plan.alternatives = [kb.route("pqip-15"), kb.route("pqip-21")]
            elif modules >= kb.value("pqip-15-rule", 3):
                plan.recommended = kb.route("pqip-15")
                if subject is not None and subject.modules_covered and subject.source is not None:
                    covered = (
                        "all four"
                        if subject.modules_covered == 4
                        else f"{subject.modules_covered} of the four"
                    )
                    plan.reasons.append(
                        Reason(
                            f"A {subject.name} degree normally covers {covered} knowledge modules.",
                            self._subject_fact(subject),
                        )
                    )
                plan.reasons.append(why("pqip-15-rule"))
            else:
                plan.recommended = kb.route("pqip-21")
                plan.reasons.append(why("pqip-21-rule"))
        if plan.recommended is not None:
            plan.reasons.insert(1, why("pqip-paid-as-pso"))
        plan.reasons.append(why("pqip-no-pso-first"))
        return self._experience(plan, profile)

    def _subject_fact(self, subject) -> FactView:
        # Subjects carry their own source; present it as a fact so it is cited like the rest.
        template = self.kb.fact("pqip-15-rule")
        return replace(
            template,
            id=f"subject-{subject.id}",
            topic="modules",
            text=f"{subject.name} usually covers the knowledge modules",
            source=subject.source,
            as_of=subject.as_of,
            value=subject.modules_covered,
        )

    def _experience(self, plan: Plan, profile: Profile) -> Plan:
        if profile.experience is False:
            plan.notes.append(
                self._why(
                    "pqip-experience",
                    (
                        "You will also need some paid or voluntary experience of working with people in "
                        "crisis or with challenging behaviour, so gaining that first would strengthen an "
                        "application."
                    ),
                )
            )
        return plan

    # -- Scotland, Northern Ireland ----------------------------------------------------------------
    def _scotland(self, profile: Profile, jurisdiction: str) -> Plan:
        plan = Plan("recommend", jurisdiction, reasons=[self._why("scotland-social-work")])
        if profile.current_role in ("pso", "po", "pqip-trainee") or profile.qualification == "pqip":
            plan.notes.append(self._why("scotland-pqip-not-valid"))
        level = self._level(profile)
        if self._social_work_qualified(profile):
            plan.status = "ready"
            plan.reasons.append(self._why("scotland-sssc-registration"))
            return plan
        if level is None:
            plan.status = "depends"
            plan.depends_on.append("qualification")
            plan.alternatives = [
                self.kb.route("scotland-ba-social-work"),
                self.kb.route("scotland-msc-social-work"),
            ]
            plan.reasons.append(self._why("scotland-routes"))
            return plan
        plan.recommended = self.kb.route(
            "scotland-msc-social-work" if level >= 6 else "scotland-ba-social-work"
        )
        plan.reasons += [self._why("scotland-routes"), self._why("scotland-sssc-registration")]
        return plan

    def _northern_ireland(self, profile: Profile, jurisdiction: str) -> Plan:
        plan = Plan("recommend", jurisdiction, reasons=[self._why("ni-social-work")])
        if self._social_work_qualified(profile):
            plan.status = "ready"
        else:
            plan.recommended = self.kb.route("ni-social-work-route")
            plan.notes.append(self._why("ni-pso"))
        return plan

    # -- the United States ---------------------------------------------------------------------------
    def _united_states(self, profile: Profile, jurisdiction: str) -> Plan:
        kb, why = self.kb, self._why
        federal = jurisdiction == "us-federal" or profile.target == "us-federal-po"
        plan = Plan("recommend", jurisdiction)
        level = self._level(profile)
        if federal:
            max_age = kb.value("us-federal-max-age", 37)
            if profile.age is None:
                plan.status = "depends"
                plan.depends_on.append("age")
                plan.reasons.append(why("us-federal-max-age"))
                plan.alternatives = [kb.route("us-federal-po-route"), kb.route("us-state-po")]
                return plan
            if profile.age >= max_age:
                plan.reasons.append(why("us-federal-max-age"))
                plan.reasons.append(
                    Reason(
                        "State and county probation departments set their own rules, so that is where "
                        "to look instead.",
                        kb.fact("us-education"),
                    )
                )
                plan.recommended = kb.route("us-state-po")
                plan.jurisdiction = "us"
                return self._us_education(plan, level)
            plan.recommended = kb.route("us-federal-po-route")
            plan.reasons += [why("us-federal-max-age"), why("us-federal-grades")]
            return self._us_education(plan, level)
        plan.recommended = kb.route("us-state-po")
        min_age = kb.value("us-min-age", 21)
        if profile.age is not None and profile.age < min_age:
            plan.notes.append(why("us-min-age"))
        return self._us_education(plan, level)

    def _us_education(self, plan: Plan, level: int | None) -> Plan:
        plan.reasons.append(self._why("us-education"))
        if level is None:
            plan.status = "depends"
            plan.depends_on.append("qualification")
        elif level < 6:
            plan.status = "not_yet"
        return plan


def plan(kb: KnowledgeBase, profile: Profile) -> Plan:
    return Planner(kb).plan(profile)
