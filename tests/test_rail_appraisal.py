"""Rail door to door (task 37): ride times by hand, a hand-made graph, and the real corridor."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import LineString, Point

from sanqu_geo import demand, network, scenarios
from sanqu_geo.appraisal import rail
from sanqu_geo.errors import ScenarioError
from sanqu_geo.resources import data_file

GEOD = Geod(ellps="WGS84")
# a straight west-east line far from Harbin (no facility names a stop); stop 1 is the airport
A, B, C = (126.00, 45.00), (126.05, 45.00), (126.10, 45.00)


def _line(speed: float = 45.0) -> scenarios.Corridor:
    return scenarios.Corridor(
        id="test_line", title_zh="测试线", title_en="Test line", kind="rail_art",
        geometry=LineString([A, B, C]), interchanges=(Point(A), Point(B), Point(C)),
        design_speed_kph=speed, vehicles="passenger",
    )  # fmt: skip


def _metres(p: tuple[float, float], q: tuple[float, float]) -> float:
    return GEOD.inv(p[0], p[1], q[0], q[1])[2]


@pytest.fixture(scope="module")
def params() -> rail.RailParameters:
    return rail.load_parameters()


def test_parameters_have_sources_and_mark_assumptions(params):
    assert params.walk_speed_mps == 1.2 and params.catchment_m == 800.0
    assert params.headway_min == 10.0 and params.wait_min == 5.0
    assert params.cruise_speed_kph is None  # the corridor's design speed
    assert set(params.sources) == {
        "walk_speed", "catchment", "headway", "wait_fraction", "dwell", "stop_loss",
        "cruise_speed", "kiss_and_ride", "egress_walk", "airport_stop", "car_access_min_ride",
    }  # fmt: skip
    assert all(text.strip() for text in params.sources.values())
    assert {"headway", "dwell", "stop_loss", "kiss_and_ride", "egress_walk"} <= params.assumptions
    assert "wait_fraction" not in params.assumptions


def test_bad_parameter_file_names_the_table(tmp_path):
    text = data_file("appraisal/rail.toml").read_text(encoding="utf-8")
    bad = tmp_path / "rail.toml"
    bad.write_text(text.replace('value = 10.0\nunit = "min"', 'value = 10.0\nunit = "s"'), "utf-8")
    with pytest.raises(ScenarioError, match=r"\[headway\].*'min'"):
        rail.load_parameters(bad)
    bad.write_text(text.replace("value = 30.0", "value = -30.0"), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"\[dwell\]"):
        rail.load_parameters(bad)


def test_in_vehicle_minutes_by_hand(params):
    corridor = _line(speed=45.0)
    v = 45.0 / 3.6
    ab, bc = _metres(A, B), _metres(B, C)
    # two stops, one segment: no dwell, one stop loss
    two = (ab / v + params.stop_loss_s) / 60.0
    # three stops: one intermediate dwell, two stop losses (one per segment)
    three = ((ab + bc) / v + params.dwell_s + 2 * params.stop_loss_s) / 60.0
    assert rail.in_vehicle_minutes(corridor, 1, 2, params=params) == pytest.approx(two, rel=1e-6)
    assert rail.in_vehicle_minutes(corridor, 1, 3, params=params) == pytest.approx(three, rel=1e-6)
    assert rail.in_vehicle_minutes(corridor, 3, 1, params=params) == pytest.approx(three, rel=1e-6)
    assert rail.in_vehicle_minutes(corridor, 2, 2, params=params) == 0.0
    faster = dataclasses.replace(params, cruise_speed_kph=90.0)
    expected = (ab / 25.0 + params.stop_loss_s) / 60.0
    assert rail.in_vehicle_minutes(corridor, 1, 2, params=faster) == pytest.approx(expected)
    with pytest.raises(ScenarioError, match="stop b=4"):
        rail.in_vehicle_minutes(corridor, 1, 4, params=params)


def _toy_graph() -> nx.MultiDiGraph:
    """Airport node at stop A; stops B, C; a far zone F and a zone W 556 m north of C."""
    G = nx.MultiDiGraph(crs="EPSG:4326")
    at = {"n0": A, "nB": B, "nC": C, "nF": (126.20, 45.00), "nW": (126.10, 45.005)}
    for n, (x, y) in at.items():
        G.add_node(n, x=x, y=y)
    for u, v, s in [
        ("nF", "nC", 300.0), ("nC", "nB", 600.0), ("nB", "n0", 600.0), ("nF", "n0", 1800.0),
        ("nW", "nC", 60.0), ("nC", "nW", 60.0), ("n0", "nF", 1800.0),
    ]:  # fmt: skip
        G.add_edge(u, v, travel_time=s)
    return G


def test_door_to_door_on_a_hand_made_graph(params):
    params = dataclasses.replace(params, car_access_min_ride_km=0.0)  # the toy line is short
    corridor = _line()
    zones = gpd.GeoDataFrame(
        {"id": ["airport", "far", "near", "none"], "name_zh": ["机场", "远", "近", "无"]},
        geometry=[Point(A), Point(126.20, 45.00), Point(126.10, 45.005), Point(126.2, 45.1)],
        crs="EPSG:4326",
    )
    trips = pd.DataFrame(
        {
            "origin": ["far", "airport", "near", "near", "far"],
            "destination": ["airport", "far", "airport", "far", "airport"],
            "class": ["car", "car", "car", "car", "truck"],
            "trips": [100.0, 50.0, 30.0, 999.0, 7.0],
        }
    )
    table = rail.door_to_door(corridor, _toy_graph(), zones, trips, params=params).set_index("zone")
    assert list(table.index) == ["far", "near"]  # "none" has no airport trips
    assert table.loc["far", "trips"] == 150.0 and table.loc["near", "trips"] == 30.0
    v = 45.0 / 3.6
    ride = {
        3: ((_metres(A, B) + _metres(B, C)) / v + params.dwell_s + 2 * params.stop_loss_s) / 60,
        2: (_metres(A, B) / v + params.stop_loss_s) / 60,
    }
    k, wait = params.kiss_and_ride_min, 5.0
    # far: car F→C→B→airport (300 + 600 + 600 s) beats the direct 1800 s
    far = table.loc["far"]
    assert far["car_min"] == pytest.approx(25.0)
    via_c, via_b = 5.0 + k + wait + ride[3], 15.0 + k + wait + ride[2]
    assert via_c < via_b
    assert far["access_mode"] == "car" and far["best_stop"] == 3
    assert far["access_min"] == pytest.approx(5.0 + k)
    assert far["rail_min"] == pytest.approx(via_c)
    assert far["rail_minus_car_min"] == pytest.approx(via_c - 25.0)
    # near: within 800 m of stop C, so it walks, though the car (1 min + kiss-and-ride) is faster
    near = table.loc["near"]
    walk = _metres((126.10, 45.005), C) / params.walk_speed_mps / 60.0
    assert 500 < _metres((126.10, 45.005), C) < 800
    assert near["car_min"] == pytest.approx((60 + 600 + 600) / 60)
    assert near["access_mode"] == "walk" and near["best_stop"] == 3
    assert near["access_min"] == pytest.approx(walk, rel=1e-3)
    assert near["in_vehicle_min"] == pytest.approx(ride[3])
    assert near["wait_min"] == wait and near["egress_min"] == 0.0
    assert near["rail_min"] == pytest.approx(walk + wait + ride[3], rel=1e-3)
    s = rail.summary(table.reset_index())
    assert s["trips"] == 180.0
    faster = 30.0 if near["rail_minus_car_min"] < 0 else 0.0
    assert s["share_rail_faster"] == pytest.approx(faster / 180.0)
    assert s["median_rail_minus_car_min"] == pytest.approx(np.median(table["rail_minus_car_min"]))
    assert s["weighted_median_rail_minus_car_min"] == pytest.approx(far["rail_minus_car_min"])
    # a stop closer to the airport than the shortest ride worth driving to is not driven to
    km_b = _metres(A, B) / 1000
    short = dataclasses.replace(params, car_access_min_ride_km=km_b + 0.001)
    again = rail.door_to_door(corridor, _toy_graph(), zones, trips, params=short).set_index("zone")
    assert again.loc["far", "best_stop"] == 3 and again.loc["far", "access_mode"] == "car"
    longer = dataclasses.replace(params, car_access_min_ride_km=100.0)
    none = rail.door_to_door(corridor, _toy_graph(), zones, trips, params=longer).set_index("zone")
    assert none.loc["far", "rail_min"] == np.inf and none.loc["near", "access_mode"] == "walk"


def test_door_to_door_rejects_a_missing_airport_zone(params):
    zones = gpd.GeoDataFrame({"id": ["x"], "name_zh": ["x"]}, geometry=[Point(A)], crs=4326)
    trips = pd.DataFrame({"origin": ["x"], "destination": ["x"], "trips": [1.0]})
    with pytest.raises(ScenarioError, match="airport_zone="):
        rail.door_to_door(_line(), _toy_graph(), zones, trips, params=params)


@pytest.fixture(scope="module")
def art() -> scenarios.Corridor:
    found = [
        c
        for o in scenarios.load_scenario().options
        for c in o.corridors
        if c.id == "airport_art_harbin_west"
    ]
    return found[0]


def test_real_corridor_stops(art):
    table = rail.stops(art)
    assert len(table) == 4
    assert list(table["stop"]) == [1, 2, 3, 4]
    assert table["chainage_km"].is_monotonic_increasing
    assert table["place"].iloc[0] == "airport_t2" and table["place"].iloc[-1] == "harbin_west"
    length_km = GEOD.geometry_length(art.geometry) / 1000.0
    span = table["chainage_km"].iloc[-1] - table["chainage_km"].iloc[0]
    assert span == pytest.approx(length_km, rel=0.01)
    assert (table["offset_m"] < 50).all()


def test_real_run_on_the_trunk_network(art, params):
    d = demand.load_demand(network="trunk")
    G = network.load_network("trunk", profile="car")
    table = rail.door_to_door(art, G, d.zones, d.od, params=params)
    car = d.od[d.od["class"] == "car"]
    with_trips = set(car.loc[car["destination"] == "airport", "origin"]) | set(
        car.loc[car["origin"] == "airport", "destination"]
    )
    with_trips.discard("airport")
    assert set(table["zone"]) == with_trips
    assert np.isfinite(table["rail_min"]).all() and np.isfinite(table["car_min"]).all()
    assert (table["rail_min"] > table["in_vehicle_min"]).all()
    assert (table["best_stop"] != params.airport_stop).all()
    s = rail.summary(table)
    assert 0.0 <= s["share_rail_faster"] <= 1.0
    assert s["trips"] == pytest.approx(table["trips"].sum())
