"""Exact verification: the merge/search intersection gives the similarities plain Python sets give."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import _accel
from dedup.match import jaccard_pairs
from dedup.shingle import ShingleBatch


def _batch(sets: list[list[int]]) -> ShingleBatch:
    rows = [np.unique(np.array(s, dtype=np.uint64)) for s in sets]
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=offsets[1:])
    return ShingleBatch(np.concatenate(rows), offsets)


def _python_sets(batch: ShingleBatch, pairs: np.ndarray) -> np.ndarray:
    out = []
    for a, b in pairs.tolist():
        x, y = set(batch.get(a).tolist()), set(batch.get(b).tolist())
        inter = len(x & y)
        out.append(inter / (len(x) + len(y) - inter))
    return np.array(out, dtype=np.float64)


def _lexsort_reference(batch: ShingleBatch, pairs: np.ndarray) -> np.ndarray:
    """The former implementation: concatenate both sets per pair, lexsort, count equal neighbours."""
    sizes = batch.sizes()
    per_pair = sizes[pairs[:, 0]] + sizes[pairs[:, 1]]
    idx_rows = pairs.reshape(-1)
    lens = sizes[idx_rows]
    starts = np.zeros(len(lens), dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    pos = np.arange(int(lens.sum()), dtype=np.int64) + np.repeat(batch.offsets[idx_rows] - starts, lens)
    vals = batch.hashes[pos]
    owner = np.repeat(np.arange(len(pairs), dtype=np.int64), per_pair)
    order = np.lexsort((vals, owner))
    vals, owner = vals[order], owner[order]
    dup = (vals[1:] == vals[:-1]) & (owner[1:] == owner[:-1])
    inter = np.bincount(owner[1:][dup], minlength=len(pairs))
    union = per_pair - inter
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


@pytest.fixture(params=["numpy", "numba"])
def path(request, monkeypatch):
    if request.param == "numba":
        if not _accel.numba_available():
            pytest.skip("numba not installed")
        monkeypatch.setenv("DEDUP_NO_NUMBA", "0")
        monkeypatch.setattr(_accel, "_seen", _accel.WARMUP_UNITS)
    else:
        monkeypatch.setenv("DEDUP_NO_NUMBA", "1")
    return request.param


def test_similarities_byte_identical_to_python_sets_and_the_lexsort_version(path):
    rng = np.random.default_rng(7)
    sets = []
    for _ in range(400):
        # Small values so sets overlap; some very large sets against small ones.
        size = int(rng.choice([1, 2, 5, 40, 300]))
        sets.append(rng.integers(0, 600, size=size).tolist())
    batch = _batch(sets)
    pairs = rng.integers(0, len(sets), size=(3000, 2))
    got = jaccard_pairs(batch, pairs, max_elements=5000)  # many chunks
    assert got.tobytes() == _python_sets(batch, pairs).tobytes()
    assert got.tobytes() == _lexsort_reference(batch, pairs).tobytes()
    assert (got[pairs[:, 0] == pairs[:, 1]] == 1.0).all()


def test_values_sharing_their_top_bits_are_matched_exactly(path):
    # The numpy path searches on the top 40 bits first: values equal there must still be told apart.
    top = np.uint64(0xABCDEF0123) << np.uint64(24)
    a = [int(top) + k for k in (1, 5, 9, 200)]
    b = [int(top) + k for k in (0, 2, 5, 7, 9, 11, 13)] + [2**64 - 1]
    c = [int(top) + k for k in (0, 2, 4, 6)]
    batch = _batch([a, b, c])
    pairs = np.array([[0, 1], [1, 0], [0, 2], [1, 2], [2, 2]])
    assert jaccard_pairs(batch, pairs).tolist() == pytest.approx([2 / 10, 2 / 10, 0.0, 2 / 10, 1.0], abs=0)
    assert jaccard_pairs(batch, pairs).tobytes() == _python_sets(batch, pairs).tobytes()


_SETS = st.lists(st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 30), min_size=1, max_size=30), min_size=1)


@settings(max_examples=60, deadline=None)
@given(_SETS, st.data())
def test_any_sets_match_python_sets(sets, data):
    batch = _batch(sets)
    idx = st.integers(0, len(sets) - 1)
    pairs = np.array(data.draw(st.lists(st.tuples(idx, idx), min_size=1, max_size=40)), dtype=np.int64)
    assert jaccard_pairs(batch, pairs, max_elements=7).tobytes() == _python_sets(batch, pairs).tobytes()


def test_compare_pair_budget_refuses_quadratic_inputs_naming_the_cause():
    from dedup.errors import ConfigError
    from dedup.match import MAX_COMPARE_PAIRS, check_pair_budget

    assert check_pair_budget(2) == 1
    most = max(n for n in range(2, 2000) if n * (n - 1) // 2 <= MAX_COMPARE_PAIRS)
    assert check_pair_budget(most) == most * (most - 1) // 2
    with pytest.raises(ConfigError, match=r"2,000 documents make 1,999,000 pairs.*dedup scan"):
        check_pair_budget(2000)
    with pytest.raises(ConfigError, match=f"{most:,} documents"):
        check_pair_budget(most + 1)
