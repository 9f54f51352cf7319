"""The Spark job (dedup.spark) against the local pipeline, on a real local Spark.

Skipped with a reason when pyspark or Java is absent, except in CI (env
``CI=true``), where .ci/run installs both and a missing one is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import dedup
from dedup import Config, Detector
from dedup.cluster import UnionFind
from dedup.errors import OutputError

from .corpus_gen import CorpusGenerator
from .spark_support import IN_CI, local_session, spark_missing

ROOT = Path(__file__).resolve().parent.parent


_MISSING = spark_missing()
if _MISSING and not IN_CI:
    pytest.skip(f"Spark tests skipped: {_MISSING}", allow_module_level=True)

from dedup.spark import SparkOptions, copy_tiers, read_jsonl_dataset, spark_scan  # noqa: E402
from dedup.spark.job import connected_components, driver_components  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    """One local Spark session for the module (2 cores, few partitions)."""
    yield from local_session("dedup-tests", shuffle_partitions=4)


OPTS = SparkOptions(partitions=4)


NAMES = ("documents", "pairs", "passages", "clusters", "boilerplate")


def _spark_dict(out: Path) -> dict:
    return {name: read_jsonl_dataset(str(out), name) for name in NAMES}


def _local_dict(result: dedup.ScanResult) -> dict:
    d = result.to_dict()
    return {name: d[name] for name in NAMES}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A ~2,000-document corpus with planted duplicates, plus two unreadable files."""
    folder = tmp_path_factory.mktemp("planted")
    docs = CorpusGenerator(seed=11).corpus(2000, boilerplate=0.08)  # > MAX_CLIQUE copies of one line
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "zz-binary.txt").write_bytes(b"\x00\x01 not text")
    (folder / "zz-empty.txt").write_text("   \n", encoding="utf-8")
    return folder, docs


def test_spark_equals_local_scan_on_planted_corpus(spark, planted, tmp_path):
    folder, docs = planted
    local = dedup.scan(str(folder), story=False, boilerplate=False, align=False)
    out = tmp_path / "out"
    cfg = Config(story=False, boilerplate=False, align=False)
    summary = spark_scan(str(folder), str(out), cfg, options=OPTS, spark=spark)

    got = _spark_dict(out)
    want = _local_dict(local)
    assert got["documents"] == want["documents"]
    assert got["pairs"] == want["pairs"]
    assert got["passages"] == want["passages"]
    assert got["clusters"] == want["clusters"]
    # Errors and counts in summary.json, as in the local JSON.
    saved = json.loads((out / "summary.json").read_text())
    assert saved["errors"] == local.to_dict()["errors"] and len(saved["errors"]) == 2
    assert saved["settings"] == local.settings
    assert summary.counts["documents"] == len(docs) == len(local.documents)
    assert summary.counts["pairs"] == len(local.pairs)

    # The planted relations are really there (so equality is not vacuous).
    kinds = {frozenset((p.a, p.b)): p.kind for p in local.pairs}
    copies = [n for n in docs if n.endswith("-copy.txt")]
    edits = [n for n in docs if n.endswith("-edit.txt")]
    quotes = [n for n in docs if n.endswith("-quote.txt")]
    repeats = [n for n in docs if n.endswith("-repeat.txt")]
    assert min(len(copies), len(edits), len(quotes), len(repeats)) >= 50
    boiler = "Sign up for the morning briefing"
    assert sum(boiler in t for t in docs.values()) > 100  # identical text linked as a star (MAX_CLIQUE)
    for c in copies:
        assert kinds[frozenset((c.replace("-copy", ""), c))] == "duplicate"
    for e in edits:
        assert kinds[frozenset((e.replace("-edit", ""), e))] in ("near_duplicate", "containment")
    passage_docs = {frozenset((p.a.doc, p.b.doc)) for p in local.passages}
    for q in quotes:
        assert frozenset((q.replace("-quote", ""), q)) in passage_docs
    for r in repeats:
        if len(docs[r].split("\n\n")[0].split()) >= 3:  # the repeated block is not just a heading
            assert frozenset((r,)) in passage_docs
    # Unrelated base articles are not paired with each other.
    bases = {n for n in docs if "-" not in n}
    assert not [k for k in kinds if k <= bases]
    assert len(got["passages"]) > 500 and len(got["clusters"]) > 50

    # Parquet holds the same records; its part files, read in name order, are in the same order.
    parts = sorted((out / "pairs.parquet").glob("part-*.parquet"))
    rows = [r.asDict() for part in parts for r in spark.read.parquet(str(part)).collect()]
    assert rows == got["pairs"]
    prow = spark.read.parquet(str(out / "passages.parquet")).collect()
    assert sorted(json.dumps(r.asDict(recursive=True)) for r in prow) == sorted(json.dumps(p) for p in got["passages"])
    crow = spark.read.parquet(str(out / "clusters.parquet")).collect()
    assert sorted(json.dumps(r.asDict()) for r in crow) == sorted(json.dumps(c) for c in got["clusters"])


