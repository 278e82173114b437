"""Comparing corridor options on the peak-hour assignment: vehicle-hours saved, for whom, at what cost.

Each road option and the base are solved to equilibrium (relative gap ≤ 1e-6) with the demand
in use; the ranking is by peak-hour vehicle-hours saved. Rail options are compared by
door-to-door time, never as roads. Sensitivity runs re-solve everything. The free-flow
key-link times stay as a secondary table. Works on results of :mod:`sanqu_geo.peak`; never
draws and never writes files.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import logging
import math
import numbers
import re
import unicodedata
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from sanqu_geo import (
    assignment,
    demand,
    engine,
    network,
    peak,
    scenarios,
    settings,
    speeds,
    travel,
)
from sanqu_geo._inputs import MB, check_input_file
from sanqu_geo.appraisal import economics
from sanqu_geo.errors import DataSourceError, ScenarioError

logger = logging.getLogger(__name__)

__all__ = [
    "KEY_LINKS",
    "RANK_CRITERION",
    "RELIEVED_ROADS",
    "SENSITIVITY_RUNS",
    "Comparison",
    "check_costs",
    "compare",
    "flow_difference",
    "link_layer",
    "rank",
    "read_costs",
    "select_link_zones",
]

#: The plan's key links: (id, 中文, English, role a, role b); both directions are counted.
#: The ends are roles of :data:`sanqu_geo.layers.PLACE_ROLES`, so an imported layer with its
#: own ids serves as long as it names the roles.
KEY_LINKS: tuple[tuple[str, str, str, str, str], ...] = (
    ("new_area_airport", "新区—机场", "New Area ⇄ airport", "new_area", "airport"),
    (
        "container_cbz",
        "集装箱中心站—综保区",
        "Container centre ⇄ bonded zone",
        "container_centre",
        "bonded_zone",
    ),
    ("cbz_airport", "综保区—机场", "Bonded zone ⇄ airport", "bonded_zone", "airport"),
    ("ftz_inland_port", "自贸区—内陆港", "FTZ ⇄ inland port", "ftz", "inland_port"),
    ("west_airport", "哈西站—机场", "Harbin West ⇄ airport", "rail_station", "airport"),
)

#: Roads a corridor may relieve: (id, 中文, English, road-id prefixes, names).
RELIEVED_ROADS: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("airport_expressway", "机场高速", "Airport expressway", ("airport-expressway",),
     ("哈尔滨机场高速公路", "机场高速")),
    ("old_airport_road", "老机场路", "Old airport road", ("old-airport-road",),
     ("机场路(老机场路)", "机场路")),
    ("g1001", "绕城高速(四环)", "G1001 ring expressway", ("g1001",), ("哈尔滨绕城高速公路",)),
    ("ring3", "三环路", "3rd ring road", ("ring-3",), ("三环路", "阳明滩大桥", "松浦大桥")),
)  # fmt: skip

#: What the ranking is by.
RANK_CRITERION = (
    "peak-hour vehicle-hours saved (cars + trucks, base and option at equilibrium, relative "
    "gap ≤ 1e-6); rail options are compared by door-to-door time and not ranked with roads"
)

#: Roles of the places whose isochrones the corridor map shows (base and best option), and
#: the minutes.
ISOCHRONE_PLACES: tuple[str, ...] = ("airport", "inland_port")
ISOCHRONE_MINUTES: tuple[float, ...] = (30.0, 60.0)

#: Days a year, to turn a daily saving into a yearly one for cost per vehicle-hour saved.
#: Assumption: every day of the year like the modelled weekday (no seasonal factor published).
days_per_year: float = 365.0

#: Walking speed (km/h) between a place and a rail stop. Assumption.
walk_kph: float = 4.5

#: Sensitivity runs: (id, 中文, English, what changes).
SENSITIVITY_RUNS: tuple[tuple[str, str, str, peak.Variant], ...] = (
    ("demand_-20%", "需求−20%", "demand −20 %", peak.Variant(demand_scale=0.8)),
    ("demand_+20%", "需求+20%", "demand +20 %", peak.Variant(demand_scale=1.2)),
    ("capacity_-20%", "通行能力−20%", "capacities −20 %", peak.Variant(capacity_scale=0.8)),
    ("capacity_+20%", "通行能力+20%", "capacities +20 %", peak.Variant(capacity_scale=1.2)),
    ("truck_pce_1.5", "货车折算系数1.5", "truck PCE 1.5", peak.Variant(truck_pce=1.5)),
    ("truck_pce_4.0", "货车折算系数4.0", "truck PCE 4.0", peak.Variant(truck_pce=4.0)),
    ("conical_alpha_3", "锥形延误函数α=3", "conical α 3", peak.Variant(conical_alpha=3.0)),
    ("conical_alpha_6", "锥形延误函数α=6", "conical α 6", peak.Variant(conical_alpha=6.0)),
)


@dataclasses.dataclass
class Comparison:
    """Every table of a comparison (pandas DataFrames) and what it was run on.

    Attributes
    ----------
    summary : DataFrame
        One row per road option: VHT and VKT by class (peak hour and per day), saving, cost,
        rank, and a one-sentence note.
    key_links : DataFrame
        Congested times on the key links before and after, both directions, car and truck.
    roads : DataFrame
        Volume and v/c on the new corridor and the roads it may relieve, before and after.
    select_link : DataFrame
        Which zones' trips use each option's corridor (vehicles per peak hour).
    rail : DataFrame
        Rail options: door-to-door time against the congested car time, pair by pair.
    sensitivity : DataFrame
        Every run × option: saving, rank, and whether the rank holds.
    key_links_free : DataFrame
        The free-flow key-link times (secondary).
    splices : DataFrame
        How each corridor joined the network.
    """

    summary: pd.DataFrame
    key_links: pd.DataFrame
    roads: pd.DataFrame
    select_link: pd.DataFrame
    rail: pd.DataFrame
    sensitivity: pd.DataFrame
    key_links_free: pd.DataFrame
    splices: pd.DataFrame
    scenario: scenarios.Scenario
    network_source: str
    demand_source: str = ""
    base_delay_index: float = math.nan
    base_gap: float = math.nan
    expansion_factor: float = 10.0
    base_run: Any = dataclasses.field(default=None, repr=False)
    option_runs: dict = dataclasses.field(default_factory=dict, repr=False)
    isochrones: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    appraisal: Any = dataclasses.field(default=None, repr=False)


# --------------------------------------------------------------------------- costs


#: Upper bound of a cost file, bytes (it holds one line per option).
COSTS_MAX_BYTES: int = 4 * MB

#: Largest cost of one option, 亿元 (100 million yuan): 10,000 亿元 is a trillion yuan, more
#: than any single transport project in the plan (the appraisal's own bound).
MAX_COST_YI_YUAN: float = economics.MAX_COST_YUAN / 1e8

#: Longest ``source`` text of a cost (characters).
MAX_SOURCE_CHARS: int = 500

#: Columns of a cost file (``source`` may be left out).
COST_COLUMNS: tuple[str, ...] = ("option", "cost_yi_yuan", "source")

_PLAIN_NUMBER = re.compile(r"^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _cost_value(value: Any) -> float:
    """A cost cell as a float (NaN when it is not a plain decimal number)."""
    if isinstance(value, str):
        text = value.strip()
        return float(text) if _PLAIN_NUMBER.match(text) else math.nan
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return math.nan
    return float(value)


def _odd_character(text: str) -> str | None:
    """The first control or invisible formatting character of ``text`` (e.g. U+202E)."""
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            return f"U+{ord(ch):04X}"
    return None


def _check_cost_rows(
    rows: list[tuple[Any, Any, Any]],
    scenario: scenarios.Scenario,
    where: Callable[[int | None], str],
    default_source: str,
) -> pd.DataFrame:
    """The checks of :func:`check_costs`; ``where(i)`` names the ``i``-th row in messages."""
    known = {o.id for o in scenario.options}
    if not rows:
        msg = (
            f"{where(None)}: no costs; give one line per option under the header "
            "option,cost_yi_yuan[,source]"
        )
        raise ScenarioError(msg)
    first: dict[str, int] = {}
    out: list[tuple[str, float, str]] = []
    for i, (option, cost, source) in enumerate(rows):
        oid = (
            ""
            if option is None or (isinstance(option, float) and math.isnan(option))
            else str(option).strip()
        )
        if not oid:
            msg = f"{where(i)}: the option is blank; name an option of the scenario"
            raise ScenarioError(msg)
        if oid not in known:
            msg = (
                f"{where(i)}: unknown option {oid!r}; use the option ids of the scenario "
                f"({', '.join(sorted(known))})"
            )
            raise ScenarioError(msg)
        if oid in first:
            msg = (
                f"{where(i)}: option {oid} is given again (first in {where(first[oid])}); "
                "give one cost per option"
            )
            raise ScenarioError(msg)
        first[oid] = i
        value = _cost_value(cost)
        if not 0 < value <= MAX_COST_YI_YUAN:
            blank = cost is None or (isinstance(cost, str) and not cost.strip())
            shown = "empty" if blank else repr(cost.strip() if isinstance(cost, str) else cost)
            hint = (
                "; is it in yuan? 1 亿元 = 100,000,000 yuan"
                if math.isfinite(value) and value > MAX_COST_YI_YUAN
                else "; write it without thousands separators"
                if isinstance(cost, str) and "," in cost
                else ""
            )
            msg = (
                f"{where(i)}: cost_yi_yuan of {oid} is {shown}; give a number above 0 and at "
                f"most {MAX_COST_YI_YUAN:,.0f} 亿元 (100 million yuan){hint}"
            )
            raise ScenarioError(msg)
        missing = source is None or (isinstance(source, float) and math.isnan(source))
        text = "" if missing else str(source).strip()
        odd = _odd_character(text)
        if odd is not None or len(text) > MAX_SOURCE_CHARS:
            why = (
                f"holds the character {odd} (a line break or invisible control)"
                if odd is not None
                else f"is longer than {MAX_SOURCE_CHARS} characters"
            )
            msg = f"{where(i)}: the source of {oid} {why}; give it as one line of plain text"
            raise ScenarioError(msg)
        out.append((oid, value, text or default_source))
    return pd.DataFrame(out, columns=list(COST_COLUMNS))


def check_costs(costs: pd.DataFrame, scenario: scenarios.Scenario) -> pd.DataFrame:
    """Check a table of a user's costs and return it clean.

    Parameters
    ----------
    costs : pandas.DataFrame
        Columns ``option`` (an option id of ``scenario``), ``cost_yi_yuan`` (亿元 = 100
        million yuan, above 0 and at most :data:`MAX_COST_YI_YUAN`) and optionally
        ``source`` (one line of text; "user costs" where blank).
    scenario : Scenario
        The options the costs must name.

    Returns
    -------
    pandas.DataFrame
        ``option``, ``cost_yi_yuan`` (float), ``source``, in the input's order.

    Raises
    ------
    ScenarioError
        Not a table, a missing column, no rows, a blank, unknown or repeated option, a cost
        that is not a number in range, or a source with control characters.
    """
    if not isinstance(costs, pd.DataFrame):
        msg = (
            f"costs must be a pandas DataFrame with columns option, cost_yi_yuan[, source], "
            f"got {type(costs).__name__}"
        )
        raise ScenarioError(msg)
    missing = [c for c in COST_COLUMNS[:2] if c not in costs.columns]
    if missing:
        msg = f"costs: column(s) {', '.join(missing)} missing; give option, cost_yi_yuan[, source]"
        raise ScenarioError(msg)
    if costs.columns.duplicated().any():
        msg = "costs: a column is named twice; name each column once"
        raise ScenarioError(msg)
    sources = costs["source"].tolist() if "source" in costs.columns else [None] * len(costs)
    rows = list(zip(costs["option"].tolist(), costs["cost_yi_yuan"].tolist(), sources, strict=True))
    return _check_cost_rows(
        rows,
        scenario,
        lambda i: "costs" if i is None else f"costs row {i + 1}",
        "user costs",
    )


def _decode_costs(data: bytes, path: Path) -> str:
    """The text of a cost file: UTF-8 (with or without a byte-order mark), UTF-16 with a
    byte-order mark (Excel's "Unicode text"), or GBK/GB18030 (Excel's CSV on a Chinese
    system)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if encoding != "utf-8-sig":
                logger.info("%s: read as GBK (GB18030) text", path)
            if not any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in text):
                return text
            break
    msg = (
        f"{path}: not a text CSV (binary or an unknown encoding); save the cost file as "
        "CSV UTF-8 (or CSV from Excel) with the header option,cost_yi_yuan[,source]"
    )
    raise ScenarioError(msg)


