"""The HTML report shows why a same-story pair is one story (issue 15): reason, terms as written, passages."""

from __future__ import annotations

import dataclasses
import re

from dedup import Detector
from dedup.report.html import to_html

_BODY_A = (
    "Mayor Ellery Quint cut the ribbon as residents of Tarnwick crossed the Quillan river on foot. "
    "Engineers from Havermoor designed the span, which links Tarnwick with the Zorvath market."
)
_BODY_B = (
    "Residents of TARNWICK walked across the Quillan river while Mayor Ellery Quint watched. "
    "The span, designed by Havermoor engineers, joins the Zorvath market to Tarnwick."
)
OPENING = "Brackenfold bridge opens to the public. Crowds gather for the ceremony.\n\n" + _BODY_A
REWRITE = "Crowds celebrate as the Brackenfold bridge opens. The public ceremony drew families.\n\n" + _BODY_B


def _result():
    det = Detector()
    det.add("opening.txt", OPENING)
    det.add("rewrite.txt", REWRITE)
    return det.run()


def _section(page: str, sid: str) -> str:
    part = page[page.index(f'<section id="{sid}">') :]
    return part[: part.index("</section>\n") if "</section>\n" in part else len(part)]


def test_story_view_shows_reason_terms_as_written_and_measures() -> None:
    res = _result()
    (pair,) = [p for p in res.pairs if p.kind == "same_story"]
    ev = pair.evidence
    page = to_html(res)
    views = page[page.index('<section id="story-views">') :]
    block = views[views.index('<div class="evidence">') :]
    block = block[: block.index("</div>")]
    assert ev["reason"] in block
    assert f"leads {ev['lead']:.2f}" in block and f"specific overlap {ev['specific']:.2f}" in block
    # Each shared specific term as written in A and in B, with both offsets.
    items = re.findall(r'<li class="sterm[^"]*" title="([^"]*)">([^<]*)</li>', block)
    assert items, block
    by_text = {text: title for title, text in items}
    tarnwick = next(t for t in ev["terms"] if t["term"] == "tarnwick")
    assert tarnwick["a"]["text"] == "Tarnwick" and tarnwick["b"]["text"] == "TARNWICK"
    assert "Tarnwick / TARNWICK" in by_text
    title = by_text["Tarnwick / TARNWICK"]
    a, b = tarnwick["a"], tarnwick["b"]
    assert title == f"A [{a['start']}:{a['end']}] · B [{b['start']}:{b['end']}]"
    assert OPENING[tarnwick["a"]["start"] : tarnwick["a"]["end"]] == "Tarnwick"
    assert REWRITE[tarnwick["b"]["start"] : tarnwick["b"]["end"]] == "TARNWICK"
    # The same-story table gives every pair its reason.
    stories = _section(page, "stories")
    assert '<th data-type="text">why</th>' in stories and f'<td class="why">{ev["reason"]}</td>' in stories


def test_supporting_passages_listed_with_offsets() -> None:
    res = _result()
    (pair,) = [p for p in res.pairs if p.kind == "same_story"]
    ev = dict(pair.evidence)
    ev["passages"] = [{"kind": "near", "similarity": 0.61, "a": [10, 50], "b": [12, 55]}]
    p2 = dataclasses.replace(pair, evidence=ev)
    page = to_html(dataclasses.replace(res, pairs=(p2,)))
    assert "Supporting passages:" in page and "near 0.61 · A [10:50] ↔ B [12:55]" in page
    ev["passages"] = []
    page = to_html(dataclasses.replace(res, pairs=(dataclasses.replace(pair, evidence=ev),)))
    assert "No supporting passage" in page


def test_evidence_text_is_escaped_and_capped_views_keep_the_reason() -> None:
    res = _result()
    (pair,) = [p for p in res.pairs if p.kind == "same_story"]
    ev = dict(pair.evidence, reason='shares <script>alert("x")</script>')
    p2 = dataclasses.replace(pair, evidence=ev)
    r2 = dataclasses.replace(res, pairs=(p2,))
    page = to_html(r2)
    assert "<script>alert" not in page.split('<script type="application/json"')[0]
    assert "shares &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    # With no side-by-side views, the table still carries every pair's reason, and no evidence block.
    capped = to_html(r2, max_views=0)
    assert '<div class="evidence">' not in capped
    assert "shares &lt;script&gt;" in _section(capped, "stories")


def test_copy_pairs_have_no_evidence_block() -> None:
    det = Detector()
    det.add("a.txt", OPENING)
    det.add("b.txt", OPENING)
    page = to_html(det.run())
    assert '<div class="evidence">' not in page and '<td class="why">' not in page
