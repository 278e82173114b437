"""The peak-hour assignment of the demand on a network and a scenario, and what is read from it.

Builds the assignment graph (car and truck free-flow times, capacities, corridors spliced
in, zone centroids), solves the multi-class equilibrium with :mod:`sanqu_geo.assignment`,
caches solutions in memory and congested times in the user folder, and gives the
network delay index. Never draws and never writes tables.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from sanqu_geo import assignment, demand, edits, network, scenarios, settings, speeds
from sanqu_geo._atomic import atomic_path
from sanqu_geo.errors import NetworkError

logger = logging.getLogger(__name__)

__all__ = [
    "PeakRun",
    "Variant",
    "assignment_graph",
    "busiest_two_way",
    "calibrate",
    "calibration_table",
    "congested_travel_graph",
    "delay_index",
    "demand_classes",
    "graph_key",
    "release",
    "run_key",
    "solve",
    "total_vehicle_hours",
    "with_variant",
]

#: Equilibrium target (relative gap) of every run.
default_gap: float = 1e-6

TIME_CAR = "time_car"
TIME_TRUCK = "time_truck"


@dataclasses.dataclass(frozen=True)
class Variant:
    """What a run changes against the defaults (for sensitivity tests).

    Attributes
    ----------
    demand_scale : float
        Multiplies every OD cell.
    capacity_scale : float
        Multiplies every road capacity.
    truck_pce : float or None
        Truck passenger-car equivalent (None: the demand's).
    conical_alpha : float or None
        Conical steepness α on every edge (None: :data:`settings.conical_alpha`).
    bpr_alpha, bpr_beta : float or None
        BPR parameters on every edge (None: :data:`settings.bpr_alpha` / ``bpr_beta``); used
        when :data:`settings.peak_vdf` is ``bpr``.
    """

    demand_scale: float = 1.0
    capacity_scale: float = 1.0
    truck_pce: float | None = None
    conical_alpha: float | None = None
    bpr_alpha: float | None = None
    bpr_beta: float | None = None


@dataclasses.dataclass
class PeakRun:
    """One solved peak hour.

    Attributes
    ----------
    result : AssignmentResult
        The equilibrium (volumes by class and PCU, v/c, times, gap).
    graph : networkx.MultiDiGraph
        The assigned graph (with centroids).
    centroids : dict
        Zone id → centroid node.
    option : str
        ``base`` or the option id.
    """

    result: assignment.AssignmentResult
    graph: nx.MultiDiGraph
    centroids: dict[str, Any]
    option: str

    def vehicle_hours(self) -> dict[str, float]:
        """Vehicle-hours in the peak hour by class (congested, connectors included)."""
        return assignment.vehicle_hours(self.result)

    def vehicle_km(self) -> dict[str, float]:
        """Vehicle-kilometres in the peak hour by class (connectors included)."""
        return assignment.vehicle_km(self.result)

    def edge_table(self) -> pd.DataFrame:
        """Per road edge (connectors left out): volumes, PCU, capacity, v/c, times."""
        res, G = self.result, self.graph
        frame = res.volumes.copy()
        frame["capacity"] = res.capacity
        frame["vc"] = res.vc
        frame["time_congested_s"] = res.time
        frame["time_free_s"] = [float(G.edges[e]["travel_time"]) for e in res.edges]
        attrs = ("name", "highway", "corridor", "length", "road_id")
        for attr in attrs:
            frame[attr] = [G.edges[e].get(attr) for e in res.edges]
        return frame[frame["highway"] != "centroid_connector"]


def _truck_time(data: dict[str, Any], profile: dict[str, Any]) -> float:
    """Truck free-flow time of an edge from its car speed and the truck profile's caps."""
    if data.get("vehicles") == "passenger":
        return math.inf
    speed = data.get("speed_kph")
    if data.get("highway") in ("connector", "centroid_connector") or not speed:
        return float(data["travel_time"])
    if data.get("truck_speed_kph"):
        speed = float(data["truck_speed_kph"])
    else:
        highway = data.get("highway", "")
        highway = highway[0] if isinstance(highway, list) else str(highway)
        cap = speeds.profile_value(profile["cap_kph"], highway)
        speed = min(float(speed), cap) if cap is not None else float(speed)
        speed *= speeds.profile_value(profile["factor"], highway) or 1.0
    return float(data["length"]) / (speed / 3.6) + float(data.get("junction_delay_s", 0.0))


def assignment_graph(
    source: str | None = None,
    option: scenarios.Option | None = None,
    *,
    zones=None,
    variant: Variant = Variant(),
    extra: tuple[edits.Edit, ...] = (),
) -> tuple[nx.MultiDiGraph, dict[str, Any]]:
    """The graph the peak hour is assigned on: roads, an option's road corridors, centroids.

    Car edges carry ``time_car`` (free flow of the ``car`` profile; ``inf`` on freight-only
    corridors), truck edges ``time_truck`` (the ``truck`` profile's speed caps; ``inf`` on
    passenger-only links and in truck-ban areas); ``travel_time`` is the reference free-flow
    time the delay scales with. A rail/ART corridor is not a road and is never spliced here.

    Parameters
    ----------
    source : str
        Network source (``trunk`` or an OSM file), as for :func:`sanqu_geo.network.load_network`.
    option : Option, optional
        Corridor option to build.
    zones : geopandas.GeoDataFrame, optional
        Zones to attach (default: the demand in use).
    variant : Variant
        Capacity scale and BPR parameters.
    extra : tuple of Edit
        Edits made on top of the option's own (a closure of a condition).

    Returns
    -------
    (networkx.MultiDiGraph, dict)
        The graph and the centroid node of every zone; graph attribute ``content_key`` hashes
        what the assignment reads from it.
    """
    source = demand.network_name(source)
    if zones is None:
        zones = demand.load_demand(network=source).zones
    built, centroids = _built(source, option, zones, extra)
    return with_variant(built, variant), dict(centroids)


def _built(source: str, option, zones, extra) -> tuple[nx.MultiDiGraph, dict[str, Any]]:
    """The cached assignment graph (never to be changed: :func:`assignment_graph` copies it)."""
    zones_key = hashlib.sha1(
        "|".join(zones["id"].astype(str)).encode() + b"".join(g.wkb for g in zones.geometry)
    ).hexdigest()
    key = (str(source), _option_key(option), zones_key, _profiles_key(), repr(extra))
    if key not in _GRAPHS:
        _GRAPHS[key] = _build_graph(source, option, zones, extra)
    return _GRAPHS[key]


def with_variant(H: nx.MultiDiGraph, variant: Variant) -> nx.MultiDiGraph:
    """A copy of an assignment graph with a variant's capacity scale and BPR parameters.

    Parameters
    ----------
    H : networkx.MultiDiGraph
        An assignment graph (see :func:`assignment_graph`); not changed.
    variant : Variant
        The changes.

    Returns
    -------
    networkx.MultiDiGraph
        The copy.
    """
    H = H.copy()
    for _, _, data in H.edges(data=True):
        data["capacity"] = float(data["capacity"]) * variant.capacity_scale
        if variant.bpr_alpha is not None:
            data["bpr_alpha"] = variant.bpr_alpha
        if variant.bpr_beta is not None:
            data["bpr_beta"] = variant.bpr_beta
        if variant.conical_alpha is not None:
            data["conical_alpha"] = variant.conical_alpha
    return H


_GRAPHS: dict[tuple, tuple[nx.MultiDiGraph, dict[str, Any]]] = {}


def _profiles_key() -> str:
    return json.dumps(
        [settings.profiles.get("car"), settings.profiles.get("truck"), demand._time_settings(),
         settings.capacity_per_lane_pcu, settings.default_lanes_per_direction]
    , default=str)  # fmt: skip


def graph_key(H: nx.MultiDiGraph) -> str:
    """A hash of what an assignment reads from a graph: its links, their times and capacities.

    Parameters
    ----------
    H : networkx.MultiDiGraph
        An assignment graph.

    Returns
    -------
    str
    """
    h = hashlib.sha1()
    attrs = ("travel_time", TIME_CAR, TIME_TRUCK, "capacity", "length", "bpr_alpha", "bpr_beta",
             "conical_alpha")  # fmt: skip
    for u, v, k, data in H.edges(keys=True, data=True):
        h.update(repr((u, v, k, *(data.get(a) for a in attrs))).encode())
    return h.hexdigest()[:20]


_ROADS: dict[tuple, nx.MultiDiGraph] = {}


def _roads(source: str) -> nx.MultiDiGraph:
    """A copy of the car network, loaded once per source and settings (as :data:`_GRAPHS`)."""
    key = (str(source), _profiles_key())
    if key not in _ROADS:
        _ROADS.clear()
        _ROADS[key] = network.load_network(source, profile="car")
    return _ROADS[key].copy()


def _build_graph(source, option, zones, extra=()) -> tuple[nx.MultiDiGraph, dict[str, Any]]:
    G = _roads(source)
    if option is not None:
        roads = [c for c in option.corridors if c.kind != "rail_art"]
        general = [c for c in roads if c.vehicles != "freight"]
        freight = [c for c in roads if c.vehicles == "freight"]
        if general:
            G = scenarios.apply(G, general, profile="car")
        if freight:
            G = scenarios.apply(G, freight, profile="truck")
            for _, _, data in G.edges(data=True):
                if data.get("vehicles") == "freight" and "speed_kph" in data:
                    data["truck_speed_kph"] = data["speed_kph"]
    changes = (option.edits if option is not None else ()) + tuple(extra)
    if changes:
        G = edits.apply_edits(G, changes)
    truck_profile = speeds.get_profile("truck")
    banned: set = {(u, v, k) for u, v, k, b in G.edges(keys=True, data="truck_banned") if b}
    if truck_profile.get("respect_bans"):
        from sanqu_geo import layers

        bans = layers.load_layer("truck_bans", located_only=True)
        if len(bans):
            kept = set(network.apply_truck_bans(G, bans).edges(keys=True))
            banned |= set(G.edges(keys=True)) - kept
    for u, v, k, data in G.edges(keys=True, data=True):
        data[TIME_CAR] = math.inf if data.get("vehicles") == "freight" else data["travel_time"]
        data[TIME_TRUCK] = math.inf if (u, v, k) in banned else _truck_time(data, truck_profile)
    H, centroids = demand.attach_zones(G, zones, time_attrs=("travel_time", TIME_CAR, TIME_TRUCK))
    if changes:
        edits.check_reach(H, centroids.values(), changes)
    H.graph["option"] = option.id if option is not None else "base"
    H.graph["content_key"] = graph_key(H)
    return H, centroids


def demand_classes(
    d: demand.Demand, centroids: dict[str, Any], variant: Variant = Variant()
) -> list[assignment.DemandClass]:
    """The demand's car and truck classes on an assignment graph's centroids.

    Parameters
    ----------
    d : Demand
        The demand (its OD by class, vehicles per hour, and PCE).
    centroids : dict
        Zone id → centroid node (from :func:`assignment_graph`).
    variant : Variant
        Sensitivity changes (demand scale, truck PCE).

    Returns
    -------
    list of DemandClass
        ``car`` (time :data:`TIME_CAR`) and ``truck`` (time :data:`TIME_TRUCK`).
    """
    out = []
    for cls, attr in (("car", TIME_CAR), ("truck", TIME_TRUCK)):
        od = d.od[d.od["class"] == cls]
        frame = pd.DataFrame(
            {
                "origin": od["origin"].map(centroids).to_numpy(),
                "destination": od["destination"].map(centroids).to_numpy(),
                "trips": od["trips"].to_numpy() * variant.demand_scale,
            }
        )
        pce = d.pce.get(cls, 1.0)
        if cls == "truck" and variant.truck_pce is not None:
            pce = variant.truck_pce
        out.append(assignment.DemandClass(cls, frame, pce=pce, time_attr=attr))
    return out


_RUNS: dict[str, PeakRun] = {}

#: Start an option's run from its base's paths (the base under the same closures, solved
#: first when it is not cached), and a closure's base from the base: the same equilibrium at
#: the same gap in fewer iterations. A base without closures always starts cold, so what a
#: run starts from never depends on what was solved before it.
warm_start: bool = True


def _option_key(option: scenarios.Option | None) -> str:
    if option is None:
        return "base"
    parts = [
        (c.id, c.kind, c.vehicles, c.lanes, c.design_speed_kph, c.geometry.wkt,
         tuple(p.wkt for p in c.interchanges))
        for c in option.corridors
    ] + [repr(option.edits)]  # fmt: skip
    return option.id + ":" + hashlib.sha1(repr(parts).encode()).hexdigest()[:12]


def run_key(
    source: str,
    d: demand.Demand,
    option: scenarios.Option | None,
    variant: Variant,
    gap: float,
    extra: tuple[edits.Edit, ...] = (),
) -> str:
    """A key naming one run: the built graph's content, the demand, the variant and the gap.

    The graph is hashed as built (corridors, edits, truck bans, speeds, capacities), so a
    changed layer or setting never serves a stale run.
    """
    H, _ = _built(demand.network_name(source), option, d.zones, extra)
    text = json.dumps(
        [H.graph["content_key"], d.key(), _option_key(option), dataclasses.asdict(variant), gap,
         settings.peak_vdf, settings.conical_alpha, settings.bpr_alpha, settings.bpr_beta,
         _profiles_key(), settings.signal_green_share, settings.signal_green_share_minor],
        default=str,
    )  # fmt: skip
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def solve(
    option: scenarios.Option | None = None,
    *,
    source: str | None = None,
    demand_: demand.Demand | None = None,
    variant: Variant = Variant(),
    gap: float | None = None,
    extra: tuple[edits.Edit, ...] = (),
) -> PeakRun:
    """Solve the peak hour on the base network or with an option built (cached in memory).

    Parameters
    ----------
    option : Option, optional
        The option (None: the base network).
    source : str
        Network source.
    demand_ : Demand, optional
        Default: :func:`sanqu_geo.demand.load_demand`.
    variant : Variant
        Sensitivity changes.
    gap : float, optional
        Relative-gap target (default :data:`default_gap`).
    extra : tuple of Edit
        Edits on top of the option's (a condition's closures).

    Returns
    -------
    PeakRun
        The solved hour.

    Notes
    -----
    With :data:`warm_start`, an option's run starts from its base under the same closures,
    and a closure's base from the base (solved first when not cached).
    """
    gap = default_gap if gap is None else gap
    source = demand.network_name(source)
    d = demand_ if demand_ is not None else demand.load_demand(network=source)
    key = run_key(source, d, option, variant, gap, extra)
    if key in _RUNS:
        return _RUNS[key]
    H, centroids = assignment_graph(source, option, zones=d.zones, variant=variant, extra=extra)
    warm = None
    if warm_start and (option is not None or extra):
        # an option starts from its base under the same closures, a closure from the base
        warm = solve(
            None, source=source, demand_=d, variant=variant, gap=gap,
            extra=extra if option is not None else (),
        )  # fmt: skip
    run = _solve_graph(H, centroids, d, variant, gap, warm=warm)
    if not run.result.converged:
        logger.warning(
            "the %s assignment stopped at relative gap %.2g (target %.0e)",
            run.option,
            run.result.relative_gap,
            gap,
        )
    _RUNS[key] = run
    return run


def release(*runs: PeakRun) -> None:
    """Drop solved runs from the in-memory cache (a long comparison keeps what it still reads).

    Parameters
    ----------
    *runs : PeakRun
        Runs no longer needed; a later :func:`solve` of the same key solves again.
    """
    ids = {id(r) for r in runs}
    for key in [k for k, r in _RUNS.items() if id(r) in ids]:
        del _RUNS[key]


def _solve_graph(
    H: nx.MultiDiGraph,
    centroids: dict[str, Any],
    d: demand.Demand,
    variant: Variant,
    gap: float,
    warm: PeakRun | None = None,
) -> PeakRun:
    """Assign the demand (scaled as the variant says) on an assignment graph."""
    result = assignment.assign(
        H,
        demand_classes(d, centroids, variant),
        gap=gap,
        centroids=list(centroids.values()),
        vdf=settings.peak_vdf,
        warm=warm.result if warm is not None else None,
    )
    return PeakRun(result, H, centroids, H.graph["option"])


def delay_index(run: PeakRun) -> float:
    """Network delay index: congested ÷ free-flow vehicle-hours of the same flows on the roads.

    Centroid connectors (whose time does not depend on flow) are left out of both sums.

    Parameters
    ----------
    run : PeakRun
        A solved hour.

    Returns
    -------
    float
        ``Σ_c Σ_a x_ca · cost_ca / Σ_c Σ_a x_ca · c0_ca`` over road links.
    """
    res, G = run.result, run.graph
    road = np.array([G.edges[e].get("highway") != "centroid_connector" for e in res.edges])
    congested = free = 0.0
    for name, attr in zip(res.class_names, res.time_attrs, strict=True):
        x = res.volumes[name].to_numpy()
        used = road & (x > 0)
        c0 = np.array([float(G.edges[e][attr]) for e in res.edges])
        congested += float(np.sum(x[used] * res.class_cost[name][used]))
        free += float(np.sum(x[used] * c0[used]))
    return congested / free if free > 0 else 1.0


# --------------------------------------------------------------------------- congested graphs


def _cache_file(key: str) -> Path:
    return settings.get_home_folder() / "cache" / "assignments" / f"{key}.parquet"


def congested_travel_graph(
    source: str | None = None, *, profile: str = "car", demand_: demand.Demand | None = None
) -> nx.MultiDiGraph:
    """The road graph whose ``travel_time`` is the congested time of the base peak hour.

    The equilibrium's times are cached per network and demand in the user folder
    (``cache/assignments``), so a second call only rebuilds the graph.

    Parameters
    ----------
    source : str
        Network source.
    profile : {"car", "truck"}
        Whose congested time: cars, or trucks (their speed caps plus the same delay).
    demand_ : Demand, optional
        Default: the demand in use.

    Returns
    -------
    networkx.MultiDiGraph
        Road graph (no centroids) with congested ``travel_time``, ``free_flow_time``,
        ``volume_pcu`` and ``vc``; graph attributes ``congested`` (a description) and
        ``relative_gap``.
    """
    if profile not in ("car", "truck"):
        msg = f"congested times exist for the car and truck classes, not profile {profile!r}"
        raise NetworkError(msg)
    source = demand.network_name(source)
    d = demand_ if demand_ is not None else demand.load_demand(network=source)
    key = run_key(source, d, None, Variant(), default_gap)
    path = _cache_file(key)
    H, centroids = assignment_graph(source, None, zones=d.zones)
    if path.is_file():
        table = pd.read_parquet(path)
        gap = float(table["relative_gap"].iloc[0])
    else:
        run = solve(None, source=source, demand_=d)
        res = run.result
        delay = res.time - np.array([float(H.edges[e]["travel_time"]) for e in res.edges])
        table = pd.DataFrame(
            {
                "u": [str(e[0]) for e in res.edges],
                "v": [str(e[1]) for e in res.edges],
                "key": [int(e[2]) for e in res.edges],
                "delay_s": delay,
                "pcu": res.volumes["pcu"].to_numpy(),
                "vc": res.vc,
                "relative_gap": res.relative_gap,
            }
        )
        with atomic_path(path) as tmp:
            table.to_parquet(tmp, index=False)
        gap = res.relative_gap
    by_str = {str(n): n for n in H.nodes}
    attr = TIME_CAR if profile == "car" else TIME_TRUCK
    for row in table.itertuples(index=False):
        u, v = by_str.get(row.u), by_str.get(row.v)
        if u is None or v is None or not H.has_edge(u, v, row.key):
            msg = "the cached congested times do not fit the network; delete the cache folder"
            raise NetworkError(msg)
        data = H.edges[u, v, row.key]
        data["free_flow_time"] = float(data[attr])
        data["travel_time"] = float(data[attr]) + float(row.delay_s)
        data["volume_pcu"] = float(row.pcu)
        data["vc"] = float(row.vc)
    H.remove_nodes_from(list(centroids.values()))
    drop = [
        (u, v, k) for u, v, k, t in H.edges(keys=True, data="travel_time") if not math.isfinite(t)
    ]
    H.remove_edges_from(drop)
    H.graph["profile"] = f"{profile} (congested peak)"
    H.graph["congested"] = f"base peak-hour equilibrium ({d.source}), relative gap {gap:.1e}"
    H.graph["relative_gap"] = gap
    return H


# --------------------------------------------------------------------------- calibration


def calibrate(
    *,
    target: float | None = None,
    source: str | None = None,
    parameters: dict[str, Any] | None = None,
    tolerance: float = 0.01,
    max_steps: int = 30,
) -> pd.DataFrame:
    """Find the car trip rate whose base assignment gives the target network delay index.

    The rate (``car_trips_per_resident``) is bisected in log space between 0.001 and 0.2;
    every step regenerates the default demand and solves the base peak hour.

    Parameters
    ----------
    target : float, optional
        Delay index wanted (default: the middle of the Amap range in the parameters).
    source : str
        Network source.
    parameters : dict, optional
        Demand parameters (default: the embedded ones).
    tolerance : float
        Stop when the delay index is this close to the target.
    max_steps : int
        Largest number of solves.

    Returns
    -------
    pandas.DataFrame
        One row per step: ``rate``, ``car_trips``, ``truck_trips``, ``delay_index``,
        ``relative_gap``; the last row is the answer.
    """
    import copy

    source = demand.network_name(source)
    params = demand.parameters_for(copy.deepcopy(parameters or demand.load_parameters()), source)
    cal = params["calibration"]
    target = target or (cal["delay_index_low"] + cal["delay_index_high"]) / 2
    zones = demand.default_zones(params, network=source)
    minutes = demand.zone_minutes(zones, network.load_network(source, profile="car"))
    low, high = math.log(0.001), math.log(0.2)
    rows = []
    for _ in range(max_steps):
        rate = math.exp((low + high) / 2)
        params["generation"]["car_trips_per_resident"] = rate
        gen = demand.generate(zones, minutes, params)
        d = demand.Demand(
            zones, demand._long(list(zones["id"]), gen), f"calibration rate {rate:.5f}",
            float(params["daily"]["expansion_factor"]), demand._pce(params),
        )  # fmt: skip
        run = solve(None, source=source, demand_=d)
        index = delay_index(run)
        rows.append(
            {
                "rate": rate,
                "car_trips": d.totals()["car"],
                "truck_trips": d.totals()["truck"],
                "delay_index": index,
                "relative_gap": run.result.relative_gap,
            }
        )
        if abs(index - target) <= tolerance:
            break
        if index > target:
            high = math.log(rate)
        else:
            low = math.log(rate)
    return pd.DataFrame(rows)


def total_vehicle_hours(
    option: scenarios.Option | None = None,
    *,
    source: str | None = None,
    demand_: demand.Demand | None = None,
    variant: Variant = Variant(),
    gap: float | None = None,
    extra: tuple[edits.Edit, ...] = (),
) -> dict[str, float]:
    """Vehicle-hours by class of one run, from the user folder's cache when solved before.

    Parameters
    ----------
    option, source, demand_, variant, gap, extra
        As for :func:`solve`.

    Returns
    -------
    dict
        ``car``, ``truck`` vehicle-hours in the peak hour, and ``relative_gap``.
    """
    gap = default_gap if gap is None else gap
    source = demand.network_name(source)
    d = demand_ if demand_ is not None else demand.load_demand(network=source)
    key = run_key(source, d, option, variant, gap, extra)
    path = settings.get_home_folder() / "cache" / "assignments" / "vehicle-hours.json"
    cache = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if key in cache:
        return cache[key]
    run = solve(option, source=source, demand_=d, variant=variant, gap=gap, extra=extra)
    value = {**run.vehicle_hours(), "relative_gap": run.result.relative_gap}
    cache = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    cache[key] = value
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(cache, indent=0), encoding="utf-8")
    return value


