"""Run the topology census as independent Dask tasks: the one place where delimit distributes work.

The engines stay pure (:func:`delimit.topology.engine.analyse_territory` knows nothing of Dask); this
module splits a census into tasks, runs them on a ``dask.distributed`` cluster (or serially), and
merges the results deterministically. The CLI (``delimit census``) and the benchmarks call it.

The split: parts per party, necks per group of parts
----------------------------------------------------
Three kinds of task, each piece of work done once:

* **dissolve** ``P``: ``P``'s rows checked and dissolved into its parts
  (:func:`delimit.topology.engine.dissolve_territory`). A party's parts depend only on its own rows.
* **parts** ``P``: ``analyse_territory(parts of P and of every party whose land comes within
  CONTEXT_M metres of P's, parties=[P], neck_search=False, dissolved=True)``, fed by those
  parties' dissolve tasks (Dask dependencies), gives ``P``'s parts, kinds, hosts, overlaps, gaps
  and perimeters, the same as one call on the whole file:

  - a party's parts, mainland and gaps depend only on that party's own rows;
  - whether a part is an enclave, and who hosts or overlaps it, depends only on land within the
    engine's snapping tolerance (2 m) of the part (:func:`delimit.topology.parts.surroundings`):
    every party with land within ``CONTEXT_M`` (1 km, 500 times that tolerance) is in the task,
    with all of its land; land farther away shares no boundary with the part and cannot change it.

  Only ``P``'s own parts are measured (areas, perimeters, surroundings); the neighbours' parts are
  there to be measured against.
* **necks** ``(P, k)``: the neck search (the costly step, the morphological opening) on the ``k``-th
  of ``CensusTask.neck_chunks`` groups of ``P``'s parts, balanced by vertex count
  (:func:`neck_group`), taken from the parts task's result (a Dask dependency). A part's necks depend on that part alone, so the groups' necks, sorted again
  (:func:`delimit.topology.engine.sort_necks`), are those of one call on all the parts.

Connected groups of touching parties would also be exact, but the world's land borders join
Eurasia and Africa into one group, leaving one task doing almost all the work.

Areas are measured in an equal-area frame chosen from the data's extent (Lambert azimuthal
equal-area centred on the data up to 30°, the ellipsoid beyond); every task is given the whole
file's extent (``frame_bounds``), so its areas are those of one run over the whole file. The same
tasks run whether serially (``workers=1``), on a local cluster or on a remote scheduler, and the
results are merged in party order: every output is identical, bit for bit, whichever way it runs.
"""

from __future__ import annotations

import logging
import math
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from delimit.crs import WGS84
from delimit.errors import InputError

#: Parties with land within this distance (metres) of a party's land are its context in the census.
CONTEXT_M = 1000.0
#: Metres per degree of latitude (mean), for turning CONTEXT_M into a degree tolerance.
M_PER_DEG = 111_320.0
#: A neck task takes parts of about this many vertices (a part bigger than that is a task of its own).
NECK_TASK_VERTICES = 100_000
#: Seconds to wait for a Dask scheduler to answer before refusing it.
CONNECT_TIMEOUT_S = 3.0

ProgressFn = Callable[[str, float], None]


@dataclass(frozen=True)
class CensusOptions:
    """The topology parameters of a census (see :func:`delimit.topology.engine.analyse_territory`)."""

    neck_width_m: float = 1000.0
    overlap_m: float = 1000.0
    artefact_m: float = 10.0


@dataclass(frozen=True)
class CensusTask:
    """One party: its own rows, the parties whose land its analysis needs, the whole file's extent."""

    party: str
    context: tuple[str, ...]
    territory: gpd.GeoDataFrame
    frame_bounds: tuple[float, float, float, float]
    #: how many neck tasks share the party's parts (:func:`neck_group`)
    neck_chunks: int = 1


@dataclass
class PartyCensus:
    """The census of one party: its parts and necks (WGS84), the frames they were measured in, seconds taken."""

    party: str
    context: tuple[str, ...]
    crs: str
    parts: gpd.GeoDataFrame
    necks: gpd.GeoDataFrame
    seconds: float
    #: seconds of each of the party's neck tasks (``seconds`` is its parts task's)
    neck_seconds: tuple[float, ...] = ()
    #: seconds of the task dissolving the party's rows
    dissolve_seconds: float = 0.0


