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
7. unreadable inputs and warnings;
8. the bounds that changed the results (``ScanResult.limits``), if any.

Large results are summarised, not listed: each section shows its most
important entries (the limits are the ``MAX_*`` constants below, all
parameters of :func:`to_table`) and ends with ``... and K more (use --format
json)``. Importance: clusters by size; pairs by kind, then coverage and
similarity; passages by length (shown in document order); groups of passages
by total length; boilerplate by the number of documents. The work done is
linear in the size of the result plus the (bounded) entries shown.

The output is deterministic (ties are broken by natural id order).
"""

from __future__ import annotations

import heapq
import textwrap
from collections import defaultdict
from collections.abc import Sequence

from ..models import Pair, Passage, ScanResult, Span, natural_key
from .diff import changed_words, diff_words, is_rewrite

__all__ = [
    "MAX_BOILERPLATE",
    "MAX_CLUSTERS",
    "MAX_CLUSTER_PAIRS",
    "MAX_GROUPS",
    "MAX_MEMBERS",
    "MAX_PAIRS",
    "MAX_PASSAGES_PER_PAIR",
    "MAX_PROBLEMS",
    "excerpt",
    "shorten_middle",
    "summary",
    "to_table",
]

#: Clusters listed (largest first).
MAX_CLUSTERS = 20
#: Members listed per cluster (the one to keep first).
MAX_MEMBERS = 10
#: Pairs listed per cluster (its members are copies of each other: a few show how).
MAX_CLUSTER_PAIRS = 3
#: Pairs listed per section (other copies, same story).
MAX_PAIRS = 20
#: Passages listed per pair, per group of shared passages and per document (longest).
MAX_PASSAGES_PER_PAIR = 5
#: Groups listed in "passages shared by documents that are not copies" and
#: "passages repeated inside one document" (most shared text first).
MAX_GROUPS = 20
#: Boilerplate texts listed (found in most documents first).
MAX_BOILERPLATE = 10
#: Errors and warnings listed each.
MAX_PROBLEMS = 50
#: Shared specific terms shown for a same-story pair.
MAX_EVIDENCE_TERMS = 8

_COPY_KINDS = ("duplicate", "near_duplicate", "containment")
_KIND_RANK = {"duplicate": 0, "near_duplicate": 1, "containment": 2, "same_story": 3}
_MORE = "(use --format json)"


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
    # Only the start of a long span can be shown: read no more of it than that.
    limit = 4 * width + 64
    cut = span.end - span.start > limit
    raw = result.text(Span(span.doc, span.start, span.start + limit) if cut else span)
    text = " ".join(raw.split())
    if len(text) <= width and not cut:
        return text
    short = textwrap.shorten(text, width=width, placeholder=" ...")
    if short.strip() == "...":  # one very long word
        return text[: width - 4] + " ..."
    if not short.endswith(" ..."):
        short = short[: width - 4].rstrip() + " ..."
    return short


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _wrap(text: str, width: int, indent: str) -> list[str]:
    return textwrap.wrap(
        text, width=width, initial_indent=indent, subsequent_indent=indent + "  ", break_long_words=True
    ) or [indent.rstrip()]


def _wrap_phrases(phrases: Sequence[str], width: int) -> list[str]:
    """Join phrases with ``", "`` into lines of at most ``width``, breaking only between phrases."""
    lines: list[str] = []
    line = ""
    for i, ph in enumerate(phrases):
        piece = ph + ("," if i < len(phrases) - 1 else "")
        if not line:
            line = piece
        elif len(line) + 1 + len(piece) <= width:
            line += " " + piece
        else:
            lines.append(line)
            line = "  " + piece
    if line:
        lines.append(line)
    return [ln[:width] for ln in lines]


def summary(result: ScanResult) -> list[str]:
    """The phrases of the summary line, e.g. ``["3 documents", "no copies found", ...]``.

    Example:
        >>> from dedup.models import ScanResult, Document
        >>> summary(ScanResult((Document("a", "x"),), (), (), ()))
        ['1 document', 'no copies found', '0 pairs', '0 passages', '0 clusters', '0 errors']
    """
    n_exact = [s.kind for s in result.passages].count("exact")
    phrases = [_plural(len(result.documents), "document")]
    copies = sum(1 for p in result.pairs if p.kind in _COPY_KINDS)
    if not copies:
        phrases.append("no copies found")
    phrases.append(_plural(len(result.pairs), "pair"))
    if result.passages:
        phrases.append(
            f"{_plural(len(result.passages), 'passage')} ({n_exact} exact, {len(result.passages) - n_exact} near)"
        )
    else:
        phrases.append("0 passages")
    phrases.append(_plural(len(result.clusters), "cluster"))
    phrases.append(_plural(len(result.errors), "error"))
    return phrases


def _span_len(s: Passage) -> int:
    return (s.a.end - s.a.start) + (s.b.end - s.b.start)


def _top_passages(items: Sequence[Passage], limit: int) -> list[Passage]:
    """The ``limit`` longest passages, in document order."""
    if len(items) <= limit:
        return list(items)
    top = heapq.nsmallest(limit, items, key=lambda s: (-_span_len(s), s))
    return sorted(top)


def _pair_key(p: Pair) -> tuple[object, ...]:
    return (_KIND_RANK.get(p.kind, 9), -p.containment, -p.similarity, p.a, p.b)


def _top(items, limit: int, key, display):  # type: ignore[no-untyped-def]
    """The ``limit`` smallest items by ``key`` (cheap), listed in ``display`` order (natural ids)."""
    return sorted(heapq.nsmallest(limit, items, key=key), key=display)


def _contains(p: Pair) -> tuple[str, str, float] | None:
    """``(outer, inner, share)`` for a containment pair: which document contains which."""
    if p.kind != "containment":
        return None
    if p.a_in_b >= p.b_in_a:
        return ("B", "A", p.a_in_b)
    return ("A", "B", p.b_in_a)


def _pair_display(p: Pair) -> tuple[object, ...]:
    return (_KIND_RANK.get(p.kind, 9), -p.containment, -p.similarity, natural_key(p.a), natural_key(p.b))


class _Writer:
    def __init__(self, result: ScanResult, width: int, max_passages: int) -> None:
        self.r = result
        self.width = max(40, width)
        self.max_passages = max_passages
        self.lines: list[str] = []

    def add(self, line: str = "") -> None:
        self.lines.append(line[: self.width].rstrip())

    def more(self, indent: str, rest: int, what: str, plural: str | None = None) -> None:
        if rest > 0:
            self.add(f"{indent}... and {_plural(rest, 'more ' + what, plural and 'more ' + plural)} {_MORE}")

    def evidence(self, evidence: dict) -> None:
        """A same-story pair's reason and shared specific terms, wrapped to the width."""
        text = f"why: {evidence.get('reason', '')}"
        terms = _shared_terms(evidence)
        if terms:
            text += f"; shared: {terms}"
        for line in textwrap.wrap(text, max(20, self.width - 4), break_long_words=False):
            self.add("    " + line)

    def heading(self, title: str) -> None:
        if self.lines:
            self.add()
        self.add(shorten_middle(title, self.width))
        self.add("=" * min(self.width, max(len(title), 20)))

    def doc_line(self, indent: str, label: str, doc: str) -> None:
        room = self.width - len(indent) - len(label)
        self.add(f"{indent}{label}{shorten_middle(doc, room)}")

    def passage(
        self, n: int, s: Passage, indent: str = "    ", same_doc: bool = False, show_changes: bool = True
    ) -> None:
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
        if s.kind != "exact" and show_changes:
            self.changes(s, indent + "   ", ("1st", "2nd") if same_doc else ("A", "B"))

    def changes(self, s: Passage, indent: str, labels: tuple[str, str]) -> None:
        """The words that differ, one line per side; a count instead when most words differ."""
        text_a, text_b = self.r.text(s.a), self.r.text(s.b)
        d = diff_words(text_a, text_b)
        room = self.width - len(indent)
        if is_rewrite(d):
            self.add(indent + f"reworded: {d.changed_a} of {d.words_a} words only in {labels[0]}, "[:room])
            self.add(indent + f"{d.changed_b} of {d.words_b} only in {labels[1]}"[:room])
            return
        for label, text, pieces in ((labels[0], text_a, d.a), (labels[1], text_b, d.b)):
            words = changed_words(text, pieces)
            if not words:
                continue
            line = f"only in {label}: " + "; ".join(words)
            if len(line) > room:
                line = textwrap.shorten(line, width=room, placeholder=" ...")
            self.add(indent + line[:room])

    def passages(self, items: Sequence[Passage], indent: str = "    ", show_changes: bool = True) -> None:
        for n, s in enumerate(_top_passages(items, self.max_passages), 1):
            self.passage(n, s, indent, show_changes=show_changes)
        self.more(indent, len(items) - self.max_passages, "passage")

    def pair(self, p: Pair, shared: Sequence[Passage]) -> None:
        self.add(
            f"  {p.kind} {p.similarity:.2f}  A in B {p.a_in_b:.0%}, B in A {p.b_in_a:.0%}, "
            f"{_plural(p.passages, 'passage')}"
        )
        self.doc_line("    ", "A ", p.a)
        self.doc_line("    ", "B ", p.b)
        inside = _contains(p)
        if inside:
            outer, inner, share = inside
            self.add(f"    {outer} contains {inner}: {share:.0%} of {inner} lies in {outer}")
        if p.evidence:
            self.evidence(p.evidence)
        # A rewrite differs in most words: its word lists would be noise.
        self.passages(shared, show_changes=p.kind in _COPY_KINDS)


