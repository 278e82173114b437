"""Readers of the TransportationNetworks test-problem files (``*_net``, ``*_trips``, ``*_flow``, ``*_node``).

The format: a metadata header of ``<KEY> value`` lines ended by ``<END OF METADATA>``, ``~``
comment lines (the one before the link table names its columns), and rows ended by ``;``.
This module reads them (file names in any case, as the public networks spell them: ``_net``,
``_Net``, ``_network_2016_01``), reads link counts (CSV), writes problems and trip tables, and
turns the model's assignment graph into a TNTP problem (:func:`from_model`);
:func:`sanqu_geo.assignment.assign_tntp` solves the problem.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sanqu_geo._atomic import write_text
from sanqu_geo._inputs import MB, check_input_file
from sanqu_geo.errors import DataSourceError, TntpError

if TYPE_CHECKING:
    import networkx as nx

    from sanqu_geo.assignment import DemandClass

logger = logging.getLogger(__name__)

__all__ = [
    "COUNT_COLUMNS",
    "NET_COLUMNS",
    "TntpProblem",
    "check_counts",
    "from_model",
    "generalized_cost_weights",
    "load_problem",
    "read_counts",
    "read_flows",
    "read_net",
    "read_nodes",
    "read_trips",
    "write_problem",
    "write_trips",
]

#: Columns every ``*_net.tntp`` link table must have.
NET_COLUMNS = ("init_node", "term_node", "capacity", "length", "free_flow_time", "b", "power")

#: Upper bounds of the input files, bytes. The largest public networks (the Chicago region)
#: have net files of a few MB and trips files of tens of MB.
NET_MAX_BYTES: int = 256 * MB
TRIPS_MAX_BYTES: int = 512 * MB
FLOW_MAX_BYTES: int = 256 * MB
NODE_MAX_BYTES: int = 64 * MB
COUNTS_MAX_BYTES: int = 64 * MB

#: Largest node number, number of zones and number of links read (the largest public
#: networks have about 40,000 nodes and 2,000 zones).
MAX_NODE: int = 10_000_000
MAX_ZONES: int = 100_000
MAX_LINKS: int = 10_000_000

#: Largest trips of one OD pair, and largest link count and count weight (file units).
MAX_TRIPS: float = 1e9
MAX_COUNT: float = 1e7
MAX_COUNT_WEIGHT: float = 1e6

#: Largest generalized-cost weight (minutes per toll or length unit).
MAX_WEIGHT: float = 1000.0

#: Plausible range of each numeric link column: (lowest, lowest allowed?, highest, what).
#: The public networks have capacities from 1 to 49,500, BPR ``b`` up to 0.15 and ``power``
#: from 0 to 16.83 (Barcelona); ``b`` of a conical function (the alpha) is above 1.
LINK_RANGES: dict[str, tuple[float, bool, float, str]] = {
    "capacity": (0.0, False, 1e9, "capacity must be a number > 0 and at most 1e9"),
    "length": (0.0, True, 1e9, "length must be a number from 0 to 1e9"),
    "free_flow_time": (0.0, True, 1e6, "free_flow_time must be a number from 0 to 1e6"),
    "b": (0.0, True, 100.0, "b must be a number from 0 to 100 (the BPR b; 0.15 is usual)"),
    "power": (
        0.0,
        True,
        50.0,
        "power must be a number from 0 to 50 (the BPR exponent; 4 is usual)",
    ),
    "speed": (0.0, True, 1e6, "speed must be a number from 0 to 1e6"),
    "toll": (0.0, True, 1e9, "toll must be a number from 0 to 1e9"),
}
_CONICAL_B = (
    1.0,
    False,
    100.0,
    "with <VDF> CONICAL column b is the conical alpha and must be > 1 and at most 100",
)

#: Generalized-cost weights of networks whose link cost is not the time alone: minutes per
#: toll unit and per length unit, added to the free-flow time as flow-independent constants
#: (``toll_factor`` and ``distance_factor`` in the upstream READMEs). Chicago Sketch (upstream
#: README): 0.02 min/cent toll, 0.04 min/mile length. Used when :func:`load_problem` is given no
#: weights and the net file states none; looked up by problem name in any case.
generalized_cost_weights: dict[str, tuple[float, float]] = {"ChicagoSketch": (0.02, 0.04)}

# volume-delay functions a net file may name in its <VDF> metadata line
_VDF_NAMES = ("bpr", "conical")

_META = re.compile(r"^\s*<([^>]+)>\s*(.*)$")
_WHOLE = re.compile(r"^[+]?\d+$")


def _read_text(path: Path, what: str, max_bytes: int) -> str:
    check_input_file(path, what=what, max_bytes=max_bytes)
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        msg = f"{path}: cannot read the {what} ({exc.strerror or exc}); check the path"
        raise DataSourceError(msg) from exc


def _split_metadata(text: str, path: Path) -> tuple[dict[str, str], list[str], int]:
    """The metadata, the lines after it, and the number of lines before those."""
    meta: dict[str, str] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _META.match(line)
        if m is None:
            continue
        key = m.group(1).strip().upper()
        if key == "END OF METADATA":
            return meta, lines[i + 1 :], i + 1
        value = m.group(2).strip()
        if key in meta and meta[key].split() != value.split():
            msg = (
                f"{path} line {i + 1}: <{key}> is given again ({meta[key]!r}, then {value!r}); "
                "keep one of them"
            )
            raise TntpError(msg)
        meta[key] = value
    msg = f"{path}: no <END OF METADATA> line; is this a TNTP file?"
    raise TntpError(msg)


def _whole(text: str) -> int | None:
    """``text`` as a whole number (``12``, ``12.0``, ``1.2e1``), or None."""
    t = text.strip()
    if _WHOLE.match(t):
        return int(t)
    try:
        v = float(t)
    except ValueError:
        return None
    return int(v) if math.isfinite(v) and v.is_integer() and abs(v) < 2**53 else None


def _meta_int(
    meta: dict[str, str], key: str, path: Path, *, low: int = 1, high: int = MAX_NODE
) -> int:
    text = meta.get(key, "").split()
    value = _whole(text[0]) if text else None
    if value is None or not low <= value <= high:
        shown = repr(meta[key]) if key in meta else "missing"
        msg = (
            f"{path}: metadata <{key}> is {shown}; it must be a whole number from {low:,} "
            f"to {high:,}"
        )
        raise TntpError(msg)
    return value


def _meta_factor(meta: dict[str, str], key: str, path: Path) -> float | None:
    if key not in meta:
        return None
    return _factor(meta[key].split()[0] if meta[key].split() else meta[key],
                   f"{path}: metadata <{key}>")  # fmt: skip


def _note(line: str) -> str:
    """The text of a ``~`` comment line."""
    return line.strip().lstrip("~").strip()


def read_net(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
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
        ``zones``, ``nodes``, ``first_thru_node``, ``links`` (ints); ``vdf`` (``"bpr"``, or
        ``"conical"`` when the file says ``<VDF> CONICAL``: column ``b`` then holds the
        conical alpha); ``toll_factor``, ``distance_factor`` (the ``<TOLL FACTOR>`` and
        ``<DISTANCE FACTOR>`` lines, None where absent); ``notes`` (the ``~`` comment lines
        before the column line, without the ``~``).

    Raises
    ------
    DataSourceError
        The file is missing, not a regular file (a pipe, a device) or larger than
        :data:`NET_MAX_BYTES`.
    TntpError
        A missing or repeated metadata line or column, a count in the metadata that is not a
        whole number in range (``<NUMBER OF ZONES>`` up to :data:`MAX_ZONES`), a row too
        short, a value that is not a finite number, a node that is not a whole number from 1
        to :data:`MAX_NODE`, a value outside its plausible range (:data:`LINK_RANGES`: e.g.
        a capacity of 0, a ``power`` above 50), or an unknown ``<VDF>``. The message names
        the file, the line and the column.
    """
    path = Path(path)
    meta, body, offset = _split_metadata(_read_text(path, "TNTP net file", NET_MAX_BYTES), path)
    comments: list[str] = []
    rows: list[list[str]] = []
    line_of: list[int] = []
    for n, line in enumerate(body, start=offset + 1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("~"):
            if not rows:  # comments after the table starts are not the column line
                comments.append(s)
            continue
        rows.append(s.replace(";", " ").split())
        line_of.append(n)
    if not comments:
        msg = f"{path}: no '~ init_node term_node ...' header line before the link table"
        raise TntpError(msg)
    # the column line is the last comment before the table that names init_node (or the
    # last comment); the others are notes
    named = [i for i, c in enumerate(comments) if "init_node" in c.lower()]
    at = named[-1] if named else len(comments) - 1
    header = [h.strip().lower() for h in comments[at].lstrip("~").replace(";", "").split()]
    notes = [_note(c) for i, c in enumerate(comments) if i != at]
    missing = [c for c in NET_COLUMNS if c not in header]
    if missing:
        msg = f"{path}: the link table lacks the column(s) {', '.join(missing)}"
        raise TntpError(msg)
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        msg = f"{path}: the column line names {', '.join(repeated)} twice; name each column once"
        raise TntpError(msg)
    width = len(header)
    for k, row in enumerate(rows):
        if len(row) < width:
            msg = (
                f"{path} line {line_of[k]}: {len(row)} values, the column line names {width} "
                f"({' '.join(header)})"
            )
            raise TntpError(msg)
    vdf_text = meta.get("VDF", "").strip()
    vdf = vdf_text.split()[0].lower() if vdf_text else "bpr"
    if vdf not in _VDF_NAMES:
        msg = f"{path}: <VDF> {meta['VDF']!r} is not known; use BPR or CONICAL (or leave it out)"
        raise TntpError(msg)
    info: dict[str, Any] = {
        "zones": _meta_int(meta, "NUMBER OF ZONES", path, high=MAX_ZONES),
        "nodes": _meta_int(meta, "NUMBER OF NODES", path),
        "first_thru_node": _meta_int(meta, "FIRST THRU NODE", path)
        if "FIRST THRU NODE" in meta
        else 1,
        "links": _meta_int(meta, "NUMBER OF LINKS", path, high=MAX_LINKS),
        "vdf": vdf,
        "toll_factor": _meta_factor(meta, "TOLL FACTOR", path),
        "distance_factor": _meta_factor(meta, "DISTANCE FACTOR", path),
        "notes": notes,
    }
    if len(rows) != info["links"]:
        msg = f"{path}: {len(rows)} link rows, the header says <NUMBER OF LINKS> {info['links']}"
        raise TntpError(msg)
    raw = np.array([r[:width] for r in rows], dtype=object).reshape(len(rows), width)
    ends = (header.index("init_node"), header.index("term_node"))
    links = pd.DataFrame(
        {col: _link_column(raw, j, col, vdf, path, line_of, ends) for j, col in enumerate(header)}
    )
    links["init_node"] = links["init_node"].astype(np.int64)
    links["term_node"] = links["term_node"].astype(np.int64)
    return links, info


def _link_column(
    raw: np.ndarray,
    j: int,
    col: str,
    vdf: str,
    path: Path,
    line_of: list[int],
    ends: tuple[int, int],
) -> np.ndarray:
    """Column ``j`` of the link table as numbers, each checked against its range."""
    text = raw[:, j]
    values = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(float)
    with np.errstate(invalid="ignore"):
        if col in ("init_node", "term_node"):
            bad = ~((values >= 1) & (values <= MAX_NODE) & (values == np.round(values)))
            rule = f"node numbers are whole numbers from 1 to {MAX_NODE:,}"
        elif col in LINK_RANGES or col == "b":
            low, closed, high, rule = (
                _CONICAL_B if (col, vdf) == ("b", "conical") else LINK_RANGES[col]
            )
            above = values >= low if closed else values > low
            bad = ~(above & (values <= high))
        else:
            bad = ~np.isfinite(values)
            rule = f"{col} must be a finite number"
    if not bad.any():
        return values
    k = int(np.flatnonzero(bad)[0])
    u, v = raw[k, ends[0]], raw[k, ends[1]]
    shown = text[k] if np.isfinite(values[k]) else repr(text[k])
    msg = f"{path} line {line_of[k]}: link {u}->{v} has {col} {shown}; {rule}"
    raise TntpError(msg)


def _read_trips(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The OD pairs of a trips file between zones, and the intrazonal ones (positive trips)."""
    meta, body, offset = _split_metadata(_read_text(path, "TNTP trips file", TRIPS_MAX_BYTES), path)
    declared = "NUMBER OF ZONES" in meta
    zones = _meta_int(meta, "NUMBER OF ZONES", path, high=MAX_ZONES) if declared else MAX_ZONES
    limit = f"the <NUMBER OF ZONES> {zones:,} of the file" if declared else f"{MAX_ZONES:,} zones"

    def zone(text: str, n: int, what: str) -> int:
        z = _whole(text)
        if z is None or not 1 <= z <= zones:
            msg = (
                f"{path} line {n}: demand zone {text} ({what}) is not a zone number; zones "
                f"are whole numbers from 1 to {limit}"
            )
            raise TntpError(msg)
        return z

    origins: list[int] = []
    dests: list[int] = []
    trips: list[float] = []
    seen: dict[tuple[int, int], int] = {}
    origin = None
    for n, line in enumerate(body, start=offset + 1):
        s = line.strip()
        if not s or s.startswith("~"):
            continue
        if s[:6].lower() == "origin":
            words = s[6:].replace(";", " ").split()
            if len(words) != 1:
                msg = f"{path} line {n}: {s[:60]!r} is not an 'Origin N' line"
                raise TntpError(msg)
            origin = zone(words[0], n, "origin")
            continue
        if origin is None:
            msg = f"{path} line {n}: OD values before the first 'Origin' line"
            raise TntpError(msg)
        for cell in s.split(";"):
            if not cell.strip():
                continue
            d_text, colon, v_text = cell.partition(":")
            if not colon or not d_text.strip():
                msg = f"{path} line {n}: {cell.strip()[:40]!r} is not a 'zone : trips' cell"
                raise TntpError(msg)
            d = zone(d_text.strip(), n, "destination")
            v_text = v_text.strip()
            try:
                v = float(v_text)
            except ValueError:
                v = math.nan
            if not 0 <= v <= MAX_TRIPS:
                shown = "empty" if not v_text else repr(v_text)
                msg = (
                    f"{path} line {n}: the trips from {origin} to {d} are {shown}; trips are "
                    f"numbers from 0 to {MAX_TRIPS:g}"
                )
                raise TntpError(msg)
            if (origin, d) in seen:
                msg = (
                    f"{path} line {n}: the trips from {origin} to {d} are given again (first "
                    f"on line {seen[origin, d]}); give each pair once"
                )
                raise TntpError(msg)
            seen[origin, d] = n
            origins.append(origin)
            dests.append(d)
            trips.append(v)
    od = pd.DataFrame(
        {
            "origin": np.asarray(origins, np.int64),
            "destination": np.asarray(dests, np.int64),
            "trips": np.asarray(trips, float),
        }
    )
    total = float("nan")
    if "TOTAL OD FLOW" in meta:
        words = meta["TOTAL OD FLOW"].split()
        try:
            total = float(words[0]) if words else math.nan
        except ValueError:
            total = math.nan
        if not 0 <= total < math.inf:
            msg = (
                f"{path}: metadata <TOTAL OD FLOW> is {meta['TOTAL OD FLOW']!r}; it must be a "
                "number >= 0 (or leave the line out)"
            )
            raise TntpError(msg)
        found = float(od["trips"].sum())
        if not math.isclose(found, total, rel_tol=1e-6, abs_tol=1e-6):
            logger.warning(
                "%s: the trips add up to %.6g, the header's <TOTAL OD FLOW> says %.6g",
                path, found, total,
            )  # fmt: skip
    same = od["origin"] == od["destination"]
    intrazonal = od[same & (od["trips"] > 0)].reset_index(drop=True)
    od = od[(od["trips"] > 0) & ~same].reset_index(drop=True)
    od.attrs["total_od_flow"] = total
    od.attrs["intrazonal_trips"] = float(intrazonal["trips"].sum())
    od.attrs["zones"] = zones if declared else None
    return od, intrazonal


def read_trips(path: str | Path) -> pd.DataFrame:
    """Read a ``*_trips.tntp`` OD table.

    Parameters
    ----------
    path : path-like
        The trips file.

    Returns
    -------
    pandas.DataFrame
        Columns ``origin``, ``destination``, ``trips``: pairs with positive trips, origin ≠
        destination (intrazonal trips never load the network; their sum is in
        ``attrs["intrazonal_trips"]``, the header's total in ``attrs["total_od_flow"]``, its
        ``<NUMBER OF ZONES>`` in ``attrs["zones"]``, None when it has none).

    Raises
    ------
    DataSourceError
        The file is missing, not a regular file or larger than :data:`TRIPS_MAX_BYTES`.
    TntpError
        A line that is neither ``Origin N`` nor ``zone : trips`` cells, a zone that is not a
        whole number from 1 to the file's ``<NUMBER OF ZONES>`` (or :data:`MAX_ZONES`), trips
        that are missing, not a number or outside 0 .. :data:`MAX_TRIPS`, a pair given twice,
        or a ``<TOTAL OD FLOW>`` that is not a number >= 0. The message names the line.
    """
    return _read_trips(Path(path))[0]


_FLOW_COLUMNS = ("init_node", "term_node", "volume", "cost")


def read_flows(path: str | Path) -> pd.DataFrame:
    """Read a ``*_flow.tntp`` solution.

    Both layouts of the public networks are read: a bare table under a ``From To Volume Cost``
    line, and a table after a metadata header (``<NUMBER OF ZONES>`` … ``<END OF METADATA>``)
    with ``~`` comment lines. Values may be separated by tabs or spaces; rows may end with
    ``;``.

    Parameters
    ----------
    path : path-like
        The flow file.

    Returns
    -------
    pandas.DataFrame
        ``init_node``, ``term_node`` (int), ``volume``, ``cost`` (float), one row per link in
        file order.

    Raises
    ------
    DataSourceError
        The file is missing, not a regular file or larger than :data:`FLOW_MAX_BYTES`.
    TntpError
        A row with fewer than four numbers, text between the rows, no rows at all, a node
        that is not a whole number from 1 to :data:`MAX_NODE`, or a volume or cost that is
        not a finite number.
    """
    path = Path(path)
    lines = _read_text(path, "TNTP flow file", FLOW_MAX_BYTES).splitlines()
    first = next((s.strip() for s in lines if s.strip()), "")
    if _META.match(first):
        _, body, offset = _split_metadata("\n".join(lines), path)
    else:
        body, offset = lines, 0
    rows: list[list[float]] = []
    for n, line in enumerate(body, start=offset + 1):
        s = line.strip()
        if not s or s.startswith("~"):
            continue
        parts = s.replace(";", " ").replace(":", " ").split()
        try:
            values = [float(v) for v in parts]
        except ValueError:
            if not rows:  # a column line such as "From To Volume Cost"
                continue
            msg = f"{path} line {n}: {s[:60]!r} is not a flow row (from to volume cost)"
            raise TntpError(msg) from None
        if len(values) < 4:
            msg = f"{path} line {n}: {len(values)} values; a flow row is from, to, volume, cost"
            raise TntpError(msg)
        rows.append(values[:4])
    if not rows:
        msg = f"{path}: no flow rows (from, to, volume, cost); is this a TNTP flow file?"
        raise TntpError(msg)
    arr = np.asarray(rows, float)
    with np.errstate(invalid="ignore"):
        whole = (arr[:, :2] == np.round(arr[:, :2])) & (arr[:, :2] >= 1) & (arr[:, :2] <= MAX_NODE)
    if not whole.all():
        k = int(np.flatnonzero(~whole.all(axis=1))[0])
        msg = (
            f"{path}: flow row {k + 1} has the node {arr[k, :2].tolist()}; nodes are whole "
            f"numbers from 1 to {MAX_NODE:,}"
        )
        raise TntpError(msg)
    finite = np.isfinite(arr[:, 2:]).all(axis=1)
    if not finite.all():
        k = int(np.flatnonzero(~finite)[0])
        msg = f"{path}: flow row {k + 1} has volume and cost {arr[k, 2:].tolist()}; give numbers"
        raise TntpError(msg)
    flows = pd.DataFrame(arr, columns=list(_FLOW_COLUMNS))
    return flows.astype({"init_node": np.int64, "term_node": np.int64})


def read_nodes(path: str | Path) -> pd.DataFrame:
    """Read a ``*_node.tntp`` file: columns ``node``, ``x``, ``y`` (in the file's own units).

    Parameters
    ----------
    path : path-like
        The node file: a column line (``Node X Y ;``), then one row per node.

    Returns
    -------
    pandas.DataFrame
        ``node`` (int), ``x``, ``y`` (float), in file order.

    Raises
    ------
    TntpError
        A row with fewer than three values, a node that is not a whole number from 1 to
        :data:`MAX_NODE`, a coordinate that is not a finite number, or a node given twice.
    """
    path = Path(path)
    lines = _read_text(path, "TNTP node file", NODE_MAX_BYTES).splitlines()
    rows: list[tuple[int, float, float]] = []
    seen: dict[int, int] = {}
    header = True
    for n, line in enumerate(lines, start=1):
        parts = line.replace(";", " ").split()
        if not parts or parts[0].startswith("~"):
            continue
        if header:  # the column line
            header = False
            continue
        if len(parts) < 3:
            msg = f"{path} line {n}: {line.strip()[:60]!r} is not a node row (node x y)"
            raise TntpError(msg)
        node = _whole(parts[0])
        if node is None or not 1 <= node <= MAX_NODE:
            msg = (
                f"{path} line {n}: node {parts[0]!r}; nodes are whole numbers from 1 to "
                f"{MAX_NODE:,}"
            )
            raise TntpError(msg)
        try:
            x, y = float(parts[1]), float(parts[2])
        except ValueError:
            x = y = math.nan
        if not (math.isfinite(x) and math.isfinite(y)):
            msg = f"{path} line {n}: node {node} has x, y {parts[1]!r}, {parts[2]!r}; give numbers"
            raise TntpError(msg)
        if node in seen:
            msg = f"{path} line {n}: node {node} is given again (first on line {seen[node]})"
            raise TntpError(msg)
        seen[node] = n
        rows.append((node, x, y))
    nodes = pd.DataFrame(rows, columns=["node", "x", "y"])
    return nodes.astype({"node": np.int64, "x": float, "y": float})


def _empty_od() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "origin": np.zeros(0, np.int64),
            "destination": np.zeros(0, np.int64),
            "trips": np.zeros(0, float),
        }
    )


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
        ``origin``, ``destination``, ``trips``: pairs of different zones with positive trips.
    zones, first_thru_node : int
        Nodes ``1 .. first_thru_node - 1`` are centroids that paths may not pass through.
    vdf : {"bpr", "conical"}
        Volume-delay function: BPR with the columns ``b`` and ``power``, or conical (Spiess
        1990) with the conical alpha in ``b`` (``<VDF> CONICAL`` in the net file).
    toll_factor, distance_factor : float
        Minutes per toll unit and per length unit in ``cost0``.
    intrazonal : pandas.DataFrame
        The intrazonal trips (origin = destination; they never load a link), kept so that
        :func:`write_problem` writes the whole table.
    notes : list of str
        Comment lines of the net file (written back as ``~`` lines).
    """

    name: str
    links: pd.DataFrame
    od: pd.DataFrame
    zones: int
    first_thru_node: int
    vdf: str = "bpr"
    toll_factor: float = 0.0
    distance_factor: float = 0.0
    intrazonal: pd.DataFrame = dataclasses.field(default_factory=_empty_od)
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def centroids(self) -> list[int]:
        """Nodes that paths may start or end at but not pass through."""
        return list(range(1, self.first_thru_node))


# <name>_net.tntp, <name>_network.tntp, <name>_network_<tag>.tntp; <name>_trips[_<tag>].tntp
_NET_FILE = re.compile(r"^(?P<name>.+)_(?:net|network(?:_(?P<tag>.+))?)\.tntp$", re.IGNORECASE)
_TRIPS_FILE = re.compile(r"^(?P<name>.+?)_trips(?:_(?P<tag>.+))?\.tntp$", re.IGNORECASE)


def _two(found: list[Path]) -> str:
    more = f" (and {len(found) - 2} more)" if len(found) > 2 else ""
    return f"{found[0].name} and {found[1].name}{more}"


def _problem_files(folder: Path) -> tuple[str, Path, Path]:
    """The name, net file and trips file of a TNTP folder."""
    # every entry by name: a pipe, a device or a folder of a matching name is refused when
    # read (sanqu_geo._inputs.check_input_file), not passed over for another file
    try:
        files = sorted(folder.iterdir())
    except OSError as exc:
        msg = f"{folder}: cannot list the folder ({exc.strerror or exc}); check the path"
        raise DataSourceError(msg) from exc
    nets = [p for p in files if _NET_FILE.match(p.name)]
    trips = [(p, _TRIPS_FILE.match(p.name)) for p in files]
    trips = [(p, m) for p, m in trips if m is not None]
    if not nets:
        beside = f" beside {trips[0][0].name}" if trips else ""
        msg = (
            f"{folder}: no net file (*_net.tntp){beside}; put the problem's "
            "<name>_net.tntp in the folder"
        )
        raise DataSourceError(msg)
    if len(nets) > 1:
        msg = f"{folder}: two net files, {_two(nets)}; keep one of them in the folder"
        raise DataSourceError(msg)
    net = nets[0]
    match = _NET_FILE.match(net.name)
    name = match.group("name") if match else net.stem
    # trips of the same name first; <name>_trips.tntp before <name>_trips_<tag>.tntp (the
    # tables of single classes that write_problem puts beside it)
    same = [(p, m) for p, m in trips if m.group("name").casefold() == name.casefold()]
    pool = same or trips
    plain = [p for p, m in pool if m.group("tag") is None]
    tagged = [p for p, m in pool if m.group("tag") is not None]
    if len(plain) > 1:
        msg = f"{folder}: two trips files, {_two(plain)}; keep one of them in the folder"
        raise DataSourceError(msg)
    if plain:
        return name, net, plain[0]
    if not tagged:
        msg = (
            f"{folder}: no trips file (*_trips.tntp) beside {net.name}; put the problem's "
            f"{name}_trips.tntp in the folder"
        )
        raise DataSourceError(msg)
    if len(tagged) > 1:
        msg = f"{folder}: two trips files, {_two(tagged)}; keep one of them in the folder"
        raise DataSourceError(msg)
    return name, net, tagged[0]


def _factor(value: float | None, what: str) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not (math.isfinite(v) and 0 <= v <= MAX_WEIGHT):
        msg = (
            f"{what} must be a finite number >= 0 and at most {MAX_WEIGHT:g} (minutes per "
            f"unit), got {value!r}"
        )
        raise TntpError(msg)
    return v


def load_problem(
    folder: str | Path,
    *,
    toll_factor: float | None = None,
    distance_factor: float | None = None,
) -> TntpProblem:
    """Read the net and trips files of a TNTP folder.

    Parameters
    ----------
    folder : path-like
        A folder with one net file and one trips file. Names are matched in any case:
        ``<name>_net.tntp`` or ``<name>_network[_<tag>].tntp`` (the problem's name is the part
        before ``_net``), ``<name>_trips.tntp`` or ``<name>_trips_<tag>.tntp``. Beside a
        ``<name>_trips.tntp``, files ``<name>_trips_<tag>.tntp`` are tables of single classes
        (:func:`write_problem`) and are not read.
    toll_factor : float, optional
        Minutes per toll unit added to the free-flow time in ``cost0`` (≥ 0).
    distance_factor : float, optional
        Minutes per length unit added likewise (≥ 0). For either weight, None takes the net
        file's ``<TOLL FACTOR>`` / ``<DISTANCE FACTOR>`` line, else
        :data:`generalized_cost_weights` for the problem's name, else 0.

    Returns
    -------
    TntpProblem

    Raises
    ------
    DataSourceError
        Not a folder, no net or no trips file, or two candidates for either; a net or trips
        file that is not a regular file or is larger than :data:`NET_MAX_BYTES` /
        :data:`TRIPS_MAX_BYTES`.
    TntpError
        Malformed files (see :func:`read_net` and :func:`read_trips`), a demand zone above
        the net file's ``<NUMBER OF ZONES>`` or that is not a node, or a weight that is
        negative, not a finite number or above :data:`MAX_WEIGHT`.
    """
    toll_factor = _factor(toll_factor, "toll_factor")
    distance_factor = _factor(distance_factor, "distance_factor")
    folder = Path(folder)
    if not folder.is_dir():
        msg = f"{folder}: not a folder; give the folder holding *_net.tntp and *_trips.tntp"
        raise DataSourceError(msg)
    name, net, trips = _problem_files(folder)
    links, info = read_net(net)
    od, intrazonal = _read_trips(trips)
    known = {k.casefold(): w for k, w in generalized_cost_weights.items()}
    table = known.get(name.casefold(), (0.0, 0.0))
    toll_w = next(w for w in (toll_factor, info["toll_factor"], table[0]) if w is not None)
    length_w = next(
        w for w in (distance_factor, info["distance_factor"], table[1]) if w is not None
    )
    cost0 = links["free_flow_time"].to_numpy(float).copy()
    if toll_w and "toll" in links:
        cost0 += toll_w * links["toll"].to_numpy(float)
    if length_w:
        cost0 += length_w * links["length"].to_numpy(float)
    links["cost0"] = cost0
    both = pd.concat([od, intrazonal], ignore_index=True)
    largest = int(both[["origin", "destination"]].to_numpy().max(initial=0))
    if largest > info["zones"]:
        msg = (
            f"{trips}: zone {largest} is above the <NUMBER OF ZONES> {info['zones']} of "
            f"{net.name}; the two files must describe the same zones"
        )
        raise TntpError(msg)
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
        vdf=info["vdf"],
        toll_factor=float(toll_w),
        distance_factor=float(length_w),
        intrazonal=intrazonal,
        notes=info["notes"],
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
        "init_node": (f"a node number (a whole number from 1 to {MAX_NODE:,})", "node"),
        "term_node": (f"a node number (a whole number from 1 to {MAX_NODE:,})", "node"),
        "count": (f"a number from 0 to {MAX_COUNT:g} (vehicles per hour)", "value"),
        "weight": (f"a number from 0 to {MAX_COUNT_WEIGHT:g}", "value"),
    }
    highest = {
        "init_node": MAX_NODE,
        "term_node": MAX_NODE,
        "count": MAX_COUNT,
        "weight": MAX_COUNT_WEIGHT,
    }
    for col in (*COUNT_COLUMNS, "weight"):
        if col not in frame:
            continue
        raw = frame[col]
        if col == "weight":  # an empty weight cell means 1, as a missing column does
            raw = raw.where(raw.notna() & (raw.astype(str).str.strip() != ""), "1")
        vals = pd.to_numeric(raw, errors="coerce").to_numpy(float)
        with np.errstate(invalid="ignore"):
            bad = ~((vals >= 0) & (vals <= highest[col]))
            if rules[col][1] == "node":
                bad |= (vals != np.round(vals)) | (vals < 1)
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
        A missing column, no rows, a value that is not a number, NaN, negative, above
        :data:`MAX_COUNT` (a count) or :data:`MAX_COUNT_WEIGHT` (a weight), or (for a node)
        not a whole number from 1 to :data:`MAX_NODE`, a link counted twice (one row per link: average repeated counts
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
        The file cannot be read, is empty, is not a regular file or is larger than
        :data:`COUNTS_MAX_BYTES`.
    TntpError
        Bad content (see :func:`check_counts`); the message names the file's line.
    """
    path = check_input_file(path, what="counts file", max_bytes=COUNTS_MAX_BYTES)
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


def write_trips(
    od: pd.DataFrame,
    path: str | Path,
    *,
    zones: int | None = None,
    notes: Sequence[str] = (),
) -> Path:
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
    notes : sequence of str
        Comment lines written as ``~`` lines under the metadata (readers skip them).

    Returns
    -------
    pathlib.Path
        The file written. :func:`read_trips` reads back the same pairs and values (floats
        are written in their shortest exact form).

    Raises
    ------
    TntpError
        Missing columns, zone numbers that are not whole numbers in 1..zones, ``zones`` that
        is not a whole number from 1 to :data:`MAX_ZONES`, or trips that are negative or not
        finite.
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
    n_zones = largest if zones is None else _zone_count(zones, "zones")
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
        "<END OF METADATA>\n",
        *_comment_lines(notes),
        "\n",
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


def _zone_count(value: Any, what: str) -> int:
    """A number of zones: a whole number from 1 to :data:`MAX_ZONES`."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if isinstance(value, bool) or not (v.is_integer() and 1 <= v <= MAX_ZONES):
        msg = f"{what} is {value!r}; it must be a whole number from 1 to {MAX_ZONES:,}"
        raise TntpError(msg)
    return int(v)


def _comment_lines(notes: Sequence[str]) -> list[str]:
    return [f"~ {line}\n" for note in notes for line in str(note).splitlines() or [""]]


def _number(value: float) -> str:
    """A number in its shortest exact form; whole numbers without a decimal point."""
    v = float(value)
    if v.is_integer() and abs(v) < 2**53:
        return str(int(v))
    return repr(v)


#: The columns :func:`write_problem` writes, in the standard order.
_WRITE_COLUMNS = (
    "init_node",
    "term_node",
    "capacity",
    "length",
    "free_flow_time",
    "b",
    "power",
    "speed",
    "toll",
    "link_type",
)
# the metadata write_problem writes itself
_OWN_METADATA = (
    "NUMBER OF ZONES",
    "NUMBER OF NODES",
    "FIRST THRU NODE",
    "NUMBER OF LINKS",
    "VDF",
    "TOLL FACTOR",
    "DISTANCE FACTOR",
    "END OF METADATA",
    "TOTAL OD FLOW",
)
_SAFE_NAME = re.compile(r"^[\w.-]+$")


def write_problem(
    problem: TntpProblem,
    folder: str | Path,
    *,
    extra_trips: dict[str, pd.DataFrame] | None = None,
    metadata: dict[str, str] | None = None,
) -> list[Path]:
    """Write a problem as TNTP files, each atomically.

    Parameters
    ----------
    problem : TntpProblem
        The problem (from :func:`load_problem` or :func:`from_model`).
    folder : path-like
        The folder to write into (made if missing).
    extra_trips : dict, optional
        Class name → OD table (``origin``, ``destination``, ``trips``, as for
        :func:`write_trips`), each written as ``<name>_trips_<class>.tntp``.
        :func:`load_problem` reads ``<name>_trips.tntp`` and leaves these aside.
    metadata : dict, optional
        More ``<KEY> value`` lines for the net file's header (one line each).

    Returns
    -------
    list of pathlib.Path
        ``<name>_net.tntp`` (metadata ``<NUMBER OF ZONES>``, ``<NUMBER OF NODES>``,
        ``<FIRST THRU NODE>``, ``<NUMBER OF LINKS>``, ``<VDF>``, ``<TOLL FACTOR>``,
        ``<DISTANCE FACTOR>``, the extra lines, ``<END OF METADATA>``; the problem's notes as
        ``~`` lines; the column line; one tab-separated row per link ended by ``;``),
        ``<name>_trips.tntp`` (the OD table with the intrazonal trips), then the extra trips
        files. Numbers are written in their shortest exact form, so :func:`load_problem`
        reads back the same links, demand and weights.

    Raises
    ------
    TntpError
        A name or class name that cannot be a file name, a metadata key the writer sets
        itself or that spans lines, or bad links or trips (see :func:`write_trips`).
    """
    if not _SAFE_NAME.match(problem.name):
        msg = (
            f"problem name {problem.name!r} cannot start a file name; use letters, digits, "
            "'-', '_' and '.'"
        )
        raise TntpError(msg)
    _zone_count(problem.zones, "problem zones")
    extra = dict(extra_trips or {})
    for cls in extra:
        if not _SAFE_NAME.match(str(cls)):
            msg = f"class name {cls!r} cannot end a file name; use letters, digits, '-', '_', '.'"
            raise TntpError(msg)
    lines = dict(metadata or {})
    for key, value in lines.items():
        k = str(key).strip().upper()
        if k in _OWN_METADATA:
            msg = f"metadata <{k}> is written from the problem; leave it out of metadata"
            raise TntpError(msg)
        if not k or any(c in str(key) + str(value) for c in "<>\n\r"):
            msg = f"metadata {key!r}: {value!r} must be one line without '<' or '>'"
            raise TntpError(msg)
    vdf = str(problem.vdf).lower()
    if vdf not in _VDF_NAMES:
        msg = f"problem vdf {problem.vdf!r} is not known; use 'bpr' or 'conical'"
        raise TntpError(msg)
    links = problem.links
    missing = [c for c in NET_COLUMNS if c not in links.columns]
    if missing:
        msg = f"the link table lacks the column(s) {', '.join(missing)}"
        raise TntpError(msg)
    defaults = {"speed": 0.0, "toll": 0.0, "link_type": 1.0}
    table = np.column_stack(
        [
            pd.to_numeric(links[c], errors="coerce").to_numpy(float)
            if c in links.columns
            else np.full(len(links), defaults[c])
            for c in _WRITE_COLUMNS
        ]
    )
    bad = ~np.isfinite(table)
    ends = table[:, :2]
    bad[:, :2] |= (ends < 1) | (ends != np.round(ends))
    if bad.any():
        i, j = (int(x) for x in np.argwhere(bad)[0])
        msg = (
            f"link row {i + 1}: {_WRITE_COLUMNS[j]} is {links[_WRITE_COLUMNS[j]].iloc[i]!r}; "
            "nodes must be whole numbers >= 1 and every value a finite number"
        )
        raise TntpError(msg)
    toll_factor = _factor(problem.toll_factor, "toll_factor")
    distance_factor = _factor(problem.distance_factor, "distance_factor")
    both = pd.concat([problem.od, problem.intrazonal], ignore_index=True)
    for cls, frame in [("", both), *extra.items()]:
        cells = [
            pd.to_numeric(frame[col], errors="coerce").to_numpy(float)
            for col in ("origin", "destination")
            if col in frame.columns
        ]
        largest = max((float(np.nanmax(c)) for c in cells if c.size), default=0.0)
        if largest > problem.zones:
            which = f"the trips of class {cls}" if cls else "the demand"
            msg = (
                f"{which} has zone {largest:g}, above the problem's zones "
                f"({problem.zones}); trips run between the zones 1..{problem.zones}"
            )
            raise TntpError(msg)
    n_nodes = int(max(table[:, :2].max(initial=0), problem.zones))
    header = [
        f"<NUMBER OF ZONES> {int(problem.zones)}",
        f"<NUMBER OF NODES> {n_nodes}",
        f"<FIRST THRU NODE> {int(problem.first_thru_node)}",
        f"<NUMBER OF LINKS> {len(links)}",
        f"<VDF> {vdf.upper()}",
        f"<TOLL FACTOR> {_number(toll_factor or 0.0)}",
        f"<DISTANCE FACTOR> {_number(distance_factor or 0.0)}",
        *(f"<{str(k).strip().upper()}> {str(v).strip()}" for k, v in lines.items()),
        "<END OF METADATA>",
    ]
    parts = ["\n".join(header) + "\n\n", *_comment_lines(problem.notes)]
    parts.append("~\t" + "\t".join(_WRITE_COLUMNS) + "\t;\n")
    for row in table:
        parts.append("\t" + "\t".join(_number(v) for v in row) + "\t;\n")
    folder = Path(folder)
    written = [write_text(folder / f"{problem.name}_net.tntp", "".join(parts))]
    written.append(write_trips(both, folder / f"{problem.name}_trips.tntp", zones=problem.zones))
    for cls, frame in extra.items():
        note = frame.attrs.get("note")
        written.append(
            write_trips(
                frame,
                folder / f"{problem.name}_trips_{cls}.tntp",
                zones=problem.zones,
                notes=[note] if note else (),
            )
        )
    return written


def _edge_number(data: dict, attr: str, default: float = math.nan) -> float:
    value = data.get(attr, default)
    try:
        return float(value) if value is not None else default
    except (TypeError, ValueError):
        return math.nan


def from_model(
    G: nx.MultiDiGraph,
    classes: Sequence[DemandClass],
    *,
    centroids: Mapping[Any, Hashable] | Sequence[Hashable],
    name: str,
    vdf: str = "bpr",
) -> tuple[TntpProblem, dict[str, pd.DataFrame]]:
    """Turn an assignment graph and its demand classes into one TNTP problem in PCU.

    The TNTP format has one class of demand and one free-flow time per link, so the problem is
    the model's demand in passenger-car units on the reference times: it leaves out the
    classes' own free-flow times (e.g. truck speed caps) and bans. Every link's time is its
    ``travel_time``, also on links closed to a class (an infinite or missing class time): such
    links are marked ``link_type`` 3, and the net file's ``~`` lines say so.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The assignment graph (e.g. :func:`sanqu_geo.peak.assignment_graph`): edges carry
        ``travel_time`` (s, the reference free-flow time the delay scales with),
        ``capacity`` (PCU/h), ``length`` (m); optional ``bpr_alpha`` and ``bpr_beta`` (BPR) or
        ``conical_alpha`` (conical), else the defaults of :mod:`sanqu_geo.settings`; optional
        ``speed_kph``.
    classes : sequence of sanqu_geo.assignment.DemandClass
        Demand classes whose ``od`` origins and destinations are centroids (vehicles/h).
    centroids : mapping or sequence
        The centroid nodes in zone order (a mapping zone id → node keeps its order): they
        become nodes and zones ``1 .. Z``, so ``<FIRST THRU NODE>`` is ``Z + 1``; the other
        nodes follow in the graph's order.
    name : str
        The problem's name (the file prefix).
    vdf : {"bpr", "conical"}
        Volume-delay function. TNTP has BPR columns only: for ``"conical"`` column ``b``
        holds the conical alpha and ``power`` is 0, and the net file says ``<VDF> CONICAL``.

    Returns
    -------
    problem : TntpProblem
        Times in minutes, lengths in km, capacities and trips in PCU/h: the trips are the sum
        over classes of vehicles × ``pce``; ``speed`` is ``speed_kph`` (0 where unknown);
        ``link_type`` 1 road, 2 centroid connector, 3 link closed to a class in the model.
    class_trips : dict
        Class name → its OD in PCU/h (zone numbers; intrazonal cells included), for
        ``write_problem(..., extra_trips=class_trips)``.

    Raises
    ------
    TntpError
        An unknown ``vdf``; a centroid that is not a node or is given twice; an edge without
        a finite ``travel_time``, ``capacity`` or ``length`` >= 0 (or a conical alpha <= 1);
        class names given twice, a ``pce`` that is not positive; demand that is negative or
        not a number, or between nodes that are not centroids.
    """
    from sanqu_geo import settings

    vdf = str(vdf).lower()
    if vdf not in _VDF_NAMES:
        msg = f"vdf must be 'bpr' or 'conical', got {vdf!r}"
        raise TntpError(msg)
    cents = list(centroids.values()) if isinstance(centroids, Mapping) else list(centroids)
    zone_of: dict[Hashable, int] = {}
    for node in cents:
        if node not in G:
            msg = f"centroid {node!r} is not a node of the graph; give the graph's centroid nodes"
            raise TntpError(msg)
        if node in zone_of:
            msg = f"centroid {node!r} is given twice; give each zone's centroid once"
            raise TntpError(msg)
        zone_of[node] = len(zone_of) + 1
    number = dict(zone_of)
    for node in G.nodes:
        if node not in number:
            number[node] = len(number) + 1
    from sanqu_geo.assignment import _check_classes, _class_trips

    _check_classes(classes)  # the rules the assignment holds classes to
    names = [c.name for c in classes]

    rows = []
    closed = dict.fromkeys(names, 0)
    differ = dict.fromkeys(names, 0)
    for u, v, k, data in G.edges(keys=True, data=True):
        t = _edge_number(data, "travel_time")
        cap = _edge_number(data, "capacity")
        length = _edge_number(data, "length")
        for attr, value, unit in (("travel_time", t, "s"), ("capacity", cap, "PCU/h"),
                                  ("length", length, "m")):  # fmt: skip
            if not (math.isfinite(value) and value >= 0):
                msg = (
                    f"edge {(u, v, k)!r}: {attr} is {data.get(attr)!r}; every edge needs a "
                    f"finite {attr} >= 0 ({unit})"
                )
                raise TntpError(msg)
        if vdf == "bpr":
            b = _edge_number(data, "bpr_alpha", settings.bpr_alpha)
            power = _edge_number(data, "bpr_beta", settings.bpr_beta)
            ok = math.isfinite(b) and b >= 0 and math.isfinite(power) and power >= 0
            rule = "bpr_alpha and bpr_beta must be finite numbers >= 0"
        else:
            b = _edge_number(data, "conical_alpha", settings.conical_alpha)
            power = 0.0
            ok = math.isfinite(b) and b > 1
            rule = "conical_alpha must be a finite number > 1"
        if not ok:
            msg = f"edge {(u, v, k)!r}: {rule}"
            raise TntpError(msg)
        link_type = 2 if (u in zone_of or v in zone_of) else 1
        for c in classes:
            own = _edge_number(data, c.time_attr, math.inf)
            if not math.isfinite(own):
                closed[c.name] += 1
                link_type = 3
            elif own != t:
                differ[c.name] += 1
        speed = _edge_number(data, "speed_kph", 0.0)
        rows.append(
            (number[u], number[v], cap, length / 1000.0, t / 60.0, b, power,
             speed if math.isfinite(speed) and speed > 0 else 0.0, 0.0, link_type)
        )  # fmt: skip
    links = pd.DataFrame(rows, columns=list(_WRITE_COLUMNS))
    links = links.astype({"init_node": np.int64, "term_node": np.int64, "link_type": np.int64})
    links["cost0"] = links["free_flow_time"].to_numpy(float)

    class_trips: dict[str, pd.DataFrame] = {}
    for c in classes:
        od = c.od
        trips = _class_trips(c)
        keep = trips > 0
        ends = []
        for col in ("origin", "destination"):
            vals = od[col].to_numpy()[keep]
            for val in pd.unique(vals):
                if val not in zone_of:
                    msg = (
                        f"demand of class {c.name}: {col} {val!r} is not a centroid; TNTP "
                        f"trips run between the zones 1..{len(zone_of)} (the centroids)"
                    )
                    raise TntpError(msg)
            ends.append(np.fromiter((zone_of[x] for x in vals), np.int64, len(vals)))
        frame = (
            pd.DataFrame({"origin": ends[0], "destination": ends[1], "trips": trips[keep] * c.pce})
            .groupby(["origin", "destination"], as_index=False, sort=True)["trips"]
            .sum()
        )
        frame.attrs["note"] = (
            f"class {c.name}: vehicles/h x pce {c.pce:g} = PCU/h, zones as in {name}_net.tntp"
        )
        class_trips[c.name] = frame
    parts = [f for f in class_trips.values() if len(f)]
    total = (
        pd.concat(parts, ignore_index=True)
        .groupby(["origin", "destination"], as_index=False, sort=True)["trips"]
        .sum()
        if parts
        else _empty_od()
    )
    total = total[total["trips"] > 0]
    same = total["origin"] == total["destination"]
    od_total = total[~same].reset_index(drop=True)
    intrazonal = total[same].reset_index(drop=True)
    od_total.attrs["intrazonal_trips"] = float(intrazonal["trips"].sum())

    shares = ", ".join(f"{c.name} x {c.pce:g}" for c in classes) or "none"
    notes = [
        f"{name}: the model's assignment graph and demand as one TNTP problem (sanqu_geo.tntp)",
        f"zones 1..{len(zone_of)} are the centroids; nodes from {len(zone_of) + 1} are the "
        "graph's other nodes",
        "units: free_flow_time min, length km, capacity PCU/h, speed km/h (0 where unknown), "
        "trips PCU/h",
        f"trips: the sum over classes of vehicles/h x pce ({shares}); one class's table in "
        f"{name}_trips_<class>.tntp",
        "left out: the classes' own free-flow times and bans; every link's time is the "
        "reference (car) free-flow time, also on links closed to a class",
        "link_type: 1 road, 2 centroid connector, 3 link closed to a class in the model ("
        + (", ".join(f"{n}: {closed[n]}" for n in names) or "none")
        + ")",
    ]
    slower = [f"{n}: {differ[n]}" for n in names if differ[n]]
    if slower:
        notes.append(
            "links where a class's own free-flow time differs from free_flow_time: "
            + ", ".join(slower)
        )
    if vdf == "conical":
        notes.append(
            "VDF CONICAL (Spiess 1990): column b is the conical alpha a, power is 0; time = "
            "free_flow_time * (2 + sqrt(a^2 (1 - x)^2 + c^2) - a (1 - x) - c), "
            "c = (2a - 1)/(2a - 2), x = volume/capacity"
        )
    else:
        notes.append("VDF BPR: time = free_flow_time * (1 + b (volume/capacity)^power)")
    problem = TntpProblem(
        name=name,
        links=links,
        od=od_total,
        zones=len(zone_of),
        first_thru_node=len(zone_of) + 1,
        vdf=vdf,
        intrazonal=intrazonal,
        notes=notes,
    )
    return problem, class_trips
