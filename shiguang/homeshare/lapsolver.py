"""Exact sparse min-cost assignment on integer costs, compiled with numba (used by `matching.assign_sparse`).

Problem: a bipartite graph given as CSR arcs from left nodes to right nodes with int64 costs, and a set of
"eligible" right nodes. Every left node must be matched; there are `n_right - n_left` dummy left nodes with an
implicit arc of cost 0 to every eligible right node, so the eligible right nodes are the ones allowed to stay
unmatched. Find a perfect matching of minimum total cost. The caller guarantees one exists (it passes the arcs
of a Hopcroft–Karp matching in `seed`).

How (all exact integer arithmetic; the result is certified, not hoped for):
  1. Auction (Bertsekas, Gauss–Seidel, ε-scaling with two steps) on all arcs gives good column prices `v`
     cheaply. Its matching is thrown away: only the prices are kept.
  2. Restricted problem: for each left node its `TOP_K` arcs of least reduced cost `c − v` (ties spread
     over the columns), plus the seed arcs and the auction's final assignment.
  3. Exact Jonker–Volgenant on the restricted arcs, warm-started from `v`: augmenting row reduction, then
     Dijkstra shortest augmenting paths. Afterwards every restricted arc has reduced cost `c − u − v ≥ 0`,
     every matched arc has 0, and every dummy's column has the highest price among eligible columns (its
     implicit arcs are tight or better): an optimal matching of the restricted problem, with its dual.
  4. Pricing: one pass over ALL arcs. If none has a negative reduced cost, (u, v) is dual feasible for the
     whole problem and complementary slackness holds, so the matching is optimal for the whole problem (LP
     duality for the assignment polytope). Otherwise the violating arcs are added, the rows that own them are
     freed, and step 3 runs again warm (only those rows are re-augmented). Each round adds arcs, so this ends;
     on the benchmark it takes 2–3 rounds.
"""

from __future__ import annotations

import numpy as np
from numba import njit

INF = np.iinfo(np.int64).max // 4
TOP_K = 10  # restricted arcs per left node (plus its seed arc)
ADD_PER_ROW = 5  # violating arcs added per row and pricing round
ARR_PASSES = 2
AUCTION_STEPS = (4.0, 0.5)  # ε of the auction phases, in score points
DUMMY_BUDGET = 200  # columns a backward search from a free column may finalize (`_place_dummies`)
MAX_ROUNDS = 60  # safety net: past it the whole graph becomes the restricted problem


@njit(cache=True)
def _heap_push(hk, hv, size, key, val):
    if size == len(hk):
        nk = np.empty(2 * len(hk), hk.dtype)
        nv = np.empty(2 * len(hv), hv.dtype)
        nk[:size] = hk[:size]
        nv[:size] = hv[:size]
        hk, hv = nk, nv
    pos = size
    while pos > 0:
        parent = (pos - 1) >> 1
        if hk[parent] <= key:
            break
        hk[pos] = hk[parent]
        hv[pos] = hv[parent]
        pos = parent
    hk[pos] = key
    hv[pos] = val
    return hk, hv, size + 1


@njit(cache=True)
def _heap_pop(hk, hv, size):
    key = hk[0]
    val = hv[0]
    size -= 1
    lk = hk[size]
    lv = hv[size]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and hk[child + 1] < hk[child]:
            child += 1
        if hk[child] >= lk:
            break
        hk[pos] = hk[child]
        hv[pos] = hv[child]
        pos = child
    if size > 0:
        hk[pos] = lk
        hv[pos] = lv
    return key, val, size


@njit(cache=True)
def _auction(n_real, indptr, indices, cost, v, eps, max_bids, owner_arc):
    """Forward auction (min-cost form: a bid lowers the price) from every row free. Leaves in owner_arc[j] the
    arc by which column j is held at the end (or -1); returns the bids made."""
    owner_arc[:] = -1
    queue = np.empty(max(n_real, 1), np.int64)
    size = 0
    for i in range(n_real):
        if indptr[i + 1] > indptr[i]:
            queue[size] = i
            size += 1
    head = 0
    bids = 0
    owner = np.full(len(v), -1, np.int64)
    while size > 0 and bids < max_bids:
        i = queue[head]
        head = (head + 1) % n_real
        size -= 1
        u1 = INF
        u2 = INF
        a1 = -1
        for a in range(indptr[i], indptr[i + 1]):
            h = cost[a] - v[indices[a]]
            if h < u2:
                if h < u1:
                    u2 = u1
                    u1 = h
                    a1 = a
                else:
                    u2 = h
        j1 = indices[a1]
        v[j1] -= eps if u2 == INF else u2 - u1 + eps
        bids += 1
        prev = owner[j1]
        owner[j1] = i
        owner_arc[j1] = a1
        if prev >= 0:
            queue[(head + size) % n_real] = prev
            size += 1
    return bids


