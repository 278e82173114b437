"""Travel times between places: zones and facilities joined to the graph, then the engine.

Finds places by id or by Chinese or English name, turns them into access nodes with
connector times, and asks the engine. Never reads the road network itself.
"""

from __future__ import annotations

import difflib
import logging
import math
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from sanqu_geo import access, engine, layers
from sanqu_geo.errors import LayerError, NetworkError, SettingsError

logger = logging.getLogger(__name__)

__all__ = [
    "find_place",
    "load_places",
    "place_isochrones",
    "place_od",
    "place_route",
    "role_places",
]

_PLACE_LAYERS = ("facilities", "zones")
_LABEL_COLUMNS = ("id", "name_zh", "name_en")


def load_places(which: str | Path) -> gpd.GeoDataFrame:
    """Return located places: ``"zones"``, ``"facilities"``, ``"all"`` or a user's file.

    Parameters
    ----------
    which : str or path
        A layer name, ``all`` (facilities and zones), or a file any of
        :func:`sanqu_geo.layers.read_vector_file` reads, with an ``id`` column.

    Returns
    -------
    geopandas.GeoDataFrame
        ``id``, ``name_zh``, ``name_en``, geometry; features without a location are left out.
    """
    if str(which) == "all":
        parts = [load_places(name) for name in _PLACE_LAYERS]
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
    if str(which) in _PLACE_LAYERS:
        gdf = layers.load_layer(str(which), located_only=True)
    else:
        gdf = layers.read_vector_file(which)
        gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)].copy()
        if "id" not in gdf.columns:
            gdf["id"] = [f"p{i + 1}" for i in range(len(gdf))]
    for column in ("name_zh", "name_en"):
        if column not in gdf.columns:
            gdf[column] = gdf["id"].astype(str)
    for short, full in (("short_zh", "name_zh"), ("short_en", "name_en")):
        if short not in gdf.columns:
            gdf[short] = ""
        gdf[short] = gdf[short].fillna("").astype(str)
        gdf.loc[gdf[short].str.strip() == "", short] = gdf[full]
    if gdf.empty:
        msg = (
            f"{which}: no place has a location (every geometry is empty or null); "
            "import the layer again with locations, or `sanqu-geo layers reset` it"
        )
        raise LayerError(msg)
    gdf["id"] = gdf["id"].astype(str)
    extra = [c for c in ("kind", "zone", "role") if c in gdf.columns]
    return gdf[[*_LABEL_COLUMNS, "short_zh", "short_en", *extra, "geometry"]].reset_index(drop=True)


def role_places(places: gpd.GeoDataFrame | None = None) -> dict[str, str]:
    """Return the place id of every role the main jobs need (:data:`sanqu_geo.layers.PLACE_ROLES`).

    Parameters
    ----------
    places : geopandas.GeoDataFrame, optional
        Located places (default: ``load_places("all")``).

    Returns
    -------
    dict
        Role -> place id.

    Raises
    ------
    LayerError
        When a role has no place, or more than one; the message says how to fix the layer.
    """
    found, issues = layers.place_roles(load_places("all") if places is None else places)
    if issues:
        raise LayerError("; ".join(str(i) for i in issues))
    return found


