"""TNTP reader and the assignment against the best-known solutions of the test networks.

Best-known objectives from ``../shared/reference/tntp/SOURCES.md`` (computed from the
``*_flow.tntp`` files; the same units as the net files: Sioux Falls in its file units, not the
README's figure ÷ 1e5; Chicago Sketch with its toll and length terms).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sanqu_geo import assignment, tntp
from sanqu_geo.errors import TntpError

BEST_OBJECTIVE = {
    "SiouxFalls": 4_231_335.287107,
    "Anaheim": 1_286_032.171096,
    "ChicagoSketch": 17_313_018.738748,
    "Barcelona": 1_265_654.922032,
    "Winnipeg": 827_911.494630,
}
LARGE = ["ChicagoSketch", "Barcelona", "Winnipeg"]


@pytest.fixture(scope="module")
def tntp_dir() -> Path:
    folder = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "tntp"
    if not folder.is_dir():
        pytest.skip(f"TNTP reference data not found at {folder}")
    return folder


def test_reader_on_sioux_falls(tntp_dir: Path) -> None:
    links, meta = tntp.read_net(tntp_dir / "SiouxFalls" / "SiouxFalls_net.tntp")
    assert meta == {"zones": 24, "nodes": 24, "first_thru_node": 1, "links": 76}
    assert len(links) == 76
    assert links.iloc[0][["init_node", "term_node"]].tolist() == [1, 2]
    assert links.iloc[0]["capacity"] == pytest.approx(25900.20064)
    assert (links["b"] == 0.15).all() and (links["power"] == 4).all()
    od = tntp.read_trips(tntp_dir / "SiouxFalls" / "SiouxFalls_trips.tntp")
    assert od["trips"].sum() == pytest.approx(360_600.0)
    assert od.attrs["total_od_flow"] == pytest.approx(360_600.0)
    assert ((od["origin"] == 1) & (od["destination"] == 2)).sum() == 1
    flows = tntp.read_flows(tntp_dir / "SiouxFalls" / "SiouxFalls_flow.tntp")
    assert len(flows) == 76 and flows.iloc[0]["volume"] == pytest.approx(4494.6576464564205)
    nodes = tntp.read_nodes(tntp_dir / "SiouxFalls" / "SiouxFalls_node.tntp")
    assert len(nodes) == 24


def test_reader_metadata_and_generalized_cost(tntp_dir: Path) -> None:
    anaheim = tntp.load_problem(tntp_dir / "Anaheim")
    assert anaheim.first_thru_node == 39 and anaheim.centroids == list(range(1, 39))
    assert anaheim.od["trips"].sum() == pytest.approx(104_694.40, abs=0.01)
    np.testing.assert_array_equal(anaheim.links["cost0"], anaheim.links["free_flow_time"])
    chicago = tntp.load_problem(tntp_dir / "ChicagoSketch")
    lk = chicago.links
    np.testing.assert_allclose(
        lk["cost0"], lk["free_flow_time"] + 0.02 * lk["toll"] + 0.04 * lk["length"]
    )
    # 123,414 of the 1,260,907.44 trips are intrazonal and never load a link
    assert chicago.od.attrs["intrazonal_trips"] == pytest.approx(123_414.0)
    assert chicago.od["trips"].sum() + 123_414.0 == pytest.approx(1_260_907.44, rel=1e-12)


def _relative(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


def _check_objective(tntp_dir: Path, name: str) -> None:
    problem = tntp.load_problem(tntp_dir / name)
    res = assignment.assign_tntp(problem, gap=1e-6)
    assert res.converged and res.relative_gap <= 1e-6
    assert _relative(res.objective, BEST_OBJECTIVE[name]) <= 1e-6


def _check_flows(tntp_dir: Path, name: str) -> None:
    problem = tntp.load_problem(tntp_dir / name)
    # gap <= 1e-7 as required; 1e-10 because Anaheim has links on nearly flat cost curves
    # whose flows still move by tens of vehicles between gaps 1e-7 and 1e-9
    res = assignment.assign_tntp(problem, gap=1e-10)
    assert res.relative_gap <= 1e-10
    best = tntp.read_flows(tntp_dir / name / f"{name}_flow.tntp")
    assert best[["init_node", "term_node"]].to_numpy().tolist() == [[u, v] for u, v, _ in res.edges]
    ours = res.volumes["flow"].to_numpy()
    ref = best["volume"].to_numpy()
    tol = np.maximum(2.0, 1e-3 * ref)
    worst = np.argmax(np.abs(ours - ref) - tol)
    assert np.all(np.abs(ours - ref) <= tol), (res.edges[worst], ours[worst], ref[worst])


@pytest.mark.parametrize("name", ["SiouxFalls", "Anaheim"])
def test_objective_at_gap_1e6_is_the_best_known(tntp_dir: Path, name: str) -> None:
    _check_objective(tntp_dir, name)


@pytest.mark.parametrize("name", ["SiouxFalls", "Anaheim"])
def test_link_flows_equal_the_best_known(tntp_dir: Path, name: str) -> None:
    _check_flows(tntp_dir, name)


@pytest.mark.slow
@pytest.mark.parametrize("name", LARGE)
def test_objective_on_large_networks(tntp_dir: Path, name: str) -> None:
    _check_objective(tntp_dir, name)


@pytest.mark.slow
def test_link_flows_chicago_sketch(tntp_dir: Path) -> None:
    _check_flows(tntp_dir, "ChicagoSketch")


def _write(folder: Path, net: str, trips: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Toy_net.tntp").write_text(net, encoding="utf-8")
    (folder / "Toy_trips.tntp").write_text(trips, encoding="utf-8")
    return folder


NET = """<NUMBER OF ZONES> 2
<NUMBER OF NODES> 3
<FIRST THRU NODE> 1
<NUMBER OF LINKS> 3
<END OF METADATA>

