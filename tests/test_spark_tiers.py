"""The Spark job with every tier on (alignment, same-story) against the local ``dedup scan``.

The corpus is built from real news sentences (``lee_background.cor`` of the
shared evaluation data): articles, copies with a new header, re-paragraphed
copies (merged, or one sentence per paragraph), quotes placed inside a
paragraph of another article, the same story retold (words reordered, a few
dropped) and boilerplate (a navigation line and a newsletter footer).

Skipped with a reason when pyspark, Java or the evaluation data is absent,
except in CI (``CI=true``), where Spark must be there.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import dedup
from dedup import Config, pipeline
from dedup.align import MAX_ALIGN_PARTNERS, anchor_candidates, cap_partners, token_masks, tokenize_documents
from dedup.models import Document
from dedup.shingle import TokenHasher
from dedup.spark.anchors import (
    cap_candidate_pairs,
    chain_length,
    partition_summary,
    partition_values,
    posting_pairs,
    winnow_contexts,
    winnow_partition,
)
from dedup.spark.job import prepare_records
from dedup.spark.records import paragraph_table
from dedup.spark.stories import StoryDoc, score_partition, story_docs_partition, term_pairs
from dedup.story import MIN_SHARED_TERMS

from .spark_support import IN_CI, local_session, spark_missing

ROOT = Path(__file__).resolve().parent.parent
LEE_BACKGROUND = ROOT.parent / "shared" / "eval-data" / "lee" / "lee_background.cor"

_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
OUTLETS = ("Harbour Herald", "Valley Times", "Northern Courier", "Coastal Post")
FOOTER = "Subscribe to the Valley Times daily newsletter for the morning headlines, weather and sport."
NAV = "Home | News | Sport | Business | Weather | Contact us"


def planted_corpus(path: Path, n_docs: int, seed: int = 13) -> tuple[dict[str, str], dict[str, list[tuple[str, str]]]]:
    """Documents built from the sentences of ``path``, and the planted relations by type.

    Each base article holds five sentences no other base article holds, so
    two bases share nothing; every other document derives from one base.
    """
    rng = random.Random(seed)
    seen: set[str] = set()
    sents: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        for s in _SENT.split(line.strip()):
            if len(s.split()) >= 6 and s not in seen:
                seen.add(s)
                sents.append(s)
    rng.shuffle(sents)
    n_base = min(len(sents) // 5, n_docs // 4)
    bases: list[list[str]] = []
    for b in range(n_base):
        ss = sents[5 * b : 5 * b + 5]
        paras, k = [], 0
        while k < len(ss):
            n = rng.choice((1, 2, 2))
            paras.append(" ".join(ss[k : k + n]))
            k += n
        bases.append(paras)
    docs: dict[str, str] = {}
    truth: dict[str, list[tuple[str, str]]] = {"copy": [], "repara": [], "quote": [], "rewrite": []}

    def put(name: str, paras: list[str]) -> None:
        body = "\n\n".join(paras)
        if rng.random() < 0.08:
            body = NAV + "\n\n" + body
        if rng.random() < 0.1:
            body = body + "\n\n" + FOOTER
        docs[name] = body + "\n"

    # Quotes: one or two sentences of another base placed inside a paragraph of a host base.
    hosts: dict[int, list[str]] = {}
    for h in rng.sample(range(n_base), n_base // 5):
        src = rng.randrange(n_base)
        if src == h:
            continue
        src_sents = [s for p in bases[src] for s in _SENT.split(p)]
        i = rng.randrange(len(src_sents))
        quote = " ".join(src_sents[i : i + rng.choice((1, 2))])
        paras = list(bases[h])
        at = rng.randrange(len(paras))
        parts = _SENT.split(paras[at])
        cut = rng.randint(1, len(parts)) if len(parts) > 1 else 1
        paras[at] = " ".join([*parts[:cut], f'"{quote}"', *parts[cut:]])
        hosts[h] = paras
        truth["quote"].append((f"b{h:04d}.txt", f"b{src:04d}.txt"))
    for b in range(n_base):
        put(f"b{b:04d}.txt", hosts.get(b, bases[b]))
    kinds = ("copy", "repara", "rewrite", "rewrite")
    k = 0
    while len(docs) < n_docs:
        b = k % n_base
        kind = kinds[(k // n_base + b) % len(kinds)]
        k += 1
        paras = bases[b]
        name = f"b{b:04d}-{kind}{k}.txt"
        if kind == "copy":
            put(name, [f"{rng.choice(OUTLETS)}, {rng.randint(1, 28)} March", *paras])
        elif kind == "repara":
            flat = [s for p in paras for s in _SENT.split(p)]
            if rng.random() < 0.5:  # merged into two paragraphs
                cut = rng.randint(1, len(flat) - 1)
                put(name, [" ".join(flat[:cut]), " ".join(flat[cut:])])
            else:  # one sentence per paragraph
                put(name, flat)
        else:  # the same story retold, lead first: words reordered in windows of three, a few dropped
            new = []
            for p in paras:
                words = p.split()
                out: list[str] = []
                for i in range(0, len(words), 3):
                    w = words[i : i + 3]
                    rng.shuffle(w)
                    out.extend(x for x in w if rng.random() > 0.1)
                new.append(" ".join(out))
            put(name, new)
        truth[kind].append((f"b{b:04d}.txt", name))
    return docs, truth


# ------------------------------------------------------------------ the anchor index, without a JVM


def _distributed_chains(docs: list[Document], config: Config, cuts: list[int], bp_rows: int = 0) -> tuple[dict, list]:
    """The Spark job's anchor candidates and their chain lengths, computed partition by partition in this process."""
    recs = [r for r in prepare_records(docs, config, TokenHasher())]
    rng = random.Random(len(docs))
    for i, r in enumerate(recs):  # some paragraphs marked boilerplate (left out of anchors)
        if bp_rows and len(r.cks) > 1 and rng.random() < 0.3:
            mask = np.zeros(len(r.cks), dtype=np.uint8)
            mask[rng.randrange(len(r.cks))] = 1
            recs[i] = r._replace(bp=mask.tobytes())
    bounds = [0, *cuts, len(recs)]
    parts = [
        next(partition_values(p, [(r.id, r) for r in recs[bounds[p] : bounds[p + 1]]])) for p in range(len(bounds) - 1)
    ]
    w = config.align_window
    contexts, single = winnow_contexts([partition_summary(p, w) for p in parts], w)
    postings: dict[int, list] = {}
    for part in parts:
        for h, entry in winnow_partition(part, contexts, w, single):
            postings.setdefault(h, []).append(entry)
    chains: dict[tuple[str, str], list] = {}
    for item in postings.items():
        for key, value in posting_pairs(item):
            chains.setdefault(key, []).append(value)
    lengths = {k: chain_length(v) for k, v in chains.items()}
    return {k: n for k, n in lengths.items() if n >= config.align_min_anchors}, recs


