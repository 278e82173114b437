"""The meeting workbook for people: labels in place of codes, numbers rounded by the one rule of
:mod:`sanqu_geo.maps.style` and stored as numbers with their format, the decision columns first,
bold frozen headers repeated on every printed page, fitting widths, wrapped notes, filters,
phase colours, print setup (landscape, fit to width, A3/A4), and a sheet of the assumptions
every figure depends on. Formats only.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sanqu_geo import access, compare, scenarios, settings
from sanqu_geo.maps import style

logger = logging.getLogger(__name__)

__all__ = [
    "TRACE_HEADER",
    "assumptions_sheet",
    "assumptions_table",
    "code_labels",
    "decision_first",
    "for_people",
    "format_sheet",
    "group_labels",
    "number_format",
    "print_setup",
    "readable_numbers",
    "replace_codes",
    "text_value",
    "widen_to_page",
    "write_sheets",
]

#: Columns holding minutes, hours and other decimals: (decimals, column name endings).
_MINUTES = ("_min", "minutes")
_HOURS = ("_h", "_hours")
#: Columns that are long texts: wrapped, at most this wide (characters).
_WRAPPED = (
    "note",
    "说明",
    "source",
    "来源",
    "title",
    "名称",
    "Project",
    "参数",
    "Parameter",
    "取值",
    "Sentence",
    "一句话",
    "Benefits counted",
    "Item",
    "Reference",
    "Published",
    "Target",
    "Measure",
    "Use",
    "Title",
    "Task",
    "Areas",
)
_MAX_WIDTH = 30
#: Widest column of short values (characters); longer values wrap.
_MAX_PLAIN_WIDTH = 24
_YES_NO = ("是 yes", "否 no")
_CLASSES = {"car": "小汽车 car", "truck": "货车 truck"}

#: Header of the last column of a sheet that keeps, for the analyst, the setting or module a
#: row comes from; it lies outside the print area.
TRACE_HEADER = "程序设置(供分析人员) Setting, for the analyst"

#: Words for the codes every comparison uses (the scenario's own ids are added by
#: :func:`code_labels`).
_FIXED_LABELS: dict[str, str] = {
    "base": "现状(无方案) base, no option",
    "normal": "平时 normal day",
    "am_peak": "早高峰 AM peak",
    "pm_peak": "晚高峰 PM peak",
    "inter_peak": "平峰 inter-peak",
    "all": "全部车辆 all vehicles",
    "car": "小汽车 car",
    "truck": "货车 truck",
    "walk": "步行 walk",
    "bus": "公交 bus",
    "taxi": "出租车 taxi",
    "published": "已公布 published",
    "not published": "未公布 not published",
    "airport_access": "机场可达性(封闭时) Airport access under closure",
    "logistics": "物流货车时间 Logistics truck time",
    "rail": "轨道门到门 Rail door to door",
    "external": "吉林方向对外联系 Access toward Jilin",
    "network_time": "路网车小时 Network vehicle-hours",
    "logistics_platform": "物流平台 logistics platform",
    "industrial_park": "产业园区 industrial park",
    "arterial": "主干路 arterial road",
    "urban_expressway": "城市快速路 urban expressway",
    "rail_art": "智轨 rail (ART)",
    "expressway": "高速公路 expressway",
    "digital": "数字平台 digital platform",
    "airport": "机场 airport",
    "motorway": "高速公路 motorway",
    "trunk": "快速路/干线公路 trunk road",
    "primary": "主干路 primary road",
    "secondary": "次干路 secondary road",
    "tertiary": "支路 tertiary road",
    "connector": "连接线 connector",
    "node": "并入节点 joined at a node",
    "edge": "拆分道路 road split",
    "AM mirrored, not solved": "按早高峰反向估计,未单独分配 AM peak mirrored, not solved",
    "min (airport, worst closure)": "分钟(到机场,最不利封闭) min (airport, worst closure)",
    "truck-min (node pairs, truck-weighted)": "货车分钟(物流节点间,按货车加权) truck-min "
    "(node pairs, truck-weighted)",
    "min (Jilin exits)": "分钟(吉林方向出口) min (Jilin exits)",
}

#: Id columns and their labelled twins: the id goes where an English twin is there too
#: (``link`` beside ``link_zh``/``link_en``); otherwise the id is labelled in both languages and
#: its Chinese-only twin goes (``from`` beside ``from_zh``).
_DUPLICATES: dict[str, tuple[str, ...]] = {
    "condition": ("condition_zh", "condition_en"),
    "exit": ("exit_zh", "exit_en"),
    "zone": ("name_zh",),
    "best_stop": ("best_stop_zh",),
    "from": ("from_zh",),
    "to": ("to_zh",),
    "link": ("link_zh", "link_en"),
    "road": ("road_zh", "road_en"),
}


def code_labels(comparison: Any = None) -> dict[str, str]:
    """Every code a comparison's tables hold, with its bilingual label.

    Parameters
    ----------
    comparison : sanqu_geo.compare.Comparison, optional
        Adds its options, groups and conditions, and the places and zones of its demand.

    Returns
    -------
    dict
        Code (``freight_ring_feeders``, ``am_peak``, ``daoli``) -> ``"中文 English"``; where an
        option and a group share an id the option's label is kept (see :func:`group_labels`).
    """
    from sanqu_geo import tables, travel

    labels = dict(_FIXED_LABELS)
    labels.update({k: f"{zh} {en}" for k, (zh, en) in style.CODE_LABELS.items()})
    places = travel.load_places("all")
    for r in places.itertuples():
        labels[str(r.id)] = tables.bilingual_label(r.short_zh, r.short_en)
    for role, place in travel.role_places(places).items():
        labels.setdefault(role, labels.get(place, role))
    if comparison is None:
        return labels
    from sanqu_geo import demand

    for z in demand.load_demand(network=comparison.scenario.network).zones.itertuples():
        # a place of the same id keeps its short name
        labels.setdefault(str(z.id), tables.bilingual_label(z.name_zh, z.name_en))
    sc = comparison.scenario
    for option in sc.options:
        labels[option.id] = tables.bilingual_label(option.title_zh, option.title_en)
        for corridor in option.corridors:
            labels.setdefault(
                corridor.id, tables.bilingual_label(corridor.title_zh, corridor.title_en)
            )
    for gid in sc.groups:
        g = sc.group(gid)
        head = f"任务{g.task} " if g.task is not None else ""
        labels.setdefault(gid, head + tables.bilingual_label(g.title_zh, g.title_en))
    for c in sc.conditions:
        labels[c.id] = tables.bilingual_label(c.title_zh, c.title_en)
    return labels


def group_labels(comparison: Any) -> dict[str, str]:
    """Group id -> ``"任务36 机场第二通道 Airport second passage"`` for a ``group`` column.

    Parameters
    ----------
    comparison : sanqu_geo.compare.Comparison
        Its scenario's groups.

    Returns
    -------
    dict
    """
    from sanqu_geo import tables

    sc = comparison.scenario
    out = {}
    for gid in sc.groups:
        g = sc.group(gid)
        head = f"任务{g.task} " if g.task is not None else ""
        out[gid] = head + tables.bilingual_label(g.title_zh, g.title_en)
    return out


def _rule(column: str) -> tuple[int | None, str | None]:
    """(decimals, Excel number format) of a column by its internal name; decimals ``None``
    keeps the value unrounded (a relative gap), format ``None`` leaves Excel's General."""
    name = column.casefold()
    if name in ("rank", "rank_in_group", "baseline_rank", "task", "zones", "interchange"):
        return 0, "0"
    if name in ("year", "opening_year") or name.startswith("year"):
        return 0, "0"
    if name == "relative_gap":
        return None, "0.0E+00"
    if name in ("value", "measure_value"):
        return None, "General"  # one column of values of several units
    if name == "fyrr_percent":
        return 1, "0.0"
    if "share" in name or name == "fyrr":
        return 3, "0.0%"
    if name in ("delay_index", "bcr") or name.endswith("_vc") or "_vc_" in name:
        return style.RATIO_DECIMALS, style.excel_format(style.RATIO_DECIMALS)
    if name.endswith("_yi_yuan") or name == "cost_yi_per_min_saved":
        return 1, "#,##0.0"
    if name.startswith(("vht", "vkt", "pcu_km", "population", "benefit", "max_pcu")):
        return style.VEHICLE_HOURS_DECIMALS, "#,##0"
    if name in ("vehicle_hours_saved_per_day", "corridor_max_pcu", "pairs_improved"):
        return 0, "#,##0"
    if name.endswith(("_yuan", "_yuan_per_veh_h", "_m", "pcu")):
        return 0, "#,##0"
    if name.endswith(_MINUTES) or name == "measure_value":
        return style.MINUTES_DECIMALS, style.excel_format(style.MINUTES_DECIMALS)
    if name.endswith(_HOURS):
        return style.HOURS_DECIMALS, style.excel_format(style.HOURS_DECIMALS)
    if name in ("trips", "flow", "trips_to", "trips_from") or name.startswith(
        ("trucks", "trips_", "base_trucks")
    ):
        return 1, "#,##0.0"
    if name.endswith(("_km", "_km2")):
        return 1, "#,##0.0"
    return 2, "0.00"


