"""Turning documents into a table of fingerprinted paragraphs.

:func:`prepare` segments every document, normalizes each paragraph, and
computes shingle hashes for the paragraphs with at least ``min_tokens``
tokens. Identical paragraphs (same normalized tokens) share one shingle set
and one signature: only distinct paragraph texts are hashed and indexed.

Documents are processed in chunks of bounded size (:func:`process_chunk`, a
top-level function so it can run in worker processes): a chunk's tokens are
turned into shingle hashes and signatures and then dropped, and only numpy
arrays leave it. With ``jobs > 1`` chunks run in a pool of ``spawn``-ed
processes, a bounded number in flight, and are merged in input order, so the
result is identical to ``jobs=1``.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import Config
from .models import Document
from .normalize import normalized_tokens
from .segment import segment
from .shingle import ShingleBatch, TokenHasher, shingles_for_batch, shingles_for_flat_tokens
from .signatures import minhash_signatures
from .terms import terms_from_tokens

__all__ = [
    "ChunkSettings",
    "DocumentTerms",
    "ParagraphTable",
    "ProgressCallback",
    "chunk_settings",
    "content_key",
    "ignore_sigint",
    "prepare",
    "process_chunk",
    "resolve_jobs",
    "start_pool",
    "story_terms_by_paragraph",
]

#: ``progress(done, total)``: called with the number of documents processed.
ProgressCallback = Callable[[int, int], None]

# A chunk holds at most this many characters of text / documents.
_CHUNK_CHARS = 1_000_000
_CHUNK_DOCS = 2_000
# Stand-in for the empty key of a document without words inside a chunk result.
_NO_KEY = bytes(16)


def content_key(toks: Sequence[str]) -> bytes:
    """A 16-byte key of a normalized token sequence (equal keys = same text)."""
    return hashlib.blake2b(" ".join(toks).encode("utf-8"), digest_size=16).digest()


@dataclass
class ParagraphTable:
    """The fingerprinted paragraphs of a set of documents (column arrays).

    Attributes:
        doc: Document index of each fingerprinted paragraph.
        ordinal: Position among the document's fingerprinted paragraphs.
        start: Start offset in the document text.
        end: End offset in the document text.
        ntokens: Number of word tokens.
        group: Index of the distinct paragraph text (into ``shingles`` and
            ``signatures``).
        group_keys: Content key of each distinct text.
        shingles: Shingle hashes of each distinct text.
        signatures: MinHash signatures of each distinct text.
        doc_keys: Content key of each whole document (``b""`` when it has no
            word tokens).
        doc_paragraphs: Number of paragraphs (fingerprinted or not) per document.
        row_terms: Story terms of each row, space-joined (``None`` when the
            story tier is off or the table was not built by :func:`prepare`).
        doc_terms: Per document, the story terms of its paragraphs that are
            not rows (too short to fingerprint), space-joined; ``None`` as
            ``row_terms``.
    """

    doc: np.ndarray
    ordinal: np.ndarray
    start: np.ndarray
    end: np.ndarray
    ntokens: np.ndarray
    group: np.ndarray
    group_keys: list[bytes]
    shingles: ShingleBatch
    signatures: np.ndarray
    doc_keys: list[bytes]
    doc_paragraphs: list[int]
    row_terms: list[str] | None = None
    doc_terms: list[str] | None = None

    def __len__(self) -> int:
        return len(self.doc)

    def document_terms(self, excluded_rows: np.ndarray | None = None) -> DocumentTerms | None:
        """Each document's story terms, from its rows and its other paragraphs.

        Args:
            excluded_rows: Boolean mask of rows whose terms are left out
                (boilerplate); ``None`` keeps all.

        Returns:
            Per document, the terms of its short paragraphs, then those of its
            rows in order (the story tier counts them); ``None`` when the
            table carries no story terms. The lists are built when read
            (see :class:`DocumentTerms`).
        """
        if self.row_terms is None or self.doc_terms is None:
            return None
        return DocumentTerms(self.doc, self.row_terms, self.doc_terms, excluded_rows)


class DocumentTerms(Sequence):
    """Per document, its story terms as a list, built from the table's space-joined terms when read.

    A corpus's terms as lists of strings hold every term as its own object
    (about 60 bytes a term: 0.6 GB for 200,000 paragraphs); the story model
    reads them once, one document at a time.

    >>> terms = DocumentTerms(np.array([1, 0, 1]), ["b c", "a", "d"], ["", "x"], np.array([False, False, True]))
    >>> len(terms), list(terms)
    (2, [['a'], ['x', 'b', 'c']])
    """

    def __init__(
        self, doc: np.ndarray, row_terms: Sequence[str], doc_terms: Sequence[str], excluded_rows: np.ndarray | None
    ) -> None:
        self._doc_terms = doc_terms
        keep = np.ones(len(row_terms), dtype=bool) if excluded_rows is None else ~np.asarray(excluded_rows, dtype=bool)
        rows = np.argsort(doc, kind="stable")
        rows = rows[keep[rows]]
        self._rows = rows.tolist()
        self._row_terms = row_terms
        self._first = np.searchsorted(doc[rows], np.arange(len(doc_terms) + 1)).tolist()

    def __len__(self) -> int:
        return len(self._doc_terms)

    def __getitem__(self, d):  # type: ignore[override]
        if isinstance(d, slice):
            return [self[i] for i in range(*d.indices(len(self)))]
        if not -len(self) <= d < len(self):
            raise IndexError(d)
        d %= len(self)
        out = self._doc_terms[d].split()
        for r in self._rows[self._first[d] : self._first[d + 1]]:
            out.extend(self._row_terms[r].split())
        return out


def resolve_jobs(jobs: int) -> int:
    """The number of processes for ``jobs`` (``0`` means all usable cores)."""
    if jobs > 0:
        return jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


# Token hash cache of this process (workers keep theirs across chunks).
_PROCESS_HASHER: TokenHasher | None = None


def _process_hasher() -> TokenHasher:
    global _PROCESS_HASHER
    if _PROCESS_HASHER is None:
        _PROCESS_HASHER = TokenHasher()
    return _PROCESS_HASHER


#: What :func:`process_chunk` returns: only bytes and numpy arrays.
ChunkResult = tuple[
    np.ndarray,  # doc_paragraphs (n_docs,)
    bytes,  # doc keys, 16 bytes each
    np.ndarray,  # per fingerprinted paragraph: (6, m) int64 rows doc, ordinal, start, end, ntokens, local group
    bytes,  # local group keys, 16 bytes each
    np.ndarray,  # shingle hashes of the local groups (CSR values)
    np.ndarray,  # CSR offsets
    np.ndarray,  # signatures (groups, num_perm) uint32
    list[str],  # story terms of each fingerprinted paragraph (space-joined); empty without the story tier
    list[str],  # story terms of each document's other paragraphs (space-joined); empty without it
]

#: What :func:`process_chunk` needs from the settings (a plain tuple, sent to workers).
ChunkSettings = tuple[str, int, int, int, int, bool]


def chunk_settings(config: Config) -> ChunkSettings:
    """The :data:`ChunkSettings` of a config."""
    return (config.shingle, config.size, config.min_tokens, config.num_perm, config.seed, config.story)


def process_chunk(texts: Sequence[str], settings: ChunkSettings) -> ChunkResult:
    """Fingerprint the paragraphs of a chunk of documents.

    A top-level function (picklable, safe under ``spawn``). Per-paragraph
    tokens live only inside this call: the same tokens give the shingles and,
    when the story tier is on, the story terms (text is tokenised once).

    Args:
        texts: The documents' texts.
        settings: ``(shingle, shingle_size, min_tokens, num_perm, seed, story)``.

    Returns:
        A :data:`ChunkResult`; document indexes and groups are local to the
        chunk.
    """
    shingle, size, min_tokens, num_perm, seed, story = settings
    blake2b = hashlib.blake2b
    doc_paragraphs = np.empty(len(texts), dtype=np.int64)
    doc_keys: list[bytes] = []
    cols: list[int] = []  # flat (doc, ordinal, start, end, ntokens, group) rows
    local: dict[bytes, int] = {}
    flat: list[str] = []
    lengths: list[int] = []
    token_lists: list[list[str]] = []
    row_terms: list[str] = []
    doc_terms: list[str] = []
    word = shingle == "word"
    for di, text in enumerate(texts):
        spans = segment(text)
        doc_paragraphs[di] = len(spans)
        doc_hash = blake2b(digest_size=16)
        any_tokens = False
        ordinal = 0
        rest: list[str] = []
        for s, e in spans:
            toks = normalized_tokens(text[s:e])
            if not toks:
                continue
            joined = " ".join(toks).encode("utf-8")
            # The document key is content_key of all its tokens, fed piecewise.
            if any_tokens:
                doc_hash.update(b" ")
            doc_hash.update(joined)
            any_tokens = True
            if len(toks) < min_tokens:
                if story:
                    rest.extend(terms_from_tokens(toks))
                continue
            if story:
                row_terms.append(" ".join(terms_from_tokens(toks)))
            key = blake2b(joined, digest_size=16).digest()
            g = local.get(key)
            if g is None:
                g = local[key] = len(local)
                if word:
                    flat.extend(toks)
                    lengths.append(len(toks))
                else:
                    token_lists.append(toks)
            cols += (di, ordinal, s, e, len(toks), g)
            ordinal += 1
        # A document without any word has no key (b""; sent as 16 zero bytes).
        doc_keys.append(doc_hash.digest() if any_tokens else _NO_KEY)
        if story:
            doc_terms.append(" ".join(rest))
    if word:
        batch = shingles_for_flat_tokens(flat, np.array(lengths, dtype=np.int64), size, _process_hasher())
    else:
        batch = shingles_for_batch(token_lists, shingle, size, _process_hasher())
    del flat, token_lists
    sigs = minhash_signatures(batch, num_perm, seed)
    rows = np.array(cols, dtype=np.int64).reshape(-1, 6).T.copy()
    return (
        doc_paragraphs,
        b"".join(doc_keys),
        rows,
        b"".join(local),
        batch.hashes,
        batch.offsets,
        sigs,
        row_terms,
        doc_terms,
    )


def story_terms_by_paragraph(text: str, min_tokens: int) -> tuple[list[str], str]:
    """The story terms of one document as :func:`process_chunk` gives them.

    For a document whose table rows were not built by :func:`prepare` (an
    indexed document loaded by ``check``, whose rows come from the store).

    Returns:
        ``(row_terms, rest)``: the space-joined story terms of each
        fingerprinted paragraph (at least ``min_tokens`` tokens), in order,
        and those of the document's shorter paragraphs.

    Example:
        >>> story_terms_by_paragraph("Flood waters rose in the town today.\\n\\nBy staff", 3)
        (['flood water rose town today'], 'staff')
    """
    rows: list[str] = []
    rest: list[str] = []
    for s, e in segment(text):
        toks = normalized_tokens(text[s:e])
        if not toks:
            continue
        if len(toks) < min_tokens:
            rest.extend(terms_from_tokens(toks))
        else:
            rows.append(" ".join(terms_from_tokens(toks)))
    return rows, " ".join(rest)


def _chunks(documents: Sequence[Document]) -> Iterator[tuple[int, list[str]]]:
    """Consecutive chunks of document texts, bounded in characters and count."""
    start = 0
    texts: list[str] = []
    chars = 0
    for i, doc in enumerate(documents):
        texts.append(doc.text)
        chars += len(doc.text)
        if chars >= _CHUNK_CHARS or len(texts) >= _CHUNK_DOCS:
            yield start, texts
            start, texts, chars = i + 1, [], 0
    if texts:
        yield start, texts


def _run_chunks(
    documents: Sequence[Document], settings: ChunkSettings, jobs: int, hasher: TokenHasher | None
) -> Iterator[tuple[int, ChunkResult]]:
    """Process all chunks, in order, in this process or a pool of ``jobs``."""
    global _PROCESS_HASHER
    chunks = _chunks(documents)
    if jobs <= 1 or sum(len(d.text) for d in documents) < _CHUNK_CHARS:
        saved = _PROCESS_HASHER
        if hasher is not None:
            _PROCESS_HASHER = hasher
        try:
            for start, texts in chunks:
                yield start, process_chunk(texts, settings)
        finally:
            _PROCESS_HASHER = saved
        return
    pool = start_pool(jobs)
    try:
        pending: deque[tuple[int, Any]] = deque()
        # At most 2 chunks per process in flight: bounded memory.
        for start, texts in chunks:
            pending.append((start, pool.apply_async(process_chunk, (texts, settings))))
            while len(pending) >= 2 * jobs:
                first, res = pending.popleft()
                yield first, res.get()
        while pending:
            first, res = pending.popleft()
            yield first, res.get()
    finally:
        # Workers ignore SIGINT, so none dies holding a queue lock and
        # terminate() does not hang (it did when Ctrl-C reached the workers).
        pool.terminate()
        pool.join()


def ignore_sigint() -> None:
    """Pool initializer: a worker ignores SIGINT; the parent decides when to stop.

    A Ctrl-C on a terminal signals the whole process group. Workers that took
    it would print tracebacks and could die holding a queue lock, which hangs
    ``Pool.terminate()``.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def start_pool(jobs: int, method: str = "spawn") -> Any:
    """A pool of ``jobs`` workers (``spawn``-ed, or ``method``) that never act on SIGINT, even while they start.

    The workers must inherit "SIGINT ignored" through ``exec``: Python only
    installs its ``KeyboardInterrupt`` handler when SIGINT is not ignored at
    start-up, so a Ctrl-C while a worker imports cannot print a traceback.
    SIGINT is therefore ignored here while the pool launches its processes
    (milliseconds), and blocked in this thread, so that a SIGINT the kernel
    hands to this thread meanwhile stays pending and is delivered, as
    ``KeyboardInterrupt``, once the old handler is back.
    """
    ctx = multiprocessing.get_context(method)
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        return ctx.Pool(jobs, initializer=ignore_sigint)
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            return ctx.Pool(jobs, initializer=ignore_sigint)
        finally:
            if handler is not None:
                signal.signal(signal.SIGINT, handler)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


