"""``--section-status`` naming a section the line does not have is refused (exit 2, one line, nothing written)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely


def _line(folder: Path) -> Path:
    path = folder / "line.geojson"
    gpd.GeoDataFrame(
        {"status": ["drafted"]}, geometry=[shapely.LineString([(70.0, 40.0), (70.0, 40.02)])], crs="EPSG:4326"
    ).to_file(path, driver="GeoJSON")
    return path


def test_section_status_of_a_section_the_line_lacks_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "annex"
    r = cli("treaty", _line(tmp_path), "--between", "AAA", "BBB", "--no-pdf", "--section-status", "9=signed", "-o", out)
    assert r.code == 2, (r.out, r.err)
    lines = [ln for ln in r.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "section 9" in lines[0] and "only section 1" in lines[0], r.err
    assert "Traceback" not in r.err and not out.exists()


def test_section_status_of_an_existing_section_is_applied(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "annex"
    r = cli("treaty", _line(tmp_path), "--between", "AAA", "BBB", "--no-pdf", "--section-status", "1=signed", "-o", out)
    assert r.code == 0, r.err
    assert "signed" in (out / "sections.csv").read_text(encoding="utf-8")
