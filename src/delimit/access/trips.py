"""One trip under two regimes: what changing the regime saves (km, minutes, hours) on that trip.

Pure engine (no files, no printing). Both regimes are solved on one network with
:func:`delimit.access.route.route`; the saving is regime A minus regime B (positive: B is shorter or
faster). An unreachable trip under either regime makes the saving unknown (None), never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from delimit.access.network import AccessNetwork, build_network
from delimit.access.route import RouteResult, route
from delimit.model.scenario import Scenario


@dataclass
class TripComparison:
    """The fastest trip from one place to another under regimes A and B, and what B saves over A.

    Attributes
    ----------
    a, b: the two routes (see :class:`~delimit.access.route.RouteResult`).
    km_saved: km of A's fastest route minus km of B's (None if either is unreachable).
    minutes_saved: minutes of A minus minutes of B (None if either is unreachable); hours_saved likewise.
    """

    a: RouteResult
    b: RouteResult
    km_saved: float | None
    minutes_saved: float | None

    @property
    def hours_saved(self) -> float | None:
        return None if self.minutes_saved is None else self.minutes_saved / 60.0

    def to_json(self) -> dict[str, Any]:
        """``{"from", "to", "class", "regime_a", "regime_b", "km_saved", "hours_saved", "a", "b", ...}``."""
        return {
            "scenario": self.a.scenario,
            "class": self.a.traveller_class,
            "from": self.a.origin.as_dict(),
            "to": self.a.destination.as_dict(),
            "regime_a": self.a.regime,
            "regime_b": self.b.regime,
            "km_saved": None if self.km_saved is None else round(self.km_saved, 3),
            "minutes_saved": None if self.minutes_saved is None else round(self.minutes_saved, 2),
            "hours_saved": None if self.hours_saved is None else round(self.hours_saved, 3),
            "definitions": {
                "km_saved": "km of the fastest route under regime A minus under regime B (null: a regime has no route)",
                "hours_saved": "hours of the fastest trip under regime A minus under regime B, checkpoint delays included",
            },
            "a": self.a.to_json(),
            "b": self.b.to_json(),
            "provenance": self.a.provenance,
            "attribution": self.a.attribution,
        }


def compare_trip(
    scenario: Scenario,
    regime_a: str,
    regime_b: str,
    *,
    traveller_class: str,
    origin: str,
    destination: str,
    network: AccessNetwork | None = None,
) -> TripComparison:
    """The trip ``origin`` -> ``destination`` under regimes A and B (one network) and B's saving over A.

    ``network`` (built for the class's mode) is reused when given. Raises InputError for an unknown
    regime or class, or a place name matching nothing or several places.
    """
    cls = scenario.traveller_class(traveller_class)
    scenario.regime(regime_a), scenario.regime(regime_b)
    net = network if network is not None else build_network(scenario, mode=cls.mode)
    ra = route(scenario, traveller_class=cls.id, origin=origin, destination=destination, regime=regime_a, network=net)
    rb = route(scenario, traveller_class=cls.id, origin=origin, destination=destination, regime=regime_b, network=net)
    both = ra.reachable and rb.reachable and ra.km is not None and rb.km is not None
    km = (ra.km - rb.km) if both and ra.km is not None and rb.km is not None else None
    mins = (ra.minutes - rb.minutes) if both and ra.minutes is not None and rb.minutes is not None else None
    return TripComparison(ra, rb, km, mins)


__all__ = ["TripComparison", "compare_trip"]