class _Growable:
    """An append-only numpy array with amortised growth.

    Chunks are copied into one large buffer as they arrive, so no second copy
    is made at the end (a concatenation of parts would briefly hold both, and
    the freed small parts would stay in the allocator's heap). Large buffers
    are mmap-backed: the old one is returned to the system when the buffer
    grows, and capacity never written costs no memory.
    """

    def __init__(self, dtype: Any, row_shape: tuple[int, ...] = ()) -> None:
        self._buf = np.empty((1024, *row_shape), dtype=dtype)
        self._n = 0

    def extend(self, values: np.ndarray) -> None:
        need = self._n + len(values)
        if need > len(self._buf):
            new = np.empty((max(need, len(self._buf) * 3 // 2), *self._buf.shape[1:]), dtype=self._buf.dtype)
            new[: self._n] = self._buf[: self._n]
            self._buf = new
        self._buf[self._n : need] = values
        self._n = need

    def array(self) -> np.ndarray:
        """The values appended so far (a view)."""
        return self._buf[: self._n]


def _take_rows(hashes: np.ndarray, offsets: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The CSR rows ``idx`` of ``(hashes, offsets)`` as new CSR arrays."""
    sizes = np.diff(offsets)[idx]
    new_offsets = np.zeros(len(idx) + 1, dtype=np.int64)
    np.cumsum(sizes, out=new_offsets[1:])
    pos = np.arange(int(new_offsets[-1]), dtype=np.int64)
    pos += np.repeat(offsets[idx] - new_offsets[:-1], sizes)
    return hashes[pos], new_offsets


def prepare(
    documents: Sequence[Document],
    config: Config,
    hasher: TokenHasher | None = None,
    *,
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
) -> ParagraphTable:
    """Segment, normalize, shingle and sign the paragraphs of documents.

    Args:
        documents: The documents, in the order their indexes refer to.
        config: Settings (shingle kind/size, min_tokens, num_perm, seed, jobs).
        hasher: Token hash cache to reuse (used when running in this process).
        jobs: Worker processes; default ``config.jobs`` (``0``: all cores).
            The result does not depend on it.
        progress: Called as ``progress(documents_done, documents_total)``
            after each chunk.

    Returns:
        The paragraph table.
    """
    n_jobs = resolve_jobs(config.jobs if jobs is None else jobs)
    settings = chunk_settings(config)
    total = len(documents)
    groups: dict[bytes, int] = {}
    row_parts: list[np.ndarray] = []
    all_hashes = _Growable(np.uint64)
    all_sizes = _Growable(np.int64)
    all_sigs = _Growable(np.uint32, (config.num_perm,))
    doc_keys: list[bytes] = []
    doc_paragraphs: list[int] = []
    row_terms: list[str] = []
    doc_terms: list[str] = []
    if progress is not None:
        progress(0, total)
    for start, chunk in _run_chunks(documents, settings, n_jobs, hasher):
        doc_par, dkeys, rows, gkeys, hashes, offsets, sigs, chunk_row_terms, chunk_doc_terms = chunk
        row_terms.extend(chunk_row_terms)
        doc_terms.extend(chunk_doc_terms)
        doc_paragraphs.extend(doc_par.tolist())
        doc_keys.extend(k if k != _NO_KEY else b"" for k in (dkeys[i : i + 16] for i in range(0, len(dkeys), 16)))
        n_local = len(gkeys) // 16
        to_global = np.empty(n_local, dtype=np.int64)
        new: list[int] = []
        for j in range(n_local):
            key = gkeys[16 * j : 16 * j + 16]
            g = groups.get(key)
            if g is None:
                g = groups[key] = len(groups)
                new.append(j)
            to_global[j] = g
        rows[0] += start
        rows[5] = to_global[rows[5]] if n_local else rows[5]
        row_parts.append(rows)
        if len(new) == n_local:
            all_hashes.extend(hashes)
            all_sizes.extend(np.diff(offsets))
            all_sigs.extend(sigs)
        elif new:
            idx = np.array(new, dtype=np.int64)
            h, o = _take_rows(hashes, offsets, idx)
            all_hashes.extend(h)
            all_sizes.extend(np.diff(o))
            all_sigs.extend(sigs[idx])
        if progress is not None:
            progress(start + len(doc_par), total)
    rows = np.concatenate(row_parts, axis=1) if row_parts else np.empty((6, 0), dtype=np.int64)
    del row_parts
    sizes = all_sizes.array()
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    batch = ShingleBatch(all_hashes.array(), offsets)
    signatures = all_sigs.array()
    return ParagraphTable(
        doc=rows[0],
        ordinal=rows[1],
        start=rows[2],
        end=rows[3],
        ntokens=rows[4],
        group=rows[5],
        group_keys=list(groups),
        shingles=batch,
        signatures=signatures,
        doc_keys=doc_keys,
        doc_paragraphs=doc_paragraphs,
        row_terms=row_terms if config.story else None,
        doc_terms=doc_terms if config.story else None,
    )
