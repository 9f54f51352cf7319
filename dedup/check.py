"""Incremental checks of new content against a persistent index (:mod:`dedup.index`).

:func:`check` finds what in new documents duplicates the index or the new
documents themselves, with every tier of the pipeline:

1. the new documents are fingerprinted (:func:`dedup.pipeline.fingerprint`);
2. their distinct paragraphs' LSH band keys are looked up in the store; each
   candidate is confirmed on the band's signature values (as in a scan) and
   verified exactly (Jaccard of the shingle sets against the threshold);
3. the indexed documents holding a verified paragraph, with identical
   normalized text, or sharing enough of a new document's heaviest story
   terms (the index's term postings) are loaded whole and put in one
   paragraph table with the new documents;
4. the pipeline's later stages (:func:`dedup.pipeline.detect`: boilerplate,
   matches, passages, alignment, pairs, the same-story tier) run over that
   table focused on the new documents, the baseline removes the accepted
   findings, and :func:`dedup.pipeline.cluster` runs last.

So a check reports what a scan of the new documents together with the
related indexed documents reports, with offsets into each indexed document's
original text (the index stores it, zlib-compressed). A new document whose id
is already indexed is checked against the rest of the index (its indexed
version is ignored; adding it replaces that version).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from . import pipeline
from .baseline import Baseline, Finding
from .cluster import choose_canonical
from .config import Config
from .errors import ConfigError
from .index import Index, config_from_settings, unique_documents
from .lsh import band_keys
from .match import jaccard_pairs
from .models import (
    COPY_KINDS,
    PASSAGE_KIND,
    STORY_KIND,
    Boilerplate,
    Cluster,
    Document,
    InputProblem,
    Pair,
    Passage,
    ScanResult,
)
from .paragraphs import ParagraphTable, story_terms_by_paragraph
from .shingle import ShingleBatch
from .store.base import StoredOccurrences
from .story import MAX_POSTING, MIN_SHARED_TERMS, TOP_TERMS, StoryModel

__all__ = ["FAIL_ON", "CheckResult", "Index", "check", "config_from_settings", "fail_kinds"]

#: Values of ``fail_on`` / ``dedup check --fail-on`` (``pairs`` is the older name of ``copies``).
FAIL_ON = ("copies", "same-story", "passages", "pairs")

#: Most indexed documents loaded per new document as same-story candidates.
STORY_CANDIDATES = 50

#: Documents sorted by id, refusing a repeated id.
_unique_sorted = unique_documents


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
        notices: Findings of kinds that do not fail the check (see
            ``fail_on``), not in the baseline, sorted.
    """

    result: ScanResult
    new_ids: tuple[str, ...]
    findings: tuple[Finding, ...]
    suppressed: tuple[Finding, ...]
    notices: tuple[Finding, ...] = ()

    @property
    def failed(self) -> bool:
        """True when a finding is not accepted by the baseline."""
        return bool(self.findings)

    def clean_ids(self) -> tuple[str, ...]:
        """New document ids not involved in any failing finding."""
        dirty = {f.a for f in self.findings} | {f.b for f in self.findings}
        return tuple(i for i in self.new_ids if i not in dirty)

    def all_findings(self) -> tuple[Finding, ...]:
        """Failing, notice and suppressed findings together (what a new baseline accepts)."""
        return tuple(sorted(set(self.findings) | set(self.notices) | set(self.suppressed)))

    def verdict(self) -> dict[str, Any]:
        """The outcome as JSON: ``{"failed", "findings", "notices", "accepted"}`` (counts)."""
        return {
            "failed": self.failed,
            "findings": len(self.findings),
            "notices": len(self.notices),
            "accepted": len(self.suppressed),
        }


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
            # Exact Jaccard of all candidates at once, over the new and stored sets side by side.
            both = _concat_batches(table.shingles, shingles)
            pairs = np.stack([cand[:, 0], gpos + len(table.shingles.offsets) - 1], axis=1)
            ok = jaccard_pairs(both, pairs) >= cfg.threshold
            matched = np.unique(cand[ok, 1])
            if len(matched):
                found.update(store.documents_with_groups(matched.tolist()))
    return sorted(found - exclude)


