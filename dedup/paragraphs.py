"""Turning documents into a table of fingerprinted paragraphs.

:func:`prepare` segments every document, normalizes each paragraph, and
computes shingle hashes for the paragraphs with at least ``min_tokens``
tokens. Identical paragraphs (same normalized tokens) share one shingle set
and one signature: only distinct paragraph texts are hashed and indexed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .config import Config
from .models import Document
from .normalize import normalize, tokens
from .segment import segment
from .shingle import ShingleBatch, TokenHasher, shingles_for_batch
from .signatures import minhash_signatures

__all__ = ["ParagraphTable", "content_key", "prepare"]


def content_key(toks: Sequence[str]) -> bytes:
    """A 16-byte key of a normalized token sequence (equal keys = same text)."""
    return hashlib.blake2b(" ".join(toks).encode("utf-8"), digest_size=16).digest()


@dataclass
class ParagraphTable:
    """The fingerprinted paragraphs of a set of documents (column arrays).

    Attributes:
        doc: Document index of each fingerprinted paragraph.
        ordinal: Position among the document's fingerprinted paragraphs.
        start: Start offset in the document text.
        end: End offset in the document text.
        ntokens: Number of word tokens.
        group: Index of the distinct paragraph text (into ``shingles`` and
            ``signatures``).
        group_keys: Content key of each distinct text.
        shingles: Shingle hashes of each distinct text.
        signatures: MinHash signatures of each distinct text.
        doc_keys: Content key of each whole document (``b""`` when it has no
            word tokens).
        doc_paragraphs: Number of paragraphs (fingerprinted or not) per document.
    """

    doc: np.ndarray
    ordinal: np.ndarray
    start: np.ndarray
    end: np.ndarray
    ntokens: np.ndarray
    group: np.ndarray
    group_keys: list[bytes]
    shingles: ShingleBatch
    signatures: np.ndarray
    doc_keys: list[bytes]
    doc_paragraphs: list[int]

    def __len__(self) -> int:
        return len(self.doc)


def prepare(documents: Sequence[Document], config: Config, hasher: TokenHasher | None = None) -> ParagraphTable:
    """Segment, normalize, shingle and sign the paragraphs of documents.

    Args:
        documents: The documents, in the order their indexes refer to.
        config: Settings (shingle kind/size, min_tokens, num_perm, seed).
        hasher: Token hash cache to reuse.

    Returns:
        The paragraph table.
    """
    doc_col: list[int] = []
    ord_col: list[int] = []
    start_col: list[int] = []
    end_col: list[int] = []
    ntok_col: list[int] = []
    group_col: list[int] = []
    groups: dict[bytes, int] = {}
    group_tokens: list[list[str]] = []
    doc_keys: list[bytes] = []
    doc_paragraphs: list[int] = []
    min_tokens = config.min_tokens
    for di, doc in enumerate(documents):
        text = doc.text
        spans = segment(text)
        doc_paragraphs.append(len(spans))
        all_tokens: list[str] = []
        ordinal = 0
        for s, e in spans:
            toks = tokens(normalize(text[s:e]))
            all_tokens.extend(toks)
            if len(toks) < min_tokens:
                continue
            key = content_key(toks)
            g = groups.get(key)
            if g is None:
                g = groups[key] = len(group_tokens)
                group_tokens.append(toks)
            doc_col.append(di)
            ord_col.append(ordinal)
            start_col.append(s)
            end_col.append(e)
            ntok_col.append(len(toks))
            group_col.append(g)
            ordinal += 1
        # A document without any word has no key: it duplicates nothing.
        doc_keys.append(content_key(all_tokens) if all_tokens else b"")
    batch = shingles_for_batch(group_tokens, config.shingle, config.size, hasher)
    sigs = minhash_signatures(batch, config.num_perm, config.seed)
    return ParagraphTable(
        doc=np.array(doc_col, dtype=np.int64),
        ordinal=np.array(ord_col, dtype=np.int64),
        start=np.array(start_col, dtype=np.int64),
        end=np.array(end_col, dtype=np.int64),
        ntokens=np.array(ntok_col, dtype=np.int64),
        group=np.array(group_col, dtype=np.int64),
        group_keys=list(groups),
        shingles=batch,
        signatures=sigs,
        doc_keys=doc_keys,
        doc_paragraphs=doc_paragraphs,
    )
