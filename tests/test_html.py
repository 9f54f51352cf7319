"""The HTML report: structure, escaping, determinism, and the page in real headless Chromium."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup import Detector
from dedup.cli import cli
from dedup.models import Pair
from dedup.report.formatters import FORMATS, format_result
from dedup.report.html import html_json, to_html

ROOT = Path(__file__).resolve().parent.parent

# Own fixture texts (never seed data). Paragraphs are long enough to fingerprint.
P1 = (
    "The river ferry between Northbank and the old mill quarter will stop running at the end of the month, "
    "the transport office confirmed in a short statement on Tuesday afternoon."
)
P2 = (
    "Around four hundred passengers use the crossing every weekday, most of them pupils and workers from the "
    "bakery district who would otherwise walk twenty minutes to the nearest bridge."
)
P2_EDITED = (
    "Around four hundred passengers use the crossing every weekday, most of them students and workers from the "
    "bakery district who would otherwise walk twenty minutes to the nearest bridge."
)
P3 = (
    "A petition asking the council to keep the ferry has collected more than two thousand signatures, and the "
    "opposition group wants the budget committee to discuss it before the summer break."
)
OTHER = (
    "The botanical garden opens a new glasshouse for desert plants this weekend, with guided tours every "
    "morning and a small exhibition about water saving in dry climates."
)
REPEATED = (
    "Please note that all opening times listed here may change during public holidays and school breaks "
    "without any further notice from the management."
)
INJECTION = '<script>alert(1)</script> & "quotes" <b>bold</b> </script><!--'


def _detector() -> Detector:
    det = Detector()
    det.add("ferry-original.txt", f"Ferry to stop\n\n{P1}\n\n{P2}\n\n{P3}\n")
    det.add("ferry-copy.txt", f"{P1}\n\n{P2_EDITED}\n\n{P3}\n\nShare this article")
    det.add("garden.txt", f"{OTHER}\n\n{REPEATED}\n\nTours start at nine.\n\n{REPEATED}\n")
    return det


@pytest.fixture(scope="module")
def result():
    return _detector().run()


class _DomCollector(HTMLParser):
    """Collects text per document panel, marks and diff elements from the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.panels: list[str] = []
        self.mark_text: dict[tuple[str, str], str] = {}  # (view id, occurrence token) -> text
        self.diff_text: dict[str, list[str]] = {"del": [], "ins": []}
        self.scripts: list[tuple[dict[str, str], str]] = []
        self.current_view = ""
        self._diff_buf: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "section" and "view" in a.get("class", "").split():
            self.current_view = a["id"]
        if tag == "div" and a.get("class") == "doc":
            self.panels.append("")
        if tag in ("del", "ins") and a.get("class") == "wd" and self._in_doc():
            self._diff_buf = []
        if tag == "script":
            self.scripts.append((a, ""))
        self.stack.append((tag, a))

    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break
        if tag in ("del", "ins") and self._diff_buf is not None:
            self.diff_text[tag].append("".join(self._diff_buf))
            self._diff_buf = None

    def _in_doc(self) -> bool:
        return any(t == "div" and a.get("class") == "doc" for t, a in self.stack)

    def handle_data(self, data):
        if self.stack and self.stack[-1][0] == "script":
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
            return
        if self._in_doc():
            self.panels[-1] += data
            if self._diff_buf is not None:
                self._diff_buf.append(data)
            for t, a in self.stack:
                if t == "mark":
                    for token in a.get("data-occ", "").split():
                        key = (self.current_view, token)
                        self.mark_text[key] = self.mark_text.get(key, "") + data


def _collect(page: str) -> _DomCollector:
    c = _DomCollector()
    c.feed(page)
    c.close()
    return c


def test_registered_as_format(result):
    assert "html" in FORMATS
    assert format_result(result, "html") == to_html(result)


def test_document_panels_hold_the_exact_text(result):
    page = to_html(result)
    dom = _collect(page)
    texts = {d.id: d.text for d in result.documents}
    # Views: the copy pair (2 panels) and garden.txt's repeated passage (1 panel).
    assert dom.panels == [texts["ferry-copy.txt"], texts["ferry-original.txt"], texts["garden.txt"]]


