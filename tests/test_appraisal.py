"""Appraisal per task: closures against an independent assignment, airport access, freight use,
truck-only lanes, skims against networkx, the economics by hand, and the run key."""

from __future__ import annotations

import dataclasses
import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from sanqu_geo import assignment, demand, edits, forecast, network, peak, scenarios, settings
from sanqu_geo.appraisal import economics, skims, tasks
from sanqu_geo.errors import ScenarioError

GAP = 1e-6


@pytest.fixture(scope="module")
def plan() -> scenarios.Scenario:
    return scenarios.load_scenario()


@pytest.fixture(scope="module")
def appraisal(plan) -> tasks.Appraisal:
    return tasks.appraise(plan, demand.load_demand(), gap=GAP, years=(2020, 2035))


def _condition(plan, cid):
    return next(c for c in plan.conditions if c.id == cid)


def test_closure_equals_an_assignment_without_the_links(plan) -> None:
    d = demand.load_demand()
    closed = _condition(plan, "airport_expressway_outer_closed")
    run = peak.solve(None, demand_=d, gap=1e-8, extra=closed.edits)
    # independently: the airport expressway's links west of the ring (群力, 126.50 E) removed
    H, centroids = peak.assignment_graph(None, None, zones=d.zones)
    drop = [
        (u, v, k)
        for u, v, k, data in H.edges(keys=True, data=True)
        if str(data.get("road_id", "")).startswith("airport-expressway-")
        and (H.nodes[u]["x"] + H.nodes[v]["x"]) / 2 < 126.50
    ]
    assert len(drop) >= 2
    H = H.copy()
    H.remove_edges_from(drop)
    classes = []
    for cls, attr in (("car", peak.TIME_CAR), ("truck", peak.TIME_TRUCK)):
        od = d.od[d.od["class"] == cls]
        frame = pd.DataFrame(
            {
                "origin": od["origin"].map(centroids).to_numpy(),
                "destination": od["destination"].map(centroids).to_numpy(),
                "trips": od["trips"].to_numpy(),
            }
        )
        classes.append(assignment.DemandClass(cls, frame, pce=d.pce[cls], time_attr=attr))
    res = assignment.assign(
        H, classes, gap=1e-8, centroids=list(centroids.values()), vdf=settings.peak_vdf
    )
    want = assignment.vehicle_hours(res)
    got = run.vehicle_hours()
    for cls in ("car", "truck"):
        assert got[cls] == pytest.approx(want[cls], rel=1e-6)
    assert run.result.edges and not any(e in set(run.result.edges) for e in drop)


def test_airport_access_under_closure_for_every_second_passage_option(appraisal, plan) -> None:
    table = appraisal.tasks["task36"]
    options = [o.id for o in plan.groups["airport_second_passage"]]
    closures = [c.id for c in plan.conditions if "airport_second_passage" in c.groups and c.run]
    got = set(zip(table["condition"], table["option"], strict=True))
    assert len(closures) == 2 and not appraisal.skipped
    for cid in ["normal", *closures]:
        for oid in ["base", *options]:
            assert (cid, oid) in got
    t = table.set_index(["condition", "option"])
    closed = ("airport_expressway_outer_closed", "base")
    assert t.loc[closed, "mean_min"] > t.loc[("normal", "base"), "mean_min"]
    assert t.loc[("normal", "base"), "share_losing_10min"] == 0.0
    # a second way to the airport gives back part of what the closure takes
    for oid in options:
        assert (
            t.loc[("airport_expressway_outer_closed", oid), "mean_min"] < t.loc[closed, "mean_min"]
        )
    assert (table["p95_min"] >= table["median_min"]).all()


