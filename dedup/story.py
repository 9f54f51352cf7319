"""The same-story tier: are two documents the same story, rewritten?

Copies share long runs of words; rewrites of one story (syndication,
paraphrase, translation-style rewrites) share almost none, but they name the
same people, places, numbers and events. Topic vocabulary ("council",
"budget", "bushfire") is shared by every story of a subject area, so it must
not be enough; the story-specific part is what an editor checks: the rare
names, the numbers, the carried paragraph.

**A fixed reference for "what is typical".** Every weight comes from
statistics that do not move with the scanned corpus: the shipped reference
``dedup/data/story_reference.npz`` (term frequencies of general English,
built by ``benchmarks/build_story_reference.py`` from the ``wordfreq``
package's data, CC BY-SA 4.0, see ``dedup/data/README.md``), plus the
optional background corpus (``Config.story_background``), whose documents
add to the document frequencies and serve as relevance-feedback references.
The scanned documents themselves never enter the statistics, so a pair gets
the same score compared alone, among five files or among 10,000.

For two documents ``a`` and ``b`` (terms: :func:`story_terms`):

1. **Topic similarity** ``fb``: the cosine of TF-IDF vectors (sublinear TF,
   IDF from the reference and the background) expanded by relevance feedback
   over the background documents (Rocchio: each vector plus
   ``STABLE_FEEDBACK_WEIGHT`` times its :data:`STABLE_FEEDBACK_DOCS` nearest
   background documents, weighted by how far their cosine exceeds the
   document's mean cosine). Without a background it is the plain cosine.
2. **Specific overlap** ``spec``: the weighted overlap of the two documents'
   *specific terms*: terms rarer than :data:`SPECIFIC_PER_MILLION` per
   million words of the reference (names, places, rare words) or numbers of
   two or more digits, and, with a background, found in at most
   :data:`MAX_BACKGROUND_SHARE` of its documents (the subject area's
   vocabulary). A term's weight grows with its rarity (:func:`specificity`).
   ``spec = sum_shared w / sqrt(sum_a w * sum_b w)``.

``story = STORY_TOPIC_WEIGHT * fb + (1 - STORY_TOPIC_WEIGHT) * spec``, in
``[0, 1]``. A pair is ``same_story`` when ``story >= story_threshold``, its
plain TF-IDF cosine reaches ``story_min_tfidf``, it shares at least
:data:`MIN_SPECIFIC_SHARED` specific terms (with :data:`NUMBER_CHECK`, off
by default: it gives no disagreeing figures), the TF-IDF cosine of the two leads (first
:data:`LEAD_SENTENCES` sentences, :func:`lead_text`) reaches
:data:`MIN_LEAD_SIMILARITY` (two reports of one event lead with it; two days
of one running story share its names but lead with different news), and it is
no copy. Each such pair
carries its evidence (:class:`dedup.models.Pair` ``evidence``): the event's
facts both texts hold (names, dates, figures, phrases, :func:`event_facts`)
and the shared specific terms, as written in each text with offsets, the near
passages (paragraphs carried across the rewrite, :mod:`dedup.rewrites`) and a
reason quoting them.

The corpus-level relevance-feedback score of the previous release (the
corpus documents as references, IDF over corpus and background) is kept as
:meth:`StoryModel.feedback_scores`: it ranks pairs by topic well (Lee
Pearson 0.74) but moves with the corpus, so it is reported, never used for
the verdict.

Candidate pairs (for scans) come from an inverted index over each document's
:data:`TOP_TERMS` heaviest terms: two documents are candidates when they share
at least :data:`MIN_SHARED_TERMS` of them (a corpus of at most
:data:`ALL_PAIRS_MAX` pairs has every pair scored). Terms that are among the top terms
of more than :data:`MAX_POSTING` documents are skipped (they name no single
story); pairs are generated in bounded chunks, so memory stays
``O(chunk + candidates)``. Every candidate is then scored exactly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import chain, islice
from typing import Any, NamedTuple

import numpy as np

from .config import Config
from .errors import ConfigError, InputError
from .models import Pair, Passage
from .normalize import normalize, tokens
from .paragraphs import resolve_jobs
from .terms import STOPWORDS, stem, story_terms
from .workers import concat_rows, map_ordered, map_slices

__all__ = [
    "ALL_PAIRS_MAX",
    "FEEDBACK_DOCS",
    "FEEDBACK_WEIGHT",
    "LEAD_SENTENCES",
    "MAX_BACKGROUND_SHARE",
    "MAX_POSTING",
    "MAX_REFERENCES",
    "MIN_LEAD_SIMILARITY",
    "MIN_SHARED_TERMS",
    "MIN_SPECIFIC_OVERLAP",
    "MIN_SPECIFIC_SHARED",
    "SPECIFIC_PER_MILLION",
    "STABLE_FEEDBACK_DOCS",
    "STABLE_FEEDBACK_WEIGHT",
    "STOPWORDS",
    "STORY_MODELS",
    "STORY_TOPIC_WEIGHT",
    "TOP_SIMS",
    "TOP_TERMS",
    "StoryModel",
    "StoryReference",
    "event_facts",
    "lead_text",
    "load_background",
    "load_reference",
    "pair_dots",
    "same_story_tier",
    "specificity",
    "story_evidence",
    "story_model",
    "story_terms",
]

#: Story models: the numpy TF-IDF/feedback default, and the optional embedding extra.
STORY_MODELS = ("tfidf", "minilm")
#: Reference documents (neighbours) of the corpus-level ranking score (:meth:`StoryModel.feedback_scores`).
FEEDBACK_DOCS = 30
#: Weight ``beta`` of the neighbours in the corpus-level ranking score.
FEEDBACK_WEIGHT = 2.0
#: Background neighbours of the stable story score (chosen on the Lee design split, docs 1-25:
#: Pearson 0.741 there with 20, 0.723 with 10, at ``STORY_TOPIC_WEIGHT`` 0.75).
STABLE_FEEDBACK_DOCS = 20
#: Weight of the background neighbours in the stable story score.
STABLE_FEEDBACK_WEIGHT = 2.0
#: Most documents used as references (background first, then corpus, for the ranking score).
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
#: Top terms two documents must share to become candidates (3: on a 2,000-article bench corpus,
#: 8,927 candidates instead of 82,401 with 2, keeping 171 of the 182 same-story verdicts).
MIN_SHARED_TERMS = 3
#: Corpora with at most this many document pairs have every pair scored (no candidate step).
ALL_PAIRS_MAX = 20_000
#: A term heading more documents' top terms than this is not used for candidates.
MAX_POSTING = 200
#: A term is *specific* when the reference has fewer than this many per million words.
SPECIFIC_PER_MILLION = 10.0
#: With a background, a specific term is found in at most this share of its documents.
MAX_BACKGROUND_SHARE = 0.05
#: Specific terms a same-story pair must share (3: chosen on the audited harness's design split,
#: ``story_harness.py --grid``; 2 and 3 measure the same there, the stricter is kept).
MIN_SPECIFIC_SHARED = 3
#: Specific overlap ``spec`` a same-story pair must reach (0: no check).
MIN_SPECIFIC_OVERLAP = 0.0
#: Sentences of a document's lead (:func:`lead_text`): what the report says happened.
LEAD_SENTENCES = 2
#: TF-IDF cosine the two documents' leads must reach for a same-story verdict: two reports of
#: one event lead with that event, two days of one running story lead with different news
#: (chosen on the audited harness's design split, ``story_harness.py --grid``: best F1 with the
#: seeds kept 3/3; the seed rewrites' leads meet at 0.29-0.45, so 0.25 keeps them).
MIN_LEAD_SIMILARITY = 0.25
#: Numbers (two or more digits, years 1900-2099 aside) each document must hold for the number
#: check: two reports of one event that both give figures share at least one of them.
MIN_NUMBERS = 2
#: Check that same-story pairs giving figures share one (different tolls, scores or amounts
#: mean different happenings). Off: once the ``000`` of ``5,000`` stopped counting as a shared
#: figure, the check removed one design positive and no negative (updates of one incident give
#: new figures: 3,000 then 5,000 calls); shared figures count as specific evidence instead.
NUMBER_CHECK = False
#: Weight of the topic similarity ``fb`` in the story score (the rest: specific overlap). Chosen
#: on the Lee design split (docs 1-25; 0.5: Pearson 0.725 with background, 0.597 without;
#: 0.75: 0.741 / 0.623; 1.0: 0.735 / 0.636). The verdict's specific evidence is checked apart.
STORY_TOPIC_WEIGHT = 0.75
#: Pseudo-documents the shipped reference counts for in the IDF (background documents count one each).
REFERENCE_DOCS = 100
#: Words per pseudo-document, to turn the reference's word frequencies into document frequencies.
REFERENCE_DOC_WORDS = 250
#: Shared specific terms listed in a pair's evidence.
EVIDENCE_TERMS = 12

# Entries expanded at once in sparse joins (bounds memory).
_CHUNK = 4_000_000


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
class StoryReference:
    """The shipped reference: story terms and their frequency per million words.

    Attributes:
        terms: Sorted story terms.
        per_million: Frequency of each term per million words of general English.
    """

    terms: np.ndarray
    per_million: np.ndarray

    def lookup(self, vocab: Sequence[str]) -> np.ndarray:
        """Frequency per million of each term (0 for terms the reference does not list).

        Numbers get a fixed frequency by their digit count (the reference
        folds digits): one digit 100, two or three 5, four (years) 10, more 1;
        a number with a leading zero (the ``000`` of ``5,000``) 100.
        """
        vocab_arr = np.asarray(vocab, dtype=object)
        out = np.zeros(len(vocab_arr))
        if len(vocab_arr) and len(self.terms):
            pos = np.searchsorted(self.terms, vocab_arr)
            pos = np.minimum(pos, len(self.terms) - 1)
            hit = self.terms[pos] == vocab_arr
            out[hit] = self.per_million[pos[hit]]
        for i, t in enumerate(vocab_arr.tolist()):
            if t.isdigit():
                n = len(t)
                # "000" of "5,000" (a thousands group, split off by the tokenizer) names no figure.
                out[i] = 100.0 if n == 1 or t[0] == "0" else 5.0 if n <= 3 else 10.0 if n == 4 else 1.0
        return out


@lru_cache(maxsize=1)
def load_reference() -> StoryReference:
    """The shipped reference statistics (``dedup/data/story_reference.npz``, read once).

    Example:
        >>> ref = load_reference()
        >>> f = ref.lookup(["school", "scholarship", "zzzqxv"])
        >>> bool(f[0] > f[1] > f[2] == 0.0)
        True
    """
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "story_reference.npz")
    with np.load(path, allow_pickle=False) as z:
        terms = z["terms"].tobytes().decode("utf-8").split("\n")
        per_million = z["per_million"].astype(np.float64)
    return StoryReference(np.array(terms, dtype=object), per_million)


_SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)]*\s+(?=[\"'\u201c\u2018(]?[A-Z0-9])|\s*\n\s*")


_FURNITURE_RE = re.compile(r"\s*(?:published|updated|posted|by|from)\b", re.IGNORECASE)
_CAPS_START_RE = re.compile(r"\s*[A-Z]{2,}\b[^a-z]*?\b[A-Z]{2,}\b")


def _is_furniture(line: str) -> bool:
    """A masthead, menu, byline or dateline line (not the report's first sentence)."""
    if "|" in line or _FURNITURE_RE.match(line) or _CAPS_START_RE.match(line):
        return True
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) > 0.6 * len(letters)


