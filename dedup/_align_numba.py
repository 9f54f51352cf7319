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
def _lower(a, lo, hi, v):
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def _upper(a, lo, hi, v):
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] <= v:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def _seed_runs(grank, srank, spos, gfirst, glen, xa, xb, same, max_seeds, max_repeat, k, si, sj, key, runs):
    """``dedup.align._seed_runs`` of one pair into ``runs`` (rows ``a0, b0, length`` by ``a0``, ``b0``).

    Returns the number of runs and the largest seed-run total on one diagonal.
    """
    fa, na, fb, nb = gfirst[xa], glen[xa], gfirst[xb], glen[xb]
    # Merge join of the two sorted n-gram lists; seeds are sorted below, so their order here only
    # matters when there are more than max_seeds (then the first in a order are kept, found again
    # by a binary search per n-gram of a).
    n = 0
    over = False
    ia, ea, ib, eb = fa, fa + na, fb, fb + nb
    while ia < ea and ib < eb and not over:
        va, vb = srank[ia], srank[ib]
        if va < vb:
            ia += 1
        elif vb < va:
            ib += 1
        else:
            ia2, ib2 = ia, ib
            while ia2 < ea and srank[ia2] == va:
                ia2 += 1
            while ib2 < eb and srank[ib2] == va:
                ib2 += 1
            if ib2 - ib <= max_repeat:
                for x in range(ia, ia2):
                    i = spos[x]
                    for y in range(ib, ib2):
                        j = spos[y]
                        if same and j <= i:
                            continue
                        if n >= max_seeds:
                            over = True
                            break
                        si[n] = i
                        sj[n] = j
                        n += 1
                    if over:
                        break
            ia, ib = ia2, ib2
    if over:
        n = 0
    for i in range(na if over else 0):
        if n >= max_seeds:
            break
        r = grank[fa + i]
        lo = _lower(srank, fb, fb + nb, r)
        hi = _upper(srank, lo, fb + nb, r)
        if hi - lo > max_repeat:
            continue
        for t in range(lo, hi):
            j = spos[t]
            if same and j <= i:
                continue
            if n >= max_seeds:
                break
            si[n] = i
            sj[n] = j
            n += 1
    if n == 0:
        return 0, 0
    width = na + 1
    for t in range(n):
        key[t] = (sj[t] - si[t] + na) * width + si[t]
    order = np.argsort(key[:n])
    n_runs = 0
    best = 0
    diag_sum = 0
    prev_i = -2
    prev_d = -(na + nb + 2)
    for t in range(n):
        i = si[order[t]]
        d = sj[order[t]] - i
        if d == prev_d and i == prev_i + 1:
            runs[n_runs - 1, 2] += 1
            diag_sum += 1
        else:
            if d != prev_d:
                diag_sum = 0
            runs[n_runs, 0] = i
            runs[n_runs, 1] = i + d
            runs[n_runs, 2] = k
            n_runs += 1
            diag_sum += k
        if diag_sum > best:
            best = diag_sum
        prev_i, prev_d = i, d
    wb = nb + k + 1
    for t in range(n_runs):
        key[t] = runs[t, 0] * wb + runs[t, 1]
    order = np.argsort(key[:n_runs])
    tmp = runs[:n_runs].copy()
    for t in range(n_runs):
        runs[t, 0] = tmp[order[t], 0]
        runs[t, 1] = tmp[order[t], 1]
        runs[t, 2] = tmp[order[t], 2]
    return n_runs, best


