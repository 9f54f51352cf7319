"""Passages below the paragraph: word n-gram anchors and seed-and-extend alignment.

The paragraph MinHash/LSH core finds copies of whole paragraphs. This module
finds reuse that ignores paragraph borders (a two-sentence quote inside a
paragraph, a copy whose paragraphs were merged or split, OCR text with
hyphenated line breaks) and reports it with word-exact character spans.

Stages (each a plain function with explicit inputs):

1. :func:`tokenize` turns an original text into normalized word tokens
   (the same normalization as :func:`dedup.normalize.normalized_tokens`,
   applied per whitespace-delimited word) with, for every token, the
   character span of the word it came from. A word hyphenated across a line
   break (``exam-\\nple``) is one token (``example``).
2. :func:`anchor_candidates` hashes every word :data:`ANCHOR_N`-gram,
   keeps the winnowed ones (the minimum of every window of ``align_window``
   consecutive n-gram hashes, Schleimer et al. 2003: any shared run of
   ``n + w - 1`` tokens shares an anchor), indexes them per document and
   proposes the document pairs that share at least ``align_min_anchors``
   anchors. An anchor posted by more than :data:`MAX_POSTING` documents
   (templated text) gives linked windows (:func:`dedup.lsh.window_pairs`)
   instead of all pairs, so the cost stays linear in the postings.
3. :func:`align_tokens` aligns one pair: exact :data:`SEED_K`-gram seeds are
   merged into runs along diagonals, runs are chained across gaps whose
   unmatched tokens (after fuzzy matching) number at most ``align_max_gap``,
   and every chain is extended at both ends. Tokens match when equal, or
   (OCR noise) when both have at least :data:`FUZZY_MIN_CHARS` characters
   and differ by one edit. A chain is a passage when it has at least
   ``align_min_tokens`` matched tokens on each side covering at least half
   of each span. The work per pair is bounded (:data:`MAX_SEEDS`).
4. :func:`passages_for` turns aligned chains into :class:`Passage` spans:
   a span starts at its first word and ends at its last word (with the
   word's punctuation), or at the paragraph's borders when it covers the
   paragraph's first or last word.

:func:`align_documents` runs all of it and merges the paragraph passages of
:func:`dedup.match.build_passages` that no aligned passage touches (short
paragraphs below the minimum length).

Speed: :func:`passages_for` finds the seeds of all candidate pairs at once
(numpy), or, when numba is installed (the ``fast`` extra, after the warm-up of
:mod:`dedup._accel`), runs seeds, chaining, extension and the bigram
similarity of every pair in one compiled call (:mod:`dedup._align_numba`, a
port of the Python reference here; both give byte-identical output, see
``tests/test_align_numba.py``). Cost per pair is bounded: at most
:data:`MAX_SEEDS` seeds (the first in ``a`` order; seed n-grams repeated more
than :data:`MAX_REPEAT` times in ``b`` are not seeds), each chain link costs a
gap comparison of at most ``MAX_RAW_GAP ** 2`` token pairs, and each
extension step at most ``2 * (align_max_gap + 1) ** 2`` token comparisons.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._accel import kernels
from .config import Config
from .lsh import BUCKET_LINKS, cap_links
from .models import Passage, Span
from .normalize import normalized_tokens
from .paragraphs import ParagraphTable, resolve_jobs
from .shingle import TokenHasher
from .workers import MIN_PARALLEL_ITEMS, balanced_slices, map_ordered, map_slices

__all__ = [
    "ALIGN_BATCH_TOKENS",
    "ANCHOR_N",
    "FUZZY_MIN_CHARS",
    "MAX_ALIGN_CHARS",
    "MAX_ALIGN_PARTNERS",
    "MAX_POSTING",
    "MAX_SEEDS",
    "MIN_MATCHED_SHARE",
    "MIN_SEED_COVER",
    "SEED_K",
    "TOKENIZE_MIN_PARALLEL",
    "AlignResult",
    "Chain",
    "DocTokens",
    "align_batches",
    "align_documents",
    "align_tokens",
    "anchor_candidates",
    "cap_partners",
    "fuzzy_equal",
    "over_partner_cap",
    "passages_for",
    "token_masks",
    "tokenize",
    "tokenize_documents",
    "tokenize_over_jobs",
]

#: Tokens per anchor n-gram.
ANCHOR_N = 5
#: Tokens per seed inside a candidate pair (shorter than an anchor: denser seeds in noisy text).
SEED_K = 4
#: Documents posting one anchor above which they are linked in windows, not all pairs.
MAX_POSTING = 20
#: A seed n-gram occurring more often than this in one document of a pair is not a seed.
MAX_REPEAT = 8
#: Seeds per pair at most (the rest are dropped: bounded cost per pair).
MAX_SEEDS = 50_000
#: Tokens shorter than this never match fuzzily.
FUZZY_MIN_CHARS = 5
#: Documents longer than this (characters) are not tokenized for alignment: their passages and
#: pair scores come from whole paragraphs only (bounds memory and time for huge inputs).
MAX_ALIGN_CHARS = 2_000_000
_BATCH_CHARS = 8_000_000
_BATCH_ROWS = 2_000_000
#: Matched tokens over the longer side's span an aligned passage needs at least.
MIN_MATCHED_SHARE = 0.8
#: Share of ``align_min_tokens`` that exact seed runs on one diagonal must cover before a pair is aligned.
MIN_SEED_COVER = 0.75
#: Raw gap (tokens) between two seed runs above which they are never chained.
MAX_RAW_GAP = 16

_MUL = np.uint64(0x9E3779B97F4A7C15)
_MASKED = np.uint64(1 << 63)
_WORD = np.zeros(256, dtype=bool)
for _c in range(256):
    _WORD[_c] = _c < 128 and (chr(_c).isalnum() or chr(_c) == "_")
_SPACE = np.zeros(256, dtype=bool)
for _c in " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85":
    if ord(_c) < 128:
        _SPACE[ord(_c)] = True
_WORD_BYTES = bytes(1 if _WORD[c] else 0 for c in range(256))
_ASCII_NONWORD = bytes(c if c < 128 and (chr(c).isalnum() or chr(c) == "_") else 32 for c in range(256))
_CITATION_RE = re.compile(r"\[\d{1,4}\]")
_CHUNK_RE = re.compile(r"\S+")
_WORD_RE = re.compile(r"\w+")
_HYPHEN_BREAK_RE = re.compile(r"(?<=\w)-[ \t]*\r?\n\s*(?=[a-z])")


@dataclass
class DocTokens:
    """The normalized word tokens of one text and where they are written.

    Attributes:
        hashes: 64-bit hash of each token (uint64).
        start: Start offset of each token in the original text.
        end: End offset of each token in the original text.
        codes: The tokens' characters end to end: bytes (uint8) when all
            are ASCII, else Unicode code points (uint32).
        code_off: Token ``k`` is ``codes[code_off[k]:code_off[k + 1]]`` (one more than the tokens).

    The offsets are int32 (a text is aligned only up to :data:`MAX_ALIGN_CHARS`
    characters): the tokens of every document are held through alignment,
    and 64-bit offsets were a third of them.
    """

    hashes: np.ndarray
    start: np.ndarray
    end: np.ndarray
    codes: np.ndarray
    code_off: np.ndarray

    def __post_init__(self) -> None:
        self.start = self.start.astype(np.int32, copy=False)
        self.end = self.end.astype(np.int32, copy=False)
        self.code_off = self.code_off.astype(np.int32, copy=False)

    def __len__(self) -> int:
        return len(self.hashes)

    @property
    def words(self) -> list[str]:
        """The normalized tokens as strings (decoded from :attr:`codes` on every access).

        >>> tokenize("Caf\\u00e9 au lait").words
        ['cafe', 'au', 'lait']
        """
        if self.codes.dtype == np.uint8:
            s = self.codes.tobytes().decode("ascii")
        else:
            s = self.codes.astype(np.uint32).tobytes().decode("utf-32-le")
        off = self.code_off.tolist()
        return [s[a:b] for a, b in zip(off[:-1], off[1:])]


def _doc_tokens(words: list[str], hashes: np.ndarray, start: np.ndarray, end: np.ndarray) -> DocTokens:
    """:class:`DocTokens` of a list of normalized tokens."""
    joined = "".join(words)
    if joined.isascii():
        codes = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    else:
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    off = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, words), dtype=np.int64, count=len(words)), out=off[1:])
    return DocTokens(hashes, start, end, codes, off)


_NO_TOKENS = DocTokens(
    np.empty(0, dtype=np.uint64),
    np.empty(0, dtype=np.int64),
    np.empty(0, dtype=np.int64),
    np.empty(0, dtype=np.uint8),
    np.zeros(1, dtype=np.int64),
)


def _ascii_tokens(text: str, words: bool = True) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tokens of an ASCII text: ``(words, start, end, codes, code_off)`` (see :class:`DocTokens`).

    ``words=False`` leaves the word list empty (the tokens' characters are in ``codes``).
    """
    t = _CITATION_RE.sub(lambda m: " " * len(m.group()), text) if "[" in text else text
    raw = t.encode("ascii")
    b = np.frombuffer(raw, dtype=np.uint8)
    if len(b) == 0:
        e = np.empty(0, dtype=np.int64)
        return [], e, e.copy(), np.empty(0, dtype=np.uint8), np.zeros(1, dtype=np.int64)
    # Word runs: their borders alternate start, end, start, ... in the edges of the word mask.
    w = np.zeros(len(raw) + 2, dtype=np.int8)
    w[1:-1] = np.frombuffer(raw.translate(_WORD_BYTES), dtype=np.int8)
    borders = np.flatnonzero(np.diff(w))
    start, end = borders[0::2], borders[1::2]
    # ASCII: lower-casing and the word/non-word split work on the bytes (fast table lookups);
    # non-word bytes become spaces, so the tokens' characters are the bytes left without them.
    lowered = raw.lower().translate(_ASCII_NONWORD)
    codes = np.frombuffer(lowered.replace(b" ", b""), dtype=np.uint8)
    off = np.zeros(len(start) + 1, dtype=np.int64)
    np.cumsum(end - start, out=off[1:])
    return (lowered.decode("ascii").split() if words else []), start, end, codes, off


