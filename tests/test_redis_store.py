"""The Redis index store against a real redis-server (and against the SQLite store).

Uses ``DEDUP_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``); every
test works under its own random prefix and deletes its keys afterwards.
Skipped with a reason when redis-py or the server is absent, except in CI
(env ``CI=true``), where .ci/run starts a server and absence is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dedup.check import Index, check
from dedup.config import Config
from dedup.errors import IndexCorruptError, IndexMismatchError, IndexStoreError
from dedup.lsh import lsh_params
from dedup.models import Document
from dedup.paragraphs import prepare

from .corpus_gen import CorpusGenerator

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = os.environ.get("DEDUP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI") == "true"


def _redis_missing() -> str | None:
    try:
        import redis
    except ImportError:
        return "redis-py is not installed (pip install 'article-dedup[redis]')"
    try:
        redis.Redis.from_url(BASE_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"no Redis server at {BASE_URL} ({exc})"
    return None


_MISSING = _redis_missing()
if _MISSING and not IN_CI:
    pytest.skip(f"Redis tests skipped: {_MISSING}", allow_module_level=True)

from dedup.store.redis import RedisStore, new_prefix  # noqa: E402


@pytest.fixture
def url():
    """A fresh index URL (random prefix); its keys are deleted afterwards."""
    assert _MISSING is None, _MISSING  # in CI the server must be there
    import redis

    prefix = new_prefix()
    yield f"{BASE_URL}?prefix={prefix}"
    client = redis.Redis.from_url(BASE_URL)
    keys = list(client.scan_iter(match=f"dedup:{{{prefix}}}:*", count=1000))
    if keys:
        client.delete(*keys)


def corpus(n: int, seed: int) -> list[Document]:
    return [Document(k, v) for k, v in sorted(CorpusGenerator(seed=seed).corpus(n, boilerplate=0.1).items())]


def test_round_trip_counts_and_arrays(url):
    docs = corpus(40, seed=2)
    cfg = Config()
    with Index.open(url, cfg) as idx:
        stats = idx.add(docs)
        assert stats.added == tuple(d.id for d in docs)
    table = prepare(docs, cfg)
    bands, _ = lsh_params(cfg.threshold, cfg.num_perm)
    with Index.open(url, verify="full") as idx:  # settings come from Redis
        assert idx.store.backend == "redis"
        assert idx.config.fingerprint_settings() == cfg.fingerprint_settings()
        info = idx.info()
        assert (info.documents, info.paragraphs, info.groups) == (len(docs), len(table), len(table.group_keys))
        assert info.band_entries == len(table.group_keys) * bands
        loaded = idx.store.load_documents([d.id for d in docs])
        assert [d.text for d in loaded.documents] == [d.text for d in docs]
        assert loaded.start.tolist() == table.start.tolist() and loaded.end.tolist() == table.end.tolist()
        keys, shingles, sigs = idx.store.groups(np.unique(loaded.group).tolist())
        by_key = {k: i for i, k in enumerate(table.group_keys)}
        for j, k in enumerate(keys):
            assert shingles.get(j).tolist() == table.shingles.get(by_key[k]).tolist()
            assert sigs[j].tolist() == table.signatures[by_key[k]].tolist()
        assert idx.document_ids() == sorted(d.id for d in docs)


def test_same_results_as_sqlite_store(url, tmp_path):
    docs = corpus(120, seed=3)
    old, new = docs[:80], docs[80:]
    changed = Document(old[0].id, old[0].text + "\n\nA closing paragraph that was added to the story later on.")
    outcomes = []
    for loc in (url, str(tmp_path / "idx.db")):
        with Index.open(loc) as idx:
            idx.add(old)
            again = idx.add(old[:5])
            replaced = idx.add([changed])
            removed = idx.remove([old[1].id, "no-such-id"])
            res = check([*new, Document("copy.txt", old[2].text)], idx)
            info = idx.info()
            outcomes.append(
                (
                    again.unchanged,
                    replaced.replaced,
                    removed,
                    res.result.to_dict(),
                    res.findings,
                    (info.documents, info.paragraphs, info.groups, info.band_entries, info.adds),
                )
            )
    assert outcomes[0] == outcomes[1]
    assert any(f.kind == "duplicate" for f in outcomes[0][4])  # the check found the planted copy


def test_mismatched_settings_are_refused(url):
    with Index.open(url, Config(threshold=0.5)):
        pass
    with pytest.raises(IndexMismatchError, match="threshold"):
        Index.open(url, Config(threshold=0.7))
    with pytest.raises(IndexMismatchError, match="num_perm"):
        Index.open(url, num_perm=64)
    with Index.open(url) as idx:  # no explicit settings: the stored ones
        assert idx.config.threshold == 0.5


def test_missing_foreign_and_unreachable_are_refused(url):
    import redis

    with pytest.raises(IndexStoreError, match="no such index"):
        Index.open(url, create=False)
    prefix = url.rsplit("prefix=", 1)[1]
    client = redis.Redis.from_url(BASE_URL)
    client.hset(f"dedup:{{{prefix}}}:meta", mapping={"format": "something-else"})
    with pytest.raises(IndexCorruptError, match="not a dedup index"):
        Index.open(url)
    with pytest.raises(IndexStoreError, match="cannot connect"):
        RedisStore("redis://127.0.0.1:1/0?prefix=x", timeout=2)


def test_concurrent_commit_during_add_is_retried(url):
    """A commit slipping in between an add's reads and its EXEC makes the add recompute."""
    first = [Document("a-" + d.id, d.text) for d in corpus(12, seed=4)[:6]]
    second = [Document("b-" + d.id, d.text) for d in corpus(12, seed=5)[:6]]
    with Index.open(url) as idx, Index.open(url) as other:
        store = idx.store
        real = store._read_docs
        calls = {"n": 0}

        def interfering(ids):
            calls["n"] += 1
            if calls["n"] == 1:  # another writer commits now (its lock is bypassed: a stalled lease)
                other.store._lock = lambda: _NoLock()
                other.add(second)
            return real(ids)

        store._read_docs = interfering
        idx.add(first)
        assert calls["n"] == 2  # WatchError -> recomputed once
        idx.store.check_integrity(full=True)
        assert idx.document_ids() == sorted(d.id for d in first + second)
        table = prepare(first + second, idx.config)
        info = idx.info()
        assert (info.paragraphs, info.groups) == (len(table), len(table.group_keys))


