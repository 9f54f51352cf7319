"""Result types: small frozen dataclasses.

Every offset is a character offset into the document's original text, so
``document.text[span.start:span.end]`` is the passage exactly as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "CLUSTER_KINDS",
    "COPY_KINDS",
    "PASSAGE_KIND",
    "STORY_KIND",
    "Boilerplate",
    "Cluster",
    "Document",
    "InputProblem",
    "Match",
    "Pair",
    "Passage",
    "ScanResult",
    "Span",
    "natural_key",
    "natural_sorted",
]

PairKind = Literal["duplicate", "near_duplicate", "containment", "same_story"]
PassageKind = Literal["exact", "near"]

#: Pair kinds that are copies (of the whole, or of one inside the other).
COPY_KINDS = frozenset({"duplicate", "near_duplicate", "containment"})
#: Pair kinds whose documents are joined into duplicate clusters.
CLUSTER_KINDS = frozenset({"duplicate", "near_duplicate"})
#: The pair kind of the same story rewritten (never a copy).
STORY_KIND = "same_story"
#: The finding kind of a passage shared by two documents (``dedup check``).
PASSAGE_KIND = "passage"

#: Version of the JSON output contract.
SCHEMA_VERSION = 1

#: How :meth:`ScanResult.drop` treats ``containment`` pairs (see there).
ContainmentPolicy = Literal["drop", "keep"]

_DIGITS = re.compile(r"(\d+)")


def natural_key(doc_id: str) -> tuple[Any, ...]:
    """Sort key comparing the digit runs of an id as numbers.

    Used wherever ids are ordered for people to read, so ``7`` comes before
    ``52`` and ``page-9.md`` before ``page-10.md``. Ids equal up to case
    and leading zeros are ordered by the id itself, so the order is total.

    Example:
        >>> sorted(["52", "7", "page-10.md", "page-9.md"], key=natural_key)
        ['7', '52', 'page-9.md', 'page-10.md']
    """
    parts = _DIGITS.split(doc_id)
    return (tuple(int(t) if i % 2 else t.casefold() for i, t in enumerate(parts)), doc_id)


def natural_sorted(ids: Iterable[str]) -> list[str]:
    """The ids in natural order (see :func:`natural_key`).

    Example:
        >>> natural_sorted(["a10", "a9", "a1"])
        ['a1', 'a9', 'a10']
    """
    return sorted(ids, key=natural_key)


def _r(x: float) -> float:
    return round(float(x), 4)


@dataclass(frozen=True)
class Document:
    """A document to scan.

    Args:
        id: Unique identifier (for files: the path relative to the scanned
            folder, with ``/`` separators).
        text: The original decoded text.
        path: The file it came from, if any.
        date: An ISO-8601 date or datetime from metadata, if known.
        mtime: File modification time (seconds since the epoch), if known.
        meta: Free-form metadata (title, source, ...), JSON-serialisable.
    """

    id: str
    text: str
    path: str | None = None
    date: str | None = None
    mtime: float | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, order=True, slots=True)
class Span:
    """A character range ``[start, end)`` of one document."""

    doc: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"doc", "start", "end"}``."""
        return {"doc": self.doc, "start": self.start, "end": self.end}


@dataclass(frozen=True, order=True)
class Match:
    """Two paragraphs whose shingle sets are similar (verified exactly).

    Attributes:
        a: The first paragraph's span.
        b: The second paragraph's span.
        similarity: Exact Jaccard similarity of their shingle sets.
        exact: True when both are identical after normalization.
    """

    a: Span
    b: Span
    similarity: float
    exact: bool


@dataclass(frozen=True, order=True, slots=True)
class Passage:
    """A maximal run of consecutive matching paragraphs shared by two places.

    ``a`` and ``b`` may be in the same document (a block repeated inside one
    article); then ``a`` comes first.

    Attributes:
        a: Span covering the run in the first document.
        b: Span covering the run in the second document.
        similarity: Exact Jaccard similarity of the two spans' shingle sets.
        kind: ``"exact"`` when every paragraph pair is identical after
            normalization, else ``"near"``.
        paragraphs: Number of paragraphs in the run.
    """

    a: Span
    b: Span
    similarity: float
    kind: PassageKind
    paragraphs: int = 1

    def to_dict(self) -> dict[str, Any]:
        """JSON form of the passage (see the README's JSON contract)."""
        return {
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "similarity": _r(self.similarity),
            "kind": self.kind,
            "paragraphs": self.paragraphs,
        }


