"""Treaty and demarcation outputs (pure engine): the line's legal description and the pillar plan.

* :func:`describe_line` - sections, numbered turning points (WGS84 DMS + UTM + DEM height),
  segments with geodesic length and forward/back azimuth, segment types, the description text;
* :func:`plan_pillars` - pillars at turning points and at most ``max_spacing_m`` apart, moved off
  water, with line of sight between consecutive pillars (earth curvature, refraction k = 0.13);
* :func:`from_scenario` - both, for the line two parties share under a scenario, as an :class:`Annex`;
* :func:`from_file` - both, for a line given as a file (an agreed or proposed line), over a scenario's
  data if given (:func:`from_line_layer` for a layer already read).

Writers for GeoPackage, GeoJSON, KML, CSV, text and PDF live in :mod:`delimit.treaty_export`.

>>> import shapely
>>> d = describe_line(shapely.LineString([(70.0, 40.0), (70.02, 40.0)]), parties=("KGZ", "TJK"))
>>> plan = plan_pillars(d, max_spacing_m=500)
>>> len(d.turning_points), len(plan.pillars)
(2, 5)
"""

from __future__ import annotations

from delimit.treaty.annex import Annex, clip_line, from_scenario, parse_window
from delimit.treaty.describe import (
    DATUM_NOTE,
    GEODESIC_NOTE,
    LineDescription,
    Paragraph,
    SectionInput,
    describe_line,
    describe_sections,
    section_inputs,
    section_inputs_from_layer,
)
from delimit.treaty.from_file import PillarOptions, from_file, from_line_layer
from delimit.treaty.geodesy import inverse, to_dms, utm_coordinates
from delimit.treaty.pillars import PillarPlan, plan_pillars
from delimit.treaty.segment_types import SEGMENT_TYPES, DetectionSettings
from delimit.treaty.status import BASE_STATUSES, allowed_statuses, normalise_status
from delimit.treaty.text import render_text
from delimit.treaty.visibility import REFRACTION_K, check_sight

__all__ = [
    "BASE_STATUSES",
    "DATUM_NOTE",
    "GEODESIC_NOTE",
    "REFRACTION_K",
    "SEGMENT_TYPES",
    "Annex",
    "DetectionSettings",
    "LineDescription",
    "Paragraph",
    "PillarOptions",
    "PillarPlan",
    "SectionInput",
    "allowed_statuses",
    "check_sight",
    "clip_line",
    "describe_line",
    "describe_sections",
    "from_file",
    "from_line_layer",
    "from_scenario",
    "inverse",
    "normalise_status",
    "parse_window",
    "plan_pillars",
    "render_text",
    "section_inputs",
    "section_inputs_from_layer",
    "to_dms",
    "utm_coordinates",
]