def _hash_codes(codes: np.ndarray, off: np.ndarray, hasher: TokenHasher, kernel) -> np.ndarray:
    """:meth:`TokenHasher.hash_array` of the tokens held in ``codes``/``off``, each distinct token hashed once.

    The numba kernel finds the distinct tokens without making a string of every token.
    """
    ids, first = kernel.distinct_tokens(codes, off)
    chars = codes.tobytes().decode("ascii") if codes.dtype == np.uint8 else codes.tobytes().decode("utf-32-le")
    lo, hi = off[first].tolist(), off[first + 1].tolist()
    return hasher.hash_array([chars[a:b] for a, b in zip(lo, hi)])[ids]


def _general_tokens(text: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    words: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for m in _CHUNK_RE.finditer(text):
        chunk = m.group()
        toks = normalized_tokens(chunk)
        if not toks:
            continue
        runs = [(m.start() + r.start(), m.start() + r.end()) for r in _WORD_RE.finditer(chunk)]
        if len(runs) != len(toks):
            # Normalization changed the word count (ligatures, joiners): every token gets the word's span.
            s = runs[0][0] if runs else m.start()
            e = runs[-1][1] if runs else m.end()
            runs = [(s, e)] * len(toks)
        words.extend(toks)
        starts.extend(r[0] for r in runs)
        ends.extend(r[1] for r in runs)
    return words, np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)


def tokenize(text: str, hasher: TokenHasher | None = None) -> DocTokens:
    """Normalized word tokens of an original text, with their characters' spans.

    Args:
        text: The document as written.
        hasher: Token hash cache to use (a new one by default).

    Returns:
        The tokens; ``text[start[k]:end[k]]`` is token ``k`` as written
        (before normalization). A word hyphenated across a line break is one
        token spanning both lines.

    Example:
        >>> text = 'He said: "An exam-\\nple, [1] here."'
        >>> t = tokenize(text)
        >>> t.words
        ['he', 'said', 'an', 'example', 'here']
        >>> [text[s:e] for s, e in zip(t.start, t.end)]
        ['He', 'said', 'An', 'exam-\\nple', 'here']
    """
    hasher = hasher or TokenHasher()
    joins = [m.start() for m in _HYPHEN_BREAK_RE.finditer(text)] if "-\n" in text or "- \n" in text else []
    if not joins and text.isascii():
        words, start, end, codes, off = _ascii_tokens(text)
        return DocTokens(hasher.hash_array(words), start, end, codes, off)
    words, start, end = _ascii_tokens(text)[:3] if text.isascii() else _general_tokens(text)
    if joins:
        # The token before a break ends at its hyphen; merge it with the next token.
        merge_at = set(joins)
        out_words: list[str] = []
        out_start: list[int] = []
        out_end: list[int] = []
        k, n = 0, len(words)
        while k < n:
            w, s, e = words[k], int(start[k]), int(end[k])
            while e in merge_at and k + 1 < n and int(start[k + 1]) > e:
                k += 1
                w += words[k]
                e = int(end[k])
            out_words.append(w)
            out_start.append(s)
            out_end.append(e)
            k += 1
        words = out_words
        start = np.array(out_start, dtype=np.int64)
        end = np.array(out_end, dtype=np.int64)
    return _doc_tokens(words, hasher.hash_array(words), start, end)


def tokenize_documents(texts: Sequence[str], hasher: TokenHasher | None = None) -> list[DocTokens]:
    """:func:`tokenize` of every text; plain ASCII texts are tokenized together in one vectorised pass.

    A text longer than :data:`MAX_ALIGN_CHARS` gets no tokens (it is not aligned).

    Example:
        >>> [t.words for t in tokenize_documents(["Two words", "Trois mots, café"])]
        [['two', 'words'], ['trois', 'mots', 'cafe']]
    """
    hasher = hasher or TokenHasher()
    out: list[DocTokens | None] = [None] * len(texts)
    plain = [
        i for i, t in enumerate(texts) if len(t) <= MAX_ALIGN_CHARS and t.isascii() and not ("-\n" in t or "- \n" in t)
    ]
    # Batches of at most _BATCH_CHARS characters (bounded memory). Texts are joined by a newline,
    # which no token or citation mark crosses: each text gets the tokens it gets alone.
    batches: list[list[int]] = []
    size = 0
    for i in plain:
        if not batches or size + len(texts[i]) > _BATCH_CHARS:
            batches.append([])
            size = 0
        batches[-1].append(i)
        size += len(texts[i]) + 1
    for batch in batches:
        big = "\n".join(texts[i] for i in batch)
        kernel = _align_kernel(0)
        words, start, end, codes, off = _ascii_tokens(big, words=kernel is None)
        hashes = hasher.hash_array(words) if kernel is None else _hash_codes(codes, off, hasher, kernel)
        del words
        lens = np.array([len(texts[i]) for i in batch], dtype=np.int64)
        base = np.cumsum(lens + 1) - (lens + 1)
        cut = np.append(np.searchsorted(start, base), len(start)).tolist()
        # A batch holds at most _BATCH_CHARS characters: its offsets fit the tokens' int32.
        start, end, off = start.astype(np.int32), end.astype(np.int32), off.astype(np.int32)
        base_l = base.tolist()
        for k, i in enumerate(batch):
            lo, hi, b = cut[k], cut[k + 1], base_l[k]
            c0, c1 = int(off[lo]), int(off[hi])
            out[i] = DocTokens(hashes[lo:hi], start[lo:hi] - b, end[lo:hi] - b, codes[c0:c1], off[lo : hi + 1] - c0)
    for i, t in enumerate(texts):
        if out[i] is None:
            out[i] = tokenize(t, hasher) if len(t) <= MAX_ALIGN_CHARS else _NO_TOKENS
    return [t for t in out if t is not None]


#: Fewer texts than this are tokenized in the calling process (a fork and sending the tokens back
#: cost more than tokenizing a few hundred articles).
TOKENIZE_MIN_PARALLEL = 2_000


def _tokenize_part(part: slice, texts: Sequence[str]) -> list[DocTokens]:
    return tokenize_documents(texts[part])


def tokenize_over_jobs(texts: Sequence[str], jobs: int) -> list[DocTokens]:
    """:func:`tokenize_documents` of ``texts``, consecutive slices of them over ``jobs`` processes.

    A text's tokens do not depend on the other texts (the hash of a token is
    its ``blake2b``, whichever cache computes it), so the result is the same
    for every ``jobs``; only numpy arrays travel back from the workers.

    >>> [t.words for t in tokenize_over_jobs(["Two words", "Trois mots, café"], jobs=2)]
    [['two', 'words'], ['trois', 'mots', 'cafe']]
    """
    weights = [len(t) + 1 for t in texts]
    parts = map_slices(_tokenize_part, texts, weights, jobs, min_items=TOKENIZE_MIN_PARALLEL, per_job=2)
    return [t for part in parts for t in part]


