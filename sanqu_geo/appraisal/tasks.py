"""Each plan task's own question, answered from the runs: one table per task, and the whole.

Runs every road option (and the base) for every demand year and period of the scenario,
and in every condition (a closure, winter) that names its group; then reads each task's
measure: airport access (36), truck minutes between the logistics nodes and who uses a
freight option (35, 39), rail door to door (37), the Jilin-side exits (38); network time,
accessibility and the economics for every option. Never draws and never writes files.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from sanqu_geo import forecast, peak, scenarios
from sanqu_geo.appraisal import (
    accessibility,
    airport_access,
    economics,
    logistics,
    network_time,
    rail,
)
from sanqu_geo.errors import ScenarioError

logger = logging.getLogger(__name__)

__all__ = ["JILIN_EXITS", "Appraisal", "appraise", "measure_spec", "unit_measures"]

#: External zones toward Jilin (task 38): id → (中文, English).
JILIN_EXITS: dict[str, tuple[str, str]] = {
    "ext_g1": ("G1京哈高速出口", "G1 exit"),
    "ext_hashuang": ("哈双北线出口", "哈双北线 exit"),
}

#: Places the Jilin-side exits are timed to (task 38).
JILIN_TARGETS: tuple[str, ...] = ("airport", "inland_port", "new_area_jiangbei")

#: An option is named highest on its task's measure only when it leads the next by more than
#: this (minutes): closer is within what the assignment's gap and the skims can tell apart.
BEST_MARGIN: float = 0.1

#: Places whose accessibility every option reports.
ACCESS_PLACES: tuple[str, ...] = ("airport_zone", "inland_port")


@dataclasses.dataclass
class Appraisal:
    """The per-task tables and the tables every task shares.

    Attributes
    ----------
    tasks : dict of DataFrame
        ``task35`` … ``task39``: each task's own measure (see the module docstring).
    network_time : DataFrame
        Vehicle-hours and vehicle-km saved by option, class, year, period and condition.
    accessibility : DataFrame
        Residents and jobs within 30/45/60 min of the airport zone and the inland port.
    economics : DataFrame
        Benefit per year, NPV, BCR and first-year return per option.
    overall : DataFrame
        One row per option: its task, its own measure's headline, time saved, economics and a
        sentence.
    assumptions : DataFrame
        Every factor used, with its source.
    runs : int
        Assignments solved (including cached ones).
    skipped : list of str
        Conditions left out because the network lacks the roads they close.
    zones : dict of DataFrame
        Zone by zone, for the maps: ``airport`` (``zone``, ``condition``, ``option``,
        ``minutes_to``, ``minutes_from``, ``trips_to``, ``trips_from``: the airport-access
        groups' options and the base, normally and in each condition) and ``trucks``
        (``zone``, ``option``, ``place``, ``minutes``: congested truck minutes from every zone
        to each logistics place of the logistics groups, base and options, normal network).
    """

    tasks: dict[str, pd.DataFrame]
    network_time: pd.DataFrame
    accessibility: pd.DataFrame
    economics: pd.DataFrame
    overall: pd.DataFrame
    assumptions: pd.DataFrame
    runs: int = 0
    skipped: list = dataclasses.field(default_factory=list)
    zones: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)


def _option_links(run: peak.PeakRun, option: scenarios.Option) -> list[tuple]:
    """An option's own links: its corridors (not the connectors) and its truck-only lanes."""
    ids = {c.id for c in option.corridors}
    edit_ids = {e.id for e in option.edits}
    out = []
    for e in run.result.edges:
        data = run.graph.edges[e]
        if data.get("highway") == "connector":
            continue
        if data.get("corridor") in ids or data.get("truck_lanes_of") in edit_ids:
            out.append(e)
    return out


def cut_off(run: peak.PeakRun, option: scenarios.Option | None) -> bool:
    """Whether a closure left part of an option's own links outside the network's main body
    (a corridor whose interchange lay on the closed road ends in a dead end)."""
    if option is None:
        return False
    links = _option_links(run, option)
    if not links:
        return False
    G = run.graph.subgraph(n for n in run.graph if n not in set(run.centroids.values()))
    main = max(nx.strongly_connected_components(G), key=len)
    return any(u not in main or v not in main for u, v, _ in links)


def appraise(
    sc: scenarios.Scenario,
    d: Any,
    *,
    gap: float,
    costs: pd.DataFrame | None = None,
    conditions: tuple[str, ...] | None = None,
    years: tuple[int, ...] | None = None,
    periods: tuple[str, ...] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Appraisal:
    """Solve what every task's measure needs and build the tables.

    Parameters
    ----------
    sc : Scenario
        The options (their groups name their task and measure).
    d : Demand
        The demand in use (the base year's morning peak).
    gap : float
        Relative gap of every solve.
    costs : pandas.DataFrame, optional
        A user's costs (``option``, ``cost_yi_yuan``, ``source``; checked at the door); they
        replace published ones.
    conditions : tuple of str, optional
        Conditions to solve (default: those of the file with ``run = true``).
    years, periods : tuple, optional
        Default: the scenario's.
    progress : callable, optional
        Called with a short description of each step.

    Returns
    -------
    Appraisal

    Raises
    ------
    ScenarioError
        Bad costs (see :func:`sanqu_geo.compare.check_costs`).
    """
    if costs is not None:
        from sanqu_geo.compare import check_costs

        costs = check_costs(costs, sc)
    say = progress or (lambda text: None)
    years = tuple(years or sc.years)
    periods = tuple(periods or sc.periods)
    wanted = [c for c in sc.conditions if (c.id in conditions if conditions is not None else c.run)]
    options = [o for o in sc.options if not o.rail]
    count = 0

    def solve(option, demand_, condition=None):
        nonlocal count
        count += 1
        extra = condition.edits if condition is not None else ()
        factor = condition.capacity_factor if condition is not None else 1.0
        return peak.solve(
            option, source=sc.network, demand_=demand_, gap=gap, extra=extra,
            variant=peak.Variant(capacity_scale=factor),
        )  # fmt: skip

    # ---- network time, every year × period
    time_rows = []
    normal: dict[str, peak.PeakRun] = {}
    for year in years:
        for period in periods:
            dyp = forecast.demand_for(d, year=year, period=period)
            say(f"{year} {period}: base")
            base = solve(None, dyp)
            keep = year == years[0] and period == "am_peak"  # what the measures read
            for o in options:
                say(f"{year} {period}: {o.id}")
                run = solve(o, dyp)
                rows = network_time.saved(base, run, year=year, period=period)
                time_rows += [{"option": o.id, "group": o.group, **r} for r in rows]
                if keep:
                    normal[o.id] = run
                else:  # only its vehicle-hours are read: free the memory of a city-size run
                    peak.release(run)
            if keep:
                normal["base"] = base
            else:
                peak.release(base)
    if "base" not in normal:  # the first year's morning peak is what every measure reads
        normal["base"] = solve(None, d)
        for o in options:
            normal[o.id] = solve(o, d)

    # ---- conditions (closures, winter), the base year's morning peak
    cond_runs: dict[tuple[str, str], peak.PeakRun] = {}
    cuts: set[tuple[str, str]] = set()
    skipped = []
    for c in list(wanted):
        say(f"{c.id}: base")
        try:
            cond_runs[(c.id, "base")] = solve(None, d, c)
        except ScenarioError as exc:  # a closure of a road this network does not have
            if "no road of the network" not in str(exc):
                raise
            logger.warning("condition %s left out: %s", c.id, exc)
            skipped.append(c.id)
            wanted.remove(c)
            continue
        for o in options:
            if not c.groups or o.group in c.groups:
                say(f"{c.id}: {o.id}")
                cond_runs[(c.id, o.id)] = solve(o, d, c)
                if cut_off(cond_runs[(c.id, o.id)], o):
                    logger.warning("%s: the closure %s cuts the option's links off", o.id, c.id)
                    cuts.add((c.id, o.id))
                rows = network_time.saved(
                    cond_runs[(c.id, "base")], cond_runs[(c.id, o.id)], year=years[0],
                    period="am_peak", condition=c.id,
                )  # fmt: skip
                time_rows += [
                    {"option": o.id, "group": o.group, **r,
                     "option_cut_off": (c.id, o.id) in cuts}
                    for r in rows
                ]  # fmt: skip
    time_table = pd.DataFrame(time_rows)
    if "option_cut_off" in time_table:
        time_table["option_cut_off"] = time_table["option_cut_off"].fillna(False).astype(bool)

    say("measures")
    tasks: dict[str, pd.DataFrame] = {}
    by_group = sc.groups
    for gid, members in by_group.items():
        g = sc.group(gid)
        key = f"task{g.task}" if g.task is not None else gid
        if g.measure == "airport_access":
            tasks[key] = _airport_table(sc, d, normal, cond_runs, members, wanted, cuts)
        elif g.measure == "logistics":
            tasks[key] = _logistics_table(normal, cond_runs, members, wanted, g.places, cuts, d)
        elif g.measure == "rail":
            tasks[key] = _rail_table(normal["base"], d, members)
        elif g.measure == "external":
            tasks[key] = _external_table(normal, members)
    access = _accessibility(normal, d, options)
    zone_tables = _zone_tables(sc, d, normal, cond_runs, wanted)
    econ, assumptions = _economics(sc, time_table, options, costs)
    overall = _overall(sc, options, time_table, tasks, econ, years[0])
    return Appraisal(
        tasks, time_table, access, econ, overall, assumptions, count, skipped, zone_tables
    )


def _zone_tables(sc, d, normal, cond_runs, wanted) -> dict[str, pd.DataFrame]:
    from sanqu_geo.appraisal import skims

    airport, trucks = [], []
    for gid, members in sc.groups.items():
        g = sc.group(gid)
        ids = ["base"] + [o.id for o in members if o.id in normal]
        if g.measure == "airport_access":
            states = [("normal", normal)] + [
                (c.id, {k[1]: r for k, r in cond_runs.items() if k[0] == c.id}) for c in wanted
            ]
            for cid, runs in states:
                for oid in ids:
                    if oid in runs:
                        table = airport_access.by_zone(runs[oid], d)
                        airport.append(table.assign(condition=cid, option=oid))
        elif g.measure == "logistics":
            for oid in ids:
                for place in g.places or tuple(logistics.LOGISTICS_NODES):
                    if place in normal[oid].centroids:
                        m = skims.minutes_to(normal[oid], place, cls="truck")
                        trucks.append(pd.DataFrame(
                            {"zone": m.index, "option": oid, "place": place,
                             "minutes": m.to_numpy()}
                        ))  # fmt: skip
    out = {}
    if airport:
        out["airport"] = pd.concat(airport, ignore_index=True).drop_duplicates(
            ["zone", "condition", "option"]
        )
    if trucks:
        out["trucks"] = pd.concat(trucks, ignore_index=True).drop_duplicates(
            ["zone", "option", "place"]
        )
    return out


# --------------------------------------------------------------------------- task tables


def _airport_table(sc, d, normal, cond_runs, members, wanted, cuts=frozenset()) -> pd.DataFrame:
    ref = airport_access.by_zone(normal["base"], d)
    rows = []
    states = [(None, "normal", "平时", "normal")] + [
        (c, c.id, c.title_zh, c.title_en) for c in wanted
    ]
    for c, cid, zh, en in states:
        for oid in ["base"] + [o.id for o in members if not o.rail]:
            run = normal.get(oid) if c is None else cond_runs.get((cid, oid))
            if run is None:
                continue
            table = airport_access.by_zone(run, d)
            s = airport_access.summary(table, ref)
            vh = run.vehicle_hours()
            rows.append(
                {"condition": cid, "condition_zh": zh, "condition_en": en, "option": oid,
                 **s, "vht": vh["car"] + vh["truck"], "option_cut_off": (cid, oid) in cuts}
            )  # fmt: skip
    out = pd.DataFrame(rows)
    if len(out):
        base_vht = out[out["option"] == "base"].set_index("condition")["vht"]
        out["vht_saved"] = out["condition"].map(base_vht) - out["vht"]
    return out


def _logistics_table(
    normal, cond_runs, members, wanted, places=(), cuts=frozenset(), d=None
) -> pd.DataFrame:
    rows = []
    states = [("normal", normal)] + [
        (c.id, {k[1]: r for k, r in cond_runs.items() if k[0] == c.id}) for c in wanted
    ]
    base = logistics.node_minutes(normal["base"], places).set_index(["from", "to"])["minutes"]
    for cid, runs in states:
        if not any(o.id in runs for o in members):
            continue
        base_c = logistics.node_minutes(runs["base"], places).set_index(["from", "to"])["minutes"]
        for oid in ["base"] + [o.id for o in members]:
            if oid not in runs:
                continue
            mins = logistics.node_minutes(runs[oid], places)
            for r in mins.itertuples():
                rows.append(
                    {"condition": cid, "option": oid, "from": r[1], "to": r[2],
                     "from_zh": logistics.LOGISTICS_NODES[r[1]][0],
                     "to_zh": logistics.LOGISTICS_NODES[r[2]][0], "truck_min": r.minutes,
                     "saved_min": float(base_c.get((r[1], r[2]), np.nan)) - r.minutes,
                     "saved_vs_normal_base_min": float(base.get((r[1], r[2]), np.nan))
                     - r.minutes, "option_cut_off": (cid, oid) in cuts}
                )  # fmt: skip
    out = pd.DataFrame(rows)
    if len(out) and d is not None:  # each pair weighted by its trucks (both ways), for the headline
        od = d.od[d.od["class"] == "truck"].groupby(["origin", "destination"])["trips"].sum()
        out["base_trucks"] = [
            float(od.get((a, b), 0.0)) for a, b in zip(out["from"], out["to"], strict=True)
        ]
    shares = []
    for o in members:
        if o.id in normal:
            run = normal[o.id]
            shares.append({"option": o.id, **logistics.truck_end_share(run, _option_links(run, o))})
    if shares:
        out.attrs["truck_end_share"] = pd.DataFrame(shares)
    return out


def _rail_table(base_run, d, members) -> pd.DataFrame:
    from sanqu_geo.compare import _class_graph

    car = _class_graph(base_run, "car")
    trips = d.od[d.od["class"] == "car"][["origin", "destination", "trips"]]
    frames = []
    for o in members:
        for c in o.corridors:
            if c.kind != "rail_art":
                continue
            table = rail.door_to_door(c, car, d.zones, trips)
            table.insert(0, "option", o.id)
            s = rail.summary(table)
            table.attrs["summary"] = s
            frames.append(table)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _external_table(normal, members) -> pd.DataFrame:
    from sanqu_geo.appraisal import skims

    rows = []
    exits = _jilin_exits(normal["base"])
    for oid in ["base"] + [o.id for o in members if o.id in normal]:
        run = normal[oid]
        for ext, (zh, en) in exits.items():
            for cls in ("car", "truck"):
                to = skims.minutes_from(run, ext, cls=cls)
                for target in JILIN_TARGETS:
                    if target in to.index:
                        rows.append({"option": oid, "exit": ext, "exit_zh": zh, "exit_en": en, "class": cls,
                                     "to": target, "minutes": float(to[target])})  # fmt: skip
    out = pd.DataFrame(rows)
    if len(out):
        base = out[out["option"] == "base"].set_index(["exit", "class", "to"])["minutes"]
        out["saved_min"] = [
            float(base.get((r["exit"], r["class"], r["to"]), np.nan)) - r["minutes"]
            for r in out.to_dict("records")
        ]
    use = []
    for o in members:
        if o.id in normal:
            run = normal[o.id]
            ends = set(exits)
            links = _option_links(run, o)
            share = logistics.truck_end_share(run, links, ends=ends) if links else {}
            use.append({"option": o.id, "trucks_on_option": share.get("trucks", 0.0),
                        "trucks_with_jilin_end": share.get("trucks_with_end", 0.0)})  # fmt: skip
    out.attrs["use"] = pd.DataFrame(use)
    return out


def _jilin_exits(run: peak.PeakRun) -> dict[str, tuple[str, str]]:
    """The Jilin-side exits of the run's zones; on the trunk sketch, whose districts load at
    their cordon points, the 双城 district stands for them (it loads where 哈双北线 and G1
    leave the sketch toward Jilin)."""
    found = {z: names for z, names in JILIN_EXITS.items() if z in run.centroids}
    if not found and "shuangcheng" in run.centroids:
        found = {"shuangcheng": ("双城(吉林方向出口)", "双城 (toward Jilin)")}
    return found


def _accessibility(normal, d, options) -> pd.DataFrame:
    rows = []
    for oid in ["base"] + [o.id for o in options]:
        for place in ACCESS_PLACES:
            if place in normal[oid].centroids:
                rows.append(
                    {"option": oid, "place": place,
                     **accessibility.within(normal[oid], d.zones, place)}
                )  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- economics


def _economics(sc, time_table, options, costs) -> tuple[pd.DataFrame, pd.DataFrame]:
    params = economics.load_parameters()
    hours = forecast.period_hours_per_year()
    normal = time_table[time_table["condition"] == "normal"]
    user = costs.set_index("option") if costs is not None else None
    rows = []
    mirrored = "pm_peak" not in set(normal["period"])
    for o in options:
        part = normal[normal["option"] == o.id][["year", "period", "class", "vht_saved",
                                                "vkt_change"]]  # fmt: skip
        if mirrored:  # the evening peak mirrors the morning's (its OD is the AM OD transposed)
            pm = part[part["period"] == "am_peak"].assign(period="pm_peak")
            part = pd.concat([part, pm], ignore_index=True)
        use = {p: h for p, h in hours.items() if p in set(part["period"])}
        benefits = economics.annual_benefits(part, params=params, period_hours=use)
        if user is not None and o.id in user.index:
            cost, source = (
                float(user.loc[o.id, "cost_yi_yuan"]) * 1e8,
                str(user.loc[o.id, "source"]),
            )
        elif o.cost is not None:
            cost, source = o.cost, "published"
        else:
            cost, source = math.nan, "not published"
        opening = o.opening_year or sc.opening_year
        result = economics.appraise(benefits, cost_yuan=cost, opening_year=opening, params=params)
        first = benefits.sort_values("year")
        y0, y1 = int(first["year"].iloc[0]), int(first["year"].iloc[-1])
        rows.append(
            {
                "option": o.id, "group": o.group, "opening_year": opening,
                "ex_post": opening <= params.base_year,
                f"vht_saved_per_year_{y0}": float(
                    first["vht_saved_car"].iloc[0] + first["vht_saved_truck"].iloc[0]
                ),
                f"benefit_{y0}_yuan": float(first["benefit_yuan"].iloc[0]),
                f"benefit_{y1}_yuan": float(first["benefit_yuan"].iloc[-1]),
                "pv_benefits_yi_yuan": result.pv_benefits_yuan / 1e8,
                "cost_yi_yuan": cost / 1e8, "cost_source": source,
                "npv_yi_yuan": result.npv_yuan / 1e8, "bcr": result.bcr,
                "fyrr_percent": result.fyrr * 100.0,
                "pm_peak": "AM mirrored, not solved" if mirrored else "solved",
                "benefits_counted": "time saved on normal days; no value for resilience to "
                "closures (no closure frequency is published)",
            }
        )  # fmt: skip
    table = economics.assumptions_table(params)
    periods = forecast.period_table()
    extra = pd.DataFrame(
        {"factor_zh": "时段年当量小时 " + periods["name_zh"].astype(str),
         "factor_en": "equivalent hours a year, " + periods["name_en"].astype(str),
         "value": periods["id"].map(hours).to_numpy(), "unit": "h/yr",
         "source": periods["source"].astype(str)}
    )  # fmt: skip
    if mirrored:
        extra = pd.concat([extra, pd.DataFrame([{
            "factor_zh": "晚高峰未单独求解,节省取早高峰值",
            "factor_en": "evening peak not solved: its saving taken equal to the morning peak's",
            "value": 1.0, "unit": "× AM", "source": "assumption (the scenario's periods leave "
            "pm_peak out; add it to [scenario] periods or --periods to solve it)",
        }])], ignore_index=True)  # fmt: skip
    return pd.DataFrame(rows), pd.concat([table, extra], ignore_index=True)


# --------------------------------------------------------------------------- overall


def _overall(sc, options, time_table, tasks, econ, year) -> pd.DataFrame:
    rows = []
    t = time_table[(time_table["condition"] == "normal") & (time_table["year"] == year)
                   & (time_table["period"] == "am_peak")]  # fmt: skip
    vht = t.groupby("option")["vht_saved"].sum()
    by_class = t.pivot_table(index="option", columns="class", values="vht_saved", aggfunc="sum")
    econ = econ.set_index("option")
    for o in options:
        g = sc.group(o.group)
        key = f"task{g.task}" if g.task is not None else o.group
        zh, en, value, unit = _headline(g, o, tasks.get(key))
        e = econ.loc[o.id]
        rows.append(
            {
                "task": g.task, "group": o.group, "option": o.id, "title_zh": o.title_zh,
                "title_en": o.title_en, "measure": g.measure, "measure_value": value,
                "measure_unit": unit, "vht_saved_am": float(vht.get(o.id, np.nan)),
                "vht_saved_am_car": float(by_class.loc[o.id, "car"]) if o.id in by_class.index else np.nan,
                "vht_saved_am_truck": float(by_class.loc[o.id, "truck"]) if o.id in by_class.index else np.nan,
                "pv_benefits_yi_yuan": e["pv_benefits_yi_yuan"], "cost_yi_yuan": e["cost_yi_yuan"],
                "npv_yi_yuan": e["npv_yi_yuan"], "bcr": e["bcr"], "ex_post": bool(e["ex_post"]),
                "opening_year": int(e["opening_year"]), "sentence_zh": zh,
                "sentence_en": en,
            }
        )  # fmt: skip
    out = pd.DataFrame(rows)
    if len(out):
        # Highest on the task's own measure, when it leads the next by more than solver noise
        out["best_in_task"] = False
        for _, part in out.groupby("group"):
            values = part["measure_value"].dropna().sort_values(ascending=False)
            if len(values) and (len(values) == 1 or values.iloc[0] - values.iloc[1] > BEST_MARGIN):
                out.loc[values.index[0], "best_in_task"] = True
    return out


def _headline(g: scenarios.Group, o: scenarios.Option, table: pd.DataFrame | None):
    """The option's figure on its task's own measure (larger is better) and a sentence."""
    if table is None or not len(table):
        return "", "", np.nan, ""
    if g.measure == "airport_access":
        mine = table[table["option"] == o.id].set_index("condition")
        base = table[table["option"] == "base"].set_index("condition")
        closed = [c for c in mine.index if c != "normal"]
        worst = max(closed, key=lambda c: base.loc[c, "mean_min"]) if closed else "normal"
        saved = float(base.loc[worst, "mean_min"] - mine.loc[worst, "mean_min"])
        if bool(mine.loc[worst].get("option_cut_off", False)):
            saved = np.nan
        lose_b = float(base.loc[worst].get("share_losing_10min", np.nan))
        lose_o = float(mine.loc[worst].get("share_losing_10min", np.nan))
        zh = (
            f"{o.title_zh}:{base.loc[worst, 'condition_zh']}时到机场平均 "
            f"{base.loc[worst, 'mean_min']:.1f}→{mine.loc[worst, 'mean_min']:.1f} 分钟,"
            f"损失超过10分钟的机场出行 {lose_b:.0%}→{lose_o:.0%};平时 "
            f"{base.loc['normal', 'mean_min']:.1f}→{mine.loc['normal', 'mean_min']:.1f} 分钟"
        )
        en = (
            f"{o.title_en}: with {base.loc[worst, 'condition_en'].lower()}, the mean car time "
            f"to the airport goes {base.loc[worst, 'mean_min']:.1f} → "
            f"{mine.loc[worst, 'mean_min']:.1f} min and airport trips losing over 10 min "
            f"{lose_b:.0%} → {lose_o:.0%}; normally {base.loc['normal', 'mean_min']:.1f} → "
            f"{mine.loc['normal', 'mean_min']:.1f} min"
        )
        return zh, en, saved, "min (airport, worst closure)"
    if g.measure == "logistics":
        part = table[(table["option"] == o.id) & (table["condition"] == "normal")]
        w = part["base_trucks"] if "base_trucks" in part else pd.Series(0.0, index=part.index)
        if len(part) and w.sum() > 0:
            saved = float(np.average(part["saved_min"], weights=w))
            how_zh, how_en = "按现状货车量加权", "weighted by the base trucks of each pair"
        else:
            saved = float(part["saved_min"].mean()) if len(part) else np.nan
            how_zh, how_en = "各节点对平均", "mean over the node pairs"
        best = part.loc[part["saved_min"].idxmax()] if len(part) else None
        zh = f"{o.title_zh}:物流节点间货车时间平均节省 {saved:.2f} 分钟({how_zh})"
        en = f"{o.title_en}: saves {saved:.2f} truck-minutes between the logistics nodes ({how_en})"
        if best is not None and best["saved_min"] > 0.05:
            zh += f"(最多:{best['from_zh']}→{best['to_zh']} {best['saved_min']:.1f} 分钟)"
            en += f" (most: {best['from']} → {best['to']}, {best['saved_min']:.1f} min)"
        shares = table.attrs.get("truck_end_share")
        if shares is not None and o.id in set(shares["option"]):
            s = shares.set_index("option").loc[o.id]
            if s["trucks"] > 0:
                flag = "(低于50%,主要服务其他交通)" if s["flag"] else ""
                zh += f";其货车中起讫点为物流节点或机场的占 {s['end_share']:.0%}{flag}"
                en += (
                    f"; {s['end_share']:.0%} of its {s['trucks']:,.0f} trucks/h start or end at "
                    f"a logistics node or the airport" + (" (under 50 %: it mostly serves other traffic)" if s["flag"] else "")
                )  # fmt: skip
        return zh + "。", en + ".", saved, "truck-min (node pairs, truck-weighted)"
    if g.measure == "external":
        part = table[table["option"] == o.id]
        saved = float(part["saved_min"].mean()) if len(part) else np.nan
        zh = f"{o.title_zh}:吉林方向出口到机场、内陆港、新区平均节省 {saved:.1f} 分钟(对外交通量为假设值)"
        en = (
            f"{o.title_en}: saves {saved:.1f} min on average from the Jilin-side exits to the "
            f"airport, the inland port and the New Area (external traffic is assumed)"
        )
        return zh + "。", en + ".", saved, "min (Jilin exits)"
    return "", "", np.nan, ""


# --------------------------------------------------------------------------- per draw


def measure_spec(sc: scenarios.Scenario, option: scenarios.Option | None) -> dict[str, Any]:
    """What a Monte-Carlo draw reads from one run for its task's measure (see
    :func:`unit_measures`): the base reads every task's, an option its own task's."""
    if option is None:
        groups = [sc.group(g) for g in sc.groups]
        return {
            "airport": any(g.measure == "airport_access" for g in groups),
            "places": {g.id: g.places for g in groups if g.measure == "logistics"},
        }
    g = sc.group(option.group)
    if g.measure == "airport_access":
        return {"airport": True}
    if g.measure == "logistics":
        return {"places": {g.id: g.places}, "option": option}
    return {}


def unit_measures(
    run: peak.PeakRun,
    d: Any,
    *,
    airport: bool = False,
    places: dict[str, tuple[str, ...]] | None = None,
    option: scenarios.Option | None = None,
) -> dict[str, float]:
    """The task measures of one run: airport minutes, truck minutes per logistics group, and
    the logistics-end share of an option's trucks.

    Parameters
    ----------
    run : PeakRun
        A solved peak hour.
    d : Demand
        Its demand.
    airport : bool
        Read the trip-weighted mean car minutes to and from the airport (``airport_min``).
    places : dict, optional
        Group id → its logistics places: the mean truck minutes between them
        (``truck_min:<group>``).
    option : Option, optional
        Read the share of the option's trucks with a logistics-node or airport end
        (``end_share``).

    Returns
    -------
    dict
    """
    out: dict[str, float] = {}
    if airport and "airport" in run.centroids:
        out["airport_min"] = airport_access.summary(airport_access.by_zone(run, d))["mean_min"]
    for gid, nodes in (places or {}).items():
        table = logistics.node_minutes(run, nodes)
        if len(table):
            out[f"truck_min:{gid}"] = float(table["minutes"].mean())
    if option is not None:
        links = _option_links(run, option)
        if links:
            out["end_share"] = float(logistics.truck_end_share(run, links)["end_share"])
    return out
