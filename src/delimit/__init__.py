"""delimit: analyse, negotiate and demarcate land borders.

Everything the command line does is one call away in Python::

    >>> import delimit
    >>> s = delimit.load_scenario("status-quo")   # doctest: +SKIP
    >>> s.territory.head()                          # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from delimit.scenario.loader import load_scenario  # noqa: E402

__all__ = ["__version__", "load_scenario"]
