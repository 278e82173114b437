"""Peak-hour assignment: solve times, what the caches save, and what warm starts save.

Run from the repository root:

    python benchmarks/bench_peak.py                        # cache timings on trunk, 5 repeats
    python benchmarks/bench_peak.py --quick                # 2 repeats
    python benchmarks/bench_peak.py --warm-starts          # compare's solves, harbin, cold vs warm
    python benchmarks/bench_peak.py --warm-starts --network trunk   # the same, a quick check

Cache timings (the default; network ``trunk`` unless ``--network`` says otherwise): medians of
building the assignment graph; solving the base peak hour and each road option to a relative
gap of 1e-6 (an option with its base already solved, as ``corridors compare`` runs
it); ``corridors compare`` without sensitivity runs (all solves fresh, and again from
the in-memory cache); and the congested graph for ``--congested`` from the user-folder cache.
Ratios are against the base solve.

Warm starts (``--warm-starts``; network ``harbin`` unless ``--network`` says otherwise): the
solves of ``corridors compare`` — the base morning peak hour of the default demand, then every
road option of the plan's scenario in its order (rail options left out), each to a relative
gap of 1e-6 — in one fresh process with ``peak.warm_start = False`` (every run starts from an
all-or-nothing load) and in another with ``peak.warm_start = True`` (as ``peak.solve`` rules:
an option's run starts from the base's paths). Per run: iterations, the solver's seconds
(``result.seconds``) and the ``peak.solve`` call's seconds (building the option's graph
included); then the totals and the process wall time, from the launch of the process to the
last solve (imports, the demand and the network included).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
GAP = 1e-6


def _median(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def _s(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def _clear_runs(peak) -> None:
    """Empty the in-memory cache of solved runs (and its index, where the module has one)."""
    peak._RUNS.clear()
    about = getattr(peak, "_ABOUT", None)
    if about is not None:
        about.clear()


# ----------------------------------------------------------------------------- cache timings


def cache_timings(network: str, repeats: int) -> int:
    from sanqu_geo import compare, demand, peak, scenarios

    d = demand.load_demand(network=network)
    sc = scenarios.load_scenario()
    roads = [o for o in sc.options if not o.rail]
    peak.solve(source=network, demand_=d)  # compile the kernels once; not timed

    def fresh(option=None):
        _clear_runs(peak)
        return peak.solve(option, source=network, demand_=d)

    def build():
        peak._GRAPHS.clear()
        peak.assignment_graph(network, None, zones=d.zones)

    def option_alone(option) -> float:
        # the base solved first (untimed), so that the time is the option's own solve, warm
        # started from the base as corridors compare runs it
        times = []
        for _ in range(repeats):
            fresh()
            start = time.perf_counter()
            peak.solve(option, source=network, demand_=d)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    rows = [("assignment graph (zones attached)", _median(build, repeats))]
    base = _median(fresh, repeats)
    rows.append((f"solve base peak hour, gap {GAP:.0e}", base))
    for option in roads:
        rows.append((f"solve {option.id} (base cached)", option_alone(option)))

    def compare_fresh():
        _clear_runs(peak)
        compare.compare(sc, demand_=d, sensitivity=False)

    rows.append(("corridors compare, no sensitivity, fresh", _median(compare_fresh, repeats)))
    rows.append(
        (
            "corridors compare, no sensitivity, cached solves",
            _median(lambda: compare.compare(sc, demand_=d, sensitivity=False), repeats),
        )
    )
    peak.congested_travel_graph(network, demand_=d)
    rows.append(
        (
            "congested graph from the user-folder cache",
            _median(lambda: peak.congested_travel_graph(network, demand_=d), repeats),
        )
    )
    run = peak.solve(source=network, demand_=d)
    print(f"{network} network: {run.graph.number_of_edges()} edges incl. connectors, "
          f"{len(d.zones)} zones, {sum(d.totals().values()):,.0f} vehicles/h; "
          f"cores: {os.cpu_count()}; repeats: {repeats} (medians); load average {_load()}")  # fmt: skip
    print(f"{'step':<52}{'seconds':>10}{'× base solve':>14}")
    for name, seconds in rows:
        print(f"{name:<52}{seconds:>10.3f}{seconds / base:>14.2f}")
    return 0


# ----------------------------------------------------------------------------- warm starts


def _warm_kernels() -> None:
    """Load the compiled assignment kernels from numba's cache (a toy conical problem)."""
    import pandas as pd

    from sanqu_geo import assignment, tntp

    links = pd.DataFrame(
        {"init_node": [1, 2, 1], "term_node": [2, 3, 3], "capacity": [1000.0] * 3,
         "length": [1.0] * 3, "free_flow_time": [1.0, 1.0, 3.0], "b": [4.0] * 3,
         "power": [0.0] * 3}
    )  # fmt: skip
    links["cost0"] = links["free_flow_time"]
    od = pd.DataFrame({"origin": [1], "destination": [3], "trips": [3000.0]})
    toy = tntp.TntpProblem("toy", links, od, zones=3, first_thru_node=1, vdf="conical")
    assignment.assign_tntp(toy, gap=1e-8)


def job_prime(network: str) -> dict:
    """Build the demand and the base graph once, so both measured processes find the same
    user-folder state."""
    from sanqu_geo import demand, peak

    d = demand.load_demand(network=network)
    peak.assignment_graph(network, None, zones=d.zones)
    _warm_kernels()
    return {}


