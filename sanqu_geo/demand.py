"""Zones and peak-hour OD matrices by vehicle class: the indicative default and users' own.

The default is generated from the 2020 census population of the districts and the
generators of the 三区一港 (``data/demand/parameters.toml``, every figure with its source or
marked as an assumption): trip generation, a gravity distribution, trucks anchored on the
logistics nodes. Users replace it with their own zones and OD (CSV or OMX). This module never
routes: travel times for the gravity model come from :mod:`sanqu_geo.travel`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import math
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from shapely.geometry import MultiPoint

from sanqu_geo import layers, settings, travel
from sanqu_geo import network as _network
from sanqu_geo._atomic import _pid_alive, atomic_path
from sanqu_geo._inputs import MB, check_input_file
from sanqu_geo._safe import spreadsheet_safe_frame, unescape
from sanqu_geo._toml import read_toml
from sanqu_geo.errors import DataSourceError, DemandError
from sanqu_geo.resources import data_file

logger = logging.getLogger(__name__)

__all__ = [
    "CLASSES",
    "MAX_OD_FILE_BYTES",
    "MAX_TRIPS_PER_CELL",
    "MAX_TRIPS_TOTAL",
    "MAX_ZONES",
    "MAX_ZONES_FILE_BYTES",
    "Demand",
    "attach_zones",
    "check_demand",
    "check_od_suffix",
    "default_demand",
    "default_zones",
    "demand_from_file",
    "furness",
    "generate",
    "import_demand",
    "load_demand",
    "load_parameters",
    "read_od",
    "read_zones",
    "remove_imported_demand",
    "reset_demand",
    "store_estimate",
    "write_od",
    "zone_minutes",
]

#: Vehicle classes of the OD matrices.
CLASSES: tuple[str, ...] = ("car", "truck")

PARAMETERS_FILE = "demand/parameters.toml"

#: Capacity (PCU/h) of a centroid connector: large enough never to delay (the assignment
#: needs a finite number).
CONNECTOR_CAPACITY: float = 1e9
_OD_COLUMNS = ("origin", "destination", "class", "trips")


@dataclasses.dataclass
class Demand:
    """Zones and an OD table of one peak hour.

    Attributes
    ----------
    zones : geopandas.GeoDataFrame
        ``id``, ``name_zh``, ``name_en``, ``kind``, ``population`` (NaN where none), geometry
        (EPSG:4326; points or polygons).
    od : pandas.DataFrame
        ``origin``, ``destination`` (zone ids), ``class`` (:data:`CLASSES`), ``trips``
        (vehicles per hour); zero cells are left out.
    source : str
        Where it comes from (``indicative default`` or the user's file names).
    expansion_factor : float
        Peak hour → day.
    pce : dict
        Passenger-car equivalents by class.
    """

    zones: gpd.GeoDataFrame
    od: pd.DataFrame
    source: str
    expansion_factor: float
    pce: dict[str, float]
    #: The last key and what it was computed from (the tables, sizes, trip total): every run key
    #: of a comparison asks for it, and hashing the OD each time costs more than a solve.
    _key_memo: tuple[tuple, str] | None = dataclasses.field(
        default=None, init=False, repr=False, compare=False
    )

    def matrix(self, vehicle_class: str) -> pd.DataFrame:
        """The OD of one class as a zones × zones table (vehicles per hour)."""
        ids = list(self.zones["id"])
        part = self.od[self.od["class"] == vehicle_class]
        table = part.pivot_table(
            index="origin", columns="destination", values="trips", aggfunc="sum"
        )
        return table.reindex(index=ids, columns=ids).fillna(0.0)

    def totals(self) -> dict[str, float]:
        """Vehicles per hour by class."""
        return {c: float(self.od.loc[self.od["class"] == c, "trips"].sum()) for c in CLASSES}

    def scaled(self, factor: float) -> Demand:
        """A copy with every cell multiplied by ``factor``."""
        od = self.od.copy()
        od["trips"] = od["trips"] * factor
        return dataclasses.replace(self, od=od, source=f"{self.source} × {factor:g}")

    def key(self) -> str:
        """A short hash of the zones and the OD, for caches."""
        # an OD changed in place changes its trip total (or its size)
        stamp = (
            id(self.zones),
            id(self.od),
            len(self.zones),
            len(self.od),
            float(self.od["trips"].sum()) if "trips" in self.od else 0.0,
        )
        if self._key_memo is not None and self._key_memo[0] == stamp:
            return self._key_memo[1]
        h = hashlib.sha1()
        h.update("|".join(self.zones["id"].astype(str)).encode())
        h.update(b"".join(g.wkb for g in self.zones.geometry))
        od = self.od.sort_values(["class", "origin", "destination"])
        h.update(pd.util.hash_pandas_object(od, index=False).to_numpy().tobytes())
        key = h.hexdigest()[:16]
        self._key_memo = (stamp, key)
        return key


# --------------------------------------------------------------------------- parameters


def load_parameters(path: str | Path | None = None) -> dict[str, Any]:
    """Read the demand parameters (default: the embedded ``data/demand/parameters.toml``).

    Parameters
    ----------
    path : path-like, optional
        A parameters file of the same form.

    Returns
    -------
    dict
        The parsed parameters.

    Raises
    ------
    DemandError
        When a required number is missing, not a number or negative.
    """
    path = Path(path) if path is not None else data_file(PARAMETERS_FILE)
    data = read_toml(path, what="demand parameters file", error=DemandError)
    required = {
        "generation": ("car_trips_per_resident", "truck_share_of_car"),
        "distribution": ("beta_car_per_min", "beta_truck_per_min", "tolerance", "max_iterations"),
        "daily": ("expansion_factor",),
        "zones": ("district_radius_m",),
    }
    for section, keys in required.items():
        for key in keys:
            value = data.get(section, {}).get(key)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                msg = f"{path}: [{section}] {key} must be a number ≥ 0 (found {value!r})"
                raise DemandError(msg)
    for cls in CLASSES:
        pce = data.get("classes", {}).get(cls, {}).get("pce")
        if not isinstance(pce, int | float) or pce <= 0:
            msg = f"{path}: [classes.{cls}] pce must be a positive number"
            raise DemandError(msg)
    return data


# --------------------------------------------------------------------------- zones


def default_zones(
    parameters: dict[str, Any] | None = None, *, network: str | None = None
) -> gpd.GeoDataFrame:
    """The default zone system of a network: street-level zones, or the sketch's districts.

    On the city network (``harbin``, the default) and OSM files: the zones of the
    ``zones_model`` layer (census population by residential land use, jobs weights, external
    zones at the road exits; see :func:`model_zones`) and the generators of the 三区一港. On the
    ``trunk`` sketch: the nine districts as circles and the same generators.

    Parameters
    ----------
    parameters : dict, optional
        From :func:`load_parameters`.
    network : str, optional
        Network name or source (default :data:`settings.default_network`).

    Returns
    -------
    geopandas.GeoDataFrame
        ``id``, ``name_zh``, ``name_en``, ``kind`` (``district`` or ``generator``),
        ``population`` (2020 census; NaN for generators), geometry (EPSG:4326): a district is
        a circle of ``district_radius_m`` around its label point, or the cordon points where
        its roads leave the network (a MultiPoint); a generator is its zone polygon or
        facility point.
    """
    params = parameters or load_parameters()
    if network_name(network) != "trunk":
        return pd.concat([model_zones(), _generator_zones(params)], ignore_index=True)
    radius = float(params["zones"]["district_radius_m"])
    labels = layers.load_layer("districts", located_only=True).set_index("id")
    rows = []
    for d in params["zones"]["district"]:
        if "cordons" in d:
            geom = MultiPoint([(float(x), float(y)) for x, y in d["cordons"]])
        elif d["id"] in labels.index:
            centre = gpd.GeoSeries([labels.geometry[d["id"]]], crs=labels.crs)
            metric = centre.to_crs(settings.metric_crs).buffer(radius, quad_segs=8)
            geom = metric.to_crs(settings.default_crs).iloc[0]
        else:
            msg = (
                f"district {d['id']!r} has neither lon/lat nor a label point in the districts layer"
            )
            raise DemandError(msg)
        rows.append(
            {
                "id": d["id"],
                "name_zh": d["name_zh"],
                "name_en": d["name_en"],
                "kind": "district",
                "population": float(d["population"]),
                "geometry": geom,
            }
        )
    districts = gpd.GeoDataFrame(rows, geometry="geometry", crs=settings.default_crs)
    return pd.concat([districts, _generator_zones(params)], ignore_index=True)


def parameters_for(params: dict[str, Any], network: str | None = None) -> dict[str, Any]:
    """The parameters of one network: ``[networks.<name>]`` tables override the general ones.

    Parameters
    ----------
    params : dict
        From :func:`load_parameters`.
    network : str, optional
        Network name (default :data:`settings.default_network`).

    Returns
    -------
    dict
        A copy with the network's overrides merged in (one level of tables deep).
    """
    import copy

    out = copy.deepcopy(params)
    for section, values in params.get("networks", {}).get(network_name(network), {}).items():
        if isinstance(values, dict):
            out.setdefault(section, {}).update(values)
    out.pop("networks", None)  # merged: applying them again changes nothing
    return out


def network_name(network: Any = None) -> str:
    """The name a network source goes by in the demand (``harbin``, ``trunk`` or the source)."""
    if network is not None:
        return str(network)

    return _network.default_network()


#: Columns of the model zones kept in the demand's zone table.
_MODEL_COLUMNS = ("district", "jobs_share", "road")


def model_zones() -> gpd.GeoDataFrame:
    """The street-level zones of the ``zones_model`` layer, as demand zones.

    Returns
    -------
    geopandas.GeoDataFrame
        ``id``, ``name_zh``, ``name_en``, ``kind`` (``urban``, ``outer`` or ``external``),
        ``population``, ``district``, ``jobs_share``, ``road`` (external zones), geometry.

    Raises
    ------
    DemandError
        When the layer has no zone with a population.
    """
    layer = layers.load_layer("zones_model", located_only=True)
    frame = gpd.GeoDataFrame(
        {
            "id": layer["id"].astype(str).to_numpy(),
            "name_zh": layer["name_zh"].astype(str).to_numpy(),
            "name_en": layer.get("name_en", layer["id"]).astype(str).to_numpy(),
            # a user's TAZ file without kinds: every zone an urban zone
            "kind": layer.get("kind", pd.Series("", index=layer.index))
            .fillna("")
            .astype(str)
            .replace("", "urban")
            .to_numpy(),
            "population": pd.to_numeric(layer.get("population"), errors="coerce").to_numpy(),
        },
        geometry=layer.geometry.to_numpy(),
        crs=settings.default_crs,
    )
    for column in _MODEL_COLUMNS:
        values = layer[column] if column in layer.columns else pd.Series([None] * len(layer))
        frame[column] = values.to_numpy()
    frame["jobs_share"] = pd.to_numeric(frame["jobs_share"], errors="coerce")
    if not (frame["population"].fillna(0) > 0).any():
        msg = "the zones_model layer has no zone with a population; give a population column"
        raise DemandError(msg)
    return frame


def _generator_zones(params: dict[str, Any]) -> gpd.GeoDataFrame:
    rows = []
    located = travel.load_places("all")
    places = located.set_index("id")
    for g in params["zones"]["generator"]:
        place_id = _generator_place(g, located)
        place = places.loc[place_id]
        rows.append(
            {
                "id": g["id"],
                "name_zh": place["name_zh"],
                "name_en": place["name_en"],
                "kind": "generator",
                "population": np.nan,
                "geometry": place.geometry,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=settings.default_crs)


def _generator_place(generator: dict[str, Any], located: gpd.GeoDataFrame) -> str:
    """The place a generator stands on: its id, else (an office's own layer with other ids)
    the place with its role, else the one place with the embedded place's Chinese name."""
    gid = str(generator["id"])
    if gid in set(located["id"]):
        return gid
    if gid in layers.PLACE_ROLES:
        return travel.role_places(located)[gid]
    embedded = layers.load_layer(str(generator.get("layer", "facilities")), embedded=True)
    names = embedded.loc[embedded["id"] == gid, "name_zh"]
    same = located.loc[located["name_zh"].isin(names), "id"] if len(names) else []
    if len(same) == 1:
        return str(same.iloc[0])
    msg = (
        f"generator {gid!r} is not a located facility or zone: give that place the id "
        f"{gid!r}, its role in the layer's `role` column (airport, container_centre, ...), "
        "or its embedded Chinese name"
    )
    raise DemandError(msg)


def read_zones(
    path: str | Path, *, id_column: str = "id", crs: str | None = None
) -> gpd.GeoDataFrame:
    """Read a user's zone layer from any format the layer import reads.

    Parameters
    ----------
    path : path-like
        GeoPackage, Shapefile, GeoJSON, KML, CSV with lon/lat, …
    id_column : str
        The column holding unique zone ids.
    crs : str, optional
        The file's CRS when it does not say it (``gcj02``, ``bd09``, an EPSG code …).

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`default_zones` (``kind`` ``user``; ``population`` kept when the file has it).

    Raises
    ------
    DemandError
        No id column, blank or repeated ids, or a zone without a geometry.
    """
    if not isinstance(path, str | os.PathLike):
        msg = f"zones_path must be a path to a zone layer (found {type(path).__name__})"
        raise DemandError(msg)
    check_input_file(path, what="zone layer", max_bytes=MAX_ZONES_FILE_BYTES)
    gdf = layers.read_vector_file(path, crs=crs)
    if len(gdf) > MAX_ZONES:
        msg = f"{path}: {len(gdf):,} zones is more than the {MAX_ZONES:,} a demand may have"
        raise DemandError(msg)
    if id_column not in gdf.columns:
        msg = (
            f"{path}: the zone layer has no {id_column!r} column; add a column of unique zone "
            f"ids (or name it with --id-column); found: {', '.join(map(str, gdf.columns[:8]))}"
        )
        raise DemandError(msg)
    ids = gdf[id_column].astype(str).str.strip()
    blank = gdf[id_column].isna() | (ids == "")
    if blank.any():
        msg = f"{path}: {int(blank.sum())} zone(s) have no {id_column!r}; give every zone an id"
        raise DemandError(msg)
    repeated = sorted(set(ids[ids.duplicated()]))
    if repeated:
        msg = f"{path}: zone ids repeated: {', '.join(repeated[:8])}; ids must be unique"
        raise DemandError(msg)
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        msg = f"{path}: zone(s) {', '.join(ids[empty][:8])} have no geometry"
        raise DemandError(msg)
    out = gpd.GeoDataFrame(
        {
            "id": ids.to_numpy(),
            "name_zh": gdf["name_zh"].astype(str) if "name_zh" in gdf else ids.to_numpy(),
            "name_en": gdf["name_en"].astype(str) if "name_en" in gdf else ids.to_numpy(),
            "kind": "user",
            "population": pd.to_numeric(gdf["population"], errors="coerce")
            if "population" in gdf
            else np.nan,
        },
        geometry=gdf.geometry.to_numpy(),
        crs=settings.default_crs,
    )
    return out


# --------------------------------------------------------------------------- generation


def furness(
    productions: np.ndarray,
    attractions: np.ndarray,
    friction: np.ndarray,
    *,
    tolerance: float = 1e-9,
    max_iterations: int = 500,
) -> np.ndarray:
    """Doubly constrained gravity model balanced by iterative proportional fitting.

    Parameters
    ----------
    productions, attractions : numpy.ndarray
        Row and column totals; attractions are scaled to the productions' sum.
    friction : numpy.ndarray
        Deterrence ``f(t_ij)`` (0 where no trip may go, e.g. the diagonal).
    tolerance : float
        Largest relative error of any row or column total at the end.
    max_iterations : int
        Give up after this many row-and-column sweeps.

    Returns
    -------
    numpy.ndarray
        Trips, rows summing to ``productions`` and columns to the scaled ``attractions``.

    Raises
    ------
    DemandError
        When the totals cannot be met (a zone with trips but no reachable partner).
    """
    P = np.asarray(productions, dtype=float)
    A = np.asarray(attractions, dtype=float)
    if A.sum() > 0:
        A = A * (P.sum() / A.sum())
    T = np.asarray(friction, dtype=float) * np.outer(P, A)
    scale = max(P.sum(), 1.0)
    for _ in range(int(max_iterations)):
        rows = T.sum(axis=1)
        T *= np.divide(P, rows, out=np.zeros_like(P), where=rows > 0)[:, None]
        cols = T.sum(axis=0)
        T *= np.divide(A, cols, out=np.zeros_like(A), where=cols > 0)[None, :]
        err = max(np.abs(T.sum(axis=1) - P).max(), np.abs(T.sum(axis=0) - A).max())
        if err <= tolerance * scale:
            return T
    msg = (
        f"the gravity model did not balance in {max_iterations} iterations (largest total off "
        f"by {err:.3g} trips); check that every zone with trips reaches another zone"
    )
    raise DemandError(msg)


def _singly(totals: np.ndarray, weights: np.ndarray, friction: np.ndarray) -> np.ndarray:
    """Trips from each row's total spread over the columns by weight × friction."""
    share = weights[None, :] * friction
    sums = share.sum(axis=1, keepdims=True)
    return np.divide(share, sums, out=np.zeros_like(share), where=sums > 0) * totals[:, None]


def generate(
    zones: gpd.GeoDataFrame | pd.DataFrame,
    minutes: np.ndarray,
    parameters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Generate and distribute the peak-hour trips of the default zone system.

    Cars: districts produce ``population × car_trips_per_resident``; generators produce and
    attract their stated trips; districts attract the rest in proportion to population;
    doubly constrained gravity with ``exp(-beta_car × t)``, where a district's trips to itself
    (which stay off the trunk network) take ``intrazonal_minutes`` and a generator has none. Trucks: a background share of the
    districts' car trips (doubly constrained, ``exp(-beta_truck × t)``) and the logistics
    nodes' own trucks spread over all other zones by car attraction × friction (singly
    constrained at the node, in both directions).

    Parameters
    ----------
    zones : DataFrame
        ``id`` and ``population`` (NaN for generators), in the matrix order.
    minutes : numpy.ndarray
        Free-flow car minutes between zones (inf where unreachable; the diagonal is ignored).
    parameters : dict, optional
        From :func:`load_parameters`.

    Returns
    -------
    dict
        ``car`` and ``truck`` (numpy matrices, vehicles per hour) and the control totals
        ``car_productions``, ``car_attractions``, ``truck_background``,
        ``truck_produced``, ``truck_attracted`` (arrays by zone).
    """
    params = parameters or load_parameters()
    ids = list(zones["id"])
    n = len(ids)
    gen = {g["id"]: g for g in params["zones"]["generator"]}
    kinds = np.asarray(zones["kind"], dtype=str) if "kind" in zones else np.full(n, "")
    gen.update(_external_rates(zones, params))
    pop = np.nan_to_num(np.asarray(zones["population"], dtype=float))
    rate = float(params["generation"]["car_trips_per_resident"])
    P = pop * rate
    A_fixed = np.zeros(n)
    truck_out = np.zeros(n)
    truck_in = np.zeros(n)
    for i, zid in enumerate(ids):
        g = gen.get(zid)
        if g is None:
            continue
        P[i] += float(g.get("car_produced", 0.0))
        A_fixed[i] = float(g.get("car_attracted", 0.0))
        truck_out[i] = float(g.get("truck_produced", 0.0))
        truck_in[i] = float(g.get("truck_attracted", 0.0))
    rest = P.sum() - A_fixed.sum()
    if rest < 0:
        msg = (
            "the generators attract more cars than the zones produce; raise "
            "car_trips_per_resident or lower the generators' car_attracted"
        )
        raise DemandError(msg)
    # Attractions: the jobs weights of the model zones where given, else population.
    jobs = (
        np.nan_to_num(np.asarray(zones["jobs_share"], dtype=float))
        if "jobs_share" in zones
        else np.zeros(n)
    )
    weight = jobs if jobs.sum() > 0 else pop
    if jobs.sum() > 0 and "district" in zones and _district_balance(params):
        weight = _balanced_by_district(
            np.asarray(zones["district"].fillna(""), dtype=str), pop, jobs
        )
    A = A_fixed + (weight / weight.sum() * rest if weight.sum() > 0 else 0.0)
    t = np.array(minutes, dtype=float)
    dist = params["distribution"]
    # A district or model zone keeps the trips that stay inside it (they never load the
    # network) at its intrazonal time; a generator or external zone has none.
    inside = np.full(n, np.inf)
    inside[kinds == "district"] = float(dist.get("intrazonal_minutes", 0.0))
    model = np.isin(kinds, ["urban", "outer"])
    inside[model] = float(params.get("zones_model", {}).get("intrazonal_minutes", 0.0))
    if "kind" not in zones:
        inside[pop > 0] = float(dist.get("intrazonal_minutes", 0.0))
    np.fill_diagonal(t, inside)
    # No through traffic between exits: no count of it is published (the exits' trips all
    # start or end inside the modelled area).
    exits = kinds == "external"
    t[np.ix_(exits, exits)] = np.inf

    def deterrence(beta: float) -> np.ndarray:
        finite = np.isfinite(t)
        return np.where(finite, np.exp(-beta * np.where(finite, t, 0.0)), 0.0)

    tol, iters = float(dist["tolerance"]), int(dist["max_iterations"])
    car = furness(
        P, A, deterrence(float(dist["beta_car_per_min"])), tolerance=tol, max_iterations=iters
    )
    f_truck = deterrence(float(dist["beta_truck_per_min"]))
    share = float(params["generation"]["truck_share_of_car"])
    background = share * pop * rate
    truck = furness(background, A, f_truck, tolerance=tol, max_iterations=iters)
    truck += _singly(truck_out, A, f_truck)
    truck += _singly(truck_in, A, f_truck.T).T
    return {
        "car": car,
        "truck": truck,
        "car_productions": P,
        "car_attractions": A * (P.sum() / A.sum()),
        "truck_background": background,
        "truck_produced": truck_out,
        "truck_attracted": truck_in,
    }


def _district_balance(params: dict[str, Any]) -> bool:
    return str(params.get("zones_model", {}).get("attraction_totals", "")) == "district population"


def _balanced_by_district(district: np.ndarray, pop: np.ndarray, jobs: np.ndarray) -> np.ndarray:
    """Attraction weights whose district totals follow population, spread by jobs inside it."""
    out = np.zeros_like(jobs)
    for name in np.unique(district[district != ""]):
        mine = district == name
        if jobs[mine].sum() > 0:
            out[mine] = jobs[mine] / jobs[mine].sum() * pop[mine].sum()
    return out


def _external_rates(zones: pd.DataFrame, params: dict[str, Any]) -> dict[str, dict]:
    """Peak-hour trips in and out of each external zone, by the kind of road it stands on."""
    rates = params.get("zones_model", {}).get("external", {})
    if "kind" not in zones or not rates:
        return {}
    out = {}
    for row in zones[zones["kind"] == "external"].itertuples():
        road = str(getattr(row, "road", "") or "")
        kind = "expressway" if ("高速" in road or road[:1] == "G") else "highway"
        out[str(row.id)] = rates.get(kind, {})
    return out


def _long(ids: list[str], matrices: dict[str, Any]) -> pd.DataFrame:
    """Non-zero cells of the class matrices, in the dict's order (other keys left out)."""
    frames = []
    for cls, matrix in matrices.items():
        if cls not in CLASSES:
            continue
        m = np.asarray(matrix, dtype=float)
        i, j = np.nonzero(m)
        frames.append(
            pd.DataFrame(
                {
                    "origin": np.asarray(ids, dtype=object)[i],
                    "destination": np.asarray(ids, dtype=object)[j],
                    "class": cls,
                    "trips": m[i, j],
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=list(_OD_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _pce(params: dict[str, Any]) -> dict[str, float]:
    return {c: float(params["classes"][c]["pce"]) for c in CLASSES}


def default_demand(
    G: nx.MultiDiGraph | None = None,
    *,
    parameters: dict[str, Any] | None = None,
    network: str | None = None,
) -> Demand:
    """The indicative default peak-hour demand of a network.

    Parameters
    ----------
    G : networkx.MultiDiGraph, optional
        Road graph with free-flow car ``travel_time``, for the gravity model's times (default:
        ``network`` loaded with the car profile).
    parameters : dict, optional
        From :func:`load_parameters`.
    network : str, optional
        Network name or source (default :data:`settings.default_network`): picks the zone
        system (see :func:`default_zones`).

    Returns
    -------
    Demand
        Zones and OD (vehicles per hour by class).
    """
    name = network_name(network)
    params = parameters_for(parameters or load_parameters(), name)
    zones = default_zones(params, network=name)
    if G is None:
        G = _network.load_network(name, profile="car")
    result = generate(zones, zone_minutes(zones, G), params)
    if name == "trunk":
        source = "indicative default (2020 census population, generators, gravity model)"
    else:
        source = (
            f"indicative default on {name}: {int((zones['kind'] != 'generator').sum())} zones "
            "(2020 census population by residential land use, jobs weights, external zones), "
            "generators, gravity model"
        )
    return Demand(
        zones=zones,
        od=_long(list(zones["id"]), result),
        source=source,
        expansion_factor=float(params["daily"]["expansion_factor"]),
        pce=_pce(params),
    )


def zone_minutes(zones: gpd.GeoDataFrame, G: nx.MultiDiGraph | None = None) -> np.ndarray:
    """Free-flow car minutes between zones, through their access nodes.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        Zones with ``id``.
    G : networkx.MultiDiGraph, optional
        Road graph with car ``travel_time`` (default: the default network).

    Returns
    -------
    numpy.ndarray
        Minutes, zones × zones in the frame's order.
    """
    if G is None:
        from sanqu_geo import network

        G = network.load_network(profile="car")
    seconds = travel.place_od(G, _as_places(zones), _as_places(zones))
    return seconds.to_numpy() / 60.0


def _as_places(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    keep = ["id", "name_zh", "name_en", "geometry"] + (["kind"] if "kind" in zones else [])
    places = zones[keep].copy()
    places["short_zh"] = places["name_zh"]
    places["short_en"] = places["name_en"]
    return places


# --------------------------------------------------------------------------- users' files

#: Largest OD cell accepted, vehicles per hour of one class between one pair of zones. Twenty
#: expressway lanes at their basic capacity (2,200 pcu/h, JTG B01-2014) carry 44,000: no zone
#: pair of a city sends more in an hour, so a larger cell is a unit or typing mistake.
MAX_TRIPS_PER_CELL: float = 50_000.0

#: Largest OD total accepted, vehicles per hour of all classes. Ten times the indicative
#: default peak hour of the city network (about 480,000 veh/h) for a city of Harbin's size;
#: raise it here for a province-wide model.
MAX_TRIPS_TOTAL: float = 5_000_000.0

#: Most zones a demand may have (a city model has hundreds to a few thousand; a matrix of
#: this many zones already takes 800 MB per class).
MAX_ZONES: int = 10_000

#: Largest OD file read, bytes: a long-form CSV of 3,000 zones takes about 700 MB.
MAX_OD_FILE_BYTES: int = 1024 * MB

#: Largest zone layer read, bytes.
MAX_ZONES_FILE_BYTES: int = 512 * MB

_CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # Excel in China saves CSV as GBK


def _line_of(index: int) -> int:
    """The file line of the data row at position ``index`` (the header is line 1)."""
    return index + 2


def _check_od(
    od: pd.DataFrame, zone_ids: set[str], where: str, *, lines: bool = True
) -> pd.DataFrame:
    """The OD of ``od`` checked and tidied: ids and classes known, trips finite and plausible.

    Returns the cells with trips above zero, repeated cells summed.
    """
    missing = [c for c in _OD_COLUMNS if c not in od.columns]
    if missing:
        found = ", ".join(map(str, list(od.columns)[:8])) or "none"
        msg = (
            f"{where}: column(s) {', '.join(missing)} missing (found: {found}); give "
            "origin,destination,class,trips"
        )
        raise DemandError(msg)
    od = od[list(_OD_COLUMNS)].copy()

    def at(position: int) -> str:
        return f"on line {_line_of(position)}" if lines else f"in row {position}"

    for column in ("origin", "destination", "class"):
        values = od[column]
        blank = values.isna() | (values.astype(str).str.strip() == "")
        if blank.any():
            first = int(np.flatnonzero(blank.to_numpy())[0])
            msg = f"{where}: no {column} {at(first)}; give every row an {column}"
            raise DemandError(msg)
        od[column] = values.astype(str).str.strip()
    raw = od["trips"]
    text = raw.astype(str).str.strip() if raw.dtype == object else raw
    trips = pd.to_numeric(text, errors="coerce").astype(float)
    bad = ~np.isfinite(trips.to_numpy())
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        msg = (
            f"{where}: trips {raw.iloc[first]!r} {at(first)} is not a number; give vehicles "
            "per hour as a finite plain number (no thousands separator), 0 for none"
        )
        raise DemandError(msg)
    negative = trips.to_numpy() < 0
    if negative.any():
        first = int(np.flatnonzero(negative)[0])
        msg = (
            f"{where}: {int(negative.sum())} negative trip value(s), the first {at(first)} "
            f"({trips.iloc[first]:g}); trips must be 0 or more"
        )
        raise DemandError(msg)
    large = trips.to_numpy() > MAX_TRIPS_PER_CELL
    if large.any():
        first = int(np.flatnonzero(large)[0])
        msg = (
            f"{where}: trips {trips.iloc[first]:g} {at(first)} is more than the "
            f"{MAX_TRIPS_PER_CELL:,.0f} veh/h one OD cell may have; give vehicles per peak "
            "hour (not per day or year)"
        )
        raise DemandError(msg)
    od["trips"] = trips + 0.0  # -0.0 becomes 0.0
    classes = sorted(set(od["class"]) - set(CLASSES))
    if classes:
        msg = f"{where}: unknown class(es) {', '.join(classes)}; use {', '.join(CLASSES)}"
        raise DemandError(msg)
    unknown = sorted((set(od["origin"]) | set(od["destination"])) - zone_ids)
    if unknown:
        more = f" and {len(unknown) - 8} more" if len(unknown) > 8 else ""
        msg = (
            f"{where}: {len(unknown)} zone id(s) not in the zone layer: "
            f"{', '.join(unknown[:8])}{more}; use the ids of the zones (or import your zones "
            "with --zones)"
        )
        raise DemandError(msg)
    od = od.groupby(["origin", "destination", "class"], as_index=False, sort=False)["trips"].sum()
    total = float(od["trips"].sum())
    if total > MAX_TRIPS_TOTAL:
        msg = (
            f"{where}: {total:,.0f} veh/h in all is more than the {MAX_TRIPS_TOTAL:,.0f} veh/h "
            "a city's peak hour may have; give vehicles per peak hour (not per day or year)"
        )
        raise DemandError(msg)
    return od[od["trips"] > 0].reset_index(drop=True)


def _require_trips(od: pd.DataFrame, where: str) -> None:
    if not ((od["origin"] != od["destination"]) & (od["trips"] > 0)).any():
        msg = (
            f"{where}: no trips between zones (the OD is empty, all zero or only trips inside "
            "a zone); give vehicles per hour between distinct zones"
        )
        raise DemandError(msg)


def check_demand(
    demand_: Demand, *, where: str = "the demand", require_trips: bool = True
) -> Demand:
    """Check a demand before it is used: its types, zone ids, classes and trip values.

    Parameters
    ----------
    demand_ : Demand
        The demand (for example one built in Python and given to a comparison).
    where : str
        What to call it in the message.
    require_trips : bool
        Also require at least one trip between distinct zones (an assignment of no trips
        ranks every option first with nothing saved).

    Returns
    -------
    Demand
        ``demand_`` itself.

    Raises
    ------
    DemandError
        When it is not a :class:`Demand`, an id or class is unknown, a value is not finite,
        negative or above :data:`MAX_TRIPS_PER_CELL` / :data:`MAX_TRIPS_TOTAL`, or (with
        ``require_trips``) no trip goes between zones.
    """
    if not isinstance(demand_, Demand):
        msg = f"{where} must be a sanqu_geo.demand.Demand (found {type(demand_).__name__})"
        raise DemandError(msg)
    zones, od = demand_.zones, demand_.od
    if not isinstance(zones, pd.DataFrame) or "id" not in zones.columns:
        msg = f"{where}: zones must be a GeoDataFrame with an 'id' column (found {type(zones).__name__})"
        raise DemandError(msg)
    if not isinstance(od, pd.DataFrame):
        msg = (
            f"{where}: od must be a pandas DataFrame with columns origin, destination, class, "
            f"trips (found {type(od).__name__})"
        )
        raise DemandError(msg)
    if len(zones) > MAX_ZONES:
        msg = f"{where}: {len(zones):,} zones is more than the {MAX_ZONES:,} a demand may have"
        raise DemandError(msg)
    for name, value in [("expansion_factor", demand_.expansion_factor)] + [
        (f"pce[{c!r}]", (demand_.pce or {}).get(c)) for c in CLASSES
    ]:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (math.isfinite(value) and value > 0)
        ):
            msg = f"{where}: {name} must be a finite number above 0 (found {value!r})"
            raise DemandError(msg)
    ids = set(zones["id"].astype(str))
    checked = _check_od(od, ids, where, lines=False)
    if require_trips:
        _require_trips(checked, where)
    return demand_


def _read_od_csv(path: Path) -> pd.DataFrame:
    """The rows of an OD CSV as text: header checked for repeated columns, escapes undone."""
    last: Exception | None = None
    for encoding in _CSV_ENCODINGS:
        try:
            raw = pd.read_csv(
                path, header=None, dtype=str, keep_default_na=False, encoding=encoding
            )
            break
        except UnicodeDecodeError as exc:
            last = exc
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            msg = f"{path}: not a readable OD table ({first}); save it as CSV from Excel"
            raise DemandError(msg) from exc
    else:
        msg = (
            f"{path}: not a text CSV file (neither UTF-8 nor GBK: {last}); save it as CSV "
            "(origin,destination,class,trips)"
        )
        raise DemandError(msg)
    if "\x00" in "".join(raw.iloc[:50].to_numpy().ravel().astype(str)):
        msg = f"{path}: holds binary data, not a CSV table; save it as CSV from Excel"
        raise DemandError(msg)
    header = [str(c).strip().lower() for c in raw.iloc[0]] if len(raw) else []
    repeated = sorted({c for c in header if header.count(c) > 1 and c})
    if repeated:
        msg = f"{path}: column(s) {', '.join(repeated)} appear more than once; keep one of each"
        raise DemandError(msg)
    frame = raw.iloc[1:].reset_index(drop=True)
    frame.columns = header
    for column in ("origin", "destination", "class"):
        if column in frame.columns:
            frame[column] = frame[column].map(unescape)
    return frame


def read_od(path: str | Path, zone_ids: list[str]) -> pd.DataFrame:
    """Read an OD file: CSV (``origin,destination,class,trips``) or OMX (a matrix per class).

    Parameters
    ----------
    path : path-like
        ``.csv`` (UTF-8 or GBK) or ``.omx``, at most :data:`MAX_OD_FILE_BYTES`. An OMX file
        holds square matrices named ``car`` and/or ``truck``; its first mapping (if any) gives
        the zone id of each row, else the rows follow ``zone_ids``. Text a spreadsheet-safe
        export marked with a leading apostrophe is read back without it.
    zone_ids : list of str
        The zones the OD must use.

    Returns
    -------
    pandas.DataFrame
        ``origin``, ``destination``, ``class``, ``trips`` (vehicles per hour), zero cells left
        out, repeated cells summed.

    Raises
    ------
    DemandError
        Unknown zones or classes, trips that are not finite, negative or above
        :data:`MAX_TRIPS_PER_CELL` (or a total above :data:`MAX_TRIPS_TOTAL`), an OMX of the
        wrong shape.
    DataSourceError
        A missing file, a folder, pipe or device, or a file above the size limit.
    """
    if not isinstance(path, str | os.PathLike):
        msg = f"od_path must be a path to a .csv or .omx file (found {type(path).__name__})"
        raise DemandError(msg)
    if isinstance(zone_ids, str) or not isinstance(zone_ids, list | tuple | pd.Index | np.ndarray):
        msg = f"zone_ids must be a list of zone ids (found {type(zone_ids).__name__})"
        raise DemandError(msg)
    path = check_input_file(path, what="OD file", max_bytes=MAX_OD_FILE_BYTES)
    ids = [str(z) for z in zone_ids]
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _check_od(_read_od_csv(path), set(ids), str(path))
    if suffix == ".omx":
        return _check_od(_read_omx(path, ids), set(ids), str(path), lines=False)
    msg = f"{path}: OD files must be .csv (origin,destination,class,trips) or .omx"
    raise DemandError(msg)


def _read_omx(path: Path, zone_ids: list[str]) -> pd.DataFrame:
    import openmatrix as omx
    import tables

    try:
        handle = omx.open_file(str(path), "r")
    except (OSError, tables.HDF5ExtError, ValueError) as exc:
        msg = f"{path}: not an OMX (HDF5) file ({str(exc).splitlines()[0] if str(exc) else exc!r})"
        raise DemandError(msg) from exc
    try:
        names = list(handle.list_matrices())
        unknown = sorted(set(names) - set(CLASSES))
        if unknown or not names:
            msg = (
                f"{path}: matrices {', '.join(unknown) or '(none)'} are not vehicle classes; "
                f"name the matrices {' and '.join(CLASSES)}"
            )
            raise DemandError(msg)
        mappings = list(handle.list_mappings())
        if mappings:
            lookup = handle.mapping(mappings[0])
            if len(lookup) > MAX_ZONES:
                msg = f"{path}: {len(lookup):,} zones is more than the {MAX_ZONES:,} allowed"
                raise DemandError(msg)
            order = sorted(lookup, key=lambda k: lookup[k])
            ids = [k.decode("utf-8") if isinstance(k, bytes) else str(k) for k in order]
        else:
            ids = list(zone_ids)
        matrices = {}
        for name in names:
            node = handle[name]
            shape = tuple(node.shape)
            if shape != (len(ids), len(ids)):  # checked before a cell is read
                rows, cols = [*shape, 0, 0][:2]
                msg = (
                    f"{path}: matrix {name!r} is {rows} × {cols} but there are "
                    f"{len(ids)} zones; give a square matrix with one row per zone"
                )
                raise DemandError(msg)
            m = np.asarray(node[:], dtype=float)
            if np.isnan(m).any():
                msg = f"{path}: matrix {name!r} holds empty (NaN) cells; use 0 for no trips"
                raise DemandError(msg)
            matrices[name] = m
    finally:
        handle.close()
    # Negative and infinite cells are kept here so the check names them.
    return _long(ids, matrices)


def write_od(demand: Demand, path: str | Path) -> Path:
    """Write the OD as CSV (long form) or OMX (a matrix per class, zone ids as mapping ``zone``).

    Parameters
    ----------
    demand : Demand
        The demand.
    path : path-like
        ``.csv`` or ``.omx``; written atomically. In CSV, text that a spreadsheet would run
        as a formula (``=1+1``) is written with a leading apostrophe, which :func:`read_od`
        takes off again.

    Returns
    -------
    pathlib.Path
        The file.
    """
    path = check_od_suffix(path)
    suffix = path.suffix.lower()
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            spreadsheet_safe_frame(demand.od).to_csv(tmp, index=False, encoding="utf-8")
        else:
            import openmatrix as omx

            handle = omx.open_file(str(tmp), "w")
            try:
                for cls in CLASSES:
                    handle[cls] = demand.matrix(cls).to_numpy()
                # OMX mappings are usually zone numbers; text ids are kept as UTF-8 bytes.
                ids = np.array([str(z).encode("utf-8") for z in demand.zones["id"]])
                handle.create_array(handle.root.lookup, "zone", obj=ids)
            finally:
                handle.close()
    return path


def check_od_suffix(path: str | Path) -> Path:
    """Check that an OD output is named ``.csv`` or ``.omx`` (before any work); return it.

    Parameters
    ----------
    path : path-like
        The output file.

    Returns
    -------
    pathlib.Path
        ``path`` as a path.

    Raises
    ------
    DemandError
        Another suffix.
    """
    path = Path(path)
    if path.suffix.lower() not in {".csv", ".omx"}:
        msg = f"{path}: write OD as .csv or .omx"
        raise DemandError(msg)
    return path


# --------------------------------------------------------------------------- the store
#
# The user's demand lives in ``<home>/demand``: each version in a folder of its own
# (``v<time>-<pid>/`` with zones.gpkg, od.csv and meta.json), and ``current.json`` naming the
# version in use and its prior (an estimate's). A change writes a new version folder whole,
# then replaces ``current.json`` in one rename: a kill at any moment leaves the old demand or
# the new one, never new zones with an old OD. Versions no pointer names are removed after.
# Stores of earlier versions (the three files directly in ``demand/``, ``prior/`` beside them)
# still load, and the next change moves them into this layout.

_POINTER = "current.json"
_VERSION = re.compile(r"^v[0-9a-f]+-(\d+)$")
_FILES = ("zones.gpkg", "od.csv", "meta.json")
_EARLIER = (*_FILES, "prior")


def _root() -> Path:
    return settings.get_home_folder() / "demand"


def _pointer(root: Path) -> dict[str, Any] | None:
    """What ``current.json`` says (``version``, ``prior``), or None when there is none."""
    path = root / _POINTER
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        names = [data["version"]] + ([data["prior"]] if data.get("prior") else [])
        if not all(isinstance(n, str) and (_VERSION.match(n) or n == "default") for n in names):
            raise ValueError(f"unexpected entries {names}")
        if data["version"] == "default":
            raise ValueError("no version")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        msg = (
            f"{path}: the demand store's pointer is unreadable ({exc}); run `sanqu-geo demand "
            "reset` to use the default demand, then import yours again"
        )
        raise DemandError(msg) from exc
    return data


def _store() -> Path:
    """The folder holding the demand in use (a version folder, or an earlier store's)."""
    root = _root()
    pointer = _pointer(root)
    return root / pointer["version"] if pointer else root


def _broken(folder: Path, why: str) -> DemandError:
    return DemandError(
        f"the stored demand in {folder} {why}; import it again (`sanqu-geo demand import`) or "
        "go back to the default (`sanqu-geo demand reset`)"
    )


def _load_stored(folder: Path) -> Demand:
    """The demand of one stored version, checked (a store mixed by a kill is refused)."""
    missing = [name for name in _FILES if not (folder / name).is_file()]
    if missing:
        raise _broken(folder, f"is incomplete ({', '.join(missing)} missing)")
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        zones = gpd.read_file(folder / "zones.gpkg", engine="pyogrio")
        raw = pd.read_csv(folder / "od.csv", dtype=str, keep_default_na=False, encoding="utf-8")
        source, factor, pce = str(meta["source"]), float(meta["expansion_factor"]), meta["pce"]
        zones["id"] = zones["id"].astype(str)
    except Exception as exc:  # any unreadable part is the same advice
        first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise _broken(folder, f"cannot be read ({first})") from exc
    try:
        od = _check_od(raw, set(zones["id"]), "od.csv")
        demand_ = Demand(zones, od, source, factor, dict(pce) if isinstance(pce, dict) else {})
        check_demand(demand_, where="meta.json", require_trips=False)
    except DemandError as exc:
        raise _broken(folder, f"is inconsistent ({exc})") from exc
    return demand_


def _cleanup(root: Path, keep: set[str]) -> None:
    """Remove the versions and earlier-layout files no pointer names (not others' work)."""
    try:
        entries = list(root.iterdir())
    except OSError:
        return
    for entry in entries:
        match = _VERSION.match(entry.name)
        if entry.name in keep or not (match or entry.name in _EARLIER):
            continue
        if match and int(match.group(1)) != os.getpid() and _pid_alive(int(match.group(1))):
            continue  # another process is writing it
        with contextlib.suppress(OSError):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()


def _new_version(root: Path) -> Path:
    folder = root / f"v{time.time_ns():x}-{os.getpid()}"
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        msg = f"{root}: cannot write the demand store there ({exc.strerror or exc})"
        raise DataSourceError(msg) from exc
    return folder


def _write_version(root: Path, demand_: Demand) -> str:
    """Write a demand into a new version folder (not yet in use); return its name."""
    folder = _new_version(root)
    try:
        with atomic_path(folder / "zones.gpkg") as tmp:
            demand_.zones.to_file(tmp, driver="GPKG", layer="zones", engine="pyogrio")
        with atomic_path(folder / "od.csv") as tmp:
            demand_.od[list(_OD_COLUMNS)].to_csv(tmp, index=False, encoding="utf-8")
        meta = {
            "source": demand_.source,
            "expansion_factor": demand_.expansion_factor,
            "pce": demand_.pce,
        }
        with atomic_path(folder / "meta.json") as tmp:
            tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder.name


def _copy_version(root: Path, source: Path) -> str:
    """Copy an earlier-layout store's three files into a new version folder."""
    folder = _new_version(root)
    try:
        for name in _FILES:
            with atomic_path(folder / name) as tmp:
                shutil.copyfile(source / name, tmp)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder.name


def _commit(root: Path, version: str, prior: str | None = None) -> None:
    """Make ``version`` the demand in use (one rename), then remove what is no longer named."""
    data = {"version": version, "prior": prior}
    with atomic_path(root / _POINTER) as tmp:
        tmp.write_text(json.dumps(data), encoding="utf-8")
    _cleanup(root, {version} | ({prior} if prior else set()))


def _in_use(root: Path) -> str | None:
    """The version in use, moving an earlier-layout store into a version first."""
    pointer = _pointer(root)
    if pointer is not None:
        return str(pointer["version"])
    if (root / "meta.json").is_file():
        return _copy_version(root, root)
    return None


def import_demand(
    od_path: str | Path,
    *,
    zones_path: str | Path | None = None,
    id_column: str = "id",
    crs: str | None = None,
) -> Demand:
    """Replace the default demand with a user's OD (and zones), stored in the user folder.

    The store changes as one unit: a kill at any moment leaves the demand in use before the
    import, or the imported one.

    Parameters
    ----------
    od_path : path-like
        CSV or OMX (see :func:`read_od`), vehicles per peak hour.
    zones_path : path-like, optional
        The user's zones (any layer format); default: the current zones.
    id_column : str
        Zone id column of ``zones_path``.
    crs : str, optional
        CRS of ``zones_path`` when the file does not say it.

    Returns
    -------
    Demand
        The stored demand; every later :func:`load_demand` returns it.

    Raises
    ------
    DemandError
        A bad OD or zone file (see :func:`read_od`, :func:`read_zones`), or an OD with no
        trips between zones.
    """
    if not isinstance(od_path, str | os.PathLike):
        msg = f"od_path must be a path to a .csv or .omx file (found {type(od_path).__name__})"
        raise DemandError(msg)
    if zones_path is not None and not isinstance(zones_path, str | os.PathLike):
        msg = f"zones_path must be a path to a zone layer (found {type(zones_path).__name__})"
        raise DemandError(msg)
    current = load_demand(compute_default=False)
    zones = read_zones(zones_path, id_column=id_column, crs=crs) if zones_path else current.zones
    od = read_od(od_path, list(zones["id"]))
    _require_trips(od, str(od_path))
    names = Path(od_path).name + (f" + {Path(zones_path).name}" if zones_path else "")
    demand = Demand(
        zones=zones,
        od=od,
        source=f"user file {names}",
        expansion_factor=current.expansion_factor,
        pce=current.pce,
    )
    root = _root()
    _commit(root, _write_version(root, demand))  # an import is not undone to an old prior
    logger.info("stored the user's demand in %s", root)
    return demand


def remove_imported_demand() -> bool:
    """Forget the user's demand so the default is used again; True if there was one."""
    root = _root()
    if not root.is_dir():
        return False
    # the pointer (or an earlier store's meta.json) goes first: from then on the default is
    # in use, whatever a kill leaves of the rest
    for name in (_POINTER, "meta.json"):
        with contextlib.suppress(FileNotFoundError):
            (root / name).unlink()
    shutil.rmtree(root, ignore_errors=True)
    return True


def store_estimate(estimate: Demand, prior: Demand) -> Path:
    """Make an estimated demand the one in use, keeping its prior beside it.

    Parameters
    ----------
    estimate : Demand
        The estimate (same zones as the prior).
    prior : Demand
        The demand in use it was estimated from: the stored one (kept as it is) or the
        default (then only remembered as the default).

    Returns
    -------
    pathlib.Path
        The folder of the stored estimate; :func:`reset_demand` brings the prior back.
    """
    check_demand(estimate, where="the estimated demand")
    root = _root()
    kept = _in_use(root) or "default"
    version = _write_version(root, estimate)
    _commit(root, version, prior=kept)
    logger.info("stored the estimate in %s (prior: %s)", root, prior.source)
    return root / version


def reset_demand() -> str:
    """Undo the demand in use: an estimate's prior comes back, else the default.

    Returns
    -------
    str
        ``"prior"`` (an estimate was in use: the demand it started from, imported or the
        default, is in use again), ``"default"`` (an imported demand was forgotten) or
        ``"none"`` (the default already was in use).
    """
    root = _root()
    pointer = _pointer(root)
    if pointer is None and (root / "meta.json").is_file():  # an earlier store
        kept = root / "prior"
        if (kept / "meta.json").is_file():
            meta = json.loads((kept / "meta.json").read_text(encoding="utf-8"))
            if meta.get("default"):
                remove_imported_demand()
            else:
                _commit(root, _copy_version(root, kept))
            return "prior"
        remove_imported_demand()
        return "default"
    if pointer is None:
        remove_imported_demand()  # leftovers of a killed removal, if any
        return "none"
    prior = pointer.get("prior")
    if prior == "default":
        remove_imported_demand()
        return "prior"
    if prior:
        if not (root / prior / "meta.json").is_file():
            raise _broken(root / prior, "(the prior) is missing")
        _commit(root, prior)
        return "prior"
    remove_imported_demand()
    return "default"


_DEFAULT_CACHE: dict[str, Demand] = {}


def load_demand(*, compute_default: bool = True, network: str | None = None) -> Demand:
    """The demand in use: the user's imported one, else the indicative default of the network.

    Parameters
    ----------
    compute_default : bool
        When False and no user demand is stored, return the default zones with an empty OD
        (no network needed).
    network : str, optional
        Network name or source the default is built on (default
        :data:`settings.default_network`); an imported demand serves every network.

    Returns
    -------
    Demand
        The demand.

    Raises
    ------
    DemandError
        When the stored demand is unreadable or inconsistent (the message says how to reset).
    """
    root = _root()
    pointer = _pointer(root)
    if pointer is not None:
        return _load_stored(root / pointer["version"])
    if (root / "meta.json").is_file():  # a store written by an earlier version
        return _load_stored(root)
    params = load_parameters()
    name = network_name(network)
    if not compute_default:
        return Demand(
            default_zones(params, network=name),
            pd.DataFrame(columns=list(_OD_COLUMNS)),
            "indicative default",
            float(params["daily"]["expansion_factor"]),
            _pce(params),
        )
    # the default depends on the layers in use too (an imported facilities layer moves the
    # generators), the network and the settings its free-flow times come from, so the key
    # holds them all
    zones = default_zones(params, network=name)
    built_on = b"".join(zones.geometry.to_wkb()) + "|".join(zones["id"]).encode()
    key = (
        json.dumps(
            [
                params,
                name,
                _time_settings(),
                _network.build_key(name),
            ],
            sort_keys=True,
            default=str,
        )
        + hashlib.sha1(built_on).hexdigest()
    )
    if key not in _DEFAULT_CACHE:
        _DEFAULT_CACHE[key] = default_demand(parameters=params, network=name)
    return _DEFAULT_CACHE[key]


def _time_settings() -> list:
    """The settings free-flow car times and zone access depend on."""
    return [
        settings.default_speeds_kph, settings.city_free_flow_factor, settings.profiles.get("car"),
        settings.signal_cycle_s,
        settings.signal_green_share, settings.signal_junction_classes,
        settings.junction_internal_max_m, settings.zone_loading_classes, settings.zone_barred_classes,
        settings.zone_collector_classes,
        settings.connector_speed_kph, settings.snap_classes,
    ]  # fmt: skip


# --------------------------------------------------------------------------- network


def attach_zones(
    G: nx.MultiDiGraph,
    zones: gpd.GeoDataFrame,
    *,
    time_attrs: tuple[str, ...] = ("travel_time",),
) -> tuple[nx.MultiDiGraph, dict[str, Any]]:
    """Return a copy of ``G`` with a centroid node per zone joined to its access nodes.

    Each zone joins the network where :func:`sanqu_geo.travel.access_table` puts it (gates,
    boundary points or the nearest road), through two-way centroid connectors whose time is
    the connector time and whose capacity never binds (:data:`CONNECTOR_CAPACITY`).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph with ``travel_time``.
    zones : geopandas.GeoDataFrame
        Zones with ``id``.
    time_attrs : tuple of str
        Edge time attributes (s) the connectors get (every class's).

    Returns
    -------
    (networkx.MultiDiGraph, dict)
        The new graph (centroid nodes carry ``zone`` and ``added_by="demand"``; connectors
        ``highway="centroid_connector"``) and the centroid node of every zone id.
    """
    table = travel.access_table(G, _as_places(zones))
    H = G.copy()
    ints = [n for n in H.nodes if isinstance(n, int | np.integer)]
    next_id = (max(ints) + 1) if ints else 1
    next_id = 10 ** math.ceil(math.log10(next_id + 1))  # centroids stand apart from road nodes
    centroids: dict[str, Any] = {}
    for i, zone in enumerate(zones.itertuples()):
        node = next_id + i
        point = zone.geometry.representative_point()
        H.add_node(node, x=point.x, y=point.y, zone=str(zone.id), added_by="demand")
        centroids[str(zone.id)] = node
        for row in table[table["id"] == str(zone.id)].itertuples():
            attrs = {
                "highway": "centroid_connector",
                "name": f"{zone.name_zh} 小区连接线",
                "length": float(row.distance_m),
                "capacity": CONNECTOR_CAPACITY,
                "capacity_source": "centroid connector",
                "oneway": True,
            }
            for attr in time_attrs:
                attrs[attr] = float(row.connector_s)
            H.add_edge(node, row.node, **attrs)
            H.add_edge(row.node, node, **attrs)
    H.graph["centroids"] = centroids
    return H, centroids


def demand_from_file(path: str | Path) -> Demand:
    """A demand for one run: an OD file (CSV or OMX) on the zones in use, not stored.

    Parameters
    ----------
    path : path-like
        As for :func:`read_od`.

    Returns
    -------
    Demand
        The zones in use and the file's OD.

    Raises
    ------
    DemandError
        A bad OD file (see :func:`read_od`) or one with no trips between zones.
    """
    current = load_demand(compute_default=False)
    od = read_od(path, list(current.zones["id"]))
    _require_trips(od, str(path))
    return Demand(
        zones=current.zones,
        od=od,
        source=f"file {Path(path).name} (this run only)",
        expansion_factor=current.expansion_factor,
        pce=current.pce,
    )
