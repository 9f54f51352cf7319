"""Optional numba acceleration (the ``fast`` extra): which kernels to use.

:func:`kernels` returns the :mod:`dedup._numba` module when numba can be
imported, else ``None``; setting the environment variable ``DEDUP_NO_NUMBA``
to anything but ``""`` or ``"0"`` forces the numpy path (read on every call, so
tests can switch). Both paths give byte-identical results.

numba is imported only here, only when it is installed, and only once the
process has done :data:`WARMUP_UNITS` units of work on the numpy path:
importing numba and loading the cached kernels costs about 0.3-0.5 s and
100 MiB, which a small scan would not earn back (the kernels save about
60 ns per token). A large scan switches after its first ~50,000 paragraphs
(measured at 20,000 paragraphs, copy tiers: 1.4 s CPU on numpy, 1.9 s with
numba loaded at the former 2 million units).
"""

from __future__ import annotations

import os
from functools import lru_cache
from types import ModuleType

__all__ = ["WARMUP_UNITS", "kernels", "numba_available"]

#: Tokens (or characters) plus shingles processed with numpy before numba is
#: loaded; 0 loads it on first use.
WARMUP_UNITS = 8_000_000

_seen = 0


@lru_cache(maxsize=1)
def _load() -> ModuleType | None:
    try:
        from . import _numba
    except ImportError:  # numba absent (or unusable with this numpy)
        return None
    return _numba


def numba_available() -> bool:
    """Whether the numba kernels can be imported (ignores ``DEDUP_NO_NUMBA``; imports numba)."""
    return _load() is not None


def kernels(work: int = 0) -> ModuleType | None:
    """The numba kernels module, or ``None`` for the numpy path.

    Args:
        work: Units of work the caller is about to do (tokens, shingles),
            counted towards :data:`WARMUP_UNITS`.
    """
    global _seen
    if os.environ.get("DEDUP_NO_NUMBA", "") not in ("", "0"):
        return None
    if _seen < WARMUP_UNITS:
        _seen += work
        if _seen < WARMUP_UNITS:
            return None
    return _load()
