"""Paragraph segmentation with character offsets.

Real text comes in three layouts, often mixed in one file:

* one paragraph per line, no blank lines between (web scrapes);
* paragraphs separated by blank lines;
* hard-wrapped paragraphs (lines broken at a fixed width, ~60-100 columns).

The segmenter first cuts the text into *blocks* at blank lines and at
separator lines (a line made only of ``| - * _ = ~ # •`` characters, such as a
lone ``|``). Inside a block, every list item (``- x``, ``* x``, ``• x``,
``1. x``, ``2) x``) and Markdown heading starts a paragraph. Other lines are
joined to the previous line when the block looks hard-wrapped: its longest
line is at most :data:`WRAP_MAX_WIDTH` characters and the previous line is
"full" (at least :data:`WRAP_FULL_RATIO` of that width). A block whose
longest line is under :data:`WRAP_MIN_WIDTH` is a list of short lines, not
wrapped text. Otherwise every line is its own paragraph.

Each paragraph is a ``(start, end)`` pair of character offsets into the
original text with surrounding whitespace excluded, so ``text[start:end]`` is
the paragraph exactly as written. A paragraph longer than
:data:`MAX_PARAGRAPH_CHARS` (a file that is one huge line) is cut at
whitespace into pieces of at most that size. ``\\r\\n``, ``\\r`` and ``\\n``
are all line breaks.
"""

from __future__ import annotations

import re

__all__ = ["MAX_PARAGRAPH_CHARS", "WRAP_FULL_RATIO", "WRAP_MAX_WIDTH", "WRAP_MIN_WIDTH", "segment"]

WRAP_MAX_WIDTH = 110
WRAP_MIN_WIDTH = 40
WRAP_FULL_RATIO = 0.6
#: Paragraphs longer than this many characters are cut at whitespace into
#: pieces of at most this size, so one huge line cannot dominate memory or time.
MAX_PARAGRAPH_CHARS = 20_000

_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_SEPARATOR_RE = re.compile(r"[|\-*_=~#•·+]+")
_ITEM_RE = re.compile(r"(?:[-*•·+]|\d{1,3}[.)]|#{1,6})\s")


def _lines(text: str) -> list[tuple[int, int]]:
    """Return (start, end) of each line's stripped content; blank lines give (s, s)."""
    out: list[tuple[int, int]] = []
    for m in _LINE_RE.finditer(text):
        s, e = m.span()
        if s == e:
            break
        line = m.group().rstrip("\r\n")
        stripped = line.strip()
        if not stripped:
            out.append((s, s))
            continue
        lead = len(line) - len(line.lstrip())
        out.append((s + lead, s + lead + len(stripped)))
    return out


def _is_heading(text: str, pos: int) -> bool:
    m = _ITEM_RE.match(text, pos)
    return m is not None and text.startswith("#", pos)


def segment(text: str) -> list[tuple[int, int]]:
    """Split text into paragraphs.

    Args:
        text: The original document text.

    Returns:
        ``(start, end)`` character offsets of each paragraph, in order. Blank
        and separator-only lines belong to no paragraph.

    Example:
        >>> t = "Title\\n\\nFirst para\\n|\\nSecond para"
        >>> [t[s:e] for s, e in segment(t)]
        ['Title', 'First para', 'Second para']
    """
    blocks: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for s, e in _lines(text):
        if s == e or _SEPARATOR_RE.fullmatch(text, s, e):
            if current:
                blocks.append(current)
                current = []
            continue
        current.append((s, e))
    if current:
        blocks.append(current)

    paragraphs: list[tuple[int, int]] = []
    for block in blocks:
        if len(block) == 1:
            paragraphs.append(block[0])
            continue
        width = max(e - s for s, e in block)
        wrapped = WRAP_MIN_WIDTH <= width <= WRAP_MAX_WIDTH
        full = WRAP_FULL_RATIO * width
        para_start, para_end = block[0]
        prev_len = para_end - para_start
        prev_is_heading = _is_heading(text, para_start)
        for s, e in block[1:]:
            starts_item = _ITEM_RE.match(text, s) is not None
            if wrapped and not starts_item and not prev_is_heading and prev_len >= full:
                para_end = e
            else:
                paragraphs.append((para_start, para_end))
                para_start, para_end = s, e
            prev_len = e - s
            prev_is_heading = _is_heading(text, s)
        paragraphs.append((para_start, para_end))
    if any(e - s > MAX_PARAGRAPH_CHARS for s, e in paragraphs):
        paragraphs = [piece for s, e in paragraphs for piece in _split_long(text, s, e)]
    return paragraphs


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut an overlong paragraph at whitespace into pieces of at most MAX_PARAGRAPH_CHARS."""
    if end - start <= MAX_PARAGRAPH_CHARS:
        return [(start, end)]
    pieces = []
    s = start
    while s < end:
        limit = min(s + MAX_PARAGRAPH_CHARS, end)
        cut = limit
        if limit < end:
            lo = s + MAX_PARAGRAPH_CHARS // 2
            space = max(text.rfind(c, lo, limit + 1) for c in " \t\n\r\u00a0\u3000")
            if space > 0:
                cut = space
        e = cut
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            pieces.append((s, e))
        s = cut
        while s < end and text[s].isspace():
            s += 1
    return pieces
