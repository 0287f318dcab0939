"""Optional unit costs that turn impact counts into a cost estimate, with their source shown.

delimit ships **no** default cost figures: there are no sourced numbers it could defend. A user
supplies a small YAML/TOML document (``delimit compare --costs FILE``)::

    source: "World Bank resettlement appraisal, Batken 2019, table 4"   # required, shown in outputs
    currency: USD                                                       # required
    household_size: 5.2              # persons per household (required with per_resettled_household)
    per_resettled_household: 12000   # currency units per household resettled
    per_km_bypass_road: 450000       # currency units per km of road the scenario adds

The estimate is an upper bound for resettlement: it assumes every resident of every settlement that
changes country resettles (many would instead take the other citizenship).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from delimit.errors import InputError


class UnitCosts(BaseModel):
    """Unit costs with their source (currency units; household size in persons)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1, description="Where the unit costs come from; shown in every output.")
    currency: str = Field(min_length=1, max_length=12)
    household_size: float | None = Field(default=None, gt=0, description="Persons per household.")
    per_resettled_household: float | None = Field(default=None, ge=0)
    per_km_bypass_road: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> UnitCosts:
        if self.per_resettled_household is not None and self.household_size is None:
            raise ValueError("household_size is required with per_resettled_household")
        if self.per_resettled_household is None and self.per_km_bypass_road is None:
            raise ValueError("give at least one of per_resettled_household, per_km_bypass_road")
        if not self.source.strip():
            raise ValueError("source must not be blank")
        return self


def unit_costs_from_document(doc: Any, path: str | None = None) -> UnitCosts:
    """Validate a parsed YAML/TOML document into :class:`UnitCosts`; InputError naming the field."""
    if not isinstance(doc, dict):
        raise InputError(path, "a costs file must be a mapping of keys to values")
    try:
        return UnitCosts.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err.get("loc", ())) or "<document>"
        raise InputError(path, str(err.get("msg", "invalid")).removeprefix("Value error, "), field=loc) from None


@dataclass(frozen=True)
class CostEstimate:
    """A cost estimate from counts and unit costs (currency units).

    Attributes
    ----------
    lines: one row per cost item: ``item, quantity, unit, unit_cost, cost``.
    total: sum of ``cost``.
    currency, source: from the unit costs.
    assumptions: plain-language assumptions behind the quantities.
    """

    lines: list[dict[str, Any]]
    total: float
    currency: str
    source: str
    assumptions: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "source": self.source,
            "lines": self.lines,
            "total": self.total,
            "assumptions": self.assumptions,
        }


def estimate_costs(
    costs: UnitCosts, *, population_changing: int, settlements_unknown_population: int, bypass_road_km: float
) -> CostEstimate:
    """Estimate costs from people changing country (persons) and road added (km)."""
    lines: list[dict[str, Any]] = []
    assumptions: list[str] = []
    if costs.per_resettled_household is not None and costs.household_size is not None:
        households = math.ceil(population_changing / costs.household_size) if population_changing > 0 else 0
        lines.append(
            {
                "item": "resettled households",
                "quantity": households,
                "unit": "household",
                "unit_cost": costs.per_resettled_household,
                "cost": households * costs.per_resettled_household,
            }
        )
        assumptions.append(
            f"upper bound: all {population_changing:,} residents of settlements changing country resettle, "
            f"{costs.household_size:g} persons per household (rounded up)"
        )
        if settlements_unknown_population:
            assumptions.append(f"{settlements_unknown_population} settlement(s) of unknown population are not costed")
    if costs.per_km_bypass_road is not None:
        lines.append(
            {
                "item": "bypass road built",
                "quantity": round(bypass_road_km, 3),
                "unit": "km",
                "unit_cost": costs.per_km_bypass_road,
                "cost": bypass_road_km * costs.per_km_bypass_road,
            }
        )
        assumptions.append("road length: roads the scenario adds to the baseline, measured in the metric CRS")
    return CostEstimate(lines, float(sum(x["cost"] for x in lines)), costs.currency, costs.source, assumptions)
