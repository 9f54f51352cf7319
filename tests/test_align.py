"""Passages below the paragraph (issue 14): quotes, re-paragraphed copies, OCR text, cut-and-paste."""

from __future__ import annotations

import random

import numpy as np
import pytest

import dedup
from dedup.align import anchor_candidates, fuzzy_equal, tokenize, tokenize_documents
from dedup.segment import segment

from .conftest import seed_path

# Invented prose (no seed text): six paragraphs of two or three sentences.
PARAS = [
    "The river authority confirmed on Tuesday that the northern weir will be rebuilt before the spring floods. "
    "Engineers found cracks along the concrete apron during a routine inspection last month.",
    "Residents of the lower valley have been asked to move vehicles away from the flood plain while the work goes on. "
    "Temporary barriers will be placed along the towpath and the footbridge will close for six weeks.",
    "A spokeswoman for the authority said the contractor had promised to keep noise to a minimum at night. "
    "She added that fish passes would be installed so that salmon can still reach their spawning grounds upstream.",
    "The project is expected to cost about four million pounds, most of it paid by the national flood defence fund. "
    "Local councillors welcomed the money but questioned why the repairs had taken so long to begin.",
    "Farmers downstream said they had been warned about the state of the weir several years ago. "
    "One of them described the delay as a gamble with other people's livelihoods and homes.",
    "The authority will hold a public meeting in the village hall next Thursday evening to answer questions. "
    "Plans and drawings of the new structure are already on display in the public library.",
]

HOST = [
    "Councils across the region are struggling to maintain ageing infrastructure after a decade of tight budgets.",
    "In a report published this week, auditors listed bridges, culverts and sea walls in urgent need of attention.",
    "Officials in several districts admitted that inspections had been postponed to save money, and that some "
    "assets had not been examined for more than ten years.",
]

UNRELATED = [
    "The orchestra opened its winter season with a programme of Russian symphonies conducted by a young guest.",
    "Critics praised the brass section and the bold tempo of the final movement, which drew a standing ovation.",
    "Tickets for the remaining concerts are selling quickly, the box office said on Monday afternoon.",
]


def _scan(docs: dict[str, str], **settings) -> dedup.ScanResult:
    det = dedup.Detector(dedup.Config(**settings))
    for k, v in docs.items():
        det.add(k, v)
    return det.run()


def _body(text: str) -> tuple[int, int]:
    spans = segment(text)
    return spans[0][0], spans[-1][1]


def test_two_sentence_quote_inside_a_host_paragraph_has_the_quotes_own_offsets():
    source = "\n\n".join(PARAS)
    quote = (
        "Residents of the lower valley have been asked to move vehicles away from the flood plain while the work "
        "goes on. Temporary barriers will be placed along the towpath and the footbridge will close for six weeks"
    )
    host_par = HOST[1] + " " + quote + ". Critics said the list was far from complete."
    host = "\n\n".join([HOST[0], host_par, HOST[2]])
    res = _scan({"a-source.txt": source, "b-host.txt": host})
    cross = [p for p in res.passages if p.a.doc != p.b.doc]
    assert len(cross) == 1
    (p,) = cross
    # The quote ends its source paragraph (span snapped to the paragraph end, with the full stop);
    # inside the host it ends at its last word.
    sa = source.index(quote)
    assert (p.a.start, p.a.end) == (sa, sa + len(quote) + 1)
    sb = host.index(quote)
    assert (p.b.start, p.b.end) == (sb, sb + len(quote))
    assert p.kind == "exact"
    assert host[p.b.start : p.b.end] == quote


def test_quote_in_the_middle_of_a_paragraph_on_both_sides():
    src_par = PARAS[2] + " Work on the fish passes starts in May."
    source = "\n\n".join([PARAS[0], src_par, PARAS[3]])
    quote = PARAS[2].rstrip(".")
    host = "\n\n".join([HOST[0], HOST[1] + " " + quote + ", according to the notice. " + HOST[2]])
    res = _scan({"a.txt": source, "b.txt": host})
    (p,) = [p for p in res.passages if p.a.doc != p.b.doc]
    sa, sb = source.index(quote), host.index(quote)
    assert (p.a.start, p.a.end, p.b.start, p.b.end) == (sa, sa + len(quote), sb, sb + len(quote))