def test_spark_with_boilerplate_equals_local_scan(spark, planted, tmp_path):
    folder, _docs = planted
    local = dedup.scan(str(folder), story=False, align=False)
    out = tmp_path / "out"
    summary = spark_scan(str(folder), str(out), copy_tiers(Config()), options=OPTS, spark=spark)
    got, want = _spark_dict(out), _local_dict(local)
    for name in NAMES:
        assert got[name] == want[name], name
    # The planted newsletter line is boilerplate, with every occurrence listed.
    briefing = [b for b in want["boilerplate"] if "Sign up for the morning briefing" in b["text"]]
    assert briefing and briefing[0]["documents"] > 100
    assert summary.settings["boilerplate"] is True and summary.settings["story"] is False


def _small_docs(n: int, seed: int) -> dict[str, str]:
    return CorpusGenerator(seed=seed).corpus(n, boilerplate=0.1)


def test_jsonl_and_parquet_inputs_equal_detector(spark, tmp_path):
    docs = _small_docs(250, seed=5)
    dates = {k: f"2024-01-{(i % 28) + 1:02d}" for i, k in enumerate(sorted(docs, reverse=True))}
    records = [{"doc_id": k, "body": v, "published": dates[k]} for k, v in docs.items()]
    records.insert(3, {"doc_id": "no-text"})  # reported, not fatal

    for fmt, canonical in (("jsonl", "earliest"), ("parquet", "longest")):
        cfg = Config(canonical=canonical, threshold=0.6, story=False, boilerplate=False, align=False)
        det = Detector(cfg)
        for k, v in docs.items():
            det.add(k, v, date=dates[k])
        want = _local_dict(det.run())
        assert want["clusters"] and want["pairs"]

        opts = OPTS.replace(text_field="body", id_field="doc_id", date_field="published")
        if fmt == "jsonl":
            jsonl = tmp_path / "docs.jsonl"
            jsonl.write_text("\n".join(json.dumps(r) for r in records) + "\n\n", encoding="utf-8")
            s = spark_scan(str(jsonl), str(tmp_path / "out-jsonl"), cfg, opts, spark=spark)
            assert _spark_dict(tmp_path / "out-jsonl") == want
            assert [e.path for e in s.errors] == [f"{jsonl}:4"]
        else:
            pq = tmp_path / "docs.parquet"
            spark.createDataFrame(records[:3] + records[4:]).write.parquet(str(pq))
            # Clusters by min-label propagation in Spark here (the driver union-find elsewhere).
            spark_scan(str(pq), str(tmp_path / "out-parquet"), cfg, opts.replace(driver_cluster_edges=0), spark=spark)
            assert _spark_dict(tmp_path / "out-parquet") == want


