"""Coordinate reference systems: storage in WGS84, measurement in explicit local CRSs.

delimit stores every geometry in WGS84 longitude/latitude (EPSG:4326) and measures in a CRS chosen
for the task and named in every output:

* areas in a Lambert azimuthal equal-area projection centred on the data (:func:`equal_area_crs`):
  exact areas everywhere, shape distortion small within a few hundred km of the centre;
* lengths and widths in the UTM zone of the data's centroid (:func:`metric_crs`): scale error at most
  0.04 % within the zone, up to ~0.1 % a zone away;
* treaty distances and azimuths geodesically on the WGS84 ellipsoid (:data:`GEOD`), with no projection.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pyproj import CRS, Geod

from delimit.errors import InputError

#: The storage CRS (WGS84 longitude/latitude, axis order lon, lat).
WGS84 = CRS.from_epsg(4326)

#: The WGS84 ellipsoid for geodesic lengths (metres) and azimuths (degrees clockwise from north).
GEOD = Geod(ellps="WGS84")


def _centre(geom_or_bounds: Any) -> tuple[float, float]:
    """Return (lon, lat) of the centre of a geometry, GeoSeries/GeoDataFrame or (minx, miny, maxx, maxy)."""
    if isinstance(geom_or_bounds, tuple | list) and len(geom_or_bounds) == 2:
        return float(geom_or_bounds[0]), float(geom_or_bounds[1])
    if isinstance(geom_or_bounds, tuple | list) and len(geom_or_bounds) == 4:
        minx, miny, maxx, maxy = geom_or_bounds
    elif hasattr(geom_or_bounds, "total_bounds"):
        minx, miny, maxx, maxy = geom_or_bounds.total_bounds
    else:
        minx, miny, maxx, maxy = geom_or_bounds.bounds
    return (float(minx) + float(maxx)) / 2.0, (float(miny) + float(maxy)) / 2.0


def equal_area_crs(geom_or_bounds: Any) -> CRS:
    """Lambert azimuthal equal-area CRS (metres) centred on the given data.

    Centre is rounded to 0.1 degree so that the same region always gets the same CRS.

    >>> equal_area_crs((70.5, 40.0)).srs  # doctest: +ELLIPSIS
    '+proj=laea +lat_0=40.0 +lon_0=70.5 ...'
    """
    lon, lat = _centre(geom_or_bounds)
    lon, lat = round(lon, 1), round(lat, 1)
    return CRS.from_proj4(
        f"+proj=laea +lat_0={lat} +lon_0={lon} +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs +type=crs"
    )


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS84 UTM zone containing (lon, lat).

    >>> utm_epsg(70.58, 39.85)
    32642
    """
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InputError(
            None,
            f"no UTM zone for longitude {lon}, latitude {lat}: the data holds no finite coordinates (empty layer?)",
            field="geometry",
        )
    zone = math.floor((lon + 180.0) / 6.0) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


def metric_crs(geom_or_bounds: Any) -> CRS:
    """The WGS84 / UTM CRS (metres) of the zone holding the data's centre."""
    lon, lat = _centre(geom_or_bounds)
    return CRS.from_epsg(utm_epsg(lon, lat))


def crs_description(crs: CRS) -> str:
    """A short, unambiguous description of a CRS for outputs, e.g. ``'EPSG:32642 (WGS 84 / UTM zone 42N)'``.

    CRSs without an EPSG code are described by their PROJ string.
    """
    epsg = crs.to_epsg()
    if epsg is not None:
        return f"EPSG:{epsg} ({crs.name})"
    return f"{crs.name}: {crs.srs}"


def same_crs(a: Any, b: Any) -> bool:
    """True when two CRS-likes denote the same coordinates as delimit reads them.

    Axis order is ignored: readers hand delimit traditional GIS order (x = longitude/easting), so
    ``OGC:CRS84`` and ``EPSG:4326`` are the same data. ``None`` (undeclared) equals nothing.

    >>> same_crs("EPSG:4326", "OGC:CRS84"), same_crs("EPSG:4326", "EPSG:32642"), same_crs(None, None)
    (True, False, False)
    """
    if a is None or b is None:
        return False
    return bool(CRS.from_user_input(a).equals(CRS.from_user_input(b), ignore_axis_order=True))


_PROJ_RE = re.compile(r"(?:(?:unknown|Lambert azimuthal equal-area):\s*)?(\+proj=[^\s;,)]+(?: \+[^\s;,)]+)*)")
_EPSG_RE = re.compile(r"EPSG:(\d{4,6})(?:\s*\([^)]*\))?")


def crs_in_words(crs: Any) -> str:
    """A CRS described for people: ``'Lambert azimuthal equal-area centred on 40.1°N 70.9°E'``,
    ``'UTM zone 42N (WGS 84, EPSG:32642)'``, ``'WGS 84 longitude/latitude (EPSG:4326)'``.

    Accepts a pyproj CRS, a PROJ string or an EPSG code; anything else is returned as given.

    >>> crs_in_words("+proj=laea +lat_0=40.1 +lon_0=70.9 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs +type=crs")
    'Lambert azimuthal equal-area centred on 40.1°N 70.9°E (WGS 84)'
    >>> crs_in_words("EPSG:32642")
    'UTM zone 42N (WGS 84, EPSG:32642)'
    """
    try:
        c = crs if isinstance(crs, CRS) else CRS.from_user_input(crs)
    except Exception:  # not a CRS: a description already
        return str(crs)
    epsg = c.to_epsg()
    if epsg == 4326:
        return "WGS 84 longitude/latitude (EPSG:4326)"
    if epsg is not None and (32601 <= epsg <= 32660 or 32701 <= epsg <= 32760):
        zone = epsg % 100
        return f"UTM zone {zone}{'N' if epsg < 32700 else 'S'} (WGS 84, EPSG:{epsg})"
    if epsg is not None:
        return f"{c.name} (EPSG:{epsg})"
    params = dict(kv.split("=", 1) for kv in c.srs.split() if kv.startswith("+") and "=" in kv)
    datum = " (WGS 84)" if params.get("+datum") == "WGS84" or params.get("+ellps") == "WGS84" else ""
    proj = params.get("+proj", "")
    names = {
        "laea": "Lambert azimuthal equal-area",
        "aeqd": "azimuthal equidistant",
        "tmerc": "transverse Mercator",
        "aea": "Albers equal-area",
    }
    if proj in names and "+lat_0" in params and "+lon_0" in params:
        return f"{names[proj]} centred on {_lat(float(params['+lat_0']))} {_lon(float(params['+lon_0']))}{datum}"
    return f"{names.get(proj, c.name)}{datum}"


def _lat(v: float) -> str:
    return f"{abs(v):.1f}°{'N' if v >= 0 else 'S'}"


def _lon(v: float) -> str:
    return f"{abs(v):.1f}°{'E' if v >= 0 else 'W'}"


def crs_words_in(text: str) -> str:
    """``text`` with every CRS it names (a PROJ string, possibly after ``'unknown: '``, or ``EPSG:n (name)``)
    replaced by :func:`crs_in_words`: for captions an engine wrote for machines."""
    text = _PROJ_RE.sub(lambda m: crs_in_words(m.group(1)), text)
    return _EPSG_RE.sub(lambda m: crs_in_words(f"EPSG:{m.group(1)}"), text)
