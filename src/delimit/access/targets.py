"""Target sets: where travellers need to get to (capital, regional centre, a town, a user layer).

A target spec resolves to a :class:`TargetSet`: points grouped by *who may use them*. For the
role-based kinds each settlement's target is the nearest target **of its own party**
(``per_party=True``); ``town:N`` and user layers without a ``party`` column are shared by every
settlement whatever its side (``per_party=False``).

* ``capital``: settlements with role ``capital``. The Fergana window holds none of Kyrgyzstan's or
  Tajikistan's (Bishkek and Dushanbe lie outside it): those rows say *no capital of KGZ in the
  data* rather than inventing one.
* ``regional-centre`` / ``district-centre``: settlements with that role (e.g. Batken and Osh for
  KGZ, Khujand for TJK).
* ``town:N``: the nearest settlement of role town or above with more than N people, either side.
* a GeoDataFrame of points (``name`` and, optionally, ``party`` columns used when present).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from delimit.crs import WGS84
from delimit.errors import InputError
from delimit.model.scenario import Scenario, assign_party

ROLE_KINDS = ("capital", "regional-centre", "district-centre")
TOWN_ROLES = ("town", "district-centre", "regional-centre", "capital")


@dataclass(frozen=True)
class TargetSet:
    """Resolved targets.

    Attributes
    ----------
    spec: the spec as given (``'regional-centre'``, ``'town:20000'``, ``'layer'``).
    description: one line for outputs.
    points: DataFrame ``target_id, name, party, lon, lat, settlement_index`` (index into
        ``scenario.settlements`` or -1 for user points).
    per_party: True when each settlement may only use targets of its own party.
    """

    spec: str
    description: str
    points: pd.DataFrame
    per_party: bool


def resolve_targets(scenario: Scenario, targets: str | gpd.GeoDataFrame) -> TargetSet:
    """Resolve a target spec against the scenario's settlements.

    >>> from delimit import load_scenario  # doctest: +SKIP
    >>> resolve_targets(load_scenario("status-quo"), "regional-centre").per_party  # doctest: +SKIP
    True
    """
    st = scenario.settlements
    if isinstance(targets, gpd.GeoDataFrame):
        if len(targets) == 0:
            raise InputError("targets", "the target layer is empty")
        g = targets.to_crs(WGS84) if targets.crs is not None else targets
        if targets.crs is None:
            raise InputError("targets", "the target layer has no CRS (delimit never guesses one)", field="crs")
        if not all(t in ("Point",) for t in g.geometry.geom_type):
            raise InputError("targets", "target features must be Points", field="geometry")
        per_party = "party" in g.columns
        party = g["party"].astype(str).to_numpy() if per_party else assign_party(g, scenario.territory)
        names = (
            g["name"].astype(str).to_numpy()
            if "name" in g.columns
            else np.array([f"target {i + 1}" for i in range(len(g))])
        )
        ids = (
            g["target_id"].astype(str).to_numpy()
            if "target_id" in g.columns
            else np.array([f"t{i + 1}" for i in range(len(g))])
        )
        pts = pd.DataFrame(
            {
                "target_id": ids,
                "name": names,
                "party": party,
                "lon": g.geometry.x.to_numpy(),
                "lat": g.geometry.y.to_numpy(),
                "settlement_index": -1,
            }
        )
        return TargetSet(
            "layer",
            f"{len(g)} user target point(s)" + (", own party's nearest" if per_party else ", nearest on either side"),
            pts,
            per_party,
        )
    spec = str(targets).strip()
    m = re.fullmatch(r"town:(\d+)", spec)
    if m:
        n = int(m.group(1))
        sel = st[st["role"].isin(TOWN_ROLES) & (pd.to_numeric(st["population"], errors="coerce").fillna(0) > n)]
        desc = f"nearest town of more than {n} people, either side"
        per_party = False
    elif spec in ROLE_KINDS:
        sel = st[st["role"] == spec]
        desc = f"own party's nearest {spec}"
        per_party = True
    else:
        raise InputError(
            "targets",
            f"unknown target set {spec!r} (capital, regional-centre, district-centre, town:N, or a point layer)",
            field="targets",
        )
    pos = np.flatnonzero(st.index.isin(sel.index))
    pts = pd.DataFrame(
        {
            "target_id": sel["settlement_id"].astype(str).to_numpy(),
            "name": sel["name"].astype(str).to_numpy(),
            "party": sel["party"].astype(str).to_numpy(),
            "lon": sel.geometry.x.to_numpy(),
            "lat": sel.geometry.y.to_numpy(),
            "settlement_index": pos,
        }
    )
    return TargetSet(spec, desc, pts, per_party)
