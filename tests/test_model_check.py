"""The city model's base peak hour: zones load on their own streets, and no false bottleneck."""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from sanqu_geo import access, demand, layers, modelcheck, network, peak, settings
from sanqu_geo.cli import main

pytestmark = pytest.mark.city

EXPRESSWAYS = {"motorway", "motorway_link", "trunk", "trunk_link"}


#: The city model's checks read link volumes, not the last digits of the objective: a gap of
#: 1e-4 keeps the module's one assignment to seconds.
GAP = 1e-4


@pytest.fixture(scope="module")
def model():
    d = demand.load_demand(network="harbin")
    run = peak.solve(None, source="harbin", demand_=d, gap=GAP)
    check = modelcheck.check_model(run, d, layers.load_layer("river", located_only=True))
    return d, run, check


def test_the_default_demand_is_street_level(model) -> None:
    d, _, _ = model
    kinds = d.zones["kind"].value_counts()
    assert kinds["urban"] + kinds["outer"] >= 150
    assert kinds["external"] >= 5
    # the census population of the nine districts, all of it
    assert d.zones["population"].sum() == pytest.approx(6_976_136)


def test_every_zone_loads_at_two_nodes_never_on_an_expressway(model) -> None:
    d, run, _ = model
    G = run.graph
    for zone, centroid in run.centroids.items():
        kind = d.zones.loc[d.zones["id"] == zone, "kind"].iloc[0]
        nodes = {v for _, v in G.out_edges(centroid)}
        if kind in ("urban", "outer"):
            assert len(nodes) >= 2, zone
            for n in nodes:
                classes = set()
                for _, _, h in G.edges(n, data="highway"):
                    classes.update(h if isinstance(h, list) else [h])
                assert not classes & EXPRESSWAYS, (zone, n, classes)


def test_loading_nodes_are_spread_over_the_zone() -> None:
    G = network.load_network("harbin")
    zones = demand.model_zones()
    table = access.loading_nodes(G, zones[zones["kind"] == "urban"].head(40))
    for _, part in table.groupby("id"):
        assert part["node"].is_unique
        if len(part) >= 2:
            xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in part["node"]])
            # no two loading nodes of a zone at the same junction
            assert min(np.hypot(*(a - b)) for i, a in enumerate(xy) for b in xy[i + 1 :]) > 1e-4


def test_no_through_trips_between_exits(model) -> None:
    d, _, _ = model
    exits = set(d.zones.loc[d.zones["kind"] == "external", "id"])
    between = d.od[d.od["origin"].isin(exits) & d.od["destination"].isin(exits)]
    assert between["trips"].sum() == 0
    # and every exit sends and receives its stated trips
    assert d.od[d.od["origin"].isin(exits)]["trips"].sum() > 0


def test_outer_zones_load_on_the_trunk_roads(model) -> None:
    d, run, _ = model
    G = run.graph
    outer = set(d.zones.loc[d.zones["kind"] == "outer", "id"])
    for zone in outer:
        for _, node in G.out_edges(run.centroids[zone]):
            sources = {s for *_, s in G.edges(node, data="source")}
            assert "trunk" in sources, (zone, node, sources)


def test_no_false_bottleneck(model) -> None:
    _, run, check = model
    assert run.result.relative_gap <= GAP
    # calibrated to the city's congestion, some road sections run above the v/c limit and are
    # listed; a false bottleneck (a connector or a missing road) holds a large share of the
    # network's delay on one link, and no link does
    assert check.largest_delay_share <= settings.check_delay_share_max
    assert len(check.over_limit) < 0.005 * len(check.delay), check.over_limit[["name", "vc"]]
    connectors = check.delay[check.delay["highway"] == "centroid_connector"]
    assert connectors.empty
    # junction pieces above the limit are listed apart, never dropped
    high = check.delay[check.delay["vc"] > settings.check_vc_limit]
    assert len(high) == len(check.over_limit) + len(check.known) + len(check.junction)
    assert (check.junction["length_m"] < settings.junction_internal_max_m).all()


def test_delay_shares_recomputed_by_hand(model) -> None:
    _, run, check = model
    res, G = run.result, run.graph
    delays = []
    for i, e in enumerate(res.edges):
        data = G.edges[e]
        if data["highway"] == "centroid_connector":
            continue
        pcu = res.volumes["pcu"].iloc[i]
        delays.append(pcu * max(res.time[i] - data["travel_time"], 0.0) / 3600)
    total = sum(delays)
    assert check.delay["delay_pcu_h"].sum() == pytest.approx(total)
    assert check.largest_delay_share == pytest.approx(max(delays) / total)


def test_speed_by_class_is_vehicle_km_over_vehicle_hours(model) -> None:
    _, run, check = model
    res, G = run.result, run.graph
    km = hours = 0.0
    for i, e in enumerate(res.edges):
        data = G.edges[e]
        if data["highway"] == "centroid_connector":
            continue
        vehicles = sum(res.volumes[c].iloc[i] for c in res.class_names)
        km += vehicles * data["length"] / 1000
        hours += vehicles * res.time[i] / 3600
    overall = check.speeds.set_index("highway").loc["all", "speed_kph"]
    assert overall == pytest.approx(km / hours)


def test_the_songhua_screenline_holds_the_road_bridges(model) -> None:
    _, _, check = model
    names = " ".join(check.screenline["bridge"])
    for bridge in ("阳明滩大桥", "松花江公路大桥", "松浦", "绕城高速"):
        assert bridge in names
    assert (check.screenline["vc"] >= 0).all()


def test_screenline_counts_only_bridges_that_cross() -> None:
    # a toy: one bridge across a river line, one bank road that the line touches
    river = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1, 0)])], crs="EPSG:4326")
    G = nx.MultiDiGraph(crs="EPSG:4326", source="toy")
    common = {"highway": "primary", "travel_time": 50.0, "length": 1000.0}
    G.add_edge(1, 2, geometry=LineString([(0.5, -0.1), (0.5, 0.1)]), bridge="yes", name="桥",
               **common)  # fmt: skip
    G.add_edge(3, 4, geometry=LineString([(0.1, -0.01), (0.2, 0.01)]), name="滨江路", **common)
    result = SimpleNamespace(
        edges=[(1, 2, 0), (3, 4, 0)],
        volumes=pd.DataFrame(
            {"car": [100.0, 50.0], "pcu": [100.0, 50.0]},
            index=pd.MultiIndex.from_tuples([(1, 2, 0), (3, 4, 0)], names=["u", "v", "key"]),
        ),
        capacity=np.array([1000.0, 500.0]),
        vc=np.array([0.1, 0.1]),
        time=np.array([60.0, 30.0]),
        class_names=["car"],
    )
    table = modelcheck.bridge_screenline(peak.PeakRun(result, G, {}, "base"), river)
    assert list(table["bridge"]) == ["桥"]
    assert table["direction"].iloc[0] == "northbound"
    assert table["vc"].iloc[0] == pytest.approx(0.1)


def test_model_check_command(capsys: pytest.CaptureFixture[str], model) -> None:
    assert main(["model", "check", "--gap", str(GAP)]) == 0
    out = capsys.readouterr().out
    for words in ("OpenStreetMap", "松花江断面", "区内出行占比", "延误最大的路段", "all"):
        assert words in out
