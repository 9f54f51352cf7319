"""Optional numba acceleration (the ``fast`` extra): which kernels to use.

:func:`kernels` returns the :mod:`dedup._numba` module when numba can be
imported, else ``None``; setting the environment variable ``DEDUP_NO_NUMBA``
to anything but ``""`` or ``"0"`` forces the numpy path (read on every call, so
tests can switch). numba is imported only here, on first use, and only when it
is installed. Both paths give byte-identical results.
"""

from __future__ import annotations

import os
from functools import lru_cache
from types import ModuleType

__all__ = ["kernels", "numba_available"]


@lru_cache(maxsize=1)
def _load() -> ModuleType | None:
    try:
        from . import _numba
    except ImportError:  # numba absent (or unusable with this numpy)
        return None
    return _numba


def numba_available() -> bool:
    """Whether the numba kernels can be imported (ignores ``DEDUP_NO_NUMBA``)."""
    return _load() is not None


def kernels() -> ModuleType | None:
    """The numba kernels module, or ``None`` for the numpy path."""
    if os.environ.get("DEDUP_NO_NUMBA", "") not in ("", "0"):
        return None
    return _load()
