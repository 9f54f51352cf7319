"""The ``table`` format: a plain-text report grouped by cluster.

Readable at 80 columns: every line fits the width (long ids are shortened in
the middle, keeping the file name; excerpts are cut at a word). Sections:

1. a summary line;
2. one block per cluster: its members (the canonical one marked ``keep``),
   the pairs between them and their shared passages with excerpts;
3. other pairs: containment, then same-story and any other kind (rewritten
   stories, not copies);
4. passages shared by documents that are not paired;
5. passages repeated inside one document;
6. boilerplate (repeated site furniture, left out of the above);
7. unreadable inputs and warnings.

The output is deterministic (everything is sorted as in the result).
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from collections.abc import Sequence

from ..models import Pair, Passage, ScanResult, Span
from .diff import diff_words

__all__ = ["MAX_PASSAGES_PER_PAIR", "excerpt", "shorten_middle", "to_table"]

#: Passages listed per pair in the table (the rest are counted).
MAX_PASSAGES_PER_PAIR = 5

_COPY_KINDS = ("duplicate", "near_duplicate", "containment")


def shorten_middle(text: str, width: int) -> str:
    """Fit ``text`` into ``width`` characters by cutting its middle.

    The end (a file name) is kept longer than the start. Example:
    ``shorten_middle("news/2024/march/harbor-bridge.md", 20)`` is
    ``"news/...or-bridge.md"``.
    """
    if len(text) <= width:
        return text
    if width <= 3:
        return text[:width]
    keep = width - 3
    head = keep // 3
    tail = keep - head
    return text[:head] + "..." + text[len(text) - tail :]


def excerpt(result: ScanResult, span: Span, width: int = 60) -> str:
    """A one-line excerpt of a span, shortened at a word to ``width`` characters."""
    text = " ".join(result.text(span).split())
    if len(text) <= width:
        return text
    short = textwrap.shorten(text, width=width, placeholder=" ...")
    if short == "..." or short.strip() == "...":  # one very long word
        return text[: width - 4] + " ..."
    return short


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _wrap(text: str, width: int, indent: str) -> list[str]:
    return textwrap.wrap(
        text, width=width, initial_indent=indent, subsequent_indent=indent + "  ", break_long_words=True
    ) or [indent.rstrip()]


class _Writer:
    def __init__(self, result: ScanResult, width: int) -> None:
        self.r = result
        self.width = max(40, width)
        self.lines: list[str] = []

    def add(self, line: str = "") -> None:
        self.lines.append(line[: self.width].rstrip())

    def heading(self, title: str) -> None:
        if self.lines:
            self.add()
        self.add(shorten_middle(title, self.width))
        self.add("=" * min(self.width, max(len(title), 20)))

    def doc_line(self, indent: str, label: str, doc: str) -> None:
        room = self.width - len(indent) - len(label)
        self.add(f"{indent}{label}{shorten_middle(doc, room)}")

    def passage(self, n: int, s: Passage, indent: str = "    ", same_doc: bool = False) -> None:
        span_a = f"[{s.a.start}:{s.a.end}]"
        span_b = f"[{s.b.start}:{s.b.end}]"
        where = f"at {span_a} and {span_b}" if same_doc else f"A{span_a} B{span_b}"
        head = f"{indent}#{n} {s.kind} {s.similarity:.2f}, {_plural(s.paragraphs, 'paragraph')}, {where}"
        if len(head) > self.width:
            self.add(f"{indent}#{n} {s.kind} {s.similarity:.2f}, {_plural(s.paragraphs, 'paragraph')}")
            self.add(f"{indent}   {where}")
        else:
            self.add(head)
        la, lb = ("1st: ", "2nd: ") if same_doc else ("A: ", "B: ")
        room = self.width - len(indent) - 3 - len(la) - 2
        ex_a = excerpt(self.r, s.a, room)
        ex_b = excerpt(self.r, s.b, room)
        if ex_a == ex_b:
            self.add(f'{indent}   "{ex_a}"')
        else:
            self.add(f'{indent}   {la}"{ex_a}"')
            self.add(f'{indent}   {lb}"{ex_b}"')
        if s.kind != "exact":
            self.changes(s, indent + "   ", ("1st", "2nd") if same_doc else ("A", "B"))

    def changes(self, s: Passage, indent: str, labels: tuple[str, str]) -> None:
        """One line per side listing the words that differ (from the word diff)."""
        text_a, text_b = self.r.text(s.a), self.r.text(s.b)
        d = diff_words(text_a, text_b)
        for label, text, pieces in ((labels[0], text_a, d.a), (labels[1], text_b, d.b)):
            words = [" ".join(text[p.start : p.end].split()) for p in pieces if p.changed]
            if not words:
                continue
            line = f"only in {label}: " + "; ".join(words)
            room = self.width - len(indent)
            if len(line) > room:
                line = textwrap.shorten(line, width=room, placeholder=" ...")
            self.add(indent + line[:room])

    def passages(self, items: Sequence[Passage], indent: str = "    ") -> None:
        for n, s in enumerate(items[:MAX_PASSAGES_PER_PAIR], 1):
            self.passage(n, s, indent)
        rest = len(items) - MAX_PASSAGES_PER_PAIR
        if rest > 0:
            self.add(f"{indent}... and {_plural(rest, 'more passage')} (see --format json or html)")

    def pair(self, p: Pair, shared: Sequence[Passage]) -> None:
        self.add(
            f"  {p.kind} {p.similarity:.2f}  A in B {p.a_in_b:.0%}, B in A {p.b_in_a:.0%}, "
            f"{_plural(p.passages, 'passage')}"
        )
        self.doc_line("    ", "A ", p.a)
        self.doc_line("    ", "B ", p.b)
        self.passages(shared)


def to_table(result: ScanResult, width: int = 80) -> str:
    """A readable plain-text report grouped by cluster, with excerpts.

    Args:
        result: The scan result.
        width: Maximum line length (at least 40).

    Returns:
        The report; every line is at most ``width`` characters.
    """
    w = _Writer(result, width)
    n_exact = sum(1 for s in result.passages if s.kind == "exact")
    summary = (
        f"{_plural(len(result.documents), 'document')}, {_plural(len(result.pairs), 'pair')}, "
        f"{_plural(len(result.passages), 'passage')} ({n_exact} exact, {len(result.passages) - n_exact} near), "
        f"{_plural(len(result.clusters), 'cluster')}, {_plural(len(result.errors), 'error')}"
    )
    for line in _wrap(summary, w.width, ""):
        w.add(line)

    between: dict[tuple[str, str], list[Passage]] = defaultdict(list)
    inside: dict[str, list[Passage]] = defaultdict(list)
    for s in result.passages:
        if s.a.doc == s.b.doc:
            inside[s.a.doc].append(s)
        else:
            between[(s.a.doc, s.b.doc)].append(s)
    cluster_of = {m: i for i, c in enumerate(result.clusters) for m in c.members}
    in_cluster: dict[int, list[Pair]] = defaultdict(list)
    others: list[Pair] = []
    for p in result.pairs:
        ca, cb = cluster_of.get(p.a), cluster_of.get(p.b)
        if ca is not None and ca == cb and p.kind in _COPY_KINDS:
            in_cluster[ca].append(p)
        else:
            others.append(p)

    for i, c in enumerate(result.clusters):
        w.heading(f"Cluster {i + 1}: {_plural(len(c.members), 'document')}")
        for m in c.members:
            w.doc_line("  ", "keep " if m == c.canonical else "     ", m)
        for p in in_cluster.get(i, []):
            w.add()
            w.pair(p, between.get((p.a, p.b), []))

    copies = [p for p in others if p.kind in _COPY_KINDS]
    stories = [p for p in others if p.kind not in _COPY_KINDS]
    if copies:
        w.heading("Other copies (containment)")
        for n, p in enumerate(copies):
            if n:
                w.add()
            w.pair(p, between.get((p.a, p.b), []))
    if stories:
        w.heading("Same story (rewritten, not copies)")
        for n, p in enumerate(stories):
            if n:
                w.add()
            w.pair(p, between.get((p.a, p.b), []))

    paired = {(p.a, p.b) for p in result.pairs}
    shared = [(k, v) for k, v in sorted(between.items()) if k not in paired]
    if shared:
        w.heading("Passages shared by documents that are not copies")
        for n, ((a, b), items) in enumerate(shared):
            if n:
                w.add()
            w.doc_line("  ", "A ", a)
            w.doc_line("  ", "B ", b)
            w.passages(items)
    if inside:
        w.heading("Passages repeated inside one document")
        for n, (doc, items) in enumerate(sorted(inside.items())):
            if n:
                w.add()
            w.doc_line("  ", "", doc)
            for m, s in enumerate(items[:MAX_PASSAGES_PER_PAIR], 1):
                w.passage(m, s, "    ", same_doc=True)
            rest = len(items) - MAX_PASSAGES_PER_PAIR
            if rest > 0:
                w.add(f"    ... and {_plural(rest, 'more passage')}")
    if result.boilerplate:
        w.heading("Boilerplate (left out of pairs and passages)")
        for b in result.boilerplate:
            head = f"{_plural(b.documents, 'document')}, {_plural(len(b.occurrences), 'time')}: "
            text = excerpt(result, b.occurrences[0], max(20, w.width - len(head) - 4))
            for line in _wrap(f'{head}"{text}"', w.width, "  "):
                w.add(line)
    if result.errors:
        w.heading("Errors")
        for e in result.errors:
            for line in _wrap(f"{e.path}: {e.message}", w.width, "  "):
                w.add(line)
    if result.warnings:
        w.heading("Warnings")
        for x in result.warnings:
            for line in _wrap(f"{x.path}: {x.message}", w.width, "  "):
                w.add(line)
    return "\n".join(w.lines) + "\n"
