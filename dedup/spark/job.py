"""The Spark pipeline: the local dedup pipeline, partitioned.

Stages (each runs the same library functions as ``dedup scan``, in the order
of :mod:`dedup.pipeline`)::

    documents --mapPartitions(prepare)--> per-document paragraph records (with text and
                                          story terms when those tiers run)
                                       + distinct paragraph texts (content key, shingles, signature)
    texts --mapPartitions(band_keys)--> (band, band key) -> text   [shuffle 1: LSH bands]
          --groupByKey, same band values--> candidate text pairs
          --join shingles, verify()--> verified similar texts        [shuffle 2: verification]
    boilerplate: components of near-identical texts, distributed document counts, blocks
          judged by shared_median -> a boilerplate mask per document
    occurrences of each text --> paragraph matches keyed by document pair
          (identical texts: every pair of occurrences; similar texts: cross product)
    alignment candidates (dedup.spark.anchors: winnowed anchors of the whole corpus)
    matches + candidates --groupByKey(doc_a, doc_b) + both documents' records-->
          build_passages() + align_documents() + classify_pairs() on a two-document table
    same-story tier (dedup.spark.stories): top-term postings -> candidates -> same_story_tier()
    duplicate/near-duplicate pairs --union-find or min-label propagation--> clusters

Everything is keyed by document id and 16-byte paragraph content key (never
by a global row number), so no stage needs a global ordering (the anchor
index sorts by id once); the local orientation rules (``a`` is the smaller
id, then the earlier paragraph) hold because document indexes in ``dedup
scan`` follow sorted ids. The two-document table built for a document pair
holds exactly the rows, shingle sets and texts of those two documents, so
``build_passages``, ``align_documents`` and ``classify_pairs`` compute the
same passages, coverage and similarities as on the whole corpus.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..align import align_documents
from ..boilerplate import shared_median
from ..cluster import UnionFind, choose_canonical
from ..config import Config
from ..lsh import MAX_BUCKET, band_keys, lsh_params, window_pairs
from ..match import MAX_CLIQUE, ParagraphMatches, build_passages, classify_pairs, enough_shared, verify
from ..models import CLUSTER_KINDS, Boilerplate, Cluster, Document, Span
from ..paragraphs import prepare
from ..shingle import TokenHasher
from .anchors import anchor_candidate_pairs
from .records import I64, U32, U64, DocRecord, batched, paragraph_table, shingle_batch, storage_level
from .stories import story_tier

__all__ = [
    "ANCHORED",
    "DocRecord",
    "PipelineResult",
    "connected_components",
    "driver_components",
    "prepare_records",
    "run_pipeline",
]


class PipelineResult(NamedTuple):
    """The RDDs of a run (sorted), its counters, and the intermediate RDDs it persisted."""

    documents: Any
    passages: Any
    pairs: Any
    clusters: Any
    counts: dict[str, int]
    persisted: tuple[Any, ...] = ()
    boilerplate: Any = None


# ---------------------------------------------------------------- stage 1: prepare


def prepare_records(docs: list[Document], config: Config, hasher: TokenHasher) -> list[DocRecord]:
    """The :class:`DocRecord` of each document (fingerprinted together, as ``dedup scan`` does)."""
    return [r for tag, r in _prepare_batch(docs, config, hasher) if tag == 0]


def _prepare_batch(docs: list[Document], config: Config, hasher: TokenHasher) -> Iterator[tuple[int, Any]]:
    table = prepare(docs, config, hasher)
    bounds = np.searchsorted(table.doc, np.arange(len(docs) + 1)).tolist()
    keys = table.group_keys
    # Alignment and the same-story tier read the text again (tokens, evidence as written).
    keep_text = config.align or config.story
    row_terms = table.row_terms
    doc_terms = table.doc_terms
    for di, doc in enumerate(docs):
        lo, hi = bounds[di], bounds[di + 1]
        groups = table.group[lo:hi].tolist()
        yield (
            0,
            DocRecord(
                id=doc.id,
                chars=len(doc.text),
                key=table.doc_keys[di],
                paragraphs=table.doc_paragraphs[di],
                start=table.start[lo:hi].astype(I64).tobytes(),
                end=table.end[lo:hi].astype(I64).tobytes(),
                ntokens=table.ntokens[lo:hi].astype(I64).tobytes(),
                cks=tuple(keys[g] for g in groups),
                shingles={keys[g]: table.shingles.get(g).astype(U64).tobytes() for g in sorted(set(groups))},
                date=doc.date,
                text=doc.text if keep_text else "",
                row_terms=tuple(row_terms[lo:hi]) if row_terms is not None else (),
                doc_terms=doc_terms[di] if doc_terms is not None else None,
            ),
        )
    for g, ck in enumerate(keys):
        yield (1, (ck, (table.shingles.get(g).astype(U64).tobytes(), table.signatures[g].astype(U32).tobytes())))


def _prepare_partition(docs: Iterable[Document], config: Config, batch_docs: int) -> Iterator[tuple[int, Any]]:
    hasher = TokenHasher()
    for batch in batched(docs, batch_docs):
        yield from _prepare_batch(batch, config, hasher)


# ---------------------------------------------------------------- stage 2: LSH + verify


def _band_partition(items: Iterable[tuple[bytes, tuple[bytes, bytes]]], bands: int, rows: int) -> Iterator[Any]:
    items = list(items)
    if not items:
        return
    sigs = np.frombuffer(b"".join(sig for _, (_, sig) in items), dtype=U32).reshape(len(items), -1)
    keys = band_keys(sigs, bands, rows).tolist()
    width = rows * 4
    for i, (ck, (_, sig)) in enumerate(items):
        row = keys[i]
        for band in range(bands):
            yield ((band, row[band]), (ck, sig[band * width : (band + 1) * width]))


def _band_group_pairs(item: tuple[Any, Iterable[tuple[bytes, bytes]]]) -> Iterator[tuple[bytes, bytes]]:
    # Members in content-key order; an oversized bucket gives linked windows,
    # exactly as dedup.lsh does locally.
    members = sorted(item[1])
    n = len(members)
    if n > MAX_BUCKET:
        pairs = window_pairs(np.arange(n)).tolist()
    else:
        pairs = ((i, j) for i in range(n) for j in range(i + 1, n))
    for i, j in pairs:
        # Confirm the band's values, not just its 64-bit key.
        if members[j][1] == members[i][1]:
            yield (members[i][0], members[j][0])


def _verify_partition(
    items: Iterable[Any], threshold: float, min_shared: int
) -> Iterator[tuple[tuple[bytes, bytes], tuple[float, bool]]]:
    """Verified text pairs with their Jaccard, and whether they share ``min_shared`` shingles.

    Boilerplate detection joins near-identical texts on every verified pair,
    matching only on those sharing enough shingles (as ``dedup.match``).
    """
    # items: (ck2, ((ck1, shingles1), shingles2))
    keys: list[tuple[bytes, bytes]] = []
    arrays: list[bytes] = []
    for ck2, ((ck1, sh1), sh2) in items:
        keys.append((ck1, ck2))
        arrays.append(sh1)
        arrays.append(sh2)
    if not keys:
        return
    batch = shingle_batch(arrays)
    pairs = np.arange(2 * len(keys), dtype=np.int64).reshape(-1, 2)
    kept, sims = verify(batch, pairs, threshold)
    enough, _ = enough_shared(batch, kept, sims, min_shared)
    strong = {int(i) for i in enough[:, 0].tolist()} if len(enough) else set()
    for (i, _), s in zip(kept.tolist(), sims.tolist()):
        yield (keys[i // 2], (s, i in strong))


# ---------------------------------------------------------------- stage 3: matches


# ---------------------------------------------------------------- boilerplate


def _block_boilerplate(item: Any, max_shared: float) -> Iterator[bytes]:
    # item: (block key, ((doc ids, comps), [(doc id, rows)])) with rows [(comp, ntokens)]
    _, ((doc_ids, comps), members) = item
    rows_of = dict(members)
    local, texts, weights = [], [], []
    for pos, d in enumerate(doc_ids):
        for comp, ntok in rows_of.get(d, ()):
            local.append(pos)
            texts.append(comp)
            weights.append(ntok)
    _, text_ids = np.unique(np.array(texts, dtype=object), return_inverse=True)
    median = shared_median(
        np.array(local, dtype=np.int64), text_ids.astype(np.int64), np.array(weights, dtype=np.float64), len(doc_ids)
    )
    if median <= max_shared:
        yield from comps


def _block_key(doc_ids: tuple[str, ...]) -> bytes:
    return hashlib.blake2b("\x00".join(doc_ids).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _boilerplate_rows(
    docrecs: Any, verified: Any, config: Config, partitions: int, driver_edges: int
) -> tuple[Any, tuple[Any, ...]]:
    """The boilerplate rows of every document, as ``dedup.boilerplate.boilerplate_rows`` finds them.

    Near-identical texts (every verified pair) are joined into components;
    a component held by at least ``boilerplate_min_docs`` documents joins the
    block of components with the same document set; each block is judged by
    :func:`dedup.boilerplate.shared_median` over its documents' rows.

    Returns:
        ``(rdd of (doc id, bp mask bytes), persisted rdds)``.
    """
    edges = verified.keys().persist(storage_level())
    n_edges = edges.count()
    if n_edges <= driver_edges:
        labels = docrecs.context.parallelize(driver_components(edges.collect()), partitions)
    else:
        labels = connected_components(edges, partitions)
    # (ck, (doc, row, ntokens)) -> (doc, (row, comp, ntokens))
    occ = docrecs.flatMap(
        lambda kv: [(ck, (kv[0], i, int(n))) for i, (ck, n) in enumerate(zip(kv[1].cks, kv[1].ntokens_list()))]
    )
    rows = (
        occ.leftOuterJoin(labels, partitions)
        .map(lambda kv: (kv[1][0][0], (kv[1][0][1], kv[1][1] if kv[1][1] is not None else kv[0], kv[1][0][2])))
        .groupByKey(partitions)
        .mapValues(lambda rs: [(c, n) for _, c, n in sorted(rs)])
        .persist(storage_level())
    )
    min_docs = config.boilerplate_min_docs
    comp_docs = (
        rows.flatMap(lambda kv: [(c, kv[0]) for c in {c for c, _ in kv[1]}])
        .groupByKey(partitions)
        .mapValues(lambda ds: tuple(sorted(ds)))
        .filter(lambda kv: len(kv[1]) >= min_docs)
    )
    blocks = (
        comp_docs.map(lambda kv: (_block_key(kv[1]), (kv[1], kv[0])))
        .groupByKey(partitions)
        .mapValues(lambda vs: (next(iter(vs))[0], sorted(c for _, c in vs)))
        .persist(storage_level())
    )
    members = (
        blocks.flatMap(lambda kv: [(d, kv[0]) for d in kv[1][0]])
        .join(rows, partitions)
        .map(lambda kv: (kv[1][0], (kv[0], kv[1][1])))
        .groupByKey(partitions)
    )
    max_shared = config.boilerplate_max_shared
    bp_comps = blocks.join(members, partitions).flatMap(lambda item: _block_boilerplate(item, max_shared))
    bp_comps = bp_comps.distinct(partitions).map(lambda c: (c, True))
    # Rows whose component is boilerplate -> one mask per document.
    masks = (
        rows.flatMap(lambda kv: [(c, (kv[0], i)) for i, (c, _) in enumerate(kv[1])])
        .join(bp_comps, partitions)
        .map(lambda kv: kv[1][0])
        .groupByKey(partitions)
    )
    return masks, (edges, rows, blocks)


def _with_mask(item: Any) -> DocRecord:
    rec, rows = item
    if not rows:
        return rec
    mask = np.zeros(len(rec.cks), dtype=np.uint8)
    mask[list(rows)] = 1
    return rec._replace(bp=mask.tobytes())


def _boilerplate_entries(item: tuple[bytes, Iterable[tuple[str, int, int, int, int]]]) -> Boilerplate:
    occ = sorted(item[1])
    spans = tuple(Span(d, s, e) for d, _, s, e, _ in occ)
    return Boilerplate(spans, len({d for d, *_ in occ}), occ[0][4])


def _identical_matches(item: tuple[bytes, Iterable[tuple[str, int]]]) -> Iterator[Any]:
    occ = sorted(item[1])
    if len(occ) > MAX_CLIQUE:  # a star to the first occurrence, as dedup.match does
        for o in occ[1:]:
            yield ((occ[0][0], o[0]), (occ[0][1], o[1], 1.0, True))
        return
    for i in range(len(occ)):
        for j in range(i + 1, len(occ)):
            yield ((occ[i][0], occ[j][0]), (occ[i][1], occ[j][1], 1.0, True))


def _similar_matches(item: Any) -> Iterator[Any]:
    # item: (ck2, ((sim, occurrences1), occurrences2))
    _, ((sim, occ1), occ2) = item
    occ1, occ2 = sorted(occ1), sorted(occ2)
    if occ2[0] < occ1[0]:  # dedup.match orders the two texts by first occurrence
        occ1, occ2 = occ2, occ1
    if len(occ1) * len(occ2) <= MAX_CLIQUE * MAX_CLIQUE:
        links = [(o1, o2) for o1 in occ1 for o2 in occ2]
    else:  # a star, as dedup.match._link does
        links = [(occ1[0], o2) for o2 in occ2] + [(o1, occ2[0]) for o1 in occ1[1:]]
    for o1, o2 in links:
        p, q = (o1, o2) if o1 < o2 else (o2, o1)
        yield ((p[0], q[0]), (p[1], q[1], sim, False))


def _identical_doc_pairs(item: tuple[bytes, Iterable[str]]) -> Iterator[Any]:
    ids = sorted(item[1])
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            yield ((ids[i], ids[j]), None)


# ---------------------------------------------------------------- stage 4: passages + pairs


#: Marks a document pair found by the anchor index (alignment candidate) among its matches.
ANCHORED = "anchored"


def _doc_pair_outputs(item: Any, config: Config) -> Iterator[tuple[int, Any]]:
    # item: (db, ((da, matches, rec_a), rec_b)); a match is (row a, row b, similarity, exact),
    # None (identical documents) or ANCHORED (an alignment candidate).
    db, ((da, matches, rec_a), rec_b) = item
    recs = [rec_a] if da == db else [rec_a, rec_b]
    table, first_row = paragraph_table(recs)
    ms = [m for m in matches if m is not None and m != ANCHORED]
    anchored = any(m == ANCHORED for m in matches)
    if ms:
        arr = np.array([(m[0], m[1]) for m in ms], dtype=np.int64)
        pm = ParagraphMatches(
            p=arr[:, 0] + first_row[0],
            q=arr[:, 1] + first_row[-1],
            sim=np.array([m[2] for m in ms], dtype=np.float64),
            exact=np.array([m[3] for m in ms], dtype=bool),
        )
    else:
        e = np.empty(0, dtype=np.int64)
        pm = ParagraphMatches(e, e.copy(), np.empty(0), np.empty(0, dtype=bool))
    ids = [r.id for r in recs]
    passages, runs = build_passages(table, pm, ids)
    excluded = np.concatenate([r.excluded() for r in recs])
    aligned = None
    if config.align:
        # The anchor candidates were found on the whole corpus (dedup.spark.anchors): this pair is
        # aligned exactly when it is one of them.
        cands = np.array([[0, len(recs) - 1]] if anchored else [], dtype=np.int64).reshape(-1, 2)
        texts = [r.text for r in recs]
        aligned = align_documents(table, texts, ids, config, excluded, passages, candidates=cands)
        passages = list(aligned.passages)
    for p in passages:
        yield (0, p)
    if len(recs) == 2:
        for pair in classify_pairs(table, runs, ids, config, excluded_rows=excluded, aligned=aligned):
            yield (1, pair)


# ---------------------------------------------------------------- stage 5: clusters


def connected_components(edges: Any, partitions: int, max_rounds: int = 200) -> Any:
    """Connected components of an undirected edge RDD by min-label propagation.

    Each round every node takes the smallest label among itself and its
    neighbours, then jumps to its label's label (pointer jumping), so a
    component of diameter ``d`` settles in about ``log2(d) + 2`` rounds rather
    than ``d``. Each round is two joins and one ``reduceByKey`` over the
    edges; nothing is collected on the driver.

    Args:
        edges: RDD of ``(u, v)`` pairs of comparable node ids.
        partitions: Shuffle partitions.
        max_rounds: Safety bound on the number of rounds.

    Returns:
        An RDD of ``(node, label)`` where ``label`` is the smallest node id
        of the node's component.

    Raises:
        RuntimeError: The labels did not settle within ``max_rounds``.
    """
    adj = edges.flatMap(lambda e: [(e[0], e[1]), (e[1], e[0])]).distinct(partitions).partitionBy(partitions)
    adj = adj.persist(storage_level())
    labels = adj.map(lambda e: (e[0], min(e[0], e[1]))).reduceByKey(min, partitions).persist(storage_level())
    for _ in range(max_rounds):
        spread = adj.join(labels, partitions).map(lambda kv: (kv[1][0], kv[1][1]))
        step = labels.union(spread).reduceByKey(min, partitions).persist(storage_level())
        jumped = step.map(lambda vl: (vl[1], vl[0])).join(step, partitions).map(lambda kv: (kv[1][0], kv[1][1]))
        new = step.union(jumped).reduceByKey(min, partitions).persist(storage_level())
        changed = new.join(labels, partitions).filter(lambda kv: kv[1][0] != kv[1][1]).count()
        step.unpersist()
        labels.unpersist()
        labels = new
        if changed == 0:
            adj.unpersist()
            return labels
    raise RuntimeError(f"connected components did not settle in {max_rounds} rounds")


def driver_components(edges: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Connected components of a (small) edge list with a union-find on the driver.

    Returns:
        ``(node, label)`` pairs, ``label`` being the smallest id of the component.
    """
    uf = UnionFind()
    for a, b in edges:
        uf.union(a, b)
    return [(node, group[0]) for group in uf.groups() for node in group]