def _with_story_terms(
    combined: ParagraphTable, docs: Sequence[Document], new_table: ParagraphTable, new_ids: set[str], config: Config
) -> ParagraphTable:
    """``combined`` with the story terms of its rows: the new documents' from their
    fingerprinting pass, the loaded indexed documents' from their stored text."""
    new_rows: dict[int, list[str]] = {}
    if new_table.row_terms is not None:
        for d, t in zip(new_table.doc.tolist(), new_table.row_terms):
            new_rows.setdefault(d, []).append(t)
    new_pos = {d.id: i for i, d in enumerate(sorted((d for d in docs if d.id in new_ids), key=lambda d: d.id))}
    counts = np.bincount(combined.doc, minlength=len(docs)) if len(combined.doc) else np.zeros(len(docs), np.int64)
    row_terms: list[str] = []
    doc_terms: list[str] = []
    for i, doc in enumerate(docs):
        if doc.id in new_pos and new_table.doc_terms is not None:
            rows = new_rows.get(new_pos[doc.id], [])
            rest = new_table.doc_terms[new_pos[doc.id]]
        else:
            rows, rest = story_terms_by_paragraph(doc.text, config.min_tokens)
        if len(rows) != int(counts[i]):  # stored rows from other settings: cannot happen for a matching index
            rows = (rows + [""] * int(counts[i]))[: int(counts[i])]
        row_terms.extend(rows)
        doc_terms.append(rest)
    return replace(combined, row_terms=row_terms, doc_terms=doc_terms)


def story_candidate_documents(
    index: Index, table: ParagraphTable, exclude: set[str], background: Sequence[str] = ()
) -> list[str]:
    """Indexed documents sharing distinctive story terms with the new documents.

    Each new document's :data:`~dedup.story.TOP_TERMS` heaviest terms (the
    story model's weights: the shipped reference plus ``background``) are looked up in the index's term
    postings (terms posted by more than :data:`~dedup.story.MAX_POSTING`
    documents are skipped); an indexed document sharing at least
    :data:`~dedup.story.MIN_SHARED_TERMS` of them is a candidate, at most
    :data:`STORY_CANDIDATES` per new document (most shared terms first).
    """
    terms = table.document_terms()
    if terms is None:
        return []
    # Ranked by the story model's own weights (fixed reference and background), as a scan ranks them.
    tops = StoryModel([""] * len(terms), background, terms=terms).top_terms(TOP_TERMS)
    postings = index.story_postings(sorted({t for top in tops for t in top}), MAX_POSTING)
    found: set[str] = set()
    for top in tops:
        shared: dict[str, int] = {}
        for t in top:
            for doc_id in postings.get(t, ()):
                if doc_id not in exclude:
                    shared[doc_id] = shared.get(doc_id, 0) + 1
        best = sorted((d for d, k in shared.items() if k >= MIN_SHARED_TERMS), key=lambda d: (-shared[d], d))
        found.update(best[:STORY_CANDIDATES])
    return sorted(found)


def _prefer_indexed(cluster: Cluster, documents: dict[str, Document], policy: str) -> Cluster:
    """The canonical member of a cluster is an indexed (already published) one when there is one."""
    indexed = [m for m in cluster.members if documents[m].meta.get("indexed")]
    if not indexed:
        return cluster
    return Cluster(cluster.members, choose_canonical(indexed, documents, policy))


def fail_kinds(fail_on: str | Iterable[str]) -> frozenset[str]:
    """The finding kinds that fail a check, from ``--fail-on`` values.

    ``copies`` (duplicate, near_duplicate, containment), ``same-story`` and
    ``passages`` (any passage shared by two documents); the older ``pairs``
    means ``copies``, and a lone ``passages`` also fails on copies.

    Example:
        >>> sorted(fail_kinds(["copies", "same-story"]))
        ['containment', 'duplicate', 'near_duplicate', 'same_story']
        >>> sorted(fail_kinds("passages"))
        ['containment', 'duplicate', 'near_duplicate', 'passage']

    Raises:
        ConfigError: An unknown value.
    """
    values = [fail_on] if isinstance(fail_on, str) else list(fail_on)
    kinds: set[str] = set()
    for v in values:
        if v not in FAIL_ON:
            raise ConfigError(f"fail_on must be among {', '.join(FAIL_ON)}, got {v!r}")
        if v in ("copies", "pairs") or (v == "passages" and len(values) == 1):
            kinds |= COPY_KINDS
        if v == "same-story":
            kinds.add(STORY_KIND)
        if v == "passages":
            kinds.add(PASSAGE_KIND)
    return frozenset(kinds)


