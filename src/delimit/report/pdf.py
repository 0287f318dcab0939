"""PDF of the report (weasyprint), from the same HTML, fetching nothing outside the report folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from delimit.io.atomic import atomic_path


def _inside(url: str, root: Path) -> bool:
    if url.startswith("data:"):
        return True
    parsed = urlparse(url)
    if parsed.scheme != "file":
        return False
    target = Path(unquote(parsed.path)).resolve()
    return target == root or root in target.parents


def _fetcher(root: Path) -> Any:
    """A weasyprint URL fetcher that serves only ``file:`` URLs inside ``root`` and ``data:`` URLs."""
    root = root.resolve()
    try:  # weasyprint >= 66
        from weasyprint.urls import URLFetcher

        class LocalOnly(URLFetcher):  # type: ignore[misc]  # weasyprint ships no types: the base class is Any
            def fetch(self, url: str, headers: Any = None) -> Any:
                if not _inside(url, root):
                    raise ValueError(f"the report may only use files inside its folder, not {url}")
                return super().fetch(url, headers)

        return LocalOnly(allowed_protocols=("file", "data"))
    except ImportError:  # older weasyprint: a plain function
        from weasyprint import default_url_fetcher

        def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
            if not _inside(url, root):
                raise ValueError(f"the report may only use files inside its folder, not {url}")
            return default_url_fetcher(url, *args, **kwargs)

        return fetch


def write_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Render ``html_path`` (A4 landscape, see the template's @page rule) to ``pdf_path`` atomically."""
    from weasyprint import HTML

    html = HTML(filename=str(html_path), url_fetcher=_fetcher(html_path.parent), base_url=str(html_path.parent))
    with atomic_path(pdf_path) as tmp:
        html.write_pdf(str(tmp))
    return pdf_path
