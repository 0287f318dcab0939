"""Land changing hands between two scenarios: flows per (from, to) party and a balance per party.

Both scenarios' territory layers are dissolved by party and overlaid in one Lambert azimuthal
equal-area CRS (:func:`delimit.crs.equal_area_crs`, centred on the union of both scenarios'
data), so every area is exact in km². Land that one scenario assigns to no party is labelled
:data:`NO_PARTY`; including it keeps the balance closed: the net changes of all parties (and of
"no party") sum to zero, and an equal-area swap shows as balanced.

**Balance** has one definition, shared by ``propose`` (which generates swaps within a tolerance) and
``compare`` (which judges them): :func:`exchange_imbalance` and :func:`is_balanced_exchange`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from delimit.crs import WGS84, crs_description, equal_area_crs
from delimit.model.scenario import Scenario

#: Label for land no party holds under a scenario (outside every territory part).
NO_PARTY = "(none)"

#: Pieces smaller than this (km²) are numerical slivers of the overlay, not land changing hands
#: (1e-4 km² = 100 m²). They are dropped from flows and pieces.
DEFAULT_MIN_AREA_KM2 = 1e-4

ProgressFn = Callable[[str, float], None]

#: Tolerance of a balanced exchange (fraction of the larger area) when neither the caller nor the
#: scenario names one: the default of ``delimit propose --balance``.
DEFAULT_BALANCE_TOLERANCE = 0.05

#: Relative slack for floating-point rounding when an imbalance is compared with its tolerance.
BALANCE_ROUNDING = 1e-6


def exchange_imbalance(given: float, received: float) -> float:
    """Imbalance of an exchange of land: ``|given - received| / max(given, received)``.

    ``given`` and ``received`` are the areas a party cedes and gains, in one unit (km² or m²; the
    ratio is dimensionless). 0 = equal areas each way (and 0 when nothing moves); 1 = land moves one
    way only. For a swap between two parties A and B this is ``|ceded by A - ceded by B| / the larger``,
    the same for both parties.

    >>> exchange_imbalance(5.0247, 5.0313) < 0.0014
    True
    """
    big = max(float(given), float(received))
    return 0.0 if big <= 0 else abs(float(given) - float(received)) / big


def is_balanced_exchange(given: float, received: float, tolerance: float) -> bool:
    """Whether an exchange is balanced: :func:`exchange_imbalance` ``<= tolerance`` (a fraction in [0, 1)).

    The one test of balance in delimit: ``propose`` keeps only proposals that pass it with its
    ``--balance``, and ``compare`` applies it to every party's land gained and lost with the
    tolerance the compared scenario records (``balance_tolerance``), else
    :data:`DEFAULT_BALANCE_TOLERANCE`. A relative :data:`BALANCE_ROUNDING` absorbs rounding.
    """
    return exchange_imbalance(given, received) <= tolerance * (1.0 + BALANCE_ROUNDING) + 1e-12


@dataclass(frozen=True)
class LandChange:
    """Land that changes hands from a baseline to a scenario.

    Attributes
    ----------
    flows:
        One row per (from, to) pair with land moving: ``from, to, area_km2`` (sorted by from, to).
    balance:
        One row per party (and :data:`NO_PARTY` if it occurs): ``party, baseline_km2, scenario_km2,
        gained_km2, lost_km2, net_km2``; ``net_km2`` sums to zero over the rows.
    pieces:
        GeoDataFrame (EPSG:4326) of the land that changes hands: ``from, to, area_km2, geometry``.
    crs:
        The equal-area CRS every area was measured in.
    min_area_km2:
        Sliver threshold used (km²).
    tolerance:
        Balance tolerance (fraction, see :func:`is_balanced_exchange`).
    """

    flows: pd.DataFrame
    balance: pd.DataFrame
    pieces: gpd.GeoDataFrame
    crs: CRS
    min_area_km2: float
    tolerance: float = DEFAULT_BALANCE_TOLERANCE

    @property
    def total_km2(self) -> float:
        """Total land changing hands (km²)."""
        return float(self.flows["area_km2"].sum()) if len(self.flows) else 0.0

    @property
    def imbalance(self) -> float:
        """The largest :func:`exchange_imbalance` of any party's land lost and gained (0 when none moves)."""
        return max((exchange_imbalance(r.lost_km2, r.gained_km2) for r in self.balance.itertuples()), default=0.0)

    @property
    def is_balanced(self) -> bool:
        """True when every party's exchange is balanced within :attr:`tolerance` (:func:`is_balanced_exchange`)."""
        return all(is_balanced_exchange(r.lost_km2, r.gained_km2, self.tolerance) for r in self.balance.itertuples())

    def crs_text(self) -> str:
        return describe_crs(self.crs)


def describe_crs(crs: CRS) -> str:
    """:func:`delimit.crs.crs_description`, naming the projection when the CRS has no name of its own
    (the equal-area CRS is a PROJ string: 'Lambert azimuthal equal-area: +proj=laea ...')."""
    text = crs_description(crs)
    if text.startswith("unknown:") and "+proj=laea" in text:
        return "Lambert azimuthal equal-area:" + text.removeprefix("unknown:")
    return text


def measurement_crs(*scenarios: Scenario) -> CRS:
    """The equal-area CRS centred on the union of the scenarios' windows (or territory, if no window)."""
    bounds = []
    for s in scenarios:
        layer = s.window if len(s.window) else s.territory
        if len(layer):
            bounds.append(layer.total_bounds)
    if not bounds:
        return equal_area_crs((0.0, 0.0))
    b = np.array(bounds)
    return equal_area_crs((b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()))