def token_masks(
    table: ParagraphTable, tokens: Sequence[DocTokens], excluded_rows: np.ndarray | None
) -> list[np.ndarray]:
    """Per document, which tokens lie in excluded paragraphs (boilerplate).

    Args:
        table: The prepared paragraphs.
        tokens: The documents' tokens, by document index.
        excluded_rows: Boolean mask of excluded table rows, or ``None``.

    Returns:
        One boolean array per document (true = left out of alignment).
    """
    masks = [np.zeros(len(t), dtype=bool) for t in tokens]
    if excluded_rows is None or not excluded_rows.any():
        return masks
    rows = np.flatnonzero(excluded_rows)
    for r in rows.tolist():
        d = int(table.doc[r])
        t = tokens[d]
        lo, hi = np.searchsorted(t.start, [table.start[r], table.end[r]])
        masks[d][lo:hi] = True
    return masks


def _masked_hashes(t: DocTokens, mask: np.ndarray, d: int) -> np.ndarray:
    """Token hashes with excluded tokens replaced by values no other token has."""
    if not mask.any():
        return t.hashes
    pos = np.arange(len(t), dtype=np.uint64)
    unique = _MASKED | (np.uint64(d) << np.uint64(32)) | pos
    return np.where(mask, unique, t.hashes)


def _kgrams(h: np.ndarray, k: int) -> np.ndarray:
    """Hash of every run of ``k`` consecutive token hashes (wrapping uint64 arithmetic)."""
    n = len(h) - k + 1
    if n <= 0:
        return np.empty(0, dtype=np.uint64)
    g = h[:n].copy()
    with np.errstate(over="ignore"):
        for t in range(1, k):
            g = g * _MUL + h[t : t + n]
    return g


def _winnow(g: np.ndarray, w: int) -> np.ndarray:
    """Position of the rightmost minimum of every window of ``w`` values, each position once.

    The positions never decrease from one window to the next (a window's
    rightmost minimum stays the minimum until it leaves or a smaller value
    enters on the right), so duplicates are neighbours.

    Example:
        >>> _winnow(np.array([5, 1, 4, 1, 3, 2, 6], dtype=np.uint64), 3).tolist()
        [1, 3, 5]
    """
    n = len(g) - w + 1
    mins = g[:n].copy()
    for k in range(1, w):
        np.minimum(mins, g[k : k + n], out=mins)
    # Offset in its window of the rightmost minimum (later offsets override earlier ones).
    at = np.zeros(n, dtype=np.int8 if w < 128 else np.int64)
    for k in range(1, w):
        np.copyto(at, k, where=g[k : k + n] == mins)
    pos = np.arange(n, dtype=np.int64) + at
    keep = np.ones(n, dtype=bool)
    keep[1:] = pos[1:] != pos[:-1]
    return pos[keep]


def _anchors(tokens: Sequence[DocTokens], masks: Sequence[np.ndarray], w: int) -> tuple[np.ndarray, ...]:
    """Winnowed anchors of all documents at once: ``(hash, doc, position)`` arrays."""
    lengths = np.array([len(t) for t in tokens], dtype=np.int64)
    if len(tokens) == 0 or int(lengths.sum()) < ANCHOR_N:
        e = np.empty(0, dtype=np.int64)
        return np.empty(0, dtype=np.uint64), e, e.copy()
    h = np.concatenate([t.hashes for t in tokens])
    m = np.concatenate(masks)
    kernel = _align_kernel(0)
    if kernel is not None:
        return kernel.winnowed_anchors(h, m, lengths, ANCHOR_N, w, _MUL, np.uint64(0xFFFFFFFFFFFFFFFF))
    doc = np.repeat(np.arange(len(tokens), dtype=np.int64), lengths)
    first = np.cumsum(lengths) - lengths
    g = _kgrams(h, ANCHOR_N)
    n = len(g)
    # An n-gram is valid when it stays inside one document and holds no excluded token.
    valid = doc[:n] == doc[ANCHOR_N - 1 :]
    if m.any():
        valid &= np.convolve(m.astype(np.int64), np.ones(ANCHOR_N, dtype=np.int64), mode="valid") == 0
    g = np.where(valid, g, np.uint64(0xFFFFFFFFFFFFFFFF))
    pick = np.array([n - 1 - int(np.argmin(g[::-1]))], dtype=np.int64) if n <= w else _winnow(g, w)
    # A window crossing documents may pick an n-gram of either: still a winnowed n-gram of its own document.
    pick = pick[valid[pick]]
    d = doc[pick]
    return g[pick], d, pick - first[d]


