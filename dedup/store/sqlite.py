"""The SQLite index store (stdlib ``sqlite3``, one file, WAL mode).

Schema (version 2)::

    meta(key TEXT PRIMARY KEY, value TEXT)            format, schema version,
                                                      settings (JSON), LSH shape, adds
    docs(id INTEGER PRIMARY KEY, doc_id TEXT UNIQUE, path, title, date, mtime,
         source, content_hash BLOB, chars, paragraphs, meta TEXT (JSON),
         text BLOB (zlib-compressed UTF-8), add_seq,
         terms BLOB (story-term vector, see base.encode_terms),
         crc (CRC-32 of text, meta, content hash), tcrc (CRC-32 of terms))
    groups(id INTEGER PRIMARY KEY, key BLOB UNIQUE, shingles BLOB, signature BLOB,
           ndocs (documents containing the group), crc (CRC-32 of key, shingles, signature))
    occ(doc, ordinal, start, end, ntokens, grp)       PRIMARY KEY (doc, ordinal)
    bands(band, key, grp)                             PRIMARY KEY (band, key, grp)
    terms(id INTEGER PRIMARY KEY, term TEXT UNIQUE, df) story term -> documents containing it
    post(term, doc)                                   PRIMARY KEY (term, doc): story postings

Version 1 (no ``terms``/``post`` tables, no ``ndocs``/``crc`` columns) is
migrated in place when opened: one transaction adds the columns and tables
and fills them from the stored texts and occurrences, so an interrupted
migration leaves the version 1 file as it was.

Arrays are raw little-endian bytes (shingles ``<u8``, signatures ``<u4``),
read back with ``np.frombuffer`` and an explicit dtype; band keys are stored
as signed 64-bit integers (the uint64 bit pattern). Nothing is pickled.

Every write runs in one ``BEGIN IMMEDIATE`` transaction: two processes adding
at once take turns (the second waits up to ``timeout`` seconds for the write
lock), and a crash or kill mid-add leaves the last committed state, because
SQLite discards an uncommitted transaction when the file is next opened.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError, IndexCorruptError, IndexStoreError
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

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

#: Version of the table layout.
SCHEMA_VERSION = 2
#: Older versions this code migrates in place.
_MIGRATES = ("1",)
_FORMAT = "dedup-index"

#: Test hook: seconds to sleep inside the add transaction between chunks of
#: documents (used by the crash test to kill a writer mid-add).
_DELAY_ENV = "DEDUP_TEST_ADD_DELAY"
_CHUNK_DOCS = 256

_NEW_IN_V2 = """
CREATE TABLE terms(
    id INTEGER PRIMARY KEY,
    term TEXT NOT NULL UNIQUE,
    df INTEGER NOT NULL
);
CREATE TABLE post(
    term INTEGER NOT NULL,
    doc INTEGER NOT NULL,
    PRIMARY KEY (term, doc)
) WITHOUT ROWID;
"""

_MIGRATE_V1 = (
    """
