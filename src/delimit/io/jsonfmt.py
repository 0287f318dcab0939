"""JSON text for every output: numpy-safe values, NaN as null, stable key order, pretty-printed.

Shared by the command line (:mod:`delimit.cli.render`), the report (:mod:`delimit.report`) and the
treaty writers (:mod:`delimit.treaty_export`), so none of them imports another interface.

>>> import numpy as np
>>> jsonable({"n": np.int64(3), "x": float("nan"), "a": np.array([1.5, 2.0])})
{'n': 3, 'x': None, 'a': [1.5, 2.0]}
>>> print(dumps({"area_km2": np.float32(2.5)}), end="")
{
  "area_km2": 2.5
}
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["dumps", "jsonable"]


def jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, shapely geometries, paths and NaN into JSON-ready values."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating | float):
        f = float(obj)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, Enum):
        return obj.value
    if hasattr(obj, "__geo_interface__"):
        return jsonable(obj.__geo_interface__)
    if hasattr(obj, "model_dump"):
        return jsonable(obj.model_dump())
    return obj


def dumps(obj: Any) -> str:
    """Pretty JSON text ending with a newline (UTF-8 characters kept as they are)."""
    return json.dumps(jsonable(obj), indent=2, ensure_ascii=False) + "\n"
