"""``spark_scan``: read inputs, run the Spark pipeline, write Parquet and JSON Lines.

Output folder layout (every dataset sorted as ``ScanResult`` sorts it; the
part files of a dataset, read in name order, are in that order)::

    DIR/summary.json          schema, settings, counts, errors, warnings
    DIR/documents.jsonl/      part-*: {"id", "chars", "paragraphs"[, "date"]}
    DIR/pairs.jsonl/          part-*: Pair.to_dict() per line
    DIR/passages.jsonl/       part-*: Passage.to_dict() per line
    DIR/clusters.jsonl/       part-*: Cluster.to_dict() per line
    DIR/boilerplate.jsonl/    part-*: Boilerplate.to_dict(text) per line
    DIR/<name>.parquet/       the same records as Parquet (nested spans as structs)

JSON lines are written with Python's ``json.dumps`` of the same ``to_dict``
as ``dedup scan --format json``, so each line is byte-identical to the
corresponding list item there. The folder is built beside ``DIR`` and renamed
into place when complete (local file systems), so a reader never sees half an
output.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..config import Config
from ..errors import InputError, MissingDependencyError, OutputError
from ..io.atomic import write_atomic
from ..models import SCHEMA_VERSION, InputProblem
from ..pipeline import load_background
from .options import SparkOptions

__all__ = ["DATASETS", "SparkScanSummary", "copy_tiers", "get_session", "read_jsonl_dataset", "spark_scan"]

#: Datasets written to the output folder.
DATASETS = ("documents", "pairs", "passages", "clusters", "boilerplate")


@dataclass(frozen=True)
class SparkScanSummary:
    """What a Spark scan did.

    Attributes:
        output: The output folder.
        counts: Documents, paragraphs, pairs, passages, clusters, ...
        seconds: Wall time of the run (reading to writing).
        settings: ``Config.to_dict()`` of the run.
        errors: Inputs that could not be read.
        warnings: Inputs read with a caveat.
    """

    output: str
    counts: dict[str, int]
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)
    errors: tuple[InputProblem, ...] = ()
    warnings: tuple[InputProblem, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The content of ``summary.json``."""
        return {
            "schema": SCHEMA_VERSION,
            "settings": self.settings,
            "counts": self.counts,
            "errors": [{"path": e.path, "error": e.message} for e in self.errors],
            "warnings": [{"path": w.path, "warning": w.message} for w in self.warnings],
        }


def get_session(options: SparkOptions | None = None) -> tuple[Any, bool]:
    """The active ``SparkSession``, or a new one for ``options.master``.

    Returns:
        ``(session, created)``; a created session should be stopped by the
        caller.

    Raises:
        MissingDependencyError: pyspark is not installed or Java cannot start.
    """
    options = options or SparkOptions()
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise MissingDependencyError("the Spark job needs pyspark: pip install 'article-dedup[spark]'") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    # Under spark-submit the JVM already exists (it started this Python) and carries --master.
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ
    builder = SparkSession.builder.appName("dedup-spark-scan").config("spark.ui.showConsoleProgress", "false")
    master = options.master or (None if submitted else "local[*]")
    if master is not None:
        builder = builder.master(master)
    if master is not None and master.startswith("local"):
        builder = builder.config("spark.ui.enabled", "false").config("spark.pyspark.python", sys.executable)
    if options.partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(options.partitions))
    if options.driver_memory:
        builder = builder.config("spark.driver.memory", options.driver_memory)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # pyspark raises plain/runtime errors when the JVM cannot start
        raise MissingDependencyError(f"Spark could not start (it needs Java 17+ on PATH or JAVA_HOME): {exc}") from None
    session.sparkContext.setLogLevel("ERROR")
    return session, True


def copy_tiers(config: Config) -> Config:
    """``config`` with only the copy tiers: the same-story tier and alignment off.

    The Spark job runs every tier ``config`` asks for (as ``dedup scan``
    does); this is for a run that wants copies only (the same as
    ``--no-story --no-align``).

    Example:
        >>> copy_tiers(Config()).story, copy_tiers(Config()).align
        (False, False)
    """
    if config.story or config.align:
        return config.replace(story=False, align=False)
    return config


def _local_dir(path: str) -> str:
    if path.startswith("file://"):
        path = path[len("file://") :]
    elif "://" in path:
        raise OutputError(f"{path}: only local output folders are supported (write locally, then copy)")
    return os.path.abspath(path)


def _uri(path: str) -> str:
    return "file://" + path


