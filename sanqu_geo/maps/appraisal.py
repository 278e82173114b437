"""Print maps of the corridor appraisal: minutes to the airport in three panels (base, base
with a closure, an option with the closure) and the change of truck minutes to a logistics
place. Draws the zone tables of :mod:`sanqu_geo.appraisal.tasks`; never computes travel times.

The maps and what they share live in :mod:`sanqu_geo.maps.airport_access`,
:mod:`sanqu_geo.maps.truck_time` and :mod:`sanqu_geo.maps.appraisal_style`; this module
draws a comparison's maps and re-exports their public names.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd

from sanqu_geo import network, scenarios
from sanqu_geo.errors import DataSourceError, ScenarioError
from sanqu_geo.maps import furniture as _f
from sanqu_geo.maps.airport_access import _trip_mean, airport_access_figure, airport_access_map
from sanqu_geo.maps.appraisal_style import (
    CHANGE_COLOURS,
    LITTLE_CHANGE_MIN,
    MINUTES_CMAP,
    _option_of,
    change_breaks,
    minute_breaks,
)
from sanqu_geo.maps.appraisal_style import MAX_MINUTE_CLASSES as MAX_MINUTE_CLASSES
from sanqu_geo.maps.truck_time import truck_time_figure, truck_time_map

logger = logging.getLogger(__name__)

__all__ = [
    "CHANGE_COLOURS",
    "LITTLE_CHANGE_MIN",
    "MINUTES_CMAP",
    "airport_access_figure",
    "airport_access_map",
    "change_breaks",
    "draw_appraisal_maps",
    "minute_breaks",
    "truck_time_figure",
    "truck_time_map",
]


def _worst_closure(
    appraisal: Any, sc: scenarios.Scenario, group: scenarios.Group, table: pd.DataFrame
) -> str | None:
    """The closure under which the base's mean minutes to the airport are highest."""
    closures = {c.id for c in sc.conditions if any(e.kind == "close" for e in c.edits)}
    solved = [c for c in dict.fromkeys(table["condition"].astype(str)) if c != "normal"]
    candidates = [c for c in solved if c in closures] or solved
    if not candidates:
        return None
    task = appraisal.tasks.get(f"task{group.task}") if group.task is not None else None
    if task is not None and {"condition", "option", "mean_min"} <= set(task.columns):
        base = task[task["option"] == "base"].set_index("condition")["mean_min"]
        scored = {c: float(base[c]) for c in candidates if c in base.index}
        if scored:
            return max(scored, key=lambda c: scored[c])
    # the task table lacks them: the zone table's own trip-weighted means
    base = table[table["option"] == "base"]
    means = {c: _trip_mean(base[base["condition"] == c]) for c in candidates}
    return max(means, key=lambda c: -math.inf if math.isnan(means[c]) else means[c])


def draw_appraisal_maps(
    comparison: Any,
    folder: str | os.PathLike[str],
    *,
    scenario: scenarios.Scenario | None = None,
) -> list[str]:
    """The appraisal maps of a comparison's output folder (PNG and PDF of each).

    For every option of an airport-access group, ``airport-access-<option>``: the panels of
    :func:`airport_access_figure` under the closure whose base mean minutes are highest. For
    every logistics group, ``truck-time-<option>``: the truck-minute change of the option
    highest on the group's measure to the group's first place. A missing table, option or place gives no
    map and a log message.

    Parameters
    ----------
    comparison : sanqu_geo.compare.Comparison
        With ``appraisal`` (:class:`sanqu_geo.appraisal.tasks.Appraisal`), ``scenario`` and
        ``network_source``.
    folder : path-like
        The output folder (created if missing).
    scenario : Scenario, optional
        Default: ``comparison.scenario``.

    Returns
    -------
    list of str
        The files written, relative to ``folder``.
    """
    from sanqu_geo import demand

    sc = scenario if scenario is not None else comparison.scenario
    appraisal = getattr(comparison, "appraisal", None)
    if appraisal is None:
        logger.info("the comparison has no appraisal: no appraisal maps")
        return []
    folder = Path(folder)
    tables = getattr(appraisal, "zones", None) or {}
    measures = {gid: sc.group(gid) for gid in sc.groups}
    wanted = {g.measure for g in measures.values()} & {"airport_access", "logistics"}
    if not wanted:
        return []
    zones = demand.load_demand(network=sc.network, compute_default=False).zones
    G = network.load_network(sc.network)
    label = str(getattr(comparison, "network_source", "") or sc.network)
    years = getattr(appraisal, "network_time", pd.DataFrame())
    year = int(years["year"].min()) if len(years) and "year" in years.columns else None
    written: list[Path] = []
    common = {"network_label": label, "scenario": sc, "roads": G, "year": year}
    for gid, g in measures.items():
        if g.measure == "airport_access":
            table = tables.get("airport")
            if table is None or not len(table):
                logger.warning(
                    "no zone table of airport access in the appraisal: no map of %s", gid
                )
                continue
            condition = _worst_closure(appraisal, sc, g, table)
            if condition is None:
                logger.warning("no closure was solved for %s: no airport-access map", gid)
                continue
            for o in sc.groups[gid]:
                if not ((table["option"] == o.id) & (table["condition"] == condition)).any():
                    logger.info("%s was not solved with %s: no airport-access map", o.id, condition)
                    continue
                try:
                    written += airport_access_map(
                        zones, table, option=o.id, condition=condition,
                        path_stem=folder / f"airport-access-{o.id}",
                        title_zh=f"机场可达性:{o.title_zh}", title_en=f"Airport access: {o.title_en}",
                        **common,
                    )  # fmt: skip
                except (DataSourceError, ScenarioError) as exc:
                    logger.warning("no airport-access map of %s: %s", o.id, exc)
        elif g.measure == "logistics":
            table = tables.get("trucks")
            if table is None or not len(table):
                logger.warning("no zone table of truck minutes in the appraisal: no map of %s", gid)
                continue
            overall = appraisal.overall
            part = overall[(overall["group"] == gid) & overall["measure_value"].notna()]
            if not len(part):
                logger.warning("%s has no option with a figure: no truck-time map", gid)
                continue
            # the option highest on the task's measure (named best only beyond solver noise)
            oid = str(part.loc[part["measure_value"].idxmax(), "option"])
            o = _option_of(sc, oid)
            place = g.places[0] if g.places else None
            if place is None:
                logger.warning("%s names no places: no truck-time map", gid)
                continue
            try:
                written += truck_time_map(
                    zones, table, option=oid, place=place, path_stem=folder / f"truck-time-{oid}",
                    title_zh=f"货车时间变化:{o.title_zh if o else oid}",
                    title_en=f"Change in truck minutes: {o.title_en if o else _f._humanise(oid)}",
                    **common,
                )  # fmt: skip
            except (DataSourceError, ScenarioError) as exc:
                logger.warning("no truck-time map of %s: %s", oid, exc)
    return [p.relative_to(folder).as_posix() for p in written]
