"""delimit: analyse, negotiate and demarcate land borders.

Everything the command line does is one call away in Python::

    >>> import delimit
    >>> s = delimit.load_scenario("status-quo")   # doctest: +SKIP
    >>> s.territory.head()                          # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from delimit.scenario.loader import load_scenario

__all__ = ["__version__", "load_scenario"]


def __getattr__(name: str) -> Any:
    """Import the heavy parts (geopandas, shapely, the engines) on first use, not on ``import delimit``:
    ``delimit --version`` and ``import delimit.cli`` stay fast."""
    if name == "load_scenario":
        from delimit.scenario.loader import load_scenario

        return load_scenario
    raise AttributeError(f"module 'delimit' has no attribute {name!r}")
