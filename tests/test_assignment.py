"""Multi-class user equilibrium on graphs: brute-force optimum, PCE, classes, congested graphs."""

from __future__ import annotations

import math
import random

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from sanqu_geo import assignment, engine
from sanqu_geo.errors import AssignmentError

ALPHA, BETA = 0.15, 4.0


def _toy() -> nx.MultiDiGraph:
    """A → B three ways: a fast road closed to trucks, a two-link route, a slow parallel road."""
    G = nx.MultiDiGraph()
    G.add_edge("A", "B", key=0, travel_time=600.0, capacity=1000.0, length=10_000.0)
    G.add_edge("A", "C", key=0, travel_time=400.0, capacity=800.0, truck_time=500.0, length=6000.0)
    G.add_edge("C", "B", key=0, travel_time=400.0, capacity=800.0, truck_time=500.0, length=6000.0)
    G.add_edge(
        "A", "B", key=1, travel_time=1000.0, capacity=2000.0, truck_time=1100.0, length=14_000.0
    )
    return G


def _od(pairs: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["origin", "destination", "trips"])


def _brute_force_toy(cars_ab: float, cars_cb: float, trucks_ab: float, pce: float) -> np.ndarray:
    """Minimise the multi-class Beckmann objective over path flows with scipy.

    Paths: cars A→B via (A,B,0), via C, via (A,B,1); cars C→B on (C,B,0); trucks A→B via C
    or via (A,B,1). Returns link flows [cars(4), trucks(4)] in the graph's edge order
    (A,B,0), (A,B,1), (A,C,0), (C,B,0).
    """
    t0 = np.array([600.0, 1000.0, 400.0, 400.0])
    cap = np.array([1000.0, 2000.0, 800.0, 800.0])
    car_c0 = t0
    truck_c0 = np.array([np.inf, 1100.0, 500.0, 500.0])
    # path-link incidence per class (columns: edges)
    car_paths = np.array([[1, 0, 0, 0], [0, 0, 1, 1], [0, 1, 0, 0]], float)
    truck_paths = np.array([[0, 0, 1, 1], [0, 1, 0, 0]], float)
    scale = 1000.0

    def split(z):
        f = z[:2] * scale
        g = z[2:] * scale
        car_f = np.array([f[0], f[1], cars_ab - f[0] - f[1]])
        truck_f = np.array([g[0], trucks_ab - g[0]])
        x_car = car_f @ car_paths + np.array([0, 0, 0, cars_cb])
        x_truck = truck_f @ truck_paths
        return car_f, truck_f, x_car, x_truck

    def objective(z):
        _, _, x_car, x_truck = split(z)
        v = x_car + pce * x_truck
        integral = t0 * ALPHA * cap * (v / cap) ** (BETA + 1) / (BETA + 1)
        return (x_car @ car_c0 + pce * (x_truck[1:] @ truck_c0[1:]) + integral.sum()) / 1e6

    cons = [
        {"type": "ineq", "fun": lambda z: cars_ab / scale - z[0] - z[1]},
        {"type": "ineq", "fun": lambda z: trucks_ab / scale - z[2]},
    ]
    start = np.array([cars_ab / 3, cars_ab / 3, trucks_ab / 2, 0.0])[:3] / scale
    res = minimize(
        objective,
        start,
        method="SLSQP",
        bounds=[(0, None)] * 3,
        constraints=cons,
        options={"ftol": 1e-15, "maxiter": 2000},
    )
    assert res.success, res.message
    _, _, x_car, x_truck = split(res.x)
    return np.concatenate([x_car, x_truck])


