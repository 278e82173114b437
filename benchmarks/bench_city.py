"""The city network harbin against the trunk sketch: load, peak-hour assignment, meeting pack.

Run from the repository root:

    python benchmarks/bench_city.py                # 5 repeats of load and assignment, 1 pack
    python benchmarks/bench_city.py --repeat 3     # 3 repeats of load and assignment
    python benchmarks/bench_city.py --pack-repeat 2
    python benchmarks/bench_city.py --skip-pack    # load and assignment only (about 2 minutes)

For both embedded networks (``harbin``, the default, and ``trunk``), side by side, with the
ratio harbin / trunk of the medians:

1. loading the network: cold, in a fresh ``python`` process on an empty user folder (the
   imports included), and warm, the second and later calls of ``load_network(NAME)`` in this
   process (the raw city graph is read once per process); the first call in this process is
   shown too;
2. the base peak-hour assignment to a relative gap of 1e-6 with all zones of the default
   demand: the demand is built first (not timed), then ``peak.solve`` is timed with the
   in-memory run and graph caches cleared before every repeat, so the time is building the
   assignment graph plus solving; the solve's own time (``run.result.seconds``), its
   iterations and the gap it reached are shown apart;
3. the meeting pack cold: ``sanqu-geo --network NAME meeting-pack --out DIR`` in a fresh
   process on an empty user folder, wall time (and CPU time, user + system, steadier on a
   shared machine).

Every run uses its own temporary user folder (``SANQU_GEO_HOME``), so the user's own cache is
neither read nor touched. The numba cache is left as it is (the kernels are compiled once per
installation). The last column says whether the harbin figure meets its target (warm load
≤ 2 s, assignment ≤ 15 s, pack ≤ 60 s cold). A step that fails is reported in the table and
its error text printed below it; the script goes on.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

NETWORKS = ("harbin", "trunk")

_COLD_LOAD = (
    "import time; t=time.perf_counter(); from sanqu_geo import network; "
    "network.load_network({name!r}); print(time.perf_counter()-t)"
)


@dataclass
class Row:
    """One measure: values per network, how to show them and the target of harbin's figure."""

    name: str
    unit: str = "s"
    target: float | None = None
    values: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    ratio: bool = True

    def median(self, net: str) -> float | None:
        vals = self.values.get(net)
        return statistics.median(vals) if vals else None


def _fresh_home(tmp: Path) -> Path:
    home = Path(tempfile.mkdtemp(prefix="home-", dir=tmp))
    os.environ["SANQU_GEO_HOME"] = str(home)
    return home


