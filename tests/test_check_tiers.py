"""`dedup check` runs every tier of the pipeline: same story, rewrites, boilerplate (issue 13)."""

from __future__ import annotations

import pytest

from dedup.check import Index, check, fail_kinds
from dedup.config import Config
from dedup.detector import Detector
from dedup.errors import ConfigError
from dedup.io.readers import read_paths
from dedup.models import COPY_KINDS, Document

from .conftest import seed_path


def _seed_docs(seeds_dir, *prefixes):
    return read_paths([str(seed_path(seeds_dir, p)) for p in prefixes]).documents


def test_check_of_a_rewrite_finds_the_indexed_story_with_the_near_passage(seeds_dir, tmp_path):
    with Index.open(str(tmp_path / "idx.sqlite")) as idx:
        idx.add(_seed_docs(seeds_dir, "000", "003", "004"))
        [new] = _seed_docs(seeds_dir, "002")
        res = check([new], idx, fail_on=["copies", "same-story"])
    [pair] = res.result.pairs
    assert pair.kind == "same_story"
    assert {pair.a, pair.b} == {new.id, seed_path(seeds_dir, "000").name}
    assert res.failed and res.verdict()["findings"] == 1
    # The carried scholarships paragraph, with offsets into both texts.
    old_text = seed_path(seeds_dir, "000").read_text(encoding="utf-8")
    texts = {new.id: new.text, seed_path(seeds_dir, "000").name: old_text}
    carried = [
        p
        for p in res.result.passages
        if p.kind == "near"
        and p.a.doc != p.b.doc
        and all("scholarship" in texts[s.doc][s.start : s.end].lower() for s in (p.a, p.b))
    ]
    assert len(carried) == 1
    # 003's link lists and 004's navigation are not findings.
    involved = {p.a for p in res.result.pairs} | {p.b for p in res.result.pairs}
    involved |= {s.a.doc for s in res.result.passages} | {s.b.doc for s in res.result.passages}
    assert not any(i.startswith(("003", "004")) for i in involved)


def test_same_story_is_a_notice_unless_the_user_fails_on_it(seeds_dir, tmp_path):
    with Index.open(str(tmp_path / "idx.sqlite")) as idx:
        idx.add(_seed_docs(seeds_dir, "000", "003", "004"))
        res = check(_seed_docs(seeds_dir, "002"), idx)
    assert not res.failed
    assert [f.kind for f in res.notices] == ["same_story"]


def _nav_corpus(n: int) -> list[Document]:
    nav = "Home | World news | Business and markets | Sport results | Culture and arts | Contact us today"
    docs = []
    for i in range(n):
        body = "\n\n".join(
            f"Story {i} paragraph {k}: " + " ".join(f"w{i}x{k}x{j}" for j in range(14)) for k in range(4)
        )
        docs.append(Document(f"site/{i:03d}.txt", nav + "\n\n" + body))
    return docs


def test_a_line_of_fifty_indexed_documents_is_boilerplate_in_a_document_checked_alone(tmp_path):
    docs = _nav_corpus(51)
    with Index.open(str(tmp_path / "idx.sqlite")) as idx:
        idx.add(docs[:50])
        res = check([docs[50]], idx, fail_on=["copies", "same-story", "passages"])
    assert not res.failed
    assert res.result.passages == ()
    [entry] = res.result.boilerplate
    # Listed where it occurs in the checked document, counted in every document holding it.
    assert [(s.doc, s.start, s.end) for s in entry.occurrences] == [(docs[50].id, 0, docs[50].text.index("\n\n"))]
    assert entry.documents == 51


def test_check_reports_what_a_scan_reports_for_the_new_documents(tmp_path):
    from benchmarks.planted import generate, load_articles

    from .conftest import ROOT

    lee = ROOT.parent / "shared" / "eval-data" / "lee" / "lee_background.cor"
    if not lee.is_file():
        pytest.skip(f"{lee} is absent")
    planted = generate(load_articles(str(lee)), seed=5, n_originals=24, n_excerpts=10, n_repeats=4)
    docs = [Document(d.id, d.text) for d in planted.docs]
    new = [d for i, d in enumerate(docs) if i % 4 == 0]
    old = [d for i, d in enumerate(docs) if i % 4]
    det = Detector()
    for d in docs:
        det.add_document(d)
    scan = det.run()
    new_ids = {d.id for d in new}
    with Index.open(str(tmp_path / "idx.sqlite")) as idx:
        idx.add(old)
        res = check(new, idx)

    def rows(pairs):
        return sorted((p.a, p.b, p.kind) for p in pairs if p.a in new_ids or p.b in new_ids)

    def copy_scores(pairs):
        return sorted((p.a, p.b, round(p.similarity, 9)) for p in pairs if p.kind in COPY_KINDS)

    def spans(passages):
        return sorted(
            (p.a.doc, p.a.start, p.a.end, p.b.doc, p.b.start, p.b.end, p.kind)
            for p in passages
            if p.a.doc in new_ids or p.b.doc in new_ids
        )

    assert rows(res.result.pairs) == rows(scan.pairs)
    assert copy_scores(res.result.pairs) == copy_scores(p for p in scan.pairs if p.a in new_ids or p.b in new_ids)
    story = {(p.a, p.b): p.similarity for p in scan.pairs if p.kind == "same_story"}
    for p in res.result.pairs:
        if p.kind == "same_story":
            assert abs(p.similarity - story[(p.a, p.b)]) <= 0.05
    assert {p.kind for p in res.result.pairs} >= {"same_story", "near_duplicate"}
    assert spans(res.result.passages) == spans(scan.passages)


