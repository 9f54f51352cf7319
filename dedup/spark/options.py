"""Execution options of the Spark job (where and how it runs, not what it finds).

Detection settings stay in :class:`dedup.Config`; these options only say how
input is read, how the work is partitioned and where Spark runs, so they
never change the results.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import ConfigError
from ..io.readers import DEFAULT_EXTENSIONS

__all__ = ["INPUT_FORMATS", "SparkOptions"]

InputFormat = Literal["auto", "text", "jsonl", "parquet"]

#: Accepted values of ``SparkOptions.input_format``.
INPUT_FORMATS = ("auto", "text", "jsonl", "parquet")


@dataclass(frozen=True)
class SparkOptions:
    """How the Spark job reads input and partitions its work.

    Args:
        master: Spark master URL used when no session is active; ``None``
            takes the one ``spark-submit --master`` (or spark-defaults) set,
            else ``local[*]`` (this process's JVM with all cores).
        partitions: Partitions of every shuffle; ``None`` uses twice
            ``defaultParallelism``.
        input_format: ``text`` (files and folders of ``.txt``/``.md``),
            ``jsonl`` (one JSON object per line), ``parquet``, or ``auto``
            (by file ending: ``.jsonl``/``.ndjson``/``.json`` and
            ``.parquet`` or a folder of Parquet part files; else text).
        text_field: Field (JSONL) or column (Parquet) holding the text.
        id_field: Field or column holding the unique document id.
        date_field: Optional field or column holding an ISO-8601 date (used
            by ``canonical="earliest"``).
        extensions: File endings read from folders in text mode.
        overwrite: Replace an existing output folder.
        docs_per_batch: Documents fingerprinted together inside a partition
            (bounds the memory of one ``prepare`` call).
        driver_memory: ``spark.driver.memory`` for a new local session.
        driver_cluster_edges: Up to this many cluster edges (duplicate and
            near-duplicate pairs) clusters are computed by a union-find on the
            driver (peak about 0.7 GB per million edges); above it by min-label
            propagation in Spark. 0 always uses Spark.
    """

    master: str | None = None
    partitions: int | None = None
    input_format: InputFormat = "auto"
    text_field: str = "text"
    id_field: str = "id"
    date_field: str | None = None
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    overwrite: bool = False
    docs_per_batch: int = 1000
    driver_memory: str | None = None
    driver_cluster_edges: int = 1_000_000

    def __post_init__(self) -> None:
        if self.input_format not in INPUT_FORMATS:
            raise ConfigError(f"input_format must be one of {', '.join(INPUT_FORMATS)}, got {self.input_format!r}")
        p = self.partitions
        if p is not None and (isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= 100_000):
            raise ConfigError(f"partitions must be an integer between 1 and 100000, got {self.partitions!r}")
        if isinstance(self.docs_per_batch, bool) or not isinstance(self.docs_per_batch, int) or self.docs_per_batch < 1:
            raise ConfigError(f"docs_per_batch must be a positive integer, got {self.docs_per_batch!r}")
        e = self.driver_cluster_edges
        if isinstance(e, bool) or not isinstance(e, int) or e < 0:
            raise ConfigError(f"driver_cluster_edges must be a non-negative integer, got {e!r}")
        if self.master is not None and (not isinstance(self.master, str) or not self.master):
            raise ConfigError(f"master must be a non-empty string or None, got {self.master!r}")
        for name in ("text_field", "id_field"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{name} must be a non-empty string, got {value!r}")
        if self.date_field is not None and (not isinstance(self.date_field, str) or not self.date_field):
            raise ConfigError(f"date_field must be a non-empty string or None, got {self.date_field!r}")
        object.__setattr__(self, "extensions", tuple(self.extensions))

    def replace(self, **changes: Any) -> SparkOptions:
        """A copy with some options changed (validated again)."""
        return dataclasses.replace(self, **changes)