@dataclass
class PartyLand:
    """One party's rows dissolved into its parts (WGS84, column ``party``) and the seconds it took."""

    party: str
    parts: gpd.GeoDataFrame
    seconds: float


@dataclass
class NeckCensus:
    """The necks of one group of a party's parts (WGS84) and the seconds the neck task took."""

    party: str
    chunk: int
    necks: gpd.GeoDataFrame
    seconds: float


@dataclass
class CensusResult:
    """Every party's census, in party order, with how it ran."""

    parties: list[PartyCensus]
    options: CensusOptions
    run: dict[str, Any] = field(default_factory=dict)

    @property
    def parts(self) -> gpd.GeoDataFrame:
        """All parts, by party then area (largest first)."""
        return _concat([p.parts for p in self.parties])

    @property
    def necks(self) -> gpd.GeoDataFrame:
        """All necks, by party then width (narrowest first)."""
        return _concat([p.necks for p in self.parties])


def _concat(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=WGS84))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=WGS84)


def _deg(metres: float, lat: float) -> float:
    """A tolerance in degrees at least ``metres`` in every direction at latitude ``lat`` (degrees)."""
    return metres / (M_PER_DEG * max(math.cos(math.radians(min(abs(lat), 89.0))), 0.01))


def neighbours(territory: gpd.GeoDataFrame, context_m: float = CONTEXT_M) -> dict[str, set[str]]:
    """For every party, the other parties with land within ``context_m`` metres of its land."""
    geoms = territory.geometry.values
    party = territory["party"].astype(str).to_numpy()
    out: dict[str, set[str]] = {p: set() for p in sorted(set(party.tolist()))}
    if len(geoms) == 0:
        return out
    b = shapely.total_bounds(geoms)
    tol = _deg(context_m, max(abs(b[1]), abs(b[3])))
    left, right = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=tol)
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if party[i] != party[j]:
            out[str(party[i])].add(str(party[j]))
    return out


def census_tasks(
    territory: gpd.GeoDataFrame, context_m: float = CONTEXT_M, neck_task_vertices: int = NECK_TASK_VERTICES
) -> list[CensusTask]:
    """One parts task per party (sorted), holding the party's rows and every neighbour's rows, with the
    number of neck tasks its parts are shared among (one per ``neck_task_vertices`` of its rows)."""
    near = neighbours(territory, context_m)
    party = territory["party"].astype(str)
    frame = tuple(float(v) for v in shapely.total_bounds(territory.geometry.values))
    vertices = shapely.get_num_coordinates(territory.geometry.values)
    tasks = []
    for p in sorted(near):
        context = tuple(sorted(near[p]))
        mine = (party == p).to_numpy()
        rows = territory[mine].reset_index(drop=True)
        own = int(vertices[mine].sum())
        chunks = max(1, math.ceil(own / max(1, neck_task_vertices)))
        tasks.append(CensusTask(p, context, rows, frame, chunks))  # type: ignore[arg-type]
    return tasks


def run_dissolve(task: CensusTask) -> PartyLand:
    """A party's rows checked and dissolved into its parts (pure; each party once, whatever needs it)."""
    from delimit.topology.engine import dissolve_territory

    t0 = time.perf_counter()
    parts = dissolve_territory(task.territory, name=task.party)
    return PartyLand(task.party, parts, time.perf_counter() - t0)


def run_task(task: CensusTask, options: CensusOptions, *dissolved: PartyLand) -> PartyCensus:
    """A party's parts among its neighbours' (``dissolved``: the parts of the party and of each party of
    its context, from :func:`run_dissolve`), without necks (pure; what every worker runs)."""
    from delimit.topology.engine import analyse_territory

    t0 = time.perf_counter()
    res = analyse_territory(
        gpd.GeoDataFrame(pd.concat([d.parts for d in dissolved], ignore_index=True), geometry="geometry", crs=WGS84),
        name=task.party,
        neck_width_m=options.neck_width_m,
        overlap_m=options.overlap_m,
        artefact_m=options.artefact_m,
        parties=[task.party],
        workers=1,
        frame_bounds=task.frame_bounds,
        neck_search=False,
        dissolved=True,
    )
    own = dissolved[0].seconds if dissolved and dissolved[0].party == task.party else 0.0
    return PartyCensus(task.party, task.context, res.crs, res.parts, res.necks, time.perf_counter() - t0, (), own)