def test_six_paragraphs_merged_into_two_is_a_near_duplicate_with_one_passage():
    original = "\n\n".join(PARAS)
    # Re-flowed syndicated copy: a byline of its own, then the six paragraphs as two.
    body = " ".join(PARAS[:3]) + "\n\n" + " ".join(PARAS[3:])
    merged = "From our valley correspondent\n\n" + body
    res = _scan({"orig.txt": original, "merged.txt": merged})
    (pair,) = res.pairs
    assert pair.kind == "near_duplicate"
    assert pair.b_in_a == 1.0 and pair.a_in_b >= 0.95  # a = merged.txt (id order)
    (p,) = res.passages
    by_doc = {p.a.doc: p.a, p.b.doc: p.b}
    assert (by_doc["orig.txt"].start, by_doc["orig.txt"].end) == (0, len(original))
    assert (by_doc["merged.txt"].start, by_doc["merged.txt"].end) == (merged.index(body), len(merged))
    assert p.kind == "exact"  # same words, other paragraph borders
    assert p.paragraphs == 6


def _ocr(text: str, rng: random.Random) -> str:
    out = []
    for ch in text:
        if ch.isalpha() and rng.random() < 0.03:
            op = rng.randrange(3)
            out.append(rng.choice("etaoinshr") if op == 0 else "" if op == 1 else ch + ch)
        else:
            out.append(ch)
    return "".join(out)


def _wrap_hyphenated(text: str, width: int = 62) -> str:
    lines, cur = [], ""
    for w in text.split(" "):
        if not cur:
            cur = w
        elif len(cur) + 1 + len(w) <= width:
            cur += " " + w
        elif len(w) >= 8 and w.isalpha():
            lines.append(cur + " " + w[:4] + "-")
            cur = w[4:]
        else:
            lines.append(cur)
            cur = w
    return "\n".join([*lines, cur])


def test_ocr_noised_copy_with_hyphenated_line_breaks_is_a_near_duplicate():
    original = "\n\n".join(PARAS)
    rng = random.Random(7)
    scanned = "\n\n".join(_wrap_hyphenated(_ocr(p, rng)) for p in PARAS)
    assert "-\n" in scanned
    res = _scan({"orig.txt": original, "scan.txt": scanned})
    (pair,) = res.pairs
    assert pair.kind == "near_duplicate"
    assert min(pair.a_in_b, pair.b_in_a) >= 0.95
    cover = sum(p.a.end - p.a.start for p in res.passages if p.a.doc == "orig.txt")
    assert cover >= 0.95 * len(original)


def test_text_of_copied_sentences_with_a_fifth_of_its_own_is_a_containment_not_same_story():
    sentences = [s for p in PARAS for s in p.split(". ")]
    copied = sentences[1:9]  # eight copied sentences, re-paragraphed
    own = [
        "Our reporter visited the site on a grey morning.",
        "Nobody from the contractor was available to comment.",
    ]
    answer = "\n\n".join(
        [" ".join([copied[0], copied[1], own[0]]), " ".join(copied[2:5]), " ".join([*copied[5:], own[1]])]
    )
    res = _scan({"answer.txt": answer, "source.txt": "\n\n".join(PARAS)})
    kinds = {(p.a, p.b): p.kind for p in res.pairs}
    assert kinds == {("answer.txt", "source.txt"): "containment"}
    (pair,) = res.pairs
    assert pair.a_in_b >= 0.8 > pair.b_in_a


def test_unrelated_texts_share_no_passage():
    res = _scan({"a.txt": "\n\n".join(PARAS), "b.txt": "\n\n".join(UNRELATED), "c.txt": "\n\n".join(HOST)})
    assert [p for p in res.passages if p.a.doc != p.b.doc] == []
    assert res.pairs == ()