def _cluster_first(item: tuple[Any, Iterable[str]]) -> Cluster:
    members = tuple(sorted(item[1]))
    return Cluster(members, members[0])


def _cluster_policy(item: tuple[Any, Iterable[Document]], policy: str) -> Cluster:
    docs = {d.id: d for d in item[1]}
    members = tuple(sorted(docs))
    return Cluster(members, choose_canonical(members, docs, policy))


# ---------------------------------------------------------------- the pipeline


def run_pipeline(
    documents: Any,
    config: Config,
    partitions: int,
    docs_per_batch: int = 1000,
    driver_cluster_edges: int = 1_000_000,
    background: Sequence[str] = (),
) -> PipelineResult:
    """Run the dedup pipeline on an RDD of documents.

    Args:
        documents: RDD of :class:`Document` with unique ids.
        config: Detection settings (the same as for ``dedup scan``).
        partitions: Partitions of every shuffle.
        docs_per_batch: Documents per ``prepare`` call inside a partition.
        driver_cluster_edges: Up to this many duplicate/near-duplicate pairs,
            clusters are found by a union-find on the driver (the edge list is
            collected: measured peak about 700 bytes per edge with 40-character
            ids, so 1,000,000 edges take about 0.7 GB of driver memory); above it, by min-label propagation in
            Spark (:func:`connected_components`).
        background: Background documents of the same-story tier (their texts;
            broadcast to the workers).

    Returns:
        Sorted RDDs of document summaries (dicts), passages, pairs and
        clusters, and counters.
    """
    prepared = documents.mapPartitions(lambda it: _prepare_partition(it, config, docs_per_batch)).persist(
        storage_level()
    )
    # Tables joined more than once are hash-partitioned once and kept; the other side of
    # each join is partitioned the same way, so PySpark's join does not reshuffle them.
    docrecs = prepared.filter(lambda r: r[0] == 0).map(lambda r: (r[1].id, r[1])).partitionBy(partitions)
    docrecs = docrecs.persist(storage_level())
    texts = (
        prepared.filter(lambda r: r[0] == 1)
        .map(lambda r: r[1])
        .reduceByKey(lambda a, b: a, partitions)
        .persist(storage_level())
    )
    shingles = texts.mapValues(lambda v: v[0])

    # LSH: explode (band, key), group, confirm band values.
    bands, rows = lsh_params(config.threshold, config.num_perm)
    candidates = (
        texts.mapPartitions(lambda it: _band_partition(it, bands, rows))
        .groupByKey(partitions)
        .filter(lambda kv: len(kv[1]) > 1)
        .flatMap(_band_group_pairs)
        .distinct(partitions)
        .partitionBy(partitions)
    )
    # Verify exact Jaccard on the shingle sets.
    verified = (
        candidates.join(shingles, partitions)
        .map(lambda kv: (kv[1][0], (kv[0], kv[1][1])))
        .partitionBy(partitions)
        .join(shingles, partitions)
        .mapPartitions(lambda it: _verify_partition(it, config.threshold, config.min_shared))
        .persist(storage_level())
    )
    verified_all = verified
    verified = verified_all.filter(lambda kv: kv[1][1]).mapValues(lambda v: v[0]).persist(storage_level())

    # Boilerplate: the same rule as dedup.boilerplate, on distributed document frequencies.
    bp_persisted: tuple[Any, ...] = ()
    boilerplate = None
    if config.boilerplate:
        masks, bp_persisted = _boilerplate_rows(docrecs, verified_all, config, partitions, driver_cluster_edges)
        plain = docrecs
        docrecs = (
            plain.leftOuterJoin(masks, partitions)
            .mapValues(lambda v: _with_mask((v[0], list(v[1]) if v[1] is not None else [])))
            .partitionBy(partitions)
            .persist(storage_level())
        )
        bp_persisted = (*bp_persisted, plain)
        by_text = docrecs.flatMap(
            lambda kv: [
                (ck, (kv[0], i, s, e, n))
                for i, (ck, s, e, n, x) in enumerate(
                    zip(
                        kv[1].cks,
                        np.frombuffer(kv[1].start, dtype=I64).tolist(),
                        np.frombuffer(kv[1].end, dtype=I64).tolist(),
                        kv[1].ntokens_list(),
                        kv[1].excluded().tolist(),
                    )
                )
                if x
            ]
        )
        entries = by_text.groupByKey(partitions).map(_boilerplate_entries)
        texts_by_id = documents.map(lambda d: (d.id, d.text))
        boilerplate = (
            entries.map(lambda b: (b.occurrences[0].doc, b))
            .join(texts_by_id, partitions)
            .map(lambda kv: (kv[1][0], kv[1][1][kv[1][0].occurrences[0].start : kv[1][0].occurrences[0].end]))
            .sortBy(lambda bt: bt[0], True, partitions)
        )

    # Paragraph matches keyed by (doc_a, doc_b).
    occurrences = (
        docrecs.flatMap(
            lambda kv: [(ck, (kv[0], i)) for i, (ck, x) in enumerate(zip(kv[1].cks, kv[1].excluded())) if not x]
        )
        .groupByKey(partitions)
        .persist(storage_level())
    )
    identical = occurrences.filter(lambda kv: len(kv[1]) > 1).flatMap(_identical_matches)
    similar = (
        verified.map(lambda kv: (kv[0][0], (kv[0][1], kv[1])))
        .partitionBy(partitions)
        .join(occurrences, partitions)
        .map(lambda kv: (kv[1][0][0], (kv[1][0][1], list(kv[1][1]))))
        .partitionBy(partitions)
        .join(occurrences, partitions)
        .flatMap(_similar_matches)
    )
    same_docs = (
        docrecs.filter(lambda kv: kv[1].key)  # a document without words duplicates nothing
        .map(lambda kv: (kv[1].key, kv[0]))
        .groupByKey(partitions)
        .filter(lambda kv: len(kv[1]) > 1)
    )
    doc_pairs = identical.union(similar).union(same_docs.flatMap(_identical_doc_pairs))
    align_persisted: tuple[Any, ...] = ()
    capped = 0
    if config.align:
        # Alignment candidates from the anchor index of the whole corpus (partner cap applied).
        anchored, align_persisted, capped = anchor_candidate_pairs(docrecs, config, partitions)
        doc_pairs = doc_pairs.union(anchored.map(lambda ab: (ab, ANCHORED)))
    doc_pairs = doc_pairs.groupByKey(partitions)

    # Passages and pairs per document pair, on a two-document table.
    outputs = (
        doc_pairs.map(lambda kv: (kv[0][0], (kv[0][1], list(kv[1]))))
        .partitionBy(partitions)
        .join(docrecs, partitions)
        .map(lambda kv: (kv[1][0][0], (kv[0], kv[1][0][1], kv[1][1])))
        .partitionBy(partitions)
        .join(docrecs, partitions)
        .flatMap(lambda item: _doc_pair_outputs(item, config))
        .persist(storage_level())
    )
    passages = outputs.filter(lambda r: r[0] == 0).map(lambda r: r[1])
    copies = outputs.filter(lambda r: r[0] == 1).map(lambda r: r[1])
    pairs = copies
    story_persisted: tuple[Any, ...] = ()
    if config.story:
        n_docs = docrecs.count()
        story_pairs, near, story_persisted = story_tier(
            docrecs, copies, passages, config, background, n_docs, partitions
        )
        pairs = pairs.union(story_pairs)
        passages = passages.union(near)
    passages = passages.sortBy(lambda p: p, True, partitions)
    pairs = pairs.sortBy(lambda p: p, True, partitions).persist(storage_level())

    # Clusters.
    edges = copies.filter(lambda p: p.kind in CLUSTER_KINDS).map(lambda p: (p.a, p.b))
    edges = edges.persist(storage_level())
    n_edges = edges.count()
    if n_edges <= driver_cluster_edges:
        sc = documents.context
        labels = sc.parallelize(driver_components(edges.collect()), max(1, min(partitions, n_edges)))
    else:
        labels = connected_components(edges, partitions)
    if config.canonical == "first":
        clusters = labels.map(lambda vl: (vl[1], vl[0])).groupByKey(partitions).map(_cluster_first)
    else:
        policy = config.canonical
        docs_by_id = documents.map(lambda d: (d.id, d))
        clusters = labels.join(docs_by_id, partitions).map(lambda kv: (kv[1][0], kv[1][1])).groupByKey(partitions)
        clusters = clusters.map(lambda kv: _cluster_policy(kv, policy))
    clusters = clusters.sortBy(lambda c: c, True, partitions)

    doc_summaries = docrecs.map(lambda kv: _doc_summary(kv[1])).sortBy(lambda d: d["id"], True, partitions)
    counts = {
        "documents": docrecs.count(),
        "paragraphs": docrecs.map(lambda kv: kv[1].paragraphs).sum(),
        "fingerprinted_paragraphs": docrecs.map(lambda kv: len(kv[1].cks)).sum(),
        "distinct_paragraphs": texts.count(),
        "verified_text_pairs": verified.count(),
    }
    if capped:
        # Documents aligned with their MAX_ALIGN_PARTNERS closest partners only (a bound that
        # changes results; dedup scan states it under "limits").
        counts["alignment_capped_documents"] = capped
    persisted = (
        prepared,
        docrecs,
        texts,
        verified_all,
        verified,
        occurrences,
        outputs,
        pairs,
        edges,
        *bp_persisted,
        *align_persisted,
        *story_persisted,
    )
    return PipelineResult(doc_summaries, passages, pairs, clusters, counts, persisted, boilerplate)


def _doc_summary(rec: DocRecord) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": rec.id, "chars": rec.chars, "paragraphs": rec.paragraphs}
    if rec.date:
        entry["date"] = rec.date
    return entry
