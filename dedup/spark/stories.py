"""The same-story tier on Spark: distributed candidates, pairs scored by :mod:`dedup.story`.

The story model of :mod:`dedup.story` takes nothing from the scanned corpus:
a document's vector and every pair's score come from the document's own
story terms, the shipped reference and the background (the feedback
references), so a model built on a few documents scores their pairs as the
model of the whole corpus does. The stages::

    documents --mapPartitions--> story terms (from the fingerprinting pass,
        boilerplate left out) and each document's TOP_TERMS heaviest terms
        (StoryModel.top_terms over the partition's documents)
    (term, doc) --groupByKey(term)--> postings; terms posted by more than
        MAX_POSTING documents are skipped --> document pairs
        --reduceByKey--> pairs sharing MIN_SHARED_TERMS top terms
        (a corpus of at most ALL_PAIRS_MAX pairs: every pair), copies removed
    candidates + both documents + the passages they share
        --mapPartitions, in chunks--> same_story_tier(..., candidates=) on the
        chunk's documents, the background broadcast

which are :meth:`dedup.story.StoryModel.candidates` and
:func:`dedup.story.same_story_tier` of ``dedup scan``, partitioned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from operator import add
from typing import Any, NamedTuple

import numpy as np

from ..config import Config
from ..models import Passage
from ..story import ALL_PAIRS_MAX, MAX_POSTING, MIN_SHARED_TERMS, TOP_TERMS, same_story_tier, story_model
from .records import DocRecord, batched, paragraph_table, storage_level

__all__ = [
    "CHUNK_PAIRS",
    "StoryDoc",
    "score_partition",
    "story_candidates",
    "story_docs",
    "story_docs_partition",
    "story_tier",
    "term_pairs",
]

#: Candidate pairs scored together (one story model per chunk).
CHUNK_PAIRS = 2000


class StoryDoc(NamedTuple):
    """What the story tier needs of one document.

    Attributes:
        text: The text.
        paragraphs: Fingerprinted paragraph spans that are not boilerplate.
        excluded: Boilerplate paragraph spans (left out of the story text).
        terms: Story terms of the non-boilerplate paragraphs.
        top: The document's heaviest terms (candidate generation).
    """

    text: str
    paragraphs: list[tuple[int, int]]
    excluded: list[tuple[int, int]]
    terms: list[str]
    top: list[str]


def story_docs_partition(
    items: Iterable[tuple[str, DocRecord]], config: Config, background: Sequence[str]
) -> Iterator[tuple[str, StoryDoc]]:
    """The :class:`StoryDoc` of each ``(doc id, DocRecord)`` of a partition (boilerplate masks filled in)."""
    recs = [rec for _, rec in items]
    if not recs:
        return
    table, _ = paragraph_table(recs)
    mask = np.concatenate([r.excluded() for r in recs])
    terms = table.document_terms(mask)
    if terms is None:
        raise RuntimeError("the Spark job prepared no story terms")
    spans = [r.spans() for r in recs]
    texts = [r.text for r in recs]
    # Top terms use the TF-IDF vectors only (the same for every story model).
    model = story_model(texts, [s[1] for s in spans], config.replace(story_model="tfidf"), background, terms=terms)
    for rec, (kept, excluded), t, top in zip(recs, spans, terms, model.top_terms(TOP_TERMS)):
        yield rec.id, StoryDoc(rec.text, kept, excluded, t, top)


def story_docs(docrecs: Any, config: Config, background: Any) -> Any:
    """RDD of ``(doc id, StoryDoc)`` (``background``: a broadcast list of texts)."""
    return docrecs.mapPartitions(lambda it: story_docs_partition(it, config, background.value))


def term_pairs(item: tuple[str, Iterable[str]]) -> Iterator[tuple[tuple[str, str], int]]:
    """The document pairs of one top-term posting ``(term, doc ids)``, each counted once."""
    ids = sorted(item[1])
    if len(ids) > MAX_POSTING:  # a term heading this many documents names no single story
        return
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            yield (ids[i], ids[j]), 1


def story_candidates(docs: Any, n_docs: int, partitions: int) -> Any:
    """Candidate pairs ``(a, b)``, ``a < b``, as :meth:`dedup.story.StoryModel.candidates` finds them."""
    if n_docs < 2:
        return docs.context.parallelize([], 1)
    if n_docs * (n_docs - 1) // 2 <= ALL_PAIRS_MAX:
        ids = sorted(docs.keys().collect())
        every = [(ids[i], ids[j]) for i in range(len(ids)) for j in range(i + 1, len(ids))]
        return docs.context.parallelize(every, max(1, min(partitions, len(every))))
    return (
        docs.flatMap(lambda kv: [(t, kv[0]) for t in kv[1].top])
        .groupByKey(partitions)
        .flatMap(term_pairs)
        .reduceByKey(add, partitions)
        .filter(lambda kv: kv[1] >= MIN_SHARED_TERMS)
        .keys()
    )


def _score_chunk(chunk: list[Any], config: Config, background: Sequence[str]) -> Iterator[tuple[int, Any]]:
    docs: dict[str, StoryDoc] = {}
    passages: list[Passage] = []
    for (a, b), ((da, db), shared) in chunk:
        docs[a], docs[b] = da, db
        passages.extend(shared or ())
    ids = sorted(docs)
    index = {d: i for i, d in enumerate(ids)}
    rows = [docs[d] for d in ids]
    texts = [r.text for r in rows]
    excluded = [r.excluded for r in rows]
    terms = [r.terms for r in rows]
    cands = np.array(sorted((index[a], index[b]) for (a, b), _ in chunk), dtype=np.int64).reshape(-1, 2)
    model = story_model(texts, excluded, config, background, terms=terms)
    pairs, near = same_story_tier(
        texts,
        ids,
        [r.paragraphs for r in rows],
        excluded,
        set(),
        passages,
        config,
        background,
        terms=terms,
        model=model,
        candidates=cands,
    )
    for p in pairs:
        yield 1, p
    for s in near:
        yield 0, s


def score_partition(
    items: Iterable[Any], config: Config, background: Sequence[str], chunk_pairs: int = CHUNK_PAIRS
) -> Iterator[tuple[int, Any]]:
    """Same-story pairs ``(1, Pair)`` and near passages ``(0, Passage)`` of candidate items.

    An item is ``((a, b), ((StoryDoc a, StoryDoc b), passages a and b share))``;
    items are scored in chunks of ``chunk_pairs``.
    """
    for chunk in batched(items, chunk_pairs):
        yield from _score_chunk(chunk, config, background)


_SIDE, _COPY, _PASSAGE = 0, 1, 2


def _candidate_item(item: tuple[tuple[str, str], Iterable[tuple[int, int, Any]]]) -> Iterator[Any]:
    """A candidate that is no copy, with its two documents and shared passages (see :func:`score_partition`)."""
    docs: list[Any] = [None, None]
    shared: list[Passage] = []
    for tag, side, value in item[1]:
        if tag == _COPY:
            return
        if tag == _SIDE:
            docs[side] = value
        else:
            shared.append(value)
    if docs[0] is not None and docs[1] is not None:  # a candidate, not only passages or a copy
        yield item[0], ((docs[0], docs[1]), shared)


def story_tier(
    docrecs: Any, pairs: Any, passages: Any, config: Config, background: Sequence[str], n_docs: int, partitions: int
) -> tuple[Any, Any, tuple[Any, ...]]:
    """Same-story pairs and their near passages.

    Args:
        docrecs: RDD of ``(doc id, DocRecord)`` (texts, story terms, boilerplate masks).
        pairs: RDD of the copy pairs (:class:`Pair`); they are never same-story.
        passages: RDD of the passages found so far (:class:`Passage`).
        config: Settings.
        background: The background documents' texts (broadcast).
        n_docs: Number of documents.
        partitions: Shuffle partitions.

    Returns:
        ``(same_story pairs, near passages, persisted rdds)``.
    """
    sc = docrecs.context
    bg = sc.broadcast(list(background))
    docs = story_docs(docrecs, config, bg).persist(storage_level())
    cands = story_candidates(docs, n_docs, partitions)
    # Each candidate meets its two documents (one join), then its copy pair, if any, and the
    # passages the two share (one grouping by document pair).
    slim = docs.mapValues(lambda d: d._replace(top=[]))
    sides = (
        cands.flatMap(lambda ab: [(ab[0], (ab, 0)), (ab[1], (ab, 1))])
        .join(slim, partitions)
        .map(lambda kv: (kv[1][0][0], (_SIDE, kv[1][0][1], kv[1][1])))
    )
    copies = pairs.map(lambda p: ((p.a, p.b), (_COPY, 0, None)))
    shared = passages.filter(lambda p: p.a.doc != p.b.doc).map(
        lambda p: ((min(p.a.doc, p.b.doc), max(p.a.doc, p.b.doc)), (_PASSAGE, 0, p))
    )
    scored = (
        sides.union(copies)
        .union(shared)
        .groupByKey(partitions)
        .flatMap(_candidate_item)
        .mapPartitions(lambda it: score_partition(it, config, bg.value))
        .persist(storage_level())
    )
    story_pairs: Any = scored.filter(lambda r: r[0] == 1).map(lambda r: r[1])
    near: Any = scored.filter(lambda r: r[0] == 0).map(lambda r: r[1])
    return story_pairs, near, (docs, scored)
