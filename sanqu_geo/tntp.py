"""Readers of the TransportationNetworks test-problem files (``*_net``, ``*_trips``, ``*_flow``, ``*_node``).

The format: a metadata header of ``<KEY> value`` lines ended by ``<END OF METADATA>``, ``~``
comment lines (the one before the link table names its columns), and rows ended by ``;``.
This module only reads; :func:`sanqu_geo.assignment.assign_tntp` solves the problem.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd

from sanqu_geo.errors import DataSourceError, TntpError

__all__ = [
    "NET_COLUMNS",
    "TntpProblem",
    "generalized_cost_weights",
    "load_problem",
    "read_flows",
    "read_net",
    "read_nodes",
    "read_trips",
]

#: Columns every ``*_net.tntp`` link table must have.
NET_COLUMNS = ("init_node", "term_node", "capacity", "length", "free_flow_time", "b", "power")

#: Generalized-cost weights of networks whose link cost is not the time alone: minutes per
#: toll unit and per length unit, added to the free-flow time as flow-independent constants.
#: Chicago Sketch (upstream README): 0.02 min/cent toll, 0.04 min/mile length.
generalized_cost_weights: dict[str, tuple[float, float]] = {"ChicagoSketch": (0.02, 0.04)}

_META = re.compile(r"^\s*<([^>]+)>\s*(.*)$")


def _read_text(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        msg = f"{path}: cannot read the TNTP file ({exc.strerror or exc}); check the path"
        raise DataSourceError(msg) from exc


def _split_metadata(text: str, path: Path) -> tuple[dict[str, str], list[str]]:
    meta: dict[str, str] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _META.match(line)
        if m is None:
            continue
        key = m.group(1).strip().upper()
        if key == "END OF METADATA":
            return meta, lines[i + 1 :]
        meta[key] = m.group(2).strip()
    msg = f"{path}: no <END OF METADATA> line; is this a TNTP file?"
    raise TntpError(msg)


def _meta_int(meta: dict[str, str], key: str, path: Path) -> int:
    try:
        return int(float(meta[key].split()[0]))
    except (KeyError, ValueError, IndexError):
        msg = f"{path}: metadata <{key}> missing or not a number"
        raise TntpError(msg) from None


def read_net(path: str | Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read a ``*_net.tntp`` link table.

    Parameters
    ----------
    path : path-like
        The net file.

    Returns
    -------
    links : pandas.DataFrame
        One row per link in file order, with the file's columns (``init_node``, ``term_node``,
        ``capacity``, ``length``, ``free_flow_time``, ``b``, ``power``, and ``speed``, ``toll``,
        ``link_type`` where present). Nodes are ints.
    meta : dict
        ``zones``, ``nodes``, ``first_thru_node``, ``links``.
    """
    path = Path(path)
    meta, body = _split_metadata(_read_text(path), path)
    header = None
    rows: list[list[str]] = []
    for line in body:
        s = line.strip()
        if not s:
            continue
        if s.startswith("~"):
            if header is None:
                header = [h.strip().lower() for h in s.lstrip("~").replace(";", "").split()]
            continue
        rows.append(s.replace(";", " ").split())
    if header is None:
        msg = f"{path}: no '~ init_node term_node ...' header line before the link table"
        raise TntpError(msg)
    missing = [c for c in NET_COLUMNS if c not in header]
    if missing:
        msg = f"{path}: the link table lacks the column(s) {', '.join(missing)}"
        raise TntpError(msg)
    width = len(header)
    for k, row in enumerate(rows):
        if len(row) < width:
            msg = f"{path}: link row {k + 1} has {len(row)} values, the header names {width}"
            raise TntpError(msg)
    arr = np.array([r[:width] for r in rows], dtype=object).reshape(len(rows), width)
    links = pd.DataFrame(arr, columns=header)
    for col in header:
        try:
            links[col] = pd.to_numeric(links[col])
        except (ValueError, TypeError):
            msg = f"{path}: column {col} holds values that are not numbers"
            raise TntpError(msg) from None
    links["init_node"] = links["init_node"].astype(np.int64)
    links["term_node"] = links["term_node"].astype(np.int64)
    info = {
        "zones": _meta_int(meta, "NUMBER OF ZONES", path),
        "nodes": _meta_int(meta, "NUMBER OF NODES", path),
        "first_thru_node": _meta_int(meta, "FIRST THRU NODE", path)
        if "FIRST THRU NODE" in meta
        else 1,
        "links": _meta_int(meta, "NUMBER OF LINKS", path),
    }
    if len(links) != info["links"]:
        msg = f"{path}: {len(links)} link rows, the header says <NUMBER OF LINKS> {info['links']}"
        raise TntpError(msg)
    for col in ("capacity", "free_flow_time", "b", "power"):
        bad = links.index[(links[col] < 0) | ~np.isfinite(links[col])]
        if len(bad):
            r = links.loc[bad[0]]
            msg = (
                f"{path}: link {int(r.init_node)}->{int(r.term_node)} has {col} {r[col]:g}; "
                f"{col} must be a finite number >= 0"
            )
            raise TntpError(msg)
    return links, info


