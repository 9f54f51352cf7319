"""Persistent index storage: the :class:`IndexStore` interface and its backends."""

from .base import AddBatch, AddStats, IndexInfo, IndexStore, StoredDocument, StoredOccurrences
from .sqlite import SQLiteStore

__all__ = ["AddBatch", "AddStats", "IndexInfo", "IndexStore", "SQLiteStore", "StoredDocument", "StoredOccurrences"]
