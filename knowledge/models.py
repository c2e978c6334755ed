"""The knowledge base's tables. The YAML files are the record; these tables are what the loader
builds from them and what the queries read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Column, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import declarative_base

# SQLAlchemy 1.4 has no type hints (pyproject.toml, [tool.mypy]), so the base is typed as Any.
Base: Any = declarative_base()


class Meta(Base):
    """Key/value facts about the build itself (its fingerprint, when it was loaded)."""

    __tablename__ = "kb_meta"
    key = Column(String(64), primary_key=True)
    value = Column(Text, nullable=False)


class Source(Base):
    __tablename__ = "kb_source"
    id = Column(String(80), primary_key=True)
    publisher = Column(Text, nullable=False)
    title = Column(Text, nullable=False)
    url = Column(Text, nullable=False)
    year = Column(Integer, nullable=False)
    approximate = Column(Boolean, nullable=False, default=False)
    reliability = Column(String(16), nullable=False)


class Jurisdiction(Base):
    __tablename__ = "kb_jurisdiction"
    id = Column(String(80), primary_key=True)
    name = Column(Text, nullable=False)
    part_of_id = Column(
        String(80)
    )  # checked by the loader; no self-FK, so rows insert in any order


class Alias(Base):
    """A name people use for a role, jurisdiction, qualification or subject, normalised."""

    __tablename__ = "kb_alias"
    __table_args__ = (UniqueConstraint("kind", "alias"),)
    id = Column(Integer, primary_key=True, autoincrement=True)
    kind = Column(String(16), nullable=False)
    alias = Column(String(200), nullable=False)
    target_id = Column(String(80), nullable=False)
    display = Column(Text, nullable=False)


class Role(Base):
    __tablename__ = "kb_role"
    id = Column(String(80), primary_key=True)
    name = Column(Text, nullable=False)
    abbreviation = Column(String(32))
    jurisdiction_id = Column(String(80), ForeignKey("kb_jurisdiction.id"), nullable=False)
    kind = Column(String(16), nullable=False)


class RoleLink(Base):
    """A role's next steps ("progression") and neighbouring careers ("related"), in order."""

    __tablename__ = "kb_role_link"
    role_id = Column(String(80), ForeignKey("kb_role.id"), primary_key=True)
    target_id = Column(String(80), ForeignKey("kb_role.id"), primary_key=True)
    kind = Column(String(16), primary_key=True)
    position = Column(Integer, nullable=False)


class PayRate(Base):
    __tablename__ = "kb_pay"
    id = Column(String(80), primary_key=True)
    role_id = Column(String(80), ForeignKey("kb_role.id"), nullable=False)
    label = Column(String(16), nullable=False)
    min = Column(Float, nullable=False)
    max = Column(Float)
    currency = Column(String(3), nullable=False)
    period = Column(String(8), nullable=False)
    london_allowance = Column(Float)
    applies_to = Column(String(32), nullable=False)
    note = Column(Text)
    source_id = Column(String(80), ForeignKey("kb_source.id"), nullable=False)
    as_of = Column(String(10), nullable=False)
    status = Column(String(16), nullable=False)
    superseded_by_id = Column(String(80))
    position = Column(Integer, nullable=False)


class Route(Base):
    __tablename__ = "kb_route"
    id = Column(String(80), primary_key=True)
    name = Column(Text, nullable=False)
    jurisdiction_id = Column(String(80), ForeignKey("kb_jurisdiction.id"), nullable=False)
    leads_to_id = Column(String(80), ForeignKey("kb_role.id"), nullable=False)
    employed_as_id = Column(String(80), ForeignKey("kb_role.id"))
    length_months = Column(Integer)
    length_max_months = Column(Integer)
    status = Column(String(16), nullable=False)
    superseded_by_id = Column(String(80))
    period = Column(String(32))


class Fact(Base):
    __tablename__ = "kb_fact"
    id = Column(String(80), primary_key=True)
    topic = Column(String(32), nullable=False, index=True)
    jurisdiction_id = Column(String(80), ForeignKey("kb_jurisdiction.id"))
    text = Column(Text, nullable=False)
    value = Column(Float)
    source_id = Column(String(80), ForeignKey("kb_source.id"), nullable=False)
    as_of = Column(String(10), nullable=False)
    status = Column(String(16), nullable=False)
    superseded_by_id = Column(String(80))
    period = Column(String(32))
    position = Column(Integer, nullable=False)


class FactRole(Base):
    __tablename__ = "kb_fact_role"
    fact_id = Column(String(80), ForeignKey("kb_fact.id"), primary_key=True)
    role_id = Column(String(80), ForeignKey("kb_role.id"), primary_key=True)


class FactRoute(Base):
    __tablename__ = "kb_fact_route"
    fact_id = Column(String(80), ForeignKey("kb_fact.id"), primary_key=True)
    route_id = Column(String(80), ForeignKey("kb_route.id"), primary_key=True)


class Qualification(Base):
    __tablename__ = "kb_qualification"
    id = Column(String(80), primary_key=True)
    name = Column(Text, nullable=False)
    level = Column(Integer, nullable=False)
    social_work = Column(Boolean, nullable=False, default=False)
    source_id = Column(String(80), ForeignKey("kb_source.id"), nullable=False)
    as_of = Column(String(10), nullable=False)


class Subject(Base):
    __tablename__ = "kb_subject"
    id = Column(String(80), primary_key=True)
    name = Column(Text, nullable=False)
    modules_covered = Column(Integer)
    social_work = Column(Boolean, nullable=False, default=False)
    source_id = Column(String(80), ForeignKey("kb_source.id"), nullable=False)
    as_of = Column(String(10), nullable=False)


# Insert order respects the foreign keys; deletes run in reverse.
TABLES_IN_ORDER: list[Any] = [
    Meta,
    Source,
    Jurisdiction,
    Alias,
    Role,
    RoleLink,
    PayRate,
    Route,
    Fact,
    FactRole,
    FactRoute,
    Qualification,
    Subject,
]
