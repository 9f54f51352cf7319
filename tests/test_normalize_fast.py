"""The fast normalization/tokenization paths give exactly the reference output."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from dedup.normalize import (
    _CITATION_RE,
    _PUNCT_TABLE,
    INVISIBLE_RANGES,
    fold_diacritics,
    normalize,
    normalized_tokens,
    tokens,
)

_INVISIBLE = {chr(c) for lo, hi in INVISIBLE_RANGES for c in range(lo, hi + 1)}


def _reference_normalize(text: str) -> str:
    if not text.isascii():
        text = "".join(c for c in text if c not in _INVISIBLE)
        text = unicodedata.normalize("NFKC", text)
        text = text.translate(_PUNCT_TABLE)
    text = _CITATION_RE.sub("", text)
    text = text.casefold()
    text = fold_diacritics(text)
    return re.sub(r"\s+", " ", text).strip()


def _reference_tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text)


_PIECES = ["Tô", "Lâm", "[1]", "[12]", "x\u00a0y", "\u2014", "\x1c", "\u3000", "ﬁ", " ", "\t\n", "a_b"]
# Invisible characters and combining-mark floods (normalization v2).
_PIECES += ["\u2060", "\u202e", "\u0301" * 40, "\u0316", "\U000e0020", "\u3164", "\uffa0", "\U0001d165"]
ascii_text = st.text(alphabet=st.characters(max_codepoint=127), max_size=200)
any_text = st.text(max_size=200)
mixed = st.one_of(
    ascii_text,
    any_text,
    st.lists(st.sampled_from(_PIECES)).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(mixed)
@example("  Tổng Bí thư  Tô Lâm[1] — “Hà Nội” ")
@example("foo[12]bar baz[x] [ 1 ]\x1c\x1d\x1e\x1f\x85end")
def test_fast_paths_equal_reference(text):
    ref = _reference_normalize(text)
    assert normalize(text) == ref
    assert tokens(ref) == _reference_tokens(ref)
    assert normalized_tokens(text) == _reference_tokens(ref)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(["a", " ", "\n", "\r", "\r\n", "\t", "\x85", "\u2028", "b c", "|", "- x"])).map("".join)
)
def test_line_fast_path_equals_regex_path(text):
    from dedup.segment import _LINE_RE, _lines

    expected = []
    for m in _LINE_RE.finditer(text):
        s, e = m.span()
        if s == e:
            break
        line = m.group().rstrip("\r\n")
        stripped = line.strip()
        if not stripped:
            expected.append((s, s))
            continue
        lead = len(line) - len(line.lstrip())
        expected.append((s + lead, s + lead + len(stripped)))
    assert _lines(text) == expected
