"""Rail door to door (task 37): access, wait, ride and egress to the airport against the car.

Owns the service parameters of ``data/appraisal/rail.toml`` and the door-to-door times of a
rail corridor's stops. Estimates no ridership (no mode-choice model, no survey) and never
changes a road graph.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod, Transformer
from scipy.spatial import cKDTree

from sanqu_geo import engine, settings, travel
from sanqu_geo._toml import check_keys, read_toml
from sanqu_geo.appraisal.weights import weighted_quantile
from sanqu_geo.errors import ScenarioError
from sanqu_geo.resources import data_file
from sanqu_geo.scenarios import Corridor

__all__ = ["RailParameters", "door_to_door", "in_vehicle_minutes", "load_parameters", "stops",
           "summary"]  # fmt: skip

logger = logging.getLogger(__name__)

_GEOD = Geod(ellps="WGS84")
#: A stop is named after the nearest facility within this distance (metres).
NAME_RADIUS_M = 1500.0
#: Parameter tables of rail.toml: field of RailParameters, expected unit.
_ENTRIES = {
    "walk_speed": ("walk_speed_mps", "m/s"), "catchment": ("catchment_m", "m"),
    "headway": ("headway_min", "min"), "wait_fraction": ("wait_fraction", "1"),
    "dwell": ("dwell_s", "s"), "stop_loss": ("stop_loss_s", "s"),
    "cruise_speed": ("cruise_speed_kph", "km/h"), "kiss_and_ride": ("kiss_and_ride_min", "min"),
    "egress_walk": ("egress_walk_m", "m"), "airport_stop": ("airport_stop", "stop"),
    "car_access_min_ride": ("car_access_min_ride_km", "km"),
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class RailParameters:
    """Service parameters of a rail line, each with its source.

    Attributes
    ----------
    walk_speed_mps, catchment_m : float
        Walking speed (m/s); a zone centroid within ``catchment_m`` (straight line) walks.
    headway_min, wait_fraction : float
        Minutes between vehicles; the mean wait as a fraction of it.
    dwell_s, stop_loss_s : float
        Seconds standing at each intermediate stop; seconds lost braking and accelerating,
        once per stop-to-stop segment.
    cruise_speed_kph : float or None
        Running speed between stops; None: the corridor's ``design_speed_kph``.
    kiss_and_ride_min : float
        Minutes added to the car time of a zone reaching a stop by car or taxi.
    egress_walk_m, airport_stop : float, int
        Walk from the airport stop to the terminal (m); number of that stop along the line.
    car_access_min_ride_km : float
        A stop is reached by car only when the ride from it to the airport is at least this
        long (nobody drives to within a few km of the airport to board).
    sources : dict
        Source of each parameter, by its table name in the file.
    assumptions : frozenset
        Table names of the parameters that are assumptions.
    """

    walk_speed_mps: float
    catchment_m: float
    headway_min: float
    wait_fraction: float
    dwell_s: float
    stop_loss_s: float
    cruise_speed_kph: float | None
    kiss_and_ride_min: float
    egress_walk_m: float
    airport_stop: int
    car_access_min_ride_km: float = 0.0
    sources: dict[str, str] = dataclasses.field(default_factory=dict)
    assumptions: frozenset[str] = frozenset()

    @property
    def wait_min(self) -> float:
        """Mean wait at the boarding stop, minutes."""
        return self.wait_fraction * self.headway_min


def load_parameters(path: str | Path | None = None) -> RailParameters:
    """Read the service parameters (default: ``data/appraisal/rail.toml``).

    Parameters
    ----------
    path : path-like, optional
        A file laid out like the embedded one: one table per parameter with ``value``,
        ``unit``, ``assumption`` and ``source``.

    Returns
    -------
    RailParameters
        The parameters; :class:`ScenarioError` names the file, table and fix of a bad one.
    """
    path = Path(path) if path is not None else data_file("appraisal/rail.toml")
    data = read_toml(path, what="rail parameters file", error=ScenarioError)
    check_keys(data, {"about", *_ENTRIES}, str(path), error=ScenarioError)
    values: dict[str, Any] = {}
    sources, assumptions = {}, set()
    for name, (field, unit) in _ENTRIES.items():
        where = f"{path}: [{name}]"
        entry = data.get(name, {})
        check_keys(entry, {"value", "unit", "assumption", "source"}, where, error=ScenarioError)
        value = entry.get("value")
        positive = name in ("walk_speed", "headway", "cruise_speed", "airport_stop")
        if entry.get("unit") != unit or not str(entry.get("source", "")).strip():
            msg = f"{where}: give value, unit = {unit!r}, assumption = true/false and a source"
            raise ScenarioError(msg)
        if name == "cruise_speed" and value == "design_speed_kph":
            value = None
        elif not _is_number(value, positive=positive, whole=name == "airport_stop"):
            kind = "positive" if positive else "non-negative"
            msg = f"{where}: value {value!r}; give a {kind} number"
            raise ScenarioError(msg)
        values[field] = int(value) if name == "airport_stop" else value
        sources[name] = str(entry["source"])
        if entry.get("assumption", True):
            assumptions.add(name)
    return RailParameters(**values, sources=sources, assumptions=frozenset(assumptions))


def _is_number(value: Any, *, positive: bool, whole: bool) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        return False
    return not (positive and value == 0) and not (whole and value != int(value))


def _geodesic_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Metres from every point 1 (rows) to every point 2 (columns)."""
    x1, y1 = (np.asarray(v, dtype=float)[:, None] for v in (lon1, lat1))
    x2, y2 = (np.asarray(v, dtype=float)[None, :] for v in (lon2, lat2))
    return _GEOD.inv(*np.broadcast_arrays(x1, y1, x2, y2))[2]


