"""The storage interface of a persistent dedup index.

An :class:`IndexStore` keeps, for every indexed document, its text and
metadata and the fingerprinted paragraph *occurrences* (position, offsets,
token count, paragraph group); for every distinct paragraph text (a *group*,
identified by its 16-byte content key) the sorted 64-bit shingle hashes, the
MinHash signature and the LSH band keys. Every operation the index needs goes
through this class, so a backend (SQLite today, Redis later) only implements
these methods:

* settings: :meth:`IndexStore.get_settings`, :meth:`IndexStore.set_settings`;
* writing: :meth:`IndexStore.add` (one transaction: all of a batch or none of
  it), :meth:`IndexStore.remove`;
* querying: :meth:`IndexStore.query_bands` (band keys -> candidate groups),
  :meth:`IndexStore.groups` (shingles and signatures of groups),
  :meth:`IndexStore.documents_with_groups`,
  :meth:`IndexStore.documents_with_hashes`, :meth:`IndexStore.load_documents`;
* housekeeping: :meth:`IndexStore.info`, :meth:`IndexStore.check_integrity`,
  :meth:`IndexStore.document_ids`, :meth:`IndexStore.close`.

Arrays cross this interface as numpy arrays with explicit dtypes; a backend
stores them as raw little-endian bytes (never pickle). Group ids are backend
integers, stable while the group exists.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import IndexCorruptError
from ..shingle import ShingleBatch

__all__ = [
    "AddBatch",
    "AddStats",
    "IndexInfo",
    "IndexStore",
    "StoredDocument",
    "StoredOccurrences",
    "decode_settings",
]


def decode_settings(value: str | bytes | None, where: str) -> dict[str, Any] | None:
    """Parse stored settings JSON (``None`` when none are stored yet).

    Raises:
        IndexCorruptError: The value is not a JSON object.
    """
    if value is None:
        return None
    try:
        settings = json.loads(value)
    except ValueError:
        raise IndexCorruptError(f"{where}: stored settings are not valid JSON") from None
    if not isinstance(settings, dict):
        raise IndexCorruptError(f"{where}: stored settings are not an object")
    return settings


@dataclass(frozen=True)
class StoredDocument:
    """An indexed document's text and metadata.

    Attributes:
        id: The document id.
        text: The original text (offsets of passages refer to it).
        path: The file it was read from, if any.
        date: ISO-8601 date from metadata, if any.
        mtime: File modification time, if known.
        title: Title from metadata, if any.
        source: Where it came from (feed, export file, folder).
        content_hash: 16-byte key of the normalized text (equal = duplicate).
        paragraphs: Number of paragraphs (fingerprinted or not).
        meta: Other metadata (JSON-serialisable).
    """

    id: str
    text: str
    path: str | None = None
    date: str | None = None
    mtime: float | None = None
    title: str | None = None
    source: str | None = None
    content_hash: bytes = b""
    paragraphs: int = 0
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class AddBatch:
    """Documents to add, with their fingerprinted paragraphs.

    Occurrence columns (``occ_*``) have one entry per fingerprinted paragraph
    occurrence; ``occ_doc`` indexes ``documents`` and ``occ_group`` indexes
    the batch's groups (``group_keys``, ``shingles``, ``signatures``,
    ``band_keys``), which are the distinct paragraph texts of the batch.

    Attributes:
        documents: The documents.
        occ_doc: int64 document index of each occurrence.
        occ_ordinal: int64 position among the document's fingerprinted paragraphs.
        occ_start: int64 start offset.
        occ_end: int64 end offset.
        occ_ntokens: int64 token count.
        occ_group: int64 batch group index.
        group_keys: 16-byte content key per group.
        shingles: Sorted shingle hashes per group.
        signatures: ``(groups, num_perm)`` uint32 MinHash signatures.
        band_keys: ``(groups, bands)`` uint64 LSH band keys.
    """

    documents: Sequence[StoredDocument]
    occ_doc: np.ndarray
    occ_ordinal: np.ndarray
    occ_start: np.ndarray
    occ_end: np.ndarray
    occ_ntokens: np.ndarray
    occ_group: np.ndarray
    group_keys: Sequence[bytes]
    shingles: ShingleBatch
    signatures: np.ndarray
    band_keys: np.ndarray


@dataclass(frozen=True)
class AddStats:
    """What an add did.

    Attributes:
        added: Ids of documents that were new.
        replaced: Ids whose earlier version (other content) was replaced.
        unchanged: Ids already indexed with the same content (left as they were).
    """

    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredOccurrences:
    """Fingerprinted paragraph occurrences of loaded documents.

    Attributes:
        documents: The documents, sorted by id.
        doc: int64 index into ``documents`` per occurrence.
        ordinal: int64 position among the document's fingerprinted paragraphs.
        start: int64 start offset.
        end: int64 end offset.
        ntokens: int64 token count.
        group: int64 store group id per occurrence.
    """

    documents: tuple[StoredDocument, ...]
    doc: np.ndarray
    ordinal: np.ndarray
    start: np.ndarray
    end: np.ndarray
    ntokens: np.ndarray
    group: np.ndarray


@dataclass(frozen=True)
class IndexInfo:
    """Figures about an index.

    Attributes:
        path: Where the index lives.
        backend: Backend name (``"sqlite"``).
        schema_version: Storage schema version.
        settings: The fingerprint settings it was built with.
        documents: Number of documents.
        paragraphs: Number of fingerprinted paragraph occurrences.
        groups: Number of distinct paragraph texts.
        band_entries: Number of stored LSH band keys.
        adds: Number of committed adds.
        size_bytes: Bytes on disk (all files of the index).
    """

    path: str
    backend: str
    schema_version: int
    settings: dict[str, Any]
    documents: int
    paragraphs: int
    groups: int
    band_entries: int
    adds: int
    size_bytes: int

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "path": self.path,
            "backend": self.backend,
            "schema_version": self.schema_version,
            "settings": self.settings,
            "documents": self.documents,
            "paragraphs": self.paragraphs,
            "groups": self.groups,
            "band_entries": self.band_entries,
            "adds": self.adds,
            "size_bytes": self.size_bytes,
        }


class IndexStore(abc.ABC):
    """Abstract storage of a persistent index (see the module docstring).

    Implementations must make :meth:`add` and :meth:`remove` atomic (a crash
    leaves the previous state) and safe against concurrent writers (writes
    serialize), and must raise :class:`~dedup.errors.IndexCorruptError` for
    damaged storage.
    """

    #: Short backend name.
    backend: str = "abstract"

    @abc.abstractmethod
    def get_settings(self) -> dict[str, Any] | None:
        """The stored fingerprint settings, or ``None`` for a new, empty store."""

    @abc.abstractmethod
    def set_settings(self, settings: dict[str, Any], bands: int, rows: int) -> None:
        """Record the fingerprint settings and LSH shape of a new store.

        Raises:
            IndexStoreError: Settings were already recorded.
        """

    @abc.abstractmethod
    def add(self, batch: AddBatch | Iterable[AddBatch], replace: bool = True) -> AddStats:
        """Add documents in one transaction.

        ``batch`` may be an iterable of batches (consumed inside the
        transaction, so a large add can be fingerprinted piece by piece and
        still commit all at once).

        A document whose id is already indexed with the same content hash is
        left unchanged; with other content it is replaced when ``replace``
        (else it is reported unchanged).
        """

    @abc.abstractmethod
    def remove(self, doc_ids: Sequence[str]) -> list[str]:
        """Remove documents (one transaction); returns the ids that existed."""

    @abc.abstractmethod
    def query_bands(self, band_keys: np.ndarray) -> np.ndarray:
        """Find stored groups sharing a band key with query rows.

        Args:
            band_keys: ``(n, bands)`` uint64 band keys of the query paragraphs.

        Returns:
            A sorted ``(m, 2)`` int64 array of distinct ``(query_row, group_id)``.
        """

    @abc.abstractmethod
    def groups(self, group_ids: Sequence[int]) -> tuple[list[bytes], ShingleBatch, np.ndarray]:
        """Content keys, shingle sets and signatures of groups, in the order asked."""

    @abc.abstractmethod
    def documents_with_groups(self, group_ids: Sequence[int]) -> list[str]:
        """Sorted ids of the documents containing any of the groups."""

    @abc.abstractmethod
    def documents_with_hashes(self, content_hashes: Sequence[bytes]) -> list[str]:
        """Sorted ids of the documents whose content hash is one of these."""

    @abc.abstractmethod
    def load_documents(self, doc_ids: Sequence[str]) -> StoredOccurrences:
        """Texts, metadata and occurrences of documents (unknown ids are skipped)."""

    @abc.abstractmethod
    def document_ids(self) -> list[str]:
        """All document ids, sorted."""

    @abc.abstractmethod
    def info(self) -> IndexInfo:
        """Counts and sizes."""

    @abc.abstractmethod
    def check_integrity(self, full: bool = False) -> None:
        """Verify the storage.

        Raises:
            IndexCorruptError: The storage is damaged.
        """

    @abc.abstractmethod
    def close(self) -> None:
        """Release the storage."""

    def __enter__(self) -> IndexStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
