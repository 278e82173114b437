"""Congested zone-to-place minutes read from a solved peak hour, for every measure.

A trip may start or end at a zone's centroid but never pass through another zone's: the
centroid rows of the other zones are emptied before the search, as the assignment does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from sanqu_geo.errors import ScenarioError

__all__ = ["minutes_from", "minutes_to", "zone_minutes"]


def _matrix(run: Any, cls: str, *, reverse: bool) -> tuple[csr_array, dict[Any, int]]:
    res = run.result
    memo = run.__dict__.setdefault("_skim_memo", {})
    if (cls, reverse) in memo:
        return memo[(cls, reverse)]
    if cls not in res.class_cost:
        msg = f"class {cls!r} was not assigned; use one of {', '.join(res.class_cost)}"
        raise ScenarioError(msg)
    nodes = list(run.graph.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    cost = np.asarray(res.class_cost[cls], dtype=float)
    tail = np.array([index[e[0]] for e in res.edges])
    head = np.array([index[e[1]] for e in res.edges])
    ok = np.isfinite(cost)
    cost = np.maximum(cost[ok], 1e-9)  # a zero-length link is still a link
    rows, cols = (head[ok], tail[ok]) if reverse else (tail[ok], head[ok])
    # parallel links: keep the cheapest
    frame = pd.DataFrame({"r": rows, "c": cols, "w": cost}).groupby(["r", "c"])["w"].min()
    r = frame.index.get_level_values(0).to_numpy()
    c = frame.index.get_level_values(1).to_numpy()
    matrix = csr_array((frame.to_numpy(), (r, c)), shape=(len(nodes), len(nodes)))
    memo[(cls, reverse)] = (matrix, index)
    return matrix, index


def _search(run: Any, cls: str, zone: str, *, reverse: bool) -> pd.Series:
    if zone not in run.centroids:
        msg = f"zone {zone!r} is not a zone of the run; use a zone id of the demand"
        raise ScenarioError(msg)
    matrix, index = _matrix(run, cls, reverse=reverse)
    source = index[run.centroids[zone]]
    others = [index[c] for z, c in run.centroids.items() if z != zone]
    m = matrix.tolil(copy=True)
    for i in others:  # a centroid is an end, never a way through
        m.rows[i] = []
        m.data[i] = []
    dist = dijkstra(m.tocsr(), directed=True, indices=source)
    out = pd.Series(
        {z: dist[index[c]] / 60.0 for z, c in run.centroids.items()}, name="minutes", dtype=float
    )
    out[zone] = 0.0
    return out


def minutes_to(run: Any, zone: str, *, cls: str = "car") -> pd.Series:
    """Congested minutes from every zone to one zone (``inf`` where no path).

    Parameters
    ----------
    run : PeakRun
        A solved peak hour (:func:`sanqu_geo.peak.solve`).
    zone : str
        The destination zone's id.
    cls : str
        The class whose congested cost is used (``car`` or ``truck``).

    Returns
    -------
    pandas.Series
        Minutes, indexed by zone id.
    """
    return _search(run, cls, zone, reverse=True)


def minutes_from(run: Any, zone: str, *, cls: str = "car") -> pd.Series:
    """Congested minutes from one zone to every zone (``inf`` where no path).

    Parameters
    ----------
    run : PeakRun
        A solved peak hour.
    zone : str
        The origin zone's id.
    cls : str
        ``car`` or ``truck``.

    Returns
    -------
    pandas.Series
        Minutes, indexed by zone id.
    """
    return _search(run, cls, zone, reverse=False)


def zone_minutes(run: Any, zones: list[str], *, cls: str = "car") -> pd.DataFrame:
    """Congested minutes between a few zones (rows: from, columns: to).

    Parameters
    ----------
    run : PeakRun
        A solved peak hour.
    zones : list of str
        Zone ids.
    cls : str
        ``car`` or ``truck``.

    Returns
    -------
    pandas.DataFrame
    """
    table = pd.DataFrame({z: minutes_to(run, z, cls=cls).reindex(zones) for z in zones})
    table.index.name = "from"
    return table.where(np.isfinite(table), math.inf)
