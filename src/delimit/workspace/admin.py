"""Creating a workspace, verifying its history and exporting it as a portable archive.

The archive is a ZIP file: ``manifest.json`` (format, workspace, the chain head), ``events.jsonl``
(every event, one canonical JSON object a line) and ``proposals/<id>.json`` (every proposal, drafts
included: the archive is the operator's full copy). :func:`verify_target` accepts a workspace folder,
a database URL or such an archive.
"""

from __future__ import annotations

import functools
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from delimit.errors import InputError
from delimit.io.atomic import atomic_path
from delimit.workspace.auth import MEDIATOR, Role, hash_password, new_id, new_password
from delimit.workspace.db import Store
from delimit.workspace.events import (
    EVENT_FIELDS,
    Verification,
    append_event,
    canonical_json,
    event_dict,
    sha256_text,
    stored_events,
    utc_now,
    verify_events,
    verify_store,
)
from delimit.workspace.models import Account, ChainHead, Event, Proposal, WorkspaceRow

ARCHIVE_FORMAT = "delimit-workspace-archive"
ARCHIVE_VERSION = 1

#: Engine sections an evaluation runs unless the workspace says otherwise.
DEFAULT_EVALUATE = ("topology", "access")


@dataclass(frozen=True)
class InitialAccount:
    username: str
    team: str
    role: str
    password: str


def scenario_chain_info(name: str) -> tuple[dict[str, str], str | None]:
    """Parties (id -> name) declared along a bundled scenario's ``base`` chain, and its dataset."""
    from delimit.scenario import parse_scenario_file, resolve_scenario

    parties: dict[str, str] = {}
    dataset: str | None = None
    seen: set[str] = set()
    path = resolve_scenario(name)
    while True:
        if str(path.resolve()) in seen:
            raise InputError(path, "base chain loops", field="base")
        seen.add(str(path.resolve()))
        spec = parse_scenario_file(path)
        for p in spec.parties:
            parties.setdefault(p.id, p.name)
        dataset = dataset or spec.dataset
        if not spec.base:
            return parties, dataset
        path = (
            resolve_scenario(spec.base)
            if not spec.base.endswith((".yaml", ".yml", ".toml"))
            else path.parent / spec.base
        )


def dataset_window(dataset: str) -> dict[str, Any]:
    """The data window of an embedded dataset as a GeoJSON Polygon (WGS84)."""
    window: dict[str, Any] = json.loads(_window_text(dataset))
    return window


@functools.cache
def _window_text(dataset: str) -> str:
    import pyogrio
    import shapely

    from delimit.datasets import dataset_dir, read_manifest

    folder = dataset_dir(dataset)
    gpkg = folder / read_manifest(dataset).get("vector_file", f"{dataset}.gpkg")
    df = pyogrio.read_dataframe(gpkg, layer="window")
    return str(shapely.to_geojson(shapely.union_all(df.geometry.to_numpy())))


def init_workspace(
    store: Store, *, scenario: str, parties: list[str], mediator: bool, evaluate: tuple[str, ...] = DEFAULT_EVALUATE
) -> list[InitialAccount]:
    """Create the schema and the workspace with a head of delegation per party (and a mediator).

    Returns the first accounts with their one-time passwords (to be changed at first log-in).
    Refuses a database that already holds a workspace, unknown parties and fewer than two parties.
    """
    parties = sorted({p.upper() for p in parties})
    if len(parties) < 2:
        raise InputError(None, "a workspace needs at least two parties", field="--parties")
    known, dataset = scenario_chain_info(scenario)
    unknown = [p for p in parties if p not in known]
    if unknown:
        raise InputError(
            scenario,
            f"unknown part{'ies' if len(unknown) > 1 else 'y'} {', '.join(unknown)} (the scenario declares {', '.join(known)})",
            field="--parties",
        )
    if dataset is None:
        raise InputError(
            scenario, "the scenario names no embedded dataset, so the workspace has no data window", field="dataset"
        )
    window = dataset_window(dataset)
    store.migrate()
    if store.is_initialised():
        raise InputError(store.url.split("@")[-1], "already holds a workspace (nothing changed)")
    accounts = [InitialAccount(f"head-{p.lower()}", p, Role.head.value, new_password()) for p in parties]
    if mediator:
        accounts.append(InitialAccount("mediator", MEDIATOR, Role.mediator.value, new_password()))
    with store.write() as s:
        now = utc_now()
        settings = {"evaluate": list(evaluate), "party_names": {p: known[p] for p in parties}}
        s.add(
            WorkspaceRow(
                id=1,
                base_scenario=scenario,
                parties=canonical_json(parties),
                mediator=mediator,
                window=canonical_json(window),
                settings=canonical_json(settings),
                created_at=now,
            )
        )
        append_event(
            s,
            actor="system",
            team="system",
            kind="workspace.created",
            object_type="workspace",
            object_id="1",
            visibility="all",
            payload={
                "base_scenario": scenario,
                "parties": parties,
                "mediator": mediator,
                "window": window,
                "settings": settings,
            },
        )
        for a in accounts:
            acc = Account(
                id=new_id(),
                username=a.username,
                display_name=a.username,
                team=a.team,
                role=a.role,
                password_hash=hash_password(a.password),
                must_change_password=True,
                disabled=False,
                created_at=now,
            )
            s.add(acc)
            append_event(
                s,
                actor="system",
                team="system",
                kind="account.created",
                object_type="account",
                object_id=acc.id,
                visibility="all",
                payload={"username": a.username, "team": a.team, "role": a.role},
            )
    return accounts