def _distributed_candidates(docs: list[Document], config: Config, cuts: list[int], bp_rows: int = 0) -> set:
    """The Spark job's anchor candidates computed partition by partition in this process."""
    chains, recs = _distributed_chains(docs, config, cuts, bp_rows)
    return set(chains), recs


def _local_candidates(recs, config: Config) -> set:
    table, _ = paragraph_table(recs)
    excluded = np.concatenate([r.excluded() for r in recs])
    tokens = tokenize_documents([r.text for r in recs])
    masks = token_masks(table, tokens, excluded)
    pairs, _ = anchor_candidates(tokens, masks, config)
    return {(recs[a].id, recs[b].id) for a, b in pairs.tolist()}


@pytest.mark.parametrize("window", [2, 6, 12])
def test_distributed_anchor_candidates_equal_local_for_any_partitioning(window):
    """Windows crossing partition borders see the same values as the local whole-corpus sequence."""
    rng = random.Random(window)
    base = [
        "the harbour bridge will open to traffic next week after years of work said the council",
        "farmers in the north are waiting for rain as the dry spell enters its third month",
        "a new library opened on the main street with a reading room and a cafe for students",
    ]
    docs = []
    for i in range(60):
        words = " ".join(rng.choice(base) for _ in range(rng.randint(0, 4))).split()
        if rng.random() < 0.3:  # short documents: windows reach across several of them
            words = words[: rng.randint(0, 7)]
        cut = rng.randint(0, len(words))
        text = " ".join(words[:cut]) + "\n\n" + " ".join(words[cut:])
        docs.append(Document(f"d{i:03d}", text))
    config = Config(align_window=window)
    for trial in range(4):
        cuts = sorted(rng.sample(range(1, len(docs)), trial * 3))
        got, recs = _distributed_candidates(docs, config, cuts, bp_rows=trial % 2)
        want = _local_candidates(recs, config)
        assert got == want, cuts
    assert want and any(a == b for a, b in want)  # pairs and repeats inside one document


