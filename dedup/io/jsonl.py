"""JSON Lines reader: one document per line of a ``.jsonl`` / ``.ndjson`` export.

Each non-blank line (lines end at ``\\n``; a ``\\r`` before it is JSON
whitespace) must be a JSON object. The document text is the string at
``text_field``, the id the value at ``id_field`` (a string or number; when the
line has none the id is ``FILE#LINE``). ``title_field`` and ``date_field``
are optional metadata. Field names may be dotted paths into nested objects
(``"body.text"``). A line that is not valid JSON, or has no usable text, is
reported as an error for ``FILE#LINE`` and the other lines are still read.
Offsets refer to the text value itself. ``meta["line"]`` keeps the 1-based
line number in the file.

Hostile records are per-item errors, never tracebacks, and never cost the
other records:

* a line nested deeper than :data:`~dedup.io.nesting.MAX_NESTING` levels is
  refused ("nested deeper than 128 levels");
* a lone surrogate (``"\\ud800"``, valid JSON but not encodable as UTF-8) in
  any string of the record, the id included, is replaced with U+FFFD and the
  record is kept, with a warning for ``FILE#LINE``.
"""

from __future__ import annotations

from typing import Any

from ..models import Document, InputProblem
from .nesting import load_json, replace_surrogates
from .sources import ReaderOptions, StructuredRead

__all__ = ["read_jsonl"]


def _field(obj: dict[str, Any], name: str) -> Any:
    cur: Any = obj
    for part in name.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def read_jsonl(text: str, path: str, file_id: str, options: ReaderOptions) -> StructuredRead:
    """Parse JSON Lines text into documents.

    Args:
        text: The decoded file content.
        path: The file path.
        file_id: The file's id (used for ids of lines without one).
        options: Field names.

    Returns:
        Documents, errors and warnings.
    """
    docs: list[Document] = []
    errors: list[InputProblem] = []
    warnings: list[InputProblem] = []
    # Records end at "\n" only: U+2028, U+0085 and the like are valid inside JSON strings.
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{file_id}#{lineno}"
        try:
            obj = load_json(line)
        except ValueError as exc:
            errors.append(InputProblem(where, str(exc)))
            continue
        obj, replaced = replace_surrogates(obj)
        if replaced:
            warnings.append(InputProblem(where, "lone surrogate code point(s) replaced with U+FFFD"))
        if not isinstance(obj, dict):
            errors.append(InputProblem(where, "not a JSON object"))
            continue
        body = _field(obj, options.text_field)
        if not isinstance(body, str) or not body.strip():
            errors.append(InputProblem(where, f"no text in field {options.text_field!r}"))
            continue
        raw_id = _field(obj, options.id_field)
        if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int, float)) or raw_id == "":
            doc_id = where
        else:
            doc_id = str(raw_id)
        meta: dict[str, Any] = {"source": file_id, "line": lineno}
        title = _field(obj, options.title_field)
        if isinstance(title, str) and title:
            meta["title"] = title
        date = _field(obj, options.date_field)
        docs.append(
            Document(
                id=doc_id,
                text=body,
                path=path,
                date=date if isinstance(date, str) and date else None,
                meta=meta,
            )
        )
    return StructuredRead(docs, errors, warnings)