def test_marks_cover_exactly_the_passage_spans(result):
    dom = _collect(to_html(result))
    assert len(result.passages) == 2
    seen = 0
    for k, s in enumerate(result.passages):
        vid = "d0" if s.a.doc == s.b.doc else "v0"
        assert dom.mark_text[(vid, f"{k}a")] == result.text(s.a)
        assert dom.mark_text[(vid, f"{k}b")] == result.text(s.b)
        seen += 1
    assert seen == 2
    inside = next(s for s in result.passages if s.a.doc == s.b.doc)
    assert result.text(inside.a) == REPEATED and inside.kind == "exact"


def test_near_passage_shows_changed_words(result):
    page = to_html(result)
    dom = _collect(page)
    # a = ferry-copy.txt (sort order), b = ferry-original.txt
    assert dom.diff_text == {"del": ["students"], "ins": ["pupils"]}
    assert page.count('<mark class="psg near"') >= 1
    assert '<mark class="psg exact"' in page  # the repeated block in garden.txt


def test_pair_table_and_sections(result):
    page = to_html(result)
    assert [p.kind for p in result.pairs] == ["near_duplicate"]
    assert '<section id="copies">' in page and "near duplicate" in page
    assert "Same story" not in page  # no such pairs here
    assert '<section id="inside">' in page  # within-document repeat shown
    assert 'href="#v0"' in page


def test_same_story_and_unknown_kinds_listed_apart(result):
    extra = (
        Pair("garden.txt", "zz-other.txt", "same_story", 0.41, 0.1, 0.1, 0),
        Pair("ferry-original.txt", "garden.txt", "future_kind", 0.2, 0.0, 0.0, 0),  # type: ignore[arg-type]
    )
    docs = (*result.documents, dataclasses.replace(result.documents[0], id="zz-other.txt", text="Other text."))
    r = dataclasses.replace(result, pairs=tuple(sorted((*result.pairs, *extra))), documents=docs)
    page = to_html(r)
    copies = page[page.index('<section id="copies">') : page.index('<section id="clusters">')]
    stories = page[page.index('<section id="stories">') :]
    stories = stories[: stories.index("</section>")]
    assert "Same story (rewritten, not copies)" in stories
    assert "zz-other.txt" in stories and "future kind" in stories
    assert "zz-other.txt" not in copies and "same story" not in copies
    assert "ferry-copy.txt" in copies
    assert '<section id="story-views">' in page


def test_embedded_json_is_the_contract(result):
    dom = _collect(to_html(result))
    data = [text for attrs, text in dom.scripts if attrs.get("id") == "dedup-data"]
    assert len(data) == 1
    assert json.loads(data[0]) == result.to_dict()


def test_histogram_bars(result):
    page = to_html(result)
    svgs = re.findall(r"<svg class=\"hist\".*?</svg>", page)
    assert len(svgs) == 2
    pair_bars = re.findall(r"<rect [^>]*><title>([^<]*)</title>", svgs[0])
    sim = result.pairs[0].similarity
    lo = int(sim * 10) / 10
    assert pair_bars == [f"near_duplicate: 1 with similarity {lo:.1f}-{lo + 0.1:.1f}"]
    passage_bars = re.findall(r"<rect [^>]*><title>([^<]*)</title>", svgs[1])
    assert sum(int(t.split(": ")[1].split()[0]) for t in passage_bars) == len(result.passages)


def test_deterministic_and_no_timestamp(result):
    a = to_html(result)
    b = to_html(_detector().run())
    assert a == b
    assert not re.search(r"\b20\d\d-\d\d-\d\d", a)
    assert "generated 2030-01-01" in to_html(result, generated="2030-01-01")


def test_self_contained_no_network(result):
    page = to_html(result)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page


def test_html_json_cannot_close_the_script():
    nasty = {"id": "</script><script>alert(1)</script>", "x": "<!-- \u2028 \u2029 & >"}
    text = html_json(nasty)
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == nasty


