"""Persistent index and incremental checks of new content against it.

:class:`Index` wraps an :class:`~dedup.store.IndexStore` (SQLite by default)
together with the :class:`~dedup.config.Config` it was built with. Adding
documents fingerprints only them (cost proportional to the batch, not to the
index). :func:`check` finds what in new documents duplicates the index or
the new documents themselves:

1. the new documents are prepared (segment, normalize, shingle, MinHash);
2. their distinct paragraphs' LSH band keys are looked up in the store; each
   candidate is confirmed on the band's signature values (as in a scan) and
   verified exactly (Jaccard of the shingle sets against the threshold);
3. the indexed documents holding a verified paragraph (or with identical
   normalized text) are loaded whole (text, paragraph occurrences, shingle
   sets, signatures) and put in one paragraph table with the new documents;
4. the standard pipeline (paragraph matches, passages, pairs, clusters) runs
   over that table, and only results involving a new document are kept.

So a check reports exactly what a scan of the new documents together with the
relevant indexed documents reports, with offsets into each indexed document's
original text (the index stores it, zlib-compressed). A new document whose id
is already indexed is checked against the rest of the index (its indexed
version is ignored; adding it replaces that version).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .baseline import Baseline, Finding
from .boilerplate import boilerplate_rows
from .cluster import choose_canonical, clusters_from_pairs
from .config import Config
from .errors import IndexMismatchError, IndexStoreError, InputError
from .lsh import band_keys, lsh_params
from .match import ParagraphMatches, build_passages, classify_pairs, jaccard, paragraph_matches
from .models import Cluster, Document, InputProblem, Pair, Passage, ScanResult
from .paragraphs import ParagraphTable, prepare
from .shingle import ShingleBatch
from .store.base import AddBatch, AddStats, IndexInfo, IndexStore, StoredDocument, StoredOccurrences

__all__ = ["CheckResult", "FailOn", "Index", "check", "config_from_settings"]

FailOn = Literal["pairs", "passages"]

#: Config fields that are part of the fingerprint settings.
_FINGERPRINT_FIELDS = (
    "num_perm",
    "shingle",
    "shingle_size",
    "seed",
    "min_tokens",
    "threshold",
    "normalization_version",
)

#: Documents fingerprinted per store transaction chunk in :meth:`Index.add`.
_ADD_BATCH = 2000


def config_from_settings(settings: dict[str, Any], base: Config | None = None) -> Config:
    """The config matching stored fingerprint settings.

    Args:
        settings: ``Config.fingerprint_settings()`` as stored in an index.
        base: Where the other settings (coverage_threshold, canonical) come from.

    Returns:
        ``base`` with the fingerprint fields replaced by the stored ones.
    """
    base = base or Config()
    return base.replace(**{k: settings[k] for k in _FINGERPRINT_FIELDS if k in settings})


def _differences(stored: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    return [
        f"{k}: index has {stored.get(k)!r}, requested {wanted.get(k)!r}"
        for k in sorted(set(stored) | set(wanted))
        if stored.get(k) != wanted.get(k)
    ]


class Index:
    """A persistent paragraph index.

    Use :meth:`open`; close it (or use it as a context manager) when done.

    Example:
        >>> with Index.open("content.dedup") as idx:  # doctest: +SKIP
        ...     idx.add(documents)
        ...     outcome = check(new_documents, idx)

    Attributes:
        store: The storage backend.
        config: The settings (fingerprint settings equal to the stored ones).
    """

    def __init__(self, store: IndexStore, config: Config) -> None:
        self.store = store
        self.config = config
        self.bands, self.rows = lsh_params(config.threshold, config.num_perm)

    @classmethod
    def open(
        cls,
        path: str,
        config: Config | None = None,
        *,
        create: bool = True,
        verify: str = "quick",
        **settings: Any,
    ) -> Index:
        """Open (or create) an index: a SQLite file, or a Redis URL.

        Args:
            path: The index file, or ``redis://host:port/db?prefix=name``
                for a shared Redis index (extra ``article-dedup[redis]``).
            config: Full settings; an existing index built with other
                fingerprint settings is refused.
            create: Create the index when the file does not exist.
            verify: Integrity check on open: ``"quick"``, ``"full"`` or ``"none"``.
            **settings: Without ``config``: settings requested explicitly. An
                existing index supplies the fingerprint settings not named
                here; a named one that differs is refused.

        Raises:
            IndexMismatchError: The index was built with other settings.
            IndexCorruptError: The file is damaged or not an index.
            IndexStoreError: The file does not exist and ``create`` is false.
            ConfigError: A setting is invalid.
        """
        from .store.factory import open_store

        store = open_store(path, create=create, verify=verify)
        try:
            return cls.from_store(store, config, **settings)
        except BaseException:
            store.close()
            raise

    @classmethod
    def from_store(cls, store: IndexStore, config: Config | None = None, **settings: Any) -> Index:
        """Wrap a store, recording or checking its settings (see :meth:`open`)."""
        where = getattr(store, "path", store.backend)
        stored = store.get_settings()
        if stored is None:
            cfg = config or Config().replace(**settings)
            bands, rows = lsh_params(cfg.threshold, cfg.num_perm)
            try:
                store.set_settings(cfg.fingerprint_settings(), bands, rows)
                return cls(store, cfg)
            except IndexStoreError:
                stored = store.get_settings()  # another process created it meanwhile
                if stored is None:
                    raise
        if config is not None:
            cfg = config
        else:
            cfg = config_from_settings(stored).replace(**settings) if settings else config_from_settings(stored)
        diffs = _differences(stored, cfg.fingerprint_settings())
        if diffs:
            err = IndexMismatchError(
                f"{where}: the index was built with other settings ({'; '.join(diffs)}); "
                "use the index's settings or build a new index"
            )
            err.differences = diffs  # type: ignore[attr-defined]
            raise err
        return cls(store, cfg)

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def info(self) -> IndexInfo:
        """Counts, sizes and settings."""
        return self.store.info()

    def document_ids(self) -> list[str]:
        """All indexed document ids, sorted."""
        return self.store.document_ids()

    def remove(self, doc_ids: Sequence[str]) -> list[str]:
        """Remove documents by id; returns the ids that were indexed."""
        return self.store.remove(doc_ids)

    def add(self, documents: Iterable[Document], replace: bool = True) -> AddStats:
        """Fingerprint documents and add them in one transaction.

        Only the new documents are processed; the cost does not grow with the
        index beyond its B-tree lookups. Documents are fingerprinted in pieces
        of 2,000 (bounded memory) and committed together.

        Args:
            documents: Documents with unique ids.
            replace: Replace indexed documents with the same id and other
                content (else keep the indexed version).

        Returns:
            Which ids were added, replaced or already present unchanged.

        Raises:
            InputError: Two documents share an id.
        """
        docs = _unique_sorted(documents)
        batches = (self._batch(docs[i : i + _ADD_BATCH]) for i in range(0, len(docs), _ADD_BATCH))
        return self.store.add(batches, replace=replace)

    def _batch(self, docs: Sequence[Document]) -> AddBatch:
        table = prepare(docs, self.config)
        keys = band_keys(table.signatures, self.bands, self.rows)
        stored = [
            StoredDocument(
                id=d.id,
                text=d.text,
                path=d.path,
                date=d.date,
                mtime=d.mtime,
                title=_str_or_none(d.meta.get("title")),
                source=_str_or_none(d.meta.get("source")),
                content_hash=table.doc_keys[i],
                paragraphs=table.doc_paragraphs[i],
                meta=dict(d.meta),
            )
            for i, d in enumerate(docs)
        ]
        return AddBatch(
            documents=stored,
            occ_doc=table.doc,
            occ_ordinal=table.ordinal,
            occ_start=table.start,
            occ_end=table.end,
            occ_ntokens=table.ntokens,
            occ_group=table.group,
            group_keys=table.group_keys,
            shingles=table.shingles,
            signatures=table.signatures,
            band_keys=keys,
        )


def _str_or_none(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _unique_sorted(documents: Iterable[Document]) -> list[Document]:
    by_id: dict[str, Document] = {}
    for d in documents:
        if d.id in by_id:
            raise InputError(d.id, "duplicate document id")
        by_id[d.id] = d
    return [by_id[k] for k in sorted(by_id)]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of :func:`check`.

    Attributes:
        result: Pairs, passages and clusters involving a new document, minus
            the ones the baseline accepts (same contract as a scan; indexed
            documents that appear carry ``meta["indexed"] = True``, and a
            cluster's canonical member is an indexed one when it has one).
        new_ids: Ids of the checked documents, sorted.
        findings: Findings that fail the check (not in the baseline), sorted.
        suppressed: Findings the baseline accepted, sorted.
    """

    result: ScanResult
    new_ids: tuple[str, ...]
    findings: tuple[Finding, ...]
    suppressed: tuple[Finding, ...]

    @property
    def failed(self) -> bool:
        """True when a finding is not accepted by the baseline."""
        return bool(self.findings)

    def clean_ids(self) -> tuple[str, ...]:
        """New document ids not involved in any failing finding."""
        dirty = {f.a for f in self.findings} | {f.b for f in self.findings}
        return tuple(i for i in self.new_ids if i not in dirty)

    def all_findings(self) -> tuple[Finding, ...]:
        """Failing and suppressed findings together (what a new baseline accepts)."""
        return tuple(sorted(set(self.findings) | set(self.suppressed)))


