"""CI output formats: GitHub Actions annotations and SARIF 2.1.0.

Both point at the *file* a finding is in (``Document.path``) and, when the
document's text is the file's text (``.txt``, ``.md`` and other plain-text
files), at the lines of the passage, computed from its character offsets.
For JSON Lines documents the line is the record's line; for documents whose
text was extracted (RSS/Atom entries, HTML pages) no line is given, since the
offsets refer to the extracted text. Documents that come from an index
(``meta["indexed"]``) are named in messages but not annotated.

* ``github``: one ``::warning file=...,line=...,endLine=...,title=...::msg``
  workflow command per passage side and per document pair, escaped as GitHub
  documents (data: ``%`` ``\\r`` ``\\n``; properties also ``:`` and ``,``).
* ``sarif``: a SARIF 2.1.0 log with one rule per finding kind
  (``duplicate``, ``near_duplicate``, ``containment``, ``same_story``,
  ``passage``), one result per pair and per passage side; results about a
  whole document, or without line information, point at line 1. Artifact
  URIs are RFC 3986 URI references: every byte of the path outside the
  unreserved set and ``/`` is percent-encoded (``c/x%41.txt`` is
  ``c/x%2541.txt``, ``#`` is ``%23``, a space ``%20``).

File names, ids and document text are attacker-controlled: every id and
message goes through :func:`dedup.report.sanitize.visible` (control and
format characters become visible escapes), so no output line can start a
workflow command or drive a terminal. Line numbers come from one
:class:`LineIndex` per document (a sorted list of line starts, searched with
``bisect``): linear in the text, whatever the number of passages.
"""

from __future__ import annotations

import bisect
import json
import os
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from ..io.sources import reader_kind
from ..models import Document, Pair, Passage, ScanResult, Span
from .sanitize import visible

__all__ = [
    "LEVELS",
    "LineIndex",
    "artifact_uri",
    "escape_data",
    "escape_property",
    "line_range",
    "to_github",
    "to_sarif",
]

_BREAK_RE = re.compile(r"\r\n|\r|\n")

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_RULES = {
    "duplicate": "Two documents have the same text after normalization.",
    "near_duplicate": "Most of each document lies in passages shared with the other.",
    "containment": "Most of the smaller document lies in the other.",
    "same_story": "The same story, rewritten.",
    "passage": "A passage (run of paragraphs) repeated from another document.",
}


