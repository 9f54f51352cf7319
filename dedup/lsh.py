"""Vectorised MinHash LSH banding.

The signature matrix is cut into ``b`` bands of ``r`` rows, with ``(b, r)``
chosen exactly as ``datasketch.MinHashLSH`` chooses them for a threshold and
``num_perm`` (the false-positive/false-negative weights 0.5/0.5). Two
signatures are candidates when any band is equal in both, which is the
candidate set ``MinHashLSH.query`` returns. Instead of inserting each item into
``b`` dicts, each band is reduced to a 64-bit key, all keys are sorted at once,
and runs of equal keys are expanded into pairs; every pair found through a
64-bit key is then confirmed by comparing the band's actual values, so a key
collision never yields a candidate datasketch would not. Buckets of more than
:data:`MAX_BUCKET` members are the one departure from datasketch: they give
linked windows rather than every pair (quadratic otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from .workers import map_slices

__all__ = [
    "BUCKET_LINKS",
    "MAX_BUCKET",
    "band_keys",
    "banded_candidates",
    "candidate_pairs",
    "cap_links",
    "cap_windows",
    "lsh_params",
    "sorted_distinct",
    "window_pairs",
]


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` as ``datasketch.MinHashLSH(threshold, num_perm)`` picks them.

    datasketch minimises ``0.5 * FP + 0.5 * FN`` over every ``b * r <=
    num_perm``, where FP is the integral over ``[0, threshold]`` of the
    probability ``1 - (1 - s**r)**b`` that two sets of Jaccard ``s`` share a
    band, and FN the integral over ``[threshold, 1]`` of its complement. It
    integrates numerically with ``scipy.integrate.quad`` (importing datasketch
    and scipy costs about 0.8 s of CPU per process). The integrand is a
    polynomial in ``s`` of degree ``b * r <= num_perm``, which Gauss-Legendre
    quadrature with ``num_perm // 2 + 1`` nodes integrates exactly (up to
    rounding), so the same integrals are computed here with numpy alone, for
    all ``(b, r)`` at once, and the first minimum in datasketch's order
    (``b``, then ``r``, ascending) is returned. ``tests/test_lsh.py`` checks
    the choice against datasketch's over a grid of thresholds and ``num_perm``.

    >>> lsh_params(0.5, 128), lsh_params(0.3, 128)
    ((25, 5), (37, 3))

    Args:
        threshold: Jaccard threshold in (0, 1].
        num_perm: Signature length.

    Returns:
        The number of bands ``b`` and rows per band ``r`` (``b * r <= num_perm``).
    """
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)
    t = float(threshold)
    below = (nodes + 1.0) * (t / 2.0)  # nodes mapped onto [0, t]
    above = t + (nodes + 1.0) * ((1.0 - t) / 2.0)  # onto [t, 1]
    best, best_error = (0, 0), float("inf")
    for r in range(1, num_perm + 1):
        # (1 - s**r)**b for b = 1 .. num_perm // r, one row per b.
        n_b = num_perm // r
        miss_below = np.cumprod(np.broadcast_to(1.0 - below**r, (n_b, len(nodes))), axis=0)
        miss_above = np.cumprod(np.broadcast_to(1.0 - above**r, (n_b, len(nodes))), axis=0)
        fp = ((1.0 - miss_below) @ weights) * (t / 2.0)
        fn = (miss_above @ weights) * ((1.0 - t) / 2.0)
        error = fp * 0.5 + fn * 0.5
        b = int(np.argmin(error))  # the first minimum over b for this r
        # datasketch scans b, then r, keeping the first strict minimum.
        if error[b] < best_error or (error[b] == best_error and b + 1 < best[0]):
            best, best_error = (b + 1, r), float(error[b])
    return best


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Hash each band of each signature to a 64-bit key.

    Args:
        signatures: ``(n, num_perm)`` uint32 signatures.
        bands: Number of bands.
        rows: Rows per band.

    Returns:
        A ``(n, bands)`` uint64 array of band keys.
    """
    n = signatures.shape[0]
    out = np.empty((n, bands), dtype=np.uint64)
    for band in range(bands):
        out[:, band] = _band_key(signatures, band, rows)
    return out


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S29 = np.uint64(29)


def _band_key(signatures: np.ndarray, band: int, rows: int) -> np.ndarray:
    """The uint64 key of one band of every signature (a column of :func:`band_keys`).

    Computed one band at a time so no ``(n, num_perm)`` uint64 copy of the
    signatures is ever made.
    """
    n = signatures.shape[0]
    h = np.full(n, _FNV_OFFSET, dtype=np.uint64)
    col = np.empty(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(rows):
            col[:] = signatures[:, band * rows + k]
            h ^= col
            h *= _FNV_PRIME
            h ^= h >> _S29
        h += np.uint64(band) * _GOLDEN
    return h


#: Members of one band bucket up to which every pair is a candidate (as in
#: datasketch). A bigger bucket (a template repeated with small changes in
#: thousands of paragraphs) would make its size squared candidates; its
#: members are then put in canonical order and each is paired with the next
#: :data:`BUCKET_LINKS` only, which keeps the whole bucket connected (so its
#: paragraphs still form one group, e.g. for boilerplate detection) at a
#: linear cost. Across bands the windows differ (each band's bucket holds
#: another subset of the template's paragraphs), so their union is capped
#: too (:func:`cap_windows`): every chain link (a member and the next one of
#: its bucket) is kept, and of the other window links each member keeps the
#: :data:`BUCKET_LINKS` partners nearest to it in canonical order.
#:
#: 64 since issue 18 (200 before): on corpora that share sentences heavily the
#: buckets grow with the corpus (each sentence in ~280 of 20,000 documents gives
#: buckets of up to ~680 paragraphs), and all pairs of buckets up to 200 made
#: 17M candidates at 20,000 dense documents (9.2M at 64), quadratic in the
#: corpus. On the 190k-paragraph benchmark corpus 64 loses 1 of its 2,873
#: verified pairs (200 kept them all). A run that reaches the bound says so
#: in its output (``ScanResult.limits``).
MAX_BUCKET = 64
#: Following members each member of an oversized bucket is paired with.
BUCKET_LINKS = 10


def window_pairs(members: np.ndarray, links: int = BUCKET_LINKS) -> np.ndarray:
    """Pairs of each member with the next ``links`` members (in the given order).

    The first ``len(members) - 1`` rows are the chain links (each member and
    the next one).

    >>> window_pairs(np.array([4, 7, 9]), links=2).tolist()
    [[4, 7], [7, 9], [4, 9]]

    Args:
        members: Item indices in canonical order.
        links: How many following members each is paired with.

    Returns:
        An ``(m, 2)`` int64 array, ``m = sum(max(0, len(members) - d) for d in 1..links)``.
    """
    parts = [np.stack([members[:-d], members[d:]], axis=1) for d in range(1, min(links, len(members) - 1) + 1)]
    return np.concatenate(parts).astype(np.int64) if parts else np.empty((0, 2), dtype=np.int64)


def cap_windows(chain: np.ndarray, window: np.ndarray, rank: np.ndarray, links: int = BUCKET_LINKS) -> np.ndarray:
    """The window links of oversized buckets kept over all bands.

    Every chain link is kept (so each bucket stays connected); of the other
    window links, each member keeps those to the ``links`` partners that
    follow it most closely in canonical order (ties: the earlier partner).

    >>> rank = np.arange(6)
    >>> chain = np.array([[0, 2], [2, 4]])
    >>> window = np.array([[0, 1], [0, 3], [0, 5], [1, 5]])
    >>> cap_windows(chain, window, rank, links=1).tolist()
    [[0, 1], [0, 2], [1, 5], [2, 4]]

    Args:
        chain: ``(m, 2)`` chain links ``(i, j)``, ``i < j``, distinct.
        window: ``(k, 2)`` other window links, ``i < j``, distinct.
        rank: Canonical position of every item.
        links: Window partners kept per member.

    Returns:
        The kept links as sorted distinct ``(i, j)`` rows, ``i < j``.
    """
    if len(window):
        ra, rb = rank[window[:, 0]], rank[window[:, 1]]
        first = np.where(ra <= rb, window[:, 0], window[:, 1])
        dist = np.abs(rb - ra)
        order = np.lexsort((dist, first))
        first_sorted = first[order]
        starts = np.flatnonzero(np.r_[True, first_sorted[1:] != first_sorted[:-1]])
        within = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        window = window[order[within < links]]
    both = np.concatenate([chain, window]) if len(window) else chain
    if not len(both):
        return np.empty((0, 2), dtype=np.int64)
    n = int(both.max()) + 1
    code = sorted_distinct(both[:, 0] * np.int64(n) + both[:, 1])
    return np.stack([code // n, code % n], axis=1)


def _pairs_from_groups(
    order: np.ndarray, keys_sorted: np.ndarray, ranks: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs, i < j, that share a key, as (m, 2) int64 arrays.

    All pairs of each group of up to :data:`MAX_BUCKET` members; bigger groups
    give :func:`window_pairs` over their members sorted by ``ranks`` (by
    index without it), split into chain links and the other window links.

    Returns:
        ``(pairs, chain, window)``.
    """
    empty = np.empty((0, 2), dtype=np.int64)
    if len(keys_sorted) < 2:
        return empty, empty, empty
    boundary = np.ones(len(keys_sorted), dtype=bool)
    boundary[1:] = keys_sorted[1:] != keys_sorted[:-1]
    starts = np.nonzero(boundary)[0]
    sizes = np.diff(np.append(starts, len(keys_sorted)))
    multi = sizes > 1
    if not multi.any():
        return empty, empty, empty
    out = []
    chains = []
    windows = []
    # All pairs of every group of up to MAX_BUCKET members in one vectorised step: entry e pairs
    # with the later entries of its group.
    small = multi & (sizes <= MAX_BUCKET)
    if small.any():
        gs, gz = starts[small], sizes[small]
        entries = np.repeat(gs, gz) + (np.arange(int(gz.sum()), dtype=np.int64) - np.repeat(np.cumsum(gz) - gz, gz))
        rem = np.repeat(gs + gz, gz) - entries - 1
        left = np.repeat(entries, rem)
        first = np.cumsum(rem) - rem
        right = left + 1 + (np.arange(int(rem.sum()), dtype=np.int64) - np.repeat(first, rem))
        out.append(np.stack([order[left], order[right]], axis=1))
    for s, z in zip(starts[sizes > MAX_BUCKET].tolist(), sizes[sizes > MAX_BUCKET].tolist()):
        members = order[s : s + z]
        members = members[np.argsort(ranks[members], kind="stable")] if ranks is not None else np.sort(members)
        w = window_pairs(members)
        chains.append(w[: z - 1])
        windows.append(w[z - 1 :])
    return _ordered(out), _ordered(chains), _ordered(windows)