def _concat_batches(a: ShingleBatch, b: ShingleBatch) -> ShingleBatch:
    offsets = np.concatenate([a.offsets, b.offsets[1:] + a.offsets[-1]])
    return ShingleBatch(np.concatenate([a.hashes, b.hashes]), offsets)


def _combined_table(
    new_ids: Sequence[str],
    table: ParagraphTable,
    loaded: StoredOccurrences,
    group_keys: list[bytes],
    group_shingles: ShingleBatch,
    group_sigs: np.ndarray,
    group_ids: np.ndarray,
) -> tuple[ParagraphTable, list[str]]:
    """One paragraph table over new and loaded indexed documents (sorted by id)."""
    all_ids = sorted(list(new_ids) + [d.id for d in loaded.documents])
    pos = {d: i for i, d in enumerate(all_ids)}
    new_map = np.array([pos[d] for d in new_ids], dtype=np.int64)
    old_map = np.array([pos[d.id] for d in loaded.documents], dtype=np.int64)

    key_index = {k: i for i, k in enumerate(table.group_keys)}
    extra: list[int] = []  # positions (in the loaded group arrays) of groups new to the table
    gmap = np.empty(len(group_keys), dtype=np.int64)
    n_new_groups = len(table.group_keys)
    for j, k in enumerate(group_keys):
        g = key_index.get(k)
        if g is None:
            g = n_new_groups + len(extra)
            extra.append(j)
            key_index[k] = g
        gmap[j] = g
    extra_arr = np.array(extra, dtype=np.int64)
    if len(extra):
        sizes = group_shingles.sizes()[extra_arr]
        offs = np.zeros(len(extra) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offs[1:])
        hashes = (
            np.concatenate([group_shingles.get(int(j)) for j in extra_arr])
            if len(extra)
            else np.empty(0, dtype=np.uint64)
        )
        shingles = _concat_batches(table.shingles, ShingleBatch(hashes, offs))
        signatures = np.vstack([table.signatures, group_sigs[extra_arr]])
    else:
        shingles, signatures = table.shingles, table.signatures

    # Map each loaded occurrence's store group id to a combined group index.
    gid_pos = np.searchsorted(group_ids, loaded.group)
    old_group = gmap[gid_pos] if len(loaded.group) else np.empty(0, dtype=np.int64)

    doc = np.concatenate(
        [new_map[table.doc] if len(table.doc) else table.doc, old_map[loaded.doc] if len(loaded.doc) else loaded.doc]
    )
    ordinal = np.concatenate([table.ordinal, loaded.ordinal])
    order = np.lexsort((ordinal, doc))
    doc_keys: list[bytes] = [b""] * len(all_ids)
    doc_paragraphs = [0] * len(all_ids)
    for i, d in enumerate(new_ids):
        doc_keys[pos[d]] = table.doc_keys[i]
        doc_paragraphs[pos[d]] = table.doc_paragraphs[i]
    for d in loaded.documents:
        doc_keys[pos[d.id]] = d.content_hash
        doc_paragraphs[pos[d.id]] = d.paragraphs
    combined = ParagraphTable(
        doc=doc[order],
        ordinal=ordinal[order],
        start=np.concatenate([table.start, loaded.start])[order],
        end=np.concatenate([table.end, loaded.end])[order],
        ntokens=np.concatenate([table.ntokens, loaded.ntokens])[order],
        group=np.concatenate([table.group, old_group])[order],
        group_keys=list(table.group_keys) + [group_keys[int(j)] for j in extra_arr],
        shingles=shingles,
        signatures=signatures,
        doc_keys=doc_keys,
        doc_paragraphs=doc_paragraphs,
    )
    return combined, all_ids


