"""MinHash signatures for many paragraphs at once, bit-identical to datasketch.

datasketch (>= 2.0) ``MinHash`` with its default ``"affine32"`` scheme hashes
each value to 32 bits, pre-mixes it with the 32-bit MurmurHash3 finalizer and
applies ``num_perm`` permutations ``a_k * h + b_k mod 2**32``, keeping the
minimum per permutation. This module does the same for a whole batch: all
shingle hashes are mixed in one pass, permuted as a ``(num_perm, shingles)``
uint32 matrix in cache-sized chunks (a reused buffer: no page faults, each
row contiguous), and reduced per paragraph with ``np.minimum.reduceat`` along
the rows. The permutation parameters are drawn exactly as
datasketch draws them from ``np.random.RandomState(seed)``.

With the ``fast`` extra (numba) installed, one compiled loop does the mixing,
permuting and minimum in registers instead (:mod:`dedup._numba`, several times
faster); ``DEDUP_NO_NUMBA=1`` forces the numpy path. Both are bit-identical.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ._accel import kernels
from .shingle import ShingleBatch

__all__ = ["EMPTY_HASH", "minhash_signatures", "permutations"]

#: The value of an empty MinHash slot (datasketch's affine32 max hash).
EMPTY_HASH = np.uint32(0xFFFFFFFF)

# Elements of the (num_perm x shingles) matrix processed at once (4 MiB of
# uint32, about the L2/L3 cache). Measured on the benchmark corpus: 1M
# elements is ~15x faster than one 32 MiB chunk in (shingles, num_perm) layout.
_CHUNK_ELEMENTS = 1024 * 1024


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The permutation parameters ``(a, b)`` datasketch uses for affine32.

    Args:
        num_perm: Number of permutations.
        seed: datasketch's ``seed``.

    Returns:
        Two read-only uint32 arrays of length ``num_perm``; every ``a`` is odd.
    """
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def minhash_signatures(batch: ShingleBatch, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """Compute the MinHash signature of every paragraph in a batch.

    Args:
        batch: Paragraph shingle hashes (low 32 bits are the MinHash input).
        num_perm: Number of permutations.
        seed: Permutation seed.

    Returns:
        A ``(len(batch), num_perm)`` uint32 array; row ``i`` equals
        ``datasketch.MinHash(num_perm, seed, hashfunc=shingle_hash32)``'s
        ``hashvalues`` after ``update_batch`` with paragraph ``i``'s shingles.
    """
    a, b = permutations(num_perm, seed)
    n = len(batch)
    out = np.full((n, num_perm), EMPTY_HASH, dtype=np.uint32)
    if n == 0:
        return out
    fast = kernels(len(batch.hashes))
    if fast is not None:
        offsets = np.ascontiguousarray(batch.offsets, dtype=np.int64)
        fast.minhash_rows(np.ascontiguousarray(batch.hashes, dtype=np.uint64), offsets, a, b, out)
        return out
    h32 = _fmix32((batch.hashes & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    offsets = batch.offsets
    cols_per_chunk = max(1, _CHUNK_ELEMENTS // num_perm)
    buf = np.empty(num_perm * cols_per_chunk, dtype=np.uint32)
    a_col, b_col = a[:, None], b[:, None]
    first = 0
    while first < n:
        # Take as many paragraphs as fit in one chunk (at least one).
        limit = offsets[first] + cols_per_chunk
        last = int(np.searchsorted(offsets, limit, side="right")) - 1
        last = min(max(last, first + 1), n)
        lo, hi = int(offsets[first]), int(offsets[last])
        width = hi - lo
        if width == 0:
            first = last
            continue
        if width <= cols_per_chunk:
            phv = buf[: num_perm * width].reshape(num_perm, width)
        else:  # one paragraph with more shingles than a chunk holds
            phv = np.empty((num_perm, width), dtype=np.uint32)
        np.multiply(a_col, h32[None, lo:hi], out=phv)
        np.add(phv, b_col, out=phv)
        starts = offsets[first:last] - lo
        sizes = np.diff(offsets[first : last + 1])
        nonempty = sizes > 0
        if nonempty.all():
            out[first:last] = np.minimum.reduceat(phv, starts, axis=1).T
        else:
            rows = np.arange(first, last)[nonempty]
            out[rows] = np.minimum.reduceat(phv, starts[nonempty], axis=1).T
        first = last
    return out
