"""The engine against networkx's Dijkstra: random graphs and the real OpenStreetMap graph."""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point

from sanqu_geo import engine, network


def _random_graph(seed: int, n: int = 60, m: int = 200) -> nx.MultiDiGraph:
    """A random directed multigraph with parallel edges, zero-time edges and islands."""
    rng = random.Random(seed)
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for i in range(n):
        G.add_node(i, x=126.5 + rng.random() * 0.2, y=45.6 + rng.random() * 0.2)
    for _ in range(m):
        u, v = rng.randrange(n - 3), rng.randrange(n - 3)  # the last three nodes are islands
        t = 0.0 if rng.random() < 0.05 else rng.uniform(1, 300)
        G.add_edge(u, v, travel_time=t, length=t * 10)
    return G


def _nx_times(G: nx.MultiDiGraph, source) -> dict:
    return nx.single_source_dijkstra_path_length(G, source, weight="travel_time")


@pytest.mark.parametrize("seed", range(8))
def test_od_matrix_equals_networkx_on_random_graphs(seed: int) -> None:
    G = _random_graph(seed)
    rng = random.Random(seed)
    origins = rng.sample(list(G.nodes), 15)
    destinations = rng.sample(list(G.nodes), 25)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", engine.UnreachableWarning)
        od = engine.od_matrix(G, origins, destinations)
        od_rev = engine.od_matrix(G, destinations, origins)  # exercises the reversed search
    for o in origins:
        ref = _nx_times(G, o)
        for d in destinations:
            assert od.loc[o, d] == pytest.approx(ref.get(d, np.inf), abs=1e-6)
    for d in destinations:
        ref = _nx_times(G, d)
        for o in origins:
            assert od_rev.loc[d, o] == pytest.approx(ref.get(o, np.inf), abs=1e-6)


def test_unreachable_pairs_are_inf_with_one_warning() -> None:
    G = _random_graph(1)
    island = max(G.nodes)
    with pytest.warns(engine.UnreachableWarning, match="unreachable") as record:
        od = engine.od_matrix(G, [0, 1], [island, 2])
    assert np.isinf(od.loc[0, island]) and np.isinf(od.loc[1, island])
    assert len([w for w in record if issubclass(w.category, engine.UnreachableWarning)]) == 1


