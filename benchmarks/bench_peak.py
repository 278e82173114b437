"""Peak-hour assignment on the embedded trunk network: solve times, and what the caches save.

Run from the repository root:

    python benchmarks/bench_peak.py            # 5 repeats of every solve
    python benchmarks/bench_peak.py --quick    # 2 repeats

Times (medians) of: building the assignment graph; solving the base peak hour and each road
option to a relative gap of 1e-6; ``corridors compare`` without sensitivity runs (all solves
fresh, and again from the in-memory cache); and the congested graph for ``--congested`` from
the user-folder cache. Ratios are against the base solve.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _median(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeats = 2 if args.quick else 5
    os.environ["SANQU_GEO_HOME"] = tempfile.mkdtemp(prefix="sanqu-bench-")

    from sanqu_geo import compare, demand, peak, scenarios

    d = demand.load_demand()
    sc = scenarios.load_scenario()
    roads = [o for o in sc.options if any(c.kind != "rail_art" for c in o.corridors)]
    peak.solve(demand_=d)  # compile the kernels once; not timed

    def fresh(option=None):
        peak._RUNS.clear()
        return peak.solve(option, demand_=d)

    def build():
        peak._GRAPHS.clear()
        peak.assignment_graph("trunk", None, zones=d.zones)

    rows = [("assignment graph (zones attached)", _median(build, repeats))]
    base = _median(fresh, repeats)
    rows.append(("solve base peak hour, gap 1e-6", base))
    for option in roads:
        rows.append((f"solve {option.id}", _median(lambda o=option: fresh(o), repeats)))

    def compare_fresh():
        peak._RUNS.clear()
        compare.compare(sc, demand_=d, sensitivity=False)

    rows.append(("corridors compare, no sensitivity, fresh", _median(compare_fresh, repeats)))
    rows.append(
        (
            "corridors compare, no sensitivity, cached solves",
            _median(lambda: compare.compare(sc, demand_=d, sensitivity=False), repeats),
        )
    )
    peak.congested_travel_graph(demand_=d)
    rows.append(
        (
            "congested graph from the user-folder cache",
            _median(lambda: peak.congested_travel_graph(demand_=d), repeats),
        )
    )
    run = peak.solve(demand_=d)
    print(f"trunk network: {run.graph.number_of_edges()} edges incl. connectors, "
          f"{len(d.zones)} zones, {sum(d.totals().values()):,.0f} vehicles/h; "
          f"cores: {os.cpu_count()}; repeats: {repeats} (medians)")  # fmt: skip
    print(f"{'step':<52}{'seconds':>10}{'× base solve':>14}")
    for name, seconds in rows:
        print(f"{name:<52}{seconds:>10.3f}{seconds / base:>14.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
