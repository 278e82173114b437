"""Corridors spliced into graphs: the fast exact evaluation against full recomputation, and errors."""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, Point

from sanqu_geo import engine, network, scenarios, settings
from sanqu_geo.errors import ScenarioError

_TO_WGS = Transformer.from_crs(settings.metric_crs, settings.default_crs, always_xy=True)
X0, Y0 = 540_000.0, 5_060_000.0


def _wgs(x: float, y: float) -> tuple[float, float]:
    return _TO_WGS.transform(X0 + x, Y0 + y)


def _grid_graph(seed: int, size: int = 9, spacing: float = 600.0) -> nx.MultiDiGraph:
    """A perturbed grid road graph in WGS-84 with one-way streets and random speeds."""
    rng = random.Random(seed)
    G = nx.MultiDiGraph(crs="EPSG:4326", profile="car")
    for i in range(size):
        for j in range(size):
            x, y = _wgs(i * spacing + rng.uniform(-60, 60), j * spacing + rng.uniform(-60, 60))
            G.add_node(i * size + j, x=x, y=y)
    for i in range(size):
        for j in range(size):
            for di, dj in ((1, 0), (0, 1)):
                if i + di >= size or j + dj >= size or rng.random() < 0.1:
                    continue
                u, v = i * size + j, (i + di) * size + j + dj
                geom = LineString(
                    [(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])]
                )
                length = network._line_length_m(geom)
                speed = rng.choice([30.0, 40.0, 50.0])
                attrs = {
                    "highway": "primary",
                    "length": length,
                    "travel_time": length / (speed / 3.6),
                }
                G.add_edge(u, v, **attrs, geometry=geom)
                if rng.random() > 0.15:
                    G.add_edge(v, u, **attrs, geometry=geom.reverse())
    return G


def _random_corridor(
    seed: int, G: nx.MultiDiGraph, size: int = 9, spacing: float = 600.0
) -> scenarios.Corridor:
    """A corridor across the grid whose interchanges fall on nodes, on edges and off the network."""
    rng = random.Random(seed)
    a = (rng.uniform(-1500, 0), rng.uniform(0, size * spacing))
    b = (size * spacing + rng.uniform(0, 1500), rng.uniform(0, size * spacing))
    line = LineString([_wgs(*a), _wgs(*b)])
    points = [Point(line.coords[0]), Point(line.coords[-1])]  # off the network: connectors
    nodes = list(G.nodes)
    for _ in range(rng.randint(1, 3)):  # on a node (the node lies near the line's path)
        n = rng.choice(nodes)
        points.append(Point(G.nodes[n]["x"], G.nodes[n]["y"]))
    edges = list(G.edges(keys=True, data=True))
    for _ in range(rng.randint(0, 2)):  # on an edge, away from its ends
        *_, data = rng.choice(edges)
        points.append(data["geometry"].interpolate(rng.uniform(0.3, 0.7), normalized=True))
    # The line is drawn through its interchanges in the order they fall along it.
    ordered = sorted(points, key=line.project)
    return scenarios.Corridor(
        id=f"c{seed}",
        title_zh="测试走廊",
        title_en="test corridor",
        kind=rng.choice(["expressway", "urban_expressway", "arterial"]),
        geometry=LineString([p.coords[0] for p in ordered]),
        interchanges=tuple(ordered),
        design_speed_kph=rng.choice([60.0, 80.0, 100.0]),
    )