def test_hostile_jsonl_records_are_per_item_errors_like_scan(spark, tmp_path):
    """Issue 17: nesting, lone surrogates and a repeated id keep parity with ``dedup scan``."""
    docs = _small_docs(6, seed=9)
    ids = sorted(docs)
    lines = [json.dumps({"id": k, "text": docs[k]}) for k in ids]
    lines.insert(2, '{"id": "deep", "text": "x", "n": ' + "[" * 3000 + "]" * 3000 + "}")
    lines.insert(4, json.dumps({"id": ids[0], "text": docs[ids[1]]}))  # a repeated id: skipped
    lines.append('{"id": "sur\\ud800", "text": ' + json.dumps(docs[ids[2]])[:-1] + ' \\udfff"}')
    jsonl = tmp_path / "hostile.jsonl"
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")

    cfg = Config(story=False, boilerplate=False, align=False)
    local = dedup.Detector(cfg)
    local.add_paths([str(jsonl)])
    want = local.run()
    s = spark_scan(str(jsonl), str(tmp_path / "out"), cfg, OPTS, spark=spark)
    got = _spark_dict(tmp_path / "out")
    assert [d["id"] for d in got["documents"]] == [d.id for d in want.documents]
    assert "sur\ufffd" in [d.id for d in want.documents]
    assert {(p["a"], p["b"]) for p in got["pairs"]} == {(p.a, p.b) for p in want.pairs}
    reasons = sorted(e.message for e in s.errors)
    assert len(reasons) == 2
    assert reasons[0].startswith(f"duplicate document id (also in {jsonl}:1)")
    assert reasons[1] == "nested deeper than 128 levels (arrays/objects)"
    assert [w.message for w in s.warnings] == ["lone surrogate code point(s) replaced with U+FFFD"]


def test_connected_components_match_union_find(spark):
    edges = [(f"n{i:03d}", f"n{i + 1:03d}") for i in range(16)]  # a chain
    edges += [("x1", "x2"), ("x3", "x2"), ("y", "z"), ("a", "n016")]
    labels = dict(connected_components(spark.sparkContext.parallelize(edges, 2), 2).collect())
    assert dict(driver_components(edges)) == labels
    uf = UnionFind()
    for a, b in edges:
        uf.union(a, b)
    groups: dict[str, list[str]] = {}
    for node, label in labels.items():
        groups.setdefault(label, []).append(node)
    assert sorted(sorted(g) for g in groups.values()) == uf.groups()
    assert all(label == min(g) for label, g in groups.items())


def test_cli_spark_scan_and_existing_output(spark, tmp_path):
    from click.testing import CliRunner

    from dedup.cli import cli

    corpus = ROOT / "examples" / "corpus"
    out = tmp_path / "out"
    runner = CliRunner()
    res = runner.invoke(cli, ["spark-scan", str(corpus), "--output", str(out), "--partitions", "2"])
    assert res.exit_code == 0, res.output
    assert "pairs" in res.output and (out / "summary.json").is_file()
    assert _spark_dict(out) == _local_dict(dedup.scan(str(corpus)))  # every tier, as scan
    saved = json.loads((out / "summary.json").read_text())
    assert saved["settings"]["story"] is True and saved["settings"]["align"] is True
    copies = tmp_path / "copies"
    res = runner.invoke(cli, ["spark-scan", str(corpus), "-o", str(copies), "--no-story", "--no-align"])
    assert res.exit_code == 0, res.output
    assert _spark_dict(copies) == _local_dict(dedup.scan(str(corpus), story=False, align=False))
    again = runner.invoke(cli, ["spark-scan", str(corpus), "--output", str(out)])
    assert again.exit_code == 2 and "exists" in again.output
    with pytest.raises(OutputError):
        spark_scan(str(corpus), str(out), options=OPTS, spark=spark)


def test_module_entry_point_help():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run(
        [sys.executable, "-m", "dedup.spark", "--help"], capture_output=True, text=True, env=env, check=False
    )
    assert res.returncode == 0 and "--output" in res.stdout and "--input-format" in res.stdout


def test_band_group_pairs_match_local_windows_for_oversized_buckets():
    """The Spark band stage links an oversized bucket exactly as dedup.lsh does (no JVM needed)."""
    import numpy as np

    from dedup.lsh import MAX_BUCKET, candidate_pairs
    from dedup.match import _content_rank
    from dedup.spark.job import _band_group_pairs

    z = MAX_BUCKET + 37
    keys = [bytes([i % 251, i // 251]) + b"key" for i in range(z)]
    sigs = np.ones((z, 128), dtype=np.uint32)
    band = b"\x01" * 4
    spark = {tuple(sorted(p)) for p in _band_group_pairs(((0, 7), [(k, band) for k in reversed(keys)]))}
    local = candidate_pairs(sigs, 0.5, lambda: _content_rank(keys))
    assert spark == {tuple(sorted((keys[i], keys[j]))) for i, j in local.tolist()}
    assert len(spark) < z * 11
