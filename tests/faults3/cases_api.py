"""The ``api`` area: the public Python API refuses wrong arguments at the door, and ``od`` labels.

Every call of the engine, the assignment, the travel-time helpers, the access nodes, the CRS
conversions and the forecast with a wrong type, ``None``, an empty, NaN, negative or implausible
value, an unknown name or a graph of the wrong kind must raise one ``SanquGeoError`` naming the
argument, never a raw ``TypeError``/``AttributeError``/``KeyError`` and never return nonsense.
The ``od --from all --to all`` table must have distinct labels and the right times.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import openpyxl
import pandas as pd
import shapely

from faults3 import Case, Fault
from sanqu_geo import access, assignment, crs, demand, engine, forecast, network, travel
from sanqu_geo.cli import main

DC = assignment.DemandClass


def _points(*xy: tuple[float, float], crs_: Any = "EPSG:4326", **cols: list) -> gpd.GeoDataFrame:
    ids = cols.pop("id", [f"p{i}" for i in range(len(xy))])
    return gpd.GeoDataFrame({"id": ids, **cols}, geometry=[shapely.Point(p) for p in xy], crs=crs_)


def _quiet(fn):
    def call():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()

    return call


def _od_cli_check(ws: Path, G: nx.MultiDiGraph, suffix: str) -> None:
    """``od --from all --to all --out od.<suffix>``: distinct labels, one cell brute-forced."""
    out = ws / f"od-all.{suffix}"
    code = main(["od", "--from", "all", "--to", "all", "--out", str(out)])
    if code != 0 or not out.is_file():
        raise Fault("failed", f"od --from all --to all --out {out.name}: exit {code}, no table")
    if suffix == "csv":
        table = pd.read_csv(out, index_col=0, encoding="utf-8-sig")
        rows, cols = list(table.index), list(table.columns)
    else:
        sheet = openpyxl.load_workbook(out, read_only=True).worksheets[0]
        values = [list(r) for r in sheet.iter_rows(values_only=True)]
        cols = [str(c) for c in values[0][1:]]
        rows = [str(r[0]) for r in values[1:] if r[0] is not None]
        table = pd.DataFrame([r[1 : len(cols) + 1] for r in values[1:]], index=rows, columns=cols)
    for what, labels in (("row", rows), ("column", cols)):
        repeated = sorted({x for x in labels if labels.count(x) > 1})
        if repeated:
            raise Fault("silent", f"{out.name}: repeated {what} labels {repeated}")
    if len(rows) != 20 or len(cols) != 20:
        raise Fault("failed", f"{out.name}: {len(rows)} x {len(cols)} places, expected 20 x 20")
    # The zone 内陆港 (id inland_port) to the airport (a facility): brute force over the access
    # nodes with networkx's Dijkstra.
    zone = [r for r in rows if "Inland port" in r and "zone" in r]
    airport = [c for c in cols if "Taiping Airport" in c]
    if len(zone) != 1 or len(airport) != 1:
        raise Fault("failed", f"{out.name}: no single zone 内陆港 row ({zone}) or airport column")
    places = travel.load_places("all")
    acc = travel.access_table(G, places[places["id"].isin(["inland_port", "airport"])])
    a, b = acc[acc["id"] == "inland_port"], acc[acc["id"] == "airport"]
    best = math.inf
    for na, ca in zip(a["node"], a["connector_s"], strict=True):
        lengths = nx.single_source_dijkstra_path_length(G, na, weight="travel_time")
        for nb, cb in zip(b["node"], b["connector_s"], strict=True):
            best = min(best, ca + lengths.get(nb, math.inf) + cb)
    got = float(table.loc[zone[0], airport[0]])
    if not abs(got - best / 60) <= 0.051:
        raise Fault(
            "silent", f"{out.name}: 内陆港 zone → airport {got} min, brute force {best / 60:.2f}"
        )


def cases(ws: Path) -> list[Case]:
    """The cases of the ``api`` area (inputs are built here, before any case runs)."""
    G = network.load_network()
    nodes = list(G.nodes)
    a, b = nodes[0], nodes[len(nodes) // 2]
    od = pd.DataFrame({"origin": [a], "destination": [b], "trips": [100.0]})
    car = DC("car", od)
    simple = nx.Graph(G)
    no_xy = nx.MultiDiGraph()
    for u, v, k, data in G.edges(keys=True, data=True):
        no_xy.add_edge(u, v, k, **{key: val for key, val in data.items() if key != "geometry"})
    zones = travel.load_places("zones")
    airport = travel.find_place("airport")
    d0 = demand.load_demand()
    here = _points((126.6, 45.7))
    fifo = ws / "forecast-pipe.toml"
    os.mkfifo(fifo)

    def assign(*args: Any, **kw: Any):
        return lambda: assignment.assign(*args, **kw)

    return [
        # ---- assign: graph, classes, options
        Case("assign on an nx.Graph", call=assign(simple, [car]), needle="MultiDiGraph"),
        Case("assign on None", call=assign(None, [car]), needle="MultiDiGraph"),
        Case("assign a lone DemandClass", call=assign(G, car), needle="list"),
        Case("assign classes None", call=assign(G, None), needle="classes"),
        Case("assign no classes", call=assign(G, []), needle="classes"),
        Case("assign a list of strings", call=assign(G, ["car"]), needle="DemandClass"),
        Case(
            "DemandClass with a dict as OD",
            call=lambda: DC("car", {"origin": [a], "destination": [b], "trips": [1]}),
            needle="DataFrame",
        ),
        Case("DemandClass with a string PCE", call=lambda: DC("car", od, pce="2"), needle="pce"),
        Case("DemandClass with PCE None", call=lambda: DC("car", od, pce=None), needle="pce"),
        Case("DemandClass with PCE 1e300", call=lambda: DC("car", od, pce=1e300), needle="pce"),
        Case("DemandClass named None", call=lambda: DC(None, od), needle="name"),
        Case(
            "DemandClass time_attr not on the graph",
            call=assign(G, [DC("car", od, time_attr="truck_tiem")]),
            needle="truck_tiem",
        ),
        Case(
            "assign 1e308 trips in one cell",
            call=assign(G, [DC("car", od.assign(trips=1e308))]),
            needle="trips",
        ),
        Case(
            "assign an unhashable origin",
            call=assign(G, [DC("car", od.assign(origin=[[a]]))]),
            needle="origin",
        ),
        Case("assign vdf as a list", call=assign(G, [car], vdf=["bpr"]), needle="vdf"),
        Case(
            "assign max_iterations '10'",
            call=assign(G, [car], max_iterations="10"),
            needle="max_iterations",
        ),
        Case(
            "assign max_iterations -1",
            call=assign(G, [car], max_iterations=-1),
            needle="max_iterations",
        ),
        Case("assign gap True", call=assign(G, [car], gap=True), needle="gap"),
        Case("assign centroids 5", call=assign(G, [car], centroids=5), needle="centroids"),
        Case("assign warm 'x'", call=assign(G, [car], warm="x"), needle="warm"),
        Case("assign progress 3", call=assign(G, [car], progress=3), needle="progress"),
        Case(
            "vehicle_hours of None",
            call=lambda: assignment.vehicle_hours(None),
            needle="AssignmentResult",
        ),
        Case(
            "select_link of None",
            call=lambda: assignment.select_link(None, []),
            needle="AssignmentResult",
        ),
        Case(
            "congested_graph with a string result",
            call=lambda: assignment.congested_graph(G, "x"),
            needle="AssignmentResult",
        ),
        Case(
            "add_class_time onto an nx.Graph",
            call=lambda: assignment.add_class_time(simple, G, "truck_time"),
            needle="MultiDiGraph",
        ),
        Case(
            "assign_tntp of None", call=lambda: assignment.assign_tntp(None), needle="TntpProblem"
        ),
        # ---- engine
        Case("od_matrix on None", call=lambda: engine.od_matrix(None, [a], [b]), needle="graph"),
        Case(
            "od_matrix origins None", call=lambda: engine.od_matrix(G, None, [b]), needle="origins"
        ),
        Case(
            "od_matrix a lone origin id", call=lambda: engine.od_matrix(G, a, [b]), needle="origins"
        ),
        Case(
            "od_matrix weight 3",
            call=lambda: engine.od_matrix(G, [a], [b], weight=3),
            needle="weight",
        ),
        Case(
            "od_matrix an unhashable origin",
            call=lambda: engine.od_matrix(G, [[a]], [b]),
            needle="origin",
        ),
        Case("route on an nx.Graph works", check=lambda: _route_simple(simple, G, a, b)),
        Case(
            "route without node x/y", call=_quiet(lambda: engine.route(no_xy, a, b)), needle="x/y"
        ),
        Case(
            "isochrones without node x/y",
            call=lambda: engine.isochrones(no_xy, [a], [15]),
            needle="x/y",
        ),
        Case(
            "isochrones minutes '15'",
            call=lambda: engine.isochrones(G, [a], "15"),
            needle="minutes",
        ),
        Case(
            "isochrones minutes NaN",
            call=lambda: engine.isochrones(G, [a], [math.nan]),
            needle="minutes",
        ),
        Case(
            "isochrones minutes 1e9",
            call=lambda: engine.isochrones(G, [a], [1e9]),
            needle="minutes",
        ),
        Case(
            "isochrones buffer_m -5",
            call=lambda: engine.isochrones(G, [a], [15], buffer_m=-5),
            needle="buffer_m",
        ),
        Case("reach with no minutes", call=lambda: engine.reach(G, [a], [], [b]), needle="minutes"),
        Case(
            "reach weights of the wrong length",
            call=lambda: engine.reach(G, [a], [15], [b], weights=[1, 2]),
            needle="weights",
        ),
        Case(
            "reach negative extra_seconds",
            call=lambda: engine.reach(G, [a], [15], [b], extra_seconds=[-60]),
            needle="extra_seconds",
        ),
        Case(
            "od_to_parquet path None",
            call=lambda: engine.od_to_parquet(G, [a], [b], None),
            needle="path",
        ),
        # ---- travel
        Case("find_place None", call=lambda: travel.find_place(None), needle="place"),
        Case("find_place of blanks", call=lambda: travel.find_place("  "), needle="place"),
        Case("load_places 5", call=lambda: travel.load_places(5), needle="5"),
        Case("place_od of None", call=lambda: travel.place_od(G, None, zones), needle="origins"),
        Case(
            "place_od weight free_flow_time",
            call=lambda: travel.place_od(G, zones, zones, weight="free_flow_time"),
            needle="weight",
        ),
        Case(
            "place_od repeated place ids",
            call=lambda: travel.place_od(G, pd.concat([airport, airport]), zones),
            needle="airport",
        ),
        Case(
            "place_route with many origins",
            call=lambda: travel.place_route(G, zones, airport),
            needle="origin",
        ),
        Case(
            "place_route with ids as text",
            call=lambda: travel.place_route(G, "airport", airport),
            needle="origin",
        ),
        Case(
            "place_isochrones of a place id as text",
            call=lambda: travel.place_isochrones(G, "airport", [15]),
            needle="place",
        ),
        Case("role_places of a dict", call=lambda: travel.role_places({}), needle="places"),
        # ---- access
        Case("access_nodes of None", call=lambda: access.access_nodes(G, None), needle="features"),
        Case(
            "access_nodes without an id column",
            call=lambda: access.access_nodes(G, here.drop(columns="id")),
            needle="id",
        ),
        Case(
            "access_nodes in EPSG:4551 metres without a CRS",
            call=lambda: access.access_nodes(
                G, here.to_crs(4551).set_crs(None, allow_override=True)
            ),
            needle="CRS",
        ),
        Case(
            "access_nodes max_distance_m NaN",
            call=lambda: access.access_nodes(G, here, max_distance_m=math.nan),
            needle="max_distance_m",
        ),
        Case(
            "access_nodes connector speed 0",
            call=lambda: access.access_nodes(G, here, connector_speed_kph=0),
            needle="connector_speed_kph",
        ),
        Case(
            "access_nodes boundary_points 0",
            call=lambda: access.access_nodes(G, here, boundary_points=0),
            needle="boundary_points",
        ),
        Case(
            "access_nodes without node x/y",
            call=lambda: access.access_nodes(no_xy, here),
            needle="x/y",
        ),
        Case(
            "allowed_nodes classes 'primary'",
            call=lambda: access.allowed_nodes(G, "primary"),
            needle="classes",
        ),
        Case(
            "loading_nodes zones without kind",
            call=lambda: access.loading_nodes(G, zones[["id", "geometry"]]),
            needle="kind",
        ),
        Case("access_nodes on a labelled EPSG:4551 frame", check=lambda: _access_metric(G, here)),
        # ---- crs
        Case("wgs84_to_gcj02 of None", call=lambda: crs.wgs84_to_gcj02(None, None), needle="None"),
        Case("wgs84_to_gcj02 lon 500", call=lambda: crs.wgs84_to_gcj02(500.0, 45.0), needle="500"),
        Case(
            "bd09_to_wgs84 lon 1e300", call=lambda: crs.bd09_to_wgs84(1e300, 45.0), needle="1e+300"
        ),
        Case(
            "gcj02_to_wgs84 lat inf", call=lambda: crs.gcj02_to_wgs84(126.6, math.inf), needle="inf"
        ),
        Case(
            "check_geodataframe of None",
            call=lambda: crs.check_geodataframe(None),
            needle="GeoDataFrame",
        ),
        Case(
            "detect_gcj02_offset of text",
            call=lambda: crs.detect_gcj02_offset("a", "b"),
            needle="points",
        ),
        Case(
            "detect_gcj02_offset tolerance -1",
            call=lambda: crs.detect_gcj02_offset([[126.6, 45.7]], [[126.6, 45.7]], tolerance_m=-1),
            needle="tolerance_m",
        ),
        Case("parse_crs EPSG:99999", call=lambda: crs.parse_crs("EPSG:99999"), needle="EPSG:99999"),
        # ---- forecast
        Case("demand_for of None", call=lambda: forecast.demand_for(None), needle="Demand"),
        Case(
            "demand_for period list",
            call=lambda: forecast.demand_for(d0, period=["am_peak"]),
            needle="period",
        ),
        Case(
            "growth_table years '2025'",
            call=lambda: forecast.growth_table(d0, years="2025"),
            needle="years",
        ),
        Case(
            "period_hours_per_year season []",
            call=lambda: forecast.period_hours_per_year(season=[]),
            needle="season",
        ),
        Case(
            "load_forecast of a FIFO",
            call=lambda: forecast.load_forecast(fifo),
            needle="pipe",
            timeout=15,
        ),
        # ---- od --from all --to all
        Case(
            "od all x all to CSV: distinct labels, right times",
            check=lambda: _od_cli_check(ws, G, "csv"),
        ),
        Case("od all x all to XLSX: distinct labels", check=lambda: _od_cli_check(ws, G, "xlsx")),
    ]


def _route_simple(simple: nx.Graph, G: nx.MultiDiGraph, a: Any, b: Any) -> None:
    """A route on an undirected simple graph: found, and as fast as networkx says."""
    found = engine.route(simple, a, b)
    if found is None:
        raise Fault("failed", "route on an nx.Graph found no path")
    expected = nx.shortest_path_length(simple, a, b, weight="travel_time")
    if abs(found.travel_time - expected) > 1e-6:
        raise Fault("silent", f"route on an nx.Graph: {found.travel_time} s, networkx {expected} s")


def _access_metric(G: nx.MultiDiGraph, here: gpd.GeoDataFrame) -> None:
    """A frame labelled in metres snaps where the same points in WGS-84 do."""
    want = access.access_nodes(G, here)
    got = access.access_nodes(G, here.to_crs(4551))
    if got["node"].tolist() != want["node"].tolist():
        raise Fault(
            "silent",
            f"EPSG:4551 frame snapped to {got['node'].tolist()}, not {want['node'].tolist()}",
        )
    if not np.allclose(got["distance_m"], want["distance_m"], atol=0.01):
        raise Fault("silent", "EPSG:4551 frame: other connector distances")
