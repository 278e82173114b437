"""The joint-meeting pack: print maps, the workbook, the interactive maps and an index page.

Wires the other modules together and writes one folder, atomically; computes nothing of its
own.
"""

from __future__ import annotations

import datetime as _dt
import html
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from sanqu_geo import (
    compare,
    layers,
    network,
    peak,
    register,
    scenarios,
    settings,
    tables,
    travel,
    workbook,
)
from sanqu_geo._atomic import atomic_folder, check_output_folder
from sanqu_geo.maps import style

logger = logging.getLogger(__name__)

__all__ = ["PACK_FILES", "STEPS", "meeting_pack", "project_register", "register_sheet"]

#: Files every pack holds (checked against the user's files before the work).
PACK_FILES: tuple[str, ...] = (
    "index.html",
    "meeting-pack.xlsx",
    "corridors-summary.md",
    "web/infrastructure.html",
    "web/corridors.html",
    "web/flows.html",
)

#: The steps of the pack, for progress bars.
STEPS: tuple[str, ...] = (
    "comparing corridor options at the peak hour 高峰分配与方案比选",
    "zone-to-zone travel times 区域间出行时间",
    "print maps 印刷地图",
    "workbook 工作簿",
    "interactive maps 交互地图",
    "index page 索引页",
)


def project_register() -> pd.DataFrame:
    """The plan's projects: every feature with its task number, sub-section, phase, deadline.

    ``item`` is the plan's task number; a feature that is not a plan task has none and says so.

    Returns
    -------
    pandas.DataFrame
        One row per project, sorted by task number (features that are not plan tasks last).
    """
    projects = layers.load_layer("projects")
    table = pd.DataFrame(
        {
            "item": projects["item"],
            "subsection": projects["subsection"],
            "title_zh": projects["title_zh"],
            "title_en": projects["title_en"],
            "kind": projects["kind"],
            "phase": projects["phase"].fillna("").replace("", "非方案任务 not a plan task"),
            "target_year": projects["target_year"],
            "lead_unit": projects["lead_unit"].replace("", "未明确 not named"),
            "status": projects["status"],
            "located": ~projects.geometry.isna(),
            "accuracy": projects["accuracy"],
            "note": projects["note"],
        }
    ).sort_values(["item", "title_zh"], kind="stable", na_position="last")
    table["target_year"] = (
        table["target_year"].astype(object).where(table["target_year"].notna(), "无 none")
    )
    table["item"] = table["item"].astype(object).where(table["item"].notna(), "—")
    headers = {
        "item": "任务编号 Task",
        "subsection": "章节 Section",
        "title_zh": "项目名称",
        "title_en": "Project",
        "kind": "类型 Kind",
        "phase": "期限 Term",
        "target_year": "目标年份 Target year",
        "lead_unit": "牵头单位 Lead unit",
        "status": "状态 Status",
        "located": "已定位 Located",
        "accuracy": "精度 Accuracy",
        "note": "说明 Note",
    }
    return table.rename(columns=headers).reset_index(drop=True)


#: Name of the register's sheet in the workbook.
REGISTER_SHEET = "方案任务 Register"


def register_sheet(as_of: _dt.date | None = None) -> pd.DataFrame:
    """All 40 tasks of the plan with their status as of a day, overdue marked, for the workbook.

    Parameters
    ----------
    as_of : datetime.date, optional
        The meeting day (default: today); the status is the latest snapshot on or before it.

    Returns
    -------
    pandas.DataFrame
        One row per task with bilingual headers; ``逾期 Overdue`` reads ``逾期 overdue`` for a
        task past its deadline and not 已完成, ``较上次变化 Changed`` marks the tasks whose status
        changed with the latest snapshot.
    """
    table = register.register_table(as_of)
    out = pd.DataFrame(
        {
            "编号 Task": table["task"],
            "章节 Section": table["section"],
            "任务 Title": table["title_zh"],
            "Task": table["title_en"],
            "期限 Deadline": table["deadline_text"],
            "区域 Areas": table["areas"],
            "地图定位 Located": table["located"].map({True: "是 yes", False: "否 no"}),
            "状态 Status": table["status"].replace("", "未报告 not reported"),
            "逾期 Overdue": table["overdue"].map({True: "逾期 overdue", False: ""}),
            "较上次变化 Changed": table["changed"].map({True: "变化 changed", False: ""}),
            "进展说明 Note": table["note"],
            "报送日期 Date": table["status_date"],
        }
    )
    return out