def _check_proposals(
    proposals: list[dict[str, Any]], events: list[dict[str, Any]], chain: Verification
) -> Verification | None:
    """Each proposal's stored document must be the one its latest event recorded."""
    latest: dict[str, dict[str, Any]] = {}
    for e in events:
        if e["object_type"] == "proposal":
            latest[e["object_id"]] = e
    for p in proposals:
        last = latest.get(p["id"])
        if last is None:
            return Verification(False, chain.count, chain.head, None, f"proposal {p['id']} has no event in the log")
        recorded = json.loads(last["payload"]).get("scenario_hash")
        if sha256_text(p["document"]) != p["scenario_hash"] or p["scenario_hash"] != recorded:
            return Verification(
                False,
                chain.count,
                chain.head,
                last["seq"],
                f"proposal {p['id']}: stored document differs from the one this event recorded",
            )
    return None


def _proposal_dict(p: Proposal) -> dict[str, Any]:
    return {
        c: getattr(p, c)
        for c in (
            "id",
            "team",
            "name",
            "title",
            "state",
            "version",
            "document",
            "scenario_hash",
            "parent_id",
            "created_by",
            "created_at",
            "updated_at",
            "shared_at",
        )
    }


def verify_database(store: Store) -> Verification:
    """Check the stored chain, then every proposal against its latest event."""
    with store.read() as s:
        v = verify_store(s)
        if not v.ok:
            return v
        events = [e for e in stored_events(s) if e["object_type"] == "proposal"]
        proposals = [_proposal_dict(p) for p in s.execute(select(Proposal)).scalars()]
    return _check_proposals(proposals, events, v) or v


def export_archive(store: Store, dest: Path) -> Verification:
    """Write the whole workspace (log and proposals) as a ZIP archive, atomically; return its chain check."""
    with store.read() as s:
        head = s.execute(select(ChainHead).where(ChainHead.id == 1)).scalar_one()
        ws = s.execute(select(WorkspaceRow)).scalar_one()
        events = [
            event_dict(e) for e in s.execute(select(Event).where(Event.seq <= head.seq).order_by(Event.seq)).scalars()
        ]
        proposals = [
            _proposal_dict(p) for p in s.execute(select(Proposal).order_by(Proposal.created_at, Proposal.id)).scalars()
        ]
    v = verify_events(events, (head.seq, head.hash))
    manifest = {
        "format": ARCHIVE_FORMAT,
        "version": ARCHIVE_VERSION,
        "exported_at": utc_now(),
        "workspace": {
            "base_scenario": ws.base_scenario,
            "parties": json.loads(ws.parties),
            "mediator": ws.mediator,
            "created_at": ws.created_at,
        },
        "head": {"seq": head.seq, "hash": head.hash},
        "events": len(events),
        "proposals": len(proposals),
        "chain_verified_at_export": v.ok,
    }
    with atomic_path(dest) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        z.writestr("events.jsonl", "".join(canonical_json(e) + "\n" for e in events))
        for p in proposals:
            z.writestr(f"proposals/{p['id']}.json", canonical_json(p) + "\n")
    return v


#: Largest archive member read by verify (bytes): refuses ZIP bombs.
MAX_ARCHIVE_MEMBER = 2 * 1024**3


