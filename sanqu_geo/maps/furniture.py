"""Print furniture shared by every map: the page (title, frame, sidebar, notes), the words
of the interface, scale bar, north arrow, legends, wrapped text and saving. Knows no layer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import logging
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Polygon, Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox, ScaledTranslation
from pyproj import CRS

from sanqu_geo import settings
from sanqu_geo._atomic import atomic_path
from sanqu_geo.errors import DataSourceError, SettingsError
from sanqu_geo.maps import fonts
from sanqu_geo.maps.fonts import (
    _CJK_CHARS,
    _FALLBACK_FAMILY,
    MissingCJKFontWarning,
)
from sanqu_geo.maps.style import (
    FRAME,
    INK,
    MAP_BACKGROUND,
    MUTED,
)

logger = logging.getLogger(__name__)

#: Landscape paper sizes (width, height) in millimetres.
PAPER_MM: dict[str, tuple[float, float]] = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}

#: Resolution of raster output (dots per inch).
DPI: int = 300

_MM_PER_INCH = 25.4
_LANGS = ("zh", "en", "both")

# --------------------------------------------------------------------------- words

#: Interface words of the maps: key -> (中文, English).
_WORDS: dict[str, tuple[str, str]] = {
    "zones_title": ("哈尔滨“三区一港”区域与主要设施", "Harbin's three areas and inland port"),
    "zones_subject": (
        "自贸区哈尔滨片区与哈尔滨新区、综合保税区、临空经济区、内陆港",
        "FTZ Harbin area and New Area, bonded zone, airport economic zone, inland port",
    ),
    "projects_title": (
        "“三区一港”联动发展方案项目(开放平台与基础设施)",
        "Platform and infrastructure tasks of the three areas and inland port plan",
    ),
    "projects_subject": (
        "按方案期限着色,标注方案任务编号(*为非方案任务)",
        "Coloured by the plan's deadline term, labelled with its task number (* not a plan task)",
    ),
    "corridors_title": (
        "“三区一港”通道方案比选",
        "Corridor options for the three areas and inland port",
    ),
    "corridors_subject": (
        "按排序着色,标注早高峰小时节省的车·小时",
        "Coloured by rank, labelled with the vehicle-hours saved in the morning peak hour",
    ),
    "iso_title": ("{place} {minutes} 分钟等时圈", "{minutes}-minute isochrones around {place}"),
    "iso_subject_after": ("方案前后对比:{option}", "Before and after: {option}"),
    "iso_subject": ("现状路网", "Existing road network"),
    "date": ("制图日期 {date}", "Map date {date}"),
    "legend_zones": ("区域", "Zones"),
    "legend_roads": ("道路", "Roads"),
    "legend_facilities": ("设施", "Facilities"),
    "legend_other": ("其他", "Other"),
    "legend_phases": ("方案期限(年份)", "Deadline term (year)"),
    "legend_options": ("方案(排序 · 高峰小时节省车·时)", "Options (rank · peak-hour veh-h saved)"),
    "legend_iso": ("等时圈", "Isochrones"),
    "projects_list": ("项目(方案任务编号)", "Projects (plan task number)"),
    "motorway": ("高速公路", "Motorway"),
    "trunk": ("快速路、一级公路", "Trunk road"),
    "primary": ("主干路、次干路", "Primary and secondary road"),
    "river": ("松花江", "Songhua River"),
    "district": ("行政区名称", "District name"),
    "interchange": ("互通、站点", "Interchange or stop"),
    "airport": ("机场、航站楼", "Airport, terminals"),
    "rail": ("铁路车站", "Railway station"),
    "logistics": ("物流、口岸设施", "Logistics and customs"),
    "other": ("其他设施", "Other facility"),
    "ftz": ("自贸区哈尔滨片区", "FTZ Harbin area"),
    "new_area": ("哈尔滨新区", "Harbin New Area"),
    "cbz": ("综合保税区", "Comprehensive bonded zone"),
    "airport_zone": ("临空经济区", "Airport economic zone"),
    "inland_port": ("内陆港、集装箱中心站", "Inland port, container centre"),
    "unlocated": ("位置未公布", "Location not published"),
    "minutes_saved": ("省 {value} 分钟", "{value} min saved"),
    "iso_before": ("{minutes} 分钟 现状", "{minutes} min, before"),
    "iso_after": ("{minutes} 分钟 建成后", "{minutes} min, after"),
    "iso_place": ("出发地", "Origin"),
    "rank_note": (
        "排序依据:早高峰小时均衡分配下节省的车·小时(小汽车+货车),图中所标即此值;"
        "轨道方案按门到门时间与高峰小汽车比较,不参与排序。",
        "Ranked by the vehicle-hours saved in the morning peak hour (cars + trucks, equilibrium "
        "assignment), the figure shown with each option; a rail option is compared door to "
        "door with the car at the peak and not ranked.",
    ),
    "data": ("数据", "Data"),
    "embedded": ("内置,据公开资料整理", "embedded, compiled from published sources"),
    "imported": ("用户导入", "imported"),
    "boundaries_indicative": ("边界为示意,非官方界线", "boundaries indicative, not official"),
    "locations_indicative": ("位置与线位为示意", "locations and alignments indicative"),
    "roads_trunk": ("道路:sanqu-geo 骨干路网(示意)", "Roads: sanqu-geo trunk network (indicative)"),
    "roads": ("道路", "Roads"),
    "iso_network": ("等时圈计算路网", "Isochrones computed on"),
    "comparison_network": ("比选路网", "Options compared on"),
    "projection": ("投影", "Projection"),
    "made_with": ("制图:sanqu-geo", "Made with sanqu-geo"),
}

_LAYER_WORDS: dict[str, tuple[str, str]] = {
    "zones": ("区域", "zones"),
    "facilities": ("设施", "facilities"),
    "projects": ("项目", "projects"),
    "river": ("松花江", "river"),
    "districts": ("行政区", "districts"),
}


@dataclass(frozen=True)
class _Style:
    """Paper, language and font of one map."""

    paper: str
    lang: str  # the language drawn: the one asked for, or "en" without a CJK font
    family: str | None  # the CJK family, None without one
    date: datetime.date

    @property
    def cjk(self) -> bool:
        return self.family is not None

    @property
    def scale(self) -> float:
        """Sizes are designed for A4 and grow with the paper."""
        return PAPER_MM[self.paper][0] / PAPER_MM["A4"][0]

    @property
    def families(self) -> list[str]:
        return [self.family, _FALLBACK_FAMILY] if self.family else [_FALLBACK_FAMILY]

    def pt(self, size: float) -> float:
        return size * self.scale

    def latin(self, text: str, alt: str = "") -> str:
        """``text`` without CJK characters when no CJK font is available (never tofu)."""
        if self.cjk or not _CJK_CHARS.search(text):
            return text
        return alt or re.sub(r"\s{2,}", " ", _CJK_CHARS.sub("", text)).strip(" ,;:-–")

    def pick(self, zh: Any, en: Any, *, alt: str = "", sep: str = "\n") -> str:
        """The label in the map's language (``both``: Chinese, ``sep``, English)."""
        zh = "" if _missing(zh) else str(zh).strip()
        en = "" if _missing(en) else str(en).strip()
        if not self.cjk:
            return self.latin(en or alt or zh, alt)
        if self.lang == "zh":
            return zh or en or alt
        if self.lang == "en":
            return en or alt or zh
        if zh and en and zh != en:
            return f"{zh}{sep}{en}"
        return zh or en or alt

    def word(self, key: str, *, sep: str = " / ", **fields: Any) -> str:
        zh, en = _WORDS[key]
        return self.pick(zh.format(**fields), en.format(**fields), sep=sep)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _first(*values: Any) -> str:
    """The first value that is neither missing nor blank."""
    return next((str(v).strip() for v in values if not _missing(v) and str(v).strip()), "")


