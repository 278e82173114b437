"""The tables and notes of a Monte-Carlo run: bilingual headers, the Markdown section, and the
CSV files and workbook sheets added to a comparison folder. Reads a finished
:class:`sanqu_geo.sensitivity.MonteCarlo`; never solves anything.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from sanqu_geo.sensitivity import ABOVE, BELOW, STRUCTURAL, MonteCarlo

__all__ = ["FILES", "HEADERS", "markdown", "write_files", "write_outputs"]

HEADERS: dict[str, str] = {
    "group": "方案组 Group",
    "option": "方案 Option",
    "title_zh": "方案名称 Name (zh)",
    "title_en": "Option name (en)",
    "mean": "平均节省车小时 Mean veh·h saved",
    "se_mean": "平均值标准误 SE of the mean",
    "sd": "标准差 SD",
    "p5": "P5 节省车小时 veh·h saved",
    "p50": "P50 节省车小时 veh·h saved",
    "p95": "P95 节省车小时 veh·h saved",
    "share_saving": "有节省的抽样比例 Share of draws saving",
    "p_rank_first": "排名第一概率 P(rank 1)",
    "se_p_rank_first": "排名第一概率标准误 SE of P(rank 1)",
    "p_first_in_group": "组内第一概率 P(first in group)",
    "draw": "抽样 Draw",
    "demand_growth": "需求倍数 Demand ×",
    "capacity": "通行能力倍数 Capacity ×",
    "truck_pce": "货车折算系数 Truck PCE",
    "conical_alpha": "锥形延误函数α Conical α",
    "beta_car": "小汽车阻抗系数倍数 Car friction β ×",
    "generator_trips": "特殊发生源与对外出行倍数 Generator and external trips ×",
    "intrazonal_minutes": "区内出行时间倍数 Intrazonal minutes ×",
    "base_vehicle_hours": "现状高峰车小时 Base peak veh·h",
    "base_delay_index": "现状路网延误指数 Base delay index",
    "accepted": "接受 Accepted",
    "rejection": "拒绝原因 Rejected because",
}

_REASON_ZH = {BELOW: "低于校准区间", ABOVE: "高于校准区间"}


def _headers(table: pd.DataFrame) -> pd.DataFrame:
    names = {}
    for c in table.columns:
        if c.startswith("saved_"):
            names[c] = f"节省车小时 veh·h saved: {c[len('saved_') :]}"
        else:
            names[c] = HEADERS.get(c, c)
    return table.rename(columns=names)


def _draw_list(draws: pd.Series, most: int = 200) -> str:
    ids = [str(int(i)) for i in draws]
    if len(ids) > most:  # a cell stays readable (and under Excel's 32,767 characters)
        return ", ".join(ids[:most]) + f", … ({len(ids) - most} more: see the draws sheet)"
    return ", ".join(ids) or "—"


def _band_text(mc: MonteCarlo) -> str:
    low, high = mc.band
    return f"base network delay index {low:g}–{high:g}"


def _parameters_table(mc: MonteCarlo) -> pd.DataFrame:
    rows = [
        {"parameter 参数": p, "distribution 分布": dist.describe(), "source 来源": dist.source}
        for p, dist in mc.distributions.items()
    ]
    for row in rows:
        if row["parameter 参数"] in STRUCTURAL and not mc.structural.startswith("applied"):
            row["source 来源"] = f"{row['source 来源']} — {mc.structural}"
    rows += [
        {"parameter 参数": "draws 抽样数", "distribution 分布": str(mc.n), "source 来源": ""},
        {"parameter 参数": "seed 随机种子", "distribution 分布": str(mc.seed), "source 来源": ""},
        {
            "parameter 参数": "relative gap 相对间隙",
            "distribution 分布": f"{mc.gap:.0e}",
            "source 来源": "every assignment, as the comparison",
        },
        {
            "parameter 参数": "accepted draws 接受的抽样",
            "distribution 分布": f"{mc.accepted} of {mc.n}",
            "source 来源": f"{_band_text(mc)} (the published Amap range the default demand was "
            "calibrated to, [calibration] of the demand parameters); the summary rests on these "
            "draws",
        },
    ]
    low, high = mc.band
    for reason in (BELOW, ABOVE):
        which = mc.draws.loc[mc.draws["rejection"] == reason, "draw"]
        side, city = ("under", "less") if reason == BELOW else ("over", "more")
        rows.append(
            {
                "parameter 参数": f"rejected {reason} 拒绝（{_REASON_ZH[reason]}）",
                "distribution 分布": f"{len(which)}: draws {_draw_list(which)}"
                if len(which)
                else "0",
                "source 来源": f"base network delay index {side} the band {low:g}–{high:g}: a "
                f"city {city} congested than the one observed; its options not solved",
            }
        )
    return pd.DataFrame(rows)


def markdown(mc: MonteCarlo) -> str:
    """The Markdown section of a Monte-Carlo run, for the meeting notes."""
    from sanqu_geo.tables import _md_text as t

    low, high = mc.band
    lines = [
        f"## 蒙特卡洛敏感性 Monte-Carlo sensitivity ({mc.n} draws 次抽样, {mc.accepted} "
        f"accepted 接受, seed {mc.seed})",
        "",
        "高峰小时节省车小时（小汽车+货车），每次抽样重新求解现状与各道路方案的均衡分配 "
        f"(relative gap ≤ {mc.gap:.0e}). Peak-hour vehicle-hours saved (cars + trucks); every "
        "accepted draw solves the base and every road option again.",
        "",
        f"接受 Accepted: **{mc.accepted} of {mc.n} drawn** 次抽样中 {mc.accepted} 次的现状路网"
        f"延误指数落在校准区间 {low:g}–{high:g} 内 (the published Amap range the default demand "
        f"was calibrated to). Rejected: {mc.rejected.get(BELOW, 0)} below the band 低于区间, "
        f"{mc.rejected.get(ABOVE, 0)} above 高于区间 (a rejected draw describes a city more, or "
        "less, congested than the one observed; its options are not solved and it is left out "
        "of the figures below).",
        "",
        "| 方案 Option | 平均 Mean ± SE | P5 | P50 | P95 | 有节省 Saving | 排名第一 P(rank 1) ± SE | 组内第一 P(first in group) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in mc.summary.itertuples():
        se = "—" if math.isnan(r.se_mean) else f"{r.se_mean:,.1f}"
        lines.append(
            f"| {t(r.title_zh)} {t(r.title_en)} | {r.mean:,.1f} ± {se} | {r.p5:,.1f} | "
            f"{r.p50:,.1f} | {r.p95:,.1f} | {r.share_saving:.0%} | {r.p_rank_first:.0%} ± "
            f"{r.se_p_rank_first:.0%} | {r.p_first_in_group:.0%} |"
        )
    p5, p50, p95 = np.percentile(mc.draws["base_delay_index"], [5, 50, 95])
    lines += [
        "",
        "SE: standard error 标准误 of the mean saving (sd/√n) and of P(rank 1) (√(p(1−p)/n)), "
        f"n = {mc.accepted} accepted draws.",
        "",
        f"现状路网延误指数 Base network delay index over the draws: P5 {p5:.2f}, P50 {p50:.2f}, "
        f"P95 {p95:.2f} (every draw; Amap published {low:g}–{high:g}).",
    ]
    if len(mc.measures):
        lines += [
            "",
            "各任务指标 Each task's own measure over the accepted draws (P5 / P50 / P95; "
            "share of draws better than the base):",
            "",
            "| 方案 Option | 工况 Condition | 指标 Measure | P5 | P50 | P95 | 优于现状 Better |",
            "|---|---|---|---:|---:|---:|---:|",
        ]
        for r in mc.measures.itertuples():
            better = f"{r.share_positive:.0%}" if r.measure != "end_share" else "—"
            lines.append(
                f"| {t(r.option)} | {t(r.condition)} | {t(r.measure_label)} | {r.p5:.2f} | "
                f"{r.p50:.2f} | {r.p95:.2f} | {better} |"
            )
    lines += ["", "抽样分布 Distributions drawn:", ""]
    for p, dist in mc.distributions.items():
        lines.append(f"- {p}: {dist.describe()} — {t(dist.source)}")
    if mc.structural and not mc.structural.startswith("applied"):
        lines += [
            "",
            f"结构参数 Structural parameters ({', '.join(STRUCTURAL)}): {t(mc.structural)}.",
        ]
    if mc.not_scored:
        lines += [
            "",
            "不按道路评分 Not scored as a road (rail): "
            + ", ".join(t(o) for o in mc.not_scored)
            + ".",
        ]
    lines += [
        "",
        "参数分布为假设，需求为示意性质 The spreads are assumptions and the default demand is "
        "indicative: read the probabilities as how robust the ranking is, not as forecasts.",
        "",
    ]
    return "\n".join(lines)


#: Files a Monte-Carlo run always adds to a comparison folder.
FILES = ("monte_carlo.csv", "monte_carlo_draws.csv")


def write_files(mc: MonteCarlo, folder: str | Path) -> list[str]:
    """Write a Monte-Carlo run's files into a folder being filled; return their names.

    ``monte_carlo.csv`` (the summary), ``monte_carlo_draws.csv`` and, when there are task
    measures, ``monte_carlo_measures.csv`` are written; the summary, the draws and the
    distributions become sheets of ``comparison.xlsx`` and the section is added to
    ``summary.md`` (both created when absent). Text cells are escaped so that no spreadsheet
    runs them as formulas. ``folder`` is the temporary folder of an atomic write (see
    :func:`sanqu_geo.tables.write_comparison`); use :func:`write_outputs` for a finished one.

    Parameters
    ----------
    mc : MonteCarlo
        The run.
    folder : path-like
        The folder being filled.

    Returns
    -------
    list of str
        The names of the files written or updated, relative to ``folder``.
    """
    from sanqu_geo._safe import spreadsheet_safe_frame, spreadsheet_text_cells
    from sanqu_geo.tables import rounded

    folder = Path(folder)
    summary = _headers(rounded(mc.summary))
    draws = _headers(rounded(mc.draws))
    measures = rounded(mc.measures)
    written = []
    for name, table in (
        ("monte_carlo.csv", summary),
        ("monte_carlo_draws.csv", draws),
        ("monte_carlo_measures.csv", measures),
    ):
        if table.empty:
            continue
        spreadsheet_safe_frame(table).to_csv(folder / name, index=False, encoding="utf-8-sig")
        written.append(name)
    workbook = folder / "comparison.xlsx"
    sheets = (
        ("蒙特卡洛 Monte Carlo", summary),
        ("抽样 Draws", draws),
        ("抽样分布 Distributions", _parameters_table(mc)),
        ("蒙特卡洛任务指标 MC measures", measures),
    )
    mode = "a" if workbook.is_file() else "w"
    kwargs = {"if_sheet_exists": "replace"} if mode == "a" else {}
    with pd.ExcelWriter(workbook, engine="openpyxl", mode=mode, **kwargs) as writer:
        for sheet, table in sheets:
            if table.empty:
                continue
            table.to_excel(writer, sheet_name=sheet[:31], index=False)
            ws = writer.sheets[sheet[:31]]
            spreadsheet_text_cells(ws)
            ws.freeze_panes = "A2"
            for column in ws.columns:
                ws.column_dimensions[column[0].column_letter].width = 18
    written.append("comparison.xlsx")
    notes = folder / "summary.md"
    text = notes.read_text(encoding="utf-8") if notes.is_file() else ""
    marker = "## 蒙特卡洛敏感性 Monte-Carlo sensitivity"
    if marker in text:  # a re-run replaces its own section
        text = text[: text.index(marker)].rstrip("\n") + "\n"
    notes.write_text((text + "\n" if text else "") + markdown(mc), encoding="utf-8")
    written.append("summary.md")
    return written


def write_outputs(mc: MonteCarlo, out_dir: str | Path, *, force: bool = False) -> list[Path]:
    """Add a Monte-Carlo run to a comparison folder: CSV files, sheets, a Markdown section.

    The files (see :func:`write_files`) join the folder's manifest beside the comparison's,
    and move in only when all are written; the comparison's ``comparison.xlsx`` and
    ``summary.md`` are updated when the toolkit wrote them. A later comparison removes them.

    Parameters
    ----------
    mc : MonteCarlo
        The run.
    out_dir : path-like
        The comparison's output folder (or a new one).
    force : bool
        Write into a folder that holds other files, and replace the user's own files of the
        names written (see :func:`sanqu_geo._atomic.atomic_folder`).

    Returns
    -------
    list of pathlib.Path
        The files written or updated.

    Raises
    ------
    DataSourceError
        When the folder may not be written, or holds the user's own files of those names.
    """
    import shutil

    from sanqu_geo._atomic import atomic_folder, own_files

    out_dir = Path(out_dir)
    ours = own_files(out_dir)
    with atomic_folder(out_dir, force=force, add=True) as tmp:
        for name in ("comparison.xlsx", "summary.md"):
            if name in ours:
                shutil.copyfile(out_dir / name, tmp / name)
        names = write_files(mc, tmp)
    return [out_dir / n for n in names]
