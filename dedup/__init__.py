"""dedup: find duplicate articles and the repeated passages inside and between them.

Quick start::

    import dedup

    result = dedup.scan("articles/")
    for pair in result.pairs:
        print(pair.a, pair.b, pair.kind, pair.similarity)
    for passage in result.passages:
        print(result.text(passage.a))

For control, build a :class:`Config`, add documents to a :class:`Detector`
and call :meth:`Detector.run`.
"""

from .baseline import Baseline, Finding
from .check import CheckResult, Index, check
from .cluster import choose_canonical, clusters_from_pairs
from .compare import CompareResult, Comparison, compare_paths
from .config import Config
from .detector import Detector, scan
from .errors import (
    ConfigError,
    DedupError,
    EmptyInputError,
    IndexCorruptError,
    IndexMismatchError,
    IndexStoreError,
    InputError,
    MissingDependencyError,
)
from .io.readers import read_document, read_paths
from .models import Boilerplate, Cluster, Document, InputProblem, Match, Pair, Passage, ScanResult, Span
from .normalize import normalize, tokens
from .report.formatters import format_result
from .segment import segment
from .story import StoryModel

__version__ = "0.1.0"

__all__ = [
    "Baseline",
    "Boilerplate",
    "CheckResult",
    "Cluster",
    "CompareResult",
    "Comparison",
    "Config",
    "ConfigError",
    "DedupError",
    "Detector",
    "Document",
    "EmptyInputError",
    "Finding",
    "Index",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexStoreError",
    "InputError",
    "InputProblem",
    "Match",
    "MissingDependencyError",
    "Pair",
    "Passage",
    "ScanResult",
    "Span",
    "StoryModel",
    "__version__",
    "check",
    "choose_canonical",
    "clusters_from_pairs",
    "compare_paths",
    "format_result",
    "normalize",
    "read_document",
    "read_paths",
    "scan",
    "segment",
    "tokens",
]
