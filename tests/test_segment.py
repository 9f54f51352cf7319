from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.segment import segment


def paras(text: str) -> list[str]:
    return [text[s:e] for s, e in segment(text)]


def test_one_paragraph_per_line():
    long1 = "First paragraph " + "word " * 40
    long2 = "Second paragraph " + "word " * 40
    text = f"{long1.strip()}\n{long2.strip()}\nShort third line."
    assert paras(text) == [long1.strip(), long2.strip(), "Short third line."]


def test_blank_line_separated():
    assert paras("Alpha beta.\n\n\nGamma delta.\n\nEpsilon.") == ["Alpha beta.", "Gamma delta.", "Epsilon."]


def test_hard_wrapped_paragraphs_are_joined():
    text = (
        "The council met on Monday to discuss the\n"
        "budget for next year and agreed to raise\n"
        "spending on roads.\n"
        "\n"
        "A second paragraph starts here and it is\n"
        "also wrapped at a fixed width of forty.\n"
    )
    got = paras(text)
    assert len(got) == 2
    assert got[0].startswith("The council") and got[0].endswith("spending on roads.")
    assert got[1].endswith("forty.")


def test_wrapped_paragraphs_without_blank_lines_split_at_short_lines():
    text = (
        "The council met on Monday to discuss the\n"
        "budget for next year and agreed to raise\n"
        "spending.\n"
        "A second paragraph starts here and it is\n"
        "also wrapped at a fixed width of forty.\n"
    )
    assert len(paras(text)) == 2


def test_separator_lines_and_list_items():
    text = "Intro line of text\n|\nAfter the bar\nOther News\n- first item\n- second item\n-\nTrending one\n***\nEnd"
    assert paras(text) == [
        "Intro line of text",
        "After the bar",
        "Other News",
        "- first item",
        "- second item",
        "Trending one",
        "End",
    ]


def test_crlf_and_cr_offsets_are_exact():
    text = "  One para here.\r\n\r\nTwo para here.\rThree para here.  \r\n"
    assert paras(text) == ["One para here.", "Two para here.", "Three para here."]


def test_markdown_heading_is_its_own_paragraph():
    text = "# A heading\nbody text that is long enough to look like a line\nand continues on the next line here"
    got = paras(text)
    assert got[0] == "# A heading"


def test_empty_and_whitespace():
    assert segment("") == []
    assert segment(" \n\t\n  ") == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab c-|*#1.\n\r\t\u00a0é")), max_size=300))
def test_offsets_slice_back_property(text):
    spans = segment(text)
    last_end = 0
    for s, e in spans:
        assert last_end <= s < e <= len(text)
        chunk = text[s:e]
        assert chunk == chunk.strip()  # no surrounding whitespace
        last_end = e
