"""Boilerplate: paragraphs a site repeats across many otherwise unrelated documents.

Navigation lines, "Other News" link lists, "Share this" lines and footers
repeat verbatim across the articles of one site. They are not evidence that
two articles are copies, so they are reported once and left out of pair
scores and passages.

A distinct paragraph text (identical after normalization) is boilerplate when

1. it (or a near-identical text: paragraphs linked by verified MinHash
   matches at ``Config.threshold``, such as a dateline that changes every
   day) occurs in at least ``Config.boilerplate_min_docs`` documents, and
2. those documents otherwise share little: for each of them, the share of
   its fingerprinted tokens lying in paragraphs that also occur in another of
   those documents (the boilerplate block itself included) is computed, and
   the median share must be at most ``Config.boilerplate_max_shared``.

Rule 2 keeps a story re-published by five outlets from being called
boilerplate: all its paragraphs repeat in the same five documents, so each
document shares most of its text with the others. Paragraph texts with the
same set of documents are judged together (one block).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .config import Config
from .models import Boilerplate, Span
from .paragraphs import ParagraphTable

__all__ = ["Boilerplate", "boilerplate_rows", "find_boilerplate", "shared_median"]


def boilerplate_rows(
    table: ParagraphTable, config: Config, verified: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """Boolean mask of the table rows that are boilerplate.

    Args:
        table: The prepared paragraphs.
        config: Settings (``boilerplate``, ``boilerplate_min_docs``,
            ``boilerplate_max_shared``).
        verified: ``match.verified_candidates(table, config.threshold)``,
            shared with :func:`dedup.match.paragraph_matches`; computed here
            when not given.

    Returns:
        A boolean array, one entry per row.
    """
    n_rows = len(table)
    mask = np.zeros(n_rows, dtype=bool)
    if not config.boilerplate or n_rows == 0:
        return mask
    n_groups = len(table.group_keys)
    comp = _near_components(table, config, verified)
    group_col = comp[table.group]
    # Distinct (text, doc) occurrences, texts being near-identical components.
    code = np.unique(group_col * np.int64(max(1, int(table.doc.max()) + 1)) + table.doc)
    n_docs_all = max(1, int(table.doc.max()) + 1)
    g_of, d_of = code // n_docs_all, code % n_docs_all
    df = np.bincount(g_of, minlength=n_groups)
    candidates = np.flatnonzero(df >= config.boilerplate_min_docs)
    if not len(candidates):
        return mask
    # Candidates with the same document set form one block.
    blocks: dict[bytes, list[int]] = defaultdict(list)
    order = np.argsort(g_of, kind="stable")
    starts = np.searchsorted(g_of[order], candidates)
    for g, s in zip(candidates.tolist(), starts.tolist()):
        docs = d_of[order[s : s + df[g]]]
        blocks[np.sort(docs).tobytes()].append(g)
    weight = table.ntokens.astype(np.float64)
    is_bp = np.zeros(n_groups, dtype=bool)
    # Rows of document d: by_doc[doc_start[d]:doc_start[d + 1]].
    by_doc = np.argsort(table.doc, kind="stable")
    doc_start = np.searchsorted(table.doc[by_doc], np.arange(n_docs_all + 1))
    for key in sorted(blocks):
        docs = np.frombuffer(key, dtype=np.int64)
        lens = doc_start[docs + 1] - doc_start[docs]
        rows = by_doc[np.repeat(doc_start[docs] - np.cumsum(lens) + lens, lens) + np.arange(int(lens.sum()))]
        local_doc = np.repeat(np.arange(len(docs)), lens)
        if shared_median(local_doc, group_col[rows], weight[rows], len(docs)) <= config.boilerplate_max_shared:
            is_bp[blocks[key]] = True
    return is_bp[group_col]


def shared_median(local_doc: np.ndarray, texts: np.ndarray, weights: np.ndarray, n_docs: int) -> float:
    """The test of one block of documents that share a repeated text.

    Every paragraph text (near-identical texts joined) held by the same set
    of at least ``boilerplate_min_docs`` documents forms a block; the block's
    texts are boilerplate when, for the median document of the set, at most
    ``boilerplate_max_shared`` of its tokens lie in paragraphs whose text
    occurs in two or more of the set's documents (copies of one article share
    nearly everything; pages of one site share only their navigation).

    Args:
        local_doc: Per paragraph row of the block's documents, the document's
            position in the block (``0 .. n_docs - 1``).
        texts: Per row, its text (component) id.
        weights: Per row, its token count.
        n_docs: Documents in the block.

    Returns:
        The median, over the block's documents, of the token share of their
        rows whose text occurs in at least two of them.

    Example:
        >>> docs = np.array([0, 0, 1, 1]); texts = np.array([7, 1, 7, 2])
        >>> shared_median(docs, texts, np.array([1.0, 3.0, 1.0, 3.0]), 2)
        0.25
    """
    pair_code = np.unique(texts * np.int64(n_docs) + local_doc)
    uniq, counts = np.unique(pair_code // n_docs, return_counts=True)
    shared_row = np.isin(texts, uniq[counts >= 2])
    total = np.bincount(local_doc, weights=weights, minlength=n_docs)
    shared = np.bincount(local_doc, weights=weights * shared_row, minlength=n_docs)
    frac = np.divide(shared, total, out=np.zeros(n_docs), where=total > 0)
    return float(np.median(frac))


def _near_components(
    table: ParagraphTable, config: Config, verified: tuple[np.ndarray, np.ndarray] | None
) -> np.ndarray:
    """Component id (a group index) of each distinct text, joining near-identical texts."""
    from .match import verified_candidates

    n = len(table.group_keys)
    parent = np.arange(n)
    if n < 2:
        return parent
    kept, _ = verified if verified is not None else verified_candidates(table, config.threshold)

    if not len(kept):
        return parent
    a, b = kept[:, 0], kept[:, 1]
    # Min-label propagation with pointer jumping: converges in few rounds.
    while True:
        low = np.minimum(parent[a], parent[b])
        new = parent.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]
        if np.array_equal(new, parent):
            return parent
        parent = new


def find_boilerplate(
    table: ParagraphTable, mask: np.ndarray, doc_ids: list[str] | tuple[str, ...]
) -> list[Boilerplate]:
    """Group boilerplate rows into one report entry per paragraph text.

    Args:
        table: The prepared paragraphs.
        mask: Output of :func:`boilerplate_rows`.
        doc_ids: Document id of each document index.

    Returns:
        Entries sorted by their first occurrence.
    """
    by_group: dict[int, list[int]] = defaultdict(list)
    for r in np.flatnonzero(mask).tolist():
        by_group[int(table.group[r])].append(r)
    out = []
    for rows in by_group.values():
        spans = tuple(sorted(Span(doc_ids[int(table.doc[r])], int(table.start[r]), int(table.end[r])) for r in rows))
        docs = len({int(table.doc[r]) for r in rows})
        out.append(Boilerplate(spans, docs, int(table.ntokens[rows[0]])))
    return sorted(out)
