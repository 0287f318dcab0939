"""Access figures of the report: travel-time maps, chokepoint maps and population-by-band charts.

Wraps the access engine (:mod:`delimit.access`) for the report. Each figure is computed per
(scenario, regime); scenarios with identical land, roads and regime rules share one computation
(e.g. the status quo and a scenario that only changes the default regime). If the engine fails,
:func:`compute` raises :class:`~delimit.impact.EngineFailure`; only with ``keep_going`` does the
caller get the reason as text instead, never invented numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from delimit.access.network import NetworkCache
from delimit.errors import InputError
from delimit.impact.access_change import headline_classes
from delimit.impact.compare import EngineFailure
from delimit.model.scenario import Scenario


@dataclass
class AccessFigureData:
    """What the access engine gave for one (scenario, regime): surfaces per class, chokepoints, rows."""

    surfaces: list[tuple[str, Any]] = field(default_factory=list)
    chokepoints: pd.DataFrame | None = None
    travel_rows: pd.DataFrame | None = None
    errors: list[str] = field(default_factory=list)
    #: Figures left out because the scenario lacks what they need (not failures), one sentence each.
    notes: list[str] = field(default_factory=list)


def resident_rows(rows_by_run: dict[tuple[str, str], pd.DataFrame], scenario: Scenario, regime_id: str) -> pd.DataFrame:
    """Each settlement's travel time as the resident vehicle class of the party holding it.

    Taken from the comparison's cached travel-time rows; settlements of a party without such a
    class are left out (the report says so).
    """
    frames = []
    for cid in headline_classes(scenario):
        rows = rows_by_run.get((regime_id, cid))
        if rows is None:
            continue
        cls = scenario.traveller_classes[cid]
        if cls.party is not None and "party" in rows.columns:
            rows = rows[rows["party"].astype(str) == str(cls.party)]
        frames.append(rows.assign(traveller_class=cid))
    return (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["population", "minutes", "reachable"])
    )


def compute(
    api: Any,
    scenario: Scenario,
    regime_id: str,
    target: str,
    *,
    networks: NetworkCache | None = None,
    rows_by_run: dict[tuple[str, str], pd.DataFrame] | None = None,
    top: int = 10,
    keep_going: bool = False,
) -> AccessFigureData:
    """Run the access engine (``api``: :mod:`delimit.access`) for the figures of one (scenario, regime).

    ``networks``: the caller's network cache (the engine cache of the comparison), so every regime and
    figure of a scenario runs on the networks built once; without it, the networks are built here.

    An engine error raises :class:`~delimit.impact.EngineFailure`; with ``keep_going`` it is recorded
    in :attr:`AccessFigureData.errors` instead.
    """
    data = AccessFigureData()

    def failed(what: str, exc: Exception) -> None:
        if not keep_going:
            if isinstance(exc, InputError):  # bad input stays bad input (exit status 2)
                raise exc
            raise EngineFailure("access", scenario.name, exc) from exc
        data.errors.append(f"{what}: {type(exc).__name__}: {exc}")

    nets = networks if networks is not None else NetworkCache(build=api.build_network)
    if scenario.elevation is None:  # the surface walks off-road from the road nodes over the DEM
        data.notes.append(
            f"No travel-time map: the scenario {scenario.name!r} has no elevation model, which off-road walking needs."
        )
    for cid in headline_classes(scenario) if scenario.elevation is not None else []:
        try:
            net = nets.get(scenario, scenario.traveller_classes[cid].mode)
            data.surfaces.append(
                (
                    cid,
                    api.travel_time_surface(
                        scenario, traveller_class=cid, regime=regime_id, targets=target, network=net
                    ),
                )
            )
        except Exception as exc:
            failed(f"travel-time surface for {cid}", exc)
    # chokepoints on the engine's default vehicle network, the one the travel figures share (off-road travel
    # where the data has land cover), as `delimit chokepoints` by default
    try:
        net = nets.get(scenario, "vehicle")
        data.chokepoints = api.chokepoints(scenario, regime=regime_id, targets=target, top=top, network=net).rows
    except Exception as exc:
        failed("chokepoints", exc)
    if rows_by_run is not None:
        data.travel_rows = resident_rows(rows_by_run, scenario, regime_id)
    return data


def ranked_places(scenario: Scenario, rows: pd.DataFrame) -> pd.DataFrame:
    """Chokepoint rows with ``rank`` (1 = worst, in the engine's order: the ``#N`` of the map) and ``place``:
    a name for people (road names instead of road ids; junctions also "near" their nearest settlement)."""
    out = rows.reset_index(drop=True).copy()
    out["rank"] = list(range(1, len(out) + 1))
    roads = scenario.roads
    road_names = (
        dict(zip(roads["road_id"].astype(str), roads["name"].astype(str), strict=True))
        if len(roads) and "name" in roads
        else {}
    )
    out["place"] = [_place(scenario, r, road_names) for r in out.to_dict("records")]
    return out


def _place(scenario: Scenario, row: dict[str, Any], road_names: dict[str, str]) -> str:
    """'junction of Isfara – Vorukh and Ak-Say – Vorukh, near Vorukh (1.2 km)' for a junction; the name otherwise."""
    name = str(row.get("name") or row.get("id") or "")
    if str(row.get("kind")) != "junction":
        # crossing names count crossings along a road ("#2 from X"): reworded, as "#N" is the map's rank
        return re.sub(r"#(\d+) from ", r"crossing \1 from ", road_names.get(name, name))
    prefix = "junction of "
    if name.startswith(prefix):
        ids = [x.strip() for x in name.removeprefix(prefix).split(",") if x.strip()]
        name = prefix + " and ".join(road_names.get(i, i) or i for i in ids)
    near = nearest_settlement(scenario, float(row["lon"]), float(row["lat"]))
    return f"{name}, near {near}" if near else name


def nearest_settlement(scenario: Scenario, lon: float, lat: float) -> str:
    """'Vorukh (1.2 km)': the settlement nearest to (lon, lat), geodesic distance on WGS84 ('' if none)."""
    import numpy as np

    from delimit.crs import GEOD

    st = scenario.settlements
    if not len(st):
        return ""
    xs, ys = st.geometry.x.to_numpy(), st.geometry.y.to_numpy()
    _, _, dist = GEOD.inv(np.full(len(xs), lon), np.full(len(ys), lat), xs, ys)
    k = int(np.argmin(dist))
    return f"{st['name'].iloc[k]} ({dist[k] / 1000:.1f} km)"
