"""Output of ``dedup compare``: a table or JSON, deterministic."""

from __future__ import annotations

import json

from ..compare import CompareResult

__all__ = ["COMPARE_SCHEMA", "format_comparison"]

#: Version of the ``dedup compare --format json`` layout; raised on an incompatible change.
COMPARE_SCHEMA = 1


def _excerpt(text: str, width: int) -> str:
    import textwrap

    text = " ".join(text.split())
    return textwrap.shorten(text, width=width, placeholder=" ...") if len(text) > width else text


def format_comparison(result: CompareResult, fmt: str = "table") -> str:
    """Render a comparison as ``"table"`` or ``"json"``.

    JSON: ``{"schema": 1, "pairs": [{"a", "b", "jaccard", "containment", "a_in_b", "b_in_a",
    "story", "kind", "passages"}], "boilerplate": [...], "errors": [...],
    "warnings": [...]}``.
    """
    if fmt == "json":
        return json.dumps({"schema": COMPARE_SCHEMA, **result.to_dict()}, indent=2, ensure_ascii=False) + "\n"
    if fmt != "table":
        raise KeyError(fmt)
    rows = [("jaccard", "a_in_b", "b_in_a", "story", "kind", "a", "b")]
    for c in result.pairs:
        rows.append(
            (f"{c.jaccard:.3f}", f"{c.a_in_b:.3f}", f"{c.b_in_a:.3f}", f"{c.story:.3f}", c.kind or "-", c.a, c.b)
        )
    widths = [max(len(r[k]) for r in rows) for k in range(5)]
    out = ["  ".join([*(r[k].ljust(widths[k]) for k in range(5)), r[5], "<->", r[6]]).rstrip() for r in rows]
    out[0] = out[0].replace("<->", "   ")
    scan = result.scan
    for c in result.pairs:
        if not c.passages:
            continue
        out.append("")
        out.append(f"Passages {c.a} <-> {c.b}")
        for p in c.passages:
            where = f"{p.a.doc} [{p.a.start}:{p.a.end}]  {p.b.doc} [{p.b.start}:{p.b.end}]"
            out.append(f"  {p.kind:<5} {p.similarity:5.2f}  {where}")
            out.append(f'    "{_excerpt(scan.text(p.a), 72)}"')
    if scan.boilerplate:
        out.append("")
        out.append("Boilerplate")
        for b in scan.boilerplate:
            out.append(f'  {b.documents} documents: "{_excerpt(scan.text(b.occurrences[0]), 60)}"')
    if scan.errors:
        out.append("")
        out.append("Errors")
        out.extend(f"  {e.path}: {e.message}" for e in scan.errors)
    return "\n".join(out) + "\n"
