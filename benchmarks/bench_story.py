"""The story tier's cost: its share of a default scan, and candidate generation at 100k documents.

    PYTHONPATH=. python benchmarks/bench_story.py      # writes benchmarks/results/bench_story.json

* **Share of a default scan**: ``benchmarks/corpus.py``'s bench corpus (2,000 documents, about
  20,000 paragraphs), ``Detector()`` at the defaults, ``--jobs 1``, with and without the story tier,
  each in its own process, CPU time (user + system) of ``run()``. The share of ``story_terms`` alone
  (the tokenisation that moves into the fingerprinting workers when the pipeline passes
  ``terms=``) is reported separately.
* **Candidates at scale** (issue 17 item 18): 100,000 short articles (60 words each) drawn from a
  fixed 20,000-word vocabulary (Zipf weights), ``StoryModel(texts, terms=...)`` then
  ``candidates()``; time and peak RSS of the process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")

SCAN = r"""
import json, resource, sys, time
from dedup import Detector
from dedup.story import story_terms
det = Detector(story=sys.argv[2] == "story")
det.add_paths([sys.argv[1]])
t = time.process_time()
res = det.run()
cpu = time.process_time() - t
t = time.process_time()
for d in res.documents:
    story_terms(d.text)
terms_cpu = time.process_time() - t
same = sum(p.kind == "same_story" for p in res.pairs)
print(json.dumps({"cpu": cpu, "story_terms_cpu": terms_cpu, "same_story": same}))
"""

CANDS = r"""
import json, resource, time
import numpy as np
from dedup.story import StoryModel
rng = np.random.default_rng(0)
vocab = np.array([f"w{i}x" for i in range(20000)])
p = 1.0 / np.arange(1, 20001); p /= p.sum()
texts = [" ".join(vocab[rng.choice(20000, 60, p=p)]) for _ in range(100000)]
terms = [t.split() for t in texts]
t = time.process_time()
m = StoryModel(texts, terms=terms)
t1 = time.process_time()
c = m.candidates()
t2 = time.process_time()
print(json.dumps({"documents": 100000, "model_cpu": t1 - t, "candidates_cpu": t2 - t1, "candidates": len(c),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""


def run(code: str, *args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    sys.path.insert(0, ROOT)
    from benchmarks.corpus import generate

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as d:
        docs, paras = generate(d, 2000, seed=1)
        on = run(SCAN, d, "story")
        off = run(SCAN, d, "nostory")
    story_cpu = on["cpu"] - off["cpu"]
    res = {
        "corpus": {"documents": docs, "paragraphs": paras},
        "default_scan_cpu_s": round(on["cpu"], 2),
        "no_story_scan_cpu_s": round(off["cpu"], 2),
        "story_share": round(story_cpu / on["cpu"], 3),
        "story_terms_cpu_s": round(on["story_terms_cpu"], 2),
        "story_share_without_tokenisation": round((story_cpu - on["story_terms_cpu"]) / on["cpu"], 3),
        "same_story_pairs": on["same_story"],
        "candidates_100k": run(CANDS),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "bench_story.json"), "w", encoding="utf-8") as fh:
        json.dump(res, fh, indent=1)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
