"""Travel times between places: zones and facilities joined to the graph, then the engine.

Finds places by id or by Chinese or English name, turns them into access nodes with
connector times, and asks the engine. Never reads the road network itself.
"""

from __future__ import annotations

import difflib
import logging
import math
import numbers
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

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
_WEIGHTS = ("travel_time", "length")
# How a short name shared by places of both layers is told apart in a table's labels.
_LAYER_QUALIFIERS = {"facilities": ("设施", "facility"), "zones": ("区域", "zone")}


def _check_places(places: Any, what: str, *, one: bool = False) -> gpd.GeoDataFrame:
    """Places as the functions here take them: a GeoDataFrame with unique ids (one row if
    ``one``), or a :class:`LayerError` naming the argument."""
    if not isinstance(places, gpd.GeoDataFrame):
        hint = "; find one with find_place(name)" if one else "; see load_places"
        msg = (
            f"{what} must be a GeoDataFrame of places with an id, got {type(places).__name__}{hint}"
        )
        raise LayerError(msg)
    if "id" not in places.columns:
        msg = f"{what}: the places have no id column; add one (see load_places)"
        raise LayerError(msg)
    if places.empty:
        msg = f"{what}: no places given; give at least one"
        raise LayerError(msg)
    if one and len(places) != 1:
        msg = f"{what} must be one place, got {len(places)}; pick one, e.g. with find_place(name)"
        raise LayerError(msg)
    ids = places["id"].astype(str)
    if not ids.is_unique:
        repeated = sorted(set(ids[ids.duplicated()]))[:5]
        msg = (
            f"{what}: place ids repeat ({', '.join(repeated)}), so their times cannot be told "
            "apart; give every place its own id"
        )
        raise LayerError(msg)
    return places


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

    Raises
    ------
    LayerError
        When ``which`` is neither a name nor a path, or no place has a location.
    """
    if not isinstance(which, str | os.PathLike) or not str(which).strip():
        msg = f"places must be zones, facilities, all or a file of places, got {which!r}"
        raise LayerError(msg)
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
        When ``places`` is not a frame of places, or a role has no place, or more than one;
        the message says how to fix the layer.
    """
    if places is not None:
        _check_places(places, "places")
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
        When ``name`` is not a text, or nothing or more than one place matches; the message
        lists close matches with their ids.
    """
    if not isinstance(name, str) or not name.strip():
        msg = f"place name must be an id, Chinese or English name such as 'airport', got {name!r}"
        raise LayerError(msg)
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
    _check_places(places, "places")
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

    Raises
    ------
    LayerError
        When origins or destinations are not frames of places with unique ids.
    NetworkError
        For a wrong graph or weight, or a place with no access node.
    """
    engine.check_graph(G)
    _check_places(origins, "origins")
    _check_places(destinations, "destinations")
    if weight not in _WEIGHTS:
        msg = (
            f"weight must be one of {', '.join(_WEIGHTS)} (connectors add the same), got {weight!r}"
        )
        raise NetworkError(msg)
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

    Raises
    ------
    LayerError
        When origin or destination is not a one-row frame of places.
    NetworkError
        When they are the same place, or one cannot reach the other.
    """
    engine.check_graph(G)
    _check_places(origin, "origin", one=True)
    _check_places(destination, "destination", one=True)
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
    if isinstance(minutes, numbers.Real):
        minutes = [minutes]
    if isinstance(minutes, str | bytes) or not isinstance(minutes, Iterable):
        msg = f"isochrone minutes must be numbers such as [15, 30, 45, 60], got {minutes!r}"
        raise SettingsError(msg)
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

    Raises
    ------
    LayerError
        When ``place`` is not a one-row frame of places.
    SettingsError
        For thresholds that are not numbers of minutes between 0 and 1440.
    """
    engine.check_graph(G)
    _check_places(place, "place", one=True)
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


def table_labels(places: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Places whose short names tell them apart in a table's row or column labels.

    A short name that several places share (内陆港 is a facility and a zone) is qualified with
    the place's layer where that tells them apart (``内陆港（设施）`` / ``Inland port
    (facility)``), else with its id.

    Parameters
    ----------
    places : geopandas.GeoDataFrame
        Places as :func:`load_places` returns them.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with ``short_zh`` and ``short_en`` qualified where they repeat.
    """
    out = places.copy()
    for short, full in (("short_zh", "name_zh"), ("short_en", "name_en")):
        if short not in out.columns:
            out[short] = out[full] if full in out.columns else out["id"]
        out[short] = out[short].fillna("").astype(str)
    key = out["short_zh"].str.strip() + "\x00" + out["short_en"].str.strip()
    repeated = key.duplicated(keep=False)
    if not repeated.any():
        return out
    facility_ids = set(load_places("facilities")["id"])
    layer = out["id"].map(lambda i: "facilities" if i in facility_ids else "zones")
    for _, group in out[repeated].groupby(key[repeated], sort=False):
        by_layer = layer[group.index]
        for i in group.index:
            if by_layer.is_unique:
                zh, en = _LAYER_QUALIFIERS[layer[i]]
            else:
                zh = en = str(out.at[i, "id"])
            for column, text in (("short_zh", f"（{zh}）"), ("short_en", f" ({en})")):
                if out.at[i, column].strip():  # an absent name stays absent
                    out.at[i, column] = out.at[i, column].strip() + text
    return out