def test_two_classes_with_a_truck_ban_equal_the_brute_force_optimum() -> None:
    G = _toy()
    cars = assignment.DemandClass("car", _od([("A", "B", 1500.0), ("C", "B", 200.0)]))
    trucks = assignment.DemandClass(
        "truck", _od([("A", "B", 300.0)]), pce=2.5, time_attr="truck_time"
    )
    res = assignment.assign(G, [cars, trucks], gap=1e-10)
    assert res.relative_gap <= 1e-10
    order = [("A", "B", 0), ("A", "B", 1), ("A", "C", 0), ("C", "B", 0)]
    ours = np.concatenate(
        [res.volumes["car"].loc[order].to_numpy(), res.volumes["truck"].loc[order].to_numpy()]
    )
    expected = _brute_force_toy(1500.0, 200.0, 300.0, 2.5)
    np.testing.assert_allclose(ours, expected, atol=0.05)
    # the ban holds and every class is loaded in full
    assert res.volumes.loc[("A", "B", 0), "truck"] == 0.0
    assert res.volumes["truck"].loc[[("A", "B", 1), ("A", "C", 0)]].sum() == pytest.approx(300.0)
    # PCU volume and the BPR time by hand
    pcu = res.volumes["car"] + 2.5 * res.volumes["truck"]
    np.testing.assert_allclose(res.volumes["pcu"], pcu)
    t0 = np.array([G.edges[e]["travel_time"] for e in res.edges])
    cap = np.array([G.edges[e]["capacity"] for e in res.edges])
    np.testing.assert_allclose(res.time, t0 * (1 + ALPHA * (pcu.to_numpy() / cap) ** BETA))
    np.testing.assert_allclose(res.vc, pcu.to_numpy() / cap)


def _grid(n: int = 6, seed: int = 3) -> nx.MultiDiGraph:
    rng = random.Random(seed)
    G = nx.MultiDiGraph()
    for i in range(n):
        for j in range(n):
            for di, dj in ((0, 1), (1, 0), (0, -1), (-1, 0)):
                a, b = i + di, j + dj
                if 0 <= a < n and 0 <= b < n:
                    t = rng.uniform(30, 90)
                    G.add_edge(
                        (i, j),
                        (a, b),
                        travel_time=t,
                        truck_time=t * 1.3,
                        capacity=rng.choice([600.0, 900.0, 1800.0]),
                        length=t * 12.0,
                    )
    return nx.convert_node_labels_to_integers(G)


def _grid_demand(G: nx.MultiDiGraph, scale: float, seed: int = 5) -> pd.DataFrame:
    rng = random.Random(seed)
    nodes = list(G.nodes)
    pairs = set()
    while len(pairs) < 40:
        o, d = rng.sample(nodes, 2)
        pairs.add((o, d))
    return _od([(o, d, scale * rng.uniform(50, 400)) for o, d in sorted(pairs)])


def test_pce_scaling_is_honoured() -> None:
    G = _grid()
    od = _grid_demand(G, 1.0)
    od2 = od.assign(trips=od["trips"] * 2.0)
    as_trucks = assignment.assign(G, [assignment.DemandClass("truck", od, pce=2.0)], gap=1e-10)
    as_cars = assignment.assign(G, [assignment.DemandClass("car", od2)], gap=1e-10)
    np.testing.assert_allclose(as_trucks.volumes["pcu"], as_cars.volumes["pcu"], atol=1e-3)
    np.testing.assert_allclose(as_trucks.volumes["truck"] * 2.0, as_cars.volumes["car"], atol=1e-3)
    assert as_trucks.objective == pytest.approx(as_cars.objective, rel=1e-9)
    # a heavier class loads the network more than the same vehicles as cars
    as_light = assignment.assign(G, [assignment.DemandClass("truck", od, pce=1.0)], gap=1e-10)
    assert as_light.volumes["pcu"].sum() < as_trucks.volumes["pcu"].sum()


def test_a_class_without_demand_changes_nothing() -> None:
    G = _grid()
    od = _grid_demand(G, 2.0)
    cars = assignment.DemandClass("car", od)
    alone = assignment.assign(G, [cars], gap=1e-10)
    empty = assignment.DemandClass("truck", od.assign(trips=0.0), pce=2.5, time_attr="truck_time")
    with_empty = assignment.assign(G, [cars, empty], gap=1e-10)
    np.testing.assert_allclose(with_empty.volumes["car"], alone.volumes["car"], atol=1e-6)
    np.testing.assert_allclose(with_empty.volumes["pcu"], alone.volumes["pcu"], atol=1e-6)
    assert (with_empty.volumes["truck"] == 0).all()
    assert with_empty.objective == pytest.approx(alone.objective, rel=1e-12)


