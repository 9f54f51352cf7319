"""Readers for JSON Lines exports, RSS 2.0 / Atom feeds and HTML pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dedup.check import Index, check
from dedup.detector import Detector
from dedup.io.feeds import html_fragment_text
from dedup.io.readers import read_paths
from dedup.io.sources import ReaderOptions

from .ci_articles import article, write

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

A1, A2, A3 = article(301), article(302), article(303)


def paras(text):
    return [p for p in text.split("\n\n") if p.strip()]


def html_paras(text):
    return "".join(f"<p>{p.strip()}</p>\n" for p in paras(text))


def test_jsonl_fields_ids_metadata_and_bad_lines(tmp_path):
    lines = [
        json.dumps({"id": "post-1", "body": {"text": A1}, "headline": "One", "published": "2024-03-01"}),
        "",
        "{not json",
        json.dumps({"body": {"text": A2}}),
        json.dumps({"id": 17, "body": {"text": "   "}}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": 18, "body": {"text": A3}}),
    ]
    path = write(str(tmp_path), "export.jsonl", "\n".join(lines) + "\n")
    options = ReaderOptions(text_field="body.text", id_field="id", title_field="headline", date_field="published")
    out = read_paths([path], options=options)
    docs = {d.id: d for d in out.documents}
    assert sorted(docs) == ["18", "export.jsonl#4", "post-1"]
    assert docs["post-1"].text == A1
    assert docs["post-1"].date == "2024-03-01"
    assert docs["post-1"].meta == {"source": "export.jsonl", "line": 1, "title": "One"}
    assert docs["18"].meta["line"] == 7
    errors = {e.path: e.message for e in out.errors}
    assert set(errors) == {"export.jsonl#3", "export.jsonl#5", "export.jsonl#6"}
    assert "not valid JSON" in errors["export.jsonl#3"]
    assert "no text" in errors["export.jsonl#5"]


def test_jsonl_via_cli_flags_finds_duplicate_records(tmp_path):
    rows = [{"uid": "a", "content": A1}, {"uid": "b", "content": A2}, {"uid": "c", "content": A1}]
    path = write(str(tmp_path), "feed.ndjson", "".join(json.dumps(r) + "\n" for r in rows))
    env = dict(os.environ, PYTHONPATH=REPO)
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "dedup",
            "scan",
            path,
            "--text-field",
            "content",
            "--id-field",
            "uid",
            "--no-story",  # word-salad fixtures share one small vocabulary
            "--format",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    pairs = [(p["a"], p["b"], p["kind"]) for p in json.loads(r.stdout)["pairs"]]
    assert pairs == [("a", "c", "duplicate")]


RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Coastal Notes</title>
  <link>https://example.org/</link>
  <description>Local news</description>
  <item>
    <title>Ferry timetable</title>
    <link>https://example.org/ferry</link>
    <guid isPermaLink="false">coastal-notes-101</guid>
    <pubDate>Mon, 04 Mar 2024 09:30:00 GMT</pubDate>
    <description>Short teaser only.</description>
    <content:encoded><![CDATA[{body1}]]></content:encoded>
  </item>
  <item>
    <title>Library hours</title>
    <link>https://example.org/library</link>
    <description><![CDATA[{body2}]]></description>
  </item>
</channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Valley Herald</title>
  <id>urn:uuid:valley-herald</id>
  <updated>2024-03-05T10:00:00Z</updated>
  <entry>
    <title>Ferry timetable (reprint)</title>
    <id>tag:valley-herald.example,2024:reprint-7</id>
    <link href="https://valley.example/reprint-7"/>
    <updated>2024-03-05T10:00:00Z</updated>
    <content type="html">{body1}</content>
  </entry>
  <entry>
    <title>Orchard harvest</title>
    <id>tag:valley-herald.example,2024:orchard-8</id>
    <updated>2024-03-06T10:00:00Z</updated>
    <summary>{body3}</summary>
  </entry>
</feed>
"""


def _escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.fixture
def feeds(tmp_path):
    pytest.importorskip("feedparser", reason="feedparser (the feeds extra) is not installed")
    rss = write(str(tmp_path), "coastal.rss", RSS.format(body1=html_paras(A1), body2=html_paras(A2)))
    atom = write(
        str(tmp_path), "valley.atom", ATOM.format(body1=_escape(html_paras(A1)), body3=_escape(html_paras(A3)))
    )
    return rss, atom


def test_rss_and_atom_entries_become_documents(feeds):
    rss, atom = feeds
    out = read_paths([rss, atom])
    assert out.errors == ()
    docs = {d.id: d for d in out.documents}
    assert sorted(docs) == [
        "coastal-notes-101",
        "https://example.org/library",
        "tag:valley-herald.example,2024:orchard-8",
        "tag:valley-herald.example,2024:reprint-7",
    ]
    ferry = docs["coastal-notes-101"]
    # Full content wins over the teaser; paragraphs are kept, separated by blank lines.
    assert paras(ferry.text) == [" ".join(p.split()) for p in paras(A1)]
    assert ferry.meta["title"] == "Ferry timetable"
    assert ferry.meta["link"] == "https://example.org/ferry"
    assert ferry.date == "2024-03-04T09:30:00Z"
    assert paras(docs["tag:valley-herald.example,2024:orchard-8"].text) == [" ".join(p.split()) for p in paras(A3)]
    det = Detector(story=False)  # word-salad fixtures share one small vocabulary
    det.add_paths([rss, atom])
    pairs = [(p.a, p.b, p.kind) for p in det.run().pairs]
    assert pairs == [("coastal-notes-101", "tag:valley-herald.example,2024:reprint-7", "duplicate")]


