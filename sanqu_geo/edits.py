"""Network edits of a scenario: closures, lane and capacity changes, truck bans, truck-only lanes.

An edit picks roads of a built graph by road id, name, a section along a line, a road class
and a direction of travel, and changes them. Applying edits returns a new graph; the graph
given is never changed. Closed roads are removed, so a run with a closure is the same problem
as an assignment on the network without those links. Reads nothing from disk; the scenario
file's ``[edit.ID]`` tables are parsed here.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx
import numpy as np
from pyproj import Transformer
from shapely.geometry import LineString, Point

from sanqu_geo.errors import ScenarioError

logger = logging.getLogger(__name__)

__all__ = [
    "EDIT_KINDS",
    "Edit",
    "RoadSelector",
    "apply_edits",
    "check_reach",
    "parse_edit",
    "selected_edges",
]

#: What an edit does: kind → (中文, English, what ``value`` means).
EDIT_KINDS: dict[str, tuple[str, str, str]] = {
    "close": ("封闭", "closed", "nothing"),
    "lanes": ("改变车道数", "lanes changed", "lanes in each direction"),
    "capacity": ("通行能力系数", "capacity factor", "a factor on capacity"),
    "truck_ban": ("禁止货车", "trucks banned", "nothing"),
    "truck_only_lanes": (
        "货车专用道",
        "truck-only lanes",
        "lanes in each direction kept for trucks",
    ),
}

#: Directions of travel: the edge's start → end heads this way (a component, not a sector).
DIRECTIONS = ("both", "N", "S", "E", "W")

_TO_METRIC = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True)


@dataclasses.dataclass(frozen=True)
class RoadSelector:
    """Which roads of a graph an edit changes.

    A road is picked when it matches any given ``road_id`` prefix or ``name`` (both empty:
    every road), and, where given, lies along ``section`` (its midpoint within ``within_m``
    of the line), belongs to one of ``highway``, and heads in ``direction``.

    Attributes
    ----------
    road_id : tuple of str
        Road-id prefixes (``airport-expressway`` picks ``airport-expressway-02``).
    name : tuple of str
        Road names (exact, any of the names of a merged edge).
    section : tuple of (lon, lat)
        A line (WGS-84) the roads lie along; empty: anywhere.
    within_m : float
        Distance from ``section`` (metres).
    highway : tuple of str
        Road classes; empty: any.
    direction : str
        ``both``, or ``N``/``S``/``E``/``W``: edges whose start → end runs that way.
    """

    road_id: tuple[str, ...] = ()
    name: tuple[str, ...] = ()
    section: tuple[tuple[float, float], ...] = ()
    within_m: float = 300.0
    highway: tuple[str, ...] = ()
    direction: str = "both"


@dataclasses.dataclass(frozen=True)
class Edit:
    """One change to the network.

    Attributes
    ----------
    id : str
        Identifier (the scenario file's table name).
    kind : str
        One of :data:`EDIT_KINDS`.
    roads : RoadSelector
        The roads it changes.
    value : float or None
        Lanes (``lanes``, ``truck_only_lanes``) or a factor (``capacity``).
    title_zh, title_en : str
        What it is, for tables.
    source : str
        Where the edit comes from (a plan task, a published report or "assumption").
    """

    id: str
    kind: str
    roads: RoadSelector
    value: float | None = None
    title_zh: str = ""
    title_en: str = ""
    source: str = ""


_EDIT_KEYS = {
    "kind", "road_id", "name", "section", "within_m", "highway", "direction", "value",
    "title_zh", "title_en", "source",
}  # fmt: skip


def parse_edit(eid: str, spec: Any, where: str) -> Edit:
    """Read one ``[edit.ID]`` table of a scenario file.

    Parameters
    ----------
    eid : str
        The table's id.
    spec : dict
        Its fields.
    where : str
        The file and table, for messages.

    Returns
    -------
    Edit

    Raises
    ------
    ScenarioError
        An unknown kind, field or direction, a missing or bad value, a section that is not a
        list of [lon, lat].
    """
    if not isinstance(spec, dict):
        msg = f"{where}: must be a table of fields (kind, road_id/name/section, ...)"
        raise ScenarioError(msg)
    unknown = sorted(set(spec) - _EDIT_KEYS)
    if unknown:
        msg = f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_EDIT_KEYS))}"
        raise ScenarioError(msg)
    kind = spec.get("kind")
    if kind not in EDIT_KINDS:
        msg = f"{where}: field 'kind' must be one of {', '.join(EDIT_KINDS)} (got {kind!r})"
        raise ScenarioError(msg)
    texts = {}
    for field in ("road_id", "name", "highway"):
        value = spec.get(field, [])
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            msg = f"{where}: field {field!r} must be text or a list of text"
            raise ScenarioError(msg)
        texts[field] = tuple(value)
    if not texts["road_id"] and not texts["name"]:
        msg = f"{where}: name the roads with 'road_id' (prefixes) or 'name'"
        raise ScenarioError(msg)
    section = spec.get("section", [])
    ok = isinstance(section, list) and all(
        isinstance(p, list)
        and len(p) == 2
        and all(isinstance(c, int | float) and math.isfinite(c) for c in p)
        for p in section
    )
    if (
        not ok
        or len(section) == 1
        or any(not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90) for p in section)
    ):
        msg = f"{where}: field 'section' must be a list of two or more [lon, lat] (WGS-84)"
        raise ScenarioError(msg)
    within = spec.get("within_m", 300.0)
    if not isinstance(within, int | float) or not 0 < within <= 5000:
        msg = f"{where}: field 'within_m' must be a distance in metres, 0–5000"
        raise ScenarioError(msg)
    direction = spec.get("direction", "both")
    if direction not in DIRECTIONS:
        msg = f"{where}: field 'direction' must be one of {', '.join(DIRECTIONS)}"
        raise ScenarioError(msg)
    value = spec.get("value")
    if kind in ("lanes", "truck_only_lanes", "capacity"):
        if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
            msg = f"{where}: field 'value' must be a positive number ({EDIT_KINDS[kind][2]})"
            raise ScenarioError(msg)
    elif value is not None:
        msg = f"{where}: field 'value' means nothing for kind {kind!r}; remove it"
        raise ScenarioError(msg)
    return Edit(
        eid,
        kind,
        RoadSelector(
            texts["road_id"],
            texts["name"],
            tuple((float(x), float(y)) for x, y in section),
            float(within),
            texts["highway"],
            direction,
        ),
        float(value) if value is not None else None,
        str(spec.get("title_zh", eid)),
        str(spec.get("title_en", eid)),
        str(spec.get("source", "")),
    )


def _names(data: dict[str, Any]) -> set[str]:
    name = data.get("name")
    values = name if isinstance(name, list) else [name]
    return {str(v) for v in values if v}


def _classes(data: dict[str, Any]) -> set[str]:
    value = data.get("highway")
    values = value if isinstance(value, list) else [value]
    return {str(v) for v in values if v}


def selected_edges(G: nx.MultiDiGraph, roads: RoadSelector) -> list[tuple]:
    """The edges ``(u, v, key)`` of a graph that a selector picks (connectors never).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A road graph (nodes with ``x``/``y``).
    roads : RoadSelector
        What to pick.

    Returns
    -------
    list of tuple
    """
    line = None
    if roads.section:
        xs, ys = _TO_METRIC.transform(*zip(*roads.section, strict=True))
        line = LineString(list(zip(xs, ys, strict=True)))
    out = []
    for u, v, k, data in G.edges(keys=True, data=True):
        if data.get("highway") in ("connector", "centroid_connector"):
            continue
        road_id = str(data.get("road_id") or "")
        hit = (not roads.road_id and not roads.name) or any(
            road_id == p or road_id.startswith(p + "-") or road_id.startswith(p + ":")
            for p in roads.road_id
        )
        hit = hit or bool(_names(data) & set(roads.name))
        if not hit or (roads.highway and not _classes(data) & set(roads.highway)):
            continue
        x0, y0, x1, y1 = G.nodes[u]["x"], G.nodes[u]["y"], G.nodes[v]["x"], G.nodes[v]["y"]
        if roads.direction != "both":
            step = {"N": y1 - y0, "S": y0 - y1, "E": x1 - x0, "W": x0 - x1}[roads.direction]
            if step <= 0:
                continue
        if line is not None:
            mx, my = _TO_METRIC.transform((x0 + x1) / 2, (y0 + y1) / 2)
            if line.distance(Point(mx, my)) > roads.within_m:
                continue
        out.append((u, v, k))
    return out


def _lanes(data: dict[str, Any]) -> float:
    lanes = data.get("lanes_dir")
    try:
        lanes = float(lanes)
    except (TypeError, ValueError):
        lanes = math.nan
    return lanes if math.isfinite(lanes) and lanes > 0 else 2.0


def apply_edits(G: nx.MultiDiGraph, edits: Sequence[Edit] | Iterable[Edit]) -> nx.MultiDiGraph:
    """Return a new graph with the edits made; ``G`` is not changed.

    * ``close``: the edges are removed.
    * ``lanes``: capacity × new lanes ÷ old lanes (``lanes_dir``), ``lanes_dir`` set.
    * ``capacity``: capacity × value.
    * ``truck_ban``: ``truck_banned`` set (the truck time becomes infinite).
    * ``truck_only_lanes``: ``value`` lanes of each picked edge become a parallel edge for
      trucks only (``vehicles = "freight"``, capacity × value ÷ lanes); the other lanes stay,
      with their share of the capacity, for every other vehicle, and trucks may not use them
      (trucks keep to their lanes). An edge with no more lanes than ``value`` becomes
      trucks-only as a whole.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A road graph with ``capacity``.
    edits : sequence of Edit
        Applied in order.

    Returns
    -------
    networkx.MultiDiGraph
        The new graph; graph attribute ``edits`` lists what each edit changed.

    Raises
    ------
    ScenarioError
        An edit that picks no road (it names a road the network does not have).
    """
    edits = list(edits)
    H = G.copy()
    report = list(G.graph.get("edits", []))
    for edit in edits:
        picked = selected_edges(H, edit.roads)
        if not picked:
            msg = (
                f"edit {edit.id!r}: no road of the network matches its road_id/name/section; "
                "check the names with `sanqu-geo network show` or widen 'within_m'"
            )
            raise ScenarioError(msg)
        km = sum(float(H.edges[e].get("length", 0.0)) for e in picked) / 1000.0
        for e in picked:
            data = H.edges[e]
            if edit.kind == "close":
                H.remove_edge(*e)
            elif edit.kind == "lanes":
                old = _lanes(data)
                data["capacity"] = float(data["capacity"]) * edit.value / old
                data["lanes_dir"] = edit.value
            elif edit.kind == "capacity":
                data["capacity"] = float(data["capacity"]) * edit.value
            elif edit.kind == "truck_ban":
                data["truck_banned"] = True
            else:
                lanes = _lanes(data)
                share = min(edit.value / lanes, 1.0)
                truck = {**data, "vehicles": "freight", "capacity": float(data["capacity"]) * share,
                         "lanes_dir": min(edit.value, lanes), "truck_lanes_of": edit.id}  # fmt: skip
                if share >= 1.0:
                    data.update(truck)
                    continue
                data["capacity"] = float(data["capacity"]) * (1.0 - share)
                data["lanes_dir"] = lanes - edit.value
                data["truck_banned"] = True
                H.add_edge(e[0], e[1], **truck)
        report.append({"edit": edit.id, "kind": edit.kind, "edges": len(picked), "km": km})
        logger.info("edit %s (%s): %d edges, %.1f km", edit.id, edit.kind, len(picked), km)
    H.graph["edits"] = report
    return H


def check_reach(H: nx.MultiDiGraph, nodes: Iterable[Any], edits: Sequence[Edit]) -> None:
    """After closures, every zone centroid still reaches, and is reached from, the others.

    Parameters
    ----------
    H : networkx.MultiDiGraph
        The edited graph with its zone centroids.
    nodes : iterable of node
        The centroids.
    edits : sequence of Edit
        The edits made (only closures can cut a zone off).

    Raises
    ------
    ScenarioError
        Naming the closures and a zone cut off.
    """
    nodes = list(nodes)
    closes = [e.id for e in edits if e.kind == "close"]
    if not closes or len(nodes) < 2:
        return
    nodes = [n for n in nodes if n in H]
    comp = {}
    for i, c in enumerate(nx.strongly_connected_components(H)):
        for n in c:
            comp[n] = i
    labels = np.array([comp.get(n, -1) for n in nodes])
    main = np.bincount(labels[labels >= 0]).argmax() if (labels >= 0).any() else -1
    cut = [n for n, lab in zip(nodes, labels, strict=True) if lab != main]
    if cut:
        msg = (
            f"closure {', '.join(closes)} cuts off {len(cut)} zone(s) from the rest of the "
            f"network (e.g. {cut[0]}); close fewer roads or leave a way round open"
        )
        raise ScenarioError(msg)
