"""Benchmark: time and peak memory of the inputs that used to blow up (issue 17, items 16, 17, 19).

One command (about 3-4 minutes on 2 cores)::

    PYTHONPATH=. python benchmarks/bench_bounds.py             # writes benchmarks/results/bench_bounds.json

Each corpus is generated (seeded) into ``--work-dir`` and scanned by the CLI in
its own process (``python -m dedup scan PATH --format json -o FILE --jobs 1``,
so output rendering counts), at two sizes, to show the cost is linear and
under the bound (4 GiB peak RSS):

* ``templated-paragraphs``: one document of N paragraphs from one template
  (``Note {i} about item {r}: status updated by the team today.``);
* ``templated-files``: N one-line files from the same template;
* ``repeated-lines``: one file of N identical short lines.

``dedup compare`` of many files is bounded by a refusal instead
(``dedup.match.check_pair_budget``), which takes no measurable time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BOUND_MIB = 4096


def _template(rnd: random.Random, i: int) -> str:
    return f"Note {i} about item {rnd.randint(1, 50)}: status updated by the team today."


def make(kind: str, n: int, work: Path) -> tuple[str, list[str]]:
    """Generate the corpus; returns (path, extra CLI arguments)."""
    rnd = random.Random(5)
    path = work / f"{kind}-{n}"
    done = path.with_suffix(".done")
    if kind == "templated-paragraphs":
        target = path.with_suffix(".txt")
        if not done.exists():
            target.write_text("\n\n".join(_template(rnd, i) for i in range(n)) + "\n")
        path = target
    elif kind == "repeated-lines":
        target = path.with_suffix(".txt")
        if not done.exists():
            target.write_text("the same short line here\n" * n)
        path = target
    else:  # templated-files, compare
        if not done.exists():
            path.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                (path / f"n{i:06d}.txt").write_text(_template(rnd, i) + "\n")
    done.write_text("ok")
    return str(path), []


def run(kind: str, n: int, work: Path) -> dict:
    path, extra = make(kind, n, work)
    out = work / "out.json"
    if kind == "compare":
        files = sorted(str(p) for p in Path(path).iterdir())
        cmd = [sys.executable, "-m", "dedup", "compare", *files, "--format", "json", "-o", str(out)]
    else:
        cmd = [sys.executable, "-m", "dedup", "scan", path, "--format", "json", "-o", str(out), "--jobs", "1", *extra]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = {
        "corpus": kind,
        "n": n,
        "exit": proc.returncode,
        "seconds": round(wall, 2),
        "cpu_seconds": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2),
        # ru_maxrss of children is the largest child so far: sizes run in increasing order.
        "peak_rss_mib": round(after.ru_maxrss / 1024, 1),
        "stderr": proc.stderr.strip().splitlines()[-1][:200] if proc.stderr.strip() else "",
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    if proc.returncode == 0 and out.exists():
        data = json.loads(out.read_text())
        res["passages"] = len(data.get("passages", []))
        res["pairs"] = len(data.get("pairs", []))
        res["output_bytes"] = out.stat().st_size
    print(json.dumps(res), file=sys.stderr, flush=True)
    return res


CASES = [
    ("templated-paragraphs", (5000, 10000)),
    ("templated-files", (5000, 10000)),
    ("repeated-lines", (100000, 1000000)),
]


def render(results: list[dict], load_before: str) -> str:
    lines = [f"Load average before: {load_before}; bound: {BOUND_MIB:,} MiB peak RSS, linear in the input", ""]
    lines.append("| corpus | size | exit | seconds | CPU s | peak RSS MiB | passages | pairs | JSON bytes | load |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        lines.append(
            f"| {r['corpus']} | {r['n']:,} | {r['exit']} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | "
            f"{r['peak_rss_mib']:.0f} | {r.get('passages', '-')} | {r.get('pairs', '-')} | "
            f"{r.get('output_bytes', '-')} | {r['load'].split()[0]} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work-dir", default="/tmp/dedup-bench-bounds")
    ap.add_argument("--out", default=str(HERE / "results" / "bench_bounds.json"))
    ap.add_argument("--only", default="", help="comma-separated corpus kinds to run")
    args = ap.parse_args()
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    only = {x for x in args.only.split(",") if x}
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results = []
    for kind, sizes in CASES:
        if only and kind not in only:
            continue
        for n in sizes:
            # One process per row (ru_maxrss of children is a maximum over all of them).
            proc = subprocess.run(
                [sys.executable, __file__, "--row", kind, str(n), "--work-dir", str(work)],
                capture_output=True,
                text=True,
                check=False,
            )
            sys.stderr.write(proc.stderr)
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    table = render(results, load_before)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"load_before": load_before, "results": results, "table": table}, indent=2) + "\n")
    print(table)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--row":
        kind, n, work = sys.argv[2], int(sys.argv[3]), Path(sys.argv[5])
        print(json.dumps(run(kind, n, work)))
    else:
        main()
