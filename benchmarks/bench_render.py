"""Benchmark: rendering a large result as table, HTML, CSV and JSON Lines, each as a ratio to JSON.

One command::

    python benchmarks/bench_render.py                 # 20,000 documents (about 2-3 minutes)
    python benchmarks/bench_render.py --docs 2000     # a quick run

The corpus is built from the sentences of the Lee background corpus
(``/work/shared/eval-data/lee/lee_background.cor``, or ``--lee FILE``), so
documents share sentences heavily, as a news archive does:

* documents come in families of ``--family`` (default 5): each family starts
  from one Lee article's sentences (shuffled per family), and each member keeps
  every sentence with probability 0.7, so members of a family are copies,
  containments or share passages;
* every document also gets ``--extra`` (default 3) sentences drawn from the
  whole pool, so sentences recur in otherwise unrelated documents (passages
  between non-copies, or boilerplate);
* after one pass over the ~300 Lee articles (an *epoch*, ~1,500 documents)
  the next epoch uses variants of the sentences with every second word
  tagged, so epochs do not copy each other and the result grows linearly
  with the corpus.

Each document is one sentence per paragraph. The scan runs once (no
same-story tier: it does not change what rendering costs and dominates the
scan time); then every renderer runs ``--repeat`` times on the same result
and the best time is kept. Output: a table on stdout and JSON (``--json``).
The goal (issue 16): table and HTML within 2x of JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import dedup  # noqa: E402
from dedup.report.formatters import to_csv, to_ids, to_json, to_jsonl, to_table  # noqa: E402
from dedup.report.html import to_html  # noqa: E402

LEE = Path("/work/shared/eval-data/lee/lee_background.cor")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")


def sentences_of(path: Path) -> list[list[str]]:
    """The sentences of each article (one article per line) with at least 6 words."""
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        sents = [s.strip() for s in _SENTENCE.split(line) if len(s.split()) >= 6]
        if len(sents) >= 4:
            out.append(sents)
    return out


def _variant(sentence: str, epoch: int) -> str:
    """The sentence for one epoch: every second word tagged, so epochs share no word pairs."""
    if epoch == 0:
        return sentence
    words = sentence.split()
    return " ".join(w + f"-{epoch}" if i % 2 else w for i, w in enumerate(words))


def build(articles: list[list[str]], n_docs: int, family: int, extra: int, seed: int) -> list[tuple[str, str]]:
    """``(id, text)`` of the generated documents (deterministic for a seed).

    Family ``f`` starts from Lee article ``f % len(articles)``; every full
    pass over the articles is an *epoch* whose sentences are tagged variants
    (see :func:`_variant`), so the corpus repeats the sharing structure of the
    Lee corpus instead of making every pass a copy of the first.
    """
    rng = random.Random(seed)
    docs = []
    for i in range(n_docs):
        f = i // family
        epoch = f // len(articles)
        base = list(articles[f % len(articles)])
        random.Random(seed * 1_000_003 + f).shuffle(base)
        base = base[:10]
        kept = [s for s in base if rng.random() < 0.7] or base[:1]
        for _ in range(extra):
            other = articles[rng.randrange(len(articles))]
            kept.insert(rng.randrange(len(kept) + 1), other[rng.randrange(len(other))])
        docs.append((f"doc-{i}.txt", "\n\n".join(_variant(s, epoch) for s in kept)))
    return docs


def timed(fn, repeat: int) -> tuple[float, int]:
    best = float("inf")
    size = 0
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
        size = len(out.encode("utf-8"))
        del out
    return best, size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--family", type=int, default=5)
    ap.add_argument("--extra", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--lee", type=Path, default=LEE)
    ap.add_argument("--json", type=Path, default=HERE / "results" / "bench_render.json")
    args = ap.parse_args(argv)
    if not args.lee.is_file():
        print(f"{args.lee}: not found (the Lee background corpus; see --lee)", file=sys.stderr)
        return 2

    articles = sentences_of(args.lee)
    docs = build(articles, args.docs, args.family, args.extra, args.seed)
    det = dedup.Detector(dedup.Config(story=False))
    for doc_id, text in docs:
        det.add(doc_id, text)
    t = time.perf_counter()
    result = det.run()
    scan_s = time.perf_counter() - t
    counts = {
        "documents": len(result.documents),
        "pairs": len(result.pairs),
        "passages": len(result.passages),
        "clusters": len(result.clusters),
        "boilerplate": len(result.boilerplate),
    }
    print(f"corpus: {args.docs} documents from {len(articles)} Lee articles; scan {scan_s:.1f} s; {counts}")

    renderers = {
        "json": lambda: to_json(result),
        "table": lambda: to_table(result),
        "html": lambda: to_html(result),
        "jsonl": lambda: to_jsonl(result),
        "csv": lambda: to_csv(result),
        "ids": lambda: to_ids(result),
    }
    rows = {}
    for name, fn in renderers.items():
        seconds, size = timed(fn, args.repeat)
        rows[name] = {"seconds": round(seconds, 3), "bytes": size}
    base = rows["json"]["seconds"]
    print(f"{'format':8} {'seconds':>9} {'x JSON':>7} {'MB':>8}")
    for name, row in rows.items():
        row["ratio_to_json"] = round(row["seconds"] / base, 2) if base else None
        print(f"{name:8} {row['seconds']:9.3f} {row['ratio_to_json']:7.2f} {row['bytes'] / 1e6:8.1f}")
    load = os.getloadavg()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; peak RSS {peak_mib:.0f} MiB; cpus {os.cpu_count()}")
    goal = all(rows[k]["ratio_to_json"] <= 2.0 for k in ("table", "html"))
    print("goal (table and HTML within 2x of JSON):", "met" if goal else "NOT met")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "corpus": {"docs": args.docs, "family": args.family, "extra": args.extra, "seed": args.seed},
                "scan_seconds": round(scan_s, 2),
                "result": counts,
                "render": rows,
                "load_average": [round(x, 2) for x in load],
                "peak_rss_mib": round(peak_mib),
                "goal_met": goal,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
