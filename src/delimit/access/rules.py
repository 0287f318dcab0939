"""Regimes and traveller classes as arc costs: the ``group_add`` array and the node mask.

A regime and a class never change the graph, only (a) the additive cost of each arc *group*
(``inf`` closes it) and (b) which nodes are blocked. See :mod:`delimit.access.network` for the
model; this module is the one place where the regime's rules are read.

* road segment: open (0) unless its road is in ``regime.closed_roads`` or closed by a
  :class:`Closures`;
* transition between two labels of one vertex: free between labels of one party, or when either
  label is a road the regime makes neutral (or a free transit corridor listing the class);
  otherwise a crossing:

  - at a **checkpoint** (a post of the ``crossings`` layer): ``regime.rule(crossing_id, class,
    parties)`` - ``delay_minutes * 60`` seconds when open, ``inf`` when closed. Where a road meets
    the line several times beside one post, the delay is charged at the intersection nearest the
    post and the others follow the post's open/closed rule without a delay. A trip is thus charged
    once per checkpoint it passes;
  - **away from a checkpoint** (a road meeting the line where there is no post): no delay is ever
    charged; the crossing is open when the regime's rule for it (a policy naming it, else the
    border's policy, else the default) is open *and* the class is one of the kinds that use
    unofficial crossings (:data:`UNOFFICIAL_KINDS`: border-zone residents). Citizens, foreigners
    and freight must use checkpoints. So ``closed-2022`` closes them to all; ``open`` opens them to
    residents;
* green border (foot mode, between terrain cells of two parties): a crossing away from a
  checkpoint, under the same rule;
* sealed transit shortcut: open (0 added to the corridor drive) only under its regime, for its
  listed classes, and when the drive takes at most ``max_minutes``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from delimit.access.network import GREEN, SEALED, SEGMENT, TRANSITION, AccessNetwork
from delimit.errors import InputError
from delimit.model.regime import Regime, TravellerClass

#: Traveller-class kinds that may use a crossing away from a checkpoint when the regime opens the
#: border to them (local roads and paths across the line are the border-zone residents' own).
UNOFFICIAL_KINDS: frozenset[str] = frozenset({"resident"})


@dataclass(frozen=True)
class Closures:
    """Points blocked on top of a regime (for chokepoint analysis and "what if" questions).

    Attributes
    ----------
    junctions: road vertex ids (``AccessNetwork.vertices['vertex_id']``, e.g. ``'v12'``): every
        node of the vertex is blocked.
    roads: road ids: every segment of the road is closed.
    segments: segment ids (``'<road_id>#<k>'``): one straight piece of a road.
    crossings: crossing ids (named, or the generated ``unnamed:...`` ids of the network).

    >>> Closures(roads=("r-1",)).is_empty
    False
    """

    junctions: tuple[str, ...] = field(default_factory=tuple)
    roads: tuple[str, ...] = field(default_factory=tuple)
    segments: tuple[str, ...] = field(default_factory=tuple)
    crossings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_empty(self) -> bool:
        return not (self.junctions or self.roads or self.segments or self.crossings)

    @classmethod
    def of(
        cls,
        junctions: Iterable[str] = (),
        roads: Iterable[str] = (),
        segments: Iterable[str] = (),
        crossings: Iterable[str] = (),
    ) -> Closures:
        return cls(tuple(junctions), tuple(roads), tuple(segments), tuple(crossings))

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "junctions": list(self.junctions),
            "roads": list(self.roads),
            "segments": list(self.segments),
            "crossings": list(self.crossings),
        }


#: The group columns :func:`group_costs` reads.
_COLUMNS = (
    "kind", "road_id", "segment", "party_a", "party_b", "label_road_a", "label_road_b",
    "crossing_id", "named", "regime", "classes",
)  # fmt: skip


def _group_arrays(net: AccessNetwork) -> dict[str, np.ndarray]:
    """The network's group columns as arrays, read once per network (costs are computed for every
    regime, class and closure: a pandas column look-up each time cost more than the costs)."""
    cached = getattr(net, "_group_arrays", None)
    if cached is not None and cached[0] is net.groups:
        return cached[1]  # type: ignore[no-any-return]  # stored below
    g = net.groups
    cols = {c: g[c].to_numpy() for c in _COLUMNS}
    n = len(g)
    cols["checkpoint"] = (
        g["checkpoint"].to_numpy(dtype=bool) if "checkpoint" in g.columns else cols["named"].astype(bool)
    )
    cols["at_post"] = g["at_post"].to_numpy(dtype=bool) if "at_post" in g.columns else np.zeros(n, np.bool_)
    cols["seconds"] = g["seconds"].to_numpy(dtype=float)
    cols["max_minutes"] = g["max_minutes"].to_numpy(dtype=float)
    net._group_arrays = (g, cols)  # type: ignore[attr-defined]  # a per-network cache, like travel's _group_columns
    return cols


def _party_name(net: AccessNetwork, i: int) -> str:
    return net.parties[i] if 0 <= i < len(net.parties) else ""


def check_closures(net: AccessNetwork, closures: Closures) -> None:
    """Raise InputError naming the first closure that matches nothing in the network."""
    if not any(closures.as_dict().values()):
        return  # nothing blocked: nothing to look up (this runs before every solve)
    g = net.groups
    known = {
        "junctions": set(net.vertices["vertex_id"]),
        "roads": set(g.loc[g["kind"] == SEGMENT, "road_id"]),
        "segments": set(g.loc[g["kind"] == SEGMENT, "segment"]),
        "crossings": set(g.loc[g["kind"] == TRANSITION, "crossing_id"]),
    }
    for name, ids in closures.as_dict().items():
        for x in ids:
            if x not in known[name]:
                raise InputError(net.scenario, f"cannot block unknown {name[:-1]} {x!r}", field=name)


def group_costs(
    net: AccessNetwork, regime: Regime, cls: TravellerClass, closures: Closures | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(group_add, blocked)`` for ``regime`` and class ``cls`` (plus optional closures).

    ``group_add[g]`` is added (seconds) to every arc of group ``g``; ``inf`` closes the group.
    ``blocked`` is the node mask.
    """
    closures = closures or Closures()
    g = net.groups
    n = len(g)
    add = np.zeros(n)
    if n == 0:
        return add, np.zeros(net.n_nodes, np.bool_)
    cols = _group_arrays(net)
    kind = cols["kind"]
    neutral = set(regime.neutral_roads)
    for t in regime.transit:
        if t.kind == "free" and cls.id in t.classes:
            neutral.update(t.roads)
    closed_roads = set(regime.closed_roads) | set(closures.roads)
    closed_segments = set(closures.segments)
    closed_crossings = set(closures.crossings)
    road_id = cols["road_id"]
    segment = cols["segment"]
    seg = kind == SEGMENT
    add[seg & (np.isin(road_id, list(closed_roads)) | np.isin(segment, list(closed_segments)))] = math.inf
    rule_cache: dict[tuple[str | None, str, str, bool, bool], float] = {}
    unofficial_ok = cls.kind in UNOFFICIAL_KINDS

    def rule_cost(cid: str | None, pa: str, pb: str, checkpoint: bool, at_post: bool = False) -> float:
        k = (cid, pa, pb, checkpoint, at_post)
        if k not in rule_cache:
            r = regime.rule(cid, cls.id, (pa, pb))
            if checkpoint:
                rule_cache[k] = float(r.delay_minutes) * 60.0 if r.open else math.inf
            elif (
                at_post
            ):  # the road meets the line again beside the post: the post's rule, its delay charged once at the post
                rule_cache[k] = 0.0 if r.open else math.inf
            else:
                rule_cache[k] = 0.0 if (r.open and unofficial_ok) else math.inf
        return rule_cache[k]

    pa_, pb_ = cols["party_a"], cols["party_b"]
    la, lb = cols["label_road_a"], cols["label_road_b"]
    cid_, named_ = cols["crossing_id"], cols["named"]
    cp_, post_ = cols["checkpoint"], cols["at_post"]
    for i in np.flatnonzero(kind == TRANSITION):
        if cid_[i] in closed_crossings:
            add[i] = math.inf
        elif pa_[i] == pb_[i] or la[i] in neutral or lb[i] in neutral:
            add[i] = 0.0
        else:
            add[i] = rule_cost(
                str(cid_[i]) if named_[i] else None,
                _party_name(net, int(pa_[i])),
                _party_name(net, int(pb_[i])),
                bool(cp_[i]),
                bool(post_[i]),
            )
    for i in np.flatnonzero(kind == GREEN):
        add[i] = rule_cost(None, _party_name(net, int(pa_[i])), _party_name(net, int(pb_[i])), False)
    regime_col, classes_col = cols["regime"], cols["classes"]
    secs, maxm = cols["seconds"], cols["max_minutes"]
    for i in np.flatnonzero(kind == SEALED):
        ok = regime_col[i] == regime.id and cls.id in str(classes_col[i]).split(",")
        ok = ok and (not np.isfinite(maxm[i]) or secs[i] <= maxm[i] * 60.0)
        add[i] = 0.0 if ok else math.inf
    blocked = np.zeros(net.n_nodes, np.bool_)
    if closures.junctions:
        vid = {v: i for i, v in enumerate(net.vertices["vertex_id"])}
        vs = [vid[j] for j in closures.junctions if j in vid]
        blocked[np.isin(net.node_vertex, vs) & (net.node_vertex >= 0)] = True
    return add, blocked
