"""Traffic counts on the city model: the counts file, the link each count is on, and the fit
of the demand in use to them (OD matrix estimation, :mod:`sanqu_geo.odme`).

It never writes the demand store (:func:`sanqu_geo.demand.store_estimate` does).
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from sanqu_geo import settings
from sanqu_geo._atomic import atomic_path
from sanqu_geo._inputs import MB, check_input_file
from sanqu_geo.errors import DataSourceError, DemandError

logger = logging.getLogger(__name__)

__all__ = ["COLUMNS", "PERIODS", "estimate_demand", "read_counts", "write_template"]

#: Every column a counts file may have, in the template's order.
COLUMNS = (
    "label",
    "road_id",
    "direction",
    "from_lon",
    "from_lat",
    "to_lon",
    "to_lat",
    "class",
    "period",
    "count",
    "weight",
)

#: Largest counts file (bytes): a city's counting stations, a row each, are a few hundred
#: kilobytes.
max_counts_bytes: int = 64 * MB

#: Periods the model has: the morning peak hour.
PERIODS = ("am_peak",)

#: What a count measures: vehicles of one class, or all traffic in passenger-car units.
COUNT_CLASSES = ("car", "truck", "all")

#: Unit vector (east, north) of each direction a road can be counted in.
DIRECTIONS = {
    "northbound": (0.0, 1.0),
    "southbound": (0.0, -1.0),
    "eastbound": (1.0, 0.0),
    "westbound": (-1.0, 0.0),
}

_POINTS = ("from_lon", "from_lat", "to_lon", "to_lat")
_CONNECTOR = "centroid_connector"


def _is_road(data: dict) -> bool:
    return data.get("highway") != _CONNECTOR


def _data_lines(path: Path) -> list[int]:
    """Line numbers (1-based) of the non-blank lines after the header, as pandas reads them."""
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    return [n for n, line in enumerate(text.splitlines(), start=1) if line.strip()][1:]


def _metres(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 to CGCS2000 / 3-degree Gauss-Kruger CM 126E (EPSG:4551), metres."""
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:4326", "EPSG:4551", always_xy=True)
    x, y = t.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x), np.asarray(y)


def _osmids(value: Any) -> set[str]:
    values = value if isinstance(value, (list, tuple, set)) else [value]
    return {str(v) for v in values if v is not None}


