"""Tests of sanqu_geo.crs against published Harbin facts, an independent scalar version of the
classic formulas, and round-trip properties."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from shapely.geometry import (
    GeometryCollection,
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
)

from sanqu_geo import crs
from sanqu_geo.errors import CRSError

# ---------------------------------------------------------------------------------------------
# An independent scalar version of the classic (coordtransform / eviltransform) formulas,
# written out with the math module, one point at a time.
# ---------------------------------------------------------------------------------------------

A = 6378245.0
EE = 0.00669342162296594323
X_PI = math.pi * 3000.0 / 180.0


def _ref_out_of_china(lng: float, lat: float) -> bool:
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _ref_transform_lat(lng: float, lat: float) -> float:
    ret = -100.0 + 2.0 * lng + 3.0 * lat + 0.2 * lat * lat + 0.1 * lng * lat
    ret += 0.2 * math.sqrt(math.fabs(lng))
    ret += (20.0 * math.sin(6.0 * lng * math.pi) + 20.0 * math.sin(2.0 * lng * math.pi)) * 2 / 3
    ret += (20.0 * math.sin(lat * math.pi) + 40.0 * math.sin(lat / 3.0 * math.pi)) * 2 / 3
    ret += (160.0 * math.sin(lat / 12.0 * math.pi) + 320 * math.sin(lat * math.pi / 30.0)) * 2 / 3
    return ret


def _ref_transform_lng(lng: float, lat: float) -> float:
    ret = 300.0 + lng + 2.0 * lat + 0.1 * lng * lng + 0.1 * lng * lat
    ret += 0.1 * math.sqrt(math.fabs(lng))
    ret += (20.0 * math.sin(6.0 * lng * math.pi) + 20.0 * math.sin(2.0 * lng * math.pi)) * 2 / 3
    ret += (20.0 * math.sin(lng * math.pi) + 40.0 * math.sin(lng / 3.0 * math.pi)) * 2 / 3
    ret += (150.0 * math.sin(lng / 12.0 * math.pi) + 300.0 * math.sin(lng / 30.0 * math.pi)) * 2 / 3
    return ret


def ref_wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    if _ref_out_of_china(lng, lat):
        return lng, lat
    dlat = _ref_transform_lat(lng - 105.0, lat - 35.0)
    dlng = _ref_transform_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = math.sin(radlat)
    magic = 1 - EE * magic * magic
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (A / sqrtmagic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat


def ref_gcj02_to_wgs84_one_step(lng: float, lat: float) -> tuple[float, float]:
    """The common one-step approximation (not exact: off by up to a few metres)."""
    mglng, mglat = ref_wgs84_to_gcj02(lng, lat)
    return lng * 2 - mglng, lat * 2 - mglat


def ref_gcj02_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def ref_bd09_to_gcj02(bd_lon: float, bd_lat: float) -> tuple[float, float]:
    """The published closed-form inverse (approximate to well under a metre)."""
    x = bd_lon - 0.0065
    y = bd_lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Local flat-earth distance in metres between two nearby points."""
    m_per_deg = 111_320.0
    dx = (lon2 - lon1) * m_per_deg * math.cos(math.radians(lat1))
    dy = (lat2 - lat1) * m_per_deg
    return math.hypot(dx, dy)


HARBIN_LON = st.floats(125.0, 128.0)
HARBIN_LAT = st.floats(44.8, 46.6)
# Keep 0.05° inside the rough China box: a point right at its edge can cross it when shifted,
# and then the inverse rightly treats it as outside China.
CHINA_LON = st.floats(72.1, 137.7)
CHINA_LAT = st.floats(0.9, 55.7)

# Harbin metro stations in WGS-84 (lat, lon), from ../shared/reference/harbin-facts.md Annex A.
METRO_WGS84 = [
    (45.78728, 126.70300),
    (45.76677, 126.64992),
    (45.74264, 126.62182),
    (45.69556, 126.60979),
    (45.60394, 126.62706),
    (45.87110, 126.53753),
    (45.77663, 126.56173),
    (45.72499, 126.73639),
    (45.70434, 126.57328),
    (45.74843, 126.69057),
]