@pytest.mark.parametrize("seed", range(12))
def test_fast_evaluation_equals_full_recomputation_on_random_corridors(seed: int) -> None:
    G = _grid_graph(seed)
    corridors = [_random_corridor(seed * 10 + k, G) for k in range(1 + seed % 2)]
    plan = scenarios.plan_splice(G, corridors)
    methods = {r["method"] for r in plan.report}
    assert "connector" in methods
    nodes = list(G.nodes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", engine.UnreachableWarning)
        H = scenarios.apply(G, corridors)
        full = engine.od_matrix(H, nodes, nodes)
        fast = engine.corridor_od(
            G, list(plan.new_nodes), plan.new_edges, plan.anchors, nodes, nodes
        )
        base = engine.od_matrix(G, nodes, nodes)
    np.testing.assert_allclose(fast.to_numpy(), full.to_numpy(), atol=1e-6)
    assert (full.to_numpy() <= base.to_numpy() + 1e-9).all()  # building never slows a trip


def test_apply_never_changes_the_base_graph() -> None:
    G = _grid_graph(1)
    before = (G.number_of_nodes(), G.number_of_edges(), sorted(G.edges(keys=True)))
    H = scenarios.apply(G, [_random_corridor(5, G)])
    assert (G.number_of_nodes(), G.number_of_edges(), sorted(G.edges(keys=True))) == before
    assert H.number_of_nodes() > G.number_of_nodes()
    assert any("corridor" in d for *_, d in H.edges(data=True))


def test_split_edge_keeps_its_time_and_length() -> None:
    G = _grid_graph(2)
    u, v, _k, data = next(iter(G.edges(keys=True, data=True)))
    mid = data["geometry"].interpolate(0.5, normalized=True)
    far = Point(_wgs(-2000, -2000))
    corridor = scenarios.Corridor(
        "x", "x", "x", "arterial", LineString([far.coords[0], mid.coords[0]]), (far, mid), 50.0
    )
    plan = scenarios.plan_splice(G, [corridor])
    assert [r["method"] for r in plan.report] == ["connector", "on edge (split)"]
    (p,) = [n for n in plan.new_nodes if any(s[3] == n for s in plan.split_edges)]
    halves = [a for x, y, a in plan.new_edges if (x, y) in ((u, p), (p, v))]
    assert sum(h["travel_time"] for h in halves) == pytest.approx(data["travel_time"])
    assert sum(h["length"] for h in halves) == pytest.approx(data["length"])


def test_expressway_joins_only_at_interchanges() -> None:
    """A corridor crossing the whole grid with two interchanges touches the graph at two nodes."""
    G = _grid_graph(3)
    a, b = Point(G.nodes[0]["x"], G.nodes[0]["y"]), Point(G.nodes[80]["x"], G.nodes[80]["y"])
    corridor = scenarios.Corridor(
        "e", "e", "e", "expressway", LineString([a.coords[0], b.coords[0]]), (a, b), 100.0
    )
    plan = scenarios.plan_splice(G, [corridor])
    assert sorted(plan.anchors) == [0, 80]


def test_freight_only_corridor_is_ignored_by_cars() -> None:
    G = _grid_graph(4)
    corridor = scenarios.Corridor(
        "f",
        "f",
        "f",
        "expressway",
        LineString([_wgs(0, 0), _wgs(4800, 4800)]),
        (Point(_wgs(0, 0)), Point(_wgs(4800, 4800))),
        100.0,
        vehicles="freight",
    )
    assert scenarios.plan_splice(G, [corridor], profile="car").new_edges == []
    assert scenarios.plan_splice(G, [corridor], profile="truck").new_edges != []


@pytest.fixture(scope="module")
def plan_scenario() -> scenarios.Scenario:
    return scenarios.load_scenario()


def test_embedded_scenario_lists_the_plan_options(plan_scenario: scenarios.Scenario) -> None:
    assert set(plan_scenario.groups) == {
        "airport_second_passage",
        "freight_expressway",
        "inland_port_last_mile",
        "airport_rail",
        "hashuang_extension",
    }
    ids = {c.id for o in plan_scenario.options for c in o.corridors}
    assert {
        "airport_second_passage_ph1",
        "feeder_ftz_ring",
        "inland_port_last_mile",
        "airport_art_harbin_west",
        "hashuang_north_extension",
    } <= ids
    ph1 = next(o for o in plan_scenario.options if o.id == "second_passage_ph1")
    assert ph1.cost == pytest.approx(3.57e9)


def test_every_embedded_option_fast_equals_full(plan_scenario: scenarios.Scenario) -> None:
    for option in plan_scenario.options:
        profile = option.profile or plan_scenario.profile
        G = network.load_network("trunk", profile=profile)
        nodes = list(G.nodes)
        plan = scenarios.plan_splice(G, option.corridors, profile=profile)
        fast = engine.corridor_od(
            G, list(plan.new_nodes), plan.new_edges, plan.anchors, nodes, nodes
        )
        full = engine.od_matrix(scenarios.apply(G, option, profile=profile), nodes, nodes)
        np.testing.assert_allclose(fast.to_numpy(), full.to_numpy(), atol=1e-6, err_msg=option.id)


_GOOD = """
[scenario]
name_zh = "测试"
[corridor.c1]
kind = "arterial"
design_speed_kph = 60
coordinates = [[126.7630, 45.7052], [126.7925, 45.6976]]
[[group]]
id = "g"
[[group.option]]
id = "o1"
corridors = ["c1"]
"""


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[scenario\nname_zh = 1", r"not valid TOML"),
        (
            _GOOD.replace('id = "o1"', 'id = "o1"\ncolour = "red"'),
            r"option 'o1': unknown field\(s\) colour",
        ),
        (
            _GOOD.replace("design_speed_kph = 60", "design_speed_kph = -60"),
            r"corridor 'c1': field 'design_speed_kph': -60 must be positive",
        ),
        (
            _GOOD.replace("[[126.7630, 45.7052], [126.7925, 45.6976]]", "[[126.7630, 45.7052]]"),
            r"corridor 'c1': field 'coordinates': a corridor needs at least two distinct points",
        ),
        (
            _GOOD.replace('kind = "arterial"', 'kind = "tunnel"'),
            r"corridor 'c1': field 'kind': 'tunnel'",
        ),
        (
            _GOOD.replace('corridors = ["c1"]', 'corridors = ["c2"]'),
            r"option 'o1': field 'corridors': unknown corridor\(s\) c2",
        ),
        (
            _GOOD.replace(
                "[[126.7630, 45.7052], [126.7925, 45.6976]]",
                "[[45.7052, 126.7630], [45.6976, 126.7925]]",
            ),
            r"field 'coordinates'.*far from Harbin \(lat, lon swapped\?\)",
        ),
    ],
)
def test_bad_scenario_files_give_one_clear_line(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=match) as info:
        scenarios.load_scenario(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message.strip()


def test_interchange_5_km_off_the_network_is_an_error(tmp_path: Path) -> None:
    # 126.95 E, 45.95 N lies about 5 km from the nearest trunk road.
    text = _GOOD.replace(
        "[[126.7630, 45.7052], [126.7925, 45.6976]]", "[[126.7630, 45.7052], [127.1500, 45.9500]]"
    )
    path = tmp_path / "far.toml"
    path.write_text(text, encoding="utf-8")
    scenario = scenarios.load_scenario(path)
    G = network.load_network("trunk")
    with pytest.raises(ScenarioError, match=r"corridor 'c1': interchange 2 .* km from the network"):
        scenarios.plan_splice(G, scenario.options[0].corridors)


def test_a_scenario_that_is_a_pipe_a_folder_or_too_large_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from sanqu_geo.errors import DataSourceError

    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    with pytest.raises(DataSourceError, match="fifo.toml: is a pipe"):
        scenarios.load_scenario(fifo)
    with pytest.raises(DataSourceError, match="is a folder"):
        scenarios.load_scenario(tmp_path)
    plan = scenarios.default_scenario_path()
    assert scenarios.load_scenario(plan).options  # the plan's own file is well inside the bound
    monkeypatch.setattr(scenarios, "max_scenario_bytes", plan.stat().st_size - 1)
    with pytest.raises(DataSourceError, match="is more than the .* limit for the scenario file"):
        scenarios.load_scenario(plan)
