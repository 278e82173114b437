"""Access nodes: where each facility and zone joins the road graph, and at what connector time.

A facility joins at the nearest node of a road of an allowed class; a zone at its gates when
it has any, else at the nodes nearest to points spread along its boundary. Never routes.
"""

from __future__ import annotations

import functools
import logging
import threading

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

from sanqu_geo import settings
from sanqu_geo.errors import NetworkError

logger = logging.getLogger(__name__)

__all__ = ["access_nodes", "allowed_nodes"]


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
        message names the feature and the distance.
    """
    limit = settings.snap_max_distance_m if max_distance_m is None else max_distance_m
    speed = settings.connector_speed_kph if connector_speed_kph is None else connector_speed_kph
    nodes = allowed_nodes(G, classes)
    if len(nodes) == 0:
        msg = "the road graph has no roads of the classes features may join"
        raise NetworkError(msg)
    to_metric = _metric_transformer()
    nx_, ny_ = to_metric.transform(
        np.array([G.nodes[n]["x"] for n in nodes]), np.array([G.nodes[n]["y"] for n in nodes])
    )
    tree = cKDTree(np.column_stack([nx_, ny_]))
    cordon_index: tuple[np.ndarray, cKDTree] | None = None
    rows: list[dict] = []
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
                ex, ey = to_metric.transform(
                    np.array([G.nodes[n]["x"] for n in every]),
                    np.array([G.nodes[n]["y"] for n in every]),
                )
                cordon_index = (every, cKDTree(np.column_stack([ex, ey])))
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
