"""Access nodes: where each facility and zone joins the road graph, and at what connector time.

A facility joins at the nearest node of a road of an allowed class; a zone at its gates when
it has any, else at the nodes nearest to points spread along its boundary. A zone of the model's
zone system (``kind`` ``urban`` or ``outer``, see :data:`settings.model_zone_kinds`) loads at
several nodes spread over its own local and collector roads, never on an expressway; an
external zone at the road end it stands on. Never routes.
"""

from __future__ import annotations

import functools
import logging
import math
import numbers
import threading
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

from sanqu_geo import engine, settings
from sanqu_geo.errors import CRSError, LayerError, NetworkError

logger = logging.getLogger(__name__)

__all__ = ["access_nodes", "allowed_nodes", "loading_nodes"]

#: Largest snapping distance that may be asked for, metres.
max_snap_distance_m: float = 100_000.0

#: Fastest connector speed that may be asked for, km/h.
max_connector_speed_kph: float = 150.0

#: Most boundary points of a zone that may be asked for.
max_boundary_points: int = 1000


def _check_number(value: Any, name: str, high: float, unit: str) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not (ok and math.isfinite(value) and 0 < value <= high):
        msg = f"{name} must be a number of {unit} above 0 and at most {high:,g}, got {value!r}"
        raise NetworkError(msg)
    return float(value)


def _check_classes(classes: Any) -> None:
    if classes is None:
        return
    if isinstance(classes, str | bytes) or not isinstance(classes, Iterable):
        msg = f"classes must be a tuple of road classes such as ('primary', 'secondary'), got {classes!r}"
        raise NetworkError(msg)


