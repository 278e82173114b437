"""Multi-class static user-equilibrium traffic assignment, and what is read from its result.

The model. Every link ``a`` has one congestion delay, computed from the total flow in
passenger-car units ``V_a = Σ_c pce_c · x_{c,a}``:

* BPR: ``delay_a(V) = t0_a · α_a · (V / cap_a)^β_a`` (per-edge ``bpr_alpha``, ``bpr_beta``,
  defaults in :mod:`sanqu_geo.settings`);
* conical (Spiess 1990): ``delay_a(V) = t0_a · (f(V / cap_a) − 1)``,
  ``f(x) = 2 + √(α²(1−x)² + β²) − α(1−x) − β``, ``β = (2α−1)/(2α−2)`` (per-edge ``conical_alpha``),

where ``t0_a`` is the reference (car) free-flow time, the edge attribute ``travel_time``.
A vehicle of class ``c`` pays on link ``a`` its own flow-independent cost ``c0_{c,a}`` (its
free-flow time from the class's ``time_attr``, e.g. a truck speed cap; or a generalized cost)
plus that delay: ``cost_{c,a} = c0_{c,a} + delay_a(V_a)``. Links where ``c0`` is missing or
infinite are banned for the class. At equilibrium every used path of a class and OD pair has
the class's least cost. These are the optimality conditions of the convex program

    min  Z(x) = Σ_c pce_c Σ_a c0_{c,a} x_{c,a}  +  Σ_a ∫_0^{V_a} delay_a(w) dw

(∂Z/∂x_{c,a} = pce_c · cost_{c,a}; a positive factor per class does not change that class's
conditions), so the equilibrium link PCU flows and class costs are unique when the delays are
strictly increasing. ``Z`` is the objective reported; with one class of PCE 1 it is the usual
Beckmann objective. The relative gap is measured at the flows returned, in PCU-weighted cost:
``(Σ_c pce_c Σ_a x_{c,a} cost_{c,a} − Σ_c pce_c Σ_od demand · shortest cost) / first term``;
the average excess cost (AEC) divides the same difference by Σ_c pce_c · demand.

The algorithm is path-based gradient projection (Jayakrishnan, Tsai, Prashker & Rajadhyaksha
1994; Chen, Lee & Jayakrishnan 2002) with column generation: each iteration finds the shortest
path of every origin and class at fixed costs (which gives the honest gap at the current flows)
and adds new ones to the OD pair's path set; then Gauss-Seidel sweeps move flow from costlier
paths to the cheapest by projected Newton steps. Centroids may start and end paths but are
never passed through. This module never reads files (:mod:`sanqu_geo.tntp` does).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import numbers
import time
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numba
import numpy as np
import pandas as pd

from sanqu_geo import _ue_kernels as _k
from sanqu_geo import settings
from sanqu_geo.errors import AssignmentError

if TYPE_CHECKING:  # networkx is only needed by callers that hold a graph
    import networkx as nx

logger = logging.getLogger(__name__)

__all__ = [
    "AssignmentResult",
    "DemandClass",
    "add_class_time",
    "assign",
    "assign_tntp",
    "check_gap",
    "congested_graph",
    "evaluate_tntp",
    "select_link",
    "vehicle_hours",
    "vehicle_km",
]

#: Outer iterations (shortest paths + path shifts) before giving up on the gap target.
default_max_iterations: int = 2000

#: Gauss-Seidel path-shift sweeps per outer iteration: at most this many, and no more once the
#: excess cost within the path sets has fallen below ``inner_reduction`` times that of the first
#: sweep (shifts are cheap next to a round of shortest paths, so a few more pay off).
inner_sweeps: int = 30
inner_reduction: float = 0.05

#: Within the sweeps of one iteration, an OD pair whose relative excess cost (its flow's
#: cost above the cheapest path of its set) is at most this times the target gap is left
#: alone until the next round of shortest paths: most pairs are at equilibrium long before
#: the last few, and this keeps the sweeps on those that are not.
active_excess: float = 0.1

#: Largest trips of one class between one origin and one destination (vehicles per hour):
#: far above any real pair, so that a wrong unit or a corrupt cell is refused, not assigned.
max_trips_per_pair: float = 1e6

#: Largest passenger-car equivalent of a class (an articulated truck is about 3).
max_pce: float = 20.0

#: Largest ``max_iterations`` that may be asked for.
max_iterations_limit: int = 1_000_000

_VDFS = {"bpr": _k.BPR, "conical": _k.CONICAL}


def _real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_graph(G: Any, what: str = "G") -> None:
    """A graph with ``(u, v, key)`` directed edges (checked by its methods: no networkx import)."""
    kind = getattr(G, "is_multigraph", None), getattr(G, "is_directed", None)
    if not (callable(kind[0]) and callable(kind[1]) and G.is_multigraph() and G.is_directed()):
        msg = (
            f"{what} must be a networkx.MultiDiGraph (directed edges keyed (u, v, key), e.g. from "
            f"sanqu_geo.network.load_network), got {type(G).__name__}; convert a graph with "
            "networkx.MultiDiGraph(G)"
        )
        raise AssignmentError(msg)


def _check_result(result: Any, function: str) -> None:
    if not isinstance(result, AssignmentResult):
        msg = f"{function} needs an AssignmentResult (from assign), got {type(result).__name__}"
        raise AssignmentError(msg)


def _check_problem(problem: Any, function: str) -> None:
    if not all(hasattr(problem, a) for a in ("links", "od", "first_thru_node")):
        msg = (
            f"{function} needs a sanqu_geo.tntp.TntpProblem (from tntp.load_problem), "
            f"got {type(problem).__name__}"
        )
        raise AssignmentError(msg)


@dataclasses.dataclass(frozen=True)
class DemandClass:
    """One class of vehicles with its own demand, network and passenger-car equivalent.

    Parameters
    ----------
    name : str
        Class name (a column of the result's volumes).
    od : pandas.DataFrame
        Columns ``origin``, ``destination`` (node ids of the graph) and ``trips`` (vehicles per
        hour). Repeated pairs are added; intrazonal trips are ignored.
    pce : float
        Passenger-car equivalent of one vehicle (``settings.truck_pce`` for a truck mix).
    time_attr : str
        Edge attribute with this class's free-flow time (s); edges where it is missing or
        infinite are not allowed for the class.
    """

    name: str
    od: pd.DataFrame
    _: dataclasses.KW_ONLY
    pce: float = 1.0
    time_attr: str = "travel_time"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            msg = f"DemandClass name must be a text such as 'car', got {self.name!r}"
            raise AssignmentError(msg)
        if not isinstance(self.od, pd.DataFrame):
            msg = (
                f"DemandClass {self.name}: od must be a pandas DataFrame with columns origin, "
                f"destination, trips, got {type(self.od).__name__}; build one with "
                "pandas.DataFrame(...)"
            )
            raise AssignmentError(msg)
        if not (_real(self.pce) and math.isfinite(self.pce) and 0 < self.pce <= max_pce):
            msg = (
                f"class {self.name}: pce must be a positive number of at most {max_pce:g}, "
                f"got {self.pce!r}"
            )
            raise AssignmentError(msg)
        if not isinstance(self.time_attr, str) or not self.time_attr:
            msg = (
                f"class {self.name}: time_attr must be the name of an edge attribute such as "
                f"'travel_time', got {self.time_attr!r}"
            )
            raise AssignmentError(msg)


@dataclasses.dataclass
class _Paths:
    od_class: np.ndarray
    od_origin: np.ndarray  # node index
    od_dest: np.ndarray
    od_demand: np.ndarray
    od_head: np.ndarray
    p_flow: np.ndarray
    p_start: np.ndarray
    p_len: np.ndarray
    p_next: np.ndarray
    plinks: np.ndarray


@dataclasses.dataclass
class AssignmentResult:
    """Link volumes at user equilibrium and how well they were converged.

    Attributes
    ----------
    edges : list of tuple
        ``(u, v, key)`` of every link, in the order of all arrays below.
    volumes : pandas.DataFrame
        Indexed by ``(u, v, key)``: one column per class (vehicles per hour) and ``pcu``.
    capacity, vc, time : numpy.ndarray
        Capacity (PCU/h), volume/capacity ratio, and congested time of the reference class
        (free-flow ``travel_time`` plus delay; seconds on a graph, file units for TNTP).
    class_cost : dict
        Congested link cost per class (``inf`` where banned).
    relative_gap, aec, objective : float
        At the returned flows (see the module docstring).
    iterations : int
    seconds : float
        Wall time of the solve.
    converged : bool
        Whether ``relative_gap`` reached the target.
    history : pandas.DataFrame
        ``iteration``, ``relative_gap``, ``aec``, ``objective``, ``seconds`` per iteration.
    """

    edges: list[tuple]
    volumes: pd.DataFrame
    capacity: np.ndarray
    vc: np.ndarray
    time: np.ndarray
    class_cost: dict[str, np.ndarray]
    relative_gap: float
    aec: float
    objective: float
    iterations: int
    seconds: float
    converged: bool
    history: pd.DataFrame
    class_names: list[str]
    time_attrs: list[str] = dataclasses.field(default_factory=list)
    graph: nx.MultiDiGraph | None = dataclasses.field(default=None, repr=False)
    _paths: _Paths | None = dataclasses.field(default=None, repr=False)
    _nodes: list | None = dataclasses.field(default=None, repr=False)

    @property
    def tstt(self) -> float:
        """Total system travel cost Σ_c Σ_a x_{c,a} · cost_{c,a} (vehicles, not PCU)."""
        total = 0.0
        for name in self.class_names:
            x = self.volumes[name].to_numpy()
            used = x > 0  # banned links cost inf and carry nothing
            total += float(x[used] @ self.class_cost[name][used])
        return total


@dataclasses.dataclass
class _Problem:
    nodes: list
    tail: np.ndarray
    head: np.ndarray
    thru: np.ndarray
    t0: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    cap: np.ndarray  # invalid capacities replaced by inf (checked against loads)
    cap_bad: np.ndarray
    kind: int
    c0: np.ndarray  # classes x links, inf = banned
    pce: np.ndarray
    names: list[str]
    od_class: np.ndarray
    od_origin: np.ndarray
    od_dest: np.ndarray
    od_demand: np.ndarray
    edge_labels: list


@dataclasses.dataclass(frozen=True)
class _Star:
    """The links in forward-star order: node ``u``'s are ``start[u]:start[u + 1]``."""

    start: np.ndarray
    head: np.ndarray
    link: np.ndarray
    thru: np.ndarray


def _forward_star(n_nodes: int, tail: np.ndarray, head: np.ndarray, thru: np.ndarray) -> _Star:
    order = np.argsort(tail, kind="stable").astype(np.int64)
    counts = np.bincount(tail, minlength=n_nodes)
    start = np.zeros(n_nodes + 1, np.int64)
    np.cumsum(counts, out=start[1:])
    return _Star(start, np.ascontiguousarray(head[order]), order, thru)


#: Shortest-path trees kept at once (their predecessor arrays), at most this many bytes.
tree_bytes: int = 64 * 2**20

#: Threads for the shortest-path trees (None: all of numba's, one per core unless the
#: ``NUMBA_NUM_THREADS`` environment variable says otherwise). The results are the same on
#: any number of threads.
threads: int | None = None


def _threads() -> int:
    available = numba.config.NUMBA_NUM_THREADS
    if threads is None:
        return available
    if not (isinstance(threads, int) and threads >= 1):
        msg = f"sanqu_geo.assignment.threads must be None or a whole number >= 1, got {threads!r}"
        raise AssignmentError(msg)
    return min(threads, available)


def _shortest(star: _Star, tail, cost, groups, link_rand, pool=None):
    """Least cost of every OD pair at fixed link costs, and the pool with new shortest paths.

    The trees are computed on all threads, a batch of origin groups at a time; the new paths
    are then appended in group order, so the pool does not depend on the number of threads.
    ``pool`` is ``(od_head, p_flow, p_start, p_len, p_hash, p_next, p_od, plinks, n_paths,
    n_plinks)`` or None (costs only). Returns ``sp`` and the pool's arrays after ``od_head``.
    """
    grp_class, grp_origin, grp_start, od_dest, od_demand = groups
    n_nodes = star.start.size - 1
    n_grp = grp_class.size
    sp = np.empty(od_dest.size)
    new = np.zeros(od_dest.size, np.bool_)
    fs_cost = np.ascontiguousarray(cost[:, star.link])
    if pool is None:
        e_f, e_i = np.zeros(1), np.full(1, -1, np.int64)
        od_head = np.full(od_dest.size, -1, np.int64)
        rest = (e_f, e_i, e_i, e_f, e_i, e_i, np.zeros(1, np.int32), 0, 0)
    else:
        od_head, *rest = pool
    batch = max(1, min(n_grp, tree_bytes // (4 * max(n_nodes, 1))))
    numba.set_num_threads(_threads())
    pred = np.empty((batch, n_nodes), np.int32)
    for g0 in range(0, n_grp, batch):
        g1 = min(n_grp, g0 + batch)
        p_len, p_hash, p_next = rest[2], rest[3], rest[4]
        _k.shortest_trees(
            g0, g1, star.start, star.head, star.link, fs_cost, star.thru, tail, grp_class,
            grp_origin, grp_start, od_dest, link_rand, od_head, p_len, p_hash, p_next, pred, sp,
            new, pool is not None, min(g1 - g0, 8 * numba.get_num_threads()),
        )  # fmt: skip
        if pool is not None:
            rest = _k.add_paths(
                g0, g1, pred, tail, grp_origin, grp_start, od_dest, od_demand, link_rand, new,
                od_head, *rest,
            )  # fmt: skip
    return sp, tuple(rest)


def _sp_total(sp: np.ndarray, weight: np.ndarray) -> tuple[float, int]:
    """Σ weight·least cost, and the first OD pair without a path (-1 when none)."""
    missing = np.flatnonzero(sp == math.inf)
    if missing.size:
        return math.inf, int(missing[0])
    return float(np.sum(weight * sp)), -1


def check_gap(gap: float) -> None:
    """Raise :class:`AssignmentError` unless ``gap`` is a positive finite number."""
    if not (_real(gap) and math.isfinite(gap) and gap > 0):
        msg = f"gap must be a positive number (e.g. 1e-6), got {gap!r}"
        raise AssignmentError(msg)


def _origin_groups(prob: _Problem) -> tuple[np.ndarray, ...]:
    """The OD pairs sorted by (class, origin, destination), and their (class, origin) groups.

    Returns ``od_class, od_origin, od_dest, od_demand`` (sorted) and ``grp_start`` (one more
    than the groups: group ``g`` is ``grp_start[g]:grp_start[g + 1]``), ``grp_class``,
    ``grp_origin``.
    """
    n_od = prob.od_class.size
    order = np.lexsort((prob.od_dest, prob.od_origin, prob.od_class))
    od_class = prob.od_class[order].astype(np.int64)
    od_origin = prob.od_origin[order].astype(np.int64)
    od_dest = prob.od_dest[order].astype(np.int64)
    od_demand = prob.od_demand[order].astype(float)
    if not n_od:
        empty = np.zeros(0, np.int64)
        return od_class, od_origin, od_dest, od_demand, np.zeros(2, np.int64), empty, empty
    key = od_class * len(prob.nodes) + od_origin
    change = np.flatnonzero(np.diff(key)) + 1
    grp_start = np.concatenate([[0], change, [n_od]]).astype(np.int64)
    return (
        od_class, od_origin, od_dest, od_demand, grp_start,
        od_class[grp_start[:-1]], od_origin[grp_start[:-1]],
    )  # fmt: skip


def _solve(
    prob: _Problem,
    *,
    gap: float,
    max_iterations: int,
    progress: Callable[[int, float], Any] | None,
    warm: AssignmentResult | None = None,
) -> tuple[np.ndarray, np.ndarray, dict, _Paths]:
    check_gap(gap)
    n_nodes = len(prob.nodes)
    n_links = prob.tail.size
    n_od = prob.od_class.size
    n_cls = prob.c0.shape[0]
    star = _forward_star(n_nodes, prob.tail, prob.head, prob.thru)
    od_class, od_origin, od_dest, od_demand, grp_start, grp_class, grp_origin = _origin_groups(prob)
    groups = (grp_class, grp_origin, grp_start, od_dest, od_demand)

    rng = np.random.default_rng(20260101)
    link_rand = rng.random(n_links) + 0.5
    if warm is not None:
        (od_head, p_flow, p_start, p_len, p_hash, p_next, p_od, plinks, n_paths, n_plinks) = (
            _warm_pool(prob, warm, (od_class, od_origin, od_dest, od_demand), link_rand)
        )
    else:
        od_head = np.full(n_od, -1, np.int64)
        p_flow, p_hash, p_start, p_len, p_next, p_od, plinks = _k.new_pool(
            max(16, 2 * n_od), max(64, 16 * n_od)
        )
        n_paths = 0
        n_plinks = 0

    x = np.zeros((n_cls, n_links))
    vol = np.zeros(n_links)
    d = np.zeros(n_links)
    dd = np.zeros(n_links)
    stamp_a = np.zeros(n_links, np.int64)
    stamp_b = np.zeros(n_links, np.int64)
    counter = 0
    pce = prob.pce.astype(float)
    demand_pcu = float(np.sum(pce[od_class] * od_demand))
    args = (prob.kind, prob.t0, prob.alpha, prob.beta, prob.cap)

    history: list[tuple[int, float, float, float, float]] = []
    t_start = time.perf_counter()
    rel_gap = math.inf
    aec = math.inf
    obj = math.nan
    iteration = 0
    while True:
        _k.link_flows(od_class, od_head, p_flow, p_start, p_len, p_next, plinks, x)
        vol = pce @ x
        _check_loaded_capacity(prob, vol)
        _k.update_delays(*args, vol, d, dd)
        cost = prob.c0 + d[None, :]
        sp, (p_flow, p_start, p_len, p_hash, p_next, p_od, plinks, n_paths, n_plinks) = _shortest(
            star, prob.tail, cost, groups, link_rand,
            (od_head, p_flow, p_start, p_len, p_hash, p_next, p_od, plinks, n_paths, n_plinks),
        )  # fmt: skip
        sp_total, bad = _sp_total(sp, pce[od_class] * od_demand)
        if bad >= 0:
            c = od_class[bad]
            msg = (
                f"no path for class {prob.names[c]} from {prob.nodes[od_origin[bad]]} to "
                f"{prob.nodes[od_dest[bad]]} (banned or one-way links, or a centroid in the way); "
                "fix the network or drop that demand"
            )
            raise AssignmentError(msg)
        if iteration > 0:
            total = float(
                np.sum(np.where(x > 0, x * np.where(x > 0, cost, 0.0), 0.0) * pce[:, None])
            )
            rel_gap = (total - sp_total) / total if total > 0 else 0.0
            aec = (total - sp_total) / demand_pcu if demand_pcu > 0 else 0.0
            obj = float(_k.objective(*args, vol, prob.c0, x, pce))
            elapsed = time.perf_counter() - t_start
            history.append((iteration, rel_gap, aec, obj, elapsed))
            logger.debug("iteration %d: relative gap %.3e, AEC %.3e", iteration, rel_gap, aec)
            if progress is not None:
                progress(iteration, rel_gap)
            if rel_gap <= gap or iteration >= max_iterations:
                break
        if n_od == 0:
            rel_gap, aec, obj = 0.0, 0.0, 0.0
            history.append((0, 0.0, 0.0, 0.0, time.perf_counter() - t_start))
            break
        iteration += 1
        if iteration == 1:
            continue  # all-or-nothing load on free-flow costs: measure it first
        if iteration % 8 == 0:
            n_live, m_live = _k.live_size(od_head, p_len, p_next)
            if n_plinks > 2 * m_live:
                (p_flow, p_start, p_len, p_hash, p_next, p_od, plinks, n_paths, n_plinks) = (
                    _k.compact(
                        od_head, p_flow, p_start, p_len, p_hash, p_next, p_od, plinks, n_live,
                        m_live,
                    )
                )  # fmt: skip
        first = math.nan
        active = np.ones(n_od, np.bool_)
        for sweep in range(inner_sweeps):
            counter, excess = _k.gradient_projection(
                od_class, od_head, p_flow, p_start, p_len, p_next, plinks, prob.c0, pce, x, vol,
                *args, d, dd, stamp_a, stamp_b, counter, active, active_excess * gap,
            )  # fmt: skip
            if sweep == 0:
                first = excess
            elif excess <= inner_reduction * first:
                break
    seconds = time.perf_counter() - t_start
    if rel_gap > gap:
        logger.warning(
            "assignment stopped after %d iterations at relative gap %.2e (target %.1e)",
            iteration,
            rel_gap,
            gap,
        )
    info = {
        "relative_gap": rel_gap,
        "aec": aec,
        "objective": obj,
        "iterations": iteration,
        "seconds": seconds,
        "converged": rel_gap <= gap,
        "history": pd.DataFrame(
            history, columns=["iteration", "relative_gap", "aec", "objective", "seconds"]
        ),
    }
    paths = _Paths(
        od_class, od_origin, od_dest, od_demand, od_head, p_flow, p_start, p_len, p_next, plinks
    )
    return x, d, info, paths


def _warm_pool(prob: _Problem, warm: AssignmentResult, ods: tuple, link_rand: np.ndarray):
    """The starting path sets from a solved result: its paths, on this problem's links and pairs.

    Pairs match by class name, origin and destination node; links by ``(u, v, key)``. Paths
    over links that are gone or closed to the class are dropped; the kept flows are scaled to
    this problem's demand.
    """
    old = warm._paths
    if old is None or warm._nodes is None:
        msg = "the warm-start result holds no paths; pass a result of assign()"
        raise AssignmentError(msg)
    od_class, od_origin, od_dest, od_demand = ods
    pos = {e: i for i, e in enumerate(prob.edge_labels)}
    link_map = np.fromiter((pos.get(e, -1) for e in warm.edges), np.int64, len(warm.edges))
    cls = {n: i for i, n in enumerate(prob.names)}
    index = {n: i for i, n in enumerate(prob.nodes)}
    o_cls = np.array([cls.get(n, -1) for n in warm.class_names], np.int64)
    o_node = np.fromiter((index.get(n, -1) for n in warm._nodes), np.int64, len(warm._nodes))
    n_nodes = len(prob.nodes)
    # pairs as one integer key: (class * n + origin) * n + destination, in this problem's indices
    oc, oo, odd = o_cls[old.od_class], o_node[old.od_origin], o_node[old.od_dest]
    ok = (oc >= 0) & (oo >= 0) & (odd >= 0)
    old_key = np.where(ok, (oc * n_nodes + oo) * n_nodes + odd, -1)
    new_key = (od_class * n_nodes + od_origin) * n_nodes + od_dest
    order = np.argsort(old_key, kind="stable")
    at = np.searchsorted(old_key[order], new_key)
    at = np.minimum(at, max(old_key.size - 1, 0))
    found = (old_key.size > 0) & (old_key[order][at] == new_key) if old_key.size else None
    old_of = np.where(found, order[at], -1) if found is not None else np.full(new_key.size, -1)
    return _k.warm_pool(
        old_of.astype(np.int64), old.od_head, old.p_flow, old.p_start, old.p_len, old.p_next,
        old.plinks, link_map, od_class, prob.c0, od_demand, link_rand,
    )  # fmt: skip


def _check_loaded_capacity(prob: _Problem, vol: np.ndarray) -> None:
    if not prob.cap_bad.any():
        return
    loaded = np.flatnonzero(prob.cap_bad & (vol > 0))
    if loaded.size:
        e = prob.edge_labels[loaded[0]]
        msg = (
            f"link {e} carries flow but its capacity is missing or <= 0; "
            "give every loaded link a positive capacity (PCU/h)"
        )
        raise AssignmentError(msg)


def _result(prob: _Problem, x, d, info, paths, graph=None) -> AssignmentResult:
    index = pd.MultiIndex.from_tuples(prob.edge_labels, names=["u", "v", "key"])
    volumes = pd.DataFrame(x.T, index=index, columns=prob.names)
    volumes["pcu"] = prob.pce @ x
    cap = np.where(prob.cap_bad, np.nan, prob.cap)
    return AssignmentResult(
        edges=list(prob.edge_labels),
        volumes=volumes,
        capacity=cap,
        vc=volumes["pcu"].to_numpy() / cap,
        time=prob.t0 + d,
        class_cost={n: prob.c0[i] + d for i, n in enumerate(prob.names)},
        class_names=list(prob.names),
        graph=graph,
        _paths=paths,
        _nodes=prob.nodes,
        **info,
    )


def _edge_float(data: dict, attr: str, default: float) -> float:
    v = data.get(attr, default)
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _class_trips(dc: DemandClass) -> np.ndarray:
    """A class's trips as numbers, checked: its OD has the columns, no trip is negative or NaN."""
    od = dc.od
    missing = [c for c in ("origin", "destination", "trips") if c not in od.columns]
    if missing:
        msg = f"demand of class {dc.name} lacks the column(s) {', '.join(missing)}"
        raise AssignmentError(msg)
    trips = pd.to_numeric(od["trips"], errors="coerce").to_numpy(float)
    if (~np.isfinite(trips) | (trips < 0)).any():
        msg = f"demand of class {dc.name} has trips that are negative or not numbers"
        raise AssignmentError(msg)
    if trips.size and trips.max() > max_trips_per_pair:
        msg = (
            f"demand of class {dc.name} has {trips.max():.6g} trips between one pair, more than "
            f"the {max_trips_per_pair:,.0f} vehicles per hour a pair may have; check the OD's units"
        )
        raise AssignmentError(msg)
    return trips


def _od_arrays(
    classes: Sequence[DemandClass], index: dict[Hashable, int]
) -> tuple[np.ndarray, ...]:
    cls_list, o_list, d_list, t_list = [], [], [], []
    for ci, dc in enumerate(classes):
        od = dc.od
        trips = _class_trips(dc)
        keep = trips > 0
        orig = od["origin"].to_numpy()[keep]
        dest = od["destination"].to_numpy()[keep]
        for col, vals in (("origin", orig), ("destination", dest)):
            try:
                unknown = [v for v in pd.unique(vals) if v not in index]
            except TypeError:  # an unhashable id (a list, a dict)
                bad = next(v for v in vals if not isinstance(v, Hashable))
                msg = f"demand of class {dc.name}: {col} {str(bad)[:60]} is not a node id"
                raise AssignmentError(msg) from None
            if unknown:
                msg = (
                    f"demand of class {dc.name}: {col} {unknown[0]!r} is not a node of the "
                    "graph; snap zones to network nodes first"
                )
                raise AssignmentError(msg)
        oi = np.fromiter((index[v] for v in orig), np.int64, len(orig))
        di = np.fromiter((index[v] for v in dest), np.int64, len(dest))
        frame = pd.DataFrame({"o": oi, "d": di, "t": trips[keep]})
        frame = frame[frame["o"] != frame["d"]].groupby(["o", "d"], as_index=False)["t"].sum()
        cls_list.append(np.full(len(frame), ci, np.int64))
        o_list.append(frame["o"].to_numpy(np.int64))
        d_list.append(frame["d"].to_numpy(np.int64))
        t_list.append(frame["t"].to_numpy(float))
    if not cls_list:
        z = np.zeros(0, np.int64)
        return z, z, z, np.zeros(0)
    return (
        np.concatenate(cls_list),
        np.concatenate(o_list),
        np.concatenate(d_list),
        np.concatenate(t_list),
    )


def _check_classes(classes: Any) -> None:
    if isinstance(classes, DemandClass):
        msg = f"classes must be a list of DemandClass, got one DemandClass; pass [{classes.name}]"
        raise AssignmentError(msg)
    if isinstance(classes, str | bytes | dict) or not isinstance(classes, Sequence):
        msg = f"classes must be a list of DemandClass, got {type(classes).__name__}"
        raise AssignmentError(msg)
    if not classes:
        msg = "classes is empty: give at least one DemandClass with its demand"
        raise AssignmentError(msg)
    bad = [c for c in classes if not isinstance(c, DemandClass)]
    if bad:
        msg = f"classes must hold DemandClass objects only, found {type(bad[0]).__name__}"
        raise AssignmentError(msg)
    names = [c.name for c in classes]
    if len(set(names)) != len(names):
        msg = f"class names must differ, got {names}"
        raise AssignmentError(msg)
    for c in classes:
        if not (math.isfinite(c.pce) and c.pce > 0):
            msg = f"class {c.name}: pce must be a positive number, got {c.pce!r}"
            raise AssignmentError(msg)
        if c.name == "pcu":
            msg = "a class may not be called 'pcu' (that column holds the total)"
            raise AssignmentError(msg)


def _check_options(max_iterations: Any, progress: Any, warm: Any) -> None:
    if max_iterations is not None and not (
        isinstance(max_iterations, numbers.Integral)
        and not isinstance(max_iterations, bool)
        and 1 <= max_iterations <= max_iterations_limit
    ):
        msg = (
            f"max_iterations must be a whole number from 1 to {max_iterations_limit:,}, "
            f"got {max_iterations!r}"
        )
        raise AssignmentError(msg)
    if progress is not None and not callable(progress):
        msg = f"progress must be a function progress(iteration, gap) or None, got {progress!r}"
        raise AssignmentError(msg)
    if warm is not None and not isinstance(warm, AssignmentResult):
        msg = f"warm must be an AssignmentResult of assign() or None, got {type(warm).__name__}"
        raise AssignmentError(msg)


def assign(
    G: nx.MultiDiGraph,
    classes: Sequence[DemandClass],
    *,
    gap: float = 1e-6,
    max_iterations: int | None = None,
    vdf: str = "bpr",
    centroids: Collection[Hashable] | None = None,
    progress: Callable[[int, float], Any] | None = None,
    warm: AssignmentResult | None = None,
) -> AssignmentResult:
    """Load demand classes on a road graph at multi-class user equilibrium.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Edges need ``travel_time`` (s, the reference free-flow time) and ``capacity`` (PCU per
        hour); optional ``bpr_alpha``, ``bpr_beta`` (BPR) or ``conical_alpha`` (conical).
    classes : sequence of DemandClass
        The demand; see the module docstring for how classes share the delay.
    gap : float
        Target relative gap (> 0).
    max_iterations : int, optional
        Outer iterations before stopping short of ``gap`` (with a warning; the result says
        ``converged=False``). Default ``default_max_iterations``.
    vdf : {"bpr", "conical"}
        Volume-delay function.
    centroids : collection of node ids, optional
        Nodes that paths may start or end at but never pass through (zone centroids).
    progress : callable, optional
        Called as ``progress(iteration, relative_gap)`` after every iteration.
    warm : AssignmentResult, optional
        A solved result to start from (warm start): its paths on the links that still exist
        and are open to the class, their flows scaled to this demand. A network with an option
        built starts from the base's paths, a period from the next one's. The answer is that
        of a cold start at the same gap; only the iterations to reach it differ.

    Returns
    -------
    AssignmentResult
        Link volumes by class, v/c, congested times, gap history, and the paths for
        :func:`select_link`.

    Raises
    ------
    AssignmentError
        A wrong argument (not a MultiDiGraph, not a list of DemandClass, bad options), bad
        demand (trips negative, not numbers or above :data:`max_trips_per_pair`), an OD pair
        without a path, or a loaded link whose capacity is missing or not positive.
    """
    _check_graph(G)
    check_gap(gap)
    if not isinstance(vdf, str) or vdf not in _VDFS:
        msg = f"vdf must be one of {sorted(_VDFS)}, got {vdf!r}"
        raise AssignmentError(msg)
    _check_classes(classes)
    _check_options(max_iterations, progress, warm)
    if centroids is not None and (
        isinstance(centroids, str | bytes) or not isinstance(centroids, Iterable)
    ):
        msg = f"centroids must be a collection of node ids, got {type(centroids).__name__}"
        raise AssignmentError(msg)
    nodes = list(G.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    edges = list(G.edges(keys=True, data=True))
    n_links = len(edges)
    tail = np.fromiter((index[u] for u, _, _, _ in edges), np.int64, n_links)
    head = np.fromiter((index[v] for _, v, _, _ in edges), np.int64, n_links)
    t0 = np.array([_edge_float(e[3], "travel_time", math.nan) for e in edges], float)
    bad_t = np.flatnonzero(~np.isfinite(t0) | (t0 < 0))
    if bad_t.size:
        u, v, k, _ = edges[bad_t[0]]
        msg = (
            f"edge {(u, v, k)} has no usable travel_time (s); every edge needs its reference "
            "free-flow time (e.g. from sanqu_geo.network.load_network)"
        )
        raise AssignmentError(msg)
    cap = np.array([_edge_float(e[3], "capacity", math.nan) for e in edges], float)
    cap_bad = ~np.isfinite(cap) | (cap <= 0)
    if vdf == "bpr":
        alpha = np.array([_edge_float(e[3], "bpr_alpha", settings.bpr_alpha) for e in edges])
        beta = np.array([_edge_float(e[3], "bpr_beta", settings.bpr_beta) for e in edges])
    else:
        alpha = np.array(
            [_edge_float(e[3], "conical_alpha", settings.conical_alpha) for e in edges]
        )
        beta = np.zeros(n_links)
        if (~(alpha > 1)).any():
            msg = "conical_alpha must be > 1 on every edge"
            raise AssignmentError(msg)
    if (~np.isfinite(alpha) | (alpha < 0) | ~np.isfinite(beta) | (beta < 0)).any():
        msg = "bpr_alpha and bpr_beta must be finite numbers >= 0 on every edge"
        raise AssignmentError(msg)
    c0 = np.full((len(classes), n_links), math.inf)
    for ci, dc in enumerate(classes):
        vals = np.array([_edge_float(e[3], dc.time_attr, math.inf) for e in edges], float)
        vals[np.isnan(vals)] = math.inf
        if (vals < 0).any():
            msg = f"class {dc.name}: edge attribute {dc.time_attr} has negative values"
            raise AssignmentError(msg)
        if n_links and not np.isfinite(vals).any():
            msg = (
                f"class {dc.name}: no edge has a usable {dc.time_attr!r} (the class's free-flow "
                "time, s); add it (add_class_time) or use time_attr='travel_time'"
            )
            raise AssignmentError(msg)
        c0[ci] = vals
    thru = np.ones(len(nodes), np.bool_)
    if centroids is not None:
        for n in centroids:
            if not isinstance(n, Hashable) or n not in index:
                msg = f"centroid {n!r} is not a node of the graph"
                raise AssignmentError(msg)
            thru[index[n]] = False
    od_class, od_o, od_d, od_t = _od_arrays(classes, index)
    prob = _Problem(
        nodes=nodes,
        tail=tail,
        head=head,
        thru=thru,
        t0=t0,
        alpha=alpha,
        beta=beta,
        cap=np.where(cap_bad, math.inf, cap),
        cap_bad=cap_bad,
        kind=_VDFS[vdf],
        c0=c0,
        pce=np.array([c.pce for c in classes], float),
        names=[c.name for c in classes],
        od_class=od_class,
        od_origin=od_o,
        od_dest=od_d,
        od_demand=od_t,
        edge_labels=[(u, v, k) for u, v, k, _ in edges],
    )
    mi = default_max_iterations if max_iterations is None else max_iterations
    x, d, info, paths = _solve(prob, gap=gap, max_iterations=mi, progress=progress, warm=warm)
    result = _result(prob, x, d, info, paths, graph=G)
    result.time_attrs = [c.time_attr for c in classes]
    return result


def _tntp_problem(problem) -> _Problem:
    links = problem.links
    nodes = sorted(set(links["init_node"]) | set(links["term_node"]) | set(problem.od["origin"]))
    index = {n: i for i, n in enumerate(nodes)}
    tail = links["init_node"].map(index).to_numpy(np.int64)
    head = links["term_node"].map(index).to_numpy(np.int64)
    cap = links["capacity"].to_numpy(float)
    cap_bad = ~np.isfinite(cap) | (cap <= 0)
    seen: dict[tuple, int] = {}
    labels = []
    for u, v in zip(links["init_node"].tolist(), links["term_node"].tolist(), strict=True):
        k = seen.get((u, v), 0)
        seen[(u, v)] = k + 1
        labels.append((u, v, k))
    thru = np.array([n >= problem.first_thru_node for n in nodes], np.bool_)
    cls = DemandClass("flow", problem.od)
    od_class, od_o, od_d, od_t = _od_arrays([cls], index)
    prob = _Problem(
        nodes=nodes,
        tail=tail,
        head=head,
        thru=thru,
        t0=links["free_flow_time"].to_numpy(float),
        alpha=links["b"].to_numpy(float),
        beta=links["power"].to_numpy(float),
        cap=np.where(cap_bad, math.inf, cap),
        cap_bad=cap_bad,
        kind=_VDFS.get(str(getattr(problem, "vdf", "bpr")).lower(), _k.BPR),
        c0=links["cost0"].to_numpy(float)[None, :].copy(),
        pce=np.ones(1),
        names=["flow"],
        od_class=od_class,
        od_origin=od_o,
        od_dest=od_d,
        od_demand=od_t,
        edge_labels=labels,
    )
    return prob


def evaluate_tntp(problem, volume: np.ndarray) -> dict[str, float]:
    """Relative gap, AEC, objective and TSTT of given link volumes of a TNTP problem.

    For checking flows from elsewhere (another solver, a published solution) with the same
    definitions :func:`assign_tntp` reports.

    Parameters
    ----------
    problem : sanqu_geo.tntp.TntpProblem
    volume : numpy.ndarray
        One volume per link, in file order.

    Returns
    -------
    dict
        ``relative_gap``, ``aec``, ``objective``, ``tstt``.
    """
    _check_problem(problem, "evaluate_tntp")
    prob = _tntp_problem(problem)
    try:
        x = np.asarray(volume, float).reshape(1, -1)
    except (TypeError, ValueError):
        msg = "evaluate_tntp: volume must be numbers, one per link in file order"
        raise AssignmentError(msg) from None
    if not (np.isfinite(x) & (x >= 0)).all():
        msg = "evaluate_tntp: volume must be finite numbers >= 0"
        raise AssignmentError(msg)
    if x.shape[1] != prob.tail.size:
        msg = f"{x.shape[1]} volumes for {prob.tail.size} links"
        raise AssignmentError(msg)
    return _evaluate(prob, x)


def _evaluate(prob: _Problem, x: np.ndarray) -> dict[str, float]:
    star = _forward_star(len(prob.nodes), prob.tail, prob.head, prob.thru)
    od_class, _, od_dest, od_demand, grp_start, grp_class, grp_origin = _origin_groups(prob)
    pce = prob.pce.astype(float)
    vol = pce @ x
    d = np.zeros(vol.size)
    dd = np.zeros(vol.size)
    args = (prob.kind, prob.t0, prob.alpha, prob.beta, prob.cap)
    _k.update_delays(*args, vol, d, dd)
    cost = prob.c0 + d[None, :]
    groups = (grp_class, grp_origin, grp_start, od_dest, od_demand)
    sp, _ = _shortest(star, prob.tail, cost, groups, np.zeros(vol.size))
    sp_total, bad = _sp_total(sp, pce[od_class] * od_demand)
    if bad >= 0:
        msg = "an OD pair with demand has no path"
        raise AssignmentError(msg)
    total = float(np.sum(np.where(x > 0, x * np.where(x > 0, cost, 0.0), 0.0) * pce[:, None]))
    return {
        "relative_gap": (total - sp_total) / total if total > 0 else 0.0,
        "aec": (total - sp_total) / float(np.sum(pce[od_class] * od_demand)),
        "objective": float(_k.objective(*args, vol, prob.c0, x, pce)),
        "tstt": total,
    }


def assign_tntp(
    problem,
    *,
    gap: float = 1e-6,
    max_iterations: int | None = None,
    progress: Callable[[int, float], Any] | None = None,
    warm: AssignmentResult | None = None,
) -> AssignmentResult:
    """Solve a TransportationNetworks problem (BPR with the file's ``b`` and ``power``).

    Parameters
    ----------
    problem : sanqu_geo.tntp.TntpProblem
        From :func:`sanqu_geo.tntp.load_problem`. The link cost is ``cost0`` (free-flow time
        plus any generalized-cost terms) plus ``free_flow_time · b · (v/capacity)^power``.
    gap, max_iterations, progress, warm
        As for :func:`assign`.

    Returns
    -------
    AssignmentResult
        Edges are ``(init_node, term_node, k)`` in file order (``k`` counts parallel links);
        times and costs in the file's units; one class named ``"flow"``.
    """
    _check_problem(problem, "assign_tntp")
    _check_options(max_iterations, progress, warm)
    prob = _tntp_problem(problem)
    mi = default_max_iterations if max_iterations is None else max_iterations
    x, d, info, paths = _solve(prob, gap=gap, max_iterations=mi, progress=progress, warm=warm)
    return _result(prob, x, d, info, paths)


def add_class_time(
    G: nx.MultiDiGraph, class_graph: nx.MultiDiGraph, attr: str, *, source: str = "travel_time"
) -> nx.MultiDiGraph:
    """Copy a class's free-flow times from its own profile graph onto ``G``.

    For example the truck profile of the same network (speed caps, banned edges removed) onto
    the car graph, so that one graph carries both classes.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The reference graph (its ``travel_time`` is the reference free-flow time).
    class_graph : networkx.MultiDiGraph
        The class's graph built from the same source: edges with the same ``(u, v, key)``.
    attr : str
        Name of the new edge attribute on the copy, e.g. ``"truck_time"`` (seconds).
    source : str
        Attribute of ``class_graph`` to copy.

    Returns
    -------
    networkx.MultiDiGraph
        A copy of ``G`` with ``attr`` on every edge: the class's time where ``class_graph``
        has the edge, ``inf`` (not allowed) where it does not.
    """
    _check_graph(G)
    _check_graph(class_graph, "class_graph")
    for name, value in (("attr", attr), ("source", source)):
        if not isinstance(value, str) or not value:
            msg = (
                f"{name} must be the name of an edge attribute such as 'truck_time', got {value!r}"
            )
            raise AssignmentError(msg)
    H = G.copy()
    missing = 0
    for u, v, k, data in H.edges(keys=True, data=True):
        other = class_graph.get_edge_data(u, v, k)
        if other is None or other.get(source) is None:
            data[attr] = math.inf
            missing += 1
        else:
            data[attr] = float(other[source])
    logger.info("%s: %d of %d edges not allowed", attr, missing, H.number_of_edges())
    return H


def congested_graph(
    result_or_G: AssignmentResult | nx.MultiDiGraph, result: AssignmentResult | None = None
) -> nx.MultiDiGraph:
    """A copy of the assigned graph whose ``travel_time`` is the congested time.

    Parameters
    ----------
    result_or_G : AssignmentResult or networkx.MultiDiGraph
        The result (whose graph is used), or the graph that was assigned.
    result : AssignmentResult, optional
        The result, when a graph is given first.

    Returns
    -------
    networkx.MultiDiGraph
        A new graph: ``travel_time`` = free-flow time + delay (s, reference class),
        ``free_flow_time`` = the original ``travel_time``, and ``volume_pcu``, ``vc`` added.
        Every class-specific time attribute used in the assignment gets the same delay added.
    """
    if isinstance(result_or_G, AssignmentResult):
        result = result_or_G
        G = result.graph
    else:
        G = result_or_G
        if result is not None:
            _check_result(result, "congested_graph")
            _check_graph(G)
    if result is None or G is None:
        msg = "congested_graph needs the assigned graph and its AssignmentResult"
        raise AssignmentError(msg)
    H = G.copy()
    delay = result.time - np.array([float(G.edges[e]["travel_time"]) for e in result.edges], float)
    pcu = result.volumes["pcu"].to_numpy()
    for i, (u, v, k) in enumerate(result.edges):
        if not H.has_edge(u, v, k):
            msg = f"edge {(u, v, k)} of the result is not in the graph"
            raise AssignmentError(msg)
        data = H.edges[u, v, k]
        data["free_flow_time"] = data["travel_time"]
        data["travel_time"] = float(result.time[i])
        data["volume_pcu"] = float(pcu[i])
        data["vc"] = float(result.vc[i])
        for attr in {a for a in result.time_attrs if a != "travel_time"}:
            if attr in data and data[attr] is not None and math.isfinite(float(data[attr])):
                data[attr] = float(data[attr]) + float(delay[i])
    return H


def vehicle_hours(result: AssignmentResult) -> dict[str, float]:
    """Vehicle-hours travelled per class: Σ_a x_{c,a} · congested cost (s) / 3600.

    The cost is the class's own (its free-flow time plus the shared delay).
    """
    _check_result(result, "vehicle_hours")
    out = {}
    for name in result.class_names:
        x = result.volumes[name].to_numpy()
        c = result.class_cost[name]
        used = x > 0
        out[name] = float(np.sum(x[used] * c[used]) / 3600.0)
    return out


def vehicle_km(result: AssignmentResult) -> dict[str, float]:
    """Vehicle-kilometres travelled per class (edges need ``length`` in metres)."""
    _check_result(result, "vehicle_km")
    G = result.graph
    if G is None:
        msg = "vehicle_km needs a result of assign() on a graph with edge lengths"
        raise AssignmentError(msg)
    length = np.array([_edge_float(G.edges[e], "length", math.nan) for e in result.edges])
    out = {}
    for name in result.class_names:
        x = result.volumes[name].to_numpy()
        used = x > 0
        if np.isnan(length[used]).any():
            msg = "a loaded edge has no length (m); vehicle_km needs lengths on loaded edges"
            raise AssignmentError(msg)
        out[name] = float(np.sum(x[used] * length[used]) / 1000.0)
    return out


def select_link(result: AssignmentResult, links: Iterable[tuple]) -> pd.DataFrame:
    """The OD flows whose equilibrium paths use any of the given links.

    Parameters
    ----------
    result : AssignmentResult
    links : iterable of (u, v, key) or (u, v)
        The selected links (a corridor); ``(u, v)`` selects every parallel edge.

    Returns
    -------
    pandas.DataFrame
        Columns ``class``, ``origin``, ``destination``, ``trips`` (the pair's demand),
        ``flow`` (vehicles per hour on paths through the selection) and ``share``; only pairs
        with flow > 0, largest first. Zones: ``frame.groupby("origin")["flow"].sum()``.

    Notes
    -----
    Equilibrium fixes the link flows, not how each OD pair splits among routes of equal cost:
    the split here is the one the solver's path sets hold. The total over all pairs through one
    link always equals that link's volume; where two routes through and around the selection
    have exactly the same cost for many pairs, the attribution among those pairs is one of
    several that are all at equilibrium.
    """
    _check_result(result, "select_link")
    if isinstance(links, str | bytes) or not isinstance(links, Iterable):
        msg = f"links must be a list of (u, v, key) or (u, v) tuples, got {links!r}"
        raise AssignmentError(msg)
    paths = result._paths
    if paths is None:
        msg = "this result holds no paths; run assign() again"
        raise AssignmentError(msg)
    pos = {e: i for i, e in enumerate(result.edges)}
    by_pair: dict[tuple, list[int]] = {}
    for i, (u, v, _) in enumerate(result.edges):
        by_pair.setdefault((u, v), []).append(i)
    selected = np.zeros(len(result.edges), np.bool_)
    for link in links:
        if isinstance(link, str | bytes) or not isinstance(link, Iterable):
            msg = f"link {link!r} is not a (u, v, key) or (u, v) tuple"
            raise AssignmentError(msg)
        link = tuple(link)
        if not isinstance(link, Hashable) or not all(isinstance(x, Hashable) for x in link):
            msg = f"link {link!r} is not an edge of the assigned network"
            raise AssignmentError(msg)
        if len(link) == 3 and link in pos:
            selected[pos[link]] = True
        elif len(link) == 2 and link in by_pair:
            selected[by_pair[link]] = True
        else:
            msg = f"link {link} is not an edge of the assigned network"
            raise AssignmentError(msg)
    out = np.zeros(paths.od_head.size)
    _k.select_link(
        paths.od_head, paths.p_flow, paths.p_start, paths.p_len, paths.p_next, paths.plinks,
        selected, out,
    )  # fmt: skip
    keep = np.flatnonzero(out > 0)
    nodes = result._nodes
    frame = pd.DataFrame(
        {
            "class": [result.class_names[c] for c in paths.od_class[keep]],
            "origin": [nodes[i] for i in paths.od_origin[keep]],
            "destination": [nodes[i] for i in paths.od_dest[keep]],
            "trips": paths.od_demand[keep],
            "flow": out[keep],
        }
    )
    frame["share"] = frame["flow"] / frame["trips"]
    return frame.sort_values("flow", ascending=False, ignore_index=True)
