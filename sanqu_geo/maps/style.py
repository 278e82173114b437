"""The one visual language of the toolkit: colours, symbols, drawing order and number formats
shared by the web maps, the print maps and the workbook.

Owns the look only; draws nothing and reads no files.
"""

from __future__ import annotations

import itertools
import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import numpy as np

__all__ = [
    "DISTRICT_COLOUR",
    "FACILITY_STYLES",
    "FLOW_CHANGE_MIN",
    "FLOW_GAIN_COLOUR",
    "FLOW_LOSS_COLOUR",
    "FLOW_UNCHANGED_COLOUR",
    "FLOW_UNCHANGED_WIDTH_PT",
    "FLOW_WEB_PX_PER_PT",
    "FLOW_WIDTHS_PT",
    "FLOW_WIDTH_BREAKS",
    "HOURS_DECIMALS",
    "ISO_AFTER_COLOUR",
    "ISO_BEFORE_COLOURS",
    "MINUTES_DECIMALS",
    "NOT_PUBLISHED",
    "PHASE_COLOURS",
    "PHASE_EN",
    "RAIL_OPTION_COLOUR",
    "RANK_COLOURS",
    "RANK_DASHES",
    "RIVER_COLOUR",
    "ROAD_STYLES",
    "SELECT_LINK_COLOURS",
    "VC_CLASSES",
    "VEHICLE_HOURS_DECIMALS",
    "ZONE_COLOURS",
    "ZORDER",
    "code_label",
    "excel_format",
    "flow_change_colour",
    "flow_width",
    "flow_width_legend",
    "format_hours",
    "format_minutes",
    "format_ratio",
    "format_vehicle_hours",
    "format_volume",
    "mpl_dash",
    "option_styles",
    "phase_colour",
    "round_half_up",
    "vc_colour",
    "web_dash",
    "zone_colour",
]

# --------------------------------------------------------------------------- ink

INK = "#222222"
MUTED = "#5a5a5a"
FRAME = "#8a8a8a"
MAP_BACKGROUND = "#fbfbf8"
HALO = "white"

# --------------------------------------------------------------------------- colours
#
# Each hue family has one meaning: the sky blue is water only, greys are roads only, the zone
# fills are earth and leaf tones, the plan phases are the strong warm/violet/slate colours drawn
# on top of them, and the option ranks a dark-to-light sequence of their own.
#
# Every scheme is colour-safe: its classes stay apart (CAM02-UCS ΔE ≥ 10, v/c classes ≥ 12,
# gains against losses ≥ 20) in normal vision and under a simulated deuteranopia, protanopia
# and tritanopia (Machado, Oliveira and Fernandes 2009, full severity). Under a red-green
# deficiency colours differ only in lightness and along blue-yellow, so each scheme spreads its
# classes over both: a sequential scheme steps in lightness, a categorical one alternates a
# bluish and a yellowish colour at each lightness. Options and plan phases never share a map,
# so the rank palette may reuse a phase's hue.

#: Zone fill and outline by ``group``: yellow-side and blue-side colours at different
#: lightness, so the five stay apart for colour-blind readers too.
ZONE_COLOURS: dict[str, str] = {
    "ftz": "#bdb53a",  # olive yellow
    "new_area": "#4f9a3a",  # leaf green
    "cbz": "#e0709a",  # rose
    "airport_zone": "#007878",  # teal
    "inland_port": "#7a4a12",  # brown
}
ZONE_OTHER = "#969696"

#: Road style by OSM ``highway`` class: (legend group, colour, line width in points at A4,
#: line width in pixels on the web). Roads are grey everywhere, darker for higher classes.
ROAD_STYLES: dict[str, tuple[str, str, float, float]] = {
    "motorway": ("motorway", "#4d4d4d", 1.9, 3.5),
    "motorway_link": ("motorway", "#4d4d4d", 0.9, 1.5),
    "trunk": ("trunk", "#7a7a7a", 1.25, 2.6),
    "trunk_link": ("trunk", "#7a7a7a", 0.7, 1.2),
    "primary": ("primary", "#a8a8a8", 0.65, 1.8),
    "primary_link": ("primary", "#a8a8a8", 0.5, 1.0),
    "secondary": ("primary", "#bdbdbd", 0.5, 1.3),
    "secondary_link": ("primary", "#bdbdbd", 0.4, 0.8),
    "tertiary": ("primary", "#cfcfcf", 0.4, 1.0),
}
ROAD_ORDER = ("primary", "trunk", "motorway")

