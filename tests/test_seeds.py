"""Behaviour on the real seed articles in ../shared/seeds (skipped when absent)."""

from __future__ import annotations

import dedup
from dedup.segment import segment

from .conftest import seed_path


def test_repeated_block_in_003_is_one_passage(seeds_dir):
    path = seed_path(seeds_dir, "003")
    text = path.read_text(encoding="utf-8")
    result = dedup.scan(str(seeds_dir))
    doc_id = path.name
    # Expected spans: the three paragraphs before the lone "|" line and the three after it.
    spans = segment(text)
    bar = text.index("\n|\n")
    after = [s for s in spans if s[0] > bar]
    before = [s for s in spans if s[1] <= bar]
    block_b = after[:3]
    block_a = before[-4:-1]  # the paragraph right before "|" is a photo caption, not repeated
    assert [text[s:e] for s, e in block_a] == [text[s:e] for s, e in block_b]
    within = [p for p in result.passages if p.a.doc == doc_id and p.b.doc == doc_id and p.paragraphs == 3]
    assert len(within) == 1
    (p,) = within
    assert (p.a.start, p.a.end) == (block_a[0][0], block_a[-1][1])
    assert (p.b.start, p.b.end) == (block_b[0][0], block_b[-1][1])
    assert p.kind == "exact"


def test_repeated_link_item_in_003_is_found(seeds_dir):
    path = seed_path(seeds_dir, "003")
    text = path.read_text(encoding="utf-8")
    result = dedup.scan(str(seeds_dir))
    starts = {s for s, _ in segment(text)}
    # Whole-paragraph repeats (a sentence repeated inside a paragraph is a passage too, not this one).
    singles = [
        p
        for p in result.passages
        if p.a.doc == path.name == p.b.doc and p.paragraphs == 1 and p.kind == "exact" and p.b.start in starts
    ]
    assert singles, "the link repeated in the two lists must be reported"
    for p in singles:
        a, b = text[p.a.start : p.a.end], text[p.b.start : p.b.end]
        assert a.lstrip("- ") == b.lstrip("- ")
        # One occurrence is a "- " list item, the other a plain line further down.
        assert p.a.start < p.b.start


def test_unrelated_seeds_are_not_paired(seeds_dir):
    result = dedup.scan(str(seeds_dir))
    p003 = seed_path(seeds_dir, "003").name
    p004 = seed_path(seeds_dir, "004").name
    for p in result.pairs:
        assert not ({p.a, p.b} & {p003, p004}), p
    for s in result.passages:
        if s.a.doc != s.b.doc:
            assert not ({s.a.doc, s.b.doc} & {p003, p004}), s


def test_seed_offsets_slice_back(seeds_dir):
    result = dedup.scan(str(seeds_dir))
    for s in result.passages:
        for span in (s.a, s.b):
            text = result.document(span.doc).text
            chunk = text[span.start : span.end]
            assert chunk == chunk.strip() and chunk