def _decimals(column: str) -> int:
    decimals = _rule(column)[0]
    return 6 if decimals is None else decimals


def number_format(column: str) -> str | None:
    """The Excel number format of a column of numbers, by its internal name.

    Parameters
    ----------
    column : str
        Internal column name (``vht_saved``, ``corridor_max_vc``) or its bilingual header.

    Returns
    -------
    str or None
        ``"#,##0"`` for vehicle-hours and volumes, ``"0.0"`` for minutes, ``"0.00"`` for
        ratios, ``"0.0%"`` for shares, ``"0.0E+00"`` for a relative gap, ``"0"`` for ranks
        and years.
    """
    name = _internal(column)
    if name == column and not re.fullmatch(r"[a-z0-9_]+", column):
        return "General"  # a sheet's own header: its numbers keep their digits
    return _rule(name)[1]


def text_value(column: str, value: Any) -> str:
    """A number as the workbook shows it (same rounding and separators), for a web page.

    Parameters
    ----------
    column : str
        Internal column name (the rule of :func:`number_format`).
    value : Any
        The value; blanks and infinite values read ``—``, texts are returned as they are.

    Returns
    -------
    str
    """
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return "—" if value is None else str(value)
    if not math.isfinite(value):
        return "—"
    decimals, fmt = _rule(column)
    if fmt == "0.0E+00":
        return f"{value:.1e}"
    if fmt == "General":
        return f"{value:.3g}"
    if fmt and fmt.endswith("%"):
        return f"{style.round_half_up(value * 100, 1):.1f} %"
    digits = 0 if decimals is None else decimals
    number = style.round_half_up(value, digits)
    text = f"{number:,.{digits}f}" if fmt and "," in fmt else f"{number:.{digits}f}"
    return "0" if text in ("-0", "-0.0") and digits == 0 else text


