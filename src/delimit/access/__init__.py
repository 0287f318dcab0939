"""Border-aware access engine: who can reach what, under which crossing regime, and which points cut whom off.

Pure engine (no files, no printing). One graph per scenario and mode (:func:`build_network`);
regimes, traveller classes and closures are applied by masking arc groups, never by rebuilding.
See :mod:`delimit.access.network` for the model, :mod:`delimit.access.travel` for the definitions
of minutes, reachability, people cut off and person-hours added, and
:mod:`delimit.access.chokepoints` for the chokepoint method.
"""

from delimit.access.network import AccessNetwork, TerrainGrid, build_network
from delimit.access.rules import Closures, group_costs
from delimit.access.speeds import RoadSpeeds, tobler_kmh, tobler_pace_symmetric
from delimit.access.targets import TargetSet, resolve_targets
from delimit.access.travel import (
    DEFINITIONS,
    AccessResult,
    RegimeComparison,
    access_summary,
    compare_regimes,
    travel_times,
)

__all__ = [
    "DEFINITIONS",
    "AccessNetwork",
    "AccessResult",
    "Closures",
    "RegimeComparison",
    "RoadSpeeds",
    "TargetSet",
    "TerrainGrid",
    "access_summary",
    "build_network",
    "compare_regimes",
    "group_costs",
    "resolve_targets",
    "tobler_kmh",
    "tobler_pace_symmetric",
    "travel_times",
]

from delimit.access.chokepoints import ChokepointResult, chokepoints
from delimit.access.surface import travel_time_surface

__all__ += ["ChokepointResult", "chokepoints", "travel_time_surface"]

from delimit.access.route import RouteResult, find_place, route  # noqa: E402

__all__ += ["RouteResult", "find_place", "route"]
