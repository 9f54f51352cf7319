"""Ctrl-C latency: time from SIGINT (to the process group) to exit, at several moments.

Usage: ``PYTHONPATH=. python benchmarks/interrupt_latency.py [--docs 2000] [--repeat 3]``

Moments: while the workers import (``-j 0``), while they fingerprint
(``-j 0``), in the single-process stages after fingerprinting, and
mid-fingerprinting with ``-j 1``. Prints, per moment, the exit codes, the
stderr lines after the signal, and the latency (max over repeats). Goal:
exit 130, one line, under 2 s.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_corpus(folder: Path, n: int) -> None:
    rng = random.Random(7)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrst") for _ in range(rng.randint(3, 9))) for _ in range(5000)]
    shared = [" ".join(rng.choices(vocab, k=120)) for _ in range(300)]
    for i in range(n):
        paras = [" ".join(rng.choices(vocab, k=160)) for _ in range(8)]
        if i % 3 == 0:
            paras[rng.randrange(8)] = rng.choice(shared)
        (folder / f"d{i:05d}.txt").write_text("\n\n".join(paras))


def _pre() -> None:
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def worker_cpu(pid: int) -> list[float]:
    tick = os.sysconf("SC_CLK_TCK")
    out = []
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    for k in kids:
        try:
            f = Path(f"/proc/{k}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out.append((int(f[11]) + int(f[12])) / tick)
    return sorted(out)[-2:]


def one(corpus: Path, jobs: str, moment: str) -> tuple[int, int, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.Popen(
        [sys.executable, "-m", "dedup", "scan", "--progress", "-j", jobs, "--format", "json", str(corpus)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_pre,
        env=env,
    )
    lines: list[str] = []
    t = threading.Thread(target=lambda: lines.extend(p.stderr), daemon=True)  # type: ignore[arg-type]
    t.start()
    want = "Fingerprinting done" if moment == "later stages" else "Fingerprinting ..."
    while not any(want in ln for ln in lines):
        time.sleep(0.01)
    if moment == "workers importing":
        while not (len(c := worker_cpu(p.pid)) == 2 and c[0] >= 0.1):
            time.sleep(0.01)
    elif moment == "workers busy":
        while not (len(c := worker_cpu(p.pid)) == 2 and c[0] >= 0.7):
            time.sleep(0.01)
    elif moment == "fingerprinting":
        time.sleep(0.3)
    before = len(lines)
    t0 = time.monotonic()
    os.killpg(p.pid, signal.SIGINT)
    p.wait()
    latency = time.monotonic() - t0
    t.join()
    return p.returncode, len([ln for ln in lines[before:] if ln.strip()]), latency


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp)
        make_corpus(corpus, args.docs)
        print(f"load: {os.getloadavg()[0]:.2f} (1-min), {os.cpu_count()} cores, {args.docs} documents")
        print(f"{'moment':<22} {'jobs':>4}  exit codes      lines  max latency")
        for jobs, moment in (
            ("0", "workers importing"),
            ("0", "workers busy"),
            ("0", "later stages"),
            ("1", "fingerprinting"),
        ):
            runs = [one(corpus, jobs, moment) for _ in range(args.repeat)]
            codes = ",".join(str(r[0]) for r in runs)
            nlines = ",".join(str(r[1]) for r in runs)
            print(f"{moment:<22} {jobs:>4}  {codes:<15} {nlines:<6} {max(r[2] for r in runs):.2f} s")


if __name__ == "__main__":
    main()