@njit(cache=True, nogil=True)
def align_all(
    pairs,
    grank,
    srank,
    spos,
    gfirst,
    glen,
    base,
    n_tok,
    h,
    m,
    cp,
    off,
    k,
    max_seeds,
    max_repeat,
    min_cover,
    max_gap,
    max_raw_gap,
    fmin,
):
    """Seeds, chains and extensions of every pair: rows ``(pair, a0, b0, a1, b1, matched)``.

    Args:
        pairs: ``(p, 2)`` local document indices.
        grank: Rank of each seed n-gram (documents end to end, in position order).
        srank: The same ranks sorted within each document (stable).
        spos: Position in its document of each entry of ``srank``.
        gfirst: First n-gram of each local document.
        glen: N-grams of each local document.
        base: First token of each local document in ``h``.
        n_tok: Tokens of each local document.
        h: Masked token hashes, documents end to end.
        m: Excluded tokens, likewise.
        cp: Code points of all words; word ``t`` is ``cp[off[t]:off[t + 1]]``.
        off: Word offsets into ``cp``.
        k: ``dedup.align.SEED_K``.
        max_seeds: ``dedup.align.MAX_SEEDS``.
        max_repeat: ``dedup.align.MAX_REPEAT``.
        min_cover: Seed-run tokens one diagonal needs (``MIN_SEED_COVER * align_min_tokens``).
        max_gap: ``align_max_gap``.
        max_raw_gap: ``dedup.align.MAX_RAW_GAP``.
        fmin: ``dedup.align.FUZZY_MIN_CHARS``.
    """
    si = np.empty(max_seeds, dtype=np.int64)
    sj = np.empty(max_seeds, dtype=np.int64)
    key = np.empty(max_seeds, dtype=np.int64)
    runs = np.empty((max_seeds, 3), dtype=np.int64)
    c_a0 = np.empty(max_seeds, dtype=np.int64)
    c_b0 = np.empty(max_seeds, dtype=np.int64)
    c_a1 = np.empty(max_seeds, dtype=np.int64)
    c_b1 = np.empty(max_seeds, dtype=np.int64)
    c_m = np.empty(max_seeds, dtype=np.int64)
    opened = np.empty(max_seeds, dtype=np.int64)
    closed = np.empty(max_seeds, dtype=np.int64)
    out = np.empty((max(16, pairs.shape[0]), 6), dtype=np.int64)
    n_out = 0
    for p in range(pairs.shape[0]):
        xa, xb = pairs[p, 0], pairs[p, 1]
        same = xa == xb
        n_runs, cover = _seed_runs(
            grank, srank, spos, gfirst, glen, xa, xb, same, max_seeds, max_repeat, k, si, sj, key, runs
        )
        if n_runs == 0 or cover < min_cover:
            continue
        ba, la, bb, lb = base[xa], n_tok[xa], base[xb], n_tok[xb]
        n_chains = 0
        n_open = 0
        n_closed = 0
        for r in range(n_runs):
            a0, b0, length = runs[r, 0], runs[r, 1], runs[r, 2]
            a1, b1 = a0 + length, b0 + length
            best = -1
            best_cost = 0
            kk = 0
            for t in range(n_open):
                c = opened[t]
                if c_a1[c] < a0 - max_raw_gap:
                    closed[n_closed] = c
                    n_closed += 1
                    continue
                opened[kk] = c
                kk += 1
                ga, gb = a0 - c_a1[c], b0 - c_b1[c]
                if ga > max_raw_gap or gb > max_raw_gap or min(ga, gb) < -length or a1 <= c_a1[c] or b1 <= c_b1[c]:
                    continue
                if abs(ga - gb) > max_gap:
                    continue
                cost = max(ga, gb)
                if best < 0 or cost < best_cost:
                    best = c
                    best_cost = cost
            n_open = kk
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
        if n_out + n_closed > out.shape[0]:
            grown = np.empty((2 * (n_out + n_closed), 6), dtype=np.int64)
            grown[:n_out] = out[:n_out]
            out = grown
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


@njit(cache=True, nogil=True)
def sort_within(g, gfirst, glen):
    """Per document, its n-gram hashes sorted (stable) and the position of each."""
    srank = np.empty_like(g)
    spos = np.empty(len(g), dtype=np.int64)
    for d in range(len(gfirst)):
        f, n = gfirst[d], glen[d]
        if n == 0:
            continue
        o = np.argsort(g[f : f + n], kind="mergesort")
        for t in range(n):
            srank[f + t] = g[f + o[t]]
            spos[f + t] = o[t]
    return srank, spos


@njit(cache=True, nogil=True)
def _distinct_sorted(x):
    x = np.sort(x)
    n = 0
    for t in range(len(x)):
        if t == 0 or x[t] != x[t - 1]:
            x[n] = x[t]
            n += 1
    return x[:n]


@njit(cache=True, nogil=True)
def range_jaccards(h, bigrams, ranges):
    """``dedup.align._range_jaccard`` of every row ``(a0, a1, b0, b1)`` of ``ranges``."""
    out = np.empty(ranges.shape[0], dtype=np.float64)
    for r in range(ranges.shape[0]):
        a0, a1, b0, b1 = ranges[r, 0], ranges[r, 1], ranges[r, 2], ranges[r, 3]
        x = _distinct_sorted(h[a0:a1].copy() if a1 - a0 < 2 else bigrams[a0 : a1 - 1].copy())
        y = _distinct_sorted(h[b0:b1].copy() if b1 - b0 < 2 else bigrams[b0 : b1 - 1].copy())
        i = j = inter = 0
        while i < len(x) and j < len(y):
            if x[i] < y[j]:
                i += 1
            elif y[j] < x[i]:
                j += 1
            else:
                inter += 1
                i += 1
                j += 1
        union = len(x) + len(y) - inter
        out[r] = inter / union if union else 1.0
    return out


@njit(cache=True, nogil=True)
def _same_chars(codes, off, x, y):
    lx = off[x + 1] - off[x]
    if off[y + 1] - off[y] != lx:
        return False
    same = True
    for k in range(lx):
        if codes[off[x] + k] != codes[off[y] + k]:
            same = False
            break
    return same


