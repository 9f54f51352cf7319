"""The pipeline: the one place that holds the order of dedup's stages.

Every mode runs this sequence: :class:`~dedup.detector.Detector` (``scan``),
:func:`~dedup.check.check` (new documents against an index),
:func:`~dedup.compare.compare` and ``dedup show``; the Spark job runs the same
stage functions in the same order over partitions. Each stage is a plain
function of its own module, and its inputs and outputs are passed explicitly
from one stage to the next::

    fingerprint   paragraphs.prepare          segment, normalize, tokenise once:
                                              shingles, MinHash, story terms
    verification  match.verified_candidates   LSH candidates, exact Jaccard (shared below)
    boilerplate   boilerplate.boilerplate_rows
    matches       match.paragraph_matches
    passages      match.build_passages        runs of matching paragraphs
    alignment     align.align_documents       sub-paragraph passages (anchors + alignment)
    pairs         match.classify_pairs        from aligned coverage
    story         story.same_story_tier       same-story pairs, near passages
    clusters      cluster.clusters_from_pairs

:func:`run` is the whole sequence; :func:`detect` is everything after
fingerprinting, for callers that build the paragraph table themselves
(``check`` joins the new documents' table with the indexed documents it
loaded), and :func:`cluster` is the last stage, which ``check`` runs after
its baseline has removed the accepted findings.

Example:
    >>> from dedup.config import Config
    >>> from dedup.models import Document
    >>> docs = [Document("a", "One two three four five six.\\n\\nSeven eight nine ten."),
    ...         Document("b", "One two three four five six.")]
    >>> found, table = run(docs, Config(threshold=0.5))
    >>> [(p.a.doc, p.b.doc, p.kind) for p in found.passages]
    [('a', 'b', 'exact')]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .align import MAX_ALIGN_PARTNERS, align_documents
from .boilerplate import boilerplate_rows, find_boilerplate
from .cluster import clusters_from_pairs
from .config import Config
from .lsh import BUCKET_LINKS, MAX_BUCKET
from .match import (
    MAX_NEAR_LINKS,
    ParagraphMatches,
    build_passages,
    classify_pairs,
    paragraph_matches,
    verified_candidates_counted,
)
from .models import Boilerplate, Cluster, Document, Pair, Passage
from .paragraphs import ParagraphTable, prepare
from .story import StoryModel, same_story_tier
from .story import load_background as read_background
from .story import story_model as build_story_model

__all__ = [
    "STAGES",
    "Findings",
    "ProgressCallback",
    "cluster",
    "detect",
    "fingerprint",
    "load_background",
    "run",
    "story_model",
]

#: ``progress(stage, done, total)``: ``stage`` is one of :data:`STAGES`.
ProgressCallback = Callable[[str, int, int], None]

#: The stage names reported to a progress callback, in order.
STAGES = ("fingerprinting", "verification", "boilerplate", "passages", "alignment", "story", "clusters")


@dataclass(frozen=True)
class Findings:
    """What the stages found in one paragraph table.

    Attributes:
        doc_ids: Document id of each document index of the table.
        boilerplate_rows: Boolean mask of the table rows that are boilerplate.
        boilerplate: Boilerplate entries (one per paragraph text).
        passages: Shared passages (main matcher and near passages across
            rewrites), sorted.
        pairs: Related document pairs of every kind, sorted.
        clusters: Duplicate clusters (empty until :func:`cluster` ran).
        story_model: The story model of the documents (``None`` when the
            story tier is off); ``compare`` scores every pair with it.
        limits: One sentence per bound that changed the results of this run
            (shown in every output, like the input warnings).
    """

    doc_ids: tuple[str, ...]
    boilerplate_rows: np.ndarray
    boilerplate: tuple[Boilerplate, ...]
    passages: tuple[Passage, ...]
    pairs: tuple[Pair, ...]
    clusters: tuple[Cluster, ...] = ()
    story_model: StoryModel | None = None
    limits: tuple[str, ...] = ()


def _notify(progress: ProgressCallback | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)


def load_background(config: Config) -> list[str]:
    """The background documents named by ``config.story_background`` (``[]`` when unset or the tier is off)."""
    if not config.story or not config.story_background:
        return []
    return read_background(config.story_background)


def fingerprint(
    documents: Sequence[Document], config: Config, *, progress: ProgressCallback | None = None
) -> ParagraphTable:
    """Stage 1: the paragraph table of ``documents`` (in their order)."""

    def chunk_done(done: int, total: int) -> None:
        _notify(progress, "fingerprinting", done, total)

    return prepare(documents, config, progress=chunk_done if progress is not None else None)


def _spans(
    n_docs: int, table: ParagraphTable, bp_mask: np.ndarray
) -> tuple[list[list[tuple[int, int]]], list[list[tuple[int, int]]]]:
    """Per document, its fingerprinted paragraph spans that are not boilerplate, and those that are."""
    paragraphs: list[list[tuple[int, int]]] = [[] for _ in range(n_docs)]
    excluded: list[list[tuple[int, int]]] = [[] for _ in range(n_docs)]
    for d, s, e, bp in zip(table.doc.tolist(), table.start.tolist(), table.end.tolist(), bp_mask.tolist()):
        (excluded if bp else paragraphs)[d].append((s, e))
    return paragraphs, excluded


def story_model(
    documents: Sequence[Document],
    table: ParagraphTable,
    bp_mask: np.ndarray,
    config: Config,
    background: Sequence[str] = (),
) -> StoryModel:
    """The story model of ``documents`` from the terms the fingerprinting pass produced."""
    _, excluded = _spans(len(documents), table, bp_mask)
    # The fingerprinting pass tokenised every paragraph once; a document's story terms
    # are those of its paragraphs that are not boilerplate.
    terms = table.document_terms(bp_mask)
    return build_story_model([d.text for d in documents], excluded, config, background, terms=terms)


def _story_stage(
    documents: Sequence[Document],
    table: ParagraphTable,
    bp_mask: np.ndarray,
    pairs: Sequence[Pair],
    passages: Sequence[Passage],
    config: Config,
    model: StoryModel,
) -> tuple[list[Pair], list[Passage]]:
    ids = [d.id for d in documents]
    index = {d: i for i, d in enumerate(ids)}
    paragraphs, excluded = _spans(len(documents), table, bp_mask)
    copies = {(index[p.a], index[p.b]) for p in pairs}
    texts = [d.text for d in documents]
    return same_story_tier(texts, ids, paragraphs, excluded, copies, passages, config, model=model)


def _align_texts(documents: Sequence[Document], story_only: np.ndarray | None) -> list[str]:
    """The texts alignment reads: a story-only document's is blank (same length, no tokens)."""
    if story_only is None:
        return [d.text for d in documents]
    return [" " * len(d.text) if skip else d.text for d, skip in zip(documents, story_only.tolist())]


