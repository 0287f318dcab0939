"""Typed domain objects: parties, claims, lines, settlements, roads, water, crossings, regimes, scenarios."""

from delimit.model.features import BoundaryLine, Claim, Crossing, Party, RoadSegment, Settlement, WaterFeature
from delimit.model.layers import LAYERS, REGISTRY_STATUSES, LayerSpec
from delimit.model.provenance import InputRecord, Provenance
from delimit.model.raster import Raster
from delimit.model.regime import BorderPolicy, CrossingPolicy, CrossingRule, Regime, TransitCorridor, TravellerClass
from delimit.model.scenario import Scenario, Transfer, assign_party, empty_layer

__all__ = [
    "LAYERS",
    "REGISTRY_STATUSES",
    "BorderPolicy",
    "BoundaryLine",
    "Claim",
    "Crossing",
    "CrossingPolicy",
    "CrossingRule",
    "InputRecord",
    "LayerSpec",
    "Party",
    "Provenance",
    "Raster",
    "Regime",
    "RoadSegment",
    "Scenario",
    "Settlement",
    "Transfer",
    "TransitCorridor",
    "TravellerClass",
    "WaterFeature",
    "assign_party",
    "empty_layer",
]