def _zone_od(profile: str, *, congested: bool = False) -> pd.DataFrame:
    if congested:
        G = peak.congested_travel_graph(profile=profile)
    else:
        G = network.load_network(profile=profile)
    zones = travel.load_places("zones")
    return tables.minutes_table(travel.place_od(G, zones, zones), zones, zones)


def _sensitivity_sheet(comparison: compare.Comparison, people: Callable) -> pd.DataFrame:
    """The sensitivity runs, or one line saying they were not run and how to add them."""
    if len(comparison.sensitivity):
        return people(comparison.sensitivity, "run")
    return pd.DataFrame(
        {
            "说明 Note": [
                "本会议包未计算敏感性方案;加 --sensitivity 重新生成(约多 8 组分配)。",
                "The sensitivity runs were not solved for this pack; write it again with "
                "--sensitivity (eight more assignments of the base and every road option).",
            ]
        }
    )


def _model_check(network_name: str) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    """The checks of the base peak hour (``sanqu-geo model check``) as one sheet, the
    validation table (``sanqu-geo model validate``) and the roads it names, for the map."""
    from sanqu_geo import calibration, demand, layers, modelcheck

    d = demand.load_demand(network=network_name)
    base = peak.solve(None, source=network_name, demand_=d)  # the comparison's, cached
    river = layers.load_layer("river", located_only=True)
    validation = calibration.validation_table(base, d, river)
    return (
        modelcheck.check_model(base, d, river).table(),
        validation,
        calibration.validation_links(base, validation),
    )


def _validation_sheet(table: pd.DataFrame) -> pd.DataFrame:
    """The validation table with bilingual headers and numbers rounded for reading."""

    def number(value: Any) -> Any:
        # numbers stay numbers (a relative gap unrounded); a missing one is a blank cell
        if isinstance(value, float) and value == value:
            if 0 < abs(value) < 1e-3:
                return value
            return style.round_half_up(value, 3 if abs(value) < 100 else 0)
        return None if isinstance(value, float) else value

    out = table.copy()
    out["model"] = out["model"].astype(object).map(number)
    out["difference"] = out["difference"].astype(object).map(number)
    return out.rename(
        columns={
            "target": "指标 Target",
            "published": "公布值 Published",
            "source": "来源 Source",
            "model": "模型 Model",
            "difference": "差值 Difference",
            "verdict": "结论 Verdict",
            "use": "用途 Use",
        }
    )


def calibration_table(comparison: compare.Comparison) -> pd.DataFrame:
    """The base peak hour against what is published (see :func:`sanqu_geo.peak.calibration_table`).

    Parameters
    ----------
    comparison : Comparison
        A finished comparison (its base run).

    Returns
    -------
    pandas.DataFrame
        ``measure``, ``model``, ``published``, ``source``.
    """
    return peak.calibration_table(comparison.base_run, comparison.expansion_factor)