def find_place(name: str) -> gpd.GeoDataFrame:
    """Find one facility or zone by id, Chinese name or English name.

    Parameters
    ----------
    name : str
        E.g. ``airport``, ``哈尔滨西站`` or ``harbin west`` (case-insensitive, also a unique
        part of a name).

    Returns
    -------
    geopandas.GeoDataFrame
        A one-row frame.

    Notes
    -----
    A name that is exactly the name of one facility and of one or more zones (``内陆港``)
    gives the facility; the frame's ``attrs["resolved"]`` says so and names the zones' ids.

    Raises
    ------
    LayerError
        When nothing or more than one place matches; the message lists close matches with
        their ids.
    """
    places = load_places("all")
    wanted = name.strip().casefold()
    labels = {
        i: [str(places.at[i, c]).casefold() for c in (*_LABEL_COLUMNS, "short_zh", "short_en")]
        for i in range(len(places))
    }
    exact = [i for i, values in labels.items() if wanted in values]
    if len(exact) == 1:
        return places.iloc[exact]
    # The rule for a name shared by a zone and a facility (内陆港 is both): the facility, a
    # point people travel to; the zone stays reachable by its id.
    facility_ids = set(load_places("facilities")["id"])
    facilities = [i for i in exact if places.at[i, "id"] in facility_ids]
    if len(exact) > 1 and len(facilities) == 1:
        found = places.iloc[facilities]
        others = ", ".join(str(places.at[i, "id"]) for i in exact if i not in facilities)
        note = (
            f"{name!r} names a facility and a zone: using the facility "
            f"{found['id'].iloc[0]} (the zone: {others})"
        )
        logger.info(note)
        found.attrs["resolved"] = note
        return found
    partial = [i for i, values in labels.items() if any(wanted in v for v in values)]
    if len(exact) == 0 and len(partial) == 1:
        return places.iloc[partial]
    candidates = {v: i for i, values in labels.items() for v in values}
    close = difflib.get_close_matches(wanted, list(candidates), n=5, cutoff=0.4)
    hits = list(dict.fromkeys([*(exact or partial), *(candidates[c] for c in close)]))[:6]
    suggestions = ", ".join(
        f"{places.at[i, 'id']} ({places.at[i, 'name_zh']} / {places.at[i, 'name_en']})"
        for i in hits
    )
    if exact or partial:
        msg = f"place {name!r} matches more than one place: {suggestions}; use an id"
    else:
        msg = f"no place called {name!r}" + (
            f"; close matches: {suggestions}"
            if suggestions
            else "; see `sanqu-geo layers show facilities`"
        )
    raise LayerError(msg)


def _gates() -> gpd.GeoDataFrame:
    facilities = layers.load_layer("facilities", located_only=True)
    if "kind" not in facilities.columns:
        return facilities.iloc[0:0]
    return facilities[facilities["kind"] == "customs_gate"]


def access_table(G: nx.MultiDiGraph, places: gpd.GeoDataFrame) -> pd.DataFrame:
    """Access nodes of places, gates respected; every place must get one.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph.
    places : geopandas.GeoDataFrame
        Places with ``id``.

    Returns
    -------
    pandas.DataFrame
        As :func:`sanqu_geo.access.access_nodes`.
    """
    table = access.access_nodes(G, places, gates=_gates())
    missing = set(places["id"]) - set(table["id"])
    if missing:
        msg = f"no access node for {', '.join(sorted(missing))}"
        raise NetworkError(msg)
    return table