class _NoLock:
    def acquire(self):
        return True

    def release(self):
        pass


WORKER = """
import sys, time, redis
from dedup.check import Index
from dedup.models import Document
sys.path.insert(0, {root!r})
from tests.corpus_gen import CorpusGenerator
url, k = sys.argv[1], int(sys.argv[2])
own = sorted(CorpusGenerator(seed=100 + k).corpus(60, boilerplate=0.3).items())
shared = sorted(CorpusGenerator(seed=99).corpus(10).items())
docs = [Document(f"w{{k}}-" + i, t) for i, t in own] + [Document("shared-" + i, t) for i, t in shared]
client = redis.Redis.from_url({base!r})
while not client.exists(sys.argv[3]):
    time.sleep(0.01)
with Index.open(url) as idx:
    for start in range(0, len(docs), 7):
        idx.add(docs[start:start + 7])
print("ok", len(docs))
"""


def test_four_processes_add_at_once_and_every_document_is_there_once(url):
    import redis

    with Index.open(url):
        pass  # create with default settings first
    go = f"go-{url.rsplit('=', 1)[1]}"
    code = WORKER.format(root=str(ROOT), base=BASE_URL)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, url, str(k), go], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for k in range(4)
    ]
    client = redis.Redis.from_url(BASE_URL)
    time.sleep(1.0)  # let every worker start and wait at the barrier
    client.set(go, 1, ex=60)
    outs = [p.communicate(timeout=180) for p in procs]
    client.delete(go)
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [o[1].decode()[-2000:] for o in outs]

    expected: list[Document] = []
    for k in range(4):
        own = sorted(CorpusGenerator(seed=100 + k).corpus(60, boilerplate=0.3).items())
        expected += [Document(f"w{k}-" + i, t) for i, t in own]
    shared = [Document("shared-" + i, t) for i, t in sorted(CorpusGenerator(seed=99).corpus(10).items())]
    n_shared = len(shared)
    expected += shared
    with Index.open(url, verify="full") as idx:
        ids = idx.document_ids()
        assert len(ids) == len(set(ids)) == len(expected)
        assert ids == sorted(d.id for d in expected)
        table = prepare(sorted(expected, key=lambda d: d.id), idx.config)
        info = idx.info()
        # Each document's paragraphs stored exactly once; each distinct text exactly one group.
        assert info.paragraphs == len(table)
        assert info.groups == len(table.group_keys)
        assert info.band_entries == info.groups * idx.bands
        loaded = idx.store.load_documents(ids)
        assert [d.text for d in loaded.documents] == [d.text for d in sorted(expected, key=lambda d: d.id)]
    # Every batch was one transaction, and the workers' transactions interleaved.
    per_worker = [sum(1 for d in expected if d.id.startswith(f"w{k}-")) + n_shared for k in range(4)]
    assert info.adds == sum(-(-n // 7) for n in per_worker)
    prefix = url.rsplit("prefix=", 1)[1]
    seq_of = {d.id: int(client.hget(f"dedup:{{{prefix}}}:doc:{d.id}", "add_seq")) for d in expected}
    writer_of = {}
    for doc_id, seq in seq_of.items():
        if doc_id.startswith("w"):
            writer_of.setdefault(seq, doc_id[:2])
    order = [writer_of[s] for s in sorted(writer_of)]
    switches = sum(1 for x, y in zip(order, order[1:]) if x != y)
    assert switches > 3, order  # one writer after the other would switch exactly 3 times


def test_cli_index_add_info_and_check_with_redis_url(url, tmp_path):
    docs = corpus(30, seed=8)
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    for d in docs[:20]:
        (old / d.id).write_text(d.text, encoding="utf-8")
    for d in docs[20:]:
        (new / d.id).write_text(d.text, encoding="utf-8")
    (new / "zz-copy.txt").write_text(docs[0].text, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))

    def run(*args):
        return subprocess.run([sys.executable, "-m", "dedup", *args], capture_output=True, text=True, env=env)

    r = run("index", "add", str(old), "--index", url)
    assert r.returncode == 0, r.stderr
    r = run("index", "info", "--index", url, "--format", "json")
    assert r.returncode == 0 and '"backend": "redis"' in r.stdout and '"documents": 20' in r.stdout
    r = run("check", str(new), "--index", url, "--root", str(new))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "zz-copy.txt" in r.stdout and docs[0].id in r.stdout
    r = run("index", "add", str(old), "--index", url, "--threshold", "0.8")
    assert r.returncode == 2 and "other settings" in r.stderr


def test_writer_killed_before_exec_leaves_nothing_and_the_next_writer_proceeds(url, tmp_path):
    import signal

    docs = corpus(24, seed=9)
    lease_url = url + "&lock_lease=2"
    with Index.open(lease_url) as idx:
        idx.add(docs[:12])
        info_before = idx.info()
    folder = tmp_path / "more"
    folder.mkdir()
    for d in docs[12:]:
        (folder / d.id).write_text(d.text, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), DEDUP_TEST_ADD_DELAY="60")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dedup", "index", "add", str(folder), "--index", lease_url],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            line = proc.stderr.readline()
            if "transaction queued" in line or not line:
                break
        assert "transaction queued" in line, line
        proc.send_signal(signal.SIGKILL)  # dies holding the lock, with every write queued in MULTI
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    with Index.open(lease_url, verify="full") as idx:
        info = idx.info()
        assert idx.document_ids() == sorted(d.id for d in docs[:12])
        before = (info_before.paragraphs, info_before.groups, info_before.adds)
        assert (info.paragraphs, info.groups, info.adds) == before
        t0 = time.time()
        stats = idx.add(docs[12:])  # waits for the dead writer's 2 s lease, then commits
        assert len(stats.added) == 12 and time.time() - t0 < 30
        assert idx.document_ids() == sorted(d.id for d in docs)
        idx.store.check_integrity(full=True)