def _wire_corpus(hubs: int = 6, spokes: int = 33, seed: int = 7) -> list[Document]:
    """Hub documents over the partner cap, linked to each other by a short brief.

    Every hub shares a text of its own with each of its ``spokes`` documents (long chains) and
    one short brief with the other hubs (short chains): a hub has ``spokes + hubs - 1``
    partners, and its closest ``MAX_ALIGN_PARTNERS`` are spokes, so the cap drops hub-hub
    pairs (except the spanning forest's, which keep the hubs connected).
    """
    rng = random.Random(seed)

    def words(k: int) -> str:
        return " ".join(f"w{rng.randrange(10**6)}" for _ in range(k))

    brief = words(16)
    docs = []
    for h in range(hubs):
        own = [words(40) for _ in range(spokes)]
        # The brief inside a paragraph of the hub's own (not a repeated paragraph: not boilerplate).
        docs.append(Document(f"h{h}", "\n\n".join([f"{words(15)} {brief} {words(15)}", *own])))
        docs.extend(Document(f"h{h}-s{i:02d}", words(20) + "\n\n" + text) for i, text in enumerate(own))
    return docs


def test_partner_cap_of_distributed_candidates_equals_the_local_cap():
    """Documents with more partners than the cap keep the same candidate pairs as in dedup scan."""
    docs = _wire_corpus()
    config = Config()
    chains, recs = _distributed_chains(docs, config, [10, 93, 150])
    table, _ = paragraph_table(recs)
    tokens = tokenize_documents([r.text for r in recs])
    cands, shared = anchor_candidates(tokens, token_masks(table, tokens, None), config)
    assert len(cands) == len(chains)
    kept, capped = cap_candidate_pairs(chains.items())
    local = cands[cap_partners(cands, shared, len(recs))].tolist()
    assert kept == [(recs[a].id, recs[b].id) for a, b in local]
    assert capped == 6  # the hubs
    hub_pairs = [(a, b) for a, b in kept if "-" not in a + b]
    assert len(hub_pairs) == 5  # of 15: a spanning tree of the hubs
    assert len(kept) == len(chains) - 10


def test_partner_cap_is_not_applied_below_the_cap():
    docs = _wire_corpus(hubs=3, spokes=MAX_ALIGN_PARTNERS - 2)  # MAX_ALIGN_PARTNERS partners per hub
    chains, _ = _distributed_chains(docs, Config(), [9])
    kept, capped = cap_candidate_pairs(chains.items())
    assert capped == 0 and kept == sorted(chains)
    assert max(Counter(d for a, b in chains for d in (a, b)).values()) == MAX_ALIGN_PARTNERS


