"""Benchmark: dedup against what a datasketch user writes, side by side in one run.

One command::

    python benchmarks/bench_scan.py            # full run (see benchmarks/README.md)
    python benchmarks/bench_scan.py --quick    # small smoke run

It generates the corpus (``benchmarks/corpus.py``: Lee news sentences
recombined into ~10-paragraph articles, with planted copies), then runs every
contender in its own subprocess (so peak RSS is measured cleanly) on the same
files:

* ``reference``: per paragraph ``MinHash()`` + ``update`` per shingle (default
  sha1 hash), ``MinHashLSH`` insert then query, exact Jaccard verification of
  every candidate with Python sets;
* ``datasketch-bulk``: the same with ``MinHash.bulk`` (``update_batch``) and an
  LSH insertion session;
* ``rensa``: ``RMinHash`` per paragraph (Rust) + ``RMinHashLSH``, same exact
  verification;
* ``dedup-jobs1`` / ``dedup-jobsN``: ``Detector(jobs=...).add_paths(...).run()``
  (which also builds passages, pairs and clusters), with the numba kernels when
  numba (the ``fast`` extra) is installed; ``dedup-jobs1-numpy`` forces the
  numpy path (``DEDUP_NO_NUMBA=1``).

Every contender reads the files, splits paragraphs, tokenizes, shingles (word
3-grams), signs (128 permutations), runs LSH at threshold 0.5 and verifies
candidates exactly. Also measured: signature throughput alone (token lists to
signatures) for each MinHash implementation (rensa both from the same token
lists and from pre-built shingle strings; dedup with numba and with numpy),
the shingle hashing step against bare loops of candidate hash functions over
the same bytes, and dedup's scaling from 10k to 1M paragraphs. Results: a table on stdout and JSON.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

NUM_PERM = 128
THRESHOLD = 0.5
SHINGLE = 3
_WORD_RE = re.compile(r"\w+")


# ----------------------------------------------------------------------------- helpers


def _files(corpus: str) -> list[str]:
    return sorted(os.path.join(corpus, f) for f in os.listdir(corpus) if f.endswith(".txt"))


def _read_paragraphs(corpus: str, limit: int | None) -> list[str]:
    """What a user writes: read files, split at blank lines."""
    paras: list[str] = []
    for path in _files(corpus):
        with open(path, encoding="utf-8") as fh:
            for p in fh.read().split("\n\n"):
                p = p.strip()
                if p:
                    paras.append(p)
        if limit and len(paras) >= limit:
            break
    return paras


def _tokens(p: str) -> list[str]:
    return _WORD_RE.findall(p.lower())


def _shingles(toks: list[str]) -> list[str]:
    if len(toks) < SHINGLE:
        return [" ".join(toks)]
    return [" ".join(toks[i : i + SHINGLE]) for i in range(len(toks) - SHINGLE + 1)]


def _query_all(lsh, mhs) -> set[tuple[int, int]]:
    """What a user writes after inserting every MinHash: query each one, keep the other keys."""
    cands = set()
    for i, m in enumerate(mhs):
        for j in lsh.query(m):
            if j != i:
                cands.add((min(i, j), max(i, j)))
    return cands


def _verify(cands: set[tuple[int, int]], sets: list[set[str]]) -> int:
    kept = 0
    for i, j in cands:
        a, b = sets[i], sets[j]
        inter = len(a & b)
        if inter / (len(a) + len(b) - inter) >= THRESHOLD:
            kept += 1
    return kept


def _best_seconds(fn, repeats: int = 3) -> float:
    """The fastest wall time of ``repeats`` calls of ``fn`` (other load only slows a run down)."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _numba_used() -> bool:
    """Whether dedup runs its numba kernels (``fast`` extra installed, no DEDUP_NO_NUMBA).

    They take over after a warm-up on the numpy path (``dedup._accel.WARMUP_UNITS``).
    """
    from dedup._accel import numba_available

    return os.environ.get("DEDUP_NO_NUMBA", "") in ("", "0") and numba_available()


