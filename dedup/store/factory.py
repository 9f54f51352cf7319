"""Open an index store from an ``--index`` value: a SQLite file path or a Redis URL."""

from __future__ import annotations

from .base import IndexStore

__all__ = ["open_store"]


def open_store(location: str, create: bool = True, verify: str = "quick", timeout: float = 60.0) -> IndexStore:
    """The store an ``--index`` value names.

    ``redis://host:port/db?prefix=name`` (or ``rediss://``, ``unix://``)
    selects :class:`~dedup.store.redis.RedisStore`; anything else is a SQLite
    file path (:class:`~dedup.store.sqlite.SQLiteStore`).

    Args:
        location: File path or Redis URL.
        create: Create the index when it does not exist.
        verify: Integrity check on open: ``"quick"``, ``"full"`` or ``"none"``.
        timeout: Seconds a writer waits for another writer.

    Raises:
        IndexStoreError: It cannot be opened (or does not exist and ``create`` is false).
        IndexCorruptError: It is damaged or not an index.
        MissingDependencyError: A Redis URL without redis-py installed.
    """
    from .redis import is_redis_url

    if is_redis_url(location):
        from .redis import RedisStore

        return RedisStore(location, create=create, verify=verify, timeout=timeout)
    from .sqlite import SQLiteStore

    return SQLiteStore(location, create=create, timeout=timeout, verify=verify)
