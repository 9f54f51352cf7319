"""Invisible characters and combining-mark floods (issue 17 items 5 and 21)."""

from __future__ import annotations

import json
import sqlite3
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dedup
from dedup.config import Config
from dedup.normalize import (
    INVISIBLE_RANGES,
    MAX_COMBINING_RUN,
    NORMALIZATION_VERSION,
    cap_combining_runs,
    normalize,
    normalized_tokens,
    remove_invisible,
)

from .texts import MUSEUM, RIVER, join

INVISIBLE = sorted({c for lo, hi in INVISIBLE_RANGES for c in range(lo, hi + 1)})
#: The characters the hostile probe used to hide a verbatim copy.
PROBE = [0x2060, 0x200E, 0x202E, 0x2066, 0x180E, 0x2062, 0x034F, 0xFE0F, 0xE0020, 0x3164]


def test_every_format_character_of_this_python_is_removed():
    missing = [
        f"U+{cp:04X}" for cp in range(0x110000) if unicodedata.category(chr(cp)) == "Cf" and cp not in set(INVISIBLE)
    ]
    assert missing == []


def test_every_default_ignorable_code_point_is_removed():
    regex = pytest.importorskip("regex")
    pattern = regex.compile(r"\p{Default_Ignorable_Code_Point}")
    ours = set(INVISIBLE)
    missing = [f"U+{cp:04X}" for cp in range(0x110000) if pattern.match(chr(cp)) and cp not in ours]
    assert missing == []


def test_nothing_visible_is_in_the_removed_set():
    # Letters, digits, spaces and ordinary combining accents must survive.
    for cp in INVISIBLE:
        assert unicodedata.category(chr(cp)) not in ("Ll", "Lu", "Nd", "Zs", "Po"), f"U+{cp:04X}"
    assert normalize("caf\u00e9 \u00a0 x") == "cafe x"


@pytest.mark.parametrize("cp", PROBE, ids=[f"U+{c:04X}" for c in PROBE])
def test_probe_characters_inside_a_word_leave_its_tokens_unchanged(cp):
    hidden = f"The veri{chr(cp)}fied ver{chr(cp)}batim copy"
    assert normalized_tokens(hidden) == ["the", "verified", "verbatim", "copy"]


@pytest.mark.parametrize("cp", PROBE, ids=[f"U+{c:04X}" for c in PROBE])
def test_probe_characters_do_not_hide_a_copy_in_a_scan(cp):
    original = join(RIVER)
    hidden = join([p.replace("a", "a" + chr(cp)) for p in RIVER])
    det = dedup.Detector(story=False)
    det.add("orig", original)
    det.add("copy", hidden)
    det.add("other", join(MUSEUM))
    result = det.run()
    assert [(p.a, p.b, p.kind) for p in result.pairs] == [("copy", "orig", "duplicate")]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, 10_000), st.sampled_from(INVISIBLE)),
        min_size=1,
        max_size=40,
    )
)
def test_inserting_invisible_characters_anywhere_does_not_hide_a_copy(insertions):
    """Property: any Cf / default-ignorable character inserted mid-word keeps the copy found."""
    original = join(RIVER)
    chars = list(original)
    for pos, cp in insertions:
        chars.insert(pos % len(chars), chr(cp))
    hidden = "".join(chars)
    assert normalize(hidden) == normalize(original)
    det = dedup.Detector(story=False, boilerplate=False)
    det.add("orig", original)
    det.add("copy", hidden)
    result = det.run()
    assert [(p.a, p.b, p.kind) for p in result.pairs] == [("copy", "orig", "duplicate")]
    # Offsets still address the text as written: the passage quotes the copy with its invisibles.
    assert result.passages and all(result.text(s.b if s.b.doc == "copy" else s.a) for s in result.passages)


def test_remove_invisible_keeps_ascii_untouched():
    text = "plain [1] text\twith\x00controls"
    assert remove_invisible(text) is text


def test_combining_runs_are_capped_without_changing_the_normal_form():
    flood = "x" + "\u0316\u0301" * 5000 + " word"
    capped = cap_combining_runs(flood)
    assert capped == "x" + ("\u0316\u0301" * 5000)[:MAX_COMBINING_RUN] + " word"
    assert normalize(flood) == normalize(capped) == "x word"
    # An astral mark (musical stem, ccc 216) counts as well.
    assert len(cap_combining_runs("a" + "\U0001d165" * 100)) == 1 + MAX_COMBINING_RUN


def test_four_megabytes_of_combining_marks_scan_with_their_neighbours_found(tmp_path):
    # 4 MB (2M marks) with a copied paragraph either side: before issue 17 NFKC sorted each
    # 20,000-mark piece in quadratic time (65 s); the result here needs no timing assertion.
    flood = "z" + "\u0316\u0301" * 1_000_000
    (tmp_path / "a.txt").write_text(join(RIVER) + "\n\n" + flood + "\n\n" + join(MUSEUM), encoding="utf-8")
    (tmp_path / "b.txt").write_text(join(RIVER) + "\n\n" + join(MUSEUM), encoding="utf-8")
    result = dedup.scan(str(tmp_path), story=False)
    assert [(p.a, p.b) for p in result.pairs] == [("a.txt", "b.txt")]
    assert not result.errors


def test_normalization_version_is_bumped_and_in_the_fingerprint():
    assert NORMALIZATION_VERSION == 2
    assert Config().fingerprint_settings()["normalization_version"] == 2


def test_index_built_with_the_old_normalization_is_refused(tmp_path):
    """An index made by version 1 must be refused, never read with version-2 tokens."""
    from dedup.check import Index
    from dedup.errors import DedupError
    from dedup.store.factory import open_store

    path = str(tmp_path / "old.sqlite")
    with Index.open(path) as idx:
        idx.add([dedup.Document("a", join(RIVER))])
    store = open_store(path, create=False)
    try:
        settings = store.get_settings()
    finally:
        store.close()
    assert settings is not None and settings["normalization_version"] == 2
    settings["normalization_version"] = 1
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value=? WHERE key='settings'", (json.dumps(settings, sort_keys=True),))
    con.commit()
    con.close()
    with pytest.raises(DedupError, match="normalization_version"):
        Index.open(path, create=False)
    with pytest.raises(DedupError, match="normalization_version"):
        Index.open(path, Config(), create=False)
