"""HTML page reader: the page's main text (``trafilatura``, the ``html`` extra).

The article body is extracted with trafilatura (comments excluded, precision
favoured), so navigation, headers, footers, cookie banners and other page
boilerplate do not count as content. The extracted text has one paragraph per
line; it is stored with paragraphs separated by blank lines, and every offset
for an HTML document refers to this extracted text, not to the HTML source.
The page title and date (from its metadata) go into ``title`` / ``date``.
"""

from __future__ import annotations

from typing import Any

from ..errors import MissingDependencyError
from ..models import Document, InputProblem
from .sources import StructuredRead

__all__ = ["extract_main_text", "read_html"]


def _trafilatura() -> Any:
    try:
        import trafilatura
    except ImportError as exc:
        raise MissingDependencyError(
            f"reading HTML pages needs trafilatura: pip install 'article-dedup[html]' ({exc})"
        ) from None
    return trafilatura


def extract_main_text(html: str) -> str:
    """The main text of an HTML page, paragraphs separated by blank lines.

    Raises:
        MissingDependencyError: ``trafilatura`` is not installed.
    """
    trafilatura = _trafilatura()
    text = trafilatura.extract(
        html,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
        deduplicate=False,
        output_format="txt",
    )
    if not text:
        return ""
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def read_html(text: str, path: str, file_id: str, mtime: float | None = None) -> StructuredRead:
    """Read one HTML page as a document (id: the file's id).

    Raises:
        MissingDependencyError: ``trafilatura`` is not installed.
    """
    body = extract_main_text(text)
    if not body.strip():
        return StructuredRead([], [InputProblem(file_id, "no main text found in the HTML page")], [])
    meta: dict[str, Any] = {"source": file_id}
    date = None
    try:
        info = _trafilatura().extract_metadata(text)
    except Exception:  # metadata is optional; extraction bugs must not lose the text
        info = None
    if info is not None:
        if getattr(info, "title", None):
            meta["title"] = info.title
        if getattr(info, "date", None):
            date = str(info.date)
    return StructuredRead([Document(id=file_id, text=body, path=path, date=date, mtime=mtime, meta=meta)], [], [])