def _ordered(parts: list[np.ndarray]) -> np.ndarray:
    """The pairs of ``parts`` as one (m, 2) int64 array with ``i < j`` in each row."""
    if not parts:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(parts).astype(np.int64)
    lo = np.minimum(pairs[:, 0], pairs[:, 1])
    hi = np.maximum(pairs[:, 0], pairs[:, 1])
    return np.stack([lo, hi], axis=1)


def sorted_distinct(x: np.ndarray) -> np.ndarray:
    """``np.unique(x)`` of a 1-d array, by one sort.

    numpy 2.3+ finds the distinct values of an integer array by hashing them
    first: on the tens of millions of distinct pair codes of a dense corpus
    that took 110 s where a sort takes 3 s (same result).

    >>> sorted_distinct(np.array([5, 1, 5, 3, 1])).tolist()
    [1, 3, 5]
    """
    x = np.sort(x)
    if len(x) < 2:
        return x
    keep = np.empty(len(x), dtype=bool)
    keep[0] = True
    np.not_equal(x[1:], x[:-1], out=keep[1:])
    return x[keep]


def _distinct(parts: list[np.ndarray], n: int) -> np.ndarray:
    """Sorted distinct pair codes ``i * n + j`` of ``parts``."""
    if not parts:
        return np.empty(0, dtype=np.int64)
    allp = np.concatenate(parts)
    return sorted_distinct(allp[:, 0] * np.int64(n) + allp[:, 1])