def _humanise(identifier: Any) -> str:
    text = str(identifier).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _style(paper: str, lang: str, font: str | None, date: datetime.date | None) -> _Style:
    """Validate the common options and choose the font (warning once without a CJK font)."""
    key = str(paper).strip().upper()
    if key not in PAPER_MM:
        msg = f"unknown paper {paper!r}: use one of {', '.join(PAPER_MM)} (landscape)"
        raise SettingsError(msg)
    if lang not in _LANGS:
        msg = f"unknown lang {lang!r}: use one of {', '.join(_LANGS)}"
        raise SettingsError(msg)
    family = fonts.find_cjk_font(font)
    if family is None:
        which = (
            f"font {font!r} has no Chinese glyphs"
            if font
            else "no CJK font found (searched Noto Sans CJK, Source Han Sans, WenQuanYi, SimHei, "
            "Microsoft YaHei)"
        )
        if lang == "en":
            logger.info("%s; Chinese characters are left out of the English labels", which)
        else:
            msg = (
                f"{which}: drawing English labels in {_FALLBACK_FAMILY} instead of "
                f"lang={lang!r}; reinstall sanqu-geo (it brings the noto-cjk-sans-otc font), install fonts-noto-cjk or pass font='/path/to/font.ttc'"
            )
            fonts.warn_once(msg, MissingCJKFontWarning)
        lang = "en"
    return _Style(key, lang, family, date or datetime.date.today())


