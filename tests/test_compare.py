"""Comparing the plan's corridor options: values against full recomputation, outputs, errors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from sanqu_geo import compare, network, scenarios, tables, travel
from sanqu_geo.cli import main


@pytest.fixture(scope="module")
def result() -> compare.Comparison:
    return compare.compare(isochrones=True, sensitivity=True)


def test_every_option_is_ranked_with_the_stated_criterion(result: compare.Comparison) -> None:
    plan = scenarios.load_scenario()
    assert set(result.summary["option"]) == {o.id for o in plan.options}
    s = result.summary.sort_values("rank")
    saved = s["key_links_mean_saved_min"].round(2).to_numpy()
    assert (np.diff(saved) <= 1e-9).all()  # better savings never rank lower
    assert "key links" in compare.RANK_CRITERION


def test_key_link_values_equal_a_full_recomputation(result: compare.Comparison) -> None:
    plan = scenarios.load_scenario()
    places = travel.load_places("all")
    short = places.set_index("id")["short_zh"]
    for option in plan.options:
        profile = option.profile or plan.profile
        G = network.load_network("trunk", profile=profile)
        H = scenarios.apply(G, option, profile=profile)
        before = travel.place_od(G, places, places) / 60
        after = travel.place_od(H, places, places) / 60
        rows = result.key_links[result.key_links["option"] == option.id]
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


def test_savings_are_never_negative(result: compare.Comparison) -> None:
    assert (result.key_links["saved_min"] >= -1e-9).all()
    assert (result.zone_pairs["saved_min"] >= -1e-9).all()
    assert (result.isochrones["gained_km2"] >= -1e-6).all()


def test_last_mile_shortens_the_container_centre_link(result: compare.Comparison) -> None:
    rows = result.key_links[
        (result.key_links["option"] == "last_mile") & (result.key_links["link"] == "container_cbz")
    ]
    assert (rows["saved_min"] > 0.5).all()


def test_sensitivity_reports_each_run(result: compare.Comparison) -> None:
    runs = set(result.sensitivity["run"])
    assert runs == {r[0] for r in compare.SENSITIVITY_RUNS}
    assert result.sensitivity["rank_holds"].dtype == bool


def test_demand_gives_vehicle_hours(tmp_path: Path) -> None:
    demand = pd.DataFrame(
        {
            "origin": ["container_station", "cbz_phase1"],
            "destination": ["cbz_phase1", "container_station"],
            "trips_per_day": [1200, 800],
        }
    )
    result = compare.compare(demand=demand, isochrones=False, sensitivity=False)
    row = result.summary.set_index("option").loc["last_mile"]
    links = result.key_links[
        (result.key_links["option"] == "last_mile") & (result.key_links["link"] == "container_cbz")
    ]
    saved = dict(zip(links["from_en"], links["saved_min"], strict=True))
    expected = (1200 * saved["Container station"] + 800 * saved["CBZ phase 1"]) / 60
    assert row["vehicle_hours_saved_per_day"] == pytest.approx(expected)


def test_compare_cli_writes_csv_xlsx_and_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results"
    assert main(["corridors", "compare", "--out", str(out), "--no-sensitivity"]) == 0
    assert (out / "summary.csv").is_file() and (out / "key_links.csv").is_file()
    book = openpyxl.load_workbook(out / "comparison.xlsx")
    assert "方案排名 Ranking" in book.sheetnames and "关键通道 Key links" in book.sheetnames
    header = [c.value for c in book["方案排名 Ranking"][1]]
    assert "排名 Rank" in header and "关键通道平均节省(分钟) Key links mean saved min" in header
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig")
    assert len(summary) == len(scenarios.load_scenario().options)
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert md.startswith("# 三区一港") and "| 排名 Rank |" in md
    assert "排名 Rank" in capsys.readouterr().out


def test_rerun_replaces_its_own_files_and_keeps_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = compare.compare(isochrones=False, sensitivity=False)
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
    assert "second_passage_ph1" in capsys.readouterr().out


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
