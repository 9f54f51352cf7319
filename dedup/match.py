"""From LSH candidates to verified paragraph matches, passages and pairs.

* :func:`verify` keeps the candidate pairs whose exact Jaccard similarity (on
  the 64-bit shingle-hash sets) reaches the threshold.
* :func:`paragraph_matches` expands matches between distinct paragraph texts
  to every occurrence, and adds identical occurrences (similarity 1).
* :func:`build_passages` chains matches along diagonals into maximal runs of
  consecutive paragraphs.
* :func:`classify_pairs` turns passages into document pairs with coverage
  figures and a kind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._accel import kernels
from .align import AlignResult
from .config import Config
from .errors import ConfigError
from .lsh import banded_candidates, cap_links
from .models import Pair, Passage, Span
from .paragraphs import ParagraphTable
from .shingle import ShingleBatch
from .workers import concat_rows, map_slices

__all__ = [
    "MAX_CLIQUE",
    "MAX_COMPARE_PAIRS",
    "MAX_NEAR_LINKS",
    "ParagraphMatches",
    "PassageRuns",
    "build_passages",
    "cap_near_links",
    "check_pair_budget",
    "classify_pairs",
    "jaccard",
    "jaccard_pairs",
    "paragraph_matches",
    "repeat_links",
    "verified_candidates",
    "verified_candidates_counted",
    "verify",
]


def jaccard(x: np.ndarray, y: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted arrays of distinct values."""
    if len(x) == 0 and len(y) == 0:
        return 1.0
    if len(x) > len(y):
        x, y = y, x
    if len(x) == 0:
        return 0.0
    pos = np.searchsorted(y, x)
    pos[pos == len(y)] = 0
    inter = int(np.count_nonzero(y[pos] == x))
    return inter / (len(x) + len(y) - inter)


def jaccard_pairs(batch: ShingleBatch, pairs: np.ndarray, max_elements: int = 1 << 22) -> np.ndarray:
    """Exact Jaccard similarity of many pairs of sets at once.

    Each set is already sorted, so the intersection needs no sort: every
    value of the smaller set of a pair is looked up in the larger one by a
    binary search over its sorted run, for all values of all pairs at once
    (one vectorised step per halving, ``log2`` of the largest set's size in
    all). With the ``fast`` extra a compiled merge of the two runs per pair
    does the same (:func:`dedup._numba.intersect_rows`); both give the same
    counts, hence byte-identical similarities. Pairs are processed in chunks
    of about ``max_elements`` looked-up values.

    >>> b = ShingleBatch(np.array([1, 2, 3, 2, 3, 4, 9], dtype=np.uint64), np.array([0, 3, 6, 7]))
    >>> jaccard_pairs(b, np.array([[0, 1], [0, 2], [1, 1]])).tolist()
    [0.5, 0.0, 1.0]

    Args:
        batch: The sets (CSR rows, each sorted and distinct).
        pairs: ``(m, 2)`` row index pairs.
        max_elements: Values handled per chunk (bounds memory).

    Returns:
        A float64 array of the ``m`` similarities.
    """
    m = len(pairs)
    out = np.empty(m, dtype=np.float64)
    if m == 0:
        return out
    sizes = batch.sizes()
    offsets = batch.offsets
    pairs = np.asarray(pairs, dtype=np.int64)
    la = sizes[pairs[:, 0]]
    lb = sizes[pairs[:, 1]]
    # The smaller set of each pair is looked up in the larger one.
    swap = la > lb
    small = np.where(swap, pairs[:, 1], pairs[:, 0])
    large = np.where(swap, pairs[:, 0], pairs[:, 1])
    n_small = np.minimum(la, lb)
    fast = kernels(int(n_small.sum()))
    if fast is not None:
        inter = np.empty(m, dtype=np.int64)
        fast.intersect_rows(batch.hashes, offsets, small, large, inter)
    else:
        inter = _intersections(batch.hashes, offsets, small, large, n_small, np.maximum(la, lb), max_elements)
    union = la + lb - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        out[:] = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    return out


#: Bits of a pair's index in the composite search keys of :func:`_intersections`.
_PAIR_BITS = 24
_VALUE_SHIFT = np.uint64(_PAIR_BITS)