def for_people(
    table: pd.DataFrame,
    *,
    options: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    groups: Mapping[str, str] | None = None,
    blank_infinite: bool = True,
) -> pd.DataFrame:
    """A copy of a result table with codes replaced by labels and numbers rounded once.

    Parameters
    ----------
    table : pandas.DataFrame
        A table of :mod:`sanqu_geo.compare` or :mod:`sanqu_geo.report` with its internal
        column names.
    options : mapping, optional
        Option id -> its label (``机场第二通道一期 Second passage, phase 1``), for the
        ``option`` column.
    labels : mapping, optional
        Code -> label for every text cell that is exactly a code (see :func:`code_labels`);
        an id column and its labelled twins say the same once.
    groups : mapping, optional
        Group id -> label, for the ``group`` column (see :func:`group_labels`).
    blank_infinite : bool
        Infinite values (no saving to divide by, an unreachable pair) become blank cells.

    Returns
    -------
    pandas.DataFrame
        Numbers rounded half up as on the maps (:func:`style.round_half_up`), by the rule of
        :func:`number_format`; ``status``/``accuracy`` as words; booleans as 是 yes / 否 no;
        profiles by their description.
    """
    out = table.copy()
    if labels:
        out = out.drop(columns=_duplicates(out, labels))
    for column in out.columns:
        series = out[column]
        name = str(column)
        if name == "option" and options:
            series = out[column] = series.map(lambda v: options.get(str(v), v))
        elif name == "group" and groups:
            series = out[column] = series.map(lambda v: groups.get(str(v), v))
        if name in ("status", "accuracy"):
            out[column] = series.map(style.code_label)
        elif name == "profile":
            out[column] = series.map(_profile_label)
        elif name in ("class", "access_mode"):
            out[column] = series.map(lambda v: _CLASSES.get(str(v), v))
        elif series.dtype == bool:
            out[column] = series.map(lambda v: _YES_NO[0] if v else _YES_NO[1])
        elif series.dtype.kind == "f":
            digits = _rule(name)[0]
            if name in ("measure_value", "relative_gap"):  # by significant digits
                keep = 3 if name == "measure_value" else 2
                series = pd.Series(
                    [float(f"{v:.{keep}g}") if math.isfinite(v) else v for v in series],
                    index=series.index,
                )
            out[column] = [
                None
                if not math.isfinite(v) and (blank_infinite or math.isnan(v))
                else v
                if digits is None or not math.isfinite(v)
                else style.round_half_up(v, digits)
                for v in series.astype(float)
            ]
        elif labels and series.dtype.kind in "OTU":
            exact = not name.endswith(("_zh", "_en"))  # a language column is words already
            out[column] = series.map(
                lambda v, exact=exact: (
                    labels[v]
                    if exact and isinstance(v, str) and v in labels
                    else replace_codes(v, labels)
                )
            )
    return out


_CODE_WORD = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def replace_codes(text: Any, labels: Mapping[str, str]) -> Any:
    """A text with the codes written into it (``between cbz_phase1 and container_centre``)
    replaced by their labels; only ``snake_case`` words that are codes are touched.

    Parameters
    ----------
    text : Any
        A cell's value; anything that is not a text is returned as it is.
    labels : mapping
        Code -> label (:func:`code_labels`).

    Returns
    -------
    Any
    """
    if not isinstance(text, str) or "_" not in text:
        return text
    return _CODE_WORD.sub(lambda m: labels.get(m.group(0), m.group(0)), text)


def _duplicates(table: pd.DataFrame, labels: Mapping[str, str]) -> list[str]:
    """The columns that say again what a labelled column beside them says."""
    drop: list[str] = []
    for code, twins in _DUPLICATES.items():
        present = [t for t in twins if t in table.columns]
        if code not in table.columns or not present:
            continue
        values = [v for v in table[code] if isinstance(v, str)]
        labelled = bool(values) and all(v in labels for v in values)
        if code == "condition" and labelled:
            drop += present  # the condition's own label is bilingual
        elif any(t.endswith("_en") for t in present) or not labelled:
            drop.append(code)
        else:
            drop += present
    return drop


#: The decision columns of the ranking, in order: rank, option, the measure of its task.
_DECISION = (
    "rank",
    "title_zh",
    "title_en",
    "task",
    "measure",
    "measure_value",
    "measure_unit",
    "best_in_task",
    "vht_saved",
    "vht_saved_per_day",
    "cost_yi_yuan",
    "bcr",
    "rank_in_group",
    "group",
)


