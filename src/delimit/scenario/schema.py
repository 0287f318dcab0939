"""The scenario file format (YAML or TOML), validated by pydantic.

The JSON Schema generated from :class:`ScenarioFile` is published as
``delimit/schema/scenario.schema.json`` and printed by ``delimit scenarios schema``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from delimit.model.regime import Regime, TravellerClass

SCHEMA_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class LayerRef(_Strict):
    """A layer in a geodata file, by a path relative to the scenario file."""

    path: str
    layer: str | None = None


class PartySpec(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{2,16}$", description="short id, e.g. ISO 3166-1 alpha-3")
    name: str


class TransferSpec(_Strict):
    """Land moved from one party to another, applied in order on the base territory."""

    id: str
    from_: str = Field(alias="from")
    to: str
    status: str = "illustrative"
    source: str
    geometry: LayerRef

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ScenarioFile(_Strict):
    """A scenario file. Only ``name`` is required; everything else may come from ``base``."""

    schema_version: int = Field(default=SCHEMA_VERSION, ge=1, le=SCHEMA_VERSION)
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    title: str = ""
    description: str = ""
    status: str | None = None
    base: str | None = Field(default=None, description="a bundled scenario name or a path relative to this file")
    dataset: str | None = Field(
        default=None,
        description="an embedded dataset, e.g. 'fergana', or a folder written by 'delimit data build' (a path relative to this file, or absolute)",
    )
    layers: dict[str, LayerRef] = Field(default_factory=dict)
    elevation: LayerRef | None = None
    parties: list[PartySpec] = Field(default_factory=list)
    transfers: list[TransferSpec] = Field(default_factory=list)
    add_roads: list[LayerRef] = Field(default_factory=list)
    traveller_classes: list[TravellerClass] = Field(default_factory=list)
    regimes: list[Regime] = Field(default_factory=list)
    default_regime: str | None = None
    balance_tolerance: float | None = Field(
        default=None,
        ge=0,
        lt=1,
        description="fraction within which land exchanged each way counts as balanced when this scenario is compared (propose writes its --balance)",
    )


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files."""
    schema = ScenarioFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://delimit.invalid/schema/scenario.schema.json"
    schema["title"] = "delimit scenario file"
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