@dataclass(frozen=True, order=True)
class Pair:
    """Two documents related as a whole.

    Attributes:
        a: The first document id (sort order).
        b: The second document id.
        kind: ``duplicate`` (same text after normalization),
            ``near_duplicate`` (most of both lie in shared passages),
            ``containment`` (most of the smaller one lies in the other), or
            ``same_story`` (the same story rewritten; never a copy).
        similarity: Exact Jaccard similarity of the two documents' shingle
            sets (for ``same_story``: the story score).
        a_in_b: Fraction of ``a``'s fingerprinted text covered by passages
            shared with ``b``.
        b_in_a: Fraction of ``b``'s fingerprinted text covered by passages
            shared with ``a``.
        passages: Number of passages between the two.
        evidence: For ``same_story`` pairs, why (see
            :func:`dedup.story.story_evidence`); ``None`` otherwise.
    """

    a: str
    b: str
    kind: PairKind
    similarity: float
    a_in_b: float
    b_in_a: float
    passages: int = 0
    evidence: dict[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def containment(self) -> float:
        """The larger of the two coverage figures."""
        return max(self.a_in_b, self.b_in_a)

    def to_dict(self) -> dict[str, Any]:
        """JSON form of the pair."""
        return {
            "a": self.a,
            "b": self.b,
            "kind": self.kind,
            "similarity": _r(self.similarity),
            "containment": _r(self.containment),
            "a_in_b": _r(self.a_in_b),
            "b_in_a": _r(self.b_in_a),
            "passages": self.passages,
        } | ({"evidence": self.evidence} if self.evidence is not None else {})


@dataclass(frozen=True, order=True)
class Cluster:
    """Documents connected by duplicate or near-duplicate pairs.

    Attributes:
        members: Sorted document ids.
        canonical: The member chosen to keep (see ``Config.canonical``).
    """

    members: tuple[str, ...]
    canonical: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form of the cluster."""
        return {"members": list(self.members), "canonical": self.canonical}


@dataclass(frozen=True, order=True)
class Boilerplate:
    """One boilerplate paragraph text and every place it occurs.

    Attributes:
        occurrences: Spans of every occurrence, sorted.
        documents: Number of distinct documents holding it.
        tokens: Word tokens of the paragraph.
    """

    occurrences: tuple[Span, ...]
    documents: int
    tokens: int

    def to_dict(self, text: str | None = None) -> dict[str, Any]:
        """JSON form: ``text`` (of the first occurrence), counts, occurrences."""
        out: dict[str, Any] = {}
        if text is not None:
            out["text"] = text
        out["documents"] = self.documents
        out["tokens"] = self.tokens
        out["occurrences"] = [s.to_dict() for s in self.occurrences]
        return out


@dataclass(frozen=True, order=True)
class InputProblem:
    """A file that could not be used, or was used with a caveat.

    Attributes:
        path: The file path as found.
        message: Why.
    """

    path: str
    message: str


@dataclass(frozen=True)
class ScanResult:
    """Everything a scan found.

    Attributes:
        documents: The documents scanned, sorted by id.
        passages: Shared passages, sorted.
        pairs: Related document pairs, sorted.
        clusters: Duplicate clusters, sorted.
        errors: Inputs that could not be read.
        warnings: Inputs read with a caveat (e.g. legacy encoding).
        settings: The settings used (``Config.to_dict()``).
        paragraph_counts: Number of paragraphs per document id.
        boilerplate: Paragraph texts repeated across many otherwise unrelated
            documents (left out of pair scores and passages), sorted.
        limits: One sentence per bound of the pipeline that changed these
            results (e.g. the alignment partner cap); empty for most corpora.
    """

    documents: tuple[Document, ...]
    passages: tuple[Passage, ...]
    pairs: tuple[Pair, ...]
    clusters: tuple[Cluster, ...]
    errors: tuple[InputProblem, ...] = ()
    warnings: tuple[InputProblem, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)
    paragraph_counts: dict[str, int] = field(default_factory=dict)
    boilerplate: tuple[Boilerplate, ...] = ()
    limits: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # The id index is built once, here, from the (immutable) documents:
        # document() and text() are O(1). It is not a dataclass field, so it is
        # neither compared nor shown, and dataclasses.replace() rebuilds it.
        object.__setattr__(self, "_by_id", {d.id: d for d in self.documents})

    def document(self, doc_id: str) -> Document:
        """Look a document up by id (constant time).

        Raises:
            KeyError: If no document has that id.
        """
        return self._by_id[doc_id]  # type: ignore[attr-defined, no-any-return]

    def text(self, span: Span) -> str:
        """The original text of a span."""
        return self.document(span.doc).text[span.start : span.end]

    def drop(self, containment: ContainmentPolicy = "drop") -> list[str]:
        """Ids of the documents that are copies of another one, in natural order.

        Deleting them leaves one document per cluster and no text that is
        (by the coverage rule) mostly inside another kept document.

        Policies:

        * every member of a cluster (``duplicate`` / ``near_duplicate``
          pairs) except its ``canonical`` one is dropped (the canonical
          member follows ``Config.canonical``);
        * a ``containment`` pair means most of the smaller document lies in
          the larger one. With ``containment="drop"`` (default) the
          contained document is dropped: the side with the larger coverage
          (``a`` when ``a_in_b > b_in_a``; on a tie the shorter text, then
          the later id). With ``containment="keep"`` containment pairs drop
          nothing (keep excerpts, quotes and round-ups);
        * a contained document that is the ``canonical`` member of its
          cluster is dropped only when its container is kept, so a cluster is
          never emptied through a chain of containments;
        * ``same_story`` pairs (rewrites, not copies) and passages drop
          nothing.

        Args:
            containment: ``"drop"`` or ``"keep"``.

        Returns:
            The ids to drop; :meth:`keep` returns all the others.

        Raises:
            ValueError: On an unknown policy.
        """
        if containment not in ("drop", "keep"):
            raise ValueError(f"containment policy must be 'drop' or 'keep', not {containment!r}")
        dropped: set[str] = set()
        canonicals: set[str] = set()
        for c in self.clusters:
            canonicals.add(c.canonical)
            dropped.update(m for m in c.members if m != c.canonical)
        if containment == "drop":
            contained: list[tuple[str, str]] = []
            for p in self.pairs:
                if p.kind != "containment":
                    continue
                inner, outer = p.a, p.b
                if p.b_in_a > p.a_in_b:
                    inner, outer = p.b, p.a
                elif p.a_in_b == p.b_in_a:
                    la, lb = len(self.document(p.a).text), len(self.document(p.b).text)
                    if lb < la or (lb == la and natural_key(p.b) > natural_key(p.a)):
                        inner, outer = p.b, p.a
                contained.append((inner, outer))
            for inner, _ in contained:
                if inner not in canonicals:
                    dropped.add(inner)
            for inner, outer in contained:
                if inner in canonicals and outer not in dropped:
                    dropped.add(inner)
        return natural_sorted(dropped)

    def keep(self, containment: ContainmentPolicy = "drop") -> list[str]:
        """Ids of the documents to keep, in natural order: all but :meth:`drop`'s."""
        dropped = set(self.drop(containment))
        return natural_sorted(d.id for d in self.documents if d.id not in dropped)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract (schema 1), identical to ``dedup scan --format json``."""
        docs = []
        for d in self.documents:
            entry: dict[str, Any] = {
                "id": d.id,
                "chars": len(d.text),
                "paragraphs": self.paragraph_counts.get(d.id, 0),
            }
            if d.date:
                entry["date"] = d.date
            if d.meta:
                entry["meta"] = d.meta
            docs.append(entry)
        return {
            "schema": SCHEMA_VERSION,
            "settings": self.settings,
            "documents": docs,
            "pairs": [p.to_dict() for p in self.pairs],
            "passages": [p.to_dict() for p in self.passages],
            "clusters": [c.to_dict() for c in self.clusters],
            "boilerplate": [b.to_dict(self.text(b.occurrences[0])) for b in self.boilerplate],
            "errors": [{"path": e.path, "error": e.message} for e in self.errors],
            "warnings": [{"path": w.path, "warning": w.message} for w in self.warnings],
            **({"limits": list(self.limits)} if self.limits else {}),
        }
