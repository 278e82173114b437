"""Logistics: truck minutes between the logistics nodes, and who uses a freight option."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sanqu_geo import assignment
from sanqu_geo.appraisal import skims

__all__ = ["END_SHARE_FLAG", "LOGISTICS_NODES", "node_minutes", "truck_end_share"]

#: The logistics nodes of the three zones and one port: zone id → (中文, English).
LOGISTICS_NODES: dict[str, tuple[str, str]] = {
    "inland_port": ("内陆港", "Inland port"),
    "container_centre": ("集装箱中心站", "Container centre"),
    "cbz_phase1": ("综保区", "Bonded zone"),
    "airport_zone": ("空港货运区", "Airport cargo area"),
    "new_area_jiangbei": ("新区(江北)", "New Area (Jiangbei)"),
    "ftz_harbin": ("自贸区", "FTZ"),
}

#: A freight option whose trucks have a logistics-node or airport end less often than this
#: is flagged: it mostly serves other traffic.
END_SHARE_FLAG: float = 0.5


def node_minutes(run: Any, nodes: tuple[str, ...] = ()) -> pd.DataFrame:
    """Congested truck minutes between every pair of logistics nodes of the run.

    Parameters
    ----------
    run : PeakRun
        A solved peak hour.
    nodes : tuple of str
        The nodes (default: :data:`LOGISTICS_NODES`).

    Returns
    -------
    pandas.DataFrame
        ``from``, ``to``, ``minutes`` (nodes the run's zones lack are left out).
    """
    ids = [z for z in (nodes or tuple(LOGISTICS_NODES)) if z in run.centroids]
    table = skims.zone_minutes(run, ids, cls="truck")
    rows = [
        {"from": a, "to": b, "minutes": float(table.loc[a, b])} for a in ids for b in ids if a != b
    ]
    return pd.DataFrame(rows)


def truck_end_share(run: Any, links: list[tuple], *, ends: set[str] | None = None) -> dict:
    """Trucks on some links, and the share whose trip starts or ends at a logistics node.

    Parameters
    ----------
    run : PeakRun
        A solved peak hour.
    links : list of (u, v, key)
        The option's links (its corridor, its truck-only lanes).
    ends : set of str, optional
        Zone ids that count as an end (default: :data:`LOGISTICS_NODES` and ``airport``).

    Returns
    -------
    dict
        ``trucks`` (trucks per hour on paths through the links), ``trucks_with_end``,
        ``end_share`` (NaN when no truck uses them) and ``flag`` (share below
        :data:`END_SHARE_FLAG`).
    """
    ends = ends if ends is not None else set(LOGISTICS_NODES) | {"airport"}
    if not links:
        return {"trucks": 0.0, "trucks_with_end": 0.0, "end_share": np.nan, "flag": True}
    frame = assignment.select_link(run.result, links)
    frame = frame[frame["class"] == "truck"]
    zone_of = {node: zone for zone, node in run.centroids.items()}
    o, d = frame["origin"].map(zone_of), frame["destination"].map(zone_of)
    has_end = o.isin(ends) | d.isin(ends)
    trucks = float(frame["flow"].sum())
    with_end = float(frame.loc[has_end, "flow"].sum())
    share = with_end / trucks if trucks > 0 else np.nan
    return {
        "trucks": trucks,
        "trucks_with_end": with_end,
        "end_share": share,
        "flag": bool(not share >= END_SHARE_FLAG),
    }
