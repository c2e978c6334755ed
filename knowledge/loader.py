"""Reads the curated fact files, refuses anything it cannot trust, and builds the database.

Validation happens entirely in memory before the database is touched, and the build runs in a
single transaction, so a bad file leaves the previous knowledge base exactly as it was.

    python -m knowledge.loader            # validate and build var/knowledge.sqlite
    python -m knowledge.loader --database-url URL   # ... or the SQLAlchemy database URL names
    python -m knowledge.loader --check    # validate only

`make kb` (`python -m bot kb`) builds the database DATABASE_URL names (bot/settings.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml
from sqlalchemy import delete, insert

from knowledge import db, schema
from knowledge.models import (
    TABLES_IN_ORDER,
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
from knowledge.names import KINDS as NAME_KINDS
from knowledge.names import normalise, variants

FACTS_DIR = Path(__file__).resolve().parent / "facts"
# Composed answer units hold no facts of their own (their answers cite the facts they are built
# from), so they live apart from the fact files, in the folder beside them.
QUESTIONS = "questions"
FACT_SECTIONS = (
    "sources",
    "jurisdictions",
    "roles",
    "routes",
    "facts",
    "qualifications",
    "subjects",
)
SECTIONS = FACT_SECTIONS + ("units",)
# libyaml's loader is about ten times faster than the pure-Python one; both are "safe".
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_AS_OF = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}: {self.message}"


class KnowledgeError(Exception):
    """The fact files cannot be loaded; `problems` names each file, entry and reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = [str(p) for p in problems[:50]]
        if len(problems) > 50:
            lines.append(f"... and {len(problems) - 50} more")
        super().__init__(
            f"{len(problems)} problem(s) in the knowledge files:\n  " + "\n  ".join(lines)
        )


@dataclass
class Dataset:
    """Validated rows, keyed by model, ready to insert."""

    rows: dict[type, list[dict]] = field(default_factory=dict)
    fingerprint: str = ""
    files: list[str] = field(default_factory=list)
    # the question bank: every answerable unit and the questions it answers (not in the database:
    # the retrieval component indexes it at training time)
    units: list["UnitSpec"] = field(default_factory=list)

    def count(self, model: type) -> int:
        return len(self.rows.get(model, []))


@dataclass(frozen=True)
class UnitSpec:
    """One answer the bot can give and the questions it answers. `fact` units render one fact;
    `composed` units are built by the advisor for a topic, with the role and place as parameters
    (`{role}` and `{place}` in a question stand for any of them)."""

    id: str
    kind: str  # fact | composed
    questions: tuple[str, ...]
    answer: str | None = None  # composed: the advisor topic
    fact: str | None = None  # fact: the fact id
    params: tuple[str, ...] = ()
    topic: str | None = None
    jurisdiction: str | None = None
    roles: tuple[str, ...] = ()
    title: str | None = None  # how the unit is offered as a suggestion
    file: str = ""


@dataclass
class BuildReport:
    counts: dict[str, int]
    seconds: float
    fingerprint: str


