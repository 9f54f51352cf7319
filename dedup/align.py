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
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .config import Config
from .lsh import cap_links, window_pairs
from .models import Passage, Span
from .normalize import normalized_tokens
from .paragraphs import ParagraphTable, resolve_jobs
from .shingle import TokenHasher
from .workers import MIN_PARALLEL_ITEMS, balanced_slices, map_ordered

__all__ = [
    "ANCHOR_N",
    "FUZZY_MIN_CHARS",
    "MAX_ALIGN_CHARS",
    "MAX_ALIGN_PARTNERS",
    "MAX_POSTING",
    "MAX_SEEDS",
    "MIN_MATCHED_SHARE",
    "MIN_SEED_COVER",
    "SEED_K",
    "AlignResult",
    "Chain",
    "DocTokens",
    "align_documents",
    "align_tokens",
    "anchor_candidates",
    "cap_partners",
    "fuzzy_equal",
    "passages_for",
    "token_masks",
    "tokenize",
    "tokenize_documents",
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
_ASCII_NONWORD = str.maketrans({chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")})
_CITATION_RE = re.compile(r"\[\d{1,4}\]")
_CHUNK_RE = re.compile(r"\S+")
_WORD_RE = re.compile(r"\w+")
_HYPHEN_BREAK_RE = re.compile(r"(?<=\w)-[ \t]*\r?\n\s*(?=[a-z])")


@dataclass
class DocTokens:
    """The normalized word tokens of one text and where they are written.

    Attributes:
        words: Normalized tokens.
        hashes: 64-bit hash of each token (uint64).
        start: Start offset of each token in the original text.
        end: End offset of each token in the original text.
    """

    words: list[str]
    hashes: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.words)


_NO_TOKENS = DocTokens([], np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))


def _ascii_tokens(text: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    t = _CITATION_RE.sub(lambda m: " " * len(m.group()), text) if "[" in text else text
    b = np.frombuffer(t.encode("ascii"), dtype=np.uint8)
    if len(b) == 0:
        e = np.empty(0, dtype=np.int64)
        return [], e, e.copy()
    w = np.concatenate(([False], _WORD[b], [False]))
    edges = np.diff(w.view(np.int8))
    start = np.flatnonzero(edges == 1).astype(np.int64)
    end = np.flatnonzero(edges == -1).astype(np.int64)
    return t.lower().translate(_ASCII_NONWORD).split(), start, end


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
    joins = [m.start() for m in _HYPHEN_BREAK_RE.finditer(text)] if "-\n" in text or "- \n" in text else []
    if joins:
        words, start, end = _ascii_tokens(text) if text.isascii() else _general_tokens(text)
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
    elif text.isascii():
        words, start, end = _ascii_tokens(text)
    else:
        words, start, end = _general_tokens(text)
    hashes = (hasher or TokenHasher()).hash_array(words)
    return DocTokens(words, hashes, start, end)


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
        i
        for i, t in enumerate(texts)
        if len(t) <= MAX_ALIGN_CHARS and t.isascii() and "[" not in t and not ("-\n" in t or "- \n" in t)
    ]
    # Batches of at most _BATCH_CHARS characters (bounded memory).
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
        words, start, end = _ascii_tokens(big)
        hashes = hasher.hash_array(words)
        lens = np.array([len(texts[i]) for i in batch], dtype=np.int64)
        base = np.cumsum(lens + 1) - (lens + 1)
        cut = np.append(np.searchsorted(start, base), len(words))
        for k, i in enumerate(batch):
            lo, hi = int(cut[k]), int(cut[k + 1])
            out[i] = DocTokens(words[lo:hi], hashes[lo:hi], start[lo:hi] - base[k], end[lo:hi] - base[k])
    for i, t in enumerate(texts):
        if out[i] is None:
            out[i] = tokenize(t, hasher) if len(t) <= MAX_ALIGN_CHARS else _NO_TOKENS
    return [t for t in out if t is not None]


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


def _anchors(tokens: Sequence[DocTokens], masks: Sequence[np.ndarray], w: int) -> tuple[np.ndarray, ...]:
    """Winnowed anchors of all documents at once: ``(hash, doc, position)`` arrays."""
    lengths = np.array([len(t) for t in tokens], dtype=np.int64)
    if len(tokens) == 0 or int(lengths.sum()) < ANCHOR_N:
        e = np.empty(0, dtype=np.int64)
        return np.empty(0, dtype=np.uint64), e, e.copy()
    h = np.concatenate([t.hashes for t in tokens])
    m = np.concatenate(masks)
    doc = np.repeat(np.arange(len(tokens), dtype=np.int64), lengths)
    first = np.cumsum(lengths) - lengths
    g = _kgrams(h, ANCHOR_N)
    n = len(g)
    # An n-gram is valid when it stays inside one document and holds no excluded token.
    valid = doc[:n] == doc[ANCHOR_N - 1 :]
    if m.any():
        valid &= np.convolve(m.astype(np.int64), np.ones(ANCHOR_N, dtype=np.int64), mode="valid") == 0
    g = np.where(valid, g, np.uint64(0xFFFFFFFFFFFFFFFF))
    if n <= w:
        pick = np.array([n - 1 - int(np.argmin(g[::-1]))], dtype=np.int64)
    else:
        win = np.lib.stride_tricks.sliding_window_view(g, w)
        pick = np.unique(w - 1 - np.argmin(win[:, ::-1], axis=1) + np.arange(len(win)))
    # A window crossing documents may pick an n-gram of either: still a winnowed n-gram of its own document.
    pick = pick[valid[pick]]
    d = doc[pick]
    return g[pick], d, pick - first[d]


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
    order = np.lexsort((pos, doc, h))
    h, doc, pos = h[order], doc[order], pos[order]
    boundary = np.ones(len(h), dtype=bool)
    boundary[1:] = h[1:] != h[:-1]
    starts = np.flatnonzero(boundary)
    sizes = np.diff(np.append(starts, len(h)))
    lefts, rights = [], []
    small = (sizes > 1) & (sizes <= MAX_POSTING)
    if small.any():
        # All pairs of entries inside each small group: entry e pairs with the later entries of its group.
        gid = np.repeat(np.arange(len(starts)), sizes)
        in_small = small[gid]
        entries = np.flatnonzero(in_small)
        group_end = (starts + sizes)[gid[entries]]
        rem = group_end - entries - 1
        left = np.repeat(entries, rem)
        first = np.cumsum(rem) - rem
        lefts.append(left)
        rights.append(left + 1 + (np.arange(int(rem.sum()), dtype=np.int64) - np.repeat(first, rem)))
    for s, z in zip(starts[sizes > MAX_POSTING].tolist(), sizes[sizes > MAX_POSTING].tolist()):
        wp = window_pairs(np.arange(s, s + z, dtype=np.int64))
        lefts.append(wp[:, 0])
        rights.append(wp[:, 1])
    if not lefts:
        return empty
    left, right = np.concatenate(lefts), np.concatenate(rights)
    # Entries are sorted by (hash, doc, pos) inside a group: left has doc <= right's doc.
    da, db, pa, pb = doc[left], doc[right], pos[left], pos[right]
    same = da == db
    keep = ~same | (pb - pa >= ANCHOR_N)
    da, db, pa, pb = da[keep], db[keep], pa[keep], pb[keep]
    if len(da) == 0:
        return empty
    n_docs = np.int64(len(tokens))
    pair_key = da * n_docs + db
    diag = pb - pa
    o = np.lexsort((pa, diag, pair_key))
    pair_key, diag, pa = pair_key[o], diag[o], pa[o]
    # Chains: consecutive anchors of one pair on one diagonal, close in position.
    cont = np.zeros(len(pa), dtype=bool)
    cont[1:] = (pair_key[1:] == pair_key[:-1]) & (diag[1:] == diag[:-1]) & (pa[1:] - pa[:-1] <= MAX_RAW_GAP + ANCHOR_N)
    chain_id = np.cumsum(~cont) - 1
    chain_len = np.bincount(chain_id)
    chain_pair = pair_key[~cont]
    ok = chain_len >= config.align_min_anchors
    if not ok.any():
        return empty
    keys = chain_pair[ok]
    lens = chain_len[ok]
    o = np.lexsort((-lens, keys))
    keys, lens = keys[o], lens[o]
    firsts = np.ones(len(keys), dtype=bool)
    firsts[1:] = keys[1:] != keys[:-1]
    keys, lens = keys[firsts], lens[firsts]
    pairs = np.stack([keys // n_docs, keys % n_docs], axis=1)
    return pairs.astype(np.int64), lens.astype(np.int64)


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
    """The two token sequences of one alignment and their match test."""

    def __init__(
        self, ta: DocTokens, tb: DocTokens, ha: np.ndarray, hb: np.ndarray, ma: np.ndarray, mb: np.ndarray
    ) -> None:
        self.wa, self.wb = ta.words, tb.words
        self.ha, self.hb = ha.tolist(), hb.tolist()
        self.ma, self.mb = ma.tolist(), mb.tolist()
        self.la, self.lb = len(ta), len(tb)

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

        def inside(x: int, y: int) -> bool:
            return (x < la_ and y < lb_) if step > 0 else (x > la_ and y > lb_)

        while inside(i, j):
            if self.eq(i, j):
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
                    if inside(x, y) and inside(x + step, y + step) and self.eq(x, y) and self.eq(x + step, y + step):
                        i, j = x, y
                        moved = True
                        break
                if moved:
                    break
            if not moved:
                break
        return last_i, last_j, matched


def _seed_runs(ha: np.ndarray, hb: np.ndarray, same: bool) -> np.ndarray:
    """Runs of consecutive exact :data:`SEED_K`-gram matches: rows ``(a0, b0, length_in_tokens)``."""
    ka, kb = _kgrams(ha, SEED_K), _kgrams(hb, SEED_K)
    if len(ka) == 0 or len(kb) == 0:
        return np.empty((0, 3), dtype=np.int64)
    ob = np.argsort(kb, kind="stable")
    sb = kb[ob]
    lo = np.searchsorted(sb, ka, side="left")
    cnt = np.searchsorted(sb, ka, side="right") - lo
    cnt[cnt > MAX_REPEAT] = 0
    total = int(cnt.sum())
    if total == 0:
        return np.empty((0, 3), dtype=np.int64)
    i = np.repeat(np.arange(len(ka), dtype=np.int64), cnt)
    first = np.cumsum(cnt) - cnt
    j = ob[np.repeat(lo, cnt) + (np.arange(total) - np.repeat(first, cnt))].astype(np.int64)
    if same:
        keep = j > i
        i, j = i[keep], j[keep]
    if len(i) > MAX_SEEDS:
        i, j = i[:MAX_SEEDS], j[:MAX_SEEDS]
    if len(i) == 0:
        return np.empty((0, 3), dtype=np.int64)
    diag = j - i
    order = np.lexsort((i, diag))
    i, diag = i[order], diag[order]
    brk = np.ones(len(i), dtype=bool)
    brk[1:] = (diag[1:] != diag[:-1]) | (i[1:] != i[:-1] + 1)
    starts = np.flatnonzero(brk)
    ends = np.append(starts[1:], len(i)) - 1
    a0 = i[starts]
    length = i[ends] - a0 + SEED_K
    runs = np.stack([a0, a0 + diag[starts], length], axis=1)
    return runs[np.lexsort((runs[:, 1], runs[:, 0]))]


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
    max_gap = config.align_max_gap
    runs = _seed_runs(ha, hb, same)
    if len(runs) == 0:
        return []
    # Fast reject (vectorised): no diagonal holds exact seed runs covering MIN_SEED_COVER of the minimum length.
    _, diag_id = np.unique(runs[:, 1] - runs[:, 0], return_inverse=True)
    if np.bincount(diag_id.reshape(-1), weights=runs[:, 2]).max() < MIN_SEED_COVER * config.align_min_tokens:
        return []
    ma = np.zeros(len(ta), dtype=bool) if ma is None else ma
    mb = np.zeros(len(tb), dtype=bool) if mb is None else mb
    pr = _Pair(ta, tb, ha, hb, ma, mb)
    open_chains: list[Chain] = []
    closed: list[Chain] = []
    for a0, b0, length in runs.tolist():
        a1, b1 = a0 + length, b0 + length
        best: Chain | None = None
        best_cost = 0
        still_open = []
        for c in open_chains:
            if c.a1 < a0 - MAX_RAW_GAP:
                closed.append(c)
                continue
            still_open.append(c)
            ga, gb = a0 - c.a1, b0 - c.b1
            if ga > MAX_RAW_GAP or gb > MAX_RAW_GAP or min(ga, gb) < -length or a1 <= c.a1 or b1 <= c.b1:
                continue
            if abs(ga - gb) > max_gap:
                continue
            cost = max(ga, gb)
            if best is None or cost < best_cost:
                best, best_cost = c, cost
        open_chains = still_open
        if best is not None:
            ga, gb = a0 - best.a1, b0 - best.b1
            if ga < 0 or gb < 0:
                # Overlapping seed run: keep the part past the chain end on both sides.
                cut = -min(ga, gb)
                a0, b0 = a0 + cut, b0 + cut
                ga, gb = ga + cut, gb + cut
            lcs = pr.gap_matches(best.a1, a0, best.b1, b0)
            if max(ga, gb) - lcs <= max_gap and not (same and a1 > b0):
                best.a1, best.b1 = a1, b1
                best.matched += lcs + (a1 - a0)
                continue
        if same and a1 > b0:
            a1 = b1 = 0  # overlapping self match (periodic text): skipped
            continue
        open_chains.append(Chain(a0, b0, a1, b1, a1 - a0))
    closed.extend(open_chains)
    out: list[Chain] = []
    for c in closed:
        lim_a_fwd = c.b0 if same else pr.la
        i, j, m1 = pr.extend(c.a1, c.b1, 1, max_gap, lim_a_fwd, pr.lb)
        c.a1, c.b1 = i, j
        lim_b_back = c.a1 - 1 if same else -1
        i, j, m2 = pr.extend(c.a0 - 1, c.b0 - 1, -1, max_gap, -1, lim_b_back)
        c.a0, c.b0 = i + 1, j + 1
        c.matched += m1 + m2
        la, lb = c.a1 - c.a0, c.b1 - c.b0
        if c.matched < config.align_min_tokens or c.matched < MIN_MATCHED_SHARE * max(la, lb):
            continue
        c.exact = la == lb and ta.words[c.a0 : c.a1] == tb.words[c.b0 : c.b1]
        out.append(c)
    return _merge_chains(out)


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


def _bigram_jaccard(ha: np.ndarray, hb: np.ndarray) -> float:
    def grams(h: np.ndarray) -> np.ndarray:
        if len(h) < 2:
            return np.unique(h)
        with np.errstate(over="ignore"):
            return np.unique(h[:-1] * _MUL + h[1:])

    x, y = grams(ha), grams(hb)
    inter = len(np.intersect1d(x, y, assume_unique=True))
    union = len(x) + len(y) - inter
    return inter / union if union else 1.0


def _row_bounds(table: ParagraphTable, d: int) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.searchsorted(table.doc, [d, d + 1])
    return table.start[lo:hi], table.end[lo:hi]


def _span(table: ParagraphTable, t: DocTokens, d: int, k0: int, k1: int) -> tuple[int, int, int]:
    """Character span of tokens ``[k0, k1)``, snapped to paragraph borders; and the paragraphs touched."""
    rs, re_ = _row_bounds(table, d)
    s, e = int(t.start[k0]), int(t.end[k1 - 1])
    r0 = int(np.searchsorted(rs, s, side="right")) - 1
    r1 = int(np.searchsorted(rs, e - 1, side="right")) - 1
    if r0 >= 0 and s < re_[r0] and (k0 == 0 or t.start[k0 - 1] < rs[r0]):
        s = int(rs[r0])
    if r1 >= 0 and e <= re_[r1] and (k1 == len(t) or t.start[k1] >= re_[r1]):
        e = int(re_[r1])
    paragraphs = max(1, r1 - r0 + 1) if r0 >= 0 and r1 >= 0 else 1
    return s, e, paragraphs


def passages_for(
    table: ParagraphTable,
    tokens: Sequence[DocTokens],
    masks: Sequence[np.ndarray],
    doc_ids: Sequence[str],
    candidate_pairs: np.ndarray,
    config: Config,
) -> list[Passage]:
    """Aligned passages of candidate document pairs.

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
    out: list[Passage] = []
    hashed = {}
    for a, b in candidate_pairs.tolist():
        for d in (a, b):
            if d not in hashed:
                hashed[d] = _masked_hashes(tokens[d], masks[d], d)
        ta, tb = tokens[a], tokens[b]
        for c in align_tokens(ta, tb, hashed[a], hashed[b], config, a == b, masks[a], masks[b]):
            sa, ea, pa = _span(table, ta, a, c.a0, c.a1)
            sb, eb, pb = _span(table, tb, b, c.b0, c.b1)
            sim = 1.0 if c.exact else _bigram_jaccard(hashed[a][c.a0 : c.a1], hashed[b][c.b0 : c.b1])
            out.append(
                Passage(
                    a=Span(doc_ids[a], sa, ea),
                    b=Span(doc_ids[b], sb, eb),
                    similarity=sim,
                    kind="exact" if c.exact else "near",
                    paragraphs=max(pa, pb),
                )
            )
    return out


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
) -> AlignResult:
    """Tokenize, find anchor candidates, align them and merge with the paragraph passages.

    Args:
        table: The prepared paragraphs.
        texts: Document texts by index.
        doc_ids: Document ids by index.
        config: Settings.
        excluded_rows: Boilerplate rows (left out of anchors and alignment).
        paragraph_passages: Passages of :func:`dedup.match.build_passages`.

    Returns:
        An :class:`AlignResult`.
    """
    if not config.align:
        none = [_NO_TOKENS] * len(texts)
        e = np.empty((0, 2), dtype=np.int64)
        masks = [np.zeros(0, dtype=bool)] * len(texts)
        return AlignResult(list(paragraph_passages), none, masks, e, np.zeros(len(texts), dtype=bool))
    tokens = tokenize_documents(texts)
    masks = token_masks(table, tokens, excluded_rows)
    ok = np.array([len(t) <= MAX_ALIGN_CHARS for t in texts], dtype=bool)
    cands, shared = anchor_candidates(tokens, masks, config)
    cands = cands[cap_partners(cands, shared, len(tokens))]
    aligned = _passages_over_jobs(table, tokens, masks, doc_ids, cands, config)
    return AlignResult(merge_passages(aligned, paragraph_passages), tokens, masks, cands, ok)
