"""Settings: one validated, frozen object.

A :class:`Config` is passed to every stage and stored with any persisted
index. The subset of fields that changes fingerprints (see
:meth:`Config.fingerprint_settings`) must match for an index to be reused.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from .errors import ConfigError
from .normalize import NORMALIZATION_VERSION

__all__ = ["DEFAULT_SHINGLE_SIZE", "INTERNAL_SETTINGS", "PATH_SETTINGS", "SETTING_FLAGS", "SETTING_HELP", "Config"]

ShingleKind = Literal["word", "char"]
CanonicalPolicy = Literal["first", "longest", "earliest"]
StoryModelName = Literal["tfidf", "minilm"]

#: Default shingle size per shingle kind (words or characters).
DEFAULT_SHINGLE_SIZE = {"word": 2, "char": 5}

#: MinHash permutation scheme (datasketch >= 2.0 ``"affine32"``).
MINHASH_SCHEME = "affine32"
#: Version of the shingle hash (see :mod:`dedup.shingle`).
HASH_VERSION = 1
#: Settings that change how a run executes but never its results.
RUNTIME_SETTINGS = frozenset({"jobs"})


@dataclass(frozen=True)
class Config:
    """All settings of a dedup run.

    Args:
        threshold: Jaccard similarity of two paragraphs' shingle sets at or
            above which they match (LSH is tuned for it and every candidate is
            verified exactly against it).
        num_perm: MinHash permutations per paragraph signature.
        shingle: ``"word"`` n-grams (default) or ``"char"`` n-grams (for short
            or non-space-delimited text).
        shingle_size: n of the n-grams; ``None`` picks 2 for words, 5 for chars.
        seed: Seed of the MinHash permutations (datasketch's ``seed``).
        min_tokens: Paragraphs with fewer word tokens are not fingerprinted
            (headings like "Trending", dates, separators).
        min_shared: Two paragraphs that are not identical after normalization
            must also share at least this many shingles to match, so two short
            lines sharing a few words (a headline with a typo, a recurring
            name) are not reported as near copies.
        coverage_threshold: Fraction of a document's fingerprinted text that
            must lie in passages shared with the other document: both ways for
            ``near_duplicate``, the smaller way for ``containment``.
        canonical: How a cluster's canonical member is chosen: ``"first"``
            (the member added first, never string order), ``"longest"`` (most
            characters), ``"earliest"`` (oldest date from metadata, else file
            modification time).
        story: Run the same-story tier (see :mod:`dedup.story`).
        story_threshold: Story score (0..1) at or above which two documents
            that are not copies are reported as ``same_story``.
        story_min_tfidf: The plain TF-IDF cosine of the pair must also
            reach this, so a shared topic alone (neighbours in common) never
            makes a ``same_story`` pair.
        story_model: ``"tfidf"`` (default: numpy-only TF-IDF with relevance
            feedback) or ``"minilm"`` (cosine of all-MiniLM-L6-v2 document
            embeddings; needs the ``embeddings`` extra).
        story_background: A background corpus added to the story tier's
            fixed reference (document frequencies, feedback references): a
            file with one document per line, or a folder of ``.txt``/``.md``
            files; ``None`` uses the shipped reference only.
        near_threshold: Character 7-gram Jaccard at or above which two
            paragraphs of same-story documents form a ``near`` passage.
        near_containment: Character 7-gram containment (over the smaller
            paragraph) that also makes a ``near`` passage when the Jaccard is
            at least half of ``near_threshold``.
        near_min_tokens: Paragraphs with fewer word tokens are not compared by
            the rewrite matcher.
        boilerplate: Detect boilerplate and leave it out of pair scores (see
            :mod:`dedup.boilerplate`).
        boilerplate_min_docs: A paragraph text must occur in at least this many
            documents to be boilerplate.
        boilerplate_max_shared: ... and the documents holding it must share at
            most this fraction of their other text with each other (median over
            the documents), so a story re-published in many outlets is never
            boilerplate.
        jobs: Processes used to normalize, shingle and sign paragraphs, and
            to align candidate document pairs (``0``: all cores). Default 1 in the library, because worker
            processes are started with ``spawn``, which needs the calling
            script to guard its entry point with
            ``if __name__ == "__main__":``; the CLI defaults to all cores. A
            runtime setting: results do not depend on it, and it is left out
            of :meth:`to_dict` (and so of the JSON output).
        align: Find passages below the paragraph by word n-gram anchors and
            alignment (see :mod:`dedup.align`); off, passages are runs of
            whole matching paragraphs only.
        align_window: Winnowing window (n-grams) of the anchors: any shared
            run of ``align_window + 4`` tokens shares an anchor.
        align_min_anchors: Anchors on one diagonal (a chain) two documents
            must share to be aligned.
        align_min_tokens: Matched tokens an aligned passage needs at least.
        align_max_gap: Unmatched tokens (after fuzzy matching) an aligned
            passage may cross in a row.
    """

    threshold: float = 0.3
    num_perm: int = 128
    shingle: ShingleKind = "word"
    shingle_size: int | None = None
    seed: int = 1
    min_tokens: int = 3
    min_shared: int = 6
    coverage_threshold: float = 0.8
    canonical: CanonicalPolicy = "first"
    story: bool = True
    story_threshold: float = 0.3
    story_min_tfidf: float = 0.3
    story_model: StoryModelName = "tfidf"
    story_background: str | None = None
    near_threshold: float = 0.3
    near_containment: float = 0.6
    near_min_tokens: int = 8
    boilerplate: bool = True
    boilerplate_min_docs: int = 4
    boilerplate_max_shared: float = 0.5
    normalization_version: int = field(default=NORMALIZATION_VERSION, repr=False)
    jobs: int = 1
    # --- issue 14: passages below the paragraph (dedup/align.py) ---
    align: bool = True
    align_window: int = 6
    align_min_anchors: int = 3
    align_min_tokens: int = 12
    align_max_gap: int = 4

    def __post_init__(self) -> None:
        if self.shingle not in DEFAULT_SHINGLE_SIZE:
            raise ConfigError(f"shingle must be 'word' or 'char', got {self.shingle!r}")
        if self.shingle_size is None:
            object.__setattr__(self, "shingle_size", DEFAULT_SHINGLE_SIZE[self.shingle])
        _check_int("shingle_size", self.shingle_size, 1, 64)
        _check_int("num_perm", self.num_perm, 2, 4096)
        _check_int("seed", self.seed, 0, 2**32 - 1)
        _check_int("min_tokens", self.min_tokens, 1, 10_000)
        _check_int("jobs", self.jobs, 0, 1024)
        _check_int("min_shared", self.min_shared, 1, 10_000)
        _check_float("threshold", self.threshold, 0.0, 1.0, low_open=True)
        _check_float("coverage_threshold", self.coverage_threshold, 0.0, 1.0, low_open=True)
        for name in ("story", "boilerplate"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false, got {getattr(self, name)!r}")
        _check_float("story_threshold", self.story_threshold, 0.0, 1.0, low_open=True)
        _check_float("story_min_tfidf", self.story_min_tfidf, 0.0, 1.0)
        if self.story_model not in ("tfidf", "minilm"):
            raise ConfigError(f"story_model must be 'tfidf' or 'minilm', got {self.story_model!r}")
        if self.story_background is not None and not isinstance(self.story_background, str):
            raise ConfigError(f"story_background must be a path or None, got {self.story_background!r}")
        _check_float("near_threshold", self.near_threshold, 0.0, 1.0, low_open=True)
        _check_float("near_containment", self.near_containment, 0.0, 1.0, low_open=True)
        _check_int("near_min_tokens", self.near_min_tokens, 1, 10_000)
        _check_int("boilerplate_min_docs", self.boilerplate_min_docs, 2, 1_000_000)
        _check_float("boilerplate_max_shared", self.boilerplate_max_shared, 0.0, 1.0)
        if self.canonical not in ("first", "longest", "earliest"):
            raise ConfigError(f"canonical must be 'first', 'longest' or 'earliest', got {self.canonical!r}")
        if not isinstance(self.align, bool):
            raise ConfigError(f"align must be true or false, got {self.align!r}")
        _check_int("align_window", self.align_window, 1, 64)
        _check_int("align_min_anchors", self.align_min_anchors, 1, 10_000)
        _check_int("align_min_tokens", self.align_min_tokens, 4, 100_000)
        _check_int("align_max_gap", self.align_max_gap, 0, 8)
        if self.normalization_version != NORMALIZATION_VERSION:
            raise ConfigError(
                f"normalization_version {self.normalization_version} is not supported "
                f"(this dedup has version {NORMALIZATION_VERSION})"
            )

    @property
    def size(self) -> int:
        """The resolved shingle size (never ``None``)."""
        assert self.shingle_size is not None
        return self.shingle_size

    def replace(self, **changes: Any) -> Config:
        """Return a copy with some fields changed (validated again).

        Raises:
            ConfigError: On an unknown field or an invalid value.
        """
        _check_names(changes)
        if "shingle" in changes and "shingle_size" not in changes:
            changes["shingle_size"] = None
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """All fields that affect results, as a JSON-ready dict.

        Runtime settings (:data:`RUNTIME_SETTINGS`, e.g. ``jobs``) are left
        out: they never change a result.
        """
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in RUNTIME_SETTINGS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Config:
        """Build a config from a dict such as :meth:`to_dict` output.

        Raises:
            ConfigError: On an unknown field or an invalid value.
        """
        _check_names(data)
        return cls(**data)

    def fingerprint_settings(self) -> dict[str, Any]:
        """The settings that determine stored fingerprints.

        Two configs with equal fingerprint settings produce identical
        paragraph signatures and LSH bands, so an index built with one can be
        queried with the other.
        """
        return {
            "num_perm": self.num_perm,
            "shingle": self.shingle,
            "shingle_size": self.size,
            "seed": self.seed,
            "min_tokens": self.min_tokens,
            "threshold": self.threshold,
            "normalization_version": self.normalization_version,
            "hash_version": HASH_VERSION,
            "minhash_scheme": MINHASH_SCHEME,
        }


#: One-line help of each setting, shown by ``--help`` of every command that
#: takes settings (the CLI generates a flag per :class:`Config` field; see
#: :mod:`dedup.cli.options`). A field without an entry here gets the first
#: sentence of its ``Args:`` entry in the :class:`Config` docstring.
SETTING_HELP: dict[str, str] = {
    "threshold": "Jaccard similarity of two paragraphs' shingle sets at or above which they match.",
    "num_perm": "MinHash permutations per paragraph signature.",
    "shingle": "Shingle kind: word n-grams, or char n-grams (short or non-space-delimited text).",
    "shingle_size": "n of the n-grams (default: 2 for word shingles, 5 for char shingles).",
    "seed": "Seed of the MinHash permutations.",
    "min_tokens": "Paragraphs with fewer word tokens are not fingerprinted.",
    "min_shared": "Shingles two non-identical paragraphs must share to match.",
    "coverage_threshold": "Share of a document in shared passages for near_duplicate (both ways) / containment.",
    "canonical": "Which cluster member is kept: first, longest (most characters) or earliest (oldest date).",
    "story": "Run the same-story tier (syndicated rewrites of one story).",
    "story_threshold": "Story score (0..1) at or above which two documents are same_story.",
    "story_min_tfidf": "TF-IDF cosine a same_story pair must also reach.",
    "story_model": "Story model: tfidf (numpy only) or minilm (needs the embeddings extra).",
    "story_background": "Background corpus for the story statistics: a file with one document per line, or a folder.",
    "near_threshold": "Char 7-gram Jaccard at or above which rewritten paragraphs form a near passage.",
    "near_containment": "Char 7-gram containment that also makes a near passage.",
    "near_min_tokens": "Paragraphs with fewer word tokens are not compared by the rewrite matcher.",
    "boilerplate": "Detect boilerplate and leave it out of pair scores.",
    "boilerplate_min_docs": "Documents a paragraph must occur in to be boilerplate.",
    "boilerplate_max_shared": "Median share of other text the documents holding it may share with each other.",
    "jobs": "Processes for fingerprinting and alignment; 0 = all cores. Results do not depend on it.",
}

#: Command-line flag names that differ from the field name (``--background``).
SETTING_FLAGS: dict[str, str] = {"story_background": "background"}

#: Settings that name an existing file or folder.
PATH_SETTINGS = frozenset({"story_background"})

#: Fields that are not settings a user chooses (pinned by the code version).
INTERNAL_SETTINGS = frozenset({"normalization_version"})


def _check_names(data: dict[str, Any]) -> None:
    known = {f.name for f in fields(Config)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")


def _check_float(name: str, value: Any, low: float, high: float, low_open: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    if value > high or value < low or (low_open and value == low):
        bound = f"({low}, {high}]" if low_open else f"[{low}, {high}]"
        raise ConfigError(f"{name} must be in {bound}, got {value}")