def read_costs(path: str | Path, scenario: scenarios.Scenario) -> pd.DataFrame:
    """Read a user's cost file: CSV with ``option``, ``cost_yi_yuan`` and optional ``source``.

    The file may be UTF-8 (Excel's "CSV UTF-8"), GBK (Excel's CSV on a Chinese system) or
    UTF-16 with tabs (Excel's "Unicode text"); values may be separated by commas, tabs or
    semicolons (as the header line is).

    Parameters
    ----------
    path : path-like
        The CSV (亿元 = 100 million yuan), at most :data:`COSTS_MAX_BYTES`.
    scenario : Scenario
        The options the costs must name.

    Returns
    -------
    pandas.DataFrame
        ``option``, ``cost_yi_yuan``, ``source`` (``user file <name>`` where blank).

    Raises
    ------
    DataSourceError
        The file is missing, not a regular file or too large.
    ScenarioError
        An empty or binary file, a missing, unknown or repeated column, no rows, a blank,
        unknown or repeated option, a cost that is not a number above 0 and at most
        :data:`MAX_COST_YI_YUAN`, or a source with control characters. The message names the
        file and the line.
    """
    path = check_input_file(path, what="cost file", max_bytes=COSTS_MAX_BYTES)
    try:
        data = path.read_bytes()
    except OSError as exc:
        msg = f"{path}: cannot read the cost file ({exc.strerror or exc}); check the path"
        raise DataSourceError(msg) from exc
    text = _decode_costs(data, path)
    if not text.strip():
        msg = f"{path}: the cost file is empty; give the header option,cost_yi_yuan[,source]"
        raise ScenarioError(msg)
    head = text.lstrip().splitlines()[0]
    delimiter = next((d for d in (",", "\t", ";") if d in head), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    try:
        start = 1
        for row in reader:  # a quoted value may span lines: name the line the row starts on
            records.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        msg = f"{path} line {reader.line_num}: not a readable CSV ({exc}); save it as CSV UTF-8"
        raise ScenarioError(msg) from None
    records = [(n, row) for n, row in records if any(cell.strip() for cell in row)]
    header_line, header = records[0]
    columns = [c.strip().lower() for c in header]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    unknown = [c for c in columns if c not in COST_COLUMNS]
    missing = [c for c in COST_COLUMNS[:2] if c not in columns]
    if repeated or unknown or missing:
        what = (
            f"column {repeated[0]} is named twice"
            if repeated
            else f"column(s) {', '.join(missing)} missing"
            if missing
            else f"unknown column {unknown[0]!r}"
        )
        msg = f"{path} line {header_line}: {what}; give the header option,cost_yi_yuan[,source]"
        raise ScenarioError(msg)
    at = {c: columns.index(c) for c in columns}
    rows, lines = [], []
    for n, row in records[1:]:
        if len(row) > len(columns) and any(cell.strip() for cell in row[len(columns) :]):
            msg = (
                f"{path} line {n}: {len(row)} values under {len(columns)} columns; put "
                "quotes around a value that holds a comma"
            )
            raise ScenarioError(msg)
        cells = [*row, *[""] * (len(columns) - len(row))]
        source = cells[at["source"]] if "source" in at else None
        rows.append((cells[at["option"]], cells[at["cost_yi_yuan"]], source))
        lines.append(n)
    return _check_cost_rows(
        rows,
        scenario,
        lambda i: str(path) if i is None else f"{path} line {lines[i]}",
        f"user file {path.name}",
    )


# --------------------------------------------------------------------------- reading runs


def _class_graph(run: peak.PeakRun, cls: str) -> nx.MultiDiGraph:
    """The run's road graph with ``travel_time`` = the class's congested cost; no centroids."""
    res = run.result
    H = run.graph.copy()
    cost = res.class_cost[cls]
    for i, e in enumerate(res.edges):
        H.edges[e]["travel_time"] = float(cost[i])
    H.remove_nodes_from(list(run.centroids.values()))
    H.remove_edges_from(
        [(u, v, k) for u, v, k, t in H.edges(keys=True, data="travel_time") if not math.isfinite(t)]
    )
    return H


def _key_minutes(run: peak.PeakRun, places: gpd.GeoDataFrame) -> dict[str, pd.DataFrame]:
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", engine.UnreachableWarning)
        for cls in ("car", "truck"):
            out[cls] = travel.place_od(_class_graph(run, cls), places, places) / 60.0
    return out


def _matches(data: dict[str, Any], prefixes: tuple[str, ...], names: tuple[str, ...]) -> bool:
    road_id = str(data.get("road_id") or "")
    if road_id and any(road_id.startswith(p + "-") for p in prefixes):
        return True
    name = data.get("name")
    values = name if isinstance(name, list) else [name]
    return any(str(v) in names for v in values if v)


def _road_stats(run: peak.PeakRun, select: Callable[[dict], bool]) -> dict[str, float]:
    """PCU-km, the largest directional PCU volume and the largest v/c on selected edges."""
    res, G = run.result, run.graph
    pcu = res.volumes["pcu"].to_numpy()
    keep = np.array([select(G.edges[e]) for e in res.edges], dtype=bool)
    if not keep.any():
        return {"pcu_km": 0.0, "max_pcu": 0.0, "max_vc": 0.0, "km": 0.0}
    length = np.array([float(G.edges[e]["length"]) for e in res.edges]) / 1000.0
    return {
        "pcu_km": float(np.sum(pcu[keep] * length[keep])),
        "max_pcu": float(pcu[keep].max()),
        "max_vc": float(np.nanmax(res.vc[keep])),
        "km": float(length[keep].sum()),
    }


def _corridor_edges(run: peak.PeakRun, option: scenarios.Option) -> list[tuple]:
    ids = {c.id for c in option.corridors}
    return [
        e
        for e in run.result.edges
        if run.graph.edges[e].get("corridor") in ids
        and run.graph.edges[e].get("highway") != "connector"
    ]


def _select_link_zones(run: peak.PeakRun, option: scenarios.Option) -> pd.DataFrame:
    links = _corridor_edges(run, option)
    if not links:
        return pd.DataFrame()
    frame = assignment.select_link(run.result, links)
    zone_of = {node: zone for zone, node in run.centroids.items()}
    frame["origin"] = frame["origin"].map(zone_of)
    frame["destination"] = frame["destination"].map(zone_of)
    frame.insert(0, "option", option.id)
    return frame


def select_link_zones(
    comparison: Comparison, option: str, zones: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Each zone's peak-hour trips that use an option's new corridor (for the select-link map).

    Parameters
    ----------
    comparison : Comparison
        A finished comparison (its ``select_link`` table).
    option : str
        The option id.
    zones : geopandas.GeoDataFrame
        The demand's zones (``id``, ``name_zh``, ``name_en``, geometry), as
        :attr:`sanqu_geo.demand.Demand.zones`.

    Returns
    -------
    geopandas.GeoDataFrame
        The zones with ``from_vehicles`` (trips on the corridor starting in the zone),
        ``to_vehicles`` (ending there) and ``vehicles`` (both), vehicles per hour, all classes.
    """
    table = comparison.select_link
    part = table[table["option"] == option] if len(table) else table
    out = zones[["id", "name_zh", "name_en", "geometry"]].copy()
    if len(part):
        out["from_vehicles"] = out["id"].map(part.groupby("origin")["flow"].sum()).fillna(0.0)
        out["to_vehicles"] = out["id"].map(part.groupby("destination")["flow"].sum()).fillna(0.0)
    else:
        out["from_vehicles"] = 0.0
        out["to_vehicles"] = 0.0
    out["vehicles"] = out["from_vehicles"] + out["to_vehicles"]
    return gpd.GeoDataFrame(out, geometry="geometry", crs=zones.crs)


def flow_difference(base: peak.PeakRun, run: peak.PeakRun) -> gpd.GeoDataFrame:
    """Change of PCU volume on every road, both directions added, option minus base.

    A base road that the option cut at a new interchange is compared half by half; a new
    corridor's links gain their whole volume.

    Parameters
    ----------
    base, run : PeakRun
        The base and the option solved with the same demand.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per physical road piece: ``name``, ``highway``, ``corridor``, ``pcu_base``,
        ``pcu_option``, ``delta_pcu`` (two-way totals), ``vc_option`` (larger direction),
        geometry (EPSG:4326).
    """
    bres, ores = base.result, run.result
    bpcu = dict(zip(bres.edges, bres.volumes["pcu"].to_numpy(), strict=True))
    bgeom = {e: base.graph.edges[e].get("geometry") for e in bres.edges}
    base_nodes = set(base.graph.nodes)
    rows = []
    for i, e in enumerate(ores.edges):
        data = run.graph.edges[e]
        if data.get("highway") in ("centroid_connector", "connector"):
            continue
        geom = data.get("geometry")
        if e in bpcu:
            before = bpcu[e]
        elif data.get("corridor"):
            before = 0.0
        else:
            before = _parent_volume(e, geom, bpcu, bgeom, base_nodes)
        rows.append(
            {
                "name": data.get("name", ""),
                "highway": data.get("highway", ""),
                "corridor": data.get("corridor", "") or "",
                "pcu_base": before,
                "pcu_option": float(ores.volumes["pcu"].iloc[i]),
                "vc_option": float(ores.vc[i]),
                "geometry": geom,
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=settings.default_crs)
    return _two_way(frame, {"pcu_base": "sum", "pcu_option": "sum", "vc_option": "max"}).assign(
        delta_pcu=lambda f: f["pcu_option"] - f["pcu_base"]
    )


def _parent_volume(e, geom, bpcu, bgeom, base_nodes) -> float:
    """Base volume of the base edge a split half came from (same direction, same line)."""
    u, v, _ = e
    mid = geom.interpolate(0.5, normalized=True)
    best, best_d = 0.0, math.inf
    for b, g in bgeom.items():
        if g is None or not ((u in base_nodes and b[0] == u) or (v in base_nodes and b[1] == v)):
            continue
        d = g.distance(mid)
        if d < best_d:
            best, best_d = bpcu[b], d
    return float(best) if best_d < 1e-6 else 0.0


def _two_way(frame: gpd.GeoDataFrame, how: dict[str, str]) -> gpd.GeoDataFrame:
    key = pd.Series(shapely.to_wkb(shapely.normalize(frame.geometry.values)), index=frame.index)
    grouped = frame.assign(_key=key).groupby("_key", sort=False)
    agg = grouped.agg({**how, "name": "first", "highway": "first", "corridor": "first"})
    geoms = grouped["geometry"].first()
    return gpd.GeoDataFrame(agg.reset_index(drop=True), geometry=list(geoms), crs=frame.crs)


def link_layer(run: peak.PeakRun) -> gpd.GeoDataFrame:
    """Peak v/c and PCU volume of every road, the larger direction of each, for the maps.

    Parameters
    ----------
    run : PeakRun
        A solved hour (the base for the congestion map).

    Returns
    -------
    geopandas.GeoDataFrame
        ``name``, ``highway``, ``corridor``, ``pcu`` (larger direction), ``vc`` (larger
        direction), ``capacity`` (PCU/h, one direction), geometry (EPSG:4326).
    """
    res, G = run.result, run.graph
    rows = []
    for i, e in enumerate(res.edges):
        data = G.edges[e]
        if data.get("highway") in ("centroid_connector", "connector"):
            continue
        rows.append(
            {
                "name": data.get("name", ""),
                "highway": data.get("highway", ""),
                "corridor": data.get("corridor", "") or "",
                "pcu": float(res.volumes["pcu"].iloc[i]),
                "vc": float(res.vc[i]),
                "capacity": float(res.capacity[i]),
                "geometry": data.get("geometry"),
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=settings.default_crs)
    return _two_way(frame, {"pcu": "max", "vc": "max", "capacity": "max"})


# --------------------------------------------------------------------------- comparing


def compare(
    scenario: scenarios.Scenario | None = None,
    *,
    demand_: demand.Demand | None = None,
    costs: pd.DataFrame | None = None,
    gap: float | None = None,
    sensitivity: bool = True,
    profile: str | None = None,
    progress: Callable[[str], None] | None = None,
    appraisal: bool = True,
    conditions: tuple[str, ...] | None = None,
    years: tuple[int, ...] | None = None,
    periods: tuple[str, ...] | None = None,
) -> Comparison:
    """Compare every option of a scenario with the base, on the peak-hour assignment.

    Parameters
    ----------
    scenario : Scenario, optional
        Default: the plan's own (``data/projects/scenarios.toml``).
    demand_ : Demand, optional
        Default: the demand in use (the user's imported OD, else the indicative default).
    costs : pandas.DataFrame, optional
        A user's costs (see :func:`read_costs`; checked with :func:`check_costs`); they
        replace published ones.
    gap : float, optional
        Relative gap of every solve (default 1e-6).
    sensitivity : bool
        Re-solve base and options under :data:`SENSITIVITY_RUNS`.
    profile : str, optional
        Profile of the free-flow key-link table (default: each option's).
    progress : callable, optional
        Called with a short description of each step.
    appraisal : bool
        Also answer each task's own question (:mod:`sanqu_geo.appraisal.tasks`): every
        option for every year, period and condition of the scenario.
    conditions, years, periods : tuple, optional
        For the appraisal (default: the scenario's).

    Returns
    -------
    Comparison
        The tables.
    """
    sc = scenario or scenarios.load_scenario()
    if costs is not None:
        costs = check_costs(costs, sc)
    say = progress or (lambda text: None)
    if profile is not None:
        speeds.get_profile(profile)  # an unknown profile fails before the work
    travel.role_places()  # so do missing key places
    d = demand.check_demand(
        demand_ if demand_ is not None else demand.load_demand(), where="demand_"
    )
    gap = peak.default_gap if gap is None else gap
    say("base peak hour")
    base = peak.solve(None, source=sc.network, demand_=d, gap=gap)
    base_vht, base_vkt = base.vehicle_hours(), base.vehicle_km()
    places = travel.load_places("all")
    roles = travel.role_places(places)  # a layer without the key places fails here
    key_ids = sorted({roles[r] for link in KEY_LINKS for r in link[3:]})
    key_places = places[places["id"].isin(key_ids)].reset_index(drop=True)
    names = places.set_index("id")
    before = _key_minutes(base, key_places)
    user_costs = costs.set_index("option") if costs is not None else None
    rows, key_rows, road_rows, select_rows, rail_rows = [], [], [], [], []
    runs: dict[str, peak.PeakRun] = {}
    for option in sc.options:
        if option.rail:
            say(f"{option.id}: door to door")
            rail_rows.extend(_rail_rows(option, base, places, sc.network))
            continue
        say(f"{option.id}: equilibrium")
        run = peak.solve(option, source=sc.network, demand_=d, gap=gap)
        runs[option.id] = run
        vht, vkt = run.vehicle_hours(), run.vehicle_km()
        after = _key_minutes(run, key_places)
        saved_min = []
        for link_id, zh, en, role_a, role_b in KEY_LINKS:
            a, b = roles[role_a], roles[role_b]
            for x, y in ((a, b), (b, a)):
                for cls in ("car", "truck"):
                    b_min, a_min = float(before[cls].loc[x, y]), float(after[cls].loc[x, y])
                    if cls == ("truck" if option.profile == "truck" else "car"):
                        saved_min.append(b_min - a_min)
                    key_rows.append(
                        {
                            "option": option.id, "class": cls, "link": link_id, "link_zh": zh,
                            "link_en": en, "from_zh": names.loc[x, "short_zh"],
                            "to_zh": names.loc[y, "short_zh"], "from_en": names.loc[x, "short_en"],
                            "to_en": names.loc[y, "short_en"], "before_min": b_min,
                            "after_min": a_min, "saved_min": b_min - a_min,
                        }
                    )  # fmt: skip
        road_rows.extend(_road_rows(option, base, run))
        select_rows.append(_select_link_zones(run, option))
        corridor = _road_stats(run, lambda data, ids={c.id for c in option.corridors}: (
            data.get("corridor") in ids and data.get("highway") != "connector"))  # fmt: skip
        cost, cost_source = _cost(option, user_costs)
        saved_car = base_vht["car"] - vht["car"]
        saved_truck = base_vht["truck"] - vht["truck"]
        saved = saved_car + saved_truck
        day = saved * d.expansion_factor
        rows.append(
            {
                "group": option.group,
                "option": option.id,
                "title_zh": option.title_zh,
                "title_en": option.title_en,
                "profile": option.profile or sc.profile,
                "vehicles": ",".join(sorted({c.vehicles for c in option.corridors})),
                "length_km": sum(c.length_m for c in option.corridors) / 1000,
                "vht_base_car": base_vht["car"],
                "vht_base_truck": base_vht["truck"],
                "vht_option_car": vht["car"],
                "vht_option_truck": vht["truck"],
                "vht_saved_car": saved_car,
                "vht_saved_truck": saved_truck,
                "vht_saved": saved,
                "vht_saved_per_day": day,
                "vkt_change_car": vkt["car"] - base_vkt["car"],
                "vkt_change_truck": vkt["truck"] - base_vkt["truck"],
                "vkt_change_per_day": (vkt["car"] + vkt["truck"] - base_vkt["car"]
                                       - base_vkt["truck"]) * d.expansion_factor,
                "corridor_max_pcu": corridor["max_pcu"],
                "corridor_max_vc": corridor["max_vc"],
                "delay_index": peak.delay_index(run),
                "relative_gap": run.result.relative_gap,
                "key_links_mean_saved_min": float(np.mean(saved_min)),
                "cost_yi_yuan": cost,
                "cost_source": cost_source,
                "cost_yuan_per_veh_h": (cost * 1e8 / (day * days_per_year))
                if math.isfinite(cost) and day > 0 else math.nan,
            }
        )  # fmt: skip
    summary = rank(pd.DataFrame(rows))
    appraised = None
    if appraisal:
        from sanqu_geo.appraisal import tasks

        appraised = tasks.appraise(
            sc, d, gap=gap, costs=costs, conditions=conditions, years=years, periods=periods,
            progress=say,
        )  # fmt: skip
        summary = _annualised(summary, appraised)
    road_table = pd.DataFrame(road_rows)
    summary["note_zh"], summary["note_en"] = zip(
        *[_note(r, road_table[road_table["option"] == r.option]) for r in summary.itertuples()],
        strict=True,
    )
    sens = _sensitivity(sc, d, summary, gap, say) if sensitivity else pd.DataFrame()
    say("free-flow key links")
    free = _free_flow_key_links(sc, places, roles, profile)
    splices = [
        {"option": o.id, **record}
        for o in sc.options
        if o.id in runs
        for record in runs[o.id].graph.graph.get("splice_report", [])
    ]
    return Comparison(
        summary=summary,
        key_links=pd.DataFrame(key_rows),
        roads=pd.DataFrame(road_rows),
        select_link=pd.concat(select_rows, ignore_index=True) if select_rows else pd.DataFrame(),
        rail=pd.DataFrame(rail_rows),
        sensitivity=sens,
        key_links_free=free,
        splices=pd.DataFrame(splices),
        scenario=sc,
        network_source=str(base.graph.graph.get("source", sc.network)),
        demand_source=d.source,
        base_delay_index=peak.delay_index(base),
        base_gap=base.result.relative_gap,
        expansion_factor=d.expansion_factor,
        base_run=base,
        option_runs=runs,
        appraisal=appraised,
    )


def _annualised(summary: pd.DataFrame, appraised: Any) -> pd.DataFrame:
    """Day and year from the modelled periods (the appraisal's), not the peak hour × 10.

    A year's vehicle-hours saved are each period's hour × its equivalent hours a year
    (``data/demand/forecast.toml``) in the first modelled year; a day is the year over the
    weekday-equivalent days; the investment per vehicle-hour saved divides by the year.
    """
    from sanqu_geo import forecast

    econ = appraised.economics.set_index("option")
    column = next((c for c in econ.columns if c.startswith("vht_saved_per_year_")), None)
    if column is None:
        return summary
    out = summary.copy()
    per_year = out["option"].map(econ[column]).astype(float)
    out["vht_saved_per_year"] = per_year
    out["vht_saved_per_day"] = per_year / forecast.weekday_equivalents()
    out["cost_yuan_per_veh_h"] = np.where(
        np.isfinite(out["cost_yi_yuan"]) & (per_year > 0),
        out["cost_yi_yuan"] * 1e8 / per_year.where(per_year > 0),
        np.nan,
    )
    out.attrs["annualised"] = column.removeprefix("vht_saved_per_year_")
    return out


def _cost(option: scenarios.Option, user: pd.DataFrame | None) -> tuple[float, str]:
    if user is not None and option.id in user.index:
        row = user.loc[option.id]
        return float(row["cost_yi_yuan"]), str(row["source"])
    if option.cost is not None:
        return option.cost / 1e8, "published"
    return math.nan, "not published"


def _road_rows(option: scenarios.Option, base: peak.PeakRun, run: peak.PeakRun) -> list[dict]:
    rows = []
    ids = {c.id for c in option.corridors}
    targets = [
        ("corridor", "新通道", "New corridor", lambda data: data.get("corridor") in ids
         and data.get("highway") != "connector"),
    ] + [
        (rid, zh, en, lambda data, p=prefixes, n=names_: not data.get("corridor")
         and _matches(data, p, n))
        for rid, zh, en, prefixes, names_ in RELIEVED_ROADS
    ]  # fmt: skip
    for rid, zh, en, select in targets:
        b, a = _road_stats(base, select), _road_stats(run, select)
        rows.append(
            {
                "option": option.id, "road": rid, "road_zh": zh, "road_en": en,
                "pcu_km_before": b["pcu_km"], "pcu_km_after": a["pcu_km"],
                "max_pcu_before": b["max_pcu"], "max_pcu_after": a["max_pcu"],
                "max_vc_before": b["max_vc"], "max_vc_after": a["max_vc"],
            }
        )  # fmt: skip
    return rows


def rank(summary: pd.DataFrame, *, column: str = "rank") -> pd.DataFrame:
    """Rank road options by :data:`RANK_CRITERION` (1 = best), overall and within each group.

    Savings within 0.5 vehicle-hours of each other tie (they share a rank), so a sensitivity
    run does not report solver noise as a change of rank.

    Parameters
    ----------
    summary : pandas.DataFrame
        With ``vht_saved`` and ``group``.
    column : str
        Name of the overall rank column (``column + "_in_group"`` for the group rank).

    Returns
    -------
    pandas.DataFrame
        A copy sorted by the overall rank.
    """
    out = summary.copy()
    key = -(out["vht_saved"] * 2).round() / 2
    out[column] = key.rank(method="min").astype(int)
    out[f"{column}_in_group"] = key.groupby(out["group"]).rank(method="min").astype(int)
    return out.sort_values([column, "group"], kind="stable").reset_index(drop=True)


def _note(row: Any, roads: pd.DataFrame) -> tuple[str, str]:
    """One sentence a planner can read: the figure and where it comes from."""
    saved, day = row.vht_saved, row.vht_saved_per_day
    use = row.corridor_max_pcu
    zh = (
        f"高峰小时节省 {saved:,.0f} 车·小时(全日约 {day:,.0f}),新通道最大断面 {use:,.0f} pcu/h"
        f"(v/c {row.corridor_max_vc:.2f})"
    )
    en = (
        f"Saves {saved:,.0f} vehicle-hours in the peak hour (about {day:,.0f} a day); the new "
        f"corridor carries up to {use:,.0f} PCU/h (v/c {row.corridor_max_vc:.2f})"
    )
    if row.vehicles == "freight":
        zh += f";仅货车可用,货车节省 {row.vht_saved_truck:,.0f}、小汽车因道路腾出节省 {row.vht_saved_car:,.0f}"
        en += (
            f"; trucks only: trucks save {row.vht_saved_truck:,.0f}, cars "
            f"{row.vht_saved_car:,.0f} on the roads the trucks leave"
        )
    relieved = roads[roads["road"] != "corridor"].assign(
        drop=lambda f: f["pcu_km_before"] - f["pcu_km_after"]
    )
    if len(relieved) and relieved["drop"].max() > 500:  # PCU-km; less is noise
        r = relieved.loc[relieved["drop"].idxmax()]
        zh += (
            f";分流最多的是{r['road_zh']}(−{r['drop']:,.0f} pcu·km,最大饱和度 "
            f"{r['max_vc_before']:.2f}→{r['max_vc_after']:.2f})"
        )
        en += (
            f"; it relieves the {r['road_en']} most (−{r['drop']:,.0f} PCU-km, largest v/c "
            f"{r['max_vc_before']:.2f} → {r['max_vc_after']:.2f})"
        )
    if use < 200:
        zh += ";几乎无车流使用,节省小"
        en += "; hardly any traffic uses it, so the saving is small"
    return zh + "。", en + "."


def _rail_rows(
    option: scenarios.Option, base: peak.PeakRun, places: gpd.GeoDataFrame, source: str
) -> list:
    """Door-to-door rail time between the places at its stops, against the car (congested and
    free flow); the service values are those of the zone-by-zone appraisal
    (``data/appraisal/rail.toml``: wait = half the headway, ride with dwells and stop losses)."""
    from pyproj import Geod

    from sanqu_geo.appraisal import rail

    geod = Geod(ellps="WGS84")
    params = rail.load_parameters()
    rows = []
    car = _class_graph(base, "car")
    free_graph = network.load_network(source, profile="car")
    for corridor in option.corridors:
        line = rail.stops(corridor, places=places)
        named = line[line["place"] != ""]
        for a, b in [(x, y) for x in named.itertuples() for y in named.itertuples()]:
            if a.place == b.place:
                continue
            pa, pb = places[places["id"] == a.place], places[places["id"] == b.place]
            da = geod.inv(a.lon, a.lat, pa.geometry.iloc[0].x, pa.geometry.iloc[0].y)[2]
            db = geod.inv(b.lon, b.lat, pb.geometry.iloc[0].x, pb.geometry.iloc[0].y)[2]
            walk = (da + db) / params.walk_speed_mps / 60.0
            ride = rail.in_vehicle_minutes(corridor, int(a.stop), int(b.stop), params=params)
            door = walk + params.wait_min + ride
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", engine.UnreachableWarning)
                congested = float(travel.place_od(car, pa, pb).iloc[0, 0]) / 60.0
            free = float(travel.place_od(free_graph, pa, pb).iloc[0, 0]) / 60.0
            rows.append(
                {
                    "option": option.id, "corridor": corridor.id,
                    "from": a.place, "to": b.place,
                    "from_zh": pa["short_zh"].iloc[0], "to_zh": pb["short_zh"].iloc[0],
                    "walk_min": walk, "board_wait_min": params.wait_min,
                    "in_vehicle_min": ride, "door_to_door_min": door,
                    "car_congested_min": congested, "car_free_flow_min": free,
                    "rail_minus_car_min": door - congested,
                }
            )  # fmt: skip
    return rows


def _sensitivity(sc, d, summary, gap, say) -> pd.DataFrame:
    rows = []
    baseline = summary.set_index("option")
    options = [o for o in sc.options if not o.rail]
    for run_id, zh, en, variant in SENSITIVITY_RUNS:
        say(f"sensitivity {run_id}")

        def hours(option, variant=variant):
            found = peak.total_vehicle_hours(
                option, source=sc.network, demand_=d, variant=variant, gap=gap
            )
            return found["car"] + found["truck"]

        total = hours(None)
        records = []
        for o in options:
            saved = total - hours(o)
            records.append({"group": o.group, "option": o.id, "vht_saved": saved})
        for r in rank(pd.DataFrame(records)).itertuples():
            was = int(baseline.loc[r.option, "rank"])
            rows.append(
                {
                    "run": run_id,
                    "run_zh": zh,
                    "run_en": en,
                    "option": r.option,
                    "vht_saved": r.vht_saved,
                    "vht_saved_baseline": float(baseline.loc[r.option, "vht_saved"]),
                    "rank": int(r.rank),
                    "baseline_rank": was,
                    "rank_holds": was == int(r.rank),
                }
            )
    return pd.DataFrame(rows)


def _free_flow_key_links(
    sc: scenarios.Scenario, places: gpd.GeoDataFrame, roles: dict[str, str], profile: str | None
) -> pd.DataFrame:
    """Free-flow minutes on the key links before and after each option (secondary sheet)."""
    rows = []
    names = places.set_index("id")
    key_ids = sorted({roles[r] for link in KEY_LINKS for r in link[3:]})
    key_places = places[places["id"].isin(key_ids)].reset_index(drop=True)
    graphs: dict[str, nx.MultiDiGraph] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", engine.UnreachableWarning)
        for option in sc.options:
            p = profile or option.profile or sc.profile
            if p not in graphs:
                graphs[p] = network.load_network(sc.network, profile=p)
            G = graphs[p]
            before = travel.place_od(G, key_places, key_places) / 60
            after = (
                travel.place_od(scenarios.apply(G, option, profile=p), key_places, key_places) / 60
            )
            for link_id, zh, en, role_a, role_b in KEY_LINKS:
                a, b = roles[role_a], roles[role_b]
                for x, y in ((a, b), (b, a)):
                    rows.append(
                        {
                            "option": option.id, "profile": p, "link": link_id, "link_zh": zh,
                            "link_en": en, "from_zh": names.loc[x, "short_zh"],
                            "to_zh": names.loc[y, "short_zh"], "before_min": before.loc[x, y],
                            "after_min": after.loc[x, y],
                            "saved_min": before.loc[x, y] - after.loc[x, y],
                        }
                    )  # fmt: skip
    return pd.DataFrame(rows)


def map_layers(
    comparison: Comparison | None = None,
    *,
    profile: str | None = None,
    minutes: tuple[float, ...] = ISOCHRONE_MINUTES,
) -> dict[str, gpd.GeoDataFrame]:
    """Geometries for the corridor map: options, interchanges, key-link routes, isochrones.

    Routes of the key links are given for the base network and, where an option changes
    them, for that option; isochrones around the airport and the inland port for the base
    and for the best-ranked option.

    Parameters
    ----------
    comparison : Comparison, optional
        A finished comparison (default: the plan's own, without sensitivity runs).
    profile : str, optional
        Profile for the routes (default: each option's).
    minutes : tuple of float
        Isochrone thresholds.

    Returns
    -------
    dict of geopandas.GeoDataFrame
        ``options``, ``interchanges``, ``routes``, ``isochrones`` (EPSG:4326).
    """
    if comparison is None:
        comparison = compare(sensitivity=False)
    sc = comparison.scenario
    places = travel.load_places("all")
    roles = travel.role_places(places)
    summary = comparison.summary.set_index("option")
    option_rows, stop_rows, route_rows, iso_rows = [], [], [], []
    graphs: dict[str, nx.MultiDiGraph] = {}

    def base_graph(p: str) -> nx.MultiDiGraph:
        if p not in graphs:
            graphs[p] = network.load_network(sc.network, profile=p)
        return graphs[p]

    def key_routes(G: nx.MultiDiGraph) -> dict[tuple[str, str], tuple[float, Any]]:
        out = {}
        for link_id, zh, en, role_a, role_b in KEY_LINKS:
            a, b = roles[role_a], roles[role_b]
            found, ca, cb = travel.place_route(
                G, places[places["id"] == a], places[places["id"] == b]
            )
            out[(link_id, a)] = ((found.travel_time + ca + cb) / 60.0, found.geometry, zh, en, a, b)
        return out

    base_routes: dict[str, dict] = {}
    summary_ids = set(summary.index)
    for option in sc.options:
        if option.id not in summary_ids:
            # a rail option is not ranked with roads: drawn without a rank, with its first
            # door-to-door pair (from the comparison's rail table)
            rail = comparison.rail
            rail = rail[rail["option"] == option.id] if len(rail) else rail
            en = places.set_index("id")["short_en"]
            for corridor in option.corridors:
                pair = rail[rail["corridor"] == corridor.id] if len(rail) else rail
                r = pair.iloc[0] if len(pair) else None
                option_rows.append(
                    {
                        "option": option.id, "group": option.group, "title_zh": option.title_zh,
                        "title_en": option.title_en, "corridor": corridor.id, "profile": "rail",
                        "rank": math.nan, "key_links_mean_saved_min": math.nan,
                        "vht_saved": math.nan,
                        "cost_yi_yuan": option.cost / 1e8 if option.cost else math.nan,
                        "from_zh": r["from_zh"] if r is not None else None,
                        "to_zh": r["to_zh"] if r is not None else None,
                        "from_en": en.get(r["from"]) if r is not None else None,
                        "to_en": en.get(r["to"]) if r is not None else None,
                        "door_to_door_min": r["door_to_door_min"] if r is not None else math.nan,
                        "car_congested_min": r["car_congested_min"] if r is not None else math.nan,
                        "geometry": corridor.geometry,
                    }
                )  # fmt: skip
                stop_rows += [
                    {"option": option.id, "corridor": corridor.id, "number": i + 1, "geometry": pt}
                    for i, pt in enumerate(corridor.interchanges)
                ]
            continue
        p = profile or option.profile or sc.profile
        G = base_graph(p)
        if p not in base_routes:
            base_routes[p] = key_routes(G)
            for (link_id, _), (mins, geom, zh, en, a, b) in base_routes[p].items():
                route_rows.append(
                    {
                        "option": f"base:{p}",
                        "link": link_id,
                        "link_zh": zh,
                        "link_en": en,
                        "from": a,
                        "to": b,
                        "minutes": mins,
                        "saved_min": 0.0,
                        "geometry": geom,
                    }
                )
        s = summary.loc[option.id]
        for corridor in option.corridors:
            option_rows.append(
                {
                    "option": option.id,
                    "group": option.group,
                    "title_zh": option.title_zh,
                    "title_en": option.title_en,
                    "corridor": corridor.id,
                    "profile": p,
                    "rank": int(s["rank"]),
                    "key_links_mean_saved_min": float(s["key_links_mean_saved_min"]),
                    "vht_saved": float(s["vht_saved"]),
                    "cost_yi_yuan": float(s["cost_yi_yuan"]),
                    "geometry": corridor.geometry,
                }
            )
            for i, point in enumerate(corridor.interchanges):
                stop_rows.append(
                    {
                        "option": option.id,
                        "corridor": corridor.id,
                        "number": i + 1,
                        "geometry": point,
                    }
                )
        H = scenarios.apply(G, option, profile=p)
        after = key_routes(H)
        for key, (mins, geom, zh, en, a, b) in after.items():
            before = base_routes[p][key][0]
            if before - mins > 1e-6:
                route_rows.append(
                    {
                        "option": option.id,
                        "link": key[0],
                        "link_zh": zh,
                        "link_en": en,
                        "from": a,
                        "to": b,
                        "minutes": mins,
                        "saved_min": before - mins,
                        "geometry": geom,
                    }
                )
    best = comparison.summary.sort_values("rank").iloc[0]
    best_option = next(o for o in sc.options if o.id == best["option"])
    p_best = profile or best_option.profile or sc.profile
    for label, G in (
        ("base", base_graph(p_best)),
        (best_option.id, scenarios.apply(base_graph(p_best), best_option, profile=p_best)),
    ):
        for pid in (roles[r] for r in ISOCHRONE_PLACES):
            iso = travel.place_isochrones(G, places[places["id"] == pid], list(minutes))
            for row in iso.itertuples():
                iso_rows.append(
                    {
                        "option": label,
                        "place": pid,
                        "place_zh": row.short_zh,
                        "place_en": row.short_en,
                        "minutes": row.minutes,
                        "area_km2": row.area_km2,
                        "profile": p_best,
                        "geometry": row.geometry,
                    }
                )
    crs = "EPSG:4326"
    return {
        "options": gpd.GeoDataFrame(option_rows, geometry="geometry", crs=crs),
        "interchanges": gpd.GeoDataFrame(stop_rows, geometry="geometry", crs=crs),
        "routes": gpd.GeoDataFrame(route_rows, geometry="geometry", crs=crs),
        "isochrones": gpd.GeoDataFrame(iso_rows, geometry="geometry", crs=crs),
    }