# ---------------------------------------------------------------------------------------------
# Published reference values
# ---------------------------------------------------------------------------------------------


def test_harbin_gcj02_offset_matches_published_size():
    # harbin-facts.md §0: in Harbin GCJ-02 − WGS84 ≈ +0.0061° lon, +0.0020° lat.
    for lat, lon in METRO_WGS84:
        glon, glat = crs.wgs84_to_gcj02(lon, lat)
        assert glon - lon == pytest.approx(0.0061, abs=0.0005)
        assert glat - lat == pytest.approx(0.0020, abs=0.0005)


def test_convention_centre_gcj02_to_wgs84():
    # harbin-facts.md §10: en-wiki 45.7521, 126.7011 reads as GCJ-02 → WGS-84 45.7500, 126.6950.
    lon, lat = crs.gcj02_to_wgs84(126.7011, 45.7521)
    assert lon == pytest.approx(126.6950, abs=0.0002)
    assert lat == pytest.approx(45.7500, abs=0.0002)


def test_bd09_offset_size_in_harbin():
    # BD-09 adds 0.0065/0.006 plus a scale and rotation bounded by 2e-5 + 3e-6 rad × |z| ≈ 4e-4°.
    for lat, lon in METRO_WGS84:
        glon, glat = crs.wgs84_to_gcj02(lon, lat)
        blon, blat = crs.gcj02_to_bd09(glon, glat)
        assert blon - glon == pytest.approx(0.0065, abs=0.0005)
        assert blat - glat == pytest.approx(0.006, abs=0.0005)


# ---------------------------------------------------------------------------------------------
# Against the independent scalar version
# ---------------------------------------------------------------------------------------------


def _random_points(seed: int, n: int = 500) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(73.0, 135.0, n), rng.uniform(18.0, 53.5, n)


def test_wgs84_to_gcj02_matches_scalar_reference():
    lon, lat = _random_points(1)
    got_lon, got_lat = crs.wgs84_to_gcj02(lon, lat)
    want = np.array([ref_wgs84_to_gcj02(x, y) for x, y in zip(lon, lat, strict=True)])
    np.testing.assert_allclose(got_lon, want[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got_lat, want[:, 1], rtol=0, atol=1e-12)


def test_gcj02_to_bd09_matches_scalar_reference():
    lon, lat = _random_points(2)
    got_lon, got_lat = crs.gcj02_to_bd09(lon, lat)
    want = np.array([ref_gcj02_to_bd09(x, y) for x, y in zip(lon, lat, strict=True)])
    np.testing.assert_allclose(got_lon, want[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got_lat, want[:, 1], rtol=0, atol=1e-12)


def test_inverses_agree_with_classic_approximations():
    lon, lat = _random_points(3)
    wlon, wlat = crs.gcj02_to_wgs84(lon, lat)
    glon, glat = crs.bd09_to_gcj02(lon, lat)
    for i in range(lon.size):
        approx_w = ref_gcj02_to_wgs84_one_step(lon[i], lat[i])
        assert metres(wlon[i], wlat[i], *approx_w) < 5.0
        approx_g = ref_bd09_to_gcj02(lon[i], lat[i])
        assert metres(glon[i], glat[i], *approx_g) < 1.0


def test_inverse_is_better_than_one_step_approximation():
    # The exact inverse reproduces the GCJ-02 input; the one-step one does not.
    for lat, lon in METRO_WGS84:
        glon, glat = ref_wgs84_to_gcj02(lon, lat)
        wlon, wlat = crs.gcj02_to_wgs84(glon, glat)
        assert metres(wlon, wlat, lon, lat) < 1e-3


# ---------------------------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------------------------


@given(HARBIN_LON, HARBIN_LAT)
def test_gcj02_round_trip_harbin(lon, lat):
    back = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(lon, lat))
    assert metres(lon, lat, *back) < 0.01
    fwd = crs.wgs84_to_gcj02(*crs.gcj02_to_wgs84(lon, lat))
    assert metres(lon, lat, *fwd) < 0.01


@given(CHINA_LON, CHINA_LAT)
def test_gcj02_round_trip_china(lon, lat):
    back = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(lon, lat))
    assert metres(lon, lat, *back) < 0.5


