"""The embedded city network on disk: a road graph as two compact Parquet tables.

``data/roads/harbin/nodes.parquet`` holds one row per node (``node``, ``x``, ``y`` and the
node attributes), ``edges.parquet`` one row per directed edge (``u``, ``v``, ``key``, the
edge attributes, ``geometry`` as WKB). Values that osmnx keeps as lists (a simplified edge
joining ways with different names) are stored as JSON text and read back as lists. This
module only moves graphs between memory and files: it neither builds nor routes.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from sanqu_geo._atomic import atomic_path
from sanqu_geo.errors import DataSourceError

logger = logging.getLogger(__name__)

__all__ = ["read_graph", "write_graph"]

NODES_FILE = "nodes.parquet"
EDGES_FILE = "edges.parquet"

#: Graph attribute naming the columns stored as JSON text.
_JSON_COLUMNS = "_json_columns"


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _column(values: list) -> tuple[list, bool]:
    """A column as Arrow takes it: as is when of one scalar type, else every value as JSON."""
    values = [_plain(v) for v in values]
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {int, float} or (len(kinds) <= 1 and not kinds & {list, dict}):
        return values, False
    return [None if v is None else json.dumps(v, ensure_ascii=False) for v in values], True


def write_graph(G: nx.MultiDiGraph, folder: str | Path) -> None:
    """Write a road graph as ``nodes.parquet`` and ``edges.parquet`` in ``folder``.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Graph with node ``x``/``y`` and edge ``geometry`` (shapely LineStrings).
    folder : path-like
        Created when missing; both files are replaced atomically.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    node_ids = list(G.nodes)
    node_keys = sorted({k for _, d in G.nodes(data=True) for k in d})
    nodes: dict[str, list] = {"node": node_ids}
    as_json: list[str] = []
    for key in node_keys:
        nodes[key], coded = _column([G.nodes[n].get(key) for n in node_ids])
        as_json += [f"node:{key}"] if coded else []
    edges_list = list(G.edges(keys=True, data=True))
    edge_keys = sorted({k for *_, d in edges_list for k in d if k != "geometry"})
    edges: dict[str, list] = {
        "u": [e[0] for e in edges_list],
        "v": [e[1] for e in edges_list],
        "key": [e[2] for e in edges_list],
    }
    for key in edge_keys:
        edges[key], coded = _column([d.get(key) for *_, d in edges_list])
        as_json += [f"edge:{key}"] if coded else []
    geoms = [d.get("geometry") for *_, d in edges_list]
    edges["geometry"] = [None if g is None else shapely.to_wkb(g) for g in geoms]
    for name, table in ((NODES_FILE, nodes), (EDGES_FILE, edges)):
        with atomic_path(folder / name) as tmp:
            pq.write_table(pa.table(table), tmp, compression="zstd", compression_level=19)
    meta = {k: _plain(v) for k, v in G.graph.items() if isinstance(_plain(v), str | int | float)}
    meta[_JSON_COLUMNS] = as_json
    with atomic_path(folder / "graph.json") as tmp:
        Path(tmp).write_text(json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                             encoding="utf-8")  # fmt: skip


def read_graph(folder: str | Path) -> nx.MultiDiGraph:
    """Read a road graph written by :func:`write_graph`.

    Parameters
    ----------
    folder : path-like
        The folder holding ``nodes.parquet``, ``edges.parquet`` and ``graph.json``.

    Returns
    -------
    networkx.MultiDiGraph
        The graph, with edge ``geometry`` as shapely LineStrings.

    Raises
    ------
    DataSourceError
        When a file is missing or not a table of the expected form.
    """
    folder = Path(folder)
    try:
        nodes = pq.read_table(folder / NODES_FILE).to_pydict()
        edges = pq.read_table(folder / EDGES_FILE).to_pydict()
        meta = json.loads((folder / "graph.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, pa.ArrowException) as exc:
        msg = f"{folder}: the road network files cannot be read ({exc}); reinstall sanqu-geo"
        raise DataSourceError(msg) from exc
    coded = set(meta.pop(_JSON_COLUMNS, []))
    for prefix, table in (("node", nodes), ("edge", edges)):
        for key, col in table.items():
            if f"{prefix}:{key}" in coded:
                table[key] = [None if v is None else json.loads(v) for v in col]
    G = nx.MultiDiGraph(**meta)
    node_ids = nodes.pop("node")
    node_cols = list(nodes.items())
    G.add_nodes_from(
        (n, {k: col[i] for k, col in node_cols if col[i] is not None})
        for i, n in enumerate(node_ids)
    )
    geoms = shapely.from_wkb(np.asarray(edges.pop("geometry"), dtype=object))
    us, vs, ks = edges.pop("u"), edges.pop("v"), edges.pop("key")
    cols = list(edges.items())
    G.add_edges_from(
        (
            us[i],
            vs[i],
            ks[i],
            {**{k: c[i] for k, c in cols if c[i] is not None}, "geometry": geoms[i]},
        )
        for i in range(len(us))
    )
    return G
