"""Benchmark of OD matrix estimation from counts (:mod:`sanqu_geo.odme`, Spiess 1990).

Run from a clone of the repository::

    python benchmarks/bench_odme.py                          # Chicago Sketch, 3 runs
    python benchmarks/bench_odme.py --case SiouxFalls --case ChicagoSketch --repeats 5
    python benchmarks/bench_odme.py --case ChicagoSketch --case harbin  # and the city model

Each case is the synthetic recovery of the tests: counts on 30 % of the links (seeded choice)
taken from the best-known equilibrium flows in ``../shared/reference/tntp``, and a prior equal
to the true OD times U(0.6, 1.4) per cell (seeded). :func:`sanqu_geo.odme.odme_tntp` runs with
its defaults (assignments to relative gap 1e-4) ``--repeats`` times in this process, after one
small assignment that loads the compiled kernels; the table gives the median wall time, the
iterations and assignments, the share of counts with GEH < 5 before and after, and the RMSE of
the uncounted links' flows against the best-known (both matrices assigned again to gap 1e-5),
with its reduction. "best linear" is the reduction the generalised-least-squares correction
reaches at the prior's proportions (the minimum-variance estimator linear in the counts for
independent cell errors proportional to the cell): a ceiling for any adjustment of this prior.

The ``harbin`` case is the city model with all its zones and both classes: see
:func:`harbin_case`. A case is a function in :data:`CASES` that returns a :class:`Case`.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sanqu_geo import assignment, odme, tntp  # noqa: E402

TNTP = REPO.parent / "shared" / "reference" / "tntp"
SEED = 0
COUNTED_SHARE = 0.3


@dataclasses.dataclass
class Case:
    """One benchmark problem.

    Attributes
    ----------
    name : str
    run : callable
        ``run() -> summary``: one estimation; the summary holds at least ``seconds``,
        ``iterations``, ``assignments``, ``geh5_before``, ``geh5_after`` (as
        :func:`sanqu_geo.odme.odme_tntp` returns it) and ``estimate`` (whatever
        ``uncounted_rmse`` takes).
    uncounted_rmse : callable
        ``uncounted_rmse(estimate or None) -> float``: RMSE of the flows on links without a
        count against the reference flows; ``None`` means the prior.
    best_linear : callable
        ``best_linear() -> float``: the reduction ceiling described in the module docstring
        (NaN where it is not computed).
    counts, cells : int
    """

    name: str
    run: Callable[[], dict]
    uncounted_rmse: Callable[[object], float]
    best_linear: Callable[[], float]
    counts: int
    cells: int


def tntp_case(name: str) -> Case:
    """The synthetic recovery on a TNTP network (see the module docstring)."""
    folder = TNTP / name
    problem = tntp.load_problem(folder)
    best = tntp.read_flows(folder / f"{name}_flow.tntp")["volume"].to_numpy()
    links = problem.links
    rng = np.random.default_rng(SEED)
    n = len(links)
    counted = np.sort(rng.choice(n, size=round(COUNTED_SHARE * n), replace=False))
    uncounted = np.setdiff1d(np.arange(n), counted)
    counts = pd.DataFrame(
        {
            "init_node": links["init_node"].to_numpy()[counted],
            "term_node": links["term_node"].to_numpy()[counted],
            "count": best[counted],
        }
    )
    noise = rng.uniform(0.6, 1.4, len(problem.od))
    prior = dataclasses.replace(problem, od=problem.od.assign(trips=problem.od["trips"] * noise))

    def run() -> dict:
        od, _, summary = odme.odme_tntp(prior, counts)
        return {**summary, "estimate": od}

    def uncounted_rmse(od) -> float:
        demand = prior.od if od is None else od
        res = assignment.assign_tntp(dataclasses.replace(problem, od=demand), gap=1e-5)
        v = res.volumes["flow"].to_numpy()
        return float(np.sqrt(np.mean((v[uncounted] - best[uncounted]) ** 2)))

    def best_linear() -> float:
        from scipy import sparse

        res = assignment.assign_tntp(prior, gap=1e-6)
        g = prior.od["trips"].to_numpy(float)
        _, P = odme.path_proportions(res, list(range(n)), prior.od[["origin", "destination"]])
        P = P.tocsc()
        v0 = P.T @ g
        Pc = P[:, counted]
        D = sparse.diags(g**2)
        lam = np.linalg.lstsq((Pc.T @ D @ Pc).toarray(), best[counted] - Pc.T @ g, rcond=None)[0]
        v = P.T @ (g + D @ (Pc @ lam))

        def rmse(x):
            return np.sqrt(np.mean((x[uncounted] - best[uncounted]) ** 2))

        return float(1 - rmse(v) / rmse(v0))

    return Case(
        name=name,
        run=run,
        uncounted_rmse=uncounted_rmse,
        best_linear=best_linear,
        counts=len(counts),
        cells=len(prior.od),
    )


#: Links of the city model counted in the Harbin case (arterials and expressways that carry
#: traffic with the prior), and the relative gap of its assignments.
HARBIN_COUNTS = 120
HARBIN_GAP = 1e-4


def harbin_case() -> Case:
    """The city model (all its zones, cars and trucks): counts of a seeded "true" demand.

    The truth is the default demand with every cell times U(0.6, 1.4) (seeded), assigned once;
    its car flows on :data:`HARBIN_COUNTS` loaded arterial and expressway links (seeded choice)
    are the counts, and the default demand is the prior that
    :func:`sanqu_geo.counts.estimate_demand` adjusts (assignments to :data:`HARBIN_GAP`).
    """
    from sanqu_geo import counts as _counts
    from sanqu_geo import demand, peak, settings

    d = demand.load_demand(network="harbin")
    H, centroids = peak.assignment_graph("harbin", None, zones=d.zones)
    rng = np.random.default_rng(SEED)
    truth = dataclasses.replace(
        d, od=d.od.assign(trips=d.od["trips"] * rng.uniform(0.6, 1.4, len(d.od)))
    )

    def solve(dem):
        classes = peak._classes(dem, centroids, peak.Variant())
        return assignment.assign(
            H, classes, gap=HARBIN_GAP, centroids=list(centroids.values()), vdf=settings.peak_vdf
        )

    true_run = solve(truth)
    edges = list(H.edges(keys=True, data=True))
    car = true_run.volumes["car"].to_numpy()
    pick = [
        i for i, (_, _, _, data) in enumerate(edges)
        if data.get("highway") in ("motorway", "trunk", "primary", "secondary") and car[i] > 100
    ]  # fmt: skip
    counted = np.sort(rng.choice(pick, size=min(HARBIN_COUNTS, len(pick)), replace=False))
    uncounted = np.setdiff1d(np.asarray(pick), counted)
    table = pd.DataFrame(
        {
            "line": np.arange(2, 2 + counted.size),
            "u": [edges[i][0] for i in counted],
            "v": [edges[i][1] for i in counted],
            "key": [edges[i][2] for i in counted],
            "class": "car",
            "period": "am_peak",
            "count": car[counted],
            "weight": 1.0,
        }
    )

    def run() -> dict:
        estimate, _, summary = _counts.estimate_demand(d, table, H, centroids, gap=HARBIN_GAP)
        return {**summary, "estimate": estimate}

    def uncounted_rmse(estimate) -> float:
        v = solve(d if estimate is None else estimate).volumes["car"].to_numpy()
        return float(np.sqrt(np.mean((v[uncounted] - car[uncounted]) ** 2)))

    return Case(
        name="harbin",
        run=run,
        uncounted_rmse=uncounted_rmse,
        best_linear=lambda: float("nan"),
        counts=len(table),
        cells=int((d.od["trips"] > 0).sum()),
    )


#: Benchmark cases by name: each builds its :class:`Case`.
CASES: dict[str, Callable[[], Case]] = {
    "ChicagoSketch": lambda: tntp_case("ChicagoSketch"),
    "SiouxFalls": lambda: tntp_case("SiouxFalls"),
    "harbin": harbin_case,
}


def _warm_up() -> None:
    links = pd.DataFrame(
        {
            "init_node": [1, 2, 1],
            "term_node": [2, 3, 3],
            "capacity": [1000.0] * 3,
            "length": [1.0] * 3,
            "free_flow_time": [1.0, 1.0, 3.0],
            "b": [0.15] * 3,
            "power": [4.0] * 3,
        }
    )
    links["cost0"] = links["free_flow_time"]
    od = pd.DataFrame({"origin": [1], "destination": [3], "trips": [3000.0]})
    assignment.assign_tntp(tntp.TntpProblem("toy", links, od, zones=3, first_thru_node=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--case", action="append", choices=sorted(CASES), help="default: ChicagoSketch"
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    names = args.case or ["ChicagoSketch"]
    _warm_up()
    rows = []
    for name in names:
        print(f"{name}: preparing", file=sys.stderr, flush=True)
        case = CASES[name]()
        runs = []
        for k in range(args.repeats):
            t = time.perf_counter()
            summary = case.run()
            wall = time.perf_counter() - t
            runs.append((wall, summary))
            print(f"{name}: run {k + 1}: {wall:.2f} s", file=sys.stderr, flush=True)
        wall = statistics.median(r[0] for r in runs)
        summary = runs[0][1]
        before = case.uncounted_rmse(None)
        after = case.uncounted_rmse(summary["estimate"])
        rows.append(
            {
                "case": name,
                "counts": case.counts,
                "cells": case.cells,
                "wall s (median)": f"{wall:.2f}",
                "iterations": summary["iterations"],
                "assignments": summary["assignments"],
                "GEH<5 before": f"{summary['geh5_before']:.1%}",
                "GEH<5 after": f"{summary['geh5_after']:.1%}",
                "RMSE uncounted prior": f"{before:.1f}",
                "RMSE uncounted est.": f"{after:.1f}",
                "RMSE reduction": f"{1 - after / before:.1%}",
                "best linear": f"{case.best_linear():.1%}",
            }
        )
    frame = pd.DataFrame(rows)
    print(f"\nODME benchmark ({args.repeats} runs per case; numba kernels loaded before timing)\n")
    print("| " + " | ".join(frame.columns) + " |")
    print("|" + "|".join("---:" if c != "case" else "---" for c in frame.columns) + "|")
    for _, row in frame.iterrows():
        print("| " + " | ".join(str(v) for v in row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
