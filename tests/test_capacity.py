"""Capacities: OSM lanes on a real file, published counts on the trunk network, corridors."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest

from sanqu_geo import capacity, network, scenarios, settings


@pytest.mark.parametrize(
    ("value", "expected"),
    [("4", 4.0), (3, 3.0), ("2;4", 3.0), (["2", "4"], 3.0), ("['2', '6']", 4.0), (None, None)],
)
def test_parse_lanes(value, expected) -> None:
    assert capacity.parse_lanes(value) == expected


def test_capacities_follow_osm_lanes_on_a_real_file(reference) -> None:
    G = network.load_network(reference / "osm" / "aguascalientes.osm.bz2", use_cache=False)
    tagged = 0
    by_lanes: dict[tuple[str, bool], dict[float, set[float]]] = {}
    for _, _, data in G.edges(data=True):
        raw = data.get("lanes")
        highway = data["highway"]
        if not isinstance(raw, str) or not raw.isdigit() or not isinstance(highway, str):
            continue
        tagged += 1
        total = float(raw)
        oneway = data["oneway"] in (True, "True")
        per_dir = total if oneway else max(total / 2, 1.0)
        # the signal's share of the hour only where the edge ends at a signalised junction
        green = (
            settings.signal_green_share.get(highway, 1.0) if data["junction_delay_s"] > 0 else 1.0
        )
        expected = per_dir * settings.capacity_per_lane_pcu[highway] * green
        assert data["capacity"] == pytest.approx(expected)
        assert data["capacity_source"] == "osm lanes"
        signal = data["junction_delay_s"] > 0
        by_lanes.setdefault((highway, oneway, signal), {}).setdefault(per_dir, set()).add(
            data["capacity"]
        )
    assert tagged > 50
    # the same class with more lanes carries more (at a signal and between signals)
    spread = [lanes for lanes in by_lanes.values() if len(lanes) > 1]
    assert spread, "the file should hold roads of one class with different lane counts"
    for lanes in spread:
        ordered = [lanes[n] for n in sorted(lanes)]
        for fewer, more in itertools.pairwise(ordered):
            assert max(fewer) < min(more)
    for _, _, data in G.edges(data=True):
        assert data["capacity"] > 0


def test_signalised_arterial_lane_carries_less_than_an_expressway_lane() -> None:
    trunk_lane = capacity.edge_capacity({"highway": "trunk", "lanes": 2, "oneway": True})[1]
    arterial_lane = capacity.edge_capacity({"highway": "primary", "lanes": 2, "oneway": True})[1]
    assert arterial_lane < trunk_lane
    green = settings.signal_green_share["primary"]  # CJJ 37-2012 design capacity at 50 km/h
    assert arterial_lane == pytest.approx(2 * 1350 * green)


def test_trunk_network_has_capacities_and_the_published_bridges() -> None:
    G = network.load_network("trunk")
    bridges = {}
    for _, _, data in G.edges(data=True):
        assert data["capacity"] > 0
        if data["name"] in ("阳明滩大桥", "松浦大桥"):
            bridges.setdefault(data["name"], set()).add(data["capacity"])
    # 9,800 veh/h published for both directions together
    assert bridges == {"阳明滩大桥": {4900.0}, "松浦大桥": {4900.0}}


def test_spliced_corridor_gets_its_published_lanes() -> None:
    G = network.load_network("trunk")
    sc = scenarios.load_scenario()
    option = next(o for o in sc.options if o.id == "second_passage_full")
    H = scenarios.apply(G, option)
    caps: dict[str, set[float]] = {}
    for _, _, data in H.edges(data=True):
        assert data["capacity"] > 0
        if data.get("corridor") and data.get("highway") != "connector":
            caps.setdefault(data["corridor"], set()).add(data["capacity"])
    per_lane = settings.capacity_per_lane_pcu["trunk"]
    # 6 lanes on the main viaduct, 4 on the 临空 branch (harbin-facts §7)
    assert caps["airport_second_passage"] == {3 * per_lane}
    assert caps["airport_second_passage_linkong"] == {2 * per_lane}
    assert isinstance(H, nx.MultiDiGraph)


def test_network_info_reports_capacities(capsys) -> None:
    from sanqu_geo.cli import main

    assert main(["network", "info"]) == 0
    out = capsys.readouterr().out
    assert "capacity by road class" in out and "published 4" in out
