"""A proposal's downloads: its report, its treaty annex and its GeoPackage, built in the background.

Three kinds, each built by the engines and writers the command line uses, from the proposal's stored
document written out as a scenario folder (:func:`delimit.workspace.evaluation.write_scenario_folder`):

``report``      the single-file HTML report of the proposal against the workspace's baseline
                (:func:`delimit.report.build_report` with ``single_file=True``: images inlined,
                credits and licences on the page), ``text/html``;
``annex``       the treaty annex of the line between the workspace's two parties under the
                proposal (:func:`delimit.treaty.from_scenario`, written by
                :func:`delimit.treaty_export.write_annex`) as a ZIP: description text, coordinate
                CSVs, GeoPackage, GeoJSON, KML, ATTRIBUTION.txt, provenance.json. No PDF: its map
                sheets take minutes (``delimit treaty`` writes it);
``geopackage``  the proposal's transfers and the territory that results, WGS84, with the
                attribution in the GeoPackage metadata and a ``metadata`` table (provenance).

Builds run one at a time in a worker thread; the result is stored in the ``downloads`` table under
a key made of the kind, the scenario's hash, the baseline and the delimit version, so an identical
scenario is built once. While a build runs, callers get its progress.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import threading
import traceback
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from delimit import __version__
from delimit.errors import InputError
from delimit.workspace.db import Store
from delimit.workspace.events import canonical_json, sha256_text, utc_now
from delimit.workspace.models import DownloadRow

ProgressFn = Callable[[str, float], None]

#: The CRS of every download's geometry.
STORAGE_CRS = "EPSG:4326 (WGS 84), longitude/latitude degrees"


@dataclass(frozen=True)
class Kind:
    """One kind of download: its media type and the file name pattern (``{stem}`` = proposal name and version)."""

    media_type: str
    filename: str
    what: str


KINDS: dict[str, Kind] = {
    "report": Kind("text/html", "{stem}-report.html", "the report"),
    "annex": Kind("application/zip", "{stem}-treaty-annex.zip", "the treaty annex"),
    "geopackage": Kind("application/geopackage+sqlite3", "{stem}.gpkg", "the GeoPackage"),
}


def download_key(kind: str, scenario_hash: str, base_scenario: str) -> str:
    """The cache key of one download."""
    return sha256_text(
        canonical_json({"kind": kind, "scenario": scenario_hash, "baseline": base_scenario, "delimit": __version__})
    )


def zip_folder(folder: Path, prefix: str) -> bytes:
    """Every file of ``folder`` (sorted, no sub-folders) in a ZIP under ``prefix/``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.iterdir()):
            if f.is_file():
                z.write(f, f"{prefix}/{f.name}")
    return buf.getvalue()


def build_report_html(base: Any, scenario: Any, folder: Path, progress: ProgressFn) -> bytes:
    """The single-file HTML report of ``scenario`` against ``base`` (built in ``folder``)."""
    from delimit.report import build_report

    result = build_report(base, [scenario], folder / "report", single_file=True, progress=progress)
    return (folder / "report" / result.index).read_bytes()


def build_annex_zip(scenario: Any, parties: tuple[str, str], folder: Path, progress: ProgressFn) -> bytes:
    """The treaty annex (no PDF) of the line between ``parties`` under ``scenario``, as a ZIP."""
    from delimit.treaty import from_scenario
    from delimit.treaty_export import write_annex

    annex = from_scenario(scenario, parties[0], parties[1], progress=lambda m, f: progress(m, 0.6 * f))
    write_annex(annex, folder / "annex", pdf=False, progress=lambda m, f: progress(m, 0.6 + 0.35 * f))
    return zip_folder(folder / "annex", f"{scenario.name}-treaty-annex")


def proposal_layers(scenario: Any) -> dict[str, Any]:
    """The proposal's layers (WGS84): ``transfers`` (one row per transfer) and ``territory``."""
    import geopandas as gpd

    transfers = gpd.GeoDataFrame(
        {
            "id": [t.id for t in scenario.transfers],
            "from_party": [t.from_party for t in scenario.transfers],
            "to_party": [t.to_party for t in scenario.transfers],
            "status": [t.status for t in scenario.transfers],
            "source": [t.source for t in scenario.transfers],
        },
        geometry=[t.geometry for t in scenario.transfers],
        crs="EPSG:4326",
    )
    territory = scenario.territory.to_crs("EPSG:4326")
    return {"transfers": transfers, "territory": territory}


def build_geopackage(scenario: Any, folder: Path) -> bytes:
    """The proposal's transfers and territory as a GeoPackage with its attribution and provenance."""
    import pandas as pd
    import pyogrio

    from delimit.cli.render import jsonable

    prov = scenario.provenance
    credits = [c.as_dict() for c in prov.credits]
    meta = {
        "ATTRIBUTION": prov.attribution(),
        "ATTRIBUTION_JSON": json.dumps(credits, ensure_ascii=False),
        "CRS": STORAGE_CRS,
        "SCENARIO": scenario.name,
    }
    table = {
        "scenario": scenario.name,
        "crs": STORAGE_CRS,
        "attribution": {"text": prov.attribution(), "credits": credits},
        "data_marks": scenario.data_marks(["territory"]),
        "provenance": prov.as_dict(),
    }
    layers: dict[str, Any] = {k: v for k, v in proposal_layers(scenario).items() if len(v)}
    layers["metadata"] = pd.DataFrame(
        {"key": list(table), "value": [json.dumps(jsonable(v), ensure_ascii=False) for v in table.values()]}
    )
    path = folder / f"{scenario.name}.gpkg"
    for i, (name, frame) in enumerate(layers.items()):
        pyogrio.write_dataframe(
            frame,
            path,
            layer=name,
            driver="GPKG",
            append=i > 0,
            dataset_metadata=meta if i == 0 else None,
            layer_metadata=meta,
        )
    return path.read_bytes()


