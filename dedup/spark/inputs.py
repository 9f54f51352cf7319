"""Reading documents into a Spark RDD: text files, JSON Lines, Parquet.

Every reader returns an RDD of tagged records: ``("doc", Document)``,
``("error", InputProblem)`` or ``("warning", InputProblem)``. Text files are
listed on the driver with :func:`dedup.io.readers.collect_files` (the same
ids, extensions and hidden-file rules as ``dedup scan``) and decoded on the
executors with :func:`dedup.io.readers.read_document`, so they must live on a
file system every executor can see (local disk for ``local[*]``, a shared
mount on a cluster). JSONL and Parquet are read with Spark's own readers, so
any Hadoop file system URL works for them.

Hostile records behave as in ``dedup scan``: a JSON line nested deeper than
:data:`~dedup.io.nesting.MAX_NESTING` levels is an error for that line, lone
surrogates become U+FFFD (with a warning), and a document id that repeats
keeps its first occurrence (in input order: path, then line) while the later
ones become "duplicate document id ...; skipped" errors.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import InputError
from ..io.nesting import load_json, replace_surrogates
from ..io.readers import collect_inputs, read_document
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


def _record_to_doc(rec: Any, where: str, options: SparkOptions) -> list[tuple[str, Any]]:
    if not isinstance(rec, dict):
        return [("error", InputProblem(where, "not a JSON object"))]
    rec, replaced = replace_surrogates(rec)
    out: list[tuple[str, Any]] = []
    if replaced:
        out.append(("warning", InputProblem(where, "lone surrogate code point(s) replaced with U+FFFD")))
    out.append(_fields_to_doc(rec, where, options))
    return out


def _fields_to_doc(rec: dict[str, Any], where: str, options: SparkOptions) -> tuple[str, Any]:
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


def _jsonl_line(item: tuple[str, int], path: str, options: SparkOptions) -> list[tuple[str, Any]]:
    line, index = item
    where = f"{path}:{index + 1}"
    if not line.strip():
        return []
    try:
        rec = load_json(line)
    except ValueError as exc:  # not valid JSON, or nested deeper than MAX_NESTING (never RecursionError)
        return [("error", InputProblem(where, str(exc)))]
    return _record_to_doc(rec, where, options)


def _drop_repeated_ids(ranked: Any, partitions: int, describe: Any) -> Any:
    """Keep the first record of each document id; later ones become errors (as in ``dedup scan``).

    ``ranked`` holds ``(rank, (tag, payload))`` with a rank giving the input
    order. Only ids that repeat are collected on the driver.
    """
    firsts = (
        ranked.filter(lambda r: r[1][0] == "doc")
        .map(lambda r: (r[1][1].id, (r[0], 1)))
        .reduceByKey(lambda a, b: (min(a[0], b[0]), a[1] + b[1]), partitions)
        .filter(lambda kv: kv[1][1] > 1)
        .mapValues(lambda v: v[0])
        .collectAsMap()
    )
    if not firsts:
        return ranked.map(lambda r: r[1])
    sc = ranked.context
    kept = sc.broadcast(dict(firsts))

    def judge(r: tuple[Any, tuple[str, Any]]) -> tuple[str, Any]:
        rank, (tag, payload) = r
        first = kept.value.get(payload.id) if tag == "doc" else None
        if first is None or first == rank:
            return (tag, payload)
        return ("error", InputProblem(payload.id, f"duplicate document id (also in {describe(first)}); skipped"))

    return ranked.map(judge)


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
        listing = collect_inputs(list(paths), options.extensions)
        problems = [("warning", InputProblem(i, why)) for i, why in listing.warnings]
        problems += [("error", InputProblem(i, why)) for i, why in listing.errors]
        files = list(listing.files)
        if not files:
            return sc.parallelize(problems, 1) if problems else sc.emptyRDD()
        read = sc.parallelize(files, max(1, min(partitions, len(files)))).flatMap(_read_text_file)
        return sc.union([sc.parallelize(problems, 1), read]) if problems else read
    if fmt == "jsonl":
        rdds = []
        for n, p in enumerate(paths):
            lines = sc.textFile(p).zipWithIndex()
            rdds.append(lines.flatMap(lambda item, p=p, n=n: _ranked((n, item[1]), _jsonl_line(item, p, options))))
        names = list(paths)
        return _drop_repeated_ids(sc.union(rdds), partitions, lambda rank: f"{names[rank[0]]}:{rank[1] + 1}")
    # Parquet
    df = spark.read.parquet(*paths)
    cols = [options.id_field, options.text_field] + ([options.date_field] if options.date_field else [])
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(", ".join(paths), f"Parquet input has no column(s) {', '.join(missing)}")
    where = ",".join(paths)
    ranked = (
        df.select(*cols)
        .rdd.map(lambda row: row.asDict())
        .zipWithIndex()
        .flatMap(
            lambda ri: _ranked((ri[1],), _record_to_doc(ri[0], f"{where}: id {ri[0].get(options.id_field)!r}", options))
        )
    )
    return _drop_repeated_ids(ranked, partitions, lambda rank: f"{where}: row {rank[0] + 1}")


def _ranked(rank: tuple[int, ...], records: list[tuple[str, Any]]) -> list[tuple[tuple[int, ...], tuple[str, Any]]]:
    return [((*rank, k), rec) for k, rec in enumerate(records)]