@njit(cache=True)
def _top_k(indptr, indices, cost, v, k, mask):
    """Mark in `mask` the k arcs of least reduced cost c − v of each row."""
    n = len(indptr) - 1
    for i in range(n):
        lo, hi = indptr[i], indptr[i + 1]
        if hi - lo <= k:
            mask[lo:hi] = True
            continue
        key = np.empty(hi - lo, np.int64)
        for a in range(lo, hi):
            key[a - lo] = cost[a] - v[indices[a]]
        thr = np.partition(key, k - 1)[k - 1]
        taken = 0
        for a in range(lo, hi):
            if key[a - lo] < thr:
                mask[a] = True
                taken += 1
        start = (i * 40503) % (hi - lo)  # ties: rows start at different places, not all on the same columns
        for t in range(hi - lo):
            if taken >= k:
                break
            a = lo + (start + t) % (hi - lo)
            if key[a - lo] == thr and not mask[a]:
                mask[a] = True
                taken += 1


@njit(cache=True)
def _restrict(indptr, indices, cost, mask):
    n = len(indptr) - 1
    count = 0
    for a in range(len(mask)):
        if mask[a]:
            count += 1
    rip = np.empty(n + 1, np.int64)
    rind = np.empty(count, np.int64)
    rcost = np.empty(count, np.int64)
    p = 0
    for i in range(n):
        rip[i] = p
        for a in range(indptr[i], indptr[i + 1]):
            if mask[a]:
                rind[p] = indices[a]
                rcost[p] = cost[a]
                p += 1
    rip[n] = p
    return rip, rind, rcost


@njit(cache=True)
def _arr(n_real, indptr, indices, cost, x, y, v, mcost, passes):
    """Jonker–Volgenant augmenting row reduction on the free real rows. Keeps every matched row tight and
    every reduced cost non-negative (prices only go down); rows it cannot place are left to `_augment`."""
    free = np.empty(max(n_real, 1), np.int64)
    nf = 0
    for i in range(n_real):
        if x[i] < 0 and indptr[i + 1] > indptr[i]:
            free[nf] = i
            nf += 1
    for _ in range(passes):
        k = 0
        prev_nf = nf
        nf = 0
        while k < prev_nf:
            i = free[k]
            k += 1
            while True:
                u1 = INF
                u2 = INF
                a1 = -1
                a2 = -1
                for a in range(indptr[i], indptr[i + 1]):
                    h = cost[a] - v[indices[a]]
                    if h < u2:
                        if h < u1:
                            u2 = u1
                            a2 = a1
                            u1 = h
                            a1 = a
                        else:
                            u2 = h
                            a2 = a
                take = a1
                j = indices[a1]
                i0 = y[j]
                strict = a2 >= 0 and u1 < u2
                if strict:
                    v[j] -= u2 - u1
                elif i0 >= 0:
                    if a2 < 0:  # its only column is taken: leave it to the shortest augmenting paths
                        free[nf] = i
                        nf += 1
                        break
                    take = a2
                    j = indices[a2]
                    i0 = y[j]
                x[i] = j
                y[j] = i
                mcost[i] = cost[take]
                if i0 >= 0:
                    x[i0] = -1
                    if i0 >= n_real:
                        break  # a dummy row lost its column: `_augment` places it again
                    if strict:
                        i = i0
                        continue
                    free[nf] = i0
                    nf += 1
                break
    return nf


