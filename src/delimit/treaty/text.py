"""The boundary description as treaty text, with placeholders for the parties' official languages.

The text is written in a neutral working language (English) and numbered by section and paragraph
(``2.14``) so that the authentic texts in both official languages can be aligned paragraph by
paragraph; each paragraph is followed by one placeholder per official language, to be replaced by
the delegations' translators. Consecutive segments of the same kind along the same river or road
are described together ("along the river Isfara through points 13 to 27 to point 28"); straight
segments one by one, with their geodesic azimuth and length.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from delimit.treaty.geodesy import azimuth_dms
from delimit.treaty.segment_types import RIVER, ROAD, STRAIGHT, WATERSHED

if TYPE_CHECKING:
    from delimit.treaty.describe import LineDescription, Paragraph


def _metres(x: float) -> str:
    """``1234.5678`` -> ``'1 234.57 m'`` (thin grouping, two decimals: centimetres).

    >>> _metres(1234.5678)
    '1 234.57 m'
    """
    return f"{x:,.2f} m".replace(",", " ")


def _how(kind: str, follows: str) -> str:
    name = f" {follows}" if follows else ""
    if kind == RIVER:
        return f"along the river{name}"
    if kind == ROAD:
        return f"along the road{name}"
    if kind == WATERSHED:
        return "along the watershed (crest line)"
    return "in a straight line"


def build_paragraphs(desc: LineDescription) -> list[Paragraph]:
    """Numbered paragraphs describing every section of ``desc`` point by point."""
    from delimit.treaty.describe import Paragraph

    a, b = desc.parties
    na, nb = (desc.party_names.get(p, p) for p in (a, b))
    na = na if na == a else f"{na} ({a})"
    nb = nb if nb == b else f"{nb} ({b})"
    tp = desc.turning_points.set_index("point_no")
    out: list[Paragraph] = [
        Paragraph(
            "0.1",
            f"The boundary line between {na} and {nb} described in this annex consists of "
            f"{len(desc.sections)} section(s), {len(desc.turning_points)} turning points and {len(desc.segments)} segments, "
            f"with a total length of {_metres(desc.total_length_m)}.",
        ),
        Paragraph(
            "0.2",
            "Coordinates refer to the World Geodetic System 1984 (WGS84). Lengths and azimuths are geodesic on the WGS84 "
            "ellipsoid; azimuths are measured clockwise from true north.",
        ),
    ]
    segs = desc.segments
    for _, sec in desc.sections.iterrows():
        k = int(sec["section"])
        first = int(sec["first_point"])
        p0 = tp.loc[first]
        name = f" ({sec['name']})" if sec.get("name") else ""
        out.append(
            Paragraph(
                f"{k}.0",
                f"Section {k}{name}, status: {sec['status']}. The section begins at turning point {first} "
                f"({p0['lat_dms']}, {p0['lon_dms']}) and is {_metres(float(sec['length_m']))} long"
                + (", returning to its starting point." if bool(sec["closed"]) else f", ending at turning point {int(sec['last_point'])}."),
            )
        )
        rows = segs[segs["section"] == k]
        para = 0
        i = 0
        recs = rows.to_dict("records")
        while i < len(recs):
            r = recs[i]
            kind, follows = r["segment_type"], r["follows"]
            j = i
            if kind != STRAIGHT:
                while j + 1 < len(recs) and recs[j + 1]["segment_type"] == kind and recs[j + 1]["follows"] == follows:
                    j += 1
            para += 1
            start, end = int(r["from_point"]), int(recs[j]["to_point"])
            if j == i:
                text = (
                    f"From turning point {start} the line runs {_how(kind, follows)}, on an azimuth of "
                    f"{azimuth_dms(float(r['azimuth_deg']))}, for {_metres(float(r['length_m']))} to turning point {end}."
                )
            else:
                through = [int(x["to_point"]) for x in recs[i:j]]
                length = sum(float(x["length_m"]) for x in recs[i : j + 1])
                text = (
                    f"From turning point {start} the line runs {_how(kind, follows)} through turning points "
                    f"{through[0]} to {through[-1]}, for {_metres(length)}, to turning point {end}."
                )
            out.append(Paragraph(f"{k}.{para}", text))
            i = j + 1
    return out


def render_text(desc: LineDescription, *, placeholders: bool = True) -> str:
    """The full description: a heading, then each paragraph followed by one placeholder per official language.

    The placeholders read ``[<language> (<party>): authentic text to be inserted]``.
    """
    a, b = desc.parties
    lang_a, lang_b = desc.languages
    head = [
        f"DESCRIPTION OF THE BOUNDARY LINE BETWEEN {desc.party_names.get(a, a).upper()} AND {desc.party_names.get(b, b).upper()}",
        "Working text in English. The authentic texts are those in "
        f"{lang_a} ({a}) and {lang_b} ({b}); each paragraph below is followed by a placeholder for them.",
        "",
    ]
    if desc.simplify_m is not None:
        head.append(f"NOTE: the line was simplified at {desc.simplify_m:g} m before description ({desc.vertices_in} -> {desc.vertices_kept} vertices).")
        head.append("")
    body: list[str] = []
    for p in desc.paragraphs:
        body.append(f"{p.ref}  {p.text}")
        if placeholders:
            body.append(f"{p.ref}  [{lang_a} ({a}): authentic text to be inserted]")
            body.append(f"{p.ref}  [{lang_b} ({b}): authentic text to be inserted]")
        body.append("")
    return "\n".join(head + body).rstrip() + "\n"
