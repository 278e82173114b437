"""Comparing corridor options against the base: key-link deltas, reach, cost, rank, sensitivity.

Works on travel times the engine gives; never draws and never writes files.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import warnings
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from sanqu_geo import engine, network, scenarios, travel
from sanqu_geo.errors import ScenarioError

logger = logging.getLogger(__name__)

__all__ = ["KEY_LINKS", "Comparison", "compare", "rank"]

#: The plan's key links: (id, 中文, English, place a, place b); both directions are counted.
KEY_LINKS: tuple[tuple[str, str, str, str, str], ...] = (
    ("new_area_airport", "新区—机场", "New Area ⇄ airport", "new_area_jiangbei", "airport"),
    (
        "container_cbz",
        "集装箱中心站—综保区",
        "Container centre ⇄ bonded zone",
        "container_station",
        "cbz_phase1",
    ),
    ("cbz_airport", "综保区—机场", "Bonded zone ⇄ airport", "cbz_phase1", "airport"),
    ("ftz_inland_port", "自贸区—内陆港", "FTZ ⇄ inland port", "ftz_harbin", "inland_port_hub"),
    ("west_airport", "哈西站—机场", "Harbin West ⇄ airport", "harbin_west", "airport"),
)

#: Places whose isochrones are compared before and after, and the minutes used.
ISOCHRONE_PLACES: tuple[str, ...] = ("airport", "inland_port_hub")
ISOCHRONE_MINUTES: tuple[float, ...] = (30.0, 60.0)

#: A pair counts as improved when it gains more than this many minutes.
improved_threshold_min: float = 0.1

#: What the ranking is by.
RANK_CRITERION = (
    "mean minutes saved on the plan's key links (both directions); ties by cost per minute saved"
)

SENSITIVITY_RUNS: tuple[tuple[str, str, float, float], ...] = (
    ("corridor_speed_-20%", "新通道车速−20%", 0.8, 1.0),
    ("corridor_speed_+20%", "新通道车速+20%", 1.2, 1.0),
    ("road_speed_-20%", "现状路网车速−20%", 1.0, 0.8),
    ("road_speed_+20%", "现状路网车速+20%", 1.0, 1.2),
)


@dataclasses.dataclass
class Comparison:
    """Every table of a comparison (pandas DataFrames) and what it was run on."""

    summary: pd.DataFrame
    key_links: pd.DataFrame
    zone_pairs: pd.DataFrame
    isochrones: pd.DataFrame
    sensitivity: pd.DataFrame
    splices: pd.DataFrame
    scenario: scenarios.Scenario
    network_source: str
    demand_given: bool = False


def _scaled(G: nx.MultiDiGraph, factor: float) -> nx.MultiDiGraph:
    """A copy of ``G`` whose speeds are multiplied by ``factor``."""
    if factor == 1.0:
        return G
    H = G.copy()
    for _, _, data in H.edges(data=True):
        data["travel_time"] = float(data["travel_time"]) / factor
        data["speed_kph"] = float(data.get("speed_kph", 0)) * factor
    return H


class _Evaluator:
    """Base and option travel times between places on one base graph (one profile)."""

    def __init__(self, G: nx.MultiDiGraph, places: gpd.GeoDataFrame, profile: str) -> None:
        self.G = G
        self.profile = profile
        self.places = places
        self.access = travel.access_table(G, places)
        self.nodes = list(dict.fromkeys(self.access["node"]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", engine.UnreachableWarning)
            self.base_nodes = engine.od_matrix(G, self.nodes, self.nodes)
        self.anchor_cache: dict = {}
        self.ids = list(places["id"])

    def _places(self, node_od: pd.DataFrame) -> pd.DataFrame:
        rows = node_od.loc[list(self.access["node"]), list(self.access["node"])].to_numpy()
        return travel.reduce_to_places(rows, self.access, self.access, self.ids, self.ids)

    def base(self) -> pd.DataFrame:
        return self._places(self.base_nodes)

    def option(
        self, option: scenarios.Option, *, speed_scale: float = 1.0
    ) -> tuple[pd.DataFrame, scenarios.SplicePlan]:
        plan = scenarios.plan_splice(
            self.G, option.corridors, profile=self.profile, speed_scale=speed_scale
        )
        after = engine.corridor_od(
            self.G,
            list(plan.new_nodes),
            plan.new_edges,
            plan.anchors,
            self.nodes,
            self.nodes,
            base_od=self.base_nodes,
            anchor_cache=self.anchor_cache,
        )
        return self._places(after), plan


def compare(
    scenario: scenarios.Scenario | None = None,
    *,
    profile: str | None = None,
    demand: pd.DataFrame | None = None,
    isochrones: bool = True,
    sensitivity: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Comparison:
    """Compare every option of a scenario with the base network.

    Parameters
    ----------
    scenario : Scenario, optional
        Default: the plan's own (``data/projects/scenarios.toml``).
    profile : str, optional
        Overrides the scenario's and the groups' profiles.
    demand : pandas.DataFrame, optional
        Trips per day: columns ``origin``, ``destination`` (place ids), ``trips_per_day``;
        gives the weighted saving in vehicle-hours per day.
    isochrones : bool
        Compute the isochrone area gained around the airport and the inland port.
    sensitivity : bool
        Re-rank with corridor speeds and existing-road speeds ±20 %.
    progress : callable, optional
        Called with a short description of each step.

    Returns
    -------
    Comparison
        The tables.
    """
    scenario = scenario or scenarios.load_scenario()
    say = progress or (lambda text: None)
    places = travel.load_places("all")
    profiles = sorted({profile or o.profile or scenario.profile for o in scenario.options})
    graphs = {p: network.load_network(scenario.network, profile=p) for p in profiles}
    evaluators = {p: _Evaluator(graphs[p], places, p) for p in profiles}
    names = places.set_index("id")
    zone_ids = [i for i in travel.load_places("zones")["id"]]
    summary_rows, link_rows, pair_rows, iso_rows, splice_rows = [], [], [], [], []
    afters: dict[str, pd.DataFrame] = {}
    bases: dict[str, pd.DataFrame] = {p: evaluators[p].base() for p in profiles}
    _check_demand(demand, set(places["id"]))
    for option in scenario.options:
        p = profile or option.profile or scenario.profile
        say(f"{option.id} ({p})")
        ev = evaluators[p]
        base = bases[p]
        after, plan = ev.option(option)
        afters[option.id] = after
        saved = (base - after) / 60.0
        for record in plan.report:
            splice_rows.append({"option": option.id, **record})
        key_saved = []
        for link_id, zh, en, a, b in KEY_LINKS:
            for x, y in ((a, b), (b, a)):
                before_min = base.loc[x, y] / 60
                after_min = after.loc[x, y] / 60
                key_saved.append(before_min - after_min)
                link_rows.append(
                    {
                        "option": option.id,
                        "option_zh": option.title_zh,
                        "profile": p,
                        "link": link_id,
                        "link_zh": zh,
                        "link_en": en,
                        "from_zh": names.loc[x, "short_zh"],
                        "to_zh": names.loc[y, "short_zh"],
                        "from_en": names.loc[x, "short_en"],
                        "to_en": names.loc[y, "short_en"],
                        "before_min": before_min,
                        "after_min": after_min,
                        "saved_min": before_min - after_min,
                    }
                )
        for x, y in itertools.permutations(zone_ids, 2):
            pair_rows.append(
                {
                    "option": option.id,
                    "from": x,
                    "to": y,
                    "from_zh": names.loc[x, "short_zh"],
                    "to_zh": names.loc[y, "short_zh"],
                    "before_min": base.loc[x, y] / 60,
                    "after_min": after.loc[x, y] / 60,
                    "saved_min": saved.loc[x, y],
                }
            )
        values = saved.to_numpy()
        finite = values[np.isfinite(values)]
        mean_key = float(np.mean(key_saved))
        cost = option.cost if option.cost is not None else np.nan
        row = {
            "group": option.group,
            "option": option.id,
            "title_zh": option.title_zh,
            "title_en": option.title_en,
            "profile": p,
            "length_km": sum(c.length_m for c in option.corridors) / 1000,
            "cost_yi_yuan": cost / 1e8,
            "key_links_mean_saved_min": mean_key,
            "key_links_max_saved_min": float(np.max(key_saved)),
            "all_pairs_mean_saved_min": float(finite.mean()) if finite.size else 0.0,
            "all_pairs_max_saved_min": float(finite.max()) if finite.size else 0.0,
            "pairs_improved": int((finite > improved_threshold_min).sum()),
            "pairs_total": int(finite.size - len(places)),
            "cost_yi_per_min_saved": (cost / 1e8 / mean_key) if mean_key > 1e-6 else np.inf,
            "used_by_profile": bool(plan.new_edges),
        }
        if demand is not None:
            row["vehicle_hours_saved_per_day"] = _vehicle_hours(demand, saved)
        summary_rows.append(row)
        if isochrones and plan.new_edges:
            say(f"{option.id}: isochrones")
            iso_rows.extend(_isochrone_gain(ev, option, p, places))
    summary = pd.DataFrame(summary_rows)
    summary = rank(summary)
    sens = (
        _sensitivity(scenario, graphs, places, profile, summary, say)
        if sensitivity
        else pd.DataFrame()
    )
    return Comparison(
        summary=summary,
        key_links=pd.DataFrame(link_rows),
        zone_pairs=pd.DataFrame(pair_rows),
        isochrones=pd.DataFrame(iso_rows),
        sensitivity=sens,
        splices=pd.DataFrame(splice_rows),
        scenario=scenario,
        network_source=next(iter(graphs.values())).graph.get("source", scenario.network),
        demand_given=demand is not None,
    )


def rank(summary: pd.DataFrame, *, column: str = "rank") -> pd.DataFrame:
    """Rank options by :data:`RANK_CRITERION` (1 = best), overall and within each group.

    Parameters
    ----------
    summary : pandas.DataFrame
        With ``key_links_mean_saved_min``, ``cost_yi_per_min_saved`` and ``group``.
    column : str
        Name of the overall rank column (``column + "_in_group"`` for the group rank).

    Returns
    -------
    pandas.DataFrame
        A copy sorted by the overall rank.
    """
    out = summary.copy()
    # Savings equal to 0.01 min and costs equal to 0.01 亿元/min tie: they share a rank, so a
    # sensitivity run does not report noise between options that save nothing.
    key = pd.DataFrame(
        {
            "saved": -out["key_links_mean_saved_min"].round(2),
            "cost": out["cost_yi_per_min_saved"].round(2).replace(np.inf, 1e18).fillna(1e18),
        }
    )
    tuples = pd.Series(list(zip(key["saved"], key["cost"], strict=True)), index=out.index)
    out[column] = tuples.rank(method="min").astype(int)
    out[f"{column}_in_group"] = tuples.groupby(out["group"]).rank(method="min").astype(int)
    return out.sort_values([column, "group"], kind="stable").reset_index(drop=True)


def _check_demand(demand: pd.DataFrame | None, ids: set[str]) -> None:
    if demand is None:
        return
    missing = {"origin", "destination", "trips_per_day"} - set(demand.columns)
    if missing:
        msg = f"demand table lacks column(s) {', '.join(sorted(missing))}; give origin, destination, trips_per_day"
        raise ScenarioError(msg)
    unknown = (set(demand["origin"].astype(str)) | set(demand["destination"].astype(str))) - ids
    if unknown:
        msg = f"demand table names unknown places: {', '.join(sorted(unknown)[:8])}; use facility or zone ids"
        raise ScenarioError(msg)


def _vehicle_hours(demand: pd.DataFrame, saved_min: pd.DataFrame) -> float:
    total = 0.0
    for o, d, trips in demand[["origin", "destination", "trips_per_day"]].itertuples(index=False):
        value = saved_min.loc[str(o), str(d)]
        if np.isfinite(value):
            total += float(trips) * float(value) / 60.0
    return total


def _isochrone_gain(
    ev: _Evaluator, option: scenarios.Option, profile: str, places: gpd.GeoDataFrame
) -> list[dict[str, Any]]:
    rows = []
    H = scenarios.apply(ev.G, option, profile=profile)
    for pid in ISOCHRONE_PLACES:
        place = places[places["id"] == pid]
        if place.empty:
            continue
        before = travel.place_isochrones(ev.G, place, list(ISOCHRONE_MINUTES))
        after = travel.place_isochrones(H, place, list(ISOCHRONE_MINUTES))
        for (_, b), (_, a) in zip(before.iterrows(), after.iterrows(), strict=True):
            rows.append(
                {
                    "option": option.id,
                    "place": pid,
                    "place_zh": b["short_zh"],
                    "minutes": b["minutes"],
                    "before_km2": b["area_km2"],
                    "after_km2": a["area_km2"],
                    "gained_km2": a["area_km2"] - b["area_km2"],
                }
            )
    return rows


def _sensitivity(scenario, graphs, places, profile, summary, say) -> pd.DataFrame:
    rows = []
    baseline = summary.set_index("option")["rank"]
    for run_id, run_zh, corridor_factor, road_factor in SENSITIVITY_RUNS:
        say(f"sensitivity {run_id}")
        evaluators = {p: _Evaluator(_scaled(G, road_factor), places, p) for p, G in graphs.items()}
        bases = {p: ev.base() for p, ev in evaluators.items()}
        run_rows = []
        for option in scenario.options:
            p = profile or option.profile or scenario.profile
            after, _ = evaluators[p].option(option, speed_scale=corridor_factor)
            saved = (bases[p] - after) / 60.0
            key = [saved.loc[x, y] for _, _, _, a, b in KEY_LINKS for x, y in ((a, b), (b, a))]
            mean_key = float(np.mean(key))
            run_rows.append(
                {
                    "group": option.group,
                    "option": option.id,
                    "key_links_mean_saved_min": mean_key,
                    "cost_yi_per_min_saved": (option.cost / 1e8 / mean_key)
                    if mean_key > 1e-6 and option.cost is not None
                    else np.inf,
                }
            )
        ranked = rank(pd.DataFrame(run_rows))
        for r in ranked.itertuples():
            rows.append(
                {
                    "run": run_id,
                    "run_zh": run_zh,
                    "option": r.option,
                    "key_links_mean_saved_min": r.key_links_mean_saved_min,
                    "rank": r.rank,
                    "baseline_rank": int(baseline[r.option]),
                    "rank_holds": int(baseline[r.option]) == r.rank,
                }
            )
    return pd.DataFrame(rows)


def map_layers(
    comparison: Comparison | None = None,
    *,
    profile: str | None = None,
    minutes: tuple[float, ...] = ISOCHRONE_MINUTES,
) -> dict[str, gpd.GeoDataFrame]:
    """Geometries for the corridor map: options, interchanges, key-link routes, isochrones.

    Routes of the key links are given for the base network and, where an option changes
    them, for that option; isochrones around the airport and the inland port for the base
    and for the best-ranked option.

    Parameters
    ----------
    comparison : Comparison, optional
        A finished comparison (default: the plan's own, without sensitivity runs).
    profile : str, optional
        Profile for the routes (default: each option's).
    minutes : tuple of float
        Isochrone thresholds.

    Returns
    -------
    dict of geopandas.GeoDataFrame
        ``options``, ``interchanges``, ``routes``, ``isochrones`` (EPSG:4326).
    """
    if comparison is None:
        comparison = compare(isochrones=False, sensitivity=False, profile=profile)
    sc = comparison.scenario
    places = travel.load_places("all")
    summary = comparison.summary.set_index("option")
    option_rows, stop_rows, route_rows, iso_rows = [], [], [], []
    graphs: dict[str, nx.MultiDiGraph] = {}

    def base_graph(p: str) -> nx.MultiDiGraph:
        if p not in graphs:
            graphs[p] = network.load_network(sc.network, profile=p)
        return graphs[p]

    def key_routes(G: nx.MultiDiGraph) -> dict[tuple[str, str], tuple[float, Any]]:
        out = {}
        for link_id, zh, en, a, b in KEY_LINKS:
            found, ca, cb = travel.place_route(
                G, places[places["id"] == a], places[places["id"] == b]
            )
            out[(link_id, a)] = ((found.travel_time + ca + cb) / 60.0, found.geometry, zh, en, a, b)
        return out

    base_routes: dict[str, dict] = {}
    for option in sc.options:
        p = profile or option.profile or sc.profile
        G = base_graph(p)
        if p not in base_routes:
            base_routes[p] = key_routes(G)
            for (link_id, _), (mins, geom, zh, en, a, b) in base_routes[p].items():
                route_rows.append(
                    {
                        "option": f"base:{p}",
                        "link": link_id,
                        "link_zh": zh,
                        "link_en": en,
                        "from": a,
                        "to": b,
                        "minutes": mins,
                        "saved_min": 0.0,
                        "geometry": geom,
                    }
                )
        s = summary.loc[option.id]
        for corridor in option.corridors:
            option_rows.append(
                {
                    "option": option.id,
                    "group": option.group,
                    "title_zh": option.title_zh,
                    "title_en": option.title_en,
                    "corridor": corridor.id,
                    "profile": p,
                    "rank": int(s["rank"]),
                    "key_links_mean_saved_min": float(s["key_links_mean_saved_min"]),
                    "cost_yi_yuan": float(s["cost_yi_yuan"]),
                    "geometry": corridor.geometry,
                }
            )
            for i, point in enumerate(corridor.interchanges):
                stop_rows.append(
                    {
                        "option": option.id,
                        "corridor": corridor.id,
                        "number": i + 1,
                        "geometry": point,
                    }
                )
        H = scenarios.apply(G, option, profile=p)
        after = key_routes(H)
        for key, (mins, geom, zh, en, a, b) in after.items():
            before = base_routes[p][key][0]
            if before - mins > 1e-6:
                route_rows.append(
                    {
                        "option": option.id,
                        "link": key[0],
                        "link_zh": zh,
                        "link_en": en,
                        "from": a,
                        "to": b,
                        "minutes": mins,
                        "saved_min": before - mins,
                        "geometry": geom,
                    }
                )
    best = comparison.summary.sort_values("rank").iloc[0]
    best_option = next(o for o in sc.options if o.id == best["option"])
    p_best = profile or best_option.profile or sc.profile
    for label, G in (
        ("base", base_graph(p_best)),
        (best_option.id, scenarios.apply(base_graph(p_best), best_option, profile=p_best)),
    ):
        for pid in ISOCHRONE_PLACES:
            iso = travel.place_isochrones(G, places[places["id"] == pid], list(minutes))
            for row in iso.itertuples():
                iso_rows.append(
                    {
                        "option": label,
                        "place": pid,
                        "place_zh": row.short_zh,
                        "place_en": row.short_en,
                        "minutes": row.minutes,
                        "area_km2": row.area_km2,
                        "profile": p_best,
                        "geometry": row.geometry,
                    }
                )
    crs = "EPSG:4326"
    return {
        "options": gpd.GeoDataFrame(option_rows, geometry="geometry", crs=crs),
        "interchanges": gpd.GeoDataFrame(stop_rows, geometry="geometry", crs=crs),
        "routes": gpd.GeoDataFrame(route_rows, geometry="geometry", crs=crs),
        "isochrones": gpd.GeoDataFrame(iso_rows, geometry="geometry", crs=crs),
    }