#: The Songhua (the only blue of the maps).
RIVER_COLOUR = "#4a90d9"
DISTRICT_COLOUR = "#a3a3a3"

#: Facility marker by ``kind``: (legend group, marker, face colour). Matplotlib marker codes;
#: the web draws the same shapes as small SVG symbols.
FACILITY_STYLES: dict[str, tuple[str, str, str]] = {
    "airport": ("airport", "^", "#1f1f1f"),
    "terminal": ("airport", "^", "#1f1f1f"),
    "rail_station": ("rail", "s", "#1f1f1f"),
    "container_station": ("logistics", "D", "#1f1f1f"),
    "inland_port": ("logistics", "D", "#1f1f1f"),
    "customs_gate": ("logistics", "D", "#1f1f1f"),
    "logistics": ("logistics", "D", "#1f1f1f"),
}
FACILITY_OTHER = ("other", "o", "#1f1f1f")
#: Face colour of a facility that is planned, not built.
FACILITY_PLANNED_FACE = "#ffffff"

#: Project colour by the plan's deadline term (近期 2021, 中期 2022, 远期 2025, 中远期 no
#: year, 长远期 2035; 非方案任务 for a feature that is not a task of the plan).
PHASE_COLOURS: dict[str, str] = {
    "近期": "#d62728",  # red
    "中期": "#f28e00",  # orange
    "远期": "#2f4b5e",  # slate
    "中远期": "#7b3294",  # violet
    "长远期": "#ff4fd8",  # pink
    "非方案任务": "#7f7f7f",  # grey
}
PHASE_OTHER = "#7f7f7f"
PHASE_EN: dict[str, str] = {
    "近期": "near term",
    "中期": "medium term",
    "远期": "long term",
    "中远期": "medium to long term",
    "长远期": "long range",
    "非方案任务": "not a plan task",
}
#: Phase of a project that is not a task of the plan, and its map label.
NOT_A_TASK = "非方案任务"
NOT_A_TASK_LABEL = "*"
#: Project status drawn on top of everything else of its layer, with a white casing.
UNDER_CONSTRUCTION = "under_construction"

#: Corridor options by rank (rank 1 first): dark to light, so rank 1 is the most salient line;
#: bluish and yellowish colours alternate, so neighbouring ranks differ for colour-blind eyes
#: too. Eight ranks have a colour of their own; past them ranks reuse the last colour and are
#: told apart by :data:`RANK_DASHES`.
RANK_COLOURS: tuple[str, ...] = (
    "#14286e",  # 1 navy
    "#6b3a0f",  # 2 dark brown
    "#7b3294",  # 3 violet
    "#b8480c",  # 4 rust
    "#d2569e",  # 5 rose
    "#e8890c",  # 6 orange
    "#8fb3a0",  # 7 sage
    "#d9c13c",  # 8 ochre
)
#: Dash patterns (in line widths; "" = solid) that tell apart options sharing a rank.
RANK_DASHES: tuple[str, ...] = ("", "6 3", "2 2", "8 3 2 3")

#: Isochrones: fills before (smallest threshold first) and the outline after.
ISO_BEFORE_COLOURS: tuple[str, ...] = ("#4a3b8f", "#7a6fb8", "#a9a1d3", "#d6d2ec")
ISO_AFTER_COLOUR = "#d94801"
ISO_AFTER_DASHES: tuple[str, ...] = ("-", "--", ":", "-.")

#: A rail option (compared door to door, never ranked with the roads): a dark grey line drawn
#: with rail ties, outside the rank palette.
RAIL_OPTION_COLOUR = "#3b3b3b"

