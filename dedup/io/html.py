"""HTML page reader: the page's main text (``trafilatura``, the ``html`` extra).

The article body is extracted with trafilatura (comments excluded, precision
favoured), so navigation, headers, footers, cookie banners and other page
boilerplate do not count as content. The extracted text has one paragraph per
line; it is stored with paragraphs separated by blank lines, and every offset
for an HTML document refers to this extracted text, not to the HTML source.
The page title and date (from its metadata) go into ``title`` / ``date``.

When trafilatura finds no main text, fails, or sees a truncated page (its
lxml tree stops at 256 levels, so the body of a page nested 260 deep is
lost: :data:`LXML_MAX_DEPTH`), a fallback extractor takes the text of the
page's block elements with no element stack (any depth), leaving out
``nav``, ``header``, ``footer``, ``aside``, ``form`` and scripts. For a deep
page the longer of the two texts is kept; a document from the fallback
carries a warning saying so.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import MissingDependencyError
from ..models import Document, InputProblem
from .feeds import html_fragment_text
from .sources import StructuredRead

__all__ = ["FALLBACK_WARNING", "LXML_MAX_DEPTH", "extract_main_text", "fallback_main_text", "read_html", "tag_depth"]

#: Elements the fallback extractor leaves out (page furniture, not content).
_FALLBACK_SKIP = frozenset({"nav", "header", "footer", "aside", "form", "head", "select", "button", "svg"})

#: Element depth past which libxml2 (under trafilatura) drops the rest of a page.
LXML_MAX_DEPTH = 255

_TAG_RE = re.compile(r"<(/?)([A-Za-z][^\s/>]*)[^>]*?(/?)>")
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)

#: Warning of a page whose text came from the fallback extractor.
FALLBACK_WARNING = (
    "trafilatura found no usable main text (none, or a page nested past 255 elements); used the block-text fallback"
)


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
    try:
        text = trafilatura.extract(
            html,
            include_comments=False,
            include_tables=True,
            favor_precision=True,
            deduplicate=False,
            output_format="txt",
        )
    except RecursionError:
        text = None
    if not text:
        return ""
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def tag_depth(html: str) -> int:
    """The deepest element nesting of an HTML page, from its tags (no tree is built).

    Example:
        >>> tag_depth("<div><p>a<br>b</p><div><span>c</span></div></div>")
        3
    """
    depth = deepest = 0
    for m in _TAG_RE.finditer(html):
        closing, name, self_closing = m.groups()
        if name.lower() in _VOID or self_closing:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def fallback_main_text(html: str) -> str:
    """Text of a page's block elements without page furniture, for when trafilatura finds none.

    Example:
        >>> fallback_main_text("<nav>Menu</nav>" + "<div>" * 260 + "<p>The story.</p>" + "</div>" * 260)
        'The story.'
    """
    return html_fragment_text(html, _FALLBACK_SKIP)


def read_html(text: str, path: str, file_id: str, mtime: float | None = None) -> StructuredRead:
    """Read one HTML page as a document (id: the file's id).

    Raises:
        MissingDependencyError: ``trafilatura`` is not installed.
    """
    body = extract_main_text(text)
    warnings: list[InputProblem] = []
    if not body.strip() or tag_depth(text) > LXML_MAX_DEPTH:
        fallback = fallback_main_text(text)
        if len(fallback.strip()) > len(body.strip()):
            body = fallback
            warnings.append(InputProblem(file_id, FALLBACK_WARNING))
    if not body.strip():
        return StructuredRead([], [InputProblem(file_id, "no main text found in the HTML page")], [])
    meta: dict[str, Any] = {"source": file_id}
    date = None
    try:
        info = _trafilatura().extract_metadata(text)
    except (Exception, RecursionError):  # metadata is optional; extraction bugs must not lose the text
        info = None
    if info is not None:
        if getattr(info, "title", None):
            meta["title"] = info.title
        if getattr(info, "date", None):
            date = str(info.date)
    return StructuredRead([Document(id=file_id, text=body, path=path, date=date, mtime=mtime, meta=meta)], [], warnings)
