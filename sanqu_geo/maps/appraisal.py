"""Print maps of the corridor appraisal: minutes to the airport in three panels (base, base
with a closure, an option with the closure) and the change of truck minutes to a logistics
place. Draws the zone tables of :mod:`sanqu_geo.appraisal.tasks`; never computes travel times.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.collections import Collection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sanqu_geo import edits as edits_
from sanqu_geo import layers, network, scenarios, settings
from sanqu_geo.appraisal import airport_access
from sanqu_geo.errors import DataSourceError, ScenarioError
from sanqu_geo.maps import fonts
from sanqu_geo.maps import furniture as _f
from sanqu_geo.maps import print_layers as _pl
from sanqu_geo.maps import style as _st
from sanqu_geo.maps.labels import _block_points, _halo, _place_label, _ring
from sanqu_geo.maps.static import _subtitle

logger = logging.getLogger(__name__)

__all__ = [
    "CHANGE_COLOURS",
    "LITTLE_CHANGE_MIN",
    "MINUTES_CMAP",
    "airport_access_figure",
    "airport_access_map",
    "change_breaks",
    "draw_appraisal_maps",
    "minute_breaks",
    "truck_time_figure",
    "truck_time_map",
]

# --------------------------------------------------------------------------- classes

#: Minutes to the airport: ColorBrewer YlOrRd (light = short, dark = long), sampled for the
#: number of classes. Sequential in lightness, so it reads in grey and for colour-blind eyes;
#: no blue, which on the maps is the river's.
MINUTES_CMAP = "YlOrRd"
#: Widths (minutes) tried for the classes of minutes, smallest first: the first that needs at
#: most :data:`MAX_MINUTE_CLASSES` classes is used.
MINUTE_STEPS: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0, 30.0, 60.0)
MAX_MINUTE_CLASSES = 8

#: Change of minutes (option minus base): faster in blue (ColorBrewer Blues), slower in orange
#: (ColorBrewer Oranges), a neutral grey between; never red-green.
CHANGE_COLOURS: tuple[str, ...] = (
    "#08519c",  # much faster
    "#6baed6",
    "#c6dbef",
    "#e6e6e6",  # little change
    "#fdd0a2",
    "#fd8d3c",
    "#c04a02",  # much slower
)
#: Changes within ± this many minutes are "little change".
LITTLE_CHANGE_MIN = 0.5
#: (inner, outer) class bounds of the change maps, tried in order: the first whose outer bound
#: reaches half the largest change is used.
CHANGE_BOUNDS: tuple[tuple[float, float], ...] = (
    (1.0, 2.0),
    (2.0, 5.0),
    (5.0, 10.0),
    (10.0, 20.0),
    (15.0, 30.0),
    (30.0, 60.0),
)

#: Zones without a value: white, hatched in grey.
NO_DATA_FACE = "#ffffff"
NO_DATA_HATCH = "#a0a0a0"
#: Outline of the zones (thin, so a neutral or empty zone still shows its shape).
ZONE_EDGE = "#a8a8a8"
#: Zones with trips but no route in the run.
NO_ROUTE_FACE = "#5a5a5a"
#: The closed section of a condition: dashed violet (neither a fill hue nor the river's blue).
CLOSURE_COLOUR = "#6a3d9a"
CLOSURE_DASH = (0, (2.2, 1.4))

_MAIN_ROADS = ("motorway", "motorway_link", "trunk", "trunk_link")
_PANEL_LETTERS = ("a", "b", "c")


def _rounded(values: Any) -> np.ndarray:
    """Minutes as shown (one decimal, half up), so a zone's class matches its printed value."""
    return np.array([_st.round_half_up(v, _st.MINUTES_DECIMALS) for v in np.asarray(values)])


def minute_breaks(
    values: Sequence[float] | np.ndarray, weights: Sequence[float] | np.ndarray | None = None
) -> list[float]:
    """Class bounds of minutes shared by every panel of a map.

    The classes are equal steps up to where all but the longest 1 % of the trips end, and
    one open class above, so that the minutes most trips take are told apart finely and the
    few far zones do not stretch the scale.

    Parameters
    ----------
    values : array-like
        Every value (minutes) the panels show; ``nan``/``inf`` are ignored.
    weights : array-like, optional
        Trips of each value (default: every value counts once).

    Returns
    -------
    list of float
        Increasing bounds ``b0 < b1 < … < bn``: class *i* holds ``b_i ≤ minutes < b_i+1``;
        whole multiples of the first step of :data:`MINUTE_STEPS` that needs at most
        :data:`MAX_MINUTE_CLASSES` classes; ``bn`` is ``inf`` when the longest values lie
        above the steps (an open class ``≥ b_n-1``).
    """
    v = np.asarray(values, dtype=float)
    w = np.ones(len(v)) if weights is None else np.asarray(weights, dtype=float)
    ok = np.isfinite(v) & np.isfinite(w) & (w > 0)
    v, w = v[ok], w[ok]
    if not len(v):
        return [0.0, 10.0]
    low, high = float(v.min()), float(v.max())
    cap = min(high, airport_access.weighted_quantile(v, w, 0.99))
    for step in MINUTE_STEPS:
        lo = math.floor(low / step) * step
        hi = (math.floor(cap / step) + 1) * step
        n = round((hi - lo) / step)
        if n + (high >= hi) <= MAX_MINUTE_CLASSES:
            break
    bounds = [lo + i * step for i in range(n + 1)]
    return [*bounds, math.inf] if high >= hi else bounds


def _minute_labels(breaks: Sequence[float]) -> list[str]:
    return [
        f"≥ {_number(lo)}" if math.isinf(hi) else f"{_number(lo)}–{_number(hi)}"
        for lo, hi in itertools.pairwise(breaks)
    ]


def _minute_colours(n: int) -> list[str]:
    cmap = matplotlib.colormaps[MINUTES_CMAP]
    return [to_hex(cmap(x)) for x in np.linspace(0.1, 0.95, n)]


def _minute_class(value: float, breaks: Sequence[float]) -> int:
    i = int(np.searchsorted(breaks, value, side="right")) - 1
    return min(max(i, 0), len(breaks) - 2)


