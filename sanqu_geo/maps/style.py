"""The one visual language of the toolkit: colours, symbols, drawing order and number formats
shared by the web maps, the print maps and the workbook.

Owns the look only; draws nothing and reads no files.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = [
    "DISTRICT_COLOUR",
    "FACILITY_STYLES",
    "FLOW_GAIN_COLOUR",
    "FLOW_LOSS_COLOUR",
    "FLOW_UNCHANGED_COLOUR",
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
# Each hue family has one meaning: blue is water only, greys are roads only, the zone fills
# are earth and leaf tones, the plan phases are the strong warm/violet/slate colours drawn on
# top of them, and the option ranks a dark-to-light sequence of their own.

#: Zone fill and outline by ``group``.
ZONE_COLOURS: dict[str, str] = {
    "ftz": "#a8a800",  # olive yellow
    "new_area": "#5f9e2f",  # leaf green
    "cbz": "#d6338a",  # magenta
    "airport_zone": "#17917a",  # teal
    "inland_port": "#9a6324",  # brown
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

#: Corridor options by rank (rank 1 first): dark to light, none of them a phase or zone hue.
RANK_COLOURS: tuple[str, ...] = ("#0b3c8c", "#6a3d9a", "#b15928", "#e08214", "#8c8c3c")
#: Dash patterns (in line widths; "" = solid) that tell apart options sharing a rank.
RANK_DASHES: tuple[str, ...] = ("", "6 3", "2 2", "8 3 2 3")

#: Isochrones: fills before (smallest threshold first) and the outline after.
ISO_BEFORE_COLOURS: tuple[str, ...] = ("#4a3b8f", "#7a6fb8", "#a9a1d3", "#d6d2ec")
ISO_AFTER_COLOUR = "#d94801"
ISO_AFTER_DASHES: tuple[str, ...] = ("-", "--", ":", "-.")

#: A rail option (compared door to door, never ranked with the roads): a dark grey line drawn
#: with rail ties, outside the rank palette.
RAIL_OPTION_COLOUR = "#3b3b3b"

#: Assigned traffic. v/c classes of the congestion maps, green (free) to dark red (severe):
#: (upper bound, colour, 中文, English). No blue: blue is the river's.
VC_CLASSES: tuple[tuple[float, str, str, str], ...] = (
    (0.6, "#1a9850", "畅通 < 0.6", "free < 0.6"),
    (0.8, "#a6d96a", "基本畅通 0.6–0.8", "stable 0.6–0.8"),
    (1.0, "#fdae61", "缓行 0.8–1.0", "busy 0.8–1.0"),
    (1.2, "#f46d43", "拥堵 1.0–1.2", "congested 1.0–1.2"),
    (math.inf, "#a50026", "严重拥堵 > 1.2", "severe > 1.2"),
)
#: Flow difference (option minus base): more traffic in a warm red-orange, less in a bluish
#: green kept well apart from the river blue; roads that do not change in light grey.
FLOW_GAIN_COLOUR = "#d7301f"
FLOW_LOSS_COLOUR = "#1b7837"
FLOW_UNCHANGED_COLOUR = "#bbbbbb"
#: Select link: zones shaded by their trips on the new corridor, light to dark (plum, so
#: neither a zone group, a phase nor the river).
SELECT_LINK_COLOURS: tuple[str, ...] = ("#f3e8f1", "#dcb8d6", "#bf7fb8", "#94449a", "#5e1466")

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
