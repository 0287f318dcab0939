"""Which party lies on which side of each segment, what each section's end points are, and its name.

* **Sides.** A segment is read in the direction of the description (from its ``from_point`` to its
  ``to_point``); a point a few metres to its left and one to its right of its geodesic midpoint are
  looked up in the parties' territory. Offsets grow (5, 25, 100 m) until a party is found, so a
  boundary drawn a little off the territory edges (generalised source data) is still resolved.
* **End points.** The end of an open section is one of: a point on the edge of the data window
  (``data edge``: the line goes on but this annex does not cover it; never a boundary point), a
  **tripoint** (a third party's territory within ``tripoint_m``), or the **end of the shared line**
  (the two territories cease to meet in the source data). A closed section has no end point.
* **Names.** A section keeps a name it was given; a closed section is named after the named
  territory part it encloses; an open one after the settlements nearest its ends.

Pure functions over GeoDataFrames (WGS84); no files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
import shapely.ops

from delimit.crs import GEOD

#: Offsets (metres) to the left/right of a segment's midpoint at which its sides are looked up.
SIDE_OFFSETS_M = (5.0, 25.0, 100.0)

DATA_EDGE = "data edge"
TRIPOINT = "tripoint"
LINE_END = "end of shared line"
CLOSED = "closed"

#: Words for an end point, as the annex prints them (``{other}``: the third party's name).
ENDPOINT_WORDS = {
    DATA_EDGE: "where the line leaves the area covered by this annex (the edge of the data window; not a boundary point)",
    TRIPOINT: "at the tripoint where the territories of {a}, {b} and {other} meet",
    LINE_END: "where the territories of {a} and {b} cease to meet in the source data",
}


@dataclass(frozen=True)
class EndPoint:
    """One end of a section: its kind (:data:`DATA_EDGE`, :data:`TRIPOINT`, :data:`LINE_END`) and words."""

    kind: str
    words: str
    other: str = ""


def _party_lookup(points: np.ndarray, territory: gpd.GeoDataFrame) -> list[str]:
    """The party whose territory holds each (lon, lat) point ("" where none does)."""
    out = [""] * len(points)
    if territory is None or not len(territory) or not len(points):
        return out
    geoms = territory.geometry.to_numpy()
    parties = territory["party"].astype(str).to_numpy()
    tree = shapely.STRtree(geoms)
    pi, gi = tree.query(shapely.points(points), predicate="within")
    for p, g in zip(pi, gi, strict=True):
        if not out[p]:
            out[p] = str(parties[g])
    return out


def segment_sides(
    segments: gpd.GeoDataFrame, territory: gpd.GeoDataFrame, offsets_m: Sequence[float] = SIDE_OFFSETS_M
) -> tuple[list[str], list[str]]:
    """(left party, right party) of each segment in the direction of description ("" if unresolved)."""
    n = len(segments)
    left, right = [""] * n, [""] * n
    if n == 0 or territory is None or not len(territory):
        return left, right
    xy = shapely.get_coordinates(segments.geometry.to_numpy()).reshape(n, 2, 2)
    az = segments["azimuth_deg"].to_numpy(dtype=float)
    half = segments["length_m"].to_numpy(dtype=float) / 2.0
    mlon, mlat, back = GEOD.fwd(xy[:, 0, 0], xy[:, 0, 1], az, half)
    heading = np.mod(np.asarray(back) + 180.0, 360.0)
    for off in offsets_m:
        todo = [i for i in range(n) if not left[i] or not right[i]]
        if not todo:
            break
        t = np.asarray(todo)
        for sign, store in ((-90.0, left), (90.0, right)):
            lon, lat, _ = GEOD.fwd(np.asarray(mlon)[t], np.asarray(mlat)[t], heading[t] + sign, np.full(len(t), off))
            found = _party_lookup(np.column_stack([lon, lat]), territory)
            for j, i in enumerate(todo):
                if not store[i]:
                    store[i] = found[j]
    return left, right


def section_sides(
    sections: gpd.GeoDataFrame, segments: gpd.GeoDataFrame, left: Sequence[str], right: Sequence[str]
) -> list[dict[str, Any]]:
    """Per section: the party found most often on the left and on the right, and the segments that differ."""
    out = []
    seg_sec = segments["section"].to_numpy()
    seg_no = segments["segment_no"].to_numpy()
    for k in sections["section"].astype(int):
        m = [int(i) for i in np.flatnonzero(seg_sec == k)]
        lk = [left[i] for i in m if left[i]]
        rk = [right[i] for i in m if right[i]]
        lmaj = max(set(lk), key=lk.count) if lk else ""
        rmaj = max(set(rk), key=rk.count) if rk else ""
        differ = [int(seg_no[i]) for i in m if (left[i] and left[i] != lmaj) or (right[i] and right[i] != rmaj)]
        unknown = [int(seg_no[i]) for i in m if not left[i] or not right[i]]
        out.append(
            {
                "section": int(k),
                "left": lmaj,
                "right": rmaj,
                "differing_segments": differ,
                "unresolved_segments": unknown,
            }
        )
    return out


def classify_endpoint(
    lon: float,
    lat: float,
    parties: tuple[str, str],
    territory: gpd.GeoDataFrame | None,
    data_edges: Sequence[shapely.Geometry],
    *,
    names: dict[str, str] | None = None,
    edge_tolerance_deg: float = 2e-5,
    tripoint_m: float = 50.0,
) -> EndPoint:
    """What an open section's end point at (lon, lat) is (see the module docstring)."""
    names = names or {}
    a, b = parties
    na, nb = names.get(a, a), names.get(b, b)
    pt = shapely.Point(lon, lat)
    for edge in data_edges:
        if edge is not None and not edge.is_empty and shapely.distance(edge.boundary, pt) <= edge_tolerance_deg:
            return EndPoint(DATA_EDGE, ENDPOINT_WORDS[DATA_EDGE])
    if territory is not None and len(territory):
        others = territory[~territory["party"].isin(parties)]
        if len(others):
            deg = tripoint_m / 111_000.0
            near = others[others.intersects(pt.buffer(deg * 2))]
            if len(near):
                # geodesic distance from the point to the nearest vertex-or-edge point of each candidate
                best, who = np.inf, ""
                for geom, party in zip(near.geometry, near["party"], strict=True):
                    q = shapely.ops.nearest_points(geom, pt)[0] if not geom.contains(pt) else pt
                    d = float(GEOD.inv(lon, lat, q.x, q.y)[2])
                    if d < best:
                        best, who = d, str(party)
                if best <= tripoint_m:
                    return EndPoint(
                        TRIPOINT, ENDPOINT_WORDS[TRIPOINT].format(a=na, b=nb, other=names.get(who, who)), who
                    )
    return EndPoint(LINE_END, ENDPOINT_WORDS[LINE_END].format(a=na, b=nb))