# --- issue 13: story and boilerplate statistics, layout migration ---------------------------------


def test_story_and_paragraph_statistics_stay_exact_under_adds_replaces_and_removes(url):
    from .test_index import exercise_statistics

    exercise_statistics(url)


def test_statistics_equal_the_sqlite_store(url, tmp_path):
    docs = corpus(40, seed=12)
    results = []
    for loc in (url, str(tmp_path / "idx.db")):
        with Index.open(loc) as idx:
            idx.add(docs[:30])
            idx.add([Document(docs[0].id, docs[5].text), *docs[30:]])
            idx.remove([docs[2].id])
            ids = idx.document_ids()
            vectors = idx.story_vectors(ids)
            terms = sorted({t for v in vectors.values() for t in v})
            keys = prepare(docs, idx.config).group_keys
            results.append(
                (
                    vectors,
                    idx.story_document_frequencies(terms),
                    idx.story_postings(terms, 4),
                    idx.story_document_count(),
                    idx.paragraph_doc_counts(keys),
                )
            )
    assert results[0] == results[1]


def _downgrade_to_layout_1(url):
    """Turn a layout-2 index into exactly what the layout-1 code wrote (it only lacks the new fields and keys)."""
    import redis

    prefix = url.rsplit("prefix=", 1)[1]
    p = f"dedup:{{{prefix}}}"
    client = redis.Redis.from_url(BASE_URL)
    for d in client.smembers(f"{p}:docs"):
        client.hdel(f"{p}:doc:{d.decode()}", "terms", "crc", "tcrc")
    for gid in client.hvals(f"{p}:gkey"):
        client.hdel(f"{p}:group:{int(gid)}", "crc")
    posts = list(client.scan_iter(match=f"dedup:\\{{{prefix}\\}}:post:*", count=1000))
    assert posts
    client.delete(*posts)
    client.hdel(f"{p}:meta", "last_commit")
    client.hset(f"{p}:meta", "schema_version", "1")
    return client, p