def read_trips(path: str | Path) -> pd.DataFrame:
    """Read a ``*_trips.tntp`` OD table.

    Returns
    -------
    pandas.DataFrame
        Columns ``origin``, ``destination``, ``trips``: pairs with positive trips, origin ≠
        destination (intrazonal trips never load the network; their sum is in
        ``attrs["intrazonal_trips"]``, the header's total in ``attrs["total_od_flow"]``).
    """
    path = Path(path)
    meta, body = _split_metadata(_read_text(path), path)
    origins: list[int] = []
    dests: list[int] = []
    trips: list[float] = []
    origin = None
    pair = re.compile(r"(\d+)\s*:\s*([-+0-9.eE]+)")
    for line in body:
        s = line.strip()
        if not s or s.startswith("~"):
            continue
        if s.lower().startswith("origin"):
            try:
                origin = int(s.split()[1])
            except (IndexError, ValueError):
                msg = f"{path}: bad line {s!r}; expected 'Origin N'"
                raise TntpError(msg) from None
            continue
        if origin is None:
            msg = f"{path}: OD values before the first 'Origin' line"
            raise TntpError(msg)
        for d, v in pair.findall(s):
            origins.append(origin)
            dests.append(int(d))
            trips.append(float(v))
    od = pd.DataFrame(
        {
            "origin": np.asarray(origins, np.int64),
            "destination": np.asarray(dests, np.int64),
            "trips": np.asarray(trips, float),
        }
    )
    if (od["trips"] < 0).any():
        r = od[od["trips"] < 0].iloc[0]
        msg = f"{path}: negative demand {r.trips} from {r.origin} to {r.destination}"
        raise TntpError(msg)
    total = meta.get("TOTAL OD FLOW")
    intrazonal = float(od.loc[od["origin"] == od["destination"], "trips"].sum())
    od = od[(od["trips"] > 0) & (od["origin"] != od["destination"])].reset_index(drop=True)
    od.attrs["total_od_flow"] = float(total.split()[0]) if total else float("nan")
    od.attrs["intrazonal_trips"] = intrazonal
    return od


def read_flows(path: str | Path) -> pd.DataFrame:
    """Read a ``*_flow.tntp`` solution: columns ``init_node``, ``term_node``, ``volume``, ``cost``."""
    path = Path(path)
    rows = []
    for line in _read_text(path).splitlines()[1:]:
        parts = line.replace(";", " ").split()
        if len(parts) >= 4:
            rows.append(parts[:4])
    flows = pd.DataFrame(rows, columns=["init_node", "term_node", "volume", "cost"])
    return flows.astype(
        {"init_node": np.int64, "term_node": np.int64, "volume": float, "cost": float}
    )


def read_nodes(path: str | Path) -> pd.DataFrame:
    """Read a ``*_node.tntp`` file: columns ``node``, ``x``, ``y`` (in the file's own units)."""
    path = Path(path)
    rows = []
    for line in _read_text(path).splitlines()[1:]:
        parts = line.replace(";", " ").split()
        if len(parts) >= 3:
            rows.append(parts[:3])
    nodes = pd.DataFrame(rows, columns=["node", "x", "y"])
    return nodes.astype({"node": np.int64, "x": float, "y": float})


@dataclasses.dataclass
class TntpProblem:
    """A TNTP network and demand, ready for :func:`sanqu_geo.assignment.assign_tntp`.

    Attributes
    ----------
    name : str
        The network's name (file prefix).
    links : pandas.DataFrame
        The link table in file order; ``cost0`` is the flow-independent link cost (free-flow
        time, plus toll and length terms where the network has a generalized cost).
    od : pandas.DataFrame
        ``origin``, ``destination``, ``trips``.
    zones, first_thru_node : int
        Nodes ``1 .. first_thru_node - 1`` are centroids that paths may not pass through.
    """

    name: str
    links: pd.DataFrame
    od: pd.DataFrame
    zones: int
    first_thru_node: int

    @property
    def centroids(self) -> list[int]:
        """Nodes that paths may start or end at but not pass through."""
        return list(range(1, self.first_thru_node))


def _one(folder: Path, suffix: str) -> Path | None:
    found = sorted(folder.glob(f"*{suffix}"))
    return found[0] if found else None


def load_problem(folder: str | Path) -> TntpProblem:
    """Read the net and trips files of a TNTP folder.

    Parameters
    ----------
    folder : path-like
        A folder with one ``*_net.tntp`` and one ``*_trips.tntp``.

    Returns
    -------
    TntpProblem
    """
    folder = Path(folder)
    if not folder.is_dir():
        msg = f"{folder}: not a folder; give the folder holding *_net.tntp and *_trips.tntp"
        raise DataSourceError(msg)
    net = _one(folder, "_net.tntp")
    trips = _one(folder, "_trips.tntp")
    if net is None or trips is None:
        msg = f"{folder}: needs a *_net.tntp and a *_trips.tntp file"
        raise DataSourceError(msg)
    name = net.name[: -len("_net.tntp")]
    links, info = read_net(net)
    od = read_trips(trips)
    toll_w, length_w = generalized_cost_weights.get(name, (0.0, 0.0))
    cost0 = links["free_flow_time"].to_numpy(float).copy()
    if toll_w and "toll" in links:
        cost0 += toll_w * links["toll"].to_numpy(float)
    if length_w:
        cost0 += length_w * links["length"].to_numpy(float)
    links["cost0"] = cost0
    nodes = set(links["init_node"]) | set(links["term_node"])
    for col in ("origin", "destination"):
        missing = sorted(set(od[col]) - nodes)
        if missing:
            msg = (
                f"{trips}: demand zone {missing[0]} is not a node of {net.name}; "
                "fix the zone numbers or the network"
            )
            raise TntpError(msg)
    return TntpProblem(
        name=name,
        links=links,
        od=od,
        zones=info["zones"],
        first_thru_node=info["first_thru_node"],
    )
