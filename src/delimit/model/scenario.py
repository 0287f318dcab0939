"""The Scenario: a named, complete bundle of territory, features and crossing regimes.

A scenario is what every engine takes. Its layers are GeoDataFrames in WGS84 (EPSG:4326) with the
columns listed in :mod:`delimit.model.layers`; settlements, roads and crossings carry the ``party``
that holds them under this scenario's territory (computed on load).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from delimit.crs import WGS84
from delimit.model.features import BoundaryLine, Claim, Party
from delimit.model.landcover import LandCover
from delimit.model.layers import LAYERS, REGISTRY_STATUSES
from delimit.model.provenance import Provenance
from delimit.model.raster import Raster
from delimit.model.regime import Regime, TravellerClass


@dataclass(frozen=True)
class Transfer:
    """A piece of land moved from one party to another by a scenario (as declared, WGS84)."""

    id: str
    from_party: str
    to_party: str
    status: str
    source: str
    geometry: BaseGeometry


def empty_layer(name: str) -> gpd.GeoDataFrame:
    """An empty GeoDataFrame with the columns of layer ``name``."""
    spec = LAYERS[name]
    cols = [*([spec.id_field] if spec.id_field else []), *spec.required, *(k for k, _ in spec.defaults)]
    cols = list(dict.fromkeys(cols))
    return gpd.GeoDataFrame({c: [] for c in cols}, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)


@dataclass
class Scenario:
    """A named bundle of territory, settlements, roads, water, crossings, traveller classes and regimes.

    Attributes
    ----------
    name, title, description, status:
        Identity; ``status`` is the scenario's own standing (``de-facto``, ``claimed``, ``illustrative``...).
    parties:
        The parties, by id.
    territory:
        One row per part: ``part_id, party, name, status, source, geometry``. Under a complete
        scenario parts of different parties do not overlap.
    settlements, roads, crossings, water_bodies, rivers, outline, window:
        The other layers (see :mod:`delimit.model.layers`); ``settlements``, ``roads`` and
        ``crossings`` have a ``party`` column computed from ``territory`` (roads: the party holding
        the segment's midpoint; crossings: parties joined by ``-``).
    traveller_classes, regimes, default_regime:
        Crossing rules (:mod:`delimit.model.regime`).
    transfers:
        The land moves this scenario applied to its base, as declared.
    provenance:
        Inputs and versions, embedded in every output.
    balance_tolerance:
        The tolerance (fraction) a balanced exchange is judged with when this scenario is compared
        (:func:`delimit.impact.land.is_balanced_exchange`); None: the default.
    """

    name: str
    title: str
    description: str
    status: str
    parties: dict[str, Party]
    territory: gpd.GeoDataFrame
    settlements: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    crossings: gpd.GeoDataFrame
    water_bodies: gpd.GeoDataFrame
    rivers: gpd.GeoDataFrame
    outline: gpd.GeoDataFrame
    window: gpd.GeoDataFrame
    traveller_classes: dict[str, TravellerClass]
    regimes: dict[str, Regime]
    default_regime: str | None
    provenance: Provenance
    transfers: list[Transfer] = field(default_factory=list)
    repairs: list[Any] = field(default_factory=list)
    elevation_loader: Callable[[], Raster | None] | None = None
    _elevation: Raster | None = field(default=None, repr=False)
    landcover_loader: Callable[[], LandCover | None] | None = None
    _landcover: LandCover | None = field(default=None, repr=False)
    balance_tolerance: float | None = None

    # ----------------------------------------------------------------- layers
    LAYER_ATTRS: ClassVar[tuple[str, ...]] = (
        "territory",
        "settlements",
        "roads",
        "crossings",
        "water_bodies",
        "rivers",
        "outline",
        "window",
    )

    def layer(self, name: str) -> gpd.GeoDataFrame:
        """A layer by its file name (``outline_naturalearth`` is ``outline``)."""
        attr = "outline" if name == "outline_naturalearth" else name
        if attr not in self.LAYER_ATTRS:
            raise KeyError(name)
        return getattr(self, attr)

    @property
    def elevation(self) -> Raster | None:
        """The elevation model (metres), loaded on first use; None if the scenario has none."""
        if self._elevation is None and self.elevation_loader is not None:
            self._elevation = self.elevation_loader()
        return self._elevation

    @property
    def landcover(self) -> LandCover | None:
        """Land cover with its off-road speed table, loaded on first use; None if the scenario has none."""
        if self._landcover is None and self.landcover_loader is not None:
            self._landcover = self.landcover_loader()
        return self._landcover

    # --------------------------------------------------------------- geometry
    def party_geometry(self, party: str) -> BaseGeometry:
        """Union of all parts of ``party`` (WGS84); empty geometry if it holds none."""
        parts = self.territory.geometry[self.territory["party"] == party]
        return shapely.union_all(parts.values) if len(parts) else shapely.Polygon()

    def party_geometries(self) -> dict[str, BaseGeometry]:
        """{party: union of its parts} for every party holding land."""
        return {p: self.party_geometry(p) for p in sorted(self.territory["party"].unique())}

    def boundary_lines(self) -> list[BoundaryLine]:
        """The shared boundaries between every pair of parties (line parts of their intersection)."""
        geoms = self.party_geometries()
        keys = sorted(geoms)
        out: list[BoundaryLine] = []
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                if not geoms[a].envelope.intersects(geoms[b].envelope):
                    continue
                shared = shapely.intersection(geoms[a].boundary, geoms[b].boundary)
                lines = [g for g in shapely.get_parts(shared) if g.geom_type in ("LineString", "MultiLineString")]
                if not lines:
                    continue
                merged = shapely.line_merge(shapely.union_all(lines))
                statuses = set(self.territory.loc[self.territory["party"].isin([a, b]), "status"])
                status = "de-facto" if statuses <= {"de-facto"} else "+".join(sorted(statuses))
                out.append(BoundaryLine((a, b), merged, status=status, source="derived from the territory layer"))
        return out

    def boundary_between(self, a: str, b: str) -> BaseGeometry:
        """The line shared by parties ``a`` and ``b`` (empty if they do not touch)."""
        for line in self.boundary_lines():
            if set(line.parties) == {a, b}:
                return line.geometry
        return shapely.LineString()

    # ------------------------------------------------------------ typed views
    def claims(self) -> list[Claim]:
        """Every territory part as a :class:`Claim`."""
        return [Claim.from_row(r) for _, r in self.territory.iterrows()]

    def regime(self, regime_id: str | None = None) -> Regime:
        """A regime by id (default: the scenario's default regime)."""
        rid = regime_id or self.default_regime
        if rid is None or rid not in self.regimes:
            from delimit.errors import InputError

            raise InputError(
                self.name,
                f"unknown regime {rid!r} (known: {', '.join(sorted(self.regimes)) or 'none'})",
                field="regime",
            )
        return self.regimes[rid]

    def traveller_class(self, class_id: str) -> TravellerClass:
        if class_id not in self.traveller_classes:
            from delimit.errors import InputError

            raise InputError(
                self.name,
                f"unknown traveller class {class_id!r} (known: {', '.join(sorted(self.traveller_classes))})",
                field="class",
            )
        return self.traveller_classes[class_id]

    # ------------------------------------------------------------ data marks
    def data_marks(self, layers: Iterable[str] | None = None) -> dict[str, list[str]]:
        """Non-registry statuses used, per layer: ``{'roads': ['schematic'], 'territory': ['illustrative']}``.

        Outputs print these so that a reader sees, on the face of the result, which numbers rest on
        schematic or illustrative data. Besides layer names, ``layers`` may hold ``'regimes'`` (the
        statuses of the crossing regimes) and ``'scenario'`` (the scenario's own status); all of them
        are included when ``layers`` is None.
        """
        names = list(layers) if layers is not None else [*self.LAYER_ATTRS, "regimes", "scenario"]
        out: dict[str, list[str]] = {}
        for name in names:
            if name == "regimes":
                marks = sorted({r.status for r in self.regimes.values()} - REGISTRY_STATUSES)
            elif name == "scenario":
                marks = [] if self.status in REGISTRY_STATUSES else [self.status]
            else:
                gdf = self.layer(name)
                statuses = {str(x) for x in gdf["status"].unique()} if "status" in gdf.columns and len(gdf) else set()
                marks = sorted(statuses - REGISTRY_STATUSES)
            if marks:
                out[name] = marks
        return out

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary for ``delimit scenarios show``."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "status": self.status,
            "parties": [{"id": p.id, "name": p.name} for p in self.parties.values()],
            "layers": {n: len(self.layer(n)) for n in self.LAYER_ATTRS},
            "territory_parts": {str(k): int(v) for k, v in self.territory.groupby("party").size().sort_index().items()},
            "transfers": [
                {"id": t.id, "from": t.from_party, "to": t.to_party, "status": t.status, "source": t.source}
                for t in self.transfers
            ],
            "traveller_classes": [c.model_dump() for c in self.traveller_classes.values()],
            "regimes": [{"id": r.id, "description": r.description, "status": r.status} for r in self.regimes.values()],
            "default_regime": self.default_regime,
            "data_marks": self.data_marks(),
            "provenance": self.provenance.as_dict(),
        }


def assign_party(points: gpd.GeoDataFrame, territory: gpd.GeoDataFrame) -> np.ndarray:
    """Party holding each point ("" where none does), by a spatial index query."""
    out = np.full(len(points), "", dtype=object)
    if len(points) == 0 or len(territory) == 0:
        return out
    tree = shapely.STRtree(territory.geometry.values)
    pi, ti = tree.query(points.geometry.values, predicate="intersects")
    parties = territory["party"].to_numpy()
    # first hit wins; order by territory index for determinism
    order = np.lexsort((ti, pi))
    seen = set()
    for k in order:
        if pi[k] not in seen:
            out[pi[k]] = parties[ti[k]]
            seen.add(pi[k])
    return out