def _rc(style: _Style) -> dict[str, Any]:
    return {
        "font.family": style.families,
        "axes.unicode_minus": False,
        "legend.handleheight": 0.9,
    }


# --------------------------------------------------------------------------- data helpers


def _labelled(style: _Style, key: str, value: str) -> str:
    """``label: value`` with the label in the map's language(s) and the value once."""
    zh, en = _WORDS[key]
    if not style.cjk or style.lang == "en":
        return f"{en}: {value}"
    if style.lang == "zh":
        return f"{zh}:{value}"
    return f"{zh} / {en}: {value}"


def _road_words(style: _Style, G: nx.MultiDiGraph) -> str:
    source = str(G.graph.get("source", ""))
    if "openstreetmap" in source.casefold():
        return _labelled(style, "roads", "© OpenStreetMap contributors (ODbL)")
    if "trunk" in source.casefold():
        return style.word("roads_trunk")
    return _labelled(style, "roads", style.latin(source) or "unknown")


def _network_words(style: _Style, key: str, source: str) -> str:
    if "openstreetmap" in source.casefold():
        return _labelled(style, key, f"© OpenStreetMap contributors (ODbL), {source}")
    return _labelled(style, key, style.latin(source))


def _footer_items(
    style: _Style,
    drawn: dict[str, gpd.GeoDataFrame],
    roads: nx.MultiDiGraph | None,
    extra: Sequence[str] = (),
) -> list[str]:
    """Source, accuracy, credits and projection, for the foot of the page."""
    by_origin: dict[str, list[str]] = {}
    for name, frame in drawn.items():
        origin = str(frame.attrs.get("origin", "embedded"))
        label = style.pick(*_LAYER_WORDS.get(name, (name, name)), sep=" ")
        by_origin.setdefault(origin, []).append(label)
    parts = []
    for origin, names in by_origin.items():
        how = (
            style.word("embedded")
            if origin == "embedded"
            else style.word("imported") + style.latin(origin.removeprefix("imported"))
        )
        parts.append(f"{', '.join(names)} ({how})")
    items = [_labelled(style, "data", "sanqu-geo " + "; ".join(parts))] if parts else []
    zones = drawn.get("zones")
    others = [f for n, f in drawn.items() if n != "zones" and "accuracy" in f.columns]
    if (
        zones is not None
        and "accuracy" in zones.columns
        and (zones["accuracy"] == "indicative").any()
    ):
        items.append(style.word("boundaries_indicative"))
    if any((f["accuracy"] == "indicative").any() for f in others):
        items.append(style.word("locations_indicative"))
    if roads is not None:
        items.append(_road_words(style, roads))
    items.extend(extra)
    crs = CRS.from_user_input(settings.metric_crs)
    code = crs.to_string() if crs.to_epsg() is None else f"EPSG:{crs.to_epsg()}"
    items.append(_labelled(style, "projection", f"{crs.name} ({code})"))
    items.append(style.word("made_with"))
    return items


# --------------------------------------------------------------------------- page


