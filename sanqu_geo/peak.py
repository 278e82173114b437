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

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from sanqu_geo import assignment, demand, edits, network, scenarios, settings, speeds
from sanqu_geo._atomic import atomic_path
from sanqu_geo.errors import AssignmentError, DemandError, NetworkError, SanquGeoError

logger = logging.getLogger(__name__)

__all__ = [
    "PeakRun",
    "Variant",
    "assignment_graph",
    "busiest_two_way",
    "calibrate",
    "calibration_table",
    "check_delay_index_target",
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
    key = (network.build_key(source), _option_key(option), _frame_key(zones), repr(extra))
    if key not in _GRAPHS:
        if len(_GRAPHS) >= _GRAPHS_KEPT:
            _GRAPHS.pop(next(iter(_GRAPHS)))
        _GRAPHS[key] = _build_graph(source, option, zones, extra)
    return _GRAPHS[key]


def _frame_key(frame: pd.DataFrame) -> str:
    """A hash of a table's content (every column, geometries as WKB) in its row order."""
    h = hashlib.sha1(repr(list(frame.columns)).encode())
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, gpd.array.GeometryDtype):
            h.update(b"".join(b"-" if g is None else g.wkb for g in values))
            continue
        try:
            h.update(pd.util.hash_pandas_object(values, index=False).to_numpy().tobytes())
        except TypeError:  # unhashable cells (lists, dicts)
            h.update(repr(values.tolist()).encode())
    return h.hexdigest()[:20]


def _demand_key(d: demand.Demand) -> str:
    """A hash of what an assignment reads from a demand: zones, OD cells and PCE.

    Hashed from the content every time (an OD changed in place, even with the same total, is
    another demand); never from the demand's name.
    """
    pce = json.dumps(sorted((str(k), float(v)) for k, v in dict(d.pce).items()))
    return hashlib.sha1(f"{_frame_key(d.zones)}|{_frame_key(d.od)}|{pce}".encode()).hexdigest()[:20]


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