def lead_text(text: str, sentences: int = LEAD_SENTENCES) -> str:
    """The lead of a report: its first ``sentences`` sentences (a line break ends one too).

    A headline line counts as a sentence; leading mastheads, menus, bylines
    and datelines (a line with ``|``, one starting with "Published",
    "Updated", "Posted", "By" or "From" or with two words in capitals, or one
    mostly in capitals) do not.
    Only the start of the text is read (at most 2,000 characters per
    sentence asked for, after those lines).

    Example:
        >>> lead_text("Floods hit Harbourtown\\nRain fell for 3 days. Roads closed. Schools shut.")
        'Floods hit Harbourtown Rain fell for 3 days.'
        >>> lead_text("DAILY POST - news\\nPublished 09:40 | City desk\\nThe bridge opened. Crowds came. Rain.")
        'The bridge opened. Crowds came.'
    """
    pos, n = 0, len(text)
    for _ in range(8):  # at most this many furniture lines are skipped
        while pos < n and text[pos].isspace():
            pos += 1
        end = text.find("\n", pos, pos + 2000)
        line = text[pos : end if end >= 0 else min(n, pos + 2000)]
        if not line or not _is_furniture(line):
            break
        pos = end + 1 if end >= 0 else n
    head = text[pos : pos + 2000 * max(1, sentences)]
    parts = [p for p in _SENTENCE_END_RE.split(head) if p.strip()]
    return " ".join(p.strip() for p in parts[:sentences])


def specificity(per_million: np.ndarray) -> np.ndarray:
    """Weight of a specific term from its reference frequency (0 for common terms).

    ``1 + log10(SPECIFIC_PER_MILLION / f)``, capped at 4, for ``f`` below
    :data:`SPECIFIC_PER_MILLION` per million (unlisted terms count as 0.01 per
    million); 0 otherwise.

    Example:
        >>> specificity(np.array([100.0, 5.0, 0.1, 0.0])).round(2).tolist()
        [0.0, 1.3, 3.0, 4.0]
    """
    f = np.maximum(np.asarray(per_million, dtype=np.float64), 0.01)
    w = np.minimum(1.0 + np.log10(SPECIFIC_PER_MILLION / f), 4.0)
    return np.where(f < SPECIFIC_PER_MILLION, w, 0.0)


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


#: Term lists :func:`_term_matrix` holds at once.
_TERM_CHUNK = 2_000