~ init_node term_node capacity length free_flow_time b power speed toll link_type ;
1 2 {cap} 1 1 0.15 4 0 0 1 ;
2 3 1000 1 1 0.15 4 0 0 1 ;
1 3 1000 1 3 0.15 4 0 0 1 ;
"""
TRIPS = """<NUMBER OF ZONES> 2
<TOTAL OD FLOW> 3000
<END OF METADATA>

Origin 1
    {dest} : 3000.0;
"""


def test_a_small_file_problem_solves(tmp_path: Path) -> None:
    folder = _write(tmp_path / "toy", NET.format(cap=1000), TRIPS.format(dest=3))
    res = assignment.assign_tntp(tntp.load_problem(folder), gap=1e-10)
    v = res.volumes["flow"].to_numpy()
    # two routes 1-2-3 and 1-3 with equal cost: 2·(1 + .15 (x/1000)^4) = 3·(1 + .15 (y/1000)^4)
    x, y = v[0], v[2]
    assert x + y == pytest.approx(3000.0)
    assert 2 * (1 + 0.15 * (x / 1000) ** 4) == pytest.approx(3 * (1 + 0.15 * (y / 1000) ** 4))


@pytest.mark.parametrize(
    ("net", "trips", "message"),
    [
        (NET.format(cap=-5), TRIPS.format(dest=3), "capacity -5"),
        (NET.replace(" capacity", "").format(cap=1000), TRIPS.format(dest=3), "lacks the column"),
        (NET.format(cap=1000), TRIPS.format(dest=9), "demand zone 9 is not a node"),
    ],
)
def test_bad_files_are_one_clear_error(tmp_path: Path, net: str, trips: str, message: str) -> None:
    folder = _write(tmp_path / "bad", net, trips)
    with pytest.raises(TntpError, match=message):
        tntp.load_problem(folder)


@pytest.mark.parametrize(
    "name",
    ["SiouxFalls", "Anaheim", *(pytest.param(n, marks=pytest.mark.slow) for n in LARGE)],
)
def test_gap_measure_on_the_published_solutions(tntp_dir: Path, name: str) -> None:
    """The best-known flows are at equilibrium by our gap measure, with the published objective."""
    problem = tntp.load_problem(tntp_dir / name)
    best = tntp.read_flows(tntp_dir / name / f"{name}_flow.tntp")
    ev = assignment.evaluate_tntp(problem, best["volume"].to_numpy())
    assert abs(ev["relative_gap"]) < 1e-12
    assert _relative(ev["objective"], BEST_OBJECTIVE[name]) < 1e-9
    # the flow file's own costs are our link costs at its volumes
    file_cost = best["cost"].to_numpy()
    assert ev["tstt"] == pytest.approx(float(best["volume"].to_numpy() @ file_cost), rel=1e-9)