def test_injection_is_shown_as_text(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    evil_name = 'a<b"&c.txt'
    (folder / evil_name).write_text(f"{INJECTION}\n\n{P1}\n\n{P2}\n", encoding="utf-8")
    (folder / "plain.txt").write_text(f"{P1}\n\n{P2}\n\n{INJECTION}\n", encoding="utf-8")
    out = tmp_path / "report.html"
    res = CliRunner().invoke(cli, ["scan", str(folder), "--format", "html", "--output", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    # Only the report's own two script elements exist; the document's tags are text.
    assert page.count("<script") == 2
    assert page.count("</script") == 2
    assert "<script>alert(1)" not in page
    assert "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a&lt;b&quot;&amp;c.txt" in page
    assert 'a<b"&c' not in page
    # Attribute values are escaped too: no raw quote from the id ends an attribute.
    assert 'data-a="a&lt;b&quot;&amp;c.txt"' in page
    dom = _collect(page)
    assert any(INJECTION in panel for panel in dom.panels)
    data = next(text for attrs, text in dom.scripts if attrs.get("id") == "dedup-data")
    assert evil_name in [d["id"] for d in json.loads(data)["documents"]]


def test_overlapping_passages_render(result):
    # One paragraph of A matches two places in B: passages overlap on A's side.
    det = Detector()
    det.add("a.txt", f"{P1}\n\n{OTHER}")
    det.add("b.txt", f"{P1}\n\n{P3}\n\n{P1}")
    r = det.run()
    between = [s for s in r.passages if s.a.doc != s.b.doc]
    assert len(between) == 2
    dom = _collect(to_html(r))
    assert dom.panels[:2] == [r.document("a.txt").text, r.document("b.txt").text]
    for k, s in enumerate(r.passages):
        if s.a.doc != s.b.doc:
            assert dom.mark_text[("v0", f"{k}a")] == P1
            assert dom.mark_text[("v0", f"{k}b")] == P1


# --- real headless Chromium --------------------------------------------------------------


def _load_screenshot_module():
    spec = importlib.util.spec_from_file_location("make_screenshot", ROOT / "examples" / "make_screenshot.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def shot():
    return _load_screenshot_module()


@pytest.fixture(scope="module")
def chromium(shot):
    found = shot.find_chromium()
    if found is None or (not shutil.which(found) and not Path(found).exists()):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI (.ci/run installs the Debian package 'chromium')")
        pytest.skip("chromium not installed (Debian: apt-get install chromium); CI=true makes this a failure")
    return found


def test_dom_after_scripts_in_chromium(chromium, shot, result, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(to_html(result), encoding="utf-8")
    dom = shot.dump_dom(chromium, page)
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'class="js"' in body and 'data-ready="1"' in body  # the script ran to its end
    marks = re.findall(r"<mark [^>]*>", dom)
    assert len(marks) >= 4
    assert all('role="link"' in m and 'tabindex="0"' in m for m in marks)  # set by the script
    titles = set(re.findall(r'title="(near|exact) passage, similarity (\d\.\d\d)', dom))
    assert titles == {(s.kind, f"{s.similarity:.2f}") for s in result.passages}
    assert re.search(r'<del class="wd"[^>]*>students</del>', dom)
    assert re.search(r'<ins class="wd"[^>]*>pupils</ins>', dom)
    assert "ferry-copy.txt" in dom and "ferry-original.txt" in dom
    assert dom.count('<section class="view"') == 2


def test_injection_inert_in_chromium(chromium, shot, tmp_path):
    det = Detector()
    det.add('x<img src=x onerror="document.title=1">.txt', f"{INJECTION}\n\n{P1}\n\n{P2}")
    det.add("y.txt", f"{P1}\n\n{P2}\n\n<img src=x onerror=alert(2)>")
    page = tmp_path / "evil.html"
    page.write_text(to_html(det.run()), encoding="utf-8")
    dom = shot.dump_dom(chromium, page)
    assert "<img" not in dom
    assert dom.count("<script") == 2
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert 'data-ready="1"' in dom


def test_example_report_screenshot(chromium, shot, tmp_path):
    png = tmp_path / "report.png"
    shot.make_screenshot(png, chromium=chromium, html=tmp_path / "report.html")
    assert shot.png_size(png) == shot.WINDOW
    size = png.stat().st_size
    assert 20_000 < size < 300_000
    pixels = shot.read_png(png)
    # Not a blank page: the highlight colours of near passages are present.
    colours = {tuple(int(v) for v in px) for px in pixels[::8, ::8].reshape(-1, 3)}
    assert len(colours) > 20
    assert (255, 241, 194) in colours  # --near background
    dom = shot.dump_dom(chromium, tmp_path / "report.html")
    assert "coastal-courier-bridge.txt" in dom and "harbor-bridge.md" in dom
    if _update_screenshot():
        shutil.copyfile(png, shot.DEFAULT_OUTPUT)
        assert shot.png_size(shot.DEFAULT_OUTPUT) == shot.WINDOW


def _update_screenshot() -> bool:
    """examples/report.png is rewritten with DEDUP_UPDATE_SCREENSHOT=1, and in CI unless it is 0."""
    flag = os.environ.get("DEDUP_UPDATE_SCREENSHOT")
    if flag is not None:
        return flag == "1"
    return os.environ.get("CI") == "true"


def test_screenshot_is_regenerated_in_ci(monkeypatch):
    monkeypatch.delenv("DEDUP_UPDATE_SCREENSHOT", raising=False)
    monkeypatch.setenv("CI", "true")
    assert _update_screenshot()
    monkeypatch.setenv("DEDUP_UPDATE_SCREENSHOT", "0")
    assert not _update_screenshot()
    monkeypatch.delenv("DEDUP_UPDATE_SCREENSHOT")
    monkeypatch.delenv("CI")
    assert not _update_screenshot()


def test_view_cap_keeps_tables_complete(result):
    page = to_html(result, max_views=0)
    assert '<section class="view"' not in page
    assert "2 more side-by-side views are not shown" in page
    assert "ferry-copy.txt" in page[page.index('<section id="copies">') :]  # the table still lists the pair
    assert 'href="#v0"' not in page
    assert to_html(result, max_views=1) == to_html(result)  # one pair view and one document view fit


def test_link_to_a_passage_highlights_both_sides_in_chromium(chromium, shot, result, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(to_html(result), encoding="utf-8")
    k = next(i for i, s in enumerate(result.passages) if s.a.doc != s.b.doc)
    dom = shot.dump_dom(chromium, page, fragment=f"v0-{k}a")
    assert re.search(rf'<body[^>]*data-jump="v0-{k}a"', dom)
    current = re.findall(r'<mark class="psg (?:near|exact) current" data-occ="([^"]*)"', dom)
    assert current, "the linked passage is not highlighted"
    assert {tok for occ in current for tok in occ.split()} == {f"{k}a", f"{k}b"}  # both sides, nothing else
    unrelated = re.findall(r'<mark class="psg exact" data-occ="([^"]*)"', dom)
    assert unrelated  # the passage inside garden.txt stays unmarked


def test_sorting_tables_in_chromium(chromium, shot, tmp_path):
    # Copies with one edited word in one, two or three paragraphs: pairs of different similarities.
    det = Detector()
    det.add("original.txt", "\n\n".join([P1, P2, P3]))
    for n in (1, 2, 3):
        paras = [p.replace(" the ", " a ", 1) if i < n else p for i, p in enumerate([P1, P2, P3])]
        det.add(f"copy-{n}.txt", "\n\n".join(paras))
    r = det.run()
    assert len({round(p.similarity, 4) for p in r.pairs}) >= 3
    page = tmp_path / "report.html"
    page.write_text(to_html(r), encoding="utf-8")

    def order(dom: str) -> list[float]:
        table = dom[dom.index('<table class="sortable copies">') :]
        table = table[: table.index("</table>")]
        return [float(v) for v in re.findall(r'<td class="num" data-v="([0-9.]+)">[0-9.]+</td><td class="num"', table)]

    unsorted = [round(p.similarity, 4) for p in r.pairs]  # the page lists pairs in result order
    desc_dom = shot.dump_dom(chromium, page, fragment="sort=copies:1:desc")
    desc = order(desc_dom)
    asc = order(shot.dump_dom(chromium, page, fragment="sort=copies:1:asc"))
    assert len(desc) == len(r.pairs) >= 3
    assert desc == sorted(unsorted, reverse=True) and asc == sorted(unsorted)
    assert desc != unsorted and asc != unsorted  # the script really reordered the rows
    assert 'aria-sort="descending"' in desc_dom