def _shared_terms(evidence: dict) -> str:
    """The shared specific terms of a same-story pair, as written in A (and in B where it differs)."""
    out = []
    for t in evidence.get("terms", [])[:MAX_EVIDENCE_TERMS]:
        if not t.get("specific"):
            continue
        a, b = t.get("a", {}).get("text", t["term"]), t.get("b", {}).get("text", t["term"])
        out.append(a if a == b else f"{a}/{b}")
    return ", ".join(out)


def to_table(
    result: ScanResult,
    width: int = 80,
    *,
    max_clusters: int = MAX_CLUSTERS,
    max_members: int = MAX_MEMBERS,
    max_cluster_pairs: int = MAX_CLUSTER_PAIRS,
    max_pairs: int = MAX_PAIRS,
    max_passages: int = MAX_PASSAGES_PER_PAIR,
    max_groups: int = MAX_GROUPS,
    max_boilerplate: int = MAX_BOILERPLATE,
    max_problems: int = MAX_PROBLEMS,
) -> str:
    """A readable plain-text report grouped by cluster, with excerpts.

    Every section lists at most its limit of entries, most important first,
    then ``... and K more ... (use --format json)``.

    Args:
        result: The scan result.
        width: Maximum line length (at least 40).
        max_clusters: Clusters listed (largest first).
        max_members: Members listed per cluster.
        max_cluster_pairs: Pairs listed per cluster (strongest first).
        max_pairs: Pairs listed per section (other copies, same story).
        max_passages: Passages listed per pair or group (longest).
        max_groups: Document pairs listed with their shared passages, and
            documents listed with their repeated passages.
        max_boilerplate: Boilerplate texts listed.
        max_problems: Errors listed, and warnings listed.

    Returns:
        The report; every line is at most ``width`` characters.
    """
    w = _Writer(result, width, max_passages)
    for line in _wrap_phrases(summary(result), w.width):
        w.add(line)

    between: dict[tuple[str, str], list[Passage]] = defaultdict(list)
    inside: dict[str, list[Passage]] = defaultdict(list)
    # Characters shared per document pair and repeated per document, summed in the same pass
    # (a dense corpus has a million passages: one pass over them, not one per section).
    size: dict[tuple[str, str], int] = defaultdict(int)
    repeated: dict[str, int] = defaultdict(int)
    for s in result.passages:
        sa, sb = s.a, s.b
        if sa.doc == sb.doc:
            inside[sa.doc].append(s)
            repeated[sa.doc] += (sa.end - sa.start) + (sb.end - sb.start)
        else:
            key = (sa.doc, sb.doc)
            between[key].append(s)
            size[key] += (sa.end - sa.start) + (sb.end - sb.start)
    cluster_of = {m: i for i, c in enumerate(result.clusters) for m in c.members}
    in_cluster: dict[int, list[Pair]] = defaultdict(list)
    others: list[Pair] = []
    for p in result.pairs:
        ca, cb = cluster_of.get(p.a), cluster_of.get(p.b)
        if ca is not None and ca == cb and p.kind in _COPY_KINDS:
            in_cluster[ca].append(p)
        else:
            others.append(p)

    order = _top(
        range(len(result.clusters)),
        max_clusters,
        lambda i: (-len(result.clusters[i].members), result.clusters[i].canonical),
        lambda i: (-len(result.clusters[i].members), natural_key(result.clusters[i].canonical)),
    )
    for n, i in enumerate(order, 1):
        c = result.clusters[i]
        w.heading(f"Cluster {n}: {_plural(len(c.members), 'document')}")
        rest = [m for m in c.members if m != c.canonical]
        shown = [c.canonical, *heapq.nsmallest(max(0, max_members - 1), rest, key=natural_key)]
        for m in shown:
            w.doc_line("  ", "keep " if m == c.canonical else "     ", m)
        w.more("       ", len(c.members) - len(shown), "member")
        pairs = in_cluster.get(i, [])
        for p in _top(pairs, max_cluster_pairs, _pair_key, _pair_display):
            w.add()
            w.pair(p, between.get((p.a, p.b), []))
        if len(pairs) > max_cluster_pairs:
            w.add()
        w.more("  ", len(pairs) - max_cluster_pairs, "pair in this cluster", "pairs in this cluster")
    if len(result.clusters) > max_clusters:
        w.add()
        w.more("", len(result.clusters) - max_clusters, "cluster")

    copies = [p for p in others if p.kind in _COPY_KINDS]
    stories = [p for p in others if p.kind not in _COPY_KINDS]
    for title, items in (("Other copies (containment)", copies), ("Same story (rewritten, not copies)", stories)):
        if not items:
            continue
        w.heading(title)
        for n, p in enumerate(_top(items, max_pairs, _pair_key, _pair_display)):
            if n:
                w.add()
            w.pair(p, between.get((p.a, p.b), []))
        if len(items) > max_pairs:
            w.add()
        w.more("", len(items) - max_pairs, "pair")

    paired = {(p.a, p.b) for p in result.pairs}
    shared = [(k, v) for k, v in between.items() if k not in paired]
    if shared:
        w.heading("Passages shared by documents that are not copies")
        top = _top(
            shared,
            max_groups,
            lambda kv: (-size[kv[0]], kv[0]),
            lambda kv: (-size[kv[0]], natural_key(kv[0][0]), natural_key(kv[0][1])),
        )
        for n, ((a, b), items) in enumerate(top):
            if n:
                w.add()
            w.doc_line("  ", "A ", a)
            w.doc_line("  ", "B ", b)
            w.passages(items)
        if len(shared) > max_groups:
            w.add()
        w.more("", len(shared) - max_groups, "pair of documents", "pairs of documents")
    if inside:
        w.heading("Passages repeated inside one document")
        top_docs = _top(
            inside.items(),
            max_groups,
            lambda kv: (-repeated[kv[0]], kv[0]),
            lambda kv: (-repeated[kv[0]], natural_key(kv[0])),
        )
        for n, (doc, items) in enumerate(top_docs):
            if n:
                w.add()
            w.doc_line("  ", "", doc)
            for m, s in enumerate(_top_passages(items, max_passages), 1):
                w.passage(m, s, "    ", same_doc=True)
            w.more("    ", len(items) - max_passages, "passage")
        if len(inside) > max_groups:
            w.add()
        w.more("", len(inside) - max_groups, "document")
    if result.boilerplate:
        min_docs = int(result.settings.get("boilerplate_min_docs", 0) or 0)
        w.heading("Boilerplate (left out of pairs and passages)")
        top_bp = heapq.nsmallest(
            max_boilerplate, result.boilerplate, key=lambda b: (-b.documents, -len(b.occurrences), b)
        )
        for b in top_bp:
            if b.documents >= min_docs:
                where = f"in {_plural(b.documents, 'document')}"
            else:
                # The rule counts near-identical variants (a changing dateline) together.
                where = f"in {_plural(b.documents, 'document')} as written ({min_docs}+ with near-identical variants)"
            head = f"{where}, {_plural(len(b.occurrences), 'time')}: "
            text = excerpt(result, b.occurrences[0], max(20, w.width - len(head) - 4))
            for line in _wrap(f'{head}"{text}"', w.width, "  "):
                w.add(line)
        w.more("  ", len(result.boilerplate) - max_boilerplate, "boilerplate text")
    for title, problems in (("Errors", result.errors), ("Warnings", result.warnings)):
        if not problems:
            continue
        w.heading(title)
        for e in problems[:max_problems]:
            for line in _wrap(f"{e.path}: {e.message}", w.width, "  "):
                w.add(line)
        w.more("  ", len(problems) - max_problems, title.lower()[:-1])
    if result.limits:
        w.heading("Limits applied (results bounded)")
        for sentence in result.limits:
            for line in _wrap(sentence, w.width, "  "):
                w.add(line)
    return "\n".join(w.lines) + "\n"