def _metric() -> Transformer:
    return Transformer.from_crs(settings.default_crs, settings.metric_crs, always_xy=True)


def _chainage(corridor: Corridor) -> pd.DataFrame:
    """Stops in line order: ``stop``, lon, lat, chainage_m (geodesic), offset_m."""
    if len(corridor.interchanges) < 2:
        msg = f"corridor {corridor.id!r}: a rail line needs at least two stops (interchanges)"
        raise ScenarioError(msg)
    xy = np.asarray(corridor.geometry.coords)
    seg = _GEOD.inv(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])[2]
    to_m = _metric()
    line = shapely.LineString(np.column_stack(to_m.transform(xy[:, 0], xy[:, 1])))
    # the stop's foot on the line is found in metres; its chainage is geodesic
    mcum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(line.coords, axis=0).T))])
    lon = np.array([p.x for p in corridor.interchanges])
    lat = np.array([p.y for p in corridor.interchanges])
    feet = shapely.points(np.column_stack(to_m.transform(lon, lat)))
    along = shapely.line_locate_point(line, feet)
    k = np.clip(np.searchsorted(mcum, along, side="right") - 1, 0, len(seg) - 1)
    t = (along - mcum[k]) / np.maximum(mcum[k + 1] - mcum[k], 1e-12)
    chainage = np.concatenate([[0.0], np.cumsum(seg)])[k] + t * seg[k]
    table = pd.DataFrame(
        {"lon": lon, "lat": lat, "chainage_m": chainage, "offset_m": shapely.distance(line, feet)}
    ).sort_values("chainage_m", kind="stable", ignore_index=True)
    table.insert(0, "stop", np.arange(1, len(table) + 1))
    return table


def stops(corridor: Corridor, *, places: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """The stops of a rail corridor (its interchanges), numbered along the line.

    Parameters
    ----------
    corridor : Corridor
        A corridor; its ``interchanges`` are the stops.
    places : geopandas.GeoDataFrame, optional
        Places to name the stops after (default ``travel.load_places("all")``); only points
        (facilities) within :data:`NAME_RADIUS_M` of a stop name it.

    Returns
    -------
    pandas.DataFrame
        ``stop`` (1, 2, … along the line), ``lon``, ``lat``, ``chainage_km`` (geodesic, from
        the line's start to the stop's foot on the line), ``offset_m`` (stop to line),
        ``place`` (id), ``name_zh``, ``name_en`` (short names; empty when none is near).
    """
    table = _chainage(corridor)
    table["chainage_km"] = table.pop("chainage_m") / 1000.0
    places = travel.load_places("all") if places is None else places
    points = places[places.geometry.geom_type == "Point"]
    d = _geodesic_m(table["lon"], table["lat"], points.geometry.x, points.geometry.y)
    i = d.argmin(axis=1)
    near = d[np.arange(len(table)), i] <= NAME_RADIUS_M
    for column, field in (("place", "id"), ("name_zh", "short_zh"), ("name_en", "short_en")):
        table[column] = np.where(near, points[field].astype(str).to_numpy()[i], "")
    return table[["stop", "lon", "lat", "chainage_km", "offset_m", "place", "name_zh", "name_en"]]


def in_vehicle_minutes(corridor: Corridor, a: int, b: int, *, params: RailParameters) -> float:
    """Minutes on board between stop ``a`` and stop ``b`` (either direction).

    ``distance / cruise speed + dwell × (intermediate stops) + stop_loss × (stops reached
    after boarding, the alighting one included)``: each stop-to-stop segment loses one
    ``stop_loss`` (acceleration at its start, braking at its end); dwell is counted at
    intermediate stops only. The distance is the geodesic length along the line.

    Parameters
    ----------
    corridor : Corridor
        The line; cruise speed is its ``design_speed_kph`` unless ``params`` gives one.
    a, b : int
        Stop numbers along the line, as in :func:`stops`.
    params : RailParameters
        See :func:`load_parameters`.

    Returns
    -------
    float
        Minutes; 0 when ``a == b``.
    """
    chainage_m = _chainage(corridor)["chainage_m"].to_numpy()
    n = len(chainage_m)
    for name, s in (("a", a), ("b", b)):
        if isinstance(s, bool) or not isinstance(s, int | np.integer) or not 1 <= s <= n:
            msg = f"stop {name}={s!r}: give a stop number from 1 to {n} (see rail.stops)"
            raise ScenarioError(msg)
    hops = abs(b - a)
    speed_mps = (params.cruise_speed_kph or corridor.design_speed_kph) / 3.6
    run_s = abs(chainage_m[b - 1] - chainage_m[a - 1]) / speed_mps
    return (run_s + params.dwell_s * max(hops - 1, 0) + params.stop_loss_s * hops) / 60.0


def _centroids(zones: gpd.GeoDataFrame) -> gpd.GeoSeries:
    if zones.crs is None:
        msg = "zones: no CRS; set it, e.g. zones.set_crs('EPSG:4326')"
        raise ScenarioError(msg)
    metric = zones.geometry.to_crs(settings.metric_crs)
    return metric.centroid.to_crs(settings.default_crs)


def _nearest_nodes(G: nx.MultiDiGraph, lon: np.ndarray, lat: np.ndarray) -> list[Any]:
    nodes = list(G.nodes)
    try:
        xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes], dtype=float)
    except KeyError:
        msg = "car_graph: every node needs x/y (lon/lat); pass a graph of sanqu_geo.network"
        raise ScenarioError(msg) from None
    to_m = _metric()
    tree = cKDTree(np.column_stack(to_m.transform(xy[:, 0], xy[:, 1])))
    _, idx = tree.query(np.column_stack(to_m.transform(lon, lat)))
    return [nodes[i] for i in np.atleast_1d(idx)]


