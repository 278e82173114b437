"""Maps of assigned traffic: the base peak congestion (v/c), an option's flow difference and
the zones whose trips use a new corridor (select link).

Colours, rounding and words come from :mod:`sanqu_geo.maps.style`; the print page (title,
legend sidebar, scale bar, north arrow, source note) from :mod:`sanqu_geo.maps.furniture`
and the context layers from :mod:`sanqu_geo.maps.print_layers`, like every other map; web
pages are folium maps rendered by :func:`sanqu_geo.maps.interactive.render_html`. Only draws
what it is given.
"""

from __future__ import annotations

import datetime
import html
import itertools
import logging
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import folium
import geopandas as gpd
import matplotlib
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

from sanqu_geo import layers, settings
from sanqu_geo.errors import DataSourceError, SettingsError
from sanqu_geo.maps import furniture as _f
from sanqu_geo.maps import print_layers as _pl
from sanqu_geo.maps import style as _st
from sanqu_geo.maps import web_base
from sanqu_geo.maps.interactive import SIMPLIFY_DEG, render_html
from sanqu_geo.maps.labels import _block_points, _halo, _line_anchors, _place_label, _ring
from sanqu_geo.maps.style import (
    FLOW_GAIN_COLOUR as GAIN,
)
from sanqu_geo.maps.style import (
    FLOW_LOSS_COLOUR as LOSS,
)
from sanqu_geo.maps.style import (
    VC_CLASSES,
    vc_colour,
)

logger = logging.getLogger(__name__)

__all__ = [
    "FLOW_WIDTHS_PT",
    "FLOW_WIDTH_BREAKS",
    "SELECT_LINK_BREAKS",
    "UNCHANGED_PCU",
    "VC_CLASSES",
    "congestion_map",
    "flow_difference_map",
    "flow_width",
    "flows_web_map",
    "select_link_breaks",
    "select_link_map",
]

_vc_colour = vc_colour

#: The fixed band-width scale of every flow map (the congestion map's volumes and the
#: flow-difference maps' |Δ|), from :mod:`sanqu_geo.maps.style`: a band of a given width
#: means the same volume on every map of a pack (and of the next pack).
FLOW_WIDTH_BREAKS = _st.FLOW_WIDTH_BREAKS
FLOW_WIDTHS_PT = _st.FLOW_WIDTHS_PT
#: A road whose two-way volume changes by less than this (PCU/h) is drawn as unchanged.
UNCHANGED_PCU = _st.FLOW_CHANGE_MIN
#: Band width of a volume or a volume change (see :func:`sanqu_geo.maps.style.flow_width`).
flow_width = _st.flow_width
#: Upper bounds (vehicles/h) of the select-link classes, the last class open: fixed, so every
#: select-link map of a pack (print and web) shades a zone's trips alike.
SELECT_LINK_BREAKS: tuple[float, ...] = (50.0, 100.0, 200.0, 400.0, math.inf)
#: How many roads (congestion, flow difference) are named on a print map, at most.
ROAD_LABELS = 10
#: Pixels per point of :func:`flow_width` on the web page.
_WEB_WIDTH = _st.FLOW_WEB_PX_PER_PT


def _width_legend(style: _f._Style) -> tuple[list[Line2D], list[str]]:
    """The keys of the fixed band-width scale: one line per class."""
    lows = [0.0, *FLOW_WIDTH_BREAKS]
    labels = [f"< {_st.format_volume(FLOW_WIDTH_BREAKS[0])}"]
    labels += [
        f"{_st.format_volume(lo)}–{_st.format_volume(hi)}"
        for lo, hi in zip(lows[1:-1], FLOW_WIDTH_BREAKS[1:], strict=True)
    ]
    labels.append(f"> {_st.format_volume(FLOW_WIDTH_BREAKS[-1])}")
    handles = [
        Line2D([], [], color=_st.MUTED, linewidth=w * style.scale, solid_capstyle="butt")
        for w in FLOW_WIDTHS_PT
    ]
    return handles, [f"{label} pcu/h" for label in labels]


def _road_name(value: Any) -> str:
    """A road's name as one string (OSM names may be lists; missing names are "")."""
    if isinstance(value, (list, tuple)):
        value = next((v for v in value if isinstance(v, str) and v.strip()), "")
    if not isinstance(value, str):
        return ""
    return value.strip()


