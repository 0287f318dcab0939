"""PDF of the report (weasyprint), from the same HTML, fetching nothing outside the report folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from delimit.io.atomic import atomic_path


def _local_only(root: Path):  # type: ignore[no-untyped-def]
    from weasyprint import default_url_fetcher

    root = root.resolve()

    def fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if url.startswith("file://"):
            target = Path(url.removeprefix("file://")).resolve()
            if target == root or root in target.parents:
                return default_url_fetcher(url, *args, **kwargs)
        if url.startswith("data:"):
            return default_url_fetcher(url, *args, **kwargs)
        raise ValueError(f"the report may only use files inside its folder, not {url}")

    return fetch


def write_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Render ``html_path`` (A4 landscape, see the template's @page rule) to ``pdf_path`` atomically."""
    from weasyprint import HTML

    html = HTML(filename=str(html_path), url_fetcher=_local_only(html_path.parent), base_url=str(html_path.parent))
    with atomic_path(pdf_path) as tmp:
        html.write_pdf(str(tmp))
    return pdf_path
