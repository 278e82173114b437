"""Benchmark of the user-equilibrium assignment against AequilibraE's bi-conjugate Frank–Wolfe.

Run from a clone of the repository::

    python benchmarks/bench_assignment.py                 # five networks (about 20-40 minutes)
    python benchmarks/bench_assignment.py --quick         # SiouxFalls and Anaheim only
    python benchmarks/bench_assignment.py --no-aequilibrae

On the TransportationNetworks problems in ``../shared/reference/tntp`` (SiouxFalls, Anaheim,
Barcelona, Winnipeg, ChicagoSketch) it times

* sanqu-geo: :func:`sanqu_geo.assignment.assign_tntp` to relative gap 1e-6, warm (the numba
  kernels already compiled and cached; the compile and cache-load times are shown apart),
  ``--repeats`` times, medians reported; the time to 1e-4 is read from the same run's history
  (the gap is measured at the flows of every iteration);
* AequilibraE (``bfw``, a benchmark peer only, never a dependency of sanqu-geo): one run to a
  reported gap of 1e-4 and one to 1e-6 (stopped at ``--time-limit`` seconds). Its reported gap
  prices the new flows at the previous iteration's costs, so the gap it *reached* is recomputed
  here, with the same definition as ours, at the flows it returns
  (:func:`sanqu_geo.assignment.evaluate_tntp`).

Every job runs in a fresh process; "peak MB" is the rise of that process's peak resident memory
during the solve (above what loading the problem took). Progress goes to stderr; the closing
table to stdout.

AequilibraE needs three adjustments, none of which changes the problem: links that can never
carry flow are dropped first (its graph compression mishandles Barcelona's node 1008, two links
in and none out); it refuses zero free-flow times, so Chicago Sketch's 774 zero-time connectors
get 1e-9 min (their delay term stays 0 to the precision shown); it refuses BPR powers below 1,
so links with ``b = 0`` (constant time, 565 in Barcelona, 1,176 in Winnipeg) get power 1.
Chicago Sketch's toll and length terms enter as AequilibraE's class fixed cost.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NETWORKS = ["SiouxFalls", "Anaheim", "Barcelona", "Winnipeg", "ChicagoSketch"]


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ----------------------------------------------------------------------------- jobs (child)


def _toy_problem():
    import pandas as pd

    from sanqu_geo import tntp

    links = pd.DataFrame(
        {
            "init_node": [1, 2, 1],
            "term_node": [2, 3, 3],
            "capacity": [1000.0, 1000.0, 1000.0],
            "length": [1.0, 1.0, 1.0],
            "free_flow_time": [1.0, 1.0, 3.0],
            "b": [0.15] * 3,
            "power": [4.0] * 3,
        }
    )
    links["cost0"] = links["free_flow_time"]
    od = pd.DataFrame({"origin": [1], "destination": [3], "trips": [3000.0]})
    return tntp.TntpProblem("toy", links, od, zones=3, first_thru_node=1)


def job_compile() -> dict:
    """Time of the first solve of a toy problem: with an empty numba cache, then with it."""
    from sanqu_geo import assignment

    t = time.perf_counter()
    assignment.assign_tntp(_toy_problem(), gap=1e-8)
    return {"first_call": time.perf_counter() - t}


def job_ours(folder: str, repeats: int) -> dict:
    from sanqu_geo import assignment, tntp

    problem = tntp.load_problem(folder)
    assignment.assign_tntp(_toy_problem(), gap=1e-8)  # load the compiled kernels
    rss0 = _rss_mb()
    runs = []
    for _ in range(repeats):
        res = assignment.assign_tntp(problem, gap=1e-6)
        h = res.history
        reached = h[h["relative_gap"] <= 1e-4]
        check = assignment.evaluate_tntp(problem, res.volumes["flow"].to_numpy())
        runs.append(
            {
                "t4": float(reached["seconds"].iloc[0]),
                "it4": int(reached["iteration"].iloc[0]),
                "t6": res.seconds,
                "it6": res.iterations,
                "gap6": check["relative_gap"],
                "objective": check["objective"],
            }
        )
    out = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    out["peak_mb"] = max(0.0, _peak_mb() - rss0)
    return out


def _aeq_setup(problem):
    import numpy as np
    import pandas as pd
    from aequilibrae.matrix import AequilibraeMatrix
    from aequilibrae.paths import Graph

    links = problem.links
    zones = problem.zones
    # links that can never carry flow: tail not reachable from an origin, or head not able to
    # reach a destination (through nodes only, as the centroid rule allows)
    nodes = np.union1d(links["init_node"], links["term_node"])
    n = int(nodes.max()) + 1
    thru = np.arange(n) >= problem.first_thru_node
    a = links["init_node"].to_numpy()
    b = links["term_node"].to_numpy()

    def reach(starts, src, dst):
        adj: dict[int, list[int]] = {}
        for u, v in zip(src.tolist(), dst.tolist(), strict=True):
            adj.setdefault(u, []).append(v)
        start = set(starts.tolist())
        ok = np.zeros(n, bool)
        ok[list(start)] = True
        stack = list(start)
        while stack:
            u = stack.pop()
            if u not in start and not thru[u]:
                continue  # a centroid is an end, not a passage
            for v in adj.get(u, ()):
                if not ok[v]:
                    ok[v] = True
                    stack.append(v)
        return ok

    origins = np.unique(problem.od["origin"])
    dests = np.unique(problem.od["destination"])
    fwd = reach(origins, a, b)
    bwd = reach(dests, b, a)
    keep = fwd[a] & bwd[b]
    net = pd.DataFrame(
        {
            "link_id": np.arange(1, len(links) + 1),
            "a_node": a,
            "b_node": b,
            "direction": 1,
            "free_flow_time": np.maximum(links["free_flow_time"].to_numpy(float), 1e-9),
            "capacity": links["capacity"].to_numpy(float),
            "alpha": links["b"].to_numpy(float),
            "beta": np.where(
                links["b"].to_numpy() == 0,
                np.maximum(links["power"].to_numpy(float), 1.0),
                links["power"].to_numpy(float),
            ),
            "fixed": links["cost0"].to_numpy(float) - links["free_flow_time"].to_numpy(float),
        }
    )[keep]
    g = Graph()
    g.network = net.reset_index(drop=True)
    g.prepare_graph(np.arange(1, zones + 1, dtype=np.int64))
    g.set_graph("free_flow_time")
    g.set_skimming(["free_flow_time"])
    g.set_blocked_centroid_flows(problem.first_thru_node > 1)
    dense = np.zeros((zones, zones))
    od = problem.od
    dense[od["origin"].to_numpy() - 1, od["destination"].to_numpy() - 1] = od["trips"].to_numpy()
    mat = AequilibraeMatrix()
    mat.create_empty(zones=zones, matrix_names=["demand"], memory_only=True)
    mat.index = np.arange(1, zones + 1, dtype=np.int64)
    mat.matrices[:, :, 0] = dense
    mat.computational_view(["demand"])
    return g, mat, keep, bool((net["fixed"] > 0).any())


def _aeq_run(problem, target: float, time_limit: float) -> dict:
    import numpy as np
    from aequilibrae.paths import TrafficAssignment, TrafficClass
    from aequilibrae.paths import linear_approximation as la

    from sanqu_geo import assignment

    g, mat, keep, fixed = _aeq_setup(problem)
    tc = TrafficClass("car", g, mat)
    if fixed:
        tc.set_fixed_cost("fixed", 1.0)
    ta = TrafficAssignment()
    ta.set_classes([tc])
    ta.set_vdf("BPR")
    ta.set_vdf_parameters({"alpha": "alpha", "beta": "beta"})
    ta.set_capacity_field("capacity")
    ta.set_time_field("free_flow_time")
    ta.set_algorithm("bfw")
    ta.max_iter = 100_000
    ta.rgap_target = target
    state = {"timed_out": False}
    original = la.LinearApproximation.check_convergence
    deadline = time.perf_counter() + time_limit

    def check(self):
        done = original(self)
        if not done and time.perf_counter() > deadline:
            state["timed_out"] = True
            return True
        return done

    la.LinearApproximation.check_convergence = check
    try:
        t = time.perf_counter()
        ta.execute()
        seconds = time.perf_counter() - t
    finally:
        la.LinearApproximation.check_convergence = original
    loads = tc.results.get_load_results()
    col = next(c for c in loads.columns if c.endswith("_tot"))
    volume = np.zeros(len(problem.links))
    volume[np.flatnonzero(keep)] = loads[col].reindex(np.flatnonzero(keep) + 1).fillna(0).to_numpy()
    ev = assignment.evaluate_tntp(problem, volume)
    report = ta.report()
    return {
        "seconds": seconds,
        "iterations": int(report["iteration"].max()),
        "reported_gap": float(report["rgap"].iloc[-1]),
        "gap": ev["relative_gap"],
        "objective": ev["objective"],
        "timed_out": state["timed_out"],
    }


def job_aeq(folder: str, time_limit: float) -> dict:
    import logging

    logging.getLogger("aequilibrae").setLevel(logging.ERROR)
    from sanqu_geo import tntp

    problem = tntp.load_problem(folder)
    _aeq_setup(problem)  # imports and a first graph build outside the measurement
    rss0 = _rss_mb()
    r4 = _aeq_run(problem, 1e-4, time_limit)
    r6 = _aeq_run(problem, 1e-6, time_limit)
    return {"r4": r4, "r6": r6, "peak_mb": max(0.0, _peak_mb() - rss0)}


# ----------------------------------------------------------------------------- driver


def _child(job: dict, env: dict | None = None, timeout: float | None = None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--job", json.dumps(job)]
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=full_env, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"job {job} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _fmt_t(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=REPO.parent / "shared" / "reference")
    parser.add_argument("--networks", default=",".join(NETWORKS))
    parser.add_argument("--quick", action="store_true", help="SiouxFalls and Anaheim only")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--no-aequilibrae", action="store_true")
    parser.add_argument("--job", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.job:
        job = json.loads(args.job)
        kind = job.pop("kind")
        result = {"compile": job_compile, "ours": job_ours, "aeq": job_aeq}[kind](**job)
        print(json.dumps(result))
        return 0

    names = ["SiouxFalls", "Anaheim"] if args.quick else args.networks.split(",")
    tntp_dir = args.reference / "tntp"
    from importlib.metadata import version

    import numba

    with tempfile.TemporaryDirectory() as cache:
        cold = _child({"kind": "compile"}, env={"NUMBA_CACHE_DIR": cache})["first_call"]
        cached = _child({"kind": "compile"}, env={"NUMBA_CACHE_DIR": cache})["first_call"]
    _log(f"numba compile {cold:.1f} s, cache load {cached:.2f} s")
    rows = []
    for name in names:
        folder = str(tntp_dir / name)
        _log(f"{name}: sanqu-geo x{args.repeats}")
        ours = _child({"kind": "ours", "folder": folder, "repeats": args.repeats})
        aeq = None
        if not args.no_aequilibrae:
            _log(f"{name}: AequilibraE bfw to 1e-4 and 1e-6 (limit {args.time_limit:.0f} s each)")
            try:
                aeq = _child({"kind": "aeq", "folder": folder, "time_limit": args.time_limit})
            except RuntimeError as exc:
                _log(str(exc))
        rows.append((name, ours, aeq))

    print()
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"Python {platform.python_version()}, numba {numba.__version__}, "
        + (f"aequilibrae {version('aequilibrae')}" if not args.no_aequilibrae else "")
    )
    print(
        f"numba kernels: compile {cold:.1f} s once (cached on disk), load from cache {cached:.2f} s "
        "per process; times below are warm."
    )
    print(f"sanqu-geo: median of {args.repeats} runs. AequilibraE bfw: one run per target, "
          f"limit {args.time_limit:.0f} s; 'gap' recomputed at its returned flows.")  # fmt: skip
    print()
    head = (
        "| network | ours 1e-4 s (it) | ours 1e-6 s (it) | ours gap | ours obj rel. err | ours peak MB "
        "| Aeq 1e-4 s (it) | Aeq gap there | Aeq 1e-6 s (it) | Aeq gap there | Aeq peak MB "
        "| ratio 1e-4 | ratio 1e-6 |"
    )
    print(head)
    print("|" + "|".join(["---"] * 13) + "|")
    best = {
        "SiouxFalls": 4_231_335.287107,
        "Anaheim": 1_286_032.171096,
        "ChicagoSketch": 17_313_018.738748,
        "Barcelona": 1_265_654.922032,
        "Winnipeg": 827_911.494630,
    }
    for name, o, a in rows:
        rel = abs(o["objective"] - best[name]) / best[name] if name in best else float("nan")
        cells = [
            name,
            f"{o['t4']:.2f} ({o['it4']:.0f})",
            f"{o['t6']:.2f} ({o['it6']:.0f})",
            f"{o['gap6']:.1e}",
            f"{rel:.1e}",
            f"{o['peak_mb']:.0f}",
        ]
        if a is None:
            cells += ["—"] * 7
        else:
            r4, r6 = a["r4"], a["r6"]
            stop6 = " (time limit)" if r6["timed_out"] else ""
            cells += [
                f"{r4['seconds']:.2f} ({r4['iterations']})",
                f"{r4['gap']:.1e}",
                f"{r6['seconds']:.2f} ({r6['iterations']}){stop6}",
                f"{r6['gap']:.1e}",
                f"{a['peak_mb']:.0f}",
                f"{r4['seconds'] / o['t4']:.0f}×",
                (">" if r6["timed_out"] or r6["gap"] > 1e-6 else "")
                + f"{r6['seconds'] / o['t6']:.0f}×",
            ]
        print("| " + " | ".join(cells) + " |")
    print()
    print(
        "ratio = AequilibraE time ÷ sanqu-geo time to the same target (AequilibraE's own "
        "stopping rule; '>' where the gap recomputed at its flows is still above 1e-6, or it "
        "hit the time limit)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