class _Checker:
    """Collects problems while reading one entry, so an editor sees every mistake at once."""

    def __init__(self, problems: list[Problem], file: str, entry: str):
        self.problems, self.file, self.entry = problems, file, entry

    def fail(self, message: str) -> None:
        self.problems.append(Problem(self.file, self.entry, message))

    def text(self, item: dict, key: str, required: bool = True) -> str | None:
        value = item.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(f"'{key}' is missing")
            return None
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.fail(f"'{key}' must be text, not {type(value).__name__}")
            return None
        return " ".join(str(value).split())

    def number(self, item: dict, key: str, required: bool = False, integer: bool = False):
        value = item.get(key)
        if value is None:
            if required:
                self.fail(f"'{key}' is missing")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(f"'{key}' must be a number, not {value!r}")
            return None
        if integer and value != int(value):
            self.fail(f"'{key}' must be a whole number, not {value!r}")
            return None
        if value < 0:
            self.fail(f"'{key}' must not be negative")
            return None
        return int(value) if integer else float(value)

    def choice(self, item: dict, key: str, allowed, default=None) -> str | None:
        value = item.get(key, default)
        if value not in allowed:
            self.fail(f"'{key}' is {value!r}; expected one of {', '.join(sorted(allowed))}")
            return None
        return value

    def flag(self, item: dict, key: str) -> bool:
        value = item.get(key, False)
        if not isinstance(value, bool):
            self.fail(f"'{key}' must be true or false, not {value!r}")
            return False
        return value

    def id_list(self, item: dict, key: str) -> list[str]:
        value = item.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"'{key}' must be a list of ids")
            return []
        return value

    def names(self, item: dict, key: str) -> list[str]:
        value = item.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            self.fail(f"'{key}' must be a list of names")
            return []
        return [str(v) for v in value]

    def questions(self, item: dict, required: bool = False) -> tuple[str, ...]:
        value = item.get("questions")
        if value is None:
            if required:
                self.fail("'questions' is missing: list the questions this answer answers")
            return ()
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(q, str) and q.strip() for q in value)
        ):
            self.fail("'questions' must be a list of questions, each a line of text")
            return ()
        return tuple(" ".join(q.split()) for q in value)

    def provenance(self, item: dict) -> dict:
        source = self.text(item, "source")
        as_of = item.get("as_of")
        if as_of is None:
            self.fail("'as_of' is missing: every fact needs the date it was true")
        else:
            if isinstance(as_of, (dt.date, dt.datetime)):
                as_of = as_of.isoformat()[:10]
            as_of = str(as_of)
            if not _valid_date(as_of):
                self.fail(
                    f"'as_of' is {as_of!r}, which is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"
                )
                as_of = None
        return {"source_id": source, "as_of": as_of}

    def status(self, item: dict) -> dict:
        status = self.choice(item, "status", schema.STATUSES, default="current")
        superseded_by = item.get("superseded_by")
        period = self.text(item, "period", required=False)
        if status == "superseded" and not superseded_by:
            self.fail("a superseded entry must say what replaced it in 'superseded_by'")
        if status == "current" and superseded_by:
            self.fail("a current entry cannot be 'superseded_by' anything; set status: superseded")
        return {"status": status, "superseded_by_id": superseded_by, "period": period}


def _valid_date(text: str) -> bool:
    if not _AS_OF.match(text):
        return False
    parts = [int(p) for p in text.split("-")] + [1, 1]
    try:
        dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        return False
    return 1900 <= parts[0] <= dt.date.today().year + 1


