"""Sections of an impact study that depend on other engines, and why one may be unavailable.

The topology and access engines are separate packages; if one cannot be imported (not installed in
this build) or fails on a scenario, the impact study reports that section as *unavailable* with the
reason, never with invented numbers.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Unavailable:
    """A section that could not be computed: which one, and why (one sentence)."""

    section: str
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"available": False, "section": self.section, "reason": self.reason}


def engine(name: str, required: tuple[str, ...]) -> ModuleType | Unavailable:
    """Import ``delimit.<name>`` and check it offers ``required`` callables; else :class:`Unavailable`."""
    try:
        mod = importlib.import_module(f"delimit.{name}")
    except ImportError as exc:
        return Unavailable(name, f"the {name} engine (delimit.{name}) is not available in this build: {exc}")
    missing = [f for f in required if not callable(getattr(mod, f, None))]
    if missing:
        return Unavailable(name, f"the {name} engine (delimit.{name}) lacks {', '.join(missing)}")
    return mod
