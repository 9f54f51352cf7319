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


def _components(pairs: np.ndarray, n: int) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs.tolist():
        parent[find(a)] = find(b)
    return [find(x) for x in range(n)]


def _same_partition(x: list[int], y: list[int]) -> bool:
    return len(set(zip(x, y))) == len(set(x)) == len(set(y))


def test_capped_near_links_keep_every_component_and_bound_the_degree():
    from dedup.match import MAX_NEAR_LINKS, cap_near_links

    rng = np.random.default_rng(11)
    n = 3000
    # A dense template cluster (0..999), sparse pairs elsewhere, and a hub linked to 500 texts.
    dense = rng.integers(0, 1000, size=(40000, 2))
    sparse = rng.integers(1000, n, size=(800, 2))
    hub = np.stack([np.full(500, 2999), rng.choice(np.arange(1000, 2999), 500, replace=False)], axis=1)
    pairs = np.concatenate([dense, sparse, hub])
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    sims = rng.random(len(pairs))
    keep = cap_near_links(pairs, sims, n)
    assert keep.sum() <= MAX_NEAR_LINKS * n + n and keep.sum() < len(pairs) // 2
    assert _same_partition(_components(pairs[keep], n), _components(pairs, n))
    # Each text keeps its MAX_NEAR_LINKS most similar links.
    for t in (5, 400, 2999):
        mine = np.flatnonzero((pairs == t).any(axis=1))
        best = mine[np.argsort(-sims[mine], kind="stable")[:MAX_NEAR_LINKS]]
        assert keep[best].all()
    # Below the cap nothing is dropped.
    assert cap_near_links(pairs[:20], sims[:20], n).all()


def test_window_links_are_capped_across_bands_and_keep_buckets_connected():
    from dedup.lsh import BUCKET_LINKS, MAX_BUCKET

    rng = np.random.default_rng(4)
    z = MAX_BUCKET * 6
    base = rng.integers(0, 2**32, size=128, dtype=np.uint64).astype(np.uint32)
    sigs = np.tile(base, (z, 1))
    # Each row differs from the template in random permutations: every band's bucket is another subset.
    noise = rng.random((z, 128)) < 0.35
    sigs[noise] = rng.integers(0, 2**32, size=int(noise.sum()), dtype=np.uint64).astype(np.uint32)
    got = candidate_pairs(sigs, 0.3)
    bands, rows = lsh_params(0.3, 128)
    degree = np.bincount(got.reshape(-1), minlength=z)
    assert degree.mean() <= 2 * (BUCKET_LINKS + bands)  # uncapped: every band adds its own windows
    # Each band's bucket of the template is still connected by the candidates.
    comp = _components(got, z)
    for band in range(bands):
        cols = slice(band * rows, (band + 1) * rows)
        members = np.flatnonzero((sigs[:, cols] == base[cols]).all(axis=1))
        assert len({comp[m] for m in members}) == 1


def test_a_long_run_of_one_repeated_line_is_one_passage(tmp_path):
    from dedup import scan
    from dedup.match import MAX_CLIQUE

    n = 4 * MAX_CLIQUE + 2
    line = "the same short line here\n"  # short lines are paragraphs of their own
    (tmp_path / "rep.txt").write_text(line * n)
    (tmp_path / "odd.txt").write_text(line * (n + 1))
    result = scan(str(tmp_path / "rep.txt"), story=False, boilerplate=False)
    start, half = 0, n // 2
    assert [(p.a.start, p.a.end, p.b.start, p.b.end, p.paragraphs, p.kind) for p in result.passages] == [
        (start, start + len(line) * half - 1, start + len(line) * half, start + len(line) * n - 1, half, "exact")
    ]
    # An odd run: first half against second half, then the middle line against the last.
    odd = scan(str(tmp_path / "odd.txt"), story=False, boilerplate=False)
    assert [p.paragraphs for p in odd.passages] == [half, 1]


def test_many_identical_documents_pair_as_a_star_in_one_cluster(tmp_path):
    from dedup import scan
    from dedup.match import MAX_CLIQUE

    n = MAX_CLIQUE + 30
    for i in range(n):
        (tmp_path / f"c{i:04d}.txt").write_text("An identical notice posted to every page of the site today.\n")
    (tmp_path / "other.txt").write_text("Something else entirely, written by another person for a reason.\n")
    result = scan(str(tmp_path), story=False, boilerplate=False)
    assert len(result.pairs) == n - 1  # all pairs would be n * (n - 1) / 2
    assert {p.kind for p in result.pairs} == {"duplicate"}
    assert [len(c.members) for c in result.clusters] == [n]
