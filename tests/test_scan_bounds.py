"""Bounds of the candidate and matching stages are stated in the output (issue 18)."""

from __future__ import annotations

from dedup.detector import Detector
from dedup.lsh import MAX_BUCKET
from dedup.match import MAX_NEAR_LINKS

WORDS = [
    "council",
    "members",
    "met",
    "on",
    "tuesday",
    "evening",
    "to",
    "debate",
    "the",
    "proposed",
    "budget",
    "for",
    "the",
    "coming",
    "year",
    "and",
    "heard",
    "from",
    "residents",
    "who",
    "spoke",
    "about",
    "road",
    "repairs",
    "school",
    "funding",
    "and",
    "the",
    "new",
    "library",
]


def _variants(n: int) -> list[str]:
    """``n`` distinct near-identical paragraphs: the template with one word changed in each."""
    out = []
    for i in range(n):
        words = list(WORDS)
        words[i % len(words)] = f"variant{i}"
        out.append(" ".join(words) + ".")
    return out


def test_a_template_in_many_documents_states_the_bucket_and_near_link_bounds():
    det = Detector(story=False, align=False, boilerplate=False)
    texts = _variants(MAX_BUCKET + 16)
    for i, t in enumerate(texts):
        det.add(f"d{i:03d}", t + "\n\nA closing line written only for document number " + str(i) + ".")
    result = det.run()
    kinds = [s.split(":")[0] for s in result.limits]
    assert "candidates" in kinds, result.limits
    assert "paragraph matches" in kinds, result.limits
    near = next(s for s in result.limits if s.startswith("paragraph matches"))
    assert f"more than {MAX_NEAR_LINKS} similar texts" in near
    assert result.to_dict()["limits"] == list(result.limits)
    # The template's documents are still all linked to one another through shared passages.
    linked = {p.a.doc for p in result.passages} | {p.b.doc for p in result.passages}
    assert linked == {f"d{i:03d}" for i in range(len(texts))}


def test_a_few_related_documents_state_no_bound():
    det = Detector(story=False)
    for i, t in enumerate(_variants(5)):
        det.add(f"d{i}", t)
    result = det.run()
    assert result.limits == ()
    assert len(result.passages) == 10  # every pair of the five variants