def _free_label(
    page: _f._Page, anchors: Sequence[tuple[float, float]], text: str, **kw: Any
) -> Text | None:
    """Place ``text`` where it overlaps no label, marker or map furniture; else leave it out."""
    before = list(page.obstacles)
    label = _place_label(page, anchors, text, **kw)
    box = Text.get_window_extent(label, page.renderer)
    frame = page.ax.get_window_extent(page.renderer)
    inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
    if inside and not any(box.overlaps(other) for other in before):
        return label
    label.remove()
    page.obstacles[:] = before
    logger.debug("no free spot for the label %r: left out", text)
    return None


def _label_places(page: _f._Page) -> None:
    """The district names (grey, at their label points or close by), clear of other labels.

    They lie under the traffic lines: a road crossing a name stays whole.
    """
    districts = _pl._metric(layers.load_layer("districts", located_only=True), "districts")
    style = page.style
    x0, x1 = page.ax.get_xlim()
    y0, y1 = page.ax.get_ylim()
    for row in districts.itertuples():
        p = row.geometry.representative_point()
        if not (x0 <= p.x <= x1 and y0 <= p.y <= y1):
            continue
        _free_label(
            page,
            [(p.x, p.y)],
            style.pick(getattr(row, "name_zh", ""), getattr(row, "name_en", ""), sep="\n"),
            offsets=[(0, 0), *_ring(7.0, (1, 2))],
            fontsize=style.pt(8),
            color=_st.MUTED,
            linespacing=1.1,
            path_effects=_halo(style, 2.6),
            zorder=_st.ZORDER["district"],  # under the traffic: names never hide a road
            gid=f"district-{row.id}",
        )


def _label_roads(
    page: _f._Page,
    roads: gpd.GeoDataFrame,
    rank: str,
    words: Callable[[str, str, float], str],
    *,
    limit: int = ROAD_LABELS,
) -> list[str]:
    """Name the ``limit`` roads highest on ``rank``, each at its pieces ranked highest.

    ``roads`` has ``name`` (and ``name_en`` when the network gives one); a road is the pieces
    of one name. ``words(zh, en, value)`` makes the label from the names and the road's highest
    ``rank``. Returns the names placed.
    """
    if not len(roads):
        return []
    names = roads["name"].map(_road_name)
    english = roads["name_en"].map(_road_name) if "name_en" in roads else names.map(lambda _: "")
    frame = roads.assign(_zh=names, _en=english, _rank=roads[rank].astype(float))
    frame = frame[frame["_zh"] != ""]
    best = frame.groupby("_zh")["_rank"].max().sort_values(ascending=False, kind="stable")
    placed: list[str] = []
    style = page.style
    for zh in best.index:
        if len(placed) >= limit:
            break
        pieces = frame[frame["_zh"] == zh].sort_values("_rank", ascending=False, kind="stable")
        en = next((e for e in pieces["_en"] if e), "")
        anchors = [a for g in pieces.geometry.head(3) for a in _line_anchors(g, (0.5, 0.3, 0.7))]
        label = _free_label(
            page,
            anchors,
            words(zh, en, float(best[zh])),
            offsets=_ring(5.0, (1, 2, 3)),
            leader_colour=_st.MUTED,
            fontsize=style.pt(6.5),
            color=_st.INK,
            path_effects=_halo(style, 2.4),
            zorder=_st.ZORDER["facility_label"],
            gid=f"road-label-{len(placed)}",
        )
        if label is not None:
            placed.append(zh)
    return placed


def _check(links: gpd.GeoDataFrame, columns: Sequence[str], what: str) -> None:
    if links is None or len(links) == 0 or any(c not in links.columns for c in columns):
        msg = f"{what} needs road links with {', '.join(columns)} (from sanqu_geo.compare)"
        raise DataSourceError(msg)


