"""The one-page print register of the plan's 40 tasks (matplotlib, A4/A3 landscape).

Draws a table the register computed (:func:`sanqu_geo.register.register_table`): each task's
status as of the meeting day (未报告 where no snapshot on or before that day reports it),
overdue tasks in red and nothing else in red, with a legend saying what the marks mean.
Reuses the print maps' paper sizes, fonts and writer; it never reads snapshots or decides what
is overdue.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
import unicodedata
import warnings
from collections.abc import Callable
from typing import Any

import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sanqu_geo.errors import SettingsError
from sanqu_geo.maps.static import PAPER_MM, MissingCJKFontWarning, find_cjk_font

logger = logging.getLogger(__name__)

__all__ = ["CHANGED_COLOUR", "NOT_REPORTED", "OVERDUE_COLOUR", "OVERDUE_FILL", "register_page"]

#: Fill of an overdue row and colour of its mark: the page's only red.
OVERDUE_FILL = "#fde0dc"
OVERDUE_COLOUR = "#b71c1c"
#: Colour of the mark of a task whose status changed with the latest snapshot.
CHANGED_COLOUR = "#1f5fa8"
#: Status shown for a task no snapshot on or before the day reports: (中文, English).
NOT_REPORTED = ("未报告", "not reported")
_INK = "#222222"
_MUTED = "#5a5a5a"
_RULE = "#bdbdbd"
_HEADER_FILL = "#e8eef6"
_MM_PER_INCH = 25.4
_FALLBACK = "DejaVu Sans"
_CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")

_STATUS_EN = {"未启动": "not started", "推进中": "in progress", "已完成": "done", "滞后": "delayed"}

#: Columns: key, (中文, English) header, width as a share of the table.
_COLUMNS: tuple[tuple[str, tuple[str, str], float], ...] = (
    ("task", ("编号", "No."), 0.045),
    ("section", ("章节", "Section"), 0.065),
    ("title", ("任务", "Task"), 0.285),
    ("deadline", ("期限", "Deadline"), 0.115),
    ("status", ("状态", "Status"), 0.100),
    ("flag", ("标记", "Flag"), 0.095),
    ("date", ("报送日期", "Reported"), 0.090),
    ("note", ("进展说明", "Progress note"), 0.205),
)


def _units(text: str) -> float:
    """Width of a text in half-em units (a CJK character is two)."""
    return sum(2.0 if unicodedata.east_asian_width(c) in "WF" else 1.0 for c in text)


def _clip(text: str, width_mm: float, size_pt: float) -> str:
    """Cut a text to fit a column, ending with … when cut."""
    limit = width_mm / (size_pt * 0.3528 * 0.52)  # half-em ≈ 0.52 of the font size
    if _units(text) <= limit:
        return text
    out = ""
    for c in text:
        if _units(out + c + "…") > limit:
            break
        out += c
    return out.rstrip() + "…"


#: Legend lines: key, (中文, English) of the mark, (中文, English) of what it means.
_LEGEND: tuple[tuple[str, tuple[str, str], tuple[str, str]], ...] = (
    (
        "overdue",
        ("逾期", "overdue"),
        ("已过期限,未报告“已完成”", "past the deadline, not reported done"),
    ),
    (
        "changed",
        ("变化", "changed"),
        ("状态较上次报送有变化", "status changed with the latest report"),
    ),
    ("not-reported", NOT_REPORTED, ("该日及以前无状态报送", "no status report by that day")),
)


def _legend(
    ax: Any,
    pick: Callable[..., str],
    *,
    right: float,
    top: float,
    scale: float,
) -> None:
    """The legend of the marks, right-aligned in the header: each mark drawn as in the table
    (the overdue one on the red row fill), followed by what it means.

    Each mark is placed against its explanation when the page is drawn, so the gap between
    them is the same at every resolution.
    """
    size = 6.5 * scale
    gap_pt = 1.6 * scale / 0.3528
    line = 4.2 * scale
    for i, (key, mark, meaning) in enumerate(_LEGEND):
        text = ax.text(
            right,
            top + i * line,
            pick(*meaning),
            fontsize=size,
            color=_MUTED,
            ha="right",
            va="top",
            gid=f"legend-{key}-meaning",
        )
        colour = {"overdue": OVERDUE_COLOUR, "changed": CHANGED_COLOUR}.get(key, _MUTED)
        fill = (
            {"boxstyle": "square,pad=0.2", "facecolor": OVERDUE_FILL, "edgecolor": "none"}
            if key == "overdue"
            else None
        )
        ax.annotate(
            pick(*mark),
            xy=(0, 0),
            xycoords=text,
            xytext=(-gap_pt, 0),
            textcoords="offset points",
            fontsize=size,
            fontweight="normal" if key == "not-reported" else "bold",
            color=colour,
            ha="right",
            va="bottom",
            bbox=fill,
            gid=f"legend-{key}-mark",
        )


def register_page(
    table: pd.DataFrame,
    *,
    paper: str = "A4",
    lang: str = "zh",
    font: str | None = None,
    date: _dt.date | None = None,
) -> Figure:
    """Draw the register of the plan's tasks on one landscape page.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`sanqu_geo.register.register_table` (one row per task).
    paper : {"A4", "A3"}
        Paper size, landscape.
    lang : {"zh", "en", "both"}
        Language of the headers and titles; without a CJK font the page is drawn in English.
    font : str, optional
        CJK font family or file (see :func:`sanqu_geo.maps.static.find_cjk_font`).
    date : datetime.date, optional
        The day the status stands for, printed in the title (default: today); give the
        day ``table`` was computed for. A task no snapshot reports shows 未报告 (not
        reported).

    Returns
    -------
    matplotlib.figure.Figure
        The page; write it with :func:`sanqu_geo.maps.static.save_map`.
    """
    key = str(paper).strip().upper()
    if key not in PAPER_MM:
        msg = f"unknown paper {paper!r}: use one of {', '.join(PAPER_MM)} (landscape)"
        raise SettingsError(msg)
    if lang not in ("zh", "en", "both"):
        msg = f"unknown lang {lang!r}: use zh, en or both"
        raise SettingsError(msg)
    family = find_cjk_font(font)
    if family is None and lang != "en":
        msg = (
            "no CJK font found: drawing the register in English; install fonts-noto-cjk or "
            "pass font='/path/to/font.ttc'"
        )
        logger.warning(msg)
        warnings.warn(msg, MissingCJKFontWarning, stacklevel=2)
        lang = "en"
    date = date or _dt.date.today()
    width, height = PAPER_MM[key]
    scale = width / PAPER_MM["A4"][0]

    def pick(zh: str, en: str, sep: str = " ") -> str:
        if lang == "zh":
            return zh or en
        if lang == "en" or family is None:
            text = en or zh
            return text if family or not _CJK.search(text) else _CJK.sub("", text).strip()
        return f"{zh}{sep}{en}" if zh and en and zh != en else zh or en

    families = [family, _FALLBACK] if family else [_FALLBACK]
    with matplotlib.rc_context({"font.family": families, "axes.unicode_minus": False}):
        fig = Figure(figsize=(width / _MM_PER_INCH, height / _MM_PER_INCH))
        fig.set_label("sanqu-geo task register")
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(height, 0)  # millimetres from the top-left corner
        ax.axis("off")
        margin = 10.0 * scale
        left, right = margin, width - margin
        overdue = int(table["overdue"].sum())
        changed = int(table["changed"].sum())
        reported = int((table["status"] != "").sum())
        ax.text(
            left,
            margin,
            pick("“三区一港”联动发展方案任务台账", "Register of the plan's tasks", " · "),
            fontsize=13 * scale,
            fontweight="bold",
            color=_INK,
            va="top",
            gid="register-title",
        )
        ax.text(
            left,
            margin + 7.5 * scale,
            pick(
                f"截至 {date.isoformat()}:共 {len(table)} 项,已报告 {reported} 项,"
                f"逾期 {overdue} 项,较上次变化 {changed} 项",
                f"As of {date.isoformat()}: {len(table)} tasks, {reported} reported, "
                f"{overdue} overdue, {changed} changed since the previous snapshot",
                "\n",
            ),
            fontsize=8 * scale,
            color=_MUTED,
            va="top",
            gid="register-subtitle",
        )
        top = margin + (17.5 if lang == "both" else 13.5) * scale
        _legend(ax, pick, right=right, top=margin, scale=scale)
        footer = (15.0 if lang == "both" else 10.0) * scale  # the note: 2 or 4 lines
        rows = len(table) + 1
        row_h = (height - top - margin - footer) / rows
        size = min(7.0 * scale, row_h / 0.3528 * 0.62)
        xs = [left]
        for _, _, share in _COLUMNS:
            xs.append(xs[-1] + share * (right - left))
        pad = 1.0 * scale
        ax.add_patch(
            Rectangle((left, top), right - left, row_h, facecolor=_HEADER_FILL, edgecolor="none")
        )
        for (name, (zh, en), _), x0, x1 in zip(_COLUMNS, xs[:-1], xs[1:], strict=True):
            ax.text(
                x0 + pad,
                top + row_h / 2,
                _clip(pick(zh, en), x1 - x0 - 2 * pad, size),
                fontsize=size,
                fontweight="bold",
                color=_INK,
                va="center",
                gid=f"header-{name}",
            )
        for i, row in enumerate(table.itertuples(), start=1):
            y = top + i * row_h
            if row.overdue:
                ax.add_patch(
                    Rectangle(
                        (left, y),
                        right - left,
                        row_h,
                        facecolor=OVERDUE_FILL,
                        edgecolor="none",
                        gid=f"overdue-{row.task}",
                    )
                )
            ax.plot([left, right], [y, y], color=_RULE, linewidth=0.3 * scale)
            pairs = ((_LEGEND[0][1], row.overdue), (_LEGEND[1][1], row.changed))
            marks = [m for m, on in pairs if on]
            # both marks in both languages would not fit the column: the legend has them
            flags = [m[0] if lang == "both" and len(marks) > 1 else pick(*m) for m in marks]
            status = str(row.status or "")
            shown = pick(status, _STATUS_EN.get(status, "")) if status else pick(*NOT_REPORTED)
            cells = {
                "task": str(row.task),
                "section": str(row.section),
                "title": pick(row.title_zh, row.title_en),
                "deadline": f"{row.terms if lang != 'en' else ''} "
                + (row.deadline.isoformat() if row.deadline else pick("无年份", "no year")),
                "status": shown,
                "flag": " ".join(flags),
                "date": row.status_date.isoformat() if row.status_date else "",
                "note": str(row.note or ""),
            }
            for (name, _, _), x0, x1 in zip(_COLUMNS, xs[:-1], xs[1:], strict=True):
                text = cells[name]
                if family is None:
                    text = _CJK.sub("", text).strip()
                colour = _INK
                weight = "normal"
                if name == "flag":
                    colour = OVERDUE_COLOUR if row.overdue else CHANGED_COLOUR
                    weight = "bold"
                elif name == "status" and not status:
                    colour = _MUTED
                elif name == "status" and status == "滞后":
                    weight = "bold"  # red is kept for overdue tasks
                ax.text(
                    x0 + pad,
                    y + row_h / 2,
                    _clip(text, x1 - x0 - 2 * pad, size),
                    fontsize=size,
                    color=colour,
                    fontweight=weight,
                    va="center",
                    gid=f"cell-{row.task}-{name}",
                )
        bottom = top + rows * row_h
        ax.plot([left, right], [bottom, bottom], color=_INK, linewidth=0.6 * scale)
        ax.plot([left, right], [top, top], color=_INK, linewidth=0.6 * scale)
        ax.text(
            left,
            bottom + 3.0 * scale,
            pick(
                "任务与期限:《自贸区哈尔滨片区(新区)、哈尔滨综合保税区、哈尔滨临空经济区、"
                "哈尔滨内陆港联动发展方案(征求意见稿)》。近期=2021年底,中期=2022年底,"
                "远期=2025年,中远期未定年份(不计逾期)。逾期:已过期限且未报告“已完成”"
                f"(未报告按未完成计)。状态:联席会议办公室报送,取 {date.isoformat()} "
                "及以前最近一次报送;未报告:该日及以前无报送。",
                "Tasks and terms from the linked-development plan (draft for comments): near "
                "term = end of 2021, medium = end of 2022, long = 2025, medium-to-long term has "
                "no year (never overdue). Overdue: past the deadline and not reported done (a "
                "task not reported counts as not done). Status: the latest report to the "
                f"joint-meeting office on or before {date.isoformat()}; not reported: none by "
                "then.",
                "\n",
            ),
            fontsize=5.6 * scale,
            color=_MUTED,
            va="top",
            wrap=True,
        )
    return fig
