"""Benchmark: dedup's copy tiers against real MinHash deduplication tools, on the same paragraphs.

One command (from the repository root)::

    PYTHONPATH=. python benchmarks/bench_peers.py --docs 2000 --rounds 3 --out benchmarks/results/bench_peers.json

The paragraphs of ``corpus.py``'s bench corpus (split at blank lines, as
``bench_scan.py``'s datasketch reference reads them) are written once as JSON
Lines (``{"id": "FILE:K", "text": ...}``), and every contender deduplicates
that file, each run in its own process, rounds alternating the contenders:

* ``dedup``: ``Detector(threshold=0.5, shingle_size=3, num_perm=128,
  story=False, boilerplate=False, align=False)`` over the JSON Lines file, one
  document per paragraph (the copy tiers at the reference's settings, without
  sub-paragraph alignment, which the peers do not do), ``--jobs 1``;
* ``datatrove``: HuggingFace datatrove's MinHash pipeline (its four stages:
  signatures, buckets, clusters, filter) run by its ``LocalPipelineExecutor``
  with one task, word 3-grams, 25 buckets x 5 hashes (dedup's banding for
  0.5 and 128 permutations); its English word tokenizer needs NLTK, so a
  ``\\w+`` tokenizer (the reference's) is passed instead;
* ``text-dedup``: ``python -m text_dedup.minhash`` (HuggingFace ``datasets``
  under the hood, offline), word 3-grams, 128 permutations, ``--b 25 --r 5``,
  threshold 0.5, ``--num_proc 1``.

The peers stop at LSH buckets (no exact Jaccard check of candidates); dedup
verifies every candidate exactly and also builds passages, pairs and
clusters. Time and CPU are of the whole process (imports and start-up
included), CPU from ``getrusage`` of the finished child and its own children.
The reported figure is the median over rounds of each peer's time over dedup's
in the same round. Outputs are summarised as the number of paragraphs each
tool would drop (members of a duplicate group beyond the first).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

THRESHOLD = 0.5
NGRAM = 3
NUM_PERM = 128
BANDS, ROWS = 25, 5  # dedup.lsh.lsh_params(0.5, 128)


def write_paragraphs(corpus: str, dest: Path) -> int:
    """The corpus's paragraphs (split at blank lines) as JSON Lines; returns their number."""
    n = 0
    with dest.open("w", encoding="utf-8") as out:
        for name in sorted(f for f in os.listdir(corpus) if f.endswith(".txt")):
            with open(os.path.join(corpus, name), encoding="utf-8") as fh:
                for k, p in enumerate(x.strip() for x in fh.read().split("\n\n")):
                    if p:
                        out.write(json.dumps({"id": f"{name}:{k}", "text": p}) + "\n")
                        n += 1
    return n


# ----------------------------------------------------------------------------- children


def run_dedup(jsonl: str, work: str) -> dict:
    from dedup.detector import Detector
    from dedup.io.sources import ReaderOptions

    det = Detector(
        jobs=1,
        threshold=THRESHOLD,
        shingle_size=NGRAM,
        num_perm=NUM_PERM,
        story=False,
        boilerplate=False,
        align=False,
    )
    det.add_paths([jsonl], options=ReaderOptions(max_file_size=1 << 34))
    result = det.run()
    dropped = sum(len(c.members) - 1 for c in result.clusters)
    return {"documents": len(result.documents), "dropped": dropped, "pairs": len(result.pairs)}


def run_datatrove(jsonl: str, work: str) -> dict:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.hashing import HashConfig
    from datatrove.utils.word_tokenizers import WordTokenizer

    word = re.compile(r"\w+")

    class Words(WordTokenizer):
        """``\\w+`` words (datatrove's English tokenizer needs NLTK)."""

        def word_tokenize(self, text: str) -> list[str]:
            return word.findall(text)

        def sent_tokenize(self, text: str) -> list[str]:
            return [text]

        def span_tokenize(self, text: str) -> list[tuple[int, int]]:
            return [m.span() for m in word.finditer(text)]

    folder, name = os.path.split(jsonl)
    cfg = MinhashConfig(
        n_grams=NGRAM, num_buckets=BANDS, hashes_per_bucket=ROWS, hash_config=HashConfig(precision=64, hash_fc="sha1")
    )
    base = Path(work)

    def reader():
        return JsonlReader(folder, glob_pattern=name, text_key="text", id_key="id")

    stages = [
        [reader(), MinhashDedupSignature(output_folder=str(base / "sigs"), config=cfg, language=Words())],
        [MinhashDedupBuckets(input_folder=str(base / "sigs"), output_folder=str(base / "buckets"), config=cfg)],
        [MinhashDedupCluster(input_folder=str(base / "buckets"), output_folder=str(base / "remove_ids"), config=cfg)],
        [
            reader(),
            MinhashDedupFilter(
                input_folder=str(base / "remove_ids"), exclusion_writer=JsonlWriter(str(base / "removed"))
            ),
            JsonlWriter(str(base / "kept")),
        ],
    ]
    for k, pipeline in enumerate(stages):
        tasks = BANDS if k == 1 else 1
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=str(base / f"logs{k}")).run()
    dropped = 0
    for path in (base / "removed").glob("*"):
        import gzip

        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            dropped += sum(1 for line in fh if line.strip())
    return {"dropped": dropped}


