"""Proposal generator: balanced land swaps that keep every territory whole and every village reachable.

Pure engine. Build a zone (:func:`zone_geometry`), split it into parcels (:func:`build_parcels`
with :func:`grid_cells` / :func:`voronoi_cells` / user polygons), then :func:`propose`. Each proposal
applies to the scenario in memory with :func:`apply_proposal`, and every proposal passes the
:class:`IndependentChecker`.
"""

from delimit.propose.apply import apply_proposal, apply_transfers, proposal_transfers
from delimit.propose.chain import Chain, ChainGraph, ChainSettings, CsrGraph, NodeWeights
from delimit.propose.check import IndependentChecker
from delimit.propose.constraints import Constraints, Pins, pin_parcels
from delimit.propose.engine import ILLUSTRATIVE_NOTE, Proposal, ProposalSet, propose, zone_geometry
from delimit.propose.exact import EXACT_MAX_PARCELS, solve_exact
from delimit.propose.graph import ParcelGraph, build_graph
from delimit.propose.objectives import Weights, evaluate
from delimit.propose.units import build_parcels, grid_cells, parse_units, voronoi_cells

__all__ = [
    "EXACT_MAX_PARCELS",
    "ILLUSTRATIVE_NOTE",
    "Chain",
    "ChainGraph",
    "ChainSettings",
    "Constraints",
    "CsrGraph",
    "IndependentChecker",
    "NodeWeights",
    "ParcelGraph",
    "Pins",
    "Proposal",
    "ProposalSet",
    "Weights",
    "apply_proposal",
    "apply_transfers",
    "build_graph",
    "build_parcels",
    "evaluate",
    "grid_cells",
    "parse_units",
    "pin_parcels",
    "proposal_transfers",
    "propose",
    "solve_exact",
    "voronoi_cells",
    "zone_geometry",
]