def decision_first(summary: pd.DataFrame, by_task: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ranking with the decision columns first and the detail after.

    Parameters
    ----------
    summary : pandas.DataFrame
        :attr:`sanqu_geo.compare.Comparison.summary` (internal column names).
    by_task : pandas.DataFrame, optional
        The appraisal's table by task (``option``, ``task``, ``measure``, ``measure_value``,
        ``measure_unit``, ``best_in_task``, ``bcr``): each option's own task measure joins
        its row.

    Returns
    -------
    pandas.DataFrame
        Rank, option (Chinese, English), task, its measure, value and unit, then the
        vehicle-hours, cost and every other column of ``summary``; sorted by rank.
    """
    table = summary.copy()
    if by_task is not None and not by_task.empty:
        extra = [
            c
            for c in ("task", "measure", "measure_value", "measure_unit", "best_in_task", "bcr")
            if c in by_task.columns and c not in table.columns
        ]
        table = table.merge(by_task[["option", *extra]], on="option", how="left")
        if "task" in table:
            table["task"] = table["task"].astype("Int64").astype(object)
            table["task"] = table["task"].where(table["task"].notna(), None)
    first = [c for c in _DECISION if c in table.columns]
    rest = [c for c in table.columns if c not in first]
    return table[first + rest].sort_values("rank", kind="stable").reset_index(drop=True)


_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?([eE][+-]?\d+)?$")


def readable_numbers(table: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """A copy with the texts that are plain numbers (``"1.66"``, ``"4.6e-07"``, ``"9,800"``)
    turned into numbers, so a spreadsheet can sum and format them.

    Parameters
    ----------
    table : pandas.DataFrame
        Any table.
    columns : iterable of str, optional
        The columns to convert (default: every column).

    Returns
    -------
    pandas.DataFrame
        Object columns of numbers and the texts that are not numbers.
    """
    out = table.copy()
    for column in columns if columns is not None else out.columns:
        series = out[column]
        if series.dtype.kind not in "OTU":
            continue
        out[column] = series.astype(object).map(_number_or_text)
    return out


def _number_or_text(value: Any) -> Any:
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        number = float(value.strip().replace(",", ""))
        return (
            int(number)
            if number.is_integer() and "." not in value and "e" not in value.lower()
            else number
        )
    return value


_MODULE = re.compile(r"\s*\(?(?:sanqu_geo\.|settings\.)[\w.]+(?:[ ,/]+[\w.]*_[\w.]+)*\)?;?")


def assumptions_sheet(
    table: pd.DataFrame, *, labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The assumptions as a sheet: values that are numbers as numbers, module paths moved out
    of the source into a last column (outside the print area), sources in words.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`assumptions_table` (``参数 Parameter``, ``取值 Value``, ``单位 Unit``,
        ``来源 Source``).
    labels : mapping, optional
        Code -> label: codes written into the texts (periods, stations) become words.

    Returns
    -------
    pandas.DataFrame
        The same rows with :data:`TRACE_HEADER` last.
    """
    out = readable_numbers(table, ["取值 Value"])
    sources, traces = [], []
    for text in out["来源 Source"].astype(str):
        found = [m.group(0).strip(" ();") for m in _MODULE.finditer(text)]
        words = _MODULE.sub("", text).strip(" ;,")
        words = re.sub(r"\(\s*\)", "", words).strip(" ;,")
        if not words:
            words = "工具默认值,可修改 toolkit default (may be changed)"
        sources.append(words)
        traces.append("; ".join(found))
    out["来源 Source"] = sources
    out[TRACE_HEADER] = traces
    if labels:
        for column in ("参数 Parameter", "取值 Value", "来源 Source"):
            out[column] = out[column].map(lambda v: replace_codes(v, labels))
    return out


def _profile_label(value: Any) -> str:
    spec = settings.profiles.get(str(value))
    if not spec:
        return str(value)
    return f"{spec['description_zh']} {spec['description_en']}"


def _display_width(value: Any) -> int:
    text = "" if value is None else str(value)
    longest = max(text.split("\n"), key=len) if text else ""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def format_sheet(
    ws: Any,
    table: pd.DataFrame,
    *,
    index: bool = False,
    phase_column: str | None = None,
    decimals: int | None = None,
) -> None:
    """Make a written sheet readable: bold wrapped header frozen with a filter, widths that
    fit, wrapped long texts, one number format per number column, phases in their colour.

    Parameters
    ----------
    ws : openpyxl.worksheet.worksheet.Worksheet
        The sheet pandas wrote ``table`` to (header in row 1).
    table : pandas.DataFrame
        What was written (for the number formats by column).
    index : bool
        Whether the index was written as the first column.
    phase_column : str, optional
        Header of a column of plan phases, filled with :data:`style.PHASE_COLOURS`.
    decimals : int, optional
        Decimals of every number column (default: the rule of :func:`number_format`).
    """
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws.freeze_panes = "B2" if index else "A2"
    if ws.max_row >= 1 and ws.max_column >= 1:
        ws.auto_filter.ref = ws.dimensions
    header_font = Font(bold=True)
    for cell in ws[1]:
        cell.font = header_font
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    columns = ([str(table.index.name or "")] if index else []) + [str(c) for c in table.columns]
    formats = ([None] if index else []) + [
        style.excel_format(decimals) if decimals is not None else number_format(str(c))
        for c in table.columns
    ]
    top = Alignment(vertical="top")
    for position, (header, fmt) in enumerate(zip(columns, formats, strict=True), start=1):
        letter = get_column_letter(position)
        cells = [row[0] for row in ws.iter_rows(min_col=position, max_col=position)]
        widths = [_display_width(c.value) for c in cells[1:]]
        body = max(widths, default=0)
        wrapped = any(key in header for key in _WRAPPED) or body > _MAX_PLAIN_WIDTH
        width = min(max(_header_width(header), body, 6) + 2, _MAX_WIDTH if wrapped else 60)
        ws.column_dimensions[letter].width = width
        for cell in cells[1:]:
            is_number = isinstance(cell.value, int | float) and not isinstance(cell.value, bool)
            if fmt and is_number:
                whole = isinstance(cell.value, int) and "." in fmt and "%" not in fmt
                cell.number_format = re.sub(r"\.0+", "", fmt) if whole else fmt
            if wrapped and isinstance(cell.value, str):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            else:
                cell.alignment = top
        if phase_column is not None and header == phase_column:
            for cell in cells[1:]:
                colour = style.PHASE_COLOURS.get(str(cell.value))
                if colour:
                    cell.fill = PatternFill("solid", fgColor="FF" + colour.lstrip("#").upper())
                    cell.font = Font(bold=True, color="FFFFFFFF")