def test_tiny_corpus_anchor_in_one_window():
    """A corpus whose n-grams fit in one window has one anchor: the same one as locally."""
    docs = [Document("a", "one two three four five six"), Document("b", "seven eight")]
    config = Config(align_window=6)
    got, recs = _distributed_candidates(docs, config, [1])
    assert got == _local_candidates(recs, config) == set()


# ------------------------------------------------------------------ the story stages, without a JVM


def test_story_stages_equal_local_tier_with_background(tmp_path):
    """Top-term postings and chunked scoring give the local tier's pairs, scores, evidence and near passages.

    With a background, so the relevance-feedback references are in play:
    a chunk's story model (of a few documents) scores a pair as the whole
    corpus's model does.
    """
    if not LEE_BACKGROUND.is_file():
        pytest.skip(f"evaluation data not found: {LEE_BACKGROUND}")
    texts, truth = planted_corpus(LEE_BACKGROUND, 400, seed=5)
    background = tmp_path / "background.cor"
    background.write_text("\n".join(LEE_BACKGROUND.read_text(encoding="utf-8").splitlines()[::3]), encoding="utf-8")
    config = Config(story_background=str(background))
    docs = [Document(k, texts[k]) for k in sorted(texts)]
    found, table = pipeline.run(docs, config)
    before, _ = pipeline.run(docs, config.replace(story=False))
    bg = pipeline.load_background(config)

    # The Spark stages, partition by partition, in this process.
    recs = prepare_records(docs, config, TokenHasher())
    bp = found.boilerplate_rows
    bounds = np.searchsorted(table.doc, np.arange(len(docs) + 1))
    recs = [r._replace(bp=bp[bounds[i] : bounds[i + 1]].astype(np.uint8).tobytes()) for i, r in enumerate(recs)]
    rng = random.Random(3)
    story_docs: dict[str, StoryDoc] = {}
    for lo in range(0, len(recs), 150):
        story_docs.update(story_docs_partition([(r.id, r) for r in recs[lo : lo + 150]], config, bg))
    postings: dict[str, list[str]] = {}
    for d, sd in story_docs.items():
        for t in sd.top:
            postings.setdefault(t, []).append(d)
    shared_terms = Counter(ab for item in postings.items() for ab, _ in term_pairs(item))
    copies = {(p.a, p.b) for p in before.pairs}
    cands = [ab for ab, n in shared_terms.items() if n >= MIN_SHARED_TERMS and ab not in copies]
    by_pair: dict[tuple[str, str], list] = {}
    for p in before.passages:
        if p.a.doc != p.b.doc:
            by_pair.setdefault((min(p.a.doc, p.b.doc), max(p.a.doc, p.b.doc)), []).append(p)
    rng.shuffle(cands)
    items = [((a, b), ((story_docs[a], story_docs[b]), by_pair.get((a, b), []))) for a, b in cands]
    out = list(score_partition(items, config, bg, chunk_pairs=97))
    story = [x for tag, x in out if tag == 1]
    near = [x for tag, x in out if tag == 0]

    assert sorted([*before.pairs, *story]) == list(found.pairs)
    assert sorted([*before.passages, *near]) == list(found.passages)
    assert len(story) >= 50 and near
    assert len(cands) < len(docs) * (len(docs) - 1) // 2 // 10  # the postings prune the pairs
    retold = {frozenset(x) for x in truth["rewrite"]}
    assert sum(frozenset((p.a, p.b)) in retold for p in story) >= 0.9 * len(retold)


# ------------------------------------------------------------------ the Spark job

_MISSING = spark_missing()


@pytest.fixture(scope="module")
def spark():
    """One local Spark session for the module (2 cores, few partitions)."""
    if _MISSING and not IN_CI:
        pytest.skip(f"Spark tests skipped: {_MISSING}")
    yield from local_session("dedup-tests-tiers", shuffle_partitions=2)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    if not LEE_BACKGROUND.is_file():
        pytest.skip(f"evaluation data not found: {LEE_BACKGROUND}")
    folder = tmp_path_factory.mktemp("planted-tiers")
    docs, truth = planted_corpus(LEE_BACKGROUND, 2000)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder, docs, truth


