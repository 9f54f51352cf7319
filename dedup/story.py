"""The same-story tier: are two documents the same story, rewritten?

Copies share long runs of words; rewrites of one story (syndication,
paraphrase, translation-style rewrites) share almost none, but they name the
same people, places, numbers and events. The story score captures that with
two numpy-only views of each document, both built from the scanned corpus
(plus an optional background corpus) and nothing else, so it works offline:

1. **TF-IDF.** Terms are the document's word tokens
   (:func:`dedup.normalize.tokens`) without English stop words, lightly
   stemmed (plural ``-s``/``-ies``, ``-ing``, ``-ed``). Weights are sublinear
   (``1 + ln tf``) times IDF ``ln((N + 1) / (df + 1)) + 1`` where ``N`` and
   ``df`` count the corpus and the background documents; vectors ``x`` are
   L2-normalized.
2. **Relevance feedback** (Rocchio-style query expansion, with the background
   and corpus documents as references). Each document's TF-IDF cosines with
   the references are computed; its :data:`FEEDBACK_DOCS` most similar
   references other than itself are its neighbours, each weighted by how far
   its cosine exceeds the document's mean cosine with all references (so
   references no closer than average add nothing, and two documents compared
   on their own keep their TF-IDF cosine). The expanded vector is
   ``e = x + FEEDBACK_WEIGHT * sum_j w_j x_j``. Two rewrites of one story
   name different words but resemble the same references, so their expanded
   vectors agree where their own wording differs.

``story = cos(e_a, e_b)``, in ``[0, 1]``. It is computed exactly from the
TF-IDF rows, each document's :data:`TOP_SIMS` largest reference cosines and
the references' Gram matrix, without building the (dense) expanded vectors.
At most :data:`MAX_REFERENCES` documents serve as references (background
first, then evenly spaced corpus documents), so the cost is
``O(n * terms * reference-df)``, not ``O(n**2)``. The level of the score
depends on the corpus (documents in a corpus of one topic lean towards each
other); a pair is only called ``same_story`` when its plain TF-IDF cosine also
reaches ``story_min_tfidf``.

Candidate pairs (for scans) come from an inverted index over each document's
:data:`TOP_TERMS` heaviest terms: two documents are candidates when they share
at least :data:`MIN_SHARED_TERMS` of them. Terms that are among the top terms
of more than :data:`MAX_POSTING` documents are skipped (they name no single
story), which keeps candidate generation sub-quadratic. Every candidate is
then scored exactly.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from .config import Config
from .errors import ConfigError, InputError
from .models import Pair, Passage
from .normalize import normalize, tokens

__all__ = [
    "FEEDBACK_DOCS",
    "FEEDBACK_WEIGHT",
    "MAX_POSTING",
    "MAX_REFERENCES",
    "MIN_SHARED_TERMS",
    "STOPWORDS",
    "STORY_MODELS",
    "TOP_SIMS",
    "TOP_TERMS",
    "StoryModel",
    "load_background",
    "pair_dots",
    "same_story_tier",
    "story_terms",
]

#: Story models: the numpy TF-IDF/feedback default, and the optional embedding extra.
STORY_MODELS = ("tfidf", "minilm")
#: Reference documents (neighbours) that expand each document's vector.
FEEDBACK_DOCS = 30
#: Weight ``beta`` of the neighbours in the expanded vector.
FEEDBACK_WEIGHT = 2.0
#: Most documents used as references (background first, then corpus).
MAX_REFERENCES = 2000
#: Terms found in at least this many references are multiplied densely (one
#: BLAS product) rather than through their postings (measured: 7.9 s -> 1.0 s
#: for 5,000 documents and 2,000 references).
DENSE_MIN_REFS = 64
#: Largest reference cosines kept per document for the cross terms ``x_a . q_b``
#: (exact while there are at most this many references; beyond, a neighbour of
#: ``b`` outside ``a``'s top cosines counts as 0: Lee Pearson 0.7435 against
#: 0.7409 computed exactly).
TOP_SIMS = 64
#: Heaviest terms per document used for candidate generation.
TOP_TERMS = 20
#: Top terms two documents must share to become candidates.
MIN_SHARED_TERMS = 2
#: A term heading more documents' top terms than this is not used for candidates.
MAX_POSTING = 200

# Entries expanded at once in sparse joins (bounds memory).
_CHUNK = 4_000_000

_STOPWORD_TEXT = """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me more
most my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves said says say mr mrs ms one two new year years told may
might must shall us s t
"""

#: English stop words left out of story terms.
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed"):
        return word[:-2]
    return word


def story_terms(text: str) -> list[str]:
    """The terms of a text for the story score.

    Args:
        text: Any text.

    Returns:
        Normalized word tokens without stop words and one-letter words, lightly
        stemmed, in order.

    Example:
        >>> story_terms("The schools were visited by the ministers.")
        ['school', 'visit', 'minister']
    """
    return [_stem(w) for w in tokens(normalize(text)) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


def load_background(path: str) -> list[str]:
    """Read a background corpus.

    Args:
        path: A file with one document per non-empty line (like
            ``lee_background.cor``), or a folder whose ``.txt``/``.md`` files
            are one document each.

    Returns:
        The background documents' texts.

    Raises:
        InputError: The path cannot be read.
    """
    from .io.readers import decode_bytes, read_paths

    if os.path.isdir(path):
        outcome = read_paths([path])
        return [d.text for d in outcome.documents]
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise InputError(path, exc.strerror or str(exc)) from None
    text, _ = decode_bytes(data, path)
    return [line for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class _Csr:
    """Rows of sparse vectors: row ``i`` is ``indices/data[indptr[i]:indptr[i+1]]`` (indices sorted)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)


