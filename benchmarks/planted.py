"""Seeded planted-duplicate corpus built from real news text (``lee_background.cor``).

Every generated document is a list of paragraphs, each tagged with its
provenance ``(source article, source paragraph)`` or ``None`` for new text
(headers, footers). From the provenance the generator records the truth:

* ``clusters``: documents that are copies of one article (the original and
  its full copies);
* ``pairs``: (original, copy, edit type) for every full copy;
* ``passages``: spans that must be reported as shared passages, with the edit
  type that made them.

Edit types: ``republish`` (new header/footer), ``words_2``/``words_5``/
``words_10``/``words_20`` (word substitutions/deletions/insertions at that
percentage), ``reorder`` (paragraphs shuffled), ``rewrap`` (lines hard-wrapped
at 60-75 columns), ``unicode`` (curly quotes, dashes, no-break spaces,
full-width digits, ligatures), ``excerpt`` (1-3 paragraphs embedded in another
article) and ``repeat`` (a block repeated inside one article).
"""

from __future__ import annotations

import random
import re
import textwrap
from dataclasses import dataclass, field

COPY_EDITS = ("republish", "words_2", "words_5", "words_10", "words_20", "reorder", "rewrap", "unicode")
OUTLETS = ("Harbour Herald", "Valley Times", "Northern Courier", "Coastal Post")

_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")


def load_articles(path: str) -> list[str]:
    """One article per non-empty line (latin-1 safe)."""
    with open(path, encoding="latin-1") as fh:
        return [line.strip() for line in fh if line.strip()]


def paragraphs_of(article: str, rng: random.Random) -> list[str]:
    """Split a one-line article into paragraphs of 1-3 sentences."""
    sents = [s for s in _SENT_RE.split(article) if s.strip()]
    out, i = [], 0
    while i < len(sents):
        k = rng.choice((1, 2, 2, 3))
        out.append(" ".join(sents[i : i + k]))
        i += k
    return out


def distinct_articles(articles: list[str]) -> list[str]:
    """Drop articles that repeat an earlier one (word 5-gram Jaccard >= 0.3).

    The source corpus has a few near-identical articles; left in, they would
    be real duplicates missing from the truth.
    """
    kept: list[str] = []
    sets: list[set] = []
    for a in articles:
        w = a.lower().split()
        s = {tuple(w[i : i + 5]) for i in range(max(1, len(w) - 4))}
        if all(len(s & t) / len(s | t) < 0.3 for t in sets):
            kept.append(a)
            sets.append(s)
    return kept


@dataclass
class GenDoc:
    id: str
    paras: list[str]
    prov: list[tuple[int, int] | None]
    sep: str = "\n\n"
    text: str = ""
    spans: list[tuple[int, int]] = field(default_factory=list)

    def render(self) -> None:
        pos, parts, spans = 0, [], []
        for k, p in enumerate(self.paras):
            if k:
                parts.append(self.sep)
                pos += len(self.sep)
            spans.append((pos, pos + len(p)))
            parts.append(p)
            pos += len(p)
        self.text = "".join(parts) + "\n"
        self.spans = spans


def _word_edits(text: str, rate: float, vocab: list[str], rng: random.Random) -> str:
    words = text.split(" ")
    out = []
    for w in words:
        if rng.random() < rate:
            op = rng.random()
            if op < 0.5:
                out.append(rng.choice(vocab))
            elif op < 0.75:
                continue
            else:
                out.extend([w, rng.choice(vocab)])
        else:
            out.append(w)
    return " ".join(out) if out else text


_UNI = {"'": "\u2019", '"': "\u201c", "-": "\u2014", "fi": "\ufb01", "0": "\uff10", "1": "\uff11", "5": "\uff15"}


def _unicode(text: str, rng: random.Random) -> str:
    for k, v in _UNI.items():
        text = text.replace(k, v)
    words = text.split(" ")
    return "".join(
        w + (("\u00a0" if rng.random() < 0.2 else " ") if i < len(words) - 1 else "") for i, w in enumerate(words)
    )


def _rewrap(p: str, rng: random.Random) -> str:
    return "\n".join(textwrap.wrap(p, width=rng.randint(60, 75)))


def _outlet(doc: GenDoc, outlet: str, day: int) -> None:
    nav = f"{outlet} | Home | World | Business | Sport | Weather | Contact us"
    footer = f"Copyright {outlet} 2002. All rights reserved. Share this story with your friends."
    doc.paras = [nav, f"Published {day} March 2002 by the {outlet} news desk", *doc.paras, footer]
    doc.prov = [None, None, *doc.prov, None]