def _term_matrix(term_lists: Iterable[Sequence[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (row, term id, count) entries of the term lists, and the sorted vocabulary.

    The lists are read once, in order (each may be built when read, see
    :class:`dedup.paragraphs.DocumentTerms`); only the vocabulary and one
    integer id per term are kept.

    >>> rows, ids, tf, vocab = _term_matrix([["b", "a", "b"], ["c"]])
    >>> rows.tolist(), ids.tolist(), tf.tolist(), vocab.tolist()
    ([0, 0, 1], [0, 1, 2], [1, 2, 1], ['a', 'b', 'c'])
    """
    lookup: dict[str, int] = {}
    parts: list[np.ndarray] = []
    lens: list[int] = []
    it = iter(term_lists)
    while chunk := list(islice(it, _TERM_CHUNK)):
        new = set().union(*chunk).difference(lookup)
        lookup.update(zip(new, range(len(lookup), len(lookup) + len(new))))
        lens.extend(map(len, chunk))
        parts.append(np.fromiter(map(lookup.__getitem__, chain.from_iterable(chunk)), dtype=np.int64))
    if not lookup:
        e = np.empty(0, dtype=np.int64)
        return e, e, e, np.empty(0, dtype=object)
    # Term ids in sorted term order (independent of document order).
    ordered = sorted(lookup)
    vocab = np.array(ordered, dtype=object)
    rank = np.empty(len(ordered), dtype=np.int64)
    rank[np.fromiter(map(lookup.__getitem__, ordered), dtype=np.int64, count=len(ordered))] = np.arange(len(ordered))
    del lookup, ordered
    ids = rank[np.concatenate(parts)]
    del parts
    owner = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
    v = len(vocab)
    key, tf = np.unique(owner * v + ids, return_counts=True)
    return key // v, key % v, tf, vocab


def _weighted(n: int, rows: np.ndarray, cols: np.ndarray, w: np.ndarray) -> _Csr:
    """L2-normalized CSR rows from sorted (row, col) entries and their weights."""
    norms = np.sqrt(np.bincount(rows, weights=w * w, minlength=n))
    w = w / np.where(norms > 0, norms, 1.0)[rows]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return _Csr(indptr, cols, w)


def _tfidf(term_lists: Sequence[Sequence[str]]) -> tuple[_Csr, np.ndarray]:
    """TF-IDF rows of all term lists; IDF counts every list (corpus + background).

    Returns the rows and the vocabulary (sorted terms).
    """
    rows, cols, tf, vocab = _term_matrix(term_lists)
    return _tfidf_rows(len(term_lists), rows, cols, tf, len(vocab)), vocab


def _tfidf_rows(n: int, rows: np.ndarray, cols: np.ndarray, tf: np.ndarray, v: int) -> _Csr:
    """:func:`_tfidf` of the ``n`` term lists whose :func:`_term_matrix` entries these are."""
    df = np.bincount(cols, minlength=v).astype(np.float64)
    idf = np.log((n + 1.0) / (df + 1.0)) + 1.0
    return _weighted(n, rows, cols, (1.0 + np.log(tf)) * idf[cols])


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


def _fb_dots(x: _Csr, fb: _Feedback, pairs: np.ndarray, beta: float) -> np.ndarray:
    """Cosines of the feedback-expanded vectors ``e = x + beta * q`` of row pairs.

    ``e_a . e_b = x_a.x_b + beta (x_a.q_b + q_a.x_b) + beta**2 q_a.q_b``: the
    first term from the TF-IDF rows, the cross terms from each document's
    largest reference cosines, the last from the references' Gram matrix, so
    the expanded vectors are never built.
    """
    a, b = pairs[:, 0], pairs[:, 1]
    nbrs = fb.neighbours()
    dot = pair_dots(x, pairs)
    dot += beta * (pair_dots(fb.sims, pairs, nbrs) + pair_dots(fb.sims, pairs[:, ::-1], nbrs))
    dot += beta * beta * fb.qq(a, b)
    den = fb.norms[a] * fb.norms[b]
    return np.clip(np.divide(dot, den, out=np.zeros_like(dot), where=den > 0), 0.0, 1.0)


class StoryModel:
    """Story vectors of a corpus against the fixed reference; scores document pairs.

    Args:
        texts: The corpus documents' texts (row ``i`` is document ``i``).
        background: Extra documents: they add to the reference document
            frequencies and serve as relevance-feedback references.
        model: ``"tfidf"`` (default, numpy only) or ``"minilm"`` (embedding
            cosine; needs the ``embeddings`` extra).
        encoder: Text encoder for ``"minilm"`` (default: the packaged model).
        terms: Per corpus document, its terms as :func:`story_terms` returns
            them (computed elsewhere, e.g. in worker processes); the texts are
            then not tokenised again.
        reference: The fixed reference (default: the shipped one).
        lead_terms: Per corpus document, the :func:`story_terms` of its
            :func:`lead_text` (default: read from ``texts`` when a verdict
            needs them; documents given as empty texts have no lead).

    Raises:
        ConfigError: Unknown model, or ``terms`` of the wrong length.
        MissingDependencyError: ``"minilm"`` without the extra installed.

    Example:
        >>> a = "Mayor Ellery Quint opened the Brackenfold bridge on 12 March with 300 residents."
        >>> b = "300 residents saw Ellery Quint open Brackenfold's new bridge on 12 March."
        >>> c = "The regional budget vote was postponed again by the council."
        >>> s = StoryModel([a, b, c]).scores(np.array([[0, 1], [0, 2]]))
        >>> bool(s[0] > 0.5 > 0.1 > s[1])
        True
    """

    def __init__(
        self,
        texts: Sequence[str],
        background: Sequence[str] = (),
        model: str = "tfidf",
        encoder: Callable[[list[str]], np.ndarray] | None = None,
        *,
        terms: Sequence[Sequence[str]] | None = None,
        reference: StoryReference | None = None,
        lead_terms: Sequence[Sequence[str]] | None = None,
    ) -> None:
        if model not in STORY_MODELS:
            raise ConfigError(f"story model must be one of {', '.join(STORY_MODELS)}, got {model!r}")
        if terms is not None and len(terms) != len(texts):
            raise ConfigError(f"story terms given for {len(terms)} documents, expected {len(texts)}")
        if lead_terms is not None and len(lead_terms) != len(texts):
            raise ConfigError(f"lead terms given for {len(lead_terms)} documents, expected {len(texts)}")
        self._texts = texts
        self._lead_terms = lead_terms
        self.model = model
        self.n = n = len(texts)
        self._emb: np.ndarray | None = None
        if model == "minilm":
            from .embed import document_embeddings

            self._emb = document_embeddings(texts, encoder)
        corpus_terms = terms if terms is not None else map(story_terms, texts)
        nb = len(background)
        rows, cols, tf, self.vocab = _term_matrix(chain(corpus_terms, map(story_terms, background)))
        v = len(self.vocab)
        # The term matrix, not the term lists, is what the feedback score reads again.
        self._entries = (rows, cols, tf)
        bg_df = np.bincount(cols[rows >= n], minlength=v).astype(np.float64)
        ref = reference if reference is not None else load_reference()
        per_million = ref.lookup(self.vocab)
        ref_df = REFERENCE_DOCS * (1.0 - np.exp(-REFERENCE_DOC_WORDS * per_million / 1e6))
        idf = np.log((REFERENCE_DOCS + nb + 1.0) / (ref_df + bg_df + 1.0)) + 1.0
        self._idf = idf
        self._reference = ref
        self._x = _weighted(n + nb, rows, cols, (1.0 + np.log(tf)) * idf[cols])
        # Specific terms: rare in the reference and not the background's subject vocabulary.
        spec_w = specificity(per_million)
        if nb:
            spec_w[bg_df > MAX_BACKGROUND_SHARE * nb] = 0.0
        self._spec_w = spec_w
        in_corpus = rows < n
        sel = in_corpus & (spec_w[cols] > 0)
        r, c = rows[sel], cols[sel]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
        self._spec = _Csr(indptr, c, np.sqrt(spec_w[c]))
        self._spec_one = _Csr(indptr, c, np.ones(len(c)))
        self._spec_mass = np.bincount(r, weights=spec_w[c], minlength=n)
        # Figures: numbers of two or more digits that are not years.
        is_num = np.array(
            [
                t.isdigit() and len(t) >= 2 and t[0] != "0" and not (len(t) == 4 and t[:2] in ("19", "20"))
                for t in self.vocab
            ],
            dtype=bool,
        )
        sel = in_corpus & is_num[cols] if v else in_corpus
        r, c = rows[sel], cols[sel]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
        self._num = _Csr(indptr, c, np.ones(len(c)))
        self._num_n = np.diff(indptr)
        self._bg_refs = np.arange(n, n + min(nb, MAX_REFERENCES), dtype=np.int64)
        self._stable_fb_cache: _Feedback | None = None
        self._rank_cache: tuple[_Csr, _Feedback] | None = None
        self._background_n = nb

    def _stable_fb(self) -> _Feedback:
        if self._stable_fb_cache is None:
            self._stable_fb_cache = _feedback(
                self._x, self.n, self._bg_refs, STABLE_FEEDBACK_DOCS, STABLE_FEEDBACK_WEIGHT
            )
        return self._stable_fb_cache

    def tfidf_scores(self, pairs: np.ndarray) -> np.ndarray:
        """Plain TF-IDF cosine (reference IDF) of each document pair."""
        return np.clip(pair_dots(self._x, np.asarray(pairs, dtype=np.int64).reshape(-1, 2)), 0.0, 1.0)

    def lead_scores(self, pairs: np.ndarray) -> np.ndarray:
        """TF-IDF cosine of the two documents' leads (:func:`lead_text`), same IDF as the model.

        Computed for the documents of ``pairs`` only (a verdict asks for the
        few pairs that pass every other check); depends on the two documents,
        the reference and the background only.
        """
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        if not len(pairs):
            return np.zeros(0)
        docs = np.unique(pairs)
        if self._lead_terms is not None:
            lists = [list(self._lead_terms[d]) for d in docs.tolist()]
        else:
            lists = [story_terms(lead_text(self._texts[d], LEAD_SENTENCES)) for d in docs.tolist()]
        rows, cols, tf, vocab = _term_matrix(lists)
        idf = np.zeros(len(vocab))
        if len(vocab):
            pos = np.minimum(np.searchsorted(self.vocab, vocab), max(len(self.vocab) - 1, 0))
            known = (self.vocab[pos] == vocab) if len(self.vocab) else np.zeros(len(vocab), dtype=bool)
            idf[known] = self._idf[pos[known]]
            # A term outside the vocabulary is in no background document: reference IDF only.
            unknown = ~known
            ref_df = REFERENCE_DOCS * (
                1.0 - np.exp(-REFERENCE_DOC_WORDS * self._reference.lookup(vocab[unknown].tolist()) / 1e6)
            )
            idf[unknown] = np.log((REFERENCE_DOCS + self._background_n + 1.0) / (ref_df + 1.0)) + 1.0
        x = _weighted(len(docs), rows, cols, (1.0 + np.log(tf)) * idf[cols])
        local = np.searchsorted(docs, pairs)
        return np.clip(pair_dots(x, local), 0.0, 1.0)

    def topic_scores(self, pairs: np.ndarray) -> np.ndarray:
        """Topic similarity ``fb``: the TF-IDF cosine, expanded over the background's documents if any."""
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        if not len(self._bg_refs):
            return self.tfidf_scores(pairs)
        return _fb_dots(self._x, self._stable_fb(), pairs, STABLE_FEEDBACK_WEIGHT)

    def specific_scores(self, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Specific overlap ``spec`` (0..1) and the number of shared specific terms of each pair."""
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        shared = pair_dots(self._spec, pairs)
        count = np.rint(pair_dots(self._spec_one, pairs)).astype(np.int64)
        den = np.sqrt(self._spec_mass[pairs[:, 0]] * self._spec_mass[pairs[:, 1]])
        spec = np.divide(shared, den, out=np.zeros_like(shared), where=den > 0)
        return np.clip(spec, 0.0, 1.0), count

    def numbers_disagree(self, pairs: np.ndarray) -> np.ndarray:
        """Pairs whose documents both give at least :data:`MIN_NUMBERS` figures and share none."""
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        shared = pair_dots(self._num, pairs)
        both = (self._num_n[pairs[:, 0]] >= MIN_NUMBERS) & (self._num_n[pairs[:, 1]] >= MIN_NUMBERS)
        return both & (shared < 0.5)

    def scores(self, pairs: np.ndarray) -> np.ndarray:
        """The story score (0..1) of each document pair (the module doc's ``story``).

        With ``model="minilm"`` it is the cosine of the documents' embeddings
        (see :mod:`dedup.embed`). The score depends only on the two documents,
        the reference and the background, never on the rest of the corpus.

        Args:
            pairs: ``(m, 2)`` document index pairs.

        Returns:
            ``m`` scores.
        """
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        if self._emb is not None:
            e = self._emb
            return np.clip(np.einsum("ij,ij->i", e[pairs[:, 0]], e[pairs[:, 1]]), 0.0, 1.0)
        spec, _ = self.specific_scores(pairs)
        return STORY_TOPIC_WEIGHT * self.topic_scores(pairs) + (1.0 - STORY_TOPIC_WEIGHT) * spec

    def verdicts(
        self, pairs: np.ndarray, config: Config, tfidf: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The story score and the same-story verdict of each pair (copies aside).

        A pair is the same story when its score reaches
        ``config.story_threshold``, its plain TF-IDF cosine
        ``config.story_min_tfidf``, it shares at least
        :data:`MIN_SPECIFIC_SHARED` specific terms, with
        :data:`NUMBER_CHECK` (off by default) when both documents give
        figures at least one figure (:meth:`numbers_disagree`), and the two
        leads meet (:meth:`lead_scores` at least
        :data:`MIN_LEAD_SIMILARITY`).

        Args:
            pairs: ``(m, 2)`` document index pairs.
            config: Settings.
            tfidf: The pairs' :meth:`tfidf_scores`, if already computed.

        Returns:
            ``(scores, same)``: ``m`` scores and ``m`` booleans.
        """
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        scores = self.scores(pairs)
        spec, shared_n = self.specific_scores(pairs)
        tfidf = self.tfidf_scores(pairs) if tfidf is None else tfidf
        same = (
            (scores >= config.story_threshold)
            & (tfidf >= config.story_min_tfidf)
            & (shared_n >= MIN_SPECIFIC_SHARED)
            & (spec >= MIN_SPECIFIC_OVERLAP)
        )
        if NUMBER_CHECK:
            same &= ~self.numbers_disagree(pairs)
        if MIN_LEAD_SIMILARITY > 0 and same.any():
            idx = np.flatnonzero(same)
            same[idx] = self.lead_scores(pairs[idx]) >= MIN_LEAD_SIMILARITY
        return scores, same

    def feedback_scores(self, pairs: np.ndarray) -> np.ndarray:
        """The corpus-level relevance-feedback score of the previous release (ranking only).

        IDF over the corpus and background; references: the background, then
        evenly spaced corpus documents (at most :data:`MAX_REFERENCES`); each
        vector plus ``FEEDBACK_WEIGHT`` times its :data:`FEEDBACK_DOCS`
        nearest references. It ranks by topic well but moves with the corpus,
        so the verdict never uses it.
        """
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        if self._rank_cache is None:
            x = _tfidf_rows(self.n + self._background_n, *self._entries, len(self.vocab))
            n, nb = self.n, self._background_n
            bg_rows = np.arange(n, n + nb, dtype=np.int64)[:MAX_REFERENCES]
            room = MAX_REFERENCES - len(bg_rows)
            if room >= n:
                corpus_rows = np.arange(n, dtype=np.int64)
            else:
                corpus_rows = np.unique(np.linspace(0, n - 1, room).astype(np.int64)) if room > 0 else np.empty(0)
            refs = np.concatenate([bg_rows, corpus_rows]).astype(np.int64)
            self._rank_cache = (x, _feedback(x, n, refs, FEEDBACK_DOCS, FEEDBACK_WEIGHT))
        x, fb = self._rank_cache
        return _fb_dots(x, fb, pairs, FEEDBACK_WEIGHT)

    def shared_specific(self, a: int, b: int) -> list[tuple[str, float]]:
        """The specific terms documents ``a`` and ``b`` share, most specific first."""
        x = self._spec
        ta = x.indices[x.indptr[a] : x.indptr[a + 1]]
        tb = x.indices[x.indptr[b] : x.indptr[b + 1]]
        common = np.intersect1d(ta, tb)
        w = self._spec_w[common]
        order = np.lexsort((common, -w))
        return [(str(self.vocab[common[i]]), round(float(w[i]), 3)) for i in order.tolist()]

    def shared_heaviest(self, a: int, b: int, k: int = 10) -> list[str]:
        """The ``k`` shared terms contributing most to the pair's TF-IDF cosine."""
        x = self._x
        ta, va = x.indices[x.indptr[a] : x.indptr[a + 1]], x.data[x.indptr[a] : x.indptr[a + 1]]
        tb, vb = x.indices[x.indptr[b] : x.indptr[b + 1]], x.data[x.indptr[b] : x.indptr[b + 1]]
        common, ia, ib = np.intersect1d(ta, tb, return_indices=True)
        order = np.lexsort((common, -(va[ia] * vb[ib])))[:k]
        return [str(self.vocab[common[i]]) for i in order.tolist()]

    def top_terms(self, k: int = TOP_TERMS) -> list[list[str]]:
        """Each corpus document's ``k`` heaviest terms (weight, then term order), as candidates rank them.

        The weights use the fixed reference (and background) only, so a
        document's top terms do not depend on the rest of the corpus:
        ``dedup check`` looks them up in the index's postings.

        Example:
            >>> m = StoryModel(["Flood waters hit Harbourtown on Monday", "Budget vote"])
            >>> m.top_terms(2)[0]
            ['harbourtown', 'flood']
        """
        x = self._x
        out: list[list[str]] = []
        for i in range(self.n):
            lo, hi = int(x.indptr[i]), int(x.indptr[i + 1])
            cols, vals = x.indices[lo:hi], x.data[lo:hi]
            order = np.lexsort((cols, -vals))[:k]
            out.append([str(self.vocab[c]) for c in cols[order].tolist()])
        return out

    def candidates(self, jobs: int = 1) -> np.ndarray:
        """Document pairs sharing enough top terms (sub-quadratic, bounded memory).

        Each document's :data:`TOP_TERMS` heaviest terms are posted; terms
        posted by more than :data:`MAX_POSTING` documents are skipped. The
        pairs of each posting are generated per first document, in chunks of
        at most about ``_CHUNK`` pairs, and counted exactly within a chunk
        (all pairs of a first document fall in one chunk).

        A corpus with at most :data:`ALL_PAIRS_MAX` pairs gets every pair.
        ``jobs`` counts the chunks over that many processes (same result).

        Returns:
            A sorted ``(m, 2)`` array of pairs ``(i, j)``, ``i < j``, of corpus
            documents.
        """
        x = self._x
        n = self.n
        none = np.empty((0, 2), dtype=np.int64)
        if n < 2:
            return none
        if n * (n - 1) // 2 <= ALL_PAIRS_MAX:
            return np.stack(np.triu_indices(n, 1), axis=1).astype(np.int64)
        lens = x.lengths()[:n]
        owner_all = np.repeat(np.arange(n, dtype=np.int64), lens)
        end = int(x.indptr[n])
        terms, vals = x.indices[:end], x.data[:end]
        # Rank each document's terms by weight (ties by term id) and keep the top ones.
        order = np.lexsort((terms, -vals, owner_all))
        rank = np.arange(len(order)) - np.repeat(x.indptr[:n], lens)
        keep = order[rank < TOP_TERMS]
        owner_s, terms_s = owner_all[keep], terms[keep]
        order = np.lexsort((owner_s, terms_s))
        owner_s, terms_s = owner_s[order], terms_s[order]
        if not len(terms_s):
            return none
        starts = np.flatnonzero(np.r_[True, np.diff(terms_s) != 0])
        sizes = np.diff(np.r_[starts, len(terms_s)])
        ok = (sizes > 1) & (sizes <= MAX_POSTING)
        run_end = np.repeat(starts + sizes, sizes)
        usable = np.repeat(ok, sizes)
        pos = np.flatnonzero(usable)
        cnt = run_end[pos] - pos - 1
        by_owner = np.argsort(owner_s[pos], kind="stable")
        pos, cnt = pos[by_owner], cnt[by_owner]
        owners = owner_s[pos]
        per_owner = np.bincount(owners, weights=cnt, minlength=n)
        cum = np.cumsum(per_owner)
        chunks = []
        o0 = 0
        while o0 < n:
            base = cum[o0 - 1] if o0 else 0.0
            o1 = max(o0 + 1, int(np.searchsorted(cum, base + _CHUNK, side="right")))
            lo, hi = np.searchsorted(owners, [o0, o1])
            if hi > lo:
                chunks.append((int(lo), int(hi)))
            o0 = o1
        if not chunks:
            return none
        # Chunks are independent: with jobs > 1 they are counted in forked workers, joined in order.
        found = map_ordered(_chunk_candidates, (owner_s, owners, pos, cnt, n), chunks, jobs)
        codes = np.concatenate(found)
        return np.stack([codes // n, codes % n], axis=1)


# --- Event facts of a same-story pair's evidence: shared names, dates, figures, phrases ---

_FACT_WORD_RE = re.compile(r"\d+(?:[,.]\d+)*(?:st|nd|rd|th)?|[^\W\d_][\w'\u2019-]*")
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        )
    )
}
_MONTHS.update({m[:3]: v for m, v in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_WEEKDAYS = frozenset(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
_NAME_JOINERS = frozenset(("of", "the", "for", "de", "del", "la", "le", "al", "bin", "ibn", "van", "von", "da"))
_SCALE_WORDS = frozenset(("million", "billion", "trillion", "per", "percent"))
#: Longest run of capitalised words taken for a name.
MAX_NAME_WORDS = 8
#: Shared names, dates, figures and phrases listed in a pair's evidence (each).
EVIDENCE_FACTS = 6


class _Word(NamedTuple):
    text: str
    start: int
    end: int
    term: str  # the story term ("" for stop words)
    key: str  # the story term, or the folded word for a stop word (names: "To Lam")
    cap: bool  # starts with a capital letter
    sent_start: bool  # first word of a sentence or line
    sent: int  # sentence number


def _fact_words(text: str) -> list[_Word]:
    """Words of a text with offsets, story terms, capitalisation and sentence starts."""
    out: list[_Word] = []
    prev_end = 0
    for m in _FACT_WORD_RE.finditer(text):
        w = m.group()
        gap = text[prev_end : m.start()]
        sent_start = not out or "\n" in gap or any(c in gap for c in ".!?:;")
        if w[0].isdigit():
            term = re.sub(r"(?:st|nd|rd|th)$", "", w)
            term = term.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+", term) else term
        elif w.isascii() and w.isalpha():  # what story_terms gives, without normalising one word
            low = w.lower()
            term = "" if low in STOPWORDS or len(low) < 2 else stem(low)
        else:
            term = "".join(story_terms(w))
        key = term or ("".join(tokens(normalize(w))) if not w.isascii() else w.lower())
        sent = (out[-1].sent + sent_start) if out else 0
        out.append(_Word(w, m.start(), m.end(), term, key, w[0].isupper(), sent_start, sent))
        prev_end = m.end()
    return out


def _names(words: list[_Word]) -> list[tuple[tuple[str, ...], int, int]]:
    """Runs of two or more capitalised words (joiners such as "of" inside): (terms, start, end)."""
    out = []
    i, n = 0, len(words)
    while i < n:
        if not (words[i].cap and words[i].key and not words[i].text[0].isdigit()):
            i += 1
            continue
        j, last = i + 1, i
        while j < n:
            w = words[j]
            if w.cap and w.key and not w.sent_start and not w.text[0].isdigit():
                last = j
            elif not (w.text.lower() in _NAME_JOINERS and j + 1 < n and words[j + 1].cap):
                break
            j += 1
        run = [w for w in words[i : last + 1] if w.cap and w.key]
        while run and not run[0].term:  # "The Party": a leading stop word is no part of the name
            run = run[1:]
        if 2 <= len(run) <= MAX_NAME_WORDS:  # longer: a title-case headline or capitals, not a name
            out.append((tuple(w.key for w in run), words[i].start, words[last].end))
        i = last + 1
    return out


def _dates(words: list[_Word]) -> list[tuple[tuple, int, int]]:
    """Calendar dates ("May 14", "14 May", "December 5, 2001") and weekdays: (key, start, end)."""
    out = []
    for k, w in enumerate(words):
        low = w.text.lower()
        if low in _WEEKDAYS:
            out.append((("weekday", low), w.start, w.end))
            continue
        nxt = words[k + 1] if k + 1 < len(words) else None
        prv = words[k - 1] if k else None
        if w.cap and low in _MONTHS:
            if nxt is not None and nxt.text[0].isdigit() and nxt.term.isdigit() and 1 <= int(nxt.term) <= 31:
                out.append((("date", _MONTHS[low], int(nxt.term)), w.start, nxt.end))
            elif prv is not None and prv.text[0].isdigit() and prv.term.isdigit() and 1 <= int(prv.term) <= 31:
                out.append((("date", _MONTHS[low], int(prv.term)), prv.start, w.end))
    return out


def _figures(text: str, words: list[_Word]) -> list[tuple[str, int, int]]:
    """Figures: numbers of two or more digits (separators folded) or with a scale word: (value, start, end).

    A unit joined by a hyphen is part of the value ("200-metre"; "45-year-old" is not "45").
    """
    out = []
    for k, w in enumerate(words):
        if not w.text[0].isdigit():
            continue
        value = w.term
        nxt = words[k + 1] if k + 1 < len(words) else None
        if nxt is not None and nxt.start == w.end + 1 and text[w.end] == "-" and nxt.term:
            value = f"{value}-{nxt.term}"
        scaled = nxt is not None and nxt.text.lower() in _SCALE_WORDS
        digits = w.term.replace(".", "").replace(",", "")
        if not digits.isdigit() or digits[0] == "0" or (len(digits) < 2 and not scaled):
            continue
        if len(w.term) == 4 and w.term[:2] in ("19", "20") and not scaled and value == w.term:
            continue  # a year
        end = w.end
        if scaled:
            value, end = f"{value} {nxt.text.lower()}", nxt.end
        # The counted thing, as written after the number ("13 buildings"), is shown, not compared.
        after = words[k + 2 if scaled else k + 1] if k + (2 if scaled else 1) < len(words) else None
        if after is not None and after.term and not after.text[0].isdigit() and after.start - end == 1:
            end = after.end
        out.append((value, w.start, end))
    return out


def _phrases(text: str, words: list[_Word]) -> list[tuple[tuple[str, ...], int, int]]:
    """Every run of 2-4 consecutive content terms (stop words between them skipped): (terms, start, end)."""
    content = [
        w
        for k, w in enumerate(words)
        if len(w.term) > 2
        and w.text.lower() not in _SCALE_WORDS
        and not (k and words[k - 1].text[0].isdigit() and text[words[k - 1].end : w.start] == "-")  # 200-metre
        and not w.text[0].isdigit()
        and not (w.cap and w.text.lower() in _MONTHS)
        and w.text.lower() not in _WEEKDAYS
    ]
    out = []
    for k in range(len(content)):
        for n in (4, 3, 2):
            if k + n <= len(content):
                run = content[k : k + n]
                # A phrase does not cross a sentence start.
                if any(w.sent_start for w in run[1:]):
                    continue
                out.append((tuple(w.term for w in run), run[0].start, run[-1].end))
    return out


def _first_spans(items: Sequence[tuple[Any, int, int]]) -> dict[Any, tuple[int, int]]:
    first: dict[Any, tuple[int, int]] = {}
    for key, s, e in items:
        first.setdefault(key, (s, e))
    return first


def event_facts(text_a: str, text_b: str, reference: StoryReference | None = None) -> dict[str, list[dict[str, Any]]]:
    """The names, dates, figures and phrases two texts share, as written in each, with offsets.

    * **names**: runs of two or more capitalised words (people, places,
      organisations; "of"/"the"/"bin" may join them), compared by their story
      terms, so "Cầu Giấy Secondary School" and "Cau Giay Secondary School"
      meet; a shared part of two runs counts ("Cau Giay Secondary").
    * **dates**: calendar dates (month and day, either order) and weekdays.
    * **figures**: numbers of two or more digits (``5,000`` = ``5000``) or
      with a scale word (``10 million``); years aside; shown with the word
      counted after them.
    * **phrases**: runs of 2-4 content words (three letters or more) both
      texts hold in one sentence,
      none of them a term of a shared name, weighted by rarity in the shipped reference
      (``sum(log10(1000 / f))`` over the terms, frequency ``f`` per million),
      maximal runs only.

    Phrases in a sentence that holds a shared name, date or figure in both
    texts (what the named people did: the event) come first. Each list is
    most specific first (names and phrases by their weight, dates
    and figures in text order of ``text_a``), at most :data:`EVIDENCE_FACTS`
    long; each item is ``{"text", "weight"?, "a": {"text", "start", "end"},
    "b": {...}}``.

    Example:
        >>> a = "Mayor Ellery Quint opened the Brackenfold bridge on 12 March; 300 residents came."
        >>> b = "On March 12, 300 residents saw Ellery Quint open the new Brackenfold bridge."
        >>> f = event_facts(a, b)
        >>> [n["a"]["text"] for n in f["names"]], [d["b"]["text"] for d in f["dates"]]
        (['Ellery Quint'], ['March 12'])
        >>> [x["a"]["text"] for x in f["figures"]], [p["a"]["text"] for p in f["phrases"]]
        (['300 residents'], ['opened the Brackenfold bridge'])
    """
    ref = reference if reference is not None else load_reference()
    return _shared_facts(text_a, _doc_facts(text_a), text_b, _doc_facts(text_b), ref)


class _DocFacts(NamedTuple):
    """One text's candidate facts (:func:`_doc_facts`), computed once per document."""

    words: list[_Word]
    name_runs: list[list[_Word]]  # the capitalised words of each name run
    name_parts: dict[tuple[str, ...], tuple[int, int]]  # every sub-run of 2+ words -> first span
    dates: list[tuple[tuple, int, int]]
    figures_all: list[tuple[str, int, int]]
    figures: dict[str, tuple[int, int]]  # outside dates, first span
    phrases: dict[tuple[str, ...], tuple[int, int]]  # first span
    sent_at: dict[int, int]  # word start -> sentence number


def _doc_facts(text: str) -> _DocFacts:
    words = _fact_words(text)
    runs = [[w for w in words if s <= w.start and w.end <= e and w.cap and w.key] for _, s, e in _names(words)]
    parts: dict[tuple[str, ...], tuple[int, int]] = {}
    for run in runs:
        for i in range(len(run)):
            for j in range(i + 2, len(run) + 1):
                parts.setdefault(tuple(w.key for w in run[i:j]), (run[i].start, run[j - 1].end))
    dates = _dates(words)
    figures_all = _figures(text, words)
    outside = [(k, s, e) for k, s, e in figures_all if not any(ds <= s < de for _, ds, de in dates)]
    return _DocFacts(
        words,
        runs,
        parts,
        dates,
        figures_all,
        _first_spans(outside),
        _first_spans(_phrases(text, words)),
        {w.start: w.sent for w in words},
    )


def _shared_facts(
    text_a: str, fa_: _DocFacts, text_b: str, fb_: _DocFacts, ref: StoryReference
) -> dict[str, list[dict[str, Any]]]:
    """:func:`event_facts` from the two texts' precomputed candidate facts."""
    wa, wb = fa_.words, fb_.words

    def item(text: str, span: tuple[int, int]) -> dict[str, Any]:
        return {"text": text[span[0] : span[1]], "start": span[0], "end": span[1]}

    rarity: dict[str, float] = {}

    def weight(terms: Sequence[str]) -> float:
        missing = sorted({t for t in terms if t not in rarity})
        if missing:
            f = np.maximum(ref.lookup(missing), 0.01)
            rarity.update(zip(missing, np.maximum(np.log10(1000.0 / f), 0.0).tolist()))
        return float(sum(rarity[t] for t in terms))

    # Names: the longest shared contiguous part (two terms or more) of a name run in each text.
    b_parts = fb_.name_parts
    names: dict[tuple[str, ...], tuple[tuple[int, int], tuple[int, int]]] = {}
    for starts in fa_.name_runs:
        best = None
        for i in range(len(starts)):
            for j in range(len(starts), i + 1, -1):
                key = tuple(w.key for w in starts[i:j])
                if key in b_parts:
                    if best is None or j - i > len(best[0]):
                        best = (key, (starts[i].start, starts[j - 1].end))
                    break
        if best is not None and best[0] not in names and specificity(ref.lookup(list(best[0]))).max() > 0:
            names[best[0]] = (best[1], b_parts[best[0]])
    name_keys = {t for key in names for t in key}
    name_terms = name_keys | {w.term for w in wa if w.key in name_keys}
    # Dates and figures: equal keys.
    dates_a, dates_b = fa_.dates, fb_.dates
    da, db = _first_spans(dates_a), _first_spans(dates_b)
    fa, fb = fa_.figures, fb_.figures
    # Phrases: maximal shared runs, none of their terms a shared name's.
    pa, pb = fa_.phrases, fb_.phrases
    shared_p = [k for k in pa if k in pb and not any(t in name_terms for t in k)]
    shared_set = set(shared_p)

    # Sub-runs of a longer shared run are not listed on their own.
    inner = {o[i : i + n] for o in shared_set for n in range(2, len(o)) for i in range(len(o) - n + 1)}
    phrases = [k for k in shared_p if k not in inner]
    # A phrase in a sentence that, in both texts, also holds a shared name, date or figure says what the
    # named people did there (the event); those come first.
    ranked_names = sorted(names, key=lambda k: (-weight(k), names[k][0]))[:EVIDENCE_FACTS]
    shared_dates = {k for k in da if k in db}
    shared_figures = {k for k in fa if k in fb}

    def anchors(words: list[_Word], dates: list, figures: list) -> set[int]:
        by_start = {w.start: w.sent for w in words}
        keys = [w.key for w in words]
        out = {
            words[i].sent
            for k in ranked_names
            for i in range(len(words) - len(k) + 1)
            if keys[i] == k[0] and tuple(keys[i : i + len(k)]) == k
        }
        out.update(by_start[s] for k, s, _ in dates if k in shared_dates and s in by_start)
        out.update(by_start[s] for k, s, _ in figures if k in shared_figures and s in by_start)
        return out

    anchor_a = anchors(wa, dates_a, fa_.figures_all)
    anchor_b = anchors(wb, dates_b, fb_.figures_all)
    sent_a, sent_b = fa_.sent_at, fb_.sent_at

    def anchored(k: tuple[str, ...]) -> bool:
        return sent_a.get(pa[k][0]) in anchor_a and sent_b.get(pb[k][0]) in anchor_b

    ranked_phrases = []
    for k in sorted(phrases, key=lambda k: (not anchored(k), -weight(k), pa[k])):
        # Overlapping windows of one shared run: the first (heaviest) stands for it.
        if not any(pa[k][0] < pa[o][1] and pa[o][0] < pa[k][1] for o in ranked_phrases):
            ranked_phrases.append(k)
        if len(ranked_phrases) == EVIDENCE_FACTS:
            break
    return {
        "names": [
            {
                "text": text_a[names[k][0][0] : names[k][0][1]],
                "weight": round(weight(k), 3),
                "a": item(text_a, names[k][0]),
                "b": item(text_b, names[k][1]),
            }
            for k in ranked_names
        ],
        "dates": [
            {"text": text_a[da[k][0] : da[k][1]], "a": item(text_a, da[k]), "b": item(text_b, db[k])}
            for k in sorted((k for k in da if k in db), key=lambda k: da[k])[:EVIDENCE_FACTS]
        ],
        "figures": [
            {"text": text_a[fa[k][0] : fa[k][1]], "a": item(text_a, fa[k]), "b": item(text_b, fb[k])}
            for k in sorted((k for k in fa if k in fb), key=lambda k: fa[k])[:EVIDENCE_FACTS]
        ],
        "phrases": [
            {
                "text": text_a[pa[k][0] : pa[k][1]],
                "weight": round(weight(k), 3),
                "a": item(text_a, pa[k]),
                "b": item(text_b, pb[k]),
            }
            for k in ranked_phrases
        ],
    }


def _chunk_candidates(chunk: tuple[int, int], shared: tuple[np.ndarray, ...]) -> np.ndarray:
    """Pair codes ``i * n + j`` of one chunk of postings sharing at least :data:`MIN_SHARED_TERMS` top terms."""
    owner_s, owners, pos, cnt, n = shared
    lo, hi = chunk
    c = cnt[lo:hi]
    partners = owner_s[_ranges(pos[lo:hi] + 1, c)]
    codes, counts = np.unique(np.repeat(owners[lo:hi], c) * n + partners, return_counts=True)
    return codes[counts >= MIN_SHARED_TERMS]


_WORD_RE = re.compile(r"\w+")


def _locate(text: str, wanted: set[str]) -> dict[str, tuple[int, int]]:
    """First occurrence (start, end) in ``text`` of each wanted story term, as written."""
    found: dict[str, tuple[int, int]] = {}
    for m in _WORD_RE.finditer(text):
        w = m.group()
        for t in story_terms(w) if not w.isascii() else [stem(w.lower())]:
            if t in wanted and t not in found:
                found[t] = (m.start(), m.end())
        if len(found) == len(wanted):
            break
    return found


def _quote(text: str) -> str:
    """A fact as quoted in a reason: whitespace folded, at most 60 characters, in curly quotes."""
    t = " ".join(text.split())
    return "\u201c" + (t if len(t) <= 60 else t[:57] + "...") + "\u201d"


def story_evidence(
    text_a: str,
    text_b: str,
    shared: Sequence[tuple[str, float]],
    passages: Sequence[Passage],
    topic: float,
    specific: float,
    heaviest: Sequence[str] = (),
    lead: float | None = None,
    facts: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """The evidence of a same-story pair, for its JSON.

    Args:
        text_a: The first document's text (offsets refer to it).
        text_b: The second document's text.
        shared: The shared specific terms with their weights, most specific
            first (:meth:`StoryModel.shared_specific`).
        passages: Passages shared by the two documents (copies and near
            passages across the rewrite).
        topic: The pair's topic similarity ``fb``.
        specific: The pair's specific overlap ``spec``.
        heaviest: Shared terms weighing most in the pair's TF-IDF cosine
            (listed after the specific ones, with weight 0).
        lead: The TF-IDF cosine of the two leads (:meth:`StoryModel.lead_scores`), if known.
        facts: The pair's :func:`event_facts`, if already computed (default: read from the texts).

    Returns:
        ``{"reason", "topic", "specific", "shared_specific", "lead"?, "names",
        "dates", "figures", "phrases", "terms", "passages"}``: the names,
        dates, figures and phrases both texts hold (:func:`event_facts`, what
        the reason quotes first); ``terms`` lists up to :data:`EVIDENCE_TERMS` shared
        specific terms, each with its weight and its first occurrence in each
        text as written (``{"text", "start", "end"}``); ``passages`` the
        shared passages' offsets.

    Example:
        >>> ev = story_evidence("Quint met Brackenfold", "brackenfold and QUINT", [("brackenfold", 4.0)], [], 0.4, 0.8)
        >>> ev["terms"][0]["a"], ev["terms"][0]["b"]
        ({'text': 'Brackenfold', 'start': 10, 'end': 21}, {'text': 'brackenfold', 'start': 0, 'end': 11})
    """
    top = list(shared[:EVIDENCE_TERMS])
    top += [(t, 0.0) for t in heaviest if t not in {u for u, _ in top}]
    wanted = {t for t, _ in top}
    loc_a, loc_b = _locate(text_a, wanted), _locate(text_b, wanted)
    terms = []
    for t, w in top:
        if t in loc_a and t in loc_b:
            (sa, ea), (sb, eb) = loc_a[t], loc_b[t]
            terms.append(
                {
                    "term": t,
                    "specific": w > 0,
                    "weight": w,
                    "a": {"text": text_a[sa:ea], "start": sa, "end": ea},
                    "b": {"text": text_b[sb:eb], "start": sb, "end": eb},
                }
            )
    ps = sorted(passages)
    facts = event_facts(text_a, text_b) if facts is None else facts
    named = ", ".join(d["a"]["text"] for d in terms[:5] if d["specific"])
    said = [
        f"{label} {', '.join(_quote(x['a']['text']) for x in facts[key][:n])}"
        for key, label, n in (
            ("names", "names", 3),
            ("dates", "date", 2),
            ("figures", "figures", 3),
            ("phrases", "phrases", 3),
        )
        if facts[key]
    ]
    reason = f"shares {len(shared)} specific terms ({named})" if named else f"shares {len(shared)} specific terms"
    if ps:
        reason += f" and {len(ps)} passage{'s' if len(ps) != 1 else ''}"
    if said:
        reason += "; " + "; ".join(said)
    reason += f"; specific overlap {specific:.2f}, topic similarity {topic:.2f}"
    if lead is not None:
        reason += f", leads {lead:.2f}"
    return {
        "reason": reason,
        "topic": round(float(topic), 4),
        "specific": round(float(specific), 4),
        "shared_specific": len(shared),
        **({"lead": round(float(lead), 4)} if lead is not None else {}),
        **facts,
        "terms": terms,
        "passages": [
            {
                "kind": p.kind,
                "similarity": round(float(p.similarity), 4),
                "a": [p.a.start, p.a.end],
                "b": [p.b.start, p.b.end],
            }
            for p in ps
        ],
    }


def _blank_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """The text with the spans replaced by spaces (offsets kept)."""
    if not spans:
        return text
    parts, pos = [], 0
    for s, e in sorted(spans):
        s = max(s, pos)
        if e > s:
            parts.append(text[pos:s])
            parts.append(" " * (e - s))
            pos = e
    parts.append(text[pos:])
    return "".join(parts)


def story_model(
    texts: Sequence[str],
    excluded: Sequence[Sequence[tuple[int, int]]],
    config: Config,
    background: Sequence[str] = (),
    *,
    terms: Sequence[Sequence[str]] | None = None,
) -> StoryModel:
    """The story model of a corpus (see :func:`same_story_tier` for the arguments)."""
    blanked = [_blank_spans(t, ex) for t, ex in zip(texts, excluded)]
    return StoryModel(blanked, background, config.story_model, terms=terms)


def same_story_tier(
    texts: Sequence[str],
    doc_ids: Sequence[str],
    paragraphs: Sequence[Sequence[tuple[int, int]]],
    excluded: Sequence[Sequence[tuple[int, int]]],
    copy_pairs: set[tuple[int, int]],
    passages: Sequence[Passage],
    config: Config,
    background: Sequence[str] = (),
    *,
    terms: Sequence[Sequence[str]] | None = None,
    model: StoryModel | None = None,
    candidates: np.ndarray | None = None,
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
        background: Background documents (reference statistics and feedback
            references).
        terms: Per document, :func:`story_terms` of its text with the
            ``excluded`` spans blanked, computed elsewhere (e.g. in the
            fingerprinting workers); the texts are then not tokenised for
            terms again (only the few same-story pairs' texts are read, to
            quote their evidence as written).
        model: The corpus's story model, already built (:func:`story_model`);
            default: built here from ``texts``/``terms`` and ``background``.
        candidates: ``(m, 2)`` document index pairs ``i < j`` to score, found
            elsewhere (the Spark job finds them by distributed postings, as
            :meth:`StoryModel.candidates` does); default:
            ``model.candidates()``.

    Returns:
        ``(same_story_pairs, near_passages)``; the pairs' ``a_in_b`` and
        ``b_in_a`` are the character shares of each document's fingerprinted
        paragraphs covered by passages shared with the other, and each pair
        carries its ``evidence`` (:func:`story_evidence`).
    """
    from .rewrites import near_paragraph_passages

    n = len(texts)
    if n < 2:
        return [], []
    story_texts = [_blank_spans(t, ex) for t, ex in zip(texts, excluded)]
    if model is None:
        model = StoryModel(story_texts, background, config.story_model, terms=terms)
    cands = (
        model.candidates(config.jobs) if candidates is None else np.asarray(candidates, dtype=np.int64).reshape(-1, 2)
    )
    if not len(cands):
        return [], []
    if resolve_jobs(config.jobs) > 1 and len(cands) >= STORY_MIN_PARALLEL:
        model.topic_scores(cands[:1])  # builds the feedback vectors once, before the workers fork
    # Per candidate pair, independent of the others: slices of them are scored over config.jobs processes.
    parts = map_slices(_score_candidates, (model, cands, config), len(cands), config.jobs, min_items=STORY_MIN_PARALLEL)
    cands, scores, keep, spec, topic = concat_rows(parts, None)
    chosen = [
        (int(a), int(b), float(s), float(t), float(p))
        for (a, b), s, t, p in zip(
            cands[keep].tolist(), scores[keep].tolist(), topic[keep].tolist(), spec[keep].tolist()
        )
        if (a, b) not in copy_pairs
    ]
    index = {d: i for i, d in enumerate(doc_ids)}
    taken: dict[tuple[int, int], set[tuple[int, int, int]]] = {}
    by_pair: dict[tuple[int, int], list[Passage]] = {}
    chosen_pairs = [c[:2] for c in chosen]
    # Only the chosen pairs' passages are read below: the others are not grouped (a dense corpus
    # has a million passages and a handful of same-story pairs).
    wanted = {doc_ids[a] for a, _ in chosen_pairs} | {doc_ids[b] for _, b in chosen_pairs}
    chosen_set = set(chosen_pairs)
    for p in passages if chosen_pairs else ():
        if p.a.doc not in wanted or p.b.doc not in wanted:
            continue
        a, b = index[p.a.doc], index[p.b.doc]
        key = (min(a, b), max(a, b))
        if a != b and key in chosen_set:
            by_pair.setdefault(key, []).append(p)
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
    leads = model.lead_scores(np.array([c[:2] for c in chosen], dtype=np.int64).reshape(-1, 2)).tolist()
    # Each document's candidate facts are read once, however many same-story pairs it is in.
    doc_facts: dict[int, _DocFacts] = {}
    for a, b in chosen_pairs:
        for d in (a, b):
            if d not in doc_facts:
                doc_facts[d] = _doc_facts(story_texts[d])
    for (a, b, score, top, sp), lead in zip(chosen, leads):
        shared = by_pair.get((a, b), [])
        cov_a = _covered(shared, doc_ids[a], para_chars[a])
        cov_b = _covered(shared, doc_ids[b], para_chars[b])
        evidence = story_evidence(
            story_texts[a],
            story_texts[b],
            model.shared_specific(a, b),
            shared,
            top,
            sp,
            model.shared_heaviest(a, b),
            lead,
            _shared_facts(story_texts[a], doc_facts[a], story_texts[b], doc_facts[b], model._reference),
        )
        out.append(Pair(doc_ids[a], doc_ids[b], "same_story", score, cov_a, cov_b, len(shared), evidence))
    return out, near


#: Fewer story candidate pairs than this are scored in the calling process (about 40 us each).
STORY_MIN_PARALLEL = 10_000


def _score_candidates(
    part: slice, shared: tuple[StoryModel, np.ndarray, Config]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The candidates ``part`` that pass the TF-IDF gate, with their score, verdict, specific overlap and topic."""
    model, all_cands, config = shared
    cands = all_cands[part]
    # Topic alone never makes a same-story pair: the plain TF-IDF cosine is
    # checked first, then the score, then the specific evidence.
    tfidf = model.tfidf_scores(cands)
    gate = tfidf >= config.story_min_tfidf
    cands = cands[gate]
    scores, keep = model.verdicts(cands, config, tfidf[gate])
    spec, _ = model.specific_scores(cands)
    topic = model.topic_scores(cands)
    return cands, scores, keep, spec, topic


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
