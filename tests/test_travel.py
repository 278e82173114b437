"""Travel times between places on the embedded network, and the od / route / isochrones commands."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import openpyxl
import pandas as pd
import pytest

from sanqu_geo import access, layers, network, tables, travel
from sanqu_geo.cli import main
from sanqu_geo.errors import LayerError


@pytest.fixture(scope="module")
def trunk() -> nx.MultiDiGraph:
    return network.load_network("trunk")


def test_find_place_by_id_chinese_and_english_names() -> None:
    assert travel.find_place("harbin_west")["id"].iloc[0] == "harbin_west"
    assert travel.find_place("哈尔滨西站")["id"].iloc[0] == "harbin_west"
    assert travel.find_place("Harbin West")["id"].iloc[0] == "harbin_west"
    assert travel.find_place("临空经济区")["id"].iloc[0] == "airport_zone"


def test_unknown_place_lists_close_matches() -> None:
    with pytest.raises(LayerError, match=r"no place called 'harbin wset'.*harbin_west"):
        travel.find_place("harbin wset")


def test_place_od_equals_brute_force_over_access_nodes(trunk: nx.MultiDiGraph) -> None:
    zones = travel.load_places("zones")
    facilities = travel.load_places("facilities")
    od = travel.place_od(trunk, zones, facilities)
    gates = layers.load_layer("facilities", located_only=True)
    gates = gates[gates["kind"] == "customs_gate"]
    za = access.access_nodes(trunk, zones, gates=gates)
    fa = access.access_nodes(trunk, facilities, gates=gates)
    for zid in ["ftz_harbin", "airport_zone", "cbz_phase1"]:
        for fid in ["airport", "harbin_west", "container_station"]:
            best = np.inf
            for a in za[za["id"] == zid].itertuples():
                dist = nx.single_source_dijkstra_path_length(trunk, a.node, weight="travel_time")
                for b in fa[fa["id"] == fid].itertuples():
                    best = min(best, a.connector_s + dist.get(b.node, np.inf) + b.connector_s)
            assert od.loc[zid, fid] == pytest.approx(best, abs=1e-6)
    assert np.isfinite(od.to_numpy()).all()


def test_key_links_are_plausible(trunk: nx.MultiDiGraph) -> None:
    """Straight-line distances (harbin-facts §5) set a floor: no trip is faster than 100 km/h
    straight; and none of the plan's key links should take over 75 minutes by car."""
    facilities = travel.load_places("facilities").set_index("id")
    od = travel.place_od(trunk, facilities.reset_index(), facilities.reset_index())
    pts = gpd.GeoSeries(facilities.geometry, crs=4326).to_crs("EPSG:4551")
    for a, b in [
        ("harbin_station", "airport"),
        ("harbin_west", "airport"),
        ("container_station", "airport"),
    ]:
        straight_km = pts[a].distance(pts[b]) / 1000
        minutes = od.loc[a, b] / 60
        assert straight_km / 100 * 60 < minutes < 75


def test_minutes_table_and_files(trunk: nx.MultiDiGraph, tmp_path: Path) -> None:
    zones = travel.load_places("zones")
    seconds = travel.place_od(trunk, zones, zones)
    table = tables.minutes_table(seconds, zones, zones)
    assert "自贸区哈尔滨片区 FTZ Harbin" in table.index
    assert table.loc["自贸区哈尔滨片区 FTZ Harbin", "自贸区哈尔滨片区 FTZ Harbin"] == 0
    for suffix in (".csv", ".xlsx", ".parquet", ".md"):
        path = tables.write_table(table, tmp_path / f"od{suffix}")
        assert path.stat().st_size > 0
    book = openpyxl.load_workbook(tmp_path / "od.xlsx")
    sheet = book.active
    assert sheet.cell(1, 2).value == table.columns[0]
    assert sheet.cell(2, 2).value == pytest.approx(table.iloc[0, 0])
    back = pd.read_csv(tmp_path / "od.csv", index_col=0, encoding="utf-8-sig")
    np.testing.assert_allclose(back.to_numpy(), table.to_numpy())


