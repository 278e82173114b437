"""Print maps of the 三区一港 (matplotlib): A4/A3 landscape pages with legend, scale bar, north
arrow and source note, as 300-dpi PNG or vector PDF/SVG. Draws what other modules computed and
never computes travel times.
"""

from __future__ import annotations

import datetime
import functools
import logging
import math
import os
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from matplotlib import colormaps, font_manager, patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex, to_rgba
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Patch, Polygon, Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox, ScaledTranslation
from pyproj import CRS

from sanqu_geo import layers, network, settings, travel
from sanqu_geo._atomic import atomic_path
from sanqu_geo.errors import CRSError, DataSourceError, LayerError, ScenarioError, SettingsError

logger = logging.getLogger(__name__)

__all__ = [
    "DPI",
    "FACILITY_STYLES",
    "PAPER_MM",
    "PHASE_COLOURS",
    "ROAD_STYLES",
    "ZONE_COLOURS",
    "MissingCJKFontWarning",
    "corridors_map",
    "find_cjk_font",
    "isochrones_map",
    "projects_map",
    "save_map",
    "zones_map",
]

# --------------------------------------------------------------------------- palette

#: Landscape paper sizes (width, height) in millimetres.
PAPER_MM: dict[str, tuple[float, float]] = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}

#: Resolution of raster output (dots per inch).
DPI: int = 300

_MM_PER_INCH = 25.4
_LANGS = ("zh", "en", "both")

INK = "#222222"
MUTED = "#5a5a5a"
FRAME = "#8a8a8a"
MAP_BACKGROUND = "#fbfbf8"
HALO = "white"

#: Zone fill and outline by ``group``.
ZONE_COLOURS: dict[str, str] = {
    "ftz": "#d95f02",
    "new_area": "#7570b3",
    "cbz": "#1b9e77",
    "airport_zone": "#c51b7d",
    "inland_port": "#8c6d1f",
}
_ZONE_OTHER = "#969696"

#: Road style by OSM ``highway`` class: (legend group, colour, line width in points at A4).
ROAD_STYLES: dict[str, tuple[str, str, float]] = {
    "motorway": ("motorway", "#5c5c5c", 1.9),
    "motorway_link": ("motorway", "#5c5c5c", 0.9),
    "trunk": ("trunk", "#858585", 1.25),
    "trunk_link": ("trunk", "#858585", 0.7),
    "primary": ("primary", "#b5b5b5", 0.65),
    "primary_link": ("primary", "#b5b5b5", 0.5),
    "secondary": ("primary", "#c4c4c4", 0.5),
    "secondary_link": ("primary", "#c4c4c4", 0.4),
}
_ROAD_ORDER = ("primary", "trunk", "motorway")

RIVER_COLOUR = "#5b9bd5"
DISTRICT_COLOUR = "#a3a3a3"

#: Facility marker by ``kind``: (legend group, marker, face colour).
FACILITY_STYLES: dict[str, tuple[str, str, str]] = {
    "airport": ("airport", "^", "#1f1f1f"),
    "terminal": ("airport", "^", "#1f1f1f"),
    "rail_station": ("rail", "s", "#1f1f1f"),
    "container_station": ("logistics", "D", "#1f1f1f"),
    "inland_port": ("logistics", "D", "#1f1f1f"),
    "customs_gate": ("logistics", "D", "#1f1f1f"),
    "logistics": ("logistics", "D", "#1f1f1f"),
}
_FACILITY_OTHER = ("other", "o", "#1f1f1f")

#: Project colour by the plan's deadline term (近期 2021, 中期 2022, 远期 2025, 中远期 no
#: year, 长远期 2035).
PHASE_COLOURS: dict[str, str] = {
    "近期": "#c0392b",
    "中期": "#e67e22",
    "远期": "#7d3c98",
    "中远期": "#2e86c1",
    "长远期": "#117a65",
}
_PHASE_EN = {
    "近期": "near term",
    "中期": "medium term",
    "远期": "long term",
    "中远期": "medium to long term",
    "长远期": "long range",
    "非方案任务": "not a plan task",
}
_PHASE_OTHER = "#7f7f7f"
#: Phase shown for a project that is not a task of the plan, and its map label.
_NOT_A_TASK = "非方案任务"
_NOT_A_TASK_LABEL = "*"


def _task_label(item: Any) -> str:
    """The plan's task number as drawn on the map (``*`` for a feature that is not a task)."""
    return _NOT_A_TASK_LABEL if _missing(item) else str(int(item))


#: Colour map of corridor options by rank (its low end = rank 1, the best).
RANK_CMAP = "plasma"
_RANK_RANGE = (0.0, 0.78)

#: Isochrone colours: fills before (smallest threshold first) and the outline after.
ISO_BEFORE_COLOURS: tuple[str, ...] = ("#41ab5d", "#a1d99b", "#c7e9c0", "#e5f5e0")
ISO_AFTER_COLOUR = "#d94801"
_ISO_AFTER_STYLES = ("-", "--", ":", "-.")

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
        "按排序着色,标注关键联系平均节省时间",
        "Coloured by rank, labelled with the mean minutes saved on the plan's key links",
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
    "legend_options": ("方案(排序 · 关键联系平均节省)", "Options (rank · mean saved on key links)"),
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
        "排序依据:早高峰小时均衡分配下节省的车·小时(小汽车+货车);图中分钟为规划关键联系(双向)高峰平均节省。",
        "Ranked by the vehicle-hours saved in the morning peak hour (cars + trucks, equilibrium "
        "assignment); the minutes shown are the mean peak-hour saving on the plan's key links "
        "(both directions).",
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

# --------------------------------------------------------------------------- fonts

#: CJK families tried in this order (simplified-Chinese faces first).
_CJK_PREFERRED: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
)
#: Parts of family names that mark a CJK font.
_CJK_MARKERS: tuple[str, ...] = ("CJK", "Source Han Sans", "WenQuanYi", "SimHei", "Microsoft YaHei")
#: Parts of file names of CJK fonts, used to register system fonts that matplotlib's font
#: cache does not know yet (the cache is built once, often before the fonts were installed).
_CJK_FILE_MARKERS: tuple[str, ...] = (
    "notosanscjk",
    "notoserifcjk",
    "sourcehansans",
    "sourcehanserif",
    "wqy",
    "simhei",
    "msyh",
    "cjk",
)
_FONT_SUFFIXES = (".ttc", ".otf", ".ttf")
_FALLBACK_FAMILY = "DejaVu Sans"
_GLYPH_PROBE = "三区港"

#: Characters that need a CJK font (CJK ideographs, kana, hangul, CJK and full-width punctuation).
_CJK_CHARS = re.compile(
    "[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"
)


class MissingCJKFontWarning(UserWarning):
    """No font with Chinese glyphs was found: the map is drawn with English labels."""


def _registered_files() -> set[str]:
    return {os.path.normcase(os.path.abspath(f.fname)) for f in font_manager.fontManager.ttflist}


