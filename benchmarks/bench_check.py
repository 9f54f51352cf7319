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

Each timing is the median of ``--repeat`` runs, alternating the contenders
(paired rounds in one session); the full scan, ~15x slower, runs in the first
``--scan-repeat`` rounds only. Wall and CPU time (``getrusage`` of the
process and its children) are both recorded, and the load average after
every run: the machine is shared, so the CPU ratio is the steadier one.

Usage::

    PYTHONPATH=. python benchmarks/bench_check.py [--index-docs 10000] [--repeat 3] [--scan-repeat 1] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(fn):
    t0, c0 = time.perf_counter(), _cpu()
    out = fn()
    return time.perf_counter() - t0, _cpu() - c0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-docs", type=int, default=10_000)
    ap.add_argument("--new-docs", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scan-repeat", type=int, default=1)
    ap.add_argument("--out", default=None)
    ap.add_argument(
        "--work-dir", default=None, help="keep the corpus and the two indexes here and reuse them (default: a temp dir)"
    )
    args = ap.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.work_dir or scratch
        os.makedirs(tmp, exist_ok=True)
        corpus = os.path.join(tmp, "corpus")
        if not os.path.isfile(corpus + ".done"):
            generate(corpus, args.index_docs + args.new_docs, seed=3)
            with open(corpus + ".done", "w", encoding="utf-8") as fh:
                fh.write("done\n")
        docs = read_paths([corpus]).documents
        old, new = docs[: args.index_docs], docs[args.index_docs :]
        full = Config()
        copies = Config(story=False, boilerplate=False)
        names = ("check_all_tiers", "check_copy_tiers", "full_scan")
        results: dict[str, list[float]] = {k: [] for k in names}
        cpu: dict[str, list[float]] = {k: [] for k in names}
        loads: dict[str, list[float]] = {k: [] for k in names}
        found: dict[str, int] = {}

        def record(name, t, c, pairs):
            results[name].append(t)
            cpu[name].append(c)
            loads[name].append(round(os.getloadavg()[0], 2))
            found[name + "_pairs"] = pairs
            print(f"{name}: {t:.2f} s wall, {c:.2f} s CPU, load {loads[name][-1]}", file=sys.stderr, flush=True)

        with (
            Index.open(os.path.join(tmp, "all.sqlite"), full) as idx_all,
            Index.open(os.path.join(tmp, "copies.sqlite"), copies) as idx_copies,
        ):
            add_s = None
            if not idx_all.document_ids():
                add_s, _, _ = _timed(lambda: idx_all.add(old))
            if not idx_copies.document_ids():
                idx_copies.add(old)
            paragraphs = idx_all.info().paragraphs if hasattr(idx_all.info(), "paragraphs") else None
            for r in range(args.repeat):
                t, c, res = _timed(lambda: check(new, idx_all, fail_on=["copies", "same-story"]))
                record("check_all_tiers", t, c, len(res.result.pairs))
                t, c, res = _timed(lambda: check(new, idx_copies))
                record("check_copy_tiers", t, c, len(res.result.pairs))
                if r >= args.scan_repeat:
                    continue

                def scan():
                    det = Detector(full)
                    for d in docs:
                        det.add_document(d)
                    return det.run()

                t, c, res = _timed(scan)
                record("full_scan", t, c, len(res.pairs))
    med = {k: statistics.median(v) for k, v in results.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    report = {
        "index_documents": args.index_docs,
        "index_paragraphs": paragraphs,
        "new_documents": args.new_docs,
        "index_add_seconds": round(add_s, 2) if add_s is not None else "reused",
        "median_seconds": {k: round(v, 3) for k, v in med.items()},
        "median_cpu_seconds": {k: round(v, 3) for k, v in med_cpu.items()},
        "runs_seconds": {k: [round(x, 3) for x in v] for k, v in results.items()},
        "runs_cpu_seconds": {k: [round(x, 3) for x in v] for k, v in cpu.items()},
        "load_after_each_run": loads,
        "all_tiers_over_copy_tiers": round(med["check_all_tiers"] / med["check_copy_tiers"], 2),
        "all_tiers_over_copy_tiers_cpu": round(med_cpu["check_all_tiers"] / med_cpu["check_copy_tiers"], 2),
        "full_scan_over_check_all_tiers": round(med["full_scan"] / med["check_all_tiers"], 2),
        "full_scan_over_check_all_tiers_cpu": round(med_cpu["full_scan"] / med_cpu["check_all_tiers"], 2),
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
