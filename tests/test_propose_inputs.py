"""The library side of ``delimit propose``: zone and unit specs, their files, the size guard, and
:func:`delimit.propose.save` writing a folder that loads back as the scenarios the engine made."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from delimit.crs import equal_area_crs
from delimit.errors import InputError
from delimit.propose import (
    UnitsSpec,
    ZoneSpec,
    apply_proposal,
    build_parcels,
    propose,
    save,
    unit_cells,
    zone_outlines,
)

BOX = (70.50, 39.83, 70.60, 39.90)  # around the south-western edge of Vorukh


def test_zone_specs() -> None:
    assert ZoneSpec.parse("band:2km") == ZoneSpec("band", width_m=2000.0)
    assert ZoneSpec.parse("band:750m").width_m == 750.0
    assert ZoneSpec.parse("disputed:tj-corridor-claim") == ZoneSpec("disputed", other="tj-corridor-claim")
    assert ZoneSpec.parse("zone.geojson") == ZoneSpec("polygon", path="zone.geojson")
    for bad in ("band:", "band:-1km", "band:wide", "disputed:"):
        with pytest.raises(InputError) as err:
            ZoneSpec.parse(bad)
        assert err.value.field == "zone"


def test_unit_specs() -> None:
    assert UnitsSpec.parse("hex:500m") == UnitsSpec("hex", size_m=500.0)
    assert UnitsSpec.parse("square:1.5km") == UnitsSpec("square", size_m=1500.0)
    assert UnitsSpec.parse("voronoi") == UnitsSpec("voronoi")
    assert UnitsSpec.parse("parcels:cadastre.gpkg") == UnitsSpec("parcels", path="cadastre.gpkg")
    assert UnitsSpec.parse("cadastre.gpkg") == UnitsSpec("parcels", path="cadastre.gpkg")
    for bad in ("hex", "hex:-5m", "square:abc"):
        with pytest.raises(InputError) as err:
            UnitsSpec.parse(bad)
        assert err.value.field == "units"


def test_a_polygon_zone_file_without_polygons_is_refused(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    s = scenario("status-quo")
    path = tmp_path / "points.geojson"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(70.55, 39.86)], crs=4326).to_file(path)
    with pytest.raises(InputError) as err:
        zone_outlines(s, ("KGZ", "TJK"), ZoneSpec.parse(str(path)))
    assert err.value.field == "zone" and "holds no polygon" in str(err.value)


def test_unit_cells_refuse_work_past_the_limit_before_building_a_grid(scenario) -> None:  # type: ignore[no-untyped-def]
    s = scenario("status-quo")
    zone = shapely.box(*BOX)
    # the box is about 8.5 x 7.8 km: 1 m hexagons would be some 77 million cells
    with pytest.raises(InputError) as err:
        unit_cells(s, zone, UnitsSpec.parse("hex:1m"), max_parcels=100_000)
    assert err.value.field == "units" and "above the limit of 100,000" in str(err.value)
    cells = unit_cells(s, zone, UnitsSpec.parse("square:2km"), max_parcels=100_000)
    # 2 km squares over the box: together covering it, each 4 km2 (equal-area CRS)
    assert shapely.union_all(cells).buffer(1e-9).covers(zone)
    areas_km2 = gpd.GeoSeries(cells, crs=4326).to_crs(equal_area_crs(zone)).area.to_numpy() / 1e6
    assert areas_km2 == pytest.approx(np.full(len(cells), 4.0), rel=0.01)


def test_save_writes_scenarios_that_load_as_the_engine_applied_them(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    from delimit import load_scenario

    s = scenario("status-quo")
    zone_file = tmp_path / "zone.geojson"
    gpd.GeoDataFrame({"name": ["box"]}, geometry=[shapely.box(*BOX)], crs=4326).to_file(zone_file)
    z, cut = zone_outlines(s, ("KGZ", "TJK"), ZoneSpec.parse(str(zone_file)))
    cells = unit_cells(s, z, UnitsSpec.parse("hex:1km"))
    graph = build_parcels(s, ("KGZ", "TJK"), z, cells, cut_zone=cut)
    result = propose(s, graph, method="exact", n=2, seed=3)
    assert result.proposals, result.info["notes"]
    out = tmp_path / "proposals"
    summary = save(result, out, base="status-quo")
    on_disk = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert on_disk["files"] == summary["files"] == sorted(summary["files"])
    assert {f"{p.id}.yaml" for p in result.proposals} <= set(summary["files"])
    assert all((out / f).is_file() for f in summary["files"])
    for p in result.proposals:
        loaded = load_scenario(out / f"{p.id}.yaml")
        applied = apply_proposal(s, graph, p.assign, proposal_id=p.id, source=p.source)
        for party in ("KGZ", "TJK"):
            a, b = loaded.party_geometry(party), applied.party_geometry(party)
            assert shapely.symmetric_difference(a, b).area <= 1e-9 * a.area
    parcels = gpd.read_file(out / "proposals.gpkg", layer="parcels")
    moved = parcels[parcels[f"after_{result.proposals[0].id}"] != parcels["party_before"]]
    assert len(moved) == int(np.sum(result.proposals[0].assign[: graph.n_parcels] != graph.holder[: graph.n_parcels]))
