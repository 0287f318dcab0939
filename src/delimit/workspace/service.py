"""What the workspace does, independent of HTTP: each write is one transaction and one event.

Visibility is decided here, once: a team (a delegation, or the mediator) sees its own proposals and
everybody's shared ones, the comments addressed to it or to all, and the events of both. Objects a
team may not see are reported exactly like missing ones (:class:`NotFound`), and counts are taken
after the filter, so nothing of another team's private work shows through.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, cast

import numpy as np
import shapely
from sqlalchemy import CursorResult, bindparam, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from delimit.errors import InputError
from delimit.workspace import auth
from delimit.workspace.auth import MEDIATOR, WRITERS, Role
from delimit.workspace.db import Store
from delimit.workspace.documents import section_geometry, validate_draft
from delimit.workspace.events import append_event, utc_now, verify_store
from delimit.workspace.models import (
    Account,
    ApiToken,
    Comment,
    Event,
    Proposal,
    Section,
    SectionAct,
    SessionRow,
    WorkspaceRow,
)
from delimit.workspace.sections import GEOMETRY_MUTABLE, STEPS, next_step, step_complete

#: The fields of a proposal in lists and views (its document only in a single proposal's view).
PROPOSAL_FIELDS = (
    "id",
    "team",
    "name",
    "title",
    "state",
    "version",
    "scenario_hash",
    "parent_id",
    "created_by",
    "created_at",
    "updated_at",
    "shared_at",
)

#: The columns of an event shown in the history (no sequence number: it would count others' events).
HISTORY_FIELDS = ("hash", "at", "actor", "team", "kind", "object_type", "object_id", "content_hash", "payload")

#: How long a browser session lasts without logging in again.
SESSION_HOURS = 12


class NotFound(Exception):
    """No such object, or one the caller may not see (the same answer for both)."""


class Forbidden(Exception):
    """The caller's role may not do this."""


