"""The boundary description as treaty text, with placeholders for the parties' official languages.

The text is written in a neutral working language (English) and numbered by section and paragraph
(``2.14``) so that the authentic texts in both official languages can be aligned paragraph by
paragraph; each paragraph is followed by one placeholder per official language, to be replaced by
the delegations' translators. Consecutive segments of the same kind along the same river or road
are described together ("along the river Isfara through points 13 to 27 to point 28"); straight
segments one by one, with their geodesic azimuth and length.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from delimit.treaty.geodesy import azimuth_dms
from delimit.treaty.segment_types import RIVER, ROAD, STRAIGHT, WATERSHED

if TYPE_CHECKING:
    import pandas as pd

    from delimit.treaty.describe import LineDescription, Paragraph


def _metres(x: float, decimals: int = 0) -> str:
    """``1234.5678`` -> ``'1 235 m'`` (thin grouping; ``decimals`` from the annex's rounding rule).

    >>> _metres(1234.5678)
    '1 235 m'
    >>> _metres(1234.5678, 2)
    '1 234.57 m'
    """
    return f"{x:,.{decimals}f} m".replace(",", " ")


def _how(kind: str, follows: str) -> str:
    name = f" {follows}" if follows else ""
    if kind == RIVER:
        return f"along the river{name}"
    if kind == ROAD:
        return f"along the road{name}"
    if kind == WATERSHED:
        return "along the watershed (crest line)"
    return "in a straight line"


def _party(desc: LineDescription, p: str) -> str:
    n = desc.party_names.get(p, p)
    return n if n == p else f"{n} ({p})"


def _general_paragraphs(desc: LineDescription) -> list[Paragraph]:
    """Section 0: the line, datum, sources and licences, accuracy and rounding, sides, caveats."""
    from delimit.treaty.describe import DATUM_NOTE, Paragraph

    a, b = desc.parties
    md = desc.precision.metre_decimals if desc.precision else 2
    texts = [
        (
            f"The boundary line between {_party(desc, a)} and {_party(desc, b)} described in this annex consists of "
            f"{len(desc.sections)} section(s), {len(desc.turning_points)} turning points and {len(desc.segments)} segments, "
            f"with a total length of {_metres(desc.total_length_m, md)}."
        ),
        f"Datum: {DATUM_NOTE}. Lengths and azimuths are geodesic on the WGS 84 ellipsoid; azimuths are measured clockwise from true north.",
    ]
    if desc.attribution:
        texts.append(f"Sources and licences: {desc.attribution.removeprefix('Data: ')}")
    if desc.precision is not None:
        texts.append(" ".join(desc.precision.rule_lines()))
    texts.append(
        "Each section is described in one direction, from its first to its last turning point; 'left' and 'right' "
        "refer to that direction of description."
    )
    texts += [f"CAVEAT: {c}" for c in desc.caveats]
    return [Paragraph(f"0.{i}", t) for i, t in enumerate(texts, start=1)]


def _section_opening(desc: LineDescription, sec: dict[str, Any], tp: pd.DataFrame) -> str:
    """Paragraph k.0: name, status, end points (and what they are), length, sides."""
    k = int(sec["section"])
    first, last = int(sec["first_point"]), int(sec["last_point"])
    p0 = tp.loc[first]
    p1 = tp.loc[last]
    md = desc.precision.metre_decimals if desc.precision else 2
    text = f"Section {k}, status: {sec['status']}." + (f" Name: {sec['name']}." if sec.get("name") else "")
    if bool(sec["closed"]):
        text += (
            f" The section is a closed line beginning and ending at turning point {first} ({p0['lat_dms']}, {p0['lon_dms']}); "
            f"it is {_metres(float(sec['length_m']), md)} long."
        )
    else:
        sw, ew = sec.get("start_words") or "", sec.get("end_words") or ""
        text += (
            f" The section begins at turning point {first} ({p0['lat_dms']}, {p0['lon_dms']}){', ' + sw if sw else ''}"
            f" and ends at turning point {last} ({p1['lat_dms']}, {p1['lon_dms']}){', ' + ew if ew else ''}; "
            f"it is {_metres(float(sec['length_m']), md)} long."
        )
    left, right = sec.get("left_party") or "", sec.get("right_party") or ""
    if left and right:
        text += (
            f" In the direction of description the territory of {_party(desc, left)} lies on the left of the line "
            f"and that of {_party(desc, right)} on the right"
        )
        differ = sec.get("side_exceptions") or ""
        text += f", except along segments {differ}." if differ else "."
    elif "left_party" in sec:
        text += " Which party lies on which side could not be determined from the territory data."
    return text


def build_paragraphs(desc: LineDescription) -> list[Paragraph]:
    """Numbered paragraphs: the general ones (0.x), then every section point by point."""
    from delimit.treaty.describe import Paragraph

    tp = desc.turning_points.set_index("point_no")
    out = _general_paragraphs(desc)
    md = desc.precision.metre_decimals if desc.precision else 2
    segs = desc.segments
    for sec in desc.sections.drop(columns="geometry").to_dict("records"):
        k = int(sec["section"])
        out.append(Paragraph(f"{k}.0", _section_opening(desc, sec, tp)))
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
                    f"{azimuth_dms(float(r['azimuth_deg']), decimals=0)}, for {_metres(float(r['length_m']), md)} to turning point {end}."
                )
            else:
                through = [int(x["to_point"]) for x in recs[i:j]]
                length = sum(float(x["length_m"]) for x in recs[i : j + 1])
                text = (
                    f"From turning point {start} the line runs {_how(kind, follows)} through turning points "
                    f"{through[0]} to {through[-1]}, for {_metres(length, md)}, to turning point {end}."
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
        (
            "Working text in English. The authentic texts are those in "
            f"{lang_a} ({a}) and {lang_b} ({b}); each paragraph below is followed by a placeholder for them."
        ),
        "",
    ]
    if desc.simplify_m is not None:
        head.append(
            f"NOTE: the line was simplified at {desc.simplify_m:g} m before description ({desc.vertices_in} -> {desc.vertices_kept} vertices)."
        )
        head.append("")
    body: list[str] = []
    for p in desc.paragraphs:
        body.append(f"{p.ref}  {p.text}")
        if placeholders:
            body.append(f"{p.ref}  [{lang_a} ({a}): authentic text to be inserted]")
            body.append(f"{p.ref}  [{lang_b} ({b}): authentic text to be inserted]")
        body.append("")
    return "\n".join(head + body).rstrip() + "\n"
