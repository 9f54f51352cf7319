"""A short tour of the dedup Python API on the bundled example corpus.

Run from the project root:  python examples/api_example.py
"""

from __future__ import annotations

import pathlib

import dedup

CORPUS = pathlib.Path(__file__).parent / "corpus"


def main() -> None:
    result = dedup.scan(str(CORPUS))
    print(f"{len(result.documents)} documents, {len(result.pairs)} pairs, {len(result.passages)} passages")
    for pair in result.pairs:
        print(f"{pair.kind:15} {pair.a} <-> {pair.b}  similarity={pair.similarity:.2f}")
    for cluster in result.clusters:
        print("keep", cluster.canonical, "of", ", ".join(cluster.members))
    # The copies to delete (cluster members other than the canonical one, contained documents).
    print("drop:", ", ".join(result.drop()) or "nothing")
    for passage in result.passages:
        where = "inside" if passage.a.doc == passage.b.doc else "between"
        print(f"{passage.kind} passage {where} documents, {passage.paragraphs} paragraph(s):")
        print("   ", result.text(passage.a)[:70].replace("\n", " "), "...")

    # Texts that are not files: add them to a Detector with your own ids.
    det = dedup.Detector(dedup.Config(threshold=0.5))
    det.add("draft-1", "The committee approved the new budget after a long debate on Monday evening.")
    det.add("draft-2", "The committee approved the new budget after a long debate on Monday night.")
    for p in det.run().passages:
        print("draft match:", p.kind, round(p.similarity, 2))


if __name__ == "__main__":
    main()