@njit(cache=True)
def _augment(n_real, n_dummy, indptr, indices, cost, eligible, x, y, v, mcost, first):
    """Dijkstra shortest augmenting path from every free row from `first` on (real rows, then dummy rows);
    returns how many rows found no path (0 when a perfect matching exists).

    Reduced cost of arc (i, k): c − u_i − v_k with u_i = mcost[i] − v[x[i]] for a matched real row; a dummy
    row matched to j has u = −v[j] and arcs of cost 0 to every eligible k. Labels d are shortest distances in
    reduced costs; after a path is found, every finalized column gets v += d − μ (μ = the sink's distance),
    which keeps all reduced costs ≥ 0 and makes the path tight.
    """
    n_cols = len(y)
    d = np.full(n_cols, INF, np.int64)
    done = np.zeros(n_cols, np.bool_)
    pred_row = np.full(n_cols, -1, np.int64)
    pred_arc = np.full(n_cols, -1, np.int64)
    touched = np.empty(n_cols, np.int64)
    final = np.empty(n_cols, np.int64)
    hk = np.empty(1024, np.int64)
    hv = np.empty(1024, np.int64)
    elig = np.flatnonzero(eligible)
    failed = 0
    for s in range(first, n_real + n_dummy):
        if x[s] >= 0:
            continue
        n_t = 0
        n_f = 0
        size = 0
        best_dummy = INF
        if s < n_real:
            us = INF
            for a in range(indptr[s], indptr[s + 1]):
                r = cost[a] - v[indices[a]]
                if r < us:
                    us = r
            for a in range(indptr[s], indptr[s + 1]):
                k = indices[a]
                lab = cost[a] - us - v[k]
                if lab < d[k]:
                    if d[k] == INF:
                        touched[n_t] = k
                        n_t += 1
                    d[k] = lab
                    pred_row[k] = s
                    pred_arc[k] = a
                    hk, hv, size = _heap_push(hk, hv, size, lab, k)
        else:
            vmax = -INF
            jfree = -1
            for k in elig:
                if v[k] > vmax:
                    vmax = v[k]
                    jfree = -1
                if v[k] == vmax and y[k] < 0 and jfree < 0:
                    jfree = int(k)
            if jfree >= 0:  # a free column at the highest price: the dummy takes it, nothing else moves
                x[s] = jfree
                y[jfree] = s
                continue
            for k in elig:
                lab = vmax - v[k]
                if d[k] == INF:
                    touched[n_t] = k
                    n_t += 1
                d[k] = lab
                pred_row[k] = s
                pred_arc[k] = -1
                hk, hv, size = _heap_push(hk, hv, size, lab, k)
            best_dummy = vmax
        sink = -1
        mu = INF
        while size > 0:
            dj, j, size = _heap_pop(hk, hv, size)
            if done[j] or dj != d[j]:
                continue
            done[j] = True
            final[n_f] = j
            n_f += 1
            if y[j] < 0:
                sink = j
                mu = dj
                break
            i = y[j]
            if i < n_real:
                ui = mcost[i] - v[j]
                for a in range(indptr[i], indptr[i + 1]):
                    k = indices[a]
                    if done[k]:
                        continue
                    nd = dj + cost[a] - ui - v[k]
                    if nd < d[k]:
                        if d[k] == INF:
                            touched[n_t] = k
                            n_t += 1
                        d[k] = nd
                        pred_row[k] = i
                        pred_arc[k] = a
                        hk, hv, size = _heap_push(hk, hv, size, nd, k)
            else:
                key = dj + v[j]  # a dummy row: the same implicit arcs as every other dummy row
                if key < best_dummy:
                    best_dummy = key
                    for k in elig:
                        if done[k]:
                            continue
                        nd = key - v[k]
                        if nd < d[k]:
                            if d[k] == INF:
                                touched[n_t] = k
                                n_t += 1
                            d[k] = nd
                            pred_row[k] = i
                            pred_arc[k] = -1
                            hk, hv, size = _heap_push(hk, hv, size, nd, k)
        if sink >= 0:
            for t in range(n_f):
                j = final[t]
                v[j] += d[j] - mu
            j = sink
            while True:
                i = pred_row[j]
                prev = x[i]
                x[i] = j
                y[j] = i
                if i < n_real:
                    mcost[i] = cost[pred_arc[j]]
                if i == s:
                    break
                j = prev
        else:
            failed += 1
        for t in range(n_t):
            k = touched[t]
            d[k] = INF
            done[k] = False
    return failed