def _ranges(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """The positions ``starts[k] .. starts[k] + lens[k] - 1`` of every range, concatenated."""
    offs = np.arange(int(lens.sum()), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
    return np.repeat(starts, lens) + offs


def _expand_rows(csr: _Csr, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each requested row, all its entries: (owner position, index, value)."""
    lens = csr.lengths()[rows]
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), lens)
    pos = _ranges(csr.indptr[rows], lens)
    return owner, csr.indices[pos], csr.data[pos]


def pair_dots(csr: _Csr, pairs: np.ndarray, other: _Csr | None = None) -> np.ndarray:
    """Dot products of row pairs of sparse matrices, vectorised.

    Pairs are grouped by their first row; a chunk of first rows is scattered
    into a dense block, and every second row's entries are gathered from it.

    Args:
        csr: The rows of the pairs' first elements.
        pairs: ``(m, 2)`` row index pairs.
        other: The rows of the pairs' second elements (default ``csr``).

    Returns:
        ``m`` dot products.
    """
    other = csr if other is None else other
    m = len(pairs)
    out = np.zeros(m, dtype=np.float64)
    if m == 0 or len(csr.indices) == 0 or len(other.indices) == 0:
        return out
    n_cols = max(int(csr.indices.max()), int(other.indices.max())) + 1
    order = np.argsort(pairs[:, 0], kind="stable")
    firsts, starts = np.unique(pairs[order, 0], return_index=True)
    bounds = np.append(starts, m)
    other_lens = other.lengths()
    rows_per_chunk = max(1, _CHUNK // n_cols)
    c0 = 0
    while c0 < len(firsts):
        # Bound both the dense block and the gathered entries.
        c1 = min(len(firsts), c0 + rows_per_chunk)
        sel = order[bounds[c0] : bounds[c1]]
        while c1 - c0 > 1 and int(other_lens[pairs[sel, 1]].sum()) > _CHUNK:
            c1 = c0 + (c1 - c0) // 2
            sel = order[bounds[c0] : bounds[c1]]
        chunk = firsts[c0:c1]
        dense = np.zeros((len(chunk), n_cols))
        oa, ia, va = _expand_rows(csr, chunk)
        dense[oa, ia] = va
        local = np.searchsorted(chunk, pairs[sel, 0])
        ob, ib, vb = _expand_rows(other, pairs[sel, 1])
        out[sel] = np.bincount(ob, weights=dense[local[ob], ib] * vb, minlength=len(sel))
        c0 = c1
    return out


def _tfidf(term_lists: Sequence[Sequence[str]]) -> tuple[_Csr, np.ndarray]:
    """TF-IDF rows of all term lists; IDF counts every list (corpus + background).

    Returns the rows and the vocabulary (sorted terms).
    """
    lens = np.fromiter((len(t) for t in term_lists), dtype=np.int64, count=len(term_lists))
    seen: dict[str, int] = {}
    first_ids = np.fromiter(
        (seen.setdefault(w, len(seen)) for t in term_lists for w in t), dtype=np.int64, count=int(lens.sum())
    )
    if len(first_ids) == 0:
        empty = _Csr(np.zeros(len(term_lists) + 1, dtype=np.int64), np.empty(0, np.int64), np.empty(0))
        return empty, np.empty(0, dtype=object)
    # Term ids in sorted term order (independent of document order).
    vocab = np.array(sorted(seen), dtype=object)
    rank = np.empty(len(seen), dtype=np.int64)
    rank[np.array([seen[w] for w in vocab], dtype=np.int64)] = np.arange(len(seen))
    ids = rank[first_ids]
    owner = np.repeat(np.arange(len(term_lists), dtype=np.int64), lens)
    v = len(vocab)
    key, tf = np.unique(owner * v + ids, return_counts=True)
    rows, cols = key // v, key % v
    df = np.bincount(cols, minlength=v).astype(np.float64)
    n = len(term_lists)
    idf = np.log((n + 1.0) / (df + 1.0)) + 1.0
    w = (1.0 + np.log(tf)) * idf[cols]
    norms = np.sqrt(np.bincount(rows, weights=w * w, minlength=n))
    w = w / np.where(norms > 0, norms, 1.0)[rows]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return _Csr(indptr, cols, w), vocab


@dataclass(frozen=True)
class _Feedback:
    """Relevance-feedback neighbours of every corpus document (see the module doc).

    ``nbr_idx``/``nbr_w``: ``(n, k)`` neighbour reference positions and weights;
    ``sims``: each document's largest cosines with the reference documents (CSR
    over reference positions); ``gram``: the reference documents' cosines with
    each other (dense); ``norms``: the length of each expanded vector.
    """

    nbr_idx: np.ndarray
    nbr_w: np.ndarray
    sims: _Csr
    gram: np.ndarray
    norms: np.ndarray

    def neighbours(self) -> _Csr:
        n, k = self.nbr_idx.shape
        return _Csr(np.arange(0, n * k + 1, k, dtype=np.int64), self.nbr_idx.reshape(-1), self.nbr_w.reshape(-1))

    def qq(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``q_a . q_b`` for row pairs, in chunks (``k * k`` Gram lookups per pair)."""
        out = np.empty(len(a))
        k = max(1, self.nbr_idx.shape[1])
        step = max(1, _CHUNK // (k * k))
        for s in range(0, len(a), step):
            ia, ib = self.nbr_idx[a[s : s + step]], self.nbr_idx[b[s : s + step]]
            g = self.gram[ia[:, :, None], ib[:, None, :]]
            out[s : s + step] = np.einsum("pi,pij,pj->p", self.nbr_w[a[s : s + step]], g, self.nbr_w[b[s : s + step]])
        return out


def _feedback(x: _Csr, n: int, refs: np.ndarray, k: int, beta: float) -> _Feedback:
    """Neighbours among the reference rows for the first ``n`` rows of ``x``.

    A document's cosines with every reference document are computed through
    the references' term postings (chunked, bounded memory); its neighbours
    are the ``k`` most similar references other than itself, weighted by how
    far their cosine exceeds the document's mean cosine with the references.
    """
    nr = len(refs)
    k = min(k, max(nr - 1, 0))
    m_top = min(nr, TOP_SIMS)
    x_norms = np.sqrt(
        np.bincount(np.repeat(np.arange(n), x.lengths()[:n]), weights=x.data[: x.indptr[n]] ** 2, minlength=n)
    )
    if n == 0 or nr == 0 or k == 0 or len(x.indices) == 0:
        no_sims = _Csr(np.zeros(n + 1, dtype=np.int64), np.empty(0, np.int64), np.empty(0))
        return _Feedback(np.zeros((n, k), dtype=np.int64), np.zeros((n, k)), no_sims, np.zeros((nr, nr)), x_norms)
    # Postings of the reference rows by term.
    r_owner, r_term, r_val = _expand_rows(x, refs)
    order = np.argsort(r_term, kind="stable")
    r_owner, r_term, r_val = r_owner[order], r_term[order], r_val[order]
    n_terms = int(x.indices.max()) + 1
    post_start = np.searchsorted(r_term, np.arange(n_terms))
    post_len = np.bincount(r_term, minlength=n_terms)
    # Terms in many references go through one dense matrix product (BLAS);
    # the rest through their postings, whose cost is their length.
    heavy_terms = np.flatnonzero(post_len >= DENSE_MIN_REFS)
    heavy_col = np.full(n_terms, -1, dtype=np.int64)
    heavy_col[heavy_terms] = np.arange(len(heavy_terms))
    heavy = np.zeros((len(heavy_terms), nr))
    in_heavy = heavy_col[r_term] >= 0
    heavy[heavy_col[r_term[in_heavy]], r_owner[in_heavy]] = r_val[in_heavy]
    post_len = np.where(heavy_col >= 0, 0, post_len)
    ref_pos = np.full(len(x), -1, dtype=np.int64)
    ref_pos[refs] = np.arange(nr)
    # Rows needing cosines: the corpus documents, and the references (Gram matrix).
    rows_all = np.union1d(np.arange(n, dtype=np.int64), refs)
    gram = np.zeros((nr, nr))
    nbr_idx = np.zeros((n, k), dtype=np.int64)
    nbr_w = np.zeros((n, k))
    top_idx = np.zeros((n, m_top), dtype=np.int32)  # 8 bytes per kept cosine
    top_val = np.zeros((n, m_top), dtype=np.float32)
    xq = np.zeros(n)
    row_cost = post_len[x.indices].astype(np.float64).sum() / max(1, len(x))
    chunk_rows = max(1, int(_CHUNK // (row_cost + nr + len(heavy_terms))))
    for first in range(0, len(rows_all), chunk_rows):
        rows = rows_all[first : first + chunk_rows]
        owner, term, val = _expand_rows(x, rows)
        dense = np.zeros((len(rows), len(heavy_terms)))
        hv = heavy_col[term] >= 0
        dense[owner[hv], heavy_col[term[hv]]] = val[hv]
        owner, term, val = owner[~hv], term[~hv], val[~hv]
        cnt = post_len[term]
        rep_owner = np.repeat(owner, cnt)
        rep_val = np.repeat(val, cnt)
        pos = _ranges(post_start[term], cnt)
        sims = np.bincount(rep_owner * nr + r_owner[pos], weights=rep_val * r_val[pos], minlength=len(rows) * nr)
        sims = sims.reshape(len(rows), nr) + dense @ heavy
        is_ref = ref_pos[rows] >= 0
        gram[ref_pos[rows[is_ref]]] = sims[is_ref]
        corpus = rows < n
        if not corpus.any():
            continue
        cr = rows[corpus]
        s = sims[corpus]
        own = ref_pos[cr]
        has_self = own >= 0
        base = (s.sum(axis=1) - np.where(has_self, s[np.arange(len(cr)), np.maximum(own, 0)], 0.0)) / np.maximum(
            nr - has_self, 1
        )
        ranked = s.copy()
        ranked[np.flatnonzero(has_self), own[has_self]] = -np.inf  # never one's own neighbour
        part = _top_k(ranked, k)
        part_s = np.take_along_axis(s, part, axis=1)
        w = np.maximum(part_s - base[:, None], 0.0)
        nbr_idx[cr], nbr_w[cr] = part, w
        xq[cr] = (w * part_s).sum(axis=1)
        tp = _top_k(s, m_top)
        top_idx[cr], top_val[cr] = tp, np.take_along_axis(s, tp, axis=1)
    top = _Csr(np.arange(0, n * m_top + 1, m_top, dtype=np.int64), top_idx.reshape(-1), top_val.reshape(-1))
    fb = _Feedback(nbr_idx, nbr_w, top, gram, x_norms)
    # |e|^2 = |x|^2 + 2 beta x.q + beta^2 q.q
    rows = np.arange(n)
    sq = x_norms**2 + 2.0 * beta * xq + beta * beta * fb.qq(rows, rows)
    return replace(fb, norms=np.sqrt(np.maximum(sq, 0.0)))


def _top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Column positions of each row's ``k`` largest values, sorted by position."""
    if k >= values.shape[1]:
        return np.broadcast_to(np.arange(values.shape[1]), values.shape).copy()
    return np.sort(np.argpartition(-values, k - 1, axis=1)[:, :k], axis=1)


class StoryModel:
    """Story vectors of a corpus; scores document pairs.

    Args:
        texts: The corpus documents' texts (row ``i`` is document ``i``).
        background: Extra documents used only for IDF statistics and as
            references.
        model: ``"tfidf"`` (default, numpy only) or ``"minilm"`` (embedding
            cosine; needs the ``embeddings`` extra).
        encoder: Text encoder for ``"minilm"`` (default: the packaged model).

    Raises:
        ConfigError: Unknown model.
        MissingDependencyError: ``"minilm"`` without the extra installed.

    Example:
        >>> m = StoryModel(["Flood hits the river town", "River town flooded", "Budget vote"])
        >>> s = m.scores(np.array([[0, 1], [0, 2]]))
        >>> bool(s[0] > s[1])
        True
    """

    def __init__(
        self,
        texts: Sequence[str],
        background: Sequence[str] = (),
        model: str = "tfidf",
        encoder: Callable[[list[str]], np.ndarray] | None = None,
    ) -> None:
        if model not in STORY_MODELS:
            raise ConfigError(f"story model must be one of {', '.join(STORY_MODELS)}, got {model!r}")
        self.model = model
        self.n = len(texts)
        self._emb: np.ndarray | None = None
        if model == "minilm":
            from .embed import document_embeddings

            self._emb = document_embeddings(texts, encoder)
        term_lists = [story_terms(t) for t in texts] + [story_terms(t) for t in background]
        x, self.vocab = _tfidf(term_lists)
        self._x = x
        nb = len(background)
        bg_rows = np.arange(self.n, self.n + nb, dtype=np.int64)[:MAX_REFERENCES]
        room = MAX_REFERENCES - len(bg_rows)
        if room >= self.n:
            corpus_rows = np.arange(self.n, dtype=np.int64)
        else:
            corpus_rows = np.unique(np.linspace(0, self.n - 1, room).astype(np.int64)) if room > 0 else np.empty(0)
        self._refs = np.concatenate([bg_rows, corpus_rows]).astype(np.int64)
        self._fb_cache: _Feedback | None = None

    @property
    def _fb(self) -> _Feedback:
        """The feedback neighbours, computed on first use (the embedding model never needs them)."""
        if self._fb_cache is None:
            self._fb_cache = _feedback(self._x, self.n, self._refs, FEEDBACK_DOCS, FEEDBACK_WEIGHT)
        return self._fb_cache

    def tfidf_scores(self, pairs: np.ndarray) -> np.ndarray:
        """TF-IDF cosine of each document pair."""
        return np.clip(pair_dots(self._x, np.asarray(pairs, dtype=np.int64).reshape(-1, 2)), 0.0, 1.0)

    def feedback_scores(self, pairs: np.ndarray) -> np.ndarray:
        """Cosine of the feedback-expanded vectors of each document pair (the default story score).

        With ``e = x + beta * q`` (see the module doc), ``e_a . e_b`` is
        ``x_a.x_b + beta (x_a.q_b + q_a.x_b) + beta**2 q_a.q_b``: the first
        term from the TF-IDF rows, the cross terms from each document's
        largest reference cosines, the last from the references' Gram
        matrix, so the expanded vectors are never built.
        """
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        fb, beta = self._fb, FEEDBACK_WEIGHT
        a, b = pairs[:, 0], pairs[:, 1]
        nbrs = fb.neighbours()
        dot = pair_dots(self._x, pairs)
        dot += beta * (pair_dots(fb.sims, pairs, nbrs) + pair_dots(fb.sims, pairs[:, ::-1], nbrs))
        dot += beta * beta * fb.qq(a, b)
        den = fb.norms[a] * fb.norms[b]
        return np.clip(np.divide(dot, den, out=np.zeros_like(dot), where=den > 0), 0.0, 1.0)

    def scores(self, pairs: np.ndarray) -> np.ndarray:
        """The story score (0..1) of each document pair.

        With ``model="minilm"`` it is the cosine of the documents' embeddings
        (see :mod:`dedup.embed`); otherwise the cosine of the
        relevance-feedback-expanded TF-IDF vectors.

        Args:
            pairs: ``(m, 2)`` document index pairs.

        Returns:
            ``m`` scores.
        """
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        if self._emb is not None:
            e = self._emb
            return np.clip(np.einsum("ij,ij->i", e[pairs[:, 0]], e[pairs[:, 1]]), 0.0, 1.0)
        return self.feedback_scores(pairs)

    def candidates(self) -> np.ndarray:
        """Document pairs sharing enough top terms (sub-quadratic).

        Returns:
            A sorted ``(m, 2)`` array of pairs ``(i, j)``, ``i < j``, of corpus
            documents.
        """
        x = self._x
        n = self.n
        if n < 2:
            return np.empty((0, 2), dtype=np.int64)
        owner_all = np.repeat(np.arange(n, dtype=np.int64), x.lengths()[:n])
        end = int(x.indptr[n])
        terms, vals = x.indices[:end], x.data[:end]
        # Rank each document's terms by weight (ties by term id) and keep the top ones.
        order = np.lexsort((terms, -vals, owner_all))
        owner_s, terms_s = owner_all[order], terms[order]
        rank = np.arange(len(order)) - np.repeat(x.indptr[:n], x.lengths()[:n])
        keep = rank < TOP_TERMS
        owner_s, terms_s = owner_s[keep], terms_s[keep]
        order = np.lexsort((owner_s, terms_s))
        owner_s, terms_s = owner_s[order], terms_s[order]
        bound = np.flatnonzero(np.diff(terms_s)) + 1
        starts = np.concatenate([[0], bound])
        sizes = np.diff(np.concatenate([starts, [len(terms_s)]]))
        found = []
        for s, z in zip(
            starts[(sizes > 1) & (sizes <= MAX_POSTING)].tolist(), sizes[(sizes > 1) & (sizes <= MAX_POSTING)].tolist()
        ):
            members = owner_s[s : s + z]
            ii, jj = np.triu_indices(z, k=1)
            found.append(members[ii] * n + members[jj])
        if not found:
            return np.empty((0, 2), dtype=np.int64)
        codes, counts = np.unique(np.concatenate(found), return_counts=True)
        codes = codes[counts >= MIN_SHARED_TERMS]
        return np.stack([codes // n, codes % n], axis=1)


def _blank_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    if not spans:
        return text
    parts, pos = [], 0
    for s, e in sorted(spans):
        parts.append(text[pos:s])
        pos = max(pos, e)
    parts.append(text[pos:])
    return "\n".join(parts)


def same_story_tier(
    texts: Sequence[str],
    doc_ids: Sequence[str],
    paragraphs: Sequence[Sequence[tuple[int, int]]],
    excluded: Sequence[Sequence[tuple[int, int]]],
    copy_pairs: set[tuple[int, int]],
    passages: Sequence[Passage],
    config: Config,
    background: Sequence[str] = (),
) -> tuple[list[Pair], list[Passage]]:
    """Run the same-story tier over a corpus.

    Args:
        texts: Document texts by index.
        doc_ids: Document ids by index (sorted).
        paragraphs: Per document, its fingerprinted paragraph spans (not
            boilerplate).
        excluded: Per document, spans left out of the story text
            (boilerplate).
        copy_pairs: Document index pairs already reported as copies; they are
            never reported as ``same_story``.
        passages: Passages found by the main matcher.
        config: Settings (``story_threshold``, ``story_min_tfidf``,
            ``near_*``).
        background: Background documents for IDF and as references.

    Returns:
        ``(same_story_pairs, near_passages)``; the pairs' ``a_in_b`` and
        ``b_in_a`` are the character shares of each document's fingerprinted
        paragraphs covered by passages shared with the other.
    """
    from .rewrites import near_paragraph_passages

    n = len(texts)
    if n < 2:
        return [], []
    model = StoryModel([_blank_spans(t, ex) for t, ex in zip(texts, excluded)], background, config.story_model)
    cands = model.candidates()
    if not len(cands):
        return [], []
    # A shared topic alone (neighbours in common) never makes a same-story pair:
    # the plain TF-IDF cosine is checked first, and only those pairs are scored.
    cands = cands[model.tfidf_scores(cands) >= config.story_min_tfidf]
    scores = model.scores(cands)
    keep = scores >= config.story_threshold
    chosen = [
        (int(a), int(b), float(s))
        for (a, b), s in zip(cands[keep].tolist(), scores[keep].tolist())
        if (a, b) not in copy_pairs
    ]
    index = {d: i for i, d in enumerate(doc_ids)}
    taken: dict[tuple[int, int], set[tuple[int, int, int]]] = {}
    by_pair: dict[tuple[int, int], list[Passage]] = {}
    for p in passages:
        a, b = index[p.a.doc], index[p.b.doc]
        if a != b:
            by_pair.setdefault((min(a, b), max(a, b)), []).append(p)
    chosen_pairs = [(a, b) for a, b, _ in chosen]
    # Paragraphs inside a main passage of the same two documents are skipped.
    for a, b in chosen_pairs:
        for p in by_pair.get((a, b), []):
            for side in (p.a, p.b):
                d = index[side.doc]
                for s, e in paragraphs[d]:
                    if s < side.end and e > side.start:
                        taken.setdefault((a, b), set()).add((d, s, e))
    near = near_paragraph_passages(texts, doc_ids, paragraphs, chosen_pairs, config, taken)
    for p in near:
        by_pair.setdefault((index[p.a.doc], index[p.b.doc]), []).append(p)
    para_chars = [sum(e - s for s, e in spans) for spans in paragraphs]
    out = []
    for a, b, score in chosen:
        shared = by_pair.get((a, b), [])
        cov_a = _covered(shared, doc_ids[a], para_chars[a])
        cov_b = _covered(shared, doc_ids[b], para_chars[b])
        out.append(Pair(doc_ids[a], doc_ids[b], "same_story", score, cov_a, cov_b, len(shared)))
    return out, near


def _covered(passages: Sequence[Passage], doc: str, total: int) -> float:
    if total <= 0:
        return 0.0
    spans = sorted((s.start, s.end) for p in passages for s in (p.a, p.b) if s.doc == doc)
    covered, reach = 0, -1
    for s, e in spans:
        s = max(s, reach)
        if e > s:
            covered += e - s
            reach = e
    return min(1.0, covered / total)
