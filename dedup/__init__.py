"""dedup: find duplicate articles and the repeated passages inside and between them.

Quick start::

    import dedup

    result = dedup.scan("articles/")
    for pair in result.pairs:
        print(pair.a, pair.b, pair.kind, pair.similarity)
    for passage in result.passages:
        print(result.text(passage.a))

For control, build a :class:`Config`, add documents to a :class:`Detector`
and call :meth:`Detector.run`. No public name shadows a submodule: the
functions of :mod:`dedup.check`, :mod:`dedup.normalize` and :mod:`dedup.segment`
are exported as :func:`check_documents`, :func:`normalize_text` and
:func:`segment_text`.
"""

from .baseline import Baseline, Finding
from .check import CheckResult, Index
from .check import check as check_documents
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
    OutputError,
)
from .io.readers import read_document, read_paths
from .models import Boilerplate, Cluster, Document, InputProblem, Match, Pair, Passage, ScanResult, Span
from .normalize import normalize as normalize_text
from .normalize import tokens
from .report.formatters import format_result
from .segment import segment as segment_text
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
    "OutputError",
    "Pair",
    "Passage",
    "ScanResult",
    "Span",
    "StoryModel",
    "__version__",
    "check_documents",
    "choose_canonical",
    "clusters_from_pairs",
    "compare_paths",
    "format_result",
    "normalize_text",
    "read_document",
    "read_paths",
    "scan",
    "segment_text",
    "tokens",
]
