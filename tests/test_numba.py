"""The numba fast path (extra ``fast``) is byte-identical to the numpy path and to datasketch.

Skipped when numba is absent, except in CI (``CI=true``), where .ci/run installs
the extra and a missing numba is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import _accel
from dedup.shingle import ShingleBatch, shingles_for_batch
from dedup.signatures import EMPTY_HASH, minhash_signatures

from .test_signatures import EXAMPLES, _datasketch, _paragraph_tokens, paragraphs

if os.environ.get("CI") == "true":
    import numba  # noqa: F401  (CI installs the extra: absence fails)
else:
    pytest.importorskip("numba", reason="numba is not installed (pip install 'article-dedup[fast]')")


@contextmanager
def numpy_path() -> Iterator[None]:
    """Force the numpy path (``DEDUP_NO_NUMBA=1``) inside the block."""
    old = os.environ.get("DEDUP_NO_NUMBA")
    os.environ["DEDUP_NO_NUMBA"] = "1"
    try:
        yield
    finally:
        if old is None:
            del os.environ["DEDUP_NO_NUMBA"]
        else:
            os.environ["DEDUP_NO_NUMBA"] = old


@pytest.fixture(autouse=True)
def _numba_enabled(monkeypatch):
    # The numba path must be the default here, whatever the caller's environment,
    # and from the first call on (no numpy warm-up).
    monkeypatch.delenv("DEDUP_NO_NUMBA", raising=False)
    monkeypatch.setattr(_accel, "WARMUP_UNITS", 0)


def _both(token_lists, kind: str, n: int, num_perm: int, seed: int):
    """(batch, signatures) from the numba path, after checking them against the numpy path."""
    assert _accel.kernels() is not None
    fast_batch = shingles_for_batch(token_lists, kind, n)
    fast_sigs = minhash_signatures(fast_batch, num_perm, seed)
    with numpy_path():
        assert _accel.kernels() is None
        ref_batch = shingles_for_batch(token_lists, kind, n)
        ref_sigs = minhash_signatures(ref_batch, num_perm, seed)
    for name in ("hashes", "offsets"):
        got, want = getattr(fast_batch, name), getattr(ref_batch, name)
        assert got.dtype == want.dtype, name
        assert got.tobytes() == want.tobytes(), f"{name} differ"
    assert fast_sigs.dtype == ref_sigs.dtype == np.uint32
    np.testing.assert_array_equal(fast_sigs, ref_sigs)
    return fast_batch, fast_sigs


def _check(token_lists, kind="word", n=3, num_perm=128, seed=1, datasketch_rows=None):
    batch, sigs = _both(token_lists, kind, n, num_perm, seed)
    rows = range(len(token_lists)) if datasketch_rows is None else datasketch_rows
    for i in rows:
        expected = _datasketch(token_lists[i], kind, n, num_perm, seed)
        np.testing.assert_array_equal(sigs[i], expected, err_msg=f"paragraph {i} differs from datasketch")
    return batch, sigs


def test_env_var_switches_path():
    assert _accel.numba_available()
    assert _accel.kernels() is not None
    with numpy_path():
        assert _accel.kernels() is None
        assert _accel.numba_available()


def test_numba_loads_after_warm_up(monkeypatch):
    monkeypatch.setattr(_accel, "WARMUP_UNITS", 1000)
    monkeypatch.setattr(_accel, "_seen", 0)
    assert _accel.kernels(600) is None  # small work stays on numpy
    assert _accel.kernels(300) is None
    assert _accel.kernels(100) is not None  # 1,000 units reached
    assert _accel.kernels(0) is not None
    with numpy_path():
        assert _accel.kernels(10**9) is None


@settings(max_examples=60, deadline=None)
@given(
    token_lists=st.lists(paragraphs, min_size=1, max_size=12),
    kind=st.sampled_from(["word", "char"]),
    n=st.integers(1, 6),
    num_perm=st.sampled_from([1, 16, 128, 129]),
    seed=st.sampled_from([0, 1, 42, 2**32 - 1]),
)
def test_random_text_numba_numpy_datasketch(token_lists, kind, n, num_perm, seed):
    _check(token_lists, kind, n, num_perm, seed)


@pytest.mark.parametrize(
    ("kind", "n", "num_perm", "seed"), [("word", 3, 128, 1), ("word", 2, 64, 7), ("char", 5, 128, 3)]
)
def test_example_corpus(kind, n, num_perm, seed):
    token_lists = _paragraph_tokens(EXAMPLES)
    assert len(token_lists) > 10
    _check(token_lists, kind, n, num_perm, seed)


def test_one_shingle_paragraphs():
    # Shorter than n (folds whole), exactly n tokens, one token, repeated tokens.
    token_lists = [["solo"], ["a", "b"], ["a", "b", "c"], ["x", "x", "x", "x"], ["a", "b", "c"]]
    batch, _ = _check(token_lists)
    assert batch.sizes().tolist() == [1, 1, 1, 1, 1]


def test_paragraph_bigger_than_numpy_chunk():
    import dedup.signatures as sig_mod

    rng = np.random.default_rng(6)
    vocab = [f"w{i}" for i in range(3000)]
    big = [vocab[i] for i in rng.integers(0, len(vocab), size=3 * sig_mod._CHUNK_ELEMENTS // 128)]
    token_lists = [["short", "one"], big, ["tail", "para", "here", "now"]]
    batch, _ = _check(token_lists, datasketch_rows=[0, 2])
    assert batch.sizes()[1] > sig_mod._CHUNK_ELEMENTS // 128
    # datasketch on the big paragraph too (slow-ish: one update_batch).
    _check([big], datasketch_rows=[0])


def test_repetitive_paragraph():
    # Few distinct shingles repeated thousands of times: big runs of equal hashes.
    token_lists = [["a", "b"] * 5000, ["a", "b", "c"] * 3000, ["z"] * 20000]
    batch, _ = _check(token_lists)
    assert batch.sizes().tolist() == [2, 3, 1]


def test_empty_rows_stay_empty():
    # A hand-made batch with empty runs (paragraph 1 and the last one).
    hashes = np.array([5, 9, 2**63 + 7, 11], dtype=np.uint64)
    offsets = np.array([0, 2, 2, 4, 4], dtype=np.int64)
    batch = ShingleBatch(hashes, offsets)
    fast = minhash_signatures(batch, 32, 1)
    with numpy_path():
        ref = minhash_signatures(batch, 32, 1)
    np.testing.assert_array_equal(fast, ref)
    assert (fast[1] == EMPTY_HASH).all() and (fast[3] == EMPTY_HASH).all()
    assert not (fast[0] == EMPTY_HASH).all()


def test_empty_batch():
    batch = shingles_for_batch([], "word", 3)
    assert len(batch) == 0 and batch.offsets.tolist() == [0]
    assert minhash_signatures(batch, 16, 1).shape == (0, 16)


def test_sort_run_buckets_with_many_collisions():
    from dedup import _numba

    rng = np.random.default_rng(3)
    m = 5000
    top = np.uint64(0xDEAD) << np.uint64(48)
    cases = [
        rng.integers(0, 2**63, size=m, dtype=np.uint64) * np.uint64(2),  # spread
        top | rng.integers(0, 2**20, size=m, dtype=np.uint64),  # one bucket
        np.tile(np.array([top | np.uint64(3), top | np.uint64(1), top | np.uint64(2)]), m // 3),  # few values
    ]
    for values in cases:
        values = np.ascontiguousarray(values)
        out = np.empty_like(values)
        counts = np.empty(2 * len(values) + 1, dtype=np.int64)
        _numba._sort_run(values.copy(), len(values), out, counts)
        np.testing.assert_array_equal(out, np.sort(values))
