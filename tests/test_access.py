"""Snapping facilities and zones to a small synthetic graph with hand-computable answers."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import pytest
from pyproj import Transformer
from shapely.geometry import Point, box

from sanqu_geo import access, settings
from sanqu_geo.errors import NetworkError

_TO_WGS = Transformer.from_crs(settings.metric_crs, settings.default_crs, always_xy=True)
X0, Y0 = 550_000.0, 5_065_000.0  # central Harbin in EPSG:4551


def _wgs(dx: float, dy: float) -> tuple[float, float]:
    return _TO_WGS.transform(X0 + dx, Y0 + dy)


def _grid() -> nx.MultiDiGraph:
    """Nodes 1..3 on a primary road along y=0 at x = 0, 1000, 2000 m; node 4 on a motorway."""
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for n, (dx, dy) in {1: (0, 0), 2: (1000, 0), 3: (2000, 0), 4: (1000, 500)}.items():
        x, y = _wgs(dx, dy)
        G.add_node(n, x=x, y=y)
    for u, v in ((1, 2), (2, 3)):
        G.add_edge(u, v, highway="primary", length=1000.0)
        G.add_edge(v, u, highway="primary", length=1000.0)
    G.add_edge(4, 4, highway="motorway", length=10.0)
    return G


def _points(rows: dict[str, tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": list(rows)}, geometry=[Point(*_wgs(*d)) for d in rows.values()], crs=4326
    )


def test_facility_snaps_to_nearest_allowed_node_not_the_motorway() -> None:
    G = _grid()
    result = access.access_nodes(G, _points({"f": (1000, 400)}), connector_speed_kph=36.0)
    (row,) = result.itertuples()
    assert row.node == 2  # node 4 (motorway) is 100 m away but not allowed
    assert row.distance_m == pytest.approx(400.0, abs=0.5)
    assert row.connector_s == pytest.approx(40.0, abs=0.1)  # 400 m at 10 m/s
    assert row.method == "nearest"


def test_too_far_is_an_error_naming_the_feature() -> None:
    with pytest.raises(NetworkError, match=r"far_away.*4000 m away.*3000 m limit"):
        access.access_nodes(_grid(), _points({"far_away": (0, 4000)}), max_distance_m=3000)


def test_zone_uses_its_gates_when_given() -> None:
    G = _grid()
    x0, y0 = _wgs(-300, -300)
    x1, y1 = _wgs(2300, -100)
    zones = gpd.GeoDataFrame({"id": ["z"]}, geometry=[box(x0, y0, x1, y1)], crs=4326)
    gates = _points({"gate": (2000, -100)})
    gates["zone"] = "z"
    result = access.access_nodes(G, zones, gates=gates)
    assert list(result["node"]) == [3]
    assert result["method"].iloc[0] == "gate"
    assert result["distance_m"].iloc[0] == pytest.approx(100.0, abs=0.5)


def test_zone_without_gates_joins_along_its_boundary() -> None:
    G = _grid()
    x0, y0 = _wgs(-300, -300)
    x1, y1 = _wgs(2300, -100)
    zones = gpd.GeoDataFrame({"id": ["z"]}, geometry=[box(x0, y0, x1, y1)], crs=4326)
    result = access.access_nodes(G, zones, boundary_points=8)
    assert set(result["node"]) == {1, 2, 3}
    assert (result["method"] == "boundary").all()


def test_unlocated_feature_is_skipped() -> None:
    features = gpd.GeoDataFrame({"id": ["nowhere"]}, geometry=[None], crs=4326)
    assert access.access_nodes(_grid(), features).empty