@dataclass(frozen=True)
class Download:
    """Where a download stands: ``status`` queued/running/done/failed, progress, message, and the bytes once done."""

    status: str
    progress: float
    message: str
    content: bytes | None = None


class Downloads:
    """Builds downloads in one worker thread and keeps them in the ``downloads`` table."""

    def __init__(self, store: Store, base_scenario: str, parties: list[str]) -> None:
        self.store = store
        self.base_scenario = base_scenario
        self.parties = parties
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="delimit-downloads")
        self._progress: dict[str, tuple[float, str]] = {}
        self._base: Any = None
        self._base_lock = threading.Lock()
        with store.write() as s:  # builds a stopped server left unfinished start again when asked
            s.execute(delete(DownloadRow).where(DownloadRow.status.in_(("queued", "running"))))

    def key(self, kind: str, scenario_hash: str) -> str:
        return download_key(kind, scenario_hash, self.base_scenario)

    def get(self, kind: str, scenario_hash: str, document: dict[str, Any]) -> Download:
        """The download if built; otherwise its progress, starting the build if none is under way.

        A failed build is reported once (status ``failed``) and forgotten, so that asking again retries it.
        """
        key = self.key(kind, scenario_hash)
        with self.store.read() as s:
            row = s.get(DownloadRow, key)
            if row is not None and row.status == "done":
                return Download("done", 1.0, "done", row.content)
        if row is not None and row.status == "failed":
            with self.store.write() as s:
                s.execute(delete(DownloadRow).where(DownloadRow.key == key, DownloadRow.status == "failed"))
            return Download("failed", 1.0, row.message)
        if row is None:
            with contextlib.suppress(IntegrityError):  # another server on the same database queued it first
                self._queue(key, kind, document)
            return Download("queued", 0.0, "queued")
        progress, message = self._progress.get(key, (row.progress, row.message))
        return Download(row.status, progress, message)

    def _queue(self, key: str, kind: str, document: dict[str, Any]) -> None:
        """Store the build as queued and hand it to the worker (unless this server queued it already)."""
        with self.store.write() as s:
            if s.get(DownloadRow, key) is None:
                s.add(
                    DownloadRow(
                        key=key,
                        kind=kind,
                        status="queued",
                        progress=0.0,
                        message="queued",
                        content=None,
                        created_at=utc_now(),
                        finished_at=None,
                    )
                )
                s.flush()
                self._pool.submit(self._run, key, kind, document)

    def _set(self, key: str, **values: Any) -> None:
        with self.store.write() as s:
            row = s.get(DownloadRow, key)
            if row is not None:
                for k, v in values.items():
                    setattr(row, k, v)

    def _baseline(self) -> Any:
        from delimit.scenario import load_scenario

        with self._base_lock:
            if self._base is None:
                self._base = load_scenario(self.base_scenario)
            return self._base

    def build(self, kind: str, document: dict[str, Any], progress: ProgressFn) -> bytes:
        """Build one download of a stored proposal document now (in the calling thread)."""
        from delimit.scenario import load_scenario
        from delimit.workspace.evaluation import write_scenario_folder

        if kind not in KINDS:
            raise ValueError(f"unknown download kind {kind!r}")
        if kind == "annex" and len(self.parties) != 2:  # refused before the proposal is loaded
            raise InputError(None, f"a treaty annex is between two parties; this workspace has {len(self.parties)}")
        with tempfile.TemporaryDirectory(prefix="delimit-download-") as d:
            folder = Path(d)
            progress("loading the proposal", 0.0)
            scenario = load_scenario(write_scenario_folder(document, folder / "scenario"))
            if kind == "report":
                return build_report_html(self._baseline(), scenario, folder, progress)
            if kind == "annex":
                return build_annex_zip(scenario, (self.parties[0], self.parties[1]), folder, progress)
            return build_geopackage(scenario, folder)

    def _run(self, key: str, kind: str, document: dict[str, Any]) -> None:
        def progress(message: str, fraction: float) -> None:
            self._progress[key] = (max(0.0, min(1.0, fraction)), message)

        try:
            self._set(key, status="running", message="starting")
            content = self.build(kind, document, progress)
            self._set(key, status="done", progress=1.0, message="done", content=content, finished_at=utc_now())
        except InputError as exc:
            reason = exc.reason + (f" (field {exc.field})" if exc.field else "")
            self._set(key, status="failed", progress=1.0, message=f"the proposal cannot be built: {reason}")
        except Exception as exc:  # an engine fault: recorded as such, with its type, never as a result
            traceback.print_exc()
            self._set(key, status="failed", progress=1.0, message=f"engine error: {type(exc).__name__}: {exc}")
        finally:
            self._progress.pop(key, None)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