def busiest_two_way(part: pd.DataFrame) -> float:
    """Vehicles an hour on the busiest piece of some road edges, both directions added.

    Parameters
    ----------
    part : pandas.DataFrame
        Rows of :meth:`PeakRun.edge_table` (indexed by ``(u, v, key)``).

    Returns
    -------
    float
        Cars plus trucks (vehicles, not PCU) of the busiest node pair; NaN when empty.
    """
    if part.empty:
        return float("nan")
    veh = (part["car"] + part["truck"]).to_numpy()
    pair = [tuple(sorted(map(str, e[:2]))) for e in part.index]
    return float(pd.Series(veh).groupby(pd.Series(pair)).sum().max())


def calibration_table(base: PeakRun, expansion_factor: float = 10.0) -> pd.DataFrame:
    """The base peak hour against what is published: delay index, airport expressway, bridges.

    Parameters
    ----------
    base : PeakRun
        The base peak hour.
    expansion_factor : float
        Peak hour → day, for the daily airport-expressway volume.

    Returns
    -------
    pandas.DataFrame
        ``measure``, ``model``, ``published``, ``source``.
    """
    links = base.edge_table()
    k = expansion_factor

    def two_way(select) -> float:
        mask = [bool(select(n, r)) for n, r in zip(links["name"], links["road_id"], strict=True)]
        return busiest_two_way(links[mask])

    # trunk pieces: -01 零公里 → 群力 (city), -02 群力 → the toll station (airport section)
    airport_toll = two_way(lambda n, r: str(r or "").startswith("airport-expressway-02"))
    airport_city = two_way(lambda n, r: str(r or "").startswith("airport-expressway-01"))
    yang = two_way(lambda n, r: n == "阳明滩大桥")
    song = two_way(lambda n, r: n == "松浦大桥")
    vh = base.vehicle_hours()
    rows = [
        ("network delay index 路网延误指数 (congested ÷ free-flow veh-h)",
         f"{delay_index(base):.2f}", "1.4–1.9 (2020 Q1 1.40; Jan 2020 1.85; 2019 1.935)",
         "Amap reports, harbin-demand-facts §3 (M)"),
        ("relative gap 相对间隙", f"{base.result.relative_gap:.1e}", "≤ 1e-6", "target"),
        ("peak-hour vehicle-hours 高峰车小时 (car / truck)", f"{vh['car']:,.0f} / {vh['truck']:,.0f}",
         "—", "model"),
        (f"机场高速 airport section, veh/day (peak × {k:g}, both ways)",
         f"{airport_toll * k:,.0f}", "39,200 busiest day of the 2021 May-Day holiday (record)",
         "生活报 2021-05-06, harbin-demand-facts §4 (M)"),
        ("机场高速 city section (群力–零公里), veh/h both ways", f"{airport_city:,.0f}", "not published", "—"),
        ("阳明滩大桥 veh/h both ways (capacity used 9,800)", f"{yang:,.0f}", "design flow 9,800 veh/h",
         "SASAC 2011-11-22 (H)"),
        ("松浦大桥 veh/h both ways (capacity used 9,800)", f"{song:,.0f}", "peak-hour capacity 9,800 veh/h",
         "Xinhua 2008-08-09 (H)"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["measure", "model", "published", "source"])
