"""The numba alignment kernel gives byte-identical passages to the Python reference (issue 14)."""

from __future__ import annotations

import json
import random

import pytest

import dedup
from dedup import _accel, align

from .test_align import HOST, PARAS, UNRELATED, _ocr, _wrap_hyphenated

pytest.importorskip("numba")

WORDS = [
    "harbour",
    "council",
    "bridge",
    "weir",
    "flood",
    "valley",
    "engineer",
    "résumé",
    "café",
    "naïve",
    "Zürich",
    "contractor",
    "spokeswoman",
    "salmon",
    "library",
    "meeting",
    "village",
    "drawings",
    "structure",
    "budget",
    "auditor",
    "culvert",
    "district",
    "inspection",
]


def _corpus(seed: int) -> dict[str, str]:
    """Planted reuse of every kind the aligner handles, in invented prose."""
    rng = random.Random(seed)
    docs = {"orig.txt": "\n\n".join(PARAS)}
    docs["ocr.txt"] = "\n\n".join(_wrap_hyphenated(_ocr(p, rng)) for p in PARAS)
    docs["merged.txt"] = " ".join(PARAS[:3]) + "\n\n" + " ".join(PARAS[3:])
    quote = PARAS[1].split(". ")[0]
    docs["host.txt"] = "\n\n".join([HOST[0], HOST[1] + " " + quote + ". " + HOST[2]])
    # A block repeated inside one document, and a boilerplate line in several.
    block = " ".join(rng.choice(WORDS) for _ in range(30))
    docs["repeat.txt"] = f"{block}\n\n{UNRELATED[0]}\n\n{block}"
    for k in range(4):
        words = [rng.choice(WORDS) for _ in range(60)]
        # Words edited, dropped and inserted: fuzzy matches and gaps.
        edited = [w if rng.random() > 0.15 else rng.choice(["", w + "s", w[:-1], rng.choice(WORDS)]) for w in words]
        docs[f"w{k}-a.txt"] = " ".join(words) + "\n\nShared footer line for every page of the site."
        docs[f"w{k}-b.txt"] = " ".join(w for w in edited if w) + "\n\nShared footer line for every page of the site."
    docs["unrelated.txt"] = "\n\n".join(UNRELATED)
    return docs


def _scan(docs: dict[str, str]) -> str:
    det = dedup.Detector(dedup.Config())
    for k, v in docs.items():
        det.add(k, v)
    res = det.run()
    rows = [
        (p.a.doc, p.a.start, p.a.end, p.b.doc, p.b.start, p.b.end, p.kind, repr(p.similarity)) for p in res.passages
    ]
    return json.dumps([rows, [(p.a, p.b, p.kind) for p in res.pairs]])


def _both(monkeypatch, docs: dict[str, str]) -> tuple[str, str]:
    calls = []
    kernel = align._align_kernel

    def spy(work: int):
        k = kernel(work)
        calls.append(k is not None)
        return k

    monkeypatch.setattr(align, "_align_kernel", spy)
    monkeypatch.setattr(_accel, "WARMUP_UNITS", 0)
    monkeypatch.setenv("DEDUP_NO_NUMBA", "1")
    python = _scan(docs)
    n = len(calls)
    monkeypatch.setenv("DEDUP_NO_NUMBA", "0")
    compiled = _scan(docs)
    # Each path really ran (tokens, anchors and alignment: one kernel query each).
    assert calls == [False] * n + [True] * n and n == 3
    return python, compiled


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_numba_and_python_alignment_give_the_same_passages(monkeypatch, seed):
    python, compiled = _both(monkeypatch, _corpus(seed))
    assert compiled == python
    rows = json.loads(python)[0]
    kinds = {(r[0], r[3]) for r in rows}
    # The planted reuse is found (the comparison is not of two empty outputs).
    assert ("ocr.txt", "orig.txt") in kinds and ("host.txt", "orig.txt") in kinds
    assert ("repeat.txt", "repeat.txt") in kinds


def test_numba_and_python_agree_when_seeds_are_capped(monkeypatch):
    """Past MAX_SEEDS both keep the first seeds in ``a`` order (the kernel's binary-search path)."""
    monkeypatch.setattr(align, "MAX_SEEDS", 12)
    python, compiled = _both(monkeypatch, _corpus(4))
    assert compiled == python
    assert json.loads(python)[0]


@pytest.mark.parametrize("window", [1, 3, 6])
def test_numba_anchors_and_token_hashes_equal_the_numpy_ones(monkeypatch, window):
    """Winnowed anchors (short documents, excluded tokens, windows across documents) and batched token hashes."""
    import numpy as np

    rng = random.Random(window)
    texts = [" ".join(rng.choice(WORDS[:6]) for _ in range(n)) for n in (0, 3, 4, 5, 9, 40, 2, 120, 7)]
    texts.append("Citation [12] marks and UPPER case, résumé non-ASCII")
    monkeypatch.setattr(_accel, "WARMUP_UNITS", 0)
    results = []
    for flag in ("1", "0"):
        monkeypatch.setenv("DEDUP_NO_NUMBA", flag)
        toks = align.tokenize_documents(texts)
        pick = random.Random(window)  # the same masks on both paths
        masks = [np.array([pick.random() < 0.1 for _ in range(len(t))], dtype=bool) for t in toks]
        results.append(([(t.hashes.tolist(), t.words) for t in toks], align._anchors(toks, masks, window)))
    (tok_py, anc_py), (tok_nb, anc_nb) = results
    assert tok_nb == tok_py
    assert [a.tolist() for a in anc_nb] == [a.tolist() for a in anc_py]
    assert len(anc_py[0]) > 3  # there are anchors to compare
