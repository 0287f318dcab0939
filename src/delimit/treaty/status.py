"""Section statuses: how far each section of a boundary has come, from draft to pillars on the ground.

A section's status travels with the line as an attribute (a ``status`` column on a line layer, or a
value given per section) and is shown in every treaty export, so that an annex says on its face
which sections are final. The statuses, in order of progress:

``drafted`` -> ``agreed`` -> ``initialled`` -> ``signed`` -> ``ratified-<PARTY>`` (one per
parliament, e.g. ``ratified-KGZ``) -> ``in-force`` -> ``demarcated``.
"""

from __future__ import annotations

import re

from delimit.errors import InputError

#: The fixed statuses in order of progress; ``ratified-<PARTY>`` sits between ``signed`` and ``in-force``.
BASE_STATUSES: tuple[str, ...] = ("drafted", "agreed", "initialled", "signed", "in-force", "demarcated")

#: Status given to sections for which none is known.
DEFAULT_STATUS = "drafted"

_RATIFIED = re.compile(r"^ratified-([A-Za-z0-9]{2,12})$")


def allowed_statuses(parties: tuple[str, str]) -> tuple[str, ...]:
    """Every status a section between ``parties`` may have, in order of progress.

    >>> allowed_statuses(("KGZ", "TJK"))
    ('drafted', 'agreed', 'initialled', 'signed', 'ratified-KGZ', 'ratified-TJK', 'in-force', 'demarcated')
    """
    return (*BASE_STATUSES[:4], *(f"ratified-{p}" for p in parties), *BASE_STATUSES[4:])


def normalise_status(
    value: object, parties: tuple[str, str], *, source: str | None = None, feature: int | str | None = None
) -> str:
    """Check a status against :func:`allowed_statuses`; empty/None gives ``'drafted'``.

    Case and surrounding blanks are forgiven (``' Signed '`` -> ``'signed'``); the party in
    ``ratified-<party>`` keeps its case and must be one of the two parties.

    >>> normalise_status("Ratified-KGZ", ("KGZ", "TJK"))
    'ratified-KGZ'
    >>> normalise_status(None, ("KGZ", "TJK"))
    'drafted'
    """
    if value is None or (isinstance(value, float) and value != value):
        return DEFAULT_STATUS
    text = str(value).strip()
    if not text:
        return DEFAULT_STATUS
    if text.lower().startswith("ratified-"):
        party = text.split("-", 1)[1].strip()
        if not _RATIFIED.match(f"ratified-{party}"):
            raise InputError(
                source, f"status {text!r} is not of the form ratified-<PARTY>", feature=feature, field="status"
            )
        match = [p for p in parties if p.lower() == party.lower()]
        if not match:
            raise InputError(
                source,
                f"status {text!r} names a party that is not one of {parties[0]}, {parties[1]}",
                feature=feature,
                field="status",
            )
        return f"ratified-{match[0]}"
    low = text.lower()
    if low in BASE_STATUSES:
        return low
    raise InputError(
        source,
        f"unknown section status {text!r} (allowed: {', '.join(allowed_statuses(parties))})",
        feature=feature,
        field="status",
    )


def status_rank(status: str, parties: tuple[str, str]) -> int:
    """Position of ``status`` in the order of progress (0 = drafted).

    >>> status_rank("signed", ("KGZ", "TJK")) < status_rank("in-force", ("KGZ", "TJK"))
    True
    """
    return allowed_statuses(parties).index(status)


def is_final(status: str) -> bool:
    """True for statuses that bind both parties (``in-force``, ``demarcated``)."""
    return status in ("in-force", "demarcated")
