"""The detector: add documents, run the pipeline, get a :class:`ScanResult`.

The stages and their order live in :mod:`dedup.pipeline`; the detector only
collects documents (sorted by id before the run) and wraps the findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .config import Config
from .errors import InputError
from .io.readers import DEFAULT_EXTENSIONS, read_paths
from .io.sources import ReaderOptions
from .models import Document, InputProblem, ScanResult
from .paragraphs import ParagraphTable
from .pipeline import Findings, ProgressCallback, load_background
from .pipeline import run as pipeline_run

__all__ = ["Detector", "scan"]


class Detector:
    """Finds duplicate documents and repeated passages among added documents.

    Example:
        >>> det = Detector(Config(threshold=0.5))
        >>> _ = det.add("a.txt", "One two three four five six.\\n\\nSeven eight nine ten.")
        >>> _ = det.add("b.txt", "One two three four five six.")
        >>> [p.kind for p in det.run().passages]
        ['exact']

    Args:
        config: Settings; default :class:`Config()`.
        **settings: Overrides applied to ``config`` (validated).
    """

    def __init__(self, config: Config | None = None, **settings: Any) -> None:
        config = config or Config()
        self.config = config.replace(**settings) if settings else config
        self._documents: dict[str, Document] = {}
        self._errors: list[InputProblem] = []
        self._warnings: list[InputProblem] = []
        self._background: list[str] | None = None

    def __len__(self) -> int:
        return len(self._documents)

    def add_document(self, document: Document) -> Document:
        """Add a document.

        Raises:
            InputError: A document with the same id was already added.
        """
        if document.id in self._documents:
            raise InputError(document.id, "duplicate document id")
        self._documents[document.id] = document
        return document

    def add(
        self,
        doc_id: str,
        text: str,
        *,
        path: str | None = None,
        date: str | None = None,
        mtime: float | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Document:
        """Add a document from its id and text.

        Args:
            doc_id: Unique id.
            text: The text.
            path: Originating file, if any.
            date: ISO-8601 date, used by ``canonical="earliest"``.
            mtime: Modification time, the fallback for ``earliest``.
            meta: Extra metadata carried into the JSON output.

        Returns:
            The added :class:`Document`.
        """
        return self.add_document(Document(doc_id, text, path=path, date=date, mtime=mtime, meta=dict(meta or {})))

    def add_paths(
        self, paths: Iterable[str], extensions: Sequence[str] = DEFAULT_EXTENSIONS, options: ReaderOptions | None = None
    ) -> int:
        """Read files and folders and add their documents.

        Unreadable files are recorded in the result's ``errors``; the others
        are added.

        Args:
            paths: Files and folders (folders are walked recursively).
            extensions: File endings taken from folders.
            options: Options of the JSON Lines / feed / HTML readers.

        Returns:
            The number of documents added.

        Raises:
            InputError: A named path does not exist.
        """
        outcome = read_paths(paths, extensions, options)
        self._errors.extend(outcome.errors)
        self._warnings.extend(outcome.warnings)
        for doc in outcome.documents:
            self.add_document(doc)
        return len(outcome.documents)

    def documents(self) -> list[Document]:
        """The documents added so far, in the order they were added."""
        return list(self._documents.values())

    def record_problem(self, problem: InputProblem, *, warning: bool = False) -> None:
        """Carry an input problem (an unreadable input, or a ``warning``) into the result."""
        (self._warnings if warning else self._errors).append(problem)

    def result(self, found: Findings, table: ParagraphTable) -> ScanResult:
        """The scan result of pipeline findings over this detector's documents (sorted by id)."""
        return ScanResult(
            documents=tuple(self._documents[k] for k in found.doc_ids),
            passages=found.passages,
            pairs=found.pairs,
            clusters=found.clusters,
            errors=tuple(sorted(self._errors)),
            warnings=tuple(sorted(self._warnings)),
            settings=self.config.to_dict(),
            paragraph_counts=dict(zip(found.doc_ids, table.doc_paragraphs)),
            boilerplate=found.boilerplate,
            limits=found.limits,
        )

    def run(self, progress: ProgressCallback | None = None) -> ScanResult:
        """Run the pipeline (:mod:`dedup.pipeline`) over everything added so far.

        Args:
            progress: Called as ``progress(stage, done, total)`` as each stage
                of :data:`dedup.pipeline.STAGES` advances (fingerprinting per
                chunk of documents, the bulk of the time).

        Returns:
            The passages, pairs and clusters found.
        """
        cfg = self.config
        docs = [self._documents[k] for k in sorted(self._documents)]
        if self._background is None:
            self._background = load_background(cfg)
        found, table = pipeline_run(
            docs, cfg, background=self._background, order=list(self._documents), progress=progress
        )
        return self.result(found, table)


def scan(paths: str | Iterable[str], config: Config | None = None, **settings: Any) -> ScanResult:
    """Scan files and folders in one call.

    Args:
        paths: A path or paths (folders are walked recursively for ``.txt``
            and ``.md`` files).
        config: Settings; default :class:`Config()`.
        **settings: Overrides, e.g. ``threshold=0.6`` or ``shingle="char"``.

    Returns:
        The scan result.

    Raises:
        ConfigError: A setting is invalid.
        InputError: A named path does not exist.

    Example:
        >>> import dedup
        >>> result = dedup.scan("examples/corpus")  # doctest: +SKIP
        >>> [(p.a, p.b, p.kind) for p in result.pairs]  # doctest: +SKIP
    """
    det = Detector(config, **settings)
    det.add_paths([paths] if isinstance(paths, str) else list(paths))
    return det.run()
