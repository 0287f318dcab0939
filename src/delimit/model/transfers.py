"""Operations on the model that derive one scenario from another: moving land, copying with changes.

The scenario loader applies a file's ``transfers`` with :func:`apply_transfer`; the proposal engine
applies generated ones with the same function (:mod:`delimit.propose.apply`), so a scenario built
in memory equals the one loaded from the file that describes it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from delimit.crs import WGS84
from delimit.errors import InputError
from delimit.model.scenario import Scenario, Transfer

__all__ = ["apply_transfer", "copy_scenario"]


def apply_transfer(
    territory: gpd.GeoDataFrame, t: Transfer, source: str | Path, at: str = "transfers"
) -> gpd.GeoDataFrame:
    """Move the land of ``t.from_party`` inside ``t.geometry`` to ``t.to_party``.

    ``source`` is the file (or the scenario's name, for a scenario built in memory) named in errors;
    ``at`` is the transfer's place in the scenario file (``transfers.0``), named in errors.
    """
    from_mask = (territory["party"] == t.from_party).to_numpy()
    if not from_mask.any():
        raise InputError(source, f"transfer {t.id!r}: party {t.from_party!r} holds no land", field=f"{at}.from")
    geoms = territory.geometry.to_numpy()
    moved: list[shapely.Geometry] = []
    keep_rows: list[dict[str, Any]] = []
    for i, row in enumerate(territory.to_dict("records")):
        g = geoms[i]
        if from_mask[i] and g.intersects(t.geometry):
            inside = shapely.intersection(g, t.geometry)
            rest = shapely.difference(g, t.geometry)
            polys = [p for p in shapely.get_parts(inside) if p.geom_type == "Polygon" and p.area > 0]
            moved.extend(polys)
            for k, part in enumerate(p for p in shapely.get_parts(rest) if p.geom_type == "Polygon" and p.area > 0):
                r = dict(row)
                r["geometry"] = part
                if k:
                    r["part_id"] = f"{row['part_id']}.{k}"
                keep_rows.append(r)
        else:
            keep_rows.append(row)
    if not moved:
        raise InputError(
            source, f"transfer {t.id!r}: its geometry covers no land of {t.from_party!r}", field=f"{at}.geometry"
        )
    for k, poly in enumerate(moved):
        keep_rows.append(
            {
                "part_id": f"{t.id}-{k + 1}",
                "party": t.to_party,
                "name": t.id,
                "status": t.status,
                "source": t.source,
                "geometry": poly,
            }
        )
    out = gpd.GeoDataFrame(keep_rows, geometry="geometry", crs=WGS84)
    return out[territory.columns.tolist()] if set(territory.columns) <= set(out.columns) else out


def copy_scenario(s: Scenario, **changes: Any) -> Scenario:
    """A shallow copy of a scenario with some attributes replaced (engines use it to derive variants: replace a
    layer rather than edit it in place)."""
    new = copy.copy(s)
    for k, v in changes.items():
        setattr(new, k, v)
    return new
