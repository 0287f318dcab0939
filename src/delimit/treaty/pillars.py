"""The pillar plan: where demarcation teams set boundary pillars, and whether each sees the next.

Rules, per section, working in *chainage* (geodesic distance along the section from its start):

1. a pillar at every turning point;
2. intermediate pillars on every segment longer than ``max_spacing_m``, evenly spaced, so that no
   two consecutive pillars are farther apart along the line than ``max_spacing_m`` (hence also in
   straight-line distance, which is never longer);
3. a pillar that falls in a water body (lake, reservoir) slides along the line to the nearest dry
   point (``shore_offset_m`` beyond the shore); a turning point in water keeps its number in the
   tables, and its pillar becomes a reference pillar on the shore with the distance recorded;
4. gaps that moving opened are filled again with dry pillars; where a water crossing is itself longer
   than the spacing, the gap is listed in ``spacing_exceptions`` (no pillar can stand in a lake);
5. each pair of consecutive pillars is checked for line of sight on the DEM
   (:mod:`delimit.treaty.visibility`); failing pairs are listed with a suggested extra pillar on
   the line at the highest obstruction, and, with ``add_sight_pillars``, the suggestions are added
   and checked again (up to ``max_sight_rounds`` times).

Positions are computed exactly on each segment's geodesic (:func:`delimit.treaty.geodesy.forward`).
Where water intervals are found, the line is intersected with the polygons in lon/lat and the
fraction along each segment is carried over to its geodesic (the difference is below a millimetre for
segments of a few kilometres).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from delimit.crs import WGS84
from delimit.errors import InputError
from delimit.model.raster import Raster
from delimit.treaty.describe import LineDescription
from delimit.treaty.geodesy import (
    EARTH_RADIUS_M,
    forward,
    inverse,
    to_dms,
    utm_coordinates,
)
from delimit.treaty.terrain import cell_size_m, sample_lonlat
from delimit.treaty.visibility import REFRACTION_K, check_sight

ProgressFn = Callable[[str, float], None]

_KIND_RANK = {"turning point": 0, "intermediate": 1, "sight": 2}


class PillarLimitError(InputError):
    """The pillar plan asked for would exceed the caller's limit (raised before any planning).

    Attributes: ``estimate`` (pillars), ``limit`` (pillars), ``length_m`` (line length, metres),
    ``max_spacing_m``.
    """

    def __init__(self, estimate: int, limit: int, length_m: float, max_spacing_m: float) -> None:
        self.estimate, self.limit, self.length_m, self.max_spacing_m = estimate, limit, length_m, max_spacing_m
        super().__init__(
            None,
            f"a pillar spacing of {max_spacing_m:g} m along {length_m / 1000:,.1f} km of line needs about {estimate:,} pillars, "
            f"more than the limit of {limit:,}",
            field="max_spacing_m",
        )


def estimate_pillars(length_m: float, n_vertices: int, max_spacing_m: float) -> int:
    """Upper bound of the pillars a plan needs: one per vertex plus ``ceil(length / spacing)`` between.

    Pure arithmetic (no layout), so a caller can refuse a plan before it is made.

    >>> estimate_pillars(10_000.0, 3, 1000.0)
    13
    >>> estimate_pillars(1e6, 2, 1e-9) > 10**14
    True
    """
    if not (math.isfinite(max_spacing_m) and max_spacing_m > 0):
        raise InputError(
            None,
            f"maximum pillar spacing must be a positive number of metres, got {max_spacing_m!r}",
            field="max_spacing_m",
        )
    return int(n_vertices) + int(min(math.ceil(max(length_m, 0.0) / max_spacing_m), 10**18))


def check_pillar_budget(length_m: float, n_vertices: int, max_spacing_m: float, max_pillars: int | None) -> int:
    """:func:`estimate_pillars`, raising :class:`PillarLimitError` past ``max_pillars`` (None: no limit)."""
    est = estimate_pillars(length_m, n_vertices, max_spacing_m)
    if max_pillars is not None and est > max_pillars:
        raise PillarLimitError(est, int(max_pillars), float(length_m), float(max_spacing_m))
    return est


@dataclass
class PillarPlan:
    """Pillars along a described line, with their line-of-sight check.

    Attributes
    ----------
    pillars: GeoDataFrame, one row per pillar in order along each section: ``pillar_no, section,
        kind`` (turning point / intermediate / sight), ``turning_point`` (its number, or 0),
        ``chainage_m, lat, lon, lat_dms, lon_dms, utm_zone, easting_m, northing_m, elevation_m,
        moved_m`` (along the line, off water), ``water`` (name of the water body it was moved out
        of), ``in_water`` (still in water: no dry point on the section), ``to_next_m`` (geodesic
        distance to the next pillar), ``along_to_next_m`` (along the line), ``sight_to_next``
        (``clear``/``blocked``/``unknown``/""), ``clearance_m`` (smallest margin of that sight line).
    sight_failures: one row per blocked pair (``from_pillar, to_pillar, section, distance_m,
        clearance_m, obstruction_lat/lon/elevation_m, suggested_chainage_m, suggested_lat/lon``),
        geometry the suggested pillar.
    spacing_exceptions: pairs farther apart than the spacing that cannot be fixed (water crossings).
    settings: spacing, heights, refraction, step, radius.
    """

    pillars: gpd.GeoDataFrame
    sight_failures: gpd.GeoDataFrame
    spacing_exceptions: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """JSON-ready counts."""
        p = self.pillars
        return {
            "pillars": len(p),
            "by_kind": {str(k): int(v) for k, v in p["kind"].value_counts().sort_index().items()},
            "moved_off_water": int((p["moved_m"] > 0).sum()),
            "still_in_water": int(p["in_water"].sum()),
            "max_along_spacing_m": round(float(p["along_to_next_m"].max()), 3) if len(p) else 0.0,
            "sight_pairs_checked": int((p["sight_to_next"] != "").sum()),
            "sight_blocked": int((p["sight_to_next"] == "blocked").sum()),
            "sight_unknown": int((p["sight_to_next"] == "unknown").sum()),
            "sight_failures_listed": len(self.sight_failures),
            "spacing_exceptions": len(self.spacing_exceptions),
            "settings": dict(self.settings),
            "notes": list(self.notes),
        }


# ----------------------------------------------------------------------------- water


def _water(water: Any) -> tuple[list[BaseGeometry], list[str]]:
    if water is None:
        return [], []
    if isinstance(water, gpd.GeoDataFrame | gpd.GeoSeries):
        frame = water.to_crs(WGS84) if water.crs is not None and water.crs != WGS84 else water
        geoms = list(frame.geometry.values) if isinstance(frame, gpd.GeoDataFrame) else list(frame.values)
        names = (
            [str(v) if v is not None and v == v else "" for v in frame["name"]]
            if isinstance(frame, gpd.GeoDataFrame) and "name" in frame.columns
            else [""] * len(geoms)
        )
    elif isinstance(water, BaseGeometry):
        geoms, names = [water], [""]
    else:
        geoms = list(water)
        names = [""] * len(geoms)
    keep = [
        i
        for i, g in enumerate(geoms)
        if g is not None and not g.is_empty and g.geom_type in ("Polygon", "MultiPolygon")
    ]
    return [geoms[i] for i in keep], [names[i] for i in keep]


def _wet_intervals(
    coords: np.ndarray, cum: np.ndarray, tree: shapely.STRtree | None, geoms: list[BaseGeometry], names: list[str]
) -> list[tuple[float, float, str]]:
    """Chainage intervals (start, end, water name) where the section runs through water."""
    if tree is None or len(coords) < 2:
        return []
    segs = shapely.linestrings(np.stack([coords[:-1], coords[1:]], axis=1))
    si, wi = tree.query(segs, predicate="intersects")
    out: list[tuple[float, float, str]] = []
    for s, w in zip(si, wi, strict=True):
        a, b = coords[s], coords[s + 1]
        d = b - a
        dd = float(d @ d)
        if dd == 0:
            continue
        inter = shapely.intersection(segs[s], geoms[w])
        for part in shapely.get_parts(inter):
            if part.geom_type != "LineString" or part.is_empty:
                continue
            pc = np.asarray(part.coords)
            t = np.clip(((pc - a) @ d) / dd, 0.0, 1.0)
            t0, t1 = float(t.min()), float(t.max())
            if t1 - t0 <= 0:
                continue
            seg_len = cum[s + 1] - cum[s]
            out.append((cum[s] + t0 * seg_len, cum[s] + t1 * seg_len, names[w]))
    out.sort()
    merged: list[tuple[float, float, str]] = []
    for c0, c1, nm in out:
        if merged and c0 <= merged[-1][1] + 1e-6:
            p0, p1, pn = merged[-1]
            merged[-1] = (p0, max(p1, c1), pn or nm)
        else:
            merged.append((c0, c1, nm))
    return merged


def _in_wet(c: float, wet: list[tuple[float, float, str]]) -> tuple[float, float, str] | None:
    for iv in wet:
        if iv[0] < c < iv[1]:
            return iv
        if iv[0] > c:
            break
    return None


# ----------------------------------------------------------------------------- positions


def _positions(coords: np.ndarray, cum: np.ndarray, az: np.ndarray, chain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """lon/lat of chainages along a section (exact vertex coordinates at vertices)."""
    chain = np.asarray(chain, dtype=float)
    i = np.clip(np.searchsorted(cum, chain, side="right") - 1, 0, len(cum) - 2)
    off = chain - cum[i]
    lon, lat = forward(coords[i, 0], coords[i, 1], az[i], off)
    at_vertex = np.isclose(chain[:, None], cum[None, :], rtol=0, atol=1e-9)
    hit = at_vertex.any(axis=1)
    if hit.any():
        j = at_vertex[hit].argmax(axis=1)
        lon[hit] = coords[j, 0]
        lat[hit] = coords[j, 1]
    return lon, lat


# ----------------------------------------------------------------------------- plan


@dataclass
class _P:
    chain: float
    kind: str
    tp: int = 0
    moved: float = 0.0
    water: str = ""
    in_water: bool = False


def _layout_section(
    cum: np.ndarray,
    tp_numbers: list[int],
    closed: bool,
    spacing: float,
    wet: list[tuple[float, float, str]],
    offset: float,
) -> tuple[list[_P], list[tuple[float, float, str]]]:
    """Pillar chainages for one section and the gaps that cannot be closed (water crossings)."""
    length = float(cum[-1])
    ps: list[_P] = []
    for i in range(len(cum)):
        if closed and i == len(cum) - 1:
            ps.append(_P(length, "turning point", tp_numbers[0]))  # the closing vertex: same point as the first
        else:
            ps.append(_P(float(cum[i]), "turning point", tp_numbers[i]))
        if i < len(cum) - 1:
            seg = float(cum[i + 1] - cum[i])
            n_mid = max(0, math.ceil(seg / spacing - 1e-9) - 1)
            for m in range(1, n_mid + 1):
                ps.append(_P(float(cum[i]) + seg * m / (n_mid + 1), "intermediate"))
    # slide pillars out of water
    for p in ps:
        iv = _in_wet(p.chain, wet)
        if iv is None:
            continue
        c0, c1, name = iv
        cands = [c for c in (c0 - offset, c1 + offset) if 0.0 <= c <= length and _in_wet(c, wet) is None]
        if not cands:
            p.in_water, p.water = True, name
            continue
        new = min(cands, key=lambda c: abs(c - p.chain))
        p.moved, p.water, p.chain = abs(new - p.chain), name, new
    ps.sort(key=lambda p: (p.chain, _KIND_RANK[p.kind]))
    # merge pillars that now stand on the same spot (keep the turning point; two turning points,
    # however close, each keep their pillar)
    merged: list[_P] = []
    for p in ps:
        both_fixed = (
            p.kind == "turning point"
            and merged
            and merged[-1].kind == "turning point"
            and p.moved == 0
            and merged[-1].moved == 0
        )
        if (
            merged
            and not both_fixed
            and abs(p.chain - merged[-1].chain) < 0.5
            and not (closed and p.chain == length and merged[-1].chain == 0.0)
        ):
            if _KIND_RANK[p.kind] < _KIND_RANK[merged[-1].kind]:
                merged[-1] = p
            continue
        merged.append(p)
    # refill gaps opened by moving
    out: list[_P] = [merged[0]]
    exceptions: list[tuple[float, float, str]] = []
    for nxt in merged[1:]:
        guard = 0
        while nxt.chain - out[-1].chain > spacing + 1e-6 and guard < 100000:
            guard += 1
            cur = out[-1].chain
            cand = cur + spacing
            iv = _in_wet(cand, wet)
            if iv is not None:
                cand = iv[0] - offset
            if cand <= cur + 1e-6:
                # water right after this pillar, longer than the spacing: jump to the far shore
                far = iv[1] + offset if iv is not None else cur
                exceptions.append((cur, min(far, nxt.chain), iv[2] if iv else ""))
                if far >= nxt.chain - 1e-6:
                    break
                out.append(_P(far, "intermediate", water=iv[2] if iv else ""))
                continue
            out.append(_P(cand, "intermediate"))
        out.append(nxt)
    return out, exceptions


def _check_settings(
    max_spacing_m: Any, pillar_height_m: float, observer_height_m: float, shore_offset_m: float, refraction_k: float
) -> None:
    """Refuse (:class:`InputError`) a spacing that is not a positive number of metres, a negative or
    non-finite height or shore offset (metres), or a non-finite refraction coefficient."""
    if not (isinstance(max_spacing_m, int | float) and math.isfinite(max_spacing_m) and max_spacing_m > 0):
        raise InputError(
            None,
            f"maximum pillar spacing must be a positive number of metres, got {max_spacing_m!r}",
            field="max_spacing_m",
        )
    for name, v in (
        ("pillar_height_m", pillar_height_m),
        ("observer_height_m", observer_height_m),
        ("shore_offset_m", shore_offset_m),
    ):
        if not (math.isfinite(v) and v >= 0):
            raise InputError(None, f"{name} must be a non-negative number of metres, got {v!r}", field=name)
    if not math.isfinite(refraction_k):
        raise InputError(
            None, f"the refraction coefficient must be a finite number, got {refraction_k!r}", field="refraction_k"
        )


def _section_geometry(
    description: LineDescription, tree: Any, wgeoms: list[BaseGeometry], wnames: list[str]
) -> list[dict[str, Any]]:
    """Per section: its turning points' coordinates (closed lines repeat the first), their numbers,
    geodesic chainage (m) and azimuths (degrees), its wet intervals and (empty) extra sight pillars."""
    tp = description.turning_points
    sections = []
    for _, sec in description.sections.iterrows():
        k = int(sec["section"])
        pts = tp[tp["section"] == k].sort_values("point_in_section")
        closed = bool(sec["closed"])
        coords = pts[["lon", "lat"]].to_numpy()
        numbers = pts["point_no"].astype(int).tolist()
        if closed:
            coords = np.vstack([coords, coords[:1]])
            numbers = [*numbers, numbers[0]]
        az, _, dist = inverse(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
        cum = np.r_[0.0, np.cumsum(dist)]
        wet = _wet_intervals(coords, cum, tree, wgeoms, wnames)
        sections.append(
            {
                "k": k,
                "coords": coords,
                "cum": cum,
                "az": az,
                "numbers": numbers,
                "closed": closed,
                "wet": wet,
                "extra": [],
            }
        )
    return sections


def _section_pillars(
    s: dict[str, Any], spacing: float, shore_offset_m: float
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """One section's pillars (chainage and along-line gap to the next in metres, position, next
    pillar's position) and its spacing exceptions (water crossings longer than ``spacing`` m)."""
    layout, exc = _layout_section(s["cum"], s["numbers"], s["closed"], spacing, s["wet"], shore_offset_m)
    for c in s["extra"]:
        layout.append(_P(c, "sight"))
    layout.sort(key=lambda p: (p.chain, _KIND_RANK[p.kind]))
    chain = np.array([p.chain for p in layout])
    lon, lat = _positions(s["coords"], s["cum"], s["az"], chain)
    if s["closed"]:
        # the closing pillar is the first pillar again: keep it only to measure the last gap
        lon, lat, layout, chain_all = lon[:-1], lat[:-1], layout[:-1], chain
    else:
        chain_all = chain
    frame = pd.DataFrame(
        {
            "section": s["k"],
            "kind": [p.kind for p in layout],
            "turning_point": [p.tp for p in layout],
            "chainage_m": chain_all[: len(layout)],
            "lon": lon,
            "lat": lat,
            "moved_m": [round(p.moved, 3) for p in layout],
            "water": [p.water for p in layout],
            "in_water": [p.in_water for p in layout],
        }
    )
    along = np.diff(chain_all)
    frame["along_to_next_m"] = along[: len(layout)] if len(along) >= len(layout) else np.r_[along, np.nan]
    nlon = np.r_[lon[1:], lon[:1]] if s["closed"] else np.r_[lon[1:], np.nan]
    nlat = np.r_[lat[1:], lat[:1]] if s["closed"] else np.r_[lat[1:], np.nan]
    frame["next_lon"], frame["next_lat"] = nlon, nlat
    exceptions = [
        {
            "section": s["k"],
            "from_chainage_m": c0,
            "to_chainage_m": c1,
            "gap_m": c1 - c0,
            "water": name,
            "reason": "water crossing longer than the pillar spacing",
        }
        for c0, c1, name in exc
    ]
    return frame, exceptions


