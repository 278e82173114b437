"""Start-up of ``sanqu-geo assign``: a fresh process to its first iteration, and where it goes.

Run from the repository root:

    python benchmarks/bench_startup.py            # 7 fresh processes per row
    python benchmarks/bench_startup.py --repeats 3

Rows (medians of fresh processes, the numba cache already on disk, files in the OS cache):

* ``python -c pass``: the interpreter alone;
* ``import sanqu_geo.cli``: the command line without any command;
* the steps of ``assign`` up to its first iteration, timed inside one process: the imports of
  the assignment (numpy, pandas, numba), loading the compiled kernels from numba's cache
  (numba initialises its typing registries here, which imports scipy.linalg to check for
  BLAS), reading the TNTP files, and the first iteration;
* ``sanqu-geo assign --tntp SiouxFalls --max-iterations 1``: the whole command, writing its
  files (an upper bound on the time to the first iteration).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_STEPS = """
import json, sys, time
t0 = time.perf_counter()
import sanqu_geo.cli
t1 = time.perf_counter()
from sanqu_geo import assignment, tntp
t2 = time.perf_counter()
import numpy as np
from sanqu_geo import _ue_kernels as k
x = np.zeros(2)
k.update_delays(0, x, x, x, x + 1, x, x.copy(), x.copy())
t3 = time.perf_counter()
problem = tntp.load_problem(sys.argv[1])
t4 = time.perf_counter()
assignment.assign_tntp(problem, gap=1e-6, max_iterations=1)
t5 = time.perf_counter()
print(json.dumps({"cli": t1 - t0, "imports": t2 - t1, "kernels": t3 - t2, "read": t4 - t3,
                  "first_iteration": t5 - t4}))
"""


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _wall(cmd: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd, env=_env(), check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--reference", type=Path, default=REPO.parent / "shared" / "reference")
    args = parser.parse_args()
    folder = args.reference / "tntp" / "SiouxFalls"
    py = sys.executable
    # one run first, so that the numba cache exists
    subprocess.run([py, "-c", _STEPS, str(folder)], env=_env(), check=True, capture_output=True)
    rows = [
        ("python -c pass", _wall([py, "-c", "pass"], args.repeats)),
        ("import sanqu_geo.cli", _wall([py, "-c", "import sanqu_geo.cli"], args.repeats)),
    ]
    steps = []
    for _ in range(args.repeats):
        done = subprocess.run(
            [py, "-c", _STEPS, str(folder)], env=_env(), check=True, capture_output=True, text=True
        )
        steps.append(json.loads(done.stdout.strip().splitlines()[-1]))
    for key, label in (
        ("cli", "  in process: import sanqu_geo.cli"),
        ("imports", "  in process: import assignment, tntp (numpy, pandas, numba)"),
        ("kernels", "  in process: kernels from numba's cache (registries, scipy)"),
        ("read", "  in process: read SiouxFalls"),
        ("first_iteration", "  in process: first iteration"),
    ):
        rows.append((label, statistics.median(s[key] for s in steps)))
    with tempfile.TemporaryDirectory() as tmp:
        cli = [py, "-c", "from sanqu_geo.cli import run; run()"]
        cmd = [*cli, "assign", "--tntp", str(folder), "--out", str(Path(tmp) / "out"),
               "--max-iterations", "1", "--force"]  # fmt: skip
        rows.append(("sanqu-geo assign … --max-iterations 1", _wall(cmd, args.repeats)))
    load = os.getloadavg()
    print(f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"medians of {args.repeats} fresh processes")  # fmt: skip
    print()
    print("| step | seconds |")
    print("|---|---:|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