def _check_frame(frame: Any, what: str, columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    """A GeoDataFrame with ``columns``, in WGS-84 (converted from the CRS it is labelled with)."""
    if not isinstance(frame, gpd.GeoDataFrame):
        msg = f"{what} must be a GeoDataFrame with {', '.join(columns)} and geometry, got {type(frame).__name__}"
        raise LayerError(msg)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{what} lack the column(s) {', '.join(missing)}; add them"
        raise LayerError(msg)
    if frame.crs is None:
        msg = (
            f"{what} have no CRS; set it, e.g. gdf.set_crs('EPSG:4326') for longitude/latitude "
            "or gdf.set_crs('EPSG:4551') for metres"
        )
        raise CRSError(msg)
    if not frame.crs.equals(settings.default_crs) and not frame.empty:
        frame = frame.to_crs(settings.default_crs)
    return frame


def _metric_transformer() -> Transformer:
    # Building a Transformer costs ~45 ms (PROJ database look-ups) and a meeting pack asks
    # for one over a hundred times; settings are read at call time, so the key holds them.
    # pyproj transformers are not thread-safe: one per thread.
    return _transformer(str(settings.default_crs), str(settings.metric_crs), threading.get_ident())


@functools.lru_cache(maxsize=16)
def _transformer(source: str, target: str, _thread: int) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def allowed_nodes(G: nx.MultiDiGraph, classes: tuple[str, ...] | None = None) -> np.ndarray:
    """Return the nodes touching at least one edge of an allowed road class.

    Nodes a scenario added (attribute ``added_by``) are left out, so places join a scenario
    graph where they join its base graph.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph.
    classes : tuple of str, optional
        Allowed ``highway`` classes (default :data:`settings.snap_classes`).

    Returns
    -------
    numpy.ndarray
        Node ids, sorted.
    """
    engine.check_graph(G)
    _check_classes(classes)
    wanted = set(settings.snap_classes if classes is None else classes)
    found = set()
    added = {n for n, d in G.nodes(data=True) if d.get("added_by")}
    for u, v, data in G.edges(data=True):
        highway = data.get("highway", "")
        values = highway if isinstance(highway, list) else [highway]
        if any(str(h) in wanted for h in values):
            found.add(u)
            found.add(v)
    return np.array(sorted(found - added))


def access_nodes(
    G: nx.MultiDiGraph,
    features: gpd.GeoDataFrame,
    *,
    gates: gpd.GeoDataFrame | None = None,
    classes: tuple[str, ...] | None = None,
    max_distance_m: float | None = None,
    boundary_points: int = 8,
    connector_speed_kph: float | None = None,
) -> pd.DataFrame:
    """Snap facilities and zones to the road graph.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph in WGS-84.
    features : geopandas.GeoDataFrame
        Points (facilities) or polygons (zones) with an ``id`` column; features without a
        location are skipped with a log line.
    gates : geopandas.GeoDataFrame, optional
        Gate points with a ``zone`` column: a zone with gates joins the graph only there.
    classes : tuple of str, optional
        Road classes a feature may join (default :data:`settings.snap_classes`).
    max_distance_m : float, optional
        Largest snapping distance in metres (default :data:`settings.snap_max_distance_m`).
    boundary_points : int
        Points spread along a zone's boundary, each snapped to its nearest node.
    connector_speed_kph : float, optional
        Speed on the connector (default :data:`settings.connector_speed_kph`).

    Returns
    -------
    pandas.DataFrame
        One row per (feature, access node): ``id``, ``node``, ``distance_m``,
        ``connector_s`` (seconds), ``method`` (``nearest``, ``gate``, ``boundary``, or
        ``cordon`` for each point of a MultiPoint feature).

    Raises
    ------
    NetworkError
        When a feature lies further than ``max_distance_m`` from any allowed road; the
        message names the feature and the distance; for a wrong argument (not a graph, nodes
        without x/y, a limit, speed or count out of range).
    LayerError
        When ``features`` or ``gates`` are not GeoDataFrames with their columns.
    CRSError
        When they have no CRS (a frame labelled with another CRS is converted to WGS-84).
    """
    limit = settings.snap_max_distance_m if max_distance_m is None else max_distance_m
    limit = _check_number(limit, "max_distance_m", max_snap_distance_m, "metres")
    speed = settings.connector_speed_kph if connector_speed_kph is None else connector_speed_kph
    speed = _check_number(speed, "connector_speed_kph", max_connector_speed_kph, "km/h")
    if not (
        isinstance(boundary_points, numbers.Integral)
        and not isinstance(boundary_points, bool)
        and 1 <= boundary_points <= max_boundary_points
    ):
        msg = (
            f"boundary_points must be a whole number from 1 to {max_boundary_points}, "
            f"got {boundary_points!r}"
        )
        raise NetworkError(msg)
    features = _check_frame(features, "features", ("id",))
    if gates is not None:
        gates = _check_frame(gates, "gates", ())
    nodes = allowed_nodes(G, classes)
    if len(nodes) == 0:
        msg = "the road graph has no roads of the classes features may join"
        raise NetworkError(msg)
    to_metric = _metric_transformer()
    tree = cKDTree(_metric_nodes(G, nodes))
    cordon_index: tuple[np.ndarray, cKDTree] | None = None
    rows: list[dict] = []
    kinds = features["kind"].astype(str) if "kind" in features.columns else None
    model = kinds.isin(settings.model_zone_kinds) if kinds is not None else None
    if model is not None and model.any():
        rows.extend(
            loading_nodes(G, features[model.to_numpy()], connector_speed_kph=speed).to_dict(
                "records"
            )
        )
        features = features[~model.to_numpy()]
    for _, feature in features.iterrows():
        fid = str(feature["id"])
        geom = feature.geometry
        if not isinstance(geom, shapely.Geometry) or geom.is_empty:
            logger.info("%s has no known location; it gets no access node", fid)
            continue
        if geom.geom_type in {"Polygon", "MultiPolygon"}:
            own_gates = _gates_of(gates, fid)
            if own_gates:
                probes, method = own_gates, "gate"
            else:
                probes, method = _boundary_probes(geom, boundary_points), "boundary"
        elif geom.geom_type == "MultiPoint":
            # An external zone entering the network at several cordon points.
            probes, method = list(geom.geoms), "cordon"
        else:
            probes, method = [geom.representative_point()], "nearest"
        px, py = to_metric.transform(
            np.array([p.x for p in probes]), np.array([p.y for p in probes])
        )
        here_nodes, here_tree = nodes, tree
        if method == "cordon":
            # A cordon point is where a road (of any class, an expressway too) leaves the
            # network, so it may join any road node.
            if cordon_index is None:
                every = allowed_nodes(G, tuple({str(h) for _, _, h in G.edges(data="highway")}))
                cordon_index = (every, cKDTree(_metric_nodes(G, every)))
            here_nodes, here_tree = cordon_index
        dist, idx = here_tree.query(np.column_stack([px, py]))
        if dist.min() > limit:
            name = feature.get("name_zh", "") or ""
            msg = (
                f"{fid} {name}: nearest road of an allowed class is {dist.min():.0f} m away, more "
                f"than the {limit:.0f} m limit; use a network that reaches it or raise the limit"
            )
            raise NetworkError(msg)
        best: dict[int, float] = {}
        for d, i in zip(dist, idx, strict=True):
            if d > limit:
                continue
            node = int(here_nodes[i])
            best[node] = min(best.get(node, np.inf), float(d))
        for node, d in sorted(best.items(), key=lambda kv: (kv[1], kv[0])):
            rows.append(
                {
                    "id": fid,
                    "node": node,
                    "distance_m": d,
                    "connector_s": d / (speed / 3.6),
                    "method": method,
                }
            )
    return pd.DataFrame(rows, columns=["id", "node", "distance_m", "connector_s", "method"])


def _gates_of(gates: gpd.GeoDataFrame | None, zone_id: str) -> list:
    if gates is None or "zone" not in gates.columns:
        return []
    mine = gates[(gates["zone"].astype(str) == zone_id) & gates.geometry.notna()]
    return list(mine.geometry)


def _boundary_probes(geom, count: int) -> list:
    """Points spread evenly along the exterior boundary (the largest part of a multipolygon)."""
    if geom.geom_type == "MultiPolygon":
        geom = max(geom.geoms, key=lambda g: g.area)
    ring = geom.exterior
    return [ring.interpolate(i / count, normalized=True) for i in range(count)]


def _metric_nodes(G: nx.MultiDiGraph, nodes: np.ndarray) -> np.ndarray:
    to_metric = _metric_transformer()
    try:
        lon = np.array([G.nodes[n]["x"] for n in nodes], dtype=float)
        lat = np.array([G.nodes[n]["y"] for n in nodes], dtype=float)
    except (KeyError, TypeError, ValueError):
        bad = next((n for n in nodes if not _has_xy(G.nodes[n])), nodes[0])
        msg = (
            f"node {bad!r} has no usable x/y (longitude, latitude); places join a graph by "
            "node coordinates, as graphs from sanqu_geo.network.load_network have"
        )
        raise NetworkError(msg) from None
    x, y = to_metric.transform(lon, lat)
    return np.column_stack([x, y])


def _has_xy(data: dict) -> bool:
    try:
        float(data["x"]), float(data["y"])
    except (KeyError, TypeError, ValueError):
        return False
    return True


def _spread(points: np.ndarray, start: int, count: int) -> list[int]:
    """Indices of ``count`` points spread apart: farthest-point sampling from ``start``."""
    chosen = [start]
    nearest = np.hypot(*(points - points[start]).T)
    while len(chosen) < min(count, len(points)):
        nxt = int(np.argmax(nearest))
        if nearest[nxt] <= 0:
            break
        chosen.append(nxt)
        nearest = np.minimum(nearest, np.hypot(*(points - points[nxt]).T))
    return chosen


def loading_nodes(
    G: nx.MultiDiGraph,
    zones: gpd.GeoDataFrame,
    *,
    connector_speed_kph: float | None = None,
) -> pd.DataFrame:
    """Loading nodes of model zones: spread over their local and collector roads.

    A zone of kind ``urban`` or ``outer`` loads at :func:`connector_count` junctions inside it
    on collector roads (:data:`settings.zone_collector_classes`), else on any road of
    :data:`settings.zone_loading_classes`, else also of
    :data:`settings.zone_loading_fallback_classes`; never at a node of an expressway or a ramp
    (:data:`settings.zone_barred_classes`). They are picked by
    farthest-point sampling from the node nearest its centre, so they lie apart; when fewer lie
    inside, the nearest such nodes outside make up the number (at least two), as far as the
    snapping limit plus the zone's equivalent diameter (without limit for an ``outer`` zone,
    whose own rural roads the network does not hold; on the city network an outer zone loads
    only on the trunk roads outside the OpenStreetMap core, ``source == "trunk"``). An ``external``
    zone loads at the nodes of any class inside it (the road end it stands on), else the
    nearest one. The connector time is the straight distance from the zone's centre at
    ``connector_speed_kph``.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph in WGS-84.
    zones : geopandas.GeoDataFrame
        ``id``, ``kind`` and polygon geometry.
    connector_speed_kph : float, optional
        Default :data:`settings.connector_speed_kph`.

    Returns
    -------
    pandas.DataFrame
        As :func:`access_nodes`, ``method`` ``loading`` (or ``cordon`` for external zones).

    Raises
    ------
    NetworkError
        When the graph has no road a zone may load on within the snapping limit, or for a
        wrong argument.
    LayerError
        When ``zones`` is not a GeoDataFrame with ``id`` and ``kind``.
    CRSError
        When the zones have no CRS.
    """
    engine.check_graph(G)
    zones = _check_frame(zones, "zones", ("id", "kind"))
    speed = settings.connector_speed_kph if connector_speed_kph is None else connector_speed_kph
    speed = _check_number(speed, "connector_speed_kph", max_connector_speed_kph, "km/h")
    limit = settings.snap_max_distance_m
    metric = zones.to_crs(settings.metric_crs)
    pools = {}
    # never on an expressway or a ramp: a node touching one is no loading node
    barred = set(allowed_nodes(G, settings.zone_barred_classes).tolist())
    for name, classes in (
        ("collector", settings.zone_collector_classes),
        ("local", settings.zone_loading_classes),
        ("fallback", settings.zone_loading_classes + settings.zone_loading_fallback_classes),
        ("any", tuple({str(h) for _, _, h in G.edges(data="highway")})),
    ):
        nodes = allowed_nodes(G, classes)
        if name != "any":
            nodes = np.array([n for n in nodes if n not in barred], dtype=nodes.dtype)
        if name in ("collector", "local"):
            # junctions spread a zone's trips in several directions; a dead end or a bend
            # would funnel them into one street
            nodes = np.array(
                [n for n in nodes if int(G.nodes[n].get("street_count", 3)) >= 3],
                dtype=nodes.dtype,
            )
        xy = _metric_nodes(G, nodes) if len(nodes) else np.empty((0, 2))
        pools[name] = (nodes, xy, cKDTree(xy) if len(nodes) else None)
    # On the city network an outer zone (outside the OSM core) loads on the trunk roads that
    # serve it, never at the core's clipped edge across the fields.
    authored = {n for u, v, s in G.edges(data="source") if s == "trunk" for n in (u, v)}
    outer_pools = {
        name: _subset(nodes, xy, authored) for name, (nodes, xy, _) in pools.items()
    } if authored else pools  # fmt: skip
    rows: list[dict] = []
    for zone, geom in zip(zones.itertuples(), metric.geometry, strict=True):
        fid, kind = str(zone.id), str(zone.kind)
        here = outer_pools if kind == "outer" else pools
        centre = geom.centroid if geom.geom_type != "Point" else geom
        external = kind == "external"
        order = ("any",) if external else ("collector", "local", "fallback")
        count = 1 if external else connector_count(geom.area / 1e6)
        # a large zone may lie beyond the sparse trunk roads: it reaches as far as its size; an
        # outer (rural) zone as far as the nearest modelled road, its own roads not modelled
        reach = np.inf if kind == "outer" else limit + 2.0 * float(np.sqrt(geom.area / np.pi))
        picked: list[tuple[int, float]] = []
        for pool in order:
            nodes, xy, tree = here[pool]
            if tree is None:
                continue
            inside = np.flatnonzero(shapely.contains_xy(geom, xy[:, 0], xy[:, 1]))
            if len(inside) >= (1 if external else 2):
                local = xy[inside]
                d0 = np.hypot(*(local - [centre.x, centre.y]).T)
                chosen = _spread(local, int(np.argmin(d0)), count)
                picked = [(int(nodes[inside[i]]), float(d0[i])) for i in chosen]
                break
        nodes, xy, tree = here[order[-1]]
        if len(picked) < (1 if external else 2) and tree is not None:
            want = max(count, 1 if external else 2)
            dist, idx = tree.query([centre.x, centre.y], k=want + len(picked))
            have = {n for n, _ in picked}
            for d, i in zip(np.atleast_1d(dist), np.atleast_1d(idx), strict=True):
                if len(picked) >= want:
                    break
                if int(nodes[i]) not in have and d <= reach:
                    picked.append((int(nodes[i]), float(d)))
        if not picked:
            name = getattr(zone, "name_zh", "") or ""
            msg = (
                f"zone {fid} {name}: no road it may load on within {reach:.0f} m; use a network "
                "that reaches it or change the zone"
            )
            raise NetworkError(msg)
        for node, d in picked:
            rows.append(
                {
                    "id": fid,
                    "node": node,
                    "distance_m": d,
                    "connector_s": d / (speed / 3.6),
                    "method": "cordon" if external else "loading",
                }
            )
    return pd.DataFrame(rows, columns=["id", "node", "distance_m", "connector_s", "method"])


def _subset(nodes: np.ndarray, xy: np.ndarray, keep: set) -> tuple:
    mask = np.array([n in keep for n in nodes], dtype=bool)
    if not mask.any():
        return nodes, xy, cKDTree(xy) if len(nodes) else None
    return nodes[mask], xy[mask], cKDTree(xy[mask])


def connector_count(area_km2: float) -> int:
    """Loading nodes of a model zone of ``area_km2``: two, and one more per
    :data:`settings.zone_km2_per_connector`, at most :data:`settings.zone_max_connectors`."""
    extra = int(area_km2 // float(settings.zone_km2_per_connector))
    return int(min(settings.zone_max_connectors, 2 + extra))
