"""Planted duplicates on hand-written text: what is found, where, and what is not."""

from __future__ import annotations

import random

import pytest

from dedup import Config, Detector

from .texts import CHESS, GARDENING, MARKET, MUSEUM, RIVER, join


def run(docs: dict[str, str], **settings):
    det = Detector(Config(**settings))
    for doc_id, text in docs.items():
        det.add(doc_id, text)
    return det.run()


def pair_kinds(result) -> dict[tuple[str, str], str]:
    return {(p.a, p.b): p.kind for p in result.pairs}


def edit_words(text: str, rate: float, seed: int) -> str:
    """Replace about ``rate`` of the words with other words (seeded)."""
    rng = random.Random(seed)
    words = text.split(" ")
    for i in rng.sample(range(len(words)), max(1, int(len(words) * rate))):
        words[i] = rng.choice(["quickly", "several", "however", "local", "new", "officials"])
    return " ".join(words)


def test_exact_copy_is_duplicate_and_clustered():
    text = join(RIVER)
    r = run({"a.txt": text, "b.txt": text, "c.txt": join(MUSEUM)})
    assert pair_kinds(r) == {("a.txt", "b.txt"): "duplicate"}
    (passage,) = r.passages
    assert passage.kind == "exact" and passage.paragraphs == len(RIVER)
    assert (passage.a.start, passage.a.end) == (0, len(text))
    assert (passage.b.start, passage.b.end) == (0, len(text))
    assert [c.members for c in r.clusters] == [("a.txt", "b.txt")]


def test_rewrapped_and_repunctuated_copy_is_duplicate():
    original = join(MUSEUM, "\n")  # one paragraph per line
    wrapped = "\n\n".join(
        "\n".join(_wrap(p.replace(",", ";").upper(), 70)) for p in MUSEUM
    )  # hard-wrapped, blank-line separated, re-punctuated, upper-cased
    r = run({"one.txt": original, "two.txt": wrapped})
    assert pair_kinds(r) == {("one.txt", "two.txt"): "duplicate"}
    (passage,) = r.passages
    assert passage.kind == "exact" and passage.paragraphs == len(MUSEUM)
    assert passage.b.end == len(wrapped)


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width)


def test_copy_with_new_header_and_footer_is_near_duplicate_with_offsets():
    body = join(RIVER)
    header = "DAILY VALLEY NEWS | regional edition\nPosted at 07:15 by the news desk"
    footer = "Share this article with friends and follow us for updates on the flood situation."
    copy = f"{header}\n\n{body}\n\n{footer}"
    r = run({"orig.txt": body, "repub.txt": copy})
    assert pair_kinds(r) == {("orig.txt", "repub.txt"): "near_duplicate"}
    (passage,) = r.passages
    assert passage.kind == "exact" and passage.paragraphs == len(RIVER)
    start = copy.index(RIVER[0])
    assert (passage.a.start, passage.a.end) == (0, len(body))
    assert (passage.b.start, passage.b.end) == (start, start + len(body))
    assert r.text(passage.b) == body
    pair = r.pairs[0]
    assert pair.a_in_b == 1.0 and 0.8 <= pair.b_in_a < 1.0


def test_copy_with_five_percent_words_edited_is_near_duplicate():
    body = join(MARKET)
    edited = join([edit_words(p, 0.05, seed=i) for i, p in enumerate(MARKET)])
    r = run({"m1.txt": body, "m2.txt": edited, "other.txt": join(CHESS)})
    assert pair_kinds(r) == {("m1.txt", "m2.txt"): "near_duplicate"}
    (passage,) = r.passages
    assert passage.kind == "near" and passage.paragraphs == len(MARKET)
    assert 0.5 <= passage.similarity < 1.0
    assert (passage.b.start, passage.b.end) == (0, len(edited))