def _layout_pillars(
    sections: list[dict[str, Any]], spacing: float, shore_offset_m: float
) -> tuple[pd.DataFrame, list[dict[str, Any]], np.ndarray]:
    """Every section's pillars numbered in order, with the geodesic distance (m) to the next pillar;
    the spacing exceptions; and the rows that have a next pillar."""
    frames = []
    exceptions: list[dict[str, Any]] = []
    for s in sections:
        frame, exc = _section_pillars(s, spacing, shore_offset_m)
        frames.append(frame)
        exceptions += exc
    pillars = pd.concat(frames, ignore_index=True)
    pillars.insert(0, "pillar_no", np.arange(1, len(pillars) + 1))
    has_next = np.isfinite(pillars["next_lon"].to_numpy())
    pillars["to_next_m"] = np.nan
    idx = np.flatnonzero(has_next)
    if len(idx):
        _, _, d = inverse(
            pillars["lon"].to_numpy()[idx],
            pillars["lat"].to_numpy()[idx],
            pillars["next_lon"].to_numpy()[idx],
            pillars["next_lat"].to_numpy()[idx],
        )
        pillars.loc[idx, "to_next_m"] = d
    return pillars, exceptions, idx


@dataclass(frozen=True)
class _SightCheck:
    """How sight lines are checked: eye and target heights above ground (m), DEM, sampling step (m), refraction."""

    eye_m: float
    target_m: float
    elevation: Raster | None
    step_m: float
    k: float