def test_layout_1_index_is_migrated_in_place(url):
    from .test_index import assert_statistics_exact

    docs = corpus(30, seed=13)
    with Index.open(url) as idx:
        idx.add(docs)
    client, p = _downgrade_to_layout_1(url)
    assert client.hget(f"{p}:doc:{docs[0].id}", "crc") is None
    with Index.open(url) as idx:
        assert client.hget(f"{p}:meta", "schema_version") == b"2"
        assert idx.info().schema_version == 2
        assert_statistics_exact(idx, docs)
        res = check([Document("copy.txt", docs[4].text)], idx)
        assert any(f.kind == "duplicate" for f in res.findings)


def test_unknown_layout_is_refused_with_how_to_rebuild(url):
    import redis

    with Index.open(url) as idx:
        idx.add(corpus(3, seed=14))
    prefix = url.rsplit("prefix=", 1)[1]
    redis.Redis.from_url(BASE_URL).hset(f"dedup:{{{prefix}}}:meta", "schema_version", "9")
    with pytest.raises(IndexCorruptError, match=r"version 9 is not supported.*newer dedup.*dedup index add"):
        Index.open(url)


# --- issue 17: Redis reliability -------------------------------------------------------------------


def test_prefixes_are_a_safe_alphabet_and_drop_never_reaches_another_index(url):
    import redis

    base = url.rsplit("prefix=", 1)[1]
    for bad in ("x*", "x?", "x[ab]", "a b", "{x}", "x:y", "x\\y"):
        with pytest.raises(IndexStoreError, match="prefix"):
            RedisStore(f"{BASE_URL}?prefix={bad}")
    client = redis.Redis.from_url(BASE_URL)
    names = [base, base + "y", base + ".y", base + "-y"]
    try:
        for name in names:
            with Index.open(f"{BASE_URL}?prefix={name}") as idx:
                idx.add(corpus(2, seed=15))
        with RedisStore(f"{BASE_URL}?prefix={base}") as store:
            assert store.drop() > 0
        for name in names[1:]:
            with Index.open(f"{BASE_URL}?prefix={name}", create=False) as idx:
                assert idx.document_ids() == sorted(d.id for d in corpus(2, seed=15)), name
        with pytest.raises(IndexStoreError, match="no such index"):
            Index.open(url, create=False)
    finally:
        for name in names:
            keys = list(client.scan_iter(match=f"dedup:\\{{{name}\\}}:*", count=1000))
            if keys:
                client.delete(*keys)