def change_breaks(largest: float) -> tuple[float, float, float]:
    """Class bounds (minutes) of a change map: the neutral band and two more on each side.

    Parameters
    ----------
    largest : float
        The largest absolute change shown (minutes).

    Returns
    -------
    tuple of float
        ``(LITTLE_CHANGE_MIN, inner, outer)``: classes ``≤ −outer``, ``−outer…−inner``,
        ``−inner…−0.5``, ``±0.5``, then the same mirrored for slower.
    """
    top = abs(float(largest)) if math.isfinite(largest) else 0.0
    inner, outer = next((pair for pair in CHANGE_BOUNDS if pair[1] >= 0.5 * top), CHANGE_BOUNDS[-1])
    return LITTLE_CHANGE_MIN, inner, outer


def _change_class(value: float, bounds: tuple[float, float, float]) -> int:
    """0 (much faster) … 3 (little change) … 6 (much slower)."""
    small, inner, outer = bounds
    if abs(value) <= small:
        return 3
    size = 1 if abs(value) < inner else 2 if abs(value) < outer else 3
    return 3 + size if value > 0 else 3 - size


def _zones(n: int) -> str:
    return f"{n} zone" if n == 1 else f"{n} zones"


def _number(value: float) -> str:
    return f"{value:g}"


def _change_labels(style: _f._Style, bounds: tuple[float, float, float]) -> list[str]:
    small, inner, outer = (_number(b) for b in bounds)
    spans = (
        (f"{outer} 分钟以上", f"over {outer} min"),
        (f"{inner}–{outer} 分钟", f"{inner}–{outer} min"),
        (f"{small}–{inner} 分钟", f"{small}–{inner} min"),
    )
    faster = [style.pick(f"快 {zh}", f"{en} faster", sep=" ") for zh, en in spans]
    slower = [style.pick(f"慢 {zh}", f"{en} slower", sep=" ") for zh, en in spans]
    little = style.pick(f"变化很小(±{small} 分钟)", f"little change (±{small} min)", sep=" ")
    return [*faster, little, *reversed(slower)]


# --------------------------------------------------------------------------- inputs


def _check_table(table: pd.DataFrame | None, columns: Sequence[str], what: str) -> pd.DataFrame:
    if table is None or not isinstance(table, pd.DataFrame) or not len(table):
        msg = (
            f"{what} needs the appraisal's zone table; it is empty: run the appraisal with "
            "sanqu_geo.appraisal.tasks.appraise (or corridors compare without --no-appraisal)"
        )
        raise DataSourceError(msg)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        has = ", ".join(map(str, table.columns))
        msg = f"{what} needs the columns {', '.join(missing)} in its table (it has {has})"
        raise DataSourceError(msg)
    return table


def _zones_metric(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The zones in the metric CRS, with ``areal`` True for those drawn as filled polygons.

    Generators (the airport, stations, the logistics sites) overlap the street zones they lie
    in, and some zones are points: they are drawn as round symbols on top instead.
    """
    if zones is None or not len(zones) or "id" not in zones.columns:
        msg = (
            "the maps need the demand's zones (id, geometry): sanqu_geo.demand.load_demand().zones"
        )
        raise DataSourceError(msg)
    out = _pl._metric(zones, "zones").copy()
    out["id"] = out["id"].astype(str)
    for column in ("name_zh", "name_en", "kind"):
        if column not in out.columns:
            out[column] = ""
    polygon = out.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    out["areal"] = polygon & (out["kind"].astype(str) != "generator").to_numpy()
    return out


def _scenario(scenario: scenarios.Scenario | None) -> scenarios.Scenario:
    return scenario if scenario is not None else scenarios.load_scenario()


def _option_of(sc: scenarios.Scenario, option: str) -> scenarios.Option | None:
    return next((o for o in sc.options if o.id == option), None)


def _condition_of(sc: scenarios.Scenario, condition: str) -> scenarios.Condition | None:
    return next((c for c in sc.conditions if c.id == condition), None)


def _edges_frame(G: nx.MultiDiGraph, edges: Sequence[tuple]) -> gpd.GeoDataFrame:
    if not edges:
        return gpd.GeoDataFrame(geometry=[], crs=settings.metric_crs)
    return _pl._road_edges(G.edge_subgraph(edges))


def _closure_lines(G: nx.MultiDiGraph, condition: scenarios.Condition | None) -> gpd.GeoDataFrame:
    """The roads a condition closes, as drawn (metres)."""
    picked: list[tuple] = []
    for edit in condition.edits if condition is not None else ():
        if edit.kind == "close":
            picked += edits_.selected_edges(G, edit.roads)
    return _edges_frame(G, picked)


def _option_lines(G: nx.MultiDiGraph, option: scenarios.Option | None) -> gpd.GeoDataFrame:
    """An option's road corridors and the roads its edits change (truck-only lanes), metres."""
    if option is None:
        return gpd.GeoDataFrame(geometry=[], crs=settings.metric_crs)
    lines = [c.geometry for c in option.corridors if c.kind != "rail_art"]
    frame = gpd.GeoDataFrame(geometry=lines, crs=settings.default_crs).to_crs(settings.metric_crs)
    picked: list[tuple] = []
    for edit in option.edits:
        picked += edits_.selected_edges(G, edit.roads)
    edited = _edges_frame(G, picked)
    parts = [f[["geometry"]] for f in (frame, edited) if len(f)]
    if not parts:
        return gpd.GeoDataFrame(geometry=[], crs=settings.metric_crs)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=settings.metric_crs)


def _main_roads(G: nx.MultiDiGraph) -> gpd.GeoDataFrame:
    edges = _pl._road_edges(G)
    return edges[edges["highway"].isin(_MAIN_ROADS)]


def _footer(
    style: _f._Style,
    drawn: dict[str, gpd.GeoDataFrame],
    roads: nx.MultiDiGraph,
    network_label: str,
) -> list[str]:
    """Source note: layers, roads (OSM credit), the network compared on, indicative data."""
    label = str(network_label or "").strip()
    extra = [
        style.pick(
            "数据为示意值:需求与路网为示意,结果用于方案比选",
            "Data are indicative: indicative demand and network, for comparing options",
            sep=" / ",
        ),
        style.pick(
            "交通小区:需求模型分区,边界为示意",
            "Zones: the demand model's zones, boundaries indicative",
            sep=" / ",
        ),
    ]
    if label:
        # a label that already credits OpenStreetMap is printed as it is, not credited twice
        extra.append(
            _f._labelled(style, "comparison_network", style.latin(label))
            if "openstreetmap" in label.casefold()
            else _f._network_words(style, "comparison_network", label)
        )
    return _f._footer_items(style, drawn, roads, extra)


