"""Spark local throughput vs local ``dedup.scan`` on the same generated corpus.

For each corpus size, side by side in one process:

1. ``dedup.scan`` (the local pipeline) on the folder, with the same settings as
   the Spark job: ``--tiers all`` (default) runs every tier (boilerplate,
   alignment, same-story), ``--tiers copy`` the copy tiers only
   (``story=False, boilerplate=False, align=False``);
2. ``dedup.spark.spark_scan`` on the same folder in a warm local Spark session
   (a small warm-up scan runs first), with the event log on, so the shuffle
   bytes/records of the measured run are read from Spark's own task metrics;
   the resident memory of the JVM and of the Python workers is sampled
   every 0.2 s while it runs.

The Spark output is checked to equal the local result (documents, pairs,
passages, clusters, boilerplate). Figures are printed as a table and written
as JSON (with the machine's load average at the start and end of each run).

    python benchmarks/bench_spark.py --docs 2000 8000 --master 'local[2]' --json benchmarks/results_spark.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import dedup
from dedup import Config
from dedup.spark import SparkOptions, read_jsonl_dataset, spark_scan
from tests.corpus_gen import CorpusGenerator


def write_corpus(folder: str, n_docs: int, seed: int) -> int:
    docs = CorpusGenerator(seed=seed).corpus(n_docs)
    for name, text in docs.items():
        with open(os.path.join(folder, name), "w", encoding="utf-8") as fh:
            fh.write(text)
    return len(docs)


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


class MemorySampler(threading.Thread):
    """Peak RSS of the Spark JVM and of the PySpark worker processes (summed)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop_flag = threading.Event()
        self.jvm_peak = 0.0
        self.workers_peak = 0.0
        self.worker_peak_single = 0.0

    def run(self) -> None:
        me = os.getpid()
        while not self.stop_flag.is_set():
            jvm = 0.0
            workers: list[float] = []
            for entry in os.listdir("/proc"):
                if not entry.isdigit() or int(entry) == me:
                    continue
                cmd = _cmdline(int(entry))
                if "org.apache.spark" in cmd and "java" in cmd:
                    jvm += _rss_mb(int(entry))
                elif "pyspark.daemon" in cmd or "pyspark/daemon" in cmd or "pyspark.worker" in cmd:
                    workers.append(_rss_mb(int(entry)))
            self.jvm_peak = max(self.jvm_peak, jvm)
            self.workers_peak = max(self.workers_peak, sum(workers))
            if workers:
                self.worker_peak_single = max(self.worker_peak_single, max(workers))
            time.sleep(0.2)