def _pair_row(p: Any) -> tuple[Any, ...]:
    d = p.to_dict()
    return (d["a"], d["b"], d["kind"], d["similarity"], d["containment"], d["a_in_b"], d["b_in_a"], d["passages"])


def _passage_row(p: Any) -> tuple[Any, ...]:
    d = p.to_dict()
    a, b = d["a"], d["b"]
    return (
        (a["doc"], a["start"], a["end"]),
        (b["doc"], b["start"], b["end"]),
        d["similarity"],
        d["kind"],
        d["paragraphs"],
    )


def _cluster_row(c: Any) -> tuple[Any, ...]:
    return (list(c.members), c.canonical)


def _boilerplate_row(bt: Any) -> tuple[Any, ...]:
    b, text = bt
    return (text, b.documents, b.tokens, [(s.doc, s.start, s.end) for s in b.occurrences])


def _boilerplate_json(bt: Any) -> str:
    b, text = bt
    return json.dumps(b.to_dict(text), ensure_ascii=False)


def _doc_row(d: dict[str, Any]) -> tuple[Any, ...]:
    return (d["id"], d["chars"], d["paragraphs"], d.get("date"))


def _schemas() -> dict[str, Any]:
    from pyspark.sql.types import (
        ArrayType,
        DoubleType,
        LongType,
        StringType,
        StructField,
        StructType,
    )

    span = StructType(
        [
            StructField("doc", StringType(), False),
            StructField("start", LongType(), False),
            StructField("end", LongType(), False),
        ]
    )
    return {
        "documents": StructType(
            [
                StructField("id", StringType(), False),
                StructField("chars", LongType(), False),
                StructField("paragraphs", LongType(), False),
                StructField("date", StringType(), True),
            ]
        ),
        "pairs": StructType(
            [
                StructField("a", StringType(), False),
                StructField("b", StringType(), False),
                StructField("kind", StringType(), False),
                StructField("similarity", DoubleType(), False),
                StructField("containment", DoubleType(), False),
                StructField("a_in_b", DoubleType(), False),
                StructField("b_in_a", DoubleType(), False),
                StructField("passages", LongType(), False),
            ]
        ),
        "passages": StructType(
            [
                StructField("a", span, False),
                StructField("b", span, False),
                StructField("similarity", DoubleType(), False),
                StructField("kind", StringType(), False),
                StructField("paragraphs", LongType(), False),
            ]
        ),
        "clusters": StructType(
            [
                StructField("members", ArrayType(StringType(), False), False),
                StructField("canonical", StringType(), False),
            ]
        ),
        "boilerplate": StructType(
            [
                StructField("text", StringType(), False),
                StructField("documents", LongType(), False),
                StructField("tokens", LongType(), False),
                StructField("occurrences", ArrayType(span, False), False),
            ]
        ),
    }


def _to_json(obj: Any) -> str:
    d = obj if isinstance(obj, dict) else obj.to_dict()
    return json.dumps(d, ensure_ascii=False)


