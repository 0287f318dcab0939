"""The report: a self-contained offline HTML (and optional PDF) of proposals against a baseline.

>>> from delimit.report import build_report   # doctest: +SKIP
>>> build_report(base, [base, other], "out/fergana")  # doctest: +SKIP
"""

from delimit.report.build import ReportResult, build_report
from delimit.report.palette import party_colours

__all__ = ["ReportResult", "build_report", "party_colours"]
