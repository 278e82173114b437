"""Junction control and the free-flow delay a driver meets at junctions.

A node is a **signalised junction** where OpenStreetMap tags ``highway=traffic_signals``, or,
where untagged, where at-grade roads of the signal classes (:data:`settings.signal_junction_classes`:
主干路 and 次干路, and OpenStreetMap's ``trunk``, which in Harbin also tags signalised arterials
such as 学府路 or 文昌街) meet from at least three directions, of at least two streets (a split
or merge of one street is no junction), one of them not a trunk road (two trunk roads meet
grade-separated), outside roundabouts and tunnels: the rule of
GB 50647-2011 《城市道路交叉口规划规范》 that junctions between arterial and collector roads are
signal-controlled, applied as a rule of thumb (an assumption wherever OSM is untagged).
Expressways (motorway, trunk and their ramps) are grade-separated and have none.

Every edge that ends at a signalised junction carries the mean uniform delay of a fixed-time
signal at low flow (Webster 1958; HCM 2010 eq. 18-19 with X → 0): ``d = C (1 − g/C)² / 2``,
``C`` the cycle (:data:`settings.signal_cycle_s`) and ``g/C`` the approach's green share
(:data:`settings.signal_green_share`); an edge shorter than
:data:`settings.junction_internal_max_m` between two signalised nodes lies inside one junction
of a divided road and has none, so a driver pays one signal per junction. The delay under load is the volume-delay function's
part of the assignment. This module never reads files and never routes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import networkx as nx

from sanqu_geo import settings, speeds

logger = logging.getLogger(__name__)

__all__ = ["add_junction_delay", "signalised_nodes", "tag_is_yes", "uniform_delay_s"]


def uniform_delay_s(highway: str) -> float:
    """Mean free-flow signal delay (s) of an approach of class ``highway``.

    Parameters
    ----------
    highway : str
        OSM road class of the approaching edge.

    Returns
    -------
    float
        ``C (1 − g/C)² / 2`` with the class's green share; 0 for grade-separated classes.
    """
    if highway in settings.grade_separated_classes:
        return 0.0
    green = float(settings.signal_green_share.get(highway, settings.signal_green_share_minor))
    cycle = float(settings.signal_cycle_s)
    return cycle * (1.0 - green) ** 2 / 2.0


def signalised_nodes(G: nx.MultiDiGraph) -> set:
    """Nodes treated as signalised junctions (tagged, or by the class rule).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph with edge ``highway`` and, where OSM tags them, node ``highway``.

    Returns
    -------
    set
        Node ids.
    """
    wanted = set(settings.signal_junction_classes)
    neighbours: dict[Any, set] = defaultdict(set)
    streets: dict[Any, set] = defaultdict(set)
    minor: set = set()  # nodes that an arterial (not a trunk road) reaches
    barred: set = set()  # roundabouts and tunnels: no signal
    for u, v, data in G.edges(data=True):
        highway = speeds._first_class(data.get("highway"))
        if data.get("added_by") or highway not in wanted:
            continue
        if highway == "trunk" and _authored(data):
            continue  # the authored trunk roads are grade-separated expressways
        if str(data.get("junction", "")) in ("roundabout", "circular") or tag_is_yes(
            data.get("tunnel")
        ):
            barred.update((u, v))
        street = _street(data)
        for a, b in ((u, v), (v, u)):
            neighbours[a].add(b)
            streets[a].add(street)
            if highway != "trunk":
                minor.add(a)
    found = {
        n
        for n, near in neighbours.items()
        if len(near) >= 3 and len(streets[n]) >= 2 and n in minor and n not in barred
    }
    found |= {n for n, d in G.nodes(data=True) if d.get("highway") == "traffic_signals"}
    return found


def _authored(data: dict) -> bool:
    """An edge of the authored trunk network (not OpenStreetMap)."""
    return "road_id" in data or data.get("source") in ("trunk", "stitch")


def tag_is_yes(value: Any) -> bool:
    """An OSM yes-tag (``bridge``, ``tunnel``) set: ``yes``, ``true``, ``viaduct`` … or a list
    holding one (a simplified edge), or True (the authored networks).

    Parameters
    ----------
    value : any
        The tag's value.

    Returns
    -------
    bool
        Whether the tag is set.
    """
    if isinstance(value, list | tuple):
        return any(tag_is_yes(v) for v in value)
    return value is True or str(value).lower() in {
        "yes",
        "true",
        "1",
        "viaduct",
        "building_passage",
    }


def _street(data: dict) -> str:
    """The street an edge belongs to: its first name, else its class (a split or merge of one
    street is no junction)."""
    name = data.get("name")
    if isinstance(name, list | tuple):
        name = sorted(str(n) for n in name)[0] if name else ""
    return str(name) if name else f"({speeds._first_class(data.get('highway'))})"


def add_junction_delay(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Set ``junction_delay_s`` on every edge (0 where it does not end at a signal).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph; modified in place.

    Returns
    -------
    networkx.MultiDiGraph
        The same graph, with node attribute ``signalised`` on the signalised junctions and
        graph attribute ``signalised_junctions`` (their number).
    """
    signals = signalised_nodes(G)
    for n in signals:
        G.nodes[n]["signalised"] = True
    inside = float(settings.junction_internal_max_m)
    for u, v, data in G.edges(data=True):
        internal = u in signals and float(data.get("length", 0.0)) < inside
        if v in signals and not internal and not data.get("added_by"):
            data["junction_delay_s"] = uniform_delay_s(speeds._first_class(data.get("highway")))
        else:
            data["junction_delay_s"] = 0.0
    G.graph["signalised_junctions"] = len(signals)
    logger.info("%d signalised junctions", len(signals))
    return G