def test_skims_equal_networkx_without_passing_through_centroids() -> None:
    d = demand.load_demand()
    run = peak.solve(None, demand_=d, gap=1e-4)
    cost = run.result.class_cost["truck"]
    G = nx.DiGraph()
    for i, (u, v, _) in enumerate(run.result.edges):
        if math.isfinite(cost[i]):
            w = float(cost[i])
            if not G.has_edge(u, v) or G[u][v]["w"] > w:
                G.add_edge(u, v, w=w)
    got = skims.minutes_to(run, "airport", cls="truck")
    for zone in ("daoli", "container_centre", "songbei"):
        keep = {run.centroids[zone], run.centroids["airport"]}
        H = G.subgraph(n for n in G if n not in set(run.centroids.values()) - keep)
        want = nx.dijkstra_path_length(H, run.centroids[zone], run.centroids["airport"], weight="w")
        assert got[zone] == pytest.approx(want / 60.0, rel=1e-9)


def test_truck_only_lanes_split_the_road(plan) -> None:
    option = next(o for o in plan.options if o.id == "freight_ring_truck_lanes")
    G = network.load_network("trunk", profile="car")
    lane_edit = next(e for e in option.edits if e.id == "truck_lanes_ring_west")
    picked = edits.selected_edges(G, lane_edit.roads)
    assert picked
    before = {(u, v): float(G.edges[u, v, k]["capacity"]) for u, v, k in picked}
    H = edits.apply_edits(G, [lane_edit])
    for (u, v), cap in before.items():
        parallel = list(H[u][v].values())
        truck = [p for p in parallel if p.get("truck_lanes_of") == lane_edit.id]
        other = [p for p in parallel if p.get("truck_lanes_of") != lane_edit.id]
        assert len(truck) == 1 and truck[0]["vehicles"] == "freight"
        assert sum(p["capacity"] for p in parallel) == pytest.approx(cap)
        assert truck[0]["capacity"] == pytest.approx(cap / 2)  # 1 of 2 lanes each way
        assert all(p.get("truck_banned") for p in other)  # trucks keep to their lane
    A, _ = peak.assignment_graph(None, option, zones=demand.load_demand().zones)
    for _, _, data in A.edges(data=True):
        if data.get("truck_lanes_of"):
            assert data[peak.TIME_CAR] == math.inf and math.isfinite(data[peak.TIME_TRUCK])
        elif data.get("truck_banned"):
            assert data[peak.TIME_TRUCK] == math.inf and math.isfinite(data[peak.TIME_CAR])
    assert G.number_of_edges() + len(picked) == H.number_of_edges()  # G itself unchanged


def test_freight_options_report_their_truck_end_share_on_the_ring(appraisal, plan) -> None:
    table = appraisal.tasks["task39"]
    shares = table.attrs["truck_end_share"].set_index("option")
    for o in plan.groups["freight_expressway"]:
        assert o.id in shares.index
        s = shares.loc[o.id]
        if s["trucks"] > 0:
            assert 0.0 <= s["end_share"] <= 1.0
            assert bool(s["flag"]) == (s["end_share"] < 0.5)
    # the plan's reading: feeders from the ring (绕城高速) to the three zones
    ring = next(o for o in plan.options if o.id == "freight_ring_feeders")
    G = network.load_network("trunk", profile="car")
    ring_nodes = {
        n for u, v, r in G.edges(data="road_id") if str(r).startswith("g1001") for n in (u, v)
    }
    ring_xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in ring_nodes])
    ends = [c.interchanges[-1] for c in ring.corridors]
    for p in ends:  # every feeder ends within 1 km of a ring node
        d_km = np.hypot((ring_xy[:, 0] - p.x) * 78.0, (ring_xy[:, 1] - p.y) * 111.0).min()
        assert d_km < 1.0
    overall = appraisal.overall.set_index("option")
    sentence = overall.loc["freight_ring_feeders", "sentence_en"]
    assert "logistics" in sentence or "truck" in sentence
    s = shares.loc["freight_ring_feeders"]
    if s["trucks"] > 0:  # the sentence gives the share the table holds
        assert f"{s['end_share']:.0%} of its {s['trucks']:,.0f} trucks/h" in sentence


