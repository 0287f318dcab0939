"""A section's way from negotiation to demarcation, and who may take each step.

``negotiating -> agreed_ad_referendum -> initialled -> signed -> ratified -> in_force -> demarcated``.
Most steps need an act by every party (the heads of both delegations sign off, initial, sign; each
party ratifies and confirms demarcation); entry into force is recorded once. Every act names the
geometry hash it was taken on: an act on another geometry than the section's current one is
refused. Changing the geometry of an agreed section withdraws the agreement (status back to
``negotiating``, acts void) and says so; once initialled the geometry is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

from delimit.workspace.auth import Role

STATUSES = ("negotiating", "agreed_ad_referendum", "initialled", "signed", "ratified", "in_force", "demarcated")

#: Statuses in which the geometry may still change (an agreement is withdrawn by the change).
GEOMETRY_MUTABLE = ("negotiating", "agreed_ad_referendum")


@dataclass(frozen=True)
class Step:
    """One step: the status it leaves, the status it reaches, who may act, whether every party must."""

    name: str
    source: str
    target: str
    roles: frozenset[Role]
    every_party: bool


STEPS: dict[str, Step] = {
    s.name: s
    for s in (
        Step("sign_off", "negotiating", "agreed_ad_referendum", frozenset({Role.head}), True),
        Step("initial", "agreed_ad_referendum", "initialled", frozenset({Role.head}), True),
        Step("sign", "initialled", "signed", frozenset({Role.head}), True),
        Step("ratify", "signed", "ratified", frozenset({Role.head}), True),
        Step("enter_into_force", "ratified", "in_force", frozenset({Role.head, Role.mediator}), False),
        Step("demarcate", "in_force", "demarcated", frozenset({Role.head}), True),
    )
}


def next_step(status: str) -> Step | None:
    """The step that leaves ``status`` (None once demarcated)."""
    return next((s for s in STEPS.values() if s.source == status), None)


def step_complete(step: Step, acted: set[str], parties: list[str]) -> bool:
    """True once the teams in ``acted`` are enough for ``step`` to take the section to its target."""
    return set(parties) <= acted if step.every_party else bool(acted)