def _register(path: Path) -> list[str]:
    """Register a font file with matplotlib (once) and return the families it holds."""
    key = os.path.normcase(os.path.abspath(path))
    if key not in _registered_files():
        font_manager.fontManager.addfont(str(path))
    return [
        f.name
        for f in font_manager.fontManager.ttflist
        if os.path.normcase(os.path.abspath(f.fname)) == key
    ]


def _register_system_fonts(*, cjk_only: bool) -> None:
    """Add system fonts missing from matplotlib's cache (only CJK-looking files if asked)."""
    known = _registered_files()
    for name in font_manager.findSystemFonts(fontext="ttf"):
        if os.path.normcase(os.path.abspath(name)) in known:
            continue
        stem = Path(name).name.casefold().replace(" ", "").replace("-", "")
        if cjk_only and not any(marker in stem for marker in _CJK_FILE_MARKERS):
            continue
        try:
            font_manager.fontManager.addfont(name)
        except (OSError, RuntimeError, ValueError) as exc:  # a broken file must not stop a map
            logger.debug("skipping font file %s: %s", name, exc)


def _families() -> dict[str, str]:
    """Installed families, case-folded name -> name."""
    return {f.name.casefold(): f.name for f in font_manager.fontManager.ttflist}


def _has_cjk_glyphs(family: str) -> bool:
    try:
        path = font_manager.findfont(FontProperties(family=family), fallback_to_default=False)
    except ValueError:
        return False
    charmap = font_manager.get_font(path).get_charmap()
    return all(ord(ch) in charmap for ch in _GLYPH_PROBE)


def _preferred(families: Iterable[str]) -> list[str]:
    """CJK families in order of preference."""
    names = sorted(set(families))
    by_fold = {n.casefold(): n for n in names}
    ordered = [by_fold[p.casefold()] for p in _CJK_PREFERRED if p.casefold() in by_fold]
    marked = [n for n in names if any(m.casefold() in n.casefold() for m in _CJK_MARKERS)]
    # simplified-Chinese faces before the others, sans before serif, proportional before mono
    marked.sort(key=lambda n: (" SC" not in n and " CN" not in n, "Serif" in n, "Mono" in n, n))
    return list(dict.fromkeys([*ordered, *marked]))


@functools.cache
def _discover_cjk_family() -> str | None:
    for attempt in range(2):
        for family in _preferred(_families().values()):
            if _has_cjk_glyphs(family):
                return family
        if attempt == 0:
            _register_system_fonts(cjk_only=True)
    return None


def find_cjk_font(font: str | None = None) -> str | None:
    """Return the family name of a font with Chinese glyphs, registering it with matplotlib.

    Parameters
    ----------
    font : str, optional
        A family name (``"Noto Sans CJK SC"``, ``"Microsoft YaHei"``) or a path to a
        ``.ttc``/``.otf``/``.ttf`` file. Without it the installed fonts are searched for Noto
        Sans CJK, Source Han Sans, WenQuanYi, SimHei, Microsoft YaHei or any family whose
        name contains ``CJK`` (simplified-Chinese faces first).

    Returns
    -------
    str or None
        The family to pass to matplotlib, or None when no font with Chinese glyphs is found
        (or the named font has none).

    Raises
    ------
    DataSourceError
        When the named file does not exist or is not a font, or the named family is not
        installed.
    """
    if font is None:
        return _discover_cjk_family()
    text = str(font).strip()
    looks_like_path = (
        text.casefold().endswith(_FONT_SUFFIXES) or os.sep in text or (os.altsep or os.sep) in text
    )
    if looks_like_path:
        path = Path(text).expanduser()
        if not path.is_file():
            msg = (
                f"font file {text!r} not found: pass an existing .ttc/.otf/.ttf file or a "
                "family name such as 'Noto Sans CJK SC' (Debian/Ubuntu: apt install "
                "fonts-noto-cjk)"
            )
            raise DataSourceError(msg)
        try:
            names = _register(path)
        except (OSError, RuntimeError, ValueError) as exc:
            msg = f"font file {text!r} cannot be read as a font ({exc}); pass a .ttc/.otf/.ttf"
            raise DataSourceError(msg) from exc
        if not names:
            msg = f"font file {text!r} holds no usable font face; pass a .ttc/.otf/.ttf"
            raise DataSourceError(msg)
        ranked = _preferred(names) + sorted(set(names))
        return next((n for n in ranked if _has_cjk_glyphs(n)), None)
    found = _families().get(text.casefold())
    if found is None:
        _register_system_fonts(cjk_only=False)
        found = _families().get(text.casefold())
    if found is None:
        installed = _preferred(_families().values())
        hint = (
            f"installed CJK families: {', '.join(installed[:8])}"
            if installed
            else "no CJK font is installed (Debian/Ubuntu: apt install fonts-noto-cjk)"
        )
        msg = (
            f"font family {text!r} is not installed; {hint}; "
            "or pass the path to a .ttc/.otf/.ttf file"
        )
        raise DataSourceError(msg)
    return found if _has_cjk_glyphs(found) else None


# --------------------------------------------------------------------------- style


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
    family = find_cjk_font(font)
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
                f"lang={lang!r}; install fonts-noto-cjk or pass font='/path/to/font.ttc'"
            )
            logger.warning(msg)
            warnings.warn(msg, MissingCJKFontWarning, stacklevel=3)
        lang = "en"
    return _Style(key, lang, family, date or datetime.date.today())


def _rc(style: _Style) -> dict[str, Any]:
    return {
        "font.family": style.families,
        "axes.unicode_minus": False,
        "legend.handleheight": 0.9,
    }


# --------------------------------------------------------------------------- data helpers