#: Assignment graphs by what they are built from (the network's build key, the option, the
#: zones, the extra edits); the oldest is dropped beyond :data:`_GRAPHS_KEPT`.
_GRAPHS: dict[tuple, tuple[nx.MultiDiGraph, dict[str, Any]]] = {}
_GRAPHS_KEPT = 64


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
    """A copy of the car network, loaded once per build key (source, settings, layers)."""
    key = (str(source), network.build_key(source))
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
    """A key naming one run: a hash of everything it is built from.

    The network source's content, every stored layer (truck bans, places) and every setting
    (:func:`sanqu_geo.network.build_key`), the built graph's content (corridors, edits, truck
    bans, speeds, capacities), the demand's content (zones, OD cells, PCE), the option, the
    variant, the gap, the extra edits, and the versions of sanqu-geo and of its cache layout:
    a changed input never serves a stale run, in memory or from the user folder.

    Parameters
    ----------
    source : str
        Network source.
    d : Demand
        The demand.
    option : Option or None
        The option (None: the base network).
    variant : Variant
        Sensitivity changes.
    gap : float
        Relative-gap target.
    extra : tuple of Edit
        Edits on top of the option's.

    Returns
    -------
    str
        20 hex digits.
    """
    source = demand.network_name(source)
    H, _ = _built(source, option, d.zones, extra)
    text = json.dumps(
        [network.build_key(source), H.graph["content_key"], _demand_key(d), _option_key(option),
         dataclasses.asdict(variant), gap, repr(extra)],
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


def _cache_file(key: str, suffix: str = ".parquet") -> Path:
    return settings.get_home_folder() / "cache" / "assignments" / f"{key}{suffix}"


def _write_cache(path: Path, write: Any) -> None:
    """Write a cache file atomically; a cache that cannot be written is logged, not raised."""
    try:
        with atomic_path(path) as tmp:
            write(Path(tmp))
    except (OSError, SanquGeoError) as exc:
        logger.warning("cannot write the cache %s (%s); the run is not kept", path, exc)


def _read_congested(path: Path, H: nx.MultiDiGraph) -> tuple[pd.DataFrame, float] | None:
    """A cached table of congested times that fits ``H`` exactly, or None (missing or bad)."""
    if not path.is_file():
        return None
    try:
        table = pd.read_parquet(path)
        columns = ("u", "v", "key", "delay_s", "pcu", "vc", "relative_gap")
        if list(table.columns) != list(columns) or len(table) != H.number_of_edges():
            raise ValueError("columns or rows differ from the network's")
        numbers = table[["delay_s", "pcu", "vc", "relative_gap"]].to_numpy(dtype=float)
        if not np.isfinite(numbers).all() or (numbers[:, 1:] < 0).any():
            raise ValueError("non-finite or negative values")
        by_str = {str(n): n for n in H.nodes}
        for row in table.itertuples(index=False):
            u, v = by_str.get(row.u), by_str.get(row.v)
            if u is None or v is None or not H.has_edge(u, v, int(row.key)):
                raise ValueError(f"edge {row.u}→{row.v} is not in the network")
        gap = float(table["relative_gap"].iloc[0])
    except Exception as exc:  # pyarrow's errors have no common base
        logger.warning("ignoring the cache %s (%s); solving again", path, exc)
        return None
    return table, gap


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
    cached = _read_congested(path, H)
    if cached is not None:
        table, gap = cached
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
        _write_cache(path, lambda tmp: table.to_parquet(tmp, index=False))
        gap = res.relative_gap
    by_str = {str(n): n for n in H.nodes}
    attr = TIME_CAR if profile == "car" else TIME_TRUCK
    for row in table.itertuples(index=False):
        data = H.edges[by_str[row.u], by_str[row.v], int(row.key)]
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


#: Delay indices a calibration target may have: above 1 (1 is an empty network) and at most
#: twice the most congested peak Amap publishes for a Chinese city (about 2.1); Harbin's
#: published range is 1.4–1.9.
plausible_delay_index: tuple[float, float] = (1.0, 4.0)

#: Car trip rates (per resident and peak hour) the calibration searches between.
calibration_rates: tuple[float, float] = (0.001, 0.2)

#: Largest number of solves of one calibration.
max_calibration_steps: int = 100


def check_delay_index_target(target: Any, *, what: str = "delay index target") -> float:
    """Check a delay-index target: a finite number within :data:`plausible_delay_index`.

    Parameters
    ----------
    target : float
        The target.
    what : str
        What it is, for the message.

    Returns
    -------
    float
        The target.

    Raises
    ------
    AssignmentError
        When it is not a number, not finite or out of the plausible range.
    """
    low, high = plausible_delay_index
    if isinstance(target, bool) or not isinstance(target, int | float | np.integer | np.floating):
        msg = f"{what} {target!r} is not a number; give a delay index such as 1.6"
        raise AssignmentError(msg)
    value = float(target)
    if not (math.isfinite(value) and low < value <= high):
        msg = (
            f"{what} {value:g} is not a plausible delay index: give a number above {low:g} and "
            f"at most {high:g} (congested ÷ free-flow time; Harbin's published range is 1.4–1.9)"
        )
        raise AssignmentError(msg)
    return value


def _check_calibration_options(tolerance: Any, max_steps: Any) -> None:
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, int | float)
        or not (math.isfinite(tolerance) and 0 < tolerance < 1)
    ):
        msg = (
            f"calibration tolerance {tolerance!r} must be a number above 0 and below 1 (e.g. 0.01)"
        )
        raise AssignmentError(msg)
    if (
        isinstance(max_steps, bool)
        or not isinstance(max_steps, int | np.integer)
        or not 1 <= max_steps <= max_calibration_steps
    ):
        msg = (
            f"calibration max_steps {max_steps!r} must be a whole number from 1 to "
            f"{max_calibration_steps}"
        )
        raise AssignmentError(msg)