def _candidate_documents(index: Index, table: ParagraphTable, exclude: set[str]) -> list[str]:
    """Indexed documents sharing a verified paragraph or the whole normalized text."""
    cfg = index.config
    store = index.store
    found: set[str] = set(store.documents_with_hashes(table.doc_keys))
    if len(table.group_keys):
        keys = band_keys(table.signatures, index.bands, index.rows)
        cand = store.query_bands(keys)
        if len(cand):
            gids = np.unique(cand[:, 1])
            _, shingles, sigs = store.groups(gids.tolist())
            gpos = np.searchsorted(gids, cand[:, 1])
            # Confirm the shared band on the signature values, as a scan does.
            width = index.bands * index.rows
            a = table.signatures[cand[:, 0], :width].reshape(len(cand), index.bands, index.rows)
            b = sigs[gpos, :width].reshape(len(cand), index.bands, index.rows)
            same = (a == b).all(axis=2).any(axis=1)
            cand, gpos = cand[same], gpos[same]
            sizes_new = table.shingles.sizes()[cand[:, 0]]
            sizes_old = shingles.sizes()[gpos]
            possible = np.minimum(sizes_new, sizes_old) >= cfg.threshold * np.maximum(sizes_new, sizes_old)
            cand, gpos = cand[possible], gpos[possible]
            ok = [
                jaccard(table.shingles.get(r), shingles.get(p)) >= cfg.threshold
                for r, p in zip(cand[:, 0].tolist(), gpos.tolist())
            ]
            matched = np.unique(cand[np.array(ok, dtype=bool), 1]) if ok else np.empty(0, dtype=np.int64)
            if len(matched):
                found.update(store.documents_with_groups(matched.tolist()))
    return sorted(found - exclude)


