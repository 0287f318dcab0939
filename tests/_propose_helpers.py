"""Tiny synthetic parcel graphs for the proposal tests: brick-pattern cells between two anchors."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from delimit.crs import WGS84, equal_area_crs
from delimit.propose.graph import ParcelGraph, build_graph

X0, Y0, W, H = 70.50, 40.00, 0.01, 0.008


def brick_instance(rows: int, cols: int, seed: int = 0, *, split: int | None = None, pops: bool = True) -> ParcelGraph:
    """``rows x cols`` brick cells (odd rows offset by half a cell, so cells meet along edges only),
    party A (index 0) left of column ``split``, B right; A's and B's land continues outside as anchors."""
    rng = np.random.default_rng(seed)
    split = cols // 2 if split is None else split
    cells, party = [], []
    xmax = X0 + cols * W
    for r in range(rows):
        off = (W / 2) if r % 2 else 0.0
        edges = [X0] + [X0 + off + c * W for c in range(1, cols)] + [xmax]
        for c in range(cols):
            cells.append(shapely.box(edges[c], Y0 + r * H, edges[c + 1], Y0 + (r + 1) * H))
            party.append("AAA" if c < split else "BBB")
    zone = shapely.box(X0, Y0, xmax, Y0 + rows * H)
    parcels = gpd.GeoDataFrame({"party": party}, geometry=gpd.GeoSeries(cells, crs=WGS84), crs=WGS84)
    parcels.insert(0, "parcel_id", [f"p{i:03d}" for i in range(len(cells))])
    parcels["cell"] = np.arange(len(cells))
    parcels["area_km2"] = parcels.to_crs(equal_area_crs(zone)).area.to_numpy() / 1e6
    parcels["population"] = rng.integers(0, 400, len(cells)) if pops else 0
    parcels["max_settlement_pop"] = parcels["population"]
    parcels["settlements"] = ""
    parcels["road_ids"] = ""
    parcels["road_km"] = 0.0
    parcels["river_km"] = 0.0
    anchors = gpd.GeoDataFrame(
        {"anchor_id": ["AAA-out", "BBB-out"], "party": ["AAA", "BBB"], "kind": ["outside", "outside"]},
        geometry=gpd.GeoSeries(
            [
                shapely.box(X0 - 5 * W, Y0 - 2 * H, X0, Y0 + (rows + 2) * H).union(
                    shapely.box(X0 - 5 * W, Y0 + rows * H, X0 + split * W - W, Y0 + (rows + 2) * H)
                ),
                shapely.box(xmax, Y0 - 2 * H, xmax + 5 * W, Y0 + (rows + 2) * H),
            ],
            crs=WGS84,
        ),
        crs=WGS84,
    )
    return build_graph(("AAA", "BBB"), parcels, anchors, parcels.geometry.to_numpy(), zone)
