"""Labelled same-story harness: precision and recall of ``same_story`` on real news pairs.

Pairs (``benchmarks/story_labels.tsv``, read by hand, one reason per pair):

* positives: reports of one event from ``lee.cor`` and ``lee_background.cor``;
* hard negatives: different happenings on one topic (the background is a two-week news feed, so
  the same running stories recur on different days);
* independent texts on one subject: the 20 ``lee.cor`` pairs people rated <= 0.3 with the highest
  plain TF-IDF cosine (shared subject vocabulary, different articles), split by parity;
* the seeds (``../shared/seeds``): 000/001/002 same story, pairs with 003/004 different; a test
  only, never used to choose.

Each pair is scored on its own (the story score depends only on the two texts and the fixed
reference), at the defaults (no background); each pair's record gives its score, verdict, shared
specific terms, TF-IDF cosine and lead similarity. ``--grid`` prints the design-split grid used to choose
the verdict's checks (``story_threshold``, ``MIN_SPECIFIC_SHARED``, the lead check).

    PYTHONPATH=. python benchmarks/story_harness.py           # writes benchmarks/results/story_harness.json
"""

from __future__ import annotations

import argparse
import glob
import itertools
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from dedup import Config  # noqa: E402
from dedup import story as story_mod  # noqa: E402
from dedup.story import StoryModel, _tfidf, story_terms  # noqa: E402

DATA = os.path.join(HERE, "..", "..", "shared", "eval-data", "lee")
SEEDS = os.path.join(HERE, "..", "..", "shared", "seeds")


def load_lines(path: str, encoding: str) -> list[str]:
    with open(path, encoding=encoding) as fh:
        return [line.strip() for line in fh if line.strip()]


def labelled_pairs(data: str) -> list[dict]:
    lee = load_lines(os.path.join(data, "lee.cor"), "latin-1")
    bg = load_lines(os.path.join(data, "lee_background.cor"), "latin-1")
    texts = {"lee": lee, "bg": bg}
    out = []
    with open(os.path.join(HERE, "story_labels.tsv"), encoding="utf-8") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh if line.strip() and not line.startswith("#")]
    for src, a, b, label, split, reason in rows[1:]:
        out.append(
            {
                "id": f"{src}:{a}/{b}",
                "a": texts[src][int(a)],
                "b": texts[src][int(b)],
                "same": label == "same",
                "split": split,
                "kind": "labelled",
                "reason": reason,
            }
        )
    human = np.loadtxt(os.path.join(data, "similarities0-1.txt"))
    x, _ = _tfidf([story_terms(t) for t in lee])
    iu = np.triu_indices(len(lee), 1)
    pairs = np.stack(iu, axis=1)
    cos = story_mod.pair_dots(x, pairs)
    low = np.flatnonzero(human[iu] <= 0.3)
    top = low[np.argsort(-cos[low], kind="stable")[:20]]
    for k, idx in enumerate(sorted(top.tolist())):
        i, j = int(pairs[idx, 0]), int(pairs[idx, 1])
        out.append(
            {
                "id": f"lee:{i}/{j}",
                "a": lee[i],
                "b": lee[j],
                "same": False,
                "split": "design" if k % 2 == 0 else "heldout",
                "kind": "one_subject",
                "reason": f"independent articles on one subject (human rating {human[i, j]:.2f})",
            }
        )
    seeds = sorted(glob.glob(os.path.join(SEEDS, "*.txt")))
    stexts = {}
    for path in seeds:
        with open(path, encoding="utf-8") as fh:
            stexts[os.path.basename(path)[:3]] = fh.read()
    ids = sorted(stexts)
    for x_, a in enumerate(ids):
        for b in ids[x_ + 1 :]:
            out.append(
                {
                    "id": f"seed:{a}/{b}",
                    "a": stexts[a],
                    "b": stexts[b],
                    "same": {a, b} <= {"000", "001", "002"},
                    "split": "seeds",
                    "kind": "seed",
                    "reason": "seed rewrites of the May 14 school visit" if {a, b} <= {"000", "001", "002"} else "",
                }
            )
    return out


