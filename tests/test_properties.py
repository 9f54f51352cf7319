"""Property tests: offsets slice back to the reported text; numpy signatures equal datasketch's."""

from __future__ import annotations

import numpy as np
from datasketch import MinHash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup import Detector
from dedup.normalize import normalize, tokens
from dedup.segment import segment
from dedup.shingle import char_shingle_hash32, shingle_hash32, shingle_texts, shingles_for_batch
from dedup.signatures import minhash_signatures

WORDS = ["alpha", "beta", "gamma", "delta", "Tô", "Lâm", "naïve", "x", "y", "z", "the", "of", "ñ", "中文"]
word = st.sampled_from(WORDS)
line = st.lists(word, min_size=0, max_size=12).map(" ".join)
sep = st.sampled_from(["\n", "\n\n", "\r\n", "\r", "\n|\n", "\n- ", "  \n\n  "])


@st.composite
def documents(draw):
    parts = draw(st.lists(st.tuples(line, sep), min_size=1, max_size=10))
    return "".join(a + b for a, b in parts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(documents(), min_size=1, max_size=4), st.data())
def test_passage_offsets_slice_back(texts, data):
    # Plant a copied block so passages exist.
    texts = [*texts, texts[0] + "\n\n" + texts[-1]]
    det = Detector(min_tokens=1, threshold=0.5)
    for i, t in enumerate(texts):
        det.add(f"d{i}", t)
    result = det.run()
    paragraph_spans = {f"d{i}": segment(t) for i, t in enumerate(texts)}
    for p in result.passages:
        for span in (p.a, p.b):
            text = result.document(span.doc).text
            assert 0 <= span.start < span.end <= len(text)
            starts = [s for s, _ in paragraph_spans[span.doc]]
            ends = [e for _, e in paragraph_spans[span.doc]]
            # A paragraph border, or (aligned passages, issue 14) a word border inside a paragraph.
            assert span.start in starts or (
                text[span.start].isalnum() and (span.start == 0 or not text[span.start - 1].isalnum())
            )
            assert span.end in ends or (
                text[span.end - 1].isalnum() and (span.end == len(text) or not text[span.end].isalnum())
            )
        if p.kind == "exact" and p.paragraphs == 1:
            assert normalize(result.text(p.a)).split() and tokens(normalize(result.text(p.a))) == tokens(
                normalize(result.text(p.b))
            )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=30), min_size=1, max_size=6),
    st.sampled_from(["word", "char"]),
    st.integers(min_value=1, max_value=6),
    st.sampled_from([16, 64, 128]),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_numpy_signatures_equal_datasketch(paras, kind, n, num_perm, seed):
    toks = [tokens(normalize(" ".join(p))) or ["x"] for p in paras]
    batch = shingles_for_batch(toks, kind, n)
    ours = minhash_signatures(batch, num_perm, seed)
    hashfunc = shingle_hash32 if kind == "word" else char_shingle_hash32
    for i, t in enumerate(toks):
        m = MinHash(num_perm=num_perm, seed=seed, hashfunc=hashfunc)
        m.update_batch(shingle_texts(t, kind, n))
        assert np.array_equal(ours[i], m.hashvalues)