def dissolve_parties(territory: gpd.GeoDataFrame, crs: CRS | None = None) -> dict[str, BaseGeometry]:
    """{party: union of its parts} (made valid), projected into ``crs`` if given, else in WGS84."""
    if not len(territory):
        return {}
    proj = territory.to_crs(crs) if crs is not None else territory
    out: dict[str, BaseGeometry] = {}
    for party in sorted(proj["party"].astype(str).unique()):
        geoms = proj.geometry[proj["party"].astype(str) == party].values
        out[party] = shapely.make_valid(shapely.union_all(shapely.make_valid(geoms)))
    return out


def area_km2(g: BaseGeometry, crs: CRS) -> float:
    """Area (km²) of a WGS84 geometry measured in the equal-area ``crs`` (vertices projected)."""
    if g.is_empty:
        return 0.0
    return float(gpd.GeoSeries([g], crs=WGS84).to_crs(crs).area.iloc[0]) / 1e6


def _polygonal(g: BaseGeometry) -> BaseGeometry:
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon") and p.area > 0]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def land_changes(
    baseline: Scenario,
    scenario: Scenario,
    *,
    crs: CRS | None = None,
    min_area_km2: float = DEFAULT_MIN_AREA_KM2,
    balance_tolerance: float | None = None,
    progress: ProgressFn | None = None,
) -> LandChange:
    """Overlay two scenarios' territory and report the land that changes hands (km², equal-area CRS).

    Parameters
    ----------
    baseline, scenario:
        The two scenarios; land is moved *from* the baseline holder *to* the scenario holder.
    crs:
        Equal-area CRS to measure in; default :func:`measurement_crs` of both scenarios.
    min_area_km2:
        Pieces below this area (km²) are treated as overlay slivers and dropped.
    balance_tolerance:
        Tolerance of :attr:`LandChange.is_balanced` (fraction); default the one ``scenario`` records
        (``balance_tolerance``, written by ``propose``), else :data:`DEFAULT_BALANCE_TOLERANCE`.
    progress:
        Optional ``(message, fraction)`` callback.
    """
    crs = crs or measurement_crs(baseline, scenario)
    if progress:
        progress("dissolving territory by party", 0.0)
    # The overlay runs in the storage CRS, where both scenarios share their vertices exactly
    # (projecting first would turn identical edges with different vertex density into slivers);
    # each resulting piece is then measured in the equal-area CRS.
    ga = dissolve_parties(baseline.territory)
    gb = dissolve_parties(scenario.territory)
    all_a = shapely.union_all(list(ga.values())) if ga else shapely.Polygon()
    all_b = shapely.union_all(list(gb.values())) if gb else shapely.Polygon()
    # "No party" is the rest of the joint extent under each scenario.
    extent = shapely.union_all([all_a, all_b])
    ga_full = dict(ga)
    gb_full = dict(gb)
    rest_a = _polygonal(shapely.difference(extent, all_a))
    rest_b = _polygonal(shapely.difference(extent, all_b))
    if not rest_a.is_empty:
        ga_full[NO_PARTY] = rest_a
    if not rest_b.is_empty:
        gb_full[NO_PARTY] = rest_b

    rows: list[dict[str, object]] = []
    keys = sorted(ga_full)
    for i, frm in enumerate(keys):
        if progress:
            progress(f"overlaying land of {frm}", 0.1 + 0.8 * i / max(1, len(keys)))
        lost = _polygonal(shapely.difference(ga_full[frm], gb_full.get(frm, shapely.Polygon())))
        if lost.is_empty or area_km2(lost, crs) < min_area_km2:
            continue
        for to in sorted(gb_full):
            if to == frm or not lost.envelope.intersects(gb_full[to].envelope):
                continue
            piece = _polygonal(shapely.intersection(lost, gb_full[to]))
            area = area_km2(piece, crs)
            if area >= min_area_km2:
                rows.append({"from": frm, "to": to, "area_km2": area, "geometry": piece})
    pieces = gpd.GeoDataFrame(rows, columns=["from", "to", "area_km2", "geometry"], geometry="geometry", crs=WGS84)
    flows = pd.DataFrame(pieces.drop(columns="geometry")).reset_index(drop=True)
    flows["area_km2"] = flows["area_km2"].astype(float)

    parties = sorted(set(ga_full) | set(gb_full))
    bal = []
    for p in parties:
        if p == NO_PARTY and not ((flows["from"] == p) | (flows["to"] == p)).any():
            continue  # only overlay slivers: no land held by nobody changes hands
        gained = float(flows.loc[flows["to"] == p, "area_km2"].sum())
        lost = float(flows.loc[flows["from"] == p, "area_km2"].sum())
        bal.append(
            {
                "party": p,
                "baseline_km2": area_km2(ga_full[p], crs) if p in ga_full else 0.0,
                "scenario_km2": area_km2(gb_full[p], crs) if p in gb_full else 0.0,
                "gained_km2": gained,
                "lost_km2": lost,
                "net_km2": gained - lost,
            }
        )
    balance = pd.DataFrame(bal, columns=["party", "baseline_km2", "scenario_km2", "gained_km2", "lost_km2", "net_km2"])
    if progress:
        progress("land overlay done", 1.0)
    tol = balance_tolerance_of(scenario) if balance_tolerance is None else float(balance_tolerance)
    return LandChange(flows=flows, balance=balance, pieces=pieces, crs=crs, min_area_km2=min_area_km2, tolerance=tol)


def balance_tolerance_of(scenario: Scenario) -> float:
    """The balance tolerance a scenario records (``balance_tolerance``), else :data:`DEFAULT_BALANCE_TOLERANCE`."""
    tol = getattr(scenario, "balance_tolerance", None)
    return DEFAULT_BALANCE_TOLERANCE if tol is None else float(tol)
