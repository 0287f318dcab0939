"""Evaluating proposals with the engines, in the background, with progress and a cache.

A job writes the draft out as a scenario folder (``scenario.yaml`` and its ``geometry/*.geojson``),
loads it with :func:`delimit.load_scenario` and runs :func:`delimit.impact.compare` against the
workspace's baseline: land and balance, people, roads and water, and the sections the workspace
enables (topology, access under each regime). Results are cached by a key made of the scenario's
hash, the baseline, the engine version and the sections run, so an identical scenario is evaluated
once. Jobs run one at a time in a worker thread of the server.
"""

from __future__ import annotations

import json
import tempfile
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from delimit import __version__
from delimit.errors import InputError
from delimit.workspace.db import Store
from delimit.workspace.events import canonical_json, sha256_text, utc_now
from delimit.workspace.models import EvaluationRow

SECTIONS = ("topology", "access")


def evaluation_key(scenario_hash: str, base_scenario: str, sections: list[str]) -> str:
    """The cache key of one evaluation."""
    return sha256_text(
        canonical_json(
            {"scenario": scenario_hash, "baseline": base_scenario, "delimit": __version__, "sections": sorted(sections)}
        )
    )


def write_scenario_folder(document: dict[str, Any], folder: Path) -> Path:
    """Write a stored draft as a scenario file with its geometry files; returns the scenario path."""
    (folder / "geometry").mkdir(parents=True, exist_ok=True)
    for name, fc in document["geometry"].items():
        (folder / name).write_text(json.dumps(fc), encoding="utf-8")
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(document["scenario"], sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


class Evaluator:
    """Runs evaluations in one worker thread and keeps their progress and results."""

    def __init__(self, store: Store, base_scenario: str, sections: list[str]) -> None:
        self.store = store
        self.base_scenario = base_scenario
        self.sections = [s for s in sections if s in SECTIONS]
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="delimit-eval")
        self._progress: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        self._base: Any = None
        self._cache: Any = None
        self._forget_interrupted()

    def _forget_interrupted(self) -> None:
        """Jobs left queued or running by a server that stopped are marked failed, so they can be restarted."""
        with self.store.write() as s:
            for row in s.execute(
                select(EvaluationRow).where(EvaluationRow.status.in_(("queued", "running")))
            ).scalars():
                row.status, row.message, row.finished_at = (
                    "failed",
                    "interrupted: the server stopped during the evaluation",
                    utc_now(),
                )

    def key(self, scenario_hash: str) -> str:
        return evaluation_key(scenario_hash, self.base_scenario, self.sections)

    def start(self, scenario_hash: str, document: dict[str, Any]) -> str:
        """Queue an evaluation unless one is cached, queued or running (a failed one is retried)."""
        key = self.key(scenario_hash)
        with self.store.write() as s:
            row = s.get(EvaluationRow, key)
            if row is not None and row.status != "failed":
                return key
            if row is None:
                s.add(
                    EvaluationRow(
                        key=key,
                        status="queued",
                        progress=0.0,
                        message="queued",
                        result=None,
                        created_at=utc_now(),
                        finished_at=None,
                    )
                )
            else:
                row.status, row.progress, row.message, row.result, row.finished_at = "queued", 0.0, "queued", None, None
        self._pool.submit(self._run, key, document)
        return key

    def status(self, scenario_hash: str) -> dict[str, Any] | None:
        key = self.key(scenario_hash)
        with self.store.read() as s:
            row = s.get(EvaluationRow, key)
        if row is None:
            return None
        progress, message = self._progress.get(key, (row.progress, row.message))
        if row.status in ("done", "failed"):
            progress, message = row.progress, row.message
        out: dict[str, Any] = {
            "status": row.status,
            "progress": progress,
            "message": message,
            "sections": ["land", "people", "features", *self.sections],
            "finished_at": row.finished_at,
        }
        out["result"] = json.loads(row.result) if row.status == "done" and row.result else None
        return out

    def _set(self, key: str, **values: Any) -> None:
        with self.store.write() as s:
            row = s.get(EvaluationRow, key)
            for k, v in values.items():
                setattr(row, k, v)

    def _baseline(self) -> Any:
        from delimit.impact import EngineCache
        from delimit.scenario import load_scenario

        if self._base is None:
            self._base, self._cache = load_scenario(self.base_scenario), EngineCache()
        return self._base

    def _run(self, key: str, document: dict[str, Any]) -> None:
        from delimit.impact import compare
        from delimit.scenario import load_scenario

        def progress(message: str, fraction: float) -> None:
            self._progress[key] = (0.2 + 0.8 * max(0.0, min(1.0, fraction)), message)

        try:
            self._set(key, status="running", message="loading the baseline")
            self._progress[key] = (0.0, "loading the baseline")
            base = self._baseline()
            self._progress[key] = (0.1, "loading the proposal")
            with tempfile.TemporaryDirectory(prefix="delimit-eval-") as d:
                other = load_scenario(write_scenario_folder(document, Path(d)))
                c = compare(
                    base,
                    other,
                    with_topology="topology" in self.sections,
                    with_access="access" in self.sections,
                    cache=self._cache,
                    progress=progress,
                )
                result = json.loads(json.dumps(c.to_json(), default=str))
            self._set(
                key, status="done", progress=1.0, message="done", result=canonical_json(result), finished_at=utc_now()
            )
        except InputError as exc:
            self._set(
                key,
                status="failed",
                progress=1.0,
                message=f"the proposal cannot be loaded: {exc.reason}" + (f" (field {exc.field})" if exc.field else ""),
                finished_at=utc_now(),
            )
        except Exception as exc:  # an engine fault: recorded as such, with its type, never as a result
            traceback.print_exc()
            self._set(
                key,
                status="failed",
                progress=1.0,
                message=f"engine error: {type(exc).__name__}: {exc}",
                finished_at=utc_now(),
            )
        finally:
            self._progress.pop(key, None)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