def test_od_cli_prints_and_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "od.xlsx"
    assert main(["od", "--from", "zones", "--to", "facilities", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "太平机场" in text and "Taiping" in text and "embedded trunk" in text
    sheet = openpyxl.load_workbook(out).active
    assert sheet.max_row == 1 + len(travel.load_places("zones"))


def test_route_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "route.geojson"
    assert main(["route", "--from", "哈尔滨站", "--to", "airport_t2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "min 分钟" in text and "km" in text
    line = gpd.read_file(out)
    assert line.geometry.iloc[0].geom_type == "LineString"
    assert 20 < line["minutes"].iloc[0] < 60


def test_route_cli_unknown_name_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", "--from", "airprot", "--to", "harbin_west"]) == 2
    err = capsys.readouterr().err
    assert "close matches" in err and "airport" in err


def test_isochrones_cli(tmp_path: Path) -> None:
    out = tmp_path / "iso.geojson"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert (
            main(
                ["isochrones", "--from", "inland_port_hub", "--minutes", "15,30", "--out", str(out)]
            )
            == 0
        )
    iso = gpd.read_file(out)
    assert list(iso["minutes"]) == [15, 30]
    assert iso["area_km2"].iloc[0] < iso["area_km2"].iloc[1]
    hub = travel.find_place("inland_port_hub").geometry.iloc[0]
    assert (
        iso.geometry.iloc[0].buffer(1e-6).contains(hub) or iso.geometry.iloc[0].distance(hub) < 0.02
    )


def test_od_from_a_users_points_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "sites.csv"
    # two of the user's own sites, one near Harbin West station, one near the container centre
    csv.write_text(
        "id,name_zh,name_en,lon,lat\ns1,西站附近,Near West,126.5720,45.7060\ns2,哈东,Ha-dong,126.7600,45.7040\n",
        encoding="utf-8",
    )
    out = tmp_path / "od.csv"
    assert main(["od", "--from", str(csv), "--to", "facilities", "--out", str(out)]) == 0
    table = pd.read_csv(out, index_col=0, encoding="utf-8-sig")
    assert list(table.index) == ["西站附近 Near West", "哈东 Ha-dong"]
    west = table.loc["西站附近 Near West", "哈尔滨西站 Harbin West"]
    container = table.loc["哈东 Ha-dong", "集装箱中心站 Container station"]
    assert west < 3 and container < 3  # a few hundred metres from their nearest facility
    assert table.loc["西站附近 Near West", "太平机场 Taiping Airport"] > 15


def test_network_access_cli_reports_snapping_distances(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["network", "access", "--places", "facilities"]) == 0
    out = capsys.readouterr().out
    assert "harbin_station" in out and "distance m" in out


def test_table_labels_tell_a_zone_and_a_facility_of_one_name_apart() -> None:
    places = travel.load_places("all")
    shared = places[places["short_zh"] == "内陆港"]
    assert sorted(shared["id"]) == ["inland_port", "inland_port_hub"]  # the case it is for
    labelled = travel.table_labels(places).set_index("id")
    assert labelled.at["inland_port", "short_zh"] == "内陆港（区域）"
    assert labelled.at["inland_port", "short_en"] == "Inland port (zone)"
    assert labelled.at["inland_port_hub", "short_zh"] == "内陆港（设施）"
    assert labelled.at["inland_port_hub", "short_en"] == "Inland port (facility)"
    # names that do not repeat are left as they are
    assert labelled.at["airport", "short_zh"] == "太平机场"
    labels = labelled["short_zh"] + " " + labelled["short_en"]
    assert labels.is_unique


def test_table_labels_fall_back_to_ids_within_one_layer() -> None:
    zones = travel.load_places("zones").head(2).copy()
    zones["short_zh"], zones["short_en"] = "同名", "Same"
    labelled = travel.table_labels(zones)
    ids = list(zones["id"])
    assert list(labelled["short_zh"]) == [f"同名（{i}）" for i in ids]
    assert list(labelled["short_en"]) == [f"Same ({i})" for i in ids]


def test_od_all_to_all_csv_has_distinct_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "od.csv"
    assert main(["od", "--from", "all", "--to", "all", "--out", str(out)]) == 0
    table = pd.read_csv(out, index_col=0, encoding="utf-8-sig")
    assert table.shape == (20, 20)
    assert table.index.is_unique and table.columns.is_unique
    assert "内陆港（区域） Inland port (zone)" in table.index
    assert "内陆港（设施） Inland port (facility)" in table.columns
    assert (np.diag(table.to_numpy()) == 0).all()


def test_place_functions_refuse_wrong_places(trunk: nx.MultiDiGraph) -> None:
    zones = travel.load_places("zones")
    airport = travel.find_place("airport")
    with pytest.raises(LayerError, match="ids repeat.*airport"):
        travel.place_od(trunk, pd.concat([airport, airport]), zones)
    with pytest.raises(LayerError, match="origin must be one place, got 7"):
        travel.place_route(trunk, zones, airport)
    with pytest.raises(LayerError, match="destinations: no places"):
        travel.place_od(trunk, zones, zones.iloc[0:0])
    with pytest.raises(LayerError, match="place must be a GeoDataFrame.*find_place"):
        travel.place_isochrones(trunk, "airport", [15])
    with pytest.raises(LayerError, match="place name must be"):
        travel.find_place(None)


def test_place_od_takes_length_and_refuses_other_weights(trunk: nx.MultiDiGraph) -> None:
    from sanqu_geo.errors import NetworkError

    zones = travel.load_places("zones")
    metres = travel.place_od(trunk, zones, zones, weight="length")
    assert (metres.to_numpy() >= 0).all() and (np.diag(metres.to_numpy()) == 0).all()
    with pytest.raises(NetworkError, match="weight must be one of travel_time, length"):
        travel.place_od(trunk, zones, zones, weight="free_flow_time")
