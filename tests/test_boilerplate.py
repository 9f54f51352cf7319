"""Boilerplate: repeated site furniture is reported once and kept out of pair scores."""

from __future__ import annotations

from dedup import Config, Detector

from ._accuracy_texts import ARTICLES, FOOTER, NAV, framed


def _run(texts: dict[str, str], **settings) -> object:
    det = Detector(Config(**settings))
    for k, v in texts.items():
        det.add(k, v)
    return det.run()


def test_site_furniture_is_boilerplate_and_articles_are_not_duplicates() -> None:
    res = _run({f"site/{i}.txt": framed(a) for i, a in enumerate(ARTICLES)})
    texts = sorted(res.text(b.occurrences[0]) for b in res.boilerplate)
    assert texts == sorted([NAV, FOOTER])
    for b in res.boilerplate:
        assert b.documents == len(ARTICLES)
        assert len(b.occurrences) == len(ARTICLES)
        for s in b.occurrences:
            assert res.text(s) in (NAV, FOOTER)
    assert [p for p in res.pairs if p.kind != "same_story"] == []
    assert res.passages == ()
    d = res.to_dict()
    assert {b["text"] for b in d["boilerplate"]} == {NAV, FOOTER}


def test_two_unrelated_articles_sharing_a_frame_are_not_near_duplicates() -> None:
    res = _run({"a.txt": framed(ARTICLES[0]), "b.txt": framed(ARTICLES[1])})
    assert [p.kind for p in res.pairs] == []
    # Two documents are too few to call the frame boilerplate; it shows as shared passages only.
    assert res.boilerplate == ()
    assert {res.text(p.a) for p in res.passages} <= {NAV, FOOTER}


def test_republished_story_is_not_boilerplate() -> None:
    story = ARTICLES[2]
    texts = {f"outlet{i}.txt": f"Outlet {i} morning edition number {i}\n\n{story}\n" for i in range(6)}
    res = _run(texts)
    assert res.boilerplate == ()
    dup_pairs = [p for p in res.pairs if p.kind in ("duplicate", "near_duplicate")]
    assert len(dup_pairs) == 15


def test_boilerplate_off_keeps_old_behaviour() -> None:
    res = _run({f"site/{i}.txt": framed(a) for i, a in enumerate(ARTICLES)}, boilerplate=False)
    assert res.boilerplate == ()
    assert len(res.passages) > 0


def test_near_identical_datelines_are_boilerplate() -> None:
    texts = {
        f"d{i}.txt": f"Published on day {i} of March 2024 by the Valley Gazette news desk team\n\n{a}\n"
        for i, a in enumerate(ARTICLES)
    }
    res = _run(texts)
    assert len(res.boilerplate) >= 1
    assert res.passages == ()


def test_seed_link_items_and_nav_are_boilerplate_only_where_they_repeat(seeds: dict[str, str]) -> None:
    res = _run(seeds)
    assert res.boilerplate == ()  # nothing in the five seeds repeats across enough documents
    # Take 003's "Other News" link items and 004's navigation line at test time and
    # put them into a site of unrelated articles: now they really repeat.
    lines = seeds["003"].splitlines()
    start = lines.index("Other News")
    links = [ln for ln in lines[start + 1 :] if ln.startswith("- ")][:3]
    nav = seeds["004"].splitlines()[0]
    assert len(links) == 3 and len(nav.split()) > 10
    block = "\n".join([nav, *links])
    site = {f"site{i}.txt": f"{block}\n\n{a}\n" for i, a in enumerate(ARTICLES)}
    res = _run({**seeds, **site})
    bp_texts = {res.text(b.occurrences[0]) for b in res.boilerplate}
    assert bp_texts == {nav, *links}
    for b in res.boilerplate:
        docs = {s.doc for s in b.occurrences}
        # Every site copy, plus the seed the line came from (003 or 004).
        assert set(site) <= docs <= set(site) | {"003", "004"}
        assert len(docs) == len(site) + 1
    assert [p for p in res.pairs if p.kind != "same_story" and p.a.startswith("site")] == []


def test_very_common_paragraph_is_linked_as_a_star() -> None:
    import random

    from dedup.match import MAX_CLIQUE, paragraph_matches
    from dedup.models import Document
    from dedup.paragraphs import prepare

    rng = random.Random(7)
    n = MAX_CLIQUE + 50

    def body() -> str:
        return " ".join(f"w{rng.randrange(100_000)}" for _ in range(30))

    docs = [Document(f"d{i:03d}", f"{FOOTER}\n\n{body()}") for i in range(n)]
    cfg = Config(boilerplate=False, story=False)
    matches = paragraph_matches(prepare(docs, cfg), cfg)
    assert len(matches) == n - 1  # not n * (n - 1) / 2
    res = _run({d.id: d.text for d in docs})
    assert [res.text(b.occurrences[0]) for b in res.boilerplate] == [FOOTER]
    assert res.boilerplate[0].documents == n
    assert res.pairs == () and res.passages == ()
