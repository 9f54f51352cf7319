"""What the Spark stages ship between each other: one record per fingerprinted document.

A :class:`DocRecord` holds what the later stages need of one document (its
fingerprinted paragraphs, shingles, boilerplate mask, and, when alignment or
the same-story tier run, its text and story terms), so that a stage working
on a few documents (a document pair, a partition) can rebuild the paragraph
table of exactly those documents with :func:`paragraph_table` and call the
local pipeline's functions on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..paragraphs import ParagraphTable
from ..shingle import ShingleBatch

__all__ = ["I64", "U32", "U64", "DocRecord", "batched", "paragraph_table", "shingle_batch", "storage_level"]

U64 = np.dtype("<u8")
I64 = np.dtype("<i8")
U32 = np.dtype("<u4")


def storage_level() -> Any:
    """The storage level of persisted stages (memory, spilling to disk)."""
    from pyspark import StorageLevel

    return StorageLevel.MEMORY_AND_DISK


class DocRecord(NamedTuple):
    """One document's fingerprinted paragraphs, as shipped between stages.

    Attributes:
        id: Document id.
        chars: Length of the text in characters.
        key: Content key of the whole normalized document.
        paragraphs: Number of paragraphs (fingerprinted or not).
        start: Start offsets of the fingerprinted paragraphs (int64 bytes).
        end: End offsets (int64 bytes).
        ntokens: Token counts (int64 bytes).
        cks: Content key of each fingerprinted paragraph, in order.
        shingles: Shingle hashes (uint64 bytes) of each distinct content key.
        date: ISO date from metadata, if any.
        bp: One byte per fingerprinted paragraph, 1 where it is boilerplate
            (empty: none is).
        text: The text (empty unless alignment or the same-story tier run).
        row_terms: Story terms of each fingerprinted paragraph, space-joined
            (empty unless the same-story tier runs).
        doc_terms: Story terms of the paragraphs too short to fingerprint,
            space-joined (``None`` unless the same-story tier runs).
    """

    id: str
    chars: int
    key: bytes
    paragraphs: int
    start: bytes
    end: bytes
    ntokens: bytes
    cks: tuple[bytes, ...]
    shingles: dict[bytes, bytes]
    date: str | None
    bp: bytes = b""
    text: str = ""
    row_terms: tuple[str, ...] = ()
    doc_terms: str | None = None

    def ntokens_list(self) -> list[int]:
        """Token counts of the fingerprinted paragraphs."""
        return np.frombuffer(self.ntokens, dtype=I64).tolist()

    def excluded(self) -> np.ndarray:
        """Boolean mask of the boilerplate rows."""
        if not self.bp:
            return np.zeros(len(self.cks), dtype=bool)
        return np.frombuffer(self.bp, dtype=np.uint8).astype(bool)

    def spans(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Its fingerprinted paragraph spans that are not boilerplate, and those that are."""
        kept: list[tuple[int, int]] = []
        excluded: list[tuple[int, int]] = []
        starts = np.frombuffer(self.start, dtype=I64).tolist()
        ends = np.frombuffer(self.end, dtype=I64).tolist()
        for s, e, x in zip(starts, ends, self.excluded().tolist()):
            (excluded if x else kept).append((s, e))
        return kept, excluded


def shingle_batch(arrays: Sequence[bytes]) -> ShingleBatch:
    """A :class:`ShingleBatch` of shingle arrays shipped as uint64 bytes."""
    parts = [np.frombuffer(a, dtype=U64) for a in arrays]
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in parts], out=offsets[1:])
    hashes = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)
    return ShingleBatch(hashes.astype(np.uint64), offsets)


def paragraph_table(recs: Sequence[DocRecord]) -> tuple[ParagraphTable, list[int]]:
    """The paragraph table of ``recs`` (document ``i`` is ``recs[i]``), and each one's first row.

    It holds exactly the rows, shingle sets and story terms of those
    documents, so the local stage functions compute on it what they compute
    for those documents in the whole corpus.
    """
    doc: list[np.ndarray] = []
    groups: list[int] = []
    keys: dict[bytes, int] = {}
    arrays: list[bytes] = []
    first_row: list[int] = []
    n = 0
    for di, rec in enumerate(recs):
        first_row.append(n)
        doc.append(np.full(len(rec.cks), di, dtype=np.int64))
        n += len(rec.cks)
        for ck in rec.cks:
            g = keys.get(ck)
            if g is None:
                g = keys[ck] = len(arrays)
                arrays.append(rec.shingles[ck])
            groups.append(g)
    with_terms = all(r.doc_terms is not None for r in recs)
    empty = np.empty(0, dtype=np.int64)
    table = ParagraphTable(
        doc=np.concatenate(doc) if doc else empty,
        ordinal=np.concatenate([np.arange(len(r.cks), dtype=np.int64) for r in recs]) if recs else empty,
        start=np.concatenate([np.frombuffer(r.start, dtype=I64) for r in recs]).astype(np.int64) if recs else empty,
        end=np.concatenate([np.frombuffer(r.end, dtype=I64) for r in recs]).astype(np.int64) if recs else empty,
        ntokens=np.concatenate([np.frombuffer(r.ntokens, dtype=I64) for r in recs]).astype(np.int64) if recs else empty,
        group=np.array(groups, dtype=np.int64),
        group_keys=list(keys),
        shingles=shingle_batch(arrays),
        signatures=np.empty((len(arrays), 0), dtype=np.uint32),
        doc_keys=[r.key for r in recs],
        doc_paragraphs=[r.paragraphs for r in recs],
        row_terms=[t for r in recs for t in r.row_terms] if with_terms else None,
        doc_terms=[r.doc_terms or "" for r in recs] if with_terms else None,
    )
    return table, first_row


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """The items of a partition in lists of ``size`` (the last one shorter), in order.

    >>> list(batched(range(5), 2))
    [[0, 1], [2, 3], [4]]
    """
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
