"""Readers of the TransportationNetworks test-problem files (``*_net``, ``*_trips``, ``*_flow``, ``*_node``).

The format: a metadata header of ``<KEY> value`` lines ended by ``<END OF METADATA>``, ``~``
comment lines (the one before the link table names its columns), and rows ended by ``;``.
This module reads them, reads link counts (CSV) and writes trip tables;
:func:`sanqu_geo.assignment.assign_tntp` solves the problem.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd

from sanqu_geo._atomic import write_text
from sanqu_geo.errors import DataSourceError, TntpError

__all__ = [
    "COUNT_COLUMNS",
    "NET_COLUMNS",
    "TntpProblem",
    "check_counts",
    "generalized_cost_weights",
    "load_problem",
    "read_counts",
    "read_flows",
    "read_net",
    "read_nodes",
    "read_trips",
    "write_trips",
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


#: Columns of a counts CSV (``weight`` may be left out: 1 for every count).
COUNT_COLUMNS = ("init_node", "term_node", "count")


def _check_counts(frame: pd.DataFrame, links: pd.DataFrame | None, where) -> pd.DataFrame:
    """The checks of :func:`check_counts`; ``where(i)`` names the ``i``-th row in messages."""
    cols = [str(c).strip().lower() for c in frame.columns]
    frame = frame.set_axis(cols, axis=1)
    missing = [c for c in COUNT_COLUMNS if c not in cols]
    if missing:
        msg = (
            f"{where(None)}: no column(s) {', '.join(missing)} (found {', '.join(cols) or 'none'}); "
            "the counts need a header init_node,term_node,count and optionally weight"
        )
        raise TntpError(msg)
    if not len(frame):
        msg = f"{where(None)}: no counts; give one row per counted link under the header"
        raise TntpError(msg)
    out = {}
    rules = {
        "init_node": ("a node number", "node"),
        "term_node": ("a node number", "node"),
        "count": ("a number >= 0 (vehicles per hour)", "value"),
        "weight": ("a number >= 0", "value"),
    }
    for col in (*COUNT_COLUMNS, "weight"):
        if col not in frame:
            continue
        raw = frame[col]
        if col == "weight":  # an empty weight cell means 1, as a missing column does
            raw = raw.where(raw.notna() & (raw.astype(str).str.strip() != ""), "1")
        vals = pd.to_numeric(raw, errors="coerce").to_numpy(float)
        bad = ~np.isfinite(vals) | (vals < 0)
        if rules[col][1] == "node":
            bad |= vals != np.round(vals)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            text = raw.iloc[i]
            shown = "empty" if pd.isna(text) or str(text).strip() == "" else repr(str(text))
            msg = f"{where(i)}: {col} is {shown}; it must be {rules[col][0]}"
            raise TntpError(msg)
        out[col] = vals
    counts = pd.DataFrame(
        {
            "init_node": out["init_node"].astype(np.int64),
            "term_node": out["term_node"].astype(np.int64),
            "count": out["count"],
            "weight": out.get("weight", np.ones(len(frame))),
        }
    )
    dup = counts.duplicated(["init_node", "term_node"], keep=False).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        u, v = counts.iloc[i][["init_node", "term_node"]].astype(int)
        same = np.flatnonzero(
            dup & (counts["init_node"].to_numpy() == u) & (counts["term_node"].to_numpy() == v)
        )
        msg = (
            f"{where(i)}: link {u}->{v} is counted again in {where(int(same[1]))}; "
            "give one row per link (average repeated counts first)"
        )
        raise TntpError(msg)
    if links is not None:
        known = set(zip(links["init_node"].tolist(), links["term_node"].tolist(), strict=True))
        pairs = list(zip(counts["init_node"].tolist(), counts["term_node"].tolist(), strict=True))
        for i, pair in enumerate(pairs):
            if pair not in known:
                msg = (
                    f"{where(i)}: link {pair[0]}->{pair[1]} is not in the network; "
                    "fix the node numbers or drop the row"
                )
                raise TntpError(msg)
    return counts


def check_counts(counts: pd.DataFrame, links: pd.DataFrame | None = None) -> pd.DataFrame:
    """Check a table of link counts and return it clean.

    Parameters
    ----------
    counts : pandas.DataFrame
        Columns ``init_node``, ``term_node``, ``count`` (vehicles per hour) and optionally
        ``weight`` (>= 0; 0 keeps a count in the report without fitting it). Other columns
        are ignored.
    links : pandas.DataFrame, optional
        The network's link table (:func:`read_net`); every counted link must be in it.

    Returns
    -------
    pandas.DataFrame
        ``init_node``, ``term_node`` (int), ``count``, ``weight`` (float, 1 where not given),
        in the input's order with a fresh index.

    Raises
    ------
    TntpError
        A missing column, no rows, a value that is not a number, NaN, negative or (for a
        node) not whole, a link counted twice (one row per link: average repeated counts
        first), or a link not in ``links``. The message names the row (1 = the first).
    """
    return _check_counts(counts, links, lambda i: "counts" if i is None else f"counts row {i + 1}")


def read_counts(path: str | Path, *, links: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read link counts from a CSV file with a header ``init_node,term_node,count[,weight]``.

    Parameters
    ----------
    path : path-like
        The CSV file (UTF-8, a byte-order mark is fine).
    links : pandas.DataFrame, optional
        The network's link table; every counted link must be in it.

    Returns
    -------
    pandas.DataFrame
        As :func:`check_counts`.

    Raises
    ------
    DataSourceError
        The file cannot be read, or is empty.
    TntpError
        Bad content (see :func:`check_counts`); the message names the file's line.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError:
        msg = f"{path}: the file is empty; give a CSV with the header init_node,term_node,count"
        raise DataSourceError(msg) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        msg = f"{path}: not a readable CSV ({first}); save it as comma-separated UTF-8 text"
        raise TntpError(msg) from None
    except OSError as exc:
        msg = f"{path}: cannot read the counts file ({exc.strerror or exc}); check the path"
        raise DataSourceError(msg) from exc
    # data row i is on line i + 2 when no blank lines come before it
    lines = _data_lines(path)
    return _check_counts(
        frame,
        links,
        lambda i: (
            str(path) if i is None else f"{path} line {lines[i] if i < len(lines) else i + 2}"
        ),
    )


def _data_lines(path: Path) -> list[int]:
    """Line numbers (1-based) of the non-blank lines after the header, as pandas reads them."""
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return []
    numbered = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    return numbered[1:]


def write_trips(od: pd.DataFrame, path: str | Path, *, zones: int | None = None) -> Path:
    """Write an OD table as a ``*_trips.tntp`` file, atomically.

    Parameters
    ----------
    od : pandas.DataFrame
        Columns ``origin``, ``destination`` (zone numbers 1..zones) and ``trips`` (>= 0).
        Repeated pairs are added.
    path : path-like
        The file to write (replaced only once it is complete).
    zones : int, optional
        ``<NUMBER OF ZONES>``; default the largest zone number in ``od``. Every origin
        1..zones gets its block (pairs with zero trips are left out of it).

    Returns
    -------
    pathlib.Path
        The file written. :func:`read_trips` reads back the same pairs and values (floats
        are written in their shortest exact form).

    Raises
    ------
    TntpError
        Missing columns, zone numbers that are not whole numbers in 1..zones, or trips that
        are negative or not finite.
    """
    missing = [c for c in ("origin", "destination", "trips") if c not in od.columns]
    if missing:
        msg = f"the OD table lacks the column(s) {', '.join(missing)}"
        raise TntpError(msg)
    trips = pd.to_numeric(od["trips"], errors="coerce").to_numpy(float)
    bad = np.flatnonzero(~np.isfinite(trips) | (trips < 0))
    if bad.size:
        msg = f"OD row {bad[0] + 1}: trips {trips[bad[0]]!r}; trips must be finite numbers >= 0"
        raise TntpError(msg)
    ends = []
    for col in ("origin", "destination"):
        vals = pd.to_numeric(od[col], errors="coerce").to_numpy(float)
        wrong = np.flatnonzero(~np.isfinite(vals) | (vals < 1) | (vals != np.round(vals)))
        if wrong.size:
            msg = (
                f"OD row {wrong[0] + 1}: {col} {od[col].iloc[wrong[0]]!r} is not a zone number >= 1"
            )
            raise TntpError(msg)
        ends.append(vals.astype(np.int64))
    largest = int(max(ends[0].max(initial=0), ends[1].max(initial=0)))
    n_zones = largest if zones is None else int(zones)
    if largest > n_zones:
        msg = f"zone {largest} in the OD table is above zones={n_zones}"
        raise TntpError(msg)
    table = (
        pd.DataFrame({"o": ends[0], "d": ends[1], "t": trips})
        .groupby(["o", "d"], sort=True)["t"]
        .sum()
    )
    table = table[table > 0]
    total = float(table.sum())
    parts = [
        f"<NUMBER OF ZONES> {n_zones}\n",
        f"<TOTAL OD FLOW> {total!r}\n",
        "<END OF METADATA>\n\n",
    ]
    by_origin = {o: grp.droplevel(0) for o, grp in table.groupby(level=0)}
    for o in range(1, n_zones + 1):
        parts.append(f"\nOrigin \t{o} \n")
        row = by_origin.get(o)
        if row is None:
            continue
        cells = [f"{d:5d} : {float(t)!r};" for d, t in row.items()]
        for k in range(0, len(cells), 5):
            parts.append("    " + "  ".join(cells[k : k + 5]) + "\n")
    return write_text(path, "".join(parts))
