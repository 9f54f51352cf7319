from __future__ import annotations

from dedup.normalize import fold_diacritics, normalize, tokens


def test_diacritics_fold_vietnamese():
    assert normalize("Tổng Bí thư Tô Lâm") == normalize("Tong Bi thu To Lam") == "tong bi thu to lam"
    assert normalize("Đà Nẵng") == "da nang"


def test_case_fold_and_nfkc():
    assert normalize("STRASSE") == normalize("straße")
    # Full-width letters and the "fi" ligature are compatibility forms.
    assert normalize("ＡＢＣ ﬁle") == "abc file"


def test_quotes_dashes_unified():
    assert normalize("“Quoted” — it’s – here") == '"quoted" - it\'s - here'


def test_citations_removed_and_whitespace_collapsed():
    assert normalize("a fact.[1][12]\n\n  next\tline [note]") == "a fact. next line [note]"


def test_tokens_drop_punctuation():
    assert tokens(normalize("Hello, world! It's high-quality.")) == ["hello", "world", "it", "s", "high", "quality"]


def test_fold_is_identity_on_ascii():
    s = "plain ascii text"
    assert fold_diacritics(s) is s
