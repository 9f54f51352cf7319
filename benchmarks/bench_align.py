"""Benchmark: what sub-paragraph alignment costs a default scan (issue 14), paired runs.

One command::

    PYTHONPATH=. python benchmarks/bench_align.py --docs 4000 --rounds 3
    PYTHONPATH=. python benchmarks/bench_align.py --docs 4000 --before /path/to/old/checkout

Each round runs, alternating, ``dedup scan CORPUS --format json`` with the
default settings and with ``--no-align`` (each in its own process, ``--jobs
1``), for this checkout and, with ``--before``, for another checkout (the code
before a change). Figures are CPU seconds (user + system, ``getrusage`` of the
finished child: the machine is shared, and CPU time is less disturbed by other
load than wall time) and wall seconds; the ratio per round is align / no-align
of one checkout, reported as the median over rounds with the load average of
each round. Every variant runs once before the rounds (numba's kernel cache
warm, files in the page cache), except the slow ``before-align`` (its numba
cache is the one ``before-no-align`` warms). The corpus is the one of ``bench_scan.py``
(``benchmarks/corpus.py``). Environment ``DEDUP_NO_NUMBA=1`` is passed through
(``--numpy`` sets it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_scan(root: str, corpus: str, align: bool, env: dict) -> dict:
    """One ``dedup scan`` of ``corpus`` with the code under ``root``: CPU and wall seconds, output digest."""
    cmd = [sys.executable, "-m", "dedup", "scan", corpus, "--format", "json", "--jobs", "1", "--quiet"]
    if not align:
        cmd.append("--no-align")
    c0, t0 = _children_cpu(), time.perf_counter()
    # cwd=root: ``python -m`` puts the working directory first on sys.path.
    env = dict(os.environ, PYTHONPATH=root, **env)
    proc = subprocess.run(cmd, capture_output=True, env=env, cwd=root, check=False)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return {"cpu": round(cpu, 3), "wall": round(wall, 3), "sha256": hashlib.sha256(proc.stdout).hexdigest()[:16]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--before", default="", help="checkout of the code before the change (optional)")
    ap.add_argument("--before-rounds", type=int, default=0, help="rounds that include --before (default: all)")
    ap.add_argument("--numpy", action="store_true", help="force the numpy path (DEDUP_NO_NUMBA=1)")
    ap.add_argument("--work-dir", default="/tmp/dedup-bench")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    from bench_scan import ensure_corpus

    corpus = ensure_corpus(Path(args.work_dir), args.docs, args.seed)
    env = {"DEDUP_NO_NUMBA": "1"} if args.numpy else {}
    roots = {"after": str(ROOT)}
    if args.before:
        roots = {"before": args.before, **roots}
    variants = [
        (f"{name}-{'align' if a else 'no-align'}", root, a) for name, root in roots.items() for a in (True, False)
    ]
    for name, root, a in variants:  # warm-up: numba cache, page cache
        if name != "before-align":
            run_scan(root, corpus, a, env)
    rounds = []
    before_rounds = args.before_rounds or args.rounds
    for k in range(args.rounds):
        now = [v for v in variants if k < before_rounds or not v[0].startswith("before")]
        res = {name: run_scan(root, corpus, a, env) for name, root, a in now}
        res["load"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        rounds.append(res)
        print(json.dumps(res), file=sys.stderr, flush=True)
    summary = {"documents": args.docs, "numpy_path": args.numpy, "rounds": rounds, "ratios": {}}
    for name in roots:
        done = [x for x in rounds if f"{name}-align" in x]
        for unit in ("cpu", "wall"):
            r = [x[f"{name}-align"][unit] / x[f"{name}-no-align"][unit] for x in done]
            summary["ratios"][f"{name} align/no-align ({unit})"] = round(statistics.median(r), 3)
        for v in ("align", "no-align"):
            summary[f"{name}-{v} median cpu"] = statistics.median(x[f"{name}-{v}"]["cpu"] for x in done)
    print(json.dumps(summary, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