@njit(cache=True)
def _place_dummies(n_real, indptr, indices, cost, eligible, x, y, v, mcost, budget):
    """Give every free dummy row a column: a shortest augmenting path searched backwards from each free
    column.

    All dummy rows are alike (arcs of cost 0 to every eligible column), and a matched dummy's column has the
    highest eligible price vmax, so a free dummy can take an eligible column j at reduced cost vmax − v_j.
    From the free column s the search walks column j ← real row r with an arc into j (r would move to j,
    freeing its column, at reduced cost c_rj − u_r − v_j ≥ 0) and ends at the least D_j + vmax − v_j.
    Finalized columns get v += μ − D (μ: the path's cost), which keeps every reduced cost ≥ 0, makes the path
    tight and never lifts an eligible price above vmax. A forward search from a dummy would start from every
    eligible column; this one only explores around s, which is cheaper unless the free column is far from
    every high price: a search that finalizes `budget` columns is dropped (nothing changed) and the dummy is
    left to the forward search of `_augment`."""
    n_cols = len(y)
    n_arcs = len(indices)
    cptr = np.zeros(n_cols + 1, np.int64)
    for a in range(n_arcs):
        cptr[indices[a] + 1] += 1
    for j in range(n_cols):
        cptr[j + 1] += cptr[j]
    fill = cptr[:n_cols].copy()
    crow = np.empty(n_arcs, np.int64)
    carc = np.empty(n_arcs, np.int64)
    for i in range(n_real):
        for a in range(indptr[i], indptr[i + 1]):
            j = indices[a]
            crow[fill[j]] = i
            carc[fill[j]] = a
            fill[j] += 1
    vmax = -INF
    for j in range(n_cols):
        if eligible[j] and v[j] > vmax:
            vmax = v[j]
    free_dummies = np.flatnonzero(x[n_real:] < 0) + n_real
    next_dummy = 0
    dist = np.full(n_cols, INF, np.int64)
    done = np.zeros(n_cols, np.bool_)
    via_col = np.full(n_cols, -1, np.int64)
    via_arc = np.full(n_cols, -1, np.int64)
    touched = np.empty(n_cols, np.int64)
    final = np.empty(n_cols, np.int64)
    hk = np.empty(1024, np.int64)
    hv = np.empty(1024, np.int64)
    for s in range(n_cols):
        if y[s] >= 0:
            continue
        if next_dummy == len(free_dummies):
            break
        n_t = 1
        n_f = 0
        touched[0] = s
        dist[s] = 0
        hk, hv, size = _heap_push(hk, hv, 0, 0, s)
        best = INF
        end = -1
        while size > 0:
            dj, j, size = _heap_pop(hk, hv, size)
            if done[j] or dj != dist[j]:
                continue
            if dj >= best:
                break
            if n_f == budget:
                end = -1
                break
            done[j] = True
            final[n_f] = j
            n_f += 1
            if eligible[j] and dj + vmax - v[j] < best:
                best = dj + vmax - v[j]
                end = j
            for p in range(cptr[j], cptr[j + 1]):
                r = crow[p]
                xr = x[r]
                if xr < 0 or xr == j or done[xr]:
                    continue
                nd = dj + cost[carc[p]] - (mcost[r] - v[xr]) - v[j]
                if nd < dist[xr]:
                    if dist[xr] == INF:
                        touched[n_t] = xr
                        n_t += 1
                    dist[xr] = nd
                    via_col[xr] = j
                    via_arc[xr] = carc[p]
                    hk, hv, size = _heap_push(hk, hv, size, nd, xr)
        if end >= 0:
            for t in range(n_f):
                j = final[t]
                v[j] += best - dist[j]
            owner = free_dummies[next_dummy]
            next_dummy += 1
            j = end
            while True:
                r = y[j]
                y[j] = owner
                x[owner] = j
                if j == s:
                    break
                mcost[r] = cost[via_arc[j]]
                owner = r
                j = via_col[j]
        for t in range(n_t):
            k = touched[t]
            dist[k] = INF
            done[k] = False