def _suggest_sight_pillar(
    pillars: pd.DataFrame, i: int, j: int, res: Any, sections: list[dict[str, Any]], shore_offset_m: float
) -> dict[str, Any]:
    """The failure row of blocked pair ``j`` (from pillar row ``i``): distances and clearance (m), the
    obstruction, and a pillar suggested on the line at the obstruction (moved out of water)."""
    pno = pillars["pillar_no"].to_numpy()
    row = pillars.iloc[i]
    s = next(x for x in sections if x["k"] == row["section"])
    length = float(s["cum"][-1])
    c_next = float(row["chainage_m"] + row["along_to_next_m"])
    frac = float(res.obstruction_x_m[j] / res.distance_m[j]) if res.distance_m[j] > 0 else 0.5
    c_sug = float(row["chainage_m"] + frac * (c_next - row["chainage_m"]))
    iv = _in_wet(c_sug, s["wet"])
    if iv is not None:
        c_sug = min(
            (c for c in (iv[0] - shore_offset_m, iv[1] + shore_offset_m) if 0 <= c <= length),
            key=lambda c: abs(c - c_sug),
            default=c_sug,
        )
    slon, slat = _positions(s["coords"], s["cum"], s["az"], np.array([c_sug % length if s["closed"] else c_sug]))
    nxt = (
        pno[i + 1]
        if i + 1 < len(pno) and pillars["section"].iloc[i + 1] == row["section"]
        else pno[pillars.index[pillars["section"] == row["section"]][0]]
    )
    return {
        "from_pillar": int(row["pillar_no"]),
        "to_pillar": int(nxt),
        "section": int(row["section"]),
        "distance_m": float(res.distance_m[j]),
        "clearance_m": float(res.clearance_m[j]),
        "obstruction_lat": float(res.obstruction_lat[j]),
        "obstruction_lon": float(res.obstruction_lon[j]),
        "obstruction_elevation_m": float(res.obstruction_elevation_m[j]),
        "suggested_chainage_m": c_sug,
        "suggested_lat": float(slat[0]),
        "suggested_lon": float(slon[0]),
    }


