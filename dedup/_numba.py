"""numba kernels for the shingle and signature hot loops (the optional ``fast`` extra).

Imported only through :func:`dedup._accel.kernels`, which returns ``None`` when
numba is not installed or ``DEDUP_NO_NUMBA`` is set; the numpy code in
:mod:`dedup.shingle` and :mod:`dedup.signatures` is the reference and these
kernels produce byte-identical results (``tests/test_numba.py``).

All arithmetic is done on uint64 with explicit masks: numba types mixed
signed/unsigned integer expressions as float64, so every constant is a numpy
unsigned scalar.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_P = np.uint64(0x100000001B3)
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_C1 = np.uint64(0x85EBCA6B)
_C2 = np.uint64(0xC2B2AE35)
_S16 = np.uint64(16)
_S13 = np.uint64(13)
_MASK32 = np.uint64(0xFFFFFFFF)
_ZERO = np.uint64(0)


@njit(cache=True, nogil=True, inline="always")
def _fmix64(h):
    h ^= h >> _S33
    h *= _M1
    h ^= h >> _S33
    h *= _M2
    return h ^ (h >> _S33)


@njit(cache=True, nogil=True, inline="always")
def _fmix32(h):
    # h < 2**32 held in a uint64; the products are reduced mod 2**32.
    h ^= h >> _S16
    h = (h * _C1) & _MASK32
    h ^= h >> _S13
    h = (h * _C2) & _MASK32
    return h ^ (h >> _S16)


#: Bucket bits cap of :func:`_sort_run` (at most 65,536 buckets).
_MAX_BUCKET_BITS = 16
#: Buckets up to this size are insertion-sorted; larger ones (many equal or
#: colliding hashes) use numba's O(k log k) quicksort.
_INSERTION_MAX = 16


@njit(cache=True, nogil=True)
def _sort_run(run, m, tmp, counts):  # pragma: no cover - compiled
    """Sort ``run[:m]`` (uniform 64-bit hashes) into ``tmp[:m]``.

    A counting sort on the top bits (about one hash per bucket), then each
    bucket sorted on its own: few unpredictable branches, unlike a comparison
    sort, and linear for well-spread hashes.
    """
    bits = 1
    while (1 << bits) < m and bits < _MAX_BUCKET_BITS:
        bits += 1
    nb = 1 << bits
    shift = np.uint64(64 - bits)
    counts[: nb + 1] = 0
    for i in range(m):
        counts[np.int64(run[i] >> shift) + 1] += 1
    for d in range(nb):
        counts[d + 1] += counts[d]
    for i in range(m):
        d = np.int64(run[i] >> shift)
        tmp[counts[d]] = run[i]
        counts[d] += 1
    # counts[d] is now the end of bucket d.
    lo = 0
    for d in range(nb):
        hi = counts[d]
        if hi - lo > _INSERTION_MAX:
            tmp[lo:hi].sort()
        else:
            for k in range(lo + 1, hi):
                x = tmp[k]
                j = k - 1
                while j >= lo and tmp[j] > x:
                    tmp[j + 1] = tmp[j]
                    j -= 1
                tmp[j + 1] = x
        lo = hi


@njit(cache=True, nogil=True)
def shingle_csr(units, lengths, n):  # pragma: no cover - compiled
    """Fold, hash, sort and dedupe every segment's n-gram windows (CSR out).

    Same result as ``_to_csr(*_fold_windows(units, lengths, n), len(lengths))``:
    a segment shorter than n folds whole, an empty one owns no hash.
    """
    n_seg = lengths.shape[0]
    offsets = np.zeros(n_seg + 1, dtype=np.int64)
    bound = 0
    longest = 0
    for s in range(n_seg):
        length = lengths[s]
        if length > 0:
            bound += max(length - n + 1, 1)
        longest = max(longest, length)
    out = np.empty(bound, dtype=np.uint64)
    buf = np.empty(max(longest, 1), dtype=np.uint64)
    run = np.empty(max(longest, 1), dtype=np.uint64)
    counts = np.empty(min(2 * max(longest, 1), 1 << _MAX_BUCKET_BITS) + 1, dtype=np.int64)
    pos = 0
    w = 0
    for s in range(n_seg):
        length = lengths[s]
        if length > 0:
            if length < n:
                h = _ZERO
                for k in range(length):
                    h = h * _P + units[pos + k]
                buf[0] = _fmix64(h)
                m = 1
            else:
                m = length - n + 1
                for i in range(m):
                    h = units[pos + i]
                    for k in range(1, n):
                        h = h * _P + units[pos + i + k]
                    buf[i] = _fmix64(h)
            _sort_run(buf, m, run, counts)
            out[w] = run[0]
            w += 1
            for i in range(1, m):
                if run[i] != run[i - 1]:
                    out[w] = run[i]
                    w += 1
            pos += length
        offsets[s + 1] = w
    return out[:w].copy(), offsets


@njit(cache=True, nogil=True)
def minhash_rows(hashes, offsets, a, b, out):  # pragma: no cover - compiled
    """Fill ``out[i]`` with the minimum of ``a * fmix32(h) + b mod 2**32`` over paragraph i's hashes.

    ``out`` must hold the empty value (0xFFFFFFFF) on entry.
    """
    num_perm = a.shape[0]
    a64 = a.astype(np.uint64)
    b64 = b.astype(np.uint64)
    for i in range(offsets.shape[0] - 1):
        row = out[i]
        for j in range(offsets[i], offsets[i + 1]):
            h = _fmix32(hashes[j] & _MASK32)
            for k in range(num_perm):
                v = np.uint32((a64[k] * h + b64[k]) & _MASK32)
                if v < row[k]:
                    row[k] = v


@njit(cache=True, nogil=True)
def intersect_rows(hashes, offsets, small, large, out):  # pragma: no cover - compiled
    """``out[k] = |row small[k] & row large[k]|`` of the CSR rows (sorted, distinct): a merge per pair."""
    for k in range(small.shape[0]):
        i = offsets[small[k]]
        i_end = offsets[small[k] + 1]
        j = offsets[large[k]]
        j_end = offsets[large[k] + 1]
        c = 0
        while i < i_end and j < j_end:
            x = hashes[i]
            y = hashes[j]
            if x < y:
                i += 1
            elif y < x:
                j += 1
            else:
                c += 1
                i += 1
                j += 1
        out[k] = c