def _page(
    style: _f._Style,
    links_m: gpd.GeoDataFrame,
    title: str,
    subtitle: str,
    note: str,
    *,
    outline_zones: bool = False,
    river_label: bool = True,
) -> tuple[_f._Page, list[str]]:
    """A print page around ``links_m`` with the zones of the plan and the Songhua under it.

    ``outline_zones`` draws the plan's zones as outlines only (no fill), for a map whose own
    fills would otherwise mix with theirs.
    """
    zones = layers.load_layer("zones", located_only=True)
    river = layers.load_layer("river", located_only=True)
    footer = _f._footer_items(style, {"zones": zones, "river": river}, None, [note])
    page = _f._new_page(style, title, subtitle, footer)
    _f._fit_extent(page, _f._bounds(links_m), margin=0.03)
    _f._scale_bar(page)
    _f._north_arrow(page)
    zones_m = _pl._metric(zones, "zones")
    groups = _pl._draw_zones(page, zones_m, light=True)
    if outline_zones:
        for patch in page.ax.collections:
            gid = patch.get_gid() or ""
            if gid.startswith("zone-"):
                patch.set_facecolor("none")
    _pl._draw_river(page, _pl._metric(river, "river"), label=river_label)
    return page, groups


def _source_note(style: _f._Style, network_source: str, demand_source: str) -> str:
    """The source note of a map drawn from an assignment: network, demand, indicative."""
    return style.pick(
        f"路网 {network_source};需求 {demand_source}(示意)",
        f"Network: {network_source}; demand: {demand_source} (indicative)",
    )


def _close(
    page: _f._Page,
    groups: Sequence[str],
    legends: Callable[[], None],
    *,
    outline_zones: bool = False,
) -> Figure:
    """Fill the sidebar with ``legends`` and then the context layers' key; finish the page."""

    def sidebar() -> None:
        legends()
        if not outline_zones:
            _pl._context_legend(page, groups, [])
            return
        handles, labels = _pl._zone_handles(page.style, groups, light=True)
        for handle in handles:
            handle.set_facecolor("none")
        river, river_label = _pl._river_handle(page.style)
        _f._side_legend(
            page,
            [*handles, river],
            [*labels, river_label],
            page.style.word("legend_zones", sep=" "),
        )

    _f._fill_sidebar(page, sidebar)
    return _f._finish(page)


def congestion_map(
    links: gpd.GeoDataFrame,
    *,
    delay_index: float | None = None,
    network_source: str = "",
    demand_source: str = "",
    paper: str = "A3",
    lang: str = "zh",
    font: str | None = None,
    date: datetime.date | None = None,
) -> Figure:
    """Peak-hour v/c of every road: colour by v/c class, width by PCU volume.

    Parameters
    ----------
    links : geopandas.GeoDataFrame
        From :func:`sanqu_geo.compare.link_layer`: ``vc``, ``pcu`` and line geometry.
    delay_index : float, optional
        The network delay index, printed in the subtitle.
    network_source, demand_source : str
        For the source note.
    paper, lang, font, date
        As for :func:`sanqu_geo.maps.static.zones_map`.

    Returns
    -------
    matplotlib.figure.Figure
        The page.
    """
    _check(links, ("vc", "pcu"), "congestion_map")
    style = _f._style(paper, lang, font, date)
    links_m = _pl._metric(links, "links")
    with matplotlib.rc_context(_f._rc(style)):
        sub_zh = "早高峰小时 现状路网 均衡分配 饱和度(v/c)"
        sub_en = "Morning peak hour, base network, equilibrium assignment: volume/capacity"
        if delay_index is not None:
            sub_zh += f" · 路网延误指数 {_st.format_ratio(delay_index)}"
            sub_en += f" · network delay index {_st.format_ratio(delay_index)}"
        note = _source_note(style, network_source, demand_source)
        page, groups = _page(
            style,
            links_m,
            style.pick("高峰拥堵(饱和度)", "Peak-hour congestion (v/c)"),
            style.pick(sub_zh, sub_en),
            note,
        )
        s = style.scale
        order = links_m.sort_values("vc")
        colours = [_vc_colour(v) for v in order["vc"]]
        page.ax.add_collection(
            LineCollection(
                [np.asarray(g.coords) for g in order.geometry],
                colors=colours,
                linewidths=flow_width(order["pcu"], scale=s),
                capstyle="round",
                zorder=6,
                gid="links-vc",
            )
        )
        # the districts first (they place the reader), then the most congested roads by name
        # with their highest v/c, each where it overlaps nothing placed before
        _label_places(page)
        _label_roads(
            page,
            links_m[links_m["vc"] >= VC_CLASSES[1][0]],
            "vc",
            lambda zh, en, vc: f"{style.pick(zh, en, sep=' ')} {_st.format_ratio(vc)}",
        )
        handles = [Line2D([], [], color=c, linewidth=3.0 * s) for _, c, _, _ in VC_CLASSES]
        labels = [style.pick(zh, en, sep=" ") for _, _, zh, en in VC_CLASSES]
        widths_h, width_labels = _width_legend(style)

        def sidebar() -> None:
            _f._side_legend(page, handles, labels, style.pick("饱和度 v/c", "v/c", sep=" "))
            _f._side_legend(
                page,
                widths_h,
                width_labels,
                style.pick("断面流量(较大方向)", "Volume, larger direction", sep=" "),
            )
            _f._side_text(
                page,
                style.pick(
                    "路名后为该路最高饱和度。"
                    "通行能力:CJJ 37-2012 设计通行能力 × 车道数,信号交叉口进口 × 绿信比;"
                    "延误:锥形函数(Spiess 1990)。需求为示意值。",
                    "Road names carry the road's highest v/c. "
                    "Capacity: CJJ 37-2012 design capacity per lane × lanes, signal approaches "
                    "× green share; delay: conical (Spiess 1990). Indicative demand.",
                ),
            )

        return _close(page, groups, sidebar)


