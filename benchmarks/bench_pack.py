"""Time of the meeting pack (the main job): this tree against a reference commit, in one run.

Run from the repository root:

    python benchmarks/bench_pack.py                  # the old code paths vs. this tree, 3 runs
    python benchmarks/bench_pack.py --ref main       # against another commit, as it was
    python benchmarks/bench_pack.py --runs 5

By default both columns run this tree and write the same pack; the first puts back the four
avoidable costs that were removed (a pyproj Transformer built on every access lookup, a full
page render after every geopandas plot, the whole CJK face subset for every PDF, every layer
file parsed on every load). With ``--ref`` the reference commit is unpacked with
``git archive`` into a temporary folder and run as it was. Each run is a
fresh ``python`` process that imports ``sanqu_geo`` from one tree or the other and writes the
whole pack (A3 maps as PNG and PDF, the workbook, the two offline web maps, the index) into a
temporary folder, exactly as ``sanqu-geo meeting-pack --out DIR`` does. Runs alternate between
the two trees so that load from other processes on the machine falls on both alike. The table
gives the median, the fastest and the slowest wall time of each tree, the median CPU time
(user + system, steadier on a shared machine) and the ratios of the medians. Both trees use
the same installed libraries and fonts. The reference may write less (an older pack); the
table says what was timed, not what was written.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
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

#: The same pack with the four avoidable costs put back: a pyproj Transformer built on every
#: access lookup, a full page render after every geopandas plot, the whole CJK face subset
#: for every PDF, every layer file parsed on every load.
_RUN_OLD_PATHS = """
import contextlib, sys
from pyproj import Transformer
from matplotlib.backends.backend_agg import FigureCanvasAgg
from sanqu_geo import access, layers, report, settings
from sanqu_geo.maps import fonts, furniture

access._metric_transformer = lambda: Transformer.from_crs(
    settings.default_crs, settings.metric_crs, always_xy=True)
furniture._Canvas.draw_idle = FigureCanvasAgg.draw_idle
fonts.compact_cjk_font = lambda figures, family: contextlib.nullcontext()
layers._read_geojson = layers._parse_geojson
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


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(tree: Path, out: Path, code: str = _RUN) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one pack, in seconds."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cpu = _cpu()
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, str(out)], env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start, _cpu() - cpu
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-2000:])
        msg = f"the pack failed in {tree}"
        raise SystemExit(msg)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ref",
        default=None,
        help="reference commit or branch; default: this tree with the old code paths",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each tree (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pack-") as tmp_name:
        tmp = Path(tmp_name)
        if args.ref is None:
            trees = {
                "this tree, old code paths": (REPO, _RUN_OLD_PATHS),
                "this tree": (REPO, _RUN),
            }
        else:
            commit = _unpack(args.ref, tmp)
            trees = {
                f"reference {args.ref} ({commit})": (tmp / "tree", _RUN),
                "this tree": (REPO, _RUN),
            }
        walls: dict[str, list[float]] = {name: [] for name in trees}
        cpus: dict[str, list[float]] = {name: [] for name in trees}
        for i in range(args.runs):
            for n, (name, (tree, code)) in enumerate(trees.items()):
                wall, cpu = _time(tree, tmp / f"pack-{n}-{i}", code)
                walls[name].append(wall)
                cpus[name].append(cpu)
                print(
                    f"run {i + 1}/{args.runs} {name}: {wall:.1f} s wall, {cpu:.1f} s CPU",
                    file=sys.stderr,
                )
    ref_name = next(iter(trees))
    load = os.getloadavg()[0]
    print(
        f"meeting pack (A3, PNG + PDF, workbook, offline web maps) — {platform.node()}, "
        f"{os.cpu_count()} cores, load {load:.1f}, Python {platform.python_version()}, "
        f"{args.runs} runs each"
    )
    print(
        f"{'tree':<34} {'wall median s':>14} {'min':>6} {'max':>6} {'ratio':>7}"
        f" {'CPU median s':>13} {'ratio':>7}"
    )
    for name in trees:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(
            f"{name:<34} {wall:>14.1f} {min(walls[name]):>6.1f} {max(walls[name]):>6.1f} "
            f"{statistics.median(walls[ref_name]) / wall:>6.2f}× {cpu:>13.1f} "
            f"{statistics.median(cpus[ref_name]) / cpu:>6.2f}×"
        )
    print(
        "ratio = median of the reference / median of the tree (higher is faster). CPU time is "
        "user + system of the pack's process, steadier than wall time on a shared machine."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