@dataclass
class Planted:
    docs: list[GenDoc]
    clusters: list[list[str]]
    pairs: list[tuple[str, str, str]]
    passages: list[dict]
    doc_type: dict[str, str]


def generate(
    articles: list[str], seed: int, n_originals: int = 90, n_excerpts: int = 40, n_repeats: int = 20
) -> Planted:
    """Build the planted corpus (deterministic for a seed)."""
    rng = random.Random(seed)
    articles = distinct_articles(articles)
    order = list(range(len(articles)))
    rng.shuffle(order)
    vocab = sorted({w for a in articles for w in a.split() if w.isalpha() and len(w) > 3})
    base: dict[int, list[str]] = {a: paragraphs_of(articles[a], rng) for a in order}
    docs: list[GenDoc] = []
    clusters: list[list[str]] = []
    pairs: list[tuple[str, str, str]] = []
    passages: list[dict] = []
    doc_type: dict[str, str] = {}

    def new_doc(name: str, paras: list[str], prov: list) -> GenDoc:
        d = GenDoc(name, list(paras), list(prov))
        docs.append(d)
        return d

    originals = [a for a in order if len(base[a]) >= 3][:n_originals]
    rest = [a for a in order if a not in set(originals)]
    edits = [COPY_EDITS[i % len(COPY_EDITS)] for i in range(len(originals))]
    rng.shuffle(edits)
    for k, a in enumerate(originals):
        paras = base[a]
        prov = [(a, i) for i in range(len(paras))]
        orig = new_doc(f"a{a:03d}.txt", paras, prov)
        if rng.random() < 0.5:
            _outlet(orig, rng.choice(OUTLETS), rng.randint(1, 28))
        members = [orig.id]
        n_copies = 1 if k % 3 else 2
        for c in range(n_copies):
            edit = edits[(k + c * 7) % len(edits)] if c else edits[k]
            p2, pv2 = list(paras), list(prov)
            sep = "\n\n"
            if edit.startswith("words_"):
                rate = int(edit.split("_")[1]) / 100
                p2 = [_word_edits(p, rate, vocab, rng) for p in p2]
            elif edit == "reorder":
                perm = list(range(len(p2)))
                while perm == sorted(perm):
                    rng.shuffle(perm)
                p2, pv2 = [p2[i] for i in perm], [pv2[i] for i in perm]
            elif edit == "rewrap":
                p2 = [_rewrap(p, rng) for p in p2]
            elif edit == "unicode":
                p2 = [_unicode(p, rng) for p in p2]
            d = new_doc(f"a{a:03d}_{edit}_{c}.txt", p2, pv2)
            d.sep = sep
            if edit == "republish" or rng.random() < 0.5:
                _outlet(d, rng.choice(OUTLETS), rng.randint(1, 28))
            members.append(d.id)
            pairs.append((orig.id, d.id, edit))
            doc_type[d.id] = edit
        clusters.append(members)
    # Excerpts of 1-3 paragraphs embedded in other articles.
    hosts = rest[:n_excerpts]
    for h in hosts:
        src = rng.choice(originals)
        sp = base[src]
        n = rng.randint(1, min(3, len(sp) - 1))
        i = rng.randint(0, len(sp) - n)
        hp = base[h]
        at = rng.randint(1, max(1, len(hp) - 1))
        paras = hp[:at] + sp[i : i + n] + hp[at:]
        prov = [(h, x) for x in range(at)] + [(src, i + x) for x in range(n)] + [(h, x) for x in range(at, len(hp))]
        d = new_doc(f"h{h:03d}.txt", paras, prov)
        doc_type[d.id] = "excerpt"
        passages.append(
            {"type": "excerpt", "a": (f"a{src:03d}.txt", (src, i), (src, i + n - 1)), "b": (d.id, at, at + n - 1)}
        )
    # Blocks repeated inside one article.
    for r in rest[n_excerpts : n_excerpts + n_repeats]:
        rp = base[r]
        if len(rp) < 3:
            continue
        n = rng.randint(1, 2)
        i = rng.randint(0, len(rp) - n - 1)
        paras = [*rp, *rp[i : i + n]]
        prov = [(r, x) for x in range(len(rp))] + [(r, i + x) for x in range(n)]
        d = new_doc(f"r{r:03d}.txt", paras, prov)
        doc_type[d.id] = "repeat"
        passages.append({"type": "repeat", "a": (d.id, i, i + n - 1), "b": (d.id, len(rp), len(rp) + n - 1)})
    # Unrelated articles.
    for u in rest[n_excerpts + n_repeats :]:
        d = new_doc(f"u{u:03d}.txt", base[u], [(u, x) for x in range(len(base[u]))])
        if rng.random() < 0.5:
            _outlet(d, rng.choice(OUTLETS), rng.randint(1, 28))
    for d in docs:
        d.render()
    by_id = {d.id: d for d in docs}
    # Copy passages: each maximal run of consecutive source paragraphs.
    for orig_id, copy_id, edit in pairs:
        o, c = by_id[orig_id], by_id[copy_id]
        opos = {pv: k for k, pv in enumerate(o.prov) if pv is not None}
        k = 0
        cp = c.prov
        while k < len(cp):
            if cp[k] is None:
                k += 1
                continue
            j = k
            while j + 1 < len(cp) and cp[j + 1] is not None and opos[cp[j + 1]] == opos[cp[j]] + 1:
                j += 1
            passages.append({"type": edit, "a": (o.id, opos[cp[k]], opos[cp[j]]), "b": (c.id, k, j)})
            k = j + 1
    # Resolve excerpt source paragraph references to positions.
    for p in passages:
        if p["type"] == "excerpt":
            doc, s, e = p["a"]
            o = by_id[doc]
            opos = {pv: k for k, pv in enumerate(o.prov) if pv is not None}
            p["a"] = (doc, opos[s], opos[e])
    for p in passages:
        for side in ("a", "b"):
            doc, i, j = p[side]
            d = by_id[doc]
            p[side] = (doc, d.spans[i][0], d.spans[j][1])
    return Planted(docs, clusters, pairs, passages, doc_type)


