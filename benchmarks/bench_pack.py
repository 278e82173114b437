"""Time of the meeting pack (the main job): this tree against a reference commit, in one run.

Run from the repository root:

    python benchmarks/bench_pack.py                  # this tree vs. the branch `main`, 3 runs each
    python benchmarks/bench_pack.py --ref 286bf5b    # against any commit
    python benchmarks/bench_pack.py --runs 5

The reference commit is unpacked with ``git archive`` into a temporary folder; each run is a
fresh ``python`` process that imports ``sanqu_geo`` from one tree or the other and writes the
whole pack (A3 maps as PNG and PDF, the workbook, the two offline web maps, the index) into a
temporary folder, exactly as ``sanqu-geo meeting-pack --out DIR`` does. Runs alternate between
the two trees so that load from other processes on the machine falls on both alike. The table
gives the median, the fastest and the slowest wall time of each tree and the ratio of the
medians. Both trees use the same installed libraries and fonts.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_RUN = """
import sys
from sanqu_geo import report
report.meeting_pack(sys.argv[1])
"""


def _unpack(ref: str, into: Path) -> str:
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", ref],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    archive = into / "ref.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(REPO), "archive", commit], check=True, stdout=out)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    return commit


def _time(tree: Path, out: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(out)], env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-2000:])
        msg = f"the pack failed in {tree}"
        raise SystemExit(msg)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="reference commit or branch (default main)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each tree (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pack-") as tmp_name:
        tmp = Path(tmp_name)
        commit = _unpack(args.ref, tmp)
        trees = {f"reference {args.ref} ({commit})": tmp / "tree", "this tree": REPO}
        times: dict[str, list[float]] = {name: [] for name in trees}
        for i in range(args.runs):
            for name, tree in trees.items():
                seconds = _time(tree, tmp / f"pack-{len(times[name])}-{i}")
                times[name].append(seconds)
                print(f"run {i + 1}/{args.runs} {name}: {seconds:.1f} s", file=sys.stderr)
    ref_name, new_name = list(trees)
    ref_median = statistics.median(times[ref_name])
    print(
        f"meeting pack (A3, PNG + PDF, workbook, offline web maps) — {platform.node()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {args.runs} runs each"
    )
    print(f"{'tree':<34} {'median s':>9} {'min s':>7} {'max s':>7} {'ratio':>7}")
    for name in trees:
        values = times[name]
        median = statistics.median(values)
        print(
            f"{name:<34} {median:>9.1f} {min(values):>7.1f} {max(values):>7.1f} "
            f"{ref_median / median:>6.2f}×"
        )
    print(f"ratio = median of the reference / median of the tree (higher is faster; {new_name}).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