def meeting_pack(
    out: str | Path,
    *,
    scenario: str | Path | None = None,
    paper: str = "A3",
    lang: str = "zh",
    font: str | None = None,
    date: _dt.date | None = None,
    progress: Callable[[str], None] | None = None,
    force: bool = False,
    sensitivity: bool = False,
    detail: Callable[[str], None] | None = None,
) -> Path:
    """Write the meeting pack into a folder, moving the files in only when all are written.

    Parameters
    ----------
    out : path-like
        The folder.
    scenario : path-like, optional
        Scenario file (default: the plan's options).
    paper : {"A4", "A3"}
        Print size of the maps.
    lang : {"zh", "en", "both"}
        Labels of the print maps.
    font : str, optional
        CJK font family or file for the print maps.
    date : datetime.date, optional
        Date printed on the maps and the index (default: today).
    progress : callable, optional
        Called with each step's name (see :data:`STEPS`).
    sensitivity : bool
        Also solve the one-at-a-time sensitivity runs (:data:`sanqu_geo.compare.SENSITIVITY_RUNS`;
        eight more assignments of the base and every road option). Without them the
        Sensitivity sheet says how to add them.
    force : bool
        Write into a folder that holds files the toolkit did not write (they are kept), and
        replace the user's own files of the names the pack writes (reported; see
        :func:`sanqu_geo._atomic.atomic_folder`).
    detail : callable, optional
        Called with each assignment of the comparison as it starts (a long step).

    Returns
    -------
    pathlib.Path
        The folder.
    """
    from sanqu_geo.maps import fonts, interactive, register_table, static

    say = progress or (lambda step: None)
    date = date or _dt.date.today()
    # A bad folder, or the user's own files of the pack's names, fail before the work.
    check_output_folder(out, force=force, names=PACK_FILES)
    sc = scenarios.load_scenario(scenario)
    travel.role_places()  # the key places must be there before the work starts
    out = Path(out)
    with atomic_folder(out, force=force) as tmp:
        say(STEPS[0])
        comparison = compare.compare(sc, sensitivity=sensitivity, progress=detail)
        map_data = compare.map_layers(comparison)
        say(STEPS[1])
        od_car = _zone_od("car")
        od_peak = _zone_od("car", congested=True)
        calibration = calibration_table(comparison)
        checks, validation, validated = _model_check(sc.network)
        say(STEPS[2])
        (tmp / "maps").mkdir()
        printed: list[tuple[str, str, str, str]] = []
        tasks = register.register_table(date)
        figures = [
            (
                "zones",
                "三区一港区域与设施",
                "Zones and facilities",
                static.zones_map(paper=paper, lang=lang, font=font, date=date),
            ),
            (
                "projects",
                "项目分期",
                "Projects by phase",
                static.projects_map(paper=paper, lang=lang, font=font, date=date),
            ),
            (
                "corridors",
                "通道方案",
                "Corridor options",
                static.corridors_map(comparison, paper=paper, lang=lang, font=font, date=date),
            ),
        ]
        from sanqu_geo.maps import flows

        links = compare.link_layer(comparison.base_run)
        figures.append(
            (
                "congestion",
                "高峰拥堵(饱和度)",
                "Peak-hour congestion (v/c)",
                flows.congestion_map(
                    links,
                    delay_index=comparison.base_delay_index,
                    network_source=comparison.network_source,
                    demand_source=comparison.demand_source,
                    paper="A3",
                    lang=lang,
                    font=font,
                    date=date,
                ),
            )
        )
        from sanqu_geo.maps import validation as validation_maps

        figures.append(
            (
                "validation",
                "模型校核",
                "Model validation",
                validation_maps.validation_map(
                    links,
                    validated,
                    network_source=comparison.network_source,
                    demand_source=comparison.demand_source,
                    paper="A3",
                    lang=lang,
                    font=font,
                    date=date,
                ),
            )
        )
        differences = {}
        summary = comparison.summary
        for r in summary.itertuples():
            diff = compare.flow_difference(comparison.base_run, comparison.option_runs[r.option])
            differences[r.option] = ((r.title_zh, r.title_en), diff)
        # Print the best option of each of the two headline groups; the web page has them all.
        headline = [
            r
            for group in ("airport_second_passage", "freight_expressway")
            for r in summary[summary["group"] == group].sort_values("rank").head(1).itertuples()
        ]
        for r in headline:
            figures.append(
                (
                    f"flows-{r.option}",
                    f"流量变化:{r.title_zh}",
                    f"Flow difference: {r.title_en}",
                    flows.flow_difference_map(
                        differences[r.option][1],
                        option_title=(r.title_zh, r.title_en),
                        vht_saved=r.vht_saved,
                        network_source=comparison.network_source,
                        paper="A3",
                        lang=lang,
                        font=font,
                        date=date,
                    ),
                )
            )
        # Who uses the new corridor: the same best option of each headline group.
        from sanqu_geo import demand as _demand

        demand_zones = _demand.load_demand().zones
        select_zones = {}
        for r in headline:
            frame = compare.select_link_zones(comparison, r.option, demand_zones)
            select_zones[r.option] = ((r.title_zh, r.title_en), frame)
            option = next(o for o in sc.options if o.id == r.option)
            corridor = gpd.GeoDataFrame(
                geometry=[c.geometry for c in option.corridors], crs=settings.default_crs
            )
            part = comparison.select_link
            part = part[part["option"] == r.option] if len(part) else part
            figures.append(
                (
                    f"select-link-{r.option}",
                    f"新通道使用者:{r.title_zh}",
                    f"Who uses the new corridor: {r.title_en}",
                    flows.select_link_map(
                        frame,
                        corridor,
                        option_title=(r.title_zh, r.title_en),
                        corridor_vehicles=float(part["flow"].sum()) if len(part) else 0.0,
                        network_source=comparison.network_source,
                        demand_source=comparison.demand_source,
                        paper="A3",
                        lang=lang,
                        font=font,
                        date=date,
                    ),
                )
            )
        figures.append(
            (
                "register",
                "方案任务台账",
                "Register of the plan's tasks",
                register_table.register_page(tasks, paper=paper, lang=lang, font=font, date=date),
            )
        )
        # The isochrones were computed with the comparison (base and best option); the map
        # module only draws them.
        iso = map_data["isochrones"]
        best = comparison.summary.sort_values("rank").iloc[0]["option"]
        option = next(o for o in sc.options if o.id == best)
        profile = str(iso["profile"].iloc[0]) if len(iso) else sc.profile
        source = f"{comparison.network_source}, {settings.profiles[profile]['description_en']}"
        roles = travel.role_places()
        places = travel.load_places("all")
        for role, zh, en in (
            ("airport", "机场等时圈", "Airport isochrones"),
            ("inland_port", "内陆港等时圈", "Inland-port isochrones"),
        ):
            place = roles[role]
            here = places[places["id"] == place]
            fig = static.isochrones_map(
                iso[(iso["option"] == "base") & (iso["place"] == place)],
                iso[(iso["option"] == best) & (iso["place"] == place)],
                title_place=(str(here["short_zh"].iloc[0]), str(here["short_en"].iloc[0])),
                option_title=(option.title_zh, option.title_en),
                network_source=source,
                place=here,
                paper=paper,
                lang=lang,
                font=font,
                date=date,
            )
            figures.append((f"isochrones-{role}", zh, en, fig))
        import matplotlib.pyplot as plt

        family = fonts.find_cjk_font(font) if lang != "en" or font else None
        with fonts.compact_cjk_font([f for *_, f in figures], family):
            for name, zh, en, fig in figures:
                size = (
                    "A3"
                    if name in ("congestion", "validation")
                    or name.startswith(("flows-", "select-link-"))
                    else paper
                )
                for suffix in ("png", "pdf"):
                    static.save_map(fig, tmp / "maps" / f"{name}-{size}.{suffix}")
                plt.close(fig)
                printed.append((name, zh, en, size))
        printed += _appraisal_maps(comparison, tmp / "maps")
        say(STEPS[3])
        _workbook(
            tmp / "meeting-pack.xlsx",
            comparison,
            od_car,
            od_peak,
            calibration,
            register_sheet(date),
            checks,
            validation,
            paper=paper,
        )
        (tmp / "corridors-summary.md").write_text(
            tables.comparison_markdown(comparison), encoding="utf-8"
        )
        say(STEPS[4])
        interactive.publish(
            ["infrastructure", "corridors"], tmp / "web", offline=True, corridor_data=map_data
        )
        (tmp / "web" / "flows.html").write_text(
            flows.flows_web_map(links, differences, select_link=select_zones), encoding="utf-8"
        )
        say(STEPS[5])
        _thumbnails(tmp / "maps", printed)
        (tmp / "index.html").write_text(
            _index(comparison, od_car, printed, calibration, date), encoding="utf-8"
        )
    return out


