"""What the Spark test modules share: why Spark is missing, and a local session.

Spark tests skip with the reason when pyspark or Java is absent, except in CI
(env ``CI=true``), where .ci/run installs both and a missing one is a failure.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

IN_CI = os.environ.get("CI") == "true"


def spark_missing() -> str | None:
    """Why Spark cannot run here (``None`` when it can)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'article-dedup[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (java not on PATH, JAVA_HOME unset)"
    return None


def local_session(app_name: str, shuffle_partitions: int) -> Iterator[Any]:
    """A local Spark session on 2 cores (for a module-scoped fixture), stopped afterwards."""
    missing = spark_missing()
    assert missing is None, missing  # in CI Spark must be there
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", "2")
        .config("spark.pyspark.python", sys.executable)
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
