"""The persistent index: storage round trips, settings, corruption, crashes, concurrency."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys

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


def test_add_work_does_not_depend_on_index_size(tmp_path):
    """Adding a batch to a big index runs the same statements as adding it to an empty one,
    and none of them scans a whole table (every lookup is an index search): no timing."""
    batch = docs(range(1000, 1100), prefix="new")

    def traced_add(path, existing):
        if existing:
            with Index.open(path) as idx:
                idx.add(docs(range(existing), prefix="old"))
        statements = []
        with Index.open(path) as idx:
            idx.store._db.set_trace_callback(statements.append)
            idx.add(batch)
            idx.store._db.set_trace_callback(None)
            plans = {
                detail
                for sql in set(statements)
                if sql.split()[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")
                for *_, detail in idx.store._db.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
            }
        return statements, plans

    small, _ = traced_add(str(tmp_path / "small.db"), 0)
    big, plans = traced_add(str(tmp_path / "big.db"), 600)
    assert len(big) == len(small) > 100
    scans = sorted(p for p in plans if p.startswith("SCAN") and "json_each" not in p)
    assert scans == [], scans
    assert any(p.startswith("SEARCH") for p in plans), plans


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


# --- issue 13: story and boilerplate statistics held by the index ----------------------------------


def expected_statistics(documents, cfg):
    """The statistics recomputed from scratch over ``documents`` (what the index must hold)."""
    from collections import Counter

    from dedup.story import story_terms

    vectors = {d.id: dict(Counter(story_terms(d.text))) for d in documents}
    df = Counter(t for v in vectors.values() for t in v)
    table = prepare(sorted(documents, key=lambda d: d.id), cfg) if documents else None
    counts = {}
    if table is not None:
        pairs = {(int(g), int(d)) for g, d in zip(table.group.tolist(), table.doc.tolist())}
        per_group = Counter(g for g, _ in pairs)
        counts = {table.group_keys[g]: n for g, n in per_group.items()}
    return vectors, dict(df), counts


def assert_statistics_exact(idx, documents, gone_keys=(), gone_terms=()):
    """The index's story and paragraph statistics equal a recomputation over ``documents``."""
    vectors, df, counts = expected_statistics(documents, idx.config)
    ids = sorted(vectors)
    assert idx.story_document_count() == len(ids)
    assert idx.story_vectors([*ids, "no-such-id"]) == vectors
    asked = sorted(set(df) | set(gone_terms) | {"zzzunseenterm"})
    assert idx.story_document_frequencies(asked) == {t: df.get(t, 0) for t in asked}
    for cap in (1, 3, len(ids)):
        want = {
            t: sorted(i for i in ids if t in vectors[i])
            for t in sorted(set(df) | set(gone_terms))
            if 0 < df.get(t, 0) <= cap
        }
        assert idx.story_postings(asked, cap) == want
    keys = sorted(set(counts) | set(gone_keys))
    assert idx.paragraph_doc_counts(keys) == {k: counts.get(k, 0) for k in keys}
    idx.store.check_integrity(full=True)
    return vectors, df, counts


def stats_corpus(n, seed):
    from .corpus_gen import CorpusGenerator

    return [Document(k, v) for k, v in sorted(CorpusGenerator(seed=seed).corpus(n, boilerplate=0.4).items())]


def exercise_statistics(location):
    """Adds, an idempotent re-add, replaces and removes, each checked against a recomputation."""
    first, second = stats_corpus(30, seed=21), stats_corpus(20, seed=22)
    second = [Document("s-" + d.id, d.text) for d in second]
    with Index.open(location) as idx:
        idx.add(first)
        _, df1, counts1 = assert_statistics_exact(idx, first)
        # A boilerplate line shared by many documents is counted once per document.
        assert max(counts1.values()) >= 5
        idx.add(second)
        idx.add(first[:4])  # unchanged: counts must not move
        current = {d.id: d for d in first + second}
        assert_statistics_exact(idx, list(current.values()))
        # Replace two documents with other content (their old terms and paragraphs leave).
        changed = [
            Document(first[0].id, "Completely different wording about quarterly orchard yields.\n\n" + second[1].text),
            Document(first[1].id, "Harbour ferries resume their winter timetable on Monday morning.\n"),
        ]
        stats = idx.add(changed)
        assert stats.replaced == (first[0].id, first[1].id)
        current.update({d.id: d for d in changed})
        gone_keys = set(counts1)
        assert_statistics_exact(idx, list(current.values()), gone_keys=gone_keys, gone_terms=set(df1))
        removed = [first[2].id, second[0].id, "no-such-id"]
        assert idx.remove(removed) == sorted(removed[:2])
        for r in removed:
            current.pop(r, None)
        assert_statistics_exact(idx, list(current.values()), gone_keys=gone_keys, gone_terms=set(df1))
        idx.remove(list(current))
        assert_statistics_exact(idx, [], gone_keys=gone_keys, gone_terms=set(df1))