class _Canvas(FigureCanvasAgg):
    """An Agg canvas that does not redraw the whole page on ``draw_idle``.

    geopandas calls ``draw_idle`` after every ``plot``; on a plain Agg canvas that renders the
    page each time (a hundred full renders for the five maps of a pack). The page is drawn
    when it is measured or saved.
    """

    def draw_idle(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class _Page:
    fig: Figure
    ax: Axes
    side: Axes
    style: _Style
    renderer: Any
    cursor: float = 1.0  # top of the free part of the sidebar, in sidebar axes fraction
    side_scale: float = 1.0  # shrinks the sidebar's type when its content would not fit
    obstacles: list[Bbox] = field(default_factory=list)


def _text_width(renderer: Any, text: str, prop: FontProperties) -> float:
    width, _, _ = renderer.get_text_width_height_descent(text, prop, ismath=False)
    return float(width)


_CLOSING = set("),.:;!?]}%)、。,:;!?」』】》〉”’…·")
_OPENING = set("([{(「『【《〈“‘")


def _units(paragraph: str) -> list[str]:
    """Pieces a line may break between: Latin words with their spaces, single CJK characters;
    closing punctuation stays with what precedes it, opening punctuation with what follows."""
    raw = re.findall(r"[A-Za-z0-9\u00c0-\u024f'’.,:;!?%/+\-–—()\[\]]+\s*|\s+|.", paragraph)
    units: list[str] = []
    carry = ""
    for piece in raw:
        if units and (piece[0] in _CLOSING or piece.isspace()):
            units[-1] += piece
        elif piece in _OPENING:
            carry += piece
        else:
            units.append(carry + piece)
            carry = ""
    if carry:
        units.append(carry)
    return units


def _wrap(text: str, width_px: float, prop: FontProperties, renderer: Any) -> str:
    """Wrap ``text`` to ``width_px``: at spaces between Latin words, anywhere between CJK."""
    lines_out: list[str] = []
    for paragraph in text.split("\n"):
        lines_out.extend(_greedy(_units(paragraph), "", width_px, prop, renderer))
    return "\n".join(lines_out)


def _greedy(
    pieces: Sequence[str], sep: str, width_px: float, prop: FontProperties, renderer: Any
) -> list[str]:
    """Fill lines with whole pieces joined by ``sep`` up to ``width_px``."""
    lines: list[str] = []
    line = ""
    for whole in pieces:
        if sep and _text_width(renderer, whole, prop) > width_px:
            *full, piece = _greedy(_units(whole), "", width_px, prop, renderer)
            if line:
                lines.append(line.rstrip())
            lines.extend(full)
            line = piece
            continue
        piece = whole
        trial = f"{line}{sep}{piece}" if line else piece
        if line and _text_width(renderer, trial.rstrip(), prop) > width_px:
            lines.append(line.rstrip())
            line = piece.lstrip()
        else:
            line = trial
    lines.append(line.rstrip())
    return lines


def _new_page(style: _Style, title: str, subtitle: str, footer: Sequence[str]) -> _Page:
    """A landscape page: title and subtitle above, map left, sidebar right, notes below."""
    w_mm, h_mm = PAPER_MM[style.paper]
    fig = Figure(figsize=(w_mm / _MM_PER_INCH, h_mm / _MM_PER_INCH), dpi=100)
    _Canvas(fig)
    fig.set_label(title.replace("\n", " "))
    renderer = fig.canvas.get_renderer()
    to_fig = fig.transFigure.inverted()
    s = style.scale
    margin = 9.0 * s

    def fx(mm: float) -> float:
        return mm / w_mm

    def fy(mm: float) -> float:
        return mm / h_mm

    def heading(y: float, text: str, **text_kw: Any) -> float:
        """Write ``text`` hanging from ``y`` at the left margin; return where it ends below."""
        artist = fig.text(fx(margin), y, text, ha="left", va="top", **text_kw)
        return artist.get_window_extent(renderer).transformed(to_fig).y0

    first, _, rest = title.partition("\n")
    bold = {"fontweight": "bold", "color": INK}
    y = heading(1 - fy(margin), first, fontsize=style.pt(16), **bold, gid="map-title")
    if rest:  # the English line of a bilingual title, a size smaller
        y = heading(y - fy(1.5 * s), rest, fontsize=style.pt(12.5), **bold, gid="map-title-en")
    y = heading(
        y - fy(2.0 * s),
        subtitle,
        fontsize=style.pt(8.5),
        color=MUTED,
        gid="map-subtitle",
        linespacing=1.3,
    )
    rule_y = y - fy(2.5 * s)
    fig.add_artist(
        Line2D(
            [fx(margin), 1 - fx(margin)],
            [rule_y, rule_y],
            transform=fig.transFigure,
            color=FRAME,
            linewidth=0.6 * s,
        )
    )
    foot_prop = FontProperties(family=style.families, size=style.pt(6.2))
    foot_width = (fig.bbox.width) * (1 - 2 * fx(margin))
    foot_text = "\n".join(_greedy(list(footer), "  ·  ", foot_width, foot_prop, renderer))
    foot = fig.text(
        fx(margin),
        fy(margin * 0.7),
        foot_text,
        ha="left",
        va="bottom",
        fontproperties=foot_prop,
        color=MUTED,
        gid="map-footer",
        linespacing=1.45,
    )
    foot_box = foot.get_window_extent(renderer).transformed(to_fig)
    bottom = foot_box.y1 + fy(3.0 * s)
    map_top = rule_y - fy(4.0 * s)
    side_w = (84.0 if style.lang == "both" else 72.0) * s
    gap = 6.0 * s
    ax = fig.add_axes(
        (fx(margin), bottom, fx(w_mm - 2 * margin - side_w - gap), map_top - bottom),
        gid="map-frame",
    )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor(MAP_BACKGROUND)
    for spine in ax.spines.values():
        spine.set_edgecolor(FRAME)
        spine.set_linewidth(0.8 * s)
    side = fig.add_axes((fx(w_mm - margin - side_w), bottom, fx(side_w), map_top - bottom))
    side.set_axis_off()
    return _Page(fig, ax, side, style, renderer)


def _finish(page: _Page) -> Figure:
    """Last touches shared by every map."""
    for ax in page.fig.axes:  # geopandas labels projected axes; frames need no axis titles
        if ax.get_gid() in ("map-frame", "map-inset"):
            ax.set_xlabel("")
            ax.set_ylabel("")
    return page.fig


def _bounds(*frames: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    """The box (metres) around every non-empty frame; an error when all are empty."""
    boxes = [np.asarray(f.total_bounds, dtype=float) for f in frames if len(f)]
    boxes = [b for b in boxes if np.isfinite(b).all()]
    if not boxes:
        msg = "nothing to draw: every layer of the map is empty"
        raise DataSourceError(msg)
    stack = np.vstack(boxes)
    return np.array([stack[:, 0].min(), stack[:, 1].min(), stack[:, 2].max(), stack[:, 3].max()])


def _fit_extent(page: _Page, bounds: Sequence[float], *, margin: float = 0.06) -> None:
    """Fit the map to ``bounds`` (metres) plus a margin, filling the frame at equal scale."""
    x0, y0, x1, y1 = (float(b) for b in bounds)
    w, h = max(x1 - x0, 1000.0), max(y1 - y0, 1000.0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = w * (1 + 2 * margin), h * (1 + 2 * margin)
    box = page.ax.get_position()
    fig_w, fig_h = page.fig.get_size_inches()
    ratio = (box.width * fig_w) / (box.height * fig_h)
    if w / h < ratio:
        w = h * ratio
    else:
        h = w / ratio
    page.ax.set_xlim(cx - w / 2, cx + w / 2)
    page.ax.set_ylim(cy - h / 2, cy + h / 2)
    page.ax.set_aspect("equal", adjustable="datalim")
    page.ax.set_autoscale_on(False)


def _data_per_point(page: _Page) -> float:
    """Metres on the ground per typographic point on the page."""
    x0, x1 = page.ax.get_xlim()
    width_in = page.ax.get_position().width * page.fig.get_size_inches()[0]
    return (x1 - x0) / (width_in * 72.0)


def _nice_length(limit_m: float) -> float:
    """The largest 1, 2 or 5 × 10^n metres (n ≥ 1) not above ``limit_m``."""
    exponent = math.floor(math.log10(limit_m))
    for factor in (5, 2, 1):
        value = factor * 10.0**exponent
        if value <= limit_m:
            return value
    return 10.0 ** (exponent - 1) * 5  # pragma: no cover - unreachable for positive limits


def _km_label(metres: float) -> str:
    km = metres / 1000.0
    return f"{km:g} km"


def _scale_bar(page: _Page, *, mid_tick: bool = True) -> None:
    """A segmented scale bar, bottom left, drawn in data units (metres)."""
    ax, style = page.ax, page.style
    x0, x1 = ax.get_xlim()
    y0, _ = ax.get_ylim()
    u = _data_per_point(page) * style.scale  # metres per point of an A4 design
    length = _nice_length(0.22 * (x1 - x0))
    segments = 5 if f"{length:.0e}".startswith("5") else 4
    bx, by = x0 + 16 * u, y0 + 14 * u
    bar_h = 4.0 * u
    step = length / segments
    parts: list[Any] = []
    for i in range(segments):
        parts.append(
            Rectangle(
                (bx + i * step, by),
                step,
                bar_h,
                facecolor=INK if i % 2 == 0 else "white",
                edgecolor=INK,
                linewidth=0.5 * style.scale,
                zorder=31,
                gid="scale-bar-segment",
            )
        )
    label = _km_label(length)
    parts.append(
        Rectangle(
            (bx, by),
            length,
            bar_h,
            fill=False,
            edgecolor=INK,
            linewidth=0.8 * style.scale,
            zorder=32,
            gid="scale-bar",
            label=label,
        )
    )
    for patch in parts:
        ax.add_patch(patch)
    ticks = [(0.0, "0", None)]
    if segments == 4 and mid_tick:
        ticks.append((length / 2, f"{length / 2000:g}", None))
    ticks.append((length, label, "scale-bar-label"))
    for offset, text, gid in ticks:
        parts.append(
            ax.text(
                bx + offset,
                by + bar_h + 2 * u,
                text,
                ha="center",
                va="bottom",
                fontsize=style.pt(7),
                color=INK,
                zorder=33,
                gid=gid,
            )
        )
    box = Bbox.union([a.get_window_extent(page.renderer) for a in parts]).padded(
        5 * style.scale * page.fig.dpi / 72.0
    )
    (dx0, dy0), (dx1, dy1) = ax.transData.inverted().transform(box.get_points())
    ax.add_patch(
        FancyBboxPatch(
            (dx0, dy0),
            dx1 - dx0,
            dy1 - dy0,
            boxstyle=f"round,pad=0,rounding_size={2 * u}",
            facecolor="white",
            edgecolor="none",
            alpha=0.85,
            zorder=30,
            gid="scale-bar-background",
        )
    )
    page.obstacles.append(box)


def _north_arrow(page: _Page) -> None:
    """A north arrow in the top right corner of the map.

    Grid north of the Gauss-Kruger CRS (central meridian 126°E) differs from true north by
    under half a degree across Harbin, so the arrow points straight up.
    """
    ax, style = page.ax, page.style
    s = style.scale
    origin = ScaledTranslation(1.0, 1.0, ax.transAxes)
    trans = page.fig.dpi_scale_trans + origin
    cx, base, tip, half = -0.42 * s, -0.72 * s, -0.36 * s, 0.1 * s
    left = Polygon(
        [(cx, tip), (cx - half, base), (cx, base + 0.08 * s)],
        closed=True,
        transform=trans,
        facecolor=INK,
        edgecolor=INK,
        linewidth=0.6 * s,
        zorder=40,
        gid="north-arrow",
    )
    right = Polygon(
        [(cx, tip), (cx + half, base), (cx, base + 0.08 * s)],
        closed=True,
        transform=trans,
        facecolor="white",
        edgecolor=INK,
        linewidth=0.6 * s,
        zorder=40,
        gid="north-arrow",
    )
    ax.add_artist(left)
    ax.add_artist(right)
    letter = {"zh": "北", "en": "N", "both": "N 北"}[style.lang]
    text = ax.text(
        cx,
        tip + 0.04 * s,
        letter,
        transform=trans,
        ha="center",
        va="bottom",
        fontsize=style.pt(9),
        fontweight="bold",
        color=INK,
        zorder=40,
        gid="north-arrow-label",
    )
    box = Bbox.union([a.get_window_extent(page.renderer) for a in (left, right, text)]).padded(
        4 * s
    )
    page.obstacles.append(box)


# --------------------------------------------------------------------------- sidebar


def _side_legend(
    page: _Page, handles: Sequence[Any], labels: Sequence[str], title: str, *, ncols: int = 1
) -> None:
    """A legend stacked under what the sidebar already holds (two columns if one won't fit)."""
    style, s = page.style, page.style.scale
    prop = FontProperties(family=style.families, size=_side_pt(page, 7.2))
    title_prop = FontProperties(family=style.families, size=_side_pt(page, 8), weight="bold")
    side_px = page.side.get_window_extent(page.renderer).width
    handle_px = (2.0 + 0.8 + 1.5 * (ncols - 1)) * _side_pt(page, 7.2) * page.fig.dpi / 72.0
    wrapped = [_wrap(label, side_px / ncols - handle_px, prop, page.renderer) for label in labels]
    legend = Legend(
        page.side,
        list(handles),
        wrapped,
        loc="upper left",
        bbox_to_anchor=(0.0, page.cursor),
        bbox_transform=page.side.transAxes,
        frameon=False,
        title=_wrap(title, side_px, title_prop, page.renderer),
        alignment="left",
        prop=prop,
        title_fontproperties=title_prop,
        borderaxespad=0.0,
        borderpad=0.0,
        handlelength=2.0,
        handletextpad=0.8,
        labelspacing=0.55,
        columnspacing=1.5,
        ncols=ncols,
    )
    if ncols == 1 and len(handles) > 3 and _bottom(page, legend) < 0:
        _side_legend(page, handles, labels, title, ncols=2)
        return
    legend.set_gid(f"legend-{sum(isinstance(a, Legend) for a in page.side.artists)}")
    page.side.add_artist(legend)
    _advance(page, legend, gap_mm=4.0 * s)


def _bottom(page: _Page, artist: Any) -> float:
    """The lower edge of an artist in sidebar axes fraction."""
    box = artist.get_window_extent(page.renderer)
    return float(page.side.transAxes.inverted().transform((box.x0, box.y0))[1])


def _side_text(
    page: _Page, text: str, *, title: str | None = None, boxed: bool = False, gid: str | None = None
) -> Text:
    """A block of wrapped text stacked in the sidebar."""
    style, s = page.style, page.style.scale
    prop = FontProperties(family=style.families, size=_side_pt(page, 6.8))
    pad = 6.0 * s if boxed else 0.0
    width_px = page.side.get_window_extent(page.renderer).width - 2 * pad * page.fig.dpi / 72.0
    body = _wrap(text, width_px, prop, page.renderer)
    if title:
        heading = page.side.text(
            0.0,
            page.cursor,
            title,
            transform=page.side.transAxes,
            ha="left",
            va="top",
            fontproperties=FontProperties(
                family=style.families, size=_side_pt(page, 8), weight="bold"
            ),
            color=INK,
        )
        _advance(page, heading, gap_mm=1.5 * s)
    x = pad / 72.0 * page.fig.dpi / page.side.get_window_extent(page.renderer).width
    top_pad = pad / 72.0 * page.fig.dpi / page.side.get_window_extent(page.renderer).height
    block = page.side.text(
        x,
        page.cursor - top_pad,
        body,
        transform=page.side.transAxes,
        ha="left",
        va="top",
        fontproperties=prop,
        color=INK,
        linespacing=1.45,
        gid=gid,
        bbox=(
            {
                "boxstyle": f"square,pad={pad / _side_pt(page, 6.8):.2f}",
                "facecolor": "#f3f3f0",
                "edgecolor": "#b8b8b8",
                "linewidth": 0.6 * s,
            }
            if boxed
            else None
        ),
    )
    _advance(page, block, gap_mm=4.0 * s + (pad / 72.0 * _MM_PER_INCH))
    return block


def _side_pt(page: _Page, size: float) -> float:
    return page.style.pt(size) * page.side_scale


def _fill_sidebar(page: _Page, build: Callable[[], None]) -> None:
    """Run ``build`` to fill the sidebar, with smaller type until everything fits."""
    for factor in (1.0, 0.92, 0.85, 0.78, 0.72):
        for artist in [*page.side.artists, *page.side.texts]:
            artist.remove()
        page.side_scale, page.cursor = factor, 1.0
        build()
        if page.cursor >= 0:
            return
    logger.warning("the sidebar of %r overflows the page", page.fig.get_label())


def _advance(page: _Page, artist: Any, *, gap_mm: float) -> None:
    bottom = _bottom(page, artist)
    gap = gap_mm / _MM_PER_INCH * page.fig.dpi / page.side.get_window_extent(page.renderer).height
    page.cursor = bottom - gap


# --------------------------------------------------------------------------- saving


#: zlib level of the PNG maps (0-9): 3 writes the same pixels as the default 6 in less time.
PNG_COMPRESS_LEVEL = 3


def save_map(fig: Figure, path: str | os.PathLike[str], *, dpi: int = DPI) -> Path:
    """Write a map atomically as PNG, PDF or SVG (chosen by the file's extension).

    The PDF and SVG carry no creation date and the SVG's ids are salted with a fixed string,
    so the same map gives the same bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A map from this module.
    path : path-like
        ``.png``, ``.pdf`` or ``.svg``.
    dpi : int
        Resolution of a PNG (dots per inch).

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    SettingsError
        For another extension.
    """
    target = Path(path)
    fmt = target.suffix.casefold().lstrip(".")
    title = fig.get_label() or "sanqu-geo map"
    metadata: dict[str, Any]
    if fmt == "png":
        metadata = {"Title": title, "Software": "sanqu-geo"}
    elif fmt == "pdf":
        metadata = {"Title": title, "Creator": "sanqu-geo", "CreationDate": None}
    elif fmt == "svg":
        metadata = {"Title": title, "Creator": "sanqu-geo", "Date": None}
    else:
        msg = f"cannot write a map as {target.name!r}: use a .png, .pdf or .svg file name"
        raise SettingsError(msg)
    # PDF: fonts embedded as TrueType (Type 42, text stays searchable), from TrueType-outline
    # subsets wherever a face has PostScript outlines (the Noto CJK faces): a CFF font under
    # the TrueType label is what makes poppler warn "Mismatch between font type and embedded
    # font file"
    rc = {"svg.hashsalt": "sanqu-geo", "svg.fonttype": "path", "pdf.fonttype": 42}
    embedded = fonts.embeddable_fonts([fig]) if fmt == "pdf" else contextlib.nullcontext()
    with matplotlib.rc_context(rc), embedded, atomic_path(target) as tmp:
        # PNG: zlib level 3 instead of 6 writes the same pixels in less time (files ~20 %
        # larger); the A3 maps are the pack's largest single cost after drawing
        extra = {"pil_kwargs": {"compress_level": PNG_COMPRESS_LEVEL}} if fmt == "png" else {}
        fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata, facecolor="white", **extra)
    logger.info("wrote %s", target)
    return target


def _inset(
    page: _Page,
    box: Any,
    *,
    avoid: Sequence[Any] = (),
    width: float = 0.3,
    title: tuple[str, str] = ("放大图", "Enlarged"),
) -> _Page:
    """A frame magnifying ``box`` (a shapely box in metres) in the emptiest corner of the map.

    The corner is the one whose area covers the fewest vertices of ``avoid`` (GeoDataFrames in
    metres) and none of the scale bar or north arrow; the box is outlined on the map. Returns
    a page whose axes are the inset, for the same drawing helpers.
    """
    ax, s = page.ax, page.style.scale
    pos = ax.get_position()
    fig_w, fig_h = page.fig.get_size_inches()
    bx0, by0, bx1, by1 = box.bounds
    aspect = (by1 - by0) / (bx1 - bx0)
    w = width * pos.width
    h = w * aspect * fig_w / fig_h
    if h > 0.42 * pos.height:
        h = 0.42 * pos.height
        w = h / aspect * fig_h / fig_w
    pad_x, pad_y = 0.012 * pos.width, 0.012 * pos.height * fig_w / fig_h
    corners = [
        (pos.x1 - pad_x - w, pos.y0 + pad_y),  # lower right
        (pos.x0 + pad_x, pos.y0 + pad_y),  # lower left
        (pos.x0 + pad_x, pos.y1 - pad_y - h),  # upper left
        (pos.x1 - pad_x - w, pos.y1 - pad_y - h),  # upper right
    ]
    coords = [shapely.get_coordinates(frame.geometry.values) for frame in avoid if len(frame)]
    xy = np.vstack(coords) if coords else np.empty((0, 2))
    to_fig = page.fig.transFigure.inverted()
    fig_xy = to_fig.transform(ax.transData.transform(xy)) if len(xy) else xy
    best = None
    for x, y in corners:
        inside = (
            int(
                (
                    (fig_xy[:, 0] >= x)
                    & (fig_xy[:, 0] <= x + w)
                    & (fig_xy[:, 1] >= y)
                    & (fig_xy[:, 1] <= y + h)
                ).sum()
            )
            if len(fig_xy)
            else 0
        )
        region = Bbox.from_bounds(x, y, w, h).transformed(page.fig.transFigure)
        blocked = sum(_overlap_area(region, other) for other in page.obstacles)
        cost = inside + 1000 * (blocked > 0)
        if best is None or cost < best[0]:
            best = (cost, x, y)
    assert best is not None
    _, x, y = best
    inset = page.fig.add_axes((x, y, w, h), gid="map-inset", zorder=5)
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_facecolor(MAP_BACKGROUND)
    for spine in inset.spines.values():
        spine.set_edgecolor(INK)
        spine.set_linewidth(1.0 * s)
    inset.set_xlim(bx0, bx1)
    inset.set_ylim(by0, by1)
    inset.set_aspect("equal", adjustable="datalim")
    inset.set_autoscale_on(False)
    frame = inset.get_window_extent(page.renderer)
    page.obstacles.append(frame.padded(4 * s))
    ax.add_patch(
        Rectangle(
            (bx0, by0),
            bx1 - bx0,
            by1 - by0,
            fill=False,
            edgecolor=INK,
            linewidth=0.8 * s,
            linestyle=(0, (3, 2)),
            zorder=24,
            gid="inset-extent",
        )
    )
    heading = page.style.pick(*title, sep=" ")
    inset.text(
        0.02,
        0.98,
        heading,
        transform=inset.transAxes,
        ha="left",
        va="top",
        fontsize=page.style.pt(7),
        fontweight="bold",
        color=INK,
        zorder=40,
        bbox={"boxstyle": "square,pad=0.2", "facecolor": "white", "edgecolor": "none"},
        gid="inset-title",
    )
    sub = dataclasses.replace(page, ax=inset, obstacles=[])
    # the inset's own scale, small, in its lower left corner
    _scale_bar(sub, mid_tick=False)  # a short bar: its middle figure would touch the end's
    return sub


def _overlap_area(a: Bbox, b: Bbox) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0
