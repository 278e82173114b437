"""The travel-time engine: a road graph compiled once to CSR arrays, and queries on it.

OD matrices in bounded-memory chunks (on both cores where it pays), routes with real edge
geometries, isochrones and reach. Works on node ids and numpy arrays; never reads files and
never handles GeoDataFrames inside its loops.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import multiprocessing
import numbers
import os
import warnings
import weakref
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString

from sanqu_geo import settings
from sanqu_geo._atomic import atomic_path
from sanqu_geo.errors import DataSourceError, NetworkError

logger = logging.getLogger(__name__)

__all__ = [
    "CompiledGraph",
    "Route",
    "UnreachableWarning",
    "clear_cache",
    "compile_graph",
    "isochrones",
    "od_matrix",
    "od_to_parquet",
    "reach",
    "route",
    "write_od_blocks",
]

#: Memory for one chunk of distance rows, in bytes (rows x all nodes x 8).
chunk_bytes: int = 256 * 1024 * 1024

#: Worker processes for large OD jobs (None: all cores).
processes: int | None = None

#: Below this many node visits (sources x nodes) a job runs in this process.
parallel_threshold: int = 20_000_000

#: Longest threshold of an isochrone or a reach, minutes (a day).
max_minutes: float = 1440.0

#: Largest buffer around the reachable roads of an isochrone, metres.
max_buffer_m: float = 10_000.0

# scipy's csgraph ignores stored zeros; a zero-time edge (a connector, a short ramp) must
# still connect, so it gets this many seconds instead.
_ZERO = 1e-9


class UnreachableWarning(UserWarning):
    """Some origin–destination pairs have no path; their time is ``inf``."""


# --------------------------------------------------------------------------- argument checks


def check_graph(G: Any, *, what: str = "G") -> None:
    """Raise :class:`NetworkError` unless ``G`` is a networkx graph.

    Parameters
    ----------
    G : object
        The argument to check.
    what : str
        Its name, for the message.
    """
    if not isinstance(G, nx.Graph):
        msg = (
            f"{what} must be a networkx road graph (a MultiDiGraph, e.g. from "
            f"sanqu_geo.network.load_network), got {type(G).__name__}"
        )
        raise NetworkError(msg)


def _check_weight(weight: Any) -> None:
    if not isinstance(weight, str) or not weight:
        msg = f"weight must be the name of an edge attribute such as 'travel_time', got {weight!r}"
        raise NetworkError(msg)


def _check_progress(progress: Any) -> None:
    if progress is not None and not callable(progress):
        msg = f"progress must be a function progress(done, total) or None, got {progress!r}"
        raise NetworkError(msg)


def node_list(ids: Any, what: str) -> list[Any]:
    """The node ids of an argument as a list, or a :class:`NetworkError` naming it.

    A single id (a number or a text) is refused rather than taken apart; wrap it in a list.

    Parameters
    ----------
    ids : iterable of node ids
        The argument (a list, an array, a generator: read once).
    what : str
        Its name, for the message.

    Returns
    -------
    list
        The ids.
    """
    if (
        ids is None
        or isinstance(ids, str | bytes | numbers.Number)
        or not isinstance(ids, Iterable)
    ):
        msg = (
            f"{what} must be a list of node ids, got {type(ids).__name__} {str(ids)[:60]!r}; "
            "wrap a single id in a list"
        )
        raise NetworkError(msg)
    return list(ids)


def _real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_minutes(minutes: Any, *, what: str = "minutes") -> list[float]:
    """Thresholds in minutes, sorted, or a :class:`NetworkError` saying what is wrong.

    Parameters
    ----------
    minutes : float or iterable of float
        One threshold or several; each a finite number above 0 and at most
        :data:`max_minutes`.
    what : str
        The argument's name, for the message.

    Returns
    -------
    list of float
        The thresholds, smallest first.
    """
    values = [minutes] if _real(minutes) else minutes
    if values is None or isinstance(values, str | bytes) or not isinstance(values, Iterable):
        msg = f"{what} must be numbers of minutes such as [15, 30, 45], got {minutes!r}"
        raise NetworkError(msg)
    values = list(values)
    if not values:
        msg = f"{what}: none given; give thresholds such as [15, 30, 45, 60]"
        raise NetworkError(msg)
    for value in values:
        if not (_real(value) and math.isfinite(value) and 0 < value <= max_minutes):
            msg = (
                f"{what} must be positive numbers of at most {max_minutes:g} (a day), "
                f"got {value!r} in {values!r}"
            )
            raise NetworkError(msg)
    return sorted(float(v) for v in values)


def _per_target(values: Any, count: int, what: str) -> np.ndarray:
    """One finite non-negative number per opportunity, as an array."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        msg = f"{what} must be a list of numbers, one per opportunity, got {values!r}"
        raise NetworkError(msg)
    try:
        arr = np.asarray(list(values), dtype=float)
    except (TypeError, ValueError):
        msg = f"{what} must be numbers, one per opportunity; found a value that is not"
        raise NetworkError(msg) from None
    if arr.shape != (count,):
        msg = f"{what} has {arr.size} values for {count} opportunities; give one per opportunity"
        raise NetworkError(msg)
    if not (np.isfinite(arr) & (arr >= 0)).all():
        msg = f"{what} must be finite numbers >= 0, found {arr[~(np.isfinite(arr) & (arr >= 0))][0]!r}"
        raise NetworkError(msg)
    return arr