def detect(
    table: ParagraphTable,
    documents: Sequence[Document],
    config: Config,
    *,
    background: Sequence[str] = (),
    focus: np.ndarray | None = None,
    story_only: np.ndarray | None = None,
    progress: ProgressCallback | None = None,
) -> Findings:
    """Stages 2-6 over a paragraph table: boilerplate, matches, passages, pairs, story.

    Args:
        table: The paragraph table; its document ``i`` is ``documents[i]``.
        documents: The documents, in table order.
        config: Settings.
        background: Background documents of the story tier.
        focus: Boolean per document: when given, only matches, passages and
            pairs involving a focus document are kept (``check`` focuses on the
            new documents; matches between two others could only build results
            that are dropped, so they are left out before passages are built).
        story_only: Boolean per document: documents that take part in
            boilerplate counts and the story tier only (``check`` loads the
            indexed documents that share a new one's story terms for that
            tier): they are left out of matches, passages, alignment and copy
            pairs, so turning the story tier on adds same-story findings
            without changing the copy tiers' work.
        progress: Called as ``progress(stage, done, total)`` per stage.

    Returns:
        The findings, without clusters (see :func:`cluster`).
    """
    ids = tuple(d.id for d in documents)
    _notify(progress, "verification", 0, 1)
    # LSH candidates verified exactly, once: boilerplate detection and matching share them.
    verified, oversized_buckets = verified_candidates_counted(table, config.threshold, config.jobs)
    _notify(progress, "verification", 1, 1)
    _notify(progress, "boilerplate", 0, 1)
    bp_mask = boilerplate_rows(table, config, verified)
    _notify(progress, "boilerplate", 1, 1)
    _notify(progress, "passages", 0, 1)
    matches = paragraph_matches(table, config, excluded_rows=bp_mask, verified=verified)
    # Each stage's inputs are freed once its outputs exist: on a dense corpus the verified pairs,
    # matches, runs and alignment tokens are gigabytes, and the later stages do not need them.
    del verified
    if (focus is not None or story_only is not None) and len(matches):
        dp, dq = table.doc[matches.p], table.doc[matches.q]
        keep = focus[dp] | focus[dq] if focus is not None else np.ones(len(dp), dtype=bool)
        if story_only is not None:
            keep &= ~(story_only[dp] | story_only[dq])
        matches = ParagraphMatches(
            matches.p[keep], matches.q[keep], matches.sim[keep], matches.exact[keep], matches.capped_texts
        )
    passages, runs = build_passages(table, matches, list(ids))
    capped_texts = matches.capped_texts
    del matches
    _notify(progress, "passages", 1, 1)
    # Sub-paragraph passages: anchors and alignment below the paragraph (config.align).
    _notify(progress, "alignment", 0, 1)
    aligned = align_documents(table, _align_texts(documents, story_only), list(ids), config, bp_mask, passages)
    passages = list(aligned.passages)
    pairs = classify_pairs(table, runs, list(ids), config, excluded_rows=bp_mask, aligned=aligned)
    capped_documents = aligned.capped_documents
    del aligned, runs
    _notify(progress, "alignment", 1, 1)
    model = None
    if config.story:
        _notify(progress, "story", 0, 1)
        model = story_model(documents, table, bp_mask, config, background)
        story_pairs, near = _story_stage(documents, table, bp_mask, pairs, passages, config, model)
        pairs = pairs + story_pairs
        passages = passages + near
        _notify(progress, "story", 1, 1)
    if focus is not None:
        pos = {d: i for i, d in enumerate(ids)}

        def involves(a: str, b: str) -> bool:
            return bool(focus[pos[a]] or focus[pos[b]])

        pairs = [p for p in pairs if involves(p.a, p.b)]
        passages = [s for s in passages if involves(s.a.doc, s.b.doc)]
    entries = find_boilerplate(table, bp_mask, list(ids))
    if focus is not None:
        entries = [b for b in entries if any(focus[pos[s.doc]] for s in b.occurrences)]
    return Findings(
        doc_ids=ids,
        boilerplate_rows=bp_mask,
        boilerplate=tuple(entries),
        passages=tuple(sorted(passages, key=_passage_order)),
        pairs=tuple(sorted(pairs)),
        story_model=model,
        limits=_limits(oversized_buckets, capped_texts, capped_documents),
    )