@given(HARBIN_LON, HARBIN_LAT)
def test_bd09_round_trips_harbin(lon, lat):
    assert metres(lon, lat, *crs.bd09_to_gcj02(*crs.gcj02_to_bd09(lon, lat))) < 0.01
    assert metres(lon, lat, *crs.gcj02_to_bd09(*crs.bd09_to_gcj02(lon, lat))) < 0.01
    assert metres(lon, lat, *crs.bd09_to_wgs84(*crs.wgs84_to_bd09(lon, lat))) < 0.01


@given(CHINA_LON, CHINA_LAT)
def test_bd09_round_trip_china(lon, lat):
    assert metres(lon, lat, *crs.bd09_to_wgs84(*crs.wgs84_to_bd09(lon, lat))) < 0.5


@hypothesis_settings(max_examples=30)
@given(st.lists(st.tuples(CHINA_LON, CHINA_LAT), min_size=1, max_size=50))
def test_round_trip_on_arrays(points):
    lon, lat = np.array(points).T
    blon, blat = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(lon, lat))
    dist = np.hypot((blon - lon) * np.cos(np.radians(lat)), blat - lat) * 111_320.0
    assert dist.max() < 0.5


# ---------------------------------------------------------------------------------------------
# Outside China, shapes, NaN, validation
# ---------------------------------------------------------------------------------------------

OUTSIDE = [(139.69, 35.68), (-122.27, 37.80), (37.6, 55.75), (0.0, 0.0), (126.6, 60.0)]


@pytest.mark.parametrize(("lon", "lat"), OUTSIDE)
def test_identity_outside_china(lon, lat):
    assert crs.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert crs.gcj02_to_wgs84(lon, lat) == (lon, lat)


def test_outside_china_is_element_wise():
    lon = np.array([139.69, 126.63, -122.27])
    lat = np.array([35.68, 45.75, 37.80])
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    assert glon[0] == 139.69 and glat[0] == 35.68
    assert glon[2] == -122.27 and glat[2] == 37.80
    assert (glon[1], glat[1]) == pytest.approx(ref_wgs84_to_gcj02(126.63, 45.75), abs=1e-12)
    wlon, wlat = crs.gcj02_to_wgs84(glon, glat)
    np.testing.assert_allclose(wlon, lon, atol=1e-9)
    np.testing.assert_allclose(wlat, lat, atol=1e-9)


ALL_CONVERSIONS = [
    crs.wgs84_to_gcj02,
    crs.gcj02_to_wgs84,
    crs.gcj02_to_bd09,
    crs.bd09_to_gcj02,
    crs.wgs84_to_bd09,
    crs.bd09_to_wgs84,
]


@pytest.mark.parametrize("convert", ALL_CONVERSIONS)
def test_scalars_give_python_floats(convert):
    lon, lat = convert(126.63, 45.75)
    assert type(lon) is float and type(lat) is float
    lon, lat = convert(126, 45)
    assert type(lon) is float and type(lat) is float


@pytest.mark.parametrize("convert", ALL_CONVERSIONS)
@pytest.mark.parametrize("shape", [(0,), (5,), (3, 4), (2, 2, 2)])
def test_arrays_keep_their_shape(convert, shape):
    rng = np.random.default_rng(4)
    lon = rng.uniform(125, 128, shape)
    lat = rng.uniform(44.8, 46.6, shape)
    out_lon, out_lat = convert(lon, lat)
    assert isinstance(out_lon, np.ndarray) and out_lon.shape == shape
    assert isinstance(out_lat, np.ndarray) and out_lat.shape == shape
    flat = convert(lon.ravel(), lat.ravel())
    np.testing.assert_array_equal(out_lon.ravel(), flat[0])
    np.testing.assert_array_equal(out_lat.ravel(), flat[1])


