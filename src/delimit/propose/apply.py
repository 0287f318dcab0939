"""Turn a proposal into transfers and into a Scenario, the way a scenario file's ``transfers`` would.

A proposal moves parcels; as a scenario it is at most two transfers, one per direction, whose
geometry is the union of the moved parcels' *cells* clipped to the zone (cutting along cell edges,
not along the old line, so that no sliver of the old line survives the overlay). A transfer only
moves land of its ``from`` party, so a cell's other piece is untouched; pieces of the ``from`` party
in the same cell that stay are cut out (with a ~1 cm margin). When a cell has pieces moving both
ways, the second transfer takes that cell's moving pieces themselves, widened by ~1 cm (the area
shift is a 1 cm rim, negligible; a cut exactly along the old line would leave detached slivers).

:func:`apply_proposal` applies the transfers in memory with the scenario loader's own transfer
mechanism, so the derived scenario equals what ``delimit`` loads from the written YAML.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import shapely

from delimit.model.scenario import Scenario, Transfer, assign_party
from delimit.model.transfers import apply_transfer, copy_scenario
from delimit.polygons import robust_difference, robust_union
from delimit.propose.graph import EPS_DEG, ParcelGraph


def proposal_transfers(graph: ParcelGraph, assign: np.ndarray, *, proposal_id: str, source: str) -> list[Transfer]:
    """The transfers (WGS84) realising ``assign``: A->B first, then B->A; empty directions omitted."""
    n = graph.n_parcels
    moved = np.flatnonzero(assign[:n] != graph.holder[:n])
    out: list[Transfer] = []
    cells = graph.parcels["cell"].to_numpy()
    first_cells: set[int] = set()
    for direction, (frm, to) in enumerate(((0, 1), (1, 0))):
        idx = [i for i in moved if graph.holder[i] == frm]
        if not idx:
            continue
        by_cell: dict[int, shapely.Geometry] = {}
        for i in idx:
            by_cell.setdefault(int(cells[i]), graph.cell_geometry[i])
        # pieces of the same party in those cells that stay: cut them out (with a 1 cm margin)
        stay = np.flatnonzero((graph.holder[:n] == frm) & (assign[:n] == frm) & np.isin(cells, list(by_cell)))
        staying: dict[int, list[shapely.Geometry]] = {}
        for i in stay:
            staying.setdefault(int(cells[i]), []).append(graph.parcels.geometry.iloc[i])
        geoms = []
        for c, g in by_cell.items():
            if c in staying:
                g = robust_difference(
                    [g], [shapely.buffer(robust_union(staying[c], EPS_DEG / 100), EPS_DEG)], EPS_DEG / 100
                )[0]
            if direction == 1 and c in first_cells:
                # the cell's land is all B's now; its B-held pieces that move are taken with a 1 cm
                # rim (a transfer running exactly along the old line would leave detached slivers)
                mine = [graph.parcels.geometry.iloc[i] for i in idx if int(cells[i]) == c]
                g = shapely.buffer(robust_union(mine, EPS_DEG / 100), EPS_DEG, quad_segs=2)
            geoms.append(g)
        geom = robust_union(geoms, EPS_DEG / 100)
        a, b = graph.parties[frm], graph.parties[to]
        out.append(Transfer(f"{proposal_id}-{a.lower()}-to-{b.lower()}", a, b, "illustrative", source, geom))
        if direction == 0:
            first_cells = set(by_cell)
    return out


def apply_transfers(
    scenario: Scenario, transfers: list[Transfer], *, name: str, title: str = "", description: str = ""
) -> Scenario:
    """A new scenario: ``scenario`` with ``transfers`` applied in order (parties of points recomputed)."""
    territory = scenario.territory
    for t in transfers:
        territory = apply_transfer(territory, t, scenario.name)  # the scenario's name stands for the file in errors
    settlements = scenario.settlements.copy()
    settlements["party"] = assign_party(settlements, territory)
    roads = scenario.roads.copy()
    if len(roads):
        mids = roads.copy()
        mids["geometry"] = shapely.line_interpolate_point(roads.geometry.values, 0.5, normalized=True)
        roads["party"] = assign_party(mids, territory)
    prov = replace(scenario.provenance, scenario=name, scenario_chain=(*scenario.provenance.scenario_chain, name))
    return copy_scenario(
        scenario,
        name=name,
        title=title or name,
        description=description,
        status="illustrative",
        territory=territory,
        settlements=settlements,
        roads=roads,
        transfers=[*scenario.transfers, *transfers],
        provenance=prov,
    )


def apply_proposal(
    scenario: Scenario, graph: ParcelGraph, assign: np.ndarray, *, proposal_id: str, source: str
) -> Scenario:
    """The scenario a proposal describes (status ``illustrative``), built in memory."""
    transfers = proposal_transfers(graph, assign, proposal_id=proposal_id, source=source)
    return apply_transfers(
        scenario,
        transfers,
        name=f"{scenario.name}-{proposal_id}",
        title=f"{scenario.title} - proposal {proposal_id} (illustrative)",
        description=f"Generated land swap: {source}. Illustrative, not any party's position.",
    )
