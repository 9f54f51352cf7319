"""The detector: add documents, run the pipeline, get a :class:`ScanResult`.

Pipeline (each stage is a function of its own module)::

    read -> segment -> normalize -> shingle -> MinHash -> LSH -> verify
         -> boilerplate -> paragraph matches -> passages -> pairs -> clusters
         -> same-story tier (story pairs, near passages across rewrites)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .align import align_documents
from .boilerplate import boilerplate_rows, find_boilerplate
from .cluster import clusters_from_pairs
from .config import Config
from .errors import InputError
from .io.readers import DEFAULT_EXTENSIONS, read_paths
from .io.sources import ReaderOptions
from .match import build_passages, classify_pairs, paragraph_matches
from .models import Document, InputProblem, Pair, Passage, ScanResult
from .paragraphs import ProgressCallback, prepare

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

    def run(self, progress: ProgressCallback | None = None) -> ScanResult:
        """Run the pipeline over everything added so far.

        Args:
            progress: Called as ``progress(documents_done, documents_total)``
                while documents are fingerprinted (the bulk of the time).

        Returns:
            The passages, pairs and clusters found.
        """
        cfg = self.config
        docs = [self._documents[k] for k in sorted(self._documents)]
        ids = [d.id for d in docs]
        table = prepare(docs, cfg, progress=progress)
        bp_mask = boilerplate_rows(table, cfg)
        matches = paragraph_matches(table, cfg, excluded_rows=bp_mask)
        passages, runs = build_passages(table, matches, ids)
        aligned = align_documents(table, [d.text for d in docs], ids, cfg, bp_mask, passages)
        passages = aligned.passages
        pairs = classify_pairs(table, runs, ids, cfg, excluded_rows=bp_mask, aligned=aligned)
        clusters = clusters_from_pairs(pairs, self._documents, cfg.canonical)
        if cfg.story:
            story_pairs, near = self._story_tier(docs, ids, table, bp_mask, pairs, passages)
            pairs = pairs + story_pairs
            passages = passages + near
        return ScanResult(
            documents=tuple(docs),
            passages=tuple(sorted(passages)),
            pairs=tuple(sorted(pairs)),
            clusters=tuple(sorted(clusters)),
            errors=tuple(sorted(self._errors)),
            warnings=tuple(sorted(self._warnings)),
            settings=cfg.to_dict(),
            paragraph_counts=dict(zip(ids, table.doc_paragraphs)),
            boilerplate=tuple(find_boilerplate(table, bp_mask, ids)),
        )

    def _story_tier(
        self,
        docs: Sequence[Document],
        ids: Sequence[str],
        table: Any,
        bp_mask: Any,
        pairs: Sequence[Pair],
        passages: Sequence[Passage],
    ) -> tuple[list[Pair], list[Passage]]:
        from .story import load_background, same_story_tier

        cfg = self.config
        index = {d: i for i, d in enumerate(ids)}
        paragraphs: list[list[tuple[int, int]]] = [[] for _ in docs]
        excluded: list[list[tuple[int, int]]] = [[] for _ in docs]
        for d, s, e, bp in zip(table.doc.tolist(), table.start.tolist(), table.end.tolist(), bp_mask.tolist()):
            (excluded if bp else paragraphs)[d].append((s, e))
        copies = {(index[p.a], index[p.b]) for p in pairs}
        if cfg.story_background and self._background is None:
            self._background = load_background(cfg.story_background)
        return same_story_tier(
            [d.text for d in docs],
            ids,
            paragraphs,
            excluded,
            copies,
            passages,
            cfg,
            self._background or (),
        )


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