def _airport_trips(trips: pd.DataFrame, airport: str) -> pd.Series:
    missing = {"origin", "destination", "trips"} - set(trips.columns)
    if missing:
        msg = f"trips: no column(s) {', '.join(sorted(missing))}; give origin, destination, trips"
        raise ScenarioError(msg)
    if "class" in trips.columns:
        trips = trips[trips["class"] == "car"]
    o, d = trips["origin"].astype(str), trips["destination"].astype(str)
    out = trips[(d == airport) & (o != airport)].groupby(o)["trips"].sum()
    back = trips[(o == airport) & (d != airport)].groupby(d)["trips"].sum()
    both = out.add(back, fill_value=0.0)
    return both[both > 0]


def door_to_door(
    corridor: Corridor,
    car_graph: nx.MultiDiGraph,
    zones: gpd.GeoDataFrame,
    trips: pd.DataFrame,
    *,
    airport_zone: str = "airport",
    params: RailParameters | None = None,
) -> pd.DataFrame:
    """Rail against car, door to door, for every zone with car trips to or from the airport.

    Rail: access to the best boarding stop (a straight walk when the zone centroid is within
    the catchment, else car time to the stop + kiss-and-ride) + wait + ride to the airport
    stop + egress. Car: zone → airport zone. Centroids join ``car_graph`` at their nearest
    node; times come from one reversed-graph Dijkstra per target (stops, airport).

    Parameters
    ----------
    corridor : Corridor
        The rail line.
    car_graph : networkx.MultiDiGraph
        Road graph with x/y (lon/lat) nodes and ``travel_time`` (seconds) edges, e.g. the
        congested car graph of a solved run.
    zones : geopandas.GeoDataFrame
        ``id``, ``name_zh``, geometry (points or polygons), with a CRS.
    trips : pandas.DataFrame
        Car trips ``origin``, ``destination``, ``trips`` (veh/h); other ``class`` rows dropped.
    airport_zone : str
        Zone id of the airport.
    params : RailParameters, optional
        Default :func:`load_parameters`.

    Returns
    -------
    pandas.DataFrame
        One row per zone: ``zone``, ``name_zh``, ``trips`` (both directions, veh/h),
        ``car_min``, ``access_mode`` (``walk`` or ``car``), ``access_min``, ``wait_min``,
        ``in_vehicle_min``, ``egress_min``, ``rail_min``, ``best_stop``, ``best_stop_zh``,
        ``rail_minus_car_min``; sorted by trips, largest first.
    """
    p = load_parameters() if params is None else params
    if not {"id", "name_zh"} <= set(zones.columns):
        msg = "zones: pass zones with the columns id, name_zh and a geometry"
        raise ScenarioError(msg)
    ids = zones["id"].astype(str).tolist()
    if airport_zone not in ids:
        msg = f"zones: no zone {airport_zone!r}; pass airport_zone= the airport's zone id"
        raise ScenarioError(msg)
    line = stops(corridor)
    n = len(line)
    if p.airport_stop > n:
        msg = f"[airport_stop] {p.airport_stop}: corridor {corridor.id!r} has {n} stops"
        raise ScenarioError(msg)
    centre = _centroids(zones)
    ax, ay = centre.iloc[ids.index(airport_zone)].coords[0]
    per_zone = _airport_trips(trips, airport_zone)
    unknown = sorted(set(per_zone.index) - set(ids))
    if unknown:
        msg = f"trips: zone id(s) not in zones: {', '.join(unknown[:5])}; pass matching zones"
        raise ScenarioError(msg)
    rows = [ids.index(z) for z in per_zone.index]
    lon = np.array([centre.iloc[i].x for i in rows])
    lat = np.array([centre.iloc[i].y for i in rows])
    compiled = engine.compile_graph(car_graph)
    columns = compiled.positions(_nearest_nodes(car_graph, lon, lat))
    targets = _nearest_nodes(car_graph, np.append(line["lon"], ax), np.append(line["lat"], ay))
    found = engine.distance_rows(compiled, compiled.positions(targets), columns, reverse=True)
    seconds = np.vstack([block for _, block in found])
    minutes = compiled.exact(seconds) / 60.0  # [target, zone]: zone → target
    ride = np.array([in_vehicle_minutes(corridor, s, p.airport_stop, params=p) for s in line.stop])
    egress = p.egress_walk_m / p.walk_speed_mps / 60.0
    walk_m = _geodesic_m(lon, lat, line["lon"], line["lat"])  # zone × stop
    walks = walk_m <= p.catchment_m
    by_car = minutes[:n].T + p.kiss_and_ride_min
    ride_km = np.abs(line["chainage_km"].to_numpy() - line["chainage_km"].iloc[p.airport_stop - 1])
    by_car[:, ride_km < p.car_access_min_ride_km] = np.inf  # drive on to the airport instead
    access = np.where(walks, walk_m / p.walk_speed_mps / 60.0, by_car)
    total = access + p.wait_min + ride + egress
    total[:, p.airport_stop - 1] = np.inf  # boarding at the airport goes nowhere
    best = np.argmin(total, axis=1)
    pick = np.arange(len(best))
    car = minutes[n]
    table = pd.DataFrame(
        {
            "zone": per_zone.index, "name_zh": zones["name_zh"].iloc[rows].to_numpy(),
            "trips": per_zone.to_numpy(dtype=float), "car_min": car,
            "access_mode": np.where(walks[pick, best], "walk", "car"),
            "access_min": access[pick, best], "wait_min": p.wait_min,
            "in_vehicle_min": ride[best], "egress_min": egress, "rail_min": total[pick, best],
            "best_stop": best + 1, "best_stop_zh": line["name_zh"].to_numpy()[best],
            "rail_minus_car_min": total[pick, best] - car,
        }
    )  # fmt: skip
    unreachable = int((~np.isfinite(table["car_min"])).sum()) if len(table) else 0
    if unreachable:
        logger.warning("%d zone(s) cannot reach the airport by car (time inf)", unreachable)
    logger.info("rail door to door: %d zones with airport trips", len(table))
    return table.sort_values("trips", ascending=False, ignore_index=True)


