"""Persistent index storage: the :class:`IndexStore` interface and its backends."""

from .base import AddBatch, AddStats, IndexInfo, IndexStore, StoredDocument, StoredOccurrences
from .factory import open_store
from .redis import RedisStore
from .sqlite import SQLiteStore

__all__ = [
    "AddBatch",
    "AddStats",
    "IndexInfo",
    "IndexStore",
    "RedisStore",
    "SQLiteStore",
    "StoredDocument",
    "StoredOccurrences",
    "open_store",
]
