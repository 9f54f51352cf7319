"""Output formats for a :class:`~dedup.models.ScanResult`.

Every formatter returns a string and is deterministic: the same result gives
byte-identical output.

* ``json``: the JSON contract (``ScanResult.to_dict()``), indented, sorted
  as produced, UTF-8 text.
* ``jsonl``: one JSON object per line, each with a ``"type"`` of
  ``document``, ``pair``, ``passage``, ``cluster``, ``error`` or ``warning``.
* ``csv``: one row per pair and per passage, with a ``record`` column.
* ``table``: a human-readable summary with excerpts.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Callable
from typing import Any

from ..models import ScanResult, Span

__all__ = ["FORMATS", "format_result", "to_csv", "to_json", "to_jsonl", "to_table"]


def to_json(result: ScanResult) -> str:
    """The JSON contract, indented by two spaces, with a final newline."""
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


def to_jsonl(result: ScanResult) -> str:
    """One JSON object per line, typed by a ``"type"`` field."""
    d = result.to_dict()
    lines = [json.dumps({"type": "settings", "schema": d["schema"], **d["settings"]}, ensure_ascii=False)]
    for key, typ in (
        ("documents", "document"),
        ("pairs", "pair"),
        ("passages", "passage"),
        ("clusters", "cluster"),
        ("errors", "error"),
        ("warnings", "warning"),
    ):
        lines.extend(json.dumps({"type": typ, **item}, ensure_ascii=False) for item in d[key])
    return "\n".join(lines) + "\n"


CSV_COLUMNS = (
    "record",
    "a",
    "b",
    "kind",
    "similarity",
    "a_in_b",
    "b_in_a",
    "a_start",
    "a_end",
    "b_start",
    "b_end",
    "paragraphs",
)


def to_csv(result: ScanResult) -> str:
    """Pairs and passages as CSV rows (``record`` is ``pair`` or ``passage``)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for p in result.pairs:
        d = p.to_dict()
        w.writerow(
            {
                "record": "pair",
                "a": p.a,
                "b": p.b,
                "kind": p.kind,
                "similarity": d["similarity"],
                "a_in_b": d["a_in_b"],
                "b_in_a": d["b_in_a"],
                "paragraphs": "",
            }
        )
    for s in result.passages:
        d = s.to_dict()
        w.writerow(
            {
                "record": "passage",
                "a": s.a.doc,
                "b": s.b.doc,
                "kind": s.kind,
                "similarity": d["similarity"],
                "a_start": s.a.start,
                "a_end": s.a.end,
                "b_start": s.b.start,
                "b_end": s.b.end,
                "paragraphs": s.paragraphs,
            }
        )
    return buf.getvalue()


def excerpt(result: ScanResult, span: Span, width: int = 60) -> str:
    """A one-line excerpt of a span, shortened to ``width`` characters."""
    text = " ".join(result.text(span).split())
    return textwrap.shorten(text, width=width, placeholder=" ...") if len(text) > width else text


def to_table(result: ScanResult, width: int = 80) -> str:
    """A readable report: pairs, clusters, passages with excerpts, problems."""
    out: list[str] = []
    n_docs = len(result.documents)
    out.append(
        f"{n_docs} document(s), {len(result.pairs)} pair(s), {len(result.passages)} passage(s), "
        f"{len(result.clusters)} cluster(s), {len(result.errors)} error(s)"
    )
    if result.pairs:
        out.append("")
        out.append("Pairs")
        for p in result.pairs:
            out.append(
                f"  {p.kind:<15} {p.similarity:5.2f}  {p.a}  <->  {p.b}  (a in b {p.a_in_b:.0%}, b in a {p.b_in_a:.0%})"
            )
    if result.clusters:
        out.append("")
        out.append("Clusters")
        for c in result.clusters:
            others = ", ".join(m for m in c.members if m != c.canonical)
            out.append(f"  keep {c.canonical}; duplicates: {others}")
    if result.passages:
        out.append("")
        out.append("Passages")
        ex_width = max(30, width - 8)
        for s in result.passages:
            where = "same document" if s.a.doc == s.b.doc else "between documents"
            out.append(f"  {s.kind:<5} {s.similarity:5.2f}  {s.paragraphs} paragraph(s), {where}")
            out.append(f"    {s.a.doc} [{s.a.start}:{s.a.end}]")
            out.append(f"    {s.b.doc} [{s.b.start}:{s.b.end}]")
            out.append(f'    "{excerpt(result, s.a, ex_width)}"')
    if result.errors:
        out.append("")
        out.append("Errors")
        for e in result.errors:
            out.append(f"  {e.path}: {e.message}")
    if result.warnings:
        out.append("")
        out.append("Warnings")
        for w in result.warnings:
            out.append(f"  {w.path}: {w.message}")
    return "\n".join(out) + "\n"


FORMATS: dict[str, Callable[[ScanResult], str]] = {
    "table": to_table,
    "json": to_json,
    "jsonl": to_jsonl,
    "csv": to_csv,
}


def format_result(result: ScanResult, fmt: str, **options: Any) -> str:
    """Render a result in one of :data:`FORMATS`.

    Raises:
        KeyError: On an unknown format name.
    """
    return FORMATS[fmt](result, **options)


# CI formats (GitHub Actions annotations, SARIF 2.1.0) live in their own module.
from .ci import to_github, to_sarif  # noqa: E402

FORMATS["github"] = to_github
FORMATS["sarif"] = to_sarif
