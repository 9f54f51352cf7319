"""Bit-identity of dedup's vectorised shingles and MinHash with datasketch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.normalize import normalize, tokens
from dedup.segment import segment
from dedup.shingle import (
    TokenHasher,
    char_shingle_hash32,
    shingle_hash32,
    shingle_hash64,
    shingle_texts,
    shingles_for_batch,
)
from dedup.signatures import EMPTY_HASH, minhash_signatures

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
EXAMPLES = ROOT / "examples" / "corpus"


def _datasketch(toks: list[str], kind: str, n: int, num_perm: int, seed: int) -> np.ndarray:
    hf = shingle_hash32 if kind == "word" else char_shingle_hash32
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=hf)
    m.update_batch(shingle_texts(toks, kind, n))
    return m.hashvalues


def _assert_identical(token_lists: list[list[str]], kind: str, n: int, num_perm: int, seed: int) -> None:
    batch = shingles_for_batch(token_lists, kind, n)
    sigs = minhash_signatures(batch, num_perm, seed)
    assert sigs.dtype == np.uint32
    assert sigs.shape == (len(token_lists), num_perm)
    for i, toks in enumerate(token_lists):
        expected = _datasketch(toks, kind, n, num_perm, seed)
        np.testing.assert_array_equal(sigs[i], expected, err_msg=f"paragraph {i} differs")
        # The 64-bit shingle set equals the reference hash of each shingle text.
        ref = sorted({shingle_hash64(s, kind) for s in shingle_texts(toks, kind, n)})
        assert batch.get(i).tolist() == ref


def _paragraph_tokens(folder: Path, limit: int = 400) -> list[list[str]]:
    out: list[list[str]] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for s, e in segment(text):
            toks = tokens(normalize(text[s:e]))
            if toks:
                out.append(toks)
            if len(out) >= limit:
                return out
    return out


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzàéđ0123456789", min_size=1, max_size=8)
paragraphs = st.lists(words, min_size=1, max_size=40)


@settings(max_examples=40, deadline=None)
@given(
    token_lists=st.lists(paragraphs, min_size=1, max_size=12),
    kind=st.sampled_from(["word", "char"]),
    n=st.integers(1, 6),
    num_perm=st.sampled_from([2, 16, 128, 129]),
    seed=st.sampled_from([0, 1, 42, 2**32 - 1]),
)
def test_random_text_bit_identical(token_lists, kind, n, num_perm, seed):
    _assert_identical(token_lists, kind, n, num_perm, seed)


@pytest.mark.parametrize(("kind", "n"), [("word", 3), ("word", 1), ("char", 5)])
@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 7), (256, 123456)])
def test_example_corpus_bit_identical(kind, n, num_perm, seed):
    token_lists = _paragraph_tokens(EXAMPLES)
    assert len(token_lists) > 10
    _assert_identical(token_lists, kind, n, num_perm, seed)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="real seed texts (../shared/seeds) are absent")
@pytest.mark.parametrize(("kind", "n", "num_perm", "seed"), [("word", 3, 128, 1), ("char", 5, 64, 9)])
def test_real_text_bit_identical(kind, n, num_perm, seed):
    token_lists = _paragraph_tokens(SEEDS, limit=300)
    assert len(token_lists) > 10
    _assert_identical(token_lists, kind, n, num_perm, seed)


def test_chunking_does_not_change_signatures(monkeypatch):
    import dedup.signatures as sig_mod

    monkeypatch.setenv("DEDUP_NO_NUMBA", "1")  # the chunks are the numpy path's

    token_lists = _paragraph_tokens(EXAMPLES)
    batch = shingles_for_batch(token_lists, "word", 3)
    whole = minhash_signatures(batch, 128, 1)
    # Tiny chunks: one paragraph (or fewer shingles than one paragraph) per chunk.
    monkeypatch.setattr(sig_mod, "_CHUNK_ELEMENTS", 128 * 3)
    np.testing.assert_array_equal(minhash_signatures(batch, 128, 1), whole)


def test_token_hash_cache_is_transparent():
    token_lists = _paragraph_tokens(EXAMPLES)
    hasher = TokenHasher(max_size=5)  # cleared again and again
    a = shingles_for_batch(token_lists, "word", 3, hasher)
    b = shingles_for_batch(token_lists, "word", 3)
    np.testing.assert_array_equal(a.hashes, b.hashes)
    np.testing.assert_array_equal(a.offsets, b.offsets)


def test_empty_batch():
    batch = shingles_for_batch([], "word", 3)
    assert len(batch) == 0
    assert minhash_signatures(batch, 16, 1).shape == (0, 16)
    assert np.uint32(0xFFFFFFFF) == EMPTY_HASH


def test_different_text_different_signature():
    batch = shingles_for_batch([["a", "b", "c", "d"], ["w", "x", "y", "z"]], "word", 3)
    sigs = minhash_signatures(batch, 64, 1)
    assert not np.array_equal(sigs[0], sigs[1])


def test_jaccard_pairs_equals_scalar_jaccard():
    from dedup.match import jaccard, jaccard_pairs

    rng = np.random.default_rng(4)
    sets = [np.unique(rng.integers(0, 60, size=rng.integers(0, 40)).astype(np.uint64)) for _ in range(50)]
    sizes = np.array([len(x) for x in sets])
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    from dedup.shingle import ShingleBatch

    batch = ShingleBatch(np.concatenate(sets), offsets)
    pairs = rng.integers(0, 50, size=(400, 2))
    expected = [jaccard(sets[i], sets[j]) for i, j in pairs.tolist()]
    for max_elements in (1, 37, 1 << 22):
        np.testing.assert_allclose(jaccard_pairs(batch, pairs, max_elements), expected, rtol=0, atol=1e-12)


def test_csr_sort_fallback_on_top_bit_ties():
    from dedup.shingle import _to_csr

    # Hashes equal in their top bits but not below: the one-key sort cannot
    # order them, so the exact fallback must.
    top = np.uint64(0xABCDEF0123456789) & ~np.uint64(0xFFFF)
    h = (top | np.array([9, 3, 7, 3, 1, 8, 2], dtype=np.uint64)).astype(np.uint64)
    owners = np.array([0, 0, 0, 0, 1, 1, 1], dtype=np.int64)
    batch = _to_csr(h, owners, 2)
    assert batch.get(0).tolist() == sorted({int(x) for x in h[:4]})
    assert batch.get(1).tolist() == sorted(int(x) for x in h[4:])