@pytest.mark.parametrize("convert", ALL_CONVERSIONS)
def test_nan_gives_nan(convert):
    assert all(math.isnan(v) for v in convert(math.nan, math.nan))
    lon, lat = convert([126.6, math.nan, 126.7], [45.7, 45.7, math.nan])
    assert np.isfinite(lon[0]) and np.isfinite(lat[0])
    assert np.isnan(lon[1]) and np.isnan(lat[2])


def test_lists_accepted():
    lon, _ = crs.wgs84_to_gcj02([126.63, 126.7], [45.75, 45.8])
    assert isinstance(lon, np.ndarray) and lon.shape == (2,)


@pytest.mark.parametrize("convert", ALL_CONVERSIONS)
def test_mismatched_shapes_rejected(convert):
    with pytest.raises(CRSError, match=r"\(3,\).*\(4,\)"):
        convert(np.zeros(3), np.zeros(4))


def test_non_numeric_rejected():
    with pytest.raises(CRSError, match="numbers"):
        crs.wgs84_to_gcj02("east", "north")


# ---------------------------------------------------------------------------------------------
# parse_crs
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gcj02", "gcj02"),
        ("GCJ-02", "gcj02"),
        ("gcj", "gcj02"),
        ("Mars", "gcj02"),
        ("bd09", "bd09"),
        ("BD-09", "bd09"),
        ("baidu", "bd09"),
        ("wgs84", "wgs84"),
        ("WGS-84", "wgs84"),
        ("epsg:4326", "wgs84"),
        ("EPSG:4326", "wgs84"),
        ("4326", "wgs84"),
        (" wgs84 ", "wgs84"),
        ("CGCS2000", "wgs84"),
        ("EPSG:4490", "wgs84"),
        ("4490", "wgs84"),
        (4326, "wgs84"),
        (4490, "wgs84"),
        (pyproj.CRS("EPSG:4326"), "wgs84"),
        (pyproj.CRS("OGC:CRS84"), "wgs84"),
    ],
)
def test_parse_crs_names(name, expected):
    assert crs.parse_crs(name) == expected


@pytest.mark.parametrize("name", ["EPSG:4551", "epsg:4551", 4551, pyproj.CRS(4551)])
def test_parse_crs_pyproj(name):
    parsed = crs.parse_crs(name)
    assert isinstance(parsed, pyproj.CRS)
    assert parsed.to_epsg() == 4551


@pytest.mark.parametrize("name", ["foo", "gcj03", "EPSG:999999", "", 3.5, None])
def test_parse_crs_unknown(name):
    with pytest.raises(CRSError) as info:
        crs.parse_crs(name)
    assert type(info.value) is CRSError
    message = str(info.value)
    if name not in ("", None):
        assert repr(name) in message
    assert "wgs84, gcj02, bd09, cgcs2000" in message


def test_to_wgs84_unknown_crs_is_our_error():
    with pytest.raises(CRSError, match="'foo'"):
        crs.to_wgs84(Point(126.6, 45.7), "foo")


# ---------------------------------------------------------------------------------------------
# Geometries and frames
# ---------------------------------------------------------------------------------------------

SHELL = [(126.60, 45.70), (126.70, 45.70), (126.70, 45.80), (126.60, 45.80), (126.60, 45.70)]
HOLE = [(126.62, 45.72), (126.64, 45.72), (126.64, 45.74), (126.62, 45.72)]
POLYGON = Polygon(SHELL, [HOLE])
GEOMETRIES = {
    "point": Point(126.63, 45.75),
    "point_z": Point(126.63, 45.75, 139.0),
    "linestring": LineString([(126.5, 45.7), (126.6, 45.75), (126.7, 45.8)]),
    "polygon_with_hole": POLYGON,
    "multipoint": MultiPoint([(126.5, 45.7), (126.7, 45.8)]),
    "multilinestring": MultiLineString(
        [[(126.5, 45.7), (126.6, 45.7)], [(126.7, 45.8), (127, 46)]]
    ),
    "multipolygon": MultiPolygon([POLYGON, Polygon([(127, 46), (127.1, 46), (127.1, 46.1)])]),
    "collection": GeometryCollection([Point(126.6, 45.7), LineString([(126.5, 45.7), (127, 46)])]),
    "empty": Polygon(),
    "empty_collection": GeometryCollection(),
}


