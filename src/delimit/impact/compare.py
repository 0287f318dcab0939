"""One scenario against a baseline: land, people, roads and water, topology, access, costs.

:func:`compare` is the engine behind ``delimit compare`` and ``delimit report``. It is pure: it takes
loaded scenarios (and optional unit costs) and returns a :class:`Comparison`, whose
:meth:`Comparison.to_json` is the JSON contract::

    {baseline, scenario, land: [{from, to, area_km2}], people: [{from, to, settlements, population}],
     access: [{regime, class, people_cut_off, person_hours_added}],
     topology: {enclaves_added, enclaves_removed}, ...}

with, in addition, the per-party land balance, roads/water, necks, costs, the CRSs measured in,
units, data marks and both scenarios' provenance.

An engine that fails is an error: :class:`EngineFailure` (naming the engine, the scenario and the
cause) propagates to the caller; an engine's :class:`~delimit.errors.InputError` (bad input) propagates
as it is. Only a caller that asks for it (``keep_going=True``, ``delimit report
--keep-going``) gets the failed section as :class:`Unavailable` with ``failed=True`` and the reason,
and must say so (the report names every failed section at its top). A section skipped on request
(``with_access=False``) is :class:`Unavailable` with the reason "not requested".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from delimit import access as access_engine
from delimit import topology as topology_engine
from delimit.access.network import Mode, NetworkCache
from delimit.access.travel import compare_rows
from delimit.errors import DelimitError, InputError
from delimit.impact.access_change import access_changes, access_key, headline_classes, regime_pairs
from delimit.impact.costs import CostEstimate, UnitCosts, estimate_costs
from delimit.impact.features import FeatureChange, feature_changes
from delimit.impact.land import LandChange, describe_crs, land_changes, measurement_crs
from delimit.impact.people import PeopleChange, people_changes
from delimit.impact.topology_change import TopologyChange, topology_changes
from delimit.model.scenario import Scenario

ProgressFn = Callable[[str, float], None]

#: Layers whose data marks every comparison reports (all it reads).
LAYERS_USED = ("territory", "settlements", "roads", "crossings", "rivers", "water_bodies")

UNITS = {
    "area_km2": "square kilometres (equal-area CRS)",
    "length": "kilometres (metric CRS)",
    "population": "persons, each counted once (a city or municipality figure is not added to its listed villages: part_of); settlements of unknown population are counted in population_unknown, never as 0 people",
    "person_hours": "hours: population x extra minutes / 60 of one trip each, over settlements reachable under both (delimit.access definitions)",
    "width_m": "metres",
}


@dataclass(frozen=True)
class Unavailable:
    """A section that was not computed: which one, why (one sentence), and whether an engine failed.

    ``failed=False``: skipped on request (``with_access=False``). ``failed=True``: the engine raised and
    the caller asked to keep going; whoever shows the result must say that it is incomplete.
    """

    section: str
    reason: str
    failed: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"available": False, "section": self.section, "reason": self.reason, "failed": self.failed}


class EngineFailure(DelimitError):
    """The topology or access engine raised on a scenario: the comparison cannot be complete.

    ``section`` is ``"topology"`` or ``"access"``; the engine's own exception is ``__cause__``.
    The CLI prints :attr:`message` on one line and exits with status 1.
    """

    def __init__(self, section: str, scenario: str, cause: BaseException) -> None:
        self.section = section
        self.scenario = scenario
        self.message = f"the {section} engine failed on {scenario!r}: {type(cause).__name__}: {cause}"
        super().__init__(self.message)

    def unavailable(self) -> Unavailable:
        """This failure as the section a caller that keeps going reports (``failed=True``)."""
        return Unavailable(self.section, self.message, failed=True)


@dataclass
class EngineCache:
    """Results of the topology and access engines per scenario name, shared across comparisons.

    A report compares several scenarios against one baseline; the baseline's topology and access
    are computed once. Keys are scenario names; values are engine results, or :class:`Unavailable`
    (``failed=True``) for an engine that failed while the caller kept going.
    """

    topology: dict[str, Any] = field(default_factory=dict)
    access: dict[str, Any] = field(default_factory=dict)
    #: The access engine's networks (:class:`delimit.access.network.NetworkCache`): one per scenario,
    #: mode and off-road setting, shared by the comparison, the report's figures and its chokepoints.
    networks: NetworkCache = field(default_factory=lambda: NetworkCache(build=access_engine.build_network))
    #: Travel-time rows per (access content, class, target): minutes, km and reachability, without the
    #: off-road share or the reasons of unreachable settlements (``travel_times(details=False)``).
    runs: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: Modes whose networks are kept in :attr:`networks` for later use (the report's travel-time and
    #: chokepoint figures use vehicle networks only). A terrain (foot) network holds ~200 MB on the
    #: Fergana data; it is released once the scenario's travel times are computed. ``()`` keeps none.
    keep_modes: tuple[str, ...] = ("vehicle",)


@dataclass(frozen=True)
class Comparison:
    """Everything that changes from ``baseline`` to ``scenario`` (see the module docstring)."""

    baseline: Scenario
    scenario: Scenario
    land: LandChange
    people: PeopleChange
    features: FeatureChange
    topology: TopologyChange | Unavailable
    access: pd.DataFrame | Unavailable
    costs: CostEstimate | None
    neck_width_m: float

    @property
    def data_marks(self) -> dict[str, list[str]]:
        """Non-registry statuses of both scenarios' data (union per layer)."""
        out: dict[str, set[str]] = {}
        for s in (self.baseline, self.scenario):
            for k, v in s.data_marks(LAYERS_USED).items():
                out.setdefault(k, set()).update(v)
        return {k: sorted(v) for k, v in sorted(out.items())}

    def crs(self) -> dict[str, str]:
        d = {"areas": describe_crs(self.land.crs), "lengths": describe_crs(self.features.length_crs)}
        if not isinstance(self.topology, Unavailable):
            d["topology"] = self.topology.crs
        return d

    def summary_row(self) -> dict[str, Any]:
        """One line for summary tables: totals of each section."""
        acc = self.access
        if isinstance(acc, Unavailable) or not len(acc):
            cut, hours = None, None
        else:
            # Headline: the default regime, residents of each party by vehicle (disjoint origins).
            head = acc[acc["default"] & acc["class"].isin(headline_classes(self.scenario))]
            cut = int(head["people_cut_off"].fillna(0).sum())
            hours = float(head["person_hours_added"].fillna(0).sum())
        topo = self.topology
        return {
            "scenario": self.scenario.name,
            "land_km2": round(self.land.total_km2, 3),
            "balanced": self.land.is_balanced,
            "settlements": len(self.people.settlements),
            "population": self.people.population,
            "population_unknown": int(self.people.flows["population_unknown"].sum()) if len(self.people.flows) else 0,
            "road_moved_km": round(
                float(self.features.flows.loc[self.features.flows["layer"] == "roads", "amount"].sum())
                if len(self.features.flows)
                else 0.0,
                3,
            ),
            "enclaves_added": None if isinstance(topo, Unavailable) else len(topo.enclaves_added),
            "enclaves_removed": None if isinstance(topo, Unavailable) else len(topo.enclaves_removed),
            "people_cut_off": cut,
            "person_hours_added": None if hours is None else round(hours, 1),
            "cost": None if self.costs is None else round(self.costs.total, 0),
        }

    def to_json(self) -> dict[str, Any]:
        """The JSON contract of ``delimit compare --format json`` (numbers in the units of :data:`UNITS`)."""
        land = [
            {"from": r["from"], "to": r["to"], "area_km2": float(r["area_km2"])} for _, r in self.land.flows.iterrows()
        ]
        people = [
            {
                "from": r["from"],
                "to": r["to"],
                "settlements": int(r["settlements"]),
                "population": int(r["population"]),
                "population_unknown": int(r["population_unknown"]),
            }
            for _, r in self.people.flows.iterrows()
        ]
        if isinstance(self.access, Unavailable):
            access: Any = []
            access_status: dict[str, Any] = self.access.as_dict()
        else:
            access = self.access.to_dict("records")
            access_status = {"available": True}
        if isinstance(self.topology, Unavailable):
            topology: dict[str, Any] = {
                "enclaves_added": None,
                "enclaves_removed": None,
                "necks": None,
                **self.topology.as_dict(),
            }
        else:
            topology = {
                "available": True,
                "enclaves_added": self.topology.enclaves_added,
                "enclaves_removed": self.topology.enclaves_removed,
                "enclaves_resized": self.topology.parts[self.topology.parts["change"] == "resized"].to_dict("records"),
                "necks": self.topology.necks.to_dict("records"),
                "neck_width_m": self.neck_width_m,
                "crs": self.topology.crs,
            }
        return {
            "baseline": self.baseline.name,
            "scenario": self.scenario.name,
            "land": land,
            "land_balance": self.land.balance.to_dict("records"),
            "land_balanced": self.land.is_balanced,
            "land_imbalance": self.land.imbalance,
            "land_balance_tolerance": self.land.tolerance,
            "people": people,
            "settlements_changing_country": self.people.settlements.drop(columns="geometry").to_dict("records"),
            "features": self.features.features.to_dict("records"),
            "feature_flows": self.features.flows.to_dict("records"),
            "roads_added_km": self.features.roads_added_km,
            "access": access,
            "access_status": access_status,
            "topology": topology,
            "costs": self.costs.as_dict()
            if self.costs is not None
            else {
                "available": False,
                "reason": "no unit costs supplied (--costs FILE); delimit ships no default cost figures",
            },
            "crs": self.crs(),
            "units": UNITS,
            "data_marks": self.data_marks,
            "provenance": {
                "baseline": self.baseline.provenance.as_dict(),
                "scenario": self.scenario.provenance.as_dict(),
            },
        }


