"""Terminal rendering of the passages two documents share (``dedup show``).

:func:`render_show` lays the two sides of every shared passage out either
side by side (two columns, paragraphs aligned) or one after the other, with
the words that differ marked. Styling is left to the caller through a
``style(text, role)`` callback (the CLI passes ``click.style``); without one,
differences are marked in the ``wdiff`` manner: ``[-only in A-]`` and
``{+only in B+}``. Widths are computed on the plain text, so styled output
lines up as well as plain output.

Ids and document text pass through :func:`dedup.report.sanitize.visible`
before anything else: a text holding ``ESC]0;title BEL`` or ``ESC[31m`` is
shown as visible escapes, styled or not, so the only escape sequences in the
output are the ones the ``style`` callback adds.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from typing import Literal

from ..models import Passage, ScanResult
from ..segment import segment
from .diff import DiffPiece, WordDiff, diff_words, word_spans
from .sanitize import visible
from .table import shorten_middle

__all__ = ["Layout", "Style", "render_show"]

#: ``style(text, role)`` returns ``text`` styled for a role: ``"title"``,
#: ``"head"``, ``"dim"``, ``"del"`` (words only in A), ``"ins"`` (words only in B).
Style = Callable[[str, str], str]
Layout = Literal["auto", "side", "stacked"]

#: Width from which ``layout="auto"`` puts the two sides next to each other.
SIDE_BY_SIDE_MIN_WIDTH = 120

_MARKERS = {"del": ("[-", "-]"), "ins": ("{+", "+}")}

# A word of one side: its text and whether it differs from the other side.
_Word = tuple[str, bool]


def _paragraph_words(text: str, pieces: Sequence[DiffPiece]) -> list[list[_Word]]:
    """The words of ``text`` grouped by paragraph, each flagged changed or not."""
    paras = segment(text) or [(0, len(text))]
    out: list[list[_Word]] = [[] for _ in paras]
    pi = 0
    para_i = 0
    for s, e in word_spans(text):
        while pi < len(pieces) - 1 and pieces[pi].end <= s:
            pi += 1
        while para_i < len(paras) - 1 and paras[para_i][1] <= s:
            para_i += 1
        out[para_i].append((visible(text[s:e]), pieces[pi].changed if pieces else False))
    return [p for p in out if p]


class _Renderer:
    def __init__(self, style: Style | None) -> None:
        self.style = style

    def s(self, text: str, role: str) -> str:
        return self.style(text, role) if self.style and text else text

    def line(self, words: Sequence[_Word], role: str) -> tuple[str, int]:
        """Render one line of words; returns ``(rendered, plain_length)``."""
        parts: list[str] = []
        length = 0
        i = 0
        while i < len(words):
            j = i
            changed = words[i][1]
            while j + 1 < len(words) and words[j + 1][1] == changed:
                j += 1
            text = " ".join(w for w, _ in words[i : j + 1])
            if changed:
                if self.style is None:
                    left, right = _MARKERS[role]
                    text = left + text + right
                    parts.append(text)
                else:
                    parts.append(self.s(text, role))
            else:
                parts.append(text)
            length += len(text)
            i = j + 1
        length += max(0, len(parts) - 1)
        return " ".join(parts), length

    def wrap(self, words: Sequence[_Word], width: int, role: str) -> list[tuple[str, int]]:
        """Greedy wrap of words into lines of at most ``width`` plain characters."""
        chunks: list[_Word] = []
        room = max(1, width - 4)  # leave space for markers around a cut word
        for w, c in words:
            while len(w) > room:
                chunks.append((w[:room], c))
                w = w[room:]
            chunks.append((w, c))
        lines: list[tuple[str, int]] = []
        current: list[_Word] = []
        for word in chunks:
            trial = [*current, word]
            if current and self.line(trial, role)[1] > width:
                lines.append(self.line(current, role))
                current = [word]
            else:
                current = trial
        if current:
            lines.append(self.line(current, role))
        return lines


def _oriented(result: ScanResult, s: Passage, a_id: str) -> tuple[str, str, tuple[int, int], tuple[int, int]]:
    """The passage's text on A's side and B's side (the caller's order)."""
    first, second = (s.a, s.b) if s.a.doc == a_id else (s.b, s.a)
    return result.text(first), result.text(second), (first.start, first.end), (second.start, second.end)


def render_show(
    result: ScanResult,
    a_id: str,
    b_id: str,
    *,
    width: int = 80,
    layout: Layout = "auto",
    style: Style | None = None,
) -> str:
    """Render the passages documents ``a_id`` and ``b_id`` share.

    Args:
        result: A scan result holding both documents.
        a_id: The document shown first (left / top).
        b_id: The other document.
        width: Line width (at least 40).
        layout: ``"side"`` (two columns), ``"stacked"`` (A then B), or
            ``"auto"`` (side by side from :data:`SIDE_BY_SIDE_MIN_WIDTH`).
        style: Styling callback; ``None`` gives plain text with ``[-...-]``
            and ``{+...+}`` around differing words.

    Returns:
        The text, ending with a newline.

    Raises:
        KeyError: A document id is not in the result.
    """
    width = max(40, width)
    side = layout == "side" or (layout == "auto" and width >= SIDE_BY_SIDE_MIN_WIDTH)
    r = _Renderer(style)
    doc_a, doc_b = result.document(a_id), result.document(b_id)
    size_a, size_b = f"  ({len(doc_a.text)} chars)", f"  ({len(doc_b.text)} chars)"
    shown_a, shown_b = visible(a_id), visible(b_id)
    out: list[str] = [
        r.s("A", "title") + "  " + shorten_middle(shown_a, width - 3 - len(size_a)) + size_a,
        r.s("B", "title") + "  " + shorten_middle(shown_b, width - 3 - len(size_b)) + size_b,
    ]
    key = tuple(sorted((a_id, b_id)))
    pair = next((p for p in result.pairs if (p.a, p.b) == key), None)
    shared = [s for s in result.passages if (s.a.doc, s.b.doc) == key]
    if pair is not None:
        a_in_b, b_in_a = (pair.a_in_b, pair.b_in_a) if pair.a == a_id else (pair.b_in_a, pair.a_in_b)
        out.append(
            f"{r.s(pair.kind, 'head')}: similarity {pair.similarity:.2f}, A in B {a_in_b:.0%}, B in A {b_in_a:.0%}"
        )
        if pair.evidence and pair.evidence.get("reason"):  # why the two are the same story
            out.extend(textwrap.wrap(visible(f"why: {pair.evidence['reason']}"), max(20, width)))
    else:
        out.append("not copies, not the same story")
    if pair is None and shared:
        out.append(f"{len(shared)} shared passage{'s' if len(shared) != 1 else ''}")
    if not shared:
        out.append("no shared passages" + (" (compared as whole texts)" if pair is not None else ""))
        return "\n".join(out) + "\n"
    if style is None:
        out.append("differences: [-words only in A-] {+words only in B+}")
    else:
        out.append(f"differences: {r.s('words only in A', 'del')}  {r.s('words only in B', 'ins')}")

    for n, s in enumerate(shared, 1):
        text_a, text_b, (a0, a1), (b0, b1) = _oriented(result, s, a_id)
        d: WordDiff = diff_words(text_a, text_b)
        head = (
            f"Passage {n} of {len(shared)}: {s.kind} {s.similarity:.2f}, {s.paragraphs} paragraph"
            f"{'s' if s.paragraphs != 1 else ''}, A[{a0}:{a1}] B[{b0}:{b1}]"
        )
        out.append("")
        out.append(r.s(head[:width], "head"))
        if not d.identical:
            out.append(r.s(f"{d.changed_a} word(s) only in A, {d.changed_b} only in B"[:width], "dim"))
        if d.identical:
            out.append(r.s("(identical after normalization)", "dim"))
            for para in _paragraph_words(text_a, d.a):
                out.extend(text for text, _ in r.wrap(para, width, "del"))
            continue
        paras_a = _paragraph_words(text_a, d.a)
        paras_b = _paragraph_words(text_b, d.b)
        if side:
            col = (width - 3) // 2
            rows_a, rows_b = paras_a, paras_b
            if len(paras_a) != len(paras_b):  # cannot align paragraphs: one block each
                rows_a = [[w for p in paras_a for w in p]]
                rows_b = [[w for p in paras_b for w in p]]
            sep = r.s(" | ", "dim")
            out.append(r.s("A".ljust(col) + " | " + "B", "dim"))
            for i, (pa, pb) in enumerate(zip(rows_a, rows_b)):
                if i:
                    out.append(" " * col + sep.rstrip())
                la, lb = r.wrap(pa, col, "del"), r.wrap(pb, col, "ins")
                for k in range(max(len(la), len(lb))):
                    ta, na = la[k] if k < len(la) else ("", 0)
                    tb, _ = lb[k] if k < len(lb) else ("", 0)
                    out.append((ta + " " * (col - na) + sep + tb).rstrip())
        else:
            where_a, where_b = f" [{a0}:{a1}]", f" [{b0}:{b1}]"
            out.append(r.s(f"--- A {shorten_middle(shown_a, width - 6 - len(where_a))}{where_a}", "dim"))
            for para in paras_a:
                out.extend(text for text, _ in r.wrap(para, width, "del"))
            out.append(r.s(f"+++ B {shorten_middle(shown_b, width - 6 - len(where_b))}{where_b}", "dim"))
            for para in paras_b:
                out.extend(text for text, _ in r.wrap(para, width, "ins"))
    return "\n".join(out) + "\n"