def test_story_and_paragraph_statistics_stay_exact_under_adds_replaces_and_removes(tmp_path):
    exercise_statistics(str(tmp_path / "stats.db"))


def test_precomputed_story_terms_are_stored_as_given(tmp_path):
    a, b = Document("a.txt", article(1)), Document("b.txt", article(2))
    with Index.open(str(tmp_path / "idx.db")) as idx:
        idx.add([a, b], story_terms={"a.txt": {"harbour": 2, "ferry": 1}})
        vectors = idx.story_vectors(["a.txt", "b.txt"])
        assert vectors["a.txt"] == {"ferry": 1, "harbour": 2}
        assert vectors["b.txt"] == expected_statistics([b], idx.config)[0]["b.txt"]  # computed from its text
        assert idx.story_postings(["harbour", "ferry"], 5) == {"ferry": ["a.txt"], "harbour": ["a.txt"]}
        assert idx.story_document_frequencies(["harbour"]) == {"harbour": 1 + ("harbour" in vectors["b.txt"])}


def test_story_postings_skip_terms_posted_by_too_many_documents(tmp_path):
    shared = "Council budget vote delayed again amid protests downtown."
    docs_ = [Document(f"d{i}.txt", f"{shared}\n\nUnique tail number {i} mentions lighthouse{i}.\n") for i in range(6)]
    with Index.open(str(tmp_path / "idx.db")) as idx:
        idx.add(docs_)
        post = idx.story_postings(["council", "lighthouse3", "absentterm"], max_docs=5)
        assert post == {"lighthouse3": ["d3.txt"]}  # "council" is in 6 > 5 documents
        assert idx.story_postings(["council"], max_docs=6) == {"council": [d.id for d in docs_]}
        assert idx.story_reference_ids(3) == ["d0.txt", "d2.txt", "d5.txt"]
        assert idx.story_reference_ids(10) == [d.id for d in docs_]


# --- issue 13: an index file of the previous schema (version 1, as main wrote it) --------------------

_V1_DDL = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE docs(
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE,
    path TEXT, title TEXT, date TEXT, mtime REAL, source TEXT,
    content_hash BLOB NOT NULL, chars INTEGER NOT NULL, paragraphs INTEGER NOT NULL,
    meta TEXT NOT NULL, text BLOB NOT NULL, add_seq INTEGER NOT NULL
);
CREATE INDEX docs_hash ON docs(content_hash);
CREATE TABLE groups(id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, shingles BLOB NOT NULL, signature BLOB NOT NULL);
CREATE TABLE occ(
    doc INTEGER NOT NULL, ordinal INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    ntokens INTEGER NOT NULL, grp INTEGER NOT NULL, PRIMARY KEY (doc, ordinal)
) WITHOUT ROWID;
CREATE INDEX occ_grp ON occ(grp);
CREATE TABLE bands(band INTEGER NOT NULL, key INTEGER NOT NULL, grp INTEGER NOT NULL, PRIMARY KEY (band, key, grp))
    WITHOUT ROWID;