def _expected_coords(geometry, convert):
    coords = shapely.get_coordinates(geometry)
    lon, lat = convert(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


@pytest.mark.parametrize("kind", list(GEOMETRIES))
@pytest.mark.parametrize(
    ("source", "convert"), [("gcj02", crs.gcj02_to_wgs84), ("bd09", crs.bd09_to_wgs84)]
)
def test_to_wgs84_geometry_types(kind, source, convert):
    geometry = GEOMETRIES[kind]
    out = crs.to_wgs84(geometry, source)
    assert out.geom_type == geometry.geom_type
    assert out.is_empty == geometry.is_empty
    assert shapely.get_num_coordinates(out) == shapely.get_num_coordinates(geometry)
    assert shapely.has_z(out) == shapely.has_z(geometry)
    np.testing.assert_allclose(
        shapely.get_coordinates(out), _expected_coords(geometry, convert), atol=1e-12
    )
    if isinstance(geometry, Polygon) and not geometry.is_empty:
        assert len(out.interiors) == len(geometry.interiors)
    if kind == "point_z":
        assert out.z == 139.0
    back = crs.from_wgs84(out, source)
    np.testing.assert_allclose(
        shapely.get_coordinates(back), shapely.get_coordinates(geometry), atol=1e-9
    )


def test_to_wgs84_geometry_moves_by_the_offset():
    out = crs.to_wgs84(Point(126.7011, 45.7521), "gcj02")
    assert out.x == pytest.approx(126.6950, abs=0.0002)
    assert out.y == pytest.approx(45.7500, abs=0.0002)


@pytest.mark.parametrize("source", ["wgs84", "cgcs2000", "EPSG:4490", 4326])
def test_to_wgs84_lonlat_sources_leave_coordinates(source):
    out = crs.to_wgs84(POLYGON, source)
    np.testing.assert_allclose(
        shapely.get_coordinates(out), shapely.get_coordinates(POLYGON), atol=1e-7
    )


def _frame(crs_label="EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name_en": ["a", "b", "c"], "value": [1, 2, 3]},
        geometry=[POLYGON, GEOMETRIES["linestring"], Point(126.63, 45.75)],
        index=pd.Index([10, 20, 30], name="fid"),
        crs=crs_label,
    )


@pytest.mark.parametrize(
    ("source", "convert"), [("gcj02", crs.gcj02_to_wgs84), ("bd09", crs.bd09_to_wgs84)]
)
@pytest.mark.parametrize("label", ["EPSG:4326", None])
def test_to_wgs84_geodataframe(source, convert, label):
    gdf = _frame(label)
    before = gdf.copy()
    out = crs.to_wgs84(gdf, source)
    assert isinstance(out, gpd.GeoDataFrame)
    assert out.crs == pyproj.CRS("EPSG:4326")
    assert out.index.equals(gdf.index)
    assert list(out.columns) == list(gdf.columns)
    assert out.geometry.name == gdf.geometry.name
    assert out["value"].tolist() == [1, 2, 3]
    np.testing.assert_array_equal(
        shapely.get_num_coordinates(out.geometry.to_numpy()),
        shapely.get_num_coordinates(gdf.geometry.to_numpy()),
    )
    np.testing.assert_allclose(
        shapely.get_coordinates(out.geometry.to_numpy()),
        _expected_coords(gdf.geometry.to_numpy(), convert),
        atol=1e-12,
    )
    assert gdf.geom_equals(before).all()  # the input is not modified


def test_to_wgs84_geoseries():
    gs = gpd.GeoSeries([POLYGON, Point(126.63, 45.75)], index=[5, 6], name="shape")
    out = crs.to_wgs84(gs, "mars")
    assert isinstance(out, gpd.GeoSeries)
    assert out.crs == pyproj.CRS("EPSG:4326")
    assert out.name == "shape" and list(out.index) == [5, 6]