def escape_data(text: str) -> str:
    """Escape a workflow command's message (``%``, ``\\r``, ``\\n``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command property value (data escapes plus ``:`` and ``,``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


class LineIndex:
    """Line starts of a text, for 1-based line numbers of character offsets.

    ``\\r\\n``, ``\\r`` and ``\\n`` are each one line break. Built in one
    pass; each lookup is a binary search.

    Example:
        >>> idx = LineIndex("a\\r\\nb\\rc\\nd")
        >>> [idx.line(o) for o in (0, 1, 2, 3, 5, 7)]
        [1, 1, 1, 2, 3, 4]
    """

    def __init__(self, text: str) -> None:
        self.starts = [0, *(m.end() for m in _BREAK_RE.finditer(text))]

    def line(self, offset: int) -> int:
        """The 1-based line holding character ``offset``."""
        return bisect.bisect_right(self.starts, offset)


def line_range(doc: Document, start: int, end: int, index: LineIndex | None = None) -> tuple[int, int] | None:
    """1-based first and last line of ``doc.text[start:end]`` in the document's file.

    Args:
        doc: The document.
        start: First character offset.
        end: End offset (exclusive).
        index: ``LineIndex(doc.text)``, when the caller looks up many spans
            of one document (built here otherwise).

    Returns:
        ``(line, end_line)``; for a JSON Lines record its line; ``None`` when
        the text was extracted (feeds, HTML) or the document has no file.
    """
    if doc.path is None:
        return None
    kind = reader_kind(doc.path)
    if kind == "jsonl":
        line = doc.meta.get("line")
        return (line, line) if isinstance(line, int) else None
    if kind != "text":
        return None
    idx = index or LineIndex(doc.text)
    return idx.line(start), idx.line(max(start, end - 1))


class _Lines:
    """Line ranges of the documents of one result, each document indexed once."""

    def __init__(self) -> None:
        self._by_doc: dict[str, LineIndex] = {}

    def range(self, doc: Document, start: int, end: int) -> tuple[int, int] | None:
        if doc.path is None or reader_kind(doc.path) != "text":
            return line_range(doc, start, end)
        idx = self._by_doc.get(doc.id)
        if idx is None:
            idx = self._by_doc[doc.id] = LineIndex(doc.text)
        return line_range(doc, start, end, idx)


def _docs(result: ScanResult) -> dict[str, Document]:
    return {d.id: d for d in result.documents}


def _annotated(doc: Document | None) -> bool:
    return doc is not None and doc.path is not None and not doc.meta.get("indexed")


def _passage_message(p: Passage, here: Span, there: Span) -> str:
    other = "the same document" if here.doc == there.doc else there.doc
    return (
        f"{p.paragraphs} paragraph(s) repeated from {other} [{there.start}:{there.end}] "
        f"({p.kind}, similarity {p.similarity:.2f}); this passage: {here.doc} [{here.start}:{here.end}]"
    )


def _pair_message(pair: Pair, here: str) -> str:
    other = pair.b if here == pair.a else pair.a
    return (
        f"{here} is a {pair.kind} of {other} (similarity {pair.similarity:.2f}, "
        f"{pair.a} in {pair.b} {pair.a_in_b:.0%}, {pair.b} in {pair.a} {pair.b_in_a:.0%})"
    )


def _file(doc: Document) -> str:
    assert doc.path is not None
    return doc.path.replace(os.sep, "/")


#: Annotation levels of GitHub workflow commands.
LEVELS = ("error", "warning", "notice")


def to_github(
    result: ScanResult, levels: Mapping[tuple[str, str, str], str] | None = None, default: str = "warning"
) -> str:
    """GitHub Actions workflow commands: one annotation per finding and annotated document.

    A document pair (a copy or the same story) gives one annotation on each of
    its annotated documents, at the lines of the first passage the two share;
    their passages are not annotated again. A passage between documents that
    form no pair (a quote, a repeated block) gets its own annotation.

    Args:
        result: The scan or check result.
        levels: Level (``error``, ``warning``, ``notice``) of each finding,
            keyed ``(a, b, kind)`` with ``a <= b`` and kind a pair kind or
            ``"passage"``: ``dedup check`` marks the findings that fail it
            ``error`` and the others ``notice``.
        default: Level of findings not in ``levels``.
    """
    docs = _docs(result)
    lines_of = _Lines()
    out: list[str] = []
    levels = levels or {}

    def command(level: str, doc: Document, title: str, message: str, lines: tuple[int, int] | None) -> None:
        props = [f"file={escape_property(visible(_file(doc)))}"]
        if lines is not None:
            props.append(f"line={lines[0]}")
            props.append(f"endLine={lines[1]}")
        props.append(f"title={escape_property(visible(title))}")
        out.append(f"::{level} {','.join(props)}::{escape_data(visible(message))}")

    first_passage: dict[tuple[str, str], Passage] = {}
    for p in result.passages:
        key = (min(p.a.doc, p.b.doc), max(p.a.doc, p.b.doc))
        first_passage.setdefault(key, p)
    paired: set[tuple[str, str]] = set()
    for pair in result.pairs:
        key = (min(pair.a, pair.b), max(pair.a, pair.b))
        paired.add(key)
        level = levels.get((*key, pair.kind), default)
        shared = first_passage.get(key)
        for here in (pair.a, pair.b):
            doc = docs.get(here)
            if _annotated(doc):
                assert doc is not None
                lines = None
                if shared is not None:
                    span = shared.a if shared.a.doc == here else shared.b
                    lines = lines_of.range(doc, span.start, span.end)
                command(level, doc, f"dedup {pair.kind}", _pair_message(pair, here), lines)
    for p in result.passages:
        key = (min(p.a.doc, p.b.doc), max(p.a.doc, p.b.doc))
        if key in paired:
            continue
        level = levels.get((*key, "passage"), default)
        for here, there in ((p.a, p.b), (p.b, p.a)):
            doc = docs.get(here.doc)
            if _annotated(doc) and not (here.doc == there.doc and here is p.b):
                assert doc is not None
                command(
                    level,
                    doc,
                    "dedup repeated passage",
                    _passage_message(p, here, there),
                    lines_of.range(doc, here.start, here.end),
                )
    return "".join(line + "\n" for line in out)


def artifact_uri(path: str) -> str:
    """A file path as an RFC 3986 URI reference (SARIF ``artifactLocation.uri``).

    Relative paths stay relative; absolute ones become ``file://`` URIs.
    Every byte outside the unreserved characters and ``/`` is
    percent-encoded (names that are not UTF-8 keep their bytes).

    Example:
        >>> artifact_uri("c/x%41.txt"), artifact_uri("c/y#frag.txt"), artifact_uri("c/a b.txt")
        ('c/x%2541.txt', 'c/y%23frag.txt', 'c/a%20b.txt')
        >>> artifact_uri("/srv/ré:sumé.md")
        'file:///srv/r%C3%A9%3Asum%C3%A9.md'
    """
    quoted = urllib.parse.quote_from_bytes(os.fsencode(path.replace(os.sep, "/")), safe="/")
    return "file://" + quoted if quoted.startswith("/") else quoted


def _location(doc: Document, span: Span | None, lines_of: _Lines) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(_file(doc))}}
    # Findings about a whole document (pairs), and passages of extracted text, point at line 1
    # (code scanning viewers expect a region).
    region: dict[str, Any] = {"startLine": 1}
    if span is not None:
        lines = lines_of.range(doc, span.start, span.end)
        if lines is not None:
            region = {"startLine": lines[0], "endLine": lines[1]}
            if reader_kind(doc.path or "") == "text":
                region["charOffset"] = span.start
                region["charLength"] = span.end - span.start
    physical["region"] = region
    return {"physicalLocation": physical, "logicalLocations": [{"name": visible(doc.id), "kind": "module"}]}


def to_sarif(result: ScanResult) -> str:
    """A SARIF 2.1.0 log (JSON, indented, final newline)."""
    from .. import __version__

    docs = _docs(result)
    lines_of = _Lines()
    rule_ids = list(_RULES)
    results: list[dict[str, Any]] = []

    def add(rule: str, doc: Document, message: str, span: Span | None, fingerprint: str) -> None:
        results.append(
            {
                "ruleId": rule,
                "ruleIndex": rule_ids.index(rule),
                "level": "warning",
                "message": {"text": visible(message)},
                "locations": [_location(doc, span, lines_of)],
                "partialFingerprints": {"dedupFinding/v1": fingerprint},
            }
        )

    for pair in result.pairs:
        rule = pair.kind if pair.kind in _RULES else "near_duplicate"
        for here in (pair.a, pair.b):
            doc = docs.get(here)
            if _annotated(doc):
                assert doc is not None
                add(rule, doc, _pair_message(pair, here), None, f"{pair.kind}|{pair.a}|{pair.b}|{here}")
    for p in result.passages:
        for here, there in ((p.a, p.b), (p.b, p.a)):
            doc = docs.get(here.doc)
            if _annotated(doc):
                assert doc is not None
                add(
                    "passage",
                    doc,
                    _passage_message(p, here, there),
                    here,
                    f"passage|{here.doc}|{here.start}|{here.end}|{there.doc}|{there.start}|{there.end}",
                )
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dedup",
                        "version": __version__,
                        "rules": [
                            {
                                "id": rid,
                                "name": rid,
                                "shortDescription": {"text": text},
                                "defaultConfiguration": {"level": "warning"},
                            }
                            for rid, text in _RULES.items()
                        ],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
