"""atheris fuzz target for the readers, segmenter, normalizer and detector.

Run directly for as long as you like::

    python tests/fuzz/fuzz_readers.py -max_total_time=600

Any exception other than a :class:`dedup.DedupError` is a bug; so is an
offset that does not slice back to non-empty text.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from dedup import DedupError, Detector
    from dedup.io.readers import decode_bytes
    from dedup.normalize import normalize, tokens
    from dedup.segment import segment


def test_one_input(data: bytes) -> None:
    try:
        text, _ = decode_bytes(data, "fuzz.txt")
    except DedupError:
        return
    for s, e in segment(text):
        chunk = text[s:e]
        if not chunk or chunk != chunk.strip():
            raise AssertionError(f"bad paragraph span {(s, e)}")
        tokens(normalize(chunk))
    det = Detector(min_tokens=1)
    det.add("a", text)
    det.add("b", text + "\n\n" + text[: len(text) // 2])
    result = det.run()
    for p in result.passages:
        if not result.text(p.a) or not result.text(p.b):
            raise AssertionError("empty passage")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