def read_files(
    directory: Path, allowed: tuple[str, ...] = FACT_SECTIONS, digest=None
) -> tuple[list[tuple[str, Any]], list[Problem], str]:
    """Parse every YAML file under `directory`; returns (name, data) pairs, problems, fingerprint.
    A file may hold only the `allowed` sections."""
    problems: list[Problem] = []
    parsed: list[tuple[str, Any]] = []
    digest = digest or hashlib.sha256()
    paths = sorted(p for p in Path(directory).rglob("*") if p.suffix in (".yml", ".yaml"))
    if not paths and allowed == FACT_SECTIONS:
        problems.append(Problem(str(directory), "-", "no fact files (*.yml) found"))
    for path in paths:
        name = _display(path)
        raw = path.read_bytes()
        digest.update(name.encode() + b"\0" + raw)
        try:
            data = yaml.load(raw.decode("utf-8"), Loader=_YAML_LOADER)
        except UnicodeDecodeError as exc:
            problems.append(
                Problem(name, "-", f"not UTF-8 text ({exc.reason} at byte {exc.start})")
            )
            continue
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            line = f"line {where.line + 1}" if where else "-"
            problems.append(Problem(name, line, f"not valid YAML: {getattr(exc, 'problem', exc)}"))
            continue
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(
                Problem(name, "-", "must be a mapping of sections (sources:, roles:, ...)")
            )
            continue
        if "units" in data and "units" not in allowed:
            problems.append(
                Problem(
                    name,
                    "units",
                    "composed answer units hold no facts; put them "
                    f"in the {QUESTIONS}/ folder beside the fact files",
                )
            )
        unknown = set(data) - set(allowed) - {"units"}
        if unknown:
            problems.append(
                Problem(
                    name,
                    "-",
                    f"unknown section(s) {sorted(unknown)}; expected some of {', '.join(allowed)}",
                )
            )
        parsed.append((name, data))
    return parsed, problems, digest.hexdigest()


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class _Validator:
    def __init__(self):
        self.problems: list[Problem] = []
        self.rows: dict[type, list[dict]] = {model: [] for model in TABLES_IN_ORDER}
        self.ids: dict[str, dict[str, str]] = {
            s: {} for s in (*SECTIONS, "pay")
        }  # section -> id -> file
        self.refs: list[tuple[str, str, str, str, str]] = []  # file, entry, field, section, id
        self.aliases: dict[tuple[str, str], tuple[str, str]] = {}  # (kind, form) -> (target, how)
        self.displays: dict[tuple[str, str], str] = {}
        self.position = 0
        self.units: list[UnitSpec] = []

    # -- entry points ------------------------------------------------------------------------
    def run(self, files: list[tuple[str, Any]]) -> None:
        handlers: dict[str, Callable] = {
            "sources": self.source,
            "jurisdictions": self.jurisdiction,
            "roles": self.role,
            "routes": self.route,
            "facts": self.fact,
            "qualifications": self.qualification,
            "subjects": self.subject,
            "units": self.unit,
        }
        for section in SECTIONS:
            for file, data in files:
                entries = data.get(section)
                if entries is None:
                    continue
                if not isinstance(entries, list):
                    self.problems.append(Problem(file, section, "must be a list of entries"))
                    continue
                for index, item in enumerate(entries):
                    label = f"{section}[{index}]"
                    if not isinstance(item, dict):
                        self.problems.append(Problem(file, label, "must be a mapping"))
                        continue
                    entry_id = item.get("id")
                    singular = section[:-1]
                    if isinstance(entry_id, str) and entry_id:
                        label = f"{singular} '{entry_id}'"
                    check = _Checker(self.problems, file, label)
                    if not self.claim(check, section, entry_id, file):
                        continue
                    handlers[section](check, item, entry_id)
        self.resolve_references()

    def claim(self, check: _Checker, section: str, entry_id: Any, file: str) -> bool:
        if not isinstance(entry_id, str) or not _SLUG.match(entry_id):
            check.fail(f"'id' must be a lower-case slug like 'pqip-15', not {entry_id!r}")
            return False
        if entry_id in self.ids[section]:
            check.fail(f"duplicate id: already defined in {self.ids[section][entry_id]}")
            return False
        self.ids[section][entry_id] = file
        return True

    def ref(self, check: _Checker, field_name: str, section: str, target: str | None) -> None:
        if target is not None:
            self.refs.append((check.file, check.entry, field_name, section, target))

    def sourced(self, check: _Checker, item: dict) -> dict:
        """An entry's source and date, with the source checked to exist once all files are read."""
        prov = check.provenance(item)
        self.ref(check, "source", "sources", prov["source_id"])
        return prov

    def alias(
        self, check: _Checker, kind: str, target: str, names: list[str], display: str
    ) -> None:
        """Register every spelling of a name. A name written in a file always wins over a
        generated plural or singular; two entries claiming the same written name is an error."""
        for name in names:
            exact = normalise(name)
            for form in variants(name, short_plural=kind == "role"):
                owner = self.aliases.get((kind, form))
                if owner is None or (form == exact and owner[1] == "variant"):
                    self.aliases[(kind, form)] = (target, "exact" if form == exact else "variant")
                elif form == exact and owner[0] != target:
                    check.fail(f"the name {name!r} is already used by {kind} '{owner[0]}'")
        self.displays.setdefault((kind, target), display)

    # -- sections ----------------------------------------------------------------------------
    def source(self, check: _Checker, item: dict, sid: str) -> None:
        url = check.text(item, "url")
        if url and not re.match(r"^https?://\S+$", url):
            check.fail(f"'url' must be a web address, not {url!r}")
        year = check.number(item, "year", required=True, integer=True)
        if year is not None and not 1900 <= year <= dt.date.today().year + 1:
            check.fail(f"'year' {year} is not a plausible year")
        self.rows[Source].append(
            {
                "id": sid,
                "publisher": check.text(item, "publisher"),
                "title": check.text(item, "title"),
                "url": url,
                "year": year,
                "approximate": check.flag(item, "approximate"),
                "reliability": check.choice(item, "reliability", schema.RELIABILITY),
            }
        )

    def jurisdiction(self, check: _Checker, item: dict, jid: str) -> None:
        name = check.text(item, "name")
        part_of = item.get("part_of")
        self.ref(check, "part_of", "jurisdictions", part_of)
        self.rows[Jurisdiction].append({"id": jid, "name": name, "part_of_id": part_of})
        self.alias(
            check, "jurisdiction", jid, [name or jid, *check.names(item, "aliases")], name or jid
        )

    def role(self, check: _Checker, item: dict, rid: str) -> None:
        name = check.text(item, "name")
        abbreviation = check.text(item, "abbreviation", required=False)
        jurisdiction = check.text(item, "jurisdiction")
        self.ref(check, "jurisdiction", "jurisdictions", jurisdiction)
        self.rows[Role].append(
            {
                "id": rid,
                "name": name,
                "abbreviation": abbreviation,
                "jurisdiction_id": jurisdiction,
                "kind": check.choice(item, "kind", schema.ROLE_KINDS, default="probation"),
            }
        )
        names = [
            name or rid,
            *([abbreviation] if abbreviation else []),
            *check.names(item, "aliases"),
        ]
        self.alias(check, "role", rid, names, name or rid)
        for kind in ("progression", "related"):
            for position, target in enumerate(check.id_list(item, kind)):
                self.ref(check, kind, "roles", target)
                self.rows[RoleLink].append(
                    {"role_id": rid, "target_id": target, "kind": kind, "position": position}
                )
        for field_name in schema.ROLE_FACT_FIELDS:
            value = item.get(field_name)
            if value is None:
                continue
            entries = value if isinstance(value, list) else [value]
            topic = schema.ROLE_FIELD_TOPIC.get(field_name, field_name)
            for index, entry in enumerate(entries):
                sub = _Checker(self.problems, check.file, f"{check.entry} {field_name}")
                if not isinstance(entry, dict):
                    sub.fail("must be a mapping with text (or value), source and as_of")
                    continue
                if field_name == "band":
                    if entry.get("value") is None:
                        sub.fail("'value' is missing: give the band as a number")
                    entry = {**entry, "text": entry.get("text") or f"Band {entry.get('value')}"}
                fid = entry.get("id") or f"{rid}-{field_name}" + (f"-{index + 1}" if index else "")
                fact = {
                    **entry,
                    "id": fid,
                    "topic": topic,
                    "jurisdiction": jurisdiction,
                    "roles": [rid, *[r for r in entry.get("roles", []) if r != rid]],
                }
                if self.claim(sub, "facts", fid, check.file):
                    self.fact(sub, fact, fid)
        pay = item.get("pay") or []
        if not isinstance(pay, list):
            check.fail("'pay' must be a list")
            pay = []
        for index, rate in enumerate(pay):
            sub = _Checker(self.problems, check.file, f"{check.entry} pay[{index}]")
            if not isinstance(rate, dict):
                sub.fail("must be a mapping")
                continue
            pid = rate.get("id") or f"{rid}-pay-{index + 1}"
            if isinstance(rate.get("id"), str):
                sub.entry = f"{check.entry} pay '{pid}'"
            if self.claim(sub, "pay", pid, check.file):
                self.pay(sub, rate, pid, rid)

    def pay(self, check: _Checker, rate: dict, pid: str, rid: str) -> None:
        low = check.number(rate, "min", required=True)
        high = check.number(rate, "max")
        if low is not None and high is not None and high < low:
            check.fail(f"'max' ({high:g}) is below 'min' ({low:g})")
        applies_to = rate.get("applies_to")
        if applies_to is None:
            check.fail("'applies_to' is missing: say which year the figure is for")
        status = check.status(rate)
        self.ref(check, "superseded_by", "pay", status["superseded_by_id"])
        prov = self.sourced(check, rate)
        self.position += 1
        self.rows[PayRate].append(
            {
                "id": pid,
                "role_id": rid,
                "label": check.choice(rate, "label", schema.PAY_LABELS),
                "min": low,
                "max": high,
                "currency": check.choice(rate, "currency", set(schema.CURRENCIES)),
                "period": check.choice(rate, "period", schema.PAY_PERIODS, default="year"),
                "london_allowance": check.number(rate, "london_allowance"),
                "applies_to": None if applies_to is None else str(applies_to),
                "note": check.text(rate, "note", required=False),
                "status": status["status"],
                "superseded_by_id": status["superseded_by_id"],
                "position": self.position,
                **prov,
            }
        )

    def route(self, check: _Checker, item: dict, rid: str) -> None:
        jurisdiction = check.text(item, "jurisdiction")
        self.ref(check, "jurisdiction", "jurisdictions", jurisdiction)
        leads_to = check.text(item, "leads_to")
        self.ref(check, "leads_to", "roles", leads_to)
        employed_as = item.get("employed_as")
        self.ref(check, "employed_as", "roles", employed_as)
        length = check.number(item, "length_months", integer=True)
        longest = check.number(item, "length_max_months", integer=True)
        if length is not None and longest is not None and longest < length:
            check.fail("'length_max_months' is below 'length_months'")
        status = check.status(item)
        self.ref(check, "superseded_by", "routes", status["superseded_by_id"])
        self.rows[Route].append(
            {
                "id": rid,
                "name": check.text(item, "name"),
                "jurisdiction_id": jurisdiction,
                "leads_to_id": leads_to,
                "employed_as_id": employed_as,
                "length_months": length,
                "length_max_months": longest,
                **status,
            }
        )
        summary = item.get("summary")
        if summary is None:
            check.fail("'summary' is missing: say what the route is, with its source")
        elif not isinstance(summary, dict):
            check.fail("'summary' must be a mapping with text, source and as_of")
        else:
            fid = f"route-{rid}"  # queries.ROUTE_SUMMARY_PREFIX
            sub = _Checker(self.problems, check.file, f"{check.entry} summary")
            if self.claim(sub, "facts", fid, check.file):
                self.fact(
                    sub,
                    {
                        **summary,
                        "topic": "overview",
                        "jurisdiction": jurisdiction,
                        "routes": [rid],
                        "status": item.get("status", "current"),
                        "superseded_by": None,
                        "period": item.get("period"),
                    },
                    fid,
                    allow_current_without_replacement=True,
                )

    def fact(
        self, check: _Checker, item: dict, fid: str, allow_current_without_replacement: bool = False
    ) -> None:
        topic = check.choice(item, "topic", schema.TOPICS)
        jurisdiction = item.get("jurisdiction")
        self.ref(check, "jurisdiction", "jurisdictions", jurisdiction)
        if allow_current_without_replacement:
            status = {
                "status": check.choice(item, "status", schema.STATUSES, default="current"),
                "superseded_by_id": None,
                "period": check.text(item, "period", required=False),
            }
        else:
            status = check.status(item)
            self.ref(check, "superseded_by", "facts", status["superseded_by_id"])
        prov = self.sourced(check, item)
        self.position += 1
        self.rows[Fact].append(
            {
                "id": fid,
                "topic": topic,
                "jurisdiction_id": jurisdiction,
                "text": check.text(item, "text"),
                "value": check.number(item, "value"),
                "position": self.position,
                **status,
                **prov,
            }
        )
        for role in check.id_list(item, "roles"):
            self.ref(check, "roles", "roles", role)
            self.rows[FactRole].append({"fact_id": fid, "role_id": role})
        for route in check.id_list(item, "routes"):
            self.ref(check, "routes", "routes", route)
            self.rows[FactRoute].append({"fact_id": fid, "route_id": route})
        questions = check.questions(item)
        if questions:
            if status["status"] == "superseded":
                check.fail(
                    "a superseded fact cannot answer questions: put them on the fact that "
                    "replaced it, which mentions the older guidance"
                )
            self.units.append(
                UnitSpec(
                    id=fid,
                    kind="fact",
                    questions=questions,
                    fact=fid,
                    topic=topic,
                    jurisdiction=jurisdiction,
                    roles=tuple(check.id_list(item, "roles")),
                    title=check.text(item, "title", required=False) or questions[0],
                    file=check.file,
                )
            )

    def qualification(self, check: _Checker, item: dict, qid: str) -> None:
        name = check.text(item, "name")
        level = check.number(item, "level", required=True, integer=True)
        if level is not None and not 1 <= level <= 8:
            check.fail(f"'level' must be between 1 and 8, not {level}")
        prov = self.sourced(check, item)
        self.rows[Qualification].append(
            {
                "id": qid,
                "name": name,
                "level": level,
                "social_work": check.flag(item, "social_work"),
                **prov,
            }
        )
        self.alias(
            check, "qualification", qid, [name or qid, *check.names(item, "aliases")], name or qid
        )

    def subject(self, check: _Checker, item: dict, sid: str) -> None:
        name = check.text(item, "name")
        modules = check.number(item, "modules_covered", integer=True)
        if modules is not None and modules > 4:
            check.fail("'modules_covered' counts PQiP's four knowledge modules, so at most 4")
        prov = self.sourced(check, item)
        self.rows[Subject].append(
            {
                "id": sid,
                "name": name,
                "modules_covered": modules,
                "social_work": check.flag(item, "social_work"),
                **prov,
            }
        )
        self.alias(check, "subject", sid, [name or sid, *check.names(item, "aliases")], name or sid)

    def unit(self, check: _Checker, item: dict, uid: str) -> None:
        answer = check.choice(item, "answer", schema.COMPOSED_ANSWERS)
        params = tuple(check.id_list(item, "params"))
        for param in params:
            if param not in schema.UNIT_PARAMS:
                check.fail(
                    f"'params' names {param!r}; expected some of {', '.join(schema.UNIT_PARAMS)}"
                )
        questions = check.questions(item, required=True)
        for question in questions:
            for name in re.findall(r"{(\w+)}", question):
                if name not in params:
                    check.fail(
                        f"the question {question!r} uses {{{name}}}, which is not in 'params'"
                    )
        jurisdiction = item.get("jurisdiction")
        self.ref(check, "jurisdiction", "jurisdictions", jurisdiction)
        if answer and questions:
            self.units.append(
                UnitSpec(
                    id=uid,
                    kind="composed",
                    questions=questions,
                    answer=answer,
                    params=params,
                    topic=answer,
                    jurisdiction=jurisdiction,
                    title=check.text(item, "title", required=False),
                    file=check.file,
                )
            )

    def check_bank(self) -> None:
        """A question belongs to one unit: two units claiming it would make the answer a coin
        toss. Placeholders are compared as written, so "{role} pay" is one question."""
        owner: dict[str, UnitSpec] = {}
        ids: dict[str, UnitSpec] = {}
        for unit in self.units:
            other = ids.setdefault(unit.id, unit)
            if other is not unit:
                self.problems.append(
                    Problem(
                        unit.file,
                        f"unit '{unit.id}'",
                        f"a fact with questions in {other.file} has the same id; "
                        f"rename one, so each answer has its own id",
                    )
                )
        for unit in self.units:
            for question in unit.questions:
                key = normalise(question.replace("{", " ").replace("}", " "))
                other = owner.setdefault(key, unit)
                if other is not unit and other.id != unit.id:
                    self.problems.append(
                        Problem(
                            unit.file,
                            f"unit '{unit.id}'",
                            f"the question {question!r} is already answered "
                            f"by '{other.id}' ({other.file})",
                        )
                    )

    # -- cross-references --------------------------------------------------------------------
    def resolve_references(self) -> None:
        singular = {
            "sources": "source",
            "jurisdictions": "jurisdiction",
            "roles": "role",
            "routes": "route",
            "facts": "fact",
            "pay": "pay entry",
            "units": "unit",
        }
        for file, entry, field_name, section, target in self.refs:
            if not isinstance(target, str) or target not in self.ids.get(section, {}):
                self.problems.append(
                    Problem(
                        file,
                        entry,
                        f"'{field_name}' names an unknown {singular[section]}: {target!r}",
                    )
                )
        for (kind, form), (target, _) in sorted(self.aliases.items()):
            self.rows[Alias].append(
                {
                    "kind": kind,
                    "alias": form,
                    "target_id": target,
                    "display": self.displays.get((kind, target), target),
                }
            )


