"""One style table feeds the web maps, the print maps and the workbook: the same colour for the
same phase everywhere, one rounding rule for minutes, and colours that do not collide.
"""

from __future__ import annotations

import itertools
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
    assert row[col].number_format == "#,##0"  # whole, with the separator of the web and maps
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
    # the traffic maps' colours: none of them can be taken for the river's blue, in any
    # colour vision (the losses are a deep blue, far darker than the river)
    traffic = {
        "flow gain": style.FLOW_GAIN_COLOUR,
        "flow loss": style.FLOW_LOSS_COLOUR,
        "rail option": style.RAIL_OPTION_COLOUR,
        **{f"v/c {en}": c for _, c, _, en in style.VC_CLASSES},
        **{f"select link {i}": c for i, c in enumerate(style.SELECT_LINK_COLOURS)},
        **{f"rank {i + 1}": c for i, c in enumerate(style.RANK_COLOURS)},
    }
    for name, colour in traffic.items():
        assert _distance(colour, style.RIVER_COLOUR) > 0.3, name
        for vision in VISIONS:
            assert _delta_e(colour, style.RIVER_COLOUR, vision) >= MIN_CLASS_DE, (name, vision)
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


# --------------------------------------------------------------------------- colour vision
#
# Colour distances are CAM02-UCS ΔE (Luo, Cui and Li 2006), where 1 is about a just
# noticeable difference and 10 is an unmistakable one. The colour-vision deficiencies are
# simulated with the matrices of Machado, Oliveira and Fernandes (2009, IEEE TVCG 15(6)) at
# severity 1.0, i.e. a full dichromacy, through colorspacious' "sRGB1+CVD" space.

VISIONS = ("normal", "deuteranomaly", "protanomaly", "tritanomaly")
#: Any two classes of one scheme (v/c, ranks, zones, phases, changes) must differ by this much.
MIN_CLASS_DE = 10.0
#: v/c classes: a sequential scheme needs a clearer step than a categorical one.
MIN_VC_DE = 12.0
#: Gains against losses.
MIN_GAIN_LOSS_DE = 20.0
#: A line colour against the paper, so the lightest class still shows as a line.
MIN_LINE_ON_PAPER_DE = 20.0


def _seen(colours: list[str], vision: str):
    """``colours`` as seen with ``vision``, in CAM02-UCS (J', a', b')."""
    import numpy as np

    colorspacious = pytest.importorskip("colorspacious")
    rgb = np.array([to_rgb(c) for c in colours])
    if vision != "normal":
        cvd = {"name": "sRGB1+CVD", "cvd_type": vision, "severity": 100}
        rgb = np.clip(colorspacious.cspace_convert(rgb, cvd, "sRGB1"), 0.0, 1.0)
    return colorspacious.cspace_convert(rgb, "sRGB1", "CAM02-UCS")


def _delta_e(a: str, b: str, vision: str) -> float:
    import numpy as np

    ua, ub = _seen([a, b], vision)
    return float(np.linalg.norm(ua - ub))


def _closest_pair(colours: dict[str, str], vision: str) -> tuple[float, str, str]:
    names = list(colours)
    return min(
        (_delta_e(colours[a], colours[b], vision), a, b)
        for i, a in enumerate(names)
        for b in names[i + 1 :]
    )


def test_the_simulation_is_machado_2009_at_full_severity() -> None:
    # independent checks of the simulation itself: pure red and pure green, far apart in normal
    # vision, become nearly the same yellow-brown for a deuteranope (Machado et al. fig. 1);
    # grey stays grey for every deficiency; a tritanope keeps red and green apart
    assert _delta_e("#ff0000", "#00ff00", "normal") > 40
    assert _delta_e("#cc0000", "#00aa00", "deuteranomaly") < 15
    for vision in VISIONS[1:]:
        assert _delta_e("#808080", "#808080", vision) == 0.0
        _j, a, b = _seen(["#808080"], vision)[0]
        assert abs(a) < 1.5 and abs(b) < 1.5, vision
    assert _delta_e("#ff0000", "#00ff00", "tritanomaly") > 30