@njit(cache=True, nogil=True)
def distinct_tokens(codes, off):
    """Token ``t`` is ``codes[off[t]:off[t + 1]]``: per token the id of its distinct text, and each id's first token.

    Ids are numbered in order of first appearance. An open-addressing table
    keyed by the tokens' characters (FNV-1a, compared character by character).
    """
    n = len(off) - 1
    size = 1 << 12
    table = np.full(size, -1, dtype=np.int64)
    ids = np.empty(n, dtype=np.int64)
    first = np.empty(max(n, 1), dtype=np.int64)
    id_hash = np.empty(max(n, 1), dtype=np.uint64)
    n_ids = 0
    for t in range(n):
        h = np.uint64(0xCBF29CE484222325)
        for k in range(off[t], off[t + 1]):
            h = (h ^ np.uint64(codes[k])) * np.uint64(0x100000001B3)
        s = np.int64(h & np.uint64(size - 1))
        found = -1
        while table[s] >= 0:
            i = table[s]
            if id_hash[i] == h and _same_chars(codes, off, first[i], t):
                found = i
                break
            s = (s + 1) & (size - 1)
        if found < 0:
            found = n_ids
            table[s] = found
            id_hash[found] = h
            first[found] = t
            n_ids += 1
            if 2 * n_ids > size:
                # Grow: re-insert every distinct token.
                size <<= 1
                table = np.full(size, -1, dtype=np.int64)
                for i in range(n_ids):
                    s = np.int64(id_hash[i] & np.uint64(size - 1))
                    while table[s] >= 0:
                        s = (s + 1) & (size - 1)
                    table[s] = i
        ids[t] = found
    return ids, first[:n_ids].copy()


#: N-grams the winnowing kernel holds at once (its working memory beyond the inputs and anchors).
_WINNOW_BLOCK = 1 << 16


@njit(cache=True, nogil=True)
def winnowed_anchors(h, m, lengths, n, w, mul, invalid):
    """``dedup.align._anchors`` in one pass: ``(hash, doc, position)`` of the winnowed n-grams.

    ``h``: token hashes of all documents end to end, ``m``: their excluded
    flags, ``lengths``: tokens per document, ``n``: tokens per n-gram, ``w``:
    the window. An n-gram crossing into the next document or holding an
    excluded token is invalid (value ``invalid``): it is never an anchor, but
    it takes part in the windows, as in the numpy code. The n-grams are
    computed a block of :data:`_WINNOW_BLOCK` windows at a time (the last
    ``w - 1`` carried into the next block): the memory beyond the inputs is
    that of the anchors kept.
    """
    total = len(h)
    n_g = total - n + 1
    buf = np.empty(_WINNOW_BLOCK + w, dtype=np.uint64)
    buf_ok = np.zeros(_WINNOW_BLOCK + w, dtype=np.bool_)
    # The n-grams made so far, the document of the next one, and the excluded tokens in [t, t + n).
    made = 0
    p_doc = 0
    p_end = lengths[0] if len(lengths) else 0
    masked = 0
    for t in range(min(n - 1, total)):
        if m[t]:
            masked += 1
    n_win = n_g - w + 1 if n_g > w else 1
    # One anchor per window at most; winnowing keeps about 2 / (w + 1) of the n-grams, and the
    # pages of the outputs beyond the anchors kept are never written (not resident).
    out_h = np.empty(n_win, dtype=np.uint64)
    out_d = np.empty(n_win, dtype=np.int64)
    out_p = np.empty(n_win, dtype=np.int64)
    n_out = 0
    width = w if n_g > w else n_g
    last = -1
    # Document of each pick: picks never decrease, so one pointer walks the documents.
    d = 0
    first = 0
    doc_end = lengths[0] if len(lengths) else 0
    off = 0  # n-gram index of buf[0]
    s0 = 0
    while s0 < n_win:
        s1 = min(s0 + _WINNOW_BLOCK, n_win)
        # Keep the n-grams from s0 on (the previous block's last w - 1), then make the block's.
        keep = made - s0
        for i in range(keep):
            buf[i] = buf[s0 - off + i]
            buf_ok[i] = buf_ok[s0 - off + i]
        off = s0
        while made < s1 - 1 + width:
            t = made
            if m[t + n - 1]:
                masked += 1
            while t >= p_end:
                p_doc += 1
                p_end += lengths[p_doc]
            v = h[t]
            for k in range(1, n):
                v = v * mul + h[t + k]
            ok = t + n <= p_end and masked == 0
            buf[t - off] = v if ok else invalid
            buf_ok[t - off] = ok
            if m[t]:
                masked -= 1
            made += 1
        for s in range(s0, s1):
            j = s - off
            best = j
            best_v = buf[j]
            for k in range(j + 1, j + width):
                if buf[k] <= best_v:
                    best = k
                    best_v = buf[k]
            best += off
            if best == last:
                continue
            last = best
            if not buf_ok[best - off]:
                continue
            while best >= doc_end:
                first = doc_end
                d += 1
                doc_end += lengths[d]
            out_h[n_out] = best_v
            out_d[n_out] = d
            out_p[n_out] = best - first
            n_out += 1
        s0 = s1
    return out_h[:n_out].copy(), out_d[:n_out].copy(), out_p[:n_out].copy()