def test_fail_on_values_are_validated():
    assert fail_kinds("pairs") == fail_kinds("copies") == COPY_KINDS
    with pytest.raises(ConfigError):
        fail_kinds(["copies", "stories"])


def test_check_with_the_story_tier_off_reports_copies_only(tmp_path):
    docs = _nav_corpus(3)
    with Index.open(str(tmp_path / "idx.sqlite"), Config(story=False)) as idx:
        idx.add(docs[:2])
        res = check([docs[0].__class__("copy.txt", docs[0].text)], idx)
    assert [p.kind for p in res.result.pairs] == ["duplicate"]


def test_a_baseline_accepts_a_same_story_finding(seeds_dir, tmp_path):
    from dedup.baseline import Baseline, Finding

    with Index.open(str(tmp_path / "idx.sqlite")) as idx:
        idx.add(_seed_docs(seeds_dir, "000", "003", "004"))
        new = _seed_docs(seeds_dir, "002")
        first = check(new, idx, fail_on=["same-story"])
        assert first.failed
        accepted = Baseline.from_findings(first.all_findings())
        again = check(new, idx, baseline=accepted, fail_on=["same-story"])
    assert not again.failed
    [f] = again.suppressed
    assert f == Finding.of(new[0].id, seed_path(seeds_dir, "000").name, "same_story")


def test_github_annotations_mark_failing_findings_error_and_the_others_notice(seeds_dir, tmp_path):
    from click.testing import CliRunner

    from dedup.cli import cli

    index = str(tmp_path / "idx.sqlite")
    runner = CliRunner()
    old = [str(seed_path(seeds_dir, p)) for p in ("000", "003", "004")]
    assert runner.invoke(cli, ["index", "add", *old, "--index", index]).exit_code == 0
    copy = tmp_path / "republished.txt"
    copy.write_text(seed_path(seeds_dir, "000").read_text(encoding="utf-8"), encoding="utf-8")
    new = [str(seed_path(seeds_dir, "002")), str(copy)]
    res = runner.invoke(cli, ["check", *new, "--index", index, "--format", "github"])
    assert res.exit_code == 1, res.output
    lines = [x for x in res.stdout.splitlines() if x.startswith("::")]
    copies = [x for x in lines if "title=dedup duplicate" in x]
    stories = [x for x in lines if "title=dedup same_story" in x and "002_" in x.split("::")[1]]
    # One annotation for the copy (the indexed original is not annotated), an error: it fails.
    assert len(copies) == 1 and copies[0].startswith("::error file=")
    # The rewrite is reported but does not fail the check (default --fail-on copies).
    assert stories and all(x.startswith("::notice file=") for x in stories)
    strict = runner.invoke(
        cli, ["check", *new, "--index", index, "--format", "github", "--fail-on", "copies", "--fail-on", "same-story"]
    )
    assert strict.exit_code == 1
    assert all(x.startswith("::error file=") for x in strict.stdout.splitlines() if "title=dedup same_story" in x)


def test_cli_check_of_a_rewrite_exits_1_only_when_same_story_fails_the_check(seeds_dir, tmp_path):
    from click.testing import CliRunner

    from dedup.cli import cli

    index = str(tmp_path / "idx.sqlite")
    runner = CliRunner()
    old = [str(seed_path(seeds_dir, p)) for p in ("000", "003", "004")]
    assert runner.invoke(cli, ["index", "add", *old, "--index", index]).exit_code == 0
    rewrite = str(seed_path(seeds_dir, "002"))
    assert runner.invoke(cli, ["check", rewrite, "--index", index]).exit_code == 0
    res = runner.invoke(cli, ["check", rewrite, "--index", index, "--fail-on", "same-story", "--format", "json"])
    assert res.exit_code == 1
    import json

    data = json.loads(res.stdout)
    assert data["verdict"] == {"failed": True, "findings": 1, "notices": 0, "accepted": 0}
    assert [p["kind"] for p in data["pairs"]] == ["same_story"]
    assert data["pairs"][0]["evidence"]["shared_specific"] >= 4


def test_documents_loaded_for_the_story_tier_only_are_not_aligned():
    """``detect(story_only=)``: such a document takes no part in matching or alignment."""
    import numpy as np

    from dedup import pipeline

    shared = "the harbour commission voted on tuesday to close the northern ferry terminal for two years of repairs"
    docs = [
        Document("a", f"Opening words about a market. {shared}. Closing words about the weather and rain.\n\nMore."),
        Document("b", f"A long unrelated start about the school library hours. {shared}. Then a coach spoke."),
    ]
    cfg = Config(story=False)
    table = pipeline.fingerprint(docs, cfg)
    both = pipeline.detect(table, docs, cfg)
    assert [(p.a.doc, p.b.doc) for p in both.passages] == [("a", "b")]
    found = both.passages[0]
    # The shared sentence, found below the paragraph with its offsets in both texts.
    a0, b0 = docs[0].text.index(shared), docs[1].text.index(shared)
    assert (found.a.start, found.a.end, found.b.start, found.b.end) == (a0, a0 + len(shared), b0, b0 + len(shared))
    only = pipeline.detect(table, docs, cfg, story_only=np.array([False, True]))
    assert only.passages == ()
    assert only.pairs == ()