def test_parallel_chunks_equal_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    G = _random_graph(3, n=300, m=1200)
    nodes = list(G.nodes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", engine.UnreachableWarning)
        serial = engine.od_matrix(G, nodes[:40], nodes[:50])
        monkeypatch.setattr(engine, "parallel_threshold", 0)
        monkeypatch.setattr(engine, "processes", 2)
        monkeypatch.setattr(engine, "chunk_bytes", 8 * 300 * 3)  # 3 rows per chunk
        parallel = engine.od_matrix(G, nodes[:40], nodes[:50])
    pd.testing.assert_frame_equal(serial, parallel)


def test_od_to_parquet_streams_the_same_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    G = _random_graph(4)
    nodes = list(G.nodes)[:30]
    monkeypatch.setattr(engine, "chunk_bytes", 8 * len(G) * 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", engine.UnreachableWarning)
        od = engine.od_matrix(G, nodes, nodes)
        path = engine.od_to_parquet(G, nodes, nodes, tmp_path / "od.parquet")
    long = pd.read_parquet(path)
    wide = long.pivot(index="origin", columns="destination", values="travel_time")
    np.testing.assert_allclose(wide.loc[nodes, nodes].to_numpy(), od.to_numpy())


@pytest.mark.parametrize("seed", range(5))
def test_route_time_is_the_sum_of_its_edges(seed: int) -> None:
    G = _random_graph(seed)
    rng = random.Random(seed)
    for _ in range(10):
        o, d = rng.sample(range(50), 2)
        ref = _nx_times(G, o).get(d)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", engine.UnreachableWarning)
            r = engine.route(G, o, d)
        if ref is None:
            assert r is None
            continue
        assert r.nodes[0] == o and r.nodes[-1] == d
        assert r.travel_time == pytest.approx(ref, abs=1e-6)
        assert sum(G.edges[e]["travel_time"] for e in r.edges) == pytest.approx(r.travel_time)
        assert sum(G.edges[e]["length"] for e in r.edges) == pytest.approx(r.length)


@pytest.fixture(scope="module")
def osm_graph():
    ref = (
        Path(__file__).resolve().parents[2]
        / "shared"
        / "reference"
        / "osm"
        / "aguascalientes.osm.bz2"
    )
    if not ref.is_file():
        pytest.skip(f"reference data not found at {ref} (a clone without ../shared)")
    return network.load_network(ref, use_cache=False)


def test_od_matrix_equals_networkx_on_the_real_osm_graph(osm_graph) -> None:
    rng = random.Random(42)
    nodes = list(osm_graph.nodes)
    origins, destinations = rng.sample(nodes, 30), rng.sample(nodes, 200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", engine.UnreachableWarning)
        od = engine.od_matrix(osm_graph, origins, destinations)
    for o in origins:
        ref = _nx_times(osm_graph, o)
        got = od.loc[o].to_numpy()
        want = np.array([ref.get(d, np.inf) for d in destinations])
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_route_on_the_real_graph_follows_edge_geometries(osm_graph) -> None:
    rng = random.Random(7)
    nodes = list(osm_graph.nodes)
    for _ in range(10):
        o, d = rng.sample(nodes, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", engine.UnreachableWarning)
            r = engine.route(osm_graph, o, d)
        if r is None:
            continue
        assert r.travel_time == pytest.approx(
            nx.dijkstra_path_length(osm_graph, o, d, weight="travel_time"), abs=1e-6
        )
        start = Point(osm_graph.nodes[o]["x"], osm_graph.nodes[o]["y"])
        end = Point(osm_graph.nodes[d]["x"], osm_graph.nodes[d]["y"])
        assert shapely.Point(r.geometry.coords[0]).distance(start) < 1e-9
        assert shapely.Point(r.geometry.coords[-1]).distance(end) < 1e-9
        geodesic = network._line_length_m(r.geometry)
        assert geodesic == pytest.approx(r.length, rel=0.01)


def test_isochrones_contain_reached_nodes_and_nest(osm_graph) -> None:
    origin = next(iter(osm_graph.nodes))
    minutes = [1, 2, 4]
    iso = engine.isochrones(osm_graph, [origin], minutes)
    assert list(iso["minutes"]) == minutes
    ref = _nx_times(osm_graph, origin)
    polys = list(iso.geometry)
    for m, poly in zip(minutes, polys, strict=True):
        inside = [n for n, t in ref.items() if t <= m * 60]
        pts = shapely.points([(osm_graph.nodes[n]["x"], osm_graph.nodes[n]["y"]) for n in inside])
        assert shapely.covers(poly.buffer(1e-9), pts).all()
    assert polys[0].area <= polys[1].area <= polys[2].area
    # nested up to reprojection round-off (1e-7 degree, about 1 cm)
    assert polys[1].buffer(1e-7).covers(polys[0]) and polys[2].buffer(1e-7).covers(polys[1])
    assert (iso["area_km2"] > 0).all()


def test_isochrone_points_lie_near_reached_roads(osm_graph) -> None:
    """The stated tolerance: without filled holes, every node inside lies within the buffer
    of a reached road."""
    import geopandas as gpd

    origin = list(osm_graph.nodes)[10]
    iso = engine.isochrones(osm_graph, [origin], [2], fill_holes=False)
    poly = iso.geometry.iloc[0]
    ref = _nx_times(osm_graph, origin)
    reached = [
        LineString(
            [
                (osm_graph.nodes[u]["x"], osm_graph.nodes[u]["y"]),
                (osm_graph.nodes[v]["x"], osm_graph.nodes[v]["y"]),
            ]
        )
        for u, v in osm_graph.edges()
        if ref.get(u, np.inf) <= 120
    ]
    roads = gpd.GeoSeries(reached, crs=4326).to_crs("EPSG:4551").union_all()
    nodes = [
        n
        for n in osm_graph.nodes
        if shapely.covers(poly, Point(osm_graph.nodes[n]["x"], osm_graph.nodes[n]["y"]))
    ]
    pts = gpd.GeoSeries(
        [Point(osm_graph.nodes[n]["x"], osm_graph.nodes[n]["y"]) for n in nodes], crs=4326
    ).to_crs("EPSG:4551")
    assert (pts.distance(roads) <= engine.isochrone_buffer_m + 1).all()


def test_reach_counts_match_brute_force(osm_graph) -> None:
    rng = random.Random(3)
    nodes = list(osm_graph.nodes)
    origins = rng.sample(nodes, 5)
    opportunities = rng.sample(nodes, 100)
    weights = [rng.randint(1, 9) for _ in opportunities]
    result = engine.reach(osm_graph, origins, [1, 3], opportunities, weights=weights)
    for o in origins:
        ref = _nx_times(osm_graph, o)
        for m in (1, 3):
            want = sum(
                w
                for n, w in zip(opportunities, weights, strict=True)
                if ref.get(n, np.inf) <= m * 60
            )
            assert result.loc[o, m] == pytest.approx(want)


def test_unknown_node_is_a_clear_error() -> None:
    from sanqu_geo.errors import NetworkError

    with pytest.raises(NetworkError, match="origin id"):
        engine.od_matrix(_random_graph(0), ["nowhere"], [1])


def test_route_and_isochrones_on_an_undirected_simple_graph() -> None:
    G = _random_graph(4)
    simple = nx.Graph(G)  # parallel edges merge: the last one's attributes stay
    found = engine.route(simple, 0, 5)
    expected = nx.shortest_path_length(simple, 0, 5, weight="travel_time")
    assert found is not None and found.travel_time == pytest.approx(expected, abs=1e-9)
    assert found.nodes[0] == 0 and found.nodes[-1] == 5
    iso = engine.isochrones(simple, [0], [5, 10])
    assert list(iso["minutes"]) == [5.0, 10.0]
    small, big = iso.geometry.iloc[0], iso.geometry.iloc[1]
    assert small.area > 0 and small.difference(big).area < 1e-6 * small.area  # nested


def test_a_graph_without_node_coordinates_is_named() -> None:
    from sanqu_geo.errors import NetworkError

    G = nx.MultiDiGraph()
    G.add_edge("a", "b", travel_time=10.0)
    G.add_edge("b", "c", travel_time=10.0)
    assert engine.od_matrix(G, ["a"], ["c"]).iloc[0, 0] == 20.0  # no coordinates needed
    with pytest.raises(NetworkError, match="node 'a' has no usable x/y"):
        engine.route(G, "a", "c")
    with pytest.raises(NetworkError, match="x/y"):
        engine.isochrones(G, ["a"], [15])


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(15, [15.0]), ([30, 15.5], [15.5, 30.0]), (np.array([60, 5]), [5.0, 60.0])],
)
def test_check_minutes_takes_numbers(minutes, expected) -> None:
    assert engine.check_minutes(minutes) == expected


@pytest.mark.parametrize("minutes", ["15", [], None, [float("nan")], [0], [-5], [1441], [True]])
def test_check_minutes_refuses_the_rest(minutes) -> None:
    from sanqu_geo.errors import NetworkError

    with pytest.raises(NetworkError, match="minutes"):
        engine.check_minutes(minutes)


def test_reach_checks_weights_and_connectors_per_opportunity() -> None:
    from sanqu_geo.errors import NetworkError

    G = _random_graph(2)
    ok = engine.reach(G, [0], [600], [1, 2], weights=[2.0, 3.0], extra_seconds=[0.0, 0.0])
    times = nx.single_source_dijkstra_path_length(G, 0, weight="travel_time")
    expected = 2.0 * (times.get(1, np.inf) <= 36_000) + 3.0 * (times.get(2, np.inf) <= 36_000)
    assert ok.iloc[0, 0] == expected
    for kwargs, needle in [
        ({"weights": [1.0]}, "weights has 1 values for 2"),
        ({"weights": [1.0, float("nan")]}, "weights must be finite"),
        ({"extra_seconds": [-1.0, 0.0]}, "extra_seconds must be finite numbers >= 0"),
        ({"weights": "ab"}, "weights must be a list"),
    ]:
        with pytest.raises(NetworkError, match=needle):
            engine.reach(G, [0], [10], [1, 2], **kwargs)


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda G: engine.od_matrix(None, [0], [1]), "must be a networkx road graph"),
        (lambda G: engine.od_matrix(G, 0, [1]), "origins must be a list of node ids"),
        (lambda G: engine.od_matrix(G, [0], None), "destinations must be a list"),
        (lambda G: engine.od_matrix(G, [[0]], [1]), "origin id '\\[0\\]' is not a node id"),
        (lambda G: engine.od_matrix(G, [0], [1], weight=None), "weight must be the name"),
        (lambda G: engine.od_matrix(G, [0], [1], progress=1), "progress must be a function"),
        (lambda G: engine.isochrones(G, [0], [15], buffer_m=0), "buffer_m must be"),
        (lambda G: engine.isochrones(G, [0], [15], buffer_m=1e6), "buffer_m must be"),
        (lambda G: engine.od_to_parquet(G, [0], [1], None), "path must be"),
        (lambda G: engine.clear_cache([G]), "must be a networkx road graph"),
    ],
)
def test_wrong_arguments_are_network_errors(call, needle) -> None:
    from sanqu_geo.errors import DataSourceError, NetworkError

    with pytest.raises((NetworkError, DataSourceError), match=needle):
        call(_random_graph(3))