def test_multiclass_grid_reaches_equilibrium_with_a_honest_gap() -> None:
    G = _grid()
    cars = assignment.DemandClass("car", _grid_demand(G, 3.0, seed=1))
    trucks = assignment.DemandClass(
        "truck", _grid_demand(G, 0.5, seed=2), pce=2.5, time_attr="truck_time"
    )
    res = assignment.assign(G, [cars, trucks], gap=1e-8)
    assert res.converged and res.relative_gap <= 1e-8
    # recompute the gap from scratch with networkx at the returned flows
    total = 0.0
    shortest = 0.0
    for cls in (cars, trucks):
        pce = cls.pce
        cost = res.class_cost[cls.name]
        x = res.volumes[cls.name].to_numpy()
        total += pce * float(np.sum(x * cost))
        H = nx.DiGraph()
        for i, (u, v, _k) in enumerate(res.edges):
            if not H.has_edge(u, v) or H[u][v]["w"] > cost[i]:
                H.add_edge(u, v, w=cost[i])
        for o, d, t in cls.od.itertuples(index=False):
            shortest += pce * t * nx.shortest_path_length(H, o, d, weight="w")
    assert (total - shortest) / total == pytest.approx(res.relative_gap, abs=1e-10)
    assert list(res.history.columns) == ["iteration", "relative_gap", "aec", "objective", "seconds"]
    assert res.history["relative_gap"].iloc[-1] == res.relative_gap
    # vehicle-hours and -km by hand
    vht = assignment.vehicle_hours(res)
    assert vht["truck"] == pytest.approx(
        float(np.sum(res.volumes["truck"].to_numpy() * res.class_cost["truck"])) / 3600
    )
    lengths = np.array([G.edges[e]["length"] for e in res.edges])
    vkt = assignment.vehicle_km(res)
    assert vkt["car"] == pytest.approx(float(res.volumes["car"].to_numpy() @ lengths) / 1000)


def test_centroids_are_not_passed_through() -> None:
    G = nx.MultiDiGraph()
    # the short way from 1 to 3 runs through zone 2
    G.add_edge(1, 2, travel_time=10.0, capacity=1000.0)
    G.add_edge(2, 3, travel_time=10.0, capacity=1000.0)
    G.add_edge(1, 3, travel_time=100.0, capacity=1000.0)
    od = _od([(1, 3, 100.0)])
    free = assignment.assign(G, [assignment.DemandClass("car", od)])
    assert free.volumes.loc[(1, 2, 0), "car"] == pytest.approx(100.0)
    blocked = assignment.assign(G, [assignment.DemandClass("car", od)], centroids=[1, 2, 3])
    assert blocked.volumes.loc[(1, 3, 0), "car"] == pytest.approx(100.0)
    assert blocked.volumes.loc[(1, 2, 0), "car"] == 0.0


def test_congested_graph_feeds_the_engine() -> None:
    G = _grid()
    cars = assignment.DemandClass("car", _grid_demand(G, 4.0))
    trucks = assignment.DemandClass(
        "truck", _grid_demand(G, 0.2, seed=4), pce=2.5, time_attr="truck_time"
    )
    res = assignment.assign(G, [cars, trucks], gap=1e-8)
    H = assignment.congested_graph(res)
    assert H is not G
    for i, e in enumerate(res.edges):
        assert H.edges[e]["travel_time"] == pytest.approx(res.time[i])
        assert H.edges[e]["free_flow_time"] == G.edges[e]["travel_time"]
        assert H.edges[e]["travel_time"] >= G.edges[e]["travel_time"]
        # the truck time carries the same delay
        delay = res.time[i] - G.edges[e]["travel_time"]
        assert H.edges[e]["truck_time"] == pytest.approx(G.edges[e]["truck_time"] + delay)
    assert assignment.congested_graph(G, res).edges[res.edges[0]]["travel_time"] == res.time[0]
    # shortest congested times from the engine equal the equilibrium costs of used paths
    o, d = cars.od.iloc[0, 0], cars.od.iloc[0, 1]
    times = engine.od_matrix(H, [o], [d])
    nx_time = nx.shortest_path_length(H, o, d, weight="travel_time")
    assert times.iloc[0, 0] == pytest.approx(nx_time)
    free = engine.od_matrix(G, [o], [d]).iloc[0, 0]
    assert times.iloc[0, 0] > free


