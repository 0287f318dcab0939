"""Settlement populations: unknown kept apart from zero, and each person counted once.

Rules (the developers' guide: "unknown is not zero; count each person once"):

* ``population`` is a head count (persons) or missing (``<NA>``, ``null`` in JSON, ``unknown`` in
  tables). 0 is refused as a stand-in for unknown; ``population_year`` likewise is a year or missing.
* ``population_level`` says what the figure counts: ``settlement`` (the place itself),
  ``municipality`` (a jamoat / aiyl okmotu / rural community total of several villages) or ``city``
  (a city with the villages or districts under it).
* ``part_of`` is the ``settlement_id`` of a listed place whose figure already contains this one
  (a village inside its municipality, a district inside its city). A total never adds a parent's
  figure to its listed children: each settlement *owns* its figure less the known figures of its
  listed children (:func:`own_population`), and totals sum what the settlements in the set own.
  Inside any set that holds a parent and all its children the total is therefore the parent's figure;
  a child outside the set takes its people with it.
* ``claimed_party`` / ``enclave``: the party published sources give a place that the boundary data put
  on the other side: a village of a known enclave missing from the boundary data (Western Qalacha, with
  ``enclave`` named), or a village that the (undelimited, status quo ante) line of the boundary data
  leaves across it (Arka, Maksat: administered by Kyrgyzstan, inside Tajik land in the OSM polygons).
  The place keeps the sources' party and is marked (``party_basis``).

:func:`check_settlements` is what the scenario loader runs on every settlements layer: negative,
non-integer or absurd populations, 0 used for unknown, a ``population_year`` in the future, unknown
levels, ``part_of`` cycles or dangling ``part_of`` are refused with an :class:`~delimit.errors.InputError`
naming the file, the feature and the field.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from delimit.errors import InputError

#: What a population figure counts.
POPULATION_LEVELS = ("settlement", "municipality", "city")

#: No settlement holds more people than the most populous country: 1,428.6 million (India, mid-2023,
#: UN DESA World Population Prospects 2022, https://population.un.org/wpp/). A larger figure is a typo
#: or a unit error, never a head count.
MAX_POPULATION = 1_428_600_000

#: A settlement holds no more people than its whole country: the latest official totals of the countries of
#: the embedded data (persons), each with its publication. A settlement of another country is held to
#: :data:`MAX_POPULATION`. Keys are the ISO 3166-1 alpha-3 party codes; ``country_code`` (alpha-2) maps to them.
COUNTRY_POPULATION: dict[str, tuple[int, str]] = {
    "KGZ": (
        7_395_000,
        "Kyrgyzstan, 1 December 2025: National Statistical Committee, reported by 24.kg on 3 February 2026 "
        "(https://24.kg/english/360449_Kyrgyzstans_population_nears_74_million_New_statistics_released/)",
    ),
    "TJK": (
        10_721_000,
        "Tajikistan, 1 January 2026: Statistical Agency under the President of Tajikistan, reported by Kazinform "
        "(https://qazinform.com/news/tajikistans-population-on-the-verge-of-11-million-b625cd)",
    ),
    "UZB": (
        38_230_000,
        "Uzbekistan, 1 January 2026: National Statistics Committee, reported by UzDaily "
        "(https://www.uzdaily.uz/en/uzbekistans-population-exceeds-382-million-as-of-1-january-2026)",
    ),
    "KAZ": (
        20_495_975,
        "Kazakhstan, 1 January 2026: Bureau of National Statistics, reported by The Astana Times "
        "(https://astanatimes.com/2026/02/kazakhstans-population-reaches-almost-20-5-million-as-of-january/)",
    ),
}
ISO2_TO_PARTY = {"KG": "KGZ", "TJ": "TJK", "UZ": "UZB", "KZ": "KAZ"}

#: Years before this are not population figures of a living settlement (a typo, or a founding date).
MIN_POPULATION_YEAR = 1800

#: How ``party`` was decided for a settlement.
PARTY_FROM_TERRITORY = "territory"
PARTY_FROM_SOURCES = "published sources (enclave not in the boundary data)"
PARTY_FROM_SOURCES_ACROSS_LINE = "published sources (the boundary data's line leaves the place across it)"

POPULATION_COLUMNS = (
    "population",
    "population_year",
    "population_level",
    "population_source",
    "part_of",
    "claimed_party",
    "enclave",
)


def _feature(gdf: gpd.GeoDataFrame, i: int) -> str:
    sid = gdf["settlement_id"].iloc[i] if "settlement_id" in gdf.columns else i
    return f"settlement {sid}"


def _as_counts(values: pd.Series, where: str, gdf: gpd.GeoDataFrame, field: str, lo: int, hi: int) -> pd.Series:
    """``values`` as nullable Int64; refuse non-integers and values outside ``[lo, hi]``."""
    out = pd.array([pd.NA] * len(values), dtype="Int64")
    for i, v in enumerate(values.tolist()):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or (isinstance(v, str) and not v.strip()):
            continue
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise InputError(
                where,
                f"{field} {v!r} is not a number (leave it empty when unknown)",
                feature=_feature(gdf, i),
                field=field,
            ) from None
        if not np.isfinite(f) or f != int(f):
            raise InputError(where, f"{field} {v!r} is not a whole number", feature=_feature(gdf, i), field=field)
        n = int(f)
        if n < lo or n > hi:
            raise InputError(
                where,
                f"{field} {n} is outside {lo}..{hi}"
                + (" (0 is not a stand-in for unknown: leave it empty)" if n == 0 else ""),
                feature=_feature(gdf, i),
                field=field,
            )
        out[i] = n
    return pd.Series(out, index=values.index, name=values.name)


def _text(values: pd.Series) -> pd.Series:
    return values.map(
        lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else str(v).strip()
    )


def check_part_of(ids: Sequence[str], part_of: Sequence[str], where: str | Path) -> None:
    """Refuse a ``part_of`` naming a missing id, the settlement itself, or closing a cycle."""
    index = {sid: i for i, sid in enumerate(ids)}
    for i, parent in enumerate(part_of):
        if parent and parent not in index:
            raise InputError(
                where,
                f"part_of {parent!r} names no settlement_id in the layer",
                feature=f"settlement {ids[i]}",
                field="part_of",
            )
    for start in range(len(ids)):
        seen = {start}
        j = start
        while part_of[j]:
            j = index[part_of[j]]
            if j in seen:
                raise InputError(
                    where,
                    f"part_of makes a cycle through {ids[j]!r}",
                    feature=f"settlement {ids[start]}",
                    field="part_of",
                )
            seen.add(j)


def check_settlements(gdf: gpd.GeoDataFrame, where: str | Path, *, today: _dt.date | None = None) -> gpd.GeoDataFrame:
    """Validate and normalise the population columns of a settlements layer (a copy is returned).

    ``population`` and ``population_year`` become nullable ``Int64`` (missing = unknown); text
    columns become ``str`` ("" when absent). Raises :class:`InputError` on the first problem.
    """
    gdf = gdf.copy()
    year_now = (today or _dt.date.today()).year
    for col in POPULATION_COLUMNS:
        if col not in gdf.columns:
            gdf[col] = None
    gdf["population"] = _as_counts(gdf["population"], str(where), gdf, "population", 1, MAX_POPULATION)
    gdf["population_year"] = _as_counts(
        gdf["population_year"], str(where), gdf, "population_year", MIN_POPULATION_YEAR, year_now
    )
    for col in ("population_level", "population_source", "part_of", "claimed_party", "enclave"):
        gdf[col] = _text(gdf[col])
    bad = ~gdf["population_level"].isin(("", *POPULATION_LEVELS))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            where,
            f"population_level {gdf['population_level'].iloc[i]!r} is not one of {', '.join(POPULATION_LEVELS)}",
            feature=_feature(gdf, i),
            field="population_level",
        )
    check_country_totals(gdf, where)
    if "settlement_id" in gdf.columns:
        check_part_of(gdf["settlement_id"].astype(str).tolist(), gdf["part_of"].tolist(), where)
    return gdf


def _country_of(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Each settlement's party code for the country bound: ``country_code`` (alpha-2) first, else ``party``."""
    n = len(gdf)
    cc = _text(gdf["country_code"]).to_numpy() if "country_code" in gdf.columns else np.full(n, "", dtype=object)
    party = _text(gdf["party"]).to_numpy() if "party" in gdf.columns else np.full(n, "", dtype=object)
    return np.array([ISO2_TO_PARTY.get(c.upper(), "") or p for c, p in zip(cc, party, strict=True)], dtype=object)