@pytest.mark.parametrize("bad", ["/O", "/0x", "/-1", "/1?db=two"])
def test_database_in_the_url_must_be_numeric(bad):
    host = BASE_URL.split("//", 1)[1].split("/", 1)[0]
    with pytest.raises(IndexStoreError, match="must be a number"):
        RedisStore(f"redis://{host}{bad}")


def test_committed_add_reports_success_when_releasing_the_lock_fails(url, monkeypatch):
    import redis

    docs = corpus(6, seed=16)
    with Index.open(url) as idx:
        real_lock = idx.store._lock

        def lock():
            lk = real_lock()

            def release():
                raise redis.ConnectionError("Connection refused (server restarting)")

            lk.release = release
            return lk

        monkeypatch.setattr(idx.store, "_lock", lock)
        stats = idx.add(docs)
        assert len(stats.added) == 6
    with Index.open(url, verify="full") as idx:
        assert idx.document_ids() == sorted(d.id for d in docs)


def test_add_whose_exec_reply_is_lost_reports_success_once(url, monkeypatch):
    """The server applied EXEC but the connection dropped before the reply (kill -9 + AOF restart)."""
    import redis

    docs = corpus(5, seed=17)
    real = redis.client.Pipeline.execute
    state = {"dropped": 0}

    def flaky(self, raise_on_error=True):
        out = real(self, raise_on_error)
        if self.transaction and self.command_stack == [] and not state["dropped"]:
            state["dropped"] += 1
            raise redis.ConnectionError("Connection reset by peer")
        return out

    with Index.open(url) as idx:
        monkeypatch.setattr(redis.client.Pipeline, "execute", flaky)
        stats = idx.add(docs)
        monkeypatch.undo()
        assert state["dropped"] == 1 and len(stats.added) == 5
        assert idx.info().adds == 1  # committed once, not retried on top
    with Index.open(url, verify="full") as idx:
        assert idx.document_ids() == sorted(d.id for d in docs)


def test_tampered_meta_and_a_flipped_text_byte_are_clear_refusals(url):
    import redis

    docs = corpus(4, seed=18)
    with Index.open(url) as idx:
        idx.add(docs)
    prefix = url.rsplit("prefix=", 1)[1]
    p = f"dedup:{{{prefix}}}"
    client = redis.Redis.from_url(BASE_URL)
    client.hset(f"{p}:meta", "adds", "abc")
    with pytest.raises(IndexCorruptError, match="adds='abc'"):
        Index.open(url)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run(
        [sys.executable, "-m", "dedup", "index", "info", "--index", url], capture_output=True, text=True, env=env
    )
    assert r.returncode == 2 and "adds='abc'" in r.stderr and "Traceback" not in r.stderr
    client.hset(f"{p}:meta", "adds", "1")
    victim = docs[2].id
    blob = bytearray(client.hget(f"{p}:doc:{victim}", "text"))
    blob[len(blob) // 2] ^= 0x01
    client.hset(f"{p}:doc:{victim}", "text", bytes(blob))
    with Index.open(url):  # the quick check does not read texts
        pass
    r = subprocess.run(
        [sys.executable, "-m", "dedup", "index", "info", "--index", url, "--check"],
        capture_output=True,
        text=True,
        env=env,
    )
    said = r.stdout + r.stderr  # index info --check prints its integrity line on stdout
    assert r.returncode == 2 and victim in said and "damaged" in said and "Traceback" not in said


def test_one_unstorable_document_does_not_roll_back_the_others(url):
    good = corpus(3, seed=19)
    bad = [
        Document("bad.txt", "Lone surrogate \udc80 in an otherwise fine text with words."),
        Document("b\ud800", "x y z"),
    ]
    with Index.open(url) as idx:
        stats = idx.add(good + bad)
        assert stats.added == tuple(sorted(d.id for d in good))
        assert sorted(i for i, _ in stats.failed) == sorted(d.id for d in bad)
        assert idx.document_ids() == sorted(d.id for d in good)