def topology_key(s: Scenario, neck_width_m: float) -> str:
    """Hash of what the topology engine reads (territory, settlements, roads, water, window) and
    the neck threshold: scenarios with the same land share one analysis."""
    import hashlib

    import shapely

    h = hashlib.sha256(f"{neck_width_m!r}".encode())
    for gdf in (s.territory, s.settlements, s.roads, s.water_bodies, s.window):
        h.update(b"".join(shapely.to_wkb(gdf.geometry.values).tolist()))
        for col in ("party", "name", "population", "part_of", "road_id"):
            if col in gdf.columns:
                h.update(",".join(map(str, gdf[col].tolist())).encode())
    return h.hexdigest()[:16]


def _topology_for(
    s: Scenario, cache: EngineCache, neck_width_m: float, progress: ProgressFn | None, keep_going: bool
) -> Any:
    key = topology_key(s, neck_width_m)
    if key not in cache.topology:
        try:
            cache.topology[key] = topology_engine.analyse(s, neck_width_m=neck_width_m, progress=progress)
        except Exception as exc:
            failure = EngineFailure("topology", s.name, exc)
            if not keep_going:
                if isinstance(exc, InputError):  # bad input stays bad input (exit status 2)
                    raise
                raise failure from exc
            cache.topology[key] = failure.unavailable()
    return cache.topology[key]


