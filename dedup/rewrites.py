"""Near passages across rewrites: paragraphs carried from one story to another.

A rewritten story keeps some paragraphs close to the original while changing
enough words that word-shingle MinHash misses them (character 7-gram Jaccard
around 0.3-0.5, where copies sit above 0.8). This second pass runs only inside
document pairs already judged the same story (or otherwise related), so it is
cheap: for each such pair it compares every fingerprinted paragraph of one
document with every paragraph of the other on their sets of character
:data:`CHAR_N`-grams (of the normalized, punctuation-free text).

A paragraph pair is reported as a ``near`` passage when both paragraphs have
at least ``Config.near_min_tokens`` tokens and

* their Jaccard similarity is at least ``Config.near_threshold``, or
* their containment (shared n-grams over the smaller set) is at least
  ``Config.near_containment``, their Jaccard is at least half of
  ``Config.near_threshold``, and the smaller paragraph holds at least
  :data:`MIN_CONTAINED_TOKENS` tokens.

The last condition is what keeps the containment branch about carried text:
a one-sentence paragraph "contained" in a longer one on character 7-grams is
most often two leads written from one template (an institution's long name
gives most of the shared n-grams), not a paragraph carried across a rewrite.

Pairs are taken best first, each paragraph in at most one passage, and
paragraphs already inside a passage found by the main matcher are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .config import Config
from .lsh import candidate_pairs
from .match import jaccard_pairs
from .models import Passage, Span
from .normalize import normalize, tokens
from .shingle import ShingleBatch, shingles_for_batch
from .signatures import minhash_signatures

__all__ = ["CHAR_N", "MAX_DENSE_ELEMENTS", "MIN_CONTAINED_TOKENS", "near_paragraph_passages", "paragraph_overlap"]

#: Character n-gram size of the rewrite matcher.
CHAR_N = 7
#: Elements of the dense paragraph x n-gram matrices above which a document
#: pair's paragraphs are paired through MinHash LSH instead (64 MiB of float32).
MAX_DENSE_ELEMENTS = 16_000_000
#: Tokens the smaller paragraph of a containment-branch near passage must hold
#: (a sentence and a half of news prose; Jaccard-branch passages need only
#: ``Config.near_min_tokens``).
MIN_CONTAINED_TOKENS = 20
#: Permutations of the LSH path.
LSH_NUM_PERM = 128


def paragraph_overlap(a_sets: Sequence[np.ndarray], b_sets: Sequence[np.ndarray]) -> np.ndarray:
    """Sizes of the intersections between every set of ``a`` and every set of ``b``.

    Args:
        a_sets: Sorted distinct uint64 arrays.
        b_sets: Sorted distinct uint64 arrays.

    Returns:
        A ``(len(a_sets), len(b_sets))`` int array.
    """
    if not a_sets or not b_sets:
        return np.zeros((len(a_sets), len(b_sets)), dtype=np.int64)
    ha = np.concatenate(a_sets)
    hb = np.concatenate(b_sets)
    universe, inv = np.unique(np.concatenate([ha, hb]), return_inverse=True)
    inv = inv.reshape(-1)
    ia, ib = inv[: len(ha)], inv[len(ha) :]
    ma = np.zeros((len(a_sets), len(universe)), dtype=np.float32)
    mb = np.zeros((len(b_sets), len(universe)), dtype=np.float32)
    ma[np.repeat(np.arange(len(a_sets)), [len(s) for s in a_sets]), ia] = 1.0
    mb[np.repeat(np.arange(len(b_sets)), [len(s) for s in b_sets]), ib] = 1.0
    return np.rint(ma @ mb.T).astype(np.int64)


def _overlaps(
    sets_a: Sequence[np.ndarray], sets_b: Sequence[np.ndarray], config: Config
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paragraph pairs ``(i, j)`` that share n-grams, with their intersection sizes.

    Exact (every pair) while the dense incidence matrices stay within
    :data:`MAX_DENSE_ELEMENTS`; beyond (documents with thousands of
    paragraphs), the pairs come from MinHash LSH at half ``near_threshold``
    (the least Jaccard a near passage can have), pairs whose signatures
    estimate a Jaccard below a quarter of ``near_threshold`` are dropped, and
    the rest are measured exactly: memory stays bounded, and only a pair LSH
    misses (or whose estimate falls far below its Jaccard) is lost.
    """
    total = sum(len(s) for s in sets_a) + sum(len(s) for s in sets_b)
    if (len(sets_a) + len(sets_b)) * total <= MAX_DENSE_ELEMENTS:
        inter = paragraph_overlap(sets_a, sets_b)
        ii, jj = np.nonzero(inter)
        return ii, jj, inter[ii, jj].astype(np.float64)
    sets = list(sets_a) + list(sets_b)
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum([len(x) for x in sets], out=offsets[1:])
    batch = ShingleBatch(np.concatenate(sets), offsets)
    sigs = minhash_signatures(batch, LSH_NUM_PERM, config.seed)
    cands = candidate_pairs(sigs, max(config.near_threshold / 2, 0.05))
    na = len(sets_a)
    cands = cands[(cands[:, 0] < na) & (cands[:, 1] >= na)]
    # Drop pairs whose signatures agree on too few permutations (estimated
    # Jaccard below a quarter of near_threshold) before the exact measure.
    est = np.concatenate(
        [
            (sigs[c[:, 0]] == sigs[c[:, 1]]).mean(axis=1)
            for c in np.array_split(cands, max(1, len(cands) // 100_000 + 1))
        ]
    )
    cands = cands[est >= config.near_threshold / 4]
    jac = jaccard_pairs(batch, cands)
    sizes = batch.sizes().astype(np.float64)
    inter = np.rint(jac * (sizes[cands[:, 0]] + sizes[cands[:, 1]]) / (1.0 + jac))
    keep = inter > 0
    return cands[keep, 0], cands[keep, 1] - na, inter[keep]


def near_paragraph_passages(
    texts: Sequence[str],
    doc_ids: Sequence[str],
    paragraphs: Sequence[Sequence[tuple[int, int]]],
    doc_pairs: Iterable[tuple[int, int]],
    config: Config,
    taken: dict[tuple[int, int], set[tuple[int, int, int]]] | None = None,
) -> list[Passage]:
    """Near passages between the paragraphs of related documents.

    Args:
        texts: Document texts by index.
        doc_ids: Document ids by index.
        paragraphs: Per document, the ``(start, end)`` spans of its candidate
            paragraphs.
        doc_pairs: Document index pairs to examine.
        config: Settings (``near_threshold``, ``near_containment``,
            ``near_min_tokens``).
        taken: Per document pair ``(a, b)``, the ``(doc, start, end)`` of
            paragraphs already in a passage between ``a`` and ``b``; they are
            skipped for that pair.

    Returns:
        The near passages, sorted.
    """
    taken = taken or {}
    cache: dict[int, tuple[list[tuple[int, int]], list[np.ndarray], np.ndarray]] = {}

    def sets_of(d: int) -> tuple[list[tuple[int, int]], list[np.ndarray], np.ndarray]:
        got = cache.get(d)
        if got is None:
            spans, toks = [], []
            for s, e in paragraphs[d]:
                t = tokens(normalize(texts[d][s:e]))
                if len(t) >= config.near_min_tokens:
                    spans.append((s, e))
                    toks.append(t)
            batch = shingles_for_batch(toks, "char", CHAR_N) if toks else None
            sets = [batch.get(i) for i in range(len(toks))] if batch is not None else []
            got = (spans, sets, np.array([len(t) for t in toks], dtype=np.int64))
            cache[d] = got
        return got

    out: list[Passage] = []
    for a, b in sorted(set(doc_pairs)):
        if a == b:
            continue
        spans_a, sets_a, ntok_a = sets_of(a)
        spans_b, sets_b, ntok_b = sets_of(b)
        if not sets_a or not sets_b:
            continue
        skip = taken.get((a, b), set())
        ii, jj, inter = _overlaps(sets_a, sets_b, config)
        na = np.array([len(s) for s in sets_a], dtype=np.float64)[ii]
        nb = np.array([len(s) for s in sets_b], dtype=np.float64)[jj]
        jac = inter / (na + nb - inter)
        cont = inter / np.minimum(na, nb)
        contained = (
            (cont >= config.near_containment)
            & (jac >= config.near_threshold / 2)
            & (np.minimum(ntok_a[ii], ntok_b[jj]) >= MIN_CONTAINED_TOKENS)
        )
        ok = (jac >= config.near_threshold) | contained
        ii, jj, jac = ii[ok], jj[ok], jac[ok]
        if not len(ii):
            continue
        order = np.lexsort((jj, ii, -jac))
        used_a: set[int] = set()
        used_b: set[int] = set()
        for k in order.tolist():
            i, j = int(ii[k]), int(jj[k])
            if i in used_a or j in used_b:
                continue
            sa, sb = spans_a[i], spans_b[j]
            if (a, *sa) in skip or (b, *sb) in skip:
                continue
            used_a.add(i)
            used_b.add(j)
            out.append(
                Passage(
                    a=Span(doc_ids[a], sa[0], sa[1]),
                    b=Span(doc_ids[b], sb[0], sb[1]),
                    similarity=float(jac[k]),
                    kind="near",
                    paragraphs=1,
                )
            )
    return sorted(out)
