"""The embedded city network ``harbin``: size, names, stitching, junction delay, osmnx."""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib
import networkx as nx
import numpy as np
import pytest

from sanqu_geo import citynet, junctions, network, settings

matplotlib.use("Agg")

pytestmark = pytest.mark.city

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
#: Amap 2020 Q1 top-10 congested roads of the weekday morning peak (harbin-demand-facts §3).
AMAP_MORNING_TOP10 = ("和平路", "中山路", "文昌街", "跃兴街", "学府四道街", "西大直街",
                      "新阳路", "301国道", "海洋大街", "东大直街")  # fmt: skip
#: The core box of the OSM extract (reference README).
BOX = (126.506130, 45.657920, 126.771862, 45.830905)


@pytest.fixture(scope="module")
def harbin() -> nx.MultiDiGraph:
    return network.load_network("harbin")


def _names(G: nx.MultiDiGraph) -> set[str]:
    out: set[str] = set()
    for *_, d in G.edges(data=True):
        n = d.get("name")
        out.update(str(x) for x in (n if isinstance(n, list) else [n]) if x)
    return out


def test_harbin_is_the_default_and_city_sized(harbin: nx.MultiDiGraph) -> None:
    # a fresh process, as a user's command starts, without the tests' own setting
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "SANQU_GEO_NETWORK"}
    fresh = subprocess.run(
        [sys.executable, "-c", "from sanqu_geo import settings; print(settings.default_network)"],
        capture_output=True, text=True, env=env, check=True, timeout=120,
    )  # fmt: skip
    assert fresh.stdout.strip() == "harbin"
    default = network.load_network()
    assert default.number_of_edges() == harbin.number_of_edges()
    assert harbin.number_of_nodes() >= 8000
    assert "OpenStreetMap" in harbin.graph["source"]
    # every node reaches every other: the assignment needs one strongly connected graph
    assert nx.is_strongly_connected(harbin)


def test_amap_morning_roads_are_named_edges(harbin: nx.MultiDiGraph) -> None:
    names = _names(harbin)
    found = [r for r in AMAP_MORNING_TOP10 if any(r in n for n in names)]
    assert len(found) >= 8, f"found only {found}"


def test_inside_the_box_roads_come_from_osm_outside_from_the_trunk(
    harbin: nx.MultiDiGraph,
) -> None:
    west, south, east, north = BOX
    counts = {"osm": [0, 0], "trunk": [0, 0]}
    for *_, d in harbin.edges(data=True):
        if d["source"] not in counts:
            continue
        x, y = d["geometry"].interpolate(0.5, normalized=True).coords[0]
        inside = west <= x <= east and south <= y <= north
        counts[d["source"]][0 if inside else 1] += 1
    assert counts["osm"][1] == 0  # OSM stops at the box
    assert counts["trunk"][0] == 0  # the sketch's roads inside the box are replaced
    assert counts["trunk"][1] > 100


def test_far_places_reach_the_core_through_the_stitches(harbin: nx.MultiDiGraph) -> None:
    # the airport terminal T2 (outside the box) and Harbin station (inside): a drive exists,
    # and it is of the length a driver knows (about 35–45 km, harbin-facts §8)
    def nearest(lon: float, lat: float) -> int:
        nodes = list(harbin.nodes)
        xy = np.array([(harbin.nodes[n]["x"], harbin.nodes[n]["y"]) for n in nodes])
        return nodes[int(np.argmin(np.hypot(xy[:, 0] - lon, xy[:, 1] - lat)))]

    t2, station = nearest(126.2352, 45.6098), nearest(126.6268, 45.7597)
    km = nx.shortest_path_length(harbin, station, t2, weight="length") / 1000
    minutes = nx.shortest_path_length(harbin, station, t2, weight="travel_time") / 60
    assert 30 <= km <= 50
    assert 25 <= minutes <= 60


def test_every_stitched_road_is_as_far_out_as_back(harbin: nx.MultiDiGraph) -> None:
    # a trunk road joined to only one carriageway of a divided OSM road would be reached by a
    # detour one way (a U-turn over the stitch): out and back must take about the same time
    ends: dict[str, int] = {}
    for u, v, d in harbin.edges(data=True):
        if d["source"] == "stitch":
            ends[d["name"]] = u if u < 0 else v
    assert len(ends) >= 10
    station = min(
        harbin.nodes,
        key=lambda n: (
            (harbin.nodes[n]["x"] - 126.6268) ** 2 + (harbin.nodes[n]["y"] - 45.7597) ** 2
        ),
    )
    out = nx.single_source_dijkstra_path_length(harbin, station, weight="travel_time")
    back = nx.single_source_dijkstra_path_length(
        harbin.reverse(copy=False), station, weight="travel_time"
    )
    for name, node in ends.items():
        assert 0.8 <= out[node] / back[node] <= 1.25, (name, out[node] / 60, back[node] / 60)