def _xy(G: nx.Graph, node: Any) -> tuple[float, float]:
    """A node's longitude and latitude, or a :class:`NetworkError` naming the node."""
    data = G.nodes[node]
    try:
        return float(data["x"]), float(data["y"])
    except (KeyError, TypeError, ValueError):
        msg = (
            f"node {node!r} has no usable x/y (longitude, latitude); routes and isochrones need "
            "node coordinates, as graphs from sanqu_geo.network.load_network have"
        )
        raise NetworkError(msg) from None


def _edge_data(G: nx.Graph, u: Any, v: Any, key: Any) -> dict[str, Any]:
    return G.edges[u, v, key] if G.is_multigraph() else G.edges[u, v]


@dataclasses.dataclass(frozen=True)
class CompiledGraph:
    """A road graph as CSR arrays for one weight.

    Attributes
    ----------
    nodes : list
        Node id of each index.
    index : pandas.Index
        Node id → index lookup.
    forward : scipy.sparse.csr_array
        Weight of the best edge u→v at ``[iu, iv]``.
    backward : scipy.sparse.csr_array
        The transpose, for distances *to* a node.
    edge_keys : dict
        ``(iu, iv) -> key`` of the best parallel edge, for route geometry.
    weight : str
        The edge attribute compiled.
    zero_edges : bool
        Whether some edges weigh zero (stored as a tiny stand-in, removed from the results of
        paths made only of them).
    """

    nodes: list[Any]
    index: pd.Index
    forward: csr_array
    backward: csr_array
    edge_keys: dict[tuple[int, int], Any]
    weight: str
    zero_edges: bool = False

    def exact(self, values: np.ndarray) -> np.ndarray:
        """Make paths made only of zero-weight edges cost exactly 0 (in place).

        Such a path sums the stand-in weight of its edges, at most ``n * 1e-9``; every other
        path costs at least the smallest real weight, which is larger.
        """
        if self.zero_edges:
            values[values <= self.n * _ZERO] = 0.0
        return values

    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    def positions(self, node_ids: Sequence[Any], *, what: str = "node") -> np.ndarray:
        """Map node ids to indices, with a clear error for ids not in the graph."""
        ids = list(node_ids)
        try:
            pos = self.index.get_indexer(pd.Index(ids, tupleize_cols=False))
        except TypeError:  # an unhashable id: a list, a dict
            bad = next((i for i in ids if not isinstance(i, Hashable)), ids[:1])
            msg = f"{what} id {str(bad)[:60]!r} is not a node id (a number or a text)"
            raise NetworkError(msg) from None
        if (pos < 0).any():
            missing = [ids[i] for i in np.flatnonzero(pos < 0)[:5]]
            msg = f"{what} id(s) not in the road graph: {', '.join(map(str, missing))}"
            raise NetworkError(msg)
        return pos


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def clear_cache(G: nx.MultiDiGraph | None = None) -> None:
    """Forget the compiled arrays of ``G`` (default: of every graph).

    The engine compiles a graph once and reuses the arrays for as long as the graph object
    lives. Call this after changing a graph's edges or weights in place; graphs made by the
    toolkit (scenarios, profiles) are new objects and need no call.

    Parameters
    ----------
    G : networkx.MultiDiGraph, optional
        The changed graph.
    """
    if G is None:
        _CACHE.clear()
    else:
        check_graph(G)
        _CACHE.pop(G, None)