def access_rows(
    s: Scenario,
    cache: EngineCache,
    *,
    target: str = "regional-centre",
    progress: ProgressFn | None = None,
    keep_going: bool = False,
) -> Any:
    """{(regime, class): travel-time rows} for every regime and class of ``s`` (cached by scenario
    name; one network per mode).

    Raises :class:`EngineFailure` if the access engine fails; with ``keep_going`` the failure is
    returned (and cached) as :class:`Unavailable` instead.
    """
    key = f"{s.name}@{target}"
    if key in cache.access:
        return cache.access[key]
    modes: set[Mode] = set()
    try:
        out: dict[tuple[str, str], pd.DataFrame] = {}
        runs = [(r, c) for r in sorted(s.regimes) for c in sorted(s.traveller_classes)]
        keys = {rid: access_key(s, rid) for rid in s.regimes}
        for k, (rid, cid) in enumerate(runs):
            # Scenarios with identical land, roads, settlements and rules share one computation.
            content = f"{keys[rid]}/{cid}/{target}"
            if content not in cache.runs:
                mode = s.traveller_class(cid).mode
                modes.add(mode)
                cache.runs[content] = access_engine.travel_times(
                    s,
                    traveller_class=cid,
                    regime=rid,
                    targets=target,
                    network=cache.networks.get(s, mode),
                    details=False,  # comparisons read minutes and reachability only
                ).rows
            out[(rid, cid)] = cache.runs[content]
            if progress:
                progress(f"{rid} / {cid}", (k + 1) / len(runs))
        cache.access[key] = out
    except Exception as exc:
        failure = EngineFailure("access", s.name, exc)
        if not keep_going:
            if isinstance(exc, InputError):  # bad input stays bad input (exit status 2)
                raise
            raise failure from exc
        cache.access[key] = failure.unavailable()
    finally:
        for gone in modes - set(cache.keep_modes):
            cache.networks.release(s, gone)
    return cache.access[key]