def _prefer_indexed(cluster: Cluster, documents: dict[str, Document], policy: str) -> Cluster:
    """The canonical member of a cluster is an indexed (already published) one when there is one."""
    indexed = [m for m in cluster.members if documents[m].meta.get("indexed")]
    if not indexed:
        return cluster
    return Cluster(cluster.members, choose_canonical(indexed, documents, policy))


def check(
    documents: Iterable[Document],
    index: Index,
    *,
    baseline: Baseline | None = None,
    fail_on: FailOn = "pairs",
    errors: Sequence[InputProblem] = (),
    warnings: Sequence[InputProblem] = (),
) -> CheckResult:
    """Check new documents against an index and against each other.

    Args:
        documents: The new documents (unique ids).
        index: The index.
        baseline: Accepted findings that do not fail the check.
        fail_on: ``"pairs"``: documents related as a whole (duplicate,
            near_duplicate, containment) fail; ``"passages"``: any passage
            shared between two different documents fails too.
        errors: Input problems to carry into the result.
        warnings: Input warnings to carry into the result.

    Returns:
        The findings and a scan-style result.

    Raises:
        InputError: Two documents share an id.
        IndexCorruptError: The index is damaged.
    """
    if fail_on not in ("pairs", "passages"):
        raise ValueError(f"fail_on must be 'pairs' or 'passages', got {fail_on!r}")
    cfg = index.config
    baseline = baseline or Baseline()
    new_docs = _unique_sorted(documents)
    new_ids = [d.id for d in new_docs]
    new_set = set(new_ids)
    table = prepare(new_docs, cfg)
    cand_docs = _candidate_documents(index, table, new_set)
    loaded = index.store.load_documents(cand_docs)
    group_ids = np.unique(loaded.group)
    gkeys, gsh, gsig = index.store.groups(group_ids.tolist())
    if not len(group_ids):
        gsig = np.empty((0, cfg.num_perm), dtype=np.uint32)
    combined, all_ids = _combined_table(new_ids, table, loaded, gkeys, gsh, gsig, group_ids)

    # Boilerplate (navigation, footers) repeated across the new and the loaded indexed
    # documents is left out of matches and pair scores, as in a scan.
    bp_mask = boilerplate_rows(combined, cfg)
    matches = paragraph_matches(combined, cfg, excluded_rows=bp_mask)
    # Matches between two indexed documents can only build passages and pairs that are
    # dropped below; leaving them out first changes nothing else (a pair's coverage
    # only counts passages between its own two documents).
    is_new = np.array([d in new_set for d in all_ids], dtype=bool)
    if len(matches):
        keep = is_new[combined.doc[matches.p]] | is_new[combined.doc[matches.q]]
        matches = ParagraphMatches(matches.p[keep], matches.q[keep], matches.sim[keep], matches.exact[keep])
    passages, runs = build_passages(combined, matches, all_ids)
    pairs = classify_pairs(combined, runs, all_ids, cfg, excluded_rows=bp_mask)

    def involves_new(a: str, b: str) -> bool:
        return a in new_set or b in new_set

    kept_pairs: list[Pair] = []
    findings: set[Finding] = set()
    suppressed: set[Finding] = set()
    for p in pairs:
        if not involves_new(p.a, p.b):
            continue
        f = Finding.of(p.a, p.b, p.kind)
        if f in baseline:
            suppressed.add(f)
            continue
        findings.add(f)
        kept_pairs.append(p)
    kept_passages: list[Passage] = []
    for s in passages:
        a, b = s.a.doc, s.b.doc
        if not involves_new(a, b):
            continue
        if a != b and baseline.suppresses_docs(a, b):
            if fail_on == "passages":
                suppressed.add(Finding.of(a, b, "passage"))
            continue
        if fail_on == "passages" and a != b:
            findings.add(Finding.of(a, b, "passage"))
        kept_passages.append(s)

    stored_docs = {d.id: d for d in loaded.documents}
    involved = {p.a for p in kept_pairs} | {p.b for p in kept_pairs}
    involved |= {s.a.doc for s in kept_passages} | {s.b.doc for s in kept_passages}
    out_docs: dict[str, Document] = {d.id: d for d in new_docs}
    for doc_id in sorted(involved - new_set):
        sd = stored_docs[doc_id]
        meta = dict(sd.meta)
        meta["indexed"] = True
        out_docs[doc_id] = Document(sd.id, sd.text, path=sd.path, date=sd.date, mtime=sd.mtime, meta=meta)
    clusters = [
        _prefer_indexed(c, out_docs, cfg.canonical) for c in clusters_from_pairs(kept_pairs, out_docs, cfg.canonical)
    ]
    para_counts = dict(zip(all_ids, combined.doc_paragraphs))
    result = ScanResult(
        documents=tuple(out_docs[k] for k in sorted(out_docs)),
        passages=tuple(sorted(kept_passages)),
        pairs=tuple(sorted(kept_pairs)),
        clusters=tuple(sorted(clusters)),
        errors=tuple(sorted(errors)),
        warnings=tuple(sorted(warnings)),
        settings=cfg.to_dict(),
        paragraph_counts={k: para_counts.get(k, 0) for k in sorted(out_docs)},
    )
    return CheckResult(
        result=result,
        new_ids=tuple(new_ids),
        findings=tuple(sorted(findings)),
        suppressed=tuple(sorted(suppressed)),
    )