@njit(cache=True)
def _price(n_real, indptr, indices, cost, mask, x, y, v, mcost, add):
    """Pricing over all arcs: add to `mask` up to `add` most violated arcs (negative reduced cost) of each
    matched row and free that row. Returns the rows freed: 0 certifies the matching optimal on the whole
    graph."""
    freed = 0
    best_a = np.empty(add, np.int64)
    best_r = np.empty(add, np.int64)
    for i in range(n_real):
        j = x[i]
        if j < 0:
            continue
        ui = mcost[i] - v[j]
        nb = 0
        lo, deg = indptr[i], indptr[i + 1] - indptr[i]
        start = (i * 40503) % max(deg, 1)  # ties: rows start at different places
        for t in range(deg):
            a = lo + (start + t) % deg
            r = cost[a] - ui - v[indices[a]]
            if r < 0:
                if nb < add:
                    best_a[nb] = a
                    best_r[nb] = r
                    nb += 1
                else:
                    w = 0
                    for t in range(1, add):
                        if best_r[t] > best_r[w]:
                            w = t
                    if r < best_r[w]:
                        best_a[w] = a
                        best_r[w] = r
        if nb > 0:
            for t in range(nb):
                mask[best_a[t]] = True
            x[i] = -1
            y[j] = -1
            freed += 1
    return freed


def solve(
    n_left: int,
    n_right: int,
    indptr: np.ndarray,
    indices: np.ndarray,
    cost: np.ndarray,
    eligible: np.ndarray,
    seed: np.ndarray,
    unit: float,
) -> np.ndarray:
    """Right node matched to each left node, in a perfect matching of minimum total cost (see the docstring).

    indptr/indices/cost: CSR arcs (int64, cost ≥ 0); eligible: bool per right node, the ones dummies may take;
    seed: bool per arc, the arcs of some left-perfect matching; unit: cost units per score point.
    """
    n_dummy = n_right - n_left
    if n_dummy < 0 or n_dummy > int(eligible.sum()):
        raise ValueError("no perfect matching: too few right nodes or eligible right nodes")
    v = np.zeros(n_right, np.int64)
    owner_arc = np.full(n_right, -1, np.int64)
    for step in AUCTION_STEPS:
        _auction(n_left, indptr, indices, cost, v, max(1, round(step * unit)), 20 * n_left + 1000, owner_arc)
    mask = seed.copy()
    mask[owner_arc[owner_arc >= 0]] = True  # the auction's own (near-optimal) assignment
    _top_k(indptr, indices, cost, v, TOP_K, mask)
    x = np.full(n_left + n_dummy, -1, np.int64)
    y = np.full(n_right, -1, np.int64)
    mcost = np.zeros(n_left, np.int64)
    for round_ in range(MAX_ROUNDS + 1):
        if round_ == MAX_ROUNDS:
            mask[:] = True  # never reached in practice; with every arc the next pricing pass finds nothing
        rip, rind, rcost = _restrict(indptr, indices, cost, mask)
        _arr(n_left, rip, rind, rcost, x, y, v, mcost, ARR_PASSES)
        failed = _augment(n_left, 0, rip, rind, rcost, eligible, x, y, v, mcost, 0)
        if n_dummy:
            _place_dummies(n_left, rip, rind, rcost, eligible, x, y, v, mcost, DUMMY_BUDGET)
            failed += _augment(n_left, n_dummy, rip, rind, rcost, eligible, x, y, v, mcost, n_left)
        if failed:
            raise AssertionError("no perfect matching in the restricted problem")  # the seed arcs prevent it
        if _price(n_left, indptr, indices, cost, mask, x, y, v, mcost, ADD_PER_ROW) == 0:
            return x[:n_left]
    raise AssertionError("pricing did not converge")  # unreachable: the last round has every arc


# --- building the problem from the feasible matrix (kept here so the 2.3 M-edge passes are compiled too) ----


@njit(cache=True)
def feasible_csr(feasible):
    """CSR (indptr, indices) of the True entries of a C-contiguous bool matrix, row by row."""
    n, m = feasible.shape
    indptr = np.zeros(n + 1, np.int64)
    for i in range(n):
        count = 0
        for j in range(m):
            if feasible[i, j]:
                count += 1
        indptr[i + 1] = indptr[i] + count
    indices = np.empty(indptr[n], np.int32)
    p = 0
    for i in range(n):
        for j in range(m):
            if feasible[i, j]:
                indices[p] = j
                p += 1
    return indptr, indices