class _Matcher:
    """The road edges and nodes of a graph, indexed once for matching many counts."""

    def __init__(self, G: nx.MultiDiGraph) -> None:
        self.G = G
        self.edges = [(u, v, k, d) for u, v, k, d in G.edges(keys=True, data=True) if _is_road(d)]
        road_nodes = sorted({n for u, v, _, _ in self.edges for n in (u, v)}, key=str)
        self.nodes = road_nodes
        lon = np.array([G.nodes[n]["x"] for n in road_nodes], float)
        lat = np.array([G.nodes[n]["y"] for n in road_nodes], float)
        self.x, self.y = _metres(lon, lat)
        self.pos = {n: i for i, n in enumerate(road_nodes)}

    def road(self, road_id: str, direction: str) -> tuple[Any, Any, Any] | str:
        """The longest edge of the road in the direction, or the reason there is none."""
        found = [e for e in self.edges if str(e[3].get("road_id")) == road_id]
        if not found:
            found = [e for e in self.edges if road_id in _osmids(e[3].get("osmid"))]
        if not found:
            return (
                f"road_id {road_id!r} is neither a road_id nor an OSM way id of the network; "
                "use an id the template (`sanqu-geo demand estimate --template`) shows, or two "
                "points"
            )
        ex, ey = DIRECTIONS[direction]
        fitting = []
        for u, v, k, d in found:
            a, b = self.pos[u], self.pos[v]
            if (self.x[b] - self.x[a]) * ex + (self.y[b] - self.y[a]) * ey > 0:
                fitting.append((float(d.get("length", 0.0)), (u, v, k)))
        if not fitting:
            return f"road {road_id!r} has no edge going {direction}; use " + " or ".join(
                self._directions(found)
            )
        return max(fitting, key=lambda t: t[0])[1]

    def _directions(self, found: list) -> list[str]:
        out = []
        for name, (ex, ey) in DIRECTIONS.items():
            for u, v, _, _ in found:
                a, b = self.pos[u], self.pos[v]
                if (self.x[b] - self.x[a]) * ex + (self.y[b] - self.y[a]) * ey > 0:
                    out.append(name)
                    break
        return out

    def points(self, lon0: float, lat0: float, lon1: float, lat1: float) -> tuple | str:
        """The link of the free-flow path between the points' nearest nodes nearest their
        midpoint, or the reason there is none."""
        px, py = _metres(np.array([lon0, lon1]), np.array([lat0, lat1]))
        ends = []
        limit = settings.snap_max_distance_m
        for which, x, y in (("from", px[0], py[0]), ("to", px[1], py[1])):
            dist = np.hypot(self.x - x, self.y - y)
            i = int(np.argmin(dist))
            if dist[i] > limit:
                return (
                    f"the {which} point is {dist[i]:,.0f} m from the nearest road node "
                    f"(more than snap_max_distance_m = {limit:,.0f} m); check the lon/lat "
                    "(WGS-84, longitude first)"
                )
            ends.append(self.nodes[i])
        if ends[0] == ends[1]:
            return "both points are nearest the same road node; put them further apart"

        def weight(u, v, data):
            times = [d.get("travel_time", math.inf) for d in data.values() if _is_road(d)]
            return min(times, default=None)

        try:
            path = nx.shortest_path(self.G, ends[0], ends[1], weight=weight)
        except nx.NetworkXNoPath:
            return "no road path leads from the first point to the second; check their order"
        mx, my = (px[0] + px[1]) / 2, (py[0] + py[1]) / 2
        best = None
        for u, v in itertools.pairwise(path):
            a, b = self.pos[u], self.pos[v]
            d = math.hypot((self.x[a] + self.x[b]) / 2 - mx, (self.y[a] + self.y[b]) / 2 - my)
            if best is None or d < best[0]:
                keys = [
                    (dd.get("travel_time", math.inf), k)
                    for k, dd in self.G[u][v].items()
                    if _is_road(dd)
                ]
                best = (d, (u, v, min(keys)[1]))
        return best[1]


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value


