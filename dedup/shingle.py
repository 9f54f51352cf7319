"""Shingles and their hashes, computed in bulk with numpy.

A paragraph's shingles are its word n-grams (``shingle="word"``) or the
character n-grams of its normalized text with punctuation removed
(``shingle="char"``). A paragraph shorter than n yields one shingle: all of it.

Shingle hash (version 1), 64 bits, defined on the shingle's text:

* word shingles: each token gets ``blake2b(token, digest_size=8)`` read
  little-endian (computed once per distinct token); the n token hashes are
  folded as ``h = (h * P + t) mod 2**64`` starting from ``h = 0`` and the result
  is passed through the 64-bit MurmurHash3 finalizer;
* char shingles: the same fold over the characters' code points.

The fold runs over whole arrays with numpy, so no Python loop touches a
shingle; with the ``fast`` extra (numba) the fold, sort and dedupe run as one
compiled loop instead (:mod:`dedup._numba`, byte-identical output).
:func:`shingle_hash32` computes the same value (low 32 bits) for one shingle
given as UTF-8 bytes (tokens joined by one space), which makes it a
``hashfunc`` for ``datasketch.MinHash``: signatures computed by
:mod:`dedup.signatures` are bit-identical to datasketch's.

The 64-bit hashes are kept to verify candidates exactly (Jaccard of the
paragraphs' shingle-hash sets); the low 32 bits feed MinHash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from ._accel import kernels

__all__ = [
    "ShingleBatch",
    "TokenHasher",
    "shingle_hash32",
    "shingle_hash64",
    "shingle_texts",
    "shingles_for_batch",
    "shingles_for_flat_tokens",
]

_P = np.uint64(0x100000001B3)  # FNV-1a 64-bit prime: odd, good spread
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_MASK64 = (1 << 64) - 1


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> _S33)
    h = h * _M1
    h = h ^ (h >> _S33)
    h = h * _M2
    return h ^ (h >> _S33)


def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


def _fmix64_int(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK64
    return h ^ (h >> 33)


def shingle_hash64(shingle: bytes, kind: str = "word") -> int:
    """Hash one shingle the way the vectorised path does (reference version).

    Args:
        shingle: The shingle as UTF-8 bytes; word shingles are tokens joined by
            a single space.
        kind: ``"word"`` or ``"char"``.

    Returns:
        The 64-bit shingle hash.
    """
    text = shingle.decode("utf-8")
    units = [_token_hash(t) for t in text.split(" ")] if kind == "word" else [ord(c) for c in text]
    h = 0
    for u in units:
        h = (h * 0x100000001B3 + u) & _MASK64
    return _fmix64_int(h)


def shingle_hash32(shingle: bytes) -> int:
    """A ``hashfunc`` for ``datasketch.MinHash`` matching dedup's word shingles.

    Args:
        shingle: A word shingle as UTF-8 bytes (tokens joined by one space).

    Returns:
        The low 32 bits of :func:`shingle_hash64`.
    """
    return shingle_hash64(shingle, "word") & 0xFFFFFFFF


def char_shingle_hash32(shingle: bytes) -> int:
    """Like :func:`shingle_hash32` for character shingles."""
    return shingle_hash64(shingle, "char") & 0xFFFFFFFF


class _TokenCache(dict):  # type: ignore[type-arg]
    """token -> hash; a miss computes the hash (``__missing__``), hits stay in C."""

    def __missing__(self, token: str) -> int:
        h = self[token] = _token_hash(token)
        return h


class TokenHasher:
    """Maps tokens to 64-bit hashes, computing each distinct token once.

    The cache is bounded: it is cleared when it exceeds ``max_size`` entries.
    """

    def __init__(self, max_size: int = 2_000_000) -> None:
        self._cache: dict[str, int] = _TokenCache()
        self._max_size = max_size

    def hashes(self, toks: Sequence[str]) -> list[int]:
        """Return the hash of each token, in order."""
        return self.hash_array(toks).tolist()

    def hash_array(self, toks: Sequence[str]) -> np.ndarray:
        """Return the hash of each token, in order, as a uint64 array.

        Only tokens not seen before are hashed (one ``blake2b`` call each);
        the lookups run in C (``map`` over the cache's ``__getitem__``).
        """
        cache = self._cache
        if len(cache) > self._max_size:
            cache.clear()
        return np.fromiter(map(cache.__getitem__, toks), dtype=np.uint64, count=len(toks))


class ShingleBatch:
    """Shingle hashes of many paragraphs in CSR layout.

    Attributes:
        hashes: uint64 array of all paragraphs' distinct shingle hashes, each
            paragraph's run sorted ascending.
        offsets: int64 array of length ``n + 1``; paragraph ``i`` owns
            ``hashes[offsets[i]:offsets[i + 1]]``. Every paragraph owns at
            least one hash.
    """

    __slots__ = ("hashes", "offsets")

    def __init__(self, hashes: np.ndarray, offsets: np.ndarray) -> None:
        self.hashes = hashes
        self.offsets = offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def get(self, i: int) -> np.ndarray:
        """The sorted distinct shingle hashes of paragraph ``i``."""
        return self.hashes[self.offsets[i] : self.offsets[i + 1]]

    def sizes(self) -> np.ndarray:
        """Number of distinct shingles per paragraph."""
        return np.diff(self.offsets)


def _fold_windows(units: np.ndarray, lengths: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Fold every length-n window of each segment; short segments fold whole.

    Windows are folded over the whole flat array with contiguous shifted
    slices (no gathers); windows that cross a segment boundary are then
    dropped.

    Returns (hashes, owner) where owner is the segment index of each hash.
    """
    lengths = lengths.astype(np.int64)
    n_seg = len(lengths)
    starts = np.zeros(n_seg, dtype=np.int64)
    if n_seg > 1:
        np.cumsum(lengths[:-1], out=starts[1:])
    total = int(lengths.sum())
    m = total - n + 1  # windows over the flat array
    counts = np.maximum(lengths - n + 1, 0)
    if m > 0 and counts.any():
        with np.errstate(over="ignore"):
            h = units[:m].copy()
            for k in range(1, n):
                h *= _P
                h += units[k : k + m]
        # Window i is valid when it starts at or after its segment's start and
        # at most counts[s] - 1 positions later: mark with +1/-1 and cumsum.
        marks = np.zeros(m + 1, dtype=np.int8)
        has = counts > 0
        np.add.at(marks, starts[has], 1)
        np.add.at(marks, starts[has] + counts[has], -1)
        valid = np.cumsum(marks[:m], dtype=np.int8).astype(bool)
        h = h[valid]
        owners = np.repeat(np.arange(n_seg, dtype=np.int64), counts)
    else:
        h = np.empty(0, dtype=np.uint64)
        owners = np.empty(0, dtype=np.int64)

    short = np.nonzero((lengths < n) & (lengths > 0))[0]
    if len(short):
        hs = np.zeros(len(short), dtype=np.uint64)
        max_len = int(lengths[short].max())
        with np.errstate(over="ignore"):
            for k in range(max_len):
                active = lengths[short] > k
                idx = starts[short[active]] + k
                hs[active] = hs[active] * _P + units[idx]
        h = np.concatenate([h, hs])
        owners = np.concatenate([owners, short])
    with np.errstate(over="ignore"):
        h = _fmix64(h)
    return h, owners


def _to_csr(h: np.ndarray, owners: np.ndarray, n_segments: int) -> ShingleBatch:
    """Sort each segment's hashes, drop duplicates, return the CSR batch.

    Sorting by ``(owner, hash)`` is done with one sort of a single uint64 key,
    the owner in the high bits and the hash's top bits below it. Hashes that
    agree on those top bits keep an arbitrary order among themselves; that is
    rare (a chance of about ``len(h)**2 / 2**64 * n_segments``) and detected,
    and the exact two-key sort is used then.
    """
    owner_bits = max(1, int(n_segments - 1).bit_length())
    if len(h) > 1 and owner_bits <= 32:
        shift = np.uint64(owner_bits)
        key = (owners.astype(np.uint64) << np.uint64(64 - owner_bits)) | (h >> shift)
        order = np.argsort(key, kind="stable")
        h_sorted = h[order]
        owners_sorted = owners[order]
        same_owner = owners_sorted[1:] == owners_sorted[:-1]
        if np.any(same_owner & (h_sorted[1:] < h_sorted[:-1])):
            order = np.lexsort((h, owners))
            h_sorted = h[order]
            owners_sorted = owners[order]
        h, owners = h_sorted, owners_sorted
    elif len(h) > 1:
        order = np.lexsort((h, owners))
        h = h[order]
        owners = owners[order]
    keep = np.ones(len(h), dtype=bool)
    if len(h) > 1:
        keep[1:] = (h[1:] != h[:-1]) | (owners[1:] != owners[:-1])
    h = h[keep]
    owners = owners[keep]
    counts = np.bincount(owners, minlength=n_segments)
    offsets = np.zeros(n_segments + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return ShingleBatch(h, offsets)


def _shingle_csr(units: np.ndarray, lengths: np.ndarray, n: int) -> ShingleBatch:
    """Fold, hash, sort and dedupe the windows of every segment (numba when installed)."""
    fast = kernels(len(units))
    if fast is not None:
        hashes, offsets = fast.shingle_csr(
            np.ascontiguousarray(units, dtype=np.uint64), np.ascontiguousarray(lengths, dtype=np.int64), int(n)
        )
        return ShingleBatch(hashes, offsets)
    h, owners = _fold_windows(units, lengths, n)
    return _to_csr(h, owners, len(lengths))


def shingles_for_flat_tokens(
    flat: Sequence[str],
    lengths: np.ndarray,
    n: int,
    hasher: TokenHasher | None = None,
) -> ShingleBatch:
    """Hash the word shingles of many paragraphs given as one flat token list.

    Args:
        flat: All paragraphs' tokens, concatenated.
        lengths: Number of tokens of each paragraph (every one at least 1).
        n: Shingle size.
        hasher: Token hash cache to reuse across batches.

    Returns:
        The same as :func:`shingles_for_batch` with ``kind="word"``.
    """
    hasher = hasher or TokenHasher()
    units = hasher.hash_array(flat)
    lengths = np.asarray(lengths, dtype=np.int64)
    return _shingle_csr(units, lengths, n)


def shingles_for_batch(
    token_lists: Sequence[Sequence[str]],
    kind: str,
    n: int,
    hasher: TokenHasher | None = None,
) -> ShingleBatch:
    """Hash the shingles of many paragraphs at once.

    Args:
        token_lists: Each paragraph's word tokens (from
            :func:`dedup.normalize.tokens`); every list must be non-empty.
        kind: ``"word"`` or ``"char"``.
        n: Shingle size.
        hasher: Token hash cache to reuse across batches.

    Returns:
        The paragraphs' distinct shingle hashes in CSR layout.
    """
    if kind == "word":
        flat: list[str] = [t for toks in token_lists for t in toks]
        lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))
        return shingles_for_flat_tokens(flat, lengths, n, hasher)
    else:
        texts = [" ".join(toks) for toks in token_lists]
        joined = "".join(texts)
        units = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    return _shingle_csr(units, lengths, n)


def shingle_texts(toks: Sequence[str], kind: str, n: int) -> list[bytes]:
    """The shingles of one paragraph as UTF-8 bytes (reference, slow path).

    This is what a plain datasketch user would feed to ``MinHash.update``; it
    is used in tests and benchmarks to prove equivalence.
    """
    if kind == "word":
        if len(toks) < n:
            return [" ".join(toks).encode("utf-8")]
        return [" ".join(toks[i : i + n]).encode("utf-8") for i in range(len(toks) - n + 1)]
    text = " ".join(toks)
    if len(text) < n:
        return [text.encode("utf-8")]
    return [text[i : i + n].encode("utf-8") for i in range(len(text) - n + 1)]
