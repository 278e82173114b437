"""Compiled kernels of the user-equilibrium assignment: Dijkstra, column generation, path shifts.

Why numba: the path-based gradient projection visits every OD pair and every link of its paths
tens of times per iteration, with a shortest-path tree per origin and class between sweeps.
Those loops are sequential (each shift changes the link costs the next one reads), so they
cannot be vectorised in numpy, and in pure Python Chicago Sketch would take hours instead of
seconds. The kernels work on plain arrays only; :mod:`sanqu_geo.assignment` owns the model.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

BPR = 0
CONICAL = 1


@njit(cache=True)
def delay(kind, t, a, b, cap, v):
    """Flow-dependent delay of one link and its derivative at PCU flow ``v``."""
    if t == 0.0 or a == 0.0:
        return 0.0, 0.0
    if v < 0.0:
        v = 0.0
    x = v / cap
    if kind == BPR:
        if b == 0.0:
            return t * a, 0.0
        if x <= 0.0:
            if b == 1.0:
                return 0.0, t * a / cap
            if b < 1.0:
                return 0.0, math.inf
            return 0.0, 0.0
        p = x**b
        return t * a * p, t * a * b * p / x / cap
    # conical (Spiess 1990): f(x) = 2 + sqrt(A²(1-x)² + B²) - A(1-x) - B, f(0) = 1
    bb = (2.0 * a - 1.0) / (2.0 * a - 2.0)
    z = a * (1.0 - x)
    r = math.sqrt(z * z + bb * bb)
    f = 2.0 + r - z - bb
    df = a - a * z / r
    return t * (f - 1.0), t * df / cap


@njit(cache=True)
def _conical_g(z, bb):
    return 0.5 * z * math.sqrt(z * z + bb * bb) + 0.5 * bb * bb * math.asinh(z / bb)


@njit(cache=True)
def delay_integral(kind, t, a, b, cap, v):
    """Integral of the delay from 0 to ``v`` (the link's congestion term of the objective)."""
    if t == 0.0 or a == 0.0 or v <= 0.0:
        return 0.0
    x = v / cap
    if kind == BPR:
        return t * a * cap * x ** (b + 1.0) / (b + 1.0)
    bb = (2.0 * a - 1.0) / (2.0 * a - 2.0)
    integ = (
        (1.0 - bb) * x
        + (_conical_g(a, bb) - _conical_g(a * (1.0 - x), bb)) / a
        - a * (x - 0.5 * x * x)
    )
    return t * cap * integ


@njit(cache=True)
def update_delays(kind, t, a, b, cap, vol, d, dd):
    for i in range(vol.size):
        d[i], dd[i] = delay(kind, t[i], a[i], b[i], cap[i], vol[i])


@njit(cache=True)
def objective(kind, t, a, b, cap, vol, c0, x, pce):
    """Beckmann objective: Σ_c pce_c Σ_a c0[c,a]·x[c,a] + Σ_a ∫_0^V delay."""
    z = 0.0
    for i in range(vol.size):
        z += delay_integral(kind, t[i], a[i], b[i], cap[i], vol[i])
    for c in range(x.shape[0]):
        for i in range(vol.size):
            if x[c, i] > 0.0:
                z += pce[c] * c0[c, i] * x[c, i]
    return z


@njit(cache=True)
def _tree(origin, fs_start, fs_head, fs_link, fs_cost, thru, mark, remaining, dist, pred, hk, hn):
    """One-to-all shortest paths by cost (binary heap, lazy deletion), on forward-star arrays.

    ``fs_head``, ``fs_link`` and ``fs_cost`` are in forward-star order, so a node's links are
    read from contiguous memory. Nodes with ``thru`` False are reached but never expanded,
    unless they are the origin. Links with infinite cost are not used. ``pred`` holds the link
    entering each node (-1). The search stops once the ``remaining`` nodes with ``mark`` set
    (the destinations) are settled; their marks are cleared on the way.
    """
    dist[:] = math.inf
    pred[:] = -1
    dist[origin] = 0.0
    hk[0] = 0.0
    hn[0] = origin
    size = 1
    while size > 0:
        k = hk[0]
        u = hn[0]
        size -= 1
        if size > 0:
            # move the last item to the root and sift down
            lk = hk[size]
            ln = hn[size]
            i = 0
            while True:
                c = 2 * i + 1
                if c >= size:
                    break
                if c + 1 < size and hk[c + 1] < hk[c]:
                    c += 1
                if hk[c] < lk:
                    hk[i] = hk[c]
                    hn[i] = hn[c]
                    i = c
                else:
                    break
            hk[i] = lk
            hn[i] = ln
        if k > dist[u]:
            continue
        if mark[u]:
            mark[u] = False
            remaining -= 1
            if remaining == 0:
                break
        if u != origin and not thru[u]:
            continue
        for j in range(fs_start[u], fs_start[u + 1]):
            ce = fs_cost[j]
            if ce == math.inf:
                continue
            v = fs_head[j]
            nd = k + ce
            if nd < dist[v]:
                dist[v] = nd
                pred[v] = fs_link[j]
                # push and sift up
                i = size
                size += 1
                while i > 0:
                    p = (i - 1) // 2
                    if hk[p] > nd:
                        hk[i] = hk[p]
                        hn[i] = hn[p]
                        i = p
                    else:
                        break
                hk[i] = nd
                hn[i] = v
    # destinations never reached keep their marks: clear them for the next origin
    if remaining > 0:
        mark[:] = False


@njit(parallel=True, cache=True)
def shortest_trees(
    g0,
    g1,
    fs_start,
    fs_head,
    fs_link,
    fs_cost,
    thru,
    tail,
    grp_class,
    grp_origin,
    grp_start,
    od_dest,
    link_rand,
    od_head,
    p_len,
    p_hash,
    p_next,
    pred,
    sp,
    new,
    check,
    n_chunks,
):
    """Shortest-path trees of the origin groups ``g0:g1`` at fixed costs, on all threads.

    The groups are dealt to ``n_chunks`` tasks in turn. Group ``g``'s tree goes to ``pred[g - g0]``; ``sp[od]`` gets each of its OD pairs' least
    cost (``inf``: no path). With ``check``, ``new[od]`` says whether that shortest path is
    missing from the pair's path set (read only here). Every group is computed on its own,
    so the results do not depend on the number of threads.
    """
    n_nodes = fs_start.size - 1
    n_links = fs_head.size
    for ch in prange(n_chunks):
        dist = np.empty(n_nodes)
        hk = np.empty(n_links + n_nodes + 1)
        hn = np.empty(n_links + n_nodes + 1, np.int64)
        mark = np.zeros(n_nodes, np.bool_)
        for g in range(g0 + ch, g1, n_chunks):
            c = grp_class[g]
            o = grp_origin[g]
            pr = pred[g - g0]
            remaining = 0
            for od in range(grp_start[g], grp_start[g + 1]):
                d = od_dest[od]
                if not mark[d]:
                    mark[d] = True
                    remaining += 1
            _tree(
                o, fs_start, fs_head, fs_link, fs_cost[c], thru, mark, remaining, dist, pr, hk, hn
            )
            for od in range(grp_start[g], grp_start[g + 1]):
                d = od_dest[od]
                sp[od] = dist[d]
                new[od] = False
                if not check or dist[d] == math.inf:
                    continue
                # the path's length and fingerprint, looked up in the pair's set
                n = 0
                h = 0.0
                v = d
                while v != o:
                    e = pr[v]
                    h += link_rand[e]
                    n += 1
                    v = tail[e]
                p = od_head[od]
                found = False
                while p >= 0:
                    if p_len[p] == n and p_hash[p] == h:
                        found = True
                        break
                    p = p_next[p]
                new[od] = not found


@njit(cache=True)
def _grow_f(a, n):
    out = np.empty(max(n, 2 * a.size), a.dtype)
    out[: a.size] = a
    return out


@njit(cache=True)
def _grow_i(a, n):
    out = np.empty(max(n, 2 * a.size), a.dtype)
    out[: a.size] = a
    return out


@njit(cache=True)
def add_paths(
    g0,
    g1,
    pred,
    tail,
    grp_origin,
    grp_start,
    od_dest,
    od_demand,
    link_rand,
    new,
    od_head,
    p_flow,
    p_start,
    p_len,
    p_hash,
    p_next,
    p_od,
    plinks,
    n_paths,
    n_plinks,
):
    """Append the new shortest paths of groups ``g0:g1`` to their pairs' sets, in order.

    A new path gets zero flow, or the whole demand for a pair without paths.
    """
    for g in range(g0, g1):
        pr = pred[g - g0]
        o = grp_origin[g]
        for od in range(grp_start[g], grp_start[g + 1]):
            if not new[od]:
                continue
            n = 0
            h = 0.0
            d = od_dest[od]
            v = d
            while v != o:
                e = pr[v]
                h += link_rand[e]
                n += 1
                v = tail[e]
            if n_paths >= p_flow.size:
                p_flow = _grow_f(p_flow, n_paths + 1)
                p_hash = _grow_f(p_hash, n_paths + 1)
                p_start = _grow_i(p_start, n_paths + 1)
                p_len = _grow_i(p_len, n_paths + 1)
                p_next = _grow_i(p_next, n_paths + 1)
                p_od = _grow_i(p_od, n_paths + 1)
            if n_plinks + n > plinks.size:
                plinks = _grow_i(plinks, n_plinks + n)
            p_flow[n_paths] = od_demand[od] if od_head[od] < 0 else 0.0
            p_hash[n_paths] = h
            p_start[n_paths] = n_plinks
            p_len[n_paths] = n
            p_od[n_paths] = od
            p_next[n_paths] = od_head[od]
            od_head[od] = n_paths
            v = d
            k = n_plinks
            while v != o:
                e = pr[v]
                plinks[k] = e
                k += 1
                v = tail[e]
            n_plinks += n
            n_paths += 1
    return p_flow, p_start, p_len, p_hash, p_next, p_od, plinks, n_paths, n_plinks


@njit(cache=True)
def link_flows(od_class, od_head, p_flow, p_start, p_len, p_next, plinks, x):
    """Class link flows from path flows (recomputed each iteration, so no drift accumulates)."""
    x[:] = 0.0
    for od in range(od_head.size):
        c = od_class[od]
        p = od_head[od]
        while p >= 0:
            f = p_flow[p]
            if f > 0.0:
                for k in range(p_start[p], p_start[p] + p_len[p]):
                    x[c, plinks[k]] += f
            p = p_next[p]


@njit(cache=True)
def _path_cost(p, p_start, p_len, plinks, c0c, d):
    s = 0.0
    for k in range(p_start[p], p_start[p] + p_len[p]):
        e = plinks[k]
        s += c0c[e] + d[e]
    return s


@njit(cache=True)
def _shift(
    p, amount, c, pce, p_start, p_len, plinks, skip, stamp, x, vol, kind, t, a, b, cap, d, dd
):
    for k in range(p_start[p], p_start[p] + p_len[p]):
        e = plinks[k]
        if stamp[e] == skip:
            continue
        x[c, e] += amount
        v = vol[e] + pce * amount
        vol[e] = v if v > 0.0 else 0.0
        d[e], dd[e] = delay(kind, t[e], a[e], b[e], cap[e], vol[e])


@njit(cache=True)
def gradient_projection(
    od_class,
    od_head,
    p_flow,
    p_start,
    p_len,
    p_next,
    plinks,
    c0,
    pce,
    x,
    vol,
    kind,
    t,
    a,
    b,
    cap,
    d,
    dd,
    stamp_a,
    stamp_b,
    counter,
    active,
    eps,
):
    """One Gauss-Seidel sweep of projected Newton shifts over the active OD pairs.

    For each pair, flow moves from every costlier path to the cheapest path of its set by
    ``min(flow, Δcost / Σ derivatives on the links the two do not share)``; link flows and
    costs are updated after every shift. Paths left without flow are dropped from the set.
    A pair whose excess cost is at most ``eps`` times its flow at the cheapest cost is left
    as it is and made inactive for the rest of the sweeps (its costs are looked at again at
    the next round of shortest paths). Returns the stamp counter and the excess cost
    Σ pce·flow·(path cost − cheapest in its set) met at the start of each pair's turn.
    """
    excess = 0.0
    for od in range(od_head.size):
        h = od_head[od]
        if h < 0 or p_next[h] < 0 or not active[od]:
            continue
        c = od_class[od]
        c0c = c0[c]
        pc = pce[c]
        best = -1
        bestc = math.inf
        spent = 0.0
        flow = 0.0
        p = h
        while p >= 0:
            cp = _path_cost(p, p_start, p_len, plinks, c0c, d)
            if p_flow[p] > 0.0:
                spent += p_flow[p] * cp
                flow += p_flow[p]
            if cp < bestc:
                bestc = cp
                best = p
            p = p_next[p]
        excess += pc * (spent - flow * bestc)
        if spent - flow * bestc <= eps * flow * bestc:
            active[od] = False
            continue
        counter += 1
        sb = counter
        for k in range(p_start[best], p_start[best] + p_len[best]):
            stamp_b[plinks[k]] = sb
        p = h
        while p >= 0:
            if p == best or p_flow[p] <= 0.0:
                p = p_next[p]
                continue
            counter += 1
            sa = counter
            cp = 0.0
            s = 0.0
            for k in range(p_start[p], p_start[p] + p_len[p]):
                e = plinks[k]
                stamp_a[e] = sa
                cp += c0c[e] + d[e]
                if stamp_b[e] != sb:
                    s += dd[e]
            cb = 0.0
            for k in range(p_start[best], p_start[best] + p_len[best]):
                e = plinks[k]
                cb += c0c[e] + d[e]
                if stamp_a[e] != sa:
                    s += dd[e]
            diff = cp - cb
            if diff > 0.0:
                s *= pc
                amount = p_flow[p]
                if s > 0.0 and diff / s < amount:
                    amount = diff / s
                if amount > 0.0:
                    # links on both paths see no net change and are skipped
                    _shift(
                        p,
                        -amount,
                        c,
                        pc,
                        p_start,
                        p_len,
                        plinks,
                        sb,
                        stamp_b,
                        x,
                        vol,
                        kind,
                        t,
                        a,
                        b,
                        cap,
                        d,
                        dd,
                    )
                    _shift(
                        best,
                        amount,
                        c,
                        pc,
                        p_start,
                        p_len,
                        plinks,
                        sa,
                        stamp_a,
                        x,
                        vol,
                        kind,
                        t,
                        a,
                        b,
                        cap,
                        d,
                        dd,
                    )
                    if amount == p_flow[p]:
                        p_flow[p] = 0.0
                    else:
                        p_flow[p] -= amount
                    p_flow[best] += amount
            p = p_next[p]
        # drop paths without flow (the cheapest one stays)
        prev = -1
        p = od_head[od]
        while p >= 0:
            nxt = p_next[p]
            if p != best and p_flow[p] <= 0.0:
                if prev < 0:
                    od_head[od] = nxt
                else:
                    p_next[prev] = nxt
            else:
                prev = p
            p = nxt
    return counter, excess


@njit(cache=True)
def select_link(od_head, p_flow, p_start, p_len, p_next, plinks, selected, out):
    """Flow of each OD pair on paths that use any selected link."""
    for od in range(od_head.size):
        p = od_head[od]
        while p >= 0:
            f = p_flow[p]
            if f > 0.0:
                for k in range(p_start[p], p_start[p] + p_len[p]):
                    if selected[plinks[k]]:
                        out[od] += f
                        break
            p = p_next[p]


@njit(cache=True)
def live_size(od_head, p_len, p_next):
    """Number of paths still in the OD pairs' sets, and their links in total."""
    n = 0
    m = 0
    for od in range(od_head.size):
        p = od_head[od]
        while p >= 0:
            n += 1
            m += p_len[p]
            p = p_next[p]
    return n, m


@njit(cache=True)
def new_pool(size, links):
    """Empty path arrays for ``size`` paths of ``links`` links in all: flow, fingerprint, start,
    length, next path of the pair (-1), pair, and the links."""
    return (
        np.zeros(size),
        np.zeros(size),
        np.zeros(size, np.int64),
        np.zeros(size, np.int64),
        np.full(size, -1, np.int64),
        np.zeros(size, np.int64),
        np.zeros(links, np.int32),
    )


@njit(cache=True)
def compact(od_head, p_flow, p_start, p_len, p_hash, p_next, p_od, plinks, n_live, m_live):
    """Copy the live paths into fresh arrays (dropped paths leave holes in the pools)."""
    f, hs, st, ln, nx, po, pl = new_pool(max(16, 2 * n_live), max(64, 2 * m_live))
    k = 0
    m = 0
    for od in range(od_head.size):
        p = od_head[od]
        prev = -1
        while p >= 0:
            f[k] = p_flow[p]
            hs[k] = p_hash[p]
            st[k] = m
            ln[k] = p_len[p]
            po[k] = od
            for j in range(p_len[p]):
                pl[m + j] = plinks[p_start[p] + j]
            m += p_len[p]
            if prev < 0:
                od_head[od] = k
            else:
                nx[prev] = k
            prev = k
            k += 1
            p = p_next[p]
    return f, st, ln, hs, nx, po, pl, k, m


@njit(cache=True)
def warm_pool(
    old_of,
    o_head,
    o_flow,
    o_start,
    o_len,
    o_next,
    o_plinks,
    link_map,
    od_class,
    c0,
    od_demand,
    link_rand,
):
    """Path sets of a new problem from a solved one's: ``old_of[od]`` is the old pair (-1: none).

    A path is kept when every link it uses still exists (``link_map`` ≥ 0) and is open to the
    class; its flow is scaled so the pair's kept paths carry the new demand. A pair whose
    paths are all lost starts empty (the first shortest path takes its demand).
    """
    n_od = old_of.size
    n, m = live_size(o_head, o_len, o_next)  # enough for the paths kept
    od_head = np.full(n_od, -1, np.int64)
    f, hs, st, ln, nx, po, pl = new_pool(max(16, 2 * n, 2 * n_od), max(64, 2 * m))
    k = 0
    mm = 0
    for od in range(n_od):
        q = old_of[od]
        if q < 0:
            continue
        c = od_class[od]
        first = k
        total = 0.0
        p = o_head[q]
        while p >= 0:
            ok = o_flow[p] > 0.0
            h = 0.0
            for j in range(o_start[p], o_start[p] + o_len[p]):
                if not ok:
                    break
                e = link_map[o_plinks[j]]
                if e < 0 or c0[c, e] == math.inf:
                    ok = False
                else:
                    pl[mm + j - o_start[p]] = e
                    h += link_rand[e]
            if ok:
                f[k] = o_flow[p]
                total += o_flow[p]
                hs[k] = h
                st[k] = mm
                ln[k] = o_len[p]
                po[k] = od
                nx[k] = od_head[od]
                od_head[od] = k
                mm += o_len[p]
                k += 1
            p = o_next[p]
        if k > first:
            scale = od_demand[od] / total
            for i in range(first, k):
                f[i] *= scale
    return od_head, f, st, ln, hs, nx, po, pl, k, mm