def read_counts(path: str | Path, G: nx.MultiDiGraph, *, period: str = "am_peak") -> pd.DataFrame:
    """Read a counts file and match every count to one link of the network.

    Each row is one count, located either by ``road_id`` and ``direction`` or by two points:

    * ``road_id`` is an edge attribute ``road_id`` of the network, or an OSM way id matched
      against the edge's ``osmid`` (which may be a list); ``direction`` (``northbound``,
      ``southbound``, ``eastbound``, ``westbound``) keeps the edges of that road whose end
      lies further that way. Of these the count is put on the **longest** one: a count is on
      one link, and choosing by the modelled flow would make the fit choose its own data.
    * ``from_lon, from_lat, to_lon, to_lat`` (WGS-84): the station lies between the points
      and counts traffic going from the first toward the second. The count is put on the link
      of the free-flow shortest path from the road node nearest the first point to the one
      nearest the second whose middle is nearest the points' midpoint.

    Parameters
    ----------
    path : path-like
        CSV, UTF-8 (a byte-order mark is fine), with the columns ``class`` (``car``,
        ``truck``, or ``all`` for the total in passenger-car units), ``period`` (only
        ``am_peak``: the model is the morning peak hour), ``count`` (vehicles per hour, PCU
        per hour for ``all``), optional ``weight`` (>= 0, default 1) and ``label``, and the
        location columns above.
    G : networkx.MultiDiGraph
        The network the counts are on (nodes with ``x``, ``y`` in WGS-84); centroid
        connectors are never counted.
    period : str
        The model period the counts must be of.

    Returns
    -------
    pandas.DataFrame
        One row per count, in the file's order: ``line`` (the file's line number), ``label``,
        ``road_id``, ``direction``, the four point columns (NaN where not given), ``class``,
        ``period``, ``count``, ``weight``, and the matched link ``u``, ``v``, ``key``.
        ``attrs["path"]`` holds the file's path.

    Raises
    ------
    DataSourceError
        The file cannot be read or holds no counts; it is a pipe, a device or a folder, or
        larger than :data:`max_counts_bytes`.
    DemandError
        A missing column or a bad row; the message names the file, the line and the fix.
    """
    path = check_input_file(
        path,
        what="counts file",
        max_bytes=max_counts_bytes,
        hint="write one with `sanqu-geo demand estimate --template`",
    )
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8-sig"
        )
    except pd.errors.EmptyDataError:
        msg = (
            f"{path}: the file is empty; write the counts (`sanqu-geo demand estimate --template`)"
        )
        raise DataSourceError(msg) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        msg = f"{path}: not a readable CSV ({first}); save it as comma-separated UTF-8 text"
        raise DemandError(msg) from None
    except OSError as exc:
        msg = f"{path}: cannot read the counts file ({exc.strerror or exc}); check the path"
        raise DataSourceError(msg) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        msg = f"{path}: no counts under the header; add one row per count"
        raise DataSourceError(msg)
    missing = [c for c in ("class", "period", "count") if c not in frame.columns]
    has_road = "road_id" in frame.columns
    has_points = all(c in frame.columns for c in _POINTS)
    if not has_road and not has_points:
        missing.append("road_id (with direction) or from_lon,from_lat,to_lon,to_lat")
    if has_road and "direction" not in frame.columns:
        missing.append("direction")
    if missing:
        msg = (
            f"{path}: missing column(s) {', '.join(missing)}; the header needs "
            + ",".join(COLUMNS)
            + " (see `sanqu-geo demand estimate --template`)"
        )
        raise DemandError(msg)
    for c in COLUMNS:
        if c not in frame.columns:
            frame[c] = ""
    frame = frame.map(lambda s: s.strip() if isinstance(s, str) else s)
    lines = _data_lines(path)
    matcher = _Matcher(G)
    rows = []
    for i, r in enumerate(frame.to_dict("records")):
        line = lines[i] if i < len(lines) else i + 2
        where = f"{path} line {line}"

        def bad(what: str, where: str = where) -> DemandError:
            return DemandError(f"{where}: {what}")

        cls = r["class"].lower()
        if cls not in COUNT_CLASSES:
            raise bad(f"class {r['class']!r} is unknown; use {', '.join(COUNT_CLASSES)}")
        if r["period"].lower() != period:
            raise bad(
                f"period {r['period']!r} is not in the model; the periods are {', '.join(PERIODS)}"
            )
        count = _number(r["count"])
        if count is None or not math.isfinite(count) or count < 0:
            raise bad(f"count {r['count']!r} must be a number >= 0 (vehicles or PCU per hour)")
        weight = 1.0 if r["weight"] == "" else _number(r["weight"])
        if weight is None or not math.isfinite(weight) or weight < 0:
            raise bad(f"weight {r['weight']!r} must be a number >= 0 (or left empty for 1)")
        pts = [r[c] for c in _POINTS]
        if r["road_id"]:
            direction = r["direction"].lower()
            if direction not in DIRECTIONS:
                raise bad(f"direction {r['direction']!r} is unknown; use {', '.join(DIRECTIONS)}")
            link = matcher.road(r["road_id"], direction)
            point_values = [math.nan] * 4
        elif all(pts):
            point_values = [_number(p) for p in pts]
            if any(p is None or not math.isfinite(p) for p in point_values):
                raise bad("from_lon, from_lat, to_lon, to_lat must be numbers (WGS-84 degrees)")
            direction = ""
            link = matcher.points(*point_values)
        else:
            raise bad("give road_id and direction, or all of from_lon, from_lat, to_lon, to_lat")
        if isinstance(link, str):
            raise bad(link)
        rows.append(
            {
                "line": line,
                "label": r["label"],
                "road_id": r["road_id"],
                "direction": direction,
                **dict(zip(_POINTS, point_values, strict=True)),
                "class": cls,
                "period": r["period"],
                "count": count,
                "weight": weight,
                "u": link[0],
                "v": link[1],
                "key": link[2],
            }
        )
    out = pd.DataFrame(rows)
    dup = out.duplicated(["u", "v", "key", "class"], keep=False)
    if dup.any():
        first, second = out.loc[dup, "line"].tolist()[:2]
        msg = (
            f"{path} lines {first} and {second}: two counts of one class on the same link; "
            "average repeated counts first (or give them different classes)"
        )
        raise DemandError(msg)
    out["period"] = period
    out.attrs["path"] = str(path)
    return out