def compile_graph(G: nx.MultiDiGraph, *, weight: str = "travel_time") -> CompiledGraph:
    """Compile a graph to CSR arrays (cached per graph and weight).

    Parallel edges keep the smallest weight; an undirected graph's edges are used both ways.
    The cache is keyed by the graph object, so a graph changed in place after it is compiled
    gives stale results until :func:`clear_cache` is called; scenario functions return new
    graphs.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph whose edges all carry ``weight``.
    weight : str
        Edge attribute to minimise, e.g. ``travel_time`` (seconds) or ``length`` (metres).

    Returns
    -------
    CompiledGraph
        The arrays.

    Raises
    ------
    NetworkError
        When ``G`` is not a graph, the graph is empty, or an edge lacks the weight or has a
        negative one.
    """
    check_graph(G)
    _check_weight(weight)
    per_graph = _CACHE.setdefault(G, {})
    # Counting edges walks the whole graph in networkx, so the key holds the node count only;
    # graphs are not changed after they are compiled (scenario functions return new graphs).
    signature = (weight, G.number_of_nodes())
    if signature in per_graph:
        return per_graph[signature]
    if G.number_of_nodes() == 0:
        msg = "the road graph is empty"
        raise NetworkError(msg)
    nodes = list(G.nodes)
    # Tuple node ids (networkx grid graphs) stay single labels, not a MultiIndex.
    index = pd.Index(nodes, tupleize_cols=False)
    if not index.is_unique:
        msg = "the road graph has node ids that compare equal (e.g. 1 and 1.0); give unique ids"
        raise NetworkError(msg)
    edges = (
        G.edges(keys=True, data=True)
        if G.is_multigraph()
        else ((u, v, None, d) for u, v, d in G.edges(data=True))
    )
    m = G.number_of_edges()
    us = np.empty(m, dtype=np.int64)
    vs = np.empty(m, dtype=np.int64)
    ws = np.empty(m, dtype=np.float64)
    keys: list[Any] = [None] * m
    get = index.get_loc
    for i, (u, v, k, data) in enumerate(edges):
        value = data.get(weight)
        if value is None:
            msg = f"edge {u}->{v} has no {weight!r}; add speeds first (sanqu_geo.speeds.add_speeds)"
            raise NetworkError(msg)
        try:
            number = float(value)
        except (TypeError, ValueError):
            msg = f"edge {u}->{v}: {weight!r} is {value!r}, not a number"
            raise NetworkError(msg) from None
        us[i], vs[i], ws[i], keys[i] = get(u), get(v), number, k
    if not G.is_directed():  # an undirected edge can be used both ways
        us, vs = np.concatenate([us, vs]), np.concatenate([vs, us])
        ws = np.concatenate([ws, ws])
        keys = keys + keys
    if (ws < 0).any() or not np.isfinite(ws).all():
        msg = f"edge weights {weight!r} must be finite and non-negative"
        raise NetworkError(msg)
    keep = us != vs  # a self-loop never shortens a path
    order = np.lexsort((ws, vs, us))
    order = order[keep[order]]
    us, vs, ws = us[order], vs[order], ws[order]
    first = np.ones(len(us), dtype=bool)
    first[1:] = (us[1:] != us[:-1]) | (vs[1:] != vs[:-1])
    us, vs, ws, order = us[first], vs[first], ws[first], order[first]
    positive = ws[ws > 0]
    # Only when every real weight exceeds any sum of stand-ins can such sums be told apart.
    zero_edges = bool((ws == 0).any()) and (
        positive.size == 0 or positive.min() > len(nodes) * _ZERO
    )
    ws = np.where(ws == 0, _ZERO, ws)
    n = len(nodes)
    forward = csr_array((ws, (us, vs)), shape=(n, n))
    backward = csr_array((ws, (vs, us)), shape=(n, n))
    edge_keys = {(int(a), int(b)): keys[o] for a, b, o in zip(us, vs, order, strict=True)}
    compiled = CompiledGraph(nodes, index, forward, backward, edge_keys, weight, zero_edges)
    per_graph[signature] = compiled
    return compiled


# --------------------------------------------------------------------------- distances

_WORKER: dict[str, Any] = {}


def _init_worker(matrix: csr_array) -> None:
    _WORKER["matrix"] = matrix