def check(
    documents: Iterable[Document],
    index: Index,
    *,
    baseline: Baseline | None = None,
    fail_on: str | Iterable[str] = "copies",
    errors: Sequence[InputProblem] = (),
    warnings: Sequence[InputProblem] = (),
    progress: pipeline.ProgressCallback | None = None,
) -> CheckResult:
    """Check new documents against an index and against each other, with every tier.

    The new documents are fingerprinted, the indexed documents related to them
    are found through the index (paragraphs sharing an LSH band and verified
    exactly, the same normalized text, and documents sharing the new ones'
    distinctive story terms) and loaded, and the pipeline
    (:func:`dedup.pipeline.detect`) runs over the new and loaded documents
    together, focused on the new ones: so a check reports what a scan of the
    same documents reports for them, boilerplate and the same-story tier
    included.

    Args:
        documents: The new documents (unique ids).
        index: The index.
        baseline: Accepted findings that do not fail the check.
        fail_on: Which kinds fail: ``"copies"`` (default: duplicate,
            near_duplicate, containment), ``"same-story"``, ``"passages"``
            (any passage shared between two different documents), or several
            of them; see :func:`fail_kinds`. Findings of other kinds are
            reported as notices.
        errors: Input problems to carry into the result.
        warnings: Input warnings to carry into the result.
        progress: Called as ``progress(stage, done, total)`` per pipeline stage.

    Returns:
        The findings and a scan-style result.

    Raises:
        InputError: Two documents share an id.
        ConfigError: An unknown ``fail_on`` value.
        IndexCorruptError: The index is damaged.
    """
    failing = fail_kinds(fail_on)
    cfg = index.config
    baseline = baseline or Baseline()
    new_docs = _unique_sorted(documents)
    new_ids = [d.id for d in new_docs]
    new_set = set(new_ids)
    table = pipeline.fingerprint(new_docs, cfg, progress=progress)
    background = pipeline.load_background(cfg)
    cand_docs = set(_candidate_documents(index, table, new_set))
    # Documents loaded only for the story tier take no part in matching and alignment.
    story_docs = set(story_candidate_documents(index, table, new_set, background)) - cand_docs if cfg.story else set()
    cand_docs |= story_docs
    loaded = index.store.load_documents(sorted(cand_docs))
    group_ids = np.unique(loaded.group)
    gkeys, gsh, gsig = index.store.groups(group_ids.tolist())
    if not len(group_ids):
        gsig = np.empty((0, cfg.num_perm), dtype=np.uint32)
    combined, all_ids = _combined_table(new_ids, table, loaded, gkeys, gsh, gsig, group_ids)
    stored_docs = {d.id: d for d in loaded.documents}
    docs_by_id: dict[str, Document] = {d.id: d for d in new_docs}
    for doc_id in all_ids:
        if doc_id not in docs_by_id:
            sd = stored_docs[doc_id]
            meta = dict(sd.meta)
            meta["indexed"] = True
            docs_by_id[doc_id] = Document(sd.id, sd.text, path=sd.path, date=sd.date, mtime=sd.mtime, meta=meta)
    all_docs = [docs_by_id[d] for d in all_ids]
    if cfg.story:
        combined = _with_story_terms(combined, all_docs, table, new_set, cfg)
    focus = np.array([d in new_set for d in all_ids], dtype=bool)
    story_only = np.array([d in story_docs for d in all_ids], dtype=bool) if story_docs else None
    found = pipeline.detect(
        combined, all_docs, cfg, background=background, focus=focus, story_only=story_only, progress=progress
    )

    kept_pairs: list[Pair] = []
    findings: set[Finding] = set()
    notices: set[Finding] = set()
    suppressed: set[Finding] = set()
    for p in found.pairs:
        f = Finding.of(p.a, p.b, p.kind)
        if f in baseline:
            suppressed.add(f)
            continue
        (findings if p.kind in failing else notices).add(f)
        kept_pairs.append(p)
    kept_passages: list[Passage] = []
    for s in found.passages:
        a, b = s.a.doc, s.b.doc
        if a != b and baseline.suppresses_docs(a, b):
            if PASSAGE_KIND in failing:
                suppressed.add(Finding.of(a, b, PASSAGE_KIND))
            continue
        if PASSAGE_KIND in failing and a != b:
            findings.add(Finding.of(a, b, PASSAGE_KIND))
        kept_passages.append(s)
    found = pipeline.cluster(found, kept_pairs, docs_by_id, cfg, progress=progress)

    involved = {p.a for p in kept_pairs} | {p.b for p in kept_pairs}
    involved |= {s.a.doc for s in kept_passages} | {s.b.doc for s in kept_passages}
    out_ids = sorted(new_set | involved)
    out_docs = {d: docs_by_id[d] for d in out_ids}
    clusters = [_prefer_indexed(c, out_docs, cfg.canonical) for c in found.clusters]
    para_counts = dict(zip(all_ids, combined.doc_paragraphs))
    result = ScanResult(
        documents=tuple(out_docs[k] for k in out_ids),
        passages=tuple(sorted(kept_passages)),
        pairs=tuple(sorted(kept_pairs)),
        clusters=tuple(sorted(clusters)),
        errors=tuple(sorted(errors)),
        warnings=tuple(sorted(warnings)),
        settings=cfg.to_dict(),
        paragraph_counts={k: para_counts.get(k, 0) for k in out_ids},
        # The occurrences in the checked documents; ``documents`` still counts every holder.
        boilerplate=tuple(
            Boilerplate(tuple(o for o in b.occurrences if o.doc in new_set), b.documents, b.tokens)
            for b in found.boilerplate
        ),
        limits=found.limits,
    )
    return CheckResult(
        result=result,
        new_ids=tuple(new_ids),
        findings=tuple(sorted(findings)),
        suppressed=tuple(sorted(suppressed)),
        notices=tuple(sorted(notices - findings)),
    )
