"""Text normalization for matching.

Normalization is used only to decide what matches; reports always quote the
original text through character offsets. The steps, in order:

1. Unicode NFKC (compatibility forms: ligatures, full-width letters, ...).
2. Citation marks such as ``[1]`` or ``[12][3]`` are removed.
3. Quotes, apostrophes and dashes are unified to ``'``, ``"`` and ``-``.
4. Case folding (``str.casefold``).
5. Diacritics are folded (``Tô Lâm`` -> ``to lam``, ``đ`` -> ``d``).
6. Runs of whitespace collapse to one space; the ends are stripped.

:func:`tokens` then splits normalized text into word tokens (runs of letters
and digits), which drops punctuation, so re-punctuated text matches too.

``NORMALIZATION_VERSION`` changes whenever the output of these functions
changes; it is stored in persisted indexes.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["NORMALIZATION_VERSION", "fold_diacritics", "normalize", "normalized_tokens", "tokens"]

NORMALIZATION_VERSION = 1

_CITATION_RE = re.compile(r"\[\d{1,4}\]")
_WS_RE = re.compile(r"\s+")
_TOKEN_RE = re.compile(r"\w+")

# ASCII fast path of ``\w+`` tokenization: every ASCII character that is not
# a letter, digit or underscore becomes a space, then ``str.split``.
_ASCII_NONWORD = str.maketrans({chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")})

_PUNCT_TABLE = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u0060\u00b4", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
        "\u00a0": " ",
        "\u200b": "",
        "\u200c": "",
        "\u200d": "",
        "\ufeff": "",
        "\u00ad": "",
    }
)

# Letters that carry a diacritic-like stroke but have no canonical decomposition.
_STROKE_TABLE = str.maketrans(
    {
        "đ": "d",
        "ħ": "h",
        "ł": "l",
        "ø": "o",
        "ŧ": "t",
        "ƀ": "b",
        "ɨ": "i",
        "ı": "i",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ð": "d",
    }
)


@lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold_diacritics(text: str) -> str:
    """Remove diacritics from (already case-folded) text.

    Args:
        text: Lower-case text.

    Returns:
        The text with combining marks removed and stroked letters mapped to
        their base letter. ASCII text is returned unchanged.
    """
    if text.isascii():
        return text
    text = text.translate(_STROKE_TABLE)
    if text.isascii():
        return text
    return " ".join(_fold_word(w) if not w.isascii() else w for w in text.split(" "))


def normalize(text: str) -> str:
    """Normalize text for matching (never for display).

    Args:
        text: Any text.

    Returns:
        NFKC-normalized, citation-free, case-folded, diacritic-folded text with
        unified quotes and dashes and collapsed whitespace.

    Example:
        >>> normalize("  Tổng Bí thư  Tô Lâm[1] — “Hà Nội” ")
        'tong bi thu to lam - "ha noi"'
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        text = text.translate(_PUNCT_TABLE)
    if "[" in text:
        text = _CITATION_RE.sub("", text)
    text = text.casefold()
    text = fold_diacritics(text)
    # Same as _WS_RE.sub(" ", text).strip(): both split on str.isspace().
    return " ".join(text.split())


def tokens(normalized: str) -> list[str]:
    """Split normalized text into word tokens.

    Args:
        normalized: Output of :func:`normalize`.

    Returns:
        The runs of letters, digits and underscores, in order.
    """
    if normalized.isascii():
        return normalized.translate(_ASCII_NONWORD).split()
    return _TOKEN_RE.findall(normalized)


def normalized_tokens(text: str) -> list[str]:
    """``tokens(normalize(text))``, with a fast path for ASCII text.

    Args:
        text: Any text (e.g. one paragraph as written).

    Returns:
        The word tokens of the normalized text.
    """
    if text.isascii():
        if "[" in text:
            text = _CITATION_RE.sub("", text)
        # For ASCII, casefold is lower, diacritic folding is a no-op and
        # whitespace collapsing cannot change the runs of word characters.
        return text.lower().translate(_ASCII_NONWORD).split()
    return tokens(normalize(text))