def test_lanes_come_from_osm_where_tagged(harbin: nx.MultiDiGraph) -> None:
    tagged = [d for *_, d in harbin.edges(data=True) if d["source"] == "osm" and d.get("lanes")]
    assert len(tagged) > 1000
    # a published capacity (the Songhua bridges) wins over lanes; every other edge uses its lanes
    assert sum(d["capacity_source"] in ("osm lanes", "published") for d in tagged) == len(tagged)


def test_junction_delay_follows_the_webster_formula() -> None:
    # three primary roads and one secondary meet at node 0; a residential street ends at 5
    G = nx.MultiDiGraph()
    for n, (x, y) in enumerate([(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1), (2, 0)]):
        G.add_node(n, x=x, y=y)
    for a, cls in ((1, "primary"), (2, "primary"), (3, "secondary"), (4, "residential")):
        G.add_edge(a, 0, highway=cls, length=500.0)
        G.add_edge(0, a, highway=cls, length=500.0)
    G.add_edge(5, 1, highway="residential", length=300.0)
    junctions.add_junction_delay(G)
    cycle = settings.signal_cycle_s
    assert G.nodes[0].get("signalised") and not G.nodes[1].get("signalised")
    red = {c: 1 - settings.signal_green_share[c] for c in ("primary", "secondary")}
    assert G.edges[1, 0, 0]["junction_delay_s"] == pytest.approx(cycle * red["primary"] ** 2 / 2)
    assert G.edges[3, 0, 0]["junction_delay_s"] == pytest.approx(cycle * red["secondary"] ** 2 / 2)
    residential = settings.signal_green_share["residential"]
    assert G.edges[4, 0, 0]["junction_delay_s"] == pytest.approx(cycle * (1 - residential) ** 2 / 2)
    assert G.edges[0, 1, 0]["junction_delay_s"] == 0.0
    assert G.edges[5, 1, 0]["junction_delay_s"] == 0.0


def test_free_flow_time_includes_the_signal(harbin: nx.MultiDiGraph) -> None:
    delayed = [d for *_, d in harbin.edges(data=True) if d["junction_delay_s"] > 0]
    assert len(delayed) > 1000
    d = delayed[0]
    assert d["travel_time"] == pytest.approx(
        d["length"] / (d["speed_kph"] / 3.6) + d["junction_delay_s"]
    )
    # arterials run well below their posted speed from end to end, as drivers know them
    length = sum(d["length"] for *_, d in harbin.edges(data=True) if d["highway"] == "primary")
    hours = sum(d["travel_time"] for *_, d in harbin.edges(data=True) if d["highway"] == "primary")
    assert 30 <= length / hours * 3.6 <= 48


def test_stored_graph_round_trips(tmp_path: Path, harbin: nx.MultiDiGraph) -> None:
    raw = network.city_graph()
    citynet.write_graph(raw, tmp_path)
    back = citynet.read_graph(tmp_path)
    assert set(back.nodes) == set(raw.nodes)
    assert back.number_of_edges() == raw.number_of_edges()
    for u, v, k, d in list(raw.edges(keys=True, data=True))[::997]:
        e = back.edges[u, v, k]
        assert e["length"] == d["length"] and e.get("name") == d.get("name")
        assert e["geometry"].equals(d["geometry"])


def _osm_graph() -> nx.MultiDiGraph:
    path = REFERENCE / "osm" / "aguascalientes.osm.bz2"
    if not path.is_file():
        pytest.skip(f"{path} is not here (../shared/reference beside the project)")
    return network.load_network(path, use_cache=False)