def test_feed_checked_against_index_of_another_feed(feeds, tmp_path):
    rss, atom = feeds
    with Index.open(str(tmp_path / "idx.db")) as idx:
        idx.add(read_paths([rss]).documents)
        res = check(read_paths([atom]).documents, idx)
    assert [(f.a, f.b, f.kind) for f in res.findings] == [
        ("coastal-notes-101", "tag:valley-herald.example,2024:reprint-7", "duplicate")
    ]


def test_broken_feed_is_an_input_error(tmp_path):
    pytest.importorskip("feedparser", reason="feedparser (the feeds extra) is not installed")
    path = write(str(tmp_path), "broken.xml", "<rss><channel><title>x</title></channel>")
    out = read_paths([path])
    assert out.documents == () and len(out.errors) == 1 and "no feed entries" in out.errors[0].message


def test_html_fragment_text_keeps_blocks_and_drops_scripts():
    html = "<div><h2>Title</h2><p>First <b>bold</b> part.</p><script>var x=1;</script><ul><li>One</li><li>Two</li></ul>"
    assert html_fragment_text(html) == "Title\n\nFirst bold part.\n\nOne\n\nTwo"


PAGE = """<!DOCTYPE html>
<html><head><title>{title}</title><meta name="date" content="2024-02-0{day}"></head>
<body>
<header><nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/about">About the Coastal Gazette</a></nav>
<div class="banner">Subscribe to the Coastal Gazette newsletter for the week's harbour,
council and weather news every Friday morning.</div>
<div class="banner">We use cookies to remember your reading preferences
and to count visitors to the site each month.</div>
</header>
<main><article>
<h1>{title}</h1>
{body}
</article></main>
<aside><h3>Most read</h3><ul><li>Harbour council approves the new ferry budget for the spring season again</li>
<li>Volunteers repaint the old lighthouse pavilion before the summer festival weekend crowds</li></ul></aside>
<footer><p>Copyright 2024 The Coastal Gazette. All rights reserved.
Contact the newsroom with corrections and tips any day.</p>
<p>Privacy policy, terms of use and the accessibility statement
of the Coastal Gazette website and newsletter.</p></footer>
</body></html>
"""


@pytest.fixture
def pages(tmp_path):
    pytest.importorskip("trafilatura", reason="trafilatura (the html extra) is not installed")
    folder = tmp_path / "site"
    write(str(folder), "one.html", PAGE.format(title="Ferry news", day=1, body=html_paras(A1)))
    write(str(folder), "two.html", PAGE.format(title="Library news", day=2, body=html_paras(A2)))
    write(str(folder), "three.htm", PAGE.format(title="Orchard news", day=3, body=html_paras(A3)))
    return folder


def test_html_main_text_excludes_page_boilerplate(pages):
    out = read_paths([str(pages)], extensions=(".html", ".htm"))
    assert out.errors == ()
    docs = {d.id: d for d in out.documents}
    assert sorted(docs) == ["one.html", "three.htm", "two.html"]
    one = docs["one.html"].text
    for p in paras(A1):
        assert " ".join(p.split()) in one
    for boiler in ("Subscribe", "cookies", "Copyright", "Privacy policy", "Most read", "repaint the old lighthouse"):
        assert boiler not in one
    assert docs["one.html"].meta["title"] == "Ferry news"
    # Pages sharing only their template are not copies (the word-salad fixtures share one
    # small vocabulary, so the same-story tier is off).
    det = Detector(story=False)
    det.add_paths([str(pages)], extensions=(".html", ".htm"))
    result = det.run()
    assert result.pairs == () and result.passages == ()


def test_same_article_in_two_templates_is_a_duplicate(pages, tmp_path):
    other = write(
        str(tmp_path / "mirror"),
        "copy.html",
        "<html><head><title>Mirror</title></head><body>"
        "<div id='menu'>Menu: Sport, Weather, Arts, Letters to the editor page</div>"
        f"<article>{html_paras(A1)}</article>"
        "<footer>Mirror Media Group, all rights reserved worldwide</footer></body></html>",
    )
    det = Detector(story=False)
    det.add_paths([str(pages / "one.html"), str(pages / "two.html"), other])
    result = det.run()
    # The headline differs (it is part of one.html's article), the body is the same.
    assert [(p.a, p.b, p.kind) for p in result.pairs] == [("mirror/copy.html", "site/one.html", "near_duplicate")]
    assert result.pairs[0].a_in_b == 1.0
    assert "Mirror Media Group" not in result.document("mirror/copy.html").text


def test_missing_extra_is_a_clear_error(tmp_path, monkeypatch):
    from dedup.errors import MissingDependencyError

    feed = write(str(tmp_path), "x.rss", RSS.format(body1="<p>a b c d</p>", body2="<p>e f g h</p>"))
    page = write(str(tmp_path), "x.html", PAGE.format(title="T", day=1, body="<p>a b c d</p>"))
    monkeypatch.setitem(sys.modules, "feedparser", None)
    monkeypatch.setitem(sys.modules, "trafilatura", None)
    with pytest.raises(MissingDependencyError, match=r"dedup\[feeds\]"):
        read_paths([feed])
    with pytest.raises(MissingDependencyError, match=r"dedup\[html\]"):
        read_paths([page])
