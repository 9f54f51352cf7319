"""numba kernel of the alignment's chaining and extension (the optional ``fast`` extra).

Imported only by :func:`dedup.align.passages_for` through
:func:`dedup._accel.kernels` (``None`` when numba is absent or
``DEDUP_NO_NUMBA`` is set). The Python code in :mod:`dedup.align`
(``_Pair``, ``_chain_extend``) is the reference; this kernel is a line-by-line
port over arrays and gives the same rows in the same order
(``tests/test_align_numba.py``). Words are compared as UTF-32 code points.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _fuzzy(cp, off, x, y, fmin):
    """``dedup.align.fuzzy_equal`` of global words ``x`` and ``y``."""
    xs, xe, ys, ye = off[x], off[x + 1], off[y], off[y + 1]
    lx, ly = xe - xs, ye - ys
    if lx == ly:
        same = True
        for k in range(lx):
            if cp[xs + k] != cp[ys + k]:
                same = False
                break
        if same:
            return True
    if max(lx, ly) < fmin or abs(lx - ly) > 1:
        return False
    if lx == ly:
        diff = 0
        for k in range(lx):
            if cp[xs + k] != cp[ys + k]:
                diff += 1
                if diff > 1:
                    return False
        return True
    if lx > ly:
        xs, ys = ys, xs
        lx, ly = ly, lx
    i = 0
    while i < lx and cp[xs + i] == cp[ys + i]:
        i += 1
    for k in range(i, lx):  # noqa: SIM110 (no generators in numba)
        if cp[xs + k] != cp[ys + k + 1]:
            return False
    return True


@njit(cache=True, nogil=True)
def _eq(h, m, cp, off, ba, la, bb, lb, i, j, fmin):
    if i < 0 or j < 0 or i >= la or j >= lb:
        return False
    if h[ba + i] == h[bb + j]:
        return True
    if m[ba + i] or m[bb + j]:
        return False
    return _fuzzy(cp, off, ba + i, bb + j, fmin)


@njit(cache=True, nogil=True)
def _gap(h, m, cp, off, ba, la, bb, lb, i0, i1, j0, j1, fmin):
    n, w = i1 - i0, j1 - j0
    if n <= 0 or w <= 0:
        return 0
    prev = np.zeros(w + 1, dtype=np.int64)
    cur = np.zeros(w + 1, dtype=np.int64)
    for x in range(n):
        cur[0] = 0
        for y in range(w):
            if _eq(h, m, cp, off, ba, la, bb, lb, i0 + x, j0 + y, fmin):
                cur[y + 1] = prev[y] + 1
            else:
                cur[y + 1] = max(prev[y + 1], cur[y])
        prev, cur = cur, prev
    return prev[w]


@njit(cache=True, nogil=True)
def _inside(x, y, step, lim_a, lim_b):
    if step > 0:
        return x < lim_a and y < lim_b
    return x > lim_a and y > lim_b


@njit(cache=True, nogil=True)
def _extend(h, m, cp, off, ba, la, bb, lb, i, j, step, max_gap, lim_a, lim_b, fmin):
    matched = 0
    last_i, last_j = i, j
    while _inside(i, j, step, lim_a, lim_b):
        if _eq(h, m, cp, off, ba, la, bb, lb, i, j, fmin):
            matched += 1
            i += step
            j += step
            last_i, last_j = i, j
            continue
        moved = False
        for total in range(1, 2 * max_gap + 1):
            for di in range(max(0, total - max_gap), min(total, max_gap) + 1):
                dj = total - di
                x, y = i + step * di, j + step * dj
                if (
                    _inside(x, y, step, lim_a, lim_b)
                    and _inside(x + step, y + step, step, lim_a, lim_b)
                    and _eq(h, m, cp, off, ba, la, bb, lb, x, y, fmin)
                    and _eq(h, m, cp, off, ba, la, bb, lb, x + step, y + step, fmin)
                ):
                    i, j = x, y
                    moved = True
                    break
            if moved:
                break
        if not moved:
            break
    return last_i, last_j, matched


@njit(cache=True, nogil=True)
def align_pairs(runs, cut, local, base, n_tok, h, m, cp, off, max_gap, max_raw_gap, fmin):
    """Chained and extended rows ``(pair, a0, b0, a1, b1, matched)`` of every pair with seed runs.

    Args:
        runs: ``(n, 4)`` rows ``(pair, a0, b0, length)`` sorted by pair, ``a0``, ``b0``.
        cut: Pair ``p``'s runs are ``runs[cut[p]:cut[p + 1]]``.
        local: ``(pairs, 2)`` local document indices.
        base: First global token of each local document.
        n_tok: Tokens of each local document.
        h: Masked token hashes, documents end to end.
        m: Excluded tokens, likewise.
        cp: Code points of all words; word ``k`` is ``cp[off[k]:off[k + 1]]``.
        off: Word offsets into ``cp``.
        max_gap: ``align_max_gap``.
        max_raw_gap: ``dedup.align.MAX_RAW_GAP``.
        fmin: ``dedup.align.FUZZY_MIN_CHARS``.
    """
    out = np.empty((runs.shape[0], 6), dtype=np.int64)
    n_out = 0
    n = runs.shape[0]
    c_a0 = np.empty(n, dtype=np.int64)
    c_b0 = np.empty(n, dtype=np.int64)
    c_a1 = np.empty(n, dtype=np.int64)
    c_b1 = np.empty(n, dtype=np.int64)
    c_m = np.empty(n, dtype=np.int64)
    opened = np.empty(n, dtype=np.int64)
    closed = np.empty(n, dtype=np.int64)
    for p in range(len(cut) - 1):
        r_lo, r_hi = cut[p], cut[p + 1]
        if r_hi <= r_lo:
            continue
        xa, xb = local[p, 0], local[p, 1]
        ba, la, bb, lb = base[xa], n_tok[xa], base[xb], n_tok[xb]
        same = xa == xb
        n_chains = 0
        n_open = 0
        n_closed = 0
        for r in range(r_lo, r_hi):
            a0, b0, length = runs[r, 1], runs[r, 2], runs[r, 3]
            a1, b1 = a0 + length, b0 + length
            best = -1
            best_cost = 0
            k = 0
            for t in range(n_open):
                c = opened[t]
                if c_a1[c] < a0 - max_raw_gap:
                    closed[n_closed] = c
                    n_closed += 1
                    continue
                opened[k] = c
                k += 1
                ga, gb = a0 - c_a1[c], b0 - c_b1[c]
                if ga > max_raw_gap or gb > max_raw_gap or min(ga, gb) < -length or a1 <= c_a1[c] or b1 <= c_b1[c]:
                    continue
                if abs(ga - gb) > max_gap:
                    continue
                cost = max(ga, gb)
                if best < 0 or cost < best_cost:
                    best = c
                    best_cost = cost
            n_open = k
            if best >= 0:
                ga, gb = a0 - c_a1[best], b0 - c_b1[best]
                if ga < 0 or gb < 0:
                    cut_ = -min(ga, gb)
                    a0 += cut_
                    b0 += cut_
                    ga += cut_
                    gb += cut_
                lcs = _gap(h, m, cp, off, ba, la, bb, lb, c_a1[best], a0, c_b1[best], b0, fmin)
                if max(ga, gb) - lcs <= max_gap and not (same and a1 > b0):
                    c_a1[best] = a1
                    c_b1[best] = b1
                    c_m[best] += lcs + (a1 - a0)
                    continue
            if same and a1 > b0:
                continue
            c_a0[n_chains] = a0
            c_b0[n_chains] = b0
            c_a1[n_chains] = a1
            c_b1[n_chains] = b1
            c_m[n_chains] = a1 - a0
            opened[n_open] = n_chains
            n_open += 1
            n_chains += 1
        for t in range(n_open):
            closed[n_closed] = opened[t]
            n_closed += 1
        for t in range(n_closed):
            c = closed[t]
            lim = c_b0[c] if same else la
            i, j, m1 = _extend(h, m, cp, off, ba, la, bb, lb, c_a1[c], c_b1[c], 1, max_gap, lim, lb, fmin)
            c_a1[c] = i
            c_b1[c] = j
            lim = c_a1[c] - 1 if same else -1
            i, j, m2 = _extend(h, m, cp, off, ba, la, bb, lb, c_a0[c] - 1, c_b0[c] - 1, -1, max_gap, -1, lim, fmin)
            c_a0[c] = i + 1
            c_b0[c] = j + 1
            c_m[c] += m1 + m2
            out[n_out, 0] = p
            out[n_out, 1] = c_a0[c]
            out[n_out, 2] = c_b0[c]
            out[n_out, 3] = c_a1[c]
            out[n_out, 4] = c_b1[c]
            out[n_out, 5] = c_m[c]
            n_out += 1
    return out[:n_out]