@pytest.mark.parametrize("which", ["harbin", "trunk", "osm-file"])
def test_osmnx_functions_run(which: str, tmp_path: Path, harbin: nx.MultiDiGraph) -> None:
    import matplotlib.pyplot as plt
    import osmnx as ox

    G = {"harbin": lambda: harbin, "trunk": lambda: network.load_network("trunk"),
         "osm-file": _osm_graph}[which]()  # fmt: skip
    for _, d in G.nodes(data=True):
        assert d["street_count"] >= 1
    for *_, d in G.edges(data=True):
        assert {"length", "highway", "oneway", "osmid"} <= set(d)
    stats = ox.stats.basic_stats(G)
    assert stats["n"] == len(G) and stats["m"] == G.number_of_edges()
    assert stats["edge_length_total"] == pytest.approx(
        sum(d["length"] for *_, d in G.edges(data=True))
    )
    nodes = sorted(G.nodes)
    a, b = nodes[0], nodes[len(nodes) // 2]
    path = ox.routing.shortest_path(G, a, b, weight="travel_time")
    if path is not None:
        expected = nx.shortest_path_length(G, a, b, weight="travel_time")
        got = sum(
            min(d["travel_time"] for d in G.get_edge_data(u, v).values())
            for u, v in itertools.pairwise(path)
        )
        assert got == pytest.approx(expected)
    fig, _ = ox.plot_graph(G, show=False, close=False, node_size=0)
    plt.close(fig)
    file = tmp_path / "g.graphml"
    ox.save_graphml(G, file)
    back = ox.load_graphml(file)
    assert back.number_of_nodes() == len(G) and back.number_of_edges() == G.number_of_edges()
    assert sum(float(d["length"]) for *_, d in back.edges(data=True)) == pytest.approx(
        sum(d["length"] for *_, d in G.edges(data=True))
    )


@pytest.mark.slow
def test_the_tool_rebuilds_the_same_files(tmp_path: Path) -> None:
    import subprocess
    import sys

    osm = REFERENCE / "osm" / "harbin-core.osm.pbf"
    if not osm.is_file():
        pytest.skip(f"{osm} is not here (../shared/reference beside the project)")
    repo = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, str(repo / "tools" / "build_city_network.py"), "--osm", str(osm),
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name in ("nodes.parquet", "edges.parquet", "graph.json"):
        shipped = repo / "data" / "roads" / "harbin" / name
        assert (tmp_path / name).read_bytes() == shipped.read_bytes(), name


def _star(center_edges: list[tuple[str, str]]) -> nx.MultiDiGraph:
    """A node 0 with one two-way arm per (class, name)."""
    G = nx.MultiDiGraph()
    G.add_node(0, x=0.0, y=0.0)
    for i, (cls, name) in enumerate(center_edges, start=1):
        G.add_node(i, x=float(i), y=1.0)
        for a, b in ((i, 0), (0, i)):
            G.add_edge(a, b, highway=cls, name=name, length=300.0)
    return G


def test_a_split_of_one_street_is_no_junction() -> None:
    # one street splitting into two carriageways: three neighbours, one street
    G = _star([("primary", "学府路"), ("primary", "学府路"), ("primary", "学府路")])
    assert junctions.signalised_nodes(G) == set()
    # an OSM trunk arterial crossing a primary road at grade: a signal
    G = _star([("trunk", "学府路"), ("trunk", "学府路"), ("primary", "和兴路")])
    assert junctions.signalised_nodes(G) == {0}
    # two trunk roads meeting: grade-separated, no signal
    G = _star([("trunk", "学府路"), ("trunk", "学府路"), ("trunk", "南直路")])
    assert junctions.signalised_nodes(G) == set()
    # a roundabout: no signal
    G = _star([("primary", "a"), ("primary", "b"), ("primary", "c")])
    for *_, d in G.edges(data=True):
        d["junction"] = "roundabout"
    assert junctions.signalised_nodes(G) == set()


def test_a_published_bridge_capacity_is_for_both_directions() -> None:
    from sanqu_geo import capacity

    two_way = {"highway": "trunk", "name": "阳明滩大桥", "oneway": False}
    carriageway = {"highway": "trunk", "name": "阳明滩大桥", "oneway": True, "lanes": "4"}
    assert capacity.edge_capacity(two_way)[1] == pytest.approx(9800 / 2)
    assert capacity.edge_capacity(carriageway)[1] == pytest.approx(9800 / 2)
    # OSM names the bridge ways of 松浦大桥 after the avenue
    bridge = {"highway": "primary", "name": "松浦大道", "oneway": True, "bridge": "yes"}
    street = {"highway": "primary", "name": "松浦大道", "oneway": True, "lanes": "3"}
    assert capacity.edge_capacity(bridge)[1:] == (pytest.approx(4900.0), "published")
    assert capacity.edge_capacity(street)[2] == "osm lanes"


def test_a_bad_default_network_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sanqu_geo.cli import main

    monkeypatch.setattr(settings, "default_network", "bogus")  # as SANQU_GEO_NETWORK=bogus
    assert main(["network", "info"]) == 2
    err = capsys.readouterr().err
    assert "'bogus'" in err and "harbin or trunk" in err and "Traceback" not in err
    assert main(["--network", "nowhere", "network", "info"]) == 2
    assert "use one of harbin, trunk" in capsys.readouterr().err