def _header_width(header: str) -> int:
    """Width a wrapped header needs: its longest Latin word; Chinese wraps at any character,
    so a Chinese word asks for at most 4 characters (8 columns)."""
    widths = []
    for word in header.split():
        width = _display_width(word)
        cjk = any(unicodedata.east_asian_width(ch) in "WF" for ch in word)
        widths.append(min(width, 8) if cjk else width)
    return max(widths, default=4)


#: Paper sizes of openpyxl's page setup.
_PAPER = {"A3": 8, "A4": 9}
#: Columns (Excel width units, about one Latin character each) a landscape page holds at
#: 100 % within the margins of :func:`print_setup`.
_PAGE_WIDTH = {"A3": 210, "A4": 142}


def widen_to_page(ws: Any, *, paper: str = "A4", last_column: int | None = None) -> None:
    """Give the room a landscape page has left to the columns whose texts wrap, so a sheet
    that fits the page anyway prints on fewer, shorter rows.

    Parameters
    ----------
    ws : openpyxl.worksheet.worksheet.Worksheet
        A sheet formatted by :func:`format_sheet`.
    paper : {"A3", "A4"}
        The paper it prints on.
    last_column : int, optional
        Last printed column.
    """
    from openpyxl.utils import get_column_letter

    last = last_column or ws.max_column
    letters = [get_column_letter(i) for i in range(1, last + 1)]
    widths = {k: ws.column_dimensions[k].width or 8.43 for k in letters}
    spare = _PAGE_WIDTH.get(str(paper).upper(), 142) - sum(widths.values())
    if spare <= 0:
        return
    needs = {}
    for k in letters:
        cells = ws[k][1:]
        need = max((_display_width(c.value) for c in cells), default=0) + 2
        if need > widths[k] and any(c.alignment.wrap_text for c in cells):
            needs[k] = min(need, 80) - widths[k]
    total = sum(needs.values())
    for k, need in needs.items():
        ws.column_dimensions[k].width = widths[k] + min(need, spare * need / total)


def print_setup(
    ws: Any,
    *,
    paper: str = "A4",
    title: str = "",
    title_columns: str | None = None,
    last_column: int | None = None,
) -> None:
    """Set a sheet up for printing: landscape, fit to the page width, header row repeated on
    every page, the given paper, a print area, the sheet's name and page numbers.

    Parameters
    ----------
    ws : openpyxl.worksheet.worksheet.Worksheet
        A written sheet (header in row 1).
    paper : {"A3", "A4"}
        Paper size (the pack's ``--paper``).
    title : str
        Printed in the page header (default: the sheet's name).
    title_columns : str, optional
        Columns repeated on every page (``"A:A"`` for a table with row labels).
    last_column : int, optional
        Last column of the print area (default: the sheet's last column); columns after it
        stay on screen only.
    """
    from openpyxl.utils import get_column_letter

    size = _PAPER.get(str(paper).upper())
    if size is None:
        msg = f"paper {paper!r}: use 'A3' or 'A4'"
        raise ValueError(msg)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = size
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.print_title_rows = "1:1"
    if title_columns:
        ws.print_title_cols = title_columns
    last = get_column_letter(last_column or max(ws.max_column, 1))
    ws.print_area = f"A1:{last}{max(ws.max_row, 1)}"
    ws.oddHeader.center.text = (title or ws.title).replace("&", "&&")
    ws.oddHeader.center.size = 10
    ws.oddFooter.center.text = "第 &P 页,共 &N 页 Page &P of &N"
    ws.oddFooter.center.size = 8


def write_sheets(
    path: str | Path,
    sheets: Sequence[tuple[str, pd.DataFrame, bool, str | None]],
    *,
    paper: str = "A4",
    after: Callable[[Any], None] | None = None,
) -> Path:
    """Write tables as formatted, print-ready sheets of one workbook.

    Parameters
    ----------
    path : path-like
        The ``.xlsx`` file (written in place; the caller makes it atomic).
    sheets : sequence of (name, table, index, phase column)
        Sheet name (cut to 31 characters), the table for people, whether its index is
        written as the first column, and the header of its phase column if any.
    paper : {"A3", "A4"}
        Paper of every sheet.
    after : callable, optional
        Called with the ``pandas.ExcelWriter`` once every sheet is written (further marks).

    Returns
    -------
    pathlib.Path
        The file.
    """
    from sanqu_geo._safe import spreadsheet_text_cells

    path = Path(path)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, table, index, phase in sheets:
            table.to_excel(writer, sheet_name=name[:31], index=index)
            ws = writer.sheets[name[:31]]
            spreadsheet_text_cells(ws)
            format_sheet(
                ws,
                table,
                index=index,
                phase_column=phase,
                # the zone-to-zone tables hold minutes only
                decimals=style.MINUTES_DECIMALS if index else None,
            )
            trace = list(table.columns).index(TRACE_HEADER) if TRACE_HEADER in table else None
            last = trace + int(index) if trace is not None else None
            widen_to_page(ws, paper=paper, last_column=last)
            print_setup(
                ws,
                paper=paper,
                title=name,
                title_columns="A:A" if index else None,
                last_column=last,
            )
        if after is not None:
            after(writer)
    logger.debug("workbook %s: %d sheets on %s", path, len(sheets), paper)
    return path


def _internal(header: str) -> str:
    """The internal column name behind a bilingual header (for the rounding rule)."""
    from sanqu_geo import tables

    for name, label in tables.HEADERS.items():
        if label == header:
            return name
    return header