def write_template(path: str | Path, G: nx.MultiDiGraph) -> Path:
    """Write a counts file to fill in: every column, a few rows on real roads of ``G``.

    Parameters
    ----------
    path : path-like
        The CSV to write (atomically).
    G : networkx.MultiDiGraph
        The network (the rows use roads and a link near its middle).

    Returns
    -------
    pathlib.Path
        The file.
    """
    path = Path(path)
    matcher = _Matcher(G)
    # roads near the middle of the network: the likeliest to carry modelled traffic
    cx, cy = float(np.median(matcher.x)), float(np.median(matcher.y))

    def off_centre(e: tuple) -> float:
        a, b = matcher.pos[e[0]], matcher.pos[e[1]]
        return math.hypot(
            (matcher.x[a] + matcher.x[b]) / 2 - cx, (matcher.y[a] + matcher.y[b]) / 2 - cy
        )

    central = sorted(matcher.edges, key=off_centre)
    rows: list[list[str]] = []
    seen: set[str] = set()
    for e in central:
        rid = str(e[3].get("road_id") or "") or min(_osmids(e[3].get("osmid")), default="")
        if not rid or rid in seen:
            continue
        seen.add(rid)
        direction = next(d for d in DIRECTIONS if not isinstance(matcher.road(rid, d), str))
        cls = "all" if len(rows) == 1 else "car"
        rows.append([f"count on {rid}", rid, direction, "", "", "", "", cls, "am_peak", "1200", ""])
        if len(rows) == 3:
            break
    u, v, _, _ = central[0]
    a, b = G.nodes[u], G.nodes[v]
    pts = [f"{a['x']:.6f}", f"{a['y']:.6f}", f"{b['x']:.6f}", f"{b['y']:.6f}"]
    rows.append(["station between two points", "", "", *pts, "truck", "am_peak", "150", "0.5"])
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, encoding="utf-8")
    return path


def _where(counts: pd.DataFrame, i: int) -> str:
    return f"{counts.attrs.get('path', 'counts')} line {counts['line'].iloc[i]}"