def _env(home: Path) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "SANQU_GEO_HOME": str(home)}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _error_text(done: subprocess.CompletedProcess) -> str:
    text = (done.stderr or "").strip() or (done.stdout or "").strip()
    return f"exit code {done.returncode}: " + "\n".join(text.splitlines()[-25:])


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cold_load(row: Row, net: str, repeats: int, tmp: Path) -> None:
    """Load time in a fresh process (imports included), as the process itself measures it."""
    for i in range(repeats):
        home = Path(tempfile.mkdtemp(prefix="home-", dir=tmp))
        done = subprocess.run(
            [sys.executable, "-c", _COLD_LOAD.format(name=net)],
            env=_env(home),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            row.errors[net] = _error_text(done)
            return
        seconds = float(done.stdout.strip().splitlines()[-1])
        row.values.setdefault(net, []).append(seconds)
        _log(f"  cold load {net} {i + 1}/{repeats}: {seconds:.2f} s")


def warm_load(first: Row, warm: Row, net: str, repeats: int, tmp: Path) -> dict:
    """The first call of load_network in this process, then the median of later calls."""
    from sanqu_geo import network

    _fresh_home(tmp)
    start = time.perf_counter()
    G = network.load_network(net)
    first.values[net] = [time.perf_counter() - start]
    for _ in range(repeats):
        start = time.perf_counter()
        network.load_network(net)
        warm.values.setdefault(net, []).append(time.perf_counter() - start)
    _log(f"  load {net}: first {first.values[net][0]:.2f} s, warm median {warm.median(net):.3f} s")
    return {"nodes": len(G), "edges": G.number_of_edges()}


def assignment(rows: dict[str, Row], net: str, repeats: int, tmp: Path) -> dict:
    """Graph building + solve of the base peak hour, caches cleared before every repeat."""
    from sanqu_geo import demand, peak

    _fresh_home(tmp)
    d = demand.load_demand(network=net)  # built first, not timed
    info = {"zones": len(d.zones), "trips": float(d.od["trips"].sum())}
    for i in range(repeats):
        peak._RUNS.clear()
        peak._GRAPHS.clear()
        start = time.perf_counter()
        run = peak.solve(None, source=net, demand_=d, gap=1e-6)
        elapsed = time.perf_counter() - start
        res = run.result
        rows["solve"].values.setdefault(net, []).append(elapsed)
        rows["solve_own"].values.setdefault(net, []).append(res.seconds)
        rows["iterations"].values.setdefault(net, []).append(res.iterations)
        rows["gap"].values.setdefault(net, []).append(res.relative_gap)
        if not res.converged:
            rows["gap"].errors[net] = (
                f"not converged: relative gap {res.relative_gap:.2e} after "
                f"{res.iterations} iterations"
            )
        _log(
            f"  assignment {net} {i + 1}/{repeats}: {elapsed:.2f} s "
            f"(solve {res.seconds:.2f} s, {res.iterations} iterations, "
            f"gap {res.relative_gap:.1e})"
        )
    peak._RUNS.clear()
    peak._GRAPHS.clear()
    return info


def _cli() -> list[str]:
    script = shutil.which("sanqu-geo", path=str(Path(sys.executable).parent))
    if script:
        return [script]
    return [sys.executable, "-c", "import sys; from sanqu_geo.cli import main; sys.exit(main())"]


def pack(wall: Row, cpu: Row, net: str, repeats: int, tmp: Path, timeout: float) -> None:
    """The meeting pack in a fresh process on an empty user folder (wall and CPU time)."""
    for i in range(repeats):
        home = Path(tempfile.mkdtemp(prefix="home-", dir=tmp))
        out = Path(tempfile.mkdtemp(prefix=f"pack-{net}-", dir=tmp)) / "pack"
        cmd = [*_cli(), "--network", net, "meeting-pack", "--out", str(out)]
        cpu0 = _children_cpu()
        start = time.perf_counter()
        try:
            done = subprocess.run(
                cmd, env=_env(home), capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            wall.errors[net] = f"timed out after {timeout:.0f} s"
            return
        elapsed, used = time.perf_counter() - start, _children_cpu() - cpu0
        if done.returncode != 0:
            wall.errors[net] = _error_text(done)
            return
        wall.values.setdefault(net, []).append(elapsed)
        cpu.values.setdefault(net, []).append(used)
        _log(f"  pack {net} {i + 1}/{repeats}: {elapsed:.1f} s wall, {used:.1f} s CPU")
        shutil.rmtree(out.parent, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "gap":
        return f"{value:.1e}"
    if unit == "":
        return f"{value:.0f}"
    return f"{value:.3f} s" if value < 1 else f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def _run_step(row_names: list[Row], nets, fn) -> None:
    """Run fn(net) for every network; a crash is recorded on the rows, not raised."""
    for net in nets:
        try:
            fn(net)
        except Exception as exc:  # reported in the table, not raised
            text = f"{type(exc).__name__}: {exc}\n" + "".join(traceback.format_exception(exc)[-6:])
            for row in row_names:
                row.errors.setdefault(net, text.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=5, help="repeats of the load and the assignment (5)"
    )
    parser.add_argument(
        "--pack-repeat", type=int, default=1, help="repeats of the meeting pack (1)"
    )
    parser.add_argument("--skip-pack", action="store_true", help="leave the meeting pack out")
    parser.add_argument(
        "--pack-timeout", type=float, default=1800, help="seconds before a pack is stopped"
    )
    args = parser.parse_args()
    repeats = max(1, args.repeat)
    started = time.perf_counter()
    load_before = os.getloadavg()[0]

    rows = {
        "cold": Row("load network, cold (fresh process, imports incl.)"),
        "first": Row("load network, first call in process"),
        "warm": Row("load network, warm (2nd+ call)", target=2.0),
        "solve": Row("peak assignment, gap 1e-6 (graph + solve)", target=15.0),
        "solve_own": Row("  of which the solve (result.seconds)"),
        "iterations": Row("  iterations", unit=""),
        "gap": Row("  relative gap reached", unit="gap", ratio=False),
        "pack": Row("meeting pack, cold, wall", target=60.0),
        "pack_cpu": Row("meeting pack, cold, CPU (user + sys)"),
    }
    info: dict[str, dict] = {net: {} for net in NETWORKS}
    with tempfile.TemporaryDirectory(prefix="bench-city-") as tmp_name:
        tmp = Path(tmp_name)
        _fresh_home(tmp)

        _log("cold loads (fresh processes)")
        _run_step([rows["cold"]], NETWORKS, lambda n: cold_load(rows["cold"], n, repeats, tmp))
        _log("loads in this process")
        _run_step(
            [rows["first"], rows["warm"]],
            NETWORKS,
            lambda n: info[n].update(warm_load(rows["first"], rows["warm"], n, repeats, tmp)),
        )

        _log("peak-hour assignment")

        def warm_up(_net: str) -> None:
            # load the assignment kernels (numba) once, untimed, on the small network
            from sanqu_geo import demand, peak

            _fresh_home(tmp)
            peak.solve(None, source="trunk", demand_=demand.load_demand(network="trunk"))
            peak._RUNS.clear()
            peak._GRAPHS.clear()

        assign_rows = [rows[k] for k in ("solve", "solve_own", "iterations", "gap")]
        _run_step(assign_rows, ["trunk"], warm_up)
        _run_step(
            assign_rows,
            NETWORKS,
            lambda n: info[n].update(assignment(rows, n, repeats, tmp)),
        )

        if not args.skip_pack:
            _log("meeting pack, cold (fresh processes, empty user folder)")
            _run_step(
                [rows["pack"], rows["pack_cpu"]],
                NETWORKS,
                lambda n: pack(
                    rows["pack"],
                    rows["pack_cpu"],
                    n,
                    max(1, args.pack_repeat),
                    tmp,
                    args.pack_timeout,
                ),
            )
        else:
            del rows["pack"], rows["pack_cpu"]

    total = time.perf_counter() - started
    sizes = "; ".join(
        f"{net}: {i.get('nodes', '?')} nodes, {i.get('edges', '?')} edges, "
        f"{i.get('zones', '?')} zones, {i.get('trips', math.nan):,.0f} trips/h"
        for net, i in info.items()
    )
    print(
        f"city network benchmark — {platform.node()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load {load_before:.1f} at start / "
        f"{os.getloadavg()[0]:.1f} at end; repeats: {repeats} of load and assignment, "
        f"{0 if args.skip_pack else max(1, args.pack_repeat)} of the pack; medians; "
        f"total {total:.0f} s"
    )
    print(sizes)
    width = max(len(r.name) for r in rows.values()) + 2
    print(
        f"{'measure':<{width}}{'harbin':>12}{'trunk':>12}{'harbin/trunk':>14}"
        f"{'target':>10}  harbin meets"
    )
    failures = []
    for row in rows.values():
        h, t = row.median("harbin"), row.median("trunk")
        cells = []
        for net, value in (("harbin", h), ("trunk", t)):
            if net in row.errors and value is None:
                cells.append("FAILED")
                failures.append((row.name.strip(), net, row.errors[net]))
            else:
                cells.append(_fmt(value, row.unit))
                if net in row.errors:
                    failures.append((row.name.strip(), net, row.errors[net]))
        ratio = f"{h / t:.1f}×" if row.ratio and h is not None and t else "—"
        target = f"≤ {row.target:.0f} s" if row.target is not None else ""
        meets = ""
        if row.target is not None:
            meets = "FAILED" if h is None else "yes" if h <= row.target else "no"
        print(f"{row.name:<{width}}{cells[0]:>12}{cells[1]:>12}{ratio:>14}{target:>10}  {meets}")
    print(
        "warm load: median of calls 2…N+1 in one process. Assignment: base peak hour, all\n"
        "zones, demand built beforehand, run and graph caches cleared before every repeat.\n"
        "Pack: `sanqu-geo --network NAME meeting-pack --out DIR` on an empty user folder."
    )
    seen = set()
    for name, net, text in failures:
        if (net, text) in seen:
            continue
        seen.add((net, text))
        print(f"\n{name} — {net}:\n{text}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
