"""Monte-Carlo sensitivity on Dask: time per draw and scaling with 1, 2 and 4 workers.

Run from the repository root:

    python benchmarks/bench_dask.py                        # 200 draws; 1, 2 and 4 workers
    python benchmarks/bench_dask.py --draws 20 --workers 1,2 --serial-draws 10   # quick

Every draw is a full peak comparison: the base and every road option of the plan's scenario
(six) solved to relative gap 1e-6 on the embedded trunk network with the default demand, i.e.
seven equilibrium assignments per draw. Each worker count gets its own LocalCluster of
single-threaded worker processes; a machine with fewer cores than workers simulates them
(their processes share the cores), which the table says.

Columns: wall time of the draws once the cluster is up (cluster start and the first scatter
of the graphs are shown apart), seconds per draw, speed-up against one Dask worker, and
efficiency = speed-up ÷ min(workers, cores). The scheduling overhead is measured on its own:
the same number of no-op tasks, with the same shared data, through the same runner.
Every run must give the same numbers as the serial one (checked; exit code 1 if not).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sanqu_geo import demand, scaleout, sensitivity  # noqa: E402
from sanqu_geo import peak as _peak  # noqa: E402


def _noop(problem, item):
    return item


def _overhead(runner: scaleout.Runner, tasks: int) -> float:
    """Seconds of scheduling per task: no-op tasks sharing a scattered problem."""
    shared = runner.share(tuple(range(1000)))
    started = time.perf_counter()
    for _ in runner.map(_noop, list(range(tasks)), shared, window=tasks, name="noop"):
        pass
    return (time.perf_counter() - started) / tasks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4", help="worker counts, e.g. 1,2,4")
    parser.add_argument(
        "--serial-draws", type=int, default=None, help="draws of the in-process run (default: all)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    counts = [int(c) for c in args.workers.split(",") if c.strip()]
    cores = os.cpu_count() or 1

    d = demand.load_demand()
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    serial_draws = args.serial_draws or args.draws
    say(f"serial: {serial_draws} draws in this process")
    sensitivity.run(1, seed=args.seed, demand_=d)  # imports and compiled kernels warm
    serial = sensitivity.run(serial_draws, seed=args.seed, demand_=d)
    units = len(serial.runs) // serial.n
    rows = [
        {
            "run": "no Dask (this process)",
            "workers": 1,
            "draws": serial.n,
            "start_s": 0.0,
            "wall_s": serial.seconds,
            "s_per_draw": serial.seconds / serial.n,
        }
    ]
    same = True
    overheads = {}
    mc = serial
    for n in counts:
        say(f"dask: {n} worker(s)")
        started = time.perf_counter()
        with scaleout.connect(f"local:{n}") as client:
            runner = scaleout.Runner(client)
            client.wait_for_workers(n)
            # One draw first: every worker imports sanqu_geo and loads the compiled kernels.
            sensitivity.run(n, seed=args.seed, demand_=d, runner=runner)
            start = time.perf_counter() - started
            mc = sensitivity.run(args.draws, seed=args.seed, demand_=d, runner=runner)
            overheads[n] = _overhead(runner, args.draws * units)
        common = mc.runs[mc.runs["draw"] < serial.n].reset_index(drop=True)
        if not common.equals(serial.runs):
            same = False
            say(f"  results on {n} workers differ from the serial run")
        rows.append(
            {
                "run": f"Dask LocalCluster, {n} process(es)"
                + (" (simulated: more workers than cores)" if n > cores else ""),
                "workers": n,
                "draws": mc.n,
                "start_s": start,
                "wall_s": mc.seconds,
                "s_per_draw": mc.seconds / mc.n,
            }
        )
    table = pd.DataFrame(rows)
    one = table.loc[table["workers"].eq(1) & table["run"].str.startswith("Dask"), "s_per_draw"]
    base = float(one.iloc[0]) if len(one) else float(table["s_per_draw"].iloc[0])
    table["speedup_vs_1_worker"] = base / table["s_per_draw"]
    table["efficiency"] = table["speedup_vs_1_worker"] / table["workers"].clip(upper=cores)
    table["overhead_ms_per_task"] = [
        float("nan") if r.run.startswith("no Dask") else overheads[r.workers] * 1000
        for r in table.itertuples()
    ]
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(
        f"Monte-Carlo sensitivity, {args.draws} draws × {units} assignments (base + "
        f"{units - 1} road options), relative gap {_peak.default_gap:.0e}, seed {args.seed}"
    )
    print(
        f"machine: {platform.processor() or platform.machine()}, {cores} cores, "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; "
        f"python {platform.python_version()}"
    )
    print()
    print(
        table.to_string(
            index=False,
            formatters={
                "start_s": "{:.1f}".format,
                "wall_s": "{:.1f}".format,
                "s_per_draw": "{:.3f}".format,
                "speedup_vs_1_worker": "{:.2f}".format,
                "efficiency": "{:.0%}".format,
                "overhead_ms_per_task": "{:.1f}".format,
            },
        )
    )
    print()
    dask_one = table[table["workers"].eq(1) & table["run"].str.startswith("Dask")]
    if len(dask_one):
        extra = (float(dask_one["s_per_draw"].iloc[0]) - rows[0]["s_per_draw"]) / units
        print(
            f"Dask on one worker against this process: {extra * 1000:+.1f} ms per assignment "
            f"(serial mean assignment {rows[0]['s_per_draw'] / units * 1000:.0f} ms); "
            "no-op scheduling overhead in the last column."
        )
    print(f"same numbers as the serial run on every worker count: {'yes' if same else 'NO'}")
    print()
    print(sensitivity.markdown(mc))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