def test_select_link_adds_up_to_the_link_volume() -> None:
    G = _grid()
    cars = assignment.DemandClass("car", _grid_demand(G, 3.0, seed=8))
    trucks = assignment.DemandClass(
        "truck", _grid_demand(G, 0.4, seed=9), pce=2.5, time_attr="truck_time"
    )
    res = assignment.assign(G, [cars, trucks], gap=1e-9)
    busiest = res.volumes["pcu"].idxmax()
    sel = assignment.select_link(res, [busiest])
    for name in ("car", "truck"):
        assert sel.loc[sel["class"] == name, "flow"].sum() == pytest.approx(
            res.volumes.loc[busiest, name], rel=1e-9, abs=1e-9
        )
    assert ((sel["share"] > 0) & (sel["share"] <= 1 + 1e-12)).all()
    # two links: a pair is counted once even when its paths use both
    second = res.volumes["pcu"].drop(busiest).idxmax()
    both = assignment.select_link(res, [busiest, second[:2]])
    assert (
        both["flow"].sum()
        <= res.volumes.loc[[busiest, second], ["car", "truck"]].sum().sum() + 1e-9
    )
    assert both["flow"].sum() >= sel["flow"].sum() - 1e-9
    with pytest.raises(AssignmentError, match="not an edge"):
        assignment.select_link(res, [("nowhere", "else", 0)])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda G, od: (G, od.drop(columns="trips")), "lacks the column"),
        (lambda G, od: (G, od.assign(origin="Z")), "not a node"),
        (lambda G, od: (G, od.assign(trips=-1.0)), "negative"),
    ],
)
def test_bad_demand_is_one_clear_error(change, message) -> None:
    G, od = change(_toy(), _od([("A", "B", 100.0)]))
    with pytest.raises(AssignmentError, match=message):
        assignment.assign(G, [assignment.DemandClass("car", od)])


def test_a_loaded_link_without_capacity_is_an_error() -> None:
    G = _toy()
    G.edges["A", "C", 0]["capacity"] = 0.0
    # unused by this demand: fine
    ok = assignment.assign(G, [assignment.DemandClass("car", _od([("C", "B", 10.0)]))])
    assert ok.volumes.loc[("C", "B", 0), "car"] == pytest.approx(10.0)
    with pytest.raises(AssignmentError, match=r"capacity is missing or <= 0"):
        assignment.assign(G, [assignment.DemandClass("car", _od([("A", "B", 3000.0)]))])


@pytest.mark.parametrize("gap", [0.0, -1e-6, math.nan])
def test_gap_must_be_positive(gap) -> None:
    with pytest.raises(AssignmentError, match="gap must be a positive number"):
        assignment.assign(_toy(), [assignment.DemandClass("car", _od([("A", "B", 1.0)]))], gap=gap)


def test_unreachable_demand_names_the_pair() -> None:
    G = _toy()
    with pytest.raises(AssignmentError, match="no path for class car from B to A"):
        assignment.assign(G, [assignment.DemandClass("car", _od([("B", "A", 1.0)]))])


def test_conical_delay_matches_its_formula() -> None:
    G = _toy()
    res = assignment.assign(
        G, [assignment.DemandClass("car", _od([("A", "B", 2500.0)]))], vdf="conical", gap=1e-10
    )
    a = 4.0
    b = (2 * a - 1) / (2 * a - 2)
    x = res.vc
    f = 2 + np.sqrt(a**2 * (1 - x) ** 2 + b**2) - a * (1 - x) - b
    t0 = np.array([G.edges[e]["travel_time"] for e in res.edges])
    np.testing.assert_allclose(res.time, t0 * f)
    # at equilibrium the three A→B routes that carry flow cost the same
    used = res.volumes["car"] > 1e-6
    route_cost = {
        "direct": res.time[0],
        "parallel": res.time[res.edges.index(("A", "B", 1))],
        "via C": res.time[res.edges.index(("A", "C", 0))]
        + res.time[res.edges.index(("C", "B", 0))],
    }
    assert used.all()
    assert max(route_cost.values()) - min(route_cost.values()) < 1e-6