def verify_archive(path: Path) -> Verification:
    """Check an exported archive: its chain against the manifest's head, and its proposals."""
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(path, f"not a workspace archive ({exc})") from None
    with z:
        names = set(z.namelist())
        for need in ("manifest.json", "events.jsonl"):
            if need not in names:
                raise InputError(path, f"not a workspace archive (no {need})")
        if any(i.file_size > MAX_ARCHIVE_MEMBER for i in z.infolist()):
            raise InputError(path, "archive member too large")
        try:
            manifest = json.loads(z.read("manifest.json"))
            if manifest.get("format") != ARCHIVE_FORMAT:
                raise InputError(path, f"not a workspace archive (format {manifest.get('format')!r})", field="format")
            head = (int(manifest["head"]["seq"]), str(manifest["head"]["hash"]))
            events = []
            for n, line in enumerate(z.read("events.jsonl").decode("utf-8").splitlines(), 1):
                e = json.loads(line)
                if not isinstance(e, dict) or set(e) != set(EVENT_FIELDS):
                    return Verification(
                        False, n - 1, "", e.get("seq") if isinstance(e, dict) else n, "event fields missing or added"
                    )
                events.append(e)
            proposals = [
                json.loads(z.read(n)) for n in sorted(names) if n.startswith("proposals/") and n.endswith(".json")
            ]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise InputError(path, f"damaged archive: {exc}") from None
    v = verify_events(events, head)
    if not v.ok:
        return v
    return _check_proposals(proposals, events, v) or v


def verify_target(workspace: str | Path | None, db: str | None) -> Verification:
    """Verify a workspace folder, a database URL or an exported archive file."""
    if db is None and workspace is not None and Path(workspace).is_file():
        return verify_archive(Path(workspace))
    store = Store.open(workspace, db)
    try:
        return verify_database(store)
    finally:
        store.dispose()


def treaty_sections(
    scenario: Any, parties: list[str], window: tuple[float, float, float, float] | None = None
) -> list[dict[str, Any]]:
    """The line two parties share under a scenario, split into the treaty engine's sections.

    Sections are the connected pieces of :meth:`Scenario.boundary_between` (clipped to ``window``,
    lon0, lat0, lon1, lat1), ordered and oriented west to east as ``delimit treaty`` numbers them;
    each is returned as a GeoJSON LineString (WGS84).
    """
    from delimit.treaty import clip_line, section_inputs

    if len(parties) != 2:
        raise InputError(
            None, f"treaty sections are between two parties; the workspace has {len(parties)}", field="parties"
        )
    line = clip_line(scenario.boundary_between(*parties), window)
    if line.is_empty:
        raise InputError(
            scenario.name,
            f"{parties[0]} and {parties[1]} share no line" + (" in the window" if window else ""),
            field="--window",
        )
    return [
        {"type": "LineString", "coordinates": [[float(x), float(y)] for x, y in s.coords]}
        for s in section_inputs(line, orient="west-east")
    ]


def import_sections(
    store: Store, lines: list[dict[str, Any]], *, prefix: str, source: str, attribution: str = ""
) -> list[str]:
    """Create one section per line (named ``<prefix> <n>``) in one transaction, as the operator ('system').

    ``source`` and ``attribution`` (the credits of the data the line comes from) are kept in each
    section's note and event, and the treaty annex prints them.

    Refuses (nothing written) a name that exists or a line outside the workspace's window.
    """
    from delimit.workspace.documents import section_geometry
    from delimit.workspace.models import Section

    with store.read() as s:
        w = s.execute(select(WorkspaceRow)).scalar_one()
        taken = set(s.execute(select(Section.name)).scalars())
    import shapely

    window = shapely.from_geojson(w.window)
    checked = []
    for k, line in enumerate(lines, 1):
        name = f"{prefix} {k}"
        if name in taken:
            raise InputError(None, f"a section named {name!r} exists (choose another --prefix)", field="--prefix")
        try:
            checked.append((name, *section_geometry(line, window)))
        except InputError as exc:
            raise InputError(source, f"section {k}: {exc.reason}", field=exc.field) from None
    now = utc_now()
    ids = []
    with store.write() as s:
        for name, geom, ghash in checked:
            note = f"line from {source}" + (f"; {attribution}" if attribution else "")
            sec = Section(
                id=new_id(),
                name=name,
                geometry=canonical_json(geom),
                geometry_hash=ghash,
                status="negotiating",
                version=1,
                note=note,
                created_at=now,
                updated_at=now,
            )
            s.add(sec)
            append_event(
                s,
                actor="system",
                team="system",
                kind="section.created",
                object_type="section",
                object_id=sec.id,
                visibility="all",
                payload={
                    "name": name,
                    "geometry": geom,
                    "geometry_hash": ghash,
                    "status": "negotiating",
                    "source": source,
                    "attribution": attribution,
                },
            )
            ids.append(sec.id)
    return ids