# --------------------------------------------------------------------------- drawing


def _hatch_colours() -> dict[str, str]:
    """Grey hatching in a zone outlined like the others (matplotlib < 3.10: hatch and outline
    share the edge colour, so both are grey)."""
    if hasattr(Collection, "set_hatchcolor"):
        return {"edgecolor": ZONE_EDGE, "hatchcolor": NO_DATA_HATCH}
    return {"edgecolor": NO_DATA_HATCH}


def _draw_values(
    page: _f._Page,
    zones_m: gpd.GeoDataFrame,
    colours: dict[str, str | None],
    *,
    skip: Sequence[str] = (),
    gid: str,
) -> None:
    """Fill each zone with its colour (None: no value, grey and hatched); points as symbols."""
    s = page.style.scale
    areal = zones_m[zones_m["areal"]]
    width = (0.25 if len(areal) > 60 else 0.6) * s
    face = areal["id"].map(colours)
    filled, empty = areal[face.notna()], areal[face.isna()]
    if len(empty):
        empty.plot(
            ax=page.ax,
            facecolor=NO_DATA_FACE,
            hatch="/////",
            **_hatch_colours(),
            linewidth=width,
            zorder=_st.ZORDER["zone"],
            gid=f"{gid}-no-data",
        )
    if len(filled):
        filled.plot(
            ax=page.ax,
            color=list(face[face.notna()]),
            edgecolor=ZONE_EDGE,
            linewidth=width,
            zorder=_st.ZORDER["zone"] + 0.1,
            gid=f"{gid}-zones",
        )
    spots = zones_m[~zones_m["areal"] & ~zones_m["id"].isin(list(skip))]
    if len(spots):
        xy = spots.geometry.representative_point()
        page.ax.scatter(
            xy.x,
            xy.y,
            s=(5.2 * s) ** 2,
            c=[colours.get(z) or NO_DATA_FACE for z in spots["id"]],
            edgecolors=_st.INK,
            linewidths=0.6 * s,
            zorder=_st.ZORDER["facility"] - 2,
            gid=f"{gid}-points",
        )
        _block_points(page, [(p.x, p.y) for p in xy], 3.2)


def _draw_context(page: _f._Page, roads_m: gpd.GeoDataFrame, river_m: gpd.GeoDataFrame) -> None:
    """Main roads and the Songhua (cased in white, to stand out from any fill).

    No district names: over street-level zones they would hide the values they sit on.
    """
    s = page.style.scale
    if len(roads_m):
        _pl._draw_roads(page, roads_m, light=True)
    lines = river_m[river_m.geom_type.isin(["LineString", "MultiLineString"])]
    if len(lines):
        lines.plot(ax=page.ax, color="white", linewidth=5.0 * s, zorder=2.45, capstyle="round")
    _pl._draw_river(page, river_m, label=False)


def _draw_lines(page: _f._Page, lines: gpd.GeoDataFrame, *, closure: bool, gid: str) -> None:
    """An option's alignment (dark, solid) or a closed section (violet, dashed), cased in white."""
    if not len(lines):
        return
    s = page.style.scale
    z = _st.ZORDER["interchange"] + (0.0 if closure else 0.5)
    lines.plot(ax=page.ax, color="white", linewidth=4.4 * s, zorder=z, capstyle="butt")
    lines.plot(
        ax=page.ax,
        color=CLOSURE_COLOUR if closure else _st.INK,
        linewidth=2.4 * s,
        linestyle=CLOSURE_DASH if closure else "-",
        zorder=z + 0.1,
        capstyle="butt",
        gid=gid,
    )


def _line_handle(style: _f._Style, *, closure: bool) -> Line2D:
    return Line2D(
        [],
        [],
        color=CLOSURE_COLOUR if closure else _st.INK,
        linewidth=2.4 * style.scale,
        linestyle=CLOSURE_DASH if closure else "-",
    )


def _mark(
    page: _f._Page,
    point: Any,
    text: str,
    *,
    marker: str,
    size: float,
    gid: str,
    fontsize: float,
) -> None:
    """A place symbol (black, white edge) named beside it, clear of other labels."""
    s = page.style.scale
    page.ax.plot(
        point.x,
        point.y,
        marker=marker,
        markersize=size * s,
        markerfacecolor=_st.INK,
        markeredgecolor="white",
        markeredgewidth=1.0 * s,
        linestyle="none",
        zorder=_st.ZORDER["facility"] + 5,
        gid=gid,
    )
    _block_points(page, [(point.x, point.y)], size * 0.55)
    _place_label(
        page,
        [(point.x, point.y)],
        text,
        offsets=_ring(8.0, (1, 2, 3)),
        leader_colour=_st.MUTED,
        fontsize=fontsize,
        fontweight="bold",
        color=_st.INK,
        linespacing=1.1,
        path_effects=_halo(page.style, 2.6),
        zorder=_st.ZORDER["facility_label"] + 5,
    )


def _marker_handle(style: _f._Style, marker: str, size: float) -> Line2D:
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=marker,
        markersize=size * style.scale,
        markerfacecolor=_st.INK,
        markeredgecolor="white",
    )


def _no_data_handle(style: _f._Style) -> Patch:
    return Patch(
        facecolor=NO_DATA_FACE,
        edgecolor=NO_DATA_HATCH,
        hatch="/////",
        linewidth=0.4 * style.scale,
    )


def _context_handles(style: _f._Style, roads_m: gpd.GeoDataFrame) -> tuple[list, list]:
    classes = [g for g in ("motorway", "trunk") if len(roads_m) and _road_group(roads_m, g)]
    handles, labels = _pl._road_handles(style, classes, light=True)
    river_handle, river_label = _pl._river_handle(style)
    return [*handles, river_handle], [*labels, river_label]


