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