@njit(cache=True)
def maximum_matching(n, m, indptr, indices):
    """A maximum matching (column of each row, or -1): greedy from the rows with fewest edges, then
    Pothen–Fan phases (depth-first augmenting paths with lookahead; a phase that augments nothing proves that
    no augmenting path is left, so the matching is maximum — Berge)."""
    col_of = np.full(n, -1, np.int64)
    row_of = np.full(m, -1, np.int64)
    degree = indptr[1:] - indptr[:-1]
    for i in np.argsort(degree, kind="mergesort"):
        for a in range(indptr[i], indptr[i + 1]):
            j = indices[a]
            if row_of[j] < 0:
                col_of[i] = j
                row_of[j] = i
                break
    lookahead = indptr[:-1].copy()  # a column once matched stays matched, so lookahead never rescans
    visited = np.zeros(m, np.int64)
    stack_row = np.empty(n, np.int64)
    stack_arc = np.empty(n, np.int64)
    phase = 0
    while True:
        phase += 1
        found = False
        for s in range(n):
            if col_of[s] >= 0 or indptr[s + 1] == indptr[s]:
                continue
            top = 0
            stack_row[0] = s
            stack_arc[0] = indptr[s]
            while top >= 0:
                i = stack_row[top]
                free_col = -1
                while lookahead[i] < indptr[i + 1]:
                    j = indices[lookahead[i]]
                    lookahead[i] += 1
                    if row_of[j] < 0:
                        free_col = j
                        break
                if free_col >= 0:
                    j = free_col
                    for t in range(top, -1, -1):
                        r = stack_row[t]
                        previous = col_of[r]
                        col_of[r] = j
                        row_of[j] = r
                        j = previous
                    found = True
                    break
                advanced = False
                while stack_arc[top] < indptr[i + 1]:
                    j = indices[stack_arc[top]]
                    stack_arc[top] += 1
                    if visited[j] != phase:
                        visited[j] = phase
                        top += 1
                        stack_row[top] = row_of[j]  # matched: every column of i was, at lookahead
                        stack_arc[top] = indptr[row_of[j]]
                        advanced = True
                        break
                if not advanced:
                    top -= 1
        if not found:
            return col_of


@njit(cache=True)
def score_range(indptr, indices, scores):
    """(smallest non-zero |score|, largest |score|) over the edges; (inf, 0) when every score is 0."""
    smallest = np.inf
    largest = 0.0
    for i in range(len(indptr) - 1):
        for a in range(indptr[i], indptr[i + 1]):
            s = abs(float(scores[i, indices[a]]))
            if s > largest:
                largest = s
            if 0.0 < s < smallest:
                smallest = s
    return smallest, largest


@njit(cache=True)
def dulmage_mendelsohn(n, m, indptr, indices, col_of):
    """Block of each node (rows 0..n-1, then columns): 0 under-determined (reached by alternating paths from
    an unmatched row), 2 over-determined (from an unmatched column), 1 square. col_of: a maximum matching."""
    row_of = np.full(m, -1, np.int64)
    for i in range(n):
        if col_of[i] >= 0:
            row_of[col_of[i]] = i
    block = np.ones(n + m, np.int8)
    stack = np.empty(n + m, np.int64)
    top = 0
    for i in range(n):  # row -> column along a non-matching edge, column -> its row along the matching
        if col_of[i] < 0:
            block[i] = 0
            stack[top] = i
            top += 1
    while top > 0:
        top -= 1
        i = stack[top]
        for a in range(indptr[i], indptr[i + 1]):
            j = indices[a]
            if j == col_of[i] or block[n + j] == 0:
                continue
            block[n + j] = 0
            r = row_of[j]  # matched, or the matching would not be maximum
            if r >= 0 and block[r] != 0:
                block[r] = 0
                stack[top] = r
                top += 1
    cptr = np.zeros(m + 1, np.int64)  # the transpose, to walk from columns to rows
    for a in range(len(indices)):
        cptr[indices[a] + 1] += 1
    for j in range(m):
        cptr[j + 1] += cptr[j]
    fill = cptr[:m].copy()
    crow = np.empty(len(indices), np.int64)
    for i in range(n):
        for a in range(indptr[i], indptr[i + 1]):
            j = indices[a]
            crow[fill[j]] = i
            fill[j] += 1
    for j in range(m):  # column -> row along a non-matching edge, row -> its column along the matching
        if row_of[j] < 0:
            block[n + j] = 2
            stack[top] = j
            top += 1
    while top > 0:
        top -= 1
        j = stack[top]
        for a in range(cptr[j], cptr[j + 1]):
            i = crow[a]
            if i == row_of[j] or block[i] == 2:
                continue
            block[i] = 2
            c = col_of[i]
            if c >= 0 and block[n + c] != 2:
                block[n + c] = 2
                stack[top] = c
                top += 1
    return block