def _road_group(roads_m: gpd.GeoDataFrame, group: str) -> bool:
    kinds = {h for h, (g, *_rest) in _st.ROAD_STYLES.items() if g == group}
    return bool(roads_m["highway"].isin(kinds).any())


def _point_of(zones_m: gpd.GeoDataFrame, zone: str) -> Any:
    row = zones_m[zones_m["id"] == zone]
    return row.geometry.iloc[0].representative_point() if len(row) else None


def _airport_point(zones_m: gpd.GeoDataFrame) -> Any:
    """The airport zone's point (the table's times run to it), else the airport facility."""
    point = _point_of(zones_m, "airport")
    if point is not None:
        return point
    from sanqu_geo import travel

    try:
        place = travel.find_place("airport")
    except Exception as exc:  # the marker is an extra; a user's layers may lack the airport
        logger.debug("no airport marker: %s", exc)
        return None
    return _pl._metric(place, "airport").geometry.iloc[0].representative_point()


def _save(fig: Figure, path_stem: str | os.PathLike[str], family: str | None) -> list[Path]:
    """Write the page as ``<stem>.png`` (300 dpi) and ``<stem>.pdf``, each atomically."""
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    with fonts.compact_cjk_font([fig], family):
        return [
            _f.save_map(fig, stem.parent / f"{stem.name}.{suffix}") for suffix in ("png", "pdf")
        ]


# --------------------------------------------------------------------------- airport access


def _panel_table(table: pd.DataFrame, condition: str, option: str) -> pd.DataFrame:
    part = table[(table["condition"] == condition) & (table["option"] == option)]
    if not len(part):
        pairs = sorted(
            {(str(c), str(o)) for c, o in zip(table["condition"], table["option"], strict=True)}
        )
        shown = ", ".join(f"{c}/{o}" for c, o in pairs)
        msg = (
            f"the airport table has no rows for condition {condition!r} and option {option!r}; "
            f"it has (condition/option): {shown}. Pass a condition the appraisal solved "
            "(appraise(..., conditions=...))"
        )
        raise DataSourceError(msg)
    part = part.drop_duplicates("zone")
    return part.set_index(part["zone"].astype(str))


def _trip_mean(part: pd.DataFrame) -> float:
    """Trip-weighted mean minutes to the airport (weights: trips to the airport)."""
    minutes = part["minutes_to"].to_numpy(dtype=float)
    trips = part["trips_to"].to_numpy(dtype=float)
    ok = np.isfinite(minutes) & (trips > 0)
    return float(np.average(minutes[ok], weights=trips[ok])) if ok.any() else math.nan


def _strip_legend(
    page: _f._Page,
    handles: Sequence[Any],
    labels: Sequence[str],
    title: str,
    *,
    x: float,
    ncols: int,
    gid: str,
) -> Legend:
    """A legend in rows under the panels, its lower left corner at ``x`` of the strip."""
    style = page.style
    legend = Legend(
        page.side,
        list(handles),
        list(labels),
        loc="lower left",
        bbox_to_anchor=(x, 0.0),
        bbox_transform=page.side.transAxes,
        frameon=False,
        title=title,
        alignment="left",
        prop=FontProperties(family=style.families, size=style.pt(7.2)),
        title_fontproperties=FontProperties(family=style.families, size=style.pt(8), weight="bold"),
        borderaxespad=0.0,
        borderpad=0.0,
        handlelength=2.0,
        handleheight=1.0,
        handletextpad=0.5,
        labelspacing=0.5,
        columnspacing=1.2,
        ncols=ncols,
    )
    legend.set_gid(gid)
    page.side.add_artist(legend)
    return legend