def assumptions_table(comparison: compare.Comparison | None = None) -> pd.DataFrame:
    """Every parameter the pack's figures depend on, with its value and where it comes from.

    Parameters
    ----------
    comparison : sanqu_geo.compare.Comparison, optional
        Adds the network, the options' design speeds and costs.

    Returns
    -------
    pandas.DataFrame
        Columns 参数 Parameter, 取值 Value, 单位 Unit, 来源 Source.
    """
    rows: list[tuple[str, str, str, str]] = []

    def add(parameter: str, value: Any, unit: str, source: str) -> None:
        rows.append((parameter, str(value), unit, source))

    standards = "JTG B01-2014 / CJJ 37 design speeds (sanqu_geo.settings.default_speeds_kph)"
    for road_class, kph in settings.default_speeds_kph.items():
        add(f"畅行车速 {road_class} Free-flow speed", f"{kph:g}", "km/h", standards)
    add(
        "无等级道路车速 Speed of other classes",
        f"{settings.fallback_speed_kph:g}",
        "km/h",
        "sanqu_geo.settings.fallback_speed_kph",
    )
    add(
        "OSM 限速 maxspeed",
        "OSM maxspeed wins where present (OSM networks only)",
        "",
        "sanqu_geo.speeds",
    )
    for spec in settings.profiles.values():
        factors = ", ".join(f"{k} ×{v:g}" for k, v in spec.get("factor", {}).items())
        caps = ", ".join(f"{k} ≤{v:g}" for k, v in spec.get("cap_kph", {}).items())
        value = "; ".join(p for p in (factors, caps and f"caps {caps}") if p)
        if spec.get("respect_bans"):
            value += "; truck bans respected"
        add(
            f"出行方案 {spec['description_zh']} Profile {spec['description_en']}",
            value,
            "factor / km/h",
            "indicative: typical urban congestion ratios, harbin-facts §11 truck caps "
            "(sanqu_geo.settings.profiles)",
        )
    add(
        "接入连接线车速 Access connector speed",
        f"{settings.connector_speed_kph:g}",
        "km/h",
        "sanqu_geo.settings.connector_speed_kph (places to their road node)",
    )
    add(
        "最大接入距离 Largest access distance",
        f"{settings.snap_max_distance_m:g}",
        "m",
        "sanqu_geo.settings.snap_max_distance_m",
    )
    add(
        "接入道路等级 Road classes places join",
        ", ".join(settings.snap_classes),
        "",
        "sanqu_geo.settings.snap_classes; zones join at their gates or boundary ("
        + access.__name__
        + ")",
    )
    add(
        "互通并入节点距离 Interchange joins a node within",
        f"{scenarios.node_tolerance_m:g}",
        "m",
        "sanqu_geo.scenarios.node_tolerance_m",
    )
    add(
        "互通拆分道路距离 Interchange splits a road within",
        f"{scenarios.edge_tolerance_m:g}",
        "m",
        "sanqu_geo.scenarios.edge_tolerance_m",
    )
    add(
        "互通连接线 Interchange connector",
        f"≤ {scenarios.max_connector_m:g} m at {scenarios.connector_speed_kph:g} km/h",
        "m, km/h",
        "sanqu_geo.scenarios.max_connector_m, connector_speed_kph",
    )
    add(
        "造价 Costs",
        "only published costs (or a user's cost file); otherwise 未公布 not published, "
        "never estimated per km",
        "亿元",
        "harbin-facts §7 (second passage phase 1, 35.7 亿); corridors compare --costs",
    )
    links = "; ".join(f"{zh} {en}" for _, zh, en, _, _ in compare.KEY_LINKS)
    add(
        "关键联系 Key links (both directions)",
        links,
        "",
        "the plan's section 五 （十一） (sanqu_geo.compare.KEY_LINKS)",
    )
    add("排名依据 Ranking", compare.RANK_CRITERION, "", "sanqu_geo.compare.RANK_CRITERION")
    add(
        "等时圈 Isochrones",
        ", ".join(f"{m:g}" for m in compare.ISOCHRONE_MINUTES)
        + " min around "
        + ", ".join(compare.ISOCHRONE_PLACES),
        "min",
        "sanqu_geo.compare.ISOCHRONE_MINUTES / ISOCHRONE_PLACES; roads buffered 200 m",
    )
    _assignment_rows(add)
    _capacity_rows(add)
    _demand_rows(add)
    add(
        "年天数 Days per year",
        f"{compare.days_per_year:g}",
        "d",
        "assumption: every day like the modelled weekday (sanqu_geo.compare.days_per_year)",
    )
    add(
        "步行速度 Walk speed (rail door to door)",
        f"{compare.walk_kph:g}",
        "km/h",
        "assumption (sanqu_geo.compare.walk_kph)",
    )
    for _run, zh, en, variant in compare.SENSITIVITY_RUNS:
        add(
            f"敏感性 {zh} Sensitivity {en}",
            _variant_words(variant),
            "",
            "sanqu_geo.compare.SENSITIVITY_RUNS: base and every road option re-solved",
        )
    add(
        "取整 Rounding",
        f"minutes and hours to {style.MINUTES_DECIMALS} decimal, vehicle-hours to "
        f"{style.VEHICLE_HOURS_DECIMALS} decimals, v/c to {style.RATIO_DECIMALS}, half up "
        "(0.25 → 0.3), the same on maps, web pages and this workbook",
        "",
        "sanqu_geo.maps.style.round_half_up",
    )
    add(
        "空白单元格 Blank cells",
        "no value: an unreachable pair, or no minute saved to divide a cost by",
        "",
        "sanqu_geo.workbook.for_people",
    )
    add(
        "数据精度 Data accuracy",
        "zones, facilities, projects and the trunk network are indicative, authored from "
        "published facts; official boundary annexes are not public",
        "",
        "data/README.md",
    )
    if comparison is not None:
        add("路网 Network", comparison.network_source, "", "sanqu_geo.network")
        sc = comparison.scenario
        add(
            "方案默认出行方案 Default profile of the options",
            _profile_label(sc.profile),
            "",
            "data/projects/scenarios.toml",
        )
        seen: set[str] = set()
        for option in sc.options:
            for corridor in option.corridors:
                if corridor.id in seen:
                    continue
                seen.add(corridor.id)
                cost = corridor.cost
                if corridor.kind == "rail_art":
                    from sanqu_geo.appraisal import rail

                    wait = rail.load_parameters()
                    add(
                        f"候车 {corridor.title_zh} Rail wait",
                        f"{wait.wait_min:g}",
                        "min",
                        f"data/appraisal/rail.toml: {wait.wait_fraction:g} × headway "
                        f"{wait.headway_min:g} min (headway an assumption)",
                    )
                add(
                    f"{corridor.title_zh} {corridor.title_en}",
                    f"{corridor.design_speed_kph:g} km/h; "
                    + (
                        f"{cost / 1e8:.1f} 亿元 (published)"
                        if cost is not None
                        else "cost 未公布 not published"
                    ),
                    "km/h, 亿元",
                    "data/projects/scenarios.toml (design speed indicative where not published)",
                )
        appraisal = getattr(comparison, "appraisal", None)
        if appraisal is not None:
            for r in appraisal.assumptions.itertuples():
                add(f"{r.factor_zh} {r.factor_en}", f"{r.value:g}", r.unit, r.source)
            _appraisal_rows(add, sc)
    return pd.DataFrame(rows, columns=["参数 Parameter", "取值 Value", "单位 Unit", "来源 Source"])


