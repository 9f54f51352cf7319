"""Text normalization for matching.

Normalization is used only to decide what matches; reports always quote the
original text through character offsets. The steps, in order:

0. Invisible characters are removed: every format character (Unicode general
   category ``Cf``: bidi controls such as U+202E and U+2066, U+2060 WORD
   JOINER, U+2062 INVISIBLE TIMES, U+180E, the tag characters U+E0020..E007F)
   and every ``Default_Ignorable_Code_Point`` (U+034F COMBINING GRAPHEME
   JOINER, the variation selectors such as U+FE0F, the Hangul fillers such as
   U+3164, ...). One of them inserted mid-word cannot hide a copy. A run of
   more than :data:`MAX_COMBINING_RUN` combining marks (non-starters) is cut
   to that many, the limit of the Stream-Safe Text Format (UAX #15), so a
   flood of combining marks costs linear time in NFKC; every mark is folded
   away in step 5 anyway.
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

__all__ = [
    "INVISIBLE_RANGES",
    "MAX_COMBINING_RUN",
    "NORMALIZATION_VERSION",
    "cap_combining_runs",
    "fold_diacritics",
    "normalize",
    "normalized_tokens",
    "remove_invisible",
    "tokens",
]

#: Version 2 (issue 17): every Cf / Default_Ignorable_Code_Point character is
#: removed, and combining-mark runs are capped at MAX_COMBINING_RUN.
NORMALIZATION_VERSION = 2

#: Longest run of combining marks (non-starters) kept before NFKC.
MAX_COMBINING_RUN = 30

#: Code points removed before matching: the union of general category ``Cf``
#: (UnicodeData.txt) and ``Default_Ignorable_Code_Point``
#: (DerivedCoreProperties.txt), both as of Unicode 15.1.0, as inclusive
#: ``(first, last)`` ranges. A test checks the set against the running
#: Python's ``unicodedata`` (Cf) and the ``regex`` module (Default_Ignorable).
INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # Cf+DI  SOFT HYPHEN
    (0x034F, 0x034F),  # DI     COMBINING GRAPHEME JOINER
    (0x0600, 0x0605),  # Cf     ARABIC NUMBER SIGN..ARABIC NUMBER MARK ABOVE
    (0x061C, 0x061C),  # Cf+DI  ARABIC LETTER MARK
    (0x06DD, 0x06DD),  # Cf     ARABIC END OF AYAH
    (0x070F, 0x070F),  # Cf     SYRIAC ABBREVIATION MARK
    (0x0890, 0x0891),  # Cf     ARABIC POUND/PIASTRE MARK ABOVE
    (0x08E2, 0x08E2),  # Cf     ARABIC DISPUTED END OF AYAH
    (0x115F, 0x1160),  # DI     HANGUL CHOSEONG/JUNGSEONG FILLER
    (0x17B4, 0x17B5),  # DI     KHMER VOWEL INHERENT AQ/AA
    (0x180B, 0x180F),  # Cf+DI  MONGOLIAN FREE VARIATION SELECTORS, VOWEL SEPARATOR
    (0x200B, 0x200F),  # Cf+DI  ZERO WIDTH SPACE..RIGHT-TO-LEFT MARK
    (0x202A, 0x202E),  # Cf+DI  LEFT-TO-RIGHT EMBEDDING..RIGHT-TO-LEFT OVERRIDE
    (0x2060, 0x206F),  # Cf+DI  WORD JOINER..NOMINAL DIGIT SHAPES (2065 reserved, DI)
    (0x3164, 0x3164),  # DI     HANGUL FILLER
    (0xFE00, 0xFE0F),  # DI     VARIATION SELECTOR-1..16
    (0xFEFF, 0xFEFF),  # Cf+DI  ZERO WIDTH NO-BREAK SPACE (BOM)
    (0xFFA0, 0xFFA0),  # DI     HALFWIDTH HANGUL FILLER
    (0xFFF0, 0xFFFB),  # Cf+DI  reserved FFF0..FFF8 (DI), INTERLINEAR ANNOTATION (Cf)
    (0x110BD, 0x110BD),  # Cf   KAITHI NUMBER SIGN
    (0x110CD, 0x110CD),  # Cf   KAITHI NUMBER SIGN ABOVE
    (0x13430, 0x1343F),  # Cf   EGYPTIAN HIEROGLYPH FORMAT CONTROLS
    (0x1BCA0, 0x1BCA3),  # Cf+DI SHORTHAND FORMAT CONTROLS
    (0x1D173, 0x1D17A),  # Cf+DI MUSICAL SYMBOL BEGIN BEAM..END PHRASE
    (0xE0000, 0xE0FFF),  # Cf+DI LANGUAGE TAG, TAG SPACE..CANCEL TAG, VARIATION SELECTOR-17..256, reserved
)

_INVISIBLE_RE = re.compile(
    "[" + "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in INVISIBLE_RANGES) + "]+"
)

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


@lru_cache(maxsize=1)
def _combining_run_res() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Patterns matching a run of more than MAX_COMBINING_RUN non-starters (built once, on first use).

    A non-starter is a character with a non-zero canonical combining class,
    or one whose compatibility decomposition starts with one (U+0F73, U+FF9E):
    the characters NFKC's canonical reordering sorts. The first pattern knows
    only the BMP ones (a fast bitmap class); the second all of them, for text
    that holds astral characters.
    """
    ranges: list[list[int]] = []
    for cp in range(0x20000):  # every non-starter lies in planes 0 and 1
        ch = chr(cp)
        if unicodedata.combining(ch) or (
            unicodedata.decomposition(ch) and unicodedata.combining(unicodedata.normalize("NFKD", ch)[0])
        ):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])

    def pattern(rs: list[list[int]]) -> re.Pattern[str]:
        cls = "".join(re.escape(chr(lo)) + ("-" + re.escape(chr(hi)) if hi > lo else "") for lo, hi in rs)
        return re.compile(f"([{cls}]{{{MAX_COMBINING_RUN}}})[{cls}]+")

    return pattern([r for r in ranges if r[1] < 0x10000]), pattern(ranges)