def _cpu() -> float:
    """CPU seconds (user + system) of this process and its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _rss_mib() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, kids


# ----------------------------------------------------------------------------- contenders (child side)


def run_reference(corpus: str, limit: int | None) -> dict:
    from datasketch import MinHash, MinHashLSH

    t0, c0 = time.perf_counter(), _cpu()
    paras = _read_paragraphs(corpus, limit)
    sets = []
    mhs = []
    t_sig = 0.0
    for p in paras:
        sh = _shingles(_tokens(p))
        ts = time.perf_counter()
        m = MinHash(num_perm=NUM_PERM)
        for s in sh:
            m.update(s.encode("utf-8"))
        t_sig += time.perf_counter() - ts
        mhs.append(m)
        sets.append(set(sh))
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    for i, m in enumerate(mhs):
        lsh.insert(i, m)
    kept = _verify(_query_all(lsh, mhs), sets)
    return {
        "paragraphs": len(paras),
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": _cpu() - c0,
        "sig_seconds": t_sig,
        "matches": kept,
    }


def run_bulk(corpus: str, limit: int | None) -> dict:
    from datasketch import MinHash, MinHashLSH

    t0, c0 = time.perf_counter(), _cpu()
    paras = _read_paragraphs(corpus, limit)
    sh_lists = [[s.encode("utf-8") for s in _shingles(_tokens(p))] for p in paras]
    ts = time.perf_counter()
    mhs = MinHash.bulk(sh_lists, num_perm=NUM_PERM)
    t_sig = time.perf_counter() - ts
    sets = [set(x) for x in sh_lists]
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for i, m in enumerate(mhs):
            session.insert(i, m)
    kept = _verify(_query_all(lsh, mhs), sets)
    return {
        "paragraphs": len(paras),
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": _cpu() - c0,
        "sig_seconds": t_sig,
        "matches": kept,
    }


def run_rensa(corpus: str, limit: int | None) -> dict:
    from rensa import RMinHash, RMinHashLSH

    from dedup.lsh import lsh_params

    lsh_params(THRESHOLD, NUM_PERM)

    t0, c0 = time.perf_counter(), _cpu()
    paras = _read_paragraphs(corpus, limit)
    toks = [_tokens(p) for p in paras]
    # The shingle strings rensa hashes, built from the token lists (what dedup starts from).
    ts = time.perf_counter()
    sh_lists = [_shingles(t) for t in toks]
    t_strings = time.perf_counter() - ts
    ts = time.perf_counter()
    mhs = []
    for sh in sh_lists:
        m = RMinHash(num_perm=NUM_PERM, seed=1)
        m.update(sh)
        mhs.append(m)
    t_sig = time.perf_counter() - ts
    # rensa's bulk API (one call, digest matrix) as the native-speed anchor.
    ts, cs = time.perf_counter(), _cpu()
    RMinHash.digest_matrix_from_token_sets(sh_lists, NUM_PERM, 1)
    t_sig_matrix = time.perf_counter() - ts
    c_sig_matrix = _cpu() - cs
    sets = [set(x) for x in sh_lists]
    # rensa needs num_bands to divide num_perm: the divisor nearest datasketch's choice.
    bands, _rows = lsh_params(THRESHOLD, NUM_PERM)
    bands = min((b for b in range(1, NUM_PERM + 1) if NUM_PERM % b == 0), key=lambda b: abs(b - bands))
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=bands)
    for i, m in enumerate(mhs):
        lsh.insert(i, m)
    kept = _verify(_query_all(lsh, mhs), sets)
    return {
        "paragraphs": len(paras),
        "seconds": time.perf_counter() - t0 - t_sig_matrix,
        "cpu_seconds": _cpu() - c0 - c_sig_matrix,
        "sig_seconds": t_sig,
        "sig_matrix_seconds": t_sig_matrix,
        "shingle_strings_seconds": t_strings,
        "sig_from_tokens_seconds": t_strings + t_sig,
        "sig_matrix_from_tokens_seconds": t_strings + t_sig_matrix,
        "matches": kept,
    }


#: dedup settings for the side-by-side rows: the reference's MinHash/LSH
#: settings (threshold 0.5, word 3-shingles, 128 permutations), without the
#: same-story tier and boilerplate detection (work the reference does not do).
#: dedup still builds passages, document pairs and clusters.
SAME_SETTINGS = {
    "threshold": THRESHOLD,
    "shingle_size": SHINGLE,
    "num_perm": NUM_PERM,
    "story": False,
    "boilerplate": False,
}


def run_dedup(corpus: str, limit: int | None, jobs: int, defaults: bool = False) -> dict:
    from dedup.detector import Detector
    from dedup.lsh import lsh_params

    lsh_params(THRESHOLD, NUM_PERM)
    paths = _files(corpus)
    if limit:
        # The same documents the reference reads for its subsample.
        n = 0
        for k, path in enumerate(paths):
            with open(path, encoding="utf-8") as fh:
                n += sum(1 for p in fh.read().split("\n\n") if p.strip())
            if n >= limit:
                paths = paths[: k + 1]
                break
    t0, c0 = time.perf_counter(), _cpu()
    det = Detector(jobs=jobs) if defaults else Detector(jobs=jobs, **SAME_SETTINGS)
    det.add_paths(paths)
    result = det.run()
    seconds = time.perf_counter() - t0
    cpu = _cpu() - c0
    n_par = sum(result.paragraph_counts.values())
    return {
        "paragraphs": n_par,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "matches": len(result.passages),
        "pairs": len(result.pairs),
        "numba": _numba_used(),
    }


def run_dedup_signatures(corpus: str, limit: int | None) -> dict:
    """Signature throughput of dedup alone: token lists -> signatures."""
    import numpy as np

    from dedup.shingle import TokenHasher, shingles_for_flat_tokens
    from dedup.signatures import minhash_signatures

    paras = _read_paragraphs(corpus, limit)
    toks = [_tokens(p) for p in paras]
    toks = [t for t in toks if t]
    flat = [t for ts in toks for t in ts]
    lengths = np.array([len(t) for t in toks], dtype=np.int64)

    def sign_all() -> None:
        # Chunks as prepare() makes them (~1,600 paragraphs); fresh token cache.
        hasher = TokenHasher()
        pos = 0
        for s in range(0, len(toks), 1600):
            ln = lengths[s : s + 1600]
            n = int(ln.sum())
            batch = shingles_for_flat_tokens(flat[pos : pos + n], ln, SHINGLE, hasher)
            minhash_signatures(batch, NUM_PERM, 1)
            pos += n

    # The first call also loads (or, without a cache, compiles) the numba kernels.
    return {"paragraphs": len(toks), "sig_seconds": _best_seconds(sign_all), "numba": _numba_used()}


def run_hashing(corpus: str, limit: int | None) -> dict:
    """The shingle hashing step against bare loops of hash functions over the same bytes."""
    import numpy as np

    from dedup.shingle import TokenHasher, shingles_for_flat_tokens

    paras = _read_paragraphs(corpus, limit)
    toks = [t for t in (_tokens(p) for p in paras) if t]
    flat = [t for ts in toks for t in ts]
    lengths = np.array([len(t) for t in toks], dtype=np.int64)
    shingle_bytes = [s.encode("utf-8") for ts in toks for s in _shingles(ts)]
    token_bytes = [t.encode("utf-8") for t in flat]
    out: dict = {
        "paragraphs": len(toks),
        "shingles": len(shingle_bytes),
        "tokens": len(flat),
        "numba": _numba_used(),
    }
    best = _best_seconds

    blake2b, sha1 = hashlib.blake2b, hashlib.sha1
    out["bare_blake2b_shingles"] = best(lambda: [blake2b(s, digest_size=8).digest() for s in shingle_bytes])
    out["bare_sha1_shingles"] = best(lambda: [sha1(s).digest() for s in shingle_bytes])
    out["bare_blake2b_tokens"] = best(lambda: [blake2b(s, digest_size=8).digest() for s in token_bytes])
    try:
        import xxhash

        xx = xxhash.xxh64_intdigest
        out["bare_xxh64_shingles"] = best(lambda: [xx(s) for s in shingle_bytes])
        out["bare_xxh64_tokens"] = best(lambda: [xx(s) for s in token_bytes])
    except ImportError:
        out["xxhash"] = "not installed"
    try:
        import mmh3

        mm = mmh3.hash64
        out["bare_mmh3_shingles"] = best(lambda: [mm(s) for s in shingle_bytes])
    except ImportError:
        out["mmh3"] = "not installed"
    # dedup's step: tokens -> sorted distinct 64-bit shingle hashes per paragraph
    # (blake2b once per distinct token, numpy fold), with a fresh cache each time.
    out["dedup_shingle_hashing"] = best(lambda: shingles_for_flat_tokens(flat, lengths, SHINGLE, TokenHasher()))
    return out


CONTENDERS = {
    "reference": run_reference,
    "datasketch-bulk": run_bulk,
    "rensa": run_rensa,
    "dedup-signatures": run_dedup_signatures,
    "hashing": run_hashing,
}


#: The default settings' MinHash/LSH choices, given to the reference and rensa
#: in the paired rows against dedup's defaults (``--child-settings defaults``).
DEFAULT_THRESHOLD = 0.3
DEFAULT_SHINGLE = 2


def child(name: str, corpus: str, limit: int | None, jobs: int, settings: str = "reference") -> None:
    global THRESHOLD, SHINGLE
    if settings == "defaults":
        THRESHOLD, SHINGLE = DEFAULT_THRESHOLD, DEFAULT_SHINGLE
    if name == "stage-profile":
        print(json.dumps(stage_profile(corpus, jobs)))
        return
    if name in ("dedup", "dedup-defaults"):
        res = run_dedup(corpus, limit, jobs, defaults=name == "dedup-defaults")
    else:
        res = CONTENDERS[name](corpus, limit)
    me, kids = _rss_mib()
    res["peak_rss_mib"] = round(me, 1)
    res["peak_rss_workers_mib"] = round(kids, 1)
    print(json.dumps(res))


# ----------------------------------------------------------------------------- parent side


#: Child environment that forces dedup's numpy path.
NO_NUMBA = {"DEDUP_NO_NUMBA": "1"}


def best_of(
    repeats: int, name: str, corpus: str, limit: int | None = None, jobs: int = 1, env: dict | None = None
) -> dict:
    """The fastest (wall time) of ``repeats`` runs: other load only ever slows a run down."""
    runs = [spawn(name, corpus, limit, jobs, env) for _ in range(repeats)]
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    best = min(ok, key=lambda r: r["seconds"])
    best["repeats"] = len(ok)
    return best


def spawn(
    name: str,
    corpus: str,
    limit: int | None = None,
    jobs: int = 1,
    env: dict | None = None,
    settings: str = "reference",
) -> dict:
    cmd = [sys.executable, __file__, "--child", name, "--corpus", corpus, "--jobs", str(jobs)]
    cmd += ["--child-settings", settings]
    if limit:
        cmd += ["--limit", str(limit)]
    env = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["process_wall_seconds"] = round(wall, 3)
    tag = " DEDUP_NO_NUMBA" if "DEDUP_NO_NUMBA" in env else ""
    print(f"  {name:<18} jobs={jobs} limit={limit} {settings}{tag}: {json.dumps(res)}", file=sys.stderr, flush=True)
    return res


def ensure_corpus(work: Path, docs: int, seed: int) -> str:
    from corpus import generate

    path = work / f"corpus-{docs}-{seed}"
    marker = path / ".done"
    if not marker.exists():
        print(f"generating {docs} documents in {path} ...", file=sys.stderr, flush=True)
        d, p = generate(path, docs, seed)
        marker.write_text(json.dumps({"documents": d, "paragraphs": p}))
    return str(path)


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description="dedup scan benchmark")
    ap.add_argument("--docs", type=int, default=20000, help="documents in the main corpus (default 20000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--reference-limit",
        type=int,
        default=40000,
        help="paragraphs the per-shingle reference runs on (0 = all); its rate is extrapolated per paragraph",
    )
    ap.add_argument("--repeats", type=int, default=2, help="dedup runs are the best of this many (default 2)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="N for the dedup --jobs N row")
    ap.add_argument("--scaling", default="1000,10000,100000", help="document counts of the scaling table ('' = skip)")
    ap.add_argument("--work-dir", default="/tmp/dedup-bench", help="where corpora are generated (reused)")
    ap.add_argument("--out", default=str(HERE / "results" / "bench_scan.json"))
    ap.add_argument("--quick", action="store_true", help="small smoke run: 2000 docs, no scaling")
    ap.add_argument(
        "--paired",
        default="",
        help="paired mode: document counts (e.g. 2000,20000); runs only the default-settings and copy-tier "
        "rows against the reference and rensa, alternating, and writes --out",
    )
    ap.add_argument("--rounds", type=int, default=2, help="paired mode: rounds at the first size (later sizes: 1)")
    ap.add_argument(
        "--paired-rows",
        default="",
        help="paired mode: only these row keys, comma-separated (e.g. dedup-defaults,dedup-defaults-jobs2)",
    )
    ap.add_argument("--render-paired", default="", help="print the tables of a --paired JSON file")
    ap.add_argument(
        "--stage-profile",
        default="",
        help="CPU per pipeline stage of a default scan at these --jobs values (e.g. 1,2), on --docs documents; "
        "writes --out",
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-settings", default="reference", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.corpus, args.limit, args.jobs, args.child_settings)
        return
    if args.paired:
        paired(args)
        return
    if args.stage_profile:
        corpus = ensure_corpus(Path(args.work_dir), args.docs, args.seed)
        rows = []
        for j in [int(x) for x in args.stage_profile.split(",") if x.strip()]:
            cmd = [sys.executable, __file__, "--child", "stage-profile", "--corpus", corpus, "--jobs", str(j)]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
            if proc.returncode != 0:
                raise SystemExit(proc.stderr)
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(f"  stage profile --jobs {j}: {rows[-1]['wall_seconds']:.1f} s", file=sys.stderr, flush=True)
        out = {"documents": args.docs, "runs": rows, "table": render_stage_profile(rows)}
        Path(args.out).write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
        print(out["table"])
        return
    if args.render_paired:
        data = json.loads(Path(args.render_paired).read_text())
        print(render_paired(data))
        return
    if args.quick:
        args.docs, args.scaling, args.reference_limit = 2000, "", 5000
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    corpus = ensure_corpus(work, args.docs, args.seed)
    ref_limit = args.reference_limit or None
    load_before = _load()
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "corpus": {"documents": args.docs, "seed": args.seed, "path": corpus},
        "load_before": load_before,
        "runs": {},
    }
    runs = results["runs"]
    print(f"load average before: {load_before}", file=sys.stderr)
    # dedup on the reference's subsample right before and after the reference.
    sub_before = spawn("dedup", corpus, ref_limit, 1)
    runs["reference"] = spawn("reference", corpus, ref_limit)
    sub_after = spawn("dedup", corpus, ref_limit, 1)
    runs["dedup-jobs1@reference-subsample"] = min(
        (r for r in (sub_before, sub_after) if "error" not in r), key=lambda r: r["seconds"], default=sub_after
    )
    runs["datasketch-bulk"] = spawn("datasketch-bulk", corpus)
    runs["rensa"] = spawn("rensa", corpus)
    runs["dedup-signatures"] = spawn("dedup-signatures", corpus)
    runs["dedup-signatures-numpy"] = spawn("dedup-signatures", corpus, env=NO_NUMBA)
    runs["dedup-jobs1"] = best_of(args.repeats, "dedup", corpus, None, 1)
    runs["dedup-jobs1-numpy"] = best_of(args.repeats, "dedup", corpus, None, 1, env=NO_NUMBA)
    runs[f"dedup-jobs{args.jobs}"] = best_of(args.repeats, "dedup", corpus, None, args.jobs)
    # Default settings add the same-story tier; run on the reference's subsample.
    runs["dedup-defaults-jobs1"] = spawn("dedup-defaults", corpus, ref_limit, 1)
    runs["hashing"] = spawn("hashing", corpus, 50000)
    scaling = []
    for docs in [int(x) for x in args.scaling.split(",") if x.strip()]:
        c = ensure_corpus(work, docs, args.seed)
        reps = args.repeats if docs * 10 < 1_000_000 else 1
        r1 = best_of(reps, "dedup", c, None, 1)
        scaling.append({"documents": docs, "jobs": 1, **r1})
        rn = best_of(reps, "dedup", c, None, args.jobs)
        scaling.append({"documents": docs, "jobs": args.jobs, **rn})
    results["scaling"] = scaling
    results["load_after"] = _load()
    table = render(results, args.jobs)
    results["table"] = table
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, out)
    print(table)
    print(f"\nJSON written to {out}")


#: Paired mode rows: (key, child name, settings, jobs, label). The reference
#: (per-shingle datasketch) only runs at the first size (it is ~1,200
#: paragraphs/s).
PAIRED_ROWS = [
    ("dedup-defaults", "dedup-defaults", "defaults", 1, "dedup --jobs 1, default settings (all tiers)"),
    ("dedup-defaults-jobs2", "dedup-defaults", "defaults", 2, "dedup --jobs 2, default settings (all tiers)"),
    ("reference-defaults", "reference", "defaults", 1, "datasketch reference at threshold 0.3, word 2-grams"),
    ("rensa-defaults", "rensa", "defaults", 1, "rensa pipeline at threshold 0.3, word 2-grams"),
    ("dedup-copy", "dedup", "reference", 1, "dedup --jobs 1, copy tiers at the reference settings"),
    ("reference-copy", "reference", "reference", 1, "datasketch reference (threshold 0.5, word 3-grams)"),
    ("rensa-copy", "rensa", "reference", 1, "rensa pipeline (threshold 0.5, word 3-grams)"),
]
#: Ratios reported: (row, against, what).
PAIRED_RATIOS = [
    ("dedup-defaults", "reference-defaults", "defaults vs the datasketch reference"),
    ("dedup-defaults", "rensa-defaults", "defaults vs the rensa pipeline"),
    ("dedup-copy", "reference-copy", "copy tiers vs the datasketch reference"),
    ("dedup-copy", "rensa-copy", "copy tiers vs the rensa pipeline"),
    ("dedup-defaults-jobs2", "dedup-defaults", "defaults --jobs 2 vs --jobs 1"),
]


def paired(args: argparse.Namespace) -> None:
    """Alternating runs of every row per round; ratios are medians of per-round ratios."""

    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    out: dict = {"load_before": _load(), "sizes": []}
    print(f"load average before: {out['load_before']}", file=sys.stderr)
    for k, docs in enumerate(int(x) for x in args.paired.split(",") if x.strip()):
        corpus = ensure_corpus(work, docs, args.seed)
        rounds = args.rounds if k == 0 else 1
        rows = [r for r in PAIRED_ROWS if k == 0 or not r[0].startswith("reference")]
        wanted = {x.strip() for x in getattr(args, "paired_rows", "").split(",") if x.strip()}
        if wanted:
            rows = [r for r in PAIRED_ROWS if r[0] in wanted]
        per_round: list[dict] = []
        for r in range(rounds):
            # Alternate the order of the rows from one round to the next (paired, no order bias).
            order = rows if r % 2 == 0 else rows[::-1]
            res = {key: spawn(name, corpus, None, jobs, settings=st) for key, name, st, jobs, _ in order}
            res["load"] = _load()
            per_round.append(res)
        ratios = paired_ratios(per_round)
        out["sizes"].append({"documents": docs, "rounds": per_round, "ratios": ratios})
    out["load_after"] = _load()
    out["table"] = render_paired(out)
    dest = Path(args.out)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    print(out["table"])


def paired_ratios(per_round: list[dict]) -> dict:
    """Median over rounds of other/dedup, in wall and in CPU seconds."""
    import statistics

    ratios = {}
    for a, b, what in PAIRED_RATIOS:
        ok = [r for r in per_round if "seconds" in r.get(a, {}) and "seconds" in r.get(b, {})]
        if ok:
            wall = statistics.median(r[b]["seconds"] / r[a]["seconds"] for r in ok)
            cpu = statistics.median(r[b]["cpu_seconds"] / r[a]["cpu_seconds"] for r in ok)
            ratios[what] = [round(wall, 2), round(cpu, 2)]
    return ratios


def render_paired(out: dict) -> str:
    lines = [f"Load average before / after: {out['load_before']} / {out['load_after']}", ""]
    lines.append(
        "| documents | paragraphs | row | seconds (median) | CPU s | peak RSS MiB (main / workers) | load after round |"
    )
    lines.append("|---:|---:|---|---:|---:|---|---|")
    for size in out["sizes"]:
        for key, _name, _st, _jobs, label in PAIRED_ROWS:
            runs = [r[key] for r in size["rounds"] if key in r and "seconds" in r[key]]
            if not runs:
                continue
            med = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
            loads = ", ".join(r["load"].split()[0] for r in size["rounds"])
            lines.append(
                f"| {size['documents']:,} | {med['paragraphs']:,} | {label}{_path_tag(med)} | {med['seconds']:.2f} | "
                f"{med['cpu_seconds']:.2f} | {med['peak_rss_mib']:.0f} / {med['peak_rss_workers_mib']:.0f} | {loads} |"
            )
    lines.append("")
    lines.append("| documents | ratio (other's time / dedup's; > 1: dedup faster) | median, wall | median, CPU |")
    lines.append("|---:|---|---:|---:|")
    for size in out["sizes"]:
        for what, (wall, cpu) in paired_ratios(size["rounds"]).items():
            lines.append(f"| {size['documents']:,} | {what} | {wall:.2f}x | {cpu:.2f}x |")
    lines.append("")
    lines.append(
        "| documents | paragraphs | dedup defaults: us per paragraph (wall / CPU) | bytes of peak RSS per paragraph |"
    )
    lines.append("|---:|---:|---:|---:|")
    for size in out["sizes"]:
        runs = [r["dedup-defaults"] for r in size["rounds"] if "seconds" in r.get("dedup-defaults", {})]
        if runs:
            med = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
            n = med["paragraphs"]
            lines.append(
                f"| {size['documents']:,} | {n:,} | {1e6 * med['seconds'] / n:.0f} / "
                f"{1e6 * med['cpu_seconds'] / n:.0f} | "
                f"{med['peak_rss_mib'] * 2**20 / n:,.0f} |"
            )
    return "\n".join(lines)


def _path_tag(r: dict) -> str:
    """`` [numba]`` / `` [numpy]`` for dedup rows (which kernels ran), else empty."""
    if "numba" not in r:
        return ""
    return " [numba]" if r["numba"] else " [numpy]"


def _rate(r: dict, key: str = "seconds") -> float:
    return r["paragraphs"] / r[key] if r.get(key) else float("nan")


def render(results: dict, jobs: int) -> str:
    runs = results["runs"]
    ref = runs["reference"]
    lines = []
    if "error" in ref:
        return f"reference failed: {ref['error']}"
    ref_rate = _rate(ref)
    lines.append(
        f"Corpus: {results['corpus']['documents']} documents; load before/after: "
        f"{results['load_before']} / {results['load_after']}"
    )
    lines.append("")
    ref_cpu_rate = ref["paragraphs"] / ref["cpu_seconds"]
    lines.append(
        "| contender | paragraphs | seconds | paragraphs/s | x reference | CPU s | x reference (CPU) "
        "| peak RSS MiB (main / workers) |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|---|")
    order = [
        ("reference", "reference: MinHash.update per shingle (sha1), MinHashLSH, exact verify"),
        ("dedup-jobs1@reference-subsample", "dedup --jobs 1 on the reference's subsample"),
        ("datasketch-bulk", "datasketch MinHash.bulk + LSH insertion session, exact verify"),
        ("rensa", "rensa RMinHash + RMinHashLSH, exact verify"),
        ("dedup-jobs1", "dedup --jobs 1 (end to end, incl. passages/pairs/clusters)"),
        ("dedup-jobs1-numpy", "dedup --jobs 1, numpy path (DEDUP_NO_NUMBA=1)"),
        (f"dedup-jobs{jobs}", f"dedup --jobs {jobs}"),
        (
            "dedup-defaults-jobs1",
            "dedup --jobs 1, default settings (threshold 0.3, 2-shingles, story tier), reference's subsample",
        ),
    ]
    for key, label in order:
        r = runs.get(key, {})
        if "error" in r or not r:
            lines.append(f"| {label} | - | - | - | - | - | - | failed: {r.get('error', 'not run')} |")
            continue
        rate = _rate(r)
        cpu_rate = r["paragraphs"] / r["cpu_seconds"]
        label += _path_tag(r)
        lines.append(
            f"| {label} | {r['paragraphs']:,} | {r['seconds']:.2f} | {rate:,.0f} | {rate / ref_rate:.1f}x | "
            f"{r['cpu_seconds']:.2f} | {cpu_rate / ref_cpu_rate:.1f}x | "
            f"{r['peak_rss_mib']:.0f} / {r['peak_rss_workers_mib']:.0f} |"
        )
    lines.append("")
    lines.append("Signature throughput (token lists -> 128-permutation signatures):")
    lines.append("")
    lines.append("| implementation | paragraphs/s | x reference |")
    lines.append("|---|---:|---:|")
    rensa = runs.get("rensa", {})
    sig_rows = [
        ("datasketch MinHash.update per shingle (from shingle strings)", ref, "sig_seconds"),
        ("datasketch MinHash.bulk (from shingle bytes)", runs.get("datasketch-bulk", {}), "sig_seconds"),
        (
            "rensa RMinHash per paragraph, from token lists (incl. building shingle strings)",
            rensa,
            "sig_from_tokens_seconds",
        ),
        (
            "rensa digest_matrix_from_token_sets, from token lists (incl. building shingle strings)",
            rensa,
            "sig_matrix_from_tokens_seconds",
        ),
        ("rensa RMinHash per paragraph, from pre-built shingle strings (untimed)", rensa, "sig_seconds"),
        (
            "rensa digest_matrix_from_token_sets (bulk), from pre-built shingle strings (untimed)",
            rensa,
            "sig_matrix_seconds",
        ),
        (
            "dedup shingles_for_flat_tokens + minhash_signatures, from token lists",
            runs.get("dedup-signatures", {}),
            "sig_seconds",
        ),
        (
            "dedup shingles_for_flat_tokens + minhash_signatures, from token lists",
            runs.get("dedup-signatures-numpy", {}),
            "sig_seconds",
        ),
    ]
    ref_sig = _rate(ref, "sig_seconds")
    for label, r, key in sig_rows:
        if r.get(key):
            rate = _rate(r, key)
            lines.append(f"| {label}{_path_tag(r)} | {rate:,.0f} | {rate / ref_sig:.1f}x |")
    if rensa.get("shingle_strings_seconds"):
        lines.append("")
        strings_rate = _rate(rensa, "shingle_strings_seconds")
        lines.append(f"Building rensa's shingle strings from the token lists alone: {strings_rate:,.0f} paragraphs/s.")
    h = runs.get("hashing", {})
    if "dedup_shingle_hashing" in h:
        lines.append("")
        lines.append(
            f"Shingle hashing ({h['paragraphs']:,} paragraphs, {h['shingles']:,} shingles, {h['tokens']:,} tokens), "
            "best of 3:"
        )
        lines.append("")
        lines.append("| loop | seconds | dedup step / this |")
        lines.append("|---|---:|---:|")
        step = h["dedup_shingle_hashing"]
        for key in sorted(k for k in h if k.startswith("bare_")):
            lines.append(f"| {key} | {h[key]:.3f} | {step / h[key]:.2f} |")
        label = f"dedup shingle hashing step (blake2b per distinct token + fold, sort){_path_tag(h)}"
        lines.append(f"| {label} | {step:.3f} | 1.00 |")
    if results.get("scaling"):
        lines.append("")
        lines.append("Scaling (dedup, end to end):")
        lines.append("")
        lines.append(
            "| documents | paragraphs | jobs | seconds | CPU s | paragraphs/s | peak RSS MiB (main / workers) |"
        )
        lines.append("|---:|---:|---:|---:|---:|---:|---|")
        for r in results["scaling"]:
            if "error" in r:
                lines.append(f"| {r['documents']:,} | - | {r['jobs']} | failed: {r['error']} | | | |")
                continue
            lines.append(
                f"| {r['documents']:,} | {r['paragraphs']:,} | {r['jobs']} | {r['seconds']:.2f} | "
                f"{r['cpu_seconds']:.2f} | {_rate(r):,.0f} | "
                f"{r['peak_rss_mib']:.0f} / {r['peak_rss_workers_mib']:.0f} |"
            )
    return "\n".join(lines)


# ----------------------------------------------------------------------------- --jobs: CPU per stage

#: The stage functions timed by ``--stage-profile`` (names in :mod:`dedup.pipeline`).
PROFILED_STAGES = (
    "prepare",
    "verified_candidates",
    "boilerplate_rows",
    "paragraph_matches",
    "build_passages",
    "align_documents",
    "classify_pairs",
    "story_model",
    "_story_stage",
    "find_boilerplate",
    "clusters_from_pairs",
)


def _child_cpu() -> float:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def stage_profile(corpus: str, jobs: int) -> dict:
    """CPU per pipeline stage of one default scan (JSON rendering included): this process's and its workers'.

    Each stage function of :mod:`dedup.pipeline` is wrapped with timers: wall
    seconds, CPU seconds of this process, and CPU seconds of the worker
    processes that ended during the stage (``RUSAGE_CHILDREN``: every pool is
    closed inside its stage). With ``jobs = 1`` everything is in this process.
    ``critical_seconds`` estimates the stage's wall time on an idle machine
    with ``jobs`` cores: ``max(main CPU, (main + workers CPU) / jobs)``.
    """
    import dedup.pipeline as pl
    from dedup.detector import Detector
    from dedup.report.formatters import format_result

    stages: dict[str, dict[str, float]] = {}

    def timed(label: str, fn):
        def wrapper(*a, **k):
            w, c, ch = time.perf_counter(), time.process_time(), _child_cpu()
            try:
                return fn(*a, **k)
            finally:
                row = stages.setdefault(label, {"wall": 0.0, "main_cpu": 0.0, "worker_cpu": 0.0})
                row["wall"] += time.perf_counter() - w
                row["main_cpu"] += time.process_time() - c
                row["worker_cpu"] += _child_cpu() - ch

        return wrapper

    for name in PROFILED_STAGES:
        setattr(pl, name, timed(name, getattr(pl, name)))
    paths = _files(corpus)
    t0 = time.perf_counter()
    det = Detector(jobs=jobs)
    timed("read", lambda: det.add_paths(paths))()
    result = det.run()
    timed("render json", lambda: format_result(result, "json"))()
    total_wall = time.perf_counter() - t0
    for row in stages.values():
        row["critical_seconds"] = max(row["main_cpu"], (row["main_cpu"] + row["worker_cpu"]) / max(jobs, 1))
    return {
        "jobs": jobs,
        "paragraphs": sum(result.paragraph_counts.values()),
        "wall_seconds": total_wall,
        "cpu_seconds": _cpu(),
        "stages": {k: {x: round(v, 3) for x, v in row.items()} for k, row in stages.items()},
        "load": _load(),
    }


def render_stage_profile(rows: list[dict]) -> str:
    """A table of CPU per stage (and the Amdahl estimate) of ``--stage-profile`` runs."""
    lines = []
    by_jobs = {r["jobs"]: r for r in rows}
    one = by_jobs.get(1)
    names = list(rows[0]["stages"])
    head = "| stage | " + " | ".join(f"--jobs {r['jobs']}: main / workers CPU s" for r in rows) + " |"
    lines.append(head)
    lines.append("|---|" + "---:|" * len(rows))
    for name in names:
        cells = [f"{r['stages'][name]['main_cpu']:.2f} / {r['stages'][name]['worker_cpu']:.2f}" for r in rows]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for r in rows:
        main = sum(v["main_cpu"] for v in r["stages"].values())
        work = sum(v["worker_cpu"] for v in r["stages"].values())
        crit = sum(v["critical_seconds"] for v in r["stages"].values())
        lines.append(
            f"\n--jobs {r['jobs']}: {r['paragraphs']:,} paragraphs, wall {r['wall_seconds']:.1f} s (load {r['load']}), "
            f"CPU main {main:.1f} s + workers {work:.1f} s; idle-machine estimate {crit:.1f} s"
        )
    if one is not None:
        total = sum(v["main_cpu"] for v in one["stages"].values())
        for r in rows:
            if r["jobs"] == 1:
                continue
            crit = sum(v["critical_seconds"] for v in r["stages"].values())
            # Parallel fraction: the share of the --jobs 1 CPU that left the main process at --jobs N
            # (what stays there, merging and fork overhead included, is the serial part).
            main_n = sum(v["main_cpu"] for v in r["stages"].values())
            p = max(0.0, 1.0 - main_n / total) if total else 0.0
            lines.append(
                f"--jobs {r['jobs']} vs 1: estimated wall ratio on an idle machine {total / crit:.2f}x; "
                f"parallel fraction {p:.2f} (Amdahl bound at {r['jobs']} cores: {1 / ((1 - p) + p / r['jobs']):.2f}x)"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