def _appraisal_maps(
    comparison: compare.Comparison, folder: Path
) -> list[tuple[str, str, str, str]]:
    """The appraisal's A4 maps (airport access under closure, truck-minute changes), named as
    the pack names its maps (``<name>-A4.png``/``.pdf``)."""
    if comparison.appraisal is None:
        return []
    from sanqu_geo.maps.appraisal import draw_appraisal_maps

    drawn = folder / "appraisal"
    drawn.mkdir()
    names = draw_appraisal_maps(comparison, drawn)
    titles = {o.id: (o.title_zh, o.title_en) for o in comparison.scenario.options}
    out = []
    for stem in sorted({Path(n).stem for n in names}):
        for suffix in ("png", "pdf"):
            (drawn / f"{stem}.{suffix}").replace(folder / f"{stem}-A4.{suffix}")
        kind, _, option = (
            stem.partition("-access-") if "-access-" in stem else stem.partition("-time-")
        )
        zh, en = titles.get(option, (option, option))
        if kind == "airport":
            out.append(
                (stem, f"机场可达性(封闭):{zh}", f"Airport access under closure: {en}", "A4")
            )
        else:
            out.append((stem, f"货车时间变化:{zh}", f"Change in truck minutes: {en}", "A4"))
    drawn.rmdir()
    return out


