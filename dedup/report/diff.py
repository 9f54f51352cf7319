"""Word-level differences between two matching passages.

Shared by the HTML report and ``dedup show``. Two passages are compared word
by word with :class:`difflib.SequenceMatcher`; words are compared by their
normalized form (see :mod:`dedup.normalize`), the same way matching works, so
a change of case, punctuation, quotes or diacritics alone is not reported as
a difference, while ``harbour`` against ``harbor`` is.

Results are character offsets into the two original texts: every piece of a
side's text is either *equal* (its words also occur, in order, on the other
side) or *changed* (words only on this side: deleted from ``a`` or inserted
in ``b``). The pieces of one side cover its whole text, so concatenating
``text[piece.start:piece.end]`` gives the text back exactly.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from ..models import Passage, ScanResult
from ..normalize import normalize, tokens

__all__ = [
    "MAX_CHANGED_WORDS",
    "REWRITE_RATIO",
    "DiffPiece",
    "WordDiff",
    "changed_words",
    "diff_words",
    "is_rewrite",
    "passage_diff",
    "word_spans",
]

#: Below this share of equal words two texts are a rewrite: listing the words
#: only in one side would repeat most of both, so reports give counts instead.
REWRITE_RATIO = 0.5

#: Changed runs listed per side by :func:`changed_words` (the rest are counted).
MAX_CHANGED_WORDS = 12

# Ideographic and syllabic scripts written without spaces: one character is one word.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_WORD_RE = re.compile(f"[{_CJK}]|[^\\s{_CJK}]+")


@dataclass(frozen=True, order=True)
class DiffPiece:
    """A run of one side's text, ``text[start:end]``.

    Attributes:
        start: Start offset in that side's text.
        end: End offset (exclusive).
        changed: True when the run's words are missing on the other side.
    """

    start: int
    end: int
    changed: bool


@dataclass(frozen=True)
class WordDiff:
    """The word-level comparison of two texts.

    Attributes:
        a: Pieces covering the first text, in order.
        b: Pieces covering the second text, in order.
        words_a: Number of words in the first text.
        words_b: Number of words in the second text.
        changed_a: Words of the first text missing in the second (deleted).
        changed_b: Words of the second text missing in the first (inserted).
    """

    a: tuple[DiffPiece, ...]
    b: tuple[DiffPiece, ...]
    words_a: int
    words_b: int
    changed_a: int
    changed_b: int

    @property
    def ratio(self) -> float:
        """Share of words that are equal on both sides (1.0 for identical word sequences)."""
        total = self.words_a + self.words_b
        if total == 0:
            return 1.0
        return (total - self.changed_a - self.changed_b) / total

    @property
    def identical(self) -> bool:
        """True when no word differs (after normalization)."""
        return self.changed_a == 0 and self.changed_b == 0


def word_spans(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` offsets of the words of a text.

    A word is a run of non-space characters; in scripts written without
    spaces (Chinese, Japanese, Korean) each character is a word.
    """
    return [m.span() for m in _WORD_RE.finditer(text)]


def _key(word: str) -> str:
    norm = normalize(word)
    toks = tokens(norm)
    return " ".join(toks) if toks else norm


def _pieces(length: int, spans: list[tuple[int, int]], changed: list[bool]) -> tuple[DiffPiece, ...]:
    out: list[DiffPiece] = []
    pos = 0
    i = 0
    n = len(spans)
    while i < n:
        if not changed[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and changed[j + 1]:
            j += 1
        start, end = spans[i][0], spans[j][1]
        if start > pos:
            out.append(DiffPiece(pos, start, False))
        out.append(DiffPiece(start, end, True))
        pos = end
        i = j + 1
    if pos < length or not out:
        out.append(DiffPiece(pos, length, False))
    return tuple(out)


def diff_words(a_text: str, b_text: str) -> WordDiff:
    """Compare two texts word by word.

    Args:
        a_text: The first text (e.g. a passage as written in document ``a``).
        b_text: The second text.

    Returns:
        The pieces of both texts, marked equal or changed.

    Example:
        >>> d = diff_words("the harbour bridge", "The harbor bridge!")
        >>> [("the harbour bridge"[p.start:p.end], p.changed) for p in d.a]
        [('the ', False), ('harbour', True), (' bridge', False)]
    """
    spans_a, spans_b = word_spans(a_text), word_spans(b_text)
    keys_a = [_key(a_text[s:e]) for s, e in spans_a]
    keys_b = [_key(b_text[s:e]) for s, e in spans_b]
    changed_a = [True] * len(keys_a)
    changed_b = [True] * len(keys_b)
    matcher = difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            changed_a[block.a + k] = False
            changed_b[block.b + k] = False
    return WordDiff(
        a=_pieces(len(a_text), spans_a, changed_a),
        b=_pieces(len(b_text), spans_b, changed_b),
        words_a=len(keys_a),
        words_b=len(keys_b),
        changed_a=sum(changed_a),
        changed_b=sum(changed_b),
    )


def passage_diff(result: ScanResult, passage: Passage) -> WordDiff:
    """Compare the two sides of a passage word by word.

    Offsets of the returned pieces are relative to each side's span
    (add ``passage.a.start`` / ``passage.b.start`` for document offsets).
    """
    return diff_words(result.text(passage.a), result.text(passage.b))


def is_rewrite(diff: WordDiff) -> bool:
    """True when fewer than :data:`REWRITE_RATIO` of the words are equal.

    Example:
        >>> is_rewrite(diff_words("the harbour bridge opens", "the harbor bridge opens"))
        False
        >>> is_rewrite(diff_words("officials opened the bridge", "a crossing was inaugurated today"))
        True
    """
    return diff.ratio < REWRITE_RATIO


def changed_words(text: str, pieces: tuple[DiffPiece, ...], limit: int = MAX_CHANGED_WORDS) -> list[str]:
    """The changed runs of one side, whitespace collapsed; at most ``limit``, then ``"+N more"``.

    Example:
        >>> d = diff_words("a b c d e", "a x c y e")
        >>> changed_words("a b c d e", d.a, limit=1)
        ['b', '+1 more']
    """
    words = [" ".join(text[p.start : p.end].split()) for p in pieces if p.changed]
    if len(words) > limit:
        return [*words[:limit], f"+{len(words) - limit} more"]
    return words