def check_country_totals(gdf: gpd.GeoDataFrame, where: str | Path) -> None:
    """Refuse a population larger than the settlement's whole country (:data:`COUNTRY_POPULATION`).

    >>> import geopandas as gpd, pandas as pd
    >>> ok = gpd.GeoDataFrame({"population": pd.array([7_000_000], dtype="Int64"), "country_code": ["KG"]})
    >>> check_country_totals(ok, "s.geojson")
    >>> bad = gpd.GeoDataFrame({"population": pd.array([8_000_000], dtype="Int64"), "country_code": ["KG"]})
    >>> check_country_totals(bad, "s.geojson")
    Traceback (most recent call last):
    ...
    delimit.errors.InputError: s.geojson: feature settlement 0: field 'population': population 8,000,000 is larger than the whole of KGZ (7,395,000: Kyrgyzstan, 1 December 2025: ...)
    """
    if not len(gdf):
        return
    countries = _country_of(gdf)
    for i, (pop, country) in enumerate(zip(gdf["population"].tolist(), countries, strict=True)):
        if pop is None or pop is pd.NA or country not in COUNTRY_POPULATION:
            continue
        total, source = COUNTRY_POPULATION[country]
        if int(pop) > total:
            raise InputError(
                where,
                f"population {int(pop):,} is larger than the whole of {country} ({total:,}: {source})",
                feature=_feature(gdf, i),
                field="population",
            )


