"""Story terms: the words of a text that the same-story tier compares.

Normalized word tokens (see :mod:`dedup.normalize`) without English stop words
and one-letter words, lightly stemmed. The fingerprinting workers call
:func:`terms_from_tokens` on the tokens they already hold, so a text is
tokenised once for shingles and story terms alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from .normalize import normalize, tokens

__all__ = ["STOPWORDS", "stem", "story_terms", "terms_from_tokens"]

_STOPWORD_TEXT = """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me more
most my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves said says say mr mrs ms one two new year years told may
might must shall us s t
"""

#: English stop words left out of story terms.
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A light English stemmer (plural ``s``/``ies``, ``ing``, ``ed``).

    Example:
        >>> [stem(w) for w in ("schools", "cities", "visiting", "visited", "glass")]
        ['school', 'city', 'visit', 'visit', 'glass']
    """
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed"):
        return word[:-2]
    return word


def story_terms(text: str) -> list[str]:
    """The terms of a text for the story score.

    Args:
        text: Any text.

    Returns:
        Normalized word tokens without stop words and one-letter words, lightly
        stemmed, in order.

    Example:
        >>> story_terms("The schools were visited by the ministers.")
        ['school', 'visit', 'minister']
    """
    return terms_from_tokens(tokens(normalize(text)))


def terms_from_tokens(toks: Sequence[str]) -> list[str]:
    """The story terms of normalized word tokens (what :func:`story_terms` keeps).

    The fingerprinting workers call this on the tokens they already have, so
    the story tier never tokenises a text a second time.

    Example:
        >>> terms_from_tokens(["the", "schools", "were", "visited", "by", "3", "ministers"])
        ['school', 'visit', '3', 'minister']
    """
    return [stem(w) for w in toks if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