def spark_scan(
    inputs: str | Sequence[str],
    output: str,
    config: Config | None = None,
    options: SparkOptions | None = None,
    spark: Any = None,
) -> SparkScanSummary:
    """Scan a corpus with Spark and write pairs, passages and clusters.

    The results equal ``dedup.scan`` / :class:`dedup.Detector` on the same
    documents and settings (same pairs of every kind, same-story pairs with
    their evidence, passages including the aligned sub-paragraph ones,
    clusters, boilerplate; the same JSON): the job runs every tier the
    settings turn on (:func:`copy_tiers` gives the copy tiers only). The
    settings it used are in ``summary.json``.

    Args:
        inputs: Files/folders of text, JSONL files, or Parquet files/folders.
        output: Output folder (local); see the module docstring for its layout.
        config: Detection settings; default ``Config()``.
        options: Input and execution options; default ``SparkOptions()``.
        spark: A ``SparkSession`` to use; default: the active one, else a new
            one for ``options.master`` (stopped at the end).

    Returns:
        A summary with counts, errors and warnings.

    Raises:
        MissingDependencyError: pyspark or Java is absent.
        InputError: A path does not exist, or document ids repeat.
        OutputError: ``output`` exists (without ``overwrite``) or cannot be written.
    """
    from .inputs import read_inputs
    from .job import run_pipeline

    config = config or Config()
    options = options or SparkOptions()
    paths = [inputs] if isinstance(inputs, str) else list(inputs)
    out_dir = _local_dir(output)
    if os.path.exists(out_dir) and not options.overwrite:
        raise OutputError(f"{output}: output folder exists (pass overwrite / --overwrite to replace it)")
    parent = os.path.dirname(out_dir)
    if not os.path.isdir(parent):
        raise OutputError(f"{output}: parent folder {parent} does not exist")

    if spark is None:
        session, created = get_session(options)
    else:
        session, created = spark, False
    t0 = time.perf_counter()
    try:
        from pyspark import StorageLevel

        sc = session.sparkContext
        partitions = options.partitions or max(2, 2 * sc.defaultParallelism)
        tagged = read_inputs(session, paths, options, partitions).persist(StorageLevel.MEMORY_AND_DISK)
        problems = tagged.filter(lambda r: r[0] != "doc").collect()
        errors = tuple(sorted(p for t, p in problems if t == "error"))
        warnings = tuple(sorted(p for t, p in problems if t == "warning"))
        docs = tagged.filter(lambda r: r[0] == "doc").map(lambda r: r[1])
        repeated = (
            docs.map(lambda d: (d.id, 1))
            .reduceByKey(lambda a, b: a + b, partitions)
            .filter(lambda kv: kv[1] > 1)
            .keys()
            .takeOrdered(1)
        )
        if repeated:
            raise InputError(repeated[0], "duplicate document id")
        background = load_background(config)
        result = run_pipeline(
            docs, config, partitions, options.docs_per_batch, options.driver_cluster_edges, background=background
        )

        tmp = f"{out_dir}.tmp-{uuid.uuid4().hex[:12]}"
        os.makedirs(tmp)
        try:
            schemas = _schemas()
            rows = {
                "documents": _doc_row,
                "pairs": _pair_row,
                "passages": _passage_row,
                "clusters": _cluster_row,
                "boilerplate": _boilerplate_row,
            }
            counts = dict(result.counts)
            for name in DATASETS:
                rdd = getattr(result, name)
                if rdd is None:  # boilerplate detection is off
                    rdd = sc.parallelize([], 1)
                if not rdd.is_cached:
                    rdd.persist(StorageLevel.MEMORY_AND_DISK)
                counts[name] = rdd.count()
                to_json = _boilerplate_json if name == "boilerplate" else _to_json
                rdd.map(to_json).saveAsTextFile(_uri(os.path.join(tmp, f"{name}.jsonl")))
                df = session.createDataFrame(rdd.map(rows[name]), schemas[name])
                df.write.parquet(_uri(os.path.join(tmp, f"{name}.parquet")))
                rdd.unpersist()
            counts["persisted_bytes"] = _persisted_bytes(sc)
            for rdd in result.persisted:
                rdd.unpersist()
            summary = SparkScanSummary(
                output=out_dir,
                counts=counts,
                seconds=round(time.perf_counter() - t0, 3),
                settings=config.to_dict(),
                errors=errors,
                warnings=warnings,
            )
            write_atomic(
                os.path.join(tmp, "summary.json"), json.dumps(summary.to_dict(), indent=2, ensure_ascii=False) + "\n"
            )
            _replace_dir(tmp, out_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        tagged.unpersist()
        return summary
    finally:
        if created:
            session.stop()


def _persisted_bytes(sc: Any) -> int:
    """Bytes (memory + disk) of the RDDs currently persisted in the session."""
    try:
        infos = sc._jsc.sc().getRDDStorageInfo()
        return int(sum(i.memSize() + i.diskSize() for i in infos))
    except Exception:  # a private API; the figure is informational only
        return -1


def _replace_dir(tmp: str, out_dir: str) -> None:
    old = None
    if os.path.exists(out_dir):
        old = f"{out_dir}.old-{uuid.uuid4().hex[:12]}"
        os.replace(out_dir, old)
    try:
        os.replace(tmp, out_dir)
    except OSError as exc:
        if old:
            with contextlib.suppress(OSError):
                os.replace(old, out_dir)
        raise OutputError(f"{out_dir}: cannot write ({exc.strerror or exc})") from None
    if old:
        shutil.rmtree(old, ignore_errors=True)


def read_jsonl_dataset(output: str, name: str) -> list[dict[str, Any]]:
    """Read one JSON Lines dataset of an output folder (part files in name order).

    Args:
        output: The output folder of :func:`spark_scan`.
        name: ``documents``, ``pairs``, ``passages`` or ``clusters``.

    Returns:
        The records in their sorted order.
    """
    folder = os.path.join(output, f"{name}.jsonl")
    records: list[dict[str, Any]] = []
    for part in sorted(os.listdir(folder)):
        if part.startswith("part-"):
            with open(os.path.join(folder, part), encoding="utf-8") as fh:
                records.extend(json.loads(line) for line in fh if line.strip())
    return records
