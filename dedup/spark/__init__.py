"""Scan a large corpus with Apache Spark (optional extra ``article-dedup[spark]``).

The job runs the local pipeline's own functions (``prepare``, ``band_keys``,
``verify``, ``shared_median``, ``build_passages``, ``align_documents``,
``classify_pairs``, ``same_story_tier``) inside Spark stages, and its output
equals ``dedup scan`` on the same corpus and settings, every tier included
(:func:`copy_tiers` turns the same-story tier and alignment off for a run that
wants copies only). Importing this package does not import pyspark;
:func:`spark_scan` does.

Example::

    from dedup.spark import spark_scan
    summary = spark_scan("articles/", "out/", options=SparkOptions(master="local[*]"))

Command line: ``dedup spark-scan INPUT... --output DIR`` or
``python -m dedup.spark INPUT... --output DIR`` (also usable as the file given
to ``spark-submit``).
"""

from .options import INPUT_FORMATS, SparkOptions
from .scan import DATASETS, SparkScanSummary, copy_tiers, get_session, read_jsonl_dataset, spark_scan

__all__ = [
    "DATASETS",
    "INPUT_FORMATS",
    "SparkOptions",
    "SparkScanSummary",
    "copy_tiers",
    "get_session",
    "read_jsonl_dataset",
    "spark_scan",
]
