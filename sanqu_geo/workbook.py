"""The meeting workbook for people: labels in place of codes, numbers rounded by the one rule of
:mod:`sanqu_geo.maps.style`, bold frozen headers, fitting widths, wrapped notes, filters, phase
colours, and a sheet of the assumptions every figure depends on. Formats only.
"""

from __future__ import annotations

import dataclasses
import math
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from sanqu_geo import access, compare, scenarios, settings
from sanqu_geo.maps import style

__all__ = ["assumptions_table", "for_people", "format_sheet"]

#: Columns holding minutes, hours and other decimals: (decimals, column name endings).
_MINUTES = ("_min", "minutes")
_HOURS = ("_h", "_hours", "vehicle_hours_saved_per_day")
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
)
_MAX_WIDTH = 48
_YES_NO = ("是 yes", "否 no")
_CLASSES = {"car": "小汽车 car", "truck": "货车 truck"}


def _decimals(column: str) -> int:
    name = column.casefold()
    if name.startswith("vht_"):
        return style.VEHICLE_HOURS_DECIMALS
    if name.endswith(_MINUTES):
        return style.MINUTES_DECIMALS
    if name.endswith(_HOURS):
        return style.HOURS_DECIMALS
    return 1 if name.endswith(("_km", "_yuan", "_km2", "_m")) else 2


def for_people(
    table: pd.DataFrame,
    *,
    options: Mapping[str, str] | None = None,
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
    blank_infinite : bool
        Infinite values (no saving to divide by, an unreachable pair) become blank cells.

    Returns
    -------
    pandas.DataFrame
        Minutes and hours rounded half up as on the maps (:func:`style.round_half_up`);
        ``status``/``accuracy`` as words; booleans as 是 yes / 否 no; profiles by their
        description.
    """
    out = table.copy()
    for column in out.columns:
        series = out[column]
        name = str(column)
        if name == "option" and options:
            out[column] = series.map(lambda v: options.get(str(v), v))
        elif name in ("status", "accuracy"):
            out[column] = series.map(style.code_label)
        elif name == "profile":
            out[column] = series.map(_profile_label)
        elif name == "class":
            out[column] = series.map(lambda v: _CLASSES.get(str(v), v))
        elif series.dtype == bool:
            out[column] = series.map(lambda v: _YES_NO[0] if v else _YES_NO[1])
        elif series.dtype.kind == "f":
            digits = _decimals(name)
            out[column] = [
                None
                if (blank_infinite and not math.isfinite(v))
                else style.round_half_up(v, digits)
                for v in series.astype(float)
            ]
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
    fit, wrapped long texts, one number format per rounded column, phases in their colour.

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
        Decimals of every number column (default: by column name, minutes and hours with
        :data:`style.MINUTES_DECIMALS`).
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
        style.excel_format(decimals)
        if decimals is not None
        else style.excel_format(_decimals(_internal(c)))
        if table[c].dtype.kind == "f" or _holds_floats(table[c])
        else None
        for c in table.columns
    ]
    for position, (header, fmt) in enumerate(zip(columns, formats, strict=True), start=1):
        letter = get_column_letter(position)
        cells = [row[0] for row in ws.iter_rows(min_col=position, max_col=position)]
        wrapped = any(key in header for key in _WRAPPED)
        widths = [_display_width(c.value) for c in cells[1:]]
        head = max((_display_width(w) for w in header.split()), default=4)
        body = max(widths, default=0)
        width = min(max(head, body, 6) + 2, _MAX_WIDTH if wrapped else 60)
        ws.column_dimensions[letter].width = width
        for cell in cells[1:]:
            if fmt and isinstance(cell.value, float):
                cell.number_format = fmt
            if wrapped:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        if phase_column is not None and header == phase_column:
            for cell in cells[1:]:
                colour = style.PHASE_COLOURS.get(str(cell.value))
                if colour:
                    cell.fill = PatternFill("solid", fgColor="FF" + colour.lstrip("#").upper())
                    cell.font = Font(bold=True, color="FFFFFFFF")


def _holds_floats(column: pd.Series) -> bool:
    """An object column of numbers with blanks (rounded values, ``None`` for infinite ones)."""
    values = [v for v in column if v is not None]
    return bool(values) and all(isinstance(v, float) for v in values)


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