def job_compare(network: str, warm: bool) -> dict:
    from sanqu_geo import demand, peak, scenarios

    peak.warm_start = warm
    _clear_runs(peak)
    d = demand.load_demand(network=network)
    sc = scenarios.load_scenario()
    options = [None, *(o for o in sc.options if not o.rail)]
    _warm_kernels()
    runs = []
    t_all = time.perf_counter()
    for option in options:
        t = time.perf_counter()
        run = peak.solve(option, source=network, demand_=d, gap=GAP)
        call = time.perf_counter() - t
        res = run.result
        if option is None:
            edges = run.graph.number_of_edges()
        runs.append(
            {
                "run": "base" if option is None else option.id,
                "iterations": res.iterations,
                "assign_s": res.seconds,
                "call_s": call,
                "gap": res.relative_gap,
                "converged": bool(res.converged),
            }
        )
    return {
        "runs": runs,
        "solves_s": time.perf_counter() - t_all,
        "zones": len(d.zones),
        "edges": edges,
        "done": time.time(),
    }


def _child(job: dict, env: dict) -> dict:
    """One job of this script in a fresh process (the assignment benchmark's launcher)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_assignment import _child as launch

    return launch(job, env, script=Path(__file__))


def warm_starts(network: str) -> int:
    load_start = _load()
    date = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-peak-") as home:
        # an empty user folder: the embedded default demand, and the user's cache untouched
        env = {"SANQU_GEO_HOME": home, "SANQU_GEO_NETWORK": network}
        print(f"{network}: preparing the user folder and the kernels", file=sys.stderr, flush=True)
        _child({"kind": "prime", "network": network}, env)
        out = {}
        for warm in (False, True):
            label = "warm starts" if warm else "cold starts"
            print(f"{network}: {label} ...", file=sys.stderr, flush=True)
            out[warm] = _child({"kind": "compare", "network": network, "warm": warm}, env)
            print(f"  {out[warm]['solves_s']:.1f} s of solves", file=sys.stderr, flush=True)
    load_end = _load()
    cold, warm = out[False], out[True]
    print()
    print(f"{date}. corridors compare's solves on {network} ({cold['edges']:,} edges incl. "
          f"connectors, {cold['zones']} zones), base-year morning peak, relative gap {GAP:.0e}; "
          f"{os.cpu_count()} cores; load average (1/5/15 min) {load_start} at start, "
          f"{load_end} at end; run {(time.perf_counter() - t0) / 60:.1f} min.")  # fmt: skip
    print("Cold: peak.warm_start = False; warm: True. One fresh process each.")
    print()
    print(
        "| run | cold it | cold assign s | cold solve s | warm it | warm assign s "
        "| warm solve s | ratio (solve s) |"
    )
    print("|---|" + "---:|" * 7)
    notes = []
    for c, w in zip(cold["runs"], warm["runs"], strict=True):
        for r, label in ((c, "cold"), (w, "warm")):
            if not r["converged"]:
                notes.append(f"{r['run']} ({label}) stopped at relative gap {r['gap']:.2e}")
        print(
            f"| {c['run']} | {c['iterations']} | {_s(c['assign_s'])} | {_s(c['call_s'])} "
            f"| {w['iterations']} | {_s(w['assign_s'])} | {_s(w['call_s'])} "
            f"| {c['call_s'] / w['call_s']:.2f}× |"
        )
    sums = {
        k: {f: sum(r[f] for r in v["runs"]) for f in ("iterations", "assign_s", "call_s")}
        for k, v in out.items()
    }
    sc_, sw = sums[False], sums[True]
    print(
        f"| **all runs** | {sc_['iterations']} | {_s(sc_['assign_s'])} | {_s(sc_['call_s'])} "
        f"| {sw['iterations']} | {_s(sw['assign_s'])} | {_s(sw['call_s'])} "
        f"| {sc_['call_s'] / sw['call_s']:.2f}× |"
    )
    print(
        f"| **process wall** | | | {_s(cold['process_s'])} | | | {_s(warm['process_s'])} "
        f"| {cold['process_s'] / warm['process_s']:.2f}× |"
    )
    print()
    print(
        "assign s: the solver (result.seconds); solve s: the peak.solve call (the option's "
        "graph built, the assignment, the run stored); process wall: launch of the process to the last solve (imports, demand, "
        "network and kernel loading included); ratio: cold ÷ warm."
    )
    for n in notes:
        print(f"NOT CONVERGED: {n}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="cache timings: 2 repeats, not 5")
    parser.add_argument(
        "--warm-starts",
        action="store_true",
        help="time corridors compare's solves with and without warm starts",
    )
    parser.add_argument(
        "--network",
        choices=("harbin", "trunk"),
        help="default: harbin with --warm-starts, trunk for the cache timings",
    )
    parser.add_argument("--job", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.job:
        job = json.loads(args.job)
        kind = job.pop("kind")
        result = {"prime": job_prime, "compare": job_compare}[kind](**job)
        print(json.dumps(result))
        return 0
    if args.warm_starts:
        return warm_starts(args.network or "harbin")
    network = args.network or "trunk"
    os.environ["SANQU_GEO_HOME"] = tempfile.mkdtemp(prefix="sanqu-bench-")
    os.environ["SANQU_GEO_NETWORK"] = network
    return cache_timings(network, 2 if args.quick else 5)


if __name__ == "__main__":
    sys.exit(main())