def test_add_class_time_bans_edges_missing_from_the_class_graph() -> None:
    G = _toy()
    trucks_graph = G.copy()
    trucks_graph.remove_edge("A", "B", 0)
    for _, _, data in trucks_graph.edges(data=True):
        data["travel_time"] *= 1.25
    H = assignment.add_class_time(G, trucks_graph, "lorry_time")
    assert "lorry_time" not in G.edges["A", "C", 0]
    assert H.edges["A", "B", 0]["lorry_time"] == math.inf
    assert H.edges["A", "C", 0]["lorry_time"] == 500.0
    res = assignment.assign(
        H, [assignment.DemandClass("lorry", _od([("A", "B", 50.0)]), time_attr="lorry_time")]
    )
    assert res.volumes.loc[("A", "B", 0), "lorry"] == 0.0
    assert res.volumes["lorry"].sum() > 0


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"name": None}, "name must be a text"),
        ({"name": " "}, "name must be a text"),
        ({"od": {"origin": ["A"], "destination": ["B"], "trips": [1.0]}}, "must be a pandas"),
        ({"pce": "2"}, "pce must be a positive number"),
        ({"pce": None}, "pce must be a positive number"),
        ({"pce": True}, "pce must be a positive number"),
        ({"pce": 0.0}, "pce must be a positive number"),
        ({"pce": 21.0}, "at most 20"),
        ({"time_attr": 3}, "time_attr must be the name"),
    ],
)
def test_demand_class_checks_its_fields(kwargs, needle) -> None:
    fields = {"name": "car", "od": _od([("A", "B", 1.0)]), **kwargs}
    name, od = fields.pop("name"), fields.pop("od")
    with pytest.raises(AssignmentError, match=needle):
        assignment.DemandClass(name, od, **fields)


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda G, c: assignment.assign(nx.Graph(G), [c]), "must be a networkx.MultiDiGraph"),
        (lambda G, c: assignment.assign(nx.DiGraph(G), [c]), "got DiGraph"),
        (lambda G, c: assignment.assign(G, c), r"got one DemandClass; pass \[car\]"),
        (lambda G, c: assignment.assign(G, []), "classes is empty"),
        (lambda G, c: assignment.assign(G, ["car"]), "found str"),
        (lambda G, c: assignment.assign(G, {"car": c}), "got dict"),
        (lambda G, c: assignment.assign(G, [c], vdf=["bpr"]), "vdf must be one of"),
        (lambda G, c: assignment.assign(G, [c], gap=True), "gap must be a positive number"),
        (lambda G, c: assignment.assign(G, [c], max_iterations=0), "max_iterations"),
        (lambda G, c: assignment.assign(G, [c], max_iterations=2.5), "max_iterations"),
        (lambda G, c: assignment.assign(G, [c], centroids="A"), "centroids must be a collection"),
        (lambda G, c: assignment.assign(G, [c], centroids=[["A"]]), "centroid"),
        (lambda G, c: assignment.assign(G, [c], warm={}), "warm must be an AssignmentResult"),
        (lambda G, c: assignment.assign(G, [c], progress="p"), "progress must be a function"),
        (lambda G, c: assignment.vehicle_hours(None), "needs an AssignmentResult"),
        (lambda G, c: assignment.select_link(None, []), "needs an AssignmentResult"),
        (lambda G, c: assignment.add_class_time(G, nx.Graph(G), "t"), "class_graph must be"),
        (lambda G, c: assignment.add_class_time(G, G, None), "attr must be the name"),
        (lambda G, c: assignment.assign_tntp(None), "needs a sanqu_geo.tntp.TntpProblem"),
    ],
)
def test_wrong_arguments_are_assignment_errors(call, needle) -> None:
    G = _toy()
    with pytest.raises(AssignmentError, match=needle):
        call(G, assignment.DemandClass("car", _od([("A", "B", 100.0)])))


def test_demand_beyond_a_plausible_pair_or_on_a_missing_time_is_refused() -> None:
    G = _toy()
    too_many = assignment.DemandClass("car", _od([("A", "B", 2e6)]))
    with pytest.raises(AssignmentError, match="more than the 1,000,000"):
        assignment.assign(G, [too_many])
    typo = assignment.DemandClass("truck", _od([("A", "B", 10.0)]), time_attr="truck_tiem")
    with pytest.raises(AssignmentError, match="no edge has a usable 'truck_tiem'"):
        assignment.assign(G, [typo])
    with pytest.raises(AssignmentError, match=r"origin \['A'\] is not a node id"):
        assignment.assign(G, [assignment.DemandClass("car", _od([(["A"], "B", 1.0)]))])
    # at the limit it is assigned
    fine = assignment.DemandClass("car", _od([("A", "B", 1e6)]))
    assert assignment.assign(G, [fine]).volumes["car"].sum() >= 1e6
