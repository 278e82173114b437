"""Benchmark of the user-equilibrium assignment against AequilibraE's bi-conjugate Frank–Wolfe.

Run from a clone of the repository::

    python benchmarks/bench_assignment.py                          # all seven (about an hour)
    python benchmarks/bench_assignment.py --networks harbin,grid --repeats 1
    python benchmarks/bench_assignment.py --quick                  # SiouxFalls and Anaheim only
    python benchmarks/bench_assignment.py --no-aequilibrae --threads 1

Networks (``--networks``, comma-separated):

* the TransportationNetworks problems in ``../shared/reference/tntp``: SiouxFalls, Anaheim,
  Barcelona, Winnipeg, ChicagoSketch (BPR);
* ``harbin``: the city model (:func:`sanqu_geo.peak.assignment_graph` with all the zones of the
  default demand, cars and trucks summed in PCU, the conical volume-delay function of
  :data:`sanqu_geo.settings.peak_vdf`), turned into one TNTP problem by
  :func:`sanqu_geo.tntp.from_model` and written to a temporary folder by this process;
* ``grid``: a seeded synthetic street grid (:func:`grid_problem`: 26,880 links, 800 zones,
  80,000 OD pairs, BPR), written to the same temporary folder.

Every solve runs in a fresh process, which reads the TNTP files like any other problem:

* sanqu-geo: :func:`sanqu_geo.assignment.assign_tntp` to relative gap 1e-4, and to 1e-6, each
  ``--repeats`` times (medians); ``--threads N`` sets ``NUMBA_NUM_THREADS`` (default: all
  cores);
* AequilibraE (``bfw``, a benchmark peer only, never a dependency of sanqu-geo) on
  ``--aeq-cores`` cores (2): to a reported gap of 1e-4, and of 1e-6, each ``--aeq-repeats``
  times (1), stopped at ``--time-limit`` seconds. Its reported gap prices the new flows at the
  previous iteration's costs, so the gap it *reached* is recomputed here, with the same
  definition as ours, at the flows it returns (:func:`sanqu_geo.assignment.evaluate_tntp`).

Two times per solve: "solve", the solver call alone (``assign_tntp``; AequilibraE's
``execute``), and "process", from the launch of the process to the result in memory:
interpreter start, imports, reading the TNTP files, building the solver's own structures,
loading the compiled numba kernels from their cache (ours) and the solve. "peak MB" is the rise
of the process's resident high-water mark (``VmHWM``, reset after reading the problem) to the
result. Progress goes to stderr; the closing tables to stdout.

AequilibraE needs these adjustments, none of which changes the problem: links that can never
carry flow are dropped first (its graph compression mishandles Barcelona's node 1008, two links
in and none out); it refuses zero free-flow times, so Chicago Sketch's 774 zero-time connectors
get 1e-9 min (their delay term stays 0 to the precision shown); it refuses BPR powers below 1,
so links with ``b = 0`` (constant time, 565 in Barcelona, 1,176 in Winnipeg) get power 1.
Chicago Sketch's toll and length terms enter as AequilibraE's class fixed cost. A conical
problem (``harbin``) runs with AequilibraE's ``CONICAL`` function, alpha = column ``b`` and
beta = (2 alpha - 1) / (2 alpha - 2) per link, the same Spiess (1990) curve as ours; there is no
power to adjust.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NETWORKS = ["SiouxFalls", "Anaheim", "Barcelona", "Winnipeg", "ChicagoSketch"]
MADE = ["harbin", "grid"]
TARGETS = (1e-4, 1e-6)
BEST_KNOWN = {
    "SiouxFalls": 4_231_335.287107,
    "Anaheim": 1_286_032.171096,
    "ChicagoSketch": 17_313_018.738748,
    "Barcelona": 1_265_654.922032,
    "Winnipeg": 827_911.494630,
}


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _status_mb(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mb() -> float:
    """The resident size now; the high-water mark is reset to it where Linux allows."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        pass
    return _status_mb("VmRSS")


def _peak_mb() -> float:
    # the high-water mark of this process's own memory map: unlike ru_maxrss it starts afresh
    # at exec, so a large parent does not leak into it
    return _status_mb("VmHWM")


# ----------------------------------------------------------------------------- problems