def neck_group(parts: gpd.GeoDataFrame, chunk: int, chunks: int) -> np.ndarray:
    """Rows of ``parts`` in group ``chunk`` of ``chunks``: largest parts (by vertices) first, each into the
    group holding the fewest vertices so far (ties: the lower group). Deterministic: it depends only on the
    parts, which are the same however the census runs."""
    sizes = shapely.get_num_coordinates(parts.geometry.values)
    load = np.zeros(max(1, chunks), dtype=np.int64)
    group = np.zeros(len(parts), dtype=np.int64)
    for i in np.argsort(-sizes, kind="stable"):
        g = int(np.argmin(load))
        group[i] = g
        load[g] += int(sizes[i])
    return np.flatnonzero(group == chunk)


def run_neck_task(parts: PartyCensus, chunk: int, chunks: int, options: CensusOptions) -> NeckCensus:
    """The necks of group ``chunk`` of a party's parts (:func:`neck_group`; pure; what every worker runs)."""
    from delimit.topology.engine import part_necks

    t0 = time.perf_counter()
    rows = parts.parts.iloc[neck_group(parts.parts, chunk, chunks)]
    necks = part_necks(
        rows.geometry.values,
        rows["party"].to_numpy(dtype=object),
        rows["id"].to_numpy(dtype=object),
        options.neck_width_m,
        options.artefact_m,
        workers=1,
    )
    return NeckCensus(parts.party, chunk, necks, time.perf_counter() - t0)


def with_necks(parts: PartyCensus, necks: list[NeckCensus]) -> PartyCensus:
    """A party's census: its parts task's result with the necks of all its neck tasks, in the engine's order."""
    from delimit.topology.engine import sort_necks

    found = [n.necks for n in sorted(necks, key=lambda n: n.chunk) if len(n.necks)]
    table = sort_necks(pd.concat(found, ignore_index=True)) if found else parts.necks
    table = gpd.GeoDataFrame(table, geometry="geometry", crs=WGS84)
    return PartyCensus(
        parts.party,
        parts.context,
        parts.crs,
        parts.parts,
        table,
        parts.seconds,
        tuple(n.seconds for n in sorted(necks, key=lambda n: n.chunk)),
        parts.dissolve_seconds,
    )


# ------------------------------------------------------------------------------------------ executors


@contextmanager
def local_client(workers: int, processes: bool = True) -> Iterator[Any]:
    """A client of a ``LocalCluster`` on this machine, closed on exit: ``workers`` single-threaded workers (in
    processes, or threads with ``processes=False``), no dashboard, quiet logs."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client


def machine_workers() -> int:
    """Workers a local cluster gets by default: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


_ADDRESS = re.compile(r"^(tcp|tls)://[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")


def check_scheduler_address(address: str) -> str:
    """``tcp://HOST:PORT`` (or ``tls://``), else InputError naming ``--scheduler``."""
    text = address.strip()
    if not _ADDRESS.match(text):
        raise InputError(None, f"scheduler address {text[:80]!r} is not tcp://HOST:PORT", field="scheduler")
    return text


