"""The workbook's parts: print setup read back from the file, labels for codes, numbers kept as
numbers with their format, the ranking's decision columns first, sources in words."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from sanqu_geo import workbook
from sanqu_geo.maps import style


def _book(tmp_path: Path, sheets, *, paper: str) -> openpyxl.Workbook:
    path = workbook.write_sheets(tmp_path / "book.xlsx", sheets, paper=paper)
    return openpyxl.load_workbook(path)


@pytest.mark.parametrize(("paper", "size"), [("A3", 8), ("A4", 9)])
def test_every_sheet_prints_landscape_fitted_to_width_with_its_header(
    tmp_path: Path, paper: str, size: int
) -> None:
    long = pd.DataFrame({"说明 Note": ["很长的说明文字 " * 30] * 120, "排名 Rank": range(120)})
    od = pd.DataFrame(
        [[1.25, 2.0], [3.0, np.nan]], index=["甲 A", "乙 B"], columns=["甲 A", "乙 B"]
    )
    od.index.name = "分钟 min"
    book = _book(
        tmp_path, [("长表 Long", long, False, None), ("区域 OD", od, True, None)], paper=paper
    )
    for ws in book:
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.paperSize == size
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == "$1:$1"
        assert ws.freeze_panes in ("A2", "B2")
        assert ws.print_area == f"'{ws.title}'!$A$1:${chr(64 + ws.max_column)}${ws.max_row}"
        assert "&P" in ws.oddFooter.center.text
    assert book["区域 OD"].print_title_cols == "$A:$A"
    assert book["区域 OD"]["B2"].value == 1.25 and book["区域 OD"]["B2"].number_format == "0.0"
    # a wrapped column never gets wider than the page holds
    assert book["长表 Long"].column_dimensions["A"].width <= workbook._PAGE_WIDTH[paper]


def test_an_unknown_paper_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="A3"):
        workbook.write_sheets(
            tmp_path / "b.xlsx", [("x", pd.DataFrame({"a": [1]}), False, None)], paper="Letter"
        )


def test_codes_become_labels_and_numbers_stay_numbers() -> None:
    table = pd.DataFrame(
        {
            "option": ["opt_a", "base"],
            "group": ["opt_a", "grp"],
            "condition": ["normal", "closed"],
            "condition_zh": ["平时", "封闭"],
            "condition_en": ["normal", "closed"],
            "from": ["place_x", "place_y"],
            "from_zh": ["甲", "乙"],
            "class": ["car", "truck"],
            "period": ["am_peak", "inter_peak"],
            "vht_saved": [1234.5, -0.4],
            "relative_gap": [4.63e-07, 1.2e-06],
            "share": [0.1049, 1.0],
            "corridor_max_vc": [0.125, math.inf],
        }
    )
    labels = {
        "opt_a": "方案甲 Option A",
        "normal": "平时 normal day",
        "closed": "封闭 closed",
        "place_x": "甲地 Place X",
        "place_y": "乙地 Place Y",
        "am_peak": "早高峰 AM peak",
        "inter_peak": "平峰 inter-peak",
    }
    out = workbook.for_people(
        table,
        options={"opt_a": "方案甲 Option A", "base": "现状 base"},
        labels=labels,
        groups={"opt_a": "任务1 组 Group", "grp": "任务2 组二 Group two"},
    )
    # a condition keeps its own bilingual label, its twins go; another id with an English twin
    # goes; one with only a Chinese twin is labelled and the twin goes
    assert list(out["condition"]) == ["平时 normal day", "封闭 closed"]
    assert not {"condition_zh", "condition_en"} & set(out.columns)
    assert "from_zh" not in out and list(out["from"]) == ["甲地 Place X", "乙地 Place Y"]
    assert list(out["option"]) == ["方案甲 Option A", "现状 base"]
    assert list(out["group"]) == ["任务1 组 Group", "任务2 组二 Group two"]  # not the option's
    assert list(out["class"]) == ["小汽车 car", "货车 truck"]
    assert list(out["period"]) == ["早高峰 AM peak", "平峰 inter-peak"]
    assert list(out["vht_saved"]) == [1235.0, -0.0]  # half up, whole vehicle-hours
    assert list(out["relative_gap"]) == [4.6e-07, 1.2e-06]  # never rounded to 0.00
    assert list(out["share"]) == [0.105, 1.0]
    assert out["corridor_max_vc"].iloc[0] == 0.13 and pd.isna(out["corridor_max_vc"].iloc[1])
    assert workbook.number_format("relative_gap") == "0.0E+00"
    assert workbook.number_format("share") == "0.0%"
    assert workbook.number_format("高峰小时节省车小时 Peak-hour veh-h saved") == "#,##0"
    assert workbook.number_format("模型 Model") == "General"


def test_texts_that_are_numbers_become_numbers() -> None:
    table = pd.DataFrame({"v": ["1.66", "4.6e-07", "9,800", "1.4–1.9", "≤ 1e-6", "12", None]})
    out = workbook.readable_numbers(table)["v"].tolist()
    assert out[:3] == [1.66, 4.6e-07, 9800] and isinstance(out[2], int)
    assert out[3:6] == ["1.4–1.9", "≤ 1e-6", 12] and pd.isna(out[6])


def test_the_web_shows_a_number_as_the_workbook_rounds_it() -> None:
    assert workbook.text_value("vht_saved", 134.16) == "134"
    assert workbook.text_value("vht_saved", 12345.5) == "12,346"
    assert workbook.text_value("door_to_door_min", 50.25) == "50.3"
    assert workbook.text_value("corridor_max_vc", 0.125) == "0.13"
    assert workbook.text_value("cost_yi_yuan", math.nan) == "—"
    assert (
        workbook.text_value("corridor_max_pcu", 850.68) == f"{style.round_half_up(850.68, 0):,.0f}"
    )


def test_the_ranking_starts_with_the_decision() -> None:
    summary = pd.DataFrame(
        {
            "group": ["g1", "g2"],
            "option": ["b", "a"],
            "title_zh": ["乙", "甲"],
            "title_en": ["B", "A"],
            "vht_base_car": [10.0, 10.0],
            "vht_saved": [5.0, 9.0],
            "rank": [2, 1],
            "note_zh": ["", ""],
        }
    )
    by_task = pd.DataFrame(
        {
            "option": ["a", "b"],
            "task": [36, 39],
            "measure": ["airport_access", "logistics"],
            "measure_value": [5.02, 0.03],
            "measure_unit": ["min", "truck-min"],
            "best_in_task": [True, False],
        }
    )
    out = workbook.decision_first(summary, by_task)
    assert list(out.columns[:7]) == [
        "rank",
        "title_zh",
        "title_en",
        "task",
        "measure",
        "measure_value",
        "measure_unit",
    ]
    assert list(out["title_en"]) == ["A", "B"] and list(out["task"]) == [36, 39]
    assert list(out.columns[-2:]) == ["vht_base_car", "note_zh"]  # the detail after


def test_assumption_sources_read_as_words_and_values_as_numbers() -> None:
    sheet = workbook.assumptions_sheet(workbook.assumptions_table())
    assert not sheet["来源 Source"].str.contains("sanqu_geo.", regex=False).any()
    assert (sheet["来源 Source"].str.len() > 0).all()
    trace = sheet[workbook.TRACE_HEADER]
    assert trace.str.contains("sanqu_geo.settings.default_speeds_kph", regex=False).any()
    assert list(sheet.columns)[-1] == workbook.TRACE_HEADER
    numbers = [v for v in sheet["取值 Value"] if isinstance(v, int | float)]
    assert len(numbers) > 40
    texts = [v for v in sheet["取值 Value"] if isinstance(v, str)]
    assert not [v for v in texts if workbook._NUMBER.match(v.strip())]
    row = sheet[sheet["参数 Parameter"] == "年天数 Days per year"]
    assert isinstance(row["取值 Value"].iloc[0], int | float)
