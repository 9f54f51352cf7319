"""dedup.lsh returns exactly the candidates datasketch's MinHashLSH returns."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.lsh import band_keys, candidate_pairs, lsh_params
from dedup.shingle import shingles_for_batch
from dedup.signatures import minhash_signatures


def _datasketch_pairs(sigs: np.ndarray, threshold: float) -> set[tuple[int, int]]:
    n, num_perm = sigs.shape
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    mhs = [MinHash(num_perm=num_perm, hashvalues=sigs[i], scheme="affine32") for i in range(n)]
    for i, m in enumerate(mhs):
        lsh.insert(i, m)
    found = set()
    for i, m in enumerate(mhs):
        for j in lsh.query(m):
            if j != i:
                found.add((min(i, j), max(i, j)))
    return found


def _mutated_corpus(rng: random.Random, n_base: int, n_copies: int) -> list[list[str]]:
    vocab = [f"w{k}" for k in range(300)]
    base = [[rng.choice(vocab) for _ in range(rng.randint(5, 40))] for _ in range(n_base)]
    out = list(base)
    for _ in range(n_copies):
        toks = list(rng.choice(base))
        for _ in range(rng.randint(0, 4)):
            toks[rng.randrange(len(toks))] = rng.choice(vocab)
        out.append(toks)
    rng.shuffle(out)
    return out


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8, 0.9])
@pytest.mark.parametrize("num_perm", [64, 128])
def test_candidates_equal_datasketch(threshold, num_perm):
    rng = random.Random(int(threshold * 100) + num_perm)
    token_lists = _mutated_corpus(rng, 120, 120)
    sigs = minhash_signatures(shingles_for_batch(token_lists, "word", 3), num_perm, 1)
    ours = candidate_pairs(sigs, threshold)
    assert ours.dtype == np.int64
    ours_set = {tuple(p) for p in ours.tolist()}
    assert len(ours_set) == len(ours)  # distinct
    assert ours.tolist() == sorted(ours.tolist())  # sorted
    expected = _datasketch_pairs(sigs, threshold)
    assert len(expected) > 20  # the planted copies are found at all
    assert ours_set == expected


@settings(max_examples=25, deadline=None)
@given(
    rows=st.lists(st.lists(st.integers(0, 3), min_size=16, max_size=16), min_size=0, max_size=30),
    threshold=st.sampled_from([0.2, 0.5, 0.7]),
)
def test_candidates_equal_datasketch_small_alphabet(rows, threshold):
    # Values from a tiny alphabet make many bands collide (big groups).
    sigs = np.array(rows, dtype=np.uint32).reshape(len(rows), 16)
    ours = {tuple(p) for p in candidate_pairs(sigs, threshold).tolist()}
    assert ours == (_datasketch_pairs(sigs, threshold) if len(rows) else set())


def test_band_keys_equal_iff_bands_equal():
    rng = np.random.default_rng(3)
    sigs = rng.integers(0, 3, size=(200, 20), dtype=np.uint32)
    b, r = 4, 5
    keys = band_keys(sigs, b, r)
    assert keys.shape == (200, b) and keys.dtype == np.uint64
    for band in range(b):
        blk = sigs[:, band * r : (band + 1) * r]
        same_vals = (blk[:, None, :] == blk[None, :, :]).all(axis=2)
        same_keys = keys[:, band][:, None] == keys[:, band][None, :]
        assert np.array_equal(same_vals, same_keys)


def test_lsh_params_match_datasketch():
    for t in (0.1, 0.5, 0.75, 0.95):
        lsh = MinHashLSH(threshold=t, num_perm=128)
        assert lsh_params(t, 128) == (lsh.b, lsh.r)


@pytest.mark.parametrize("num_perm", [2, 7, 16, 64, 100, 128, 256])
def test_lsh_params_equal_datasketch_optimal_param_over_a_grid(num_perm):
    from datasketch.lsh import _optimal_param

    for t in np.round(np.arange(0.02, 1.0001, 0.02), 2).tolist():
        assert lsh_params(t, num_perm) == _optimal_param(t, num_perm, 0.5, 0.5), (t, num_perm)


def test_lsh_params_do_not_import_datasketch():
    code = "import sys, dedup, dedup.lsh; dedup.lsh.lsh_params(0.3, 128); print('datasketch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_no_pairs_for_unrelated_and_single():
    assert candidate_pairs(np.zeros((1, 8), dtype=np.uint32), 0.5).shape == (0, 2)
    sigs = np.arange(64 * 10, dtype=np.uint32).reshape(10, 64)
    assert candidate_pairs(sigs, 0.5).shape == (0, 2)


def test_oversized_bucket_gives_linked_windows_not_all_pairs():
    from dedup.lsh import BUCKET_LINKS, MAX_BUCKET

    rng = np.random.default_rng(3)
    z = MAX_BUCKET * 5
    sigs = rng.integers(0, 2**32, size=(z + 50, 128), dtype=np.uint64).astype(np.uint32)
    sigs[:z] = sigs[0]  # one template, z times: every band is one oversized bucket
    rank = rng.permutation(len(sigs))  # canonical order differs from row order
    got = candidate_pairs(sigs, 0.5, lambda: rank)
    members = np.argsort(rank[:z], kind="stable")
    want = {
        (min(int(members[i]), int(members[i + d])), max(int(members[i]), int(members[i + d])))
        for d in range(1, BUCKET_LINKS + 1)
        for i in range(z - d)
    }
    assert {tuple(p) for p in got.tolist()} == want
    assert len(got) < z * BUCKET_LINKS  # linear, not z * (z - 1) / 2
    # The unrelated rows are in no pair; buckets up to MAX_BUCKET still give every pair.
    assert got.max() < z
    small = sigs[: MAX_BUCKET + 50].copy()
    small[MAX_BUCKET:] = rng.integers(0, 2**32, size=(50, 128), dtype=np.uint64).astype(np.uint32)
    assert len(candidate_pairs(small, 0.5)) == MAX_BUCKET * (MAX_BUCKET - 1) // 2


def test_templated_corpus_scan_stays_linear(tmp_path):
    """600 notes from one template (all near-duplicates at the defaults): one cluster, linear pairs."""
    from dedup import scan
    from dedup.lsh import BUCKET_LINKS

    rnd = random.Random(5)
    for i in range(600):
        (tmp_path / f"n{i:04d}.txt").write_text(
            f"Note {i} about item {rnd.randint(1, 50)}: status updated by the team today.\n"
        )
    result = scan(str(tmp_path), story=False)
    assert len(result.clusters) == 1 and len(result.clusters[0].members) == 600
    bands, _ = lsh_params(0.3, 128)
    assert 599 <= len(result.pairs) <= 600 * BUCKET_LINKS * bands  # all pairs would be 179,700
