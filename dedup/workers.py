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

Stages whose work is a long array of independent rows (candidate pairs to
verify, LSH bands, document pairs to score) use :func:`map_slices`: the rows
are cut into a few consecutive slices per process, each worker runs the
stage's own pure function on whole slices and returns numpy arrays (cheap to
send back, unlike lists of Python objects), and the caller concatenates the
parts in slice order (:func:`concat_rows`), which is the result of one call
over all rows. This module is the one place that starts such workers.

Example:
    >>> map_ordered(lambda item, shared: item * shared, 10, [1, 2, 3], jobs=2)
    [10, 20, 30]
    >>> map_slices(lambda part, xs: sum(xs[part]), [1, 2, 3, 4], 4, jobs=2, min_items=1, per_job=1)
    [3, 7]
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from .paragraphs import resolve_jobs, start_pool

__all__ = ["MIN_PARALLEL_ITEMS", "balanced_slices", "concat_rows", "map_ordered", "map_slices"]

T = TypeVar("T")
R = TypeVar("R")

#: Consecutive slices per process in :func:`map_slices` (a slow slice does
#: not leave the other processes idle for long).
SLICES_PER_JOB = 4

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


def map_slices(
    fn: Callable[[slice, Any], R],
    shared: Any,
    n: int | Sequence[float],
    jobs: int,
    *,
    min_items: int = MIN_PARALLEL_ITEMS,
    per_job: int = SLICES_PER_JOB,
) -> list[R]:
    """``fn(part, shared)`` for consecutive slices ``part`` covering ``range(n)``, over forked workers.

    With one process (``jobs`` resolving to 1, fewer than ``min_items``
    rows, or no ``fork``) ``fn`` is called once, on ``slice(0, n)``, in this
    process; otherwise on about ``per_job * jobs`` slices of about equal
    weight. Either way the results come back in slice order, so a ``fn``
    whose result over a slice is the concatenation of its results over
    sub-slices gives the same output for every ``jobs``.

    Args:
        fn: Pure function of a slice of the rows and the shared inputs.
        shared: Read-only inputs (inherited by the workers, not sent).
        n: Number of rows, or one weight per row (the work it costs).
        jobs: Processes (``0``: all cores).
        min_items: Fewer rows than this run in this process.
        per_job: Slices per process.

    Returns:
        One result per slice, in order (``[]`` when there are no rows).

    >>> map_slices(lambda part, _: (part.start, part.stop), None, 10, jobs=1)
    [(0, 10)]
    >>> map_slices(lambda part, _: (part.start, part.stop), None, [1] * 4, jobs=2, min_items=1, per_job=1)
    [(0, 2), (2, 4)]
    """
    weights = None if isinstance(n, int) else n
    count = n if isinstance(n, int) else len(n)
    if count == 0:
        return []
    n_jobs = resolve_jobs(jobs)
    if n_jobs <= 1 or count < min_items or not _can_fork() or _WORK is not None:
        return [fn(slice(0, count), shared)]
    if weights is None:
        step = -(-count // (per_job * n_jobs))
        parts = [slice(i, min(i + step, count)) for i in range(0, count, step)]
    else:
        parts = balanced_slices(weights, per_job * n_jobs)
    return map_ordered(fn, shared, parts, n_jobs)


def concat_rows(parts: Sequence[Any], empty: Any) -> Any:
    """The per-slice arrays of :func:`map_slices` joined in order (``empty`` when there are none).

    Tuples of arrays are joined field by field.

    >>> import numpy as np
    >>> concat_rows([(np.array([1]), np.array([2.0])), (np.array([3]), np.array([4.0]))], None)
    (array([1, 3]), array([2., 4.]))
    >>> concat_rows([], np.zeros(0)).tolist()
    []
    """
    if not parts:
        return empty
    if len(parts) == 1:
        return parts[0]
    if isinstance(parts[0], tuple):
        return tuple(np.concatenate([p[k] for p in parts]) for k in range(len(parts[0])))
    return np.concatenate(list(parts))
