"""The workspace's tables (SQLAlchemy 2 declarative models).

The event log (:class:`Event`) is the history nobody can rewrite: append-only, each row chained to
the previous one by SHA-256 (see :mod:`delimit.workspace.events`). The other tables hold the current
state that the events produced, so that reads need not replay the log. Sessions and the evaluation
cache are not negotiation history and are not logged.

Every timestamp is UTC, stored as ISO 8601 text (``2026-11-29T20:31:02.123456Z``) so that both back
ends (SQLite, PostgreSQL) store and hash exactly the same characters.
"""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the workspace tables."""


class WorkspaceRow(Base):
    """The single row describing the workspace: baseline scenario, parties, data window."""

    __tablename__ = "workspace"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    base_scenario: Mapped[str] = mapped_column(String(200))
    parties: Mapped[str] = mapped_column(Text)  # JSON list of party ids, sorted
    mediator: Mapped[bool] = mapped_column(Boolean)
    window: Mapped[str] = mapped_column(Text)  # GeoJSON Polygon, WGS84
    settings: Mapped[str] = mapped_column(Text)  # JSON: evaluation sections, limits
    created_at: Mapped[str] = mapped_column(String(40))


class ChainHead(Base):
    """The last event's sequence number and hash (row id 1), locked by every write."""

    __tablename__ = "chain_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class Event(Base):
    """One entry of the append-only log."""

    __tablename__ = "events"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))  # username, or "system"
    team: Mapped[str] = mapped_column(String(32))  # actor's delegation (party id) or "mediator"
    kind: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    visibility: Mapped[str] = mapped_column(String(32))  # "all", or the one team that may see it
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256(payload)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    team: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(Text)
    must_change_password: Mapped[bool] = mapped_column(Boolean)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[str] = mapped_column(String(40))


class SessionRow(Base):
    """A browser session: the cookie's SHA-256 (never the cookie) and its CSRF token."""

    __tablename__ = "sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[str] = mapped_column(String(40))


class ApiToken(Base):
    """A script's bearer token: stored as SHA-256, shown once at creation."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[str] = mapped_column(String(40))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Proposal(Base):
    """A scenario document owned by a team: a private draft until shared, then frozen."""

    __tablename__ = "proposals"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(16))  # draft | shared
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)  # canonical JSON {"scenario": {...}, "geometry": {...}}
    scenario_hash: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[str] = mapped_column(String(40))
    shared_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Comment(Base):
    __tablename__ = "comments"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id"), index=True)
    team: Mapped[str] = mapped_column(String(32))
    author: Mapped[str] = mapped_column(String(64))
    visibility: Mapped[str] = mapped_column(String(32))  # "all" or the author's team
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(40))


class Section(Base):
    """A named section of the line and where it stands on the way to demarcation."""

    __tablename__ = "sections"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    geometry: Mapped[str] = mapped_column(Text)  # canonical GeoJSON LineString/MultiLineString
    geometry_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")  # e.g. why an agreement was withdrawn
    created_at: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[str] = mapped_column(String(40))


class SectionAct(Base):
    """One team's act towards a section's next status (sign-off, initials, signature, ratification...)."""

    __tablename__ = "section_acts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    section_id: Mapped[str] = mapped_column(ForeignKey("sections.id"), index=True)
    step: Mapped[str] = mapped_column(String(32))
    team: Mapped[str] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(64))
    geometry_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(40))


class EvaluationRow(Base):
    """Cached engine results, keyed by the scenario's hash (plus baseline and engine version)."""

    __tablename__ = "evaluations"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # queued | running | done | failed
    progress: Mapped[float] = mapped_column(default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[str] = mapped_column(String(40))
    finished_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class DownloadRow(Base):
    """A built download of a proposal (report, treaty annex, GeoPackage), keyed like evaluations.

    Not negotiation history (it is derived from a proposal's stored document) and not logged.
    """

    __tablename__ = "downloads"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # report | annex | geopackage
    status: Mapped[str] = mapped_column(String(16))  # queued | running | done | failed
    progress: Mapped[float] = mapped_column(default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[str] = mapped_column(String(40))
    finished_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


Index("ix_events_object", Event.object_type, Event.object_id)
