"""Issue 17 items 20 and 21: CI line numbering and combining-mark floods, old way against new.

Run from the repository root (under 2 minutes on an idle 2-core machine)::

    PYTHONPATH=. python benchmarks/bench_reliability_io.py

* line numbers: a 52 MB plain-text file and 2,620 passages (5,240 passage
  sides), the probe's corpus. "old" is the former ``text[:offset].count()``
  per side (measured on a sample of sides and scaled), "new" one
  :class:`dedup.report.ci.LineIndex` plus a bisect per side.
* combining marks: ``normalize`` of every paragraph of a 4 MB (UTF-8) file
  made of one base letter and 2 million combining marks, segmented into
  20,000-character pieces as a scan does. "old" is NFKC without the run cap, on one piece,
  scaled to the file.

Each row gives seconds and the peak traced memory (tracemalloc) of the new way.
"""

from __future__ import annotations

import json
import os
import random
import time
import tracemalloc
import unicodedata

from dedup.normalize import normalize
from dedup.report.ci import LineIndex
from dedup.segment import segment


def _old_line(text: str, offset: int) -> int:
    head = text[:offset]
    breaks = head.count("\n") + head.count("\r") - head.count("\r\n")
    if head.endswith("\r") and text.startswith("\n", offset):
        breaks -= 1
    return breaks + 1


def line_numbers() -> dict[str, float]:
    rnd = random.Random(7)
    line = "The council met on Tuesday to discuss the budget for the next year and beyond.\n"
    text = line * (52_000_000 // len(line))
    offsets = sorted(rnd.randrange(len(text)) for _ in range(5240))
    sample = offsets[:: len(offsets) // 40]
    t0 = time.perf_counter()
    for o in sample:
        _old_line(text, o)
    old = (time.perf_counter() - t0) * len(offsets) / len(sample)
    tracemalloc.start()
    t0 = time.perf_counter()
    idx = LineIndex(text)
    got = [idx.line(o) for o in offsets]
    new = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert got[:: len(offsets) // 40] == [_old_line(text, o) for o in sample]
    return {"mb": len(text) / 1e6, "sides": len(offsets), "old_s": old, "new_s": new, "new_peak_mb": peak / 1e6}


def combining_flood() -> dict[str, float]:
    text = "z" + "\u0316\u0301" * 1_000_000
    pieces = [text[s:e] for s, e in segment(text)]
    t0 = time.perf_counter()
    unicodedata.normalize("NFKC", pieces[1])
    old = (time.perf_counter() - t0) * len(pieces)
    tracemalloc.start()
    t0 = time.perf_counter()
    for p in pieces:
        normalize(p)
    new = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "mb": len(text.encode()) / 1e6,
        "pieces": len(pieces),
        "old_s": old,
        "new_s": new,
        "new_peak_mb": peak / 1e6,
    }


if __name__ == "__main__":
    print("load:", os.getloadavg())
    print(json.dumps({"line_numbers": line_numbers(), "combining_flood": combining_flood()}, indent=2))
