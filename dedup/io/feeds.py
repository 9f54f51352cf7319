"""RSS 2.0 / Atom reader (``feedparser``, the ``feeds`` extra).

Only local files are read: the file's bytes are handed to ``feedparser``, which
then never fetches anything. Each entry is one document:

* id: the entry's ``id`` (Atom ``<id>``, RSS ``<guid>``), else its ``link``,
  else ``FILE#N`` (1-based entry number);
* text: the entry's full content (Atom ``<content>``, RSS
  ``<content:encoded>``), else its summary/description, converted from HTML
  to plain text with one paragraph per block element (``<p>``, ``<li>``,
  headings, ``<br>``), paragraphs separated by blank lines. Offsets refer to
  this extracted text;
* metadata: ``title``, ``date`` (published or updated, ISO 8601), ``link`` and
  ``source`` (the feed file's id).
"""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from typing import Any

from ..errors import MissingDependencyError
from ..models import Document, InputProblem
from .nesting import replace_surrogates
from .sources import StructuredRead

__all__ = ["defuse_charrefs", "html_fragment_text", "read_feed"]

_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "pre", "tr", "table", "section", "article", "header", "footer", "figure", "figcaption", "hr", "dd", "dt",
}  # fmt: skip
_SKIP = {"script", "style", "noscript", "template"}


class _TextParser(HTMLParser):
    def __init__(self, skip: frozenset[str] = frozenset()) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._buf: list[str] = []
        self._skip = 0
        self._skip_tags = _SKIP | skip

    def _flush(self) -> None:
        text = " ".join("".join(self._buf).split())
        if text:
            self.paragraphs.append(text)
        self._buf = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self._skip_tags:
            self._skip += 1
        elif tag in _BLOCK:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in self._skip_tags:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._buf.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def html_fragment_text(html: str, skip: frozenset[str] = frozenset()) -> str:
    """Plain text of an HTML fragment: one paragraph per block, blank-line separated.

    The parser keeps no element stack, so any nesting depth works.

    Args:
        html: The HTML.
        skip: Elements whose content is left out, besides ``script``,
            ``style``, ``noscript`` and ``template``.

    Example:
        >>> html_fragment_text("<nav>Home</nav>" + "<div>" * 300 + "<p>Deep &amp; kept</p>", frozenset({"nav"}))
        'Deep & kept'
    """
    parser = _TextParser(skip)
    parser.feed(html)
    parser.close()
    return "\n\n".join(parser.paragraphs)


_CHARREF = re.compile(rb"&#([xX][0-9a-fA-F]{1,16}|[0-9]{1,20});")


def _safe_charref(m: re.Match[bytes]) -> bytes:
    ref = m.group(1)
    try:
        cp = int(ref[1:], 16) if ref[:1] in (b"x", b"X") else int(ref)
    except ValueError:
        return b"&#xFFFD;"
    if cp == 0 or 0xD800 <= cp <= 0xDFFF or cp > 0x10FFFF:
        return b"&#xFFFD;"
    return m.group()


def defuse_charrefs(data: bytes) -> bytes:
    """Numeric character references to no character (NUL, a surrogate, past U+10FFFF) become U+FFFD.

    feedparser turns ``&#xD800;`` into a lone surrogate and then fails to
    encode it (a traceback); this keeps such a feed readable.

    Example:
        >>> defuse_charrefs(b"a&#xD800;b&#55296;c&#233;")
        b'a&#xFFFD;b&#xFFFD;c&#233;'
    """
    return _CHARREF.sub(_safe_charref, data) if b"&#" in data else data


def _iso(struct: Any) -> str | None:
    if not struct:
        return None
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", struct)
    except (TypeError, ValueError):
        return None


def read_feed(data: bytes, path: str, file_id: str) -> StructuredRead:
    """Parse an RSS or Atom feed into documents.

    Args:
        data: The file's bytes.
        path: The file path.
        file_id: The file's id.

    Returns:
        Documents, errors and warnings.

    Raises:
        MissingDependencyError: ``feedparser`` is not installed.
    """
    try:
        import feedparser
    except ImportError:
        raise MissingDependencyError(
            "reading RSS/Atom feeds needs feedparser: pip install 'article-dedup[feeds]'"
        ) from None
    try:
        parsed = feedparser.parse(defuse_charrefs(data))
    except Exception as exc:  # a parser bug must cost this file only, with a reason
        return StructuredRead([], [InputProblem(file_id, f"cannot parse the feed: {type(exc).__name__}: {exc}")], [])
    docs: list[Document] = []
    errors: list[InputProblem] = []
    warnings: list[InputProblem] = []
    if not parsed.entries:
        reason = str(parsed.get("bozo_exception", "")) if parsed.get("bozo") else ""
        errors.append(InputProblem(file_id, f"no feed entries{': ' + reason if reason else ''}"))
        return StructuredRead(docs, errors, warnings)
    for n, entry in enumerate(parsed.entries, start=1):
        doc_id = entry.get("id") or entry.get("link") or f"{file_id}#{n}"
        html = ""
        if entry.get("content"):
            html = "\n".join(c.get("value", "") for c in entry.content)
        if not html.strip():
            html = entry.get("summary", "") or ""
        text = html_fragment_text(html)
        (doc_id, text), replaced = replace_surrogates([str(doc_id), text])
        if replaced:
            warnings.append(InputProblem(doc_id, "lone surrogate code point(s) replaced with U+FFFD"))
        if not text.strip():
            errors.append(InputProblem(str(doc_id), "feed entry has no text"))
            continue
        meta: dict[str, Any] = {"source": file_id}
        if entry.get("title"):
            meta["title"] = replace_surrogates(str(entry.title))[0]
        if entry.get("link"):
            meta["link"] = replace_surrogates(str(entry.link))[0]
        date = _iso(entry.get("published_parsed")) or _iso(entry.get("updated_parsed"))
        docs.append(Document(id=str(doc_id), text=text, path=path, date=date, meta=meta))
    return StructuredRead(docs, errors, warnings)