def airport_access_figure(
    zones: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    option: str,
    condition: str,
    title_zh: str,
    title_en: str,
    network_label: str,
    scenario: scenarios.Scenario | None = None,
    roads: nx.MultiDiGraph | None = None,
    year: int | None = None,
    lang: str = "both",
    font: str | None = None,
    date: datetime.date | None = None,
) -> Figure:
    """Minutes to the airport zone by zone in three panels sharing one class scheme.

    The panels are (a) the base, normal network; (b) the base with ``condition`` (a closure);
    (c) ``option`` with the same closure. Zones without trips to the airport are white,
    hatched in grey; under the panels, each panel's mean minutes weighted by the trips to the airport.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        The demand's zones (``id``, ``name_zh``, ``name_en``, ``kind``, geometry), as
        :attr:`sanqu_geo.demand.Demand.zones`.
    table : pandas.DataFrame
        ``Appraisal.zones["airport"]``: ``zone``, ``condition``, ``option``, ``minutes_to``
        (congested car minutes to the airport), ``trips_to`` (cars per hour).
    option : str
        The option of panel (c).
    condition : str
        The closure of panels (b) and (c), e.g. ``airport_expressway_outer_closed``.
    title_zh, title_en : str
        The map's title.
    network_label : str
        The network the options were compared on (``Comparison.network_source``), for the
        source note.
    scenario : Scenario, optional
        For the titles of the option and the condition, the option's alignment and the closed
        roads (default: :func:`sanqu_geo.scenarios.load_scenario`).
    roads : networkx.MultiDiGraph, optional
        The road graph drawn for context and holding the closed roads (default: the
        scenario's network).
    year : int, optional
        The modelled year, printed in the subtitle.
    lang : str
        ``"both"`` (Chinese above English, the default), ``"zh"`` or ``"en"``.
    font : str, optional
        A CJK font family or file (see :func:`sanqu_geo.maps.static.zones_map`).
    date : datetime.date, optional
        Date printed under the title (default: today).

    Returns
    -------
    matplotlib.figure.Figure
        An A4 landscape page.

    Raises
    ------
    DataSourceError
        When the table lacks columns, the option or the condition.
    """
    _check_table(
        table, ("zone", "condition", "option", "minutes_to", "trips_to"), "airport_access_map"
    )
    sc = _scenario(scenario)
    style = _f._style("A4", lang, font, date)
    states = [("normal", "base"), (condition, "base"), (condition, option)]
    parts = [_panel_table(table, c, o) for c, o in states]
    zones_m = _zones_metric(zones)
    G = roads if roads is not None else network.load_network(sc.network)
    opt, cond = _option_of(sc, option), _condition_of(sc, condition)
    opt_zh, opt_en = (opt.title_zh, opt.title_en) if opt else (option, _f._humanise(option))
    cond_zh, cond_en = (
        (cond.title_zh, cond.title_en) if cond else (condition, _f._humanise(condition))
    )

    # one class scheme for the three panels: every value shown, rounded as printed
    shown: list[pd.Series] = []
    for part in parts:
        minutes = pd.Series(_rounded(part["minutes_to"]), index=part.index)
        shown.append(minutes.where((part["trips_to"] > 0) & np.isfinite(minutes)))
    breaks = minute_breaks(
        np.concatenate([s.to_numpy(float) for s in shown]),
        np.concatenate([p["trips_to"].to_numpy(float) for p in parts]),
    )
    palette = _minute_colours(len(breaks) - 1)
    no_route = any(((p["trips_to"] > 0) & ~np.isfinite(p["minutes_to"])).any() for p in parts)
    means = [_trip_mean(p) for p in parts]

    river = layers.load_layer("river", located_only=True)
    roads_m = _main_roads(G)
    river_m = _pl._metric(river, "river")
    closed = _closure_lines(G, cond)
    built = _option_lines(G, opt)
    airport = _airport_point(zones_m)
    period = f"{year} 年早高峰小时" if year else "早高峰小时"
    period_en = f"Morning peak hour, {year}" if year else "Morning peak hour"
    subject = style.pick(
        f"{period} 各区到机场的小汽车拥堵时间(分钟),三图分级相同",
        f"{period_en}: congested car minutes from each zone to the airport; one class scheme "
        "for the three panels",
    )
    with matplotlib.rc_context(_f._rc(style)):
        page = _f._new_page(
            style,
            style.pick(title_zh, title_en, sep="\n"),
            _subtitle(style, None, subject),
            _footer(style, {"river": river}, G, network_label),
        )
        fig, s = page.fig, style.scale
        w_mm, h_mm = _f.PAPER_MM[style.paper]
        frame, side = page.ax.get_position(), page.side.get_position()
        x0, x1, y0, y1 = frame.x0, side.x1, frame.y0, frame.y1
        gap = 5.0 * s / w_mm
        to_fig = fig.transFigure.inverted()

        # legends first, along the foot of the map area
        page.side.set_position((x0, y0, x1 - x0, 0.05))
        handles = [Patch(facecolor=c, edgecolor=ZONE_EDGE, linewidth=0.4 * s) for c in palette]
        labels = _minute_labels(breaks)
        handles.append(_no_data_handle(style))
        labels.append(style.pick("无到机场出行", "no airport trips", sep=" "))
        if no_route:
            handles.append(Patch(facecolor=NO_ROUTE_FACE, edgecolor="white"))
            labels.append(style.pick("无路径", "no route", sep=" "))
        first = _strip_legend(
            page,
            handles,
            labels,
            style.pick("到机场的小汽车时间(分钟)", "Car minutes to the airport", sep=" · "),
            x=0.0,
            ncols=len(handles),
            gid="legend-minutes",
        )
        symbols_h = [_marker_handle(style, "^", 7.0), _line_handle(style, closure=True)]
        symbols_l = [
            style.pick("机场", "airport", sep=" "),
            style.pick("封闭路段(b、c)", "closed section (b, c)", sep=" "),
        ]
        if len(built):
            symbols_h.append(_line_handle(style, closure=False))
            symbols_l.append(style.pick("方案线位(c)", "option's alignment (c)", sep=" "))
        context_h, context_l = _context_handles(style, roads_m)
        strip = page.side.get_window_extent(page.renderer)
        right = first.get_window_extent(page.renderer).x1
        second = _strip_legend(
            page,
            [*symbols_h, *context_h],
            [*symbols_l, *context_l],
            style.pick("图例", "Symbols", sep=" · "),
            x=(right - strip.x0) / strip.width + 0.03,
            ncols=math.ceil((len(symbols_h) + len(context_h)) / 2),
            gid="legend-symbols",
        )
        if second.get_window_extent(page.renderer).x1 > strip.x1 + 1:
            # no room beside the classes: the symbols go in a row of their own, under them
            second.remove()
            second = _strip_legend(
                page,
                [*symbols_h, *context_h],
                [*symbols_l, *context_l],
                style.pick("图例", "Symbols", sep=" · "),
                x=0.0,
                ncols=len(symbols_h) + len(context_h),
                gid="legend-symbols",
            )
            above = second.get_window_extent(page.renderer).y1 + 3.0 * s / 25.4 * fig.dpi
            first.set_bbox_to_anchor((0.0, (above - strip.y0) / strip.height), page.side.transAxes)
        legend_top = max(
            to_fig.transform((0, lg.get_window_extent(page.renderer).y1))[1]
            for lg in (first, second)
        )

        # panel titles along the top, captions (trip-weighted means) above the legends
        pw = (x1 - x0 - 2 * gap) / 3
        titles = [
            (style.pick("现状路网 · 平时", "Base network, normal", sep="\n")),
            style.pick(f"现状路网 · {cond_zh}", f"Base network, {cond_en.lower()}", sep="\n"),
            style.pick(f"{opt_zh} · {cond_zh}", f"{opt_en}, {cond_en.lower()}", sep="\n"),
        ]
        title_prop = FontProperties(family=style.families, size=style.pt(8), weight="bold")
        width_px = pw * fig.bbox.width
        bottoms = []
        for i, text in enumerate(titles):
            artist = fig.text(
                x0 + i * (pw + gap),
                y1,
                _f._wrap(f"({_PANEL_LETTERS[i]}) {text}", width_px, title_prop, page.renderer),
                ha="left",
                va="top",
                fontproperties=title_prop,
                color=_st.INK,
                linespacing=1.25,
                gid=f"panel-title-{_PANEL_LETTERS[i]}",
            )
            bottoms.append(to_fig.transform((0, artist.get_window_extent(page.renderer).y0))[1])
        top = min(bottoms) - 2.0 * s / h_mm
        caption_y = legend_top + 4.0 * s / h_mm
        caption_prop = FontProperties(family=style.families, size=style.pt(7.6), weight="bold")
        tops = []
        for i, mean in enumerate(means):
            value = _st.format_minutes(mean) or "—"
            artist = fig.text(
                x0 + i * (pw + gap) + pw / 2,
                caption_y,
                _f._wrap(
                    style.pick(
                        f"({_PANEL_LETTERS[i]}) 出行加权平均 {value} 分钟",
                        f"trip-weighted mean {value} min",
                        sep=" · ",
                    ),
                    width_px,
                    caption_prop,
                    page.renderer,
                ),
                ha="center",
                va="bottom",
                fontproperties=caption_prop,
                color=_st.INK,
                gid=f"panel-mean-{_PANEL_LETTERS[i]}",
            )
            tops.append(to_fig.transform((0, artist.get_window_extent(page.renderer).y1))[1])
        bottom = max(tops) + 1.5 * s / h_mm

        bounds = _f._bounds(zones_m)
        axes = [page.ax] + [fig.add_axes((0, 0, 1, 1)) for _ in range(2)]
        for i, ax in enumerate(axes):
            ax.set_position((x0 + i * (pw + gap), bottom, pw, top - bottom))
            ax.set_gid(f"map-panel-{_PANEL_LETTERS[i]}")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_facecolor(_st.MAP_BACKGROUND)
            for spine in ax.spines.values():
                spine.set_edgecolor(_st.FRAME)
                spine.set_linewidth(0.8 * s)
            panel = dataclasses.replace(page, ax=ax, obstacles=[])
            _f._fit_extent(panel, bounds, margin=0.02)
            if i == 0:
                _f._scale_bar(panel)
                _f._north_arrow(panel)
            colours: dict[str, str | None] = {
                z: (palette[_minute_class(v, breaks)] if pd.notna(v) else None)
                for z, v in shown[i].items()
            }
            if no_route:
                part = parts[i]
                for z in part.index[(part["trips_to"] > 0) & ~np.isfinite(part["minutes_to"])]:
                    colours[z] = NO_ROUTE_FACE
            _draw_values(
                panel, zones_m, colours, skip=("airport",), gid=f"panel-{_PANEL_LETTERS[i]}"
            )
            _draw_context(panel, roads_m, river_m)
            if i > 0:
                _draw_lines(panel, closed, closure=True, gid=f"closure-{_PANEL_LETTERS[i]}")
            if i == 2:
                _draw_lines(panel, built, closure=False, gid="option-c")
            if airport is not None:
                _mark(
                    panel,
                    airport,
                    style.pick("机场", "Airport", sep="\n"),
                    marker="^",
                    size=9.0,
                    gid=f"airport-{_PANEL_LETTERS[i]}",
                    fontsize=style.pt(7.5),
                )
            ax.set_xlabel("")
            ax.set_ylabel("")
        page.side.set_axis_off()
    return page.fig