def test_to_wgs84_projected_geodataframe():
    gdf = _frame()
    projected = gdf.to_crs("EPSG:4551")
    for source in ["EPSG:4551", 4551, pyproj.CRS(4551), None]:
        out = crs.to_wgs84(projected, source)
        assert out.crs == pyproj.CRS("EPSG:4326")
        np.testing.assert_allclose(
            shapely.get_coordinates(out.geometry.to_numpy()),
            shapely.get_coordinates(gdf.geometry.to_numpy()),
            atol=1e-9,
        )
    unlabelled = projected.set_crs(None, allow_override=True)
    out = crs.to_wgs84(unlabelled, "EPSG:4551")
    assert out.geom_equals_exact(gdf.geometry, tolerance=1e-9).all()


def test_to_wgs84_projected_geometry():
    point = Point(126.63, 45.75)
    projected = crs.to_metric(point)
    # 126°E is the central meridian of EPSG:4551, with a false easting of 500 000 m; 0.63° east
    # of it at 45.75°N is about 0.63 × 111.32 km × cos(45.75°) ≈ 48.9 km.
    east = 0.63 * 111_320 * math.cos(math.radians(45.75))
    assert projected.x == pytest.approx(500_000 + east, abs=200)
    back = crs.to_wgs84(projected, "EPSG:4551")
    assert back.x == pytest.approx(126.63, abs=1e-9)
    assert back.y == pytest.approx(45.75, abs=1e-9)


def test_to_wgs84_cgcs2000_frame():
    gdf = _frame("EPSG:4490")
    out = crs.to_wgs84(gdf, "cgcs2000")
    assert out.crs == pyproj.CRS("EPSG:4326")
    np.testing.assert_allclose(
        shapely.get_coordinates(out.geometry.to_numpy()),
        shapely.get_coordinates(gdf.geometry.to_numpy()),
        atol=1e-7,
    )


def test_to_wgs84_conflicting_label():
    projected = _frame().to_crs("EPSG:4551")
    with pytest.raises(CRSError, match="EPSG:4551"):
        crs.to_wgs84(projected, "gcj02")
    with pytest.raises(CRSError, match="allow_override"):
        crs.to_wgs84(projected, "EPSG:32652")


def test_to_wgs84_needs_a_crs():
    with pytest.raises(CRSError, match="set_crs"):
        crs.to_wgs84(_frame(None))
    with pytest.raises(CRSError, match="source_crs"):
        crs.to_wgs84(Point(1, 2))


def test_to_wgs84_rejects_other_objects():
    with pytest.raises(CRSError, match="list"):
        crs.to_wgs84([Point(1, 2)], "gcj02")


@pytest.mark.parametrize("target", ["gcj02", "bd09", "EPSG:4551", "wgs84"])
def test_from_wgs84_inverts_to_wgs84(target):
    gdf = _frame()
    shifted = crs.from_wgs84(gdf, target)
    back = crs.to_wgs84(shifted, target)
    assert back.crs == pyproj.CRS("EPSG:4326")
    np.testing.assert_allclose(
        shapely.get_coordinates(back.geometry.to_numpy()),
        shapely.get_coordinates(gdf.geometry.to_numpy()),
        atol=1e-9,
    )


def test_from_wgs84_gcj02_for_drawing():
    shifted = crs.from_wgs84(gpd.GeoSeries([Point(126.63, 45.75)], crs="EPSG:4326"), "gcj02")
    # kept lon/lat-labelled so web maps accept it
    assert shifted.crs == pyproj.CRS("EPSG:4326")
    assert shifted.iloc[0].x - 126.63 == pytest.approx(0.0061, abs=0.0005)


# ---------------------------------------------------------------------------------------------
# Metric measures
# ---------------------------------------------------------------------------------------------


