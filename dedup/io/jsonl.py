"""JSON Lines reader: one document per line of a ``.jsonl`` / ``.ndjson`` export.

Each non-blank line must be a JSON object. The document text is the string at
``text_field``, the id the value at ``id_field`` (a string or number; when the
line has none the id is ``FILE#LINE``). ``title_field`` and ``date_field``
are optional metadata. Field names may be dotted paths into nested objects
(``"body.text"``). A line that is not valid JSON, or has no usable text, is
reported as an error for ``FILE#LINE`` and the other lines are still read.
Offsets refer to the text value itself. ``meta["line"]`` keeps the 1-based
line number in the file.
"""

from __future__ import annotations

import json
from typing import Any

from ..models import Document, InputProblem
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
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{file_id}#{lineno}"
        try:
            obj = json.loads(line)
        except ValueError as exc:
            errors.append(InputProblem(where, f"not valid JSON: {exc}"))
            continue
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
    return StructuredRead(docs, errors, [])