def test_repeat_inside_one_document_is_aligned_across_paragraph_borders():
    block = PARAS[1] + " " + PARAS[2]  # two paragraphs repeated later as one
    text = "\n\n".join([PARAS[0], PARAS[1], PARAS[2], PARAS[3], block, PARAS[4]])
    res = _scan({"a.txt": text})
    (p,) = [p for p in res.passages if p.paragraphs == 2]
    assert text[p.a.start : p.a.end] == PARAS[1] + "\n\n" + PARAS[2]
    assert text[p.b.start : p.b.end] == block
    assert p.a.end <= p.b.start


def test_tokens_map_back_to_the_original_characters():
    text = "Ünïcode “quotes” — and a hyph-\nenated word [3] here."
    t = tokenize(text)
    assert t.words == ["unicode", "quotes", "and", "a", "hyphenated", "word", "here"]
    assert [text[s:e] for s, e in zip(t.start, t.end)] == [
        "Ünïcode",
        "quotes",
        "and",
        "a",
        "hyph-\nenated",
        "word",
        "here",
    ]
    # The vectorised path gives the same tokens and offsets as one text at a time.
    texts = ["\n\n".join(PARAS), text, "plain ascii text, no breaks"]
    for one, many in zip([tokenize(x) for x in texts], tokenize_documents(texts)):
        assert one.words == many.words
        assert one.start.tolist() == many.start.tolist() and one.end.tolist() == many.end.tolist()


def test_fuzzy_tokens_allow_one_edit_in_long_words_only():
    assert fuzzy_equal("inspection", "inspecion") and fuzzy_equal("inspection", "insspection")
    assert fuzzy_equal("weir", "weir") and not fuzzy_equal("weir", "wear")
    assert not fuzzy_equal("inspection", "inspectors")


def test_anchor_index_pairs_only_documents_sharing_a_run():
    texts = ["\n\n".join(PARAS), "\n\n".join(HOST) + " " + PARAS[4], "\n\n".join(UNRELATED)]
    toks = tokenize_documents(texts)
    masks = [np.zeros(len(t), dtype=bool) for t in toks]
    pairs, shared = anchor_candidates(toks, masks, dedup.Config())
    assert pairs.tolist() == [[0, 1]]
    assert shared[0] >= 3


def test_alignment_off_reports_the_host_paragraph_and_on_the_quote():
    quote = PARAS[1].rstrip(".")
    host_par = HOST[1] + " " + quote + "."
    host = "\n\n".join([HOST[0], host_par])
    docs = {"a.txt": "\n\n".join(PARAS), "b.txt": host}
    off = [(p.b.start, p.b.end) for p in _scan(docs, align=False).passages if p.a.doc != p.b.doc]
    on = [(p.b.start, p.b.end) for p in _scan(docs).passages if p.a.doc != p.b.doc]
    par = host.index(host_par)
    assert off == [(par, par + len(host_par))]  # paragraph granularity
    assert on == [(host.index(quote), len(host))]  # the quote, to the end of its paragraph


def test_seed_003_block_is_one_passage_and_003_004_pair_with_nothing(seeds_dir):
    path = seed_path(seeds_dir, "003")
    text = path.read_text(encoding="utf-8")
    res = dedup.scan(str(seeds_dir))
    spans = segment(text)
    bar = text.index("\n|\n")
    before = [s for s in spans if s[1] <= bar][-4:-1]
    after = [s for s in spans if s[0] > bar][:3]
    within = [p for p in res.passages if p.a.doc == p.b.doc == path.name and p.paragraphs == 3]
    assert [(p.a.start, p.a.end, p.b.start, p.b.end) for p in within] == [
        (before[0][0], before[-1][1], after[0][0], after[-1][1])
    ]
    p004 = seed_path(seeds_dir, "004").name
    assert not [p for p in res.pairs if {p.a, p.b} & {path.name, p004}]
    assert not [s for s in res.passages if s.a.doc != s.b.doc and {s.a.doc, s.b.doc} & {path.name, p004}]