def _workbook(
    path: Path,
    comparison: compare.Comparison,
    od_car: pd.DataFrame,
    od_peak: pd.DataFrame,
    calibration: pd.DataFrame,
    tasks: pd.DataFrame,
    checks: pd.DataFrame,
    validation: pd.DataFrame,
    *,
    paper: str = "A4",
) -> None:
    """The meeting workbook: every sheet labelled, numbers as numbers, print-ready on ``paper``."""
    labels = workbook.code_labels(comparison)
    options = {o.id: f"{o.title_zh} {o.title_en}" for o in comparison.scenario.options}
    options["base"] = labels["base"]
    groups = workbook.group_labels(comparison)

    def people(table: pd.DataFrame, *drop: str) -> pd.DataFrame:
        # internal ids are dropped where a labelled column says the same
        table = table.drop(columns=list(drop), errors="ignore")
        shown = workbook.for_people(table, options=options, labels=labels, groups=groups)
        return tables.bilingual_headers(shown)

    project = project_register()
    project["已定位 Located"] = project["已定位 Located"].map(
        lambda v: "是 yes" if v else "否 no（位置未公布 not published）"
    )
    project["状态 Status"] = project["状态 Status"].map(style.code_label)
    project["精度 Accuracy"] = project["精度 Accuracy"].map(style.code_label)
    project["类型 Kind"] = project["类型 Kind"].map(lambda v: labels.get(v, v))
    project["说明 Note"] = project["说明 Note"].map(lambda v: workbook.replace_codes(v, labels))
    appraisal = getattr(comparison, "appraisal", None)
    ranking = workbook.decision_first(
        comparison.summary, appraisal.overall if appraisal is not None else None
    )
    calibration_sheet = workbook.readable_numbers(
        calibration.rename(
            columns={
                "measure": "指标 Measure",
                "model": "模型 Model",
                "published": "公布值 Published",
                "source": "来源 Source",
            }
        )
    )
    check_sheet = workbook.readable_numbers(checks)
    roads = {**labels, "all": "全部道路 all roads"}
    check_sheet["项目 Item"] = check_sheet["项目 Item"].map(lambda v: roads.get(v, v))
    # (sheet, table, index written, phase column)
    sheets = [
        (REGISTER_SHEET, tasks, False, None),
        ("项目库 Projects", project, False, "期限 Term"),
        ("方案排名 Ranking", people(ranking, "option"), False, None),
        ("标定 Calibration", calibration_sheet, False, None),
        ("模型检查 Model check", check_sheet, False, None),
        ("校核 Validation", _validation_sheet(validation), False, None),
        ("关键通道高峰 Key links peak", people(comparison.key_links), False, None),
        ("通道与相关道路 Roads", people(comparison.roads), False, None),
        ("新通道使用者 Select link", people(comparison.select_link), False, None),
        (
            "轨道门到门 Rail door to door",
            people(comparison.rail, "corridor", "from", "to"),
            False,
            None,
        ),
        ("敏感性 Sensitivity", _sensitivity_sheet(comparison, people), False, None),
        (
            "关键通道畅行 Key links free flow",
            people(comparison.key_links_free, "option_zh"),
            False,
            None,
        ),
        ("区域间畅行 Zones car", _od_for_people(od_car), True, None),
        ("区域间高峰 Zones peak", _od_for_people(od_peak), True, None),
        (
            "假设 Assumptions",
            workbook.assumptions_sheet(workbook.assumptions_table(comparison), labels=labels),
            False,
            None,
        ),
    ]
    # each plan task's own measure, then what every task shares (periods, years, economics)
    at = len(sheets) - 3
    for _stem, name, table in tables.appraisal_tables(comparison):
        if table is not None and not table.empty:
            sheets.insert(at, (name, people(table), False, None))
            at += 1
    workbook.write_sheets(
        path,
        sheets,
        paper=paper,
        after=lambda writer: _mark_overdue(writer.sheets[REGISTER_SHEET], tasks),
    )


