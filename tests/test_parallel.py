"""--jobs: parallel fingerprinting gives byte-identical output; progress reporting."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import dedup.paragraphs as paragraphs_mod
from dedup.cli import cli
from dedup.config import Config
from dedup.detector import Detector
from dedup.models import Document
from dedup.paragraphs import prepare, resolve_jobs

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
    "river",
    "north",
    "south",
    "east",
    "west",
    "morning",
    "evening",
    "weekend",
    "tuesday",
    "repairs",
    "closure",
    "opening",
    "public",
]


def _paragraph(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 40))).capitalize() + "."


def _write_corpus(folder: Path, n_docs: int = 60, seed: int = 5) -> dict[str, list[str]]:
    rng = random.Random(seed)
    docs: dict[str, list[str]] = {}
    for i in range(n_docs):
        if i % 10 == 9:  # an exact copy of the previous article
            paras = list(docs[f"a{i - 1:03d}.txt"])
        elif i % 10 == 8:  # two paragraphs pasted from an earlier article
            paras = [_paragraph(rng) for _ in range(5)]
            paras[2:2] = docs[f"a{i - 5:03d}.txt"][1:3]
        else:
            paras = [_paragraph(rng) for _ in range(rng.randint(4, 9))]
        docs[f"a{i:03d}.txt"] = paras
        (folder / f"a{i:03d}.txt").write_text("\n\n".join(paras) + "\n", encoding="utf-8")
    return docs


@pytest.fixture()
def small_chunks(monkeypatch):
    # Many chunks, so --jobs 2 really spreads work over worker processes.
    monkeypatch.setattr(paragraphs_mod, "_CHUNK_CHARS", 3_000)


def test_cli_json_identical_across_jobs(tmp_path, small_chunks):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write_corpus(corpus)
    runner = CliRunner()
    outs = []
    for jobs in ("1", "2", "0"):
        out = tmp_path / f"out{jobs}.json"
        res = runner.invoke(cli, ["scan", str(corpus), "--format", "json", "--jobs", jobs, "-o", str(out)])
        assert res.exit_code == 0, res.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]
    text = outs[0].decode()
    assert '"jobs"' not in text  # a runtime setting never reaches the output
    # Real behaviour: the planted exact copies are reported as duplicates.
    assert '"a008.txt"' in text and '"duplicate"' in text


def test_prepare_table_identical_across_jobs(tmp_path, small_chunks):
    rng = random.Random(11)
    docs = [Document(f"d{i}", "\n\n".join(_paragraph(rng) for _ in range(6))) for i in range(40)]
    docs.append(Document("copy", docs[3].text))
    cfg = Config()
    one = prepare(docs, cfg, jobs=1)
    two = prepare(docs, cfg, jobs=2)
    for name in ("doc", "ordinal", "start", "end", "ntokens", "group", "signatures"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name), err_msg=name)
    np.testing.assert_array_equal(one.shingles.hashes, two.shingles.hashes)
    np.testing.assert_array_equal(one.shingles.offsets, two.shingles.offsets)
    assert one.group_keys == two.group_keys
    assert one.doc_keys == two.doc_keys
    assert one.doc_paragraphs == two.doc_paragraphs
    # The copy's paragraphs share the groups of the original's.
    assert one.group[one.doc == 40].tolist() == one.group[one.doc == 3].tolist()


def test_progress_callback_reaches_total(tmp_path, small_chunks):
    corpus = tmp_path / "c"
    corpus.mkdir()
    _write_corpus(corpus, n_docs=30)
    det = Detector()
    det.add_paths([str(corpus)])
    staged: list[tuple[str, int, int]] = []
    det.run(progress=lambda stage, done, total: staged.append((stage, done, total)))
    calls = [(d, t) for s, d, t in staged if s == "fingerprinting"]
    assert calls[0] == (0, 30)
    assert calls[-1] == (30, 30)
    dones = [d for d, _ in calls]
    assert dones == sorted(dones) and len(calls) > 2
    # Every later stage reports its start and its end, in pipeline order.
    later = [s for s, _, _ in staged if s != "fingerprinting"]
    assert later == [
        s for s in ("verification", "boilerplate", "passages", "alignment", "story", "clusters") for _ in (0, 1)
    ]


def test_cli_progress_flag(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    _write_corpus(corpus, n_docs=5)
    runner = CliRunner()
    on = runner.invoke(cli, ["scan", str(corpus), "--progress", "--jobs", "1", "-o", str(tmp_path / "o1")])
    assert on.exit_code == 0
    assert "Fingerprinting" in on.stderr
    off = runner.invoke(cli, ["scan", str(corpus), "--no-progress", "-o", str(tmp_path / "o2")])
    assert off.exit_code == 0
    assert "Fingerprinting" not in off.stderr
    auto = runner.invoke(cli, ["scan", str(corpus), "-o", str(tmp_path / "o3")])
    assert "Fingerprinting" not in auto.stderr  # stderr is not a terminal here


def test_jobs_setting_validated():
    assert resolve_jobs(3) == 3
    assert resolve_jobs(0) >= 1
    assert "jobs" not in Config(jobs=2).to_dict()
    assert Config.from_dict(Config().to_dict()) == Config()
    with pytest.raises(Exception, match="jobs"):
        Config(jobs=-1)
    res = CliRunner().invoke(cli, ["scan", ".", "--jobs", "-2"])
    assert res.exit_code == 2


def test_alignment_over_forked_workers_gives_the_same_passages_in_the_same_order(tmp_path, monkeypatch):
    import dedup.align as align_mod
    import dedup.workers as workers_mod

    # Every candidate pair set is worth a process here, so the forked path really runs.
    monkeypatch.setattr(align_mod, "MIN_PARALLEL_ITEMS", 1)
    forked: list[int] = []
    real = workers_mod.map_ordered

    def spy(fn, shared, items, jobs):
        forked.append(len(items))
        return real(fn, shared, items, jobs)

    monkeypatch.setattr(align_mod, "map_ordered", spy)
    rng = random.Random(3)
    base = [[_paragraph(rng) for _ in range(6)] for _ in range(12)]
    docs = []
    for i, paras in enumerate(base):
        docs.append(Document(f"orig{i:02d}", "\n\n".join(paras)))
        # A rewrite sharing two sentences of the original inside new paragraphs: sub-paragraph passages.
        mixed = [_paragraph(rng) + " " + paras[1] + " " + _paragraph(rng), _paragraph(rng), paras[4]]
        docs.append(Document(f"copy{i:02d}", "\n\n".join(mixed)))

    def scan(jobs: int):
        det = Detector(Config(jobs=jobs))
        for d in docs:
            det.add_document(d)
        return det.run()

    one, two = scan(1), scan(2)
    assert forked and forked[-1] > 1
    assert one.passages == two.passages
    assert one.pairs == two.pairs
    # Real behaviour: every rewrite shares a passage with its original.
    linked = {(p.a.doc, p.b.doc) for p in one.passages}
    assert all((f"copy{i:02d}", f"orig{i:02d}") in linked for i in range(12))
