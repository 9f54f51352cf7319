"""The persistent index: storage round trips, settings, corruption, crashes, concurrency."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest

from dedup.config import Config
from dedup.errors import IndexCorruptError, IndexMismatchError, IndexStoreError
from dedup.index import Index
from dedup.lsh import band_keys, lsh_params
from dedup.models import Document
from dedup.paragraphs import prepare

from .ci_articles import article, write

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def docs(seeds, prefix="doc"):
    return [Document(f"{prefix}{s:03d}.txt", article(s)) for s in seeds]


def run_cli(*args, cwd=None, env=None, **kw):
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = REPO + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "dedup", *args], cwd=cwd, env=full_env, capture_output=True, text=True, **kw
    )


def test_add_round_trips_texts_arrays_and_counts(tmp_path):
    path = str(tmp_path / "idx.db")
    batch = docs(range(5))
    cfg = Config()
    with Index.open(path, cfg) as idx:
        stats = idx.add(batch)
        assert stats.added == tuple(d.id for d in batch)
    table = prepare(batch, cfg)
    bands, rows = lsh_params(cfg.threshold, cfg.num_perm)
    with Index.open(path) as idx:  # settings come from the file
        assert idx.config.fingerprint_settings() == cfg.fingerprint_settings()
        info = idx.info()
        assert info.documents == 5
        assert info.paragraphs == len(table)
        assert info.groups == len(table.group_keys)
        assert info.band_entries == len(table.group_keys) * bands
        loaded = idx.store.load_documents([d.id for d in batch])
        assert [d.text for d in loaded.documents] == [d.text for d in batch]
        assert loaded.start.tolist() == table.start.tolist()
        assert loaded.end.tolist() == table.end.tolist()
        keys, shingles, sigs = idx.store.groups(np.unique(loaded.group).tolist())
        by_key = {k: i for i, k in enumerate(table.group_keys)}
        for j, k in enumerate(keys):
            g = by_key[k]
            assert np.array_equal(shingles.get(j), table.shingles.get(g))
            assert np.array_equal(sigs[j], table.signatures[g])
        # Querying with the same band keys finds every group (exact lookups).
        hits = idx.store.query_bands(band_keys(table.signatures, bands, rows))
        assert set(hits[:, 0].tolist()) == set(range(len(table.group_keys)))


def test_add_is_incremental_idempotent_and_replaces_changed_documents(tmp_path):
    path = str(tmp_path / "idx.db")
    with Index.open(path) as idx:
        idx.add(docs(range(3)))
        again = idx.add(docs(range(3)))
        assert again.added == () and again.unchanged == ("doc000.txt", "doc001.txt", "doc002.txt")
        changed = [Document("doc001.txt", article(99))]
        stats = idx.add(changed)
        assert stats.replaced == ("doc001.txt",)
        loaded = idx.store.load_documents(["doc001.txt"])
        assert loaded.documents[0].text == article(99)
        assert idx.info().adds == 3


def test_remove_deletes_document_and_orphaned_groups(tmp_path):
    path = str(tmp_path / "idx.db")
    shared = "A shared paragraph about the harbour ferry timetable changes this spring."
    a = Document("a.txt", article(1) + "\n" + shared + "\n")
    b = Document("b.txt", article(2) + "\n" + shared + "\n")
    with Index.open(path) as idx:
        idx.add([a, b])
        before = idx.info()
        assert idx.remove(["a.txt", "missing.txt"]) == ["a.txt"]
        after = idx.info()
        bands = idx.bands
        assert after.documents == 1
        # a's own paragraphs are gone; the shared one stays (b still uses it).
        only_a = len({k for k in prepare([a], idx.config).group_keys} - set(prepare([b], idx.config).group_keys))
        assert after.groups == before.groups - only_a
        assert after.band_entries == after.groups * bands
        assert idx.document_ids() == ["b.txt"]
        full = idx.store.load_documents(["b.txt"])
        assert full.documents[0].text == b.text


def test_other_num_perm_is_refused(tmp_path):
    path = str(tmp_path / "idx.db")
    with Index.open(path, Config(num_perm=128)) as idx:
        idx.add(docs(range(2)))
    with pytest.raises(IndexMismatchError, match="num_perm: index has 128, requested 64"):
        Index.open(path, Config(num_perm=64))
    with pytest.raises(IndexMismatchError, match="shingle_size"):
        Index.open(path, shingle_size=4)
    r = run_cli("index", "info", "--index", path)
    assert r.returncode == 0, r.stderr
    r = run_cli("check", str(tmp_path), "--index", path, "--num-perm", "64")
    assert r.returncode == 2
    assert "num_perm" in r.stderr and "128" in r.stderr


def test_non_index_truncated_and_foreign_files_are_refused(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("just some notes, not a database\n" * 50)
    with pytest.raises(IndexCorruptError):
        Index.open(str(text))
    foreign = str(tmp_path / "other.db")
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE t(x)")
    con.commit()
    con.close()
    with pytest.raises(IndexCorruptError, match="not a dedup index"):
        Index.open(foreign)
    path = str(tmp_path / "idx.db")
    with Index.open(path) as idx:
        idx.add(docs(range(40)))
        idx.store.checkpoint()
    size = os.path.getsize(path)
    with open(path, "r+b") as fh:
        fh.truncate(size // 2)
    with pytest.raises(IndexCorruptError):
        Index.open(path)
    with pytest.raises(IndexStoreError, match="no such index"):
        Index.open(str(tmp_path / "missing.db"), create=False)
    r = run_cli("index", "info", "--index", path)
    assert r.returncode == 2 and "damaged" in r.stderr


def test_sigkill_mid_add_keeps_last_committed_state(tmp_path):
    first = tmp_path / "first"
    second = tmp_path / "second"
    for s in range(4):
        write(str(first), f"f{s}.txt", article(s))
    for s in range(10, 16):
        write(str(second), f"s{s}.txt", article(s))
    path = str(tmp_path / "idx.db")
    r = run_cli("index", "add", str(first), "--index", path)
    assert r.returncode == 0, r.stderr
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO
    env["DEDUP_TEST_ADD_DELAY"] = "60"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dedup", "index", "add", str(second), "--index", path],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = proc.stderr.readline()  # printed inside the open transaction, rows already written
        assert line.startswith("dedup-test: in transaction"), line
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with Index.open(path, verify="full") as idx:
        assert idx.document_ids() == [f"f{s}.txt" for s in range(4)]
        assert idx.info().adds == 1
    # The index is usable afterwards: the interrupted add can be redone.
    r = run_cli("index", "add", str(second), "--index", path)
    assert r.returncode == 0, r.stderr
    with Index.open(path) as idx:
        assert len(idx.document_ids()) == 10


def test_two_processes_adding_at_once(tmp_path):
    path = str(tmp_path / "idx.db")
    run_cli("index", "add", write(str(tmp_path / "seed"), "seed.txt", article(500)), "--index", path)
    folders = []
    for k in range(2):
        folder = tmp_path / f"batch{k}"
        for s in range(6):
            write(str(folder), f"b{k}-{s}.txt", article(100 * (k + 1) + s))
        folders.append(str(folder))
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO
    env["DEDUP_TEST_ADD_DELAY"] = "0.5"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "dedup", "index", "add", f, "--index", path],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in folders
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    with Index.open(path, verify="full") as idx:
        ids = idx.document_ids()
        assert len(ids) == 13
        assert idx.info().adds == 3
        assert idx.info().band_entries == idx.info().groups * idx.bands


def test_add_cost_does_not_depend_on_index_size(tmp_path):
    """Adding a batch to a big index costs about what adding it to an empty one costs."""
    big = str(tmp_path / "big.db")
    small = str(tmp_path / "small.db")
    with Index.open(big) as idx:
        idx.add(docs(range(600), prefix="old"))
    batch = docs(range(1000, 1100), prefix="new")

    def timed(path):
        with Index.open(path) as idx:
            t = time.perf_counter()
            idx.add(batch)
            return time.perf_counter() - t

    t_small, t_big = timed(small), timed(big)
    assert t_big < 3 * t_small + 0.5, (t_small, t_big)


def test_band_lookup_without_sqlite_json_gives_the_same_hits(tmp_path):
    batch = docs(range(6))
    with Index.open(str(tmp_path / "idx.db")) as idx:
        idx.add(batch)
        table = prepare(batch[:3] + docs(range(50, 53)), idx.config)
        keys = band_keys(table.signatures, idx.bands, idx.rows)
        with_json = idx.store.query_bands(keys)
        idx.store._json1 = False
        without = idx.store.query_bands(keys)
    assert len(with_json) > 0
    assert np.array_equal(with_json, without)


def test_large_add_is_fingerprinted_in_pieces_and_committed_once(tmp_path, monkeypatch):
    check_mod = sys.modules["dedup.index"]

    monkeypatch.setattr(check_mod, "_ADD_BATCH", 2)
    batch = docs(range(5))
    shared = "The same closing paragraph appears in two documents of different pieces here."
    batch[0] = Document(batch[0].id, batch[0].text + "\n" + shared + "\n")
    batch[4] = Document(batch[4].id, batch[4].text + "\n" + shared + "\n")
    with Index.open(str(tmp_path / "pieces.db")) as idx:
        stats = idx.add(batch)
        info = idx.info()
    monkeypatch.setattr(check_mod, "_ADD_BATCH", 2000)
    with Index.open(str(tmp_path / "whole.db")) as idx:
        idx.add(batch)
        whole = idx.info()
    assert len(stats.added) == 5 and info.adds == 1
    # The shared paragraph is stored once although its documents were fingerprinted apart.
    assert (info.documents, info.paragraphs, info.groups, info.band_entries) == (
        whole.documents,
        whole.paragraphs,
        whole.groups,
        whole.band_entries,
    )
