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

from . import pipeline
from .config import Config
from .detector import Detector
from .errors import InputError
from .io.readers import read_document
from .match import check_pair_budget, union_set
from .models import Passage, ScanResult

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

    Runs the pipeline once (:func:`dedup.pipeline.run`, as a scan of the same
    documents) and reads every pair's figures from its paragraph table and
    its story model.

    Args:
        det: A detector holding the documents.
        order: Document ids in the order pairs are listed (default: sorted).

    Returns:
        The comparisons of all ``n * (n - 1) / 2`` pairs.

    Raises:
        ConfigError: More than :data:`dedup.match.MAX_COMPARE_PAIRS` pairs.
    """
    cfg = det.config
    check_pair_budget(len(det.documents()))  # every pair is scored: a corpus belongs in a scan
    docs = sorted(det.documents(), key=lambda d: d.id)
    background = pipeline.load_background(cfg.replace(story=True))
    found, table = pipeline.run(docs, cfg, background=background, order=[d.id for d in det.documents()])
    result = det.result(found, table)
    ids = [d.id for d in docs]
    order = list(order) if order is not None else ids
    pos = {d: i for i, d in enumerate(ids)}
    bp = found.boilerplate_rows
    sets = []
    for i in range(len(docs)):
        rows = np.flatnonzero((table.doc == i) & ~bp)
        groups = sorted(set(table.group[rows].tolist()))
        sets.append(union_set(table.shingles, groups) if groups else np.empty(0, dtype=np.uint64))
    idx_pairs = [(pos[order[x]], pos[order[y]]) for x in range(len(order)) for y in range(x + 1, len(order))]
    arr = np.array(idx_pairs, dtype=np.int64).reshape(-1, 2)
    model = found.story_model
    if model is None and len(arr):  # the story tier is off: the score still needs the model
        model = pipeline.story_model(docs, table, bp, cfg, background)
    story = model.scores(arr) if len(arr) and model is not None else np.zeros(len(arr))
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
            det.record_problem(InputProblem(exc.path, exc.reason))
            continue
        if warning:
            det.record_problem(InputProblem(p, warning), warning=True)
        det.add_document(doc)
        order.append(p)
    return compare(det, order)