def flow_difference_map(
    diff: gpd.GeoDataFrame,
    *,
    option_title: tuple[str, str],
    vht_saved: float | None = None,
    network_source: str = "",
    paper: str = "A3",
    lang: str = "zh",
    font: str | None = None,
    date: datetime.date | None = None,
) -> Figure:
    """Change of peak-hour volume an option brings: band width by |Δ|, one colour per sign.

    Band widths follow the fixed classes of :func:`flow_width`, the same on every flow map of
    a pack; a road changing by less than :data:`UNCHANGED_PCU` is drawn thin and grey. The
    roads changing most are named with their change.

    Parameters
    ----------
    diff : geopandas.GeoDataFrame
        From :func:`sanqu_geo.compare.flow_difference`: ``delta_pcu``, ``corridor``, lines.
    option_title : (str, str)
        The option's names (中文, English).
    vht_saved : float, optional
        Peak-hour vehicle-hours saved, printed in the subtitle.
    network_source : str
        For the source note.
    paper, lang, font, date
        As for :func:`sanqu_geo.maps.static.zones_map`.

    Returns
    -------
    matplotlib.figure.Figure
        The page.
    """
    _check(diff, ("delta_pcu",), "flow_difference_map")
    style = _f._style(paper, lang, font, date)
    links_m = _pl._metric(diff, "links")
    zh, en = option_title
    with matplotlib.rc_context(_f._rc(style)):
        sub_zh, sub_en = (
            "早高峰小时 方案减现状 双向合计",
            "Morning peak hour, option minus base, both directions",
        )
        if vht_saved is not None:
            shown = _st.format_vehicle_hours(vht_saved)
            sub_zh += f" · 高峰小时节省 {shown} 车·小时"
            sub_en += f" · {shown} vehicle-hours saved in the peak hour"
        page, groups = _page(
            style,
            links_m,
            style.pick(f"流量变化:{zh}", f"Flow difference: {en}"),
            style.pick(sub_zh, sub_en),
            style.pick(f"路网 {network_source}", f"Network: {network_source}"),
        )
        s = style.scale
        change = links_m["delta_pcu"].abs()
        base = links_m[change < UNCHANGED_PCU]
        page.ax.add_collection(
            LineCollection(
                [np.asarray(g.coords) for g in base.geometry],
                colors=_st.FLOW_UNCHANGED_COLOUR,
                linewidths=0.6 * s,
                zorder=5,
                gid="links-unchanged",
            )
        )
        moved = links_m[change >= UNCHANGED_PCU].copy()
        moved["w"] = flow_width(moved["delta_pcu"], scale=s)
        # Gains on top: a new corridor drawn on an existing road's line stays visible.
        for sign, colour, z in ((-1, LOSS, 6.0), (1, GAIN, 6.5)):
            part = moved[np.sign(moved["delta_pcu"]) == sign].sort_values("w", ascending=False)
            page.ax.add_collection(
                LineCollection(
                    [np.asarray(g.coords) for g in part.geometry],
                    colors=colour,
                    linewidths=part["w"].to_numpy(),
                    alpha=0.85,
                    capstyle="butt",
                    zorder=z,
                    gid=f"links-{'gain' if sign > 0 else 'loss'}",
                )
            )
        # the districts, then the roads changing most by name and signed change
        _label_places(page)
        named = moved.assign(_abs=moved["delta_pcu"].abs())
        signed = named.groupby(named["name"].map(_road_name))["delta_pcu"].agg(
            lambda d: float(d.loc[d.abs().idxmax()])
        )
        _label_roads(
            page,
            named,
            "_abs",
            lambda zh, en, _: f"{style.pick(zh, en, sep=' ')} {_signed_volume(signed[zh])}",
        )
        handles = [
            Line2D([], [], color=GAIN, linewidth=4 * s),
            Line2D([], [], color=LOSS, linewidth=4 * s),
            Line2D([], [], color=_st.FLOW_UNCHANGED_COLOUR, linewidth=0.6 * s),
        ]
        labels = [
            style.pick("增加", "gain", sep=" "),
            style.pick("减少", "loss", sep=" "),
            style.pick(
                f"变化小于 {_st.format_volume(UNCHANGED_PCU)} pcu/h",
                f"change under {_st.format_volume(UNCHANGED_PCU)} pcu/h",
                sep=" ",
            ),
        ]
        widths_h, width_labels = _width_legend(style)

        def sidebar() -> None:
            _f._side_legend(page, handles, labels, style.pick("流量变化", "Volume change", sep=" "))
            _f._side_legend(
                page,
                widths_h,
                width_labels,
                style.pick(
                    "带宽:|Δ流量|(各流量图同一比例)",
                    "Width: |Δ volume| (one scale on every flow map)",
                    sep=" ",
                ),
            )
            _f._side_text(
                page,
                style.pick(
                    "路名后为该路最大流量变化(双向合计,pcu/h)。",
                    "Road names carry the road's largest change (both directions, pcu/h).",
                ),
            )

        return _close(page, groups, sidebar)


