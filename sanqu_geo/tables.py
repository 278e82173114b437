"""Tables for people: bilingual labels, minutes, and atomic CSV / XLSX / Parquet / Markdown files.

Formats only; computes no travel times.
"""

from __future__ import annotations

from pathlib import Path

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
}


def bilingual_headers(table: pd.DataFrame) -> pd.DataFrame:
    """Rename columns to their bilingual headers (unknown columns keep their names)."""
    return table.rename(columns={c: HEADERS.get(c, c) for c in table.columns})


_COMPARISON_TABLES = (
    ("summary", "方案排名 Ranking"),
    ("key_links", "关键通道 Key links"),
    ("zone_pairs", "区域间 Zone pairs"),
    ("isochrones", "等时圈 Isochrones"),
    ("sensitivity", "敏感性 Sensitivity"),
    ("splices", "接入点 Interchanges"),
)


def write_comparison(comparison, out_dir: str | Path, *, force: bool = False) -> list[Path]:
    """Write a corridor comparison: one CSV per table, one XLSX, and a Markdown summary.

    The folder is filled atomically: files appear only when all are written.

    Parameters
    ----------
    comparison : sanqu_geo.compare.Comparison
        The tables.
    out_dir : path-like
        Output folder (created; an earlier comparison's files in it are replaced, nothing else).
    force : bool
        Write into a folder that holds files the toolkit did not write (they are kept).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from sanqu_geo._atomic import atomic_folder

    out_dir = Path(out_dir)
    names = []
    with atomic_folder(out_dir, force=force) as tmp:
        with pd.ExcelWriter(tmp / "comparison.xlsx", engine="openpyxl") as writer:
            for name, sheet in _COMPARISON_TABLES:
                table = getattr(comparison, name)
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
    return [out_dir / n for n in names]


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
    lines = [
        f"# {_md_text(sc.name_zh)}",
        "",
        f"*{_md_text(sc.name_en)}* — 路网 network: {_md_text(comparison.network_source)}; "
        f"排名依据 ranked by: 关键通道双向平均节省时间 (mean minutes saved on the plan's key links, "
        "both directions; ties by cost per minute saved).",
        "",
        "| 排名 Rank | 方案 Option | 出行方案 Profile | 长度 km | 投资 亿元 | 关键通道平均节省 min | 最大节省 min | 改善点对 Pairs improved | 每分钟投资 亿元/min |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in s.itertuples():
        per_min = (
            "—" if not np.isfinite(r.cost_yi_per_min_saved) else f"{r.cost_yi_per_min_saved:.1f}"
        )
        lines.append(
            f"| {r.rank} | {_md_text(r.title_zh)} {_md_text(r.title_en)} | {r.profile} | {r.length_km:.1f} | {r.cost_yi_yuan:.1f} | "
            f"{r.key_links_mean_saved_min:.2f} | {r.all_pairs_max_saved_min:.1f} | {r.pairs_improved}/{r.pairs_total} | {per_min} |"
        )
    lines += ["", "## 关键通道 Key links (minutes 分钟)", ""]
    k = comparison.key_links
    if not k.empty:
        best = (
            k.sort_values("saved_min", ascending=False, kind="stable")
            .groupby(["profile", "link", "from_zh", "to_zh"], sort=False)
            .head(1)
        )
        lines += [
            "| 出行方案 Profile | 通道 Link | 方向 Direction | 现状 Before | 最佳方案 Best option | 方案后 After | 节省 Saved |",
            "|---|---|---|---:|---|---:|---:|",
        ]
        for r in best.sort_values(["profile", "link", "from_zh"]).itertuples():
            option = _md_text(r.option) if r.saved_min > 1e-6 else "—"
            lines.append(
                f"| {r.profile} | {r.link_zh} {r.link_en} | {_md_text(r.from_zh)} → {_md_text(r.to_zh)} | {r.before_min:.1f} | "
                f"{option} | {r.after_min:.1f} | {r.saved_min:.1f} |"
            )
    iso = comparison.isochrones
    if not iso.empty:
        lines += [
            "",
            "## 等时圈 Isochrone area gained (km²)",
            "",
            "| 方案 Option | 地点 Place | 分钟 min | 现状 Before | 方案后 After | 增加 Gained |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for r in iso.itertuples():
            lines.append(
                f"| {_md_text(r.option)} | {_md_text(r.place_zh)} | {r.minutes:g} | {r.before_km2:.0f} | {r.after_km2:.0f} | {r.gained_km2:.0f} |"
            )
    sens = comparison.sensitivity
    if not sens.empty:
        held = sens.groupby("run")["rank_holds"].all()
        lines += ["", "## 敏感性 Sensitivity (speeds ±20 %)", ""]
        for run, ok in held.items():
            zh = sens[sens["run"] == run]["run_zh"].iloc[0]
            verdict = (
                "排名不变 ranking holds"
                if ok
                else "排名变化 ranking changes: "
                + ", ".join(
                    f"{_md_text(r.option)} {r.baseline_rank}→{r.rank}"
                    for r in sens[(sens["run"] == run) & ~sens["rank_holds"]].itertuples()
                )
            )
            lines.append(f"- {zh} ({run}): {verdict}")
    connectors = comparison.splices
    if not connectors.empty and (connectors["method"] == "connector").any():
        lines += ["", "## 接入说明 Interchanges joined by a connector", ""]
        for r in connectors[connectors["method"] == "connector"].itertuples():
            lines.append(
                f"- {_md_text(r.option)}: {_md_text(r.corridor)} interchange {r.interchange}, {r.distance_m:.0f} m connector"
            )
    lines += [
        "",
        "数据为示意性质 Data are indicative: boundaries and alignments are authored from published facts.",
        "",
    ]
    return "\n".join(lines)
