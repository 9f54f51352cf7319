"""Alignment candidates on Spark: the anchor index of :mod:`dedup.align`, distributed.

Locally, :func:`dedup.align.anchor_candidates` hashes every word
:data:`~dedup.align.ANCHOR_N`-gram of all documents (concatenated in
document order, an n-gram crossing two documents or holding a boilerplate
token being invalid), winnows the sequence with windows of
``align_window`` n-grams, posts the winnowed anchors by hash and keeps the
document pairs with a chain of ``align_min_anchors`` anchors on one
diagonal. Here::

    documents, sorted by id --mapPartitions--> n-gram hashes of each partition
        (the whole-corpus sequence, cut at partition borders)
    heads/tails of every partition (align_window values each) --collect-->
        each partition's context: the window values just before and after it
    partitions + context --winnow--> (anchor, (doc, position))
    --groupByKey(anchor)--> pairs of postings (linked windows above MAX_POSTING)
    --groupByKey(doc pair)--> anchor chains per diagonal --> candidate pairs

Windows reaching across a partition border see the same values as in the
local sequence, so every document gets the anchors it gets in ``dedup
scan`` (document order = sorted ids), and the candidates are the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from ..align import (
    ANCHOR_N,
    MAX_ALIGN_CHARS,
    MAX_ALIGN_PARTNERS,
    MAX_POSTING,
    MAX_RAW_GAP,
    cap_partners,
    token_masks,
    tokenize_documents,
)
from ..config import Config
from ..lsh import window_pairs
from .records import DocRecord, paragraph_table, storage_level

__all__ = [
    "anchor_candidate_pairs",
    "cap_candidate_pairs",
    "chain_length",
    "ngram_values",
    "partition_summary",
    "partition_values",
    "posting_pairs",
    "winnow_contexts",
    "winnow_partition",
]

# The n-gram hash of dedup.align: h[t] * M^(n-1) + ... + h[t+n-1] (wrapping uint64).
_MUL = np.uint64(0x9E3779B97F4A7C15)
_INVALID = np.uint64(0xFFFFFFFFFFFFFFFF)


def ngram_values(hashes: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One document's part of the winnowed sequence: an n-gram value per token, and its validity.

    The n-gram starting at token ``t`` is valid when it stays inside the
    document (``t + ANCHOR_N <= len``) and holds no excluded token; invalid
    positions carry the largest value (as :mod:`dedup.align` gives n-grams
    crossing into the next document).

    Example:
        >>> h = np.arange(1, 8, dtype=np.uint64)
        >>> g, v = ngram_values(h, np.zeros(7, dtype=bool))
        >>> v.tolist()
        [True, True, True, False, False, False, False]
        >>> g, v = ngram_values(h, np.array([0, 0, 0, 0, 0, 1, 0], dtype=bool))
        >>> v.tolist()
        [True, False, False, False, False, False, False]
    """
    n_tok = len(hashes)
    values = np.full(n_tok, _INVALID, dtype=np.uint64)
    valid = np.zeros(n_tok, dtype=bool)
    n = n_tok - ANCHOR_N + 1
    if n <= 0:
        return values, valid
    g = hashes[:n].astype(np.uint64)
    with np.errstate(over="ignore"):
        for t in range(1, ANCHOR_N):
            g = g * _MUL + hashes[t : t + n]
    ok = np.ones(n, dtype=bool)
    if mask.any():
        ok = np.convolve(mask.astype(np.int64), np.ones(ANCHOR_N, dtype=np.int64), mode="valid") == 0
    values[:n] = np.where(ok, g, _INVALID)
    valid[:n] = ok
    return values, valid


def partition_values(index: int, items: Iterable[tuple[str, DocRecord]]) -> Iterator[Any]:
    """One partition's part of the sequence: ``(index, ids, token counts, values, validity)``.

    ``items`` are ``(doc id, DocRecord)`` in id order (texts and boilerplate
    masks filled in); the documents are tokenized as :mod:`dedup.align` does.
    """
    recs = [rec for _, rec in items]
    if not recs:
        yield (index, [], np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint64), np.empty(0, dtype=bool))
        return
    table, _ = paragraph_table(recs)
    excluded = np.concatenate([r.excluded() for r in recs]) if recs else np.empty(0, dtype=bool)
    tokens = tokenize_documents([r.text for r in recs])
    masks = token_masks(table, tokens, excluded if excluded.any() else None)
    values, valid, lengths = [], [], []
    for t, m in zip(tokens, masks):
        g, v = ngram_values(t.hashes, m)
        values.append(g)
        valid.append(v)
        lengths.append(len(t))
    yield (
        index,
        [r.id for r in recs],
        np.array(lengths, dtype=np.int64),
        np.concatenate(values) if values else np.empty(0, dtype=np.uint64),
        np.concatenate(valid) if valid else np.empty(0, dtype=bool),
    )