def summary(table: pd.DataFrame) -> dict[str, float]:
    """Trip-weighted comparison of a :func:`door_to_door` table.

    Parameters
    ----------
    table : pandas.DataFrame
        The table; rows with an infinite car or rail time are left out.

    Returns
    -------
    dict
        ``zones``; ``trips`` (veh/h); ``trips_rail_faster`` and ``share_rail_faster`` (of the
        airport car trips whose zone reaches the airport faster by rail, door to door);
        ``median_rail_minus_car_min`` (over zones) and ``weighted_median_rail_minus_car_min``
        (over trips), minutes.
    """
    ok = table[np.isfinite(table["car_min"]) & np.isfinite(table["rail_min"])]
    if ok.empty:
        msg = "summary: the table has no zone with finite car and rail times"
        raise ScenarioError(msg)
    diff, w = ok["rail_minus_car_min"].to_numpy(), ok["trips"].to_numpy()
    faster = float(w[diff < 0].sum())
    return {
        "zones": len(ok), "trips": float(w.sum()), "trips_rail_faster": faster,
        "share_rail_faster": faster / float(w.sum()) if w.sum() > 0 else math.nan,
        "median_rail_minus_car_min": float(np.median(diff)),
        "weighted_median_rail_minus_car_min": weighted_quantile(diff, w, 0.5),
    }  # fmt: skip
