"""Synthetic articles for the index/check/reader tests (written for these tests).

Every article is built from a seeded random generator over a small invented
vocabulary, so two articles with different seeds share (almost) no word
3-grams, while the same seed always gives the same text.
"""

from __future__ import annotations

import os
import random

_VOCABULARY = (
    "harbour council budget river bridge library garden school market festival volunteer engineer "
    "ferry tram station museum bakery orchard meadow lantern pottery harvest workshop theatre choir "
    "clinic ranger trail lighthouse quarry mill canal barge archive mural courtyard pavilion kiosk "
    "tower square avenue district parish village county island coast valley ridge forest creek "
    "weather storm flood drought season spring summer autumn winter morning evening weekend "
    "residents neighbours visitors students teachers farmers drivers riders cyclists walkers readers "
    "announced approved delayed opened closed repaired painted planted gathered visited measured "
    "collected counted reported promised expected welcomed debated reviewed planned funded built "
    "quietly slowly nearly finally briefly openly gladly warmly kindly firmly early later"
)
_WORDS = _VOCABULARY.split()


def article(seed: int, paragraphs: int = 5, words: int = 28) -> str:
    """A title line and ``paragraphs`` paragraphs separated by blank lines."""
    rng = random.Random(seed)
    title = " ".join(rng.choice(_WORDS) for _ in range(5)).capitalize()
    paras = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(3):
            n = max(6, words // 3 + rng.randint(-2, 2))
            s = " ".join(rng.choice(_WORDS) for _ in range(n))
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