@pytest.mark.parametrize("vision", VISIONS)
def test_vc_classes_stay_apart_and_in_order(vision: str) -> None:
    classes = {en: c for _, c, _, en in style.VC_CLASSES}
    distance, a, b = _closest_pair(classes, vision)
    assert distance >= MIN_VC_DE, (vision, a, b, round(distance, 1))
    # sequential: each class darker than the one before, so the order reads without hue
    lightness = _seen(list(classes.values()), vision)[:, 0]
    assert all(x > y for x, y in itertools.pairwise(lightness)), (vision, lightness)
    # the lightest class is still a line on the paper
    for en, colour in classes.items():
        assert _delta_e(colour, style.MAP_BACKGROUND, vision) >= MIN_LINE_ON_PAPER_DE, en


@pytest.mark.parametrize("vision", VISIONS)
def test_gains_and_losses_are_told_apart(vision: str) -> None:
    gain, loss = style.FLOW_GAIN_COLOUR, style.FLOW_LOSS_COLOUR
    assert _delta_e(gain, loss, vision) >= MIN_GAIN_LOSS_DE, vision
    for name, colour in (("gain", gain), ("loss", loss)):
        # from the unchanged roads, the river drawn beside them and the paper
        assert _delta_e(colour, style.FLOW_UNCHANGED_COLOUR, vision) >= 15, name
        assert _delta_e(colour, style.RIVER_COLOUR, vision) >= 15, name
        assert _delta_e(colour, style.MAP_BACKGROUND, vision) >= 30, name
        # and from every v/c class: the web page shows both schemes in one legend
        for _, vc, _, en in style.VC_CLASSES:
            assert _delta_e(colour, vc, vision) >= MIN_CLASS_DE, (name, en)


@pytest.mark.parametrize("vision", VISIONS)
def test_every_rank_has_its_own_colour(vision: str) -> None:
    # all the road options of a pack (seven today) and the rail option, which is not ranked
    looks = style.option_styles({f"option {r}": r for r in range(1, 8)})
    colours = {name: colour for name, (colour, _) in looks.items()}
    assert len(set(colours.values())) == 7
    assert all(dash == "" for _, dash in looks.values())  # one per rank: no dash needed
    colours["rail"] = style.RAIL_OPTION_COLOUR
    distance, a, b = _closest_pair(colours, vision)
    assert distance >= MIN_CLASS_DE, (vision, a, b, round(distance, 1))
    # rank 1 is the darkest, the most salient line of the map
    lightness = _seen(list(style.RANK_COLOURS), vision)[:, 0]
    assert lightness[0] == lightness.min(), vision
    assert style.RAIL_OPTION_COLOUR not in style.RANK_COLOURS


@pytest.mark.parametrize("vision", VISIONS)
@pytest.mark.parametrize(
    "scheme",
    ["zones", "phases", "select link", "isochrones", "minute changes"],
)
def test_the_other_schemes_stay_apart(scheme: str, vision: str) -> None:
    from sanqu_geo.maps import appraisal_style

    colours = {
        "zones": {**style.ZONE_COLOURS, "river": style.RIVER_COLOUR},
        "phases": dict(style.PHASE_COLOURS),
        "select link": dict(enumerate(style.SELECT_LINK_COLOURS)),
        "isochrones": {
            **dict(enumerate(style.ISO_BEFORE_COLOURS)),
            "after": style.ISO_AFTER_COLOUR,
        },
        "minute changes": dict(enumerate(appraisal_style.CHANGE_COLOURS)),
    }[scheme]
    distance, a, b = _closest_pair(colours, vision)
    assert distance >= MIN_CLASS_DE, (scheme, vision, a, b, round(distance, 1))