def required_ids() -> dict[str, tuple[str, ...]]:
    """Ids the code cites by name: the planner's facts and routes."""
    return {"facts": schema.PLANNER_FACTS, "routes": schema.PLANNER_ROUTES}


def validate(
    directory: Path | str = FACTS_DIR, required: dict[str, tuple[str, ...]] | None = None
) -> Dataset:
    """Read and check every fact file, and the composed answer units in the `questions/` folder
    beside them; raise KnowledgeError naming each problem. `required` (by default the ids the
    planner cites) must all be present."""
    digest = hashlib.sha256()
    files, problems, _ = read_files(Path(directory), digest=digest)
    questions = Path(directory).parent / QUESTIONS
    if questions.is_dir():
        more, more_problems, _ = read_files(questions, ("units",), digest=digest)
        files, problems = files + more, problems + more_problems
    fingerprint = digest.hexdigest()
    validator = _Validator()
    validator.run(files)
    validator.check_bank()
    problems.extend(validator.problems)
    for section, ids in (required_ids() if required is None else required).items():
        for missing in sorted(set(ids) - set(validator.ids[section])):
            problems.append(
                Problem(
                    _display(Path(directory)),
                    f"{section[:-1]} '{missing}'",
                    "is cited by the route planner but no file defines it",
                )
            )
    if problems:
        raise KnowledgeError(problems)
    return Dataset(
        rows=validator.rows,
        fingerprint=fingerprint,
        files=[f for f, _ in files],
        units=validator.units,
    )