#: Assigned traffic. v/c classes of the congestion maps, light yellow (free) to deep indigo
#: (severe): matplotlib's ``inferno`` (a viridis-family scheme, even in lightness) sampled at
#: 0.87, 0.71, 0.53, 0.39 and 0.15, so each class is darker than the one before in any colour
#: vision and in grey print. (upper bound, colour, 中文, English).
VC_CLASSES: tuple[tuple[float, str, str, str], ...] = (
    (0.6, "#f9c72f", "畅通 < 0.6", "free < 0.6"),
    (0.8, "#f57b17", "基本畅通 0.6–0.8", "stable 0.6–0.8"),
    (1.0, "#c63d4d", "缓行 0.8–1.0", "busy 0.8–1.0"),
    (1.2, "#8f2469", "拥堵 1.0–1.2", "congested 1.0–1.2"),
    (math.inf, "#2b0b57", "严重拥堵 > 1.2", "severe > 1.2"),
)
#: Flow difference (option minus base): a blue–orange diverging pair, more traffic in amber
#: orange, less in a deep blue (the dark end of ColorBrewer YlGnBu) much darker than the
#: river; roads that do not change in light grey. Both stay apart from every v/c class, which
#: the web page shows in the same legend.
FLOW_GAIN_COLOUR = "#b86a14"
FLOW_LOSS_COLOUR = "#253494"
FLOW_UNCHANGED_COLOUR = "#bbbbbb"

#: Band width of assigned traffic, one fixed scale for every flow map of a pack: the
#: congestion map's volumes and the flow-difference maps' |Δ| alike, so a band of a given
#: width means the same PCU/h on every map of a pack (and of the next pack). Upper bounds of
#: the classes in PCU/h (a lane carries about 1,800 PCU/h) ...
FLOW_WIDTH_BREAKS: tuple[float, ...] = (100.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0)
#: ... and the width of each class in points at A4 (grown with the paper's scale), the last
#: one for volumes above the last bound.
FLOW_WIDTHS_PT: tuple[float, ...] = (0.5, 1.3, 2.2, 3.3, 4.6, 6.0, 7.6)
#: Pixels per point of :func:`flow_width` on a web page.
FLOW_WEB_PX_PER_PT = 1.5
#: A road whose two-way volume changes by less than this (PCU/h) is drawn as unchanged: a
#: hairline in :data:`FLOW_UNCHANGED_COLOUR`.
FLOW_CHANGE_MIN = 25.0
#: Width (points at A4) of the hairline of an unchanged road.
FLOW_UNCHANGED_WIDTH_PT = 0.6
#: Select link: zones shaded by their trips on the new corridor, light to dark (plum, so
#: neither a zone group, a phase nor the river).
SELECT_LINK_COLOURS: tuple[str, ...] = ("#f3e8f1", "#e0b4d0", "#c97aa8", "#94449a", "#5e1466")

#: Drawing order, bottom to top. The web map adds its layers in this order too, and the
#: part under construction gets its own pane above the other projects.
ZORDER: dict[str, float] = {
    "isochrone": 1.5,
    "zone": 2.0,
    "river": 2.5,
    "road": 3.0,
    "district": 4.0,
    "project_area": 6.0,
    "project_line": 7.0,
    "project_point": 8.0,
    "under_construction": 8.5,
    "interchange": 9.0,
    "zone_label": 11.0,
    "river_label": 12.0,
    "facility": 20.0,
    "facility_label": 21.0,
    "project_label": 25.0,
}


def vc_colour(vc: float) -> str:
    """The colour of a volume/capacity ratio by :data:`VC_CLASSES`."""
    return next(c for bound, c, _, _ in VC_CLASSES if vc < bound)


def mpl_dash(dash: str) -> Any:
    """A dash pattern of :data:`RANK_DASHES` as a matplotlib line style (``"-"`` for solid)."""
    if not dash:
        return "-"
    return (0, tuple(float(v) for v in dash.split()))


def web_dash(dash: str, weight: float) -> str | None:
    """A dash pattern of :data:`RANK_DASHES` as an SVG ``dasharray`` for a line ``weight`` px wide."""
    if not dash:
        return None
    return " ".join(f"{float(v) * weight:g}" for v in dash.split())


def zone_colour(group: Any) -> str:
    """The colour of a zone group (grey for an unknown group)."""
    return ZONE_COLOURS.get(str(group), ZONE_OTHER)


def phase_colour(phase: Any) -> str:
    """The colour of a plan phase (grey for an unknown phase)."""
    return PHASE_COLOURS.get(str(phase), PHASE_OTHER)


