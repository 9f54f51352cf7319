"""The table format (grouped by cluster, 80 columns) and CSV/JSONL round-trips."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re

import pytest
from click.testing import CliRunner

from dedup import Detector
from dedup.cli import cli
from dedup.models import InputProblem, Pair, ScanResult
from dedup.report.formatters import CSV_COLUMNS, to_csv, to_jsonl, to_table
from dedup.report.table import MAX_PASSAGES_PER_PAIR, excerpt, shorten_middle

from .ci_articles import article

P1 = (
    "The town museum received a collection of two hundred old postcards showing the harbour before the "
    "great storm, donated by the grandchildren of a local photographer."
)
P2 = (
    "Curators will scan every card during the winter and publish the images online, together with the "
    "handwritten notes found on the back of many of them."
)
P3 = (
    "An exhibition of the fifty best preserved cards is planned for next autumn in the small gallery on "
    "the ground floor, next to the model of the lighthouse."
)
P3_B = (
    "An exhibition of the fifty best preserved postcards is planned for next autumn in the small gallery "
    "on the ground floor, right next to the model of the lighthouse."
)
UNRELATED = (
    "Football club signs a young goalkeeper from the second division on a three year contract after a long "
    "negotiation with his former team and their sponsors."
)
BLOCK = (
    "Subscribe to our newsletter to receive the most important stories of the week in your inbox every "
    "Saturday morning, free of charge."
)
LONG_DIR = "archive/" + "very-long-folder-name-" * 5


def _result():
    det = Detector()
    det.add("museum-a.txt", f"{P1}\n\n{P2}\n\n{P3}")
    det.add(f"{LONG_DIR}/museum-b-with-a-long-file-name.txt", f"{P1}\n\n{P2}\n\n{P3_B}")
    det.add("museum-c.txt", f"{P1}\n\n{P2}\n\n{P3}")
    det.add('sports, "quoted".txt', f"{UNRELATED}\n\n{BLOCK}\n\nA short line.\n\n{BLOCK}")
    det.add("digest.txt", f"{UNRELATED}\n\nWeather: sunny and mild across the region today with light wind.")
    return det.run()


@pytest.fixture(scope="module")
def result():
    return _result()


def test_fits_80_columns(result):
    text = to_table(result)
    assert all(len(line) <= 80 for line in text.splitlines()), [ln for ln in text.splitlines() if len(ln) > 80]
    for width in (40, 60, 100):
        assert all(len(line) <= width for line in to_table(result, width=width).splitlines())


def test_grouped_by_cluster_with_excerpts(result):
    text = to_table(result)
    assert len(result.clusters) == 1
    cluster = text[text.index("Cluster 1: 3 documents") :]
    # Up to the next section heading (a line underlined with "=").
    nxt = re.search(r"\n\n[^\n]+\n=+\n", cluster[len("Cluster 1") :])
    cluster = cluster[: len("Cluster 1") + nxt.start()] if nxt else cluster
    # Members, the canonical one marked, then the pairs between them with excerpts.
    assert "  keep museum-a.txt" in cluster  # canonical="first": the member added first
    assert "       archive/" in cluster
    assert "museum-a.txt" in cluster and "museum-c.txt" in cluster
    assert cluster.count("near_duplicate") + cluster.count("duplicate ") >= 3
    assert "duplicate 1.00  A in B 100%, B in A 100%" in cluster
    assert '"The town museum received a collection' in cluster
    # Near passages list the words that differ (from the shared word diff).
    assert cluster.count("only in A: postcards; right") == 2
    assert cluster.count("only in B: cards") == 2
    # Long ids are shortened in the middle and keep the file name.
    assert "...long-file-name.txt" in cluster or "museum-b-with-a-long-file-name.txt" in cluster
    assert LONG_DIR not in text


def test_other_sections(result):
    text = to_table(result)
    # digest.txt quotes the football story of sports.txt: with the same-story tier (issue 4) the two
    # are a same_story pair and their passage is listed there, else under "Passages shared".
    heading = (
        "Same story (rewritten, not copies)"
        if any(p.kind == "same_story" for p in result.pairs)
        else "Passages shared by documents that are not copies"
    )
    shared = text[text.index(heading) :]
    assert "digest.txt" in shared and 'sports, "quoted".txt' in shared
    assert '"Football club signs a young goalkeeper' in shared
    inside = text[text.index("Passages repeated inside one document") :]
    assert 'sports, "quoted".txt' in inside and '"Subscribe to our newsletter' in inside
    assert text.index("Cluster 1") < text.index(heading) < text.index("Passages repeated")


def test_same_story_section_and_problems(result):
    extra = Pair("digest.txt", "museum-a.txt", "same_story", 0.3, 0.0, 0.0, 0)
    r = dataclasses.replace(
        result,
        pairs=tuple(sorted((*result.pairs, extra))),
        errors=(InputProblem("broken/" + "x" * 120 + ".txt", "cannot decode: invalid bytes everywhere"),),
    )
    text = to_table(r)
    story = text[text.index("Same story (rewritten, not copies)") :]
    assert "same_story 0.30" in story and "digest.txt" in story
    assert "Errors" in text and "cannot decode" in text
    assert all(len(line) <= 80 for line in text.splitlines())


def test_deterministic(result):
    assert to_table(result) == to_table(_result())


def test_many_passages_are_capped():
    paras = [
        f"Paragraph number {i} tells its own story about topic {i} with several distinct words." for i in range(20)
    ]
    gap = [f"Unrelated filler line {i} with other words entirely, nothing alike at all." for i in range(20)]
    a = "\n\n".join(p for pair in zip(paras, gap) for p in pair)
    b = "\n\n".join(paras)
    # Templated lines that differ in one number match each other at the tuned defaults
    # (word 2-grams, threshold 0.3; issue 4), so this test keeps the stricter settings.
    det = Detector(threshold=0.5, shingle_size=3)
    det.add("a.txt", a)
    det.add("b.txt", b)
    r = det.run()
    between = [s for s in r.passages if s.a.doc != s.b.doc]
    assert len(between) == 20
    text = to_table(r)
    assert f"... and {20 - MAX_PASSAGES_PER_PAIR} more passages" in text


def test_helpers():
    assert shorten_middle("news/2024/march/harbor-bridge.md", 20) == "news/...or-bridge.md"
    assert len(shorten_middle("x" * 100, 30)) == 30
    assert shorten_middle("short", 30) == "short"
    r = _result()
    span = r.passages[0].a
    assert len(excerpt(r, span, 30)) <= 30


def test_cli_default_is_table(tmp_path):
    (tmp_path / "a.txt").write_text(f"{P1}\n\n{P2}", encoding="utf-8")
    (tmp_path / "b.txt").write_text(f"{P1}\n\n{P2}", encoding="utf-8")
    res = CliRunner().invoke(cli, ["scan", str(tmp_path)])
    assert res.exit_code == 0
    assert res.output.startswith("2 documents, 1 pair, 1 passage (1 exact, 0 near), 1 cluster, 0 errors")
    assert "Cluster 1: 2 documents" in res.output


# --- CSV and JSONL round-trips --------------------------------------------------------------


def _num(v: str):
    return float(v) if "." in v else int(v)


def test_csv_round_trip(result):
    rows = list(csv.DictReader(io.StringIO(to_csv(result))))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    d = result.to_dict()
    pairs = [r for r in rows if r["record"] == "pair"]
    passages = [r for r in rows if r["record"] == "passage"]
    assert len(pairs) + len(passages) == len(rows)
    back_pairs = [
        {
            "a": r["a"],
            "b": r["b"],
            "kind": r["kind"],
            "similarity": _num(r["similarity"]),
            "containment": max(_num(r["a_in_b"]), _num(r["b_in_a"])),
            "a_in_b": _num(r["a_in_b"]),
            "b_in_a": _num(r["b_in_a"]),
            "passages": int(r["passages"]),
        }
        for r in pairs
    ]
    assert back_pairs == d["pairs"]
    back_passages = [
        {
            "a": {"doc": r["a"], "start": int(r["a_start"]), "end": int(r["a_end"])},
            "b": {"doc": r["b"], "start": int(r["b_start"]), "end": int(r["b_end"])},
            "similarity": _num(r["similarity"]),
            "kind": r["kind"],
            "paragraphs": int(r["paragraphs"]),
        }
        for r in passages
    ]
    assert back_passages == d["passages"]
    assert any("," in r["a"] or "," in r["b"] for r in passages)  # quoting survived


def test_jsonl_round_trip(result):
    lines = to_jsonl(result).splitlines()
    objs = [json.loads(line) for line in lines]
    d = result.to_dict()
    settings = objs[0]
    assert settings.pop("type") == "settings"
    assert settings.pop("schema") == d["schema"]
    assert settings == d["settings"]
    lists = {k for k, v in d.items() if isinstance(v, list)}
    back: dict[str, list] = {k: [] for k in lists}
    for o in objs[1:]:
        t = o.pop("type")
        key = t + "s" if t + "s" in lists else t  # "pair" -> "pairs"; a list named as its type stays
        assert key in lists, f"JSONL record type {t!r} has no list in the JSON contract"
        back[key].append(o)
    assert back == {k: d[k] for k in lists}  # every list of the contract, complete and in order
    assert len(lines) == 1 + sum(len(v) for v in back.values())


# --- summaries of large results and wording (issue 16) ----------------------------------------


def _many_clusters(n: int) -> ScanResult:
    """``n`` clusters of two identical documents each, plus one three-member cluster."""
    det = Detector(story=False, boilerplate=False)
    for i in range(n):
        text = article(100 + i)
        det.add(f"set-{i}/a.txt", text)
        det.add(f"set-{i}/b.txt", text)
    det.add("big/x.txt", f"{P2}\n\n{P3}")
    det.add("big/y.txt", f"{P2}\n\n{P3}")
    det.add("big/z.txt", f"{P2}\n\n{P3}")
    return det.run()


def test_large_result_is_a_summary_with_counts_of_the_rest():
    r = _many_clusters(30)
    assert len(r.clusters) == 31
    text = to_table(r, max_clusters=5)
    assert text.count("\nCluster ") == 5
    # Largest first: the three-member cluster leads.
    assert text.index("Cluster 1: 3 documents") < text.index("Cluster 2: 2 documents")
    assert "... and 26 more clusters (use --format json)" in text
    full = to_table(r, max_clusters=100)
    assert full.count("\nCluster ") == 31 and "more clusters" not in full


def test_cluster_members_and_passages_are_capped():
    det = Detector(story=False, boilerplate=False)
    for i in range(15):
        det.add(f"copy-{i}.txt", f"{P1}\n\n{P2}")
    text = to_table(det.run(), max_members=4, max_cluster_pairs=3)
    assert "  keep copy-0.txt" in text
    listed = [ln for ln in text.splitlines() if ln.startswith("       copy-")]
    assert listed == ["       copy-1.txt", "       copy-2.txt", "       copy-3.txt"]  # natural order
    assert "... and 11 more members (use --format json)" in text
    assert "... and 102 more pairs in this cluster (use --format json)" in text  # 15*14/2 = 105


def test_summary_says_no_copies_found_and_wraps_between_phrases():
    det = Detector()
    det.add("a.txt", P1)
    det.add("b.txt", UNRELATED)
    text = to_table(det.run())
    assert text.splitlines()[0] == "2 documents, no copies found, 0 pairs, 0 passages, 0 clusters, 0 errors"
    r = _result()
    for width in (40, 50, 60):
        lines = to_table(r, width=width).split("\n\n")[0].splitlines()
        phrases = " ".join(ln.strip() for ln in lines).split(", ")
        assert phrases[0] == "5 documents" and phrases[-1] == "0 errors"
        # Every line ends at a phrase boundary: no "0\n errors".
        assert all(ln.endswith(",") for ln in lines[:-1]), lines
        assert all(len(ln) <= width for ln in lines)


def test_containment_says_which_file_contains_which():
    det = Detector(story=False)
    det.add("full.txt", f"{P1}\n\n{P2}\n\n{P3}\n\n{UNRELATED}\n\n{BLOCK}")
    det.add("excerpt.txt", f"{P1}\n\n{P2}")
    r = det.run()
    (pair,) = r.pairs
    assert pair.kind == "containment" and pair.a == "excerpt.txt"
    text = to_table(r)
    assert f"B contains A: {pair.a_in_b:.0%} of A lies in B" in text


def test_boilerplate_entries_count_the_documents_the_rule_needs():
    from dedup.models import Boilerplate, Document, ScanResult, Span

    docs = tuple(Document(f"d{i}.txt", f"Home | News | Sport {i}\n\nBody {i}") for i in range(5))
    bp = (
        Boilerplate(tuple(Span(f"d{i}.txt", 0, 20) for i in range(5)), 5, 4),
        Boilerplate((Span("d0.txt", 0, 20),), 1, 4),
    )
    r = ScanResult(docs, (), (), (), settings={"boilerplate_min_docs": 4}, boilerplate=bp)
    text = to_table(r)
    section = text[text.index("Boilerplate") :]
    assert '  in 5 documents, 5 times: "Home | News | Sport"' in section
    # The exact text is in one document, but the rule counted its variants (a changing dateline).
    assert "in 1 document as written (4+ with near-identical variants), 1 time" in section
    assert "in 1 document," not in section


def test_rewrites_list_no_word_differences():
    from dedup.models import Document, Passage, Span

    docs = (Document("a.txt", P3), Document("b.txt", P3_B))
    near = Passage(Span("a.txt", 0, len(P3)), Span("b.txt", 0, len(P3_B)), 0.7, "near", 1)
    for kind, expect_lists in (("same_story", False), ("near_duplicate", True)):
        r = ScanResult(docs, (near,), (Pair("a.txt", "b.txt", kind, 0.9, 0.9, 0.9, 1),), ())
        text = to_table(r)
        assert ("only in A: cards" in text) == expect_lists, text


def test_table_reads_only_the_text_it_shows(monkeypatch):
    """The work of the table does not grow with the entries it leaves out: text is read for shown ones."""
    small, large = _many_clusters(25), _many_clusters(60)
    calls = {"n": 0}
    original = ScanResult.text

    def counting(self, span):
        calls["n"] += 1
        return original(self, span)

    monkeypatch.setattr(ScanResult, "text", counting)
    counts = []
    for r in (small, large):
        calls["n"] = 0
        to_table(r)
        counts.append(calls["n"])
    assert counts[0] == counts[1] > 0


def test_table_explains_each_same_story_pair_with_its_shared_specific_terms(seeds_dir):
    import dedup
    from dedup.report.table import to_table

    text = to_table(dedup.scan(str(seeds_dir)))
    section = text.split("Same story (rewritten, not copies)", 1)[1]
    assert section.count("    why: shares ") == 3  # the three rewrites of the school visit
    assert "Politburo" in section and "shared: " in section
    assert all(len(line) <= 80 for line in text.splitlines())
