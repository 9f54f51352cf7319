"""Output formats for a :class:`~dedup.models.ScanResult`.

Every formatter returns a string and is deterministic: the same result gives
byte-identical output.

* ``json``: the JSON contract (``ScanResult.to_dict()``), indented, sorted
  as produced, UTF-8 text.
* ``jsonl``: one JSON object per line, each with a ``"type"`` of
  ``document``, ``pair``, ``passage``, ``cluster``, ``boilerplate``, ``error`` or ``warning``.
* ``csv``: one row per pair and per passage, with a ``record`` column
  (``passages`` is set on pair rows, ``paragraphs`` and offsets on passage
  rows; see :data:`CSV_COLUMNS`).
* ``table``: a human-readable summary with excerpts.
* ``html``: a self-contained HTML page with both documents of every pair side
  by side (see :mod:`dedup.report.html`).
* ``ids``: one document id per line, those to drop (default) or to keep
  (see :meth:`~dedup.models.ScanResult.drop` for the policies), for shell
  pipelines.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from ..models import ContainmentPolicy, ScanResult
from .html import to_html
from .table import excerpt  # noqa: F401  (kept importable from here)
from .table import to_table as _to_table

__all__ = ["FORMATS", "format_result", "to_csv", "to_ids", "to_json", "to_jsonl", "to_table"]


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
        ("boilerplate", "boilerplate"),
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
    "passages",
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
                "passages": p.passages,
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


def to_table(result: ScanResult, width: int = 80, **limits: int) -> str:
    """A readable report grouped by cluster, with excerpts (see :mod:`dedup.report.table`).

    ``limits`` are the ``max_*`` arguments of :func:`dedup.report.table.to_table`.
    """
    return _to_table(result, width=width, **limits)


def to_ids(
    result: ScanResult,
    *,
    keep: bool = False,
    containment: ContainmentPolicy = "drop",
    paths: bool = False,
    null: bool = False,
) -> str:
    """The ids to drop (or, with ``keep=True``, to keep), one per line, in natural order.

    Args:
        result: The scan result.
        keep: List the documents to keep instead of those to drop.
        containment: How ``containment`` copies are treated (see
            :meth:`ScanResult.drop`): ``"drop"`` or ``"keep"``.
        paths: Print each document's file path instead of its id (ids of
            documents not read from a file are printed as they are).
        null: End every entry with a NUL byte instead of a newline (for
            ``xargs -0``); otherwise an id holding a line break is written
            with ``\\n`` / ``\\r`` escapes so that each line is one id.

    Example:
        >>> from dedup.models import Cluster, Document, ScanResult
        >>> docs = tuple(Document(i, "text") for i in ("a10", "a2", "a9"))
        >>> r = ScanResult(docs, (), (), (Cluster(("a10", "a2", "a9"), "a2"),))
        >>> print(to_ids(r), end="")
        a9
        a10
        >>> print(to_ids(r, keep=True), end="")
        a2
    """
    ids = result.keep(containment) if keep else result.drop(containment)
    if paths:
        ids = [result.document(i).path or i for i in ids]
    if null:
        return "".join(f"{i}\0" for i in ids)
    return "".join(i.replace("\n", "\\n").replace("\r", "\\r") + "\n" for i in ids)


FORMATS: dict[str, Callable[..., str]] = {
    "table": to_table,
    "json": to_json,
    "jsonl": to_jsonl,
    "csv": to_csv,
    "html": to_html,
    "ids": to_ids,
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
