"""Benchmark (issue 13): ``dedup check`` with every tier, against copy tiers only and a full scan.

One run, paired measurements on the same data:

* an index of about 100,000 paragraphs (documents from the benchmark corpus,
  ``benchmarks/corpus.py``: recombined Lee sentences with planted copies);
* 1,000 new documents (from the same generator, so some are copies of
  indexed ones and some paste indexed paragraphs), checked
  - with every tier (defaults: boilerplate, copies, same story, rewrites);
  - with the copy tiers only (``story=False``, ``boilerplate=False``);
* a fresh ``Detector`` scan of old plus new content (defaults): what a user
  without an index would run.

Each timing is the median of ``--repeat`` runs, alternating the contenders.
The load average of the machine is printed with the figures.

Usage::

    PYTHONPATH=. python benchmarks/bench_check.py [--index-docs 10000] [--repeat 3] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.corpus import generate
from dedup.check import Index, check
from dedup.config import Config
from dedup.detector import Detector
from dedup.io.readers import read_paths


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-docs", type=int, default=10_000)
    ap.add_argument("--new-docs", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus")
        generate(corpus, args.index_docs + args.new_docs, seed=3)
        docs = read_paths([corpus]).documents
        old, new = docs[: args.index_docs], docs[args.index_docs :]
        full = Config()
        copies = Config(story=False, boilerplate=False)
        results: dict[str, list[float]] = {"check_all_tiers": [], "check_copy_tiers": [], "full_scan": []}
        found: dict[str, int] = {}
        with (
            Index.open(os.path.join(tmp, "all.sqlite"), full) as idx_all,
            Index.open(os.path.join(tmp, "copies.sqlite"), copies) as idx_copies,
        ):
            add_s, _ = _timed(lambda: idx_all.add(old))
            idx_copies.add(old)
            paragraphs = idx_all.info().paragraphs if hasattr(idx_all.info(), "paragraphs") else None
            for _ in range(args.repeat):
                t, res = _timed(lambda: check(new, idx_all, fail_on=["copies", "same-story"]))
                results["check_all_tiers"].append(t)
                found["check_all_tiers_pairs"] = len(res.result.pairs)
                t, res = _timed(lambda: check(new, idx_copies))
                results["check_copy_tiers"].append(t)
                found["check_copy_tiers_pairs"] = len(res.result.pairs)

                def scan():
                    det = Detector(full)
                    for d in docs:
                        det.add_document(d)
                    return det.run()

                t, res = _timed(scan)
                results["full_scan"].append(t)
                found["full_scan_pairs"] = len(res.pairs)
    med = {k: statistics.median(v) for k, v in results.items()}
    report = {
        "index_documents": args.index_docs,
        "index_paragraphs": paragraphs,
        "new_documents": args.new_docs,
        "index_add_seconds": round(add_s, 2),
        "median_seconds": {k: round(v, 3) for k, v in med.items()},
        "all_tiers_over_copy_tiers": round(med["check_all_tiers"] / med["check_copy_tiers"], 2),
        "full_scan_over_check_all_tiers": round(med["full_scan"] / med["check_all_tiers"], 2),
        "found": found,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