def build(engine, dataset: Dataset) -> BuildReport:
    """Replace the database's knowledge with `dataset` in one transaction."""
    started = time.perf_counter()
    with engine.begin() as conn:
        db.create_schema(conn)
        for model in reversed(TABLES_IN_ORDER):
            conn.execute(delete(model.__table__))
        rows = dict(dataset.rows)
        rows[Meta] = [
            {"key": "fingerprint", "value": dataset.fingerprint},
            {"key": "built_at", "value": dt.datetime.now(dt.timezone.utc).isoformat()},
        ]
        for model in TABLES_IN_ORDER:
            if rows.get(model):
                conn.execute(insert(model.__table__), rows[model])
    counts = {
        model.__tablename__.removeprefix("kb_"): len(rows.get(model, []))
        for model in TABLES_IN_ORDER
        if model is not Meta
    }
    return BuildReport(
        counts=counts, seconds=time.perf_counter() - started, fingerprint=dataset.fingerprint
    )


def load(
    database_url: str | None = None,
    directory: Path | str = FACTS_DIR,
    required: dict[str, tuple[str, ...]] | None = None,
) -> BuildReport:
    """Validate the fact files and rebuild the knowledge base from them."""
    started = time.perf_counter()
    dataset = validate(directory, required)
    report = build(db.engine_for(database_url), dataset)
    report.seconds = time.perf_counter() - started
    return report


