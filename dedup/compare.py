"""Score every pair among a few documents (``dedup compare``).

Unlike a scan, which reports only the pairs that pass a threshold,
:func:`compare` gives every pair its figures:

* ``jaccard``: Jaccard similarity of the two documents' word-shingle sets
  (the union of their fingerprinted, non-boilerplate paragraphs' shingles);
* ``a_in_b`` / ``b_in_a``: the share of one document's shingles found in the
  other (``containment`` is the larger);
* ``story``: the same-story score (0..1, see :mod:`dedup.story`);
* ``kind``: the pair's kind in the scan of the same documents, if reported;
* ``passages``: the passages the two share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .config import Config
from .detector import Detector
from .errors import InputError
from .io.readers import read_document
from .match import _union_set
from .models import Passage, ScanResult
from .paragraphs import prepare

__all__ = ["CompareResult", "Comparison", "compare", "compare_paths"]


def _r(x: float) -> float:
    return round(float(x), 4)


@dataclass(frozen=True, order=True)
class Comparison:
    """The figures of one document pair.

    Attributes:
        a: First document id (input order).
        b: Second document id.
        jaccard: Word-shingle Jaccard similarity of the documents.
        a_in_b: Share of ``a``'s shingles found in ``b``.
        b_in_a: Share of ``b``'s shingles found in ``a``.
        story: Same-story score, 0..1.
        kind: Kind of the pair in the scan, or ``None`` when not reported.
        passages: Passages shared by the two documents.
    """

    a: str
    b: str
    jaccard: float
    a_in_b: float
    b_in_a: float
    story: float
    kind: str | None
    passages: tuple[Passage, ...] = ()

    @property
    def containment(self) -> float:
        """The larger containment figure."""
        return max(self.a_in_b, self.b_in_a)

    def to_dict(self) -> dict:
        """JSON form (``passages`` as in the scan contract)."""
        return {
            "a": self.a,
            "b": self.b,
            "jaccard": _r(self.jaccard),
            "containment": _r(self.containment),
            "a_in_b": _r(self.a_in_b),
            "b_in_a": _r(self.b_in_a),
            "story": _r(self.story),
            "kind": self.kind,
            "passages": [p.to_dict() for p in self.passages],
        }


@dataclass(frozen=True)
class CompareResult:
    """Every pair's figures plus the underlying scan.

    Attributes:
        pairs: One :class:`Comparison` per pair, in input order.
        scan: The scan of the same documents (passages, boilerplate, errors).
    """

    pairs: tuple[Comparison, ...]
    scan: ScanResult

    def to_dict(self) -> dict:
        """JSON form: ``{"pairs": [...], "boilerplate": [...], "errors": [...]}``."""
        d = self.scan.to_dict()
        return {
            "pairs": [p.to_dict() for p in self.pairs],
            "boilerplate": d["boilerplate"],
            "errors": d["errors"],
            "warnings": d["warnings"],
        }


def compare(det: Detector, order: Sequence[str] | None = None) -> CompareResult:
    """Score every pair of the documents added to a detector.

    Args:
        det: A detector holding the documents.
        order: Document ids in the order pairs are listed (default: sorted).

    Returns:
        The comparisons of all ``n * (n - 1) / 2`` pairs.
    """
    from .story import StoryModel, load_background

    cfg = det.config
    result = det.run()
    docs = list(result.documents)
    ids = [d.id for d in docs]
    order = list(order) if order is not None else ids
    pos = {d: i for i, d in enumerate(ids)}
    table = prepare(docs, cfg)
    bp_spans = {(s.doc, s.start, s.end) for b in result.boilerplate for s in b.occurrences}
    sets = []
    blank_texts = []
    for i, doc in enumerate(docs):
        rows = np.flatnonzero(table.doc == i)
        keep = [r for r in rows.tolist() if (doc.id, int(table.start[r]), int(table.end[r])) not in bp_spans]
        groups = sorted({int(table.group[r]) for r in keep})
        sets.append(_union_set(table.shingles, groups) if groups else np.empty(0, dtype=np.uint64))
        text = doc.text
        for r in rows.tolist():
            if r not in keep:
                s, e = int(table.start[r]), int(table.end[r])
                text = text[:s] + " " * (e - s) + text[e:]
        blank_texts.append(text)
    background = load_background(cfg.story_background) if cfg.story_background else []
    model = StoryModel(blank_texts, background, cfg.story_model)
    idx_pairs = [(pos[order[x]], pos[order[y]]) for x in range(len(order)) for y in range(x + 1, len(order))]
    arr = np.array(idx_pairs, dtype=np.int64).reshape(-1, 2)
    story = model.scores(arr) if len(arr) else np.empty(0)
    kinds = {(p.a, p.b): p.kind for p in result.pairs}
    by_docs: dict[tuple[str, str], list[Passage]] = {}
    for p in result.passages:
        by_docs.setdefault((p.a.doc, p.b.doc), []).append(p)
    out = []
    for (i, j), st in zip(idx_pairs, story.tolist()):
        sa, sb = sets[i], sets[j]
        inter = len(np.intersect1d(sa, sb, assume_unique=True))
        union = len(sa) + len(sb) - inter
        a, b = ids[i], ids[j]
        key = (min(a, b), max(a, b))
        out.append(
            Comparison(
                a=a,
                b=b,
                jaccard=inter / union if union else 0.0,
                a_in_b=inter / len(sa) if len(sa) else 0.0,
                b_in_a=inter / len(sb) if len(sb) else 0.0,
                story=float(st),
                kind=kinds.get(key),
                passages=tuple(sorted(by_docs.get(key, []))),
            )
        )
    return CompareResult(tuple(out), result)


def compare_paths(paths: Sequence[str], config: Config | None = None) -> CompareResult:
    """Compare files, using each path as given as its document id.

    Unreadable files are listed in the result's ``scan.errors``.

    Args:
        paths: Files (two or more).
        config: Settings.

    Returns:
        All pairs' figures, pairs in the order of ``paths``.
    """
    from .models import InputProblem

    det = Detector(config)
    order = []
    for p in dict.fromkeys(paths):
        try:
            doc, warning = read_document(p, doc_id=p)
        except InputError as exc:
            det._errors.append(InputProblem(exc.path, exc.reason))
            continue
        if warning:
            det._warnings.append(InputProblem(p, warning))
        det.add_document(doc)
        order.append(p)
    return compare(det, order)