@njit(cache=True)
def build_problem(n, m, indptr, indices, block, col_of, scores, unit):
    """The left-perfect problem of `solve` from the edges that stay inside a Dulmage–Mendelsohn block.

    Left nodes: rows of the square and over-determined blocks, then columns of the under-determined block
    (transposed); right nodes: columns of the square and over-determined blocks, then rows of the
    under-determined block. Returns the CSR (lptr, right, q) with q = round(score · unit), the seed mask
    (Hopcroft–Karp arcs), eligible right nodes, and the node of each left/right id (row or column index)."""
    row_deg = np.zeros(n, np.int64)
    col_deg = np.zeros(m, np.int64)
    for i in range(n):
        for a in range(indptr[i], indptr[i + 1]):
            j = indices[a]
            if block[i] == block[n + j]:
                row_deg[i] += 1
                col_deg[j] += 1
    left_id_row = np.full(n, -1, np.int64)
    left_id_col = np.full(m, -1, np.int64)
    right_id_col = np.full(m, -1, np.int64)
    right_id_row = np.full(n, -1, np.int64)
    n_left = 0
    for i in range(n):
        if block[i] != 0 and row_deg[i] > 0:
            left_id_row[i] = n_left
            n_left += 1
    n_left_rows = n_left
    for j in range(m):
        if block[n + j] == 0 and col_deg[j] > 0:
            left_id_col[j] = n_left
            n_left += 1
    n_right = 0
    for j in range(m):
        if block[n + j] != 0 and col_deg[j] > 0:
            right_id_col[j] = n_right
            n_right += 1
    for i in range(n):
        if block[i] == 0 and row_deg[i] > 0:
            right_id_row[i] = n_right
            n_right += 1
    left_node = np.empty(n_left, np.int64)
    right_node = np.empty(n_right, np.int64)
    eligible = np.zeros(n_right, np.bool_)
    lptr = np.zeros(n_left + 1, np.int64)
    for i in range(n):
        if left_id_row[i] >= 0:
            left_node[left_id_row[i]] = i
            lptr[left_id_row[i] + 1] = row_deg[i]
        if right_id_row[i] >= 0:
            right_node[right_id_row[i]] = i
            eligible[right_id_row[i]] = True
    for j in range(m):
        if left_id_col[j] >= 0:
            left_node[left_id_col[j]] = j
            lptr[left_id_col[j] + 1] = col_deg[j]
        if right_id_col[j] >= 0:
            right_node[right_id_col[j]] = j
            eligible[right_id_col[j]] = block[n + j] == 2
    for t in range(n_left):
        lptr[t + 1] += lptr[t]
    fill = lptr[:n_left].copy()
    right = np.empty(lptr[n_left], np.int64)
    q = np.empty(lptr[n_left], np.int64)
    seed = np.zeros(lptr[n_left], np.bool_)
    for i in range(n):
        for a in range(indptr[i], indptr[i + 1]):
            j = indices[a]
            if block[i] != block[n + j]:
                continue
            if block[i] != 0:
                t, r = left_id_row[i], right_id_col[j]
            else:
                t, r = left_id_col[j], right_id_row[i]
            p = fill[t]
            fill[t] += 1
            right[p] = r
            q[p] = np.int64(np.rint(float(scores[i, j]) * unit))
            seed[p] = col_of[i] == j
    return n_left_rows, lptr, right, q, seed, eligible, left_node, right_node
