"""Traveller classes and crossing regimes: borders as rules, not barriers.

A :class:`Regime` says, for every border crossing and traveller class, whether the class may cross
and how long it waits; which roads are neutral (usable by every class whatever the territory);
which transit corridors exist (free, Sokh-style, or sealed, Kaliningrad-style); and what is closed.
These are pydantic models so that scenario files validate straight into them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["vehicle", "foot"]
ClassKind = Literal["resident", "citizen", "foreign", "freight"]


class _Frozen(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False
    )  # delays and durations are finite numbers


class TravellerClass(_Frozen):
    """A kind of traveller with its own crossing rights.

    Attributes
    ----------
    id: e.g. ``resident-kg``.
    party: the party whose land the class may use freely (its citizens/residents); None for foreigners.
    kind: resident (border-zone resident), citizen, foreign, freight.
    mode: ``vehicle`` (roads, short connectors on foot) or ``foot`` (terrain and roads).
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    party: str | None = None
    kind: ClassKind = "resident"
    mode: Mode = "vehicle"
    description: str = ""


class CrossingRule(_Frozen):
    """Whether a class may pass a crossing, and at what delay (minutes, queue plus checks)."""

    open: bool = True
    delay_minutes: float = Field(default=0.0, ge=0)


class CrossingPolicy(_Frozen):
    """Rules for one named crossing: a default for all classes and per-class overrides."""

    crossing: str
    default: CrossingRule | None = None
    classes: dict[str, CrossingRule] = Field(default_factory=dict)


class BorderPolicy(_Frozen):
    """Rules for every crossing of the line between two parties (unless a named crossing overrides).

    ``parties`` is unordered: ``[KGZ, TJK]`` covers both directions.
    """

    parties: tuple[str, str]
    default: CrossingRule | None = None
    classes: dict[str, CrossingRule] = Field(default_factory=dict)

    def covers(self, parties: tuple[str, ...] | list[str] | set[str]) -> bool:
        return set(self.parties) == set(parties)


class TransitCorridor(_Frozen):
    """A route through another party's land that some classes may use without crossing formalities.

    ``kind='free'`` (Sokh 2021 style): free movement along the roads, stops allowed.
    ``kind='sealed'`` (Kaliningrad rail style): entry and exit only at the ends, no stops, and the
    whole passage must take at most ``max_minutes``.
    """

    id: str
    roads: list[str]
    classes: list[str]
    kind: Literal["free", "sealed"] = "free"
    max_minutes: float | None = Field(default=None, gt=0)
    description: str = ""


class Regime(_Frozen):
    """A crossing regime: which crossings are open to whom, neutral roads, transit, closures.

    Border crossings that are not named in ``crossings`` (e.g. where a road crosses the line at an
    unofficial point) follow ``default_crossing``.
    """

    id: str
    description: str = ""
    status: str = "illustrative"
    default_crossing: CrossingRule = CrossingRule(open=False)
    crossings: list[CrossingPolicy] = Field(default_factory=list)
    borders: list[BorderPolicy] = Field(default_factory=list)
    neutral_roads: list[str] = Field(default_factory=list)
    transit: list[TransitCorridor] = Field(default_factory=list)
    closed_roads: list[str] = Field(default_factory=list)
    closed_crossings: list[str] = Field(default_factory=list)

    def rule(self, crossing_id: str | None, class_id: str, parties: tuple[str, ...] | None = None) -> CrossingRule:
        """The rule for ``class_id`` at ``crossing_id`` between ``parties``.

        Resolution order: closed crossings; the named crossing's policy (class rule, then its
        default); the policy of the border between ``parties`` (class rule, then its default);
        ``default_crossing``. ``crossing_id`` None means a point where a road crosses the line
        without a named crossing.

        >>> r = Regime(id="x", crossings=[CrossingPolicy(crossing="a", classes={"c": CrossingRule(delay_minutes=5)})])
        >>> r.rule("a", "c").delay_minutes, r.rule("a", "d").open, r.rule(None, "c").open
        (5.0, False, False)
        """
        if crossing_id is not None and crossing_id in self.closed_crossings:
            return CrossingRule(open=False)
        for pol in self.crossings:
            if pol.crossing == crossing_id:
                if class_id in pol.classes:
                    return pol.classes[class_id]
                if pol.default is not None:
                    return pol.default
                break
        if parties is not None:
            for bp in self.borders:
                if bp.covers(parties):
                    if class_id in bp.classes:
                        return bp.classes[class_id]
                    if bp.default is not None:
                        return bp.default
                    break
        return self.default_crossing