@pytest.mark.parametrize("jobs", [1, 2])
def test_alignment_output_does_not_depend_on_jobs(jobs):
    docs = {"a.txt": "\n\n".join(PARAS), "b.txt": " ".join(PARAS[:3]) + "\n\n" + "\n\n".join(PARAS[3:])}
    base = _scan(docs).to_dict()
    assert _scan(docs, jobs=jobs).to_dict() == base


def _invented_sentence(rng: random.Random, words: int = 24) -> str:
    syll = ["ka", "lo", "mi", "ter", "vos", "an", "ru", "pel", "dor", "si", "gat", "ume"]
    return " ".join("".join(rng.choice(syll) for _ in range(3)) for _ in range(words)).capitalize() + "."


def test_alignment_partner_cap_is_stated_in_the_output():
    """A hub document quoting 40 others has more than MAX_ALIGN_PARTNERS partners: the result says so."""
    from dedup.align import MAX_ALIGN_PARTNERS
    from dedup.report.formatters import to_table

    rng = random.Random(7)
    det = dedup.Detector(dedup.Config())
    hub = []
    for i in range(MAX_ALIGN_PARTNERS + 8):
        quoted = _invented_sentence(rng)
        own = " ".join(_invented_sentence(rng) for _ in range(3))
        det.add(f"src-{i:02d}", own + " " + quoted + "\n\n" + " ".join(_invented_sentence(rng) for _ in range(3)))
        hub.append(_invented_sentence(rng) + " " + quoted + " " + _invented_sentence(rng))
    det.add("hub", "\n\n".join(hub))
    result = det.run()
    assert len(result.limits) == 1 and "1 document(s)" in result.limits[0], result.limits
    assert result.to_dict()["limits"] == list(result.limits)
    assert "Limits applied" in to_table(result)
    # Each source is still linked to the hub by a passage (the cap keeps the closest partners
    # and a spanning forest, so no source is cut off).
    linked = {p.a.doc for p in result.passages if p.b.doc == "hub"} | {
        p.b.doc for p in result.passages if p.a.doc == "hub"
    }
    assert len(linked) >= MAX_ALIGN_PARTNERS


def test_results_without_a_bound_have_no_limits_key():
    rng = random.Random(3)
    det = dedup.Detector(dedup.Config())
    shared = _invented_sentence(rng)
    det.add("a", _invented_sentence(rng) + " " + shared)
    det.add("b", shared + " " + _invented_sentence(rng))
    result = det.run()
    assert result.limits == ()
    assert "limits" not in result.to_dict()


def test_alignment_in_bounded_batches_gives_the_same_result(monkeypatch):
    """Pairs aligned in many small batches, anchor entries chained in small ranges: the same output."""
    import dedup.align as align

    rng = random.Random(11)
    docs = {}
    shared = [_invented_sentence(rng) for _ in range(6)]
    for i in range(12):
        quoted = " ".join(shared[(i + k) % 6] for k in range(2))
        own = " ".join(_invented_sentence(rng) for _ in range(2))
        docs[f"d{i:02d}"] = own + " " + quoted + "\n\n" + "\n\n".join(PARAS[i % 3 : i % 3 + 3])
    base = _scan(docs).to_dict()
    tokens = tokenize_documents(list(docs.values()))
    masks = [np.zeros(len(t), dtype=bool) for t in tokens]
    pairs, _ = anchor_candidates(tokens, masks, dedup.Config())
    n_tok = np.array([len(t) for t in tokens])
    monkeypatch.setattr(align, "ALIGN_BATCH_TOKENS", 2 * int(n_tok.max()))
    monkeypatch.setattr(align, "_CHAIN_ENTRIES", 5)
    assert len(align.align_batches(pairs, n_tok)) > 5
    assert np.array_equal(anchor_candidates(tokens, masks, dedup.Config())[0], pairs)
    assert len(base["passages"]) > 20
    assert _scan(docs).to_dict() == base