def _web_prepare(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)].copy()
    gdf["geometry"] = gdf.geometry.simplify(SIMPLIFY_DEG, preserve_topology=True)
    return gdf


def _signed_volume(value: float) -> str:
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return sign + _st.format_volume(abs(value))


def select_link_breaks(top: float) -> list[float]:
    """Five equal classes of a round step up to ``top``: breaks for a set of select-link maps.

    The maps use the fixed :data:`SELECT_LINK_BREAKS` unless given others; where a demand's
    volumes do not suit them, pass the breaks of the largest value of the whole set to every
    map of it (``breaks=``) so that they all shade alike.

    Parameters
    ----------
    top : float
        The largest value shown (vehicles per hour).

    Returns
    -------
    list of float
        Five increasing upper bounds, the last one ≥ ``top``.
    """
    top = max(float(top), 1.0)
    raw = top / len(_st.SELECT_LINK_COLOURS)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * (i + 1) for i in range(len(_st.SELECT_LINK_COLOURS))]


def _select_colour(value: float, breaks: Sequence[float]) -> str:
    for bound, colour in zip(breaks, _st.SELECT_LINK_COLOURS, strict=True):
        if value <= bound:
            return colour
    return _st.SELECT_LINK_COLOURS[-1]


def _class_labels(breaks: Sequence[float]) -> list[str]:
    lows = [0.0, *breaks[:-1]]
    return [
        f"> {_st.format_volume(lo)}"
        if math.isinf(hi)
        else f"{_st.format_volume(lo)}–{_st.format_volume(hi)}"
        for lo, hi in zip(lows, breaks, strict=True)
    ]


def _check_breaks(breaks: Iterable[float] | None) -> list[float]:
    out = [float(b) for b in (SELECT_LINK_BREAKS if breaks is None else breaks)]
    n = len(_st.SELECT_LINK_COLOURS)
    if len(out) != n or any(b <= a for a, b in itertools.pairwise(out)) or out[0] <= 0:
        msg = f"breaks must be {n} increasing positive upper bounds (vehicles/h), got {out}"
        raise SettingsError(msg)
    return out


