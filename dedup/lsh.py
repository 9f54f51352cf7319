"""Vectorised MinHash LSH banding.

The signature matrix is cut into ``b`` bands of ``r`` rows, with ``(b, r)``
chosen exactly as ``datasketch.MinHashLSH`` chooses them for a threshold and
``num_perm`` (the false-positive/false-negative weights 0.5/0.5). Two
signatures are candidates when any band is equal in both, which is the
candidate set ``MinHashLSH.query`` returns. Instead of inserting each item into
``b`` dicts, each band is reduced to a 64-bit key, all keys are sorted at once,
and runs of equal keys are expanded into pairs; every pair found through a
64-bit key is then confirmed by comparing the band's actual values, so a key
collision never yields a candidate datasketch would not.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["band_keys", "candidate_pairs", "lsh_params"]


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` as ``datasketch.MinHashLSH(threshold, num_perm)`` picks them.

    Args:
        threshold: Jaccard threshold in (0, 1].
        num_perm: Signature length.

    Returns:
        The number of bands ``b`` and rows per band ``r`` (``b * r <= num_perm``).
    """
    from datasketch.lsh import _optimal_param

    return _optimal_param(threshold, num_perm, 0.5, 0.5)


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


def _pairs_from_groups(order: np.ndarray, keys_sorted: np.ndarray) -> np.ndarray:
    """All (i, j) index pairs, i < j, that share a key, as an (m, 2) int64 array."""
    if len(keys_sorted) < 2:
        return np.empty((0, 2), dtype=np.int64)
    boundary = np.ones(len(keys_sorted), dtype=bool)
    boundary[1:] = keys_sorted[1:] != keys_sorted[:-1]
    starts = np.nonzero(boundary)[0]
    sizes = np.diff(np.append(starts, len(keys_sorted)))
    multi = sizes > 1
    if not multi.any():
        return np.empty((0, 2), dtype=np.int64)
    out = []
    # Pairs of size-2 groups in one vectorised step; bigger groups one by one.
    two = starts[sizes == 2]
    if len(two):
        out.append(np.stack([order[two], order[two + 1]], axis=1))
    for s, z in zip(starts[sizes > 2].tolist(), sizes[sizes > 2].tolist()):
        members = order[s : s + z]
        ii, jj = np.triu_indices(z, k=1)
        out.append(np.stack([members[ii], members[jj]], axis=1))
    pairs = np.concatenate(out).astype(np.int64)
    lo = np.minimum(pairs[:, 0], pairs[:, 1])
    hi = np.maximum(pairs[:, 0], pairs[:, 1])
    return np.stack([lo, hi], axis=1)


def candidate_pairs(signatures: np.ndarray, threshold: float) -> np.ndarray:
    """All pairs of signatures that share at least one LSH band.

    Args:
        signatures: ``(n, num_perm)`` uint32 MinHash signatures.
        threshold: Jaccard threshold the banding is tuned for.

    Returns:
        A sorted ``(m, 2)`` int64 array of distinct row pairs ``(i, j)``, ``i < j``.
    """
    n, num_perm = signatures.shape
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    bands, rows = lsh_params(threshold, num_perm)
    found = []
    for band in range(bands):
        k = _band_key(signatures, band, rows)
        order = np.argsort(k, kind="stable")
        pairs = _pairs_from_groups(order, k[order])
        if len(pairs):
            lo, hi = band * rows, (band + 1) * rows
            same = (signatures[pairs[:, 0], lo:hi] == signatures[pairs[:, 1], lo:hi]).all(axis=1)
            found.append(pairs[same])
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    allp = np.concatenate(found)
    code = np.unique(allp[:, 0] * np.int64(n) + allp[:, 1])
    return np.stack([code // n, code % n], axis=1)
