"""A self-contained HTML report of a :class:`~dedup.models.ScanResult`.

One file, no network: CSS and JavaScript are inline, fonts are the system's.
It shows

* a summary (documents, pairs by kind, passages, clusters) with histograms of
  pair and passage similarities drawn as inline SVG;
* sortable tables of pairs (copies apart from same-story pairs) and a list of
  clusters;
* for every two documents that are paired or share a passage, both documents
  side by side with the shared passages highlighted (exact and near passages
  styled differently) and linked: clicking a passage on one side scrolls the
  other side to its partner. Inside near passages the words that differ are
  marked (deleted on the left, inserted on the right);
* passages repeated inside one document.

Every document text, id and path is HTML-escaped, also inside attributes; the
result JSON embedded for the script is escaped so it cannot close its
``<script>`` element. The output is deterministic: it holds no timestamp
unless one is passed in.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..models import Pair, ScanResult
from .diff import passage_diff

__all__ = ["COPY_KINDS", "html_json", "to_html"]

#: Pair kinds that mean "one text is a copy of the other"; other kinds (such
#: as ``same_story``) are reported in a section of their own.
COPY_KINDS = ("duplicate", "near_duplicate", "containment")

_KIND_LABELS = {
    "duplicate": "duplicate",
    "near_duplicate": "near duplicate",
    "containment": "containment",
    "same_story": "same story",
}


def _e(value: object) -> str:
    """Escape text for HTML element content and quoted attribute values."""
    return html.escape(str(value), quote=True)


def html_json(data: Any) -> str:
    """JSON that is safe inside an HTML ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as ``\\u`` escapes (so ``</script>`` or
    ``<!--`` in a document id cannot end the element), as are the line and
    paragraph separators U+2028 and U+2029. The text parses back to ``data``.
    """
    text = json.dumps(data, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _kind_label(kind: str) -> str:
    return _KIND_LABELS.get(kind, kind.replace("_", " "))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


@dataclass
class _Occ:
    """One side of a passage inside a rendered document."""

    k: int
    side: str
    start: int
    end: int
    kind: str
    changed: list[tuple[int, int]] = field(default_factory=list)

    @property
    def token(self) -> str:
        return f"{self.k}{self.side}"


@dataclass
class _View:
    vid: str
    docs: tuple[str, ...]
    passages: list[int]
    pair: Pair | None = None
    rendered: bool = True

    def link(self) -> str:
        return f'<a href="#{self.vid}">view</a>' if self.rendered else '<span class="muted">-</span>'


def _occurrences(result: ScanResult, indexes: Sequence[int]) -> dict[str, list[_Occ]]:
    """Occurrences of the passages per document, with changed word ranges."""
    by_doc: dict[str, list[_Occ]] = defaultdict(list)
    for k in indexes:
        s = result.passages[k]
        occ_a = _Occ(k, "a", s.a.start, s.a.end, s.kind)
        occ_b = _Occ(k, "b", s.b.start, s.b.end, s.kind)
        if s.kind != "exact":
            d = passage_diff(result, s)
            occ_a.changed = [(s.a.start + p.start, s.a.start + p.end) for p in d.a if p.changed]
            occ_b.changed = [(s.b.start + p.start, s.b.start + p.end) for p in d.b if p.changed]
        by_doc[s.a.doc].append(occ_a)
        by_doc[s.b.doc].append(occ_b)
    return by_doc


def _render_text(text: str, occs: Sequence[_Occ], vid: str, labels: dict[str, str]) -> str:
    """The escaped text with passages as ``<mark>`` and changed words as ``<del>``/``<ins>``.

    ``labels`` maps an occurrence token (``"3a"``) to the badge shown where it starts.
    """
    cuts = {0, len(text)}
    for o in occs:
        cuts.update((o.start, o.end))
        for s, e in o.changed:
            cuts.update((s, e))
    bounds = sorted(c for c in cuts if 0 <= c <= len(text))
    where = {b: i for i, b in enumerate(bounds)}
    starts: dict[int, list[_Occ]] = defaultdict(list)
    for o in sorted(occs, key=lambda o: (o.start, o.k, o.side)):
        starts[o.start].append(o)
    # One sweep over the bounds: the occurrences open at each piece are kept
    # in a dict (in the order of ``occs``), and the side whose changed words
    # cover a piece is looked up, not searched (linear in the marks).
    rank = {id(o): n for n, o in enumerate(occs)}
    opening: dict[int, list[_Occ]] = defaultdict(list)
    closing: dict[int, list[_Occ]] = defaultdict(list)
    changed_at: dict[int, tuple[int, str]] = {}
    for o in occs:
        if o.start < o.end:
            opening[o.start].append(o)
            closing[o.end].append(o)
        for s, e in o.changed:
            if s not in where:
                continue
            i = where[s]
            while i < len(bounds) - 1 and bounds[i] < e:
                old = changed_at.get(bounds[i])
                if old is None or rank[id(o)] < old[0]:
                    changed_at[bounds[i]] = (rank[id(o)], o.side)
                i += 1
    active: dict[int, _Occ] = {}
    out: list[str] = []
    open_key: tuple[str, ...] | None = None
    for x, y in zip(bounds, bounds[1:]):
        for o in closing.get(x, ()):
            active.pop(rank[id(o)], None)
        for o in opening.get(x, ()):
            active[rank[id(o)]] = o
        for o in starts.get(x, ()):
            if open_key is not None:
                out.append("</mark>")
                open_key = None
            label = labels.get(o.token, "")
            out.append(f'<span class="anchor" id="{vid}-{o.token}" data-n="{_e(label)}"></span>')
        covering = [active[r] for r in sorted(active)] if active else []
        key = tuple(o.token for o in covering)
        if key != open_key:
            if open_key is not None:
                out.append("</mark>")
            open_key = None
            if covering:
                kind = "exact" if all(o.kind == "exact" for o in covering) else "near"
                first = covering[0]
                partner = f"{vid}-{first.k}{'b' if first.side == 'a' else 'a'}"
                out.append(
                    f'<mark class="psg {kind}" data-occ="{" ".join(key)}" data-k="{first.k}" data-go="{partner}">'
                )
                open_key = key
        piece = _e(text[x:y])
        hit = changed_at.get(x)
        changed_side = hit[1] if hit is not None and covering else None
        if changed_side == "a":
            piece = f'<del class="wd" title="not in the other text">{piece}</del>'
        elif changed_side == "b":
            piece = f'<ins class="wd" title="not in the other text">{piece}</ins>'
        out.append(piece)
    if open_key is not None:
        out.append("</mark>")
    return "".join(out)


def _histogram(values: Sequence[tuple[float, str]], series: Sequence[tuple[str, str]], title: str) -> str:
    """An inline SVG histogram of similarities in ten bins, stacked by series."""
    bins = 10
    counts = [dict.fromkeys((s for s, _ in series), 0) for _ in range(bins)]
    for v, s in values:
        b = min(bins - 1, max(0, int(v * bins + 1e-9)))
        counts[b][s] = counts[b].get(s, 0) + 1
    peak = max([sum(c.values()) for c in counts] + [1])
    w, h, left, bottom, top = 250, 112, 26, 20, 10
    plot_h = h - bottom - top
    bw = (w - left - 14) / bins
    parts = [
        f'<svg class="hist" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{_e(title)}">',
        f"<title>{_e(title)}</title>",
        f'<line x1="{left}" y1="{h - bottom}" x2="{w - 4}" y2="{h - bottom}" class="axis"/>',
        f'<text x="{left - 4}" y="{top + 4}" class="lbl" text-anchor="end">{peak}</text>',
        f'<text x="{left - 4}" y="{h - bottom}" class="lbl" text-anchor="end">0</text>',
    ]
    for i in range(bins + 1):
        if i % 2 == 0:
            x = left + i * bw
            parts.append(f'<text x="{x:.1f}" y="{h - 6}" class="lbl" text-anchor="middle">{i / bins:.1f}</text>')
    for i, c in enumerate(counts):
        y = h - bottom
        for name, color in series:
            n = c.get(name, 0)
            if not n:
                continue
            bh = plot_h * n / peak
            y -= bh
            lo, hi = i / bins, (i + 1) / bins
            parts.append(
                f'<rect x="{left + i * bw + 1:.1f}" y="{y:.1f}" width="{bw - 2:.1f}" height="{bh:.1f}" '
                f'fill="{color}"><title>{_e(name)}: {n} with similarity {lo:.1f}-{hi:.1f}</title></rect>'
            )
    parts.append("</svg>")
    legend = " ".join(
        f'<span class="key"><i style="background:{color}"></i>{_e(_kind_label(name))}</span>' for name, color in series
    )
    return f'<figure><figcaption>{_e(title)}</figcaption>{"".join(parts)}<div class="legend">{legend}</div></figure>'


_KIND_COLORS = {
    "duplicate": "#b91c1c",
    "near_duplicate": "#ea580c",
    "containment": "#ca8a04",
    "same_story": "#2563eb",
}
_EXTRA_COLORS = ("#7c3aed", "#0d9488", "#64748b")


def _kind_series(kinds: Sequence[str]) -> list[tuple[str, str]]:
    ordered = [k for k in _KIND_COLORS if k in kinds] + sorted(k for k in set(kinds) if k not in _KIND_COLORS)
    out = []
    extra = 0
    for k in ordered:
        color = _KIND_COLORS.get(k)
        if color is None:
            color = _EXTRA_COLORS[extra % len(_EXTRA_COLORS)]
            extra += 1
        out.append((k, color))
    return out or [("near_duplicate", _KIND_COLORS["near_duplicate"])]


def _views(result: ScanResult) -> tuple[list[_View], list[_View], dict[tuple[str, str], _View]]:
    """Views of document pairs (paired or sharing passages) and of single documents."""
    between: dict[tuple[str, str], list[int]] = defaultdict(list)
    inside: dict[str, list[int]] = defaultdict(list)
    for k, s in enumerate(result.passages):
        if s.a.doc == s.b.doc:
            inside[s.a.doc].append(k)
        else:
            between[(s.a.doc, s.b.doc)].append(k)
    pair_of = {(p.a, p.b): p for p in result.pairs}
    keys = sorted(set(between) | set(pair_of))

    def order(key: tuple[str, str]) -> tuple[int, str, str]:
        p = pair_of.get(key)
        if p is None:
            return (2, *key)
        return (0 if p.kind in COPY_KINDS else 1, *key)

    pair_views: list[_View] = []
    by_key: dict[tuple[str, str], _View] = {}
    for i, key in enumerate(sorted(keys, key=order)):
        v = _View(f"v{i}", key, between.get(key, []), pair_of.get(key))
        pair_views.append(v)
        by_key[key] = v
    doc_views = [_View(f"d{i}", (doc,), inside[doc]) for i, doc in enumerate(sorted(inside))]
    return pair_views, doc_views, by_key


def _passage_list(result: ScanResult, view: _View) -> str:
    if not view.passages:
        return '<p class="muted">No shared passages: the texts are compared as a whole.</p>'
    items = []
    for n, k in enumerate(view.passages, 1):
        s = result.passages[k]
        items.append(
            f'<li><button type="button" class="jump {_e(s.kind)}" data-view="{view.vid}" data-k="{k}">'
            f"#{n} {_e(s.kind)} · {s.similarity:.2f} · {s.paragraphs} paragraph{'s' if s.paragraphs != 1 else ''}"
            f" · [{s.a.start}:{s.a.end}] ↔ [{s.b.start}:{s.b.end}]</button></li>"
        )
    return f'<ol class="plist">{"".join(items)}</ol>'


def _labels(view: _View) -> dict[str, str]:
    out = {}
    for n, k in enumerate(view.passages, 1):
        if len(view.docs) == 1:
            out[f"{k}a"], out[f"{k}b"] = f"#{n}", f"#{n} again"
        else:
            out[f"{k}a"] = out[f"{k}b"] = f"#{n}"
    return out


def _doc_panel(result: ScanResult, doc_id: str, occs: Sequence[_Occ], view: _View, label: str) -> str:
    doc = result.document(doc_id)
    vid = view.vid
    return (
        f'<div class="side"><div class="dochead"><span class="tag">{_e(label)}</span> '
        f'<span class="docid">{_e(doc_id)}</span> <span class="muted">{len(doc.text)} chars</span></div>'
        f'<div class="doc" tabindex="0">{_render_text(doc.text, occs, vid, _labels(view))}</div></div>'
    )


#: Shared specific terms listed per same-story pair in the HTML evidence.
EVIDENCE_TERMS_SHOWN = 12


def _evidence_terms(evidence: dict[str, Any]) -> list[str]:
    """The shared specific terms of a same-story pair as written in A / B (escaped HTML snippets)."""
    out = []
    for t in (evidence.get("terms") or [])[:EVIDENCE_TERMS_SHOWN]:
        a, b = t.get("a") or {}, t.get("b") or {}
        ta, tb = str(a.get("text", "")), str(b.get("text", ""))
        written = _e(ta) if ta == tb else f"{_e(ta)} / {_e(tb)}"
        cls = "sterm" if t.get("specific") else "sterm topic"
        title = f"A [{a.get('start')}:{a.get('end')}] · B [{b.get('start')}:{b.get('end')}]"
        out.append(f'<li class="{cls}" title="{_e(title)}">{written}</li>')
    return out


def _evidence_block(pair: Pair) -> str:
    """Why a same-story pair is one story: reason, measures, shared terms as written, supporting passages.

    Linear in the size of the pair's evidence.
    """
    ev = pair.evidence
    if not ev:
        return ""
    measures = [
        f"{label} {float(ev[key]):.2f}"
        for key, label in (("specific", "specific overlap"), ("topic", "topic similarity"), ("lead", "leads"))
        if isinstance(ev.get(key), (int, float))
    ]
    if "shared_specific" in ev:
        measures.insert(0, f"{int(ev['shared_specific'])} shared specific terms")
    terms = _evidence_terms(ev)
    passages = [
        f"<li>{_e(ps.get('kind', ''))} {float(ps.get('similarity', 0.0)):.2f} · "
        f"A [{_e(ps['a'][0])}:{_e(ps['a'][1])}] ↔ B [{_e(ps['b'][0])}:{_e(ps['b'][1])}]</li>"
        for ps in ev.get("passages") or []
        if len(ps.get("a") or []) == 2 and len(ps.get("b") or []) == 2
    ]
    return (
        '<div class="evidence">'
        f'<p class="reason"><b>Why the same story:</b> {_e(ev.get("reason", ""))}</p>'
        f'<p class="muted">{_e(" · ".join(measures))}</p>'
        + (
            f'<p class="muted">Shared specific terms, as written in A / B:</p><ul class="sterms">{"".join(terms)}</ul>'
            if terms
            else ""
        )
        + (
            f'<p class="muted">Supporting passages:</p><ul class="spass">{"".join(passages)}</ul>'
            if passages
            else '<p class="muted">No supporting passage: the verdict rests on the shared specifics.</p>'
        )
        + "</div>"
    )


def _pair_view(result: ScanResult, view: _View) -> str:
    a, b = view.docs
    occs = _occurrences(result, view.passages)
    p = view.pair
    if p is not None:
        head = (
            f'<span class="kind k-{_e(p.kind)}">{_e(_kind_label(p.kind))}</span> similarity {p.similarity:.2f}'
            f" · A in B {_pct(p.a_in_b)} · B in A {_pct(p.b_in_a)}"
        )
    else:
        head = '<span class="kind k-shared">shared passages</span> not a duplicate pair'
    has_near = any(result.passages[k].kind != "exact" for k in view.passages)
    legend = (
        '<p class="legend">In near passages: <del class="wd">words only in A</del> '
        '<ins class="wd">words only in B</ins></p>'
        if has_near
        else ""
    )
    return (
        f'<section class="view" id="{view.vid}" data-a="{_e(a)}" data-b="{_e(b)}">'
        f'<h3><span class="ids">{_e(a)} <span class="muted">↔</span> {_e(b)}</span></h3>'
        f'<p class="vhead">{head}</p>{_evidence_block(p) if p is not None else ""}'
        f"{_passage_list(result, view)}{legend}"
        f'<div class="sides">{_doc_panel(result, a, occs.get(a, []), view, "A")}'
        f"{_doc_panel(result, b, occs.get(b, []), view, 'B')}</div>"
        "</section>"
    )


def _doc_view(result: ScanResult, view: _View) -> str:
    (doc,) = view.docs
    occs = _occurrences(result, view.passages)
    return (
        f'<section class="view" id="{view.vid}" data-a="{_e(doc)}">'
        f'<h3><span class="ids">{_e(doc)}</span></h3>{_passage_list(result, view)}'
        f'<div class="sides one">{_doc_panel(result, doc, occs.get(doc, []), view, "doc")}</div></section>'
    )


def _pairs_table(pairs: Sequence[Pair], by_key: dict[tuple[str, str], _View], cls: str, why: bool = False) -> str:
    rows = []
    for p in pairs:
        link = by_key[(p.a, p.b)].link()
        rows.append(
            f'<tr><td data-v="{_e(p.kind)}"><span class="kind k-{_e(p.kind)}">{_e(_kind_label(p.kind))}</span></td>'
            f'<td class="num" data-v="{p.similarity:.4f}">{p.similarity:.2f}</td>'
            f'<td class="num" data-v="{p.a_in_b:.4f}">{_pct(p.a_in_b)}</td>'
            f'<td class="num" data-v="{p.b_in_a:.4f}">{_pct(p.b_in_a)}</td>'
            f'<td class="num" data-v="{p.passages}">{p.passages}</td>'
            f'<td data-v="{_e(p.a)}">{_e(p.a)}</td><td data-v="{_e(p.b)}">{_e(p.b)}</td>'
            + (f'<td class="why">{_e((p.evidence or {}).get("reason", ""))}</td>' if why else "")
            + f"<td>{link}</td></tr>"
        )
    head = (
        '<tr><th data-type="text">kind</th><th data-type="num">similarity</th><th data-type="num">A in B</th>'
        '<th data-type="num">B in A</th><th data-type="num">passages</th><th data-type="text">A</th>'
        '<th data-type="text">B</th>' + ('<th data-type="text">why</th>' if why else "") + "<th></th></tr>"
    )
    return (
        f'<div class="tablewrap"><table class="sortable {cls}"><thead>{head}</thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _shared_table(result: ScanResult, views: Sequence[_View]) -> str:
    rows = []
    for v in views:
        ps = [result.passages[k] for k in v.passages]
        best = max(s.similarity for s in ps)
        chars = sum(s.a.end - s.a.start for s in ps)
        rows.append(
            f'<tr><td class="num" data-v="{len(ps)}">{len(ps)}</td>'
            f'<td class="num" data-v="{best:.4f}">{best:.2f}</td>'
            f'<td class="num" data-v="{chars}">{chars}</td>'
            f'<td data-v="{_e(v.docs[0])}">{_e(v.docs[0])}</td><td data-v="{_e(v.docs[1])}">{_e(v.docs[1])}</td>'
            f"<td>{v.link()}</td></tr>"
        )
    head = (
        '<tr><th data-type="num">passages</th><th data-type="num">best similarity</th>'
        '<th data-type="num">chars in A</th><th data-type="text">A</th><th data-type="text">B</th><th></th></tr>'
    )
    return (
        f'<div class="tablewrap"><table class="sortable shared"><thead>{head}</thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _clusters(result: ScanResult, by_key: dict[tuple[str, str], _View]) -> str:
    if not result.clusters:
        return '<p class="muted">No clusters.</p>'
    # The pairs inside each cluster, found once (not all member pairs: clusters can be large).
    cluster_of = {m: i for i, c in enumerate(result.clusters) for m in c.members}
    pairs_of: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for p in result.pairs:
        i = cluster_of.get(p.a)
        if i is not None and i == cluster_of.get(p.b):
            pairs_of[i].append((p.a, p.b))
    items = []
    for n, c in enumerate(result.clusters, 1):
        members = []
        for m in c.members:
            tag = ' <span class="keep">keep</span>' if m == c.canonical else ""
            members.append(f'<li><span class="docid">{_e(m)}</span>{tag}</li>')
        links = []
        for x, y in pairs_of.get(n - 1, ()):
            v = by_key.get((x, y))
            if v is not None and v.pair is not None and v.rendered:
                links.append(f'<a href="#{v.vid}">{_e(x)} ↔ {_e(y)}</a>')
        items.append(
            f'<li class="cluster"><b>Cluster {n}</b> · {len(c.members)} documents'
            f'<ul>{"".join(members)}</ul><p class="links">{" · ".join(links)}</p></li>'
        )
    return f'<ol class="clusters">{"".join(items)}</ol>'


def _problems(result: ScanResult) -> str:
    if not result.errors and not result.warnings:
        return ""
    rows = [f'<li class="err">{_e(e.path)}: {_e(e.message)}</li>' for e in result.errors]
    rows += [f'<li class="warn">{_e(w.path)}: {_e(w.message)}</li>' for w in result.warnings]
    return f'<section><h2>Problems with inputs</h2><ul class="problems">{"".join(rows)}</ul></section>'


def _card(value: object, label: str, detail: str = "") -> str:
    d = f'<div class="detail">{detail}</div>' if detail else ""
    return f'<div class="card"><div class="num-big">{_e(value)}</div><div>{_e(label)}</div>{d}</div>'


_CSS = """
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;--exact:#cfe2ff;--exact-b:#3b82f6;
--near:#fff1c2;--near-b:#d97706;--del:#ffc9c9;--ins:#b8f0c6;--flash:#fde047}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--fg);background:var(--bg)}
header{padding:14px 24px;background:#24292f;color:#fff}
header h1{margin:0;font-size:20px}
header p{margin:2px 0 0;color:#c9d1d9;font-size:13px}
main{padding:8px 24px 40px;max-width:1400px}
h2{font-size:17px;margin:22px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:0 0 4px}
.muted{color:var(--muted)}
.summary{display:flex;flex-wrap:wrap;gap:10px;align-items:stretch;margin-top:14px}
.card{border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:110px;max-width:190px;
background:var(--soft)}
.num-big{font-size:24px;font-weight:600}
.detail{font-size:12px;color:var(--muted)}
figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:4px 10px 2px;width:272px}
figcaption{font-size:12px;color:var(--muted)}
.hist .axis{stroke:#8c959f}.hist .lbl{font-size:10px;fill:var(--muted)}
.legend{font-size:12px;color:var(--muted);margin:2px 0}
.key{margin-right:10px}.key i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
table{border-collapse:collapse;font-size:13px;margin:0}
.tablewrap{max-height:460px;overflow:auto;display:inline-block;max-width:100%;margin:4px 0}
thead th{position:sticky;top:0;z-index:1}
th,td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
th[data-type]{cursor:pointer;user-select:none;background:var(--soft)}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
.kind{display:inline-block;padding:0 7px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;
background:#64748b}
.k-duplicate{background:#b91c1c}.k-near_duplicate{background:#ea580c}.k-containment{background:#a16207}
.k-same_story{background:#2563eb}.k-shared{background:#64748b}
.keep{font-size:11px;font-weight:600;color:#166534;background:#dcfce7;border-radius:8px;padding:0 6px}
.clusters{max-height:460px;overflow:auto;columns:330px 3;margin:4px 0}
.clusters>li{margin-bottom:6px;break-inside:avoid}
.clusters ul{margin:2px 0;padding-left:20px}.links{margin:0;font-size:13px}
.view{border:1px solid var(--line);border-radius:8px;padding:10px 12px;margin:12px 0}
.view:target{box-shadow:0 0 0 3px #93c5fd}
.vhead{margin:2px 0 4px}
.evidence{margin:4px 0 6px;padding:6px 10px;border-left:3px solid #2563eb;background:#eff6ff}
.evidence p{margin:2px 0}.sterms,.spass{margin:2px 0;padding-left:0;list-style:none;display:flex;flex-wrap:wrap;gap:4px}
.sterm{padding:0 6px;border-radius:8px;background:#dbeafe;font-size:13px}.sterm.topic{background:#e2e8f0}
.why{font-size:12px;max-width:36em}
.plist{margin:4px 0;padding-left:0;list-style:none;display:flex;flex-wrap:wrap;gap:6px}
.jump{font:12px/1.6 inherit;border:1px solid var(--line);border-radius:6px;background:#fff;cursor:pointer;
padding:1px 8px}
.jump.exact{border-left:4px solid var(--exact-b)}.jump.near{border-left:4px dashed var(--near-b)}
.sides{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.sides.one{grid-template-columns:1fr}
.side{min-width:0}
.dochead{font-size:13px;margin-bottom:3px;overflow-wrap:anywhere}
.tag{display:inline-block;background:#24292f;color:#fff;border-radius:4px;padding:0 6px;font-size:11px;font-weight:700}
.docid{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.doc{position:relative;white-space:pre-wrap;overflow-wrap:anywhere;max-height:520px;overflow:auto;
border:1px solid var(--line);border-radius:6px;padding:8px 10px;background:#fff;font-size:13.5px;line-height:1.55}
.anchor::before{content:attr(data-n);font-size:10px;font-weight:700;color:#fff;background:#57606a;
border-radius:3px;padding:0 3px;margin-right:2px;vertical-align:1px}
mark.psg{color:inherit;border-radius:2px;padding:1px 0}
mark.exact{background:var(--exact);box-shadow:inset 0 -2px 0 var(--exact-b)}
mark.near{background:var(--near);box-shadow:inset 0 -2px 0 var(--near-b)}
.js mark.psg{cursor:pointer}
mark.current{background:var(--flash);box-shadow:inset 0 -2px 0 #a16207}
del.wd{background:var(--del);text-decoration:line-through;text-decoration-color:#b91c1c80}
ins.wd{background:var(--ins);text-decoration:none;font-weight:600}
.problems .err{color:#b91c1c}
.problems .warn{color:#92400e}
footer{color:var(--muted);font-size:12px;margin-top:30px}
@media (max-width:800px){.sides{grid-template-columns:1fr}}
"""

_JS = """
(function(){
"use strict";
var data={};
try{data=JSON.parse(document.getElementById("dedup-data").textContent);}catch(e){}
var passages=data.passages||[];
document.body.classList.add("js");
function mark(view,k){
  view.querySelectorAll("mark.current").forEach(function(m){m.classList.remove("current");});
  view.querySelectorAll("mark.psg").forEach(function(m){
    var occ=" "+m.getAttribute("data-occ")+" ";
    if(occ.indexOf(" "+k+"a ")>=0||occ.indexOf(" "+k+"b ")>=0){m.classList.add("current");}
  });
}
function go(id){
  var el=document.getElementById(id);
  if(!el){return false;}
  var panel=el.closest(".doc");
  if(panel){panel.scrollTop=Math.max(0,el.offsetTop-40);}
  var view=el.closest(".view");
  if(view){mark(view,id.slice(id.lastIndexOf("-")+1,-1));}
  document.body.setAttribute("data-jump",id);
  return true;
}
document.querySelectorAll("mark.psg").forEach(function(m){
  var k=+m.getAttribute("data-k"),p=passages[k]||{};
  m.setAttribute("role","link");
  m.setAttribute("tabindex","0");
  m.title=(p.kind||"")+" passage, similarity "+(p.similarity!==undefined?p.similarity.toFixed(2):"?")+
    " - click to show the other copy";
  var jump=function(){go(m.getAttribute("data-go"));};
  m.addEventListener("click",jump);
  m.addEventListener("keydown",function(ev){if(ev.key==="Enter"){jump();}});
});
document.querySelectorAll("button.jump").forEach(function(b){
  b.addEventListener("click",function(){
    var v=b.getAttribute("data-view"),k=b.getAttribute("data-k");
    go(v+"-"+k+"a");go(v+"-"+k+"b");
  });
});
function sortTable(t,i,asc){
  var ths=t.querySelectorAll("th"),th=ths[i],type=th&&th.getAttribute("data-type");
  if(!type){return;}
  ths.forEach(function(o){o.removeAttribute("aria-sort");});
  th.setAttribute("aria-sort",asc?"ascending":"descending");
  var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
  rows.sort(function(r1,r2){
    var x=r1.cells[i].getAttribute("data-v"),y=r2.cells[i].getAttribute("data-v"),c;
    c=type==="num"?(+x)-(+y):(x<y?-1:(x>y?1:0));
    return asc?c:-c;
  });
  rows.forEach(function(r){body.appendChild(r);});
}
document.querySelectorAll("table.sortable").forEach(function(t){
  t.querySelectorAll("th").forEach(function(th,i){
    if(th.getAttribute("data-type")){
      th.addEventListener("click",function(){sortTable(t,i,th.getAttribute("aria-sort")!=="ascending");});
    }
  });
});
var h=decodeURIComponent(location.hash.slice(1)),m=/^sort=([a-z]+):([0-9]+):(asc|desc)$/.exec(h);
if(m){var st=document.querySelector("table.sortable."+m[1]);if(st){sortTable(st,+m[2],m[3]==="asc");}}
if(/^[vd][0-9]+-[0-9]+[ab]$/.test(h)&&go(h)){document.getElementById(h).closest(".view").scrollIntoView();}
document.body.setAttribute("data-ready","1");
})();
"""


#: Default cap on the side-by-side views in one page (each holds two full documents).
MAX_VIEWS = 500


def to_html(
    result: ScanResult, *, title: str = "dedup report", generated: str | None = None, max_views: int = MAX_VIEWS
) -> str:
    """Render a result as one self-contained HTML page.

    Args:
        result: The scan result.
        title: Page title and heading.
        generated: Text shown as the generation time or source (e.g. an
            ISO timestamp); omitted by default so output is deterministic.
        max_views: At most this many side-by-side views of document pairs
            (copies first, then same-story pairs, then other shared
            passages) and as many single-document views; the tables still
            list every pair.

    Returns:
        The HTML document (UTF-8 text, final newline).
    """
    pair_views, doc_views, by_key = _views(result)
    for i, v in enumerate(pair_views):
        v.rendered = i < max_views
    for i, v in enumerate(doc_views):
        v.rendered = i < max_views
    hidden = sum(not v.rendered for v in pair_views) + sum(not v.rendered for v in doc_views)
    copies = [p for p in result.pairs if p.kind in COPY_KINDS]
    stories = [p for p in result.pairs if p.kind not in COPY_KINDS]
    shared_only = [v for v in pair_views if v.pair is None]
    shown = [v for v in pair_views if v.rendered]
    copy_views = [v for v in shown if v.pair is not None and v.pair.kind in COPY_KINDS]
    story_views = [v for v in shown if v.pair is not None and v.pair.kind not in COPY_KINDS]
    shared_views = [v for v in shown if v.pair is None]
    doc_views = [v for v in doc_views if v.rendered]

    n_exact = sum(1 for s in result.passages if s.kind == "exact")
    n_inside = sum(1 for s in result.passages if s.a.doc == s.b.doc)
    kinds: dict[str, int] = defaultdict(int)
    for p in result.pairs:
        kinds[p.kind] += 1
    kind_detail = ", ".join(f"{n} {_e(_kind_label(k))}" for k, n in sorted(kinds.items())) or "none"
    cards = [
        _card(len(result.documents), "documents"),
        _card(len(result.pairs), "pairs", kind_detail),
        _card(
            len(result.passages),
            "shared passages",
            f"{n_exact} exact, {len(result.passages) - n_exact} near, {n_inside} inside one document",
        ),
        _card(len(result.clusters), "clusters", f"{sum(len(c.members) for c in result.clusters)} documents"),
    ]
    if result.errors or result.warnings:
        cards.append(_card(len(result.errors), "unreadable inputs", f"{len(result.warnings)} warnings"))
    series = _kind_series(sorted(kinds))
    hist_pairs = _histogram([(p.similarity, p.kind) for p in result.pairs], series, "Pair similarity")
    hist_passages = _histogram(
        [(s.similarity, s.kind) for s in result.passages],
        [("exact", "#3b82f6"), ("near", "#d97706")],
        "Passage similarity",
    )

    body: list[str] = [f'<section class="summary">{"".join(cards)}{hist_pairs}{hist_passages}</section>']

    body.append('<section id="copies"><h2>Copies: duplicates, near duplicates, containment</h2>')
    if copies:
        body.append(_pairs_table(copies, by_key, "copies"))
    else:
        body.append('<p class="muted">No copies found.</p>')
    body.append("</section>")

    body.append('<section id="clusters"><h2>Clusters</h2>')
    body.append(
        '<p class="muted">Documents joined by duplicate or near-duplicate pairs; <span class="keep">keep</span> '
        "marks the canonical member.</p>"
    )
    body.append(_clusters(result, by_key))
    body.append("</section>")

    if stories:
        body.append('<section id="stories"><h2>Same story (rewritten, not copies)</h2>')
        body.append(_pairs_table(stories, by_key, "stories", why=True))
        body.append("</section>")
    if shared_only:
        body.append('<section id="shared"><h2>Other documents sharing passages</h2>')
        body.append(_shared_table(result, shared_only))
        body.append("</section>")

    if copy_views:
        body.append('<section id="copy-views"><h2>Copies side by side</h2>')
        body.append(
            '<p class="legend"><mark class="psg exact">exact passage</mark> <mark class="psg near">near passage'
            "</mark> · click a passage to scroll the other document to its partner.</p>"
        )
        body.extend(_pair_view(result, v) for v in copy_views)
        body.append("</section>")
    if story_views:
        body.append('<section id="story-views"><h2>Same story side by side</h2>')
        body.extend(_pair_view(result, v) for v in story_views)
        body.append("</section>")
    if shared_views:
        body.append('<section id="shared-views"><h2>Shared passages side by side</h2>')
        body.extend(_pair_view(result, v) for v in shared_views)
        body.append("</section>")
    if doc_views:
        body.append('<section id="inside"><h2>Passages repeated inside one document</h2>')
        body.extend(_doc_view(result, v) for v in doc_views)
        body.append("</section>")

    if hidden:
        body.append(
            f'<p class="note">{hidden} more side-by-side view{"s are" if hidden != 1 else " is"} not shown '
            f"(at most {max_views} per kind of view); the tables above list every pair.</p>"
        )
    body.append(_problems(result))
    settings = ", ".join(f"{_e(k)}={_e(v)}" for k, v in sorted(result.settings.items()))
    footer = f"Settings: {settings}" if settings else ""
    if generated:
        footer += f" · generated {_e(generated)}"
    body.append(f"<footer>{footer}</footer>")

    subtitle = " · ".join(
        _plural(n, word)
        for n, word in (
            (len(result.documents), "document"),
            (len(result.pairs), "pair"),
            (len(result.passages), "passage"),
            (len(result.clusters), "cluster"),
        )
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>\n"
        f"<body><header><h1>{_e(title)}</h1><p>{subtitle}</p></header><main>\n"
        + "\n".join(b for b in body if b)
        + f'\n</main><script type="application/json" id="dedup-data">{html_json(result.to_dict())}</script>'
        + f"<script>{_JS}</script></body></html>\n"
    )
