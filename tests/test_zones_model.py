"""The model's zone layer ``zones_model`` (built by tools/build_model_zones.py)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import shape

REPO = Path(__file__).resolve().parents[1]
LAYER = REPO / "data" / "boundaries" / "zones_model.geojson"
PARAMETERS = REPO / "data" / "demand" / "parameters.toml"
TRUNK = REPO / "data" / "roads" / "trunk.geojson"
OSM = REPO.parent / "shared" / "reference" / "osm" / "harbin-core.osm.pbf"
BOX = (126.506, 45.658, 126.772, 45.831)

_TO_M = Transformer.from_crs("EPSG:4326", "EPSG:4551", always_xy=True)


def _metric(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(_TO_M.transform(xy[:, 0], xy[:, 1])))


@pytest.fixture(scope="module")
def features() -> list[dict]:
    return json.loads(LAYER.read_text(encoding="utf-8"))["features"]


@pytest.fixture(scope="module")
def internal(features: list[dict]) -> list[dict]:
    return [f for f in features if f["properties"]["kind"] != "external"]


@pytest.fixture(scope="module")
def census() -> dict[str, float]:
    params = tomllib.loads(PARAMETERS.read_text(encoding="utf-8"))
    return {d["id"]: float(d["population"]) for d in params["zones"]["district"]}


def test_enough_zones_with_unique_ids(features: list[dict], internal: list[dict]) -> None:
    assert len(internal) >= 150
    ids = [f["properties"]["id"] for f in features]
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids)


def test_every_polygon_valid_and_no_sliver(features: list[dict]) -> None:
    for f in features:
        geom = shape(f["geometry"])
        assert geom.geom_type == "Polygon", f["properties"]["id"]
        assert geom.is_valid, f["properties"]["id"]
        if f["properties"]["kind"] != "external":
            assert _metric(geom).area >= 0.1e6, f["properties"]["id"]


def test_zones_do_not_overlap(internal: list[dict]) -> None:
    geoms = [_metric(shape(f["geometry"])) for f in internal]
    union = shapely.union_all(geoms)
    assert union.area == pytest.approx(sum(g.area for g in geoms), rel=1e-4)


def test_population_sums_to_census(internal: list[dict], census: dict[str, float]) -> None:
    totals: dict[str, float] = defaultdict(float)
    for f in internal:
        assert f["properties"]["population"] >= 0
        totals[f["properties"]["district"]] += f["properties"]["population"]
    assert set(totals) == set(census)
    for district, population in census.items():
        assert totals[district] == pytest.approx(population, abs=1e-6), district


def test_every_district_has_several_zones(internal: list[dict], census: dict[str, float]) -> None:
    count = defaultdict(int)
    for f in internal:
        count[f["properties"]["district"]] += 1
    assert all(count[d] >= 4 for d in census), dict(count)


def test_jobs_share_sums_to_one(features: list[dict], internal: list[dict]) -> None:
    assert sum(f["properties"]["jobs_share"] for f in internal) == pytest.approx(1.0, abs=1e-9)
    assert all(f["properties"]["jobs_weight"] >= 0 for f in internal)
    for f in features:
        if f["properties"]["kind"] == "external":
            p = f["properties"]
            assert (p["population"], p["jobs_weight"], p["jobs_share"]) == (0, 0, 0)


def test_externals_at_ends_of_trunk_lines(features: list[dict]) -> None:
    ends = []
    for line in json.loads(TRUNK.read_text(encoding="utf-8"))["features"]:
        coords = line["geometry"]["coordinates"]
        ends += [coords[0], coords[-1]]
    ends_m = shapely.MultiPoint([_metric(shapely.Point(xy)) for xy in ends])
    externals = [f for f in features if f["properties"]["kind"] == "external"]
    assert len(externals) >= 6
    for f in externals:
        assert f["properties"]["road"], f["properties"]["id"]
        centre = _metric(shape(f["geometry"]).centroid)
        assert centre.distance(ends_m) <= 1000.0, f["properties"]["id"]


def test_core_zones_smaller_than_outer(internal: list[dict]) -> None:
    areas = defaultdict(list)
    for f in internal:
        areas[f["properties"]["district"]].append(f["properties"]["area_km2"])
    core = max(statistics.median(areas["daoli"]), statistics.median(areas["nangang"]))
    outer = min(statistics.median(areas["shuangcheng"]), statistics.median(areas["hulan"]))
    assert core < outer
    assert core <= 3.0


def test_residential_zone_denser_than_its_district(internal: list[dict]) -> None:
    # In each core district, the zone with the densest residential floor area (from OSM,
    # inside the box) is at least twice as densely peopled as the district as a whole.
    for district in ("daoli", "nangang", "xiangfang"):
        zones = [f["properties"] for f in internal if f["properties"]["district"] == district]
        average = sum(z["population"] for z in zones) / sum(z["area_km2"] for z in zones)
        top = max(zones, key=lambda z: z["residential_m2"] / z["area_km2"])
        assert top["kind"] == "urban"
        assert top["population"] / top["area_km2"] > 2 * average, district


def test_layer_loads_and_validates() -> None:
    from sanqu_geo import layers

    gdf = layers.load_layer("zones_model")
    assert len(gdf) >= 150
    assert layers.validate_layer(gdf, "zones_model") == []


@pytest.mark.skipif(not OSM.is_file(), reason="../shared/reference/osm/harbin-core.osm.pbf absent")
def test_rebuild_gives_the_same_file(tmp_path: Path) -> None:
    out = tmp_path / "zones_model.geojson"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "build_model_zones.py"),
            "--osm",
            str(OSM),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == LAYER.read_bytes()
