"""The layers a scenario holds, with the geometry types, id field and columns each must have.

One table drives loading, validation, ``delimit validate`` and ``delimit data info``, so a new layer
is added here once and every reader and checker knows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from delimit.geomtypes import LINEAR, POLYGONAL, PUNTAL


@dataclass(frozen=True)
class LayerSpec:
    """What a layer must look like.

    Attributes
    ----------
    name: layer name in files and on :class:`~delimit.model.scenario.Scenario`.
    geometry_types: allowed geometry types.
    id_field: unique, non-null identifier column (None: the layer has no unique id).
    required: columns that must exist (besides geometry and the id).
    defaults: columns filled with this value when a user file lacks them.
    description: one line for documentation and ``delimit data info``.
    """

    name: str
    geometry_types: tuple[str, ...]
    id_field: str | None
    required: tuple[str, ...]
    defaults: tuple[tuple[str, object], ...]
    description: str


LAYERS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in (
        LayerSpec(
            "territory",
            POLYGONAL,
            "part_id",
            ("party",),
            (("name", ""), ("status", "claimed"), ("source", "")),
            "land held or claimed by each party, one row per part",
        ),
        LayerSpec(
            "settlements",
            PUNTAL,
            "settlement_id",
            ("name",),
            (
                ("population", None),
                ("population_year", None),
                ("population_level", ""),
                ("population_source", ""),
                ("part_of", ""),
                ("claimed_party", ""),
                ("enclave", ""),
                ("role", "village"),
                ("country_code", ""),
                ("status", "registry"),
                ("source", ""),
            ),
            "populated places; population (persons, empty = unknown, never 0) with year, level, source; part_of for counting each person once",
        ),
        LayerSpec(
            "roads",
            LINEAR,
            "road_id",
            (),
            (("name", ""), ("road_class", "unclassified"), ("status", "registry"), ("source", "")),
            "road segments; junctions are shared vertices",
        ),
        LayerSpec(
            "crossings",
            PUNTAL,
            "crossing_id",
            (),
            (("name", ""), ("parties", ""), ("status", "registry"), ("source", "")),
            "named border crossing points",
        ),
        LayerSpec(
            "water_bodies",
            POLYGONAL,
            "water_id",
            (),
            (("name", ""), ("kind", "lake"), ("status", "registry"), ("source", "")),
            "lakes and reservoirs (not land)",
        ),
        LayerSpec(
            "rivers",
            LINEAR,
            "water_id",
            (),
            (("name", ""), ("kind", "river"), ("status", "registry"), ("source", "")),
            "rivers and canals",
        ),
        LayerSpec(
            "outline_naturalearth",
            POLYGONAL,
            None,
            ("party",),
            (("name", ""), ("status", "reference"), ("source", "")),
            "a second, coarser outline for comparison",
        ),
        LayerSpec(
            "window",
            POLYGONAL,
            "name",
            (),
            (("source", ""),),
            "the extent the data covers",
        ),
    )
}

#: Statuses that mark registry-derived data; anything else (schematic, illustrative, claimed...) is
#: hand-made or contested and must be flagged in every output that uses it.
REGISTRY_STATUSES = frozenset({"registry", "de-facto", "agreed", "reference", "cited"})