def option_styles(ranks: dict[str, int]) -> dict[str, tuple[str, str]]:
    """Colour and dash pattern of each option: colour by rank, dash by place within a rank.

    Parameters
    ----------
    ranks : dict
        Option id -> rank (1 = best); several options may share a rank.

    Returns
    -------
    dict
        Option id -> (hex colour, dash pattern as SVG ``dasharray`` in line widths, "" solid).
    """
    out: dict[str, tuple[str, str]] = {}
    seen: dict[int, int] = {}
    distinct = sorted(set(ranks.values()))
    for option in sorted(ranks, key=lambda o: (ranks[o], o)):
        rank = ranks[option]
        level = distinct.index(rank)
        colour = RANK_COLOURS[min(level, len(RANK_COLOURS) - 1)]
        nth = seen.get(rank, 0)
        seen[rank] = nth + 1
        # past the palette, ranks reuse the last colour and tell themselves apart by dashes
        extra = max(level - len(RANK_COLOURS) + 1, 0)
        out[option] = (colour, RANK_DASHES[(nth + extra) % len(RANK_DASHES)])
    return out


def flow_width(volume: Any, *, scale: float = 1.0) -> np.ndarray:
    """Band width of a volume or a volume change on the fixed scale of every flow map.

    Parameters
    ----------
    volume : float or array-like
        PCU per hour; the sign is ignored, so a change (option minus base) can be given as it
        is. ``nan`` gets the narrowest band.
    scale : float
        The paper's scale (1 on A4, about 1.41 on A3), or :data:`FLOW_WEB_PX_PER_PT` for
        pixels on a web page.

    Returns
    -------
    numpy.ndarray
        Line widths in points (times ``scale``), one per volume, stepped by
        :data:`FLOW_WIDTH_BREAKS` and :data:`FLOW_WIDTHS_PT`.
    """
    values = np.nan_to_num(np.abs(np.atleast_1d(np.asarray(volume, dtype=float))), nan=0.0)
    classes = np.searchsorted(np.asarray(FLOW_WIDTH_BREAKS), values, side="right")
    return np.asarray(FLOW_WIDTHS_PT)[classes] * scale


def flow_width_legend(*, scale: float = 1.0, unit: str = "pcu/h") -> list[tuple[str, float]]:
    """The keys of the band-width legend: one (label, width) per class, narrowest first.

    Parameters
    ----------
    scale : float
        As for :func:`flow_width`.
    unit : str
        Appended to each label after a space ("" for none).

    Returns
    -------
    list of (str, float)
        ``("< 100 pcu/h", 0.5)``, ``("100–250 pcu/h", 1.3)``, … ``("> 4,000 pcu/h", 7.6)``
        at ``scale`` 1; each width is the one :func:`flow_width` gives a volume of its class.
    """
    bounds = [format_volume(b) for b in FLOW_WIDTH_BREAKS]
    labels = [f"< {bounds[0]}"]
    labels += [f"{lo}–{hi}" for lo, hi in itertools.pairwise(bounds)]
    labels.append(f"> {bounds[-1]}")
    return [
        (f"{label} {unit}" if unit else label, width * scale)
        for label, width in zip(labels, FLOW_WIDTHS_PT, strict=True)
    ]


def flow_change_colour(delta_pcu_h: float) -> str:
    """The colour of a flow difference: gain, loss, or unchanged below :data:`FLOW_CHANGE_MIN`.

    Parameters
    ----------
    delta_pcu_h : float
        Change of volume, PCU/h (option minus base).

    Returns
    -------
    str
        :data:`FLOW_GAIN_COLOUR`, :data:`FLOW_LOSS_COLOUR` or :data:`FLOW_UNCHANGED_COLOUR`.
    """
    delta = float(delta_pcu_h)
    if delta >= FLOW_CHANGE_MIN:
        return FLOW_GAIN_COLOUR
    if delta <= -FLOW_CHANGE_MIN:
        return FLOW_LOSS_COLOUR
    return FLOW_UNCHANGED_COLOUR


# --------------------------------------------------------------------------- words

