"""Generate a large realistic benchmark corpus with planted copies.

Sentences of the Lee background corpus (news text, ``shared/eval-data/lee``)
are recombined with a seeded RNG into articles of ~10 paragraphs of 2-5
sentences. About a quarter of the words are swapped for words drawn from the
corpus's own word distribution so that recombined paragraphs do not share
long runs by accident (real articles rarely do). Then copies are planted:

* 3% of the articles are exact copies of an earlier article;
* 4% are near copies (a few words changed in some paragraphs, one paragraph
  dropped or added);
* 3% contain 2-4 consecutive paragraphs pasted from an earlier article.

Usage::

    python benchmarks/corpus.py OUT_DIR --docs 20000 [--seed 1]

Files are written as ``OUT_DIR/dNNNNNNN.txt`` (paragraphs separated by blank
lines). The same arguments always give byte-identical files.
"""

from __future__ import annotations

import argparse
import os
import random
import re
from pathlib import Path

LEE = Path(__file__).resolve().parent.parent.parent / "shared" / "eval-data" / "lee" / "lee_background.cor"

_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")


def load_sentences(path: Path = LEE) -> list[str]:
    """Split the source corpus into sentences."""
    text = path.read_text(encoding="utf-8", errors="replace")
    sents: list[str] = []
    for line in text.splitlines():
        for s in _SENT_RE.split(line.strip()):
            if len(s.split()) >= 4:
                sents.append(s)
    return sents


def _perturb(sentence: str, rng: random.Random, words: list[str], rate: float) -> str:
    out = []
    for w in sentence.split():
        out.append(rng.choice(words) if rng.random() < rate else w)
    return " ".join(out)


def _article(rng: random.Random, sents: list[str], words: list[str]) -> list[str]:
    paras = []
    for _ in range(rng.randint(7, 13)):
        k = rng.randint(2, 5)
        paras.append(" ".join(_perturb(rng.choice(sents), rng, words, 0.25) for _ in range(k)))
    return paras


def _edit(paragraph: str, rng: random.Random, words: list[str]) -> str:
    toks = paragraph.split()
    for _ in range(rng.randint(1, 3)):
        toks[rng.randrange(len(toks))] = rng.choice(words)
    return " ".join(toks)


def generate(out_dir: str | os.PathLike, docs: int, seed: int = 1) -> tuple[int, int]:
    """Write ``docs`` articles into ``out_dir``.

    Returns:
        ``(documents, paragraphs)`` written.
    """
    rng = random.Random(seed)
    sents = load_sentences()
    words = [w for s in sents for w in s.split()]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    articles: list[list[str]] = []
    n_paras = 0
    for i in range(docs):
        r = rng.random()
        if articles and r < 0.03:
            paras = list(rng.choice(articles))
        elif articles and r < 0.07:
            paras = [(_edit(p, rng, words) if rng.random() < 0.3 else p) for p in rng.choice(articles)]
            if len(paras) > 3 and rng.random() < 0.5:
                del paras[rng.randrange(len(paras))]
            else:
                paras.insert(rng.randrange(len(paras) + 1), _article(rng, sents, words)[0])
        elif articles and r < 0.10:
            paras = _article(rng, sents, words)
            src = rng.choice(articles)
            k = min(len(src), rng.randint(2, 4))
            at = rng.randrange(len(src) - k + 1)
            pos = rng.randrange(len(paras) + 1)
            paras[pos:pos] = src[at : at + k]
        else:
            paras = _article(rng, sents, words)
        # Keep a bounded pool of sources so memory stays flat for big corpora.
        if len(articles) < 5000:
            articles.append(paras)
        else:
            articles[rng.randrange(len(articles))] = paras
        n_paras += len(paras)
        (out / f"d{i:07d}.txt").write_text("\n\n".join(paras) + "\n", encoding="utf-8")
    return docs, n_paras


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    d, p = generate(args.out_dir, args.docs, args.seed)
    print(f"wrote {d} documents, {p} paragraphs to {args.out_dir}")


if __name__ == "__main__":
    main()
