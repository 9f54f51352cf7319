"""Synthetic articles for the index/check/reader tests (written for these tests).

Every article is built from a seeded random generator: a few common English
words plus a vocabulary of invented words of its own (names of places and
things no other article uses). So two articles with different seeds share
(almost) no word 3-grams and no specific terms -- they are neither copies nor
the same story -- while the same seed always gives the same text.
"""

from __future__ import annotations

import os
import random

#: Function words every article uses (stop words: no story term, no specific evidence).
_COMMON = "the of and to in a is that for on with as at by from this".split()  # noqa: SIM905
#: Syllables of each article's own invented words.
_SYLLABLES = "ka lo mi ren tu sha vo pel dri an ix quo bel sen mor tal fin ga ru zel".split()  # noqa: SIM905


def _own_words(rng: random.Random, n: int = 40) -> list[str]:
    return ["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(3, 4))) for _ in range(n)]


def article(seed: int, paragraphs: int = 5, words: int = 28) -> str:
    """A title line and ``paragraphs`` paragraphs separated by blank lines."""
    rng = random.Random(seed)
    vocabulary = _COMMON + _own_words(random.Random(seed * 7919 + 1))
    title = " ".join(rng.choice(vocabulary) for _ in range(5)).capitalize()
    paras = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(3):
            n = max(6, words // 3 + rng.randint(-2, 2))
            s = " ".join(rng.choice(vocabulary) for _ in range(n))
            sentences.append(s.capitalize() + ".")
        paras.append(" ".join(sentences))
    return title + "\n\n" + "\n\n".join(paras) + "\n"


def write(folder: str, name: str, text: str) -> str:
    """Write ``text`` to ``folder/name`` (creating folders); returns the path."""
    path = os.path.join(folder, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    return path
