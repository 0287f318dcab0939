"""Movement speeds: road speeds by class (vehicle and on foot) and Tobler's hiking function.

Every number here is an *assumption*, documented and configurable, never an observation: the
embedded roads are schematic and carry no speed data. Outputs name the speeds they used.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

#: Default vehicle speeds (km/h) by OSM-style road class: typical mountain-valley averages for
#: Central Asian roads (including slow-downs in villages), not posted limits.
DEFAULT_VEHICLE_KMH: dict[str, float] = {
    "motorway": 90.0,
    "trunk": 80.0,
    "primary": 70.0,
    "secondary": 55.0,
    "tertiary": 40.0,
    "unclassified": 30.0,
    "residential": 25.0,
    "track": 15.0,
}


@dataclass(frozen=True)
class RoadSpeeds:
    """Speeds the access engine assumes (km/h) and the connector rules.

    Attributes
    ----------
    vehicle: km/h by ``road_class`` for the vehicle mode (see :data:`DEFAULT_VEHICLE_KMH`).
    vehicle_other: km/h for a road class not listed.
    foot_road: walking speed on any road (km/h; Tobler's function on flat ground gives 5.04).
    connector: walking speed (km/h) on the straight connector from a settlement to the road.
    max_connector_m: a settlement farther than this (metres) from every road of its own party is
        *off the road network* in the vehicle mode (reported, never silently connected).
    crossing_match_m: a named crossing matches a road/border intersection within this distance (m).

    >>> RoadSpeeds().seconds_per_metre("primary", "vehicle") == 3.6 / 70.0
    True
    """

    vehicle: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_VEHICLE_KMH))
    vehicle_other: float = 30.0
    foot_road: float = 5.0
    connector: float = 4.0
    max_connector_m: float = 5000.0
    crossing_match_m: float = 50.0

    def kmh(self, road_class: str, mode: str) -> float:
        """Speed (km/h) on a road of ``road_class`` in ``mode`` (``vehicle`` or ``foot``)."""
        if mode == "foot":
            return self.foot_road
        return float(self.vehicle.get(str(road_class), self.vehicle_other))

    def seconds_per_metre(self, road_class: str, mode: str) -> float:
        """Pace (s/m) on a road of ``road_class`` in ``mode``."""
        return 3.6 / self.kmh(road_class, mode)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the outputs' ``assumptions``."""
        return asdict(self)


def tobler_kmh(slope: np.ndarray | float) -> np.ndarray:
    """Tobler's hiking function: walking speed (km/h) on a signed slope (rise over run).

    ``6 * exp(-3.5 * |slope + 0.05|)``: 6 km/h at the optimal 5 % descent, 5.04 km/h on the flat.

    >>> round(float(tobler_kmh(0.0)), 2), round(float(tobler_kmh(-0.05)), 2)
    (5.04, 6.0)
    """
    return 6.0 * np.exp(-3.5 * np.abs(np.asarray(slope, dtype=float) + 0.05))


def tobler_pace_symmetric(slope: np.ndarray | float) -> np.ndarray:
    """Mean walking pace (s/m) up and down a slope of magnitude ``|slope|``.

    The access graph is undirected (a trip to the target costs the same as the trip back), so
    the direction-dependent Tobler function is symmetrised as the mean of the uphill and downhill
    paces: ``(1/v(s) + 1/v(-s)) / 2`` in seconds per metre.

    >>> round(float(tobler_pace_symmetric(0.0)) * 1000 / 60, 2)  # min/km on the flat: 60 / (6 e^-0.175)
    11.91
    """
    s = np.abs(np.asarray(slope, dtype=float))
    return 0.5 * (3.6 / tobler_kmh(s) + 3.6 / tobler_kmh(-s))


def minutes(seconds: float) -> float:
    """Seconds to minutes (inf stays inf)."""
    return seconds / 60.0 if math.isfinite(seconds) else math.inf