def test_every_year_and_period_is_solved(appraisal, plan) -> None:
    t = appraisal.network_time[appraisal.network_time["condition"] == "normal"]
    roads = {o.id for o in plan.options if any(c.kind != "rail_art" for c in o.corridors)}
    for year in (2020, 2035):
        for period in plan.periods:
            part = t[(t["year"] == year) & (t["period"] == period)]
            assert set(part["option"]) == roads, (year, period)
    # 2035 carries more traffic than 2020 on the same network
    base = t.groupby(["year", "period"])["vht_base"].sum()
    assert base[(2035, "am_peak")] > base[(2020, "am_peak")]


def test_benefit_cost_ratio_by_hand(appraisal, plan) -> None:
    """Phase 1 has a published cost: its BCR from the network-time rows and the stated factors."""
    params = economics.load_parameters()
    vot = params.value_of_time
    hours = forecast.period_hours_per_year()
    rows = appraisal.network_time
    rows = rows[(rows["option"] == "second_passage_ph1") & (rows["condition"] == "normal")]
    yearly = {}
    for year, part in rows.groupby("year"):
        money = 0.0
        for r in part.to_dict("records"):
            money += r["vht_saved"] * vot[r["class"]] * hours[r["period"]]
            if r["period"] == "am_peak":  # the evening peak mirrors the morning's
                money += r["vht_saved"] * vot[r["class"]] * hours["pm_peak"]
        yearly[int(year)] = money
    (y0, b0), (y1, b1) = sorted(yearly.items())
    phase1 = next(o for o in plan.options if o.id == "second_passage_ph1")
    opening = phase1.opening_year  # 2022: work began in 2019, the cost largely spent
    assert opening == 2022 and opening < params.base_year
    cost = 3.57e9
    r = params.discount_rate
    pv_b = 0.0
    for year in range(opening, opening + params.appraisal_years):
        b = b0 if year <= y0 else b1 if year >= y1 else b0 + (b1 - b0) * (year - y0) / (y1 - y0)
        pv_b += b / (1 + r) ** (year - params.base_year)
    pv_c = sum(
        cost / params.construction_years / (1 + r) ** (year - params.base_year)
        for year in range(opening - params.construction_years, opening)
    )
    row = appraisal.economics.set_index("option").loc["second_passage_ph1"]
    assert row["pv_benefits_yi_yuan"] * 1e8 == pytest.approx(pv_b, rel=1e-9)
    assert row["bcr"] == pytest.approx(pv_b / pv_c, rel=1e-9)
    assert row["npv_yi_yuan"] * 1e8 == pytest.approx(pv_b - pv_c, rel=1e-9)
    # no published cost, no ratio
    assert bool(row["ex_post"])  # said so next to the ratio
    others = appraisal.economics.set_index("option").drop(index="second_passage_ph1")
    assert others["bcr"].isna().all() and (others["cost_source"] == "not published").all()


def test_run_key_follows_the_built_graph(monkeypatch, plan) -> None:
    d = demand.load_demand()
    key = peak.run_key("trunk", d, None, peak.Variant(), GAP)
    assert key == peak.run_key("trunk", d, None, peak.Variant(), GAP)
    closed = _condition(plan, "airport_expressway_outer_closed").edits
    assert peak.run_key("trunk", d, None, peak.Variant(), GAP, closed) != key
    monkeypatch.setattr(
        settings, "capacity_per_lane_pcu", {**settings.capacity_per_lane_pcu, "motorway": 1500}
    )
    assert peak.run_key("trunk", d, None, peak.Variant(), GAP) != key


