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
``story_threshold`` and ``MIN_SPECIFIC_SHARED``.

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
        design = [p for p in pairs if p["split"] == "design"]
        saved = (
            story_mod.MIN_SPECIFIC_SHARED,
            story_mod.NUMBER_CHECK,
            story_mod.MAX_BACKGROUND_SHARE,
            story_mod.MIN_SPECIFIC_OVERLAP,
            story_mod.MIN_LEAD_SIMILARITY,
        )
        rows = []
        for share in (0.01, 0.02, 0.05) if bg is not None else (story_mod.MAX_BACKGROUND_SHARE,):
            story_mod.MAX_BACKGROUND_SHARE = share
            for check in (False, True):
                story_mod.NUMBER_CHECK = check
                for ms in (1, 2, 3, 4, 5, 6):
                    story_mod.MIN_SPECIFIC_SHARED = ms
                    for so, lead in itertools.product((0.0, 0.2, 0.3), (0.0, 0.1, 0.2, 0.25, 0.3)):
                        story_mod.MIN_SPECIFIC_OVERLAP = so
                        story_mod.MIN_LEAD_SIMILARITY = lead
                        for th in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5):
                            score(design, Config(story_threshold=th), bg)
                            r = prf(design)
                            p_, r_ = r["precision"] or 0.0, r["recall"] or 0.0
                            f1 = 2 * p_ * r_ / (p_ + r_) if p_ + r_ else 0.0
                            rows.append((round(f1, 3), p_, r_, share, check, ms, so, lead, th))
                            print(share, check, ms, so, lead, th, p_, r_, round(f1, 3), flush=True)
        (
            story_mod.MIN_SPECIFIC_SHARED,
            story_mod.NUMBER_CHECK,
            story_mod.MAX_BACKGROUND_SHARE,
            story_mod.MIN_SPECIFIC_OVERLAP,
            story_mod.MIN_LEAD_SIMILARITY,
        ) = saved
        print(
            "best (F1, P, R, bg share, number check, min specific, min overlap, min lead, threshold):",
            max(rows, key=lambda t: (t[0], t[1], t[8])),
        )
        return
    score(pairs, Config(), bg)
    res = {split: prf([p for p in pairs if p["split"] == split]) for split in ("design", "heldout", "seeds")}
    res["design+heldout"] = prf([p for p in pairs if p["split"] in ("design", "heldout")])
    allscores = np.array([p["score"] for p in pairs])
    res["score_spread"] = {
        "deciles": np.round(np.percentile(allscores, np.arange(0, 101, 10)), 3).tolist(),
        "share_at_or_above_0.95": round(float((allscores >= 0.95).mean()), 3),
    }
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