def _metric(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        msg = f"{what} has no CRS: set it first, e.g. gdf.set_crs('EPSG:4326')"
        raise CRSError(msg)
    out = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    return out.to_crs(settings.metric_crs)


def _split_located(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    missing = gdf.geometry.isna() | gdf.geometry.is_empty
    return gdf[~missing], gdf[missing]


def _road_edges(G: nx.MultiDiGraph) -> gpd.GeoDataFrame:
    """Edges of a road graph drawn once each (reverse copies dropped), in the metric CRS."""
    rows, geoms = [], []
    for u, v, data in G.edges(data=True):
        geom = data.get("geometry")
        if geom is None:
            a, b = G.nodes[u], G.nodes[v]
            geom = shapely.LineString([(a["x"], a["y"]), (b["x"], b["y"])])
        highway = data.get("highway", "")
        if isinstance(highway, list):
            highway = highway[0] if highway else ""
        rows.append(str(highway))
        geoms.append(geom)
    frame = gpd.GeoDataFrame(
        {"highway": rows}, geometry=geoms, crs=G.graph.get("crs", settings.default_crs)
    )
    # A two-way road is two edges with mirrored geometries; normalised, they are equal.
    key = shapely.to_wkb(shapely.normalize(frame.geometry.values))
    frame = frame[~pd.Series(key).duplicated().to_numpy()]
    return frame.to_crs(settings.metric_crs)


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
    FigureCanvasAgg(fig)
    fig.set_label(title.replace("\n", " "))
    renderer = fig.canvas.get_renderer()
    to_fig = fig.transFigure.inverted()
    s = style.scale
    margin = 9.0 * s

    def fx(mm: float) -> float:
        return mm / w_mm

    def fy(mm: float) -> float:
        return mm / h_mm

    first, _, rest = title.partition("\n")
    head = fig.text(
        fx(margin),
        1 - fy(margin),
        first,
        ha="left",
        va="top",
        fontsize=style.pt(16),
        fontweight="bold",
        color=INK,
        gid="map-title",
    )
    top = head.get_window_extent(renderer).transformed(to_fig)
    if rest:  # the English line of a bilingual title, a size smaller
        second = fig.text(
            fx(margin),
            top.y0 - fy(1.5 * s),
            rest,
            ha="left",
            va="top",
            fontsize=style.pt(12.5),
            fontweight="bold",
            color=INK,
            gid="map-title-en",
        )
        top = second.get_window_extent(renderer).transformed(to_fig)
    sub = fig.text(
        fx(margin),
        top.y0 - fy(2.0 * s),
        subtitle,
        ha="left",
        va="top",
        fontsize=style.pt(8.5),
        color=MUTED,
        gid="map-subtitle",
        linespacing=1.3,
    )
    sub_box = sub.get_window_extent(renderer).transformed(to_fig)
    rule_y = sub_box.y0 - fy(2.5 * s)
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
    page.ax.set_xlabel("")  # geopandas labels projected axes; the frame needs no axis titles
    page.ax.set_ylabel("")
    return page.fig


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


def _scale_bar(page: _Page) -> None:
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
    if segments == 4:
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


# --------------------------------------------------------------------------- labels


def _halo(style: _Style, width: float = 2.4) -> list[Any]:
    return [patheffects.withStroke(linewidth=width * style.scale, foreground=HALO)]


def _ring(step: float, rings: Sequence[int] = (1, 2, 3, 4)) -> list[tuple[float, float]]:
    """Label offsets in points: right, left, above, below and the diagonals, then farther out."""
    directions = [
        (1, 0),
        (-1, 0),
        (0, 1),
        (0, -1),
        (0.8, 0.7),
        (-0.8, 0.7),
        (0.8, -0.7),
        (-0.8, -0.7),
    ]
    return [(dx * step * r, dy * step * r) for r in rings for dx, dy in directions]


def _overlap(a: Bbox, b: Bbox) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _place_label(
    page: _Page,
    anchors: Sequence[tuple[float, float]],
    text: str,
    *,
    offsets: Sequence[tuple[float, float]],
    leader_colour: str | None = None,
    leader_from: float = 9.0,
    **text_kw: Any,
) -> Text:
    """Put ``text`` near one of the anchors where it overlaps nothing placed before.

    Tries each anchor with each offset (points, scaled with the paper) and keeps the first
    free spot; if none is free, the spot with the least overlap. A leader line joins a label
    set farther than ``leader_from`` points from its anchor.
    """
    ax, s = page.ax, page.style.scale
    frame = ax.get_window_extent(page.renderer).padded(-3 * s)
    probe = ax.annotate(text, anchors[0], xytext=(0, 0), textcoords="offset points", **text_kw)
    best: tuple[float, tuple[float, float], tuple[float, float], str, str] | None = None
    for anchor in anchors:
        for dx, dy in offsets:
            ha = "left" if dx > 0.1 else "right" if dx < -0.1 else "center"
            va = "bottom" if dy > 0.1 else "top" if dy < -0.1 else "center"
            probe.xy = anchor
            probe.set_position((dx * s, dy * s))
            probe.set_ha(ha)
            probe.set_va(va)
            box = probe.get_window_extent(page.renderer)
            outside = box.width * box.height - _overlap(box, frame)
            cost = sum(_overlap(box, other) for other in page.obstacles) + 50 * outside
            if best is None or cost < best[0]:
                best = (cost, anchor, (dx, dy), ha, va)
            if cost == 0:
                break
        if best is not None and best[0] == 0:
            break
    probe.remove()
    assert best is not None
    _, anchor, (dx, dy), ha, va = best
    arrow = None
    if leader_colour and math.hypot(dx, dy) > leader_from:
        arrow = {
            "arrowstyle": "-",
            "color": leader_colour,
            "linewidth": 0.5 * s,
            "shrinkA": 1,
            "shrinkB": 1,
        }
    label = ax.annotate(
        text,
        anchor,
        xytext=(dx * s, dy * s),
        textcoords="offset points",
        ha=ha,
        va=va,
        arrowprops=arrow,
        **text_kw,
    )
    page.obstacles.append(label.get_window_extent(page.renderer).padded(2 * s))
    return label


def _block_points(page: _Page, xy: Iterable[tuple[float, float]], radius_pt: float) -> None:
    """Keep labels off markers."""
    r = radius_pt * page.style.scale * page.fig.dpi / 72.0
    for x, y in page.ax.transData.transform(np.asarray(list(xy), dtype=float).reshape(-1, 2)):
        page.obstacles.append(Bbox.from_extents(x - r, y - r, x + r, y + r))


def _line_anchors(
    geom: Any, fractions: Sequence[float] = (0.5, 0.35, 0.65, 0.2, 0.8)
) -> list[tuple[float, float]]:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        p = geom.representative_point()
        return [(p.x, p.y)]
    if geom.geom_type == "Point":
        return [(geom.x, geom.y)]
    if geom.geom_type == "MultiLineString":
        geom = max(geom.geoms, key=lambda g: g.length)
    points = [geom.interpolate(f, normalized=True) for f in fractions]
    return [(p.x, p.y) for p in points]


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


# --------------------------------------------------------------------------- layers


def _draw_zones(page: _Page, zones: gpd.GeoDataFrame, *, light: bool = False) -> list[str]:
    """Zones coloured by group, largest first so small zones stay on top; returns groups."""
    if zones.empty:
        return []
    s = page.style.scale
    ordered = zones.assign(_area=zones.geometry.area).sort_values("_area", ascending=False)
    groups = []
    for row in ordered.itertuples():
        group = str(getattr(row, "group", "") or "")
        colour = ZONE_COLOURS.get(group, _ZONE_OTHER)
        groups.append(group)
        gpd.GeoSeries([row.geometry], crs=zones.crs).plot(
            ax=page.ax,
            facecolor=to_rgba(colour, 0.13 if light else 0.26),
            edgecolor=to_rgba(colour, 0.55 if light else 0.95),
            linewidth=(0.6 if light else 1.1) * s,
            zorder=2,
            gid=f"zone-{row.id}",
        )
    return list(dict.fromkeys(groups))


def _zone_handles(
    style: _Style, groups: Sequence[str], *, light: bool = False
) -> tuple[list[Any], list[str]]:
    handles, labels = [], []
    for group in [g for g in ZONE_COLOURS if g in groups] + [
        g for g in groups if g not in ZONE_COLOURS
    ]:
        colour = ZONE_COLOURS.get(group, _ZONE_OTHER)
        handles.append(
            Patch(
                facecolor=to_rgba(colour, 0.13 if light else 0.26),
                edgecolor=to_rgba(colour, 0.55 if light else 0.95),
                linewidth=(0.6 if light else 1.0) * style.scale,
            )
        )
        labels.append(style.word(group, sep=" ") if group in _WORDS else (group or "—"))
    return handles, labels


def _draw_roads(page: _Page, roads: gpd.GeoDataFrame, *, light: bool = False) -> list[str]:
    """Roads by class, motorways on top; returns the classes drawn, in legend order."""
    s = page.style.scale
    drawn = []
    for group in _ROAD_ORDER:
        for highway, (g, colour, width) in ROAD_STYLES.items():
            if g != group:
                continue
            part = roads[roads["highway"] == highway]
            if part.empty:
                continue
            part.plot(
                ax=page.ax,
                color=to_rgba(colour, 0.55 if light else 1.0),
                linewidth=width * s * (0.85 if light else 1.0),
                zorder=3,
                capstyle="round",
                joinstyle="round",
            )
            drawn.append(group)
    return [g for g in reversed(_ROAD_ORDER) if g in drawn]


def _road_handles(
    style: _Style, classes: Sequence[str], *, light: bool = False
) -> tuple[list[Any], list[str]]:
    first = {g: (c, w) for _, (g, c, w) in reversed(list(ROAD_STYLES.items()))}
    handles, labels = [], []
    for group in classes:
        colour, width = first[group]
        handles.append(
            Line2D(
                [], [], color=to_rgba(colour, 0.55 if light else 1.0), linewidth=width * style.scale
            )
        )
        labels.append(style.word(group, sep=" "))
    return handles, labels


def _context_legend(page: _Page, groups: Sequence[str], road_classes: Sequence[str]) -> None:
    """The legend of the light zones and roads under a thematic map."""
    style = page.style
    z_handles, z_labels = _zone_handles(style, groups, light=True)
    r_handles, r_labels = _road_handles(style, road_classes, light=True)
    river_handle, river_label = _river_handle(style)
    _side_legend(
        page,
        [*z_handles, *r_handles, river_handle],
        [*z_labels, *r_labels, river_label],
        style.word("legend_zones", sep=" ") + " · " + style.word("legend_roads", sep=" "),
    )


def _draw_river(page: _Page, river: gpd.GeoDataFrame, *, label: bool = True) -> None:
    if river.empty:
        return
    s = page.style.scale
    lines = river[river.geom_type.isin(["LineString", "MultiLineString"])]
    areas = river[river.geom_type.isin(["Polygon", "MultiPolygon"])]
    if not areas.empty:
        areas.plot(ax=page.ax, facecolor=to_rgba(RIVER_COLOUR, 0.5), edgecolor="none", zorder=2.5)
    if not lines.empty:
        lines.plot(ax=page.ax, color=RIVER_COLOUR, linewidth=3.2 * s, zorder=2.5, capstyle="round")
    if label:
        row = river.iloc[0]
        text = page.style.pick(row.get("name_zh"), row.get("name_en"), alt="Songhua River", sep=" ")
        _place_label(
            page,
            _line_anchors(row.geometry, (0.82, 0.7, 0.9, 0.6, 0.5, 0.4, 0.3)),
            text,
            offsets=[(0, 7), (0, -7), (0, 12), (0, -12)],
            fontsize=page.style.pt(7.5),
            fontstyle="italic",
            color=to_hex(RIVER_COLOUR),
            path_effects=_halo(page.style),
            zorder=12,
        )


def _river_handle(style: _Style) -> tuple[Any, str]:
    return Line2D([], [], color=RIVER_COLOUR, linewidth=3.0 * style.scale), style.word(
        "river", sep=" "
    )


def _draw_districts(page: _Page, districts: gpd.GeoDataFrame) -> None:
    """District names in light grey, at their label points, behind everything else."""
    style = page.style
    for row in districts.itertuples():
        point = row.geometry.representative_point()
        name = style.pick(
            getattr(row, "name_zh", ""), getattr(row, "name_en", ""), alt=_humanise(row.id)
        )
        text = page.ax.text(
            point.x,
            point.y,
            name,
            ha="center",
            va="center",
            fontsize=style.pt(8.5),
            color=DISTRICT_COLOUR,
            zorder=4,
            linespacing=1.1,
            path_effects=_halo(style, 2.0),
            gid=f"district-{row.id}",
        )
        text.set_clip_on(True)
        box = text.get_window_extent(page.renderer)
        if _overlap(box, page.ax.get_window_extent(page.renderer)) > 0:
            page.obstacles.append(box)


def _facility_style(kind: Any) -> tuple[str, str, str]:
    return FACILITY_STYLES.get(str(kind), _FACILITY_OTHER)


def _draw_facilities(page: _Page, facilities: gpd.GeoDataFrame) -> list[str]:
    """Facility markers by kind, with short labels placed clear of each other."""
    style, s = page.style, page.style.scale
    groups = []
    for row in facilities.itertuples():
        group, marker, colour = _facility_style(getattr(row, "kind", ""))
        groups.append(group)
        page.ax.plot(
            row.geometry.x,
            row.geometry.y,
            marker=marker,
            markersize=5.2 * s,
            markerfacecolor=colour,
            markeredgecolor="white",
            markeredgewidth=0.8 * s,
            linestyle="none",
            zorder=20,
            gid=f"facility-{row.id}",
        )
    _block_points(page, [(p.x, p.y) for p in facilities.geometry], 3.2)
    # the most crowded places first, so they get the closest spots
    order = _crowding_order(facilities)
    for i in order:
        row = facilities.iloc[i]
        text = style.pick(
            _first(row.get("short_zh"), row.get("name_zh")),
            _first(row.get("short_en"), row.get("name_en")),
            alt=_humanise(row["id"]),
        )
        _place_label(
            page,
            [(row.geometry.x, row.geometry.y)],
            text,
            offsets=_ring(6.0),
            leader_colour=MUTED,
            leader_from=8.0,
            fontsize=style.pt(7),
            color=INK,
            linespacing=1.1,
            path_effects=_halo(style),
            zorder=21,
        )
    return list(dict.fromkeys(groups))


def _crowding_order(points: gpd.GeoDataFrame) -> list[int]:
    xy = np.column_stack([points.geometry.x, points.geometry.y])
    if len(xy) < 2:
        return list(range(len(xy)))
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    np.fill_diagonal(d, np.inf)
    return list(np.argsort(d.min(axis=1), kind="stable"))


def _facility_handles(style: _Style, groups: Sequence[str]) -> tuple[list[Any], list[str]]:
    markers = {g: (m, c) for _, (g, m, c) in FACILITY_STYLES.items()}
    markers.setdefault(_FACILITY_OTHER[0], _FACILITY_OTHER[1:])
    handles, labels = [], []
    for group in ("airport", "rail", "logistics", "other"):
        if group not in groups:
            continue
        marker, colour = markers[group]
        handles.append(
            Line2D(
                [],
                [],
                marker=marker,
                markersize=5.2 * style.scale,
                markerfacecolor=colour,
                markeredgecolor="white",
                linestyle="none",
            )
        )
        labels.append(style.word(group, sep=" "))
    return handles, labels


def _label_zones(page: _Page, zones: gpd.GeoDataFrame, *, min_area_km2: float = 10.0) -> None:
    """Names of the larger zones inside them (the small ones are named by their facilities)."""
    style = page.style
    big = zones[zones.geometry.area >= min_area_km2 * 1e6]
    for row in big.itertuples():
        colour = ZONE_COLOURS.get(str(getattr(row, "group", "")), _ZONE_OTHER)
        text = style.pick(
            _first(getattr(row, "short_zh", ""), row.name_zh),
            _first(getattr(row, "short_en", ""), getattr(row, "name_en", "")),
            alt=_humanise(row.id),
        )
        inner = row.geometry.buffer(-1500) if row.geometry.area > 2e7 else row.geometry
        if inner.is_empty:
            inner = row.geometry
        anchors = [(p.x, p.y) for p in _interior_points(inner)]
        _place_label(
            page,
            anchors,
            text,
            offsets=[(0, 0), (0, 10), (0, -10), (14, 0), (-14, 0)],
            fontsize=style.pt(8),
            fontweight="bold",
            color=_darker(colour),
            linespacing=1.1,
            path_effects=_halo(style, 2.6),
            zorder=11,
        )


def _interior_points(geom: Any, n: int = 9) -> list[Any]:
    """The representative point, then points of a grid inside the polygon."""
    points = [geom.representative_point()]
    x0, y0, x1, y1 = geom.bounds
    for fy in (0.5, 0.3, 0.7, 0.15, 0.85):
        for fx in (0.5, 0.3, 0.7):
            p = shapely.Point(x0 + fx * (x1 - x0), y0 + fy * (y1 - y0))
            if geom.contains(p):
                points.append(p)
    return points[: n + 1]


def _darker(colour: str, factor: float = 0.72) -> str:
    r, g, b, _ = to_rgba(colour)
    return to_hex((r * factor, g * factor, b * factor))


# --------------------------------------------------------------------------- maps


def _bounds(*frames: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    boxes = [np.asarray(f.total_bounds, dtype=float) for f in frames if len(f)]
    boxes = [b for b in boxes if np.isfinite(b).all()]
    if not boxes:
        msg = "nothing to draw: every layer of the map is empty"
        raise DataSourceError(msg)
    stack = np.vstack(boxes)
    return np.array([stack[:, 0].min(), stack[:, 1].min(), stack[:, 2].max(), stack[:, 3].max()])


def _subtitle(style: _Style, subject_key: str | None, subject: str | None = None) -> str:
    date = style.word("date", date=style.date.isoformat())
    text = subject if subject is not None else style.word(subject_key or "", sep="\n")
    if style.lang == "both" and "\n" in text:
        zh, en = text.split("\n", 1)
        return f"{zh}  ·  {date}\n{en}"
    return f"{text}  ·  {date}"


def _context(roads: nx.MultiDiGraph | None) -> nx.MultiDiGraph:
    return roads if roads is not None else network.load_network("trunk")


def zones_map(
    *,
    paper: str = "A4",
    lang: str = "zh",
    font: str | None = None,
    date: datetime.date | None = None,
    roads: nx.MultiDiGraph | None = None,
) -> Figure:
    """The four areas, their facilities, trunk roads, the Songhua and district names.

    Parameters
    ----------
    paper : str
        ``"A4"`` or ``"A3"``, landscape.
    lang : str
        ``"zh"`` (Chinese labels), ``"en"`` (English) or ``"both"`` (Chinese above English).
    font : str, optional
        A CJK font family or a path to a ``.ttc``/``.otf``/``.ttf`` file (default: the first
        CJK font installed, see :func:`find_cjk_font`). Without one the map is drawn in English
        with one :class:`MissingCJKFontWarning`.
    date : datetime.date, optional
        Date printed under the title (default: today).
    roads : networkx.MultiDiGraph, optional
        Road graph drawn for context (default: the embedded trunk network).

    Returns
    -------
    matplotlib.figure.Figure
        The page; write it with :func:`save_map`.
    """
    style = _style(paper, lang, font, date)
    G = _context(roads)
    zones_all = layers.load_layer("zones")
    facilities_all = layers.load_layer("facilities")
    river = layers.load_layer("river", located_only=True)
    districts = layers.load_layer("districts", located_only=True)
    zones, zones_missing = _split_located(zones_all)
    facilities, facilities_missing = _split_located(facilities_all)
    drawn = {"zones": zones, "facilities": facilities, "river": river, "districts": districts}
    with matplotlib.rc_context(_rc(style)):
        page = _new_page(
            style,
            style.word("zones_title", sep="\n"),
            _subtitle(style, "zones_subject"),
            _footer_items(style, drawn, G),
        )
        zones_m, facilities_m = _metric(zones, "zones"), _metric(facilities, "facilities")
        _fit_extent(page, _bounds(zones_m, facilities_m))
        _scale_bar(page)
        _north_arrow(page)
        groups = _draw_zones(page, zones_m)
        road_classes = _draw_roads(page, _road_edges(G))
        river_m = _metric(river, "river")
        _draw_districts(page, _metric(districts, "districts"))
        facility_groups = _draw_facilities(page, facilities_m)
        _label_zones(page, zones_m)
        _draw_river(page, river_m)

        def sidebar() -> None:
            _side_legend(page, *_zone_handles(style, groups), style.word("legend_zones", sep=" "))
            f_handles, f_labels = _facility_handles(style, facility_groups)
            _side_legend(page, f_handles, f_labels, style.word("legend_facilities", sep=" "))
            r_handles, r_labels = _road_handles(style, road_classes)
            river_handle, river_label = _river_handle(style)
            district_handle = Line2D(
                [],
                [],
                linestyle="none",
                marker="$A$",
                color=DISTRICT_COLOUR,
                markersize=6 * style.scale,
            )
            _side_legend(
                page,
                [*r_handles, river_handle, district_handle],
                [*r_labels, river_label, style.word("district", sep=" ")],
                style.word("legend_roads", sep=" ") + " · " + style.word("legend_other", sep=" "),
            )
            missing = [
                style.pick(r.get("name_zh"), r.get("name_en"), alt=_humanise(r["id"]), sep=" ")
                for _, r in pd.concat([zones_missing, facilities_missing]).iterrows()
            ]
            if missing:
                _side_text(
                    page,
                    "\n".join(f"· {m}" for m in missing),
                    title=style.word("unlocated"),
                    boxed=True,
                    gid="unlocated",
                )

        _fill_sidebar(page, sidebar)
    return _finish(page)


def projects_map(
    *,
    paper: str = "A3",
    lang: str = "zh",
    font: str | None = None,
    date: datetime.date | None = None,
    roads: nx.MultiDiGraph | None = None,
) -> Figure:
    """The plan's projects coloured by deadline term and labelled with their task number.

    Lines, polygons and points are drawn over light zones and roads; projects without a
    published location are listed in a box beside the map.

    Parameters
    ----------
    paper : str
        ``"A4"`` or ``"A3"``, landscape.
    lang : str
        ``"zh"``, ``"en"`` or ``"both"``.
    font : str, optional
        CJK font family or file (see :func:`zones_map`).
    date : datetime.date, optional
        Date printed under the title (default: today).
    roads : networkx.MultiDiGraph, optional
        Road graph drawn for context (default: the embedded trunk network).

    Returns
    -------
    matplotlib.figure.Figure
        The page.
    """
    style = _style(paper, lang, font, date)
    G = _context(roads)
    projects_all = layers.load_layer("projects")
    zones = layers.load_layer("zones", located_only=True)
    river = layers.load_layer("river", located_only=True)
    projects_all["phase"] = projects_all["phase"].fillna(_NOT_A_TASK).replace("", _NOT_A_TASK)
    projects, missing = _split_located(projects_all)
    drawn = {"projects": projects, "zones": zones, "river": river}
    with matplotlib.rc_context(_rc(style)):
        page = _new_page(
            style,
            style.word("projects_title", sep="\n"),
            _subtitle(style, "projects_subject"),
            _footer_items(style, drawn, G),
        )
        s = style.scale
        projects_m = _metric(projects, "projects")
        zones_m = _metric(zones, "zones")
        _fit_extent(page, _bounds(projects_m, zones_m))
        _scale_bar(page)
        _north_arrow(page)
        groups = _draw_zones(page, zones_m, light=True)
        road_classes = _draw_roads(page, _road_edges(G), light=True)
        _draw_river(page, _metric(river, "river"), label=False)
        phases = [p for p in PHASE_COLOURS if p in set(projects_m["phase"])]
        phases += sorted(set(projects_m["phase"].astype(str)) - set(PHASE_COLOURS))
        kinds = projects_m.geom_type
        # areas under lines under points; later phases under earlier ones
        order = projects_m.assign(
            _g=kinds.map(
                {"Polygon": 0, "MultiPolygon": 0, "LineString": 1, "MultiLineString": 1}
            ).fillna(2),
            _p=projects_m["phase"].map({p: -i for i, p in enumerate(PHASE_COLOURS)}).fillna(1),
        ).sort_values(["_g", "_p"])
        for row in order.itertuples():
            colour = PHASE_COLOURS.get(str(row.phase), _PHASE_OTHER)
            geom = row.geometry
            one = gpd.GeoSeries([geom], crs=projects_m.crs)
            if geom.geom_type in ("Polygon", "MultiPolygon"):
                one.plot(
                    ax=page.ax,
                    facecolor=to_rgba(colour, 0.35),
                    edgecolor=colour,
                    linewidth=1.2 * s,
                    zorder=6,
                    gid=f"project-{row.id}",
                )
            elif geom.geom_type in ("LineString", "MultiLineString"):
                one.plot(ax=page.ax, color="white", linewidth=4.6 * s, zorder=7)
                one.plot(
                    ax=page.ax,
                    color=colour,
                    linewidth=2.8 * s,
                    zorder=7.1,
                    linestyle="--" if str(row.status) == "planned" else "-",
                    gid=f"project-{row.id}",
                )
            else:
                page.ax.plot(
                    geom.x,
                    geom.y,
                    marker="o",
                    markersize=8 * s,
                    markerfacecolor=colour,
                    markeredgecolor="white",
                    markeredgewidth=1.0 * s,
                    zorder=8,
                    gid=f"project-{row.id}",
                )
        points = projects_m[projects_m.geom_type == "Point"]
        _block_points(page, [(p.x, p.y) for p in points.geometry], 4.5)
        for row in projects_m.sort_values("item").itertuples():
            colour = PHASE_COLOURS.get(str(row.phase), _PHASE_OTHER)
            _place_label(
                page,
                _line_anchors(row.geometry),
                _task_label(row.item),
                offsets=[(0, 0), *_ring(7.0, (1, 2, 3))],
                leader_colour=colour,
                leader_from=5.0,
                fontsize=style.pt(7.5),
                fontweight="bold",
                color=_darker(colour, 0.8),
                bbox={
                    "boxstyle": "round,pad=0.25",
                    "facecolor": "white",
                    "edgecolor": colour,
                    "linewidth": 0.9 * s,
                },
                zorder=25,
            )

        def sidebar() -> None:
            handles, labels = [], []
            for phase in phases:
                colour = PHASE_COLOURS.get(phase, _PHASE_OTHER)
                year = layers.PHASES.get(phase)
                zh = f"{phase}({year})" if year else phase
                en = (
                    f"{_PHASE_EN.get(phase, phase).capitalize()} ({year})"
                    if year
                    else _PHASE_EN.get(phase, phase)
                )
                handles.append(Line2D([], [], color=colour, linewidth=2.8 * s))
                labels.append(style.pick(zh, en, alt=en, sep=" "))
            handles.append(Line2D([], [], color=MUTED, linewidth=2.0 * s, linestyle="--"))
            labels.append(style.pick("虚线:规划中", "Dashed: planned", sep=" "))
            _side_legend(page, handles, labels, style.word("legend_phases", sep=" "))
            entries = []
            for row in projects_m.sort_values(["item", "phase"], key=_phase_key).itertuples():
                title = style.pick(row.title_zh, row.title_en, alt=_humanise(row.id), sep=" / ")
                entries.append(f"{_task_label(row.item)}  {title}")
            _side_text(
                page,
                "\n".join(entries),
                title=style.word("projects_list", sep=" "),
                gid="project-list",
            )
            if len(missing):
                rows = [
                    f"{_task_label(r['item'])}  "
                    + style.pick(r["title_zh"], r["title_en"], alt=_humanise(r["id"]), sep=" / ")
                    for _, r in missing.sort_values("item").iterrows()
                ]
                _side_text(
                    page,
                    "\n".join(rows),
                    title=style.word("unlocated"),
                    boxed=True,
                    gid="unlocated",
                )
            _context_legend(page, groups, road_classes)

        _fill_sidebar(page, sidebar)
    return _finish(page)


def _phase_key(column: pd.Series) -> pd.Series:
    if column.name == "phase":
        return column.map({p: i for i, p in enumerate(PHASE_COLOURS)}).fillna(len(PHASE_COLOURS))
    return column


def _rank_colours(ranks: Sequence[int]) -> dict[int, str]:
    cmap = colormaps[RANK_CMAP]
    lo, hi = _RANK_RANGE
    top = max(ranks) if ranks else 1
    return {
        r: to_hex(cmap(lo + (hi - lo) * ((r - 1) / (top - 1) if top > 1 else 0.0)))
        for r in sorted(set(ranks))
    }


def corridors_map(
    comparison: Any,
    *,
    paper: str = "A4",
    lang: str = "zh",
    font: str | None = None,
    date: datetime.date | None = None,
    roads: nx.MultiDiGraph | None = None,
) -> Figure:
    """Each corridor option coloured by rank and labelled with the minutes it saves.

    Parameters
    ----------
    comparison : sanqu_geo.compare.Comparison
        The result of :func:`sanqu_geo.compare.compare`: ``summary`` gives each option's rank
        and ``key_links_mean_saved_min``; ``scenario`` the corridors and their interchanges.
    paper, lang, font, date, roads
        As for :func:`zones_map`.

    Returns
    -------
    matplotlib.figure.Figure
        The page.
    """
    style = _style(paper, lang, font, date)
    G = _context(roads)
    summary = comparison.summary.set_index("option")
    options = [o for o in comparison.scenario.options if o.id in summary.index]
    if not options:
        msg = "the comparison has no ranked option to draw (its summary is empty)"
        raise ScenarioError(msg)
    zones = layers.load_layer("zones", located_only=True)
    river = layers.load_layer("river", located_only=True)
    drawn = {"zones": zones, "river": river}
    source = str(getattr(comparison, "network_source", "") or "")
    extra = [_network_words(style, "comparison_network", source)] if source else []
    corridors = gpd.GeoDataFrame(
        {
            "option": [o.id for o in options for _ in o.corridors],
            "corridor": [c.id for o in options for c in o.corridors],
        },
        geometry=[c.geometry for o in options for c in o.corridors],
        crs=settings.default_crs,
    ).to_crs(settings.metric_crs)
    stops = gpd.GeoDataFrame(
        {"option": [o.id for o in options for c in o.corridors for _ in c.interchanges]},
        geometry=[p for o in options for c in o.corridors for p in c.interchanges],
        crs=settings.default_crs,
    ).to_crs(settings.metric_crs)
    ranks = {o.id: int(summary.at[o.id, "rank"]) for o in options}
    colours = _rank_colours(list(ranks.values()))
    with matplotlib.rc_context(_rc(style)):
        page = _new_page(
            style,
            style.word("corridors_title", sep="\n"),
            _subtitle(style, "corridors_subject"),
            _footer_items(style, drawn, G, extra),
        )
        s = style.scale
        zones_m = _metric(zones, "zones")
        _fit_extent(page, _bounds(corridors, stops, zones_m))
        _scale_bar(page)
        _north_arrow(page)
        groups = _draw_zones(page, zones_m, light=True)
        road_classes = _draw_roads(page, _road_edges(G), light=True)
        _draw_river(page, _metric(river, "river"), label=False)
        # worst first and widest, so the best option lies on top and overlaps stay visible
        order = sorted(options, key=lambda o: (-ranks[o.id], o.id))
        widths = np.linspace(5.2, 2.2, num=len(order)) if len(order) > 1 else np.array([3.0])
        for option, width in zip(order, widths, strict=True):
            colour = colours[ranks[option.id]]
            part = corridors[corridors["option"] == option.id]
            part.plot(
                ax=page.ax, color="white", linewidth=(width + 1.6) * s, zorder=7, capstyle="round"
            )
            part.plot(
                ax=page.ax,
                color=colour,
                linewidth=width * s,
                zorder=7.1,
                capstyle="round",
                gid=f"option-{option.id}",
            )
            dots = stops[stops["option"] == option.id]
            page.ax.scatter(
                dots.geometry.x,
                dots.geometry.y,
                s=(4.2 * s) ** 2,
                facecolor="white",
                edgecolor=colour,
                linewidth=1.2 * s,
                zorder=9,
                gid=f"interchanges-{option.id}",
            )
        _block_points(page, [(p.x, p.y) for p in stops.geometry], 2.5)
        entries = []
        for option in sorted(options, key=lambda o: (ranks[o.id], o.id)):
            colour = colours[ranks[option.id]]
            row = summary.loc[option.id]
            saved = max(float(row["key_links_mean_saved_min"]), 0.0) + 0.0
            value = f"{saved:.1f}"
            title_zh = str(row.get("title_zh", option.title_zh))
            title_en = str(row.get("title_en", option.title_en))
            label = f"{ranks[option.id]}  " + style.pick(
                f"{title_zh}(省 {value} 分钟)",
                f"{title_en} ({value} min saved)",
                alt=f"{_humanise(option.id)} ({value} min saved)",
            )
            geom = max((c.geometry for c in option.corridors), key=lambda g: g.length)
            line = (
                gpd.GeoSeries([geom], crs=settings.default_crs).to_crs(settings.metric_crs).iloc[0]
            )
            _place_label(
                page,
                _line_anchors(line, (0.5, 0.3, 0.7, 0.15, 0.85)),
                label,
                offsets=_ring(9.0, (1, 2, 3, 4, 5)),
                leader_colour=colour,
                leader_from=8.0,
                fontsize=style.pt(6.8),
                color=_darker(colour, 0.85),
                fontweight="bold",
                linespacing=1.1,
                path_effects=_halo(style, 2.6),
                zorder=26,
            )
            profile = str(row.get("profile", "") or "")
            spec = settings.profiles.get(profile, {})
            zh_how = spec.get("description_zh", profile)
            en_how = spec.get("description_en", profile)
            text = style.pick(
                f"{title_zh} · {value} 分钟 · {zh_how}",
                f"{title_en} · {value} min · {en_how}",
                alt=f"{_humanise(option.id)} · {value} min · {en_how}",
            )
            handle = Line2D([], [], color=colour, linewidth=3.0 * s)
            entries.append((handle, f"{ranks[option.id]}  {text}"))
        handles = [h for h, _ in entries] + [
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=4.2 * s,
                markerfacecolor="white",
                markeredgecolor=MUTED,
            )
        ]
        labels = [t for _, t in entries] + [style.word("interchange", sep=" ")]

        def sidebar() -> None:
            _side_legend(page, handles, labels, style.word("legend_options", sep=" "))
            _side_text(page, style.word("rank_note", sep="\n"), gid="rank-note")
            _context_legend(page, groups, road_classes)

        _fill_sidebar(page, sidebar)
    return _finish(page)


def _place_names(title_place: str | tuple[str, str]) -> tuple[str, str]:
    if isinstance(title_place, tuple):
        return title_place
    return title_place, title_place


def isochrones_map(
    before: gpd.GeoDataFrame,
    after: gpd.GeoDataFrame | None = None,
    *,
    title_place: str | tuple[str, str],
    option_title: str | tuple[str, str] | None = None,
    network_source: str | None = None,
    place: gpd.GeoDataFrame | None = None,
    paper: str = "A4",
    lang: str = "zh",
    font: str | None = None,
    date: datetime.date | None = None,
    roads: nx.MultiDiGraph | None = None,
) -> Figure:
    """Isochrones around a place before (filled) and after (outlined) a corridor option.

    Parameters
    ----------
    before : geopandas.GeoDataFrame
        Isochrones on the existing network: ``minutes`` and geometry, as from
        :func:`sanqu_geo.travel.place_isochrones`; ``area_km2`` shown in the legend if present.
    after : geopandas.GeoDataFrame, optional
        The same thresholds on the scenario network.
    title_place : str or (str, str)
        The place's name for the title; a pair gives (中文, English).
    option_title : str or (str, str), optional
        The option the ``after`` frame was computed for.
    network_source : str, optional
        The network the isochrones were computed on, for the source note.
    place : geopandas.GeoDataFrame, optional
        The place, marked with a star (default: looked up from ``before["id"]`` if present).
    paper, lang, font, date, roads
        As for :func:`zones_map`.

    Returns
    -------
    matplotlib.figure.Figure
        The page.
    """
    style = _style(paper, lang, font, date)
    if before is None or len(before) == 0 or "minutes" not in before.columns:
        msg = "isochrones_map needs a 'before' frame with a 'minutes' column and polygons"
        raise DataSourceError(msg)
    G = _context(roads)
    before_m = _metric(before, "before").sort_values("minutes")
    after_m = _metric(after, "after").sort_values("minutes") if after is not None else None
    if place is None and "id" in before.columns:
        try:
            place = travel.find_place(str(before["id"].iloc[0]))
        except LayerError as exc:  # the star is an extra; a user's own place id may be unknown
            logger.debug("no place marker: %s", exc)
    zones = layers.load_layer("zones", located_only=True)
    river = layers.load_layer("river", located_only=True)
    drawn = {"zones": zones, "river": river}
    extra = [_network_words(style, "iso_network", network_source)] if network_source else []
    zh_place, en_place = _place_names(title_place)
    minutes = "/".join(f"{m:g}" for m in before_m["minutes"])
    with matplotlib.rc_context(_rc(style)):
        title = style.pick(
            _WORDS["iso_title"][0].format(place=zh_place, minutes=minutes),
            _WORDS["iso_title"][1].format(
                place=style.latin(en_place, "the place"), minutes=minutes
            ),
        )
        if after_m is not None and option_title is not None:
            zh_opt, en_opt = _place_names(option_title)
            subject = style.pick(
                _WORDS["iso_subject_after"][0].format(option=zh_opt),
                _WORDS["iso_subject_after"][1].format(option=style.latin(en_opt, "the option")),
            )
        else:
            subject = style.word("iso_subject", sep="\n")
        page = _new_page(
            style, title, _subtitle(style, None, subject), _footer_items(style, drawn, G, extra)
        )
        s = style.scale
        frames = [before_m] + ([after_m] if after_m is not None else [])
        _fit_extent(page, _bounds(*frames), margin=0.03)
        _scale_bar(page)
        _north_arrow(page)
        handles, labels = [], []
        fills = list(before_m.itertuples())
        for i, row in reversed(list(enumerate(fills))):
            colour = ISO_BEFORE_COLOURS[min(i, len(ISO_BEFORE_COLOURS) - 1)]
            gpd.GeoSeries([row.geometry], crs=before_m.crs).plot(
                ax=page.ax,
                facecolor=to_rgba(colour, 0.55),
                edgecolor=to_rgba(colour, 0.9),
                linewidth=0.6 * s,
                zorder=1.5,
                gid=f"iso-before-{row.minutes:g}",
            )
        for i, row in enumerate(fills):
            colour = ISO_BEFORE_COLOURS[min(i, len(ISO_BEFORE_COLOURS) - 1)]
            handles.append(Patch(facecolor=to_rgba(colour, 0.55), edgecolor=colour))
            labels.append(_iso_label(style, "iso_before", row))
        groups = _draw_zones(page, _metric(zones, "zones"), light=True)
        road_classes = _draw_roads(page, _road_edges(G), light=True)
        _draw_river(page, _metric(river, "river"), label=False)
        if after_m is not None:
            for i, row in enumerate(after_m.itertuples()):
                dash = _ISO_AFTER_STYLES[min(i, len(_ISO_AFTER_STYLES) - 1)]
                gpd.GeoSeries([row.geometry], crs=after_m.crs).boundary.plot(
                    ax=page.ax,
                    color=ISO_AFTER_COLOUR,
                    linewidth=1.3 * s,
                    linestyle=dash,
                    zorder=9,
                    gid=f"iso-after-{row.minutes:g}",
                )
                handles.append(
                    Line2D([], [], color=ISO_AFTER_COLOUR, linewidth=1.3 * s, linestyle=dash)
                )
                labels.append(_iso_label(style, "iso_after", row))
        if place is not None and len(place):
            point = _metric(place, "place").geometry.iloc[0].representative_point()
            page.ax.plot(
                point.x,
                point.y,
                marker="*",
                markersize=13 * s,
                markerfacecolor=INK,
                markeredgecolor="white",
                markeredgewidth=1.0 * s,
                zorder=30,
                gid="iso-place",
            )
            _block_points(page, [(point.x, point.y)], 6.0)
            _place_label(
                page,
                [(point.x, point.y)],
                style.pick(zh_place, en_place, alt="Origin"),
                offsets=_ring(9.0, (1, 2)),
                fontsize=style.pt(8),
                fontweight="bold",
                color=INK,
                path_effects=_halo(style, 2.6),
                zorder=31,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker="*",
                    markersize=10 * s,
                    markerfacecolor=INK,
                    markeredgecolor="white",
                )
            )
            labels.append(style.word("iso_place", sep=" "))

        def sidebar() -> None:
            _side_legend(page, handles, labels, style.word("legend_iso", sep=" "))
            _context_legend(page, groups, road_classes)

        _fill_sidebar(page, sidebar)
    return _finish(page)


def _iso_label(style: _Style, key: str, row: Any) -> str:
    area = getattr(row, "area_km2", None)
    zh, en = (w.format(minutes=f"{row.minutes:g}") for w in _WORDS[key])
    if area is None or _missing(area):
        return style.pick(zh, en, sep=" / ")
    km2 = f"{float(area):,.0f} km²"
    return style.pick(f"{zh}({km2})", f"{en} ({km2})", sep=" / ").replace(f"({km2}) / ", " / ")


# --------------------------------------------------------------------------- saving


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
    rc = {"svg.hashsalt": "sanqu-geo", "svg.fonttype": "path", "pdf.fonttype": 42}
    with matplotlib.rc_context(rc), atomic_path(target) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata, facecolor="white")
    logger.info("wrote %s", target)
    return target