# --------------------------------------------------------------------------- issue 14: sub-paragraph edits
#: Edit types of :func:`generate_sub` (reuse that ignores paragraph borders).
SUB_EDITS = ("merge", "split", "quote", "mix", "ocr")
#: Shortest quoted sentence (words): below the documented minimum passage length
#: of the aligner (``Config.align_min_tokens``), a quote is not a passage to find.
MIN_QUOTE_WORDS = 12


def sentences_of(article: str) -> list[str]:
    """The sentences of a one-line article."""
    return [s.strip() for s in _SENT_RE.split(article) if s.strip()]


def _ocr(text: str, rng: random.Random, rate: float = 0.03) -> str:
    """About ``rate`` of the letters substituted, dropped or doubled."""
    out = []
    for ch in text:
        if ch.isalpha() and rng.random() < rate:
            op = rng.random()
            if op < 1 / 3:
                out.append(rng.choice("abcdefghijklmnopqrstuvwxyz"))
            elif op < 2 / 3:
                continue
            else:
                out.append(ch + ch)
        else:
            out.append(ch)
    return "".join(out)


def _hard_wrap_hyphenated(p: str, rng: random.Random) -> str:
    """Hard line breaks at 60-75 columns; long words at a break are hyphenated across it."""
    width = rng.randint(60, 75)
    lines, cur = [], ""
    for w in p.split(" "):
        if not cur:
            cur = w
        elif len(cur) + 1 + len(w) <= width:
            cur += " " + w
        elif len(w) >= 8 and w.isalpha() and rng.random() < 0.6:
            k = rng.randint(3, len(w) - 3)
            lines.append(cur + " " + w[:k] + "-")
            cur = w[k:]
        else:
            lines.append(cur)
            cur = w
    if cur:
        lines.append(cur)
    return "\n".join(lines)


@dataclass
class PlantedSub:
    docs: list[GenDoc]
    #: (original, copy, edit) for merge/split/ocr copies: copy pairs to find.
    pairs: list[tuple[str, str, str]]
    #: {"type", "a": (doc, start, end), "b": (doc, start, end)} character spans.
    passages: list[dict]
    doc_type: dict[str, str]
    #: Source articles of each document (for "no passage links unrelated documents").
    sources: dict[str, set]
    #: Text of each source article (by the index in ``sources``): passages the source corpus itself
    #: repeats (a quote two articles both print) are real reuse, not links between unrelated documents.
    source_texts: dict[int, str] = field(default_factory=dict)


