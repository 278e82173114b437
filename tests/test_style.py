"""One style table feeds the web maps, the print maps and the workbook: the same colour for the
same phase everywhere, one rounding rule for minutes, and colours that do not collide.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from matplotlib.colors import to_hex, to_rgb

from sanqu_geo import compare, layers, report
from sanqu_geo.maps import interactive, static, style

PHASE_1 = "airport_second_passage_ph1"  # the part under construction


@pytest.fixture(scope="module")
def comparison() -> compare.Comparison:
    return compare.compare(sensitivity=False)


@pytest.fixture(scope="module")
def book(comparison: compare.Comparison, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("book") / "pack.xlsx"
    checks, validation, _ = report._model_check(comparison.scenario.network)
    report._workbook(
        path,
        comparison,
        report._zone_od("car"),
        report._zone_od("car_peak"),
        report.calibration_table(comparison),
        report.register_sheet(),
        checks,
        validation,
    )
    return path


def _features(page: str) -> list[dict]:
    """Every GeoJSON feature embedded in a folium page."""
    out = []
    for blob in re.findall(r'\{"features": \[.*?\], "type": "FeatureCollection"\}', page):
        out.extend(json.loads(blob)["features"])
    return out


def _web_colour(page: str, feature_id: str) -> str:
    strokes = {
        f["properties"]["stroke"]
        for f in _features(page)
        if f["properties"].get("id") == feature_id
    }
    assert len(strokes) == 1, strokes
    return strokes.pop()


def test_round_half_up_is_the_rule_python_does_not_follow() -> None:
    # Python's own formatting rounds the binary value (0.25 -> "0.2"); people and Excel say 0.3
    assert f"{0.25:.1f}" == "0.2"
    assert style.round_half_up(0.25, 1) == 0.3
    assert style.format_minutes(0.25) == "0.3"
    assert style.format_minutes(0.247) == "0.2"
    assert style.format_minutes(2.675) == "2.7"
    assert style.format_minutes(-0.05) == "-0.1"
    assert style.format_minutes(float("inf")) == ""
    assert style.format_hours(12345.65) == "12,345.7"
    assert style.excel_format(style.MINUTES_DECIMALS) == "0.0"


def test_each_formatter_rounds_half_up_with_its_own_decimals_and_separators() -> None:
    # hand-computed: minutes and ratios carry no thousands separator; volumes, hours and
    # vehicle-hours do; a unit follows after one space; nan gives an empty cell
    assert style.format_minutes(12345.25) == "12345.3"
    assert style.format_hours(0.05, unit="h") == "0.1 h"
    assert style.format_vehicle_hours(-2.5) == "-3"
    assert style.format_volume(1234.5) == "1,235"
    assert style.format_volume(999.5, unit="pcu/h") == "1,000 pcu/h"
    assert style.format_ratio(0.125) == "0.13"
    assert style.format_ratio(1.005) == "1.01"
    assert style.format_ratio(float("nan")) == ""
    assert style.format_volume(float("nan"), unit="pcu/h") == ""


def test_one_phase_colour_in_web_print_and_workbook(tmp_path: Path, book: Path) -> None:
    phases = layers.load_layer("projects").set_index("id")["phase"]
    lines = [PHASE_1, "freight_expressway_g1001", "inland_port_last_mile"]
    assert len({phases[i] for i in lines}) >= 2  # more than one term is checked
    # web
    page = interactive.publish(["infrastructure"], tmp_path, offline=True)[0]
    html = page.read_text(encoding="utf-8")
    for project in lines:
        assert _web_colour(html, project) == style.PHASE_COLOURS[phases[project]], project
    # print
    fig = static.projects_map(paper="A4", lang="en")
    drawn = {a.get_gid(): a for a in fig.findobj() if str(a.get_gid()).startswith("project-")}
    for project in lines:
        colour = drawn[f"project-{project}"].get_color()
        colour = colour[0] if len(colour) and not isinstance(colour, str) else colour
        assert to_hex(colour) == style.PHASE_COLOURS[phases[project]], project
    # workbook: the phase cells are filled with the same colour
    sheet = openpyxl.load_workbook(book)["项目库 Projects"]
    header = [c.value for c in sheet[1]]
    phase_col = header.index("期限 Term") + 1
    fills = {}
    for row in sheet.iter_rows(min_row=2):
        cell = row[phase_col - 1]
        fills.setdefault(cell.value, set()).add(cell.fill.fgColor.rgb)
    for phase, colour in style.PHASE_COLOURS.items():
        if phase in fills:
            assert fills[phase] == {"FF" + colour.lstrip("#").upper()}, phase


def test_a_saving_is_written_the_same_way_everywhere(
    comparison: compare.Comparison, book: Path, tmp_path: Path
) -> None:
    summary = comparison.summary.set_index("option")
    # the headline saving: peak-hour vehicle-hours, whole numbers rounded half up
    option = summary["vht_saved"].idxmax()
    raw = float(summary.at[option, "vht_saved"])
    shown = style.format_vehicle_hours(raw)
    assert shown == f"{style.round_half_up(raw, 0):,.0f}"
    assert style.format_vehicle_hours(1234.5) == "1,235"  # half up, not to even
    # web: the option's popup
    data = compare.map_layers(comparison)
    page = interactive.publish(["corridors"], tmp_path, offline=True, corridor_data=data)[0]
    popups = [
        f["properties"]["popup"]
        for f in _features(page.read_text(encoding="utf-8"))
        if f["properties"].get("id") == option
    ]
    assert popups and all(f"<td>{shown}</td>" in p for p in popups)
    # print: the option's label and legend entry
    fig = static.corridors_map(comparison, lang="en")
    # legend entries are wrapped to the sidebar: compare with the line breaks undone
    texts = [" ".join(t.get_text().split()) for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert any(f"({shown} veh-h saved)" in t for t in texts)
    assert any(f" · {shown} veh-h · " in t for t in texts)
    # workbook: the stored value is the rounded one, shown as a whole number
    sheet = openpyxl.load_workbook(book)["方案排名 Ranking"]
    header = [c.value for c in sheet[1]]
    col = header.index("高峰小时节省车小时 Peak-hour veh-h saved")
    name_col = header.index("方案名称 Name (zh)")
    title = str(summary.at[option, "title_zh"])
    row = next(r for r in sheet.iter_rows(min_row=2) if r[name_col].value == title)
    assert row[col].number_format == "0"
    assert f"{row[col].value:,.0f}" == shown
    assert row[col].value == style.round_half_up(raw, 0)


def _distance(a: str, b: str) -> float:
    ra, rb = to_rgb(a), to_rgb(b)
    return sum((x - y) ** 2 for x, y in zip(ra, rb, strict=True)) ** 0.5


def test_the_colours_of_different_things_do_not_collide() -> None:
    named = {
        **{f"zone {k}": v for k, v in style.ZONE_COLOURS.items()},
        **{f"phase {k}": v for k, v in style.PHASE_COLOURS.items()},
        "river": style.RIVER_COLOUR,
    }
    # the traffic maps' colours: none of them is the river's blue
    traffic = {
        "flow gain": style.FLOW_GAIN_COLOUR,
        "flow loss": style.FLOW_LOSS_COLOUR,
        "rail option": style.RAIL_OPTION_COLOUR,
        **{f"v/c {en}": c for _, c, _, en in style.VC_CLASSES},
        **{f"select link {i}": c for i, c in enumerate(style.SELECT_LINK_COLOURS)},
    }
    for name, colour in traffic.items():
        r, g, b = to_rgb(colour)
        assert not (b > r + 0.15 and b > g + 0.1), name
        assert _distance(colour, style.RIVER_COLOUR) > 0.3, name
    # gains and losses can be told apart, from each other and from the roads' grey
    assert _distance(style.FLOW_GAIN_COLOUR, style.FLOW_LOSS_COLOUR) > 0.5
    for colour in (style.FLOW_GAIN_COLOUR, style.FLOW_LOSS_COLOUR):
        assert _distance(colour, style.FLOW_UNCHANGED_COLOUR) > 0.4
    # v/c classes and select-link classes get darker (or redder) step by step
    lum = [sum(to_rgb(c)) for c in style.SELECT_LINK_COLOURS]
    assert lum == sorted(lum, reverse=True)
    items = list(named.items())
    for i, (a, ca) in enumerate(items):
        for b, cb in items[i + 1 :]:
            assert _distance(ca, cb) > 0.25, (a, b)
    # roads are grey, so no road can be taken for a zone, a phase or the river
    for _, colour, _, _ in style.ROAD_STYLES.values():
        r, g, b = to_rgb(colour)
        assert max(r, g, b) - min(r, g, b) < 0.02
    # the river is the only blue
    for name, colour in named.items():
        r, g, b = to_rgb(colour)
        if name != "river":
            assert not (b > r + 0.15 and b > g + 0.1), name


def test_options_sharing_a_rank_are_told_apart() -> None:
    looks = style.option_styles({"a": 1, "b": 2, "c": 2, "d": 2, "e": 3})
    assert len(set(looks.values())) == 5
    assert looks["b"][0] == looks["c"][0] == looks["d"][0]  # same rank, same colour
    assert len({looks[o][1] for o in "bcd"}) == 3  # different dashes
    assert looks["a"][0] != looks["b"][0] != looks["e"][0]


def test_workbook_names_zones_and_classes_not_codes(book: Path) -> None:
    from sanqu_geo import demand

    ids = set(demand.load_demand().zones["id"].astype(str))
    sheets = pd.read_excel(book, sheet_name=None)
    select = sheets["新通道使用者 Select link"]
    assert len(select) > 0
    for column in ("起点小区 Origin zone", "终点小区 Destination zone"):
        assert not ids & set(select[column].astype(str))
    assert set(select["车型 Class"]) <= {"小汽车 car", "货车 truck"}
    rail = sheets["轨道门到门 Rail door to door"]
    assert not {"通道 Corridor", "起点 From", "终点 To"} & set(rail.columns)
    assert "道路 Road" not in sheets["通道与相关道路 Roads"].columns
