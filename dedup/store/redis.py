"""The Redis index store: one shared index for several ingest workers.

Selected with a URL wherever an index path is accepted::

    --index redis://host:6379/0?prefix=newsroom      (also rediss://, unix://)

Key layout (``P`` = ``dedup:{prefix}``; the braces are a Redis Cluster hash
tag, so all keys of one index live in one slot and a transaction can span
them)::

    P:meta            hash   format, schema_version, settings (JSON), lsh (JSON),
                             adds, next_group, occurrences, version, last_commit
    P:docs            set    document ids
    P:doc:<id>        hash   path, title, date, mtime, source, content_hash,
                             chars, paragraphs, meta (JSON), text (zlib UTF-8),
                             add_seq, occ (int64 rows: ordinal, start, end,
                             ntokens, group id; little-endian bytes),
                             terms (story-term vector, base.encode_terms),
                             crc (CRC-32 of text, meta, content_hash, occ), tcrc (of terms)
    P:hash:<hash>     set    ids of documents with this content hash
    P:gkey            hash   paragraph content key -> group id
    P:group:<gid>     hash   key, shingles (<u8 bytes), signature (<u4 bytes),
                             crc (CRC-32 of key, shingles, signature)
    P:gdocs:<gid>     set    ids of documents containing the group (its size is
                             the group's document count)
    P:band:<b>:<key>  set    group ids whose band ``b`` has this band key
    P:post:<term>     set    ids of documents whose story terms hold ``term``
                             (its size is the term's document frequency)

Prefixes are limited to letters, digits, ``_``, ``-`` and ``.`` (no glob or
hash-tag characters), so one index's key pattern never matches another's. The
database number in the URL must be numeric. Layout version 1 (no term
postings, no checksums) is migrated in place on open, in one transaction.

Writes: an add or remove takes a lease lock (``P:lock``, so writers queue
instead of retrying), WATCHes ``P:meta``'s ``version`` field key, reads what
it needs (existing documents, group ids), then queues every write in one
``MULTI``/``EXEC`` transaction that also bumps the version. Redis applies the
transaction as a whole or not at all: a writer killed before ``EXEC`` leaves
nothing behind, and a concurrent commit (a lease that expired under a stalled
writer) makes ``EXEC`` fail with a WatchError, so the add is recomputed
rather than overwriting the other writer's groups. A commit is recognised by a token written with it
(``last_commit``): when the connection drops around ``EXEC``, the add asks
the server (once it is back) whether its token is there, so a committed add
reports success and an uncommitted one is retried. Releasing the lock after a
commit never turns the add into a failure. Nothing is pickled.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

from ..errors import IndexCorruptError, IndexStoreError, MissingDependencyError
from ..lsh import band_keys as compute_band_keys
from ..shingle import ShingleBatch
from .base import (
    AddBatch,
    AddStats,
    IndexInfo,
    IndexStore,
    StoredDocument,
    StoredOccurrences,
    decode_settings,
    decode_terms,
    document_problem,
    encode_terms,
    meta_int,
    payload_crc,
    term_counts,
)

__all__ = ["REDIS_SCHEMES", "SCHEMA_VERSION", "RedisStore", "is_redis_url"]

#: Version of the key layout.
SCHEMA_VERSION = 2
#: Older layouts migrated in place on open.
_MIGRATES = ("1",)
#: What a prefix may hold.
_PREFIX_RE = re.compile(r"[A-Za-z0-9_.\-]{1,200}")
#: Counters in ``P:meta`` (each a non-negative integer when present).
_META_COUNTERS = ("adds", "next_group", "occurrences", "version")
_FORMAT = "dedup-index-redis"
#: URL schemes that select this backend.
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
_OCC_COLS = 5
#: Test hook (as in the SQLite store): seconds to sleep with the transaction queued, before EXEC.
_DELAY_ENV = "DEDUP_TEST_ADD_DELAY"


def is_redis_url(location: str) -> bool:
    """Whether an ``--index`` value names a Redis index."""
    return location.lower().startswith(REDIS_SCHEMES)


def _split_url(url: str) -> tuple[str, str]:
    """Take ``prefix=`` (and ``lock_lease=``) out of the query string; returns ``(url, prefix)``."""
    url, opts = _split_options(url)
    return url, opts["prefix"]


def _split_options(url: str) -> tuple[str, dict[str, Any]]:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    opts: dict[str, Any] = {"prefix": "dedup", "lock_lease": None}
    rest = []
    for k, v in query:
        if k in opts:
            opts[k] = v
        else:
            rest.append((k, v))
    prefix = opts["prefix"]
    if not _PREFIX_RE.fullmatch(prefix):
        raise IndexStoreError(
            f"{_safe_url(url)}: prefix {prefix!r} must be 1-200 letters, digits, '_', '-' or '.' "
            "(no glob, brace, colon or space characters)"
        )
    db_values = [v for k, v in rest if k == "db"]
    if parts.scheme.lower() in ("redis", "rediss") and parts.path not in ("", "/"):
        db_values.append(parts.path[1:])
    for db in db_values:
        if not (db.isascii() and db.isdigit()):
            raise IndexStoreError(f"{_safe_url(url)}: the Redis database {db!r} must be a number, e.g. /0")
    if opts["lock_lease"] is not None:
        try:
            opts["lock_lease"] = float(opts["lock_lease"])
        except ValueError:
            opts["lock_lease"] = -1.0
        if not 0 < opts["lock_lease"] <= 3600:
            raise IndexStoreError(f"{url}: lock_lease must be a number of seconds in (0, 3600]")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(rest), parts.fragment)), opts


def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]  # never echo a password
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _glob_escape(text: str) -> str:
    """``text`` as a literal in a Redis SCAN MATCH pattern.

    Example:
        >>> _glob_escape("dedup:{x*}")
        'dedup:\\\\{x\\\\*\\\\}'
    """
    return re.sub(r"([\\*?\[\]{}^])", r"\\\1", text)


def _s(v: Any) -> str | None:
    if v is None:
        return None
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


class RedisStore(IndexStore):
    """An :class:`~dedup.store.base.IndexStore` in a Redis database.

    Args:
        url: ``redis://host:port/db?prefix=name`` (``rediss://`` for TLS,
            ``unix:///path.sock?db=0&prefix=name``). Several indexes can share
            one database under different prefixes.
        create: Create the index when it does not exist (else raise).
        timeout: Seconds a writer waits for another writer's lock.
        verify: ``"quick"`` checks the format marker on open, ``"full"`` also
            runs :meth:`check_integrity` with ``full=True``, ``"none"`` skips.
        lease: Seconds a writer's lock lasts; also ``lock_lease=`` in the URL.
            A writer that dies holding it blocks the others until it expires
            (so keep it below ``timeout``); a live writer slower than this is
            caught by the WATCH and retries.
        client: An existing ``redis.Redis`` client to use instead of ``url``'s.

    Raises:
        MissingDependencyError: redis-py is not installed.
        IndexStoreError: The server cannot be reached, or the index does not
            exist and ``create`` is false.
        IndexCorruptError: The keys under the prefix are not a dedup index.
    """

    backend = "redis"

    def __init__(
        self,
        url: str,
        create: bool = True,
        timeout: float = 60.0,
        verify: str = "quick",
        lease: float = 30.0,
        client: Any = None,
    ) -> None:
        try:
            import redis
        except ImportError:
            raise MissingDependencyError("a Redis index needs redis-py: pip install 'article-dedup[redis]'") from None
        self._redis_mod = redis
        conn_url, url_opts = _split_options(url)
        self.prefix = url_opts["prefix"]
        if url_opts["lock_lease"] is not None:
            lease = url_opts["lock_lease"]
        self.path = _safe_url(url)
        self._timeout = timeout
        self._lease = lease
        try:
            self._r = client if client is not None else redis.Redis.from_url(conn_url, socket_timeout=timeout)
            self._r.ping()
        except (redis.RedisError, ValueError) as exc:
            raise IndexStoreError(f"{self.path}: cannot connect to Redis: {exc}") from None
        self._p = f"dedup:{{{self.prefix}}}"
        with self._errors():
            meta = self._r.hgetall(self._k("meta"))
            if not meta:
                if not create:
                    raise IndexStoreError(f"{self.path}: no such index (no keys under prefix {self.prefix!r})")
                self._r.hsetnx(self._k("meta"), "format", _FORMAT)
                self._r.hsetnx(self._k("meta"), "schema_version", str(SCHEMA_VERSION))
            if self._check_schema(allow_old=True) != str(SCHEMA_VERSION):
                self._migrate()
            if verify == "full":
                self.check_integrity(full=True)

    # -- helpers -------------------------------------------------------------

    def _k(self, *parts: Any) -> str:
        return ":".join([self._p, *(str(p) for p in parts)])

    def _band_key(self, band: int, key: int) -> str:
        return f"{self._p}:band:{band}:{key:016x}"

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn redis-py errors into :class:`IndexStoreError`."""
        try:
            yield
        except self._redis_mod.RedisError as exc:
            raise IndexStoreError(f"{self.path}: Redis error: {exc}") from None

    def _check_schema(self, allow_old: bool = False) -> str:
        """Verify the format marker, layout version and counters; returns the version.

        Raises:
            IndexCorruptError: Not an index, an unknown version, or tampered metadata.
        """
        names = ["format", "schema_version", "settings", "lsh", *_META_COUNTERS]
        meta = dict(zip(names, self._r.hmget(self._k("meta"), names)))
        fmt, version = _s(meta["format"]), _s(meta["schema_version"])
        if fmt != _FORMAT:
            raise IndexCorruptError(f"{self.path}: keys under prefix {self.prefix!r} are not a dedup index")
        if version != str(SCHEMA_VERSION) and not (allow_old and version in _MIGRATES):
            newer = version is not None and version.isdigit() and int(version) > SCHEMA_VERSION
            raise IndexCorruptError(
                f"{self.path}: index schema version {version} is not supported (this dedup reads "
                f"{SCHEMA_VERSION} and migrates {', '.join(_MIGRATES)})"
                + ("; it was written by a newer dedup" if newer else "")
                + f"; rebuild it: delete the keys under prefix {self.prefix!r} "
                "(RedisStore.drop) and run `dedup index add` on the indexed content"
            )
        for name in _META_COUNTERS:
            meta_int(meta[name], name, self.path)
        decode_settings(meta["settings"], self.path)
        if meta["lsh"] is not None:
            self._parse_lsh(meta["lsh"])
        return str(version)

    def _parse_lsh(self, value: bytes | str) -> tuple[int, int]:
        try:
            bands, rows = json.loads(value)
            if not (isinstance(bands, int) and isinstance(rows, int) and bands > 0 and rows > 0):
                raise ValueError(value)
        except (ValueError, TypeError):
            raise IndexCorruptError(
                f"{self.path}: index metadata is damaged (lsh={_s(value)!r:.40} is not [bands, rows])"
            ) from None
        return bands, rows

    def _migrate(self) -> None:
        """Bring a layout-1 index to layout 2 in one ``MULTI``/``EXEC`` (all or nothing)."""

        def build(pipe: Any) -> None:
            if _s(pipe.hget(self._k("meta"), "schema_version")) == str(SCHEMA_VERSION):
                pipe.multi()
                return  # another process migrated it meanwhile
            ids = sorted(_s(m) for m in pipe.smembers(self._k("docs")))  # type: ignore[type-var]
            read = self._r.pipeline(transaction=False)
            for d in ids:
                read.hmget(self._k("doc", d), ["text", "meta", "content_hash", "occ"])
            docs = read.execute()
            gids = sorted({int(v) for v in pipe.hvals(self._k("gkey"))})
            read = self._r.pipeline(transaction=False)
            for g in gids:
                read.hmget(self._k("group", g), ["key", "shingles", "signature"])
            groups = read.execute()
            writes: list[tuple[str, dict[str, Any], list[str]]] = []
            for d, (blob, meta, chash, occ) in zip(ids, docs):
                try:
                    text = zlib.decompress(blob).decode("utf-8")
                except (zlib.error, UnicodeDecodeError, TypeError) as exc:
                    raise IndexCorruptError(
                        f"{self.path}: stored document {d!r} is damaged ({exc}); cannot migrate"
                    ) from None
                vec = term_counts(text)
                terms = encode_terms(vec)
                fields = {"terms": terms, "crc": payload_crc(blob, meta, chash, occ), "tcrc": payload_crc(terms)}
                writes.append((d, fields, list(vec)))
            pipe.multi()
            for d, fields, terms_of in writes:
                pipe.hset(self._k("doc", d), mapping=fields)
                for t in terms_of:
                    pipe.sadd(self._k("post", t), d)
            for g, (key, sh, sig) in zip(gids, groups):
                if key is not None:
                    pipe.hset(self._k("group", g), "crc", payload_crc(key, sh, sig))
            pipe.hset(self._k("meta"), "schema_version", str(SCHEMA_VERSION))

        try:
            self._transaction(build)
        except IndexStoreError as exc:
            raise type(exc)(
                f"{self.path}: the index (layout 1) must be migrated to layout {SCHEMA_VERSION} and that "
                f"failed, leaving it unchanged ({exc}); open it again, or rebuild it: delete the keys "
                f"under prefix {self.prefix!r} (RedisStore.drop) and run `dedup index add` on the content"
            ) from None

    def _lock(self) -> Any:
        # Waiting writers poll every 10 ms, so a writer that releases and re-locks at once
        # does not keep the lock from the others.
        return self._r.lock(self._k("lock"), timeout=self._lease, sleep=0.01, blocking_timeout=self._timeout)

    def _transaction(self, build: Any) -> Any:
        """Run ``build(pipe)`` under the writer lock with WATCH; retry on a WatchError.

        ``build`` reads through ``pipe`` (immediate mode), calls
        ``pipe.multi()``, queues its writes and returns its result.
        """
        redis = self._redis_mod
        lock = self._lock()
        if not lock.acquire():
            raise IndexStoreError(f"{self.path}: another writer held the index lock for {self._timeout:.0f}s")
        try:
            for _ in range(20):
                token = uuid.uuid4().hex
                with self._r.pipeline(transaction=True) as pipe:
                    try:
                        pipe.watch(self._k("meta"))
                        result = build(pipe)
                        pipe.hincrby(self._k("meta"), "version", 1)
                        pipe.hset(self._k("meta"), "last_commit", token)
                        delay = float(os.environ.get(_DELAY_ENV, "0") or 0)
                        if delay > 0:  # test hook: a writer to kill before EXEC
                            sys.stderr.write("dedup-test: transaction queued\n")
                            sys.stderr.flush()
                            time.sleep(delay)
                        pipe.execute()
                        return result
                    except redis.WatchError:
                        time.sleep(0.01)
                        continue
                    except (redis.ConnectionError, redis.TimeoutError):
                        # The reply to EXEC was lost: ask the server (once back) whether it committed.
                        if self._committed(token):
                            return result
                        continue
            raise IndexStoreError(f"{self.path}: concurrent writers kept changing the index; try again")
        finally:
            # After EXEC the outcome is decided: a lease that expired (LockError) or a connection
            # lost while releasing (the lease then expires by itself) must not turn a committed
            # write into a reported failure, nor hide the error of a failed one.
            with contextlib.suppress(redis.RedisError):
                lock.release()

    def _committed(self, token: str) -> bool:
        """Whether the transaction that wrote ``token`` committed (waits up to the timeout for the server).

        Raises:
            IndexStoreError: The server did not come back in time.
        """
        redis = self._redis_mod
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                return _s(self._r.hget(self._k("meta"), "last_commit")) == token
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                if time.monotonic() > deadline:
                    raise IndexStoreError(
                        f"{self.path}: the connection to Redis was lost while committing and the server did "
                        f"not come back within {self._timeout:.0f}s, so whether the write committed is unknown "
                        f"({exc}); run the add again (it is idempotent)"
                    ) from None
                time.sleep(0.2)

    # -- settings ------------------------------------------------------------

    def get_settings(self) -> dict[str, Any] | None:
        with self._errors():
            value = self._r.hget(self._k("meta"), "settings")
        return decode_settings(value, self.path)

    def lsh_shape(self) -> tuple[int, int] | None:
        """The stored ``(bands, rows)``, or ``None`` before settings are set."""
        value = self._r.hget(self._k("meta"), "lsh")
        if value is None:
            return None
        return self._parse_lsh(value)

    def set_settings(self, settings: dict[str, Any], bands: int, rows: int) -> None:
        def build(pipe: Any) -> None:
            if pipe.hget(self._k("meta"), "settings") is not None:
                raise IndexStoreError(f"{self.path}: settings are already recorded")
            pipe.multi()
            pipe.hset(
                self._k("meta"),
                mapping={"settings": json.dumps(settings, sort_keys=True), "lsh": json.dumps([bands, rows])},
            )

        with self._errors():
            self._transaction(build)

    # -- writing -------------------------------------------------------------

    def _read_docs(self, doc_ids: Sequence[str]) -> list[dict[str, Any]]:
        pipe = self._r.pipeline(transaction=False)
        for d in doc_ids:
            pipe.hmget(self._k("doc", d), ["content_hash", "occ", "terms", "tcrc"])
        out: list[dict[str, Any]] = []
        for d, r in zip(doc_ids, pipe.execute()):
            if r[0] is None:
                out.append({})
                continue
            if payload_crc(r[2]) != meta_int(r[3], "tcrc", self.path, -1):
                raise IndexCorruptError(f"{self.path}: story terms of {d!r} are damaged (checksum mismatch)")
            out.append({"content_hash": r[0], "occ": r[1], "terms": decode_terms(r[2], self.path)})
        return out

    def _plan_removals(self, removed: dict[str, dict[str, Any]]) -> tuple[dict[int, set[str]], int]:
        """Groups whose every document is being removed, and the occurrence count removed."""
        groups_of: dict[int, set[str]] = {}
        n_occ = 0
        for doc_id, row in removed.items():
            occ = np.frombuffer(row["occ"] or b"", dtype="<i8").reshape(-1, _OCC_COLS)
            n_occ += len(occ)
            for g in set(occ[:, 4].tolist()):
                groups_of.setdefault(int(g), set()).add(doc_id)
        if not groups_of:
            return {}, n_occ
        gids = sorted(groups_of)
        pipe = self._r.pipeline(transaction=False)
        for g in gids:
            pipe.smembers(self._k("gdocs", g))
        dying = {}
        for g, members in zip(gids, pipe.execute()):
            if {_s(m) for m in members} <= groups_of[g]:
                dying[g] = groups_of[g]
        return dying, n_occ

    def _queue_remove_docs(self, pipe: Any, removed: dict[str, dict[str, Any]]) -> None:
        for doc_id, row in removed.items():
            occ = np.frombuffer(row["occ"] or b"", dtype="<i8").reshape(-1, _OCC_COLS)
            for g in sorted(set(occ[:, 4].tolist())):
                pipe.srem(self._k("gdocs", g), doc_id)
            for t in row["terms"]:
                pipe.srem(self._k("post", t), doc_id)
            pipe.delete(self._k("doc", doc_id))
            pipe.srem(self._k("docs"), doc_id)
            pipe.srem(self._k("hash", row["content_hash"].hex()), doc_id)

    def _queue_drop_groups(self, pipe: Any, gids: Iterable[int]) -> None:
        gids = sorted(gids)
        if not gids:
            return
        shape = self.lsh_shape()
        read = self._r.pipeline(transaction=False)
        for g in gids:
            read.hmget(self._k("group", g), ["key", "signature"])
        for g, (key, sig) in zip(gids, read.execute()):
            if key is None:
                continue
            if shape is not None and sig is not None:
                s = np.frombuffer(sig, dtype="<u4").astype(np.uint32)[None, :]
                for b, k in enumerate(compute_band_keys(s, shape[0], shape[1])[0].tolist()):
                    pipe.srem(self._band_key(b, k), g)
            pipe.hdel(self._k("gkey"), key)
            pipe.delete(self._k("group", g), self._k("gdocs", g))

    def add(self, batch: AddBatch | Iterable[AddBatch], replace: bool = True) -> AddStats:
        """Add documents in one ``MULTI``/``EXEC`` transaction.

        An iterable of batches is merged into one batch first (the client holds
        the whole add until ``EXEC``, and a retried transaction needs it again).
        """
        merged = batch if isinstance(batch, AddBatch) else _merge_batches(list(batch))
        with self._errors():
            return self._transaction(lambda pipe: self._add(pipe, merged, replace))

    def _add(self, pipe: Any, batch: AddBatch, replace: bool) -> AddStats:
        meta = self._k("meta")
        n_docs = len(batch.documents)
        order = np.argsort(batch.occ_doc, kind="stable")
        counts = np.bincount(batch.occ_doc, minlength=n_docs) if n_docs else np.zeros(0, dtype=np.int64)
        bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        added: list[str] = []
        replaced: list[str] = []
        unchanged: list[str] = []
        failed: list[tuple[str, str]] = []
        seq_raw, next_raw = pipe.hmget(meta, ["adds", "next_group"])
        seq = meta_int(seq_raw, "adds", self.path) + 1
        next_group = meta_int(next_raw, "next_group", self.path)
        # 1. Which documents go in; which stored versions are replaced. A document that
        #    cannot be stored is reported and left out; the others go in.
        problems = [document_problem(d.id, d.text, d.path, d.meta, d.title, d.source, d.date) for d in batch.documents]
        storable = [d for d, problem in zip(batch.documents, problems) if problem is None]
        existing_of = dict(zip([d.id for d in storable], self._read_docs([d.id for d in storable])))
        inserting: list[int] = []
        removed: dict[str, dict[str, Any]] = {}
        for di, doc in enumerate(batch.documents):
            if problems[di] is not None:
                failed.append((doc.id, str(problems[di])))
                continue
            old = existing_of[doc.id]
            if old:
                if old["content_hash"] == doc.content_hash or not replace:
                    unchanged.append(doc.id)
                    continue
                removed[doc.id] = old
                replaced.append(doc.id)
            else:
                added.append(doc.id)
            inserting.append(di)
        dying, removed_occ = self._plan_removals(removed)
        # 2. Group ids of the batch groups used (existing ones looked up; new ones numbered).
        used = np.zeros(len(batch.group_keys), dtype=bool)
        for di in inserting:
            used[batch.occ_group[order[bounds[di] : bounds[di + 1]]]] = True
        needed = np.nonzero(used)[0].tolist()
        keys = [batch.group_keys[g] for g in needed]
        found = pipe.hmget(self._k("gkey"), keys) if keys else []
        gid_of = np.full(len(batch.group_keys), -1, dtype=np.int64)
        new_groups: list[int] = []
        for g, gid in zip(needed, found):
            if gid is not None:
                gid_of[g] = int(gid)
                dying.pop(int(gid), None)  # still used by a new document
            else:
                next_group += 1
                gid_of[g] = next_group
                new_groups.append(g)
        # 3. Queue every write; EXEC applies them at once.
        pipe.multi()
        self._queue_remove_docs(pipe, removed)
        self._queue_drop_groups(pipe, dying)
        if new_groups:
            bk = batch.band_keys[new_groups]
            for i, g in enumerate(new_groups):
                gid = int(gid_of[g])
                key = batch.group_keys[g]
                sh = np.ascontiguousarray(batch.shingles.get(g), dtype="<u8").tobytes()
                sig = np.ascontiguousarray(batch.signatures[g], dtype="<u4").tobytes()
                pipe.hset(
                    self._k("group", gid),
                    mapping={"key": key, "shingles": sh, "signature": sig, "crc": payload_crc(key, sh, sig)},
                )
                pipe.hset(self._k("gkey"), batch.group_keys[g], gid)
                for b, k in enumerate(bk[i].tolist()):
                    pipe.sadd(self._band_key(b, k), gid)
        n_occ = 0
        for di in inserting:
            doc = batch.documents[di]
            rows = order[bounds[di] : bounds[di + 1]]
            occ = np.stack(
                [
                    batch.occ_ordinal[rows],
                    batch.occ_start[rows],
                    batch.occ_end[rows],
                    batch.occ_ntokens[rows],
                    gid_of[batch.occ_group[rows]],
                ],
                axis=1,
            ).astype("<i8")
            n_occ += len(rows)
            blob = zlib.compress(doc.text.encode("utf-8"), 6)
            meta_json = json.dumps(doc.meta, sort_keys=True, ensure_ascii=False)
            vec = batch.terms_of(doc)
            terms = encode_terms(vec)
            fields = {
                "content_hash": doc.content_hash,
                "chars": len(doc.text),
                "paragraphs": doc.paragraphs,
                "meta": meta_json,
                "text": blob,
                "add_seq": seq,
                "occ": occ.tobytes(),
                "terms": terms,
                "crc": payload_crc(blob, meta_json, doc.content_hash, occ.tobytes()),
                "tcrc": payload_crc(terms),
            }
            for name in ("path", "title", "date", "source"):
                value = getattr(doc, name)
                if value is not None:
                    fields[name] = value
            if doc.mtime is not None:
                fields["mtime"] = repr(float(doc.mtime))
            pipe.hset(self._k("doc", doc.id), mapping=fields)
            pipe.sadd(self._k("docs"), doc.id)
            pipe.sadd(self._k("hash", doc.content_hash.hex()), doc.id)
            for gid in sorted(set(occ[:, 4].tolist())):
                pipe.sadd(self._k("gdocs", gid), doc.id)
            for t in vec:
                pipe.sadd(self._k("post", t), doc.id)
        pipe.hset(meta, mapping={"adds": seq, "next_group": next_group})
        if n_occ - removed_occ:
            pipe.hincrby(meta, "occurrences", n_occ - removed_occ)
        return AddStats(tuple(added), tuple(replaced), tuple(unchanged), tuple(failed))

    def remove(self, doc_ids: Sequence[str]) -> list[str]:
        ids = sorted(set(doc_ids))

        def build(pipe: Any) -> list[str]:
            rows = self._read_docs(ids)
            removed = {d: row for d, row in zip(ids, rows) if row}
            dying, n_occ = self._plan_removals(removed)
            pipe.multi()
            self._queue_remove_docs(pipe, removed)
            self._queue_drop_groups(pipe, dying)
            if n_occ:
                pipe.hincrby(self._k("meta"), "occurrences", -n_occ)
            return sorted(removed)

        with self._errors():
            return self._transaction(build)

    # -- querying ------------------------------------------------------------

    def query_bands(self, band_keys: np.ndarray) -> np.ndarray:
        n = band_keys.shape[0] if band_keys.ndim == 2 else 0
        if n == 0:
            return np.empty((0, 2), dtype=np.int64)
        keys = np.ascontiguousarray(band_keys, dtype=np.uint64)
        # One SMEMBERS per distinct (band, key), all in one round trip.
        wanted: dict[tuple[int, int], list[int]] = {}
        for row, key_row in enumerate(keys.tolist()):
            for b, k in enumerate(key_row):
                wanted.setdefault((b, k), []).append(row)
        items = list(wanted.items())
        with self._errors():
            pipe = self._r.pipeline(transaction=False)
            for (b, k), _ in items:
                pipe.smembers(self._band_key(b, k))
            replies = pipe.execute()
        found: list[tuple[int, int]] = []
        for (_, rows), members in zip(items, replies):
            for m in members:
                gid = int(m)
                found.extend((r, gid) for r in rows)
        if not found:
            return np.empty((0, 2), dtype=np.int64)
        return np.unique(np.array(found, dtype=np.int64), axis=0)

    def groups(self, group_ids: Sequence[int]) -> tuple[list[bytes], ShingleBatch, np.ndarray]:
        ids = [int(g) for g in group_ids]
        with self._errors():
            pipe = self._r.pipeline(transaction=False)
            for g in ids:
                pipe.hmget(self._k("group", g), ["key", "shingles", "signature", "crc"])
            rows = pipe.execute()
        missing = [g for g, r in zip(ids, rows) if r[0] is None]
        if missing:
            raise IndexCorruptError(f"{self.path}: paragraph group(s) {missing[:5]} missing")
        for g, r in zip(ids, rows):
            if payload_crc(r[0], r[1], r[2]) != meta_int(r[3], "crc", self.path, -1):
                raise IndexCorruptError(f"{self.path}: stored paragraph group {g} is damaged (checksum mismatch)")
        keys = [bytes(r[0]) for r in rows]
        arrays = [np.frombuffer(r[1], dtype="<u8").astype(np.uint64) for r in rows]
        offsets = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum([len(a) for a in arrays], out=offsets[1:])
        hashes = np.concatenate(arrays) if arrays else np.empty(0, dtype=np.uint64)
        sigs = (
            np.stack([np.frombuffer(r[2], dtype="<u4").astype(np.uint32) for r in rows])
            if ids
            else np.empty((0, 0), dtype=np.uint32)
        )
        return keys, ShingleBatch(hashes, offsets), sigs

    def documents_with_groups(self, group_ids: Sequence[int]) -> list[str]:
        gids = sorted({int(g) for g in group_ids})
        if not gids:
            return []
        with self._errors():
            members = self._r.sunion([self._k("gdocs", g) for g in gids])
        return sorted(_s(m) for m in members)  # type: ignore[type-var]

    def documents_with_hashes(self, content_hashes: Sequence[bytes]) -> list[str]:
        hashes = sorted(set(content_hashes))
        if not hashes:
            return []
        with self._errors():
            members = self._r.sunion([self._k("hash", h.hex()) for h in hashes])
        return sorted(_s(m) for m in members)  # type: ignore[type-var]

    def load_documents(self, doc_ids: Sequence[str]) -> StoredOccurrences:
        ids = sorted(set(doc_ids))
        with self._errors():
            pipe = self._r.pipeline(transaction=False)
            for d in ids:
                pipe.hgetall(self._k("doc", d))
            rows = pipe.execute()
        docs: list[StoredDocument] = []
        parts: list[np.ndarray] = []
        for doc_id, row in zip(ids, rows):
            if not row:
                continue
            crc = payload_crc(row.get(b"text"), row.get(b"meta"), row.get(b"content_hash"), row.get(b"occ"))
            if crc != meta_int(row.get(b"crc"), "crc", self.path, -1):
                raise IndexCorruptError(
                    f"{self.path}: stored document {doc_id!r} is damaged (checksum mismatch); "
                    "remove it and add it again, or rebuild the index"
                )
            try:
                text = zlib.decompress(row[b"text"]).decode("utf-8")
                meta = json.loads(row[b"meta"])
                occ = np.frombuffer(row.get(b"occ", b""), dtype="<i8").reshape(-1, _OCC_COLS).astype(np.int64)
                mtime = row.get(b"mtime")
                doc = StoredDocument(
                    id=doc_id,
                    text=text,
                    path=_s(row.get(b"path")),
                    date=_s(row.get(b"date")),
                    mtime=float(mtime) if mtime is not None else None,
                    title=_s(row.get(b"title")),
                    source=_s(row.get(b"source")),
                    content_hash=bytes(row[b"content_hash"]),
                    paragraphs=int(row[b"paragraphs"]),
                    meta=meta,
                )
            except (KeyError, zlib.error, UnicodeDecodeError, ValueError) as exc:
                raise IndexCorruptError(f"{self.path}: stored document {doc_id!r} is damaged ({exc})") from None
            di = len(docs)
            docs.append(doc)
            parts.append(np.column_stack([np.full(len(occ), di, dtype=np.int64), occ]))
        allocc = np.concatenate(parts) if parts else np.empty((0, 6), dtype=np.int64)
        cols = [np.ascontiguousarray(allocc[:, i]) for i in range(6)]
        return StoredOccurrences(tuple(docs), *cols)

    # -- story and boilerplate statistics ---------------------------------------

    def story_vectors(self, doc_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        ids = sorted(set(doc_ids))
        with self._errors():
            pipe = self._r.pipeline(transaction=False)
            for d in ids:
                pipe.hmget(self._k("doc", d), ["terms", "tcrc", "content_hash"])
            rows = pipe.execute()
        out: dict[str, dict[str, int]] = {}
        for d, (blob, tcrc, chash) in zip(ids, rows):
            if chash is None:
                continue
            if payload_crc(blob) != meta_int(tcrc, "tcrc", self.path, -1):
                raise IndexCorruptError(f"{self.path}: story terms of {d!r} are damaged (checksum mismatch)")
            out[d] = decode_terms(blob, self.path)
        return out

    def story_document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(terms))
        with self._errors():
            pipe = self._r.pipeline(transaction=False)
            for t in wanted:
                pipe.scard(self._k("post", t))
            counts = pipe.execute()
        return {t: int(n) for t, n in zip(wanted, counts)}

    def story_document_count(self) -> int:
        with self._errors():
            return int(self._r.scard(self._k("docs")))

    def story_postings(self, terms: Iterable[str], max_docs: int) -> dict[str, list[str]]:
        df = self.story_document_frequencies(terms)
        chosen = [t for t, n in df.items() if 0 < n <= max_docs]
        with self._errors():
            pipe = self._r.pipeline(transaction=False)
            for t in chosen:
                pipe.smembers(self._k("post", t))
            members = pipe.execute()
        out = {t: sorted(_s(m) for m in ms) for t, ms in zip(chosen, members) if ms}  # type: ignore[type-var]
        return {t: out[t] for t in sorted(out)}

    def paragraph_doc_counts(self, keys: Iterable[bytes]) -> dict[bytes, int]:
        wanted = sorted({bytes(k) for k in keys})
        if not wanted:
            return {}
        with self._errors():
            gids = self._r.hmget(self._k("gkey"), wanted)
            pipe = self._r.pipeline(transaction=False)
            for g in gids:
                if g is not None:
                    pipe.scard(self._k("gdocs", int(g)))
            counts = iter(pipe.execute())
        return {k: (int(next(counts)) if g is not None else 0) for k, g in zip(wanted, gids)}

    def document_ids(self) -> list[str]:
        with self._errors():
            return sorted(_s(m) for m in self._r.smembers(self._k("docs")))  # type: ignore[type-var]

    def info(self) -> IndexInfo:
        with self._errors():
            pipe = self._r.pipeline(transaction=False)
            pipe.scard(self._k("docs"))
            pipe.hlen(self._k("gkey"))
            pipe.hmget(self._k("meta"), ["adds", "occurrences"])
            n_docs, n_groups, (adds, occ) = pipe.execute()
            adds, occ = meta_int(adds, "adds", self.path), meta_int(occ, "occurrences", self.path)
            try:
                used = int(self._r.info("memory").get("used_memory", 0))
            except self._redis_mod.RedisError:
                used = 0
        shape = self.lsh_shape()
        return IndexInfo(
            path=self.path,
            backend=self.backend,
            schema_version=SCHEMA_VERSION,
            settings=self.get_settings() or {},
            documents=int(n_docs),
            paragraphs=occ,
            groups=int(n_groups),
            band_entries=int(n_groups) * (shape[0] if shape else 0),
            adds=adds,
            size_bytes=used,
        )

    def check_integrity(self, full: bool = False) -> None:
        """Check the format marker; with ``full``, every cross-reference.

        A full check verifies every stored payload's checksum (texts,
        metadata, term vectors, shingle sets, signatures), that every
        document's occurrences name stored groups that list the document,
        that every group is reachable from its content key and each of its
        band sets, that the occurrence counter matches, and that the story
        postings are exactly the stored term vectors.

        Raises:
            IndexCorruptError: Something does not match.
        """
        with self._errors():
            self._check_schema()
            if not full:
                return
            ids = self.document_ids()
            loaded = self.load_documents(ids)
            if len(loaded.documents) != len(ids):
                raise IndexCorruptError(f"{self.path}: document set lists ids without data")
            info = self.info()
            if info.paragraphs != len(loaded.doc):
                raise IndexCorruptError(
                    f"{self.path}: occurrence counter {info.paragraphs} != stored occurrences {len(loaded.doc)}"
                )
            gids = sorted(set(loaded.group.tolist()))
            keys, _, sigs = self.groups(gids)
            pipe = self._r.pipeline(transaction=False)
            for g in gids:
                pipe.smembers(self._k("gdocs", g))
            members = {g: {_s(m) for m in ms} for g, ms in zip(gids, pipe.execute())}
            for di, g in zip(loaded.doc.tolist(), loaded.group.tolist()):
                if loaded.documents[di].id not in members[g]:
                    raise IndexCorruptError(f"{self.path}: group {g} does not list {loaded.documents[di].id!r}")
            gkey = {bytes(k): int(v) for k, v in self._r.hgetall(self._k("gkey")).items()}
            if len(gkey) != len(gids) or any(gkey.get(k) != g for k, g in zip(keys, gids)):
                raise IndexCorruptError(f"{self.path}: content-key map does not match the stored groups")
            shape = self.lsh_shape()
            if shape and gids:
                bk = compute_band_keys(sigs, shape[0], shape[1])
                pipe = self._r.pipeline(transaction=False)
                for i, g in enumerate(gids):
                    for b, k in enumerate(bk[i].tolist()):
                        pipe.sismember(self._band_key(b, k), g)
                if not all(pipe.execute()):
                    raise IndexCorruptError(f"{self.path}: a group is missing from its LSH band sets")
            # Story postings: each document in the posting set of each of its terms, nothing else.
            vectors = self.story_vectors(ids)
            df: dict[str, int] = {}
            for vec in vectors.values():
                for t in vec:
                    df[t] = df.get(t, 0) + 1
            if self.story_document_frequencies(df) != df:
                raise IndexCorruptError(f"{self.path}: story postings do not match the stored term vectors")
            prefix = f"{self._p}:post:".encode()
            stray = [
                k
                for k in self._r.scan_iter(match=_glob_escape(self._p) + ":post:*", count=1000)
                if bytes(k)[len(prefix) :].decode("utf-8", "replace") not in df
            ]
            if stray:
                raise IndexCorruptError(f"{self.path}: {len(stray)} story posting set(s) name no stored term")

    def drop(self) -> int:
        """Delete every key of this index (all documents and settings).

        Returns:
            The number of keys deleted.
        """
        n = 0
        with self._errors():
            batch: list[Any] = []
            for key in self._r.scan_iter(match=_glob_escape(self._p) + ":*", count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    n += self._r.delete(*batch)
                    batch = []
            if batch:
                n += self._r.delete(*batch)
        return n

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a broken connection must not raise
            self._r.close()


def _merge_batches(batches: Sequence[AddBatch]) -> AddBatch:
    """One batch holding several (documents in order; groups deduplicated by content key)."""
    if len(batches) == 1:
        return batches[0]
    docs: list[StoredDocument] = []
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("doc", "ordinal", "start", "end", "ntokens", "group")}
    index: dict[bytes, int] = {}
    shingles: list[np.ndarray] = []
    sigs: list[np.ndarray] = []
    bkeys: list[np.ndarray] = []
    n_perm = n_bands = 0
    for b in batches:
        n_perm = b.signatures.shape[1] if b.signatures.ndim == 2 else n_perm
        n_bands = b.band_keys.shape[1] if b.band_keys.ndim == 2 else n_bands
        remap = np.empty(len(b.group_keys), dtype=np.int64)
        for g, key in enumerate(b.group_keys):
            i = index.get(key)
            if i is None:
                i = index[key] = len(shingles)
                shingles.append(b.shingles.get(g))
                sigs.append(b.signatures[g])
                bkeys.append(b.band_keys[g])
            remap[g] = i
        cols["doc"].append(np.asarray(b.occ_doc, dtype=np.int64) + len(docs))
        cols["ordinal"].append(np.asarray(b.occ_ordinal, dtype=np.int64))
        cols["start"].append(np.asarray(b.occ_start, dtype=np.int64))
        cols["end"].append(np.asarray(b.occ_end, dtype=np.int64))
        cols["ntokens"].append(np.asarray(b.occ_ntokens, dtype=np.int64))
        cols["group"].append(remap[np.asarray(b.occ_group, dtype=np.int64)])
        docs.extend(b.documents)
    offsets = np.zeros(len(shingles) + 1, dtype=np.int64)
    np.cumsum([len(a) for a in shingles], out=offsets[1:])
    hashes = np.concatenate(shingles).astype(np.uint64) if shingles else np.empty(0, dtype=np.uint64)
    cat = {k: (np.concatenate(v) if v else np.empty(0, dtype=np.int64)) for k, v in cols.items()}
    return AddBatch(
        documents=docs,
        occ_doc=cat["doc"],
        occ_ordinal=cat["ordinal"],
        occ_start=cat["start"],
        occ_end=cat["end"],
        occ_ntokens=cat["ntokens"],
        occ_group=cat["group"],
        group_keys=list(index),
        shingles=ShingleBatch(hashes, offsets),
        signatures=np.stack(sigs).astype(np.uint32) if sigs else np.empty((0, n_perm), dtype=np.uint32),
        band_keys=np.stack(bkeys).astype(np.uint64) if bkeys else np.empty((0, n_bands), dtype=np.uint64),
    )


def new_prefix() -> str:
    """A random prefix (for tests and throwaway indexes)."""
    return "t" + uuid.uuid4().hex[:12]