def airport_access_map(
    zones: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    option: str,
    condition: str,
    path_stem: str | os.PathLike[str],
    title_zh: str,
    title_en: str,
    network_label: str,
    scenario: scenarios.Scenario | None = None,
    roads: nx.MultiDiGraph | None = None,
    year: int | None = None,
    lang: str = "both",
    font: str | None = None,
    date: datetime.date | None = None,
) -> list[Path]:
    """Draw :func:`airport_access_figure` and write it as ``<path_stem>.png`` and ``.pdf``.

    Parameters
    ----------
    zones, table, option, condition, title_zh, title_en, network_label
        As for :func:`airport_access_figure`.
    path_stem : path-like
        The files' path without suffix (``out/airport-access-second_passage_ph1``).
    scenario, roads, year, lang, font, date
        As for :func:`airport_access_figure`.

    Returns
    -------
    list of pathlib.Path
        The PNG (A4 landscape, 300 dpi) and the PDF.
    """
    style = _f._style("A4", lang, font, date)
    fig = airport_access_figure(
        zones, table, option=option, condition=condition, title_zh=title_zh,
        title_en=title_en, network_label=network_label, scenario=scenario, roads=roads,
        year=year, lang=lang, font=font, date=date,
    )  # fmt: skip
    return _save(fig, path_stem, style.family)


# --------------------------------------------------------------------------- truck minutes


def _place_names(zones_m: gpd.GeoDataFrame, place: str) -> tuple[str, str]:
    from sanqu_geo.appraisal.logistics import LOGISTICS_NODES

    if place in LOGISTICS_NODES:
        return LOGISTICS_NODES[place]
    row = zones_m[zones_m["id"] == place]
    if len(row):
        return str(row["name_zh"].iloc[0]), str(row["name_en"].iloc[0])
    return place, _f._humanise(place)