def test_copy_with_paragraphs_reordered_is_near_duplicate():
    order = [2, 0, 4, 1, 3]
    shuffled = join([RIVER[i] for i in order])
    r = run({"x.txt": join(RIVER), "y.txt": shuffled})
    assert pair_kinds(r)[("x.txt", "y.txt")] in {"near_duplicate", "duplicate"}
    # Every paragraph is found at its new place.
    spans_b = sorted((p.b.start, p.b.end) for p in r.passages)
    expected = []
    pos = 0
    for i in order:
        expected.append((pos, pos + len(RIVER[i])))
        pos += len(RIVER[i]) + 2
    covered = {s for s in spans_b}
    for s, e in expected:
        assert any(bs <= s and e <= be for bs, be in covered), (s, e)


def test_two_paragraph_excerpt_embedded_in_another_article():
    source = join(MUSEUM)
    host_paras = CHESS[:2] + MUSEUM[1:3] + CHESS[2:]
    host = join(host_paras)
    r = run({"host.txt": host, "source.txt": source})
    (passage,) = r.passages
    assert passage.paragraphs == 2 and passage.kind == "exact"
    s_start = source.index(MUSEUM[1])
    h_start = host.index(MUSEUM[1])
    length = len(MUSEUM[1]) + 2 + len(MUSEUM[2])
    # a = host.txt (ids sort first), b = source.txt
    assert (passage.a.doc, passage.a.start, passage.a.end) == ("host.txt", h_start, h_start + length)
    assert (passage.b.doc, passage.b.start, passage.b.end) == ("source.txt", s_start, s_start + length)
    assert r.text(passage.a) == r.text(passage.b)


def test_excerpt_that_is_most_of_a_short_document_is_containment():
    short = join(MUSEUM[1:3])
    host = join(CHESS[:2] + MUSEUM[1:3] + CHESS[2:] + MARKET[:2])
    r = run({"host.txt": host, "short.txt": short})
    ((key, kind),) = pair_kinds(r).items()
    assert key == ("host.txt", "short.txt") and kind == "containment"
    pair = r.pairs[0]
    assert pair.b_in_a == 1.0 and pair.a_in_b < 0.5
    assert r.clusters == ()  # containment does not cluster


def test_unrelated_articles_are_not_flagged():
    docs = {f"{i}.txt": join(t) for i, t in enumerate([RIVER, MUSEUM, MARKET, CHESS, GARDENING])}
    r = run(docs)
    assert r.pairs == () and r.passages == () and r.clusters == ()


def test_block_repeated_inside_one_article():
    paras = MARKET[:2] + RIVER[:3] + ["|"] + RIVER[:3] + MARKET[2:]
    text = "\n".join(paras)
    r = run({"doc.txt": text})
    (passage,) = r.passages
    first = text.index(RIVER[0])
    second = text.index(RIVER[0], first + 1)
    block = len(RIVER[0]) + len(RIVER[1]) + len(RIVER[2]) + 2
    assert passage.paragraphs == 3 and passage.kind == "exact"
    assert (passage.a.start, passage.a.end) == (first, first + block)
    assert (passage.b.start, passage.b.end) == (second, second + block)
    assert r.pairs == ()


def test_diacritics_folded_copy_matches_exactly():
    a = "Tổng Bí thư Tô Lâm đã đến thăm trường học ở Hà Nội vào chiều ngày mười bốn tháng năm năm nay."
    b = "Tong Bi thu To Lam da den tham truong hoc o Ha Noi vao chieu ngay muoi bon thang nam nam nay.[3]"
    r = run({"a.txt": a, "b.txt": b})
    assert pair_kinds(r) == {("a.txt", "b.txt"): "duplicate"}


@pytest.mark.parametrize("canonical, expected", [("first", "a.txt"), ("longest", "b.txt"), ("earliest", "c.txt")])
def test_canonical_policies(canonical, expected):
    body = join(RIVER)
    det = Detector(Config(canonical=canonical))
    det.add("a.txt", body, mtime=300.0)
    det.add("b.txt", body + "\n\nA longer version with one extra closing line of text here.", mtime=200.0)
    det.add("c.txt", body, date="2020-01-01", mtime=900.0)
    (cluster,) = det.run().clusters
    assert cluster.members == ("a.txt", "b.txt", "c.txt")
    assert cluster.canonical == expected


def test_documents_without_words_are_not_duplicates():
    r = run({"a.txt": "--- *** ---", "b.txt": "!!! ???", "c.txt": "!!! ???"})
    assert r.pairs == ()
