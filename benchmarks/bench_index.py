"""Benchmark: incremental adds and checks on a persistent index of >= 100,000 paragraphs.

Documents are synthesised from the sentences of the Lee background corpus
(``../shared/eval-data/lee/lee_background.cor``, real news text): each document
has 8-12 paragraphs of 3-5 sentences drawn with a seeded RNG, so paragraphs are
realistic news prose, mostly distinct, with sentences recurring across
documents as in syndicated news.

Measured, in one run:

* time to add each batch of 1,000 documents, against the index size before it
  (the first batch goes into an empty index: the "1,000 docs cost" reference);
* time to check 1,000 new documents (50 of them re-published copies of indexed
  documents with one paragraph rewritten) at several index sizes;
* bytes on disk per indexed paragraph (after a WAL checkpoint);
* time to open the full index (including ``PRAGMA quick_check``).

Each check is also compared with the time to fingerprint the same 1,000
documents alone (``prepare``), measured right before it: the part of a check
that does not depend on the index.

Usage::

    PYTHONPATH=. python benchmarks/bench_index.py [--batches 11] [--out benchmarks/results_index.json]

``--add-ratio`` runs only the add-cost comparison (a few minutes): one add
of ``--base-docs`` documents (about 10.6 paragraphs each, so 10,000 make an
index of about 106k paragraphs), then ``--repeats`` times: 1,000 new
documents added into that index and the same 1,000 into an empty index,
each timed whole (``Index.add``) and store-only (the prepared batch's
``IndexStore.add``). The median ratios are written to
``benchmarks/results_index_add.json`` with the machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dedup.check import Index, check
from dedup.config import Config
from dedup.models import Document
from dedup.paragraphs import prepare

LEE = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "eval-data", "lee", "lee_background.cor")
DOCS_PER_BATCH = 1000


def sentences(path: str) -> list[str]:
    with open(path, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    out = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 6]
    return sorted(set(out))


def make_doc(rng: random.Random, pool: list[str], doc_id: str) -> Document:
    paras = []
    for _ in range(rng.randint(8, 12)):
        paras.append(" ".join(rng.choice(pool) for _ in range(rng.randint(3, 5))))
    return Document(doc_id, "\n\n".join(paras) + "\n")


def republish(rng: random.Random, pool: list[str], doc: Document, doc_id: str) -> Document:
    paras = doc.text.strip().split("\n\n")
    paras[rng.randrange(len(paras))] = " ".join(rng.choice(pool) for _ in range(4))
    return Document(doc_id, "Reprinted from our partners\n\n" + "\n\n".join(paras) + "\n")


def disk_bytes(path: str) -> int:
    return sum(os.path.getsize(p) for p in (path, path + "-wal", path + "-shm") if os.path.exists(p))


def add_ratio(args: argparse.Namespace, pool: list[str]) -> None:
    """``index add`` of 1,000 documents into a big index vs into an empty one."""
    import statistics

    rng = random.Random(args.seed)
    cfg = Config()
    tmp = tempfile.mkdtemp(prefix="dedup-bench-add-")
    big = os.path.join(tmp, "big.dedup")
    load_before = os.getloadavg()
    base = [make_doc(rng, pool, f"base/d{i:05d}") for i in range(args.base_docs)]
    t = time.perf_counter()
    with Index.open(big, cfg) as idx:
        idx.add(base)
        base_info = idx.info()
    build = time.perf_counter() - t
    print(f"base index: {base_info.documents} docs, {base_info.paragraphs} paragraphs, built in {build:.1f}s")
    rows = []
    for r in range(args.repeats):
        # Fresh content for each timing: batch A times the store alone, batch B the whole add.
        batch_a = [make_doc(rng, pool, f"new{r}/a{i:04d}") for i in range(DOCS_PER_BATCH)]
        batch_b = [make_doc(rng, pool, f"new{r}/b{i:04d}") for i in range(DOCS_PER_BATCH)]
        row: dict[str, float] = {"repeat": r + 1}
        for name in ("empty", "big"):
            path = big if name == "big" else os.path.join(tmp, f"empty{r}.dedup")
            with Index.open(path, cfg) as idx:
                if name == "big":
                    row["big_index_paragraphs"] = idx.info().paragraphs
                prepared = idx._batch(batch_a, {})
                t = time.perf_counter()
                idx.store.add(prepared)
                row[f"store_seconds_{name}"] = round(time.perf_counter() - t, 3)
                t = time.perf_counter()
                idx.add(batch_b)
                row[f"add_seconds_{name}"] = round(time.perf_counter() - t, 3)
        row["ratio_add"] = round(row["add_seconds_big"] / row["add_seconds_empty"], 3)
        row["ratio_store"] = round(row["store_seconds_big"] / row["store_seconds_empty"], 3)
        rows.append(row)
        print(json.dumps(row))
    load_after = os.getloadavg()
    result = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "load_average_1_5_15_before": [round(x, 2) for x in load_before],
        "load_average_1_5_15_after": [round(x, 2) for x in load_after],
        "corpus": "lee_background.cor sentences recombined (seeded)",
        "base_documents": base_info.documents,
        "base_paragraphs": base_info.paragraphs,
        "base_build_seconds": round(build, 1),
        "repeats": rows,
        "median_ratio_add": round(statistics.median(r["ratio_add"] for r in rows), 3),
        "median_ratio_store": round(statistics.median(r["ratio_store"] for r in rows), 3),
    }
    out = os.path.join(os.path.dirname(__file__), "results_index_add.json")
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=2)
        fh.write("\n")
    print(
        f"median ratio big/empty: add {result['median_ratio_add']}, store {result['median_ratio_store']}; "
        f"load {load_before[0]:.1f} -> {load_after[0]:.1f}; wrote {out}"
    )
    for name in os.listdir(tmp):
        os.remove(os.path.join(tmp, name))
    os.rmdir(tmp)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, default=11, help="batches of 1,000 documents to add")
    ap.add_argument("--check-at", default="1,6,11", help="batch counts after which to time a check")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results_index.json"))
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--add-ratio", action="store_true", help="only compare adds into a big and an empty index")
    ap.add_argument("--base-docs", type=int, default=10_000, help="documents of the big index (--add-ratio)")
    ap.add_argument("--repeats", type=int, default=3, help="timed add pairs (--add-ratio)")
    args = ap.parse_args()
    if not os.path.exists(LEE):
        sys.exit(f"missing {LEE}")
    pool = sentences(LEE)
    if args.add_ratio:
        add_ratio(args, pool)
        return
    rng = random.Random(args.seed)
    check_at = {int(x) for x in args.check_at.split(",")}
    cfg = Config()
    tmp = tempfile.mkdtemp(prefix="dedup-bench-")
    path = os.path.join(tmp, "bench.dedup")
    indexed: list[Document] = []
    adds = []
    checks = []
    print(f"sentence pool: {len(pool)}; index: {path}")
    with Index.open(path, cfg) as idx:
        for b in range(args.batches):
            batch = [make_doc(rng, pool, f"b{b:02d}/d{i:04d}") for i in range(DOCS_PER_BATCH)]
            before = idx.info()
            t = time.perf_counter()
            stats = idx.add(batch)
            dt = time.perf_counter() - t
            assert len(stats.added) == DOCS_PER_BATCH
            indexed.extend(batch)
            after = idx.info()
            adds.append(
                {
                    "batch": b + 1,
                    "index_paragraphs_before": before.paragraphs,
                    "index_documents_before": before.documents,
                    "new_paragraphs": after.paragraphs - before.paragraphs,
                    "seconds": round(dt, 3),
                }
            )
            print(f"add #{b + 1}: index {before.paragraphs:>7} paragraphs -> +{DOCS_PER_BATCH} docs in {dt:.2f}s")
            if b + 1 in check_at:
                crng = random.Random(f"check-{args.seed}-{b}")
                originals = crng.sample(indexed, 50)
                new = [republish(crng, pool, d, f"new/r{i:03d}") for i, d in enumerate(originals)]
                new += [make_doc(crng, pool, f"new/f{i:04d}") for i in range(DOCS_PER_BATCH - len(new))]
                t = time.perf_counter()
                prepare(new, cfg)  # the fingerprinting a check does anyway (index-independent)
                dt_prepare = time.perf_counter() - t
                t = time.perf_counter()
                res = check(new, idx)
                dt = time.perf_counter() - t
                hit = sum(1 for i in range(50) if f"new/r{i:03d}" in {x for f in res.findings for x in (f.a, f.b)})
                checks.append(
                    {
                        "after_batch": b + 1,
                        "index_paragraphs": after.paragraphs,
                        "new_documents": len(new),
                        "seconds": round(dt, 3),
                        "seconds_fingerprinting_alone": round(dt_prepare, 3),
                        "republished_found": hit,
                        "passages": len(res.result.passages),
                        "findings": len(res.findings),
                        "indexed_documents_in_result": sum(1 for d in res.result.documents if d.meta.get("indexed")),
                    }
                )
                print(
                    f"check 1,000 new vs {after.paragraphs:>7} paragraphs: {dt:.2f}s "
                    f"(fingerprinting alone {dt_prepare:.2f}s), "
                    f"{hit}/50 re-published found, {len(res.findings)} findings"
                )
        idx.store.checkpoint()  # type: ignore[attr-defined]
        info = idx.info()
    size = disk_bytes(path)
    t = time.perf_counter()
    with Index.open(path, cfg, verify="quick"):
        pass
    open_quick = time.perf_counter() - t
    t = time.perf_counter()
    with Index.open(path, cfg, verify="none"):
        pass
    open_none = time.perf_counter() - t
    first, last = adds[0]["seconds"], adds[-1]["seconds"]
    result = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "corpus": "lee_background.cor sentences recombined (seeded)",
        "settings": cfg.to_dict(),
        "final_index": {
            "documents": info.documents,
            "paragraphs": info.paragraphs,
            "distinct_paragraphs": info.groups,
            "band_entries": info.band_entries,
            "bytes_on_disk": size,
            "bytes_per_paragraph": round(size / max(1, info.paragraphs), 1),
        },
        "adds": adds,
        "add_ratio_last_vs_first": round(last / first, 2),
        "checks": checks,
        "open_seconds_quick_check": round(open_quick, 3),
        "open_seconds_no_check": round(open_none, 3),
    }
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=2)
        fh.write("\n")
    print(json.dumps({k: result[k] for k in ("final_index", "add_ratio_last_vs_first")}, indent=2))
    print(f"open: quick_check {open_quick:.2f}s, none {open_none:.3f}s; wrote {args.out}")
    os.remove(path)


if __name__ == "__main__":
    main()
