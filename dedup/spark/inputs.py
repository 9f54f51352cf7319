"""Reading documents into a Spark RDD: text files, JSON Lines, Parquet.

Every reader returns an RDD of tagged records: ``("doc", Document)``,
``("error", InputProblem)`` or ``("warning", InputProblem)``. Text files are
listed on the driver with :func:`dedup.io.readers.collect_files` (the same
ids, extensions and hidden-file rules as ``dedup scan``) and decoded on the
executors with :func:`dedup.io.readers.read_document`, so they must live on a
file system every executor can see (local disk for ``local[*]``, a shared
mount on a cluster). JSONL and Parquet are read with Spark's own readers, so
any Hadoop file system URL works for them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import InputError
from ..io.readers import collect_files, read_document
from ..models import Document, InputProblem
from .options import SparkOptions

__all__ = ["detect_format", "read_inputs"]

_JSONL_ENDINGS = (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz")


def _is_parquet(path: str) -> bool:
    if path.rstrip("/").lower().endswith(".parquet"):
        return True
    if os.path.isdir(path):
        names = os.listdir(path)
        return bool(names) and any(n.endswith(".parquet") for n in names) and not any(n.endswith(".txt") for n in names)
    return False


def detect_format(paths: Sequence[str]) -> str:
    """Guess the input format from the paths (``text``, ``jsonl`` or ``parquet``).

    Raises:
        InputError: The paths mix formats.
    """
    kinds = set()
    for p in paths:
        low = p.lower()
        if low.endswith(_JSONL_ENDINGS):
            kinds.add("jsonl")
        elif _is_parquet(p):
            kinds.add("parquet")
        else:
            kinds.add("text")
    if len(kinds) > 1:
        raise InputError(", ".join(paths), f"inputs mix formats ({', '.join(sorted(kinds))}); pass --input-format")
    return kinds.pop() if kinds else "text"


def _read_text_file(item: tuple[str, str]) -> Iterator[tuple[str, Any]]:
    path, doc_id = item
    try:
        doc, warning = read_document(path, doc_id)
    except InputError as exc:
        yield ("error", InputProblem(doc_id, exc.reason))
        return
    if warning:
        yield ("warning", InputProblem(doc_id, warning))
    yield ("doc", doc)


def _record_to_doc(rec: Any, where: str, options: SparkOptions) -> tuple[str, Any]:
    if not isinstance(rec, dict):
        return ("error", InputProblem(where, "not a JSON object"))
    doc_id = rec.get(options.id_field)
    text = rec.get(options.text_field)
    if doc_id is None or doc_id == "":
        return ("error", InputProblem(where, f"missing id field {options.id_field!r}"))
    if not isinstance(text, str):
        return ("error", InputProblem(where, f"missing or non-text field {options.text_field!r}"))
    if not text.strip():
        return ("error", InputProblem(str(doc_id), "no text (only whitespace)"))
    date = rec.get(options.date_field) if options.date_field else None
    return ("doc", Document(str(doc_id), text, date=str(date) if date is not None else None))


def _jsonl_line(item: tuple[str, int], path: str, options: SparkOptions) -> tuple[str, Any]:
    line, index = item
    where = f"{path}:{index + 1}"
    if not line.strip():
        return ("skip", None)
    try:
        rec = json.loads(line)
    except ValueError as exc:
        return ("error", InputProblem(where, f"invalid JSON: {exc}"))
    return _record_to_doc(rec, where, options)


def read_inputs(spark: Any, paths: Sequence[str], options: SparkOptions, partitions: int) -> Any:
    """Read documents from paths into an RDD of tagged records.

    Args:
        spark: The ``SparkSession``.
        paths: Files and folders (text), JSONL files, or Parquet files/folders.
        options: Input format and field names.
        partitions: Number of partitions of the text-file listing.

    Returns:
        An RDD of ``("doc", Document)``, ``("error", InputProblem)`` and
        ``("warning", InputProblem)`` records.

    Raises:
        InputError: A path does not exist (text mode) or formats are mixed.
    """
    sc = spark.sparkContext
    fmt = options.input_format if options.input_format != "auto" else detect_format(paths)
    if fmt == "text":
        files = collect_files(list(paths), options.extensions)
        if not files:
            return sc.emptyRDD()
        return sc.parallelize(files, max(1, min(partitions, len(files)))).flatMap(_read_text_file)
    if fmt == "jsonl":
        rdds = []
        for p in paths:
            lines = sc.textFile(p).zipWithIndex()
            rdds.append(lines.map(lambda item, p=p: _jsonl_line(item, p, options)).filter(lambda r: r[0] != "skip"))
        return sc.union(rdds)
    # Parquet
    df = spark.read.parquet(*paths)
    cols = [options.id_field, options.text_field] + ([options.date_field] if options.date_field else [])
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(", ".join(paths), f"Parquet input has no column(s) {', '.join(missing)}")
    where = ",".join(paths)
    return (
        df.select(*cols)
        .rdd.map(lambda row: row.asDict())
        .map(lambda rec: _record_to_doc(rec, f"{where}: id {rec.get(options.id_field)!r}", options))
    )