#: Fewer signatures than this are banded in the calling process (forking costs more than the work).
LSH_MIN_PARALLEL = 20_000


def candidate_pairs(
    signatures: np.ndarray, threshold: float, rank: Callable[[], np.ndarray] | None = None, jobs: int = 1
) -> np.ndarray:
    """All pairs of signatures that share at least one LSH band.

    Buckets of more than :data:`MAX_BUCKET` members give linked windows, not
    all pairs, capped over all bands (see there).

    Args:
        signatures: ``(n, num_perm)`` uint32 MinHash signatures.
        threshold: Jaccard threshold the banding is tuned for.
        rank: Returns the canonical position of every row (called only if a
            bucket is oversized); default: row order.
        jobs: Processes the bands are spread over (:func:`dedup.workers.map_slices`;
            same result for every value).

    Returns:
        A sorted ``(m, 2)`` int64 array of distinct row pairs ``(i, j)``, ``i < j``.
    """
    return banded_candidates(signatures, threshold, rank, jobs)[0]


def banded_candidates(
    signatures: np.ndarray, threshold: float, rank: Callable[[], np.ndarray] | None = None, jobs: int = 1
) -> tuple[np.ndarray, int]:
    """:func:`candidate_pairs` and the number of band buckets over :data:`MAX_BUCKET` members.

    That number is how often the bound changed the candidates (0: every pair
    sharing a band is a candidate, as in datasketch).

    >>> sig = np.zeros((3, 128), dtype=np.uint32)
    >>> pairs, oversized = banded_candidates(sig, 0.5)
    >>> pairs.tolist(), oversized
    ([[0, 1], [0, 2], [1, 2]], 0)
    """
    n, num_perm = signatures.shape
    if n < 2:
        return np.empty((0, 2), dtype=np.int64), 0
    bands, rows = lsh_params(threshold, num_perm)
    codes: list[np.ndarray] = []
    chains: list[np.ndarray] = []
    windows: list[np.ndarray] = []
    ranked = False
    oversized = 0
    # Each slice of bands returns its distinct pair codes (a band's pairs recur in the others: far
    # fewer to send back than the pairs themselves); their union is the same as one pass over all bands.
    jobs = jobs if n >= LSH_MIN_PARALLEL else 1
    for part_codes, part_chains, part_windows, part_ranked, part_oversized in map_slices(
        _band_pairs, (signatures, rows, rank), bands, jobs, min_items=2, per_job=2
    ):
        codes.append(part_codes)
        chains += part_chains
        windows += part_windows
        ranked |= part_ranked
        oversized += part_oversized
    code = codes[0] if len(codes) == 1 else sorted_distinct(np.concatenate(codes))
    if chains or windows:
        ranks = rank() if ranked and rank is not None else None
        window = _distinct(windows, n)
        chain = _distinct(chains, n)
        # setdiff1d and union1d sort by np.unique (hashing, see sorted_distinct): sorted lookups instead.
        taken = sorted_distinct(np.concatenate([code, chain]))
        pos = np.minimum(np.searchsorted(taken, window), max(len(taken) - 1, 0))
        window = window[taken[pos] != window] if len(taken) else window
        kept = cap_windows(
            np.stack([chain // n, chain % n], axis=1),
            np.stack([window // n, window % n], axis=1),
            ranks if ranks is not None else np.arange(n),
        )
        code = sorted_distinct(np.concatenate([code, kept[:, 0] * np.int64(n) + kept[:, 1]]))
    return np.stack([code // n, code % n], axis=1), oversized


def _runs_over(keys_sorted: np.ndarray, size: int) -> int:
    """How many runs of equal values of a sorted array are longer than ``size``."""
    starts = np.flatnonzero(np.r_[True, keys_sorted[1:] != keys_sorted[:-1]])
    return int((np.diff(np.r_[starts, len(keys_sorted)]) > size).sum())


def _band_pairs(
    part: slice, shared: tuple[np.ndarray, int, Callable[[], np.ndarray] | None]
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray], bool, int]:
    """The pairs sharing a band of ``part``: ``(distinct pair codes, chains, windows, ranks_used, oversized)``.

    ``oversized`` counts the band buckets over :data:`MAX_BUCKET` members.
    """
    signatures, rows, rank = shared
    found: list[np.ndarray] = []
    chains: list[np.ndarray] = []
    windows: list[np.ndarray] = []
    ranks: np.ndarray | None = None
    oversized = 0
    for band in range(part.start, part.stop):
        k = _band_key(signatures, band, rows)
        order = np.argsort(k, kind="stable")
        keys_sorted = k[order]
        if _largest_run(keys_sorted) > MAX_BUCKET:
            oversized += _runs_over(keys_sorted, MAX_BUCKET)
            if ranks is None and rank is not None:
                ranks = rank()
        lo, hi = band * rows, (band + 1) * rows
        for got, into in zip(_pairs_from_groups(order, keys_sorted, ranks), (found, chains, windows)):
            if len(got):
                # Confirm the band's values, not just its 64-bit key.
                same = (signatures[got[:, 0], lo:hi] == signatures[got[:, 1], lo:hi]).all(axis=1)
                into.append(got[same])
        del k, order, keys_sorted
    return _distinct(found, len(signatures)), chains, windows, ranks is not None, oversized


def _largest_run(keys_sorted: np.ndarray) -> int:
    """The length of the longest run of equal values in a sorted array."""
    if len(keys_sorted) == 0:
        return 0
    starts = np.flatnonzero(np.r_[True, keys_sorted[1:] != keys_sorted[:-1]])
    return int(np.diff(np.r_[starts, len(keys_sorted)]).max())


def _spanning_forest(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Indices of edges ``(a[e], b[e])`` forming a spanning forest of the graph on ``n`` nodes.

    Each round hooks every component root that has an edge to a smaller
    root onto the smallest such root, through the first such edge (a root
    hooks once per round and only to a smaller label, so no cycle forms).
    """
    parent = np.arange(n)
    used: list[np.ndarray] = []
    edges = np.arange(len(a))
    while len(edges):
        ra, rb = parent[a[edges]], parent[b[edges]]
        cross = ra != rb
        edges, ra, rb = edges[cross], ra[cross], rb[cross]
        if not len(edges):
            break
        hi, lo = np.maximum(ra, rb), np.minimum(ra, rb)
        order = np.lexsort((edges, lo, hi))  # per root hi: the smallest lo, then the first edge
        hi_s = hi[order]
        first = order[np.r_[True, hi_s[1:] != hi_s[:-1]]]
        used.append(edges[first])
        parent[hi[first]] = lo[first]
        while True:  # pointer jumping to the roots
            nxt = parent[parent]
            if np.array_equal(nxt, parent):
                break
            parent = nxt
    return np.concatenate(used) if used else np.empty(0, dtype=np.int64)


def cap_links(pairs: np.ndarray, sims: np.ndarray, n_groups: int, links: int) -> np.ndarray:
    """Boolean mask of the verified pairs kept (all of them unless a text has more than ``links``).

    A pair is kept when it is among the ``links`` most similar pairs of
    either of its texts (ties: the smaller partner index), or is an edge of
    a spanning forest of all pairs (:func:`_spanning_forest`).

    >>> pairs = np.array([[0, 1], [0, 2], [0, 3], [2, 3]])
    >>> cap_links(pairs, np.array([0.9, 0.8, 0.5, 0.4]), 4, links=1).tolist()
    [True, True, True, False]

    Args:
        pairs: ``(m, 2)`` distinct text index pairs.
        sims: Their similarities.
        n_groups: Number of texts.
        links: Partners kept per text.

    Returns:
        A boolean array of length ``m``.
    """
    m = len(pairs)
    keep = np.ones(m, dtype=bool)
    if m == 0:
        return keep
    degree = np.bincount(pairs.reshape(-1), minlength=n_groups)
    if int(degree.max()) <= links:
        return keep
    src = np.concatenate([pairs[:, 0], pairs[:, 1]])
    dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
    edge = np.concatenate([np.arange(m), np.arange(m)])
    order = np.lexsort((dst, -np.concatenate([sims, sims]), src))
    src_s = src[order]
    starts = np.flatnonzero(np.r_[True, src_s[1:] != src_s[:-1]])
    rank = np.arange(2 * m) - np.repeat(starts, np.diff(np.r_[starts, 2 * m]))
    keep[:] = False
    keep[edge[order[rank < links]]] = True
    keep[_spanning_forest(pairs[:, 0], pairs[:, 1], n_groups)] = True
    return keep