"""


def build_v1_index(path, documents, cfg=None):
    """An index file exactly as the schema-1 code wrote it (its DDL and row layout)."""
    import json
    import zlib

    cfg = cfg or Config()
    bands, rows = lsh_params(cfg.threshold, cfg.num_perm)
    documents = sorted(documents, key=lambda d: d.id)
    table = prepare(documents, cfg)
    keys = band_keys(table.signatures, bands, rows)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("BEGIN")
    for stmt in _V1_DDL.split(";"):
        if stmt.strip():
            con.execute(stmt)
    con.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        [
            ("format", "dedup-index"),
            ("schema_version", "1"),
            ("adds", "1"),
            ("settings", json.dumps(cfg.fingerprint_settings(), sort_keys=True)),
            ("lsh", json.dumps([bands, rows])),
        ],
    )
    for g, key in enumerate(table.group_keys):
        con.execute(
            "INSERT INTO groups VALUES (?, ?, ?, ?)",
            (
                g + 1,
                key,
                np.ascontiguousarray(table.shingles.get(g), dtype="<u8").tobytes(),
                np.ascontiguousarray(table.signatures[g], dtype="<u4").tobytes(),
            ),
        )
        for b, k in enumerate(keys[g].view(np.int64).tolist()):
            con.execute("INSERT OR IGNORE INTO bands VALUES (?, ?, ?)", (b, k, g + 1))
    for i, d in enumerate(documents):
        con.execute(
            "INSERT INTO docs VALUES (?, ?, ?, NULL, NULL, NULL, NULL, ?, ?, ?, '{}', ?, 1)",
            (i + 1, d.id, d.path, table.doc_keys[i], len(d.text), table.doc_paragraphs[i],
             zlib.compress(d.text.encode("utf-8"), 6)),
        )  # fmt: skip
    for r in range(len(table)):
        con.execute(
            'INSERT INTO occ VALUES (?, ?, ?, ?, ?, ?)',
            (int(table.doc[r]) + 1, int(table.ordinal[r]), int(table.start[r]), int(table.end[r]),
             int(table.ntokens[r]), int(table.group[r]) + 1),
        )  # fmt: skip
    con.execute("COMMIT")
    con.close()


def _schema_version(path):
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    finally:
        con.close()


def test_schema_1_index_is_migrated_in_place_and_reads_exactly(tmp_path):
    from dedup.check import check

    path = str(tmp_path / "old.db")
    old_docs = stats_corpus(25, seed=31)
    build_v1_index(path, old_docs)
    assert _schema_version(path) == "1"
    with Index.open(path) as idx:
        assert idx.info().schema_version == 2
        assert idx.document_ids() == sorted(d.id for d in old_docs)
        assert_statistics_exact(idx, old_docs)
        # The migrated index works as one built by this version: a copy is found, adds stay exact.
        res = check([Document("copy.txt", old_docs[3].text)], idx)
        assert any(f.kind == "duplicate" and old_docs[3].id in (f.a, f.b) for f in res.findings)
        more = [
            Document("new-" + d.id, d.text + "\n\nA late correction paragraph was appended here.") for d in old_docs[:3]
        ]
        idx.add(more)
        assert_statistics_exact(idx, old_docs + more)
    assert _schema_version(path) == "2"
    r = run_cli("index", "info", "--index", path, "--check")
    assert r.returncode == 0 and "schema 2" in r.stdout, r.stderr


def test_interrupted_migration_leaves_the_schema_1_file_unchanged(tmp_path, monkeypatch):
    import dedup.store.sqlite as sqlite_store

    path = str(tmp_path / "old.db")
    old_docs = stats_corpus(12, seed=32)
    build_v1_index(path, old_docs)
    real = sqlite_store.term_counts
    calls = {"n": 0}

    def failing(text):
        calls["n"] += 1
        if calls["n"] == 7:
            raise sqlite3.OperationalError("disk I/O error")  # as if the disk failed mid-migration
        return real(text)

    monkeypatch.setattr(sqlite_store, "term_counts", failing)
    with pytest.raises(IndexStoreError, match=r"migrated .* leaving it unchanged.*dedup index add"):
        Index.open(path)
    assert _schema_version(path) == "1"
    con = sqlite3.connect(path)
    assert "terms" not in {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    con.close()
    monkeypatch.setattr(sqlite_store, "term_counts", real)
    with Index.open(path) as idx:
        assert_statistics_exact(idx, old_docs)


def test_unknown_schema_version_is_refused_with_how_to_rebuild(tmp_path):
    path = str(tmp_path / "future.db")
    with Index.open(path) as idx:
        idx.add(docs(range(2)))
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(IndexCorruptError, match=r"version 3 is not supported.*newer dedup.*dedup index add"):
        Index.open(path)
    r = run_cli("index", "info", "--index", path)
    assert r.returncode == 2 and "dedup index add" in r.stderr and "Traceback" not in r.stderr


# --- issue 17: store reliability -------------------------------------------------------------------


@pytest.mark.parametrize("location", ["", ":memory:", "  "])
def test_volatile_index_locations_are_usage_errors(tmp_path, location):
    from dedup.errors import ConfigError

    with pytest.raises(ConfigError, match="keeps nothing"):
        Index.open(location)
    folder = write(str(tmp_path / "in"), "a.txt", article(1))
    r = run_cli("index", "add", folder, "--index", location)
    assert r.returncode == 2 and "keeps nothing" in r.stderr and "added" not in r.stdout


def test_one_unstorable_document_does_not_roll_back_the_others(tmp_path):
    good = docs(range(3))
    bad = [
        Document("bad-text.txt", "A text with a lone surrogate \ud800 inside it and more words here."),
        Document("bad-id-\udc80.txt", article(7)),
        Document("bad-meta.txt", article(8), meta={"title": "T\ud83d"}),
    ]
    with Index.open(str(tmp_path / "idx.db")) as idx:
        stats = idx.add(good + bad)
        assert stats.added == tuple(d.id for d in good)
        assert sorted(i for i, _ in stats.failed) == sorted(d.id for d in bad)
        assert all("surrogate" in reason for _, reason in stats.failed)
        assert idx.document_ids() == [d.id for d in good]
        assert_statistics_exact(idx, good)


def test_tampered_metadata_is_a_clear_refusal(tmp_path):
    path = str(tmp_path / "idx.db")
    with Index.open(path) as idx:
        idx.add(docs(range(2)))
    for key, value in (("adds", "abc"), ("lsh", "[oops"), ("settings", "{not json")):
        con = sqlite3.connect(path)
        old = con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]
        con.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))
        con.commit()
        con.close()
        with pytest.raises(IndexCorruptError, match=f"{key}|settings"):
            Index.open(path)
        r = run_cli("index", "info", "--index", path)
        assert r.returncode == 2 and "Traceback" not in r.stderr and path in r.stderr, r.stderr
        con = sqlite3.connect(path)
        con.execute("UPDATE meta SET value = ? WHERE key = ?", (old, key))
        con.commit()
        con.close()
    with Index.open(path, verify="full") as idx:
        assert len(idx.document_ids()) == 2


def test_one_flipped_byte_in_a_stored_compressed_text_is_found_by_the_full_check(tmp_path):
    from dedup.check import check

    path = str(tmp_path / "idx.db")
    batch = docs(range(6))
    with Index.open(path) as idx:
        idx.add(batch)
        idx.store.checkpoint()
        blob = idx.store._db.execute("SELECT text FROM docs WHERE doc_id = 'doc003.txt'").fetchone()[0]
    with open(path, "rb") as fh:
        raw = bytearray(fh.read())
    at = raw.find(blob)
    assert at > 0 and raw.find(blob, at + 1) == -1
    raw[at + len(blob) // 2] ^= 0x01  # one bit, in the middle of the compressed text
    with open(path, "wb") as fh:
        fh.write(bytes(raw))
    with Index.open(path) as idx:  # SQLite's own page checks cannot see it
        idx.store._integrity(True)
    r = run_cli("index", "info", "--index", path, "--check")
    said = r.stdout + r.stderr
    assert r.returncode == 2 and "doc003.txt" in said and "damaged" in said and "Traceback" not in said
    with Index.open(path) as idx, pytest.raises(IndexCorruptError, match=r"doc003\.txt.*checksum"):
        check([Document("copy.txt", batch[3].text)], idx)


def test_half_created_index_after_a_full_disk_is_recreated(tmp_path):
    import resource

    folder = tmp_path / "in"
    for s in range(20):
        write(str(folder), f"d{s}.txt", article(s, paragraphs=8))
    path = str(tmp_path / "idx.db")

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG, like ENOSPC
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    env = dict(os.environ, PYTHONPATH=REPO)
    r = subprocess.run(
        [sys.executable, "-m", "dedup", "index", "add", str(folder), "--index", path],
        env=env, capture_output=True, text=True, preexec_fn=small_disk,
    )  # fmt: skip
    assert r.returncode == 2 and "cannot write" in r.stderr and "damaged" not in r.stderr, r.stderr
    assert os.path.exists(path)  # a header-only file was left behind
    r = run_cli("index", "add", str(folder), "--index", path)
    assert r.returncode == 0 and "added 20" in r.stdout, r.stderr
    with Index.open(path, verify="full") as idx:
        assert len(idx.document_ids()) == 20


def test_index_in_a_read_only_folder_says_permission_denied_not_damaged(tmp_path):
    import shutil

    folder = tmp_path / "ro"
    folder.mkdir()
    path = str(folder / "idx.db")
    with Index.open(path) as idx:
        idx.add(docs(range(3)))
    os.chmod(folder, 0o555)
    try:
        cmd = [sys.executable, "-m", "dedup", "index", "info", "--index", path]
        if os.geteuid() == 0:  # root ignores permissions: drop the capabilities that let it
            if shutil.which("setpriv") is None:
                pytest.skip("running as root without setpriv: cannot make a folder read-only")
            cmd = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--", *cmd]
        r = subprocess.run(cmd, env=dict(os.environ, PYTHONPATH=REPO), capture_output=True, text=True)
    finally:
        os.chmod(folder, 0o755)
    assert r.returncode == 2, r.stdout
    assert "permission denied" in r.stderr and "read-only" in r.stderr and "damaged" not in r.stderr, r.stderr


def test_add_takes_story_terms_from_the_fingerprinting_pass_without_tokenising_again(tmp_path, monkeypatch):
    import dedup.index as index_mod
    from dedup.store.base import term_counts

    batch = stats_corpus(20, seed=41)
    if getattr(prepare(batch, Config()), "row_terms", None) is None:
        pytest.skip("this prepare() gives no per-paragraph story terms")
    expected = {d.id: term_counts(d.text) for d in batch}

    def tokenise_again(text):
        raise AssertionError("Index.add tokenised a text a second time")

    monkeypatch.setattr(index_mod, "term_counts", tokenise_again)
    with Index.open(str(tmp_path / "idx.db")) as idx:
        idx.add(batch)
        assert idx.story_vectors(sorted(expected)) == expected