def _appraisal_rows(add: Callable[[str, Any, str, str], None], sc: Any) -> None:
    """Years, growth, conditions and the rail service behind the per-task tables."""
    from sanqu_geo import demand, forecast
    from sanqu_geo.appraisal import rail

    add("评价年份 Years solved", ", ".join(map(str, sc.years)), "", "data/projects/scenarios.toml")
    add("评价时段 Periods solved", ", ".join(sc.periods), "", "data/projects/scenarios.toml")
    add("通车年 Opening year", f"{sc.opening_year}", "", "data/projects/scenarios.toml "
        "(assumption: no opening date is published)")  # fmt: skip
    for r in forecast.growth_table(demand.load_demand(network=sc.network)).itertuples():
        add(f"增长 Growth {r.group}: {r.applies_to}",
            f"{r.annual_rate:+.2%}/yr; ×{r.factor_2025:.3f} (2025), ×{r.factor_2035:.3f} (2035)",
            "", r.source)  # fmt: skip
    for c in sc.conditions:
        what = ", ".join(e.title_zh for e in c.edits) or f"capacity × {c.capacity_factor:g}"
        add(f"工况 {c.title_zh} Condition {c.title_en}", what,
            "solved by default" if c.run else "when asked (--conditions)", c.source)  # fmt: skip
    params = rail.load_parameters()
    fields = [f.name for f in dataclasses.fields(params)]
    for name, source in params.sources.items():
        field = next((f for f in fields if f == name or f.startswith(name + "_")), None)
        value = getattr(params, field) if field else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            unit = field.removeprefix(name).lstrip("_") if field else ""
            add(f"轨道 Rail {name.replace('_', ' ')}", f"{value:g}", unit, source)


def _variant_words(variant: Any) -> str:
    """A sensitivity variant as a sentence (only what it changes against the defaults)."""
    parts = []
    if variant.demand_scale != 1.0:
        parts.append(f"需求 demand × {variant.demand_scale:g}")
    if variant.capacity_scale != 1.0:
        parts.append(f"通行能力 capacities × {variant.capacity_scale:g}")
    if variant.truck_pce is not None:
        parts.append(f"货车折算系数 truck PCE = {variant.truck_pce:g}")
    if variant.bpr_alpha is not None:
        parts.append(f"BPR α = {variant.bpr_alpha:g}")
    if variant.bpr_beta is not None:
        parts.append(f"BPR β = {variant.bpr_beta:g}")
    if variant.conical_alpha is not None:
        parts.append(f"锥形延误函数 conical α = {variant.conical_alpha:g}")
    return "; ".join(parts) or "无变化 no change"