def select_link_map(
    zones: gpd.GeoDataFrame,
    corridor: gpd.GeoDataFrame,
    *,
    option_title: tuple[str, str],
    corridor_vehicles: float | None = None,
    breaks: Sequence[float] | None = None,
    network_source: str = "",
    demand_source: str = "",
    paper: str = "A3",
    lang: str = "zh",
    font: str | None = None,
    date: datetime.date | None = None,
) -> Figure:
    """Zones shaded by their peak-hour trips that use an option's new corridor (select link).

    The zone fills lie above the plan's zones (drawn as outlines only), the smaller zones above
    the larger ones, so every zone shows its own class; the zones with most trips carry their
    name and figure, the corridor its name and volume.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        From :func:`sanqu_geo.compare.select_link_zones`: ``name_zh``, ``name_en``,
        ``vehicles`` (vehicles per hour on the corridor that start or end in the zone) and the
        zone's geometry (polygons, or points for the generators).
    corridor : geopandas.GeoDataFrame
        The option's corridor lines.
    option_title : (str, str)
        The option's names (中文, English).
    corridor_vehicles : float, optional
        Vehicles per hour using the corridor (each counted once), for the subtitle and the
        corridor's label.
    breaks : sequence of float, optional
        Upper bounds (vehicles/h) of the five classes, the last may be ``inf``. Default
        :data:`SELECT_LINK_BREAKS`, the same on every map.
    network_source, demand_source : str
        For the source note.
    paper, lang, font, date
        As for :func:`sanqu_geo.maps.static.zones_map`.

    Returns
    -------
    matplotlib.figure.Figure
        The page.
    """
    _check(zones, ("vehicles", "name_zh", "name_en"), "select_link_map")
    style = _f._style(paper, lang, font, date)
    zones_m = _pl._metric(zones, "zones")
    line_m = _pl._metric(corridor, "corridor") if len(corridor) else corridor
    used = zones_m[zones_m["vehicles"] > 0]
    breaks = _check_breaks(breaks)
    zh, en = option_title
    with matplotlib.rc_context(_f._rc(style)):
        sub_zh, sub_en = (
            "早高峰小时 使用新通道的出行(起点或终点在该区)",
            ("Morning peak hour: trips on the new corridor that start or end in each zone"),
        )
        if corridor_vehicles is not None:
            shown = _st.format_volume(corridor_vehicles)
            sub_zh += f" · 新通道共 {shown} 辆/小时"
            sub_en += f" · {shown} vehicles/h on the corridor"
        note = _source_note(style, network_source, demand_source)
        page, groups = _page(
            style,
            zones_m
            if len(line_m) == 0
            else gpd.GeoDataFrame(
                geometry=list(zones_m.geometry) + list(line_m.geometry), crs=zones_m.crs
            ),
            style.pick(f"新通道使用者:{zh}", f"Who uses the new corridor: {en}"),
            style.pick(sub_zh, sub_en),
            note,
            outline_zones=True,
        )
        s = style.scale
        areas = zones_m[zones_m.geom_type.isin(["Polygon", "MultiPolygon"])]
        points = zones_m[~zones_m.index.isin(areas.index)]
        # larger zones first: a district inside the New Area or the FTZ is drawn over it
        areas = areas.iloc[np.argsort(-areas.geometry.area.to_numpy(), kind="stable")]
        shaded = areas[areas["vehicles"] > 0]
        unused = areas[areas["vehicles"] <= 0]
        if len(unused):
            unused.plot(
                ax=page.ax,
                facecolor="none",
                edgecolor=_st.MUTED,
                linewidth=0.5 * s,
                zorder=_st.ZORDER["zone"] + 0.5,
            )
        if len(shaded):
            shaded.plot(
                ax=page.ax,
                color=[_select_colour(v, breaks) for v in shaded["vehicles"]],
                edgecolor=_st.MUTED,
                linewidth=0.5 * s,
                zorder=_st.ZORDER["zone"] + 0.6,
                gid="select-link-zones",
            )
        # generators and cordon zones (points, several cordon points) at one symbol each
        spots = points.geometry.representative_point()
        page.ax.scatter(
            spots.x,
            spots.y,
            s=(6.0 * s) ** 2,
            c=[_select_colour(v, breaks) if v > 0 else "white" for v in points["vehicles"]],
            edgecolors=_st.INK,
            linewidths=0.6 * s,
            zorder=_st.ZORDER["facility"],
            gid="select-link-generators",
        )
        if len(line_m):
            line_m.plot(
                ax=page.ax, color="white", linewidth=4.6 * s, zorder=_st.ZORDER["interchange"]
            )
            line_m.plot(
                ax=page.ax,
                color=_st.INK,
                linewidth=2.6 * s,
                zorder=_st.ZORDER["interchange"] + 0.1,
                gid="select-link-corridor",
            )
        # the corridor's name and volume on it, then the figures of the zones carrying most
        # of its trips
        _block_points(page, [(p.x, p.y) for p in spots], 3.0)
        if len(line_m):
            longest = max(line_m.geometry, key=lambda g: g.length)
            words = style.pick(zh, en, sep=" ")
            if corridor_vehicles is not None:
                words += " " + style.pick(
                    f"{_st.format_volume(corridor_vehicles)} 辆/小时",
                    f"{_st.format_volume(corridor_vehicles)} veh/h",
                )
            _free_label(
                page,
                _line_anchors(longest, (0.5, 0.35, 0.65, 0.2, 0.8)),
                words,
                offsets=_ring(6.0, (1, 2, 3)),
                leader_colour=_st.MUTED,
                fontsize=style.pt(7),
                fontweight="bold",
                color=_st.INK,
                path_effects=_halo(style, 2.6),
                zorder=_st.ZORDER["facility_label"],
                gid="select-link-corridor-label",
            )
        for r in used.sort_values("vehicles", ascending=False).head(10).itertuples():
            anchor = r.geometry.representative_point()
            name = style.pick(str(r.name_zh), str(r.name_en), sep=" ")
            _free_label(
                page,
                [(anchor.x, anchor.y)],
                f"{name} {_st.format_volume(r.vehicles)}",
                offsets=_ring(8.0, (1, 2, 3, 4, 5, 6)),
                leader_colour=_st.MUTED,
                fontsize=style.pt(6.5),
                color=_st.INK,
                path_effects=_halo(style, 2.4),
                zorder=_st.ZORDER["facility_label"],
            )
        handles = [
            Patch(facecolor=c, edgecolor=_st.MUTED, linewidth=0.5) for c in _st.SELECT_LINK_COLOURS
        ]
        labels = _class_labels(breaks)
        line_handle = Line2D([], [], color=_st.INK, linewidth=2.6 * s)

        def sidebar() -> None:
            _f._side_legend(
                page,
                handles,
                labels,
                style.pick(
                    "使用新通道的出行(辆/小时)", "Trips on the new corridor (veh/h)", sep=" "
                ),
            )
            _f._side_legend(
                page,
                [line_handle],
                [style.pick(zh, en, sep=" ")],
                style.pick("新通道", "New corridor", sep=" "),
            )
            _f._side_text(
                page,
                style.pick(
                    "选择路段分析:均衡路径经过新通道的起讫点出行,按起点区和终点区各计一次;"
                    "全部起讫点之和等于新通道的流量。需求为示意值。",
                    "Select link: origin–destination trips whose equilibrium paths use the new "
                    "corridor, counted once at the origin zone and once at the destination "
                    "zone; over all pairs they add up to the corridor's volume. Indicative "
                    "demand.",
                ),
            )

        return _close(page, groups, sidebar, outline_zones=True)