#: The internal codes people meet in popups and tables: code -> (中文, English).
CODE_LABELS: dict[str, tuple[str, str]] = {
    "existing": ("已建成", "existing"),
    "planned": ("规划", "planned"),
    "under_construction": ("在建", "under construction"),
    "completed": ("已完成", "completed"),
    "unknown": ("未公布", "not published"),
    "indicative": ("示意", "indicative"),
    "surveyed": ("实测", "surveyed"),
    "official": ("官方", "official"),
}


def code_label(value: Any, lang: str = "both") -> str:
    """A code (``under_construction``) as words (``在建 under construction``).

    Parameters
    ----------
    value : str
        The code; a value that is not a known code is returned as it is, missing values as "".
    lang : {"zh", "en", "both"}
        Language of the words.

    Returns
    -------
    str
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value)
    zh, en = CODE_LABELS.get(text, (text, text))
    if lang == "zh":
        return zh
    if lang == "en":
        return en
    return f"{zh} {en}" if zh != en else zh


# --------------------------------------------------------------------------- numbers

#: Decimals of minutes and hours shown to people (maps, popups, workbook, Markdown).
MINUTES_DECIMALS = 1
HOURS_DECIMALS = 1
#: Decimals of vehicle-hours (peak hour or day): whole vehicle-hours, the precision an
#: indicative assignment can defend.
VEHICLE_HOURS_DECIMALS = 0
#: What a table shows for an unreachable pair or a value that is not published.
NOT_PUBLISHED = "未公布 not published"


def round_half_up(value: Any, decimals: int) -> float:
    """Round half away from zero, as Excel and a person do (0.25 → 0.3, not Python's 0.2).

    The value is read from its shortest decimal representation, so 0.25 is a half even
    though its binary form is not exactly one.

    Parameters
    ----------
    value : float
        The number; ``nan`` and infinities are returned unchanged.
    decimals : int
        Decimals kept.

    Returns
    -------
    float
        The rounded number (``-0.0`` becomes ``0.0``).
    """
    number = float(value)
    if not math.isfinite(number):
        return number
    try:
        exact = Decimal(repr(number)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    except InvalidOperation:  # pragma: no cover - huge numbers keep their value
        return number
    return float(exact) + 0.0


def _format(value: Any, decimals: int, *, unit: str = "", thousands: bool = True) -> str:
    """``value`` rounded half up to ``decimals``; empty for ``nan``/``inf``; ``unit`` after a space."""
    number = float(value)
    if not math.isfinite(number):
        return ""
    comma = "," if thousands else ""
    text = f"{round_half_up(number, decimals):{comma}.{decimals}f}"
    return f"{text} {unit}" if unit else text


def format_minutes(value: Any, *, unit: str = "") -> str:
    """Minutes as people read them everywhere: one decimal, rounded half up.

    Parameters
    ----------
    value : float
        Minutes. ``nan``/``inf`` give an empty string.
    unit : str
        Appended after a space when given (``"min"``, ``"分钟"``).

    Returns
    -------
    str
    """
    return _format(value, MINUTES_DECIMALS, unit=unit, thousands=False)


def format_hours(value: Any, *, unit: str = "") -> str:
    """Hours (vehicle-hours) with thousands separators and one decimal, rounded half up."""
    return _format(value, HOURS_DECIMALS, unit=unit)


def format_vehicle_hours(value: Any, *, unit: str = "") -> str:
    """Vehicle-hours with thousands separators, whole numbers rounded half up (1,234).

    Parameters
    ----------
    value : float
        Vehicle-hours. ``nan``/``inf`` give an empty string.
    unit : str
        Appended after a space when given.

    Returns
    -------
    str
    """
    return _format(value, VEHICLE_HOURS_DECIMALS, unit=unit)


#: Decimals of a volume/capacity ratio or a delay index.
RATIO_DECIMALS = 2


def format_volume(value: Any, *, unit: str = "") -> str:
    """A traffic volume (PCU/h, vehicles/h) as a whole number with thousands separators."""
    return _format(value, 0, unit=unit)


def format_ratio(value: Any) -> str:
    """A v/c ratio or a delay index with :data:`RATIO_DECIMALS` decimals, rounded half up."""
    return _format(value, RATIO_DECIMALS, thousands=False)


def excel_format(decimals: int) -> str:
    """The Excel number format for a number of decimals (``1`` → ``"0.0"``)."""
    return "0" if decimals <= 0 else "0." + "0" * decimals
