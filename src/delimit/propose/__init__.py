"""Proposal generator: balanced land swaps that keep every territory whole and every village reachable.

Pure engine. Build a zone (:func:`zone_geometry`, or :func:`zone_outlines` from a :class:`ZoneSpec`),
split it into parcels (:func:`build_parcels` with :func:`grid_cells` / :func:`voronoi_cells` / user
polygons, or :func:`unit_cells` from a :class:`UnitsSpec`), then :func:`propose`. Each proposal
applies to the scenario in memory with :func:`apply_proposal`, and every proposal passes the
:class:`IndependentChecker`. :func:`save` writes a proposal set as scenario files, a GeoPackage and a
summary (through :mod:`delimit.io`; the only part of the package that writes).

>>> from delimit.propose import ZoneSpec, UnitsSpec
>>> ZoneSpec.parse("band:1.5km").width_m, UnitsSpec.parse("square:250m").size_m
(1500.0, 250.0)
"""

from delimit.propose.apply import apply_proposal, apply_transfers, proposal_transfers
from delimit.propose.chain import Chain, ChainGraph, ChainSettings, CsrGraph, NodeWeights
from delimit.propose.check import IndependentChecker
from delimit.propose.constraints import Constraints, Pins, pin_parcels
from delimit.propose.engine import ILLUSTRATIVE_NOTE, Proposal, ProposalSet, propose, zone_geometry
from delimit.propose.exact import EXACT_MAX_PARCELS, solve_exact
from delimit.propose.graph import ParcelGraph, build_graph
from delimit.propose.inputs import UnitsSpec, ZoneSpec, read_polygons, unit_cells, zone_outlines
from delimit.propose.objectives import Weights, evaluate
from delimit.propose.output import base_reference, save
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
    "UnitsSpec",
    "Weights",
    "ZoneSpec",
    "apply_proposal",
    "apply_transfers",
    "base_reference",
    "build_graph",
    "build_parcels",
    "evaluate",
    "grid_cells",
    "parse_units",
    "pin_parcels",
    "proposal_transfers",
    "propose",
    "read_polygons",
    "save",
    "solve_exact",
    "unit_cells",
    "voronoi_cells",
    "zone_geometry",
    "zone_outlines",
]
