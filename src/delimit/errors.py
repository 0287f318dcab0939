"""Errors delimit raises for bad input.

Library code never exits the process: it raises :class:`InputError`, which names the file, the
feature (index or id) and the field at fault. Interfaces (the CLI, the web server) turn it into a
one-line message and, for the CLI, exit status 2, having written nothing.
"""

from __future__ import annotations

from pathlib import Path


class DelimitError(Exception):
    """Base class of every error delimit raises on purpose."""


class InputError(DelimitError, ValueError):
    """Bad input: a file, a feature or a field that delimit cannot accept.

    Parameters
    ----------
    path:
        The file (or scenario name) the input came from; ``None`` for in-memory objects.
    reason:
        What is wrong, in one sentence without a trailing full stop.
    feature:
        The feature's index or id, if the fault lies in one feature.
    field:
        The field (column, key or option) at fault, if any.
    layer:
        The layer within a multi-layer file, if any.

    Examples
    --------
    >>> str(InputError("a.geojson", "must be a Polygon", feature=3, field="geometry"))
    "a.geojson: feature 3: field 'geometry': must be a Polygon"
    """

    def __init__(
        self,
        path: str | Path | None,
        reason: str,
        *,
        feature: int | str | None = None,
        field: str | None = None,
        layer: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.reason = reason
        self.feature = feature
        self.field = field
        self.layer = layer
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The one-line message shown to users."""
        parts: list[str] = []
        if self.path:
            parts.append(self.path if self.layer is None else f"{self.path} (layer {self.layer!r})")
        if self.feature is not None:
            parts.append(f"feature {self.feature}")
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        parts.append(self.reason)
        return " ".join(": ".join(parts).split())

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class CRSMismatchError(InputError):
    """Two inputs in different coordinate reference systems were combined."""


class GeometryError(InputError):
    """A geometry is empty, of the wrong type, invalid or out of range."""