def topology_result(
    s: Scenario,
    *,
    neck_width_m: float = 1000.0,
    cache: EngineCache | None = None,
    progress: ProgressFn | None = None,
    keep_going: bool = False,
) -> Any:
    """The topology engine's result for one scenario (cached).

    Raises :class:`EngineFailure` if the engine fails; with ``keep_going``, returns it as :class:`Unavailable`.
    """
    return _topology_for(s, cache or EngineCache(), neck_width_m, progress, keep_going)


def compare(
    baseline: Scenario,
    scenario: Scenario,
    *,
    costs: UnitCosts | None = None,
    neck_width_m: float = 1000.0,
    with_topology: bool = True,
    with_access: bool = True,
    cache: EngineCache | None = None,
    target: str = "regional-centre",
    progress: ProgressFn | None = None,
    keep_going: bool = False,
) -> Comparison:
    """Compare ``scenario`` against ``baseline`` (see the module docstring).

    Parameters
    ----------
    costs:
        Optional unit costs; without them the comparison has no cost estimate.
    neck_width_m:
        Neck threshold for the topology engine (metres).
    with_topology, with_access:
        Skip a section (it is then reported unavailable, "not requested").
    cache:
        Shared engine results across comparisons (the baseline is analysed once).
    target:
        The access engine's travel target (``regional-centre``, ``capital``, ...).
    progress:
        Optional ``(message, fraction)`` callback.
    keep_going:
        If an engine fails, report its section as :class:`Unavailable` (``failed=True``) instead of
        raising :class:`EngineFailure`. The caller must then say that the result is incomplete.

    Raises
    ------
    EngineFailure
        The topology or access engine raised on either scenario (unless ``keep_going``).
    """
    cache = cache if cache is not None else EngineCache()

    def step(msg: str, lo: float, hi: float) -> ProgressFn | None:
        if progress is None:
            return None
        return lambda m, f: progress(f"{msg}: {m}", lo + (hi - lo) * max(0.0, min(1.0, f)))

    if progress:
        progress(f"{scenario.name}: land", 0.0)
    crs = measurement_crs(baseline, scenario)
    land = land_changes(baseline, scenario, crs=crs, progress=step(f"{scenario.name}: land", 0.0, 0.15))
    if progress:
        progress(f"{scenario.name}: people, roads and water", 0.15)
    people = people_changes(baseline, scenario)
    features = feature_changes(baseline, scenario, land)

    topo: TopologyChange | Unavailable
    if not with_topology:
        topo = Unavailable("topology", "not requested")
    else:
        tb = _topology_for(baseline, cache, neck_width_m, step(f"{baseline.name}: topology", 0.25, 0.4), keep_going)
        ts = _topology_for(scenario, cache, neck_width_m, step(f"{scenario.name}: topology", 0.4, 0.55), keep_going)
        bad = tb if isinstance(tb, Unavailable) else ts if isinstance(ts, Unavailable) else None
        topo = bad if bad is not None else topology_changes(tb, ts, neck_width_m=neck_width_m)

    acc: pd.DataFrame | Unavailable
    if not with_access:
        acc = Unavailable("access", "not requested")
    else:
        ab = access_rows(
            baseline,
            cache,
            target=target,
            progress=step(f"{baseline.name}: access", 0.55, 0.75),
            keep_going=keep_going,
        )
        as_ = access_rows(
            scenario,
            cache,
            target=target,
            progress=step(f"{scenario.name}: access", 0.75, 0.95),
            keep_going=keep_going,
        )
        bad = ab if isinstance(ab, Unavailable) else as_ if isinstance(as_, Unavailable) else None
        acc = bad if bad is not None else access_changes(ab, as_, regime_pairs(baseline, scenario), compare_rows)

    estimate = None
    if costs is not None:
        unknown = int(people.flows["population_unknown"].sum()) if len(people.flows) else 0
        estimate = estimate_costs(
            costs,
            population_changing=people.population,
            settlements_unknown_population=unknown,
            bypass_road_km=features.roads_added_km,
        )
    if progress:
        progress(f"{scenario.name}: done", 1.0)
    return Comparison(baseline, scenario, land, people, features, topo, acc, estimate, neck_width_m)
