"""Tables for people: bilingual labels, minutes, and atomic CSV / XLSX / Parquet / Markdown files.

Formats only; computes no travel times.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sanqu_geo._atomic import atomic_path
from sanqu_geo._safe import spreadsheet_safe_frame, spreadsheet_text_cells
from sanqu_geo.errors import DataSourceError

__all__ = ["bilingual_label", "minutes_table", "write_table"]

_FORMATS = {".csv", ".xlsx", ".parquet", ".md"}


def bilingual_label(name_zh: str, name_en: str) -> str:
    """Return ``"中文 English"`` (Chinese first), or whichever of the two exists."""
    parts = [p for p in (str(name_zh or "").strip(), str(name_en or "").strip()) if p]
    return " ".join(dict.fromkeys(parts))


def minutes_table(
    seconds: pd.DataFrame,
    origins: pd.DataFrame,
    destinations: pd.DataFrame,
    *,
    decimals: int = 1,
) -> pd.DataFrame:
    """Turn an OD table in seconds into minutes with bilingual row and column labels.

    Parameters
    ----------
    seconds : pandas.DataFrame
        Indexed by origin id, columns destination ids.
    origins, destinations : pandas.DataFrame
        Places with ``id`` and ``short_zh``/``short_en`` (or ``name_zh``/``name_en``).
    decimals : int
        Rounding of the minutes.

    Returns
    -------
    pandas.DataFrame
        Minutes; unreachable pairs stay ``inf``.
    """

    def labels(frame: pd.DataFrame) -> dict[str, str]:
        zh = "short_zh" if "short_zh" in frame.columns else "name_zh"
        en = "short_en" if "short_en" in frame.columns else "name_en"
        return {
            str(i): bilingual_label(a, b)
            for i, a, b in zip(frame["id"], frame[zh], frame[en], strict=True)
        }

    from sanqu_geo.maps.style import round_half_up

    # the one rounding rule of every table and map: half up (0.25 → 0.3)
    table = (seconds / 60.0).apply(lambda col: col.map(lambda v: round_half_up(v, decimals)))
    table = table.rename(index=labels(origins), columns=labels(destinations))
    table.index.name = "分钟 min: 起点 from \\ 终点 to"
    return table


def table_format(path: str | Path) -> str:
    """Return a table file's format (its lower-case suffix), or say which formats exist.

    Parameters
    ----------
    path : path-like
        The output file.

    Returns
    -------
    str
        ``.csv``, ``.xlsx``, ``.parquet`` or ``.md``.

    Raises
    ------
    DataSourceError
        For any other extension.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in _FORMATS:
        msg = f"{path}: unknown table format {suffix or '(none)'}; use .csv, .xlsx, .parquet or .md"
        raise DataSourceError(msg)
    return suffix


def write_table(table: pd.DataFrame, path: str | Path, *, sheet: str = "table") -> Path:
    """Write a table atomically as CSV (UTF-8 with BOM, for Excel), XLSX, Parquet or Markdown.

    Parameters
    ----------
    table : pandas.DataFrame
        The table; its index is written as the first column.
    path : path-like
        Output file; the format follows the extension.
    sheet : str
        Sheet name for XLSX.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    DataSourceError
        For an extension that is not one of .csv, .xlsx, .parquet, .md.
    """
    path = Path(path)
    suffix = table_format(path)
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            spreadsheet_safe_frame(table).to_csv(tmp, encoding="utf-8-sig")
        elif suffix == ".xlsx":
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                table.to_excel(writer, sheet_name=sheet[:31])
                _format_sheet(writer.sheets[sheet[:31]], table)
                spreadsheet_text_cells(writer.sheets[sheet[:31]])
        elif suffix == ".parquet":
            table.to_parquet(tmp)
        else:
            tmp.write_text(to_markdown(table), encoding="utf-8")
    return path


