"""Topology engine: parts, enclaves, exclaves, necks and disputed land.

Public API::

    analyse(scenario, *, neck_width_m=1000.0, parties=None, progress=None) -> TopologyResult
    compare(a, b, *, parties=None) -> DisputedResult
    part_widths(polygon, threshold_m) -> list[Neck]          # low level, metric CRS

plus :func:`analyse_territory` and :func:`compare_territories` for plain GeoDataFrames (used by
the world benchmark). Definitions are in :mod:`delimit.topology.parts` (parts, mainland,
enclave, gap), :mod:`delimit.topology.widths` (necks and the width method) and
:mod:`delimit.topology.disputed` (claimed by both / by none).
"""

from delimit.topology.disputed import compare, compare_territories
from delimit.topology.engine import analyse, analyse_territory
from delimit.topology.result import DisputedResult, TopologyResult
from delimit.topology.widths import Neck, part_widths

__all__ = [
    "DisputedResult",
    "Neck",
    "TopologyResult",
    "analyse",
    "analyse_territory",
    "compare",
    "compare_territories",
    "part_widths",
]
