"""Benchmark (issue 18): a dense corpus, documents that share sentences heavily.

Real analogues are press-release feeds, wire briefs and templated reports.
The documents are recombined, unchanged, from the sentences of
``lee_background.cor`` (about 2,500 sentences of 300 ABC news articles):
7-13 paragraphs of 2-5 sentences each, seeded, so at 20,000 documents every
sentence occurs in about 280 documents. Unlike ``corpus.py`` no word is
swapped: every shared sentence is an exact shared run.

Each row is one ``dedup scan DIR --format table -o FILE`` process at the
defaults (every tier), table output included, with its wall time, CPU time
(user + system of the process and its workers) and peak RSS, and the load
average after it. A row that passes ``--limit`` seconds is stopped and
reported as not finished.

Usage::

    PYTHONPATH=. python benchmarks/bench_dense.py --docs 1000,2000,4000 [--jobs 1] [--limit 300] [--out FILE]
    PYTHONPATH=. python benchmarks/bench_dense.py --stages DIR [--format table]

``--stages DIR`` runs one default scan of ``DIR`` in this process instead
(``Detector(jobs=1)``, then the renderer) and prints the CPU seconds and the
peak RSS after each pipeline stage (from the progress callback), the story
tier's share, and what was found: the per-stage figures of
``benchmarks/README.md`` ("Linear and lean default scan").
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from corpus import LEE, load_sentences


def generate_dense(out_dir: Path, docs: int, seed: int = 7, source: Path = LEE) -> int:
    """Write ``docs`` documents of unchanged recombined sentences; returns the paragraph count."""
    rng = random.Random(seed)
    sents = load_sentences(source)
    out_dir.mkdir(parents=True, exist_ok=True)
    paragraphs = 0
    for i in range(docs):
        paras = [" ".join(rng.choice(sents) for _ in range(rng.randint(2, 5))) for _ in range(rng.randint(7, 13))]
        paragraphs += len(paras)
        (out_dir / f"n{i:07d}.txt").write_text("\n\n".join(paras) + "\n", encoding="utf-8")
    return paragraphs


def run_scan(corpus: Path, out: Path, jobs: int, limit: float) -> dict:
    """One ``dedup scan`` process: wall, CPU, peak RSS (of the biggest process), exit status."""
    cmd = [sys.executable, "-m", "dedup", "scan", str(corpus), "--format", "table", "-o", str(out), "--jobs", str(jobs)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, check=False)
        status: int | str = proc.returncode
        err = proc.stderr.strip().splitlines()[-3:] if proc.stderr.strip() else []
    except subprocess.TimeoutExpired:
        status, err = "not finished", []
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mib": round(after.ru_maxrss / 1024, 1),
        "exit": status,
        "stderr_tail": err,
        "table_bytes": out.stat().st_size if out.exists() else 0,
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def _rss_mib() -> tuple[int, int]:
    """Current and peak resident set size of this process (MiB), from /proc."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024


def _children_cpu() -> float:
    """CPU seconds of the reaped worker processes of this process."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def stage_profile(corpus: Path, fmt: str = "table", jobs: int = 1) -> dict:
    """Wall and CPU seconds and peak RSS per stage of one default scan of ``corpus`` in this process.

    ``cpu_s`` is this process's CPU, ``workers_cpu_s`` that of the worker
    processes a stage started (counted once they have exited), ``wall_s`` the
    elapsed time: with ``jobs`` > 1, a stage whose wall time does not fall
    below its single-process CPU is one that does not use the workers.
    """
    load_before = [round(x, 2) for x in os.getloadavg()]
    t0, w0, c0 = time.process_time(), time.perf_counter(), _children_cpu()
    from dedup.detector import Detector
    from dedup.report.formatters import format_result

    stages: dict[str, dict] = {}
    begun: dict[str, tuple[float, float, float]] = {}
    last = [(t0, w0, c0)]

    def mark(stage: str) -> None:
        now = (time.process_time(), time.perf_counter(), _children_cpu())
        cpu, wall, kids = begun.get(stage, last[0])
        rss, peak = _rss_mib()
        stages[stage] = {
            "cpu_s": round(now[0] - cpu, 2),
            "workers_cpu_s": round(now[2] - kids, 2),
            "wall_s": round(now[1] - wall, 2),
            "rss_mib": rss,
            "peak_rss_mib": peak,
        }
        last[0] = now

    def progress(stage: str, done: int, total: int) -> None:
        if done == 0:
            begun[stage] = (time.process_time(), time.perf_counter(), _children_cpu())
        elif done == total:
            mark(stage)

    det = Detector(jobs=jobs)
    det.add_paths([str(corpus)])
    mark("read")
    result = det.run(progress=progress)
    mark("rest of run (sorting, clusters)")
    text = format_result(result, fmt)
    mark("render " + fmt)
    total = time.process_time() - t0
    return {
        "corpus": str(corpus),
        "jobs": jobs,
        "stages": stages,
        "total_cpu_s": round(total, 2),
        "total_workers_cpu_s": round(_children_cpu() - c0, 2),
        "total_wall_s": round(time.perf_counter() - w0, 2),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "story_share": round(stages.get("story", {}).get("cpu_s", 0.0) / total, 3) if total else 0.0,
        "passages": len(result.passages),
        "pairs": len(result.pairs),
        "limits": list(result.limits),
        "output_bytes": len(text.encode("utf-8")),
        "load_before": load_before,
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", default="1000,2000,4000")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--limit", type=float, default=300.0, help="stop a row after this many seconds")
    ap.add_argument("--work-dir", default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--stages", default=None, help="profile one default scan of this folder in-process, per stage")
    ap.add_argument("--format", default="table", help="with --stages: the output format rendered")
    args = ap.parse_args()
    if args.stages:
        print(json.dumps(stage_profile(Path(args.stages), args.format, args.jobs), indent=2))
        return
    if not LEE.is_file():
        sys.exit(f"{LEE} is absent")
    rows = []
    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(args.work_dir or scratch)
        for n in (int(x) for x in args.docs.split(",") if x.strip()):
            corpus = work / f"dense-{n}"
            marker = work / f"dense-{n}.paragraphs"
            if not marker.exists():
                marker.write_text(str(generate_dense(corpus, n)))
            res = run_scan(corpus, work / f"dense-{n}.table.txt", args.jobs, args.limit)
            res.update(documents=n, paragraphs=int(marker.read_text()), jobs=args.jobs)
            print(json.dumps(res), file=sys.stderr, flush=True)
            rows.append(res)
    report = {"load_before": load_before, "rows": rows, "cpus": os.cpu_count()}
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