def shuffle_metrics(event_dir: str, group: str) -> dict[str, int]:
    """Shuffle bytes/records written by the jobs of one job group (from the event log)."""
    stages: set[int] = set()
    written = records = read = 0
    tasks: list[dict] = []
    names: dict[int, str] = {}
    files = [os.path.join(root, f) for root, _, names in os.walk(event_dir) for f in names if not f.startswith(".")]
    for path in sorted(files):
        if "appstatus" in os.path.basename(path):
            continue
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                e = json.loads(line)
                if e["Event"] == "SparkListenerJobStart":
                    if (e.get("Properties") or {}).get("spark.jobGroup.id") == group:
                        stages.update(e.get("Stage IDs", []))
                elif e["Event"] == "SparkListenerTaskEnd":
                    tasks.append(e)
                elif e["Event"] == "SparkListenerStageSubmitted":
                    info = e["Stage Info"]
                    name = info.get("Stage Name", "")
                    names[info["Stage ID"]] = name.split(" at ")[0] + " @ " + os.path.basename(name.split(" at ")[-1])
    by_stage: dict[str, int] = {}
    for e in tasks:
        if e.get("Stage ID") not in stages:
            continue
        m = e.get("Task Metrics") or {}
        w = m.get("Shuffle Write Metrics") or {}
        r = m.get("Shuffle Read Metrics") or {}
        key = names.get(e["Stage ID"], "?")
        by_stage[key] = by_stage.get(key, 0) + int(w.get("Shuffle Bytes Written", 0))
        written += int(w.get("Shuffle Bytes Written", 0))
        records += int(w.get("Shuffle Records Written", 0))
        read += int(r.get("Remote Bytes Read", 0)) + int(r.get("Local Bytes Read", 0))
    top = dict(sorted(((k, v) for k, v in by_stage.items() if v), key=lambda kv: -kv[1])[:8])
    return {
        "shuffle_bytes_written": written,
        "shuffle_batches_written": records,  # PySpark writes pickled batches, not single records
        "shuffle_bytes_read": read,
        "shuffle_bytes_by_stage": top,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, nargs="+", default=[2000, 8000])
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--json", default=None, help="Write the figures to this JSON file.")
    ap.add_argument("--tiers", choices=("all", "copy"), default="all", help="Every tier, or the copy tiers only.")
    args = ap.parse_args()

    from pyspark.sql import SparkSession

    work = tempfile.mkdtemp(prefix="dedup-bench-spark-")
    events = os.path.join(work, "events")
    os.makedirs(events)
    spark = (
        SparkSession.builder.master(args.master)
        .appName("dedup-bench-spark")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.eventLog.enabled", "true")
        .config("spark.eventLog.dir", "file://" + events)
        .config("spark.eventLog.compress", "false")
        .config("spark.eventLog.rolling.enabled", "false")
        .config("spark.pyspark.python", sys.executable)
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    opts = SparkOptions(partitions=args.partitions, overwrite=True)
    config = Config() if args.tiers == "all" else Config(story=False, boilerplate=False, align=False)
    rows = []
    try:
        warm = os.path.join(work, "warm")
        os.makedirs(warm)
        write_corpus(warm, 200, seed=99)
        spark_scan(warm, os.path.join(work, "out-warm"), config, options=opts, spark=spark)
        for n in args.docs:
            folder = os.path.join(work, f"c{n}")
            os.makedirs(folder)
            n_docs = write_corpus(folder, n, args.seed)
            load_start = os.getloadavg()[0]
            t0 = time.perf_counter()
            local = dedup.scan(folder, config=config)
            local_s = time.perf_counter() - t0
            paragraphs = sum(local.paragraph_counts.values())

            group = f"measured-{n}"
            spark.sparkContext.setJobGroup(group, f"spark_scan of {n} documents")
            sampler = MemorySampler()
            sampler.start()
            t0 = time.perf_counter()
            out = os.path.join(work, f"out-{n}")
            summary = spark_scan(folder, out, config, options=opts, spark=spark)
            spark_s = time.perf_counter() - t0
            sampler.stop_flag.set()
            sampler.join()
            local_d = local.to_dict()
            for name in ("documents", "pairs", "passages", "clusters", "boilerplate"):
                assert read_jsonl_dataset(out, name) == local_d[name], f"{name} differ at {n} documents"
            time.sleep(1.0)  # let the event log flush
            shuffle = shuffle_metrics(events, group)
            row = {
                "tiers": args.tiers,
                "load_average": [round(load_start, 1), round(os.getloadavg()[0], 1)],
                "documents": n_docs,
                "paragraphs": paragraphs,
                "fingerprinted_paragraphs": summary.counts["fingerprinted_paragraphs"],
                "distinct_paragraphs": summary.counts["distinct_paragraphs"],
                "pairs": len(local.pairs),
                "passages": len(local.passages),
                "clusters": len(local.clusters),
                "local_seconds": round(local_s, 2),
                "spark_seconds": round(spark_s, 2),
                "local_paragraphs_per_s": round(paragraphs / local_s),
                "spark_paragraphs_per_s": round(paragraphs / spark_s),
                "spark_over_local_time": round(spark_s / local_s, 1),
                **shuffle,
                "shuffle_bytes_per_paragraph": round(shuffle["shuffle_bytes_written"] / paragraphs),
                "persisted_bytes": summary.counts["persisted_bytes"],
                "persisted_bytes_per_paragraph": round(summary.counts["persisted_bytes"] / paragraphs),
                "jvm_peak_rss_mb": round(sampler.jvm_peak),
                "python_workers_peak_rss_mb": round(sampler.workers_peak),
                "python_worker_peak_rss_mb": round(sampler.worker_peak_single),
                "equal_to_local": True,
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)
    cols = [
        ("documents", "docs"),
        ("paragraphs", "paras"),
        ("local_paragraphs_per_s", "local p/s"),
        ("spark_paragraphs_per_s", "spark p/s"),
        ("spark_over_local_time", "spark/local"),
        ("shuffle_bytes_per_paragraph", "shuffle B/para"),
        ("persisted_bytes_per_paragraph", "cached B/para"),
        ("python_worker_peak_rss_mb", "py worker MB"),
        ("jvm_peak_rss_mb", "JVM MB"),
    ]
    print(" | ".join(h for _, h in cols))
    for r in rows:
        print(" | ".join(str(r[k]) for k, _ in cols))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            meta = {"master": args.master, "partitions": args.partitions, "cpus": os.cpu_count()}
            json.dump({**meta, "runs": rows}, fh, indent=2)
            fh.write("\n")


if __name__ == "__main__":
    main()
