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

import importlib as _importlib
from typing import Any as _Any

__version__ = "0.1.0"

#: Public name -> (submodule, attribute). Imported on first use (PEP 562), so that
#: ``import dedup`` (and the ``dedup`` command before it installs its Ctrl-C handler)
#: costs almost nothing; ``from dedup import Config`` works as usual.
_EXPORTS: dict[str, tuple[str, str]] = {
    "Baseline": (".baseline", "Baseline"),
    "Boilerplate": (".models", "Boilerplate"),
    "CheckResult": (".check", "CheckResult"),
    "Cluster": (".models", "Cluster"),
    "CompareResult": (".compare", "CompareResult"),
    "Comparison": (".compare", "Comparison"),
    "Config": (".config", "Config"),
    "ConfigError": (".errors", "ConfigError"),
    "DedupError": (".errors", "DedupError"),
    "Detector": (".detector", "Detector"),
    "Document": (".models", "Document"),
    "EmptyInputError": (".errors", "EmptyInputError"),
    "Finding": (".baseline", "Finding"),
    "Index": (".check", "Index"),
    "IndexCorruptError": (".errors", "IndexCorruptError"),
    "IndexMismatchError": (".errors", "IndexMismatchError"),
    "IndexStoreError": (".errors", "IndexStoreError"),
    "InputError": (".errors", "InputError"),
    "InputProblem": (".models", "InputProblem"),
    "Match": (".models", "Match"),
    "MissingDependencyError": (".errors", "MissingDependencyError"),
    "OutputError": (".errors", "OutputError"),
    "Pair": (".models", "Pair"),
    "Passage": (".models", "Passage"),
    "ScanResult": (".models", "ScanResult"),
    "Span": (".models", "Span"),
    "StoryModel": (".story", "StoryModel"),
    "check_documents": (".check", "check"),
    "choose_canonical": (".cluster", "choose_canonical"),
    "clusters_from_pairs": (".cluster", "clusters_from_pairs"),
    "compare_paths": (".compare", "compare_paths"),
    "format_result": (".report.formatters", "format_result"),
    "normalize_text": (".normalize", "normalize"),
    "read_document": (".io.readers", "read_document"),
    "read_paths": (".io.readers", "read_paths"),
    "scan": (".detector", "scan"),
    "segment_text": (".segment", "segment"),
    "tokens": (".normalize", "tokens"),
}

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


def __getattr__(name: str) -> _Any:
    try:
        module, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(_importlib.import_module(module, __name__), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