def pair_background(p: dict, bg: list[str] | None) -> list[str]:
    """The archive background of a pair: lee_background.cor without the pair's own two articles."""
    if bg is None:
        return []
    if p["id"].startswith("bg:"):
        a, b = (int(x) for x in p["id"][3:].split("/"))
        return [t for k, t in enumerate(bg) if k not in (a, b)]
    return bg


def score(pairs: list[dict], config: Config, bg: list[str] | None = None) -> None:
    for p in pairs:
        m = StoryModel([p["a"], p["b"]], pair_background(p, bg))
        s, same = m.verdicts(np.array([[0, 1]]), config)
        _, n = m.specific_scores(np.array([[0, 1]]))
        p["score"] = round(float(s[0]), 4)
        p["predicted"] = bool(same[0])
        p["specific_shared"] = int(n[0])
        p["tfidf"] = round(float(m.tfidf_scores(np.array([[0, 1]]))[0]), 4)
        p["lead"] = round(float(m.lead_scores(np.array([[0, 1]]))[0]), 4)


def features(pairs: list[dict], bg: list[str] | None = None) -> dict[str, np.ndarray]:
    """Per pair, every quantity a verdict rule checks (so the grid applies rules without rescoring)."""
    cols: dict[str, list] = {k: [] for k in ("score", "tfidf", "spec", "shared", "numbers_disagree", "lead1", "lead2")}
    one = np.array([[0, 1]])
    saved = story_mod.LEAD_SENTENCES
    try:
        for p in pairs:
            m = StoryModel([p["a"], p["b"]], pair_background(p, bg))
            spec, n = m.specific_scores(one)
            cols["score"].append(float(m.scores(one)[0]))
            cols["tfidf"].append(float(m.tfidf_scores(one)[0]))
            cols["spec"].append(float(spec[0]))
            cols["shared"].append(int(n[0]))
            cols["numbers_disagree"].append(bool(m.numbers_disagree(one)[0]))
            for k in (1, 2):
                story_mod.LEAD_SENTENCES = k
                cols[f"lead{k}"].append(float(m.lead_scores(one)[0]))
    finally:
        story_mod.LEAD_SENTENCES = saved
    return {k: np.array(v) for k, v in cols.items()}


def grid(pairs: list[dict], bg: list[str] | None) -> None:
    """The design-split grid: every combination of the verdict's checks, best F1 first (design pairs only)."""
    design = [p for p in pairs if p["split"] == "design"]
    seeds = [p for p in pairs if p["split"] == "seeds"]
    f = features(design, bg)
    fs = features(seeds, bg) if seeds else None
    truth = np.array([p["same"] for p in design])
    seed_truth = np.array([p["same"] for p in seeds])
    rows = []
    for check, ms, so, lead_n, lead, th in itertools.product(
        (False, True),
        (1, 2, 3, 4, 5, 6),
        (0.0, 0.2, 0.3),
        (1, 2),
        (0.0, 0.1, 0.15, 0.2, 0.25, 0.3),
        (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5),
    ):

        def verdict(f: dict[str, np.ndarray], check=check, ms=ms, so=so, lead_n=lead_n, lead=lead, th=th) -> np.ndarray:
            v = (f["score"] >= th) & (f["tfidf"] >= Config().story_min_tfidf) & (f["shared"] >= ms) & (f["spec"] >= so)
            if check:
                v &= ~f["numbers_disagree"]
            return v & (f[f"lead{lead_n}"] >= lead)

        pred = verdict(f)
        # The seeds are a constraint, not an objective: 000/001/002 pair with each other, 003/004 with nothing.
        if fs is not None and not np.array_equal(verdict(fs), seed_truth):
            continue
        tp = int((pred & truth).sum())
        p_ = tp / int(pred.sum()) if pred.any() else 0.0
        r_ = tp / int(truth.sum())
        f1 = 2 * p_ * r_ / (p_ + r_) if p_ + r_ else 0.0
        rows.append((round(f1, 3), round(p_, 3), round(r_, 3), check, ms, so, lead_n, lead, th))
    # Best design F1; ties: higher precision, then the stricter evidence (more shared specific terms,
    # higher lead and score thresholds).
    rows.sort(key=lambda t: (-t[0], -t[1], -t[4], -t[5], -t[7], -t[8]))
    print("F1, P, R, number check, min specific, min overlap, lead sentences, min lead, threshold")
    print("(design split; the seeds kept 3/3)")
    for r in rows[:25]:
        print(r)