def partition_summary(part: Any, w: int) -> tuple[int, int, Any, Any, Any, Any]:
    """What the driver needs of a partition: its length, and its first and last ``w`` values."""
    index, _ids, _lengths, values, valid = part
    return (index, len(values), values[:w], valid[:w], values[-w:], valid[-w:])


def winnow_contexts(summaries: list[tuple[int, int, Any, Any, Any, Any]], w: int) -> tuple[dict[int, Any], int | None]:
    """Per partition, its own length in the sequence and the window values just before and after it.

    Args:
        summaries: :func:`partition_summary` of every partition.
        w: The winnowing window (``align_window``).

    Returns:
        ``(contexts, single)``: ``contexts`` by partition index for
        :func:`winnow_partition`; ``single`` is the position of the one anchor
        of a sequence no longer than one window (else ``None``).
    """
    summaries = sorted(summaries)
    total = sum(s[1] for s in summaries)
    n = total - ANCHOR_N + 1
    single = None
    if 0 < n <= w:  # the whole sequence fits in one window (a tiny corpus): every value is in the heads
        g = np.concatenate([s[2] for s in summaries])[:n]
        single = n - 1 - int(np.argmin(g[::-1]))
    return _contexts(summaries, n, w), single


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts).astype(np.uint64) if parts else np.empty(0, dtype=np.uint64)


def _contexts(summaries: list[tuple[int, int, Any, Any, Any, Any]], n: int, w: int) -> dict[int, Any]:
    out: dict[int, Any] = {}
    offset = 0
    for k, (index, length, *_rest) in enumerate(summaries):
        own = max(0, min(length, n - offset))
        left_g: list[np.ndarray] = []
        need = w - 1
        for j in range(k - 1, -1, -1):
            if need <= 0:
                break
            tg = summaries[j][4]
            take = min(need, len(tg))
            if take:
                left_g.insert(0, tg[len(tg) - take :])
            need -= take
        right_g: list[np.ndarray] = []
        need = max(0, min(w - 1, n - offset - own))
        for j in range(k + 1, len(summaries)):
            if need <= 0:
                break
            hg = summaries[j][2]
            take = min(need, len(hg))
            right_g.append(hg[:take])
            need -= take

        out[index] = (own, _cat(left_g), _cat(right_g), offset)
        offset += length
    return out


def winnow_partition(item: Any, contexts: dict[int, Any], w: int, single: int | None) -> Iterator[Any]:
    """The anchors of one partition (:func:`partition_values`): ``(hash, (doc id, position))``."""
    index, ids, lengths, values, valid = item
    own, left_g, right_g, offset = contexts[index]
    if own <= 0:
        return
    if single is not None:  # the whole sequence is at most one window: its rightmost minimum
        picks = np.array([single - offset], dtype=np.int64)
        picks = picks[(picks >= 0) & (picks < own)]
    else:
        g = np.concatenate([left_g, values[:own], right_g])
        if len(g) < w:
            return
        win = np.lib.stride_tricks.sliding_window_view(g, w)
        picks = np.unique(w - 1 - np.argmin(win[:, ::-1], axis=1) + np.arange(len(win))) - len(left_g)
        picks = picks[(picks >= 0) & (picks < own)]
    picks = picks[valid[picks]]
    if not len(picks):
        return
    first = np.cumsum(lengths) - lengths
    doc = np.searchsorted(first, picks, side="right") - 1
    for p, d in zip(picks.tolist(), doc.tolist()):
        yield (int(values[p]), (ids[d], p - int(first[d])))


def posting_pairs(item: tuple[int, Iterable[tuple[str, int]]]) -> Iterator[Any]:
    """Pairs of the postings of one anchor, as :func:`dedup.align.anchor_candidates` forms them."""
    entries = sorted(item[1])
    z = len(entries)
    if z < 2:
        return
    if z <= MAX_POSTING:
        links: Iterable[tuple[int, int]] = ((i, j) for i in range(z) for j in range(i + 1, z))
    else:
        links = window_pairs(np.arange(z, dtype=np.int64)).tolist()
    for i, j in links:
        (da, pa), (db, pb) = entries[i], entries[j]
        if da == db and pb - pa < ANCHOR_N:
            continue
        yield ((da, db), (pb - pa, pa))