def connect(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> Any:
    """A ``dask.distributed.Client`` on ``address``; InputError (one line) when nothing answers in time."""
    from distributed import Client

    addr = check_scheduler_address(address)
    try:
        return Client(addr, timeout=f"{timeout_s}s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise InputError(
            None, f"no Dask scheduler answered at {addr} within {timeout_s:g} s ({reason})", field="scheduler"
        ) from None


def _run_on(client: Any, tasks: list[CensusTask], options: CensusOptions, progress: ProgressFn) -> list[PartyCensus]:
    """Submit every parts task and, depending on it, its neck tasks; gather them as they finish; return the
    parties' censuses in task (party) order."""
    from distributed import as_completed

    lands = {t.party: client.submit(run_dissolve, t, key=f"census-land-{t.party}", pure=False) for t in tasks}
    parts = [
        client.submit(
            run_task, t, options, *[lands[p] for p in (t.party, *t.context)], key=f"census-{k}-{t.party}", pure=False
        )
        for k, t in enumerate(tasks)
    ]
    necks = [
        client.submit(
            run_neck_task, parts[k], c, t.neck_chunks, options, key=f"census-necks-{k}-{c}-{t.party}", pure=False
        )
        for k, t in enumerate(tasks)
        for c in range(t.neck_chunks)
    ]
    owner = {f.key: k for k, f in enumerate(parts)}
    owner.update({f.key: int(str(f.key).split("-")[2]) for f in necks})
    got: list[PartyCensus | None] = [None] * len(tasks)
    found: list[list[NeckCensus]] = [[] for _ in tasks]
    total = len(parts) + len(necks)
    for done, fut in enumerate(as_completed([*parts, *necks], loop=client.loop), start=1):
        res = fut.result()
        if isinstance(res, NeckCensus):
            found[owner[fut.key]].append(res)
        else:
            got[owner[fut.key]] = res
        progress(f"census: {done}/{total} tasks", done / total)
    return [with_necks(p, n) for p, n in zip(got, found, strict=True) if p is not None]


def _run_serially(tasks: list[CensusTask], options: CensusOptions, progress: ProgressFn) -> list[PartyCensus]:
    """The same tasks as :func:`_run_on`, one after another in this process."""
    total = sum(1 + t.neck_chunks for t in tasks)
    done = 0
    out = []
    lands = {t.party: run_dissolve(t) for t in tasks}
    for t in tasks:
        parts = run_task(t, options, *[lands[p] for p in (t.party, *t.context)])
        necks = []
        for c in range(t.neck_chunks):
            necks.append(run_neck_task(parts, c, t.neck_chunks, options))
            done += 1
        done += 1
        out.append(with_necks(parts, necks))
        progress(f"census: {done}/{total} tasks", done / total)
    return out


def run_census(
    territory: gpd.GeoDataFrame,
    options: CensusOptions = CensusOptions(),
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    processes: bool = True,
    progress: ProgressFn | None = None,
) -> CensusResult:
    """The census of every party in ``territory`` (WGS84, column ``party``).

    ``scheduler`` (``tcp://HOST:PORT``): run on that Dask cluster. Otherwise ``workers=1`` runs the
    tasks serially in this process, and any other count (default: :func:`machine_workers`, at most
    one per party) on a ``LocalCluster`` of single-threaded workers (``processes=False``: threads of
    this process). The result is the same whichever way it runs (see the module docstring).
    """
    report = progress or (lambda _m, _f: None)
    if workers is not None and workers < 1:
        raise InputError(None, f"--workers must be at least 1, got {workers}", field="workers")
    if len(territory) == 0:
        raise InputError(None, "the boundaries hold no land (no features): nothing to analyse", field="boundaries")
    tasks = census_tasks(territory)
    t0 = time.perf_counter()
    mode: dict[str, Any]
    if scheduler:
        client = connect(scheduler)
        try:
            mode = {"executor": "scheduler", "scheduler": scheduler}
            results = _run_on(client, tasks, options, report)
        finally:
            client.close()
    else:
        n = min(workers or machine_workers(), sum(1 + t.neck_chunks for t in tasks))
        if n <= 1:
            mode = {"executor": "serial", "workers": 1}
            results = _run_serially(tasks, options, report)
        else:
            mode = {"executor": "LocalCluster", "workers": n, "processes": processes}
            with local_client(n, processes) as client:
                results = _run_on(client, tasks, options, report)
    mode["tasks"] = len(tasks)
    mode["neck_tasks"] = sum(t.neck_chunks for t in tasks)
    mode["seconds"] = round(time.perf_counter() - t0, 3)
    return CensusResult(results, options, mode)


# ------------------------------------------------------------------------- any batch of independent tasks


@dataclass
class BatchResult:
    """The results of :func:`run_batch`, in item order, with each task's seconds (wall, and CPU of the
    thread that ran it: on a shared machine the CPU seconds show the work, the wall seconds the wait too)
    and how the batch ran."""

    results: list[Any]
    seconds: list[float]
    run: dict[str, Any] = field(default_factory=dict)
    cpu_seconds: list[float] = field(default_factory=list)


#: A task's outcome: its result, its wall seconds, delimit's error it raised (portable) if any, its CPU seconds.
Outcome = tuple[Any, float, Any, float]


def _timed(fn: Callable[[Any, Any], Any], shared: Any, item: Any) -> Outcome:
    """``fn(shared, item)``, the seconds it took, delimit's error if it raised one, and the CPU seconds
    of the thread that ran it (what every worker runs).

    delimit's errors (:class:`delimit.errors.DelimitError`: bad input, an engine's failure) take
    keyword arguments that pickle cannot replay, so they travel back as (class, args, attributes)
    and are raised again, unchanged, by the caller (:func:`_raise_portable`).
    """
    from delimit.errors import DelimitError

    t0, c0 = time.perf_counter(), time.thread_time()
    try:
        out = fn(shared, item)
    except DelimitError as exc:
        error = (type(exc), exc.args, dict(vars(exc)))
        return None, time.perf_counter() - t0, error, time.thread_time() - c0
    return out, time.perf_counter() - t0, None, time.thread_time() - c0


def _raise_portable(error: Any) -> None:
    """Raise the error :func:`_timed` carried back (same class, message and attributes), if any."""
    if error is None:
        return
    cls, args, attrs = error
    exc = cls.__new__(cls)
    exc.args = args
    vars(exc).update(attrs)
    raise exc


#: The environment variable naming a Dask scheduler when no ``--workers``/``--scheduler`` is given.
SCHEDULER_ENV = "DELIMIT_SCHEDULER"


def choose_executor(
    workers: int | None, scheduler: str | None, environ: dict[str, str] | None = None
) -> tuple[int | None, str | None]:
    """``--workers`` or ``--scheduler`` (or ``$DELIMIT_SCHEDULER`` when neither is given); both is an error.

    Returns ``(workers, scheduler)`` with the scheduler's address checked (``tcp://HOST:PORT``).
    """
    env = os.environ if environ is None else environ
    if workers is not None and workers < 1:
        raise InputError(None, f"--workers must be at least 1, got {workers}", field="workers")
    if workers is not None and scheduler:
        raise InputError(None, "give --workers N or --scheduler URL, not both", field="scheduler")
    if workers is None and not scheduler:
        scheduler = env.get(SCHEDULER_ENV) or None
    return workers, (check_scheduler_address(scheduler) if scheduler else None)


def check_scheduler(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> str:
    """Connect to the scheduler at ``address`` and close again: InputError (one line) when nothing answers.

    Callers with long work before their tasks (``propose --evaluate``) check the scheduler first.
    """
    connect(address, timeout_s).close()
    return check_scheduler_address(address)


def _batch_on(
    client: Any, fn: Callable[[Any, Any], Any], shared: Any, items: list[Any], label: str, report: ProgressFn
) -> list[Outcome]:
    """Scatter ``shared`` to every worker once, submit one task per item, gather them in item order."""
    from distributed import as_completed

    batch = uuid.uuid4().hex[:12]
    shared_f = client.scatter(shared, broadcast=True, hash=False) if shared is not None else None
    futures = [
        client.submit(_timed, fn, shared_f, item, key=f"{label}-{batch}-{k}", pure=False)
        for k, item in enumerate(items)
    ]
    index = {f.key: k for k, f in enumerate(futures)}
    out: list[Outcome | None] = [None] * len(items)
    for done, fut in enumerate(as_completed(futures, loop=client.loop), start=1):
        outcome = fut.result()
        if outcome[2] is not None:
            client.cancel(futures)
            _raise_portable(outcome[2])
        out[index[fut.key]] = outcome
        report(f"{label}: {done}/{len(items)}", done / len(items))
    return [r for r in out if r is not None]


def run_batch(
    fn: Callable[[Any, Any], Any],
    items: list[Any],
    shared: Any = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    processes: bool = True,
    label: str = "tasks",
    progress: ProgressFn | None = None,
) -> BatchResult:
    """``[fn(shared, item) for item in items]``, each call a Dask task; results in item order.

    ``fn`` must be a pure, importable function (a worker process imports it by name). ``shared``
    (the baseline scenario, its engine results, a parcel graph, ...) is sent to each worker once
    (scattered, broadcast) rather than with every task, so that each task ships only its small item
    (a proposal's assignment, a scenario). Executors as in :func:`run_census`: ``scheduler``
    (``tcp://HOST:PORT``) runs on that cluster; ``workers=1`` runs serially in this process; any
    other count (default: :func:`machine_workers`, at most one per item) on a ``LocalCluster`` of
    single-threaded workers (``processes=False``: threads of this process). The same calls run
    whichever way, so the results are identical. An exception in a task propagates as raised.
    """
    report = progress or (lambda _m, _f: None)
    if workers is not None and workers < 1:
        raise InputError(None, f"--workers must be at least 1, got {workers}", field="workers")
    t0 = time.perf_counter()
    mode: dict[str, Any]
    pairs: list[Outcome]
    if scheduler:
        client = connect(scheduler)
        try:
            mode = {"executor": "scheduler", "scheduler": scheduler}
            pairs = _batch_on(client, fn, shared, items, label, report)
        finally:
            client.close()
    else:
        n = min(workers or machine_workers(), len(items))
        if n <= 1:
            mode = {"executor": "serial", "workers": 1}
            pairs = []
            for k, item in enumerate(items, start=1):
                pairs.append(_timed(fn, shared, item))
                _raise_portable(pairs[-1][2])
                report(f"{label}: {k}/{len(items)}", k / len(items))
        else:
            mode = {"executor": "LocalCluster", "workers": n, "processes": processes}
            with local_client(n, processes) as client:
                pairs = _batch_on(client, fn, shared, items, label, report)
    mode["tasks"] = len(items)
    mode["seconds"] = round(time.perf_counter() - t0, 3)
    return BatchResult([p[0] for p in pairs], [p[1] for p in pairs], mode, [p[3] for p in pairs])


# ------------------------------------------------------------ comparisons and proposal evaluations as tasks


@dataclass
class CompareContext:
    """What every comparison task shares (scattered once): the baseline, its engine results, the settings.

    ``cache`` holds the baseline's topology and access results (computed once, by
    :func:`baseline_context`); each task starts from a copy of it, so nothing a task adds is kept.
    ``graph``: the parcel graph of a proposal run (for :func:`evaluate_proposal`), else None.
    """

    baseline: Any
    cache: Any
    costs: Any = None
    neck_width_m: float = 1000.0
    with_access: bool = True
    graph: Any = None


@dataclass(frozen=True)
class ProposalItem:
    """One proposal to evaluate: its id, its assignment (party index per graph node) and its source."""

    id: str
    assign: np.ndarray
    source: str


def baseline_context(
    baseline: Any,
    *,
    costs: Any = None,
    neck_width_m: float = 1000.0,
    with_access: bool = True,
    graph: Any = None,
    progress: ProgressFn | None = None,
) -> CompareContext:
    """The baseline's topology and access computed once (in this process), as the tasks' shared context.

    Raises :class:`delimit.impact.EngineFailure` (or the engine's InputError) as :func:`delimit.impact.compare` does.
    """
    from delimit.impact import EngineCache, topology_result
    from delimit.impact.compare import access_rows

    cache = EngineCache(keep_modes=())
    topology_result(baseline, neck_width_m=neck_width_m, cache=cache, progress=progress)
    if with_access:
        access_rows(baseline, cache, progress=progress)
    return CompareContext(baseline, cache, costs, neck_width_m, with_access, graph)


def _fresh_cache(ctx: CompareContext) -> Any:
    """A task's own engine cache, holding the baseline's results (shared read-only with other tasks)."""
    from delimit.impact import EngineCache

    c = ctx.cache
    return EngineCache(topology=dict(c.topology), access=dict(c.access), runs=dict(c.runs), keep_modes=())


def _compare_with_baseline(ctx: CompareContext, scenario: Any) -> Any:
    """:func:`delimit.impact.compare` of ``scenario`` against ``ctx.baseline`` with the context's settings, on a
    fresh engine cache holding the baseline's results."""
    from delimit.impact import compare

    return compare(
        ctx.baseline,
        scenario,
        costs=ctx.costs,
        neck_width_m=ctx.neck_width_m,
        with_access=ctx.with_access,
        cache=_fresh_cache(ctx),
    )


def compare_scenario(ctx: CompareContext, scenario: Any) -> dict[str, Any]:
    """:func:`delimit.impact.compare` of ``scenario`` against ``ctx.baseline`` (pure; one task).

    Returns the comparison's fields except the two scenarios (the caller holds them: see
    :func:`attach_scenarios`), so that no scenario is shipped back from a worker.
    """
    from dataclasses import fields

    c = _compare_with_baseline(ctx, scenario)
    return {f.name: getattr(c, f.name) for f in fields(c) if f.name not in ("baseline", "scenario")}


def attach_scenarios(baseline: Any, scenario: Any, parts: dict[str, Any]) -> Any:
    """The :class:`delimit.impact.Comparison` of :func:`compare_scenario`'s fields and its two scenarios."""
    from delimit.impact import Comparison

    return Comparison(baseline=baseline, scenario=scenario, **parts)


def evaluate_proposal(ctx: CompareContext, item: ProposalItem) -> dict[str, Any]:
    """One proposal's scenario (:func:`delimit.propose.apply_proposal` on ``ctx.graph``) compared with
    the baseline: ``{id, summary, comparison}`` (the summary row and JSON of :class:`delimit.impact.Comparison`)."""
    from delimit.propose.apply import apply_proposal

    after = apply_proposal(ctx.baseline, ctx.graph, item.assign, proposal_id=item.id, source=item.source)
    c = _compare_with_baseline(ctx, after)
    return {"id": item.id, "summary": c.summary_row(), "comparison": c.to_json()}


def summarise(result: CensusResult) -> list[dict[str, Any]]:
    """Per party: parts by kind, enclaves with their hosts, necks (and digitising artefacts) and the narrowest neck."""
    out = []
    for pc in result.parties:
        kinds: dict[str, int] = {}
        for k in pc.parts["kind"].tolist() if len(pc.parts) else []:
            kinds[str(k)] = kinds.get(str(k), 0) + 1
        enclaves = []
        if len(pc.parts):
            for r in pc.parts[pc.parts["kind"] == "enclave"].itertuples(index=False):
                enclaves.append({"part": r.id, "host": r.surrounded_by, "area_km2": round(float(r.area_km2), 6)})
        real = pc.necks[pc.necks["kind"] == "neck"] if len(pc.necks) else pc.necks
        widths = np.asarray(real["min_width_m"], dtype=float) if len(real) else np.array([])
        out.append(
            {
                "party": pc.party,
                "parts_by_kind": dict(sorted(kinds.items())),
                "enclaves": enclaves,
                "necks": len(real),
                "artefact_necks": int(len(pc.necks) - len(real)),
                "narrowest_neck_m": round(float(widths.min()), 3) if len(widths) else None,
                "neighbours": list(pc.context),
                "crs": pc.crs,
            }
        )
    return out


__all__ = [
    "CONTEXT_M",
    "NECK_TASK_VERTICES",
    "BatchResult",
    "CensusOptions",
    "CensusResult",
    "CensusTask",
    "CompareContext",
    "NeckCensus",
    "PartyCensus",
    "PartyLand",
    "ProposalItem",
    "attach_scenarios",
    "baseline_context",
    "census_tasks",
    "check_scheduler",
    "check_scheduler_address",
    "choose_executor",
    "compare_scenario",
    "connect",
    "evaluate_proposal",
    "local_client",
    "machine_workers",
    "neck_group",
    "neighbours",
    "run_batch",
    "run_census",
    "run_dissolve",
    "run_neck_task",
    "run_task",
    "summarise",
    "with_necks",
]