class Conflict(Exception):
    """A stale or impossible write; carries the object's current version."""

    def __init__(self, message: str, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version


@dataclass(frozen=True)
class Actor:
    """Who is asking: an account, its team (party id or 'mediator') and role."""

    id: str
    username: str
    team: str
    role: Role
    must_change_password: bool


@dataclass(frozen=True)
class WorkspaceInfo:
    base_scenario: str
    parties: list[str]
    mediator: bool
    window_geojson: dict[str, Any]
    settings: dict[str, Any]

    @cached_property
    def window(self) -> shapely.Geometry:
        return shapely.from_geojson(json.dumps(self.window_geojson))


def _actor(a: Account) -> Actor:
    return Actor(a.id, a.username, a.team, Role(a.role), a.must_change_password)


def _need(actor: Actor, roles: frozenset[Role] | set[Role], what: str) -> None:
    if actor.role not in roles:
        raise Forbidden(f"a {actor.role.value} may not {what}")


def _check_version(current: int, based_on: int) -> None:
    if current != based_on:
        raise Conflict(f"stale write: based on version {based_on}, the current version is {current}", current)


#: The account columns an actor is made of (read as plain columns: no ORM objects per request).
_ACTOR_COLUMNS = (
    Account.id,
    Account.username,
    Account.team,
    Account.role,
    Account.must_change_password,
    Account.disabled,
)

# The statements every request runs, built once (building a statement costs more CPU than SQLite
# takes to answer it); the values are bound parameters.
_SESSION_ACTOR = (
    select(*_ACTOR_COLUMNS, SessionRow.expires_at, SessionRow.csrf_token)
    .select_from(SessionRow)
    .join(Account, Account.id == SessionRow.account_id)
    .where(SessionRow.token_hash == bindparam("h"))
)
_TOKEN_ACTOR = (
    select(*_ACTOR_COLUMNS)
    .select_from(ApiToken)
    .join(Account, Account.id == ApiToken.account_id)
    .where(ApiToken.token_hash == bindparam("h"), ApiToken.revoked.is_(False))
)
#: A proposal the team may see: its own, or a shared one.
_VISIBLE_TO_TEAM = or_(Proposal.team == bindparam("team"), Proposal.state == "shared")
_PROPOSAL_LIST = select(*(getattr(Proposal, k) for k in PROPOSAL_FIELDS))
_PROPOSAL_LIST_VISIBLE = _PROPOSAL_LIST.where(_VISIBLE_TO_TEAM).order_by(Proposal.created_at, Proposal.id)
_PROPOSAL_ONE = select(*(getattr(Proposal, k) for k in PROPOSAL_FIELDS), Proposal.document).where(
    Proposal.id == bindparam("pid"), _VISIBLE_TO_TEAM
)
_HISTORY_VISIBLE = Event.visibility.in_((bindparam("everyone"), bindparam("team")))
_HISTORY = (
    select(*(getattr(Event, k) for k in HISTORY_FIELDS))
    .where(_HISTORY_VISIBLE)
    .order_by(Event.seq.desc())
    .limit(bindparam("limit"))
)
_HISTORY_REF = select(Event.seq).where(Event.hash == bindparam("before"), _HISTORY_VISIBLE)
_HISTORY_BEFORE = (
    select(*(getattr(Event, k) for k in HISTORY_FIELDS))
    .where(_HISTORY_VISIBLE, Event.seq < bindparam("ref"))
    .order_by(Event.seq.desc())
    .limit(bindparam("limit"))
)
_SECTIONS = select(*Section.__table__.c).order_by(Section.name)
_SECTION_ACTS = select(*SectionAct.__table__.c).order_by(SectionAct.id)


class Workspace:
    """The workspace behind one database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        with store.read() as s:
            w = s.execute(select(WorkspaceRow)).scalar_one()
            self.info = WorkspaceInfo(
                w.base_scenario, json.loads(w.parties), w.mediator, json.loads(w.window), json.loads(w.settings)
            )

    def _event(
        self, s: Session, actor: Actor, kind: str, otype: str, oid: str, visibility: str, payload: dict[str, Any]
    ) -> Event:
        return append_event(
            s,
            actor=actor.username,
            team=actor.team,
            kind=kind,
            object_type=otype,
            object_id=oid,
            visibility=visibility,
            payload=payload,
        )

    # -- authentication ---------------------------------------------------------------------------

    def login(self, username: str, password: str) -> tuple[str, str, Actor] | None:
        """A new session (cookie secret, CSRF token, actor) for good credentials, else None."""
        with self.store.read() as s:
            acc = s.execute(select(Account).where(Account.username == username)).scalar_one_or_none()
        if acc is None or acc.disabled:
            auth.check_unknown_user(password)  # as slow as a real check: no oracle for which names exist
            return None
        if not auth.check_password(acc.password_hash, password):
            return None
        secret, csrf = auth.new_secret(), auth.new_secret()
        now = datetime.now(UTC)
        with self.store.write() as s:
            s.add(
                SessionRow(
                    token_hash=auth.secret_hash(secret),
                    account_id=acc.id,
                    csrf_token=csrf,
                    created_at=utc_now(),
                    expires_at=(now + timedelta(hours=SESSION_HOURS)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                )
            )
        return secret, csrf, _actor(acc)

    def session_actor(self, secret: str) -> tuple[Actor, str] | None:
        """The actor and CSRF token of a live session cookie (one keyed lookup of the cookie's SHA-256).

        Looked up on every request, never cached: a log-out, a disabled account or a changed role holds
        from the next request on, whichever process made the change.
        """
        with self.store.query() as c:
            row = c.execute(_SESSION_ACTOR, {"h": auth.secret_hash(secret)}).first()
        if row is None or row.disabled or row.expires_at < utc_now():
            return None
        return Actor(row.id, row.username, row.team, Role(row.role), row.must_change_password), row.csrf_token

    def token_actor(self, secret: str) -> Actor | None:
        """The actor of a live API token (one keyed lookup of the token's SHA-256, never cached)."""
        with self.store.query() as c:
            row = c.execute(_TOKEN_ACTOR, {"h": auth.secret_hash(secret)}).first()
        if row is None or row.disabled:
            return None
        return Actor(row.id, row.username, row.team, Role(row.role), row.must_change_password)

    def logout(self, secret: str) -> None:
        with self.store.write() as s:
            s.execute(delete(SessionRow).where(SessionRow.token_hash == auth.secret_hash(secret)))

    def change_password(self, actor: Actor, old: str, new: str) -> None:
        if len(new) < auth.MIN_PASSWORD_LENGTH:
            raise InputError(None, f"at least {auth.MIN_PASSWORD_LENGTH} characters", field="new_password")
        if new == old:
            raise InputError(None, "the new password must differ from the old one", field="new_password")
        with self.store.write() as s:
            acc = s.get(Account, actor.id)
            if acc is None or not auth.check_password(acc.password_hash, old):
                raise Forbidden("the current password is wrong")
            acc.password_hash, acc.must_change_password = auth.hash_password(new), False
            self._event(s, actor, "account.password_changed", "account", acc.id, actor.team, {"username": acc.username})

    # -- accounts and tokens ----------------------------------------------------------------------

    def list_accounts(self, actor: Actor) -> list[dict[str, Any]]:
        with self.store.read() as s:
            rows = (
                s.execute(select(Account).where(Account.team == actor.team).order_by(Account.username)).scalars().all()
            )
        return [
            {
                "username": a.username,
                "display_name": a.display_name,
                "team": a.team,
                "role": a.role,
                "disabled": a.disabled,
            }
            for a in rows
        ]

    def create_account(self, actor: Actor, username: str, role: Role, display_name: str) -> str:
        """A new account in the actor's team; returns its one-time password."""
        _need(actor, {Role.head, Role.mediator}, "create accounts")
        allowed = (
            {Role.mediator, Role.observer} if actor.team == MEDIATOR else {Role.head, Role.delegate, Role.observer}
        )
        if role not in allowed:
            raise InputError(
                None,
                f"a {actor.team} account cannot have role {role.value!r} (allowed: {', '.join(sorted(r.value for r in allowed))})",
                field="role",
            )
        password = auth.new_password()
        try:
            with self.store.write() as s:
                acc = Account(
                    id=auth.new_id(),
                    username=username,
                    display_name=display_name or username,
                    team=actor.team,
                    role=role.value,
                    password_hash=auth.hash_password(password),
                    must_change_password=True,
                    disabled=False,
                    created_at=utc_now(),
                )
                s.add(acc)
                s.flush()
                self._event(
                    s,
                    actor,
                    "account.created",
                    "account",
                    acc.id,
                    actor.team,
                    {"username": username, "team": actor.team, "role": role.value},
                )
        except IntegrityError:
            raise Conflict(f"user name {username!r} is taken") from None
        return password

    def create_token(self, actor: Actor, name: str) -> tuple[str, str]:
        """A new API token for the actor (id, secret shown once)."""
        secret, tid = auth.new_secret(), auth.new_id()
        with self.store.write() as s:
            s.add(
                ApiToken(
                    id=tid,
                    account_id=actor.id,
                    name=name,
                    token_hash=auth.secret_hash(secret),
                    created_at=utc_now(),
                    revoked=False,
                )
            )
            self._event(s, actor, "token.created", "token", tid, actor.team, {"name": name, "account": actor.username})
        return tid, secret

    def list_tokens(self, actor: Actor) -> list[dict[str, Any]]:
        with self.store.read() as s:
            rows = (
                s.execute(select(ApiToken).where(ApiToken.account_id == actor.id).order_by(ApiToken.created_at))
                .scalars()
                .all()
            )
        return [{"id": t.id, "name": t.name, "created_at": t.created_at, "revoked": t.revoked} for t in rows]

    def revoke_token(self, actor: Actor, token_id: str) -> None:
        with self.store.write() as s:
            t = s.get(ApiToken, token_id)
            if t is None or t.account_id != actor.id:
                raise NotFound("no such token")
            if t.revoked:
                raise Conflict("already revoked")
            t.revoked = True
            self._event(
                s, actor, "token.revoked", "token", t.id, actor.team, {"name": t.name, "account": actor.username}
            )

    # -- proposals --------------------------------------------------------------------------------

    @staticmethod
    def _visible_proposals(actor: Actor) -> Any:
        return or_(Proposal.team == actor.team, Proposal.state == "shared")

    def _proposal(self, s: Session, actor: Actor, pid: str) -> Proposal:
        p = s.execute(select(Proposal).where(Proposal.id == pid, self._visible_proposals(actor))).scalar_one_or_none()
        if p is None:
            raise NotFound("no such proposal")
        return p

    @staticmethod
    def proposal_view(p: Proposal, *, document: bool) -> dict[str, Any]:
        out = {k: getattr(p, k) for k in PROPOSAL_FIELDS}
        if document:
            out["document"] = json.loads(p.document)
        return out

    def list_proposals(self, actor: Actor, q: str | None = None, state: str | None = None) -> list[dict[str, Any]]:
        stmt = _PROPOSAL_LIST_VISIBLE  # prepared; a search or a state filter adds its conditions
        if q:
            like = f"%{q.lower()}%"
            stmt = stmt.where(or_(func.lower(Proposal.name).like(like), func.lower(Proposal.title).like(like)))
        if state:
            stmt = stmt.where(Proposal.state == state)
        with self.store.query() as c:  # plain columns, not the documents: a list costs one row read per proposal
            rows = c.execute(stmt, {"team": actor.team}).all()
        return [{**dict(zip(PROPOSAL_FIELDS, r, strict=True)), "document": None} for r in rows]  # as ProposalOut

    def get_proposal(self, actor: Actor, pid: str) -> dict[str, Any]:
        with self.store.query() as c:
            row = c.execute(_PROPOSAL_ONE, {"pid": pid, "team": actor.team}).first()
        if row is None:
            raise NotFound("no such proposal")
        return {**dict(zip(PROPOSAL_FIELDS, row, strict=False)), "document": json.loads(row.document)}

    def _draft(self, scenario_yaml: str, geometry: dict[str, Any] | None) -> Any:
        i = self.info
        return validate_draft(
            scenario_yaml, geometry, base_scenario=i.base_scenario, parties=i.parties, window=i.window
        )

    def _proposal_event(self, s: Session, actor: Actor, kind: str, p: Proposal) -> None:
        payload = {
            "name": p.name,
            "state": p.state,
            "version": p.version,
            "scenario_hash": p.scenario_hash,
            "parent_id": p.parent_id,
            "document": json.loads(p.document),
        }
        self._event(s, actor, kind, "proposal", p.id, "all" if p.state == "shared" else p.team, payload)

    def create_proposal(
        self, actor: Actor, scenario_yaml: str, geometry: dict[str, Any] | None, parent_id: str | None = None
    ) -> dict[str, Any]:
        """A new private draft of the actor's team (validated completely before anything is stored)."""
        _need(actor, WRITERS, "write drafts")
        d = self._draft(scenario_yaml, geometry)
        now = utc_now()
        with self.store.write() as s:
            if parent_id is not None:
                self._proposal(s, actor, parent_id)
            p = Proposal(
                id=auth.new_id(),
                team=actor.team,
                name=d.scenario["name"],
                title=str(d.scenario.get("title", ""))[:300],
                state="draft",
                version=1,
                document=d.text,
                scenario_hash=d.scenario_hash,
                parent_id=parent_id,
                created_by=actor.username,
                created_at=now,
                updated_at=now,
                shared_at=None,
            )
            s.add(p)
            s.flush()
            self._proposal_event(s, actor, "proposal.drafted", p)
            return self.proposal_view(p, document=True)

    def update_proposal(
        self, actor: Actor, pid: str, based_on: int, scenario_yaml: str, geometry: dict[str, Any] | None
    ) -> dict[str, Any]:
        _need(actor, WRITERS, "write drafts")
        d = self._draft(scenario_yaml, geometry)
        with self.store.write() as s:
            p = self._proposal(s, actor, pid)
            if p.team != actor.team:
                raise Forbidden("only its own delegation may change a proposal")
            if p.state != "draft":
                raise Conflict("a shared proposal is frozen: create a new version to change it", p.version)
            _check_version(p.version, based_on)
            p.document, p.scenario_hash, p.name = d.text, d.scenario_hash, d.scenario["name"]
            p.title, p.version, p.updated_at = str(d.scenario.get("title", ""))[:300], p.version + 1, utc_now()
            self._proposal_event(s, actor, "proposal.edited", p)
            return self.proposal_view(p, document=True)

    def share_proposal(self, actor: Actor, pid: str, based_on: int) -> dict[str, Any]:
        """Show a draft to everyone; from then on it is frozen."""
        _need(actor, {Role.head, Role.mediator}, "share proposals")
        with self.store.write() as s:
            p = self._proposal(s, actor, pid)
            if p.team != actor.team:
                raise Forbidden("only its own delegation may share a proposal")
            if p.state == "shared":
                raise Conflict("already shared", p.version)
            _check_version(p.version, based_on)
            p.state, p.version, p.shared_at = "shared", p.version + 1, utc_now()
            p.updated_at = p.shared_at
            self._proposal_event(s, actor, "proposal.shared", p)
            return self.proposal_view(p, document=True)

    def new_version(self, actor: Actor, pid: str) -> dict[str, Any]:
        """A private draft copied from a visible proposal (own or shared), for the actor's team."""
        _need(actor, WRITERS, "write drafts")
        with self.store.read() as s:
            doc = json.loads(self._proposal(s, actor, pid).document)
        from delimit.workspace.events import canonical_json

        return self.create_proposal(actor, canonical_json(doc["scenario"]), doc["geometry"], parent_id=pid)

    # -- comments ---------------------------------------------------------------------------------

    def list_comments(self, actor: Actor, pid: str) -> list[dict[str, Any]]:
        with self.store.read() as s:
            self._proposal(s, actor, pid)
            rows = (
                s.execute(
                    select(Comment)
                    .where(Comment.proposal_id == pid, Comment.visibility.in_(("all", actor.team)))
                    .order_by(Comment.created_at, Comment.id)
                )
                .scalars()
                .all()
            )
        return [
            {
                "id": c.id,
                "team": c.team,
                "author": c.author,
                "visibility": "all" if c.visibility == "all" else "team",
                "text": c.text,
                "created_at": c.created_at,
            }
            for c in rows
        ]

    def add_comment(self, actor: Actor, pid: str, text: str, visibility: str) -> dict[str, Any]:
        """A comment for the actor's team only (``team``) or for all (``all``, only on a shared proposal)."""
        _need(actor, WRITERS | {Role.observer}, "comment")
        with self.store.write() as s:
            p = self._proposal(s, actor, pid)
            if visibility == "all" and p.state != "shared":
                raise InputError(None, "a draft's comments stay within its delegation", field="visibility")
            vis = "all" if visibility == "all" else actor.team
            c = Comment(
                id=auth.new_id(),
                proposal_id=pid,
                team=actor.team,
                author=actor.username,
                visibility=vis,
                text=text,
                created_at=utc_now(),
            )
            s.add(c)
            self._event(s, actor, "comment.added", "comment", c.id, vis, {"proposal_id": pid, "text": text})
            return {
                "id": c.id,
                "team": c.team,
                "author": c.author,
                "visibility": visibility,
                "text": text,
                "created_at": c.created_at,
            }

    # -- sections ---------------------------------------------------------------------------------

    def _section(self, s: Session, sid: str) -> Section:
        sec = s.get(Section, sid)
        if sec is None:
            raise NotFound("no such section")
        return sec

    def section_view(self, s: Session | None, sec: Any, acts: list[Any] | None = None) -> dict[str, Any]:
        """A section as the API shows it (``sec`` and ``acts``: ORM objects or rows with the same columns);
        ``acts`` (in order) if already read, else they are read here with the session ``s``."""
        if acts is None:
            assert s is not None, "a session is needed to read the acts"
            acts = list(
                s.execute(select(SectionAct).where(SectionAct.section_id == sec.id).order_by(SectionAct.id)).scalars()
            )
        step = next_step(sec.status)
        return {
            "id": sec.id,
            "name": sec.name,
            "status": sec.status,
            "version": sec.version,
            "geometry": json.loads(sec.geometry),
            "geometry_hash": sec.geometry_hash,
            "note": sec.note,
            "created_at": sec.created_at,
            "updated_at": sec.updated_at,
            "acts": [
                {"step": a.step, "team": a.team, "account": a.account, "geometry_hash": a.geometry_hash, "at": a.at}
                for a in acts
            ],
            "next_step": step.name if step else None,
            "awaiting": sorted(set(self.info.parties) - {a.team for a in acts if step and a.step == step.name})
            if step and step.every_party
            else [],
        }

    def list_sections(self, actor: Actor) -> list[dict[str, Any]]:
        with self.store.query() as c:  # two queries whatever the number of sections, plain rows
            acts: dict[str, list[Any]] = {}
            for a in c.execute(_SECTION_ACTS):
                acts.setdefault(a.section_id, []).append(a)
            return [self.section_view(None, x, acts.get(x.id, [])) for x in c.execute(_SECTIONS)]

    def get_section(self, actor: Actor, sid: str) -> dict[str, Any]:
        with self.store.read() as s:
            return self.section_view(s, self._section(s, sid))

    def create_section(self, actor: Actor, name: str, geometry: Any) -> dict[str, Any]:
        _need(actor, {Role.head, Role.mediator}, "create sections")
        geom, ghash = section_geometry(geometry, self.info.window)
        from delimit.workspace.events import canonical_json

        now = utc_now()
        try:
            with self.store.write() as s:
                if s.execute(select(Section).where(Section.name == name)).first() is not None:
                    raise Conflict(f"a section named {name!r} exists")
                sec = Section(
                    id=auth.new_id(),
                    name=name,
                    geometry=canonical_json(geom),
                    geometry_hash=ghash,
                    status="negotiating",
                    version=1,
                    note="",
                    created_at=now,
                    updated_at=now,
                )
                s.add(sec)
                s.flush()
                self._event(
                    s,
                    actor,
                    "section.created",
                    "section",
                    sec.id,
                    "all",
                    {"name": name, "geometry": geom, "geometry_hash": ghash, "status": sec.status},
                )
                return self.section_view(s, sec)
        except IntegrityError:
            raise Conflict(f"a section named {name!r} exists") from None

    def change_section_geometry(self, actor: Actor, sid: str, based_on: int, geometry: Any) -> dict[str, Any]:
        """New geometry for a section; an agreement ad referendum on the old one is withdrawn."""
        _need(actor, {Role.head, Role.mediator}, "change a section's geometry")
        geom, ghash = section_geometry(geometry, self.info.window)
        from delimit.workspace.events import canonical_json

        with self.store.write() as s:
            sec = self._section(s, sid)
            _check_version(sec.version, based_on)
            if sec.status not in GEOMETRY_MUTABLE:
                raise Conflict(f"the section is {sec.status}: its geometry can no longer change", sec.version)
            if ghash == sec.geometry_hash:
                raise Conflict("the geometry is unchanged", sec.version)
            withdrawn = sec.status == "agreed_ad_referendum"
            old = sec.geometry_hash
            # a DML statement's result is a CursorResult; Session.execute is typed as returning the base Result
            voided = cast(CursorResult[Any], s.execute(delete(SectionAct).where(SectionAct.section_id == sid))).rowcount
            sec.geometry, sec.geometry_hash, sec.status, sec.version, sec.updated_at = (
                canonical_json(geom),
                ghash,
                "negotiating",
                sec.version + 1,
                utc_now(),
            )
            if withdrawn:
                sec.note = f"agreement ad referendum withdrawn: geometry changed by {actor.username} ({actor.team}) at {sec.updated_at}, hash {old[:12]} -> {ghash[:12]}"
            elif voided:
                sec.note = f"sign-offs on the previous geometry voided: geometry changed by {actor.username} ({actor.team}) at {sec.updated_at}"
            else:
                sec.note = ""
            self._event(
                s,
                actor,
                "section.geometry_changed",
                "section",
                sid,
                "all",
                {
                    "geometry": geom,
                    "geometry_hash": ghash,
                    "previous_hash": old,
                    "agreement_withdrawn": withdrawn,
                    "acts_voided": voided,
                    "status": sec.status,
                    "note": sec.note,
                },
            )
            return self.section_view(s, sec)

    def section_act(self, actor: Actor, sid: str, step_name: str, based_on: int, geometry_hash: str) -> dict[str, Any]:
        """Record the actor's team's act for a step; the section moves on once the step is complete."""
        step = STEPS.get(step_name)
        if step is None:
            raise InputError(None, f"unknown step {step_name!r} (steps: {', '.join(STEPS)})", field="step")
        _need(actor, step.roles, f"{step_name.replace('_', ' ')} a section")
        if actor.team != MEDIATOR and actor.team not in self.info.parties:
            raise Forbidden("only a party's delegation may act")
        with self.store.write() as s:
            sec = self._section(s, sid)
            _check_version(sec.version, based_on)
            if sec.status != step.source:
                raise Conflict(f"the section is {sec.status}; {step_name} needs {step.source}", sec.version)
            if geometry_hash != sec.geometry_hash:
                raise Conflict("the act names another geometry than the section's current one", sec.version)
            acted = {
                a.team
                for a in s.execute(
                    select(SectionAct).where(SectionAct.section_id == sid, SectionAct.step == step_name)
                ).scalars()
            }
            if actor.team in acted:
                raise Conflict(f"{actor.team} has already acted on {step_name}", sec.version)
            s.add(
                SectionAct(
                    section_id=sid,
                    step=step_name,
                    team=actor.team,
                    account=actor.username,
                    geometry_hash=geometry_hash,
                    at=utc_now(),
                )
            )
            acted.add(actor.team)
            before = sec.status
            if step_complete(step, acted, self.info.parties):
                sec.status = step.target
                sec.note = ""
            sec.version, sec.updated_at = sec.version + 1, utc_now()
            s.flush()
            self._event(
                s,
                actor,
                "section.act",
                "section",
                sid,
                "all",
                {"step": step_name, "geometry_hash": geometry_hash, "status_before": before, "status": sec.status},
            )
            return self.section_view(s, sec)

    # -- history ----------------------------------------------------------------------------------

    def history(self, actor: Actor, limit: int = 100, before: str | None = None) -> list[dict[str, Any]]:
        """The events the actor's team may see, newest first (no sequence numbers: those would count others' events)."""
        return [{**e, "payload": json.loads(e["payload"])} for e in self._history_rows(actor, limit, before)]

    def history_json(self, actor: Actor, limit: int = 100, before: str | None = None) -> bytes:
        """:meth:`history` as the JSON text of the API's answer, each event's payload spliced in as stored.

        The payload column holds canonical JSON written by :func:`~delimit.workspace.events.append_event`
        (a draft's event carries its whole document), so it is not decoded and encoded again per request.
        """
        parts = []
        for e in self._history_rows(actor, limit, before):
            payload = e.pop("payload")
            head = json.dumps(e, ensure_ascii=False, separators=(",", ":"))
            parts.append(f'{head[:-1]},"payload":{payload}}}')
        return ("[" + ",".join(parts) + "]").encode("utf-8")

    def _history_rows(self, actor: Actor, limit: int, before: str | None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"everyone": "all", "team": actor.team, "limit": limit}
        with self.store.query() as c:
            if before is None:
                rows = c.execute(_HISTORY, params).all()
            else:
                ref = c.execute(_HISTORY_REF, {**params, "before": before}).scalar_one_or_none()
                if ref is None:
                    raise NotFound("no such event")
                rows = c.execute(_HISTORY_BEFORE, {**params, "ref": ref}).all()
        return [dict(zip(HISTORY_FIELDS, r, strict=True)) for r in rows]

    def verify(self, actor: Actor) -> dict[str, Any]:
        """Whether the whole chain holds; the broken event is named only if the caller may see it."""
        with self.store.read() as s:
            v = verify_store(s)
            if v.ok:
                return {"ok": True, "broken_event": None, "reason": ""}
            e = s.execute(select(Event).where(Event.seq == v.broken_seq)).scalar_one_or_none()
        visible = e is not None and e.visibility in ("all", actor.team)
        return {
            "ok": False,
            "broken_event": e.hash if visible and e is not None else None,
            "reason": v.reason if visible else "an event not visible to you fails the check",
        }

    # -- treaty annex -----------------------------------------------------------------------------

    def annex_text(self, actor: Actor) -> str:
        """The boundary description (``delimit treaty``'s text) of the sections agreed ad referendum or further.

        Sections still under negotiation are left out, and the text says so. Each section's treaty
        status comes from the workspace (``ratified-<PARTY>`` while only one party has ratified).
        """
        from delimit.treaty import render_text

        desc, sources, _credits = self._agreed_description()
        return render_text(desc).rstrip("\n") + "\n\n" + sources + "\n"

    def annex_zip(self, actor: Actor) -> bytes:
        """The treaty annex of the agreed sections as a ZIP (what ``delimit treaty`` writes, without the PDF).

        Description text, coordinate CSVs, GeoPackage, GeoJSON, KML, ATTRIBUTION.txt and
        provenance.json; pillars planned every 1000 m along the agreed lines (no elevation model:
        the workspace's lines are drawn, not surveyed, and the text says where they came from).
        """
        import tempfile
        from pathlib import Path

        from delimit.treaty import plan_pillars
        from delimit.treaty.annex import Annex
        from delimit.treaty.text import build_paragraphs
        from delimit.treaty_export import write_annex
        from delimit.workspace.downloads import zip_folder

        desc, sources, credits = self._agreed_description()
        desc.attribution = " ".join(sources.splitlines()[1:])  # the description text names the line's sources
        desc.paragraphs = build_paragraphs(desc)
        a, b = self.info.parties
        names = self.info.settings.get("party_names", {})
        annex = Annex(
            title=f"Boundary between {names.get(a, a)} and {names.get(b, b)} - sections agreed in the delimit workspace",
            parties=(a, b),
            party_names={p: names.get(p, p) for p in (a, b)},
            description=desc,
            pillars=plan_pillars(desc, max_spacing_m=1000.0),
            provenance={"scenario": "", "workspace_baseline": self.info.base_scenario, "sources": sources},
            attribution=credits,
            attribution_text=sources,
        )
        with tempfile.TemporaryDirectory(prefix="delimit-annex-") as d:
            write_annex(annex, Path(d) / "annex", pdf=False)
            return zip_folder(Path(d) / "annex", "agreed-sections-treaty-annex")

    def _agreed_description(self) -> tuple[Any, str, list[dict[str, Any]]]:
        """The line description of the sections agreed ad referendum or further, the sources text and credits."""
        from delimit.treaty import describe_sections
        from delimit.treaty.describe import SectionInput

        if len(self.info.parties) != 2:
            raise Conflict(f"a treaty annex is between two parties; this workspace has {len(self.info.parties)}")
        a, b = self.info.parties
        with self.store.read() as s:
            rows = (
                s.execute(select(Section).where(Section.status != "negotiating").order_by(Section.name)).scalars().all()
            )
            ratified = {
                (x.section_id, x.team)
                for x in s.execute(select(SectionAct).where(SectionAct.step == "ratify")).scalars()
            }
            left_out = s.execute(
                select(func.count()).select_from(Section).where(Section.status == "negotiating")
            ).scalar_one()
        if not rows:
            raise Conflict("no section is agreed ad referendum yet")
        inputs = []
        for sec in rows:
            status = _TREATY_STATUS[sec.status]
            if sec.status == "signed":
                done = [p for p in (a, b) if (sec.id, p) in ratified]
                status = f"ratified-{done[0]}" if len(done) == 1 else status
            elif sec.status == "ratified":
                status = f"ratified-{b}"  # both parties have ratified; in-force is the next status
            geom = shapely.from_geojson(sec.geometry)
            for part in getattr(geom, "geoms", [geom]):
                inputs.append(
                    SectionInput(np.asarray(part.coords, dtype=float)[:, :2], status, None, "given", sec.name)
                )
        notes = [
            f"Generated by the delimit workspace from the {len(rows)} section(s) agreed ad referendum or further; {left_out} section(s) still under negotiation are not included."
        ]
        names = self.info.settings.get("party_names", {})
        desc = describe_sections(inputs, parties=(a, b), notes=notes, party_names=names)
        sources, credits = self._line_sources([r.id for r in rows])
        return desc, sources, credits

    def _line_sources(self, section_ids: list[str]) -> tuple[str, list[dict[str, Any]]]:
        """Where the sections' lines came from (drawn in the workspace, or a dataset with its credits)."""
        with self.store.read() as s:
            events = (
                s.execute(
                    select(Event).where(
                        Event.object_type == "section",
                        Event.object_id.in_(section_ids),
                        Event.kind == "section.created",
                    )
                )
                .scalars()
                .all()
            )
        credits = sorted({json.loads(e.payload).get("attribution", "") for e in events} - {""})
        drawn = sum(1 for e in events if not json.loads(e.payload).get("attribution"))
        lines = ["SOURCES OF THE LINE"]
        if drawn:
            lines.append(f"{drawn} section(s) drawn by the delegations in the delimit workspace.")
        lines += [f"Data: {c}" for c in credits]
        return "\n".join(lines), [{"source": "section line data", "notice": c} for c in credits]


#: Workspace section status -> treaty status (:mod:`delimit.treaty.status`).
_TREATY_STATUS = {
    "agreed_ad_referendum": "agreed",
    "initialled": "initialled",
    "signed": "signed",
    "ratified": "ratified",
    "in_force": "in-force",
    "demarcated": "demarcated",
}
