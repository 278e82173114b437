"""Road capacities: lanes (OSM ``lanes``, published counts, class defaults) times capacity per lane.

Adds ``lanes_dir``, ``capacity`` (PCU/h in the edge's direction) and ``capacity_source`` to
the edges of a road graph. The per-lane values and the signal reduction are data in
:mod:`sanqu_geo.settings`, each with its standard. Never reads a road network itself.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from typing import Any

import networkx as nx

from sanqu_geo import junctions, settings

logger = logging.getLogger(__name__)

__all__ = ["add_capacities", "capacity_summary", "edge_capacity", "parse_lanes"]

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def parse_lanes(value: Any) -> float | None:
    """Read an OSM ``lanes`` value.

    Parameters
    ----------
    value : str, number, list or None
        ``"4"``, ``4``, ``"2;3"`` (mean), a list from a simplified osmnx edge (mean), or the
        text of such a list as GraphML stores it (``"['2', '4']"``).

    Returns
    -------
    float or None
        Lanes (total over both directions for a two-way road, as OSM tags them), or None when
        the value is missing or unreadable.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) and value > 0 else None
    if isinstance(value, list | tuple):
        parts = [parse_lanes(v) for v in value]
    else:
        parts = [float(m) for m in _NUMBER.findall(str(value))]
    usable = [p for p in parts if p is not None and p > 0]
    return sum(usable) / len(usable) if usable else None


def _first_class(highway: Any) -> str:
    if isinstance(highway, list | tuple):
        return str(highway[0]) if highway else ""
    return str(highway)


def _is_oneway(data: dict[str, Any]) -> bool:
    value = data.get("oneway", False)
    if isinstance(value, str):
        return value.strip().lower() in {"true", "yes", "1", "-1"}
    if isinstance(value, list | tuple):
        return all(_is_oneway({"oneway": v}) for v in value)
    return bool(value)


def _names(data: dict[str, Any]) -> list[str]:
    name = data.get("name")
    if isinstance(name, list | tuple):
        return [str(n) for n in name]
    return [str(name)] if name else []


def _is_bridge(data: dict[str, Any]) -> bool:
    return junctions.tag_is_yes(data.get("bridge"))


def edge_capacity(data: dict[str, Any]) -> tuple[float, float, str]:
    """Lanes in the edge's direction, its capacity and where the figure comes from.

    A published capacity of the named road wins; else lanes come from OSM ``lanes`` (halved
    on a two-way road), a published lane count or the class default, and the capacity is
    lanes × :data:`settings.capacity_per_lane_pcu` × the green share of signalised classes
    (only on an edge that ends at a signal where the junction delay is known, see
    :mod:`sanqu_geo.junctions`).

    Parameters
    ----------
    data : dict
        Edge attributes (``highway``, ``lanes``, ``oneway``, ``name``).

    Returns
    -------
    (float, float, str)
        Lanes in this direction, capacity in PCU/h in this direction, and the source
        (``published``, ``osm lanes``, ``published lanes``, ``class default``).
    """
    highway = _first_class(data.get("highway", ""))
    oneway = _is_oneway(data)
    per_lane = float(
        settings.capacity_per_lane_pcu.get(highway, settings.fallback_capacity_per_lane_pcu)
    )
    # The signal takes its share of the hour at the stop line: an edge known to end elsewhere
    # (junction delay computed and zero) keeps its full lane capacity.
    # Where the junction delay is not known (a corridor edge), the class decides, a trunk road
    # being an expressway.
    delay = data.get("junction_delay_s")
    ends_at_signal = float(delay) > 0 if delay is not None else highway != "trunk"
    green = float(settings.signal_green_share.get(highway, 1.0)) if ends_at_signal else 1.0
    names = _names(data)
    lanes_total = parse_lanes(data.get("lanes"))
    if lanes_total is not None:
        lanes_dir, source = (lanes_total if oneway else max(lanes_total / 2.0, 1.0)), "osm lanes"
    else:
        published = [settings.published_lanes[n] for n in names if n in settings.published_lanes]
        if published:
            lanes_total = float(published[0])
            lanes_dir, source = (lanes_total if oneway else lanes_total / 2.0), "published lanes"
        else:
            lanes_dir = float(settings.default_lanes_per_direction.get(highway, 1.0))
            source = "class default"
    capacity = lanes_dir * per_lane * green
    if _is_bridge(data):
        # OpenStreetMap names some bridges after the avenue they carry (松浦大道 on 松浦大桥)
        names = names + [settings.published_bridge_names[n] for n in names
                         if n in settings.published_bridge_names]  # fmt: skip
    fixed = [
        settings.published_capacity_pcu[n] for n in names if n in settings.published_capacity_pcu
    ]
    if fixed:
        # a published figure is for both directions together: half for each direction, on a
        # two-way edge or on one carriageway of a divided bridge alike
        capacity, source = float(fixed[0]) / 2.0, "published"
    return lanes_dir, capacity, source


def add_capacities(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Set ``lanes_dir``, ``capacity`` and ``capacity_source`` on every edge.

    Edges that already carry a positive ``capacity`` (a corridor spliced in with its own,
    a connector) keep it.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph with ``highway``; modified in place.

    Returns
    -------
    networkx.MultiDiGraph
        The same graph, with edge attributes ``lanes_dir`` (lanes in the edge's direction),
        ``capacity`` (PCU/h in the edge's direction) and ``capacity_source``.
    """
    for _, _, data in G.edges(data=True):
        current = data.get("capacity")
        if isinstance(current, int | float) and current > 0 and "capacity_source" in data:
            continue
        lanes_dir, capacity, source = edge_capacity(data)
        data["lanes_dir"] = lanes_dir
        data["capacity"] = capacity
        data["capacity_source"] = source
    return G


def capacity_summary(G: nx.MultiDiGraph) -> dict[str, Any]:
    """Capacities by road class and how they were found.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Graph with ``capacity`` (see :func:`add_capacities`).

    Returns
    -------
    dict
        ``by_class``: class → (edges, min, median, max capacity in PCU/h per direction);
        ``sources``: source → edges.
    """
    by_class: dict[str, list[float]] = {}
    sources: Counter = Counter()
    for _, _, data in G.edges(data=True):
        if "capacity" not in data:
            continue
        by_class.setdefault(_first_class(data.get("highway", "")), []).append(
            float(data["capacity"])
        )
        sources[str(data.get("capacity_source", ""))] += 1
    table = {}
    for cls, values in sorted(by_class.items(), key=lambda kv: -len(kv[1])):
        values.sort()
        table[cls] = (len(values), values[0], values[len(values) // 2], values[-1])
    return {"by_class": table, "sources": dict(sources)}