@pytest.mark.parametrize("vision", VISIONS)
def test_minute_classes_stay_apart_at_their_most_numerous(vision: str) -> None:
    from sanqu_geo.maps import appraisal_style

    colours = appraisal_style._minute_colours(appraisal_style.MAX_MINUTE_CLASSES)
    lightness = _seen(colours, vision)[:, 0]
    assert all(x > y for x, y in itertools.pairwise(lightness)), vision  # light = short
    for a, b in itertools.pairwise(colours):
        assert _delta_e(a, b, vision) >= 5.0, (vision, a, b)


# --------------------------------------------------------------------------- flow widths


def test_flow_widths_are_fixed_classes_of_pcu_per_hour() -> None:
    # hand-read from the class table: < 100, 100–250, 250–500, 500–1,000, 1,000–2,000,
    # 2,000–4,000, > 4,000 PCU/h; a bound belongs to the class above it
    volumes = [0.0, 99.0, 100.0, 463.0, 999.0, 1000.0, 1851.0, 4000.0, 7317.0]
    widths = style.flow_width(volumes)
    assert list(widths) == [0.5, 0.5, 1.3, 2.2, 3.3, 4.6, 4.6, 7.6, 7.6]
    assert list(style.flow_width(1829.0, scale=2.0)) == [9.2]  # grows with the paper
    assert list(style.flow_width(1829.0, scale=style.FLOW_WEB_PX_PER_PT)) == [4.6 * 1.5]
    assert list(style.flow_width(float("nan"))) == [0.5]  # no volume: the narrowest band
    # the same volume is the same width whatever else a map shows: one scale for the pack,
    # where the widths used to be scaled to each map's largest value
    assert style.flow_width([463.0, 1851.0])[0] == style.flow_width([463.0, 143.0])[0]
    # every class is visibly wider than the one below it (≥ 0.5 pt at A4)
    assert len(style.FLOW_WIDTHS_PT) == len(style.FLOW_WIDTH_BREAKS) + 1
    assert all(b - a >= 0.5 for a, b in itertools.pairwise(style.FLOW_WIDTHS_PT))


def test_a_change_is_as_wide_as_a_volume_of_its_size_and_small_changes_show() -> None:
    # gains and losses of one size get one width, the width of a volume of that size
    deltas = [143.0, -143.0, 574.0, -574.0]
    assert list(style.flow_width(deltas)) == [1.3, 1.3, 3.3, 3.3]
    # a change of 143 PCU/h (a quarter of a 574 PCU/h maximum) is no hairline: more than
    # twice an unchanged road, more than a third of the width of the change four times its size
    assert style.flow_width(143.0)[0] > 2 * style.FLOW_UNCHANGED_WIDTH_PT
    assert style.flow_width(143.0)[0] > style.flow_width(574.0)[0] / 3
    assert [style.flow_change_colour(d) for d in (30.0, -30.0, 24.9, -24.9, 0.0)] == [
        style.FLOW_GAIN_COLOUR,
        style.FLOW_LOSS_COLOUR,
        style.FLOW_UNCHANGED_COLOUR,
        style.FLOW_UNCHANGED_COLOUR,
        style.FLOW_UNCHANGED_COLOUR,
    ]


def test_the_width_legend_names_each_class_with_its_width() -> None:
    assert style.flow_width_legend() == [
        ("< 100 pcu/h", 0.5),
        ("100–250 pcu/h", 1.3),
        ("250–500 pcu/h", 2.2),
        ("500–1,000 pcu/h", 3.3),
        ("1,000–2,000 pcu/h", 4.6),
        ("2,000–4,000 pcu/h", 6.0),
        ("> 4,000 pcu/h", 7.6),
    ]
    keys = style.flow_width_legend(scale=style.FLOW_WEB_PX_PER_PT, unit="")
    # each key is drawn exactly as wide as a road of a volume in its class
    for (_, width), volume in zip(keys, (10, 200, 300, 800, 1500, 3000, 9000), strict=True):
        assert width == style.flow_width(volume, scale=style.FLOW_WEB_PX_PER_PT)[0]