ALTER TABLE docs ADD COLUMN terms BLOB NOT NULL DEFAULT x'';
ALTER TABLE docs ADD COLUMN crc INTEGER NOT NULL DEFAULT 0;
ALTER TABLE docs ADD COLUMN tcrc INTEGER NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN ndocs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN crc INTEGER NOT NULL DEFAULT 0;
"""
    + _NEW_IN_V2
)

_SCHEMA = (
    """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE docs(
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL UNIQUE,
    path TEXT, title TEXT, date TEXT, mtime REAL, source TEXT,
    content_hash BLOB NOT NULL,
    chars INTEGER NOT NULL,
    paragraphs INTEGER NOT NULL,
    meta TEXT NOT NULL,
    text BLOB NOT NULL,
    add_seq INTEGER NOT NULL,
    terms BLOB NOT NULL DEFAULT x'',
    crc INTEGER NOT NULL DEFAULT 0,
    tcrc INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX docs_hash ON docs(content_hash);
CREATE TABLE groups(
    id INTEGER PRIMARY KEY,
    key BLOB NOT NULL UNIQUE,
    shingles BLOB NOT NULL,
    signature BLOB NOT NULL,
    ndocs INTEGER NOT NULL DEFAULT 0,
    crc INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE occ(
    doc INTEGER NOT NULL,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    ntokens INTEGER NOT NULL,
    grp INTEGER NOT NULL,
    PRIMARY KEY (doc, ordinal)
) WITHOUT ROWID;
CREATE INDEX occ_grp ON occ(grp);
CREATE TABLE bands(
    band INTEGER NOT NULL,
    key INTEGER NOT NULL,
    grp INTEGER NOT NULL,
    PRIMARY KEY (band, key, grp)
) WITHOUT ROWID;
"""
    + _NEW_IN_V2
)

_TABLES = ("meta", "docs", "groups", "occ", "bands", "terms", "post")
_TABLES_V1 = ("meta", "docs", "groups", "occ", "bands")


def _u8_bytes(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, dtype="<u8").tobytes()


def _u4_bytes(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, dtype="<u4").tobytes()


def _signed(keys: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(keys, dtype=np.uint64).view(np.int64)


class SQLiteStore(IndexStore):
    """An :class:`~dedup.store.base.IndexStore` in one SQLite file.

    Args:
        path: The index file.
        create: Create the file when it does not exist (else raise).
        timeout: Seconds a writer waits for another writer's lock.
        verify: ``"quick"`` runs ``PRAGMA quick_check`` on open, ``"full"``
            ``PRAGMA integrity_check`` and every payload checksum and
            statistic (:meth:`check_integrity`), ``"none"`` only checks the
            schema.

    Raises:
        ConfigError: ``path`` is empty or ``":memory:"`` (nothing would be kept).
        IndexStoreError: The file does not exist and ``create`` is false, or
            it (or its folder) cannot be written: the message says
            "permission denied" or "read-only", never "damaged".
        IndexCorruptError: The file is damaged, truncated or not an index.
    """

    backend = "sqlite"

    def __init__(self, path: str, create: bool = True, timeout: float = 60.0, verify: str = "quick") -> None:
        if not isinstance(path, str) or path.strip() in ("", ":memory:"):
            raise ConfigError(f"index location {path!r} keeps nothing: name an index file")
        self.path = path
        self._json1 = True
        exists = os.path.exists(path)
        if not exists and not create:
            raise IndexStoreError(f"{path}: no such index")
        if exists and os.path.isdir(path):
            raise IndexStoreError(f"{path}: is a folder, not an index file")
        try:
            self._db = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise self._open_error(exc) from None
        try:
            self._setup(exists and os.path.getsize(path) > 0, verify)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise self._open_error(exc) from None
        except BaseException:
            self._db.close()
            raise

    def _open_error(self, exc: sqlite3.Error) -> IndexStoreError:
        """The true reason an index could not be opened (permissions are not damage)."""
        name = getattr(exc, "sqlite_errorname", "") or ""
        msg = str(exc)
        folder = os.path.dirname(os.path.abspath(self.path))
        access = (
            name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH"))
            or "readonly" in msg
            or "unable to open" in msg
        )
        if access or name.startswith("SQLITE_IOERR"):
            if os.path.exists(self.path) and not os.access(self.path, os.W_OK):
                return IndexStoreError(f"{self.path}: permission denied: the index file is read-only ({msg})")
            if not os.access(folder, os.W_OK):
                return IndexStoreError(
                    f"{self.path}: permission denied: the folder {folder} is read-only "
                    f"(an SQLite index writes its -wal and -shm files beside it) ({msg})"
                )
            for side in (self.path + "-wal", self.path + "-shm"):
                if os.path.exists(side) and not os.access(side, os.W_OK):
                    return IndexStoreError(f"{self.path}: permission denied: {side} is read-only ({msg})")
            if access:
                return IndexStoreError(f"{self.path}: cannot open index: {msg}")
        if name.startswith("SQLITE_FULL") or "disk is full" in msg:
            return IndexStoreError(f"{self.path}: the disk is full ({msg}); nothing was changed")
        if name.startswith("SQLITE_IOERR") or "disk I/O error" in msg:
            return IndexStoreError(
                f"{self.path}: cannot write the index ({msg}{': ' + name if name else ''}; "
                "is the disk full or the file size limited?); nothing was changed"
            )
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in msg:
            return IndexStoreError(f"{self.path}: the index is locked by another process ({msg}); try again")
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_FORMAT")) or not name:
            return IndexCorruptError(f"{self.path}: not a dedup index or damaged ({msg})")
        return IndexStoreError(f"{self.path}: cannot use the index ({msg}: {name})")

    # -- setup -----------------------------------------------------------

    def _setup(self, existed: bool, verify: str) -> None:
        db = self._db
        db.execute("PRAGMA busy_timeout = 60000")
        db.execute("PRAGMA cache_size = -65536")  # 64 MiB page cache: B-tree inserts stay in memory
        if existed and self._table_count() == 0:
            # A file with no tables at all: an earlier first open was interrupted (disk full,
            # killed) after SQLite wrote the header but before the schema committed. Nothing
            # was ever stored in it, so it is created afresh rather than refused forever.
            existed = False
        if existed:
            if verify in ("quick", "full"):
                self._integrity(verify == "full")
            version = self._check_schema(allow_old=True)
            db.execute("PRAGMA journal_mode = WAL")
            if version != str(SCHEMA_VERSION):
                self._migrate()
        else:
            db.execute("PRAGMA journal_mode = WAL")
            with self._write():
                # Another process may have created it since we looked.
                if not self._has_meta():
                    for stmt in _SCHEMA.split(";"):
                        if stmt.strip():
                            db.execute(stmt)
                    db.executemany(
                        "INSERT INTO meta(key, value) VALUES (?, ?)",
                        [("format", _FORMAT), ("schema_version", str(SCHEMA_VERSION)), ("adds", "0")],
                    )
            if self._check_schema(allow_old=True) != str(SCHEMA_VERSION):
                self._migrate()
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = OFF")
        if verify == "full":
            self._verify_payloads()

    def _table_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])

    def _has_meta(self) -> bool:
        row = self._db.execute("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
        return bool(row[0])

    def _check_schema(self, allow_old: bool = False) -> str:
        """Verify format, version and metadata; returns the stored schema version.

        Raises:
            IndexCorruptError: Not an index, an unknown version, or tampered metadata.
        """
        names = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "meta" not in names:
            raise IndexCorruptError(f"{self.path}: not a dedup index (tables missing)")
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("format") != _FORMAT:
            raise IndexCorruptError(f"{self.path}: not a dedup index")
        version = meta.get("schema_version")
        if version in _MIGRATES and allow_old:
            needed: tuple[str, ...] = _TABLES_V1
        elif version == str(SCHEMA_VERSION):
            needed = _TABLES
        else:
            newer = isinstance(version, str) and version.isdigit() and int(version) > SCHEMA_VERSION
            raise IndexCorruptError(
                f"{self.path}: index schema version {version} is not supported (this dedup reads "
                f"{SCHEMA_VERSION} and migrates {', '.join(_MIGRATES)})"
                + ("; it was written by a newer dedup" if newer else "")
                + f"; rebuild it: move {self.path} away and run `dedup index add` on the indexed content"
            )
        missing = [t for t in needed if t not in names]
        if missing:
            raise IndexCorruptError(f"{self.path}: not a dedup index (tables missing: {', '.join(missing)})")
        meta_int(meta.get("adds"), "adds", self.path)
        decode_settings(meta.get("settings"), self.path)
        if meta.get("lsh") is not None:
            self._parse_lsh(meta["lsh"])
        return str(version)

    def _parse_lsh(self, value: str) -> tuple[int, int]:
        try:
            bands, rows = json.loads(value)
            if not (isinstance(bands, int) and isinstance(rows, int) and bands > 0 and rows > 0):
                raise ValueError(value)
        except (ValueError, TypeError):
            raise IndexCorruptError(
                f"{self.path}: index metadata is damaged (lsh={value[:40]!r} is not [bands, rows])"
            ) from None
        return bands, rows

    def _integrity(self, full: bool) -> None:
        pragma = "integrity_check" if full else "quick_check"
        rows = self._db.execute(f"PRAGMA {pragma}").fetchall()
        if [r[0] for r in rows] != ["ok"]:
            detail = "; ".join(str(r[0]) for r in rows[:3])
            raise IndexCorruptError(f"{self.path}: index is damaged ({detail})")

    def _migrate(self) -> None:
        """Bring a version-1 file to version 2 in one transaction (all or nothing)."""
        db = self._db
        try:
            with self._write():
                version = self._meta("schema_version")
                if version == str(SCHEMA_VERSION):
                    return  # another process migrated it meanwhile
                for stmt in _MIGRATE_V1.split(";"):
                    if stmt.strip():
                        db.execute(stmt)
                for gid, key, sh, sig in db.execute("SELECT id, key, shingles, signature FROM groups").fetchall():
                    db.execute(
                        "UPDATE groups SET crc = ?, ndocs = (SELECT count(DISTINCT doc) FROM occ WHERE grp = ?) "
                        "WHERE id = ?",
                        (payload_crc(key, sh, sig), gid, gid),
                    )
                rowids = [r[0] for r in db.execute("SELECT id FROM docs ORDER BY id")]
                for first in range(0, len(rowids), _CHUNK_DOCS):
                    chunk = rowids[first : first + _CHUNK_DOCS]
                    marks = ",".join("?" * len(chunk))
                    q = f"SELECT id, doc_id, text, meta, content_hash FROM docs WHERE id IN ({marks})"
                    vectors: dict[int, dict[str, int]] = {}
                    for rowid, doc_id, blob, meta, chash in db.execute(q, chunk).fetchall():
                        try:
                            text = zlib.decompress(blob).decode("utf-8")
                        except (zlib.error, UnicodeDecodeError) as exc:
                            raise IndexCorruptError(
                                f"{self.path}: stored document {doc_id!r} is damaged ({exc}); cannot migrate"
                            ) from None
                        vec = term_counts(text)
                        vectors[int(rowid)] = vec
                        terms_blob = encode_terms(vec)
                        db.execute(
                            "UPDATE docs SET terms = ?, crc = ?, tcrc = ? WHERE id = ?",
                            (terms_blob, payload_crc(blob, meta, chash), payload_crc(terms_blob), rowid),
                        )
                    self._post_terms(vectors)
                db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
        except sqlite3.DatabaseError as exc:
            err = self._open_error(exc)
            raise type(err)(
                f"{self.path}: the index (schema version 1) must be migrated to version {SCHEMA_VERSION} "
                f"and that failed, leaving it unchanged ({err}); make it writable and open it again, or "
                f"rebuild it: move {self.path} away and run `dedup index add` on the indexed content"
            ) from None

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            msg = str(exc)
            if "malformed" in msg or "not a database" in msg or "corrupt" in msg:
                raise IndexCorruptError(f"{self.path}: index is damaged ({msg})") from None
            err = self._open_error(exc)
            if isinstance(err, IndexCorruptError):
                raise IndexStoreError(f"{self.path}: {msg}") from None
            raise err from None

    # -- settings ----------------------------------------------------------

    def get_settings(self) -> dict[str, Any] | None:
        with self._errors():
            value = self._meta("settings")
        return decode_settings(value, self.path)

    def lsh_shape(self) -> tuple[int, int] | None:
        """The stored ``(bands, rows)``, or ``None`` before settings are set."""
        value = self._meta("lsh")
        if value is None:
            return None
        return self._parse_lsh(value)

    def set_settings(self, settings: dict[str, Any], bands: int, rows: int) -> None:
        with self._errors(), self._write():
            if self._meta("settings") is not None:
                raise IndexStoreError(f"{self.path}: settings are already recorded")
            self._db.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?)",
                [("settings", json.dumps(settings, sort_keys=True)), ("lsh", json.dumps([bands, rows]))],
            )

    # -- writing -------------------------------------------------------------

    def add(self, batch: AddBatch | Iterable[AddBatch], replace: bool = True) -> AddStats:
        batches = [batch] if isinstance(batch, AddBatch) else batch
        with self._errors():
            return self._add(batches, replace)

    def _add(self, batches: Iterable[AddBatch], replace: bool) -> AddStats:
        added: list[str] = []
        replaced: list[str] = []
        unchanged: list[str] = []
        failed: list[tuple[str, str]] = []
        with self._write():
            seq = meta_int(self._meta("adds"), "adds", self.path) + 1
            # Batches may be produced lazily (fingerprinted while the transaction is open).
            for batch in batches:
                self._add_one(batch, replace, seq, added, replaced, unchanged, failed)
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'adds'", (str(seq),))
        return AddStats(tuple(added), tuple(replaced), tuple(unchanged), tuple(failed))

    def _add_one(
        self,
        batch: AddBatch,
        replace: bool,
        seq: int,
        added: list[str],
        replaced: list[str],
        unchanged: list[str],
        failed: list[tuple[str, str]],
    ) -> None:
        db = self._db
        delay = float(os.environ.get(_DELAY_ENV, "0") or 0)
        n_docs = len(batch.documents)
        # Occurrence rows of each batch document, in order.
        order = np.argsort(batch.occ_doc, kind="stable")
        counts = np.bincount(batch.occ_doc, minlength=n_docs) if n_docs else np.zeros(0, dtype=np.int64)
        bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        # 1. Which documents go in (removing replaced versions first); a document that
        #    cannot be stored is reported and left out, the others go in.
        inserting: list[int] = []
        for di, doc in enumerate(batch.documents):
            problem = document_problem(doc.id, doc.text, doc.path, doc.meta, doc.title, doc.source, doc.date)
            if problem is not None:
                failed.append((doc.id, problem))
                continue
            old = db.execute("SELECT id, content_hash FROM docs WHERE doc_id = ?", (doc.id,)).fetchone()
            if old is not None:
                if bytes(old[1]) == doc.content_hash or not replace:
                    unchanged.append(doc.id)
                    continue
                self._remove_rowid(int(old[0]))
                replaced.append(doc.id)
            else:
                added.append(doc.id)
            inserting.append(di)
        # 2. Store group id of every batch group those documents use (new groups inserted).
        used = np.zeros(len(batch.group_keys), dtype=bool)
        for di in inserting:
            used[batch.occ_group[order[bounds[di] : bounds[di + 1]]]] = True
        gid_of = self._resolve_groups(batch, np.nonzero(used)[0])
        # 3. Documents, occurrences, story postings and group counts, in chunks.
        for first in range(0, len(inserting), _CHUNK_DOCS):
            occ_parts: list[np.ndarray] = []
            group_parts: list[np.ndarray] = []
            vectors: dict[int, dict[str, int]] = {}
            for di in inserting[first : first + _CHUNK_DOCS]:
                doc = batch.documents[di]
                blob = zlib.compress(doc.text.encode("utf-8"), 6)
                meta = json.dumps(doc.meta, sort_keys=True, ensure_ascii=False)
                vec = batch.terms_of(doc)
                terms_blob = encode_terms(vec)
                cur = db.execute(
                    "INSERT INTO docs(doc_id, path, title, date, mtime, source, content_hash, chars, "
                    "paragraphs, meta, text, add_seq, terms, crc, tcrc) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        doc.id,
                        doc.path,
                        doc.title,
                        doc.date,
                        doc.mtime,
                        doc.source,
                        doc.content_hash,
                        len(doc.text),
                        doc.paragraphs,
                        meta,
                        blob,
                        seq,
                        terms_blob,
                        payload_crc(blob, meta, doc.content_hash),
                        payload_crc(terms_blob),
                    ),
                )
                rowid = int(cur.lastrowid)  # type: ignore[arg-type]
                vectors[rowid] = vec
                rows = order[bounds[di] : bounds[di + 1]]
                gids = gid_of[batch.occ_group[rows]]
                group_parts.append(np.unique(gids))
                occ_parts.append(
                    np.stack(
                        [
                            np.full(len(rows), rowid, dtype=np.int64),
                            batch.occ_ordinal[rows],
                            batch.occ_start[rows],
                            batch.occ_end[rows],
                            batch.occ_ntokens[rows],
                            gids,
                        ],
                        axis=1,
                    )
                )
            if occ_parts:
                occ = np.concatenate(occ_parts).astype(np.int64)
                db.executemany(
                    'INSERT INTO occ(doc, ordinal, start, "end", ntokens, grp) VALUES (?,?,?,?,?,?)', occ.tolist()
                )
                gids, ndocs = np.unique(np.concatenate(group_parts), return_counts=True)
                db.executemany("UPDATE groups SET ndocs = ndocs + ? WHERE id = ?", zip(ndocs.tolist(), gids.tolist()))
            self._post_terms(vectors)
            if delay > 0:
                done = min(len(inserting), first + _CHUNK_DOCS)
                sys.stderr.write(f"dedup-test: in transaction after {done} docs\n")
                sys.stderr.flush()
                time.sleep(delay)

    def _term_ids(self, terms: Sequence[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for chunk in _chunks(list(terms), 500):
            q = f"SELECT term, id FROM terms WHERE term IN ({','.join('?' * len(chunk))})"
            out.update(self._db.execute(q, chunk).fetchall())
        return out

    def _post_terms(self, vectors: dict[int, dict[str, int]]) -> None:
        """Record the story postings of new document rows and raise their terms' frequencies."""
        if not vectors:
            return
        db = self._db
        docs_of: dict[str, list[int]] = {}
        for rowid, vec in vectors.items():
            for t in vec:
                docs_of.setdefault(t, []).append(rowid)
        terms = sorted(docs_of)
        ids = self._term_ids(terms)
        known = [t for t in terms if t in ids]
        missing = [t for t in terms if t not in ids]
        db.executemany("UPDATE terms SET df = df + ? WHERE id = ?", [(len(docs_of[t]), ids[t]) for t in known])
        if missing:
            next_id = int(db.execute("SELECT coalesce(max(id), 0) FROM terms").fetchone()[0]) + 1
            new = dict(zip(missing, range(next_id, next_id + len(missing))))
            db.executemany(
                "INSERT INTO terms(id, term, df) VALUES (?, ?, ?)", [(new[t], t, len(docs_of[t])) for t in missing]
            )
            ids.update(new)
        # In (term, doc) key order, so the B-tree is filled in sequence rather than at random.
        rows = sorted((ids[t], d) for t in terms for d in docs_of[t])
        db.executemany("INSERT INTO post(term, doc) VALUES (?, ?)", rows)

    def _resolve_groups(self, batch: AddBatch, needed: np.ndarray) -> np.ndarray:
        """Store ids of batch groups (inserting the new ones with their band keys).

        Runs inside the write transaction, so explicit ids from ``max(id) + 1`` are safe.
        """
        db = self._db
        gid_of = np.full(len(batch.group_keys), -1, dtype=np.int64)
        keys = [batch.group_keys[int(g)] for g in needed]
        existing: dict[bytes, int] = {}
        for chunk in _chunks(keys, 500):
            q = f"SELECT id, key FROM groups WHERE key IN ({','.join('?' * len(chunk))})"
            existing.update((bytes(k), int(i)) for i, k in db.execute(q, chunk))
        missing = [int(g) for g, k in zip(needed.tolist(), keys) if k not in existing]
        for g, k in zip(needed.tolist(), keys):
            if k in existing:
                gid_of[g] = existing[k]
        if missing:
            next_id = int(db.execute("SELECT coalesce(max(id), 0) FROM groups").fetchone()[0]) + 1
            new_ids = np.arange(next_id, next_id + len(missing), dtype=np.int64)
            gid_of[missing] = new_ids

            def rows() -> Iterator[tuple[int, bytes, bytes, bytes, int]]:
                for gid, g in zip(new_ids.tolist(), missing):
                    key = batch.group_keys[g]
                    sh = _u8_bytes(batch.shingles.get(g))
                    sig = _u4_bytes(batch.signatures[g])
                    yield gid, key, sh, sig, payload_crc(key, sh, sig)

            db.executemany(
                "INSERT INTO groups(id, key, shingles, signature, ndocs, crc) VALUES (?, ?, ?, ?, 0, ?)", rows()
            )
            bk = _signed(batch.band_keys[missing])
            n_bands = bk.shape[1]
            band_col = np.tile(np.arange(n_bands, dtype=np.int64), len(missing))
            key_col = bk.reshape(-1)
            grp_col = np.repeat(new_ids, n_bands)
            # In (band, key, grp) order: each B-tree page is visited once, in sequence.
            order = np.lexsort((grp_col, key_col, band_col))
            db.executemany(
                "INSERT OR IGNORE INTO bands(band, key, grp) VALUES (?, ?, ?)",
                zip(band_col[order].tolist(), key_col[order].tolist(), grp_col[order].tolist()),
            )
        return gid_of

    def _remove_rowid(self, rowid: int) -> None:
        db = self._db
        row = db.execute("SELECT doc_id, terms, tcrc FROM docs WHERE id = ?", (rowid,)).fetchone()
        if row is not None:
            doc_id, blob, tcrc = row
            if payload_crc(blob) != tcrc:
                raise IndexCorruptError(f"{self.path}: stored story terms of {doc_id!r} are damaged (checksum)")
            ids = self._term_ids(sorted(decode_terms(blob, self.path)))
            if ids:
                tids = list(ids.values())
                db.executemany("DELETE FROM post WHERE term = ? AND doc = ?", ((t, rowid) for t in tids))
                db.executemany("UPDATE terms SET df = df - 1 WHERE id = ?", ((t,) for t in tids))
                for chunk in _chunks(tids, 500):
                    db.execute(f"DELETE FROM terms WHERE df <= 0 AND id IN ({','.join('?' * len(chunk))})", chunk)
        grps = sorted({r[0] for r in db.execute("SELECT grp FROM occ WHERE doc = ?", (rowid,))})
        db.execute("DELETE FROM occ WHERE doc = ?", (rowid,))
        db.execute("DELETE FROM docs WHERE id = ?", (rowid,))
        db.executemany("UPDATE groups SET ndocs = ndocs - 1 WHERE id = ?", ((g,) for g in grps))
        shape = self.lsh_shape()
        for gid in grps:
            if db.execute("SELECT 1 FROM occ WHERE grp = ? LIMIT 1", (gid,)).fetchone() is not None:
                continue
            row = db.execute("SELECT signature FROM groups WHERE id = ?", (gid,)).fetchone()
            if row is not None and shape is not None:
                sig = np.frombuffer(row[0], dtype="<u4").astype(np.uint32)[None, :]
                keys = _signed(compute_band_keys(sig, shape[0], shape[1])[0]).tolist()
                db.executemany(
                    "DELETE FROM bands WHERE band = ? AND key = ? AND grp = ?",
                    [(b, k, gid) for b, k in enumerate(keys)],
                )
            db.execute("DELETE FROM groups WHERE id = ?", (gid,))

    def remove(self, doc_ids: Sequence[str]) -> list[str]:
        removed: list[str] = []
        with self._errors(), self._write():
            for doc_id in sorted(set(doc_ids)):
                row = self._db.execute("SELECT id FROM docs WHERE doc_id = ?", (doc_id,)).fetchone()
                if row is None:
                    continue
                self._remove_rowid(int(row[0]))
                removed.append(doc_id)
        return removed

    # -- querying --------------------------------------------------------------

    def query_bands(self, band_keys: np.ndarray) -> np.ndarray:
        n, bands = band_keys.shape if band_keys.ndim == 2 else (0, 0)
        if n == 0:
            return np.empty((0, 2), dtype=np.int64)
        signed = _signed(band_keys)
        found: list[np.ndarray] = []
        with self._errors():
            for band in range(bands):
                col = signed[:, band]
                uniq, inverse = np.unique(col, return_inverse=True)
                hits = self._band_hits(band, uniq)
                if not hits:
                    continue
                arr = np.array(hits, dtype=np.int64)
                # Expand each matched key to every query row holding it (vectorised).
                pos = np.searchsorted(uniq, arr[:, 0])
                rows_by_key = np.argsort(inverse, kind="stable")
                sorted_inv = inverse[rows_by_key]
                starts = np.searchsorted(sorted_inv, pos, side="left")
                counts = np.searchsorted(sorted_inv, pos, side="right") - starts
                total = int(counts.sum())
                if total == 0:
                    continue
                first = np.repeat(starts - (np.cumsum(counts) - counts), counts)
                rows = rows_by_key[first + np.arange(total, dtype=np.int64)]
                found.append(np.stack([rows.astype(np.int64), np.repeat(arr[:, 1], counts)], axis=1))
        if not found:
            return np.empty((0, 2), dtype=np.int64)
        return np.unique(np.concatenate(found), axis=0)

    def _band_hits(self, band: int, keys: np.ndarray) -> list[tuple[int, int]]:
        """``(key, group)`` rows of one band whose key is among ``keys`` (signed int64)."""
        if self._json1:
            try:
                return self._db.execute(
                    "SELECT key, grp FROM bands WHERE band = ? AND key IN (SELECT value FROM json_each(?))",
                    (band, json.dumps(keys.tolist())),
                ).fetchall()
            except sqlite3.OperationalError as exc:
                if "json_each" not in str(exc):
                    raise
                self._json1 = False  # an SQLite built without JSON: bounded IN lists instead
        hits: list[tuple[int, int]] = []
        for chunk in _chunks(keys.tolist(), 500):
            q = f"SELECT key, grp FROM bands WHERE band = ? AND key IN ({','.join('?' * len(chunk))})"
            hits.extend(self._db.execute(q, [band, *chunk]).fetchall())
        return hits

    def groups(self, group_ids: Sequence[int]) -> tuple[list[bytes], ShingleBatch, np.ndarray]:
        ids = [int(g) for g in group_ids]
        found: dict[int, tuple[bytes, bytes, bytes]] = {}
        with self._errors():
            for chunk in _chunks(sorted(set(ids)), 500):
                q = f"SELECT id, key, shingles, signature, crc FROM groups WHERE id IN ({','.join('?' * len(chunk))})"
                for gid, key, sh, sig, crc in self._db.execute(q, chunk):
                    if payload_crc(key, sh, sig) != crc:
                        raise IndexCorruptError(f"{self.path}: stored paragraph group {gid} is damaged (checksum)")
                    found[int(gid)] = (bytes(key), sh, sig)
        missing = [g for g in ids if g not in found]
        if missing:
            raise IndexCorruptError(f"{self.path}: paragraph group(s) {missing[:5]} missing")
        keys = [found[g][0] for g in ids]
        # One buffer per column: a copy each, instead of one array per group.
        blobs = [found[g][1] for g in ids]
        sizes = np.array([len(b) for b in blobs], dtype=np.int64) // 8
        offsets = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        hashes = np.frombuffer(b"".join(blobs), dtype="<u8").astype(np.uint64)
        if ids:
            sig_blob = b"".join(found[g][2] for g in ids)
            sigs = np.frombuffer(sig_blob, dtype="<u4").astype(np.uint32).reshape(len(ids), -1)
        else:
            sigs = np.empty((0, 0), dtype=np.uint32)
        return keys, ShingleBatch(hashes, offsets), sigs

    def documents_with_groups(self, group_ids: Sequence[int]) -> list[str]:
        out: set[str] = set()
        with self._errors():
            for chunk in _chunks(sorted({int(g) for g in group_ids}), 500):
                q = (
                    "SELECT DISTINCT d.doc_id FROM occ AS o JOIN docs AS d ON d.id = o.doc "
                    f"WHERE o.grp IN ({','.join('?' * len(chunk))})"
                )
                out.update(r[0] for r in self._db.execute(q, chunk))
        return sorted(out)

    def documents_with_hashes(self, content_hashes: Sequence[bytes]) -> list[str]:
        out: set[str] = set()
        with self._errors():
            for chunk in _chunks(sorted(set(content_hashes)), 500):
                q = f"SELECT doc_id FROM docs WHERE content_hash IN ({','.join('?' * len(chunk))})"
                out.update(r[0] for r in self._db.execute(q, chunk))
        return sorted(out)

    def load_documents(self, doc_ids: Sequence[str]) -> StoredOccurrences:
        db = self._db
        docs: list[StoredDocument] = []
        cols: list[list[int]] = [[], [], [], [], [], []]
        with self._errors():
            for doc_id in sorted(set(doc_ids)):
                row = db.execute(
                    "SELECT id, path, title, date, mtime, source, content_hash, paragraphs, meta, text, crc "
                    "FROM docs WHERE doc_id = ?",
                    (doc_id,),
                ).fetchone()
                if row is None:
                    continue
                rowid, path, title, date, mtime, source, chash, paragraphs, meta, text, crc = row
                if payload_crc(text, meta, chash) != crc:
                    raise IndexCorruptError(
                        f"{self.path}: stored document {doc_id!r} is damaged (checksum mismatch); "
                        "remove it and add it again, or rebuild the index"
                    )
                try:
                    decoded = zlib.decompress(text).decode("utf-8")
                    meta_d = json.loads(meta)
                except (zlib.error, UnicodeDecodeError, ValueError) as exc:
                    raise IndexCorruptError(f"{self.path}: stored document {doc_id!r} is damaged ({exc})") from None
                di = len(docs)
                docs.append(
                    StoredDocument(
                        id=doc_id,
                        text=decoded,
                        path=path,
                        date=date,
                        mtime=mtime,
                        title=title,
                        source=source,
                        content_hash=bytes(chash),
                        paragraphs=int(paragraphs),
                        meta=meta_d,
                    )
                )
                for ordinal, start, end, ntokens, grp in db.execute(
                    'SELECT ordinal, start, "end", ntokens, grp FROM occ WHERE doc = ? ORDER BY ordinal', (rowid,)
                ):
                    for col, v in zip(cols, (di, ordinal, start, end, ntokens, grp)):
                        col.append(int(v))
        arrs = [np.array(c, dtype=np.int64) for c in cols]
        return StoredOccurrences(tuple(docs), *arrs)

    # -- story and boilerplate statistics ---------------------------------------

    def story_vectors(self, doc_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        with self._errors():
            for chunk in _chunks(sorted(set(doc_ids)), 500):
                q = f"SELECT doc_id, terms, tcrc FROM docs WHERE doc_id IN ({','.join('?' * len(chunk))})"
                for doc_id, blob, tcrc in self._db.execute(q, chunk):
                    if payload_crc(blob) != tcrc:
                        raise IndexCorruptError(
                            f"{self.path}: story terms of {doc_id!r} are damaged (checksum mismatch)"
                        )
                    out[doc_id] = decode_terms(blob, self.path)
        return {k: out[k] for k in sorted(out)}

    def story_document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(terms))
        found: dict[str, int] = {}
        with self._errors():
            for chunk in _chunks(wanted, 500):
                q = f"SELECT term, df FROM terms WHERE term IN ({','.join('?' * len(chunk))})"
                found.update(self._db.execute(q, chunk).fetchall())
        return {t: int(found.get(t, 0)) for t in wanted}

    def story_document_count(self) -> int:
        with self._errors():
            return int(self._db.execute("SELECT count(*) FROM docs").fetchone()[0])

    def story_postings(self, terms: Iterable[str], max_docs: int) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        with self._errors():
            for chunk in _chunks(sorted(set(terms)), 500):
                q = (
                    "SELECT t.term, d.doc_id FROM terms AS t JOIN post AS p ON p.term = t.id "
                    f"JOIN docs AS d ON d.id = p.doc WHERE t.df <= ? AND t.term IN ({','.join('?' * len(chunk))})"
                )
                for term, doc_id in self._db.execute(q, [int(max_docs), *chunk]):
                    out.setdefault(term, []).append(doc_id)
        return {t: sorted(out[t]) for t in sorted(out)}

    def paragraph_doc_counts(self, keys: Iterable[bytes]) -> dict[bytes, int]:
        wanted = sorted({bytes(k) for k in keys})
        found: dict[bytes, int] = {}
        with self._errors():
            for chunk in _chunks(wanted, 500):
                q = f"SELECT key, ndocs FROM groups WHERE key IN ({','.join('?' * len(chunk))})"
                found.update((bytes(k), int(n)) for k, n in self._db.execute(q, chunk))
        return {k: found.get(k, 0) for k in wanted}

    def document_ids(self) -> list[str]:
        with self._errors():
            return [r[0] for r in self._db.execute("SELECT doc_id FROM docs ORDER BY doc_id")]

    def info(self) -> IndexInfo:
        db = self._db
        with self._errors():
            counts = {
                t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("docs", "occ", "groups", "bands")
            }
            adds = meta_int(self._meta("adds"), "adds", self.path)
        size = sum(os.path.getsize(p) for p in (self.path, self.path + "-wal") if os.path.exists(p))
        return IndexInfo(
            path=self.path,
            backend=self.backend,
            schema_version=SCHEMA_VERSION,
            settings=self.get_settings() or {},
            documents=counts["docs"],
            paragraphs=counts["occ"],
            groups=counts["groups"],
            band_entries=counts["bands"],
            adds=adds,
            size_bytes=size,
        )

    def check_integrity(self, full: bool = False) -> None:
        """SQLite's own check; with ``full`` also every payload checksum and statistic.

        The full check verifies the CRC-32 of every stored text, metadata,
        term vector, shingle set and signature, and recomputes every
        group's document count and every term's document frequency and
        postings from the stored occurrences and vectors.

        Raises:
            IndexCorruptError: Something does not match.
        """
        try:
            self._integrity(full)
            self._check_schema()
            if full:
                self._verify_payloads()
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"{self.path}: index is damaged ({exc})") from None

    def _verify_payloads(self) -> None:
        db = self._db
        df: dict[str, int] = {}
        n_post = 0
        for doc_id, text, meta, chash, crc, terms, tcrc in db.execute(
            "SELECT doc_id, text, meta, content_hash, crc, terms, tcrc FROM docs"
        ):
            if payload_crc(text, meta, chash) != crc:
                raise IndexCorruptError(f"{self.path}: stored document {doc_id!r} is damaged (checksum mismatch)")
            if payload_crc(terms) != tcrc:
                raise IndexCorruptError(f"{self.path}: story terms of {doc_id!r} are damaged (checksum mismatch)")
            try:
                zlib.decompress(text).decode("utf-8")
                json.loads(meta)
            except (zlib.error, UnicodeDecodeError, ValueError) as exc:
                raise IndexCorruptError(f"{self.path}: stored document {doc_id!r} is damaged ({exc})") from None
            for t in decode_terms(terms, self.path):
                df[t] = df.get(t, 0) + 1
                n_post += 1
        for gid, key, sh, sig, crc in db.execute("SELECT id, key, shingles, signature, crc FROM groups"):
            if payload_crc(key, sh, sig) != crc:
                raise IndexCorruptError(f"{self.path}: stored paragraph group {gid} is damaged (checksum mismatch)")
        bad = db.execute(
            "SELECT g.id FROM groups AS g LEFT JOIN (SELECT grp, count(DISTINCT doc) AS n FROM occ GROUP BY grp) "
            "AS c ON c.grp = g.id WHERE g.ndocs != coalesce(c.n, 0) LIMIT 1"
        ).fetchone()
        if bad is not None:
            raise IndexCorruptError(f"{self.path}: document count of paragraph group {bad[0]} is wrong")
        stored = dict(db.execute("SELECT term, df FROM terms"))
        posted = dict(
            db.execute("SELECT t.term, count(*) FROM post AS p JOIN terms AS t ON t.id = p.term GROUP BY p.term")
        )
        total_post = int(db.execute("SELECT count(*) FROM post").fetchone()[0])
        if stored != df or posted != df or total_post != n_post:
            every = set(stored) | set(df) | set(posted)
            wrong = sorted(t for t in every if not stored.get(t) == posted.get(t) == df.get(t))
            raise IndexCorruptError(
                f"{self.path}: story term statistics do not match the stored vectors (e.g. {wrong[:3]})"
            )

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the main file (smaller on disk)."""
        with self._errors():
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()


def _chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])
