"""The exception tree of dedup.

Every error the library raises on purpose derives from :class:`DedupError`, so a
caller can catch one class::

    DedupError
    ├── ConfigError          invalid settings (bad value, unknown key)
    ├── InputError           a document cannot be read or decoded
    │   └── EmptyInputError  a document holds no text
    ├── IndexStoreError      a persisted index cannot be used
    │   ├── IndexMismatchError  built with other settings
    │   └── IndexCorruptError   damaged, truncated or not an index
    ├── MissingDependencyError  an optional extra is not installed
    └── OutputError          an output folder cannot be written

The CLI turns these into one-line messages and exit code 2.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DedupError",
    "EmptyInputError",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexStoreError",
    "InputError",
    "MissingDependencyError",
    "OutputError",
]


class DedupError(Exception):
    """Base class of every error raised by dedup on purpose."""


class ConfigError(DedupError, ValueError):
    """A setting has an invalid value or an unknown name."""


class InputError(DedupError):
    """A document could not be read or decoded.

    Attributes:
        path: The file (or document id) concerned.
        reason: A short human-readable reason.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class EmptyInputError(InputError):
    """A document holds no text (empty or only whitespace)."""


class IndexStoreError(DedupError):
    """A persisted index cannot be used."""


class IndexMismatchError(IndexStoreError):
    """The index was built with settings that differ from the requested ones."""


class IndexCorruptError(IndexStoreError):
    """The index file is damaged, truncated, or not a dedup index."""


class MissingDependencyError(DedupError):
    """An optional dependency (an extra such as ``article-dedup[feeds]``) is not installed."""


class OutputError(DedupError):
    """An output folder or file cannot be written (exists, not writable)."""