NAMES = ("documents", "pairs", "passages", "clusters", "boilerplate")


def test_spark_with_every_tier_equals_local_scan(spark, planted, tmp_path):
    from dedup.spark import SparkOptions, read_jsonl_dataset, spark_scan

    folder, docs, truth = planted
    local = dedup.scan(str(folder))
    want = local.to_dict()
    out = tmp_path / "out"
    # Two partitions: half the tasks of four, about half the time on 2 cores (the anchor index
    # across many partition borders is checked without a JVM above).
    summary = spark_scan(str(folder), str(out), Config(), SparkOptions(partitions=2), spark=spark)
    for name in NAMES:
        got = read_jsonl_dataset(str(out), name)
        assert len(got) == len(want[name]), name
        assert got == want[name], name
    assert summary.settings == local.settings
    assert summary.settings["story"] is True and summary.settings["align"] is True

    # The planted relations are there, so the equality is not vacuous.
    assert len(docs) >= 2000
    kinds = {frozenset((p.a, p.b)): p for p in local.pairs}
    count = Counter(p.kind for p in local.pairs)
    assert min(count[k] for k in ("duplicate", "near_duplicate", "containment", "same_story")) >= 50
    copied = [kinds.get(frozenset(x)) for x in truth["copy"] + truth["repara"]]
    assert sum(p is not None and p.kind in ("duplicate", "near_duplicate") for p in copied) >= 0.9 * len(copied)
    retold = [kinds.get(frozenset(x)) for x in truth["rewrite"]]
    assert sum(p is not None and p.kind == "same_story" for p in retold) >= 0.9 * len(retold)
    story = [p for p in local.pairs if p.kind == "same_story"]
    assert all(p.evidence and p.evidence["terms"] for p in story)
    near = [p for p in local.passages if p.a.doc in {x for _, x in truth["rewrite"]} and p.kind == "near"]
    assert near  # near passages across the rewrites
    # A quote inside a paragraph is a passage with the quote's own offsets, not the host paragraph's.
    quoted = 0
    for host, src in truth["quote"]:
        text = docs[host]
        for p in local.passages:
            if {p.a.doc, p.b.doc} == {host, src}:
                side = p.a if p.a.doc == host else p.b
                lo = text.rfind("\n\n", 0, side.start) + 1
                hi = text.find("\n\n", side.end)
                paragraph = text[lo : hi if hi >= 0 else len(text)].strip()
                quoted += len(text[side.start : side.end].strip()) < len(paragraph)
    assert quoted >= 0.5 * len(truth["quote"])
    assert any("Subscribe to the Valley Times" in b["text"] for b in want["boilerplate"])


def test_spark_applies_the_alignment_partner_cap_as_the_local_scan(spark, tmp_path):
    from dedup.spark import SparkOptions, read_jsonl_dataset, spark_scan

    folder = tmp_path / "wire"
    folder.mkdir()
    for d in _wire_corpus():
        (folder / f"{d.id}.txt").write_text(d.text, encoding="utf-8")
    local = dedup.scan(str(folder), story=False)
    want = local.to_dict()
    assert want["limits"] and "6 document(s)" in want["limits"][0]  # the cap changed the local results
    out = tmp_path / "out"
    summary = spark_scan(str(folder), str(out), Config(story=False), SparkOptions(partitions=2), spark=spark)
    for name in NAMES:
        assert read_jsonl_dataset(str(out), name) == want[name], name
    assert summary.counts["alignment_capped_documents"] == 6
    hub_passages = {(p.a.doc, p.b.doc) for p in local.passages if "-" not in p.a.doc + p.b.doc}
    assert len(hub_passages) == 5  # hub pairs outside the spanning tree were not aligned
