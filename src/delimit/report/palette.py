"""A neutral qualitative palette: colours assigned by sorted party id, never by who the party is.

The Okabe-Ito colour-blind-safe qualitative palette (Okabe & Ito 2008), in its published order,
minus black (kept for annotations). Party ids are sorted and take colours in that order, so the
assignment depends only on the set of ids and is identical on every map of a report. No colour
carries a meaning (no red for "aggressor", no green for "ours").
"""

from __future__ import annotations

from collections.abc import Iterable

#: Okabe-Ito qualitative colours (without black), in the published order.
OKABE_ITO: tuple[str, ...] = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999")

#: The hatch every party's claim (status claimed/illustrative) is drawn with, whatever the party.
CLAIM_HATCH = "////"

#: The hatch of land that changes hands between baseline and scenario (drawn in neutral black).
CHANGE_HATCH = "xxx"


def party_colours(parties: Iterable[str]) -> dict[str, str]:
    """{party id: hex colour}, assigned by sorted id (cycling if there are more than 8 parties).

    >>> party_colours(["TJK", "KGZ"])
    {'KGZ': '#E69F00', 'TJK': '#56B4E9'}
    """
    ids = sorted({str(p) for p in parties if str(p)})
    return {p: OKABE_ITO[i % len(OKABE_ITO)] for i, p in enumerate(ids)}
