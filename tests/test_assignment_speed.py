"""What the fast assignment must keep: the same answer on any number of threads, and warm starts
that reach the cold start's equilibrium.

The thread test solves in fresh processes with ``NUMBA_NUM_THREADS`` set (numba fixes its pool
at start-up), so it checks 1 against 2 threads even on a one-core machine.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sanqu_geo import assignment, peak, scenarios, tntp

REPO = Path(__file__).resolve().parents[1]

_SOLVE = """
import json, sys
import numpy as np
from sanqu_geo import assignment, tntp
problem = tntp.load_problem(sys.argv[1])
nodes = len(set(problem.links["init_node"]) | set(problem.links["term_node"]))
assignment.tree_bytes = 4 * nodes * 5  # five trees a batch: the batches are exercised too
res = assignment.assign_tntp(problem, gap=1e-7)
print(json.dumps({
    "flow": res.volumes["flow"].tolist(),
    "objective": res.objective,
    "gap": res.relative_gap,
    "iterations": res.iterations,
    "history": res.history["relative_gap"].tolist(),
}))
"""


@pytest.fixture(scope="module")
def tntp_dir() -> Path:
    folder = REPO.parent / "shared" / "reference" / "tntp"
    if not folder.is_dir():
        pytest.skip(f"TNTP reference data not found at {folder}")
    return folder


def _solve_with_threads(folder: Path, threads: int) -> dict:
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(
        [sys.executable, "-c", _SOLVE, str(folder)],
        capture_output=True, text=True, env=env, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", ["Anaheim", "Barcelona"])
def test_one_and_two_threads_give_the_same_equilibrium(tntp_dir: Path, name: str) -> None:
    one = _solve_with_threads(tntp_dir / name, 1)
    two = _solve_with_threads(tntp_dir / name, 2)
    assert one["iterations"] == two["iterations"]
    assert one["history"] == two["history"]
    flow1, flow2 = np.array(one["flow"]), np.array(two["flow"])
    scale = np.abs(flow1).max()
    assert np.abs(flow1 - flow2).max() <= 1e-12 * scale
    assert abs(one["objective"] - two["objective"]) <= 1e-12 * abs(one["objective"])


def _drop_link(problem: tntp.TntpProblem, i: int) -> tntp.TntpProblem:
    links = problem.links.drop(index=problem.links.index[i]).reset_index(drop=True)
    return dataclasses.replace(problem, links=links)


def test_warm_start_reaches_the_cold_equilibrium(tntp_dir: Path) -> None:
    base_problem = tntp.load_problem(tntp_dir / "Anaheim")
    base = assignment.assign_tntp(base_problem, gap=1e-10)
    # an "option": the two busiest links lose a quarter of their capacity (a local change)
    flows = base.volumes["flow"].to_numpy()
    links = base_problem.links.copy()
    busiest = np.argsort(-flows)[:2]
    links.loc[links.index[busiest], "capacity"] *= 0.75
    changed = dataclasses.replace(base_problem, links=links)
    cold = assignment.assign_tntp(changed, gap=1e-10)
    warm = assignment.assign_tntp(changed, gap=1e-10, warm=base)
    assert cold.converged and warm.converged
    assert warm.iterations < cold.iterations
    # the equilibrium link flows are unique: both reach them to the precision of the gap
    c, w = cold.volumes["flow"].to_numpy(), warm.volumes["flow"].to_numpy()
    assert np.abs(c - w).max() <= 1e-4 * c.max()
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    # and the warm result is an honest equilibrium of the changed problem, checked afresh
    check = assignment.evaluate_tntp(changed, w)
    assert check["relative_gap"] <= 1e-9


def test_warm_start_with_more_demand_reaches_the_cold_equilibrium(tntp_dir: Path) -> None:
    problem = tntp.load_problem(tntp_dir / "SiouxFalls")
    base = assignment.assign_tntp(problem, gap=1e-10)
    more = dataclasses.replace(problem, od=problem.od.assign(trips=problem.od["trips"] * 1.1))
    cold = assignment.assign_tntp(more, gap=1e-10)
    warm = assignment.assign_tntp(more, gap=1e-10, warm=base)
    c, w = cold.volumes["flow"].to_numpy(), warm.volumes["flow"].to_numpy()
    assert np.abs(c - w).max() <= 1e-4 * c.max()
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)


def test_warm_start_drops_paths_over_removed_links(tntp_dir: Path) -> None:
    problem = tntp.load_problem(tntp_dir / "SiouxFalls")
    base = assignment.assign_tntp(problem, gap=1e-8)
    changed = _drop_link(problem, 0)  # link 1 → 2
    warm = assignment.assign_tntp(changed, gap=1e-8, warm=base)
    labels = {(u, v) for u, v, _ in warm.edges}
    assert (1, 2) not in labels
    assert warm.converged
    # every demand is carried: flow out of each origin equals its trips
    out = warm.volumes.groupby(level="u")["flow"].sum()
    trips = changed.od[changed.od["origin"] != changed.od["destination"]]
    by_origin = trips.groupby("origin")["trips"].sum()
    inflow = warm.volumes.groupby(level="v")["flow"].sum()
    for zone, total in by_origin.items():
        assert out[zone] - inflow.get(zone, 0.0) == pytest.approx(
            total - trips[trips["destination"] == zone]["trips"].sum(), rel=1e-9, abs=1e-6
        )


def test_an_option_run_starts_from_the_base_and_agrees_with_a_cold_run(monkeypatch) -> None:
    sc = scenarios.load_scenario()
    option = next(o for o in sc.options if not o.rail)
    peak._RUNS.clear()
    monkeypatch.setattr(peak, "warm_start", False)
    cold = peak.solve(option, source="trunk", gap=1e-8)
    peak._RUNS.clear()
    monkeypatch.setattr(peak, "warm_start", True)
    warm = peak.solve(option, source="trunk", gap=1e-8)  # solves the base first
    peak._RUNS.clear()
    assert warm.result.iterations < cold.result.iterations
    for cls in ("car", "truck"):
        a, b = cold.vehicle_hours()[cls], warm.vehicle_hours()[cls]
        assert b == pytest.approx(a, rel=1e-6)
    pc, pw = cold.result.volumes["pcu"].to_numpy(), warm.result.volumes["pcu"].to_numpy()
    assert np.abs(pc - pw).max() <= 1e-3 * pc.max()


def test_the_thread_setting_is_checked_and_keeps_the_answer(tntp_dir: Path, monkeypatch) -> None:
    problem = tntp.load_problem(tntp_dir / "SiouxFalls")
    monkeypatch.setattr(assignment, "threads", 1)
    one = assignment.assign_tntp(problem, gap=1e-8)
    monkeypatch.setattr(assignment, "threads", None)
    every = assignment.assign_tntp(problem, gap=1e-8)
    assert np.array_equal(one.volumes["flow"].to_numpy(), every.volumes["flow"].to_numpy())
    monkeypatch.setattr(assignment, "threads", 0)
    with pytest.raises(assignment.AssignmentError, match="threads"):
        assignment.assign_tntp(problem, gap=1e-8)


def test_assign_loads_no_maps_gis_or_dask() -> None:
    code = (
        "import sys\n"
        "from sanqu_geo.cli import main\n"
        f"code = main(['assign', '--tntp', {str(REPO.parent / 'shared/reference/tntp/SiouxFalls')!r},"
        " '--out', sys.argv[1], '--max-iterations', '2'])\n"
        "heavy = ('folium', 'geopandas', 'dask', 'distributed', 'matplotlib', 'osmnx', 'shapely',"
        " 'pyproj', 'networkx', 'openpyxl')\n"
        "print(code, sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in heavy"
        " or m.startswith('sanqu_geo.maps')}))\n"
    )
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        done = subprocess.run(
            [sys.executable, "-c", code, str(Path(tmp) / "out")],
            capture_output=True, text=True, env=env, check=False, timeout=300,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "0 []"
