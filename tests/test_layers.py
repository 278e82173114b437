"""The embedded layers: schema, published areas, placement; import, export and their errors."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon, mapping

from sanqu_geo import crs, layers
from sanqu_geo.errors import CRSError, DataSourceError, LayerError

METRIC = "EPSG:4551"


def _area_km2(gdf: gpd.GeoDataFrame) -> float:
    located = gdf[gdf.geometry.notna()]
    return float(located.to_crs(METRIC).area.sum() / 1e6)


@pytest.mark.parametrize("name", list(layers.LAYERS))
def test_embedded_layer_matches_its_schema(name: str) -> None:
    gdf = layers.load_layer(name)
    assert len(gdf) > 0 or name == "truck_bans"  # no truck ban is published: empty by default
    assert gdf.crs.to_epsg() == 4326
    spec = layers.LAYERS[name]
    for field in spec.required:
        assert field in gdf.columns, field
    assert layers.validate_layer(gdf, name) == []
    assert set(gdf["accuracy"]) <= set(layers.ACCURACY_VALUES)
    assert gdf["id"].is_unique


@pytest.mark.parametrize(
    ("ids", "published"),
    [
        (["ftz_harbin"], 79.86),  # harbin.gov.cn 2019-08-28
        (["new_area_jiangbei", "new_area_pingfang"], 493.0),  # 国函〔2015〕217号
        (["new_area_jiangbei"], 398.0),  # 新区总体规划 2018-2035
        (["container_centre"], 1.13),  # dbw 2016-09-16
    ],
)
def test_zone_areas_match_published_figures(ids: list[str], published: float) -> None:
    zones = layers.load_layer("zones").set_index("id")
    computed = _area_km2(zones.loc[ids])
    assert computed == pytest.approx(published, rel=0.02)


def test_area_helper_agrees_with_projected_area() -> None:
    zones = layers.load_layer("zones", located_only=True)
    by_helper = crs.area_km2(zones)
    by_hand = zones.to_crs(METRIC).area / 1e6
    assert by_helper.to_numpy() == pytest.approx(by_hand.to_numpy(), rel=1e-9)


def test_ftz_lies_in_the_new_area_north_of_the_river() -> None:
    zones = layers.load_layer("zones").set_index("id")
    ftz = zones.loc["ftz_harbin", "geometry"]
    jiangbei = zones.loc["new_area_jiangbei", "geometry"]
    assert jiangbei.buffer(1e-6).contains(ftz)


def test_facilities_lie_in_their_zones_and_at_published_points() -> None:
    facilities = layers.load_layer("facilities").set_index("id")
    zones = layers.load_layer("zones").set_index("id")
    for fid, row in facilities.iterrows():
        if row.geometry is None or not row["zone"]:
            continue
        zone = zones.loc[row["zone"], "geometry"]
        if zone is None:
            continue
        distance = (
            gpd.GeoSeries([row.geometry], crs=4326)
            .to_crs(METRIC)
            .distance(gpd.GeoSeries([zone], crs=4326).to_crs(METRIC))[0]
        )
        assert distance <= 50, f"{fid} is {distance:.0f} m outside {row['zone']}"
    # Published WGS-84 points (harbin-facts §5, §9): within 30 m.
    for fid, (lat, lon) in {
        "airport": (45.6234028, 126.2503278),
        "harbin_west": (45.7053, 126.5714),
        "harbin_station": (45.7597, 126.6268),
        "harbin_east": (45.7860, 126.7056),
    }.items():
        p = facilities.loc[fid, "geometry"]
        assert abs(p.x - lon) < 3e-4 and abs(p.y - lat) < 3e-4, fid


def test_unlocated_planned_facility_is_kept_without_inventing_a_site() -> None:
    facilities = layers.load_layer("facilities").set_index("id")
    b_type = facilities.loc["bonded_logistics_b"]
    assert b_type.geometry is None
    assert not b_type["location_known"]
    located = layers.load_layer("facilities", located_only=True)
    assert "bonded_logistics_b" not in set(located["id"])


def test_projects_phase_and_year_follow_the_plans_terms() -> None:
    projects = layers.load_layer("projects")
    expected = {"近期": 2021, "中期": 2022, "远期": 2025, "中远期": None, "长远期": 2035}
    assert layers.PHASES == expected
    for _, row in projects.iterrows():
        assert row["title_zh"] and row["title_en"]
        if pd.isna(row["item"]):  # not a plan task: no phase, no year, and it says so
            assert pd.isna(row["phase"]) and pd.isna(row["target_year"])
            assert "非方案任务" in row["title_zh"] and "not a plan task" in row["title_en"]
            continue
        year = row["target_year"]
        assert (None if pd.isna(year) else int(year)) == expected[row["phase"]], row["id"]


def test_project_task_number_outside_the_plan_is_reported(tmp_path: Path) -> None:
    src = _write_geojson(
        tmp_path / "p.geojson",
        [
            _feature(
                Point(126.6, 45.7),
                id="x1",
                item=41,
                title_zh="某项目",
                phase="近期",
                status="planned",
            )
        ],
    )
    with pytest.raises(LayerError, match=r"x1.*41 is not a task number of the plan \(1–40\)"):
        layers.import_layer(src, "projects")


def test_second_passage_length_matches_published() -> None:
    projects = layers.load_layer("projects").set_index("id")
    line = gpd.GeoSeries([projects.loc["airport_second_passage_ph1", "geometry"]], crs=4326)
    assert line.to_crs(METRIC).length[0] / 1000 == pytest.approx(20.44, rel=0.10)


def test_unknown_layer_name_is_a_clear_error() -> None:
    with pytest.raises(LayerError, match="unknown layer 'zonez'.*zones"):
        layers.load_layer("zonez")


# ----------------------------------------------------------------------------- import


def _write_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    return path


def _feature(geom, **props) -> dict:
    return {
        "type": "Feature",
        "geometry": mapping(geom) if geom is not None else None,
        "properties": props,
    }


def test_import_gcj02_file_replaces_embedded_layer(tmp_path: Path) -> None:
    embedded = layers.load_layer("facilities", located_only=True).set_index("id")
    airport = embedded.loc["airport", "geometry"]
    gx, gy = crs.wgs84_to_gcj02(airport.x, airport.y)
    src = _write_geojson(
        tmp_path / "fac.geojson",
        [_feature(Point(gx, gy), id="airport", name_zh="太平机场", name_en="Taiping Airport")],
    )
    assert layers.layer_origin("facilities") == "embedded"
    layers.import_layer(src, "facilities", crs="gcj02")
    assert layers.layer_origin("facilities") == "imported"
    loaded = layers.load_layer("facilities")
    assert len(loaded) == 1
    back = loaded.geometry.iloc[0]
    # Within 0.5 m of the original WGS-84 point (1e-5 deg ~ 1 m).
    assert abs(back.x - airport.x) < 5e-6 and abs(back.y - airport.y) < 5e-6
    assert loaded["accuracy"].iloc[0] == "official"
    assert layers.load_layer("facilities", embedded=True).shape[0] == len(embedded) + 1
    assert layers.remove_imported_layer("facilities")
    assert layers.layer_origin("facilities") == "embedded"


def test_import_csv_with_lon_lat_columns(tmp_path: Path) -> None:
    csv = tmp_path / "points.csv"
    csv.write_text("id,name_zh,经度,纬度\np1,测试点,126.63,45.75\n", encoding="utf-8")
    gdf = layers.import_layer(csv, "facilities")
    assert gdf.geometry.iloc[0].equals(Point(126.63, 45.75))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="not found"):
        layers.import_layer(tmp_path / "nope.gpkg", "zones")


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    with pytest.raises(DataSourceError, match="empty"):
        layers.import_layer(empty, "zones")


def test_file_that_is_not_gis(tmp_path: Path) -> None:
    junk = tmp_path / "notes.gpkg"
    junk.write_text("this is a meeting note, not a GeoPackage", encoding="utf-8")
    with pytest.raises(DataSourceError, match="not a GIS file"):
        layers.import_layer(junk, "zones")


def test_csv_without_coordinate_columns(tmp_path: Path) -> None:
    csv = tmp_path / "table.csv"
    csv.write_text("id,name_zh,value\na,甲,1\n", encoding="utf-8")
    with pytest.raises(DataSourceError, match="no coordinate columns.*lon and lat"):
        layers.import_layer(csv, "facilities")


def test_swapped_lon_lat(tmp_path: Path) -> None:
    csv = tmp_path / "swapped.csv"
    csv.write_text("id,name_zh,lon,lat\na,甲,45.75,126.63\n", encoding="utf-8")
    with pytest.raises(CRSError, match="swapped"):
        layers.import_layer(csv, "facilities")


def test_unknown_crs_name(tmp_path: Path) -> None:
    src = _write_geojson(
        tmp_path / "f.geojson", [_feature(Point(126.6, 45.7), id="a", name_zh="甲")]
    )
    with pytest.raises(CRSError, match="marsian"):
        layers.import_layer(src, "facilities", crs="marsian")


def test_invalid_geometry_names_the_feature_and_the_fix(tmp_path: Path) -> None:
    bowtie = Polygon([(126.60, 45.70), (126.62, 45.72), (126.62, 45.70), (126.60, 45.72)])
    assert not bowtie.is_valid
    src = _write_geojson(
        tmp_path / "z.geojson", [_feature(bowtie, id="bad_zone", name_zh="坏区", name_en="Bad")]
    )
    with pytest.raises(LayerError, match="bad_zone.*invalid geometry.*make_valid would fix it"):
        layers.import_layer(src, "zones")
    gdf = layers.import_layer(src, "zones", fix_invalid=True)
    assert gdf.geometry.iloc[0].is_valid


def test_feature_without_required_fields(tmp_path: Path) -> None:
    src = _write_geojson(
        tmp_path / "p.geojson",
        [_feature(Point(126.6, 45.7), id="x1", title_zh="某项目", phase="近期", status="planned")],
    )
    with pytest.raises(LayerError, match="required field 'item' is missing"):
        layers.import_layer(src, "projects")


def test_far_from_harbin(tmp_path: Path) -> None:
    src = _write_geojson(
        tmp_path / "f.geojson", [_feature(Point(-122.27, 37.80), id="a", name_zh="奥克兰")]
    )
    with pytest.raises(CRSError, match="km"):
        layers.import_layer(src, "facilities")


def test_projected_file_is_converted(tmp_path: Path) -> None:
    zones = layers.load_layer("zones", located_only=True)
    path = tmp_path / "zones_4551.gpkg"
    zones.to_crs(METRIC).to_file(path, driver="GPKG")
    stored = layers.import_layer(path, "zones")
    assert shapely.equals_exact(stored.geometry.iloc[0], zones.geometry.iloc[0], tolerance=1e-7)


# ----------------------------------------------------------------------------- export


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "shp"])
def test_export_round_trip(tmp_path: Path, fmt: str) -> None:
    out = layers.export_layer("zones", tmp_path / f"zones.{fmt}")
    back = gpd.read_file(out)
    original = layers.load_layer("zones", located_only=True)
    assert len(back[back.geometry.notna()]) == len(original)
    assert back.crs.to_epsg() == 4326


def test_export_csv_points_in_gcj02(tmp_path: Path) -> None:
    out = layers.export_layer("facilities", tmp_path / "facilities.csv", crs="gcj02")
    import pandas as pd

    table = pd.read_csv(out, encoding="utf-8-sig").set_index("id")
    airport = layers.load_layer("facilities").set_index("id").loc["airport", "geometry"]
    gx, gy = crs.wgs84_to_gcj02(airport.x, airport.y)
    assert table.loc["airport", "lon"] == pytest.approx(gx, abs=1e-9)
    assert table.loc["airport", "lat"] == pytest.approx(gy, abs=1e-9)


def test_export_in_metric_crs(tmp_path: Path) -> None:
    out = layers.export_layer("zones", tmp_path / "zones.gpkg", crs="EPSG:4551")
    back = gpd.read_file(out)
    assert back.crs.to_epsg() == 4551
    ftz = back.set_index("id").loc["ftz_harbin", "geometry"]
    assert ftz.area / 1e6 == pytest.approx(79.86, rel=0.02)


def test_failed_export_keeps_the_good_file(tmp_path: Path) -> None:
    out = tmp_path / "zones.geojson"
    layers.export_layer("zones", out)
    before = out.read_bytes()
    with pytest.raises(CRSError):
        layers.export_layer("zones", out, crs="not-a-crs")
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["zones.geojson"]


def test_import_kml(tmp_path: Path) -> None:
    kml = tmp_path / "stations.kml"
    kml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        '<Placemark><name>西站</name><ExtendedData><Data name="id"><value>hw</value></Data>'
        '<Data name="name_zh"><value>哈尔滨西站</value></Data></ExtendedData>'
        "<Point><coordinates>126.5714,45.7053</coordinates></Point></Placemark></Document></kml>",
        encoding="utf-8",
    )
    gdf = layers.import_layer(kml, "facilities")
    assert list(gdf["id"]) == ["hw"] and list(gdf["name_zh"]) == ["哈尔滨西站"]
    assert gdf.geometry.iloc[0].equals(Point(126.5714, 45.7053))


def test_import_bd09_csv_lands_on_the_published_wgs84_point(tmp_path: Path) -> None:
    # Harbin West, published WGS-84 45.7053, 126.5714 (harbin-facts §9), given in BD-09.
    bx, by = crs.wgs84_to_bd09(126.5714, 45.7053)
    csv = tmp_path / "baidu.csv"
    csv.write_text(f"id,name_zh,lng,lat\nhw,哈尔滨西站,{bx:.7f},{by:.7f}\n", encoding="utf-8")
    gdf = layers.import_layer(csv, "facilities", crs="bd09")
    p = gdf.geometry.iloc[0]
    assert abs(p.x - 126.5714) < 2e-6 and abs(p.y - 45.7053) < 2e-6


def test_a_shapefile_part_that_is_a_pipe_is_refused_before_gdal_opens_it(tmp_path: Path) -> None:
    import os

    zones = layers.load_layer("zones")[["id", "geometry"]]
    shp = tmp_path / "zones.shp"
    zones.to_file(shp, driver="ESRI Shapefile", engine="pyogrio")
    assert len(layers.read_vector_file(shp)) == len(zones)  # a whole shapefile reads
    (tmp_path / "zones.dbf").unlink()
    os.mkfifo(tmp_path / "zones.dbf")
    with pytest.raises(DataSourceError, match=r"zones.dbf: is a pipe.*part of zones.shp"):
        layers.read_vector_file(shp)


def test_a_layer_file_over_its_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = tmp_path / "points.csv"
    csv.write_text("id,lon,lat\np1,126.63,45.75\n", encoding="utf-8")
    assert len(layers.read_vector_file(csv)) == 1
    monkeypatch.setattr(layers, "max_layer_csv_bytes", csv.stat().st_size - 1)
    with pytest.raises(DataSourceError, match="points.csv: .* is more than the"):
        layers.read_vector_file(csv)
    with pytest.raises(DataSourceError, match="is a folder"):
        layers.read_vector_file(tmp_path)