def _od_for_people(od: pd.DataFrame) -> pd.DataFrame:
    """Zone-to-zone minutes rounded by the one rule; unreachable pairs blank."""
    out = od.copy()
    for column in out.columns:
        out[column] = [
            None if not np.isfinite(v) else style.round_half_up(v, style.MINUTES_DECIMALS)
            for v in out[column].astype(float)
        ]
    return out


def _mark_overdue(ws: Any, tasks: pd.DataFrame) -> None:
    """Fill the rows of overdue tasks light red, their mark in dark red."""
    from openpyxl.styles import Font, PatternFill

    fill = PatternFill("solid", fgColor="FDE0DC")
    mark = Font(bold=True, color="B71C1C")
    column = list(tasks.columns).index("逾期 Overdue")
    for i, overdue in enumerate(tasks["逾期 Overdue"], start=2):
        if overdue:
            for cell in ws[i]:
                cell.fill = fill
            ws.cell(i, column + 1).font = mark


#: Folder of the index page's thumbnails (under ``maps/``) and their width in pixels.
THUMBNAILS = "thumbs"
THUMBNAIL_PX = 480


def _thumbnails(folder: Path, printed: list[tuple[str, str, str, str]]) -> list[Path]:
    """Small JPEG copies (:data:`THUMBNAIL_PX` wide) of the print maps for the index page, so
    it loads a few hundred kilobytes instead of the 300-dpi PNGs; the cards link the full files."""
    from PIL import Image

    out = folder / THUMBNAILS
    out.mkdir(exist_ok=True)
    written = []
    for name, _zh, _en, size in printed:
        with Image.open(folder / f"{name}-{size}.png") as im:
            im.draft("RGB", (THUMBNAIL_PX, THUMBNAIL_PX))
            small = im.convert("RGB")
            height = round(small.height * THUMBNAIL_PX / small.width)
            small = small.resize((THUMBNAIL_PX, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        path = out / f"{name}-{size}.jpg"
        small.save(path, "JPEG", quality=82, optimize=True, progressive=True)
        written.append(path)
    logger.debug("%d thumbnails in %s", len(written), out)
    return written


def _html_table(table: pd.DataFrame, *, blank: str = "—") -> str:
    """A table of internal columns as the workbook shows it: bilingual headers, numbers rounded
    and separated by the workbook's rule (:func:`sanqu_geo.workbook.text_value`)."""
    shown = table.copy().astype(object)
    for column in shown.columns:
        if table[column].dtype.kind in "fi":
            shown[column] = [
                blank
                if v is None or (isinstance(v, float) and not np.isfinite(v))
                else workbook.text_value(str(column), v)
                for v in table[column]
            ]
    return tables.bilingual_headers(shown).to_html(index=False, escape=True, border=0, na_rep=blank)


def _minutes_text(value: Any) -> str:
    if value is None or not np.isfinite(value):
        return "—"
    number = style.round_half_up(value, style.MINUTES_DECIMALS)
    return f"{number:.{style.MINUTES_DECIMALS}f}"


def _index(
    comparison: compare.Comparison,
    od: pd.DataFrame,
    printed: list[tuple[str, str, str, str]],
    calibration: pd.DataFrame,
    date: _dt.date,
) -> str:
    e = html.escape
    sc = comparison.scenario
    cards = "".join(
        f"<figure><a href='maps/{e(name)}-{size}.pdf'><img src='maps/{THUMBNAILS}/{e(name)}-"
        f"{size}.jpg' width='{THUMBNAIL_PX}' alt='{e(zh)} {e(en)}'></a>"
        f"<figcaption>{e(zh)} · {e(en)} ({e(size)}) — <a href='maps/{e(name)}-{size}.png'>PNG</a> · "
        f"<a href='maps/{e(name)}-{size}.pdf'>PDF</a></figcaption></figure>"
        for name, zh, en, size in printed
    )
    shown = comparison.summary[
        [
            "rank",
            "title_zh",
            "title_en",
            "vht_saved",
            "vht_saved_car",
            "vht_saved_truck",
            "vht_saved_per_day",
            "corridor_max_pcu",
            "cost_yi_yuan",
            "cost_source",
        ]
    ]
    labels = workbook.code_labels(comparison)
    shown = shown.assign(cost_source=shown["cost_source"].map(lambda v: labels.get(v, v)))
    ranking = _html_table(shown, blank="未公布 not published")
    notes = "".join(
        f"<li><b>{e(r.title_zh)}</b> {e(r.note_zh)} <i>{e(r.note_en)}</i></li>"
        for r in comparison.summary.itertuples()
    )
    rail = comparison.rail
    rail_html = (
        _html_table(
            rail[["from_zh", "to_zh", "door_to_door_min", "car_congested_min", "car_free_flow_min"]]
        )
        if not rail.empty
        else ""
    )
    calibration_html = calibration.to_html(index=False, escape=True, border=0)
    od_html = od.to_html(escape=True, border=0, formatters={c: _minutes_text for c in od.columns})
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="generator" content="sanqu-geo">
<title>{e(sc.name_zh)} · 联席会议资料 Meeting pack</title>
<style>
 body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 24px; color: #222; }}
 h1 {{ font-size: 22px; }} h2 {{ font-size: 18px; margin-top: 28px; }}
 figure {{ display: inline-block; width: 420px; margin: 8px; vertical-align: top; }}
 figure img {{ width: 100%; height: auto; border: 1px solid #ccc; }}
 td {{ text-align: right; }} td:nth-child(-n+3) {{ text-align: left; }}
 table {{ border-collapse: collapse; font-size: 13px; }} td, th {{ border: 1px solid #ddd; padding: 3px 6px; }}
 .note {{ color: #666; font-size: 12px; }}
</style></head><body>
<h1>{e(sc.name_zh)}<br><small>{e(sc.name_en)} — 联席会议资料 Meeting pack, {e(date.isoformat())}</small></h1>
<p class="note">路网 Network: {e(comparison.network_source)}. 需求 Demand: {e(comparison.demand_source)}. 示意数据 Indicative data: boundaries, alignments and the default demand are authored from published facts and stated assumptions.</p>
<h2>文件 Files</h2>
<ul>
 <li><a href="meeting-pack.xlsx">meeting-pack.xlsx</a> — 方案任务台账(40项,逾期标红)、项目库、区域间出行时间、关键通道、方案排名、敏感性 (register of the plan's 40 tasks with overdue ones marked, project register, OD tables, key links, ranking, sensitivity)</li>
 <li><a href="corridors-summary.md">corridors-summary.md</a> — 会议纪要用摘要 (summary for the minutes)</li>
 <li><a href="web/infrastructure.html">web/infrastructure.html</a> — 基础设施交互地图 (interactive infrastructure map, works offline)</li>
 <li><a href="web/corridors.html">web/corridors.html</a> — 通道方案交互地图 (interactive corridor map, works offline)</li>
 <li><a href="web/flows.html">web/flows.html</a> — 高峰拥堵与流量变化 (peak congestion and each option's flow difference, works offline)</li>
</ul>
<h2>方案排名 Ranking (早高峰小时 morning peak hour)</h2>
{ranking}
<p class="note">{e(compare.RANK_CRITERION)}; 全日 per day = peak × {comparison.expansion_factor:g} (assumption).</p>
<ul>{notes}</ul>
<h2>轨道方案 Rail option: door to door (minutes)</h2>
{rail_html}
<h2>标定 Calibration of the base peak hour</h2>
{calibration_html}
<h2>区域间出行时间(分钟,小汽车畅行) Zone-to-zone minutes, car free flow</h2>
{od_html}
<h2>印刷地图 Print maps</h2>
{cards}
</body></html>
"""