def run_text_dedup(jsonl: str, work: str) -> dict:
    out = Path(work) / "out"
    cmd = [sys.executable, "-m", "text_dedup.minhash", "--path", "json", "--data_files", jsonl, "--split", "train"]
    cmd += ["--cache_dir", str(Path(work) / "cache"), "--output", str(out), "--column", "text"]
    cmd += ["--ngram", str(NGRAM), "--num_perm", str(NUM_PERM), "--threshold", str(THRESHOLD)]
    cmd += ["--b", str(BANDS), "--r", str(ROWS), "--num_proc", "1", "--min_length", "0"]
    env = dict(os.environ, HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", TQDM_DISABLE="1", COLUMNS="250")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError((proc.stderr or proc.stdout).strip().splitlines()[-1])
    # Its log (rich) ends with "Before : N" and "After : M"; a wide COLUMNS keeps each on one line.
    log = proc.stderr + proc.stdout
    before = re.search(r"Before\s*:\s*(?:\S+\.py:\d+\s*)?(\d+)", log)
    after = re.search(r"After\s*:\s*(?:\S+\.py:\d+\s*)?(\d+)", log)
    dropped = int(before.group(1)) - int(after.group(1)) if before and after else None
    return {"dropped": dropped}


CONTENDERS = {"dedup": run_dedup, "datatrove": run_datatrove, "text-dedup": run_text_dedup}


def child(name: str, jsonl: str) -> None:
    work = tempfile.mkdtemp(prefix=f"peer-{name}-")
    try:
        res = CONTENDERS[name](jsonl, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(res))


# ----------------------------------------------------------------------------- parent


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def spawn(name: str, jsonl: str) -> dict:
    """One contender in its own process: wall and CPU seconds of the process (start-up included)."""
    cmd = [sys.executable, __file__, "--child", name, "--jsonl", jsonl]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    c0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if proc.returncode != 0:
        err = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"
        res = {"error": err}
    else:
        res = json.loads(proc.stdout.strip().splitlines()[-1])
    res.update(seconds=round(wall, 3), cpu_seconds=round(cpu, 3), peak_rss_children_mib_so_far=round(peak))
    print(f"  {name:<10} {json.dumps(res)}", file=sys.stderr, flush=True)
    return res


def render(out: dict) -> str:
    lines = [
        "| paragraphs | contender | seconds (median) | CPU s (median) | paragraphs dropped | "
        "time / dedup's (median of rounds) | CPU / dedup's | load average after each round |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for size in out["sizes"]:
        rounds = size["rounds"]
        loads = ", ".join(r["load"].split()[0] for r in rounds)
        for name in size["contenders"]:
            ok = [r[name] for r in rounds if "error" not in r[name]]
            if not ok:
                lines.append(f"| {size['paragraphs']:,} | {name} | failed: {rounds[0][name]['error']} | | | | | |")
                continue
            sec = statistics.median(r["seconds"] for r in ok)
            cpu = statistics.median(r["cpu_seconds"] for r in ok)
            both = [r for r in rounds if "error" not in r[name] and "error" not in r["dedup"]]
            wr = statistics.median(r[name]["seconds"] / r["dedup"]["seconds"] for r in both) if both else float("nan")
            cr = statistics.median(r[name]["cpu_seconds"] / r["dedup"]["cpu_seconds"] for r in both) if both else 0
            lines.append(
                f"| {size['paragraphs']:,} | {name} | {sec:.2f} | {cpu:.2f} | {ok[0].get('dropped')} | "
                f"{wr:.2f}x | {cr:.2f}x | {loads} |"
            )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description="dedup copy tiers vs datatrove and text-dedup MinHash")
    ap.add_argument("--docs", default="2000", help="bench corpus sizes in documents, comma-separated")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--contenders", default="dedup,datatrove,text-dedup")
    ap.add_argument("--work-dir", default="/tmp/dedup-bench")
    ap.add_argument("--out", default=str(HERE / "results" / "bench_peers.json"))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--jsonl", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.jsonl)
        return
    from bench_scan import ensure_corpus

    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    names = [x.strip() for x in args.contenders.split(",") if x.strip()]
    if "dedup" not in names:
        names.insert(0, "dedup")
    out: dict = {"load_before": _load(), "cpus": os.cpu_count(), "sizes": []}
    for docs in [int(x) for x in args.docs.split(",") if x.strip()]:
        corpus = ensure_corpus(work, docs, args.seed)
        jsonl = work / f"paragraphs-{docs}-{args.seed}.jsonl"
        n = write_paragraphs(corpus, jsonl)
        rounds = []
        for k in range(args.rounds):
            # Alternate the order of the contenders from one round to the next.
            order = names if k % 2 == 0 else names[::-1]
            res = {name: spawn(name, str(jsonl)) for name in order}
            res["load"] = _load()
            rounds.append(res)
        out["sizes"].append({"documents": docs, "paragraphs": n, "contenders": names, "rounds": rounds})
    out["load_after"] = _load()
    out["settings"] = {"threshold": THRESHOLD, "ngram_words": NGRAM, "num_perm": NUM_PERM, "bands": BANDS, "rows": ROWS}
    out["table"] = render(out)
    dest = Path(args.out)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    print(out["table"])


if __name__ == "__main__":
    main()
