"""Validation of scenario files together with geodata files (what ``delimit validate`` runs).

The geodata checks live in :mod:`delimit.io.validate`; this module adds the scenario check, which
loads the scenario (every layer, reference and transfer) and refuses one no engine can run on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from delimit.errors import InputError
from delimit.io.limits import Limits
from delimit.io.validate import ValidationResult, validate_paths
from delimit.model.scenario import Scenario
from delimit.scenario.loader import load_scenario

__all__ = ["validate_files", "validate_scenario_file"]


def validate_scenario_file(path: Path, repair: bool = False, limits: Limits | None = None) -> ValidationResult:
    """Load the scenario file at ``path`` as the engines would; raise InputError on the first problem."""
    s = load_scenario(path, repair=repair, limits=limits)
    _check_runnable(s, path)
    counts = ", ".join(f"{n} {len(s.layer(n))}" for n in s.LAYER_ATTRS if len(s.layer(n)))
    return ValidationResult(str(path), "scenario", f"scenario {s.name!r}: {counts}", list(s.repairs), "EPSG:4326")


def validate_files(
    paths: Sequence[str | Path], *, repair: bool = False, limits: Limits | None = None
) -> list[ValidationResult]:
    """Validate scenario and geodata files (see :func:`delimit.io.validate.validate_paths`)."""
    return validate_paths(paths, repair=repair, limits=limits, scenario=validate_scenario_file)


def _check_runnable(s: Scenario, p: Path) -> None:
    """Refuse a scenario no engine can run on: one without land (no territory features), named by
    the file its territory came from (or the scenario file when it has none)."""
    if len(s.territory):
        return
    source = next((i for i in s.provenance.inputs if i.role == "layers.territory"), None)
    if source is not None:
        raise InputError(
            p,
            f"the territory layer ({source.path}) holds no features: no engine can run on a scenario without land",
            field="layers.territory",
        )
    raise InputError(
        p,
        "the scenario has no territory layer (set dataset, layers.territory or base): no engine can run on it",
        field="layers.territory",
    )
