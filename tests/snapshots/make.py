"""Characterization snapshots of ``dedup scan --format json`` (issue 13).

Run from the repository root to (re)write ``tests/snapshots/*.sha256``::

    PYTHONPATH=. python tests/snapshots/make.py

Each corpus is scanned with the library's default ``Config`` (``jobs=1``) and
the SHA-256 of the JSON output is stored; ``tests/test_characterization.py``
checks that the current code reproduces it byte for byte. Only digests are
stored, so no seed text lands in the repository. Regenerate only for a change
that is meant to alter the scan output, and say so in the commit message.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent
SEEDS = ROOT.parent / "shared" / "seeds"
LEE_BACKGROUND = ROOT.parent / "shared" / "eval-data" / "lee" / "lee_background.cor"


def planted_folder(dest: pathlib.Path) -> pathlib.Path:
    """The planted harness (held-out seed 2) written as files into ``dest``."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.planted import generate, load_articles

    planted = generate(load_articles(str(LEE_BACKGROUND)), seed=2)
    for doc in planted.docs:
        (dest / doc.id).write_text(doc.text, encoding="utf-8")
    return dest


def scan_json(paths: list[str]) -> str:
    import dedup
    from dedup.report.formatters import to_json

    return to_json(dedup.scan(paths))


def corpora() -> dict[str, list[str]]:
    """Name -> paths of every corpus whose inputs exist here."""
    out = {"examples_corpus": [str(ROOT / "examples" / "corpus")]}
    if SEEDS.is_dir():
        out["seeds"] = [str(SEEDS)]
    return out


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def main() -> None:
    os.chdir(ROOT)
    for name, paths in corpora().items():
        (HERE / f"{name}.sha256").write_text(digest(scan_json(paths)) + "\n")
        print(name)
    if LEE_BACKGROUND.is_file():
        with tempfile.TemporaryDirectory() as tmp:
            (HERE / "planted.sha256").write_text(digest(scan_json([str(planted_folder(pathlib.Path(tmp)))])) + "\n")
        print("planted")


if __name__ == "__main__":
    main()
