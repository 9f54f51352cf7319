"""Word diff (dedup.report.diff) and ``dedup show``."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import Detector
from dedup.cli import cli
from dedup.report.diff import diff_words, passage_diff, word_spans
from dedup.report.show import render_show

ANSI = re.compile(r"\x1b\[[0-9;]*m")

P1 = (
    "The night bus line seven will run every fifteen minutes from next Friday, the regional transport "
    "company announced after a trial that carried more passengers than expected."
)
P2 = (
    "Drivers had asked for a second vehicle on the route since the spring, when the new student housing "
    "opened beside the university hospital and queues formed at every stop."
)
P2_B = (
    "Drivers had asked for an extra vehicle on the route since the spring, when the new student housing "
    "opened beside the hospital and long queues formed at every stop."
)
P3 = (
    "Tickets bought in the mobile application remain valid on the night service, and the monthly pass "
    "will include it without any surcharge until the end of the year."
)


def _changed(text: str, pieces) -> list[str]:
    return [text[p.start : p.end] for p in pieces if p.changed]


def test_diff_marks_planted_changes():
    d = diff_words(P2, P2_B)
    assert _changed(P2, d.a) == ["a second", "university"]
    assert _changed(P2_B, d.b) == ["an extra", "long"]
    assert (d.changed_a, d.changed_b) == (3, 3)
    assert d.words_a == len(P2.split()) and d.words_b == len(P2_B.split())
    assert 0.8 < d.ratio < 1.0 and not d.identical


def test_diff_ignores_case_punctuation_and_accents():
    d = diff_words("Café “Roma” opened, today.", 'cafe "ROMA" opened today')
    assert d.identical and d.ratio == 1.0
    assert [p.changed for p in d.a] == [False]


def test_diff_identical_and_empty():
    assert diff_words(P1, P1).identical
    e = diff_words("", "")
    assert e.identical and e.ratio == 1.0
    one = diff_words("", "new words")
    assert _changed("new words", one.b) == ["new words"] and one.ratio == 0.0


def test_diff_cjk_one_word_per_character():
    a, b = "今天天气很好", "今天天气不好"
    assert len(word_spans(a)) == 6
    d = diff_words(a, b)
    assert _changed(a, d.a) == ["很"] and _changed(b, d.b) == ["不"]


words = st.lists(st.sampled_from(["alpha", "Beta,", "gamma", "delta.", "x", "Ωmega", "  ", "\n"]), max_size=30)


@settings(max_examples=150, deadline=None)
@given(words, words)
def test_pieces_cover_text_exactly(wa, wb):
    a, b = " ".join(wa), " ".join(wb)
    d = diff_words(a, b)
    for text, pieces in ((a, d.a), (b, d.b)):
        assert "".join(text[p.start : p.end] for p in pieces) == text
        assert all(x.end == y.start for x, y in zip(pieces, pieces[1:]))
        assert all(x.changed != y.changed for x, y in zip(pieces, pieces[1:]))
    assert d.words_a - d.changed_a == d.words_b - d.changed_b  # equal words are paired one to one


def test_passage_diff_on_a_scan():
    det = Detector()
    det.add("a.txt", f"{P1}\n\n{P2}\n\n{P3}")
    det.add("b.txt", f"{P1}\n\n{P2_B}\n\n{P3}")
    r = det.run()
    (s,) = r.passages
    d = passage_diff(r, s)
    assert _changed(r.text(s.a), d.a) == ["a second", "university"]


@pytest.fixture
def files(tmp_path):
    a = tmp_path / "zeta-original.txt"
    b = tmp_path / "alpha-copy.txt"
    a.write_text(f"Night buses\n\n{P1}\n\n{P2}\n\n{P3}\n", encoding="utf-8")
    b.write_text(f"{P1}\n\n{P2_B}\n\n{P3}\n", encoding="utf-8")
    return a, b


def test_show_plain_marks_differences(files):
    a, b = files  # A sorts after B: the output must still follow the caller's order
    res = CliRunner().invoke(cli, ["show", str(a), str(b), "--width", "80"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert not ANSI.search(out)  # CliRunner is not a TTY: plain text
    assert "near_duplicate" in out
    assert "[-a second-]" in out and "[-university-]" in out
    assert "{+an extra+}" in out and "{+long+}" in out
    assert out.index("--- A") < out.index("[-university-]") < out.index("+++ B") < out.index("{+long+}")
    assert all(len(line) <= 80 for line in out.splitlines())


def test_show_color(files):
    a, b = files
    res = CliRunner().invoke(cli, ["show", str(a), str(b), "--color", "--layout", "stacked"])
    assert res.exit_code == 0
    assert "\x1b[31m" in res.output and "\x1b[32m" in res.output
    assert "[-" not in res.output  # colour replaces the markers
    plain = ANSI.sub("", res.output)
    assert "university" in plain and "long" in plain
    res = CliRunner().invoke(cli, ["show", str(a), str(b), "--no-color"])
    assert not ANSI.search(res.output)


def test_show_side_by_side_aligns_columns(files):
    a, b = files
    res = CliRunner().invoke(cli, ["show", str(a), str(b), "--layout", "side", "--width", "100"])
    assert res.exit_code == 0
    lines = res.output.splitlines()
    rows = [line for line in lines if " | " in line]
    assert len(rows) > 6
    col = (100 - 3) // 2
    assert all(line[col : col + 3] == " | " for line in rows)
    assert all(len(line) <= 100 for line in lines)
    joined = "\n".join(rows)
    assert "[-university-]" in joined and "{+long+}" in joined


def test_show_colored_side_by_side_keeps_alignment(files):
    a, b = files
    res = CliRunner().invoke(cli, ["show", str(a), str(b), "--layout", "side", "--width", "90", "--color"])
    rows = [ANSI.sub("", line) for line in res.output.splitlines() if " | " in ANSI.sub("", line)]
    col = (90 - 3) // 2
    assert rows and all(line[col : col + 3] == " | " for line in rows)


def test_show_exact_and_unrelated(tmp_path):
    a, b, c = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    a.write_text(f"{P1}\n\n{P3}", encoding="utf-8")
    b.write_text(f"Intro line here\n\n{P1}\n\n{P3}\n\nOther text entirely, nothing shared here at all.")
    c.write_text("Completely different words about gardening, tomatoes and the weather in spring.")
    res = CliRunner().invoke(cli, ["show", str(a), str(b)])
    assert res.exit_code == 0
    assert "exact 1.00" in res.output and "(identical after normalization)" in res.output
    assert "[-" not in res.output.split("differences:")[1].split("\n", 1)[1]
    res = CliRunner().invoke(cli, ["show", str(a), str(c)])
    assert res.exit_code == 0 and "no shared passages" in res.output


def test_show_usage_errors(files, tmp_path):
    a, _ = files
    res = CliRunner().invoke(cli, ["show", str(a), str(a)])
    assert res.exit_code == 2 and "same file" in res.output
    res = CliRunner().invoke(cli, ["show", str(a), str(tmp_path / "missing.txt")])
    assert res.exit_code == 2
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n")
    res = CliRunner().invoke(cli, ["show", str(a), str(empty)])
    assert res.exit_code == 2


def test_render_show_style_callback():
    det = Detector()
    det.add("a", f"{P1}\n\n{P2}\n\n{P3}")
    det.add("b", f"{P1}\n\n{P2_B}\n\n{P3}")
    r = det.run()
    out = render_show(r, "a", "b", width=60, layout="stacked", style=lambda t, role: f"<{role}>{t}</{role}>")
    assert "<del>a second</del>" in out and "<ins>an extra</ins>" in out
    assert "<title>A</title>" in out
    assert render_show(r, "a", "b", width=60) == render_show(r, "a", "b", width=60)


def test_show_reads_legacy_encoding_with_a_warning(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(f"{P1}\n\n{P2} caf".encode() + b"\xe9")  # cp1252, not UTF-8
    b.write_text(f"{P1}\n\n{P2} café", encoding="utf-8")
    try:
        runner = CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        runner = CliRunner()
    res = runner.invoke(cli, ["show", str(a), str(b)])
    assert res.exit_code == 0
    assert "decoded as cp1252" in res.stderr
    assert "duplicate" in res.stdout


def test_show_says_whether_two_texts_are_the_same_story_and_why(seeds_dir):
    from .conftest import seed_path

    a, b, other = (str(seed_path(seeds_dir, p)) for p in ("000", "002", "004"))
    same = CliRunner().invoke(cli, ["show", a, b, "--width", "80"])
    assert same.exit_code == 0, same.output
    lines = same.stdout.splitlines()
    assert lines[2].startswith("same_story: similarity ")
    assert lines[3].startswith("why: shares ") and "specific terms" in lines[3]
    unrelated = CliRunner().invoke(cli, ["show", a, other, "--width", "80"])
    assert unrelated.stdout.splitlines()[2] == "not copies, not the same story"