def remove_invisible(text: str) -> str:
    """Drop invisible characters (step 0 of :func:`normalize`).

    Args:
        text: Any text.

    Returns:
        The text without format (``Cf``) and default-ignorable characters
        (see :data:`INVISIBLE_RANGES`).

    Example:
        >>> remove_invisible("co\u2060py pa\u202este \U000e0041")
        'copy paste '
    """
    if text.isascii() or _INVISIBLE_RE.search(text) is None:
        return text
    return _INVISIBLE_RE.sub("", text)


def cap_combining_runs(text: str) -> str:
    """Cut every run of combining marks (non-starters) to :data:`MAX_COMBINING_RUN`.

    NFKC sorts each run of combining marks (canonical reordering), which
    takes time quadratic in the run's length. Capping runs first keeps it
    linear, and changes nothing in :func:`normalize`'s output: every
    combining mark is folded away in the diacritics step.

    Example:
        >>> len(cap_combining_runs("e" + "\u0301" * 1000 + "x"))
        32
    """
    if len(text) <= MAX_COMBINING_RUN or text.isascii():
        return text
    bmp, full = _combining_run_res()
    return (full if max(text) > "\uffff" else bmp).sub(r"\1", text)


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
        Invisible-free, NFKC-normalized, citation-free, case-folded, diacritic-folded text with
        unified quotes and dashes and collapsed whitespace.

    Example:
        >>> normalize("  Tổng Bí thư  Tô Lâm[1] — “Hà Nội” ")
        'tong bi thu to lam - "ha noi"'
        >>> normalize("Ver\u2062batim co\U000e0020py")
        'verbatim copy'
    """
    if not text.isascii():
        text = remove_invisible(text)
        if not unicodedata.is_normalized("NFKC", text):  # (already NFKC: nothing to sort or cap)
            text = unicodedata.normalize("NFKC", cap_combining_runs(text))
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