def chain_length(anchors: Iterable[tuple[int, int]]) -> int:
    """The longest chain of one pair's shared anchors ``(diagonal, position in a)``.

    A chain is consecutive anchors on one diagonal, each within
    ``MAX_RAW_GAP + ANCHOR_N`` tokens of the previous one.

    Example:
        >>> chain_length([(3, 0), (3, 5), (3, 9), (7, 12), (3, 40)])
        3
    """
    best = run = 0
    prev: tuple[int, int] | None = None
    for diag, pa in sorted(anchors):
        if prev is not None and diag == prev[0] and pa - prev[1] <= MAX_RAW_GAP + ANCHOR_N:
            run += 1
        else:
            run = 1
        best = max(best, run)
        prev = (diag, pa)
    return best


def cap_candidate_pairs(
    chains: Iterable[tuple[tuple[str, str], int]], links: int = MAX_ALIGN_PARTNERS
) -> tuple[list[tuple[str, str]], int]:
    """The candidate pairs aligned, as :func:`dedup.align.cap_partners` keeps them in ``dedup scan``.

    Args:
        chains: ``((doc_a, doc_b), longest anchor chain)`` of every candidate pair, ``doc_a <= doc_b``.
        links: Partners a document is aligned with at most (:data:`dedup.align.MAX_ALIGN_PARTNERS`).

    Returns:
        ``(pairs, capped)``: the kept pairs in sorted order, and how many documents had more
        than ``links`` partners. Document ids stand in for the local scan's document indexes
        (sorted ids: the same order, so the same ties and the same spanning forest).

    Example:
        >>> chains = [(("a", "b"), 9), (("a", "c"), 8), (("a", "d"), 5), (("c", "d"), 4), (("a", "a"), 3)]
        >>> cap_candidate_pairs(chains, links=1)
        ([('a', 'a'), ('a', 'b'), ('a', 'c'), ('a', 'd')], 3)
    """
    rows = sorted(chains)
    ids = sorted({d for (a, b), _ in rows for d in (a, b)})
    index = {d: i for i, d in enumerate(ids)}
    cands = np.array([(index[a], index[b]) for (a, b), _ in rows], dtype=np.int64).reshape(-1, 2)
    shared = np.array([s for _, s in rows], dtype=np.int64)
    cross = cands[cands[:, 0] != cands[:, 1]]
    degree = np.bincount(cross.reshape(-1), minlength=len(ids))
    capped = int((degree > links).sum())
    keep = cap_partners(cands, shared, len(ids), links) if capped else np.ones(len(rows), dtype=bool)
    return [(ids[a], ids[b]) for a, b in cands[keep].tolist()], capped


def anchor_candidate_pairs(docrecs: Any, config: Config, partitions: int) -> tuple[Any, tuple[Any, ...], int]:
    """The alignment candidates of the corpus: an RDD of ``(doc_a, doc_b)``, ``doc_a <= doc_b``.

    As in ``dedup scan``, a document with more than :data:`~dedup.align.MAX_ALIGN_PARTNERS`
    candidate partners is aligned with its closest ones only (:func:`cap_candidate_pairs`): the
    partner counts are computed distributed, and only when a document exceeds the cap are the
    candidate pairs brought to the driver to choose (the choice needs all of them: a spanning
    forest keeps every group of partners connected).

    Args:
        docrecs: RDD of ``(doc id, DocRecord)`` with texts and boilerplate masks.
        config: Settings (``align_window``, ``align_min_anchors``).
        partitions: Shuffle partitions.

    Returns:
        ``(candidates, persisted rdds, capped)``; ``doc_a == doc_b`` is a run repeated
        inside one document; ``capped`` is the number of documents over the partner cap.
    """
    w = config.align_window
    ordered = docrecs.filter(lambda kv: len(kv[1].text) <= MAX_ALIGN_CHARS).sortByKey(True, partitions)
    parts = ordered.mapPartitionsWithIndex(partition_values).persist(storage_level())
    contexts, single = winnow_contexts(parts.map(lambda p: partition_summary(p, w)).collect(), w)
    ctx = docrecs.context.broadcast(contexts)
    anchors = parts.flatMap(lambda item: winnow_partition(item, ctx.value, w, single))
    min_anchors = config.align_min_anchors
    chains = (
        anchors.groupByKey(partitions)
        .flatMap(posting_pairs)
        .groupByKey(partitions)
        .mapValues(chain_length)
        .filter(lambda kv: kv[1] >= min_anchors)
        .persist(storage_level())
    )
    limit = MAX_ALIGN_PARTNERS
    over = (
        chains.keys()
        .filter(lambda ab: ab[0] != ab[1])
        .flatMap(lambda ab: ab)
        .map(lambda d: (d, 1))
        .reduceByKey(lambda x, y: x + y, partitions)
        .filter(lambda kv: kv[1] > limit)
        .count()
    )
    if not over:
        return chains.keys(), (parts, chains), 0
    kept, capped = cap_candidate_pairs(chains.collect(), limit)
    return docrecs.context.parallelize(kept, max(1, partitions)), (parts, chains), capped