def _passage_order(p: Passage) -> tuple:
    """The sort key of a passage: the order of :class:`~dedup.models.Passage` itself, as one flat tuple.

    Comparing the dataclasses builds their field tuples again at every
    comparison (about 8 s for the 1.5 million passages of a dense 20,000-document
    corpus); one flat key per passage sorts them the same way.

    >>> from dedup.models import Span
    >>> x = Passage(Span("a", 0, 5), Span("b", 0, 5), 0.5, "near")
    >>> y = Passage(Span("a", 0, 5), Span("a", 9, 12), 1.0, "exact")
    >>> [p.b.doc for p in sorted([x, y], key=_passage_order)] == [p.b.doc for p in sorted([x, y])]
    True
    """
    a, b = p.a, p.b
    return (a.doc, a.start, a.end, b.doc, b.start, b.end, p.similarity, p.kind, p.paragraphs)


def _limits(oversized_buckets: int, capped_texts: int, capped_documents: int) -> tuple[str, ...]:
    """The sentences saying which bounds changed the results (see :attr:`Findings.limits`).

    >>> _limits(0, 0, 0)
    ()
    >>> [s.split(":")[0] for s in _limits(3, 2, 1)]
    ['candidates', 'paragraph matches', 'alignment']
    """
    out = []
    if oversized_buckets:
        out.append(
            f"candidates: {oversized_buckets} LSH band bucket(s) held more than {MAX_BUCKET} paragraph texts; "
            f"their members were paired with their {BUCKET_LINKS} nearest in content order, not with every other member"
        )
    if capped_texts:
        out.append(
            f"paragraph matches: {capped_texts} paragraph text(s) had more than {MAX_NEAR_LINKS} similar texts; "
            f"each kept its {MAX_NEAR_LINKS} most similar (and enough others to keep groups of similar texts linked)"
        )
    if capped_documents:
        out.append(
            f"alignment: {capped_documents} document(s) share text with more than {MAX_ALIGN_PARTNERS} others; "
            f"each was aligned with its {MAX_ALIGN_PARTNERS} closest (and enough others to keep its copies linked)"
        )
    return tuple(out)


def cluster(
    findings: Findings,
    pairs: Sequence[Pair],
    documents: dict[str, Document],
    config: Config,
    *,
    order: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
) -> Findings:
    """Stage 7: the duplicate clusters of ``pairs`` (the findings' own, or what a baseline left of them).

    ``order`` is the order the documents were added in (``canonical="first"``
    keeps the first added); default: the order of ``documents``.
    """
    _notify(progress, "clusters", 0, 1)
    clusters = clusters_from_pairs(list(pairs), documents, config.canonical, order=order)
    _notify(progress, "clusters", 1, 1)
    return Findings(
        doc_ids=findings.doc_ids,
        boilerplate_rows=findings.boilerplate_rows,
        boilerplate=findings.boilerplate,
        passages=findings.passages,
        pairs=tuple(sorted(pairs)),
        clusters=tuple(sorted(clusters)),
        story_model=findings.story_model,
        limits=findings.limits,
    )


def run(
    documents: Sequence[Document],
    config: Config,
    *,
    background: Sequence[str] | None = None,
    order: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[Findings, ParagraphTable]:
    """The whole pipeline over ``documents`` (in their order; a scan sorts them by id).

    Args:
        documents: The documents.
        config: Settings.
        background: Background documents of the story tier; default: read
            from ``config.story_background``.
        order: Document ids in the order they were added (for
            ``canonical="first"``); default: the order of ``documents``.
        progress: Called as ``progress(stage, done, total)``.

    Returns:
        ``(findings, table)``: the findings with clusters, and the paragraph
        table they were computed from.
    """
    if background is None:
        background = load_background(config)
    table = fingerprint(documents, config, progress=progress)
    found = detect(table, documents, config, background=background, progress=progress)
    by_id = {d.id: d for d in documents}
    return cluster(found, found.pairs, by_id, config, order=order, progress=progress), table
