"""Credits and provenance of the report, as tables a reader can check (no raw JSON, no machine paths).

:func:`report_credits` joins the credits of every scenario shown (each source once, naming every
layer it supplied); :func:`footer_credit` is the one line printed at the foot of the page and of
every PDF page; :func:`provenance_rows` lists each scenario's inputs with a path relative to the
bundled data (or the working folder) and a short SHA-256.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from delimit.attribution import Credit
from delimit.model.scenario import Scenario

#: Hex digits of a SHA-256 shown in the report (the full hashes are in comparisons.json).
HASH_DIGITS = 12


def report_credits(scenarios: Iterable[Scenario]) -> list[Credit]:
    """Every source credited by any of ``scenarios``, once, in the order first met, layers joined."""
    merged: dict[str, Credit] = {}
    for s in scenarios:
        for c in s.provenance.credits:
            if c.source in merged:
                m = merged[c.source]
                layers = (*m.layers, *(x for x in c.layers if x not in m.layers))
                via = m.via if c.via in m.via.split(", ") else f"{m.via}, {c.via}"
                merged[c.source] = Credit(m.source, m.notice, m.licence, m.licence_url, layers, via)
            else:
                merged[c.source] = c
    return list(merged.values())


def credits_rows(credits: Sequence[Credit]) -> list[dict[str, str]]:
    """Rows of the report's credits table: source, credit line, licence (and where to read it), layers, via."""
    return [
        {
            "source": c.source,
            "notice": c.notice,
            "licence": f"{c.licence} ({c.licence_url})" if c.licence_url else c.licence,
            "layers": ", ".join(c.layers),
            "via": c.via,
        }
        for c in credits
    ]


def footer_credit(credits: Sequence[Credit]) -> str:
    """One short line for the foot of every page: notices of sources whose licence asks for one, then the rest by name."""
    parts = []
    for c in credits:
        if c.source == "delimit":
            continue
        parts.append(f"{c.notice} ({c.licence})" if c.notice.startswith("©") else f"{c.source} ({c.licence})")
    return ("Data: " + "; ".join(parts) + ". Full credits: section 'Credits and licences'.") if parts else ""


def relative_path(path: str) -> str:
    """``path`` as a reader can use it: relative to delimit's bundled data (``delimit:data/...``), else to the
    working folder, else the file name alone (the hash identifies the file)."""
    p = Path(path)
    if not p.is_absolute():
        return path
    from delimit.datasets import data_root

    for root, label in ((data_root(), "delimit:data/"), (Path.cwd(), "")):
        try:
            return label + p.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            continue
    return p.name


def provenance_rows(scenarios: Iterable[Scenario]) -> list[dict[str, Any]]:
    """One row per input of each scenario: scenario, role, path (relative), version, short SHA-256."""
    rows = []
    for s in scenarios:
        prov = s.provenance
        for i in prov.inputs:
            rows.append(
                {
                    "scenario": s.name,
                    "role": i.role,
                    "path": relative_path(i.path),
                    "version": i.version or (prov.dataset_version if i.role == "dataset" else ""),
                    "sha256": i.sha256[:HASH_DIGITS],
                }
            )
    return rows


def software_rows() -> list[dict[str, str]]:
    """delimit and the libraries whose versions shape the numbers."""
    from delimit.model.provenance import library_versions

    return [{"software": k, "version": v} for k, v in library_versions().items()]