def _check_sight(
    pillars: pd.DataFrame, idx: np.ndarray, sections: list[dict[str, Any]], sight: _SightCheck, shore_offset_m: float
) -> list[dict[str, Any]]:
    """Check the sight line from each pillar of rows ``idx`` to the next; sets ``sight_to_next``
    (clear, blocked, unknown) and ``clearance_m`` (m) on ``pillars``; returns the blocked pairs."""
    verdict = np.full(len(pillars), "", dtype=object)
    clearance = np.full(len(pillars), np.nan)
    failures = []
    if len(idx):
        res = check_sight(
            pillars["lon"].to_numpy()[idx],
            pillars["lat"].to_numpy()[idx],
            np.full(len(idx), sight.eye_m),
            pillars["next_lon"].to_numpy()[idx],
            pillars["next_lat"].to_numpy()[idx],
            np.full(len(idx), sight.target_m),
            sight.elevation,
            step_m=sight.step_m,
            k=sight.k,
        )
        verdict[idx] = np.where(res.visible == 1, "clear", np.where(res.visible == 0, "blocked", "unknown"))
        clearance[idx] = res.clearance_m
        for j in np.flatnonzero(res.visible == 0):
            failures.append(_suggest_sight_pillar(pillars, int(idx[j]), int(j), res, sections, shore_offset_m))
    pillars["sight_to_next"] = verdict
    pillars["clearance_m"] = np.round(clearance, 2)
    return failures


