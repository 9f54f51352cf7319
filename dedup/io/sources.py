"""Choosing a reader by file extension, and reader options.

=====================  ==========================================  ==========
Extension              Reader                                      Extra
=====================  ==========================================  ==========
``.txt``, ``.md``      plain text (:mod:`dedup.io.readers`)         -
``.jsonl``, ``.ndjson`` JSON Lines (:mod:`dedup.io.jsonl`)         -
``.xml``, ``.rss``,    RSS 2.0 / Atom entries (:mod:`dedup.io.feeds`) ``feeds``
``.atom``
``.html``, ``.htm``    HTML main text (:mod:`dedup.io.html`)        ``html``
=====================  ==========================================  ==========

Files named on the command line are read with the reader of their extension
(unknown extensions as plain text); folders contribute the files matching
``--ext``. For extracted text (feeds, HTML) offsets refer to the extracted
text; for JSON Lines to the text field's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..models import Document, InputProblem

__all__ = ["FEED_EXTENSIONS", "HTML_EXTENSIONS", "JSONL_EXTENSIONS", "ReaderOptions", "StructuredRead", "reader_kind"]

JSONL_EXTENSIONS = (".jsonl", ".ndjson")
FEED_EXTENSIONS = (".xml", ".rss", ".atom")
HTML_EXTENSIONS = (".html", ".htm")


@dataclass(frozen=True)
class ReaderOptions:
    """Options of the structured readers.

    Args:
        text_field: JSON Lines field holding the text.
        id_field: JSON Lines field holding the document id.
        title_field: JSON Lines field holding the title (optional).
        date_field: JSON Lines field holding an ISO-8601 date (optional).
        max_file_size: Files larger than this many bytes are not read (an
            error names them), so one huge file cannot exhaust memory.
        follow_symlinks: Read symbolic links inside scanned folders wherever
            they point; by default a link whose target lies outside the
            scanned paths is skipped with a warning (``content/leak.txt ->
            /etc/passwd`` never reaches a report or an index).
    """

    text_field: str = "text"
    id_field: str = "id"
    title_field: str = "title"
    date_field: str = "date"
    max_file_size: int = 100 * 1024 * 1024
    follow_symlinks: bool = False


class StructuredRead(NamedTuple):
    """Documents read from one file, with problems."""

    documents: list[Document]
    errors: list[InputProblem]
    warnings: list[InputProblem]


def reader_kind(path: str) -> str:
    """``"jsonl"``, ``"feed"``, ``"html"`` or ``"text"`` for a file name."""
    low = path.lower()
    if low.endswith(JSONL_EXTENSIONS):
        return "jsonl"
    if low.endswith(FEED_EXTENSIONS):
        return "feed"
    if low.endswith(HTML_EXTENSIONS):
        return "html"
    return "text"