def generate_sub(articles: list[str], seed: int, per_type: int = 20, n_unrelated: int = 60) -> PlantedSub:
    """Corpus of the sub-paragraph edit types (deterministic for a seed).

    * ``merge``: a copy whose paragraphs are merged in twos or threes;
    * ``split``: a copy whose paragraphs are split at a sentence;
    * ``ocr``: a copy with ~3% of letters substituted, dropped or doubled and
      hard line breaks with hyphenated words;
    * ``quote``: 1-3 consecutive sentences of a source article placed inside a
      paragraph of another article (between two of its sentences);
    * ``mix``: a paragraph of another article mixing its own sentences with two
      quoted ones (two passages).

    Copies are whole-text passages (body to body); quotes are the quoted
    sentences' spans on both sides.
    """
    rng = random.Random(seed * 1000 + 14)
    arts = distinct_articles(articles)
    order = list(range(len(arts)))
    rng.shuffle(order)
    docs: list[GenDoc] = []
    pairs: list[tuple[str, str, str]] = []
    passages: list[dict] = []
    doc_type: dict[str, str] = {}
    sources: dict[str, set] = {}
    it = iter(order)

    def add(name: str, paras: list[str], src: set, sep: str = "\n\n") -> GenDoc:
        d = GenDoc(name, list(paras), [None] * len(paras), sep=sep)
        d.render()
        docs.append(d)
        sources[name] = set(src)
        return d

    def body(d: GenDoc) -> tuple[int, int]:
        return d.spans[0][0], d.spans[-1][1]

    def take(min_sents: int) -> int:
        for a in it:
            if len(sentences_of(arts[a])) >= min_sents:
                return a
        raise ValueError("not enough articles")

    for edit in ("merge", "split", "ocr"):
        for _ in range(per_type):
            a = take(4)
            paras = paragraphs_of(arts[a], rng)
            if edit == "merge" and len(paras) < 4:
                paras = [" ".join(sentences_of(arts[a])[i : i + 1]) for i in range(len(sentences_of(arts[a])))]
            orig = add(f"s{a:03d}.txt", paras, {a})
            if edit == "merge":
                out, i = [], 0
                while i < len(paras):
                    k = rng.choice((2, 3))
                    out.append(" ".join(paras[i : i + k]))
                    i += k
            elif edit == "split":
                out = []
                for p in paras:
                    ss = sentences_of(p)
                    if len(ss) >= 2:
                        k = rng.randint(1, len(ss) - 1)
                        out += [" ".join(ss[:k]), " ".join(ss[k:])]
                    else:
                        out.append(p)
            else:
                out = [_hard_wrap_hyphenated(_ocr(p, rng), rng) for p in paras]
            copy = add(f"s{a:03d}_{edit}.txt", out, {a})
            pairs.append((orig.id, copy.id, edit))
            doc_type[copy.id] = edit
            passages.append({"type": edit, "a": (orig.id, *body(orig)), "b": (copy.id, *body(copy))})
    for edit in ("quote", "mix"):
        for _ in range(per_type):
            src = take(5)
            host = take(4)
            ss = sentences_of(arts[src])
            good = [i for i in range(len(ss)) if len(ss[i].split()) >= MIN_QUOTE_WORDS]
            if edit == "mix":
                starts = [i for i in good if i + 1 < len(ss) and len(ss[i + 1].split()) >= MIN_QUOTE_WORDS]
                i = rng.choice(starts) if starts else good[0]
                quoted = [[ss[i]], [ss[i + 1]]] if starts else [[ss[i]]]
            else:
                i = rng.choice(good)
                n = 1
                while n < rng.randint(1, 3) and i + n < len(ss) and len(ss[i + n].split()) >= 4:
                    n += 1
                quoted = [ss[i : i + n]]
            src_doc = add(f"q{src:03d}.txt", paragraphs_of(arts[src], rng), {src})
            hp = paragraphs_of(arts[host], rng)
            at = rng.randrange(len(hp))
            own = sentences_of(hp[at])
            qtext = [" ".join(q) for q in quoted]
            if edit == "quote":
                k = rng.randint(1, max(1, len(own)))
                new = own[:k] + qtext + own[k:]
            else:
                # The host's own sentence between the quotes comes from a third article (new text).
                third = take(2)
                extra = max(sentences_of(arts[third]), key=len)
                new = [own[0], qtext[0], extra, *qtext[1:], *own[1:]]
            hp[at] = " ".join(new)
            host_doc = add(f"h{host:03d}_{edit}.txt", hp, {host, src} | ({third} if edit == "mix" else set()))
            doc_type[host_doc.id] = edit
            for q, qt in zip(quoted, qtext):
                # On the source side the sentences may lie in two paragraphs.
                sa = src_doc.text.index(q[0])
                ea = src_doc.text.index(q[-1], sa) + len(q[-1])
                sb = host_doc.text.index(qt)
                passages.append({"type": edit, "a": (src_doc.id, sa, ea), "b": (host_doc.id, sb, sb + len(qt))})
    for _ in range(n_unrelated):
        u = take(3)
        add(f"u{u:03d}.txt", paragraphs_of(arts[u], rng), {u})
    texts = {a: arts[a] for src in sources.values() for a in src}
    return PlantedSub(docs, pairs, passages, doc_type, sources, texts)
