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
  whole document, or without line information, point at line 1.
"""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any

from ..io.sources import reader_kind
from ..models import Document, Pair, Passage, ScanResult, Span

__all__ = ["escape_data", "escape_property", "line_range", "to_github", "to_sarif"]

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


def line_range(doc: Document, start: int, end: int) -> tuple[int, int] | None:
    """1-based first and last line of ``doc.text[start:end]`` in the document's file.

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
    text = doc.text
    first = _line_at(text, start)
    last = _line_at(text, max(start, end - 1))
    return first, last


def _line_at(text: str, offset: int) -> int:
    head = text[:offset]
    # \r\n and \n count once each; a lone \r is a line break too.
    breaks = head.count("\n") + head.count("\r") - head.count("\r\n")
    if head.endswith("\r") and text.startswith("\n", offset):
        breaks -= 1  # the offset is inside a \r\n pair
    return breaks + 1


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


def to_github(result: ScanResult) -> str:
    """GitHub Actions workflow commands, one annotation per line."""
    docs = _docs(result)
    out: list[str] = []

    def command(doc: Document, title: str, message: str, lines: tuple[int, int] | None) -> None:
        props = [f"file={escape_property(_file(doc))}"]
        if lines is not None:
            props.append(f"line={lines[0]}")
            props.append(f"endLine={lines[1]}")
        props.append(f"title={escape_property(title)}")
        out.append(f"::warning {','.join(props)}::{escape_data(message)}")

    for pair in result.pairs:
        for here in (pair.a, pair.b):
            doc = docs.get(here)
            if _annotated(doc):
                assert doc is not None
                command(doc, f"dedup {pair.kind}", _pair_message(pair, here), None)
    for p in result.passages:
        for here, there in ((p.a, p.b), (p.b, p.a)):
            doc = docs.get(here.doc)
            if _annotated(doc):
                assert doc is not None
                command(
                    doc,
                    "dedup repeated passage",
                    _passage_message(p, here, there),
                    line_range(doc, here.start, here.end),
                )
    return "".join(line + "\n" for line in out)


def _uri(path: str) -> str:
    if os.path.isabs(path):
        return pathlib.Path(path).as_uri()
    return path.replace(os.sep, "/")


def _location(doc: Document, span: Span | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(_file(doc))}}
    # Findings about a whole document (pairs), and passages of extracted text, point at line 1
    # (code scanning viewers expect a region).
    region: dict[str, Any] = {"startLine": 1}
    if span is not None:
        lines = line_range(doc, span.start, span.end)
        if lines is not None:
            region = {"startLine": lines[0], "endLine": lines[1]}
            if reader_kind(doc.path or "") == "text":
                region["charOffset"] = span.start
                region["charLength"] = span.end - span.start
    physical["region"] = region
    return {"physicalLocation": physical, "logicalLocations": [{"name": doc.id, "kind": "module"}]}


def to_sarif(result: ScanResult) -> str:
    """A SARIF 2.1.0 log (JSON, indented, final newline)."""
    from .. import __version__

    docs = _docs(result)
    rule_ids = list(_RULES)
    results: list[dict[str, Any]] = []

    def add(rule: str, doc: Document, message: str, span: Span | None, fingerprint: str) -> None:
        results.append(
            {
                "ruleId": rule,
                "ruleIndex": rule_ids.index(rule),
                "level": "warning",
                "message": {"text": message},
                "locations": [_location(doc, span)],
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
