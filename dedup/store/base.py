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
* story and boilerplate statistics (exact under adds, removes and
  replaces): :meth:`IndexStore.story_vectors`,
  :meth:`IndexStore.story_document_frequencies`,
  :meth:`IndexStore.story_document_count`, :meth:`IndexStore.story_postings`,
  :meth:`IndexStore.paragraph_doc_counts`;
* housekeeping: :meth:`IndexStore.info`, :meth:`IndexStore.check_integrity`,
  :meth:`IndexStore.document_ids`, :meth:`IndexStore.close`.

Stored payloads (compressed texts, term vectors, shingle sets, signatures)
carry a CRC-32 (:func:`payload_crc`) that :meth:`IndexStore.check_integrity`
with ``full=True`` verifies, as does every read of a document.

Arrays cross this interface as numpy arrays with explicit dtypes; a backend
stores them as raw little-endian bytes (never pickle). Group ids are backend
integers, stable while the group exists.
"""

from __future__ import annotations

import abc
import json
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
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
    "decode_terms",
    "document_problem",
    "encode_terms",
    "meta_int",
    "payload_crc",
    "term_counts",
]


def term_counts(text: str) -> dict[str, int]:
    """The story-term vector of a text: term -> count, sorted by term.

    Terms are :func:`dedup.story.story_terms`.

    Example:
        >>> term_counts("Schools visit schools.")
        {'school': 2, 'visit': 1}
    """
    from ..story import story_terms

    return dict(sorted(Counter(story_terms(text)).items()))


def encode_terms(vector: Mapping[str, int]) -> bytes:
    """A term vector as stored: zlib-compressed JSON ``{term: count}`` sorted by term (positive counts).

    Example:
        >>> decode_terms(encode_terms({"b": 1, "a": 2}), "x")
        {'a': 2, 'b': 1}
    """
    rows = dict(sorted(vector.items()))
    return zlib.compress(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 1)


def decode_terms(blob: bytes | None, where: str) -> dict[str, int]:
    """Inverse of :func:`encode_terms`.

    Raises:
        IndexCorruptError: The blob is not a stored term vector.
    """
    if not blob:
        return {}
    try:
        rows = json.loads(zlib.decompress(blob).decode("utf-8"))
        if not isinstance(rows, dict) or not all(isinstance(n, int) for n in rows.values()):
            raise ValueError("not an object of counts")
        return rows
    except (zlib.error, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise IndexCorruptError(f"{where}: stored story terms are damaged ({exc})") from None


def payload_crc(*parts: bytes | str | None) -> int:
    """CRC-32 over stored payloads (``None`` counts as empty; text as UTF-8).

    Example:
        >>> payload_crc(b"abc") == payload_crc("abc") != payload_crc(b"abd")
        True
    """
    crc = 0
    for p in parts:
        if p is None:
            p = b""
        elif isinstance(p, str):
            p = p.encode("utf-8")
        crc = zlib.crc32(len(p).to_bytes(8, "little"), crc)
        crc = zlib.crc32(p, crc)
    return crc


def meta_int(value: str | bytes | None, name: str, where: str, default: int = 0) -> int:
    """A stored integer counter, refusing a tampered value.

    Raises:
        IndexCorruptError: The value is not a non-negative integer.

    Example:
        >>> meta_int(b"12", "adds", "idx")
        12
    """
    if value is None:
        return default
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    if not text.isascii() or not text.isdigit():
        raise IndexCorruptError(
            f"{where}: index metadata is damaged ({name}={text[:40]!r} is not a count); "
            "restore the index from a backup or rebuild it with `dedup index add`"
        )
    return int(text)


def document_problem(
    doc_id: str, text: str, path: str | None, meta: Mapping[str, Any], *others: str | None
) -> str | None:
    """Why a document cannot be stored, or ``None`` when it can.

    Ids, texts, paths and metadata are stored as UTF-8 and JSON: a lone
    surrogate (``"\\ud800"``) or metadata that is not JSON cannot be.

    Example:
        >>> document_problem("a", "text", None, {}) is None
        True
        >>> document_problem("a", "bad \\ud800", None, {})
        'text is not valid Unicode (lone surrogate at offset 4)'
    """
    fields = [("id", doc_id), ("text", text), ("path", path)] + [("a metadata field", o) for o in others]
    for name, value in fields:
        if value is None:
            continue
        if not isinstance(value, str):
            return f"{name} is not a string"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return f"{name} is not valid Unicode (lone surrogate at offset {exc.start})"
    try:
        json.dumps(dict(meta), sort_keys=True, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"metadata is not valid Unicode (lone surrogate at offset {exc.start} of its JSON)"
    except (TypeError, ValueError) as exc:
        return f"metadata is not JSON-serialisable ({exc})"
    return None


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
        story_terms: Story-term vector (term -> count) per document id;
            a document missing from it (or ``None``) gets
            :func:`term_counts` of its text.
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
    story_terms: Mapping[str, Mapping[str, int]] | None = None

    def terms_of(self, doc: StoredDocument) -> dict[str, int]:
        """The story-term vector of one of the batch's documents."""
        if self.story_terms is not None and doc.id in self.story_terms:
            vec = self.story_terms[doc.id]
            if isinstance(vec, dict) and all(type(n) is int and n > 0 for n in vec.values()):
                return vec
            return {str(t): int(n) for t, n in vec.items() if int(n) > 0}
        return term_counts(doc.text)


@dataclass(frozen=True)
class AddStats:
    """What an add did.

    Attributes:
        added: Ids of documents that were new.
        replaced: Ids whose earlier version (other content) was replaced.
        unchanged: Ids already indexed with the same content (left as they were).
        failed: ``(id, reason)`` of documents that could not be stored (the
            others of the add were committed).
    """

    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()


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

    # -- story and boilerplate statistics -----------------------------------

    @abc.abstractmethod
    def story_vectors(self, doc_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """Story-term vector (term -> count) of each indexed document asked; unknown ids left out."""

    @abc.abstractmethod
    def story_document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """Number of indexed documents containing each term asked (``0`` when none)."""

    @abc.abstractmethod
    def story_document_count(self) -> int:
        """Number of indexed documents."""

    @abc.abstractmethod
    def story_postings(self, terms: Iterable[str], max_docs: int) -> dict[str, list[str]]:
        """Sorted ids of the documents containing each term.

        A term contained in no document, or in more than ``max_docs``, is
        left out of the result.
        """

    @abc.abstractmethod
    def paragraph_doc_counts(self, keys: Iterable[bytes]) -> dict[bytes, int]:
        """Number of indexed documents containing each paragraph content key asked (``0`` when none)."""

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