def knowledge_names(facts_dir: Path | None = None) -> list[dict[str, str]]:
    """One EntityRuler pattern per normalised name in the fact files: what the entity extractor
    is trained on, so a new name retrains it and a changed salary does not."""
    dataset = validate(facts_dir or FACTS_DIR, required={})  # names only
    return sorted(
        (
            {"label": row["kind"], "pattern": row["alias"], "id": row["target_id"]}
            for row in dataset.rows[Alias]
            if row["kind"] in NAME_KINDS
        ),
        key=lambda p: (p["label"], p["pattern"]),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m knowledge.loader",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--check", action="store_true", help="validate only; do not build")
    parser.add_argument("--database-url", help="defaults to the SQLite file var/knowledge.sqlite")
    parser.add_argument("--facts", default=str(FACTS_DIR), help="the directory of fact files")
    args = parser.parse_args(argv)
    try:
        if args.check:
            started = time.perf_counter()
            dataset = validate(args.facts)
            print(
                f"ok: {len(dataset.files)} files, {dataset.count(Fact)} facts, "
                f"{dataset.count(Role)} roles, {dataset.count(Route)} routes, "
                f"{dataset.count(Source)} sources ({time.perf_counter() - started:.2f} s)"
            )
            return 0
        report = load(args.database_url, args.facts)
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return 1
    counts = ", ".join(f"{n} {name}" for name, n in report.counts.items())
    print(
        f"knowledge base built in {report.seconds:.2f} s at {db.describe(args.database_url)}: {counts}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