def calibrate(
    *,
    target: float | None = None,
    source: str | None = None,
    parameters: dict[str, Any] | None = None,
    tolerance: float = 0.01,
    max_steps: int = 30,
) -> pd.DataFrame:
    """Find the car trip rate whose base assignment gives the target network delay index.

    The rate (``car_trips_per_resident``) is bisected in log space between the ends of
    :data:`calibration_rates`; every step regenerates the default demand and solves the base
    peak hour.

    Parameters
    ----------
    target : float, optional
        Delay index wanted, within :data:`plausible_delay_index` (default: the middle of the
        Amap range in the parameters).
    source : str
        Network source.
    parameters : dict, optional
        Demand parameters (default: the embedded ones).
    tolerance : float
        Stop when the delay index is this close to the target (above 0, below 1).
    max_steps : int
        Largest number of solves (1 to :data:`max_calibration_steps`).

    Returns
    -------
    pandas.DataFrame
        One row per step: ``rate``, ``car_trips``, ``truck_trips``, ``delay_index``,
        ``relative_gap``; the last row is the answer (within the tolerance of the target).

    Raises
    ------
    AssignmentError
        When the target or an option is not valid, or when the target is not reached: out of
        reach of the rates searched, or not within ``max_steps`` solves. The message gives the
        closest delay index reached; the exception's ``steps`` attribute holds the steps.
    """
    import copy

    _check_calibration_options(tolerance, max_steps)
    if target is not None:
        target = check_delay_index_target(target)
    source = demand.network_name(source)
    params = demand.parameters_for(copy.deepcopy(parameters or demand.load_parameters()), source)
    cal = params["calibration"]
    if target is None:
        target = check_delay_index_target(
            (float(cal["delay_index_low"]) + float(cal["delay_index_high"])) / 2,
            what="the parameters' delay index target (middle of delay_index_low and _high)",
        )
    zones = demand.default_zones(params, network=source)
    minutes = demand.zone_minutes(zones, network.load_network(source, profile="car"))
    low, high = (math.log(r) for r in calibration_rates)
    rows = []
    reached = at_end = False
    for _ in range(max_steps):
        rate = math.exp((low + high) / 2)
        params["generation"]["car_trips_per_resident"] = rate
        try:
            gen = demand.generate(zones, minutes, params)
        except DemandError as exc:
            # too few cars for the generators' fixed attractions: this rate is below the
            # lowest the model can carry, so the target lies above it (or out of reach)
            logger.info("calibration rate %.5f cannot be generated (%s)", rate, exc)
            low = math.log(rate)
            at_end = high - low < _BRACKET_END
            if at_end:
                break
            continue
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
            reached = True
            break
        if index > target:
            high = math.log(rate)
        else:
            low = math.log(rate)
        at_end = high - low < _BRACKET_END
        if at_end:
            break
    steps = pd.DataFrame(
        rows, columns=["rate", "car_trips", "truck_trips", "delay_index", "relative_gap"]
    )
    if not reached:
        raise _not_reached(target, tolerance, steps, searched=at_end)
    return steps


#: Width (in log rate) below which the bisection has run into an end of its search range.
_BRACKET_END = 1e-3


def _not_reached(
    target: float, tolerance: float, steps: pd.DataFrame, *, searched: bool
) -> AssignmentError:
    """The error of a calibration that did not reach its target, with the closest value."""
    lo, hi = calibration_rates
    if steps.empty:
        msg = (
            f"delay index target {target:g} cannot be reached: no car trip rate from {lo:g} to "
            f"{hi:g} per resident gives a demand the generators allow; check the demand "
            "parameters"
        )
    else:
        best = steps.iloc[int((steps["delay_index"] - target).abs().to_numpy().argmin())]
        where = (
            f"out of reach of car trip rates {lo:g}–{hi:g} per resident"
            if searched
            else f"not within ±{tolerance:g} in {len(steps)} solves"
        )
        advice = (
            "choose a target the model can reach"
            if searched
            else "allow more steps or a wider tolerance"
        )
        msg = (
            f"delay index target {target:g} {where}: the closest reached is "
            f"{best['delay_index']:.3f} at rate {best['rate']:.5f}; {advice}"
        )
    error = AssignmentError(msg)
    error.steps = steps  # type: ignore[attr-defined]
    return error


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
    path = _cache_file(key, ".hours.json")
    cached = _read_hours(path)
    if cached is not None:
        return cached
    run = solve(option, source=source, demand_=d, variant=variant, gap=gap, extra=extra)
    value = {**run.vehicle_hours(), "relative_gap": run.result.relative_gap}
    text = json.dumps({"key": key, **value})
    _write_cache(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return value


def _read_hours(path: Path) -> dict[str, float] | None:
    """Cached vehicle-hours of one run, or None when missing, unreadable or implausible."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("key") != path.name.split(".")[0]:
            raise ValueError("not a cache of this run")
        value = {k: data[k] for k in ("car", "truck", "relative_gap")}
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
            for v in value.values()
        ):
            raise ValueError("non-finite or negative values")
    except (OSError, ValueError, KeyError) as exc:  # JSON and UTF-8 errors are ValueErrors
        logger.warning("ignoring the cache %s (%s); solving again", path, exc)
        return None
    return {k: float(v) for k, v in value.items()}


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
