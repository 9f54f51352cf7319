"""``dedup compare``: every pair's figures, as a table or JSON."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dedup import Config
from dedup.cli import cli
from dedup.compare import compare_paths

from ._accuracy_texts import ARTICLES


@pytest.fixture
def files(tmp_path) -> list[str]:
    paths = []
    for i, a in enumerate(ARTICLES[:4]):
        p = tmp_path / f"art{i}.txt"
        p.write_text(a, encoding="utf-8")
        paths.append(str(p))
    copy = tmp_path / "copy0.txt"
    copy.write_text("Local desk\n\n" + ARTICLES[0], encoding="utf-8")
    paths.append(str(copy))
    return paths


def test_compare_scores_every_pair(files) -> None:
    res = compare_paths(files)
    assert len(res.pairs) == 10
    assert [(c.a, c.b) for c in res.pairs][:4] == [(files[0], f) for f in files[1:]]
    by = {(c.a, c.b): c for c in res.pairs}
    c = by[(files[0], files[4])]
    assert c.kind in ("near_duplicate", "containment")
    assert c.a_in_b == pytest.approx(1.0)
    assert 0.8 < c.jaccard <= 1.0
    assert c.story > 0.8
    assert c.passages and c.passages[0].kind == "exact"
    for (a, b), other in by.items():
        if files[4] not in (a, b) and files[0] not in (a, b):
            assert other.kind is None
            assert other.jaccard < 0.1 and other.story < 0.3


def test_compare_cli_json(files) -> None:
    out = CliRunner().invoke(cli, ["compare", "--format", "json", *files])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert len(data["pairs"]) == 10
    first = data["pairs"][0]
    assert {"a", "b", "jaccard", "containment", "a_in_b", "b_in_a", "story", "kind", "passages"} <= set(first)
    assert first["a"] == files[0] and first["b"] == files[1]
    assert all(0.0 <= p["story"] <= 1.0 for p in data["pairs"])
    # Deterministic.
    again = CliRunner().invoke(cli, ["compare", "--format", "json", *files])
    assert again.output == out.output


def test_compare_cli_table(files) -> None:
    out = CliRunner().invoke(cli, ["compare", *files])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].split()[:4] == ["jaccard", "a_in_b", "b_in_a", "story"]
    assert sum("<->" in ln for ln in lines[1:11]) == 10
    assert "Passages" in out.output


def test_compare_needs_two_files(files) -> None:
    out = CliRunner().invoke(cli, ["compare", files[0]])
    assert out.exit_code == 2


def test_compare_bad_setting(files) -> None:
    out = CliRunner().invoke(cli, ["compare", "--story-threshold", "2", *files])
    assert out.exit_code == 2
    assert "story_threshold" in out.output


def test_scan_cli_story_options(files) -> None:
    runner = CliRunner()
    on = json.loads(runner.invoke(cli, ["scan", "--format", "json", *files]).output)
    off = json.loads(runner.invoke(cli, ["scan", "--format", "json", "--no-story", *files]).output)
    assert on["settings"]["story"] is True and off["settings"]["story"] is False
    assert "boilerplate" in on
    assert all(p["kind"] != "same_story" for p in off["pairs"])


def test_compare_uses_config(files) -> None:
    res = compare_paths(files, Config(story=False))
    assert all(c.kind != "same_story" for c in res.pairs)


def test_compare_of_too_many_documents_is_refused_before_any_work(monkeypatch):
    import dedup.match
    from dedup.compare import compare
    from dedup.detector import Detector
    from dedup.errors import ConfigError

    det = Detector()
    for i in range(5):
        det.add(f"d{i}", f"text number {i} with some words")
    monkeypatch.setattr(dedup.match, "MAX_COMPARE_PAIRS", 6)
    with pytest.raises(ConfigError, match="10 pairs"):
        compare(det)