def grid_problem(
    side: int = 80,
    zones: int = 800,
    seed: int = 7,
    pairs_per_zone: int = 100,
    scale: float = 12.0,
):
    """A seeded synthetic street grid as a TNTP problem (BPR, b 0.15, power 4).

    ``side`` × ``side`` junctions 0.4 km apart (each link 0–20 % longer at random), every link
    two-way; every 6th row and column an arterial (60 km/h, 2 lanes of 900 veh/h), the other
    streets 35 km/h with one lane. ``zones`` centroids, each joined to a distinct random
    junction by a connector pair (0.2 min, capacity 1e5). Demand: a gravity model between
    zones with log-normal weights and exp(−distance / 4 km) deterrence, the ``pairs_per_zone``
    strongest destinations of each origin kept, scaled to ``pairs_per_zone × scale`` trips per
    zone on average. The defaults give 26,880 links, 800 zones and 80,000 OD pairs,
    moderately congested (about 12 % of the links above v/c 1 at equilibrium).
    """
    import numpy as np
    import pandas as pd

    from sanqu_geo import tntp

    rng = np.random.default_rng(seed)
    n = side * side

    def nid(r: int, c: int) -> int:
        return zones + 1 + r * side + c

    rows = []
    spacing = 0.4  # km
    for r in range(side):
        for c in range(side):
            for dr, dc in ((0, 1), (1, 0)):
                r2, c2 = r + dr, c + dc
                if r2 >= side or c2 >= side:
                    continue
                art = (r % 6 == 0 and dr == 0) or (c % 6 == 0 and dc == 0)
                speed = 60.0 if art else 35.0
                lanes = 2 if art else 1
                length = spacing * (1 + 0.2 * rng.random())
                for a, b in ((nid(r, c), nid(r2, c2)), (nid(r2, c2), nid(r, c))):
                    rows.append((a, b, 900.0 * lanes, length, 60 * length / speed, 0.15, 4.0))
    cells = rng.choice(n, size=zones, replace=False)
    for z in range(zones):
        g = zones + 1 + cells[z]
        rows.append((z + 1, g, 1e5, 0.1, 0.2, 0.15, 4.0))
        rows.append((g, z + 1, 1e5, 0.1, 0.2, 0.15, 4.0))
    links = pd.DataFrame(
        rows,
        columns=["init_node", "term_node", "capacity", "length", "free_flow_time", "b", "power"],
    )
    links["cost0"] = links["free_flow_time"]
    xy = np.c_[cells // side, cells % side] * spacing
    pop = rng.lognormal(0, 0.6, zones)
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    w = pop[:, None] * pop[None, :] * np.exp(-dist / 4.0)
    np.fill_diagonal(w, 0)
    keep = np.argsort(-w, axis=1)[:, :pairs_per_zone]
    o = np.repeat(np.arange(zones), pairs_per_zone)
    de = keep.ravel()
    t = w[o, de]
    t = t / t.sum() * zones * pairs_per_zone * scale
    od = pd.DataFrame({"origin": o + 1, "destination": de + 1, "trips": t})
    return tntp.TntpProblem("Grid", links, od, zones=zones, first_thru_node=zones + 1)


def write_harbin(folder: Path) -> None:
    """The city model with all the zones of its default demand, as TNTP files in ``folder``."""
    from sanqu_geo import demand, peak, settings, tntp

    d = demand.load_demand(network="harbin")
    H, centroids = peak.assignment_graph("harbin", None, zones=d.zones)
    classes = peak.demand_classes(d, centroids)
    problem, _ = tntp.from_model(
        H, classes, centroids=centroids, name="harbin", vdf=settings.peak_vdf
    )
    tntp.write_problem(problem, folder)


def write_grid(folder: Path) -> None:
    from sanqu_geo import tntp

    tntp.write_problem(grid_problem(), folder)


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


def job_ours(folder: str, gap: float) -> dict:
    import numba

    from sanqu_geo import assignment, tntp

    problem = tntp.load_problem(folder)
    assignment.assign_tntp(_toy_problem(), gap=1e-8)  # load the compiled kernels
    rss0 = _rss_mb()
    res = assignment.assign_tntp(problem, gap=gap)
    done = time.time()
    peak = max(0.0, _peak_mb() - rss0)
    check = assignment.evaluate_tntp(problem, res.volumes["flow"].to_numpy())
    return {
        "done": done,
        "seconds": res.seconds,
        "iterations": res.iterations,
        "gap": check["relative_gap"],
        "objective": check["objective"],
        "timed_out": False,
        "peak_mb": peak,
        "threads": numba.get_num_threads(),
    }


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
    alpha = links["b"].to_numpy(float)
    power = links["power"].to_numpy(float)
    if problem.vdf == "conical":
        beta = (2 * alpha - 1) / (2 * alpha - 2)  # Spiess: the curve passes through (0, 1)
    else:
        beta = np.where(alpha == 0, np.maximum(power, 1.0), power)
    net = pd.DataFrame(
        {
            "link_id": np.arange(1, len(links) + 1),
            "a_node": a,
            "b_node": b,
            "direction": 1,
            "free_flow_time": np.maximum(links["free_flow_time"].to_numpy(float), 1e-9),
            "capacity": links["capacity"].to_numpy(float),
            "alpha": alpha,
            "beta": beta,
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


def job_aeq(folder: str, gap: float, time_limit: float, cores: int) -> dict:
    import logging

    import numpy as np
    from aequilibrae.paths import TrafficAssignment, TrafficClass
    from aequilibrae.paths import linear_approximation as la

    logging.getLogger("aequilibrae").setLevel(logging.ERROR)
    from sanqu_geo import tntp

    problem = tntp.load_problem(folder)
    rss0 = _rss_mb()
    g, mat, keep, fixed = _aeq_setup(problem)
    tc = TrafficClass("car", g, mat)
    if fixed:
        tc.set_fixed_cost("fixed", 1.0)
    ta = TrafficAssignment()
    ta.set_classes([tc])
    ta.set_vdf("CONICAL" if problem.vdf == "conical" else "BPR")
    ta.set_vdf_parameters({"alpha": "alpha", "beta": "beta"})
    ta.set_capacity_field("capacity")
    ta.set_time_field("free_flow_time")
    ta.set_algorithm("bfw")
    ta.set_cores(cores)
    ta.max_iter = 100_000
    ta.rgap_target = gap
    state = {"timed_out": False}
    original = la.LinearApproximation.check_convergence
    deadline = time.perf_counter() + time_limit

    def check(self):
        converged = original(self)
        if not converged and time.perf_counter() > deadline:
            state["timed_out"] = True
            return True
        return converged

    la.LinearApproximation.check_convergence = check
    try:
        t = time.perf_counter()
        ta.execute()
        seconds = time.perf_counter() - t
    finally:
        la.LinearApproximation.check_convergence = original
    loads = tc.results.get_load_results()
    done = time.time()
    peak = max(0.0, _peak_mb() - rss0)
    col = next(c for c in loads.columns if c.endswith("_tot"))
    volume = np.zeros(len(problem.links))
    volume[np.flatnonzero(keep)] = loads[col].reindex(np.flatnonzero(keep) + 1).fillna(0).to_numpy()
    from sanqu_geo import assignment

    ev = assignment.evaluate_tntp(problem, volume)
    report = ta.report()
    return {
        "done": done,
        "seconds": seconds,
        "iterations": int(report["iteration"].max()),
        "reported_gap": float(report["rgap"].iloc[-1]),
        "gap": ev["relative_gap"],
        "objective": ev["objective"],
        "timed_out": state["timed_out"],
        "peak_mb": peak,
    }


# ----------------------------------------------------------------------------- driver


def _child(
    job: dict, env: dict | None = None, timeout: float | None = None, script: Path | None = None
) -> dict:
    """Run one job of ``script`` (default: this one) in a fresh process; ``process_s``: from
    the launch to the result."""
    script = Path(__file__) if script is None else script
    cmd = [sys.executable, str(script.resolve()), "--job", json.dumps(job)]
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
    # AequilibraE draws tqdm progress bars on stderr unless told not to
    full_env.update({"AEQ_SHOW_PROGRESS": "FALSE", "TQDM_DISABLE": "1"})
    full_env.update(env or {})
    launch = time.time()
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, env=full_env, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        msg = f"job {job} did not end within {timeout:.0f} s"
        raise RuntimeError(msg) from exc
    if done.returncode != 0:
        msg = f"job {job} failed (exit {done.returncode}); the end of its stderr:\n"
        raise RuntimeError(msg + done.stderr[-3000:])
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if "done" in out:
        out["process_s"] = out.pop("done") - launch
    return out


def _median_runs(runs: list[dict]) -> dict:
    out = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "timed_out"}
    out["timed_out"] = any(r["timed_out"] for r in runs)
    out["runs"] = len(runs)
    return out


def _s(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def _ratio(a: float, b: float) -> str:
    r = a / b if b > 0 else float("inf")
    return f"{r:.1f}×" if r < 10 else f"{r:.0f}×"


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def _problem_sizes(folder: Path) -> dict:
    from sanqu_geo import tntp

    p = tntp.load_problem(folder)
    return {"links": len(p.links), "zones": p.zones, "pairs": len(p.od), "vdf": p.vdf}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=REPO.parent / "shared" / "reference")
    parser.add_argument(
        "--networks",
        default=",".join(NETWORKS + MADE),
        help="comma-separated, from: " + ", ".join(NETWORKS + MADE) + " (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="SiouxFalls and Anaheim only")
    parser.add_argument("--repeats", type=int, default=3, help="sanqu-geo runs per target")
    parser.add_argument("--aeq-repeats", type=int, default=1, help="AequilibraE runs per target")
    parser.add_argument("--aeq-cores", type=int, default=2)
    parser.add_argument("--threads", type=int, help="NUMBA_NUM_THREADS for sanqu-geo's runs")
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--no-aequilibrae", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the raw figures to this file")
    parser.add_argument("--job", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.job:
        job = json.loads(args.job)
        kind = job.pop("kind")
        result = {"compile": job_compile, "ours": job_ours, "aeq": job_aeq}[kind](**job)
        print(json.dumps(result))
        return 0

    names = ["SiouxFalls", "Anaheim"] if args.quick else args.networks.split(",")
    unknown = [n for n in names if n not in NETWORKS + MADE]
    if unknown:
        parser.error(f"unknown network(s) {', '.join(unknown)}; use {', '.join(NETWORKS + MADE)}")
    load_start = _load()
    started = time.perf_counter()
    date = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    ours_env = {"NUMBA_NUM_THREADS": str(args.threads)} if args.threads else {}
    from importlib.metadata import version

    import numba

    with tempfile.TemporaryDirectory() as cache:
        env = {**ours_env, "NUMBA_CACHE_DIR": cache}
        cold = _child({"kind": "compile"}, env=env)["first_call"]
        cached = _child({"kind": "compile"}, env=env)["first_call"]
    _child({"kind": "compile"}, env=ours_env)  # the cache the runs below use, filled
    _log(f"numba compile {cold:.1f} s, cache load {cached:.2f} s")

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-assignment-") as tmp:
        folders: dict[str, Path] = {}
        for name in names:
            if name in NETWORKS:
                folders[name] = args.reference / "tntp" / name
                continue
            folders[name] = Path(tmp) / name
            t = time.perf_counter()
            if name == "harbin":
                # the embedded default demand, whatever the user's folder holds
                home = os.environ.get("SANQU_GEO_HOME")
                os.environ["SANQU_GEO_HOME"] = str(Path(tmp) / "home")
                try:
                    write_harbin(folders[name])
                finally:
                    if home is None:
                        os.environ.pop("SANQU_GEO_HOME", None)
                    else:
                        os.environ["SANQU_GEO_HOME"] = home
            else:
                write_grid(folders[name])
            _log(f"{name}: written as TNTP in {time.perf_counter() - t:.1f} s")

        for name in names:
            folder = str(folders[name])
            sizes = _problem_sizes(folders[name])
            _log(f"{name}: {sizes['links']:,} links, {sizes['zones']:,} zones, "
                 f"{sizes['pairs']:,} OD pairs, {sizes['vdf']}")  # fmt: skip
            ours, aeq, errors = {}, {}, []
            for gap in TARGETS:
                runs = []
                for i in range(args.repeats):
                    _log(f"{name}: sanqu-geo to {gap:.0e} ({i + 1}/{args.repeats})")
                    runs.append(_child({"kind": "ours", "folder": folder, "gap": gap}, ours_env))
                    _log(f"  {runs[-1]['seconds']:.2f} s solve, {runs[-1]['process_s']:.2f} s "
                         f"process, {runs[-1]['iterations']} iterations")  # fmt: skip
                ours[gap] = _median_runs(runs)
            if not args.no_aequilibrae:
                for gap in TARGETS:
                    runs = []
                    for i in range(args.aeq_repeats):
                        _log(f"{name}: AequilibraE bfw to {gap:.0e} ({i + 1}/{args.aeq_repeats}, "
                             f"limit {args.time_limit:.0f} s)")  # fmt: skip
                        job = {"kind": "aeq", "folder": folder, "gap": gap,
                               "time_limit": args.time_limit, "cores": args.aeq_cores}  # fmt: skip
                        try:
                            runs.append(_child(job, timeout=3 * args.time_limit + 600))
                        except RuntimeError as exc:
                            _log(str(exc))
                            errors.append(f"{name} AequilibraE {gap:.0e}: {str(exc)[:300]}")
                            continue
                        r = runs[-1]
                        _log(f"  {r['seconds']:.2f} s solve, {r['process_s']:.2f} s process, "
                             f"{r['iterations']} iterations, gap {r['gap']:.2e}"
                             + (" (time limit)" if r["timed_out"] else ""))  # fmt: skip
                    if runs:
                        aeq[gap] = _median_runs(runs)
            rows.append({"network": name, **sizes, "ours": ours, "aeq": aeq, "errors": errors})
    load_end = _load()
    total = time.perf_counter() - started

    ours_threads = rows[0]["ours"][TARGETS[0]]["threads"] if rows else numba.get_num_threads()
    print()
    print(
        f"{date}. Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"load average (1/5/15 min) {load_start} at start, {load_end} at end; "
        f"run {total / 60:.1f} min."
    )
    print(
        f"Python {platform.python_version()}, numba {numba.__version__}"
        + ("" if args.no_aequilibrae else f", aequilibrae {version('aequilibrae')}")
        + f". sanqu-geo on {ours_threads:.0f} thread{'' if ours_threads == 1 else 's'}"
        + ("" if args.no_aequilibrae else f", AequilibraE on {args.aeq_cores} cores")
        + "."
    )
    print(
        f"numba kernels: compile {cold:.1f} s once (cached on disk), load from cache {cached:.2f} s "
        "per process (inside 'process s'; not inside 'solve s')."
    )
    print(
        f"sanqu-geo: median of {args.repeats} fresh processes per target. AequilibraE bfw: "
        f"median of {args.aeq_repeats} per target, limit {args.time_limit:.0f} s; its 'gap' is "
        "recomputed at its returned flows with sanqu-geo's definition."
    )
    print()
    print(
        "| network | target | ours solve s (it) | ours process s | ours gap "
        "| Aeq solve s (it) | Aeq process s | Aeq gap | ratio solve | ratio process |"
    )
    print("|" + "|".join(["---"] * 2 + ["---:"] * 8) + "|")
    for row in rows:
        for gap in TARGETS:
            o = row["ours"][gap]
            a = row["aeq"].get(gap)
            cells = [
                row["network"],
                f"{gap:.0e}",
                f"{_s(o['seconds'])} ({o['iterations']:.0f})",
                _s(o["process_s"]),
                f"{o['gap']:.2e}",
            ]
            if a is None:
                cells += ["—"] * 5
            else:
                short = a["timed_out"] or a["gap"] > gap
                mark = ">" if short else ""
                cells += [
                    f"{_s(a['seconds'])} ({a['iterations']:.0f})"
                    + (" (time limit)" if a["timed_out"] else ""),
                    _s(a["process_s"]),
                    f"{a['gap']:.2e}",
                    mark + _ratio(a["seconds"], o["seconds"]),
                    mark + _ratio(a["process_s"], o["process_s"]),
                ]
            print("| " + " | ".join(cells) + " |")
    print()
    print(
        "ratio = AequilibraE ÷ sanqu-geo to the same target (AequilibraE stops by its own "
        "rule); '>' where AequilibraE's gap recomputed at its flows is still above the target, "
        "or it hit the time limit, so that the time it needs is longer."
    )
    print()
    print(
        "| network | links | zones | OD pairs | VDF | ours obj. rel. err. (1e-6) "
        "| Aeq obj. rel. err. (1e-6) | ours peak MB | Aeq peak MB |"
    )
    print("|" + "|".join(["---"] + ["---:"] * 3 + ["---"] + ["---:"] * 4) + "|")
    for row in rows:
        name = row["network"]
        o = row["ours"][1e-6]
        a = row["aeq"].get(1e-6)
        best = BEST_KNOWN.get(name)
        cells = [
            name,
            f"{row['links']:,}",
            f"{row['zones']:,}",
            f"{row['pairs']:,}",
            row["vdf"],
            "—" if best is None else f"{abs(o['objective'] - best) / best:.1e}",
            "—" if best is None or a is None else f"{abs(a['objective'] - best) / best:.1e}",
            f"{o['peak_mb']:.0f}",
            "—" if a is None else f"{a['peak_mb']:.0f}",
        ]
        print("| " + " | ".join(cells) + " |")
    print()
    print(
        "obj. rel. err.: the Beckmann objective at the returned flows against the best-known "
        "solution (TransportationNetworks problems only). peak MB: the rise of the process's "
        "resident high-water mark during the solve (at the 1e-6 target)."
    )
    failed = [e for row in rows for e in row["errors"]]
    for e in failed:
        print(f"FAILED: {e}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"date": date, "load_start": load_start, "load_end": load_end,
                 "compile_s": cold, "cache_load_s": cached, "rows": rows},
                indent=1, default=str,
            ) + "\n",
            encoding="utf-8",
        )  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