def _posting_entries(h: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The anchor pairs ``(left, right)`` (indexes into ``h``, sorted by hash) :func:`anchor_candidates` chains.

    Every pair of the anchors of a hash posted at most :data:`MAX_POSTING`
    times; linked windows of :data:`~dedup.lsh.BUCKET_LINKS` in a larger
    posting. The indexes are int32 while they fit (they are the largest
    arrays of the anchor index).

    >>> [x.tolist() for x in _posting_entries(np.array([1, 1, 1, 2, 3, 3], dtype=np.uint64))]
    [[0, 0, 1, 4], [1, 2, 2, 5]]
    """
    ix = np.int32 if len(h) < 2**31 - MAX_POSTING - BUCKET_LINKS else np.int64
    boundary = np.ones(len(h), dtype=bool)
    boundary[1:] = h[1:] != h[:-1]
    starts = np.flatnonzero(boundary).astype(ix)
    sizes = np.diff(np.append(starts, ix(len(h))))
    del boundary
    lefts, rights = [], []
    small = (sizes > 1) & (sizes <= MAX_POSTING)
    if small.any():
        # All pairs of entries inside each small group: entry e pairs with the later entries of its group.
        gs, gz = starts[small], sizes[small]
        entries = np.repeat(gs, gz) + (np.arange(int(gz.sum()), dtype=ix) - np.repeat(np.cumsum(gz, dtype=ix) - gz, gz))
        rem = np.repeat(gs + gz, gz) - entries - 1
        left = np.repeat(entries, rem)
        first = np.cumsum(rem, dtype=np.int64) - rem
        lefts.append(left)
        rights.append(left + 1 + (np.arange(int(rem.sum()), dtype=np.int64) - np.repeat(first, rem)).astype(ix))
        del entries, rem, first
    big = sizes > MAX_POSTING
    if big.any():
        # Linked windows (lsh.window_pairs) of every large group at once: entry e with e + 1 .. e + links.
        gs, gz = starts[big], sizes[big]
        entries = np.repeat(gs, gz) + (np.arange(int(gz.sum()), dtype=ix) - np.repeat(np.cumsum(gz, dtype=ix) - gz, gz))
        group_end = np.repeat(gs + gz, gz)
        for d in range(1, BUCKET_LINKS + 1):
            sel = entries + d < group_end
            lefts.append(entries[sel])
            rights.append(entries[sel] + d)
    if not lefts:
        return None
    return np.concatenate(lefts), np.concatenate(rights)


def anchor_candidates(
    tokens: Sequence[DocTokens], masks: Sequence[np.ndarray], config: Config
) -> tuple[np.ndarray, np.ndarray]:
    """Document pairs sharing a chain of winnowed word n-gram anchors.

    Two documents are a candidate when at least ``align_min_anchors`` of
    their shared anchors lie on one alignment diagonal (position in ``b``
    minus position in ``a``, within ``align_max_gap``), each within
    :data:`MAX_RAW_GAP` + n tokens of the previous one: scattered shared
    phrases do not make a candidate, a copied run does.

    Args:
        tokens: The documents' tokens, by document index.
        masks: Excluded tokens per document (:func:`token_masks`).
        config: Settings (``align_window``, ``align_min_anchors``, ``align_max_gap``).

    Returns:
        ``(pairs, shared)``: an ``(m, 2)`` array of document index pairs
        ``a <= b`` (``a == b``: a run repeated inside one document) in sorted
        order, and the length of each pair's longest anchor chain.

    Example:
        >>> from dedup.config import Config
        >>> a = tokenize("one two three four five six seven eight nine ten eleven twelve thirteen fourteen")
        >>> b = tokenize("zero one two three four five six seven eight nine ten eleven twelve thirteen")
        >>> c = tokenize("nothing in common with the other two texts at all")
        >>> m = [np.zeros(len(t), dtype=bool) for t in (a, b, c)]
        >>> pairs, shared = anchor_candidates([a, b, c], m, Config())
        >>> pairs.tolist()
        [[0, 1]]
    """
    empty = np.empty((0, 2), dtype=np.int64), np.empty(0, dtype=np.int64)
    h, doc, pos = _anchors(tokens, masks, config.align_window)
    if len(h) < 2:
        return empty
    # The anchors come in (doc, pos) order: a stable sort by hash gives (hash, doc, pos) order.
    order = np.argsort(h, kind="stable")
    h, doc, pos = h[order], doc[order], pos[order]
    found = _posting_entries(h)
    if found is None:
        return empty
    left, right = found
    # Entries are sorted by (hash, doc, pos) inside a group: left has doc <= right's doc.
    doc32, pos32 = doc.astype(np.int32), pos.astype(np.int32)
    del h, doc, pos, order
    da_all = doc32[left]
    n_docs = len(tokens)
    longest = int(max((len(t) for t in tokens), default=0)) + 1
    keys_out, lens_out = [], []
    # The chains of a document pair are found among its entries only: the entries are taken in
    # ranges of their first document of about _CHAIN_ENTRIES entries each (bounded memory), and the
    # pairs of one range all sort before those of the next.
    counts = np.bincount(da_all, minlength=n_docs)
    bounds = _ranges(counts, _CHAIN_ENTRIES)
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        sel = np.flatnonzero((da_all >= lo) & (da_all < hi)) if len(bounds) > 2 else slice(None)
        keys, lens = _chains(doc32, pos32, left[sel], right[sel], n_docs, longest, config.align_min_anchors)
        keys_out.append(keys)
        lens_out.append(lens)
    keys, lens = np.concatenate(keys_out), np.concatenate(lens_out)
    if not len(keys):
        return empty
    pairs = np.stack([keys // n_docs, keys % n_docs], axis=1)
    return pairs.astype(np.int64), lens.astype(np.int64)


#: Anchor pair entries :func:`anchor_candidates` chains at once (the others wait as two int32 indexes).
_CHAIN_ENTRIES = 4_000_000


def _ranges(counts: np.ndarray, limit: int) -> list[int]:
    """Borders ``[0, ..., len(counts)]`` of consecutive ranges holding about ``limit`` of ``counts`` each.

    >>> _ranges(np.array([3, 1, 4, 1, 5]), 5)
    [0, 2, 4, 5]
    >>> _ranges(np.array([3, 1]), 100)
    [0, 2]
    """
    cum = np.cumsum(counts)
    total = int(cum[-1]) if len(cum) else 0
    inner = np.searchsorted(cum, np.arange(limit, total, limit), side="right")
    return [0, *sorted(set(inner.tolist()) - {0, len(counts)}), len(counts)]


def _chains(
    doc: np.ndarray,
    pos: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    n_docs: int,
    longest: int,
    min_anchors: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of these anchor entries with a chain of ``min_anchors``.

    Returns their keys ``a * n_docs + b`` (sorted) and their longest chains.
    """
    empty = np.empty(0, dtype=np.int64)
    da, db, pa, pb = doc[left], doc[right], pos[left], pos[right]
    same = da == db
    keep = ~same | (pb - pa >= ANCHOR_N)
    da, db, pa, pb = da[keep], db[keep], pa[keep], pb[keep]
    if len(da) == 0:
        return empty, empty
    pair_key = da.astype(np.int64) * np.int64(n_docs) + db
    diag = pb - pa
    del da, db, pb
    # Sorted by (pair, diagonal, position); the triples are distinct (one anchor per position), so
    # one int64 key sorts them the same way when it fits.
    if n_docs**2 * (2 * longest + 1) * longest < 2**62:
        o = np.argsort((pair_key * (2 * longest + 1) + (diag + longest)) * longest + pa)
    else:
        o = np.lexsort((pa, diag, pair_key))
    pair_key, diag, pa = pair_key[o], diag[o], pa[o]
    # Chains: consecutive anchors of one pair on one diagonal, close in position.
    cont = np.zeros(len(pa), dtype=bool)
    cont[1:] = (pair_key[1:] == pair_key[:-1]) & (diag[1:] == diag[:-1]) & (pa[1:] - pa[:-1] <= MAX_RAW_GAP + ANCHOR_N)
    chain_id = np.cumsum(~cont) - 1
    chain_len = np.bincount(chain_id)
    chain_pair = pair_key[~cont]
    ok = chain_len >= min_anchors
    if not ok.any():
        return empty, empty
    keys = chain_pair[ok]
    lens = chain_len[ok]
    o = np.lexsort((-lens, keys))
    keys, lens = keys[o], lens[o]
    firsts = np.ones(len(keys), dtype=bool)
    firsts[1:] = keys[1:] != keys[:-1]
    return keys[firsts], lens[firsts].astype(np.int64)


def fuzzy_equal(x: str, y: str) -> bool:
    """Whether two tokens match: equal, or one edit apart when both have >= :data:`FUZZY_MIN_CHARS` - 1 chars.

    One edit is a substituted, dropped or doubled (inserted) character, as in
    OCR noise; the longer token must have at least :data:`FUZZY_MIN_CHARS`
    characters.

    Example:
        >>> fuzzy_equal("bridge", "brigde"), fuzzy_equal("bridge", "bidge"), fuzzy_equal("bridge", "briddge")
        (False, True, True)
        >>> fuzzy_equal("cat", "car"), fuzzy_equal("harbour", "harbour")
        (False, True)
    """
    if x == y:
        return True
    lx, ly = len(x), len(y)
    if max(lx, ly) < FUZZY_MIN_CHARS or abs(lx - ly) > 1:
        return False
    if lx == ly:
        diff = 0
        for a, b in zip(x, y):
            if a != b:
                diff += 1
                if diff > 1:
                    return False
        return True
    if lx > ly:
        x, y = y, x
    # y is one longer: find the first difference, skip it in y.
    i = 0
    while i < len(x) and x[i] == y[i]:
        i += 1
    return x[i:] == y[i + 1 :]


@dataclass
class Chain:
    """Aligned token ranges ``[a0, a1)`` and ``[b0, b1)`` with ``matched`` matched tokens."""

    a0: int
    b0: int
    a1: int
    b1: int
    matched: int
    exact: bool = False


class _Pair:
    """The two token sequences of one alignment and their match test (the reference of the numba kernel)."""

    def __init__(
        self,
        wa: list[str],
        wb: list[str],
        ha: list[int],
        hb: list[int],
        ma: list[bool],
        mb: list[bool],
    ) -> None:
        self.wa, self.wb = wa, wb
        self.ha, self.hb = ha, hb
        self.ma, self.mb = ma, mb
        self.la, self.lb = len(wa), len(wb)

    def eq(self, i: int, j: int) -> bool:
        if i < 0 or j < 0 or i >= self.la or j >= self.lb:
            return False
        if self.ha[i] == self.hb[j]:
            return True
        if self.ma[i] or self.mb[j]:
            return False
        return fuzzy_equal(self.wa[i], self.wb[j])

    def gap_matches(self, i0: int, i1: int, j0: int, j1: int) -> int:
        """Longest common subsequence (fuzzy) of ``a[i0:i1]`` and ``b[j0:j1]``."""
        n, m = i1 - i0, j1 - j0
        if n <= 0 or m <= 0:
            return 0
        prev = [0] * (m + 1)
        for x in range(n):
            cur = [0] * (m + 1)
            for y in range(m):
                cur[y + 1] = prev[y] + 1 if self.eq(i0 + x, j0 + y) else max(prev[y + 1], cur[y])
            prev = cur
        return prev[m]

    def extend(self, i: int, j: int, step: int, max_gap: int, lim_a: int, lim_b: int) -> tuple[int, int, int]:
        """Walk from ``(i, j)`` (the first pair past a chain end) while tokens keep matching.

        ``step`` is 1 (forward) or -1 (backward). A mismatch is crossed when,
        after skipping at most ``max_gap`` tokens on either side, two pairs
        match in a row. Returns the last matched positions (exclusive in the
        walking direction) and the number of matched tokens.
        """
        la_, lb_ = (lim_a, lim_b)
        matched = 0
        last_i, last_j = i, j
        eq = self.eq

        def inside(x: int, y: int) -> bool:
            return (x < la_ and y < lb_) if step > 0 else (x > la_ and y > lb_)

        while inside(i, j):
            if eq(i, j):
                matched += 1
                i += step
                j += step
                last_i, last_j = i, j
                continue
            moved = False
            for total in range(1, 2 * max_gap + 1):
                for di in range(max(0, total - max_gap), min(total, max_gap) + 1):
                    dj = total - di
                    x, y = i + step * di, j + step * dj
                    if inside(x, y) and inside(x + step, y + step) and eq(x, y) and eq(x + step, y + step):
                        i, j = x, y
                        moved = True
                        break
                if moved:
                    break
            if not moved:
                break
        return last_i, last_j, matched


def _chain_extend(runs: list[list[int]], pr: _Pair, same: bool, max_gap: int) -> list[list[int]]:
    """Chain seed runs across short gaps and extend every chain at both ends.

    The reference implementation of :func:`dedup._align_numba.chain_extend`
    (same rows, same order). Returns rows ``[a0, b0, a1, b1, matched]`` in the
    order the chains were closed.
    """
    open_chains: list[list[int]] = []
    closed: list[list[int]] = []
    for a0, b0, length in runs:
        a1, b1 = a0 + length, b0 + length
        best: list[int] | None = None
        best_cost = 0
        still_open = []
        for c in open_chains:
            if c[2] < a0 - MAX_RAW_GAP:
                closed.append(c)
                continue
            still_open.append(c)
            ga, gb = a0 - c[2], b0 - c[3]
            if ga > MAX_RAW_GAP or gb > MAX_RAW_GAP or min(ga, gb) < -length or a1 <= c[2] or b1 <= c[3]:
                continue
            if abs(ga - gb) > max_gap:
                continue
            cost = max(ga, gb)
            if best is None or cost < best_cost:
                best, best_cost = c, cost
        open_chains = still_open
        if best is not None:
            ga, gb = a0 - best[2], b0 - best[3]
            if ga < 0 or gb < 0:
                # Overlapping seed run: keep the part past the chain end on both sides.
                cut = -min(ga, gb)
                a0, b0 = a0 + cut, b0 + cut
                ga, gb = ga + cut, gb + cut
            lcs = pr.gap_matches(best[2], a0, best[3], b0)
            if max(ga, gb) - lcs <= max_gap and not (same and a1 > b0):
                best[2], best[3] = a1, b1
                best[4] += lcs + (a1 - a0)
                continue
        if same and a1 > b0:
            continue  # overlapping self match (periodic text): skipped
        open_chains.append([a0, b0, a1, b1, a1 - a0])
    closed.extend(open_chains)
    for c in closed:
        i, j, m1 = pr.extend(c[2], c[3], 1, max_gap, c[1] if same else pr.la, pr.lb)
        c[2], c[3] = i, j
        i, j, m2 = pr.extend(c[0] - 1, c[1] - 1, -1, max_gap, -1, c[2] - 1 if same else -1)
        c[0], c[1] = i + 1, j + 1
        c[4] += m1 + m2
    return closed


def _seed_runs(ha: np.ndarray, hb: np.ndarray, same: bool) -> np.ndarray:
    """Runs of consecutive exact :data:`SEED_K`-gram matches: rows ``(a0, b0, length_in_tokens)``.

    At most :data:`MAX_SEEDS` seeds (the first in ``a`` order) and no seed
    n-gram occurring more than :data:`MAX_REPEAT` times in ``b``.
    """
    runs, _ = _batch_runs([ha] if same else [ha, hb], np.array([[0, 0 if same else 1]], dtype=np.int64))
    return runs[:, 1:]


def _batch_runs(hashes: Sequence[np.ndarray], pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_seed_runs` of many pairs at once (vectorised over all pairs).

    Args:
        hashes: Masked token hashes per (local) document.
        pairs: ``(m, 2)`` local document index pairs.

    Returns:
        Rows ``(pair, a0, b0, length)`` sorted by pair, ``a0``, ``b0``; and per
        pair the longest total of seed-run tokens on one diagonal.
    """
    m = len(pairs)
    none = np.empty((0, 4), dtype=np.int64)
    cover = np.zeros(m, dtype=np.int64)
    lengths = np.array([len(h) for h in hashes], dtype=np.int64)
    if m == 0 or int(lengths.sum()) == 0:
        return none, cover
    glen = np.maximum(lengths - SEED_K + 1, 0)
    gfirst = np.cumsum(glen) - glen
    grams = np.concatenate([_kgrams(h, SEED_K) for h in hashes])
    if len(grams) == 0:
        return none, cover
    # One sortable key per (document, n-gram): the n-gram's rank among all distinct n-grams. Only
    # n-grams written at least twice in all the documents can be seeds (the others are left out).
    uniq, rank = np.unique(grams, return_inverse=True)
    rank = rank.reshape(-1).astype(np.int64)
    n_uniq = np.int64(len(uniq))
    gdoc = np.repeat(np.arange(len(hashes), dtype=np.int64), glen)
    upos = np.flatnonzero(np.bincount(rank, minlength=len(uniq))[rank] >= 2)
    ucount = np.bincount(gdoc[upos], minlength=len(hashes))
    ufirst = np.cumsum(ucount) - ucount
    key = gdoc[upos] * n_uniq + rank[upos]
    order = np.argsort(key, kind="stable")
    skey = key[order]
    spos = upos[order] - gfirst[gdoc[upos[order]]]
    out: list[np.ndarray] = []
    # Pairs in batches of about _BATCH_ROWS query n-grams (bounded memory).
    qlen = ucount[pairs[:, 0]]
    bounds = [0]
    acc = 0
    for p, q in enumerate(qlen.tolist()):
        if acc and acc + q > _BATCH_ROWS:
            bounds.append(p)
            acc = 0
        acc += q
    bounds.append(m)
    for lo_p, hi_p in zip(bounds[:-1], bounds[1:]):
        pa, pb = pairs[lo_p:hi_p, 0], pairs[lo_p:hi_p, 1]
        ql = qlen[lo_p:hi_p]
        total = int(ql.sum())
        if total == 0:
            continue
        qpair = np.repeat(np.arange(lo_p, hi_p, dtype=np.int64), ql)
        qfirst = np.cumsum(ql) - ql
        qg = upos[np.repeat(ufirst[pa], ql) + np.arange(total, dtype=np.int64) - np.repeat(qfirst, ql)]
        qi = qg - np.repeat(gfirst[pa], ql)
        q = pairs[qpair, 1] * n_uniq + rank[qg]
        lo = np.searchsorted(skey, q, side="left")
        cnt = np.searchsorted(skey, q, side="right") - lo
        cnt[cnt > MAX_REPEAT] = 0
        n_seeds = int(cnt.sum())
        if n_seeds == 0:
            continue
        sfirst = np.cumsum(cnt) - cnt
        sp = np.repeat(qpair, cnt)
        si = np.repeat(qi, cnt)
        sj = spos[np.repeat(lo, cnt) + (np.arange(n_seeds, dtype=np.int64) - np.repeat(sfirst, cnt))]
        same = pa == pb
        if same.any():
            keep = ~same[sp - lo_p] | (sj > si)
            sp, si, sj = sp[keep], si[keep], sj[keep]
        if len(sp) == 0:
            continue
        # The first MAX_SEEDS seeds of each pair.
        brk = np.ones(len(sp), dtype=bool)
        brk[1:] = sp[1:] != sp[:-1]
        starts = np.flatnonzero(brk)
        nth = np.arange(len(sp), dtype=np.int64) - np.repeat(starts, np.diff(np.append(starts, len(sp))))
        if int(nth.max()) >= MAX_SEEDS:
            keep = nth < MAX_SEEDS
            sp, si, sj = sp[keep], si[keep], sj[keep]
        diag = sj - si
        o = np.lexsort((si, diag, sp))
        sp, si, diag = sp[o], si[o], diag[o]
        brk = np.ones(len(sp), dtype=bool)
        brk[1:] = (sp[1:] != sp[:-1]) | (diag[1:] != diag[:-1]) | (si[1:] != si[:-1] + 1)
        starts = np.flatnonzero(brk)
        ends = np.append(starts[1:], len(si)) - 1
        rp = sp[starts]
        a0 = si[starts]
        length = si[ends] - a0 + SEED_K
        rd = diag[starts]
        # Seed-run tokens per (pair, diagonal), then the largest per pair.
        g = np.ones(len(rp), dtype=bool)
        g[1:] = (rp[1:] != rp[:-1]) | (rd[1:] != rd[:-1])
        gs = np.flatnonzero(g)
        sums = np.add.reduceat(length, gs)
        np.maximum.at(cover, rp[gs], sums)
        runs = np.stack([rp, a0, a0 + rd, length], axis=1)
        out.append(runs[np.lexsort((runs[:, 2], runs[:, 1], runs[:, 0]))])
    if not out:
        return none, cover
    return np.concatenate(out), cover


def _finish(rows: list[list[int]], wa: list[str], wb: list[str], config: Config) -> list[Chain]:
    """Chains of extended rows that reach the minimum length, merged (:func:`_merge_chains`)."""
    out: list[Chain] = []
    for a0, b0, a1, b1, matched in rows:
        la, lb = a1 - a0, b1 - b0
        if matched < config.align_min_tokens or matched < MIN_MATCHED_SHARE * max(la, lb):
            continue
        out.append(Chain(a0, b0, a1, b1, matched, la == lb and wa[a0:a1] == wb[b0:b1]))
    return _merge_chains(out)


def align_tokens(
    ta: DocTokens,
    tb: DocTokens,
    ha: np.ndarray,
    hb: np.ndarray,
    config: Config,
    same: bool = False,
    ma: np.ndarray | None = None,
    mb: np.ndarray | None = None,
) -> list[Chain]:
    """Align two token sequences around their shared seeds.

    Exact :data:`SEED_K`-gram seeds merge into runs along diagonals; a pair
    is aligned only when one diagonal's runs cover :data:`MIN_SEED_COVER` of
    ``align_min_tokens``; runs chain across gaps of at most
    :data:`MAX_RAW_GAP` tokens whose unmatched tokens (after fuzzy matching)
    number at most ``align_max_gap``; every chain is then extended at both
    ends. Cost per pair: at most :data:`MAX_SEEDS` seeds; each gap costs at
    most ``MAX_RAW_GAP ** 2`` token comparisons and each extension step at
    most ``2 * (align_max_gap + 1) ** 2``.

    Args:
        ta: Tokens of the first document.
        tb: Tokens of the second (the same object as ``ta`` for repeats inside one document).
        ha: Token hashes of ``ta`` with excluded tokens made unique (:func:`token_masks`).
        hb: Likewise for ``tb``.
        config: Settings (``align_min_tokens``, ``align_max_gap``).
        same: ``ta`` and ``tb`` are one document: only ``a`` before ``b``,
            the two ranges never overlapping.
        ma: Excluded tokens of ``ta`` (never matched, not even fuzzily); none by default.
        mb: Likewise for ``tb``.

    Returns:
        The aligned chains that reach the minimum length, in ``a0`` order.

    Example:
        >>> from dedup.config import Config
        >>> quote = "The harbour bridge will open to {} next week after years of work, the council said."
        >>> a = tokenize("Intro words here. " + quote.format("traffic") + " Other text follows.")
        >>> b = tokenize("Something else entirely. " + quote.format("trafic")[:-1] + " on Monday.")
        >>> [(c.a0, c.a1, c.b0, c.b1, c.exact) for c in align_tokens(a, b, a.hashes, b.hashes, Config())]
        [(3, 19, 3, 19, False)]
    """
    runs = _seed_runs(ha, hb, same)
    if len(runs) == 0:
        return []
    _, diag_id = np.unique(runs[:, 1] - runs[:, 0], return_inverse=True)
    if np.bincount(diag_id.reshape(-1), weights=runs[:, 2]).max() < MIN_SEED_COVER * config.align_min_tokens:
        return []
    ma = np.zeros(len(ta), dtype=bool) if ma is None else ma
    mb = np.zeros(len(tb), dtype=bool) if mb is None else mb
    pr = _Pair(ta.words, tb.words, ha.tolist(), hb.tolist(), ma.tolist(), mb.tolist())
    rows = _chain_extend(runs.tolist(), pr, same, config.align_max_gap)
    return _finish(rows, ta.words, tb.words, config)


def _merge_chains(chains: list[Chain]) -> list[Chain]:
    """Drop chains inside another and merge chains overlapping on both sides."""
    chains.sort(key=lambda c: (c.a0, c.b0, -c.a1))
    out: list[Chain] = []
    for c in chains:
        for o in out:
            if c.a0 < o.a1 and o.a0 < c.a1 and c.b0 < o.b1 and o.b0 < c.b1:
                o.a0, o.a1 = min(o.a0, c.a0), max(o.a1, c.a1)
                o.b0, o.b1 = min(o.b0, c.b0), max(o.b1, c.b1)
                o.matched = max(o.matched, c.matched)
                o.exact = o.exact and c.exact and (o.a1 - o.a0) == (o.b1 - o.b0)
                break
        else:
            out.append(c)
    return out


@dataclass
class AlignResult:
    """What :func:`align_documents` returns.

    Attributes:
        passages: Aligned passages plus the paragraph passages they leave untouched.
        tokens: Tokens per document index.
        masks: Excluded (boilerplate) tokens per document index.
        candidates: Candidate document pairs from the anchor index.
        aligned: Per document, whether it was tokenized and aligned.
    """

    passages: list[Passage]
    tokens: list[DocTokens]
    masks: list[np.ndarray]
    candidates: np.ndarray
    #: Whether each document was aligned (not longer than :data:`MAX_ALIGN_CHARS`).
    aligned: np.ndarray
    #: Documents that had more than :data:`MAX_ALIGN_PARTNERS` candidate partners
    #: (each was aligned with its closest ones only: a bound that changes results).
    capped_documents: int = 0


def _range_jaccard(h: np.ndarray, bigrams: np.ndarray, a0: int, a1: int, b0: int, b1: int) -> float:
    """Jaccard similarity of the word-bigram sets of ``h[a0:a1]`` and ``h[b0:b1]``.

    ``bigrams`` holds the bigram hashes of ``h`` (a range shorter than two
    tokens compares its token hashes).
    """

    def grams(s: int, e: int) -> set[int]:
        return set(h[s:e].tolist()) if e - s < 2 else set(bigrams[s : e - 1].tolist())

    x, y = grams(a0, a1), grams(b0, b1)
    inter = len(x & y)
    union = len(x) + len(y) - inter
    return inter / union if union else 1.0


def _spans(
    table: ParagraphTable,
    starts: np.ndarray,
    ends: np.ndarray,
    n_tok: np.ndarray,
    d: np.ndarray,
    base: np.ndarray,
    k0: np.ndarray,
    k1: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Character spans of token ranges ``[k0, k1)`` of documents ``d``, snapped to paragraph borders.

    ``starts``/``ends`` are the token offsets of several documents end to end,
    document ``d`` starting at ``base``, ``n_tok`` tokens long. Returns the
    spans' starts, ends and the number of paragraphs each touches.
    """
    s = starts[base + k0]
    e = ends[base + k1 - 1]
    if len(table.doc) == 0:
        return s, e, np.ones(len(s), dtype=np.int64)
    big = np.int64(max(int(table.end.max()), int(e.max(initial=0))) + 1)
    rowkey = table.doc.astype(np.int64) * big + table.start.astype(np.int64)
    first = np.searchsorted(table.doc, d, side="left")
    rs, re_ = table.start.astype(np.int64), table.end.astype(np.int64)
    g0 = np.searchsorted(rowkey, d * big + s, side="right") - 1
    g1 = np.searchsorted(rowkey, d * big + e - 1, side="right") - 1
    has0, has1 = g0 >= first, g1 >= first
    c0, c1 = np.maximum(g0, 0), np.maximum(g1, 0)
    prev_start = starts[np.maximum(base + k0 - 1, 0)]
    next_start = starts[np.minimum(base + k1, len(starts) - 1)]
    snap0 = has0 & (s < re_[c0]) & ((k0 == 0) | (prev_start < rs[c0]))
    snap1 = has1 & (e <= re_[c1]) & ((k1 == n_tok) | (next_start >= re_[c1]))
    s_out = np.where(snap0, rs[c0], s)
    e_out = np.where(snap1, re_[c1], e)
    paragraphs = np.where(has0 & has1, np.maximum(1, g1 - g0 + 1), 1)
    return s_out, e_out, paragraphs


def _align_kernel(work: int):
    """The numba alignment kernel, or ``None`` (numba absent, ``DEDUP_NO_NUMBA`` set, or still warming up)."""
    if kernels(work) is None:
        return None
    try:
        from . import _align_numba
    except ImportError:  # pragma: no cover - numba importable for dedup._numba but not here
        return None
    return _align_numba


def _codepoints(tokens: Sequence[DocTokens]) -> tuple[np.ndarray, np.ndarray]:
    """All tokens' characters end to end as code points (uint32), and where each token starts (one extra end offset)."""
    sizes = np.array([int(t.code_off[-1]) for t in tokens], dtype=np.int64)
    n_tok = np.array([len(t) for t in tokens], dtype=np.int64)
    off = np.zeros(int(n_tok.sum()) + 1, dtype=np.int64)
    off[:-1] = np.concatenate([t.code_off[:-1] for t in tokens] + [np.empty(0, dtype=np.int64)])
    off[:-1] += np.repeat(np.cumsum(sizes) - sizes, n_tok)
    off[-1] = sizes.sum()
    cp = np.concatenate([t.codes for t in tokens] + [np.empty(0, dtype=np.uint8)]).astype(np.uint32)
    return cp, off


#: Tokens of the documents one :func:`passages_for` batch holds at most: the pairs are aligned in
#: consecutive batches whose documents hold about this many tokens, so the working arrays of
#: alignment (60-80 bytes per token) stay bounded whatever the corpus size. A document in pairs of
#: several batches is prepared once per batch: on the 20,000-document benchmark corpus (16.6
#: million tokens) 3 batches took 14.0-14.7 s against 18.0-18.3 s for one (peak +0.5 GB against
#: +1.3 GB), 49 batches of 2 million 23.4-24.5 s.
ALIGN_BATCH_TOKENS = 8_000_000


def align_batches(pairs: np.ndarray, n_tok: np.ndarray, limit: int | None = None) -> list[slice]:
    """Consecutive slices of ``pairs`` whose distinct documents hold at most ``limit`` tokens each.

    ``limit`` defaults to :data:`ALIGN_BATCH_TOKENS`.

    A pair whose two documents alone hold more is a batch of its own.

    >>> pairs = np.array([[0, 1], [0, 2], [1, 2], [3, 4]])
    >>> align_batches(pairs, np.array([5, 5, 5, 5, 5]), limit=15)
    [slice(0, 3, None), slice(3, 4, None)]
    >>> align_batches(pairs, np.array([5, 5, 5, 5, 5]), limit=4)
    [slice(0, 1, None), slice(1, 2, None), slice(2, 3, None), slice(3, 4, None)]
    """
    limit = ALIGN_BATCH_TOKENS if limit is None else limit
    out: list[slice] = []
    seen: set[int] = set()
    size, begin = 0, 0
    sizes = n_tok.tolist()
    for k, (a, b) in enumerate(pairs.tolist()):
        new = sum(sizes[d] for d in {a, b} if d not in seen)
        if k > begin and size + new > limit:
            out.append(slice(begin, k))
            begin, size = k, 0
            seen.clear()
            new = sum(sizes[d] for d in {a, b})
        seen.update((a, b))
        size += new
    if len(pairs) > begin:
        out.append(slice(begin, len(pairs)))
    return out


def passages_for(
    table: ParagraphTable,
    tokens: Sequence[DocTokens],
    masks: Sequence[np.ndarray],
    doc_ids: Sequence[str],
    candidate_pairs: np.ndarray,
    config: Config,
) -> list[Passage]:
    """Aligned passages of candidate document pairs.

    The pairs are aligned in consecutive batches of bounded size
    (:func:`align_batches`); a pair's passages do not depend on the other
    pairs of its batch, so the result is that of one batch.

    Seeds of all pairs of a batch are found at once (:func:`_batch_runs`); the chaining
    and extension of the pairs that pass the seed-cover test runs in the numba
    kernel (:mod:`dedup._align_numba`) when numba is available, else in Python
    (:func:`_chain_extend`); both give the same rows.

    Args:
        table: The prepared paragraphs (for paragraph borders).
        tokens: Tokens per document index (:func:`tokenize`).
        masks: Excluded tokens per document index (:func:`token_masks`).
        doc_ids: Document id per index.
        candidate_pairs: ``(m, 2)`` document index pairs ``a <= b``.
        config: Settings.

    Returns:
        Passages with ``a`` in the first document; ``kind`` is ``exact`` when
        both token ranges are identical, else ``near``; ``similarity`` is the
        word-bigram Jaccard of the two ranges.
    """
    pairs = np.asarray(candidate_pairs, dtype=np.int64).reshape(-1, 2)
    n_tok = np.array([len(t) for t in tokens], dtype=np.int64)
    out: list[Passage] = []
    for part in align_batches(pairs, n_tok):
        out.extend(_passages_batch(table, tokens, masks, doc_ids, pairs[part], config))
    return out


def _passages_batch(
    table: ParagraphTable,
    tokens: Sequence[DocTokens],
    masks: Sequence[np.ndarray],
    doc_ids: Sequence[str],
    pairs: np.ndarray,
    config: Config,
) -> list[Passage]:
    """:func:`passages_for` of one batch of pairs."""
    if len(pairs) == 0:
        return []
    docs, local = np.unique(pairs, return_inverse=True)
    local = local.reshape(-1, 2).astype(np.int64)
    docs_l = docs.tolist()
    hashed = [_masked_hashes(tokens[d], masks[d], d) for d in docs_l]
    # Masked token hashes of the pairs' documents end to end.
    h_all = np.concatenate([*hashed, np.empty(0, dtype=np.uint64)])
    n_tok = np.array([len(tokens[d]) for d in docs_l], dtype=np.int64)
    base = np.cumsum(n_tok) - n_tok
    max_gap = config.align_max_gap
    min_cover = MIN_SEED_COVER * config.align_min_tokens
    kernel = _align_kernel(int(n_tok[local[:, 0]].sum() + n_tok[local[:, 1]].sum()))
    if kernel is not None:
        # Seed n-grams of all documents end to end (those crossing into the next document left out).
        glen = np.maximum(n_tok - SEED_K + 1, 0)
        gfirst = np.cumsum(glen) - glen
        g = _kgrams(h_all, SEED_K)[
            np.repeat(base, glen) + (np.arange(int(glen.sum()), dtype=np.int64) - np.repeat(gfirst, glen))
        ]
        srank, spos = kernel.sort_within(g, gfirst, glen)
        cp, off = _codepoints([tokens[d] for d in docs_l])
        out = kernel.align_all(
            local,
            g,
            srank,
            spos,
            gfirst,
            glen,
            base,
            n_tok,
            h_all,
            np.concatenate([masks[d] for d in docs_l]).astype(np.bool_),
            cp,
            off,
            SEED_K,
            MAX_SEEDS,
            MAX_REPEAT,
            min_cover,
            max_gap,
            MAX_RAW_GAP,
            FUZZY_MIN_CHARS,
        )
        rows = out
    else:
        runs, cover = _batch_runs(hashed, local)
        ok = cover >= min_cover
        if len(runs):
            runs = runs[ok[runs[:, 0]]]
        cut = np.searchsorted(runs[:, 0], np.arange(len(pairs) + 1))
        live = np.flatnonzero(np.diff(cut) > 0)
        lists: dict[int, tuple[list[str], list[int], list[bool]]] = {}
        flat_rows: list[list[int]] = []
        for p in live.tolist():
            la_, lb_ = int(local[p, 0]), int(local[p, 1])
            for x in (la_, lb_):
                if x not in lists:
                    lists[x] = (tokens[docs_l[x]].words, hashed[x].tolist(), masks[docs_l[x]].tolist())
            (wa, ha, ma), (wb, hb, mb) = lists[la_], lists[lb_]
            pr = _Pair(wa, wb, ha, hb, ma, mb)
            for r in _chain_extend(runs[cut[p] : cut[p + 1], 1:].tolist(), pr, la_ == lb_, max_gap):
                flat_rows.append([p, *r])
        rows = np.array(flat_rows, dtype=np.int64).reshape(-1, 6)
    # Rows (pair, a0, b0, a1, b1, matched), by pair in closing order: keep the chains long enough.
    span = np.maximum(rows[:, 3] - rows[:, 1], rows[:, 4] - rows[:, 2])
    keep = (rows[:, 5] >= config.align_min_tokens) & (rows[:, 5] >= MIN_MATCHED_SHARE * span)
    rows = rows[keep]
    if len(rows) == 0:
        return []
    raw = np.concatenate([tokens[d].hashes for d in docs_l])
    rows, exact = _merge_rows(rows, _exact_rows(raw, base, local, rows))
    fp = rows[:, 0]
    ch = rows[:, [1, 3, 2, 4]]
    starts = np.concatenate([tokens[d].start for d in docs_l])
    ends = np.concatenate([tokens[d].end for d in docs_l])
    la_, lb_ = local[fp, 0], local[fp, 1]
    sa, ea, pa = _spans(table, starts, ends, n_tok[la_], docs[la_], base[la_], ch[:, 0], ch[:, 1])
    sb, eb, pb = _spans(table, starts, ends, n_tok[lb_], docs[lb_], base[lb_], ch[:, 2], ch[:, 3])
    # Word bigram hashes of all documents end to end (a range's bigrams are one slice of it).
    with np.errstate(over="ignore"):
        bigrams = h_all[:-1] * _MUL + h_all[1:]
    ranges = np.stack([base[la_] + ch[:, 0], base[la_] + ch[:, 1], base[lb_] + ch[:, 2], base[lb_] + ch[:, 3]], 1)
    exact_l = exact.tolist()
    if kernel is not None:
        sims = kernel.range_jaccards(h_all, bigrams, ranges).tolist()
    else:
        sims = [1.0 if e else _range_jaccard(h_all, bigrams, *r) for e, r in zip(exact_l, ranges.tolist())]
    id_a = [doc_ids[a] for a in pairs[fp, 0].tolist()]
    id_b = [doc_ids[b] for b in pairs[fp, 1].tolist()]
    spans = zip(id_a, sa.tolist(), ea.tolist(), id_b, sb.tolist(), eb.tolist(), np.maximum(pa, pb).tolist())
    return [
        Passage(
            a=Span(x, s, e),
            b=Span(y, s2, e2),
            similarity=1.0 if ex else sim,
            kind="exact" if ex else "near",
            paragraphs=n_par,
        )
        for (x, s, e, y, s2, e2, n_par), ex, sim in zip(spans, exact_l, sims)
    ]


def _exact_rows(raw: np.ndarray, base: np.ndarray, local: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per row ``(pair, a0, b0, a1, b1, matched)``: whether both token ranges hold the same words.

    ``raw`` holds the (unmasked) token hashes of the local documents end to
    end, document ``d`` from ``base[d]``; equal hashes are equal words.
    """
    n_a, n_b = rows[:, 3] - rows[:, 1], rows[:, 4] - rows[:, 2]
    cand = np.flatnonzero(n_a == n_b)
    length = n_a[cand]
    total = int(length.sum())
    rid = np.repeat(np.arange(len(cand), dtype=np.int64), length)
    within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(length) - length, length)
    p = rows[cand, 0]
    ia = np.repeat(base[local[p, 0]] + rows[cand, 1], length) + within
    ib = np.repeat(base[local[p, 1]] + rows[cand, 2], length) + within
    differ = np.bincount(rid, weights=raw[ia] != raw[ib], minlength=len(cand))
    exact = np.zeros(len(rows), dtype=bool)
    exact[cand] = differ == 0
    return exact


def _merge_rows(rows: np.ndarray, exact: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_merge_chains` of each pair's rows (rows of one pair are consecutive); same order as one call per pair."""
    first = np.ones(len(rows), dtype=bool)
    first[1:] = rows[1:, 0] != rows[:-1, 0]
    gstart = np.flatnonzero(first)
    gsize = np.diff(np.append(gstart, len(rows)))
    if not (gsize > 1).any():
        return rows, exact
    group = np.repeat(np.arange(len(gstart), dtype=np.int64), gsize)
    single = gsize[group] == 1
    out_rows, out_exact = [rows[single]], [exact[single]]
    out_group, out_k = [group[single]], [np.zeros(int(single.sum()), dtype=np.int64)]
    for g in np.flatnonzero(gsize > 1).tolist():
        s, e = int(gstart[g]), int(gstart[g] + gsize[g])
        chains = [
            Chain(a0, b0, a1, b1, mt, ex)
            for (_, a0, b0, a1, b1, mt), ex in zip(rows[s:e].tolist(), exact[s:e].tolist())
        ]
        merged = _merge_chains(chains)
        p = int(rows[s, 0])
        out_rows.append(np.array([(p, c.a0, c.b0, c.a1, c.b1, c.matched) for c in merged], dtype=np.int64))
        out_exact.append(np.array([c.exact for c in merged], dtype=bool))
        out_group.append(np.full(len(merged), g, dtype=np.int64))
        out_k.append(np.arange(len(merged), dtype=np.int64))
    o = np.lexsort((np.concatenate(out_k), np.concatenate(out_group)))
    return np.concatenate(out_rows)[o], np.concatenate(out_exact)[o]


def _touches(x: Span, y: Span) -> bool:
    return x.doc == y.doc and x.start < y.end and y.start < x.end


def merge_passages(aligned: Sequence[Passage], paragraph_passages: Sequence[Passage]) -> list[Passage]:
    """Aligned passages, plus the paragraph passages no aligned passage touches on both sides."""
    by_pair: dict[tuple[str, str], list[Passage]] = {}
    for p in aligned:
        by_pair.setdefault((p.a.doc, p.b.doc), []).append(p)
    out = list(aligned)
    for p in paragraph_passages:
        near = by_pair.get((p.a.doc, p.b.doc), [])
        if not any(_touches(p.a, q.a) and _touches(p.b, q.b) for q in near):
            if p.a.doc == p.b.doc and any(_touches(p.a, q.b) and _touches(p.b, q.a) for q in near):
                continue
            out.append(p)
    return out


#: Partner documents a document is aligned with at most (issue 18): beyond
#: it, its pairs with the longest anchor chains are kept, plus a spanning
#: forest of all candidate pairs (:func:`dedup.lsh.cap_links`). Documents that
#: share sentences with hundreds of others (press-release feeds, wire briefs)
#: otherwise make candidates, passages and output grow with the square of the
#: corpus; no document of the benchmark or test corpora reaches it.
MAX_ALIGN_PARTNERS = 32


def over_partner_cap(cands: np.ndarray, n_docs: int, links: int = MAX_ALIGN_PARTNERS) -> int:
    """How many documents have more than ``links`` candidate partners (other documents).

    >>> over_partner_cap(np.array([[0, 0], [0, 1], [0, 2], [1, 2]]), 3, links=1)
    3
    >>> over_partner_cap(np.array([[0, 0], [0, 1]]), 2, links=1)
    0
    """
    cross = cands[cands[:, 0] != cands[:, 1]]
    if not len(cross):
        return 0
    return int((np.bincount(cross.reshape(-1), minlength=n_docs) > links).sum())


def cap_partners(cands: np.ndarray, shared: np.ndarray, n_docs: int, links: int = MAX_ALIGN_PARTNERS) -> np.ndarray:
    """Boolean mask of the anchor candidate pairs aligned (all unless a document has more than ``links`` partners).

    A run repeated inside one document (``a == b``) is always kept.

    >>> cands = np.array([[0, 0], [0, 1], [0, 2], [0, 3], [2, 3]])
    >>> cap_partners(cands, np.array([5, 9, 8, 5, 4]), 4, links=1).tolist()
    [True, True, True, True, False]
    """
    keep = np.ones(len(cands), dtype=bool)
    cross = cands[:, 0] != cands[:, 1]
    if cross.any():
        keep[cross] = cap_links(cands[cross], shared[cross].astype(np.float64), n_docs, links)
    return keep


def _passages_part(part: slice, shared: tuple) -> list[Passage]:
    table, tokens, masks, doc_ids, cands, config = shared
    return passages_for(table, tokens, masks, doc_ids, cands[part], config)


def _passages_over_jobs(
    table: ParagraphTable,
    tokens: Sequence[DocTokens],
    masks: Sequence[np.ndarray],
    doc_ids: Sequence[str],
    cands: np.ndarray,
    config: Config,
) -> list[Passage]:
    """:func:`passages_for`, the candidate pairs split over ``config.jobs`` processes (same result, same order)."""
    jobs = resolve_jobs(config.jobs)
    if jobs <= 1 or len(cands) < MIN_PARALLEL_ITEMS:
        return passages_for(table, tokens, masks, doc_ids, cands, config)
    lengths = np.array([len(t) for t in tokens], dtype=np.int64)
    weights = (lengths[cands[:, 0]] + lengths[cands[:, 1]]).tolist()
    # A few slices per process, so one slow slice does not leave the others idle.
    parts = balanced_slices(weights, 4 * jobs)
    shared = (table, tokens, masks, doc_ids, cands, config)
    return [p for part in map_ordered(_passages_part, shared, parts, jobs) for p in part]


def align_documents(
    table: ParagraphTable,
    texts: Sequence[str],
    doc_ids: Sequence[str],
    config: Config,
    excluded_rows: np.ndarray | None = None,
    paragraph_passages: Sequence[Passage] = (),
    candidates: np.ndarray | None = None,
) -> AlignResult:
    """Tokenize, find anchor candidates, align them and merge with the paragraph passages.

    Args:
        table: The prepared paragraphs.
        texts: Document texts by index.
        doc_ids: Document ids by index.
        config: Settings.
        excluded_rows: Boilerplate rows (left out of anchors and alignment).
        paragraph_passages: Passages of :func:`dedup.match.build_passages`.
        candidates: ``(m, 2)`` document index pairs ``a <= b`` to align, found
            elsewhere (the Spark job finds them by distributed anchor postings,
            as :func:`anchor_candidates` does); default: the anchor candidates
            of ``texts``, at most :data:`MAX_ALIGN_PARTNERS` partners per
            document (given candidates are aligned as they are).

    Returns:
        An :class:`AlignResult`.
    """
    if not config.align:
        none = [_NO_TOKENS] * len(texts)
        e = np.empty((0, 2), dtype=np.int64)
        masks = [np.zeros(0, dtype=bool)] * len(texts)
        return AlignResult(list(paragraph_passages), none, masks, e, np.zeros(len(texts), dtype=bool))
    # Millions of token strings stay alive during alignment and it allocates tens of thousands of
    # small objects, none in reference cycles: the cyclic collector would walk all of them again
    # and again (measured: 0.3-0.5 s CPU of a 4,000-document scan). It is paused here, not changed.
    paused = gc.isenabled()
    gc.disable()
    try:
        tokens = tokenize_over_jobs(texts, config.jobs)
        masks = token_masks(table, tokens, excluded_rows)
        ok = np.array([len(t) <= MAX_ALIGN_CHARS for t in texts], dtype=bool)
        capped = 0
        if candidates is None:
            cands, shared = anchor_candidates(tokens, masks, config)
            capped = over_partner_cap(cands, len(tokens))
            if capped:
                cands = cands[cap_partners(cands, shared, len(tokens))]
        else:
            cands = np.asarray(candidates, dtype=np.int64).reshape(-1, 2)
        aligned = _passages_over_jobs(table, tokens, masks, doc_ids, cands, config)
        merged = merge_passages(aligned, paragraph_passages)
    finally:
        if paused:
            gc.enable()
    return AlignResult(merged, tokens, masks, cands, ok, capped)