def test_edits_are_checked() -> None:
    where = "scenario.toml: edit 'x'"
    with pytest.raises(ScenarioError, match="kind"):
        edits.parse_edit("x", {"kind": "demolish", "name": "a"}, where)
    with pytest.raises(ScenarioError, match="road_id"):
        edits.parse_edit("x", {"kind": "close"}, where)
    with pytest.raises(ScenarioError, match="value"):
        edits.parse_edit("x", {"kind": "lanes", "name": "a"}, where)
    with pytest.raises(ScenarioError, match="direction"):
        edits.parse_edit("x", {"kind": "close", "name": "a", "direction": "up"}, where)
    with pytest.raises(ScenarioError, match="section"):
        edits.parse_edit("x", {"kind": "close", "name": "a", "section": [[45.7, 126.6]]}, where)
    G = network.load_network("trunk", profile="car")
    missing = edits.parse_edit("x", {"kind": "close", "name": "不存在的路"}, where)
    with pytest.raises(ScenarioError, match="no road"):
        edits.apply_edits(G, [missing])
    # a direction picks one carriageway: westbound edges run west
    west = edits.parse_edit(
        "w",
        {"kind": "capacity", "value": 0.5, "road_id": "airport-expressway", "direction": "W"},
        where,
    )
    picked = edits.selected_edges(G, west.roads)
    assert picked and all(G.nodes[u]["x"] > G.nodes[v]["x"] for u, v, _ in picked)
    both = edits.selected_edges(G, dataclasses.replace(west.roads, direction="both"))
    assert len(both) > len(picked)


def test_a_closure_that_cuts_a_zone_off_is_refused() -> None:
    G = nx.MultiDiGraph()
    for n, x in enumerate((0.0, 0.01, 0.02)):
        G.add_node(n, x=126.5 + x, y=45.7)
    G.add_edge(0, 1, road_id="a-1", capacity=1000.0, length=800.0)
    G.add_edge(1, 0, road_id="a-1", capacity=1000.0, length=800.0)
    G.add_edge(1, 2, road_id="b-1", capacity=1000.0, length=800.0)
    G.add_edge(2, 1, road_id="b-1", capacity=1000.0, length=800.0)
    cut = edits.parse_edit("cut", {"kind": "close", "road_id": "b"}, "test")
    H = edits.apply_edits(G, [cut])
    with pytest.raises(ScenarioError, match="cuts off"):
        edits.check_reach(H, [0, 2], [cut])
    edits.check_reach(G, [0, 2], [cut])  # nothing closed yet: every zone reached


def test_compare_out_writes_a_table_per_task(tmp_path, capsys) -> None:
    from sanqu_geo.cli import main

    out = tmp_path / "results"
    args = ["corridors", "compare", "--out", str(out), "--no-sensitivity", "--gap", "1e-4",
            "--years", "2020", "--periods", "am_peak"]  # fmt: skip
    assert main(args) == 0
    for task in (35, 36, 37, 38, 39):
        table = pd.read_csv(out / f"task{task}.csv", encoding="utf-8-sig")
        assert len(table), task
    by_task = pd.read_csv(out / "by_task.csv", encoding="utf-8-sig")
    assert len(by_task) == 7  # every road option, on its task's own measure
    shares = pd.read_csv(out / "task39_truck_end_share.csv", encoding="utf-8-sig")
    assert len(shares) == 3
    text = (out / "summary.md").read_text(encoding="utf-8")
    for task in (35, 36, 38, 39):
        assert f"任务{task} Task {task}" in text
    assert "Rail (task 37)" in text
    for option in ("second_passage_ph1", "second_passage_full"):  # airport access under closure
        assert (out / f"airport-access-{option}.png").is_file()
    assert list(out.glob("truck-time-*.png"))  # the best freight and last-mile options
    book = pd.ExcelFile(out / "comparison.xlsx")
    assert "任务36 Task 36" in book.sheet_names and "经济评价 Economics" in book.sheet_names
    assert main([*args[:-4], "--years", "2040"]) == 2
    assert "2040" in capsys.readouterr().err


def test_a_scenario_names_only_periods_and_years_the_demand_has(tmp_path) -> None:
    text = scenarios.default_scenario_path().read_text(encoding="utf-8")
    for bad, said in (
        ('periods = ["am_peak", "night"]', "night"),
        ("years = [2020, 2050]", "2050"),
    ):
        key = bad.split(" =")[0]
        changed = "\n".join(
            bad if line.startswith(f"{key} =") else line for line in text.splitlines()
        )
        path = tmp_path / f"{key}.toml"
        path.write_text(changed, encoding="utf-8")
        with pytest.raises(ScenarioError, match=said):
            scenarios.load_scenario(path)
