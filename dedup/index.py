"""The persistent index: an :class:`~dedup.store.IndexStore` plus the settings it was built with.

:class:`Index` wraps a store (a SQLite file by default, or a Redis URL)
together with the :class:`~dedup.config.Config` it was built with. Adding
documents fingerprints only them (cost proportional to the batch, not to the
index) and commits them in one transaction.

Besides the paragraph fingerprints a check needs for the copy tiers, the
index keeps, exactly under incremental adds, removes and replaces, what the
same-story and boilerplate tiers need to judge new documents against the
whole index without loading it:

* per document its story-term vector (term -> count, from
  :func:`dedup.story.story_terms`): :meth:`Index.story_vectors`;
* per term the number of indexed documents containing it
  (:meth:`Index.story_document_frequencies`), the number of indexed
  documents (:meth:`Index.story_document_count`), and the documents posting
  a term (:meth:`Index.story_postings`, which skips terms posted by too many
  documents);
* per distinct paragraph text (its 16-byte content key, as
  :attr:`dedup.paragraphs.ParagraphTable.group_keys` holds it) the number of
  indexed documents containing it: :meth:`Index.paragraph_doc_counts`.

:func:`dedup.check.check` uses an index to check new content.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .config import Config
from .errors import ConfigError, IndexMismatchError, IndexStoreError, InputError
from .lsh import band_keys, lsh_params
from .models import Document
from .paragraphs import ParagraphTable, prepare
from .store.base import (
    AddBatch,
    AddStats,
    IndexInfo,
    IndexStore,
    StoredDocument,
    document_problem,
    term_counts,
)

__all__ = ["Index", "config_from_settings", "unique_documents"]

#: Config fields that are part of the fingerprint settings.
_FINGERPRINT_FIELDS = (
    "num_perm",
    "shingle",
    "shingle_size",
    "seed",
    "min_tokens",
    "threshold",
    "normalization_version",
)

#: Documents fingerprinted per store transaction chunk in :meth:`Index.add`.
_ADD_BATCH = 2000

#: Index locations that would keep nothing (SQLite's in-memory and temporary databases).
_VOLATILE = ("", ":memory:")


def config_from_settings(settings: dict[str, Any], base: Config | None = None) -> Config:
    """The config matching stored fingerprint settings.

    Args:
        settings: ``Config.fingerprint_settings()`` as stored in an index.
        base: Where the other settings (coverage_threshold, canonical) come from.

    Returns:
        ``base`` with the fingerprint fields replaced by the stored ones.

    Example:
        >>> config_from_settings({"num_perm": 64, "threshold": 0.7}).num_perm
        64
    """
    base = base or Config()
    return base.replace(**{k: settings[k] for k in _FINGERPRINT_FIELDS if k in settings})


def _differences(stored: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    return [
        f"{k}: index has {stored.get(k)!r}, requested {wanted.get(k)!r}"
        for k in sorted(set(stored) | set(wanted))
        if stored.get(k) != wanted.get(k)
    ]


def unique_documents(documents: Iterable[Document]) -> list[Document]:
    """Documents sorted by id, refusing a repeated id.

    Raises:
        InputError: Two documents share an id.

    Example:
        >>> [d.id for d in unique_documents([Document("b", "x"), Document("a", "y")])]
        ['a', 'b']
    """
    by_id: dict[str, Document] = {}
    for d in documents:
        if d.id in by_id:
            raise InputError(d.id, "duplicate document id")
        by_id[d.id] = d
    return [by_id[k] for k in sorted(by_id)]


def _str_or_none(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _table_vectors(table: ParagraphTable, n_docs: int) -> list[dict[str, int]] | None:
    """Story-term vectors from a paragraph table's own story terms, when the fingerprinting produced them.

    A table carrying ``row_terms`` (space-joined terms per row) and
    ``doc_terms`` (per document, the terms of its other paragraphs) saves
    tokenising the texts a second time; they add up to
    :func:`~dedup.store.base.term_counts` of the text.
    """
    terms = table.document_terms()
    if terms is None or len(terms) != n_docs:
        return None
    return [dict(sorted(Counter(t).items())) for t in terms]


class Index:
    """A persistent paragraph index.

    Use :meth:`open`; close it (or use it as a context manager) when done.

    Example:
        >>> from dedup.check import check
        >>> with Index.open("content.dedup") as idx:  # doctest: +SKIP
        ...     idx.add(documents)
        ...     outcome = check(new_documents, idx)

    Attributes:
        store: The storage backend.
        config: The settings (fingerprint settings equal to the stored ones).
    """

    def __init__(self, store: IndexStore, config: Config) -> None:
        self.store = store
        self.config = config
        self.bands, self.rows = lsh_params(config.threshold, config.num_perm)

    @classmethod
    def open(
        cls,
        path: str,
        config: Config | None = None,
        *,
        create: bool = True,
        verify: str = "quick",
        **settings: Any,
    ) -> Index:
        """Open (or create) an index: a SQLite file, or a Redis URL.

        Args:
            path: The index file, or ``redis://host:port/db?prefix=name``
                for a shared Redis index (extra ``article-dedup[redis]``).
            config: Full settings; an existing index built with other
                fingerprint settings is refused.
            create: Create the index when the file does not exist.
            verify: Integrity check on open: ``"quick"``, ``"full"`` (also
                verifies every stored payload's checksum and the story and
                paragraph statistics) or ``"none"``.
            **settings: Without ``config``: settings requested explicitly. An
                existing index supplies the fingerprint settings not named
                here; a named one that differs is refused.

        Raises:
            ConfigError: ``path`` is empty or ``":memory:"`` (nothing would
                be kept), or a setting is invalid.
            IndexMismatchError: The index was built with other settings.
            IndexCorruptError: The file is damaged or not an index.
            IndexStoreError: The file does not exist and ``create`` is false,
                or it cannot be written (read-only folder).
        """
        from .store.factory import open_store

        if not isinstance(path, str) or path.strip() in _VOLATILE:
            raise ConfigError(
                f"index location {path!r} keeps nothing (SQLite would use a temporary database): "
                "name an index file or a redis:// URL"
            )
        store = open_store(path, create=create, verify=verify)
        try:
            return cls.from_store(store, config, **settings)
        except BaseException:
            store.close()
            raise

    @classmethod
    def from_store(cls, store: IndexStore, config: Config | None = None, **settings: Any) -> Index:
        """Wrap a store, recording or checking its settings (see :meth:`open`)."""
        where = getattr(store, "path", store.backend)
        stored = store.get_settings()
        if stored is None:
            cfg = config or Config().replace(**settings)
            bands, rows = lsh_params(cfg.threshold, cfg.num_perm)
            try:
                store.set_settings(cfg.fingerprint_settings(), bands, rows)
                return cls(store, cfg)
            except IndexStoreError:
                stored = store.get_settings()  # another process created it meanwhile
                if stored is None:
                    raise
        if config is not None:
            cfg = config
        else:
            cfg = config_from_settings(stored).replace(**settings) if settings else config_from_settings(stored)
        diffs = _differences(stored, cfg.fingerprint_settings())
        if diffs:
            err = IndexMismatchError(
                f"{where}: the index was built with other settings ({'; '.join(diffs)}); "
                "use the index's settings or build a new index"
            )
            err.differences = diffs  # type: ignore[attr-defined]
            raise err
        return cls(store, cfg)

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def info(self) -> IndexInfo:
        """Counts, sizes and settings."""
        return self.store.info()

    def document_ids(self) -> list[str]:
        """All indexed document ids, sorted."""
        return self.store.document_ids()

    def remove(self, doc_ids: Sequence[str]) -> list[str]:
        """Remove documents by id; returns the ids that were indexed."""
        return self.store.remove(doc_ids)

    def add(
        self,
        documents: Iterable[Document],
        replace: bool = True,
        *,
        story_terms: Mapping[str, Mapping[str, int]] | None = None,
    ) -> AddStats:
        """Fingerprint documents and add them in one transaction.

        Only the new documents are processed; the cost does not grow with the
        index beyond its B-tree lookups. Documents are fingerprinted in pieces
        of 2,000 (bounded memory) and committed together.

        A document that cannot be stored (a lone surrogate in its text, id or
        metadata; metadata that is not JSON) is left out and reported in
        :attr:`AddStats.failed` with the reason; the other documents of the
        add are committed.

        Args:
            documents: Documents with unique ids.
            replace: Replace indexed documents with the same id and other
                content (else keep the indexed version).
            story_terms: Precomputed story-term vectors by document id (term
                -> count, as ``collections.Counter(story_terms(text))``);
                documents not in it get theirs computed from their text.

        Returns:
            Which ids were added, replaced, already present unchanged, or failed.

        Raises:
            InputError: Two documents share an id.
        """
        docs = unique_documents(documents)
        failed: list[tuple[str, str]] = []
        good: list[Document] = []
        for d in docs:
            problem = document_problem(d.id, d.text, d.path, d.meta)
            if problem is None:
                good.append(d)
            else:
                failed.append((d.id, problem))
        terms = story_terms or {}
        batches = (self._batch(good[i : i + _ADD_BATCH], terms) for i in range(0, len(good), _ADD_BATCH))
        stats = self.store.add(batches, replace=replace)
        if not failed:
            return stats
        return AddStats(stats.added, stats.replaced, stats.unchanged, tuple(sorted(failed + list(stats.failed))))

    def _batch(self, docs: Sequence[Document], terms: Mapping[str, Mapping[str, int]]) -> AddBatch:
        table = prepare(docs, self.config)
        keys = band_keys(table.signatures, self.bands, self.rows)
        stored = [
            StoredDocument(
                id=d.id,
                text=d.text,
                path=d.path,
                date=d.date,
                mtime=d.mtime,
                title=_str_or_none(d.meta.get("title")),
                source=_str_or_none(d.meta.get("source")),
                content_hash=table.doc_keys[i],
                paragraphs=table.doc_paragraphs[i],
                meta=dict(d.meta),
            )
            for i, d in enumerate(docs)
        ]
        from_table = _table_vectors(table, len(docs))
        vectors = {
            d.id: dict(terms[d.id])
            if d.id in terms
            else (from_table[i] if from_table is not None else term_counts(d.text))
            for i, d in enumerate(docs)
        }
        return AddBatch(
            documents=stored,
            occ_doc=table.doc,
            occ_ordinal=table.ordinal,
            occ_start=table.start,
            occ_end=table.end,
            occ_ntokens=table.ntokens,
            occ_group=table.group,
            group_keys=table.group_keys,
            shingles=table.shingles,
            signatures=table.signatures,
            band_keys=keys,
            story_terms=vectors,
        )

    # -- story and boilerplate statistics --------------------------------------

    def story_vectors(self, doc_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """Story-term vectors (term -> count) of indexed documents; unknown ids are left out."""
        return self.store.story_vectors(doc_ids)

    def story_document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """Number of indexed documents containing each term (``0`` for a term none contains)."""
        return self.store.story_document_frequencies(terms)

    def story_document_count(self) -> int:
        """Number of indexed documents (the ``N`` of the story tier's IDF)."""
        return self.store.story_document_count()

    def story_postings(self, terms: Iterable[str], max_docs: int) -> dict[str, list[str]]:
        """Sorted ids of the indexed documents containing each term.

        Terms posted by more than ``max_docs`` documents (they name no single
        story) and terms no document contains are left out of the result.
        """
        return self.store.story_postings(terms, max_docs)

    def story_reference_ids(self, limit: int) -> list[str]:
        """Indexed documents to use as relevance-feedback references: at most ``limit``.

        All ids when there are at most ``limit``; else ``limit`` ids evenly
        spaced over the sorted ids (as :class:`dedup.story.StoryModel` picks
        corpus references), so the choice is deterministic.
        """
        ids = self.store.document_ids()
        if limit <= 0:
            return []
        if len(ids) <= limit:
            return ids
        picks = np.unique(np.linspace(0, len(ids) - 1, limit).astype(np.int64))
        return [ids[int(i)] for i in picks]

    def paragraph_doc_counts(self, keys: Iterable[bytes]) -> dict[bytes, int]:
        """Number of indexed documents containing each distinct paragraph text.

        ``keys`` are 16-byte paragraph content keys
        (:attr:`dedup.paragraphs.ParagraphTable.group_keys`); a key no indexed
        document holds maps to ``0``.
        """
        return self.store.paragraph_doc_counts(keys)