def flows_web_map(
    congestion: gpd.GeoDataFrame,
    differences: dict[str, tuple[tuple[str, str], gpd.GeoDataFrame]],
    *,
    select_link: dict[str, tuple[tuple[str, str], gpd.GeoDataFrame]] | None = None,
    title: str = "高峰拥堵与方案流量变化 Peak congestion and flow differences",
) -> str:
    """One offline HTML page: base v/c and each option's flow difference as layers.

    Parameters
    ----------
    congestion : geopandas.GeoDataFrame
        From :func:`sanqu_geo.compare.link_layer`.
    differences : dict
        Option id → ((中文, English) title, frame from :func:`sanqu_geo.compare.flow_difference`).
    select_link : dict, optional
        Option id → ((中文, English) title, zones from
        :func:`sanqu_geo.compare.select_link_zones`): one layer of zones shaded by their trips on
        the option's new corridor.
    title : str
        Page title.

    Returns
    -------
    str
        The page (every script inlined; no basemap tiles, so no network is needed).
    """
    _check(congestion, ("vc", "pcu"), "flows_web_map")
    west, south, east, north = congestion.to_crs(settings.default_crs).total_bounds
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=True)
    m.fit_bounds([[south, west], [north, east]])
    # the toolkit's own light base (roads, the Songhua, district names) under the traffic, as
    # on the other offline pages; WGS-84 like the traffic layers
    web_base.base_panes(m)
    web_base.add_base(m, _web_prepare, lang="both")
    m.get_root().header.add_child(folium.Element(f"<title>{html.escape(title)}</title>"))

    def add(frame, name, colour, weight, popup, show):
        group = folium.FeatureGroup(name=html.escape(name), show=show)
        for r in frame.itertuples():
            coords = [(y, x) for x, y in r.geometry.coords]
            folium.PolyLine(
                coords,
                color=colour(r),
                weight=weight(r),
                opacity=0.9,
                tooltip=folium.Tooltip(popup(r)),
            ).add_to(group)
        group.add_to(m)

    add(
        congestion,
        "现状高峰饱和度 Base peak v/c",
        lambda r: _vc_colour(r.vc),
        lambda r: float(flow_width(r.pcu, scale=_WEB_WIDTH)[0]),
        lambda r: (
            f"{html.escape(str(r.name or ''))} · v/c {_st.format_ratio(r.vc)} · "
            f"{_st.format_volume(r.pcu, unit='pcu/h')}"
        ),
        True,
    )
    for (zh, en), diff in differences.values():
        moved = diff[diff["delta_pcu"].abs() >= UNCHANGED_PCU]
        add(
            moved,
            f"流量变化 {zh} · Flow difference {en}",
            lambda r: GAIN if r.delta_pcu > 0 else LOSS,
            lambda r: float(flow_width(r.delta_pcu, scale=_WEB_WIDTH)[0]),
            lambda r: f"{html.escape(str(r.name or ''))} · Δ {_signed_volume(r.delta_pcu)} pcu/h",
            False,
        )
    for (zh, en), frame in (select_link or {}).values():
        used = frame[frame["vehicles"] > 0].to_crs(settings.default_crs)
        if not len(used):
            continue
        # larger zones first, so a district inside the New Area is drawn over it
        area = _pl._metric(used, "select-link zones").geometry.area.to_numpy()
        used = used.iloc[np.argsort(-area, kind="stable")]
        breaks = SELECT_LINK_BREAKS
        group = folium.FeatureGroup(
            name=html.escape(f"新通道使用者 {zh} · Who uses the corridor: {en}"), show=False
        )
        for r in used.itertuples():
            colour = _select_colour(r.vehicles, breaks)
            tip = folium.Tooltip(
                f"{html.escape(str(r.name_zh))} {html.escape(str(r.name_en))} · "
                f"{_st.format_volume(r.vehicles)} 辆/小时 veh/h"
            )
            if r.geometry.geom_type in ("Polygon", "MultiPolygon"):
                folium.GeoJson(
                    r.geometry.__geo_interface__,
                    style_function=lambda _, c=colour: {
                        "fillColor": c,
                        "color": _st.MUTED,
                        "weight": 1,
                        "fillOpacity": 0.75,
                    },
                    tooltip=tip,
                ).add_to(group)
            else:
                spot = r.geometry.representative_point()
                folium.CircleMarker(
                    (spot.y, spot.x),
                    radius=7,
                    color=_st.INK,
                    weight=1,
                    fill=True,
                    fill_color=colour,
                    fill_opacity=0.9,
                    tooltip=tip,
                ).add_to(group)
        group.add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    # title box, legend (bottom right, clear of the scale), the corridor and figures on the
    # select-link layers
    from sanqu_geo.maps.web_legend import flows_page

    zh_title, _, en_title = title.partition(" ")
    flows_page(
        m,
        title_zh=zh_title,
        title_en=en_title,
        select_link=select_link,
        differences=differences,
        breaks=SELECT_LINK_BREAKS,
    )
    return render_html(m, offline=True)
