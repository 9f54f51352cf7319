"""--jobs over forked workers: each parallelised stage gives the result of one process, in the same order."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest

import dedup.align as align_mod
import dedup.lsh as lsh_mod
import dedup.match as match_mod
import dedup.story as story_mod
from dedup.config import Config
from dedup.detector import Detector
from dedup.lsh import candidate_pairs
from dedup.match import verify
from dedup.models import Document
from dedup.paragraphs import prepare
from dedup.workers import concat_rows, map_slices

pytestmark = pytest.mark.skipif(os.name == "nt", reason="the workers fork")

WORDS = [
    "harbor",
    "bridge",
    "council",
    "vote",
    "river",
    "school",
    "garden",
    "library",
    "hours",
    "budget",
    "mayor",
    "storm",
    "ferry",
    "museum",
    "rail",
    "station",
    "market",
    "festival",
    "report",
    "police",
    "court",
    "water",
    "power",
    "road",
    "season",
    "team",
    "coach",
    "player",
    "north",
    "south",
]


def _paragraph(rng: random.Random, n: int = 30) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _spy(monkeypatch, module, name: str = "map_slices") -> list[int]:
    """Record how many parts each ``name`` call of ``module`` ran (more than one: workers were used)."""
    real = getattr(module, name)
    calls: list[int] = []

    def spying(fn, shared, n, jobs, **kw):
        out = real(fn, shared, n, jobs, **kw)
        calls.append(len(out))
        return out

    monkeypatch.setattr(module, name, spying)
    return calls


def test_map_slices_runs_slices_in_other_processes_and_keeps_their_order():
    parent = os.getpid()
    parts = map_slices(lambda part, xs: (xs[part], os.getpid()), np.arange(100), 100, jobs=2, min_items=1)
    assert len(parts) == 8  # 4 slices per process
    assert np.array_equal(np.concatenate([p for p, _ in parts]), np.arange(100))
    assert all(pid != parent for _, pid in parts)
    # One process: one call over every row, here.
    (whole,) = map_slices(lambda part, xs: (xs[part], os.getpid()), np.arange(100), 100, jobs=1)
    assert np.array_equal(whole[0], np.arange(100)) and whole[1] == parent


def test_map_slices_balances_by_weight():
    parts = map_slices(lambda part, _: (part.start, part.stop), None, [1] * 6 + [6], jobs=2, min_items=1, per_job=1)
    assert parts == [(0, 6), (6, 7)]


def test_concat_rows_joins_tuples_field_by_field():
    pairs, sims = concat_rows([(np.array([[0, 1]]), np.array([0.5])), (np.array([[2, 3]]), np.array([0.9]))], None)
    assert pairs.tolist() == [[0, 1], [2, 3]] and sims.tolist() == [0.5, 0.9]


def _table(n_docs: int = 80, seed: int = 3):
    rng = random.Random(seed)
    docs = []
    for i in range(n_docs):
        paras = [_paragraph(rng) for _ in range(4)]
        if i % 8 == 7:  # a near copy of the previous document's first paragraph (one word changed)
            words = docs[-1].text.split("\n\n")[0].split()
            words[5] = "ferry"
            paras[0] = " ".join(words)
        docs.append(Document(f"d{i:03d}", "\n\n".join(paras)))
    # 250 copies of one short paragraph: a bucket over MAX_BUCKET (linked windows, ranked by content).
    line = "The harbor ferry timetable is posted at the station. "
    docs += [Document(f"t{i:03d}", line + str(i)) for i in range(250)]
    return prepare(docs, Config(threshold=0.3), jobs=1)


def test_lsh_bands_over_workers_give_the_same_candidates(monkeypatch):
    table = _table()
    monkeypatch.setattr(lsh_mod, "LSH_MIN_PARALLEL", 10)
    calls = _spy(monkeypatch, lsh_mod)

    def rank():
        return match_mod._content_rank(table.group_keys)

    one = candidate_pairs(table.signatures, 0.3, rank, jobs=1)
    two = candidate_pairs(table.signatures, 0.3, rank, jobs=2)
    assert calls == [1, 4]  # 37 bands in 4 slices over two processes
    np.testing.assert_array_equal(one, two)
    # The planted near copy (d006 / d007, first paragraphs) is a candidate.
    g6 = table.group[(table.doc == 6) & (table.ordinal == 0)][0]
    g7 = table.group[(table.doc == 7) & (table.ordinal == 0)][0]
    assert [min(g6, g7), max(g6, g7)] in one.tolist()


def test_verification_over_workers_keeps_the_same_pairs_and_similarities(monkeypatch):
    table = _table()
    monkeypatch.setattr(match_mod, "VERIFY_MIN_PARALLEL", 10)
    cands = candidate_pairs(table.signatures, 0.3)
    calls = _spy(monkeypatch, match_mod)
    kept1, sims1 = verify(table.shingles, cands, 0.3, jobs=1)
    kept2, sims2 = verify(table.shingles, cands, 0.3, jobs=2)
    assert calls[-1] > 1
    np.testing.assert_array_equal(kept1, kept2)
    assert sims1.tobytes() == sims2.tobytes()
    assert len(kept1) and (sims1 >= 0.3).all()
    # Each kept similarity is the exact Jaccard of the two shingle sets.
    i, j = kept1[0]
    h, off = table.shingles.hashes, table.shingles.offsets
    a, b = set(h[off[i] : off[i + 1]].tolist()), set(h[off[j] : off[j + 1]].tolist())
    assert sims1[0] == pytest.approx(len(a & b) / len(a | b))


def test_story_scoring_over_workers_gives_the_same_findings(monkeypatch, seeds):
    rng = random.Random(8)
    docs = [Document(f"seed{k}", text) for k, text in sorted(seeds.items())]
    docs += [Document(f"z{i:02d}", "\n\n".join(_paragraph(rng) for _ in range(5))) for i in range(12)]
    monkeypatch.setattr(story_mod, "STORY_MIN_PARALLEL", 64)
    calls = _spy(monkeypatch, story_mod)
    outs = []
    for jobs in (1, 2):
        det = Detector(jobs=jobs)
        for d in docs:
            det.add_document(d)
        res = det.run()
        outs.append([p.to_dict() for p in res.pairs])
    assert calls[0] == 1 and calls[1] > 1  # 136 candidate pairs, scored in slices with --jobs 2
    assert outs[0] == outs[1]
    story = {(p["a"], p["b"]) for p in outs[0] if p["kind"] == "same_story"}
    # The seed rewrites are the same story; the filler texts are not.
    assert {("seed000", "seed001"), ("seed000", "seed002"), ("seed001", "seed002")} <= story
    assert not any(a.startswith("z") or b.startswith("z") for a, b in story)


def test_pair_coverage_is_the_same_for_every_jobs_value():
    rng = random.Random(4)
    docs = []
    for i in range(40):
        paras = [_paragraph(rng) for _ in range(5)]
        if i % 5 == 4:  # a copy of the previous document with its last paragraph replaced
            paras = [*docs[-1].text.split("\n\n")[:4], _paragraph(rng)]
        docs.append(Document(f"d{i:02d}", "\n\n".join(paras)))
    outs = []
    for jobs in (1, 2):
        det = Detector(jobs=jobs, story=False)
        for d in docs:
            det.add_document(d)
        outs.append([p.to_dict() for p in det.run().pairs])
    assert outs[0] == outs[1]
    found = {(p["a"], p["b"]): p for p in outs[0]}
    # Each planted copy shares 4 of its 5 paragraphs with its source: coverage about 0.8 on both sides.
    for i in range(4, 40, 5):
        pair = found[(f"d{i - 1:02d}", f"d{i:02d}")]
        assert 0.7 < pair["a_in_b"] < 0.9 and 0.7 < pair["b_in_a"] < 0.9


def test_story_candidates_over_workers_are_the_same_pairs(monkeypatch):
    rng = random.Random(12)
    names = [f"{a}{b}" for a in ("brack", "quin", "ell", "thorn", "wex", "marl") for b in ("ford", "by", "wick", "ton")]
    texts = []
    for _i in range(120):
        own = rng.sample(names, 6)  # rare made-up names: each text's heaviest terms
        texts.append(" ".join(own + [rng.choice(WORDS) for _ in range(40)]))
    texts[119] = texts[7]  # one text repeated: it shares all its top terms with the first copy
    model = story_mod.StoryModel(texts)
    monkeypatch.setattr(story_mod, "ALL_PAIRS_MAX", 0)  # use the postings, not every pair
    monkeypatch.setattr(story_mod, "_CHUNK", 200)  # many chunks
    calls = _spy(monkeypatch, story_mod, "map_ordered")
    one = model.candidates(jobs=1)
    two = model.candidates(jobs=2)
    assert calls[0] == calls[1] > 1  # the same chunks, counted here and then over two workers
    np.testing.assert_array_equal(one, two)
    assert [7, 119] in one.tolist()
    assert 0 < len(one) < 120 * 119 // 2


def test_alignment_tokens_over_workers_are_the_same_arrays(monkeypatch):
    # ASCII texts (the batched path), accented ones, a hyphenated line break and an empty text.
    rng = random.Random(5)
    texts = [_paragraph(rng, 40) for _ in range(60)]
    texts[7] = "Caf\u00e9 cr\u00e8me at the harbor: the council vote."
    texts[8] = "The bridge re-\nopened after the storm."
    texts[9] = ""
    monkeypatch.setattr(align_mod, "TOKENIZE_MIN_PARALLEL", 10)
    calls = _spy(monkeypatch, align_mod)
    one = align_mod.tokenize_over_jobs(texts, jobs=1)
    two = align_mod.tokenize_over_jobs(texts, jobs=2)
    assert calls == [1, 4]  # one process, then two slices for each of two workers
    assert len(one) == len(two) == len(texts)
    for a, b in zip(one, two):
        for field in ("hashes", "start", "end", "codes", "code_off"):
            x, y = getattr(a, field), getattr(b, field)
            assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), field
    assert two[8].words == ["the", "bridge", "reopened", "after", "the", "storm"]
    assert two[7].words[:2] == ["cafe", "creme"]
    assert [texts[0][s:e] for s, e in zip(two[0].start[:2], two[0].end[:2])] == texts[0].split()[:2]