def estimate_demand(
    d,
    counts: pd.DataFrame,
    H: nx.MultiDiGraph,
    centroids: dict[str, Any],
    *,
    gap: float = 1e-4,
    max_iterations: int | None = None,
    max_factor: float | None = None,
    progress: Callable[[str], Any] | None = None,
):
    """Adjust a demand's car and truck OD to counts at user equilibrium (Spiess 1990).

    The demand vector is the demand's OD cells, car and truck stacked; every assignment is the
    peak hour's (:func:`sanqu_geo.assignment.assign` with :data:`settings.peak_vdf`).

    Parameters
    ----------
    d : sanqu_geo.demand.Demand
        The prior.
    counts : pandas.DataFrame
        From :func:`read_counts` on ``H``.
    H : networkx.MultiDiGraph
        The assignment graph (:func:`sanqu_geo.peak.assignment_graph`).
    centroids : dict
        Zone id → centroid node of ``H``.
    gap : float
        Relative gap of every assignment (> 0).
    max_iterations, max_factor
        As for :func:`sanqu_geo.odme.estimate`.
    progress : callable, optional
        Called with a line of text after every assignment.

    Returns
    -------
    estimate : sanqu_geo.demand.Demand
        The prior with the estimated trips; its ``source`` names the counts and the prior.
    table : pandas.DataFrame
        The counts' rows with ``before``, ``after`` (modelled flows), ``geh_before``,
        ``geh_after``.
    summary : dict
        ``counts``, ``cells``, ``changed_cells`` (off the prior by more than 1 %),
        ``cells_at_bound``, ``totals_before``, ``totals_after`` (by class, vehicles per
        hour), ``geh5_before``, ``geh5_after`` (share of counts with GEH < 5),
        ``objective_before``, ``objective_after``, ``iterations``, ``assignments``,
        ``converged``, ``seconds``.

    Raises
    ------
    DemandError
        A count no OD pair's path reaches (the message names its line), or bad options.
    AssignmentError
        A bad gap, or an assignment that cannot run.
    """
    from sanqu_geo import assignment, odme, peak

    assignment.check_gap(gap)
    od = d.od.reset_index(drop=True)
    cells = pd.DataFrame(
        {
            "origin": od["origin"].map(centroids),
            "destination": od["destination"].map(centroids),
            "class": od["class"],
        }
    )
    prior = od["trips"].to_numpy(float)
    # assign() keeps the graph's edge order
    position = {e: i for i, e in enumerate(H.edges(keys=True))}
    links = [
        position[(u, v, k)] for u, v, k in zip(counts["u"], counts["v"], counts["key"], strict=True)
    ]
    count_classes = counts["class"].tolist()
    calls = [0]

    def assign(demand: np.ndarray):
        current = dataclasses.replace(d, od=od.assign(trips=demand))
        classes = peak.demand_classes(current, centroids, peak.Variant())
        result = assignment.assign(
            H, classes, gap=gap, centroids=list(centroids.values()), vdf=settings.peak_vdf
        )
        flows, P = odme.path_proportions(
            result, links, cells, count_classes=count_classes, pce={c.name: c.pce for c in classes}
        )
        if calls[0] == 0:
            unreached = np.flatnonzero((flows <= 0) & (P.getnnz(axis=0) == 0))
            if unreached.size:
                msg = (
                    f"{_where(counts, int(unreached[0]))}: no OD pair's path uses the link of "
                    "this count (zero flow with the prior demand), so no change of the OD can "
                    "fit it; remove the row or count a road the model loads"
                )
                raise DemandError(msg)
        calls[0] += 1
        if progress is not None:
            fit = odme.geh(flows, counts["count"].to_numpy(float))
            progress(
                f"assignment {calls[0]}: relative gap {result.relative_gap:.1e}, "
                f"{np.mean(fit < 5):.0%} of counts with GEH < 5"
            )
        return flows, P

    res = odme.estimate(
        prior,
        counts["count"].to_numpy(float),
        assign,
        weights=counts["weight"].to_numpy(float),
        max_factor=max_factor,
        max_iterations=max_iterations,
    )
    new_od = od.assign(trips=res.demand)
    from sanqu_geo import demand as _demand

    source = (
        f"estimated on the {_demand.network_name()} network from {len(counts)} counts "
        f"(Spiess 1990 gradient), prior: {d.source}"
    )
    estimate = dataclasses.replace(d, od=new_od, source=source)
    table = counts.assign(
        before=res.flows_before,
        after=res.flows_after,
        geh_before=odme.geh(res.flows_before, res.observed),
        geh_after=odme.geh(res.flows_after, res.observed),
    )

    def by_class(values: np.ndarray) -> dict[str, float]:
        return {c: float(values[(od["class"] == c).to_numpy()].sum()) for c in ("car", "truck")}

    summary = {
        "counts": len(table),
        "cells": int(np.count_nonzero(prior > 0)),
        "changed_cells": res.changed_cells,
        "cells_at_bound": res.cells_at_bound,
        "totals_before": by_class(prior),
        "totals_after": by_class(res.demand),
        "geh5_before": float(np.mean(table["geh_before"] < 5)),
        "geh5_after": float(np.mean(table["geh_after"] < 5)),
        "objective_before": res.objective_before,
        "objective_after": res.objective,
        "iterations": res.iterations,
        "assignments": res.assignments,
        "converged": res.converged,
        "max_factor": res.max_factor,
        "seconds": res.seconds,
    }
    return estimate, table, summary