def _gather_rows(hashes: np.ndarray, offsets: np.ndarray, rows: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """The CSR rows ``rows`` (of sizes ``lens``) concatenated."""
    starts = np.zeros(len(lens), dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    return hashes[np.arange(int(lens.sum()), dtype=np.int64) + np.repeat(offsets[rows] - starts, lens)]


def _intersections(
    hashes: np.ndarray,
    offsets: np.ndarray,
    small: np.ndarray,
    large: np.ndarray,
    n_small: np.ndarray,
    n_large: np.ndarray,
    chunk: int,
) -> np.ndarray:
    """``|row small[k] & row large[k]|`` for every k (numpy path).

    Within a chunk, pair ``k``'s values ``v`` get the key ``k << 40 | v >> 24``.
    Each row is sorted, so the large rows' keys, concatenated in pair order,
    form one sorted array, and one ``searchsorted`` finds every small-row value
    in its own pair's large row; equal keys are then confirmed on the full
    values (values that share their top 40 bits are stepped through).
    """
    m = len(small)
    inter = np.zeros(m, dtype=np.int64)
    ends = np.cumsum(n_small + n_large)
    max_pairs = 1 << _PAIR_BITS
    first = 0
    while first < m:
        base = int(ends[first - 1]) if first else 0
        last = int(np.searchsorted(ends, base + chunk, side="right"))
        last = min(max(last, first + 1), m, first + max_pairs)
        ls, ll = n_small[first:last], n_large[first:last]
        k = np.arange(last - first, dtype=np.uint64) << np.uint64(64 - _PAIR_BITS)
        x = _gather_rows(hashes, offsets, small[first:last], ls)
        owner = np.repeat(np.arange(last - first, dtype=np.int64), ls)
        x_key = (x >> _VALUE_SHIFT) | np.repeat(k, ls)
        y = _gather_rows(hashes, offsets, large[first:last], ll)
        y_key = (y >> _VALUE_SHIFT) | np.repeat(k, ll)
        pos = np.searchsorted(y_key, x_key)
        n_y = len(y)
        found = np.zeros(len(x), dtype=bool)
        todo = np.flatnonzero(pos < n_y)
        while len(todo):
            p = pos[todo]
            same_key = y_key[p] == x_key[todo]
            todo, p = todo[same_key], p[same_key]
            hit = y[p] == x[todo]
            found[todo[hit]] = True
            # Same top bits, smaller value: the match, if any, is further on.
            step = ~hit & (y[p] < x[todo]) & (p + 1 < n_y)
            todo = todo[step]
            pos[todo] += 1
        inter[first:last] = np.bincount(owner[found], minlength=last - first)
        first = last
    return inter


def verified_candidates(table: ParagraphTable, threshold: float, jobs: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``verify(table.shingles, candidate_pairs(table.signatures, threshold), threshold)``.

    Boilerplate detection and paragraph matching need the same verified pairs:
    the pipeline computes them once and passes them to both (no cache on the table).
    ``jobs`` spreads the LSH bands and the verification over processes (same result).
    """
    return verified_candidates_counted(table, threshold, jobs)[0]


def verified_candidates_counted(
    table: ParagraphTable, threshold: float, jobs: int = 1
) -> tuple[tuple[np.ndarray, np.ndarray], int]:
    """:func:`verified_candidates` and the number of LSH buckets over :data:`dedup.lsh.MAX_BUCKET` members."""
    cands, oversized = banded_candidates(table.signatures, threshold, lambda: _content_rank(table.group_keys), jobs)
    verified = verify(table.shingles, cands, threshold, jobs=jobs)
    return verified, oversized


def _content_rank(keys: Sequence[bytes]) -> np.ndarray:
    """Each distinct text's position in content-key order (independent of input order)."""
    order = sorted(range(len(keys)), key=keys.__getitem__)
    rank = np.empty(len(keys), dtype=np.int64)
    rank[np.array(order, dtype=np.int64)] = np.arange(len(keys))
    return rank


#: Candidate pairs verified per step of :func:`verify` (bounds its temporary arrays).
VERIFY_CHUNK = 1 << 20


def verify(batch: ShingleBatch, pairs: np.ndarray, threshold: float, jobs: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Keep the candidate pairs whose exact Jaccard reaches the threshold.

    Candidates are verified :data:`VERIFY_CHUNK` at a time, so the temporary
    arrays stay bounded however many candidates there are; with ``jobs > 1``
    consecutive slices of them are verified in forked workers
    (:func:`dedup.workers.map_slices`) and joined in order (same result).

    Args:
        batch: Shingle sets indexed by the pair entries.
        pairs: ``(m, 2)`` candidate index pairs.
        threshold: Minimum Jaccard similarity.
        jobs: Processes (``0``: all cores).

    Returns:
        ``(kept_pairs, similarities)``.
    """
    if len(pairs) == 0:
        return pairs, np.empty(0, dtype=np.float64)
    parts = map_slices(_verify_part, (batch, pairs, threshold), len(pairs), jobs, min_items=VERIFY_MIN_PARALLEL)
    return concat_rows(parts, (pairs[:0], np.empty(0, dtype=np.float64)))


#: Fewer candidate pairs than this are verified in the calling process (a fork costs more).
VERIFY_MIN_PARALLEL = 200_000


def _verify_part(part: slice, shared: tuple[ShingleBatch, np.ndarray, float]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`verify` of the candidate pairs ``part``, in this process."""
    batch, all_pairs, threshold = shared
    pairs = all_pairs[part]
    sizes = batch.sizes()
    kept: list[np.ndarray] = []
    sims: list[np.ndarray] = []
    for start in range(0, len(pairs), VERIFY_CHUNK):
        chunk = pairs[start : start + VERIFY_CHUNK]
        # A pair can only reach the threshold if min/max size does.
        sa, sb = sizes[chunk[:, 0]], sizes[chunk[:, 1]]
        chunk = chunk[np.minimum(sa, sb) >= threshold * np.maximum(sa, sb)]
        s = jaccard_pairs(batch, chunk)
        keep = s >= threshold
        kept.append(chunk[keep])
        sims.append(s[keep])
    return np.concatenate(kept), np.concatenate(sims)


def enough_shared(
    batch: ShingleBatch, pairs: np.ndarray, sims: np.ndarray, min_shared: int
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the verified pairs that share at least ``min_shared`` shingles."""
    if min_shared <= 1 or len(pairs) == 0:
        return pairs, sims
    sizes = batch.sizes()
    total = sizes[pairs[:, 0]] + sizes[pairs[:, 1]]
    shared = np.rint(sims * total / (1.0 + sims))  # |A & B| from J and |A| + |B|
    keep = shared >= min_shared
    return pairs[keep], sims[keep]


@dataclass
class ParagraphMatches:
    """Matches between paragraph occurrences (rows of a ParagraphTable).

    Attributes:
        p: First occurrence (row index), the earlier one.
        q: Second occurrence.
        sim: Exact Jaccard similarity.
        exact: Whether both are identical after normalization.
    """

    p: np.ndarray
    q: np.ndarray
    sim: np.ndarray
    exact: np.ndarray
    #: Paragraph texts with more than :data:`MAX_NEAR_LINKS` verified partners
    #: (their links were cut by :func:`cap_near_links`: a bound that changes results).
    capped_texts: int = 0

    def __len__(self) -> int:
        return len(self.p)


class _GroupMembers:
    """The rows of each group, sorted; ``members[g]`` is a slice (no per-group arrays are built).

    Rows where ``excluded`` is true are left out.
    """

    def __init__(self, group: np.ndarray, n_groups: int, excluded: np.ndarray | None = None) -> None:
        order = np.argsort(group, kind="stable")
        if excluded is not None:
            order = order[~excluded[order]]
        self.order = order
        self.counts = np.bincount(group[order], minlength=n_groups)
        self.starts = np.zeros(n_groups, dtype=np.int64)
        if n_groups > 1:
            np.cumsum(self.counts[:-1], out=self.starts[1:])

    def __getitem__(self, g: int) -> np.ndarray:
        s = int(self.starts[g])
        return self.order[s : s + int(self.counts[g])]

    def repeated(self) -> list[np.ndarray]:
        """Members of the groups with more than one row, in group order."""
        return [self[g] for g in np.nonzero(self.counts > 1)[0].tolist()]


def _group_members(group: np.ndarray, n_groups: int, excluded: np.ndarray | None = None) -> _GroupMembers:
    return _GroupMembers(group, n_groups, excluded)


#: Occurrences of one paragraph text above which its occurrences are linked
#: as a star (each to the first) instead of all pairs, bounding the matches.
MAX_CLIQUE = 100


def _all_pairs(order: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair ``(i < j)`` of members of each group ``order[starts[g]:starts[g] + counts[g]]``, all at once.

    >>> a, b = _all_pairs(np.array([5, 6, 7, 8, 9]), np.array([0, 3]), np.array([3, 2]))
    >>> list(zip(a.tolist(), b.tolist()))
    [(5, 6), (5, 7), (6, 7), (8, 9)]
    """
    entries = np.repeat(starts, counts) + (
        np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    rem = np.repeat(starts + counts, counts) - entries - 1
    left = np.repeat(entries, rem)
    right = left + 1 + (np.arange(int(rem.sum()), dtype=np.int64) - np.repeat(np.cumsum(rem) - rem, rem))
    return order[left], order[right]


def _link(m1: np.ndarray, m2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Occurrence pairs linking two member lists (all pairs, or stars when large)."""
    if len(m1) * len(m2) <= MAX_CLIQUE * MAX_CLIQUE:
        return np.repeat(m1, len(m2)), np.tile(m2, len(m1))
    return np.concatenate([np.full(len(m2), m1[0]), m1[1:]]), np.concatenate([m2, np.full(len(m1) - 1, m2[0])])


#: Verified near-identical partners (distinct texts) each paragraph text keeps
#: at least. A text with more (a template repeated with small changes in
#: thousands of paragraphs) would give that many matches, passages and pairs
#: per occurrence; its links are then cut to the :data:`MAX_NEAR_LINKS` most
#: similar partners of each text (ties: the earlier text) plus a spanning
#: forest of all verified links, so every group of near-identical texts stays
#: connected (clusters and boilerplate are unchanged) at a linear cost.
MAX_NEAR_LINKS = 16


def repeat_links(members: np.ndarray, doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Links between the occurrences of one text with more than :data:`MAX_CLIQUE` occurrences.

    Inside each document, its ``k`` occurrences are linked half a run apart
    (occurrence ``i`` with ``i + k // 2``), so a run of repeated lines gives one
    or two passages (first half against second half) instead of one per line.
    Each occurrence in a later document is linked to the first document's
    occurrences in turn (occurrence ``i`` to that document's ``i mod k0``):
    with one occurrence in the first document this is a star to the first
    occurrence, and two runs of repeats line up along one diagonal.

    >>> a, b = repeat_links(np.arange(8), np.array([0, 0, 0, 0, 0, 0, 1, 1]))
    >>> list(zip(a.tolist(), b.tolist()))
    [(0, 3), (1, 4), (2, 5), (6, 7), (0, 6), (1, 7)]

    Args:
        members: The occurrences (table rows), sorted.
        doc: Document of each occurrence.

    Returns:
        ``(first, second)`` row arrays, ``first < second``.
    """
    starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
    counts = np.diff(np.r_[starts, len(members)])
    index = np.arange(len(members)) - np.repeat(starts, counts)  # position inside its document
    k = np.repeat(counts, counts)
    half = k // 2
    inner = (half > 0) & (index < k - half)
    ia = np.flatnonzero(inner)
    k0 = int(counts[0])
    later = np.arange(k0, len(members))
    a = np.concatenate([members[ia], members[index[later] % k0]])
    b = np.concatenate([members[ia + half[ia]], members[later]])
    return a, b


def cap_near_links(pairs: np.ndarray, sims: np.ndarray, n_groups: int, links: int = MAX_NEAR_LINKS) -> np.ndarray:
    """Boolean mask of the verified pairs kept (all of them unless a text has more than ``links``).

    A pair is kept when it is among the ``links`` most similar pairs of
    either of its texts (ties: the smaller partner index), or is an edge of
    a spanning forest of all pairs (:func:`dedup.lsh.cap_links`).

    >>> pairs = np.array([[0, 1], [0, 2], [0, 3], [2, 3]])
    >>> cap_near_links(pairs, np.array([0.9, 0.8, 0.5, 0.4]), 4, links=1).tolist()
    [True, True, True, False]
    """
    return cap_links(pairs, sims, n_groups, links)


def paragraph_matches(
    table: ParagraphTable,
    config: Config,
    excluded_rows: np.ndarray | None = None,
    verified: tuple[np.ndarray, np.ndarray] | None = None,
) -> ParagraphMatches:
    """All verified matches between fingerprinted paragraph occurrences.

    A paragraph text with more than :data:`MAX_CLIQUE` occurrences links them
    with :func:`repeat_links` (not every pair), and texts with more than
    :data:`MAX_NEAR_LINKS` near-identical partners keep only the links of
    :func:`cap_near_links`, so matches stay linear in the number of
    occurrences.

    Args:
        table: The prepared paragraphs.
        config: Settings (threshold).
        excluded_rows: Boolean mask of rows left out (boilerplate); ``None``
            keeps all.
        verified: ``verified_candidates(table, config.threshold)`` when the
            caller already has it (boilerplate detection needs the same
            pairs); computed here otherwise.

    Returns:
        Matches with ``p < q`` (row order: document, then position).
    """
    n_groups = len(table.group_keys)
    excluded = excluded_rows if excluded_rows is not None and excluded_rows.any() else None
    members = _group_members(table.group, n_groups, excluded)
    ps: list[np.ndarray] = []
    qs: list[np.ndarray] = []
    sims: list[np.ndarray] = []
    exact: list[np.ndarray] = []
    # Identical occurrences: every pair of each group of up to MAX_CLIQUE rows at once.
    counts = members.counts
    clique = np.flatnonzero((counts > 1) & (counts <= MAX_CLIQUE))
    if len(clique):
        a, b = _all_pairs(members.order, members.starts[clique], counts[clique])
        ps.append(a)
        qs.append(b)
        sims.append(np.ones(len(a)))
        exact.append(np.ones(len(a), dtype=bool))
    for g in np.flatnonzero(counts > MAX_CLIQUE).tolist():
        m = members[g]
        a, b = repeat_links(m, table.doc[m])
        ps.append(a)
        qs.append(b)
        sims.append(np.ones(len(a)))
        exact.append(np.ones(len(a), dtype=bool))
    # Similar distinct texts.
    kept, ksims = verified if verified is not None else verified_candidates(table, config.threshold)
    kept, ksims = enough_shared(table.shingles, kept, ksims, config.min_shared)
    capped = cap_near_links(kept, ksims, n_groups)
    n_capped = int((np.bincount(kept.reshape(-1), minlength=n_groups) > MAX_NEAR_LINKS).sum()) if len(kept) else 0
    kept, ksims = kept[capped], ksims[capped]
    if len(kept):
        c1, c2 = counts[kept[:, 0]], counts[kept[:, 1]]
        prod = c1 * c2
        # Pairs of texts whose occurrences are few enough for all pairs: all at once.
        full = (prod > 0) & (prod <= MAX_CLIQUE * MAX_CLIQUE)
        if full.any():
            g1, g2, n1, n2 = kept[full, 0], kept[full, 1], c1[full], c2[full]
            k = np.repeat(np.arange(len(g1), dtype=np.int64), n1 * n2)
            i = np.arange(len(k), dtype=np.int64) - np.repeat(np.cumsum(n1 * n2) - n1 * n2, n1 * n2)
            a = members.order[members.starts[g1][k] + i // n2[k]]
            b = members.order[members.starts[g2][k] + i % n2[k]]
            ps.append(np.minimum(a, b))
            qs.append(np.maximum(a, b))
            sims.append(ksims[full][k])
            exact.append(np.zeros(len(a), dtype=bool))
        for (g1, g2), sim in zip(kept[prod > MAX_CLIQUE * MAX_CLIQUE].tolist(), ksims[prod > MAX_CLIQUE * MAX_CLIQUE]):
            a, b = _link(members[g1], members[g2])
            ps.append(np.minimum(a, b))
            qs.append(np.maximum(a, b))
            sims.append(np.full(len(a), sim))
            exact.append(np.zeros(len(a), dtype=bool))
    if not ps:
        e = np.empty(0, dtype=np.int64)
        return ParagraphMatches(e, e.copy(), np.empty(0), np.empty(0, dtype=bool), n_capped)
    return ParagraphMatches(
        np.concatenate(ps), np.concatenate(qs), np.concatenate(sims), np.concatenate(exact), n_capped
    )


def union_set(batch: ShingleBatch, groups: Sequence[int]) -> np.ndarray:
    if len(groups) == 1:
        return batch.get(groups[0])
    return np.unique(np.concatenate([batch.get(g) for g in groups]))


class PassageRuns(Sequence[tuple[int, int, np.ndarray, np.ndarray]]):
    """The runs of :func:`build_passages`, one per passage, as ``(doc_a, doc_b, rows_a, rows_b)``.

    Held as six arrays (the sorted match rows and each run's documents and
    bounds), not as a tuple of two arrays per run: a dense corpus has about a
    million runs, and a tuple of two numpy views costs about 300 bytes each.
    Each item is built when it is read.

    >>> r = PassageRuns(np.array([3, 4, 9]), np.array([7, 8, 12]), np.array([0, 1]), np.array([2, 2]),
    ...                 np.array([0, 2]), np.array([2, 3]))
    >>> [(a, b, x.tolist(), y.tolist()) for a, b, x, y in r]
    [(0, 2, [3, 4], [7, 8]), (1, 2, [9], [12])]
    """

    def __init__(
        self, p: np.ndarray, q: np.ndarray, doc_a: np.ndarray, doc_b: np.ndarray, starts: np.ndarray, ends: np.ndarray
    ) -> None:
        self._p, self._q = p, q
        self._a, self._b = doc_a, doc_b
        self._s, self._e = starts, ends

    def __len__(self) -> int:
        return len(self._a)

    def __getitem__(self, k):  # type: ignore[no-untyped-def, override]
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        i, j = int(self._s[k]), int(self._e[k])
        return (int(self._a[k]), int(self._b[k]), self._p[i:j], self._q[i:j])

    def __iter__(self):  # type: ignore[no-untyped-def]
        p, q = self._p, self._q
        for a, b, i, j in zip(self._a.tolist(), self._b.tolist(), self._s.tolist(), self._e.tolist()):
            yield (a, b, p[i:j], q[i:j])


def build_passages(
    table: ParagraphTable, matches: ParagraphMatches, doc_ids: Sequence[str]
) -> tuple[list[Passage], Sequence[tuple[int, int, np.ndarray, np.ndarray]]]:
    """Chain paragraph matches into maximal runs of consecutive paragraphs.

    Two matches ``(i, j)`` and ``(i + 1, j + 1)`` (positions among each
    document's fingerprinted paragraphs) in the same two documents extend one
    run. Inside one document a run stops before its first span would reach
    its second.

    Args:
        table: The prepared paragraphs.
        matches: Paragraph matches.
        doc_ids: Document id of each document index.

    Returns:
        ``(passages, runs)`` where ``runs`` holds, per passage,
        ``(doc_a, doc_b, rows_a, rows_b)`` (table rows of each side; a
        :class:`PassageRuns`).
    """
    if len(matches) == 0:
        return [], []
    da, db = table.doc[matches.p], table.doc[matches.q]
    oa, ob = table.ordinal[matches.p], table.ordinal[matches.q]
    diag = ob - oa
    order = np.lexsort((oa, diag, db, da))
    p, q = matches.p[order], matches.q[order]
    da, db, oa, diag = da[order], db[order], oa[order], diag[order]
    exact = matches.exact[order]
    sims = matches.sim[order]
    ob = ob[order]

    n = len(p)
    # A match continues the run of the one before it when both lie in the same two documents, on
    # the same diagonal, one paragraph further on.
    cont = np.zeros(n, dtype=bool)
    cont[1:] = (da[1:] == da[:-1]) & (db[1:] == db[:-1]) & (diag[1:] == diag[:-1]) & (oa[1:] == oa[:-1] + 1)
    starts = np.flatnonzero(~cont)
    same_doc = da[starts] == db[starts]
    if same_doc.any():
        # Inside one document a run stops before its first span would reach its second: the cut
        # depends on where the run started, so these (rare) chains are cut one by one.
        ends = np.r_[starts[1:], n]
        oa_l, ob_l = oa.tolist(), ob.tolist()
        cuts: list[int] = []
        for i, end in zip(starts[same_doc].tolist(), ends[same_doc].tolist()):
            first = i
            for j in range(i + 1, end):
                if not oa_l[j] < ob_l[first]:
                    cuts.append(j)
                    first = j
        if cuts:
            starts = np.sort(np.concatenate([starts, np.array(cuts, dtype=np.int64)]))  # cuts are not starts
    ends = np.r_[starts[1:], n]
    lengths = ends - starts
    all_exact = np.logical_and.reduceat(exact, starts) if n else np.empty(0, dtype=bool)
    first_rows, last_rows = p[starts], p[ends - 1]
    first_b, last_b = q[starts], q[ends - 1]
    run_sims = sims[starts].tolist()
    for k in np.flatnonzero(lengths > 1).tolist():
        i, j = int(starts[k]), int(ends[k])
        run_sims[k] = jaccard(
            union_set(table.shingles, table.group[p[i:j]].tolist()),
            union_set(table.shingles, table.group[q[i:j]].tolist()),
        )
    a_docs, b_docs = da[starts].tolist(), db[starts].tolist()
    passages = [
        Passage(
            a=Span(doc_ids[ad], a0, a1),
            b=Span(doc_ids[bd], b0, b1),
            similarity=sim,
            kind="exact" if ex else "near",
            paragraphs=ln,
        )
        for ad, bd, a0, a1, b0, b1, sim, ex, ln in zip(
            a_docs,
            b_docs,
            table.start[first_rows].tolist(),
            table.end[last_rows].tolist(),
            table.start[first_b].tolist(),
            table.end[last_b].tolist(),
            run_sims,
            all_exact.tolist(),
            lengths.tolist(),
        )
    ]
    return passages, PassageRuns(p, q, da[starts], db[starts], starts, ends)


def classify_pairs(
    table: ParagraphTable,
    runs: Sequence[tuple[int, int, np.ndarray, np.ndarray]],
    doc_ids: Sequence[str],
    config: Config,
    excluded_rows: np.ndarray | None = None,
    aligned: AlignResult | None = None,
) -> list[Pair]:
    """Score document pairs that share passages or have identical text.

    Coverage of ``a`` by ``b`` is the token-weighted fraction of ``a``'s
    fingerprinted paragraphs that lie in a passage shared with ``b``. With
    ``aligned`` (the result of :func:`dedup.align.align_documents`), it is the
    fraction of ``a``'s word tokens (boilerplate left out) inside the spans of
    the passages shared with ``b``, whatever their paragraph borders, so a
    re-paragraphed copy or a text of copied sentences is scored by what was
    copied.

    Args:
        table: The prepared paragraphs.
        runs: Per passage, ``(doc_a, doc_b, rows_a, rows_b)``.
        doc_ids: Document id of each document index.
        config: Settings (coverage_threshold).
        excluded_rows: Boolean mask of paragraph rows left out of pair scores
            (boilerplate); ``None`` keeps all.
        aligned: Aligned passages and tokens; when given, ``runs`` are not
            used for coverage.

    Returns:
        Pairs of kind ``duplicate``, ``near_duplicate`` or ``containment``.
    """
    n_docs = len(doc_ids)
    t = config.coverage_threshold
    token_cov: dict[tuple[int, int], tuple[float, float, int]] = {}
    if aligned is not None:
        both = aligned.aligned
        cov = _token_coverage(aligned, doc_ids)
        # Only the pairs that can become one (coverage at the threshold) are read out of the arrays;
        # the others of the token coverage are looked up when identical (a duplicate needs its count).
        ca_, cb_ = cov.code // n_docs, cov.code % n_docs
        token_cov = cov.rows(both[ca_] & both[cb_] & (np.maximum(cov.cov_a, cov.cov_b) >= t))
    weight = table.ntokens.astype(np.float64)
    if excluded_rows is not None:
        weight = np.where(excluded_rows, 0.0, weight)
    doc_total = np.bincount(table.doc, weights=weight, minlength=n_docs)
    covered: dict[tuple[int, int], list[set[int]]] = defaultdict(lambda: [set(), set()])
    n_passages: dict[tuple[int, int], int] = defaultdict(int)
    both_l = aligned.aligned.tolist() if aligned is not None else []
    for a, b, rows_a, rows_b in runs:
        if a == b or (aligned is not None and both_l[a] and both_l[b]):
            continue  # pairs of aligned documents are scored by tokens, not by these runs
        c = covered[(a, b)]
        c[0].update(rows_a.tolist())
        c[1].update(rows_b.tolist())
        n_passages[(a, b)] += 1
    by_key: dict[bytes, list[int]] = defaultdict(list)
    for i, k in enumerate(table.doc_keys):
        if k:
            by_key[k].append(i)
    identical: set[tuple[int, int]] = set()
    for docs in by_key.values():
        if len(docs) > MAX_CLIQUE:  # a star to the first copy: linear, and one cluster all the same
            identical.update((docs[0], d) for d in docs[1:])
            continue
        for x in range(len(docs)):
            for y in range(x + 1, len(docs)):
                identical.add((docs[x], docs[y]))

    doc_sets: dict[int, np.ndarray] = {}

    def doc_set(d: int) -> np.ndarray:
        s = doc_sets.get(d)
        if s is None:
            # Rows are in document order: the document's rows are one range.
            lo, hi = np.searchsorted(table.doc, [d, d + 1])
            rows = np.arange(lo, hi)
            if excluded_rows is not None:
                rows = rows[~excluded_rows[rows]]
            groups = sorted(set(table.group[rows].tolist()))
            s = union_set(table.shingles, groups) if groups else np.empty(0, dtype=np.uint64)
            doc_sets[d] = s
        return s

    pairs: list[Pair] = []
    keys = set(covered) | set(token_cov)
    for key in sorted(keys | identical):
        a, b = key
        if aligned is not None and aligned.aligned[a] and aligned.aligned[b]:
            found = token_cov.get(key)
            if found is None and key in identical:
                found = cov.get(key)
            cov_a, cov_b, n_pas = found if found is not None else (0.0, 0.0, 0)
        else:
            rows_a, rows_b = covered.get(key, (set(), set()))
            cov_a = _coverage(weight, rows_a, doc_total[a])
            cov_b = _coverage(weight, rows_b, doc_total[b])
            n_pas = n_passages.get(key, 0)
        if key in identical:
            kind = "duplicate"
            cov_a = cov_b = 1.0
            sim = 1.0
        else:
            if min(cov_a, cov_b) >= t:
                kind = "near_duplicate"
            elif max(cov_a, cov_b) >= t:
                kind = "containment"
            else:
                continue
            sim = jaccard(doc_set(a), doc_set(b))
        pairs.append(Pair(doc_ids[a], doc_ids[b], kind, sim, cov_a, cov_b, n_pas))
    return pairs


#: Document pairs ``dedup compare`` scores at most (632 documents): it scores
#: every pair, at about 2.6 KB and 70 us each, so 2,000 documents (about
#: 2 million pairs) took 139 s and 5.3 GB before this guard.
MAX_COMPARE_PAIRS = 200_000


def check_pair_budget(n_docs: int, limit: int | None = None) -> int:
    """The number of pairs among ``n_docs`` documents, refused above ``limit``.

    For a command that scores every pair (``dedup compare``); a corpus
    belongs in a scan, whose cost is linear.

    >>> check_pair_budget(3)
    3
    >>> try:
    ...     check_pair_budget(1000)
    ... except ConfigError as exc:
    ...     print(str(exc)[:72])
    compare scores every pair: 1,000 documents make 499,500 pairs, more than

    Raises:
        ConfigError: More than ``limit`` pairs.
    """
    limit = MAX_COMPARE_PAIRS if limit is None else limit
    pairs = n_docs * (n_docs - 1) // 2
    if pairs > limit:
        most = int((1 + (1 + 8 * limit) ** 0.5) // 2)
        raise ConfigError(
            f"compare scores every pair: {n_docs:,} documents make {pairs:,} pairs, more than the "
            f"{limit:,} allowed ({most:,} documents); use 'dedup scan' for a corpus (it reports only the pairs "
            "that match)"
        )
    return pairs


@dataclass(frozen=True)
class _TokenCoverage:
    """Aligned token coverage of every document pair sharing a passage (arrays, one row per pair).

    Attributes:
        code: ``a * n_docs + b`` of each pair ``a < b``, sorted.
        cov_a: Share of ``a``'s tokens in passages shared with ``b``.
        cov_b: Share of ``b``'s tokens in passages shared with ``a``.
        count: Passages between the two.
        n_docs: Documents (the base of ``code``).
    """

    code: np.ndarray
    cov_a: np.ndarray
    cov_b: np.ndarray
    count: np.ndarray
    n_docs: int

    def get(self, key: tuple[int, int]) -> tuple[float, float, int] | None:
        """``(cov_a, cov_b, count)`` of the pair ``key`` (``a < b``), ``None`` when it shares no passage."""
        c = key[0] * self.n_docs + key[1]
        i = int(np.searchsorted(self.code, c))
        if i == len(self.code) or int(self.code[i]) != c:
            return None
        return float(self.cov_a[i]), float(self.cov_b[i]), int(self.count[i])

    def rows(self, mask: np.ndarray) -> dict[tuple[int, int], tuple[float, float, int]]:
        """The pairs of the rows where ``mask`` holds, as ``{(a, b): (cov_a, cov_b, count)}``."""
        idx = np.flatnonzero(mask)
        code = self.code[idx]
        return {
            (a, b): (ca, cb, n)
            for a, b, ca, cb, n in zip(
                (code // self.n_docs).tolist(),
                (code % self.n_docs).tolist(),
                self.cov_a[idx].tolist(),
                self.cov_b[idx].tolist(),
                self.count[idx].tolist(),
            )
        }


def _token_coverage(aligned: AlignResult, doc_ids: Sequence[str]) -> _TokenCoverage:
    """Per document pair ``(a, b)``, ``a < b``: the share of each one's tokens in shared passages, and their number.

    Tokens are those of :func:`dedup.align.tokenize`, boilerplate left out; a
    token counts when its word starts inside a passage span. All passages are
    read once into arrays; the union of the spans per pair and side is then
    computed for all pairs at once (no per-pair Python objects).
    """
    n_docs = len(doc_ids)
    index = {d: i for i, d in enumerate(doc_ids)}
    # One pass over the passages: (doc a, start, end, doc b, start, end) per passage.
    flat = np.fromiter(
        (x for p in aligned.passages for x in (index[p.a.doc], p.a.start, p.a.end, index[p.b.doc], p.b.start, p.b.end)),
        dtype=np.int64,
        count=6 * len(aligned.passages),
    ).reshape(-1, 6)
    ia, a_s, a_e, ib, b_s, b_e = (flat[:, c] for c in range(6))
    cross = ia != ib
    e = np.empty(0, dtype=np.int64)
    if not cross.any():
        return _TokenCoverage(e, np.empty(0), np.empty(0), e, n_docs)
    ia, ib, a_s, a_e, b_s, b_e = ia[cross], ib[cross], a_s[cross], a_e[cross], b_s[cross], b_e[cross]
    swap = ia > ib
    lo_doc, hi_doc = np.where(swap, ib, ia), np.where(swap, ia, ib)
    code, pair_of, count = np.unique(lo_doc * np.int64(n_docs) + hi_doc, return_inverse=True, return_counts=True)
    pair_of = pair_of.reshape(-1)
    n_keys = len(code)
    # Side 0 is the lower document of the pair, side 1 the higher one.
    grp_a = np.concatenate([2 * pair_of, 2 * pair_of + 1])
    doc_a = np.concatenate([lo_doc, hi_doc])
    ss = np.concatenate([np.where(swap, b_s, a_s), np.where(swap, a_s, b_s)])
    ee = np.concatenate([np.where(swap, b_e, a_e), np.where(swap, a_e, b_e)])
    docs_used = np.unique(doc_a)
    where = np.full(n_docs, -1, dtype=np.int64)
    where[docs_used] = np.arange(len(docs_used))
    used = docs_used.tolist()
    lens = np.array([len(aligned.tokens[d]) for d in used], dtype=np.int64)
    first = np.cumsum(lens) - lens
    kfirst = first + np.arange(len(used), dtype=np.int64)  # each document has len + 1 counts
    big = np.int64(int(max((int(aligned.tokens[d].end[-1]) for d in used if len(aligned.tokens[d])), default=0)) + 2)
    starts = np.concatenate([aligned.tokens[d].start for d in used] + [np.empty(0, dtype=np.int64)])
    skey = np.repeat(np.arange(len(used), dtype=np.int64), lens) * big + starts
    kept = np.concatenate([np.concatenate(([0], np.cumsum(~aligned.masks[d], dtype=np.int64))) for d in used])
    dd_a = where[doc_a]
    ss_a, ee_a = np.minimum(ss, big - 1), np.minimum(ee, big - 1)
    lo = np.searchsorted(skey, dd_a * big + ss_a) - first[dd_a]
    hi = np.searchsorted(skey, dd_a * big + ee_a) - first[dd_a]
    o = np.lexsort((hi, lo, grp_a))
    grp_a, dd_a, lo, hi = grp_a[o], dd_a[o], lo[o], hi[o]
    # End of the union so far inside each group (running maximum that restarts per group).
    n_tok_max = np.int64(int(lens.max()) + 1)
    run = np.maximum.accumulate(grp_a * n_tok_max + hi) - grp_a * n_tok_max
    prev_end = np.zeros(len(hi), dtype=np.int64)
    same = np.zeros(len(hi), dtype=bool)
    same[1:] = grp_a[1:] == grp_a[:-1]
    prev_end[1:] = np.where(same[1:], run[:-1], 0)
    lo2 = np.maximum(lo, prev_end)
    part = np.where(hi > lo2, kept[kfirst[dd_a] + np.maximum(hi, lo2)] - kept[kfirst[dd_a] + lo2], 0)
    covered = np.bincount(grp_a, weights=part, minlength=2 * n_keys).astype(np.int64)
    totals = kept[kfirst + lens]

    def share(side_covered: np.ndarray, docs: np.ndarray) -> np.ndarray:
        total = totals[where[docs]]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.minimum(1.0, side_covered.astype(np.float64) / np.maximum(total, 1).astype(np.float64))
        return np.where(total > 0, frac, 0.0)

    cov_a = share(covered[0::2], code // n_docs)
    cov_b = share(covered[1::2], code % n_docs)
    return _TokenCoverage(code, cov_a, cov_b, count.astype(np.int64), n_docs)


def _coverage(weight: np.ndarray, rows: set[int], total: float) -> float:
    if total <= 0 or not rows:
        return 0.0
    return min(1.0, float(weight[list(rows)].sum()) / total)