def _add_sight_pillars(sections: list[dict[str, Any]], failures: list[dict[str, Any]]) -> int:
    """Add each failure's suggested pillar to its section (unless one stands within 1 m); returns how many."""
    added = 0
    for f in failures:
        s = next(x for x in sections if x["k"] == f["section"])
        c = f["suggested_chainage_m"]
        if all(abs(c - e) > 1.0 for e in s["extra"]):
            s["extra"].append(c)
            added += 1
    return added


def _pillar_table(
    pillars: pd.DataFrame, description: LineDescription, elevation: Raster | None, tree: Any
) -> gpd.GeoDataFrame:
    """The printed pillar table: positions rounded to the annex's precision, DMS, UTM (m), ground
    height (m) from the DEM, still-in-water flags; points in WGS84."""
    prec = description.precision
    deg_dec, dms_dec, m_dec, z_dec = (
        (prec.degree_decimals, prec.dms_decimals, prec.metre_decimals, prec.elevation_decimals)
        if prec
        else (7, 3, 3, 1)
    )
    # planned positions are printed to the annex's precision (the turning points already are)
    lon = np.round(pillars["lon"].to_numpy(dtype=float), deg_dec)
    lat = np.round(pillars["lat"].to_numpy(dtype=float), deg_dec)
    pillars["lon"], pillars["lat"] = lon, lat
    pillars["lat_dms"] = [to_dms(v, "lat", decimals=dms_dec) for v in lat]
    pillars["lon_dms"] = [to_dms(v, "lon", decimals=dms_dec) for v in lon]
    east, north, _, zones = utm_coordinates(lon, lat)
    pillars["utm_zone"] = zones
    pillars["easting_m"] = np.round(east, m_dec)
    pillars["northing_m"] = np.round(north, m_dec)
    pillars["elevation_m"] = np.round(sample_lonlat(elevation, lon, lat), z_dec)
    if tree is not None:
        qi, _ = tree.query(shapely.points(lon, lat), predicate="intersects")
        still = np.zeros(len(pillars), dtype=bool)
        still[qi] = True
        pillars["in_water"] = pillars["in_water"].to_numpy() | still
    return gpd.GeoDataFrame(pillars[PILLAR_COLUMNS], geometry=shapely.points(lon, lat), crs=WGS84)


