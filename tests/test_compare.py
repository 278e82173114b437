"""Comparing the plan's corridor options on the peak-hour assignment: values, outputs, errors."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from sanqu_geo import (
    assignment,
    compare,
    demand,
    network,
    peak,
    scenarios,
    settings,
    tables,
    travel,
)
from sanqu_geo.cli import main
from sanqu_geo.errors import ScenarioError


@pytest.fixture(scope="module")
def result() -> compare.Comparison:
    return compare.compare(sensitivity=True)


def test_ranked_by_vehicle_hours_saved_at_equilibrium(result: compare.Comparison) -> None:
    plan = scenarios.load_scenario()
    roads = {o.id for o in plan.options if any(c.kind != "rail_art" for c in o.corridors)}
    assert set(result.summary["option"]) == roads
    s = result.summary.sort_values("rank")
    assert (np.diff(s["vht_saved"].to_numpy()) <= 0.5).all()
    assert (result.summary["relative_gap"] <= 1e-6).all() and result.base_gap <= 1e-6
    saved = result.summary.set_index("option")["vht_saved"]
    for option in ("second_passage_ph1", "second_passage_full", "freight_ring_feeders"):
        assert saved[option] > 1.0, option
    assert "vehicle-hours" in compare.RANK_CRITERION


def test_vht_saving_equals_two_independent_assignments(result: compare.Comparison) -> None:
    """Re-solve base and option from scratch with assignment.assign directly."""
    d = demand.load_demand()
    option = next(
        o for o in scenarios.load_scenario().options if o.id == "freight_ring_truck_lanes"
    )
    totals = []
    for opt in (None, option):
        H, centroids = peak.assignment_graph("trunk", opt, zones=d.zones)
        classes = []
        for cls, attr in (("car", "time_car"), ("truck", "time_truck")):
            od = d.od[d.od["class"] == cls]
            frame = pd.DataFrame(
                {
                    "origin": [centroids[z] for z in od["origin"]],
                    "destination": [centroids[z] for z in od["destination"]],
                    "trips": od["trips"].to_numpy(),
                }
            )
            classes.append(assignment.DemandClass(cls, frame, pce=d.pce[cls], time_attr=attr))
        res = assignment.assign(
            H, classes, gap=1e-8, centroids=list(centroids.values()), vdf=settings.peak_vdf
        )
        totals.append(assignment.vehicle_hours(res))
    row = result.summary.set_index("option").loc["freight_ring_truck_lanes"]
    assert row["vht_saved_car"] == pytest.approx(totals[0]["car"] - totals[1]["car"], abs=0.5)
    assert row["vht_saved_truck"] == pytest.approx(totals[0]["truck"] - totals[1]["truck"], abs=0.5)
    # a day from the modelled periods: the morning peak (and the evening peak, its mirror, as
    # the scenario does not solve it) for an hour each, the inter-peak hour over 14 hours
    t = result.appraisal.network_time
    t = t[(t["option"] == row.name) & (t["condition"] == "normal") & (t["year"] == 2020)]
    am = t.loc[t["period"] == "am_peak", "vht_saved"].sum()
    inter = t.loc[t["period"] == "inter_peak", "vht_saved"].sum()
    assert row["vht_saved_per_day"] == pytest.approx(am + am + 14 * inter, rel=1e-9)


def test_free_flow_key_links_equal_a_full_recomputation(result: compare.Comparison) -> None:
    plan = scenarios.load_scenario()
    places = travel.load_places("all")
    short = places.set_index("id")["short_zh"]
    for option in plan.options:
        profile = option.profile or plan.profile
        G = network.load_network("trunk", profile=profile)
        H = scenarios.apply(G, option, profile=profile)
        before = travel.place_od(G, places, places) / 60
        after = travel.place_od(H, places, places) / 60
        rows = result.key_links_free[result.key_links_free["option"] == option.id]
        roles = travel.role_places(places)
        for _, _, _, role_a, role_b in compare.KEY_LINKS:
            a, b = roles[role_a], roles[role_b]
            for x, y in ((a, b), (b, a)):
                row = rows[(rows["from_zh"] == short[x]) & (rows["to_zh"] == short[y])]
                assert row["before_min"].iloc[0] == pytest.approx(before.loc[x, y], abs=1e-6), (
                    option.id
                )
                assert row["after_min"].iloc[0] == pytest.approx(after.loc[x, y], abs=1e-6), (
                    option.id
                )


def test_select_link_volumes_add_up_to_the_link(result: compare.Comparison) -> None:
    run = result.option_runs["freight_new_alignment"]
    res = run.result
    corridor = [
        e for e in res.edges if run.graph.edges[e].get("corridor") == "freight_expressway_new"
    ]
    busiest = max(corridor, key=lambda e: res.volumes.loc[e, "pcu"])
    picked = assignment.select_link(res, [busiest])
    for cls in ("car", "truck"):
        assert picked.loc[picked["class"] == cls, "flow"].sum() == pytest.approx(
            res.volumes.loc[busiest, cls], rel=1e-6, abs=1e-6
        )
    # a freight-only road carries no cars
    assert res.volumes.loc[busiest, "car"] == 0.0
    table = result.select_link[result.select_link["option"] == "freight_new_alignment"]
    assert set(table["class"]) == {"truck"}
    assert set(table["origin"]) <= set(demand.load_demand().zones["id"])


def test_costs_only_where_published(result: compare.Comparison) -> None:
    s = result.summary.set_index("option")
    assert s.loc["second_passage_ph1", "cost_yi_yuan"] == pytest.approx(35.7)
    # 250 weekdays + 115 weekend days at 0.7 of a weekday (data/demand/forecast.toml)
    year = s.loc["second_passage_ph1", "vht_saved_per_day"] * (250 + 115 * 0.7)
    assert s.loc["second_passage_ph1", "cost_yuan_per_veh_h"] == pytest.approx(35.7e8 / year)
    others = s.drop(index="second_passage_ph1")
    assert others["cost_yi_yuan"].isna().all()
    assert (others["cost_source"] == "not published").all()
    assert not hasattr(scenarios, "cost_per_km_yuan")


def test_user_cost_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = scenarios.load_scenario()
    good = tmp_path / "costs.csv"
    good.write_text("option,cost_yi_yuan,source\nfreight_ring_feeders,40,office estimate\n")
    table = compare.read_costs(good, sc)
    assert table.iloc[0]["cost_yi_yuan"] == 40.0
    bad = tmp_path / "bad.csv"
    bad.write_text("option,cost_yi_yuan\nmonorail,12\n")
    assert main(["corridors", "compare", "--costs", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "monorail" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("data", "how"),
    [
        ("option,cost_yi_yuan,source\nlast_mile,2.25,港务局\n".encode("utf-8-sig"), "CSV UTF-8"),
        ("option,cost_yi_yuan,source\r\nlast_mile,2.25,港务局\r\n".encode("gbk"), "GBK CSV"),
        ("option\tcost_yi_yuan\tsource\r\nlast_mile\t2.25\t港务局\r\n".encode("utf-16"), "UTF-16"),
        ("option;cost_yi_yuan;source\nlast_mile;2.25;港务局\n".encode(), "semicolons"),
        (' option , COST_YI_YUAN ,source\n\n"last_mile", 2.25 ," 港务局 "\n\n'.encode(), "spaces"),
    ],
)  # fmt: skip
def test_cost_files_as_excel_writes_them(tmp_path: Path, data: bytes, how: str) -> None:
    path = tmp_path / "costs.csv"
    path.write_bytes(data)
    table = compare.read_costs(path, scenarios.load_scenario())
    assert table.to_dict("records") == [
        {"option": "last_mile", "cost_yi_yuan": 2.25, "source": "港务局"}
    ], how


def test_cost_file_without_a_source_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "office.csv"
    path.write_text(
        'option,cost_yi_yuan,source\nlast_mile,1.5,\nsecond_passage_full,80,"plan, 2023"\n'
    )
    table = compare.read_costs(path, scenarios.load_scenario())
    assert table["source"].tolist() == ["user file office.csv", "plan, 2023"]
    assert table["cost_yi_yuan"].tolist() == [1.5, 80.0]
    bare = tmp_path / "bare.csv"
    bare.write_text("option,cost_yi_yuan\nlast_mile,10000\n")
    only = compare.read_costs(bare, scenarios.load_scenario())
    assert only.to_dict("records") == [
        {"option": "last_mile", "cost_yi_yuan": 10_000.0, "source": "user file bare.csv"}
    ]


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("option,cost_yi_yuan\n\nlast_mile,1\n\nlast_mile,2\n", "line 5", "given again"),
        ("option,cost_yi_yuan\nlast_mile,1\nlast_mile,1,x,y\n", "line 3", "4 values"),
        ("option,cost_yi_yuan\nlast_mile,10000.5\n", "line 2", "is it in yuan?"),
        ('option,cost_yi_yuan,source\nlast_mile,1,"a, b"\n\nsecond_passage_full,x\n', "line 4",
         "'x'"),
        ('option,cost_yi_yuan,source\nlast_mile,1,"a\nb"\n', "line 2", "U+000A"),
        ("option,cost_yi_yuan\nlast_mile,0x10\n", "line 2", "'0x10'"),
        ("option,cost_yi_yuan\nlast_mile,1_000\n", "line 2", "'1_000'"),
        ("\ufeff\n", "", "is empty"),
    ],
)  # fmt: skip
def test_bad_cost_rows_name_the_file_and_line(
    tmp_path: Path, text: str, where: str, words: str
) -> None:
    path = tmp_path / "costs.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        compare.read_costs(path, scenarios.load_scenario())
    message = str(info.value)
    assert message.startswith(f"{path} {where}".strip()) and words in message
    assert "\n" not in message


def test_check_costs_of_a_table() -> None:
    sc = scenarios.load_scenario()
    table = pd.DataFrame(
        {"option": [" last_mile ", "second_passage_full"], "cost_yi_yuan": [np.float64(3), "4.5"]}
    )
    clean = compare.check_costs(table, sc)
    assert clean.to_dict("records") == [
        {"option": "last_mile", "cost_yi_yuan": 3.0, "source": "user costs"},
        {"option": "second_passage_full", "cost_yi_yuan": 4.5, "source": "user costs"},
    ]
    for bad, words in [
        ({"option": ["last_mile"], "cost_yi_yuan": [math.nan]}, "costs row 1: cost_yi_yuan"),
        ({"option": ["last_mile"], "cost_yi_yuan": [1e308]}, "is it in yuan?"),
        ({"option": [None], "cost_yi_yuan": [1.0]}, "costs row 1: the option is blank"),
        ({"option": ["last_mile"]}, "cost_yi_yuan missing"),
        ({"option": [], "cost_yi_yuan": []}, "no costs"),
    ]:
        with pytest.raises(ScenarioError, match="costs") as info:
            compare.check_costs(pd.DataFrame(bad), sc)
        assert words in str(info.value)
    with pytest.raises(ScenarioError, match="must be a pandas DataFrame"):
        compare.check_costs({"last_mile": 3.0}, sc)  # type: ignore[arg-type]


def test_compare_checks_costs_before_any_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_solve(*args: object, **kwargs: object) -> None:
        raise AssertionError("solved before the costs were checked")

    monkeypatch.setattr(peak, "solve", no_solve)
    costs = pd.DataFrame({"option": ["last_mile"], "cost_yi_yuan": [math.inf]})
    with pytest.raises(ScenarioError, match="costs row 1: cost_yi_yuan of last_mile"):
        compare.compare(costs=costs, sensitivity=False, appraisal=False)


def test_rail_is_door_to_door_not_a_road(result: compare.Comparison) -> None:
    rail = result.rail
    assert set(rail["option"]) == {"art_harbin_west"}
    assert "art_harbin_west" not in set(result.summary["option"])
    for r in rail.itertuples():
        assert r.door_to_door_min == pytest.approx(r.walk_min + r.board_wait_min + r.in_vehicle_min)
        assert r.car_congested_min >= r.car_free_flow_min - 1e-6
    assert {(r.from_, r.to) for r in rail.rename(columns={"from": "from_"}).itertuples()} == {
        ("airport_t2", "harbin_west"),
        ("harbin_west", "airport_t2"),
    }


def test_key_links_congested_both_directions(result: compare.Comparison) -> None:
    k = result.key_links
    assert set(k["class"]) == {"car", "truck"}
    per = k.groupby(["option", "class", "link"]).size()
    assert (per == 2).all()
    free = result.key_links_free[result.key_links_free["profile"] == "car"]
    merged = k[k["class"] == "car"].merge(
        free, on=["option", "link", "from_zh", "to_zh"], suffixes=("", "_free")
    )
    # congested car times are never below car free flow on the base network
    assert len(merged) > 0
    assert (merged["before_min"] >= merged["before_min_free"] - 1e-6).all()


def test_relieved_roads_and_corridor(result: compare.Comparison) -> None:
    roads = result.roads
    ph1 = roads[roads["option"] == "second_passage_ph1"].set_index("road")
    assert ph1.loc["corridor", "max_pcu_after"] > 0 and ph1.loc["corridor", "max_pcu_before"] == 0
    assert (
        ph1.loc["airport_expressway", "pcu_km_after"]
        < ph1.loc["airport_expressway", "pcu_km_before"]
    )
    assert set(roads["road"]) == {"corridor", *(r[0] for r in compare.RELIEVED_ROADS)}


def test_sensitivity_reports_each_run_option_by_option(result: compare.Comparison) -> None:
    sens = result.sensitivity
    assert set(sens["run"]) == {r[0] for r in compare.SENSITIVITY_RUNS}
    assert sens["rank_holds"].dtype == bool
    assert sens.groupby("run")["option"].nunique().eq(len(result.summary)).all()


def test_flow_difference_adds_the_corridor_and_keeps_totals(result: compare.Comparison) -> None:
    diff = compare.flow_difference(result.base_run, result.option_runs["second_passage_full"])
    corridor = diff[diff["corridor"] != ""]
    assert (corridor["pcu_base"] == 0).all() and (corridor["delta_pcu"] > 0).any()
    assert np.isfinite(diff["delta_pcu"]).all()
    base = compare.link_layer(result.base_run)
    assert base["vc"].max() > 1.0 and math.isfinite(base["pcu"].sum())


def test_compare_cli_writes_csv_xlsx_and_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results"
    assert main(["corridors", "compare", "--out", str(out), "--no-sensitivity"]) == 0
    for name in ("summary.csv", "key_links.csv", "roads.csv", "select_link.csv", "rail.csv"):
        assert (out / name).is_file(), name
    book = openpyxl.load_workbook(out / "comparison.xlsx")
    assert (
        "方案排名 Ranking" in book.sheetnames
        and "关键通道畅行 Key links free flow" in book.sheetnames
    )
    header = [c.value for c in book["方案排名 Ranking"][1]]
    assert "高峰小时节省车小时 Peak-hour veh-h saved" in header
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert md.startswith("# 三区一港") and "| 排名 Rank |" in md and "未公布 not published" in md
    assert "排名 Rank" in capsys.readouterr().out


def test_rerun_replaces_its_own_files_and_keeps_the_rest(
    tmp_path: Path, result: compare.Comparison
) -> None:
    out = tmp_path / "results"
    tables.write_comparison(result, out)
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask  # not left private like a temp folder
    (out / "notes.txt").write_text("the planner's notes", encoding="utf-8")
    (out / "summary.md").write_text("stale", encoding="utf-8")
    tables.write_comparison(result, out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "the planner's notes"
    assert (out / "summary.md").read_text(encoding="utf-8").startswith("# 三区一港")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries left


def test_corridors_list_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["corridors", "list"]) == 0
    out = capsys.readouterr().out
    assert "second_passage_ph1" in out and "not published" in out


def test_bad_scenario_file_exit_2_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "[[group]]\nid='g'\n[[group.option]]\nid='o'\ncorridors=['nope']\n", encoding="utf-8"
    )
    assert main(["corridors", "compare", str(bad), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "option 'o'" in err and "corridors" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()
