"""Proposal impact: what moves, who is affected, who gains or loses access (pure engine).

>>> from delimit.impact import compare                  # doctest: +SKIP
>>> c = compare(load_scenario("status-quo"), load_scenario("tj-corridor-claim"))  # doctest: +SKIP
>>> c.to_json()["land"]                                   # doctest: +SKIP
[{'from': 'KGZ', 'to': 'TJK', 'area_km2': 5.11}]
"""

from delimit.impact.access_change import access_changes, regime_pairs
from delimit.impact.compare import Comparison, EngineCache, EngineFailure, Unavailable, compare, topology_result
from delimit.impact.costs import CostEstimate, UnitCosts, estimate_costs, unit_costs_from_document
from delimit.impact.features import FeatureChange, feature_changes
from delimit.impact.land import NO_PARTY, LandChange, land_changes, measurement_crs
from delimit.impact.people import PeopleChange, people_changes
from delimit.impact.topology_change import TopologyChange, compare_necks, compare_parts, topology_changes

__all__ = [
    "NO_PARTY",
    "Comparison",
    "CostEstimate",
    "EngineCache",
    "EngineFailure",
    "FeatureChange",
    "LandChange",
    "PeopleChange",
    "TopologyChange",
    "Unavailable",
    "UnitCosts",
    "access_changes",
    "compare",
    "compare_necks",
    "compare_parts",
    "estimate_costs",
    "feature_changes",
    "land_changes",
    "measurement_crs",
    "people_changes",
    "regime_pairs",
    "topology_changes",
    "topology_result",
    "unit_costs_from_document",
]