def truck_time_figure(
    zones: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    option: str,
    place: str,
    title_zh: str,
    title_en: str,
    network_label: str,
    scenario: scenarios.Scenario | None = None,
    roads: nx.MultiDiGraph | None = None,
    year: int | None = None,
    lang: str = "both",
    font: str | None = None,
    date: datetime.date | None = None,
) -> Figure:
    """Change of congested truck minutes from each zone to a logistics place, option − base.

    Blue is faster, orange slower; changes within ±:data:`LITTLE_CHANGE_MIN` minute are
    "little change". The place is marked and named, the option's alignment drawn.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        The demand's zones (see :func:`airport_access_figure`).
    table : pandas.DataFrame
        ``Appraisal.zones["trucks"]``: ``zone``, ``option`` (``base`` or an option id),
        ``place`` and ``minutes`` (congested truck minutes from the zone to the place).
    option : str
        The option compared with the base.
    place : str
        The logistics place's zone id (``inland_port``, ``new_area_jiangbei`` …).
    title_zh, title_en, network_label, scenario, roads, year, lang, font, date
        As for :func:`airport_access_figure`.

    Returns
    -------
    matplotlib.figure.Figure
        An A4 landscape page.

    Raises
    ------
    DataSourceError
        When the table lacks columns, or the base or the option to ``place``.
    """
    _check_table(table, ("zone", "option", "place", "minutes"), "truck_time_map")
    sc = _scenario(scenario)
    style = _f._style("A4", lang, font, date)
    here = table[table["place"] == place]
    series = {}
    for oid in ("base", option):
        part = here[here["option"] == oid].drop_duplicates("zone")
        if not len(part):
            have = sorted(
                {f"{o}→{p}" for o, p in zip(table["option"], table["place"], strict=True)}
            )
            msg = (
                f"the truck table has no minutes of {oid!r} to {place!r}; it has: "
                f"{', '.join(have)}. Pass a place of the option's group (Group.places)"
            )
            raise DataSourceError(msg)
        series[oid] = pd.Series(part["minutes"].to_numpy(float), index=part["zone"].astype(str))
    delta_raw = (series[option] - series["base"]).dropna()
    delta_raw = delta_raw[np.isfinite(delta_raw)]
    delta = pd.Series(_rounded(delta_raw), index=delta_raw.index)
    zones_m = _zones_metric(zones)
    known = delta[delta.index.isin(zones_m["id"]) & (delta.index != place)]
    bounds = change_breaks(float(known.abs().max()) if len(known) else 0.0)
    colours = {z: CHANGE_COLOURS[_change_class(v, bounds)] for z, v in known.items()}
    G = roads if roads is not None else network.load_network(sc.network)
    opt = _option_of(sc, option)
    opt_zh, opt_en = (opt.title_zh, opt.title_en) if opt else (option, _f._humanise(option))
    place_zh, place_en = _place_names(zones_m, place)
    river = layers.load_layer("river", located_only=True)
    roads_m = _main_roads(G)
    built = _option_lines(G, opt)
    period = f"{year} 年早高峰小时" if year else "早高峰小时"
    period_en = f"Morning peak hour, {year}" if year else "Morning peak hour"
    subject = style.pick(
        f"{period} 各区到{place_zh}的货车拥堵时间变化(方案减现状,负值为更快)",
        f"{period_en}: change in congested truck minutes from each zone to {place_en}, option "
        "minus base (negative = faster)",
    )
    with matplotlib.rc_context(_f._rc(style)):
        page = _f._new_page(
            style,
            style.pick(title_zh, title_en, sep="\n"),
            _subtitle(style, None, subject),
            _footer(style, {"river": river}, G, network_label),
        )
        s = style.scale
        _f._fit_extent(page, _f._bounds(zones_m), margin=0.02)
        _f._scale_bar(page)
        _f._north_arrow(page)
        _draw_values(page, zones_m, colours, skip=(place,), gid="truck-change")
        _draw_context(page, roads_m, _pl._metric(river, "river"))
        _draw_lines(page, built, closure=False, gid="option")
        target = zones_m[zones_m["id"] == place]
        if len(target) and target.geom_type.iloc[0] in ("Polygon", "MultiPolygon"):
            target.boundary.plot(
                ax=page.ax,
                color=_st.INK,
                linewidth=1.2 * s,
                linestyle=(0, (4, 2)),
                zorder=_st.ZORDER["facility"] - 1,
                gid="place-outline",
            )
        point = _point_of(zones_m, place)
        if point is not None:
            _mark(
                page,
                point,
                style.pick(place_zh, place_en, sep="\n"),
                marker="*",
                size=14.0,
                gid="place",
                fontsize=style.pt(8.5),
            )
        handles = [
            Patch(facecolor=c, edgecolor=ZONE_EDGE, linewidth=0.4 * s) for c in CHANGE_COLOURS
        ]
        labels = _change_labels(style, bounds)
        handles.append(_no_data_handle(style))
        labels.append(style.pick("无数据", "no data", sep=" "))
        symbols_h = [_marker_handle(style, "*", 11.0)]
        symbols_l = [style.pick(f"目的地:{place_zh}", f"destination: {place_en}", sep=" ")]
        if len(built):
            symbols_h.append(_line_handle(style, closure=False))
            symbols_l.append(style.pick(f"方案:{opt_zh}", f"option: {opt_en}", sep=" "))
        context_h, context_l = _context_handles(style, roads_m)
        faster = known[known < -LITTLE_CHANGE_MIN]
        slower = known[known > LITTLE_CHANGE_MIN]
        names = zones_m.set_index("id")
        summary = [
            style.pick(
                f"快 {LITTLE_CHANGE_MIN:g} 分钟以上的区 {len(faster)} 个,慢 {LITTLE_CHANGE_MIN:g} "
                f"分钟以上的 {len(slower)} 个(共 {len(known)} 个)。",
                f"{_zones(len(faster))} faster and {len(slower)} slower by more than "
                f"{LITTLE_CHANGE_MIN:g} min, of {_zones(len(known))}.",
            )
        ]
        if len(known) and known.min() < -LITTLE_CHANGE_MIN:
            best = known.idxmin()
            zh = str(names.loc[best, "name_zh"]) if best in names.index else best
            en = str(names.loc[best, "name_en"]) if best in names.index else best
            saved = _st.format_minutes(-known.min())
            summary.append(
                style.pick(f"最多:{zh} 快 {saved} 分钟。", f"Most: {en}, {saved} min faster.")
            )
        summary.append(
            style.pick(
                "各区到目的地的最短拥堵时间,未按货车出行量加权;分级按四舍五入到 0.1 分钟后的值。",
                "Shortest congested time from each zone to the destination, not weighted by "
                "truck trips; classes from values rounded to 0.1 min.",
            )
        )

        def sidebar() -> None:
            _f._side_legend(
                page,
                handles,
                labels,
                style.pick("货车时间变化", "Change in truck minutes", sep=" "),
            )
            _f._side_legend(
                page,
                [*symbols_h, *context_h],
                [*symbols_l, *context_l],
                style.word("legend_other", sep=" "),
            )
            _f._side_text(page, "\n".join(summary), gid="truck-summary")

        _f._fill_sidebar(page, sidebar)
    return _f._finish(page)