def _km_square_wgs84() -> Polygon:
    x0, y0 = crs.to_metric(Point(126.63, 45.75)).coords[0]
    square = Polygon([(x0, y0), (x0 + 1000, y0), (x0 + 1000, y0 + 1000), (x0, y0 + 1000)])
    return crs.to_wgs84(square, "EPSG:4551")


def test_area_of_a_km_square():
    square = _km_square_wgs84()
    assert crs.area_km2(square) == pytest.approx(1.0, rel=1e-6)
    assert crs.length_m(square) == pytest.approx(4000.0, rel=1e-6)


def test_area_and_length_series_aligned():
    square = _km_square_wgs84()
    line = crs.to_wgs84(LineString([(549_000, 5_067_000), (549_000, 5_069_500)]), "EPSG:4551")
    gdf = gpd.GeoDataFrame(geometry=[square, line], index=["sq", "ln"], crs="EPSG:4326")
    areas = crs.area_km2(gdf)
    assert isinstance(areas, pd.Series) and areas.name == "area_km2"
    assert list(areas.index) == ["sq", "ln"]
    assert areas["sq"] == pytest.approx(1.0, rel=1e-6)
    assert areas["ln"] == 0.0
    lengths = crs.length_m(gdf.geometry)
    assert lengths.name == "length_m"
    assert lengths["ln"] == pytest.approx(2500.0, rel=1e-6)


def test_metric_follows_settings(monkeypatch):
    monkeypatch.setattr(crs.settings, "metric_crs", "EPSG:32652")
    # 126.63°E lies west of UTM 52N's central meridian 129°E
    assert crs.to_metric(Point(126.63, 45.75)).x < 500_000


def test_to_metric_needs_a_crs():
    with pytest.raises(CRSError, match="no CRS"):
        crs.area_km2(_frame(None))


# ---------------------------------------------------------------------------------------------
# Sanity checks
# ---------------------------------------------------------------------------------------------

METRO_LON = np.array([lon for _, lon in METRO_WGS84])
METRO_LAT = np.array([lat for lat, _ in METRO_WGS84])


def test_check_lonlat_accepts_harbin():
    crs.check_lonlat(METRO_LON, METRO_LAT)
    crs.check_lonlat(126.25, 45.62)  # the airport
    crs.check_lonlat([math.nan, 126.6], [math.nan, 45.7])
    crs.check_lonlat([], [])


def test_check_lonlat_swapped():
    with pytest.raises(CRSError, match="swapped") as info:
        crs.check_lonlat(METRO_LAT, METRO_LON, name="stations.csv")
    assert str(info.value).startswith("stations.csv: coordinates look swapped (lat, lon)")
    assert "latitude 126.6" in str(info.value)
    assert "pass lon first" in str(info.value)


def test_check_lonlat_out_of_range():
    # EPSG:4551 metres of central Harbin given as degrees
    x = np.array([549_000.0, 551_000.0])
    y = np.array([5_067_000.0, 5_070_000.0])
    with pytest.raises(CRSError, match="out of range") as info:
        crs.check_lonlat(x, y, name="zones")
    assert "EPSG:4551" in str(info.value)
    with pytest.raises(CRSError, match="out of range"):
        crs.check_lonlat([126.6, 190.0], [45.7, 45.7])


@pytest.mark.parametrize(("lon", "lat"), [*OUTSIDE[:3], (116.39, 39.91)])
def test_check_lonlat_far_from_harbin(lon, lat):
    with pytest.raises(CRSError, match="km") as info:
        crs.check_lonlat([lon, lon], [lat, lat], name="roads")
    message = str(info.value)
    assert message.startswith("roads: ")
    assert "far from Harbin" in message and "EPSG:4551" in message


def test_check_lonlat_distance_in_message():
    # Beijing – Harbin is about 1,050 km great-circle.
    with pytest.raises(CRSError) as info:
        crs.check_lonlat(116.39, 39.91)
    km = int(str(info.value).split(" km from")[0].rsplit(" ", 1)[1])
    assert 1000 < km < 1100


