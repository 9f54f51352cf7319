"""A seeded generator of synthetic news-like corpora with planted duplicates.

Used by the Spark tests and benchmarks. The words are made up from syllables
(no real text is copied); word frequencies follow a Zipf-like law so common
words recur as in real prose. Planted relations, per base article:

* exact copies (re-wrapped and re-cased, so byte-different but identical
  after normalization),
* edited copies (a new header line and a few words changed in some
  paragraphs),
* excerpts (two or three consecutive paragraphs quoted inside another
  article),
* repeated blocks (an article that repeats a run of its own paragraphs),
* a boilerplate line shared by many articles.
"""

from __future__ import annotations

import random

_SYLLABLES = [
    "ba", "ko", "ri", "men", "tas", "lo", "vi", "dra", "nel", "sun", "pe", "tor", "ga", "mi", "zu",
    "far", "el", "os", "qui", "ran", "do", "bel", "sto", "ver", "an", "ix", "mor", "tu", "le", "chi",
]  # fmt: skip


def vocabulary(size: int = 4000, seed: int = 7) -> list[str]:
    """``size`` distinct made-up words."""
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))))
    return sorted(words)


class CorpusGenerator:
    """Builds documents ``{id: text}`` with planted duplicates (seeded)."""

    def __init__(self, seed: int = 1, vocab_size: int = 4000) -> None:
        self.rng = random.Random(seed)
        self.vocab = vocabulary(vocab_size, seed + 1000)
        # Zipf-like weights.
        self.weights = [1.0 / (i + 1) ** 0.9 for i in range(len(self.vocab))]

    def sentence(self) -> str:
        n = self.rng.randint(8, 22)
        words = self.rng.choices(self.vocab, self.weights, k=n)
        return " ".join(words).capitalize() + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 4)))

    def article(self) -> list[str]:
        paras = [self.paragraph() for _ in range(self.rng.randint(3, 7))]
        if self.rng.random() < 0.3:
            paras.insert(0, self.rng.choice(["Breaking", "Updated", "Local news", "World"]))  # short heading
        return paras

    def edit(self, para: str, rate: float = 0.05) -> str:
        words = para.split(" ")
        for i in self.rng.sample(range(len(words)), max(1, int(len(words) * rate))):
            words[i] = self.rng.choice(self.vocab)
        return " ".join(words)

    def corpus(self, n_docs: int, boilerplate: float = 0.03) -> dict[str, str]:
        """About ``n_docs`` documents; roughly a third take part in a planted relation.

        ``boilerplate`` is the share of base articles ending with a shared line.
        """
        rng = self.rng
        docs: dict[str, str] = {}
        boiler = "Sign up for the morning briefing and get the stories that matter delivered to you."
        i = 0
        while len(docs) < n_docs:
            base = self.article()
            name = f"d{i:06d}"
            i += 1
            if rng.random() < boilerplate:
                base = [*base, boiler]
            docs[f"{name}.txt"] = "\n\n".join(base)
            r = rng.random()
            if r < 0.08:  # exact copy, re-wrapped and upper-cased
                docs[f"{name}-copy.txt"] = "\n".join(p.upper() for p in base)
            elif r < 0.18:  # edited copy with a new header
                edited = [self.edit(p) if rng.random() < 0.5 else p for p in base]
                docs[f"{name}-edit.txt"] = "\n\n".join(["Republished by the wire desk", *edited])
            elif r < 0.26 and len(base) >= 3:  # excerpt inside another article
                k = rng.randint(2, min(3, len(base) - 1))
                s = rng.randint(0, len(base) - k)
                host = self.article()
                at = rng.randint(0, len(host))
                docs[f"{name}-quote.txt"] = "\n\n".join(host[:at] + base[s : s + k] + host[at:])
            elif r < 0.31:  # article repeating a block of its own paragraphs
                block = base[: rng.randint(1, 2)]
                docs[f"{name}-repeat.txt"] = "\n\n".join([*base, *block, self.paragraph()])
        return docs