def place_od(
    G: nx.MultiDiGraph,
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    weight: str = "travel_time",
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Travel times between places: the best over their access nodes, with connectors.

    ``time(o, d) = min over access nodes a of o, b of d of connector(a) + d(a, b) +
    connector(b)``; a place to itself is 0.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph with travel times.
    origins, destinations : geopandas.GeoDataFrame
        Places with ``id`` (see :func:`load_places`).
    weight : str
        ``travel_time`` (seconds) or ``length`` (metres; connectors add their length).
    progress : callable, optional
        Called with (done, total) by the engine.

    Returns
    -------
    pandas.DataFrame
        Seconds (or metres), indexed by origin id, one column per destination id.
    """
    a = access_table(G, origins)
    b = access_table(G, destinations)
    od = engine.od_matrix(G, list(a["node"]), list(b["node"]), weight=weight, progress=progress)
    return reduce_to_places(
        od.to_numpy(), a, b, list(origins["id"]), list(destinations["id"]), weight=weight
    )


def reduce_to_places(
    node_od: np.ndarray,
    a: pd.DataFrame,
    b: pd.DataFrame,
    origin_ids: list[str],
    destination_ids: list[str],
    *,
    weight: str = "travel_time",
) -> pd.DataFrame:
    """Turn an OD between access nodes into an OD between places (best pair, with connectors).

    Parameters
    ----------
    node_od : numpy.ndarray
        Costs between the rows of ``a`` and the rows of ``b`` (one per access row).
    a, b : pandas.DataFrame
        Access tables (see :func:`sanqu_geo.access.access_nodes`).
    origin_ids, destination_ids : list of str
        Place ids, in the order wanted.
    weight : str
        ``travel_time`` adds connector seconds, ``length`` connector metres.

    Returns
    -------
    pandas.DataFrame
        Indexed by origin id, one column per destination id; a place to itself is 0.
    """
    cost_a = (a["connector_s"] if weight == "travel_time" else a["distance_m"]).to_numpy()
    cost_b = (b["connector_s"] if weight == "travel_time" else b["distance_m"]).to_numpy()
    full = cost_a[:, None] + node_od + cost_b[None, :]
    a_ids, b_ids = a["id"].to_numpy(), b["id"].to_numpy()
    result = np.empty((len(origin_ids), len(destination_ids)))
    for i, oid in enumerate(origin_ids):
        best_rows = full[a_ids == oid].min(axis=0)
        for j, did in enumerate(destination_ids):
            result[i, j] = 0.0 if oid == did else best_rows[b_ids == did].min()
    return pd.DataFrame(result, index=pd.Index(origin_ids, name="origin"), columns=destination_ids)


def place_route(
    G: nx.MultiDiGraph, origin: gpd.GeoDataFrame, destination: gpd.GeoDataFrame
) -> tuple[engine.Route, float, float]:
    """The fastest route between two places, over their access nodes.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph.
    origin, destination : geopandas.GeoDataFrame
        One-row frames (see :func:`find_place`).

    Returns
    -------
    (Route, float, float)
        The route between the chosen access nodes, and the connector seconds at each end.
    """
    if origin["id"].iloc[0] == destination["id"].iloc[0]:
        msg = f"origin and destination are the same place ({origin['id'].iloc[0]}); name two places"
        raise NetworkError(msg)
    a = access_table(G, origin)
    b = access_table(G, destination)
    od = engine.od_matrix(G, list(a["node"]), list(b["node"]))
    total = (
        a["connector_s"].to_numpy()[:, None] + od.to_numpy() + b["connector_s"].to_numpy()[None, :]
    )
    i, j = np.unravel_index(np.argmin(total), total.shape)
    if not np.isfinite(total[i, j]):
        msg = f"{origin['id'].iloc[0]} cannot reach {destination['id'].iloc[0]} on this network"
        raise NetworkError(msg)
    found = engine.route(G, a["node"].iloc[i], b["node"].iloc[j])
    return found, float(a["connector_s"].iloc[i]), float(b["connector_s"].iloc[j])


def check_minutes(minutes: list[float]) -> list[float]:
    """Return isochrone thresholds as floats, or say why they cannot be used.

    Parameters
    ----------
    minutes : list of float
        Thresholds in minutes.

    Returns
    -------
    list of float
        The thresholds.

    Raises
    ------
    SettingsError
        For no thresholds, or one that is not a positive finite number of at most a day.
    """
    values = list(minutes)
    if not values:
        raise SettingsError("isochrone minutes: none given; give numbers such as 15,30,45,60")
    for value in values:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float | np.floating | np.integer)
            or not math.isfinite(value)
            or not 0 < value <= 1440
        ):
            msg = f"isochrone minutes: {value!r} is not a number of minutes between 0 and 1440; give numbers such as 15,30,45,60"
            raise SettingsError(msg)
    return [float(v) for v in values]


def place_isochrones(
    G: nx.MultiDiGraph, place: gpd.GeoDataFrame, minutes: list[float]
) -> gpd.GeoDataFrame:
    """Isochrones around a place, from its nearest access node.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph.
    place : geopandas.GeoDataFrame
        One-row frame.
    minutes : list of float
        Thresholds.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`sanqu_geo.engine.isochrones`, with the place's ``id``, ``name_zh`` and
        ``name_en``; the connector time is subtracted from each threshold.
    """
    minutes = check_minutes(minutes)
    table = access_table(G, place).sort_values("connector_s")
    node, connector = table["node"].iloc[0], float(table["connector_s"].iloc[0])
    usable = [m - connector / 60 for m in minutes]
    if min(usable) <= 0:
        msg = f"the connector to {place['id'].iloc[0]} alone takes {connector / 60:.1f} min"
        raise NetworkError(msg)
    iso = engine.isochrones(G, [node], usable)
    iso["minutes"] = sorted(minutes)
    for column in (*_LABEL_COLUMNS, "short_zh", "short_en"):
        iso[column] = place[column].iloc[0]
    return iso[
        ["id", "name_zh", "name_en", "short_zh", "short_en", "minutes", "area_km2", "geometry"]
    ]