def test_check_lonlat_max_distance():
    crs.check_lonlat(129.6, 44.58, max_distance_km=300)  # Mudanjiang, ~260 km
    with pytest.raises(CRSError, match="km"):
        crs.check_lonlat(129.6, 44.58, max_distance_km=100)


def test_check_lonlat_shapes():
    with pytest.raises(CRSError, match="shapes"):
        crs.check_lonlat([1, 2], [1, 2, 3])


def test_check_geodataframe():
    crs.check_geodataframe(_frame(), name="zones")
    crs.check_geodataframe(_frame("EPSG:4490"), name="zones")
    with pytest.raises(CRSError, match="set_crs") as info:
        crs.check_geodataframe(_frame(None), name="zones")
    assert "--crs gcj02" in str(info.value)
    with pytest.raises(CRSError, match="to_wgs84"):
        crs.check_geodataframe(_frame().to_crs("EPSG:4551"), name="zones")
    swapped = gpd.GeoDataFrame(geometry=gpd.points_from_xy(METRO_LAT, METRO_LON), crs="EPSG:4326")
    with pytest.raises(CRSError, match="swapped"):
        crs.check_geodataframe(swapped, name="stations")
    oakland = gpd.GeoDataFrame(geometry=[Point(-122.27, 37.80)], crs="EPSG:4326")
    with pytest.raises(CRSError, match="km"):
        crs.check_geodataframe(oakland, name="stations")


def test_detect_gcj02_offset():
    reference = np.column_stack([METRO_LON, METRO_LAT])
    glon, glat = crs.wgs84_to_gcj02(METRO_LON, METRO_LAT)
    assert crs.detect_gcj02_offset(np.column_stack([glon, glat]), reference)
    assert not crs.detect_gcj02_offset(reference, reference)
    rng = np.random.default_rng(5)
    noisy = reference + rng.normal(0, 0.0003, reference.shape)  # ~30 m noise
    assert not crs.detect_gcj02_offset(noisy, reference)
    points = gpd.GeoSeries(gpd.points_from_xy(glon, glat), crs="EPSG:4326")
    assert crs.detect_gcj02_offset(points, reference)


@pytest.mark.parametrize(
    "function",
    [
        crs.wgs84_to_gcj02,
        crs.gcj02_to_wgs84,
        crs.gcj02_to_bd09,
        crs.bd09_to_gcj02,
        crs.bd09_to_wgs84,
    ],
)
@pytest.mark.parametrize(
    ("lon", "lat", "shown"),
    [
        (500.0, 45.0, "lon 500"),
        (126.6, -91.0, "lat -91"),
        (1e300, 45.0, "1e+300"),
        (126.6, np.inf, "inf"),
    ],
)
def test_conversions_refuse_coordinates_out_of_range(function, lon, lat, shown):
    with pytest.raises(CRSError, match="out of range") as info:
        function(lon, lat)
    assert shown in str(info.value)
    with pytest.raises(CRSError, match="out of range"):
        function(np.array([126.6, lon]), np.array([45.7, lat]))


def test_conversions_still_pass_nan_through_and_refuse_none():
    lon, lat = crs.wgs84_to_gcj02(np.array([np.nan, 126.6]), np.array([45.7, 45.7]))
    assert np.isnan(lon[0]) and np.isfinite(lon[1])
    assert np.isnan(lat[0]) and np.isfinite(lat[1])
    with pytest.raises(CRSError, match="numbers"):
        crs.wgs84_to_gcj02(None, None)


def test_wrong_arguments_of_the_checks():
    with pytest.raises(CRSError, match="expects a GeoDataFrame or GeoSeries, got NoneType"):
        crs.check_geodataframe(None)
    with pytest.raises(CRSError, match="points must be an"):
        crs.detect_gcj02_offset("a", "b")
    with pytest.raises(CRSError, match="tolerance_m"):
        crs.detect_gcj02_offset([[126.6, 45.7]], [[126.6, 45.7]], tolerance_m=-1)
    with pytest.raises(CRSError, match="max_distance_km"):
        crs.check_lonlat([126.6], [45.7], max_distance_km=float("nan"))
