"""Build ``dedup/data/story_reference.npz``: the story tier's fixed "what is typical" reference.

Source: the English word-frequency list of the ``wordfreq`` package (3.1.1, ``large_en``; its
data are CC BY-SA 4.0, see ``dedup/data/README.md``), read from the installed package, not
downloaded at run time. Each word is mapped to its story term with :func:`dedup.story.story_terms`
(stop words dropped, light stemming), frequencies of words with the same term are summed, and the
term's frequency per million tokens is stored (float32), for the words wordfreq lists down to
1e-7.5 (centibels <= 750).

    pip install wordfreq msgpack   # build time only, not a dependency of dedup
    PYTHONPATH=. python benchmarks/build_story_reference.py
"""

from __future__ import annotations

import gzip
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from dedup.story import story_terms  # noqa: E402

OUT = os.path.join(HERE, "..", "dedup", "data", "story_reference.npz")
MAX_CB = 750


def main() -> None:
    import importlib.util

    import msgpack

    spec = importlib.util.find_spec("wordfreq")
    if spec is None or spec.origin is None:
        raise SystemExit("wordfreq is not installed (pip install wordfreq msgpack)")
    path = os.path.join(os.path.dirname(spec.origin), "data", "large_en.msgpack.gz")
    with gzip.open(path) as fh:
        buckets = msgpack.load(fh, raw=False)
    freq: dict[str, float] = {}
    for cb, words in enumerate(buckets[1 : MAX_CB + 1], start=1):
        f = 10.0 ** (-cb / 100.0)
        for w in words:
            t = story_terms(w)
            if len(t) == 1 and not t[0].isdigit():
                freq[t[0]] = freq.get(t[0], 0.0) + f
    terms = sorted(freq)
    blob = "\n".join(terms).encode("utf-8")
    per_million = np.array([freq[t] * 1e6 for t in terms], dtype=np.float32)
    np.savez_compressed(OUT, terms=np.frombuffer(blob, dtype=np.uint8), per_million=per_million)
    print(f"{len(terms)} terms -> {OUT} ({os.path.getsize(OUT):,} bytes)")


if __name__ == "__main__":
    main()
