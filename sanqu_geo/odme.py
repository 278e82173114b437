"""OD matrix estimation from traffic counts (ODME): the gradient method of Spiess (1990).

Owns the adjustment of a prior OD matrix to observed link counts at user equilibrium, the
path proportions it needs from an :class:`~sanqu_geo.assignment.AssignmentResult`, and the
GEH statistic. It never reads or writes files (:mod:`sanqu_geo.tntp` and the CLI do).

The method. H. Spiess, "A gradient approach for the O-D matrix adjustment problem",
Publication 693, Centre de recherche sur les transports, Université de Montréal, 1990 (the
method Emme and AequilibraE document). It minimises

    Z(g) = ½ Σ_{a counted} w_a (v_a(g) − ĉ_a)²

over the OD demand ``g``, where ``v_a`` are the equilibrium link flows, ``ĉ_a`` the counts and
``w_a`` optional weights (default 1). With the proportions ``P_{od,a}`` (the share of the OD
pair's demand on link ``a``, from the assignment's path flows) held fixed,

* the gradient is ``∂Z/∂g_od = Σ_a w_a (v_a − ĉ_a) P_{od,a}``;
* the step is multiplicative, ``g_od ← g_od (1 − λ ∂Z/∂g_od)``, so cells that are zero stay
  zero and large cells move most;
* the step length is the exact minimiser along that direction,
  ``λ* = Σ_a w_a v'_a (ĉ_a − v_a) / Σ_a w_a v'_a²`` with ``v'_a = −Σ_od g_od ∂Z/∂g_od P_{od,a}``,
  capped at ``1 / max_od ∂Z/∂g_od`` so that no factor ``1 − λ ∂Z/∂g_od`` goes negative.

Each outer iteration makes up to ``inner_iterations`` such steps at fixed proportions (the
link flows then move linearly, ``v ← v + Pᵀ Δg``), then assigns the new matrix again at user
equilibrium, which gives new flows and proportions. It stops when ``Z`` after an assignment
changes by less than ``tolerance`` (relative) from the one before, or after
``max_iterations`` assignments of adjusted matrices, and returns the matrix with the lowest
``Z`` among those it assigned (the prior included): with the equilibrium paths changing
between assignments, ``Z`` need not fall at every one.

Regularisation. Spiess's method has no explicit term tying the estimate to the prior: it
stays near it only because it starts there and moves multiplicatively. Here each cell is also
held in a box around the prior, ``ĝ_od / max_factor ≤ g_od ≤ ĝ_od · max_factor`` (default
:data:`default_max_factor` = 5): a step is projected onto the box, cells on a bound whose
gradient pushes them out are left out of the step direction, and a projected step that would
raise ``Z`` (at fixed proportions) is halved until it does not. Counts that contradict each
other therefore pull the cells they share at most to the bounds, never to zero or without
limit.

Counts and classes. The core (:func:`estimate`) only sees a demand vector, the counts and a
callable that assigns a demand vector and returns the modelled flow of every count and the
sparse matrix of proportions ``P`` (cells × counts, ``∂v/∂g`` at fixed paths). What a count
measures is the callable's business; :func:`path_proportions` builds both from any
assignment result, multi-class ones included: a count is of one class (``"car"``,
``"truck"``: vehicles of that class) or of ``"all"`` (the link's total in passenger-car units,
``Σ_c pce_c x_{c,a}``, the result's ``pcu`` volume). :func:`odme_tntp` is the whole method on
a TransportationNetworks problem (one class, PCE 1: counts are vehicles per hour, and the TNTP
demand is read as the hourly volume it gives).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from sanqu_geo.errors import AssignmentError, DemandError

logger = logging.getLogger(__name__)

__all__ = [
    "AssignFunction",
    "OdmeResult",
    "estimate",
    "geh",
    "odme_tntp",
    "path_proportions",
]

#: Bound on each cell's factor against the prior: ``1 / max_factor ≤ g / ĝ ≤ max_factor``.
default_max_factor: float = 5.0

#: Assignments of adjusted matrices (outer iterations) before stopping.
default_max_iterations: int = 10

#: Gradient steps at fixed path proportions between two assignments.
default_inner_iterations: int = 5

#: Most outer iterations that may be asked for: each is an equilibrium assignment (seconds to
#: minutes), and the fit levels off within a few tens.
max_iterations_limit: int = 1000

#: Most gradient steps between two assignments that may be asked for.
inner_iterations_limit: int = 1000

#: Stop when Z after an assignment changes by less than this, relative to the one before.
default_tolerance: float = 1e-3

#: A cell counts as changed when its factor against the prior is off 1 by more than this.
changed_threshold: float = 0.01

#: Halvings of a projected step that would raise Z before the step is given up.
_BACKTRACKS = 30

#: ``assign(demand) -> (flows, P)``: the modelled flow of every count for a demand vector,
#: and the sparse proportions ``P`` (cells × counts) at the same equilibrium.
AssignFunction = Callable[[np.ndarray], tuple[np.ndarray, sparse.spmatrix]]


@dataclasses.dataclass
class OdmeResult:
    """An adjusted OD demand vector and how it fits the counts.

    Attributes
    ----------
    demand : numpy.ndarray
        The estimate, one value per cell of the prior (trips per hour).
    prior : numpy.ndarray
        The prior demand it started from.
    observed, weights : numpy.ndarray
        The counts and their weights, one per count.
    flows_before, flows_after : numpy.ndarray
        Modelled flow of every count at equilibrium with the prior and with the estimate.
    objective_before, objective : float
        ``Z`` at those two equilibria.
    iterations : int
        Outer iterations made (each ends with one assignment of the adjusted matrix).
    assignments : int
        Equilibrium assignments run (``iterations + 1``: the prior's first).
    converged : bool
        Whether the relative change of ``Z`` fell below the tolerance.
    max_factor : float
        The bound on each cell's factor against the prior.
    history : pandas.DataFrame
        ``iteration``, ``objective`` (after that iteration's assignment), ``relative_change``,
        ``steps`` (gradient steps taken at fixed proportions), ``seconds`` (since the start).
    seconds : float
        Wall time.
    """

    demand: np.ndarray
    prior: np.ndarray
    observed: np.ndarray
    weights: np.ndarray
    flows_before: np.ndarray
    flows_after: np.ndarray
    objective_before: float
    objective: float
    iterations: int
    assignments: int
    converged: bool
    max_factor: float
    history: pd.DataFrame
    seconds: float

    @property
    def factors(self) -> np.ndarray:
        """Estimate ÷ prior per cell (1 where the prior is zero: those cells stay zero)."""
        out = np.ones_like(self.prior)
        np.divide(self.demand, self.prior, out=out, where=self.prior > 0)
        return out

    @property
    def changed_cells(self) -> int:
        """Cells whose factor is off 1 by more than :data:`changed_threshold`."""
        return int(np.count_nonzero(np.abs(self.factors - 1.0) > changed_threshold))

    @property
    def cells_at_bound(self) -> int:
        """Cells held at ``1 / max_factor`` or ``max_factor`` times the prior."""
        f = self.factors[self.prior > 0]
        lo, hi = 1.0 / self.max_factor, self.max_factor
        return int(np.count_nonzero((f <= lo * (1 + 1e-9)) | (f >= hi * (1 - 1e-9))))

    @property
    def total_before(self) -> float:
        """Sum of the prior (trips)."""
        return float(self.prior.sum())

    @property
    def total_after(self) -> float:
        """Sum of the estimate (trips)."""
        return float(self.demand.sum())


def geh(model: np.ndarray | float, count: np.ndarray | float) -> np.ndarray:
    """The GEH statistic of modelled against counted hourly flows.

    ``GEH = √(2 (m − c)² / (m + c))``; 0 where both are 0. Under 5 is the usual target for a
    link of a calibrated model.

    Parameters
    ----------
    model, count : array-like
        Hourly flows (vehicles or PCU per hour, both the same).

    Returns
    -------
    numpy.ndarray
        One value per element.
    """
    m = np.asarray(model, float)
    c = np.asarray(count, float)
    s = m + c
    out = np.zeros(np.broadcast(m, c).shape)
    np.divide(2.0 * (m - c) ** 2, s, out=out, where=s > 0)
    return np.sqrt(out)


def _objective(v: np.ndarray, observed: np.ndarray, w: np.ndarray) -> float:
    r = v - observed
    return 0.5 * float(w @ (r * r))


def _check_vector(name: str, values, *, size: int | None = None) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        msg = f"{name} must hold numbers"
        raise DemandError(msg) from None
    if arr.ndim != 1:
        msg = f"{name} must be one-dimensional, got shape {arr.shape}"
        raise DemandError(msg)
    if size is not None and arr.size != size:
        msg = f"{name} has {arr.size} values, expected {size}"
        raise DemandError(msg)
    bad = np.flatnonzero(~np.isfinite(arr) | (arr < 0))
    if bad.size:
        msg = f"{name}[{bad[0]}] is {arr[bad[0]]!r}; every value must be a finite number >= 0"
        raise DemandError(msg)
    return arr


def _check_options(
    max_factor: float, max_iterations: int, inner_iterations: int, tolerance: float
) -> None:
    if not (isinstance(max_factor, (int, float)) and math.isfinite(max_factor) and max_factor > 1):
        msg = f"max_factor must be a finite number > 1 (e.g. 5), got {max_factor!r}"
        raise DemandError(msg)
    for name, value, limit in (
        ("max_iterations", max_iterations, max_iterations_limit),
        ("inner_iterations", inner_iterations, inner_iterations_limit),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            msg = f"{name} must be a whole number >= 1, got {value!r}"
            raise DemandError(msg)
        if value > limit:
            msg = (
                f"{name} {value} is more than the {limit:,} allowed; give {limit:,} or fewer "
                "(the fit levels off within a few tens)"
            )
            raise DemandError(msg)
    if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance >= 0):
        msg = f"tolerance must be a finite number >= 0, got {tolerance!r}"
        raise DemandError(msg)


def _call(
    assign: AssignFunction, g: np.ndarray, n_counts: int
) -> tuple[np.ndarray, sparse.csr_matrix]:
    flows, P = assign(g)
    flows = np.asarray(flows, float)
    if flows.shape != (n_counts,):
        msg = f"the assign callable returned {flows.shape} flows for {n_counts} counts"
        raise DemandError(msg)
    P = sparse.csr_matrix(P)
    if P.shape != (g.size, n_counts):
        msg = (
            f"the assign callable returned proportions of shape {P.shape}, "
            f"expected {(g.size, n_counts)}"
        )
        raise DemandError(msg)
    return flows, P


def _step(
    g: np.ndarray,
    v: np.ndarray,
    P: sparse.csr_matrix,
    PT: sparse.csr_matrix,
    observed: np.ndarray,
    w: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> tuple[np.ndarray, np.ndarray] | None:
    """One projected multiplicative gradient step at fixed proportions, or None if none helps."""
    grad = P @ (w * (v - observed))
    d = -g * grad
    # a cell on a bound whose gradient pushes it outward takes no part in the step
    d[((g <= lo) & (d < 0)) | ((g >= hi) & (d > 0))] = 0.0
    vp = PT @ d
    den = float(w @ (vp * vp))
    if not den > 0:
        return None
    lam = float((w * vp) @ (observed - v)) / den
    if not lam > 0:
        return None
    pushed = (d != 0) & (grad > 0)
    if pushed.any():
        lam = min(lam, 1.0 / float(grad[pushed].max()))
    z = _objective(v, observed, w)
    for _ in range(_BACKTRACKS):
        g_new = np.clip(g + lam * d, lo, hi)
        v_new = v + PT @ (g_new - g)
        if _objective(v_new, observed, w) < z:
            return g_new, v_new
        lam *= 0.5
    return None


def estimate(
    prior: np.ndarray,
    observed: np.ndarray,
    assign: AssignFunction,
    *,
    weights: np.ndarray | None = None,
    max_factor: float | None = None,
    max_iterations: int | None = None,
    inner_iterations: int | None = None,
    tolerance: float | None = None,
) -> OdmeResult:
    """Adjust a prior OD demand vector to traffic counts (Spiess 1990; see the module docstring).

    Parameters
    ----------
    prior : numpy.ndarray
        Prior demand, one value per OD cell (trips per hour, >= 0); cells of several classes
        may be stacked in one vector, in the order ``assign`` understands.
    observed : numpy.ndarray
        One count per counted link (and class), in the units ``assign`` models them in.
    assign : callable
        ``assign(demand) -> (flows, P)``: assigns a demand vector at user equilibrium and
        returns the modelled flow of every count (``len(observed)`` values) and the sparse
        proportions ``P`` (cells × counts: the flow on the count per trip of the cell, at the
        equilibrium paths). :func:`path_proportions` makes both from an assignment result.
    weights : numpy.ndarray, optional
        Weight ``w_a >= 0`` of each count (default 1). A count of weight 0 is reported but not
        fitted.
    max_factor : float, optional
        Each cell stays within ``[prior / max_factor, prior · max_factor]`` (> 1; default
        :data:`default_max_factor`).
    max_iterations : int, optional
        Assignments of adjusted matrices (outer iterations; default
        :data:`default_max_iterations`, at most :data:`max_iterations_limit`).
    inner_iterations : int, optional
        Gradient steps at fixed proportions between assignments (default
        :data:`default_inner_iterations`).
    tolerance : float, optional
        Stop when ``Z`` after an assignment changes by less than this, relative to the one
        before (default :data:`default_tolerance`).

    Returns
    -------
    OdmeResult
        The estimate (of the assigned matrices, the one with the lowest ``Z``), the counts'
        flows before and after, ``Z`` per iteration.

    Raises
    ------
    DemandError
        Negative, non-finite or mismatched inputs, options out of range, or a callable that
        returns arrays of the wrong shape.
    """
    prior = _check_vector("prior", prior)
    observed = _check_vector("observed", observed)
    n_counts = observed.size
    w = np.ones(n_counts) if weights is None else _check_vector("weights", weights, size=n_counts)
    max_factor = default_max_factor if max_factor is None else max_factor
    max_iterations = default_max_iterations if max_iterations is None else max_iterations
    inner_iterations = default_inner_iterations if inner_iterations is None else inner_iterations
    tolerance = default_tolerance if tolerance is None else tolerance
    _check_options(max_factor, max_iterations, inner_iterations, tolerance)

    t_start = time.perf_counter()
    lo = prior / max_factor
    hi = prior * max_factor
    g = prior.copy()
    v, P = _call(assign, g, n_counts)
    flows_before = v.copy()
    z = _objective(v, observed, w)
    z_before = z
    history = [(0, z, math.nan, 0, time.perf_counter() - t_start)]
    logger.info("ODME: Z = %.6g at the prior (%d counts, %d cells)", z, n_counts, prior.size)
    converged = False
    iteration = 0
    best = (z, g, v, 0)
    while iteration < max_iterations and z > 0:
        iteration += 1
        PT = P.T.tocsr()
        v_lin = v
        steps = 0
        for _ in range(inner_iterations):
            moved = _step(g, v_lin, P, PT, observed, w, lo, hi)
            if moved is None:
                break
            g, v_lin = moved
            steps += 1
        v, P = _call(assign, g, n_counts)
        z_new = _objective(v, observed, w)
        change = abs(z - z_new) / z
        z = z_new
        if z < best[0]:
            best = (z, g, v, iteration)
        history.append((iteration, z, change, steps, time.perf_counter() - t_start))
        logger.info(
            "ODME iteration %d: Z = %.6g (relative change %.2e, %d steps)",
            iteration,
            z,
            change,
            steps,
        )
        if change < tolerance or steps == 0:
            converged = True
            break
    if z == 0:
        converged = True
    if best[3] != iteration:
        logger.info("ODME: returning iteration %d, the lowest Z after an assignment", best[3])
    if not converged:
        logger.info(
            "ODME stopped after %d iterations with Z still changing (tolerance %.1e)",
            iteration,
            tolerance,
        )
    z, g, v, _ = best
    return OdmeResult(
        demand=g,
        prior=prior,
        observed=observed,
        weights=w,
        flows_before=flows_before,
        flows_after=v,
        objective_before=z_before,
        objective=z,
        iterations=iteration,
        assignments=iteration + 1,
        converged=converged,
        max_factor=float(max_factor),
        history=pd.DataFrame(
            history, columns=["iteration", "objective", "relative_change", "steps", "seconds"]
        ),
        seconds=time.perf_counter() - t_start,
    )


def _live_paths(paths) -> tuple[np.ndarray, np.ndarray]:
    """(OD pair, path) of every path in the OD pairs' lists, walked list by list in numpy."""
    od = np.flatnonzero(paths.od_head >= 0)
    p = paths.od_head[od]
    ods, ps = [], []
    while p.size:
        ods.append(od)
        ps.append(p)
        nxt = paths.p_next[p]
        keep = nxt >= 0
        od, p = od[keep], nxt[keep]
    if not ods:
        z = np.zeros(0, np.int64)
        return z, z
    return np.concatenate(ods), np.concatenate(ps)


def path_proportions(
    result,
    count_links: Sequence[int | Sequence[int]],
    cells: pd.DataFrame,
    *,
    count_classes: Sequence[str] | None = None,
    pce: Mapping[str, float] | None = None,
) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Modelled count flows and OD-to-count proportions from an assignment's paths.

    Parameters
    ----------
    result : sanqu_geo.assignment.AssignmentResult
        From :func:`~sanqu_geo.assignment.assign` or :func:`~sanqu_geo.assignment.assign_tntp`.
    count_links : sequence of int or of sequences of int
        For every count, the position in ``result.edges`` of the link it counts, or of several
        links whose sum it counts (both directions, parallel links).
    cells : pandas.DataFrame
        The layout of the demand vector: columns ``origin``, ``destination`` (node ids) and,
        when the result has several classes, ``class`` (a class name). Cells the assignment
        did not load (zero demand, intrazonal) get no proportions.
    count_classes : sequence of str, optional
        What each count measures: a class name (that class's vehicles) or ``"all"`` (the
        total in passenger-car units). Default ``"all"`` for every count.
    pce : mapping, optional
        Passenger-car equivalent of each class, as assigned (``DemandClass.pce``); needed for
        ``"all"`` counts on a result of several classes. With one class it is read from the
        result.

    Returns
    -------
    flows : numpy.ndarray
        The modelled flow of each count (the result's volumes).
    P : scipy.sparse.csr_matrix
        Cells × counts: the flow on the count per trip of the cell, from the cell's path
        flows (PCE-weighted for ``"all"``). ``P.T @ demand`` equals ``flows`` at the
        assigned demand.

    Raises
    ------
    AssignmentError
        A result without paths, a link position out of range, an unknown class, a cell whose
        nodes are not in the network, or PCEs that do not reproduce the result's PCU volumes.
    """
    paths = result._paths
    nodes = result._nodes
    if paths is None or nodes is None:
        msg = "this result holds no paths; run the assignment again"
        raise AssignmentError(msg)
    names = list(result.class_names)
    n_links = len(result.edges)
    n_counts = len(count_links)
    classes = ["all"] * n_counts if count_classes is None else list(count_classes)
    if len(classes) != n_counts:
        msg = f"{len(classes)} count classes for {n_counts} counts"
        raise AssignmentError(msg)
    for c in set(classes) - {"all", *names}:
        msg = f"count class {c!r} is neither 'all' nor a class of the result ({', '.join(names)})"
        raise AssignmentError(msg)
    x = result.volumes[names].to_numpy().T  # classes × links, vehicles
    pcu = result.volumes["pcu"].to_numpy()
    if pce is None:
        if len(names) > 1 and "all" in classes:
            msg = (
                "counts of 'all' (PCU) on a result of several classes need pce= "
                f"(e.g. {{{', '.join(repr(n) + ': 1.0' for n in names)}}}, as assigned)"
            )
            raise AssignmentError(msg)
        total = float(x[0].sum()) if len(names) == 1 else 0.0
        pce_arr = np.array([float(pcu.sum()) / total if total > 0 else 1.0] * len(names))
    else:
        missing = [n for n in names if n not in pce]
        if missing:
            msg = f"pce lacks the class(es) {', '.join(missing)}"
            raise AssignmentError(msg)
        pce_arr = np.array([float(pce[n]) for n in names])
    if not np.allclose(pce_arr @ x, pcu, rtol=1e-9, atol=1e-6):
        msg = "the PCEs given do not reproduce the result's PCU volumes; pass the classes' pce"
        raise AssignmentError(msg)

    # counts as a links × counts incidence matrix
    rows, cols = [], []
    for j, item in enumerate(count_links):
        items = [item] if np.isscalar(item) else list(item)
        if not items:
            msg = f"count {j} names no link"
            raise AssignmentError(msg)
        for a in items:
            a = int(a)
            if not 0 <= a < n_links:
                msg = f"count {j}: link position {a} is not in 0..{n_links - 1}"
                raise AssignmentError(msg)
            rows.append(a)
            cols.append(j)
    rows_a = np.asarray(rows, np.int64)
    cols_a = np.asarray(cols, np.int64)
    counted = np.unique(rows_a)
    local = np.full(n_links, -1, np.int64)
    local[counted] = np.arange(counted.size)
    cls_of_count = np.asarray(classes, dtype=object)

    flows = np.zeros(n_counts)
    for ci, name in enumerate(names):
        coef = np.where(
            cls_of_count == name, 1.0, np.where(cls_of_count == "all", pce_arr[ci], 0.0)
        )
        np.add.at(flows, cols_a, coef[cols_a] * x[ci, rows_a])

    # the share of each OD pair's demand on each counted link
    od_p, p = _live_paths(paths)
    f = paths.p_flow[p]
    use = (f > 0) & (paths.od_demand[od_p] > 0)
    od_p, p = od_p[use], p[use]
    share = paths.p_flow[p] / paths.od_demand[od_p]
    lens = paths.p_len[p].astype(np.int64)
    total_len = int(lens.sum())
    offsets = np.repeat(paths.p_start[p].astype(np.int64) - (np.cumsum(lens) - lens), lens)
    link = paths.plinks[offsets + np.arange(total_len)]
    on = local[link] >= 0
    n_od = paths.od_head.size
    S = sparse.csr_matrix(
        (np.repeat(share, lens)[on], (np.repeat(od_p, lens)[on], local[link[on]])),
        shape=(n_od, counted.size),
    )
    # per class: counted links × counts with the class's coefficient; OD pairs are sorted by
    # class, so each class's rows are one block
    blocks = []
    bounds = np.searchsorted(paths.od_class, np.arange(len(names) + 1))
    for ci, name in enumerate(names):
        coef = np.where(
            cls_of_count == name, 1.0, np.where(cls_of_count == "all", pce_arr[ci], 0.0)
        )
        M = sparse.csr_matrix(
            (coef[cols_a], (local[rows_a], cols_a)), shape=(counted.size, n_counts)
        )
        blocks.append(S[bounds[ci] : bounds[ci + 1]] @ M)
    P_od = sparse.vstack(blocks, format="csr") if blocks else sparse.csr_matrix((0, n_counts))

    # the result's OD pairs are sorted by (class, origin, destination) node index
    index = {n: i for i, n in enumerate(nodes)}
    n_nodes = len(nodes)
    if "class" in cells.columns:
        unknown = sorted(set(cells["class"]) - set(names), key=str)
        if unknown:
            msg = f"cell class {unknown[0]!r} is not a class of the result ({', '.join(names)})"
            raise AssignmentError(msg)
        cell_cls = cells["class"].map({n: i for i, n in enumerate(names)}).to_numpy(np.int64)
    elif len(names) == 1:
        cell_cls = np.zeros(len(cells), np.int64)
    else:
        msg = f"cells need a 'class' column: the result has classes {', '.join(names)}"
        raise AssignmentError(msg)
    ends = []
    for col in ("origin", "destination"):
        vals = cells[col].tolist()
        missing = [v for v in vals if v not in index]
        if missing:
            msg = f"cell {col} {missing[0]!r} is not a node of the assigned network"
            raise AssignmentError(msg)
        ends.append(np.fromiter((index[v] for v in vals), np.int64, len(vals)))
    key_res = (paths.od_class * n_nodes + paths.od_origin) * n_nodes + paths.od_dest
    key_cell = (cell_cls * n_nodes + ends[0]) * n_nodes + ends[1]
    if key_res.size:
        pos = np.minimum(np.searchsorted(key_res, key_cell), key_res.size - 1)
        found = np.flatnonzero(key_res[pos] == key_cell)
    else:
        pos = found = np.zeros(0, np.int64)
    R = sparse.csr_matrix((np.ones(found.size), (found, pos[found])), shape=(len(cells), n_od))
    return flows, (R @ P_od).tocsr()


def odme_tntp(
    problem,
    counts: pd.DataFrame,
    *,
    gap: float = 1e-4,
    max_factor: float | None = None,
    max_iterations: int | None = None,
    inner_iterations: int | None = None,
    tolerance: float | None = None,
    assignment_max_iterations: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Adjust the demand of a TransportationNetworks problem to link counts.

    Parameters
    ----------
    problem : sanqu_geo.tntp.TntpProblem
        The network and the prior demand (``problem.od``, read as trips per hour).
    counts : pandas.DataFrame
        Columns ``init_node``, ``term_node``, ``count`` (vehicles per hour) and optionally
        ``weight`` (default 1), one row per counted link, as :func:`sanqu_geo.tntp.read_counts`
        returns them; checked with :func:`sanqu_geo.tntp.check_counts`. A count on a node
        pair with parallel links counts their sum.
    gap : float
        Relative gap of every equilibrium assignment (> 0).
    max_factor, max_iterations, inner_iterations, tolerance
        As for :func:`estimate`.
    assignment_max_iterations : int, optional
        Iteration limit of each assignment (as ``max_iterations`` of
        :func:`~sanqu_geo.assignment.assign_tntp`).

    Returns
    -------
    od : pandas.DataFrame
        The estimate: ``origin``, ``destination``, ``trips``, the prior's pairs in its order.
    table : pandas.DataFrame
        One row per count: ``init_node``, ``term_node``, ``count``, ``weight``, ``before``,
        ``after`` (modelled flows with the prior and with the estimate), ``geh_before``,
        ``geh_after``.
    summary : dict
        ``network``, ``counts``, ``cells``, ``iterations``, ``assignments``, ``converged``,
        ``objective_before``, ``objective_after``, ``geh5_before``, ``geh5_after`` (share of
        counts with GEH < 5), ``total_before``, ``total_after``, ``changed_cells`` (factor
        off 1 by more than :data:`changed_threshold`), ``cells_at_bound``, ``max_factor``,
        ``gap``, ``seconds``.

    Raises
    ------
    TntpError
        Bad counts (see :func:`sanqu_geo.tntp.check_counts`).
    DemandError, AssignmentError
        Bad options, or an assignment that cannot run.
    """
    from sanqu_geo import assignment, tntp

    assignment.check_gap(gap)
    counts = tntp.check_counts(counts, problem.links)
    links = problem.links
    positions: dict[tuple[int, int], list[int]] = {}
    for i, (u, v) in enumerate(
        zip(links["init_node"].tolist(), links["term_node"].tolist(), strict=True)
    ):
        positions.setdefault((u, v), []).append(i)
    count_links = [
        positions[(u, v)]
        for u, v in zip(counts["init_node"].tolist(), counts["term_node"].tolist(), strict=True)
    ]
    cells = problem.od[["origin", "destination"]].reset_index(drop=True)
    prior = problem.od["trips"].to_numpy(float)

    def assign(demand: np.ndarray) -> tuple[np.ndarray, sparse.csr_matrix]:
        od = cells.assign(trips=demand)
        result = assignment.assign_tntp(
            dataclasses.replace(problem, od=od),
            gap=gap,
            max_iterations=assignment_max_iterations,
        )
        logger.debug(
            "assignment: relative gap %.2e, %d iterations", result.relative_gap, result.iterations
        )
        return path_proportions(result, count_links, cells)

    res = estimate(
        prior,
        counts["count"].to_numpy(float),
        assign,
        weights=counts["weight"].to_numpy(float),
        max_factor=max_factor,
        max_iterations=max_iterations,
        inner_iterations=inner_iterations,
        tolerance=tolerance,
    )
    od = cells.assign(trips=res.demand)
    table = pd.DataFrame(
        {
            "init_node": counts["init_node"].to_numpy(),
            "term_node": counts["term_node"].to_numpy(),
            "count": res.observed,
            "weight": res.weights,
            "before": res.flows_before,
            "after": res.flows_after,
            "geh_before": geh(res.flows_before, res.observed),
            "geh_after": geh(res.flows_after, res.observed),
        }
    )
    summary = {
        "network": problem.name,
        "counts": len(table),
        "cells": int(np.count_nonzero(prior > 0)),
        "iterations": res.iterations,
        "assignments": res.assignments,
        "converged": res.converged,
        "objective_before": res.objective_before,
        "objective_after": res.objective,
        "geh5_before": float(np.mean(table["geh_before"] < 5)) if len(table) else math.nan,
        "geh5_after": float(np.mean(table["geh_after"] < 5)) if len(table) else math.nan,
        "total_before": res.total_before,
        "total_after": res.total_after,
        "changed_cells": res.changed_cells,
        "cells_at_bound": res.cells_at_bound,
        "max_factor": res.max_factor,
        "gap": gap,
        "seconds": res.seconds,
    }
    return od, table, summary