def _format_sheet(ws, table: pd.DataFrame) -> None:
    ws.freeze_panes = "B2"
    ws.column_dimensions["A"].width = max(
        12, min(60, max((len(str(i)) for i in table.index), default=10) + 4)
    )
    from openpyxl.styles import Alignment

    for cell in ws[1]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=2, min_col=2):
        for cell in row:
            if isinstance(cell.value, float):
                cell.number_format = "0.0"


def to_markdown(table: pd.DataFrame) -> str:
    """Render a table as GitHub Markdown without extra dependencies."""
    header = [_md_text(table.index.name or ""), *map(_md_text, table.columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for idx, row in table.iterrows():
        cells = [_md_cell(v) for v in row.tolist()]
        lines.append("| " + " | ".join([_md_text(idx), *cells]) + " |")
    return "\n".join(lines) + "\n"


def _md_cell(value) -> str:
    if isinstance(value, float):
        return "∞" if np.isinf(value) else f"{value:.1f}"
    return _md_text(value)


#: Bilingual headers of the comparison tables, by column name.
HEADERS: dict[str, str] = {
    "rank": "排名 Rank",
    "rank_in_group": "组内排名 Rank in group",
    "group": "方案组 Group",
    "option": "方案 Option",
    "option_zh": "方案名称 Option name",
    "title_zh": "方案名称 Name (zh)",
    "title_en": "Option name (en)",
    "profile": "出行方案 Profile",
    "length_km": "长度(公里) Length km",
    "cost_yi_yuan": "投资(亿元) Cost 100M yuan",
    "key_links_mean_saved_min": "关键通道平均节省(分钟) Key links mean saved min",
    "key_links_max_saved_min": "关键通道最大节省(分钟) Key links max saved min",
    "all_pairs_mean_saved_min": "全部点对平均节省(分钟) All pairs mean saved min",
    "all_pairs_max_saved_min": "全部点对最大节省(分钟) All pairs max saved min",
    "pairs_improved": "改善点对数 Pairs improved",
    "pairs_total": "点对总数 Pairs",
    "cost_yi_per_min_saved": "每分钟节省投资(亿元) Cost per minute saved",
    "used_by_profile": "该方案可用 Usable by profile",
    "vehicle_hours_saved_per_day": "日节省车小时 Vehicle-hours saved per day",
    "link": "通道 Link",
    "link_zh": "通道 Link (zh)",
    "link_en": "Link (en)",
    "from": "起点 From",
    "to": "终点 To",
    "from_zh": "起点 From (zh)",
    "to_zh": "终点 To (zh)",
    "from_en": "From (en)",
    "to_en": "To (en)",
    "before_min": "现状(分钟) Before min",
    "after_min": "方案后(分钟) After min",
    "saved_min": "节省(分钟) Saved min",
    "place": "地点 Place",
    "place_zh": "地点 Place (zh)",
    "minutes": "时间(分钟) Minutes",
    "before_km2": "现状面积(km²) Before km²",
    "after_km2": "方案后面积(km²) After km²",
    "gained_km2": "增加面积(km²) Gained km²",
    "run": "敏感性测试 Run",
    "run_zh": "测试说明 Run (zh)",
    "baseline_rank": "基准排名 Baseline rank",
    "rank_holds": "排名不变 Rank holds",
    "corridor": "通道 Corridor",
    "interchange": "互通序号 Interchange",
    "method": "接入方式 Joined",
    "distance_m": "接入距离(米) Distance m",
    "node": "节点 Node",
    "vehicles": "车辆 Vehicles",
    "class": "车型 Class",
    "vht_base_car": "现状小汽车车小时 Base car veh-h",
    "vht_base_truck": "现状货车车小时 Base truck veh-h",
    "vht_option_car": "方案小汽车车小时 Option car veh-h",
    "vht_option_truck": "方案货车车小时 Option truck veh-h",
    "vht_saved_car": "小汽车节省车小时 Car veh-h saved",
    "vht_saved_truck": "货车节省车小时 Truck veh-h saved",
    "vht_saved": "高峰小时节省车小时 Peak-hour veh-h saved",
    "vht_saved_per_day": "全日节省车小时 Veh-h saved per day",
    "vht_saved_baseline": "基准节省车小时 Baseline veh-h saved",
    "vkt_change_car": "小汽车车公里变化 Car veh-km change",
    "vkt_change_truck": "货车车公里变化 Truck veh-km change",
    "vkt_change_per_day": "全日车公里变化 Veh-km change per day",
    "corridor_max_pcu": "新通道最大断面(pcu/h) Corridor max PCU/h",
    "corridor_max_vc": "新通道最大饱和度 Corridor max v/c",
    "delay_index": "延误指数 Delay index",
    "relative_gap": "相对间隙 Relative gap",
    "cost_source": "投资来源 Cost source",
    "cost_yuan_per_veh_h": "每年节省1车小时投资(元) Cost per annual veh-h saved, yuan",
    "note_zh": "说明 Note (zh)",
    "note_en": "Note (en)",
    "road": "道路 Road",
    "road_zh": "道路 Road (zh)",
    "road_en": "Road (en)",
    "pcu_km_before": "现状pcu·km Before PCU-km",
    "pcu_km_after": "方案后pcu·km After PCU-km",
    "max_pcu_before": "现状最大断面 Before max PCU/h",
    "max_pcu_after": "方案后最大断面 After max PCU/h",
    "max_vc_before": "现状最大饱和度 Before max v/c",
    "max_vc_after": "方案后最大饱和度 After max v/c",
    "origin": "起点小区 Origin zone",
    "destination": "终点小区 Destination zone",
    "trips": "出行量(辆/小时) Trips veh/h",
    "flow": "经新通道(辆/小时) Via corridor veh/h",
    "share": "比例 Share",
    "walk_min": "步行(分钟) Walk min",
    "board_wait_min": "候车上车(分钟) Board & wait min",
    "in_vehicle_min": "车内(分钟) In-vehicle min",
    "door_to_door_min": "门到门(分钟) Door to door min",
    "car_congested_min": "小汽车高峰(分钟) Car congested min",
    "car_free_flow_min": "小汽车畅行(分钟) Car free flow min",
    "rail_minus_car_min": "轨道比小汽车多(分钟) Rail minus car min",
    "run_en": "Run (en)",
    "condition": "工况 Condition",
    "condition_zh": "工况 Condition (zh)",
    "condition_en": "Condition (en)",
    "mean_min": "平均(分钟) Mean min",
    "median_min": "中位数(分钟) Median min",
    "p95_min": "95%分位(分钟) P95 min",
    "share_losing_10min": "损失超10分钟比例 Share losing >10 min",
    "vht": "车小时 Veh-h",
    "truck_min": "货车时间(分钟) Truck min",
    "saved_vs_normal_base_min": "较平时现状节省(分钟) Saved vs normal base min",
    "trucks": "货车(辆/小时) Trucks/h",
    "trucks_with_end": "物流端点货车 Trucks with a logistics end",
    "end_share": "物流端点比例 Logistics-end share",
    "flag": "低于50% Under 50 %",
    "zone": "小区 Zone",
    "car_min": "小汽车高峰(分钟) Car peak min",
    "access_mode": "接驳方式 Access mode",
    "access_min": "接驳(分钟) Access min",
    "wait_min": "候车(分钟) Wait min",
    "egress_min": "离站(分钟) Egress min",
    "rail_min": "轨道门到门(分钟) Rail door to door min",
    "best_stop": "最佳车站 Best stop",
    "task": "任务 Task",
    "measure": "本任务指标 Task measure",
    "measure_value": "指标值 Measure value",
    "measure_unit": "单位 Unit",
    "vht_saved_am": "早高峰节省车小时 AM veh-h saved",
    "vht_saved_am_car": "小汽车 Car veh-h saved",
    "vht_saved_am_truck": "货车 Truck veh-h saved",
    "pv_benefits_yi_yuan": "效益现值(亿元) PV benefits",
    "npv_yi_yuan": "净现值(亿元) NPV",
    "bcr": "效益费用比 BCR",
    "fyrr": "首年收益率 First-year return",
    "sentence_zh": "一句话 Sentence (zh)",
    "sentence_en": "Sentence (en)",
    "best_in_task": "本任务最优 Best on the measure",
    "year": "年份 Year",
    "period": "时段 Period",
    "vht_base": "现状车小时 Base veh-h",
    "vkt_change": "车公里变化 Veh-km change",
    "exit": "出口 Exit",
    "opening_year": "通车年 Opening year",
    "fyrr_percent": "首年收益率(%) First-year return %",
    "ex_post": "事后评价 Ex post",
    "option_cut_off": "方案被封闭切断 Option cut off",
    "base_trucks": "现状货车(辆/小时) Base trucks/h",
    "trips_to": "到机场出行(辆/小时) Trips to the airport",
    "trips_from": "离机场出行(辆/小时) Trips from the airport",
    "mean_from_min": "离机场平均(分钟) Mean from the airport min",
    "vht_saved_per_year": "全年节省车小时 Veh-h saved a year",
    "benefits_counted": "计入效益 Benefits counted",
    "pm_peak": "晚高峰 PM peak",
    "name_zh": "名称 Name (zh)",
    "best_stop_zh": "最佳车站 Best stop (zh)",
    "exit_zh": "出口 Exit (zh)",
    "exit_en": "Exit (en)",
    "zones": "小区数 Zones",
    "trips_rail_faster": "轨道更快的出行(辆/小时) Trips faster by rail",
    "share_rail_faster": "轨道更快比例 Share faster by rail",
    "median_rail_minus_car_min": "轨道比小汽车多中位数(分钟) Median rail minus car min",
    "weighted_median_rail_minus_car_min": "按出行加权中位数(分钟) Trip-weighted median min",
    "trucks_on_option": "方案上货车(辆/小时) Trucks on the option",
    "trucks_with_jilin_end": "吉林方向端点货车(辆/小时) Trucks with a Jilin end",
    "population_30": "30分钟可达人口 Population within 30 min",
    "population_45": "45分钟可达人口 Population within 45 min",
    "population_60": "60分钟可达人口 Population within 60 min",
    "jobs_share_30": "30分钟可达岗位比例 Jobs share within 30 min",
    "jobs_share_45": "45分钟可达岗位比例 Jobs share within 45 min",
    "jobs_share_60": "60分钟可达岗位比例 Jobs share within 60 min",
    "vht_saved_per_year_2020": "2020年全年节省车小时 Veh-h saved in 2020",
    "benefit_2020_yuan": "2020年效益(元) Benefit 2020, yuan",
    "benefit_2035_yuan": "2035年效益(元) Benefit 2035, yuan",
    "factor_zh": "参数 Parameter (zh)",
    "factor_en": "Parameter (en)",
    "value": "取值 Value",
    "unit": "单位 Unit",
    "source": "来源 Source",
}


def bilingual_headers(table: pd.DataFrame) -> pd.DataFrame:
    """Rename columns to their bilingual headers (unknown columns keep their names)."""
    return table.rename(columns={c: HEADERS.get(c, c) for c in table.columns})


_COMPARISON_TABLES = (
    ("summary", "方案排名 Ranking"),
    ("key_links", "关键通道高峰 Key links peak"),
    ("roads", "通道与相关道路 Roads"),
    ("select_link", "新通道使用者 Select link"),
    ("rail", "轨道门到门 Rail door to door"),
    ("sensitivity", "敏感性 Sensitivity"),
    ("key_links_free", "关键通道畅行 Key links free flow"),
    ("splices", "接入点 Interchanges"),
)


#: Sheet names of the tables a task table carries with it.
_ATTR_SHEETS = {
    "truck_end_share": "货车端点 Truck ends",
    "summary": "汇总 Summary",
    "use": "吉林方向使用 Use",
}


def appraisal_tables(comparison) -> list[tuple[str, str, pd.DataFrame]]:
    """The appraisal's tables of a comparison: (file stem, sheet name, table), in order.

    One table per plan task (its own measure), the tables of what a task's options are used
    by, and the shared ones: by task, network time, accessibility, economics, assumptions.
    """
    a = getattr(comparison, "appraisal", None)
    if a is None:
        return []
    out = [("by_task", "各任务比选 By task", a.overall)]
    for key, table in a.tasks.items():
        number = key.removeprefix("task")
        out.append((key, f"任务{number} Task {number}", table))
        for name, extra in table.attrs.items():
            label = _ATTR_SHEETS.get(name, name)
            if isinstance(extra, dict):
                extra = pd.DataFrame([extra])
            if isinstance(extra, pd.DataFrame):
                out.append((f"{key}_{name}", f"任务{number} {label}"[:31], extra))
    out += [
        ("network_time", "时段年份车小时 Network time", a.network_time),
        ("accessibility", "可达性 Accessibility", a.accessibility),
        ("economics", "经济评价 Economics", a.economics),
        ("appraisal_assumptions", "评价参数 Appraisal assumptions", a.assumptions),
    ]
    return out


#: Files every comparison folder holds (checked against the user's files before the work).
COMPARISON_FILES = ("comparison.xlsx", "summary.md")


def write_comparison(
    comparison,
    out_dir: str | Path,
    *,
    force: bool = False,
    extra: Any = None,
    monte_carlo: Any = None,
) -> list[Path]:
    """Write a corridor comparison: one CSV per table, one XLSX, and a Markdown summary.

    The folder is filled atomically: files appear only when all are written, and the folder's
    manifest lists them all (see :mod:`sanqu_geo._atomic`), the Monte-Carlo files too, so a
    later comparison removes what it does not write again.

    Parameters
    ----------
    comparison : sanqu_geo.compare.Comparison
        The tables.
    out_dir : path-like
        Output folder (created; an earlier comparison's files in it are replaced, nothing else).
    force : bool
        Write into a folder that holds files the toolkit did not write (they are kept), and
        replace the user's own files of the names written (reported, see
        :func:`sanqu_geo._atomic.replaced_files`).
    extra : callable, optional
        Called with the folder being filled; returns the names of further files it wrote
        there (the maps), which move in with the tables.
    monte_carlo : sanqu_geo.sensitivity.MonteCarlo, optional
        A Monte-Carlo run, written with the tables (its CSV files, workbook sheets and
        Markdown section; see :func:`sanqu_geo.sensitivity_report.write_files`).

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    DataSourceError
        When the folder may not be written (see :func:`sanqu_geo._atomic.atomic_folder`).
    """
    from sanqu_geo._atomic import atomic_folder

    out_dir = Path(out_dir)
    names = []
    with atomic_folder(out_dir, force=force) as tmp:
        with pd.ExcelWriter(tmp / "comparison.xlsx", engine="openpyxl") as writer:
            items = [(n, s, getattr(comparison, n)) for n, s in _COMPARISON_TABLES]
            for name, sheet, table in items + appraisal_tables(comparison):
                if table is None or table.empty:
                    continue
                shown = bilingual_headers(rounded(table))
                spreadsheet_safe_frame(shown).to_csv(
                    tmp / f"{name}.csv", index=False, encoding="utf-8-sig"
                )
                names.append(f"{name}.csv")
                shown.to_excel(writer, sheet_name=sheet[:31], index=False)
                ws = writer.sheets[sheet[:31]]
                spreadsheet_text_cells(ws)
                ws.freeze_panes = "A2"
                for column in ws.columns:
                    ws.column_dimensions[column[0].column_letter].width = 18
        names.append("comparison.xlsx")
        (tmp / "summary.md").write_text(comparison_markdown(comparison), encoding="utf-8")
        names.append("summary.md")
        if extra is not None:
            names += list(extra(tmp))
        if monte_carlo is not None:
            from sanqu_geo import sensitivity_report

            names += sensitivity_report.write_files(monte_carlo, tmp)
    return [out_dir / n for n in dict.fromkeys(names)]


def _task_markdown(comparison) -> list[str]:
    """A section per plan task: its question, and what each option does on its measure."""
    a = getattr(comparison, "appraisal", None)
    if a is None or a.overall.empty:
        return []
    t = _md_text
    sc = comparison.scenario
    lines = ["", "## 各任务 By task: what each option does for its task's own question", ""]
    for gid, part in a.overall.groupby("group", sort=False):
        g = sc.group(gid)
        head = f"任务{g.task} Task {g.task}: " if g.task is not None else ""
        lines += [f"### {head}{t(g.title_zh)} {t(g.title_en)}", ""]
        if g.question_zh:
            lines += [f"{t(g.question_zh)} — *{t(g.question_en)}*", ""]
        for r in part.itertuples():
            best = " **(本指标最高 highest on this task's measure)**" if r.best_in_task else ""
            if r.sentence_zh:
                lines.append(f"- {t(r.sentence_zh)} *{t(r.sentence_en)}*{best}")
            when = (f"事后评价,投资已基本支出 ex post: opening {r.opening_year}, cost largely spent"
                    if r.ex_post else f"通车 opening {r.opening_year}")  # fmt: skip
            econ = (
                f"效益现值 PV benefits {r.pv_benefits_yi_yuan:.2f} 亿元"
                + (f", BCR {r.bcr:.2f}, NPV {r.npv_yi_yuan:.1f} 亿元 ({when}; 仅计平日时间节省, "
                   "不含封闭时的韧性价值 normal-day time savings only, no value for resilience)"
                   if np.isfinite(r.bcr) else ", 投资未公布 no published cost: no BCR")
            )  # fmt: skip
            lines.append(
                f"  - 早高峰节省 AM peak saving {r.vht_saved_am:,.0f} veh·h "
                f"(car {r.vht_saved_am_car:,.0f}, truck {r.vht_saved_am_truck:,.0f}); {econ}"
            )
        lines.append("")
    rail_key = next((k for k, v in a.tasks.items() if "rail_min" in v), None)
    if rail_key is not None:
        s = a.tasks[rail_key].attrs.get("summary", {})
        if s:
            lines += [
                f"轨道 Rail (task 37): 轨道门到门快于小汽车的机场出行占 {s['share_rail_faster']:.0%} "
                f"(share of airport car trips for which rail door to door is faster); 中位差 "
                f"median rail − car {s['weighted_median_rail_minus_car_min']:+.1f} min. "
                "未估算客流 No ridership is estimated (no mode-choice model, no survey).",
                "",
            ]
    if a.skipped:
        lines += [f"未计算的工况 Conditions left out (the network lacks their roads): "
                  f"{t(', '.join(a.skipped))}", ""]  # fmt: skip
    lines += [
        "经济评价为示意:时间价值为假设值,见评价参数表 Economics are indicative: the value of "
        "time is assumed (sheet 评价参数 Appraisal assumptions).",
    ]
    return lines


def rounded(table: pd.DataFrame) -> pd.DataFrame:
    """A copy with float columns rounded to two decimals, for people to read."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype.kind == "f":
            out[column] = out[column].round(2)
    return out


def _md_text(value) -> str:
    """User text in a Markdown cell: no raw HTML, no table breaks."""
    import html

    return html.escape(str(value), quote=False).replace("|", "\\|")


def comparison_markdown(comparison) -> str:
    """A Markdown summary of a corridor comparison, fit for the meeting notes."""
    s = comparison.summary
    sc = comparison.scenario
    k = comparison.expansion_factor
    t = _md_text
    from sanqu_geo.maps.style import format_vehicle_hours as vh

    lines = [
        f"# {t(sc.name_zh)}",
        "",
        f"*{t(sc.name_en)}* — 路网 network: {t(comparison.network_source)}; 需求 demand: "
        f"{t(comparison.demand_source)}; 早高峰小时均衡分配 morning peak-hour equilibrium "
        f"(base relative gap {comparison.base_gap:.1e}, network delay index 延误指数 "
        f"{comparison.base_delay_index:.2f}).",
        "",
        "排名依据 Ranked by: 高峰小时节省车小时 peak-hour vehicle-hours saved (cars + trucks); "
        + (
            f"全日、全年按各时段模型结果 ({t(s.attrs['annualised'])}年早高峰、晚高峰、平峰 × 各时段年"
            "当量小时, data/demand/forecast.toml; per day and per year from the modelled "
            "periods, not the peak hour × 10)."
            if "annualised" in s.attrs
            else f"全日 = 高峰 × {k:g} (per day = peak hour × {k:g}, an assumption)."
        ),
        "",
        "| 排名 Rank | 方案 Option | 节省车·时/高峰小时 veh-h saved (car / truck) | 全日 per day | "
        "新通道最大 pcu/h (v/c) | 投资 亿元 Cost | 元/年节省车·时 yuan per annual veh-h |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in s.itertuples():
        cost = (
            f"{r.cost_yi_yuan:.1f} ({t(r.cost_source)})"
            if np.isfinite(r.cost_yi_yuan)
            else "未公布 not published"
        )
        per = f"{r.cost_yuan_per_veh_h:,.0f}" if np.isfinite(r.cost_yuan_per_veh_h) else "—"
        lines.append(
            f"| {r.rank} | {t(r.title_zh)} {t(r.title_en)} | {vh(r.vht_saved)} "
            f"({vh(r.vht_saved_car)} / {vh(r.vht_saved_truck)}) | {vh(r.vht_saved_per_day)} | "
            f"{r.corridor_max_pcu:,.0f} ({r.corridor_max_vc:.2f}) | {cost} | {per} |"
        )
    lines += ["", "## 说明 What each figure means", ""]
    for r in s.itertuples():
        lines.append(f"- **{t(r.title_zh)}** {t(r.note_zh)} *{t(r.note_en)}*")
    lines += _task_markdown(comparison)
    rail = comparison.rail
    if not rail.empty:
        lines += [
            "",
            "## 轨道方案 Rail option (not a road: door to door against the congested car)",
            "",
            "| 方案 Option | 起终点 Pair | 门到门 Door to door | 小汽车高峰 Car peak | 小汽车畅行 Car free |",
            "|---|---|---:|---:|---:|",
        ]
        titles = {o.id: f"{o.title_zh} {o.title_en}" for o in comparison.scenario.options}
        for r in rail.itertuples():
            lines.append(
                f"| {t(titles.get(r.option, r.option))} | {t(r.from_zh)} → {t(r.to_zh)} | {r.door_to_door_min:.1f} "
                f"(walk {r.walk_min:.1f} + board/wait {r.board_wait_min:.1f} + ride "
                f"{r.in_vehicle_min:.1f}) | {r.car_congested_min:.1f} | {r.car_free_flow_min:.1f} |"
            )
    sens = comparison.sensitivity
    if not sens.empty:
        runs = sens["run"].nunique()
        lines += ["", f"## 敏感性 Sensitivity ({runs} runs: demand ±20 %, capacity ±20 %, "
                  "truck PCE 1.5 / 4.0, conical α 3 / 6)", ""]  # fmt: skip
        for option, part in sens.groupby("option", sort=False):
            held = int(part["rank_holds"].sum())
            moved = ", ".join(
                f"{r.run_en}: {r.rank}" for r in part[~part["rank_holds"]].itertuples()
            )
            base_rank = int(part["baseline_rank"].iloc[0])
            lines.append(
                f"- {t(option)} (rank {base_rank}): 排名不变 holds in {held}/{runs}"
                + (f"; moves to {moved}" if moved else "")
            )
    connectors = comparison.splices
    if not connectors.empty and (connectors["method"] == "connector").any():
        lines += ["", "## 接入说明 Interchanges joined by a connector", ""]
        for r in connectors[connectors["method"] == "connector"].itertuples():
            lines.append(
                f"- {t(r.option)}: {t(r.corridor)} interchange {r.interchange}, "
                f"{r.distance_m:.0f} m connector"
            )
    lines += [
        "",
        "数据为示意性质 Data are indicative: boundaries, alignments and the default demand are "
        "authored from published facts and stated assumptions (data/demand/parameters.toml).",
        "",
    ]
    return "\n".join(lines)