def _assignment_rows(add: Callable[[str, Any, str, str], None]) -> None:
    from sanqu_geo import peak

    bpr = "US Bureau of Public Roads, Traffic Assignment Manual (1964) (sanqu_geo.settings)"
    add(
        "高峰延误函数 Peak volume-delay function",
        settings.peak_vdf,
        "",
        "conical (Spiess 1990) on every road: delay rises steeply beyond capacity, where BPR "
        "lets short links take twice their capacity (sanqu_geo.settings.peak_vdf)",
    )
    add("BPR α (延误函数 volume-delay)", f"{settings.bpr_alpha:g}", "", bpr + "; assign --vdf bpr")
    add("BPR β (延误函数 volume-delay)", f"{settings.bpr_beta:g}", "", bpr + "; assign --vdf bpr")
    add(
        "锥形延误函数 Conical volume-delay α",
        f"{settings.conical_alpha:g} (β = (2α − 1)/(2α − 2)); the peak hour's, and assign --vdf conical",
        "",
        "Spiess 1990, Transportation Science 24(2) (sanqu_geo.settings.conical_alpha)",
    )
    for vehicle, pce in settings.pce_by_vehicle.items():
        add(
            f"车辆折算系数 PCE {vehicle}",
            f"{pce:g}",
            "pcu/veh",
            "JTG B01-2014 §3.3 table 3.3.2 (sanqu_geo.settings.pce_by_vehicle)",
        )
    add(
        "货车折算系数 Truck PCE (mix unknown)",
        f"{settings.truck_pce:g}",
        "pcu/veh",
        "JTG B01-2014 §3.3 大型车 2.5 (sanqu_geo.settings.truck_pce); the demand's own value "
        "is demand.classes.truck.pce below",
    )
    add(
        "均衡收敛 Relative gap of every solve",
        f"{peak.default_gap:.0e}",
        "",
        "sanqu_geo.peak.default_gap (multi-class user equilibrium, path-based)",
    )


def _capacity_rows(add: Callable[[str, Any, str, str], None]) -> None:
    for road_class, pcu in settings.capacity_per_lane_pcu.items():
        standard = "JTG B01-2014 §3.4" if road_class.startswith("motorway") else "CJJ 37-2012"
        add(
            f"每车道通行能力 {road_class} Capacity per lane",
            f"{pcu:g}",
            "pcu/h/ln",
            f"{standard} (sanqu_geo.settings.capacity_per_lane_pcu)",
        )
    add(
        "其他等级每车道通行能力 Capacity per lane, other classes",
        f"{settings.fallback_capacity_per_lane_pcu:g}",
        "pcu/h/ln",
        "sanqu_geo.settings.fallback_capacity_per_lane_pcu",
    )
    for road_class, share in settings.signal_green_share.items():
        add(
            f"绿信比 {road_class} Signal green share g/C",
            f"{share:g}",
            "",
            "assumption, HCM / CJJ 37 §4.3 reduction (sanqu_geo.settings.signal_green_share)",
        )
    add(
        "街道自由流车速系数 Street free-flow speed factor",
        f"{settings.city_free_flow_factor:g}",
        "× design speed",
        "calibrated to Amap's implied free-flow speed 40.8–41.8 km/h, harbin-demand-facts §3 "
        "(sanqu-geo model calibrate; sanqu_geo.settings.city_free_flow_factor)",
    )
    add(
        "信号周期 Signal cycle",
        f"{settings.signal_cycle_s:g}",
        "s",
        "assumption, Webster 1958 uniform delay (sanqu_geo.settings.signal_cycle_s)",
    )
    for road_class, lanes in settings.default_lanes_per_direction.items():
        add(
            f"单向车道数 {road_class} Lanes per direction",
            f"{lanes:g}",
            "lanes",
            "OSM lanes where tagged, else assumption (settings.default_lanes_per_direction)",
        )
    for road, lanes in settings.published_lanes.items():
        add(f"车道数 {road} Lanes", f"{lanes}", "lanes (both ways)", "harbin-demand-facts §4")
    for road, pcu in settings.published_capacity_pcu.items():
        add(
            f"通行能力 {road} Capacity",
            f"{pcu:g}",
            "pcu/h (both ways)",
            "harbin-demand-facts §4 (published)",
        )
    add(
        "匝道车道数 Ramp lanes (interchanges of the options)",
        f"{settings.ramp_lanes:g}",
        "lanes",
        "assumption (sanqu_geo.settings.ramp_lanes)",
    )


def _demand_rows(add: Callable[[str, Any, str, str], None]) -> None:
    """Every key of data/demand/parameters.toml, with the source written next to it there."""
    from sanqu_geo import demand

    params = demand.load_parameters()
    where = "data/demand/parameters.toml"

    def source_of(table: dict[str, Any], key: str) -> str:
        # the nearest "<prefix>_source" of the key (beta_car_per_min → beta_source), else the
        # table's "source"
        words = key.split("_")
        names = [f"{'_'.join(words[:n])}_source" for n in range(len(words), 0, -1)]
        for name in [*names, "source"]:
            if name in table and isinstance(table[name], str):
                return f"{table[name]} ({where})"
        return f"assumption ({where})"

    def walk(table: dict[str, Any], path: str) -> None:
        for key, value in table.items():
            name = f"{path}.{key}" if path else key
            if isinstance(value, dict):
                walk(value, name)
            elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                for entry in value:
                    ident = entry.get("id", "")
                    label = " ".join(str(entry[k]) for k in ("name_zh", "name_en") if k in entry)
                    cells = "; ".join(
                        f"{k}={_plain(v)}" for k, v in entry.items() if not k.endswith("source")
                    )
                    add(
                        f"需求 demand {name}[{ident}] {label}".rstrip(),
                        cells,
                        "",
                        _entry_source(entry, name, where),
                    )
            elif key == "source" or key.endswith("_source"):
                continue  # written as the source of the keys it belongs to
            elif path == "meta":
                add(f"需求 demand {name}", _plain(value), "", where)
            else:
                add(f"需求 demand {name}", _plain(value), "", source_of(table, key))

    walk(params, "")


def _entry_source(entry: dict[str, Any], table: str, where: str) -> str:
    found = "; ".join(str(v) for k, v in entry.items() if k.endswith("source"))
    if not found and table == "zones.district":
        # the file's notes give the districts' source once, for all of them
        found = "NBS 2020 census, tabulation by county (harbin-demand-facts §1)"
    return f"{found} ({where})" if found else where


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    return str(value)
