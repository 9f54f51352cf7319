"""Canonical choice (first added, not string order), natural id order, keep()/drop(), the ids format,
and constant-time id lookups in ScanResult."""

from __future__ import annotations

import dataclasses

import pytest

from dedup import Config, Detector
from dedup.cluster import choose_canonical, clusters_from_pairs
from dedup.models import Cluster, Document, Pair, ScanResult, natural_key, natural_sorted
from dedup.report.formatters import FORMATS, format_result, to_ids

from .texts import CHESS, MARKET, MUSEUM, RIVER, join

FULL = join(RIVER + MUSEUM)
HALF = join(RIVER)  # a truncated copy: every paragraph of it lies in FULL


def test_natural_sort_compares_digit_runs_as_numbers():
    assert natural_sorted(["52", "7", "100", "page-10.md", "page-9.md", "Page-1.md"]) == [
        "7",
        "52",
        "100",
        "Page-1.md",
        "page-9.md",
        "page-10.md",
    ]
    # Total: ids equal up to case and zeros still get a fixed order.
    assert natural_sorted(["a01", "a1", "A1"]) == sorted(["a01", "a1", "A1"], key=natural_key)
    assert len({natural_key(i) for i in ["a01", "a1", "A1"]}) == 3


def test_first_canonical_is_the_document_added_first_not_the_smallest_string():
    det = Detector(Config(canonical="first"))
    det.add("7", FULL)  # the original, added first
    det.add("52", FULL + "\n\nA short extra closing line added by the second site today.")
    (cluster,) = det.run().clusters
    assert cluster.members == ("52", "7")  # members stay sorted by id in the JSON
    assert cluster.canonical == "7"  # string order would pick "52"


def test_first_canonical_follows_an_explicit_order():
    docs = {i: Document(i, FULL) for i in ("b", "a", "c")}
    pairs = [Pair("a", "b", "duplicate", 1.0, 1.0, 1.0, 1), Pair("b", "c", "duplicate", 1.0, 1.0, 1.0, 1)]
    assert clusters_from_pairs(pairs, docs, "first")[0].canonical == "b"  # mapping order = added order
    assert clusters_from_pairs(pairs, docs, "first", order=["c", "a", "b"])[0].canonical == "c"
    # Ties of longest go to the one added first as well.
    assert choose_canonical(["a", "b", "c"], docs, "longest", order=["c", "b", "a"]) == "c"


def _result():
    det = Detector()
    det.add("orig-7.txt", FULL)
    det.add("copy-52.txt", FULL)
    det.add("half-3.txt", HALF)
    det.add("other.txt", join(MARKET))
    det.add("chess.txt", join(CHESS))
    return det.run()


def test_drop_lists_cluster_copies_and_contained_documents():
    r = _result()
    kinds = {(p.a, p.b): p.kind for p in r.pairs}
    assert kinds[("copy-52.txt", "orig-7.txt")] == "duplicate"
    assert {kinds[("copy-52.txt", "half-3.txt")], kinds[("half-3.txt", "orig-7.txt")]} == {"containment"}
    (cluster,) = r.clusters
    assert cluster.canonical == "orig-7.txt"
    assert r.drop() == ["copy-52.txt", "half-3.txt"]
    assert r.keep() == ["chess.txt", "orig-7.txt", "other.txt"]
    # containment="keep": excerpts and quotes stay.
    assert r.drop(containment="keep") == ["copy-52.txt"]
    assert r.keep(containment="keep") == ["chess.txt", "half-3.txt", "orig-7.txt", "other.txt"]
    assert set(r.keep()) | set(r.drop()) == {d.id for d in r.documents}
    with pytest.raises(ValueError, match="containment policy"):
        r.drop(containment="maybe")  # type: ignore[arg-type]


def test_contained_canonical_is_dropped_only_when_its_container_is_kept():
    docs = tuple(Document(i, t) for i, t in (("big", FULL), ("x", HALF), ("y", HALF)))
    pairs = (
        Pair("big", "x", "containment", 0.5, 0.5, 1.0, 1),
        Pair("big", "y", "containment", 0.5, 0.5, 1.0, 1),
        Pair("x", "y", "duplicate", 1.0, 1.0, 1.0, 1),
    )
    r = ScanResult(docs, (), pairs, (Cluster(("x", "y"), "x"),))
    assert r.drop() == ["x", "y"] and r.keep() == ["big"]
    # Same story pairs never drop anything.
    story = ScanResult(docs[:2], (), (Pair("big", "x", "same_story", 0.9, 0.0, 0.0, 0),), ())
    assert story.drop() == [] and story.keep() == ["big", "x"]


def test_ids_format_prints_one_id_per_line():
    r = _result()
    assert "ids" in FORMATS
    assert format_result(r, "ids") == "copy-52.txt\nhalf-3.txt\n"
    assert to_ids(r, keep=True) == "chess.txt\norig-7.txt\nother.txt\n"
    assert to_ids(r, null=True) == "copy-52.txt\0half-3.txt\0"
    odd = ScanResult(
        (Document("a\nb.txt", FULL, path="/x/a\nb.txt"), Document("c.txt", FULL, path="/x/c.txt")),
        (),
        (),
        (Cluster(("a\nb.txt", "c.txt"), "c.txt"),),
    )
    assert to_ids(odd) == "a\\nb.txt\n"
    assert to_ids(odd, paths=True, null=True) == "/x/a\nb.txt\0"


class CountingTuple(tuple):
    """A tuple that counts how often it is iterated."""

    iterations = 0

    def __iter__(self):
        type(self).iterations += 1
        return super().__iter__()


def test_document_lookup_does_not_scan_the_documents():
    docs = CountingTuple(Document(f"d{i}", f"text {i}") for i in range(1000))
    r = ScanResult(docs, (), (), ())
    CountingTuple.iterations = 0
    for i in range(1000):
        assert r.document(f"d{i}").text == f"text {i}"
    assert CountingTuple.iterations == 0
    with pytest.raises(KeyError):
        r.document("missing")
    # The index is part of the frozen value: replace() rebuilds it, equality ignores it.
    r2 = dataclasses.replace(r, documents=(Document("z", "zz"),))
    assert r2.document("z").text == "zz"
    assert r == ScanResult(tuple(docs), (), (), ())
