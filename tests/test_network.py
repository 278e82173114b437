"""The embedded trunk network: graph building rules, connectivity of every place, plausibility."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import LineString, mapping

from sanqu_geo import access, layers, network
from sanqu_geo.cli import main
from sanqu_geo.errors import NetworkError

_GEOD = Geod(ellps="WGS84")


def _feature(coords, **props) -> dict:
    return {"type": "Feature", "geometry": mapping(LineString(coords)), "properties": props}


def test_crossing_without_shared_vertex_is_not_a_junction() -> None:
    over = _feature([(126.60, 45.70), (126.62, 45.70)], id="viaduct", highway="motorway")
    under = _feature([(126.61, 45.69), (126.61, 45.71)], id="street", highway="primary")
    G = network.graph_from_lines([over, under], source="test")
    assert nx.number_weakly_connected_components(G) == 2


def test_shared_vertex_is_a_junction_and_splits_both_roads() -> None:
    a = _feature([(126.60, 45.70), (126.61, 45.70), (126.62, 45.70)], id="a", highway="primary")
    b = _feature(
        [(126.61, 45.69), (126.61, 45.70), (126.61, 45.71)], id="b", highway="primary", oneway=True
    )
    G = network.graph_from_lines([a, b], source="test", every_vertex=False)
    assert G.number_of_nodes() == 5
    assert G.number_of_edges() == 4 + 2  # a: two pieces both ways; b: two pieces one way
    assert nx.is_weakly_connected(G)
    node_at = {(d["x"], d["y"]): n for n, d in G.nodes(data=True)}
    west, junction = node_at[(126.60, 45.70)], node_at[(126.61, 45.70)]
    expected = _GEOD.line_length([126.60, 126.61], [45.70, 45.70])
    assert G.edges[west, junction, 0]["length"] == pytest.approx(expected, rel=1e-9)
    assert G.edges[junction, west, 0]["length"] == pytest.approx(expected, rel=1e-9)
    south, north = node_at[(126.61, 45.69)], node_at[(126.61, 45.71)]
    assert G.has_edge(south, junction) and not G.has_edge(junction, south)  # b is one-way
    assert G.has_edge(junction, north) and not G.has_edge(north, junction)


@pytest.fixture(scope="module")
def trunk() -> nx.MultiDiGraph:
    return network.load_network("trunk")


def test_trunk_graph_is_osmnx_compatible(trunk: nx.MultiDiGraph) -> None:
    assert trunk.graph["crs"] == "EPSG:4326"
    assert "trunk" in trunk.graph["source"]
    assert trunk.graph["profile"] == "car"
    for _n, d in trunk.nodes(data=True):
        assert {"x", "y"} <= set(d)
    for u, v, d in trunk.edges(data=True):
        assert d["length"] > 0 and d["speed_kph"] > 0 and d["travel_time"] > 0
        assert d["geometry"].coords[0] == pytest.approx((trunk.nodes[u]["x"], trunk.nodes[u]["y"]))
        assert d["geometry"].coords[-1] == pytest.approx((trunk.nodes[v]["x"], trunk.nodes[v]["y"]))


def test_trunk_road_lengths_are_kept(trunk: nx.MultiDiGraph) -> None:
    roads = gpd.read_file(network.data_file(network.TRUNK_FILE))
    total_lines = sum(_GEOD.geometry_length(g) for g in roads.geometry)
    km = network.network_summary(trunk)["km_total"] * 1000
    assert km == pytest.approx(total_lines, rel=1e-6)


def test_ring_expressway_length_is_near_published(trunk: nx.MultiDiGraph) -> None:
    ring_m = sum(
        d["length"]
        for u, v, d in trunk.edges(data=True)
        if d.get("ref") == "G1001" and not d["reversed"]
    )
    assert ring_m / 1000 == pytest.approx(92.0, rel=0.10)  # G1001: 92 km closed ring


@pytest.fixture(scope="module")
def places(trunk: nx.MultiDiGraph):
    facilities = layers.load_layer("facilities", located_only=True)
    zones = layers.load_layer("zones", located_only=True)
    gates = facilities[facilities["kind"] == "customs_gate"]
    both = gpd.GeoDataFrame(pd.concat([zones, facilities], ignore_index=True), crs=4326)
    table = access.access_nodes(trunk, both, gates=gates)
    return table, set(zones["id"]) | set(facilities["id"])


def test_every_place_has_an_access_node(places) -> None:
    table, ids = places
    assert set(table["id"]) == ids
    assert (table["distance_m"] <= 3000).all()


def test_every_place_reaches_every_other_by_car(trunk: nx.MultiDiGraph, places) -> None:
    table, ids = places
    nodes = {fid: list(group["node"]) for fid, group in table.groupby("id")}
    unreachable = []
    for a in sorted(ids):
        reached = nx.multi_source_dijkstra_path_length(trunk, nodes[a], weight="travel_time")
        for b in sorted(ids):
            if a != b and not any(n in reached for n in nodes[b]):
                unreachable.append((a, b))
    assert unreachable == []


def test_station_to_airport_is_plausible(trunk: nx.MultiDiGraph, places) -> None:
    table, _ = places
    src = table[table["id"] == "harbin_station"]["node"].iloc[0]
    dst = table[table["id"] == "airport_t2"]["node"].iloc[0]
    length = nx.shortest_path_length(trunk, src, dst, weight="length")
    minutes = nx.shortest_path_length(trunk, src, dst, weight="travel_time") / 60
    # harbin-facts §5: 32.9 km straight line from Harbin Station to the airport.
    assert 1.0 * 32_000 < length < 1.6 * 33_000
    assert 20 < minutes < 60


def test_snapping_limit_error_names_the_feature(trunk: nx.MultiDiGraph) -> None:
    facilities = layers.load_layer("facilities", located_only=True)
    with pytest.raises(NetworkError, match="limit"):
        access.access_nodes(trunk, facilities, max_distance_m=1.0)


def test_network_info_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["network", "info"]) == 0
    out = capsys.readouterr().out
    assert "embedded trunk network" in out
    assert "motorway" in out


def test_network_build_cli_writes_graphml(capsys: pytest.CaptureFixture[str]) -> None:
    import osmnx as ox

    assert main(["network", "build", "--profile", "truck"]) == 0
    path = network.cache_path("trunk")
    built = path.with_name(path.stem + "-truck.graphml")
    G = ox.load_graphml(built)
    assert G.graph["profile"] == "truck"
    assert max(d["speed_kph"] for *_, d in G.edges(data=True)) <= 80.0


@pytest.mark.parametrize("pair", list(itertools.combinations(["car", "car_peak", "winter"], 2)))
def test_profiles_order_times(trunk: nx.MultiDiGraph, pair) -> None:
    slow = {"car": 0, "winter": 1, "car_peak": 2}
    a, b = sorted(pair, key=slow.get)
    Ga = network.load_network("trunk", profile=a)
    Gb = network.load_network("trunk", profile=b)
    ta = sum(d["travel_time"] for *_, d in Ga.edges(data=True))
    tb = sum(d["travel_time"] for *_, d in Gb.edges(data=True))
    assert ta < tb


def test_truck_profile_respects_an_imported_ban_layer(tmp_path) -> None:
    import json

    from shapely.geometry import box

    # A ban over central Harbin (inside the 二环), as a user would import it.
    ban = box(126.60, 45.73, 126.66, 45.77)
    path = tmp_path / "bans.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": mapping(ban),
                        "properties": {"id": "centre", "name_zh": "市中心货车禁行区"},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    free = network.load_network("trunk", profile="truck")
    layers.import_layer(path, "truck_bans", accuracy="surveyed")
    banned = network.load_network("trunk", profile="truck")
    assert banned.number_of_edges() < free.number_of_edges()
    for *_, d in banned.edges(data=True):
        assert not ban.contains(d["geometry"].interpolate(0.5, normalized=True))
    assert network.load_network("trunk", profile="car").number_of_edges() == free.number_of_edges()


def test_file_digest_follows_the_content_not_the_file_status(tmp_path) -> None:
    import hashlib
    import os

    path = tmp_path / "city.osm"
    path.write_bytes(b"<osm maxspeed='50'/>")
    first = network.file_digest(path)
    assert first == hashlib.sha1(b"<osm maxspeed='50'/>").hexdigest()
    st = path.stat()
    path.write_bytes(b"<osm maxspeed='70'/>")  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the same time
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    assert network.file_digest(path) == hashlib.sha1(b"<osm maxspeed='70'/>").hexdigest()


def test_build_key_follows_settings_and_layers(tmp_path, monkeypatch) -> None:
    import json

    from shapely.geometry import box

    from sanqu_geo import settings

    key = network.build_key("trunk")
    assert network.build_key("trunk") == key  # the same inputs: the same key (cache hits)
    monkeypatch.setitem(settings.published_capacity_pcu, "松浦大桥", 5000.0)
    changed = network.build_key("trunk")
    assert changed != key
    monkeypatch.undo()
    assert network.build_key("trunk") == key
    path = tmp_path / "bans.geojson"
    feature = {"type": "Feature", "geometry": mapping(box(126.60, 45.73, 126.62, 45.75)),
               "properties": {"id": "ban", "name_zh": "货车禁行区"}}  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    layers.import_layer(path, "truck_bans", accuracy="surveyed")
    assert network.build_key("trunk") not in (key, changed)
    layers.remove_imported_layer("truck_bans")
    assert network.build_key("trunk") == key


def test_an_osm_source_that_is_a_pipe_is_refused(tmp_path) -> None:
    import os

    from sanqu_geo.errors import DataSourceError

    path = tmp_path / "city.osm"
    os.mkfifo(path)
    with pytest.raises(DataSourceError, match="city.osm: is a pipe"):
        network.load_network(path)
