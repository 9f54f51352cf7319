"""Per-pair stages over worker processes, merged in input order.

The fingerprinting pass has its own pool of ``spawn``-ed workers
(:mod:`dedup.paragraphs`): its inputs are texts, cheap to send. The stages
after it (alignment of candidate document pairs, for one) work on arrays the
main process already holds (tokens, masks, the paragraph table), so sending
them would cost more than the work. :func:`map_ordered` therefore forks: each
worker inherits the inputs as they are in memory, runs ``fn`` on its share of
the items and sends back only the results, which are returned in item order,
so the output does not depend on the number of processes.

Forking is used only where the platform offers it and the work is worth a
process (:data:`MIN_PARALLEL_ITEMS`); otherwise the items run in this process.

Example:
    >>> map_ordered(lambda item, shared: item * shared, 10, [1, 2, 3], jobs=2)
    [10, 20, 30]
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .paragraphs import resolve_jobs, start_pool

__all__ = ["MIN_PARALLEL_ITEMS", "balanced_slices", "map_ordered"]

T = TypeVar("T")
R = TypeVar("R")

#: Callers run fewer work items (e.g. candidate pairs) than this in their own
#: process: a fork and the transfer of the results back cost milliseconds.
MIN_PARALLEL_ITEMS = 64

# The work of the current map_ordered call, inherited by the forked workers
# (set just before the pool forks, cleared when it is done).
_WORK: tuple[Callable[[Any, Any], Any], Any, Sequence[Any]] | None = None


def _run(i: int) -> Any:
    assert _WORK is not None
    fn, shared, items = _WORK
    return fn(items[i], shared)


def _can_fork() -> bool:
    return sys.platform != "win32" and "fork" in multiprocessing.get_all_start_methods()


def map_ordered(fn: Callable[[T, Any], R], shared: Any, items: Sequence[T], jobs: int) -> list[R]:
    """``[fn(item, shared) for item in items]``, over ``jobs`` forked processes.

    Args:
        fn: Called as ``fn(item, shared)``; its result must pickle.
        shared: Read-only inputs every call needs (inherited by the workers,
            not sent).
        items: The work items (inherited too); one call each.
        jobs: Processes (``0``: all cores; ``1``: this process only).

    Returns:
        The results, in the order of ``items`` whatever ``jobs`` is.
    """
    global _WORK
    n_jobs = min(resolve_jobs(jobs), len(items))
    if n_jobs <= 1 or not _can_fork() or _WORK is not None:
        return [fn(item, shared) for item in items]
    _WORK = (fn, shared, items)
    # Objects that exist now are left out of the workers' garbage collections:
    # a collection touches every object it tracks, which would copy the pages
    # the workers share with this process.
    gc.freeze()
    try:
        # Forked with SIGINT ignored, as the fingerprinting pool: the parent decides when to stop.
        with start_pool(n_jobs, "fork") as pool:
            return pool.map(_run, range(len(items)), chunksize=1)
    finally:
        _WORK = None
        gc.unfreeze()


def balanced_slices(weights: Sequence[float], parts: int) -> list[slice]:
    """Consecutive slices of ``weights`` with about equal sums (at most ``parts``, none empty).

    >>> balanced_slices([1, 1, 1, 1, 4], 2)
    [slice(0, 4, None), slice(4, 5, None)]
    >>> balanced_slices([], 3)
    []
    """
    n = len(weights)
    if n == 0:
        return []
    parts = max(1, min(parts, n))
    total = float(sum(weights))
    out: list[slice] = []
    start, acc = 0, 0.0
    for i, w in enumerate(weights):
        acc += float(w)
        if len(out) < parts - 1 and acc >= total * (len(out) + 1) / parts and i + 1 < n:
            out.append(slice(start, i + 1))
            start = i + 1
    out.append(slice(start, n))
    return out