def apply_claimed_party(settlements: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Give settlements with a ``claimed_party`` that party (sources over boundary data), marked in ``party_basis``."""
    s = settlements.copy()
    basis = np.full(len(s), PARTY_FROM_TERRITORY, dtype=object)
    if "claimed_party" in s.columns and len(s):
        claimed = _text(s["claimed_party"]).to_numpy()
        current = (
            s["party"].fillna("").astype(str).to_numpy() if "party" in s.columns else np.full(len(s), "", dtype=object)
        )
        differs = (claimed != "") & (claimed != current)
        if differs.any():
            party = current.astype(object)
            party[differs] = claimed[differs]
            s["party"] = party
            enclave = _text(s["enclave"]).to_numpy() if "enclave" in s.columns else np.full(len(s), "", dtype=object)
            basis[differs & (enclave != "")] = PARTY_FROM_SOURCES
            basis[differs & (enclave == "")] = PARTY_FROM_SOURCES_ACROSS_LINE
    s["party_basis"] = basis
    return s


def settle_population(settlements: gpd.GeoDataFrame, where: str | Path) -> gpd.GeoDataFrame:
    """What the loader runs on a scenario's settlements once parties are assigned: check, then sources' parties."""
    return apply_claimed_party(check_settlements(settlements, where))


def known_population(settlements: pd.DataFrame) -> np.ndarray:
    """Population per settlement as float (NaN = unknown); 0 read from an old file is unknown too."""
    if "population" not in settlements.columns or not len(settlements):
        return np.full(len(settlements), np.nan)
    v: np.ndarray = pd.to_numeric(settlements["population"], errors="coerce").astype("float64").to_numpy()
    v = v.copy()
    v[~(v > 0)] = np.nan
    return v


def parent_index(settlements: pd.DataFrame) -> np.ndarray:
    """Row index of each settlement's ``part_of`` parent, -1 where none (or not in the frame)."""
    if "part_of" not in settlements.columns or "settlement_id" not in settlements.columns or not len(settlements):
        return np.full(len(settlements), -1, dtype=np.int64)
    ids = settlements["settlement_id"].astype(str).tolist()
    index = {sid: i for i, sid in enumerate(ids)}
    return np.array([index.get(p, -1) if p else -1 for p in _text(settlements["part_of"]).tolist()], dtype=np.int64)


def own_population(settlements: pd.DataFrame) -> np.ndarray:
    """Persons each settlement owns (float, NaN = unknown): its figure less the known figures of the listed
    places inside it (its children, or their children where a child's own figure is unknown).

    A parent whose children's figures add up to more than its own (different years or sources) owns 0
    of the difference, never a negative count. A child of unknown population whose parent's figure is
    known owns NaN (its people are inside the parent's figure; :func:`population_total` does not count
    it as unknown where the parent is in the same set).
    """
    pop = known_population(settlements)
    parent = parent_index(settlements)
    own = pop.copy()
    for i, j in enumerate(parent.tolist()):
        if np.isnan(pop[i]):
            continue
        seen = {i}
        while j >= 0 and j not in seen and np.isnan(pop[j]):  # through places of unknown population
            seen.add(j)
            j = int(parent[j])
        if j >= 0 and j not in seen:
            own[j] = own[j] - pop[i]  # the nearest ancestor with a figure already holds these people
    return np.where(np.isnan(own), np.nan, np.maximum(own, 0.0))


def population_total(
    own: np.ndarray, mask: np.ndarray | None = None, parent: np.ndarray | None = None
) -> tuple[int, int]:
    """``(persons, settlements of unknown population)`` over ``mask`` (all when None).

    ``own`` from :func:`own_population`, ``parent`` from :func:`parent_index`: a settlement of unknown
    population whose parent is in the set with a known figure is inside that figure, not unknown.
    """
    own = np.asarray(own, dtype=float)
    m = np.ones(len(own), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    unknown = np.isnan(own) & m
    if parent is not None and unknown.any():
        for i in np.flatnonzero(unknown):
            j = int(parent[i])
            while j >= 0:
                if m[j] and not np.isnan(known_population_at(own, j)):
                    unknown[i] = False
                    break
                j = int(parent[j])
    known = m & ~np.isnan(own)
    return round(float(own[known].sum())), int(unknown.sum())


def known_population_at(own: np.ndarray, j: int) -> float:
    """``own[j]`` (a parent with a known figure owns a number, possibly 0)."""
    return float(own[j])


def settlement_population_total(settlements: pd.DataFrame, mask: np.ndarray | None = None) -> tuple[int, int]:
    """``(persons, unknown)`` for the settlements selected by ``mask``, each person once (see module docs)."""
    return population_total(own_population(settlements), mask, parent_index(settlements))


def population_value(v: object) -> int | None:
    """A JSON-ready head count: int, or None when unknown (NaN, NA, None or <= 0)."""
    if v is None or v is pd.NA:
        return None
    try:
        f = float(v)  # type: ignore[arg-type]  # any scalar on purpose: float() rejects what it cannot read
    except (TypeError, ValueError):
        return None
    return round(f) if np.isfinite(f) and f > 0 else None


def population_text(v: object) -> str:
    """A head count for tables: ``12,345`` or ``unknown``."""
    n = population_value(v)
    return "unknown" if n is None else f"{n:,}"


__all__ = [
    "COUNTRY_POPULATION",
    "MAX_POPULATION",
    "PARTY_FROM_SOURCES",
    "PARTY_FROM_SOURCES_ACROSS_LINE",
    "PARTY_FROM_TERRITORY",
    "POPULATION_COLUMNS",
    "POPULATION_LEVELS",
    "apply_claimed_party",
    "check_country_totals",
    "check_part_of",
    "check_settlements",
    "known_population",
    "own_population",
    "parent_index",
    "population_text",
    "population_total",
    "population_value",
    "settle_population",
    "settlement_population_total",
]
