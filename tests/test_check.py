"""`dedup check` against an index: findings, offsets, exit codes, baselines, --add."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dedup.baseline import Baseline, Finding
from dedup.check import Index, check
from dedup.detector import Detector
from dedup.errors import InputError
from dedup.models import COPY_KINDS, Document

from .ci_articles import article, write

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*args, cwd=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("DEDUP_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "dedup", *args], cwd=cwd, env=env, capture_output=True, text=True)


ORIGINAL = article(7, paragraphs=6)
# Re-published: a new headline and a sign-off around the original body.
BODY = ORIGINAL.split("\n\n", 1)[1]
REPUBLISHED = "Lighthouse keepers welcome the festival crowds again\n\n" + BODY + "\nReprinted with permission.\n"


@pytest.fixture
def site(tmp_path):
    published = tmp_path / "published"
    for s in range(1, 7):
        write(str(published), f"2023/post-{s}.md", ORIGINAL if s == 3 else article(s))
    incoming = tmp_path / "incoming"
    write(str(incoming), "republished.md", REPUBLISHED)
    write(str(incoming), "fresh.md", article(42))
    index = str(tmp_path / "site.dedup")
    r = run_cli("index", "add", str(published), "--index", index)
    assert r.returncode == 0, r.stderr
    return tmp_path, index


def test_republished_article_fails_and_names_the_indexed_original(site):
    tmp_path, index = site
    r = run_cli("check", str(tmp_path / "incoming"), "--index", index, "--format", "json")
    assert r.returncode == 1, r.stderr
    data = json.loads(r.stdout)
    pairs = [(p["a"], p["b"], p["kind"]) for p in data["pairs"]]
    assert pairs == [("2023/post-3.md", "republished.md", "near_duplicate")]
    docs = {d["id"]: d for d in data["documents"]}
    assert docs["2023/post-3.md"]["meta"]["indexed"] is True
    assert "fresh.md" in docs
    [passage] = data["passages"]
    a, b = passage["a"], passage["b"]
    assert a["doc"] == "2023/post-3.md" and b["doc"] == "republished.md"
    # Offsets address the indexed original's text and the new file's text exactly.
    start = ORIGINAL.index(BODY.strip()[:40])
    assert a["start"] == start
    assert a["end"] == len(ORIGINAL.rstrip())
    assert ORIGINAL[a["start"] : a["end"]] == REPUBLISHED[b["start"] : b["end"]]
    assert passage["kind"] == "exact" and passage["paragraphs"] == 6


def test_clean_article_passes(site):
    tmp_path, index = site
    r = run_cli("check", str(tmp_path / "incoming" / "fresh.md"), "--index", index)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 pairs" in r.stdout


def test_new_content_duplicating_itself_fails(tmp_path):
    index = str(tmp_path / "empty.dedup")
    run_cli("index", "add", write(str(tmp_path / "pub"), "x.md", article(1)), "--index", index)
    write(str(tmp_path / "new"), "one.md", article(50))
    write(str(tmp_path / "new"), "two.md", article(50))
    r = run_cli("check", str(tmp_path / "new"), "--index", index, "--format", "json")
    assert r.returncode == 1
    assert [p["kind"] for p in json.loads(r.stdout)["pairs"]] == ["duplicate"]


def test_baseline_suppresses_a_known_pair(site):
    tmp_path, index = site
    baseline = str(tmp_path / "baseline.json")
    new = str(tmp_path / "incoming")
    r = run_cli("check", new, "--index", index, "--write-baseline", baseline)
    assert r.returncode == 0, r.stderr
    with open(baseline, encoding="utf-8") as fh:
        saved = json.load(fh)
    assert saved["accepted"] == [{"a": "2023/post-3.md", "b": "republished.md", "kind": "near_duplicate"}]
    r = run_cli("check", new, "--index", index, "--baseline", baseline, "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["pairs"] == []
    assert "1 accepted by the baseline" in r.stderr
    # A baseline accepting something else does not hide the finding.
    other = tmp_path / "other.json"
    accepted = [{"a": "2023/post-1.md", "b": "republished.md", "kind": "near_duplicate"}]
    other.write_text(json.dumps({"accepted": accepted}))
    assert run_cli("check", new, "--index", index, "--baseline", str(other)).returncode == 1
    # Nor does one accepting the same documents with another kind.
    kind = tmp_path / "kind.json"
    kind.write_text(json.dumps({"accepted": [{"a": "republished.md", "b": "2023/post-3.md", "kind": "duplicate"}]}))
    assert run_cli("check", new, "--index", index, "--baseline", str(kind)).returncode == 1


def test_add_adds_only_clean_documents(site):
    tmp_path, index = site
    r = run_cli("check", str(tmp_path / "incoming"), "--index", index, "--add")
    assert r.returncode == 1
    with Index.open(index) as idx:
        ids = idx.document_ids()
    assert "fresh.md" in ids and "republished.md" not in ids
    r = run_cli("check", str(tmp_path / "incoming"), "--index", index, "--add-all")
    assert r.returncode == 1
    with Index.open(index) as idx:
        assert "republished.md" in idx.document_ids()


def test_usage_and_input_errors_exit_2(site, tmp_path):
    _, index = site
    assert run_cli("check", str(tmp_path / "incoming"), "--index", str(tmp_path / "none.db")).returncode == 2
    bad = write(str(tmp_path / "bad"), "bin.txt", "")
    with open(bad, "wb") as fh:
        fh.write(b"\x00\x01binary")
    r = run_cli("check", bad, "--index", index)
    assert r.returncode == 2 and "binary" in r.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert run_cli("check", str(tmp_path / "incoming"), "--index", index, "--baseline", str(broken)).returncode == 2
    assert run_cli("check", "--index", index).returncode == 2
    help_text = run_cli("check", "--help").stdout
    assert "Exit codes" in help_text and "findings of a --fail-on kind" in help_text


def _scan_pairs(documents):
    # check runs every tier: compare with a scan of the same documents with default settings.
    det = Detector()
    for d in documents:
        det.add_document(d)
    return det.run()


def test_check_reports_what_a_scan_of_new_and_matching_indexed_documents_reports(tmp_path):
    base = [Document(f"old/{s}.txt", article(s)) for s in range(20)]
    # New documents: a near copy of old/3 (one paragraph rewritten), a document containing
    # old/5's body plus more, one sharing a single paragraph with old/8, and a clean one.
    p3 = article(3).split("\n\n")
    p3[2] = article(200).split("\n\n")[1]
    new = [
        Document("new/a.txt", "\n\n".join(p3)),
        Document("new/b.txt", article(5) + "\n" + article(201)),
        Document("new/c.txt", article(202) + "\n" + article(8).split("\n\n")[2] + "\n"),
        Document("new/d.txt", article(203)),
    ]
    path = str(tmp_path / "idx.db")
    with Index.open(path) as idx:
        idx.add(base)
        got = check(new, idx)
    full = _scan_pairs(base + new)
    new_ids = {d.id for d in new}
    want_pairs = [p for p in full.pairs if p.a in new_ids or p.b in new_ids]
    want_passages = [p for p in full.passages if p.a.doc in new_ids or p.b.doc in new_ids]
    assert list(got.result.pairs) == want_pairs
    assert list(got.result.passages) == want_passages
    kinds = {(p.a, p.b): p.kind for p in got.result.pairs if p.kind in COPY_KINDS}
    assert kinds == {("new/a.txt", "old/3.txt"): "near_duplicate", ("new/b.txt", "old/5.txt"): "containment"}
    assert any(s.a.doc == "new/c.txt" and s.b.doc == "old/8.txt" for s in got.result.passages)
    assert got.findings == (
        Finding("new/a.txt", "old/3.txt", "near_duplicate"),
        Finding("new/b.txt", "old/5.txt", "containment"),
    )
    assert got.clean_ids() == ("new/c.txt", "new/d.txt")
    # Shared passages fail only with fail_on="passages".
    with Index.open(path) as idx:
        strict = check(new, idx, fail_on="passages")
    assert Finding("new/c.txt", "old/8.txt", "passage") in strict.findings


def test_library_baseline_round_trip_and_duplicate_ids(tmp_path):
    b = Baseline.from_findings([Finding.of("z", "a", "duplicate"), Finding.of("b", "c", "passage")])
    p = str(tmp_path / "b.json")
    b.write(p)
    assert Baseline.load(p) == b
    assert Finding("a", "z", "duplicate") in Baseline.load(p)
    with open(p, encoding="utf-8") as fh:
        assert fh.read() == b.to_json()
    with Index.open(str(tmp_path / "i.db")) as idx, pytest.raises(InputError, match="duplicate document id"):
        check([Document("x", "one two three"), Document("x", "four five six")], idx)


def test_root_gives_stable_ids_so_an_edited_post_does_not_match_itself(tmp_path):
    content = tmp_path / "content"
    for s in range(3):
        write(str(content), f"posts/p{s}.md", article(400 + s))
    index = str(tmp_path / "i.db")
    r = run_cli("index", "add", "content", "--root", "content", "--index", index, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    edited = write(str(content), "posts/p1.md", article(401) + "\nAn added paragraph about the new ferry timetable.\n")
    r = run_cli("check", edited, "--root", str(content), "--index", index, "--format", "json", "--add")
    assert r.returncode == 0, r.stdout
    assert [d["id"] for d in json.loads(r.stdout)["documents"]] == ["posts/p1.md"]
    with Index.open(index) as idx:
        assert idx.document_ids() == ["posts/p0.md", "posts/p1.md", "posts/p2.md"]
        assert "added paragraph" in idx.store.load_documents(["posts/p1.md"]).documents[0].text
    # Without a common root the file gets another id and matches its own indexed version.
    assert run_cli("check", edited, "--index", index).returncode == 1


def test_index_remove_and_info_cli_and_published_original_is_canonical(site):
    tmp_path, index = site
    r = run_cli("check", str(tmp_path / "incoming"), "--index", index, "--format", "json")
    [cluster] = json.loads(r.stdout)["clusters"]
    assert cluster == {"members": ["2023/post-3.md", "republished.md"], "canonical": "2023/post-3.md"}
    r = run_cli("index", "remove", "2023/post-3.md", "--index", index)
    assert r.returncode == 0 and "removed 1" in r.stdout
    r = run_cli("index", "info", "--index", index, "--format", "json", "--ids")
    info = json.loads(r.stdout)
    assert info["documents"] == 5 and "2023/post-3.md" not in info["ids"]
    assert info["settings"]["num_perm"] == 128
    # With the original gone, the re-published article is clean.
    assert run_cli("check", str(tmp_path / "incoming"), "--index", index).returncode == 0
    assert run_cli("index", "remove", "nope.md", "--index", index).returncode == 2


def test_check_output_is_byte_identical_across_runs(site):
    tmp_path, index = site
    outs = {
        fmt: {run_cli("check", str(tmp_path / "incoming"), "--index", index, "--format", fmt).stdout for _ in range(2)}
        for fmt in ("json", "sarif", "github")
    }
    assert all(len(v) == 1 and next(iter(v)) for v in outs.values())