def prf(pairs: list[dict]) -> dict:
    tp = sum(p["same"] and p["predicted"] for p in pairs)
    fp = sum((not p["same"]) and p["predicted"] for p in pairs)
    fn = sum(p["same"] and not p["predicted"] for p in pairs)
    pos = [p["score"] for p in pairs if p["same"]]
    neg = [p["score"] for p in pairs if not p["same"]]
    return {
        "pairs": len(pairs),
        "positives": len(pos),
        "negatives": len(neg),
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
        "false_positives": [p["id"] for p in pairs if p["predicted"] and not p["same"]],
        "false_negatives": [p["id"] for p in pairs if p["same"] and not p["predicted"]],
        "positive_scores": [round(min(pos), 3), round(float(np.median(pos)), 3), round(max(pos), 3)] if pos else None,
        "negative_scores": [round(min(neg), 3), round(float(np.median(neg)), 3), round(max(neg), 3)] if neg else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--grid", action="store_true")
    ap.add_argument(
        "--archive",
        action="store_true",
        help="score with lee_background.cor (less the pair's own articles) as --background",
    )
    args = ap.parse_args()
    pairs = labelled_pairs(args.data)
    bg = load_lines(os.path.join(args.data, "lee_background.cor"), "latin-1") if args.archive else None
    if args.grid:
        grid(pairs, bg)
        return
    score(pairs, Config(), bg)
    res = {split: prf([p for p in pairs if p["split"] == split]) for split in ("design", "heldout", "seeds")}
    res["design+heldout"] = prf([p for p in pairs if p["split"] in ("design", "heldout")])
    allscores = np.array([p["score"] for p in pairs])
    res["score_spread"] = {
        "deciles": np.round(np.percentile(allscores, np.arange(0, 101, 10)), 3).tolist(),
        "share_at_or_above_0.95": round(float((allscores >= 0.95).mean()), 3),
    }
    cfg = Config()
    res["settings"] = {
        "story_threshold": cfg.story_threshold,
        "story_min_tfidf": cfg.story_min_tfidf,
        "min_specific_shared": story_mod.MIN_SPECIFIC_SHARED,
        "min_lead_similarity": story_mod.MIN_LEAD_SIMILARITY,
        "lead_sentences": story_mod.LEAD_SENTENCES,
        "number_check": story_mod.NUMBER_CHECK,
        "background": "lee_background.cor less the pair" if args.archive else None,
    }
    res["relabelled"] = [p["id"] for p in pairs if p["reason"].startswith("i15d relabel")]
    res["load_average"] = [round(x, 2) for x in os.getloadavg()]
    res["pairs"] = [{k: v for k, v in p.items() if k not in ("a", "b")} for p in pairs]
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    name = "story_harness_archive.json" if args.archive else "story_harness.json"
    with open(os.path.join(HERE, "results", name), "w", encoding="utf-8") as fh:
        json.dump(res, fh, indent=1)
    for k in ("design", "heldout", "design+heldout", "seeds"):
        print(k, {kk: vv for kk, vv in res[k].items()})
    print("spread", res["score_spread"])


if __name__ == "__main__":
    main()