def _failure_table(failures: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Blocked pillar pairs, located at their suggested sight pillar (WGS84)."""
    fail_df = pd.DataFrame(failures, columns=FAILURE_COLUMNS)
    return gpd.GeoDataFrame(
        fail_df,
        geometry=shapely.points(fail_df["suggested_lon"].to_numpy(float), fail_df["suggested_lat"].to_numpy(float)),
        crs=WGS84,
    )


#: Columns of the pillar table, in order.
PILLAR_COLUMNS = [
    "pillar_no",
    "section",
    "kind",
    "turning_point",
    "chainage_m",
    "lat",
    "lon",
    "lat_dms",
    "lon_dms",
    "utm_zone",
    "easting_m",
    "northing_m",
    "elevation_m",
    "moved_m",
    "water",
    "in_water",
    "to_next_m",
    "along_to_next_m",
    "sight_to_next",
    "clearance_m",
]

#: Columns of the sight-failure table, in order.
FAILURE_COLUMNS = [
    "from_pillar",
    "to_pillar",
    "section",
    "distance_m",
    "clearance_m",
    "obstruction_lat",
    "obstruction_lon",
    "obstruction_elevation_m",
    "suggested_chainage_m",
    "suggested_lat",
    "suggested_lon",
]


def plan_pillars(
    description: LineDescription,
    *,
    max_spacing_m: float,
    elevation: Raster | None = None,
    water: Any = None,
    pillar_height_m: float = 1.0,
    observer_height_m: float = 1.5,
    target_height_m: float | None = None,
    refraction_k: float = REFRACTION_K,
    sight_step_m: float | None = None,
    shore_offset_m: float = 1.0,
    add_sight_pillars: bool = False,
    max_sight_rounds: int = 3,
    max_pillars: int | None = None,
    progress: ProgressFn | None = None,
) -> PillarPlan:
    """Plan pillars along a described line and check intervisibility of consecutive pillars.

    Parameters
    ----------
    description:
        From :func:`delimit.treaty.describe_line`.
    max_spacing_m:
        Largest distance along the line between consecutive pillars (metres).
    elevation:
        DEM for pillar heights and line of sight (None: heights empty, sight 'unknown').
    water:
        Water bodies (GeoDataFrame with optional ``name``, polygons or a list of them); pillars are
        moved off them along the line.
    pillar_height_m, observer_height_m, target_height_m:
        Pillar height above ground; eye height of the observer standing at a pillar; height above
        the pillar top of the target sighted at the next pillar (default: the observer height,
        i.e. a person or a sighting pole at the next pillar).
    refraction_k:
        Coefficient of terrestrial refraction (0.13 standard; 0 for a geometric check).
    sight_step_m:
        Terrain sampling step along each sight line; default half a DEM cell (at least 25 m).
    add_sight_pillars:
        Add the suggested pillar for each blocked pair and check again.
    max_pillars:
        Refuse (:class:`PillarLimitError`, before any layout) a plan whose :func:`estimate_pillars`
        exceeds this many pillars; None: no limit.

    Examples
    --------
    >>> import shapely
    >>> from delimit.treaty.describe import describe_line
    >>> d = describe_line(shapely.LineString([(70.0, 40.0), (70.05, 40.0)]), parties=("KGZ", "TJK"))
    >>> plan = plan_pillars(d, max_spacing_m=1000)
    >>> len(plan.pillars), float(plan.pillars["along_to_next_m"].max()) <= 1000
    (6, True)
    """
    _check_settings(max_spacing_m, pillar_height_m, observer_height_m, shore_offset_m, refraction_k)
    check_pillar_budget(
        description.total_length_m,
        len(description.turning_points) + len(description.sections),
        float(max_spacing_m),
        max_pillars,
    )
    report = progress or (lambda _m, _f: None)
    target = observer_height_m if target_height_m is None else float(target_height_m)
    wgeoms, wnames = _water(water)
    tree = shapely.STRtree(wgeoms) if wgeoms else None
    tp = description.turning_points
    if sight_step_m is None:
        lat_c = float(tp["lat"].mean()) if len(tp) else 0.0
        sight_step_m = max(cell_size_m(elevation, lat_c) / 2.0, 25.0) if elevation is not None else 100.0
    sections = _section_geometry(description, tree, wgeoms, wnames)
    sight = _SightCheck(
        pillar_height_m + observer_height_m, pillar_height_m + target, elevation, sight_step_m, refraction_k
    )

    failures: list[dict[str, Any]] = []
    rounds = max_sight_rounds if add_sight_pillars else 1
    for rnd in range(rounds):
        report("pillar layout", 0.1 + 0.8 * rnd / rounds)
        pillars, exceptions, idx = _layout_pillars(sections, float(max_spacing_m), shore_offset_m)
        report("line of sight", 0.1 + 0.8 * (rnd + 0.5) / rounds)
        failures = _check_sight(pillars, idx, sections, sight, shore_offset_m)
        if not failures or rnd == rounds - 1 or not _add_sight_pillars(sections, failures):
            break

    report("pillar tables", 0.95)
    p_gdf = _pillar_table(pillars, description, elevation, tree)
    fail_gdf = _failure_table(failures)
    exc_df = pd.DataFrame(
        exceptions, columns=["section", "from_chainage_m", "to_chainage_m", "gap_m", "water", "reason"]
    )
    notes = []
    if elevation is None:
        notes.append("no DEM: pillar heights and line of sight not computed")
    else:
        notes.append("line of sight on the DEM: a planning check at DEM resolution, to be confirmed in the field")
    settings = {
        "max_spacing_m": float(max_spacing_m),
        "pillar_height_m": pillar_height_m,
        "observer_height_m": observer_height_m,
        "target_height_m": target,
        "refraction_k": refraction_k,
        "earth_radius_m": EARTH_RADIUS_M,
        "sight_step_m": float(sight_step_m),
        "shore_offset_m": shore_offset_m,
        "add_sight_pillars": add_sight_pillars,
        "water_bodies": len(wgeoms),
        "spacing_measured": "geodesic chainage along the line (WGS84 ellipsoid)",
    }
    report("pillars", 1.0)
    return PillarPlan(p_gdf, fail_gdf, exc_df, settings, notes)