def truck_time_map(
    zones: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    option: str,
    place: str,
    path_stem: str | os.PathLike[str],
    title_zh: str,
    title_en: str,
    network_label: str,
    scenario: scenarios.Scenario | None = None,
    roads: nx.MultiDiGraph | None = None,
    year: int | None = None,
    lang: str = "both",
    font: str | None = None,
    date: datetime.date | None = None,
) -> list[Path]:
    """Draw :func:`truck_time_figure` and write it as ``<path_stem>.png`` and ``.pdf``.

    Parameters
    ----------
    zones, table, option, place, title_zh, title_en, network_label
        As for :func:`truck_time_figure`.
    path_stem : path-like
        The files' path without suffix (``out/truck-time-last_mile``).
    scenario, roads, year, lang, font, date
        As for :func:`airport_access_figure`.

    Returns
    -------
    list of pathlib.Path
        The PNG (A4 landscape, 300 dpi) and the PDF.
    """
    style = _f._style("A4", lang, font, date)
    fig = truck_time_figure(
        zones, table, option=option, place=place, title_zh=title_zh, title_en=title_en,
        network_label=network_label, scenario=scenario, roads=roads, year=year, lang=lang,
        font=font, date=date,
    )  # fmt: skip
    return _save(fig, path_stem, style.family)


# --------------------------------------------------------------------------- a comparison's maps


def _worst_closure(
    appraisal: Any, sc: scenarios.Scenario, group: scenarios.Group, table: pd.DataFrame
) -> str | None:
    """The closure under which the base's mean minutes to the airport are highest."""
    closures = {c.id for c in sc.conditions if any(e.kind == "close" for e in c.edits)}
    solved = [c for c in dict.fromkeys(table["condition"].astype(str)) if c != "normal"]
    candidates = [c for c in solved if c in closures] or solved
    if not candidates:
        return None
    task = appraisal.tasks.get(f"task{group.task}") if group.task is not None else None
    if task is not None and {"condition", "option", "mean_min"} <= set(task.columns):
        base = task[task["option"] == "base"].set_index("condition")["mean_min"]
        scored = {c: float(base[c]) for c in candidates if c in base.index}
        if scored:
            return max(scored, key=lambda c: scored[c])
    # the task table lacks them: the zone table's own trip-weighted means
    base = table[table["option"] == "base"]
    means = {c: _trip_mean(base[base["condition"] == c]) for c in candidates}
    return max(means, key=lambda c: -math.inf if math.isnan(means[c]) else means[c])


def draw_appraisal_maps(
    comparison: Any,
    folder: str | os.PathLike[str],
    *,
    scenario: scenarios.Scenario | None = None,
) -> list[str]:
    """The appraisal maps of a comparison's output folder (PNG and PDF of each).

    For every option of an airport-access group, ``airport-access-<option>``: the panels of
    :func:`airport_access_figure` under the closure whose base mean minutes are highest. For
    every logistics group, ``truck-time-<option>``: the truck-minute change of its best option
    (``best_in_task``) to the group's first place. A missing table, option or place gives no
    map and a log message.

    Parameters
    ----------
    comparison : sanqu_geo.compare.Comparison
        With ``appraisal`` (:class:`sanqu_geo.appraisal.tasks.Appraisal`), ``scenario`` and
        ``network_source``.
    folder : path-like
        The output folder (created if missing).
    scenario : Scenario, optional
        Default: ``comparison.scenario``.

    Returns
    -------
    list of str
        The files written, relative to ``folder``.
    """
    from sanqu_geo import demand

    sc = scenario if scenario is not None else comparison.scenario
    appraisal = getattr(comparison, "appraisal", None)
    if appraisal is None:
        logger.info("the comparison has no appraisal: no appraisal maps")
        return []
    folder = Path(folder)
    tables = getattr(appraisal, "zones", None) or {}
    measures = {gid: sc.group(gid) for gid in sc.groups}
    wanted = {g.measure for g in measures.values()} & {"airport_access", "logistics"}
    if not wanted:
        return []
    zones = demand.load_demand(network=sc.network, compute_default=False).zones
    G = network.load_network(sc.network)
    label = str(getattr(comparison, "network_source", "") or sc.network)
    years = getattr(appraisal, "network_time", pd.DataFrame())
    year = int(years["year"].min()) if len(years) and "year" in years.columns else None
    written: list[Path] = []
    common = {"network_label": label, "scenario": sc, "roads": G, "year": year}
    for gid, g in measures.items():
        if g.measure == "airport_access":
            table = tables.get("airport")
            if table is None or not len(table):
                logger.warning(
                    "no zone table of airport access in the appraisal: no map of %s", gid
                )
                continue
            condition = _worst_closure(appraisal, sc, g, table)
            if condition is None:
                logger.warning("no closure was solved for %s: no airport-access map", gid)
                continue
            for o in sc.groups[gid]:
                if not ((table["option"] == o.id) & (table["condition"] == condition)).any():
                    logger.info("%s was not solved with %s: no airport-access map", o.id, condition)
                    continue
                try:
                    written += airport_access_map(
                        zones, table, option=o.id, condition=condition,
                        path_stem=folder / f"airport-access-{o.id}",
                        title_zh=f"机场可达性:{o.title_zh}", title_en=f"Airport access: {o.title_en}",
                        **common,
                    )  # fmt: skip
                except (DataSourceError, ScenarioError) as exc:
                    logger.warning("no airport-access map of %s: %s", o.id, exc)
        elif g.measure == "logistics":
            table = tables.get("trucks")
            if table is None or not len(table):
                logger.warning("no zone table of truck minutes in the appraisal: no map of %s", gid)
                continue
            overall = appraisal.overall
            best = overall[(overall["group"] == gid) & overall["best_in_task"].astype(bool)]
            if not len(best):
                logger.warning("%s has no best option: no truck-time map", gid)
                continue
            oid = str(best["option"].iloc[0])
            o = _option_of(sc, oid)
            place = g.places[0] if g.places else None
            if place is None:
                logger.warning("%s names no places: no truck-time map", gid)
                continue
            try:
                written += truck_time_map(
                    zones, table, option=oid, place=place, path_stem=folder / f"truck-time-{oid}",
                    title_zh=f"货车时间变化:{o.title_zh if o else oid}",
                    title_en=f"Change in truck minutes: {o.title_en if o else _f._humanise(oid)}",
                    **common,
                )  # fmt: skip
            except (DataSourceError, ScenarioError) as exc:
                logger.warning("no truck-time map of %s: %s", oid, exc)
    return [p.relative_to(folder).as_posix() for p in written]