def _nearest_place(lon: float, lat: float, settlements: gpd.GeoDataFrame | None, within_m: float = 15_000.0) -> str:
    if settlements is None or not len(settlements) or "name" not in settlements.columns:
        return ""
    xy = shapely.get_coordinates(settlements.geometry.to_numpy())
    _, _, d = GEOD.inv(np.full(len(xy), lon), np.full(len(xy), lat), xy[:, 0], xy[:, 1])
    i = int(np.argmin(d))
    name = str(settlements["name"].iloc[i] or "")
    return name if d[i] <= within_m and name else ""


def _end_label(kind: str, other: str, lon: float, lat: float) -> str:
    where = f"{abs(lat):.2f}° {'N' if lat >= 0 else 'S'} {abs(lon):.2f}° {'E' if lon >= 0 else 'W'}"
    if kind == TRIPOINT:
        return f"tripoint with {other}" if other else f"tripoint at {where}"
    if kind == DATA_EDGE:
        return f"annex edge at {where}"
    return f"line end at {where}"


def section_name(
    section: shapely.LineString,
    closed: bool,
    territory: gpd.GeoDataFrame | None,
    settlements: gpd.GeoDataFrame | None,
    start: EndPoint | None,
    end: EndPoint | None,
) -> str:
    """A name for a section: the named territory part a closed section encloses; else its ends, each
    by the nearest settlement (within 15 km) or, failing one, by what the end is (tripoint, edge)."""
    if closed and territory is not None and len(territory) and "name" in territory.columns:
        ring = shapely.Polygon(section.coords)
        named = territory[(territory["name"].fillna("").astype(str) != "")]
        inside = [str(r["name"]) for _, r in named.iterrows() if ring.contains(r.geometry.representative_point())]
        if inside:
            return f"around {', '.join(sorted(set(inside)))}"
    x0, y0 = section.coords[0]
    x1, y1 = section.coords[-1]
    p0 = _nearest_place(x0, y0, settlements)
    if closed:
        return f"loop near {p0}" if p0 else "closed loop"
    p1 = _nearest_place(x1, y1, settlements)
    w0 = p0 or (_end_label(start.kind, start.other, x0, y0) if start else "")
    w1 = p1 or (_end_label(end.kind, end.other, x1, y1) if end else "")
    if w0 and w1 and w0 != w1:
        return f"{w0} – {w1}"
    place = p0 or p1
    return f"near {place}" if place else (w0 or w1)


__all__ = [
    "CLOSED",
    "DATA_EDGE",
    "ENDPOINT_WORDS",
    "LINE_END",
    "SIDE_OFFSETS_M",
    "TRIPOINT",
    "EndPoint",
    "classify_endpoint",
    "section_name",
    "section_sides",
    "segment_sides",
]