def _worker_rows(args: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    sources, columns = args
    return dijkstra(_WORKER["matrix"], directed=True, indices=sources)[:, columns]


def _chunks(count: int, size: int) -> Iterator[slice]:
    for start in range(0, count, size):
        yield slice(start, min(start + size, count))


def distance_rows(
    compiled: CompiledGraph,
    sources: np.ndarray,
    columns: np.ndarray | None = None,
    *,
    reverse: bool = False,
    limit: float = np.inf,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield shortest-path distances from chunks of source indices.

    Parameters
    ----------
    compiled : CompiledGraph
        The graph.
    sources : numpy.ndarray
        Source indices.
    columns : numpy.ndarray, optional
        Target indices to keep (default: all nodes).
    reverse : bool
        Distances *to* the sources (on the reversed graph).
    limit : float
        Stop searching beyond this distance (entries beyond are ``inf``).
    progress : callable, optional
        Called with (done, total) sources after each chunk.

    Yields
    ------
    (slice, numpy.ndarray)
        The slice of ``sources`` and its distance rows.
    """
    matrix = compiled.backward if reverse else compiled.forward
    cols = np.arange(compiled.n) if columns is None else np.asarray(columns)
    rows_per_chunk = max(1, min(len(sources), chunk_bytes // (8 * max(compiled.n, 1))))
    workers = processes or os.cpu_count() or 1
    work = len(sources) * compiled.n
    parallel = workers > 1 and work >= parallel_threshold and len(sources) > 1 and math.isinf(limit)
    total = len(sources)
    if parallel:
        # Smaller chunks so both workers stay busy and memory stays bounded per worker.
        rows_per_chunk = max(1, min(rows_per_chunk // workers, math.ceil(total / (workers * 4))))
        slices = list(_chunks(total, rows_per_chunk))
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(matrix,)
        ) as pool:
            jobs = ((sources[s], cols) for s in slices)
            for s, block in zip(slices, pool.map(_worker_rows, jobs), strict=True):
                if progress is not None:
                    progress(s.stop, total)
                yield s, block
        return
    for s in _chunks(total, rows_per_chunk):
        block = dijkstra(matrix, directed=True, indices=sources[s], limit=limit)
        if progress is not None:
            progress(s.stop, total)
        yield s, block[:, cols]


def _warn_unreachable(count: int, total: int) -> None:
    if count:
        warnings.warn(
            f"{count:,} of {total:,} origin-destination pairs are unreachable; their time is inf",
            UnreachableWarning,
            stacklevel=3,
        )


def od_matrix(
    G: nx.MultiDiGraph,
    origins: Sequence[Any],
    destinations: Sequence[Any],
    *,
    weight: str = "travel_time",
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Shortest-path costs from every origin node to every destination node.

    Runs from whichever side is smaller (from the destinations on the reversed graph when
    there are fewer of them), in chunks whose memory is bounded by :data:`chunk_bytes`, on
    :data:`processes` worker processes when the job is large.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph.
    origins, destinations : sequence of node ids
        Node ids of ``G`` (repeats allowed).
    weight : str
        Edge attribute: ``travel_time`` (seconds) or ``length`` (metres).
    progress : callable, optional
        Called with (done, total) after each chunk.

    Returns
    -------
    pandas.DataFrame
        Indexed by origin, one column per destination; ``inf`` where unreachable (one
        :class:`UnreachableWarning` says how many).

    Raises
    ------
    NetworkError
        For a wrong argument (not a graph, ids not in a list or not in the graph, an unknown
        weight).
    """
    # generators are read once
    origins, destinations = node_list(origins, "origins"), node_list(destinations, "destinations")
    _check_progress(progress)
    compiled = compile_graph(G, weight=weight)
    o = compiled.positions(origins, what="origin")
    d = compiled.positions(destinations, what="destination")
    result = np.empty((len(o), len(d)), dtype=np.float64)
    if len(d) < len(o):
        for s, block in distance_rows(compiled, d, o, reverse=True, progress=progress):
            result[:, s] = block.T
    else:
        for s, block in distance_rows(compiled, o, d, progress=progress):
            result[s] = block
    compiled.exact(result)
    _warn_unreachable(int(np.isinf(result).sum()), result.size)
    return pd.DataFrame(
        result,
        index=pd.Index(origins, name="origin", tupleize_cols=False),
        columns=pd.Index(destinations, tupleize_cols=False),
    )


def od_to_parquet(
    G: nx.MultiDiGraph,
    origins: Sequence[Any],
    destinations: Sequence[Any],
    path: str | Path,
    *,
    weight: str = "travel_time",
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Stream a large OD matrix to Parquet in long form (origin, destination, cost).

    Memory stays bounded by one chunk whatever the size of the job; the file appears only
    when complete.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph.
    origins, destinations : sequence of node ids
        Node ids.
    path : path-like
        Output ``.parquet`` file.
    weight : str
        Edge attribute.
    progress : callable, optional
        Called with (done, total) after each chunk.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    origins, destinations = node_list(origins, "origins"), node_list(destinations, "destinations")
    if not isinstance(path, str | os.PathLike) or not str(path).strip():
        msg = f"path must be the name of a .parquet file, got {path!r}"
        raise DataSourceError(msg)
    _check_progress(progress)
    compiled = compile_graph(G, weight=weight)
    o = compiled.positions(origins, what="origin")
    d = compiled.positions(destinations, what="destination")
    blocks = (
        (s, compiled.exact(block)) for s, block in distance_rows(compiled, o, d, progress=progress)
    )
    return write_od_blocks(blocks, origins, destinations, path, column=weight)


def _id_array(ids: Sequence[Any]) -> np.ndarray:
    ids = list(ids)
    arr = np.asarray(ids)
    if arr.ndim != 1:  # tuple ids (e.g. (x, y) nodes) stay one id each
        arr = np.fromiter(ids, dtype=object, count=len(ids))
    return arr


def write_od_blocks(
    blocks: Iterator[tuple[slice, np.ndarray]],
    origin_ids: Sequence[Any],
    destination_ids: Sequence[Any],
    path: str | Path,
    *,
    column: str = "travel_time",
) -> Path:
    """Write blocks of OD rows to Parquet in long form as they come (origin, destination, cost).

    The streaming writer behind :func:`od_to_parquet`, also fed by the workers of a Dask
    cluster (:mod:`sanqu_geo.scaleout`). Memory stays bounded by one block; the file appears
    only when every block is written.

    Parameters
    ----------
    blocks : iterator of (slice, numpy.ndarray)
        Consecutive slices of ``origin_ids`` in order, each with its rows of costs (one column
        per destination).
    origin_ids, destination_ids : sequence
        Ids written in the ``origin`` and ``destination`` columns.
    path : path-like
        Output ``.parquet`` file.
    column : str
        Name of the cost column.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    NetworkError
        If the blocks skip or repeat rows (the file is then not written); a ``ValueError``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    origin_ids, dest_ids = _id_array(origin_ids), _id_array(destination_ids)
    unreachable = 0
    written = 0
    with atomic_path(path) as tmp:
        writer = None
        try:
            for s, block in blocks:
                if s.start != written or block.shape != (s.stop - s.start, len(dest_ids)):
                    msg = f"OD block {s.start}:{s.stop} does not follow row {written}"
                    raise NetworkError(msg)
                written = s.stop
                unreachable += int(np.isinf(block).sum())
                table = pa.table(
                    {
                        "origin": np.repeat(origin_ids[s], len(dest_ids)),
                        "destination": np.tile(dest_ids, s.stop - s.start),
                        column: block.ravel(),
                    }
                )
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table)
            if written != len(origin_ids):
                msg = f"OD blocks ended at row {written} of {len(origin_ids)}"
                raise NetworkError(msg)
        finally:
            if writer is not None:
                writer.close()
    _warn_unreachable(unreachable, len(origin_ids) * len(dest_ids))
    return Path(path)


# --------------------------------------------------------------------------- routes


@dataclasses.dataclass(frozen=True)
class Route:
    """A shortest path.

    Attributes
    ----------
    nodes : list
        Node ids from origin to destination.
    travel_time : float
        Sum of the edges' ``travel_time`` (seconds).
    length : float
        Sum of the edges' ``length`` (metres).
    geometry : shapely.LineString
        The real edge geometries joined, WGS-84.
    edges : list of tuple
        ``(u, v, key)`` of each edge used.
    """

    nodes: list[Any]
    travel_time: float
    length: float
    geometry: LineString
    edges: list[tuple[Any, Any, Any]]


def route(
    G: nx.MultiDiGraph, origin: Any, destination: Any, *, weight: str = "travel_time"
) -> Route | None:
    """The shortest path between two nodes.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph.
    origin, destination : node id
        Nodes of ``G``.
    weight : str
        Edge attribute minimised.

    Returns
    -------
    Route or None
        None when the destination cannot be reached (with an :class:`UnreachableWarning`).

    Raises
    ------
    NetworkError
        For a wrong argument, or a node on the way without ``x``/``y`` where an edge has no
        geometry.
    """
    compiled = compile_graph(G, weight=weight)
    (io,) = compiled.positions([origin], what="origin")
    (idest,) = compiled.positions([destination], what="destination")
    dist, pred = dijkstra(compiled.forward, directed=True, indices=io, return_predecessors=True)
    if not np.isfinite(dist[idest]):
        _warn_unreachable(1, 1)
        return None
    path = [idest]
    while path[-1] != io:
        path.append(int(pred[path[-1]]))
    path.reverse()
    node_ids = [compiled.nodes[i] for i in path]
    edges = []
    coords: list[tuple[float, float]] = []
    travel_time = length = 0.0
    for a, b, u, v in zip(path[:-1], path[1:], node_ids[:-1], node_ids[1:], strict=True):
        key = compiled.edge_keys[(a, b)]
        data = _edge_data(G, u, v, key)
        edges.append((u, v, key))
        travel_time += float(data.get("travel_time", 0.0))
        length += float(data.get("length", 0.0))
        geom = data.get("geometry")
        part = list(geom.coords) if geom is not None else [_xy(G, u), _xy(G, v)]
        coords.extend(part if not coords else part[1:])
    if len(coords) < 2:
        coords = [_xy(G, node_ids[0])] * 2
    return Route(node_ids, travel_time, length, LineString(coords), edges)


# --------------------------------------------------------------------------- isochrones

#: Buffer (m) around the reachable roads that makes an isochrone polygon.
isochrone_buffer_m: float = 200.0


def _metric_edge_geometries(G: nx.MultiDiGraph, compiled: CompiledGraph) -> np.ndarray:
    """Edge geometries in the metric CRS, aligned with ``compiled.forward.data`` (cached)."""
    per_graph = _CACHE.setdefault(G, {})
    key = ("geometries", compiled.weight, compiled.n, len(compiled.forward.data))
    if key in per_graph:
        return per_graph[key]
    fwd = compiled.forward
    rows = np.repeat(np.arange(compiled.n), np.diff(fwd.indptr))
    geoms = np.empty(len(fwd.data), dtype=object)
    for i, (iu, iv) in enumerate(zip(rows, fwd.indices, strict=True)):
        u, v = compiled.nodes[iu], compiled.nodes[iv]
        geom = _edge_data(G, u, v, compiled.edge_keys[(int(iu), int(iv))]).get("geometry")
        geoms[i] = geom if geom is not None else LineString([_xy(G, u), _xy(G, v)])
    metric = gpd.GeoSeries(geoms, crs=G.graph.get("crs", settings.default_crs)).to_crs(
        settings.metric_crs
    )
    node_xy = gpd.GeoSeries(
        shapely.points([_xy(G, u) for u in compiled.nodes]),
        crs=G.graph.get("crs", settings.default_crs),
    ).to_crs(settings.metric_crs)
    result = (rows, metric.to_numpy(), node_xy.to_numpy())
    per_graph[key] = result
    return result


def _reachable_area(
    cached: tuple[np.ndarray, np.ndarray, np.ndarray],
    compiled: CompiledGraph,
    dist: np.ndarray,
    budget: float,
    buffer_m: float,
    *,
    previous: tuple[Any, np.ndarray] | None = None,
    fill_holes: bool = True,
) -> tuple[Any, np.ndarray]:
    """Buffer of the road pieces reachable within ``budget`` (metric CRS).

    ``previous`` is the (area, edges reached whole) of a smaller budget: pieces already
    reached whole lie inside that area, so only the rest is buffered and added.
    """
    rows, geoms, node_points = cached
    fwd = compiled.forward
    w = fwd.data
    spare = budget - dist[rows]
    full = spare >= w
    partial = (spare > 0) & ~full
    new_full = full if previous is None else full & ~previous[1]
    # A two-way road reached whole in both directions is drawn once.
    pieces = list(geoms[new_full & ((rows < fwd.indices) | ~_reverse_full(compiled, full))])
    for k in np.flatnonzero(partial):
        pieces.append(shapely.ops.substring(geoms[k], 0.0, spare[k] / w[k], normalized=True))
    # Reached nodes without an outgoing edge are drawn as points.
    sinks = (dist <= budget) & (np.diff(fwd.indptr) == 0)
    pieces.extend(node_points[sinks])
    buffers = shapely.buffer(np.array(pieces, dtype=object), buffer_m, quad_segs=4)
    if previous is not None:
        buffers = np.append(buffers, np.array([previous[0]], dtype=object))
    # Buffering each piece and uniting them (a cascaded union) is far faster in GEOS than
    # buffering one collection.
    area = shapely.union_all(buffers)
    return (_fill_holes(area) if fill_holes else area), full


def _reverse_full(compiled: CompiledGraph, full: np.ndarray) -> np.ndarray:
    """For each CSR entry u→v, whether v→u exists and is also reached whole."""
    fwd = compiled.forward
    rows = np.repeat(np.arange(compiled.n), np.diff(fwd.indptr))
    n = compiled.n
    keys = rows.astype(np.int64) * n + fwd.indices
    rev_keys = fwd.indices.astype(np.int64) * n + rows
    order = np.argsort(keys)
    pos = np.searchsorted(keys[order], rev_keys)
    pos = np.clip(pos, 0, len(keys) - 1)
    match = keys[order][pos] == rev_keys
    out = np.zeros(len(keys), dtype=bool)
    out[match] = full[order[pos[match]]]
    return out


def isochrones(
    G: nx.MultiDiGraph,
    origins: Sequence[Any],
    minutes: Sequence[float] = (15, 30, 45, 60),
    *,
    weight: str = "travel_time",
    buffer_m: float | None = None,
    fill_holes: bool = True,
) -> gpd.GeoDataFrame:
    """Areas reachable from each origin within each number of minutes.

    Method: the road pieces reachable within the time (whole edges, and the reachable part
    of an edge cut at the exact fraction of its travel time), buffered by
    :data:`isochrone_buffer_m` metres in the metric CRS, holes filled (an area ringed by
    reached roads counts as reached, as its local streets are), and each polygon
    united with the smaller ones so they nest. Every node reached within the time lies
    inside. The tolerance: every point inside lies within ``buffer_m`` of a road reached
    within the time, or in a hole ringed by such roads (none with ``fill_holes=False``).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph in WGS-84.
    origins : sequence of node ids
        Origin nodes.
    minutes : sequence of float
        Thresholds in minutes.
    weight : str
        Edge attribute in seconds.
    buffer_m : float, optional
        Buffer around reachable roads (default :data:`isochrone_buffer_m`).
    fill_holes : bool
        Fill the holes ringed by reached roads.

    Returns
    -------
    geopandas.GeoDataFrame
        ``origin``, ``minutes``, ``area_km2``, ``geometry`` (EPSG:4326), one row per origin
        and threshold, smallest first.

    Raises
    ------
    NetworkError
        For a wrong argument: thresholds that are not positive numbers of at most
        :data:`max_minutes`, a buffer outside 0–:data:`max_buffer_m` m, a node without x/y.
    """
    buffer_m = isochrone_buffer_m if buffer_m is None else buffer_m
    if not (_real(buffer_m) and math.isfinite(buffer_m) and 0 < buffer_m <= max_buffer_m):
        msg = f"buffer_m must be a number of metres above 0 and at most {max_buffer_m:,.0f}, got {buffer_m!r}"
        raise NetworkError(msg)
    origins = node_list(origins, "origins")
    thresholds = check_minutes(minutes)
    compiled = compile_graph(G, weight=weight)
    rows = []
    sources = compiled.positions(origins, what="origin")
    limit = thresholds[-1] * 60.0
    cached = _metric_edge_geometries(G, compiled)
    for s, block in distance_rows(compiled, sources, limit=limit):
        for origin, dist in zip(origins[s], block, strict=True):
            previous = None
            for m in thresholds:
                previous = _reachable_area(
                    cached,
                    compiled,
                    dist,
                    m * 60.0,
                    buffer_m,
                    previous=previous,
                    fill_holes=fill_holes,
                )
                rows.append({"origin": origin, "minutes": m, "geometry": previous[0]})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=settings.metric_crs)
    gdf["area_km2"] = gdf.area / 1e6
    gdf = gdf.to_crs(settings.default_crs)
    return gdf[["origin", "minutes", "area_km2", "geometry"]]


def _fill_holes(geom):
    if geom.geom_type == "Polygon":
        return shapely.Polygon(geom.exterior)
    if geom.geom_type == "MultiPolygon":
        return shapely.MultiPolygon([shapely.Polygon(p.exterior) for p in geom.geoms])
    return geom


# --------------------------------------------------------------------------- reach


def reach(
    G: nx.MultiDiGraph,
    origins: Sequence[Any],
    minutes: Sequence[float],
    opportunity_nodes: Sequence[Any],
    *,
    weights: Sequence[float] | None = None,
    extra_seconds: Sequence[float] | None = None,
    weight: str = "travel_time",
) -> pd.DataFrame:
    """Count (or sum the weights of) opportunities reachable within each threshold.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph.
    origins : sequence of node ids
        Origin nodes.
    minutes : sequence of float
        Thresholds in minutes.
    opportunity_nodes : sequence of node ids
        The node each opportunity is snapped to (see :func:`sanqu_geo.access.access_nodes`).
    weights : sequence of float, optional
        Weight of each opportunity (jobs, floor area, …); default 1 (a count).
    extra_seconds : sequence of float, optional
        Connector time of each opportunity from its node.
    weight : str
        Edge attribute in seconds.

    Returns
    -------
    pandas.DataFrame
        Indexed by origin, one column per threshold (minutes).

    Raises
    ------
    NetworkError
        For a wrong argument: thresholds as for :func:`isochrones`, weights or connector
        times that are not one finite number >= 0 per opportunity, unknown nodes.
    """
    origins = node_list(origins, "origins")
    opportunity_nodes = node_list(opportunity_nodes, "opportunity_nodes")
    thresholds = check_minutes(minutes)
    count = len(opportunity_nodes)
    w = np.ones(count) if weights is None else _per_target(weights, count, "weights")
    extra = (
        np.zeros(count)
        if extra_seconds is None
        else _per_target(extra_seconds, count, "extra_seconds")
    )
    compiled = compile_graph(G, weight=weight)
    targets = compiled.positions(opportunity_nodes, what="opportunity")
    sources = compiled.positions(origins, what="origin")
    out = np.zeros((len(sources), len(thresholds)))
    for s, block in distance_rows(compiled, sources, targets, limit=thresholds[-1] * 60.0):
        times = block + extra
        for j, m in enumerate(thresholds):
            out[s, j] = ((times <= m * 60.0) * w).sum(axis=1)
    return pd.DataFrame(out, index=pd.Index(origins, name="origin"), columns=thresholds)


# --------------------------------------------------------------------------- corridors


def _csr_min(us: np.ndarray, vs: np.ndarray, ws: np.ndarray, n: int) -> csr_array:
    """CSR matrix keeping the smallest weight of repeated (u, v) pairs; zeros made tiny."""
    keep = us != vs
    us, vs, ws = us[keep], vs[keep], ws[keep]
    order = np.lexsort((ws, vs, us))
    us, vs, ws = us[order], vs[order], ws[order]
    first = np.ones(len(us), dtype=bool)
    first[1:] = (us[1:] != us[:-1]) | (vs[1:] != vs[:-1])
    ws = np.where(ws[first] == 0, _ZERO, ws[first])
    return csr_array((ws, (us[first], vs[first])), shape=(n, n))


def augmented_matrix(
    compiled: CompiledGraph,
    new_nodes: Sequence[Any],
    new_edges: Sequence[tuple[Any, Any, dict[str, Any]]],
) -> tuple[csr_array, dict[Any, int]]:
    """The compiled graph plus new nodes and edges, without touching the networkx graph.

    Parameters
    ----------
    compiled : CompiledGraph
        The base graph.
    new_nodes : sequence of node ids
        Nodes to add (indices ``n``, ``n + 1``, … in this order).
    new_edges : sequence of (u, v, attrs)
        Edges to add; ``attrs[compiled.weight]`` is the weight.

    Returns
    -------
    (scipy.sparse.csr_array, dict)
        The augmented forward matrix, and the index of every node (base and new).
    """
    index = {node: compiled.n + i for i, node in enumerate(new_nodes)}

    def position(node: Any) -> int:
        if node in index:
            return index[node]
        return int(compiled.index.get_loc(node))

    n = compiled.n + len(index)
    us = np.array([position(u) for u, _, _ in new_edges], dtype=np.int64)
    vs = np.array([position(v) for _, v, _ in new_edges], dtype=np.int64)
    ws = np.array([float(a[compiled.weight]) for *_, a in new_edges], dtype=np.float64)
    added = _csr_min(us, vs, ws, n)
    # Every new edge touches a new node, so no pair is in both matrices and the sum is exact.
    base = compiled.forward
    indptr = np.concatenate(
        [base.indptr, np.full(len(index), base.indptr[-1], dtype=base.indptr.dtype)]
    )
    padded = csr_array((base.data, base.indices, indptr), shape=(n, n))
    return (padded + added).tocsr(), index


def corridor_od(
    G: nx.MultiDiGraph,
    new_nodes: Sequence[Any],
    new_edges: Sequence[tuple[Any, Any, dict[str, Any]]],
    anchors: Sequence[Any],
    origins: Sequence[Any],
    destinations: Sequence[Any],
    *,
    base_od: pd.DataFrame | None = None,
    weight: str = "travel_time",
    anchor_cache: dict[tuple[str, Any], np.ndarray] | None = None,
) -> pd.DataFrame:
    """The OD matrix after adding a corridor, exactly, from distances to and from its anchors.

    ``d'(s, t) = min(d(s, t), min over anchors a, b of d(s, a) + c'(a, b) + d(b, t))``, where
    ``d`` is the base graph, the anchors are the base nodes the new structure touches, and
    ``c'`` the shortest times between anchors on the augmented graph. Any path that uses a new
    edge enters the new structure at an anchor and leaves it at one, so this equals a full
    recomputation on the scenario graph.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Base graph.
    new_nodes, new_edges : sequences
        What the corridor adds (see :class:`sanqu_geo.scenarios.SplicePlan`); splitting a base
        edge is represented by its two halves, the base edge itself staying (same cost).
    anchors : sequence of node ids
        Base nodes where the new structure touches the base graph.
    origins, destinations : sequence of node ids
        Base nodes.
    base_od : pandas.DataFrame, optional
        The base OD between exactly these origins and destinations, if already known.
    weight : str
        Edge attribute.
    anchor_cache : dict, optional
        Keeps base distances to and from anchors between calls (a sweep over many corridors
        sharing anchors computes each once).

    Returns
    -------
    pandas.DataFrame
        As :func:`od_matrix`.
    """
    compiled = compile_graph(G, weight=weight)
    if base_od is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnreachableWarning)
            base_od = od_matrix(G, origins, destinations, weight=weight)
    anchors = list(dict.fromkeys(anchors))
    if not anchors or not new_edges:
        return base_od.copy()
    cache = {} if anchor_cache is None else anchor_cache
    a_pos = compiled.positions(anchors, what="anchor")
    missing_to = [a for a in anchors if ("to", a) not in cache]
    missing_from = [a for a in anchors if ("from", a) not in cache]
    if missing_to:
        rows = dijkstra(compiled.backward, directed=True, indices=compiled.positions(missing_to))
        for a, row in zip(missing_to, rows, strict=True):
            cache[("to", a)] = row
    if missing_from:
        rows = dijkstra(compiled.forward, directed=True, indices=compiled.positions(missing_from))
        for a, row in zip(missing_from, rows, strict=True):
            cache[("from", a)] = row
    o = compiled.positions(origins, what="origin")
    d = compiled.positions(destinations, what="destination")
    to_anchor = np.column_stack([cache[("to", a)][o] for a in anchors])  # |S| x |A|
    from_anchor = np.vstack([cache[("from", a)][d] for a in anchors])  # |A| x |T|
    matrix, _ = augmented_matrix(compiled, list(new_nodes), list(new_edges))
    between = dijkstra(matrix, directed=True, indices=a_pos)[:, a_pos]  # |A| x |A|
    # A pair of anchors the new structure does not bring closer cannot shorten any trip
    # (d(s,a) + d(a,b) + d(b,t) >= d(s,t)), so only the improved pairs are combined.
    base_between = np.vstack([cache[("from", a)][a_pos] for a in anchors])
    between[~(between < base_between - 1e-9)] = np.inf
    entries = np.flatnonzero(np.isfinite(between).any(axis=1))
    exits = np.flatnonzero(np.isfinite(between).any(axis=0))
    best = base_od.to_numpy().copy()
    if len(entries) and len(exits):
        via_entry = np.full((len(o), len(exits)), np.inf)
        for i in entries:
            np.minimum(via_entry, to_anchor[:, i, None] + between[i, exits][None, :], out=via_entry)
        scratch = np.empty_like(best)  # one buffer: no fresh |S| x |T| array per anchor
        for k, j in enumerate(exits):
            np.add(via_entry[:, k, None], from_anchor[j][None, :], out=scratch)
            np.minimum(best, scratch, out=best)
    return pd.DataFrame(best, index=base_od.index.copy(), columns=base_od.columns.copy())
